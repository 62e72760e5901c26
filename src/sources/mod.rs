//! Live data: every source is a task that owns its client and sends typed
//! [`SourceUpdate`]s on a bounded channel. Sources never touch UI state.

pub mod clock;
pub mod demo;
pub mod kube;
pub mod supervisor;

pub use crate::state::{Delta, FeedData, FeedEvent, FeedId, FeedSignal, SourceId, SourceUpdate};

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
