//! The checklist pane's state: the running incident's playbook, its
//! check steps evaluated against the live state, and the step selected.
//! Check results that change during an incident are recorded; ticks and
//! skips are incident events like everything else.

use std::collections::BTreeMap;

use super::*;
use crate::actions::ActionKind;
use crate::incident::StepState;
use crate::playbook::{ActionName, ActionStep, CheckResult, ParamValue, Playbook, Step, StepKind};

/// The playbook an incident of `severity` follows unless another is
/// chosen: `p1` … `p4`.
pub fn severity_playbook(severity: Severity) -> String {
    severity.label().to_lowercase()
}

/// A line of the start-incident dialog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IncidentChoice {
    /// This severity, with its own checklist.
    Severity(Severity),
    /// A scenario playbook, at its severity.
    Playbook { id: String, severity: Severity },
}

/// The checklist's selection and the last results of its checks.
#[derive(Debug, Clone, Default)]
pub struct Checklist {
    /// The selected step's index among the playbook's steps.
    pub selected: usize,
    /// Each check step's result as last evaluated, by step id.
    pub results: BTreeMap<String, CheckResult>,
    /// A routine walked without an incident (`warroom check daily`).
    pub routine: Option<String>,
    /// The routine's ticks and skips (an incident records its own).
    pub routine_steps: BTreeMap<String, StepState>,
    /// Check results asked to be recorded and not recorded yet: asked
    /// once, not again at every evaluation meanwhile.
    pending: BTreeMap<String, CheckResult>,
}

impl Checklist {
    /// A check change was recorded (or could not be): ask again if it
    /// still differs.
    pub(super) fn forget_pending(&mut self, step: &str) {
        self.pending.remove(step);
    }

    /// Nothing is waiting to be recorded (the record was replaced).
    pub(super) fn forget_all_pending(&mut self) {
        self.pending.clear();
    }
}

impl App {
    pub fn playbook(&self, id: &str) -> Option<&Playbook> {
        self.playbooks.iter().find(|p| p.id == id)
    }

    /// The playbook the running incident follows, else the routine being
    /// walked.
    pub fn active_playbook(&self) -> Option<&Playbook> {
        match self.incident() {
            Some(i) => i.playbook.as_deref().and_then(|id| self.playbook(id)),
            None => self.checklist.routine.as_deref().and_then(|id| self.playbook(id)),
        }
    }

    /// Walks `playbook` without an incident: its checks show live, its
    /// ticks and skips are kept for the session.
    pub fn walk_routine(&mut self, playbook: &str) {
        self.checklist.routine = Some(playbook.to_string());
        self.checklist.routine_steps.clear();
        self.checklist.selected = 0;
        self.focus(PanelId::Checklist);
        let _ = self.evaluate_checks();
    }

    /// Where step `id` stands: as the incident recorded it, or in the
    /// routine.
    pub fn step_state(&self, id: &str) -> Option<&StepState> {
        match self.incident() {
            Some(i) => i.steps.get(id),
            None => self.checklist.routine_steps.get(id),
        }
    }

    /// Records `event` during an incident; in a routine, applies it to the
    /// routine's own steps.
    fn step_event(&mut self, event: IncidentEvent) -> Vec<Effect> {
        if self.incident().is_some() {
            return vec![Effect::Record(event)];
        }
        let now = self.now;
        let entry =
            |id: &str, steps: &mut BTreeMap<String, StepState>| -> StepState { steps.remove(id).unwrap_or_default() };
        let steps = &mut self.checklist.routine_steps;
        match event {
            IncidentEvent::StepTicked { step } => {
                let mut s = entry(&step, steps);
                (s.ticked, s.skipped) = (Some(now), None);
                steps.insert(step, s);
            }
            IncidentEvent::StepUnticked { step } => {
                let mut s = entry(&step, steps);
                s.ticked = None;
                steps.insert(step, s);
            }
            IncidentEvent::StepSkipped { step, reason } => {
                let mut s = entry(&step, steps);
                (s.skipped, s.ticked) = (Some((now, reason)), None);
                steps.insert(step, s);
            }
            _ => {}
        }
        self.dirty = true;
        Vec::new()
    }

    /// The selected step of the running incident's playbook.
    pub fn selected_step(&self) -> Option<&Step> {
        self.active_playbook().and_then(|p| p.steps().nth(self.checklist.selected))
    }

    /// Evaluates the active playbook's checks; during an incident, a
    /// result that differs from the recorded one is recorded.
    pub(super) fn evaluate_checks(&mut self) -> Vec<Effect> {
        let Some(p) = self.active_playbook() else {
            self.checklist.results.clear();
            return Vec::new();
        };
        let mut results = BTreeMap::new();
        for s in p.steps() {
            if let StepKind::Check(spec) = &s.kind {
                results.insert(s.id.clone(), crate::playbook::check(spec, &self.live, self.now));
            }
        }
        // Only an incident records its checks' changes, each once.
        let changed: Vec<(String, CheckResult)> = match self.incident().map(|i| &i.steps) {
            Some(recorded) if !self.viewing => results
                .iter()
                .filter(|(id, r)| recorded.get(*id).and_then(|s| s.check.as_ref()).map(|c| &c.1) != Some(*r))
                .filter(|(id, r)| self.checklist.pending.get(*id) != Some(*r))
                .map(|(id, r)| (id.clone(), r.clone()))
                .collect(),
            _ => Vec::new(),
        };
        let mut effects = Vec::new();
        for (step, result) in changed {
            self.checklist.pending.insert(step.clone(), result.clone());
            effects.push(Effect::Record(IncidentEvent::CheckChanged { step, result }));
        }
        if results != self.checklist.results {
            self.dirty = true;
        }
        self.checklist.results = results;
        effects
    }

    /// Asks why the selected step is skipped (the footer takes the reason).
    pub(super) fn ask_skip_reason(&mut self) {
        let Some(step) = self.selected_step().map(|s| s.id.clone()) else { return };
        let mut input = TextArea::default();
        input.set_placeholder_text("why it is skipped (Enter records it)");
        self.overlay = Some(Overlay::SkipReason { step, input });
    }

    /// Records the skip with the reason typed; a skip needs a reason.
    pub(super) fn skip_step(&mut self) -> Vec<Effect> {
        let Some(Overlay::SkipReason { step, input }) = &self.overlay else { return Vec::new() };
        let reason = input.lines().join(" ").trim().to_string();
        if reason.is_empty() {
            self.notice = Some("Say why the step is skipped".into());
            return Vec::new();
        }
        let step = step.clone();
        self.overlay = None;
        self.step_event(IncidentEvent::StepSkipped { step, reason })
    }

    /// Moves the checklist's selection by `delta` steps.
    pub(super) fn move_step(&mut self, delta: isize) {
        let n = self.active_playbook().map_or(0, |p| p.steps().count());
        if n == 0 {
            return;
        }
        self.checklist.selected = self.checklist.selected.saturating_add_signed(delta).min(n - 1);
    }

    /// `Enter` on a step: a manual step is ticked (or the tick taken
    /// back); a check ticks itself.
    pub(super) fn run_step(&mut self) -> Vec<Effect> {
        let Some(step) = self.selected_step() else { return Vec::new() };
        let id = step.id.clone();
        let ticked = self.step_state(&id).is_some_and(|s| s.ticked.is_some());
        match &step.kind {
            StepKind::Manual if ticked => self.step_event(IncidentEvent::StepUnticked { step: id }),
            StepKind::Manual => self.step_event(IncidentEvent::StepTicked { step: id }),
            StepKind::Check(spec) => {
                self.notice = Some(format!("A check ticks itself: {}", spec.describe()));
                Vec::new()
            }
            StepKind::Action(a) => {
                let (a, title) = (a.clone(), step.title.clone());
                self.run_step_action(&id, &title, &a)
            }
            StepKind::Command(_) | StepKind::Script(_) => match step.program() {
                Some((kind, _)) => self.run_step_program(&id, kind),
                None => Vec::new(),
            },
        }
    }

    /// `o` on a step: focuses the panel it concerns and selects its item
    /// (clearing that panel's filter if it hides the item).
    pub(super) fn jump_to_step(&mut self) {
        let Some(step) = self.selected_step() else { return };
        let Some(jump) = step_jump(step, &self.live, self.now) else {
            self.notice = Some(format!("{}: it concerns no panel", step.title));
            return;
        };
        if let Some(view) = jump.view {
            self.set_trail_view(view);
        }
        self.focus(jump.panel);
        self.notice = Some(format!("Went to {}", jump.panel.title()));
        if let (Some(key), Some(list)) = (&jump.key, self.view_mut(jump.panel)) {
            if !list.filter().is_empty() {
                list.set_filter("");
            }
            list.select_key(key);
            self.settle();
            self.notice = Some(format!("Went to {}: {}", jump.panel.title(), crate::sanitize::sanitize(key)));
        }
    }

    /// A command or script step: its confirmation, as any action's.
    fn run_step_program(&mut self, step: &str, kind: ActionKind) -> Vec<Effect> {
        let Some(playbook) = self.active_playbook().map(|p| p.id.clone()) else { return Vec::new() };
        let origin = Origin::Playbook { playbook, step: step.to_string() };
        self.open_confirm(Action { kind, scope: self.scope() }, origin)
    }

    /// An action step acts on the selected item of the panel its action
    /// concerns, as that item's menu would build it: one match opens its
    /// confirmation, several (a replica count to choose) a menu of them,
    /// none takes the engineer to the panel to select the item.
    fn run_step_action(&mut self, step: &str, title: &str, a: &ActionStep) -> Vec<Effect> {
        let panel = action_panel(a.name);
        let Some(playbook) = self.active_playbook().map(|p| p.id.clone()) else { return Vec::new() };
        let origin = Origin::Playbook { playbook, step: step.to_string() };
        let (mut item, actions) = self.menu_for(panel).unwrap_or_default();
        let mut matching: Vec<Action> = actions.into_iter().filter(|x| step_matches(a, &x.kind)).collect();
        if matching.is_empty() && a.name == ActionName::RestoreScale {
            // A deployment at zero has no pod to select: the restores
            // recorded are what there is to choose from.
            let restores = crate::actions::menu::restores(self.live.deployments.values(), &self.scope());
            matching = restores.into_iter().filter(|x| step_matches(a, &x.kind)).collect();
            item = "deployments scaled down".into();
        }
        match matching.len() {
            0 => {
                self.jump_to_step();
                self.notice =
                    Some(format!("{title}: select its item in {} and press Enter on the step again", panel.title()));
                Vec::new()
            }
            1 => self.open_confirm(matching.into_iter().next().unwrap_or_else(|| unreachable!()), origin),
            _ => {
                self.overlay = Some(Overlay::ActionMenu { item, actions: matching, selected: 0, origin });
                Vec::new()
            }
        }
    }
}

/// Where `o` on a step goes: the panel it concerns, the item there (the
/// first a failing check names, the one an action's parameters name) and,
/// for CloudTrail, the view that shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Jump {
    pub panel: PanelId,
    pub key: Option<String>,
    pub view: Option<TrailView>,
}

/// Where `step` points at `now`, if it concerns a panel (manual,
/// command and script steps do not).
pub fn step_jump(step: &Step, live: &crate::state::LiveState, now: DateTime<Utc>) -> Option<Jump> {
    use crate::playbook::CheckSpec as C;
    let jump = |panel, key| Some(Jump { panel, key, view: None });
    match &step.kind {
        StepKind::Check(spec) => {
            let key = crate::playbook::offender(spec, live, now);
            match spec {
                C::PodsReady { .. }
                | C::NoCrashloop { .. }
                | C::RestartsBelow { .. }
                | C::DeploymentsAvailable { .. }
                | C::NoWarningEvents { .. } => jump(PanelId::Pods, key),
                C::AlarmsClear { .. } => jump(PanelId::Alarms, key),
                C::RdsAvailable { .. } | C::RdsFreeStorageAbove { .. } | C::RdsCpuBelow { .. } => {
                    jump(PanelId::Rds, key)
                }
                C::TrailLogging { .. } => jump(PanelId::Trail, None),
                C::FailedLoginsBelow { .. } => {
                    Some(Jump { panel: PanelId::Trail, key: None, view: Some(TrailView::FailedLogins) })
                }
            }
        }
        StepKind::Action(a) => {
            let literal = |name: &str| match a.params.get(name) {
                Some(ParamValue::Literal(v)) => Some(v.as_str()),
                _ => None,
            };
            let panel = action_panel(a.name);
            let key = match panel {
                PanelId::Pods => {
                    let ns = literal("namespace");
                    let (pod, deployment) = (literal("pod"), literal("deployment"));
                    // Without a literal parameter the step names no pod.
                    let named = ns.is_some() || pod.is_some() || deployment.is_some();
                    named
                        .then(|| {
                            live.pods
                                .values()
                                .filter(|p| ns.is_none_or(|n| n == &*p.namespace))
                                .filter(|p| pod.is_none_or(|n| n == p.name))
                                .filter(|p| deployment.is_none_or(|d| p.deployment.as_deref() == Some(d)))
                                .map(|p| p.key())
                                .min()
                        })
                        .flatten()
                }
                PanelId::Rds => literal("instance").map(str::to_string),
                PanelId::Alarms => literal("alarm").map(str::to_string),
                _ => None,
            };
            jump(panel, key)
        }
        StepKind::Manual | StepKind::Command(_) | StepKind::Script(_) => None,
    }
}

/// The panel whose selected item an action acts on.
fn action_panel(name: ActionName) -> PanelId {
    match name {
        ActionName::RebootDb
        | ActionName::FailoverDb
        | ActionName::FailoverCluster
        | ActionName::SnapshotDb
        | ActionName::PromoteReplica => PanelId::Rds,
        ActionName::DisableAlarmActions | ActionName::EnableAlarmActions => PanelId::Alarms,
        ActionName::ExportTrail => PanelId::Trail,
        _ => PanelId::Pods,
    }
}

/// Whether a built action is the one a step names, with the step's literal
/// parameters (`"selected"` and `"ask"` take what the item offers).
pub fn step_matches(step: &ActionStep, kind: &ActionKind) -> bool {
    let is = |param: &str, value: &str| match step.params.get(param) {
        Some(ParamValue::Literal(v)) => v == value,
        _ => true,
    };
    match (step.name, kind) {
        (ActionName::CollectLogs, ActionKind::CollectLogs { namespace, pod })
        | (ActionName::DeletePod, ActionKind::DeletePod { namespace, pod }) => {
            is("namespace", namespace) && is("pod", pod)
        }
        (ActionName::CollectDeploymentLogs, ActionKind::CollectDeploymentLogs { namespace, deployment, .. })
        | (ActionName::RolloutRestart, ActionKind::RolloutRestart { namespace, deployment })
        | (ActionName::RestoreScale, ActionKind::RestoreScale { namespace, deployment, .. }) => {
            is("namespace", namespace) && is("deployment", deployment)
        }
        (ActionName::Scale, ActionKind::Scale { namespace, deployment, to, .. }) => {
            is("namespace", namespace) && is("deployment", deployment) && is("replicas", &to.to_string())
        }
        (ActionName::IsolateNamespace, ActionKind::IsolateNamespace { namespace })
        | (ActionName::LiftIsolation, ActionKind::LiftIsolation { namespace }) => is("namespace", namespace),
        (ActionName::RebootDb, ActionKind::RebootDb { id })
        | (ActionName::FailoverDb, ActionKind::FailoverDb { id })
        | (ActionName::PromoteReplica, ActionKind::PromoteReplica { id })
        | (ActionName::SnapshotDb, ActionKind::SnapshotDb { id, .. }) => is("instance", id),
        (ActionName::SnapshotDb, ActionKind::SnapshotCluster { .. }) => true,
        (ActionName::FailoverCluster, ActionKind::FailoverCluster { cluster, to }) => {
            is("cluster", cluster) && is("to", to)
        }
        (ActionName::DisableAlarmActions, ActionKind::SetAlarmActions { alarm, enabled: false })
        | (ActionName::EnableAlarmActions, ActionKind::SetAlarmActions { alarm, enabled: true }) => is("alarm", alarm),
        (ActionName::ExportTrail, ActionKind::ExportTrail { .. }) => true,
        _ => false,
    }
}
