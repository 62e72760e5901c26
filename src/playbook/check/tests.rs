use std::time::Duration;

use super::*;
use crate::fixtures::{alarm, db_instance, db_metrics, synthetic_event, synthetic_pod, t0};
use crate::model::{Deployment, KubeEvent, Trail};
use crate::state::{Delta, ErrorKind, FeedData, FeedSignal, SourceError, SourceUpdate};

/// A live state whose every feed is live and has delivered (nothing).
fn live() -> LiveState {
    let mut l = LiveState::default();
    for feed in crate::state::SourceId::ALL.iter().flat_map(|s| s.feeds().iter().copied()) {
        l.apply(SourceUpdate::signal(feed, t0(), FeedSignal::Live { expected: None }));
    }
    l.apply(SourceUpdate::data(t0(), FeedData::Pods(Delta::Reset(Vec::new()))));
    l.apply(SourceUpdate::data(t0(), FeedData::Deployments(Delta::Reset(Vec::new()))));
    l.apply(SourceUpdate::data(t0(), FeedData::ReplicaSets(Delta::Reset(Vec::new()))));
    l.apply(SourceUpdate::data(t0(), FeedData::KubeEvents(Delta::Reset(Vec::new()))));
    l.apply(SourceUpdate::data(t0(), FeedData::Alarms(Delta::Reset(Vec::new()))));
    l.apply(SourceUpdate::data(t0(), FeedData::DbInstances(Delta::Reset(Vec::new()))));
    l.apply(SourceUpdate::data(t0(), FeedData::DbMetrics(Delta::Reset(Vec::new()))));
    l.apply(SourceUpdate::data(t0(), FeedData::TrailEvents(Delta::Reset(Vec::new()))));
    l.apply(SourceUpdate::data(t0(), FeedData::Trails(Delta::Reset(Vec::new()))));
    l
}

fn put(l: &mut LiveState, data: FeedData) {
    l.apply(SourceUpdate::data(t0(), data));
}

fn run(spec: &CheckSpec, l: &LiveState) -> CheckResult {
    check(spec, l, t0())
}

fn fail(r: CheckResult) -> String {
    match r {
        CheckResult::Fail(why) => why,
        other => panic!("expected a failure, got {other:?}"),
    }
}

#[test]
fn a_check_is_unknown_while_a_feed_it_needs_is_not_live() {
    let spec = CheckSpec::NoCrashloop { namespace: None };
    let fresh = LiveState::default();
    assert_eq!(run(&spec, &fresh), CheckResult::Unknown("pods: waiting for its source".into()));
    let mut l = LiveState::default();
    l.apply(SourceUpdate::signal(FeedId::Pods, t0(), FeedSignal::Connecting));
    assert_eq!(run(&spec, &l), CheckResult::Unknown("pods: connecting".into()));
    let mut l = LiveState::default();
    l.apply(SourceUpdate::signal(FeedId::Pods, t0(), FeedSignal::Syncing));
    assert_eq!(run(&spec, &l), CheckResult::Unknown("pods: waiting for the first data".into()));
    // Failed: unknown with the error, whatever was known before.
    let mut l = live();
    let error = SourceError::new(ErrorKind::Forbidden, "pods is forbidden");
    l.apply(SourceUpdate::signal(FeedId::Pods, t0(), FeedSignal::Failed { error, attempt: 1, next_retry: None }));
    assert_eq!(run(&spec, &l), CheckResult::Unknown("pods: forbidden: pods is forbidden".into()));
    // Stale: a polled feed that has not answered for twice its interval.
    let mut l = live();
    l.apply(SourceUpdate::signal(FeedId::Alarms, t0(), FeedSignal::Live { expected: Some(Duration::from_secs(30)) }));
    put(&mut l, FeedData::Alarms(Delta::Reset(Vec::new())));
    let clear = CheckSpec::AlarmsClear { prefix: String::new() };
    assert!(check(&clear, &l, t0() + TimeDelta::seconds(30)).passed());
    let later = check(&clear, &l, t0() + TimeDelta::seconds(61));
    assert_eq!(later, CheckResult::Unknown("alarms: stale since 00:00:00 UTC".into()));
}

#[test]
fn pods_ready_counts_ready_pods_against_the_ratio() {
    let mut l = live();
    let spec = |r: f64| CheckSpec::PodsReady { namespace: None, min_ratio: r };
    assert_eq!(fail(run(&spec(1.0), &l)), "no pods");
    // Pods 1..=100: every 50th crash-loops, every 20th is pending: 94 ready.
    put(&mut l, FeedData::Pods(Delta::Reset((1..=100).map(|i| synthetic_pod(i, 0)).collect())));
    assert_eq!(run(&spec(0.9), &l), CheckResult::Pass("94/100 ready".into()));
    let why = fail(run(&spec(1.0), &l));
    assert!(why.starts_with("94/100 ready; not ready: ns-0/svc-40-7d9f8b00040, "), "{why}");
    assert!(why.ends_with("and 3 more"), "{why}");
    let ns = CheckSpec::PodsReady { namespace: Some("ns-1".into()), min_ratio: 1.0 };
    assert_eq!(run(&ns, &l), CheckResult::Pass("3/3 ready".into()));
}

#[test]
fn crash_loops_and_restarts_name_the_pods() {
    let mut l = live();
    put(&mut l, FeedData::Pods(Delta::Reset((1..=60).map(|i| synthetic_pod(i, 0)).collect())));
    let why = fail(run(&CheckSpec::NoCrashloop { namespace: None }, &l));
    assert_eq!(why, "1 crash-looping: ns-10/svc-50-7d9f8b00050");
    assert!(run(&CheckSpec::NoCrashloop { namespace: Some("ns-1".into()) }, &l).passed());

    // Restarts the console saw count, and so do earlier ones it can
    // place: pod 7 restarted 5 times since the console looked; pod 8 came
    // with 9, but it is younger than the hour, so all 9 were in it.
    let mut l = live();
    put(&mut l, FeedData::Pods(Delta::Reset(vec![synthetic_pod(7, 0), synthetic_pod(8, 9)])));
    put(&mut l, FeedData::Pods(Delta::Reset(vec![synthetic_pod(7, 5), synthetic_pod(8, 9)])));
    let spec = CheckSpec::RestartsBelow { per_hour: 3, namespace: None };
    assert_eq!(fail(run(&spec, &l)), "2 restarting: ns-8/svc-8-7d9f8b00008 (9), ns-7/svc-7-7d9f8b00007 (5)");
    assert!(run(&CheckSpec::RestartsBelow { per_hour: 9, namespace: None }, &l).passed());

    // A day-old pod that came with restarts and no termination time: they
    // may all be from the last hour, or none. Never a pass on that.
    let mut l = live();
    let mut old = synthetic_pod(9, 4);
    old.created = t0() - TimeDelta::days(1);
    put(&mut l, FeedData::Pods(Delta::Reset(vec![old.clone(), synthetic_pod(7, 0)])));
    assert_eq!(
        run(&spec, &l),
        CheckResult::Unknown(
            "cannot tell yet: 1 pod restarted before the console watched, how many in the last hour is not known: \
             ns-9/svc-9-7d9f8b00009; sure by 01:00:00 UTC"
                .into()
        )
    );
    // Its last termination two hours ago: none of them was in the hour.
    old.containers[0].last_termination = Some(Box::new(crate::model::Termination {
        reason: "Error".into(),
        exit_code: 1,
        signal: 0,
        finished: Some(t0() - TimeDelta::hours(2)),
    }));
    let mut l = live();
    put(&mut l, FeedData::Pods(Delta::Reset(vec![old])));
    assert!(run(&spec, &l).passed());
}

fn deployment(name: &str, desired: u32, available: u32) -> Deployment {
    Deployment {
        namespace: "shop".into(),
        name: name.into(),
        desired,
        ready: available,
        updated: desired,
        available,
        rollout: Default::default(),
        selector: format!("app={name}"),
        restore_to: None,
        revision: None,
    }
}

#[test]
fn deployments_short_of_replicas_fail() {
    let mut l = live();
    put(&mut l, FeedData::Deployments(Delta::Reset(vec![deployment("api", 4, 4), deployment("backend", 4, 1)])));
    let spec = CheckSpec::DeploymentsAvailable { namespace: None };
    assert_eq!(fail(run(&spec, &l)), "1 short: shop/backend 1/4");
    put(&mut l, FeedData::Deployments(Delta::Reset(vec![deployment("api", 4, 4)])));
    assert_eq!(run(&spec, &l), CheckResult::Pass("1 available".into()));
}

#[test]
fn a_short_deployment_names_the_pod_holding_it_up() {
    let mut l = live();
    let mut pods: Vec<_> = (0..600).map(|i| synthetic_pod(i, 0)).collect();
    for p in &mut pods {
        p.namespace = "shop".into();
        p.replica_set = p.deployment.as_ref().map(|d| format!("{d}-7d9f8b").into());
    }
    // svc-0's pods include crash-looping ones (every 50th), svc-20's
    // creating ones (every 20th that is not a 50th), svc-7's none.
    let deployments = vec![deployment("svc-0", 2, 0), deployment("svc-20", 2, 1), deployment("svc-7", 2, 1)];
    put(&mut l, FeedData::Deployments(Delta::Reset(deployments.clone())));
    put(&mut l, FeedData::Pods(Delta::Reset(pods)));
    let spec = CheckSpec::DeploymentsAvailable { namespace: None };
    assert_eq!(
        fail(run(&spec, &l)),
        "3 short: shop/svc-0 0/2 (svc-0-7d9f8b00300 CrashLoopBackOff), \
         shop/svc-20 1/2 (svc-20-7d9f8b00320 ContainerCreating), shop/svc-7 1/2"
    );
    // The one pass over every pod agrees with asking deployment by deployment.
    let all: Vec<&Deployment> = l.deployments.values().collect();
    let holdups = l.holdups(&all);
    for d in &all {
        let one = l.rollout_of(d).1.map(|p| p.key());
        assert_eq!(holdups.get(&format!("shop/{}", d.name)).map(|p| p.key()), one, "{}", d.name);
    }
}

fn warning(name: &str, reason: &str, mins_ago: i64) -> KubeEvent {
    KubeEvent {
        namespace: "shop".into(),
        name: name.into(),
        object: format!("Pod/{name}"),
        reason: reason.into(),
        message: String::new(),
        count: 1,
        last_seen: t0() - TimeDelta::minutes(mins_ago),
        warning: true,
    }
}

#[test]
fn warning_events_of_the_last_hour_fail_optionally_by_reason() {
    let mut l = live();
    put(
        &mut l,
        FeedData::KubeEvents(Delta::Reset(vec![
            warning("a", "BackOff", 5),
            warning("b", "OOMKilling", 10),
            warning("c", "FailedMount", 90),
        ])),
    );
    let any = CheckSpec::NoWarningEvents { reason: None, namespace: None };
    assert_eq!(fail(run(&any, &l)), "2 in the last hour: Pod/a BackOff, Pod/b OOMKilling");
    let oom = CheckSpec::NoWarningEvents { reason: Some("OOMKilling".into()), namespace: None };
    assert_eq!(fail(run(&oom, &l)), "1 in the last hour: Pod/b OOMKilling");
    let mount = CheckSpec::NoWarningEvents { reason: Some("FailedMount".into()), namespace: None };
    assert!(run(&mount, &l).passed(), "older than an hour");
}

#[test]
fn alarms_clear_by_prefix() {
    let mut l = live();
    put(
        &mut l,
        FeedData::Alarms(Delta::Reset(vec![
            alarm("orders-db-high-cpu", AlarmState::Alarm),
            alarm("api-p99", AlarmState::Ok),
            alarm("nat-errors", AlarmState::InsufficientData),
        ])),
    );
    assert_eq!(fail(run(&CheckSpec::AlarmsClear { prefix: String::new() }, &l)), "1 firing: orders-db-high-cpu");
    assert!(run(&CheckSpec::AlarmsClear { prefix: "api-".into() }, &l).passed());
}

#[test]
fn rds_checks_read_status_storage_and_cpu() {
    let mut l = live();
    let mut rebooting = db_instance("billing-db", 100);
    rebooting.status = "rebooting".into();
    put(&mut l, FeedData::DbInstances(Delta::Reset(vec![db_instance("orders-db", 200), rebooting])));
    assert_eq!(fail(run(&CheckSpec::RdsAvailable { instance: None }, &l)), "billing-db rebooting");
    assert!(run(&CheckSpec::RdsAvailable { instance: Some("orders-db".into()) }, &l).passed());
    assert_eq!(fail(run(&CheckSpec::RdsAvailable { instance: Some("x".into()) }, &l)), "no DB instance x");

    let storage = CheckSpec::RdsFreeStorageAbove { percent: 20.0 };
    assert_eq!(
        run(&storage, &l),
        CheckResult::Unknown("no free storage data yet for billing-db, orders-db".into()),
        "metrics not in yet: never a pass"
    );
    put(
        &mut l,
        FeedData::DbMetrics(Delta::Reset(vec![
            db_metrics("orders-db", 91.0, 30.0),
            db_metrics("billing-db", 12.0, 60.0),
        ])),
    );
    assert_eq!(fail(run(&storage, &l)), "orders-db 15 %");
    assert_eq!(fail(run(&CheckSpec::RdsCpuBelow { percent: 80.0 }, &l)), "orders-db 91 %");
    assert!(run(&CheckSpec::RdsCpuBelow { percent: 95.0 }, &l).passed());
}

#[test]
fn trail_logging_fails_a_stopped_trail_and_a_region_without_one() {
    let mut l = live();
    let spec = CheckSpec::TrailLogging { trail: None };
    assert_eq!(fail(run(&spec, &l)), "no trail in this region");
    let trail = |name: &str, logging: bool| Trail {
        name: name.into(),
        arn: format!("arn:aws:cloudtrail:eu-west-1:123456789012:trail/{name}"),
        home_region: "eu-west-1".into(),
        multi_region: true,
        logging,
        latest_delivery: None,
        delivery_error: None,
    };
    put(&mut l, FeedData::Trails(Delta::Reset(vec![trail("org", true), trail("audit", false)])));
    assert_eq!(fail(run(&spec, &l)), "not logging: audit");
    assert!(run(&CheckSpec::TrailLogging { trail: Some("org".into()) }, &l).passed());
}

#[test]
fn failed_logins_are_counted_over_their_window() {
    let mut l = live();
    // Every 30th synthetic event is a failed login, one second apart.
    put(&mut l, FeedData::TrailEvents(Delta::Upsert((0..300).map(synthetic_event).collect())));
    let spec = |count, window_mins| CheckSpec::FailedLoginsBelow { count, window_mins };
    assert_eq!(run(&spec(11, 60), &l), CheckResult::Pass("10 failed in 60 min".into()));
    let why = fail(run(&spec(10, 60), &l));
    assert!(why.starts_with("10 failed in 60 min, from 10.0."), "{why}");
    // Events 0, 30 and 60 are within the last minute.
    assert_eq!(run(&spec(4, 1), &l), CheckResult::Pass("3 failed in 1 min".into()));
}

#[test]
fn specs_describe_themselves_and_reject_bad_parameters() {
    let spec = CheckSpec::PodsReady { namespace: Some("shop".into()), min_ratio: 0.9 };
    assert_eq!(spec.describe(), "pods in shop ready (at least 90 %)");
    assert!(spec.validate().is_ok());
    let bad = CheckSpec::FailedLoginsBelow { count: 3, window_mins: 0 };
    assert_eq!(bad.validate().unwrap_err(), "window_mins must be 1..=1440, not 0");
}

#[test]
fn a_failing_check_points_at_the_item_it_names_first() {
    let mut l = live();
    put(&mut l, FeedData::Pods(Delta::Reset((1..=60).map(|i| synthetic_pod(i, 0)).collect())));
    let crash = CheckSpec::NoCrashloop { namespace: None };
    assert_eq!(offender(&crash, &l, t0()).as_deref(), Some("ns-10/svc-50-7d9f8b00050"));
    assert_eq!(offender(&CheckSpec::NoCrashloop { namespace: Some("ns-1".into()) }, &l, t0()), None, "it passes");

    put(
        &mut l,
        FeedData::Alarms(Delta::Reset(vec![alarm("b-high", AlarmState::Alarm), alarm("a-high", AlarmState::Alarm)])),
    );
    assert_eq!(offender(&CheckSpec::AlarmsClear { prefix: String::new() }, &l, t0()).as_deref(), Some("a-high"));

    let mut rebooting = db_instance("billing-db", 100);
    rebooting.status = "rebooting".into();
    put(&mut l, FeedData::DbInstances(Delta::Reset(vec![db_instance("orders-db", 200), rebooting])));
    put(
        &mut l,
        FeedData::DbMetrics(Delta::Reset(vec![
            db_metrics("orders-db", 91.0, 30.0),
            db_metrics("billing-db", 12.0, 60.0),
        ])),
    );
    assert_eq!(offender(&CheckSpec::RdsAvailable { instance: None }, &l, t0()).as_deref(), Some("billing-db"));
    assert_eq!(offender(&CheckSpec::RdsCpuBelow { percent: 80.0 }, &l, t0()).as_deref(), Some("orders-db"));
    assert_eq!(offender(&CheckSpec::RdsFreeStorageAbove { percent: 20.0 }, &l, t0()).as_deref(), Some("orders-db"));

    // A warning names the pod it is about, when that pod is known.
    let mut event = warning("svc-50-7d9f8b00050", "BackOff", 1);
    event.namespace = "ns-10".into();
    put(&mut l, FeedData::KubeEvents(Delta::Reset(vec![event, warning("gone", "BackOff", 2)])));
    let warnings = CheckSpec::NoWarningEvents { reason: None, namespace: None };
    assert_eq!(offender(&warnings, &l, t0()).as_deref(), Some("ns-10/svc-50-7d9f8b00050"));
    // Unknown results point nowhere.
    assert_eq!(offender(&crash, &LiveState::default(), t0()), None);
}
