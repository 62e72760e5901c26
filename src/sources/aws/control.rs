//! The AWS source and executor as the console drives them: switching
//! profile or region stops the polls, empties the AWS feeds and starts
//! polling (and acting) with the new credentials.

use std::sync::Arc;

use tokio::sync::mpsc;

use super::trail::Lookback;
use super::{AwsExecutor, AwsTarget, FEEDS, Intervals};
use crate::model::{HistoryEntry, HistoryOf};
use crate::sources::clock::Clock;
use crate::sources::cluster::BoxFuture;
use crate::sources::supervisor::Replaceable;
use crate::state::{Delta, FeedData, FeedSignal, SourceUpdate};

/// What the console asks of its AWS side.
pub trait Account: Send + Sync + 'static {
    /// Polls and acts with `target`'s profile and region from now on.
    fn retarget(&self, target: AwsTarget);
    /// Looks CloudTrail events up over the last `window` from now on
    /// (at once).
    fn trail_window(&self, window: chrono::TimeDelta);
    /// An alarm's history or a DB instance's recent events, for its detail
    /// view; the error in words.
    fn history(&self, of: HistoryOf) -> BoxFuture<Result<Vec<HistoryEntry>, String>>;
}

/// The live AWS source and executor under one handle.
pub struct LiveAccount {
    executor: AwsExecutor,
    intervals: Intervals,
    /// How far back CloudTrail events go, shared by every target's polls.
    lookback: Arc<Lookback>,
    clock: Arc<dyn Clock>,
    updates: mpsc::Sender<SourceUpdate>,
    /// The task running the current target's polls.
    polls: Replaceable,
    /// Where the polls run: a runtime thread of their own, so loading
    /// credentials and TLS setup never delay the screen or the watches.
    runtime: Option<tokio::runtime::Handle>,
}

impl LiveAccount {
    /// Starts polling `target`, CloudTrail over the last `window`, on
    /// `runtime` if given (else the current one).
    pub fn start(
        target: AwsTarget,
        executor: AwsExecutor,
        (intervals, window): (Intervals, chrono::TimeDelta),
        clock: Arc<dyn Clock>,
        updates: mpsc::Sender<SourceUpdate>,
        runtime: Option<tokio::runtime::Handle>,
    ) -> Self {
        let lookback = Arc::new(Lookback::new(window));
        let account =
            LiveAccount { executor, intervals, lookback, clock, updates, polls: Replaceable::default(), runtime };
        account.poll(target, Vec::new());
        account
    }

    /// Polls `target` instead of whatever was polled, after `reset`.
    fn poll(&self, target: AwsTarget, reset: Vec<SourceUpdate>) {
        let (clock, intervals, lookback) = (self.clock.clone(), self.intervals, self.lookback.clone());
        let on = self.runtime.as_ref();
        self.polls.replace(reset, &FEEDS, self.updates.clone(), self.clock.clone(), on, move |updates| {
            Box::pin(super::run(target.clone(), intervals, lookback.clone(), clock.clone(), updates))
        });
    }
}

impl Account for LiveAccount {
    fn retarget(&self, target: AwsTarget) {
        tracing::info!(profile = ?target.profile, region = ?target.region, "polling another AWS account or region");
        self.executor.retarget(target.clone());
        self.poll(target, emptied(self.clock.now()));
    }

    fn trail_window(&self, window: chrono::TimeDelta) {
        tracing::info!(minutes = window.num_minutes(), "CloudTrail window");
        self.lookback.set(window);
    }

    fn history(&self, of: HistoryOf) -> BoxFuture<Result<Vec<HistoryEntry>, String>> {
        let (executor, now) = (self.executor.clone(), self.clock.now());
        Box::pin(async move {
            let (config, login) = executor.config().await;
            let answer = match &of {
                HistoryOf::Alarm(name) => {
                    super::alarms::history(&aws_sdk_cloudwatch::Client::new(&config), name, now, &login).await
                }
                HistoryOf::DbInstance(id) => super::rds::events(&aws_sdk_rds::Client::new(&config), id, &login).await,
            };
            answer.map_err(|e| e.to_string())
        })
    }
}

/// What the AWS feeds hear when the profile or region changes: no items,
/// and *connecting* until the new polls answer.
pub fn emptied(at: chrono::DateTime<chrono::Utc>) -> Vec<SourceUpdate> {
    let mut out: Vec<SourceUpdate> = [
        FeedData::Alarms(Delta::Reset(Vec::new())),
        FeedData::DbInstances(Delta::Reset(Vec::new())),
        FeedData::DbMetrics(Delta::Reset(Vec::new())),
        FeedData::TrailEvents(Delta::Reset(Vec::new())),
        FeedData::Trails(Delta::Reset(Vec::new())),
    ]
    .into_iter()
    .map(|d| SourceUpdate::data(at, d))
    .collect();
    out.extend(FEEDS.iter().map(|f| SourceUpdate::signal(*f, at, FeedSignal::Connecting)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::{FeedPhase, LiveState};

    #[test]
    fn a_switch_empties_every_aws_feed_and_leaves_it_connecting() {
        let mut live = LiveState::default();
        let at = crate::fixtures::t0();
        live.apply(SourceUpdate::data(
            at,
            FeedData::Alarms(Delta::Reset(vec![crate::fixtures::alarm("a", crate::model::AlarmState::Alarm)])),
        ));
        live.apply(SourceUpdate::data(
            at,
            FeedData::DbInstances(Delta::Reset(vec![crate::fixtures::db_instance("d", 100)])),
        ));
        for u in emptied(at) {
            live.apply(u);
        }
        assert!(live.alarms.is_empty() && live.dbs.is_empty() && live.trail.is_empty() && live.trails.is_empty());
        for feed in FEEDS {
            assert_eq!(live.feeds.get(feed).map(|f| f.phase.clone()), Some(FeedPhase::Connecting), "{feed:?}");
        }
    }
}
