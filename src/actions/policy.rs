//! Who may confirm what, and how: pure functions of the action, the
//! session's mode and what was typed, used by the confirmation dialog and
//! (later) by playbook steps alike.

use super::{Action, Risk};

/// Mode flags from the command line and the palette.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Flags {
    pub read_only: bool,
    /// Set by `--read-only`: the palette cannot turn it off.
    pub read_only_locked: bool,
    pub dry_run: bool,
}

/// How an action is confirmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Confirmation {
    /// The confirm key (`y`); anything else cancels.
    Key,
    /// The target's name typed exactly (destructive actions).
    TypeName(String),
}

pub fn confirmation(action: &Action) -> Confirmation {
    match action.risk() {
        Risk::Destructive => Confirmation::TypeName(action.target().to_string()),
        Risk::Read | Risk::Change => Confirmation::Key,
    }
}

/// What confirming does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Execute,
    /// Recorded as confirmed, not executed (`--dry-run`).
    DryRun,
}

/// Why a confirmation is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("read-only mode: mutating actions are disabled (preview only)")]
    ReadOnly,
    #[error("type exactly `{expected}` to confirm")]
    NameMismatch { expected: String },
}

/// Why `action` cannot run in this mode at all, if it cannot.
pub fn blocked(action: &Action, flags: Flags) -> Option<Refusal> {
    (flags.read_only && action.risk().mutates()).then_some(Refusal::ReadOnly)
}

/// Whether `typed` confirms `action`: the target's name, ignoring
/// surrounding whitespace and a pasted trailing newline. Always true for
/// actions confirmed by key.
pub fn typed_matches(action: &Action, typed: &str) -> bool {
    match confirmation(action) {
        Confirmation::Key => true,
        Confirmation::TypeName(name) => typed.trim() == name,
    }
}

/// The decision when the engineer confirms `action` having typed `typed`
/// (empty for key confirmations).
pub fn decide(action: &Action, flags: Flags, typed: &str) -> Result<Verdict, Refusal> {
    if let Some(r) = blocked(action, flags) {
        return Err(r);
    }
    if !typed_matches(action, typed) {
        return Err(Refusal::NameMismatch { expected: action.target().to_string() });
    }
    Ok(if flags.dry_run && action.risk().mutates() { Verdict::DryRun } else { Verdict::Execute })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::{ActionKind, Scope};

    fn action(kind: ActionKind) -> Action {
        Action { kind, scope: Scope::default() }
    }

    #[test]
    fn the_mode_and_the_risk_decide() {
        let logs = action(ActionKind::CollectLogs { namespace: "shop".into(), pod: "p".into() });
        let restart = action(ActionKind::RolloutRestart { namespace: "shop".into(), deployment: "backend".into() });
        let delete = action(ActionKind::DeletePod { namespace: "shop".into(), pod: "backend-1".into() });
        let normal = Flags::default();
        let read_only = Flags { read_only: true, ..normal };
        let dry = Flags { dry_run: true, ..normal };
        assert_eq!(decide(&logs, read_only, ""), Ok(Verdict::Execute), "reading is allowed in read-only");
        assert_eq!(decide(&logs, dry, ""), Ok(Verdict::Execute), "reading runs in dry-run");
        assert_eq!(decide(&restart, read_only, ""), Err(Refusal::ReadOnly));
        assert_eq!(decide(&restart, dry, ""), Ok(Verdict::DryRun));
        assert_eq!(decide(&restart, normal, ""), Ok(Verdict::Execute));
        assert_eq!(confirmation(&delete), Confirmation::TypeName("backend-1".into()));
        assert_eq!(decide(&delete, normal, "backend-"), Err(Refusal::NameMismatch { expected: "backend-1".into() }));
        assert_eq!(decide(&delete, normal, " backend-1\n"), Ok(Verdict::Execute));
        assert_eq!(decide(&delete, read_only, "backend-1"), Err(Refusal::ReadOnly), "read-only wins");
    }
}
