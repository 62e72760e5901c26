//! Key strings (`q`, `<C-r>`, `<S-Tab>`, `gg`) parsed in one tested place.

use std::fmt;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

/// One key press with modifiers, normalised so that what a terminal sends
/// and what a keymap file says compare equal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

impl Key {
    pub const fn new(code: KeyCode, mods: KeyModifiers) -> Self {
        Key { code, mods }
    }

    pub const fn plain(code: KeyCode) -> Self {
        Key { code, mods: KeyModifiers::NONE }
    }

    pub const fn char(c: char) -> Self {
        Key::plain(KeyCode::Char(c))
    }

    /// Normalises a terminal key event; `None` for releases and repeats of
    /// kinds we ignore.
    pub fn from_event(ev: &KeyEvent) -> Option<Self> {
        if ev.kind == KeyEventKind::Release {
            return None;
        }
        Some(Self::normalise(ev.code, ev.modifiers))
    }

    fn normalise(code: KeyCode, mods: KeyModifiers) -> Self {
        let mut mods = mods & (KeyModifiers::CONTROL | KeyModifiers::ALT | KeyModifiers::SHIFT);
        let code = match code {
            // Shift is already in the character itself.
            KeyCode::Char(c) if mods.contains(KeyModifiers::SHIFT) && !c.is_ascii_alphabetic() => {
                mods.remove(KeyModifiers::SHIFT);
                KeyCode::Char(c)
            }
            KeyCode::Char(c) if mods.contains(KeyModifiers::SHIFT) => {
                mods.remove(KeyModifiers::SHIFT);
                KeyCode::Char(c.to_ascii_uppercase())
            }
            KeyCode::BackTab => {
                mods.remove(KeyModifiers::SHIFT);
                KeyCode::BackTab
            }
            KeyCode::Tab if mods.contains(KeyModifiers::SHIFT) => {
                mods.remove(KeyModifiers::SHIFT);
                KeyCode::BackTab
            }
            // Terminals report Ctrl+letter as lowercase.
            KeyCode::Char(c) if mods.contains(KeyModifiers::CONTROL) => KeyCode::Char(c.to_ascii_lowercase()),
            other => other,
        };
        Key { code, mods }
    }

    /// The event this key stands for (used to drive the app in tests).
    pub fn to_event(self) -> KeyEvent {
        KeyEvent::new(self.code, self.mods)
    }
}

/// Parses one key string into a sequence of keys.
///
/// ```
/// use warroom::config::keys::{parse_sequence, display_sequence};
/// assert_eq!(parse_sequence("gg").unwrap().len(), 2);
/// assert_eq!(display_sequence(&parse_sequence("<C-r>").unwrap()), "C-r");
/// assert!(parse_sequence("<Nope>").is_err());
/// ```
pub fn parse_sequence(s: &str) -> Result<Vec<Key>, String> {
    if s.is_empty() {
        return Err("empty key".into());
    }
    let mut keys = Vec::new();
    let mut rest = s;
    while let Some(c) = rest.chars().next() {
        if c == '<'
            && let Some(end) = rest.find('>')
            && end > 1
        {
            keys.push(parse_bracketed(&rest[1..end])?);
            rest = &rest[end + 1..];
            continue;
        }
        keys.push(Key::char(c));
        rest = &rest[c.len_utf8()..];
    }
    Ok(keys)
}

fn parse_bracketed(inner: &str) -> Result<Key, String> {
    let mut mods = KeyModifiers::NONE;
    let mut name = inner;
    // Modifier prefixes: C- A- S- (any order), but a lone "-" is a key.
    while name.len() > 2 && name.as_bytes()[1] == b'-' {
        match name.as_bytes()[0].to_ascii_uppercase() {
            b'C' => mods |= KeyModifiers::CONTROL,
            b'A' | b'M' => mods |= KeyModifiers::ALT,
            b'S' => mods |= KeyModifiers::SHIFT,
            _ => return Err(format!("unknown modifier in <{inner}>")),
        }
        name = &name[2..];
    }
    let code = match name.to_ascii_lowercase().as_str() {
        "enter" | "cr" | "return" => KeyCode::Enter,
        "esc" | "escape" => KeyCode::Esc,
        "tab" => KeyCode::Tab,
        "backtab" => KeyCode::BackTab,
        "bs" | "backspace" => KeyCode::Backspace,
        "del" | "delete" => KeyCode::Delete,
        "space" => KeyCode::Char(' '),
        "up" => KeyCode::Up,
        "down" => KeyCode::Down,
        "left" => KeyCode::Left,
        "right" => KeyCode::Right,
        "home" => KeyCode::Home,
        "end" => KeyCode::End,
        "pageup" | "pgup" => KeyCode::PageUp,
        "pagedown" | "pgdn" => KeyCode::PageDown,
        "insert" => KeyCode::Insert,
        "lt" => KeyCode::Char('<'),
        "gt" => KeyCode::Char('>'),
        f if f.len() >= 2 && f.starts_with('f') && f[1..].parse::<u8>().is_ok_and(|n| (1..=24).contains(&n)) => {
            KeyCode::F(f[1..].parse().unwrap_or(1))
        }
        _ if name.chars().count() == 1 => KeyCode::Char(name.chars().next().unwrap_or(' ')),
        _ => return Err(format!("unknown key <{inner}>")),
    };
    Ok(Key::normalise(code, mods))
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self.code {
            KeyCode::Char(' ') => "Space".to_string(),
            KeyCode::Char('<') => "<lt>".to_string(),
            KeyCode::Char(c) => c.to_string(),
            KeyCode::Enter => "Enter".into(),
            KeyCode::Esc => "Esc".into(),
            KeyCode::Tab => "Tab".into(),
            KeyCode::BackTab => "S-Tab".into(),
            KeyCode::Backspace => "BS".into(),
            KeyCode::Delete => "Del".into(),
            KeyCode::Up => "↑".into(),
            KeyCode::Down => "↓".into(),
            KeyCode::Left => "←".into(),
            KeyCode::Right => "→".into(),
            KeyCode::Home => "Home".into(),
            KeyCode::End => "End".into(),
            KeyCode::PageUp => "PgUp".into(),
            KeyCode::PageDown => "PgDn".into(),
            KeyCode::Insert => "Ins".into(),
            KeyCode::F(n) => format!("F{n}"),
            _ => "?".into(),
        };
        let mut prefix = String::new();
        if self.mods.contains(KeyModifiers::CONTROL) {
            prefix.push_str("C-");
        }
        if self.mods.contains(KeyModifiers::ALT) {
            prefix.push_str("A-");
        }
        if self.mods.contains(KeyModifiers::SHIFT) {
            prefix.push_str("S-");
        }
        if prefix.is_empty() { f.write_str(&name) } else { write!(f, "{prefix}{name}") }
    }
}

/// Renders a sequence for hints and help: `gg`, `C-r`, `Enter`.
pub fn display_sequence(keys: &[Key]) -> String {
    keys.iter().map(Key::to_string).collect::<Vec<_>>().join("")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(code: KeyCode, mods: KeyModifiers) -> Key {
        Key::new(code, mods)
    }

    #[test]
    fn parses_plain_and_sequences() {
        assert_eq!(parse_sequence("q").unwrap(), vec![Key::char('q')]);
        assert_eq!(parse_sequence("gg").unwrap(), vec![Key::char('g'), Key::char('g')]);
        assert_eq!(parse_sequence("G").unwrap(), vec![Key::char('G')]);
        assert_eq!(parse_sequence("?").unwrap(), vec![Key::char('?')]);
    }

    #[test]
    fn parses_bracketed_with_modifiers() {
        assert_eq!(parse_sequence("<C-r>").unwrap(), vec![k(KeyCode::Char('r'), KeyModifiers::CONTROL)]);
        assert_eq!(parse_sequence("<C-R>").unwrap(), vec![k(KeyCode::Char('r'), KeyModifiers::CONTROL)]);
        assert_eq!(parse_sequence("<S-Tab>").unwrap(), vec![Key::plain(KeyCode::BackTab)]);
        assert_eq!(parse_sequence("<A-Enter>").unwrap(), vec![k(KeyCode::Enter, KeyModifiers::ALT)]);
        assert_eq!(parse_sequence("<F5>").unwrap(), vec![Key::plain(KeyCode::F(5))]);
        assert_eq!(parse_sequence("<Space>").unwrap(), vec![Key::char(' ')]);
        assert_eq!(parse_sequence("<lt>").unwrap(), vec![Key::char('<')]);
        assert_eq!(parse_sequence("g<C-d>").unwrap().len(), 2);
    }

    #[test]
    fn rejects_unknown_names() {
        assert!(parse_sequence("<Foo>").unwrap_err().contains("unknown key"));
        assert!(parse_sequence("<X-a>").unwrap_err().contains("modifier"));
        assert!(parse_sequence("").is_err());
    }

    #[test]
    fn terminal_events_normalise_like_files() {
        let shift_g = KeyEvent::new(KeyCode::Char('G'), KeyModifiers::SHIFT);
        assert_eq!(Key::from_event(&shift_g), Some(Key::char('G')));
        let backtab = KeyEvent::new(KeyCode::BackTab, KeyModifiers::SHIFT);
        assert_eq!(Key::from_event(&backtab), parse_sequence("<S-Tab>").unwrap().first().copied());
        let question = KeyEvent::new(KeyCode::Char('?'), KeyModifiers::SHIFT);
        assert_eq!(Key::from_event(&question), Some(Key::char('?')));
    }

    proptest::proptest! {
        #[test]
        fn never_panics_and_round_trips_plain_text(s in "\\PC{0,12}") {
            if let Ok(keys) = parse_sequence(&s) {
                proptest::prop_assert!(!keys.is_empty());
            }
        }

        #[test]
        fn bracketed_names_parse_back(name in proptest::sample::select(vec![
            "<C-r>", "<S-Tab>", "<Enter>", "<Esc>", "<F12>", "<A-x>", "<PageDown>", "<Home>", "<C-A-d>",
        ])) {
            let keys = parse_sequence(name).unwrap();
            proptest::prop_assert_eq!(keys.len(), 1);
        }
    }

    #[test]
    fn display_round_trips_for_hints() {
        assert_eq!(display_sequence(&parse_sequence("<C-r>").unwrap()), "C-r");
        assert_eq!(display_sequence(&parse_sequence("gg").unwrap()), "gg");
        assert_eq!(display_sequence(&parse_sequence("<S-Tab>").unwrap()), "S-Tab");
    }
}
