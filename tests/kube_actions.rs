//! Kubernetes actions against a real kube-apiserver (see
//! `tests/support/k8s.rs`): every action's effect is read back through the
//! API, refusals are failures in the API's words, and collected logs are
//! saved with their hashes.
#![allow(clippy::unwrap_used)]

#[path = "support/k8s.rs"]
mod k8s;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{Namespace, Pod};
use k8s_openapi::api::networking::v1::NetworkPolicy;
use kube::api::{Api, Patch, PatchParams, PostParams};
use serde_json::json;
use warroom::actions::{
    Action, ActionError, ActionKind, Executed, Executor, ISOLATION_POLICY, RESTORE_ANNOTATION, Scope,
};
use warroom::sources::clock::SystemClock;
use warroom::sources::cluster::LogTarget;
use warroom::sources::kube::execute::{ByteStream, LogFuture, LogRequest, LogSource, RESTARTED_AT};
use warroom::sources::kube::{KubeExecutor, Target};

async fn namespace(client: &kube::Client, name: &str) {
    let ns: Namespace = serde_json::from_value(json!({"metadata": {"name": name}})).unwrap();
    Api::<Namespace>::all(client.clone()).create(&PostParams::default(), &ns).await.unwrap();
}

async fn deployment(client: &kube::Client, ns: &str, name: &str, replicas: i32) {
    let d: Deployment = serde_json::from_value(json!({
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "app", "image": "registry.example.com/shop/backend:1.18.4"}]}
            }
        }
    }))
    .unwrap();
    Api::<Deployment>::namespaced(client.clone(), ns).create(&PostParams::default(), &d).await.unwrap();
}

/// A pod of deployment `app` with the given containers, and a status in
/// which `restarted` containers have a previous instance. It is on a node
/// (one the test bed does not have) when `node` is in its name.
async fn pod(client: &kube::Client, ns: &str, name: &str, app: &str, containers: &[&str], restarted: &[&str]) {
    let specs: Vec<_> = containers.iter().map(|c| json!({"name": c, "image": "img"})).collect();
    let mut spec = json!({"containers": specs});
    if name.contains("node") {
        spec["nodeName"] = json!("ip-10-0-1-23");
    }
    let p: Pod = serde_json::from_value(json!({
        "metadata": {"name": name, "labels": {"app": app}},
        "spec": spec
    }))
    .unwrap();
    let pods = Api::<Pod>::namespaced(client.clone(), ns);
    pods.create(&PostParams::default(), &p).await.unwrap();
    let statuses: Vec<_> = containers
        .iter()
        .map(|c| {
            let restarts = i32::from(restarted.contains(c));
            json!({"name": c, "image": "img", "imageID": "", "ready": restarts == 0, "restartCount": restarts,
                   "state": {"running": {"startedAt": "2026-01-01T00:00:00Z"}}})
        })
        .collect();
    let status = json!({"status": {"phase": "Running", "containerStatuses": statuses}});
    pods.patch_status(name, &PatchParams::default(), &Patch::Merge(status)).await.unwrap();
}

fn action(kind: ActionKind) -> Action {
    Action { kind, scope: Scope::default() }
}

async fn run(executor: &KubeExecutor, kind: ActionKind) -> Result<Executed, ActionError> {
    executor.execute(action(kind)).await
}

fn rejected(r: Result<Executed, ActionError>) -> String {
    match r {
        Err(ActionError::Rejected { message }) => message,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

fn executor(target: Target) -> KubeExecutor {
    KubeExecutor::new(target, Arc::new(SystemClock))
}

#[tokio::test]
async fn deployment_actions_are_visible_through_the_api() {
    let server = k8s::shared();
    let admin = server.admin().await;
    namespace(&admin, "deploy-actions").await;
    deployment(&admin, "deploy-actions", "backend", 3).await;
    let deployments: Api<Deployment> = Api::namespaced(admin.clone(), "deploy-actions");
    let read = |d: Deployment| {
        let replicas = d.spec.as_ref().unwrap().replicas.unwrap();
        let restore = d.metadata.annotations.unwrap_or_default().get(RESTORE_ANNOTATION).cloned();
        (replicas, restore)
    };
    let k = executor(server.target(&["deploy-actions"]));
    let ns = || "deploy-actions".to_string();
    let name = || "backend".to_string();

    // Rollout restart writes the annotation kubectl writes.
    let before = chrono::Utc::now() - chrono::TimeDelta::seconds(1);
    let done = run(&k, ActionKind::RolloutRestart { namespace: ns(), deployment: name() }).await.unwrap();
    assert!(done.message.starts_with("deployment.apps/backend restarted"), "{}", done.message);
    let d = deployments.get("backend").await.unwrap();
    let template = d.spec.as_ref().unwrap().template.metadata.as_ref().unwrap();
    let at = template.annotations.as_ref().unwrap()[RESTARTED_AT].clone();
    assert!(chrono::DateTime::parse_from_rfc3339(&at).unwrap() >= before, "{at}");

    // A scale-down records the count before it; a restore goes back to it.
    let scale = |from, to| ActionKind::Scale { namespace: ns(), deployment: name(), from, to };
    let done = run(&k, scale(3, 1)).await.unwrap();
    assert_eq!(done.message, "deployment.apps/backend scaled from 3 to 1; 3 recorded for restore");
    assert_eq!(read(deployments.get("backend").await.unwrap()), (1, Some("3".into())));
    run(&k, scale(1, 0)).await.unwrap();
    assert_eq!(read(deployments.get("backend").await.unwrap()), (0, Some("3".into())), "the first count is kept");
    // A count that changed since the dialog opened changes nothing.
    let stale = rejected(run(&k, scale(1, 2)).await);
    assert_eq!(stale, "deployment deploy-actions/backend has 0 replicas now, not 1: nothing changed");
    let restore = ActionKind::RestoreScale { namespace: ns(), deployment: name(), from: 0, to: 3 };
    run(&k, restore).await.unwrap();
    assert_eq!(read(deployments.get("backend").await.unwrap()), (3, None));

    // What the API refuses is a failure in its words, not a panic.
    let missing = rejected(run(&k, ActionKind::RolloutRestart { namespace: ns(), deployment: "nope".into() }).await);
    assert_eq!(missing, "404 NotFound: deployments.apps \"nope\" not found");
    deployments
        .patch("backend", &PatchParams::default(), &Patch::Merge(json!({"spec": {"paused": true}})))
        .await
        .unwrap();
    let paused = rejected(run(&k, ActionKind::RolloutRestart { namespace: ns(), deployment: name() }).await);
    assert!(paused.contains("is paused"), "{paused}");
}

#[tokio::test]
async fn pods_are_deleted_and_namespaces_isolated_and_lifted() {
    let server = k8s::shared();
    let admin = server.admin().await;
    namespace(&admin, "pod-actions").await;
    pod(&admin, "pod-actions", "backend-1", "backend", &["app"], &[]).await;
    let k = executor(server.target(&["pod-actions"]));
    let ns = || "pod-actions".to_string();
    let pods: Api<Pod> = Api::namespaced(admin.clone(), "pod-actions");

    let delete = || ActionKind::DeletePod { namespace: ns(), pod: "backend-1".into() };
    let done = run(&k, delete()).await.unwrap();
    assert!(done.message.starts_with("pod \"backend-1\" deleted"), "{}", done.message);
    // Never scheduled, so nothing waits for a kubelet: it is gone.
    assert!(pods.get_opt("backend-1").await.unwrap().is_none());
    assert_eq!(rejected(run(&k, delete()).await), "404 NotFound: pods \"backend-1\" not found");

    let policies: Api<NetworkPolicy> = Api::namespaced(admin.clone(), "pod-actions");
    run(&k, ActionKind::IsolateNamespace { namespace: ns() }).await.unwrap();
    let p = policies.get(ISOLATION_POLICY).await.unwrap();
    let spec = p.spec.unwrap();
    assert_eq!(spec.pod_selector, Some(Default::default()), "every pod");
    assert_eq!(spec.policy_types.unwrap(), ["Ingress", "Egress"]);
    assert!(spec.ingress.unwrap_or_default().is_empty() && spec.egress.unwrap_or_default().is_empty());
    let twice = rejected(run(&k, ActionKind::IsolateNamespace { namespace: ns() }).await);
    assert!(twice.starts_with("409 AlreadyExists:"), "{twice}");

    let done = run(&k, ActionKind::LiftIsolation { namespace: ns() }).await.unwrap();
    assert!(done.message.contains("no longer isolated"), "{}", done.message);
    assert!(policies.get_opt(ISOLATION_POLICY).await.unwrap().is_none());
    let again = rejected(run(&k, ActionKind::LiftIsolation { namespace: ns() }).await);
    assert!(again.starts_with("404 NotFound:"), "{again}");
}

#[tokio::test]
async fn a_user_who_may_only_read_gets_a_clear_403() {
    let server = k8s::shared();
    let admin = server.admin().await;
    namespace(&admin, "forbidden").await;
    deployment(&admin, "forbidden", "backend", 2).await;
    let k = executor(server.viewer(&["forbidden"]));
    let refused = rejected(
        run(&k, ActionKind::RolloutRestart { namespace: "forbidden".into(), deployment: "backend".into() }).await,
    );
    assert!(refused.starts_with("403 Forbidden:") && refused.contains("User \"viewer\" cannot patch"), "{refused}");
    let replicas =
        Api::<Deployment>::namespaced(admin, "forbidden").get("backend").await.unwrap().spec.unwrap().replicas;
    assert_eq!(replicas, Some(2), "nothing changed");
}

#[tokio::test]
async fn logs_the_test_server_cannot_serve_are_a_clear_failure() {
    // Without a kubelet the API server has nowhere to get logs from.
    let server = k8s::shared();
    let admin = server.admin().await;
    namespace(&admin, "no-kubelet").await;
    pod(&admin, "no-kubelet", "on-node-1", "backend", &["app"], &["app"]).await;
    let k = executor(server.target(&["no-kubelet"]));
    let err =
        rejected(run(&k, ActionKind::CollectLogs { namespace: "no-kubelet".into(), pod: "on-node-1".into() }).await);
    assert!(err.starts_with("no logs of pod on-node-1: on-node-1/app (previous): 404 NotFound:"), "{err}");
    // A pod no node has taken has no logs to ask for.
    pod(&admin, "no-kubelet", "pending", "backend", &["app"], &[]).await;
    let pending =
        rejected(run(&k, ActionKind::CollectLogs { namespace: "no-kubelet".into(), pod: "pending".into() }).await);
    assert_eq!(pending, "no logs of pod pending: pending: not scheduled to a node, so no container has run");
    let gone = rejected(run(&k, ActionKind::CollectLogs { namespace: "no-kubelet".into(), pod: "nope".into() }).await);
    assert_eq!(gone, "404 NotFound: pods \"nope\" not found");
}

/// Logs a test provides: one text per container and instance, and a record
/// of what was asked.
#[derive(Default)]
struct CannedLogs(Mutex<Vec<LogRequest>>);

impl LogSource for CannedLogs {
    fn logs(&self, _: kube::Client, r: LogRequest) -> LogFuture {
        self.0.lock().unwrap().push(r.clone());
        let which = if r.previous { "previous" } else { "current" };
        let text = format!("{} {} {which}\n\x1b[31mpanic: boom\x1b[0m\n", r.pod, r.container);
        Box::pin(async move { if r.container == "broken" { Err("400 BadRequest: no".into()) } else { Ok(text) } })
    }

    fn stream(&self, _: kube::Client, _: LogTarget) -> ByteStream {
        Box::pin(futures_util::stream::iter([Err("collecting never streams".to_string())]))
    }
}

#[tokio::test]
async fn collected_logs_cover_every_container_and_restart_and_are_saved_with_hashes() {
    let server = k8s::shared();
    let admin = server.admin().await;
    namespace(&admin, "evidence").await;
    pod(&admin, "evidence", "backend-1-node-a", "backend", &["app", "proxy"], &["app"]).await;
    pod(&admin, "evidence", "backend-2-node-b", "backend", &["app", "proxy"], &[]).await;
    pod(&admin, "evidence", "other-node-c", "other", &["broken"], &[]).await;
    let canned = Arc::new(CannedLogs::default());
    let k = KubeExecutor::with_logs(server.target(&["evidence"]), Arc::new(SystemClock), canned.clone());

    let done = run(&k, ActionKind::CollectLogs { namespace: "evidence".into(), pod: "backend-1-node-a".into() })
        .await
        .unwrap();
    let labels: Vec<&str> = done.evidence.iter().map(|e| e.label.as_str()).collect();
    assert_eq!(
        labels,
        ["evidence-backend-1-node-a-app-previous", "evidence-backend-1-node-a-app", "evidence-backend-1-node-a-proxy"],
        "the restarted container's previous instance too"
    );
    assert_eq!(done.message, "collected 3 logs (6 lines) of pod backend-1-node-a");

    // Saved exactly as received, each with its hash.
    let dir = tempfile::tempdir().unwrap();
    let output = warroom::runtime::finish_action(Ok(done), dir.path(), chrono::Utc::now()).unwrap();
    assert_eq!(output.evidence.len(), 3);
    for (saved, text) in output.evidence.iter().zip(["app previous", "app current", "proxy current"]) {
        let bytes = std::fs::read(&saved.path).unwrap();
        assert_eq!(
            String::from_utf8(bytes.clone()).unwrap(),
            format!("backend-1-node-a {text}\n\x1b[31mpanic: boom\x1b[0m\n")
        );
        assert_eq!(saved.sha256, warroom::evidence::sha256(&bytes));
        assert_eq!(saved.bytes, bytes.len() as u64);
    }

    // A deployment's logs are those of the pods its selector matches.
    canned.0.lock().unwrap().clear();
    let done = run(
        &k,
        ActionKind::CollectDeploymentLogs {
            namespace: "evidence".into(),
            deployment: "backend".into(),
            selector: "app=backend".into(),
        },
    )
    .await
    .unwrap();
    let asked: BTreeMap<String, usize> = canned.0.lock().unwrap().iter().fold(BTreeMap::new(), |mut m, r| {
        *m.entry(r.pod.clone()).or_default() += 1;
        m
    });
    assert_eq!(asked, BTreeMap::from([("backend-1-node-a".into(), 3), ("backend-2-node-b".into(), 2)]));
    assert_eq!(done.message, "collected 5 logs (10 lines) of 2 pods of backend");

    // What cannot be read is named; nothing read at all is a failure.
    let err =
        rejected(run(&k, ActionKind::CollectLogs { namespace: "evidence".into(), pod: "other-node-c".into() }).await);
    assert_eq!(err, "no logs of pod other-node-c: other-node-c/broken: 400 BadRequest: no");
    let none = rejected(
        run(
            &k,
            ActionKind::CollectDeploymentLogs {
                namespace: "evidence".into(),
                deployment: "gone".into(),
                selector: "app=gone".into(),
            },
        )
        .await,
    );
    assert_eq!(none, "no pods in evidence match app=gone");
}
