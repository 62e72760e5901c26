use super::*;
use crate::app::list::List;
use crate::fixtures::t0;

fn ev(id: &str, mins_ago: i64, name: &str, user: &str, ip: &str) -> TrailEvent {
    TrailEvent {
        id: id.into(),
        time: t0() - TimeDelta::minutes(mins_ago),
        name: name.into(),
        source: "signin.amazonaws.com".into(),
        user: user.into(),
        source_ip: ip.into(),
        resource: String::new(),
        error_code: (name == "ConsoleLogin").then(|| "Failed authentication".into()),
        read_only: false,
        raw: "{}".into(),
    }
}

fn login(id: &str, mins_ago: i64) -> TrailEvent {
    ev(id, mins_ago, "ConsoleLogin", "admin", "203.0.113.7")
}

/// The events store, the rows and a view of them, changed as the app
/// changes them.
#[derive(Default)]
struct Panel {
    events: Store<TrailEvent>,
    rows: TrailRows,
    list: List,
}

impl Panel {
    fn apply(&mut self, d: Delta<TrailEvent>) {
        let c = self.events.apply(d, t0());
        let rc = self.rows.sync(&self.events, &c, t0());
        self.list.note(&rc);
        self.list.rebuild(&self.rows.store);
    }
    fn add(&mut self, events: Vec<TrailEvent>) {
        self.apply(Delta::Upsert(events));
    }
    fn note(&mut self, c: Changes) {
        self.list.note(&c);
        self.list.rebuild(&self.rows.store);
    }
    /// `name×count` (`+` when expanded, `-` for a member) per row.
    fn shown(&self) -> Vec<String> {
        self.list
            .visible(&self.rows.store, usize::MAX)
            .map(|(_, r)| match r.kind {
                RowKind::Group { count: 1, .. } => r.event.clone(),
                RowKind::Group { count, expanded, .. } => {
                    format!("{}×{count}{}", r.event, if expanded { "+" } else { "" })
                }
                RowKind::Member => format!("-{}", r.event),
            })
            .collect()
    }
    fn key_of(&self, event: &str) -> String {
        self.rows.store.values().find(|r| r.event == event && !r.is_member()).unwrap().key()
    }
}

#[test]
fn bursts_split_where_events_are_more_than_the_gap_apart() {
    let at = |m: i64| t0() + TimeDelta::minutes(m);
    assert_eq!(bursts(&[]), Vec::<std::ops::Range<usize>>::new());
    assert_eq!(bursts(&[at(0)]), vec![std::ops::Range { start: 0, end: 1 }]);
    assert_eq!(bursts(&[at(0), at(5), at(10), at(16), at(17)]), [0..3, 3..5]);
}

#[test]
fn a_burst_of_failed_logins_is_one_row_with_its_count_and_first_and_last_time() {
    let mut p = Panel::default();
    p.add(vec![login("l1", 20), login("l2", 18), login("l3", 15), ev("x", 10, "AssumeRole", "ci", "10.0.0.1")]);
    assert_eq!(p.shown(), ["l3×3", "x"], "crit first, then newest");
    let row = p.rows.store.get(&p.key_of("l3")).unwrap();
    assert_eq!(row.kind, RowKind::Group { count: 3, first: t0() - TimeDelta::minutes(20), expanded: false });
    assert_eq!(row.time, t0() - TimeDelta::minutes(15));
    assert_eq!(row.flag, Some(SecurityFlag::FailedLogin));
    // Another IP, or a gap of more than five minutes, is another row.
    p.add(vec![ev("o", 14, "ConsoleLogin", "admin", "198.51.100.1"), login("l4", 5)]);
    assert_eq!(p.shown(), ["l4", "o", "l3×3", "x"]);
    // A late event that closes the gap joins the rows into one.
    p.add(vec![login("l5", 10)]);
    assert_eq!(p.shown(), ["l4×5", "o", "x"]);
}

#[test]
fn expanding_lists_every_event_under_its_row_and_collapsing_hides_them() {
    let mut p = Panel::default();
    p.add(vec![login("l1", 3), login("l2", 2), ev("x", 1, "AssumeRole", "ci", "10.0.0.1")]);
    let key = p.key_of("l2");
    let (group, c) = p.rows.toggle(&key, &p.events).unwrap();
    assert_eq!(group, key);
    p.note(c);
    assert_eq!(p.shown(), ["l2×2+", "-l2", "-l1", "x"]);
    // New events of the group appear among the members.
    p.add(vec![login("l3", 0)]);
    assert_eq!(p.shown(), ["l3×3+", "-l3", "-l2", "-l1", "x"]);
    // Collapsing from a member collapses its group.
    let member = p.rows.store.values().find(|r| r.event == "l1").unwrap().key();
    let (_, c) = p.rows.toggle(&member, &p.events).unwrap();
    p.note(c);
    assert_eq!(p.shown(), ["l3×3", "x"]);
    // A single event has nothing to expand.
    assert!(p.rows.toggle(&p.key_of("x"), &p.events).is_none());
}

#[test]
fn a_group_lists_its_own_events_newest_first() {
    let mut p = Panel::default();
    p.add(vec![login("l1", 30), login("l2", 12), login("l3", 10)]);
    let names = |k: &str| p.rows.group_events(k, &p.events).iter().map(|e| e.id.clone()).collect::<Vec<_>>();
    assert_eq!(names(&p.key_of("l3")), ["l3", "l2"]);
    assert_eq!(names(&p.key_of("l1")), ["l1"]);
}

#[test]
fn views_pick_their_events() {
    let mut p = Panel::default();
    let mut key = ev("k", 1, "DisableKey", "ops", "10.0.0.2");
    key.source = "kms.amazonaws.com".into();
    let mut decrypt = ev("d", 1, "Decrypt", "app", "10.0.0.3");
    decrypt.source = "kms.amazonaws.com".into();
    decrypt.read_only = true;
    let mut role = ev("i", 2, "AttachRolePolicy", "ops", "10.0.0.2");
    role.source = "iam.amazonaws.com".into();
    let sg = ev("s", 3, "AuthorizeSecurityGroupIngress", "ops", "10.0.0.2");
    let root = ev("r", 4, "StopLogging", "root", "198.51.100.9");
    let del = ev("x", 5, "DeleteBucket", "ops", "10.0.0.2");
    p.add(vec![key, decrypt, role, sg, root, del, login("l", 6)]);
    let mut seen = Vec::new();
    for view in TrailView::ALL {
        let c = p.rows.set_view(view, &p.events, t0());
        p.note(c);
        seen.push(format!("{}: {}", view.label(), p.shown().join(" ")));
    }
    assert_eq!(
        seen,
        [
            "all events: r l k i s x d",
            "failed console logins: l",
            "IAM changes: i",
            "KMS key changes: k",
            "security-group changes: s",
            "root-user activity: r",
            "Delete* calls: x",
        ]
    );
    assert_eq!(TrailView::Deletes.next(), TrailView::All);
}

#[test]
fn events_leave_as_the_window_passes_them() {
    let mut p = Panel::default();
    p.add(vec![login("old", 90), login("l1", 50), ev("x", 10, "AssumeRole", "ci", "10.0.0.1")]);
    assert_eq!(p.shown(), ["l1", "x"], "the default window is the last hour");
    let c = p.rows.age(&p.events, t0() + TimeDelta::minutes(20));
    p.note(c);
    assert_eq!(p.shown(), ["x"]);
    let c = p.rows.set_window(TimeDelta::hours(3), &p.events, t0());
    p.note(c);
    assert_eq!(p.shown(), ["l1", "old", "x"]);
    assert_eq!(next_window(TimeDelta::hours(3)), TimeDelta::hours(12));
    assert_eq!(next_window(TimeDelta::hours(24)), TimeDelta::minutes(15));
    assert_eq!(
        (window_label(TimeDelta::minutes(15)), window_label(TimeDelta::hours(24))),
        ("15m".into(), "24h".into())
    );
}

#[test]
fn events_gone_from_the_store_leave_their_rows() {
    let mut p = Panel::default();
    p.add(vec![login("l1", 3), login("l2", 2)]);
    p.apply(Delta::Delete(vec!["l2".into()]));
    assert_eq!(p.shown(), ["l1"]);
    p.apply(Delta::Reset(vec![]));
    assert!(p.shown().is_empty());
}

proptest::proptest! {
    /// Following deltas one by one gives the rows a rebuild from the
    /// events would.
    #[test]
    fn following_deltas_equals_a_rebuild(
        batches in proptest::collection::vec(proptest::collection::vec((0u8..30, 0i64..90, 0u8..3), 0..8), 1..12),
        expand in proptest::collection::vec(0u8..30, 0..4),
        deletes in proptest::collection::vec(0u8..30, 0..4),
    ) {
        let mut p = Panel::default();
        for batch in batches {
            let events = batch
                .into_iter()
                .map(|(i, t, who)| {
                    let mut e = login(&format!("e{i:02}"), t);
                    e.user = format!("u{who}");
                    e
                })
                .collect();
            p.add(events);
            for i in &expand {
                let key = p.rows.store.values().find(|r| r.event == format!("e{i:02}")).map(Item::key);
                if let Some((_, c)) = key.and_then(|k| p.rows.toggle(&k, &p.events)) {
                    p.note(c);
                }
            }
        }
        p.apply(Delta::Delete(deletes.iter().map(|i| format!("e{i:02}")).collect()));
        let c = p.rows.age(&p.events, t0() + TimeDelta::minutes(15));
        p.note(c);
        let mut fresh = TrailRows { expanded: p.rows.expanded.clone(), ..TrailRows::default() };
        let mut list = List::default();
        list.note(&fresh.rebuild(&p.events, t0() + TimeDelta::minutes(15)));
        list.rebuild(&fresh.store);
        let want: Vec<TrailRow> = list.visible(&fresh.store, usize::MAX).map(|(_, r)| r.clone()).collect();
        let got: Vec<TrailRow> = p.list.visible(&p.rows.store, usize::MAX).map(|(_, r)| r.clone()).collect();
        proptest::prop_assert_eq!(got, want);
    }
}
