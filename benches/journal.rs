//! Journal appends: each entry written, flushed and fsynced before the
//! recorder answers. Target: at least 1,000 appends a second on the
//! machine's disk (the temporary directory; not tmpfs).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use warroom::incident::journal::JournalRecorder;
use warroom::incident::{Actor, IncidentEvent, Recorder, Severity};

fn append(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let actor = Actor { user: "oncall".into(), host: "bastion-1".into(), aws: None, kube: None };
    let now = chrono::Utc::now();
    let mut recorder = JournalRecorder::new(dir.path(), actor, now);
    let start = IncidentEvent::Started {
        id: "inc-bench".into(),
        severity: Severity::P1,
        playbook: Some("p1".into()),
        title: Some("journal bench".into()),
        since: None,
    };
    recorder.record(now, start).expect("the journal is created");
    let mut group = c.benchmark_group("journal");
    group.throughput(Throughput::Elements(1));
    // A typical entry: a check's result changing, with its reason.
    group.bench_function("append_fsync", |b| {
        b.iter(|| {
            let result = warroom::playbook::CheckResult::Fail("4 crash-looping: shop/backend-7d9f8b-x2k4p".into());
            recorder
                .record(chrono::Utc::now(), IncidentEvent::CheckChanged { step: "crashloops".into(), result })
                .expect("appended")
        })
    });
    group.finish();
}

criterion_group!(benches, append);
criterion_main!(benches);
