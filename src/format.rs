//! How durations and times read on screen and in exported records,
//! shared by `app`, `ui` and whatever writes a timeline.

use chrono::{DateTime, TimeDelta, Utc};

use crate::state::Failure;

/// Ages as kubectl prints them (apimachinery's `HumanDuration`): about
/// two significant figures, `90s`, `5m30s`, `125m`, `3h4m`, `26h`, `3d4h`,
/// `400d`, `2y30d`.
pub fn fmt_age(d: TimeDelta) -> String {
    let s = d.num_seconds();
    if s < -1 {
        return "<invalid>".into();
    }
    let s = s.max(0);
    let (m, h) = (s / 60, s / 3600);
    let with = |big: i64, unit: &str, small: i64, small_unit: &str| {
        if small == 0 { format!("{big}{unit}") } else { format!("{big}{unit}{small}{small_unit}") }
    };
    match () {
        () if s < 120 => format!("{s}s"),
        () if m < 10 => with(m, "m", s % 60, "s"),
        () if m < 180 => format!("{m}m"),
        () if h < 8 => with(h, "h", m % 60, "m"),
        () if h < 48 => format!("{h}h"),
        () if h < 24 * 8 => with(h / 24, "d", h % 24, "h"),
        () if h < 24 * 365 * 2 => format!("{}d", h / 24),
        () if h < 24 * 365 * 8 => with(h / 24 / 365, "y", (h / 24) % 365, "d"),
        () => format!("{}y", h / 24 / 365),
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
        let age = |s: i64| fmt_age(TimeDelta::seconds(s));
        // apimachinery's HumanDuration, boundary by boundary.
        assert_eq!(age(45), "45s");
        assert_eq!(age(119), "119s");
        assert_eq!(age(120), "2m");
        assert_eq!(age(330), "5m30s");
        assert_eq!(age(599), "9m59s");
        assert_eq!(age(750), "12m");
        assert_eq!(age(179 * 60 + 59), "179m");
        assert_eq!(age(3 * 3600), "3h");
        assert_eq!(age(3 * 3600 + 240), "3h4m");
        assert_eq!(age(26 * 3600), "26h");
        assert_eq!(age(48 * 3600), "2d");
        assert_eq!(age(76 * 3600), "3d4h");
        assert_eq!(age(8 * 86_400), "8d");
        assert_eq!(age(400 * 86_400), "400d");
        assert_eq!(age(760 * 86_400), "2y30d");
        assert_eq!(age(10 * 365 * 86_400), "10y");
        // A clock a second behind is "now"; further is invalid.
        assert_eq!(age(-1), "0s");
        assert_eq!(age(-5), "<invalid>");
    }

    #[test]
    fn clocks_show_hours_only_past_one() {
        assert_eq!(fmt_clock(TimeDelta::seconds(59)), "00:59");
        assert_eq!(fmt_clock(TimeDelta::seconds(3_725)), "1:02:05");
        assert_eq!(fmt_clock(TimeDelta::seconds(-3)), "00:00");
    }
}
