//! Live mode at scale: seeds N pods into the test kube-apiserver
//! (`tests/support/k8s.rs`), runs a console in a 200×50 pseudo-terminal
//! against it and reports what the on-call engineer feels and what the
//! bastion host pays:
//!
//! - first row: launch until a seeded pod's row is on screen;
//! - last row: launch until the row of the pod the list returns last can
//!   be found (the find keys are typed as soon as the first row shows);
//! - RSS 30 s after launch, and its peak;
//! - CPU seconds used over the following idle minute;
//! - bytes written to the terminal during that idle minute.
//!
//! `cargo bench --bench kube_scale` measures warroom at 1,000, 5,000 and
//! 10,000 pods. Options: `--pods 1000,5000`, `--settle 30`, `--idle 60`,
//! `--find '/{name}\r'` (keys that bring a named pod's row into view), and
//! after `--cmd` the console to measure, run with `KUBECONFIG` pointing at
//! the test server (context `console`, pods in namespace `bench`) and the
//! AWS environment variables at an empty account on the test AWS server
//! (so warroom's AWS panels are live and quiet); e.g.
//! `--find '/{name}\r' --cmd kdash`.

#![allow(clippy::unwrap_used)]

#[path = "../tests/support/aws.rs"]
mod aws;
#[path = "../tests/support/pty.rs"]
mod console;
#[path = "../tests/support/k8s.rs"]
mod k8s;

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use k8s_openapi::api::core::v1::{Namespace, Pod};
use kube::api::{Api, Patch, PatchParams, PostParams};
use serde_json::json;

const NAMESPACE: &str = "bench";
const SIZE: (u16, u16) = (50, 200);

struct Options {
    pods: Vec<usize>,
    settle: u64,
    idle: u64,
    find: String,
    command: Vec<String>,
}

fn options() -> Options {
    let mut o = Options {
        pods: vec![1_000, 5_000, 10_000],
        settle: 30,
        idle: 60,
        find: "/{name}\r".into(),
        command: Vec::new(),
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--pods" => o.pods = args.next().unwrap().split(',').map(|n| n.trim().parse().unwrap()).collect(),
            "--settle" => o.settle = args.next().unwrap().parse().unwrap(),
            "--idle" => o.idle = args.next().unwrap().parse().unwrap(),
            "--find" => o.find = args.next().unwrap().replace("\\r", "\r"),
            "--cmd" => o.command = args.by_ref().collect(),
            _ => {} // `--bench` and friends from cargo
        }
    }
    if o.command.is_empty() {
        let warroom = env!("CARGO_BIN_EXE_warroom");
        o.command = [warroom, "--context", "console", "-n", NAMESPACE].map(String::from).to_vec();
    }
    o
}

fn pod_name(i: usize) -> String {
    format!("svc-{:03}-7d9f8b6c5-{i:05}", i % 300)
}

/// Creates pods `from..to` with kubelet-like statuses: most running, every
/// 100th crash-looping, every 50th pending.
async fn seed(client: &kube::Client, from: usize, to: usize) {
    let pods: Api<Pod> = Api::namespaced(client.clone(), NAMESPACE);
    futures_util::stream::iter(from..to)
        .for_each_concurrent(32, |i| {
            let pods = pods.clone();
            async move {
                let name = pod_name(i);
                let p: Pod = serde_json::from_value(json!({
                    "metadata": {
                        "name": name,
                        "labels": {"app": format!("svc-{:03}", i % 300), "pod-template-hash": "7d9f8b6c5"},
                        "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet",
                            "name": format!("svc-{:03}-7d9f8b6c5", i % 300), "uid": "0b4e7d1c-0000-4000-8000-000000000001"}]
                    },
                    "spec": {
                        "nodeName": format!("ip-10-0-{}-{}", i % 4, i % 250),
                        "containers": [{"name": "app", "image": "registry.example.com/shop/app:1.18.4"}]
                    }
                }))
                .unwrap();
                pods.create(&PostParams::default(), &p).await.unwrap();
                let state = if i % 100 == 7 {
                    json!({"ready": false, "restartCount": 9, "state": {"waiting": {"reason": "CrashLoopBackOff"}}})
                } else {
                    json!({"ready": true, "restartCount": 0, "state": {"running": {"startedAt": "2026-01-01T00:00:00Z"}}})
                };
                let phase = if i % 50 == 3 { "Pending" } else { "Running" };
                let mut c = json!({"name": "app", "image": "registry.example.com/shop/app:1.18.4", "imageID": ""});
                c.as_object_mut().unwrap().extend(state.as_object().unwrap().clone());
                let status = json!({"status": {"phase": phase, "containerStatuses": [c]}});
                pods.patch_status(&name, &PatchParams::default(), &Patch::Merge(status)).await.unwrap();
            }
        })
        .await;
}

/// `(utime + stime)` seconds and `(VmRSS, VmHWM)` MiB of `pid`.
fn usage(pid: u32) -> (f64, f64, f64) {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // Fields after the command name, which is in parentheses.
    let fields: Vec<&str> = stat[stat.rfind(')').unwrap() + 2..].split(' ').collect();
    let ticks: f64 = fields[11].parse::<f64>().unwrap() + fields[12].parse::<f64>().unwrap();
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kib = |key: &str| -> f64 {
        let line = status.lines().find(|l| l.starts_with(key)).unwrap();
        line.split_whitespace().nth(1).unwrap().parse().unwrap()
    };
    (ticks / hz, kib("VmRSS:") / 1024.0, kib("VmHWM:") / 1024.0)
}

/// Polls the screen every 2 ms, so the figures are that precise.
fn wait(c: &console::Console, limit: Duration, what: &str, done: impl Fn(&str) -> bool) {
    let deadline = Instant::now() + limit;
    while !done(&c.contents()) {
        assert!(Instant::now() < deadline, "no {what} within {limit:?}:\n{}", c.contents());
        std::thread::sleep(Duration::from_millis(2));
    }
}

struct Figures {
    first_row: Duration,
    last_row: Duration,
    rss_mib: f64,
    peak_mib: f64,
    idle_cpu_s: f64,
    idle_bytes: usize,
}

fn measure(server: &k8s::Server, moto: &aws::Moto, o: &Options, n: usize) -> Figures {
    let kubeconfig = server.kubeconfig();
    // The AWS side polls an empty account on the test AWS server, so it is
    // live (not failing with a retry countdown) while the console idles.
    let aws_env = moto.env();
    let mut envs: Vec<(&str, &str)> = aws_env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    envs.push(("KUBECONFIG", kubeconfig.to_str().unwrap()));
    let args: Vec<&str> = o.command[1..].iter().map(String::as_str).collect();
    let start = Instant::now();
    let mut c = console::Console::spawn_sized(o.command[0].as_ref(), &args, &envs, SIZE);
    let pid = c.child.process_id().unwrap();
    let limit = Duration::from_secs(120);
    wait(&c, limit, "a seeded pod's row", |s| s.contains("7d9f8b6c5-"));
    let first_row = start.elapsed();
    // The last row of the list: names sort by service, then number.
    let last = (0..n).map(pod_name).max().unwrap();
    c.send(&o.find.replace("{name}", &last));
    // Its row, not the find field that shows the typed name too.
    wait(&c, limit, "the last pod's row", |s| s.lines().any(|l| l.contains(&last) && l.contains("Running")));
    let last_row = start.elapsed();
    std::thread::sleep(Duration::from_secs(o.settle).saturating_sub(start.elapsed()));
    let (cpu_before, rss_mib, peak_mib) = usage(pid);
    let bytes_before = c.output.lock().unwrap().len();
    std::thread::sleep(Duration::from_secs(o.idle));
    let (cpu_after, _, _) = usage(pid);
    let idle = c.output.lock().unwrap()[bytes_before..].to_vec();
    if !idle.is_empty() {
        println!("written while idle: {:?}", String::from_utf8_lossy(&idle));
    }
    let idle_bytes = idle.len();
    drop(c);
    Figures { first_row, last_row, rss_mib, peak_mib, idle_cpu_s: cpu_after - cpu_before, idle_bytes }
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return; // `cargo test --benches`
    }
    let o = options();
    let server = k8s::Server::start();
    let moto = aws::Moto::start();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let admin = rt.block_on(server.admin());
    let ns: Namespace = serde_json::from_value(json!({"metadata": {"name": NAMESPACE}})).unwrap();
    rt.block_on(Api::<Namespace>::all(admin.clone()).create(&PostParams::default(), &ns)).unwrap();
    println!("command: {}", o.command.join(" "));
    let mut seeded = 0;
    for &n in &o.pods {
        let t = Instant::now();
        rt.block_on(seed(&admin, seeded, n));
        seeded = seeded.max(n);
        println!("{n} pods seeded in {:.1} s", t.elapsed().as_secs_f64());
        let f = measure(&server, &moto, &o, n);
        println!(
            "{n:>6} pods: first row {:>5} ms · last row found {:>5} ms · RSS {:.1} MiB after {} s (peak {:.1}) · \
             idle {} s: {:.2} CPU s ({:.2} % of a core), {} bytes written",
            f.first_row.as_millis(),
            f.last_row.as_millis(),
            f.rss_mib,
            o.settle,
            f.peak_mib,
            o.idle,
            f.idle_cpu_s,
            f.idle_cpu_s / o.idle as f64 * 100.0,
            f.idle_bytes,
        );
    }
}
