//! A keyed, sorted, filtered, virtualised list: the state behind each
//! panel. Rendering cost depends on the visible rows, not on the item count;
//! the selection follows its item when live data reorders the list.
//!
//! Keeping the order costs what changed, not what is held: a batch of new
//! or changed rows is sorted on its own and merged into the existing order
//! (binary search for each position, one pass to move), only new rows are
//! matched against the filter, eviction at the cap drops the tail, and the
//! summary counts are kept as rows come and go. A full sort happens only
//! when a poll replaces the whole list.

use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};

use crate::model::{Alarm, DbInstance, Health, Pod, TrailEvent};

/// What a list needs to know about its rows.
pub trait Row: PartialEq {
    fn key(&self) -> String;
    /// Text matched by the `/` filter (lower-cased on comparison).
    fn haystack(&self) -> String;
    fn health(&self) -> Health;
    /// Orders rows with the same health; unhealthy rows always come first.
    fn tiebreak(&self, other: &Self) -> Ordering;
    /// Whether the row counts in the panel's summary (an unhealthy pod, a
    /// firing alarm, a flagged CloudTrail event).
    fn notable(&self) -> bool {
        self.health() != Health::Ok
    }
}

/// A row with what sorting and counting need, computed once per change.
#[derive(Debug, Clone)]
struct Entry<T> {
    item: T,
    health: Health,
    notable: bool,
    /// Whether the key is in `order` (false until the next rebuild).
    placed: bool,
}

#[derive(Debug, Clone)]
pub struct List<T> {
    items: HashMap<String, Entry<T>>,
    /// Every key in display order, as of the last rebuild.
    order: Vec<String>,
    /// The keys that match the filter, in display order; `None` without a
    /// filter (then the view is `order`).
    filtered: Option<Vec<String>>,
    /// Keys added or changed since the last rebuild, still to be placed.
    pending: HashSet<String>,
    /// Keys in `order` whose row changed or went away: taken out on rebuild.
    unplace: HashSet<String>,
    /// The whole order must be rebuilt (a full replacement).
    resort: bool,
    /// The filter changed: `filtered` must be recomputed.
    refilter: bool,
    selected: usize,
    selected_key: Option<String>,
    /// The selection is on the first row and stays there as rows reorder
    /// (the worst item, or the newest event); moving off the top pins the
    /// selection to its item instead.
    follow_top: bool,
    pub offset: usize,
    filter: String,
    cap: Option<usize>,
    /// Items per health, in `Health` order.
    health_counts: [usize; 4],
    notable: usize,
}

impl<T: Row> Default for List<T> {
    fn default() -> Self {
        List {
            items: HashMap::new(),
            order: Vec::new(),
            filtered: None,
            pending: HashSet::new(),
            unplace: HashSet::new(),
            resort: false,
            refilter: false,
            selected: 0,
            selected_key: None,
            follow_top: true,
            offset: 0,
            filter: String::new(),
            cap: None,
            health_counts: [0; 4],
            notable: 0,
        }
    }
}

impl<T: Row> List<T> {
    /// A list that keeps at most `cap` items, dropping the last in order.
    pub fn capped(cap: usize) -> Self {
        List { cap: Some(cap), ..List::default() }
    }

    fn count_in(&mut self, health: Health, notable: bool, sign: isize) {
        let slot = &mut self.health_counts[health as usize];
        *slot = slot.saturating_add_signed(sign);
        if notable {
            self.notable = self.notable.saturating_add_signed(sign);
        }
    }

    /// Stores `item` under `key`, keeping counts and pending work right.
    fn put(&mut self, key: String, item: T) {
        let health = item.health();
        let notable = item.notable();
        self.count_in(health, notable, 1);
        let entry = Entry { item, health, notable, placed: false };
        if let Some(old) = self.items.insert(key.clone(), entry) {
            self.count_in(old.health, old.notable, -1);
            if old.placed {
                self.unplace.insert(key.clone());
            }
        }
        self.pending.insert(key);
    }

    /// Inserts or replaces; returns whether anything changed.
    pub fn upsert(&mut self, item: T) -> bool {
        let key = item.key();
        if self.items.get(&key).is_some_and(|e| e.item == item) {
            return false;
        }
        self.put(key, item);
        true
    }

    /// Inserts unless the key is already present.
    pub fn insert_new(&mut self, item: T) -> bool {
        let key = item.key();
        if self.items.contains_key(&key) {
            return false;
        }
        self.put(key, item);
        true
    }

    pub fn remove(&mut self, key: &str) -> bool {
        let Some(old) = self.items.remove(key) else { return false };
        self.count_in(old.health, old.notable, -1);
        if old.placed {
            self.unplace.insert(key.to_string());
        }
        self.pending.remove(key);
        true
    }

    /// Replaces every item (a full re-list or poll); returns whether
    /// anything differs from what was there, so an identical poll costs no
    /// redraw.
    pub fn replace_all(&mut self, items: impl IntoIterator<Item = T>) -> bool {
        let new: HashMap<String, T> = items.into_iter().map(|i| (i.key(), i)).collect();
        if new.len() == self.items.len() && new.iter().all(|(k, i)| self.items.get(k).is_some_and(|e| e.item == *i)) {
            return false;
        }
        self.items.clear();
        self.health_counts = [0; 4];
        self.notable = 0;
        for (k, i) in new {
            self.put(k, i);
        }
        self.resort = true;
        true
    }

    pub fn is_stale(&self) -> bool {
        self.resort || self.refilter || !self.pending.is_empty() || !self.unplace.is_empty()
    }

    /// Display order: worst health first, then the row type's own order,
    /// then the key, so the order is total and never depends on hash order.
    fn cmp_keys(&self, a: &str, b: &str) -> Ordering {
        match (self.items.get(a), self.items.get(b)) {
            (Some(x), Some(y)) => display_order((x.health, a, &x.item), (y.health, b, &y.item)),
            _ => a.cmp(b),
        }
    }

    fn matches(&self, words: &[&str], key: &str) -> bool {
        words.is_empty()
            || self.items.get(key).is_some_and(|e| {
                let hay = e.item.haystack().to_lowercase();
                words.iter().all(|w| hay.contains(w))
            })
    }

    /// Brings the order, the filtered view and the selection up to date
    /// after changes. Called once per batch of messages, not per item.
    pub fn rebuild(&mut self) -> bool {
        if !self.is_stale() {
            return false;
        }
        let needle = self.filter.to_lowercase();
        let words: Vec<&str> = needle.split_whitespace().collect();
        if std::mem::take(&mut self.resort) {
            let mut keys: Vec<String> = self.items.keys().cloned().collect();
            keys.sort_by(|a, b| self.cmp_keys(a, b));
            self.order = keys;
            self.pending.clear();
            self.unplace.clear();
            self.refilter = true;
            for e in self.items.values_mut() {
                e.placed = true;
            }
        } else {
            if !self.unplace.is_empty() {
                let gone = std::mem::take(&mut self.unplace);
                self.order.retain(|k| !gone.contains(k));
                if let Some(f) = &mut self.filtered {
                    f.retain(|k| !gone.contains(k));
                }
            }
            let mut fresh: Vec<String> = self.pending.drain().collect();
            fresh.sort_by(|a, b| self.cmp_keys(a, b));
            for k in &fresh {
                if let Some(e) = self.items.get_mut(k) {
                    e.placed = true;
                }
            }
            if let Some(f) = self.filtered.take() {
                let shown: Vec<String> = fresh.iter().filter(|k| self.matches(&words, k)).cloned().collect();
                self.filtered = Some(self.merge(f, shown));
            }
            let order = std::mem::take(&mut self.order);
            self.order = self.merge(order, fresh);
        }
        if std::mem::take(&mut self.refilter) {
            self.filtered =
                (!words.is_empty()).then(|| self.order.iter().filter(|k| self.matches(&words, k)).cloned().collect());
        }
        self.evict_over_cap();
        self.reselect();
        true
    }

    /// Merges `fresh` (sorted) into `into` (sorted): a binary search for
    /// each insertion point, then one pass that moves everything once.
    fn merge(&self, into: Vec<String>, fresh: Vec<String>) -> Vec<String> {
        if fresh.is_empty() {
            return into;
        }
        let mut at = Vec::with_capacity(fresh.len());
        let mut from = 0;
        for k in &fresh {
            from += into[from..].partition_point(|x| self.cmp_keys(x, k) == Ordering::Less);
            at.push(from);
        }
        let mut out = Vec::with_capacity(into.len() + fresh.len());
        let mut old = into.into_iter();
        let mut taken = 0;
        for (k, pos) in fresh.into_iter().zip(at) {
            out.extend(old.by_ref().take(pos - taken));
            taken = pos;
            out.push(k);
        }
        out.extend(old);
        out
    }

    /// Drops the items that sort last (for CloudTrail: the oldest) beyond
    /// the cap, whatever the filter shows.
    fn evict_over_cap(&mut self) {
        let Some(cap) = self.cap else { return };
        while self.order.len() > cap {
            let Some(key) = self.order.pop() else { break };
            if let Some(old) = self.items.remove(&key) {
                self.count_in(old.health, old.notable, -1);
            }
            if let Some(f) = &mut self.filtered
                && f.last() == Some(&key)
            {
                f.pop();
            }
        }
    }

    /// Puts the selection back on its item (or on the top row).
    fn reselect(&mut self) {
        let len = self.len();
        self.selected = match self.selected_key.clone() {
            _ if self.follow_top => 0,
            Some(k) if self.items.contains_key(&k) => {
                let view = self.view();
                let i = view.partition_point(|x| self.cmp_keys(x, &k) == Ordering::Less);
                if view.get(i) == Some(&k) { i } else { self.selected.min(len.saturating_sub(1)) }
            }
            _ => self.selected.min(len.saturating_sub(1)),
        };
        self.selected_key = self.view().get(self.selected).cloned();
    }

    fn view(&self) -> &[String] {
        self.filtered.as_deref().unwrap_or(&self.order)
    }

    /// Items that count in the panel's summary (see [`Row::notable`]).
    pub fn notable(&self) -> usize {
        self.notable
    }

    /// The worst health of any item; `Ok` when empty.
    pub fn worst(&self) -> Health {
        [Health::Crit, Health::Warn, Health::Unknown]
            .into_iter()
            .find(|h| self.health_counts[*h as usize] > 0)
            .unwrap_or(Health::Ok)
    }

    pub fn len(&self) -> usize {
        self.view().len()
    }

    pub fn is_empty(&self) -> bool {
        self.view().is_empty()
    }

    pub fn total(&self) -> usize {
        self.items.len()
    }

    pub fn selected_index(&self) -> usize {
        self.selected
    }

    pub fn selected(&self) -> Option<&T> {
        self.view().get(self.selected).and_then(|k| self.get(k))
    }

    pub fn get(&self, key: &str) -> Option<&T> {
        self.items.get(key).map(|e| &e.item)
    }

    pub fn values(&self) -> impl Iterator<Item = &T> {
        self.items.values().map(|e| &e.item)
    }

    /// The rows `offset..offset + height` in display order.
    pub fn visible(&self, height: usize) -> impl Iterator<Item = (usize, &T)> {
        self.view().iter().enumerate().skip(self.offset).take(height).filter_map(|(i, k)| self.get(k).map(|t| (i, t)))
    }

    pub fn filter(&self) -> &str {
        &self.filter
    }

    pub fn set_filter(&mut self, filter: &str) {
        if self.filter != filter {
            self.filter = filter.to_string();
            self.refilter = true;
            self.offset = 0;
        }
    }

    /// Moves the selection by `delta` rows and scrolls so it stays in a
    /// window of `height` rows.
    pub fn move_by(&mut self, delta: isize, height: usize) {
        if self.is_empty() {
            return;
        }
        let last = self.len() - 1;
        self.selected = self.selected.saturating_add_signed(delta).min(last);
        self.selected_key = self.view().get(self.selected).cloned();
        self.follow_top = self.selected == 0;
        self.scroll_into_view(height);
    }

    pub fn select_first(&mut self, height: usize) {
        self.move_by(-(self.selected as isize), height);
    }

    pub fn select_last(&mut self, height: usize) {
        self.move_by(self.len() as isize, height);
    }

    pub fn scroll_into_view(&mut self, height: usize) {
        let height = height.max(1);
        if self.selected < self.offset {
            self.offset = self.selected;
        } else if self.selected >= self.offset + height {
            self.offset = self.selected + 1 - height;
        }
        let max_offset = self.len().saturating_sub(height);
        self.offset = self.offset.min(max_offset);
    }
}

fn display_order<T: Row>(a: (Health, &str, &T), b: (Health, &str, &T)) -> Ordering {
    a.0.cmp(&b.0).then_with(|| a.2.tiebreak(b.2)).then_with(|| a.1.cmp(b.1))
}

impl Row for Pod {
    fn key(&self) -> String {
        Pod::key(self)
    }
    fn haystack(&self) -> String {
        format!("{} {} {} {}", self.namespace, self.name, self.status(), self.node.as_deref().unwrap_or(""))
    }
    fn health(&self) -> Health {
        Pod::health(self)
    }
    fn tiebreak(&self, other: &Self) -> std::cmp::Ordering {
        other.restarts().cmp(&self.restarts()).then_with(|| self.name.cmp(&other.name))
    }
}

impl Row for DbInstance {
    fn key(&self) -> String {
        self.id.clone()
    }
    fn haystack(&self) -> String {
        format!("{} {} {} {}", self.id, self.status, self.engine, self.role())
    }
    fn health(&self) -> Health {
        DbInstance::health(self)
    }
    fn tiebreak(&self, other: &Self) -> std::cmp::Ordering {
        // Keep a cluster (or a primary and its replicas) together, writer first.
        let group = |d: &DbInstance| d.cluster.clone().or_else(|| d.replica_of.clone()).unwrap_or_else(|| d.id.clone());
        (group(self), self.replica_of.is_some(), &self.id).cmp(&(group(other), other.replica_of.is_some(), &other.id))
    }
}

impl Row for Alarm {
    fn key(&self) -> String {
        self.name.clone()
    }
    fn haystack(&self) -> String {
        format!("{} {} {} {}", self.name, self.state.label(), self.metric, self.namespace)
    }
    fn health(&self) -> Health {
        self.state.health()
    }
    fn notable(&self) -> bool {
        self.state == crate::model::AlarmState::Alarm
    }
    fn tiebreak(&self, other: &Self) -> std::cmp::Ordering {
        self.state.cmp(&other.state).then_with(|| other.since.cmp(&self.since)).then_with(|| self.name.cmp(&other.name))
    }
}

impl Row for TrailEvent {
    fn key(&self) -> String {
        self.id.clone()
    }
    fn haystack(&self) -> String {
        format!(
            "{} {} {} {} {} {}",
            self.name,
            self.user,
            self.source_ip,
            self.resource,
            self.error_code.as_deref().unwrap_or(""),
            self.security_flag().map(|f| f.label()).unwrap_or("")
        )
    }
    fn health(&self) -> Health {
        TrailEvent::health(self)
    }
    fn notable(&self) -> bool {
        self.security_flag().is_some()
    }
    fn tiebreak(&self, other: &Self) -> std::cmp::Ordering {
        other.time.cmp(&self.time).then_with(|| other.id.cmp(&self.id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::AlarmState;
    use chrono::DateTime;

    fn alarm(name: &str, state: AlarmState) -> Alarm {
        Alarm {
            name: name.into(),
            state,
            since: DateTime::from_timestamp(0, 0).unwrap(),
            reason: String::new(),
            namespace: "AWS/RDS".into(),
            metric: "CPUUtilization".into(),
            dimensions: vec![],
            statistic: "Average".into(),
            comparison: "GreaterThanThreshold".into(),
            threshold: 1.0,
            period_s: 60,
            evaluation_periods: 1,
            actions_enabled: true,
            alarm_actions: vec![],
        }
    }

    fn names(l: &List<Alarm>) -> Vec<String> {
        l.visible(usize::MAX).map(|(_, a)| a.name.clone()).collect()
    }

    #[test]
    fn firing_first_then_name() {
        let mut l = List::default();
        l.upsert(alarm("b", AlarmState::Ok));
        l.upsert(alarm("a", AlarmState::Ok));
        l.upsert(alarm("z", AlarmState::Alarm));
        l.upsert(alarm("m", AlarmState::InsufficientData));
        l.rebuild();
        assert_eq!(names(&l), ["z", "m", "a", "b"]);
    }

    #[test]
    fn selection_follows_item_when_it_moves() {
        let mut l = List::default();
        for n in ["a", "b", "c"] {
            l.upsert(alarm(n, AlarmState::Ok));
        }
        l.rebuild();
        l.move_by(2, 10);
        assert_eq!(l.selected().unwrap().name, "c");
        l.upsert(alarm("b", AlarmState::Alarm));
        l.rebuild();
        assert_eq!(names(&l), ["b", "a", "c"]);
        assert_eq!(l.selected().unwrap().name, "c");
        assert_eq!(l.selected_index(), 2);
    }

    #[test]
    fn an_untouched_selection_follows_the_top_row() {
        let mut l = List::default();
        for n in ["a", "b", "c"] {
            l.upsert(alarm(n, AlarmState::Ok));
        }
        l.rebuild();
        assert_eq!(l.selected().unwrap().name, "a");
        l.upsert(alarm("c", AlarmState::Alarm));
        l.rebuild();
        assert_eq!(l.selected().unwrap().name, "c", "the new worst row is selected");
        // Back at the top after moving: follows the top again.
        l.move_by(1, 10);
        l.move_by(-1, 10);
        l.upsert(alarm("b", AlarmState::Alarm));
        l.rebuild();
        assert_eq!(l.selected().unwrap().name, "b");
    }

    #[test]
    fn filter_matches_all_words() {
        let mut l = List::default();
        l.upsert(alarm("orders-db-high-cpu", AlarmState::Alarm));
        l.upsert(alarm("api-latency", AlarmState::Ok));
        l.set_filter("ORDERS alarm");
        l.rebuild();
        assert_eq!(names(&l), ["orders-db-high-cpu"]);
        l.set_filter("");
        l.rebuild();
        assert_eq!(l.len(), 2);
    }

    #[test]
    fn scrolling_keeps_selection_visible() {
        let mut l = List::default();
        for i in 0..50 {
            l.upsert(alarm(&format!("a{i:02}"), AlarmState::Ok));
        }
        l.rebuild();
        l.move_by(15, 10);
        assert_eq!((l.selected_index(), l.offset), (15, 6));
        l.move_by(-3, 10);
        assert_eq!((l.selected_index(), l.offset), (12, 6));
        l.select_last(10);
        assert_eq!((l.selected_index(), l.offset), (49, 40));
        l.select_first(10);
        assert_eq!((l.selected_index(), l.offset), (0, 0));
    }

    #[test]
    fn cap_holds_while_a_filter_hides_items() {
        let mut l: List<Alarm> = List::capped(3);
        l.set_filter("keep");
        for n in ["keep-a", "keep-b", "x-c", "x-d", "x-e"] {
            l.upsert(alarm(n, AlarmState::Ok));
        }
        l.rebuild();
        assert_eq!(l.total(), 3);
        assert_eq!(names(&l), ["keep-a", "keep-b"]);
    }

    #[test]
    fn capped_list_drops_oldest() {
        let mut l: List<Alarm> = List::capped(2);
        for n in ["a", "b", "c"] {
            l.upsert(alarm(n, AlarmState::Ok));
        }
        l.rebuild();
        assert_eq!(l.total(), 2);
        assert_eq!(names(&l), ["a", "b"]);
    }

    #[derive(Debug, Clone)]
    enum Op {
        Upsert(u8, u8, i64),
        Insert(u8, u8, i64),
        Remove(u8),
        Filter(u8),
        Rebuild,
    }

    fn op() -> impl proptest::strategy::Strategy<Value = Op> {
        use proptest::prelude::*;
        prop_oneof![
            4 => (0u8..40, 0u8..3, 0i64..50).prop_map(|(k, s, t)| Op::Upsert(k, s, t)),
            3 => (0u8..40, 0u8..3, 0i64..50).prop_map(|(k, s, t)| Op::Insert(k, s, t)),
            2 => (0u8..40).prop_map(Op::Remove),
            1 => (0u8..4).prop_map(Op::Filter),
            2 => Just(Op::Rebuild),
        ]
    }

    fn timed(k: u8, state: u8, t: i64) -> Alarm {
        let state = [AlarmState::Alarm, AlarmState::InsufficientData, AlarmState::Ok][usize::from(state)];
        Alarm { since: DateTime::from_timestamp(t, 0).unwrap(), ..alarm(&format!("k{k:02}"), state) }
    }

    proptest::proptest! {
        /// Merging changes into the kept order gives exactly the order, the
        /// filtered view, the cap and the counts a full sort would.
        #[test]
        fn incremental_order_equals_a_full_sort(ops in proptest::collection::vec(op(), 1..80), cap in 5usize..60) {
            let mut l: List<Alarm> = List::capped(cap);
            let mut reference: HashMap<String, Alarm> = HashMap::new();
            let filters = ["", "k1", "alarm", "k0 ok"];
            let mut filter = "";
            for op in ops {
                match op {
                    Op::Upsert(k, s, t) => {
                        let a = timed(k, s, t);
                        reference.insert(a.name.clone(), a.clone());
                        l.upsert(a);
                    }
                    Op::Insert(k, s, t) => {
                        let a = timed(k, s, t);
                        reference.entry(a.name.clone()).or_insert_with(|| a.clone());
                        l.insert_new(a);
                    }
                    Op::Remove(k) => {
                        reference.remove(&format!("k{k:02}"));
                        l.remove(&format!("k{k:02}"));
                    }
                    Op::Filter(f) => {
                        filter = filters[usize::from(f)];
                        l.set_filter(filter);
                    }
                    Op::Rebuild => {
                        l.rebuild();
                        // The reference: sort everything, cut at the cap.
                        let mut all: Vec<Alarm> = reference.values().cloned().collect();
                        all.sort_by(|a, b| display_order((a.health(), &a.name, a), (b.health(), &b.name, b)));
                        all.truncate(cap);
                        let kept: Vec<String> = all.iter().map(|a| a.name.clone()).collect();
                        reference.retain(|k, _| kept.contains(k));
                        let words: Vec<String> = filter.split_whitespace().map(str::to_lowercase).collect();
                        let shown: Vec<String> = all
                            .iter()
                            .filter(|a| words.iter().all(|w| a.haystack().to_lowercase().contains(w)))
                            .map(|a| a.name.clone())
                            .collect();
                        proptest::prop_assert_eq!(names(&l), shown);
                        proptest::prop_assert_eq!(l.total(), kept.len());
                        let firing = reference.values().filter(|a| a.state == AlarmState::Alarm).count();
                        proptest::prop_assert_eq!(l.notable(), firing);
                        let worst = reference.values().map(Row::health).min().unwrap_or(Health::Ok);
                        proptest::prop_assert_eq!(l.worst(), worst);
                    }
                }
            }
        }
    }
}
