//! The Kubernetes source against a real kube-apiserver (see
//! `tests/support/k8s.rs`): watches, health from real objects, relists.
#![allow(clippy::unwrap_used)]

#[path = "support/k8s.rs"]
mod k8s;
#[path = "support/kube_console.rs"]
mod kube_console;

use std::time::Duration;

use k8s_openapi::api::core::v1::{Event as KEvent, Pod as KPod};
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams};
use kube_console::{Console, namespace, pod, set_status};
use serde_json::json;
use warroom::model::Health;
use warroom::state::{FeedId, FeedPhase, LiveState};

fn pod_spec(name: &str) -> KPod {
    serde_json::from_value(json!({
        "metadata": {
            "name": name,
            "labels": {"app": "backend", "pod-template-hash": "7d9c6b5f4"},
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "backend-7d9c6b5f4", "uid": "0b4e7d1c-0000-4000-8000-000000000001"}]
        },
        "spec": {"containers": [{"name": "app", "image": "registry.example.com/shop/backend:1.18.4"}]}
    }))
    .unwrap()
}

fn live(l: &LiveState, feed: FeedId) -> bool {
    l.feeds.get(feed).is_some_and(|f| f.phase == FeedPhase::Live)
}

#[tokio::test]
async fn the_watch_sees_pods_come_change_and_go() {
    let server = k8s::shared();
    let admin = server.admin().await;
    namespace(&admin, "watch").await;
    let pods: Api<KPod> = Api::namespaced(admin.clone(), "watch");
    pods.create(&PostParams::default(), &pod_spec("before")).await.unwrap();

    let mut console = Console::start(server, &["watch"]);
    console
        .until("the list is in and the feed live", |l| live(l, FeedId::Pods) && pod(l, "watch", "before").is_some())
        .await;
    assert_eq!(pod(&console.live, "watch", "before").unwrap().deployment.as_deref(), Some("backend"));

    pods.create(&PostParams::default(), &pod_spec("after")).await.unwrap();
    console.until("a created pod appears", |l| pod(l, "watch", "after").is_some()).await;
    set_status(
        &pods,
        "after",
        json!({"phase": "Running", "containerStatuses": [{
            "name": "app", "image": "img", "imageID": "", "ready": true, "restartCount": 0,
            "state": {"running": {"startedAt": "2026-01-01T00:00:00Z"}}
        }]}),
    )
    .await;
    console.until("its status is seen", |l| pod(l, "watch", "after").is_some_and(|p| p.status() == "Running")).await;
    pods.delete("before", &DeleteParams::default()).await.unwrap();
    console.until("a deleted pod goes", |l| pod(l, "watch", "before").is_none()).await;
    assert_eq!(console.live.pods.len(), 1);
}

#[tokio::test]
async fn health_is_derived_from_statuses_written_through_the_api() {
    let server = k8s::shared();
    let admin = server.admin().await;
    namespace(&admin, "health").await;
    let pods: Api<KPod> = Api::namespaced(admin.clone(), "health");
    for name in ["crashing", "oom", "unschedulable", "pulling"] {
        pods.create(&PostParams::default(), &pod_spec(name)).await.unwrap();
    }
    set_status(&pods, "crashing", json!({"phase": "Running", "containerStatuses": [{
        "name": "app", "image": "img", "imageID": "", "ready": false, "restartCount": 5,
        "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 2m40s restarting failed container"}}
    }]}))
    .await;
    set_status(
        &pods,
        "oom",
        json!({"phase": "Running", "containerStatuses": [{
            "name": "app", "image": "img", "imageID": "", "ready": false, "restartCount": 1,
            "state": {"running": {"startedAt": "2026-01-01T00:00:00Z"}},
            "lastState": {"terminated": {"reason": "OOMKilled", "exitCode": 137}}
        }]}),
    )
    .await;
    set_status(
        &pods,
        "unschedulable",
        json!({"phase": "Pending", "conditions": [{
            "type": "PodScheduled", "status": "False", "reason": "Unschedulable",
            "message": "0/3 nodes are available: 3 Insufficient memory."
        }]}),
    )
    .await;
    set_status(
        &pods,
        "pulling",
        json!({"phase": "Pending", "containerStatuses": [{
            "name": "app", "image": "img", "imageID": "", "ready": false, "restartCount": 0,
            "state": {"waiting": {"reason": "ImagePullBackOff", "message": "Back-off pulling image"}}
        }]}),
    )
    .await;

    let mut console = Console::start(server, &["health"]);
    console
        .until("four pods with statuses", |l| {
            l.pods.len() == 4 && pod(l, "health", "pulling").is_some_and(|p| p.status() == "ImagePullBackOff")
        })
        .await;
    let l = &console.live;
    let crashing = pod(l, "health", "crashing").unwrap();
    assert_eq!((&*crashing.status(), crashing.health(), crashing.restarts()), ("CrashLoopBackOff", Health::Crit, 5));
    let oom = pod(l, "health", "oom").unwrap();
    assert_eq!(oom.containers[0].last_termination.as_ref().unwrap().reason, "OOMKilled");
    // Running (kubectl's word), not ready: a warning.
    assert_eq!((&*oom.status(), oom.health()), ("Running", Health::Warn));
    let pending = pod(l, "health", "unschedulable").unwrap();
    assert_eq!((&*pending.status(), pending.note(chrono::Utc::now()).as_deref()), ("Pending", Some("Unschedulable")));
    assert!(pending.conditions.unscheduled.as_ref().unwrap().1.contains("Insufficient memory"));
    assert_eq!(l.pods.worst(), Health::Crit);

    // A restart the watch sees counts in the last hour.
    set_status(
        &pods,
        "crashing",
        json!({"containerStatuses": [{
            "name": "app", "image": "img", "imageID": "", "ready": false, "restartCount": 6,
            "state": {"waiting": {"reason": "CrashLoopBackOff"}}
        }]}),
    )
    .await;
    console.until("the sixth restart", |l| pod(l, "health", "crashing").is_some_and(|p| p.restarts() == 6)).await;
    assert_eq!(pod(&console.live, "health", "crashing").unwrap().restart_times.len(), 1);
}

/// Two pods in namespace `ns` of a server of its own, watched; then
/// `interrupt` breaks the server and brings it back, one pod is deleted and
/// one created. The console must end with exactly what the server has.
async fn across_an_outage(ns: &str, interrupt: impl FnOnce(&mut k8s::Server)) -> Console {
    let mut server = k8s::Server::start();
    let admin = server.admin().await;
    namespace(&admin, ns).await;
    let pods: Api<KPod> = Api::namespaced(admin.clone(), ns);
    pods.create(&PostParams::default(), &pod_spec("stays")).await.unwrap();
    pods.create(&PostParams::default(), &pod_spec("goes")).await.unwrap();
    let mut console = Console::start(&server, &[ns]);
    console.until("both pods", |l| live(l, FeedId::Pods) && l.pods.len() == 2).await;

    interrupt(&mut server);
    console.pod_phases.clear();
    let admin = server.admin().await;
    let pods: Api<KPod> = Api::namespaced(admin, ns);
    pods.delete("goes", &DeleteParams::default()).await.unwrap();
    pods.create(&PostParams::default(), &pod_spec("new")).await.unwrap();
    console
        .until("the state after the outage", |l| {
            live(l, FeedId::Pods) && pod(l, ns, "goes").is_none() && pod(l, ns, "new").is_some()
        })
        .await;
    assert_eq!(console.live.pods.len(), 2);
    console
}

#[tokio::test]
async fn a_restarted_api_server_is_relisted_with_what_changed_meanwhile() {
    // The server dies and comes back; what changes afterwards must show,
    // and what the console saw before must still be right.
    across_an_outage("relist", k8s::Server::restart_apiserver).await;
}

#[tokio::test]
async fn the_console_only_reads() {
    let server = k8s::shared();
    let admin = server.admin().await;
    namespace(&admin, "readonly").await;
    let mut console = Console::start(server, &["readonly"]);
    console
        .until("every feed live", |l| {
            [FeedId::Pods, FeedId::Deployments, FeedId::KubeEvents].iter().all(|f| live(l, *f))
        })
        .await;
    // The audit log is written asynchronously.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let requests = server.audited("warroom");
    assert!(!requests.is_empty());
    let mutating = k8s::mutating(&requests);
    assert!(mutating.is_empty(), "{mutating:?}");
}

#[tokio::test]
async fn a_watch_too_old_to_resume_is_relisted_through_syncing() {
    // While the API server is down, etcd moves on and compacts its
    // history: the watch cannot resume where it was (410 Gone) and must
    // list again.
    let console = across_an_outage("gone", |server| {
        server.kill_apiserver();
        server.etcd_advance_and_compact();
        server.start_apiserver();
    })
    .await;
    let relisted = console.pod_phases.windows(2).any(|w| w == [FeedPhase::Syncing, FeedPhase::Live]);
    assert!(relisted, "syncing, then live: {:?}", console.pod_phases);
}

/// A core/v1 Event about `object` (a pod in `ns`) last seen `ago` before now.
fn event(ns: &str, name: &str, pod: &str, type_: &str, reason: &str, count: i32, ago: chrono::TimeDelta) -> KEvent {
    let at = (chrono::Utc::now() - ago).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    serde_json::from_value(json!({
        "metadata": {"name": name, "namespace": ns},
        "involvedObject": {"kind": "Pod", "name": pod, "namespace": ns, "apiVersion": "v1"},
        "type": type_, "reason": reason, "message": format!("{reason} on {pod}"),
        "count": count, "firstTimestamp": at, "lastTimestamp": at,
        "source": {"component": "kubelet", "host": "node-1"}
    }))
    .unwrap()
}

/// The last hour's warning groups in words: `Pod/a 10: BackOff ×7, Unhealthy ×3`.
fn groups(l: &LiveState) -> Vec<String> {
    l.warning_groups(chrono::Utc::now() - chrono::TimeDelta::hours(1))
        .into_iter()
        .map(|g| {
            let reasons: Vec<String> = g.reasons.iter().map(|r| format!("{} ×{}", r.reason, r.count)).collect();
            format!("{} {}: {}", g.object, g.count, reasons.join(", "))
        })
        .collect()
}

#[tokio::test]
async fn warning_events_of_the_last_hour_are_grouped_by_object_with_counts() {
    use chrono::TimeDelta;
    let server = k8s::shared();
    let admin = server.admin().await;
    namespace(&admin, "warnings").await;
    let events: Api<KEvent> = Api::namespaced(admin.clone(), "warnings");
    let mins = TimeDelta::minutes;
    for e in [
        event("warnings", "a.1", "backend-a", "Warning", "BackOff", 5, mins(3)),
        // The same object and reason in a second Event object (a new
        // series): both count.
        event("warnings", "a.2", "backend-a", "Warning", "BackOff", 2, mins(2)),
        event("warnings", "a.3", "backend-a", "Warning", "Unhealthy", 3, mins(4)),
        event("warnings", "b.1", "backend-b", "Warning", "FailedScheduling", 1, mins(1)),
        // Not a warning: never watched.
        event("warnings", "a.4", "backend-a", "Normal", "Pulled", 1, mins(1)),
        // A warning older than an hour: kept, but not shown.
        event("warnings", "c.1", "backend-c", "Warning", "BackOff", 9, TimeDelta::hours(2)),
    ] {
        events.create(&PostParams::default(), &e).await.unwrap();
    }

    let mut console = Console::start(server, &["warnings"]);
    console.until("the warnings are in", |l| live(l, FeedId::KubeEvents) && l.kube_events.len() == 5).await;
    assert!(console.live.kube_events.get("warnings/a.4").is_none(), "Normal events are not watched");
    assert_eq!(
        groups(&console.live),
        ["Pod/backend-b 1: FailedScheduling ×1", "Pod/backend-a 10: BackOff ×7, Unhealthy ×3"]
    );

    // A repeat raises the count; a deleted Event takes only its own count.
    events
        .patch(
            "b.1",
            &PatchParams::default(),
            &Patch::Merge(json!({"count": 4, "lastTimestamp": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)})),
        )
        .await
        .unwrap();
    events.delete("a.1", &DeleteParams::default()).await.unwrap();
    console
        .until("the repeat and the deletion are seen", |l| {
            l.kube_events.get("warnings/a.1").is_none()
                && l.kube_events.get("warnings/b.1").is_some_and(|e| e.count == 4)
        })
        .await;
    assert_eq!(
        groups(&console.live),
        ["Pod/backend-b 4: FailedScheduling ×4", "Pod/backend-a 5: BackOff ×2, Unhealthy ×3"]
    );
}
