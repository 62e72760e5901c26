//! One gate for every external string on its way to the terminal.
//!
//! Pod names, event messages, alarm reasons, CloudTrail fields and command
//! output come from systems an attacker may influence. A stray ESC can move
//! the cursor, retitle the window or hide text, and bidi overrides can make a
//! line read differently from what it is. Everything shown passes through
//! [`sanitize`] so widgets only ever see printable text.

use std::borrow::Cow;

/// Strips control characters, ESC/CSI/OSC/DCS sequences and bidi controls.
///
/// Tabs and newlines become a single space so a value always stays on its
/// row; use [`sanitize_multiline`] for text that is rendered line by line.
/// Returns the input unchanged (borrowed) when it is already clean, which is
/// the common case and costs one scan.
///
/// ```
/// use warroom::sanitize::sanitize;
/// // A pod name carrying a terminal title change and a colour reset.
/// assert_eq!(sanitize("api\x1b]0;owned\x07-7d9\x1b[0m"), "api-7d9");
/// // A right-to-left override that would make "gpj.exe" read as "exe.jpg".
/// assert_eq!(sanitize("invoice\u{202E}gpj.exe"), "invoicegpj.exe");
/// ```
pub fn sanitize(input: &str) -> Cow<'_, str> {
    if input.chars().all(is_safe) {
        return Cow::Borrowed(input);
    }
    Cow::Owned(clean(input, false))
}

/// Like [`sanitize`] but keeps `\n` so multi-line text (JSON, logs) keeps its
/// shape. Each resulting line is itself clean.
pub fn sanitize_multiline(input: &str) -> Cow<'_, str> {
    if input.chars().all(|c| c == '\n' || is_safe(c)) {
        return Cow::Borrowed(input);
    }
    Cow::Owned(clean(input, true))
}

fn is_safe(c: char) -> bool {
    !(c.is_control() || is_bidi_control(c) || is_invisible_format(c))
}

/// Unicode bidirectional formatting characters (the "Trojan Source" set).
fn is_bidi_control(c: char) -> bool {
    matches!(
        c,
        '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
    )
}

/// Zero-width and other format characters that can hide or join text.
fn is_invisible_format(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200D}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}' | '\u{00AD}')
}

fn clean(input: &str, keep_newlines: bool) -> String {
    let mut out = String::with_capacity(input.len());
    let mut chars = input.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => skip_escape(&mut chars),
            // C1 control introducers: CSI, OSC, DCS, SOS, PM, APC.
            '\u{9b}' => skip_csi(&mut chars),
            '\u{9d}' | '\u{90}' | '\u{98}' | '\u{9e}' | '\u{9f}' => skip_string(&mut chars),
            '\n' if keep_newlines => out.push('\n'),
            // CR of a CRLF line end disappears in multi-line text.
            '\r' if keep_newlines => {}
            '\t' | '\n' | '\r' if !out.ends_with(' ') => out.push(' '),
            '\t' | '\n' | '\r' => {}
            c if is_safe(c) => out.push(c),
            _ => {}
        }
    }
    out
}

type Chars<'a> = std::iter::Peekable<std::str::Chars<'a>>;

/// Skips what follows an ESC: a CSI, a string command (OSC, DCS, …) or a
/// single-character escape.
fn skip_escape(chars: &mut Chars<'_>) {
    match chars.peek().copied() {
        Some('[') => {
            chars.next();
            skip_csi(chars);
        }
        Some(']' | 'P' | 'X' | '^' | '_') => {
            chars.next();
            skip_string(chars);
        }
        // Two-byte escapes such as ESC ( B select a character set.
        Some('(' | ')' | '*' | '+' | '#' | '%') => {
            chars.next();
            chars.next();
        }
        Some(_) => {
            chars.next();
        }
        None => {}
    }
}

/// CSI: parameter and intermediate bytes, then one final byte in `@`..=`~`.
fn skip_csi(chars: &mut Chars<'_>) {
    for c in chars.by_ref() {
        if ('@'..='~').contains(&c) {
            return;
        }
        if !(' '..='?').contains(&c) {
            // Malformed sequence: stop at the first byte that cannot belong.
            return;
        }
    }
}

/// String commands end with BEL, ST (ESC \) or the C1 ST character.
fn skip_string(chars: &mut Chars<'_>) {
    while let Some(c) = chars.next() {
        match c {
            '\u{07}' | '\u{9c}' => return,
            '\u{1b}' => {
                if chars.peek() == Some(&'\\') {
                    chars.next();
                }
                return;
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn clean_text_is_borrowed() {
        assert!(matches!(sanitize("backend-7d9f-x2"), Cow::Borrowed(_)));
    }

    #[test]
    fn strips_csi_and_osc() {
        assert_eq!(sanitize("a\u{1b}[31mred\u{1b}[0m b"), "ared b");
        assert_eq!(sanitize("x\u{1b}]0;pwned\u{07}y"), "xy");
        assert_eq!(sanitize("x\u{1b}]8;;http://e\u{1b}\\link\u{1b}]8;;\u{1b}\\y"), "xlinky");
        assert_eq!(sanitize("a\u{9b}2Jb"), "ab");
    }

    #[test]
    fn strips_bidi_and_zero_width() {
        assert_eq!(sanitize("admin\u{202E}nimda"), "adminnimda");
        assert_eq!(sanitize("a\u{200B}b\u{2066}c"), "abc");
    }

    #[test]
    fn whitespace_controls_become_one_space() {
        assert_eq!(sanitize("a\tb\r\nc"), "a b c");
        assert_eq!(sanitize_multiline("a\r\nb\tc"), "a\nb c");
    }

    #[test]
    fn keeps_unicode_text() {
        assert_eq!(sanitize("café ⚠ 数据库"), "café ⚠ 数据库");
    }

    proptest! {
        #[test]
        fn output_never_contains_controls(s in any::<String>()) {
            let out = sanitize(&s);
            prop_assert!(out.chars().all(is_safe), "{out:?}");
        }

        #[test]
        fn multiline_output_has_only_newlines_as_controls(s in any::<String>()) {
            let out = sanitize_multiline(&s);
            prop_assert!(out.chars().all(|c| c == '\n' || is_safe(c)), "{out:?}");
        }

        #[test]
        fn escape_heavy_input_is_clean(parts in proptest::collection::vec(
            prop_oneof![
                Just("\u{1b}[".to_string()), Just("\u{1b}]".to_string()), Just("\u{07}".to_string()),
                Just("\u{1b}\\".to_string()), Just("\u{9b}".to_string()), Just("\u{202e}".to_string()),
                "[a-z0-9;?]{0,4}",
            ], 0..20)) {
            let s: String = parts.concat();
            let out = sanitize(&s);
            prop_assert!(out.chars().all(is_safe));
        }

        #[test]
        fn idempotent(s in any::<String>()) {
            let once = sanitize(&s).into_owned();
            prop_assert_eq!(sanitize(&once).into_owned(), once.clone());
        }
    }
}
