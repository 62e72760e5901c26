//! The AWS source against moto behind the project's launcher (see
//! `tests/support/aws.rs`): who the caller is, alarms of every page,
//! state changes between polls, faults and recovery.
#![allow(clippy::unwrap_used)]

#[path = "support/aws.rs"]
mod aws;

use std::sync::Arc;
use std::time::Duration;

use aws_sdk_cloudwatch::types::{Dimension, StateValue};
use serde_json::json;
use tokio::sync::mpsc;
use warroom::model::AlarmState;
use warroom::sources::aws::trail::Lookback;
use warroom::sources::aws::{self as source, Intervals};
use warroom::sources::clock::SystemClock;
use warroom::state::{ErrorKind, FeedId, FeedPhase, LiveState, SourceUpdate};

/// Runs the AWS source against `moto` and keeps a live state of what it
/// says.
struct Console {
    live: LiveState,
    /// The alarms feed's phases in the order it reported them.
    phases: Vec<FeedPhase>,
    rx: mpsc::Receiver<SourceUpdate>,
    /// How far back CloudTrail events go; the last hour at first.
    lookback: Arc<Lookback>,
    task: tokio::task::JoinHandle<()>,
}

impl Console {
    async fn start(moto: &aws::Moto, intervals: Intervals) -> Console {
        Console::start_with(moto.console_config().await, intervals)
    }

    /// The source with this SDK configuration.
    fn start_with(config: aws_config::SdkConfig, intervals: Intervals) -> Console {
        let (tx, rx) = mpsc::channel(4096);
        let login = "run `aws sso login --profile test`".to_string();
        let lookback = Arc::new(Lookback::new(chrono::TimeDelta::hours(1)));
        let task = tokio::spawn(source::serve(config, login, intervals, lookback.clone(), Arc::new(SystemClock), tx));
        Console { live: LiveState::default(), phases: Vec::new(), rx, lookback, task }
    }

    /// Applies updates until `done` holds; panics after 30 s with what
    /// the state was.
    async fn until(&mut self, what: &str, done: impl Fn(&LiveState) -> bool) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        while !done(&self.live) {
            match tokio::time::timeout_at(deadline, self.rx.recv()).await {
                Ok(Some(u)) => {
                    self.live.apply(u);
                    let phase = self.live.feeds.get(FeedId::Alarms).map(|f| f.phase.clone());
                    if let Some(p) = phase.filter(|p| self.phases.last() != Some(p)) {
                        self.phases.push(p);
                    }
                }
                Ok(None) => panic!("the source stopped before: {what}"),
                Err(_) => panic!(
                    "not within 30 s: {what}; feeds {:?}; {} alarms, {} DB instances, metrics {:?}",
                    self.live.feeds,
                    self.live.alarms.len(),
                    self.live.dbs.len(),
                    self.live.db_metrics.values().filter(|m| !m.cpu.is_empty()).take(2).collect::<Vec<_>>()
                ),
            }
        }
    }
}

impl Drop for Console {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn quick() -> Intervals {
    Intervals { alarms: Duration::from_millis(300), rds: Duration::from_millis(300), trail: Duration::from_millis(300) }
}

/// `n` CPU alarms on DB instances `db-000`…, through the SDK (and so the
/// launcher's CBOR bridge).
async fn seed_alarms(client: &aws_sdk_cloudwatch::Client, n: usize) {
    for i in 0..n {
        aws::put_cpu_alarm(client, &format!("db-{i:03}-high-cpu"), &format!("db-{i:03}")).await;
    }
}

fn alarm_phase(l: &LiveState) -> Option<FeedPhase> {
    l.feeds.get(FeedId::Alarms).map(|f| f.phase.clone())
}

#[tokio::test]
async fn alarms_of_every_page_arrive_with_who_the_caller_is() {
    let moto = aws::Moto::start();
    let cw = aws_sdk_cloudwatch::Client::new(&moto.sdk_config().await);
    // More than two of DescribeAlarms' 50-alarm pages.
    seed_alarms(&cw, 120).await;

    let mut console = Console::start(&moto, quick()).await;
    console.until("every alarm is in", |l| l.alarms.len() == 120).await;
    let caller = console.live.aws_caller.clone().expect("the caller is known first");
    assert_eq!(caller.account, aws::ACCOUNT);
    assert_eq!(caller.region, aws::REGION);
    assert!(caller.arn.starts_with(&format!("arn:aws:sts::{}:", aws::ACCOUNT)), "{}", caller.arn);
    assert_eq!(alarm_phase(&console.live), Some(FeedPhase::Live));

    let a = console.live.alarms.get("db-007-high-cpu").unwrap();
    assert_eq!((a.namespace.as_str(), a.metric.as_str()), ("AWS/RDS", "CPUUtilization"));
    assert_eq!(a.dimensions, [("DBInstanceIdentifier".to_string(), "db-007".to_string())]);
    assert_eq!((a.comparison.as_str(), a.threshold, a.evaluation_periods), ("GreaterThanThreshold", 80.0, 3));
    assert_eq!(a.description, "runbook: database#high-cpu");
    assert!(a.actions_enabled);
    let describes = moto.console_calls().iter().filter(|c| c["operation"] == "DescribeAlarms").count();
    assert!(describes >= 3, "followed the page tokens: {describes} calls");
    assert!(moto.console_calls().iter().all(|c| c["mutating"] == false), "the console only reads");
}

#[tokio::test]
async fn a_state_change_between_polls_shows_with_its_reason() {
    let moto = aws::Moto::start();
    let cw = aws_sdk_cloudwatch::Client::new(&moto.sdk_config().await);
    seed_alarms(&cw, 2).await;
    let mut console = Console::start(&moto, quick()).await;
    console.until("the alarms are in", |l| l.alarms.len() == 2).await;

    cw.set_alarm_state()
        .alarm_name("db-001-high-cpu")
        .state_value(StateValue::Alarm)
        .state_reason("Threshold Crossed: 3 datapoints [97.1, 95.0, 99.4] were greater than the threshold (80.0).")
        .send()
        .await
        .unwrap();
    console
        .until("the next poll sees it fire", |l| {
            l.alarms.get("db-001-high-cpu").is_some_and(|a| a.state == AlarmState::Alarm)
        })
        .await;
    let a = console.live.alarms.get("db-001-high-cpu").unwrap();
    assert!(a.reason.contains("97.1"), "{}", a.reason);
    assert_eq!(console.live.alarms.notable(), 1, "one firing");
    // And the launcher kept the change for DescribeAlarmHistory.
    let history = cw.describe_alarm_history().alarm_name("db-001-high-cpu").send().await.unwrap();
    let summaries: Vec<&str> = history.alarm_history_items().iter().filter_map(|h| h.history_summary()).collect();
    assert!(summaries.iter().any(|s| s.contains("to ALARM")), "{summaries:?}");
}

#[tokio::test]
async fn throttling_and_server_errors_fail_the_feed_which_then_recovers() {
    let moto = aws::Moto::start();
    let cw = aws_sdk_cloudwatch::Client::new(&moto.sdk_config().await);
    seed_alarms(&cw, 3).await;
    let mut console = Console::start(&moto, quick()).await;
    console.until("live", |l| l.alarms.len() == 3).await;

    // The console retries once within a call: two faults fail one poll.
    moto.faults(&json!([{"service": "cloudwatch", "operation": "DescribeAlarms", "mode": "throttle", "count": 2}]));
    console
        .until(
            "the feed fails as throttled",
            |l| matches!(alarm_phase(l), Some(FeedPhase::Failed(f)) if f.error.kind == ErrorKind::Throttled),
        )
        .await;
    assert_eq!(console.live.alarms.len(), 3, "what was known stays");
    // The other feeds carry on meanwhile.
    let last_ok = |l: &LiveState| l.feeds.get(FeedId::DbInstances).and_then(|f| f.last_ok);
    let before = last_ok(&console.live);
    console.until("the DB instances poll on", |l| last_ok(l) > before).await;
    console.until("it recovers", |l| alarm_phase(l) == Some(FeedPhase::Live)).await;

    moto.faults(&json!([{"service": "cloudwatch", "operation": "DescribeAlarms", "mode": "server", "count": 2}]));
    console
        .until(
            "a 500 is a server error",
            |l| matches!(alarm_phase(l), Some(FeedPhase::Failed(f)) if f.error.kind == ErrorKind::Server),
        )
        .await;
    console.until("it recovers again", |l| alarm_phase(l) == Some(FeedPhase::Live)).await;

    moto.faults(&json!([{"service": "cloudwatch", "mode": "garbage", "count": 2}]));
    console
        .until(
            "a garbage answer is a bad response",
            |l| matches!(alarm_phase(l), Some(FeedPhase::Failed(f)) if f.error.kind == ErrorKind::Malformed),
        )
        .await;
}

#[tokio::test]
async fn a_service_that_answers_too_late_times_out_alone_and_recovers() {
    let moto = aws::Moto::start();
    let config = moto.sdk_config().await;
    seed_alarms(&aws_sdk_cloudwatch::Client::new(&config), 2).await;
    aws::create_db(&aws_sdk_rds::Client::new(&config), "orders-db", true, None).await;
    // The console's configuration with its call timeout cut to a second.
    let short = aws_smithy_types::timeout::TimeoutConfig::builder()
        .operation_attempt_timeout(Duration::from_millis(500))
        .operation_timeout(Duration::from_secs(1))
        .build();
    let config = moto.console_config().await.into_builder().timeout_config(short).build();
    let mut console = Console::start_with(config, quick());
    console.until("live", |l| l.alarms.len() == 2 && l.dbs.len() == 1).await;

    // DescribeAlarms answers after three seconds, four times.
    moto.faults(
        &json!([{"service": "cloudwatch", "operation": "DescribeAlarms", "mode": "delay", "seconds": 3, "count": 4}]),
    );
    console
        .until(
            "the alarms feed times out",
            |l| matches!(alarm_phase(l), Some(FeedPhase::Failed(f)) if f.error.kind == ErrorKind::Timeout),
        )
        .await;
    assert_eq!(console.live.alarms.len(), 2, "what was known stays");
    let last_ok = |l: &LiveState| l.feeds.get(FeedId::DbInstances).and_then(|f| f.last_ok);
    let before = last_ok(&console.live);
    console.until("the DB instances poll on meanwhile", |l| last_ok(l) > before).await;
    console.until("the alarms recover", |l| alarm_phase(l) == Some(FeedPhase::Live)).await;
}

#[tokio::test]
async fn the_server_going_away_fails_the_feeds_which_recover_when_it_is_back() {
    let mut moto = aws::Moto::start();
    seed_alarms(&aws_sdk_cloudwatch::Client::new(&moto.sdk_config().await), 2).await;
    let mut console = Console::start(&moto, quick()).await;
    console.until("live", |l| l.alarms.len() == 2).await;

    moto.stop();
    let down = |l: &LiveState| {
        [FeedId::Alarms, FeedId::DbInstances, FeedId::TrailEvents].into_iter().all(|feed| {
            matches!(l.feeds.get(feed).map(|f| &f.phase), Some(FeedPhase::Failed(f)) if f.error.kind == ErrorKind::Network)
        })
    };
    console.until("every feed fails to connect", down).await;
    assert_eq!(console.live.alarms.len(), 2, "what was known stays on screen");

    // Back, empty: the next polls say so.
    moto.restart();
    seed_alarms(&aws_sdk_cloudwatch::Client::new(&moto.sdk_config().await), 1).await;
    console
        .until("the feeds recover", |l| {
            alarm_phase(l) == Some(FeedPhase::Live)
                && l.alarms.len() == 1
                && l.feeds.get(FeedId::TrailEvents).is_some_and(|f| f.phase == FeedPhase::Live)
        })
        .await;
}

#[tokio::test]
async fn expired_credentials_fail_every_aws_feed_with_the_command_that_fixes_them() {
    let moto = aws::Moto::start();
    moto.faults(&json!([{"service": "sts", "mode": "expired", "count": 100}]));
    let mut console = Console::start(&moto, quick()).await;
    console
        .until(
            "unauthorized",
            |l| matches!(alarm_phase(l), Some(FeedPhase::Failed(f)) if f.error.kind == ErrorKind::Unauthorized),
        )
        .await;
    let Some(FeedPhase::Failed(f)) = alarm_phase(&console.live) else { unreachable!() };
    assert!(f.error.message.contains("ExpiredToken"), "{}", f.error.message);
    assert!(f.error.message.contains("aws sso login --profile test"), "{}", f.error.message);
    assert!(f.next_retry.is_some(), "and says when it tries again");
    assert!(console.live.aws_caller.is_none());
    assert!(!f.error.message.contains("testing"), "no credential in the message: {}", f.error.message);
}

#[tokio::test]
async fn db_instances_of_every_page_arrive_with_replicas_and_metrics() {
    use aws_sdk_cloudwatch::types::MetricDatum;
    let moto = aws::Moto::start();
    let config = moto.sdk_config().await;
    let rds = aws_sdk_rds::Client::new(&config);
    // More than DescribeDBInstances' 100 per page.
    for i in 0..100 {
        aws::create_db(&rds, &format!("db-{i:03}"), false, None).await;
    }
    aws::create_db(&rds, "orders-db", true, None).await;
    aws::create_replica(&rds, "orders-db-replica", "orders-db").await;
    // Two CPU points, the newer past the runbook's 80 %, and 2 GiB free.
    let cw = aws_sdk_cloudwatch::Client::new(&config);
    let now = chrono::Utc::now();
    let point = |metric: &str, minutes_ago: i64, value: f64| {
        MetricDatum::builder()
            .metric_name(metric)
            .dimensions(Dimension::builder().name("DBInstanceIdentifier").value("orders-db").build())
            .timestamp(aws_smithy_types::DateTime::from_secs(
                (now - chrono::TimeDelta::minutes(minutes_ago)).timestamp(),
            ))
            .value(value)
            .build()
    };
    cw.put_metric_data()
        .namespace("AWS/RDS")
        .metric_data(point("CPUUtilization", 3, 42.0))
        .metric_data(point("CPUUtilization", 1, 93.5))
        .metric_data(point("FreeStorageSpace", 1, 2.0 * 1024f64.powi(3)))
        .send()
        .await
        .unwrap();

    let mut console = Console::start(&moto, quick()).await;
    console
        .until("every instance and the metrics are in", |l| {
            l.dbs.len() == 102 && l.dbs.get("orders-db").is_some_and(|d| d.cpu().is_some())
        })
        .await;
    let orders = console.live.dbs.get("orders-db").unwrap();
    assert!(orders.instance.multi_az);
    assert_eq!(orders.instance.replicas, ["orders-db-replica"]);
    assert_eq!(orders.metrics.as_ref().unwrap().cpu, [42.0, 93.5], "oldest first");
    assert!(orders.cpu_high(), "93.5 % is past the runbook's 80 %");
    assert!((orders.free_gib().unwrap() - 2.0).abs() < 1e-9, "{:?}", orders.free_gib());
    let replica = console.live.dbs.get("orders-db-replica").unwrap();
    assert_eq!((replica.instance.role(), replica.instance.replica_of.as_deref()), ("replica", Some("orders-db")));
    let calls = moto.console_calls();
    let describes = calls.iter().filter(|c| c["operation"] == "DescribeDBInstances").count();
    assert!(describes >= 2, "followed the marker: {describes} calls");
    let metric_calls: Vec<_> = calls.iter().filter(|c| c["operation"] == "GetMetricData").collect();
    let queries = metric_calls[0]["params"]["MetricDataQueries"].as_array().unwrap().len();
    assert_eq!(queries, 4 * 102, "one call for every instance's four series");
}

/// A CloudTrail record as CloudTrail writes it.
#[tokio::test]
async fn cloudtrail_events_of_every_page_arrive_once_paced_with_the_trails_status() {
    let moto = aws::Moto::start();
    moto.boto("s3", "create_bucket", json!({"Bucket": "audit-logs"}));
    moto.boto("cloudtrail", "create_trail", json!({"Name": "org-trail", "S3BucketName": "audit-logs"}));
    moto.boto("cloudtrail", "start_logging", json!({"Name": "org-trail"}));
    moto.boto("cloudtrail", "create_trail", json!({"Name": "stopped-trail", "S3BucketName": "audit-logs"}));
    let now = chrono::Utc::now();
    let mut records: Vec<serde_json::Value> = (0..57)
        .map(|n| {
            aws::trail_record(
                n,
                now - chrono::TimeDelta::minutes((n % 50) as i64),
                "DescribeInstances",
                "10.0.0.5",
                false,
            )
        })
        .collect();
    for n in 57..60 {
        records.push(aws::trail_record(n, now - chrono::TimeDelta::minutes(2), "ConsoleLogin", "203.0.113.9", true));
    }
    // An hour and a half ago: outside the window.
    records.push(aws::trail_record(99, now - chrono::TimeDelta::minutes(90), "DeleteBucket", "10.0.0.5", false));
    moto.seed_trail(&json!(records));

    let mut console = Console::start(&moto, quick()).await;
    // 60 seeded, plus the launcher's record of the three trail calls above.
    console.until("every event and both trails", |l| l.trail.len() == 63 && l.trails.len() == 2).await;
    assert!(console.live.trail.get("seed-099").is_none(), "older than the window");
    let failed: Vec<_> = console
        .live
        .trail
        .values()
        .filter(|e| e.security_flag() == Some(warroom::model::SecurityFlag::FailedLogin))
        .collect();
    assert_eq!(failed.len(), 3);
    assert!(failed.iter().all(|e| e.source_ip == "203.0.113.9" && e.user == "alice"));
    assert!(console.live.trail.get("seed-000").is_some_and(|e| e.read_only));

    let trail = |name: &str| console.live.trails.values().find(|t| t.name == name).unwrap().clone();
    assert!(trail("org-trail").logging);
    assert!(!trail("stopped-trail").logging);
    assert_eq!(trail("stopped-trail").health(), warroom::model::Health::Crit);

    // Pages of 50, at most two calls a second.
    let lookups: Vec<f64> = moto
        .console_calls()
        .iter()
        .filter(|c| c["operation"] == "LookupEvents")
        .map(|c| c["time"].as_f64().unwrap())
        .collect();
    assert!(lookups.len() >= 2, "{} calls", lookups.len());
    // The times are when the server got each call: one call's request
    // delayed on a loaded machine narrows the next gap, so each gap may
    // fall a little short while the pace holds over the poll.
    let pace = (lookups[lookups.len() - 1] - lookups[0]) / (lookups.len() - 1) as f64;
    assert!(pace >= 0.45 && lookups.windows(2).all(|w| w[1] - w[0] >= 0.35), "paced: {lookups:?}");
    // Later polls add nothing twice.
    let seen = lookups.len();
    console
        .until("another poll", |_| {
            moto.console_calls().iter().filter(|c| c["operation"] == "LookupEvents").count() > seen + 1
        })
        .await;
    assert_eq!(console.live.trail.len(), 63);

    // A wider window looks the older events up; a narrower one lets go of
    // what it no longer covers.
    console.lookback.set(chrono::TimeDelta::hours(3));
    console.until("the older event", |l| l.trail.get("seed-099").is_some()).await;
    console.lookback.set(chrono::TimeDelta::minutes(15));
    let cutoff = now - chrono::TimeDelta::minutes(15);
    console.until("only the last 15 minutes", |l| l.trail.values().all(|e| e.time >= cutoff)).await;
    assert!(console.live.trail.get("seed-057").is_some(), "two minutes old: kept");
}

#[tokio::test]
async fn the_detail_views_get_an_alarms_history_and_a_db_instances_events() {
    let moto = aws::Moto::start();
    let config = moto.sdk_config().await;
    let cw = aws_sdk_cloudwatch::Client::new(&config);
    seed_alarms(&cw, 1).await;
    for (state, reason) in [(StateValue::Alarm, "Threshold Crossed: high"), (StateValue::Ok, "Threshold Crossed: fine")]
    {
        cw.set_alarm_state()
            .alarm_name("db-000-high-cpu")
            .state_value(state)
            .state_reason(reason)
            .send()
            .await
            .unwrap();
    }
    let console = moto.console_config().await;
    // Asked at once: what happened in this very second counts.
    let now = chrono::Utc::now();
    let client = aws_sdk_cloudwatch::Client::new(&console);
    let history = source::alarms::history(&client, "db-000-high-cpu", now, "login").await.unwrap();
    let said: Vec<(&str, &str)> = history.iter().map(|h| (h.kind.as_str(), h.text.as_str())).collect();
    assert_eq!(
        said,
        [
            ("StateUpdate", "Alarm updated from ALARM to OK"),
            ("StateUpdate", "Alarm updated from OK to ALARM"),
            ("ConfigurationUpdate", "Alarm \"db-000-high-cpu\" created"),
        ],
        "newest first"
    );

    let rds = aws_sdk_rds::Client::new(&config);
    aws::create_db(&rds, "orders-db", true, None).await;
    let events = source::rds::events(&aws_sdk_rds::Client::new(&console), "orders-db", "login").await.unwrap();
    assert!(events.windows(2).all(|w| w[0].at >= w[1].at), "newest first: {events:?}");
    let missing = source::rds::events(&aws_sdk_rds::Client::new(&console), "ghost", "login").await;
    assert!(
        missing.map(|e| e.is_empty()).unwrap_or(true),
        "an unknown instance has no events or an error, not a panic"
    );
}
