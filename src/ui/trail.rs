//! CloudTrail panel: flagged events first, then newest first; repeated
//! events collapsed into one row with their count and first and last time.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{Col, col, draw_rows, empty_message, fill, fit, health_glyph, health_style, name, panel_block};
use crate::app::trail_rows::window_label;
use crate::app::{App, PanelId, RowKind, TrailView};
use crate::config::theme::Slot;
use crate::format::{fmt_age, fmt_time};
use crate::model::{Health, Trail};
use crate::sanitize::sanitize;
use crate::state::FeedId;

pub fn draw(app: &App, frame: &mut Frame, area: Rect) {
    let (view, window) = app.trail_scope();
    let (events, flagged) = app.trail_counts();
    let scope = if view == TrailView::All { String::new() } else { format!("{} · ", view.label()) };
    let block = panel_block(
        app,
        PanelId::Trail,
        format!("{} · {scope}{events} events · {flagged} flagged", window_label(window)),
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
    let list = app.trail();
    if list.is_empty() && app.live.feeds.has_data(crate::state::SourceId::Trail) && list.filter().is_empty() {
        let what = if view == TrailView::All { "events".to_string() } else { view.label().to_string() };
        let text = format!("no {what} in the last {} (v: another view, w: another window)", window_label(window));
        empty_message(app, frame, inner, &text);
        return;
    }
    let dim = app.theme.style(Slot::TextDim);
    draw_rows(app, frame, inner, (PanelId::Trail, "events"), &COLS, list, |r, style| {
        let flag = r.flag.map(|f| f.label()).unwrap_or("");
        let name = sanitize(&r.name);
        let (first, event) = match r.kind {
            RowKind::Group { count: 1, .. } => (String::new(), Span::raw(name.into_owned())),
            // The count leads, so a long name is what gets cut.
            RowKind::Group { count, first, expanded } => (
                fmt_time(first),
                Span::styled(format!("{}{} {name}", if expanded { '▾' } else { '▸' }, fmt_count(count)), style),
            ),
            RowKind::Member => (String::new(), Span::styled(format!("  {name}"), dim)),
        };
        let text = |s: &str| {
            if r.is_member() {
                Span::styled(sanitize(s).into_owned(), dim)
            } else {
                Span::raw(sanitize(s).into_owned())
            }
        };
        [
            Span::styled(fmt_time(r.time), dim),
            Span::styled(first, dim),
            event,
            text(&r.user),
            text(&r.source_ip),
            Span::styled(flag, style),
            Span::styled(sanitize(&r.resource).into_owned(), dim),
        ]
        .into_iter()
        .map(Line::from)
        .collect()
    });
}

/// `×12`, `×999`, `×1k+`: a short count.
fn fmt_count(n: usize) -> String {
    if n < 1000 { format!("×{n}") } else { format!("×{}k+", n / 1000) }
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

/// A repeated event's row: its last time, where there is room its first,
/// and `▸×12 ConsoleLogin` (`▾` once expanded).
const COLS: [Col; 8] = [
    col("", 1, 0),
    col("TIME", 8, 0),
    col("FIRST", 8, 5),
    name("EVENT", 14, 48, 0),
    name("USER", 10, 48, 0),
    fit("SOURCE IP", 9, 15, 3),
    fit("FLAG", 4, 12, 4),
    fill("RESOURCE", 4),
];
