//! Time from launching `warroom --demo` to its first frame on a
//! pseudo-terminal: what an engineer waits for when paged.

// A measurement harness: a failure to set it up ends the run.
#![allow(clippy::unwrap_used)]

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use portable_pty::{CommandBuilder, PtySize, native_pty_system};

fn first_frame() -> Duration {
    let dirs = tempfile::tempdir().unwrap();
    let pair = native_pty_system().openpty(PtySize { rows: 24, cols: 80, pixel_width: 0, pixel_height: 0 }).unwrap();
    let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_warroom"));
    cmd.arg("--demo");
    cmd.env("TERM", "xterm-256color");
    cmd.env("WARROOM_CONFIG_DIR", dirs.path());
    cmd.env("WARROOM_DATA_DIR", dirs.path().join("data"));
    let start = Instant::now();
    let mut child = pair.slave.spawn_command(cmd).unwrap();
    drop(pair.slave);
    let mut reader = pair.master.try_clone_reader().unwrap();
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    // The first frame is complete when the footer's key hints arrive.
    while !String::from_utf8_lossy(&seen).contains("help") {
        let n = reader.read(&mut buf).unwrap();
        assert!(n > 0, "warroom exited before drawing");
        seen.extend_from_slice(&buf[..n]);
    }
    let elapsed = start.elapsed();
    let mut writer = pair.master.take_writer().unwrap();
    writer.write_all(b"q").unwrap();
    child.wait().unwrap();
    elapsed
}

fn startup(c: &mut Criterion) {
    let mut group = c.benchmark_group("startup");
    group.sample_size(20);
    group.bench_function("demo_first_frame_80x24", |b| b.iter_custom(|iters| (0..iters).map(|_| first_frame()).sum()));
    group.finish();
}

criterion_group!(benches, startup);
criterion_main!(benches);
