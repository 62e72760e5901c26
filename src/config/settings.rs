//! `config.toml`: defaults an engineer sets once per machine.

use std::path::Path;
use std::time::Duration;

use chrono::TimeDelta;
use serde::Deserialize;
use toml::Spanned;

use super::{FileError, Source};
use crate::app::trail_rows::{DEFAULT_WINDOW, WINDOWS, window_label};

/// Contents of `config.toml`; every field is optional.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub theme: Option<String>,
    pub keymap: Option<String>,
    /// Where `theme` and `keymap` were written, so "no such theme" can point
    /// at the line that named it.
    pub theme_at: Option<FileError>,
    pub keymap_at: Option<FileError>,
    pub refresh: Refresh,
    pub kubernetes: KubeDefaults,
    pub aws: AwsDefaults,
    /// How far back the CloudTrail panel looks (`[cloudtrail] window`).
    pub trail_window: TimeDelta,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            theme: None,
            keymap: None,
            theme_at: None,
            keymap_at: None,
            refresh: Refresh::default(),
            kubernetes: KubeDefaults::default(),
            aws: AwsDefaults::default(),
            trail_window: DEFAULT_WINDOW,
        }
    }
}

/// Poll intervals for the AWS panels (Kubernetes uses watches).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refresh {
    pub rds: Duration,
    pub alarms: Duration,
    pub cloudtrail: Duration,
}

impl Default for Refresh {
    fn default() -> Self {
        Refresh { rds: Duration::from_secs(30), alarms: Duration::from_secs(30), cloudtrail: Duration::from_secs(60) }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KubeDefaults {
    pub context: Option<String>,
    pub namespace: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AwsDefaults {
    pub profile: Option<String>,
    pub region: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SettingsFile {
    theme: Option<Spanned<String>>,
    keymap: Option<Spanned<String>>,
    #[serde(default)]
    refresh: RefreshFile,
    #[serde(default)]
    kubernetes: KubeDefaults,
    #[serde(default)]
    aws: AwsDefaults,
    #[serde(default)]
    cloudtrail: CloudTrailFile,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct CloudTrailFile {
    window: Option<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RefreshFile {
    rds_secs: Option<Spanned<u64>>,
    alarms_secs: Option<Spanned<u64>>,
    cloudtrail_secs: Option<Spanned<u64>>,
}

impl Settings {
    /// Parses a settings file.
    pub fn parse(src: &Source) -> Result<Self, FileError> {
        let file: SettingsFile = src.parse()?;
        let defaults = Refresh::default();
        let secs = |v: &Option<Spanned<u64>>, field: &str, default: Duration| -> Result<Duration, FileError> {
            match v {
                None => Ok(default),
                Some(s) if (1..=3600).contains(s.get_ref()) => Ok(Duration::from_secs(*s.get_ref())),
                Some(s) => Err(src.error_at(s.span().start, format!("refresh.{field} must be 1..=3600 seconds"))),
            }
        };
        let at = |v: &Option<Spanned<String>>| v.as_ref().map(|s| src.error_at(s.span().start, ""));
        Ok(Settings {
            theme_at: at(&file.theme),
            keymap_at: at(&file.keymap),
            theme: file.theme.map(Spanned::into_inner),
            keymap: file.keymap.map(Spanned::into_inner),
            refresh: Refresh {
                rds: secs(&file.refresh.rds_secs, "rds_secs", defaults.rds)?,
                alarms: secs(&file.refresh.alarms_secs, "alarms_secs", defaults.alarms)?,
                cloudtrail: secs(&file.refresh.cloudtrail_secs, "cloudtrail_secs", defaults.cloudtrail)?,
            },
            kubernetes: file.kubernetes,
            aws: file.aws,
            trail_window: match &file.cloudtrail.window {
                None => DEFAULT_WINDOW,
                Some(w) => WINDOWS.into_iter().find(|d| window_label(*d) == *w.get_ref()).ok_or_else(|| {
                    let allowed: Vec<String> = WINDOWS.into_iter().map(window_label).collect();
                    src.error_at(w.span().start, format!("cloudtrail.window must be one of {}", allowed.join(", ")))
                })?,
            },
        })
    }

    /// Loads `config.toml` if it exists; a missing file means defaults.
    pub fn load(path: &Path) -> Result<Self, FileError> {
        if !path.exists() {
            return Ok(Settings::default());
        }
        Settings::parse(&Source::read(path)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Settings, FileError> {
        Settings::parse(&Source { path: "config.toml".into(), text: text.into() })
    }

    #[test]
    fn empty_file_is_defaults() {
        assert_eq!(parse("").unwrap(), Settings::default());
    }

    #[test]
    fn reads_every_field() {
        let s = parse(
            "theme = \"light\"\nkeymap = \"vim\"\n[refresh]\nrds_secs = 10\n[kubernetes]\ncontext = \"prod\"\nnamespace = \"shop\"\n[aws]\nprofile = \"oncall\"\nregion = \"eu-west-1\"\n",
        )
        .unwrap();
        assert_eq!(s.theme.as_deref(), Some("light"));
        assert_eq!(s.keymap.as_deref(), Some("vim"));
        assert_eq!(s.refresh.rds, Duration::from_secs(10));
        assert_eq!(s.refresh.alarms, Duration::from_secs(30));
        assert_eq!(s.kubernetes.namespace.as_deref(), Some("shop"));
        assert_eq!(s.aws.region.as_deref(), Some("eu-west-1"));
    }

    #[test]
    fn the_cloudtrail_window_is_one_the_panel_steps_through() {
        assert_eq!(parse("[cloudtrail]\nwindow = \"12h\"\n").unwrap().trail_window, TimeDelta::hours(12));
        let err = parse("[cloudtrail]\nwindow = \"2h\"\n").unwrap_err();
        assert_eq!((err.line, err.col), (2, 10), "{err}");
        assert!(err.to_string().contains("cloudtrail.window must be one of 15m, 1h, 3h, 12h, 24h"), "{err}");
    }

    #[test]
    fn unknown_field_names_line_and_col() {
        let err = parse("theme = \"x\"\n[aws]\nregoin = \"eu\"\n").unwrap_err();
        assert_eq!((err.line, err.col), (3, 1), "{err}");
        assert!(err.message.contains("regoin"), "{err}");
    }

    #[test]
    fn out_of_range_refresh_is_located() {
        let err = parse("[refresh]\nalarms_secs = 0\n").unwrap_err();
        assert_eq!(err.line, 2, "{err}");
        assert!(err.message.contains("alarms_secs"), "{err}");
    }

    #[test]
    fn missing_file_is_defaults() {
        assert_eq!(Settings::load(Path::new("/nonexistent/warroom/config.toml")).unwrap(), Settings::default());
    }
}
