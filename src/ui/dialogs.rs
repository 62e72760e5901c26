//! Popups over the panels: details, help, palette, action menu,
//! confirmation and the severity picker.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Block, BorderType, Borders, Clear, List, ListItem, ListState, Paragraph, Wrap};

use super::wrap;
use crate::actions::Risk;
use crate::app::{App, Confirm, IncidentChoice, Overlay, PanelId, Scroll};
use crate::config::keymap::{Command, Layer};
use crate::config::keys::display_sequence;
use crate::config::theme::Slot;
use crate::format::{fmt_age, fmt_clock, fmt_time};
use crate::incident::ActionStatus;
use crate::model::{ContainerState, Db, Pod};
use crate::sanitize::{sanitize, sanitize_multiline};

pub fn draw(app: &App, frame: &mut Frame, area: Rect) {
    match &app.overlay {
        None | Some(Overlay::Filter(_) | Overlay::SkipReason { .. }) => {}
        Some(
            Overlay::Detail { scroll, .. }
            | Overlay::Help { scroll }
            | Overlay::Results { scroll }
            | Overlay::Summary { scroll }
            | Overlay::Evidence { scroll, .. },
        ) => {
            if let Some((r, title, lines)) = scrolled_content(app, area) {
                draw_scrolled(app, frame, r, title, lines, scroll);
            }
        }
        Some(Overlay::Palette { input, selected }) => draw_palette(app, frame, area, input, *selected),
        Some(Overlay::Viewer(v)) => super::viewer::draw(app, frame, area, v),
        Some(Overlay::ActionMenu { item, actions, selected, .. }) => {
            let items: Vec<ListItem> = actions
                .iter()
                .map(|a| {
                    ListItem::new(Line::from(vec![
                        Span::styled(format!("{:<14}", risk_tag(a.risk())), risk_style(app, a.risk())),
                        Span::raw(a.title()),
                    ]))
                })
                .collect();
            let h = (items.len() as u16 + 2).min(area.height);
            let r = centered(area, 64, h);
            draw_menu(app, frame, r, format!(" Actions: {} ", sanitize(item)), items, *selected);
        }
        Some(Overlay::SeverityPicker { selected, title: typed, editing }) => {
            let choices = app.incident_choices();
            let shown_title = match typed {
                Some(t) => crate::app::incident_title(&t.lines().join(" ")),
                None => app.proposed_title(choices.get(*selected)),
            };
            let items: Vec<ListItem> = choices
                .into_iter()
                .enumerate()
                .map(|(i, c)| match c {
                    IncidentChoice::Severity(s) => ListItem::new(Line::from(vec![
                        Span::styled(format!("{} {}  ", i + 1, s.label()), app.theme.style(Slot::TextStrong)),
                        Span::raw(s.describe()),
                    ])),
                    IncidentChoice::Playbook { id, severity } => {
                        let title = app.playbook(&id).map(|p| sanitize(&p.title).into_owned()).unwrap_or_default();
                        ListItem::new(Line::from(vec![
                            Span::styled(format!("  {}  ", severity.label()), app.theme.style(Slot::TextStrong)),
                            Span::raw(title),
                            Span::styled(format!("  {}", sanitize(&id)), app.theme.style(Slot::TextDim)),
                        ]))
                    }
                })
                .collect();
            let title = match (app.incident(), app.firing_alarm()) {
                (Some(_), _) => " Change severity ".to_string(),
                (None, Some(a)) => format!(" Start incident from alarm {} ", sanitize(&a.name)),
                (None, None) => " Start incident: a severity, or a scenario's playbook ".to_string(),
            };
            let h = (items.len() as u16 + 2).min(area.height);
            let r = centered(area, 72, h);
            draw_menu(app, frame, r, title, items, *selected);
            if app.incident().is_none() {
                // The title it will start with, on the bottom border.
                let key = app.keymap.hint(Layer::Menu, Command::EditTitle).unwrap_or_default();
                let text = match (shown_title, editing) {
                    (Some(t), true) => format!(" Title: {} ", sanitize(&t)),
                    (None, true) => " Untitled ".to_string(),
                    (Some(t), false) => format!(" Title: {}  ({key} edits) ", sanitize(&t)),
                    (None, false) => format!(" Untitled  ({key} titles it) "),
                };
                let bottom = Rect { y: r.bottom().saturating_sub(1), height: 1.min(r.height), ..r };
                let inner = Rect { x: bottom.x + 2, width: bottom.width.saturating_sub(4), ..bottom };
                frame.render_widget(Paragraph::new(Span::styled(text, app.theme.style(Slot::TextDim))), inner);
            }
        }
        Some(Overlay::Confirm(c)) => draw_confirm(app, frame, area, c),
        Some(Overlay::QuitConfirm) => draw_quit_confirm(app, frame, area),
        Some(Overlay::Note(input)) => draw_note(app, frame, area, input),
    }
}

/// The note editor: several lines, recorded with the editor's save key.
fn draw_note(app: &App, frame: &mut Frame, area: Rect, input: &ratatui_textarea::TextArea<'static>) {
    let width = 78u16.min(area.width);
    let height = 14u16.min(area.height.saturating_sub(2)).max(3);
    let r = centered(area, width, height);
    frame.render_widget(Clear, r);
    let title = match app.incident() {
        Some(i) => format!(" Note for {} {} ", i.severity.label(), sanitize(i.title.as_deref().unwrap_or(&i.id))),
        None => " Note ".to_string(),
    };
    let key = |cmd| app.keymap.hint(Layer::Editor, cmd).unwrap_or_default();
    let hint = format!(" {} records it · {} keeps it as a draft ", key(Command::Save), key(Command::Close));
    let block =
        dialog_block(app, title).title_bottom(Line::styled(hint, app.theme.style(Slot::TextDim)).right_aligned());
    let inner = block.inner(r);
    frame.render_widget(block, r);
    frame.render_widget(input, inner);
}

/// Asked before quitting while an incident runs; staying is the default.
fn draw_quit_confirm(app: &App, frame: &mut Frame, area: Rect) {
    let key = |cmd| app.keymap.keys_for(Layer::Confirm, cmd).join("/");
    let running = app.incident().map_or_else(String::new, |i| {
        format!("A {} incident is running ({} elapsed).", i.severity.label(), fmt_clock(app.now - i.started))
    });
    let lines = vec![
        Line::from(running),
        Line::from("It stays open in its journal: `warroom --resume` continues it where it is."),
        Line::default(),
        Line::from(vec![
            Span::styled(key(Command::Confirm), app.theme.style(Slot::FooterKey)),
            Span::raw(" quit    "),
            Span::styled(key(Command::Cancel), app.theme.style(Slot::FooterKey)),
            Span::raw(" stay (default)"),
        ]),
    ];
    let paragraph = Paragraph::new(lines).wrap(Wrap { trim: false });
    let width = 72u16.min(area.width);
    let h = wrapped_height(&paragraph, width.saturating_sub(2)) + 2;
    let r = centered(area, width, h);
    frame.render_widget(Clear, r);
    frame.render_widget(paragraph.block(dialog_block(app, " Quit warroom? ".into())), r);
}

/// Rows a wrapped paragraph takes at `width`, measured by the same code
/// that renders it.
fn wrapped_height(p: &Paragraph, width: u16) -> u16 {
    u16::try_from(p.line_count(width.max(1))).unwrap_or(u16::MAX)
}

/// A rectangle of at most `w`×`h` centred in `area`.
pub(super) fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect { x: area.x + (area.width - w) / 2, y: area.y + (area.height - h) / 2, width: w, height: h }
}

pub(super) fn dialog_block<'a>(app: &App, title: String) -> Block<'a> {
    Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Double)
        .border_style(app.theme.style(Slot::DialogBorder))
        .title(Span::styled(title, app.theme.style(Slot::PanelTitleFocused)))
        .style(app.theme.style(Slot::Base))
}

fn draw_menu(app: &App, frame: &mut Frame, r: Rect, title: String, items: Vec<ListItem>, selected: usize) {
    frame.render_widget(Clear, r);
    let list = List::new(items)
        .block(dialog_block(app, title))
        .highlight_style(app.theme.style(Slot::Selection))
        .highlight_symbol("› ");
    let mut state = ListState::default().with_selected(Some(selected));
    frame.render_stateful_widget(list, r, &mut state);
}

/// Long lines wrap at word boundaries, and scrolling counts wrapped rows.
fn draw_scrolled(app: &App, frame: &mut Frame, r: Rect, title: String, lines: Vec<Line>, scroll: &Scroll) {
    frame.render_widget(Clear, r);
    let block = dialog_block(app, title);
    let inner = block.inner(r);
    let paragraph = Paragraph::new(Text::from(lines)).wrap(Wrap { trim: false });
    let max = wrapped_height(&paragraph, inner.width).saturating_sub(inner.height);
    scroll.set_limit(max);
    let scroll = scroll.offset();
    let more = if max > 0 { format!(" {}/{} ", scroll, max) } else { String::new() };
    let block = block.title_bottom(Line::styled(more, app.theme.style(Slot::TextDim)).right_aligned());
    frame.render_widget(paragraph.block(block).scroll((scroll, 0)), r);
}

fn risk_tag(r: Risk) -> String {
    format!("[{}]", r.label())
}

fn risk_style(app: &App, r: Risk) -> Style {
    app.theme.style(match r {
        Risk::Read => Slot::RiskRead,
        Risk::Change => Slot::RiskChange,
        Risk::Destructive => Slot::RiskDestructive,
    })
}

fn kv<'a>(app: &App, k: &str, v: impl Into<String>) -> Line<'a> {
    Line::from(vec![Span::styled(format!("{k:<22}"), app.theme.style(Slot::TextDim)), Span::raw(v.into())])
}

fn heading<'a>(app: &App, text: &str) -> Line<'a> {
    Line::styled(text.to_string(), app.theme.style(Slot::TableHeader))
}

/// What the incident just resolved came to: its times, severities, the
/// checklist as it stood and the actions taken.
fn summary_lines<'a>(app: &App) -> Vec<Line<'a>> {
    let Some(i) = app.record.resolved.last() else { return vec![Line::from("no incident resolved yet")] };
    let resolved = i.resolved.unwrap_or(app.now);
    let mut l = Vec::new();
    if let Some(t) = &i.title {
        l.push(kv(app, "About", sanitize(t).into_owned()));
    }
    l.push(kv(app, "Started", format!("{} UTC", i.started.format("%Y-%m-%d %H:%M:%S"))));
    l.push(kv(app, "Resolved", format!("{} UTC", resolved.format("%Y-%m-%d %H:%M:%S"))));
    let took = resolved - i.started;
    let target = i.severities.first().map_or(i.severity, |s| s.1).target();
    let verdict = if took <= target { "within the target" } else { "past the target" };
    l.push(kv(app, "Took", format!("{} ({verdict} of {})", fmt_clock(took), fmt_clock(target))));
    let history: Vec<String> =
        i.severities.iter().map(|(at, s)| format!("{} at {}", s.label(), fmt_time(*at))).collect();
    l.push(kv(app, "Severity", history.join(" → ")));
    if let Some(p) = i.playbook.as_deref().and_then(|id| app.playbook(id)) {
        let steps: Vec<_> = p.steps().collect();
        let done = steps.iter().filter(|s| i.steps.get(&s.id).is_some_and(|st| st.done())).count();
        let skipped = steps.iter().filter(|s| i.steps.get(&s.id).is_some_and(|st| st.skipped.is_some())).count();
        l.push(kv(
            app,
            "Playbook",
            format!("{} ({done}/{} steps done, {skipped} skipped)", sanitize(&p.title), steps.len()),
        ));
        let open: Vec<_> = steps.iter().filter(|s| !i.steps.get(&s.id).is_some_and(|st| st.done())).collect();
        if !open.is_empty() {
            l.push(Line::default());
            l.push(heading(app, "Not done"));
            for s in open {
                let why = i.steps.get(&s.id).and_then(|st| st.check.as_ref()).map(|(_, r)| format!(" ({})", r.why()));
                l.push(Line::from(format!("· {}{}", sanitize(&s.title), sanitize(&why.unwrap_or_default()))));
            }
        }
    }
    let actions: Vec<_> =
        app.record.actions.iter().filter(|a| a.incident.as_deref() == Some(&i.id) && a.status.confirmed()).collect();
    l.push(Line::default());
    l.push(heading(app, &format!("Actions ({})", actions.len())));
    for a in actions {
        let (glyph, slot, text) = super::footer::outcome(a);
        l.push(Line::from(vec![
            Span::styled(format!("{} {glyph} ", fmt_time(a.updated)), app.theme.style(slot)),
            Span::raw(format!("{} {} — {text}", a.action.title(), sanitize(a.action.target()))),
        ]));
    }
    l
}

/// A scrollable popup's frame, title and lines (details and help).
fn scrolled_content<'a>(app: &App, area: Rect) -> Option<(Rect, String, Vec<Line<'a>>)> {
    match &app.overlay {
        Some(Overlay::Help { .. }) => {
            Some((centered(area, 84, area.height.saturating_sub(2)), " Help: keys ".into(), help_lines(app)))
        }
        Some(Overlay::Results { .. }) => {
            let r = centered(area, area.width.saturating_sub(4).min(120), area.height.saturating_sub(2));
            let width = usize::from(r.width.saturating_sub(2));
            Some((r, format!(" Action results ({}) ", app.results().count()), result_lines(app, width)))
        }
        Some(Overlay::Summary { .. }) => {
            let r = centered(area, area.width.saturating_sub(4).min(100), area.height.saturating_sub(2));
            let title = app.record.resolved.last().map_or_else(
                || " Incident ".to_string(),
                |i| format!(" {} incident resolved: {} ", i.severity.label(), sanitize(&i.id)),
            );
            Some((r, title, summary_lines(app)))
        }
        Some(Overlay::Evidence { path, text, .. }) => {
            let r = centered(area, area.width.saturating_sub(4).min(160), area.height.saturating_sub(2));
            let name = crate::evidence::display_name(path);
            let mut lines = vec![
                Line::styled(sanitize(&path.display().to_string()).into_owned(), app.theme.style(Slot::TextDim)),
                Line::default(),
            ];
            lines.extend(sanitize_multiline(text).lines().map(|l| Line::from(l.to_string())));
            Some((r, format!(" Evidence: {} ", sanitize(&name)), lines))
        }
        Some(Overlay::Detail { panel, key, .. }) => {
            let (title, lines) = detail_content(app, *panel, key)?;
            let r = centered(area, area.width.saturating_sub(4).min(120), area.height.saturating_sub(2));
            Some((r, title, lines))
        }
        _ => None,
    }
}

fn detail_content<'a>(app: &App, panel: PanelId, key: &str) -> Option<(String, Vec<Line<'a>>)> {
    let content = match panel {
        PanelId::Pods => match app.pods().get(key) {
            Some(p) => (format!(" Pod {} ", sanitize(&p.key())), pod_lines(app, p)),
            None => (" Pod ".into(), vec![Line::from("this pod no longer exists")]),
        },
        PanelId::Rds => match app.dbs().get(key) {
            Some(d) => (format!(" RDS {} ", sanitize(&d.instance.id)), db_lines(app, d)),
            None => (" RDS ".into(), vec![Line::from("this instance is no longer listed")]),
        },
        PanelId::Alarms => match app.alarms().get(key) {
            Some(a) => {
                let mut l = vec![
                    kv(app, "State", a.state.label()),
                    kv(
                        app,
                        "Since",
                        format!("{} UTC ({} ago)", a.since.format("%Y-%m-%d %H:%M:%S"), fmt_age(app.now - a.since)),
                    ),
                ];
                if !a.description.is_empty() {
                    l.push(kv(app, "Description", sanitize(&a.description).into_owned()));
                }
                match &a.rule {
                    Some(rule) => l.push(kv(app, "Rule", sanitize(rule).into_owned())),
                    None => {
                        l.push(kv(app, "Metric", format!("{} {}", sanitize(&a.namespace), sanitize(&a.metric))));
                        for (k, v) in &a.dimensions {
                            l.push(kv(app, "Dimension", format!("{}={}", sanitize(k), sanitize(v))));
                        }
                        l.extend([
                            kv(app, "Statistic", sanitize(&a.statistic).into_owned()),
                            kv(app, "Condition", format!("{} {}", sanitize(&a.comparison), a.threshold)),
                            kv(app, "Period", format!("{} s × {} periods", a.period_s, a.evaluation_periods)),
                        ]);
                    }
                }
                l.push(kv(
                    app,
                    "Actions enabled",
                    if a.actions_enabled { "yes" } else { "NO (notifications suppressed)" },
                ));
                for act in &a.alarm_actions {
                    l.push(kv(app, "Alarm action", sanitize(act).into_owned()));
                }
                l.push(Line::default());
                l.push(heading(app, "Reason"));
                l.push(Line::from(sanitize(&a.reason).into_owned()));
                history_lines(app, "History, last 24 hours", &mut l);
                (format!(" Alarm {} ", sanitize(&a.name)), l)
            }
            None => (" Alarm ".into(), vec![Line::from("this alarm no longer exists")]),
        },
        PanelId::Trail => match app.trail().get(key).and_then(|row| Some((row, app.live.trail.get(&row.event)?))) {
            Some((row, e)) => {
                let pretty = serde_json::from_str::<serde_json::Value>(&e.raw)
                    .and_then(|v| serde_json::to_string_pretty(&v))
                    .unwrap_or_else(|_| e.raw.clone());
                let mut l = vec![kv(app, "Time", format!("{} UTC", e.time.format("%Y-%m-%d %H:%M:%S")))];
                if let Some(f) = e.security_flag() {
                    l.push(Line::styled(format!("⚑ {}", f.label()), app.theme.style(Slot::StatusCrit)));
                }
                if row.count() > 1 {
                    occurrence_lines(app, &app.trail_group(key), &mut l);
                    l.push(Line::default());
                    l.push(heading(app, "The latest"));
                }
                l.push(Line::default());
                l.extend(sanitize_multiline(&pretty).lines().map(|s| Line::from(s.to_string())));
                (format!(" CloudTrail {} ", sanitize(&e.name)), l)
            }
            None => (" CloudTrail ".into(), vec![Line::from("this event is no longer kept")]),
        },
        PanelId::Checklist => return None,
    };
    Some(content)
}

/// Repeated CloudTrail events: how many, over how long, and each one's
/// time, error and resource (the newest [`OCCURRENCES_SHOWN`]).
fn occurrence_lines(app: &App, events: &[&crate::model::TrailEvent], l: &mut Vec<Line<'_>>) {
    let (Some(last), Some(first)) = (events.first(), events.last()) else { return };
    l.push(kv(
        app,
        "Repeated",
        format!(
            "{} times from {} to {} UTC ({})",
            events.len(),
            first.time.format("%H:%M:%S"),
            last.time.format("%H:%M:%S"),
            fmt_age(last.time - first.time)
        ),
    ));
    l.push(Line::default());
    l.push(heading(app, "Each time, newest first"));
    for e in events.iter().take(OCCURRENCES_SHOWN) {
        let what = [e.error_code.as_deref().unwrap_or(""), e.resource.as_str()]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join("  ");
        l.push(Line::from(vec![
            Span::styled(format!("{} ", e.time.format("%Y-%m-%d %H:%M:%S")), app.theme.style(Slot::TextDim)),
            Span::raw(sanitize(&what).into_owned()),
        ]));
    }
    if events.len() > OCCURRENCES_SHOWN {
        l.push(Line::styled(
            format!("… and {} earlier", events.len() - OCCURRENCES_SHOWN),
            app.theme.style(Slot::TextDim),
        ));
    }
}

/// The most occurrences a repeated event's details list.
const OCCURRENCES_SHOWN: usize = 200;

/// The history the detail view asked for (live mode only): entries
/// newest first, *loading…* until they come, or why they did not.
fn history_lines(app: &App, title: &str, l: &mut Vec<Line<'_>>) {
    if app.env.demo {
        return;
    }
    l.push(Line::default());
    l.push(heading(app, title));
    match &app.history {
        None => l.push(Line::styled("loading…", app.theme.style(Slot::TextDim))),
        Some((_, Err(e))) => {
            l.push(Line::styled(format!("not available: {}", sanitize(e)), app.theme.style(Slot::StatusWarn)))
        }
        Some((_, Ok(entries))) if entries.is_empty() => l.push(Line::styled("none", app.theme.style(Slot::TextDim))),
        Some((_, Ok(entries))) => {
            for e in entries {
                l.push(Line::from(vec![
                    Span::styled(format!("{} ", e.at.format("%Y-%m-%d %H:%M:%S")), app.theme.style(Slot::TextDim)),
                    Span::styled(format!("{} ", sanitize(&e.kind)), app.theme.style(Slot::TextDim)),
                    Span::raw(sanitize(&e.text).into_owned()),
                ]));
            }
        }
    }
}

/// The pod's deployment as `kubectl rollout status` and `kubectl
/// describe deployment` tell it: the rollout, the new and old ReplicaSets
/// with their revisions, and the pod holding the rollout up.
fn rollout_lines(app: &App, d: &crate::model::Deployment, pod: &Pod, l: &mut Vec<Line<'_>>) {
    let revision = d.revision.map(|r| format!(" (revision {r})")).unwrap_or_default();
    l.push(kv(app, "Rollout", format!("{}{revision}", sanitize(&d.rollout_status()))));
    let (sets, held_up_by) = app.live.rollout_of(d);
    let set = |r: &crate::model::ReplicaSet| {
        let revision = r.revision.map(|n| format!(" · revision {n}")).unwrap_or_default();
        format!("{}{revision} · {} ready", sanitize(&r.describe()), r.ready)
    };
    let this = |r: &crate::model::ReplicaSet| {
        if pod.replica_set.as_deref() == Some(r.name.as_str()) { " · this pod's" } else { "" }
    };
    if let Some(new) = sets.new {
        l.push(kv(app, "New ReplicaSet", format!("{}{}", set(new), this(new))));
    }
    for (i, old) in sets.old.iter().enumerate() {
        l.push(kv(app, if i == 0 { "Old ReplicaSets" } else { "" }, format!("{}{}", set(old), this(old))));
    }
    if sets.history > 0 {
        let label = if sets.old.is_empty() { "Old ReplicaSets" } else { "" };
        let older = if sets.history == 1 { "revision" } else { "revisions" };
        l.push(kv(app, label, format!("{} older {older} scaled to zero", sets.history)));
    }
    if let Some(h) = held_up_by {
        let status = match h.note(app.now) {
            Some(note) => format!("{} · {}", h.status(), note),
            None => h.status().into_owned(),
        };
        let who = if h.key() == pod.key() { "this pod".to_string() } else { sanitize(&h.name).into_owned() };
        l.push(kv(app, "Held up by", format!("{who}: {}", sanitize(&status))));
    }
}

fn pod_lines<'a>(app: &App, p: &Pod) -> Vec<Line<'a>> {
    let printed = p.printed();
    let status = match p.note(app.now) {
        Some(note) => format!("{} · {}", sanitize(&printed.status), sanitize(&note)),
        None => sanitize(&printed.status).into_owned(),
    };
    let hour = match p.restarts_within(app.now, crate::state::store::RESTART_WINDOW) {
        crate::model::Count::Exactly(n) => format!("{n} in the last hour"),
        crate::model::Count::AtLeast(n) => {
            format!("at least {n} in the last hour; some were before the console watched")
        }
    };
    let mut l = vec![
        kv(app, "Status", status),
        kv(app, "Phase", sanitize(&p.phase).into_owned()),
        kv(app, "Ready", format!("{}/{}", printed.ready, printed.total)),
        kv(app, "Restarts", format!("{}; {hour}", p.restarts_column(app.now))),
        kv(app, "Node", sanitize(p.node.as_deref().unwrap_or("-")).into_owned()),
        kv(app, "Deployment", sanitize(p.deployment.as_deref().unwrap_or("-")).into_owned()),
        kv(
            app,
            "Created",
            format!("{} UTC ({} ago)", p.created.format("%Y-%m-%d %H:%M:%S"), fmt_age(app.now - p.created)),
        ),
    ];
    let deployment = p.deployment.as_ref().and_then(|d| app.live.deployments.get(&format!("{}/{d}", p.namespace)));
    if let Some(d) = deployment {
        rollout_lines(app, d, p, &mut l);
    }
    if let Some((reason, message)) = p.conditions.unscheduled.as_deref() {
        l.push(kv(app, "Scheduling", format!("{}: {}", sanitize(reason), sanitize(message))));
    }
    if let (Some(reason), Some(message)) = (&p.reason, &p.message) {
        l.push(kv(app, "Reason", format!("{}: {}", sanitize(reason), sanitize(message))));
    }
    let kinds = p.init_containers.iter().map(|c| (if c.sidecar { "Sidecar" } else { "Init container" }, c));
    for (kind, c) in kinds.chain(p.containers.iter().map(|c| ("Container", c))) {
        l.push(Line::default());
        l.push(heading(app, &format!("{kind} {}", sanitize(&c.name))));
        l.push(kv(app, "  Image", sanitize(&c.image).into_owned()));
        l.push(kv(app, "  Ready", if c.ready { "yes" } else { "no" }));
        l.push(kv(app, "  Restarts", c.restarts.to_string()));
        let state = match &c.state {
            ContainerState::Running { since } => format!("Running since {} UTC", fmt_time(*since)),
            ContainerState::Waiting { reason, message } => {
                let reason = if reason.is_empty() { "(no reason given)".into() } else { sanitize(reason) };
                match message {
                    Some(m) => format!("Waiting: {reason} — {}", sanitize(m)),
                    None => format!("Waiting: {reason}"),
                }
            }
            ContainerState::Terminated(t) => format!("Terminated: {}", termination(t)),
            ContainerState::Unreported => "not reported yet".into(),
        };
        l.push(kv(app, "  State", state));
        if let Some(t) = &c.last_termination {
            let when = t
                .finished
                .map(|f| format!(" at {} UTC ({} ago)", fmt_time(f), fmt_age(app.now - f)))
                .unwrap_or_default();
            l.push(kv(app, "  Last termination", format!("{}{when}", termination(t))));
        }
    }
    l.push(Line::default());
    l.push(heading(app, "Warnings, last hour"));
    let object = format!("Pod/{}", p.name);
    let groups = app.live.warning_groups(app.now - chrono::TimeDelta::hours(1));
    let group = groups.into_iter().find(|g| g.object == object && *g.namespace == *p.namespace);
    match group {
        None => l.push(Line::styled("none", app.theme.style(Slot::TextDim))),
        Some(g) => {
            for r in g.reasons {
                l.push(Line::from(vec![
                    Span::styled(format!("{:>6} ", fmt_age(app.now - r.last_seen)), app.theme.style(Slot::TextDim)),
                    Span::styled(format!("{} ×{} ", sanitize(&r.reason), r.count), app.theme.style(Slot::StatusWarn)),
                    Span::raw(sanitize(&r.message).into_owned()),
                ]));
            }
        }
    }
    l
}

/// `OOMKilled (exit 137)`, `Signal:9 (exit 137)`.
fn termination(t: &crate::model::Termination) -> String {
    format!("{} (exit {})", sanitize(&t.label()), t.exit_code)
}

fn db_lines<'a>(app: &App, db: &Db) -> Vec<Line<'a>> {
    let d = &db.instance;
    let join = |v: &[String]| {
        if v.is_empty() {
            "none".to_string()
        } else {
            v.iter().map(|s| sanitize(s).into_owned()).collect::<Vec<_>>().join(", ")
        }
    };
    let last = |v: Option<f64>| v.map(|x| format!("{x:.1}")).unwrap_or_else(|| "-".into());
    let free = match (db.free_gib(), db.free_ratio()) {
        (Some(gib), Some(ratio)) => format!("{gib:.1} GiB free ({:.0}%)", ratio * 100.0),
        _ => "free space not reported yet".into(),
    };
    let mut l = vec![
        kv(app, "Status", sanitize(&d.status).into_owned()),
        kv(app, "Role", d.role()),
        kv(app, "Cluster", sanitize(d.cluster.as_deref().unwrap_or("-")).into_owned()),
        kv(app, "Class", sanitize(&d.class).into_owned()),
        kv(app, "Engine", format!("{} {}", sanitize(&d.engine), sanitize(&d.engine_version))),
        kv(app, "Multi-AZ", if d.multi_az { "yes" } else { "no" }),
        kv(app, "Availability zone", sanitize(&d.az).into_owned()),
        kv(app, "Secondary AZ", sanitize(d.secondary_az.as_deref().unwrap_or("-")).into_owned()),
        kv(app, "Endpoint", sanitize(&d.endpoint).into_owned()),
        kv(app, "Storage", format!("{} GiB allocated, {free}", d.allocated_gib)),
        kv(app, "Reads from", sanitize(d.replica_of.as_deref().unwrap_or("-")).into_owned()),
        kv(app, "Read replicas", join(&d.replicas)),
        kv(app, "Replica lag", db.replica_lag_s().map(|l| format!("{l:.1} s")).unwrap_or_else(|| "-".into())),
        kv(app, "Pending modifications", join(&d.pending_modifications)),
        kv(app, "Backup retention", format!("{} days", d.backup_retention_days)),
        kv(app, "ARN", sanitize(&d.arn).into_owned()),
        kv(app, "CPU (latest)", format!("{} %", last(db.cpu()))),
        // Connections are a count: no decimals.
        kv(app, "Connections (latest)", db.connections().map_or_else(|| "-".into(), |x| format!("{x:.0}"))),
        kv(app, "Free storage (latest)", format!("{} GiB", last(db.free_gib()))),
    ];
    history_lines(app, "Events, last hour", &mut l);
    l
}

/// Every result of this session, newest first, with the command that ran;
/// long outcomes and commands are wrapped to `width` so nothing is cut.
fn result_lines<'a>(app: &App, width: usize) -> Vec<Line<'a>> {
    if app.results().next().is_none() {
        return vec![Line::styled("no actions run yet", app.theme.style(Slot::TextDim))];
    }
    let mut lines = Vec::new();
    for r in app.results() {
        let (glyph, slot, text) = match &r.status {
            ActionStatus::DryRun => ("◌", Slot::StatusWarn, "DRY-RUN: recorded, not executed".to_string()),
            _ => super::footer::outcome(r),
        };
        lines.push(Line::from(vec![
            Span::styled(format!("{} UTC ", r.updated.format("%Y-%m-%d %H:%M:%S")), app.theme.style(Slot::TextDim)),
            Span::styled(format!("{glyph} "), app.theme.style(slot)),
            Span::styled(r.action.title(), app.theme.style(Slot::TextStrong)),
            Span::raw(format!(" · {}", sanitize(&r.action.target_label()))),
        ]));
        for chunk in wrap(&text, width.saturating_sub(4)) {
            lines.push(Line::styled(format!("    {chunk}"), app.theme.style(slot)));
        }
        if let ActionStatus::Succeeded(o) = &r.status
            && o.evidence.len() > 1
        {
            for f in &o.evidence {
                let name = crate::evidence::display_name(&f.path);
                let line = format!("{} · {} bytes · sha256 {}", sanitize(&name), f.bytes, f.sha256);
                for chunk in wrap(&line, width.saturating_sub(6)) {
                    lines.push(Line::styled(format!("      {chunk}"), app.theme.style(Slot::StatusOk)));
                }
            }
        }
        for chunk in wrap(&format!("$ {}", sanitize(&r.action.cli())), width.saturating_sub(4)) {
            lines.push(Line::styled(format!("    {chunk}"), app.theme.style(Slot::TextDim)));
        }
    }
    lines
}

fn help_lines<'a>(app: &App) -> Vec<Line<'a>> {
    let mut lines = vec![Line::styled(
        format!("keymap: {}   (rebind in <config>/keymaps/{}.toml)", app.keymap.name, app.keymap.name),
        app.theme.style(Slot::TextDim),
    )];
    let panel_title = format!("In the {} pane", app.focus.title());
    for (layer, title) in [
        (Layer::Global, "Everywhere"),
        (Layer::Panel, panel_title.as_str()),
        (Layer::Popup, "Details and help"),
        (Layer::Viewer, "Logs and YAML"),
        (Layer::Menu, "Menus and palette"),
        (Layer::Confirm, "Confirmation"),
        (Layer::Input, "Text fields"),
        (Layer::Editor, "Note editor (other keys type: Enter a new line, arrows, Backspace, C-a/C-e, paste)"),
    ] {
        lines.push(Line::default());
        lines.push(heading(app, title));
        let mut seen: Vec<Command> = Vec::new();
        for b in app.keymap.bindings(layer) {
            // Panel keys are listed for the pane help was opened from.
            if seen.contains(&b.command) || (layer == Layer::Panel && !app.offers(b.command)) {
                continue;
            }
            seen.push(b.command);
            let keys = app
                .keymap
                .bindings(layer)
                .iter()
                .filter(|x| x.command == b.command)
                .map(|x| display_sequence(&x.keys))
                .collect::<Vec<_>>()
                .join(", ");
            lines.push(Line::from(vec![
                Span::styled(format!("  {keys:<18}"), app.theme.style(Slot::FooterKey)),
                Span::raw(b.desc.clone()),
            ]));
        }
        if seen.is_empty() {
            lines.push(Line::styled("  no keys of its own", app.theme.style(Slot::TextDim)));
        }
    }
    lines.push(Line::default());
    lines.push(Line::styled(
        "Esc always cancels a confirmation. Destructive actions need the target's name typed.",
        app.theme.style(Slot::TextDim),
    ));
    lines
}

fn draw_palette(
    app: &App,
    frame: &mut Frame,
    area: Rect,
    input: &ratatui_textarea::TextArea<'static>,
    selected: usize,
) {
    let items = app.palette_items();
    let h = (items.len() as u16 + 4).min(area.height.saturating_sub(2)).max(5);
    let r = centered(area, 60, h);
    frame.render_widget(Clear, r);
    let block = dialog_block(app, " Command palette ".into());
    let inner = block.inner(r);
    frame.render_widget(block, r);
    let [field, sep, list] =
        Layout::vertical([Constraint::Length(1), Constraint::Length(1), Constraint::Fill(1)]).areas(inner);
    let [prompt, text] = Layout::horizontal([Constraint::Length(2), Constraint::Fill(1)]).areas(field);
    frame.render_widget(Paragraph::new(Span::styled(": ", app.theme.style(Slot::FooterKey))), prompt);
    frame.render_widget(input, text);
    frame.render_widget(
        Paragraph::new("─".repeat(usize::from(sep.width))).style(app.theme.style(Slot::PanelBorder)),
        sep,
    );
    if items.is_empty() {
        frame.render_widget(Paragraph::new(Span::styled("no matching command", app.theme.style(Slot::TextDim))), list);
        return;
    }
    let rows: Vec<ListItem> = items.iter().map(|i| ListItem::new(i.label.clone())).collect();
    let mut state = ListState::default().with_selected(Some(selected.min(items.len() - 1)));
    frame.render_stateful_widget(
        List::new(rows).highlight_style(app.theme.style(Slot::Selection)).highlight_symbol("› "),
        list,
        &mut state,
    );
}

fn draw_confirm(app: &App, frame: &mut Frame, area: Rect, c: &Confirm) {
    let a = &c.action;
    let risk = a.risk();
    let blocked = app.blocked_reason(a);
    let dim = app.theme.style(Slot::TextDim);
    let mut lines = vec![
        Line::from(vec![
            Span::styled(format!("{:<9}", "Risk"), dim),
            Span::styled(risk.label(), risk_style(app, risk)),
        ]),
        Line::from(vec![
            Span::styled(format!("{:<9}", "Target"), dim),
            Span::styled(sanitize(&a.target_label()).into_owned(), app.theme.style(Slot::TextStrong)),
        ]),
        Line::from(vec![
            Span::styled(format!("{:<9}", "Where"), dim),
            Span::raw(sanitize(&a.scope_label()).into_owned()),
        ]),
    ];
    match &a.kind {
        // A script is shown as it will run, line by line.
        crate::actions::ActionKind::RunScript { script, .. } => {
            lines.push(Line::styled("Script", dim));
            lines.extend(script.lines().map(|l| Line::from(format!("  {}", sanitize(l)))));
        }
        _ => lines.push(Line::from(vec![
            Span::styled(format!("{:<9}", "Command"), dim),
            Span::raw(sanitize(&a.cli()).into_owned()),
        ])),
    }
    lines.push(Line::default());
    if let Some(reason) = &blocked {
        lines.push(Line::styled(format!("⊘ {reason}"), app.theme.style(Slot::StatusCrit)));
    } else if app.flags.dry_run && risk.mutates() {
        lines.push(Line::styled(
            "DRY-RUN: confirming records the action without executing it",
            app.theme.style(Slot::StatusWarn),
        ));
    }
    let key = |layer, cmd| app.keymap.hint(layer, cmd).unwrap_or_else(|| "?".into());
    if c.typed.is_some() {
        lines.push(Line::from(vec![
            Span::raw("Type "),
            Span::styled(sanitize(a.target()).into_owned(), app.theme.style(Slot::TextStrong)),
            Span::raw(" to confirm:"),
        ]));
    } else if blocked.is_none() {
        lines.push(Line::from(vec![
            Span::styled(key(Layer::Confirm, Command::Confirm), app.theme.style(Slot::FooterKey)),
            Span::raw(" confirm    "),
            Span::styled(
                app.keymap.keys_for(Layer::Confirm, Command::Cancel).join("/"),
                app.theme.style(Slot::FooterKey),
            ),
            Span::raw(" cancel (default)"),
        ]));
    } else {
        lines.push(Line::from(vec![Span::styled("Esc", app.theme.style(Slot::FooterKey)), Span::raw(" close")]));
    }
    if let Some(r) = &c.refusal
        && blocked.is_none()
    {
        lines.push(Line::styled(r.clone(), app.theme.style(Slot::StatusCrit)));
    }
    let width = 76u16.min(area.width);
    // Measured the way it is drawn, so the last line is never cut off.
    let paragraph = Paragraph::new(lines).wrap(Wrap { trim: false });
    let text_rows = wrapped_height(&paragraph, width.saturating_sub(2));
    let field_rows: u16 = if c.typed.is_some() { 2 } else { 0 };
    let hint_rows: u16 = if c.typed.is_some() { 1 } else { 0 };
    let h = text_rows + field_rows + hint_rows + 2;
    let r = centered(area, width, h);
    frame.render_widget(Clear, r);
    let block = dialog_block(app, format!(" Confirm: {} ", a.title())).border_style(risk_style(app, risk));
    let inner = block.inner(r);
    frame.render_widget(block, r);
    let [text, field, hint] =
        Layout::vertical([Constraint::Fill(1), Constraint::Length(field_rows), Constraint::Length(hint_rows)])
            .areas(inner);
    frame.render_widget(paragraph, text);
    if let Some(t) = &c.typed {
        let [_, f] = Layout::vertical([Constraint::Length(1), Constraint::Length(1)]).areas(field);
        let mut t = t.clone();
        t.set_style(app.theme.style(Slot::Input));
        frame.render_widget(&t, f);
        let submit = key(Layer::Input, Command::Submit);
        let matches = c.typed_matches();
        let hint_line = if blocked.is_some() {
            Line::from(vec![Span::styled("Esc", app.theme.style(Slot::FooterKey)), Span::raw(" close")])
        } else {
            Line::from(vec![
                Span::styled(submit, app.theme.style(Slot::FooterKey)),
                Span::styled(
                    if matches { " confirm    " } else { " (name must match)    " },
                    if matches { app.theme.style(Slot::StatusOk) } else { dim },
                ),
                Span::styled("Esc", app.theme.style(Slot::FooterKey)),
                Span::raw(" cancel"),
            ])
        };
        frame.render_widget(Paragraph::new(hint_line), hint);
    }
}

#[cfg(test)]
mod tests {
    use super::wrap;

    #[test]
    fn wrap_breaks_at_spaces_and_splits_long_words() {
        assert_eq!(
            wrap("aws rds reboot-db-instance --region eu-west-1", 20),
            ["aws rds", "reboot-db-instance", "--region eu-west-1"]
        );
        assert_eq!(wrap("x".repeat(20).as_str(), 8), ["xxxxxxxx", "xxxxxxxx", "xxxx"]);
        assert_eq!(wrap("", 10), [""]);
        for piece in wrap("kubectl --context demo-eks-prod -n shop rollout restart deployment/backend", 24) {
            assert!(piece.chars().count() <= 24, "{piece}");
        }
    }
}
