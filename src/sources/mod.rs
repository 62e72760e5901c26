//! Live data: every source is a task that owns its client and sends typed
//! [`SourceUpdate`]s on a bounded channel. Sources never touch UI state.

pub mod clock;
pub mod demo;

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::model::{Alarm, DbInstance, Deployment, KubeEvent, Pod, TrailEvent};

/// Which panel a source feeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SourceId {
    Kube,
    Rds,
    Alarms,
    Trail,
}

impl SourceId {
    pub const ALL: [SourceId; 4] = [SourceId::Kube, SourceId::Rds, SourceId::Alarms, SourceId::Trail];

    pub fn label(self) -> &'static str {
        match self {
            SourceId::Kube => "kube",
            SourceId::Rds => "rds",
            SourceId::Alarms => "alarms",
            SourceId::Trail => "trail",
        }
    }
}

/// What a source learned, or why it could not.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceUpdate {
    pub source: SourceId,
    pub at: DateTime<Utc>,
    pub payload: Result<Payload, SourceError>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Payload {
    /// The full pod list (a watch's initial list or a re-list).
    PodsReset(Vec<Pod>),
    /// One pod added or changed.
    PodApplied(Pod),
    PodDeleted {
        namespace: String,
        name: String,
    },
    Deployments(Vec<Deployment>),
    /// Recent Warning events, newest first, replacing the previous set.
    KubeEvents(Vec<KubeEvent>),
    Databases(Vec<DbInstance>),
    Alarms(Vec<Alarm>),
    /// New CloudTrail events; already-seen ids are ignored.
    TrailEvents(Vec<TrailEvent>),
}

/// A failed fetch: shown in the source's panel, retried by the source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceError {
    pub message: String,
    pub retry_in: Option<Duration>,
}

/// Where the console is pointed, for the status bar and action scopes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Environment {
    pub kube_context: String,
    pub namespace: String,
    pub aws_profile: String,
    pub aws_region: String,
    pub aws_account: String,
    /// Set for the built-in demo so nobody mistakes it for production.
    pub demo: bool,
}
