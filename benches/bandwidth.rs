//! Bytes warroom sends to the terminal: what a slow SSH link to a bastion
//! has to carry. Not a criterion benchmark: it runs the demo in a
//! pseudo-terminal and reports the first frame's size and the steady rate
//! while the scripted incident unfolds, at 80×24 and 200×50.
//!
//! `cargo bench --bench bandwidth`

// A measurement harness: a failure to set it up ends the run.
#![allow(clippy::unwrap_used)]

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

mod support;

fn measure(rows: u16, cols: u16, seconds: u64) -> (usize, f64) {
    // Keep `demo` whole until the end: it owns the config and data dirs.
    let mut demo = support::spawn_demo(rows, cols, &["--demo-seed", "7"]);
    let mut reader = demo.reader;
    let mut writer = demo.writer;
    let out = Arc::new(Mutex::new(Vec::<u8>::new()));
    let sink = out.clone();
    std::thread::spawn(move || {
        let mut buf = [0u8; 8192];
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 {
                break;
            }
            sink.lock().unwrap().extend_from_slice(&buf[..n]);
        }
    });
    // The first frame is complete once the footer's hints are out.
    let start = Instant::now();
    while !String::from_utf8_lossy(&out.lock().unwrap()).contains("help") {
        assert!(start.elapsed() < Duration::from_secs(10), "no first frame");
        std::thread::sleep(Duration::from_millis(5));
    }
    std::thread::sleep(Duration::from_millis(200));
    let first = out.lock().unwrap().len();
    std::thread::sleep(Duration::from_secs(seconds));
    let steady = out.lock().unwrap().len() - first;
    writer.write_all(b"q").unwrap();
    demo.child.wait().unwrap();
    (first, steady as f64 / seconds as f64)
}

fn main() {
    // `cargo test --benches` runs bench targets with `--bench` absent; do
    // nothing then, so tests stay fast.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    for (rows, cols) in [(24, 80), (50, 200)] {
        let (first, rate) = measure(rows, cols, 40);
        println!("bandwidth {cols}x{rows}: first frame {first} bytes; during the incident {rate:.0} bytes/s (40 s)");
    }
}
