//! End to end in live mode: the real binary in a pseudo-terminal against
//! the test kube-apiserver (`tests/support/k8s.rs`) and the test AWS
//! server (`tests/support/aws.rs`).
#![allow(clippy::unwrap_used)]

#[path = "support/aws.rs"]
mod aws;
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

/// An AWS account with a Multi-AZ database, an alarm firing on it and a
/// trail that logs.
async fn seed_aws(moto: &aws::Moto) {
    let config = moto.sdk_config().await;
    aws::create_db(&aws_sdk_rds::Client::new(&config), "orders-db", true, None).await;
    let cw = aws_sdk_cloudwatch::Client::new(&config);
    aws::put_cpu_alarm(&cw, "orders-db-high-cpu", "orders-db").await;
    cw.set_alarm_state()
        .alarm_name("orders-db-high-cpu")
        .state_value(aws_sdk_cloudwatch::types::StateValue::Alarm)
        .state_reason("Threshold Crossed: 3 datapoints were greater than the threshold (80.0).")
        .send()
        .await
        .unwrap();
    moto.boto("s3", "create_bucket", json!({"Bucket": "audit-logs"}));
    moto.boto("cloudtrail", "create_trail", json!({"Name": "org-trail", "S3BucketName": "audit-logs"}));
    moto.boto("cloudtrail", "start_logging", json!({"Name": "org-trail"}));
}

fn live_console(server: &k8s::Server, moto: &aws::Moto, ns: &str, flags: &[&str]) -> Console {
    let mut args = vec!["--context", "console", "-n", ns];
    args.extend_from_slice(flags);
    let kubeconfig = server.kubeconfig();
    let aws_env = moto.env();
    let mut envs: Vec<(&str, &str)> = aws_env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    envs.push(("KUBECONFIG", kubeconfig.to_str().unwrap()));
    Console::spawn(env!("CARGO_BIN_EXE_warroom").as_ref(), &args, &envs)
}

/// The console's mutating calls to the AWS server, by operation.
fn aws_changes(moto: &aws::Moto) -> Vec<String> {
    let calls = moto.console_calls();
    calls.iter().filter(|c| c["mutating"] == true).map(|c| c["operation"].as_str().unwrap().to_string()).collect()
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

    let moto = aws::Moto::start();
    rt.block_on(seed_aws(&moto));

    let mut c = live_console(server, &moto, "e2e", &[]);
    let screen = c.wait_for("all three pods", |s| {
        s.contains("CrashLoopBackOff") && s.contains("admin-tools") && s.contains("backend-7d9c6b5f4-aaaaa")
    });
    assert!(screen.contains("console/e2e"), "the status bar names context and namespace:\n{screen}");
    // All four sources live, the account named; at this size one panel
    // shows at a time: the database, the firing alarm, the trail.
    let screen = c.wait_for("every source live", |s| s.contains("●kube ●rds ●alarms ●trail"));
    assert!(screen.contains(aws::ACCOUNT), "the status bar names the account:\n{screen}");
    c.keys("2");
    c.wait_text("orders-db ");
    c.keys("3");
    c.wait_text("1 firing");
    c.wait_text("orders-db-high-cpu");
    // Its details bring its history.
    c.keys("\r");
    c.wait_text("History, last 24 hours");
    c.wait_text("StateUpdate Alarm updated from OK to ALARM");
    c.keys("\x1b");
    c.keys("4");
    c.wait_text("org-trail logging");
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

    // A reboot of the database: its second action, after the snapshot.
    c.keys("\x1b");
    c.keys("2");
    c.keys("a");
    c.wait_text("Actions: RDS primary orders-db");
    c.keys("\x1b[B\r");
    let dialog = c.wait_text("Confirm: Reboot DB instance");
    assert!(dialog.contains("aws rds reboot-db-instance"), "{dialog}");
    assert!(dialog.contains(aws::ACCOUNT), "the dialog names the account:\n{dialog}");
    c.keys("y");
    c.wait_text("reboot of orders-db requested");
    assert_eq!(aws_changes(&moto), ["RebootDBInstance"]);
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
    let moto = aws::Moto::start();
    rt.block_on(seed_aws(&moto));
    for (flag, answer) in [("--dry-run", "DRY-RUN"), ("--read-only", "read-only mode")] {
        let mut c = live_console(&server, &moto, "careful", &[flag]);
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
        // Reboot the database, and disable its alarm's actions.
        c.keys("2");
        c.wait_text("orders-db ");
        c.keys("a");
        c.wait_text("Actions: RDS primary orders-db");
        c.keys("\x1b[B\r");
        c.wait_text("Confirm: Reboot DB instance");
        c.keys("y");
        c.wait_text(answer);
        c.keys("\x1b");
        c.keys("3");
        c.wait_text("orders-db-high-cpu");
        c.keys("a");
        c.wait_text("Actions: alarm orders-db-high-cpu");
        c.keys("\r");
        c.wait_text("Confirm:");
        c.keys("y");
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
    assert!(!moto.console_calls().is_empty(), "the console did poll AWS");
    assert_eq!(aws_changes(&moto), Vec::<String>::new(), "no mutating AWS call");
}

#[test]
fn switching_region_from_the_palette_polls_the_other_region() {
    let server = k8s::shared();
    let rt = runtime();
    let admin = rt.block_on(server.admin());
    rt.block_on(seed(&admin, "regions"));
    let moto = aws::Moto::start();
    rt.block_on(seed_aws(&moto));
    let mut c = live_console(server, &moto, "regions", &[]);
    c.keys("3");
    c.wait_text("1 firing / 1");
    c.keys(":");
    c.wait_text("AWS region: us-east-1 (current)");
    c.keys("region eu-west-1");
    c.wait_text("AWS region: eu-west-1");
    c.keys("\r");
    // The other region has no alarm; the caller answers for it.
    let screen =
        c.wait_for("the other region polled", |s| s.contains("0 firing / 0") && s.contains("@eu-west-1 (123456789012"));
    assert!(!screen.contains("orders-db-high-cpu"), "{screen}");
    let regions: Vec<String> = moto
        .calls()
        .iter()
        .filter(|c| c["operation"] == "DescribeAlarms")
        .filter_map(|c| c["region"].as_str().map(str::to_string))
        .collect();
    assert!(regions.contains(&"eu-west-1".to_string()), "{regions:?}");
    c.keys("q");
    assert!(c.wait_exit().success());
}
