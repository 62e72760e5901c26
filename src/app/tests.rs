use chrono::TimeDelta;
use proptest::prelude::*;

use super::*;
use crate::actions::{ActionKind, Origin};
use crate::actions::{Risk, SavedEvidence};
use crate::config::theme::Slot;
use crate::fixtures::{deliver, demo_app, demo_app_with, perform_records, press, t0, type_text};
use crate::incident::MemoryRecorder;
use crate::model::Health;
use crate::playbook::CheckResult;
use crate::state::{Delta, ErrorKind, FeedData, FeedId, FeedSignal, FeedStatus, SourceError, SourceId};

fn app() -> App {
    demo_app(60, (80, 24), "default")
}

fn executed(effects: &[Effect]) -> Vec<Action> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Execute { action, .. } => Some(action.clone()),
            _ => None,
        })
        .collect()
}

/// The newest result's status.
fn status(app: &App) -> ActionStatus {
    app.results().next().map(|r| r.status.clone()).expect("a result")
}

fn output(message: &str) -> ActionOutput {
    ActionOutput::message(message)
}

fn menu_titles(app: &App) -> Vec<String> {
    match &app.overlay {
        Some(Overlay::ActionMenu { actions, .. }) => actions.iter().map(Action::title).collect(),
        other => panic!("no action menu: {other:?}"),
    }
}

/// Opens the action menu on the selected pod and picks the entry titled `title`.
fn choose_pod_action(app: &mut App, title: &str) -> Action {
    press(app, "1a");
    let titles = menu_titles(app);
    let i = titles.iter().position(|t| t == title).unwrap_or_else(|| panic!("{title} not in {titles:?}"));
    for _ in 0..i {
        press(app, "<Down>");
    }
    press(app, "<Enter>");
    match &app.overlay {
        Some(Overlay::Confirm(c)) => c.action.clone(),
        other => panic!("no confirm dialog: {other:?}"),
    }
}

#[test]
fn unhealthy_pods_come_first() {
    let app = app();
    let first = app.pods().visible(4).map(|(_, p)| p.status().to_string()).collect::<Vec<_>>();
    assert_eq!(first, vec!["CrashLoopBackOff"; 4]);
    let alarm = app.alarms().visible(1).next().unwrap().1;
    assert_eq!(alarm.state, crate::model::AlarmState::Alarm);
}

#[test]
fn stats_count_what_is_red() {
    let app = app();
    assert_eq!(app.live.pods.notable(), 4);
    assert_eq!(app.live.alarms.notable(), 5);
    assert_eq!(app.live.dbs.notable(), 1);
    assert!(app.live.trail.notable() >= 8);
    let healthy = demo_app(5, (80, 24), "default");
    assert_eq!((healthy.live.pods.notable(), healthy.live.alarms.notable()), (0, 0));
}

#[test]
fn focus_cycles_through_panes_and_digits_jump() {
    let mut app = app();
    assert_eq!(app.focus, PanelId::Pods);
    press(&mut app, "<Tab>");
    assert_eq!(app.focus, PanelId::Rds);
    press(&mut app, "<Tab><Tab><Tab>");
    assert_eq!(app.focus, PanelId::Checklist);
    press(&mut app, "<Tab>");
    assert_eq!(app.focus, PanelId::Pods);
    press(&mut app, "<S-Tab>");
    assert_eq!(app.focus, PanelId::Checklist);
    press(&mut app, "3");
    assert_eq!(app.focus, PanelId::Alarms);
}

#[test]
fn narrow_checklist_toggle_switches_view_and_back() {
    let mut app = app();
    press(&mut app, "2c");
    assert_eq!(app.focus, PanelId::Checklist);
    press(&mut app, "c");
    assert_eq!(app.focus, PanelId::Rds);
}

#[test]
fn wide_checklist_toggle_hides_column() {
    let mut app = demo_app(60, (200, 50), "default");
    assert!(app.panes().contains(&PanelId::Checklist));
    press(&mut app, "c");
    assert!(!app.show_checklist);
    assert!(!app.panes().contains(&PanelId::Checklist));
}

#[test]
fn filter_narrows_the_focused_panel_live() {
    let mut app = app();
    press(&mut app, "/");
    type_text(&mut app, "front");
    assert_eq!(app.pods().len(), 3);
    assert!(app.pods().visible(10).all(|(_, p)| p.name.starts_with("frontend")));
    press(&mut app, "<Enter>");
    assert!(app.overlay.is_none());
    assert_eq!(app.pods().filter(), "front");
    assert_eq!(app.pods().len(), 3, "filter stays after Enter");
    press(&mut app, "<Esc>");
    assert_eq!(app.pods().len(), 14, "Esc in the panel clears it");
}

#[test]
fn filter_cancel_restores_everything() {
    let mut app = app();
    press(&mut app, "3/");
    type_text(&mut app, "orders");
    assert_eq!(app.alarms().len(), 4);
    press(&mut app, "<Esc>");
    assert_eq!(app.alarms().len(), 13);
    assert!(app.overlay.is_none());
}

#[test]
fn typing_q_in_a_filter_does_not_quit() {
    let mut app = app();
    press(&mut app, "/");
    let fx = type_text(&mut app, "q");
    assert!(fx.is_empty());
    assert_eq!(app.pods().filter(), "q");
}

#[test]
fn movement_and_paging_follow_the_keymap() {
    let mut app = app();
    press(&mut app, "jj");
    assert_eq!(app.pods().selected_index(), 2);
    press(&mut app, "<End>");
    assert_eq!(app.pods().selected_index(), 13);
    press(&mut app, "<Home>");
    assert_eq!(app.pods().selected_index(), 0);
    press(&mut app, "<PageDown>");
    assert_eq!(app.pods().selected_index(), app.page_height());
}

#[test]
fn vim_gg_is_a_sequence() {
    let mut app = demo_app_with(60, (80, 24), "default", "vim", Flags::default());
    press(&mut app, "G");
    assert_eq!(app.pods().selected_index(), 13);
    press(&mut app, "g");
    assert_eq!(app.pods().selected_index(), 13, "waits for the second g");
    press(&mut app, "g");
    assert_eq!(app.pods().selected_index(), 0);
    // An abandoned sequence falls back to the last key alone.
    press(&mut app, "gj");
    assert_eq!(app.pods().selected_index(), 1);
}

#[test]
fn detail_opens_on_the_selected_item_and_closes() {
    let mut app = demo_app(60, (80, 16), "default");
    press(&mut app, "<Enter>");
    let key = app.pods().selected().unwrap().key();
    assert!(matches!(&app.overlay, Some(Overlay::Detail { panel: PanelId::Pods, key: k, .. }) if *k == key));
    press(&mut app, "j");
    assert!(matches!(&app.overlay, Some(Overlay::Detail { scroll, .. }) if scroll.offset() == 1));
    press(&mut app, "<Esc>");
    assert!(app.overlay.is_none());
}

#[test]
fn popup_scrolling_stops_at_the_end() {
    let help_scroll = |app: &App| match &app.overlay {
        Some(Overlay::Help { scroll }) => scroll.clone(),
        other => panic!("{other:?}"),
    };
    let mut app = app();
    press(&mut app, "?");
    rendered(&app);
    let limit = help_scroll(&app).limit().unwrap();
    assert!(limit > 0, "help is longer than 24 rows");
    press(&mut app, "<End>");
    assert_eq!(help_scroll(&app).offset(), limit);
    press(&mut app, "jjj");
    assert_eq!(help_scroll(&app).offset(), limit);
    press(&mut app, "k");
    assert_eq!(help_scroll(&app).offset(), limit - 1, "one up moves at once");
    // Keys that arrive before the popup is first drawn (a paste) end up
    // at the end too: the view clamps what it shows.
    let mut app = super::tests::app();
    press(&mut app, "?<End>");
    let screen = rendered(&app);
    assert_eq!(help_scroll(&app).offset(), limit);
    let last_line: String = (0..app.size.0).map(|x| screen[(x, app.size.1 - 2)].symbol().to_string()).collect();
    assert!(last_line.contains(&format!(" {limit}/{limit} ")), "{last_line}");
}

#[test]
fn a_scrolled_popup_keeps_its_place_across_a_resize_within_its_new_end() {
    let mut app = app();
    press(&mut app, "?");
    rendered(&app);
    press(&mut app, "<End>");
    app.update(Msg::Resize(200, 50));
    rendered(&app);
    let Some(Overlay::Help { scroll }) = &app.overlay else { panic!() };
    let taller = scroll.limit().unwrap();
    assert_eq!(scroll.offset(), taller, "the end at the new size");
    press(&mut app, "k");
    let Some(Overlay::Help { scroll }) = &app.overlay else { panic!() };
    assert_eq!(scroll.offset(), taller.saturating_sub(1));
}

#[test]
fn help_and_palette_open_and_close() {
    let mut app = app();
    press(&mut app, "?");
    assert!(matches!(app.overlay, Some(Overlay::Help { .. })));
    press(&mut app, "q");
    assert!(app.overlay.is_none(), "q closes help instead of quitting");
    press(&mut app, ":");
    assert!(matches!(app.overlay, Some(Overlay::Palette { .. })));
    press(&mut app, "<Esc>");
    assert!(app.overlay.is_none());
}

#[test]
fn quit_keys_close_popups_and_only_quit_from_the_main_screen() {
    let mut app = app();
    assert_eq!(press(&mut app, "q"), vec![Effect::Quit]);
    for (open, what) in [("1a", "action menu"), ("P", "severity picker"), ("1a<Down><Enter>", "confirmation")] {
        for quit in ["q", "<C-c>"] {
            press(&mut app, open);
            assert!(app.overlay.is_some(), "{what} opens");
            assert_eq!(press(&mut app, quit), vec![], "{quit} in the {what} does not quit");
            assert!(app.overlay.is_none(), "{quit} closes the {what}");
        }
    }
    // A typed confirmation (isolating the namespace) takes `q` as text.
    press(&mut app, "1a<End><Up><Enter>");
    assert!(app.has_text_field());
    press(&mut app, "q");
    assert_eq!(app.confirm_typed().as_deref(), Some("q"));
}

#[test]
fn quitting_during_an_incident_asks_and_stays_by_default() {
    let mut app = app();
    press(&mut app, "P1");
    assert!(app.incident().is_some());
    for stay in ["<Esc>", "n", "<Enter>", "q"] {
        assert_eq!(press(&mut app, "q"), vec![]);
        assert!(matches!(app.overlay, Some(Overlay::QuitConfirm)));
        assert_eq!(press(&mut app, stay), vec![], "{stay} stays");
        assert!(app.overlay.is_none() && app.incident().is_some());
    }
    press(&mut app, "q");
    assert_eq!(press(&mut app, "y"), vec![Effect::Quit]);
    // The palette's quit asks too.
    press(&mut app, "<Esc>:");
    type_text(&mut app, "quit");
    assert_eq!(press(&mut app, "<Enter>"), vec![]);
    assert!(matches!(app.overlay, Some(Overlay::QuitConfirm)));
}

#[test]
fn redraw_and_resize_ask_for_a_full_repaint() {
    let mut app = app();
    assert!(!app.take_repaint());
    app.update(Msg::Resize(100, 30));
    assert!(app.take_repaint());
    assert!(!app.take_repaint(), "once");
    press(&mut app, "<C-l>");
    assert!(app.take_repaint());
    press(&mut app, "?<C-l>");
    assert!(app.take_repaint(), "also inside a popup");
    assert!(matches!(app.overlay, Some(Overlay::Help { .. })));
}

#[test]
fn palette_switches_theme_and_jumps() {
    let mut app = app();
    press(&mut app, ":");
    type_text(&mut app, "theme mono");
    assert_eq!(app.palette_items().len(), 1);
    press(&mut app, "<Enter>");
    assert_eq!(app.theme.name, "mono");
    press(&mut app, ":");
    type_text(&mut app, "go cloudtrail");
    press(&mut app, "<Enter>");
    assert_eq!(app.focus, PanelId::Trail);
}

#[test]
fn palette_read_only_toggle_respects_the_lock() {
    let flags = Flags { read_only: true, read_only_locked: true, dry_run: false };
    let mut app = demo_app_with(60, (80, 24), "default", "default", flags);
    press(&mut app, ":");
    type_text(&mut app, "read-only");
    press(&mut app, "<Enter>");
    assert!(app.flags.read_only, "cannot turn off --read-only");
    let mut app = self::app();
    press(&mut app, ":");
    type_text(&mut app, "read-only");
    press(&mut app, "<Enter>");
    assert!(app.flags.read_only);
}

#[test]
fn action_menu_lists_only_valid_actions() {
    let mut app = app();
    press(&mut app, "1a");
    assert_eq!(
        menu_titles(&app),
        [
            "Collect pod logs as evidence",
            "Collect the deployment's pod logs as evidence",
            "Rollout restart deployment",
            "Scale up 4 → 5",
            "Scale down 4 → 3",
            "Scale deployment to zero",
            "Delete pod",
            "Isolate namespace shop (no traffic)",
            "Lift the isolation of namespace shop",
        ]
    );
    // The hot cluster writer sorts first in RDS; it fails over to its reader.
    press(&mut app, "<Esc>2a");
    assert_eq!(
        menu_titles(&app),
        ["Take a manual cluster snapshot", "Reboot DB instance", "Fail over cluster to orders-db-replica-1"]
    );
    // The standalone Multi-AZ instance reboots with failover instead.
    press(&mut app, "<Esc>");
    while app.dbs().selected().unwrap().instance.id != "billing-db" {
        press(&mut app, "j");
    }
    press(&mut app, "a");
    let titles = menu_titles(&app);
    assert!(titles.contains(&"Reboot with failover (Multi-AZ)".to_string()), "{titles:?}");
    assert_eq!(titles[0], "Take a manual snapshot", "a standalone instance is snapshotted alone");
    assert!(!titles.iter().any(|t| t.starts_with("Fail over cluster")), "{titles:?}");
    // The CloudTrail window can be exported, whatever is selected.
    press(&mut app, "<Esc>4a");
    assert_eq!(menu_titles(&app), ["Export CloudTrail, last 1h (JSON evidence)"]);
    press(&mut app, "<Esc>5a");
    assert!(app.overlay.is_none(), "nothing to act on in the checklist");
}

#[test]
fn change_action_runs_the_built_value_on_y() {
    let mut app = app();
    let action = choose_pod_action(&mut app, "Rollout restart deployment");
    assert_eq!(action.kind, ActionKind::RolloutRestart { namespace: "shop".into(), deployment: "backend".into() });
    assert_eq!(action.scope.kube_context, "demo-eks-prod");
    let fx = press(&mut app, "y");
    assert_eq!(executed(&fx), vec![action.clone()]);
    assert!(app.overlay.is_none());
    assert_eq!(status(&app), ActionStatus::Running);
    let Effect::Execute { id, .. } = fx[0] else { unreachable!() };
    deliver(&mut app, Msg::ActionDone { id, result: Ok(output("deployment.apps/backend restarted")) });
    assert_eq!(status(&app), ActionStatus::Succeeded(output("deployment.apps/backend restarted")));
}

#[test]
fn change_action_defaults_to_cancel() {
    for key in ["n", "<Esc>", "<Enter>"] {
        let mut app = app();
        choose_pod_action(&mut app, "Rollout restart deployment");
        let fx = press(&mut app, key);
        assert!(executed(&fx).is_empty(), "{key} must not run");
        assert!(app.overlay.is_none(), "{key} closes");
        assert!(app.results().next().is_none());
        assert_eq!(app.record.actions[0].status, ActionStatus::Cancelled, "the cancellation is recorded");
        assert!(app.notice.as_deref().unwrap_or("").starts_with("Cancelled"), "{key}");
    }
}

#[test]
fn destructive_action_needs_the_typed_name() {
    let mut app = app();
    let action = choose_pod_action(&mut app, "Delete pod");
    let name = action.target().to_string();
    assert!(executed(&press(&mut app, "y")).is_empty(), "y only types");
    assert!(executed(&press(&mut app, "<Enter>")).is_empty());
    let refusal = match &app.overlay {
        Some(Overlay::Confirm(c)) => c.refusal.clone(),
        _ => None,
    };
    assert!(refusal.unwrap().contains(&name));
    press(&mut app, "<BS>");
    type_text(&mut app, &name[..name.len() - 1]);
    assert!(executed(&press(&mut app, "<Enter>")).is_empty(), "a prefix is not the name");
    type_text(&mut app, &name[name.len() - 1..]);
    assert_eq!(app.confirm_typed().as_deref(), Some(name.as_str()));
    assert_eq!(executed(&press(&mut app, "<Enter>")), vec![action]);
}

#[test]
fn esc_always_cancels_even_when_rebound() {
    let mut keymap = Keymap::builtin("default").unwrap().unwrap();
    let user = crate::config::Source {
        path: "u.toml".into(),
        text: "[confirm]\nkeymap = [{ on = \"<Esc>\", run = \"confirm\" }]\n[input]\nkeymap = [{ on = \"<Esc>\", run = \"submit\" }]\n".into(),
    };
    keymap = keymap.merge(Keymap::parse(&user, "default").unwrap());
    let mut app = app();
    app.keymap = keymap;
    choose_pod_action(&mut app, "Rollout restart deployment");
    assert!(executed(&press(&mut app, "<Esc>")).is_empty());
    assert!(app.overlay.is_none());
}

#[test]
fn read_only_previews_but_refuses_mutations() {
    let flags = Flags { read_only: true, read_only_locked: true, dry_run: false };
    let mut app = demo_app_with(60, (80, 24), "default", "default", flags);
    choose_pod_action(&mut app, "Rollout restart deployment");
    assert!(executed(&press(&mut app, "y")).is_empty());
    assert!(
        matches!(&app.overlay, Some(Overlay::Confirm(c)) if c.refusal.as_deref().unwrap_or("").contains("read-only"))
    );
    press(&mut app, "<Esc>");
    // Reading is still allowed.
    let logs = choose_pod_action(&mut app, "Collect pod logs as evidence");
    assert_eq!(executed(&press(&mut app, "y")), vec![logs]);
}

#[test]
fn dry_run_records_without_executing() {
    let flags = Flags { read_only: false, read_only_locked: false, dry_run: true };
    let mut app = demo_app_with(60, (80, 24), "default", "default", flags);
    choose_pod_action(&mut app, "Rollout restart deployment");
    assert!(executed(&press(&mut app, "y")).is_empty());
    assert_eq!(status(&app), ActionStatus::DryRun);
    assert!(app.overlay.is_none());
}

#[test]
fn collected_evidence_opens_in_a_viewer() {
    let mut app = app();
    // Nothing collected yet: the key explains instead of opening nothing.
    assert!(!app.offers(Command::Evidence));
    assert!(press(&mut app, "E").is_empty());
    assert!(app.notice.as_deref().unwrap().contains("No evidence yet"), "{:?}", app.notice);
    let action = choose_pod_action(&mut app, "Collect pod logs as evidence");
    let id = match press(&mut app, "y").first() {
        Some(Effect::Execute { id, action: a }) if *a == action => *id,
        other => panic!("{other:?}"),
    };
    let path = PathBuf::from("/data/evidence/20260101T000100Z-shop-backend-x-app.log");
    let previous = PathBuf::from("/data/evidence/20260101T000100Z-shop-backend-x-app-previous.log");
    let saved = |path: &PathBuf| SavedEvidence { path: path.clone(), bytes: 10, sha256: "ab".repeat(32) };
    let output = ActionOutput {
        message: "collected 2 logs (124 lines) of pod backend-x; 2 files saved in /data/evidence".into(),
        evidence: vec![saved(&path), saved(&previous)],
        output: None,
    };
    deliver(&mut app, Msg::ActionDone { id, result: Ok(output) });
    assert!(app.offers(Command::Evidence));
    assert_eq!(press(&mut app, "E"), vec![Effect::LoadEvidence(path.clone())]);
    // The palette lists every evidence file by name.
    press(&mut app, ":");
    type_text(&mut app, "evidence");
    assert_eq!(app.palette_items()[0].label, "View evidence: 20260101T000100Z-shop-backend-x-app.log");
    assert_eq!(press(&mut app, "<Enter>"), vec![Effect::LoadEvidence(path.clone())]);
    let text: String = (0..200).map(|i| format!("line {i}\n")).collect();
    app.update(Msg::EvidenceLoaded { path: path.clone(), text: Ok(text) });
    assert!(
        matches!(&app.overlay, Some(Overlay::Evidence { path: p, scroll, .. }) if *p == path && scroll.offset() == 0)
    );
    press(&mut app, "jj");
    assert!(matches!(&app.overlay, Some(Overlay::Evidence { scroll, .. }) if scroll.offset() == 2));
    press(&mut app, "q");
    assert!(app.overlay.is_none(), "q closes the viewer, not the program");
    // A file that went away is reported, not shown empty.
    app.update(Msg::EvidenceLoaded { path, text: Err("No such file or directory (os error 2)".into()) });
    assert!(app.overlay.is_none());
    assert!(app.notice.as_deref().unwrap().starts_with("Cannot read /data/evidence/"), "{:?}", app.notice);
}

#[test]
fn results_history_lists_every_outcome() {
    let mut app = app();
    choose_pod_action(&mut app, "Collect pod logs as evidence");
    let id = match press(&mut app, "y").first() {
        Some(Effect::Execute { id, .. }) => *id,
        other => panic!("{other:?}"),
    };
    deliver(&mut app, Msg::ActionDone { id, result: Err(ActionError::rejected("pod not found")) });
    choose_pod_action(&mut app, "Rollout restart deployment");
    press(&mut app, "y");
    assert_eq!(app.results().count(), 2);
    press(&mut app, "R");
    assert!(matches!(&app.overlay, Some(Overlay::Results { scroll }) if scroll.offset() == 0));
    press(&mut app, "q");
    assert!(app.overlay.is_none());
}

#[test]
fn severity_picker_starts_incident_and_clock() {
    let mut app = app();
    assert!(app.incident().is_none());
    press(&mut app, "P");
    assert!(matches!(app.overlay, Some(Overlay::SeverityPicker { .. })));
    press(&mut app, "2");
    let inc = app.incident().cloned().unwrap();
    assert_eq!(inc.severity, Severity::P2);
    assert_eq!(inc.started, t0() + TimeDelta::seconds(60));
    assert!(app.clock_on_screen());
    press(&mut app, "P<Up><Enter>");
    assert_eq!(app.incident().unwrap().severity, Severity::P1);
    assert_eq!(app.incident().unwrap().started, inc.started, "start time kept");
}

/// The screen as drawn.
fn rendered(app: &App) -> ratatui::buffer::Buffer {
    let mut t = ratatui::Terminal::new(ratatui::backend::TestBackend::new(app.size.0, app.size.1)).unwrap();
    t.draw(|f| crate::ui::draw(app, f)).unwrap();
    t.backend().buffer().clone()
}

/// How many cells a tick to `now + secs` changes on screen.
fn cells_a_tick_changes(app: &mut App, secs: i64) -> usize {
    let before = rendered(app);
    app.update(Msg::Tick(app.now + TimeDelta::seconds(secs)));
    assert!(app.take_dirty(), "a tick re-renders");
    before.diff(&rendered(app)).len()
}

#[test]
fn a_tick_changes_only_the_labels_that_move_with_time() {
    let mut app = app();
    app.update(Msg::Tick(app.now + TimeDelta::milliseconds(300)));
    assert_eq!(cells_a_tick_changes(&mut app, 0), 0, "nothing visible changed");
    press(&mut app, "P1");
    assert!(cells_a_tick_changes(&mut app, 1) > 0, "the incident clock advanced");
    // Ages inside an open popup move too.
    press(&mut app, "<Esc>1<Enter>");
    assert!(matches!(app.overlay, Some(Overlay::Detail { .. })));
    let before = rendered(&app);
    app.update(Msg::Tick(app.now + TimeDelta::minutes(5)));
    let changed: String = before.diff(&rendered(&app)).iter().map(|(_, _, c)| c.symbol()).collect();
    assert!(!changed.is_empty());
}

fn throttled(feed: FeedId, at: DateTime<Utc>, attempt: u32, retry_in: i64) -> Msg {
    Msg::Source(SourceUpdate::signal(
        feed,
        at,
        FeedSignal::Failed {
            error: SourceError::new(ErrorKind::Throttled, "ThrottlingException: Rate exceeded"),
            attempt,
            next_retry: Some(at + TimeDelta::seconds(retry_in)),
        },
    ))
}

#[test]
fn source_errors_are_kept_per_feed() {
    let mut app = app();
    app.update(throttled(FeedId::DbInstances, app.now, 1, 8));
    let failed = |app: &App, id| app.live.feeds.worst(id, app.now).is_some_and(|(_, s)| s.health() == Health::Crit);
    assert!(failed(&app, SourceId::Rds));
    assert!(!failed(&app, SourceId::Kube));
    assert_eq!(app.dbs().total(), 3, "last good data is kept");
    // Another source's data leaves the failure alone.
    let pods: Vec<_> = app.pods().values().cloned().collect();
    app.update(Msg::Source(SourceUpdate::data(app.now, FeedData::Pods(Delta::Reset(pods)))));
    assert!(failed(&app, SourceId::Rds));
}

#[test]
fn the_retry_countdown_counts_down_and_redraws_each_second() {
    let mut app = app();
    let now = app.now;
    app.update(throttled(FeedId::TrailEvents, now, 2, 8));
    app.take_dirty();
    assert!(app.clock_on_screen(), "a countdown needs the 1 Hz tick");
    assert_eq!(crate::ui::source_status(&app, SourceId::Trail), (Health::Crit, "retry 8s".into()));
    assert!(cells_a_tick_changes(&mut app, 3) > 0, "the countdown changed on screen");
    assert_eq!(crate::ui::source_status(&app, SourceId::Trail).1, "retry 5s");
    app.update(Msg::Tick(now + TimeDelta::seconds(9)));
    assert_eq!(crate::ui::source_status(&app, SourceId::Trail).1, "retrying");
}

#[test]
fn an_overdue_poll_turns_its_source_stale_and_data_makes_it_live() {
    let mut app = app();
    let now = app.now;
    // The demo polls alarms every 10 s; 25 s of silence is two missed polls.
    app.update(Msg::Tick(now + TimeDelta::seconds(25)));
    let (health, label) = crate::ui::source_status(&app, SourceId::Alarms);
    assert_eq!(health, Health::Warn);
    assert_eq!(label, "25s", "the age of the last contact");
    let alarms: Vec<_> = app.alarms().values().cloned().collect();
    app.take_dirty();
    app.update(Msg::Source(SourceUpdate::data(app.now, FeedData::Alarms(Delta::Reset(alarms)))));
    assert!(app.take_dirty(), "unchanged data still makes a stale source live");
    assert_eq!(crate::ui::source_status(&app, SourceId::Alarms), (Health::Ok, String::new()));
    // A quiet watch stays live however long nothing changes.
    assert_eq!(crate::ui::source_status(&app, SourceId::Kube), (Health::Ok, String::new()));
}

#[test]
fn paste_goes_through_sanitize() {
    let mut app = app();
    press(&mut app, "/");
    app.update(Msg::Paste("back\u{1b}[31mend".into()));
    assert_eq!(app.pods().filter(), "backend");
}

/// Keys a fuzzing engineer might hit in a confirmation dialog.
fn any_key() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("y".to_string()),
        Just("n".to_string()),
        Just("<Enter>".to_string()),
        Just("<BS>".to_string()),
        Just("<Left>".to_string()),
        Just("<C-u>".to_string()),
        Just("<Tab>".to_string()),
        Just("a".to_string()),
        Just("<Down>".to_string()),
        Just("<Esc>".to_string()),
        Just("q".to_string()),
        "[a-z0-9-]".prop_map(|s| s),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// No key sequence runs a destructive action unless the target's name
    /// was the field's content (give or take surrounding whitespace) when
    /// Enter was pressed.
    #[test]
    fn destructive_never_runs_without_the_typed_name(keys in proptest::collection::vec(any_key(), 0..40), use_name in any::<bool>()) {
        let mut app = app();
        let action = choose_pod_action(&mut app, "Delete pod");
        let name = action.target().to_string();
        let mut seq: Vec<String> = keys;
        if use_name {
            let at = seq.len() / 2;
            seq.insert(at, "<Enter>".into());
            for c in name.chars().rev() {
                seq.insert(at, c.to_string());
            }
        }
        for k in seq {
            let typed = app.confirm_typed();
            let was_destructive = matches!(&app.overlay, Some(Overlay::Confirm(c)) if c.action.risk() == Risk::Destructive);
            let fx = press(&mut app, &k);
            for a in executed(&fx) {
                if a.risk() == Risk::Destructive {
                    prop_assert!(was_destructive);
                    prop_assert_eq!(k.as_str(), "<Enter>");
                    prop_assert_eq!(typed.as_deref().map(str::trim), Some(a.target()));
                }
            }
        }
    }
}

#[test]
fn identical_poll_does_not_redraw_but_a_change_does() {
    let mut app = app();
    let alarms: Vec<_> = app.alarms().values().cloned().collect();
    let poll = |alarms: Vec<crate::model::Alarm>, at| {
        Msg::Source(SourceUpdate::data(at, FeedData::Alarms(Delta::Reset(alarms))))
    };
    let now = app.now;
    app.update(poll(alarms.clone(), now));
    assert!(!app.take_dirty(), "same data, same status");
    let mut changed = alarms.clone();
    changed[0].reason = "new reason".into();
    app.update(poll(changed, now));
    assert!(app.take_dirty());
}

#[test]
fn recovering_source_redraws() {
    let mut app = app();
    let err = throttled(FeedId::DbInstances, app.now, 1, 4);
    app.update(err.clone());
    assert!(app.take_dirty());
    app.update(err);
    assert!(!app.take_dirty(), "the same error again changes nothing visible");
    let dbs: Vec<_> = app.dbs().values().map(|d| d.instance.clone()).collect();
    app.update(Msg::Source(SourceUpdate::data(app.now, FeedData::DbInstances(Delta::Reset(dbs)))));
    assert!(app.take_dirty());
    assert_eq!(app.live.feeds.worst(SourceId::Rds, app.now).unwrap().1, FeedStatus::Live);
}

/// Keys that navigate menus as well as type.
fn nav_key() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => any_key(),
        2 => Just("a".to_string()),
        2 => Just("<Down>".to_string()),
        2 => Just("<Enter>".to_string()),
        1 => Just("<Tab>".to_string()),
        1 => Just("/".to_string()),
        1 => Just(":".to_string()),
        1 => Just("?".to_string()),
        1 => Just("P".to_string()),
        1 => Just("2".to_string()),
        1 => Just("<End>".to_string()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    /// From the main screen, any key sequence at any size neither panics
    /// nor runs a destructive action without its typed name.
    #[test]
    fn random_sessions_are_safe(keys in proptest::collection::vec(nav_key(), 0..60), w in 20u16..220, h in 5u16..60) {
        let mut app = demo_app(60, (w, h), "default");
        for k in keys {
            let typed = app.confirm_typed();
            let fx = press(&mut app, &k);
            for a in executed(&fx) {
                if a.risk() == Risk::Destructive {
                    prop_assert_eq!(k.as_str(), "<Enter>");
                    prop_assert_eq!(typed.as_deref().map(str::trim), Some(a.target()));
                }
            }
            let mut terminal = ratatui::Terminal::new(ratatui::backend::TestBackend::new(w, h)).unwrap();
            terminal.draw(|f| crate::ui::draw(&app, f)).unwrap();
        }
    }
}

#[test]
fn menus_move_with_j_k_home_end_while_the_palette_types_them() {
    let mut app = app();
    let selected = |app: &App| match &app.overlay {
        Some(Overlay::ActionMenu { selected, actions, .. }) => (*selected, actions.len()),
        other => panic!("no menu: {other:?}"),
    };
    press(&mut app, "1aj");
    assert_eq!(selected(&app).0, 1);
    press(&mut app, "<End>");
    let (at, n) = selected(&app);
    assert_eq!(at, n - 1);
    press(&mut app, "k");
    assert_eq!(selected(&app).0, n - 2);
    press(&mut app, "<Home>");
    assert_eq!(selected(&app).0, 0);
    press(&mut app, "<Esc>:jkq");
    match &app.overlay {
        Some(Overlay::Palette { input, .. }) => assert_eq!(input.lines().join(""), "jkq"),
        other => panic!("no palette: {other:?}"),
    }
}

#[test]
fn a_pasted_name_with_whitespace_and_newline_confirms() {
    let mut app = app();
    let action = choose_pod_action(&mut app, "Delete pod");
    deliver(&mut app, Msg::Paste(format!("  {}\n", action.target())));
    let fx = press(&mut app, "<Enter>");
    assert_eq!(executed(&fx), vec![action]);
}

/// Records `effects` in `rec` as the runtime does, checking on the way
/// that an action reaches execution only once its confirmation is in the
/// record; executed ids join `running`.
fn perform(
    app: &mut App,
    rec: &mut MemoryRecorder,
    effects: Vec<Effect>,
    running: &mut Vec<u64>,
) -> Result<(), TestCaseError> {
    let mut queue: std::collections::VecDeque<Effect> = effects.into();
    while let Some(effect) = queue.pop_front() {
        match effect {
            Effect::Record(event) => {
                let msg = Msg::record(rec, app.now, event);
                queue.extend(app.update(msg));
            }
            Effect::Execute { id, action } => {
                let confirmed = IncidentEvent::ActionConfirmed { action_id: id, dry_run: false };
                prop_assert!(rec.entries().iter().any(|e| e.event == confirmed), "action {} ran unconfirmed", id);
                prop_assert_eq!(&app.record.action(id).unwrap().action, &action, "ran what was confirmed");
                running.push(id);
            }
            _ => {}
        }
    }
    Ok(())
}

#[derive(Debug, Clone)]
enum Step {
    Keys(String),
    /// The `which`th running action finishes, well or not.
    Finish(usize, bool),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        6 => nav_key().prop_map(Step::Keys),
        2 => Just(Step::Keys("y".into())),
        1 => Just(Step::Keys(":resolve<Enter>".into())),
        // The rollout restart's confirmation, and the delete pod's.
        2 => Just(Step::Keys("<Esc>1a<Down><Enter>".into())),
        1 => Just(Step::Keys("<Esc>1a<End><Enter>".into())),
        1 => Just(Step::Keys("<Esc>".into())),
        2 => (0usize..4, any::<bool>()).prop_map(|(w, ok)| Step::Finish(w, ok)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Whatever is pressed and however actions end: nothing reaches the
    /// executor before its confirmation is recorded, folding the record
    /// gives exactly the state the console shows, and ending the session
    /// leaves no action running in the record.
    #[test]
    fn the_record_comes_first_and_rebuilds_the_state(steps in proptest::collection::vec(step(), 0..80), dry_run in any::<bool>()) {
        let flags = Flags { dry_run, ..Flags::default() };
        let mut app = demo_app_with(60, (80, 24), "default", "default", flags);
        let mut rec = MemoryRecorder::default();
        let mut running = Vec::new();
        for (i, step) in steps.into_iter().enumerate() {
            app.set_now(app.now + TimeDelta::seconds(1));
            match step {
                Step::Keys(keys) => {
                    for k in crate::config::keys::parse_sequence(&keys).unwrap_or_default() {
                        let fx = app.update(Msg::Key(k.to_event()));
                        perform(&mut app, &mut rec, fx, &mut running)?;
                        app.settle();
                    }
                }
                Step::Finish(which, ok) if !running.is_empty() => {
                    let id = running.remove(which % running.len());
                    let result = if ok { Ok(output(&format!("done {i}"))) } else { Err(ActionError::rejected("refused")) };
                    let fx = app.update(Msg::ActionDone { id, result });
                    perform(&mut app, &mut rec, fx, &mut running)?;
                }
                Step::Finish(..) => {}
            }
            prop_assert_eq!(&IncidentState::fold(&rec.entries()).unwrap(), &app.record);
        }
        let fx = app.abandon_in_flight("the console quit");
        perform(&mut app, &mut rec, fx, &mut running)?;
        prop_assert!(app.record.in_flight().next().is_none());
        for id in running {
            let abandoned = matches!(app.record.action(id).unwrap().status, ActionStatus::Abandoned(_));
            prop_assert!(abandoned);
        }
        prop_assert_eq!(&IncidentState::fold(&rec.entries()).unwrap(), &app.record);
    }
}

#[test]
fn nothing_shows_before_it_is_recorded() {
    let mut app = app();
    // The picker asks for the start to be recorded; until it is, no incident.
    app.update(Msg::Key(crate::config::keys::Key::plain(KeyCode::Char('P')).to_event()));
    let fx = app.update(Msg::Key(crate::config::keys::Key::plain(KeyCode::Char('1')).to_event()));
    let [Effect::Record(IncidentEvent::Started { severity: Severity::P1, id, playbook, .. })] = fx.as_slice() else {
        panic!("{fx:?}")
    };
    assert_eq!((id.as_str(), playbook.as_deref()), ("inc-20260101T000100Z", Some("p1")));
    assert!(app.incident().is_none());
    // A confirmation the recorder could not keep runs nothing and says so.
    choose_pod_action(&mut app, "Rollout restart deployment");
    let fx = app.update(Msg::Key(crate::config::keys::Key::plain(KeyCode::Char('y')).to_event()));
    let [Effect::Record(event @ IncidentEvent::ActionConfirmed { .. })] = fx.as_slice() else { panic!("{fx:?}") };
    let fx = app
        .update(Msg::RecordFailed { event: event.clone(), error: "cannot write incidents/x.jsonl: disk full".into() });
    assert!(fx.is_empty());
    assert_eq!(
        app.notice.as_deref(),
        Some("Not run: recording the confirmation failed: cannot write incidents/x.jsonl: disk full")
    );
    assert!(app.results().next().is_none());
}

#[test]
fn logs_open_on_the_selected_pod_stream_and_stop_when_closed() {
    let mut app = app();
    // The first row is a crash-looping pod: its previous instance says why.
    let pod = app.pods().selected().unwrap().clone();
    assert_eq!(pod.status(), "CrashLoopBackOff");
    let effects = press(&mut app, "l");
    let [Effect::StreamLogs { stream, target }] = effects.as_slice() else { panic!("{effects:?}") };
    assert_eq!((target.pod.as_str(), target.previous, target.follow), (pod.name.as_str(), true, false));
    let stream = *stream;
    deliver(&mut app, Msg::LogLines { stream, lines: vec!["starting".into(), "panic: \x1b[2Jboom".into()] });
    let Some(Overlay::Viewer(v)) = &app.overlay else { panic!("no viewer") };
    assert_eq!(v.lines().iter().map(String::as_str).collect::<Vec<_>>(), ["starting", "panic: boom"]);
    // Lines of a stream that was replaced are not shown.
    deliver(&mut app, Msg::LogLines { stream: stream + 100, lines: vec!["stale".into()] });
    let Some(Overlay::Viewer(v)) = &app.overlay else { panic!("no viewer") };
    assert_eq!(v.lines().len(), 2);
    // `p`: the current instance instead, followed, in a new stream.
    let effects = press(&mut app, "p");
    let [Effect::StopLogs, Effect::StreamLogs { stream: next, target }] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert!(*next != stream && !target.previous && target.follow);
    deliver(&mut app, Msg::LogEnded { stream: *next, error: Some("404 NotFound: no kubelet".into()) });
    let Some(Overlay::Viewer(v)) = &app.overlay else { panic!("no viewer") };
    assert_eq!(v.state, ViewerState::Failed("404 NotFound: no kubelet".into()));
    assert_eq!(press(&mut app, "c"), vec![]);
    assert!(app.notice.as_deref().unwrap_or_default().contains("only this container"), "{:?}", app.notice);
    assert_eq!(press(&mut app, "<Esc>"), vec![Effect::StopLogs]);
    assert!(app.overlay.is_none());
}

#[test]
fn the_viewer_searches_with_slash_and_n() {
    let mut app = app();
    let Effect::StreamLogs { stream, .. } = press(&mut app, "l").remove(0) else { panic!() };
    let lines = (0..200).map(|i| if i % 50 == 7 { format!("ERROR {i}") } else { format!("ok {i}") }).collect();
    deliver(&mut app, Msg::LogLines { stream, lines });
    press(&mut app, "<Home>/");
    assert!(app.has_text_field(), "/ opens the search field");
    type_text(&mut app, "error");
    press(&mut app, "<Enter>");
    let first = |app: &App| match &app.overlay {
        Some(Overlay::Viewer(v)) => v.first_line(),
        _ => panic!("no viewer"),
    };
    assert_eq!(first(&app), 7);
    press(&mut app, "n");
    assert_eq!(first(&app), 57);
    press(&mut app, "N");
    assert_eq!(first(&app), 7);
    press(&mut app, "w");
    assert!(matches!(&app.overlay, Some(Overlay::Viewer(v)) if v.wrap));
}

#[test]
fn yaml_of_the_selected_pod_and_its_deployment() {
    let mut app = app();
    let pod = app.pods().selected().unwrap().clone();
    let object = |kind, name: &str| ObjectRef { kind, namespace: pod.namespace.to_string(), name: name.into() };
    assert_eq!(press(&mut app, "y"), vec![Effect::LoadManifest(object(ObjectKind::Pod, &pod.name))]);
    deliver(
        &mut app,
        Msg::ManifestLoaded { object: object(ObjectKind::Pod, &pod.name), text: Ok("a: 1\nb: 2\n".into()) },
    );
    assert!(
        matches!(&app.overlay, Some(Overlay::Viewer(v)) if v.lines().len() == 2 && v.state == ViewerState::Complete)
    );
    assert_eq!(press(&mut app, "q"), vec![]);
    let dep = pod.deployment.clone().unwrap();
    assert_eq!(press(&mut app, "Y"), vec![Effect::LoadManifest(object(ObjectKind::Deployment, &dep))]);
}

#[test]
fn the_palette_lists_namespaces_and_switching_one_retargets_the_watches() {
    let mut app = app();
    assert_eq!(press(&mut app, ":"), vec![Effect::ListNamespaces]);
    assert!(app.palette_items().iter().any(|i| i.label == "Namespaces: listing…"));
    deliver(&mut app, Msg::Namespaces(Ok(vec!["kube-system".into(), "shop".into()])));
    let labels: Vec<String> = app.palette_items().into_iter().map(|i| i.label).collect();
    for must in ["Context: demo-eks-prod (current)", "Namespace: all namespaces", "Namespace: shop (current)"] {
        assert!(labels.iter().any(|l| l == must), "{must} not in {labels:?}");
    }
    type_text(&mut app, "ns kube-sys");
    let effects = press(&mut app, "<Enter>");
    let [Effect::Retarget(target)] = effects.as_slice() else { panic!("{effects:?}") };
    assert_eq!(target.namespaces, ["kube-system"]);
    assert_eq!(target.context.as_deref(), Some("demo-eks-prod"));
    assert_eq!(app.env.namespace, "kube-system");
    // Choosing what is already watched restarts nothing.
    press(&mut app, ":");
    type_text(&mut app, "namespace kube-sys");
    assert_eq!(press(&mut app, "<Enter>"), vec![]);
}

#[test]
fn a_typed_namespace_is_offered_in_live_mode_when_it_is_a_valid_name() {
    let mut app = app();
    app.env.demo = false;
    press(&mut app, ":");
    deliver(&mut app, Msg::Namespaces(Err("403 Forbidden: namespaces is forbidden".into())));
    type_text(&mut app, "ns payments");
    let labels: Vec<String> = app.palette_items().into_iter().map(|i| i.label).collect();
    assert_eq!(labels, ["Namespace: payments (typed)"]);
    let effects = press(&mut app, "<Enter>");
    assert!(matches!(effects.as_slice(), [Effect::Retarget(t)] if t.namespaces == ["payments"]), "{effects:?}");
    press(&mut app, ":");
    type_text(&mut app, "ns Bad_Name");
    assert!(app.palette_items().iter().all(|i| !i.label.contains("typed")));
    press(&mut app, "<Esc>:");
    type_text(&mut app, "not listed");
    assert!(app.palette_items().iter().any(|i| i.label.contains("403 Forbidden")));
}

#[test]
fn ns_finds_listed_namespaces_before_offering_the_typed_name() {
    let mut app = app();
    app.env.demo = false;
    press(&mut app, ":");
    deliver(&mut app, Msg::Namespaces(Ok(vec!["payments".into(), "shop".into()])));
    type_text(&mut app, "ns pay");
    let labels: Vec<String> = app.palette_items().into_iter().map(|i| i.label).collect();
    assert_eq!(labels, ["Namespace: payments", "Namespace: pay (typed)"]);
    press(&mut app, "<Esc>:");
    type_text(&mut app, "ns payments");
    let labels: Vec<String> = app.palette_items().into_iter().map(|i| i.label).collect();
    assert_eq!(labels, ["Namespace: payments"], "no typed twin of a listed namespace");
}

#[test]
fn the_palette_switches_aws_profile_and_region_and_forgets_the_old_account() {
    use crate::sources::aws::{AwsTarget, profiles::Profile};
    let mut app = app();
    app.env.demo = false;
    app.env.aws_profile = "oncall".into();
    app.env.aws_target = AwsTarget { profile: Some("oncall".into()), region: None };
    app.env.aws_region = "eu-west-1".into();
    app.env.aws_profiles = vec![
        Profile { name: "oncall".into(), sso: true, region: Some("eu-west-1".into()) },
        Profile { name: "audit".into(), sso: false, region: Some("us-east-1".into()) },
    ];
    press(&mut app, ":");
    type_text(&mut app, "aws");
    let labels: Vec<String> = app.palette_items().into_iter().map(|i| i.label).collect();
    assert_eq!(
        labels,
        [
            "AWS profile: oncall in eu-west-1 (current)",
            "AWS profile: audit in us-east-1",
            "AWS region: eu-west-1 (current)",
            "AWS region: us-east-1",
        ]
    );
    press(&mut app, "<Esc>:");
    type_text(&mut app, "profile audit");
    let effects = press(&mut app, "<Enter>");
    assert_eq!(effects, vec![Effect::AwsRetarget(AwsTarget { profile: Some("audit".into()), region: None })]);
    assert_eq!((app.env.aws_profile.as_str(), app.env.aws_region.as_str()), ("audit", "us-east-1"));
    assert!(app.env.aws_account.is_empty(), "unknown until the new credentials answer");
    // A typed region, with the profile kept; a malformed one is not offered.
    press(&mut app, ":");
    type_text(&mut app, "region ap-southeast-2");
    let effects = press(&mut app, "<Enter>");
    let want = AwsTarget { profile: Some("audit".into()), region: Some("ap-southeast-2".into()) };
    assert_eq!(effects, vec![Effect::AwsRetarget(want)]);
    assert_eq!(app.env.aws_region, "ap-southeast-2");
    press(&mut app, ":");
    type_text(&mut app, "region Mars-1");
    assert!(app.palette_items().iter().all(|i| !i.label.contains("Mars")));
}

#[test]
fn alarm_changes_are_recorded_while_an_incident_runs_and_only_then() {
    use crate::model::AlarmState;
    use crate::state::{Delta, FeedData};
    let mut app = app();
    let send = |app: &mut App, state| {
        let at = app.now;
        let alarms = vec![crate::fixtures::alarm("db-cpu", state), crate::fixtures::alarm("other", AlarmState::Ok)];
        app.update(Msg::Source(SourceUpdate::data(at, FeedData::Alarms(Delta::Reset(alarms)))))
    };
    send(&mut app, AlarmState::Ok);
    assert!(send(&mut app, AlarmState::Alarm).is_empty(), "no incident: nothing to record");
    press(&mut app, "P1");
    assert!(app.incident().is_some());
    let fx = send(&mut app, AlarmState::Ok);
    assert!(
        matches!(fx.as_slice(), [Effect::Record(IncidentEvent::AlarmChanged { alarm, from: AlarmState::Alarm, to: AlarmState::Ok, .. })] if alarm == "db-cpu"),
        "{fx:?}"
    );
    crate::fixtures::perform_records(&mut app, fx);
    let changes = &app.incident().unwrap().alarm_changes;
    assert_eq!(changes.iter().map(|c| (c.alarm.as_str(), c.to)).collect::<Vec<_>>(), [("db-cpu", AlarmState::Ok)]);
    assert!(send(&mut app, AlarmState::Ok).is_empty(), "no change, nothing recorded");
}

#[test]
fn an_alarms_details_ask_for_its_history_in_live_mode_and_show_what_came() {
    use crate::model::{HistoryEntry, HistoryOf};
    let mut app = app();
    // The demo keeps no history: nothing is asked.
    assert_eq!(press(&mut app, "3<Home><Enter>"), vec![]);
    press(&mut app, "<Esc>");
    app.env.demo = false;
    let effects = press(&mut app, "<Enter>");
    let [Effect::LoadHistory(HistoryOf::Alarm(name))] = effects.as_slice() else { panic!("{effects:?}") };
    let name = name.clone();
    let screen = |app: &App| rendered(app).content().iter().map(|c| c.symbol()).collect::<String>();
    assert!(screen(&app).contains("loading…"));
    // An answer for another view is dropped; this one's shows.
    let entry = HistoryEntry { at: app.now, kind: "StateUpdate".into(), text: "Alarm updated from OK to ALARM".into() };
    deliver(&mut app, Msg::History { of: HistoryOf::Alarm("other".into()), entries: Ok(vec![entry.clone()]) });
    assert!(app.history.is_none());
    deliver(&mut app, Msg::History { of: HistoryOf::Alarm(name), entries: Ok(vec![entry]) });
    assert!(screen(&app).contains("StateUpdate Alarm updated from OK to ALARM"), "{}", screen(&app));
}

#[test]
fn cloudtrail_repeats_collapse_and_views_and_windows_change_from_the_keyboard() {
    let mut app = demo_app(60, (200, 50), "default");
    press(&mut app, "4");
    // The demo's burst of failed logins on `admin` is one row.
    let admin = |r: &TrailRow| r.name == "ConsoleLogin" && r.user == "admin";
    let at = app.trail().visible(50).find(|(_, r)| admin(r)).map(|(i, _)| i).unwrap();
    assert_eq!(app.trail().values().filter(|r| admin(r)).count(), 1);
    for _ in 0..at {
        press(&mut app, "j");
    }
    let n = app.trail().selected().unwrap().count();
    assert!(n > 2, "a burst: {n}");
    press(&mut app, "<Space>");
    let rows: Vec<bool> = app.trail().visible(50).skip(at).take(n + 1).map(|(_, r)| r.is_member()).collect();
    assert!(!rows[0]);
    assert!(rows[1..=n].iter().all(|m| *m), "its {n} events under it: {rows:?}");
    // Collapsing from a member keeps the selection on the group.
    press(&mut app, "jj<Space>");
    assert_eq!(app.trail().selected().map(TrailRow::count), Some(n));
    assert_eq!(app.trail().selected_index(), at);
    // Its details list every time it happened.
    press(&mut app, "<Enter>");
    let screen = rendered(&app);
    let text: String = screen.content().iter().map(|c| c.symbol()).collect();
    assert!(text.contains(&format!("{n} times from")), "{text}");
    press(&mut app, "<Esc>");

    // `v` steps through the views; the panel says which.
    press(&mut app, "v");
    assert_eq!(app.trail_scope().0, TrailView::FailedLogins);
    assert!(app.trail().values().all(|r| r.name == "ConsoleLogin"));
    assert_eq!(app.notice.as_deref(), Some("CloudTrail: failed console logins"));
    // `w` steps through the windows and asks the source for it.
    let effects = press(&mut app, "w");
    assert_eq!(app.trail_scope().1, TimeDelta::hours(3));
    assert!(effects.iter().any(|e| matches!(e, Effect::TrailWindow(w) if *w == TimeDelta::hours(3))));
    // The palette offers both.
    press(&mut app, ":");
    type_text(&mut app, "cloudtrail window 15m");
    let effects = press(&mut app, "<Enter>");
    assert!(effects.iter().any(|e| matches!(e, Effect::TrailWindow(w) if *w == TimeDelta::minutes(15))));
    // The demo's events of ten minutes ago and earlier are gone.
    let cutoff = app.now - TimeDelta::minutes(15);
    assert!(app.trail().values().all(|r| r.time >= cutoff));
    // The window is what `a` exports, as evidence.
    press(&mut app, "a");
    assert_eq!(menu_titles(&app), ["Export CloudTrail, last 15m (JSON evidence)"]);
    let effects = press(&mut app, "<Enter>y");
    let now = app.now;
    assert!(matches!(
        executed(&perform_records(&mut app, effects))[..],
        [Action { kind: ActionKind::ExportTrail { start, end, .. }, .. }] if end == now && start == now - TimeDelta::minutes(15)
    ));
    // Other panels do not offer the CloudTrail keys.
    press(&mut app, "1");
    assert!(!app.offers(Command::TrailView) && !app.offers(Command::ToggleExpand));
}

#[test]
fn the_default_chain_gives_aws_commands_without_a_profile() {
    let mut app = app();
    app.env.aws_profile = "default".into();
    assert!(!app.scope().aws_profile.contains("default"));
    press(&mut app, "4a<Enter>");
    let Some(Overlay::Confirm(c)) = &app.overlay else { panic!("no dialog") };
    assert!(c.action.cli().starts_with("aws cloudtrail lookup-events --region "), "{}", c.action.cli());
    app.env.aws_profile = "oncall".into();
    assert_eq!(app.scope().aws_profile, "oncall");
}

/// The recorded events among `effects`.
fn recorded(effects: &[Effect]) -> Vec<IncidentEvent> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Record(ev) => Some(ev.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn an_incident_follows_its_severitys_playbook_and_records_its_checks() {
    let mut app = demo_app(60, (200, 50), "default");
    // Starting a P1 records the start with its playbook, then each check's
    // first result.
    let fx = app.update(Msg::Key(crate::config::keys::Key::plain(KeyCode::Char('P')).to_event()));
    assert!(fx.is_empty());
    let fx = app.update(Msg::Key(crate::config::keys::Key::plain(KeyCode::Char('1')).to_event()));
    assert!(matches!(&recorded(&fx)[..], [IncidentEvent::Started { playbook: Some(p), .. }] if p == "p1"));
    perform_records(&mut app, fx);
    let inc = app.incident().unwrap();
    assert_eq!(inc.playbook.as_deref(), Some("p1"));
    let (_, result) = inc.steps["crashloops"].check.clone().expect("recorded at once");
    assert!(matches!(&result, CheckResult::Fail(why) if why.contains("crash-looping")), "{result:?}");
    assert_eq!(app.checklist.results["crashloops"], result);
    // Nothing changed: the next tick records nothing.
    let fx = app.update(Msg::Tick(app.now + TimeDelta::seconds(1)));
    assert!(recorded(&fx).is_empty(), "{fx:?}");

    // Enter ticks the selected manual step; again takes the tick back.
    press(&mut app, "5");
    assert_eq!(app.selected_step().unwrap().id, "acknowledge");
    press(&mut app, "<Enter>");
    assert!(app.incident().unwrap().steps["acknowledge"].ticked.is_some());
    press(&mut app, "<Enter>");
    assert!(app.incident().unwrap().steps["acknowledge"].ticked.is_none());
    press(&mut app, "<Enter>");

    // A check cannot be ticked by hand.
    press(&mut app, "jjj");
    assert_eq!(app.selected_step().unwrap().id, "crashloops");
    assert!(recorded(&press(&mut app, "<Enter>")).is_empty());
    assert!(app.notice.as_deref().unwrap_or("").starts_with("A check ticks itself"), "{:?}", app.notice);

    // Lowering the severity brings P2's checklist; the tick stays.
    press(&mut app, "P<Down><Enter>");
    let inc = app.incident().unwrap();
    assert_eq!((inc.severity, inc.playbook.as_deref()), (Severity::P2, Some("p2")));
    assert!(inc.steps["acknowledge"].ticked.is_some());
    assert!(app.checklist.results.contains_key("restarts"), "P2's own checks are evaluated");
}

#[test]
fn an_action_step_runs_on_the_selected_item_through_the_confirmation() {
    let mut app = demo_app(60, (200, 50), "default");
    press(&mut app, "P1");
    // P1's "collect logs" step: the crash-looping pod is selected in Pods.
    let at = app.active_playbook().unwrap().steps().position(|s| s.id == "logs").unwrap();
    press(&mut app, "5");
    for _ in 0..at {
        press(&mut app, "j");
    }
    let pod = app.pods().selected().unwrap().name.clone();
    let fx = press(&mut app, "<Enter>");
    let Some(Overlay::Confirm(c)) = &app.overlay else { panic!("no confirmation: {:?}", app.overlay) };
    assert!(matches!(&c.action.kind, ActionKind::CollectLogs { pod: p, .. } if *p == pod));
    let origin = app.record.actions.last().map(|a| a.origin.clone());
    assert_eq!(origin, Some(Origin::Playbook { playbook: "p1".into(), step: "logs".into() }), "{fx:?}");
    press(&mut app, "<Esc>");
    // With nothing to act on, the step takes the engineer to the panel.
    app.update(Msg::Source(crate::sources::SourceUpdate::data(app.now, FeedData::Pods(Delta::Reset(Vec::new())))));
    app.settle();
    press(&mut app, "5<Enter>");
    assert_eq!(app.focus, PanelId::Pods);
    assert!(app.notice.as_deref().unwrap_or("").contains("select its item in Pods"), "{:?}", app.notice);
}

#[test]
fn a_step_matches_the_action_its_parameters_name() {
    use crate::playbook::{ActionName, ActionStep, ParamValue};
    let step = |name, params: &[(&str, ParamValue)]| ActionStep {
        name,
        params: params.iter().map(|(k, v)| (k.to_string(), v.clone())).collect(),
    };
    let scale = |to| ActionKind::Scale { namespace: "shop".into(), deployment: "api".into(), from: 4, to };
    let zero =
        step(ActionName::Scale, &[("replicas", ParamValue::Literal("0".into())), ("deployment", ParamValue::Selected)]);
    assert!(step_matches(&zero, &scale(0)) && !step_matches(&zero, &scale(5)));
    let ask = step(ActionName::Scale, &[("replicas", ParamValue::Ask)]);
    assert!(step_matches(&ask, &scale(5)) && step_matches(&ask, &scale(3)));
    let other_ns = step(ActionName::Scale, &[("namespace", ParamValue::Literal("billing".into()))]);
    assert!(!step_matches(&other_ns, &scale(5)));
    let off = step(ActionName::DisableAlarmActions, &[]);
    assert!(step_matches(&off, &ActionKind::SetAlarmActions { alarm: "a".into(), enabled: false }));
    assert!(!step_matches(&off, &ActionKind::SetAlarmActions { alarm: "a".into(), enabled: true }));
}

/// A demo app whose P1 playbook is `steps` (TOML `[[phase.step]]`s).
fn app_with_p1(steps: &str) -> App {
    let mut app = demo_app(60, (200, 50), "default");
    let text = format!("id = \"p1\"\ntitle = \"Ours\"\nseverity = \"P1\"\n[[phase]]\nname = \"Triage\"\n{steps}");
    let p = crate::playbook::Playbook::parse(&crate::config::Source { path: "p1.toml".into(), text }).unwrap();
    app.playbooks.retain(|x| x.id != "p1");
    app.playbooks.push(p);
    press(&mut app, "P1");
    press(&mut app, "5");
    app
}

#[test]
fn command_and_script_steps_run_through_the_confirmation_and_tick_when_they_work() {
    let mut app = app_with_p1(
        "[[phase.step]]\nid = \"pvcs\"\ntitle = \"PVCs\"\ncommand = { argv = [\"kubectl\", \"get\", \"pvc\", \"-A\"], risk = \"read\" }\n\
         [[phase.step]]\nid = \"locks\"\ntitle = \"Locks\"\nscript = { script = \"psql -c 'select 1'\\necho done | cat\" }\n",
    );
    press(&mut app, "<Enter>");
    let Some(Overlay::Confirm(c)) = &app.overlay else { panic!("{:?}", app.overlay) };
    assert!(
        matches!(&c.action.kind, ActionKind::RunCommand { step, argv, risk: Risk::Read, .. } if step == "pvcs" && argv.len() == 4)
    );
    assert_eq!(c.action.cli(), "kubectl get pvc -A");
    let fx = press(&mut app, "y");
    let [Effect::Execute { id, .. }] = fx.as_slice() else { panic!("{fx:?}") };
    let fx = deliver(&mut app, Msg::ActionDone { id: *id, result: Ok(output("kubectl: exit status 0")) });
    assert!(fx.is_empty(), "{fx:?}");
    assert!(app.incident().unwrap().steps["pvcs"].ticked.is_some(), "a step whose command worked is done");

    // A script is shown line by line, as it will run; a change by default.
    press(&mut app, "j<Enter>");
    let Some(Overlay::Confirm(c)) = &app.overlay else { panic!("{:?}", app.overlay) };
    assert_eq!(c.action.risk(), Risk::Change);
    let screen = rendered(&app);
    let text: String = screen.content().iter().map(|c| c.symbol()).collect();
    assert!(text.contains("  psql -c 'select 1'") && text.contains("  echo done | cat"), "{text}");
}

#[test]
fn a_step_is_skipped_with_a_reason() {
    let mut app = app_with_p1("[[phase.step]]\nid = \"ack\"\ntitle = \"Acknowledge\"\n");
    press(&mut app, "s");
    assert!(matches!(&app.overlay, Some(Overlay::SkipReason { step, .. }) if step == "ack"));
    press(&mut app, "<Enter>");
    assert_eq!(app.notice.as_deref(), Some("Say why the step is skipped"));
    type_text(&mut app, "paged by PagerDuty already");
    press(&mut app, "<Enter>");
    assert!(app.overlay.is_none());
    let state = &app.incident().unwrap().steps["ack"];
    assert_eq!(state.skipped.as_ref().map(|s| s.1.as_str()), Some("paged by PagerDuty already"));
    assert!(state.done());
    // Ticking it afterwards replaces the skip.
    press(&mut app, "<Enter>");
    let state = &app.incident().unwrap().steps["ack"];
    assert!(state.ticked.is_some() && state.skipped.is_none());
}

#[test]
fn a_routine_is_walked_without_an_incident_and_records_nothing() {
    let mut app = demo_app(0, (200, 50), "default");
    app.walk_routine("daily");
    assert_eq!((app.focus, app.active_playbook().map(|p| p.id.as_str())), (PanelId::Checklist, Some("daily")));
    assert!(app.checklist.results["pods-ready"].passed(), "{:?}", app.checklist.results);
    assert!(app.clock_on_screen(), "its checks follow the live state");
    // The first step is a check; the certificates step is a command.
    let at = app.active_playbook().unwrap().steps().position(|s| s.id == "security-groups").unwrap();
    for _ in 0..at {
        press(&mut app, "j");
    }
    let fx = press(&mut app, "<Enter>");
    assert!(recorded(&fx).is_empty() && app.incident().is_none(), "{fx:?}");
    assert!(app.step_state("security-groups").is_some_and(|s| s.ticked.is_some()));
    // A tick advances nothing in a record: there is none.
    let fx = app.update(Msg::Tick(app.now + TimeDelta::seconds(1)));
    assert!(recorded(&fx).is_empty(), "{fx:?}");
}

#[test]
fn an_incident_started_from_a_firing_alarm_proposes_its_playbook_and_starts_when_it_fired() {
    let mut app = demo_app(60, (200, 50), "default");
    press(&mut app, "3");
    while app.alarms().selected().unwrap().name != "orders-db-connections-high" {
        press(&mut app, "j");
    }
    let since = app.alarms().selected().unwrap().since;
    press(&mut app, "P");
    let choices = app.incident_choices();
    let Some(Overlay::SeverityPicker { selected, .. }) = &app.overlay else { panic!("{:?}", app.overlay) };
    assert_eq!(choices[*selected], IncidentChoice::Playbook { id: "db-connections".into(), severity: Severity::P2 });
    assert_eq!(&choices[..4], &Severity::ALL.map(IncidentChoice::Severity)[..], "the severities first");
    press(&mut app, "<Enter>");
    let inc = app.incident().unwrap();
    assert_eq!(
        (inc.severity, inc.playbook.as_deref(), inc.title.as_deref(), inc.started),
        (Severity::P2, Some("db-connections"), Some("orders-db-connections-high"), since)
    );
    // Changing severity offers only severities, and keeps a scenario playbook.
    press(&mut app, "P");
    assert_eq!(app.incident_choices().len(), 4);
    press(&mut app, "<Up><Enter>");
    let inc = app.incident().unwrap();
    assert_eq!((inc.severity, inc.playbook.as_deref()), (Severity::P1, Some("db-connections")));
}

#[test]
fn a_scenario_playbook_can_be_chosen_without_an_alarm() {
    let mut app = demo_app(60, (200, 50), "default");
    press(&mut app, "P");
    let at = app
        .incident_choices()
        .iter()
        .position(|c| matches!(c, IncidentChoice::Playbook { id, .. } if id == "crashloop"))
        .unwrap();
    for _ in 0..at {
        press(&mut app, "<Down>");
    }
    press(&mut app, "<Enter>");
    let inc = app.incident().unwrap();
    assert_eq!(
        (inc.severity, inc.playbook.as_deref(), inc.title.as_deref()),
        (Severity::P2, Some("crashloop"), Some("Pods crash-looping"))
    );
    assert_eq!(inc.started, app.now, "no alarm: it starts now");
}

#[test]
fn resolving_shows_what_the_incident_came_to() {
    let mut app = demo_app(60, (200, 50), "default");
    press(&mut app, "P1");
    press(&mut app, "5<Enter>");
    press(&mut app, ":");
    type_text(&mut app, "resolve incident");
    press(&mut app, "<Enter>");
    assert!(matches!(app.overlay, Some(Overlay::Summary { .. })), "{:?}", app.overlay);
    let screen = rendered(&app);
    let text: String = screen.content().iter().map(|c| c.symbol()).collect();
    assert!(text.contains("P1 incident resolved: inc-"), "{text}");
    assert!(text.contains("within the target of 15:00"), "{text}");
    assert!(text.contains("P1: critical incident (3/"), "one tick and the two passing checks: {text}");
    assert!(text.contains("· No pod is crash-looping (4 crash-looping"), "open steps say why: {text}");
    press(&mut app, "<Esc>");
    assert!(app.overlay.is_none());
}

#[test]
fn each_check_change_is_asked_to_be_recorded_once() {
    let mut app = demo_app(60, (200, 50), "default");
    let fx = app.update(Msg::Key(crate::config::keys::Key::plain(KeyCode::Char('P')).to_event()));
    assert!(fx.is_empty());
    let fx = app.update(Msg::Key(crate::config::keys::Key::plain(KeyCode::Char('1')).to_event()));
    // The start is recorded; its answer asks for each check's first result.
    let [Effect::Record(start)] = fx.as_slice() else { panic!("{fx:?}") };
    let entry = crate::incident::Entry { v: 1, seq: 1, at: app.now, actor: None, event: start.clone() };
    let asked = recorded(&app.update(Msg::Recorded(entry)));
    let checks = app
        .active_playbook()
        .unwrap()
        .steps()
        .filter(|s| matches!(s.kind, crate::playbook::StepKind::Check(_)))
        .count();
    assert_eq!(asked.len(), checks, "{asked:?}");
    // Evaluating again before they are recorded asks for nothing more.
    assert!(recorded(&app.update(Msg::Tick(app.now + TimeDelta::seconds(1)))).is_empty());
}

#[test]
fn an_incident_is_titled_as_it_starts() {
    let mut app = demo_app(60, (200, 50), "default");
    press(&mut app, "P<Tab>");
    assert_eq!(app.layers(), &[Layer::Input], "keys type the title");
    type_text(&mut app, "checkout  502s after 1.42 deploy");
    // Back to the choices with the title kept; a digit still starts at once.
    press(&mut app, "<Esc>");
    assert!(matches!(app.overlay, Some(Overlay::SeverityPicker { editing: false, .. })), "{:?}", app.overlay);
    press(&mut app, "2");
    let inc = app.incident().unwrap();
    assert_eq!((inc.severity, inc.title.as_deref()), (Severity::P2, Some("checkout 502s after 1.42 deploy")));
}

#[test]
fn a_title_from_an_alarm_is_proposed_and_can_be_edited() {
    let mut app = demo_app(60, (200, 50), "default");
    press(&mut app, "3");
    while app.alarms().selected().unwrap().name != "orders-db-connections-high" {
        press(&mut app, "j");
    }
    press(&mut app, "P<Tab>");
    // `j` and `k` are text here, not moves.
    type_text(&mut app, " jk");
    press(&mut app, "<Enter>");
    let inc = app.incident().unwrap();
    assert_eq!(
        (inc.playbook.as_deref(), inc.title.as_deref()),
        (Some("db-connections"), Some("orders-db-connections-high jk"))
    );
    // Changing severity has no title to type.
    press(&mut app, "P<Tab>");
    assert_eq!(app.layers(), &[Layer::Menu]);
}

#[test]
fn typed_titles_are_one_trimmed_line_of_bounded_length() {
    assert_eq!(incident_title("  db\n down \t now "), Some("db down now".into()));
    assert_eq!(incident_title(" \n "), None);
    assert_eq!(incident_title(&"é".repeat(500)).unwrap().chars().count(), TITLE_MAX);
}

#[test]
fn the_status_bar_clock_warns_near_the_target_and_turns_critical_past_it() {
    let mut app = demo_app(60, (200, 50), "default");
    press(&mut app, "P1");
    let start = app.now;
    let clock_style = |app: &App, text: &str| {
        let screen = rendered(app);
        let row: String = (0..screen.area.width).map(|x| screen[(x, 0)].symbol().to_string()).collect();
        let at = row.find(text).unwrap_or_else(|| panic!("{text} not in {row}"));
        let x = row[..at].chars().count() as u16;
        screen[(x, 0)].style()
    };
    let style_of = |slot| {
        let s = app.theme.style(slot);
        (s.fg, s.bg)
    };
    let (within, near, over) = (style_of(Slot::BarClock), style_of(Slot::BarClockNear), style_of(Slot::BarClockOver));
    assert_ne!(within, near);
    for (secs, text, want) in
        [(60, "01:00 / 15:00", within), (12 * 60, "12:00 / 15:00", near), (16 * 60, "16:00 / 15:00 OVER", over)]
    {
        app.update(Msg::Tick(start + TimeDelta::seconds(secs)));
        let got = clock_style(&app, text);
        assert_eq!((got.fg, got.bg), want, "at {text}");
    }
}

#[test]
fn a_step_goes_to_the_panel_and_item_it_concerns() {
    let mut app = demo_app(60, (200, 50), "default");
    press(&mut app, "P1");
    press(&mut app, "5");
    let select = |app: &mut App, id: &str| {
        let at = app.active_playbook().unwrap().steps().position(|s| s.id == id).unwrap();
        app.checklist.selected = at;
    };
    // A failing check: the first pod it names, even behind a filter.
    press(&mut app, "1/zzz<Enter>5");
    select(&mut app, "crashloops");
    press(&mut app, "o");
    assert_eq!(app.focus, PanelId::Pods);
    let CheckResult::Fail(why) = &app.checklist.results["crashloops"] else { panic!() };
    let pod = app.pods().selected().unwrap();
    assert!(why.contains(&pod.key()), "{} in {why}", pod.key());
    assert_eq!(app.pods().view.filter(), "", "the filter that hid it is cleared");
    // A manual step concerns no panel: the focus stays.
    press(&mut app, "5");
    let manual = app
        .active_playbook()
        .unwrap()
        .steps()
        .find(|s| matches!(s.kind, crate::playbook::StepKind::Manual))
        .unwrap()
        .id
        .clone();
    select(&mut app, &manual);
    press(&mut app, "o");
    assert_eq!(app.focus, PanelId::Checklist);
    assert!(app.notice.as_deref().unwrap().ends_with("it concerns no panel"), "{:?}", app.notice);
}

#[test]
fn a_note_is_written_in_several_lines_and_recorded_with_ctrl_s() {
    let mut app = demo_app(60, (200, 50), "default");
    press(&mut app, "n");
    assert!(app.overlay.is_none());
    assert!(app.notice.as_deref().unwrap().contains("start one first"), "{:?}", app.notice);
    press(&mut app, "P1n");
    assert_eq!(app.layers(), &[Layer::Editor]);
    // Every printable key types, `q` and `j` too; Enter starts a new line.
    type_text(&mut app, "orders-db at 98% cpu, q: failover?");
    press(&mut app, "<Enter>");
    app.update(Msg::Paste("pasted\x1b[31m line\rand another".into()));
    let fx = press(&mut app, "<C-s>");
    assert!(fx.is_empty(), "{fx:?}");
    assert!(app.overlay.is_none());
    let notes = &app.incident().unwrap().notes;
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0].1, "orders-db at 98% cpu, q: failover?\npasted line\nand another");
    assert_eq!(app.notice.as_deref(), Some("Note recorded"));
}

#[test]
fn an_unsaved_note_is_kept_as_a_draft_and_an_empty_one_is_not_recorded() {
    let mut app = demo_app(60, (200, 50), "default");
    press(&mut app, "P1n");
    press(&mut app, "<C-s>");
    assert!(matches!(app.overlay, Some(Overlay::Note(_))), "an empty note stays open");
    assert!(app.notice.as_deref().unwrap().contains("empty"));
    type_text(&mut app, "half a thought");
    press(&mut app, "<Esc>");
    assert!(app.overlay.is_none());
    assert!(app.has_note_draft());
    press(&mut app, "n");
    let Some(Overlay::Note(input)) = &app.overlay else { panic!("{:?}", app.overlay) };
    assert_eq!(input.lines(), ["half a thought"]);
    type_text(&mut app, ", finished");
    press(&mut app, "<C-s>");
    assert!(!app.has_note_draft());
    assert_eq!(app.incident().unwrap().notes[0].1, "half a thought, finished");
}

#[test]
fn the_timeline_tells_every_entry_newest_last_and_filters() {
    let mut app = demo_app(60, (200, 50), "default");
    press(&mut app, "P1");
    press(&mut app, "5<Enter>");
    press(&mut app, "n");
    type_text(&mut app, "paged the DBA");
    press(&mut app, "<C-s>");
    press(&mut app, "T");
    let lines = |app: &App| match &app.overlay {
        Some(Overlay::Viewer(v)) if v.kind == ViewerKind::Timeline => v.lines().iter().cloned().collect::<Vec<_>>(),
        other => panic!("{other:?}"),
    };
    let all = lines(&app);
    assert!(all[0].contains("started   P1 incident inc-"), "{all:?}");
    assert!(all.iter().any(|l| l.contains("check     crashloops fails: 4 crash-looping")), "{all:?}");
    assert!(all.iter().any(|l| l.contains("step      acknowledge ticked")), "{all:?}");
    assert!(all.last().unwrap().ends_with("note      paged the DBA"), "newest last: {all:?}");
    // New entries appear while it is open.
    perform_records(&mut app, vec![Effect::Record(IncidentEvent::StepTicked { step: "notify".into() })]);
    assert!(lines(&app).last().unwrap().ends_with("step      notify ticked"), "{:?}", lines(&app));
    let fx = app.update(Msg::Key(crate::config::keys::Key::plain(KeyCode::Char('/')).to_event()));
    assert!(fx.is_empty());
    type_text(&mut app, "NOTE dba");
    press(&mut app, "<Enter>");
    assert_eq!(lines(&app).len(), 1, "{:?}", lines(&app));
    assert!(app.notice.as_deref().unwrap().starts_with("Timeline: 1 of "), "{:?}", app.notice);
}

#[test]
fn pods_that_begin_or_stop_crash_looping_during_an_incident_are_recorded() {
    use crate::state::{Delta, FeedData, SourceUpdate};
    let mut app = demo_app(60, (200, 50), "default");
    let pods = |d| Msg::Source(SourceUpdate::data(crate::fixtures::t0(), FeedData::Pods(d)));
    // Outside an incident nothing is recorded.
    assert!(recorded(&app.update(pods(Delta::Upsert(vec![crate::fixtures::synthetic_pod(100, 3)])))).is_empty());
    press(&mut app, "P1");
    let looping = crate::fixtures::synthetic_pod(50, 7);
    assert!(looping.crash_looping());
    let key = looping.key();
    let fx = app.update(pods(Delta::Upsert(vec![looping, crate::fixtures::synthetic_pod(51, 0)])));
    let events = recorded(&fx);
    assert!(
        matches!(&events[..], [IncidentEvent::CrashLoopChanged { pod, looping: true, status, .. }] if *pod == key && status == "CrashLoopBackOff"),
        "{events:?}"
    );
    perform_records(&mut app, fx);
    // Gone: no longer crash-looping.
    let fx = app.update(pods(Delta::Delete(vec![key.clone()])));
    assert!(
        matches!(&recorded(&fx)[..], [IncidentEvent::CrashLoopChanged { pod, looping: false, status, .. }] if *pod == key && status == "deleted"),
        "{fx:?}"
    );
}

#[test]
fn resuming_rebuilds_the_incident_and_selects_the_first_step_not_done() {
    let mut app = demo_app(60, (200, 50), "default");
    press(&mut app, "P1");
    press(&mut app, "5<Enter>j<Enter>");
    press(&mut app, "n");
    type_text(&mut app, "noted");
    press(&mut app, "<C-s>");
    let entries = app.journal.clone();
    let state = IncidentState::fold(&entries).unwrap();
    let mut again = demo_app(90, (200, 50), "default");
    again.resume(state, entries.clone(), Some("line 9 was cut short".into()));
    let (before, after) = (app.incident().unwrap(), again.incident().unwrap());
    assert_eq!(
        (after.started, after.severity, &after.steps, &after.notes),
        (before.started, before.severity, &before.steps, &before.notes)
    );
    assert_eq!(again.journal, entries);
    // Acknowledge and confirm-severity are ticked: notify is next.
    assert_eq!(again.selected_step().unwrap().id, "notify");
    assert!(again.notice.as_deref().unwrap().contains("its journal's line 9 was cut short"), "{:?}", again.notice);
    // Checks whose result differs from the journal's are asked to be
    // recorded at the next tick, and only those.
    let next = again.now + TimeDelta::seconds(1);
    let asked = recorded(&again.update(Msg::Tick(next)));
    let differ = again
        .checklist
        .results
        .iter()
        .filter(|(id, r)| {
            again.incident().unwrap().steps.get(*id).and_then(|s| s.check.as_ref()).map(|c| &c.1) != Some(*r)
        })
        .count();
    assert_eq!(asked.len(), differ, "{asked:?}");
}

#[test]
fn an_action_step_goes_to_the_item_its_literal_parameters_name() {
    use crate::playbook::{ActionName, ActionStep, ParamValue, Step, StepKind};
    let app = demo_app(60, (200, 50), "default");
    let step = |params: &[(&str, ParamValue)]| Step {
        id: "restart".into(),
        title: "Restart".into(),
        text: String::new(),
        kind: StepKind::Action(ActionStep {
            name: ActionName::RolloutRestart,
            params: params.iter().map(|(k, v)| (k.to_string(), v.clone())).collect(),
        }),
    };
    let lit = |v: &str| ParamValue::Literal(v.into());
    let named = step_jump(&step(&[("namespace", lit("shop")), ("deployment", lit("backend"))]), &app.live, app.now);
    let Some(Jump { panel: PanelId::Pods, key: Some(key), view: None }) = named else { panic!("{named:?}") };
    assert!(key.starts_with("shop/backend-"), "{key}");
    // "selected" names nothing: the panel alone.
    let selected = step_jump(&step(&[("deployment", ParamValue::Selected)]), &app.live, app.now);
    assert_eq!(selected, Some(Jump { panel: PanelId::Pods, key: None, view: None }));
}

#[test]
fn a_deployment_scaled_to_zero_is_restored_from_the_palette_and_from_its_step() {
    let mut app = app();
    // worker scaled to zero from this console: no pod of it to select.
    let mut worker = app.live.deployments.get("shop/worker").cloned().unwrap();
    (worker.desired, worker.ready, worker.available, worker.restore_to) = (0, 0, 0, Some(3));
    app.update(Msg::Source(SourceUpdate::data(app.now, FeedData::Deployments(Delta::Upsert(vec![worker])))));
    let pods = app.live.pods.values().filter(|p| p.deployment.as_deref() != Some("worker")).cloned().collect();
    app.update(Msg::Source(SourceUpdate::data(app.now, FeedData::Pods(Delta::Reset(pods)))));
    let restore = ActionKind::RestoreScale { namespace: "shop".into(), deployment: "worker".into(), from: 0, to: 3 };
    let confirming = |app: &App| match &app.overlay {
        Some(Overlay::Confirm(c)) => Some(c.action.kind.clone()),
        _ => None,
    };

    press(&mut app, ":");
    type_text(&mut app, "restore");
    let labels: Vec<String> = app.palette_items().into_iter().map(|i| i.label).collect();
    assert_eq!(labels, ["Restore deployment shop/worker to 3 replicas"]);
    press(&mut app, "<Enter>");
    assert_eq!(confirming(&app), Some(restore.clone()));
    press(&mut app, "<Esc>");

    // The emergency playbook's restore step finds it with no pod selected.
    let fx = app.start_incident_with(Severity::P1, Some("scale-to-zero".into()), None);
    perform_records(&mut app, fx);
    press(&mut app, "5");
    while app.selected_step().unwrap().id != "restore" {
        press(&mut app, "j");
    }
    press(&mut app, "<Enter>");
    assert_eq!(confirming(&app), Some(restore));
}
