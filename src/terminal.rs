//! Entering and leaving the terminal. The guard restores the terminal on
//! drop (also while a panic unwinds), so a crash never leaves an SSH
//! session in raw mode; panics are logged rather than printed over the
//! console.

use std::io::{self, BufWriter, Stdout, Write};

use crossterm::event::{DisableBracketedPaste, EnableBracketedPaste};
use crossterm::execute;
use crossterm::terminal::{EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode};
use ratatui::Terminal;

mod backend;
pub use backend::{SgrBackend, encode};

/// A frame is written in one go (ratatui flushes after each draw): fewer,
/// larger writes tear less over a slow SSH link than many small ones.
pub type Tui = Terminal<SgrBackend<BufWriter<Stdout>>>;

const FRAME_BUFFER: usize = 64 * 1024;

/// Why warroom cannot draw here; checked before the terminal is touched.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Unusable {
    #[error("standard output is not a terminal: warroom is a full-screen console (run it in a terminal)")]
    NotATerminal,
    #[error("TERM=dumb cannot show a full-screen console; set TERM to your terminal's type (e.g. xterm-256color)")]
    DumbTerminal,
    #[error("no controlling terminal ({0}); run warroom from an interactive terminal or `ssh -t`")]
    NoControllingTerminal(String),
}

/// Refuses to start where a full-screen console cannot work: stdout
/// redirected to a file or pipe, `TERM=dumb`, or no controlling terminal
/// to read keys from.
pub fn check_usable(term: Option<&str>) -> Result<(), Unusable> {
    use std::io::IsTerminal;
    if !io::stdout().is_terminal() {
        return Err(Unusable::NotATerminal);
    }
    if term == Some("dumb") {
        return Err(Unusable::DumbTerminal);
    }
    // crossterm reads keys from /dev/tty when stdin is not a terminal.
    if !io::stdin().is_terminal()
        && let Err(e) = std::fs::OpenOptions::new().read(true).write(true).open("/dev/tty")
    {
        return Err(Unusable::NoControllingTerminal(e.to_string()));
    }
    Ok(())
}

/// Restores the terminal when dropped.
pub struct TerminalGuard {
    pub terminal: Tui,
}

impl TerminalGuard {
    pub fn enter() -> io::Result<Self> {
        install_panic_hook();
        enable_raw_mode()?;
        let mut out = io::stdout();
        if let Err(e) = execute!(out, EnterAlternateScreen, EnableBracketedPaste) {
            restore();
            return Err(e);
        }
        // No `Terminal::clear()`: it asks the terminal for the cursor
        // position, which costs a round trip (or a timeout) on a slow SSH
        // link; the alternate screen starts blank anyway.
        let mut terminal = Terminal::new(SgrBackend::new(BufWriter::with_capacity(FRAME_BUFFER, out)))?;
        terminal.hide_cursor()?;
        Ok(TerminalGuard { terminal })
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore();
    }
}

/// Leaves raw mode and the alternate screen; safe to call twice, and
/// errors are ignored (after SIGHUP the terminal may be gone).
pub fn restore() {
    let _ = disable_raw_mode();
    let mut out = io::stdout();
    let _ = execute!(out, DisableBracketedPaste, LeaveAlternateScreen, crossterm::cursor::Show);
    let _ = out.flush();
}

/// The last panic's message, for `main` to print once the terminal is
/// back to normal.
static LAST_PANIC: std::sync::Mutex<Option<String>> = std::sync::Mutex::new(None);

/// Panics are logged, never printed: a source task's panic is caught by
/// its task and the supervisor restarts it, and text written to the
/// screen would garble the console. A panic that ends the console unwinds
/// through [`TerminalGuard`] (which restores the terminal) and `main`
/// prints [`take_last_panic`].
fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let payload = panic_text(info.payload());
        let at = info.location().map(|l| format!(" at {}:{}", l.file(), l.line())).unwrap_or_default();
        let thread = std::thread::current().name().unwrap_or("unnamed").to_string();
        let msg = format!("{payload}{at}");
        tracing::error!(thread, panic = %msg, "panic");
        if let Ok(mut last) = LAST_PANIC.lock() {
            *last = Some(msg);
        }
    }));
}

/// A panic's message: `panic!` payloads are a `&str` or a `String`.
pub fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "non-text panic payload".into())
}

/// The message of the last panic, if there was one.
pub fn take_last_panic() -> Option<String> {
    LAST_PANIC.lock().ok().and_then(|mut l| l.take())
}

/// Runs the console (`f` enters the terminal through [`TerminalGuard`]);
/// if it panics, the guard has restored the terminal by the time this
/// returns the panic's message, so the caller can print it readably.
pub fn catch_panic<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
        .map_err(|_| take_last_panic().unwrap_or_else(|| "unknown panic".into()))
}
