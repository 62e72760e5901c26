use super::alarms::{initial_alarms, threshold_reason};
use super::*;
use crate::actions::Scope;
use crate::model::Health;
use crate::state::FeedEvent;

fn t0() -> DateTime<Utc> {
    DateTime::from_timestamp(1_767_225_600, 0).unwrap()
}

/// The CloudTrail events a batch of updates delivers.
fn trail_events(out: &[SourceUpdate]) -> Vec<TrailEvent> {
    out.iter()
        .filter_map(|u| match &u.event {
            FeedEvent::Data(FeedData::TrailEvents(Delta::Upsert(e))) => Some(e.clone()),
            _ => None,
        })
        .flatten()
        .collect()
}

fn world_at(seconds: i64) -> DemoWorld {
    let mut w = DemoWorld::new(7, t0());
    w.advance(t0() + secs(seconds));
    w
}

#[test]
fn metrics_are_their_own_feed_keyed_by_instance() {
    let mut w = DemoWorld::new(7, t0());
    let metrics: Vec<DbMetrics> = w
        .snapshot()
        .into_iter()
        .filter_map(|u| match u.event {
            FeedEvent::Data(FeedData::DbMetrics(Delta::Reset(m))) => Some(m),
            _ => None,
        })
        .flatten()
        .collect();
    let ids: Vec<&str> = metrics.iter().map(|m| m.instance.as_str()).collect();
    assert_eq!(ids, [BILLING, PRIMARY, REPLICA]);
    assert!(metrics.iter().all(|m| m.cpu.len() == METRIC_POINTS && m.free_storage_gib.len() == METRIC_POINTS));
    // Lag is a replica's series only.
    let lagging: Vec<&str> =
        metrics.iter().filter(|m| !m.replica_lag_s.is_empty()).map(|m| m.instance.as_str()).collect();
    assert_eq!(lagging, [REPLICA]);
}

#[test]
fn starts_healthy() {
    let w = DemoWorld::new(7, t0());
    assert_eq!(w.pods.len(), 14);
    assert!(w.pods.values().all(|p| p.health() == Health::Ok));
    assert_eq!(w.alarms.len(), 13);
    assert_eq!(w.alarms.iter().filter(|a| a.state == AlarmState::Ok).count(), 12, "a dozen alarms OK");
    assert!(w.alarms.iter().all(|a| a.state != AlarmState::Alarm));
    assert_eq!(w.dbs.len(), 3);
    assert!(w.dbs.iter().all(|d| d.status == "available"));
}

#[test]
fn backend_crashloops_after_twenty_seconds() {
    let w = world_at(19);
    assert!(w.pods.values().all(|p| p.status() != "CrashLoopBackOff"));
    let w = world_at(60);
    let crashing: Vec<_> = w.pods.values().filter(|p| p.status() == "CrashLoopBackOff").collect();
    assert_eq!(crashing.len(), 4);
    assert!(crashing.iter().all(|p| p.deployment.as_deref() == Some("backend")));
    assert!(crashing.iter().all(|p| p.restarts() >= 2), "restarts rise");
    assert!(w.events.iter().any(|e| e.reason == "BackOff" && e.warning));
}

#[test]
fn db_cpu_climbs_and_alarm_fires() {
    let w = world_at(60);
    assert!(w.latest_metric(PRIMARY, "CPUUtilization").unwrap() > 80.0);
    let cpu_alarm = w.alarms.iter().find(|a| a.name == "orders-db-high-cpu").unwrap();
    assert_eq!(cpu_alarm.state, AlarmState::Alarm);
    // The reason names as many datapoints as the alarm evaluates, and
    // every one of them breaches.
    assert_eq!(cpu_alarm.evaluation_periods, 3);
    assert!(
        cpu_alarm.reason.starts_with("Threshold Crossed: 3 out of the last 3 datapoints ["),
        "{}",
        cpu_alarm.reason
    );
    let inside = &cpu_alarm.reason[cpu_alarm.reason.find('[').unwrap() + 1..cpu_alarm.reason.find(']').unwrap()];
    let values: Vec<f64> = inside.split(", ").map(|p| p.split(' ').next().unwrap().parse().unwrap()).collect();
    assert_eq!(values.len(), 3, "{inside}");
    assert!(values.iter().all(|v| *v >= 80.0), "{values:?}");
}

#[test]
fn alarms_fire_only_after_every_evaluation_period_breaches() {
    let mut w = DemoWorld::new(7, t0());
    let mut first_breach = None;
    let mut fired = None;
    for s in 1..=120 {
        w.advance(t0() + secs(s));
        if first_breach.is_none() && s % 5 == 0 && w.latest_metric(PRIMARY, "CPUUtilization").unwrap() >= 80.0 {
            first_breach = Some(s);
        }
        let alarm = w.alarms.iter().find(|a| a.name == "orders-db-high-cpu").unwrap();
        if fired.is_none() && alarm.state == AlarmState::Alarm {
            fired = Some(s);
        }
    }
    let (first_breach, fired) = (first_breach.unwrap(), fired.unwrap());
    assert!(fired >= first_breach + 10, "three evaluations 5 s apart: breach at {first_breach}, fired at {fired}");
}

#[test]
fn threshold_reasons_read_like_cloudwatch() {
    let mut a = initial_alarms(t0()).into_iter().find(|a| a.name == "orders-db-high-cpu").unwrap();
    let pts = [(t0(), 81.0), (t0() + secs(60), 85.5), (t0() + secs(120), 90.25)];
    assert_eq!(
        threshold_reason(&a, &pts, AlarmState::Alarm),
        "Threshold Crossed: 3 out of the last 3 datapoints [90.2 (01/01/26 00:02:00), 85.5 (01/01/26 00:01:00), \
         81.0 (01/01/26 00:00:00)] were greater than or equal to the threshold (80.0) \
         (minimum 3 datapoints for OK -> ALARM transition)."
    );
    assert_eq!(
        threshold_reason(&a, &pts[..1], AlarmState::Ok),
        "Threshold Crossed: 1 out of the last 3 datapoints [81.0 (01/01/26 00:00:00)] was not greater than or \
         equal to the threshold (80.0) (minimum 1 datapoint for ALARM -> OK transition)."
    );
    a.evaluation_periods = 1;
    assert_eq!(
        threshold_reason(&a, &pts, AlarmState::Alarm),
        "Threshold Crossed: 1 datapoint [90.2 (01/01/26 00:02:00)] was greater than or equal to the threshold (80.0)."
    );
}

#[test]
fn failed_logins_burst_from_one_ip() {
    let mut w = DemoWorld::new(7, t0());
    let events = trail_events(&w.advance(t0() + secs(65)));
    let failed = events.iter().filter(|e| e.name == "ConsoleLogin" && e.error_code.is_some()).count();
    assert!(failed >= 8, "{failed}");
    // Event ids are UUIDs, as CloudTrail's are.
    for e in &events {
        let groups: Vec<&str> = e.id.split('-').collect();
        let lens: Vec<usize> = groups.iter().map(|g| g.len()).collect();
        assert_eq!(lens, [8, 4, 4, 4, 12], "{}", e.id);
        assert!(groups.iter().all(|g| g.chars().all(|c| c.is_ascii_hexdigit())), "{}", e.id);
    }
    assert!(events.iter().filter(|e| e.error_code.is_some()).all(|e| e.source_ip == ATTACKER_IP));
}

#[test]
fn cloudtrail_is_throttled_for_a_while_then_recovers() {
    let mut w = DemoWorld::new(7, t0());
    w.advance(t0() + secs(45));
    let trail = |out: Vec<SourceUpdate>| -> Vec<SourceUpdate> {
        out.into_iter().filter(|u| u.feed == FeedId::TrailEvents).collect()
    };
    // Polls fail with growing attempts, each retried when the backoff
    // policy says, and nothing else is sent meanwhile.
    let mut failures = Vec::new();
    for s in 45..=53 {
        for u in trail(w.advance(t0() + secs(s))) {
            match u.event {
                FeedEvent::Signal(FeedSignal::Failed { error, attempt, next_retry }) => {
                    assert_eq!(error.kind, ErrorKind::Throttled);
                    failures.push((u.at, attempt, next_retry.unwrap()));
                }
                other => panic!("during throttling at {s}s: {other:?}"),
            }
        }
    }
    assert!(failures.len() >= 2, "{failures:?}");
    for (i, pair) in failures.windows(2).enumerate() {
        let ((_, a1, retry1), (at2, a2, retry2)) = (pair[0], pair[1]);
        assert_eq!(a2, a1 + 1);
        assert_eq!(at2, retry1, "retried exactly when announced");
        assert!(retry2 - at2 > retry1 - pair[0].0, "backoff grows ({i})");
    }
    let before_recovery = w.new_trail.len();
    assert!(before_recovery > 0, "events wait in the world");
    let after = trail(w.advance(t0() + secs(75)));
    let delivered = trail_events(&after).len();
    assert!(delivered >= before_recovery, "events held back during throttling are delivered");
    assert!(matches!(after.last().unwrap().event, FeedEvent::Data(_)), "recovered by 75 s");
}

#[test]
fn deterministic_for_a_seed() {
    let a: Vec<_> = DemoWorld::new(3, t0()).advance(t0() + secs(45));
    let b: Vec<_> = DemoWorld::new(3, t0()).advance(t0() + secs(45));
    assert_eq!(a, b);
}

fn action(kind: ActionKind) -> Action {
    Action { kind, scope: Scope::default() }
}

#[test]
fn rollout_restart_clears_the_crash_loop_and_recovers_the_db() {
    let mut w = world_at(60);
    let msg = w
        .execute(&action(ActionKind::RolloutRestart { namespace: NAMESPACE.into(), deployment: "backend".into() }))
        .unwrap();
    assert!(msg.message.contains("restarted"));
    w.advance(t0() + secs(75));
    let backend: Vec<_> = w.pods.values().filter(|p| p.deployment.as_deref() == Some("backend")).collect();
    assert!(backend.iter().all(|p| p.status() != "CrashLoopBackOff"), "{backend:#?}");
    assert_eq!(backend.iter().filter(|p| p.health() == Health::Ok).count(), 4);
    w.advance(t0() + secs(110));
    let cpu_alarm = w.alarms.iter().find(|a| a.name == "orders-db-high-cpu").unwrap();
    assert_eq!(cpu_alarm.state, AlarmState::Ok);
    assert!(w.pods.len() == 14, "old pods are gone");
}

#[test]
fn scale_changes_replicas() {
    let mut w = world_at(5);
    w.execute(&action(ActionKind::Scale { namespace: NAMESPACE.into(), deployment: "api".into(), from: 4, to: 6 }))
        .unwrap();
    w.advance(t0() + secs(12));
    let api = w.pods.values().filter(|p| p.deployment.as_deref() == Some("api")).count();
    assert_eq!(api, 6);
    assert_eq!(w.deployments["api"].desired, 6);
}

fn db<'a>(w: &'a DemoWorld, id: &str) -> &'a DbInstance {
    w.dbs.iter().find(|d| d.id == id).unwrap()
}

#[test]
fn reboot_goes_through_rebooting_and_back() {
    let mut w = world_at(5);
    w.execute(&action(ActionKind::RebootDb { id: PRIMARY.into() })).unwrap();
    assert_eq!(db(&w, PRIMARY).status, "rebooting");
    let err = w.execute(&action(ActionKind::RebootDb { id: PRIMARY.into() })).unwrap_err();
    assert!(err.contains("InvalidDBInstanceState"));
    w.advance(t0() + secs(25));
    assert_eq!(db(&w, PRIMARY).status, "available");
}

#[test]
fn multi_az_failover_swaps_availability_zones() {
    let mut w = world_at(5);
    w.execute(&action(ActionKind::FailoverDb { id: BILLING.into() })).unwrap();
    w.advance(t0() + secs(25));
    let b = db(&w, BILLING);
    assert_eq!((b.status.as_str(), b.az.as_str()), ("available", "eu-west-1a"));
    assert_eq!(b.secondary_az.as_deref(), Some("eu-west-1b"));
}

#[test]
fn cluster_failover_swaps_writer_and_reader() {
    let mut w = world_at(60);
    let fail = action(ActionKind::FailoverCluster { cluster: CLUSTER.into(), to: REPLICA.into() });
    assert!(w.execute(&fail).unwrap().message.contains("failing over"));
    assert_eq!(db(&w, PRIMARY).status, "rebooting");
    assert!(w.execute(&fail).unwrap_err().contains("InvalidDBClusterStateFault"));
    w.advance(t0() + secs(80));
    assert_eq!(db(&w, REPLICA).role(), "writer");
    assert_eq!(db(&w, PRIMARY).role(), "reader");
    assert_eq!(db(&w, PRIMARY).replica_of.as_deref(), Some(REPLICA));
    assert_eq!(db(&w, REPLICA).replicas, vec![PRIMARY.to_string()]);
    // The load follows the writer.
    w.advance(t0() + secs(90));
    let cpu = |id| w.latest_metric(id, "CPUUtilization").unwrap();
    assert!(cpu(REPLICA) > cpu(PRIMARY));
    // Only a replica reports lag: the new writer's series ended.
    assert!(w.metrics[REPLICA].replica_lag_s.is_empty());
    assert!(!w.metrics[PRIMARY].replica_lag_s.is_empty());
    let again = action(ActionKind::FailoverCluster { cluster: CLUSTER.into(), to: REPLICA.into() });
    assert!(w.execute(&again).unwrap_err().contains("already the writer"));
}

#[test]
fn own_actions_appear_in_cloudtrail() {
    let mut w = world_at(5);
    w.advance(t0() + secs(5));
    w.execute(&action(ActionKind::SetAlarmActions { alarm: "api-p99-latency".into(), enabled: false })).unwrap();
    let trail = trail_events(&w.drain_changes());
    assert!(trail.iter().any(|e| e.name == "DisableAlarmActions" && e.user == "warroom-oncall"));
}

#[test]
fn collecting_logs_hands_back_every_container_and_the_previous_instances_last_words() {
    let mut w = world_at(60);
    let crashing = w.pods.values().find(|p| p.status() == "CrashLoopBackOff").unwrap().name.clone();
    let healthy = w.pods.values().find(|p| p.deployment.as_deref() == Some("api")).unwrap().name.clone();
    let logs = |pod: &str| action(ActionKind::CollectLogs { namespace: NAMESPACE.into(), pod: pod.into() });
    let done = w.execute(&logs(&crashing)).unwrap();
    let labels: Vec<&str> = done.evidence.iter().map(|e| e.label.as_str()).collect();
    let (previous, current) = (format!("shop-{crashing}-backend-previous"), format!("shop-{crashing}-backend"));
    assert_eq!(labels, [previous.as_str(), current.as_str()]);
    let lines: Vec<&str> = done.evidence[0].text.lines().collect();
    let total: usize = done.evidence.iter().map(|e| e.text.lines().count()).sum();
    assert_eq!(done.message, format!("collected 2 logs ({total} lines) of pod {crashing}"));
    assert!(lines[0].starts_with("ts=") && lines[0].contains("msg=\"starting\""), "{}", lines[0]);
    let last = lines.iter().rev().find(|l| !l.starts_with(['\t', 'g', 'm'])).unwrap();
    assert!(
        last.starts_with("panic: pq: too many connections") || last.starts_with("fatal error: runtime: out of memory"),
        "{last}"
    );
    // A container that never terminated has no previous logs.
    let healthy_logs = w.execute(&logs(&healthy)).unwrap().evidence;
    assert_eq!(healthy_logs.len(), 1);
    assert_eq!(healthy_logs[0].text.lines().count(), LOG_TAIL_LINES);
    assert!(!healthy_logs[0].text.contains("panic"));
    // A deployment's logs are its pods'.
    let all = w
        .execute(&action(ActionKind::CollectDeploymentLogs {
            namespace: NAMESPACE.into(),
            deployment: "api".into(),
            selector: "app=api".into(),
        }))
        .unwrap();
    let api_pods = w.pods.values().filter(|p| p.deployment.as_deref() == Some("api")).count();
    assert_eq!(all.evidence.len(), api_pods);
    assert!(all.message.ends_with(&format!("of {api_pods} pods of api")), "{}", all.message);
    // Collecting changes nothing the panels show.
    assert!(trail_events(&w.drain_changes()).is_empty());
}

#[test]
fn a_scale_down_is_remembered_until_restored() {
    let mut w = world_at(5);
    let scale =
        |from, to| action(ActionKind::Scale { namespace: NAMESPACE.into(), deployment: "worker".into(), from, to });
    let restore_to = |w: &DemoWorld| w.deployments["worker"].restore_to;
    w.execute(&scale(3, 1)).unwrap();
    assert_eq!(restore_to(&w), Some(3));
    w.execute(&scale(1, 0)).unwrap();
    assert_eq!(restore_to(&w), Some(3), "the count before the first scale-down is kept");
    let err = w.execute(&scale(3, 2)).unwrap_err();
    assert_eq!(err, "deployment worker has 0 replicas now, not 3: nothing changed");
    w.execute(&action(ActionKind::RestoreScale {
        namespace: NAMESPACE.into(),
        deployment: "worker".into(),
        from: 0,
        to: 3,
    }))
    .unwrap();
    assert_eq!((w.deployments["worker"].desired, restore_to(&w)), (3, None));
    // Scaling back up by hand past the recorded count forgets it too.
    w.execute(&scale(3, 2)).unwrap();
    w.execute(&scale(2, 4)).unwrap();
    assert_eq!(restore_to(&w), None);
}

#[test]
fn isolating_a_namespace_twice_is_refused_like_the_api_does() {
    let mut w = world_at(5);
    let isolate = action(ActionKind::IsolateNamespace { namespace: NAMESPACE.into() });
    let lift = action(ActionKind::LiftIsolation { namespace: NAMESPACE.into() });
    assert!(w.execute(&isolate).is_ok());
    assert!(w.execute(&isolate).unwrap_err().starts_with("409 AlreadyExists"));
    assert!(w.execute(&lift).is_ok());
    assert!(w.execute(&lift).unwrap_err().starts_with("404 NotFound"));
}

#[test]
fn cluster_members_are_snapshotted_as_their_cluster() {
    let mut w = world_at(5);
    let err = w.execute(&action(ActionKind::SnapshotDb { id: PRIMARY.into(), snapshot_id: "s1".into() })).unwrap_err();
    assert!(err.contains("CreateDBClusterSnapshot"), "{err}");
    let ok = w
        .execute(&action(ActionKind::SnapshotCluster { cluster: CLUSTER.into(), snapshot_id: "orders-s2".into() }))
        .unwrap();
    assert_eq!(ok, Executed::message("cluster snapshot orders-s2 is creating"));
    w.execute(&action(ActionKind::SnapshotDb { id: BILLING.into(), snapshot_id: "billing-s3".into() })).unwrap();
    let names: Vec<(String, String)> =
        trail_events(&w.drain_changes()).into_iter().map(|e| (e.name, e.resource)).collect();
    assert!(names.contains(&("CreateDBClusterSnapshot".into(), "orders-s2".into())), "{names:?}");
    assert!(names.contains(&("CreateDBSnapshot".into(), "billing-s3".into())), "{names:?}");
    assert!(!names.iter().any(|(_, r)| r == "s1"), "a refused call records nothing: {names:?}");
}

#[test]
fn unknown_targets_fail_cleanly() {
    let mut w = world_at(1);
    let err = w.execute(&action(ActionKind::DeletePod { namespace: NAMESPACE.into(), pod: "nope".into() }));
    assert_eq!(err.unwrap_err(), "pod nope not found");
}

#[test]
fn exporting_cloudtrail_hands_back_every_event_of_the_window_as_json() {
    let mut w = DemoWorld::new(7, t0());
    let delivered = trail_events(&w.advance(t0() + secs(65)));
    let export = ActionKind::ExportTrail { start: t0() - secs(3600), end: t0() + secs(65), window: "1h".into() };
    let done = w.execute(&action(export)).unwrap();
    let [file] = done.evidence.as_slice() else { panic!("{done:?}") };
    let doc: serde_json::Value = serde_json::from_str(&file.text).unwrap();
    let ids: Vec<&str> = doc["events"].as_array().unwrap().iter().map(|e| e["eventID"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), delivered.len(), "{}", done.message);
    assert!(delivered.iter().all(|e| ids.contains(&e.id.as_str())));
    assert!(done.message.starts_with(&format!("exported {} CloudTrail events", ids.len())), "{}", done.message);
}
