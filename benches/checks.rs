//! The checklist's checks, evaluated once a second while an incident runs
//! (and after each recorded event), against a large console: 10,000 pods
//! and 20,000 CloudTrail events held. One tick evaluates every check step
//! of the playbook and records what changed. Target: under 5 ms a tick,
//! so a second's checks never delay a key's frame noticeably.

use chrono::TimeDelta;
use criterion::{Criterion, criterion_group, criterion_main};
use warroom::app::Msg;
use warroom::fixtures::{deliver, large_app, press};

fn tick(c: &mut Criterion) {
    // A P1 (7 checks) and the daily health check (10 checks).
    for (name, keys, routine) in [("p1", "P1", None), ("daily", "", Some("daily"))] {
        let mut app = large_app(10_000, 20_000);
        if let Some(r) = routine {
            app.walk_routine(r);
        } else {
            press(&mut app, keys);
        }
        let checks = app.checklist.results.len();
        assert!(checks >= 7, "{name}: {checks} checks");
        let mut now = app.now;
        c.bench_function(&format!("tick_{name}_{checks}_checks_10k_pods_20k_events"), |b| {
            b.iter(|| {
                now += TimeDelta::seconds(1);
                deliver(&mut app, Msg::Tick(now))
            })
        });
    }
}

criterion_group!(benches, tick);
criterion_main!(benches);
