//! Results strip (latest action outcomes) and the footer (notice, filter
//! input or key hints from the active keymap).

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::app::{App, Overlay};
use crate::config::keymap::{Command, Layer};
use crate::config::theme::Slot;
use crate::format::fmt_time;
use crate::incident::{ActionRecord, ActionStatus};
use crate::sanitize::sanitize;

/// Glyph, style and text of an action's outcome.
pub(crate) fn outcome(r: &ActionRecord) -> (&'static str, Slot, String) {
    match &r.status {
        ActionStatus::Requested | ActionStatus::Running => ("⧗", Slot::StatusWarn, "running…".to_string()),
        ActionStatus::Cancelled => ("·", Slot::TextDim, "cancelled".to_string()),
        ActionStatus::Succeeded(o) => ("✓", Slot::StatusOk, sanitize(&o.message).into_owned()),
        ActionStatus::Failed(e) => ("✗", Slot::StatusCrit, sanitize(&e.to_string()).into_owned()),
        ActionStatus::Abandoned(why) => ("?", Slot::StatusCrit, format!("abandoned: {}", sanitize(why))),
        ActionStatus::DryRun => {
            ("◌", Slot::StatusWarn, format!("DRY-RUN, not executed: {}", sanitize(&r.action.cli())))
        }
    }
}

pub fn draw_results(app: &App, frame: &mut Frame, area: Rect) {
    let lines: Vec<Line> = app
        .results()
        .take(usize::from(area.height))
        .map(|r| {
            let (glyph, slot, text) = outcome(r);
            Line::from(vec![
                Span::styled(format!("{} ", fmt_time(r.updated)), app.theme.style(Slot::TextDim)),
                Span::styled(format!("{glyph} "), app.theme.style(slot)),
                Span::raw(format!("{} {} — ", r.action.title(), sanitize(r.action.target()))),
                Span::styled(text, app.theme.style(slot)),
            ])
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), area);
}

/// Footer hints per context: (layer, command, label).
fn hints(app: &App) -> &'static [(Layer, Command, &'static str)] {
    match &app.overlay {
        None if app.focus == crate::app::PanelId::Checklist => &[
            (Layer::Global, Command::Quit, "quit"),
            (Layer::Global, Command::Help, "help"),
            (Layer::Global, Command::FocusNext, "focus"),
            (Layer::Panel, Command::OpenDetail, "tick/run step"),
            (Layer::Panel, Command::SkipStep, "skip"),
            (Layer::Panel, Command::Jump, "go to"),
            (Layer::Global, Command::StartIncident, "incident"),
            (Layer::Global, Command::Note, "note"),
            (Layer::Global, Command::Timeline, "timeline"),
            (Layer::Global, Command::Palette, "palette"),
            (Layer::Global, Command::ToggleChecklist, "checklist"),
        ],
        None => &[
            (Layer::Global, Command::Quit, "quit"),
            (Layer::Global, Command::Help, "help"),
            (Layer::Global, Command::FocusNext, "focus"),
            (Layer::Panel, Command::Filter, "filter"),
            (Layer::Panel, Command::OpenDetail, "details"),
            (Layer::Panel, Command::Actions, "actions"),
            (Layer::Global, Command::Evidence, "evidence"),
            (Layer::Global, Command::StartIncident, "incident"),
            (Layer::Panel, Command::Logs, "logs"),
            (Layer::Global, Command::Palette, "palette"),
            (Layer::Global, Command::ToggleChecklist, "checklist"),
        ],
        Some(
            Overlay::Detail { .. }
            | Overlay::Help { .. }
            | Overlay::Results { .. }
            | Overlay::Summary { .. }
            | Overlay::Evidence { .. },
        ) => &[
            (Layer::Popup, Command::Close, "close"),
            (Layer::Popup, Command::MoveDown, "scroll"),
            (Layer::Popup, Command::PageDown, "page"),
        ],
        Some(Overlay::Viewer(v)) if v.input.is_some() => {
            &[(Layer::Input, Command::Submit, "search"), (Layer::Input, Command::Cancel, "cancel")]
        }
        Some(Overlay::Viewer(v)) if v.kind == crate::app::ViewerKind::Timeline => &[
            (Layer::Viewer, Command::Close, "close"),
            (Layer::Viewer, Command::MoveDown, "scroll"),
            (Layer::Viewer, Command::Search, "filter"),
            (Layer::Viewer, Command::ToggleWrap, "wrap"),
        ],
        Some(Overlay::Viewer(_)) => &[
            (Layer::Viewer, Command::Close, "close"),
            (Layer::Viewer, Command::MoveDown, "scroll"),
            (Layer::Viewer, Command::Bottom, "end"),
            (Layer::Viewer, Command::NextMatch, "next match"),
        ],
        Some(Overlay::SeverityPicker { editing: true, .. }) => {
            &[(Layer::Input, Command::Submit, "start"), (Layer::Input, Command::Cancel, "back")]
        }
        Some(Overlay::SeverityPicker { .. }) if app.incident().is_none() => &[
            (Layer::Menu, Command::Select, "start"),
            (Layer::Menu, Command::MoveDown, "next"),
            (Layer::Menu, Command::EditTitle, "title"),
            (Layer::Menu, Command::Close, "close"),
        ],
        Some(Overlay::ActionMenu { .. } | Overlay::SeverityPicker { .. }) => &[
            (Layer::Menu, Command::Select, "choose"),
            (Layer::Menu, Command::MoveDown, "next"),
            (Layer::Menu, Command::Close, "close"),
        ],
        Some(Overlay::Palette { .. }) => &[
            (Layer::Input, Command::Submit, "run"),
            (Layer::Menu, Command::MoveDown, "next"),
            (Layer::Input, Command::Cancel, "close"),
        ],
        Some(Overlay::Confirm(c)) if c.typed.is_some() => {
            &[(Layer::Input, Command::Submit, "confirm when name matches"), (Layer::Input, Command::Cancel, "cancel")]
        }
        Some(Overlay::Confirm(_)) => {
            &[(Layer::Confirm, Command::Confirm, "confirm"), (Layer::Confirm, Command::Cancel, "cancel")]
        }
        Some(Overlay::QuitConfirm) => {
            &[(Layer::Confirm, Command::Confirm, "quit"), (Layer::Confirm, Command::Cancel, "stay")]
        }
        Some(Overlay::Filter(_)) => {
            &[(Layer::Input, Command::Submit, "keep"), (Layer::Input, Command::Cancel, "clear")]
        }
        Some(Overlay::Note(_)) => {
            &[(Layer::Editor, Command::Save, "record"), (Layer::Editor, Command::Close, "keep as draft")]
        }
        Some(Overlay::SkipReason { .. }) => {
            &[(Layer::Input, Command::Submit, "skip"), (Layer::Input, Command::Cancel, "cancel")]
        }
    }
}

pub fn draw(app: &App, frame: &mut Frame, area: Rect) {
    if let Some(Overlay::Filter(input)) = &app.overlay {
        let [label, field] = Layout::horizontal([Constraint::Length(9), Constraint::Fill(1)]).areas(area);
        frame.render_widget(Paragraph::new(Span::styled(" filter /", app.theme.style(Slot::FooterKey))), label);
        frame.render_widget(input, field);
        return;
    }
    if let Some(Overlay::SkipReason { input, .. } | Overlay::SeverityPicker { title: Some(input), editing: true, .. }) =
        &app.overlay
    {
        let label = if matches!(app.overlay, Some(Overlay::SkipReason { .. })) { " skip, why:" } else { " title:" };
        let width = u16::try_from(label.len() + 1).unwrap_or(12);
        let [label_area, field] = Layout::horizontal([Constraint::Length(width), Constraint::Fill(1)]).areas(area);
        frame.render_widget(Paragraph::new(Span::styled(label, app.theme.style(Slot::FooterKey))), label_area);
        frame.render_widget(input, field);
        return;
    }
    if let Some(n) = &app.notice {
        frame.render_widget(
            Paragraph::new(Span::styled(format!(" {}", sanitize(n)), app.theme.style(Slot::StatusWarn))),
            area,
        );
        return;
    }
    let mut spans = vec![Span::raw(" ")];
    if let Some(Overlay::Confirm(c)) = &app.overlay
        && app.blocked_reason(&c.action).is_some()
    {
        // Only cancelling does anything in a refused dialog; Esc always does.
        spans.push(Span::styled("Esc", app.theme.style(Slot::FooterKey)));
        spans.push(Span::styled(" close", app.theme.style(Slot::FooterText)));
        frame.render_widget(Paragraph::new(Line::from(spans)), area);
        return;
    }
    let mut used = 1;
    let panel_keys = app.overlay.is_none();
    for (layer, cmd, label) in hints(app) {
        if panel_keys && !app.offers(*cmd) {
            continue;
        }
        if let Some(k) = app.keymap.hint(*layer, *cmd) {
            let text = format!(" {label}  ");
            let w = k.chars().count() + text.chars().count();
            // Whole hints only: a cut-off hint is worse than none.
            if used + w > usize::from(area.width) + 2 {
                break;
            }
            used += w;
            spans.push(Span::styled(k, app.theme.style(Slot::FooterKey)));
            spans.push(Span::styled(text, app.theme.style(Slot::FooterText)));
        }
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
