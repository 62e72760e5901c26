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
use crate::incident::Clock;
use crate::model::Health;
use crate::playbook::{CheckResult, Step, StepKind};
use crate::sanitize::sanitize;
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
            let clock_style = app.theme.style(match i.severity.clock(elapsed) {
                Clock::Within => Slot::StatusOk,
                Clock::Near => Slot::StatusWarn,
                Clock::Over => Slot::StatusCrit,
            });
            vec![
                Line::from(vec![
                    Span::styled(format!(" {} ", i.severity.label()), app.theme.style(Slot::BarBadge)),
                    Span::styled(
                        format!(" {}", i.title.as_deref().map_or(std::borrow::Cow::Borrowed("incident"), sanitize)),
                        app.theme.style(Slot::TextStrong),
                    ),
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
            ]
        }
    };
    let mut lines = lines;
    let selected_at = match app.active_playbook() {
        Some(_) => Some(steps(app, &mut lines, usize::from(inner.width))),
        None if app.incident().is_some() => {
            lines.push(Line::styled("no playbook for this incident", dim));
            None
        }
        None => None,
    };
    lines.push(Line::default());
    lines.extend(situation(app));
    // Keep the selected step in view: scroll so it sits in the upper half
    // (rows counted as wrapped; word wrapping may take a row more, which
    // the half a pane of margin absorbs).
    let (height, width) = (usize::from(inner.height), usize::from(inner.width).max(1));
    let rows = |l: &Line<'_>| l.width().div_ceil(width).max(1);
    let offset = selected_at.map_or(0, |at: usize| {
        let before: usize = lines[..at.min(lines.len())].iter().map(rows).sum();
        let total: usize = lines.iter().map(rows).sum();
        before.saturating_sub(height / 2).min(total.saturating_sub(height))
    });
    let scroll = u16::try_from(offset).unwrap_or(u16::MAX);
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }).scroll((scroll, 0)), inner);
}

/// The playbook's phases and steps, each with where it stands; under the
/// selected one its guidance and what it runs. Returns the selected
/// step's line.
fn steps<'a>(app: &App, lines: &mut Vec<Line<'a>>, width: usize) -> usize {
    let Some(p) = app.active_playbook() else { return 0 };
    let dim = app.theme.style(Slot::TextDim);

    lines.push(Line::styled(sanitize(&p.title).into_owned(), app.theme.style(Slot::TextStrong)));
    let mut index = 0;
    let mut selected_at = 0;
    for phase in &p.phases {
        let within = phase.within_mins.map(|m| format!(" · within {}", fmt_mins(m))).unwrap_or_default();
        lines.push(Line::styled(format!("{}{within}", sanitize(&phase.name)), app.theme.style(Slot::TableHeader)));
        for step in &phase.steps {
            let state = app.step_state(&step.id);
            let result = app.checklist.results.get(&step.id);
            let (glyph, health) = step_mark(step, state, result);
            let selected = index == app.checklist.selected;
            if selected {
                selected_at = lines.len();
            }
            let style = if selected && app.focus == PanelId::Checklist {
                app.theme.style(Slot::Selection)
            } else {
                ratatui::style::Style::default()
            };
            lines.push(Line::from(vec![
                Span::styled(format!("{glyph} "), health_style(app, health)),
                Span::styled(sanitize(&step.title).into_owned(), style),
            ]));
            if let Some((_, why)) = state.and_then(|s| s.skipped.as_ref()) {
                lines.extend(indented(&format!("skipped: {}", sanitize(why)), width, dim));
            } else if let Some(r) = result.filter(|r| !r.passed()) {
                lines.extend(indented(&sanitize(r.why()), width, health_style(app, health)));
            }
            if selected {
                lines.extend(step_detail(app, step, width));
            }
            index += 1;
        }
    }
    selected_at
}

/// The mark a step shows: done, failing, unknown, or still to do.
fn step_mark(
    step: &Step,
    state: Option<&crate::incident::StepState>,
    result: Option<&CheckResult>,
) -> (&'static str, Health) {
    if state.is_some_and(|s| s.skipped.is_some()) {
        return ("»", Health::Unknown);
    }
    if state.is_some_and(|s| s.ticked.is_some()) {
        return ("✓", Health::Ok);
    }
    match (&step.kind, result) {
        (StepKind::Check(_), Some(CheckResult::Pass(_))) => ("✓", Health::Ok),
        (StepKind::Check(_), Some(CheckResult::Fail(_))) => ("✗", Health::Crit),
        (StepKind::Check(_), _) => ("○", Health::Unknown),
        (StepKind::Manual, _) => ("·", Health::Unknown),
        _ => ("▸", Health::Unknown),
    }
}

/// Under the selected step: its guidance, and what it checks or runs.
fn step_detail<'a>(app: &App, step: &Step, width: usize) -> Vec<Line<'a>> {
    let dim = app.theme.style(Slot::TextDim);
    let mut out: Vec<Line<'a>> =
        step.text.lines().filter(|l| !l.trim().is_empty()).flat_map(|l| indented(&sanitize(l), width, dim)).collect();
    let what = match &step.kind {
        StepKind::Manual => "Enter: tick".to_string(),
        StepKind::Check(spec) => format!("checks: {}", spec.describe()),
        StepKind::Action(a) => format!("Enter: {} (confirmation first)", action_words(a)),
        StepKind::Command(c) => format!("runs: {} ({})", c.argv.join(" "), c.risk.label()),
        StepKind::Script(sc) => format!("script ({}): {}", sc.risk.label(), sc.script.lines().next().unwrap_or("")),
    };
    out.extend(indented(&sanitize(&what), width, dim));
    out
}

/// `text` under its step: wrapped to `width` with every row indented, so
/// a long reason does not run back to the pane's edge.
fn indented<'a>(text: &str, width: usize, style: ratatui::style::Style) -> Vec<Line<'a>> {
    const INDENT: &str = "   ";
    super::wrap(text, width.saturating_sub(INDENT.len()))
        .into_iter()
        .map(|row| Line::styled(format!("{INDENT}{row}"), style))
        .collect()
}

fn action_words(a: &crate::playbook::ActionStep) -> String {
    let name = format!("{:?}", a.name);
    let mut words = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            words.push(' ');
        }
        words.push(c.to_ascii_lowercase());
    }
    words
}

/// `15 min`, `1 h`, `24 h`.
fn fmt_mins(m: u32) -> String {
    if m < 60 || !m.is_multiple_of(60) { format!("{m} min") } else { format!("{} h", m / 60) }
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
