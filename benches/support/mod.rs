//! The demo in a pseudo-terminal, for the benchmarks that measure what a
//! person at the terminal sees.

// A measurement harness: a failure to set it up ends the run.
#![allow(clippy::unwrap_used)]

use std::io::{Read, Write};

use portable_pty::{Child, CommandBuilder, PtySize, native_pty_system};

/// A running `warroom` (`--demo …` or live) and both ends of its terminal.
pub struct DemoPty {
    pub child: Box<dyn Child + Send + Sync>,
    pub reader: Box<dyn Read + Send>,
    pub writer: Box<dyn Write + Send>,
    _dirs: tempfile::TempDir,
}

/// Starts `warroom --demo` with `args` on a `rows`×`cols` pseudo-terminal,
/// with empty config and data directories of its own.
#[allow(dead_code)] // each bench uses part of it
pub fn spawn_demo(rows: u16, cols: u16, args: &[&str]) -> DemoPty {
    let mut all = vec!["--demo"];
    all.extend_from_slice(args);
    spawn(rows, cols, &all, &[])
}

/// Starts `warroom` with `args` and `envs` on a `rows`×`cols`
/// pseudo-terminal, with empty config and data directories of its own.
pub fn spawn(rows: u16, cols: u16, args: &[&str], envs: &[(&str, &str)]) -> DemoPty {
    let dirs = tempfile::tempdir().unwrap();
    let pair = native_pty_system().openpty(PtySize { rows, cols, pixel_width: 0, pixel_height: 0 }).unwrap();
    let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_warroom"));
    cmd.args(args);
    cmd.env("TERM", "xterm-256color");
    cmd.env("WARROOM_CONFIG_DIR", dirs.path());
    cmd.env("WARROOM_DATA_DIR", dirs.path().join("data"));
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let child = pair.slave.spawn_command(cmd).unwrap();
    drop(pair.slave);
    let reader = pair.master.try_clone_reader().unwrap();
    let writer = pair.master.take_writer().unwrap();
    DemoPty { child, reader, writer, _dirs: dirs }
}
