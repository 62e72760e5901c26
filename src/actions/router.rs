//! Executing confirmed actions: each domain (Kubernetes, AWS) has its own
//! executor type, and one [`Router`] hands every action to its domain's.
//! Results are typed: an [`ActionOutput`] or an [`ActionError`], both
//! recorded in the incident record as they are.

use std::collections::HashMap;
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::{Action, ActionKind};

/// Which executor runs an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Domain {
    Kubernetes,
    Aws,
    /// Programs and scripts on this machine (playbook steps).
    Local,
}

impl Domain {
    pub fn label(self) -> &'static str {
        match self {
            Domain::Kubernetes => "Kubernetes",
            Domain::Aws => "AWS",
            Domain::Local => "local",
        }
    }
}

impl ActionKind {
    pub fn domain(&self) -> Domain {
        match self {
            ActionKind::CollectLogs { .. }
            | ActionKind::CollectDeploymentLogs { .. }
            | ActionKind::RolloutRestart { .. }
            | ActionKind::Scale { .. }
            | ActionKind::RestoreScale { .. }
            | ActionKind::DeletePod { .. }
            | ActionKind::IsolateNamespace { .. }
            | ActionKind::LiftIsolation { .. } => Domain::Kubernetes,
            ActionKind::RebootDb { .. }
            | ActionKind::FailoverDb { .. }
            | ActionKind::FailoverCluster { .. }
            | ActionKind::SnapshotDb { .. }
            | ActionKind::SnapshotCluster { .. }
            | ActionKind::PromoteReplica { .. }
            | ActionKind::SetAlarmActions { .. }
            | ActionKind::ExportTrail { .. } => Domain::Aws,
            ActionKind::RunCommand { .. } | ActionKind::RunScript { .. } => Domain::Local,
        }
    }
}

/// What an executor reports for an action that worked: a one-line
/// message and, for actions that collect something (pod logs), the
/// evidence to keep, one file each.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Executed {
    pub message: String,
    pub evidence: Vec<Evidence>,
    /// What a command or script printed, bounded, for the journal.
    pub output: Option<CommandOutput>,
}

impl Executed {
    pub fn message(message: impl Into<String>) -> Self {
        Executed { message: message.into(), evidence: Vec::new(), output: None }
    }
}

/// A command's output as journaled: its first [`OUTPUT_EXCERPT`] bytes,
/// how long all of it was, and the SHA-256 of all of it (the evidence
/// file keeps more).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandOutput {
    pub excerpt: String,
    pub bytes: u64,
    pub sha256: String,
}

/// The most of a command's output an entry keeps.
pub const OUTPUT_EXCERPT: usize = 4096;

impl CommandOutput {
    /// The excerpt of `all` (cut at a character boundary) with its length
    /// and hash.
    pub fn of(all: &[u8]) -> CommandOutput {
        let text = String::from_utf8_lossy(all);
        let cut = text.char_indices().map(|(i, c)| i + c.len_utf8()).take_while(|end| *end <= OUTPUT_EXCERPT).last();
        CommandOutput {
            excerpt: text[..cut.unwrap_or(0)].to_string(),
            bytes: all.len() as u64,
            sha256: crate::evidence::sha256(all),
        }
    }
}

/// Collected text to save as a file, exactly as it was received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evidence {
    /// What it is, for the file name (`shop-backend-7d9-app`).
    pub label: String,
    pub text: String,
}

/// `collected 3 logs (1,234 lines) of pod x`.
pub fn logs_message(evidence: &[Evidence], what: &str) -> String {
    let lines: usize = evidence.iter().map(|e| e.text.lines().count()).sum();
    let logs = if evidence.len() == 1 { "log" } else { "logs" };
    format!("collected {} {logs} ({lines} lines) of {what}", evidence.len())
}

/// A finished action's outcome as recorded: the message and the files its
/// evidence was saved to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionOutput {
    pub message: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<SavedEvidence>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<CommandOutput>,
}

impl ActionOutput {
    pub fn message(message: impl Into<String>) -> Self {
        ActionOutput { message: message.into(), evidence: Vec::new(), output: None }
    }
}

/// An evidence file as saved: where, how big, and its SHA-256 so anyone can
/// show later that it was not changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedEvidence {
    pub path: PathBuf,
    pub bytes: u64,
    /// Lower-case hex.
    pub sha256: String,
}

/// Why an action did not do what it was asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum ActionError {
    /// The service refused or failed the request; its own words.
    #[error("{message}")]
    Rejected { message: String },
    /// Nothing in this session can run actions of this domain, or its
    /// executor has stopped.
    #[error("{message}")]
    Unavailable { message: String },
    #[error("timed out after {secs} s")]
    TimedOut { secs: u64 },
    /// The action worked but what it collected could not be kept; it
    /// counts as failed, since evidence nobody can read is no evidence.
    #[error("{message}, but saving it in {} failed: {error}", dir.display())]
    EvidenceNotSaved { message: String, dir: PathBuf, error: String },
}

impl ActionError {
    pub fn rejected(message: impl Into<String>) -> Self {
        ActionError::Rejected { message: message.into() }
    }
}

/// What executing an action eventually gives.
pub type Execution = Pin<Box<dyn Future<Output = Result<Executed, ActionError>> + Send>>;

/// Runs confirmed actions of one domain.
pub trait Executor: Send + Sync + 'static {
    fn execute(&self, action: Action) -> Execution;
}

/// Hands each action to the executor of its domain.
#[derive(Clone, Default)]
pub struct Router {
    executors: HashMap<Domain, Arc<dyn Executor>>,
}

impl Router {
    pub fn new() -> Self {
        Router::default()
    }

    /// Routes `domain`'s actions to `executor`.
    pub fn with(mut self, domain: Domain, executor: Arc<dyn Executor>) -> Self {
        self.executors.insert(domain, executor);
        self
    }

    pub fn execute(&self, action: Action) -> Execution {
        let domain = action.kind.domain();
        match self.executors.get(&domain) {
            Some(e) => e.execute(action),
            None => Box::pin(async move {
                Err(ActionError::Unavailable { message: format!("no {} executor in this session", domain.label()) })
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::Scope;

    struct Named(&'static str);

    impl Executor for Named {
        fn execute(&self, _: Action) -> Execution {
            let name = self.0;
            Box::pin(async move { Ok(Executed::message(name)) })
        }
    }

    #[tokio::test]
    async fn each_action_goes_to_its_domain() {
        let router = Router::new().with(Domain::Kubernetes, Arc::new(Named("kube")));
        let restart = Action {
            kind: ActionKind::RolloutRestart { namespace: "shop".into(), deployment: "backend".into() },
            scope: Scope::default(),
        };
        assert_eq!(router.execute(restart).await, Ok(Executed::message("kube")));
        let reboot = Action { kind: ActionKind::RebootDb { id: "orders-db".into() }, scope: Scope::default() };
        let err = router.execute(reboot).await.unwrap_err();
        assert_eq!(err.to_string(), "no AWS executor in this session");
    }
}
