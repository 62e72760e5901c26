//! A pod as kubectl shows it, and what its state means for an incident.
//!
//! STATUS, READY and RESTARTS follow the API server's pod printer
//! (`printPod` in `pkg/printers/internalversion/printers.go`) rule by
//! rule, so a row reads exactly as `kubectl get pods` prints the same
//! pod. [`Pod::health`] and [`Pod::note`] say more than kubectl does:
//! what the state means (a crash loop in an init container is failing, a
//! finished Job's pod is fine) and the last termination while it is
//! recent.

use std::borrow::Cow;
use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use super::Health;
use crate::format::fmt_age;

/// How long a pod may be scheduling, creating or initialising before
/// it counts as failing rather than on its way.
pub const STUCK_AFTER: TimeDelta = TimeDelta::minutes(5);

/// How long a container's last termination is worth naming on its row
/// (and makes a running pod a warning): the restarts window.
pub const RECENT: TimeDelta = TimeDelta::hours(1);

/// A pod as the Pods panel needs it.
///
/// What many pods share (namespace, owners, phase, node, images) is held
/// once and shared ([`Arc<str>`], interned by the source as it converts),
/// and what few pods have is boxed: a cluster's worth of pods is most of
/// what the console holds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Pod {
    pub namespace: Arc<str>,
    pub name: String,
    /// Owning deployment, when known (for rollout actions).
    pub deployment: Option<Arc<str>>,
    /// The ReplicaSet that owns it: which revision of its deployment it
    /// runs.
    #[serde(default)]
    pub replica_set: Option<Arc<str>>,
    pub phase: Arc<str>,
    pub node: Option<Arc<str>>,
    pub created: DateTime<Utc>,
    /// Init containers: those with a status first, in status order (as
    /// the printer walks them), then any the spec names without one.
    #[serde(default)]
    pub init_containers: Vec<Container>,
    /// App containers, in the same order.
    pub containers: Vec<Container>,
    /// Restart times within the last hour, derived by the pods store from
    /// the restart counts it saw change (what a source sends is replaced).
    pub restart_times: Vec<DateTime<Utc>>,
    /// `status.reason`: `Evicted`, `NodeLost`, `OutOfmemory`, …
    pub reason: Option<String>,
    /// `status.message`: what the cluster said about that reason.
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub conditions: Conditions,
    pub deleting: bool,
    /// What the pods store worked out from the versions it saw.
    #[serde(skip)]
    pub seen: Seen,
}

/// The pod conditions the printer and the health rules read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conditions {
    /// `Ready` is `True`.
    pub ready: bool,
    /// `Initialized` is `True`.
    pub initialized: bool,
    /// `PodScheduled` is `False`: its reason (`Unschedulable`,
    /// `SchedulingGated`) and the scheduler's message.
    pub unscheduled: Option<Box<(String, String)>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Container {
    pub name: Arc<str>,
    pub image: Arc<str>,
    pub ready: bool,
    /// `started` from the status (startup probe passed); `None` when the
    /// status leaves it out.
    #[serde(default)]
    pub started: Option<bool>,
    /// An init container with `restartPolicy: Always`: a sidecar that
    /// keeps running beside the app containers.
    #[serde(default)]
    pub sidecar: bool,
    pub restarts: u32,
    pub state: ContainerState,
    pub last_termination: Option<Box<Termination>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub enum ContainerState {
    Running {
        since: DateTime<Utc>,
    },
    /// Waiting, with the kubelet's reason; an empty reason (or a status
    /// that names no state at all) is waiting without one.
    Waiting {
        reason: String,
        message: Option<String>,
    },
    Terminated(Termination),
    /// The spec names the container but the status does not (yet).
    #[default]
    Unreported,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Termination {
    /// The runtime's reason (`Completed`, `Error`, `OOMKilled`); empty
    /// when it gave none.
    pub reason: String,
    pub exit_code: i32,
    /// The signal that killed it, 0 for none.
    #[serde(default)]
    pub signal: i32,
    pub finished: Option<DateTime<Utc>>,
}

impl Termination {
    /// The reason, or what kubectl prints without one: `Signal:9`,
    /// `ExitCode:2`.
    pub fn label(&self) -> Cow<'_, str> {
        if !self.reason.is_empty() {
            Cow::Borrowed(&self.reason)
        } else if self.signal != 0 {
            Cow::Owned(format!("Signal:{}", self.signal))
        } else {
            Cow::Owned(format!("ExitCode:{}", self.exit_code))
        }
    }
}

/// What the pods store knows about a pod beyond its latest version.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Seen {
    /// When the store first saw the pod.
    pub since: Option<DateTime<Utc>>,
    /// Restarts that happened before then, per container that had any:
    /// the count and when its last termination finished (if said).
    pub prior: Vec<(u32, Option<DateTime<Utc>>)>,
    /// Judged at the store's last look: the pod has been scheduling,
    /// creating or initialising for longer than [`STUCK_AFTER`].
    pub stuck: bool,
    /// Judged likewise: a container's last termination is within
    /// [`RECENT`].
    pub recent_termination: bool,
}

/// A restart count over a window, with how sure it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Count {
    Exactly(usize),
    /// At least this many; restarts from before the console watched the
    /// pod may add to it.
    AtLeast(usize),
}

/// The READY, STATUS and RESTARTS columns as `kubectl get pods` prints
/// them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Printed<'a> {
    pub status: Cow<'a, str>,
    pub ready: u32,
    pub total: u32,
    pub restarts: u32,
    /// When the counted containers last terminated, for `5 (2m ago)`.
    pub last_restart: Option<DateTime<Utc>>,
}

impl Printed<'_> {
    /// How long ago the last counted restart was, as RESTARTS says it
    /// (`2m30s`); `None` without restarts or a time for them.
    pub fn restarted_ago(&self, now: DateTime<Utc>) -> Option<String> {
        self.last_restart.filter(|_| self.restarts > 0).map(|t| fmt_age(now - t))
    }
}

fn later(a: Option<DateTime<Utc>>, b: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    a.max(b)
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl Pod {
    pub fn key(&self) -> String {
        format!("{}/{}", self.namespace, self.name)
    }

    /// The printer's three columns, rule by rule.
    pub fn printed(&self) -> Printed<'_> {
        let mut status: Cow<'_, str> = Cow::Borrowed(self.reason.as_deref().unwrap_or(&self.phase));
        if self.conditions.unscheduled.as_ref().is_some_and(|u| u.0 == "SchedulingGated") {
            status = Cow::Borrowed("SchedulingGated");
        }
        let total = count(self.containers.len() + self.init_containers.iter().filter(|c| c.sidecar).count());
        let mut ready = 0;
        let (mut restarts, mut last) = (0u32, None);
        let (mut sidecar_restarts, mut sidecar_last) = (0u32, None);
        let mut initializing = false;
        let reported = |c: &&Container| c.state != ContainerState::Unreported;
        for (i, c) in self.init_containers.iter().take_while(reported).enumerate() {
            let finished = c.last_termination.as_ref().and_then(|t| t.finished);
            restarts = restarts.saturating_add(c.restarts);
            last = later(last, finished);
            if c.sidecar {
                sidecar_restarts = sidecar_restarts.saturating_add(c.restarts);
                sidecar_last = later(sidecar_last, finished);
            }
            match &c.state {
                ContainerState::Terminated(t) if t.exit_code == 0 => continue,
                _ if c.sidecar && c.started == Some(true) => {
                    ready += u32::from(c.ready);
                    continue;
                }
                ContainerState::Terminated(t) => status = Cow::Owned(format!("Init:{}", t.label())),
                ContainerState::Waiting { reason, .. } if !reason.is_empty() && reason != "PodInitializing" => {
                    status = Cow::Owned(format!("Init:{reason}"));
                }
                _ => status = Cow::Owned(format!("Init:{i}/{}", self.init_containers.len())),
            }
            initializing = true;
            break;
        }
        if !initializing || self.conditions.initialized {
            restarts = sidecar_restarts;
            last = sidecar_last;
            let mut running = false;
            for c in self.containers.iter().filter(reported).rev() {
                restarts = restarts.saturating_add(c.restarts);
                last = later(last, c.last_termination.as_ref().and_then(|t| t.finished));
                match &c.state {
                    ContainerState::Waiting { reason, .. } if !reason.is_empty() => status = Cow::Borrowed(reason),
                    ContainerState::Terminated(t) => status = t.label(),
                    ContainerState::Running { .. } if c.ready => {
                        running = true;
                        ready += 1;
                    }
                    _ => {}
                }
            }
            if status == "Completed" && running {
                status = Cow::Borrowed(if self.conditions.ready { "Running" } else { "NotReady" });
            }
        }
        if self.deleting && self.reason.as_deref() == Some("NodeLost") {
            status = Cow::Borrowed("Unknown");
        } else if self.deleting && !matches!(&*self.phase, "Succeeded" | "Failed") {
            status = Cow::Borrowed("Terminating");
        }
        Printed { status, ready, total, restarts, last_restart: last }
    }

    /// kubectl's STATUS.
    pub fn status(&self) -> Cow<'_, str> {
        self.printed().status
    }

    /// kubectl's READY: (ready, total), started sidecars counted.
    pub fn ready_count(&self) -> (u32, u32) {
        let p = self.printed();
        (p.ready, p.total)
    }

    /// kubectl's RESTARTS count.
    pub fn restarts(&self) -> u32 {
        self.printed().restarts
    }

    /// kubectl's RESTARTS column at `now`: `5 (2m30s ago)`.
    pub fn restarts_column(&self, now: DateTime<Utc>) -> String {
        let p = self.printed();
        match p.restarted_ago(now) {
            Some(ago) => format!("{} ({ago} ago)", p.restarts),
            None => p.restarts.to_string(),
        }
    }

    /// Every container, init ones first.
    pub fn all_containers(&self) -> impl Iterator<Item = &Container> {
        self.init_containers.iter().chain(&self.containers)
    }

    /// The most recent last termination of any container.
    pub fn last_termination(&self) -> Option<(&Container, &Termination, DateTime<Utc>)> {
        self.all_containers()
            .filter_map(|c| c.last_termination.as_deref().and_then(|t| t.finished.map(|at| (c, t, at))))
            .max_by_key(|(_, _, at)| *at)
    }

    /// What the row says beyond kubectl's STATUS: why it is unscheduled,
    /// or the last termination while it is recent (`OOMKilled 4m ago`),
    /// unless STATUS already says it.
    pub fn note(&self, now: DateTime<Utc>) -> Option<String> {
        let status = self.status();
        if let Some((reason, _)) = self.conditions.unscheduled.as_deref()
            && reason != "SchedulingGated"
            && *status == *"Pending"
        {
            return Some(reason.clone());
        }
        let (_, t, at) = self.last_termination()?;
        let label = t.label();
        (now - at < RECENT && *label != *status).then(|| format!("{label} {} ago", fmt_age(now - at)))
    }

    /// Crash-looping: a container (init or app) in CrashLoopBackOff, or
    /// one that failed and is restarting (OOMKilled, an error exit or a
    /// signal after earlier restarts).
    pub fn crash_looping(&self) -> bool {
        self.all_containers().any(|c| match &c.state {
            ContainerState::Waiting { reason, .. } => reason == "CrashLoopBackOff",
            ContainerState::Terminated(t) => c.restarts > 0 && (t.exit_code != 0 || t.signal != 0),
            _ => false,
        })
    }

    /// Scheduling, creating or initialising: on its way while young,
    /// stuck once older than [`STUCK_AFTER`].
    pub fn starting(&self) -> bool {
        self.starting_as(&self.status())
    }

    /// [`Pod::starting`], given the STATUS already printed.
    fn starting_as(&self, status: &str) -> bool {
        if self.deleting {
            return false;
        }
        let word = status.strip_prefix("Init:").unwrap_or(status);
        matches!(word, "Pending" | "ContainerCreating" | "PodInitializing")
            || (status.starts_with("Init:")
                && word.split_once('/').is_some_and(|(a, b)| a.parse::<u32>().is_ok() && b.parse::<u32>().is_ok()))
    }

    /// What the state means, not the phase: any crash loop, non-zero
    /// exit, signal kill, image or config error, or lost node is failing;
    /// a finished Job's pod is fine; scheduling and creating are warnings
    /// while young (the store judges the age, see [`Seen::stuck`]).
    pub fn health(&self) -> Health {
        let status = self.status();
        if self.crash_looping() {
            return Health::Crit;
        }
        if self.starting_as(&status) {
            return if self.seen.stuck { Health::Crit } else { Health::Warn };
        }
        let word = status.strip_prefix("Init:").unwrap_or(&status);
        match word {
            "Running" if self.seen.recent_termination || self.containers.iter().any(|c| !c.ready) => Health::Warn,
            "Running" | "Completed" | "Succeeded" | "ExitCode:0" => Health::Ok,
            "Unknown" | "NodeLost" | "Evicted" | "Failed" | "Error" | "OOMKilled" | "ContainerCannotRun"
            | "DeadlineExceeded" => Health::Crit,
            w if w.starts_with("ExitCode:") || w.starts_with("Signal:") => Health::Crit,
            w if image_or_config_error(w) => Health::Crit,
            _ if &*self.phase == "Failed" => Health::Crit,
            _ => Health::Warn,
        }
    }

    /// When the store must judge the pod again though nothing about it
    /// changed: when a young start turns stuck, or a recent termination
    /// stops being recent.
    pub fn judge_again_at(&self) -> Option<DateTime<Utc>> {
        let stuck = (self.starting() && !self.seen.stuck).then(|| self.created + STUCK_AFTER);
        let recent =
            self.seen.recent_termination.then(|| self.last_termination().map(|(_, _, at)| at + RECENT)).flatten();
        match (stuck, recent) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Sets the time-dependent judgements for `now`.
    pub fn judge(&mut self, now: DateTime<Utc>) {
        self.seen.stuck = self.starting() && now - self.created >= STUCK_AFTER;
        self.seen.recent_termination = self.last_termination().is_some_and(|(_, _, at)| now - at < RECENT);
    }

    /// Restarts the store saw happen at or after `since`.
    pub fn restarts_since(&self, since: DateTime<Utc>) -> usize {
        self.restart_times.iter().filter(|t| **t >= since).count()
    }

    /// Restarts in the `window` up to `now`, on the evidence there is:
    /// what the store saw, plus for restarts from before it watched, each
    /// container's last termination time (a restart the API still
    /// describes). Exact once the store has watched for the whole window,
    /// or when the earlier restarts provably fell before it or after the
    /// pod was created inside it.
    pub fn restarts_within(&self, now: DateTime<Utc>, window: TimeDelta) -> Count {
        let start = now - window;
        let seen = self.restarts_since(start);
        let watched_whole_window = self.seen.since.is_some_and(|s| s <= start);
        if watched_whole_window || self.seen.prior.is_empty() {
            return Count::Exactly(seen);
        }
        let mut exact = true;
        let mut before = 0usize;
        for (n, last) in &self.seen.prior {
            let n = *n as usize;
            if self.created >= start {
                before += n;
            } else {
                match last {
                    Some(t) if *t < start => {}
                    Some(_) if n == 1 => before += 1,
                    Some(_) => {
                        before += 1;
                        exact = false;
                    }
                    None => exact = false,
                }
            }
        }
        if exact { Count::Exactly(seen + before) } else { Count::AtLeast(seen + before) }
    }
}

/// Reasons a container waits or ends with that mean its image or its
/// configuration is wrong: it will not start until someone fixes it.
fn image_or_config_error(word: &str) -> bool {
    matches!(
        word,
        "ErrImagePull"
            | "ImagePullBackOff"
            | "InvalidImageName"
            | "ErrImageNeverPull"
            | "ImageInspectError"
            | "RegistryUnavailable"
            | "CreateContainerConfigError"
            | "CreateContainerError"
            | "RunContainerError"
            | "PreStartHookError"
            | "PostStartHookError"
            | "ContainerStatusUnknown"
    )
}

#[cfg(test)]
mod tests;
