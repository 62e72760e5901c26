//! The live cluster as the console drives it: the watches it restarts on
//! another target, the namespaces to choose from, objects as YAML and
//! container logs as they stream.

use std::sync::{Arc, Mutex, PoisonError};

use futures_util::StreamExt;
use k8s_openapi::api::apps::v1::Deployment as KDeployment;
use k8s_openapi::api::core::v1::{Namespace, Pod as KPod};
use kube::api::{Api, ListParams};
use serde::Serialize;
use tokio::sync::mpsc;
use tokio::task::AbortHandle;

use super::execute::api_message;
use super::{FEEDS, KubeExecutor, Target};
use crate::sources::clock::Clock;
use crate::sources::cluster::{BoxFuture, Cluster, LineSplitter, LineStream, LogTarget, ObjectKind, ObjectRef};
use crate::state::{Delta, FeedData, FeedSignal, SourceUpdate};

/// The Kubernetes source and executor under one handle.
pub struct LiveCluster {
    executor: KubeExecutor,
    clock: Arc<dyn Clock>,
    updates: mpsc::Sender<SourceUpdate>,
    /// The task running the current target's watches.
    watches: Mutex<Option<AbortHandle>>,
}

impl LiveCluster {
    /// Starts watching `executor`'s target.
    pub fn start(
        target: Target,
        executor: KubeExecutor,
        clock: Arc<dyn Clock>,
        updates: mpsc::Sender<SourceUpdate>,
    ) -> Self {
        let cluster = LiveCluster { executor, clock, updates, watches: Mutex::new(None) };
        cluster.watch(target, false);
        cluster
    }

    /// Starts the watches of `target` in a task of their own, after
    /// emptying the feeds when `reset`.
    fn watch(&self, target: Target, reset: bool) {
        let (clock, updates) = (self.clock.clone(), self.updates.clone());
        let task = tokio::spawn(async move {
            if reset {
                for update in emptied(clock.now()) {
                    if updates.send(update).await.is_err() {
                        return;
                    }
                }
            }
            let run_clock = clock.clone();
            crate::sources::supervisor::supervised(&FEEDS, updates, clock, move |updates| {
                Box::pin(super::run(target.clone(), run_clock.clone(), updates))
            })
            .await;
        });
        let previous = self.watches.lock().unwrap_or_else(PoisonError::into_inner).replace(task.abort_handle());
        if let Some(previous) = previous {
            previous.abort();
        }
    }
}

/// What the Kubernetes feeds hear when the target changes: no items, and
/// *connecting* until the new watches list.
pub fn emptied(at: chrono::DateTime<chrono::Utc>) -> Vec<SourceUpdate> {
    let mut out = vec![
        SourceUpdate::data(at, FeedData::Pods(Delta::Reset(Vec::new()))),
        SourceUpdate::data(at, FeedData::Deployments(Delta::Reset(Vec::new()))),
        SourceUpdate::data(at, FeedData::KubeEvents(Delta::Reset(Vec::new()))),
    ];
    out.extend(FEEDS.iter().map(|f| SourceUpdate::signal(*f, at, FeedSignal::Connecting)));
    out
}

impl Cluster for LiveCluster {
    fn retarget(&self, target: Target) {
        tracing::info!(?target, "watching another target");
        // Stop the old watches first: what they sent before is already in
        // the channel, ahead of the reset.
        if let Some(old) = self.watches.lock().unwrap_or_else(PoisonError::into_inner).take() {
            old.abort();
        }
        self.executor.retarget(target.clone());
        self.watch(target, true);
    }

    fn namespaces(&self) -> BoxFuture<Result<Vec<String>, String>> {
        let executor = self.executor.clone();
        Box::pin(async move {
            let client = executor.client().await?;
            let list = Api::<Namespace>::all(client).list_metadata(&ListParams::default()).await;
            let mut names: Vec<String> =
                list.map_err(|e| api_message(&e))?.items.into_iter().filter_map(|n| n.metadata.name).collect();
            names.sort();
            Ok(names)
        })
    }

    fn manifest(&self, object: ObjectRef) -> BoxFuture<Result<String, String>> {
        let executor = self.executor.clone();
        Box::pin(async move {
            let client = executor.client().await?;
            let ObjectRef { kind, namespace, name } = object;
            match kind {
                ObjectKind::Pod => {
                    let mut p = Api::<KPod>::namespaced(client, &namespace).get(&name).await;
                    if let Ok(p) = &mut p {
                        p.metadata.managed_fields = None;
                    }
                    to_yaml(&p.map_err(|e| api_message(&e))?)
                }
                ObjectKind::Deployment => {
                    let mut d = Api::<KDeployment>::namespaced(client, &namespace).get(&name).await;
                    if let Ok(d) = &mut d {
                        d.metadata.managed_fields = None;
                    }
                    to_yaml(&d.map_err(|e| api_message(&e))?)
                }
            }
        })
    }

    fn logs(&self, target: LogTarget) -> LineStream {
        let executor = self.executor.clone();
        let opened = async move {
            let client = executor.client().await?;
            Ok::<_, String>(executor.log_source().stream(client, target))
        };
        let bytes = futures_util::stream::once(opened).flat_map(|opened| match opened {
            Ok(stream) => stream,
            Err(e) => futures_util::stream::iter([Err(e)]).boxed(),
        });
        Box::pin(lines(bytes.boxed()))
    }
}

/// Cuts a byte stream into batches of lines; an error ends it.
pub fn lines<S>(bytes: S) -> impl futures_util::Stream<Item = Result<Vec<String>, String>> + Send
where
    S: futures_util::Stream<Item = Result<Vec<u8>, String>> + Send + Unpin,
{
    futures_util::stream::unfold(Some((bytes, LineSplitter::default())), |state| async move {
        let (mut bytes, mut splitter) = state?;
        loop {
            match bytes.next().await {
                Some(Ok(chunk)) => {
                    let lines = splitter.push(&chunk);
                    if !lines.is_empty() {
                        return Some((Ok(lines), Some((bytes, splitter))));
                    }
                }
                Some(Err(e)) => return Some((Err(e), None)),
                None => return splitter.finish().map(|last| (Ok(vec![last]), None)),
            }
        }
    })
}

/// An object as YAML.
pub fn to_yaml<T: Serialize>(object: &T) -> Result<String, String> {
    serde_yaml_ng::to_string(object).map_err(|e| format!("cannot show it as YAML: {e}"))
}
