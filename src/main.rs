use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;
use crossterm::event::EventStream;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;

use warroom::actions::{Domain, Router};
use warroom::app::{App, AppInit};
use warroom::cli::{Cli, Format, Sub};
use warroom::config::paths::Paths;
use warroom::config::theme::ColorSupport;
use warroom::incident::Actor;
use warroom::incident::journal::{self, JournalRecorder, Resumed};
use warroom::runtime::{self, Channels, Exit};
use warroom::sources::aws as aws_source;
use warroom::sources::clock::{Clock, ScaledClock, SystemClock};
use warroom::sources::cluster::Cluster;
use warroom::sources::kube as kube_source;
use warroom::sources::{Environment, demo};
use warroom::startup;
use warroom::terminal::TerminalGuard;

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(Sub::Import { runbook, output }) = &cli.command {
        return import(runbook, output.as_deref());
    }
    let paths = Paths::discover();
    if let Some(Sub::Incidents) = &cli.command {
        return incidents(&paths.journal_dir(cli.demo));
    }
    let var = |k: &str| std::env::var(k).ok();
    let colors = ColorSupport::detect(var("NO_COLOR").as_deref(), var("COLORTERM").as_deref(), var("TERM").as_deref());
    let prepared = match startup::prepare(&cli, &paths, colors) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("warroom: {e}");
            return ExitCode::from(2);
        }
    };
    if let Some(Sub::Export { id, format, output }) = &cli.command {
        return export(&paths.journal_dir(cli.demo), id, *format, output.as_deref(), &prepared.playbooks);
    }
    // Live mode: an unknown context is an error before the terminal is
    // touched; a missing or broken kubeconfig is not (the panels say why).
    let target = if cli.demo {
        None
    } else {
        let kubeconfig = kube::config::Kubeconfig::read().ok();
        let settings = &prepared.settings.kubernetes;
        let context = cli.context.as_deref().or(settings.context.as_deref());
        match kube_source::resolve(
            context,
            &cli.namespaces,
            cli.all_namespaces,
            settings.namespace.as_deref(),
            kubeconfig.as_ref(),
        ) {
            Ok(t) => Some((t, kubeconfig)),
            Err(e) => {
                eprintln!("warroom: {e}");
                return ExitCode::from(2);
            }
        }
    };
    if let Some(Sub::Check { playbook, .. }) = &cli.command
        && !prepared.playbooks.iter().any(|p| p.id == *playbook)
    {
        let known: Vec<&str> = prepared.playbooks.iter().map(|p| p.id.as_str()).collect();
        eprintln!("warroom: no playbook `{playbook}`; there are: {}", known.join(", "));
        return ExitCode::from(2);
    }
    if let Some(Sub::Check { playbook, format: Some(format), timeout, run_commands }) = cli.command.clone() {
        let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else {
            eprintln!("warroom: cannot start runtime");
            return ExitCode::from(2);
        };
        let _ = init_logging(&paths);
        let check = Check { playbook, format, timeout: std::time::Duration::from_secs(timeout), run_commands };
        return ExitCode::from(rt.block_on(check_headless(&cli, prepared, target, check)));
    }
    // The incident to continue is opened (and locked) before the terminal
    // is touched: a problem with it is said plainly.
    let journal_dir = paths.journal_dir(cli.demo);
    let resumed = match &cli.resume {
        Some(id) => match journal::resume(&journal_dir, id, cli.read_only) {
            Ok(r) => Some(r),
            Err(e) => {
                eprintln!("warroom: {e}");
                return ExitCode::from(2);
            }
        },
        None => None,
    };
    if let Err(e) = warroom::terminal::check_usable(var("TERM").as_deref()) {
        eprintln!("warroom: {e}");
        return ExitCode::from(2);
    }
    if let Err(e) = init_logging(&paths) {
        eprintln!("warroom: cannot open log file {}: {e}", paths.log_file().display());
        return ExitCode::from(2);
    }
    let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("warroom: cannot start runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let files = Files { evidence: paths.evidence_dir(), journals: journal_dir, resumed };
    let outcome = match warroom::terminal::catch_panic(|| rt.block_on(run(cli, prepared, target, files))) {
        Ok(outcome) => outcome,
        Err(what) => {
            eprintln!("warroom: internal error: {what}\nDetails are in {}", paths.log_file().display());
            return ExitCode::from(101);
        }
    };
    match outcome {
        Ok(exit) => {
            tracing::info!(?exit, "warroom exited");
            match exit {
                // The shell convention for a death by signal N.
                Exit::Signal(n) => ExitCode::from(u8::try_from(128 + n).unwrap_or(u8::MAX)),
                Exit::Quit | Exit::InputClosed => ExitCode::SUCCESS,
            }
        }
        Err(e) => {
            tracing::error!(%e, "warroom failed");
            eprintln!("warroom: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The Kubernetes target and the kubeconfig, in live mode.
type Live = Option<(kube_source::Target, Option<kube::config::Kubeconfig>)>;

/// Where the session writes: evidence files and journals, and the
/// incident it continues.
struct Files {
    evidence: std::path::PathBuf,
    journals: std::path::PathBuf,
    resumed: Option<Resumed>,
}

async fn run(cli: Cli, prepared: startup::Prepared, live: Live, files: Files) -> std::io::Result<Exit> {
    let (tx, rx) = mpsc::channel(runtime::SOURCE_CHANNEL);
    let (clock, env, actions, cluster, account): (Arc<dyn Clock>, _, _, _, _) = match live {
        None => {
            // A faster demo runs ahead of the wall clock: a resumed
            // incident's demo time goes on from its last entry.
            let last = files.resumed.as_ref().and_then(|r| r.last_at);
            let start = last.map_or_else(chrono::Utc::now, |l| l.max(chrono::Utc::now()));
            let clock: Arc<dyn Clock> = Arc::new(ScaledClock::new(start, cli.demo_speed));
            // The demo world answers for both domains and is its own cluster.
            let executor = Arc::new(demo::spawn_at(cli.demo_seed, cli.demo_at, clock.clone(), tx));
            let actions = Router::new()
                .with(Domain::Kubernetes, executor.clone())
                .with(Domain::Aws, executor.clone())
                .with(Domain::Local, executor.clone());
            let cluster: Arc<dyn Cluster> = executor;
            (clock, demo::environment(), actions, cluster, None)
        }
        Some((target, kubeconfig)) => {
            let clock: Arc<dyn Clock> = Arc::new(SystemClock);
            let aws = aws_target(&cli, &prepared.settings.aws);
            let profiles = aws_source::profiles::load();
            let env = Environment {
                aws_profile: aws_source::profile_label(&aws),
                aws_region: aws_source::region_label(&aws, &profiles),
                aws_target: aws.clone(),
                aws_profiles: profiles,
                ..live_environment(&target, kubeconfig.as_ref())
            };
            let refresh = &prepared.settings.refresh;
            let intervals =
                aws_source::Intervals { alarms: refresh.alarms, rds: refresh.rds, trail: refresh.cloudtrail };
            let aws_executor = aws_source::AwsExecutor::new(aws.clone());
            let executor = kube_source::KubeExecutor::new(target.clone(), clock.clone());
            let actions = Router::new()
                .with(Domain::Kubernetes, Arc::new(executor.clone()))
                .with(Domain::Aws, Arc::new(aws_executor.clone()))
                .with(Domain::Local, Arc::new(warroom::actions::local::LocalExecutor));
            let account: Arc<dyn aws_source::Account> = Arc::new(aws_source::LiveAccount::start(
                aws,
                aws_executor,
                (intervals, prepared.settings.trail_window),
                clock.clone(),
                tx.clone(),
                Some(side_runtime("aws")?),
            ));
            let cluster: Arc<dyn Cluster> = Arc::new(kube_source::LiveCluster::start_on(
                target,
                executor,
                clock.clone(),
                tx,
                Some(side_runtime("kube")?),
            ));
            (clock, env, actions, cluster, Some(account))
        }
    };
    let shutdown = Box::pin(shutdown_signal()?);
    let mut guard = TerminalGuard::enter()?;
    let size = guard.terminal.size()?;
    let mut app = App::new(AppInit {
        env,
        flags: prepared.flags,
        keymap: prepared.keymap,
        theme: prepared.theme,
        themes: prepared.themes,
        now: clock.now(),
        size: (size.width, size.height),
        trail_window: prepared.settings.trail_window,
        playbooks: prepared.playbooks,
    });
    if let Some(Sub::Check { playbook, format: None, .. }) = &cli.command {
        app.walk_routine(playbook);
    }
    let recorder: Box<dyn warroom::incident::Recorder> = match files.resumed {
        Some(Resumed { journal: Some(journal), state, entries, repaired, .. }) => {
            app.resume(state, entries, repaired.map(|r| r.to_string()));
            Box::new(JournalRecorder::new(&files.journals, Actor::local(), clock.now()).resuming(journal))
        }
        // Another console holds it: this one shows it as it stood.
        Some(Resumed { journal: None, state, entries, .. }) => {
            let id = state.current().map(|i| i.id.clone()).unwrap_or_default();
            app.resume(state, entries, None);
            app.viewing = true;
            app.notice = Some(format!("Viewing {id}: another warroom holds its journal; nothing here is recorded"));
            Box::new(journal::Viewing { id })
        }
        None => Box::new(JournalRecorder::new(&files.journals, Actor::local(), clock.now())),
    };
    let channels =
        Channels { updates: rx, actions, recorder, evidence_dir: files.evidence, cluster: Some(cluster), aws: account };
    let exit = runtime::run(&mut guard.terminal, &mut app, clock, channels, EventStream::new(), shutdown).await;
    drop(guard);
    exit
}

/// Prints `text`, or writes it to `output` (which must not exist yet).
fn write_out(text: &str, output: Option<&std::path::Path>, done: &str) -> ExitCode {
    let Some(path) = output else {
        print!("{text}");
        return ExitCode::SUCCESS;
    };
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .and_then(|mut f| std::io::Write::write_all(&mut f, text.as_bytes()));
    match written {
        Ok(()) => {
            eprintln!("warroom: wrote {}{done}", path.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("warroom: {}: {e}", path.display());
            ExitCode::from(2)
        }
    }
}

/// `warroom export ID`: the postmortem draft from the incident's journal
/// (read without locking it: a running console may hold it).
fn export(
    data_dir: &std::path::Path,
    id: &str,
    format: Format,
    output: Option<&std::path::Path>,
    playbooks: &[warroom::playbook::Playbook],
) -> ExitCode {
    use warroom::incident::postmortem;
    if let Err(e) = journal::is_incident_id(id) {
        eprintln!("warroom: {e}");
        return ExitCode::from(2);
    }
    let path = JournalRecorder::incident_path(data_dir, id);
    if !path.exists() {
        eprintln!(
            "warroom: no incident {id} in {}; `warroom incidents` lists them",
            data_dir.join("incidents").display()
        );
        return ExitCode::from(2);
    }
    let contents = match journal::read(&path) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("warroom: {e}");
            return ExitCode::from(2);
        }
    };
    if let Some(torn) = &contents.torn {
        eprintln!("warroom: {}: {torn} (left out of the draft)", path.display());
    }
    let draft = match postmortem::draft(&contents.entries, playbooks) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("warroom: {}: {e}", path.display());
            return ExitCode::from(2);
        }
    };
    let text = match format {
        Format::Md => postmortem::markdown(&draft),
        Format::Json => match serde_json::to_string_pretty(&draft) {
            Ok(j) => j + "\n",
            Err(e) => {
                eprintln!("warroom: cannot encode the draft: {e}");
                return ExitCode::from(2);
            }
        },
    };
    write_out(&text, output, ": fill in its summary")
}

/// `warroom import RUNBOOK.md [-o FILE]`: the playbook TOML, printed or
/// written to a new file.
fn import(runbook: &std::path::Path, output: Option<&std::path::Path>) -> ExitCode {
    let markdown = match std::fs::read_to_string(runbook) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("warroom: {}: cannot read: {e}", runbook.display());
            return ExitCode::from(2);
        }
    };
    let stem = runbook.file_stem().map_or_else(|| "runbook".into(), |s| s.to_string_lossy().into_owned());
    let text = warroom::playbook::import::import(&markdown, &stem);
    write_out(&text, output, ": review it, then copy it to the playbooks/ config directory")
}

/// What `warroom check PLAYBOOK --format …` was asked.
struct Check {
    playbook: String,
    format: Format,
    timeout: std::time::Duration,
    run_commands: bool,
}

/// Runs a playbook's checks headless and prints the report; the exit
/// status (0 all pass, 1 a failure, 2 unknown or error).
async fn check_headless(cli: &Cli, prepared: startup::Prepared, live: Live, check: Check) -> u8 {
    use warroom::headless;
    let Some(playbook) = prepared.playbooks.iter().find(|p| p.id == check.playbook) else { return 2 };
    let needed = headless::needed_feeds(playbook);
    let mut state = warroom::state::LiveState::default();
    let (clock, unsynced): (Arc<dyn Clock>, Vec<String>) = match live {
        None => {
            // The demo world as it is `--demo-at` seconds into its scenario.
            let clock: Arc<dyn Clock> = Arc::new(SystemClock);
            let now = clock.now();
            let start = now - chrono::TimeDelta::seconds(i64::from(cli.demo_at));
            let mut world = demo::DemoWorld::new(cli.demo_seed, start);
            for u in world.advance(now).into_iter().chain(world.snapshot()) {
                state.apply(u);
            }
            (clock, Vec::new())
        }
        Some((target, _)) => {
            let clock: Arc<dyn Clock> = Arc::new(SystemClock);
            let (tx, mut rx) = mpsc::channel(runtime::SOURCE_CHANNEL);
            let aws = aws_target(cli, &prepared.settings.aws);
            let refresh = &prepared.settings.refresh;
            let intervals =
                aws_source::Intervals { alarms: refresh.alarms, rds: refresh.rds, trail: refresh.cloudtrail };
            let _account = aws_source::LiveAccount::start(
                aws.clone(),
                aws_source::AwsExecutor::new(aws),
                (intervals, prepared.settings.trail_window),
                clock.clone(),
                tx.clone(),
                None,
            );
            let executor = kube_source::KubeExecutor::new(target.clone(), clock.clone());
            let _cluster = kube_source::LiveCluster::start(target, executor, clock.clone(), tx);
            let now = || clock.now();
            let unsynced = headless::wait_for_sync(&mut state, &mut rx, &needed, check.timeout, now).await;
            (clock.clone(), unsynced)
        }
    };
    let report = headless::report(playbook, &state, clock.now(), unsynced, check.run_commands).await;
    print!(
        "{}",
        match check.format {
            Format::Md => report.markdown(),
            Format::Json => report.json(),
        }
    );
    report.exit_code()
}

/// A runtime on a thread of its own, for a source whose work (loading
/// credentials, TLS setup, parsing large answers) should not share the
/// thread that draws the screen; it runs until the process ends.
fn side_runtime(name: &str) -> std::io::Result<tokio::runtime::Handle> {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let handle = rt.handle().clone();
    std::thread::Builder::new().name(name.into()).spawn(move || rt.block_on(std::future::pending::<()>()))?;
    Ok(handle)
}

/// Where live mode points: the context (named, current, or in-cluster),
/// its server and the contexts to switch to.
fn live_environment(target: &kube_source::Target, kubeconfig: Option<&kube::config::Kubeconfig>) -> Environment {
    let contexts = kubeconfig.map(kube_source::contexts).unwrap_or_default();
    let in_pod = std::env::var("KUBERNETES_SERVICE_HOST").ok();
    let context = target.context.clone().or_else(|| kubeconfig.and_then(|k| k.current_context.clone()));
    let cluster = match &context {
        Some(name) => contexts.iter().find(|c| c.name == *name).map(|c| c.cluster.clone()).unwrap_or_default(),
        None => in_pod.clone().unwrap_or_default(),
    };
    let kube_context = context.unwrap_or_else(|| if in_pod.is_some() { "in-cluster" } else { "no kubeconfig" }.into());
    Environment {
        kube_context,
        kube_cluster: cluster,
        kube_target: target.clone(),
        kube_contexts: contexts,
        namespace: target.namespaces_label(),
        ..Environment::default()
    }
}

/// The AWS profile and region: flags, then `config.toml`; the SDK's chain
/// fills in the rest.
fn aws_target(cli: &Cli, defaults: &warroom::config::settings::AwsDefaults) -> aws_source::AwsTarget {
    aws_source::AwsTarget {
        profile: cli.profile.clone().or_else(|| defaults.profile.clone()),
        region: cli.region.clone().or_else(|| defaults.region.clone()),
    }
}

/// Resolves to the number of the first signal that should end the
/// console: SIGTERM, SIGHUP (a dropped SSH connection), SIGINT and SIGQUIT
/// sent from outside (in raw mode `C-c` is a key, not a signal).
fn shutdown_signal() -> std::io::Result<impl std::future::Future<Output = i32>> {
    let kinds = [
        (SignalKind::terminate(), "SIGTERM"),
        (SignalKind::hangup(), "SIGHUP: terminal hung up"),
        (SignalKind::interrupt(), "SIGINT"),
        (SignalKind::quit(), "SIGQUIT"),
    ];
    let mut streams = Vec::new();
    for (kind, name) in kinds {
        streams.push((signal(kind)?, kind.as_raw_value(), name));
    }
    Ok(async move {
        let waits = streams.iter_mut().map(|(s, n, name)| {
            Box::pin(async move {
                s.recv().await;
                (*n, *name)
            })
        });
        let ((n, name), _, _) = futures_util::future::select_all(waits).await;
        tracing::info!("{name}");
        n
    })
}

fn init_logging(paths: &Paths) -> std::io::Result<()> {
    std::fs::create_dir_all(&paths.state)?;
    let file = std::fs::OpenOptions::new().create(true).append(true).open(paths.log_file())?;
    let filter = tracing_subscriber::EnvFilter::try_from_env("WARROOM_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt().with_writer(std::sync::Mutex::new(file)).with_ansi(false).with_env_filter(filter).init();
    Ok(())
}

/// `warroom incidents`: the journaled incidents, newest first.
fn incidents(data_dir: &std::path::Path) -> ExitCode {
    let all = match journal::list(data_dir) {
        Ok(all) => all,
        Err(e) => {
            eprintln!("warroom: {e}");
            return ExitCode::from(2);
        }
    };
    if all.is_empty() {
        println!("No incidents in {}", data_dir.join("incidents").display());
        return ExitCode::SUCCESS;
    }
    print!("{}", warroom::incident::journal::table(&all, chrono::Utc::now()));
    ExitCode::SUCCESS
}
