//! The demo world as a cluster: its one namespace, its objects as YAML
//! (written from the model, as the API would describe them) and its
//! containers' logs, streamed.

use futures_util::StreamExt;

use super::*;
use crate::model::ContainerState;
use crate::sources::cluster::{BoxFuture, Cluster, LineStream, LogTarget, ObjectKind, ObjectRef};
use crate::sources::kube::Target;
use crate::sources::kube::control::to_yaml;

/// How often a followed healthy container writes a line.
const LOG_EVERY: Duration = Duration::from_secs(2);

impl DemoWorld {
    /// An object as the API would show it.
    pub(super) fn manifest(&self, object: &ObjectRef) -> Result<String, String> {
        let missing = || format!("{}s \"{}\" not found", object.kind.label(), object.name);
        if object.namespace != NAMESPACE {
            return Err(missing());
        }
        let stamp = |t: DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let value = match object.kind {
            ObjectKind::Pod => {
                let p = self.pods.get(&object.name).ok_or_else(missing)?;
                let dep = p.deployment.as_deref().unwrap_or_default();
                let hash = self.deployments.get(dep).map(|d| d.template_hash.clone()).unwrap_or_default();
                let state = |s: &ContainerState| match s {
                    ContainerState::Running { since } => json!({"running": {"startedAt": stamp(*since)}}),
                    ContainerState::Waiting { reason, message } => {
                        json!({"waiting": {"reason": reason, "message": message}})
                    }
                    ContainerState::Terminated(t) => {
                        json!({"terminated": {"reason": t.reason, "exitCode": t.exit_code}})
                    }
                    ContainerState::Unreported => json!({}),
                };
                json!({
                    "apiVersion": "v1",
                    "kind": "Pod",
                    "metadata": {
                        "name": p.name,
                        "namespace": p.namespace,
                        "creationTimestamp": stamp(p.created),
                        "labels": {"app": dep, "pod-template-hash": hash},
                        "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": format!("{dep}-{hash}"), "controller": true}],
                    },
                    "spec": {
                        "nodeName": p.node,
                        "containers": p.containers.iter().map(|c| json!({"name": c.name, "image": c.image})).collect::<Vec<_>>(),
                    },
                    "status": {
                        "phase": p.phase,
                        "containerStatuses": p.containers.iter().map(|c| {
                            let last = c.last_termination.as_ref().map(|t| json!({"terminated": {
                                "reason": t.reason, "exitCode": t.exit_code, "finishedAt": t.finished.map(stamp),
                            }}));
                            json!({"name": c.name, "image": c.image, "ready": c.ready, "restartCount": c.restarts,
                                   "state": state(&c.state), "lastState": last.unwrap_or_else(|| json!({}))})
                        }).collect::<Vec<_>>(),
                    },
                })
            }
            ObjectKind::Deployment => {
                let d = self.deployments.get(&object.name).ok_or_else(missing)?;
                let mut annotations = serde_json::Map::new();
                if let Some(n) = d.restore_to {
                    annotations.insert(crate::actions::RESTORE_ANNOTATION.into(), json!(n.to_string()));
                }
                json!({
                    "apiVersion": "apps/v1",
                    "kind": "Deployment",
                    "metadata": {"name": object.name, "namespace": NAMESPACE, "annotations": annotations},
                    "spec": {
                        "replicas": d.desired,
                        "selector": {"matchLabels": {"app": object.name}},
                        "template": {
                            "metadata": {"labels": {"app": object.name}},
                            "spec": {"containers": [{"name": object.name, "image": d.image}]},
                        },
                    },
                })
            }
        };
        to_yaml(&value)
    }

    /// A container's log as `kubectl logs` would give it now.
    pub(super) fn log_lines(&self, t: &LogTarget) -> Result<Vec<String>, String> {
        let p = self.pods.get(&t.pod).filter(|_| t.namespace == NAMESPACE);
        let p = p.ok_or_else(|| format!("pods \"{}\" not found", t.pod))?;
        let c = p.containers.iter().find(|c| *c.name == *t.container);
        let c = c.ok_or_else(|| format!("container {} is not valid for pod {}", t.container, t.pod))?;
        let text = if t.previous {
            let last = c.last_termination.as_ref().ok_or_else(|| {
                format!("previous terminated container \"{}\" in pod \"{}\" not found", t.container, t.pod)
            })?;
            kube::demo_logs(&t.pod, Some(last), self.now)
        } else {
            kube::demo_logs(&t.pod, None, self.now)
        };
        let lines: Vec<String> = text.lines().map(str::to_string).collect();
        let skip = lines.len().saturating_sub(t.tail);
        Ok(lines.into_iter().skip(skip).collect())
    }

    /// The line a followed container writes next, if it is up.
    fn next_log_line(&self, t: &LogTarget) -> Option<String> {
        let p = self.pods.get(&t.pod)?;
        if p.deleting || self.pod_broken(&t.pod) {
            return None;
        }
        let stamp = self.now.format("%Y-%m-%dT%H:%M:%S%.3fZ");
        Some(format!("ts={stamp} level=info msg=\"GET /healthz\" status=200 duration_ms=1.1"))
    }
}

impl Cluster for DemoExecutor {
    fn retarget(&self, target: Target) {
        // The demo has one namespace and one context: nothing to restart.
        tracing::info!(?target, "the demo world has only {NAMESPACE}");
    }

    fn namespaces(&self) -> BoxFuture<Result<Vec<String>, String>> {
        Box::pin(async { Ok(vec![NAMESPACE.to_string()]) })
    }

    fn manifest(&self, object: ObjectRef) -> BoxFuture<Result<String, String>> {
        let text = self.shared.world().manifest(&object);
        Box::pin(async move { text })
    }

    fn logs(&self, target: LogTarget) -> LineStream {
        let first = self.shared.world().log_lines(&target);
        let failed = first.is_err();
        let head = futures_util::stream::iter([first]);
        if !target.follow || failed {
            return Box::pin(head);
        }
        let shared = self.shared.clone();
        let more = futures_util::stream::unfold((), move |()| {
            let (shared, target) = (shared.clone(), target.clone());
            async move {
                tokio::time::sleep(LOG_EVERY).await;
                let line = shared.world().next_log_line(&target);
                Some((Ok(line.into_iter().collect()), ()))
            }
        });
        Box::pin(head.chain(
            more.filter(|l: &Result<Vec<String>, String>| {
                std::future::ready(l.as_ref().map_or(true, |l| !l.is_empty()))
            }),
        ))
    }
}
