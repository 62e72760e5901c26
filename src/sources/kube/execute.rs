//! The Kubernetes domain of the action router: each confirmed action as
//! the API requests `kubectl` would make, and the API's answer as the
//! result. Refusals (404, 409, 403, a paused rollout, a replica count that
//! changed since the dialog opened) are failures in the API's own words.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use futures_util::{AsyncBufReadExt, TryFutureExt};
use k8s_openapi::api::apps::v1::Deployment as KDeployment;
use k8s_openapi::api::core::v1::Pod as KPod;
use k8s_openapi::api::networking::v1::{NetworkPolicy, NetworkPolicySpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use kube::Client;
use kube::api::{Api, DeleteParams, ListParams, LogParams, Patch, PatchParams, PostParams};
use serde_json::{Value, json};
use tokio::sync::OnceCell;

use super::Target;
use crate::actions::{
    Action, ActionError, ActionKind, Evidence, Executed, Execution, Executor, ISOLATION_POLICY, LOG_PODS_MAX,
    LOG_TAIL_LINES, RESTORE_ANNOTATION, restore_after,
};
use crate::sources::clock::Clock;
use crate::sources::cluster::LogTarget;

/// The annotation `kubectl rollout restart` sets on the pod template.
pub const RESTARTED_AT: &str = "kubectl.kubernetes.io/restartedAt";
/// The field manager of every change, as the API's managed fields and the
/// audit log show it.
pub const FIELD_MANAGER: &str = "warroom";

/// One container's logs, asked of a [`LogSource`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogRequest {
    pub namespace: String,
    pub pod: String,
    pub container: String,
    /// The previous (terminated) instance's.
    pub previous: bool,
}

/// The answer of a log source: the text, or why there is none.
pub type LogFuture = Pin<Box<dyn Future<Output = Result<String, String>> + Send>>;

/// A log as it streams: raw chunks, cut into lines by the reader.
pub type ByteStream = Pin<Box<dyn futures_util::Stream<Item = Result<Vec<u8>, String>> + Send>>;

/// Where logs come from: the API server (which asks the node's kubelet
/// for them), or a source a test provides.
pub trait LogSource: Send + Sync + 'static {
    /// One container's log, whole (for evidence).
    fn logs(&self, client: Client, request: LogRequest) -> LogFuture;
    /// One container's log as it streams (for the log view).
    fn stream(&self, client: Client, target: LogTarget) -> ByteStream;
}

/// Logs through the API server: the last [`LOG_TAIL_LINES`] lines.
pub struct ApiLogs;

impl LogSource for ApiLogs {
    fn logs(&self, client: Client, r: LogRequest) -> LogFuture {
        Box::pin(async move {
            let params = LogParams {
                container: Some(r.container),
                previous: r.previous,
                tail_lines: Some(LOG_TAIL_LINES as i64),
                ..LogParams::default()
            };
            Api::<KPod>::namespaced(client, &r.namespace).logs(&r.pod, &params).await.map_err(|e| api_message(&e))
        })
    }

    fn stream(&self, client: Client, t: LogTarget) -> ByteStream {
        let opened = async move {
            let params = LogParams {
                container: Some(t.container),
                previous: t.previous,
                follow: t.follow,
                tail_lines: Some(t.tail as i64),
                ..LogParams::default()
            };
            let reader = Api::<KPod>::namespaced(client, &t.namespace).log_stream(&t.pod, &params).await;
            reader.map(|r| chunks(Box::pin(r))).map_err(|e| api_message(&e))
        };
        Box::pin(opened.try_flatten_stream())
    }
}

/// A reader's bytes as they arrive, until it ends or fails.
fn chunks<R>(reader: Pin<Box<R>>) -> impl futures_util::Stream<Item = Result<Vec<u8>, String>> + Send
where
    R: futures_util::AsyncBufRead + Send + ?Sized,
{
    futures_util::stream::unfold(Some(reader), |reader| async move {
        let mut reader = reader?;
        match reader.fill_buf().await {
            Ok([]) => None,
            Ok(buf) => {
                let chunk = buf.to_vec();
                reader.as_mut().consume(chunk.len());
                Some((Ok(chunk), Some(reader)))
            }
            Err(e) => Some((Err(e.to_string()), None)),
        }
    })
}

/// Runs Kubernetes actions against the cluster of its [`Target`],
/// connecting on first use. Clones share the target: after
/// [`KubeExecutor::retarget`] every clone acts on the new one.
#[derive(Clone)]
pub struct KubeExecutor {
    current: Arc<std::sync::Mutex<Arc<Inner>>>,
}

struct Inner {
    target: Target,
    client: OnceCell<Client>,
    logs: Arc<dyn LogSource>,
    clock: Arc<dyn Clock>,
}

impl KubeExecutor {
    pub fn new(target: Target, clock: Arc<dyn Clock>) -> Self {
        Self::with_logs(target, clock, Arc::new(ApiLogs))
    }

    /// Collects logs from `logs` instead of the API server.
    pub fn with_logs(target: Target, clock: Arc<dyn Clock>, logs: Arc<dyn LogSource>) -> Self {
        let inner = Arc::new(Inner { target, client: OnceCell::new(), logs, clock });
        KubeExecutor { current: Arc::new(std::sync::Mutex::new(inner)) }
    }

    fn inner(&self) -> Arc<Inner> {
        self.current.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    /// Acts on `target` from now on (actions already running finish where
    /// they started).
    pub fn retarget(&self, target: Target) {
        let mut current = self.current.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let (logs, clock) = (current.logs.clone(), current.clock.clone());
        *current = Arc::new(Inner { target, client: OnceCell::new(), logs, clock });
    }

    /// The client for the current target, connected on first use.
    pub async fn client(&self) -> Result<Client, String> {
        self.inner().client().await.map_err(|e| e.to_string())
    }

    /// Where logs come from.
    pub fn log_source(&self) -> Arc<dyn LogSource> {
        self.inner().logs.clone()
    }
}

impl Executor for KubeExecutor {
    fn execute(&self, action: Action) -> Execution {
        let inner = self.inner();
        Box::pin(async move { inner.run(action.kind).await })
    }
}

impl Inner {
    async fn client(&self) -> Result<Client, ActionError> {
        self.client
            .get_or_try_init(|| async { super::connect(&self.target).await.map(|(client, _)| client) })
            .await
            .cloned()
            .map_err(|e| ActionError::Unavailable { message: format!("cannot reach the cluster: {e}") })
    }

    async fn run(&self, kind: ActionKind) -> Result<Executed, ActionError> {
        let client = self.client().await?;
        let message = match kind {
            ActionKind::CollectLogs { namespace, pod } => {
                let p = Api::<KPod>::namespaced(client.clone(), &namespace).get(&pod).await.map_err(rejected)?;
                let (evidence, missing) = self.pod_logs(&client, &p).await;
                return collected(evidence, missing, &format!("pod {pod}"));
            }
            ActionKind::CollectDeploymentLogs { namespace, deployment, selector } => {
                return self.deployment_logs(&client, &namespace, &deployment, &selector).await;
            }
            ActionKind::RolloutRestart { namespace, deployment } => {
                rollout_restart(&client, &namespace, &deployment, self.clock.now()).await?
            }
            ActionKind::Scale { namespace, deployment, from, to } => {
                scale(&client, &namespace, &deployment, from, to, false).await?
            }
            ActionKind::RestoreScale { namespace, deployment, from, to } => {
                scale(&client, &namespace, &deployment, from, to, true).await?
            }
            ActionKind::DeletePod { namespace, pod } => delete_pod(&client, &namespace, &pod).await?,
            ActionKind::IsolateNamespace { namespace } => isolate(&client, &namespace).await?,
            ActionKind::LiftIsolation { namespace } => lift_isolation(&client, &namespace).await?,
            other => {
                return Err(ActionError::Unavailable { message: format!("{other:?} is not a Kubernetes action") });
            }
        };
        Ok(Executed::message(message))
    }

    /// Every container's logs, and the previous instance's of those that
    /// restarted; the ones that could not be read, with why.
    async fn pod_logs(&self, client: &Client, pod: &KPod) -> (Vec<Evidence>, Vec<String>) {
        let namespace = pod.metadata.namespace.clone().unwrap_or_default();
        let name = pod.metadata.name.clone().unwrap_or_default();
        let statuses = pod.status.as_ref().and_then(|s| s.container_statuses.as_deref()).unwrap_or_default();
        let containers = pod.spec.as_ref().map(|s| s.containers.as_slice()).unwrap_or_default();
        let (mut evidence, mut missing) = (Vec::new(), Vec::new());
        if pod.spec.as_ref().and_then(|s| s.node_name.as_ref()).is_none() {
            missing.push(format!("{name}: not scheduled to a node, so no container has run"));
            return (evidence, missing);
        }
        for c in containers {
            let restarted = statuses
                .iter()
                .find(|s| s.name == c.name)
                .is_some_and(|s| s.restart_count > 0 || s.last_state.as_ref().is_some_and(|l| l.terminated.is_some()));
            for previous in [true, false] {
                if previous && !restarted {
                    continue;
                }
                let request =
                    LogRequest { namespace: namespace.clone(), pod: name.clone(), container: c.name.clone(), previous };
                let label = format!("{namespace}-{name}-{}{}", c.name, if previous { "-previous" } else { "" });
                match self.logs.logs(client.clone(), request).await {
                    Ok(text) => evidence.push(Evidence { label, text }),
                    Err(e) => {
                        let which = if previous { " (previous)" } else { "" };
                        missing.push(format!("{name}/{}{which}: {e}", c.name));
                    }
                }
            }
        }
        (evidence, missing)
    }

    async fn deployment_logs(
        &self,
        client: &Client,
        namespace: &str,
        deployment: &str,
        selector: &str,
    ) -> Result<Executed, ActionError> {
        let params = ListParams::default().labels(selector);
        let mut pods = Api::<KPod>::namespaced(client.clone(), namespace).list(&params).await.map_err(rejected)?.items;
        if pods.is_empty() {
            return Err(ActionError::rejected(format!("no pods in {namespace} match {selector}")));
        }
        pods.sort_by(|a, b| a.metadata.name.cmp(&b.metadata.name));
        let skipped = pods.len().saturating_sub(LOG_PODS_MAX);
        let (mut evidence, mut missing) = (Vec::new(), Vec::new());
        for p in pods.iter().take(LOG_PODS_MAX) {
            let (e, m) = self.pod_logs(client, p).await;
            evidence.extend(e);
            missing.extend(m);
        }
        let mut what = format!("{} pods of {deployment}", pods.len() - skipped);
        if skipped > 0 {
            what.push_str(&format!(" ({skipped} more not collected)"));
        }
        collected(evidence, missing, &what)
    }
}

/// The outcome of a collection: a success when anything was collected
/// (naming what could not be), else the first reason nothing was.
fn collected(evidence: Vec<Evidence>, missing: Vec<String>, what: &str) -> Result<Executed, ActionError> {
    if evidence.is_empty() {
        let why = missing.first().cloned().unwrap_or_else(|| "it has no containers".into());
        return Err(ActionError::rejected(format!("no logs of {what}: {why}")));
    }
    let mut message = crate::actions::logs_message(&evidence, what);
    if !missing.is_empty() {
        message.push_str(&format!("; not readable: {}", missing.join("; ")));
    }
    Ok(Executed { message, evidence, output: None })
}

async fn rollout_restart(
    client: &Client,
    namespace: &str,
    deployment: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<String, ActionError> {
    let api = Api::<KDeployment>::namespaced(client.clone(), namespace);
    let d = api.get(deployment).await.map_err(rejected)?;
    if d.spec.as_ref().and_then(|s| s.paused) == Some(true) {
        return Err(ActionError::rejected(format!(
            "deployment {namespace}/{deployment} is paused: resume it first (kubectl rollout resume)"
        )));
    }
    let at = now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let patch = json!({"spec": {"template": {"metadata": {"annotations": {RESTARTED_AT: at}}}}});
    let d = api.patch(deployment, &params(), &Patch::Strategic(patch)).await.map_err(rejected)?;
    let generation = d.metadata.generation.unwrap_or_default();
    Ok(format!("deployment.apps/{deployment} restarted ({RESTARTED_AT}={at}, generation {generation})"))
}

/// Scales `deployment` from `from` to `to` replicas, refusing when it no
/// longer has `from` (like `kubectl scale --current-replicas`). The first
/// scale-down records the count before it in [`RESTORE_ANNOTATION`]; a
/// restore, or scaling back up to at least that count, removes it.
async fn scale(
    client: &Client,
    namespace: &str,
    deployment: &str,
    from: u32,
    to: u32,
    restore: bool,
) -> Result<String, ActionError> {
    let api = Api::<KDeployment>::namespaced(client.clone(), namespace);
    let d = api.get(deployment).await.map_err(rejected)?;
    // Read as the panels read it: replicas and the recorded count.
    let seen = super::convert::deployment(&d);
    if seen.desired != from {
        return Err(ActionError::rejected(format!(
            "deployment {namespace}/{deployment} has {} replicas now, not {from}: nothing changed",
            seen.desired
        )));
    }
    let (annotation, note) = match (seen.restore_to, restore_after(seen.restore_to, from, to, restore)) {
        (_, None) => (Value::Null, String::new()),
        (None, Some(n)) => (json!(n.to_string()), format!("; {n} recorded for restore")),
        (Some(_), Some(n)) => (json!(n.to_string()), format!("; {n} still recorded for restore")),
    };
    // The resource version makes the change conditional: one made since the
    // read above is a 409, not silently overwritten.
    let patch = json!({
        "metadata": {"resourceVersion": d.metadata.resource_version, "annotations": {RESTORE_ANNOTATION: annotation}},
        "spec": {"replicas": to},
    });
    api.patch(deployment, &params(), &Patch::Merge(patch)).await.map_err(rejected)?;
    Ok(format!("deployment.apps/{deployment} scaled from {from} to {to}{note}"))
}

async fn delete_pod(client: &Client, namespace: &str, pod: &str) -> Result<String, ActionError> {
    let api = Api::<KPod>::namespaced(client.clone(), namespace);
    let answer = api.delete(pod, &DeleteParams::default()).await.map_err(rejected)?;
    Ok(match answer.left() {
        Some(p) => {
            let grace = p.metadata.deletion_grace_period_seconds.unwrap_or_default();
            format!("pod \"{pod}\" deleted (terminating, grace period {grace} s)")
        }
        None => format!("pod \"{pod}\" deleted"),
    })
}

/// The policy that isolates a namespace: every pod, no rule, both ways.
pub fn isolation_policy(namespace: &str) -> NetworkPolicy {
    NetworkPolicy {
        metadata: ObjectMeta {
            name: Some(ISOLATION_POLICY.into()),
            namespace: Some(namespace.into()),
            labels: Some([("app.kubernetes.io/managed-by".to_string(), "warroom".to_string())].into()),
            ..ObjectMeta::default()
        },
        spec: Some(NetworkPolicySpec {
            pod_selector: Some(LabelSelector::default()),
            policy_types: Some(vec!["Ingress".into(), "Egress".into()]),
            ingress: None,
            egress: None,
        }),
    }
}

async fn isolate(client: &Client, namespace: &str) -> Result<String, ActionError> {
    let api = Api::<NetworkPolicy>::namespaced(client.clone(), namespace);
    let post = PostParams { field_manager: Some(FIELD_MANAGER.into()), ..PostParams::default() };
    api.create(&post, &isolation_policy(namespace)).await.map_err(rejected)?;
    Ok(format!("networkpolicy.networking.k8s.io/{ISOLATION_POLICY} created: no traffic in or out of {namespace}"))
}

async fn lift_isolation(client: &Client, namespace: &str) -> Result<String, ActionError> {
    let api = Api::<NetworkPolicy>::namespaced(client.clone(), namespace);
    api.delete(ISOLATION_POLICY, &DeleteParams::default()).await.map_err(rejected)?;
    Ok(format!("networkpolicy.networking.k8s.io/{ISOLATION_POLICY} deleted: {namespace} is no longer isolated"))
}

fn params() -> PatchParams {
    PatchParams { field_manager: Some(FIELD_MANAGER.into()), ..PatchParams::default() }
}

/// An API error in the API's words: `404 NotFound: pods "x" not found`.
pub fn api_message(e: &kube::Error) -> String {
    match e {
        kube::Error::Api(s) if !s.reason.is_empty() => format!("{} {}: {}", s.code, s.reason, s.message),
        kube::Error::Api(s) => format!("{}: {}", s.code, s.message),
        other => other.to_string(),
    }
}

fn rejected(e: kube::Error) -> ActionError {
    ActionError::rejected(api_message(&e))
}
