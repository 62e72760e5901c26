//! The action menu and the confirmation dialog: which actions an item
//! offers, what confirming takes, and recording the request and the answer.

use super::overlay::move_cursor;
use super::*;

/// A confirmation dialog for one already-built action.
#[derive(Debug, Clone)]
pub struct Confirm {
    /// The id its request was recorded under.
    pub id: u64,
    pub action: Action,
    /// The type-the-name field, for destructive actions.
    pub typed: Option<TextArea<'static>>,
    /// Why confirming is refused right now (read-only, wrong name).
    pub refusal: Option<String>,
}

impl Confirm {
    pub fn typed_text(&self) -> Option<String> {
        self.typed.as_ref().map(|t| t.lines().join("\n"))
    }

    /// Whether the typed name is the target's. Surrounding whitespace and a
    /// pasted trailing newline do not count.
    pub fn typed_matches(&self) -> bool {
        policy::typed_matches(&self.action, &self.typed_text().unwrap_or_default())
    }
}

impl App {
    pub(super) fn open_action_menu(&mut self) {
        match self.menu_for(self.focus) {
            None => self.notice = Some("Nothing selected".into()),
            Some((_, a)) if a.is_empty() => {
                self.notice = Some(format!("No actions for {} items", self.focus.title()));
            }
            Some((item, actions)) => {
                self.overlay = Some(Overlay::ActionMenu { item, actions, selected: 0, origin: Origin::Menu });
            }
        }
    }

    /// What `panel`'s selected item is called and the actions valid for
    /// it; `None` with nothing selected.
    pub(super) fn menu_for(&self, panel: PanelId) -> Option<(String, Vec<Action>)> {
        let scope = self.scope();
        match panel {
            PanelId::Pods => self.pods().selected().map(|p| {
                let deployment =
                    p.deployment.as_ref().and_then(|d| self.live.deployments.get(&format!("{}/{d}", p.namespace)));
                (format!("pod {}", p.key()), actions::for_pod(p, deployment, &scope))
            }),
            PanelId::Rds => {
                let stamp = self.now.format("%Y%m%d-%H%M%S").to_string();
                let all: Vec<&DbInstance> = self.live.dbs.values().map(|d| &d.instance).collect();
                self.dbs().selected().map(|d| {
                    let d = &d.instance;
                    (format!("RDS {} {}", d.role(), d.id), actions::for_db(d, &all, &stamp, &scope))
                })
            }
            PanelId::Alarms => {
                self.alarms().selected().map(|a| (format!("alarm {}", a.name), actions::for_alarm(a, &scope)))
            }
            PanelId::Trail => {
                let window = self.trail_rows.window();
                let label = super::trail_rows::window_label(window);
                Some((format!("CloudTrail, the last {label}"), actions::for_trail(self.now, window, &label, &scope)))
            }
            PanelId::Checklist => Some((String::new(), Vec::new())),
        }
    }

    pub(super) fn run_action_menu(&mut self, cmd: Command) -> Vec<Effect> {
        let Some(Overlay::ActionMenu { actions, selected, origin, .. }) = &mut self.overlay else { return Vec::new() };
        if move_cursor(selected, actions.len(), cmd) {
            return Vec::new();
        }
        match cmd {
            Command::Close | Command::Cancel => self.overlay = None,
            Command::Select | Command::Submit => {
                if let Some(action) = actions.get(*selected).cloned() {
                    let origin = origin.clone();
                    return self.open_confirm(action, origin);
                }
            }
            _ => {}
        }
        Vec::new()
    }

    /// Opens the confirmation dialog for an action built beforehand and
    /// records the request.
    pub fn open_confirm(&mut self, action: Action, origin: Origin) -> Vec<Effect> {
        let typed = match policy::confirmation(&action) {
            Confirmation::TypeName(name) => {
                let mut t = TextArea::default();
                t.set_placeholder_text(format!("type {name} to confirm"));
                Some(t)
            }
            Confirmation::Key => None,
        };
        let id = self.next_id.max(self.record.next_action_id());
        self.next_id = id + 1;
        let request = IncidentEvent::ActionRequested { action_id: id, action: action.clone(), origin };
        self.overlay = Some(Overlay::Confirm(Box::new(Confirm { id, action, typed, refusal: None })));
        vec![Effect::Record(request)]
    }

    /// Why the action cannot run in the current mode, if it cannot.
    pub fn blocked_reason(&self, action: &Action) -> Option<String> {
        policy::blocked(action, self.flags).map(|r| r.to_string())
    }

    pub(super) fn run_confirm(&mut self, cmd: Command) -> Vec<Effect> {
        let Some(Overlay::Confirm(c)) = &self.overlay else { return Vec::new() };
        let wants_run = match (&c.typed, cmd) {
            (Some(_), Command::Submit) => true,
            (None, Command::Confirm) => true,
            (_, Command::Cancel | Command::Close) => return self.cancel_confirm(),
            _ => false,
        };
        if !wants_run {
            return Vec::new();
        }
        match policy::decide(&c.action, self.flags, &c.typed_text().unwrap_or_default()) {
            Err(refusal) => {
                if let Some(Overlay::Confirm(c)) = &mut self.overlay {
                    c.refusal = Some(refusal.to_string());
                }
                Vec::new()
            }
            Ok(verdict) => {
                let action_id = c.id;
                self.overlay = None;
                // Executed once this is recorded (see `on_recorded`).
                vec![Effect::Record(IncidentEvent::ActionConfirmed { action_id, dry_run: verdict == Verdict::DryRun })]
            }
        }
    }

    pub(super) fn cancel_confirm(&mut self) -> Vec<Effect> {
        match self.overlay.take() {
            Some(Overlay::Confirm(c)) => vec![Effect::Record(IncidentEvent::ActionCancelled { action_id: c.id })],
            other => {
                self.overlay = other;
                Vec::new()
            }
        }
    }

    /// Text currently typed in a destructive confirmation, for tests.
    pub fn confirm_typed(&self) -> Option<String> {
        match &self.overlay {
            Some(Overlay::Confirm(c)) => c.typed_text(),
            _ => None,
        }
    }
}
