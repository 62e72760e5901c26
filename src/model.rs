//! Domain types the panels show, independent of where they came from.
//!
//! Sources (the demo world now, kube and the AWS SDKs later) translate their
//! wire types into these; the UI and checks only ever see these.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

mod pod;
pub use pod::{Conditions, Container, ContainerState, Count, Pod, Printed, RECENT, STUCK_AFTER, Seen, Termination};

/// How bad something is; ordering puts the worst first when sorted ascending.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Health {
    Crit,
    Warn,
    Unknown,
    Ok,
}

/// A deployment's replicas and where its rollout stands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Deployment {
    pub namespace: String,
    pub name: String,
    pub desired: u32,
    pub ready: u32,
    pub updated: u32,
    pub available: u32,
    pub rollout: Rollout,
    /// Its pod selector as `kubectl -l` takes it (`app=backend`).
    pub selector: String,
    /// The replica count before a scale-down from this console, kept on
    /// the deployment until it is restored.
    pub restore_to: Option<u32>,
    /// Its revision (`deployment.kubernetes.io/revision`), once the
    /// controller has set one.
    #[serde(default)]
    pub revision: Option<u32>,
}

/// Where a deployment's rollout stands, by the rules `kubectl rollout
/// status` applies, in its order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Rollout {
    #[default]
    Complete,
    /// New replicas are coming up or old ones going away.
    Progressing(Waiting),
    /// `ProgressDeadlineExceeded`: the controller gave up waiting; the
    /// condition's message says why.
    Stalled(String),
}

/// What a rollout in progress waits for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Waiting {
    /// The controller has not observed the newest spec yet.
    SpecUpdate,
    /// Fewer replicas than desired run the new template.
    Updated { updated: u32, desired: u32 },
    /// Replicas of old templates are still there.
    OldPending(u32),
    /// Not every updated replica is available yet.
    Available { available: u32, updated: u32 },
}

impl Deployment {
    /// What `kubectl rollout status` prints for it, word for word.
    pub fn rollout_status(&self) -> String {
        let name = &self.name;
        let waiting = |what: String| format!("Waiting for deployment \"{name}\" rollout to finish: {what}...");
        match &self.rollout {
            Rollout::Complete => format!("deployment \"{name}\" successfully rolled out"),
            Rollout::Stalled(_) => format!("error: deployment \"{name}\" exceeded its progress deadline"),
            Rollout::Progressing(Waiting::SpecUpdate) => "Waiting for deployment spec update to be observed...".into(),
            Rollout::Progressing(Waiting::Updated { updated, desired }) => {
                waiting(format!("{updated} out of {desired} new replicas have been updated"))
            }
            Rollout::Progressing(Waiting::OldPending(n)) => {
                waiting(format!("{n} old replicas are pending termination"))
            }
            Rollout::Progressing(Waiting::Available { available, updated }) => {
                waiting(format!("{available} of {updated} updated replicas are available"))
            }
        }
    }

    /// The strip's short words for a rollout in progress: `2/3 updated`,
    /// `rolling, 1 old left`, `2/3 available`.
    pub fn rollout_short(&self) -> Option<String> {
        match &self.rollout {
            Rollout::Complete => None,
            Rollout::Stalled(_) => Some("stalled".into()),
            Rollout::Progressing(Waiting::SpecUpdate) => Some("rolling".into()),
            Rollout::Progressing(Waiting::Updated { updated, desired }) => {
                Some(format!("rolling {updated}/{desired} updated"))
            }
            Rollout::Progressing(Waiting::OldPending(n)) => Some(format!("rolling, {n} old left")),
            Rollout::Progressing(Waiting::Available { available, updated }) => {
                // Every replica runs the newest template: nothing rolls,
                // some are not available (crashing, not ready).
                Some(format!("{available}/{updated} available"))
            }
        }
    }

    pub fn health(&self) -> Health {
        if matches!(self.rollout, Rollout::Stalled(_)) || (self.ready == 0 && self.desired > 0) {
            Health::Crit
        } else if self.ready < self.desired || self.available < self.desired {
            Health::Warn
        } else {
            Health::Ok
        }
    }

    /// The restore count, when it differs from what is desired now.
    pub fn restorable(&self) -> Option<u32> {
        self.restore_to.filter(|n| *n != self.desired)
    }
}

/// A deployment's ReplicaSet: one revision of its pod template.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReplicaSet {
    pub namespace: String,
    pub name: String,
    /// The deployment that owns it.
    pub deployment: Option<String>,
    /// `deployment.kubernetes.io/revision`.
    pub revision: Option<u32>,
    /// `spec.replicas`.
    pub desired: u32,
    /// `status.replicas`: its pods that exist and are not terminating.
    pub replicas: u32,
    pub ready: u32,
    pub available: u32,
    pub created: DateTime<Utc>,
}

impl ReplicaSet {
    pub fn key(&self) -> String {
        format!("{}/{}", self.namespace, self.name)
    }

    /// As `kubectl describe deployment` names it: `web-7d4b9c (2/3
    /// replicas created)`.
    /// How new it is, as a deployment's ReplicaSets are ordered when its
    /// own revision does not say which is new: the revision, then when it
    /// was made, then the name (so the order is total).
    pub fn newness(&self) -> (Option<u32>, DateTime<Utc>, &str) {
        (self.revision, self.created, &self.name)
    }

    pub fn describe(&self) -> String {
        format!("{} ({}/{} replicas created)", self.name, self.replicas, self.desired)
    }
}

/// How a pod ranks as what holds a rollout up: its health, whether it is
/// of an old ReplicaSet, when it was created, its name.
pub type HoldupRank<'p> = (Health, bool, DateTime<Utc>, &'p str);

/// A deployment's ReplicaSets as `kubectl describe deployment` divides
/// them: the new one (the deployment's revision) and the old ones that
/// still have pods, newest first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Revisions<'a> {
    pub new: Option<&'a ReplicaSet>,
    pub old: Vec<&'a ReplicaSet>,
    /// Old ReplicaSets scaled to zero: the revision history.
    pub history: usize,
}

impl Deployment {
    /// Sorts `sets` (any ReplicaSets; those of other deployments are left
    /// out) into the new one and the old ones. The new one carries the
    /// deployment's revision; without one known, the highest.
    pub fn revisions<'a>(&self, sets: impl IntoIterator<Item = &'a ReplicaSet>) -> Revisions<'a> {
        let mut own: Vec<&ReplicaSet> = sets
            .into_iter()
            .filter(|r| r.namespace == self.namespace && r.deployment.as_deref() == Some(self.name.as_str()))
            .collect();
        own.sort_by(|a, b| b.newness().cmp(&a.newness()));
        let new_at = match self.revision {
            Some(rev) => own.iter().position(|r| r.revision == Some(rev)),
            None if own.is_empty() => None,
            None => Some(0),
        };
        let new = new_at.map(|i| own.remove(i));
        let (old, history): (Vec<_>, Vec<_>) = own.into_iter().partition(|r| r.replicas > 0 || r.desired > 0);
        Revisions { new, old, history: history.len() }
    }

    /// Whether it is short of what it wants: a rollout not finished, or
    /// fewer replicas available than desired.
    pub fn short(&self) -> bool {
        self.rollout != Rollout::Complete || self.available < self.desired
    }

    /// How a pod ranks as what holds this deployment up, lowest first:
    /// failing before warning, the new ReplicaSet's (`new`) before old
    /// ones, the longest-waiting first. `None` for a pod of another
    /// deployment, a healthy one, or one going away.
    pub fn holdup_rank<'p>(&self, pod: &'p Pod, new: Option<&str>) -> Option<HoldupRank<'p>> {
        if *pod.namespace != *self.namespace || pod.deployment.as_deref() != Some(self.name.as_str()) || pod.deleting {
            return None;
        }
        let health = pod.health();
        if health == Health::Ok {
            return None;
        }
        let old = new.is_some() && pod.replica_set.as_deref() != new;
        Some((health, old, pod.created, pod.name.as_str()))
    }

    /// The first pod holding its rollout up, by [`Deployment::holdup_rank`];
    /// `None` when it is not [short](Deployment::short).
    pub fn held_up_by<'a>(&self, pods: impl IntoIterator<Item = &'a Pod>, new: Option<&str>) -> Option<&'a Pod> {
        if !self.short() {
            return None;
        }
        pods.into_iter()
            .filter_map(|p| Some((self.holdup_rank(p, new)?, p)))
            .min_by(|a, b| a.0.cmp(&b.0))
            .map(|(_, p)| p)
    }
}

/// A Kubernetes event (only Warnings are kept for the panel).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KubeEvent {
    pub namespace: String,
    /// The Event object's own name: one object can have several events
    /// with the same reason (a message that changed, a new series), so
    /// rows are grouped for display ([`group_warnings`]), not keyed by it.
    pub name: String,
    /// `Pod/backend-6c7d…` style reference.
    pub object: String,
    pub reason: String,
    pub message: String,
    /// How many times it happened (the series' count where there is one).
    pub count: u32,
    pub last_seen: DateTime<Utc>,
    pub warning: bool,
}

impl KubeEvent {
    /// The Event object: its namespace and name.
    pub fn key(&self) -> String {
        format!("{}/{}", self.namespace, self.name)
    }
}

/// The Warning events of one involved object, as the events strip and the
/// pod details show them.
#[derive(Debug, Clone, PartialEq)]
pub struct WarningGroup {
    pub namespace: String,
    /// `Kind/name`.
    pub object: String,
    /// All its events' counts together.
    pub count: u32,
    pub last_seen: DateTime<Utc>,
    /// One entry per reason, the most recent first.
    pub reasons: Vec<ReasonCount>,
}

/// The events of one object with one reason, together.
#[derive(Debug, Clone, PartialEq)]
pub struct ReasonCount {
    pub reason: String,
    pub count: u32,
    pub last_seen: DateTime<Utc>,
    /// The most recent event's message.
    pub message: String,
}

/// Groups Warning events seen at or after `since` by involved object and,
/// within one, by reason; the most recently active object first (ties by
/// namespace and object, so the order is stable).
pub fn group_warnings<'a>(events: impl IntoIterator<Item = &'a KubeEvent>, since: DateTime<Utc>) -> Vec<WarningGroup> {
    let mut index: std::collections::HashMap<(&str, &str), usize> = std::collections::HashMap::new();
    let mut groups: Vec<WarningGroup> = Vec::new();
    for e in events.into_iter().filter(|e| e.warning && e.last_seen >= since) {
        let i = *index.entry((e.namespace.as_str(), e.object.as_str())).or_insert_with(|| {
            groups.push(WarningGroup {
                namespace: e.namespace.clone(),
                object: e.object.clone(),
                count: 0,
                last_seen: e.last_seen,
                reasons: Vec::new(),
            });
            groups.len() - 1
        });
        let g = &mut groups[i];
        g.count = g.count.saturating_add(e.count);
        g.last_seen = g.last_seen.max(e.last_seen);
        match g.reasons.iter_mut().find(|r| r.reason == e.reason) {
            Some(r) => {
                r.count = r.count.saturating_add(e.count);
                if (e.last_seen, &r.message) > (r.last_seen, &e.message) {
                    r.last_seen = e.last_seen;
                    r.message.clone_from(&e.message);
                }
            }
            None => g.reasons.push(ReasonCount {
                reason: e.reason.clone(),
                count: e.count,
                last_seen: e.last_seen,
                message: e.message.clone(),
            }),
        }
    }
    for g in &mut groups {
        g.reasons.sort_by(|a, b| b.last_seen.cmp(&a.last_seen).then_with(|| a.reason.cmp(&b.reason)));
    }
    groups.sort_by(|a, b| {
        b.last_seen.cmp(&a.last_seen).then_with(|| (&a.namespace, &a.object).cmp(&(&b.namespace, &b.object)))
    });
    groups
}

/// Who the AWS credentials are (STS GetCallerIdentity), and the region
/// the calls go to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AwsCaller {
    pub account: String,
    /// `arn:aws:sts::123456789012:assumed-role/oncall/alice`.
    pub arn: String,
    pub region: String,
}

/// One RDS DB instance as DescribeDBInstances describes it. Its metrics
/// are a feed of their own ([`DbMetrics`]); [`Db`] joins the two.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DbInstance {
    pub id: String,
    pub status: String,
    pub class: String,
    pub engine: String,
    pub engine_version: String,
    pub multi_az: bool,
    pub az: String,
    pub secondary_az: Option<String>,
    pub endpoint: String,
    pub allocated_gib: u32,
    /// Identifier of the primary (or cluster writer) when this instance
    /// reads from another.
    pub replica_of: Option<String>,
    /// The DB cluster this instance belongs to (Multi-AZ DB cluster or
    /// Aurora), if any; its writer/reader roles can fail over.
    pub cluster: Option<String>,
    pub replicas: Vec<String>,
    pub pending_modifications: Vec<String>,
    pub backup_retention_days: u32,
    pub arn: String,
}

impl DbInstance {
    pub fn role(&self) -> &'static str {
        match (&self.cluster, &self.replica_of) {
            (Some(_), None) => "writer",
            (Some(_), Some(_)) => "reader",
            (None, None) => "primary",
            (None, Some(_)) => "replica",
        }
    }

    /// Health from the instance's status alone.
    pub fn health(&self) -> Health {
        match self.status.as_str() {
            "available" => Health::Ok,
            "failed"
            | "inaccessible-encryption-credentials"
            | "incompatible-parameters"
            | "incompatible-restore"
            | "restore-error"
            | "storage-full"
            | "stopped" => Health::Crit,
            _ => Health::Warn,
        }
    }
}

/// CloudWatch metrics of one DB instance, each series oldest point first,
/// one point per period: what the DB metrics feed delivers, keyed by the
/// instance identifier.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DbMetrics {
    pub instance: String,
    /// `CPUUtilization`, percent.
    pub cpu: Vec<f64>,
    /// `DatabaseConnections`.
    pub connections: Vec<f64>,
    /// `FreeStorageSpace`, GiB.
    pub free_storage_gib: Vec<f64>,
    /// `ReplicaLag`, seconds; empty for an instance that is not a replica.
    pub replica_lag_s: Vec<f64>,
}

/// Thresholds from the RDS runbook: CPU above 80 %, free storage below
/// 20 % or below 10 GB; replica lag past 30 s (warning) and 5 min
/// (critical); storage below 5 % is about to fill.
pub const CPU_WARN_PERCENT: f64 = 80.0;
pub const FREE_WARN_RATIO: f64 = 0.20;
pub const FREE_WARN_GIB: f64 = 10.0;
pub const FREE_CRIT_RATIO: f64 = 0.05;
pub const LAG_WARN_S: f64 = 30.0;
pub const LAG_CRIT_S: f64 = 300.0;

/// A DB instance joined with its metrics, as the RDS panel and checks see
/// it. The live state keeps the join current as either feed changes.
#[derive(Debug, Clone, PartialEq)]
pub struct Db {
    pub instance: DbInstance,
    /// `None` until the metrics feed has described the instance.
    pub metrics: Option<DbMetrics>,
}

impl Db {
    fn latest(&self, series: fn(&DbMetrics) -> &Vec<f64>) -> Option<f64> {
        self.metrics.as_ref().and_then(|m| series(m).last().copied())
    }

    pub fn cpu(&self) -> Option<f64> {
        self.latest(|m| &m.cpu)
    }

    pub fn connections(&self) -> Option<f64> {
        self.latest(|m| &m.connections)
    }

    pub fn free_gib(&self) -> Option<f64> {
        self.latest(|m| &m.free_storage_gib)
    }

    /// Free storage as a fraction of the allocation.
    pub fn free_ratio(&self) -> Option<f64> {
        self.free_gib().map(|f| f / f64::from(self.instance.allocated_gib.max(1)))
    }

    pub fn replica_lag_s(&self) -> Option<f64> {
        self.latest(|m| &m.replica_lag_s)
    }

    /// Whether the CPU is past the runbook's threshold.
    pub fn cpu_high(&self) -> bool {
        self.cpu().is_some_and(|c| c > CPU_WARN_PERCENT)
    }

    /// Whether free storage is below the runbook's threshold.
    pub fn storage_low(&self) -> bool {
        self.free_ratio().is_some_and(|r| r < FREE_WARN_RATIO) || self.free_gib().is_some_and(|f| f < FREE_WARN_GIB)
    }

    /// Whether replica lag is past the runbook's warning threshold.
    pub fn lag_high(&self) -> bool {
        self.replica_lag_s().is_some_and(|l| l > LAG_WARN_S)
    }

    /// The worst of the instance's status and what its latest metrics say;
    /// metrics count only while the instance is available.
    pub fn health(&self) -> Health {
        let status = self.instance.health();
        if status != Health::Ok {
            return status;
        }
        let lag = self.replica_lag_s().unwrap_or(0.0);
        if self.free_ratio().is_some_and(|r| r < FREE_CRIT_RATIO) || lag > LAG_CRIT_S {
            Health::Crit
        } else if self.storage_low() || self.cpu_high() || self.lag_high() {
            Health::Warn
        } else {
            Health::Ok
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum AlarmState {
    Alarm,
    InsufficientData,
    Ok,
}

impl AlarmState {
    pub fn label(self) -> &'static str {
        match self {
            AlarmState::Alarm => "ALARM",
            AlarmState::InsufficientData => "INSUFFICIENT_DATA",
            AlarmState::Ok => "OK",
        }
    }

    pub fn health(self) -> Health {
        match self {
            AlarmState::Alarm => Health::Crit,
            AlarmState::InsufficientData => Health::Unknown,
            AlarmState::Ok => Health::Ok,
        }
    }
}

/// A CloudWatch alarm: a metric alarm, or a composite one (a `rule` over
/// other alarms, with no metric of its own).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alarm {
    pub name: String,
    pub state: AlarmState,
    pub since: DateTime<Utc>,
    pub reason: String,
    /// What its author wrote about it (often the runbook link).
    #[serde(default)]
    pub description: String,
    /// A composite alarm's rule (`ALARM(a) OR ALARM(b)`).
    #[serde(default)]
    pub rule: Option<String>,
    pub namespace: String,
    pub metric: String,
    pub dimensions: Vec<(String, String)>,
    pub statistic: String,
    pub comparison: String,
    pub threshold: f64,
    pub period_s: u32,
    pub evaluation_periods: u32,
    pub actions_enabled: bool,
    pub alarm_actions: Vec<String>,
}

/// One entry of an alarm's history (DescribeAlarmHistory) or of a DB
/// instance's events (DescribeEvents), for their detail views.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub at: DateTime<Utc>,
    /// `StateUpdate`, `ConfigurationUpdate`, `Action`; an RDS event's
    /// categories (`failover, availability`).
    pub kind: String,
    pub text: String,
}

/// Whose history a detail view asks for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum HistoryOf {
    Alarm(String),
    DbInstance(String),
}

/// A CloudTrail trail and whether it is recording (GetTrailStatus).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trail {
    pub name: String,
    pub arn: String,
    pub home_region: String,
    pub multi_region: bool,
    pub logging: bool,
    /// When it last delivered log files, if ever.
    pub latest_delivery: Option<DateTime<Utc>>,
    /// Why the last delivery failed (`AccessDenied` on the bucket, …).
    pub delivery_error: Option<String>,
}

impl Trail {
    /// A trail that stopped logging is the secure-foundation runbook's
    /// P1; one that cannot deliver is a warning.
    pub fn health(&self) -> Health {
        if !self.logging {
            Health::Crit
        } else if self.delivery_error.is_some() {
            Health::Warn
        } else {
            Health::Ok
        }
    }
}

/// A CloudTrail management event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrailEvent {
    pub id: String,
    pub time: DateTime<Utc>,
    pub name: String,
    pub source: String,
    pub user: String,
    pub source_ip: String,
    pub resource: String,
    pub error_code: Option<String>,
    pub read_only: bool,
    /// The raw `CloudTrailEvent` JSON document.
    pub raw: String,
}

/// Why a CloudTrail event deserves attention, if it does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecurityFlag {
    FailedLogin,
    RootUse,
    IamChange,
    KmsChange,
    SecurityGroupChange,
    /// Alarm notifications switched off (DisableAlarmActions): an incident
    /// could go unpaged, or a cover-up.
    AlarmsMuted,
    Delete,
}

impl SecurityFlag {
    pub fn label(self) -> &'static str {
        match self {
            SecurityFlag::FailedLogin => "failed login",
            SecurityFlag::RootUse => "root",
            SecurityFlag::IamChange => "IAM change",
            SecurityFlag::KmsChange => "KMS change",
            SecurityFlag::SecurityGroupChange => "SG change",
            SecurityFlag::AlarmsMuted => "alarms muted",
            SecurityFlag::Delete => "delete",
        }
    }
}

impl TrailEvent {
    /// A console sign-in that failed (its response says `Failure`).
    pub fn is_failed_login(&self) -> bool {
        self.name == "ConsoleLogin" && (self.error_code.is_some() || self.raw.contains("\"Failure\""))
    }

    pub fn is_root(&self) -> bool {
        self.user == "root"
    }

    /// A call that changes IAM (users, roles, policies, keys).
    pub fn is_iam_change(&self) -> bool {
        !self.read_only && self.source.starts_with("iam.")
    }

    /// A call that changes a KMS key (DisableKey, ScheduleKeyDeletion, …).
    pub fn is_kms_change(&self) -> bool {
        !self.read_only && self.source.starts_with("kms.")
    }

    /// Authorize/Revoke/Create/Delete/Modify of a security group or its rules.
    pub fn is_security_group_change(&self) -> bool {
        !self.read_only && self.name.contains("SecurityGroup")
    }

    /// A `Delete*` call.
    pub fn is_delete(&self) -> bool {
        !self.read_only && self.name.starts_with("Delete")
    }

    pub fn security_flag(&self) -> Option<SecurityFlag> {
        if self.is_failed_login() {
            Some(SecurityFlag::FailedLogin)
        } else if self.is_root() {
            Some(SecurityFlag::RootUse)
        } else if self.is_iam_change() {
            Some(SecurityFlag::IamChange)
        } else if self.is_kms_change() {
            Some(SecurityFlag::KmsChange)
        } else if self.is_security_group_change() {
            Some(SecurityFlag::SecurityGroupChange)
        } else if !self.read_only && self.name == "DisableAlarmActions" {
            Some(SecurityFlag::AlarmsMuted)
        } else if self.is_delete() {
            Some(SecurityFlag::Delete)
        } else {
            None
        }
    }

    pub fn health(&self) -> Health {
        match self.security_flag() {
            Some(SecurityFlag::FailedLogin | SecurityFlag::RootUse) => Health::Crit,
            Some(_) => Health::Warn,
            None if self.error_code.is_some() => Health::Warn,
            None => Health::Ok,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deployment(name: &str, revision: Option<u32>) -> Deployment {
        Deployment {
            namespace: "shop".into(),
            name: name.into(),
            desired: 3,
            ready: 1,
            updated: 3,
            available: 1,
            rollout: Rollout::Progressing(Waiting::Available { available: 1, updated: 3 }),
            selector: format!("app={name}"),
            restore_to: None,
            revision,
        }
    }

    fn set(deployment: &str, hash: &str, revision: Option<u32>, desired: u32, replicas: u32) -> ReplicaSet {
        ReplicaSet {
            namespace: "shop".into(),
            name: format!("{deployment}-{hash}"),
            deployment: Some(deployment.into()),
            revision,
            desired,
            replicas,
            ready: replicas,
            available: replicas,
            created: crate::fixtures::t0() - chrono::TimeDelta::minutes(i64::from(revision.unwrap_or(0))),
        }
    }

    #[test]
    fn replica_sets_divide_into_new_old_and_history_as_kubectl_describe_does() {
        let sets = [
            set("web", "aaa", Some(1), 0, 0),
            set("web", "bbb", Some(2), 0, 0),
            set("web", "ccc", Some(3), 1, 2),
            set("web", "ddd", Some(4), 3, 2),
            // Another deployment's, and one of the same name elsewhere.
            set("webhook", "eee", Some(4), 3, 3),
            ReplicaSet { namespace: "other".into(), ..set("web", "fff", Some(4), 3, 3) },
        ];
        let r = deployment("web", Some(4)).revisions(&sets);
        assert_eq!(r.new.map(|s| s.name.as_str()), Some("web-ddd"));
        assert_eq!(r.old.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(), ["web-ccc"]);
        assert_eq!(r.history, 2);
        // The deployment's revision names the new one, even when it is not
        // the highest (a rollback makes an old ReplicaSet new again).
        let r = deployment("web", Some(3)).revisions(&sets);
        assert_eq!(r.new.map(|s| s.name.as_str()), Some("web-ccc"));
        assert_eq!(r.old.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(), ["web-ddd"]);
        // No revision yet: the highest.
        assert_eq!(deployment("web", None).revisions(&sets).new.map(|s| s.name.as_str()), Some("web-ddd"));
        assert_eq!(deployment("api", Some(1)).revisions(&sets), Revisions::default());
        assert_eq!(ReplicaSet::describe(&sets[3]), "web-ddd (2/3 replicas created)");
    }

    fn pod(name: &str, rs: &str, state: ContainerState, mins_old: i64) -> Pod {
        let mut p = crate::fixtures::synthetic_pod(1, 0);
        p.namespace = "shop".into();
        p.name = format!("{rs}-{name}");
        p.deployment = rs.rsplit_once('-').map(|(d, _)| d.into());
        p.replica_set = Some(rs.into());
        p.created = crate::fixtures::t0() - chrono::TimeDelta::minutes(mins_old);
        p.containers[0].ready = matches!(state, ContainerState::Running { .. });
        p.conditions.ready = p.containers[0].ready;
        p.containers[0].state = state;
        p
    }

    fn crashing() -> ContainerState {
        ContainerState::Waiting { reason: "CrashLoopBackOff".into(), message: None }
    }

    fn creating() -> ContainerState {
        ContainerState::Waiting { reason: "ContainerCreating".into(), message: None }
    }

    fn running() -> ContainerState {
        ContainerState::Running { since: crate::fixtures::t0() }
    }

    #[test]
    fn the_pod_holding_a_rollout_up_is_the_worst_of_the_new_revision_waiting_longest() {
        let d = deployment("web", Some(2));
        let new = Some("web-new");
        let held = |pods: &[Pod]| d.held_up_by(pods, new).map(|p| p.name.clone());
        let fine = pod("a", "web-new", running(), 1);
        let young = pod("b", "web-new", creating(), 1);
        let older = pod("c", "web-new", creating(), 3);
        let old_crash = pod("d", "web-old", crashing(), 90);
        let new_crash = pod("e", "web-new", crashing(), 2);
        let going = Pod { deleting: true, ..pod("f", "web-new", crashing(), 100) };
        let elsewhere = Pod { namespace: "other".into(), ..pod("g", "web-new", crashing(), 100) };
        assert_eq!(held(std::slice::from_ref(&fine)), None);
        assert_eq!(held(&[fine.clone(), young.clone(), older.clone()]), Some("web-new-c".into()));
        // Failing beats warning; the new revision's before an old one's.
        assert_eq!(held(&[young.clone(), old_crash.clone()]), Some("web-old-d".into()));
        assert_eq!(held(&[old_crash.clone(), new_crash.clone(), older.clone()]), Some("web-new-e".into()));
        // Pods going away, or of another namespace, hold nothing up.
        assert_eq!(held(&[going, elsewhere, fine]), None);
        // A deployment that has all it wants is held up by nothing.
        let done = Deployment { available: 3, ready: 3, rollout: Rollout::Complete, ..d.clone() };
        assert_eq!(done.held_up_by(&[new_crash], new), None);
    }

    #[test]
    fn muting_alarms_is_flagged() {
        let mut e = crate::fixtures::synthetic_event(1);
        e.name = "DisableAlarmActions".into();
        e.source = "monitoring.amazonaws.com".into();
        e.read_only = false;
        assert_eq!(e.security_flag(), Some(SecurityFlag::AlarmsMuted));
        e.name = "EnableAlarmActions".into();
        assert_eq!(e.security_flag(), None);
    }

    fn warning(ns: &str, name: &str, object: &str, reason: &str, count: u32, mins: i64) -> KubeEvent {
        KubeEvent {
            namespace: ns.into(),
            name: name.into(),
            object: object.into(),
            reason: reason.into(),
            message: format!("{reason} at {mins}"),
            count,
            last_seen: crate::fixtures::t0() + chrono::TimeDelta::minutes(mins),
            warning: true,
        }
    }

    #[test]
    fn warnings_group_by_object_then_reason_with_counts() {
        let events = [
            warning("shop", "a.1", "Pod/a", "BackOff", 12, 50),
            // A second event with the same reason (a new series) adds up.
            warning("shop", "a.2", "Pod/a", "BackOff", 3, 55),
            warning("shop", "a.3", "Pod/a", "Unhealthy", 4, 40),
            warning("shop", "b.1", "Pod/b", "FailedScheduling", 1, 58),
            // The same object name in another namespace is another object.
            warning("payments", "a.1", "Pod/a", "BackOff", 7, 20),
            // Older than the window: left out.
            warning("shop", "c.1", "Pod/c", "BackOff", 9, -5),
            KubeEvent { warning: false, ..warning("shop", "d.1", "Pod/d", "Pulled", 1, 59) },
        ];
        let groups = group_warnings(&events, crate::fixtures::t0());
        let seen: Vec<(&str, &str, u32)> =
            groups.iter().map(|g| (g.namespace.as_str(), g.object.as_str(), g.count)).collect();
        assert_eq!(seen, [("shop", "Pod/b", 1), ("shop", "Pod/a", 19), ("payments", "Pod/a", 7)]);
        let a = &groups[1];
        let reasons: Vec<(&str, u32, &str)> =
            a.reasons.iter().map(|r| (r.reason.as_str(), r.count, r.message.as_str())).collect();
        assert_eq!(reasons, [("BackOff", 15, "BackOff at 55"), ("Unhealthy", 4, "Unhealthy at 40")]);
        assert_eq!(a.last_seen, crate::fixtures::t0() + chrono::TimeDelta::minutes(55));
    }

    #[test]
    fn warning_groups_do_not_depend_on_the_order_events_come_in() {
        let mut events = vec![
            warning("shop", "a.1", "Pod/a", "BackOff", 1, 10),
            warning("shop", "b.1", "Pod/b", "BackOff", 1, 10),
            warning("shop", "a.2", "Pod/a", "Unhealthy", 1, 10),
            warning("shop", "a.3", "Pod/a", "Unhealthy", 2, 10),
        ];
        let first = group_warnings(&events, crate::fixtures::t0());
        events.reverse();
        assert_eq!(group_warnings(&events, crate::fixtures::t0()), first);
        assert_eq!(first.iter().map(|g| g.object.as_str()).collect::<Vec<_>>(), ["Pod/a", "Pod/b"]);
    }
}
