//! The Kubernetes source: pods, deployments, their ReplicaSets and
//! Warning events through kube-runtime watchers (one paginated list, then
//! a watch with bookmarks; a `410 Gone` relists), converted at once into
//! the console's model so no API object is kept.
//!
//! A watcher's `Init … InitApply … InitDone` becomes: *syncing*, the
//! listed objects sent as `Upsert`s page by page (so the first rows show
//! while the rest of a large list is still arriving), then a `Delete` of
//! every key the previous list had and this one lacks, and *live*. `Apply`
//! and `Delete` become `Upsert` and `Delete`. Several namespaces are
//! several watchers feeding the same feeds, each removing only its own
//! objects. A failing watch reports *failed* with the error's kind, the
//! attempt and when it will retry, waits that long and carries on.

pub mod control;
pub mod convert;
pub mod execute;

pub use control::LiveCluster;
pub use execute::KubeExecutor;

use std::collections::HashSet;
use std::sync::Arc;

use futures_util::{Stream, StreamExt};
use k8s_openapi::api::apps::v1::{Deployment as KDeployment, ReplicaSet as KReplicaSet};
use k8s_openapi::api::core::v1::{Event as KEvent, Pod as KPod};
use kube::api::Api;
use kube::runtime::watcher::{self, Event};
use kube::{Client, Resource};
use serde::de::DeserializeOwned;
use tokio::sync::mpsc;

use super::clock::Clock;
use crate::model::{Deployment, KubeEvent, Pod, ReplicaSet};
use crate::state::{Delta, ErrorKind, FeedData, FeedId, FeedSignal, Item, SourceError, SourceUpdate};

/// The feeds this source serves.
pub const FEEDS: [FeedId; 4] = [FeedId::Pods, FeedId::Deployments, FeedId::ReplicaSets, FeedId::KubeEvents];

/// Objects sent in one update while a list is arriving.
const PAGE: usize = 500;

/// Which cluster and namespaces to watch.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Target {
    /// Read this kubeconfig file instead of `KUBECONFIG` / `~/.kube/config`.
    pub kubeconfig: Option<std::path::PathBuf>,
    /// The kubeconfig context; `None` for the current one (or in-cluster).
    pub context: Option<String>,
    /// Namespaces to watch; empty for all.
    pub namespaces: Vec<String>,
}

/// Which kubeconfig files `Kubeconfig::read` reads, in words for errors.
pub fn kubeconfig_files() -> String {
    match std::env::var_os("KUBECONFIG") {
        Some(v) if !v.is_empty() => format!("KUBECONFIG={}", v.to_string_lossy()),
        _ => "~/.kube/config".into(),
    }
}

/// Decides what to watch: namespaces from the flags, else all with `-A`,
/// else `config.toml`'s, else the context's own, else all. A context the
/// kubeconfig lacks is an error naming the files read and the contexts
/// there are.
pub fn resolve(
    context: Option<&str>,
    namespaces: &[String],
    all: bool,
    default_namespace: Option<&str>,
    kubeconfig: Option<&kube::config::Kubeconfig>,
) -> Result<Target, String> {
    let context = context.map(str::to_string);
    let name = context.clone().or_else(|| kubeconfig.and_then(|k| k.current_context.clone()));
    let known = kubeconfig.and_then(|k| name.as_ref().and_then(|n| k.contexts.iter().find(|c| c.name == *n)));
    if let Some(wanted) = &context
        && known.is_none()
    {
        let have: Vec<&str> =
            kubeconfig.map(|k| k.contexts.iter().map(|c| c.name.as_str()).collect()).unwrap_or_default();
        let have = if have.is_empty() { "none".to_string() } else { have.join(", ") };
        return Err(format!("{}: no context named `{wanted}` (contexts there: {have})", kubeconfig_files()));
    }
    let namespaces = if !namespaces.is_empty() {
        namespaces.to_vec()
    } else if all {
        Vec::new()
    } else if let Some(ns) = default_namespace {
        vec![ns.to_string()]
    } else {
        known.and_then(|c| c.context.as_ref()).and_then(|c| c.namespace.clone()).into_iter().collect()
    };
    Ok(Target { kubeconfig: None, context, namespaces })
}

impl Target {
    /// The namespaces in words, for the status bar.
    pub fn namespaces_label(&self) -> String {
        if self.namespaces.is_empty() { "all namespaces".into() } else { self.namespaces.join(",") }
    }
}

/// A kubeconfig context, as the palette offers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KubeContext {
    pub name: String,
    /// Its API server's host.
    pub cluster: String,
    /// Its default namespace.
    pub namespace: Option<String>,
    /// The kubeconfig user it authenticates as.
    pub user: Option<String>,
}

/// The kubeconfig's contexts, in its order.
pub fn contexts(kubeconfig: &kube::config::Kubeconfig) -> Vec<KubeContext> {
    kubeconfig
        .contexts
        .iter()
        .map(|c| {
            let context = c.context.as_ref();
            let cluster = context
                .and_then(|ctx| kubeconfig.clusters.iter().find(|k| k.name == ctx.cluster))
                .and_then(|k| k.cluster.as_ref())
                .and_then(|k| k.server.as_deref())
                .map(server_host)
                .unwrap_or_default();
            KubeContext {
                name: c.name.clone(),
                cluster,
                namespace: context.and_then(|ctx| ctx.namespace.clone()),
                user: context.and_then(|ctx| ctx.user.clone()),
            }
        })
        .collect()
}

/// The host (and port) of an API server URL.
pub fn server_host(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    rest.split('/').next().unwrap_or(rest).to_string()
}

/// Where a connected client points, for the status bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cluster {
    pub context: String,
    pub cluster: String,
}

/// Builds a client for `target` from the kubeconfig (`KUBECONFIG`, merged
/// files, `~/.kube/config`) or, without one, the in-cluster config.
pub async fn connect(target: &Target) -> Result<(Client, Cluster), SourceError> {
    let options = kube::config::KubeConfigOptions { context: target.context.clone(), ..Default::default() };
    let config = match (&target.kubeconfig, &target.context) {
        (Some(path), _) => {
            let file = kube::config::Kubeconfig::read_from(path)
                .map_err(|e| SourceError::new(ErrorKind::Malformed, format!("{}: {e}", path.display())))?;
            kube::Config::from_custom_kubeconfig(file, &options).await.map_err(config_error)?
        }
        (None, Some(_)) => kube::Config::from_kubeconfig(&options).await.map_err(config_error)?,
        (None, None) => {
            kube::Config::infer().await.map_err(|e| SourceError::new(ErrorKind::NotFound, infer_message(&e)))?
        }
    };
    let cluster = Cluster {
        context: target.context.clone().or_else(current_context).unwrap_or_else(|| "in-cluster".into()),
        cluster: config.cluster_url.host().unwrap_or_default().to_string(),
    };
    let client = Client::try_from(config).map_err(|e| SourceError::new(ErrorKind::Malformed, e.to_string()))?;
    Ok((client, cluster))
}

fn current_context() -> Option<String> {
    kube::config::Kubeconfig::read().ok()?.current_context
}

fn config_error(e: kube::config::KubeconfigError) -> SourceError {
    SourceError::new(ErrorKind::Malformed, format!("kubeconfig: {e}"))
}

fn infer_message(e: &kube::config::InferConfigError) -> String {
    format!(
        "no Kubernetes configuration: {e}. Set KUBECONFIG or write ~/.kube/config \
         (for EKS: aws eks update-kubeconfig --name <cluster>)"
    )
}

/// Classifies a client error by what the user can do about it.
pub fn classify(e: &kube::Error) -> SourceError {
    match e {
        kube::Error::Api(status) => SourceError::from_status(status.code, status.message.clone()),
        kube::Error::HyperError(_) | kube::Error::Service(_) => SourceError::new(ErrorKind::Network, e.to_string()),
        kube::Error::SerdeError(_) => SourceError::new(ErrorKind::Malformed, e.to_string()),
        kube::Error::Auth(_) => SourceError::new(ErrorKind::Unauthorized, e.to_string()),
        _ => SourceError::new(ErrorKind::Network, e.to_string()),
    }
}

fn classify_watch(e: &watcher::Error) -> SourceError {
    match e {
        watcher::Error::InitialListFailed(e) | watcher::Error::WatchStartFailed(e) | watcher::Error::WatchFailed(e) => {
            classify(e)
        }
        watcher::Error::WatchError(status) => SourceError::from_status(status.code, status.message.clone()),
        watcher::Error::NoResourceVersion => SourceError::new(ErrorKind::Malformed, e.to_string()),
    }
}

/// `410 Gone`: the watch (or a list's continue token) is too old to
/// resume. Not a failure: the watcher lists again at once.
fn expired(e: &watcher::Error) -> bool {
    match e {
        watcher::Error::WatchError(status) => status.code == 410,
        watcher::Error::InitialListFailed(kube::Error::Api(status))
        | watcher::Error::WatchStartFailed(kube::Error::Api(status))
        | watcher::Error::WatchFailed(kube::Error::Api(status)) => status.code == 410,
        _ => false,
    }
}

/// One kind of object: how to convert it, key it and wrap it for its feed.
trait Kind: Resource<DynamicType = ()> + Clone + DeserializeOwned + std::fmt::Debug + Send + 'static {
    /// Keyed as its store keys it.
    type Model: Item + Send;
    const FEED: FeedId;
    /// Watch only these (a field selector), if any.
    const FIELDS: Option<&'static str> = None;
    /// The console's model of it; shared strings come from `names`.
    fn convert(&self, names: &mut convert::Names) -> Option<Self::Model>;
    fn data(d: Delta<Self::Model>) -> FeedData;
}

impl Kind for KPod {
    type Model = Pod;
    const FEED: FeedId = FeedId::Pods;
    fn convert(&self, names: &mut convert::Names) -> Option<Pod> {
        Some(convert::pod(self, names))
    }
    fn data(d: Delta<Pod>) -> FeedData {
        FeedData::Pods(d)
    }
}

impl Kind for KDeployment {
    type Model = Deployment;
    const FEED: FeedId = FeedId::Deployments;
    fn convert(&self, _: &mut convert::Names) -> Option<Deployment> {
        Some(convert::deployment(self))
    }
    fn data(d: Delta<Deployment>) -> FeedData {
        FeedData::Deployments(d)
    }
}

impl Kind for KReplicaSet {
    type Model = ReplicaSet;
    const FEED: FeedId = FeedId::ReplicaSets;
    fn convert(&self, _: &mut convert::Names) -> Option<ReplicaSet> {
        Some(convert::replica_set(self))
    }
    fn data(d: Delta<ReplicaSet>) -> FeedData {
        FeedData::ReplicaSets(d)
    }
}

impl Kind for KEvent {
    type Model = KubeEvent;
    const FEED: FeedId = FeedId::KubeEvents;
    const FIELDS: Option<&'static str> = Some("type=Warning");
    fn convert(&self, _: &mut convert::Names) -> Option<KubeEvent> {
        convert::event(self)
    }
    fn data(d: Delta<KubeEvent>) -> FeedData {
        FeedData::KubeEvents(d)
    }
}

/// Turns one watcher's events into updates for its feed, remembering which
/// keys it has sent so a relist can remove what is gone.
struct Mirror<K: Kind> {
    known: HashSet<String>,
    /// Keys listed since the last `Init`, while one is in progress.
    listing: Option<HashSet<String>>,
    page: Vec<K::Model>,
    names: convert::Names,
}

impl<K: Kind> Mirror<K> {
    fn new() -> Self {
        Mirror { known: HashSet::new(), listing: None, page: Vec::new(), names: convert::Names::default() }
    }

    fn flush(&mut self, out: &mut Vec<FeedUpdate>) {
        if !self.page.is_empty() {
            out.push(FeedUpdate::Data(K::data(Delta::Upsert(std::mem::take(&mut self.page)))));
        }
    }

    /// The updates one watcher event makes.
    fn on(&mut self, ev: Event<K>) -> Vec<FeedUpdate> {
        let mut out = Vec::new();
        match ev {
            Event::Init => {
                self.listing = Some(HashSet::new());
                out.push(FeedUpdate::Signal(FeedSignal::Syncing));
            }
            Event::InitApply(obj) => {
                if let Some(m) = obj.convert(&mut self.names) {
                    self.listing.get_or_insert_with(HashSet::new).insert(m.key());
                    self.page.push(m);
                    if self.page.len() >= PAGE {
                        self.flush(&mut out);
                    }
                }
            }
            Event::InitDone => {
                self.flush(&mut out);
                let listed = self.listing.take().unwrap_or_default();
                let gone: Vec<String> = self.known.difference(&listed).cloned().collect();
                if !gone.is_empty() {
                    out.push(FeedUpdate::Data(K::data(Delta::Delete(gone))));
                }
                self.known = listed;
                out.push(FeedUpdate::Listed);
            }
            Event::Apply(obj) => {
                if let Some(m) = obj.convert(&mut self.names) {
                    self.known.insert(m.key());
                    out.push(FeedUpdate::Data(K::data(Delta::Upsert(vec![m]))));
                }
            }
            Event::Delete(obj) => {
                if let Some(m) = obj.convert(&mut self.names) {
                    let key = m.key();
                    self.known.remove(&key);
                    out.push(FeedUpdate::Data(K::data(Delta::Delete(vec![key]))));
                }
            }
        }
        out
    }
}

/// What one watcher has to say, before it is stamped with the time.
#[derive(Debug)]
enum FeedUpdate {
    Signal(FeedSignal),
    Data(FeedData),
    /// This watcher's list is complete.
    Listed,
}

fn apis<K>(client: &Client, namespaces: &[String]) -> Vec<Api<K>>
where
    K: Kind + Resource<Scope = k8s_openapi::NamespaceResourceScope>,
{
    if namespaces.is_empty() {
        vec![Api::all(client.clone())]
    } else {
        namespaces.iter().map(|ns| Api::namespaced(client.clone(), ns)).collect()
    }
}

fn stream<K: Kind>(api: Api<K>) -> impl Stream<Item = watcher::Result<Event<K>>> + Send {
    let mut config = watcher::Config::default().page_size(PAGE as u32);
    if let Some(fields) = K::FIELDS {
        config = config.fields(fields);
    }
    watcher::watcher(api, config)
}

/// Runs one feed's watchers (one per namespace) until the console stops
/// listening. The feed is *live* once every watcher has listed.
async fn watch<K>(client: Client, namespaces: Vec<String>, clock: Arc<dyn Clock>, updates: mpsc::Sender<SourceUpdate>)
where
    K: Kind + Resource<Scope = k8s_openapi::NamespaceResourceScope>,
{
    let apis = apis::<K>(&client, &namespaces);
    let watchers = apis.len();
    let streams = apis.into_iter().enumerate().map(|(i, api)| stream(api).map(move |ev| (i, ev)).boxed());
    let mut merged = futures_util::stream::select_all(streams);
    let mut mirrors: Vec<Mirror<K>> = (0..watchers).map(|_| Mirror::new()).collect();
    let mut listed = vec![false; watchers];
    let mut attempt = 0u32;
    let send = |u: SourceUpdate| {
        let updates = updates.clone();
        async move { updates.send(u).await.is_ok() }
    };
    if !send(SourceUpdate::signal(K::FEED, clock.now(), FeedSignal::Connecting)).await {
        return;
    }
    while let Some((i, ev)) = merged.next().await {
        let ev = match ev {
            Ok(ev) => ev,
            Err(e) if expired(&e) => {
                tracing::info!(feed = ?K::FEED, %e, "watch expired; listing again");
                continue;
            }
            Err(e) => {
                attempt += 1;
                tracing::warn!(feed = ?K::FEED, %e, attempt, "watch failed");
                let (signal, delay) = super::failed(classify_watch(&e), attempt, clock.as_ref());
                if !send(SourceUpdate::signal(K::FEED, clock.now(), signal)).await {
                    return;
                }
                tokio::time::sleep(delay).await;
                continue;
            }
        };
        attempt = 0;
        if matches!(ev, Event::Init) {
            listed[i] = false;
        }
        for u in mirrors[i].on(ev) {
            let now = clock.now();
            let update = match u {
                FeedUpdate::Signal(s) => SourceUpdate::signal(K::FEED, now, s),
                FeedUpdate::Data(d) => SourceUpdate::data(now, d),
                FeedUpdate::Listed => {
                    listed[i] = true;
                    let signal = if listed.iter().all(|l| *l) {
                        FeedSignal::Live { expected: None }
                    } else {
                        FeedSignal::Syncing
                    };
                    SourceUpdate::signal(K::FEED, now, signal)
                }
            };
            if !send(update).await {
                return;
            }
        }
    }
}

/// The source's task: connect, then watch every feed until the console
/// stops listening. A connection that cannot be made fails every feed with
/// the reason and is tried again after the error kind's delay.
pub async fn run(target: Target, clock: Arc<dyn Clock>, updates: mpsc::Sender<SourceUpdate>) {
    let mut attempt = 0u32;
    let client = loop {
        match connect(&target).await {
            Ok((client, cluster)) => {
                tracing::info!(context = %cluster.context, cluster = %cluster.cluster, "kubernetes connected");
                break client;
            }
            Err(error) => {
                attempt += 1;
                tracing::warn!(%error, attempt, "kubernetes connection failed");
                let (signal, delay) = super::failed(error, attempt, clock.as_ref());
                for feed in FEEDS {
                    if updates.send(SourceUpdate::signal(feed, clock.now(), signal.clone())).await.is_err() {
                        return;
                    }
                }
                tokio::time::sleep(delay).await;
            }
        }
    };
    let ns = target.namespaces;
    tokio::join!(
        watch::<KPod>(client.clone(), ns.clone(), clock.clone(), updates.clone()),
        watch::<KDeployment>(client.clone(), ns.clone(), clock.clone(), updates.clone()),
        watch::<KReplicaSet>(client.clone(), ns.clone(), clock.clone(), updates.clone()),
        watch::<KEvent>(client, ns, clock, updates),
    );
}

#[cfg(test)]
mod tests;
