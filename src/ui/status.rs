//! Status bar (incident badge, modes, source health, where we are) and the
//! tab bar of the narrow layout.

use chrono::TimeDelta;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{fmt_age, health_glyph, health_style};
use crate::app::{App, PanelId, fmt_clock};
use crate::config::theme::Slot;
use crate::model::Health;
use crate::sanitize::sanitize;
use crate::sources::SourceId;

/// Age label shown beside a source dot: nothing while fresh.
pub fn source_age(age: TimeDelta) -> String {
    if age.num_seconds() < 60 { String::new() } else { fmt_age(age) }
}

fn source_health(app: &App, id: SourceId) -> (Health, String) {
    let Some(h) = app.sources.get(&id) else { return (Health::Unknown, String::new()) };
    match (h.failing(), h.last_ok) {
        (Some((at, _)), _) => (Health::Crit, fmt_age(app.now - *at)),
        (None, Some(ok)) => (Health::Ok, source_age(app.now - ok)),
        (None, None) => (Health::Unknown, String::new()),
    }
}

pub fn draw(app: &App, frame: &mut Frame, area: Rect) {
    let bar = app.theme.style(Slot::Bar);
    let mut spans = Vec::new();
    if let Some(i) = &app.incident {
        let elapsed = app.now - i.started;
        let target = i.severity.target();
        let over = elapsed > target;
        let text = format!(
            " {} {} / {}{} ",
            i.severity.label(),
            fmt_clock(elapsed),
            fmt_clock(target),
            if over { " OVER" } else { "" }
        );
        spans.push(Span::styled(text, app.theme.style(Slot::BarBadge)));
        spans.push(Span::raw(" "));
    }
    if app.flags.read_only {
        spans.push(Span::styled(" READ-ONLY ", app.theme.style(Slot::BarMode)));
        spans.push(Span::raw(" "));
    }
    if app.flags.dry_run {
        spans.push(Span::styled(" DRY-RUN ", app.theme.style(Slot::BarMode)));
        spans.push(Span::raw(" "));
    }
    if app.env.demo {
        spans.push(Span::styled(" DEMO ", app.theme.style(Slot::BarMode)));
        spans.push(Span::raw(" "));
    }
    for id in SourceId::ALL {
        let (h, age) = source_health(app, id);
        spans.push(Span::styled(health_glyph(h), bar.patch(health_style(app, h))));
        spans.push(Span::raw(format!("{}{}{} ", id.label(), if age.is_empty() { "" } else { " " }, age)));
    }
    spans.push(Span::raw("│ "));
    let account = if area.width >= 120 { format!(" ({})", sanitize(&app.env.aws_account)) } else { String::new() };
    spans.push(Span::raw(format!(
        "⎈ {}/{} │ aws {}@{}{account}",
        sanitize(&app.env.kube_context),
        sanitize(&app.env.namespace),
        sanitize(&app.env.aws_profile),
        sanitize(&app.env.aws_region),
    )));
    frame.render_widget(Paragraph::new(Line::from(spans)).style(bar), area);
}

/// Worst health per data panel, for tab markers.
fn panel_health(app: &App, panel: PanelId) -> Health {
    PanelId::DATA.iter().position(|p| *p == panel).map_or(Health::Ok, |i| app.stats.worst[i])
}

pub fn draw_tabs(app: &App, frame: &mut Frame, area: Rect) {
    let mut spans = Vec::new();
    for (i, panel) in app.panes().into_iter().enumerate() {
        let active = panel == app.focus;
        let style = app.theme.style(if active { Slot::TabActive } else { Slot::Tab });
        spans.push(Span::styled(format!(" {} {}", i + 1, panel.title()), style));
        let h = panel_health(app, panel);
        if h != Health::Ok {
            spans.push(Span::styled(format!(" {}", health_glyph(h)), health_style(app, h)));
        }
        spans.push(Span::raw(" "));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
