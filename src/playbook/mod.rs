//! Playbooks: severity checklists and routines as TOML files, their steps
//! (read and tick, checks against live state, actions, commands, scripts)
//! and the named checks. Built-ins live in `playbooks/` and are embedded;
//! files in the config dir's `playbooks/` add playbooks or replace a
//! built-in of the same id. A bad file is an error naming its path, line,
//! column and field, before the terminal is touched.

pub mod check;
pub mod import;

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

pub use check::{CheckResult, CheckSpec, check, offender};

use crate::actions::Risk;
use crate::config::{FileError, Source};
use crate::incident::Severity;

/// The built-in playbooks, by file name.
pub const BUILTIN: &[(&str, &str)] = &[
    ("p1", include_str!("../../playbooks/p1.toml")),
    ("p2", include_str!("../../playbooks/p2.toml")),
    ("p3", include_str!("../../playbooks/p3.toml")),
    ("p4", include_str!("../../playbooks/p4.toml")),
    ("daily", include_str!("../../playbooks/daily.toml")),
    ("crashloop", include_str!("../../playbooks/crashloop.toml")),
    ("db-connections", include_str!("../../playbooks/db-connections.toml")),
    ("high-memory", include_str!("../../playbooks/high-memory.toml")),
    ("rds-failure", include_str!("../../playbooks/rds-failure.toml")),
    ("data-breach", include_str!("../../playbooks/data-breach.toml")),
    ("scale-to-zero", include_str!("../../playbooks/scale-to-zero.toml")),
    ("cloudtrail-kms", include_str!("../../playbooks/cloudtrail-kms.toml")),
];

/// What a playbook is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// An incident at this severity.
    Incident(Severity),
    /// A routine walked through without an incident (the daily check).
    Routine,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Playbook {
    pub id: String,
    pub title: String,
    pub purpose: Purpose,
    /// When to use it, in words.
    pub summary: String,
    /// Alarm-name prefixes this playbook answers (`orders-db-`): starting
    /// an incident from such an alarm proposes it.
    pub alarms: Vec<String>,
    pub phases: Vec<Phase>,
    /// The file it came from (`<builtin>/playbooks/p1.toml` for a
    /// built-in).
    pub path: std::path::PathBuf,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Phase {
    pub name: String,
    /// How long after the start this phase should be done, if the
    /// runbook says.
    pub within_mins: Option<u32>,
    pub steps: Vec<Step>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// Unique within the playbook: what the incident record names.
    pub id: String,
    pub title: String,
    /// Guidance to read.
    pub text: String,
    pub kind: StepKind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum StepKind {
    /// Read and tick.
    Manual,
    /// Ticks itself while the check passes.
    Check(CheckSpec),
    /// One of the console's typed actions.
    Action(ActionStep),
    /// A program and its arguments, run without a shell.
    Command(CommandStep),
    /// A shell script, shown verbatim before it runs.
    Script(ScriptStep),
}

/// An action a step runs. Each parameter is a literal value, `"selected"`
/// (the selected item of the panel the action concerns) or `"ask"` (typed
/// when the step runs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionStep {
    pub name: ActionName,
    pub params: BTreeMap<String, ParamValue>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParamValue {
    Literal(String),
    Selected,
    Ask,
}

/// The actions a step can name, with the parameters each takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionName {
    CollectLogs,
    CollectDeploymentLogs,
    RolloutRestart,
    Scale,
    RestoreScale,
    DeletePod,
    IsolateNamespace,
    LiftIsolation,
    RebootDb,
    FailoverDb,
    FailoverCluster,
    SnapshotDb,
    PromoteReplica,
    DisableAlarmActions,
    EnableAlarmActions,
    ExportTrail,
}

impl ActionName {
    /// (required, optional) parameters.
    pub fn params(self) -> (&'static [&'static str], &'static [&'static str]) {
        match self {
            ActionName::CollectLogs | ActionName::DeletePod => (&["namespace", "pod"], &[]),
            ActionName::CollectDeploymentLogs | ActionName::RolloutRestart | ActionName::RestoreScale => {
                (&["namespace", "deployment"], &[])
            }
            ActionName::Scale => (&["namespace", "deployment", "replicas"], &[]),
            ActionName::IsolateNamespace | ActionName::LiftIsolation => (&["namespace"], &[]),
            ActionName::RebootDb | ActionName::FailoverDb | ActionName::SnapshotDb | ActionName::PromoteReplica => {
                (&["instance"], &[])
            }
            ActionName::FailoverCluster => (&["cluster"], &["to"]),
            ActionName::DisableAlarmActions | ActionName::EnableAlarmActions => (&["alarm"], &[]),
            ActionName::ExportTrail => (&[], &["window"]),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandStep {
    pub argv: Vec<String>,
    pub timeout_secs: u64,
    pub risk: Risk,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptStep {
    pub script: String,
    pub timeout_secs: u64,
    pub risk: Risk,
    /// Imported from a runbook and not yet reviewed by a person.
    pub review: bool,
}

/// The most a command or script may run.
pub const MAX_TIMEOUT_SECS: u64 = 3600;
const DEFAULT_TIMEOUT_SECS: u64 = 60;

// ---- the file format ----

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    id: Spanned<String>,
    title: String,
    severity: Option<Spanned<Severity>>,
    kind: Option<Spanned<String>>,
    #[serde(default)]
    summary: String,
    #[serde(default)]
    alarms: Vec<String>,
    #[serde(default)]
    phase: Vec<PhaseFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PhaseFile {
    name: Spanned<String>,
    within_mins: Option<u32>,
    #[serde(default)]
    step: Vec<StepFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StepFile {
    id: Spanned<String>,
    title: String,
    #[serde(default)]
    text: String,
    check: Option<Spanned<CheckSpec>>,
    action: Option<Spanned<toml::Table>>,
    command: Option<Spanned<CommandFile>>,
    script: Option<Spanned<ScriptFile>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CommandFile {
    argv: Vec<String>,
    timeout_secs: Option<u64>,
    risk: RiskName,
}

/// `risk = "read" | "change" | "destructive"`.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "lowercase")]
enum RiskName {
    Read,
    Change,
    Destructive,
}

impl From<RiskName> for Risk {
    fn from(r: RiskName) -> Risk {
        match r {
            RiskName::Read => Risk::Read,
            RiskName::Change => Risk::Change,
            RiskName::Destructive => Risk::Destructive,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ScriptFile {
    script: String,
    timeout_secs: Option<u64>,
    #[serde(default = "change")]
    risk: RiskName,
    #[serde(default)]
    review: bool,
}

fn change() -> RiskName {
    RiskName::Change
}

impl Playbook {
    /// Parses and validates one playbook file.
    pub fn parse(src: &Source) -> Result<Playbook, FileError> {
        let file: File = src.parse()?;
        let at = |offset: usize, msg: String| src.error_at(offset, msg);
        let id = file.id.get_ref().clone();
        if !valid_id(&id) {
            return Err(at(file.id.span().start, format!("id `{id}`: use lower-case letters, digits and `-`")));
        }
        let purpose = match (&file.severity, &file.kind) {
            (Some(s), None) => Purpose::Incident(*s.get_ref()),
            (None, Some(k)) if k.get_ref() == "routine" => Purpose::Routine,
            (None, Some(k)) => {
                return Err(at(k.span().start, format!("kind must be \"routine\", not \"{}\"", k.get_ref())));
            }
            (Some(s), Some(_)) => {
                return Err(at(s.span().start, "give either severity or kind = \"routine\", not both".into()));
            }
            (None, None) => {
                return Err(at(
                    file.id.span().start,
                    "missing field `severity` (P1–P4) or `kind = \"routine\"`".into(),
                ));
            }
        };
        if file.phase.is_empty() {
            return Err(at(file.id.span().start, "a playbook needs at least one [[phase]]".into()));
        }
        let mut ids = HashSet::new();
        let mut phases = Vec::new();
        for p in file.phase {
            if p.step.is_empty() {
                return Err(at(p.name.span().start, format!("phase `{}` has no [[phase.step]]", p.name.get_ref())));
            }
            let mut steps = Vec::new();
            for s in p.step {
                let sid = s.id.get_ref().clone();
                if !valid_id(&sid) {
                    return Err(at(
                        s.id.span().start,
                        format!("step id `{sid}`: use lower-case letters, digits and `-`"),
                    ));
                }
                if !ids.insert(sid.clone()) {
                    return Err(at(s.id.span().start, format!("step id `{sid}` is used twice")));
                }
                steps.push(Step { id: sid, title: s.title.clone(), text: s.text.clone(), kind: step_kind(src, s)? });
            }
            phases.push(Phase { name: p.name.into_inner(), within_mins: p.within_mins, steps });
        }
        Ok(Playbook {
            id,
            title: file.title,
            purpose,
            summary: file.summary,
            alarms: file.alarms,
            phases,
            path: src.path.clone(),
        })
    }

    pub fn severity(&self) -> Option<Severity> {
        match self.purpose {
            Purpose::Incident(s) => Some(s),
            Purpose::Routine => None,
        }
    }

    /// Every step, in order.
    pub fn steps(&self) -> impl Iterator<Item = &Step> {
        self.phases.iter().flat_map(|p| &p.steps)
    }

    pub fn step(&self, id: &str) -> Option<&Step> {
        self.steps().find(|s| s.id == id)
    }
}

impl Step {
    /// The action a command or script step runs, and its risk; `None` for
    /// other steps.
    pub fn program(&self) -> Option<(crate::actions::ActionKind, Risk)> {
        use crate::actions::ActionKind;
        let step = self.id.clone();
        match &self.kind {
            StepKind::Command(c) => Some((
                ActionKind::RunCommand { step, argv: c.argv.clone(), timeout_secs: c.timeout_secs, risk: c.risk },
                c.risk,
            )),
            StepKind::Script(s) => Some((
                ActionKind::RunScript { step, script: s.script.clone(), timeout_secs: s.timeout_secs, risk: s.risk },
                s.risk,
            )),
            _ => None,
        }
    }
}

fn valid_id(id: &str) -> bool {
    !id.is_empty() && id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// The one kind a step file gives, validated.
fn step_kind(src: &Source, s: StepFile) -> Result<StepKind, FileError> {
    let given = [s.check.is_some(), s.action.is_some(), s.command.is_some(), s.script.is_some()];
    if given.iter().filter(|g| **g).count() > 1 {
        return Err(src.error_at(
            s.id.span().start,
            format!("step `{}`: give one of check, action, command or script", s.id.get_ref()),
        ));
    }
    let timeout = |t: Option<u64>, offset: usize| match t {
        None => Ok(DEFAULT_TIMEOUT_SECS),
        Some(t) if (1..=MAX_TIMEOUT_SECS).contains(&t) => Ok(t),
        Some(t) => Err(src.error_at(offset, format!("timeout_secs must be 1..={MAX_TIMEOUT_SECS}, not {t}"))),
    };
    if let Some(c) = s.check {
        let offset = c.span().start;
        let spec = c.into_inner();
        spec.validate().map_err(|e| src.error_at(offset, format!("check {}: {e}", check_name(&spec))))?;
        return Ok(StepKind::Check(spec));
    }
    if let Some(a) = s.action {
        let offset = a.span().start;
        return action_step(a.into_inner()).map(StepKind::Action).map_err(|e| src.error_at(offset, e));
    }
    if let Some(c) = s.command {
        let offset = c.span().start;
        let c = c.into_inner();
        if c.argv.first().is_none_or(String::is_empty) {
            return Err(src.error_at(offset, "command.argv needs a program".to_string()));
        }
        return Ok(StepKind::Command(CommandStep {
            argv: c.argv,
            timeout_secs: timeout(c.timeout_secs, offset)?,
            risk: c.risk.into(),
        }));
    }
    if let Some(sc) = s.script {
        let offset = sc.span().start;
        let sc = sc.into_inner();
        if sc.script.trim().is_empty() {
            return Err(src.error_at(offset, "script.script is empty".to_string()));
        }
        return Ok(StepKind::Script(ScriptStep {
            script: sc.script,
            timeout_secs: timeout(sc.timeout_secs, offset)?,
            risk: sc.risk.into(),
            review: sc.review,
        }));
    }
    Ok(StepKind::Manual)
}

fn check_name(spec: &CheckSpec) -> String {
    toml::Value::try_from(spec)
        .ok()
        .and_then(|v| v.get("name").and_then(|n| n.as_str()).map(str::to_string))
        .unwrap_or_default()
}

/// `action = { name = "rollout_restart", namespace = "shop", deployment =
/// "selected" }`: the name and its parameters, each known to the action.
fn action_step(mut table: toml::Table) -> Result<ActionStep, String> {
    let name = table.remove("name").ok_or("action: missing field `name`")?;
    let name: ActionName = name.try_into().map_err(|e: toml::de::Error| format!("action.name: {}", e.message()))?;
    let (required, optional) = name.params();
    let mut params = BTreeMap::new();
    for (k, v) in table {
        if !required.contains(&k.as_str()) && !optional.contains(&k.as_str()) {
            let all: Vec<&str> = required.iter().chain(optional).copied().collect();
            return Err(format!(
                "action: unknown field `{k}`, expected {}",
                if all.is_empty() { "none".to_string() } else { all.join(", ") }
            ));
        }
        let value = match v {
            toml::Value::String(s) if s == "selected" => ParamValue::Selected,
            toml::Value::String(s) if s == "ask" => ParamValue::Ask,
            toml::Value::String(s) => ParamValue::Literal(s),
            toml::Value::Integer(n) => ParamValue::Literal(n.to_string()),
            other => return Err(format!("action.{k}: expected a string or a number, not {}", other.type_str())),
        };
        params.insert(k, value);
    }
    if let Some(missing) = required.iter().find(|r| !params.contains_key(**r)) {
        return Err(format!("action: missing field `{missing}` (a value, \"selected\" or \"ask\")"));
    }
    Ok(ActionStep { name, params })
}

/// The built-in playbooks and the config dir's, by id: a user file with a
/// built-in's id replaces it. Ordered by purpose (P1 first, routines
/// last), then id.
pub fn load(config_dir: Option<&Path>) -> Result<Vec<Playbook>, FileError> {
    let mut all: BTreeMap<String, Playbook> = BTreeMap::new();
    for (name, text) in BUILTIN {
        let p = Playbook::parse(&Source::builtin("playbooks", name, text))?;
        all.insert(p.id.clone(), p);
    }
    if let Some(dir) = config_dir.map(|d| d.join("playbooks"))
        && let Ok(entries) = std::fs::read_dir(&dir)
    {
        let mut files: Vec<_> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "toml"))
            .collect();
        files.sort();
        let mut seen: BTreeMap<String, std::path::PathBuf> = BTreeMap::new();
        for path in files {
            let src = Source::read(&path)?;
            let p = Playbook::parse(&src)?;
            if let Some(other) = seen.insert(p.id.clone(), path.clone()) {
                return Err(FileError::whole(
                    &path,
                    format!("playbook id `{}` is also used by {}", p.id, other.display()),
                ));
            }
            all.insert(p.id.clone(), p);
        }
    }
    let mut out: Vec<Playbook> = all.into_values().collect();
    out.sort_by_key(|p| (p.severity().map_or(u8::MAX, |s| s as u8), p.id.clone()));
    Ok(out)
}

#[cfg(test)]
mod tests;
