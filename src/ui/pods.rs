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
    let mut lines = vec![Line::styled("Recent warnings", app.theme.style(Slot::TableHeader))];
    let warnings: Vec<_> = app.live.recent_kube_events().filter(|e| e.warning).collect();
    if warnings.is_empty() {
        let text = super::feed_waiting(app, FeedId::KubeEvents).unwrap_or_else(|| "none".into());
        lines.push(Line::styled(text, app.theme.style(Slot::TextDim)));
    }
    for e in warnings.iter().take(usize::from(area.height.saturating_sub(1))) {
        let count = if e.count > 1 { format!(" ×{}", e.count) } else { String::new() };
        lines.push(Line::from(vec![
            Span::styled(format!("{:>5} ", fmt_age(app.now - e.last_seen)), app.theme.style(Slot::TextDim)),
            Span::styled(format!("{} ", sanitize(&e.reason)), app.theme.style(Slot::StatusWarn)),
            Span::raw(format!("{} ", sanitize(&e.object))),
            Span::styled(format!("{}{count}", sanitize(&e.message)), app.theme.style(Slot::TextDim)),
        ]));
    }
    frame.render_widget(Paragraph::new(lines), area);
}
