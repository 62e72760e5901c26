//! The console on a cluster whose controllers run (see
//! `tests/support/k8s.rs`, `Cluster`): deployments create pods the
//! scheduler binds and the node simulator runs; a rollout really rolls,
//! a scale really adds pods, a deleted pod comes back, and faults the
//! simulator plays read as kubectl reads them; and the incident story,
//! end to end in a terminal, on it.
#![allow(clippy::unwrap_used)]

#[path = "support/k8s.rs"]
mod k8s;
#[path = "support/kube_console.rs"]
mod kube_console;
#[path = "support/pty.rs"]
mod pty;

use k8s_openapi::api::apps::v1::Deployment as KDeployment;
use kube::api::{Api, PostParams};
use kube_console::{Console, namespace};
use serde_json::json;
use warroom::model::Health;
use warroom::state::LiveState;

fn deployment(name: &str, replicas: i32, annotations: serde_json::Value) -> KDeployment {
    serde_json::from_value(json!({
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}, "annotations": annotations},
                "spec": {
                    "terminationGracePeriodSeconds": 5,
                    "containers": [{"name": "app", "image": format!("registry.example.com/{name}:1")}]
                }
            }
        }
    }))
    .unwrap()
}

/// A namespace of its own on the shared living cluster, with `deployments`
/// created in it; the cluster and the namespace's deployments API.
async fn living(ns: &str, deployments: Vec<KDeployment>) -> (&'static k8s::Cluster, Api<KDeployment>) {
    let cluster = k8s::shared_cluster();
    let admin = cluster.server.admin().await;
    namespace(&admin, ns).await;
    let deps: Api<KDeployment> = Api::namespaced(admin, ns);
    for d in deployments {
        deps.create(&PostParams::default(), &d).await.unwrap();
    }
    (cluster, deps)
}

fn pods_of<'a>(l: &'a LiveState, ns: &str, dep: &str) -> Vec<&'a warroom::model::Pod> {
    l.pods.values().filter(|p| *p.namespace == *ns && p.deployment.as_deref() == Some(dep)).collect()
}

#[tokio::test]
async fn a_deployment_runs_and_its_faults_read_as_kubectl_reads_them() {
    let ns = "living";
    let crashy = deployment("crashy", 2, json!({"sim.warroom.dev/fault": "crash-loop"}));
    let (cluster, _) = living(ns, vec![deployment("web", 3, json!({})), crashy]).await;
    let mut console = Console::start(&cluster.server, &[ns]);
    console
        .until("three web pods running and ready on simulated nodes", |l| {
            let web = pods_of(l, ns, "web");
            web.len() == 3
                && web.iter().all(|p| p.status() == "Running" && p.ready_count() == (1, 1) && p.health() == Health::Ok)
                && web.iter().all(|p| p.node.as_deref().is_some_and(|n| n.starts_with("sim-node-")))
        })
        .await;
    console
        .until("the crashy pods crash-looping with restarts", |l| {
            let crashy = pods_of(l, ns, "crashy");
            crashy.len() == 2 && crashy.iter().all(|p| p.crash_looping() && p.restarts() >= 1)
        })
        .await;
    let kubectl = cluster.server.kubectl(&["get", "pods", "-n", ns, "--no-headers"]);
    for line in kubectl.lines() {
        let cells: Vec<&str> = line.split_whitespace().collect();
        let p = console.live.pods.get(&format!("{ns}/{}", cells[0])).unwrap();
        let printed = p.printed();
        // The simulator moves on between the two looks; READY and STATUS
        // of a healthy pod, and the word of a broken one, hold still.
        if cells[0].starts_with("web-") {
            assert_eq!(
                (cells[1], cells[2]),
                (format!("{}/{}", printed.ready, printed.total).as_str(), &*printed.status)
            );
        } else {
            assert!(["CrashLoopBackOff", "Error", "Running"].contains(&cells[2]), "{line}");
        }
    }
}

fn executor(server: &k8s::Server, ns: &str) -> warroom::sources::kube::KubeExecutor {
    warroom::sources::kube::KubeExecutor::new(
        server.target(&[ns]),
        std::sync::Arc::new(warroom::sources::clock::SystemClock),
    )
}

async fn run(executor: &warroom::sources::kube::KubeExecutor, kind: warroom::actions::ActionKind) {
    use warroom::actions::{Action, Executor, Scope};
    executor.execute(Action { kind, scope: Scope::default() }).await.unwrap();
}

fn names(pods: &[&warroom::model::Pod]) -> Vec<String> {
    let mut n: Vec<String> = pods.iter().map(|p| p.name.clone()).collect();
    n.sort();
    n
}

/// The deployment's pods, all Running and Ready, none terminating, and
/// its rollout complete.
fn settled(l: &LiveState, ns: &str, dep: &str, n: usize) -> bool {
    let pods = pods_of(l, ns, dep);
    let rollout_done = l
        .deployments
        .get(&format!("{ns}/{dep}"))
        .is_some_and(|d| d.rollout == warroom::model::Rollout::Complete && d.available as usize == n);
    rollout_done && pods.len() == n && pods.iter().all(|p| p.status() == "Running" && p.ready_count() == (1, 1))
}

#[tokio::test]
async fn restart_scale_and_delete_act_on_a_cluster_that_answers() {
    use warroom::actions::ActionKind;
    let ns = "living-actions";
    let (cluster, _) = living(ns, vec![deployment("backend", 3, json!({}))]).await;
    let mut console = Console::start(&cluster.server, &[ns]);
    console.until("three backend pods running", |l| settled(l, ns, "backend", 3)).await;
    let before = names(&pods_of(&console.live, ns, "backend"));
    let hash = |name: &str| name.rsplit('-').nth(1).unwrap().to_string();
    let k = executor(&cluster.server, ns);

    // A rollout restart brings up a new ReplicaSet; the old pods go.
    run(&k, ActionKind::RolloutRestart { namespace: ns.into(), deployment: "backend".into() }).await;
    console
        .until("the rollout seen progressing", |l| {
            l.deployments.get(&format!("{ns}/backend")).is_some_and(|d| d.rollout != warroom::model::Rollout::Complete)
                || pods_of(l, ns, "backend").iter().any(|p| p.status() == "Terminating")
        })
        .await;
    console
        .until("three new pods running, the old ones gone", |l| {
            settled(l, ns, "backend", 3) && names(&pods_of(l, ns, "backend")).iter().all(|n| !before.contains(n))
        })
        .await;
    let after = names(&pods_of(&console.live, ns, "backend"));
    assert_ne!(hash(&before[0]), hash(&after[0]), "a new ReplicaSet: {before:?} → {after:?}");

    // Scale to zero and back.
    run(&k, ActionKind::Scale { namespace: ns.into(), deployment: "backend".into(), from: 3, to: 0 }).await;
    console.until("no backend pods", |l| pods_of(l, ns, "backend").is_empty()).await;
    run(&k, ActionKind::RestoreScale { namespace: ns.into(), deployment: "backend".into(), from: 0, to: 3 }).await;
    console.until("three again", |l| settled(l, ns, "backend", 3)).await;

    // A deleted pod is replaced by its ReplicaSet.
    let victim = names(&pods_of(&console.live, ns, "backend"))[0].clone();
    run(&k, ActionKind::DeletePod { namespace: ns.into(), pod: victim.clone() }).await;
    console
        .until("the deleted pod replaced", |l| {
            settled(l, ns, "backend", 3) && !names(&pods_of(l, ns, "backend")).contains(&victim)
        })
        .await;
}

#[tokio::test]
async fn faults_the_simulator_plays_read_as_kubectl_reads_them() {
    let ns = "living-faults";
    let fault = |f: &str| json!({"sim.warroom.dev/fault": f});
    let mut huge = deployment("huge", 1, json!({}));
    huge.spec.as_mut().unwrap().template.spec.as_mut().unwrap().containers[0].resources =
        Some(serde_json::from_value(json!({"requests": {"cpu": "64"}})).unwrap());
    let mut init = deployment("migrating", 1, fault("init-fail"));
    init.spec.as_mut().unwrap().template.spec.as_mut().unwrap().init_containers = Some(vec![
        serde_json::from_value(json!({"name": "migrate", "image": "registry.example.com/migrate:1"})).unwrap(),
    ]);
    let all = vec![huge, init, deployment("pulling", 1, fault("image-pull")), deployment("oomy", 1, fault("oom-once"))];
    let (cluster, _) = living(ns, all).await;
    let mut console = Console::start(&cluster.server, &[ns]);
    let one = |l: &LiveState, dep: &str, test: &dyn Fn(&warroom::model::Pod) -> bool| {
        let pods = pods_of(l, ns, dep);
        pods.len() == 1 && test(pods[0])
    };
    console
        .until("every fault showing", |l| {
            one(l, "huge", &|p| {
                p.status() == "Pending" && p.note(chrono::Utc::now()).as_deref() == Some("Unschedulable")
            }) && one(l, "migrating", &|p| p.status() == "Init:CrashLoopBackOff" && p.health() == Health::Crit)
                && one(l, "pulling", &|p| p.status() == "ImagePullBackOff" && p.health() == Health::Crit)
                && one(l, "oomy", &|p| {
                    p.status() == "Running"
                        && p.restarts() == 1
                        && p.note(chrono::Utc::now()).is_some_and(|n| n.starts_with("OOMKilled"))
                })
        })
        .await;
    // kubectl agrees on each pod's STATUS and READY; the init container
    // crash-loops on, so between the two looks only its kind holds still.
    let kubectl = cluster.server.kubectl(&["get", "pods", "-n", ns, "--no-headers"]);
    for line in kubectl.lines() {
        let cells: Vec<&str> = line.split_whitespace().collect();
        let printed = console.live.pods.get(&format!("{ns}/{}", cells[0])).unwrap().printed();
        if cells[0].starts_with("migrating-") {
            assert!(cells[2].starts_with("Init:"), "{line}");
            continue;
        }
        let ours = (format!("{}/{}", printed.ready, printed.total), printed.status.to_string());
        assert_eq!((cells[1].to_string(), cells[2].to_string()), ours, "{kubectl}");
    }
}

/// What `kubectl rollout status --watch=false` says of a deployment, on
/// stdout or (a deadline exceeded) stderr.
fn kubectl_rollout(server: &k8s::Server, ns: &str, dep: &str) -> String {
    let target = format!("deployment/{dep}");
    let (_, out, err) = server.kubectl_may_fail(&["rollout", "status", &target, "-n", ns, "--watch=false"]);
    if out.trim().is_empty() { err.trim().to_string() } else { out.trim().to_string() }
}

#[tokio::test]
async fn rollouts_read_as_kubectl_rollout_status_says() {
    let ns = "living-rollouts";
    // Rolled out; never available; stuck half-way (the new template's
    // pods crash, and no old one may go before a new one is available);
    // past its progress deadline.
    let mut stuck = deployment("stuck", 2, json!({}));
    stuck.spec.as_mut().unwrap().strategy = Some(
        serde_json::from_value(json!({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}}))
            .unwrap(),
    );
    let mut late = deployment("late", 1, json!({"sim.warroom.dev/fault": "image-pull"}));
    late.spec.as_mut().unwrap().progress_deadline_seconds = Some(3);
    let all = vec![
        deployment("done", 2, json!({})),
        deployment("down", 2, json!({"sim.warroom.dev/fault": "crash-loop"})),
        stuck,
        late,
    ];
    let (cluster, deps) = living(ns, all).await;
    let mut console = Console::start(&cluster.server, &[ns]);
    console.until("stuck rolled out first", |l| settled(l, ns, "stuck", 2)).await;
    let broken = json!({"spec": {"template": {"metadata": {"annotations": {"sim.warroom.dev/fault": "crash-loop"}}}}});
    deps.patch("stuck", &kube::api::PatchParams::default(), &kube::api::Patch::Merge(broken)).await.unwrap();
    let expect = [
        ("done", "deployment \"done\" successfully rolled out"),
        ("down", "Waiting for deployment \"down\" rollout to finish: 0 of 2 updated replicas are available..."),
        ("stuck", "Waiting for deployment \"stuck\" rollout to finish: 1 out of 2 new replicas have been updated..."),
        ("late", "error: deployment \"late\" exceeded its progress deadline"),
    ];
    for (dep, words) in expect {
        let key = format!("{ns}/{dep}");
        console
            .until(&format!("{dep}: {words}"), |l| l.deployments.get(&key).is_some_and(|d| d.rollout_status() == words))
            .await;
        // kubectl says the same of the same deployment.
        assert_eq!(kubectl_rollout(&cluster.server, ns, dep), words);
    }

    // Stuck half-way, its ReplicaSets are what `kubectl describe` names
    // new and old, with the revisions `kubectl get rs` shows; what holds
    // it up is a pod of the new one that crashes.
    let describe = cluster.server.kubectl(&["describe", "deployment", "stuck", "-n", ns]);
    let field = |name: &str| {
        let line = describe.lines().find(|l| l.starts_with(name)).unwrap_or_else(|| panic!("{name}? {describe}"));
        line[name.len()..].trim().to_string()
    };
    let (new, old) = (field("NewReplicaSet:"), field("OldReplicaSets:"));
    let revisions = cluster.server.kubectl(&[
        "get",
        "rs",
        "-n",
        ns,
        "--no-headers",
        "-o",
        r"custom-columns=NAME:.metadata.name,REVISION:.metadata.annotations.deployment\.kubernetes\.io/revision",
    ]);
    let revision_of = |name: &str| -> Option<u32> {
        revisions.lines().map(|l| l.split_whitespace().collect::<Vec<_>>()).find(|c| c[0] == name)?[1].parse().ok()
    };
    let key = format!("{ns}/stuck");
    console
        .until(&format!("NewReplicaSet {new}, OldReplicaSets {old}"), |l| {
            let Some(d) = l.deployments.get(&key) else { return false };
            let sets = d.revisions(l.replica_sets.values());
            let olds: Vec<String> = sets.old.iter().map(|r| r.describe()).collect();
            sets.new.map(|r| r.describe()) == Some(new.clone()) && olds.join(", ") == old
        })
        .await;
    let d = console.live.deployments.get(&key).unwrap();
    let (sets, held_up_by) = console.live.rollout_of(d);
    let (fresh, stale) = (sets.new.unwrap(), sets.old[0]);
    assert_eq!((fresh.revision, stale.revision), (Some(2), Some(1)));
    assert_eq!((revision_of(&fresh.name), revision_of(&stale.name)), (fresh.revision, stale.revision), "{revisions}");
    assert_eq!(d.revision, fresh.revision);
    let pod = held_up_by.expect("a pod holds the rollout up");
    assert_eq!(pod.replica_set.as_deref(), Some(fresh.name.as_str()));
    assert_ne!(pod.health(), Health::Ok);
    let fresh = fresh.name.clone();
    console
        .until("the rollout held up by its new pod, crashed", |l| {
            let d = l.deployments.get(&key).unwrap();
            // Between two crashes it runs, not ready, for a moment.
            l.rollout_of(d).1.is_some_and(|p| {
                p.replica_set.as_deref() == Some(fresh.as_str()) && p.restarts() >= 1 && p.health() != Health::Ok
            })
        })
        .await;
}

/// Presses `key` until the screen shows what `found` looks for (a menu
/// entry marked `›`, a checklist step's hint), each press awaited on
/// screen.
fn move_to(c: &mut pty::Console, key: &str, what: &str, found: impl Fn(&str) -> bool) {
    for _ in 0..30 {
        let before = c.contents();
        if found(&before) {
            return;
        }
        c.keys(key);
        c.wait_for(what, |s| s != before);
    }
    panic!("never reached {what}:\n{}", c.contents());
}

fn selected(needle: &str) -> impl Fn(&str) -> bool + '_ {
    move |s: &str| s.lines().any(|l| l.contains('›') && l.contains(needle))
}

/// The lines of the Pods panel that show pods of `dep`.
fn rows<'a>(screen: &'a str, dep: &str) -> Vec<&'a str> {
    let prefix = format!("{dep}-");
    screen.lines().filter(|l| l.split_whitespace().nth(1).is_some_and(|n| n.starts_with(&prefix))).collect()
}

/// The strip's words for `dep`: `backend 3/3`, `backend 0/0 (was 3)`.
fn strip_has(screen: &str, words: &str) -> bool {
    screen.lines().nth(3).is_some_and(|l| l.contains(words))
}

/// An on-call engineer's crash-loop incident at 80×24, on controllers
/// that really run: the deployment whose pods crash-loop is red and
/// first, the crashloop playbook's checks fail, a rollout restart run
/// from the checklist and confirmed with `y` (the fault fixed meanwhile,
/// so new pods start healthy) brings up a new ReplicaSet while the strip
/// follows the rollout, the old pods terminate, the checks pass and the
/// incident resolves; then scale to zero and restore, and a deleted pod
/// replaced by its ReplicaSet.
#[test]
fn the_crash_loop_incident_end_to_end_on_a_living_cluster() {
    let ns = "story";
    let cluster = k8s::shared_cluster();
    let server = &cluster.server;
    // The fault comes from the simulator's ConfigMap, so fixing it needs
    // no change to the deployment.
    let cm = k8s::nodesim::FAULTS_CONFIGMAP;
    server.kubectl_may_fail(&["-n", "kube-system", "create", "configmap", cm]);
    let fault = |f: &str| {
        let patch = json!({"data": {"story.backend": f}}).to_string();
        server.kubectl(&["-n", "kube-system", "patch", "configmap", cm, "--type=merge", "-p", &patch]);
    };
    fault("crash-loop");
    // A new pod counts as available 3 s after it is ready, and no old pod
    // goes before a new one is available: the rollout takes a while.
    let mut backend = deployment("backend", 3, json!({}));
    let spec = backend.spec.as_mut().unwrap();
    spec.min_ready_seconds = Some(3);
    spec.strategy = Some(
        serde_json::from_value(json!({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}}))
            .unwrap(),
    );
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(living(ns, vec![backend, deployment("frontend", 2, json!({}))]));

    let kubeconfig = server.kubeconfig();
    let mut c = pty::Console::spawn_sized(
        env!("CARGO_BIN_EXE_warroom").as_ref(),
        &["--context", "console", "-n", ns],
        &[("KUBECONFIG", kubeconfig.to_str().unwrap())],
        (24, 80),
    );
    let screen = c.wait_for("three backend pods crash-looping above the frontend", |s| {
        let (b, f) = (rows(s, "backend"), rows(s, "frontend"));
        b.len() == 3 && b.iter().all(|l| l.contains("CrashLoopBackOff") && l.starts_with("┃✗")) && f.len() == 2
    });
    let first = screen.lines().position(|l| l.contains("frontend-")).unwrap();
    assert!(screen.lines().take(first).filter(|l| l.contains("backend-")).count() == 3, "{screen}");
    assert!(strip_has(&screen, "✗ backend 0/3"), "{screen}");
    let old: Vec<String> =
        rows(&screen, "backend").iter().map(|l| l.split_whitespace().nth(1).unwrap().into()).collect();

    // The crashloop playbook: its first check fails, naming the pods.
    c.keys("P");
    c.wait_text("Start incident");
    move_to(&mut c, "\x1b[B", "the crashloop playbook", selected("crashloop"));
    c.keys("\r");
    c.wait_text("P2 incident started");
    c.keys("5");
    c.wait_for("the crash-loop check failing", |s| {
        s.contains("✗ See which pods crash-loop") && s.contains("3 crash-looping")
    });

    // The fault is fixed; the restart step, confirmed from the keyboard.
    fault("");
    move_to(&mut c, "j", "the restart step", |s| s.contains("Enter: rollout restart"));
    c.keys("\r");
    c.wait_text("Confirm: Rollout restart deployment");
    c.wait_text("Target   deployment story/backend");
    c.keys("y");
    c.wait_text("✓ Rollout restart deployment backend");

    // The strip follows the rollout; old pods terminate; new ones run.
    c.keys("1");
    c.wait_for("the rollout rolling in the strip", |s| strip_has(s, "rolling"));
    c.wait_for("an old pod terminating", |s| {
        rows(s, "backend").iter().any(|l| l.contains("Terminating") && old.iter().any(|o| l.contains(o.as_str())))
    });
    let screen = c.wait_for("three new backend pods running, the rollout done", |s| {
        let b = rows(s, "backend");
        strip_has(s, "● backend 3/3")
            && !strip_has(s, "rolling")
            && b.len() == 3
            && b.iter().all(|l| l.contains("Running") && !old.iter().any(|o| l.contains(o.as_str())))
    });
    assert_eq!(kubectl_rollout(server, ns, "backend"), "deployment \"backend\" successfully rolled out", "{screen}");

    // The checks pass; the incident resolves.
    c.keys("5");
    c.wait_for("the checks passing", |s| {
        s.contains("✓ See which pods crash-loop") && s.contains("✓ Restarts per hour")
    });
    move_to(&mut c, "j", "the resolution checks", |s| {
        s.contains("✓ No pod crash-loops") && s.contains("✓ Every pod is ready")
    });
    c.keys(":");
    c.keys("resolve incident\r");
    c.wait_text("P2 incident resolved");
    c.keys("\x1b");

    // Scale to zero, confirmed by typing the deployment's name.
    c.keys("1");
    c.keys("\x1b[H");
    c.keys("a");
    c.wait_text("Actions: pod story/backend-");
    move_to(&mut c, "\x1b[B", "scale to zero", selected("Scale deployment to zero"));
    c.keys("\r");
    c.wait_text("Type backend to confirm");
    c.keys("backend\r");
    c.wait_for("backend at zero, its pods gone", |s| {
        strip_has(s, "backend 0/0 (was 3)") && rows(s, "backend").is_empty()
    });
    assert_eq!(server.kubectl(&["get", "pods", "-n", ns, "-l", "app=backend", "--no-headers"]).trim(), "");

    // Restored from the palette: it has no pod left to select.
    c.keys(":");
    c.keys("restore");
    c.wait_text("Restore deployment story/backend to 3 replicas");
    c.keys("\r");
    c.wait_text("Confirm: Restore the 3 replicas before the scale-down");
    c.keys("y");
    c.wait_for("three backend pods again", |s| {
        strip_has(s, "● backend 3/3") && rows(s, "backend").iter().filter(|l| l.contains("Running")).count() == 3
    });

    // A deleted pod, confirmed by typing its name, is replaced.
    c.keys("\x1b[H");
    c.keys("a");
    let menu = c.wait_text("Actions: pod story/backend-");
    let victim = menu.split("Actions: pod story/").nth(1).unwrap().split_whitespace().next().unwrap().to_string();
    move_to(&mut c, "\x1b[B", "delete pod", selected("Delete pod"));
    c.keys("\r");
    c.wait_text(&format!("Type {victim} to confirm"));
    c.keys(&format!("{victim}\r"));
    c.wait_for("the deleted pod replaced", |s| {
        let b = rows(s, "backend");
        b.len() == 3 && b.iter().all(|l| l.contains("Running") && !l.contains(victim.as_str()))
    });
    c.keys("q");
    assert!(c.wait_exit().success());
}
