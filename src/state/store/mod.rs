//! One keyed store per feed: the items as the sources last described them,
//! with the summary counts (items per health, notable items) kept current
//! as deltas arrive, so nothing has to walk every item to count.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};

use super::Delta;
use crate::model::{Alarm, Db, DbMetrics, Deployment, Health, KubeEvent, Pod, ReplicaSet, Trail, TrailEvent};

/// What a store needs to know about its items.
pub trait Item: PartialEq {
    /// Immutable records (CloudTrail events): an upsert of a known key is
    /// ignored.
    const IMMUTABLE: bool = false;

    fn key(&self) -> String;
    fn health(&self) -> Health;
    /// Whether the item counts in its panel's summary (an unhealthy pod, a
    /// firing alarm, a flagged CloudTrail event).
    fn notable(&self) -> bool {
        self.health() != Health::Ok
    }
    /// Fills values derived from the item this one replaces (`None` for a
    /// new key), seen at `at`.
    fn derive(&mut self, _old: Option<&Self>, _at: DateTime<Utc>) {}
    /// For capped stores: items with the smallest rank go first.
    fn age_rank(&self) -> i64 {
        0
    }
    /// When the item must be judged again though no new version of it
    /// came, because its health depends on the clock (a pod starting for
    /// too long); `None` when it does not.
    fn judge_again_at(&self) -> Option<DateTime<Utc>> {
        None
    }
    /// Brings what depends on the clock up to `now`.
    fn judge(&mut self, _now: DateTime<Utc>) {}
}

/// A store's key for an item, held once: the panels' orders and the
/// change lists share the store's.
pub type Key = Arc<str>;

#[derive(Debug, Clone)]
struct Slot<T> {
    item: T,
    health: Health,
    notable: bool,
}

/// Which keys a delta changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changes {
    /// Everything was replaced: whatever depends on the items starts over.
    pub reset: bool,
    /// Keys that are new.
    pub added: Vec<Key>,
    /// Keys already held whose item changed.
    pub changed: Vec<Key>,
    /// Keys gone (deleted, or evicted at the cap).
    pub removed: Vec<Key>,
}

impl Changes {
    pub fn is_empty(&self) -> bool {
        !self.reset && self.added.is_empty() && self.changed.is_empty() && self.removed.is_empty()
    }
}

#[derive(Debug, Clone)]
pub struct Store<T> {
    /// Boxed: growing the map moves pointers, not items (a pod is some
    /// hundred bytes; 100,000 of them moved at once held the screen up),
    /// and its spare capacity costs a pointer a slot.
    items: HashMap<Key, Box<Slot<T>>>,
    /// Items per health, in `Health` order.
    counts: [usize; 4],
    notable: usize,
    cap: Option<usize>,
    /// (rank, key) of every item, for eviction; kept only when capped.
    by_age: BTreeSet<(i64, Key)>,
    /// (when, key) of every item to judge again at a time
    /// ([`Item::judge_again_at`]).
    deadlines: BTreeSet<(DateTime<Utc>, Key)>,
}

impl<T: Item> Default for Store<T> {
    fn default() -> Self {
        Store {
            items: HashMap::new(),
            counts: [0; 4],
            notable: 0,
            cap: None,
            by_age: BTreeSet::new(),
            deadlines: BTreeSet::new(),
        }
    }
}

impl<T: Item> Store<T> {
    /// A store that keeps at most `cap` items, evicting the lowest
    /// [`Item::age_rank`] (the oldest) first.
    pub fn capped(cap: usize) -> Self {
        Store { cap: Some(cap), ..Store::default() }
    }

    fn count(&mut self, health: Health, notable: bool, sign: isize) {
        let slot = &mut self.counts[health as usize];
        *slot = slot.saturating_add_signed(sign);
        if notable {
            self.notable = self.notable.saturating_add_signed(sign);
        }
    }

    /// The key held for `key`, or a new one.
    fn key_for(&self, key: String) -> Key {
        self.items.get_key_value(key.as_str()).map_or_else(|| key.into(), |(k, _)| k.clone())
    }

    fn put(&mut self, key: Key, item: T) {
        let (health, notable) = (item.health(), item.notable());
        self.count(health, notable, 1);
        if self.cap.is_some() {
            self.by_age.insert((item.age_rank(), key.clone()));
        }
        let deadline = item.judge_again_at();
        if let Some(old) = self.items.insert(key.clone(), Box::new(Slot { item, health, notable })) {
            self.forget(&key, *old);
        }
        if let Some(at) = deadline {
            self.deadlines.insert((at, key));
        }
    }

    /// Takes a replaced or removed slot out of the counts.
    fn forget(&mut self, key: &Key, old: Slot<T>) {
        self.count(old.health, old.notable, -1);
        if let Some(at) = old.item.judge_again_at() {
            self.deadlines.remove(&(at, key.clone()));
        }
        if self.cap.is_some() {
            let rank = old.item.age_rank();
            // The replacement may share the rank: keep its entry.
            if self.items.get(key).is_none_or(|s| s.item.age_rank() != rank) {
                self.by_age.remove(&(rank, key.clone()));
            }
        }
    }

    /// Takes `key` out; returns the key it was held under.
    fn remove(&mut self, key: &str) -> Option<Key> {
        let (key, old) = self.items.remove_entry(key)?;
        self.forget(&key, *old);
        Some(key)
    }

    /// Applies a delta seen at `at`; returns what changed (nothing when the
    /// data is what the store already held, so an identical poll costs no
    /// redraw).
    pub fn apply(&mut self, delta: Delta<T>, at: DateTime<Utc>) -> Changes {
        let mut changes = Changes::default();
        match delta {
            Delta::Reset(items) => {
                let mut new: HashMap<Key, T> = HashMap::with_capacity(items.len());
                for mut item in items {
                    let key = self.key_for(item.key());
                    item.derive(self.items.get(&key).map(|s| &s.item), at);
                    new.insert(key, item);
                }
                let same = new.len() == self.items.len()
                    && new.iter().all(|(k, i)| self.items.get(k).is_some_and(|s| s.item == *i));
                if same {
                    return changes;
                }
                self.items.clear();
                self.by_age.clear();
                self.deadlines.clear();
                self.counts = [0; 4];
                self.notable = 0;
                for (k, i) in new {
                    self.put(k, i);
                }
                changes.reset = true;
            }
            Delta::Upsert(items) => {
                for mut item in items {
                    let key = self.key_for(item.key());
                    let old = self.items.get(&key).map(|s| &s.item);
                    if T::IMMUTABLE && old.is_some() {
                        continue;
                    }
                    item.derive(old, at);
                    match old {
                        Some(o) if *o == item => continue,
                        Some(_) => changes.changed.push(key.clone()),
                        None => changes.added.push(key.clone()),
                    }
                    self.put(key, item);
                }
            }
            Delta::Delete(keys) => {
                for key in keys {
                    if let Some(key) = self.remove(&key) {
                        changes.removed.push(key);
                    }
                }
            }
        }
        self.evict(&mut changes);
        changes
    }

    /// Drops the oldest items beyond the cap. Items added by this same
    /// delta and dropped at once are no change at all.
    fn evict(&mut self, changes: &mut Changes) {
        let Some(cap) = self.cap else { return };
        let mut evicted = HashSet::new();
        while self.items.len() > cap {
            let Some((_, key)) = self.by_age.pop_first() else { break };
            if let Some(old) = self.items.remove(&key) {
                self.count(old.health, old.notable, -1);
            }
            evicted.insert(key);
        }
        if evicted.is_empty() {
            return;
        }
        // Added and gone within this delta: the rest was there before.
        changes.added.retain(|k| !evicted.remove(k));
        changes.changed.retain(|k| !evicted.contains(k));
        if !changes.reset {
            changes.removed.extend(evicted);
        }
    }

    pub fn get(&self, key: &str) -> Option<&T> {
        self.items.get(key).map(|s| &s.item)
    }

    pub fn values(&self) -> impl Iterator<Item = &T> {
        self.items.values().map(|s| &s.item)
    }

    /// Every key held.
    pub fn keys(&self) -> impl Iterator<Item = &Key> {
        self.items.keys()
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The health an item had when stored (what sorting uses).
    pub fn health_of(&self, key: &str) -> Option<Health> {
        self.get_with_health(key).map(|(_, h)| h)
    }

    /// An item and the health it had when stored, in one look-up.
    pub fn get_with_health(&self, key: &str) -> Option<(&T, Health)> {
        self.items.get(key).map(|s| (&s.item, s.health))
    }

    /// Items that count in the summary (see [`Item::notable`]).
    pub fn notable(&self) -> usize {
        self.notable
    }

    /// The worst health of any item; `Ok` when empty.
    pub fn worst(&self) -> Health {
        [Health::Crit, Health::Warn, Health::Unknown]
            .into_iter()
            .find(|h| self.counts[*h as usize] > 0)
            .unwrap_or(Health::Ok)
    }
}

impl<T: Item + Clone> Store<T> {
    /// Judges again the items whose health depends on the clock and
    /// whose time has come; returns the keys whose item changed.
    pub fn judge(&mut self, now: DateTime<Utc>) -> Changes {
        let mut changes = Changes::default();
        while let Some((at, _)) = self.deadlines.first()
            && *at <= now
        {
            let Some((_, key)) = self.deadlines.pop_first() else { break };
            let Some(slot) = self.items.get(&key) else { continue };
            let mut item = slot.item.clone();
            item.judge(now);
            if item == slot.item {
                // Nothing to show yet; keep waiting for its next time.
                if let Some(next) = item.judge_again_at().filter(|n| *n > now) {
                    self.deadlines.insert((next, key));
                }
                continue;
            }
            self.put(key.clone(), item);
            changes.changed.push(key);
        }
        changes
    }
}

/// How far back a pod's restarts are kept: "restarts in the last hour".
pub const RESTART_WINDOW: TimeDelta = TimeDelta::hours(1);

impl Item for Pod {
    fn key(&self) -> String {
        Pod::key(self)
    }
    fn health(&self) -> Health {
        Pod::health(self)
    }
    /// Restart times come from restart-count increases between the
    /// versions seen, kept for [`RESTART_WINDOW`]; whatever the source
    /// sent in `restart_times` is replaced. The first version seen sets
    /// what is known of the restarts before ([`crate::model::Seen`]).
    fn derive(&mut self, old: Option<&Self>, at: DateTime<Utc>) {
        let all = |p: &Pod| p.all_containers().fold(0u32, |n, c| n.saturating_add(c.restarts));
        let mut times = old.map(|o| o.restart_times.clone()).unwrap_or_default();
        if let Some(o) = old {
            for _ in all(o)..all(self) {
                times.push(at);
            }
        }
        times.retain(|t| at - *t < RESTART_WINDOW);
        self.restart_times = times;
        match old {
            Some(o) => {
                self.seen.since = o.seen.since;
                self.seen.prior.clone_from(&o.seen.prior);
            }
            None => {
                self.seen.since = Some(at);
                self.seen.prior = self
                    .all_containers()
                    .filter(|c| c.restarts > 0)
                    .map(|c| (c.restarts, c.last_termination.as_ref().and_then(|t| t.finished)))
                    .collect();
            }
        }
        self.judge(at);
    }
    fn judge_again_at(&self) -> Option<DateTime<Utc>> {
        Pod::judge_again_at(self)
    }
    fn judge(&mut self, now: DateTime<Utc>) {
        Pod::judge(self, now);
    }
}

impl Item for Deployment {
    fn key(&self) -> String {
        format!("{}/{}", self.namespace, self.name)
    }
    fn health(&self) -> Health {
        Deployment::health(self)
    }
}

/// A ReplicaSet's health is its deployment's, which the panel shows.
impl Item for ReplicaSet {
    fn key(&self) -> String {
        ReplicaSet::key(self)
    }
    fn health(&self) -> Health {
        Health::Ok
    }
}

impl Item for KubeEvent {
    fn key(&self) -> String {
        KubeEvent::key(self)
    }
    fn health(&self) -> Health {
        if self.warning { Health::Warn } else { Health::Ok }
    }
}

impl Item for Db {
    fn key(&self) -> String {
        self.instance.id.clone()
    }
    fn health(&self) -> Health {
        Db::health(self)
    }
}

/// Metrics have no health of their own: the [`Db`] they join into does.
impl Item for DbMetrics {
    fn key(&self) -> String {
        self.instance.clone()
    }
    fn health(&self) -> Health {
        Health::Ok
    }
}

impl Item for Alarm {
    fn key(&self) -> String {
        self.name.clone()
    }
    fn health(&self) -> Health {
        self.state.health()
    }
    fn notable(&self) -> bool {
        self.state == crate::model::AlarmState::Alarm
    }
}

impl Item for Trail {
    fn key(&self) -> String {
        self.arn.clone()
    }
    fn health(&self) -> Health {
        Trail::health(self)
    }
}

impl Item for TrailEvent {
    const IMMUTABLE: bool = true;

    fn key(&self) -> String {
        self.id.clone()
    }
    fn health(&self) -> Health {
        TrailEvent::health(self)
    }
    fn notable(&self) -> bool {
        self.security_flag().is_some()
    }
    fn age_rank(&self) -> i64 {
        self.time.timestamp_millis()
    }
}

#[cfg(test)]
mod tests;
