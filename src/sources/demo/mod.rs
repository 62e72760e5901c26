//! The built-in demo environment: a scripted incident that runs in real
//! time behind the same source and executor interfaces as the real
//! Kubernetes and AWS sources.
//!
//! Timeline (scenario seconds): healthy until 20 s; from 20 s the backend
//! pods fall into CrashLoopBackOff one by one with rising restarts and
//! Warning events; from 22 s the primary database's CPU and connections
//! climb until `orders-db-high-cpu` fires; from 30 s a burst of failed
//! ConsoleLogin attempts arrives from one IP. A rollout restart of
//! `backend` ends the crash loop and the database recovers after it.
//!
//! [`DemoWorld`] is pure and deterministic for a seed and the times it is
//! given, so tests snapshot it; [`spawn`] runs it as a task on a clock.
//! This module holds the world and its scenario clock; `kube`, `rds`,
//! `alarms` and `trail` what each part of it does, `execute` how it
//! answers actions, and `task` the supervised task and its executor.

mod alarms;
mod cluster;
mod execute;
mod kube;
mod rds;
mod task;
#[cfg(test)]
mod tests;
mod trail;

pub use task::{DemoExecutor, spawn, spawn_at};

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::json;
use tokio::sync::{mpsc, oneshot};

use super::clock::Clock;
use super::{Delta, Environment, FeedData, FeedId, FeedSignal, SourceUpdate};
use crate::actions::{Action, ActionError, ActionKind, Evidence, Executed, Execution, Executor, LOG_TAIL_LINES};
use crate::model::{
    Alarm, AlarmState, Conditions, Container, ContainerState, DbInstance, DbMetrics, Deployment, KubeEvent, Pod,
    ReplicaSet, Rollout, Termination, TrailEvent, Waiting,
};
use crate::state::{ErrorKind, SourceError};

pub const NAMESPACE: &str = "shop";
const CONTEXT: &str = "demo-eks-prod";
const CLUSTER: &str = "orders";
const PRIMARY: &str = "orders-db";
const REPLICA: &str = "orders-db-replica-1";
const BILLING: &str = "billing-db";
const ATTACKER_IP: &str = "203.0.113.45";
const METRIC_POINTS: usize = 60;
/// The feeds the demo serves.
const FEEDS: [FeedId; 9] = [
    FeedId::Pods,
    FeedId::Deployments,
    FeedId::ReplicaSets,
    FeedId::KubeEvents,
    FeedId::DbInstances,
    FeedId::DbMetrics,
    FeedId::Alarms,
    FeedId::TrailEvents,
    FeedId::TrailStatus,
];
/// How often the demo's AWS feeds are polled.
const POLL: Duration = Duration::from_secs(10);

/// The environment the demo pretends to be.
pub fn environment() -> Environment {
    Environment {
        kube_context: CONTEXT.into(),
        kube_cluster: String::new(),
        kube_target: super::kube::Target {
            kubeconfig: None,
            context: Some(CONTEXT.into()),
            namespaces: vec![NAMESPACE.into()],
        },
        kube_contexts: vec![super::kube::KubeContext {
            name: CONTEXT.into(),
            cluster: String::new(),
            namespace: Some(NAMESPACE.into()),
            user: Some("oncall".into()),
        }],
        namespace: NAMESPACE.into(),
        aws_profile: "demo".into(),
        aws_target: super::aws::AwsTarget { profile: Some("demo".into()), region: Some("eu-west-1".into()) },
        // The demo world is one account: nothing to switch to.
        aws_profiles: Vec::new(),
        aws_caller: "assumed-role/OnCall/demo".into(),
        aws_region: "eu-west-1".into(),
        aws_account: "123456789012".into(),
        demo: true,
    }
}

#[derive(Debug, Clone)]
struct DeployState {
    desired: u32,
    image: String,
    /// Pods of this deployment crash-loop (the incident's root cause).
    broken: bool,
    template_hash: String,
    /// Bumped by each rollout, as the deployment controller does.
    revision: u32,
    /// When the current revision's ReplicaSet was made.
    since: DateTime<Utc>,
    /// Earlier revisions: (revision, template hash, made at).
    history: Vec<(u32, String, DateTime<Utc>)>,
    /// The replica count before a scale-down, until restored.
    restore_to: Option<u32>,
}

#[derive(Debug, Clone)]
enum Pending {
    PodReady(String),
    PodGone(String),
    RolloutDone(String),
    DbAvailable {
        id: String,
        swap_az: bool,
        promote: bool,
    },
    /// A cluster failover completes: `to` becomes the writer.
    ClusterFailedOver {
        cluster: String,
        to: String,
    },
}

/// Which feeds have something to report since the last drain.
#[derive(Debug, Clone, Copy, Default)]
struct Dirty {
    kube: bool,
    dbs: bool,
    metrics: bool,
    alarms: bool,
    trail: bool,
}

impl Dirty {
    const ALL: Dirty = Dirty { kube: true, dbs: true, metrics: true, alarms: true, trail: true };
}

/// The simulated world.
pub struct DemoWorld {
    rng: fastrand::Rng,
    start: DateTime<Utc>,
    now: DateTime<Utc>,
    deployments: BTreeMap<String, DeployState>,
    /// Namespaces with the isolation NetworkPolicy.
    isolated: std::collections::BTreeSet<String>,
    pods: BTreeMap<String, Pod>,
    events: Vec<KubeEvent>,
    dbs: Vec<DbInstance>,
    /// Each instance's CloudWatch series, and its free storage unrounded.
    metrics: BTreeMap<String, DbMetrics>,
    free_gib: BTreeMap<String, f64>,
    alarms: Vec<Alarm>,
    trail_seq: u64,
    new_trail: Vec<TrailEvent>,
    /// Every event the world recorded, oldest first.
    trail_log: Vec<TrailEvent>,
    pending: Vec<(DateTime<Utc>, Pending)>,
    /// When the backend was fixed by a rollout restart, if it was.
    fixed_at: Option<DateTime<Utc>>,
    next_trickle: i64,
    changed_pods: Vec<String>,
    deleted_pods: Vec<String>,
    /// Each alarm's latest evaluated datapoints, newest last, as many as
    /// its evaluation periods: an alarm fires only when all of them breach.
    alarm_points: BTreeMap<String, Vec<(DateTime<Utc>, f64)>>,
    /// Consecutive failed CloudTrail polls, and when the next one is due.
    trail_attempt: u32,
    trail_retry_at: Option<DateTime<Utc>>,
    dirty: Dirty,
}

fn secs(s: i64) -> TimeDelta {
    TimeDelta::seconds(s)
}

impl DemoWorld {
    pub fn new(seed: u64, start: DateTime<Utc>) -> Self {
        let mut w = DemoWorld {
            rng: fastrand::Rng::with_seed(seed),
            start,
            now: start,
            deployments: BTreeMap::new(),
            isolated: Default::default(),
            pods: BTreeMap::new(),
            events: Vec::new(),
            dbs: Vec::new(),
            metrics: BTreeMap::new(),
            free_gib: BTreeMap::from([(PRIMARY.into(), 212.4), (REPLICA.into(), 212.4), (BILLING.into(), 141.7)]),
            alarms: Vec::new(),
            trail_seq: 0,
            new_trail: Vec::new(),
            trail_log: Vec::new(),
            pending: Vec::new(),
            fixed_at: None,
            next_trickle: 2,
            changed_pods: Vec::new(),
            deleted_pods: Vec::new(),
            alarm_points: BTreeMap::new(),
            trail_attempt: 0,
            trail_retry_at: None,
            dirty: Dirty::ALL,
        };
        for (name, replicas, image) in [
            ("api", 4, "registry.example.com/shop/api:2.31.0"),
            ("backend", 4, "registry.example.com/shop/backend:1.18.4"),
            ("frontend", 3, "registry.example.com/shop/frontend:5.2.1"),
            ("worker", 3, "registry.example.com/shop/worker:1.18.4"),
        ] {
            let hash = w.token(10);
            w.deployments.insert(
                name.to_string(),
                DeployState {
                    desired: replicas,
                    image: image.into(),
                    broken: false,
                    template_hash: hash,
                    revision: 1,
                    since: start - secs(3600 * 30),
                    history: Vec::new(),
                    restore_to: None,
                },
            );
            for _ in 0..replicas {
                let age = secs(3600 * 26 + i64::from(w.rng.u32(0..7200)));
                w.add_pod(name, start - age, true);
            }
        }
        w.dbs = vec![w.primary(), w.replica(), w.billing()];
        for _ in 0..METRIC_POINTS {
            w.sample_metrics();
        }
        w.alarms = alarms::initial_alarms(start - secs(86_400 * 3));
        for i in 0..6 {
            let t = start - secs(600 - i * 90);
            w.trickle_event(t);
        }
        w.changed_pods.clear();
        w
    }

    fn token(&mut self, n: usize) -> String {
        const CHARS: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
        (0..n).map(|_| CHARS[self.rng.usize(0..CHARS.len())] as char).collect()
    }

    fn elapsed(&self) -> i64 {
        (self.now - self.start).num_seconds()
    }

    /// Emits the current full state of every source (a fresh subscriber).
    pub fn snapshot(&mut self) -> Vec<SourceUpdate> {
        self.dirty = Dirty::ALL;
        self.changed_pods.clear();
        self.deleted_pods.clear();
        // Watches say nothing while nothing changes; polls come every
        // `POLL` and are stale after two missed ones.
        let mut out: Vec<SourceUpdate> = [
            (FeedId::Pods, None),
            (FeedId::Deployments, None),
            (FeedId::ReplicaSets, None),
            (FeedId::KubeEvents, None),
            (FeedId::DbInstances, Some(POLL)),
            (FeedId::DbMetrics, Some(POLL)),
            (FeedId::Alarms, Some(POLL)),
            (FeedId::TrailEvents, Some(POLL)),
            (FeedId::TrailStatus, Some(POLL)),
        ]
        .into_iter()
        .map(|(feed, expected)| SourceUpdate::signal(feed, self.now, FeedSignal::Live { expected }))
        .collect();
        out.push(self.data(FeedData::Pods(Delta::Reset(self.pods.values().cloned().collect()))));
        out.extend(self.kube_side_updates());
        out.push(self.data(FeedData::DbInstances(Delta::Reset(self.dbs.clone()))));
        out.push(self.metrics_update());
        out.push(self.data(FeedData::Alarms(Delta::Reset(self.alarms.clone()))));
        let trail = std::mem::take(&mut self.new_trail);
        out.push(self.data(FeedData::TrailEvents(Delta::Upsert(trail))));
        out.push(self.data(FeedData::Trails(Delta::Reset(self.trails()))));
        self.dirty = Dirty::default();
        out
    }

    fn data(&self, data: FeedData) -> SourceUpdate {
        SourceUpdate::data(self.now, data)
    }

    /// Moves the world forward to `to` in one-second steps and returns what
    /// changed, as a watcher or poller would report it.
    pub fn advance(&mut self, to: DateTime<Utc>) -> Vec<SourceUpdate> {
        while self.now + secs(1) <= to {
            self.now += secs(1);
            self.step();
        }
        self.drain_changes()
    }

    fn drain_changes(&mut self) -> Vec<SourceUpdate> {
        let mut out = Vec::new();
        if self.dirty.kube {
            // One watch event per pod, as a watcher delivers them.
            for name in std::mem::take(&mut self.deleted_pods) {
                out.push(self.data(FeedData::Pods(Delta::Delete(vec![format!("{NAMESPACE}/{name}")]))));
            }
            let mut changed = std::mem::take(&mut self.changed_pods);
            changed.sort();
            changed.dedup();
            for name in changed {
                if let Some(p) = self.pods.get(&name) {
                    out.push(self.data(FeedData::Pods(Delta::Upsert(vec![p.clone()]))));
                }
            }
            out.extend(self.kube_side_updates());
        }
        if self.dirty.dbs {
            out.push(self.data(FeedData::DbInstances(Delta::Reset(self.dbs.clone()))));
        }
        if self.dirty.metrics {
            out.push(self.metrics_update());
        }
        if self.dirty.alarms {
            out.push(self.data(FeedData::Alarms(Delta::Reset(self.alarms.clone()))));
        }
        if self.dirty.trail {
            out.push(self.data(FeedData::Trails(Delta::Reset(self.trails()))));
            out.extend(self.poll_trail());
        }
        self.dirty = Dirty::default();
        out
    }

    fn step(&mut self) {
        let e = self.elapsed();
        self.run_pending();
        // The backend breaks at 20 s: one pod every 3 s.
        if (20..=29).contains(&e) && (e - 20) % 3 == 0 && self.fixed_at.is_none() {
            if let Some(d) = self.deployments.get_mut("backend") {
                d.broken = true;
            }
            let healthy: Vec<String> = self
                .pods
                .values()
                .filter(|p| p.deployment.as_deref() == Some("backend") && p.health() == crate::model::Health::Ok)
                .map(|p| p.name.clone())
                .collect();
            if let Some(name) = healthy.first().cloned() {
                self.crash(&name);
            }
        }
        self.crashloop_restarts();
        if e % 5 == 0 {
            self.sample_metrics();
            self.evaluate_alarms();
        } else if e % 2 == 0 {
            self.dirty.dbs |= self.dbs.iter().any(|d| d.status != "available");
        }
        // The AWS panels are polled: every poll is fresh data, even when
        // nothing changed.
        if e % 10 == 0 {
            self.dirty.dbs = true;
            self.dirty.alarms = true;
            self.dirty.trail = true;
        }
        // A failed CloudTrail poll is retried when its backoff says.
        if self.trail_retry_at.is_some_and(|t| t <= self.now) {
            self.dirty.trail = true;
        }
        if e >= self.next_trickle {
            let t = self.now;
            self.trickle_event(t);
            self.next_trickle = e + 6 + i64::from(self.rng.u8(0..8));
        }
        if (30..45).contains(&e) && self.rng.u8(0..10) < 8 {
            self.failed_login();
        }
    }

    fn run_pending(&mut self) {
        let now = self.now;
        let (due, later): (Vec<_>, Vec<_>) = self.pending.drain(..).partition(|(t, _)| *t <= now);
        self.pending = later;
        for (_, p) in due {
            match p {
                Pending::PodReady(name) => {
                    let broken = self.pod_broken(&name);
                    if let Some(pod) = self.pods.get_mut(&name) {
                        pod.phase = "Running".into();
                        for c in &mut pod.containers {
                            c.state = ContainerState::Running { since: now };
                            c.ready = true;
                        }
                        self.changed_pods.push(name.clone());
                        self.dirty.kube = true;
                    }
                    if broken {
                        self.crash(&name);
                    }
                }
                Pending::PodGone(name) => {
                    if self.pods.remove(&name).is_some() {
                        self.deleted_pods.push(name);
                        self.dirty.kube = true;
                    }
                }
                Pending::RolloutDone(dep) => self.finish_rollout(&dep),
                Pending::ClusterFailedOver { cluster, to } => {
                    let old = self
                        .dbs
                        .iter()
                        .find(|d| d.cluster.as_ref() == Some(&cluster) && d.replica_of.is_none())
                        .map(|d| d.id.clone());
                    for db in self.dbs.iter_mut().filter(|d| d.cluster.as_ref() == Some(&cluster)) {
                        db.status = "available".into();
                        if db.id == to {
                            db.replica_of = None;
                        } else {
                            db.replica_of = Some(to.clone());
                        }
                    }
                    let readers: Vec<String> = self
                        .dbs
                        .iter()
                        .filter(|d| d.cluster.as_ref() == Some(&cluster) && d.id != to)
                        .map(|d| d.id.clone())
                        .collect();
                    for db in &mut self.dbs {
                        db.replicas = if db.id == to { readers.clone() } else { Vec::new() };
                    }
                    tracing::debug!(?old, %to, "demo cluster failed over");
                    self.dirty.dbs = true;
                }
                Pending::DbAvailable { id, swap_az, promote } => {
                    if let Some(db) = self.dbs.iter_mut().find(|d| d.id == id) {
                        db.status = "available".into();
                        if swap_az && let Some(sec) = db.secondary_az.take() {
                            db.secondary_az = Some(std::mem::replace(&mut db.az, sec));
                        }
                        if promote {
                            db.replica_of = None;
                        }
                    }
                    if promote {
                        for db in &mut self.dbs {
                            db.replicas.retain(|r| *r != id);
                        }
                    }
                    self.dirty.dbs = true;
                }
            }
        }
    }
}
