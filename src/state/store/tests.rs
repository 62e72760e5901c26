use std::collections::HashMap;

use chrono::TimeDelta;
use proptest::prelude::*;

use super::*;
use crate::fixtures::{alarm, synthetic_event, synthetic_pod, t0};
use crate::model::{AlarmState, ContainerState};

/// Keys as text, to compare with literals.
fn texts(keys: &[Key]) -> Vec<&str> {
    keys.iter().map(|k| &**k).collect()
}

fn keys<T: Item>(s: &Store<T>) -> Vec<String> {
    let mut k: Vec<String> = s.values().map(Item::key).collect();
    k.sort();
    k
}

#[test]
fn a_reset_removes_what_it_does_not_list() {
    let mut s = Store::default();
    let at = t0();
    s.apply(Delta::Reset(vec![alarm("a", AlarmState::Alarm), alarm("b", AlarmState::Ok)]), at);
    s.apply(Delta::Upsert(vec![alarm("c", AlarmState::Alarm)]), at);
    let changes = s.apply(Delta::Reset(vec![alarm("b", AlarmState::Ok), alarm("d", AlarmState::Ok)]), at);
    assert!(changes.reset);
    assert_eq!(keys(&s), ["b", "d"]);
    assert_eq!((s.notable(), s.worst()), (0, Health::Ok));
    // The same list again changes nothing.
    assert!(s.apply(Delta::Reset(vec![alarm("d", AlarmState::Ok), alarm("b", AlarmState::Ok)]), at).is_empty());
}

#[test]
fn deltas_report_only_what_changed() {
    let mut s = Store::default();
    let at = t0();
    let c = s.apply(Delta::Upsert(vec![alarm("a", AlarmState::Ok), alarm("b", AlarmState::Ok)]), at);
    assert_eq!(texts(&c.added), ["a", "b"]);
    let c = s.apply(
        Delta::Upsert(vec![alarm("a", AlarmState::Ok), alarm("b", AlarmState::Alarm), alarm("c", AlarmState::Ok)]),
        at,
    );
    assert_eq!((texts(&c.added), texts(&c.changed)), (vec!["c"], vec!["b"]), "an identical item is no change");
    let c = s.apply(Delta::Delete(vec!["a".into(), "zz".into()]), at);
    assert_eq!(texts(&c.removed), ["a"], "deleting an unknown key is no change");
    assert_eq!((s.len(), s.notable(), s.worst()), (2, 1, Health::Crit));
}

#[test]
fn immutable_records_keep_their_first_version_and_the_cap_drops_the_oldest() {
    let mut s: Store<TrailEvent> = Store::capped(3);
    let at = t0();
    // synthetic_event(i) is i seconds older than t0.
    s.apply(Delta::Upsert((0..3).map(synthetic_event).collect()), at);
    let mut renamed = synthetic_event(1);
    renamed.name = "Changed".into();
    assert!(s.apply(Delta::Upsert(vec![renamed]), at).is_empty());
    assert_eq!(s.get("evt-00000001").unwrap().name, "DescribeDBInstances");
    let c = s.apply(Delta::Upsert(vec![synthetic_event(10), synthetic_event(4)]), at);
    assert_eq!(keys(&s), ["evt-00000000", "evt-00000001", "evt-00000002"], "older than all kept: dropped");
    assert!(c.added.is_empty() && c.removed.is_empty(), "{c:?}");
    let mut newer = synthetic_event(5);
    newer.id = "evt-new".into();
    newer.time = t0() + TimeDelta::seconds(1);
    let c = s.apply(Delta::Upsert(vec![newer]), at);
    assert_eq!((texts(&c.added), texts(&c.removed)), (vec!["evt-new"], vec!["evt-00000002"]));
}

#[test]
fn restarts_in_the_last_hour_come_from_the_counts_the_store_saw() {
    let mut s: Store<Pod> = Store::default();
    let pod = |restarts| {
        let mut p = synthetic_pod(1, restarts);
        // Whatever a source says about restart times is not trusted.
        p.restart_times = vec![t0() - TimeDelta::days(3)];
        p
    };
    let key = pod(0).key();
    s.apply(Delta::Reset(vec![pod(5)]), t0());
    assert_eq!(s.get(&key).unwrap().restarts_since(t0() - RESTART_WINDOW), 0, "restarts before the watch began");
    s.apply(Delta::Upsert(vec![pod(6)]), t0() + TimeDelta::minutes(10));
    s.apply(Delta::Upsert(vec![pod(8)]), t0() + TimeDelta::minutes(20));
    let now = t0() + TimeDelta::minutes(30);
    assert_eq!(s.get(&key).unwrap().restarts_since(now - RESTART_WINDOW), 3);
    // A re-list keeps the history of pods it lists again.
    s.apply(Delta::Reset(vec![pod(8)]), now);
    assert_eq!(s.get(&key).unwrap().restarts_since(now - RESTART_WINDOW), 3);
    // The restart at ten minutes ages out an hour later.
    let later = t0() + TimeDelta::minutes(75);
    s.apply(Delta::Upsert(vec![pod(9)]), later);
    let twenty = t0() + TimeDelta::minutes(20);
    assert_eq!(s.get(&key).unwrap().restart_times, [twenty, twenty, later]);
}

#[test]
fn the_first_version_seen_records_what_came_before() {
    let mut s: Store<Pod> = Store::default();
    let mut p = synthetic_pod(1, 5);
    p.created = t0() - TimeDelta::days(1);
    p.containers[0].last_termination = Some(Box::new(crate::model::Termination {
        reason: "Error".into(),
        exit_code: 1,
        signal: 0,
        finished: Some(t0() - TimeDelta::minutes(3)),
    }));
    let key = p.key();
    s.apply(Delta::Upsert(vec![p.clone()]), t0());
    let seen = s.get(&key).unwrap().seen.clone();
    assert_eq!(seen.since, Some(t0()));
    assert_eq!(seen.prior, [(5, Some(t0() - TimeDelta::minutes(3)))]);
    // Later versions keep it; restarts seen since add to the hour.
    p.containers[0].restarts = 7;
    s.apply(Delta::Upsert(vec![p]), t0() + TimeDelta::minutes(1));
    let held = s.get(&key).unwrap();
    assert_eq!((held.seen.since, held.seen.prior.len()), (Some(t0()), 1));
    assert_eq!(held.restarts_within(t0() + TimeDelta::minutes(1), RESTART_WINDOW), crate::model::Count::AtLeast(3));
}

#[test]
fn a_pod_starting_for_too_long_turns_failing_without_a_new_version() {
    let mut s: Store<Pod> = Store::default();
    // Every 20th synthetic pod is creating its container.
    let mut p = synthetic_pod(20, 0);
    p.created = t0();
    let key = p.key();
    s.apply(Delta::Upsert(vec![p]), t0());
    assert_eq!((s.health_of(&key), s.worst()), (Some(Health::Warn), Health::Warn));
    assert!(s.judge(t0() + TimeDelta::minutes(4)).is_empty(), "not yet");
    let c = s.judge(t0() + crate::model::STUCK_AFTER);
    assert_eq!(texts(&c.changed), [key.as_str()]);
    assert_eq!((s.health_of(&key), s.worst(), s.notable()), (Some(Health::Crit), Health::Crit, 1));
    assert!(s.judge(t0() + TimeDelta::hours(1)).is_empty(), "judged once");
    // Gone before its time: nothing left to judge.
    let mut q = synthetic_pod(40, 0);
    q.created = t0();
    s.apply(Delta::Upsert(vec![q.clone()]), t0());
    s.apply(Delta::Delete(vec![q.key()]), t0());
    assert!(s.judge(t0() + TimeDelta::hours(2)).is_empty());
}

#[derive(Debug, Clone)]
enum Op {
    Reset(Vec<(u8, u8, u32)>),
    Upsert(Vec<(u8, u8, u32)>),
    Delete(Vec<u8>),
}

/// Pod `k` in state `s` (0 running, 1 crash-looping, 2 pending) with `r` restarts.
fn pod(k: u8, s: u8, r: u32) -> Pod {
    let mut p = synthetic_pod(usize::from(k) + 1, r);
    let c = &mut p.containers[0];
    (c.state, c.ready, p.phase) = match s {
        0 => (ContainerState::Running { since: t0() }, true, "Running".into()),
        1 => (ContainerState::Waiting { reason: "CrashLoopBackOff".into(), message: None }, false, "Running".into()),
        _ => (ContainerState::Waiting { reason: "ContainerCreating".into(), message: None }, false, "Pending".into()),
    };
    p
}

fn op() -> impl Strategy<Value = Op> {
    let item = (0u8..30, 0u8..3, 0u32..4);
    prop_oneof![
        1 => proptest::collection::vec(item.clone(), 0..20).prop_map(Op::Reset),
        5 => proptest::collection::vec(item, 1..5).prop_map(Op::Upsert),
        2 => proptest::collection::vec(0u8..30, 1..4).prop_map(Op::Delete),
    ]
}

proptest! {
    /// Whatever deltas arrive, the counts kept incrementally equal a full
    /// recount of the items, and the items are those a plain map holds.
    #[test]
    fn summary_counts_equal_a_full_recount(ops in proptest::collection::vec(op(), 1..60)) {
        let mut s: Store<Pod> = Store::default();
        let mut reference: HashMap<String, Pod> = HashMap::new();
        for (i, op) in ops.into_iter().enumerate() {
            let at = t0() + TimeDelta::seconds(i as i64);
            match op {
                Op::Reset(items) => {
                    let items: Vec<Pod> = items.into_iter().map(|(k, st, r)| pod(k, st, r)).collect();
                    reference = items.iter().map(|p| (p.key(), p.clone())).collect();
                    s.apply(Delta::Reset(items), at);
                }
                Op::Upsert(items) => {
                    let items: Vec<Pod> = items.into_iter().map(|(k, st, r)| pod(k, st, r)).collect();
                    for p in &items {
                        reference.insert(p.key(), p.clone());
                    }
                    s.apply(Delta::Upsert(items), at);
                }
                Op::Delete(ks) => {
                    let ks: Vec<String> = ks.into_iter().map(|k| pod(k, 0, 0).key()).collect();
                    for k in &ks {
                        reference.remove(k);
                    }
                    s.apply(Delta::Delete(ks), at);
                }
            }
            let mut want: Vec<String> = reference.keys().cloned().collect();
            want.sort();
            prop_assert_eq!(keys(&s), want);
            let notable = s.values().filter(|p| Item::notable(*p)).count();
            prop_assert_eq!(s.notable(), notable);
            let worst = s.values().map(Item::health).min().unwrap_or(Health::Ok);
            prop_assert_eq!(s.worst(), worst);
            for p in s.values() {
                prop_assert_eq!(s.health_of(&p.key()), Some(Item::health(p)));
            }
        }
    }
}
