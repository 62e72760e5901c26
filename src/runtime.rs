//! The event loop: terminal input, source updates, action results and
//! timers become [`Msg`]s; all pending messages are applied before one
//! render; effects are executed here and nowhere else.

use std::collections::VecDeque;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use crossterm::event::{Event, KeyEventKind};
use futures_util::{Stream, StreamExt};
use ratatui::Terminal;
use ratatui::backend::Backend;
use tokio::sync::mpsc;

use chrono::{DateTime, Utc};

use crate::actions::{ActionError, ActionOutput, Executed, Router};
use crate::app::{App, Effect, Msg};
use crate::incident::Recorder;
use crate::sources::SourceUpdate;
use crate::sources::clock::Clock;
use crate::sources::cluster::Cluster;

/// Capacity of the source channel: sources wait (backpressure) rather than
/// grow memory without bound when the UI falls behind.
pub const SOURCE_CHANNEL: usize = 1024;
/// How long a confirmed action may run before it is reported as failed.
const ACTION_TIMEOUT: Duration = Duration::from_secs(120);
/// How long actions still running may take to finish when the console
/// quits, before they are recorded as abandoned.
pub const QUIT_GRACE: Duration = Duration::from_secs(3);
/// Slow refresh for coarse age labels when no clock is on screen.
const AGE_REFRESH: Duration = Duration::from_secs(15);

/// Most time spent applying waiting messages before the next frame.
const DRAIN_BUDGET: Duration = Duration::from_millis(8);
/// Terminal events read ahead of the loop; a paste of thousands of keys
/// waits here rather than growing memory.
const INPUT_CHANNEL: usize = 4096;

/// Why the loop ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Quit,
    /// A signal (SIGTERM, SIGHUP from a dropped SSH connection, SIGINT,
    /// SIGQUIT); the number, so the process can exit with 128 + N.
    Signal(i32),
    /// The terminal's input stream ended.
    InputClosed,
}

pub struct Channels {
    pub updates: mpsc::Receiver<SourceUpdate>,
    /// Runs confirmed actions, by domain.
    pub actions: Router,
    /// Keeps the incident record.
    pub recorder: Box<dyn Recorder>,
    /// Where evidence the actions collect is saved.
    pub evidence_dir: PathBuf,
    /// The Kubernetes side: retargeting, namespaces, YAML and logs.
    pub cluster: Option<Arc<dyn Cluster>>,
    /// The AWS side: switching profile or region.
    pub aws: Option<Arc<dyn crate::sources::aws::Account>>,
}

const NO_CLUSTER: &str = "no Kubernetes source in this session";

/// The answer of the cluster, or why there is none.
async fn ask<T>(question: Option<crate::sources::cluster::BoxFuture<Result<T, String>>>) -> Result<T, String> {
    match question {
        Some(q) => q.await,
        None => Err(NO_CLUSTER.into()),
    }
}

/// Saves what a finished action collected and turns its report into the
/// recorded outcome: the message names the file, or says why it could not
/// be saved (then the action counts as failed: evidence nobody can read is
/// no evidence).
pub fn finish_action(
    result: Result<Executed, ActionError>,
    dir: &Path,
    at: DateTime<Utc>,
) -> Result<ActionOutput, ActionError> {
    let Executed { message, evidence, output } = result?;
    let mut saved = Vec::with_capacity(evidence.len());
    for ev in &evidence {
        match crate::evidence::save(dir, at, ev) {
            Ok(s) => saved.push(s),
            Err(e) => {
                return Err(ActionError::EvidenceNotSaved { message, dir: dir.to_path_buf(), error: e.to_string() });
            }
        }
    }
    let message = match saved.as_slice() {
        [] => message,
        [one] => format!("{message}; saved to {} (sha256 {})", one.path.display(), one.sha256),
        many => format!("{message}; {} files saved in {}", many.len(), dir.display()),
    };
    Ok(ActionOutput { message, evidence: saved, output })
}

/// Converts a terminal event into a message; `None` for events the app
/// ignores (key releases, mouse, focus).
pub fn to_msg(ev: Event) -> Option<Msg> {
    match ev {
        Event::Key(k) if k.kind != KeyEventKind::Release => Some(Msg::Key(k)),
        Event::Resize(w, h) => Some(Msg::Resize(w, h)),
        Event::Paste(s) => Some(Msg::Paste(s)),
        _ => None,
    }
}

/// Reads terminal input in a task of its own and forwards it on a channel.
///
/// The loop never polls the input stream itself: a stream polled with a
/// waker that goes nowhere (as `now_or_never` does) may keep that waker and
/// never wake the loop for the next key. Here the stream is only ever
/// awaited, so every key wakes the loop the moment it arrives, and the
/// loop drains the channel with `try_recv` before each render.
pub fn spawn_input<S>(mut events: S) -> mpsc::Receiver<io::Result<Event>>
where
    S: Stream<Item = io::Result<Event>> + Unpin + Send + 'static,
{
    let (tx, rx) = mpsc::channel(INPUT_CHANNEL);
    tokio::spawn(async move {
        while let Some(ev) = events.next().await {
            let failed = ev.is_err();
            if tx.send(ev).await.is_err() || failed {
                break;
            }
        }
    });
    rx
}

/// Runs until quit, a signal, or the end of input. `shutdown` resolves to
/// the number of a signal that ends the program.
pub async fn run<B, S>(
    terminal: &mut Terminal<B>,
    app: &mut App,
    clock: Arc<dyn Clock>,
    mut channels: Channels,
    events: S,
    mut shutdown: impl std::future::Future<Output = i32> + Unpin,
) -> io::Result<Exit>
where
    B: Backend,
    B::Error: Into<io::Error>,
    S: Stream<Item = io::Result<Event>> + Unpin + Send + 'static,
{
    let mut input = spawn_input(events);
    // The log stream the viewer shows, if any.
    let mut logs = None;
    // Messages the loop's own effects produce (action results, files read).
    let (done_tx, mut done_rx) = mpsc::channel::<Msg>(64);
    let mut second = tokio::time::interval(Duration::from_secs(1));
    second.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut slow = tokio::time::interval(AGE_REFRESH);
    slow.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    // The first frame is drawn whatever the dirty flag says.
    let mut first = true;
    // Source updates since freed memory was last handed back.
    let mut churn = 0usize;
    loop {
        if app.take_repaint() {
            // After a resize the terminal's own idea of the screen may differ
            // from ratatui's last buffer (a quick shrink and regrow truncates
            // lines); clearing makes the next draw write every cell.
            terminal.clear().map_err(Into::into)?;
        }
        if app.take_dirty() || std::mem::take(&mut first) {
            app.settle();
            terminal.draw(|f| crate::ui::draw(app, f)).map_err(Into::into)?;
        }
        let clock_ticks = app.clock_on_screen();
        let msg = tokio::select! {
            ev = input.recv() => match ev {
                Some(Ok(ev)) => to_msg(ev),
                Some(Err(e)) => return Err(e),
                None => {
                    // The terminal went away (a dropped SSH link): nobody can
                    // see a notice, but running actions still get their grace
                    // period and their outcome recorded.
                    let mut work = Work { app, clock: &clock, channels: &mut channels, done: &done_tx, logs: &mut logs };
                    work.wind_down(&mut done_rx, "the terminal closed before it finished").await;
                    return Ok(Exit::InputClosed);
                }
            },
            Some(u) = channels.updates.recv() => {
                churn += 1;
                Some(Msg::Source(u))
            }
            Some(m) = done_rx.recv() => Some(m),
            _ = second.tick(), if clock_ticks => Some(Msg::Tick(clock.now())),
            _ = slow.tick() => {
                if std::mem::take(&mut churn) > 0 {
                    release_freed_memory();
                }
                Some(Msg::Tick(clock.now()))
            }
            sig = &mut shutdown => {
                show_wind_down(terminal, app)?;
                let mut work = Work { app, clock: &clock, channels: &mut channels, done: &done_tx, logs: &mut logs };
                work.wind_down(&mut done_rx, "the console was ended by a signal before it finished").await;
                return Ok(Exit::Signal(sig));
            }
        };
        app.set_now(clock.now());
        let began = std::time::Instant::now();
        let mut keyed = matches!(msg, Some(Msg::Key(_)));
        let mut effects = msg.map(|m| app.update(m)).unwrap_or_default();
        // Drain what is already waiting so a burst costs one render. Input
        // is read first; after a key only more input is (keys typed or
        // pasted together make one frame), and DRAIN_BUDGET of work ends
        // the burst: a list arriving page after page never holds up the
        // frame that shows a key's effect.
        while began.elapsed() < DRAIN_BUDGET {
            let next = if let Ok(ev) = input.try_recv() {
                match ev {
                    Ok(ev) => to_msg(ev),
                    Err(e) => return Err(e),
                }
            } else if keyed {
                break;
            } else if let Ok(u) = channels.updates.try_recv() {
                churn += 1;
                Some(Msg::Source(u))
            } else if let Ok(m) = done_rx.try_recv() {
                Some(m)
            } else {
                break;
            };
            if let Some(m) = next {
                keyed |= matches!(m, Msg::Key(_));
                effects.extend(app.update(m));
            }
        }
        let mut work = Work { app, clock: &clock, channels: &mut channels, done: &done_tx, logs: &mut logs };
        if work.perform(effects) {
            show_wind_down(terminal, work.app)?;
            work.wind_down(&mut done_rx, "the console quit before it finished").await;
            return Ok(Exit::Quit);
        }
    }
}

/// Hands the heap pages freed since the last call back to the system.
/// glibc keeps them otherwise: the pages a 10,000-pod list was parsed in,
/// or an AWS answer, stay resident for good (4–6 MiB at 10,000 pods).
/// Called at most every [`AGE_REFRESH`], and only after updates came.
fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim takes no pointers; it only walks the
    // allocator's own free lists, under the allocator's locks.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Says why quitting waits, if it does.
fn show_wind_down<B>(terminal: &mut Terminal<B>, app: &mut App) -> io::Result<()>
where
    B: Backend,
    B::Error: Into<io::Error>,
{
    let running = app.record.in_flight().count();
    if running > 0 {
        let s = if running == 1 { "" } else { "s" };
        app.notice =
            Some(format!("Quitting: waiting up to {} s for {running} running action{s}…", QUIT_GRACE.as_secs()));
        app.settle();
        terminal.draw(|f| crate::ui::draw(app, f)).map_err(Into::into)?;
    }
    Ok(())
}

/// Performs effects for the loop: the app, the clock, the recorder and
/// executors, and where finished work reports back.
struct Work<'a> {
    app: &'a mut App,
    clock: &'a Arc<dyn Clock>,
    channels: &'a mut Channels,
    done: &'a mpsc::Sender<Msg>,
    logs: &'a mut Option<tokio::task::AbortHandle>,
}

impl Work<'_> {
    /// Performs `effects` and everything they lead to (a recorded
    /// confirmation leads to its execution); returns whether one of them
    /// was to quit. Every effect is performed, those after a quit too.
    fn perform(&mut self, effects: Vec<Effect>) -> bool {
        let mut queue: VecDeque<Effect> = effects.into();
        let mut quit = false;
        while let Some(effect) = queue.pop_front() {
            match effect {
                Effect::Quit => quit = true,
                Effect::Record(event) => {
                    let (aws, kube) = self.app.identity();
                    self.channels.recorder.identify(aws, kube);
                    let msg = Msg::record(self.channels.recorder.as_mut(), self.clock.now(), event);
                    queue.extend(self.app.update(msg));
                }
                Effect::Execute { id, action } => self.execute(id, action),
                Effect::LoadEvidence(path) => self.load_evidence(path),
                Effect::Retarget(target) => match &self.channels.cluster {
                    Some(c) => c.retarget(target),
                    None => tracing::warn!(?target, "no Kubernetes source to retarget"),
                },
                Effect::AwsRetarget(target) => match &self.channels.aws {
                    Some(a) => a.retarget(target),
                    None => tracing::warn!(?target, "no AWS source to retarget"),
                },
                Effect::TrailWindow(window) => {
                    // The demo keeps its events; the panel's window is enough.
                    if let Some(a) = &self.channels.aws {
                        a.trail_window(window);
                    }
                }
                Effect::LoadHistory(of) => {
                    let asking = self.channels.aws.as_ref().map(|a| a.history(of.clone()));
                    self.answer(async move {
                        let entries = match asking {
                            Some(q) => q.await,
                            None => Err("no AWS source in this session".into()),
                        };
                        Msg::History { of, entries }
                    });
                }
                Effect::ListNamespaces => {
                    let listing = self.channels.cluster.as_ref().map(|c| c.namespaces());
                    self.answer(async move { Msg::Namespaces(ask(listing).await) });
                }
                Effect::LoadManifest(object) => {
                    let reading = self.channels.cluster.as_ref().map(|c| c.manifest(object.clone()));
                    self.answer(async move { Msg::ManifestLoaded { object, text: ask(reading).await } });
                }
                Effect::StreamLogs { stream, target } => self.stream_logs(stream, target),
                Effect::StopLogs => {
                    if let Some(task) = self.logs.take() {
                        task.abort();
                    }
                }
            }
        }
        quit
    }

    fn execute(&self, id: u64, action: crate::actions::Action) {
        tracing::info!(id, action = ?action.kind, "executing confirmed action");
        let execution = self.channels.actions.execute(action);
        let tx = self.done.clone();
        let dir = self.channels.evidence_dir.clone();
        let clock = self.clock.clone();
        tokio::spawn(async move {
            let result = match tokio::time::timeout(ACTION_TIMEOUT, execution).await {
                Ok(r) => r,
                Err(_) => Err(ActionError::TimedOut { secs: ACTION_TIMEOUT.as_secs() }),
            };
            let at = clock.now();
            let saving = dir.clone();
            let result =
                tokio::task::spawn_blocking(move || finish_action(result, &saving, at)).await.unwrap_or_else(|e| {
                    Err(ActionError::EvidenceNotSaved {
                        message: "the action finished".into(),
                        dir,
                        error: e.to_string(),
                    })
                });
            tracing::info!(id, ?result, "action finished");
            let _ = tx.send(Msg::ActionDone { id, result }).await;
        });
    }

    /// Runs `work` in a task of its own and hands its message to the loop.
    fn answer(&self, work: impl std::future::Future<Output = Msg> + Send + 'static) {
        let tx = self.done.clone();
        tokio::spawn(async move {
            let _ = tx.send(work.await).await;
        });
    }

    /// Streams a log into the viewer in batches of the lines that are
    /// ready, replacing the stream before.
    fn stream_logs(&mut self, stream: u64, target: crate::sources::cluster::LogTarget) {
        if let Some(task) = self.logs.take() {
            task.abort();
        }
        let lines = self.channels.cluster.as_ref().map(|c| c.logs(target));
        let tx = self.done.clone();
        let task = tokio::spawn(async move {
            let Some(lines) = lines else {
                let _ = tx.send(Msg::LogEnded { stream, error: Some(NO_CLUSTER.into()) }).await;
                return;
            };
            let mut batches = lines.ready_chunks(256);
            while let Some(batch) = batches.next().await {
                let mut out = Vec::new();
                let mut error = None;
                for item in batch {
                    match item {
                        Ok(lines) => out.extend(lines),
                        Err(e) => {
                            error = Some(e);
                            break;
                        }
                    }
                }
                if !out.is_empty() && tx.send(Msg::LogLines { stream, lines: out }).await.is_err() {
                    return;
                }
                if error.is_some() {
                    let _ = tx.send(Msg::LogEnded { stream, error }).await;
                    return;
                }
            }
            let _ = tx.send(Msg::LogEnded { stream, error: None }).await;
        });
        *self.logs = Some(task.abort_handle());
    }

    fn load_evidence(&self, path: PathBuf) {
        let tx = self.done.clone();
        tokio::spawn(async move {
            let read = path.clone();
            let text = tokio::task::spawn_blocking(move || crate::evidence::read(&read, crate::evidence::VIEW_LIMIT))
                .await
                .map_err(|e| e.to_string())
                .and_then(|r| r.map_err(|e| e.to_string()));
            let _ = tx.send(Msg::EvidenceLoaded { path, text }).await;
        });
    }

    /// Before the loop ends: actions still running get [`QUIT_GRACE`] to
    /// finish (their outcomes are recorded as usual); those that do not
    /// are recorded as abandoned, with `reason`.
    async fn wind_down(&mut self, done: &mut mpsc::Receiver<Msg>, reason: &str) {
        let deadline = tokio::time::Instant::now() + QUIT_GRACE;
        while self.app.record.in_flight().next().is_some() {
            match tokio::time::timeout_at(deadline, done.recv()).await {
                Ok(Some(msg)) => {
                    let effects = self.app.update(msg);
                    self.perform(effects);
                }
                Ok(None) | Err(_) => break,
            }
        }
        let abandon = self.app.abandon_in_flight(reason);
        self.perform(abandon);
    }
}
