//! Snapshots of every panel, detail view, help, palette and dialog at
//! 80×24 and 200×50, in the default and mono themes, on the demo world at
//! a fixed seed and clock. The snapshot includes cell styles (ratatui's
//! buffer debug format), so a theme regression shows up too.
//!
//! Update after an intended change with `INSTA_UPDATE=always cargo test
//! --test snapshots` and review the diff before committing.

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::time::Duration;
use warroom::app::{App, Flags};

use chrono::TimeDelta;
use warroom::app::Msg;
use warroom::fixtures::{demo_app_with, empty_app, press, type_text};
use warroom::state::{ErrorKind, FeedId, FeedSignal, SourceError, SourceUpdate};

const SIZES: [(u16, u16); 2] = [(80, 24), (200, 50)];
const THEMES: [&str; 2] = ["default", "mono"];

fn render(app: &App) -> String {
    let mut terminal = Terminal::new(TestBackend::new(app.size.0, app.size.1)).unwrap();
    terminal.draw(|f| warroom::ui::draw(app, f)).unwrap();
    format!("{:?}", terminal.backend().buffer())
}

/// Snapshots `setup` applied to a fresh app `secs` into the demo, at every
/// size and theme.
fn check(name: &str, secs: i64, flags: Flags, setup: impl Fn(&mut App)) {
    for (w, h) in SIZES {
        for theme in THEMES {
            let mut app = demo_app_with(secs, (w, h), theme, "default", flags);
            setup(&mut app);
            app.settle();
            insta::assert_snapshot!(format!("{name}_{w}x{h}_{theme}"), render(&app));
        }
    }
}

fn none(_: &mut App) {}

fn signal(app: &mut App, feed: FeedId, signal: FeedSignal) {
    let at = app.now;
    app.update(Msg::Source(SourceUpdate::signal(feed, at, signal)));
}

fn failed(app: &App, kind: ErrorKind, message: &str, attempt: u32, retry_in: i64) -> FeedSignal {
    FeedSignal::Failed {
        error: SourceError::new(kind, message),
        attempt,
        next_retry: Some(app.now + TimeDelta::seconds(retry_in)),
    }
}

#[test]
fn feeds_before_any_data() {
    // Pods syncing, RDS connecting, alarms refused, CloudTrail's task gone:
    // each empty panel says which, never an empty list.
    for (w, h) in SIZES {
        for theme in THEMES {
            let mut app = empty_app((w, h), theme);
            signal(&mut app, FeedId::Pods, FeedSignal::Syncing);
            signal(&mut app, FeedId::DbInstances, FeedSignal::Connecting);
            let refused = failed(&app, ErrorKind::Unauthorized, "ExpiredToken: the security token expired", 1, 60);
            signal(&mut app, FeedId::Alarms, refused);
            signal(&mut app, FeedId::TrailEvents, FeedSignal::Stopped("panicked: index out of bounds".into()));
            app.set_now(app.now + TimeDelta::seconds(12));
            app.settle();
            let screen = render(&app);
            for must in ["syncing…", "connecting…", "no data yet: unauthorized", "source stopped"] {
                assert!(screen.contains(must) || w < 100, "{w}x{h}: {must}");
            }
            insta::assert_snapshot!(format!("feeds_before_data_{w}x{h}_{theme}"), screen);
        }
    }
}

#[test]
fn feeds_failing_stale_and_stopped_beside_their_data() {
    for (w, h) in SIZES {
        for theme in THEMES {
            let mut app = demo_app_with(60, (w, h), theme, "default", Flags::default());
            signal(&mut app, FeedId::Pods, FeedSignal::Stopped("panicked: watch stream ended".into()));
            let forbidden = failed(&app, ErrorKind::Forbidden, "AccessDenied: cloudwatch:DescribeAlarms", 2, 45);
            signal(&mut app, FeedId::Alarms, forbidden);
            signal(&mut app, FeedId::TrailEvents, FeedSignal::Live { expected: Some(Duration::from_secs(10)) });
            // RDS and CloudTrail polls overdue: 35 s without data.
            app.set_now(app.now + TimeDelta::seconds(35));
            app.settle();
            let screen = render(&app);
            if w == 200 {
                for must in ["source stopped", "forbidden, retry 10s", "no data for 35s (expected every 10s)"] {
                    assert!(screen.contains(must), "{w}x{h}: {must}\n{screen}");
                }
            }
            insta::assert_snapshot!(format!("feeds_degraded_{w}x{h}_{theme}"), screen);
        }
    }
}

#[test]
fn healthy_start() {
    check("healthy", 5, Flags::default(), none);
}

#[test]
fn incident_pods() {
    check("incident_pods", 60, Flags::default(), none);
}

#[test]
fn incident_rds() {
    check("incident_rds", 60, Flags::default(), |a| {
        press(a, "2");
    });
}

#[test]
fn incident_alarms() {
    check("incident_alarms", 60, Flags::default(), |a| {
        press(a, "3");
    });
}

#[test]
fn incident_cloudtrail() {
    check("incident_cloudtrail", 60, Flags::default(), |a| {
        press(a, "4");
    });
}

#[test]
fn checklist_without_incident() {
    check("checklist_idle", 60, Flags::default(), |a| {
        press(a, "5");
    });
}

#[test]
fn incident_running_with_clock() {
    check("incident_p1", 60, Flags::default(), |a| {
        press(a, "P1");
        let later = a.now + chrono::TimeDelta::seconds(192);
        a.set_now(later);
        press(a, "5");
    });
}

#[test]
fn failing_source_degrades_only_its_panel() {
    // 50 s into the demo, CloudTrail's LookupEvents is being throttled.
    check("source_error", 50, Flags::default(), |a| {
        press(a, "4");
    });
}

#[test]
fn severity_picker() {
    check("severity_picker", 60, Flags::default(), |a| {
        press(a, "P");
    });
}

#[test]
fn note_editor() {
    check("note_editor", 60, Flags::default(), |a| {
        press(a, "P1n");
        type_text(a, "orders-db CPU at 98 %; writer in eu-west-1a");
        press(a, "<Enter>");
        type_text(a, "failing over to 1b");
    });
}

#[test]
fn timeline() {
    check("timeline", 60, Flags::default(), |a| {
        press(a, "P1");
        press(a, "5<Enter>n");
        type_text(a, "paged the DBA");
        press(a, "<C-s>T");
    });
}

#[test]
fn detail_pod() {
    check("detail_pod", 60, Flags::default(), |a| {
        press(a, "<Enter>");
    });
}

#[test]
fn detail_rds() {
    check("detail_rds", 60, Flags::default(), |a| {
        press(a, "2<Enter>");
    });
}

#[test]
fn detail_alarm() {
    check("detail_alarm", 60, Flags::default(), |a| {
        press(a, "3<Enter>");
    });
}

#[test]
fn detail_cloudtrail() {
    check("detail_cloudtrail", 60, Flags::default(), |a| {
        press(a, "4<Enter>");
    });
}

#[test]
fn help() {
    check("help", 60, Flags::default(), |a| {
        press(a, "?");
    });
}

#[test]
fn palette() {
    check("palette", 60, Flags::default(), |a| {
        press(a, ":");
        type_text(a, "theme");
    });
}

#[test]
fn filter() {
    check("filter", 60, Flags::default(), |a| {
        press(a, "/");
        type_text(a, "backend");
    });
}

#[test]
fn action_menu() {
    check("action_menu", 60, Flags::default(), |a| {
        press(a, "a");
    });
}

#[test]
fn confirm_read() {
    check("confirm_read", 60, Flags::default(), |a| {
        press(a, "a<Enter>");
    });
}

#[test]
fn confirm_change() {
    check("confirm_change", 60, Flags::default(), |a| {
        press(a, "a<Down><Down><Enter>");
    });
}

#[test]
fn confirm_destructive() {
    check("confirm_destructive", 60, Flags::default(), |a| {
        // Delete pod, above the namespace's two.
        press(a, "a<End><Up><Up><Enter>");
        type_text(a, "backend-");
    });
}

/// The cluster failover's long command wraps over several rows; the label,
/// the field and the refusal below it must all still be inside the dialog.
#[test]
fn confirm_cluster_failover_shows_its_last_lines() {
    let setup = |a: &mut App| {
        press(a, "2<Home>a<End><Enter>");
        type_text(a, "order");
        press(a, "<Enter>");
    };
    check("confirm_failover_refused", 60, Flags::default(), setup);
    for (w, h) in SIZES {
        let mut app = demo_app_with(60, (w, h), "default", "default", Flags::default());
        setup(&mut app);
        let screen = render(&app);
        assert!(screen.contains("Fail over cluster"), "{w}x{h}: {screen}");
        assert!(screen.contains("Type orders to confirm:"), "{w}x{h}: label cut off\n{screen}");
        assert!(screen.contains("type exactly `orders` to confirm"), "{w}x{h}: refusal cut off\n{screen}");
    }
}

#[test]
fn confirm_read_only() {
    let flags = Flags { read_only: true, read_only_locked: true, dry_run: false };
    check("confirm_read_only", 60, flags, |a| {
        press(a, "2a<Down><Enter>");
    });
}

#[test]
fn results_strip_after_dry_run() {
    let flags = Flags { read_only: false, read_only_locked: false, dry_run: true };
    check("dry_run_result", 60, flags, |a| {
        press(a, "a<Down><Down><Enter>y");
    });
}

#[test]
fn results_history() {
    let flags = Flags { read_only: false, read_only_locked: false, dry_run: true };
    check("results_history", 60, flags, |a| {
        press(a, "a<Down><Down><Enter>y");
        press(a, "2a<Enter>y");
        press(a, "R");
    });
}

#[test]
fn too_small() {
    let mut app = demo_app_with(60, (50, 12), "default", "default", Flags::default());
    app.settle();
    insta::assert_snapshot!("too_small_50x12", render(&app));
}

#[test]
fn every_size_down_to_one_cell_renders_without_panic() {
    for w in (1..=200).step_by(7) {
        for h in (1..=60).step_by(5) {
            let mut app = demo_app_with(60, (w, h), "default", "default", Flags::default());
            press(&mut app, "a<Enter>");
            render(&app);
            press(&mut app, "<Esc>?");
            render(&app);
            press(&mut app, "<Esc>4<Enter>");
            render(&app);
        }
    }
}

/// Hostile text in every external field never reaches a terminal cell.
#[test]
fn hostile_strings_never_reach_the_terminal() {
    use warroom::app::Msg;
    use warroom::fixtures::{synthetic_event, synthetic_pod};
    use warroom::model::{ContainerState, Deployment, KubeEvent, Rollout, Termination};
    use warroom::state::{Delta, FeedData, SourceUpdate};

    const EVIL: &str = "x\u{1b}]0;owned\u{7}\u{1b}[2J\u{202e}\u{9b}31m\r\n\t";
    let mut app = demo_app_with(60, (200, 50), "default", "default", Flags::default());
    let at = app.now;
    let mut pod = synthetic_pod(1, 3);
    pod.name = format!("api-{EVIL}");
    pod.namespace = "shop".into();
    pod.node = Some(EVIL.into());
    pod.reason = Some(EVIL.into());
    pod.message = Some(EVIL.into());
    pod.containers[0].image = EVIL.into();
    pod.containers[0].name = format!("app{EVIL}").into();
    pod.containers[0].state = ContainerState::Waiting { reason: EVIL.into(), message: Some(EVIL.into()) };
    pod.containers[0].last_termination =
        Some(Box::new(Termination { reason: EVIL.into(), exit_code: 137, signal: 0, finished: Some(at) }));
    pod.deployment = Some(format!("web{EVIL}").into());
    let deployment = Deployment {
        namespace: "shop".into(),
        name: format!("web{EVIL}"),
        desired: 3,
        ready: 1,
        updated: 1,
        available: 1,
        rollout: Rollout::Stalled(EVIL.into()),
        selector: format!("app={EVIL}"),
        restore_to: Some(5),
        revision: Some(3),
    };
    let mut event = synthetic_event(1);
    event.name = EVIL.into();
    event.user = EVIL.into();
    event.source_ip = EVIL.into();
    event.resource = EVIL.into();
    event.raw = format!("{{\"eventName\": \"{}\"}}", EVIL.escape_default());
    let mut alarms: Vec<_> = app.alarms().values().cloned().collect();
    alarms[0].reason = EVIL.into();
    alarms[0].name = format!("a{EVIL}");
    alarms[0].description = EVIL.into();
    alarms[1].rule = Some(EVIL.into());
    alarms[1].name = format!("b{EVIL}");
    let mut dbs: Vec<_> = app.dbs().values().map(|d| d.instance.clone()).collect();
    dbs[0].status = EVIL.into();
    dbs[0].endpoint = EVIL.into();
    let kube_event = KubeEvent {
        namespace: "shop".into(),
        name: EVIL.into(),
        object: format!("Pod/{}", pod.name),
        reason: EVIL.into(),
        message: EVIL.into(),
        count: 2,
        last_seen: at,
        warning: true,
    };
    for data in [
        FeedData::Pods(Delta::Upsert(vec![pod.clone()])),
        FeedData::Deployments(Delta::Upsert(vec![deployment])),
        FeedData::KubeEvents(Delta::Reset(vec![kube_event])),
        FeedData::TrailEvents(Delta::Upsert(vec![event])),
        FeedData::Alarms(Delta::Reset(alarms)),
        FeedData::DbInstances(Delta::Reset(dbs)),
        FeedData::Trails(Delta::Reset(vec![warroom::model::Trail {
            name: EVIL.into(),
            arn: EVIL.into(),
            home_region: EVIL.into(),
            multi_region: false,
            logging: true,
            latest_delivery: None,
            delivery_error: Some(EVIL.into()),
        }])),
    ] {
        app.update(Msg::Source(SourceUpdate::data(at, data)));
    }
    // Who the AWS credentials are, in the status bar.
    let caller =
        warroom::model::AwsCaller { account: EVIL.into(), arn: format!("arn:aws:sts::1:{EVIL}"), region: EVIL.into() };
    app.update(Msg::Source(SourceUpdate::caller(at, caller)));
    app.settle();
    let clean = |app: &App| {
        let mut terminal = Terminal::new(TestBackend::new(app.size.0, app.size.1)).unwrap();
        terminal.draw(|f| warroom::ui::draw(app, f)).unwrap();
        let mut screen = String::new();
        for cell in terminal.backend().buffer().content() {
            let bad = cell.symbol().chars().find(|c| c.is_control() || ('\u{202a}'..='\u{202e}').contains(c));
            assert!(bad.is_none(), "{bad:?} reached the terminal");
            screen.push_str(cell.symbol());
        }
        // The widgets drop a lone control character themselves; only the
        // sanitiser removes a whole escape sequence, whose body would
        // otherwise show as text.
        // (The raw event JSON carries the same text escaped, `\u{1b}]0;…`,
        // which is harmless.)
        for body in ["]0;owned", "[2J"] {
            let escaped = format!("\\u{{1b}}{body}");
            assert!(!screen.replace(&escaped, "").contains(body), "an unsanitised escape sequence shows as {body}");
        }
    };
    clean(&app);
    // The hostile pod's actions, logs and YAML, and the palette's
    // namespaces and contexts.
    press(&mut app, "1<Home>");
    let mut viewed = false;
    for _ in 0..20 {
        let effects = press(&mut app, "l");
        let stream = effects.iter().find_map(|e| match e {
            warroom::app::Effect::StreamLogs { stream, target } if target.pod == pod.name => Some(*stream),
            _ => None,
        });
        if let Some(stream) = stream {
            app.update(Msg::LogLines { stream, lines: vec![EVIL.into(), format!("ok {EVIL} ok")] });
            press(&mut app, "/");
            type_text(&mut app, "ok");
            press(&mut app, "<Enter>");
            clean(&app);
            press(&mut app, "w");
            clean(&app);
            app.update(Msg::LogEnded { stream, error: Some(EVIL.into()) });
            clean(&app);
            press(&mut app, "<Esc>a");
            clean(&app);
            press(&mut app, "<Esc>y");
            let object = match &app.overlay {
                Some(warroom::app::Overlay::Viewer(v)) => match &v.kind {
                    warroom::app::ViewerKind::Yaml(o) => o.clone(),
                    other => panic!("{other:?}"),
                },
                _ => panic!("no YAML viewer"),
            };
            app.update(Msg::ManifestLoaded { object, text: Ok(format!("name: {EVIL}\nmessage: {EVIL}\n")) });
            clean(&app);
            press(&mut app, "<Esc>");
            viewed = true;
            break;
        }
        press(&mut app, "<Esc>j");
    }
    assert!(viewed, "the hostile pod's logs and YAML were shown");
    app.update(Msg::Namespaces(Ok(vec![format!("ns{EVIL}")])));
    app.env.kube_contexts[0].name = format!("ctx{EVIL}");
    app.env.kube_cluster = EVIL.into();
    press(&mut app, ":");
    type_text(&mut app, "namespace");
    clean(&app);
    press(&mut app, "<Esc>");
    // Every panel's first row in detail, where the whole text is shown.
    for panel in ["1", "2", "3", "4"] {
        press(&mut app, &format!("{panel}<Home>"));
        // Find the hostile row: it sorts among the unhealthy or newest rows.
        for _ in 0..20 {
            press(&mut app, "<Enter>");
            clean(&app);
            press(&mut app, "<Esc>j");
        }
    }
}

/// The last row of the screen: the footer.
fn footer(app: &App) -> String {
    let mut terminal = Terminal::new(TestBackend::new(app.size.0, app.size.1)).unwrap();
    terminal.draw(|f| warroom::ui::draw(app, f)).unwrap();
    let buf = terminal.backend().buffer();
    (0..app.size.0).map(|x| buf[(x, app.size.1 - 1)].symbol().to_string()).collect()
}

#[test]
fn footer_and_help_offer_only_keys_that_do_something_here() {
    let mut app = demo_app_with(60, (200, 50), "default", "default", Flags::default());
    let pods = footer(&app);
    assert!(pods.contains("/ filter") && pods.contains("a actions"), "{pods}");
    press(&mut app, "5");
    let checklist = footer(&app);
    assert!(!checklist.contains("filter") && !checklist.contains("actions"), "{checklist}");
    assert!(!checklist.contains("details"), "{checklist}");
    press(&mut app, "?");
    let help = render(&app);
    assert!(help.contains("In the Checklist pane") && !help.contains("Filter this panel"), "{help}");
    press(&mut app, "<Esc>4");
    let trail = footer(&app);
    assert!(trail.contains("a actions") && !trail.contains("l logs"), "the window can be exported: {trail}");

    let flags = Flags { read_only: true, read_only_locked: true, dry_run: false };
    let mut app = demo_app_with(60, (80, 24), "default", "default", flags);
    press(&mut app, "2a<Down><Enter>");
    assert_eq!(footer(&app).trim(), "Esc close");
}

/// Pods in the states kubectl has words for, in two namespaces watched
/// together, and a DB instance with a long name: every identifier whole
/// while the panel has room, NAMESPACE first, the notes beside STATUS.
#[test]
fn kubectl_states_across_namespaces() {
    use warroom::fixtures::synthetic_pod;
    use warroom::model::{Conditions, Container, ContainerState, Termination};
    use warroom::state::{Delta, FeedData};

    let container = |state: ContainerState, ready: bool| Container {
        name: "app".into(),
        image: "registry.example.com/app:1".into(),
        ready,
        started: Some(ready),
        state,
        ..Container::default()
    };
    for (w, h) in SIZES {
        for theme in THEMES {
            let mut app = demo_app_with(60, (w, h), theme, "default", Flags::default());
            app.env.kube_target.namespaces.clear();
            let at = app.now;
            let pod = |ns: &str, name: &str, phase: &str, c: Container| {
                let mut p = synthetic_pod(1, 0);
                p.namespace = ns.into();
                p.name = name.into();
                p.phase = phase.into();
                p.created = at - TimeDelta::hours(3);
                p.containers = vec![c];
                p.conditions = Conditions { ready: true, initialized: true, unscheduled: None };
                p
            };
            let mut oomed = container(ContainerState::Running { since: at }, true);
            oomed.restarts = 1;
            oomed.last_termination = Some(Box::new(Termination {
                reason: "OOMKilled".into(),
                exit_code: 137,
                signal: 0,
                finished: Some(at - TimeDelta::minutes(4)),
            }));
            let mut init = pod(
                "payments",
                "ledger-api-7d4b9c5f6d-q8xvz",
                "Pending",
                container(ContainerState::Waiting { reason: "PodInitializing".into(), message: None }, false),
            );
            init.init_containers = vec![Container {
                name: "migrate".into(),
                restarts: 4,
                ..container(ContainerState::Waiting { reason: "CrashLoopBackOff".into(), message: None }, false)
            }];
            init.conditions.initialized = false;
            let mut pending =
                pod("payments", "ledger-worker-5f6d7c8b9-x2k4p", "Pending", Container { ..Container::default() });
            pending.conditions.unscheduled = Some(Box::new(("Unschedulable".into(), "0/3 nodes are available".into())));
            let pods = vec![
                pod("shop", "web-7d4b9c5f6d-q8xvz", "Running", oomed),
                pod(
                    "payments",
                    "web-7d4b9c5f6d-q8xvz",
                    "Running",
                    container(ContainerState::Running { since: at }, true),
                ),
                pod(
                    "payments",
                    "ledger-api-7d4b9c5f6d-a1b2c",
                    "Pending",
                    container(
                        ContainerState::Waiting { reason: "CreateContainerConfigError".into(), message: None },
                        false,
                    ),
                ),
                pod(
                    "shop",
                    "batch-29043120-zt5mh",
                    "Running",
                    container(
                        ContainerState::Terminated(Termination {
                            reason: String::new(),
                            exit_code: 137,
                            signal: 9,
                            finished: Some(at),
                        }),
                        false,
                    ),
                ),
                init,
                pending,
            ];
            let mut dbs: Vec<_> = app.dbs().values().map(|d| d.instance.clone()).collect();
            dbs.iter_mut().filter(|d| d.id == "billing-db").for_each(|d| d.id = "ledger-db-prod-replica".into());
            app.update(Msg::Source(SourceUpdate::data(at, FeedData::Pods(Delta::Reset(pods)))));
            app.update(Msg::Source(SourceUpdate::data(at, FeedData::DbInstances(Delta::Reset(dbs)))));
            app.settle();
            let screen = render(&app);
            let wide = w >= 200;
            for must in ["NAMESPACE", "Init:CrashLoopBackOff", "Signal:9", "ledger-api-7d4b9c5f6d-q8xvz"] {
                assert!(screen.contains(must), "{w}x{h}: {must}");
            }
            if wide {
                for must in [
                    "CreateContainerConfigError",
                    "Running · OOMKilled 4m ago",
                    "Pending · Unschedulable",
                    "ledger-db-prod-replica",
                ] {
                    assert!(screen.contains(must), "{w}x{h}: {must}");
                }
            }
            insta::assert_snapshot!(format!("kubectl_states_{w}x{h}_{theme}"), screen);
        }
    }
}
