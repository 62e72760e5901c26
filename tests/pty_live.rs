//! End to end in live mode: the real binary in a pseudo-terminal against
//! the test kube-apiserver (`tests/support/k8s.rs`).
#![allow(clippy::unwrap_used)]

#[path = "support/pty.rs"]
mod console;
#[path = "support/k8s.rs"]
mod k8s;

use console::Console;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{Namespace, Pod};
use kube::api::{Api, Patch, PatchParams, PostParams};
use serde_json::json;

/// The runtime the test's own API calls run on (a client lives on the
/// runtime that made it).
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
}

/// Namespace `ns` with deployment `backend` (two pods, one crash-looping)
/// and a healthy pod of its own.
async fn seed(client: &kube::Client, ns: &str) {
    let namespace: Namespace = serde_json::from_value(json!({"metadata": {"name": ns}})).unwrap();
    Api::<Namespace>::all(client.clone()).create(&PostParams::default(), &namespace).await.unwrap();
    let d: Deployment = serde_json::from_value(json!({
        "metadata": {"name": "backend"},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "backend"}},
            "template": {
                "metadata": {"labels": {"app": "backend"}},
                "spec": {"containers": [{"name": "app", "image": "registry.example.com/shop/backend:1.18.4"}]}
            }
        }
    }))
    .unwrap();
    Api::<Deployment>::namespaced(client.clone(), ns).create(&PostParams::default(), &d).await.unwrap();
    let pods = Api::<Pod>::namespaced(client.clone(), ns);
    for (name, owned) in [("backend-7d9c6b5f4-aaaaa", true), ("backend-7d9c6b5f4-zcrsh", true), ("admin-tools", false)]
    {
        let mut meta = json!({"name": name, "labels": {"app": "backend", "pod-template-hash": "7d9c6b5f4"}});
        if owned {
            meta["ownerReferences"] = json!([{"apiVersion": "apps/v1", "kind": "ReplicaSet",
                "name": "backend-7d9c6b5f4", "uid": "0b4e7d1c-0000-4000-8000-000000000001"}]);
        } else {
            meta["labels"] = json!({"app": "tools"});
        }
        let p: Pod = serde_json::from_value(json!({
            "metadata": meta,
            "spec": {"nodeName": "ip-10-0-1-17", "containers": [{"name": "app", "image": "img"}]}
        }))
        .unwrap();
        pods.create(&PostParams::default(), &p).await.unwrap();
        let state = if name.ends_with("zcrsh") {
            json!({"ready": false, "restartCount": 7, "state": {"waiting": {"reason": "CrashLoopBackOff"}}})
        } else {
            json!({"ready": true, "restartCount": 0, "state": {"running": {"startedAt": "2026-01-01T00:00:00Z"}}})
        };
        let mut status = json!({"name": "app", "image": "img", "imageID": ""});
        status.as_object_mut().unwrap().extend(state.as_object().unwrap().clone());
        let patch = json!({"status": {"phase": "Running", "containerStatuses": [status]}});
        pods.patch_status(name, &PatchParams::default(), &Patch::Merge(patch)).await.unwrap();
    }
}

fn live_console(server: &k8s::Server, ns: &str, flags: &[&str]) -> Console {
    let mut args = vec!["--context", "console", "-n", ns];
    args.extend_from_slice(flags);
    let kubeconfig = server.kubeconfig();
    Console::spawn(env!("CARGO_BIN_EXE_warroom").as_ref(), &args, &[("KUBECONFIG", kubeconfig.to_str().unwrap())])
}

/// The row of the screen that shows `name`.
fn row_of(screen: &str, name: &str) -> usize {
    screen.lines().position(|l| l.contains(name)).unwrap_or_else(|| panic!("{name} not on screen:\n{screen}"))
}

#[test]
fn live_mode_sorts_the_crash_loop_first_and_restarts_its_deployment_from_the_keyboard() {
    let server = k8s::shared();
    let rt = runtime();
    let admin = rt.block_on(server.admin());
    rt.block_on(seed(&admin, "e2e"));

    let mut c = live_console(server, "e2e", &[]);
    let screen = c.wait_for("all three pods", |s| {
        s.contains("CrashLoopBackOff") && s.contains("admin-tools") && s.contains("backend-7d9c6b5f4-aaaaa")
    });
    assert!(screen.contains("console/e2e"), "the status bar names context and namespace:\n{screen}");
    let crashing = row_of(&screen, "backend-7d9c6b5f4-zcrsh");
    assert!(crashing < row_of(&screen, "admin-tools") && crashing < row_of(&screen, "backend-7d9c6b5f4-aaaaa"));

    // The crash-looping pod is selected at the top: its deployment's
    // rollout restart is the third action.
    c.keys("1");
    c.keys("a");
    c.wait_text("Actions: pod e2e/backend-7d9c6b5f4-zcrsh");
    c.keys("\x1b[B\x1b[B\r");
    c.wait_text("Confirm: Rollout restart deployment");
    let dialog = c.wait_text("kubectl --context console -n e2e rollout restart");
    assert!(dialog.contains("deployment/backend"), "{dialog}");
    c.keys("y");
    c.wait_text("deployment.apps/backend restarted");

    let d = rt.block_on(Api::<Deployment>::namespaced(admin, "e2e").get("backend")).unwrap();
    let template = d.spec.unwrap().template.metadata.unwrap();
    assert!(template.annotations.unwrap().contains_key("kubectl.kubernetes.io/restartedAt"));
    c.keys("q");
    assert!(c.wait_exit().success());
}

#[test]
fn dry_run_and_read_only_send_the_cluster_nothing_that_changes_it() {
    // A server of its own, so its audit log holds only this test's requests.
    let server = k8s::Server::start();
    let rt = runtime();
    let admin = rt.block_on(server.admin());
    rt.block_on(seed(&admin, "careful"));
    for (flag, answer) in [("--dry-run", "DRY-RUN"), ("--read-only", "read-only mode")] {
        let mut c = live_console(&server, "careful", &[flag]);
        c.wait_text("CrashLoopBackOff");
        c.keys("1");
        // Rollout restart, confirmed with `y`.
        c.keys("a");
        c.wait_text("Actions:");
        c.keys("\x1b[B\x1b[B\r");
        c.wait_text("Confirm: Rollout restart deployment");
        c.keys("y");
        c.wait_text(answer);
        c.keys("\x1b");
        // Delete pod, confirmed by typing its name.
        c.keys("a");
        c.wait_text("Actions:");
        c.keys("\x1b[B\x1b[B\x1b[B\x1b[B\x1b[B\x1b[B\r");
        c.wait_text("Confirm: Delete pod");
        c.keys("backend-7d9c6b5f4-zcrsh\r");
        c.wait_text(answer);
        c.keys("\x1b");
        c.keys("q");
        assert!(c.wait_exit().success(), "{flag}");
    }
    // The audit log is written asynchronously.
    std::thread::sleep(std::time::Duration::from_millis(500));
    let requests = server.audited("warroom");
    assert!(requests.iter().any(|r| r.starts_with("watch ")), "the console did watch: {requests:?}");
    let mutating = k8s::mutating(&requests);
    assert!(mutating.is_empty(), "{mutating:?}");
    let pods = rt.block_on(Api::<Pod>::namespaced(admin, "careful").list(&Default::default())).unwrap();
    assert_eq!(pods.items.len(), 3, "nothing deleted");
}
