//! The Kubernetes source run against a test server, keeping a live state
//! of what it says, and the setup calls tests share.
#![allow(dead_code)] // each test binary uses part of it

use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::core::v1::{Namespace, Pod as KPod};
use kube::api::{Api, Patch, PatchParams, PostParams};
use serde_json::json;
use tokio::sync::mpsc;
use warroom::sources::clock::SystemClock;
use warroom::sources::kube as source;
use warroom::state::{FeedId, FeedPhase, LiveState, SourceUpdate};

use crate::k8s;

/// Runs the source for `namespaces` and keeps a live state of what it says.
pub struct Console {
    pub live: LiveState,
    /// The pods feed's phases in the order it reported them.
    pub pod_phases: Vec<FeedPhase>,
    rx: mpsc::Receiver<SourceUpdate>,
    task: tokio::task::JoinHandle<()>,
}

impl Console {
    pub fn start(server: &k8s::Server, namespaces: &[&str]) -> Console {
        let (tx, rx) = mpsc::channel(4096);
        let task = tokio::spawn(source::run(server.target(namespaces), Arc::new(SystemClock), tx));
        Console { live: LiveState::default(), pod_phases: Vec::new(), rx, task }
    }

    /// Applies updates until `done` holds; panics after 20 s with what
    /// the state was.
    pub async fn until(&mut self, what: &str, done: impl Fn(&LiveState) -> bool) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        while !done(&self.live) {
            match tokio::time::timeout_at(deadline, self.rx.recv()).await {
                Ok(Some(u)) => {
                    self.live.apply(u);
                    let phase = self.live.feeds.get(FeedId::Pods).map(|f| f.phase.clone());
                    if let Some(p) = phase.filter(|p| self.pod_phases.last() != Some(p)) {
                        self.pod_phases.push(p);
                    }
                }
                Ok(None) => panic!("the source stopped before: {what}"),
                Err(_) => panic!("not within 20 s: {what}; feeds {:?}", self.live.feeds),
            }
        }
    }
}

impl Drop for Console {
    fn drop(&mut self) {
        self.task.abort();
    }
}

pub async fn namespace(client: &kube::Client, name: &str) {
    let ns: Namespace = serde_json::from_value(json!({"metadata": {"name": name}})).unwrap();
    Api::<Namespace>::all(client.clone()).create(&PostParams::default(), &ns).await.unwrap();
}

/// Writes a pod's status as a kubelet would.
pub async fn set_status(pods: &Api<KPod>, name: &str, status: serde_json::Value) {
    pods.patch_status(name, &PatchParams::default(), &Patch::Merge(json!({"status": status}))).await.unwrap();
}

pub fn pod<'a>(l: &'a LiveState, ns: &str, name: &str) -> Option<&'a warroom::model::Pod> {
    l.pods.get(&format!("{ns}/{name}"))
}
