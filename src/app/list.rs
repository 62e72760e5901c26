//! A panel's view of its feed's store: order, filter, selection and scroll.
//! The items live in the store ([`crate::state::Store`]); the view keeps
//! keys. Rendering cost depends on the visible rows, not on the item
//! count; the selection follows its item when live data reorders the list.
//!
//! Keeping the order costs what changed, not what is held: the keys a
//! delta added or changed are sorted on their own and merged into the
//! existing order (binary search for each position, one pass to move) and
//! only they are matched against the filter. A full sort happens only
//! when a re-list or poll replaces the whole store.

use std::cmp::Ordering;
use std::collections::HashSet;

use crate::model::{Alarm, Db, DbInstance, Health, Pod, TrailEvent};
use crate::state::{Changes, Item, Key, Store};

/// What a view needs to know about its rows beyond what the store knows.
pub trait Row: Item {
    /// Text matched by the `/` filter (lower-cased on comparison).
    fn haystack(&self) -> String;
    /// Orders rows with the same health; unhealthy rows always come first.
    fn tiebreak(&self, other: &Self) -> Ordering;
}

#[derive(Debug, Clone)]
pub struct List {
    /// Every key in display order, as of the last rebuild.
    order: Vec<Key>,
    /// The keys that match the filter, in display order; `None` without a
    /// filter (then the view is `order`).
    filtered: Option<Vec<Key>>,
    /// Keys added or changed since the last rebuild, still to be placed.
    pending: HashSet<Key>,
    /// Keys in `order` whose row changed or went away: taken out on rebuild.
    unplace: HashSet<Key>,
    /// The whole order must be rebuilt (the store was replaced).
    resort: bool,
    /// The filter changed: `filtered` must be recomputed.
    refilter: bool,
    selected: usize,
    selected_key: Option<Key>,
    /// The selection is on the first row and stays there as rows reorder
    /// (the worst item, or the newest event); moving off the top pins the
    /// selection to its item instead.
    follow_top: bool,
    pub offset: usize,
    filter: String,
}

impl Default for List {
    fn default() -> Self {
        List {
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
        }
    }
}

impl List {
    /// Takes note of what a delta changed in the store, for the next
    /// [`List::rebuild`].
    pub fn note(&mut self, changes: &Changes) {
        if changes.reset {
            self.resort = true;
        }
        for k in &changes.added {
            self.pending.insert(k.clone());
        }
        // A key already placed (not pending) must come out of the order.
        for k in changes.changed.iter().chain(&changes.removed) {
            if !self.pending.contains(k) {
                self.unplace.insert(k.clone());
            }
        }
        for k in &changes.changed {
            self.pending.insert(k.clone());
        }
        for k in &changes.removed {
            self.pending.remove(k);
        }
    }

    pub fn is_stale(&self) -> bool {
        self.resort || self.refilter || !self.pending.is_empty() || !self.unplace.is_empty()
    }

    /// Brings the order, the filtered view and the selection up to date
    /// with `store`. Called once per batch of messages, not per item.
    pub fn rebuild<T: Row>(&mut self, store: &Store<T>) -> bool {
        if !self.is_stale() {
            return false;
        }
        let by = Sorter { store };
        let needle = self.filter.to_lowercase();
        let words: Vec<&str> = needle.split_whitespace().collect();
        if std::mem::take(&mut self.resort) {
            let mut keys: Vec<Key> = store.keys().cloned().collect();
            keys.sort_by(|a, b| by.cmp(a, b));
            self.order = keys;
            self.pending.clear();
            self.unplace.clear();
            self.refilter = true;
        } else {
            if !self.unplace.is_empty() {
                let gone = std::mem::take(&mut self.unplace);
                self.order.retain(|k| !gone.contains(k));
                if let Some(f) = &mut self.filtered {
                    f.retain(|k| !gone.contains(k));
                }
            }
            let mut fresh: Vec<Key> = self.pending.drain().filter(|k| store.get(k).is_some()).collect();
            fresh.sort_by(|a, b| by.cmp(a, b));
            if let Some(f) = self.filtered.take() {
                let shown: Vec<Key> = fresh.iter().filter(|k| by.matches(&words, k)).cloned().collect();
                self.filtered = Some(by.merge(f, shown));
            }
            let order = std::mem::take(&mut self.order);
            self.order = by.merge(order, fresh);
        }
        if std::mem::take(&mut self.refilter) {
            self.filtered =
                (!words.is_empty()).then(|| self.order.iter().filter(|k| by.matches(&words, k)).cloned().collect());
        }
        self.reselect(&by);
        true
    }

    /// Puts the selection back on its item (or on the top row).
    fn reselect<T: Row>(&mut self, by: &Sorter<'_, T>) {
        let len = self.len();
        self.selected = match self.selected_key.clone() {
            _ if self.follow_top => 0,
            Some(k) if by.store.get(&k).is_some() => {
                let view = self.view();
                let i = view.partition_point(|x| by.cmp(x, &k) == Ordering::Less);
                if view.get(i) == Some(&k) { i } else { self.selected.min(len.saturating_sub(1)) }
            }
            _ => self.selected.min(len.saturating_sub(1)),
        };
        self.selected_key = self.view().get(self.selected).cloned();
    }

    fn view(&self) -> &[Key] {
        self.filtered.as_deref().unwrap_or(&self.order)
    }

    /// Rows shown (matching the filter).
    pub fn len(&self) -> usize {
        self.view().len()
    }

    pub fn is_empty(&self) -> bool {
        self.view().is_empty()
    }

    pub fn selected_index(&self) -> usize {
        self.selected
    }

    pub fn selected_key(&self) -> Option<&str> {
        self.view().get(self.selected).map(|k| &**k)
    }

    /// The selected row's item in `store`.
    pub fn selected<'a, T: Row>(&self, store: &'a Store<T>) -> Option<&'a T> {
        self.selected_key().and_then(|k| store.get(k))
    }

    /// The rows `offset..offset + height` in display order.
    pub fn visible<'a, T: Row>(&'a self, store: &'a Store<T>, height: usize) -> impl Iterator<Item = (usize, &'a T)> {
        self.view().iter().enumerate().skip(self.offset).take(height).filter_map(|(i, k)| store.get(k).map(|t| (i, t)))
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

    /// Puts the selection on the row `key` at the next rebuild (or the row
    /// at the same place if it is gone).
    pub fn select_key(&mut self, key: &str) {
        self.selected_key = Some(key.into());
        self.follow_top = false;
        // Rebuilding reselects it.
        self.refilter = true;
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

/// Orders and matches keys by their items in a store.
struct Sorter<'a, T> {
    store: &'a Store<T>,
}

impl<T: Row> Sorter<'_, T> {
    /// Display order: worst health first, then the row type's own order,
    /// then the key, so the order is total and never depends on hash order.
    fn cmp(&self, a: &str, b: &str) -> Ordering {
        match (self.store.get_with_health(a), self.store.get_with_health(b)) {
            (Some((x, hx)), Some((y, hy))) => display_order((hx, a, x), (hy, b, y)),
            _ => a.cmp(b),
        }
    }

    fn matches(&self, words: &[&str], key: &str) -> bool {
        words.is_empty()
            || self.store.get(key).is_some_and(|item| {
                let hay = item.haystack().to_lowercase();
                words.iter().all(|w| hay.contains(w))
            })
    }

    /// Merges `fresh` (sorted) into `into` (sorted): a binary search for
    /// each insertion point, then one pass that moves everything once.
    fn merge(&self, into: Vec<Key>, fresh: Vec<Key>) -> Vec<Key> {
        if fresh.is_empty() {
            return into;
        }
        let mut at = Vec::with_capacity(fresh.len());
        let mut from = 0;
        for k in &fresh {
            from += into[from..].partition_point(|x| self.cmp(x, k) == Ordering::Less);
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
}

fn display_order<T: Row>(a: (Health, &str, &T), b: (Health, &str, &T)) -> Ordering {
    a.0.cmp(&b.0).then_with(|| a.2.tiebreak(b.2)).then_with(|| a.1.cmp(b.1))
}

impl Row for Pod {
    fn haystack(&self) -> String {
        format!("{} {} {} {}", self.namespace, self.name, self.status(), self.node.as_deref().unwrap_or(""))
    }
    fn tiebreak(&self, other: &Self) -> std::cmp::Ordering {
        other.restarts().cmp(&self.restarts()).then_with(|| self.name.cmp(&other.name))
    }
}

impl Row for Db {
    fn haystack(&self) -> String {
        let d = &self.instance;
        format!("{} {} {} {}", d.id, d.status, d.engine, d.role())
    }
    fn tiebreak(&self, other: &Self) -> std::cmp::Ordering {
        // Keep a cluster (or a primary and its replicas) together, writer first.
        let group = |d: &DbInstance| d.cluster.clone().or_else(|| d.replica_of.clone()).unwrap_or_else(|| d.id.clone());
        let key = |d: &DbInstance| (group(d), d.replica_of.is_some(), d.id.clone());
        key(&self.instance).cmp(&key(&other.instance))
    }
}

impl Row for Alarm {
    fn haystack(&self) -> String {
        format!("{} {} {} {}", self.name, self.state.label(), self.metric, self.namespace)
    }
    fn tiebreak(&self, other: &Self) -> std::cmp::Ordering {
        self.state.cmp(&other.state).then_with(|| other.since.cmp(&self.since)).then_with(|| self.name.cmp(&other.name))
    }
}

impl Row for TrailEvent {
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
    fn tiebreak(&self, other: &Self) -> std::cmp::Ordering {
        other.time.cmp(&self.time).then_with(|| other.id.cmp(&self.id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::alarm;
    use crate::model::AlarmState;
    use crate::state::Delta;
    use chrono::DateTime;
    use std::collections::HashMap;

    /// A store and its view, changed as the app changes them.
    #[derive(Default)]
    struct Panel {
        store: Store<Alarm>,
        list: List,
    }

    impl Panel {
        fn apply(&mut self, d: Delta<Alarm>) {
            let c = self.store.apply(d, DateTime::from_timestamp(0, 0).unwrap());
            self.list.note(&c);
        }
        fn upsert(&mut self, a: Alarm) {
            self.apply(Delta::Upsert(vec![a]));
        }
        fn rebuild(&mut self) {
            self.list.rebuild(&self.store);
        }
        fn names(&self) -> Vec<String> {
            self.list.visible(&self.store, usize::MAX).map(|(_, a)| a.name.clone()).collect()
        }
        fn selected(&self) -> String {
            self.list.selected(&self.store).unwrap().name.clone()
        }
    }

    #[test]
    fn firing_first_then_name() {
        let mut p = Panel::default();
        p.upsert(alarm("b", AlarmState::Ok));
        p.upsert(alarm("a", AlarmState::Ok));
        p.upsert(alarm("z", AlarmState::Alarm));
        p.upsert(alarm("m", AlarmState::InsufficientData));
        p.rebuild();
        assert_eq!(p.names(), ["z", "m", "a", "b"]);
    }

    #[test]
    fn selection_follows_item_when_it_moves() {
        let mut p = Panel::default();
        for n in ["a", "b", "c"] {
            p.upsert(alarm(n, AlarmState::Ok));
        }
        p.rebuild();
        p.list.move_by(2, 10);
        assert_eq!(p.selected(), "c");
        p.upsert(alarm("b", AlarmState::Alarm));
        p.rebuild();
        assert_eq!(p.names(), ["b", "a", "c"]);
        assert_eq!(p.selected(), "c");
        assert_eq!(p.list.selected_index(), 2);
    }

    #[test]
    fn an_untouched_selection_follows_the_top_row() {
        let mut p = Panel::default();
        for n in ["a", "b", "c"] {
            p.upsert(alarm(n, AlarmState::Ok));
        }
        p.rebuild();
        assert_eq!(p.selected(), "a");
        p.upsert(alarm("c", AlarmState::Alarm));
        p.rebuild();
        assert_eq!(p.selected(), "c", "the new worst row is selected");
        // Back at the top after moving: follows the top again.
        p.list.move_by(1, 10);
        p.list.move_by(-1, 10);
        p.upsert(alarm("b", AlarmState::Alarm));
        p.rebuild();
        assert_eq!(p.selected(), "b");
    }

    #[test]
    fn filter_matches_all_words() {
        let mut p = Panel::default();
        p.upsert(alarm("orders-db-high-cpu", AlarmState::Alarm));
        p.upsert(alarm("api-latency", AlarmState::Ok));
        p.list.set_filter("ORDERS alarm");
        p.rebuild();
        assert_eq!(p.names(), ["orders-db-high-cpu"]);
        p.list.set_filter("");
        p.rebuild();
        assert_eq!(p.list.len(), 2);
    }

    #[test]
    fn scrolling_keeps_selection_visible() {
        let mut p = Panel::default();
        p.apply(Delta::Reset((0..50).map(|i| alarm(&format!("a{i:02}"), AlarmState::Ok)).collect()));
        p.rebuild();
        let l = &mut p.list;
        l.move_by(15, 10);
        assert_eq!((l.selected_index(), l.offset), (15, 6));
        l.move_by(-3, 10);
        assert_eq!((l.selected_index(), l.offset), (12, 6));
        l.select_last(10);
        assert_eq!((l.selected_index(), l.offset), (49, 40));
        l.select_first(10);
        assert_eq!((l.selected_index(), l.offset), (0, 0));
    }

    #[derive(Debug, Clone)]
    enum Op {
        Upsert(u8, u8, i64),
        Reset(Vec<(u8, u8, i64)>),
        Remove(u8),
        Filter(u8),
        Rebuild,
    }

    fn op() -> impl proptest::strategy::Strategy<Value = Op> {
        use proptest::prelude::*;
        prop_oneof![
            6 => (0u8..40, 0u8..3, 0i64..50).prop_map(|(k, s, t)| Op::Upsert(k, s, t)),
            1 => proptest::collection::vec((0u8..40, 0u8..3, 0i64..50), 0..30).prop_map(Op::Reset),
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
        /// Merging changes into the kept order gives exactly the order and
        /// the filtered view a full sort would.
        #[test]
        fn incremental_order_equals_a_full_sort(ops in proptest::collection::vec(op(), 1..80)) {
            let mut p = Panel::default();
            let mut reference: HashMap<String, Alarm> = HashMap::new();
            let filters = ["", "k1", "alarm", "k0 ok"];
            let mut filter = "";
            for op in ops {
                match op {
                    Op::Upsert(k, s, t) => {
                        let a = timed(k, s, t);
                        reference.insert(a.name.clone(), a.clone());
                        p.upsert(a);
                    }
                    Op::Reset(items) => {
                        let items: Vec<Alarm> = items.into_iter().map(|(k, s, t)| timed(k, s, t)).collect();
                        reference = items.iter().map(|a| (a.name.clone(), a.clone())).collect();
                        p.apply(Delta::Reset(items));
                    }
                    Op::Remove(k) => {
                        reference.remove(&format!("k{k:02}"));
                        p.apply(Delta::Delete(vec![format!("k{k:02}")]));
                    }
                    Op::Filter(f) => {
                        filter = filters[usize::from(f)];
                        p.list.set_filter(filter);
                    }
                    Op::Rebuild => {
                        p.rebuild();
                        let mut all: Vec<Alarm> = reference.values().cloned().collect();
                        all.sort_by(|a, b| display_order((a.health(), &a.name, a), (b.health(), &b.name, b)));
                        let words: Vec<String> = filter.split_whitespace().map(str::to_lowercase).collect();
                        let shown: Vec<String> = all
                            .iter()
                            .filter(|a| words.iter().all(|w| a.haystack().to_lowercase().contains(w)))
                            .map(|a| a.name.clone())
                            .collect();
                        proptest::prop_assert_eq!(p.names(), shown);
                    }
                }
            }
        }
    }
}
