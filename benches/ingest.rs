//! Applying 10,000 pod updates to state, then re-sorting once as the event
//! loop does after draining a batch (target: < 50 ms); and a poll's worth of
//! new CloudTrail events arriving while 20,000 are already held (the cap),
//! which must cost what arrived, not what is held.

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use warroom::app::Msg;
use warroom::fixtures::{large_app, synthetic_event, synthetic_pod};
use warroom::state::{Delta, FeedData, SourceUpdate};

fn ingest(c: &mut Criterion) {
    let base = large_app(10_000, 0);
    let at = base.now;
    let updates: Vec<Msg> = (0..10_000)
        .map(|i| Msg::Source(SourceUpdate::data(at, FeedData::Pods(Delta::Upsert(vec![synthetic_pod(i, 3)])))))
        .collect();
    c.bench_function("apply_10k_pod_updates", |b| {
        b.iter_batched(
            || (large_app(10_000, 0), updates.clone()),
            |(mut app, msgs)| {
                for m in msgs {
                    app.update(m);
                }
                app.settle();
                app
            },
            BatchSize::LargeInput,
        )
    });
}

fn trail_batch(c: &mut Criterion) {
    let base = large_app(100, 20_000);
    let at = base.now;
    let batch: Vec<_> = (0..50)
        .map(|j| {
            let mut e = synthetic_event(1_000_000 + j);
            e.time = at + chrono::TimeDelta::milliseconds(j as i64 * 10);
            e
        })
        .collect();
    let msg = Msg::Source(SourceUpdate::data(at, FeedData::TrailEvents(Delta::Upsert(batch))));
    c.bench_function("trail_50_new_events_into_20k", |b| {
        b.iter_batched(
            || {
                let mut app = large_app(100, 20_000);
                app.settle();
                app
            },
            |mut app| {
                app.update(msg.clone());
                app.settle();
                app
            },
            BatchSize::LargeInput,
        )
    });
}

criterion_group!(benches, ingest, trail_batch);
criterion_main!(benches);
