//! Where warroom's files live, from `directories` with env overrides.

use std::path::PathBuf;

/// Resolved directories. Tests and bastion setups point these elsewhere
/// with `WARROOM_CONFIG_DIR` / `WARROOM_DATA_DIR`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paths {
    pub config: PathBuf,
    pub data: PathBuf,
    pub state: PathBuf,
    pub cache: PathBuf,
}

impl Paths {
    /// Resolves from the environment and the platform's conventions.
    pub fn discover() -> Self {
        Self::from_env(|k| std::env::var_os(k).map(PathBuf::from))
    }

    /// Same as [`Paths::discover`] with an injectable environment lookup.
    pub fn from_env(var: impl Fn(&str) -> Option<PathBuf>) -> Self {
        let dirs = directories::ProjectDirs::from("", "", "warroom");
        let fallback = || std::env::temp_dir().join("warroom");
        let config = var("WARROOM_CONFIG_DIR")
            .or_else(|| dirs.as_ref().map(|d| d.config_dir().to_path_buf()))
            .unwrap_or_else(fallback);
        let data = var("WARROOM_DATA_DIR")
            .or_else(|| dirs.as_ref().map(|d| d.data_dir().to_path_buf()))
            .unwrap_or_else(fallback);
        // With an overridden data dir, keep state and cache beside it so a
        // test or a shared bastion account never writes to the real home.
        let (state, cache) = match var("WARROOM_DATA_DIR") {
            Some(d) => (d.join("state"), d.join("cache")),
            None => (
                dirs.as_ref()
                    .and_then(|d| d.state_dir().map(|p| p.to_path_buf()))
                    .unwrap_or_else(|| data.join("state")),
                dirs.as_ref().map(|d| d.cache_dir().to_path_buf()).unwrap_or_else(|| data.join("cache")),
            ),
        };
        Paths { config, data, state, cache }
    }

    pub fn config_file(&self) -> PathBuf {
        self.config.join("config.toml")
    }

    /// Collected evidence (pod logs), one file per collection.
    pub fn evidence_dir(&self) -> PathBuf {
        self.data.join("evidence")
    }

    /// Where incident journals go: the data directory, or for the demo a
    /// directory of its own (its incidents are not real ones).
    pub fn journal_dir(&self, demo: bool) -> PathBuf {
        if demo { self.data.join("demo") } else { self.data.clone() }
    }

    pub fn log_file(&self) -> PathBuf {
        self.state.join("warroom.log")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_overrides_win() {
        let p = Paths::from_env(|k| match k {
            "WARROOM_CONFIG_DIR" => Some("/c".into()),
            "WARROOM_DATA_DIR" => Some("/d".into()),
            _ => None,
        });
        assert_eq!(p.config, PathBuf::from("/c"));
        assert_eq!(p.data, PathBuf::from("/d"));
        assert_eq!(p.log_file(), PathBuf::from("/d/state/warroom.log"));
        assert_eq!(p.config_file(), PathBuf::from("/c/config.toml"));
        assert_eq!(p.evidence_dir(), PathBuf::from("/d/evidence"));
    }
}
