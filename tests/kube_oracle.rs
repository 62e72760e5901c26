//! kubectl is the oracle: pods seeded into a real kube-apiserver in every
//! state the printer has a rule for, then the console's STATUS, READY
//! and RESTARTS compared with what `kubectl get pods` prints for the
//! same pods (the API server itself prints those columns).
//!
//! The test bed's server is Kubernetes 1.20: it has no sidecar
//! containers or scheduling gates (the fields are dropped), prints
//! RESTARTS without `(5m ago)`, and reads Terminating without looking
//! at the phase. Those rules of the current printer are unit-tested in
//! `src/model/pod/tests.rs`; here RESTARTS is compared by its count.
#![allow(clippy::unwrap_used)]

#[path = "support/k8s.rs"]
mod k8s;
#[path = "support/kube_console.rs"]
mod kube_console;

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::Pod as KPod;
use kube::api::{Api, DeleteParams, PostParams};
use kube_console::{Console, namespace, set_status};
use serde_json::{Value, json};

const NS: &str = "oracle";

/// A container status in `state`.
fn st(name: &str, ready: bool, restarts: i32, state: Value) -> Value {
    json!({"name": name, "image": "img", "imageID": "", "ready": ready, "restartCount": restarts, "state": state})
}

fn running() -> Value {
    json!({"running": {"startedAt": "2026-01-01T00:00:00Z"}})
}

fn waiting(reason: &str) -> Value {
    json!({"waiting": {"reason": reason, "message": "seeded"}})
}

fn ended(reason: Option<&str>, code: i32, signal: i32) -> Value {
    let mut t = json!({"exitCode": code, "finishedAt": "2026-01-01T00:05:00Z"});
    if let Some(r) = reason {
        t["reason"] = json!(r);
    }
    if signal != 0 {
        t["signal"] = json!(signal);
    }
    json!({"terminated": t})
}

fn with_last(mut status: Value, reason: &str, code: i32) -> Value {
    status["lastState"] =
        json!({"terminated": {"reason": reason, "exitCode": code, "finishedAt": "2026-01-01T00:04:00Z"}});
    status
}

/// One seeded pod: its containers, init containers, whether it is bound
/// to a node (so a delete leaves it terminating), its status, and
/// whether it is then deleted.
struct Seed {
    name: &'static str,
    containers: &'static [&'static str],
    init: &'static [&'static str],
    node: bool,
    status: Option<Value>,
    delete: bool,
}

fn seed(name: &'static str, containers: &'static [&'static str], status: Value) -> Seed {
    Seed { name, containers, init: &[], node: false, status: Some(status), delete: false }
}

fn init_seed(name: &'static str, init: &'static [&'static str], status: Value) -> Seed {
    Seed { init, ..seed(name, &["app"], status) }
}

fn conditions(ready: bool, initialized: bool) -> Value {
    let b = |v: bool| if v { "True" } else { "False" };
    json!([
        {"type": "Initialized", "status": b(initialized)},
        {"type": "Ready", "status": b(ready)},
        {"type": "ContainersReady", "status": b(ready)},
        {"type": "PodScheduled", "status": "True"}
    ])
}

fn seeds() -> Vec<Seed> {
    let app = &["app"][..];
    let two = &["app", "log"][..];
    let phase = |p: &str, statuses: Vec<Value>, ready: bool| json!({"phase": p, "conditions": conditions(ready, true), "containerStatuses": statuses});
    let initializing = |init: Vec<Value>| {
        json!({
            "phase": "Pending",
            "conditions": conditions(false, false),
            "initContainerStatuses": init,
            "containerStatuses": [st("app", false, 0, waiting("PodInitializing"))]
        })
    };
    vec![
        Seed { status: None, ..seed("no-status", app, Value::Null) },
        seed(
            "evicted",
            app,
            json!({"phase": "Failed", "reason": "Evicted", "message": "The node was low on resource: memory."}),
        ),
        seed(
            "unschedulable",
            app,
            json!({"phase": "Pending", "conditions": [{"type": "PodScheduled", "status": "False", "reason": "Unschedulable", "message": "0/3 nodes are available: 3 Insufficient memory."}]}),
        ),
        seed("creating", app, phase("Pending", vec![st("app", false, 0, waiting("ContainerCreating"))], false)),
        seed("ready", two, phase("Running", vec![st("app", true, 0, running()), st("log", true, 0, running())], true)),
        seed(
            "not-ready",
            two,
            phase("Running", vec![st("app", false, 0, running()), st("log", true, 0, running())], false),
        ),
        seed(
            "crash-loop",
            app,
            phase(
                "Running",
                vec![with_last(st("app", false, 5, waiting("CrashLoopBackOff")), "OOMKilled", 137)],
                false,
            ),
        ),
        seed("oom-killed", app, phase("Running", vec![st("app", false, 2, ended(Some("OOMKilled"), 137, 0))], false)),
        seed(
            "running-after-oom",
            app,
            phase("Running", vec![with_last(st("app", true, 1, running()), "OOMKilled", 137)], true),
        ),
        seed("exit-code", app, phase("Running", vec![st("app", false, 1, ended(None, 2, 0))], false)),
        seed("signal", app, phase("Running", vec![st("app", false, 1, ended(None, 137, 9))], false)),
        seed("job-done", app, phase("Succeeded", vec![st("app", false, 0, ended(Some("Completed"), 0, 0))], false)),
        seed("job-failed", app, phase("Failed", vec![st("app", false, 0, ended(Some("Error"), 1, 0))], false)),
        seed("image-pull", app, phase("Pending", vec![st("app", false, 0, waiting("ImagePullBackOff"))], false)),
        seed(
            "config-error",
            two,
            phase(
                "Pending",
                vec![st("app", false, 0, waiting("CreateContainerConfigError")), st("log", true, 0, running())],
                false,
            ),
        ),
        seed(
            "first-reason-wins",
            two,
            phase(
                "Running",
                vec![
                    st("app", false, 3, waiting("CrashLoopBackOff")),
                    st("log", false, 0, waiting("ImagePullBackOff")),
                ],
                false,
            ),
        ),
        seed(
            "completed-beside-running",
            two,
            phase(
                "Running",
                vec![st("app", true, 0, running()), st("log", false, 0, ended(Some("Completed"), 0, 0))],
                true,
            ),
        ),
        seed(
            "completed-beside-unready",
            two,
            phase(
                "Running",
                vec![st("app", true, 0, running()), st("log", false, 0, ended(Some("Completed"), 0, 0))],
                false,
            ),
        ),
        seed("stale-ready-flag", app, phase("Running", vec![st("app", true, 4, waiting("CrashLoopBackOff"))], false)),
        seed("no-state", app, phase("Running", vec![st("app", false, 0, json!({}))], false)),
        init_seed(
            "init-crash-loop",
            &["migrate"],
            initializing(vec![with_last(st("migrate", false, 4, waiting("CrashLoopBackOff")), "Error", 1)]),
        ),
        init_seed("init-error", &["migrate"], initializing(vec![st("migrate", false, 0, ended(Some("Error"), 1, 0))])),
        init_seed("init-exit-code", &["migrate"], initializing(vec![st("migrate", false, 0, ended(None, 3, 0))])),
        init_seed("init-signal", &["migrate"], initializing(vec![st("migrate", false, 0, ended(None, 137, 9))])),
        init_seed(
            "init-one-of-two",
            &["fetch", "migrate"],
            initializing(vec![
                st("fetch", false, 0, ended(Some("Completed"), 0, 0)),
                st("migrate", false, 0, running()),
            ]),
        ),
        init_seed(
            "init-waiting",
            &["fetch", "migrate"],
            initializing(vec![
                st("fetch", false, 0, waiting("PodInitializing")),
                st("migrate", false, 0, waiting("PodInitializing")),
            ]),
        ),
        init_seed(
            "init-image",
            &["fetch", "migrate"],
            initializing(vec![
                st("fetch", false, 1, ended(Some("Completed"), 0, 0)),
                st("migrate", false, 0, waiting("ErrImagePull")),
            ]),
        ),
        init_seed(
            "init-done",
            &["migrate"],
            json!({
                "phase": "Running",
                "conditions": conditions(true, true),
                "initContainerStatuses": [st("migrate", false, 2, ended(Some("Completed"), 0, 0))],
                "containerStatuses": [with_last(st("app", true, 3, running()), "Error", 1)]
            }),
        ),
        Seed {
            node: true,
            delete: true,
            ..seed("terminating", app, phase("Running", vec![st("app", true, 0, running())], true))
        },
        Seed {
            node: true,
            delete: true,
            ..seed(
                "node-lost",
                app,
                json!({"phase": "Running", "reason": "NodeLost", "message": "Node node-a which was running pod is unresponsive",
                       "conditions": conditions(false, true), "containerStatuses": [st("app", false, 0, running())]}),
            )
        },
    ]
}

fn spec(s: &Seed) -> KPod {
    let containers = |names: &[&str]| -> Vec<Value> {
        names.iter().map(|n| json!({"name": n, "image": format!("registry.example.com/{n}:1")})).collect()
    };
    let mut pod = json!({
        "metadata": {"name": s.name},
        "spec": {"containers": containers(s.containers), "initContainers": containers(s.init)}
    });
    if s.node {
        pod["spec"]["nodeName"] = json!("node-a");
    }
    serde_json::from_value(pod).unwrap()
}

/// `kubectl get pods` as NAME → (READY, STATUS, RESTARTS).
fn kubectl_columns(server: &k8s::Server) -> BTreeMap<String, (String, String, String)> {
    let out = server.kubectl(&["get", "pods", "-n", NS, "--no-headers"]);
    out.lines()
        .map(|line| {
            let cells: Vec<&str> = line.split_whitespace().collect();
            assert!(cells.len() >= 5, "a kubectl row has NAME READY STATUS RESTARTS AGE: {line:?}");
            (cells[0].to_string(), (cells[1].to_string(), cells[2].to_string(), cells[3].to_string()))
        })
        .collect()
}

#[tokio::test]
async fn status_ready_and_restarts_read_as_kubectl_prints_them() {
    let server = k8s::shared();
    let admin = server.admin().await;
    namespace(&admin, NS).await;
    let pods: Api<KPod> = Api::namespaced(admin.clone(), NS);
    let seeds = seeds();
    for s in &seeds {
        pods.create(&PostParams::default(), &spec(s)).await.unwrap();
        if let Some(status) = &s.status {
            set_status(&pods, s.name, status.clone()).await;
        }
        if s.delete {
            pods.delete(s.name, &DeleteParams::default()).await.unwrap();
        }
    }

    let mut console = Console::start(server, &[NS]);
    let n = seeds.len();
    console.until("every seeded pod", |l| l.pods.len() == n).await;
    let kubectl = kubectl_columns(server);
    assert_eq!(kubectl.len(), n, "kubectl lists every seeded pod: {kubectl:?}");

    let mut table = String::new();
    let mut wrong = Vec::new();
    for (name, (ready, status, restarts)) in &kubectl {
        let p = console.live.pods.get(&format!("{NS}/{name}")).unwrap();
        let printed = p.printed();
        let ours =
            (format!("{}/{}", printed.ready, printed.total), printed.status.to_string(), printed.restarts.to_string());
        table.push_str(&format!(
            "{name:28} kubectl {ready:5} {status:28} {restarts:3} · warroom {} {} {}\n",
            ours.0, ours.1, ours.2
        ));
        if ours != (ready.clone(), status.clone(), restarts.clone()) {
            wrong.push(name.clone());
        }
    }
    eprintln!("{table}");
    assert!(wrong.is_empty(), "warroom differs from kubectl on {wrong:?}:\n{table}");
    // Every printer rule the server knows was exercised: the seeds cover
    // each of these words.
    let statuses: Vec<&str> = kubectl.values().map(|(_, s, _)| s.as_str()).collect();
    for want in [
        "Pending",
        "Evicted",
        "ContainerCreating",
        "Running",
        "NotReady",
        "CrashLoopBackOff",
        "OOMKilled",
        "ExitCode:2",
        "Signal:9",
        "Completed",
        "Error",
        "ImagePullBackOff",
        "CreateContainerConfigError",
        "Init:CrashLoopBackOff",
        "Init:Error",
        "Init:ExitCode:3",
        "Init:Signal:9",
        "Init:1/2",
        "Init:0/2",
        "Init:ErrImagePull",
        "Terminating",
        "Unknown",
    ] {
        assert!(statuses.contains(&want), "no seed prints {want}:\n{table}");
    }
}
