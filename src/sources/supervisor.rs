//! Keeps sources running: each source runs as a task the supervisor
//! watches; when it ends or panics, every feed it had announced is
//! reported *stopped* (with the reason, also logged) and the task is
//! started again after a backoff. Nothing a source does can end or freeze
//! the console: a panic is caught by its task, and a source that keeps
//! failing is restarted ever more slowly, never in a tight loop.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinError;

use super::clock::Clock;
use crate::state::{FeedId, FeedSignal, SourceUpdate};

/// A source's body: runs until it is done (normally never), sending its
/// updates on the channel.
pub type SourceTask = Pin<Box<dyn Future<Output = ()> + Send>>;

/// First restart delay; doubles per quick failure up to [`MAX_BACKOFF`].
pub const MIN_BACKOFF: Duration = Duration::from_secs(1);
pub const MAX_BACKOFF: Duration = Duration::from_secs(60);
/// A run this long counts as healthy: the next failure starts the backoff
/// from the beginning again.
const HEALTHY_RUN: Duration = Duration::from_secs(120);

/// Why a source task ended, in words for the panel and the log.
pub fn describe_end(result: Result<(), JoinError>) -> String {
    match result {
        Ok(()) => "the source task ended".into(),
        Err(e) if e.is_panic() => format!("panicked: {}", crate::terminal::panic_text(&*e.into_panic())),
        Err(_) => "the source task was cancelled".into(),
    }
}

/// The delay before restart number `restarts` (1-based) of quick failures.
pub fn backoff(restarts: u32) -> Duration {
    let factor = 2u32.saturating_pow(restarts.saturating_sub(1).min(16));
    MIN_BACKOFF.saturating_mul(factor).min(MAX_BACKOFF)
}

/// Runs `make()` as a task, and again whenever it ends, reporting each end
/// on `updates` as `feeds` (the ones the task serves, whether or not it
/// got to announce them) stopping. Returns when the console stops
/// listening (the channel is closed).
pub fn supervise<F>(
    feeds: &'static [FeedId],
    updates: mpsc::Sender<SourceUpdate>,
    clock: std::sync::Arc<dyn Clock>,
    make: F,
) -> tokio::task::JoinHandle<()>
where
    F: Fn(mpsc::Sender<SourceUpdate>) -> SourceTask + Send + 'static,
{
    tokio::spawn(supervised(feeds, updates, clock, make))
}

/// The supervised task of a source that can be pointed elsewhere: each
/// [`replace`](Replaceable::replace) stops the current one before its
/// successor starts, so what the old one sent is already in the channel
/// ahead of the successor's reset.
#[derive(Default)]
pub struct Replaceable {
    current: std::sync::Mutex<Option<tokio::task::AbortHandle>>,
}

impl Replaceable {
    /// Stops the current task, if any; sends `reset` (emptied feeds), then
    /// runs `make()` under [`supervised`], in a task of its own on `on` (a
    /// runtime of its own for a source whose work should not hold up the
    /// screen's thread) or on the current runtime.
    pub fn replace<F>(
        &self,
        reset: Vec<SourceUpdate>,
        feeds: &'static [FeedId],
        updates: mpsc::Sender<SourceUpdate>,
        clock: std::sync::Arc<dyn Clock>,
        on: Option<&tokio::runtime::Handle>,
        make: F,
    ) where
        F: Fn(mpsc::Sender<SourceUpdate>) -> SourceTask + Send + 'static,
    {
        let mut current = self.current.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(old) = current.take() {
            old.abort();
        }
        let spawn = |task| match on {
            Some(handle) => handle.spawn(task),
            None => tokio::spawn(task),
        };
        let task = spawn(async move {
            for update in reset {
                if updates.send(update).await.is_err() {
                    return;
                }
            }
            supervised(feeds, updates, clock, make).await;
        });
        *current = Some(task.abort_handle());
    }
}

/// [`supervise`] as a future: dropping it (aborting the task it runs in)
/// also stops the source task it runs.
pub async fn supervised<F>(
    feeds: &'static [FeedId],
    updates: mpsc::Sender<SourceUpdate>,
    clock: std::sync::Arc<dyn Clock>,
    make: F,
) where
    F: Fn(mpsc::Sender<SourceUpdate>) -> SourceTask + Send + 'static,
{
    let mut quick_failures = 0u32;
    loop {
        let started = tokio::time::Instant::now();
        let mut task = AbortOnDrop(tokio::spawn(make(updates.clone())));
        let result = (&mut task.0).await;
        if updates.is_closed() {
            return;
        }
        let why = describe_end(result);
        quick_failures = if started.elapsed() >= HEALTHY_RUN { 1 } else { quick_failures + 1 };
        let delay = backoff(quick_failures);
        let names: Vec<&str> = feeds.iter().map(|f| f.label()).collect();
        tracing::error!(feeds = ?names, %why, restart_in = ?delay, "source stopped");
        let at = clock.now();
        for feed in feeds {
            let stopped = SourceUpdate::signal(*feed, at, FeedSignal::Stopped(why.clone()));
            if updates.send(stopped).await.is_err() {
                return;
            }
        }
        tokio::time::sleep(delay).await;
    }
}

/// A task that is aborted when its handle is dropped.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;
    use crate::sources::clock::ManualClock;
    use crate::state::{Delta, FeedData, FeedEvent};

    #[test]
    fn backoff_doubles_to_a_ceiling() {
        assert_eq!(backoff(1), Duration::from_secs(1));
        assert_eq!(backoff(2), Duration::from_secs(2));
        assert_eq!(backoff(4), Duration::from_secs(8));
        assert_eq!(backoff(40), MAX_BACKOFF);
    }

    #[tokio::test(start_paused = true)]
    async fn a_panicking_source_is_reported_stopped_and_restarted() {
        let clock: Arc<dyn Clock> = Arc::new(ManualClock::new(crate::fixtures::t0()));
        let (tx, mut rx) = mpsc::channel(16);
        let runs = Arc::new(AtomicU32::new(0));
        let counter = runs.clone();
        let _sup = supervise(&[FeedId::Alarms], tx, clock, move |tx| {
            let run = counter.fetch_add(1, Ordering::SeqCst);
            Box::pin(async move {
                if run < 2 {
                    panic!("boom {run}");
                }
                let data = FeedData::Alarms(Delta::Reset(Vec::new()));
                let _ = tx.send(SourceUpdate::data(crate::fixtures::t0(), data)).await;
                std::future::pending::<()>().await;
            })
        });
        let mut seen = Vec::new();
        let started = tokio::time::Instant::now();
        while seen.len() < 3 {
            seen.push(rx.recv().await.unwrap());
        }
        let stopped = |u: &SourceUpdate, n: u32| {
            u.feed == FeedId::Alarms
                && matches!(&u.event, FeedEvent::Signal(FeedSignal::Stopped(w)) if w == &format!("panicked: boom {n}"))
        };
        assert!(stopped(&seen[0], 0), "{:?}", seen[0]);
        assert!(stopped(&seen[1], 1), "{:?}", seen[1]);
        assert!(matches!(seen[2].event, FeedEvent::Data(_)), "the third run works: {:?}", seen[2]);
        assert_eq!(runs.load(Ordering::SeqCst), 3);
        // Restarted after 1 s, then after 2 s: backed off, never a tight loop.
        assert_eq!(started.elapsed().as_secs(), 3);
    }

    #[tokio::test(start_paused = true)]
    async fn the_supervisor_stops_when_nobody_listens() {
        let clock: Arc<dyn Clock> = Arc::new(ManualClock::new(crate::fixtures::t0()));
        let (tx, rx) = mpsc::channel(16);
        drop(rx);
        let sup = supervise(&[FeedId::Pods], tx, clock, |_| Box::pin(async {}));
        tokio::time::timeout(Duration::from_secs(5), sup).await.expect("ends").expect("no panic");
    }
}
