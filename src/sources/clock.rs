//! Injectable time, so the demo can run fast and tests can stand still.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use chrono::{DateTime, TimeDelta, Utc};

pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

/// Wall-clock time.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// Time that starts at `origin` and runs `speed` times faster than real.
pub struct ScaledClock {
    origin: DateTime<Utc>,
    started: Instant,
    speed: f64,
}

impl ScaledClock {
    pub fn new(origin: DateTime<Utc>, speed: f64) -> Self {
        ScaledClock { origin, started: Instant::now(), speed }
    }
}

impl Clock for ScaledClock {
    fn now(&self) -> DateTime<Utc> {
        let real = self.started.elapsed().as_secs_f64() * self.speed;
        self.origin + TimeDelta::milliseconds((real * 1000.0) as i64)
    }
}

/// A clock that only moves when told to (tests).
#[derive(Clone)]
pub struct ManualClock(Arc<Mutex<DateTime<Utc>>>);

impl ManualClock {
    pub fn new(at: DateTime<Utc>) -> Self {
        ManualClock(Arc::new(Mutex::new(at)))
    }

    pub fn advance(&self, by: TimeDelta) {
        if let Ok(mut t) = self.0.lock() {
            *t += by;
        }
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        self.0.lock().map(|t| *t).unwrap_or_else(|e| *e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scaled_clock_runs_faster() {
        let origin = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let c = ScaledClock::new(origin, 1000.0);
        std::thread::sleep(std::time::Duration::from_millis(20));
        assert!(c.now() - origin >= TimeDelta::seconds(10));
    }

    #[test]
    fn manual_clock_moves_only_when_told() {
        let origin = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let c = ManualClock::new(origin);
        assert_eq!(c.now(), origin);
        c.advance(TimeDelta::seconds(5));
        assert_eq!(c.now(), origin + TimeDelta::seconds(5));
    }
}
