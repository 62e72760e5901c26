//! The `:` command palette: every command reachable by typing its name.

use super::overlay::move_cursor;
use super::*;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaletteCmd {
    Focus(PanelId),
    Theme(String),
    ToggleReadOnly,
    ToggleDryRun,
    StartIncident,
    ResolveIncident,
    Results,
    Evidence(std::path::PathBuf),
    Help,
    Quit,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaletteItem {
    pub label: String,
    pub cmd: PaletteCmd,
}

/// All entries whose label contains every word of `query`.
pub fn items(app: &App, query: &str) -> Vec<PaletteItem> {
    let mut all: Vec<PaletteItem> = [PanelId::Pods, PanelId::Rds, PanelId::Alarms, PanelId::Trail, PanelId::Checklist]
        .into_iter()
        .map(|p| PaletteItem { label: format!("Go to {}", p.title()), cmd: PaletteCmd::Focus(p) })
        .collect();
    all.extend(app.themes.iter().map(|t| PaletteItem {
        label: format!("Theme: {}{}", t.name, if t.name == app.theme.name { " (current)" } else { "" }),
        cmd: PaletteCmd::Theme(t.name.clone()),
    }));
    all.push(PaletteItem {
        label: format!("Toggle read-only (now {})", if app.flags.read_only { "on" } else { "off" }),
        cmd: PaletteCmd::ToggleReadOnly,
    });
    all.push(PaletteItem {
        label: format!("Toggle dry-run (now {})", if app.flags.dry_run { "on" } else { "off" }),
        cmd: PaletteCmd::ToggleDryRun,
    });
    if app.incident().is_some() {
        all.push(PaletteItem { label: "Change incident severity".into(), cmd: PaletteCmd::StartIncident });
        all.push(PaletteItem { label: "Resolve incident".into(), cmd: PaletteCmd::ResolveIncident });
    } else {
        all.push(PaletteItem { label: "Start incident".into(), cmd: PaletteCmd::StartIncident });
    }
    all.push(PaletteItem { label: format!("Action results ({})", app.results().count()), cmd: PaletteCmd::Results });
    all.extend(app.evidence_files().map(|p| PaletteItem {
        label: format!("View evidence: {}", crate::evidence::display_name(p)),
        cmd: PaletteCmd::Evidence(p.clone()),
    }));
    all.push(PaletteItem { label: "Help: key bindings".into(), cmd: PaletteCmd::Help });
    all.push(PaletteItem { label: "Quit".into(), cmd: PaletteCmd::Quit });
    let q = query.to_lowercase();
    let words: Vec<&str> = q.split_whitespace().collect();
    all.retain(|i| {
        let l = i.label.to_lowercase();
        words.iter().all(|w| l.contains(w))
    });
    all
}

impl App {
    pub(super) fn open_palette(&mut self) {
        let mut input = TextArea::default();
        input.set_placeholder_text("type to filter commands");
        self.overlay = Some(Overlay::Palette { input, selected: 0 });
    }

    /// Palette entries matching what has been typed.
    pub fn palette_items(&self) -> Vec<PaletteItem> {
        let query = match &self.overlay {
            Some(Overlay::Palette { input, .. }) => input.lines().join(" "),
            _ => String::new(),
        };
        palette::items(self, &query)
    }

    pub(super) fn run_palette(&mut self, cmd: Command) -> Vec<Effect> {
        let items = self.palette_items();
        let Some(Overlay::Palette { selected, .. }) = &mut self.overlay else { return Vec::new() };
        if move_cursor(selected, items.len(), cmd) {
            return Vec::new();
        }
        match cmd {
            Command::Close | Command::Cancel => self.overlay = None,
            Command::Select | Command::Submit => {
                let chosen = items.get(*selected).map(|i| i.cmd.clone());
                self.overlay = None;
                if let Some(c) = chosen {
                    return self.run_palette_cmd(c);
                }
            }
            _ => {}
        }
        Vec::new()
    }

    pub(super) fn run_palette_cmd(&mut self, cmd: PaletteCmd) -> Vec<Effect> {
        match cmd {
            PaletteCmd::Focus(p) => self.focus(p),
            PaletteCmd::Theme(name) => {
                if let Some(t) = self.themes.iter().find(|t| t.name == name) {
                    self.theme = t.clone();
                    self.notice = Some(format!("Theme: {name}"));
                }
            }
            PaletteCmd::ToggleReadOnly => {
                if self.flags.read_only && self.flags.read_only_locked {
                    self.notice = Some("Started with --read-only; restart without it to enable actions".into());
                } else {
                    self.flags.read_only = !self.flags.read_only;
                    self.notice = Some(format!("Read-only {}", if self.flags.read_only { "on" } else { "off" }));
                }
            }
            PaletteCmd::ToggleDryRun => {
                self.flags.dry_run = !self.flags.dry_run;
                self.notice = Some(format!("Dry-run {}", if self.flags.dry_run { "on" } else { "off" }));
            }
            PaletteCmd::StartIncident => return self.run(Command::StartIncident),
            PaletteCmd::ResolveIncident if self.incident().is_some() => {
                return vec![Effect::Record(IncidentEvent::Resolved)];
            }
            PaletteCmd::ResolveIncident => {}
            PaletteCmd::Help => self.overlay = Some(Overlay::Help { scroll: Scroll::default() }),
            PaletteCmd::Results => self.overlay = Some(Overlay::Results { scroll: Scroll::default() }),
            PaletteCmd::Evidence(path) => return self.view_evidence(Some(path)),
            PaletteCmd::Quit => return self.quit(),
        }
        Vec::new()
    }
}
