//! The incident as the record has it: starting one, and applying each
//! recorded entry (the only way incident state changes).

use super::*;

impl App {
    /// The title a new incident gets unless one is typed: the firing
    /// alarm's name, or the scenario playbook's title.
    pub fn proposed_title(&self, choice: Option<&IncidentChoice>) -> Option<String> {
        self.firing_alarm().map(|a| a.name.clone()).or_else(|| match choice? {
            IncidentChoice::Playbook { id, .. } => self.playbook(id).map(|p| p.title.clone()),
            IncidentChoice::Severity(_) => None,
        })
    }

    /// What the start dialog offers: the severities, then (for a new
    /// incident) the scenario playbooks, those answering the selected
    /// firing alarm first.
    pub fn incident_choices(&self) -> Vec<IncidentChoice> {
        let mut out: Vec<IncidentChoice> = Severity::ALL.iter().map(|s| IncidentChoice::Severity(*s)).collect();
        if self.incident().is_some() {
            return out;
        }
        let alarm = self.firing_alarm().map(|a| a.name.clone()).unwrap_or_default();
        // The most specific prefix answers best: `orders-db-connections`
        // before `orders-db`.
        let answers = |p: &crate::playbook::Playbook| {
            p.alarms.iter().filter(|a| !alarm.is_empty() && alarm.starts_with(a.as_str())).map(String::len).max()
        };
        let mut scenarios: Vec<&crate::playbook::Playbook> = self
            .playbooks
            .iter()
            .filter(|p| p.severity().is_some() && !Severity::ALL.iter().any(|s| severity_playbook(*s) == p.id))
            .collect();
        scenarios.sort_by_key(|p| (std::cmp::Reverse(answers(p)), p.severity(), p.id.clone()));
        out.extend(
            scenarios
                .into_iter()
                .filter_map(|p| Some(IncidentChoice::Playbook { id: p.id.clone(), severity: p.severity()? })),
        );
        out
    }

    /// The alarm selected in the Alarms panel, when it is focused and
    /// firing: an incident started now starts from it.
    pub fn firing_alarm(&self) -> Option<&crate::model::Alarm> {
        (self.focus == PanelId::Alarms && self.incident().is_none())
            .then(|| self.alarms().selected())
            .flatten()
            .filter(|a| a.state == crate::model::AlarmState::Alarm)
    }

    /// Starts an incident at `severity` following `playbook` (the
    /// severity's own by default), titled `title` (typed; the proposal
    /// when `None`), or changes the running one's severity. From a firing
    /// alarm, the clock starts when it began firing.
    pub(super) fn start_incident_with(
        &mut self,
        severity: Severity,
        playbook: Option<String>,
        title: Option<String>,
    ) -> Vec<Effect> {
        self.overlay = None;
        let event = match self.incident() {
            Some(i) if i.severity == severity => return Vec::new(),
            Some(i) => {
                // The severity's own checklist follows the severity; a
                // scenario playbook stays.
                let generic = |p: &str| Severity::ALL.iter().any(|s| severity_playbook(*s) == p);
                let playbook = match &i.playbook {
                    Some(p) if !generic(p) => None,
                    _ => self.playbook(&severity_playbook(severity)).map(|p| p.id.clone()),
                };
                IncidentEvent::SeverityChanged { from: i.severity, to: severity, playbook }
            }
            None => {
                let alarm = self.firing_alarm();
                let title = match title {
                    Some(typed) => incident_title(&typed),
                    None => self
                        .proposed_title(playbook.clone().map(|id| IncidentChoice::Playbook { id, severity }).as_ref()),
                };
                IncidentEvent::Started {
                    id: format!("inc-{}", self.now.format("%Y%m%dT%H%M%SZ")),
                    severity,
                    playbook: playbook.or_else(|| self.playbook(&severity_playbook(severity)).map(|p| p.id.clone())),
                    title,
                    since: alarm.map(|a| a.since),
                }
            }
        };
        vec![Effect::Record(event)]
    }

    /// Continues an incident from its journal: the record as it folds, its
    /// checklist at once (check changes since are recorded at the next
    /// tick).
    pub fn resume(&mut self, record: IncidentState, entries: Vec<Entry>, repaired: Option<String>) {
        self.record = record;
        self.journal = entries;
        let _ = self.evaluate_checks();
        self.checklist.forget_all_pending();
        // Back where the work stood: the first step not done yet.
        let open = self.active_playbook().and_then(|p| {
            p.steps().position(|s| {
                let done = self.step_state(&s.id).is_some_and(crate::incident::StepState::done);
                !done && !self.checklist.results.get(&s.id).is_some_and(crate::playbook::CheckResult::passed)
            })
        });
        self.checklist.selected = open.unwrap_or(0);
        if let Some(i) = self.incident() {
            let mut notice =
                format!("Resumed {} ({}, {} elapsed)", i.id, i.severity.label(), fmt_clock(self.now - i.started));
            if let Some(r) = repaired {
                notice.push_str(&format!("; its journal's {r}"));
            }
            self.notice = Some(notice);
        }
        self.dirty = true;
    }

    /// Who the console acts as, for the journal: the AWS caller and the
    /// Kubernetes user, where known.
    pub fn identity(&self) -> (Option<String>, Option<String>) {
        let aws = match &self.live.aws_caller {
            Some(c) => Some(c.arn.clone()),
            None => (!self.env.aws_caller.is_empty()).then(|| self.env.aws_caller.clone()),
        };
        let kube = self.env.kube_contexts.iter().find(|c| c.name == self.env.kube_context).and_then(|c| c.user.clone());
        (aws, kube)
    }

    /// The running incident, as recorded.
    pub fn incident(&self) -> Option<&Incident> {
        self.record.current()
    }

    /// Confirmed actions, newest first.
    pub fn results(&self) -> impl Iterator<Item = &ActionRecord> {
        self.record.results()
    }

    /// Applies an event the recorder kept, and does what it asks for: a
    /// recorded confirmation is what lets an action execute.
    pub(super) fn on_recorded(&mut self, entry: Entry) -> Vec<Effect> {
        self.dirty = true;
        if let Err(e) = self.record.apply(&entry) {
            // The record and the console disagree: say so, act on nothing.
            tracing::error!(%e, ?entry, "recorded event does not apply");
            self.notice = Some(format!("Incident record: {e}"));
            return Vec::new();
        }
        self.note_entry(&entry);
        match entry.event {
            IncidentEvent::Started { severity, .. } => {
                self.notice =
                    Some(format!("{} incident started; response target {}", severity.label(), severity.target_label()));
            }
            IncidentEvent::SeverityChanged { from, to, .. } => {
                self.notice = Some(format!("Severity changed {} → {}", from.label(), to.label()));
            }
            IncidentEvent::Resolved => {
                if let Some(i) = self.record.resolved.last() {
                    let took = entry.at - i.started;
                    self.notice = Some(format!("{} incident resolved after {}", i.severity.label(), fmt_clock(took)));
                    self.overlay = Some(Overlay::Summary { scroll: Scroll::default() });
                }
            }
            IncidentEvent::ActionConfirmed { action_id, dry_run: false } => {
                if let Some(a) = self.record.action(action_id) {
                    return vec![Effect::Execute { id: action_id, action: a.action.clone() }];
                }
            }
            IncidentEvent::ActionCancelled { action_id } => {
                if let Some(a) = self.record.action(action_id) {
                    self.notice = Some(format!("Cancelled: {} {}", a.action.title(), a.action.target()));
                }
            }
            IncidentEvent::CheckChanged { step, .. } => {
                self.checklist.forget_pending(&step);
            }
            IncidentEvent::Note { .. } => self.notice = Some("Note recorded".into()),
            // A step whose action worked is done.
            IncidentEvent::ActionSucceeded { action_id, .. } => {
                if let Some(a) = self.record.action(action_id)
                    && let Origin::Playbook { step, .. } = &a.origin
                    && a.incident.is_some()
                    && self.incident().is_some_and(|i| i.steps.get(step).is_none_or(|s| s.ticked.is_none()))
                {
                    return vec![Effect::Record(IncidentEvent::StepTicked { step: step.clone() })];
                }
            }
            _ => {}
        }
        Vec::new()
    }

    /// Events that close every action still running, for when the console
    /// ends before they finish: their effect is unknown.
    pub fn abandon_in_flight(&self, reason: &str) -> Vec<Effect> {
        self.record
            .in_flight()
            .map(|a| Effect::Record(IncidentEvent::ActionAbandoned { action_id: a.id, reason: reason.to_string() }))
            .collect()
    }
}

/// The longest title kept, in characters.
pub const TITLE_MAX: usize = 120;

/// A typed title as recorded: one line, trimmed, at most `TITLE_MAX`
/// characters; none when nothing was typed.
pub fn incident_title(typed: &str) -> Option<String> {
    let one_line = typed.split_whitespace().collect::<Vec<_>>().join(" ");
    (!one_line.is_empty()).then(|| one_line.chars().take(TITLE_MAX).collect())
}
