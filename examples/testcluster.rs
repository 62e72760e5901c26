//! A living test cluster for benchmarks and for use by hand: the test
//! bed's kube-apiserver, kube-controller-manager and kube-scheduler with
//! the node simulator playing kubelet (see `tests/support/k8s.rs`).
//!
//! `bash tests/k8s/cluster.sh [--nodes N] [--backoff SECS]` builds what
//! is missing and runs this; it prints the KUBECONFIG to use and runs
//! until Ctrl-C, then stops everything and removes its files.
#![allow(clippy::unwrap_used)]

#[path = "../tests/support/k8s.rs"]
mod k8s;

use std::time::Duration;

fn main() {
    let mut options = k8s::nodesim::Options::default();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = |what: &str| -> u64 {
            args.next().and_then(|v| v.parse().ok()).unwrap_or_else(|| {
                eprintln!("{a} takes {what}");
                std::process::exit(2)
            })
        };
        match a.as_str() {
            "--nodes" => options.nodes = usize::try_from(value("a node count")).unwrap_or(3),
            "--backoff" => options.backoff = Duration::from_secs(value("seconds")),
            _ => {
                eprintln!("usage: testcluster [--nodes N] [--backoff SECS]");
                std::process::exit(2)
            }
        }
    }
    let nodes = options.nodes;
    let cluster = k8s::Cluster::start(options);
    cluster.wait_ready(nodes);
    let dir = &cluster.server.dir;
    println!("cluster ready: {nodes} simulated nodes");
    println!("export KUBECONFIG={}", dir.join("admin.kubeconfig").display());
    println!("# the console as its own user: warroom --context console (every context is in either file)");
    println!(
        "# faults: annotate a pod template with sim.warroom.dev/fault: crash-loop | crash-loop-oom | oom-once | init-fail | image-pull"
    );
    println!("# logs in {}; Ctrl-C stops the cluster", dir.display());
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let _ = rt.block_on(tokio::signal::ctrl_c());
    drop(cluster);
}
