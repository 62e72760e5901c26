//! Deterministic apps for tests and benchmarks: the demo world at a fixed
//! seed and clock, fed through the same messages the runtime sends.

use chrono::{DateTime, TimeDelta, Utc};

use crate::app::{App, AppInit, Effect, Flags, Msg};
use crate::config::keymap::Keymap;
use crate::config::keys::parse_sequence;
use crate::config::theme::{BUILTIN, ThemeLoader};
use crate::incident::MemoryRecorder;
use crate::sources::demo::{self, DemoWorld};

/// 2026-01-01T00:00:00Z: the demo's start in every fixture.
pub fn t0() -> DateTime<Utc> {
    DateTime::from_timestamp(1_767_225_600, 0).unwrap_or_default()
}

/// An app with built-in keymap `keymap` and theme `theme`, fed with the
/// demo world (seed 7) as it is `secs` seconds into the scenario.
pub fn demo_app_with(secs: i64, size: (u16, u16), theme: &str, keymap: &str, flags: Flags) -> App {
    let start = t0();
    let mut app = bare_app(size, theme, keymap, flags);
    let mut world = DemoWorld::new(7, start);
    for u in world.snapshot() {
        app.update(Msg::Source(u));
    }
    // Second by second, as the running demo delivers it.
    for s in 1..=secs {
        for u in world.advance(start + TimeDelta::seconds(s)) {
            app.update(Msg::Source(u));
        }
    }
    let at = start + TimeDelta::seconds(secs);
    app.set_now(at);
    app.settle();
    app.take_dirty();
    app
}

/// An app on the demo's environment before any source has said anything.
pub fn empty_app(size: (u16, u16), theme: &str) -> App {
    bare_app(size, theme, "default", Flags::default())
}

/// An app at [`t0`] on the demo's environment with built-in `theme` and
/// `keymap`, fed nothing.
fn bare_app(size: (u16, u16), theme: &str, keymap: &str, flags: Flags) -> App {
    let loader = ThemeLoader { user_dir: None };
    let themes: Vec<_> = BUILTIN.iter().filter_map(|(n, _)| loader.load(n).ok()).collect();
    let theme = themes.iter().find(|t| t.name == theme).cloned().unwrap_or_else(|| themes[0].clone());
    let keymap = Keymap::builtin(keymap).and_then(Result::ok).unwrap_or_default();
    App::new(AppInit {
        env: demo::environment(),
        flags,
        keymap,
        theme,
        themes,
        now: t0(),
        size,
        trail_window: crate::app::trail_rows::DEFAULT_WINDOW,
        playbooks: crate::playbook::load(None).unwrap_or_default(),
    })
}

/// [`demo_app_with`] with the default keymap and no flags.
pub fn demo_app(secs: i64, size: (u16, u16), theme: &str) -> App {
    demo_app_with(secs, size, theme, "default", Flags::default())
}

/// Records the incident events among `effects` as the runtime does with an
/// in-memory recorder, feeding each entry back to the app, and returns the
/// other effects (an action whose confirmation was recorded, quitting).
pub fn perform_records(app: &mut App, effects: Vec<Effect>) -> Vec<Effect> {
    let mut queue: std::collections::VecDeque<Effect> = effects.into();
    let mut out = Vec::new();
    while let Some(effect) = queue.pop_front() {
        match effect {
            Effect::Record(event) => {
                let mut recorder = MemoryRecorder::after(app.record.last_seq());
                let msg = Msg::record(&mut recorder, app.now, event);
                queue.extend(app.update(msg));
            }
            other => out.push(other),
        }
    }
    out
}

/// Applies `msg` as the runtime does: its incident events recorded (see
/// [`perform_records`]); returns the other effects.
pub fn deliver(app: &mut App, msg: Msg) -> Vec<Effect> {
    let effects = app.update(msg);
    perform_records(app, effects)
}

/// Presses the keys of a keymap-style string (`"a"`, `"<Down><Enter>"`,
/// `"gg"`) and returns every effect but recording; lists are settled after
/// each key as the runtime does.
pub fn press(app: &mut App, keys: &str) -> Vec<Effect> {
    let mut out = Vec::new();
    for k in parse_sequence(keys).unwrap_or_default() {
        out.extend(deliver(app, Msg::Key(k.to_event())));
        app.settle();
    }
    out
}

/// Types literal text (each character a key press).
pub fn type_text(app: &mut App, text: &str) -> Vec<Effect> {
    let mut out = Vec::new();
    for c in text.chars() {
        let ev =
            crossterm::event::KeyEvent::new(crossterm::event::KeyCode::Char(c), crossterm::event::KeyModifiers::NONE);
        out.extend(deliver(app, Msg::Key(ev)));
        app.settle();
    }
    out
}

/// A synthetic pod `i` of `n`: every 50th crash-loops, every 20th is pending.
pub fn synthetic_pod(i: usize, restarts: u32) -> crate::model::Pod {
    use crate::model::{Conditions, Container, ContainerState, Pod};
    let state = if i.is_multiple_of(50) {
        ContainerState::Waiting { reason: "CrashLoopBackOff".into(), message: None }
    } else if i.is_multiple_of(20) {
        ContainerState::Waiting { reason: "ContainerCreating".into(), message: None }
    } else {
        ContainerState::Running { since: t0() }
    };
    let ready = matches!(state, ContainerState::Running { .. });
    Pod {
        namespace: format!("ns-{}", i % 40).into(),
        name: format!("svc-{}-7d9f8b{:05}", i % 300, i),
        deployment: Some(format!("svc-{}", i % 300).into()),
        phase: if ready { "Running".into() } else { "Pending".into() },
        node: Some(format!("ip-10-0-{}-{}", i % 4, i % 250).into()),
        created: t0() - TimeDelta::seconds(i as i64 * 37),
        containers: vec![Container {
            name: "app".into(),
            image: "registry.example.com/app:1.0".into(),
            ready,
            started: Some(ready),
            restarts,
            state,
            ..Container::default()
        }],
        conditions: Conditions { ready, initialized: true, unscheduled: None },
        ..Pod::default()
    }
}

/// An alarm on `AWS/RDS CPUUtilization` in `state` since the Unix epoch.
pub fn alarm(name: &str, state: crate::model::AlarmState) -> crate::model::Alarm {
    crate::model::Alarm {
        name: name.into(),
        state,
        since: DateTime::from_timestamp(0, 0).unwrap_or_default(),
        reason: String::new(),
        description: String::new(),
        rule: None,
        namespace: "AWS/RDS".into(),
        metric: "CPUUtilization".into(),
        dimensions: vec![],
        statistic: "Average".into(),
        comparison: "GreaterThanThreshold".into(),
        threshold: 1.0,
        period_s: 60,
        evaluation_periods: 1,
        actions_enabled: true,
        alarm_actions: vec![],
    }
}

/// An available standalone PostgreSQL instance with `allocated_gib` of
/// storage.
pub fn db_instance(id: &str, allocated_gib: u32) -> crate::model::DbInstance {
    crate::model::DbInstance {
        id: id.into(),
        status: "available".into(),
        class: "db.r6g.large".into(),
        engine: "postgres".into(),
        engine_version: "15.5".into(),
        multi_az: false,
        az: "eu-west-1a".into(),
        secondary_az: None,
        endpoint: format!("{id}.example.eu-west-1.rds.amazonaws.com:5432"),
        allocated_gib,
        replica_of: None,
        cluster: None,
        replicas: Vec::new(),
        pending_modifications: Vec::new(),
        backup_retention_days: 7,
        arn: format!("arn:aws:rds:eu-west-1:123456789012:db:{id}"),
    }
}

/// Metrics whose latest points are `cpu` percent and `free_gib` free.
pub fn db_metrics(id: &str, cpu: f64, free_gib: f64) -> crate::model::DbMetrics {
    crate::model::DbMetrics {
        instance: id.into(),
        cpu: vec![20.0, cpu],
        connections: vec![40.0, 42.0],
        free_storage_gib: vec![free_gib + 1.0, free_gib],
        replica_lag_s: Vec::new(),
    }
}

/// A synthetic CloudTrail event `i`; every 30th is a failed console login.
pub fn synthetic_event(i: usize) -> crate::model::TrailEvent {
    let failed = i.is_multiple_of(30);
    crate::model::TrailEvent {
        id: format!("evt-{i:08}"),
        time: t0() - TimeDelta::seconds(i as i64),
        name: if failed { "ConsoleLogin".into() } else { "DescribeDBInstances".into() },
        source: if failed { "signin.amazonaws.com".into() } else { "rds.amazonaws.com".into() },
        user: format!("user-{}", i % 17),
        source_ip: format!("10.0.{}.{}", i % 4, i % 250),
        resource: format!("orders-db-{}", i % 9),
        error_code: failed.then(|| "Failed authentication".to_string()),
        read_only: !failed,
        raw: "{}".into(),
    }
}

/// A demo app at 200×50 with `pods` synthetic pods and `events` synthetic
/// CloudTrail events added: the benchmarks' large console.
pub fn large_app(pods: usize, events: usize) -> App {
    use crate::state::{Delta, FeedData, SourceUpdate};
    let mut app = demo_app(60, (200, 50), "default");
    let at = app.now;
    let pods = FeedData::Pods(Delta::Reset((0..pods).map(|i| synthetic_pod(i, 0)).collect()));
    app.update(Msg::Source(SourceUpdate::data(at, pods)));
    let events = FeedData::TrailEvents(Delta::Upsert((0..events).map(synthetic_event).collect()));
    app.update(Msg::Source(SourceUpdate::data(at, events)));
    app.settle();
    app.take_dirty();
    app
}
