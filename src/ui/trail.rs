//! CloudTrail panel: newest first, security-relevant events flagged.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{Col, col, draw_rows, fill, health_glyph, health_style, panel_block};
use crate::app::{App, PanelId};
use crate::config::theme::Slot;
use crate::format::{fmt_age, fmt_time};
use crate::model::{Health, Trail};
use crate::sanitize::sanitize;
use crate::state::FeedId;

pub fn draw(app: &App, frame: &mut Frame, area: Rect) {
    let block = panel_block(
        app,
        PanelId::Trail,
        format!("{} events · {} flagged", app.trail().total(), app.live.trail.notable()),
    );
    let inner = block.inner(area);
    frame.render_widget(block, area);
    // The trails' status, once the source reports it.
    let inner = match trails_line(app) {
        Some(line) => {
            let [strip, rest] = Layout::vertical([Constraint::Length(1), Constraint::Fill(1)]).areas(inner);
            frame.render_widget(Paragraph::new(line), strip);
            rest
        }
        None => inner,
    };
    draw_rows(app, frame, inner, (PanelId::Trail, "events"), &COLS, app.trail(), |e, style| {
        let flag = e.security_flag().map(|f| f.label()).unwrap_or("");
        vec![
            Span::styled(fmt_time(e.time), app.theme.style(Slot::TextDim)),
            Span::raw(sanitize(&e.name).into_owned()),
            Span::raw(sanitize(&e.user).into_owned()),
            Span::raw(sanitize(&e.source_ip).into_owned()),
            Span::styled(flag, style),
            Span::styled(sanitize(&e.resource).into_owned(), app.theme.style(Slot::TextDim)),
        ]
    });
}

/// `✗ org-trail NOT LOGGING  ● audit logging, delivered 2m ago`; `None`
/// while nothing is known about the trails.
fn trails_line(app: &App) -> Option<Line<'static>> {
    let trails = &app.live.trails;
    if trails.is_empty() {
        let known = app.live.feeds.get(FeedId::TrailStatus).is_some_and(|f| f.last_ok.is_some());
        return known.then(|| {
            Line::styled("✗ no trail in this region: nothing records API activity", app.theme.style(Slot::StatusCrit))
        });
    }
    let mut all: Vec<&Trail> = trails.values().collect();
    all.sort_by(|a, b| a.health().cmp(&b.health()).then_with(|| a.name.cmp(&b.name)));
    let mut spans = Vec::new();
    for t in all {
        let h = t.health();
        let status = if !t.logging {
            "NOT LOGGING".to_string()
        } else if let Some(e) = &t.delivery_error {
            format!("logging, delivery failing: {}", sanitize(e))
        } else if let Some(at) = t.latest_delivery {
            format!("logging, delivered {} ago", fmt_age(app.now - at))
        } else {
            "logging".to_string()
        };
        spans.push(Span::styled(format!("{} ", health_glyph(h)), health_style(app, h)));
        spans.push(Span::raw(format!("{} ", sanitize(&t.name))));
        spans.push(Span::styled(
            format!("{status}  "),
            if h == Health::Ok { app.theme.style(Slot::TextDim) } else { health_style(app, h) },
        ));
    }
    Some(Line::from(spans))
}

const COLS: [Col; 7] = [
    col("", 1, 0),
    col("TIME", 8, 0),
    col("EVENT", 18, 0),
    col("USER", 13, 0),
    col("SOURCE IP", 15, 3),
    col("FLAG", 12, 4),
    fill("RESOURCE", 4),
];
