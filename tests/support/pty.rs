//! The real binary in a pseudo-terminal, driven by key presses, its
//! screen parsed by a terminal emulator (vt100).
#![allow(dead_code)] // each test binary uses part of it

use std::io::{Read, Write};
use std::num::NonZeroU16;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{Child, CommandBuilder, MasterPty, PtySize, native_pty_system};

pub const ROWS: u16 = 30;
pub const COLS: u16 = 100;

pub struct Console {
    pub child: Box<dyn Child + Send + Sync>,
    writer: Box<dyn Write + Send>,
    pub screen: Arc<Mutex<vt100::Parser>>,
    pub output: Arc<Mutex<Vec<u8>>>,
    _master: Box<dyn MasterPty + Send>,
    /// Its config and data directories (`config/`, `data/`).
    pub dirs: tempfile::TempDir,
}

impl Console {
    pub fn start(args: &[&str]) -> Console {
        Console::spawn(env!("CARGO_BIN_EXE_warroom").as_ref(), args, &[])
    }

    pub fn spawn(program: &std::path::Path, args: &[&str], envs: &[(&str, &str)]) -> Console {
        Console::spawn_sized(program, args, envs, (ROWS, COLS))
    }

    pub fn spawn_sized(program: &std::path::Path, args: &[&str], envs: &[(&str, &str)], size: (u16, u16)) -> Console {
        let (rows, cols) = size;
        let dirs = tempfile::tempdir().unwrap();
        let pair = native_pty_system().openpty(PtySize { rows, cols, pixel_width: 0, pixel_height: 0 }).unwrap();
        let mut cmd = CommandBuilder::new(program);
        cmd.args(args);
        cmd.env("TERM", "xterm-256color");
        cmd.env("WARROOM_CONFIG_DIR", dirs.path().join("config"));
        cmd.env("WARROOM_DATA_DIR", dirs.path().join("data"));
        cmd.env_remove("NO_COLOR");
        cmd.env_remove("COLORTERM");
        for (k, v) in envs {
            cmd.env(k, v);
        }
        let child = pair.slave.spawn_command(cmd).unwrap();
        drop(pair.slave);
        let mut reader = pair.master.try_clone_reader().unwrap();
        let writer = pair.master.take_writer().unwrap();
        let rows = NonZeroU16::new(rows).unwrap();
        let cols = NonZeroU16::new(cols).unwrap();
        let screen = Arc::new(Mutex::new(vt100::Parser::new(rows, cols, 0)));
        let feed = screen.clone();
        let output = Arc::new(Mutex::new(Vec::new()));
        let record = output.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                feed.lock().unwrap().process(&buf[..n]);
                record.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        });
        Console { child, writer, screen, output, _master: pair.master, dirs }
    }

    pub fn contents(&self) -> String {
        self.screen.lock().unwrap().screen().contents()
    }

    pub fn wait_for(&self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        self.wait_within(Duration::from_secs(30), what, pred)
    }

    pub fn wait_within(&self, limit: Duration, what: &str, pred: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + limit;
        loop {
            let text = self.contents();
            if pred(&text) {
                return text;
            }
            assert!(Instant::now() < deadline, "timed out waiting for {what}; screen:\n{text}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn wait_text(&self, needle: &str) -> String {
        self.wait_for(needle, |s| s.contains(needle))
    }

    pub fn keys(&mut self, bytes: &str) {
        self.send(bytes);
        // Let a lone ESC be read as the Esc key, not an escape prefix.
        std::thread::sleep(Duration::from_millis(120));
    }

    pub fn send(&mut self, bytes: &str) {
        self.writer.write_all(bytes.as_bytes()).unwrap();
        self.writer.flush().unwrap();
    }

    pub fn output_text(&self) -> String {
        String::from_utf8_lossy(&self.output.lock().unwrap()).into_owned()
    }

    pub fn wait_exit(&mut self) -> portable_pty::ExitStatus {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "did not exit; screen:\n{}", self.contents());
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Resizes the pty (the program gets SIGWINCH) and the emulator.
    pub fn resize(&self, rows: u16, cols: u16) {
        self.screen
            .lock()
            .unwrap()
            .screen_mut()
            .set_size(NonZeroU16::new(rows).unwrap(), NonZeroU16::new(cols).unwrap());
        self._master.resize(PtySize { rows, cols, pixel_width: 0, pixel_height: 0 }).unwrap();
    }

    pub fn in_alternate_screen(&self) -> bool {
        self.screen.lock().unwrap().screen().alternate_screen()
    }

    /// Whether the terminal is back in cooked mode (line editing and echo
    /// on), i.e. raw mode was left.
    pub fn cooked(&self) -> bool {
        let termios = self._master.get_termios().expect("termios of the pty");
        let flags = format!("{:?}", termios.local_flags);
        flags.contains("ICANON") && flags.contains("ECHO")
    }
}

/// Sends a signal as a dropped SSH session or a service manager would.
pub fn signal(pid: u32, sig: libc::c_int) {
    let pid = libc::pid_t::try_from(pid).unwrap();
    // SAFETY: kill(2) on a child we spawned; no memory is shared.
    let rc = unsafe { libc::kill(pid, sig) };
    assert_eq!(rc, 0, "kill({pid}, {sig}) failed");
}

impl Drop for Console {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}
