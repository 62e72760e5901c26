//! Pods panel: deployment summary, pods (unhealthy first), recent Warning
//! events.

use chrono::TimeDelta;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{Col, col, draw_rows, fit, health_glyph, health_style, name, panel_block, soft};
use crate::app::{App, PanelId};
use crate::config::theme::Slot;
use crate::format::fmt_age;
use crate::model::{Count, Rollout};
use crate::sanitize::sanitize;
use crate::state::FeedId;
use crate::state::store::RESTART_WINDOW;

pub fn draw(app: &App, frame: &mut Frame, area: Rect) {
    let counts = format!("{}/{} · {} unhealthy", app.pods().len(), app.pods().total(), app.live.pods.notable());
    let block = panel_block(app, PanelId::Pods, counts);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let [deploys, list, events] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(crate::layout::events_height(inner.height)),
    ])
    .areas(inner);
    draw_deployments(app, frame, deploys);
    draw_list(app, frame, list);
    draw_events(app, frame, events);
}

fn draw_deployments(app: &App, frame: &mut Frame, area: Rect) {
    let mut spans = Vec::new();
    let mut deps: Vec<_> = app.live.deployments.values().collect();
    deps.sort_by(|a, b| a.health().cmp(&b.health()).then_with(|| a.name.cmp(&b.name)));
    for d in deps {
        let style = health_style(app, d.health());
        spans.push(Span::styled(format!("{} ", health_glyph(d.health())), style));
        spans.push(Span::raw(format!("{} ", sanitize(&d.name))));
        spans.push(Span::styled(format!("{}/{}", d.ready, d.desired), style));
        if let Some(words) = d.rollout_short() {
            let slot = if matches!(d.rollout, Rollout::Stalled(_)) { Slot::StatusCrit } else { Slot::StatusWarn };
            spans.push(Span::styled(format!(" {words}"), app.theme.style(slot)));
        }
        if let Some(n) = d.restorable() {
            spans.push(Span::styled(format!(" (was {n})"), app.theme.style(Slot::TextDim)));
        }
        spans.push(Span::raw("  "));
    }
    if spans.is_empty() {
        let text = super::feed_waiting(app, FeedId::Deployments)
            .map_or_else(|| "no deployments".into(), |w| format!("deployments: {w}"));
        spans.push(Span::styled(text, app.theme.style(Slot::TextDim)));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

const COLS: [Col; 9] = [
    col("", 1, 0),
    name("NAMESPACE", 9, 40, 0),
    name("NAME", 16, 80, 0),
    fit("READY", 5, 7, 0),
    soft("STATUS", 9, 64, 0),
    soft("RESTARTS", 8, 16, 0),
    fit("1H", 2, 4, 2),
    fit("AGE", 3, 7, 1),
    name("NODE", 6, 48, 3),
];

fn draw_list(app: &App, frame: &mut Frame, area: Rect) {
    // NAMESPACE only with more than one watched, as `kubectl get pods -A`.
    let several = app.env.kube_target.namespaces.len() != 1;
    let cols: Vec<Col> = COLS.iter().filter(|c| several || c.header != "NAMESPACE").cloned().collect();
    draw_rows(app, frame, area, (PanelId::Pods, "pods"), &cols, app.pods(), |p, style| {
        let printed = p.printed();
        let mut status = vec![Span::styled(sanitize(&printed.status).into_owned(), style)];
        if let Some(note) = p.note(app.now) {
            status.push(Span::styled(format!(" · {}", sanitize(&note)), app.theme.style(Slot::StatusWarn)));
        }
        let recent = match p.restarts_within(app.now, RESTART_WINDOW) {
            Count::Exactly(0) => String::new(),
            Count::Exactly(n) => n.to_string(),
            Count::AtLeast(n) => format!("≥{n}"),
        };
        let mut cells: Vec<Line<'static>> = Vec::with_capacity(cols.len());
        if several {
            cells.push(Span::styled(sanitize(&p.namespace).into_owned(), app.theme.style(Slot::TextDim)).into());
        }
        cells.extend([
            Span::raw(sanitize(&p.name).into_owned()).into(),
            Span::styled(
                format!("{}/{}", printed.ready, printed.total),
                if printed.ready < printed.total { style } else { Style::default() },
            )
            .into(),
            Line::from(status),
            restarts_cell(app, &printed),
            Span::styled(recent, app.theme.style(Slot::StatusWarn)).into(),
            Span::raw(fmt_age(app.now - p.created)).into(),
            Span::styled(sanitize(p.node.as_deref().unwrap_or("<none>")).into_owned(), app.theme.style(Slot::TextDim))
                .into(),
        ]);
        cells
    });
}

/// `5 (2m ago)` as kubectl prints it; the time goes first when narrow.
fn restarts_cell(app: &App, printed: &crate::model::Printed<'_>) -> Line<'static> {
    let mut spans = vec![Span::raw(printed.restarts.to_string())];
    if let Some(ago) = printed.restarted_ago(app.now) {
        spans.push(Span::styled(format!(" ({ago} ago)"), app.theme.style(Slot::TextDim)));
    }
    Line::from(spans)
}

fn draw_events(app: &App, frame: &mut Frame, area: Rect) {
    if area.height == 0 {
        return;
    }
    let groups = app.live.warning_groups(app.now - TimeDelta::hours(1));
    let mut header = vec![Span::styled("Warnings, last hour", app.theme.style(Slot::TableHeader))];
    if !groups.is_empty() {
        let events: u32 = groups.iter().fold(0, |n, g| n.saturating_add(g.count));
        let objects = groups.len();
        header.push(Span::styled(
            format!(" · {events} on {objects} object{}", if objects == 1 { "" } else { "s" }),
            app.theme.style(Slot::TextDim),
        ));
    }
    let mut lines = vec![Line::from(header)];
    if groups.is_empty() {
        let text = super::feed_waiting(app, FeedId::KubeEvents).unwrap_or_else(|| "none".into());
        lines.push(Line::styled(text, app.theme.style(Slot::TextDim)));
    }
    let rows = usize::from(area.height.saturating_sub(1));
    // When they do not all fit, the last row says how many are left out.
    let shown = if groups.len() > rows { rows.saturating_sub(1) } else { rows };
    let several_namespaces = groups.iter().any(|g| g.namespace != groups[0].namespace);
    for g in groups.iter().take(shown) {
        let object = if several_namespaces { format!("{}/{}", g.namespace, g.object) } else { g.object.clone() };
        let mut spans = vec![
            Span::styled(format!("{:>5} ", fmt_age(app.now - g.last_seen)), app.theme.style(Slot::TextDim)),
            Span::raw(format!("{} ", sanitize(&object))),
        ];
        for (i, r) in g.reasons.iter().enumerate() {
            let sep = if i == 0 { "" } else { ", " };
            spans.push(Span::styled(
                format!("{sep}{} ×{}", sanitize(&r.reason), r.count),
                app.theme.style(Slot::StatusWarn),
            ));
        }
        if let Some(latest) = g.reasons.first() {
            spans.push(Span::styled(format!("  {}", sanitize(&latest.message)), app.theme.style(Slot::TextDim)));
        }
        lines.push(Line::from(spans));
    }
    if shown < groups.len() {
        let more = groups.len() - shown;
        lines.push(Line::styled(
            format!("      +{more} more object{}", if more == 1 { "" } else { "s" }),
            app.theme.style(Slot::TextDim),
        ));
    }
    frame.render_widget(Paragraph::new(lines), area);
}
