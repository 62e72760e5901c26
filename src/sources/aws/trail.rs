//! CloudTrail: LookupEvents over a window (the last hour by default),
//! every page within the API's 2 requests per second, new events only
//! (each poll looks back far enough for late deliveries and the store
//! drops what it has seen); and the trails with GetTrailStatus.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use aws_sdk_cloudtrail::types::Event;
use chrono::{DateTime, TimeDelta, Utc};
use serde::Deserialize;

use super::alarms::{aws_time, time};
use super::classify;
use crate::model::{Trail, TrailEvent};
use crate::state::{Delta, FeedData, SourceError, TRAIL_CAP};

/// CloudTrail delivers events up to about 15 minutes after they happen:
/// each poll looks back this far past the previous one.
pub const LATE: TimeDelta = TimeDelta::minutes(15);
/// LookupEvents allows 2 requests per second per account and region.
pub const MIN_GAP: Duration = Duration::from_millis(500);
/// At most this many pages (50 events each) per poll; the newest come
/// first, so a busy account shows its latest 2,000 events.
pub const MAX_PAGES: usize = 40;

/// Where a poll's lookup starts: the whole window the first time, then
/// from [`LATE`] before the previous poll (never before the window).
pub fn lookup_start(now: DateTime<Utc>, window: TimeDelta, previous: Option<DateTime<Utc>>) -> DateTime<Utc> {
    let earliest = now - window;
    previous.map_or(earliest, |p| (p - LATE).max(earliest))
}

/// How far back the events go. The console changes it; the events poll
/// then looks again at once, over the whole window if it grew.
#[derive(Debug)]
pub struct Lookback {
    secs: AtomicI64,
    changed: tokio::sync::Notify,
}

impl Lookback {
    pub fn new(window: TimeDelta) -> Self {
        Lookback { secs: AtomicI64::new(window.num_seconds()), changed: tokio::sync::Notify::new() }
    }

    pub fn get(&self) -> TimeDelta {
        TimeDelta::seconds(self.secs.load(Ordering::Relaxed))
    }

    pub fn set(&self, window: TimeDelta) {
        self.secs.store(window.num_seconds(), Ordering::Relaxed);
        self.changed.notify_one();
    }

    /// Completes at the next change (at once if one came since the last
    /// wait).
    pub async fn changed(&self) {
        self.changed.notified().await;
    }
}

/// The events poll's memory: the call pacing, when it last looked, over
/// which window, and what it delivered (to take back what leaves the
/// window).
#[derive(Debug, Default)]
pub struct Events {
    pub pacer: Pacer,
    previous: Option<DateTime<Utc>>,
    window: TimeDelta,
    delivered: BTreeSet<(DateTime<Utc>, String)>,
}

impl Events {
    /// Where the lookup for `window` at `now` starts: the whole window the
    /// first time and when it grew, else from [`LATE`] before the last
    /// lookup.
    pub fn start(&self, now: DateTime<Utc>, window: TimeDelta) -> DateTime<Utc> {
        lookup_start(now, window, self.previous.filter(|_| window <= self.window))
    }

    /// Takes note of a lookup's events: what to send, the new events and
    /// the ids of those that left the window (or the most kept).
    pub fn delivered(&mut self, now: DateTime<Utc>, window: TimeDelta, found: Vec<TrailEvent>) -> Vec<FeedData> {
        self.previous = Some(now);
        self.window = window;
        self.delivered.extend(found.iter().map(|e| (e.time, e.id.clone())));
        let cutoff = now - window;
        let mut gone = Vec::new();
        while let Some((time, id)) = self.delivered.first().cloned() {
            if time >= cutoff && self.delivered.len() <= TRAIL_CAP {
                break;
            }
            self.delivered.pop_first();
            gone.push(id);
        }
        let mut out = vec![FeedData::TrailEvents(Delta::Upsert(found))];
        if !gone.is_empty() {
            out.push(FeedData::TrailEvents(Delta::Delete(gone)));
        }
        out
    }
}

/// Spaces calls to one API at least [`MIN_GAP`] apart.
#[derive(Debug, Default)]
pub struct Pacer {
    last: Option<tokio::time::Instant>,
}

impl Pacer {
    pub async fn wait(&mut self) {
        if let Some(last) = self.last {
            tokio::time::sleep_until(last + MIN_GAP).await;
        }
        self.last = Some(tokio::time::Instant::now());
    }
}

/// At most this many pages (8,000 events, under 90 s at the API's pace)
/// go into one export; more says the window holds more.
pub const EXPORT_MAX_PAGES: usize = 160;

/// The events between `start` and `end`, newest first.
pub async fn fetch_events(
    client: &aws_sdk_cloudtrail::Client,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    pacer: &mut Pacer,
    login: &str,
) -> Result<Vec<TrailEvent>, SourceError> {
    Ok(fetch_pages(client, (start, end), MAX_PAGES, pacer, login).await?.0)
}

/// The events between `start` and `end`, newest first, from at most
/// `pages` pages; and whether there were more.
pub async fn fetch_pages(
    client: &aws_sdk_cloudtrail::Client,
    (start, end): (DateTime<Utc>, DateTime<Utc>),
    pages: usize,
    pacer: &mut Pacer,
    login: &str,
) -> Result<(Vec<TrailEvent>, bool), SourceError> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    for _ in 0..pages {
        pacer.wait().await;
        let page = client
            .lookup_events()
            .start_time(aws_time(start))
            .end_time(aws_time(end))
            .max_results(50)
            .set_next_token(token.take())
            .send()
            .await
            .map_err(|e| classify(&e, login))?;
        out.extend(page.events().iter().filter_map(event));
        match page.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => return Ok((out, false)),
        }
    }
    Ok((out, true))
}

/// Where and when an export was made, for its document.
#[derive(Debug, Clone)]
pub struct ExportMeta {
    pub account: String,
    pub region: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub exported_at: DateTime<Utc>,
    /// Whether the lookup stopped before the window's end.
    pub truncated: bool,
}

/// The evidence document, in this order.
#[derive(serde::Serialize)]
struct Document<'a> {
    exported_by: &'static str,
    exported_at: String,
    account: &'a str,
    region: &'a str,
    start_time: String,
    end_time: String,
    event_count: usize,
    truncated: bool,
    events: Vec<Box<serde_json::value::RawValue>>,
}

/// The evidence document: where and when, then every event oldest first,
/// byte for byte the `CloudTrailEvent` JSON CloudTrail delivered (one that
/// is not JSON kept as a JSON string).
pub fn export_document(meta: &ExportMeta, events: &[TrailEvent]) -> String {
    let mut sorted: Vec<&TrailEvent> = events.iter().collect();
    sorted.sort_by(|a, b| a.time.cmp(&b.time).then_with(|| a.id.cmp(&b.id)));
    let stamp = |t: DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let raw = |e: &TrailEvent| {
        serde_json::value::RawValue::from_string(e.raw.clone())
            .or_else(|_| serde_json::value::to_raw_value(&e.raw))
            .ok()
    };
    let doc = Document {
        exported_by: "warroom",
        exported_at: stamp(meta.exported_at),
        account: &meta.account,
        region: &meta.region,
        start_time: stamp(meta.start),
        end_time: stamp(meta.end),
        event_count: sorted.len(),
        truncated: meta.truncated,
        events: sorted.into_iter().filter_map(raw).collect(),
    };
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    text.push('\n');
    text
}

/// `exported 120 CloudTrail events (10:00:00–11:00:00 UTC)`.
pub fn export_message(meta: &ExportMeta, count: usize) -> String {
    let more = if meta.truncated { "; the window holds more: narrow it to keep them all" } else { "" };
    format!(
        "exported {count} CloudTrail events ({}–{} UTC){more}",
        meta.start.format("%H:%M:%S"),
        meta.end.format("%H:%M:%S")
    )
}

/// The evidence file's label: `cloudtrail-eu-west-1-last-1h.json`.
pub fn export_label(region: &str, window: &str) -> String {
    format!("cloudtrail-{region}-last-{window}.json")
}

/// What the console reads from the raw event JSON.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Raw {
    #[serde(rename = "sourceIPAddress")]
    source_ip_address: Option<String>,
    error_code: Option<String>,
    user_identity: Option<Identity>,
    response_elements: Option<serde_json::Value>,
}

#[derive(Debug, Default, Deserialize)]
struct Identity {
    #[serde(rename = "type")]
    kind: Option<String>,
}

/// One LookupEvents event; `None` without an id. The source IP, the error
/// code and whether root acted come from the raw JSON; a failed console
/// login says `Failure` in its response rather than an error code.
pub fn event(e: &Event) -> Option<TrailEvent> {
    let raw_text = e.cloud_trail_event().unwrap_or_default();
    let raw: Raw = serde_json::from_str(raw_text).unwrap_or_default();
    let root = raw.user_identity.as_ref().and_then(|i| i.kind.as_deref()) == Some("Root");
    let login_failed =
        raw.response_elements.as_ref().and_then(|r| r.get("ConsoleLogin")).and_then(|v| v.as_str()) == Some("Failure");
    let error_code = raw.error_code.or_else(|| login_failed.then(|| "Failure".to_string()));
    let resource = e.resources().iter().filter_map(|r| r.resource_name()).collect::<Vec<_>>().join(", ");
    Some(TrailEvent {
        id: e.event_id()?.to_string(),
        time: time(e.event_time()),
        name: e.event_name().unwrap_or_default().to_string(),
        source: e.event_source().unwrap_or_default().to_string(),
        user: if root { "root".into() } else { e.username().unwrap_or_default().to_string() },
        source_ip: raw.source_ip_address.unwrap_or_default(),
        resource,
        error_code,
        read_only: e.read_only() == Some("true"),
        raw: raw_text.to_string(),
    })
}

/// The trails this region can see, each with its status.
pub async fn fetch_trails(client: &aws_sdk_cloudtrail::Client, login: &str) -> Result<Vec<Trail>, SourceError> {
    let described = client.describe_trails().send().await.map_err(|e| classify(&e, login))?;
    let mut out = Vec::new();
    for t in described.trail_list() {
        let Some(arn) = t.trail_arn().or(t.name()) else { continue };
        let status = client.get_trail_status().name(arn).send().await.map_err(|e| classify(&e, login))?;
        out.push(Trail {
            name: t.name().unwrap_or(arn).to_string(),
            arn: arn.to_string(),
            home_region: t.home_region().unwrap_or_default().to_string(),
            multi_region: t.is_multi_region_trail().unwrap_or(false),
            logging: status.is_logging().unwrap_or(false),
            latest_delivery: status.latest_delivery_time().map(|d| time(Some(d))),
            delivery_error: status.latest_delivery_error().filter(|e| !e.is_empty()).map(str::to_string),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use aws_sdk_cloudtrail::types::Resource;

    use super::*;
    use crate::fixtures::t0;
    use crate::model::SecurityFlag;

    #[test]
    fn the_lookup_covers_the_window_first_then_late_deliveries() {
        let hour = TimeDelta::hours(1);
        assert_eq!(lookup_start(t0(), hour, None), t0() - hour);
        let previous = t0() - TimeDelta::minutes(1);
        assert_eq!(lookup_start(t0(), hour, Some(previous)), previous - LATE);
        assert_eq!(lookup_start(t0(), hour, Some(t0() - TimeDelta::hours(3))), t0() - hour, "never before the window");
    }

    fn at(id: &str, mins_ago: i64) -> TrailEvent {
        TrailEvent { id: id.into(), time: t0() - TimeDelta::minutes(mins_ago), ..crate::fixtures::synthetic_event(1) }
    }

    fn ids(d: &FeedData) -> Vec<String> {
        match d {
            FeedData::TrailEvents(Delta::Upsert(v)) => v.iter().map(|e| e.id.clone()).collect(),
            FeedData::TrailEvents(Delta::Delete(v)) => v.clone(),
            _ => panic!("not events: {d:?}"),
        }
    }

    #[test]
    fn a_grown_window_is_looked_up_whole_and_events_leave_as_it_passes_them() {
        let (hour, day) = (TimeDelta::hours(1), TimeDelta::hours(24));
        let mut ev = Events::default();
        assert_eq!(ev.start(t0(), hour), t0() - hour);
        let sent = ev.delivered(t0(), hour, vec![at("a", 50), at("b", 10)]);
        assert_eq!(sent.iter().map(ids).collect::<Vec<_>>(), [vec!["a", "b"]]);
        // A minute later: only late deliveries are looked up again.
        let later = t0() + TimeDelta::minutes(20);
        assert_eq!(ev.start(later, hour), t0() - LATE);
        let sent = ev.delivered(later, hour, vec![at("c", -20)]);
        assert_eq!(sent.iter().map(ids).collect::<Vec<_>>(), [vec!["c"], vec!["a"]], "a left the hour");
        // The window grows to a day: the whole day is looked up.
        assert_eq!(ev.start(later, day), later - day);
        ev.delivered(later, day, vec![at("old", 600)]);
        // It shrinks again: what is older than the new window goes.
        let sent = ev.delivered(later, TimeDelta::minutes(15), vec![]);
        assert_eq!(sent.iter().map(ids).collect::<Vec<_>>(), [vec![], vec!["old", "b"]]);
    }

    #[test]
    fn an_export_keeps_each_event_byte_for_byte_oldest_first_after_where_and_when() {
        let mut newer = at("b", 1);
        newer.raw = r#"{"eventID":"b",  "userAgent":"curl\u001b]52;c;x\u0007"}"#.into();
        let mut older = at("a", 5);
        older.raw = "not json".into();
        let meta = ExportMeta {
            account: "123456789012".into(),
            region: "eu-west-1".into(),
            start: t0() - TimeDelta::hours(1),
            end: t0(),
            exported_at: t0(),
            truncated: false,
        };
        let text = export_document(&meta, &[newer.clone(), older]);
        assert!(
            text.starts_with("{\n  \"exported_by\": \"warroom\",\n  \"exported_at\": \"2026-01-01T00:00:00Z\""),
            "{text}"
        );
        assert!(text.contains(&newer.raw), "verbatim: {text}");
        let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(doc["event_count"], 2);
        assert_eq!(doc["events"][0], "not json");
        assert_eq!(doc["events"][1]["userAgent"], "curl\u{1b}]52;c;x\u{7}");
        assert!(!text.contains('\u{1b}'));
    }

    #[tokio::test]
    async fn a_change_of_window_wakes_the_poll_even_if_it_came_first() {
        let lookback = Lookback::new(TimeDelta::hours(1));
        lookback.set(TimeDelta::hours(3));
        tokio::time::timeout(Duration::from_secs(1), lookback.changed()).await.expect("woken");
        assert_eq!(lookback.get(), TimeDelta::hours(3));
    }

    fn sdk_event(raw: serde_json::Value) -> Event {
        Event::builder()
            .event_id("e-1")
            .event_name(raw["eventName"].as_str().unwrap_or("X"))
            .event_source("signin.amazonaws.com")
            .username("alice")
            .read_only("false")
            .event_time(aws_smithy_types::DateTime::from_secs(1_000))
            .resources(Resource::builder().resource_type("AWS::IAM::User").resource_name("alice").build())
            .cloud_trail_event(raw.to_string())
            .build()
    }

    #[test]
    fn a_failed_console_login_is_flagged_from_its_response() {
        let e = event(&sdk_event(serde_json::json!({
            "eventName": "ConsoleLogin",
            "sourceIPAddress": "203.0.113.9",
            "userIdentity": {"type": "IAMUser", "userName": "alice"},
            "responseElements": {"ConsoleLogin": "Failure"},
            "additionalEventData": {"MFAUsed": "No"}
        })))
        .unwrap();
        assert_eq!((e.source_ip.as_str(), e.error_code.as_deref()), ("203.0.113.9", Some("Failure")));
        assert_eq!(e.security_flag(), Some(SecurityFlag::FailedLogin));
        assert_eq!((e.resource.as_str(), e.time.timestamp(), e.read_only), ("alice", 1_000, false));
    }

    #[test]
    fn root_activity_and_error_codes_come_from_the_raw_event() {
        let e = event(&sdk_event(serde_json::json!({
            "eventName": "StopLogging",
            "userIdentity": {"type": "Root"},
            "errorCode": "AccessDenied"
        })))
        .unwrap();
        assert_eq!(e.user, "root");
        assert_eq!(e.error_code.as_deref(), Some("AccessDenied"));
        assert_eq!(e.security_flag(), Some(SecurityFlag::RootUse));
        let garbage = event(&Event::builder().event_id("x").cloud_trail_event("not json").build()).unwrap();
        assert_eq!(garbage.raw, "not json", "kept as it came, for the detail view");
    }
}
