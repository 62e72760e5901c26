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
//! Then, on a server of its own, pods spread over many namespaces and the
//! console watching all of them (`-A`), to where the API server is the
//! limit: in the same run, before the console starts, how long the server
//! itself takes to hand over the whole list, paginated as the console asks
//! for it (500 a page, from etcd); then the console's first row, every pod
//! listed (the panel's count reaching N), key-to-frame latency while the
//! list is still arriving (`Tab` and `Shift-Tab` moving focus off the Pods
//! panel and back, the frame that redraws its border stamped as it is
//! read), and RSS once listed.
//!
//! `cargo bench --bench kube_scale` measures warroom at 1,000, 5,000 and
//! 10,000 pods in one namespace, then 50,000 pods in 500 namespaces and
//! 100,000 in 1,000. Options: `--pods 1000,5000`, `--spread
//! 50000:500,100000:1000` (or `--spread none`), `--settle 30`, `--idle 60`,
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
mod support;

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use k8s_openapi::api::core::v1::{Namespace, Pod};
use kube::api::{Api, Patch, PatchParams, PostParams};
use serde_json::json;

const NAMESPACE: &str = "bench";
const SIZE: (u16, u16) = (50, 200);

struct Options {
    pods: Vec<usize>,
    /// (pods, namespaces) cases watched with `-A`, the same pods per
    /// namespace in each, seeded one after the other.
    spread: Vec<(usize, usize)>,
    settle: u64,
    idle: u64,
    find: String,
    command: Vec<String>,
}

fn options() -> Options {
    let mut o = Options {
        pods: vec![1_000, 5_000, 10_000],
        spread: vec![(50_000, 500), (100_000, 1_000)],
        settle: 30,
        idle: 60,
        find: "/{name}\r".into(),
        command: Vec::new(),
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--pods" => o.pods = args.next().unwrap().split(',').map(|n| n.trim().parse().unwrap()).collect(),
            "--spread" => {
                let v = args.next().unwrap();
                o.spread = if v == "none" {
                    Vec::new()
                } else {
                    v.split(',')
                        .map(|c| {
                            let (p, n) = c.split_once(':').unwrap();
                            (p.trim().parse().unwrap(), n.trim().parse().unwrap())
                        })
                        .collect()
                };
            }
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
/// 100th crash-looping, every 50th pending; pod `i` in `namespace(i)`.
async fn seed(client: &kube::Client, from: usize, to: usize, namespace: impl Fn(usize) -> String) {
    futures_util::stream::iter(from..to)
        .for_each_concurrent(32, |i| {
            let pods: Api<Pod> = Api::namespaced(client.clone(), &namespace(i));
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
        rt.block_on(seed(&admin, seeded, n, |_| NAMESPACE.to_string()));
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
    drop(server);
    if !o.spread.is_empty() {
        spread(&o, &moto);
    }
}

/// The namespace of pod `i` when `per` pods share one.
fn spread_namespace(i: usize, per: usize) -> String {
    format!("team-{:04}", i / per)
}

fn spread(o: &Options, moto: &aws::Moto) {
    let per = o.spread[0].0 / o.spread[0].1;
    assert!(o.spread.iter().all(|(p, n)| p / n == per), "every --spread case needs the same pods per namespace");
    let server = k8s::Server::start();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let admin = rt.block_on(server.admin());
    let (mut seeded, mut namespaces) = (0, 0);
    for &(n, ns) in &o.spread {
        let t = Instant::now();
        rt.block_on(async {
            let all = Api::<Namespace>::all(admin.clone());
            futures_util::stream::iter(namespaces..ns)
                .for_each_concurrent(16, |k| {
                    let all = all.clone();
                    async move {
                        let name = spread_namespace(k * per, per);
                        let ns: Namespace = serde_json::from_value(json!({"metadata": {"name": name}})).unwrap();
                        all.create(&PostParams::default(), &ns).await.unwrap();
                    }
                })
                .await;
            seed(&admin, seeded, n, |i| spread_namespace(i, per)).await;
        });
        (seeded, namespaces) = (n, ns);
        println!("{n} pods in {ns} namespaces seeded in {:.1} s", t.elapsed().as_secs_f64());
        let lists: Vec<(Duration, Duration)> = (0..3).map(|_| rt.block_on(server_list(&admin, n))).collect();
        let first_page_ms = median(lists.iter().map(|l| l.0).collect()).as_secs_f64() * 1000.0;
        let server_ms = median(lists.iter().map(|l| l.1).collect()).as_secs_f64() * 1000.0;
        let f = measure_spread(&server, moto, o, n);
        let listed_ms = f.listed.as_secs_f64() * 1000.0;
        let mut keys = f.keys;
        keys.sort();
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        let (p50, p99, max) = if keys.is_empty() {
            (f64::NAN, f64::NAN, f64::NAN)
        } else {
            (ms(percentile(&keys, 0.5)), ms(percentile(&keys, 0.99)), ms(*keys.last().unwrap()))
        };
        println!(
            "{n:>6} pods in {ns} namespaces (-A): server lists them in {server_ms:.0} ms, its first page in {first_page_ms:.0} ms \
             (medians of 3, 500 a page) · first row {} ms · every pod listed {listed_ms:.0} ms ({:.2}× the server's list) · \
             {} keys while listing: p50 {p50:.2} ms, p99 {p99:.2} ms, max {max:.2} ms · \
             RSS {:.1} MiB after {} s (peak {:.1}), {:.0} bytes a pod",
            f.first_row.as_millis(),
            listed_ms / server_ms,
            keys.len(),
            f.rss_mib,
            o.settle,
            f.peak_mib,
            f.rss_mib * 1024.0 * 1024.0 / n as f64,
        );
    }
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

/// How long the server takes to hand over every pod of every namespace,
/// 500 a page from etcd as the console's watcher lists them; only each
/// page's continue token is read out of it.
async fn server_list(client: &kube::Client, n: usize) -> (Duration, Duration) {
    #[derive(serde::Deserialize)]
    struct Page {
        metadata: k8s_openapi::apimachinery::pkg::apis::meta::v1::ListMeta,
        items: Vec<serde::de::IgnoredAny>,
    }
    let start = Instant::now();
    let (mut token, mut items, mut first) = (None::<String>, 0, None);
    loop {
        let mut url = "/api/v1/pods?limit=500".to_string();
        if let Some(t) = &token {
            url.push_str(&format!("&continue={}", url_escape(t)));
        }
        let req = http::Request::get(url).body(Vec::new()).unwrap();
        let page: Page = serde_json::from_str(&client.request_text(req).await.unwrap()).unwrap();
        items += page.items.len();
        first.get_or_insert_with(|| start.elapsed());
        token = page.metadata.continue_.filter(|t| !t.is_empty());
        if token.is_none() {
            break;
        }
    }
    assert_eq!(items, n, "the server listed every pod");
    (first.unwrap_or_default(), start.elapsed())
}

/// A continue token in a query string (it is base64: `+`, `/` and `=`).
fn url_escape(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            'A'..='Z' | 'a'..='z' | '0'..='9' | '-' | '_' | '.' | '~' => c.to_string(),
            c => format!("%{:02X}", c as u32),
        })
        .collect()
}

struct Spread {
    first_row: Duration,
    listed: Duration,
    /// Key-to-frame times of keys sent while the list was arriving.
    keys: Vec<Duration>,
    rss_mib: f64,
    peak_mib: f64,
}

/// What the reader thread saw, stamped the moment the bytes were read.
enum Seen {
    FirstRow(Instant),
    Listed(Instant),
    /// The Pods panel has focus (its border is heavy) or not.
    Focus(bool, Instant),
}

fn measure_spread(server: &k8s::Server, moto: &aws::Moto, o: &Options, n: usize) -> Spread {
    use std::io::{Read, Write};
    let kubeconfig = server.kubeconfig();
    let aws_env = moto.env();
    let mut envs: Vec<(&str, &str)> = aws_env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    envs.push(("KUBECONFIG", kubeconfig.to_str().unwrap()));
    let (rows, cols) = SIZE;
    let start = Instant::now();
    let mut pty = support::spawn(rows, cols, &["--context", "console", "-A"], &envs);
    let pid = pty.child.process_id().unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<Seen>();
    let mut reader = pty.reader;
    let all = format!("Pods {n}/{n} ");
    std::thread::spawn(move || {
        let size = |v| std::num::NonZeroU16::new(v).unwrap();
        let mut screen = vt100::Parser::new(size(rows), size(cols), 0);
        let mut buf = [0u8; 65536];
        let (mut first, mut listed, mut focus) = (false, false, None);
        while let Ok(len) = reader.read(&mut buf) {
            if len == 0 {
                break;
            }
            let at = Instant::now();
            screen.process(&buf[..len]);
            let text = screen.screen().contents();
            let mut out = Vec::new();
            if !first && text.contains("7d9f8b6c5-") {
                first = true;
                out.push(Seen::FirstRow(at));
            }
            if !listed && text.contains(&all) {
                listed = true;
                out.push(Seen::Listed(at));
            }
            let heavy = screen.screen().cell(1, 0).is_some_and(|c| c.contents() == "┏");
            if text.contains("Pods ") && focus != Some(heavy) {
                focus = Some(heavy);
                out.push(Seen::Focus(heavy, at));
            }
            if out.into_iter().any(|s| tx.send(s).is_err()) {
                break;
            }
        }
    });
    let limit = Duration::from_secs(300);
    let (mut first_row, mut listed) = (None, None);
    let note = |s: &Seen, first_row: &mut Option<Instant>, listed: &mut Option<Instant>| match s {
        Seen::FirstRow(at) => *first_row = Some(*at),
        Seen::Listed(at) => *listed = Some(*at),
        Seen::Focus(..) => {}
    };
    while first_row.is_none() {
        let s = rx.recv_timeout(limit).expect("a pod's row");
        note(&s, &mut first_row, &mut listed);
    }
    // Tab and Shift-Tab in turn while the list arrives, each awaited.
    let mut keys = Vec::new();
    let mut i = 0u64;
    while listed.is_none() {
        std::thread::sleep(Duration::from_millis(30 + (i * 7) % 30));
        let pods_focused = i % 2 == 1;
        let sent = Instant::now();
        pty.writer.write_all(if pods_focused { b"\x1b[Z" } else { b"\t" }).unwrap();
        pty.writer.flush().unwrap();
        loop {
            let s = rx.recv_timeout(Duration::from_secs(20)).expect("the key's frame");
            if let Seen::Focus(heavy, at) = s {
                if heavy == pods_focused {
                    if listed.is_none() {
                        keys.push(at.saturating_duration_since(sent));
                    }
                    break;
                }
            } else {
                note(&s, &mut first_row, &mut listed);
            }
        }
        i += 1;
    }
    std::thread::sleep(Duration::from_secs(o.settle).saturating_sub(start.elapsed()));
    let (_, rss_mib, peak_mib) = usage(pid);
    pty.writer.write_all(b"q").unwrap();
    pty.writer.flush().unwrap();
    let _ = pty.child.wait();
    Spread {
        first_row: first_row.unwrap().duration_since(start),
        listed: listed.unwrap().duration_since(start),
        keys,
        rss_mib,
        peak_mib,
    }
}
