//! Applying 10,000 pod updates to state, then re-sorting once as the event
//! loop does after draining a batch (target: < 50 ms).

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use warroom::app::Msg;
use warroom::fixtures::{large_app, synthetic_pod};
use warroom::sources::{Payload, SourceId, SourceUpdate};

fn ingest(c: &mut Criterion) {
    let base = large_app(10_000, 0);
    let at = base.now;
    let updates: Vec<Msg> = (0..10_000)
        .map(|i| {
            Msg::Source(SourceUpdate {
                source: SourceId::Kube,
                at,
                payload: Ok(Payload::PodApplied(synthetic_pod(i, 3))),
            })
        })
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

criterion_group!(benches, ingest);
criterion_main!(benches);
