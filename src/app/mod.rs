//! Application state and the pure update function.
//!
//! [`App::update`] applies one [`Msg`] and returns the [`Effect`]s the
//! runtime must perform. It does no I/O and reads no clock: time arrives in
//! messages. Everything here is unit-tested without a terminal.

mod checklist;
mod confirm;
pub mod list;
mod notes;
mod overlay;
mod palette;
mod panels;
mod record;
pub mod trail_rows;
pub mod viewer;

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui_textarea::TextArea;

pub use crate::actions::policy::Flags;
use crate::actions::policy::{self, Confirmation, Verdict};
use crate::actions::{self, Action, ActionError, ActionOutput, Origin, Scope};
use crate::config::keymap::{Command, Keymap, Layer, Lookup};
use crate::config::keys::Key;
use crate::config::theme::Theme;
use crate::format::fmt_clock;
pub use crate::incident::Severity;
use crate::incident::{ActionRecord, ActionStatus, Entry, Incident, IncidentEvent, IncidentState, Recorder};
use crate::model::{DbInstance, HistoryEntry, HistoryOf};
use crate::sources::cluster::{LogTarget, ObjectKind, ObjectRef};
use crate::sources::kube::Target;
use crate::sources::{Environment, FeedData, FeedEvent, SourceUpdate};
use crate::state::{FeedStatus, LiveState};
pub use checklist::{Checklist, IncidentChoice, Jump, severity_playbook, step_jump, step_matches};
pub use confirm::Confirm;
use list::List;
pub use overlay::{Overlay, Scroll};
pub use palette::{PaletteCmd, PaletteItem};
pub use panels::{Panel, PanelId, Views};
pub use record::{TITLE_MAX, incident_title};
pub use trail_rows::{RowKind, TrailRow, TrailView};
pub use viewer::{Viewer, ViewerKind, ViewerState};

/// Input to [`App::update`].
#[derive(Debug, Clone)]
pub enum Msg {
    Key(KeyEvent),
    Paste(String),
    Resize(u16, u16),
    Source(SourceUpdate),
    /// A confirmed action finished.
    ActionDone {
        id: u64,
        result: Result<ActionOutput, ActionError>,
    },
    /// The recorder kept an event: now it happened.
    Recorded(Entry),
    /// The recorder could not keep an event: it did not happen.
    RecordFailed {
        event: IncidentEvent,
        error: String,
    },
    /// An evidence file was read for the viewer.
    EvidenceLoaded {
        path: PathBuf,
        text: Result<String, String>,
    },
    /// The namespaces the cluster has, for the palette.
    Namespaces(Result<Vec<String>, String>),
    /// An alarm's history or a DB instance's events, for its details.
    History {
        of: HistoryOf,
        entries: Result<Vec<HistoryEntry>, String>,
    },
    /// An object's YAML for the viewer.
    ManifestLoaded {
        object: ObjectRef,
        text: Result<String, String>,
    },
    /// Lines of the log stream `stream`.
    LogLines {
        stream: u64,
        lines: Vec<String>,
    },
    /// The log stream `stream` ended, with the error that ended it.
    LogEnded {
        stream: u64,
        error: Option<String>,
    },
    Tick(DateTime<Utc>),
}

impl Msg {
    /// Has `recorder` keep `event`, recorded at `at`, and gives the answer
    /// for the app: the entry, or why it was not kept.
    pub fn record(recorder: &mut dyn Recorder, at: DateTime<Utc>, event: IncidentEvent) -> Msg {
        match recorder.record(at, event.clone()) {
            Ok(entry) => Msg::Recorded(entry),
            Err(e) => Msg::RecordFailed { event, error: e.to_string() },
        }
    }
}

/// Work for the runtime.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Keep an incident event and answer with [`Msg::Recorded`] (or
    /// [`Msg::RecordFailed`]); nothing it describes is shown or done before.
    Record(IncidentEvent),
    /// Run a confirmed action (its confirmation is recorded) and answer
    /// with [`Msg::ActionDone`].
    Execute {
        id: u64,
        action: Action,
    },
    /// Read an evidence file and answer with [`Msg::EvidenceLoaded`].
    LoadEvidence(PathBuf),
    /// Watch another context or namespaces (the Kubernetes feeds start
    /// again) and act there.
    Retarget(Target),
    /// Poll and act with another AWS profile or region.
    AwsRetarget(crate::sources::aws::AwsTarget),
    /// Look CloudTrail events up over this window from now on.
    TrailWindow(chrono::TimeDelta),
    /// Fetch an alarm's history or a DB instance's events for its details.
    LoadHistory(HistoryOf),
    /// List the cluster's namespaces: [`Msg::Namespaces`].
    ListNamespaces,
    /// Read an object as YAML: [`Msg::ManifestLoaded`].
    LoadManifest(ObjectRef),
    /// Stream a log as [`Msg::LogLines`] then [`Msg::LogEnded`], stopping
    /// the stream before.
    StreamLogs {
        stream: u64,
        target: LogTarget,
    },
    /// Stop the log stream.
    StopLogs,
    Quit,
}

/// Everything needed to build an [`App`].
pub struct AppInit {
    pub env: Environment,
    pub flags: Flags,
    pub keymap: Keymap,
    pub theme: Theme,
    pub themes: Vec<Theme>,
    pub now: DateTime<Utc>,
    pub size: (u16, u16),
    /// How far back the CloudTrail panel looks at first.
    pub trail_window: chrono::TimeDelta,
    /// The playbooks loaded (built-in and the config dir's).
    pub playbooks: Vec<crate::playbook::Playbook>,
}

pub struct App {
    pub env: Environment,
    pub flags: Flags,
    pub keymap: Keymap,
    pub theme: Theme,
    pub themes: Vec<Theme>,
    pub size: (u16, u16),
    pub now: DateTime<Utc>,
    pub focus: PanelId,
    last_data_focus: PanelId,
    pub show_checklist: bool,
    /// What the sources said: each feed's status and items.
    pub live: LiveState,
    /// Each data panel's order, filter, selection and scroll.
    views: Views,
    /// The CloudTrail panel's rows: its view and window, repeats collapsed.
    trail_rows: trail_rows::TrailRows,
    pub playbooks: Vec<crate::playbook::Playbook>,
    /// The checklist pane's selection and check results.
    pub checklist: Checklist,
    pub overlay: Option<Overlay>,
    /// The incident record: the running incident and every action asked
    /// for, as recorded.
    pub record: IncidentState,
    /// Every entry recorded in this console (and those of a resumed
    /// incident), for the timeline.
    pub journal: Vec<Entry>,
    /// A note being written, kept when its editor closes unsaved.
    note_draft: Option<TextArea<'static>>,
    /// Showing an incident another console records: its checks are
    /// evaluated, never recorded.
    pub viewing: bool,
    /// A one-line message shown in the footer until the next key.
    pub notice: Option<String>,
    /// The cluster's namespaces as last listed for the palette: `None`
    /// until they are.
    pub namespaces: Option<Result<Vec<String>, String>>,
    /// The history the open detail view asked for: `None` until it came.
    pub history: Option<(HistoryOf, Result<Vec<HistoryEntry>, String>)>,
    pending_keys: Vec<Key>,
    next_id: u64,
    dirty: bool,
    /// The next frame must repaint every cell (resize, `redraw`).
    repaint: bool,
}

impl App {
    pub fn new(init: AppInit) -> Self {
        App {
            env: init.env,
            flags: init.flags,
            keymap: init.keymap,
            theme: init.theme,
            themes: init.themes,
            size: init.size,
            now: init.now,
            focus: PanelId::Pods,
            last_data_focus: PanelId::Pods,
            show_checklist: true,
            live: LiveState::default(),
            views: Views::default(),
            trail_rows: trail_rows::TrailRows::with_window(init.trail_window),
            playbooks: init.playbooks,
            checklist: Checklist::default(),
            overlay: None,
            record: IncidentState::default(),
            journal: Vec::new(),
            note_draft: None,
            viewing: false,
            notice: None,
            namespaces: None,
            history: None,
            pending_keys: Vec::new(),
            next_id: 1,
            dirty: true,
            repaint: false,
        }
    }

    /// True once since the last call if anything visible changed.
    pub fn take_dirty(&mut self) -> bool {
        std::mem::take(&mut self.dirty)
    }

    /// True once since the last call if the next frame must repaint the
    /// whole terminal rather than only the cells that changed.
    pub fn take_repaint(&mut self) -> bool {
        std::mem::take(&mut self.repaint)
    }

    /// Whether a label counts seconds (the incident's response clock, a
    /// retry countdown, how long a stale feed has been silent), so the
    /// runtime ticks at 1 Hz; otherwise it ticks slowly, which is soon
    /// enough for ages shown in minutes and for a polled feed turning
    /// stale (two missed polls, at least a minute). Either way a tick
    /// redraws only the cells whose label changed.
    pub fn clock_on_screen(&self) -> bool {
        // A routine's checks follow the live state once a second too.
        self.incident().is_some()
            || self.checklist.routine.is_some()
            || self
                .live
                .feeds
                .iter()
                .any(|(_, f)| matches!(f.status(self.now), FeedStatus::Failed(_) | FeedStatus::Stale { .. }))
    }

    pub fn scope(&self) -> Scope {
        Scope {
            kube_context: self.env.kube_context.clone(),
            aws_account: self.env.aws_account.clone(),
            aws_region: self.env.aws_region.clone(),
            // The default chain is what the CLI uses without `--profile`
            // (which would insist on a profile named `default`).
            aws_profile: if self.env.aws_profile == "default" { String::new() } else { self.env.aws_profile.clone() },
        }
    }

    /// Applies one message; returns the effects to run.
    pub fn update(&mut self, msg: Msg) -> Vec<Effect> {
        match msg {
            Msg::Key(ev) => match Key::from_event(&ev) {
                Some(key) => {
                    self.dirty = true;
                    self.notice = None;
                    self.on_key(key, ev)
                }
                None => Vec::new(),
            },
            Msg::Paste(text) => {
                self.on_paste(&text);
                Vec::new()
            }
            Msg::Resize(w, h) => {
                self.size = (w, h);
                self.dirty = true;
                self.repaint = true;
                self.keep_selection_visible();
                Vec::new()
            }
            Msg::Source(u) => self.on_source(u),
            Msg::ActionDone { id, result } => vec![Effect::Record(match result {
                Ok(output) => IncidentEvent::ActionSucceeded { action_id: id, output },
                Err(error) => IncidentEvent::ActionFailed { action_id: id, error },
            })],
            Msg::Recorded(entry) => {
                let mut effects = self.on_recorded(entry);
                // A new incident or playbook: its checks at once.
                effects.extend(self.evaluate_checks());
                effects
            }
            Msg::RecordFailed { event, error } => {
                self.dirty = true;
                if let IncidentEvent::CheckChanged { step, .. } = &event {
                    self.checklist.forget_pending(step);
                }
                self.notice = Some(match &event {
                    IncidentEvent::ActionConfirmed { .. } => {
                        format!("Not run: recording the confirmation failed: {error}")
                    }
                    _ => format!("Not recorded: {error}"),
                });
                tracing::error!(?event, %error, "recording failed");
                Vec::new()
            }
            Msg::EvidenceLoaded { path, text } => {
                match text {
                    // Only if nothing else was opened meanwhile.
                    Ok(text) if self.overlay.is_none() => {
                        self.overlay = Some(Overlay::Evidence { path, text, scroll: Scroll::default() })
                    }
                    Ok(_) => {}
                    Err(e) => self.notice = Some(format!("Cannot read {}: {e}", path.display())),
                }
                self.dirty = true;
                Vec::new()
            }
            // A tick re-renders. Only cells whose text changed reach the
            // terminal, so every label that moves with time (ages,
            // countdowns, the incident clock, ages inside an open popup)
            // is refreshed without a list of them, and a screen that did
            // not change costs no bytes.
            Msg::Namespaces(list) => {
                self.namespaces = Some(list);
                self.dirty = true;
                Vec::new()
            }
            Msg::History { of, entries } => {
                // Only for the detail view still open.
                if self.history_of().as_ref() == Some(&of) {
                    self.history = Some((of, entries));
                    self.dirty = true;
                }
                Vec::new()
            }
            Msg::ManifestLoaded { object, text } => {
                self.on_manifest(object, text);
                Vec::new()
            }
            Msg::LogLines { stream, lines } => {
                self.on_log_lines(stream, lines);
                Vec::new()
            }
            Msg::LogEnded { stream, error } => {
                self.on_log_end(stream, error);
                Vec::new()
            }
            Msg::Tick(now) => {
                self.set_now(now);
                self.dirty = true;
                // Checks follow the live state at most once a second.
                self.evaluate_checks()
            }
        }
    }

    /// Moves the app's clock. The runtime calls it before applying each
    /// batch of messages; what it changes on screen is drawn with the
    /// batch, or at the next [`Msg::Tick`].
    pub fn set_now(&mut self, now: DateTime<Utc>) {
        self.now = now;
    }

    /// Re-sorts the views changed by the last batch of messages, so
    /// drawing a frame never walks every item. The runtime calls it once
    /// after draining, before rendering.
    pub fn settle(&mut self) {
        if self.rebuild_views() {
            self.keep_selection_visible();
        }
    }

    /// Whose history the open detail view shows, if it shows one.
    pub fn history_of(&self) -> Option<HistoryOf> {
        match &self.overlay {
            Some(Overlay::Detail { panel: PanelId::Alarms, key, .. }) => Some(HistoryOf::Alarm(key.clone())),
            Some(Overlay::Detail { panel: PanelId::Rds, key, .. }) => Some(HistoryOf::DbInstance(key.clone())),
            _ => None,
        }
    }

    /// Applies a source's update; during an incident, alarms that changed
    /// state and pods that began or stopped crash-looping are recorded.
    fn on_source(&mut self, u: SourceUpdate) -> Vec<Effect> {
        if self.incident().is_some()
            && let FeedEvent::Data(FeedData::Pods(delta)) = &u.event
        {
            let watched = self.crash_loops_among(delta);
            self.apply_source(u);
            return self.crash_loop_changes(watched);
        }
        let watch_alarms = self.incident().is_some() && matches!(&u.event, FeedEvent::Data(FeedData::Alarms(_)));
        let before: std::collections::HashMap<String, crate::model::AlarmState> = if watch_alarms {
            self.live.alarms.values().map(|a| (a.name.clone(), a.state)).collect()
        } else {
            std::collections::HashMap::new()
        };
        self.apply_source(u);
        if !watch_alarms {
            return Vec::new();
        }
        let mut changed: Vec<&crate::model::Alarm> =
            self.live.alarms.values().filter(|a| before.get(&a.name).is_some_and(|s| *s != a.state)).collect();
        changed.sort_by(|a, b| a.since.cmp(&b.since).then_with(|| a.name.cmp(&b.name)));
        changed
            .into_iter()
            .map(|a| {
                Effect::Record(IncidentEvent::AlarmChanged {
                    alarm: a.name.clone(),
                    from: before[&a.name],
                    to: a.state,
                    reason: a.reason.clone(),
                    since: a.since,
                })
            })
            .collect()
    }

    /// The pods `delta` touches (every pod, for a reset), and whether each
    /// crash-loops before it applies.
    fn crash_loops_among(&self, delta: &crate::state::Delta<crate::model::Pod>) -> Vec<(String, bool)> {
        use crate::state::Delta;
        let with_was = |key: String| {
            let was = self.live.pods.get(&key).is_some_and(crate::model::Pod::crash_looping);
            (key, was)
        };
        match delta {
            Delta::Reset(pods) => {
                let mut keys: Vec<String> = self.live.pods.values().map(crate::model::Pod::key).collect();
                keys.extend(pods.iter().map(crate::model::Pod::key));
                keys.sort();
                keys.dedup();
                keys.into_iter().map(with_was).collect()
            }
            Delta::Upsert(pods) => pods.iter().map(|p| with_was(p.key())).collect(),
            Delta::Delete(keys) => keys.iter().cloned().map(with_was).collect(),
        }
    }

    /// Records each of `watched` whose crash-looping changed.
    fn crash_loop_changes(&self, watched: Vec<(String, bool)>) -> Vec<Effect> {
        watched
            .into_iter()
            .filter_map(|(key, was)| {
                let now = self.live.pods.get(&key);
                let looping = now.is_some_and(crate::model::Pod::crash_looping);
                (looping != was).then(|| {
                    Effect::Record(IncidentEvent::CrashLoopChanged {
                        pod: key,
                        looping,
                        status: now.map_or_else(|| "deleted".to_string(), |p| p.status().to_string()),
                        restarts: now.map_or(0, crate::model::Pod::restarts),
                    })
                })
            })
            .collect()
    }

    fn apply_source(&mut self, u: SourceUpdate) {
        if let FeedEvent::Caller(c) = &u.event {
            // Actions name the account and region they act in.
            self.env.aws_account.clone_from(&c.account);
            self.env.aws_region.clone_from(&c.region);
            self.env.aws_caller = crate::sources::aws::caller_name(&c.arn).to_string();
        }
        let feed = u.feed;
        let rank = |app: &App| app.live.feeds.get(feed).map(|f| f.status(app.now).rank());
        let before = rank(self);
        let applied = self.live.apply(u);
        if feed == crate::state::FeedId::TrailEvents {
            let rows = self.trail_rows.sync(&self.live.trail, &applied.items, self.now);
            self.views.note_trail(&rows);
        } else if let Some(view) = PanelId::for_feed(feed).and_then(|p| self.view_mut(p)) {
            view.note(&applied.items);
        }
        // Fresh but identical data only redraws if it changes the feed's
        // status (a stale poll answering again).
        if !applied.items.is_empty() || applied.status || rank(self) != before {
            self.dirty = true;
        }
    }

    /// Which key layers apply right now, most specific first.
    pub fn layers(&self) -> &'static [Layer] {
        match &self.overlay {
            None => &[Layer::Panel, Layer::Global],
            Some(Overlay::Filter(_) | Overlay::SkipReason { .. }) => &[Layer::Input],
            Some(
                Overlay::Detail { .. }
                | Overlay::Help { .. }
                | Overlay::Results { .. }
                | Overlay::Summary { .. }
                | Overlay::Evidence { .. },
            ) => &[Layer::Popup],
            Some(Overlay::Palette { .. }) => &[Layer::Input, Layer::Menu],
            Some(Overlay::Viewer(v)) if v.input.is_some() => &[Layer::Input],
            Some(Overlay::Viewer(_)) => &[Layer::Viewer],
            Some(Overlay::SeverityPicker { editing: true, .. }) => &[Layer::Input],
            Some(Overlay::Note(_)) => &[Layer::Editor],
            Some(Overlay::ActionMenu { .. } | Overlay::SeverityPicker { .. }) => &[Layer::Menu],
            Some(Overlay::Confirm(c)) if c.typed.is_some() => &[Layer::Input],
            Some(Overlay::Confirm(_) | Overlay::QuitConfirm) => &[Layer::Confirm],
        }
    }

    fn on_key(&mut self, key: Key, ev: KeyEvent) -> Vec<Effect> {
        // Safety rule independent of keymaps: Esc always cancels a dialog.
        if key == Key::plain(KeyCode::Esc) && matches!(self.overlay, Some(Overlay::Confirm(_) | Overlay::QuitConfirm)) {
            return self.close_overlay();
        }
        // In a text field a printable character is text, even where a menu
        // below it binds the same key (`j` in the palette), unless the
        // input layer itself binds it.
        if self.has_text_field()
            && matches!(key.code, KeyCode::Char(_))
            && (key.mods - KeyModifiers::SHIFT).is_empty()
            && self.keymap.lookup(&[Layer::Input], &[key]) == Lookup::None
        {
            self.pending_keys.clear();
            return self.on_unbound(key, ev);
        }
        let layers = self.layers();
        self.pending_keys.push(key);
        let mut lookup = self.keymap.lookup(layers, &self.pending_keys);
        if lookup == Lookup::None && self.pending_keys.len() > 1 {
            // An abandoned sequence: try the last key on its own.
            self.pending_keys = vec![key];
            lookup = self.keymap.lookup(layers, &self.pending_keys);
        }
        match lookup {
            Lookup::Prefix => Vec::new(),
            Lookup::Found(cmd) => {
                self.pending_keys.clear();
                self.run(cmd)
            }
            Lookup::None => {
                self.pending_keys.clear();
                // Popups lend two global keys: `redraw` anywhere, and `quit`
                // (unless typed into a text field), which closes the popup:
                // a stray `q` in a dialog never ends the session.
                match self.keymap.lookup(&[Layer::Global], &[key]) {
                    Lookup::Found(Command::Redraw) => return self.run(Command::Redraw),
                    Lookup::Found(Command::Quit) if self.overlay.is_some() && !self.has_text_field() => {
                        return self.run(Command::Quit);
                    }
                    _ => {}
                }
                self.on_unbound(key, ev)
            }
        }
    }

    /// Whether a panel-layer command does anything in the focused pane, so
    /// the footer and help never offer a key that does nothing.
    pub fn offers(&self, cmd: Command) -> bool {
        let list = self.focus != PanelId::Checklist;
        match cmd {
            // In the checklist: move between steps, tick or run one.
            Command::MoveUp | Command::MoveDown | Command::Top | Command::Bottom | Command::OpenDetail if !list => {
                self.active_playbook().is_some()
            }
            Command::MoveUp
            | Command::MoveDown
            | Command::PageUp
            | Command::PageDown
            | Command::Top
            | Command::Bottom
            | Command::Filter
            | Command::ClearFilter
            | Command::OpenDetail => list,
            Command::Actions => list,
            Command::Logs | Command::Yaml | Command::DeploymentYaml => self.focus == PanelId::Pods,
            Command::ToggleExpand | Command::TrailView | Command::TrailWindow => self.focus == PanelId::Trail,
            Command::SkipStep | Command::Jump => self.focus == PanelId::Checklist && self.active_playbook().is_some(),
            Command::Evidence => self.evidence_files().next().is_some(),
            Command::Note => self.incident().is_some(),
            _ => true,
        }
    }

    /// Whether the open overlay takes typed text.
    pub fn has_text_field(&self) -> bool {
        match &self.overlay {
            Some(Overlay::Filter(_) | Overlay::Palette { .. } | Overlay::SkipReason { .. }) => true,
            Some(Overlay::SeverityPicker { editing, .. }) => *editing,
            Some(Overlay::Note(_)) => true,
            Some(Overlay::Confirm(c)) => c.typed.is_some(),
            Some(Overlay::Viewer(v)) => v.input.is_some(),
            _ => false,
        }
    }

    /// Keys no binding claims: typing in text fields, digits in the
    /// severity picker.
    fn on_unbound(&mut self, key: Key, ev: KeyEvent) -> Vec<Effect> {
        if self.edit_field(|t| {
            t.input(ev);
        }) {
            return Vec::new();
        }
        // The severities are the picker's first four entries.
        if let (Some(Overlay::SeverityPicker { selected, .. }), KeyCode::Char(d @ '1'..='4')) =
            (&mut self.overlay, key.code)
        {
            *selected = (d as usize) - ('1' as usize);
            return self.run_severity(Command::Select);
        }
        Vec::new()
    }

    fn on_paste(&mut self, text: &str) {
        // Terminals paste line ends as CR (tmux, most of them): lines are
        // lines. A note keeps them; one-line fields get one line.
        let text = text.replace("\r\n", "\n").replace('\r', "\n");
        let clean = match self.overlay {
            Some(Overlay::Note(_)) => crate::sanitize::sanitize_multiline(&text),
            _ => crate::sanitize::sanitize(&text),
        };
        if self.edit_field(|t| {
            t.insert_str(&clean);
        }) {
            self.dirty = true;
        }
    }

    /// Applies `edit` to the open text field and lets the overlay react
    /// (live filtering, palette re-matching, a fresh confirmation attempt).
    /// Returns false when no text field is open.
    fn edit_field(&mut self, edit: impl FnOnce(&mut TextArea<'static>)) -> bool {
        match &mut self.overlay {
            Some(Overlay::Filter(input)) => {
                edit(input);
                let text = input.lines().join(" ");
                self.focused_list_set_filter(&text);
            }
            Some(Overlay::Palette { input, selected }) => {
                edit(input);
                *selected = 0;
            }
            Some(Overlay::SkipReason { input, .. }) => edit(input),
            Some(Overlay::SeverityPicker { title: Some(input), editing: true, .. }) => edit(input),
            Some(Overlay::Note(input)) => edit(input),
            Some(Overlay::Confirm(c)) => match &mut c.typed {
                Some(t) => {
                    edit(t);
                    c.refusal = None;
                }
                None => return false,
            },
            Some(Overlay::Viewer(v)) => match &mut v.input {
                Some(t) => edit(t),
                None => return false,
            },
            _ => return false,
        }
        true
    }

    fn run(&mut self, cmd: Command) -> Vec<Effect> {
        match (&self.overlay, cmd) {
            (_, Command::Redraw) => self.repaint = true,
            (Some(_), Command::Quit) => return self.close_overlay(),
            (None, Command::Quit) => return self.quit(),
            (None, _) => return self.run_main(cmd),
            (Some(Overlay::Filter(_)), Command::Submit) => self.overlay = None,
            (Some(Overlay::Filter(_)), Command::Cancel) => {
                self.focused_list_set_filter("");
                self.overlay = None;
            }
            (Some(Overlay::SkipReason { .. }), Command::Submit) => return self.skip_step(),
            (Some(Overlay::SkipReason { .. }), Command::Cancel) => self.overlay = None,
            (Some(Overlay::Note(_)), Command::Save) => return self.save_note(),
            (Some(Overlay::Note(_)), Command::Close | Command::Cancel) => self.close_note(),
            (Some(o), _) if o.is_text_popup() => self.run_popup(cmd),
            (Some(Overlay::Palette { .. }), _) => return self.run_palette(cmd),
            (Some(Overlay::Viewer(_)), _) => return self.run_viewer(cmd),
            (Some(Overlay::ActionMenu { .. }), _) => return self.run_action_menu(cmd),
            (Some(Overlay::SeverityPicker { .. }), _) => return self.run_severity(cmd),
            (Some(Overlay::Confirm(_)), _) => return self.run_confirm(cmd),
            (Some(Overlay::QuitConfirm), Command::Confirm) => return vec![Effect::Quit],
            (Some(Overlay::QuitConfirm), Command::Cancel | Command::Close) => self.overlay = None,
            _ => {}
        }
        Vec::new()
    }

    /// Quits at once, or asks first while an incident is running.
    fn quit(&mut self) -> Vec<Effect> {
        if self.incident().is_some() {
            self.overlay = Some(Overlay::QuitConfirm);
            Vec::new()
        } else {
            vec![Effect::Quit]
        }
    }

    /// Closes whatever popup is open; a confirmation closes as cancelled.
    fn close_overlay(&mut self) -> Vec<Effect> {
        match &self.overlay {
            Some(Overlay::Confirm(_)) => self.cancel_confirm(),
            Some(Overlay::Viewer(_)) => self.close_viewer(),
            Some(Overlay::Note(_)) => {
                self.close_note();
                Vec::new()
            }
            _ => {
                self.overlay = None;
                Vec::new()
            }
        }
    }

    fn run_main(&mut self, cmd: Command) -> Vec<Effect> {
        let page = self.page_height();
        match cmd {
            Command::Evidence => return self.view_evidence(None),
            Command::Help => self.overlay = Some(Overlay::Help { scroll: Scroll::default() }),
            Command::Results => self.overlay = Some(Overlay::Results { scroll: Scroll::default() }),
            Command::Palette => return self.open_palette(),
            Command::FocusNext => self.cycle_focus(1),
            Command::FocusPrev => self.cycle_focus(-1),
            Command::FocusPods => self.focus(PanelId::Pods),
            Command::FocusRds => self.focus(PanelId::Rds),
            Command::FocusAlarms => self.focus(PanelId::Alarms),
            Command::FocusCloudtrail => self.focus(PanelId::Trail),
            Command::FocusChecklist => self.focus(PanelId::Checklist),
            Command::ToggleChecklist => {
                if self.is_wide() {
                    self.show_checklist = !self.show_checklist;
                    if !self.show_checklist && self.focus == PanelId::Checklist {
                        self.focus = self.last_data_focus;
                    }
                } else if self.focus == PanelId::Checklist {
                    self.focus = self.last_data_focus;
                } else {
                    self.focus = PanelId::Checklist;
                }
            }
            Command::StartIncident => {
                // From a firing alarm, the playbook answering it is proposed.
                let alarm = self.firing_alarm().map(|a| a.name.clone());
                let proposed = alarm.and_then(|name| {
                    self.incident_choices().iter().position(|c| match c {
                        IncidentChoice::Playbook { id, .. } => {
                            self.playbook(id).is_some_and(|p| p.alarms.iter().any(|a| name.starts_with(a.as_str())))
                        }
                        IncidentChoice::Severity(_) => false,
                    })
                });
                let selected = proposed.unwrap_or_else(|| self.incident().map_or(0, |i| i.severity as usize));
                self.overlay = Some(Overlay::SeverityPicker { selected, title: None, editing: false });
            }
            Command::MoveDown if self.focus == PanelId::Checklist => self.move_step(1),
            Command::MoveUp if self.focus == PanelId::Checklist => self.move_step(-1),
            Command::Top if self.focus == PanelId::Checklist => self.move_step(isize::MIN),
            Command::Bottom if self.focus == PanelId::Checklist => self.move_step(isize::MAX),
            Command::OpenDetail if self.focus == PanelId::Checklist => return self.run_step(),
            Command::SkipStep if self.focus == PanelId::Checklist => self.ask_skip_reason(),
            Command::Jump if self.focus == PanelId::Checklist => self.jump_to_step(),
            Command::Note => self.open_note(),
            Command::Timeline => self.open_timeline(),
            Command::MoveDown => self.with_focused_list(|l, h| l.move_by(1, h), page),
            Command::MoveUp => self.with_focused_list(|l, h| l.move_by(-1, h), page),
            Command::PageDown => self.with_focused_list(|l, h| l.move_by(h as isize, h), page),
            Command::PageUp => self.with_focused_list(|l, h| l.move_by(-(h as isize), h), page),
            Command::Top => self.with_focused_list(|l, h| l.select_first(h), page),
            Command::Bottom => self.with_focused_list(|l, h| l.select_last(h), page),
            Command::Filter if self.focus != PanelId::Checklist => {
                let mut input = TextArea::new(vec![self.focused_filter().to_string()]);
                input.move_cursor(ratatui_textarea::CursorMove::End);
                self.overlay = Some(Overlay::Filter(input));
            }
            Command::ClearFilter => self.focused_list_set_filter(""),
            Command::OpenDetail => {
                if let Some(key) = self.selected_key() {
                    self.overlay = Some(Overlay::Detail { panel: self.focus, key, scroll: Scroll::default() });
                    self.history = None;
                    // The demo world keeps no history to ask for.
                    if let Some(of) = self.history_of().filter(|_| !self.env.demo) {
                        return vec![Effect::LoadHistory(of)];
                    }
                }
            }
            Command::Actions => self.open_action_menu(),
            Command::Logs => return self.open_logs(),
            Command::Yaml => return self.open_yaml(ObjectKind::Pod),
            Command::DeploymentYaml => return self.open_yaml(ObjectKind::Deployment),
            Command::ToggleExpand if self.focus == PanelId::Trail => self.toggle_trail_group(),
            Command::TrailView if self.focus == PanelId::Trail => self.set_trail_view(self.trail_rows.view().next()),
            Command::TrailWindow if self.focus == PanelId::Trail => {
                return self.set_trail_window(trail_rows::next_window(self.trail_rows.window()));
            }
            _ => {}
        }
        Vec::new()
    }

    /// Expands the selected CloudTrail row's group of repeated events, or
    /// collapses it; the selection stays on the group's row.
    fn toggle_trail_group(&mut self) {
        let Some(key) = self.views.trail_selected().map(str::to_string) else { return };
        if let Some((group, changes)) = self.trail_rows.toggle(&key, &self.live.trail) {
            self.views.note_trail(&changes);
            self.views.select_trail(&group);
            self.settle();
        }
    }

    /// Shows another set of CloudTrail events.
    pub fn set_trail_view(&mut self, view: TrailView) {
        let changes = self.trail_rows.set_view(view, &self.live.trail, self.now);
        self.views.note_trail(&changes);
        self.settle();
        self.notice = Some(format!("CloudTrail: {}", view.label()));
    }

    /// Shows (and, live, looks up) the CloudTrail events of the last
    /// `window`.
    pub fn set_trail_window(&mut self, window: chrono::TimeDelta) -> Vec<Effect> {
        let changes = self.trail_rows.set_window(window, &self.live.trail, self.now);
        self.views.note_trail(&changes);
        self.settle();
        self.notice = Some(format!("CloudTrail: the last {}", trail_rows::window_label(window)));
        vec![Effect::TrailWindow(window)]
    }

    /// The CloudTrail panel's view and window.
    pub fn trail_scope(&self) -> (TrailView, chrono::TimeDelta) {
        (self.trail_rows.view(), self.trail_rows.window())
    }

    /// The events the CloudTrail panel shows (before its filter), and how
    /// many of them are flagged.
    pub fn trail_counts(&self) -> (usize, usize) {
        self.trail_rows.counts()
    }

    /// The events of the group the CloudTrail row `key` belongs to, newest
    /// first.
    pub fn trail_group(&self, key: &str) -> Vec<&crate::model::TrailEvent> {
        self.trail_rows.group_events(key, &self.live.trail)
    }

    /// The panes shown, in focus order.
    pub fn panes(&self) -> Vec<PanelId> {
        let mut p = PanelId::DATA.to_vec();
        if self.show_checklist || !self.is_wide() {
            p.push(PanelId::Checklist);
        }
        p
    }

    fn focus(&mut self, panel: PanelId) {
        if panel == PanelId::Checklist {
            self.show_checklist = true;
        } else {
            self.last_data_focus = panel;
        }
        self.focus = panel;
    }

    fn cycle_focus(&mut self, delta: isize) {
        let panes = self.panes();
        let i = panes.iter().position(|p| *p == self.focus).unwrap_or(0) as isize;
        let n = panes.len() as isize;
        self.focus(panes[((i + delta).rem_euclid(n)) as usize]);
    }

    /// Wide terminals show every panel at once; narrow ones show tabs.
    pub fn is_wide(&self) -> bool {
        self.size.0 >= crate::layout::WIDE_COLS
    }

    /// Rows visible in the focused panel, from the current layout.
    pub fn page_height(&self) -> usize {
        crate::layout::list_rows(self, self.focus)
    }

    fn keep_selection_visible(&mut self) {
        for p in PanelId::DATA {
            let h = crate::layout::list_rows(self, p);
            if let Some(v) = self.view_mut(p) {
                v.scroll_into_view(h);
            }
        }
    }

    fn with_focused_list(&mut self, f: impl Fn(&mut List, usize), height: usize) {
        if let Some(v) = self.view_mut(self.focus) {
            f(v, height);
        }
    }

    fn focused_filter(&self) -> &str {
        self.view(self.focus).map_or("", List::filter)
    }

    fn focused_list_set_filter(&mut self, text: &str) {
        if let Some(v) = self.view_mut(self.focus) {
            v.set_filter(text);
        }
        self.settle();
    }

    fn selected_key(&self) -> Option<String> {
        self.view(self.focus).and_then(List::selected_key).map(String::from)
    }
}

#[cfg(test)]
mod tests;
