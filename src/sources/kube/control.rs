//! The live cluster as the console drives it: the watches it restarts on
//! another target, the namespaces to choose from, objects as YAML and
//! container logs as they stream.

use std::sync::Arc;

use futures_util::{StreamExt, TryFutureExt};
use k8s_openapi::api::apps::v1::Deployment as KDeployment;
use k8s_openapi::api::core::v1::{Namespace, Pod as KPod};
use kube::Resource;
use kube::api::{Api, ListParams};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::sync::mpsc;

use super::execute::api_message;
use super::{FEEDS, KubeExecutor, Target};
use crate::sources::clock::Clock;
use crate::sources::cluster::{BoxFuture, Cluster, LineSplitter, LineStream, LogTarget, ObjectKind, ObjectRef};
use crate::sources::supervisor::Replaceable;
use crate::state::{Delta, FeedData, FeedSignal, SourceUpdate};

/// The Kubernetes source and executor under one handle.
pub struct LiveCluster {
    executor: KubeExecutor,
    clock: Arc<dyn Clock>,
    updates: mpsc::Sender<SourceUpdate>,
    /// The task running the current target's watches.
    watches: Replaceable,
    /// Where the watches run: a runtime of their own, so fetching and
    /// decoding list pages goes on while the screen's thread ingests and
    /// draws the pages before; `None` for the current runtime.
    on: Option<tokio::runtime::Handle>,
}

impl LiveCluster {
    /// Starts watching `executor`'s target, on the current runtime.
    pub fn start(
        target: Target,
        executor: KubeExecutor,
        clock: Arc<dyn Clock>,
        updates: mpsc::Sender<SourceUpdate>,
    ) -> Self {
        Self::start_on(target, executor, clock, updates, None)
    }

    /// Starts watching `executor`'s target, the watches on `on`.
    pub fn start_on(
        target: Target,
        executor: KubeExecutor,
        clock: Arc<dyn Clock>,
        updates: mpsc::Sender<SourceUpdate>,
        on: Option<tokio::runtime::Handle>,
    ) -> Self {
        let cluster = LiveCluster { executor, clock, updates, watches: Replaceable::default(), on };
        cluster.watch(target, Vec::new());
        cluster
    }

    /// Watches `target` instead of whatever was watched, after `reset`.
    fn watch(&self, target: Target, reset: Vec<SourceUpdate>) {
        let clock = self.clock.clone();
        let on = self.on.as_ref();
        self.watches.replace(reset, &FEEDS, self.updates.clone(), self.clock.clone(), on, move |updates| {
            Box::pin(super::run(target.clone(), clock.clone(), updates))
        });
    }
}

/// What the Kubernetes feeds hear when the target changes: no items, and
/// *connecting* until the new watches list.
pub fn emptied(at: chrono::DateTime<chrono::Utc>) -> Vec<SourceUpdate> {
    let mut out = vec![
        SourceUpdate::data(at, FeedData::Pods(Delta::Reset(Vec::new()))),
        SourceUpdate::data(at, FeedData::Deployments(Delta::Reset(Vec::new()))),
        SourceUpdate::data(at, FeedData::ReplicaSets(Delta::Reset(Vec::new()))),
        SourceUpdate::data(at, FeedData::KubeEvents(Delta::Reset(Vec::new()))),
    ];
    out.extend(FEEDS.iter().map(|f| SourceUpdate::signal(*f, at, FeedSignal::Connecting)));
    out
}

impl Cluster for LiveCluster {
    fn retarget(&self, target: Target) {
        tracing::info!(?target, "watching another target");
        self.executor.retarget(target.clone());
        self.watch(target, emptied(self.clock.now()));
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
            match object.kind {
                ObjectKind::Pod => yaml_of::<KPod>(client, &object).await,
                ObjectKind::Deployment => yaml_of::<KDeployment>(client, &object).await,
            }
        })
    }

    fn logs(&self, target: LogTarget) -> LineStream {
        let executor = self.executor.clone();
        let bytes = async move {
            let client = executor.client().await?;
            Ok(executor.log_source().stream(client, target))
        };
        Box::pin(lines(bytes.try_flatten_stream().boxed()))
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

/// An object read from the API as YAML, without its managed fields.
async fn yaml_of<K>(client: kube::Client, object: &ObjectRef) -> Result<String, String>
where
    K: Resource<DynamicType = ()> + Serialize + DeserializeOwned + Clone + std::fmt::Debug,
    K: Resource<Scope = k8s_openapi::NamespaceResourceScope>,
{
    let mut found =
        Api::<K>::namespaced(client, &object.namespace).get(&object.name).await.map_err(|e| api_message(&e))?;
    found.meta_mut().managed_fields = None;
    to_yaml(&found)
}

/// An object as YAML.
pub fn to_yaml<T: Serialize>(object: &T) -> Result<String, String> {
    serde_yaml_ng::to_string(object).map_err(|e| format!("cannot show it as YAML: {e}"))
}
