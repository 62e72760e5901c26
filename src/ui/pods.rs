//! Pods panel: deployment summary, pods (unhealthy first), recent Warning
//! events.

use chrono::TimeDelta;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{Col, col, draw_rows, fill, health_glyph, health_style, panel_block};
use crate::app::{App, PanelId};
use crate::config::theme::Slot;
use crate::format::fmt_age;
use crate::model::Rollout;
use crate::sanitize::sanitize;
use crate::state::FeedId;

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
        match &d.rollout {
            Rollout::Complete => {}
            Rollout::Progressing => spans.push(Span::styled(" rolling", app.theme.style(Slot::StatusWarn))),
            Rollout::Stalled(_) => spans.push(Span::styled(" stalled", app.theme.style(Slot::StatusCrit))),
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

const COLS: [Col; 8] = [
    col("", 1, 0),
    fill("NAME", 20),
    col("READY", 5, 0),
    col("STATUS", 16, 0),
    col("RESTARTS", 8, 0),
    col("1H", 3, 2),
    col("AGE", 6, 1),
    col("NODE", 13, 3),
];

fn draw_list(app: &App, frame: &mut Frame, area: Rect) {
    let hour_ago = app.now - TimeDelta::hours(1);
    draw_rows(app, frame, area, (PanelId::Pods, "pods"), &COLS, app.pods(), |p, style| {
        let (ready, total) = p.ready_count();
        let recent = p.restarts_since(hour_ago);
        vec![
            Span::raw(sanitize(&p.name).into_owned()),
            Span::styled(format!("{ready}/{total}"), if ready < total { style } else { Style::default() }),
            Span::styled(sanitize(p.status()).into_owned(), style),
            Span::raw(p.restarts().to_string()),
            Span::styled(
                if recent > 0 { recent.to_string() } else { String::new() },
                app.theme.style(Slot::StatusWarn),
            ),
            Span::raw(fmt_age(app.now - p.created)),
            Span::styled(sanitize(p.node.as_deref().unwrap_or("-")).into_owned(), app.theme.style(Slot::TextDim)),
        ]
    });
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
