use chrono::TimeDelta;

use super::*;
use crate::actions::{Action, ActionKind, Origin, Scope};
use crate::incident::{IncidentState, Severity};

fn t(s: i64) -> DateTime<Utc> {
    crate::fixtures::t0() + TimeDelta::seconds(s)
}

fn actor() -> Actor {
    Actor { user: "oncall".into(), host: "bastion-1".into(), aws: None, kube: None }
}

fn tick(step: &str) -> IncidentEvent {
    IncidentEvent::StepTicked { step: step.into() }
}

fn started(id: &str) -> IncidentEvent {
    IncidentEvent::Started { id: id.into(), severity: Severity::P1, playbook: None, title: None, since: None }
}

/// A journal with a start and `n` ticks, closed.
fn journal_with(dir: &Path, n: usize) -> PathBuf {
    let path = dir.join("incidents/inc-1.jsonl");
    let mut j = Journal::create(&path).unwrap();
    j.append(t(0), &actor(), started("inc-1")).unwrap();
    for i in 0..n {
        j.append(t(i as i64 + 1), &actor(), tick(&format!("s{i}"))).unwrap();
    }
    path
}

#[test]
fn entries_are_lines_numbered_from_one_with_their_actor() {
    let dir = tempfile::tempdir().unwrap();
    let path = journal_with(dir.path(), 2);
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(text.lines().count(), 3);
    assert!(text.ends_with('\n'));
    let first: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert_eq!(first["v"], 1);
    assert_eq!(first["seq"], 1);
    assert_eq!(first["kind"], "started");
    assert_eq!(first["actor"]["user"], "oncall");
    assert_eq!(first["actor"]["host"], "bastion-1");
    assert_eq!(first["at"], "2026-01-01T00:00:00Z");
    let c = read(&path).unwrap();
    assert_eq!(c.entries.iter().map(|e| e.seq).collect::<Vec<_>>(), [1, 2, 3]);
    assert_eq!(c.torn, None);
    assert_eq!(c.entries[2].event, tick("s1"));
}

#[test]
fn a_torn_last_line_is_removed_on_open_and_appending_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let path = journal_with(dir.path(), 2);
    let good = std::fs::read(&path).unwrap();
    let mut torn = good.clone();
    torn.extend_from_slice(br#"{"v":1,"seq":4,"at":"2026-01-01T00:00:09Z","kind":"step_tic"#);
    std::fs::write(&path, &torn).unwrap();
    // Reading reports it and changes nothing.
    let c = read(&path).unwrap();
    assert_eq!(
        (c.entries.len(), c.torn.clone()),
        (3, Some(Repair { line: 4, bytes: (torn.len() - good.len()) as u64 }))
    );
    assert_eq!(std::fs::read(&path).unwrap(), torn);
    // Opening removes it, durably, and the next entry takes its number.
    let (mut j, c) = Journal::open(&path).unwrap();
    assert_eq!(c.torn.unwrap().line, 4);
    assert_eq!(std::fs::read(&path).unwrap(), good);
    let e = j.append(t(9), &actor(), tick("again")).unwrap();
    assert_eq!(e.seq, 4);
    assert_eq!(read(&path).unwrap().entries.len(), 4);
}

#[test]
fn a_last_line_of_zeros_is_torn_too() {
    let dir = tempfile::tempdir().unwrap();
    let path = journal_with(dir.path(), 1);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes.extend_from_slice(&[0u8; 40]);
    bytes.push(b'\n');
    std::fs::write(&path, &bytes).unwrap();
    let (_, c) = Journal::open(&path).unwrap();
    assert_eq!((c.entries.len(), c.torn.map(|r| r.line)), (2, Some(3)));
}

#[test]
fn a_file_corrupt_before_its_last_line_is_refused_with_the_line_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = journal_with(dir.path(), 3);
    let text = std::fs::read_to_string(&path).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    lines[1] = "not json at all";
    let bad = lines.join("\n") + "\n";
    std::fs::write(&path, &bad).unwrap();
    let err = Journal::open(&path).unwrap_err();
    assert!(matches!(&err, JournalError::Corrupt { line: 2, .. }), "{err}");
    assert!(err.to_string().contains("inc-1.jsonl:2: not a journal entry"), "{err}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), bad, "never overwritten");

    // Entries out of order are refused too.
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    lines.swap(1, 2);
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    let err = read(&path).unwrap_err();
    assert!(err.to_string().ends_with(":2: entry 3 where entry 2 was expected; the file is left as it is"), "{err}");
}

#[test]
fn a_second_writer_is_refused_while_the_first_holds_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = journal_with(dir.path(), 1);
    let (first, _) = Journal::open(&path).unwrap();
    let err = Journal::open(&path).unwrap_err();
    assert_eq!(err, JournalError::Locked { path: path.clone() });
    assert!(err.to_string().contains("is open in another warroom"), "{err}");
    assert_eq!(read(&path).unwrap().entries.len(), 2, "it can still be read");
    drop(first);
    Journal::open(&path).unwrap();
    assert!(matches!(Journal::create(&path), Err(JournalError::Exists { .. })));
}

fn restart_action(id: u64) -> IncidentEvent {
    IncidentEvent::ActionRequested {
        action_id: id,
        action: Action {
            kind: ActionKind::RolloutRestart { namespace: "shop".into(), deployment: "backend".into() },
            scope: Scope::default(),
        },
        origin: Origin::Menu,
    }
}

#[test]
fn the_recorder_keeps_each_incident_in_its_own_file_and_the_rest_in_the_sessions() {
    let dir = tempfile::tempdir().unwrap();
    let mut r = JournalRecorder::new(dir.path(), actor(), t(0));
    r.identify(Some("arn:aws:sts::123456789012:assumed-role/OnCall/jane".into()), Some("jane".into()));
    let events = [
        restart_action(1),                                               // session
        started("inc-a"),                                                // incident
        IncidentEvent::ActionConfirmed { action_id: 1, dry_run: false }, // session: where it was asked
        restart_action(2),                                               // incident
        tick("ack"),                                                     // incident
        IncidentEvent::Resolved,                                         // incident, closed
        IncidentEvent::ActionCancelled { action_id: 2 },                 // session: the incident ended
    ];
    let mut answered = Vec::new();
    for (i, e) in events.into_iter().enumerate() {
        answered.push(r.record(t(i as i64), e).unwrap());
    }
    // The console's sequence is one for the session.
    assert_eq!(answered.iter().map(|e| e.seq).collect::<Vec<_>>(), [1, 2, 3, 4, 5, 6, 7]);
    assert_eq!(r.incident_file(), None);

    let incident = read(&JournalRecorder::incident_path(dir.path(), "inc-a")).unwrap();
    let kinds: Vec<&str> = incident.entries.iter().map(|e| kind(&e.event)).collect();
    assert_eq!(kinds, ["started", "action_requested", "step_ticked", "resolved"]);
    assert_eq!(incident.entries.iter().map(|e| e.seq).collect::<Vec<_>>(), [1, 2, 3, 4]);
    let who = incident.entries[0].actor.clone().unwrap();
    assert_eq!(
        (who.aws.as_deref(), who.kube.as_deref()),
        (Some("arn:aws:sts::123456789012:assumed-role/OnCall/jane"), Some("jane"))
    );
    // The incident's file folds on its own.
    let state = IncidentState::fold(&incident.entries).unwrap();
    assert_eq!(state.resolved.len(), 1);

    let sessions: Vec<_> = std::fs::read_dir(dir.path().join("sessions")).unwrap().collect();
    assert_eq!(sessions.len(), 1);
    let session = read(&sessions[0].as_ref().unwrap().path()).unwrap();
    let kinds: Vec<&str> = session.entries.iter().map(|e| kind(&e.event)).collect();
    assert_eq!(kinds, ["action_requested", "action_confirmed", "action_cancelled"]);

    // A resolved incident's file is free again.
    Journal::open(&JournalRecorder::incident_path(dir.path(), "inc-a")).unwrap();
}

fn kind(e: &IncidentEvent) -> &'static str {
    match serde_json::to_value(e).unwrap()["kind"].as_str().unwrap() {
        "started" => "started",
        "action_requested" => "action_requested",
        "action_confirmed" => "action_confirmed",
        "action_cancelled" => "action_cancelled",
        "step_ticked" => "step_ticked",
        "resolved" => "resolved",
        other => panic!("{other}"),
    }
}

#[test]
fn a_recorder_that_cannot_write_says_where_and_answers_nothing() {
    let dir = tempfile::tempdir().unwrap();
    // The incidents directory is a file: nothing can be created under it.
    std::fs::write(dir.path().join("incidents"), "").unwrap();
    let mut r = JournalRecorder::new(dir.path(), actor(), t(0));
    let err = r.record(t(0), started("inc-b")).unwrap_err();
    assert!(err.to_string().starts_with("cannot write the journal: "), "{err}");
    // Nothing was numbered.
    std::fs::remove_file(dir.path().join("incidents")).unwrap();
    assert_eq!(r.record(t(1), started("inc-b")).unwrap().seq, 1);
}

#[test]
fn incidents_are_listed_newest_first_with_what_is_wrong_with_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut r = JournalRecorder::new(dir.path(), actor(), t(0));
    r.record(t(0), started("inc-old")).unwrap();
    r.record(t(60), IncidentEvent::Resolved).unwrap();
    r.record(t(120), started("inc-new")).unwrap();
    std::fs::write(dir.path().join("incidents/inc-bad.jsonl"), "garbage\n{}\n").unwrap();
    let list = list(dir.path()).unwrap();
    let ids: Vec<&str> = list.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["inc-new", "inc-old", "inc-bad"]);
    assert!(list[0].incident.as_ref().unwrap().resolved.is_none());
    assert_eq!(list[1].incident.as_ref().unwrap().resolved, Some(t(60)));
    assert!(
        list[2].problem.as_deref().unwrap().contains("inc-bad.jsonl:1: not a journal entry"),
        "{:?}",
        list[2].problem
    );
    assert!(super::list(&dir.path().join("nothing")).unwrap().is_empty());
}

#[test]
fn an_id_is_a_file_name_and_never_a_path() {
    assert!(is_incident_id("inc-20261124T211849Z").is_ok());
    for bad in ["", "../../etc/passwd", ".hidden", "a/b", "inc 1", "inc\u{1b}[2J"] {
        let err = is_incident_id(bad).unwrap_err();
        assert!(err.contains("is not an incident id"), "{bad}: {err}");
        assert!(!err.contains('\u{1b}'));
    }
    let dir = tempfile::tempdir().unwrap();
    let err = resume(dir.path(), "../outside", false).err().unwrap();
    assert!(err.contains("is not an incident id"), "{err}");
}
