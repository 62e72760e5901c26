//! How durations and times read on screen and in exported records,
//! shared by `app`, `ui` and whatever writes a timeline.

use chrono::{DateTime, TimeDelta, Utc};

use crate::state::Failure;

/// kubectl-style ages: `45s`, `12m`, `3h4m`, `26h`, `3d4h`.
pub fn fmt_age(d: TimeDelta) -> String {
    let s = d.num_seconds().max(0);
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m", s / 60),
        3600..36_000 => format!("{}h{}m", s / 3600, s / 60 % 60),
        36_000..172_800 => format!("{}h", s / 3600),
        _ => format!("{}d{}h", s / 86_400, s / 3600 % 24),
    }
}

/// `mm:ss` under an hour, `h:mm:ss` above; negative shows as 0.
pub fn fmt_clock(d: TimeDelta) -> String {
    let s = d.num_seconds().max(0);
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    } else {
        format!("{:02}:{:02}", s / 60, s % 60)
    }
}

/// `HH:MM:SS` (UTC).
pub fn fmt_time(t: DateTime<Utc>) -> String {
    t.format("%H:%M:%S").to_string()
}

/// `retry 4s`, `retrying` once the time has come, or the error's kind when
/// the source gave no retry time.
pub fn retry_countdown(f: &Failure, now: DateTime<Utc>) -> String {
    match f.next_retry {
        Some(at) if at > now => {
            // Round up: "retry 0s" would read as "now" a second early.
            let ms = (at - now).num_milliseconds();
            format!("retry {}s", (ms + 999) / 1000)
        }
        Some(_) => "retrying".into(),
        None => f.error.kind.label().into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_read_like_kubectl() {
        assert_eq!(fmt_age(TimeDelta::seconds(45)), "45s");
        assert_eq!(fmt_age(TimeDelta::seconds(750)), "12m");
        assert_eq!(fmt_age(TimeDelta::seconds(3 * 3600 + 240)), "3h4m");
        assert_eq!(fmt_age(TimeDelta::hours(26)), "26h");
        assert_eq!(fmt_age(TimeDelta::hours(76)), "3d4h");
        assert_eq!(fmt_age(TimeDelta::seconds(-5)), "0s");
    }

    #[test]
    fn clocks_show_hours_only_past_one() {
        assert_eq!(fmt_clock(TimeDelta::seconds(59)), "00:59");
        assert_eq!(fmt_clock(TimeDelta::seconds(3_725)), "1:02:05");
        assert_eq!(fmt_clock(TimeDelta::seconds(-3)), "00:00");
    }
}
