//! Key-to-frame latency: the time from writing a key to a pseudo-terminal
//! until the frame showing its effect has arrived, as a person at the
//! keyboard feels it. Alternates `?` (help opens) and `Esc` (help closes)
//! on a quiet demo (`--demo-speed 0.1`: nothing else happens) and a busy
//! one (`--demo-speed 20`: data arriving all the time), and reports p50,
//! p99 and the maximum. Target: p99 < 16 ms (one frame at 60 Hz).
//!
//! `cargo bench --bench latency`

// A measurement harness: a failure to set it up ends the run.
#![allow(clippy::unwrap_used)]

use std::io::Write;
use std::num::NonZeroU16;
use std::sync::mpsc;
use std::time::{Duration, Instant};

mod support;

const PRESSES: usize = 200;

fn measure(speed: &str) -> Vec<Duration> {
    // Keep `demo` whole until the end: it owns the config and data dirs.
    let mut demo = support::spawn_demo(24, 80, &["--demo-speed", speed]);
    let mut reader = demo.reader;
    let mut writer = demo.writer;
    support::spawn_demo(24, 80, &["--demo-speed", speed]);
    // The reader reports when help appears or disappears, stamped the
    // moment the bytes that changed it were read.
    let (tx, rx) = mpsc::channel::<(bool, Instant)>();
    std::thread::spawn(move || {
        let mut screen = vt100::Parser::new(NonZeroU16::new(24).unwrap(), NonZeroU16::new(80).unwrap(), 0);
        let mut buf = [0u8; 16384];
        let mut shown = None;
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 {
                break;
            }
            let at = Instant::now();
            screen.process(&buf[..n]);
            let text = screen.screen().contents();
            let ready = text.contains("help");
            let help = text.contains("Help: keys");
            if ready && shown != Some(help) {
                shown = Some(help);
                if tx.send((help, at)).is_err() {
                    break;
                }
            }
        }
    });
    let (first, _) = rx.recv_timeout(Duration::from_secs(10)).expect("first frame");
    assert!(!first);
    let mut samples = Vec::with_capacity(PRESSES);
    for i in 0..PRESSES {
        let want = i % 2 == 0;
        let key: &[u8] = if want { b"?" } else { b"\x1b" };
        // Let a lone ESC read as a key, and vary the phase against ticks.
        std::thread::sleep(Duration::from_millis(40 + (i as u64 * 7) % 30));
        let sent = Instant::now();
        writer.write_all(key).unwrap();
        writer.flush().unwrap();
        loop {
            let (help, at) = rx.recv_timeout(Duration::from_secs(20)).expect("the key's frame");
            if help == want {
                samples.push(at.saturating_duration_since(sent));
                break;
            }
        }
    }
    writer.write_all(b"q").unwrap();
    demo.child.wait().unwrap();
    samples
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn main() {
    // `cargo test --benches` runs bench targets without `--bench`; do
    // nothing then, so tests stay fast.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    for (name, speed) in [("quiet", "0.1"), ("busy", "20")] {
        let mut s = measure(speed);
        s.sort();
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        println!(
            "key-to-frame {name} demo (80x24, {} keys): p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            s.len(),
            ms(percentile(&s, 0.5)),
            ms(percentile(&s, 0.99)),
            ms(*s.last().unwrap())
        );
    }
}
