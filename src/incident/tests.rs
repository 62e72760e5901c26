use chrono::{DateTime, TimeDelta, Utc};

use super::*;
use crate::actions::{ActionKind, Scope};
use crate::playbook::CheckResult;

fn t(s: i64) -> DateTime<Utc> {
    crate::fixtures::t0() + TimeDelta::seconds(s)
}

fn restart() -> Action {
    Action {
        kind: ActionKind::RolloutRestart { namespace: "shop".into(), deployment: "backend".into() },
        scope: Scope::default(),
    }
}

fn record(events: Vec<(i64, IncidentEvent)>) -> Vec<Entry> {
    let mut r = MemoryRecorder::default();
    for (s, e) in events {
        r.record(t(s), e).unwrap();
    }
    r.entries()
}

#[test]
fn the_fold_tells_the_incident_and_its_actions() {
    let entries = record(vec![
        (
            0,
            IncidentEvent::Started {
                id: "inc-1".into(),
                severity: Severity::P2,
                playbook: Some("p2".into()),
                title: None,
                since: None,
            },
        ),
        (5, IncidentEvent::ActionRequested { action_id: 1, action: restart(), origin: Origin::Menu }),
        (7, IncidentEvent::ActionConfirmed { action_id: 1, dry_run: false }),
        (9, IncidentEvent::SeverityChanged { from: Severity::P2, to: Severity::P1, playbook: Some("p1".into()) }),
        (10, IncidentEvent::StepTicked { step: "acknowledge".into() }),
        (11, IncidentEvent::CheckChanged { step: "alarms".into(), result: CheckResult::Fail("1 firing: x".into()) }),
        (12, IncidentEvent::ActionSucceeded { action_id: 1, output: ActionOutput::message("restarted") }),
        (13, IncidentEvent::ActionRequested { action_id: 2, action: restart(), origin: Origin::Menu }),
        (14, IncidentEvent::ActionCancelled { action_id: 2 }),
        (60, IncidentEvent::Resolved),
    ]);
    let s = IncidentState::fold(&entries).unwrap();
    assert!(s.current().is_none());
    let i = &s.resolved[0];
    assert_eq!((i.id.as_str(), i.severity, i.started, i.resolved), ("inc-1", Severity::P1, t(0), Some(t(60))));
    assert_eq!(i.severities, [(t(0), Severity::P2), (t(9), Severity::P1)]);
    assert_eq!(i.playbook.as_deref(), Some("p1"), "the new severity's checklist");
    assert_eq!(i.steps["acknowledge"].ticked, Some(t(10)));
    assert_eq!(i.steps["alarms"].check, Some((t(11), CheckResult::Fail("1 firing: x".into()))));
    assert!(i.steps["acknowledge"].done() && !i.steps["alarms"].done());
    let a = s.action(1).unwrap();
    assert_eq!((a.requested, a.updated, a.incident.as_deref()), (t(5), t(12), Some("inc-1")));
    assert!(matches!(&a.status, ActionStatus::Succeeded(o) if o.message == "restarted"));
    assert_eq!(s.results().map(|a| a.id).collect::<Vec<_>>(), [1], "a cancelled action is no result");
    assert_eq!(s.next_action_id(), 3);
    assert_eq!(s.last_seq(), 10);
}

#[test]
fn entries_that_cannot_follow_are_refused_with_their_number() {
    let start =
        IncidentEvent::Started { id: "a".into(), severity: Severity::P3, playbook: None, title: None, since: None };
    let twice = record(vec![(0, start.clone()), (1, start)]);
    assert_eq!(IncidentState::fold(&twice), Err(FoldError::AlreadyRunning { seq: 2 }));
    let done_before_confirmed = record(vec![
        (0, IncidentEvent::ActionRequested { action_id: 4, action: restart(), origin: Origin::Menu }),
        (1, IncidentEvent::ActionFailed { action_id: 4, error: ActionError::TimedOut { secs: 120 } }),
    ]);
    assert_eq!(
        IncidentState::fold(&done_before_confirmed),
        Err(FoldError::Transition { seq: 2, action_id: 4, from: "requested", to: "failed" })
    );
    let unknown = record(vec![(0, IncidentEvent::ActionCancelled { action_id: 9 })]);
    assert_eq!(IncidentState::fold(&unknown), Err(FoldError::UnknownAction { seq: 1, action_id: 9 }));
    let mut gap = record(vec![(0, IncidentEvent::Resolved)]);
    gap[0].seq = 2;
    assert_eq!(IncidentState::fold(&gap), Err(FoldError::OutOfSequence { expected: 1, got: 2 }));
    let mut newer = record(vec![(0, IncidentEvent::ActionCancelled { action_id: 1 })]);
    newer[0].v = FORMAT_VERSION + 1;
    assert!(matches!(IncidentState::fold(&newer), Err(FoldError::Version { seq: 1, .. })));
}

#[test]
fn entries_are_one_json_object_each_and_read_back_unchanged() {
    let entries = record(vec![
        (
            0,
            IncidentEvent::Started {
                id: "inc-20260101T000000Z".into(),
                severity: Severity::P1,
                playbook: None,
                title: None,
                since: None,
            },
        ),
        (1, IncidentEvent::ActionRequested { action_id: 1, action: restart(), origin: Origin::Menu }),
        (2, IncidentEvent::ActionConfirmed { action_id: 1, dry_run: true }),
    ]);
    let lines: Vec<String> = entries.iter().map(|e| serde_json::to_string(e).unwrap()).collect();
    assert_eq!(
        lines[0],
        r#"{"v":1,"seq":1,"at":"2026-01-01T00:00:00Z","kind":"started","id":"inc-20260101T000000Z","severity":"P1"}"#
    );
    assert_eq!(
        lines[2],
        r#"{"v":1,"seq":3,"at":"2026-01-01T00:00:02Z","kind":"action_confirmed","action_id":1,"dry_run":true}"#
    );
    let back: Vec<Entry> = lines.iter().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(back, entries);
    assert_eq!(IncidentState::fold(&back).unwrap().action(1).unwrap().status, ActionStatus::DryRun);
}

#[test]
fn a_recorder_continues_a_sequence() {
    let mut r = MemoryRecorder::after(41);
    assert_eq!(r.record(t(0), IncidentEvent::Resolved).unwrap().seq, 42);
}

#[test]
fn the_response_clock_nears_its_target_in_the_last_quarter_and_then_passes_it() {
    let at = |m: i64, s: i64| Severity::P1.clock(TimeDelta::minutes(m) + TimeDelta::seconds(s));
    assert_eq!(at(0, 0), Clock::Within);
    assert_eq!(at(11, 14), Clock::Within);
    assert_eq!(at(11, 15), Clock::Near, "3:45 left of 15:00");
    assert_eq!(at(15, 0), Clock::Near, "at the target, not yet over it");
    assert_eq!(at(15, 1), Clock::Over);
    assert_eq!(Severity::P4.clock(TimeDelta::hours(17)), Clock::Within);
    assert_eq!(Severity::P4.clock(TimeDelta::hours(18)), Clock::Near);
    assert_eq!(Severity::P4.clock(TimeDelta::hours(25)), Clock::Over);
}
