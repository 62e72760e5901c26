//! What holding pods costs, byte for byte: 100,000 pods spread over 1,000
//! namespaces (as the scale bench seeds them, with the status fields a
//! kubelet writes), converted from API objects as the Kubernetes source
//! converts them, sent to the console 500 at a time as a list arrives, and
//! settled into the Pods panel's order. A counting allocator reports the
//! heap held per pod at each stage:
//!
//! - the converted pods alone (what travels from the source to the console);
//! - the console once it holds them (store, summary counts, panel order);
//! - a set of the listed keys as the source keeps one (to remove what a
//!   relist no longer has).
//!
//! `cargo bench --bench pod_memory [-- --pods N]`.

#![allow(clippy::unwrap_used)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use k8s_openapi::api::core::v1::Pod as KPod;
use serde_json::json;
use warroom::app::Msg;
use warroom::model::Pod;
use warroom::sources::kube::convert;
use warroom::state::{Delta, FeedData, SourceUpdate};

struct Counting;

static HELD: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is passed to `System` unchanged; only sizes are counted.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        HELD.fetch_add(layout.size(), Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        HELD.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        HELD.fetch_add(new_size, Ordering::Relaxed);
        HELD.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn held() -> usize {
    HELD.load(Ordering::Relaxed)
}

/// Pod `i` as the API server returns it for the scale bench's seed.
fn api_pod(i: usize, per: usize) -> KPod {
    let running = i % 100 != 7;
    let state = if running {
        json!({"ready": true, "restartCount": 0, "started": true, "state": {"running": {"startedAt": "2026-01-01T00:00:00Z"}}})
    } else {
        json!({"ready": false, "restartCount": 9, "started": false, "state": {"waiting": {"reason": "CrashLoopBackOff"}},
               "lastState": {"terminated": {"exitCode": 1, "reason": "Error", "finishedAt": "2026-01-01T00:10:00Z"}}})
    };
    let mut c = json!({"name": "app", "image": "registry.example.com/shop/app:1.18.4",
                       "imageID": "registry.example.com/shop/app@sha256:0d6a5c1b"});
    c.as_object_mut().unwrap().extend(state.as_object().unwrap().clone());
    let condition = |t: &str, s: bool| json!({"type": t, "status": if s { "True" } else { "False" }});
    serde_json::from_value(json!({
        "metadata": {
            "name": format!("svc-{:03}-7d9f8b6c5-{i:05}", i % 300),
            "namespace": format!("team-{:04}", i / per),
            "uid": format!("0b4e7d1c-0000-4000-8000-{i:012}"),
            "resourceVersion": format!("{}", 1000 + i),
            "creationTimestamp": "2026-01-01T00:00:00Z",
            "labels": {"app": format!("svc-{:03}", i % 300), "pod-template-hash": "7d9f8b6c5"},
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "controller": true,
                "name": format!("svc-{:03}-7d9f8b6c5", i % 300), "uid": "0b4e7d1c-0000-4000-8000-000000000001"}]
        },
        "spec": {
            "nodeName": format!("ip-10-0-{}-{}", i % 4, i % 250),
            "containers": [{"name": "app", "image": "registry.example.com/shop/app:1.18.4"}]
        },
        "status": {
            "phase": "Running",
            "conditions": [condition("Initialized", true), condition("Ready", running),
                           condition("ContainersReady", running), condition("PodScheduled", true)],
            "hostIP": "10.0.0.1", "podIP": "10.1.0.1", "startTime": "2026-01-01T00:00:00Z",
            "containerStatuses": [c]
        }
    }))
    .unwrap()
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return; // `cargo test --benches`
    }
    let mut args = std::env::args();
    let n: usize =
        args.by_ref().find(|a| a == "--pods").and_then(|_| args.next()).map_or(100_000, |v| v.parse().unwrap());
    let per = 100;
    let mut app = warroom::fixtures::empty_app((50, 200), "default");
    let at = warroom::fixtures::t0();
    app.settle();
    let base = held();
    let mut names = convert::Names::default();
    let mut keys = std::collections::HashSet::new();
    let mut key_bytes = 0usize;
    for from in (0..n).step_by(500) {
        let page: Vec<_> = (from..(from + 500).min(n)).map(|i| convert::pod(&api_pod(i, per), &mut names)).collect();
        let before = held();
        keys.extend(page.iter().map(Pod::key));
        key_bytes += held() - before;
        app.update(Msg::Source(SourceUpdate::data(at, FeedData::Pods(Delta::Upsert(page)))));
        // The console settles between batches as frames are drawn.
        if from % 5_000 == 0 {
            app.settle();
        }
    }
    app.settle();
    let console = held() - base - key_bytes;
    // One page on its own, for what travels.
    let before = held();
    let page: Vec<_> = (0..500).map(|i| convert::pod(&api_pod(i, per), &mut names)).collect();
    let travels = (held() - before) / page.len();
    drop(page);
    println!(
        "{n} pods in {} namespaces: {travels} bytes a converted pod · the console holds {} bytes a pod \
         ({:.1} MiB) · the source's listed keys {} bytes a pod · a Pod is {} bytes inline, a Container {}",
        n / per,
        console / n,
        console as f64 / 1024.0 / 1024.0,
        key_bytes / n,
        std::mem::size_of::<Pod>(),
        std::mem::size_of::<warroom::model::Container>(),
    );
}
