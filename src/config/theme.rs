//! Themes: semantic style slots, `inherits` and a `[palette]`.
//!
//! Widgets ask for a slot (`status.crit`, `panel.border.focused`), never a
//! colour, so the `ansi16` and `mono` themes can serve 16-colour bastion
//! terminals and `NO_COLOR` without any widget knowing.

use std::collections::BTreeMap;
use std::path::Path;
use std::str::FromStr;

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;
use serde::de::{self, MapAccess, Visitor};
use toml::Spanned;

use super::{FileError, Source};

macro_rules! slots {
    ($($variant:ident => $name:literal, $doc:literal;)*) => {
        /// A semantic style slot; the string is what theme files say.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Slot { $(#[doc = $doc] $variant,)* }

        impl Slot {
            pub const ALL: &'static [Slot] = &[$(Slot::$variant,)*];

            pub fn name(self) -> &'static str {
                match self { $(Slot::$variant => $name,)* }
            }

            pub fn from_name(name: &str) -> Option<Slot> {
                match name { $($name => Some(Slot::$variant),)* _ => None }
            }
        }
    };
}

slots! {
    Base => "ui.base", "Whole-screen text and background.";
    TextDim => "text.dim", "Secondary text: ages, hints, empty states.";
    TextStrong => "text.strong", "Emphasised text: values in details.";
    PanelBorder => "panel.border", "Border of an unfocused panel.";
    PanelBorderFocused => "panel.border.focused", "Border of the focused panel.";
    PanelTitle => "panel.title", "Title of an unfocused panel.";
    PanelTitleFocused => "panel.title.focused", "Title of the focused panel.";
    TableHeader => "table.header", "Column headers.";
    Selection => "table.selected", "The selected row.";
    StatusOk => "status.ok", "Healthy.";
    StatusWarn => "status.warn", "Degraded or pending.";
    StatusCrit => "status.crit", "Failing, firing, crash-looping.";
    StatusUnknown => "status.unknown", "No data or insufficient data.";
    Bar => "bar", "Status bar background.";
    BarBadge => "bar.badge", "Incident badge in the status bar.";
    BarMode => "bar.mode", "READ-ONLY / DRY-RUN badge.";
    BarClock => "bar.clock", "Response clock within its target.";
    BarClockNear => "bar.clock.near", "Response clock in the target's last quarter.";
    BarClockOver => "bar.clock.over", "Response clock past its target.";
    Tab => "tab", "Inactive tab.";
    TabActive => "tab.active", "Active tab.";
    FooterKey => "footer.key", "Key names in the footer.";
    FooterText => "footer.text", "Descriptions in the footer.";
    DialogBorder => "dialog.border", "Border of dialogs and popups.";
    RiskRead => "risk.read", "Read-only action risk label.";
    RiskChange => "risk.change", "Change action risk label.";
    RiskDestructive => "risk.destructive", "Destructive action risk label.";
    Input => "input", "Text fields.";
    Chart => "chart", "Sparklines.";
}

/// A resolved theme: one style per slot.
#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    pub name: String,
    styles: Vec<Style>,
}

impl Theme {
    pub fn style(&self, slot: Slot) -> Style {
        self.styles[slot as usize]
    }

    /// The theme with every colour removed, for `NO_COLOR`: bold, dim,
    /// underline and reverse stay, and a style that was told apart by its
    /// background alone (the selected row, the status bar, badges) becomes
    /// reverse video so it still stands out.
    pub fn without_colors(mut self) -> Theme {
        for style in &mut self.styles {
            let had_bg = style.bg.is_some_and(|c| c != Color::Reset);
            let mut plain = Style::default().add_modifier(style.add_modifier).remove_modifier(style.sub_modifier);
            if had_bg {
                plain = plain.add_modifier(Modifier::REVERSED);
            }
            *style = plain;
        }
        self
    }

    /// Every style the theme uses, for tests of colour restrictions.
    pub fn styles(&self) -> impl Iterator<Item = (Slot, Style)> + '_ {
        Slot::ALL.iter().map(|s| (*s, self.style(*s)))
    }
}

pub const BUILTIN: &[(&str, &str)] = &[
    ("default", include_str!("../../themes/default.toml")),
    ("light", include_str!("../../themes/light.toml")),
    ("ansi16", include_str!("../../themes/ansi16.toml")),
    ("mono", include_str!("../../themes/mono.toml")),
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ThemeFile {
    inherits: Option<Spanned<String>>,
    #[serde(default)]
    palette: BTreeMap<String, Spanned<String>>,
    #[serde(default)]
    styles: BTreeMap<Spanned<String>, Spanned<StyleSpec>>,
}

/// `"red"` (foreground only) or `{ fg, bg, modifiers }`.
#[derive(Debug, Default)]
struct StyleSpec {
    fg: Option<String>,
    bg: Option<String>,
    modifiers: Vec<String>,
}

impl<'de> Deserialize<'de> for StyleSpec {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = StyleSpec;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a colour string or a table { fg, bg, modifiers }")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<StyleSpec, E> {
                Ok(StyleSpec { fg: Some(v.to_string()), ..StyleSpec::default() })
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<StyleSpec, A::Error> {
                let mut spec = StyleSpec::default();
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "fg" => spec.fg = Some(map.next_value()?),
                        "bg" => spec.bg = Some(map.next_value()?),
                        "modifiers" => spec.modifiers = map.next_value()?,
                        other => {
                            return Err(de::Error::unknown_field(other, &["fg", "bg", "modifiers"]));
                        }
                    }
                }
                Ok(spec)
            }
        }
        d.deserialize_any(V)
    }
}

/// Where themes come from: user files first, then the built-ins.
pub struct ThemeLoader<'a> {
    pub user_dir: Option<&'a Path>,
}

impl ThemeLoader<'_> {
    /// Loads and resolves theme `name`, following `inherits`.
    pub fn load(&self, name: &str) -> Result<Theme, FileError> {
        let mut chain: Vec<String> = Vec::new();
        self.load_inner(name, &mut chain, false)
    }

    fn source(&self, name: &str, builtin_only: bool) -> Result<Option<Source>, FileError> {
        if !builtin_only && let Some(dir) = self.user_dir {
            let p = dir.join("themes").join(format!("{name}.toml"));
            if p.exists() {
                return Source::read(&p).map(Some);
            }
        }
        Ok(BUILTIN.iter().find(|(n, _)| *n == name).map(|(n, t)| Source::builtin("themes", n, t)))
    }

    fn load_inner(&self, name: &str, chain: &mut Vec<String>, builtin_only: bool) -> Result<Theme, FileError> {
        let Some(src) = self.source(name, builtin_only)? else {
            let known = BUILTIN.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ");
            return Err(FileError::whole(Path::new("theme"), format!("no theme named `{name}` (built-in: {known})")));
        };
        chain.push(name.to_string());
        let file: ThemeFile = src.parse()?;
        // Every palette entry must be a colour, used or not, and a bad one
        // is reported on its own line rather than where it is used.
        for (pname, value) in &file.palette {
            Color::from_str(value.get_ref()).map_err(|_| {
                src.error_at(
                    value.span().start,
                    format!("palette `{pname}`: `{}` is not a colour ({COLOUR_FORMS})", value.get_ref()),
                )
            })?;
        }
        let mut styles = match &file.inherits {
            Some(parent) => {
                let pname = parent.get_ref();
                // A user theme inheriting its own name means the built-in one.
                let parent_builtin = pname == name && !src.path.starts_with("<builtin>");
                if chain.contains(pname) && !parent_builtin {
                    return Err(src.error_at(
                        parent.span().start,
                        format!("theme inheritance cycle: {} -> {pname}", chain.join(" -> ")),
                    ));
                }
                self.load_inner(pname, chain, parent_builtin)
                    .map_err(|e| if e.line == 0 { src.error_at(parent.span().start, e.message) } else { e })?
                    .styles
            }
            None => vec![Style::default(); Slot::ALL.len()],
        };
        for (slot_name, spec) in &file.styles {
            let slot = Slot::from_name(slot_name.get_ref()).ok_or_else(|| {
                src.error_at(slot_name.span().start, format!("unknown style slot `{}`", slot_name.get_ref()))
            })?;
            let style = resolve(spec.get_ref(), &file.palette)
                .map_err(|msg| src.error_at(spec.span().start, format!("{}: {msg}", slot_name.get_ref())))?;
            styles[slot as usize] = style;
        }
        Ok(Theme { name: name.to_string(), styles })
    }

    /// All themes a user can switch to: built-ins plus user files.
    pub fn available(&self) -> Vec<String> {
        let mut names: Vec<String> = BUILTIN.iter().map(|(n, _)| n.to_string()).collect();
        if let Some(dir) = self.user_dir
            && let Ok(entries) = std::fs::read_dir(dir.join("themes"))
        {
            for e in entries.flatten() {
                let p = e.path();
                if p.extension().is_some_and(|x| x == "toml")
                    && let Some(stem) = p.file_stem().and_then(|s| s.to_str())
                    && !names.iter().any(|n| n == stem)
                {
                    names.push(stem.to_string());
                }
            }
        }
        names
    }
}

/// How colours can be written, for error messages.
const COLOUR_FORMS: &str = "use a colour name, 0-255, or #rrggbb";

fn resolve(spec: &StyleSpec, palette: &BTreeMap<String, Spanned<String>>) -> Result<Style, String> {
    let mut style = Style::default();
    if let Some(fg) = &spec.fg {
        style = style.fg(color(fg, palette)?);
    }
    if let Some(bg) = &spec.bg {
        style = style.bg(color(bg, palette)?);
    }
    for m in &spec.modifiers {
        style = style.add_modifier(modifier(m)?);
    }
    Ok(style)
}

fn color(name: &str, palette: &BTreeMap<String, Spanned<String>>) -> Result<Color, String> {
    let value = palette.get(name).map_or(name, |v| v.get_ref().as_str());
    Color::from_str(value).map_err(|_| format!("unknown colour `{name}` (a palette name, or {COLOUR_FORMS})"))
}

fn modifier(name: &str) -> Result<Modifier, String> {
    Ok(match name {
        "bold" => Modifier::BOLD,
        "dim" => Modifier::DIM,
        "italic" => Modifier::ITALIC,
        "underlined" | "underline" => Modifier::UNDERLINED,
        "reversed" | "reverse" => Modifier::REVERSED,
        "crossed_out" => Modifier::CROSSED_OUT,
        "slow_blink" => Modifier::SLOW_BLINK,
        _ => return Err(format!("unknown modifier `{name}`")),
    })
}

/// What the terminal can show, from the environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColorSupport {
    /// `NO_COLOR` is set (and not empty).
    None,
    /// Only the 16 system colours (plain `xterm`, `linux`, `screen`, …).
    Ansi16,
    /// 256 colours or truecolor.
    Full,
}

impl ColorSupport {
    /// Reads `NO_COLOR`, `COLORTERM` and `TERM` the way terminal programs
    /// conventionally do; unknown terminals get the safe 16 colours.
    pub fn detect(no_color: Option<&str>, colorterm: Option<&str>, term: Option<&str>) -> Self {
        if no_color.is_some_and(|v| !v.is_empty()) {
            return ColorSupport::None;
        }
        if colorterm.is_some_and(|c| matches!(c, "truecolor" | "24bit")) {
            return ColorSupport::Full;
        }
        let term = term.unwrap_or("");
        let modern = ["256color", "direct", "kitty", "alacritty", "wezterm", "foot", "ghostty"];
        if modern.iter().any(|m| term.contains(m)) { ColorSupport::Full } else { ColorSupport::Ansi16 }
    }
}

/// The theme to use when none is configured: `mono` under `NO_COLOR`,
/// `ansi16` on a 16-colour terminal, `default` otherwise.
pub fn default_name(colors: ColorSupport) -> &'static str {
    match colors {
        ColorSupport::None => "mono",
        ColorSupport::Ansi16 => "ansi16",
        ColorSupport::Full => "default",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn builtin(name: &str) -> Theme {
        ThemeLoader { user_dir: None }.load(name).unwrap()
    }

    #[test]
    fn default_theme_sets_every_slot() {
        let t = builtin("default");
        for slot in Slot::ALL {
            if *slot == Slot::Base {
                continue;
            }
            assert_ne!(t.style(*slot), Style::default(), "default theme leaves {} unset", slot.name());
        }
    }

    #[test]
    fn all_builtins_resolve() {
        for (name, _) in BUILTIN {
            builtin(name);
        }
    }

    #[test]
    fn ansi16_uses_only_system_colours() {
        let t = builtin("ansi16");
        for (slot, style) in t.styles() {
            for c in [style.fg, style.bg].into_iter().flatten() {
                assert!(
                    !matches!(c, Color::Rgb(..) | Color::Indexed(_)),
                    "ansi16 {}: {c:?} is not one of the 16 system colours",
                    slot.name()
                );
            }
        }
    }

    #[test]
    fn mono_uses_no_colour_but_still_distinguishes() {
        let t = builtin("mono");
        for (slot, style) in t.styles() {
            assert!(matches!(style.fg, None | Some(Color::Reset)), "mono {} has fg", slot.name());
            assert!(matches!(style.bg, None | Some(Color::Reset)), "mono {} has bg", slot.name());
        }
        assert_ne!(t.style(Slot::StatusCrit), t.style(Slot::StatusOk));
        assert_ne!(t.style(Slot::Selection), Style::default());
    }

    #[test]
    fn default_theme_follows_the_terminal() {
        let pick = |nc, ct, t| default_name(ColorSupport::detect(nc, ct, t));
        assert_eq!(pick(Some("1"), Some("truecolor"), Some("xterm-256color")), "mono");
        assert_eq!(pick(Some(""), None, Some("xterm-256color")), "default", "empty NO_COLOR is unset");
        assert_eq!(pick(None, Some("truecolor"), Some("xterm")), "default");
        assert_eq!(pick(None, None, Some("tmux-256color")), "default");
        assert_eq!(pick(None, None, Some("xterm-kitty")), "default");
        assert_eq!(pick(None, None, Some("xterm")), "ansi16");
        assert_eq!(pick(None, None, Some("linux")), "ansi16");
        assert_eq!(pick(None, None, None), "ansi16");
    }

    fn user_theme(text: &str) -> Result<Theme, FileError> {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("themes")).unwrap();
        std::fs::write(dir.path().join("themes/mine.toml"), text).unwrap();
        ThemeLoader { user_dir: Some(dir.path()) }.load("mine")
    }

    #[test]
    fn user_theme_inherits_and_uses_palette() {
        let t = user_theme(
            "inherits = \"default\"\n[palette]\nfire = \"#ff5500\"\n[styles]\n\"status.crit\" = { fg = \"fire\", modifiers = [\"bold\"] }\n",
        )
        .unwrap();
        assert_eq!(
            t.style(Slot::StatusCrit),
            Style::default().fg(Color::Rgb(0xff, 0x55, 0)).add_modifier(Modifier::BOLD)
        );
        assert_eq!(t.style(Slot::StatusOk), builtin("default").style(Slot::StatusOk));
    }

    #[test]
    fn user_theme_errors_name_line() {
        let err = user_theme("[styles]\n\"status.ok\" = \"green\"\n\"status.bogus\" = \"red\"\n").unwrap_err();
        assert_eq!(err.line, 3, "{err}");
        assert!(err.message.contains("status.bogus"), "{err}");
        let err = user_theme("[styles]\n\"status.ok\" = \"greeen\"\n").unwrap_err();
        assert_eq!(err.line, 2, "{err}");
        assert!(err.message.contains("greeen"), "{err}");
        assert!(err.path.ends_with("themes/mine.toml"), "{err}");
    }

    #[test]
    fn inheritance_cycle_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("themes")).unwrap();
        std::fs::write(dir.path().join("themes/a.toml"), "inherits = \"b\"\n").unwrap();
        std::fs::write(dir.path().join("themes/b.toml"), "inherits = \"a\"\n").unwrap();
        let err = ThemeLoader { user_dir: Some(dir.path()) }.load("a").unwrap_err();
        assert!(err.message.contains("cycle"), "{err}");
    }

    #[test]
    fn user_theme_overriding_builtin_name_can_inherit_it() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("themes")).unwrap();
        std::fs::write(
            dir.path().join("themes/default.toml"),
            "inherits = \"default\"\n[styles]\n\"status.ok\" = \"blue\"\n",
        )
        .unwrap();
        let t = ThemeLoader { user_dir: Some(dir.path()) }.load("default").unwrap();
        assert_eq!(t.style(Slot::StatusOk), Style::default().fg(Color::Blue));
        assert_eq!(t.style(Slot::StatusCrit), builtin("default").style(Slot::StatusCrit));
    }

    #[test]
    fn a_bad_palette_value_is_reported_on_its_line_even_when_unused() {
        let err = user_theme("inherits = \"default\"\n\n[palette]\nfire = \"#ff55zz\"\n").unwrap_err();
        assert_eq!(err.line, 4, "{err}");
        assert!(err.message.contains("palette `fire`") && err.message.contains("not a colour"), "{err}");
    }

    #[test]
    fn without_colors_keeps_modifiers_and_reverses_what_a_background_marked() {
        for name in ["default", "light", "ansi16"] {
            let t = builtin(name).without_colors();
            for (slot, style) in t.styles() {
                assert!(style.fg.is_none() && style.bg.is_none(), "{name} {} keeps a colour", slot.name());
            }
            assert!(t.style(Slot::Selection).add_modifier.contains(Modifier::REVERSED), "{name}: selection reversed");
            assert!(t.style(Slot::StatusCrit).add_modifier.contains(Modifier::BOLD), "{name}: bold kept");
        }
    }
}
