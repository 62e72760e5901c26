//! Remediation actions as typed values.
//!
//! An [`Action`] is built from the selected item *before* the confirmation
//! dialog opens and executed unchanged after the keystroke that confirms
//! it, so what the engineer read is exactly what runs. Each action knows
//! its risk, the name to type for destructive ones, and the equivalent CLI
//! command shown in the dialog.

pub mod local;
pub mod menu;
pub mod policy;
pub mod router;

use serde::{Deserialize, Serialize};

pub use menu::{for_alarm, for_db, for_pod, for_trail};
pub use router::{
    ActionError, ActionOutput, CommandOutput, Domain, Evidence, Executed, Execution, Executor, Router, SavedEvidence,
    logs_message,
};

/// How many log lines collecting a pod's logs keeps (`kubectl logs --tail`).
pub const LOG_TAIL_LINES: usize = 500;
/// The most pods whose logs one collection for a deployment keeps.
pub const LOG_PODS_MAX: usize = 20;
/// The NetworkPolicy that isolates a namespace: it selects every pod and
/// allows no ingress and no egress.
pub const ISOLATION_POLICY: &str = "warroom-emergency-isolate";
/// The annotation a scale-down leaves on its deployment: the replica count
/// before it, which *restore* scales back to.
pub const RESTORE_ANNOTATION: &str = "warroom/replicas-before-scale-down";

/// The restore count after scaling from `from` to `to`, given the one
/// `recorded`: the first scale-down records `from`; a restore, or scaling
/// back up to at least the recorded count, forgets it.
pub fn restore_after(recorded: Option<u32>, from: u32, to: u32, restore: bool) -> Option<u32> {
    match recorded {
        _ if restore => None,
        Some(n) if to >= n => None,
        None if to < from => Some(from),
        kept => kept,
    }
}

/// `a` as a shell reads it back as one word: unquoted when it is plain,
/// else in single quotes.
pub fn shell_quote(a: &str) -> String {
    let plain = !a.is_empty() && a.chars().all(|c| c.is_ascii_alphanumeric() || "-_./=:,@%+".contains(c));
    if plain { a.to_string() } else { format!("'{}'", a.replace('\'', "'\\''")) }
}

/// How much an action can hurt, which decides how it is confirmed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Risk {
    /// Reads or collects; confirmed with `y`, allowed in read-only mode.
    Read,
    /// Changes something recoverable; `y`, default is cancel.
    Change,
    /// Removes capacity or data; the target's name must be typed.
    Destructive,
}

impl Risk {
    pub fn label(self) -> &'static str {
        match self {
            Risk::Read => "READ",
            Risk::Change => "CHANGE",
            Risk::Destructive => "DESTRUCTIVE",
        }
    }

    pub fn mutates(self) -> bool {
        self != Risk::Read
    }
}

/// Where an action lands: shown in the dialog so nobody restarts prod
/// while thinking they are in staging.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scope {
    pub kube_context: String,
    pub aws_account: String,
    pub aws_region: String,
    pub aws_profile: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ActionKind {
    /// Every container's logs, and the previous instance's of those that
    /// restarted (a crash-looping container's own logs are seconds old).
    CollectLogs {
        namespace: String,
        pod: String,
    },
    /// The same for every pod the deployment's selector matches.
    CollectDeploymentLogs {
        namespace: String,
        deployment: String,
        /// `app=backend,tier=api`, as `kubectl -l` takes it.
        selector: String,
    },
    RolloutRestart {
        namespace: String,
        deployment: String,
    },
    Scale {
        namespace: String,
        deployment: String,
        from: u32,
        to: u32,
    },
    /// Back to the replica count recorded before a scale-down.
    RestoreScale {
        namespace: String,
        deployment: String,
        from: u32,
        to: u32,
    },
    DeletePod {
        namespace: String,
        pod: String,
    },
    /// NetworkPolicy [`ISOLATION_POLICY`]: no traffic in or out of any pod.
    IsolateNamespace {
        namespace: String,
    },
    LiftIsolation {
        namespace: String,
    },
    RebootDb {
        id: String,
    },
    FailoverDb {
        id: String,
    },
    FailoverCluster {
        cluster: String,
        to: String,
    },
    SnapshotDb {
        id: String,
        snapshot_id: String,
    },
    /// Members of a DB cluster are snapshotted as the whole cluster.
    SnapshotCluster {
        cluster: String,
        snapshot_id: String,
    },
    PromoteReplica {
        id: String,
    },
    SetAlarmActions {
        alarm: String,
        enabled: bool,
    },
    /// Every CloudTrail event between `start` and `end`, looked up afresh
    /// (every page) and kept as a JSON evidence file with its SHA-256.
    ExportTrail {
        start: chrono::DateTime<chrono::Utc>,
        end: chrono::DateTime<chrono::Utc>,
        /// The window in words (`1h`), for titles and the file name.
        window: String,
    },
    /// A playbook step's program and arguments, run without a shell on
    /// this machine; its output is kept as evidence.
    RunCommand {
        step: String,
        argv: Vec<String>,
        timeout_secs: u64,
        risk: Risk,
    },
    /// A playbook step's shell script (`sh -c`), shown verbatim before it
    /// runs, never templated.
    RunScript {
        step: String,
        script: String,
        timeout_secs: u64,
        risk: Risk,
    },
}

/// Where an action was asked for, recorded with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "from", rename_all = "snake_case")]
pub enum Origin {
    /// The action menu of a selected item.
    Menu,
    /// A playbook step.
    Playbook { playbook: String, step: String },
}

/// A fully specified action and the scope it was built under.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Action {
    pub kind: ActionKind,
    pub scope: Scope,
}

impl Action {
    pub fn risk(&self) -> Risk {
        match &self.kind {
            ActionKind::CollectLogs { .. }
            | ActionKind::CollectDeploymentLogs { .. }
            | ActionKind::ExportTrail { .. } => Risk::Read,
            ActionKind::RunCommand { risk, .. } | ActionKind::RunScript { risk, .. } => *risk,
            ActionKind::RolloutRestart { .. }
            | ActionKind::RestoreScale { .. }
            | ActionKind::LiftIsolation { .. }
            | ActionKind::RebootDb { .. }
            | ActionKind::SnapshotDb { .. }
            | ActionKind::SnapshotCluster { .. }
            | ActionKind::SetAlarmActions { .. } => Risk::Change,
            ActionKind::Scale { to, .. } if *to > 0 => Risk::Change,
            ActionKind::Scale { .. }
            | ActionKind::DeletePod { .. }
            | ActionKind::IsolateNamespace { .. }
            | ActionKind::FailoverDb { .. }
            | ActionKind::FailoverCluster { .. }
            | ActionKind::PromoteReplica { .. } => Risk::Destructive,
        }
    }

    pub fn title(&self) -> String {
        match &self.kind {
            ActionKind::CollectLogs { .. } => "Collect pod logs as evidence".into(),
            ActionKind::CollectDeploymentLogs { .. } => "Collect the deployment's pod logs as evidence".into(),
            ActionKind::RolloutRestart { .. } => "Rollout restart deployment".into(),
            ActionKind::Scale { to: 0, .. } => "Scale deployment to zero".into(),
            ActionKind::Scale { from, to, .. } if to > from => format!("Scale up {from} → {to}"),
            ActionKind::Scale { from, to, .. } => format!("Scale down {from} → {to}"),
            ActionKind::RestoreScale { to, .. } => format!("Restore the {to} replicas before the scale-down"),
            ActionKind::DeletePod { .. } => "Delete pod".into(),
            ActionKind::IsolateNamespace { namespace } => format!("Isolate namespace {namespace} (no traffic)"),
            ActionKind::LiftIsolation { namespace } => format!("Lift the isolation of namespace {namespace}"),
            ActionKind::RebootDb { .. } => "Reboot DB instance".into(),
            ActionKind::FailoverDb { .. } => "Reboot with failover (Multi-AZ)".into(),
            ActionKind::FailoverCluster { to, .. } => format!("Fail over cluster to {to}"),
            ActionKind::SnapshotDb { .. } => "Take a manual snapshot".into(),
            ActionKind::SnapshotCluster { .. } => "Take a manual cluster snapshot".into(),
            ActionKind::PromoteReplica { .. } => "Promote read replica".into(),
            ActionKind::SetAlarmActions { enabled: true, .. } => "Enable alarm actions".into(),
            ActionKind::SetAlarmActions { enabled: false, .. } => "Disable alarm actions".into(),
            ActionKind::ExportTrail { window, .. } => {
                format!("Export CloudTrail, last {window} (JSON evidence)")
            }
            ActionKind::RunCommand { argv, .. } => {
                format!("Run {}", argv.first().map_or("a command", String::as_str))
            }
            ActionKind::RunScript { .. } => "Run a script".into(),
        }
    }

    /// The object acted on; for destructive actions, what must be typed.
    pub fn target(&self) -> &str {
        match &self.kind {
            ActionKind::CollectLogs { pod, .. } | ActionKind::DeletePod { pod, .. } => pod,
            ActionKind::RolloutRestart { deployment, .. }
            | ActionKind::Scale { deployment, .. }
            | ActionKind::RestoreScale { deployment, .. }
            | ActionKind::CollectDeploymentLogs { deployment, .. } => deployment,
            ActionKind::IsolateNamespace { namespace } | ActionKind::LiftIsolation { namespace } => namespace,
            ActionKind::RebootDb { id }
            | ActionKind::FailoverDb { id }
            | ActionKind::SnapshotDb { id, .. }
            | ActionKind::PromoteReplica { id } => id,
            ActionKind::SetAlarmActions { alarm, .. } => alarm,
            ActionKind::FailoverCluster { cluster, .. } | ActionKind::SnapshotCluster { cluster, .. } => cluster,
            ActionKind::ExportTrail { window, .. } => window,
            ActionKind::RunCommand { step, .. } | ActionKind::RunScript { step, .. } => step,
        }
    }

    /// `namespace/name` or the AWS resource kind, for the dialog.
    pub fn target_label(&self) -> String {
        match &self.kind {
            ActionKind::CollectLogs { namespace, pod } | ActionKind::DeletePod { namespace, pod } => {
                format!("pod {namespace}/{pod}")
            }
            ActionKind::CollectDeploymentLogs { namespace, deployment, selector } => {
                format!("deployment {namespace}/{deployment} (pods {selector})")
            }
            ActionKind::RolloutRestart { namespace, deployment }
            | ActionKind::Scale { namespace, deployment, .. }
            | ActionKind::RestoreScale { namespace, deployment, .. } => format!("deployment {namespace}/{deployment}"),
            ActionKind::IsolateNamespace { namespace } | ActionKind::LiftIsolation { namespace } => {
                format!("namespace {namespace}")
            }
            ActionKind::RebootDb { id }
            | ActionKind::FailoverDb { id }
            | ActionKind::SnapshotDb { id, .. }
            | ActionKind::PromoteReplica { id } => format!("RDS instance {id}"),
            ActionKind::SetAlarmActions { alarm, .. } => format!("CloudWatch alarm {alarm}"),
            ActionKind::FailoverCluster { cluster, to } => format!("RDS cluster {cluster} (new writer: {to})"),
            ActionKind::SnapshotCluster { cluster, .. } => format!("RDS cluster {cluster}"),
            ActionKind::ExportTrail { start, end, .. } => format!(
                "CloudTrail events {} – {} UTC",
                start.format("%Y-%m-%d %H:%M:%S"),
                end.format("%Y-%m-%d %H:%M:%S")
            ),
            ActionKind::RunCommand { step, timeout_secs, .. } | ActionKind::RunScript { step, timeout_secs, .. } => {
                format!("playbook step {step} (stopped after {timeout_secs} s)")
            }
        }
    }

    /// Where it runs, as the dialog shows it.
    pub fn scope_label(&self) -> String {
        match self.kind.domain() {
            Domain::Kubernetes => format!("context {}", self.scope.kube_context),
            Domain::Aws => format!("account {} · region {}", self.scope.aws_account, self.scope.aws_region),
            Domain::Local => "this machine, as you".into(),
        }
    }

    /// The equivalent CLI command, so the engineer can check or repeat it.
    pub fn cli(&self) -> String {
        let kctx = format!("--context {}", self.scope.kube_context);
        // The profile too, so the command acts on the same account.
        let aws = match self.scope.aws_profile.as_str() {
            "" => format!("--region {}", self.scope.aws_region),
            profile => format!("--profile {profile} --region {}", self.scope.aws_region),
        };
        match &self.kind {
            // The previous instances' logs are the same command with
            // `--previous`; the dialog shows the first.
            ActionKind::CollectLogs { namespace, pod } => {
                format!("kubectl {kctx} -n {namespace} logs {pod} --all-containers --tail={LOG_TAIL_LINES}")
            }
            ActionKind::CollectDeploymentLogs { namespace, selector, .. } => format!(
                "kubectl {kctx} -n {namespace} logs -l {selector} --all-containers --prefix --tail={LOG_TAIL_LINES}"
            ),
            ActionKind::RolloutRestart { namespace, deployment } => {
                format!("kubectl {kctx} -n {namespace} rollout restart deployment/{deployment}")
            }
            ActionKind::Scale { namespace, deployment, from, to }
            | ActionKind::RestoreScale { namespace, deployment, from, to } => format!(
                "kubectl {kctx} -n {namespace} scale deployment/{deployment} --current-replicas={from} --replicas={to}"
            ),
            ActionKind::DeletePod { namespace, pod } => format!("kubectl {kctx} -n {namespace} delete pod {pod}"),
            ActionKind::IsolateNamespace { namespace } => format!(
                "kubectl {kctx} -n {namespace} apply -f - <<< '{{\"apiVersion\":\"networking.k8s.io/v1\",\
                 \"kind\":\"NetworkPolicy\",\"metadata\":{{\"name\":\"{ISOLATION_POLICY}\"}},\
                 \"spec\":{{\"podSelector\":{{}},\"policyTypes\":[\"Ingress\",\"Egress\"]}}}}'"
            ),
            ActionKind::LiftIsolation { namespace } => {
                format!("kubectl {kctx} -n {namespace} delete networkpolicy {ISOLATION_POLICY}")
            }
            ActionKind::RebootDb { id } => {
                format!("aws rds reboot-db-instance {aws} --db-instance-identifier {id}")
            }
            ActionKind::FailoverDb { id } => {
                format!("aws rds reboot-db-instance {aws} --db-instance-identifier {id} --force-failover")
            }
            ActionKind::SnapshotDb { id, snapshot_id } => format!(
                "aws rds create-db-snapshot {aws} --db-instance-identifier {id} --db-snapshot-identifier {snapshot_id}"
            ),
            ActionKind::SnapshotCluster { cluster, snapshot_id } => format!(
                "aws rds create-db-cluster-snapshot {aws} --db-cluster-identifier {cluster} \
                 --db-cluster-snapshot-identifier {snapshot_id}"
            ),
            ActionKind::PromoteReplica { id } => {
                format!("aws rds promote-read-replica {aws} --db-instance-identifier {id}")
            }
            ActionKind::SetAlarmActions { alarm, enabled } => {
                let verb = if *enabled { "enable-alarm-actions" } else { "disable-alarm-actions" };
                format!("aws cloudwatch {verb} {aws} --alarm-names {alarm}")
            }
            ActionKind::FailoverCluster { cluster, to } => format!(
                "aws rds failover-db-cluster {aws} --db-cluster-identifier {cluster} --target-db-instance-identifier {to}"
            ),
            ActionKind::ExportTrail { start, end, .. } => format!(
                "aws cloudtrail lookup-events {aws} --start-time {} --end-time {} --output json",
                start.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                end.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            ),
            ActionKind::RunCommand { argv, .. } => argv.iter().map(|a| shell_quote(a)).collect::<Vec<_>>().join(" "),
            ActionKind::RunScript { script, .. } => script.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope() -> Scope {
        Scope {
            kube_context: "prod".into(),
            aws_account: "123456789012".into(),
            aws_region: "eu-west-1".into(),
            aws_profile: "oncall".into(),
        }
    }

    #[test]
    fn risk_follows_what_the_action_removes() {
        let s = scope();
        let scale = |to| Action {
            kind: ActionKind::Scale { namespace: "a".into(), deployment: "b".into(), from: 3, to },
            scope: s.clone(),
        };
        assert_eq!(scale(4).risk(), Risk::Change);
        assert_eq!(scale(0).risk(), Risk::Destructive);
        let del = Action { kind: ActionKind::DeletePod { namespace: "a".into(), pod: "p".into() }, scope: s };
        assert_eq!(del.risk(), Risk::Destructive);
        assert_eq!(del.target(), "p");
    }

    #[test]
    fn db_actions_follow_topology() {
        use crate::model::DbInstance;
        let base = DbInstance {
            id: "w".into(),
            status: "available".into(),
            class: "db.r6g.large".into(),
            engine: "postgres".into(),
            engine_version: "15".into(),
            multi_az: false,
            az: "a".into(),
            secondary_az: None,
            endpoint: String::new(),
            allocated_gib: 100,
            replica_of: None,
            cluster: Some("c".into()),
            replicas: vec!["r".into()],
            pending_modifications: vec![],
            backup_retention_days: 7,
            arn: String::new(),
        };
        let reader = DbInstance { id: "r".into(), replica_of: Some("w".into()), replicas: vec![], ..base.clone() };
        let standalone_replica = DbInstance { cluster: None, ..reader.clone() };
        let multi_az = DbInstance { id: "m".into(), cluster: None, multi_az: true, ..base.clone() };
        let all = [&base, &reader];
        let kinds = |db: &DbInstance| -> Vec<String> {
            for_db(db, &all, "x", &scope()).into_iter().map(|a| a.title()).collect()
        };
        assert_eq!(kinds(&base), ["Take a manual cluster snapshot", "Reboot DB instance", "Fail over cluster to r"]);
        assert_eq!(kinds(&reader), ["Take a manual cluster snapshot", "Reboot DB instance"]);
        assert_eq!(kinds(&standalone_replica)[..1], ["Take a manual snapshot"]);
        assert_eq!(kinds(&standalone_replica)[2], "Promote read replica");
        assert_eq!(kinds(&multi_az)[2], "Reboot with failover (Multi-AZ)");
        let rebooting = DbInstance { status: "rebooting".into(), ..base.clone() };
        assert_eq!(kinds(&rebooting), ["Take a manual cluster snapshot"]);
        // Cluster members are snapshotted as their cluster; others alone.
        let snap = &for_db(&reader, &all, "20260101-0000", &scope())[0];
        assert_eq!(snap.target(), "c");
        assert_eq!(snap.target_label(), "RDS cluster c");
        assert_eq!(snap.risk(), Risk::Change);
        assert_eq!(
            snap.cli(),
            "aws rds create-db-cluster-snapshot --profile oncall --region eu-west-1 --db-cluster-identifier c \
             --db-cluster-snapshot-identifier c-warroom-20260101-0000"
        );
        let snap = &for_db(&multi_az, &all, "20260101-0000", &scope())[0];
        assert_eq!(
            snap.cli(),
            "aws rds create-db-snapshot --profile oncall --region eu-west-1 --db-instance-identifier m \
             --db-snapshot-identifier m-warroom-20260101-0000"
        );
        let failover = &for_db(&base, &all, "x", &scope())[2];
        assert_eq!(failover.risk(), Risk::Destructive);
        assert_eq!(failover.target(), "c", "the cluster's name is typed to confirm");
        assert_eq!(
            failover.cli(),
            "aws rds failover-db-cluster --profile oncall --region eu-west-1 --db-cluster-identifier c --target-db-instance-identifier r"
        );
    }

    #[test]
    fn a_scaled_down_deployment_offers_its_restore() {
        use crate::model::{Deployment, Rollout};
        let pod = crate::model::Pod {
            namespace: "shop".into(),
            name: "backend-1".into(),
            ..crate::fixtures::synthetic_pod(1, 0)
        };
        let dep = Deployment {
            namespace: "shop".into(),
            name: "backend".into(),
            desired: 0,
            ready: 0,
            updated: 0,
            available: 0,
            rollout: Rollout::Complete,
            selector: "app=backend".into(),
            restore_to: Some(4),
            revision: None,
        };
        let titles = |d: &Deployment| -> Vec<String> {
            for_pod(&pod, Some(d), &scope()).into_iter().map(|a| a.title()).collect()
        };
        let offered = titles(&dep);
        assert!(offered.contains(&"Restore the 4 replicas before the scale-down".to_string()), "{offered:?}");
        assert!(!offered.iter().any(|t| t.starts_with("Scale down") || t.ends_with("to zero")), "{offered:?}");
        let restore = for_pod(&pod, Some(&dep), &scope()).into_iter().find(|a| a.title().starts_with("Restore"));
        let restore = restore.unwrap();
        assert_eq!(restore.risk(), Risk::Change);
        assert_eq!(
            restore.cli(),
            "kubectl --context prod -n shop scale deployment/backend --current-replicas=0 --replicas=4"
        );
        // Once restored (or scaled back by hand) there is nothing to restore.
        let restored = Deployment { desired: 4, ..dep.clone() };
        assert!(!titles(&restored).iter().any(|t| t.starts_with("Restore")));
        // Without its deployment only the pod's and namespace's own actions.
        let alone: Vec<String> = for_pod(&pod, None, &scope()).into_iter().map(|a| a.title()).collect();
        assert_eq!(
            alone,
            [
                "Collect pod logs as evidence",
                "Delete pod",
                "Isolate namespace shop (no traffic)",
                "Lift the isolation of namespace shop"
            ]
        );
        let isolate = &for_pod(&pod, None, &scope())[2];
        assert_eq!((isolate.risk(), isolate.target()), (Risk::Destructive, "shop"));
    }

    #[test]
    fn cli_names_context_profile_and_region() {
        let a = Action {
            kind: ActionKind::RolloutRestart { namespace: "shop".into(), deployment: "backend".into() },
            scope: scope(),
        };
        assert_eq!(a.cli(), "kubectl --context prod -n shop rollout restart deployment/backend");
        let r = Action { kind: ActionKind::FailoverDb { id: "orders-db".into() }, scope: scope() };
        assert_eq!(
            r.cli(),
            "aws rds reboot-db-instance --profile oncall --region eu-west-1 --db-instance-identifier orders-db --force-failover"
        );
        assert_eq!(r.scope_label(), "account 123456789012 · region eu-west-1");
        let no_profile = Scope { aws_profile: String::new(), ..scope() };
        let r = Action { kind: ActionKind::RebootDb { id: "orders-db".into() }, scope: no_profile };
        assert_eq!(r.cli(), "aws rds reboot-db-instance --region eu-west-1 --db-instance-identifier orders-db");
    }
}
