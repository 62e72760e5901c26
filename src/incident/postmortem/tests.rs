use chrono::TimeDelta;

use super::*;
use crate::actions::{Action, ActionKind, ActionOutput, Origin, SavedEvidence, Scope};
use crate::incident::{Actor, FORMAT_VERSION};
use crate::playbook::CheckResult;

fn t(s: i64) -> DateTime<Utc> {
    crate::fixtures::t0() + TimeDelta::seconds(s)
}

fn action(kind: ActionKind) -> Action {
    Action { kind, scope: Scope { kube_context: "prod-eks".into(), ..Scope::default() } }
}

/// A P1 from start to resolution, as its journal has it.
fn journal() -> Vec<Entry> {
    let step = |id: &str| Origin::Playbook { playbook: "p1".into(), step: id.into() };
    let events = vec![
        (
            0,
            IncidentEvent::Started {
                id: "inc-20260101T000000Z".into(),
                severity: Severity::P1,
                playbook: Some("p1".into()),
                title: Some("checkout 502s | after 1.42".into()),
                since: None,
            },
        ),
        (
            45,
            IncidentEvent::CheckChanged {
                step: "crashloops".into(),
                result: CheckResult::Fail("4 crash-looping: shop/backend-7d9f-x2k4p and 3 more".into()),
            },
        ),
        (60, IncidentEvent::StepTicked { step: "acknowledge".into() }),
        (
            120,
            IncidentEvent::ActionRequested {
                action_id: 1,
                action: action(ActionKind::CollectLogs { namespace: "shop".into(), pod: "backend-7d9f-x2k4p".into() }),
                origin: step("logs"),
            },
        ),
        (122, IncidentEvent::ActionConfirmed { action_id: 1, dry_run: false }),
        (
            125,
            IncidentEvent::ActionSucceeded {
                action_id: 1,
                output: ActionOutput {
                    message: "2 containers' logs saved".into(),
                    evidence: vec![SavedEvidence {
                        path: "/var/lib/warroom/evidence/shop-backend-7d9f-x2k4p.log".into(),
                        bytes: 48_213,
                        sha256: "9f2c0e4b6a1d3c5e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6".into(),
                    }],
                    output: None,
                },
            },
        ),
        (
            200,
            IncidentEvent::ActionRequested {
                action_id: 2,
                action: action(ActionKind::RolloutRestart { namespace: "shop".into(), deployment: "backend".into() }),
                origin: step("restart"),
            },
        ),
        (204, IncidentEvent::ActionConfirmed { action_id: 2, dry_run: false }),
        (
            230,
            IncidentEvent::ActionSucceeded {
                action_id: 2,
                output: ActionOutput::message("deployment.apps/backend restarted"),
            },
        ),
        (231, IncidentEvent::StepTicked { step: "restart".into() }),
        (300, IncidentEvent::CheckChanged { step: "crashloops".into(), result: CheckResult::Pass("none".into()) }),
        (
            320,
            IncidentEvent::Note { text: "Rolled back 1.42 | the config change.\nError rate under 0.1 % since.".into() },
        ),
        (400, IncidentEvent::SeverityChanged { from: Severity::P1, to: Severity::P2, playbook: None }),
        (500, IncidentEvent::StepSkipped { step: "status-page".into(), reason: "no customer impact left".into() }),
        (600, IncidentEvent::Resolved),
    ];
    let actor = Actor { user: "jane".into(), host: "bastion-1".into(), aws: None, kube: Some("oncall".into()) };
    events
        .into_iter()
        .enumerate()
        .map(|(i, (s, event))| Entry {
            v: FORMAT_VERSION,
            seq: i as u64 + 1,
            at: t(s),
            actor: Some(actor.clone()),
            event,
        })
        .collect()
}

fn p1() -> Playbook {
    crate::playbook::load(None).unwrap().into_iter().find(|p| p.id == "p1").unwrap()
}

#[test]
fn the_draft_has_the_times_the_actions_the_checklist_and_the_notes() {
    let p = draft(&journal(), &[p1()]).unwrap();
    assert_eq!(p.time_to_acknowledge_secs, Some(60));
    assert_eq!(p.time_to_mitigate_secs, Some(230), "the restart, not the log collection (a read)");
    assert_eq!(p.time_to_resolve_secs, Some(600));
    assert_eq!(p.target_secs, 900);
    assert_eq!(p.severity, Severity::P2);
    assert_eq!(p.severities.len(), 2);
    assert_eq!(p.actions.len(), 2);
    assert_eq!(p.actions[1].command, "kubectl --context prod-eks -n shop rollout restart deployment/backend");
    assert_eq!(p.evidence.len(), 1);
    assert_eq!(p.notes.len(), 1);
    assert_eq!(p.timeline.len(), 15);
    assert_eq!(p.timeline[0].by.as_deref(), Some("jane@bastion-1"));
    let state = |id: &str| p.checklist.iter().find(|s| s.id == id).map(|s| s.state.as_str());
    assert_eq!(state("acknowledge"), Some("done"));
    assert_eq!(state("crashloops"), Some("passing"));
    assert_eq!(state("status-page"), Some("skipped"));
    assert_eq!(state("notify"), Some("open"));
}

#[test]
fn the_markdown_renders_the_draft() {
    let p = draft(&journal(), &[p1()]).unwrap();
    insta::assert_snapshot!(markdown(&p));
}

#[test]
fn the_json_reads_back_into_the_same_draft() {
    let p = draft(&journal(), &[p1()]).unwrap();
    let json = serde_json::to_string_pretty(&p).unwrap();
    let back: Postmortem = serde_json::from_str(&json).unwrap();
    assert_eq!(back, p);
    assert_eq!(serde_json::to_string_pretty(&back).unwrap(), json);
}

#[test]
fn hostile_text_is_cleaned_and_a_running_incident_is_drafted_so_far() {
    let mut entries = journal();
    entries.truncate(3);
    if let IncidentEvent::Started { title, .. } = &mut entries[0].event {
        *title = Some("db \x1b]0;owned\x07down\x1b[2J".into());
    }
    let p = draft(&entries, &[]).unwrap();
    assert_eq!(p.title.as_deref(), Some("db down"));
    assert_eq!(p.resolved, None);
    let md = markdown(&p);
    assert!(md.contains("| Resolved | not yet (still running when exported) |"), "{md}");
    assert!(!md.contains('\x1b'));
    // Without the playbook, the steps the journal names.
    assert_eq!(p.checklist.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(), ["acknowledge", "crashloops"]);
    assert_eq!(draft(&[], &[]), Err(DraftError::NoIncident));
}
