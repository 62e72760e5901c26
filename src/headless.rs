//! `warroom check PLAYBOOK`: every check step of a playbook run headless
//! against the live state (or the demo's), once the feeds the checks need
//! have synced; read-only command steps too when asked. A report in
//! Markdown or JSON, and an exit status for cron and CI: 1 when a check
//! fails (a failure is known whatever the others could not tell), else 2
//! when one could not tell (a feed that never synced) or on error, else
//! 0.

use std::collections::BTreeSet;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;
use tokio::sync::mpsc;

use crate::actions::local::LocalExecutor;
use crate::actions::{Action, ActionKind, Executor, Risk, Scope};
use crate::playbook::{CheckResult, Playbook, StepKind, check};
use crate::sanitize::sanitize;
use crate::state::{FeedId, FeedStatus, LiveState, SourceUpdate};

/// What one step came to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StepReport {
    pub phase: String,
    pub step: String,
    pub title: String,
    /// `check`, `command`, `script`, `manual` or `action`.
    pub kind: &'static str,
    /// `pass`, `fail`, `unknown`, or `not run` for what runs only by hand
    /// (or without `--run-commands`).
    pub result: String,
    pub why: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    pub playbook: String,
    pub title: String,
    pub at: DateTime<Utc>,
    /// Feeds the checks needed that never synced.
    pub unsynced: Vec<String>,
    pub steps: Vec<StepReport>,
}

impl Report {
    /// 1 one failed, else 2 one could not tell, else 0 (all passed).
    pub fn exit_code(&self) -> u8 {
        let any = |r: &str| self.steps.iter().any(|s| s.result == r);
        if any("fail") {
            1
        } else if any("unknown") || !self.unsynced.is_empty() {
            2
        } else {
            0
        }
    }

    pub fn counts(&self) -> (usize, usize, usize) {
        let n = |r: &str| self.steps.iter().filter(|s| s.result == r).count();
        (n("pass"), n("fail"), n("unknown"))
    }

    /// A Markdown report: a summary line, then one table row per step.
    pub fn markdown(&self) -> String {
        let (pass, fail, unknown) = self.counts();
        let mut out = format!(
            "# {} — {}\n\n{} UTC · {pass} passed · {fail} failed · {unknown} unknown\n",
            md(&self.title),
            md(&self.playbook),
            self.at.format("%Y-%m-%d %H:%M:%S")
        );
        if !self.unsynced.is_empty() {
            out.push_str(&format!("\nNever synced: {}\n", md(&self.unsynced.join(", "))));
        }
        out.push_str("\n| | Phase | Step | Result | Why |\n|---|---|---|---|---|\n");
        for s in &self.steps {
            let mark = match s.result.as_str() {
                "pass" => "✓",
                "fail" => "✗",
                "unknown" => "?",
                _ => "·",
            };
            out.push_str(&format!(
                "| {mark} | {} | {} | {} | {} |\n",
                md(&s.phase),
                md(&s.title),
                s.result,
                md(&s.why)
            ));
        }
        out
    }

    pub fn json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }
}

/// Text for a Markdown table cell: clean, pipes escaped, on one line.
fn md(s: &str) -> String {
    sanitize(s).replace('|', "\\|").replace('\n', " ")
}

/// The feeds `playbook`'s checks read.
pub fn needed_feeds(playbook: &Playbook) -> BTreeSet<FeedId> {
    playbook
        .steps()
        .filter_map(|s| match &s.kind {
            StepKind::Check(spec) => Some(spec.feeds()),
            _ => None,
        })
        .flatten()
        .copied()
        .collect()
}

/// Whether every feed in `needed` is live with data.
pub fn synced(live: &LiveState, needed: &BTreeSet<FeedId>, now: DateTime<Utc>) -> bool {
    needed
        .iter()
        .all(|f| live.feeds.get(*f).is_some_and(|feed| feed.has_data() && feed.status(now) == FeedStatus::Live))
}

/// Applies updates from `rx` until the needed feeds have synced or
/// `timeout` passes; the feeds that had not.
pub async fn wait_for_sync(
    live: &mut LiveState,
    rx: &mut mpsc::Receiver<SourceUpdate>,
    needed: &BTreeSet<FeedId>,
    timeout: Duration,
    now: impl Fn() -> DateTime<Utc>,
) -> Vec<String> {
    let deadline = tokio::time::Instant::now() + timeout;
    while !synced(live, needed, now()) {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(u)) => {
                live.apply(u);
            }
            Ok(None) | Err(_) => break,
        }
    }
    // What else is already waiting (a second page, the metrics).
    while let Ok(u) = rx.try_recv() {
        live.apply(u);
    }
    let at = now();
    needed
        .iter()
        .filter(|f| !live.feeds.get(**f).is_some_and(|feed| feed.has_data() && feed.status(at) == FeedStatus::Live))
        .map(|f| f.label().to_string())
        .collect()
}

/// Runs `playbook`'s checks against `live` at `now` (and, with
/// `run_commands`, its read-only command and script steps).
pub async fn report(
    playbook: &Playbook,
    live: &LiveState,
    now: DateTime<Utc>,
    unsynced: Vec<String>,
    run_commands: bool,
) -> Report {
    let mut steps = Vec::new();
    for phase in &playbook.phases {
        for s in &phase.steps {
            let row = |kind, result: &str, why: String| StepReport {
                phase: phase.name.clone(),
                step: s.id.clone(),
                title: s.title.clone(),
                kind,
                result: result.to_string(),
                why,
            };
            steps.push(match &s.kind {
                StepKind::Check(spec) => match check(spec, live, now) {
                    CheckResult::Pass(why) => row("check", "pass", why),
                    CheckResult::Fail(why) => row("check", "fail", why),
                    CheckResult::Unknown(why) => row("check", "unknown", why),
                },
                StepKind::Command(_) | StepKind::Script(_) => {
                    let name = if matches!(s.kind, StepKind::Command(_)) { "command" } else { "script" };
                    match s.program() {
                        Some((kind, risk)) => program(row, name, kind, risk, run_commands).await,
                        None => row(name, "not run", String::new()),
                    }
                }
                StepKind::Manual => row("manual", "not run", "by hand".into()),
                StepKind::Action(_) => row("action", "not run", "by hand, in the console".into()),
            });
        }
    }
    Report { playbook: playbook.id.clone(), title: playbook.title.clone(), at: now, unsynced, steps }
}

/// A command or script step: run when asked to and only if it reads.
async fn program(
    row: impl Fn(&'static str, &str, String) -> StepReport,
    kind_name: &'static str,
    kind: ActionKind,
    risk: Risk,
    run_commands: bool,
) -> StepReport {
    if !run_commands {
        return row(kind_name, "not run", "pass --run-commands to run read-only commands".into());
    }
    if risk != Risk::Read {
        return row(kind_name, "not run", format!("risk {}: only read steps run headless", risk.label()));
    }
    match LocalExecutor.execute(Action { kind, scope: Scope::default() }).await {
        Ok(done) => row(kind_name, "pass", done.message),
        Err(e) => row(kind_name, "fail", e.to_string()),
    }
}

#[cfg(test)]
mod tests;
