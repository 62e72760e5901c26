//! Feeds and their status.
//!
//! A *feed* is one stream of one kind of data (pods, DB instances,
//! CloudTrail events, …). Each has its own status, so one feed's failure is
//! never hidden by another feed's data, and freshness is judged against
//! the interval at which that feed's data is expected: a quiet watch is
//! live, an overdue poll is stale. *Stale* is derived from the clock, never
//! reported by a source.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

use super::error::SourceError;
use crate::model::Health;

/// The four sources the status bar shows a dot for; each panel shows one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SourceId {
    Kube,
    Rds,
    Alarms,
    Trail,
}

impl SourceId {
    pub const ALL: [SourceId; 4] = [SourceId::Kube, SourceId::Rds, SourceId::Alarms, SourceId::Trail];

    pub fn label(self) -> &'static str {
        match self {
            SourceId::Kube => "kube",
            SourceId::Rds => "rds",
            SourceId::Alarms => "alarms",
            SourceId::Trail => "trail",
        }
    }

    /// The feeds this source's dot and panel summarise.
    pub fn feeds(self) -> &'static [FeedId] {
        match self {
            SourceId::Kube => &[FeedId::Pods, FeedId::Deployments, FeedId::ReplicaSets, FeedId::KubeEvents],
            SourceId::Rds => &[FeedId::DbInstances, FeedId::DbClusters, FeedId::DbEvents, FeedId::DbMetrics],
            SourceId::Alarms => &[FeedId::Alarms],
            SourceId::Trail => &[FeedId::TrailEvents, FeedId::TrailStatus],
        }
    }
}

/// One stream of one kind of data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FeedId {
    Pods,
    Deployments,
    ReplicaSets,
    KubeEvents,
    DbInstances,
    DbClusters,
    DbEvents,
    DbMetrics,
    Alarms,
    TrailEvents,
    TrailStatus,
}

impl FeedId {
    pub fn label(self) -> &'static str {
        match self {
            FeedId::Pods => "pods",
            FeedId::Deployments => "deployments",
            FeedId::ReplicaSets => "replica sets",
            FeedId::KubeEvents => "events",
            FeedId::DbInstances => "instances",
            FeedId::DbClusters => "clusters",
            FeedId::DbEvents => "DB events",
            FeedId::DbMetrics => "metrics",
            FeedId::Alarms => "alarms",
            FeedId::TrailEvents => "events",
            FeedId::TrailStatus => "trails",
        }
    }

    pub fn source(self) -> SourceId {
        match self {
            FeedId::Pods | FeedId::Deployments | FeedId::ReplicaSets | FeedId::KubeEvents => SourceId::Kube,
            FeedId::DbInstances | FeedId::DbClusters | FeedId::DbEvents | FeedId::DbMetrics => SourceId::Rds,
            FeedId::Alarms => SourceId::Alarms,
            FeedId::TrailEvents | FeedId::TrailStatus => SourceId::Trail,
        }
    }
}

/// A feed that failed: why, how many times in a row, and when the source
/// tries again (absolute, so a countdown counts down between updates).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub error: SourceError,
    pub attempt: u32,
    pub next_retry: Option<DateTime<Utc>>,
    /// When this run of failures began.
    pub since: DateTime<Utc>,
}

/// What a source reports about a feed's connection.
#[derive(Debug, Clone, PartialEq)]
pub enum FeedPhase {
    /// Not connected yet (credentials, client setup, first request).
    Connecting,
    /// The initial list is in progress.
    Syncing,
    /// Connected; data is expected at least every `expected` (`None`: a
    /// watch that only speaks when something changes).
    Live,
    Failed(Failure),
    /// The source task ended or panicked; the supervisor restarts it.
    Stopped(String),
    /// Nothing serves this feed in this run, and why (no AWS source
    /// configured): not a failure, nothing to wait for.
    Off(String),
}

/// A feed's status at an instant: the phase, with *stale* derived.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FeedStatus<'a> {
    Connecting,
    Syncing,
    Live,
    /// Live, but no data for more than twice the expected interval.
    Stale {
        last_ok: DateTime<Utc>,
    },
    Failed(&'a Failure),
    Stopped(&'a str),
    Off(&'a str),
}

impl FeedStatus<'_> {
    /// Badness, for "the worst of its feeds".
    pub fn rank(&self) -> u8 {
        match self {
            FeedStatus::Live => 0,
            FeedStatus::Connecting | FeedStatus::Syncing | FeedStatus::Off(_) => 1,
            FeedStatus::Stale { .. } => 2,
            FeedStatus::Failed(_) => 3,
            FeedStatus::Stopped(_) => 4,
        }
    }

    pub fn health(&self) -> Health {
        match self {
            FeedStatus::Live => Health::Ok,
            FeedStatus::Connecting | FeedStatus::Syncing | FeedStatus::Off(_) => Health::Unknown,
            FeedStatus::Stale { .. } => Health::Warn,
            FeedStatus::Failed(_) | FeedStatus::Stopped(_) => Health::Crit,
        }
    }
}

/// One feed's connection state and freshness.
#[derive(Debug, Clone, PartialEq)]
pub struct Feed {
    pub phase: FeedPhase,
    /// How often data is expected while live; `None` for watches.
    pub expected: Option<Duration>,
    /// The last successful contact (data, even unchanged, or a heartbeat).
    pub last_ok: Option<DateTime<Utc>>,
}

impl Default for Feed {
    fn default() -> Self {
        Feed { phase: FeedPhase::Connecting, expected: None, last_ok: None }
    }
}

impl Feed {
    pub fn status(&self, now: DateTime<Utc>) -> FeedStatus<'_> {
        match &self.phase {
            FeedPhase::Connecting => FeedStatus::Connecting,
            FeedPhase::Syncing => FeedStatus::Syncing,
            FeedPhase::Failed(f) => FeedStatus::Failed(f),
            FeedPhase::Stopped(why) => FeedStatus::Stopped(why),
            FeedPhase::Off(why) => FeedStatus::Off(why),
            FeedPhase::Live => match (self.expected, self.last_ok) {
                (Some(every), Some(ok)) if now - ok > stale_after(every) => FeedStatus::Stale { last_ok: ok },
                _ => FeedStatus::Live,
            },
        }
    }

    /// Whether the feed has ever delivered data.
    pub fn has_data(&self) -> bool {
        self.last_ok.is_some()
    }
}

fn stale_after(every: Duration) -> TimeDelta {
    TimeDelta::from_std(every * 2).unwrap_or(TimeDelta::MAX)
}

/// A source's report about one feed.
#[derive(Debug, Clone, PartialEq)]
pub enum FeedSignal {
    Connecting,
    Syncing,
    /// Connected and live; data expected every `expected` (`None`: watch).
    Live {
        expected: Option<Duration>,
    },
    /// Data arrived (the payload travels beside the signal).
    Data,
    Failed {
        error: SourceError,
        attempt: u32,
        next_retry: Option<DateTime<Utc>>,
    },
    Stopped(String),
    /// Nothing serves this feed in this run; why.
    Off(String),
}

/// Every feed's status; feeds no source has spoken of are absent, so a
/// build or a world without (say) DB events never shows them as waiting.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Feeds {
    feeds: BTreeMap<FeedId, Feed>,
}

impl Feeds {
    pub fn get(&self, id: FeedId) -> Option<&Feed> {
        self.feeds.get(&id)
    }

    pub fn iter(&self) -> impl Iterator<Item = (FeedId, &Feed)> {
        self.feeds.iter().map(|(id, f)| (*id, f))
    }

    /// Applies a signal; returns whether the phase changed.
    pub fn signal(&mut self, id: FeedId, at: DateTime<Utc>, signal: FeedSignal) -> bool {
        let feed = self.feeds.entry(id).or_default();
        let before = feed.phase.clone();
        match signal {
            FeedSignal::Connecting => feed.phase = FeedPhase::Connecting,
            FeedSignal::Syncing => feed.phase = FeedPhase::Syncing,
            FeedSignal::Live { expected } => {
                feed.expected = expected;
                feed.phase = FeedPhase::Live;
                feed.last_ok = Some(at);
            }
            FeedSignal::Data => {
                feed.phase = FeedPhase::Live;
                feed.last_ok = Some(at);
            }
            FeedSignal::Failed { error, attempt, next_retry } => {
                // A run of failures keeps the time it began.
                let since = match &feed.phase {
                    FeedPhase::Failed(f) => f.since,
                    _ => at,
                };
                feed.phase = FeedPhase::Failed(Failure { error, attempt, next_retry, since });
            }
            FeedSignal::Stopped(why) => feed.phase = FeedPhase::Stopped(why),
            FeedSignal::Off(why) => feed.phase = FeedPhase::Off(why),
        }
        feed.phase != before
    }

    /// The worst status among `source`'s feeds, with the feed it belongs
    /// to (the first in [`SourceId::feeds`] order among equals); `None`
    /// when the source has reported nothing at all.
    pub fn worst(&self, source: SourceId, now: DateTime<Utc>) -> Option<(FeedId, FeedStatus<'_>)> {
        source
            .feeds()
            .iter()
            .rev()
            .filter_map(|id| self.feeds.get(id).map(|f| (*id, f.status(now))))
            .max_by_key(|(_, s)| s.rank())
    }

    /// Whether any of `source`'s feeds has delivered data.
    pub fn has_data(&self, source: SourceId) -> bool {
        source.feeds().iter().any(|id| self.feeds.get(id).is_some_and(Feed::has_data))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::error::ErrorKind;

    fn t(s: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_767_225_600 + s, 0).unwrap()
    }

    fn failed(attempt: u32, retry_at: i64) -> FeedSignal {
        FeedSignal::Failed {
            error: SourceError::new(ErrorKind::Throttled, "Rate exceeded"),
            attempt,
            next_retry: Some(t(retry_at)),
        }
    }

    #[test]
    fn a_polled_feed_turns_stale_after_twice_its_interval_and_fresh_on_data() {
        let mut f = Feeds::default();
        f.signal(FeedId::Alarms, t(0), FeedSignal::Live { expected: Some(Duration::from_secs(30)) });
        fn status(f: &Feeds, s: i64) -> FeedStatus<'_> {
            f.get(FeedId::Alarms).unwrap().status(t(s))
        }
        assert_eq!(status(&f, 60), FeedStatus::Live);
        assert_eq!(status(&f, 61), FeedStatus::Stale { last_ok: t(0) });
        f.signal(FeedId::Alarms, t(70), FeedSignal::Data);
        assert_eq!(status(&f, 71), FeedStatus::Live);
    }

    #[test]
    fn a_quiet_watch_stays_live() {
        let mut f = Feeds::default();
        f.signal(FeedId::Pods, t(0), FeedSignal::Live { expected: None });
        assert_eq!(f.get(FeedId::Pods).unwrap().status(t(86_400)), FeedStatus::Live);
    }

    #[test]
    fn one_feeds_failure_survives_another_feeds_data() {
        let mut f = Feeds::default();
        f.signal(FeedId::DbInstances, t(0), FeedSignal::Data);
        f.signal(FeedId::DbMetrics, t(1), failed(1, 5));
        f.signal(FeedId::DbInstances, t(2), FeedSignal::Data);
        let (feed, worst) = f.worst(SourceId::Rds, t(3)).unwrap();
        assert_eq!(feed, FeedId::DbMetrics);
        assert!(matches!(worst, FeedStatus::Failed(fl) if fl.attempt == 1 && fl.next_retry == Some(t(5))));
        // Its own data clears it.
        f.signal(FeedId::DbMetrics, t(6), FeedSignal::Data);
        assert_eq!(f.worst(SourceId::Rds, t(7)).unwrap().1, FeedStatus::Live);
    }

    #[test]
    fn repeated_failures_keep_when_they_began() {
        let mut f = Feeds::default();
        f.signal(FeedId::TrailEvents, t(10), failed(1, 12));
        f.signal(FeedId::TrailEvents, t(12), failed(2, 16));
        let FeedStatus::Failed(fl) = f.get(FeedId::TrailEvents).unwrap().status(t(13)) else { panic!() };
        assert_eq!((fl.since, fl.attempt, fl.next_retry), (t(10), 2, Some(t(16))));
    }

    #[test]
    fn the_worst_feed_speaks_for_the_source() {
        let mut f = Feeds::default();
        assert_eq!(f.worst(SourceId::Kube, t(0)), None, "nothing reported");
        f.signal(FeedId::Pods, t(0), FeedSignal::Syncing);
        f.signal(FeedId::KubeEvents, t(0), FeedSignal::Data);
        assert_eq!(f.worst(SourceId::Kube, t(0)).unwrap(), (FeedId::Pods, FeedStatus::Syncing));
        assert!(f.has_data(SourceId::Kube));
        for feed in [FeedId::Pods, FeedId::KubeEvents] {
            f.signal(feed, t(0), FeedSignal::Stopped("panicked: boom".into()));
        }
        assert_eq!(f.worst(SourceId::Kube, t(0)).unwrap().1, FeedStatus::Stopped("panicked: boom"));
        assert_eq!(f.worst(SourceId::Kube, t(0)).unwrap().1.health(), Health::Crit);
    }
}
