//! Keymaps: per-layer bindings from key sequences to command names.
//!
//! Command names are config words (`focus_next`, `open_detail`) so a user
//! can read and rebind every key; the `desc` of each binding feeds the help
//! screen and footer hints, so there is one source of truth for both.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use super::keys::{Key, display_sequence, parse_sequence};
use super::{FileError, Source};

/// Everything a key can do. The serde names are what keymap files say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Command {
    Quit,
    Help,
    Palette,
    FocusNext,
    FocusPrev,
    FocusPods,
    FocusRds,
    FocusAlarms,
    FocusCloudtrail,
    FocusChecklist,
    ToggleChecklist,
    StartIncident,
    Results,
    /// Opens the newest evidence file (collected logs) in a viewer.
    Evidence,
    MoveUp,
    MoveDown,
    PageUp,
    PageDown,
    Top,
    Bottom,
    Filter,
    ClearFilter,
    OpenDetail,
    Actions,
    /// The selected pod's log, streamed.
    Logs,
    /// The selected pod as YAML.
    Yaml,
    /// The selected pod's deployment as YAML.
    DeploymentYaml,
    /// CloudTrail: expand a row of repeated events, or collapse it.
    ToggleExpand,
    /// Checklist: skip the selected step, with a reason.
    SkipStep,
    /// Starting an incident: type its title.
    EditTitle,
    /// Checklist: go to the panel and item the selected step concerns.
    Jump,
    /// Write a note into the incident's journal.
    Note,
    /// The incident's journal as a timeline.
    Timeline,
    /// In the note editor: record the note.
    Save,
    /// CloudTrail: the next view (all, failed logins, IAM, KMS, …).
    TrailView,
    /// CloudTrail: the next window (15m, 1h, 3h, 12h, 24h).
    TrailWindow,
    /// In the viewer: search, and the next or previous match.
    Search,
    NextMatch,
    PrevMatch,
    ToggleWrap,
    /// In a log: keep streaming new lines, or stop.
    ToggleFollow,
    /// In a log: the previous instance's, or the current one's.
    TogglePrevious,
    /// In a log: the pod's next container.
    NextContainer,
    Close,
    Select,
    Confirm,
    Cancel,
    Submit,
    /// Repaints the whole screen (after line noise or a garbled resize).
    Redraw,
    /// Removes a built-in binding when used in a user keymap.
    Noop,
}

impl Command {
    pub fn name(self) -> &'static str {
        match self {
            Command::Quit => "quit",
            Command::Help => "help",
            Command::Palette => "palette",
            Command::FocusNext => "focus_next",
            Command::FocusPrev => "focus_prev",
            Command::FocusPods => "focus_pods",
            Command::FocusRds => "focus_rds",
            Command::FocusAlarms => "focus_alarms",
            Command::FocusCloudtrail => "focus_cloudtrail",
            Command::FocusChecklist => "focus_checklist",
            Command::ToggleChecklist => "toggle_checklist",
            Command::StartIncident => "start_incident",
            Command::Results => "results",
            Command::Evidence => "evidence",
            Command::MoveUp => "move_up",
            Command::MoveDown => "move_down",
            Command::PageUp => "page_up",
            Command::PageDown => "page_down",
            Command::Top => "top",
            Command::Bottom => "bottom",
            Command::Filter => "filter",
            Command::ClearFilter => "clear_filter",
            Command::OpenDetail => "open_detail",
            Command::Actions => "actions",
            Command::Logs => "logs",
            Command::Yaml => "yaml",
            Command::DeploymentYaml => "deployment_yaml",
            Command::ToggleExpand => "toggle_expand",
            Command::SkipStep => "skip_step",
            Command::EditTitle => "edit_title",
            Command::Jump => "jump",
            Command::Note => "note",
            Command::Timeline => "timeline",
            Command::Save => "save",
            Command::TrailView => "trail_view",
            Command::TrailWindow => "trail_window",
            Command::Search => "search",
            Command::NextMatch => "next_match",
            Command::PrevMatch => "prev_match",
            Command::ToggleWrap => "toggle_wrap",
            Command::ToggleFollow => "toggle_follow",
            Command::TogglePrevious => "toggle_previous",
            Command::NextContainer => "next_container",
            Command::Close => "close",
            Command::Select => "select",
            Command::Confirm => "confirm",
            Command::Cancel => "cancel",
            Command::Submit => "submit",
            Command::Redraw => "redraw",
            Command::Noop => "noop",
        }
    }
}

/// Key layers, from most to least specific. Which layers are active depends
/// on what has focus (see `app::App::layers`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Layer {
    /// Anywhere no popup is open.
    Global,
    /// The focused panel's list.
    Panel,
    /// Detail view and help: scrollable text.
    Popup,
    /// The log and YAML viewer.
    Viewer,
    /// Action menu, palette and severity picker: a list to choose from.
    Menu,
    /// Yes/no confirmation dialog.
    Confirm,
    /// Text fields (filter, palette, typed confirmation): other keys type.
    Input,
    /// The note editor: several lines; other keys type and edit.
    Editor,
}

impl Layer {
    pub fn name(self) -> &'static str {
        match self {
            Layer::Global => "global",
            Layer::Panel => "panel",
            Layer::Popup => "popup",
            Layer::Viewer => "viewer",
            Layer::Menu => "menu",
            Layer::Confirm => "confirm",
            Layer::Input => "input",
            Layer::Editor => "editor",
        }
    }
}

/// One binding, ready to match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    pub keys: Vec<Key>,
    pub command: Command,
    pub desc: String,
}

/// Result of feeding a key sequence to a layer stack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup {
    Found(Command),
    /// The keys so far are the start of a longer binding (e.g. `g` of `gg`).
    Prefix,
    None,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Keymap {
    pub name: String,
    layers: BTreeMap<Layer, Vec<Binding>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LayerFile {
    keymap: Vec<Spanned<BindingFile>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BindingFile {
    on: Spanned<String>,
    run: Spanned<Command>,
    #[serde(default)]
    desc: Option<String>,
}

pub const BUILTIN: &[(&str, &str)] =
    &[("default", include_str!("../../keymaps/default.toml")), ("vim", include_str!("../../keymaps/vim.toml"))];

impl Keymap {
    /// Parses one keymap file; conflicts inside the file are errors.
    pub fn parse(src: &Source, name: &str) -> Result<Self, FileError> {
        let file: BTreeMap<Layer, LayerFile> = src.parse()?;
        let mut layers: BTreeMap<Layer, Vec<Binding>> = BTreeMap::new();
        for (layer, lf) in file {
            let mut seen: Vec<(Vec<Key>, usize)> = Vec::new();
            let mut out = Vec::new();
            for entry in lf.keymap {
                let offset = entry.span().start;
                let b = entry.into_inner();
                let on_span = b.on.span();
                let keys = parse_sequence(b.on.get_ref())
                    .map_err(|e| src.error_at(on_span.start, format!("[{}] {e}", layer.name())))?;
                if let Some((_, other)) = seen.iter().find(|(k, _)| conflicts(k, &keys)) {
                    let (other_line, _) = super::line_col(&src.text, *other);
                    return Err(src.error_at(
                        on_span.start,
                        format!(
                            "[{}] `{}` conflicts with the binding on line {other_line}",
                            layer.name(),
                            b.on.get_ref()
                        ),
                    ));
                }
                seen.push((keys.clone(), offset));
                let command = *b.run.get_ref();
                let desc = b.desc.unwrap_or_else(|| command.name().replace('_', " "));
                out.push(Binding { keys, command, desc });
            }
            layers.insert(layer, out);
        }
        Ok(Keymap { name: name.to_string(), layers })
    }

    /// The built-in keymap of that name.
    pub fn builtin(name: &str) -> Option<Result<Self, FileError>> {
        BUILTIN.iter().find(|(n, _)| *n == name).map(|(n, text)| Keymap::parse(&Source::builtin("keymaps", n, text), n))
    }

    /// Merges `user` over `self`: a user binding replaces every built-in one
    /// whose keys equal it or are a prefix either way; `noop` removes.
    pub fn merge(mut self, user: Keymap) -> Self {
        for (layer, bindings) in user.layers {
            let base = self.layers.entry(layer).or_default();
            for b in &bindings {
                base.retain(|existing| !conflicts(&existing.keys, &b.keys));
            }
            let mut merged: Vec<Binding> = bindings.into_iter().filter(|b| b.command != Command::Noop).collect();
            merged.append(base);
            *base = merged;
        }
        self
    }

    /// Looks a (possibly partial) key sequence up in layers, in order.
    pub fn lookup(&self, layers: &[Layer], keys: &[Key]) -> Lookup {
        let mut prefix = false;
        for layer in layers {
            for b in self.layers.get(layer).map(Vec::as_slice).unwrap_or_default() {
                if b.keys == keys {
                    return Lookup::Found(b.command);
                }
                if b.keys.len() > keys.len() && b.keys.starts_with(keys) {
                    prefix = true;
                }
            }
        }
        if prefix { Lookup::Prefix } else { Lookup::None }
    }

    pub fn bindings(&self, layer: Layer) -> &[Binding] {
        self.layers.get(&layer).map(Vec::as_slice).unwrap_or_default()
    }

    /// The first key bound to `command` in `layer`, for hints: `?`, `C-r`.
    pub fn hint(&self, layer: Layer, command: Command) -> Option<String> {
        self.bindings(layer).iter().find(|b| b.command == command).map(|b| display_sequence(&b.keys))
    }

    /// All keys bound to `command` in `layer`, for help.
    pub fn keys_for(&self, layer: Layer, command: Command) -> Vec<String> {
        self.bindings(layer).iter().filter(|b| b.command == command).map(|b| display_sequence(&b.keys)).collect()
    }
}

fn conflicts(a: &[Key], b: &[Key]) -> bool {
    a.starts_with(b) || b.starts_with(a)
}

/// Loads keymap `name`: the built-in of that name (or `default` when only a
/// user file exists), with `<config>/keymaps/<name>.toml` merged over it.
pub fn load(name: &str, user_dir: Option<&std::path::Path>) -> Result<Keymap, FileError> {
    let user_path = user_dir.map(|d| d.join("keymaps").join(format!("{name}.toml")));
    let user = match &user_path {
        Some(p) if p.exists() => Some(Keymap::parse(&Source::read(p)?, name)?),
        _ => None,
    };
    let base = match Keymap::builtin(name) {
        Some(k) => k?,
        None if user.is_some() => Keymap::builtin("default").unwrap_or_else(|| Ok(Keymap::default()))?,
        None => {
            let known = BUILTIN.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ");
            return Err(FileError::whole(
                user_path.as_deref().unwrap_or(std::path::Path::new("keymap")),
                format!("no keymap named `{name}` (built-in: {known})"),
            ));
        }
    };
    let mut merged = match user {
        Some(u) => base.merge(u),
        None => base,
    };
    merged.name = name.to_string();
    Ok(merged)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn src(text: &str) -> Source {
        Source { path: "my.toml".into(), text: text.into() }
    }

    #[test]
    fn builtins_parse_and_bind_the_essentials() {
        for (name, _) in BUILTIN {
            let km = Keymap::builtin(name).unwrap().unwrap();
            for (layer, cmd) in [
                (Layer::Global, Command::Quit),
                (Layer::Global, Command::Help),
                (Layer::Global, Command::Palette),
                (Layer::Global, Command::Results),
                (Layer::Global, Command::FocusNext),
                (Layer::Panel, Command::OpenDetail),
                (Layer::Panel, Command::Actions),
                (Layer::Panel, Command::Filter),
                (Layer::Popup, Command::Close),
                (Layer::Panel, Command::Logs),
                (Layer::Panel, Command::Yaml),
                (Layer::Viewer, Command::Close),
                (Layer::Viewer, Command::Search),
                (Layer::Viewer, Command::NextMatch),
                (Layer::Viewer, Command::ToggleWrap),
                (Layer::Viewer, Command::ToggleFollow),
                (Layer::Viewer, Command::TogglePrevious),
                (Layer::Viewer, Command::NextContainer),
                (Layer::Menu, Command::Select),
                (Layer::Confirm, Command::Confirm),
                (Layer::Confirm, Command::Cancel),
                (Layer::Input, Command::Submit),
                (Layer::Input, Command::Cancel),
            ] {
                assert!(km.hint(layer, cmd).is_some(), "{name}: {cmd:?} unbound in {layer:?}");
            }
        }
    }

    #[test]
    fn vim_keymap_keeps_every_default_list_and_popup_key_but_logs() {
        let default = Keymap::builtin("default").unwrap().unwrap();
        let vim = Keymap::builtin("vim").unwrap().unwrap();
        for layer in [Layer::Panel, Layer::Popup, Layer::Viewer, Layer::Menu, Layer::Confirm, Layer::Input] {
            // vim's `l` moves between panels, so its logs key is `L`.
            for b in default.bindings(layer).iter().filter(|b| b.command != Command::Logs) {
                assert_eq!(
                    vim.lookup(&[layer], &b.keys),
                    Lookup::Found(b.command),
                    "vim {layer:?} lacks {} -> {}",
                    display_sequence(&b.keys),
                    b.command.name()
                );
            }
        }
    }

    #[test]
    fn vim_keymap_has_gg_sequence() {
        let km = Keymap::builtin("vim").unwrap().unwrap();
        let g = parse_sequence("g").unwrap();
        assert_eq!(km.lookup(&[Layer::Panel], &g), Lookup::Prefix);
        let gg = parse_sequence("gg").unwrap();
        assert_eq!(km.lookup(&[Layer::Panel], &gg), Lookup::Found(Command::Top));
    }

    #[test]
    fn unknown_command_names_file_and_line() {
        let err =
            Keymap::parse(&src("[global]\nkeymap = [\n  { on = \"q\", run = \"quitt\" },\n]\n"), "x").unwrap_err();
        assert_eq!(err.line, 3, "{err}");
        assert!(err.to_string().starts_with("my.toml:3:"), "{err}");
        assert!(err.message.contains("quitt"), "{err}");
    }

    #[test]
    fn conflicting_bindings_name_both_lines() {
        let text = "[panel]\nkeymap = [\n  { on = \"gg\", run = \"top\" },\n  { on = \"g\", run = \"bottom\" },\n]\n";
        let err = Keymap::parse(&src(text), "x").unwrap_err();
        assert_eq!(err.line, 4, "{err}");
        assert!(err.message.contains("line 3"), "{err}");
    }

    #[test]
    fn bad_key_names_file_and_line() {
        let err = Keymap::parse(&src("[global]\nkeymap = [{ on = \"<Nope>\", run = \"quit\" }]\n"), "x").unwrap_err();
        assert_eq!(err.line, 2);
        assert!(err.message.contains("unknown key"), "{err}");
    }

    #[test]
    fn user_bindings_merge_over_builtin() {
        let base = Keymap::builtin("default").unwrap().unwrap();
        let user = Keymap::parse(
            &src("[global]\nkeymap = [\n { on = \"Q\", run = \"quit\" },\n { on = \"q\", run = \"noop\" },\n]\n"),
            "default",
        )
        .unwrap();
        let merged = base.merge(user);
        assert_eq!(merged.lookup(&[Layer::Global], &parse_sequence("Q").unwrap()), Lookup::Found(Command::Quit));
        assert_eq!(merged.lookup(&[Layer::Global], &parse_sequence("q").unwrap()), Lookup::None);
        // Untouched bindings survive.
        assert_eq!(merged.lookup(&[Layer::Global], &parse_sequence("?").unwrap()), Lookup::Found(Command::Help));
    }

    #[test]
    fn load_reads_user_file_and_rejects_unknown_name() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("keymaps")).unwrap();
        std::fs::write(dir.path().join("keymaps/mine.toml"), "[panel]\nkeymap = [{ on = \"x\", run = \"actions\" }]\n")
            .unwrap();
        let km = load("mine", Some(dir.path())).unwrap();
        assert_eq!(km.lookup(&[Layer::Panel], &parse_sequence("x").unwrap()), Lookup::Found(Command::Actions));
        assert_eq!(km.lookup(&[Layer::Global], &parse_sequence("q").unwrap()), Lookup::Found(Command::Quit));
        let err = load("nope", Some(dir.path())).unwrap_err();
        assert!(err.message.contains("no keymap named `nope`"), "{err}");
    }
}
