//! Command-line interface.

use clap::Parser;

/// A terminal incident console: live pods, RDS, alarms and CloudTrail
/// beside a severity checklist, with confirmed remediation actions.
#[derive(Debug, Clone, Parser)]
#[command(name = "warroom", version, about, long_about = None)]
pub struct Cli {
    /// Run on the built-in demo environment (no cloud account needed).
    #[arg(long, global = true)]
    pub demo: bool,

    /// Speed of the demo scenario (2 = twice as fast).
    #[arg(long, value_name = "N", default_value_t = 1.0, value_parser = parse_speed, requires = "demo", global = true)]
    pub demo_speed: f64,

    /// Seed of the demo scenario (the same seed plays the same incident).
    #[arg(long, value_name = "N", default_value_t = 1, requires = "demo", global = true)]
    pub demo_seed: u64,

    /// Theme name: default, light, ansi16, mono, or a file in <config>/themes.
    #[arg(long, value_name = "NAME", global = true)]
    pub theme: Option<String>,

    /// Keymap name: default, vim, or a file in <config>/keymaps.
    #[arg(long, value_name = "NAME", global = true)]
    pub keymap: Option<String>,

    /// Disable every mutating action (dialogs still preview them).
    #[arg(long, global = true)]
    pub read_only: bool,

    /// Preview and record actions without calling any API.
    #[arg(long, global = true)]
    pub dry_run: bool,

    /// Kubernetes context from the kubeconfig (default: config.toml, then
    /// the kubeconfig's current context).
    #[arg(long, value_name = "NAME", conflicts_with = "demo", global = true)]
    pub context: Option<String>,

    /// Namespace to watch; repeat for several (default: config.toml, then
    /// the context's namespace, then all).
    #[arg(short = 'n', long = "namespace", value_name = "NS", conflicts_with = "demo", global = true)]
    pub namespaces: Vec<String>,

    /// Watch every namespace.
    #[arg(short = 'A', long, conflicts_with_all = ["namespaces", "demo"], global = true)]
    pub all_namespaces: bool,

    /// AWS profile from the shared config (default: config.toml, then
    /// AWS_PROFILE, then the default credential chain).
    #[arg(long, value_name = "NAME", conflicts_with = "demo", global = true)]
    pub profile: Option<String>,

    /// AWS region (default: config.toml, then AWS_REGION, then the
    /// profile's).
    #[arg(long, value_name = "REGION", conflicts_with = "demo", global = true)]
    pub region: Option<String>,

    /// Start the demo this many seconds into its scenario (the incident
    /// begins about 20 s in).
    #[arg(long, value_name = "SECS", default_value_t = 0, requires = "demo", global = true)]
    pub demo_at: u32,

    /// Reopen the most recent unresolved incident (or incident ID) from
    /// its journal, exactly where it was.
    #[arg(long, value_name = "ID", num_args = 0..=1, default_missing_value = "")]
    pub resume: Option<String>,

    #[command(subcommand)]
    pub command: Option<Sub>,
}

#[derive(Debug, Clone, clap::Subcommand)]
pub enum Sub {
    /// Walk a playbook without an incident (`daily`); with --format, run
    /// its checks headless and print a report: exit 1 when one fails,
    /// else 2 when one cannot tell (a feed never synced) or on error,
    /// else 0.
    Check {
        /// The playbook's id: daily, p1, crashloop, …
        playbook: String,
        /// Print a report instead of opening the console.
        #[arg(long, value_enum)]
        format: Option<Format>,
        /// Seconds to wait for the feeds the checks need.
        #[arg(long, value_name = "SECS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=3600))]
        timeout: u64,
        /// Also run the playbook's command and script steps whose risk is
        /// read.
        #[arg(long, requires = "format")]
        run_commands: bool,
    },
    /// List the incidents journaled on this machine, newest first: status,
    /// severity, start, duration and title (with --demo, the demo's).
    Incidents,
    /// Write incident ID's postmortem draft from its journal: times,
    /// severity history, timeline, actions, checklist, notes, evidence.
    Export {
        /// The incident (`warroom incidents` lists them).
        id: String,
        /// Markdown (the default) or JSON.
        #[arg(long, value_enum, default_value_t = Format::Md)]
        format: Format,
        /// Write it here (never over an existing file) instead of printing
        /// it.
        #[arg(short, long, value_name = "FILE")]
        output: Option<std::path::PathBuf>,
    },
    /// Turn a Markdown runbook into a playbook file to review: headings
    /// become phases, `- [ ]` items steps, shell blocks scripts.
    Import {
        /// The runbook (Markdown).
        runbook: std::path::PathBuf,
        /// Write the playbook here (never over an existing file) instead
        /// of printing it.
        #[arg(short, long, value_name = "FILE")]
        output: Option<std::path::PathBuf>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Md,
    Json,
}

fn parse_speed(s: &str) -> Result<f64, String> {
    let v: f64 = s.parse().map_err(|_| format!("`{s}` is not a number"))?;
    if v.is_finite() && (0.1..=1000.0).contains(&v) { Ok(v) } else { Err("must be between 0.1 and 1000".into()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_flags() {
        let c =
            Cli::try_parse_from(["warroom", "--demo", "--demo-speed", "5", "--read-only", "--theme", "mono"]).unwrap();
        assert!(c.demo && c.read_only && !c.dry_run);
        assert_eq!(c.demo_speed, 5.0);
        assert_eq!(c.theme.as_deref(), Some("mono"));
    }

    #[test]
    fn namespaces_repeat_and_exclude_all_namespaces() {
        let c = Cli::try_parse_from(["warroom", "--context", "prod", "-n", "shop", "--namespace", "pay"]).unwrap();
        assert_eq!(c.context.as_deref(), Some("prod"));
        assert_eq!(c.namespaces, ["shop", "pay"]);
        assert!(Cli::try_parse_from(["warroom", "-A", "-n", "shop"]).is_err());
        assert!(Cli::try_parse_from(["warroom", "--demo", "--context", "prod"]).is_err());
    }

    #[test]
    fn every_subcommand_says_what_it_does_in_its_own_words() {
        use clap::CommandFactory;
        let cli = Cli::command();
        let about = |name: &str| {
            let sub = cli.find_subcommand(name).unwrap_or_else(|| panic!("no {name}"));
            sub.get_about().map(ToString::to_string).unwrap_or_default()
        };
        assert!(about("import").starts_with("Turn a Markdown runbook"), "{}", about("import"));
        assert!(about("incidents").starts_with("List the incidents"), "{}", about("incidents"));
        for sub in cli.get_subcommands() {
            assert!(sub.get_about().is_some(), "{} has no help line", sub.get_name());
        }
    }

    #[test]
    fn rejects_bad_speed_and_speed_without_demo() {
        assert!(Cli::try_parse_from(["warroom", "--demo", "--demo-speed", "0"]).is_err());
        assert!(Cli::try_parse_from(["warroom", "--demo-speed", "2"]).is_err());
    }
}
