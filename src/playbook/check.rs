//! Named checks a playbook step runs against the live state: pure
//! functions of (spec, [`LiveState`], now). A check never passes on data
//! it does not have: while a feed it needs is connecting, syncing, stale,
//! failed, stopped or off, the result is *unknown*, with why.

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use crate::model::{AlarmState, Count};
use crate::state::store::RESTART_WINDOW;
use crate::state::{FeedId, FeedStatus, LiveState, TRAIL_CAP};

/// A check and its parameters, as a playbook file names them:
/// `check = { name = "pods_ready", namespace = "shop", min_ratio = 0.9 }`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "name", rename_all = "snake_case", deny_unknown_fields)]
pub enum CheckSpec {
    /// At least `min_ratio` of the pods (in `namespace`, or everywhere
    /// watched) are running with every container ready.
    PodsReady {
        namespace: Option<String>,
        #[serde(default = "all")]
        min_ratio: f64,
    },
    /// No pod is crash-looping (CrashLoopBackOff, or OOMKilled and
    /// restarting).
    NoCrashloop { namespace: Option<String> },
    /// No pod restarted more than `per_hour` times in the last hour.
    RestartsBelow { per_hour: u32, namespace: Option<String> },
    /// Every deployment has its desired replicas available.
    DeploymentsAvailable { namespace: Option<String> },
    /// No Warning event (with `reason`, if given) in the last hour.
    NoWarningEvents { reason: Option<String>, namespace: Option<String> },
    /// No alarm whose name starts with `prefix` (every alarm without one)
    /// is in ALARM.
    AlarmsClear {
        #[serde(default)]
        prefix: String,
    },
    /// The DB instance (every one without `instance`) is `available`.
    RdsAvailable { instance: Option<String> },
    /// Every DB instance's latest free storage is above `percent` of its
    /// allocated storage.
    RdsFreeStorageAbove { percent: f64 },
    /// Every DB instance's latest CPU is below `percent`.
    RdsCpuBelow { percent: f64 },
    /// The trail named `trail` (every trail without one) is logging; a
    /// region without trails fails.
    TrailLogging { trail: Option<String> },
    /// Fewer than `count` failed console logins in the last `window`
    /// minutes.
    FailedLoginsBelow {
        count: u32,
        #[serde(default = "hour")]
        window_mins: u32,
    },
}

fn all() -> f64 {
    1.0
}

fn hour() -> u32 {
    60
}

/// What a check found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "result", content = "why", rename_all = "snake_case")]
pub enum CheckResult {
    Pass(String),
    Fail(String),
    /// The data it needs is not there (yet): never a pass.
    Unknown(String),
}

impl CheckResult {
    pub fn passed(&self) -> bool {
        matches!(self, CheckResult::Pass(_))
    }

    pub fn label(&self) -> &'static str {
        match self {
            CheckResult::Pass(_) => "pass",
            CheckResult::Fail(_) => "fail",
            CheckResult::Unknown(_) => "unknown",
        }
    }

    pub fn why(&self) -> &str {
        match self {
            CheckResult::Pass(w) | CheckResult::Fail(w) | CheckResult::Unknown(w) => w,
        }
    }
}

impl CheckSpec {
    /// The feeds whose data the check reads.
    pub fn feeds(&self) -> &'static [FeedId] {
        match self {
            CheckSpec::PodsReady { .. } | CheckSpec::NoCrashloop { .. } | CheckSpec::RestartsBelow { .. } => {
                &[FeedId::Pods]
            }
            CheckSpec::DeploymentsAvailable { .. } => &[FeedId::Deployments],
            CheckSpec::NoWarningEvents { .. } => &[FeedId::KubeEvents],
            CheckSpec::AlarmsClear { .. } => &[FeedId::Alarms],
            CheckSpec::RdsAvailable { .. } => &[FeedId::DbInstances],
            CheckSpec::RdsFreeStorageAbove { .. } | CheckSpec::RdsCpuBelow { .. } => {
                &[FeedId::DbInstances, FeedId::DbMetrics]
            }
            CheckSpec::TrailLogging { .. } => &[FeedId::TrailStatus],
            CheckSpec::FailedLoginsBelow { .. } => &[FeedId::TrailEvents],
        }
    }

    /// What the check asks, in words: `pods in shop ready (≥ 90 %)`.
    pub fn describe(&self) -> String {
        let ns = |n: &Option<String>| n.as_ref().map_or_else(String::new, |n| format!(" in {n}"));
        match self {
            CheckSpec::PodsReady { namespace, min_ratio } => {
                format!("pods{} ready (at least {:.0} %)", ns(namespace), min_ratio * 100.0)
            }
            CheckSpec::NoCrashloop { namespace } => format!("no pod crash-looping{}", ns(namespace)),
            CheckSpec::RestartsBelow { per_hour, namespace } => {
                format!("no pod{} restarting more than {per_hour} times an hour", ns(namespace))
            }
            CheckSpec::DeploymentsAvailable { namespace } => format!("deployments{} available", ns(namespace)),
            CheckSpec::NoWarningEvents { reason, namespace } => match reason {
                Some(r) => format!("no {r} warnings{} in the last hour", ns(namespace)),
                None => format!("no warning events{} in the last hour", ns(namespace)),
            },
            CheckSpec::AlarmsClear { prefix } if prefix.is_empty() => "no alarm firing".into(),
            CheckSpec::AlarmsClear { prefix } => format!("no {prefix}* alarm firing"),
            CheckSpec::RdsAvailable { instance: Some(i) } => format!("DB instance {i} available"),
            CheckSpec::RdsAvailable { instance: None } => "every DB instance available".into(),
            CheckSpec::RdsFreeStorageAbove { percent } => format!("DB free storage above {percent} %"),
            CheckSpec::RdsCpuBelow { percent } => format!("DB CPU below {percent} %"),
            CheckSpec::TrailLogging { trail: Some(t) } => format!("trail {t} logging"),
            CheckSpec::TrailLogging { trail: None } => "CloudTrail logging".into(),
            CheckSpec::FailedLoginsBelow { count, window_mins } => {
                format!("fewer than {count} failed console logins in {window_mins} min")
            }
        }
    }

    /// Checks the spec's parameters: the problem, in words.
    pub fn validate(&self) -> Result<(), String> {
        match self {
            CheckSpec::PodsReady { min_ratio, .. } if !(0.0..=1.0).contains(min_ratio) => {
                Err(format!("min_ratio must be between 0 and 1, not {min_ratio}"))
            }
            CheckSpec::RdsFreeStorageAbove { percent } | CheckSpec::RdsCpuBelow { percent }
                if !(0.0..=100.0).contains(percent) =>
            {
                Err(format!("percent must be between 0 and 100, not {percent}"))
            }
            CheckSpec::FailedLoginsBelow { window_mins, .. } if *window_mins == 0 || *window_mins > 24 * 60 => {
                Err(format!("window_mins must be 1..=1440, not {window_mins}"))
            }
            _ => Ok(()),
        }
    }
}

/// Runs `spec` against `live` at `now`.
pub fn check(spec: &CheckSpec, live: &LiveState, now: DateTime<Utc>) -> CheckResult {
    evaluate(spec, live, now).0
}

/// What a failing check is about: the store key of the first item it
/// names (the pod, deployment, DB instance or alarm an engineer would
/// look at first), where it names one. `None` when the check passes, has
/// no data, or is about the account rather than an item (trails, logins).
pub fn offender(spec: &CheckSpec, live: &LiveState, now: DateTime<Utc>) -> Option<String> {
    use crate::state::Item;
    match evaluate(spec, live, now).1? {
        Subject::Item(key) => Some(key),
        // A pod of the deployment, where its pods are listed.
        Subject::Deployment { namespace, name } => live
            .pods
            .values()
            .filter(|p| *p.namespace == *namespace && p.deployment.as_deref() == Some(name.as_str()))
            .map(Item::key)
            .min(),
        Subject::WarnedPod(key) => live.pods.get(&key).map(Item::key),
    }
}

/// The item a failing check names first, as the check finds it.
enum Subject {
    /// The store key of a listed item: a pod, DB instance or alarm.
    Item(String),
    /// The first deployment short of replicas.
    Deployment { namespace: String, name: String },
    /// The pod the newest warning is about (`namespace/name`), if the
    /// console knows it.
    WarnedPod(String),
}

/// A check's result and, when it fails, what it fails on.
fn evaluate(spec: &CheckSpec, live: &LiveState, now: DateTime<Utc>) -> (CheckResult, Option<Subject>) {
    if let Some(why) = spec.feeds().iter().find_map(|f| not_ready(live, *f, now)) {
        return (CheckResult::Unknown(why), None);
    }
    let in_ns = |want: &Option<String>, ns: &str| want.as_deref().is_none_or(|w| w == ns);
    let pass = |why: String| (CheckResult::Pass(why), None);
    let fail = |why: String, subject: Option<Subject>| (CheckResult::Fail(why), subject);
    let first = |keys: &[String]| keys.first().cloned().map(Subject::Item);
    match spec {
        CheckSpec::PodsReady { namespace, min_ratio } => {
            let pods: Vec<_> = live.pods.values().filter(|p| in_ns(namespace, &p.namespace)).collect();
            if pods.is_empty() {
                return fail("no pods".into(), None);
            }
            let ready = pods.iter().filter(|p| pod_ready(p)).count();
            let ratio = ready as f64 / pods.len() as f64;
            let said = format!("{ready}/{} ready", pods.len());
            if ratio + 1e-9 >= *min_ratio {
                pass(said)
            } else {
                let mut not: Vec<String> = pods.iter().filter(|p| !pod_ready(p)).map(|p| p.key()).collect();
                not.sort();
                fail(format!("{said}; not ready: {}", list(&not)), first(&not))
            }
        }
        CheckSpec::NoCrashloop { namespace } => {
            let mut looping: Vec<String> = live
                .pods
                .values()
                .filter(|p| in_ns(namespace, &p.namespace) && p.crash_looping())
                .map(|p| p.key())
                .collect();
            looping.sort();
            if looping.is_empty() {
                pass("none".into())
            } else {
                fail(format!("{} crash-looping: {}", looping.len(), list(&looping)), first(&looping))
            }
        }
        CheckSpec::RestartsBelow { per_hour, namespace } => {
            let limit = *per_hour as usize;
            let mut over: Vec<(usize, String)> = Vec::new();
            // Pods that may be over: restarts from before the console
            // watched them leave their count open.
            let mut open: Vec<(String, Option<DateTime<Utc>>)> = Vec::new();
            for p in live.pods.values().filter(|p| in_ns(namespace, &p.namespace)) {
                match p.restarts_within(now, RESTART_WINDOW) {
                    Count::Exactly(n) | Count::AtLeast(n) if n > limit => over.push((n, p.key())),
                    Count::AtLeast(_) => open.push((p.key(), p.seen.since.map(|s| s + RESTART_WINDOW))),
                    Count::Exactly(_) => {}
                }
            }
            // The pod restarting most first.
            over.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
            open.sort();
            if !over.is_empty() {
                let named: Vec<String> = over.iter().map(|(n, k)| format!("{k} ({n})")).collect();
                let most = over.first().map(|(_, k)| Subject::Item(k.clone()));
                fail(format!("{} restarting: {}", over.len(), list(&named)), most)
            } else if !open.is_empty() {
                let keys: Vec<String> = open.iter().map(|(k, _)| k.clone()).collect();
                let sure = open.iter().filter_map(|(_, at)| *at).max();
                let when = sure.map(|t| format!("; sure by {} UTC", crate::format::fmt_time(t))).unwrap_or_default();
                let pods = if keys.len() == 1 { "pod restarted" } else { "pods restarted" };
                let why = format!(
                    "cannot tell yet: {} {pods} before the console watched, how many in the last hour is not known: {}{when}",
                    keys.len(),
                    list(&keys)
                );
                (CheckResult::Unknown(why), first(&keys))
            } else {
                pass(format!("none above {per_hour}"))
            }
        }
        CheckSpec::DeploymentsAvailable { namespace } => {
            let short_of: Vec<_> = live
                .deployments
                .values()
                .filter(|d| in_ns(namespace, &d.namespace) && d.available < d.desired)
                .collect();
            let holdups = live.holdups(&short_of);
            let mut short: Vec<String> = short_of
                .iter()
                .map(|d| {
                    let pod = holdups.get(&format!("{}/{}", d.namespace, d.name));
                    let why = pod.map(|p| format!(" ({} {})", p.name, p.status())).unwrap_or_default();
                    format!("{}/{} {}/{}{why}", d.namespace, d.name, d.available, d.desired)
                })
                .collect();
            short.sort();
            let total = live.deployments.values().filter(|d| in_ns(namespace, &d.namespace)).count();
            match short_of.iter().min_by_key(|d| (&d.namespace, &d.name)) {
                None => pass(format!("{total} available")),
                Some(d) => fail(
                    format!("{} short: {}", short.len(), list(&short)),
                    Some(Subject::Deployment { namespace: d.namespace.clone(), name: d.name.clone() }),
                ),
            }
        }
        CheckSpec::NoWarningEvents { reason, namespace } => {
            let since = now - TimeDelta::hours(1);
            let warnings: Vec<_> = live
                .kube_events
                .values()
                .filter(|e| e.warning && e.last_seen >= since && in_ns(namespace, &e.namespace))
                .filter(|e| reason.as_deref().is_none_or(|r| r == e.reason))
                .collect();
            let mut seen: Vec<String> = warnings.iter().map(|e| format!("{} {}", e.object, e.reason)).collect();
            seen.sort();
            seen.dedup();
            if seen.is_empty() {
                pass("none".into())
            } else {
                let newest =
                    warnings.iter().filter(|e| e.object.starts_with("Pod/")).max_by_key(|e| e.last_seen).map(|e| {
                        Subject::WarnedPod(format!("{}/{}", e.namespace, e.object.trim_start_matches("Pod/")))
                    });
                fail(format!("{} in the last hour: {}", seen.len(), list(&seen)), newest)
            }
        }
        CheckSpec::AlarmsClear { prefix } => {
            let mut firing: Vec<String> = live
                .alarms
                .values()
                .filter(|a| a.state == AlarmState::Alarm && a.name.starts_with(prefix.as_str()))
                .map(|a| a.name.clone())
                .collect();
            firing.sort();
            if firing.is_empty() {
                pass("none firing".into())
            } else {
                fail(format!("{} firing: {}", firing.len(), list(&firing)), first(&firing))
            }
        }
        CheckSpec::RdsAvailable { instance } => {
            let dbs: Vec<_> =
                live.dbs.values().filter(|d| instance.as_deref().is_none_or(|i| i == d.instance.id)).collect();
            if dbs.is_empty() {
                let why = match instance {
                    Some(i) => format!("no DB instance {i}"),
                    None => "no DB instances".into(),
                };
                return fail(why, None);
            }
            let mut not: Vec<(&str, &str)> = dbs
                .iter()
                .filter(|d| d.instance.status != "available")
                .map(|d| (d.instance.id.as_str(), d.instance.status.as_str()))
                .collect();
            not.sort();
            match not.first() {
                None => pass(format!("{} available", dbs.len())),
                Some((id, _)) => {
                    let named: Vec<String> = not.iter().map(|(id, status)| format!("{id} {status}")).collect();
                    fail(list(&named), Some(Subject::Item(id.to_string())))
                }
            }
        }
        CheckSpec::RdsFreeStorageAbove { percent } => db_metric(live, "free storage", |d| {
            let free = *d.metrics.as_ref()?.free_storage_gib.last()?;
            let allocated = f64::from(d.instance.allocated_gib);
            (allocated > 0.0).then(|| {
                let p = free / allocated * 100.0;
                (p > *percent, format!("{} {p:.0} %", d.instance.id))
            })
        }),
        CheckSpec::RdsCpuBelow { percent } => db_metric(live, "CPU", |d| {
            let cpu = *d.metrics.as_ref()?.cpu.last()?;
            Some((cpu < *percent, format!("{} {cpu:.0} %", d.instance.id)))
        }),
        CheckSpec::TrailLogging { trail } => {
            let trails: Vec<_> =
                live.trails.values().filter(|t| trail.as_deref().is_none_or(|n| n == t.name || n == t.arn)).collect();
            if trails.is_empty() {
                let why = match trail {
                    Some(t) => format!("no trail {t} in this region"),
                    None => "no trail in this region".into(),
                };
                return fail(why, None);
            }
            let mut stopped: Vec<String> = trails.iter().filter(|t| !t.logging).map(|t| t.name.clone()).collect();
            stopped.sort();
            if stopped.is_empty() {
                pass(format!("{} logging", trails.len()))
            } else {
                fail(format!("not logging: {}", list(&stopped)), None)
            }
        }
        CheckSpec::FailedLoginsBelow { count, window_mins } => {
            let since = now - TimeDelta::minutes(i64::from(*window_mins));
            let failed: Vec<_> = live.trail.values().filter(|e| e.time >= since && e.is_failed_login()).collect();
            let mut ips: Vec<&str> = failed.iter().map(|e| e.source_ip.as_str()).collect();
            ips.sort_unstable();
            ips.dedup();
            let said = format!("{} failed in {window_mins} min", failed.len());
            // A full store has dropped its oldest events: a pass needs
            // them all from the window's start on.
            let full = live.trail.len() >= TRAIL_CAP;
            let held_from = live.trail.values().map(|e| e.time).min();
            let capped = if full { " (the newest events only)" } else { "" };
            if failed.len() < *count as usize && full && held_from.is_some_and(|t| t > since) {
                let from = held_from.map(crate::format::fmt_time).unwrap_or_default();
                (
                    CheckResult::Unknown(format!(
                        "cannot tell: {said}, but only the newest {TRAIL_CAP} events are held, from {from} UTC"
                    )),
                    None,
                )
            } else if failed.len() < *count as usize {
                pass(format!("{said}{capped}"))
            } else {
                let ips: Vec<String> = ips.into_iter().map(str::to_string).collect();
                fail(format!("{said}{capped}, from {}", list(&ips)), None)
            }
        }
    }
}

/// Why `feed` cannot be trusted at `now`, if it cannot.
fn not_ready(live: &LiveState, feed: FeedId, now: DateTime<Utc>) -> Option<String> {
    let name = feed.label();
    let Some(f) = live.feeds.get(feed) else { return Some(format!("{name}: waiting for its source")) };
    match f.status(now) {
        FeedStatus::Live if f.has_data() => None,
        FeedStatus::Live | FeedStatus::Syncing => Some(format!("{name}: waiting for the first data")),
        FeedStatus::Connecting => Some(format!("{name}: connecting")),
        FeedStatus::Stale { last_ok } => Some(format!("{name}: stale since {}", last_ok.format("%H:%M:%S UTC"))),
        FeedStatus::Failed(fail) => Some(format!("{name}: {}", fail.error)),
        FeedStatus::Stopped(why) => Some(format!("{name}: stopped ({why})")),
        FeedStatus::Off(why) => Some(format!("{name}: {why}")),
    }
}

fn pod_ready(p: &crate::model::Pod) -> bool {
    let (ready, total) = p.ready_count();
    !p.deleting && (&*p.phase == "Succeeded" || (&*p.phase == "Running" && ready == total))
}

/// A metric check over every DB instance: `test` gives (ok, words) or
/// `None` while the instance has no such data point.
fn db_metric(
    live: &LiveState,
    what: &str,
    test: impl Fn(&crate::model::Db) -> Option<(bool, String)>,
) -> (CheckResult, Option<Subject>) {
    let mut bad = Vec::new();
    let mut good = 0;
    let mut missing = Vec::new();
    for d in live.dbs.values() {
        match test(d) {
            Some((true, _)) => good += 1,
            Some((false, words)) => bad.push((words, d.instance.id.clone())),
            None => missing.push(d.instance.id.clone()),
        }
    }
    bad.sort();
    missing.sort();
    if let Some((_, id)) = bad.first() {
        let named: Vec<String> = bad.iter().map(|(words, _)| words.clone()).collect();
        (CheckResult::Fail(list(&named)), Some(Subject::Item(id.clone())))
    } else if !missing.is_empty() {
        (CheckResult::Unknown(format!("no {what} data yet for {}", list(&missing))), None)
    } else if good == 0 {
        (CheckResult::Fail("no DB instances".into()), None)
    } else {
        (CheckResult::Pass(format!("{good} within")), None)
    }
}

/// `a, b, c` or `a, b, c and 4 more`.
fn list(items: &[String]) -> String {
    const SHOWN: usize = 3;
    let head = items.iter().take(SHOWN).cloned().collect::<Vec<_>>().join(", ");
    if items.len() > SHOWN { format!("{head} and {} more", items.len() - SHOWN) } else { head }
}

#[cfg(test)]
mod tests;
