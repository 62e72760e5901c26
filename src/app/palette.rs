//! The `:` command palette: every command reachable by typing its name.

use super::overlay::move_cursor;
use super::*;
use crate::sanitize::sanitize;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaletteCmd {
    Focus(PanelId),
    Theme(String),
    ToggleReadOnly,
    ToggleDryRun,
    StartIncident,
    ResolveIncident,
    WriteNote,
    Timeline,
    Results,
    Evidence(std::path::PathBuf),
    /// Watch this kubeconfig context.
    Context(String),
    /// Watch this namespace, or all of them.
    Namespace(Option<String>),
    /// Poll and act with this AWS profile (and its region).
    AwsProfile(String),
    /// Poll and act in this AWS region.
    AwsRegion(String),
    /// Show these CloudTrail events.
    TrailView(TrailView),
    /// Show (and look up) the CloudTrail events of this window.
    TrailWindow(chrono::TimeDelta),
    /// Confirm this action, as from an item's menu: what has no item to
    /// select (a deployment scaled to zero has no pods).
    Act(Box<crate::actions::Action>),
    /// Nothing to run: the entry only says something (why namespaces are
    /// not listed).
    Note(String),
    Help,
    Quit,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaletteItem {
    pub label: String,
    pub cmd: PaletteCmd,
}

/// All entries whose label contains every word of `query`.
pub fn items(app: &App, query: &str) -> Vec<PaletteItem> {
    let mut all: Vec<PaletteItem> = [PanelId::Pods, PanelId::Rds, PanelId::Alarms, PanelId::Trail, PanelId::Checklist]
        .into_iter()
        .map(|p| PaletteItem { label: format!("Go to {}", p.title()), cmd: PaletteCmd::Focus(p) })
        .collect();
    all.extend(app.themes.iter().map(|t| PaletteItem {
        label: format!("Theme: {}{}", t.name, if t.name == app.theme.name { " (current)" } else { "" }),
        cmd: PaletteCmd::Theme(t.name.clone()),
    }));
    all.extend(kube_items(app, query));
    all.extend(aws_items(app, query));
    let (view, window) = app.trail_scope();
    let current = |on: bool| if on { " (current)" } else { "" };
    all.extend(TrailView::ALL.into_iter().map(|v| PaletteItem {
        label: format!("CloudTrail view: {}{}", v.label(), current(v == view)),
        cmd: PaletteCmd::TrailView(v),
    }));
    all.extend(trail_rows::WINDOWS.into_iter().map(|w| PaletteItem {
        label: format!("CloudTrail window: the last {}{}", trail_rows::window_label(w), current(w == window)),
        cmd: PaletteCmd::TrailWindow(w),
    }));
    all.push(PaletteItem {
        label: format!("Toggle read-only (now {})", if app.flags.read_only { "on" } else { "off" }),
        cmd: PaletteCmd::ToggleReadOnly,
    });
    all.push(PaletteItem {
        label: format!("Toggle dry-run (now {})", if app.flags.dry_run { "on" } else { "off" }),
        cmd: PaletteCmd::ToggleDryRun,
    });
    all.extend(crate::actions::menu::restores(app.live.deployments.values(), &app.scope()).into_iter().map(|a| {
        let label = match &a.kind {
            crate::actions::ActionKind::RestoreScale { namespace, deployment, to, .. } => {
                format!("Restore deployment {}/{} to {to} replicas", sanitize(namespace), sanitize(deployment))
            }
            _ => a.title(),
        };
        PaletteItem { label, cmd: PaletteCmd::Act(Box::new(a)) }
    }));
    if app.incident().is_some() {
        all.push(PaletteItem { label: "Change incident severity".into(), cmd: PaletteCmd::StartIncident });
        all.push(PaletteItem { label: "Resolve incident".into(), cmd: PaletteCmd::ResolveIncident });
        all.push(PaletteItem { label: "Write a note".into(), cmd: PaletteCmd::WriteNote });
    } else {
        all.push(PaletteItem { label: "Start incident".into(), cmd: PaletteCmd::StartIncident });
    }
    all.push(PaletteItem { label: format!("Timeline ({} entries)", app.journal.len()), cmd: PaletteCmd::Timeline });
    all.push(PaletteItem { label: format!("Action results ({})", app.results().count()), cmd: PaletteCmd::Results });
    all.extend(app.evidence_files().map(|p| PaletteItem {
        label: format!("View evidence: {}", crate::evidence::display_name(p)),
        cmd: PaletteCmd::Evidence(p.clone()),
    }));
    all.push(PaletteItem { label: "Help: key bindings".into(), cmd: PaletteCmd::Help });
    all.push(PaletteItem { label: "Quit".into(), cmd: PaletteCmd::Quit });
    let q = query.to_lowercase();
    let words: Vec<&str> = q.split_whitespace().collect();
    all.retain(|i| {
        // `ns` finds the namespaces, as kubectl's short name does.
        let ns = if matches!(i.cmd, PaletteCmd::Namespace(_)) { " ns" } else { "" };
        let l = format!("{}{ns}", i.label.to_lowercase());
        words.iter().all(|w| l.contains(w))
    });
    all
}

/// Contexts and namespaces to watch. A namespace the list lacks (or a
/// list the user may not read) can be typed: `ns NAME`.
fn kube_items(app: &App, query: &str) -> Vec<PaletteItem> {
    let env = &app.env;
    let mut items: Vec<PaletteItem> = env
        .kube_contexts
        .iter()
        .map(|c| {
            let current = if c.name == env.kube_context { " (current)" } else { "" };
            let host = if c.cluster.is_empty() { String::new() } else { format!(" on {}", c.cluster) };
            PaletteItem {
                label: format!("Context: {}{host}{current}", sanitize(&c.name), host = sanitize(&host)),
                cmd: PaletteCmd::Context(c.name.clone()),
            }
        })
        .collect();
    let watched = &env.kube_target.namespaces;
    let mark = |on: bool| if on { " (current)" } else { "" };
    items.push(PaletteItem {
        label: format!("Namespace: all namespaces{}", mark(watched.is_empty())),
        cmd: PaletteCmd::Namespace(None),
    });
    match &app.namespaces {
        Some(Ok(names)) => items.extend(names.iter().map(|n| PaletteItem {
            label: format!("Namespace: {}{}", sanitize(n), mark(watched.len() == 1 && watched[0] == *n)),
            cmd: PaletteCmd::Namespace(Some(n.clone())),
        })),
        Some(Err(e)) => items.push(PaletteItem {
            label: format!("Namespaces not listed ({}): type ns NAME", sanitize(e)),
            cmd: PaletteCmd::Note(format!("Namespaces not listed: {e}. Type `ns NAME` to watch one.")),
        }),
        None => items.push(PaletteItem {
            label: "Namespaces: listing…".into(),
            cmd: PaletteCmd::Note("Namespaces are still being listed".into()),
        }),
    }
    let mut words = query.split_whitespace();
    if let (Some("ns" | "namespace"), Some(name), None) = (words.next(), words.next(), words.next())
        && !env.demo
        && valid_namespace(name)
        && !matches!(&app.namespaces, Some(Ok(listed)) if listed.iter().any(|n| n == name))
    {
        items.push(PaletteItem {
            label: format!("Namespace: {name} (typed)"),
            cmd: PaletteCmd::Namespace(Some(name.to_string())),
        });
    }
    items
}

/// The shared config's profiles and the regions they name; another
/// region can be typed: `region eu-central-1`. None in the demo.
fn aws_items(app: &App, query: &str) -> Vec<PaletteItem> {
    let env = &app.env;
    if env.demo {
        return Vec::new();
    }
    let current = |on: bool| if on { " (current)" } else { "" };
    let mut items: Vec<PaletteItem> = env
        .aws_profiles
        .iter()
        .map(|p| {
            let region = p.region.as_deref().map(|r| format!(" in {}", sanitize(r))).unwrap_or_default();
            PaletteItem {
                label: format!("AWS profile: {}{region}{}", sanitize(&p.name), current(p.name == env.aws_profile)),
                cmd: PaletteCmd::AwsProfile(p.name.clone()),
            }
        })
        .collect();
    let mut regions: Vec<&str> = env.aws_profiles.iter().filter_map(|p| p.region.as_deref()).collect();
    regions.push(&env.aws_region);
    let mut words = query.split_whitespace();
    let typed = match (words.next(), words.next(), words.next()) {
        (Some("region"), Some(name), None) if valid_region(name) => Some(name),
        _ => None,
    };
    regions.extend(typed);
    regions.retain(|r| valid_region(r));
    regions.sort_unstable();
    regions.dedup();
    items.extend(regions.into_iter().map(|r| PaletteItem {
        label: format!("AWS region: {}{}", sanitize(r), current(r == env.aws_region)),
        cmd: PaletteCmd::AwsRegion(r.to_string()),
    }));
    items
}

/// Whether `name` looks like an AWS region (`eu-west-1`, `us-gov-east-1`).
fn valid_region(name: &str) -> bool {
    let parts: Vec<&str> = name.split('-').collect();
    parts.len() >= 3
        && name.len() <= 32
        && parts[0].len() == 2
        && parts[..parts.len() - 1].iter().all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
        && parts[parts.len() - 1].bytes().all(|b| b.is_ascii_digit())
        && !parts[parts.len() - 1].is_empty()
}

/// Whether `name` can be a namespace (an RFC 1123 label).
fn valid_namespace(name: &str) -> bool {
    (1..=63).contains(&name.len())
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-')
}

impl App {
    pub(super) fn open_palette(&mut self) -> Vec<Effect> {
        let mut input = TextArea::default();
        input.set_placeholder_text("type to filter commands");
        self.overlay = Some(Overlay::Palette { input, selected: 0 });
        // Listed afresh each time: namespaces come and go.
        vec![Effect::ListNamespaces]
    }

    /// Watches `namespaces` (empty for all) of `context` (`None`: the one
    /// watched now, which may be the kubeconfig's current one or the
    /// in-cluster config) from now on.
    fn retarget(&mut self, context: Option<String>, namespaces: Vec<String>) -> Vec<Effect> {
        let context = context.or_else(|| self.env.kube_target.context.clone());
        let target = Target { context: context.clone(), namespaces, ..self.env.kube_target.clone() };
        if target == self.env.kube_target {
            return Vec::new();
        }
        if let Some(name) = context
            && name != self.env.kube_context
        {
            self.env.kube_cluster =
                self.env.kube_contexts.iter().find(|c| c.name == name).map(|c| c.cluster.clone()).unwrap_or_default();
            self.env.kube_context = name;
            self.namespaces = None;
        }
        self.env.namespace = target.namespaces_label();
        self.env.kube_target = target.clone();
        self.notice = Some(format!("Watching {} in {}", self.env.namespace, self.env.kube_context));
        vec![Effect::Retarget(target)]
    }

    /// Polls and acts with `profile` (`None`: keep the current one) in
    /// `region` (`None`: the profile's own) from now on. The account and
    /// caller are unknown until the new credentials answer.
    fn aws_retarget(&mut self, profile: Option<String>, region: Option<String>) -> Vec<Effect> {
        let profile = profile.or_else(|| self.env.aws_target.profile.clone());
        let target = crate::sources::aws::AwsTarget { profile, region };
        if target == self.env.aws_target {
            return Vec::new();
        }
        self.env.aws_profile = crate::sources::aws::profile_label(&target);
        self.env.aws_region = crate::sources::aws::region_label(&target, &self.env.aws_profiles);
        self.env.aws_account.clear();
        self.env.aws_caller.clear();
        self.live.aws_caller = None;
        self.env.aws_target = target.clone();
        self.notice = Some(format!("AWS: profile {} in {}", self.env.aws_profile, self.env.aws_region));
        self.dirty = true;
        vec![Effect::AwsRetarget(target)]
    }

    /// Palette entries matching what has been typed.
    pub fn palette_items(&self) -> Vec<PaletteItem> {
        let query = match &self.overlay {
            Some(Overlay::Palette { input, .. }) => input.lines().join(" "),
            _ => String::new(),
        };
        palette::items(self, &query)
    }

    pub(super) fn run_palette(&mut self, cmd: Command) -> Vec<Effect> {
        let items = self.palette_items();
        let Some(Overlay::Palette { selected, .. }) = &mut self.overlay else { return Vec::new() };
        if move_cursor(selected, items.len(), cmd) {
            return Vec::new();
        }
        match cmd {
            Command::Close | Command::Cancel => self.overlay = None,
            Command::Select | Command::Submit => {
                let chosen = items.get(*selected).map(|i| i.cmd.clone());
                self.overlay = None;
                if let Some(c) = chosen {
                    return self.run_palette_cmd(c);
                }
            }
            _ => {}
        }
        Vec::new()
    }

    pub(super) fn run_palette_cmd(&mut self, cmd: PaletteCmd) -> Vec<Effect> {
        match cmd {
            PaletteCmd::Focus(p) => self.focus(p),
            PaletteCmd::Theme(name) => {
                if let Some(t) = self.themes.iter().find(|t| t.name == name) {
                    self.theme = t.clone();
                    self.notice = Some(format!("Theme: {name}"));
                }
            }
            PaletteCmd::ToggleReadOnly => {
                if self.flags.read_only && self.flags.read_only_locked {
                    self.notice = Some("Started with --read-only; restart without it to enable actions".into());
                } else {
                    self.flags.read_only = !self.flags.read_only;
                    self.notice = Some(format!("Read-only {}", if self.flags.read_only { "on" } else { "off" }));
                }
            }
            PaletteCmd::ToggleDryRun => {
                self.flags.dry_run = !self.flags.dry_run;
                self.notice = Some(format!("Dry-run {}", if self.flags.dry_run { "on" } else { "off" }));
            }
            PaletteCmd::StartIncident => return self.run(Command::StartIncident),
            PaletteCmd::ResolveIncident if self.incident().is_some() => {
                return vec![Effect::Record(IncidentEvent::Resolved)];
            }
            PaletteCmd::ResolveIncident => {}
            PaletteCmd::WriteNote => self.open_note(),
            PaletteCmd::Timeline => self.open_timeline(),
            PaletteCmd::Help => self.overlay = Some(Overlay::Help { scroll: Scroll::default() }),
            PaletteCmd::Results => self.overlay = Some(Overlay::Results { scroll: Scroll::default() }),
            PaletteCmd::Evidence(path) => return self.view_evidence(Some(path)),
            PaletteCmd::Act(action) => return self.open_confirm(*action, Origin::Menu),
            PaletteCmd::Context(name) => {
                let ns = self.env.kube_contexts.iter().find(|c| c.name == name).and_then(|c| c.namespace.clone());
                let namespaces = ns.map_or_else(|| self.env.kube_target.namespaces.clone(), |n| vec![n]);
                return self.retarget(Some(name), namespaces);
            }
            PaletteCmd::Namespace(ns) => return self.retarget(None, ns.into_iter().collect()),
            PaletteCmd::AwsProfile(name) => return self.aws_retarget(Some(name), None),
            PaletteCmd::AwsRegion(region) => {
                let profile = self.env.aws_target.profile.clone();
                return self.aws_retarget(profile, Some(region));
            }
            PaletteCmd::TrailView(view) => {
                self.focus(PanelId::Trail);
                self.set_trail_view(view);
            }
            PaletteCmd::TrailWindow(window) => {
                self.focus(PanelId::Trail);
                return self.set_trail_window(window);
            }
            PaletteCmd::Note(text) => self.notice = Some(text),
            PaletteCmd::Quit => return self.quit(),
        }
        Vec::new()
    }
}
