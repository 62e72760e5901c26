use serde_json::json;

use super::*;
use crate::model::Health;

fn pod_json(status: serde_json::Value) -> core::Pod {
    serde_json::from_value(json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": "backend-7d9c6b5f4-x2x9k",
            "namespace": "shop",
            "creationTimestamp": "2026-01-01T00:00:00Z",
            "labels": {"app": "backend", "pod-template-hash": "7d9c6b5f4"},
            "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{...big...}"},
            "managedFields": [{"manager": "kube-controller-manager", "operation": "Update"}],
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "backend-7d9c6b5f4", "uid": "u1"}]
        },
        "spec": {
            "nodeName": "ip-10-0-1-17",
            "containers": [
                {"name": "app", "image": "registry.example.com/shop/backend:1.18.4"},
                {"name": "sidecar", "image": "envoy:1.29"}
            ]
        },
        "status": status
    }))
    .unwrap()
}

/// One pod converted on its own.
fn pod(p: &core::Pod) -> Pod {
    super::pod(p, &mut Names::default())
}

#[test]
fn pods_share_the_strings_they_have_in_common() {
    let mut names = Names::default();
    let status = json!({"phase": "Running", "containerStatuses": [running("app", true, 0)]});
    let a = super::pod(&pod_json(status.clone()), &mut names);
    let mut raw = pod_json(status);
    raw.metadata.name = Some("backend-7d9c6b5f4-q8xvz".into());
    let b = super::pod(&raw, &mut names);
    for (x, y) in [(&a.namespace, &b.namespace), (&a.phase, &b.phase), (&a.containers[1].image, &b.containers[1].image)]
    {
        assert!(Arc::ptr_eq(x, y), "{x} is held once");
    }
    assert!(Arc::ptr_eq(a.deployment.as_ref().unwrap(), b.deployment.as_ref().unwrap()));
    assert!(Arc::ptr_eq(a.node.as_ref().unwrap(), b.node.as_ref().unwrap()));
    // Names no pod holds any more are forgotten as new ones come.
    drop((a, b));
    let held = names.len();
    for i in 0..2 * 1024 {
        names.get(&format!("node-{i}"));
    }
    assert!(names.len() < held + 2 * 1024, "{} names held", names.len());
}

fn running(name: &str, ready: bool, restarts: i32) -> serde_json::Value {
    json!({
        "name": name, "image": "img", "imageID": "", "ready": ready, "restartCount": restarts,
        "state": {"running": {"startedAt": "2026-01-01T00:01:00Z"}}
    })
}

#[test]
fn a_running_pod_keeps_what_the_panel_shows() {
    let p = pod(&pod_json(json!({
        "phase": "Running",
        "containerStatuses": [running("app", true, 0), running("sidecar", true, 2)]
    })));
    assert_eq!((&*p.namespace, p.name.as_str()), ("shop", "backend-7d9c6b5f4-x2x9k"));
    assert_eq!(p.deployment.as_deref(), Some("backend"));
    assert_eq!(p.replica_set.as_deref(), Some("backend-7d9c6b5f4"));
    assert_eq!(p.node.as_deref(), Some("ip-10-0-1-17"));
    assert_eq!(p.ready_count(), (2, 2));
    assert_eq!(p.restarts(), 2);
    assert_eq!((&*p.status(), p.health()), ("Running", Health::Ok));
    assert_eq!(p.created, DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z").unwrap());
}

#[test]
fn an_unready_container_runs_and_warns() {
    let p = pod(&pod_json(json!({
        "phase": "Running",
        "containerStatuses": [running("app", false, 0), running("sidecar", true, 0)]
    })));
    // kubectl says Running (READY says the rest); the glyph warns.
    assert_eq!((&*p.status(), p.ready_count(), p.health()), ("Running", (1, 2), Health::Warn));
}

#[test]
fn crash_loops_show_the_wait_and_the_oom_kill_before_it() {
    let p = pod(&pod_json(json!({
        "phase": "Running",
        "containerStatuses": [{
            "name": "app", "image": "img", "imageID": "", "ready": false, "restartCount": 7,
            "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 5m0s restarting failed container"}},
            "lastState": {"terminated": {"reason": "OOMKilled", "exitCode": 137, "finishedAt": "2026-01-01T00:09:00Z"}}
        }, running("sidecar", true, 0)]
    })));
    assert_eq!((&*p.status(), p.health()), ("CrashLoopBackOff", Health::Crit));
    assert_eq!(p.restarts(), 7);
    let last = p.containers[0].last_termination.as_ref().unwrap();
    assert_eq!((last.reason.as_str(), last.exit_code), ("OOMKilled", 137));
}

#[test]
fn image_and_config_errors_are_the_reason() {
    for reason in ["ImagePullBackOff", "ErrImagePull", "CreateContainerConfigError"] {
        let p = pod(&pod_json(json!({
            "phase": "Pending",
            "containerStatuses": [{
                "name": "app", "image": "img", "imageID": "", "ready": false, "restartCount": 0,
                "state": {"waiting": {"reason": reason, "message": "rpc error: not found"}}
            }]
        })));
        assert_eq!((&*p.status(), p.health()), (reason, Health::Crit));
    }
}

#[test]
fn a_pod_nobody_can_schedule_says_why() {
    let p = pod(&pod_json(json!({
        "phase": "Pending",
        "conditions": [{
            "type": "PodScheduled", "status": "False", "reason": "Unschedulable",
            "message": "0/3 nodes are available: 3 Insufficient memory."
        }]
    })));
    // kubectl says Pending; the row adds why.
    assert_eq!((&*p.status(), p.health()), ("Pending", Health::Warn));
    assert_eq!(p.note(p.created).as_deref(), Some("Unschedulable"));
    let (reason, message) = *p.conditions.unscheduled.clone().unwrap();
    assert_eq!(
        (reason.as_str(), message.as_str()),
        ("Unschedulable", "0/3 nodes are available: 3 Insufficient memory.")
    );
    // Containers without a status yet are being created, not healthy.
    assert_eq!(p.ready_count(), (0, 2));
}

#[test]
fn evicted_and_terminating_pods() {
    let p = pod(&pod_json(json!({
        "phase": "Failed", "reason": "Evicted",
        "message": "The node was low on resource: memory."
    })));
    assert_eq!((&*p.status(), p.health()), ("Evicted", Health::Crit));
    let mut raw = pod_json(json!({"phase": "Running", "containerStatuses": [running("app", true, 0)]}));
    raw.metadata.deletion_timestamp = raw.metadata.creation_timestamp.clone();
    assert_eq!(pod(&raw).status(), "Terminating");
}

#[test]
fn init_containers_and_sidecars_come_in_status_order_with_their_kind() {
    let mut raw = pod_json(json!({
        "phase": "Pending",
        "conditions": [{"type": "Initialized", "status": "False"}, {"type": "Ready", "status": "False"}],
        "initContainerStatuses": [
            {"name": "proxy", "image": "envoy", "imageID": "", "ready": true, "started": true, "restartCount": 1,
             "state": {"running": {"startedAt": "2026-01-01T00:01:00Z"}}},
            {"name": "migrate", "image": "migrate", "imageID": "", "ready": false, "restartCount": 3,
             "state": {"terminated": {"exitCode": 137, "signal": 9, "finishedAt": "2026-01-01T00:02:00Z"}}}
        ],
        // The kubelet sorts app statuses by name: not the spec's order.
        "containerStatuses": [
            {"name": "sidecar", "image": "envoy:1.29", "imageID": "", "ready": false, "restartCount": 0, "state": {}},
            {"name": "app", "image": "", "imageID": "", "ready": false, "restartCount": 0,
             "state": {"waiting": {"reason": "PodInitializing"}}}
        ]
    }));
    let spec = raw.spec.as_mut().unwrap();
    spec.init_containers = Some(vec![
        core::Container { name: "migrate".into(), image: Some("migrate".into()), ..Default::default() },
        core::Container { name: "proxy".into(), restart_policy: Some("Always".into()), ..Default::default() },
        core::Container { name: "seed".into(), ..Default::default() },
    ]);
    let p = pod(&raw);
    let names = |v: &[crate::model::Container]| v.iter().map(|c| c.name.to_string()).collect::<Vec<_>>();
    assert_eq!(names(&p.init_containers), ["proxy", "migrate", "seed"]);
    assert_eq!(names(&p.containers), ["sidecar", "app"]);
    assert!(p.init_containers[0].sidecar && !p.init_containers[1].sidecar);
    assert_eq!(p.init_containers[0].started, Some(true));
    let ContainerState::Terminated(t) = &p.init_containers[1].state else { panic!("terminated") };
    assert_eq!((t.reason.as_str(), t.exit_code, t.signal), ("", 137, 9));
    assert_eq!(p.init_containers[2].state, ContainerState::Unreported);
    // A status naming no state waits without a reason; an empty image
    // falls back to the spec's.
    assert_eq!(p.containers[0].state, ContainerState::Waiting { reason: String::new(), message: None });
    assert_eq!(&*p.containers[1].image, "registry.example.com/shop/backend:1.18.4");
    assert!(!p.conditions.initialized && !p.conditions.ready);
    // The started sidecar is skipped (and ready); the killed init
    // container is where initialisation stands.
    assert_eq!((&*p.status(), p.ready_count(), p.restarts()), ("Init:Signal:9", (1, 3), 4));
}

#[test]
fn pods_without_a_replica_set_have_no_deployment() {
    let mut raw = pod_json(json!({"phase": "Running"}));
    raw.metadata.owner_references = None;
    assert_eq!(pod(&raw).deployment, None);
    // A StatefulSet's pod is not a deployment's.
    let mut raw = pod_json(json!({"phase": "Running"}));
    raw.metadata.owner_references.as_mut().unwrap()[0].kind = "StatefulSet".into();
    assert_eq!((pod(&raw).deployment, pod(&raw).replica_set), (None, None));
}

#[test]
fn replica_sets_keep_their_deployment_revision_and_counts() {
    let r: apps::ReplicaSet = serde_json::from_value(json!({
        "metadata": {
            "name": "backend-7d9c6b5f4", "namespace": "shop",
            "creationTimestamp": "2026-01-01T00:00:00Z",
            "annotations": {"deployment.kubernetes.io/revision": "7"},
            "ownerReferences": [
                {"apiVersion": "v1", "kind": "ConfigMap", "name": "unrelated", "uid": "u0"},
                {"apiVersion": "apps/v1", "kind": "Deployment", "name": "backend", "uid": "u1", "controller": true}
            ]
        },
        "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "backend"}}},
        "status": {"replicas": 2, "readyReplicas": 1, "availableReplicas": 1}
    }))
    .unwrap();
    let r = replica_set(&r);
    assert_eq!(
        (r.namespace.as_str(), r.name.as_str(), r.deployment.as_deref()),
        ("shop", "backend-7d9c6b5f4", Some("backend"))
    );
    assert_eq!((r.revision, r.desired, r.replicas, r.ready, r.available), (Some(7), 3, 2, 1, 1));
    assert_eq!(r.created, DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z").unwrap());
    // Scaled to zero, never given a revision, owned by nothing.
    let bare: apps::ReplicaSet = serde_json::from_value(json!({
        "metadata": {"name": "bare", "namespace": "shop"},
        "spec": {"replicas": 0, "selector": {}},
    }))
    .unwrap();
    let bare = replica_set(&bare);
    assert_eq!((bare.deployment, bare.revision, bare.desired, bare.replicas), (None, None, 0, 0));
}

#[test]
fn deployments_count_replicas() {
    let d: apps::Deployment = serde_json::from_value(json!({
        "metadata": {"name": "backend", "namespace": "shop"},
        "spec": {"replicas": 4, "selector": {"matchLabels": {"app": "backend"}}, "template": {}},
        "status": {"replicas": 4, "readyReplicas": 1, "updatedReplicas": 2}
    }))
    .unwrap();
    let d = deployment(&d);
    assert_eq!((d.desired, d.ready, d.updated), (4, 1, 2));
    assert_eq!(d.health(), Health::Warn);
    let waiting = Rollout::Progressing(Waiting::Updated { updated: 2, desired: 4 });
    assert_eq!((d.rollout.clone(), d.selector.as_str(), d.restore_to), (waiting, "app=backend", None));
    assert_eq!(
        d.rollout_status(),
        "Waiting for deployment \"backend\" rollout to finish: 2 out of 4 new replicas have been updated..."
    );
}

fn deployment_json(generation: i64, status: serde_json::Value) -> apps::Deployment {
    serde_json::from_value(json!({
        "metadata": {
            "name": "backend", "namespace": "shop", "generation": generation,
            "annotations": {"warroom/replicas-before-scale-down": "4", "deployment.kubernetes.io/revision": "7"}
        },
        "spec": {
            "replicas": 0,
            "selector": {
                "matchLabels": {"app": "backend"},
                "matchExpressions": [
                    {"key": "tier", "operator": "In", "values": ["api", "web"]},
                    {"key": "canary", "operator": "DoesNotExist"}
                ]
            },
            "template": {}
        },
        "status": status
    }))
    .unwrap()
}

#[test]
fn rollouts_read_like_kubectl_rollout_status() {
    let complete = json!({"observedGeneration": 3, "replicas": 2, "updatedReplicas": 2, "availableReplicas": 2});
    let d = deployment(&deployment_json(3, complete.clone()));
    assert_eq!(d.rollout, Rollout::Complete);
    assert_eq!(d.rollout_status(), "deployment \"backend\" successfully rolled out");
    assert_eq!(d.revision, Some(7));
    assert_eq!(d.selector, "app=backend,tier in (api,web),!canary");
    assert_eq!(d.restore_to, Some(4), "the scale-down record is kept");
    // The controller has not seen the newest spec yet.
    let d = deployment(&deployment_json(4, complete));
    assert_eq!(d.rollout, Rollout::Progressing(Waiting::SpecUpdate));
    assert_eq!(d.rollout_status(), "Waiting for deployment spec update to be observed...");
    // Old replicas still running beside the new ones.
    let mixed = json!({"observedGeneration": 3, "replicas": 3, "updatedReplicas": 2, "availableReplicas": 3});
    let d = deployment(&deployment_json(3, mixed));
    assert_eq!(d.rollout, Rollout::Progressing(Waiting::OldPending(1)));
    assert_eq!(
        d.rollout_status(),
        "Waiting for deployment \"backend\" rollout to finish: 1 old replicas are pending termination..."
    );
    let unavailable = json!({"observedGeneration": 3, "replicas": 2, "updatedReplicas": 2, "availableReplicas": 1});
    let d = deployment(&deployment_json(3, unavailable));
    assert_eq!(
        d.rollout_status(),
        "Waiting for deployment \"backend\" rollout to finish: 1 of 2 updated replicas are available..."
    );
    let stalled = json!({
        "observedGeneration": 3, "replicas": 3, "updatedReplicas": 1, "readyReplicas": 2, "availableReplicas": 2,
        "conditions": [{
            "type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded",
            "message": "ReplicaSet \"backend-7d9\" has timed out progressing."
        }]
    });
    let d = deployment(&deployment_json(3, stalled));
    assert_eq!(d.rollout, Rollout::Stalled("ReplicaSet \"backend-7d9\" has timed out progressing.".into()));
    assert_eq!(d.rollout_status(), "error: deployment \"backend\" exceeded its progress deadline");
    assert_eq!(d.health(), Health::Crit);
}

#[test]
fn warning_events_name_their_object() {
    let e: core::Event = serde_json::from_value(json!({
        "metadata": {"name": "backend-x.17a", "namespace": "shop", "creationTimestamp": "2026-01-01T00:00:00Z"},
        "involvedObject": {"kind": "Pod", "name": "backend-x", "namespace": "shop"},
        "reason": "BackOff", "message": "Back-off restarting failed container", "type": "Warning",
        "count": 12, "lastTimestamp": "2026-01-01T00:10:00Z"
    }))
    .unwrap();
    let e = event(&e).unwrap();
    assert_eq!((e.object.as_str(), e.reason.as_str(), e.count, e.warning), ("Pod/backend-x", "BackOff", 12, true));
    assert_eq!(e.last_seen, DateTime::parse_from_rfc3339("2026-01-01T00:10:00Z").unwrap());
    assert_eq!(e.key(), "shop/backend-x.17a");
}

#[test]
fn event_series_count_and_last_observation_win() {
    // What the events.k8s.io API writes: an eventTime, a series, no count
    // and no lastTimestamp.
    let e: core::Event = serde_json::from_value(json!({
        "metadata": {"name": "backend-x.17b", "namespace": "shop", "creationTimestamp": "2026-01-01T00:00:00Z"},
        "involvedObject": {"kind": "Pod", "name": "backend-x", "namespace": "shop"},
        "reason": "Unhealthy", "message": "Readiness probe failed", "type": "Warning",
        "eventTime": "2026-01-01T00:01:00.000000Z",
        "series": {"count": 40, "lastObservedTime": "2026-01-01T00:20:00.000000Z"},
        "reportingComponent": "kubelet", "reportingInstance": "node-1", "action": "Probe"
    }))
    .unwrap();
    let e = event(&e).unwrap();
    assert_eq!(e.count, 40);
    assert_eq!(e.last_seen, DateTime::parse_from_rfc3339("2026-01-01T00:20:00Z").unwrap());
}
