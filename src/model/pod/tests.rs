//! The printer's rules one by one, then what the console says beyond it.

use chrono::TimeDelta;

use super::*;
use crate::fixtures::t0;

fn running() -> ContainerState {
    ContainerState::Running { since: t0() }
}

fn waiting(reason: &str) -> ContainerState {
    ContainerState::Waiting { reason: reason.into(), message: None }
}

fn ended(reason: &str, exit_code: i32, signal: i32) -> ContainerState {
    ContainerState::Terminated(Termination { reason: reason.into(), exit_code, signal, finished: Some(t0()) })
}

fn c(name: &str, state: ContainerState, ready: bool) -> Container {
    Container { name: name.into(), ready, started: Some(ready), state, ..Container::default() }
}

fn sidecar(name: &str, state: ContainerState, started: bool, ready: bool) -> Container {
    Container { name: name.into(), ready, started: Some(started), sidecar: true, state, ..Container::default() }
}

fn pod(phase: &str, containers: Vec<Container>) -> Pod {
    Pod {
        namespace: "shop".into(),
        name: "web-7d4b9c-q8xvz".into(),
        phase: phase.into(),
        created: t0() - TimeDelta::hours(2),
        containers,
        conditions: Conditions { ready: true, initialized: true, unscheduled: None },
        ..Pod::default()
    }
}

fn with_init(mut p: Pod, init: Vec<Container>) -> Pod {
    p.init_containers = init;
    p.conditions.initialized = false;
    p
}

fn columns(p: &Pod) -> (String, String, u32) {
    let printed = p.printed();
    (format!("{}/{}", printed.ready, printed.total), printed.status.into_owned(), printed.restarts)
}

#[test]
fn the_phase_then_the_pods_reason() {
    let p = pod("Pending", vec![Container { name: "app".into(), ..Container::default() }]);
    assert_eq!(columns(&p), ("0/1".into(), "Pending".into(), 0));
    let mut evicted = pod("Failed", vec![c("app", ended("", 137, 0), false)]);
    evicted.containers.clear();
    evicted.reason = Some("Evicted".into());
    assert_eq!(p_status(&evicted), "Evicted");
    assert_eq!(evicted.health(), Health::Crit);
}

fn p_status(p: &Pod) -> String {
    p.status().into_owned()
}

#[test]
fn a_gated_pod_says_so_whatever_its_phase() {
    let mut p = pod("Pending", vec![Container { name: "app".into(), ..Container::default() }]);
    p.conditions.unscheduled = Some(Box::new(("SchedulingGated".into(), "Scheduling is blocked".into())));
    assert_eq!(p_status(&p), "SchedulingGated");
    assert_eq!(p.note(t0()), None, "the status already says it");
}

#[test]
fn an_unschedulable_pod_is_pending_and_the_row_says_why() {
    let mut p = pod("Pending", vec![Container { name: "app".into(), ..Container::default() }]);
    p.conditions.unscheduled = Some(Box::new(("Unschedulable".into(), "0/3 nodes are available".into())));
    assert_eq!(p_status(&p), "Pending");
    assert_eq!(p.note(t0()).as_deref(), Some("Unschedulable"));
}

#[test]
fn init_containers_in_order_finished_ones_skipped() {
    let app = || vec![c("app", waiting("PodInitializing"), false)];
    let cases: [(Vec<Container>, &str); 7] = [
        (vec![c("migrate", waiting("CrashLoopBackOff"), false)], "Init:CrashLoopBackOff"),
        (vec![c("migrate", ended("Error", 1, 0), false)], "Init:Error"),
        (vec![c("migrate", ended("", 3, 0), false)], "Init:ExitCode:3"),
        (vec![c("migrate", ended("", 137, 9), false)], "Init:Signal:9"),
        (vec![c("a", ended("Completed", 0, 0), false), c("b", running(), false)], "Init:1/2"),
        // Waiting for the one before it is no reason of its own.
        (vec![c("a", running(), false), c("b", waiting("PodInitializing"), false)], "Init:0/2"),
        (vec![c("a", ended("Completed", 0, 0), false), c("b", waiting("ErrImagePull"), false)], "Init:ErrImagePull"),
    ];
    for (init, want) in cases {
        let p = with_init(pod("Pending", app()), init);
        assert_eq!(p_status(&p), want);
        assert_eq!(p.ready_count(), (0, 1));
    }
    // Every init container done: the app containers speak.
    let done =
        with_init(pod("Running", vec![c("app", running(), true)]), vec![c("a", ended("Completed", 0, 0), false)]);
    assert_eq!(columns(&done), ("1/1".into(), "Running".into(), 0));
}

#[test]
fn started_sidecars_are_skipped_and_counted_ready() {
    let init = vec![sidecar("proxy", running(), true, true), c("migrate", ended("Completed", 0, 0), false)];
    let mut p = with_init(pod("Running", vec![c("app", running(), true)]), init);
    p.conditions.initialized = true;
    assert_eq!(columns(&p), ("2/2".into(), "Running".into(), 0));
    // Not started yet: it holds initialisation up.
    let p = with_init(
        pod("Pending", vec![c("app", waiting("PodInitializing"), false)]),
        vec![sidecar("proxy", running(), false, false)],
    );
    assert_eq!(columns(&p), ("0/2".into(), "Init:0/1".into(), 0));
}

#[test]
fn containers_are_read_last_to_first_so_the_first_reason_wins() {
    let p = pod(
        "Running",
        vec![c("app", waiting("CrashLoopBackOff"), false), c("log", waiting("ImagePullBackOff"), false)],
    );
    assert_eq!(p_status(&p), "CrashLoopBackOff");
    let p = pod("Running", vec![c("app", running(), true), c("log", waiting("CreateContainerConfigError"), false)]);
    assert_eq!(columns(&p), ("1/2".into(), "CreateContainerConfigError".into(), 0));
}

#[test]
fn an_exit_without_a_reason_shows_its_code_or_signal() {
    let p = pod("Running", vec![c("app", ended("", 2, 0), false)]);
    assert_eq!(p_status(&p), "ExitCode:2");
    assert_eq!(p.health(), Health::Crit);
    let p = pod("Running", vec![c("app", ended("", 137, 9), false)]);
    assert_eq!(p_status(&p), "Signal:9");
    assert_eq!(p.health(), Health::Crit, "a kill by signal is never healthy");
}

#[test]
fn completed_beside_a_running_container_is_running_or_not_ready() {
    let containers = vec![c("app", running(), true), c("init-job", ended("Completed", 0, 0), false)];
    let p = pod("Running", containers.clone());
    assert_eq!(p_status(&p), "Running");
    let mut p = pod("Running", containers);
    p.conditions.ready = false;
    assert_eq!(p_status(&p), "NotReady");
}

#[test]
fn a_ready_container_counts_only_while_it_runs() {
    // A stale ready flag on a waiting container is not counted, as kubectl.
    let p = pod("Running", vec![c("app", waiting("CrashLoopBackOff"), true)]);
    assert_eq!(p.ready_count(), (0, 1));
}

#[test]
fn deletion_is_terminating_or_unknown_on_a_lost_node() {
    let mut p = pod("Running", vec![c("app", running(), true)]);
    p.deleting = true;
    assert_eq!(p_status(&p), "Terminating");
    assert_eq!(p.health(), Health::Warn);
    p.reason = Some("NodeLost".into());
    assert_eq!(p_status(&p), "Unknown");
    assert_eq!(p.health(), Health::Crit);
    // A finished pod being deleted keeps what it finished as.
    let mut done = pod("Succeeded", vec![c("job", ended("Completed", 0, 0), false)]);
    done.deleting = true;
    assert_eq!(p_status(&done), "Completed");
    assert_eq!(done.health(), Health::Ok);
}

fn restarted(mut c: Container, n: u32, mins_ago: i64) -> Container {
    c.restarts = n;
    c.last_termination = Some(Box::new(Termination {
        reason: "OOMKilled".into(),
        exit_code: 137,
        signal: 0,
        finished: Some(t0() - TimeDelta::minutes(mins_ago)),
    }));
    c
}

#[test]
fn restarts_add_up_with_the_time_of_the_last() {
    let p =
        pod("Running", vec![restarted(c("app", running(), true), 3, 5), restarted(c("log", running(), true), 2, 40)]);
    assert_eq!(p.restarts(), 5);
    assert_eq!(p.restarts_column(t0()), "5 (5m ago)");
    assert_eq!(p.restarts_column(t0() + TimeDelta::seconds(30)), "5 (5m30s ago)");
    assert_eq!(pod("Running", vec![c("app", running(), true)]).restarts_column(t0()), "0");
}

#[test]
fn while_initialising_only_init_restarts_count() {
    let init = vec![restarted(c("migrate", waiting("CrashLoopBackOff"), false), 7, 1)];
    let app = vec![restarted(c("app", waiting("PodInitializing"), false), 2, 90)];
    let p = with_init(pod("Pending", app.clone()), init.clone());
    assert_eq!((p_status(&p), p.restarts()), ("Init:CrashLoopBackOff".into(), 7));
    assert_eq!(p.health(), Health::Crit, "a crash loop in an init container is failing");
    assert!(p.crash_looping());
    // Once Initialized, a sidecar's and the app's restarts are what count.
    let mut p = with_init(pod("Running", app), init);
    p.conditions.initialized = true;
    assert_eq!(p.restarts(), 2);
}

#[test]
fn a_recent_termination_is_named_on_the_row_and_warns() {
    let mut p = pod("Running", vec![restarted(c("app", running(), true), 1, 4)]);
    assert_eq!(p.note(t0()).as_deref(), Some("OOMKilled 4m ago"));
    p.judge(t0());
    assert_eq!(p.health(), Health::Warn);
    // An hour on it is history.
    let later = t0() + RECENT;
    assert_eq!(p.note(later), None);
    assert_eq!(p.judge_again_at(), Some(t0() - TimeDelta::minutes(4) + RECENT));
    p.judge(later);
    assert_eq!(p.health(), Health::Ok);
    // A crash loop names why it crashes.
    let looping = pod("Running", vec![restarted(c("app", waiting("CrashLoopBackOff"), false), 6, 1)]);
    assert_eq!(looping.note(t0()).as_deref(), Some("OOMKilled 60s ago"));
}

#[test]
fn starting_warns_while_young_and_fails_once_stuck() {
    let mut p = pod("Pending", vec![c("app", waiting("ContainerCreating"), false)]);
    p.created = t0();
    assert_eq!(p_status(&p), "ContainerCreating");
    p.judge(t0() + TimeDelta::minutes(1));
    assert_eq!(p.health(), Health::Warn);
    assert_eq!(p.judge_again_at(), Some(t0() + STUCK_AFTER));
    p.judge(t0() + TimeDelta::minutes(10));
    assert_eq!(p.health(), Health::Crit, "creating for ten minutes is failing");
    assert_eq!(p.judge_again_at(), None);
    // Pending and Init:i/n are starting too; Terminating is not.
    let mut init =
        with_init(pod("Pending", vec![c("app", waiting("PodInitializing"), false)]), vec![c("a", running(), false)]);
    assert!(init.starting());
    init.deleting = true;
    assert!(!init.starting());
}

#[test]
fn health_follows_what_the_state_means() {
    let cases = [
        (pod("Running", vec![c("app", running(), true)]), Health::Ok),
        (pod("Succeeded", vec![c("job", ended("Completed", 0, 0), false)]), Health::Ok),
        (pod("Running", vec![c("app", waiting("ImagePullBackOff"), false)]), Health::Crit),
        (pod("Running", vec![c("app", waiting("CreateContainerConfigError"), false)]), Health::Crit),
        (pod("Running", vec![c("app", ended("OOMKilled", 137, 0), false)]), Health::Crit),
        (pod("Failed", vec![c("job", ended("Error", 1, 0), false)]), Health::Crit),
        (pod("Running", vec![c("app", running(), false)]), Health::Warn),
    ];
    for (p, want) in cases {
        assert_eq!(p.health(), want, "{}", p.status());
    }
}

#[test]
fn restarts_before_the_console_watched_are_evidence_not_a_count() {
    let hour = TimeDelta::hours(1);
    let mut p = pod("Running", vec![restarted(c("app", waiting("CrashLoopBackOff"), false), 40, 2)]);
    p.seen = Seen { since: Some(t0()), prior: vec![(40, Some(t0() - TimeDelta::minutes(2)))], ..Seen::default() };
    // Forty restarts, the last two minutes before the console looked: at
    // least one in the hour, how many more is not known.
    assert_eq!(p.restarts_within(t0(), hour), Count::AtLeast(1));
    p.restart_times = vec![t0() + TimeDelta::minutes(5), t0() + TimeDelta::minutes(10)];
    assert_eq!(p.restarts_within(t0() + TimeDelta::minutes(10), hour), Count::AtLeast(3));
    // Watched for a whole hour: what it saw is the count.
    assert_eq!(p.restarts_within(t0() + hour, hour), Count::Exactly(2));
    // One earlier restart, inside the hour: exactly that one.
    p.seen.prior = vec![(1, Some(t0() - TimeDelta::minutes(2)))];
    p.restart_times.clear();
    assert_eq!(p.restarts_within(t0(), hour), Count::Exactly(1));
    // Earlier restarts that ended before the hour: none in it.
    p.seen.prior = vec![(40, Some(t0() - TimeDelta::hours(3)))];
    assert_eq!(p.restarts_within(t0(), hour), Count::Exactly(0));
    // A pod younger than the hour restarted only inside it.
    p.created = t0() - TimeDelta::minutes(30);
    p.seen.prior = vec![(6, Some(t0() - TimeDelta::minutes(1)))];
    assert_eq!(p.restarts_within(t0(), hour), Count::Exactly(6));
    // No termination time: nothing is known.
    p.created = t0() - TimeDelta::days(1);
    p.seen.prior = vec![(6, None)];
    assert_eq!(p.restarts_within(t0(), hour), Count::AtLeast(0));
}

#[test]
fn termination_labels_read_as_kubectl() {
    let t = |reason: &str, exit_code, signal| Termination { reason: reason.into(), exit_code, signal, finished: None };
    assert_eq!(t("OOMKilled", 137, 0).label(), "OOMKilled");
    assert_eq!(t("", 2, 0).label(), "ExitCode:2");
    assert_eq!(t("", 137, 9).label(), "Signal:9");
}
