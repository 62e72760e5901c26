//! Entering and leaving the terminal. The guard restores the terminal on
//! drop, and a panic hook restores it before the panic message prints, so a
//! crash never leaves an SSH session in raw mode.

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

fn install_panic_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore();
        previous(info);
    }));
}
