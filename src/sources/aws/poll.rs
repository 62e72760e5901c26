//! Polling discipline for one AWS feed: fetch, report, wait the feed's
//! interval with jitter; on failure report the error with its attempt and
//! retry time and back off by the error's kind (throttling and 5xx
//! exponentially). Each call has its timeout (the SDK's configuration);
//! a poll that outlives [`POLL_TIMEOUT`] is a timeout too. Each
//! feed polls in its own task, so a slow service holds up only itself.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;

use super::POLL_TIMEOUT;
use crate::sources::clock::Clock;
use crate::state::{ErrorKind, FeedData, FeedId, FeedSignal, SourceError, SourceUpdate};

/// `every` spread by up to ±10 % (`jitter` in `[0, 1)`), so consoles
/// started together do not poll in step.
pub fn jittered(every: Duration, jitter: f64) -> Duration {
    every.mul_f64(0.9 + 0.2 * jitter.clamp(0.0, 1.0))
}

/// Polls `fetch` for `feed` until the console stops listening.
pub async fn run<F, Fut>(feed: FeedId, every: Duration, clock: Arc<dyn Clock>, tx: mpsc::Sender<SourceUpdate>, fetch: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Vec<FeedData>, SourceError>>,
{
    run_woken(feed, every, clock, tx, fetch, std::future::pending).await;
}

/// [`run`], also polling at once whenever `woken()` completes (the
/// console asked for something new).
pub async fn run_woken<F, Fut, W, WFut>(
    feed: FeedId,
    every: Duration,
    clock: Arc<dyn Clock>,
    tx: mpsc::Sender<SourceUpdate>,
    mut fetch: F,
    mut woken: W,
) where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Vec<FeedData>, SourceError>>,
    W: FnMut() -> WFut,
    WFut: Future<Output = ()>,
{
    let send = |signal| tx.send(SourceUpdate::signal(feed, clock.now(), signal));
    let mut attempt = 0u32;
    let mut live = false;
    if send(FeedSignal::Syncing).await.is_err() {
        return;
    }
    loop {
        let result = match tokio::time::timeout(POLL_TIMEOUT, fetch()).await {
            Ok(r) => r,
            Err(_) => {
                Err(SourceError::new(ErrorKind::Timeout, format!("no answer within {} s", POLL_TIMEOUT.as_secs())))
            }
        };
        let wait = match result {
            Ok(data) => {
                attempt = 0;
                if !live {
                    live = true;
                    if send(FeedSignal::Live { expected: Some(every) }).await.is_err() {
                        return;
                    }
                }
                for d in data {
                    if tx.send(SourceUpdate::data(clock.now(), d)).await.is_err() {
                        return;
                    }
                }
                jittered(every, fastrand::f64())
            }
            Err(error) => {
                attempt += 1;
                live = false;
                let (signal, delay) = crate::sources::failed(error, attempt, &*clock);
                if send(signal).await.is_err() {
                    return;
                }
                delay
            }
        };
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            () = woken() => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jitter_spreads_the_interval_by_a_tenth_either_way() {
        let every = Duration::from_secs(30);
        assert_eq!(jittered(every, 0.0), Duration::from_secs(27));
        assert_eq!(jittered(every, 0.5), every);
        assert!(jittered(every, 0.999_999) <= Duration::from_secs(33));
        assert_eq!(jittered(every, 5.0), Duration::from_secs(33), "clamped");
    }
}
