//! The postmortem draft `warroom export` writes from an incident's
//! journal: its times, severity history, timeline, actions with their
//! outcomes and command lines, the checklist as it stood, notes and
//! evidence. Built by a pure function of the entries (and the playbook,
//! for step titles); rendered as GitHub Markdown, or as JSON that reads
//! back into the same draft.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::timeline::moments;
use super::{ActionStatus, Entry, FoldError, IncidentEvent, IncidentState, Severity};
use crate::actions::Risk;
use crate::playbook::Playbook;
use crate::sanitize::sanitize_multiline;

/// The draft, as exported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Postmortem {
    pub id: String,
    pub title: Option<String>,
    /// The severity it ended with, and every one it had, from when.
    pub severity: Severity,
    pub severities: Vec<SeverityAt>,
    pub started: DateTime<Utc>,
    /// `None` while it still runs.
    pub resolved: Option<DateTime<Utc>>,
    /// Seconds from the start to the first sign of a response: the
    /// playbook's `acknowledge` step ticked, or else the first tick,
    /// skip, note or action.
    pub time_to_acknowledge_secs: Option<i64>,
    /// Seconds from the start to the first action that changed something
    /// and worked (a restart, a failover).
    pub time_to_mitigate_secs: Option<i64>,
    pub time_to_resolve_secs: Option<i64>,
    /// Within the response target of the severity it started with.
    pub target_secs: i64,
    pub playbook: Option<String>,
    /// To be written: what happened, the impact, the cause.
    pub summary: String,
    pub timeline: Vec<TimelineEntry>,
    pub actions: Vec<ActionTaken>,
    pub checklist: Vec<ChecklistStep>,
    pub notes: Vec<NoteAt>,
    pub evidence: Vec<Evidence>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeverityAt {
    pub at: DateTime<Utc>,
    pub severity: Severity,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineEntry {
    pub at: DateTime<Utc>,
    pub kind: String,
    pub text: String,
    /// Who recorded it (`user@host`).
    pub by: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionTaken {
    pub id: u64,
    pub title: String,
    pub target: String,
    pub risk: Risk,
    /// The CLI equivalent, as the confirmation showed it.
    pub command: String,
    pub requested: DateTime<Utc>,
    pub finished: DateTime<Utc>,
    /// `succeeded`, `failed`, `cancelled`, `dry-run`, `abandoned`,
    /// `running`, `requested`.
    pub outcome: String,
    /// The result's message or the error.
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChecklistStep {
    pub phase: String,
    pub id: String,
    pub title: String,
    /// `done`, `skipped`, `passing`, `failing`, `unknown`, `open`.
    pub state: String,
    /// Why: the skip's reason, the check's last result.
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoteAt {
    pub at: DateTime<Utc>,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    pub path: String,
    pub bytes: u64,
    pub sha256: String,
}

/// What cannot be drafted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DraftError {
    #[error("the journal has no incident in it")]
    NoIncident,
    #[error(transparent)]
    Fold(#[from] FoldError),
}

/// The placeholder the summary starts as.
pub const SUMMARY_TODO: &str =
    "_To write: what happened, who and what was affected, the cause, and what will prevent it._";

fn clean(s: &str) -> String {
    sanitize_multiline(s).into_owned()
}

/// Drafts the postmortem of the incident whose journal is `entries`; its
/// playbook, found among `playbooks`, names its steps (without it the
/// checklist lists the steps the journal mentions).
pub fn draft(entries: &[Entry], playbooks: &[Playbook]) -> Result<Postmortem, DraftError> {
    let state = IncidentState::fold(entries)?;
    let incident = state.current().or(state.resolved.last()).ok_or(DraftError::NoIncident)?.clone();
    let playbook = incident.playbook.as_deref().and_then(|id| playbooks.iter().find(|p| p.id == id));
    let since = |at: DateTime<Utc>| (at - incident.started).num_seconds();

    let engineer = |e: &IncidentEvent| {
        matches!(
            e,
            IncidentEvent::StepTicked { .. }
                | IncidentEvent::StepSkipped { .. }
                | IncidentEvent::Note { .. }
                | IncidentEvent::ActionRequested { .. }
                | IncidentEvent::SeverityChanged { .. }
        )
    };
    let acknowledged = entries
        .iter()
        .find(|e| matches!(&e.event, IncidentEvent::StepTicked { step } if step == "acknowledge"))
        .or_else(|| entries.iter().find(|e| engineer(&e.event)))
        .map(|e| since(e.at));

    let actions: Vec<ActionTaken> = state
        .actions
        .iter()
        .filter(|a| a.incident.as_deref() == Some(incident.id.as_str()))
        .map(|a| {
            let (outcome, detail) = match &a.status {
                ActionStatus::Requested => ("requested", String::new()),
                ActionStatus::Cancelled => ("cancelled", String::new()),
                ActionStatus::Running => ("running", "no outcome recorded".to_string()),
                ActionStatus::DryRun => ("dry-run", "not executed".to_string()),
                ActionStatus::Succeeded(o) => ("succeeded", clean(&o.message)),
                ActionStatus::Failed(e) => ("failed", clean(&e.to_string())),
                ActionStatus::Abandoned(why) => ("abandoned", clean(why)),
            };
            ActionTaken {
                id: a.id,
                title: a.action.title(),
                target: clean(a.action.target()),
                risk: a.action.risk(),
                command: clean(&a.action.cli()),
                requested: a.requested,
                finished: a.updated,
                outcome: outcome.to_string(),
                detail,
            }
        })
        .collect();
    let mitigated = state
        .actions
        .iter()
        .filter(|a| a.incident.as_deref() == Some(incident.id.as_str()) && a.action.risk() != Risk::Read)
        .filter(|a| matches!(a.status, ActionStatus::Succeeded(_)))
        .map(|a| since(a.updated))
        .min();

    let evidence = state
        .actions
        .iter()
        .filter(|a| a.incident.as_deref() == Some(incident.id.as_str()))
        .flat_map(|a| match &a.status {
            ActionStatus::Succeeded(o) => o.evidence.clone(),
            _ => Vec::new(),
        })
        .map(|e| Evidence { path: clean(&e.path.display().to_string()), bytes: e.bytes, sha256: e.sha256 })
        .collect();

    let step_state = |id: &str| -> (String, String) {
        match incident.steps.get(id) {
            Some(s) if s.skipped.is_some() => {
                ("skipped".into(), s.skipped.as_ref().map(|(_, why)| clean(why)).unwrap_or_default())
            }
            Some(s) if s.ticked.is_some() => ("done".into(), String::new()),
            Some(s) => match &s.check {
                Some((_, r)) => {
                    let word = match r {
                        crate::playbook::CheckResult::Pass(_) => "passing",
                        crate::playbook::CheckResult::Fail(_) => "failing",
                        crate::playbook::CheckResult::Unknown(_) => "unknown",
                    };
                    (word.into(), clean(r.why()))
                }
                None => ("open".into(), String::new()),
            },
            None => ("open".into(), String::new()),
        }
    };
    let checklist = match playbook {
        Some(p) => p
            .phases
            .iter()
            .flat_map(|ph| ph.steps.iter().map(move |s| (ph.name.clone(), s.id.clone(), s.title.clone())))
            .map(|(phase, id, title)| {
                let (state, detail) = step_state(&id);
                ChecklistStep { phase: clean(&phase), id, title: clean(&title), state, detail }
            })
            .collect(),
        None => incident
            .steps
            .keys()
            .map(|id| {
                let (state, detail) = step_state(id);
                ChecklistStep { phase: String::new(), id: id.clone(), title: id.clone(), state, detail }
            })
            .collect(),
    };

    let timeline = moments(entries)
        .into_iter()
        .zip(entries)
        .map(|(m, e)| TimelineEntry {
            at: m.at,
            kind: m.kind.to_string(),
            text: clean(&m.text),
            by: e.actor.as_ref().map(|a| clean(&format!("{}@{}", a.user, a.host))),
        })
        .collect();

    Ok(Postmortem {
        id: clean(&incident.id),
        title: incident.title.as_deref().map(clean),
        severity: incident.severity,
        severities: incident.severities.iter().map(|(at, s)| SeverityAt { at: *at, severity: *s }).collect(),
        started: incident.started,
        resolved: incident.resolved,
        time_to_acknowledge_secs: acknowledged,
        time_to_mitigate_secs: mitigated,
        time_to_resolve_secs: incident.resolved.map(since),
        target_secs: incident.severities.first().map_or(incident.severity, |s| s.1).target().num_seconds(),
        playbook: incident.playbook.clone(),
        summary: SUMMARY_TODO.to_string(),
        timeline,
        actions,
        checklist,
        notes: incident.notes.iter().map(|(at, t)| NoteAt { at: *at, text: clean(t) }).collect(),
        evidence,
    })
}

/// `1h 04m 09s`, `12m 03s`, `45s`.
fn duration(secs: i64) -> String {
    let s = secs.max(0);
    match (s / 3600, s / 60 % 60, s % 60) {
        (0, 0, s) => format!("{s}s"),
        (0, m, s) => format!("{m}m {s:02}s"),
        (h, m, s) => format!("{h}h {m:02}m {s:02}s"),
    }
}

fn utc(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// Text for a Markdown table cell: one line, pipes escaped.
fn cell(s: &str) -> String {
    s.replace('\\', "\\\\").replace('|', "\\|").replace('\n', "<br>")
}

/// The draft as GitHub Markdown.
pub fn markdown(p: &Postmortem) -> String {
    use std::fmt::Write as _;
    let mut o = String::new();
    let title = p.title.as_deref().unwrap_or(&p.id);
    let _ = writeln!(o, "# Postmortem: {} — {}\n", p.severity.label(), cell(title));
    let _ = writeln!(o, "| | |\n|---|---|");
    let _ = writeln!(o, "| Incident | `{}` |", p.id);
    let history: Vec<String> =
        p.severities.iter().map(|s| format!("{} at {}", s.severity.label(), utc(s.at))).collect();
    let _ = writeln!(o, "| Severity | {} |", history.join(" → "));
    if let Some(pb) = &p.playbook {
        let _ = writeln!(o, "| Playbook | `{pb}` |");
    }
    let _ = writeln!(o, "| Started | {} |", utc(p.started));
    match p.resolved {
        Some(r) => {
            let _ = writeln!(o, "| Resolved | {} |", utc(r));
        }
        None => {
            let _ = writeln!(o, "| Resolved | not yet (still running when exported) |");
        }
    }
    let after = |s: Option<i64>| s.map_or_else(|| "—".to_string(), duration);
    let _ = writeln!(o, "| Time to acknowledge | {} |", after(p.time_to_acknowledge_secs));
    let _ = writeln!(o, "| Time to mitigate | {} |", after(p.time_to_mitigate_secs));
    let verdict = match p.time_to_resolve_secs {
        Some(s) if s <= p.target_secs => " (within the target)",
        Some(_) => " (past the target)",
        None => "",
    };
    let _ = writeln!(
        o,
        "| Time to resolve | {}{verdict}; target {} |",
        after(p.time_to_resolve_secs),
        duration(p.target_secs)
    );

    let _ = writeln!(o, "\n## Summary\n\n{}", p.summary);

    let _ = writeln!(o, "\n## Timeline (UTC)\n\n| Time | What | |\n|---|---|---|");
    for t in &p.timeline {
        let _ = writeln!(o, "| {} | {} | {} |", t.at.format("%H:%M:%S"), t.kind, cell(&t.text));
    }

    let _ = writeln!(o, "\n## Actions taken\n");
    if p.actions.is_empty() {
        let _ = writeln!(o, "None.");
    } else {
        let _ = writeln!(o, "| # | Action | Risk | Outcome | Command |\n|---|---|---|---|---|");
        for a in &p.actions {
            let outcome = if a.detail.is_empty() { a.outcome.clone() } else { format!("{}: {}", a.outcome, a.detail) };
            let _ = writeln!(
                o,
                "| {} | {} {} ({}) | {} | {} | `{}` |",
                a.id,
                cell(&a.title),
                cell(&a.target),
                a.requested.format("%H:%M:%S"),
                a.risk.label(),
                cell(&outcome),
                a.command.replace('`', "'").replace('|', "\\|")
            );
        }
    }

    let _ = writeln!(o, "\n## Checklist at resolution\n");
    let mut phase = None;
    for s in &p.checklist {
        if phase != Some(&s.phase) && !s.phase.is_empty() {
            let _ = writeln!(o, "{}**{}**\n", if phase.is_some() { "\n" } else { "" }, cell(&s.phase));
        }
        phase = Some(&s.phase);
        let mark = if matches!(s.state.as_str(), "done" | "passing" | "skipped") { "x" } else { " " };
        let detail = if s.detail.is_empty() { String::new() } else { format!(": {}", cell(&s.detail)) };
        let _ = writeln!(o, "- [{mark}] {} — {}{detail}", cell(&s.title), s.state);
    }

    let _ = writeln!(o, "\n## Notes\n");
    if p.notes.is_empty() {
        let _ = writeln!(o, "None.");
    }
    for n in &p.notes {
        let _ = writeln!(o, "**{}**\n", n.at.format("%H:%M:%S UTC"));
        for line in n.text.lines() {
            let _ = writeln!(o, "> {line}");
        }
        o.push('\n');
    }

    let _ = writeln!(o, "## Evidence\n");
    if p.evidence.is_empty() {
        let _ = writeln!(o, "None.");
    } else {
        let _ = writeln!(o, "| File | Bytes | SHA-256 |\n|---|---|---|");
        for e in &p.evidence {
            let _ = writeln!(o, "| `{}` | {} | `{}` |", e.path.replace('`', "'"), e.bytes, e.sha256);
        }
    }
    o
}

#[cfg(test)]
mod tests;
