//! Everything that happens before the terminal is touched: settings,
//! theme and keymap loading. Any error here names the file, line and
//! column, and `main` exits with status 2 without entering raw mode.

use crate::app::Flags;
use crate::cli::Cli;
use crate::config::FileError;
use crate::config::keymap::{self, Keymap};
use crate::config::paths::Paths;
use crate::config::settings::Settings;
use crate::config::theme::{self, ColorSupport, Theme, ThemeLoader};

/// Loaded configuration, ready to build the app.
pub struct Prepared {
    pub settings: Settings,
    pub theme: Theme,
    pub themes: Vec<Theme>,
    pub keymap: Keymap,
    pub flags: Flags,
    /// The built-in playbooks and the config dir's.
    pub playbooks: Vec<crate::playbook::Playbook>,
}

/// A theme or keymap name the loaders cannot find is reported where it was
/// written: the `config.toml` line, or the command-line flag.
fn locate(flag: Option<&str>, at: &Option<FileError>, e: FileError) -> FileError {
    match (flag, at) {
        _ if e.line != 0 => e,
        (Some(flag), _) => FileError::whole(std::path::Path::new(flag), e.message),
        (None, Some(at)) => FileError { message: e.message, ..at.clone() },
        (None, None) => e,
    }
}

/// Loads config, themes and keymap. `colors` (from `NO_COLOR`, `COLORTERM`
/// and `TERM`) picks the theme when neither the command line nor the
/// config file names one.
pub fn prepare(cli: &Cli, paths: &Paths, colors: ColorSupport) -> Result<Prepared, FileError> {
    let settings = Settings::load(&paths.config_file())?;
    let loader = ThemeLoader { user_dir: Some(&paths.config) };
    let theme_name =
        cli.theme.clone().or_else(|| settings.theme.clone()).unwrap_or_else(|| theme::default_name(colors).to_string());
    // Load every theme now so a broken file is reported at start, not when
    // someone switches to it mid-incident.
    let mut themes = loader.available().iter().map(|n| loader.load(n)).collect::<Result<Vec<_>, _>>()?;
    let mut theme = match themes.iter().find(|t| t.name == theme_name) {
        Some(t) => t.clone(),
        None => loader
            .load(&theme_name)
            .map_err(|e| locate(cli.theme.as_ref().map(|_| "--theme"), &settings.theme_at, e))?,
    };
    // NO_COLOR wins over any theme, whether named by flag, config or the
    // palette later on.
    if colors == ColorSupport::None {
        theme = theme.without_colors();
        themes = themes.into_iter().map(Theme::without_colors).collect();
    }
    let keymap_name = cli.keymap.clone().or_else(|| settings.keymap.clone()).unwrap_or_else(|| "default".into());
    let keymap = keymap::load(&keymap_name, Some(&paths.config))
        .map_err(|e| locate(cli.keymap.as_ref().map(|_| "--keymap"), &settings.keymap_at, e))?;
    let flags = Flags { read_only: cli.read_only, read_only_locked: cli.read_only, dry_run: cli.dry_run };
    let playbooks = crate::playbook::load(Some(&paths.config))?;
    Ok(Prepared { settings, theme, themes, keymap, flags, playbooks })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn paths(dir: &std::path::Path) -> Paths {
        Paths { config: dir.to_path_buf(), data: dir.join("d"), state: dir.join("s"), cache: dir.join("c") }
    }

    #[test]
    fn terminal_colours_pick_the_theme_unless_overridden() {
        let dir = tempfile::tempdir().unwrap();
        let cli = Cli::parse_from(["warroom", "--demo"]);
        assert_eq!(prepare(&cli, &paths(dir.path()), ColorSupport::None).unwrap().theme.name, "mono");
        assert_eq!(prepare(&cli, &paths(dir.path()), ColorSupport::Ansi16).unwrap().theme.name, "ansi16");
        assert_eq!(prepare(&cli, &paths(dir.path()), ColorSupport::Full).unwrap().theme.name, "default");
        let cli = Cli::parse_from(["warroom", "--demo", "--theme", "light"]);
        let light = prepare(&cli, &paths(dir.path()), ColorSupport::None).unwrap();
        assert_eq!(light.theme.name, "light");
        assert!(light.theme.styles().chain(light.themes.iter().flat_map(Theme::styles)).all(|(_, s)| s.fg.is_none()));
    }

    #[test]
    fn config_file_chooses_theme_and_keymap() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("config.toml"), "theme = \"light\"\nkeymap = \"vim\"\n").unwrap();
        let p = prepare(&Cli::parse_from(["warroom", "--demo"]), &paths(dir.path()), ColorSupport::None).unwrap();
        assert_eq!(p.theme.name, "light");
        assert_eq!(p.keymap.name, "vim");
    }

    #[test]
    fn broken_user_theme_fails_even_when_not_selected() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("themes")).unwrap();
        std::fs::write(dir.path().join("themes/bad.toml"), "[styles]\n\"status.ok\" = 12345\n").unwrap();
        let err =
            prepare(&Cli::parse_from(["warroom", "--demo"]), &paths(dir.path()), ColorSupport::Full).err().unwrap();
        assert!(err.path.ends_with("themes/bad.toml"), "{err}");
        assert_eq!(err.line, 2);
    }

    #[test]
    fn unknown_names_point_at_the_line_that_named_them() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("config.toml"), "# mine\ntheme = \"solarised\"\n").unwrap();
        let err =
            prepare(&Cli::parse_from(["warroom", "--demo"]), &paths(dir.path()), ColorSupport::Full).err().unwrap();
        assert!(err.path.ends_with("config.toml"), "{err}");
        assert_eq!((err.line, err.col), (2, 9), "{err}");
        assert!(err.message.contains("no theme named `solarised`"), "{err}");
        std::fs::write(dir.path().join("config.toml"), "keymap = \"emacs\"\n").unwrap();
        let err =
            prepare(&Cli::parse_from(["warroom", "--demo"]), &paths(dir.path()), ColorSupport::Full).err().unwrap();
        assert_eq!(err.line, 1, "{err}");
        assert!(err.message.contains("no keymap named `emacs`"), "{err}");
        let err = prepare(
            &Cli::parse_from(["warroom", "--demo", "--keymap", "emacs"]),
            &paths(dir.path()),
            ColorSupport::Full,
        )
        .err()
        .unwrap();
        assert!(err.to_string().starts_with("--keymap: no keymap named `emacs`"), "{err}");
    }

    #[test]
    fn read_only_flag_locks() {
        let dir = tempfile::tempdir().unwrap();
        let p = prepare(&Cli::parse_from(["warroom", "--demo", "--read-only"]), &paths(dir.path()), ColorSupport::Full)
            .unwrap();
        assert!(p.flags.read_only && p.flags.read_only_locked);
    }
}
