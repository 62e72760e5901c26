//! Rendering cost of a full 200×50 frame with 10,000 pods and 10,000
//! CloudTrail events (target: < 1 ms). Lists are virtualised, so the cost
//! should not depend on the item count.

// A measurement harness: a failure to set it up ends the run.
#![allow(clippy::unwrap_used)]

use criterion::{Criterion, criterion_group, criterion_main};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::hint::black_box;
use warroom::fixtures::large_app;

fn render(c: &mut Criterion) {
    let app = large_app(10_000, 10_000);
    assert_eq!(app.pods().total(), 10_000);
    let mut terminal = Terminal::new(TestBackend::new(200, 50)).unwrap();
    c.bench_function("frame_200x50_10k_pods_10k_events", |b| {
        b.iter(|| {
            terminal.draw(|f| warroom::ui::draw(black_box(&app), f)).unwrap();
        })
    });
    let small = large_app(100, 100);
    c.bench_function("frame_200x50_100_pods_100_events", |b| {
        b.iter(|| {
            terminal.draw(|f| warroom::ui::draw(black_box(&small), f)).unwrap();
        })
    });
    let narrow = {
        let mut a = large_app(10_000, 10_000);
        a.update(warroom::app::Msg::Resize(80, 24));
        a.settle();
        a
    };
    let mut small_term = Terminal::new(TestBackend::new(80, 24)).unwrap();
    c.bench_function("frame_80x24_10k_pods", |b| {
        b.iter(|| {
            small_term.draw(|f| warroom::ui::draw(black_box(&narrow), f)).unwrap();
        })
    });
}

criterion_group!(benches, render);
criterion_main!(benches);
