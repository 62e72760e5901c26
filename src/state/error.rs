//! Typed source errors and the retry policy each kind gets.
//!
//! A source classifies what went wrong (its client library knows whether a
//! call timed out or came back 403); the kind decides how soon to try
//! again, which glyph and words the panel shows, and what to tell the
//! engineer to fix.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// What kind of failure a source hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// Connection refused or reset, DNS, TLS: the endpoint is unreachable.
    Network,
    /// The call took longer than its timeout.
    Timeout,
    /// Rate limited (HTTP 429, `ThrottlingException`).
    Throttled,
    /// Missing, invalid or expired credentials (HTTP 401,
    /// `ExpiredToken`).
    Unauthorized,
    /// Authenticated but not allowed (HTTP 403, `AccessDenied`).
    Forbidden,
    /// The resource or API does not exist (HTTP 404).
    NotFound,
    /// The service failed (HTTP 5xx).
    Server,
    /// The answer could not be understood.
    Malformed,
}

impl ErrorKind {
    /// A short word for panels and the status bar.
    pub fn label(self) -> &'static str {
        match self {
            ErrorKind::Network => "unreachable",
            ErrorKind::Timeout => "timed out",
            ErrorKind::Throttled => "throttled",
            ErrorKind::Unauthorized => "unauthorized",
            ErrorKind::Forbidden => "forbidden",
            ErrorKind::NotFound => "not found",
            ErrorKind::Server => "server error",
            ErrorKind::Malformed => "bad response",
        }
    }

    /// What the engineer can do about it, when retrying alone will not help.
    pub fn hint(self) -> Option<&'static str> {
        match self {
            ErrorKind::Unauthorized => Some("credentials are missing or expired: log in again"),
            ErrorKind::Forbidden => Some("these credentials lack permission: check the role's policy"),
            ErrorKind::NotFound => Some("check the configured name, region or namespace"),
            _ => None,
        }
    }

    /// How long to wait before attempt `attempt + 1` after `attempt`
    /// consecutive failures (`attempt` ≥ 1). `jitter` in `[0, 1)` spreads
    /// retries of many consoles so they do not hit an API in step.
    ///
    /// * throttled and server errors back off exponentially from 2 s to
    ///   at most 2 minutes, with up to 50 % jitter on top;
    /// * network errors and timeouts retry sooner (1 s doubling to 30 s)
    ///   since a flaky link often recovers quickly;
    /// * unauthorized, forbidden and not found wait a fixed minute: only a
    ///   person can fix them, and hammering an auth endpoint helps nobody;
    /// * a malformed answer waits 30 s.
    pub fn retry_delay(self, attempt: u32, jitter: f64) -> Duration {
        let exp = |base: f64, cap: f64| (base * 2f64.powi(attempt.saturating_sub(1).min(16) as i32)).min(cap);
        let secs = match self {
            ErrorKind::Throttled | ErrorKind::Server => exp(2.0, 120.0) * (1.0 + 0.5 * jitter.clamp(0.0, 1.0)),
            ErrorKind::Network | ErrorKind::Timeout => exp(1.0, 30.0) * (1.0 + 0.25 * jitter.clamp(0.0, 1.0)),
            ErrorKind::Unauthorized | ErrorKind::Forbidden | ErrorKind::NotFound => 60.0,
            ErrorKind::Malformed => 30.0,
        };
        Duration::from_millis((secs * 1000.0).round() as u64)
    }
}

/// A failed fetch: what kind, and the source's own words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[error("{}: {message}", kind.label())]
pub struct SourceError {
    pub kind: ErrorKind,
    pub message: String,
}

impl SourceError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        SourceError { kind, message: message.into() }
    }

    /// Classifies an HTTP status the way every source should.
    pub fn from_status(status: u16, message: impl Into<String>) -> Self {
        let kind = match status {
            401 => ErrorKind::Unauthorized,
            403 => ErrorKind::Forbidden,
            404 | 410 => ErrorKind::NotFound,
            408 | 504 => ErrorKind::Timeout,
            429 => ErrorKind::Throttled,
            500..=599 => ErrorKind::Server,
            _ => ErrorKind::Malformed,
        };
        SourceError::new(kind, message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttling_backs_off_exponentially_with_bounded_jitter() {
        let d = |a, j| ErrorKind::Throttled.retry_delay(a, j).as_secs_f64();
        assert_eq!(d(1, 0.0), 2.0);
        assert_eq!(d(2, 0.0), 4.0);
        assert_eq!(d(3, 0.0), 8.0);
        assert_eq!(d(20, 0.0), 120.0, "capped");
        assert_eq!(d(1, 0.999_999), 3.0);
        assert!((2.0..=3.0).contains(&d(1, 0.3)));
        assert_eq!(d(1, 7.0), 3.0, "jitter out of range is clamped");
        assert_eq!(ErrorKind::Server.retry_delay(3, 0.0), ErrorKind::Throttled.retry_delay(3, 0.0));
    }

    #[test]
    fn errors_only_a_person_can_fix_wait_long_and_say_what_to_do() {
        for kind in [ErrorKind::Unauthorized, ErrorKind::Forbidden, ErrorKind::NotFound] {
            assert!(kind.hint().is_some(), "{kind:?} says what to fix");
            assert_eq!(kind.retry_delay(1, 0.0), Duration::from_secs(60));
            assert_eq!(kind.retry_delay(9, 0.9), Duration::from_secs(60), "fixed, no backoff");
        }
        assert!(ErrorKind::Unauthorized.hint().unwrap().contains("log in"));
        for kind in [ErrorKind::Network, ErrorKind::Timeout, ErrorKind::Throttled, ErrorKind::Server] {
            assert!(kind.hint().is_none(), "{kind:?}");
            assert!(kind.retry_delay(1, 0.0) < Duration::from_secs(5));
        }
    }

    #[test]
    fn http_statuses_map_to_kinds() {
        let k = |s| SourceError::from_status(s, "x").kind;
        assert_eq!(k(401), ErrorKind::Unauthorized);
        assert_eq!(k(403), ErrorKind::Forbidden);
        assert_eq!(k(404), ErrorKind::NotFound);
        assert_eq!(k(429), ErrorKind::Throttled);
        assert_eq!(k(503), ErrorKind::Server);
        assert_eq!(k(504), ErrorKind::Timeout);
        assert_eq!(SourceError::new(ErrorKind::Throttled, "Rate exceeded").to_string(), "throttled: Rate exceeded");
    }
}
