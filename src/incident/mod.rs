//! The incident record: what was started, changed, asked for, confirmed,
//! run and resolved, as a sequence of [`IncidentEvent`]s.
//!
//! The UI never changes this state in place. `App::update` emits an effect
//! to record an event; the runtime hands it to a [`Recorder`], which
//! answers with the numbered [`Entry`]; only then is it applied here, with
//! [`IncidentState::apply`]. So what the screen shows was recorded first,
//! and folding the recorded entries ([`IncidentState::fold`]) rebuilds
//! exactly the state the console had.

pub mod journal;
pub mod postmortem;
pub mod recorder;
pub mod timeline;

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use crate::actions::{Action, ActionError, ActionOutput, Origin};
use crate::model::AlarmState;

pub use recorder::{MemoryRecorder, RecordError, Recorder};

/// The version of [`Entry`]'s serialised form.
pub const FORMAT_VERSION: u32 = 1;

/// Incident severities and their response targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Severity {
    P1,
    P2,
    P3,
    P4,
}

impl Severity {
    pub const ALL: [Severity; 4] = [Severity::P1, Severity::P2, Severity::P3, Severity::P4];

    pub fn label(self) -> &'static str {
        match self {
            Severity::P1 => "P1",
            Severity::P2 => "P2",
            Severity::P3 => "P3",
            Severity::P4 => "P4",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Severity::P1 => "critical: customer-facing outage, respond within 15 min",
            Severity::P2 => "major: degraded service, respond within 1 h",
            Severity::P3 => "minor: limited impact, respond within 4 h",
            Severity::P4 => "low: no user impact, respond within 24 h",
        }
    }

    /// Response target: P1 15 min, P2 1 h, P3 4 h, P4 24 h.
    pub fn target(self) -> TimeDelta {
        match self {
            Severity::P1 => TimeDelta::minutes(15),
            Severity::P2 => TimeDelta::hours(1),
            Severity::P3 => TimeDelta::hours(4),
            Severity::P4 => TimeDelta::hours(24),
        }
    }

    /// The target as people say it: `15 min`, `4 h`.
    pub fn target_label(self) -> String {
        let m = self.target().num_minutes();
        if m < 60 { format!("{m} min") } else { format!("{} h", m / 60) }
    }

    /// How a response clock showing `elapsed` stands against the target:
    /// near it in the last quarter (the last 3:45 of a P1's 15 minutes),
    /// over it once past. Both the status bar and the checklist colour
    /// the clock by this.
    pub fn clock(self, elapsed: TimeDelta) -> Clock {
        let target = self.target();
        if elapsed > target {
            Clock::Over
        } else if (target - elapsed) * 4 <= target {
            Clock::Near
        } else {
            Clock::Within
        }
    }
}

/// A response clock against its severity's target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clock {
    Within,
    Near,
    Over,
}

/// Something that happened, as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum IncidentEvent {
    Started {
        id: String,
        severity: Severity,
        /// The playbook it follows.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        playbook: Option<String>,
        /// What it is about, when known (the alarm it started from).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        title: Option<String>,
        /// When it began, if before it was recorded (the alarm's
        /// transition): its clock runs from then.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        since: Option<DateTime<Utc>>,
    },
    SeverityChanged {
        from: Severity,
        to: Severity,
        /// The playbook it follows from now on, if that changed too (the
        /// new severity's checklist).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        playbook: Option<String>,
    },
    /// A playbook step ticked by hand.
    StepTicked {
        step: String,
    },
    /// A tick taken back.
    StepUnticked {
        step: String,
    },
    StepSkipped {
        step: String,
        reason: String,
    },
    /// A check step's result changed while the incident ran.
    CheckChanged {
        step: String,
        result: crate::playbook::CheckResult,
    },
    Resolved,
    /// A confirmation dialog opened for a fully built action.
    ActionRequested {
        action_id: u64,
        action: Action,
        origin: Origin,
    },
    /// Confirmed by the engineer; with `dry_run` it is not executed.
    ActionConfirmed {
        action_id: u64,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        dry_run: bool,
    },
    ActionCancelled {
        action_id: u64,
    },
    ActionSucceeded {
        action_id: u64,
        output: ActionOutput,
    },
    ActionFailed {
        action_id: u64,
        error: ActionError,
    },
    /// The console ended while the action was still running: its effect
    /// is unknown.
    ActionAbandoned {
        action_id: u64,
        reason: String,
    },
    /// A pod began or stopped crash-looping while the incident ran.
    CrashLoopChanged {
        /// `namespace/name`.
        pod: String,
        looping: bool,
        /// Its status then (`CrashLoopBackOff`, `Running`, `deleted`).
        status: String,
        restarts: u32,
    },
    /// What the engineer wrote down, as typed (several lines).
    Note {
        text: String,
    },
    /// An alarm changed state while the incident ran (seen between two
    /// polls); `since` is when CloudWatch says it did.
    AlarmChanged {
        alarm: String,
        from: AlarmState,
        to: AlarmState,
        reason: String,
        since: DateTime<Utc>,
    },
}

impl IncidentEvent {
    /// The action the event is about, if any.
    pub fn action_id(&self) -> Option<u64> {
        match self {
            IncidentEvent::ActionRequested { action_id, .. }
            | IncidentEvent::ActionConfirmed { action_id, .. }
            | IncidentEvent::ActionCancelled { action_id }
            | IncidentEvent::ActionSucceeded { action_id, .. }
            | IncidentEvent::ActionFailed { action_id, .. }
            | IncidentEvent::ActionAbandoned { action_id, .. } => Some(*action_id),
            IncidentEvent::Started { .. }
            | IncidentEvent::SeverityChanged { .. }
            | IncidentEvent::StepTicked { .. }
            | IncidentEvent::StepUnticked { .. }
            | IncidentEvent::StepSkipped { .. }
            | IncidentEvent::CheckChanged { .. }
            | IncidentEvent::Resolved
            | IncidentEvent::Note { .. }
            | IncidentEvent::CrashLoopChanged { .. }
            | IncidentEvent::AlarmChanged { .. } => None,
        }
    }
}

/// One recorded event: its place in the sequence, when it was recorded
/// and, in a journal, by whom.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub v: u32,
    pub seq: u64,
    pub at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<Actor>,
    #[serde(flatten)]
    pub event: IncidentEvent,
}

/// Who recorded an entry: the local user and host, and where known the
/// AWS caller and the Kubernetes user the console acts as.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub user: String,
    pub host: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aws: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kube: Option<String>,
}

impl Actor {
    /// This process's user and host (`$USER`, the kernel's host name).
    pub fn local() -> Actor {
        let user = ["USER", "LOGNAME"]
            .iter()
            .find_map(|v| std::env::var(v).ok().filter(|s| !s.is_empty()))
            .unwrap_or_else(|| "unknown".into());
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .ok()
            .map(|h| h.trim().to_string())
            .or_else(|| std::env::var("HOSTNAME").ok())
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "unknown".into());
        Actor { user, host, aws: None, kube: None }
    }
}

/// An incident as the record describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incident {
    pub id: String,
    pub severity: Severity,
    pub started: DateTime<Utc>,
    /// Every severity it had, from when.
    pub severities: Vec<(DateTime<Utc>, Severity)>,
    pub resolved: Option<DateTime<Utc>>,
    /// Alarm state changes seen while it ran, in order.
    pub alarm_changes: Vec<AlarmChange>,
    /// The playbook it follows.
    pub playbook: Option<String>,
    pub title: Option<String>,
    /// Each playbook step's state, by step id (steps of the severities it
    /// had before keep theirs).
    pub steps: std::collections::BTreeMap<String, StepState>,
    /// Notes, in the order written.
    pub notes: Vec<(DateTime<Utc>, String)>,
}

/// Where a playbook step stands in an incident.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StepState {
    /// Ticked by hand, and when.
    pub ticked: Option<DateTime<Utc>>,
    /// Skipped, when and why.
    pub skipped: Option<(DateTime<Utc>, String)>,
    /// A check's last recorded result, and since when.
    pub check: Option<(DateTime<Utc>, crate::playbook::CheckResult)>,
}

impl StepState {
    /// Done: ticked, skipped, or a check that passes.
    pub fn done(&self) -> bool {
        self.ticked.is_some() || self.skipped.is_some() || self.check.as_ref().is_some_and(|(_, r)| r.passed())
    }
}

/// An alarm's change of state, as the incident saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlarmChange {
    /// When the console saw it.
    pub seen: DateTime<Utc>,
    pub alarm: String,
    pub from: AlarmState,
    pub to: AlarmState,
}

/// Where an action stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActionStatus {
    /// The dialog is open.
    Requested,
    Cancelled,
    /// Confirmed and executing.
    Running,
    /// Confirmed under `--dry-run`: not executed.
    DryRun,
    Succeeded(ActionOutput),
    Failed(ActionError),
    Abandoned(String),
}

impl ActionStatus {
    /// Whether the action was confirmed (it belongs in the results).
    pub fn confirmed(&self) -> bool {
        !matches!(self, ActionStatus::Requested | ActionStatus::Cancelled)
    }
}

/// One action's story.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionRecord {
    pub id: u64,
    pub action: Action,
    pub origin: Origin,
    /// The incident running when it was requested.
    pub incident: Option<String>,
    pub requested: DateTime<Utc>,
    /// When its status last changed.
    pub updated: DateTime<Utc>,
    pub status: ActionStatus,
}

/// Why an entry cannot follow the ones before it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FoldError {
    #[error("entry {got} out of sequence (expected {expected})")]
    OutOfSequence { expected: u64, got: u64 },
    #[error("entry {seq}: format version {v} is newer than this console's ({FORMAT_VERSION})")]
    Version { seq: u64, v: u32 },
    #[error("entry {seq}: an incident is already running")]
    AlreadyRunning { seq: u64 },
    #[error("entry {seq}: no incident is running")]
    NoIncident { seq: u64 },
    #[error("entry {seq}: action {action_id} was never requested")]
    UnknownAction { seq: u64, action_id: u64 },
    #[error("entry {seq}: action {action_id} was requested twice")]
    DuplicateAction { seq: u64, action_id: u64 },
    #[error("entry {seq}: action {action_id} cannot go from {from} to {to}")]
    Transition { seq: u64, action_id: u64, from: &'static str, to: &'static str },
}

/// The state the record describes: a pure fold over its entries.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IncidentState {
    last_seq: u64,
    current: Option<Incident>,
    /// Incidents resolved earlier, oldest first.
    pub resolved: Vec<Incident>,
    /// Every action asked for, in the order asked.
    pub actions: Vec<ActionRecord>,
}

fn status_name(s: &ActionStatus) -> &'static str {
    match s {
        ActionStatus::Requested => "requested",
        ActionStatus::Cancelled => "cancelled",
        ActionStatus::Running => "running",
        ActionStatus::DryRun => "dry-run",
        ActionStatus::Succeeded(_) => "succeeded",
        ActionStatus::Failed(_) => "failed",
        ActionStatus::Abandoned(_) => "abandoned",
    }
}

impl IncidentState {
    /// Rebuilds the state from recorded entries, in order.
    pub fn fold<'a>(entries: impl IntoIterator<Item = &'a Entry>) -> Result<Self, FoldError> {
        let mut state = IncidentState::default();
        for e in entries {
            state.apply(e)?;
        }
        Ok(state)
    }

    /// The running incident.
    pub fn current(&self) -> Option<&Incident> {
        self.current.as_ref()
    }

    /// The sequence number of the last entry applied.
    pub fn last_seq(&self) -> u64 {
        self.last_seq
    }

    /// The id for the next action asked for.
    pub fn next_action_id(&self) -> u64 {
        self.actions.iter().map(|a| a.id).max().unwrap_or(0) + 1
    }

    pub fn action(&self, id: u64) -> Option<&ActionRecord> {
        self.actions.iter().rev().find(|a| a.id == id)
    }

    /// Confirmed actions, newest first: the results the console shows.
    pub fn results(&self) -> impl Iterator<Item = &ActionRecord> {
        self.actions.iter().rev().filter(|a| a.status.confirmed())
    }

    /// Actions confirmed and not yet finished.
    pub fn in_flight(&self) -> impl Iterator<Item = &ActionRecord> {
        self.actions.iter().filter(|a| a.status == ActionStatus::Running)
    }

    /// Applies the next recorded entry.
    pub fn apply(&mut self, entry: &Entry) -> Result<(), FoldError> {
        let seq = entry.seq;
        if entry.v > FORMAT_VERSION {
            return Err(FoldError::Version { seq, v: entry.v });
        }
        if seq != self.last_seq + 1 {
            return Err(FoldError::OutOfSequence { expected: self.last_seq + 1, got: seq });
        }
        let at = entry.at;
        match &entry.event {
            IncidentEvent::Started { id, severity, playbook, title, since } => {
                if self.current.is_some() {
                    return Err(FoldError::AlreadyRunning { seq });
                }
                let started = since.map_or(at, |s| s.min(at));
                self.current = Some(Incident {
                    id: id.clone(),
                    severity: *severity,
                    started,
                    severities: vec![(started, *severity)],
                    resolved: None,
                    alarm_changes: Vec::new(),
                    playbook: playbook.clone(),
                    title: title.clone(),
                    steps: Default::default(),
                    notes: Vec::new(),
                });
            }
            IncidentEvent::SeverityChanged { to, playbook, .. } => {
                let i = self.current.as_mut().ok_or(FoldError::NoIncident { seq })?;
                i.severity = *to;
                i.severities.push((at, *to));
                if playbook.is_some() {
                    i.playbook.clone_from(playbook);
                }
            }
            IncidentEvent::StepTicked { step } => {
                let s = self.step(seq, step)?;
                s.ticked = Some(at);
                s.skipped = None;
            }
            IncidentEvent::StepUnticked { step } => self.step(seq, step)?.ticked = None,
            IncidentEvent::StepSkipped { step, reason } => {
                let s = self.step(seq, step)?;
                s.skipped = Some((at, reason.clone()));
                s.ticked = None;
            }
            IncidentEvent::CheckChanged { step, result } => self.step(seq, step)?.check = Some((at, result.clone())),
            IncidentEvent::Resolved => {
                let mut i = self.current.take().ok_or(FoldError::NoIncident { seq })?;
                i.resolved = Some(at);
                self.resolved.push(i);
            }
            IncidentEvent::ActionRequested { action_id, action, origin } => {
                if self.action(*action_id).is_some() {
                    return Err(FoldError::DuplicateAction { seq, action_id: *action_id });
                }
                self.actions.push(ActionRecord {
                    id: *action_id,
                    action: action.clone(),
                    origin: origin.clone(),
                    incident: self.current.as_ref().map(|i| i.id.clone()),
                    requested: at,
                    updated: at,
                    status: ActionStatus::Requested,
                });
            }
            IncidentEvent::ActionConfirmed { action_id, dry_run } => {
                let to = if *dry_run { ActionStatus::DryRun } else { ActionStatus::Running };
                self.transition(seq, at, *action_id, &[ActionStatus::Requested], to)?;
            }
            IncidentEvent::ActionCancelled { action_id } => {
                self.transition(seq, at, *action_id, &[ActionStatus::Requested], ActionStatus::Cancelled)?;
            }
            IncidentEvent::ActionSucceeded { action_id, output } => {
                let to = ActionStatus::Succeeded(output.clone());
                self.transition(seq, at, *action_id, &[ActionStatus::Running], to)?;
            }
            IncidentEvent::ActionFailed { action_id, error } => {
                let to = ActionStatus::Failed(error.clone());
                self.transition(seq, at, *action_id, &[ActionStatus::Running], to)?;
            }
            IncidentEvent::ActionAbandoned { action_id, reason } => {
                let to = ActionStatus::Abandoned(reason.clone());
                self.transition(seq, at, *action_id, &[ActionStatus::Running], to)?;
            }
            IncidentEvent::CrashLoopChanged { .. } => {
                self.current.as_ref().ok_or(FoldError::NoIncident { seq })?;
            }
            IncidentEvent::Note { text } => {
                let i = self.current.as_mut().ok_or(FoldError::NoIncident { seq })?;
                i.notes.push((at, text.clone()));
            }
            IncidentEvent::AlarmChanged { alarm, from, to, .. } => {
                let i = self.current.as_mut().ok_or(FoldError::NoIncident { seq })?;
                i.alarm_changes.push(AlarmChange { seen: at, alarm: alarm.clone(), from: *from, to: *to });
            }
        }
        self.last_seq = seq;
        Ok(())
    }

    fn step(&mut self, seq: u64, step: &str) -> Result<&mut StepState, FoldError> {
        let i = self.current.as_mut().ok_or(FoldError::NoIncident { seq })?;
        Ok(i.steps.entry(step.to_string()).or_default())
    }

    fn transition(
        &mut self,
        seq: u64,
        at: DateTime<Utc>,
        action_id: u64,
        from: &[ActionStatus],
        to: ActionStatus,
    ) -> Result<(), FoldError> {
        let a = self
            .actions
            .iter_mut()
            .rev()
            .find(|a| a.id == action_id)
            .ok_or(FoldError::UnknownAction { seq, action_id })?;
        if !from.contains(&a.status) {
            return Err(FoldError::Transition { seq, action_id, from: status_name(&a.status), to: status_name(&to) });
        }
        a.status = to;
        a.updated = at;
        Ok(())
    }
}

#[cfg(test)]
mod tests;
