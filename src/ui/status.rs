//! Status bar (incident badge, modes, source health, where we are) and the
//! tab bar of the narrow layout.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{health_glyph, health_style};
use crate::app::{App, PanelId};
use crate::config::theme::Slot;
use crate::format::{fmt_age, fmt_clock, retry_countdown};
use crate::incident::Clock;
use crate::model::Health;
use crate::sanitize::sanitize;
use crate::state::{FeedStatus, SourceId};

/// A source's dot and the word beside it in the status bar, at the app's
/// clock: nothing while live, `connecting`/`syncing` before data, the age
/// of the last contact when stale, the retry countdown when failed.
pub fn source_status(app: &App, id: SourceId) -> (Health, String) {
    let Some((_, status)) = app.live.feeds.worst(id, app.now) else { return (Health::Unknown, String::new()) };
    let label = match status {
        FeedStatus::Live => String::new(),
        FeedStatus::Connecting => "connecting".into(),
        FeedStatus::Syncing => "syncing".into(),
        FeedStatus::Stale { last_ok } => fmt_age(app.now - last_ok),
        FeedStatus::Failed(f) => retry_countdown(f, app.now),
        FeedStatus::Stopped(_) => "stopped".into(),
        FeedStatus::Off(_) => "off".into(),
    };
    (status.health(), label)
}

/// How much the status bar says; each level shortens one more thing, in
/// the order an engineer can best spare it. The Kubernetes context and the
/// AWS account and region are never dropped: they say where actions go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Detail {
    Full,
    /// Without the API server's host.
    NoCluster,
    /// `RO DRY DEMO` in one badge.
    ShortModes,
    /// `account@region` without the profile name (an account number and
    /// a region say "AWS" on their own).
    NoProfile,
    /// `●k ●r ●a ●t` with ages.
    ShortSources,
    /// The incident badge without its target.
    ShortClock,
    /// One glyph per source.
    Glyphs,
    /// The context without the namespace.
    NoNamespace,
}

const DETAILS: [Detail; 8] = [
    Detail::Full,
    Detail::NoCluster,
    Detail::ShortModes,
    Detail::NoProfile,
    Detail::ShortSources,
    Detail::ShortClock,
    Detail::Glyphs,
    Detail::NoNamespace,
];

pub fn draw(app: &App, frame: &mut Frame, area: Rect) {
    let width = usize::from(area.width);
    let line = DETAILS
        .iter()
        .map(|d| bar_line(app, *d))
        .find(|l| l.width() <= width)
        .unwrap_or_else(|| bar_line(app, Detail::NoNamespace));
    frame.render_widget(Paragraph::new(line).style(app.theme.style(Slot::Bar)), area);
}

fn bar_line(app: &App, detail: Detail) -> Line<'static> {
    let bar = app.theme.style(Slot::Bar);
    let mut spans = Vec::new();
    if let Some(i) = app.incident() {
        let elapsed = app.now - i.started;
        let target = i.severity.target();
        let clock = i.severity.clock(elapsed);
        let over = if clock == Clock::Over { " OVER" } else { "" };
        let text = if detail >= Detail::ShortClock {
            format!(" {}{over} ", fmt_clock(elapsed))
        } else {
            format!(" {} / {}{over} ", fmt_clock(elapsed), fmt_clock(target))
        };
        spans.push(Span::styled(format!(" {} ", i.severity.label()), app.theme.style(Slot::BarBadge)));
        spans.push(Span::styled(text, app.theme.style(clock_slot(clock))));
        spans.push(Span::raw(" "));
    }
    let modes: Vec<(&str, &str)> = [
        (app.flags.read_only, ("READ-ONLY", "RO")),
        (app.flags.dry_run, ("DRY-RUN", "DRY")),
        (app.env.demo, ("DEMO", "DEMO")),
    ]
    .into_iter()
    .filter_map(|(on, names)| on.then_some(names))
    .collect();
    if detail >= Detail::ShortModes && !modes.is_empty() {
        let short: Vec<&str> = modes.iter().map(|(_, s)| *s).collect();
        spans.push(Span::styled(format!(" {} ", short.join(" ")), app.theme.style(Slot::BarMode)));
        spans.push(Span::raw(" "));
    } else {
        for (long, _) in modes {
            spans.push(Span::styled(format!(" {long} "), app.theme.style(Slot::BarMode)));
            spans.push(Span::raw(" "));
        }
    }
    for id in SourceId::ALL {
        let (h, age) = source_status(app, id);
        spans.push(Span::styled(health_glyph(h), bar.patch(health_style(app, h))));
        let label = if detail >= Detail::ShortSources { &id.label()[..1] } else { id.label() };
        match detail {
            Detail::Glyphs | Detail::NoNamespace => {}
            _ if age.is_empty() => spans.push(Span::raw(format!("{label} "))),
            _ => spans.push(Span::raw(format!("{label} {age} "))),
        }
    }
    if detail >= Detail::Glyphs {
        spans.push(Span::raw(" "));
    }
    let env = &app.env;
    let kube = if detail >= Detail::NoNamespace {
        sanitize(&env.kube_context).into_owned()
    } else {
        format!("{}/{}", sanitize(&env.kube_context), sanitize(&env.namespace))
    };
    let kube = if detail == Detail::Full && !env.kube_cluster.is_empty() {
        format!("{kube} @{}", sanitize(&env.kube_cluster))
    } else {
        kube
    };
    let aws = if env.aws_account.is_empty() && env.aws_region.is_empty() {
        "no AWS".to_string()
    } else if detail >= Detail::NoProfile {
        // The account once known; until then the profile it comes from.
        let who = if env.aws_account.is_empty() { &env.aws_profile } else { &env.aws_account };
        format!("{}@{}", sanitize(who), sanitize(&env.aws_region))
    } else {
        let who = match (env.aws_account.as_str(), env.aws_caller.as_str()) {
            ("", _) => "connecting".to_string(),
            (account, "") => sanitize(account).into_owned(),
            (account, caller) => format!("{} {}", sanitize(account), sanitize(caller)),
        };
        format!("aws {}@{} ({who})", sanitize(&env.aws_profile), sanitize(&env.aws_region))
    };
    spans.push(Span::raw(format!("│ ⎈ {kube} │ {aws}")));
    Line::from(spans)
}

/// Worst health per data panel, for tab markers.
fn panel_health(app: &App, panel: PanelId) -> Health {
    app.worst(panel).unwrap_or(Health::Ok)
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

/// The style a response clock is drawn in, wherever it is shown.
pub(crate) fn clock_slot(clock: Clock) -> Slot {
    match clock {
        Clock::Within => Slot::BarClock,
        Clock::Near => Slot::BarClockNear,
        Clock::Over => Slot::BarClockOver,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::Flags;
    use crate::fixtures::{demo_app_with, press};

    fn bar(app: &App) -> String {
        let mut t = ratatui::Terminal::new(ratatui::backend::TestBackend::new(app.size.0, 1)).unwrap();
        t.draw(|f| draw(app, f, f.area())).unwrap();
        t.backend().buffer().content().iter().map(|c| c.symbol()).collect()
    }

    #[test]
    fn narrow_bars_shorten_badges_but_keep_context_account_and_region() {
        let flags = Flags { read_only: true, read_only_locked: true, dry_run: true };
        for width in [80, 100, 120, 200] {
            let mut app = demo_app_with(60, (width, 24), "default", "default", flags);
            press(&mut app, "P1");
            let text = bar(&app);
            for must in ["demo-eks-prod/shop", "123456789012", "eu-west-1", "P1 "] {
                assert!(text.contains(must), "{width} cols lost {must}: {text}");
            }
            if width == 200 {
                assert!(text.contains("READ-ONLY") && text.contains("/ 15:00") && text.contains("●kube"), "{text}");
            }
        }
    }

    #[test]
    fn a_narrow_bar_names_the_profile_until_the_account_is_known() {
        let mut app = demo_app_with(60, (80, 24), "default", "default", Flags::default());
        (app.env.aws_account, app.env.aws_profile, app.env.aws_region) = (String::new(), "prod".into(), "?".into());
        let text = bar(&app);
        assert!(text.contains("│ prod@?"), "{text}");
        app.env.aws_account = "123456789012".into();
        assert!(bar(&app).contains("│ 123456789012@?"), "{}", bar(&app));
    }
}
