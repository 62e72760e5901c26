//! A keyed, sorted, filtered, virtualised list: the state behind each
//! panel. Rendering cost depends on the visible rows, not on the item count;
//! the selection follows its item when live data reorders the list.

use std::collections::HashMap;

use crate::model::{Alarm, DbInstance, Health, Pod, TrailEvent};

/// What a list needs to know about its rows.
pub trait Row: PartialEq {
    fn key(&self) -> String;
    /// Text matched by the `/` filter (lower-cased on comparison).
    fn haystack(&self) -> String;
    fn health(&self) -> Health;
    /// Orders rows with the same health; unhealthy rows always come first.
    fn tiebreak(&self, other: &Self) -> std::cmp::Ordering;
}

#[derive(Debug, Clone)]
pub struct List<T> {
    items: HashMap<String, T>,
    view: Vec<String>,
    selected: usize,
    selected_key: Option<String>,
    /// The selection is on the first row and stays there as rows reorder
    /// (the worst item, or the newest event); moving off the top pins the
    /// selection to its item instead.
    follow_top: bool,
    pub offset: usize,
    filter: String,
    stale: bool,
    cap: Option<usize>,
}

impl<T: Row> Default for List<T> {
    fn default() -> Self {
        List {
            items: HashMap::new(),
            view: Vec::new(),
            selected: 0,
            selected_key: None,
            follow_top: true,
            offset: 0,
            filter: String::new(),
            stale: false,
            cap: None,
        }
    }
}

impl<T: Row> List<T> {
    /// A list that keeps at most `cap` items, dropping the last in order.
    pub fn capped(cap: usize) -> Self {
        List { cap: Some(cap), ..List::default() }
    }

    /// Inserts or replaces; returns whether anything changed.
    pub fn upsert(&mut self, item: T) -> bool {
        let key = item.key();
        if self.items.get(&key) == Some(&item) {
            return false;
        }
        self.items.insert(key, item);
        self.stale = true;
        true
    }

    /// Inserts unless the key is already present.
    pub fn insert_new(&mut self, item: T) -> bool {
        let key = item.key();
        if self.items.contains_key(&key) {
            return false;
        }
        self.items.insert(key, item);
        self.stale = true;
        true
    }

    pub fn remove(&mut self, key: &str) -> bool {
        let removed = self.items.remove(key).is_some();
        self.stale |= removed;
        removed
    }

    /// Replaces every item (a full re-list or poll); returns whether
    /// anything differs from what was there, so an identical poll costs no
    /// redraw.
    pub fn replace_all(&mut self, items: impl IntoIterator<Item = T>) -> bool {
        let new: HashMap<String, T> = items.into_iter().map(|i| (i.key(), i)).collect();
        if new == self.items {
            return false;
        }
        self.items = new;
        self.stale = true;
        true
    }

    pub fn is_stale(&self) -> bool {
        self.stale
    }

    /// Re-sorts and re-filters after changes; keeps the selection on its
    /// item. Called once per batch of messages, not per item.
    pub fn rebuild(&mut self) -> bool {
        if !self.stale {
            return false;
        }
        self.stale = false;
        self.evict_over_cap();
        let needle = self.filter.to_lowercase();
        let words: Vec<&str> = needle.split_whitespace().collect();
        // Health is computed once per item, not once per comparison.
        let mut rows: Vec<(Health, &String, &T)> = self
            .items
            .iter()
            .filter(|(_, i)| {
                if words.is_empty() {
                    return true;
                }
                let hay = i.haystack().to_lowercase();
                words.iter().all(|w| hay.contains(w))
            })
            .map(|(k, i)| (i.health(), k, i))
            .collect();
        rows.sort_by(display_order);
        self.view = rows.iter().map(|(_, k, _)| (*k).clone()).collect();
        self.selected = match &self.selected_key {
            _ if self.follow_top => 0,
            Some(k) => {
                self.view.iter().position(|v| v == k).unwrap_or(self.selected.min(self.view.len().saturating_sub(1)))
            }
            None => 0,
        };
        self.selected_key = self.view.get(self.selected).cloned();
        true
    }

    /// Drops the items that sort last (for CloudTrail: the oldest) beyond
    /// the cap, whatever the filter shows.
    fn evict_over_cap(&mut self) {
        let Some(cap) = self.cap else { return };
        if self.items.len() <= cap {
            return;
        }
        let mut all: Vec<(Health, &String, &T)> = self.items.iter().map(|(k, i)| (i.health(), k, i)).collect();
        all.sort_by(display_order);
        let dropped: Vec<String> = all[cap..].iter().map(|(_, k, _)| (*k).clone()).collect();
        for k in dropped {
            self.items.remove(&k);
        }
    }

    /// Number of items (filtered or not) matching `pred`.
    pub fn count(&self, pred: impl Fn(&T) -> bool) -> usize {
        self.items.values().filter(|i| pred(i)).count()
    }

    /// The worst health of any item; `Ok` when empty.
    pub fn worst(&self) -> Health {
        self.items.values().map(Row::health).min().unwrap_or(Health::Ok)
    }

    pub fn len(&self) -> usize {
        self.view.len()
    }

    pub fn is_empty(&self) -> bool {
        self.view.is_empty()
    }

    pub fn total(&self) -> usize {
        self.items.len()
    }

    pub fn selected_index(&self) -> usize {
        self.selected
    }

    pub fn selected(&self) -> Option<&T> {
        self.view.get(self.selected).and_then(|k| self.items.get(k))
    }

    pub fn get(&self, key: &str) -> Option<&T> {
        self.items.get(key)
    }

    pub fn values(&self) -> impl Iterator<Item = &T> {
        self.items.values()
    }

    /// The rows `offset..offset + height` in display order.
    pub fn visible(&self, height: usize) -> impl Iterator<Item = (usize, &T)> {
        self.view
            .iter()
            .enumerate()
            .skip(self.offset)
            .take(height)
            .filter_map(|(i, k)| self.items.get(k).map(|t| (i, t)))
    }

    pub fn filter(&self) -> &str {
        &self.filter
    }

    pub fn set_filter(&mut self, filter: &str) {
        if self.filter != filter {
            self.filter = filter.to_string();
            self.stale = true;
            self.offset = 0;
        }
    }

    /// Moves the selection by `delta` rows and scrolls so it stays in a
    /// window of `height` rows.
    pub fn move_by(&mut self, delta: isize, height: usize) {
        if self.view.is_empty() {
            return;
        }
        let last = self.view.len() - 1;
        self.selected = self.selected.saturating_add_signed(delta).min(last);
        self.selected_key = self.view.get(self.selected).cloned();
        self.follow_top = self.selected == 0;
        self.scroll_into_view(height);
    }

    pub fn select_first(&mut self, height: usize) {
        self.move_by(-(self.selected as isize), height);
    }

    pub fn select_last(&mut self, height: usize) {
        self.move_by(self.view.len() as isize, height);
    }

    pub fn scroll_into_view(&mut self, height: usize) {
        let height = height.max(1);
        if self.selected < self.offset {
            self.offset = self.selected;
        } else if self.selected >= self.offset + height {
            self.offset = self.selected + 1 - height;
        }
        let max_offset = self.view.len().saturating_sub(height);
        self.offset = self.offset.min(max_offset);
    }
}

/// Worst health first, then the row type's own order, then the key, so the
/// order is total and never depends on hash order.
fn display_order<T: Row>(a: &(Health, &String, &T), b: &(Health, &String, &T)) -> std::cmp::Ordering {
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
        l.visible(100).map(|(_, a)| a.name.clone()).collect()
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
}
