//! The checklist pane: the running incident and its playbook steps.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::{health_glyph, health_style, panel_block};
use crate::app::{App, PanelId};
use crate::config::keymap::{Command, Layer};
use crate::config::theme::Slot;
use crate::format::{fmt_clock, fmt_time};
use crate::model::Health;
use crate::state::FeedId;

pub fn draw(app: &App, frame: &mut Frame, area: Rect) {
    let block = panel_block(app, PanelId::Checklist, String::new());
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let dim = app.theme.style(Slot::TextDim);
    let key = app.keymap.hint(Layer::Global, Command::StartIncident).unwrap_or_else(|| ":".into());
    let lines = match app.incident() {
        None => vec![
            Line::default(),
            Line::styled("no incident", app.theme.style(Slot::TextStrong)),
            Line::from(vec![
                Span::styled("press ", dim),
                Span::styled(key, app.theme.style(Slot::FooterKey)),
                Span::styled(" to start one", dim),
            ]),
        ],
        Some(i) => {
            // Whole seconds first, so elapsed and left always add up to the target.
            let elapsed = chrono::TimeDelta::seconds((app.now - i.started).num_seconds());
            let left = i.severity.target() - elapsed;
            let clock_style = if left.num_seconds() < 0 {
                app.theme.style(Slot::StatusCrit)
            } else if left.num_seconds() < i.severity.target().num_seconds() / 4 {
                app.theme.style(Slot::StatusWarn)
            } else {
                app.theme.style(Slot::StatusOk)
            };
            vec![
                Line::from(vec![
                    Span::styled(format!(" {} ", i.severity.label()), app.theme.style(Slot::BarBadge)),
                    Span::raw(" incident"),
                ]),
                Line::styled(i.severity.describe(), dim),
                Line::default(),
                Line::from(vec![Span::styled("started   ", dim), Span::raw(format!("{} UTC", fmt_time(i.started)))]),
                Line::from(vec![Span::styled("elapsed   ", dim), Span::styled(fmt_clock(elapsed), clock_style)]),
                Line::from(vec![
                    Span::styled("target    ", dim),
                    Span::raw(fmt_clock(i.severity.target())),
                    Span::styled(
                        if left.num_seconds() < 0 {
                            "  missed".to_string()
                        } else {
                            format!("  {} left", fmt_clock(left))
                        },
                        clock_style,
                    ),
                ]),
                Line::default(),
                Line::styled(format!("no playbook steps for {}", i.severity.label()), dim),
            ]
        }
    };
    let mut lines = lines;
    lines.push(Line::default());
    lines.extend(situation(app));
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}

/// What is red right now, one line per panel, from the live counts.
fn situation<'a>(app: &App) -> Vec<Line<'a>> {
    let l = &app.live;
    let row = |count: usize, (one, many): (&str, &str), worst: Health| -> Line<'a> {
        let h = if count == 0 { Health::Ok } else { worst };
        Line::from(vec![
            Span::styled(format!("{} ", health_glyph(h)), health_style(app, h)),
            Span::styled(
                format!("{count} "),
                if count == 0 { app.theme.style(Slot::TextDim) } else { health_style(app, h) },
            ),
            Span::raw(if count == 1 { one } else { many }.to_string()),
        ])
    };
    // A count of zero from a feed that never delivered would be a lie.
    let known = |line: Line<'a>, feed: FeedId, noun: &str| -> Line<'a> {
        match super::feed_waiting(app, feed) {
            None => line,
            Some(w) => Line::from(vec![
                Span::styled(format!("{} ", health_glyph(Health::Unknown)), health_style(app, Health::Unknown)),
                Span::styled(format!("{noun}: {w}"), app.theme.style(Slot::TextDim)),
            ]),
        }
    };
    let mut lines = vec![Line::styled("Now", app.theme.style(Slot::TableHeader))];
    lines.push(known(row(l.pods.notable(), ("pod unhealthy", "pods unhealthy"), l.pods.worst()), FeedId::Pods, "pods"));
    lines.push(known(
        row(l.dbs.notable(), ("DB instance degraded", "DB instances degraded"), l.dbs.worst()),
        FeedId::DbInstances,
        "DB instances",
    ));
    lines.push(known(
        row(l.alarms.notable(), ("alarm firing", "alarms firing"), Health::Crit),
        FeedId::Alarms,
        "alarms",
    ));
    lines.push(known(
        row(l.trail.notable(), ("flagged CloudTrail event", "flagged CloudTrail events"), l.trail.worst()),
        FeedId::TrailEvents,
        "CloudTrail",
    ));
    let failing: Vec<&str> = crate::state::SourceId::ALL
        .into_iter()
        .filter(|id| app.live.feeds.worst(*id, app.now).is_some_and(|(_, s)| s.health() == Health::Crit))
        .map(|id| id.label())
        .collect();
    if !failing.is_empty() {
        lines.push(Line::styled(format!("✗ source errors: {}", failing.join(", ")), app.theme.style(Slot::StatusCrit)));
    }
    lines
}
