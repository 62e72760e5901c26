//! The text viewer over the panels: a pod's logs as they stream (`l`) and
//! an object's YAML (`y`). Lines are sanitised as they arrive and kept in
//! a bounded buffer; the view can follow the end, wrap, and search.

use std::collections::VecDeque;

use super::*;
use crate::model::{ContainerState, Pod};
use crate::sources::cluster::{LogTarget, ObjectKind, ObjectRef};

/// Most lines a viewer keeps; older ones are dropped (and counted).
pub const VIEW_LINES_MAX: usize = 10_000;
/// Lines of a log asked for when it opens.
pub const LOG_TAIL: usize = 1_000;

/// What the viewer shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ViewerKind {
    /// A container's log; `stream` names the stream feeding it, so lines
    /// of a stream it replaced are ignored.
    Logs {
        target: LogTarget,
        containers: Vec<String>,
        stream: u64,
    },
    Yaml(ObjectRef),
    /// The incident's journal, one entry a line (notes on several),
    /// newest last; a search filters it.
    Timeline,
}

/// Where the content stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ViewerState {
    Loading,
    /// Lines are arriving (a followed log).
    Streaming,
    /// Everything there is was read.
    Complete,
    Failed(String),
}

#[derive(Debug, Clone)]
pub struct Viewer {
    pub kind: ViewerKind,
    pub state: ViewerState,
    lines: VecDeque<String>,
    /// Lines dropped from the front to keep the bound.
    pub dropped: u64,
    pub wrap: bool,
    /// Keep the last line in view as lines arrive.
    pub pinned: bool,
    /// The first line shown while not pinned.
    top: usize,
    /// The search being typed, when `/` was pressed.
    pub input: Option<TextArea<'static>>,
    /// The search in effect: lines containing it are marked.
    pub query: String,
    /// Rows of text the view last had room for.
    height: std::cell::Cell<usize>,
}

impl Viewer {
    pub(super) fn new(kind: ViewerKind) -> Self {
        let pinned = matches!(kind, ViewerKind::Logs { .. } | ViewerKind::Timeline);
        Viewer {
            kind,
            state: ViewerState::Loading,
            lines: VecDeque::new(),
            dropped: 0,
            wrap: false,
            pinned,
            top: 0,
            input: None,
            query: String::new(),
            height: std::cell::Cell::new(20),
        }
    }

    pub fn lines(&self) -> &VecDeque<String> {
        &self.lines
    }

    /// Adds lines at the end, sanitised, dropping the oldest beyond
    /// [`VIEW_LINES_MAX`].
    pub fn push<I: IntoIterator<Item = String>>(&mut self, lines: I) {
        for line in lines {
            let clean = match crate::sanitize::sanitize(&line) {
                std::borrow::Cow::Borrowed(_) => line,
                std::borrow::Cow::Owned(s) => s,
            };
            self.lines.push_back(clean);
            if self.lines.len() > VIEW_LINES_MAX {
                self.lines.pop_front();
                self.dropped += 1;
                self.top = self.top.saturating_sub(1);
            }
        }
    }

    /// Shows `lines` instead of what it showed, following the end.
    pub(super) fn replace<I: IntoIterator<Item = String>>(&mut self, lines: I) {
        self.lines.clear();
        self.dropped = 0;
        self.top = 0;
        self.pinned = true;
        self.push(lines);
    }

    /// Called by the view while drawing: rows of text it has.
    pub fn set_height(&self, rows: usize) {
        self.height.set(rows.max(1));
    }

    fn page(&self) -> usize {
        self.height.get()
    }

    /// The furthest first line: the last page, or with wrapping (where
    /// a page may hold fewer lines than rows) the last line.
    fn last_top(&self) -> usize {
        let room = if self.wrap { 1 } else { self.page() };
        self.lines.len().saturating_sub(room)
    }

    /// The first line to show (pinned: the view lays out the end itself).
    pub fn first_line(&self) -> usize {
        if self.pinned { self.lines.len().saturating_sub(self.page()) } else { self.top.min(self.last_top()) }
    }

    fn scroll_to(&mut self, line: usize) {
        self.top = line.min(self.last_top());
        self.pinned =
            self.top >= self.last_top() && matches!(self.kind, ViewerKind::Logs { .. } | ViewerKind::Timeline);
    }

    fn scroll_by(&mut self, delta: isize) {
        let from = self.first_line();
        self.scroll_to(from.saturating_add_signed(delta));
    }

    /// Whether `line` contains the query (case-insensitive).
    pub fn matches(&self, line: &str) -> bool {
        !self.query.is_empty() && line.to_lowercase().contains(&self.query.to_lowercase())
    }

    /// Moves to the next (or previous) line matching the query from the
    /// first line shown; returns whether there was one.
    fn find(&mut self, forward: bool) -> bool {
        let from = self.first_line();
        let q = self.query.to_lowercase();
        let hit = |l: &String| l.to_lowercase().contains(&q);
        let found = if forward {
            self.lines.iter().enumerate().skip(from + 1).find(|(_, l)| hit(l)).map(|(i, _)| i)
        } else {
            self.lines.iter().enumerate().take(from).rev().find(|(_, l)| hit(l)).map(|(i, _)| i)
        };
        match found {
            Some(i) => {
                self.top = i;
                self.pinned = false;
                true
            }
            None => false,
        }
    }

    /// The log shown, if this is a log.
    pub fn log(&self) -> Option<&LogTarget> {
        match &self.kind {
            ViewerKind::Logs { target, .. } => Some(target),
            ViewerKind::Yaml(_) | ViewerKind::Timeline => None,
        }
    }
}

/// Which of a pod's containers to show first, and whether its previous
/// instance: the first container in trouble, and the previous instance
/// when it is waiting to restart (the current one has said nothing yet).
pub fn first_log(pod: &Pod) -> Option<(String, bool)> {
    let troubled = pod.containers.iter().find(|c| !c.ready).or(pod.containers.first())?;
    let previous = matches!(troubled.state, ContainerState::Waiting { .. }) && troubled.last_termination.is_some();
    Some((troubled.name.to_string(), previous))
}

impl App {
    /// `l`: the selected pod's log.
    pub(super) fn open_logs(&mut self) -> Vec<Effect> {
        let Some(pod) = self.selected_pod() else { return Vec::new() };
        if pod.node.is_none() {
            self.notice = Some(format!("{} is not on a node yet: no container has run, so there is no log", pod.name));
            return Vec::new();
        }
        let Some((container, previous)) = first_log(&pod) else {
            self.notice = Some(format!("{} has no containers", pod.key()));
            return Vec::new();
        };
        let target = LogTarget {
            namespace: pod.namespace.to_string(),
            pod: pod.name.clone(),
            container,
            previous,
            follow: !previous,
            tail: LOG_TAIL,
        };
        let containers = pod.containers.iter().map(|c| c.name.to_string()).collect();
        self.stream_logs(target, containers)
    }

    /// Opens (or reopens) the log viewer on `target` and starts its stream.
    fn stream_logs(&mut self, target: LogTarget, containers: Vec<String>) -> Vec<Effect> {
        let stream = self.next_id;
        self.next_id += 1;
        let (wrap, query) = match &self.overlay {
            Some(Overlay::Viewer(v)) => (v.wrap, v.query.clone()),
            _ => (false, String::new()),
        };
        let mut viewer = Viewer::new(ViewerKind::Logs { target: target.clone(), containers, stream });
        viewer.wrap = wrap;
        viewer.query = query;
        self.overlay = Some(Overlay::Viewer(Box::new(viewer)));
        vec![Effect::StreamLogs { stream, target }]
    }

    /// `y`: the selected pod's YAML.
    pub(super) fn open_yaml(&mut self, kind: ObjectKind) -> Vec<Effect> {
        let Some(pod) = self.selected_pod() else { return Vec::new() };
        let name = match kind {
            ObjectKind::Pod => pod.name.clone(),
            ObjectKind::Deployment => match &pod.deployment {
                Some(d) => d.to_string(),
                None => {
                    self.notice = Some(format!("{} belongs to no deployment", pod.key()));
                    return Vec::new();
                }
            },
        };
        let object = ObjectRef { kind, namespace: pod.namespace.to_string(), name };
        self.overlay = Some(Overlay::Viewer(Box::new(Viewer::new(ViewerKind::Yaml(object.clone())))));
        vec![Effect::LoadManifest(object)]
    }

    fn selected_pod(&self) -> Option<Pod> {
        if self.focus != PanelId::Pods {
            return None;
        }
        self.pods().selected().cloned()
    }

    /// Lines of the stream `stream` arrived.
    pub(super) fn on_log_lines(&mut self, stream: u64, lines: Vec<String>) {
        if let Some(v) = self.viewer_of(stream) {
            v.push(lines);
            if v.state == ViewerState::Loading {
                v.state =
                    if v.log().is_some_and(|t| t.follow) { ViewerState::Streaming } else { ViewerState::Complete };
            }
            self.dirty = true;
        }
    }

    /// The stream `stream` ended, with the error that ended it if any.
    pub(super) fn on_log_end(&mut self, stream: u64, error: Option<String>) {
        if let Some(v) = self.viewer_of(stream) {
            v.state = match error {
                Some(e) => ViewerState::Failed(e),
                None => ViewerState::Complete,
            };
            self.dirty = true;
        }
    }

    pub(super) fn on_manifest(&mut self, object: ObjectRef, text: Result<String, String>) {
        let Some(Overlay::Viewer(v)) = &mut self.overlay else { return };
        if v.kind != ViewerKind::Yaml(object) {
            return;
        }
        match text {
            Ok(text) => {
                v.push(text.lines().map(str::to_string));
                v.state = ViewerState::Complete;
            }
            Err(e) => v.state = ViewerState::Failed(e),
        }
        self.dirty = true;
    }

    fn viewer_of(&mut self, stream: u64) -> Option<&mut Viewer> {
        match &mut self.overlay {
            Some(Overlay::Viewer(v)) if matches!(v.kind, ViewerKind::Logs { stream: s, .. } if s == stream) => Some(v),
            _ => None,
        }
    }

    /// Keys in the viewer.
    pub(super) fn run_viewer(&mut self, cmd: Command) -> Vec<Effect> {
        let Some(Overlay::Viewer(v)) = &mut self.overlay else { return Vec::new() };
        if let Some(input) = &v.input {
            match cmd {
                Command::Submit if v.kind == ViewerKind::Timeline => {
                    v.query = input.lines().join(" ");
                    v.input = None;
                    self.refill_timeline();
                }
                Command::Submit => {
                    v.query = input.lines().join(" ");
                    v.input = None;
                    if !v.query.is_empty() && !v.find(true) && !v.find(false) {
                        self.notice = Some(format!("Not found: {}", v.query));
                    }
                }
                Command::Cancel => v.input = None,
                _ => {}
            }
            return Vec::new();
        }
        let page = v.page() as isize;
        match cmd {
            Command::Close | Command::Cancel => return self.close_viewer(),
            Command::MoveDown => v.scroll_by(1),
            Command::MoveUp => v.scroll_by(-1),
            Command::PageDown => v.scroll_by(page),
            Command::PageUp => v.scroll_by(-page),
            Command::Top => v.scroll_to(0),
            Command::Bottom => v.scroll_to(usize::MAX),
            Command::Search => {
                let mut input = TextArea::new(vec![v.query.clone()]);
                input.move_cursor(ratatui_textarea::CursorMove::End);
                v.input = Some(input);
            }
            Command::NextMatch | Command::PrevMatch if v.query.is_empty() => {
                self.notice = Some("No search yet: press / to search".into());
            }
            Command::NextMatch | Command::PrevMatch => {
                let forward = cmd == Command::NextMatch;
                if !v.find(forward) {
                    let which = if forward { "below" } else { "above" };
                    self.notice = Some(format!("No more matches {which}: {}", v.query));
                }
            }
            Command::ToggleWrap => {
                v.wrap = !v.wrap;
                self.notice = Some(format!("Wrap {}", if v.wrap { "on" } else { "off" }));
            }
            Command::ToggleFollow => {
                let Some(t) = v.log() else { return Vec::new() };
                let mut target = t.clone();
                if target.previous {
                    self.notice = Some("A previous instance writes no more: follow is for the current one".into());
                    return Vec::new();
                }
                target.follow = !target.follow;
                return self.restream(target);
            }
            Command::TogglePrevious => {
                let Some(t) = v.log() else { return Vec::new() };
                let mut target = t.clone();
                target.previous = !target.previous;
                target.follow = !target.previous;
                return self.restream(target);
            }
            Command::NextContainer => {
                let ViewerKind::Logs { target, containers, .. } = &v.kind else { return Vec::new() };
                if containers.len() < 2 {
                    self.notice = Some(format!("{} has only this container", target.pod));
                    return Vec::new();
                }
                let i =
                    containers.iter().position(|c| *c == target.container).map_or(0, |i| (i + 1) % containers.len());
                let mut target = target.clone();
                target.container = containers[i].clone();
                target.previous = false;
                target.follow = true;
                return self.restream(target);
            }
            _ => {}
        }
        Vec::new()
    }

    /// The same log viewer on another container, instance or follow mode.
    fn restream(&mut self, target: LogTarget) -> Vec<Effect> {
        let Some(Overlay::Viewer(v)) = &self.overlay else { return Vec::new() };
        let ViewerKind::Logs { containers, .. } = &v.kind else { return Vec::new() };
        let containers = containers.clone();
        let mut effects = vec![Effect::StopLogs];
        effects.extend(self.stream_logs(target, containers));
        effects
    }

    /// Closes the viewer, stopping its stream.
    pub(super) fn close_viewer(&mut self) -> Vec<Effect> {
        let streaming = matches!(&self.overlay, Some(Overlay::Viewer(v)) if v.log().is_some());
        self.overlay = None;
        if streaming { vec![Effect::StopLogs] } else { Vec::new() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn logs() -> Viewer {
        let target = LogTarget {
            namespace: "shop".into(),
            pod: "p".into(),
            container: "app".into(),
            previous: false,
            follow: true,
            tail: LOG_TAIL,
        };
        Viewer::new(ViewerKind::Logs { target, containers: vec!["app".into()], stream: 1 })
    }

    #[test]
    fn the_buffer_keeps_the_newest_lines_and_counts_the_rest() {
        let mut v = logs();
        v.push((0..VIEW_LINES_MAX + 25).map(|i| format!("line {i}")));
        assert_eq!(v.lines().len(), VIEW_LINES_MAX);
        assert_eq!(v.dropped, 25);
        assert_eq!(v.lines().front().map(String::as_str), Some("line 25"));
    }

    #[test]
    fn lines_are_sanitised_as_they_arrive() {
        let mut v = logs();
        v.push(["ok \x1b[31mred\x1b[0m \x1b]0;title\x07done".to_string()]);
        assert_eq!(v.lines()[0], "ok red done");
    }

    #[test]
    fn a_pinned_log_shows_its_end_and_scrolling_up_unpins_it() {
        let mut v = logs();
        v.set_height(10);
        v.push((0..100).map(|i| i.to_string()));
        assert_eq!(v.first_line(), 90);
        v.scroll_by(-5);
        assert!(!v.pinned);
        v.push((100..110).map(|i| i.to_string()));
        assert_eq!(v.first_line(), 85, "new lines do not move what is being read");
        v.scroll_to(usize::MAX);
        assert!(v.pinned);
        assert_eq!(v.first_line(), 100);
    }

    #[test]
    fn search_moves_between_matches_case_insensitively() {
        let mut v = logs();
        v.set_height(5);
        v.push((0..50).map(|i| if i % 10 == 3 { format!("ERROR {i}") } else { format!("ok {i}") }));
        v.query = "error".into();
        v.scroll_to(0);
        assert!(v.find(true));
        assert_eq!(v.first_line(), 3);
        assert!(v.find(true));
        assert_eq!(v.first_line(), 13);
        assert!(v.find(false));
        assert_eq!(v.first_line(), 3);
        assert!(!v.find(false));
        assert!(v.matches("an Error here") && !v.matches("fine"));
    }

    #[test]
    fn a_waiting_crashed_container_opens_on_its_previous_instance() {
        let app = crate::fixtures::demo_app(60, (200, 50), "default");
        let crashing = app.live.pods.values().find(|p| p.status() == "CrashLoopBackOff").expect("a crash loop");
        let (container, previous) = first_log(crashing).expect("containers");
        assert_eq!(container, &*crashing.containers[0].name);
        assert!(previous);
        let healthy = app.live.pods.values().find(|p| p.status() == "Running").expect("a running pod");
        assert_eq!(first_log(healthy).map(|(_, p)| p), Some(false));
    }
}
