//! The `:` command palette: every command reachable by typing its name.

use super::{App, PanelId};

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
