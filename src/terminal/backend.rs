//! A ratatui backend that writes its own SGR sequences.
//!
//! crossterm writes the 16 system colours as `38;5;N`, which a true
//! 16-colour terminal (a serial console, an old bastion's `TERM=xterm`)
//! does not understand, and under `NO_COLOR` it turns every colour change
//! into a bare `ESC[m`, which also resets bold and reverse video mid-frame.
//! This backend encodes cells itself: the 16 colours as SGR 30–37/90–97
//! (40–47/100–107 behind), 256-colour and RGB values only when a theme
//! asks for them, and modifiers as a diff, all of a cell's changes in one
//! sequence. Everything else is delegated to crossterm.

use std::io::{self, Write};

use ratatui::backend::{Backend, ClearType, CrosstermBackend, WindowSize};
use ratatui::buffer::Cell;
use ratatui::layout::{Position, Size};
use ratatui::style::{Color, Modifier};

/// Writes frames with [`encode`]; the rest is crossterm's.
pub struct SgrBackend<W: Write> {
    inner: CrosstermBackend<W>,
    /// Where the cursor was last put. The console hides the cursor, so
    /// asking the terminal (a round trip over a slow link, which can also
    /// swallow a key press) is never needed.
    cursor: Position,
    /// Whether the cursor is hidden, once known: ratatui hides it after
    /// every frame, and a frame that changed nothing should send nothing.
    hidden: Option<bool>,
    frame: Vec<u8>,
}

impl<W: Write> SgrBackend<W> {
    pub fn new(writer: W) -> Self {
        SgrBackend { inner: CrosstermBackend::new(writer), cursor: Position::ORIGIN, hidden: None, frame: Vec::new() }
    }
}

impl<W: Write> Backend for SgrBackend<W> {
    type Error = io::Error;

    fn draw<'a, I>(&mut self, content: I) -> io::Result<()>
    where
        I: Iterator<Item = (u16, u16, &'a Cell)>,
    {
        self.frame.clear();
        encode(&mut self.frame, content);
        self.inner.write_all(&self.frame)
    }

    fn hide_cursor(&mut self) -> io::Result<()> {
        if self.hidden != Some(true) {
            self.inner.hide_cursor()?;
            self.hidden = Some(true);
        }
        Ok(())
    }

    fn show_cursor(&mut self) -> io::Result<()> {
        if self.hidden != Some(false) {
            self.inner.show_cursor()?;
            self.hidden = Some(false);
        }
        Ok(())
    }

    fn get_cursor_position(&mut self) -> io::Result<Position> {
        Ok(self.cursor)
    }

    fn set_cursor_position<P: Into<Position>>(&mut self, position: P) -> io::Result<()> {
        self.cursor = position.into();
        self.inner.set_cursor_position(self.cursor)
    }

    fn clear(&mut self) -> io::Result<()> {
        self.inner.clear()
    }

    fn clear_region(&mut self, clear_type: ClearType) -> io::Result<()> {
        self.inner.clear_region(clear_type)
    }

    fn size(&self) -> io::Result<Size> {
        self.inner.size()
    }

    fn window_size(&mut self) -> io::Result<WindowSize> {
        self.inner.window_size()
    }

    fn flush(&mut self) -> io::Result<()> {
        Backend::flush(&mut self.inner)
    }
}

/// Appends the escape sequences that draw `cells` to `out`, then resets
/// the attributes if any were set.
pub fn encode<'a>(out: &mut Vec<u8>, cells: impl Iterator<Item = (u16, u16, &'a Cell)>) {
    let mut pen = Pen::default();
    let mut last: Option<(u16, u16)> = None;
    let mut params: Vec<String> = Vec::new();
    for (x, y, cell) in cells {
        if !matches!(last, Some((lx, ly)) if ly == y && lx + 1 == x) {
            // Writing to a Vec cannot fail.
            let _ = write!(out, "\x1b[{};{}H", y + 1, x + 1);
        }
        last = Some((x, y));
        let next = Pen { fg: cell.fg, bg: cell.bg, modifier: cell.modifier };
        params.clear();
        pen.change_to(&next, &mut params);
        if !params.is_empty() {
            let _ = write!(out, "\x1b[{}m", params.join(";"));
        }
        pen = next;
        out.extend_from_slice(cell.symbol().as_bytes());
    }
    if pen != Pen::default() {
        out.extend_from_slice(b"\x1b[0m");
    }
}

/// The terminal's current attributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Pen {
    fg: Color,
    bg: Color,
    modifier: Modifier,
}

impl Default for Pen {
    fn default() -> Self {
        Pen { fg: Color::Reset, bg: Color::Reset, modifier: Modifier::empty() }
    }
}

impl Pen {
    /// SGR parameters that turn this pen into `to`.
    fn change_to(&self, to: &Pen, p: &mut Vec<String>) {
        let removed = self.modifier - to.modifier;
        let added = to.modifier - self.modifier;
        let intensity_reset = removed.intersects(Modifier::BOLD | Modifier::DIM);
        if intensity_reset {
            // 22 clears both bold and dim; put back whichever stays.
            p.push("22".into());
        }
        for (m, off) in [
            (Modifier::ITALIC, "23"),
            (Modifier::UNDERLINED, "24"),
            (Modifier::SLOW_BLINK | Modifier::RAPID_BLINK, "25"),
            (Modifier::REVERSED, "27"),
            (Modifier::HIDDEN, "28"),
            (Modifier::CROSSED_OUT, "29"),
        ] {
            if removed.intersects(m) {
                p.push(off.into());
            }
        }
        let set = if intensity_reset { added | (to.modifier & (Modifier::BOLD | Modifier::DIM)) } else { added };
        for (m, on) in [
            (Modifier::BOLD, "1"),
            (Modifier::DIM, "2"),
            (Modifier::ITALIC, "3"),
            (Modifier::UNDERLINED, "4"),
            (Modifier::SLOW_BLINK, "5"),
            (Modifier::RAPID_BLINK, "6"),
            (Modifier::REVERSED, "7"),
            (Modifier::HIDDEN, "8"),
            (Modifier::CROSSED_OUT, "9"),
        ] {
            if set.contains(m) {
                p.push(on.into());
            }
        }
        if to.fg != self.fg {
            p.push(color_param(to.fg, Layer::Fg));
        }
        if to.bg != self.bg {
            p.push(color_param(to.bg, Layer::Bg));
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layer {
    Fg,
    Bg,
}

/// One colour as an SGR parameter: the 16 system colours in their own
/// codes (30–37 and 90–97, +10 for backgrounds), others indexed or RGB.
fn color_param(c: Color, layer: Layer) -> String {
    let system = match c {
        Color::Black => Some(0),
        Color::Red => Some(1),
        Color::Green => Some(2),
        Color::Yellow => Some(3),
        Color::Blue => Some(4),
        Color::Magenta => Some(5),
        Color::Cyan => Some(6),
        Color::Gray => Some(7),
        Color::DarkGray => Some(8),
        Color::LightRed => Some(9),
        Color::LightGreen => Some(10),
        Color::LightYellow => Some(11),
        Color::LightBlue => Some(12),
        Color::LightMagenta => Some(13),
        Color::LightCyan => Some(14),
        Color::White => Some(15),
        _ => None,
    };
    let (reset, extended, offset) = match layer {
        Layer::Fg => ("39", "38", 0),
        Layer::Bg => ("49", "48", 10),
    };
    match (c, system) {
        (_, Some(n)) => (offset + if n < 8 { 30 + n } else { 90 + n - 8 }).to_string(),
        (Color::Indexed(n), _) => format!("{extended};5;{n}"),
        (Color::Rgb(r, g, b), _) => format!("{extended};2;{r};{g};{b}"),
        _ => reset.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::style::Style;

    fn cell(sym: &'static str, style: Style) -> Cell {
        let mut c = Cell::new(sym);
        c.set_style(style);
        c
    }

    fn encoded(cells: &[(u16, u16, Cell)]) -> String {
        let mut out = Vec::new();
        encode(&mut out, cells.iter().map(|(x, y, c)| (*x, *y, c)));
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn system_colours_use_their_own_sgr_codes() {
        let s = encoded(&[
            (0, 0, cell("a", Style::new().fg(Color::Red).bg(Color::Blue))),
            (1, 0, cell("b", Style::new().fg(Color::LightRed).bg(Color::White))),
            (2, 0, cell("c", Style::new().fg(Color::Gray).bg(Color::DarkGray))),
        ]);
        assert_eq!(s, "\x1b[1;1H\x1b[31;44ma\x1b[91;107mb\x1b[37;100mc\x1b[0m");
    }

    #[test]
    fn indexed_and_rgb_colours_only_when_asked_for() {
        let s = encoded(&[
            (4, 2, cell("x", Style::new().fg(Color::Indexed(236)))),
            (5, 2, cell("y", Style::new().fg(Color::Rgb(1, 2, 3)).bg(Color::Indexed(3)))),
        ]);
        assert_eq!(s, "\x1b[3;5H\x1b[38;5;236mx\x1b[38;2;1;2;3;48;5;3my\x1b[0m");
    }

    #[test]
    fn a_colour_reset_keeps_bold_and_reverse() {
        let s = encoded(&[
            (0, 0, cell("a", Style::new().fg(Color::Red).add_modifier(Modifier::REVERSED | Modifier::BOLD))),
            (1, 0, cell("b", Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD))),
        ]);
        assert_eq!(s, "\x1b[1;1H\x1b[1;7;31ma\x1b[39mb\x1b[0m");
        assert!(!s.contains("\x1b[m"), "no bare reset mid-frame");
    }

    #[test]
    fn removing_bold_keeps_dim_and_moves_skip_gaps() {
        let s = encoded(&[
            (0, 0, cell("a", Style::new().add_modifier(Modifier::BOLD | Modifier::DIM))),
            (1, 0, cell("b", Style::new().add_modifier(Modifier::DIM))),
            (5, 1, cell("c", Style::new())),
        ]);
        assert_eq!(s, "\x1b[1;1H\x1b[1;2ma\x1b[22;2mb\x1b[2;6H\x1b[22mc");
    }
}
