//! What the console knows about the world, independent of any UI: the
//! updates sources send, each feed's status, and typed source errors.
//!
//! Nothing here depends on ratatui, crossterm or tokio, so checks and
//! tests can evaluate it without a terminal.
//!
//! # Updates
//!
//! A source sends [`SourceUpdate`]s for the feeds it owns: signals about
//! the connection ([`FeedSignal`]: connecting, syncing, live with the
//! interval data is expected at, failed with the retry time, stopped) and
//! data as [`Delta`]s:
//!
//! * `Reset(items)` — a complete list: items not in it disappear. AWS
//!   pollers send one per poll; a Kubernetes watch sends one per (re)list.
//! * `Upsert(items)` — items added or changed (or, for immutable records
//!   such as CloudTrail events, new ones).
//! * `Delete(keys)` — items gone.
//!
//! A kube-runtime watcher's events map onto this as follows: `Init`
//! signals *syncing*, `InitApply(obj)`s are sent as `Upsert`s a page at a
//! time (the first rows show while a long list still arrives), `InitDone`
//! sends a `Delete` of every key the previous list had and this one lacks
//! (then *live*), `Apply(obj)` sends `Upsert([obj])` and `Delete(obj)`
//! sends `Delete([key])`. That is a `Reset` scoped to one watcher, so
//! several namespaces' watchers can share a feed. A `410 Gone` makes the
//! watcher relist, which is again `Init` … `InitDone`: objects deleted
//! while the watch was down disappear.

pub mod error;
pub mod feed;
pub mod store;

use std::collections::HashMap;

use chrono::{DateTime, Utc};

pub use error::{ErrorKind, SourceError};
pub use feed::{Failure, Feed, FeedId, FeedPhase, FeedSignal, FeedStatus, Feeds, SourceId};
pub use store::{Changes, Item, Key, Store};

use crate::model::{
    Alarm, AwsCaller, Db, DbInstance, DbMetrics, Deployment, HoldupRank, KubeEvent, Pod, ReplicaSet, Revisions, Trail,
    TrailEvent, WarningGroup, group_warnings,
};

/// A change to one feed's items.
#[derive(Debug, Clone, PartialEq)]
pub enum Delta<T> {
    /// The complete set: whatever is not in it is gone.
    Reset(Vec<T>),
    /// Added or changed items.
    Upsert(Vec<T>),
    /// Keys of items that are gone.
    Delete(Vec<String>),
}

/// Data for one feed.
#[derive(Debug, Clone, PartialEq)]
pub enum FeedData {
    Pods(Delta<Pod>),
    Deployments(Delta<Deployment>),
    ReplicaSets(Delta<ReplicaSet>),
    /// Warning events; keyed by [`KubeEvent::key`].
    KubeEvents(Delta<KubeEvent>),
    DbInstances(Delta<DbInstance>),
    /// Keyed by the instance they describe.
    DbMetrics(Delta<DbMetrics>),
    Alarms(Delta<Alarm>),
    /// CloudTrail events are immutable: an upsert of a known id is ignored.
    TrailEvents(Delta<TrailEvent>),
    /// Keyed by the trail's ARN.
    Trails(Delta<Trail>),
}

impl FeedData {
    pub fn feed(&self) -> FeedId {
        match self {
            FeedData::Pods(_) => FeedId::Pods,
            FeedData::Deployments(_) => FeedId::Deployments,
            FeedData::ReplicaSets(_) => FeedId::ReplicaSets,
            FeedData::KubeEvents(_) => FeedId::KubeEvents,
            FeedData::DbInstances(_) => FeedId::DbInstances,
            FeedData::DbMetrics(_) => FeedId::DbMetrics,
            FeedData::Alarms(_) => FeedId::Alarms,
            FeedData::TrailEvents(_) => FeedId::TrailEvents,
            FeedData::Trails(_) => FeedId::TrailStatus,
        }
    }
}

/// What a source says about a feed.
#[derive(Debug, Clone, PartialEq)]
pub enum FeedEvent {
    Signal(FeedSignal),
    /// Data; the feed is live.
    Data(FeedData),
    /// Who the AWS source's credentials are: learned once it connects,
    /// for the whole source (see [`SourceUpdate::caller`]).
    Caller(AwsCaller),
}

/// One message from a source.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceUpdate {
    pub feed: FeedId,
    pub at: DateTime<Utc>,
    pub event: FeedEvent,
}

impl SourceUpdate {
    pub fn data(at: DateTime<Utc>, data: FeedData) -> Self {
        SourceUpdate { feed: data.feed(), at, event: FeedEvent::Data(data) }
    }

    pub fn signal(feed: FeedId, at: DateTime<Utc>, signal: FeedSignal) -> Self {
        SourceUpdate { feed, at, event: FeedEvent::Signal(signal) }
    }

    /// The AWS caller; it concerns every AWS feed, and travels as the
    /// alarms feed's (the first the AWS source serves).
    pub fn caller(at: DateTime<Utc>, caller: AwsCaller) -> Self {
        SourceUpdate { feed: FeedId::Alarms, at, event: FeedEvent::Caller(caller) }
    }
}

/// Most CloudTrail events kept in memory; older ones fall off.
pub const TRAIL_CAP: usize = 20_000;

/// The live state shared by panels, checks and the incident record: each
/// feed's status and items.
#[derive(Debug, Clone)]
pub struct LiveState {
    pub feeds: Feeds,
    pub pods: Store<Pod>,
    pub deployments: Store<Deployment>,
    /// The deployments' ReplicaSets, keyed `namespace/name`.
    pub replica_sets: Store<ReplicaSet>,
    /// Warning events, keyed by [`KubeEvent::key`].
    pub kube_events: Store<KubeEvent>,
    /// DB instances joined with their metrics: the instances feed decides
    /// which exist, the metrics feed fills in their numbers.
    pub dbs: Store<Db>,
    /// The metrics feed as delivered, including instances the instances
    /// feed has not described (yet).
    pub db_metrics: Store<DbMetrics>,
    pub alarms: Store<Alarm>,
    /// At most [`TRAIL_CAP`] events, the newest.
    pub trail: Store<TrailEvent>,
    /// The account's trails and whether they log.
    pub trails: Store<Trail>,
    /// Who the AWS credentials are, once the AWS source has asked.
    pub aws_caller: Option<AwsCaller>,
}

impl Default for LiveState {
    fn default() -> Self {
        LiveState {
            feeds: Feeds::default(),
            pods: Store::default(),
            deployments: Store::default(),
            replica_sets: Store::default(),
            kube_events: Store::default(),
            dbs: Store::default(),
            db_metrics: Store::default(),
            alarms: Store::default(),
            trail: Store::capped(TRAIL_CAP),
            trails: Store::default(),
            aws_caller: None,
        }
    }
}

/// What applying an update changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Applied {
    /// The feed's phase changed (connected, failed, recovered…).
    pub status: bool,
    /// The keys of the feed's items that changed.
    pub items: Changes,
}

impl LiveState {
    /// Applies one update to its feed's status and store.
    pub fn apply(&mut self, u: SourceUpdate) -> Applied {
        match u.event {
            FeedEvent::Signal(s) => Applied { status: self.feeds.signal(u.feed, u.at, s), items: Changes::default() },
            FeedEvent::Caller(c) => {
                let status = self.aws_caller.as_ref() != Some(&c);
                self.aws_caller = Some(c);
                Applied { status, items: Changes::default() }
            }
            FeedEvent::Data(d) => {
                debug_assert_eq!(d.feed(), u.feed, "data sent on another feed");
                let status = self.feeds.signal(d.feed(), u.at, FeedSignal::Data);
                let at = u.at;
                let items = match d {
                    FeedData::Pods(d) => self.pods.apply(d, at),
                    FeedData::Deployments(d) => self.deployments.apply(d, at),
                    FeedData::ReplicaSets(d) => self.replica_sets.apply(d, at),
                    FeedData::KubeEvents(d) => self.kube_events.apply(d, at),
                    FeedData::DbInstances(d) => self.apply_db_instances(d, at),
                    FeedData::DbMetrics(d) => self.apply_db_metrics(d, at),
                    FeedData::Alarms(d) => self.alarms.apply(d, at),
                    FeedData::TrailEvents(d) => self.trail.apply(d, at),
                    FeedData::Trails(d) => self.trails.apply(d, at),
                };
                Applied { status, items }
            }
        }
    }

    fn join_db(&self, instance: DbInstance) -> Db {
        let metrics = self.db_metrics.get(&instance.id).cloned();
        Db { instance, metrics }
    }

    fn apply_db_instances(&mut self, d: Delta<DbInstance>, at: DateTime<Utc>) -> Changes {
        let joined = match d {
            Delta::Reset(v) => Delta::Reset(v.into_iter().map(|i| self.join_db(i)).collect()),
            Delta::Upsert(v) => Delta::Upsert(v.into_iter().map(|i| self.join_db(i)).collect()),
            Delta::Delete(keys) => Delta::Delete(keys),
        };
        self.dbs.apply(joined, at)
    }

    /// Applies metrics and re-joins the instances whose metrics changed;
    /// the changes reported are the instances', which is what panels show.
    fn apply_db_metrics(&mut self, d: Delta<DbMetrics>, at: DateTime<Utc>) -> Changes {
        let changes = self.db_metrics.apply(d, at);
        let touched: Vec<Key> = if changes.reset {
            self.dbs.keys().cloned().collect()
        } else {
            changes.added.into_iter().chain(changes.changed).chain(changes.removed).collect()
        };
        let rejoined: Vec<Db> =
            touched.iter().filter_map(|id| self.dbs.get(id)).map(|db| self.join_db(db.instance.clone())).collect();
        self.dbs.apply(Delta::Upsert(rejoined), at)
    }

    /// Warning events seen since `since`, grouped by involved object, the
    /// most recently active first.
    pub fn warning_groups(&self, since: DateTime<Utc>) -> Vec<WarningGroup> {
        group_warnings(self.kube_events.values(), since)
    }

    /// A deployment's ReplicaSets as `kubectl describe` divides them, and
    /// the pod holding its rollout up, if it is short.
    pub fn rollout_of<'a>(&'a self, d: &Deployment) -> (Revisions<'a>, Option<&'a Pod>) {
        let revisions = d.revisions(self.replica_sets.values());
        let new = revisions.new.map(|r| r.name.as_str());
        let pod = d.held_up_by(self.pods.values(), new);
        (revisions, pod)
    }

    /// [`LiveState::rollout_of`]'s pod for each of `deployments` that is
    /// short, keyed by the deployment's key: one pass over the
    /// ReplicaSets and one over the pods, however many there are.
    pub fn holdups<'a>(&'a self, deployments: &[&'a Deployment]) -> HashMap<String, &'a Pod> {
        /// One short deployment: its new ReplicaSet and the worst pod so far.
        struct Short<'a> {
            d: &'a Deployment,
            new: Option<&'a str>,
            newest: Option<(Option<u32>, DateTime<Utc>, &'a str)>,
            best: Option<(HoldupRank<'a>, &'a Pod)>,
        }
        let mut short: HashMap<(&str, &str), Short<'a>> = deployments
            .iter()
            .filter(|d| d.short())
            .map(|d| ((d.namespace.as_str(), d.name.as_str()), Short { d, new: None, newest: None, best: None }))
            .collect();
        if short.is_empty() {
            return HashMap::new();
        }
        for r in self.replica_sets.values() {
            let Some(dep) = r.deployment.as_deref() else { continue };
            let Some(s) = short.get_mut(&(r.namespace.as_str(), dep)) else { continue };
            // As `Deployment::revisions` picks it: the deployment's
            // revision, else the highest (then the newest, then the name).
            let rank = r.newness();
            let wins = match s.d.revision {
                Some(rev) => r.revision == Some(rev),
                None => s.newest.is_none_or(|n| rank > n),
            };
            if wins {
                s.newest = Some(rank);
                s.new = Some(r.name.as_str());
            }
        }
        for p in self.pods.values() {
            let Some(dep) = p.deployment.as_deref() else { continue };
            let Some(s) = short.get_mut(&(&*p.namespace, dep)) else { continue };
            let Some(rank) = s.d.holdup_rank(p, s.new) else { continue };
            if s.best.as_ref().is_none_or(|(b, _)| rank < *b) {
                s.best = Some((rank, p));
            }
        }
        short.into_values().filter_map(|s| Some((Item::key(s.d), s.best?.1))).collect()
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeDelta;

    use super::*;
    use crate::fixtures::{db_instance, db_metrics, t0};
    use crate::model::Health;

    fn event(object: &str, secs: i64) -> KubeEvent {
        KubeEvent {
            namespace: "shop".into(),
            name: format!("{object}.{secs}"),
            object: object.into(),
            reason: "BackOff".into(),
            message: "Back-off restarting failed container".into(),
            count: 1,
            last_seen: t0() + TimeDelta::seconds(secs),
            warning: true,
        }
    }

    fn recent(live: &LiveState) -> Vec<String> {
        live.warning_groups(t0()).into_iter().map(|g| g.object).collect()
    }

    fn send_dbs(live: &mut LiveState, d: Delta<DbInstance>) -> Changes {
        live.apply(SourceUpdate::data(t0(), FeedData::DbInstances(d))).items
    }

    fn send_metrics(live: &mut LiveState, d: Delta<DbMetrics>) -> Changes {
        live.apply(SourceUpdate::data(t0(), FeedData::DbMetrics(d))).items
    }

    #[test]
    fn metrics_join_their_instance_whichever_feed_comes_first() {
        let mut live = LiveState::default();
        send_metrics(&mut live, Delta::Reset(vec![db_metrics("a", 30.0, 80.0), db_metrics("gone", 1.0, 1.0)]));
        assert!(live.dbs.is_empty(), "metrics alone make no instance");
        send_dbs(&mut live, Delta::Reset(vec![db_instance("a", 100), db_instance("b", 100)]));
        assert_eq!(live.dbs.get("a").unwrap().cpu(), Some(30.0));
        assert_eq!(live.dbs.get("b").unwrap().metrics, None);
        // The next poll describes b; a's series is unchanged, so only b changed.
        let changes =
            send_metrics(&mut live, Delta::Reset(vec![db_metrics("a", 30.0, 80.0), db_metrics("b", 5.0, 90.0)]));
        assert_eq!(changes.changed, [Key::from("b")]);
        assert_eq!(live.dbs.get("b").unwrap().free_gib(), Some(90.0));
        // A re-described instance keeps its metrics.
        let mut a = db_instance("a", 100);
        a.class = "db.r6g.xlarge".into();
        send_dbs(&mut live, Delta::Upsert(vec![a]));
        assert_eq!(live.dbs.get("a").unwrap().cpu(), Some(30.0));
        // Metrics that vanish leave the instance without numbers.
        send_metrics(&mut live, Delta::Delete(vec!["a".into()]));
        assert_eq!(live.dbs.get("a").unwrap().metrics, None);
    }

    #[test]
    fn metrics_past_the_runbook_thresholds_change_the_instance_health_and_counts() {
        let mut live = LiveState::default();
        send_dbs(&mut live, Delta::Reset(vec![db_instance("a", 500), db_instance("b", 30)]));
        send_metrics(&mut live, Delta::Reset(vec![db_metrics("a", 30.0, 300.0), db_metrics("b", 30.0, 25.0)]));
        assert_eq!((live.dbs.worst(), live.dbs.notable()), (Health::Ok, 0));
        for (cpu, free, health) in [
            (80.0, 300.0, Health::Ok),   // CPU > 80 %, not at it
            (80.5, 300.0, Health::Warn), // CPU past 80 %
            (30.0, 99.0, Health::Warn),  // under 20 % free
            (30.0, 24.0, Health::Crit),  // under 5 % free
        ] {
            send_metrics(&mut live, Delta::Upsert(vec![db_metrics("a", cpu, free)]));
            assert_eq!(live.dbs.health_of("a"), Some(health), "cpu {cpu}, free {free}");
            assert_eq!(live.dbs.notable(), usize::from(health != Health::Ok));
        }
        // Under 10 GB is low whatever the percentage (here 32 %).
        send_metrics(&mut live, Delta::Upsert(vec![db_metrics("b", 30.0, 9.5)]));
        assert_eq!(live.dbs.health_of("b"), Some(Health::Warn));
        // A status problem outranks healthy metrics.
        let mut down = db_instance("a", 500);
        down.status = "storage-full".into();
        send_metrics(&mut live, Delta::Upsert(vec![db_metrics("a", 30.0, 300.0)]));
        send_dbs(&mut live, Delta::Upsert(vec![down]));
        assert_eq!(live.dbs.health_of("a"), Some(Health::Crit));
    }

    #[test]
    fn warning_groups_stay_most_recent_first_as_events_change() {
        let mut live = LiveState::default();
        let send = |live: &mut LiveState, d| live.apply(SourceUpdate::data(t0(), FeedData::KubeEvents(d)));
        send(&mut live, Delta::Reset(vec![event("Pod/a", 1), event("Pod/b", 3), event("Pod/c", 2)]));
        assert_eq!(recent(&live), ["Pod/b", "Pod/c", "Pod/a"]);
        // A new event moves its object to the top; a deleted one's object
        // goes when it has no other event.
        send(&mut live, Delta::Upsert(vec![event("Pod/a", 9)]));
        send(&mut live, Delta::Delete(vec![event("Pod/c", 2).key()]));
        assert_eq!(recent(&live), ["Pod/a", "Pod/b"]);
        send(&mut live, Delta::Delete(vec![event("Pod/a", 9).key()]));
        assert_eq!(recent(&live), ["Pod/b", "Pod/a"], "Pod/a still has its first event");
        // Only what was seen since the cut-off counts.
        assert_eq!(
            live.warning_groups(t0() + TimeDelta::seconds(2)).into_iter().map(|g| g.object).collect::<Vec<_>>(),
            ["Pod/b"]
        );
    }
}
