//! The CloudTrail panel's rows: the events of the chosen view within the
//! window, with repeats collapsed. Events with the same name, user and
//! source IP, each within [`BURST_GAP`] of the one before (a burst of
//! failed console logins), make one row with a count and the first and
//! last time; expanding it lists every event under it.
//!
//! The rows are a store of their own, kept in step with the events store
//! by what each delta changed: only the (name, user, IP) groups a delta
//! touched are regrouped, so a poll of new events costs what it brought.

use std::cmp::Ordering;
use std::collections::{BTreeSet, HashMap, HashSet};

use chrono::{DateTime, TimeDelta, Utc};

use super::list::Row;
use crate::model::{Health, SecurityFlag, TrailEvent};
use crate::state::{Changes, Delta, Item, Store};

/// Events further apart than this start a new row.
pub const BURST_GAP: TimeDelta = TimeDelta::minutes(5);

/// The windows the panel steps through, shortest first.
pub const WINDOWS: [TimeDelta; 5] =
    [TimeDelta::minutes(15), TimeDelta::hours(1), TimeDelta::hours(3), TimeDelta::hours(12), TimeDelta::hours(24)];

/// The default window: the last hour.
pub const DEFAULT_WINDOW: TimeDelta = TimeDelta::hours(1);

/// Which events the panel shows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum TrailView {
    #[default]
    All,
    FailedLogins,
    Iam,
    Kms,
    SecurityGroups,
    Root,
    Deletes,
}

impl TrailView {
    pub const ALL: [TrailView; 7] = [
        TrailView::All,
        TrailView::FailedLogins,
        TrailView::Iam,
        TrailView::Kms,
        TrailView::SecurityGroups,
        TrailView::Root,
        TrailView::Deletes,
    ];

    pub fn label(self) -> &'static str {
        match self {
            TrailView::All => "all events",
            TrailView::FailedLogins => "failed console logins",
            TrailView::Iam => "IAM changes",
            TrailView::Kms => "KMS key changes",
            TrailView::SecurityGroups => "security-group changes",
            TrailView::Root => "root-user activity",
            TrailView::Deletes => "Delete* calls",
        }
    }

    pub fn matches(self, e: &TrailEvent) -> bool {
        match self {
            TrailView::All => true,
            TrailView::FailedLogins => e.is_failed_login(),
            TrailView::Iam => e.is_iam_change(),
            TrailView::Kms => e.is_kms_change(),
            TrailView::SecurityGroups => e.is_security_group_change(),
            TrailView::Root => e.is_root(),
            TrailView::Deletes => e.is_delete(),
        }
    }

    /// The next view, round to *all* after the last.
    pub fn next(self) -> TrailView {
        let i = TrailView::ALL.iter().position(|v| *v == self).unwrap_or(0);
        TrailView::ALL[(i + 1) % TrailView::ALL.len()]
    }
}

/// The next window, round to the shortest after the longest.
pub fn next_window(window: TimeDelta) -> TimeDelta {
    WINDOWS.iter().copied().find(|w| *w > window).unwrap_or(WINDOWS[0])
}

/// `15m`, `1h`, `24h`.
pub fn window_label(window: TimeDelta) -> String {
    if window.num_minutes() % 60 == 0 {
        format!("{}h", window.num_hours())
    } else {
        format!("{}m", window.num_minutes())
    }
}

/// What a row is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowKind {
    /// One event, or several collapsed into one row (`count > 1`).
    Group { count: usize, first: DateTime<Utc>, expanded: bool },
    /// One event of an expanded group, listed under it.
    Member,
}

/// One row of the panel.
#[derive(Debug, Clone, PartialEq)]
pub struct TrailRow {
    key: String,
    /// The event the row shows: a group's newest, or the member itself.
    pub event: String,
    /// The group's key (a group's own key for its header).
    group: String,
    /// The time of the event shown (a group's last).
    pub time: DateTime<Utc>,
    /// The group's newest time and worst health: members sort with their
    /// group, right under it.
    group_time: DateTime<Utc>,
    group_health: Health,
    pub kind: RowKind,
    pub name: String,
    pub user: String,
    pub source_ip: String,
    pub resource: String,
    pub error_code: Option<String>,
    pub flag: Option<SecurityFlag>,
}

impl TrailRow {
    pub fn count(&self) -> usize {
        match self.kind {
            RowKind::Group { count, .. } => count,
            RowKind::Member => 1,
        }
    }

    pub fn is_member(&self) -> bool {
        self.kind == RowKind::Member
    }
}

impl Item for TrailRow {
    fn key(&self) -> String {
        self.key.clone()
    }
    fn health(&self) -> Health {
        self.group_health
    }
}

impl Row for TrailRow {
    fn haystack(&self) -> String {
        format!(
            "{} {} {} {} {} {}",
            self.name,
            self.user,
            self.source_ip,
            self.resource,
            self.error_code.as_deref().unwrap_or(""),
            self.flag.map(SecurityFlag::label).unwrap_or("")
        )
    }
    /// Newest group first; a group's members right under it, newest first.
    fn tiebreak(&self, other: &Self) -> Ordering {
        other
            .group_time
            .cmp(&self.group_time)
            .then_with(|| self.group.cmp(&other.group))
            .then_with(|| self.is_member().cmp(&other.is_member()))
            .then_with(|| other.time.cmp(&self.time))
    }
}

/// Which events collapse together: name, user and source IP.
type Identity = (String, String, String);

fn identity(e: &TrailEvent) -> Identity {
    (e.name.clone(), e.user.clone(), e.source_ip.clone())
}

/// Splits `times` (oldest first) where consecutive events are more than
/// [`BURST_GAP`] apart: the index ranges of the groups.
pub fn bursts(times: &[DateTime<Utc>]) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    for i in 1..times.len() {
        if times[i] - times[i - 1] > BURST_GAP {
            out.push(start..i);
            start = i;
        }
    }
    if !times.is_empty() {
        out.push(start..times.len());
    }
    out
}

/// The panel's rows and what they are made of.
#[derive(Debug, Clone)]
pub struct TrailRows {
    pub store: Store<TrailRow>,
    view: TrailView,
    window: TimeDelta,
    /// Groups shown expanded, by key.
    expanded: HashSet<String>,
    /// The events in the view and window, per identity, oldest first.
    groups: HashMap<Identity, BTreeSet<(DateTime<Utc>, String)>>,
    /// Each of those events' identity, time and whether it is flagged.
    placed: HashMap<String, (Identity, DateTime<Utc>, bool)>,
    /// How many of them are flagged.
    flagged: usize,
    /// The same events by time, to drop them as they leave the window.
    by_time: BTreeSet<(DateTime<Utc>, String)>,
    /// The row keys each identity has in the store.
    rows: HashMap<Identity, Vec<String>>,
}

impl Default for TrailRows {
    fn default() -> Self {
        TrailRows {
            store: Store::default(),
            view: TrailView::All,
            window: DEFAULT_WINDOW,
            expanded: HashSet::new(),
            groups: HashMap::new(),
            placed: HashMap::new(),
            flagged: 0,
            by_time: BTreeSet::new(),
            rows: HashMap::new(),
        }
    }
}

impl TrailRows {
    pub fn with_window(window: TimeDelta) -> Self {
        TrailRows { window, ..TrailRows::default() }
    }

    pub fn view(&self) -> TrailView {
        self.view
    }

    pub fn window(&self) -> TimeDelta {
        self.window
    }

    /// The events shown, and how many of them are flagged.
    pub fn counts(&self) -> (usize, usize) {
        (self.placed.len(), self.flagged)
    }

    /// Shows `view` instead: every row is rebuilt.
    pub fn set_view(&mut self, view: TrailView, events: &Store<TrailEvent>, now: DateTime<Utc>) -> Changes {
        self.view = view;
        self.rebuild(events, now)
    }

    /// Shows the events of the last `window` instead.
    pub fn set_window(&mut self, window: TimeDelta, events: &Store<TrailEvent>, now: DateTime<Utc>) -> Changes {
        self.window = window;
        self.rebuild(events, now)
    }

    /// Follows what a delta changed in the events store.
    pub fn sync(&mut self, events: &Store<TrailEvent>, changes: &Changes, now: DateTime<Utc>) -> Changes {
        if changes.reset {
            return self.rebuild(events, now);
        }
        let mut touched = HashSet::new();
        for key in changes.removed.iter().chain(&changes.changed) {
            if let Some(id) = self.unplace(key) {
                touched.insert(id);
            }
        }
        let cutoff = now - self.window;
        for key in changes.added.iter().chain(&changes.changed) {
            if let Some(e) = events.get(key).filter(|e| e.time >= cutoff && self.view.matches(e)) {
                touched.insert(self.place(e));
            }
        }
        touched.extend(self.expire(cutoff));
        self.regroup(touched, events)
    }

    /// Drops the events that left the window by `now`.
    pub fn age(&mut self, events: &Store<TrailEvent>, now: DateTime<Utc>) -> Changes {
        let touched = self.expire(now - self.window);
        self.regroup(touched, events)
    }

    /// Expands the group of the row `key` (a member's own group), or
    /// collapses it if it is expanded. Returns the key of the group's row,
    /// for the selection to go to, and what changed; `None` for a row of a
    /// single event.
    pub fn toggle(&mut self, key: &str, events: &Store<TrailEvent>) -> Option<(String, Changes)> {
        let row = self.store.get(key)?;
        let group = row.group.clone();
        let header = self.store.get(&group)?;
        if header.count() < 2 {
            return None;
        }
        if !self.expanded.remove(&group) {
            self.expanded.insert(group.clone());
        }
        let id = self.placed.get(&header.event)?.0.clone();
        Some((group, self.regroup(HashSet::from([id]), events)))
    }

    /// The events of the group whose row is `key` (a member's group),
    /// newest first.
    pub fn group_events<'a>(&self, key: &str, events: &'a Store<TrailEvent>) -> Vec<&'a TrailEvent> {
        let Some(row) = self.store.get(key) else { return Vec::new() };
        let Some((id, _, _)) = self.placed.get(&row.event) else { return Vec::new() };
        let Some(header) = self.store.get(&row.group) else { return Vec::new() };
        let RowKind::Group { first, .. } = header.kind else { return Vec::new() };
        let mut out: Vec<&TrailEvent> = self
            .groups
            .get(id)
            .into_iter()
            .flat_map(|set| set.range((first, String::new())..))
            .take_while(|(t, _)| *t <= header.time)
            .filter_map(|(_, e)| events.get(e))
            .collect();
        out.reverse();
        out
    }

    fn place(&mut self, e: &TrailEvent) -> Identity {
        let id = identity(e);
        self.groups.entry(id.clone()).or_default().insert((e.time, e.id.clone()));
        self.by_time.insert((e.time, e.id.clone()));
        let flagged = e.security_flag().is_some();
        if let Some(old) = self.placed.insert(e.id.clone(), (id.clone(), e.time, flagged)) {
            self.flagged -= usize::from(old.2);
        }
        self.flagged += usize::from(flagged);
        id
    }

    fn unplace(&mut self, key: &str) -> Option<Identity> {
        let (id, time, flagged) = self.placed.remove(key)?;
        self.flagged -= usize::from(flagged);
        self.by_time.remove(&(time, key.to_string()));
        if let Some(set) = self.groups.get_mut(&id) {
            set.remove(&(time, key.to_string()));
            if set.is_empty() {
                self.groups.remove(&id);
            }
        }
        Some(id)
    }

    /// Unplaces the events older than `cutoff`: their identities.
    fn expire(&mut self, cutoff: DateTime<Utc>) -> HashSet<Identity> {
        let mut touched = HashSet::new();
        while let Some((time, key)) = self.by_time.first().cloned() {
            if time >= cutoff {
                break;
            }
            self.by_time.pop_first();
            touched.extend(self.unplace(&key));
        }
        touched
    }

    /// Every row again, from the events store.
    fn rebuild(&mut self, events: &Store<TrailEvent>, now: DateTime<Utc>) -> Changes {
        self.groups.clear();
        self.placed.clear();
        self.flagged = 0;
        self.by_time.clear();
        self.rows.clear();
        let (cutoff, view) = (now - self.window, self.view);
        for e in events.values().filter(|e| e.time >= cutoff && view.matches(e)) {
            self.place(e);
        }
        let mut all = Vec::new();
        let mut expanded = HashSet::new();
        let ids: Vec<Identity> = self.groups.keys().cloned().collect();
        for id in ids {
            let rows = self.rows_of(&id, events);
            expanded.extend(rows.iter().filter(|r| self.expanded.contains(&r.key)).map(|r| r.key.clone()));
            self.rows.insert(id, rows.iter().map(|r| r.key.clone()).collect());
            all.extend(rows);
        }
        // Forget expansions of groups that are gone.
        self.expanded = expanded;
        let mut changes = self.store.apply(Delta::Reset(all), now);
        // A reset the store found identical changes nothing; otherwise the
        // view starts over.
        if !changes.is_empty() {
            changes.reset = true;
        }
        changes
    }

    /// Rebuilds the rows of `touched` identities; what changed in the store.
    fn regroup(&mut self, touched: HashSet<Identity>, events: &Store<TrailEvent>) -> Changes {
        let mut gone = Vec::new();
        let mut fresh = Vec::new();
        for id in touched {
            let rows = if self.groups.contains_key(&id) { self.rows_of(&id, events) } else { Vec::new() };
            let keys: HashSet<&str> = rows.iter().map(|r| r.key.as_str()).collect();
            let old = self.rows.remove(&id).unwrap_or_default();
            for k in old.into_iter().filter(|k| !keys.contains(k.as_str())) {
                self.expanded.remove(&k);
                gone.push(k);
            }
            if !rows.is_empty() {
                self.rows.insert(id, rows.iter().map(|r| r.key.clone()).collect());
            }
            fresh.extend(rows);
        }
        let at = DateTime::<Utc>::UNIX_EPOCH;
        let mut changes = self.store.apply(Delta::Delete(gone), at);
        let upserted = self.store.apply(Delta::Upsert(fresh), at);
        changes.added.extend(upserted.added);
        changes.changed.extend(upserted.changed);
        changes
    }

    /// The rows of one identity's events: a row per group, and under an
    /// expanded group a row per event.
    fn rows_of(&self, id: &Identity, events: &Store<TrailEvent>) -> Vec<TrailRow> {
        let Some(set) = self.groups.get(id) else { return Vec::new() };
        let all: Vec<&TrailEvent> = set.iter().filter_map(|(_, k)| events.get(k)).collect();
        let times: Vec<DateTime<Utc>> = all.iter().map(|e| e.time).collect();
        let mut out = Vec::new();
        for range in bursts(&times) {
            let members = &all[range];
            let (first, last) = (members[0], members[members.len() - 1]);
            let key = format!("g/{}", first.id);
            let health = members.iter().map(|e| e.health()).min().unwrap_or(Health::Ok);
            let expanded = members.len() > 1 && self.expanded.contains(&key);
            let row = |e: &TrailEvent, key: String, kind: RowKind| TrailRow {
                key,
                event: e.id.clone(),
                group: format!("g/{}", first.id),
                time: e.time,
                group_time: last.time,
                group_health: health,
                kind,
                name: e.name.clone(),
                user: e.user.clone(),
                source_ip: e.source_ip.clone(),
                resource: e.resource.clone(),
                error_code: e.error_code.clone(),
                flag: e.security_flag(),
            };
            out.push(row(last, key, RowKind::Group { count: members.len(), first: first.time, expanded }));
            if expanded {
                out.extend(members.iter().rev().map(|e| row(e, format!("e/{}", e.id), RowKind::Member)));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests;
