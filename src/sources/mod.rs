//! Live data: every source is a task that owns its client and sends typed
//! [`SourceUpdate`]s on a bounded channel. Sources never touch UI state.

pub mod clock;
pub mod cluster;
pub mod demo;
pub mod kube;
pub mod supervisor;

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
    pub aws_profile: String,
    pub aws_region: String,
    pub aws_account: String,
    /// Set for the built-in demo so nobody mistakes it for production.
    pub demo: bool,
}
