//! The live cluster as the console browses it, against a real
//! kube-apiserver (see `tests/support/k8s.rs`): switching namespaces
//! restarts the watches, namespaces are listed, objects shown as YAML
//! without managed fields, and logs streamed (the test server has no
//! kubelet: its error is shown, and the happy path uses a log source the
//! test provides).
#![allow(clippy::unwrap_used)]

#[path = "support/k8s.rs"]
mod k8s;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::StreamExt;
use k8s_openapi::api::core::v1::{Namespace, Pod};
use kube::api::{Api, PostParams};
use serde_json::json;
use tokio::sync::mpsc;
use warroom::sources::clock::SystemClock;
use warroom::sources::cluster::{Cluster, LogTarget, ObjectKind, ObjectRef};
use warroom::sources::kube::execute::{ByteStream, LogFuture, LogRequest, LogSource};
use warroom::sources::kube::{KubeExecutor, LiveCluster, Target};
use warroom::state::{FeedId, FeedPhase, LiveState, SourceUpdate};

async fn namespace(client: &kube::Client, name: &str) {
    let ns: Namespace = serde_json::from_value(json!({"metadata": {"name": name}})).unwrap();
    Api::<Namespace>::all(client.clone()).create(&PostParams::default(), &ns).await.unwrap();
}

async fn pod(client: &kube::Client, ns: &str, name: &str, node: Option<&str>) {
    let p: Pod = serde_json::from_value(json!({
        "metadata": {"name": name, "labels": {"app": "web"}},
        "spec": {"nodeName": node, "containers": [{"name": "app", "image": "img"}]}
    }))
    .unwrap();
    Api::<Pod>::namespaced(client.clone(), ns).create(&PostParams::default(), &p).await.unwrap();
}

fn log_target(ns: &str, pod: &str) -> LogTarget {
    LogTarget {
        namespace: ns.into(),
        pod: pod.into(),
        container: "app".into(),
        previous: false,
        follow: true,
        tail: 50,
    }
}

/// A cluster on the test server, and the state its feeds build.
struct Console {
    cluster: LiveCluster,
    live: LiveState,
    rx: mpsc::Receiver<SourceUpdate>,
}

impl Console {
    fn start(target: Target, logs: Option<Arc<dyn LogSource>>) -> Console {
        let (tx, rx) = mpsc::channel(4096);
        let clock = Arc::new(SystemClock);
        let executor = match logs {
            Some(l) => KubeExecutor::with_logs(target.clone(), clock.clone(), l),
            None => KubeExecutor::new(target.clone(), clock.clone()),
        };
        Console { cluster: LiveCluster::start(target, executor, clock, tx), live: LiveState::default(), rx }
    }

    /// Applies updates until `done` holds, calling `each` on every
    /// update; panics after 20 s with what the state was.
    async fn until(&mut self, what: &str, mut each: impl FnMut(&LiveState), done: impl Fn(&LiveState) -> bool) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        while !done(&self.live) {
            match tokio::time::timeout_at(deadline, self.rx.recv()).await {
                Ok(Some(u)) => {
                    self.live.apply(u);
                    each(&self.live);
                }
                Ok(None) => panic!("the source stopped before: {what}"),
                Err(_) => panic!("not within 20 s: {what}; feeds {:?}", self.live.feeds),
            }
        }
    }
}

fn pod_names(live: &LiveState) -> Vec<String> {
    let mut names: Vec<String> = live.pods.values().map(|p| p.key()).collect();
    names.sort();
    names
}

fn pods_live(live: &LiveState) -> bool {
    live.feeds.get(FeedId::Pods).is_some_and(|f| matches!(f.phase, FeedPhase::Live))
}

#[tokio::test]
async fn switching_namespace_empties_the_feeds_and_watches_the_new_one_only() {
    let server = k8s::shared();
    let admin = server.admin().await;
    for ns in ["switch-a", "switch-b"] {
        namespace(&admin, ns).await;
    }
    pod(&admin, "switch-a", "a-1", None).await;
    pod(&admin, "switch-b", "b-1", None).await;
    pod(&admin, "switch-b", "b-2", None).await;
    let mut console = Console::start(server.target(&["switch-a"]), None);
    console.until("switch-a listed", |_| {}, |l| pods_live(l) && pod_names(l) == ["switch-a/a-1"]).await;

    console.cluster.retarget(server.target(&["switch-b"]));
    let mut emptied = false;
    let mut stale = Vec::new();
    console
        .until(
            "switch-b listed",
            |l| {
                let names = pod_names(l);
                emptied |= names.is_empty();
                // Once emptied, nothing of the old namespace comes back.
                if emptied && names.iter().any(|n| n.starts_with("switch-a/")) {
                    stale = names;
                }
            },
            |l| pods_live(l) && pod_names(l) == ["switch-b/b-1", "switch-b/b-2"],
        )
        .await;
    assert!(emptied, "the feeds were emptied before the new namespace's pods arrived");
    assert!(stale.is_empty(), "the old watch kept sending: {stale:?}");

    // Actions follow the target: a pod of the new namespace is found.
    let yaml =
        console.cluster.manifest(ObjectRef { kind: ObjectKind::Pod, namespace: "switch-b".into(), name: "b-1".into() });
    assert!(yaml.await.unwrap().contains("name: b-1"));
    // And a change made now shows up: the new watch is live.
    pod(&admin, "switch-b", "b-3", None).await;
    console.until("b-3 arrives", |_| {}, |l| pod_names(l).contains(&"switch-b/b-3".to_string())).await;
}

#[tokio::test]
async fn namespaces_are_listed_and_a_broken_kubeconfig_says_why() {
    let server = k8s::shared();
    let admin = server.admin().await;
    namespace(&admin, "listed-ns").await;
    let console = Console::start(server.target(&[]), None);
    let names = console.cluster.namespaces().await.unwrap();
    assert!(names.contains(&"listed-ns".to_string()) && names.contains(&"default".to_string()), "{names:?}");
    assert!(names.windows(2).all(|w| w[0] <= w[1]), "sorted: {names:?}");

    // Without a usable kubeconfig the palette is told which file and why.
    let (tx, _rx) = mpsc::channel(64);
    let clock = Arc::new(SystemClock);
    let target = Target { kubeconfig: Some("/nonexistent/kubeconfig".into()), ..Target::default() };
    let broken = LiveCluster::start(target.clone(), KubeExecutor::new(target, clock.clone()), clock, tx);
    let err = broken.namespaces().await.unwrap_err();
    assert!(err.contains("/nonexistent/kubeconfig"), "{err}");
}

#[tokio::test]
async fn yaml_has_the_object_without_its_managed_fields() {
    let server = k8s::shared();
    let admin = server.admin().await;
    namespace(&admin, "yaml-ns").await;
    pod(&admin, "yaml-ns", "web-1", Some("ip-10-0-1-23")).await;
    let console = Console::start(server.target(&["yaml-ns"]), None);
    let object = |name: &str| ObjectRef { kind: ObjectKind::Pod, namespace: "yaml-ns".into(), name: name.into() };
    let yaml = console.cluster.manifest(object("web-1")).await.unwrap();
    for must in ["kind: Pod", "name: web-1", "namespace: yaml-ns", "nodeName: ip-10-0-1-23", "image: img"] {
        assert!(yaml.contains(must), "{must} missing from\n{yaml}");
    }
    assert!(!yaml.contains("managedFields"), "{yaml}");
    let err = console.cluster.manifest(object("nope")).await.unwrap_err();
    assert_eq!(err, "404 NotFound: pods \"nope\" not found");
}

#[tokio::test]
async fn a_log_the_server_cannot_serve_ends_with_its_answer() {
    let server = k8s::shared();
    let admin = server.admin().await;
    namespace(&admin, "logs-err").await;
    // On a node that does not exist: the API server cannot reach a kubelet.
    pod(&admin, "logs-err", "web-1", Some("ip-10-0-1-23")).await;
    let console = Console::start(server.target(&["logs-err"]), None);
    let got: Vec<_> = console.cluster.logs(log_target("logs-err", "web-1")).collect().await;
    assert_eq!(got.len(), 1, "{got:?}");
    let err = got[0].as_ref().unwrap_err();
    assert!(err.starts_with("404 NotFound"), "{err}");
    let got: Vec<_> = console.cluster.logs(log_target("logs-err", "missing")).collect().await;
    assert_eq!(got.len(), 1);
    assert!(got[0].as_ref().unwrap_err().contains("pods \"missing\" not found"), "{got:?}");
}

/// Streams canned chunks cut mid-line, and records what it was asked.
struct ChunkedLogs(Mutex<Vec<LogTarget>>);

impl LogSource for ChunkedLogs {
    fn logs(&self, _: kube::Client, _: LogRequest) -> LogFuture {
        Box::pin(async { Err("not used".into()) })
    }

    fn stream(&self, _: kube::Client, target: LogTarget) -> ByteStream {
        self.0.lock().unwrap().push(target);
        let chunks: Vec<Result<Vec<u8>, String>> = vec![
            Ok(b"first line\nsecond ".to_vec()),
            Ok(b"line\r\nthird \x1b[31mred\x1b[0m\n".to_vec()),
            Ok(b"unterminated".to_vec()),
        ];
        Box::pin(futures_util::stream::iter(chunks))
    }
}

#[tokio::test]
async fn a_log_streams_as_lines_from_the_source_with_what_was_asked() {
    let server = k8s::shared();
    let logs = Arc::new(ChunkedLogs(Mutex::new(Vec::new())));
    let console = Console::start(server.target(&["default"]), Some(logs.clone()));
    let mut asked = log_target("default", "web-1");
    asked.previous = true;
    asked.follow = false;
    let batches: Vec<Vec<String>> = console.cluster.logs(asked.clone()).map(Result::unwrap).collect().await;
    let lines: Vec<String> = batches.concat();
    // Escapes are kept here: the viewer sanitises what it shows.
    assert_eq!(lines, ["first line", "second line", "third \x1b[31mred\x1b[0m", "unterminated"]);
    assert_eq!(*logs.0.lock().unwrap(), [asked]);
}
