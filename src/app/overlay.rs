//! What covers the panels: popups that scroll (details, help, results,
//! evidence), the severity picker, and reading evidence back.

use super::*;

/// Where a scrolling popup is. How far it can go depends on the wrapped
/// height of its content at the current size, which only the view knows:
/// the view reports it as it draws (as ratatui's list state does), and
/// keys move within it. Before the first draw nothing limits the offset
/// and the view shows it clamped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scroll {
    offset: u16,
    limit: std::cell::Cell<Option<u16>>,
}

impl Scroll {
    /// The first row shown.
    pub fn offset(&self) -> u16 {
        self.limit.get().map_or(self.offset, |l| self.offset.min(l))
    }

    /// The furthest offset, as the view last drew it.
    pub fn limit(&self) -> Option<u16> {
        self.limit.get()
    }

    /// Called by the view while drawing: how far the content can scroll.
    pub fn set_limit(&self, limit: u16) {
        self.limit.set(Some(limit));
    }

    fn by(&mut self, delta: i32) {
        let max = i32::from(self.limit.get().unwrap_or(u16::MAX));
        self.offset = u16::try_from((i32::from(self.offset()) + delta).clamp(0, max)).unwrap_or(0);
    }

    fn jump_to_end(&mut self) {
        self.offset = self.limit.get().unwrap_or(u16::MAX);
    }
}

/// Moves the cursor of a pick list of `len` entries (action menu,
/// palette, severity picker); returns whether `cmd` was such a move.
pub(super) fn move_cursor(selected: &mut usize, len: usize, cmd: Command) -> bool {
    let last = len.saturating_sub(1);
    *selected = match cmd {
        Command::MoveDown => (*selected + 1).min(last),
        Command::MoveUp => selected.saturating_sub(1),
        Command::Top => 0,
        Command::Bottom => last,
        _ => return false,
    };
    true
}

impl Overlay {
    /// A scrollable popup of text (details, help, results, the incident
    /// summary, an evidence file).
    pub fn is_text_popup(&self) -> bool {
        matches!(
            self,
            Overlay::Detail { .. }
                | Overlay::Help { .. }
                | Overlay::Results { .. }
                | Overlay::Summary { .. }
                | Overlay::Evidence { .. }
        )
    }
}

/// What covers the panels, at most one at a time.
#[derive(Debug, Clone)]
pub enum Overlay {
    Filter(TextArea<'static>),
    /// What the incident just resolved came to.
    Summary {
        scroll: Scroll,
    },
    /// Why the checklist step `step` is skipped, typed in the footer.
    SkipReason {
        step: String,
        input: TextArea<'static>,
    },
    Detail {
        panel: PanelId,
        key: String,
        scroll: Scroll,
    },
    Help {
        scroll: Scroll,
    },
    Results {
        scroll: Scroll,
    },
    Palette {
        input: TextArea<'static>,
        selected: usize,
    },
    /// `item` names what the actions act on, for the menu's title.
    ActionMenu {
        item: String,
        actions: Vec<Action>,
        selected: usize,
        /// Where the choice came from (a playbook step offers its own).
        origin: crate::actions::Origin,
    },
    Confirm(Box<Confirm>),
    /// Starting an incident (or changing its severity): the choice, and
    /// the title typed for a new one (the proposal until `edit_title`).
    SeverityPicker {
        selected: usize,
        title: Option<TextArea<'static>>,
        /// Whether keys type into the title.
        editing: bool,
    },
    /// Asked before quitting while an incident is running.
    QuitConfirm,
    /// A note being written (several lines).
    Note(TextArea<'static>),
    /// A pod's log or an object's YAML.
    Viewer(Box<super::viewer::Viewer>),
    /// A saved evidence file, read back for reading.
    Evidence {
        path: PathBuf,
        text: String,
        scroll: Scroll,
    },
}

impl App {
    pub(super) fn run_popup(&mut self, cmd: Command) {
        let Some(
            Overlay::Detail { scroll, .. }
            | Overlay::Help { scroll }
            | Overlay::Results { scroll }
            | Overlay::Summary { scroll }
            | Overlay::Evidence { scroll, .. },
        ) = &mut self.overlay
        else {
            return;
        };
        let page = i32::from(self.size.1.saturating_sub(6).max(1));
        match cmd {
            Command::Close | Command::Cancel => self.overlay = None,
            Command::MoveDown => scroll.by(1),
            Command::MoveUp => scroll.by(-1),
            Command::PageDown => scroll.by(page),
            Command::PageUp => scroll.by(-page),
            Command::Top => scroll.offset = 0,
            Command::Bottom => scroll.jump_to_end(),
            _ => {}
        }
    }

    pub(super) fn run_severity(&mut self, cmd: Command) -> Vec<Effect> {
        let choices = self.incident_choices();
        let new = self.incident().is_none();
        let proposal = self.proposed_title(choices.get(self.picker_selected()));
        let Some(Overlay::SeverityPicker { selected, title, editing }) = &mut self.overlay else { return Vec::new() };
        if *editing {
            match cmd {
                // Back to the choices, the title kept.
                Command::Cancel | Command::Close => *editing = false,
                Command::Submit | Command::Select => return self.start_from_picker(&choices),
                _ => {}
            }
            return Vec::new();
        }
        if move_cursor(selected, choices.len(), cmd) {
            return Vec::new();
        }
        match cmd {
            Command::Close | Command::Cancel => self.overlay = None,
            Command::EditTitle if new => {
                *editing = true;
                title.get_or_insert_with(|| {
                    let mut input = TextArea::new(vec![proposal.unwrap_or_default()]);
                    input.move_cursor(ratatui_textarea::CursorMove::End);
                    input.set_placeholder_text("what is happening (Enter starts the incident)");
                    input
                });
            }
            Command::Select | Command::Submit => return self.start_from_picker(&choices),
            _ => {}
        }
        Vec::new()
    }

    /// The picker's selected entry.
    fn picker_selected(&self) -> usize {
        match &self.overlay {
            Some(Overlay::SeverityPicker { selected, .. }) => *selected,
            _ => 0,
        }
    }

    /// Starts the incident the picker shows (or changes its severity),
    /// with the title typed, if any.
    fn start_from_picker(&mut self, choices: &[IncidentChoice]) -> Vec<Effect> {
        let Some(Overlay::SeverityPicker { selected, title, .. }) = &self.overlay else { return Vec::new() };
        let title = title.as_ref().map(|t| t.lines().join(" "));
        match choices.get(*selected).cloned() {
            Some(IncidentChoice::Severity(sev)) => self.start_incident_with(sev, None, title),
            Some(IncidentChoice::Playbook { id, severity }) => self.start_incident_with(severity, Some(id), title),
            None => Vec::new(),
        }
    }

    /// Files the session's actions saved, newest first.
    pub fn evidence_files(&self) -> impl Iterator<Item = &PathBuf> {
        self.results()
            .flat_map(|r| match &r.status {
                ActionStatus::Succeeded(ActionOutput { evidence, .. }) => evidence.as_slice(),
                _ => &[],
            })
            .map(|e| &e.path)
    }

    /// Opens `path`, or the newest evidence file, in the viewer.
    pub(super) fn view_evidence(&mut self, path: Option<PathBuf>) -> Vec<Effect> {
        match path.or_else(|| self.evidence_files().next().cloned()) {
            Some(p) => vec![Effect::LoadEvidence(p)],
            None => {
                self.notice = Some("No evidence yet: collect a pod's logs from its actions".into());
                Vec::new()
            }
        }
    }
}
