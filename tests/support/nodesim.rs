//! A kubelet stand-in for the test cluster: it registers fake nodes, keeps
//! their Ready condition and Lease fresh, and plays kubelet for the pods
//! the scheduler binds to them.
//!
//! A pod starts Running and Ready shortly after it is bound. What goes
//! wrong with it is its *fault*, from the pod's annotation
//! `sim.warroom.dev/fault`, or else from the ConfigMap `warroom-sim` in
//! `kube-system`, keyed `<namespace>.<app label>` (so a test can break a
//! deployment's future pods, or fix them, without a rollout):
//!
//! * `crash-loop` — the container runs a moment, exits 1 (`Error`) and
//!   waits in CrashLoopBackOff with the kubelet's growing back-off;
//!   `crash-loop-oom` the same with OOMKilled (137);
//! * `oom-once` — killed for memory once, a few seconds in, then runs;
//! * `init-fail` — the first init container exits 1 and crash-loops;
//! * `image-pull` — ErrImagePull, then ImagePullBackOff.
//!
//! The fault is read once, when the pod is first seen, as a kubelet's
//! container would be what it is. A deleted pod's containers stop within
//! its grace period (a second by default, as an application that exits
//! on SIGTERM), then the pod is removed as a kubelet does.
#![allow(dead_code)] // each test binary uses part of it

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::{ConfigMap, Node, Pod};
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams};
use kube::runtime::watcher;
use serde_json::{Value, json};

pub const FAULT_ANNOTATION: &str = "sim.warroom.dev/fault";
pub const FAULTS_CONFIGMAP: &str = "warroom-sim";

/// What goes wrong with a pod's containers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    None,
    CrashLoop { oom: bool },
    OomOnce,
    InitFail,
    ImagePull,
}

impl Fault {
    pub fn parse(s: &str) -> Fault {
        match s.trim() {
            "crash-loop" => Fault::CrashLoop { oom: false },
            "crash-loop-oom" => Fault::CrashLoop { oom: true },
            "oom-once" => Fault::OomOnce,
            "init-fail" => Fault::InitFail,
            "image-pull" => Fault::ImagePull,
            _ => Fault::None,
        }
    }
}

/// How the simulator runs.
#[derive(Debug, Clone)]
pub struct Options {
    pub nodes: usize,
    /// The kubelet's first crash back-off (it doubles up to `backoff_cap`).
    pub backoff: Duration,
    pub backoff_cap: Duration,
    /// Bound to Running and Ready.
    pub start_delay: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            nodes: 3,
            backoff: Duration::from_secs(10),
            backoff_cap: Duration::from_secs(300),
            start_delay: Duration::from_millis(300),
        }
    }
}

pub fn node_name(i: usize) -> String {
    format!("sim-node-{i}")
}

fn stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// One pod the simulator plays kubelet for.
struct Played {
    namespace: String,
    name: String,
    node: usize,
    fault: Fault,
    bound_at: DateTime<Utc>,
    containers: Vec<(String, String)>,
    init: Vec<(String, String)>,
    /// When its deletion was asked for, and its grace period.
    deleting: Option<(DateTime<Utc>, i64)>,
    /// The status last written, to write only changes.
    written: Option<Value>,
}

/// Where a crash-looping container is at `elapsed` since it was bound:
/// (restarts so far, phase within the cycle, when the last run ended).
/// A run lasts `RUN`, then it waits the back-off, doubling each time.
fn crash_cycle(elapsed: Duration, o: &Options) -> (u32, CycleAt, Option<Duration>) {
    const RUN: Duration = Duration::from_millis(800);
    let mut t = Duration::ZERO;
    let mut restarts = 0u32;
    let mut backoff = o.backoff;
    let mut last_end = None;
    loop {
        if elapsed < t + RUN {
            return (restarts, CycleAt::Running(t), last_end);
        }
        let end = t + RUN;
        if elapsed < end + backoff {
            return (restarts, CycleAt::BackingOff(backoff), Some(end));
        }
        t = end + backoff;
        restarts += 1;
        last_end = Some(end);
        backoff = (backoff * 2).min(o.backoff_cap);
    }
}

#[derive(Debug, Clone, Copy)]
enum CycleAt {
    /// Running since this offset.
    Running(Duration),
    BackingOff(Duration),
}

fn since(bound: DateTime<Utc>, d: Duration) -> DateTime<Utc> {
    bound + chrono::TimeDelta::from_std(d).unwrap_or_default()
}

fn status_of(name: &str, image: &str, ready: bool, restarts: u32, state: Value, last: Option<Value>) -> Value {
    let mut s = json!({
        "name": name, "image": image, "imageID": format!("sim://{image}"), "ready": ready,
        "started": ready, "restartCount": restarts, "state": state
    });
    if ready || state_running(&s) {
        s["containerID"] = json!(format!("sim://{name}"));
    }
    if let Some(l) = last {
        s["lastState"] = json!({"terminated": l});
    }
    s
}

/// A crash-looping container's status where its cycle is.
fn looping(
    n: &str,
    i: &str,
    restarts: u32,
    at: CycleAt,
    started: DateTime<Utc>,
    last_state: Option<Value>,
    pod: &str,
) -> Value {
    match at {
        CycleAt::Running(from) => status_of(
            n,
            i,
            false,
            restarts,
            json!({"running": {"startedAt": stamp(since(started, from))}}),
            if restarts > 0 { last_state } else { None },
        ),
        CycleAt::BackingOff(wait) => status_of(
            n,
            i,
            false,
            restarts,
            json!({"waiting": {"reason": "CrashLoopBackOff", "message": format!(
                "back-off {}s restarting failed container={n} pod={pod}", wait.as_secs())}}),
            last_state,
        ),
    }
}

fn state_running(s: &Value) -> bool {
    s["state"].get("running").is_some()
}

fn conditions(initialized: bool, ready: bool, at: DateTime<Utc>) -> Value {
    let b = |v: bool| if v { "True" } else { "False" };
    let t = stamp(at);
    json!([
        {"type": "Initialized", "status": b(initialized), "lastTransitionTime": t},
        {"type": "Ready", "status": b(ready), "lastTransitionTime": t},
        {"type": "ContainersReady", "status": b(ready), "lastTransitionTime": t},
        {"type": "PodScheduled", "status": "True", "lastTransitionTime": t}
    ])
}

/// The status a kubelet would report for `p` at `now`; `None` before it
/// has started anything.
fn pod_status(p: &Played, now: DateTime<Utc>, o: &Options) -> Option<Value> {
    let elapsed = (now - p.bound_at).to_std().unwrap_or_default();
    if elapsed < o.start_delay {
        return None;
    }
    let started = since(p.bound_at, o.start_delay);
    let run = (elapsed - o.start_delay, started);
    let base = json!({
        "hostIP": format!("10.0.0.{}", p.node),
        "podIP": format!("10.244.{}.{}", p.node, (p.name.len() * 7) % 250 + 2),
        "startTime": stamp(p.bound_at),
        "qosClass": "BestEffort",
    });
    let ended = |reason: &str, code: i32, at: DateTime<Utc>| json!({"reason": reason, "exitCode": code, "startedAt": stamp(started), "finishedAt": stamp(at)});
    let done_init = || -> Vec<Value> {
        p.init
            .iter()
            .map(|(n, i)| status_of(n, i, true, 0, json!({"terminated": ended("Completed", 0, started)}), None))
            .collect()
    };
    let all_running = |restarts: u32, last: Option<Value>| -> Vec<Value> {
        p.containers
            .iter()
            .map(|(n, i)| {
                status_of(n, i, true, restarts, json!({"running": {"startedAt": stamp(started)}}), last.clone())
            })
            .collect()
    };
    let mut status = base;
    match p.fault {
        Fault::None => {
            status["phase"] = json!("Running");
            status["conditions"] = conditions(true, true, started);
            status["initContainerStatuses"] = json!(done_init());
            status["containerStatuses"] = json!(all_running(0, None));
        }
        Fault::OomOnce => {
            const KILLED_AFTER: Duration = Duration::from_secs(3);
            let (restarts, last) = if run.0 < KILLED_AFTER {
                (0, None)
            } else {
                (1, Some(ended("OOMKilled", 137, since(started, KILLED_AFTER))))
            };
            status["phase"] = json!("Running");
            status["conditions"] = conditions(true, true, started);
            status["initContainerStatuses"] = json!(done_init());
            status["containerStatuses"] = json!(all_running(restarts, last));
        }
        Fault::CrashLoop { oom } => {
            let (restarts, at, last_end) = crash_cycle(run.0, o);
            let (reason, code) = if oom { ("OOMKilled", 137) } else { ("Error", 1) };
            let last_state = last_end.map(|e| ended(reason, code, since(started, e)));
            let statuses: Vec<Value> = p
                .containers
                .iter()
                .enumerate()
                .map(|(k, (n, i))| {
                    if k > 0 {
                        // Only the first container is broken.
                        return status_of(n, i, true, 0, json!({"running": {"startedAt": stamp(started)}}), None);
                    }
                    looping(n, i, restarts, at, started, last_state.clone(), &p.name)
                })
                .collect();
            status["phase"] = json!("Running");
            status["conditions"] = conditions(true, false, started);
            status["initContainerStatuses"] = json!(done_init());
            status["containerStatuses"] = json!(statuses);
        }
        Fault::InitFail => {
            let (restarts, at, last_end) = crash_cycle(run.0, o);
            let last_state = last_end.map(|e| ended("Error", 1, since(started, e)));
            let mut init: Vec<Value> = Vec::new();
            for (k, (n, i)) in p.init.iter().enumerate() {
                init.push(if k > 0 {
                    status_of(n, i, false, 0, json!({"waiting": {"reason": "PodInitializing"}}), None)
                } else {
                    looping(n, i, restarts, at, started, last_state.clone(), &p.name)
                });
            }
            let waiting: Vec<Value> = p
                .containers
                .iter()
                .map(|(n, i)| status_of(n, i, false, 0, json!({"waiting": {"reason": "PodInitializing"}}), None))
                .collect();
            status["phase"] = json!("Pending");
            status["conditions"] = conditions(false, false, started);
            status["initContainerStatuses"] = json!(init);
            status["containerStatuses"] = json!(waiting);
        }
        Fault::ImagePull => {
            // ErrImagePull for the first pull, then backing off.
            let reason = if run.0 < Duration::from_secs(2) { "ErrImagePull" } else { "ImagePullBackOff" };
            let statuses: Vec<Value> = p
                .containers
                .iter()
                .map(|(n, i)| {
                    status_of(
                        n,
                        i,
                        false,
                        0,
                        json!({"waiting": {"reason": reason, "message": format!("Back-off pulling image \"{i}\"")}}),
                        None,
                    )
                })
                .collect();
            status["phase"] = json!("Pending");
            status["conditions"] = conditions(true, false, started);
            status["initContainerStatuses"] = json!(done_init());
            status["containerStatuses"] = json!(statuses);
        }
    }
    Some(status)
}

async fn register(client: &kube::Client, o: &Options) -> Result<(), kube::Error> {
    let nodes: Api<Node> = Api::all(client.clone());
    for i in 1..=o.nodes {
        let name = node_name(i);
        let node: Node = serde_json::from_value(json!({
            "metadata": {"name": name, "labels": {
                "kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
                "node.kubernetes.io/instance-type": "sim.large"
            }}
        }))
        .unwrap_or_default();
        match nodes.create(&PostParams::default(), &node).await {
            Ok(_) => {}
            Err(kube::Error::Api(e)) if e.code == 409 => {}
            Err(e) => return Err(e),
        }
    }
    heartbeat(client, o).await
}

/// Keeps every node Ready: its status conditions and its Lease.
async fn heartbeat(client: &kube::Client, o: &Options) -> Result<(), kube::Error> {
    let nodes: Api<Node> = Api::all(client.clone());
    let leases: Api<Lease> = Api::namespaced(client.clone(), "kube-node-lease");
    let now = stamp(Utc::now());
    let micro = Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    for i in 1..=o.nodes {
        let name = node_name(i);
        let condition = |t: &str, s: &str, reason: &str| {
            json!({"type": t, "status": s, "reason": reason, "message": reason,
                   "lastHeartbeatTime": now, "lastTransitionTime": now})
        };
        let status = json!({"status": {
            "capacity": {"cpu": "8", "memory": "32Gi", "pods": "110"},
            "allocatable": {"cpu": "8", "memory": "32Gi", "pods": "110"},
            "conditions": [
                condition("Ready", "True", "KubeletReady"),
                condition("MemoryPressure", "False", "KubeletHasSufficientMemory"),
                condition("DiskPressure", "False", "KubeletHasNoDiskPressure"),
                condition("PIDPressure", "False", "KubeletHasSufficientPID"),
            ],
            "addresses": [{"type": "InternalIP", "address": format!("10.0.0.{i}")}, {"type": "Hostname", "address": name}],
            "nodeInfo": {
                "machineID": name, "systemUUID": name, "bootID": name, "kernelVersion": "6.1.0-sim",
                "osImage": "warroom node simulator", "containerRuntimeVersion": "sim://1",
                "kubeletVersion": "v1.20.2", "kubeProxyVersion": "v1.20.2",
                "operatingSystem": "linux", "architecture": "amd64"
            }
        }});
        nodes.patch_status(&name, &PatchParams::default(), &Patch::Merge(status)).await?;
        let lease = json!({
            "apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
            "metadata": {"name": name, "namespace": "kube-node-lease"},
            "spec": {"holderIdentity": name, "leaseDurationSeconds": 40, "renewTime": micro}
        });
        let apply = PatchParams::apply("warroom-nodesim").force();
        leases.patch(&name, &apply, &Patch::Apply(lease)).await?;
    }
    Ok(())
}

fn fault_of(pod: &Pod, faults: &HashMap<String, String>) -> Fault {
    let meta = &pod.metadata;
    if let Some(f) = meta.annotations.as_ref().and_then(|a| a.get(FAULT_ANNOTATION)) {
        return Fault::parse(f);
    }
    let app = meta.labels.as_ref().and_then(|l| l.get("app"));
    let key = format!("{}.{}", meta.namespace.as_deref().unwrap_or(""), app.map_or("", String::as_str));
    faults.get(&key).map_or(Fault::None, |f| Fault::parse(f))
}

fn played(pod: &Pod, node: usize, fault: Fault) -> Played {
    let spec = pod.spec.as_ref();
    let names = |cs: Option<&Vec<k8s_openapi::api::core::v1::Container>>| -> Vec<(String, String)> {
        cs.map(|v| v.iter().map(|c| (c.name.clone(), c.image.clone().unwrap_or_default())).collect())
            .unwrap_or_default()
    };
    Played {
        namespace: pod.metadata.namespace.clone().unwrap_or_default(),
        name: pod.metadata.name.clone().unwrap_or_default(),
        node,
        fault,
        bound_at: Utc::now(),
        containers: names(spec.map(|s| &s.containers)),
        init: names(spec.and_then(|s| s.init_containers.as_ref())),
        deleting: None,
        written: None,
    }
}

/// Runs the simulator until the process ends (or the future is dropped).
pub async fn run(client: kube::Client, o: Options) {
    while let Err(e) = register(&client, &o).await {
        eprintln!("nodesim: registering nodes: {e}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let pods_api: Api<Pod> = Api::all(client.clone());
    let mut pods = watcher(pods_api, watcher::Config::default()).boxed();
    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), "kube-system");
    let mut faults_watch =
        watcher(cms, watcher::Config::default().fields(&format!("metadata.name={FAULTS_CONFIGMAP}"))).boxed();
    let mut faults: HashMap<String, String> = HashMap::new();
    let mut played_pods: HashMap<String, Played> = HashMap::new();
    let mut tick = tokio::time::interval(Duration::from_millis(200));
    let mut beat = tokio::time::interval(Duration::from_secs(5));
    let node_index = |n: &str| n.strip_prefix("sim-node-").and_then(|i| i.parse::<usize>().ok());
    loop {
        tokio::select! {
            ev = pods.next() => {
                let Some(Ok(ev)) = ev else { continue };
                let seen = match ev {
                    watcher::Event::Apply(p) | watcher::Event::InitApply(p) => vec![p],
                    watcher::Event::Delete(p) => {
                        if let Some(uid) = &p.metadata.uid {
                            played_pods.remove(uid);
                        }
                        vec![]
                    }
                    _ => vec![],
                };
                for p in seen {
                    let Some(uid) = p.metadata.uid.clone() else { continue };
                    let node = p.spec.as_ref().and_then(|s| s.node_name.as_deref()).and_then(node_index);
                    let Some(node) = node.filter(|n| *n <= o.nodes) else { continue };
                    let entry = played_pods.entry(uid).or_insert_with(|| played(&p, node, fault_of(&p, &faults)));
                    if let Some(at) = &p.metadata.deletion_timestamp {
                        let grace = p.metadata.deletion_grace_period_seconds.unwrap_or(30);
                        let asked = DateTime::from_timestamp(at.0.as_second(), 0).unwrap_or_default()
                            - chrono::TimeDelta::seconds(grace);
                        entry.deleting.get_or_insert((asked.max(entry.bound_at), grace));
                    }
                }
            }
            ev = faults_watch.next() => {
                if let Some(Ok(watcher::Event::Apply(cm) | watcher::Event::InitApply(cm))) = ev {
                    faults = cm.data.unwrap_or_default().into_iter().collect();
                } else if let Some(Ok(watcher::Event::Delete(_))) = ev {
                    faults.clear();
                }
            }
            _ = beat.tick() => {
                if let Err(e) = heartbeat(&client, &o).await {
                    eprintln!("nodesim: heartbeat: {e}");
                }
            }
            _ = tick.tick() => {
                let now = Utc::now();
                let mut gone = Vec::new();
                for (uid, p) in played_pods.iter_mut() {
                    let api: Api<Pod> = Api::namespaced(client.clone(), &p.namespace);
                    if let Some((asked, grace)) = p.deleting {
                        // The containers stop on SIGTERM within a second,
                        // never later than the grace period.
                        let stop = chrono::TimeDelta::milliseconds((grace * 1000).min(1000));
                        if now >= asked + stop {
                            let dp = DeleteParams { grace_period_seconds: Some(0), ..DeleteParams::default() };
                            match api.delete(&p.name, &dp).await {
                                Ok(_) => gone.push(uid.clone()),
                                Err(kube::Error::Api(e)) if e.code == 404 => gone.push(uid.clone()),
                                Err(e) => eprintln!("nodesim: deleting {}/{}: {e}", p.namespace, p.name),
                            }
                        }
                        continue;
                    }
                    let Some(status) = pod_status(p, now, &o) else { continue };
                    if p.written.as_ref() == Some(&status) {
                        continue;
                    }
                    match api.patch_status(&p.name, &PatchParams::default(), &Patch::Merge(json!({"status": status}))).await {
                        Ok(_) => p.written = Some(status),
                        Err(kube::Error::Api(e)) if e.code == 404 => gone.push(uid.clone()),
                        Err(e) => eprintln!("nodesim: status of {}/{}: {e}", p.namespace, p.name),
                    }
                }
                for uid in gone {
                    played_pods.remove(&uid);
                }
            }
        }
    }
}
