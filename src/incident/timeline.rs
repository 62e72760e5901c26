//! The journal told as a timeline: one line per entry, in words, for the
//! timeline pane and the postmortem. Pure: entries in, lines out.

use chrono::{DateTime, Utc};

use super::{Entry, IncidentEvent, IncidentState};
use crate::playbook::CheckResult;

/// One entry of the timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Moment {
    pub at: DateTime<Utc>,
    /// What kind of entry, in a word: `started`, `severity`, `step`,
    /// `check`, `action`, `note`, `alarm`, `resolved`.
    pub kind: &'static str,
    /// What happened, in words; a note keeps its lines.
    pub text: String,
}

/// The timeline of `entries`, in their order. Actions are named from
/// their request (the entries are folded along the way; an entry that
/// does not fold is still told).
pub fn moments(entries: &[Entry]) -> Vec<Moment> {
    let mut state = IncidentState::default();
    entries
        .iter()
        .map(|e| {
            let m = moment(e, &state);
            // Numbering in a file starts at 1: fold from where it is.
            let mut entry = e.clone();
            entry.seq = state.last_seq() + 1;
            let _ = state.apply(&entry);
            m
        })
        .collect()
}

/// One entry in words, with `state` as it was before it (which names the
/// action an outcome belongs to).
pub fn moment(entry: &Entry, state: &IncidentState) -> Moment {
    let action = |id: u64| match state.action(id) {
        Some(a) => format!("#{id} {} {}", a.action.title(), a.action.target()),
        None => format!("#{id}"),
    };
    let (kind, text) = match &entry.event {
        IncidentEvent::Started { id, severity, playbook, title, since } => {
            let mut t = format!("{} incident {id} started", severity.label());
            if let Some(title) = title {
                t.push_str(&format!(": {title}"));
            }
            if let Some(p) = playbook {
                t.push_str(&format!(" (playbook {p})"));
            }
            if let Some(s) = since.filter(|s| *s < entry.at) {
                t.push_str(&format!("; its clock from {} UTC", s.format("%H:%M:%S")));
            }
            ("started", t)
        }
        IncidentEvent::SeverityChanged { from, to, playbook } => {
            let p = playbook.as_ref().map(|p| format!(" (playbook {p})")).unwrap_or_default();
            ("severity", format!("severity {} → {}{p}", from.label(), to.label()))
        }
        IncidentEvent::StepTicked { step } => ("step", format!("{step} ticked")),
        IncidentEvent::StepUnticked { step } => ("step", format!("{step} tick taken back")),
        IncidentEvent::StepSkipped { step, reason } => ("step", format!("{step} skipped: {reason}")),
        IncidentEvent::CheckChanged { step, result } => {
            let (word, why) = match result {
                CheckResult::Pass(w) => ("passes", w),
                CheckResult::Fail(w) => ("fails", w),
                CheckResult::Unknown(w) => ("cannot tell", w),
            };
            ("check", format!("{step} {word}: {why}"))
        }
        IncidentEvent::Resolved => ("resolved", "resolved".to_string()),
        IncidentEvent::ActionRequested { action_id, action: a, .. } => {
            ("action", format!("#{action_id} {} {} asked: {}", a.title(), a.target(), a.cli()))
        }
        IncidentEvent::ActionConfirmed { action_id, dry_run: true } => {
            ("action", format!("{} confirmed as a dry run (not executed)", action(*action_id)))
        }
        IncidentEvent::ActionConfirmed { action_id, .. } => ("action", format!("{} confirmed", action(*action_id))),
        IncidentEvent::ActionCancelled { action_id } => ("action", format!("{} cancelled", action(*action_id))),
        IncidentEvent::ActionSucceeded { action_id, output } => {
            let mut t = format!("{} succeeded: {}", action(*action_id), output.message);
            if let Some(o) = &output.output {
                t.push_str(&format!("; output {} bytes, sha256 {}", o.bytes, o.sha256));
            }
            for e in &output.evidence {
                t.push_str(&format!("; evidence {} ({} bytes, sha256 {})", e.path.display(), e.bytes, e.sha256));
            }
            ("action", t)
        }
        IncidentEvent::ActionFailed { action_id, error } => {
            ("action", format!("{} failed: {error}", action(*action_id)))
        }
        IncidentEvent::ActionAbandoned { action_id, reason } => {
            ("action", format!("{} abandoned: {reason}", action(*action_id)))
        }
        IncidentEvent::Note { text } => ("note", text.trim_end().to_string()),
        IncidentEvent::CrashLoopChanged { pod, looping: true, status, restarts } => {
            ("pod", format!("{pod} crash-looping ({status}, {restarts} restarts)"))
        }
        IncidentEvent::CrashLoopChanged { pod, status, restarts, .. } => {
            ("pod", format!("{pod} no longer crash-looping ({status}, {restarts} restarts)"))
        }
        IncidentEvent::AlarmChanged { alarm, from, to, reason, .. } => {
            ("alarm", format!("{alarm} {} → {}: {reason}", from.label(), to.label()))
        }
    };
    Moment { at: entry.at, kind, text }
}

/// The lines the timeline pane shows for `m`: `HH:MM:SS  kind  text`, a
/// note's further lines indented under its first.
pub fn pane_lines(m: &Moment) -> Vec<String> {
    let mut lines = m.text.lines();
    let first = lines.next().unwrap_or("");
    let mut out = vec![format!("{}  {:<8}  {first}", m.at.format("%H:%M:%S"), m.kind)];
    out.extend(lines.map(|l| format!("{:20}{l}", "")));
    out
}

#[cfg(test)]
mod tests {
    use chrono::TimeDelta;

    use super::*;
    use crate::actions::{Action, ActionKind, ActionOutput, Origin, Scope};
    use crate::incident::{MemoryRecorder, Recorder, Severity};

    fn t(s: i64) -> DateTime<Utc> {
        crate::fixtures::t0() + TimeDelta::seconds(s)
    }

    #[test]
    fn each_entry_is_told_in_words_with_actions_named_from_their_request() {
        let mut r = MemoryRecorder::default();
        let restart = Action {
            kind: ActionKind::RolloutRestart { namespace: "shop".into(), deployment: "backend".into() },
            scope: Scope { kube_context: "prod".into(), ..Scope::default() },
        };
        let events = [
            IncidentEvent::Started {
                id: "inc-1".into(),
                severity: Severity::P2,
                playbook: Some("crashloop".into()),
                title: Some("checkout down".into()),
                since: Some(t(-90)),
            },
            IncidentEvent::ActionRequested { action_id: 1, action: restart, origin: Origin::Menu },
            IncidentEvent::ActionConfirmed { action_id: 1, dry_run: false },
            IncidentEvent::ActionSucceeded {
                action_id: 1,
                output: ActionOutput::message("deployment.apps/backend restarted"),
            },
            IncidentEvent::CheckChanged { step: "crashloops".into(), result: CheckResult::Pass("none".into()) },
            IncidentEvent::Note { text: "rolled back 1.42\nerror rate back to 0.1 %\n".into() },
            IncidentEvent::SeverityChanged { from: Severity::P2, to: Severity::P3, playbook: None },
            IncidentEvent::Resolved,
        ];
        for (i, e) in events.into_iter().enumerate() {
            r.record(t(i as i64 * 60), e).unwrap();
        }
        let m = moments(&r.entries());
        let texts: Vec<String> = m.iter().map(|m| format!("{} {}", m.kind, m.text)).collect();
        assert_eq!(
            texts,
            [
                "started P2 incident inc-1 started: checkout down (playbook crashloop); its clock from 23:58:30 UTC",
                "action #1 Rollout restart deployment backend asked: kubectl --context prod -n shop rollout restart deployment/backend",
                "action #1 Rollout restart deployment backend confirmed",
                "action #1 Rollout restart deployment backend succeeded: deployment.apps/backend restarted",
                "check crashloops passes: none",
                "note rolled back 1.42\nerror rate back to 0.1 %",
                "severity severity P2 → P3",
                "resolved resolved",
            ]
        );
        assert_eq!(
            pane_lines(&m[5]),
            ["00:05:00  note      rolled back 1.42", "                    error rate back to 0.1 %"]
        );
    }
}
