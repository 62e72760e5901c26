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
    Alarm, AlarmState, Container, ContainerState, DbInstance, Deployment, KubeEvent, Pod, Termination, TrailEvent,
};
use crate::state::{ErrorKind, SourceError};

pub const NAMESPACE: &str = "shop";
const CLUSTER: &str = "orders";
const PRIMARY: &str = "orders-db";
const REPLICA: &str = "orders-db-replica-1";
const BILLING: &str = "billing-db";
const ATTACKER_IP: &str = "203.0.113.45";
const METRIC_POINTS: usize = 60;
/// The feeds the demo serves.
const FEEDS: [FeedId; 6] =
    [FeedId::Pods, FeedId::Deployments, FeedId::KubeEvents, FeedId::DbInstances, FeedId::Alarms, FeedId::TrailEvents];
/// How often the demo's AWS feeds are polled.
const POLL: Duration = Duration::from_secs(10);

/// The environment the demo pretends to be.
pub fn environment() -> Environment {
    Environment {
        kube_context: "demo-eks-prod".into(),
        namespace: NAMESPACE.into(),
        aws_profile: "demo".into(),
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

/// The simulated world.
pub struct DemoWorld {
    rng: fastrand::Rng,
    start: DateTime<Utc>,
    now: DateTime<Utc>,
    deployments: BTreeMap<String, DeployState>,
    pods: BTreeMap<String, Pod>,
    events: Vec<KubeEvent>,
    dbs: Vec<DbInstance>,
    alarms: Vec<Alarm>,
    trail_seq: u64,
    new_trail: Vec<TrailEvent>,
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
    dirty: [bool; 4],
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
            pods: BTreeMap::new(),
            events: Vec::new(),
            dbs: Vec::new(),
            alarms: Vec::new(),
            trail_seq: 0,
            new_trail: Vec::new(),
            pending: Vec::new(),
            fixed_at: None,
            next_trickle: 2,
            changed_pods: Vec::new(),
            deleted_pods: Vec::new(),
            alarm_points: BTreeMap::new(),
            trail_attempt: 0,
            trail_retry_at: None,
            dirty: [true; 4],
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
                DeployState { desired: replicas, image: image.into(), broken: false, template_hash: hash },
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
        w.alarms = initial_alarms(start - secs(86_400 * 3));
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

    fn add_pod(&mut self, deployment: &str, created: DateTime<Utc>, ready: bool) -> String {
        let Some(dep) = self.deployments.get(deployment).cloned() else { return String::new() };
        let name = format!("{deployment}-{}-{}", dep.template_hash, self.token(5));
        let node = format!("ip-10-0-{}-{}", self.rng.u8(1..4), self.rng.u8(10..250));
        let state = if ready {
            ContainerState::Running { since: created }
        } else {
            ContainerState::Waiting { reason: "ContainerCreating".into(), message: None }
        };
        let pod = Pod {
            namespace: NAMESPACE.into(),
            name: name.clone(),
            deployment: Some(deployment.to_string()),
            phase: if ready { "Running".into() } else { "Pending".into() },
            node: Some(node),
            created,
            containers: vec![Container {
                name: deployment.to_string(),
                image: dep.image.clone(),
                ready,
                restarts: 0,
                state,
                last_termination: None,
            }],
            restart_times: Vec::new(),
            reason: None,
            deleting: false,
        };
        self.pods.insert(name.clone(), pod);
        self.changed_pods.push(name.clone());
        if !ready {
            self.pending.push((self.now + secs(4), Pending::PodReady(name.clone())));
        }
        name
    }

    fn primary(&self) -> DbInstance {
        DbInstance {
            id: PRIMARY.into(),
            status: "available".into(),
            class: "db.r6g.xlarge".into(),
            engine: "postgres".into(),
            engine_version: "15.5".into(),
            multi_az: false,
            az: "eu-west-1a".into(),
            secondary_az: None,
            endpoint: format!("{PRIMARY}.c9akciq32.eu-west-1.rds.amazonaws.com:5432"),
            allocated_gib: 500,
            free_gib: 212.4,
            replica_of: None,
            cluster: Some(CLUSTER.into()),
            replicas: vec![REPLICA.into()],
            replica_lag_s: None,
            pending_modifications: Vec::new(),
            backup_retention_days: 7,
            arn: format!("arn:aws:rds:eu-west-1:123456789012:db:{PRIMARY}"),
            cpu: Vec::new(),
            connections: Vec::new(),
            free_storage: Vec::new(),
        }
    }

    /// A standalone Multi-AZ MySQL instance that stays healthy.
    fn billing(&self) -> DbInstance {
        DbInstance {
            id: BILLING.into(),
            class: "db.m6g.large".into(),
            engine: "mysql".into(),
            engine_version: "8.0.36".into(),
            multi_az: true,
            az: "eu-west-1b".into(),
            secondary_az: Some("eu-west-1a".into()),
            endpoint: format!("{BILLING}.c9akciq32.eu-west-1.rds.amazonaws.com:3306"),
            allocated_gib: 200,
            free_gib: 141.7,
            cluster: None,
            replicas: Vec::new(),
            backup_retention_days: 14,
            arn: format!("arn:aws:rds:eu-west-1:123456789012:db:{BILLING}"),
            ..self.primary()
        }
    }

    fn replica(&self) -> DbInstance {
        DbInstance {
            id: REPLICA.into(),
            class: "db.r6g.large".into(),
            multi_az: false,
            az: "eu-west-1c".into(),
            secondary_az: None,
            endpoint: format!("{REPLICA}.c9akciq32.eu-west-1.rds.amazonaws.com:5432"),
            replica_of: Some(PRIMARY.into()),
            replicas: Vec::new(),
            replica_lag_s: Some(0.4),
            arn: format!("arn:aws:rds:eu-west-1:123456789012:db:{REPLICA}"),
            ..self.primary()
        }
    }

    /// The database load the scenario calls for at this moment (0..=1).
    fn load(&self) -> f64 {
        let e = self.elapsed() as f64;
        let rise = ((e - 22.0) / 18.0).clamp(0.0, 1.0);
        match self.fixed_at {
            Some(t) => {
                let since = (self.now - t).num_seconds() as f64;
                rise * (1.0 - since / 20.0).clamp(0.0, 1.0)
            }
            None => rise,
        }
    }

    fn sample_metrics(&mut self) {
        let load = self.load();
        let noise = self.rng.f64() * 4.0 - 2.0;
        let lag_noise = self.rng.f64() * 0.4;
        for db in &mut self.dbs {
            // The orders cluster's writer carries the incident's load.
            let in_orders = db.cluster.as_deref() == Some(CLUSTER);
            let primary = db.replica_of.is_none();
            let (base_cpu, peak_cpu, base_conns, peak_conns) = match (in_orders, primary) {
                (true, true) => (18.0, 94.0, 120.0, 480.0),
                (true, false) => (9.0, 41.0, 24.0, 54.0),
                (false, _) => (12.0, 14.0, 40.0, 44.0),
            };
            let cpu = (base_cpu + (peak_cpu - base_cpu) * load + noise).clamp(0.0, 100.0);
            let conns = base_conns + (peak_conns - base_conns) * load + noise * 3.0;
            push_capped(&mut db.cpu, (cpu * 10.0).round() / 10.0);
            push_capped(&mut db.connections, conns.round().max(0.0));
            let growth = if in_orders { 0.01 + 0.05 * load } else { 0.002 };
            db.free_gib = (db.free_gib - growth).max(0.0);
            push_capped(&mut db.free_storage, (db.free_gib * 10.0).round() / 10.0);
            if !primary {
                db.replica_lag_s = Some(((0.3 + lag_noise + 14.0 * load) * 10.0).round() / 10.0);
            }
        }
        self.dirty[1] = true;
    }

    /// Emits the current full state of every source (a fresh subscriber).
    pub fn snapshot(&mut self) -> Vec<SourceUpdate> {
        self.dirty = [true; 4];
        self.changed_pods.clear();
        self.deleted_pods.clear();
        // Watches say nothing while nothing changes; polls come every
        // `POLL` and are stale after two missed ones.
        let mut out: Vec<SourceUpdate> = [
            (FeedId::Pods, None),
            (FeedId::Deployments, None),
            (FeedId::KubeEvents, None),
            (FeedId::DbInstances, Some(POLL)),
            (FeedId::Alarms, Some(POLL)),
            (FeedId::TrailEvents, Some(POLL)),
        ]
        .into_iter()
        .map(|(feed, expected)| SourceUpdate::signal(feed, self.now, FeedSignal::Live { expected }))
        .collect();
        out.push(self.data(FeedData::Pods(Delta::Reset(self.pods.values().cloned().collect()))));
        out.extend(self.kube_side_updates());
        out.push(self.data(FeedData::DbInstances(Delta::Reset(self.dbs.clone()))));
        out.push(self.data(FeedData::Alarms(Delta::Reset(self.alarms.clone()))));
        let trail = std::mem::take(&mut self.new_trail);
        out.push(self.data(FeedData::TrailEvents(Delta::Upsert(trail))));
        self.dirty = [false; 4];
        out
    }

    fn data(&self, data: FeedData) -> SourceUpdate {
        SourceUpdate::data(self.now, data)
    }

    fn kube_side_updates(&self) -> Vec<SourceUpdate> {
        let deployments = self
            .deployments
            .iter()
            .map(|(name, d)| {
                let pods: Vec<&Pod> = self.pods.values().filter(|p| p.deployment.as_deref() == Some(name)).collect();
                Deployment {
                    namespace: NAMESPACE.into(),
                    name: name.clone(),
                    desired: d.desired,
                    ready: pods.iter().filter(|p| !p.deleting && p.containers.iter().all(|c| c.ready)).count() as u32,
                    updated: pods.iter().filter(|p| p.name.contains(&d.template_hash)).count() as u32,
                }
            })
            .collect();
        let mut events = self.events.clone();
        events.sort_by_key(|e| std::cmp::Reverse(e.last_seen));
        events.truncate(50);
        vec![
            self.data(FeedData::Deployments(Delta::Reset(deployments))),
            self.data(FeedData::KubeEvents(Delta::Reset(events))),
        ]
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
        if self.dirty[0] {
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
        if self.dirty[1] {
            out.push(self.data(FeedData::DbInstances(Delta::Reset(self.dbs.clone()))));
        }
        if self.dirty[2] {
            out.push(self.data(FeedData::Alarms(Delta::Reset(self.alarms.clone()))));
        }
        if self.dirty[3] {
            out.extend(self.poll_trail());
        }
        self.dirty = [false; 4];
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
            self.dirty[1] |= self.dbs.iter().any(|d| d.status != "available");
        }
        // The AWS panels are polled: every poll is fresh data, even when
        // nothing changed.
        if e % 10 == 0 {
            self.dirty[2] = true;
            self.dirty[3] = true;
        }
        // A failed CloudTrail poll is retried when its backoff says.
        if self.trail_retry_at.is_some_and(|t| t <= self.now) {
            self.dirty[3] = true;
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

    /// One LookupEvents poll. It is throttled for a while (the API allows
    /// 2 calls a second per account): the feed fails with the attempt and
    /// the retry time the backoff policy gives, events wait in the world,
    /// and every other panel carries on.
    fn poll_trail(&mut self) -> Option<SourceUpdate> {
        if self.trail_retry_at.is_some_and(|t| self.now < t) {
            return None;
        }
        if self.trail_throttled() {
            self.trail_attempt += 1;
            let delay = ErrorKind::Throttled.retry_delay(self.trail_attempt, 0.0);
            let next = self.now + TimeDelta::from_std(delay).unwrap_or(TimeDelta::MAX);
            self.trail_retry_at = Some(next);
            let error = SourceError::new(ErrorKind::Throttled, "ThrottlingException: Rate exceeded");
            let signal = FeedSignal::Failed { error, attempt: self.trail_attempt, next_retry: Some(next) };
            return Some(SourceUpdate::signal(FeedId::TrailEvents, self.now, signal));
        }
        self.trail_attempt = 0;
        self.trail_retry_at = None;
        let new = std::mem::take(&mut self.new_trail);
        Some(self.data(FeedData::TrailEvents(Delta::Upsert(new))))
    }

    fn trail_throttled(&self) -> bool {
        (45..=53).contains(&self.elapsed())
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
                        self.dirty[0] = true;
                    }
                    if broken {
                        self.crash(&name);
                    }
                }
                Pending::PodGone(name) => {
                    if self.pods.remove(&name).is_some() {
                        self.deleted_pods.push(name);
                        self.dirty[0] = true;
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
                            db.replica_lag_s = None;
                        } else {
                            db.replica_of = Some(to.clone());
                            db.replica_lag_s = Some(0.5);
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
                    self.dirty[1] = true;
                }
                Pending::DbAvailable { id, swap_az, promote } => {
                    if let Some(db) = self.dbs.iter_mut().find(|d| d.id == id) {
                        db.status = "available".into();
                        if swap_az && let Some(sec) = db.secondary_az.take() {
                            db.secondary_az = Some(std::mem::replace(&mut db.az, sec));
                        }
                        if promote {
                            db.replica_of = None;
                            db.replica_lag_s = None;
                        }
                    }
                    if promote {
                        for db in &mut self.dbs {
                            db.replicas.retain(|r| *r != id);
                        }
                    }
                    self.dirty[1] = true;
                }
            }
        }
    }

    fn pod_broken(&self, name: &str) -> bool {
        self.pods
            .get(name)
            .and_then(|p| p.deployment.as_ref())
            .and_then(|d| self.deployments.get(d))
            .is_some_and(|d| d.broken)
    }

    fn crash(&mut self, name: &str) {
        let now = self.now;
        let oom = self.rng.u8(0..4) == 0;
        let Some(pod) = self.pods.get_mut(name) else { return };
        for c in &mut pod.containers {
            c.ready = false;
            c.restarts += 1;
            c.last_termination = Some(Termination {
                reason: if oom { "OOMKilled".into() } else { "Error".into() },
                exit_code: if oom { 137 } else { 1 },
                finished: Some(now),
            });
            c.state = ContainerState::Waiting {
                reason: "CrashLoopBackOff".into(),
                message: Some(format!("back-off 10s restarting failed container={} pod={name}", c.name)),
            };
        }
        pod.restart_times.push(now);
        self.changed_pods.push(name.to_string());
        self.dirty[0] = true;
        self.warning(name, "BackOff", "Back-off restarting failed container");
        let msg = if oom {
            "Container backend was OOMKilled (exit code 137, limit 512Mi)".to_string()
        } else {
            "Liveness probe failed: HTTP probe failed with statuscode: 503".to_string()
        };
        self.warning(name, if oom { "OOMKilling" } else { "Unhealthy" }, &msg);
    }

    fn crashloop_restarts(&mut self) {
        let now = self.now;
        let due: Vec<String> = self
            .pods
            .values()
            .filter(|p| p.status() == "CrashLoopBackOff" && !p.deleting)
            .filter(|p| {
                let n = p.restarts().min(5);
                let backoff = 10 * (1 << (n - 1).min(3)) as i64;
                p.restart_times.last().is_some_and(|t| now - *t >= secs(backoff.min(60)))
            })
            .map(|p| p.name.clone())
            .collect();
        for name in due {
            self.crash(&name);
        }
    }

    fn warning(&mut self, pod: &str, reason: &str, message: &str) {
        let object = format!("Pod/{pod}");
        if let Some(ev) = self.events.iter_mut().find(|e| e.object == object && e.reason == reason) {
            ev.count += 1;
            ev.last_seen = self.now;
        } else {
            self.events.push(KubeEvent {
                namespace: NAMESPACE.into(),
                object,
                reason: reason.into(),
                message: message.into(),
                count: 1,
                last_seen: self.now,
                warning: true,
            });
        }
        self.dirty[0] = true;
    }

    fn finish_rollout(&mut self, dep: &str) {
        let old: Vec<String> = self
            .pods
            .values()
            .filter(|p| p.deployment.as_deref() == Some(dep) && !p.deleting)
            .map(|p| p.name.clone())
            .collect();
        if dep == "backend" {
            self.fixed_at = Some(self.now);
            if let Some(d) = self.deployments.get_mut(dep) {
                d.broken = false;
            }
        }
        let hash = self.token(10);
        let desired = match self.deployments.get_mut(dep) {
            Some(d) => {
                d.template_hash = hash;
                d.desired
            }
            None => return,
        };
        for _ in 0..desired {
            let now = self.now;
            self.add_pod(dep, now, false);
        }
        for name in old {
            self.terminate(&name);
        }
        self.dirty[0] = true;
    }

    fn terminate(&mut self, name: &str) {
        if let Some(p) = self.pods.get_mut(name) {
            p.deleting = true;
            for c in &mut p.containers {
                c.ready = false;
            }
            self.changed_pods.push(name.to_string());
            self.pending.push((self.now + secs(3), Pending::PodGone(name.to_string())));
            self.dirty[0] = true;
        }
    }

    fn evaluate_alarms(&mut self) {
        let now = self.now;
        let dbs = self.dbs.clone();
        let crashing = self.pods.values().filter(|p| p.status() == "CrashLoopBackOff").count();
        let fixed_for = self.fixed_at.map(|t| (now - t).num_seconds());
        let mut changed = false;
        for alarm in &mut self.alarms {
            // RDS alarms read their instance's metric, as CloudWatch does.
            let db = alarm
                .dimensions
                .iter()
                .find(|(k, _)| k == "DBInstanceIdentifier")
                .and_then(|(_, id)| dbs.iter().find(|d| d.id == *id));
            let value = match (db, alarm.metric.as_str(), alarm.name.as_str()) {
                (Some(d), "CPUUtilization", _) => d.cpu.last().copied(),
                (Some(d), "DatabaseConnections", _) => d.connections.last().copied(),
                (Some(d), "ReplicaLag", _) => d.replica_lag_s,
                (Some(d), "FreeStorageSpace", _) => Some(d.free_gib),
                (_, _, "backend-5xx-rate") => Some(if crashing >= 2 {
                    14.2
                } else if fixed_for.is_some() {
                    0.3
                } else {
                    0.4
                }),
                (_, _, "api-p99-latency") => Some(if crashing >= 3 { 2.8 } else { 0.21 }),
                _ => None,
            };
            let Some(value) = value else { continue };
            let Some(breaches) = comparison_holds(&alarm.comparison, value, alarm.threshold) else { continue };
            let n = alarm.evaluation_periods.max(1) as usize;
            let points = self.alarm_points.entry(alarm.name.clone()).or_default();
            points.push((now, value));
            if points.len() > n {
                points.drain(..points.len() - n);
            }
            let breaching = points.len() == n
                && points.iter().all(|&(_, v)| comparison_holds(&alarm.comparison, v, alarm.threshold) == Some(true));
            // ALARM needs every evaluated datapoint breaching; one datapoint
            // back inside the threshold returns to OK, as CloudWatch does.
            let next = if breaching {
                AlarmState::Alarm
            } else if !breaches || alarm.state != AlarmState::Alarm {
                AlarmState::Ok
            } else {
                continue;
            };
            if next != alarm.state {
                alarm.reason = threshold_reason(alarm, points, next);
                alarm.state = next;
                alarm.since = now;
                changed = true;
            }
        }
        self.dirty[2] |= changed;
    }

    fn next_trail_id(&mut self) -> String {
        self.trail_seq += 1;
        // A version-4 UUID, as CloudTrail's event ids are.
        format!("{:08x}-{:04x}-4c1e-9d2a-{:012x}", self.rng.u32(..), self.rng.u16(..), self.trail_seq)
    }

    fn push_trail(&mut self, ev: TrailEvent) {
        self.new_trail.push(ev);
        self.dirty[3] = true;
    }

    #[allow(clippy::too_many_arguments)]
    fn trail_event(
        &mut self,
        time: DateTime<Utc>,
        name: &str,
        source: &str,
        user: &str,
        ip: &str,
        resource: &str,
        error: Option<&str>,
        read_only: bool,
    ) -> TrailEvent {
        let id = self.next_trail_id();
        let user_identity = if user == "root" {
            json!({"type": "Root", "arn": "arn:aws:iam::123456789012:root", "accountId": "123456789012"})
        } else {
            json!({
                "type": "AssumedRole",
                "arn": format!("arn:aws:sts::123456789012:assumed-role/{user}"),
                "accountId": "123456789012",
                "userName": user,
            })
        };
        let mut raw = json!({
            "eventVersion": "1.09",
            "userIdentity": user_identity,
            "eventTime": time.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "eventSource": source,
            "eventName": name,
            "awsRegion": "eu-west-1",
            "sourceIPAddress": ip,
            "userAgent": if name == "ConsoleLogin" { "Mozilla/5.0 (X11; Linux x86_64)" } else { "aws-cli/2.15.30" },
            "requestParameters": if resource.is_empty() { serde_json::Value::Null } else { json!({"resource": resource}) },
            "eventID": id,
            "readOnly": read_only,
            "eventType": if name == "ConsoleLogin" { "AwsConsoleSignIn" } else { "AwsApiCall" },
            "managementEvent": true,
            "recipientAccountId": "123456789012",
        });
        if let Some(code) = error {
            raw["errorMessage"] = json!(code);
            if name == "ConsoleLogin" {
                raw["responseElements"] = json!({"ConsoleLogin": "Failure"});
            } else {
                raw["errorCode"] = json!(code);
            }
        } else if name == "ConsoleLogin" {
            raw["responseElements"] = json!({"ConsoleLogin": "Success"});
        }
        TrailEvent {
            id,
            time,
            name: name.into(),
            source: source.into(),
            user: user.into(),
            source_ip: ip.into(),
            resource: resource.into(),
            error_code: error.map(str::to_string),
            read_only,
            raw: serde_json::to_string(&raw).unwrap_or_default(),
        }
    }

    fn trickle_event(&mut self, time: DateTime<Utc>) {
        const BENIGN: &[(&str, &str, &str, &str, bool)] = &[
            ("AssumeRole", "sts.amazonaws.com", "ci-deployer", "arn:aws:iam::123456789012:role/deploy", true),
            ("DescribeDBInstances", "rds.amazonaws.com", "grafana-reader", "orders-db", true),
            ("PutObject", "s3.amazonaws.com", "backup-agent", "shop-backups/orders/wal", false),
            ("GetSecretValue", "secretsmanager.amazonaws.com", "backend-irsa", "shop/orders-db", true),
            ("UpdateService", "ecs.amazonaws.com", "ci-deployer", "reporting", false),
            ("DescribeAlarms", "monitoring.amazonaws.com", "grafana-reader", "", true),
            ("CreateLogStream", "logs.amazonaws.com", "fluent-bit", "/eks/shop/backend", false),
            ("ConsoleLogin", "signin.amazonaws.com", "jane.doe", "", false),
        ];
        let (name, source, user, resource, ro) = BENIGN[self.rng.usize(0..BENIGN.len())];
        let ip = format!("10.0.{}.{}", self.rng.u8(1..4), self.rng.u8(10..250));
        let ev = self.trail_event(time, name, source, user, &ip, resource, None, ro);
        self.push_trail(ev);
    }

    fn failed_login(&mut self) {
        const USERS: &[&str] = &["admin", "root", "administrator", "ops", "jane.doe"];
        let user = USERS[self.rng.usize(0..USERS.len())];
        let now = self.now;
        let ev = self.trail_event(
            now,
            "ConsoleLogin",
            "signin.amazonaws.com",
            user,
            ATTACKER_IP,
            "",
            Some("Failed authentication"),
            false,
        );
        self.push_trail(ev);
    }

    fn record_own_call(&mut self, name: &str, source: &str, resource: &str) {
        let now = self.now;
        let ev = self.trail_event(now, name, source, "warroom-oncall", "10.0.1.5", resource, None, false);
        self.push_trail(ev);
    }

    /// Executes a confirmed action against the world.
    pub fn execute(&mut self, action: &Action) -> Result<Executed, String> {
        match &action.kind {
            ActionKind::CollectLogs { namespace, pod, container, previous } => {
                let p = self.pods.get(pod).ok_or_else(|| format!("pod {pod} not found"))?;
                let c = p
                    .containers
                    .iter()
                    .find(|c| c.name == *container)
                    .ok_or_else(|| format!("container {container} is not in pod {pod}"))?;
                let termination = if *previous {
                    Some(c.last_termination.as_ref().ok_or_else(|| {
                        format!("previous terminated container \"{container}\" in pod \"{pod}\" not found")
                    })?)
                } else {
                    None
                };
                let text = demo_logs(pod, termination, self.now);
                let lines = text.lines().count();
                let which = if *previous { "previous " } else { "" };
                Ok(Executed {
                    message: format!("collected {lines} lines of {pod}/{container} ({which}logs)"),
                    evidence: Some(Evidence { label: format!("{namespace}-{pod}-{container}"), text }),
                })
            }
            _ => self.change(action).map(Executed::message),
        }
    }

    /// Executes an action that changes the world.
    fn change(&mut self, action: &Action) -> Result<String, String> {
        let now = self.now;
        match &action.kind {
            ActionKind::CollectLogs { .. } => Err("collecting logs changes nothing".into()),
            ActionKind::RolloutRestart { deployment, .. } => {
                if !self.deployments.contains_key(deployment) {
                    return Err(format!("deployment {deployment} not found"));
                }
                // Kubernetes API calls are not CloudTrail events (EKS sends
                // them to its audit log): the Pods panel shows the effect.
                self.pending.push((now + secs(6), Pending::RolloutDone(deployment.clone())));
                Ok(format!("deployment.apps/{deployment} restarted"))
            }
            ActionKind::Scale { deployment, to, .. } => {
                let current: Vec<String> = self
                    .pods
                    .values()
                    .filter(|p| p.deployment.as_deref() == Some(deployment.as_str()) && !p.deleting)
                    .map(|p| p.name.clone())
                    .collect();
                let d =
                    self.deployments.get_mut(deployment).ok_or_else(|| format!("deployment {deployment} not found"))?;
                d.desired = *to;
                let want = *to as usize;
                if current.len() < want {
                    for _ in current.len()..want {
                        self.add_pod(deployment, now, false);
                    }
                } else {
                    for name in current.iter().rev().take(current.len() - want) {
                        self.terminate(name);
                    }
                }
                self.dirty[0] = true;
                Ok(format!("deployment.apps/{deployment} scaled to {to}"))
            }
            ActionKind::DeletePod { pod, .. } => {
                let dep = self.pods.get(pod).ok_or_else(|| format!("pod {pod} not found"))?.deployment.clone();
                self.terminate(pod);
                if let Some(dep) = dep {
                    self.add_pod(&dep, now, false);
                }
                Ok(format!("pod \"{pod}\" deleted"))
            }
            ActionKind::RebootDb { id } | ActionKind::FailoverDb { id } => {
                let failover = matches!(action.kind, ActionKind::FailoverDb { .. });
                let db =
                    self.dbs.iter_mut().find(|d| d.id == *id).ok_or_else(|| format!("DB instance {id} not found"))?;
                if db.status != "available" {
                    return Err(format!("InvalidDBInstanceState: instance {id} is {}, not available", db.status));
                }
                if failover && !db.multi_az {
                    return Err(format!("InvalidParameterCombination: {id} is not Multi-AZ; cannot force failover"));
                }
                db.status = "rebooting".into();
                let delay = if failover { 15 } else { 12 };
                self.pending.push((
                    now + secs(delay),
                    Pending::DbAvailable { id: id.clone(), swap_az: failover, promote: false },
                ));
                self.dirty[1] = true;
                self.record_own_call("RebootDBInstance", "rds.amazonaws.com", id);
                Ok(format!("{id} is rebooting{}", if failover { " with failover" } else { "" }))
            }
            ActionKind::SnapshotDb { id, snapshot_id } => {
                let db = self.dbs.iter().find(|d| d.id == *id).ok_or_else(|| format!("DB instance {id} not found"))?;
                if let Some(cluster) = &db.cluster {
                    return Err(format!(
                        "InvalidParameterValue: {id} is a member of cluster {cluster}; \
                         snapshot the cluster (CreateDBClusterSnapshot)"
                    ));
                }
                self.record_own_call("CreateDBSnapshot", "rds.amazonaws.com", snapshot_id);
                Ok(format!("snapshot {snapshot_id} is creating"))
            }
            ActionKind::SnapshotCluster { cluster, snapshot_id } => {
                if !self.dbs.iter().any(|d| d.cluster.as_ref() == Some(cluster)) {
                    return Err(format!("DBClusterNotFoundFault: cluster {cluster} not found"));
                }
                self.record_own_call("CreateDBClusterSnapshot", "rds.amazonaws.com", snapshot_id);
                Ok(format!("cluster snapshot {snapshot_id} is creating"))
            }
            ActionKind::FailoverCluster { cluster, to } => {
                let members: Vec<&DbInstance> =
                    self.dbs.iter().filter(|d| d.cluster.as_ref() == Some(cluster)).collect();
                if members.is_empty() {
                    return Err(format!("DBClusterNotFoundFault: cluster {cluster} not found"));
                }
                if let Some(busy) = members.iter().find(|d| d.status != "available") {
                    return Err(format!("InvalidDBClusterStateFault: {} is {}", busy.id, busy.status));
                }
                match members.iter().find(|d| d.id == *to) {
                    None => return Err(format!("InvalidParameterValue: {to} is not a member of {cluster}")),
                    Some(d) if d.replica_of.is_none() => {
                        return Err(format!("InvalidParameterValue: {to} is already the writer of {cluster}"));
                    }
                    Some(_) => {}
                }
                for db in self.dbs.iter_mut().filter(|d| d.cluster.as_ref() == Some(cluster)) {
                    db.status = "rebooting".into();
                }
                self.pending
                    .push((now + secs(15), Pending::ClusterFailedOver { cluster: cluster.clone(), to: to.clone() }));
                self.dirty[1] = true;
                self.record_own_call("FailoverDBCluster", "rds.amazonaws.com", cluster);
                Ok(format!("cluster {cluster} is failing over to {to}"))
            }
            ActionKind::PromoteReplica { id } => {
                let db =
                    self.dbs.iter_mut().find(|d| d.id == *id).ok_or_else(|| format!("DB instance {id} not found"))?;
                if db.replica_of.is_none() || db.cluster.is_some() {
                    return Err(format!("InvalidDBInstanceState: {id} is not a read replica"));
                }
                db.status = "modifying".into();
                self.pending
                    .push((now + secs(10), Pending::DbAvailable { id: id.clone(), swap_az: false, promote: true }));
                self.dirty[1] = true;
                self.record_own_call("PromoteReadReplica", "rds.amazonaws.com", id);
                Ok(format!("{id} is being promoted to a standalone instance"))
            }
            ActionKind::SetAlarmActions { alarm, enabled } => {
                let a = self
                    .alarms
                    .iter_mut()
                    .find(|a| a.name == *alarm)
                    .ok_or_else(|| format!("alarm {alarm} not found"))?;
                a.actions_enabled = *enabled;
                self.dirty[2] = true;
                let verb = if *enabled { "EnableAlarmActions" } else { "DisableAlarmActions" };
                self.record_own_call(verb, "monitoring.amazonaws.com", alarm);
                Ok(format!("actions {} for {alarm}", if *enabled { "enabled" } else { "disabled" }))
            }
        }
    }
}

/// Whether `value` breaches `threshold` under a CloudWatch comparison
/// operator; `None` for operators the demo does not use.
fn comparison_holds(comparison: &str, value: f64, threshold: f64) -> Option<bool> {
    match comparison {
        "GreaterThanOrEqualToThreshold" => Some(value >= threshold),
        "GreaterThanThreshold" => Some(value > threshold),
        "LessThanThreshold" => Some(value < threshold),
        "LessThanOrEqualToThreshold" => Some(value <= threshold),
        _ => None,
    }
}

fn comparison_words(comparison: &str) -> &'static str {
    match comparison {
        "GreaterThanOrEqualToThreshold" => "greater than or equal to",
        "GreaterThanThreshold" => "greater than",
        "LessThanThreshold" => "less than",
        "LessThanOrEqualToThreshold" => "less than or equal to",
        _ => "compared with",
    }
}

/// The state reason CloudWatch writes for a threshold transition, from the
/// datapoints evaluated (newest last): every datapoint of the evaluation
/// periods for ALARM, the newest one for the way back to OK.
fn threshold_reason(alarm: &Alarm, points: &[(DateTime<Utc>, f64)], to: AlarmState) -> String {
    let n = alarm.evaluation_periods.max(1);
    let op = comparison_words(&alarm.comparison);
    let threshold = alarm.threshold;
    let fmt = |pts: &[(DateTime<Utc>, f64)]| {
        pts.iter()
            .rev()
            .map(|(t, v)| format!("{v:.1} ({})", t.format("%d/%m/%y %H:%M:%S")))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let plural = |k: u32| if k == 1 { "datapoint" } else { "datapoints" };
    if to == AlarmState::Alarm {
        let shown = &points[points.len().saturating_sub(n as usize)..];
        if n == 1 {
            return format!("Threshold Crossed: 1 datapoint [{}] was {op} the threshold ({threshold:.1}).", fmt(shown));
        }
        format!(
            "Threshold Crossed: {n} out of the last {n} datapoints [{}] were {op} the threshold ({threshold:.1}) \
             (minimum {n} {} for OK -> ALARM transition).",
            fmt(shown),
            plural(n)
        )
    } else {
        let shown = &points[points.len().saturating_sub(1)..];
        if n == 1 {
            return format!(
                "Threshold Crossed: 1 datapoint [{}] was not {op} the threshold ({threshold:.1}).",
                fmt(shown)
            );
        }
        format!(
            "Threshold Crossed: 1 out of the last {n} datapoints [{}] was not {op} the threshold ({threshold:.1}) \
             (minimum 1 datapoint for ALARM -> OK transition).",
            fmt(shown)
        )
    }
}

/// The log tail a container in the demo writes: request lines, and for a
/// container that terminated, what it said before it died.
fn demo_logs(pod: &str, termination: Option<&crate::model::Termination>, now: DateTime<Utc>) -> String {
    let end = termination.and_then(|t| t.finished).unwrap_or(now);
    let ending: &[&str] = match termination {
        Some(t) if t.reason == "OOMKilled" => {
            &["level=warn msg=\"heap usage high\" heap_mb=1843 limit_mb=2048", "fatal error: runtime: out of memory"]
        }
        Some(_) => &[
            "level=error msg=\"connecting to orders-db\" err=\"pq: too many connections for role \\\"backend\\\"\"",
            "level=error msg=\"health check failed\" check=database",
            "panic: pq: too many connections for role \"backend\"",
            "goroutine 1 [running]:",
            "main.main()",
            "\t/src/cmd/backend/main.go:88 +0x2b4",
        ],
        None => &[],
    };
    let started = if termination.is_some() { 118 } else { LOG_TAIL_LINES };
    let body = started.min(LOG_TAIL_LINES - ending.len());
    let mut out = String::new();
    for i in 0..body + ending.len() {
        let at = end - TimeDelta::milliseconds(((body + ending.len() - i) * 740) as i64);
        let stamp = at.format("%Y-%m-%dT%H:%M:%S%.3fZ");
        let line = match (i, ending.get(i.wrapping_sub(body))) {
            (_, Some(last)) => (*last).to_string(),
            (0, _) if termination.is_some() => format!("level=info msg=\"starting\" pod={pod} version=1.18.4"),
            (_, _) if i % 9 == 4 => "level=info msg=\"GET /healthz\" status=200 duration_ms=1.2".to_string(),
            _ => format!(
                "level=info msg=\"{} /api/orders/{}\" status=200 duration_ms={}.{}",
                if i % 5 == 0 { "POST" } else { "GET" },
                40_000 + i * 37 % 9_000,
                3 + i * 13 % 40,
                i * 7 % 10
            ),
        };
        // The service logs logfmt with a timestamp; a Go panic does not.
        if line.starts_with("level=") {
            out.push_str(&format!("ts={stamp} {line}\n"));
        } else {
            out.push_str(&format!("{line}\n"));
        }
    }
    out
}

fn push_capped(v: &mut Vec<f64>, x: f64) {
    if v.len() >= METRIC_POINTS {
        v.remove(0);
    }
    v.push(x);
}

fn initial_alarms(since: DateTime<Utc>) -> Vec<Alarm> {
    let mk = |name: &str, ns: &str, metric: &str, dim: (&str, &str), stat: &str, cmp: &str, threshold: f64| Alarm {
        name: name.into(),
        state: AlarmState::Ok,
        since,
        reason: format!("Threshold Crossed: no datapoints were breaching the threshold ({threshold:.1})."),
        namespace: ns.into(),
        metric: metric.into(),
        dimensions: vec![(dim.0.into(), dim.1.into())],
        statistic: stat.into(),
        comparison: cmp.into(),
        threshold,
        period_s: 60,
        evaluation_periods: 3,
        actions_enabled: true,
        alarm_actions: vec!["arn:aws:sns:eu-west-1:123456789012:oncall-pager".into()],
    };
    let ge = "GreaterThanOrEqualToThreshold";
    let mut alarms = vec![
        mk("orders-db-high-cpu", "AWS/RDS", "CPUUtilization", ("DBInstanceIdentifier", PRIMARY), "Average", ge, 80.0),
        mk(
            "orders-db-connections-high",
            "AWS/RDS",
            "DatabaseConnections",
            ("DBInstanceIdentifier", PRIMARY),
            "Maximum",
            ge,
            400.0,
        ),
        mk(
            "orders-db-free-storage-low",
            "AWS/RDS",
            "FreeStorageSpace",
            ("DBInstanceIdentifier", PRIMARY),
            "Minimum",
            "LessThanThreshold",
            50.0,
        ),
        mk("orders-db-replica-lag", "AWS/RDS", "ReplicaLag", ("DBInstanceIdentifier", REPLICA), "Maximum", ge, 10.0),
        mk(
            "backend-5xx-rate",
            "AWS/ApplicationELB",
            "HTTPCode_Target_5XX_Count",
            ("TargetGroup", "shop-backend"),
            "Sum",
            ge,
            5.0,
        ),
        mk("api-p99-latency", "AWS/ApplicationELB", "TargetResponseTime", ("TargetGroup", "shop-api"), "p99", ge, 1.5),
        mk(
            "alb-unhealthy-hosts",
            "AWS/ApplicationELB",
            "UnHealthyHostCount",
            ("LoadBalancer", "shop-alb"),
            "Maximum",
            ge,
            1.0,
        ),
        mk(
            "worker-queue-depth",
            "AWS/SQS",
            "ApproximateNumberOfMessagesVisible",
            ("QueueName", "orders"),
            "Average",
            ge,
            5000.0,
        ),
        mk(
            "worker-dlq-messages",
            "AWS/SQS",
            "ApproximateNumberOfMessagesVisible",
            ("QueueName", "orders-dlq"),
            "Sum",
            ge,
            1.0,
        ),
        mk(
            "frontend-4xx-rate",
            "AWS/CloudFront",
            "4xxErrorRate",
            ("DistributionId", "E2QWRUHAPOMQZL"),
            "Average",
            ge,
            5.0,
        ),
        mk(
            "nat-gateway-errors",
            "AWS/NATGateway",
            "ErrorPortAllocation",
            ("NatGatewayId", "nat-0a1b2c3d"),
            "Sum",
            ge,
            1.0,
        ),
        mk("billing-estimated-charges", "AWS/Billing", "EstimatedCharges", ("Currency", "USD"), "Maximum", ge, 25000.0),
        mk("billing-db-high-cpu", "AWS/RDS", "CPUUtilization", ("DBInstanceIdentifier", BILLING), "Average", ge, 80.0),
    ];
    // One alarm nobody has fed for a while: insufficient data is normal in
    // real accounts and the panel must show it.
    if let Some(a) = alarms.iter_mut().find(|a| a.name == "nat-gateway-errors") {
        a.state = AlarmState::InsufficientData;
        a.reason = "Insufficient Data: 3 datapoints were unknown.".into();
    }
    alarms
}

/// Commands to the running demo task.
struct Execute {
    action: Action,
    reply: oneshot::Sender<Result<Executed, ActionError>>,
}

/// Executes actions by sending them to the demo task that owns the world.
#[derive(Clone)]
pub struct DemoExecutor {
    tx: mpsc::Sender<Execute>,
}

impl Executor for DemoExecutor {
    fn execute(&self, action: Action) -> Execution {
        let tx = self.tx.clone();
        let stopped = || ActionError::Unavailable { message: "demo environment stopped".into() };
        Box::pin(async move {
            let (reply, rx) = oneshot::channel();
            tx.send(Execute { action, reply }).await.map_err(|_| stopped())?;
            rx.await.map_err(|_| stopped())?
        })
    }
}

/// What survives a restart of the demo's task: the world and the queue of
/// actions to execute, so a panic never resets the scenario or strands the
/// executor.
struct Shared {
    world: std::sync::Mutex<DemoWorld>,
    commands: tokio::sync::Mutex<mpsc::Receiver<Execute>>,
}

impl Shared {
    fn world(&self) -> std::sync::MutexGuard<'_, DemoWorld> {
        // A panic inside the world leaves it as it was at that moment.
        self.world.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Starts the demo world as a supervised task sending updates on
/// `updates`; returns the executor that acts on it.
pub fn spawn(seed: u64, clock: Arc<dyn Clock>, updates: mpsc::Sender<SourceUpdate>) -> DemoExecutor {
    let (tx, rx) = mpsc::channel::<Execute>(16);
    let shared = Arc::new(Shared {
        world: std::sync::Mutex::new(DemoWorld::new(seed, clock.now())),
        commands: tokio::sync::Mutex::new(rx),
    });
    let run_clock = clock.clone();
    super::supervisor::supervise(&FEEDS, updates, clock, move |updates| {
        Box::pin(run(shared.clone(), run_clock.clone(), updates))
    });
    DemoExecutor { tx }
}

/// The demo's task: everything as it is now, then changes every 200 ms
/// and after each action.
async fn run(shared: Arc<Shared>, clock: Arc<dyn Clock>, updates: mpsc::Sender<SourceUpdate>) {
    let snapshot = shared.world().snapshot();
    for u in snapshot {
        if updates.send(u).await.is_err() {
            return;
        }
    }
    let mut commands = shared.commands.lock().await;
    let mut tick = tokio::time::interval(Duration::from_millis(200));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        let out = tokio::select! {
            _ = tick.tick() => shared.world().advance(clock.now()),
            cmd = commands.recv() => {
                let Some(cmd) = cmd else { return };
                let mut world = shared.world();
                let mut out = world.advance(clock.now());
                let _ = cmd.reply.send(world.execute(&cmd.action).map_err(ActionError::rejected));
                out.extend(world.drain_changes());
                out
            }
        };
        for u in out {
            if updates.send(u).await.is_err() {
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::Scope;
    use crate::model::Health;
    use crate::state::FeedEvent;

    fn t0() -> DateTime<Utc> {
        DateTime::from_timestamp(1_767_225_600, 0).unwrap()
    }

    /// The CloudTrail events a batch of updates delivers.
    fn trail_events(out: &[SourceUpdate]) -> Vec<TrailEvent> {
        out.iter()
            .filter_map(|u| match &u.event {
                FeedEvent::Data(FeedData::TrailEvents(Delta::Upsert(e))) => Some(e.clone()),
                _ => None,
            })
            .flatten()
            .collect()
    }

    fn world_at(seconds: i64) -> DemoWorld {
        let mut w = DemoWorld::new(7, t0());
        w.advance(t0() + secs(seconds));
        w
    }

    #[test]
    fn starts_healthy() {
        let w = DemoWorld::new(7, t0());
        assert_eq!(w.pods.len(), 14);
        assert!(w.pods.values().all(|p| p.health() == Health::Ok));
        assert_eq!(w.alarms.len(), 13);
        assert_eq!(w.alarms.iter().filter(|a| a.state == AlarmState::Ok).count(), 12, "a dozen alarms OK");
        assert!(w.alarms.iter().all(|a| a.state != AlarmState::Alarm));
        assert_eq!(w.dbs.len(), 3);
        assert!(w.dbs.iter().all(|d| d.status == "available"));
    }

    #[test]
    fn backend_crashloops_after_twenty_seconds() {
        let w = world_at(19);
        assert!(w.pods.values().all(|p| p.status() != "CrashLoopBackOff"));
        let w = world_at(60);
        let crashing: Vec<_> = w.pods.values().filter(|p| p.status() == "CrashLoopBackOff").collect();
        assert_eq!(crashing.len(), 4);
        assert!(crashing.iter().all(|p| p.deployment.as_deref() == Some("backend")));
        assert!(crashing.iter().all(|p| p.restarts() >= 2), "restarts rise");
        assert!(w.events.iter().any(|e| e.reason == "BackOff" && e.warning));
    }

    #[test]
    fn db_cpu_climbs_and_alarm_fires() {
        let w = world_at(60);
        let primary = w.dbs.iter().find(|d| d.id == PRIMARY).unwrap();
        assert!(*primary.cpu.last().unwrap() > 80.0);
        let cpu_alarm = w.alarms.iter().find(|a| a.name == "orders-db-high-cpu").unwrap();
        assert_eq!(cpu_alarm.state, AlarmState::Alarm);
        // The reason names as many datapoints as the alarm evaluates, and
        // every one of them breaches.
        assert_eq!(cpu_alarm.evaluation_periods, 3);
        assert!(
            cpu_alarm.reason.starts_with("Threshold Crossed: 3 out of the last 3 datapoints ["),
            "{}",
            cpu_alarm.reason
        );
        let inside = &cpu_alarm.reason[cpu_alarm.reason.find('[').unwrap() + 1..cpu_alarm.reason.find(']').unwrap()];
        let values: Vec<f64> = inside.split(", ").map(|p| p.split(' ').next().unwrap().parse().unwrap()).collect();
        assert_eq!(values.len(), 3, "{inside}");
        assert!(values.iter().all(|v| *v >= 80.0), "{values:?}");
    }

    #[test]
    fn alarms_fire_only_after_every_evaluation_period_breaches() {
        let mut w = DemoWorld::new(7, t0());
        let mut first_breach = None;
        let mut fired = None;
        for s in 1..=120 {
            w.advance(t0() + secs(s));
            let primary = w.dbs.iter().find(|d| d.id == PRIMARY).unwrap();
            if first_breach.is_none() && s % 5 == 0 && *primary.cpu.last().unwrap() >= 80.0 {
                first_breach = Some(s);
            }
            let alarm = w.alarms.iter().find(|a| a.name == "orders-db-high-cpu").unwrap();
            if fired.is_none() && alarm.state == AlarmState::Alarm {
                fired = Some(s);
            }
        }
        let (first_breach, fired) = (first_breach.unwrap(), fired.unwrap());
        assert!(fired >= first_breach + 10, "three evaluations 5 s apart: breach at {first_breach}, fired at {fired}");
    }

    #[test]
    fn threshold_reasons_read_like_cloudwatch() {
        let mut a = initial_alarms(t0()).into_iter().find(|a| a.name == "orders-db-high-cpu").unwrap();
        let pts = [(t0(), 81.0), (t0() + secs(60), 85.5), (t0() + secs(120), 90.25)];
        assert_eq!(
            threshold_reason(&a, &pts, AlarmState::Alarm),
            "Threshold Crossed: 3 out of the last 3 datapoints [90.2 (01/01/26 00:02:00), 85.5 (01/01/26 00:01:00), \
             81.0 (01/01/26 00:00:00)] were greater than or equal to the threshold (80.0) \
             (minimum 3 datapoints for OK -> ALARM transition)."
        );
        assert_eq!(
            threshold_reason(&a, &pts[..1], AlarmState::Ok),
            "Threshold Crossed: 1 out of the last 3 datapoints [81.0 (01/01/26 00:00:00)] was not greater than or \
             equal to the threshold (80.0) (minimum 1 datapoint for ALARM -> OK transition)."
        );
        a.evaluation_periods = 1;
        assert_eq!(
            threshold_reason(&a, &pts, AlarmState::Alarm),
            "Threshold Crossed: 1 datapoint [90.2 (01/01/26 00:02:00)] was greater than or equal to the threshold (80.0)."
        );
    }

    #[test]
    fn failed_logins_burst_from_one_ip() {
        let mut w = DemoWorld::new(7, t0());
        let events = trail_events(&w.advance(t0() + secs(65)));
        let failed = events.iter().filter(|e| e.name == "ConsoleLogin" && e.error_code.is_some()).count();
        assert!(failed >= 8, "{failed}");
        // Event ids are UUIDs, as CloudTrail's are.
        for e in &events {
            let groups: Vec<&str> = e.id.split('-').collect();
            let lens: Vec<usize> = groups.iter().map(|g| g.len()).collect();
            assert_eq!(lens, [8, 4, 4, 4, 12], "{}", e.id);
            assert!(groups.iter().all(|g| g.chars().all(|c| c.is_ascii_hexdigit())), "{}", e.id);
        }
        assert!(events.iter().filter(|e| e.error_code.is_some()).all(|e| e.source_ip == ATTACKER_IP));
    }

    #[test]
    fn cloudtrail_is_throttled_for_a_while_then_recovers() {
        let mut w = DemoWorld::new(7, t0());
        w.advance(t0() + secs(45));
        let trail = |out: Vec<SourceUpdate>| -> Vec<SourceUpdate> {
            out.into_iter().filter(|u| u.feed == FeedId::TrailEvents).collect()
        };
        // Polls fail with growing attempts, each retried when the backoff
        // policy says, and nothing else is sent meanwhile.
        let mut failures = Vec::new();
        for s in 45..=53 {
            for u in trail(w.advance(t0() + secs(s))) {
                match u.event {
                    FeedEvent::Signal(FeedSignal::Failed { error, attempt, next_retry }) => {
                        assert_eq!(error.kind, ErrorKind::Throttled);
                        failures.push((u.at, attempt, next_retry.unwrap()));
                    }
                    other => panic!("during throttling at {s}s: {other:?}"),
                }
            }
        }
        assert!(failures.len() >= 2, "{failures:?}");
        for (i, pair) in failures.windows(2).enumerate() {
            let ((_, a1, retry1), (at2, a2, retry2)) = (pair[0], pair[1]);
            assert_eq!(a2, a1 + 1);
            assert_eq!(at2, retry1, "retried exactly when announced");
            assert!(retry2 - at2 > retry1 - pair[0].0, "backoff grows ({i})");
        }
        let before_recovery = w.new_trail.len();
        assert!(before_recovery > 0, "events wait in the world");
        let after = trail(w.advance(t0() + secs(75)));
        let delivered = trail_events(&after).len();
        assert!(delivered >= before_recovery, "events held back during throttling are delivered");
        assert!(matches!(after.last().unwrap().event, FeedEvent::Data(_)), "recovered by 75 s");
    }

    #[test]
    fn deterministic_for_a_seed() {
        let a: Vec<_> = DemoWorld::new(3, t0()).advance(t0() + secs(45));
        let b: Vec<_> = DemoWorld::new(3, t0()).advance(t0() + secs(45));
        assert_eq!(a, b);
    }

    fn action(kind: ActionKind) -> Action {
        Action { kind, scope: Scope::default() }
    }

    #[test]
    fn rollout_restart_clears_the_crash_loop_and_recovers_the_db() {
        let mut w = world_at(60);
        let msg = w
            .execute(&action(ActionKind::RolloutRestart { namespace: NAMESPACE.into(), deployment: "backend".into() }))
            .unwrap();
        assert!(msg.message.contains("restarted"));
        w.advance(t0() + secs(75));
        let backend: Vec<_> = w.pods.values().filter(|p| p.deployment.as_deref() == Some("backend")).collect();
        assert!(backend.iter().all(|p| p.status() != "CrashLoopBackOff"), "{backend:#?}");
        assert_eq!(backend.iter().filter(|p| p.health() == Health::Ok).count(), 4);
        w.advance(t0() + secs(110));
        let cpu_alarm = w.alarms.iter().find(|a| a.name == "orders-db-high-cpu").unwrap();
        assert_eq!(cpu_alarm.state, AlarmState::Ok);
        assert!(w.pods.len() == 14, "old pods are gone");
    }

    #[test]
    fn scale_changes_replicas() {
        let mut w = world_at(5);
        w.execute(&action(ActionKind::Scale { namespace: NAMESPACE.into(), deployment: "api".into(), from: 4, to: 6 }))
            .unwrap();
        w.advance(t0() + secs(12));
        let api = w.pods.values().filter(|p| p.deployment.as_deref() == Some("api")).count();
        assert_eq!(api, 6);
        assert_eq!(w.deployments["api"].desired, 6);
    }

    fn db<'a>(w: &'a DemoWorld, id: &str) -> &'a DbInstance {
        w.dbs.iter().find(|d| d.id == id).unwrap()
    }

    #[test]
    fn reboot_goes_through_rebooting_and_back() {
        let mut w = world_at(5);
        w.execute(&action(ActionKind::RebootDb { id: PRIMARY.into() })).unwrap();
        assert_eq!(db(&w, PRIMARY).status, "rebooting");
        let err = w.execute(&action(ActionKind::RebootDb { id: PRIMARY.into() })).unwrap_err();
        assert!(err.contains("InvalidDBInstanceState"));
        w.advance(t0() + secs(25));
        assert_eq!(db(&w, PRIMARY).status, "available");
    }

    #[test]
    fn multi_az_failover_swaps_availability_zones() {
        let mut w = world_at(5);
        w.execute(&action(ActionKind::FailoverDb { id: BILLING.into() })).unwrap();
        w.advance(t0() + secs(25));
        let b = db(&w, BILLING);
        assert_eq!((b.status.as_str(), b.az.as_str()), ("available", "eu-west-1a"));
        assert_eq!(b.secondary_az.as_deref(), Some("eu-west-1b"));
    }

    #[test]
    fn cluster_failover_swaps_writer_and_reader() {
        let mut w = world_at(60);
        let fail = action(ActionKind::FailoverCluster { cluster: CLUSTER.into(), to: REPLICA.into() });
        assert!(w.execute(&fail).unwrap().message.contains("failing over"));
        assert_eq!(db(&w, PRIMARY).status, "rebooting");
        assert!(w.execute(&fail).unwrap_err().contains("InvalidDBClusterStateFault"));
        w.advance(t0() + secs(80));
        assert_eq!(db(&w, REPLICA).role(), "writer");
        assert_eq!(db(&w, PRIMARY).role(), "reader");
        assert_eq!(db(&w, PRIMARY).replica_of.as_deref(), Some(REPLICA));
        assert_eq!(db(&w, REPLICA).replicas, vec![PRIMARY.to_string()]);
        // The load follows the writer.
        w.advance(t0() + secs(90));
        assert!(db(&w, REPLICA).cpu.last().unwrap() > db(&w, PRIMARY).cpu.last().unwrap());
        let again = action(ActionKind::FailoverCluster { cluster: CLUSTER.into(), to: REPLICA.into() });
        assert!(w.execute(&again).unwrap_err().contains("already the writer"));
    }

    #[test]
    fn own_actions_appear_in_cloudtrail() {
        let mut w = world_at(5);
        w.advance(t0() + secs(5));
        w.execute(&action(ActionKind::SetAlarmActions { alarm: "api-p99-latency".into(), enabled: false })).unwrap();
        let trail = trail_events(&w.drain_changes());
        assert!(trail.iter().any(|e| e.name == "DisableAlarmActions" && e.user == "warroom-oncall"));
    }

    #[test]
    fn collecting_logs_hands_back_the_previous_instances_last_words() {
        let mut w = world_at(60);
        let crashing = w.pods.values().find(|p| p.status() == "CrashLoopBackOff").unwrap().name.clone();
        let healthy = w.pods.values().find(|p| p.deployment.as_deref() == Some("api")).unwrap().name.clone();
        let logs = |pod: &str, previous| {
            let container = pod.split('-').next().unwrap().to_string();
            action(ActionKind::CollectLogs { namespace: NAMESPACE.into(), pod: pod.into(), container, previous })
        };
        let done = w.execute(&logs(&crashing, true)).unwrap();
        let ev = done.evidence.expect("logs are evidence");
        assert_eq!(ev.label, format!("shop-{crashing}-backend"));
        let lines: Vec<&str> = ev.text.lines().collect();
        assert_eq!(done.message, format!("collected {} lines of {crashing}/backend (previous logs)", lines.len()));
        assert!(lines[0].starts_with("ts=") && lines[0].contains("msg=\"starting\""), "{}", lines[0]);
        let last = lines.iter().rev().find(|l| !l.starts_with(['\t', 'g', 'm'])).unwrap();
        assert!(
            last.starts_with("panic: pq: too many connections")
                || last.starts_with("fatal error: runtime: out of memory"),
            "{last}"
        );
        let healthy_logs = w.execute(&logs(&healthy, false)).unwrap().evidence.unwrap();
        assert_eq!(healthy_logs.text.lines().count(), LOG_TAIL_LINES);
        assert!(!healthy_logs.text.contains("panic"));
        // Like kubectl: a container that never terminated has no previous logs.
        let err = w.execute(&logs(&healthy, true)).unwrap_err();
        assert!(err.starts_with("previous terminated container"), "{err}");
        // Collecting changes nothing the panels show.
        assert!(trail_events(&w.drain_changes()).is_empty());
    }

    #[test]
    fn cluster_members_are_snapshotted_as_their_cluster() {
        let mut w = world_at(5);
        let err =
            w.execute(&action(ActionKind::SnapshotDb { id: PRIMARY.into(), snapshot_id: "s1".into() })).unwrap_err();
        assert!(err.contains("CreateDBClusterSnapshot"), "{err}");
        let ok = w
            .execute(&action(ActionKind::SnapshotCluster { cluster: CLUSTER.into(), snapshot_id: "orders-s2".into() }))
            .unwrap();
        assert_eq!(ok, Executed::message("cluster snapshot orders-s2 is creating"));
        w.execute(&action(ActionKind::SnapshotDb { id: BILLING.into(), snapshot_id: "billing-s3".into() })).unwrap();
        let names: Vec<(String, String)> =
            trail_events(&w.drain_changes()).into_iter().map(|e| (e.name, e.resource)).collect();
        assert!(names.contains(&("CreateDBClusterSnapshot".into(), "orders-s2".into())), "{names:?}");
        assert!(names.contains(&("CreateDBSnapshot".into(), "billing-s3".into())), "{names:?}");
        assert!(!names.iter().any(|(_, r)| r == "s1"), "a refused call records nothing: {names:?}");
    }

    #[test]
    fn unknown_targets_fail_cleanly() {
        let mut w = world_at(1);
        let err = w.execute(&action(ActionKind::DeletePod { namespace: NAMESPACE.into(), pod: "nope".into() }));
        assert_eq!(err.unwrap_err(), "pod nope not found");
    }
}
