//! Live data: every source is a task that owns its client and sends typed
//! [`SourceUpdate`]s on a bounded channel. Sources never touch UI state.

pub mod aws;
pub mod clock;
pub mod cluster;
pub mod demo;
pub mod kube;
pub mod supervisor;

use crate::state::SourceError;
pub use crate::state::{Delta, FeedData, FeedEvent, FeedId, FeedSignal, SourceId, SourceUpdate};

/// Where the console is pointed, for the status bar and action scopes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Environment {
    pub kube_context: String,
    /// The API server's host, for the status bar; empty when unknown.
    pub kube_cluster: String,
    /// What the Kubernetes source watches.
    pub kube_target: kube::Target,
    /// The kubeconfig's contexts, to switch between.
    pub kube_contexts: Vec<kube::KubeContext>,
    /// The namespaces watched, in words.
    pub namespace: String,
    /// The profile in words (`default` when none is named).
    pub aws_profile: String,
    /// What the AWS source polls.
    pub aws_target: aws::AwsTarget,
    /// The shared config's profiles, to switch between.
    pub aws_profiles: Vec<aws::profiles::Profile>,
    pub aws_region: String,
    pub aws_account: String,
    /// Who the credentials are within the account (`assumed-role/OnCall/alice`).
    pub aws_caller: String,
    /// Set for the built-in demo so nobody mistakes it for production.
    pub demo: bool,
}

/// A failure as a feed reports it, and how long to wait before retrying
/// (the error kind's policy, with jitter).
pub fn failed(error: SourceError, attempt: u32, clock: &dyn clock::Clock) -> (FeedSignal, std::time::Duration) {
    let delay = error.kind.retry_delay(attempt, fastrand::f64());
    let next = clock.now() + chrono::TimeDelta::from_std(delay).unwrap_or(chrono::TimeDelta::MAX);
    (FeedSignal::Failed { error, attempt, next_retry: Some(next) }, delay)
}
