//! The event loop, headless: a test backend that counts what reaches the
//! terminal, a scripted input stream, a source channel and an executor the
//! test controls, and tokio's paused clock.

// Helpers outside #[test] functions panic on purpose too.
#![allow(clippy::unwrap_used)]

use std::collections::VecDeque;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use chrono::TimeDelta;
use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::{Backend, ClearType, TestBackend, WindowSize};
use ratatui::buffer::Cell;
use ratatui::layout::{Position, Size};
use tokio::sync::mpsc;

use warroom::actions::{Action, ActionKind, Domain, Evidence, Executed, Execution, Executor, Router};
use warroom::fixtures::{demo_app, synthetic_pod};
use warroom::incident::{ActionStatus, IncidentEvent, IncidentState, MemoryRecorder, RecordError, Recorder};
use warroom::runtime::{self, Channels, Exit};
use warroom::sources::clock::ManualClock;
use warroom::state::{Delta, FeedData, SourceUpdate};

/// A test backend that counts frames written and cells changed.
struct Counting {
    inner: TestBackend,
    frames: Arc<Mutex<(usize, usize)>>,
    /// Every frame's text, for tests that must see what a frame showed.
    seen: Option<Arc<Mutex<Vec<String>>>>,
}

impl Backend for Counting {
    type Error = io::Error;
    fn draw<'a, I: Iterator<Item = (u16, u16, &'a Cell)>>(&mut self, content: I) -> io::Result<()> {
        let cells: Vec<_> = content.collect();
        // A frame is what reaches the terminal: a render that changed no
        // cell sends nothing.
        if cells.is_empty() {
            return Ok(());
        }
        let mut f = self.frames.lock().unwrap();
        f.0 += 1;
        f.1 += cells.len();
        drop(f);
        self.inner.draw(cells.into_iter()).map_err(|e| -> io::Error { match e {} })?;
        if let Some(seen) = &self.seen {
            let text: String = self.inner.buffer().content().iter().map(|c| c.symbol()).collect();
            seen.lock().unwrap().push(text);
        }
        Ok(())
    }
    fn hide_cursor(&mut self) -> io::Result<()> {
        self.inner.hide_cursor().map_err(|e| match e {})
    }
    fn show_cursor(&mut self) -> io::Result<()> {
        self.inner.show_cursor().map_err(|e| match e {})
    }
    fn get_cursor_position(&mut self) -> io::Result<Position> {
        self.inner.get_cursor_position().map_err(|e| match e {})
    }
    fn set_cursor_position<P: Into<Position>>(&mut self, p: P) -> io::Result<()> {
        self.inner.set_cursor_position(p).map_err(|e| match e {})
    }
    fn clear(&mut self) -> io::Result<()> {
        self.inner.clear().map_err(|e| match e {})
    }
    fn clear_region(&mut self, t: ClearType) -> io::Result<()> {
        self.inner.clear_region(t).map_err(|e| match e {})
    }
    fn size(&self) -> io::Result<Size> {
        self.inner.size().map_err(|e| match e {})
    }
    fn window_size(&mut self) -> io::Result<WindowSize> {
        self.inner.window_size().map_err(|e| match e {})
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush().map_err(|e| match e {})
    }
}

/// Keeps every action it is asked to run, and says it ran it.
#[derive(Clone, Default)]
struct Witness(Arc<Mutex<Vec<Action>>>);

impl Executor for Witness {
    fn execute(&self, action: Action) -> Execution {
        // Collecting logs hands back text with a terminal escape in it.
        let evidence = match &action.kind {
            ActionKind::CollectLogs { pod, .. } => {
                vec![Evidence { label: format!("shop-{pod}-app"), text: "first line\n\x1b[2Jpanic: boom\n".into() }]
            }
            _ => Vec::new(),
        };
        self.0.lock().unwrap().push(action);
        Box::pin(async { Ok(Executed { message: "done by the witness".into(), evidence, output: None }) })
    }
}

/// A `w`×`h` terminal whose backend counts (frames, cells) written.
fn counting_terminal(w: u16, h: u16) -> (Terminal<Counting>, Arc<Mutex<(usize, usize)>>) {
    let frames = Arc::new(Mutex::new((0, 0)));
    let backend = Counting { inner: TestBackend::new(w, h), frames: frames.clone(), seen: None };
    (Terminal::new(backend).unwrap(), frames)
}

/// The terminal input stream a test drives.
type Input = Pin<Box<dyn futures_util::Stream<Item = io::Result<Event>> + Send>>;

/// Keys a test sends, and the terminal input stream they arrive on.
fn scripted_input() -> (mpsc::UnboundedSender<io::Result<Event>>, Input) {
    let (tx, rx) = mpsc::unbounded_channel::<io::Result<Event>>();
    let events = Box::pin(futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|e| (e, rx)) }));
    (tx, events)
}

/// The loop's channels with `executor` for every domain, an in-memory
/// recorder, saving evidence in `evidence_dir`.
fn channels(
    updates: mpsc::Receiver<SourceUpdate>,
    executor: impl Executor,
    evidence_dir: std::path::PathBuf,
) -> Channels {
    let executor: Arc<dyn Executor> = Arc::new(executor);
    let actions = Router::new().with(Domain::Kubernetes, executor.clone()).with(Domain::Aws, executor);
    Channels { updates, actions, recorder: Box::new(MemoryRecorder::default()), evidence_dir, cluster: None, aws: None }
}

/// An evidence directory for tests that collect nothing.
fn unused_dir() -> std::path::PathBuf {
    std::env::temp_dir().join("warroom-runtime-test-unused")
}

fn key(c: KeyCode) -> io::Result<Event> {
    Ok(Event::Key(KeyEvent::new(c, KeyModifiers::NONE)))
}

#[tokio::test(start_paused = true)]
async fn drains_bursts_stays_quiet_when_idle_and_runs_confirmed_actions() {
    let mut app = demo_app(60, (100, 30), "default");
    let clock = ManualClock::new(app.now);
    let (mut terminal, frames) = counting_terminal(100, 30);
    let (src_tx, src_rx) = mpsc::channel(runtime::SOURCE_CHANNEL);
    let (key_tx, events) = scripted_input();
    let witness = Witness::default();
    let channels = channels(src_rx, witness.clone(), unused_dir());
    let at = app.now;

    let driver = {
        let frames = frames.clone();
        let clock = clock.clone();
        async move {
            // Let the loop draw its first frame.
            tokio::time::sleep(Duration::from_millis(10)).await;
            assert_eq!(frames.lock().unwrap().0, 1, "first frame");

            // A burst of 500 pod updates already waiting: one render.
            for i in 0..500 {
                let u = SourceUpdate::data(at, FeedData::Pods(Delta::Upsert(vec![synthetic_pod(i, 1)])));
                src_tx.send(u).await.unwrap();
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
            let after_burst = frames.lock().unwrap().0;
            // The sender yields to the loop now and then (tokio's co-op
            // budget), so a few batches may be drawn — never one per update.
            assert!(after_burst - 1 <= 5, "a burst of 500 costs a few renders, not 500: {after_burst}");

            // Idle for ten minutes with the clock standing still: no frames.
            tokio::time::sleep(Duration::from_secs(600)).await;
            assert_eq!(frames.lock().unwrap().0, after_burst, "idle console draws nothing");

            // Time passes: an age label changes and the slow tick redraws once.
            clock.advance(TimeDelta::minutes(2));
            tokio::time::sleep(Duration::from_secs(16)).await;
            let after_tick = frames.lock().unwrap().0;
            assert!(after_tick > after_burst, "age labels refresh");

            // Home, action menu, third entry (rollout restart), confirm.
            let (home, menu, down) = (KeyCode::Home, KeyCode::Char('a'), KeyCode::Down);
            for ev in [home, menu, down, down, KeyCode::Enter].map(key) {
                key_tx.send(ev).unwrap();
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
            key_tx.send(key(KeyCode::Char('y'))).unwrap();
            tokio::time::sleep(Duration::from_millis(50)).await;

            // An incident puts a seconds clock on screen: one frame a second.
            key_tx.send(key(KeyCode::Char('P'))).unwrap();
            key_tx.send(key(KeyCode::Char('1'))).unwrap();
            tokio::time::sleep(Duration::from_millis(10)).await;
            let before_clock = frames.lock().unwrap().0;
            for _ in 0..5 {
                clock.advance(TimeDelta::seconds(1));
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            let ticked = frames.lock().unwrap().0 - before_clock;
            assert!((4..=6).contains(&ticked), "response clock redraws once a second: {ticked}");
            // Quitting with an incident running asks first.
            key_tx.send(key(KeyCode::Char('q'))).unwrap();
            key_tx.send(key(KeyCode::Char('y'))).unwrap();
        }
    };

    let shutdown = Box::pin(std::future::pending::<i32>());
    let clock_arc: Arc<dyn warroom::sources::clock::Clock> = Arc::new(clock.clone());
    let (exit, ()) = tokio::join!(runtime::run(&mut terminal, &mut app, clock_arc, channels, events, shutdown), driver);
    assert_eq!(exit.unwrap(), Exit::Quit);

    let ran = witness.0.lock().unwrap().clone();
    assert_eq!(ran.len(), 1);
    assert!(matches!(&ran[0].kind, ActionKind::RolloutRestart { deployment, .. } if deployment == "backend"));
    assert!(
        matches!(&app.results().next().unwrap().status, ActionStatus::Succeeded(o) if o.message == "done by the witness")
    );
    let screen = format!("{:?}", terminal.backend().inner.buffer());
    assert!(screen.contains("done by the witness"), "result shown in the strip");
}

/// Terminal input whose waker behaves like crossterm's `EventStream`: when
/// no event is ready, the waker of the poll that finds it idle is kept and
/// woken once by the next event; polls in between register nothing. A loop
/// that polls it with a no-op waker (`now_or_never`) is never woken again.
#[derive(Clone, Default)]
struct CrosstermLikeInput(Arc<Mutex<InputState>>);

#[derive(Default)]
struct InputState {
    queued: VecDeque<Event>,
    /// The waker kept by the "wake thread", and whether it is armed.
    waker: Option<Waker>,
    armed: bool,
}

impl CrosstermLikeInput {
    fn press(&self, c: KeyCode) {
        let mut s = self.0.lock().unwrap();
        s.queued.push_back(Event::Key(KeyEvent::new(c, KeyModifiers::NONE)));
        if let Some(w) = s.waker.take() {
            s.armed = false;
            w.wake();
        }
    }
}

impl futures_util::Stream for CrosstermLikeInput {
    type Item = io::Result<Event>;
    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let mut s = self.0.lock().unwrap();
        if let Some(ev) = s.queued.pop_front() {
            return Poll::Ready(Some(Ok(ev)));
        }
        if !s.armed {
            // Like crossterm's wake thread: armed once, with this waker.
            s.waker = Some(cx.waker().clone());
            s.armed = true;
        }
        Poll::Pending
    }
}

#[tokio::test(start_paused = true)]
async fn every_key_is_drawn_when_it_arrives_even_on_an_idle_console() {
    // No incident (no 1 Hz clock), no sources: nothing but the key can wake
    // the loop before the 15 s age tick.
    let mut app = demo_app(60, (100, 30), "default");
    let clock = ManualClock::new(app.now);
    let (mut terminal, frames) = counting_terminal(100, 30);
    let (_src_tx, src_rx) = mpsc::channel(runtime::SOURCE_CHANNEL);
    let input = CrosstermLikeInput::default();
    let channels = channels(src_rx, Witness::default(), unused_dir());
    let screen = |t: &Terminal<Counting>| format!("{:?}", t.backend().inner.buffer());

    let driver = {
        let frames = frames.clone();
        let input = input.clone();
        async move {
            tokio::time::sleep(Duration::from_millis(10)).await;
            let mut drawn = frames.lock().unwrap().0;
            assert_eq!(drawn, 1, "first frame");
            // Ten keys, each alone on an idle loop; each must be drawn
            // within 10 ms of (paused) time, long before any timer fires.
            for (i, c) in [
                KeyCode::Char('?'),
                KeyCode::Esc,
                KeyCode::Char('2'),
                KeyCode::Char('3'),
                KeyCode::Char('?'),
                KeyCode::Esc,
                KeyCode::Char('4'),
                KeyCode::Char('1'),
                KeyCode::Char('?'),
                KeyCode::Esc,
            ]
            .into_iter()
            .enumerate()
            {
                input.press(c);
                tokio::time::sleep(Duration::from_millis(10)).await;
                let now = frames.lock().unwrap().0;
                assert_eq!(now, drawn + 1, "key {i} ({c:?}) was not drawn until something else happened");
                drawn = now;
            }
            input.press(KeyCode::Char('q'));
        }
    };
    let shutdown = Box::pin(std::future::pending::<i32>());
    let clock_arc: Arc<dyn warroom::sources::clock::Clock> = Arc::new(clock);
    let (exit, ()) = tokio::join!(runtime::run(&mut terminal, &mut app, clock_arc, channels, input, shutdown), driver);
    assert_eq!(exit.unwrap(), Exit::Quit);
    assert!(screen(&terminal).contains("Pods"), "ended on the Pods tab");
}

/// Polls `cond` on real time until it holds or `secs` pass.
async fn eventually(secs: u64, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    while tokio::time::Instant::now() < deadline {
        if cond() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    cond()
}

#[tokio::test]
async fn collected_logs_are_saved_named_and_readable_in_the_viewer() {
    let dir = tempfile::tempdir().unwrap();
    let evidence_dir = dir.path().join("evidence");
    let mut app = demo_app(60, (120, 40), "default");
    let clock = ManualClock::new(app.now);
    let (mut terminal, _frames) = counting_terminal(120, 40);
    let seen = Arc::new(Mutex::new(Vec::new()));
    terminal.backend_mut().seen = Some(seen.clone());
    let (_src_tx, src_rx) = mpsc::channel(runtime::SOURCE_CHANNEL);
    let (key_tx, events) = scripted_input();
    let channels = channels(src_rx, Witness::default(), evidence_dir.clone());

    let driver = {
        let (evidence_dir, seen) = (evidence_dir.clone(), seen.clone());
        async move {
            // First pod, action menu, first entry (collect logs), confirm.
            for c in [KeyCode::Home, KeyCode::Char('a'), KeyCode::Enter, KeyCode::Char('y')] {
                key_tx.send(key(c)).unwrap();
            }
            let saved = || std::fs::read_dir(&evidence_dir).map(|d| d.count()).unwrap_or(0) == 1;
            assert!(eventually(10, saved).await, "the evidence file is written");
            // `E` opens the newest file the results name: wait for the result.
            let reported = || seen.lock().unwrap().iter().any(|f: &String| f.contains("saved to"));
            assert!(eventually(10, reported).await, "the result names the file");
            key_tx.send(key(KeyCode::Char('E'))).unwrap();
            // The file is read off the event loop: wait for the viewer.
            let shown = || seen.lock().unwrap().iter().any(|f: &String| f.contains(" Evidence: "));
            assert!(eventually(10, shown).await, "the viewer opened");
            key_tx.send(key(KeyCode::Char('q'))).unwrap();
            tokio::time::sleep(Duration::from_millis(50)).await;
            key_tx.send(key(KeyCode::Char('q'))).unwrap();
        }
    };
    let shutdown = Box::pin(std::future::pending::<i32>());
    let clock_arc: Arc<dyn warroom::sources::clock::Clock> = Arc::new(clock);
    let (exit, ()) = tokio::join!(runtime::run(&mut terminal, &mut app, clock_arc, channels, events, shutdown), driver);
    assert_eq!(exit.unwrap(), Exit::Quit);

    let files: Vec<_> = std::fs::read_dir(&evidence_dir).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(files.len(), 1);
    let file = &files[0];
    assert_eq!(std::fs::read_to_string(file).unwrap(), "first line\n\x1b[2Jpanic: boom\n", "saved as received");
    let name = file.file_name().unwrap().to_string_lossy().into_owned();
    assert!(name.ends_with("-app.log") && name.contains("-shop-"), "{name}");
    match &app.results().next().unwrap().status {
        ActionStatus::Succeeded(o) => {
            let sha = warroom::evidence::sha256(&std::fs::read(file).unwrap());
            assert!(o.message.ends_with(&format!("saved to {} (sha256 {sha})", file.display())), "{}", o.message);
            assert_eq!(o.evidence.len(), 1);
            assert_eq!((&o.evidence[0].path, &o.evidence[0].sha256), (file, &sha));
        }
        other => panic!("{other:?}"),
    }
    // The viewer showed the file, its escape sequence removed.
    let frames = seen.lock().unwrap();
    let viewer = frames.iter().find(|f| f.contains(&format!(" Evidence: {name} "))).expect("the viewer opened");
    assert!(viewer.contains("first line") && viewer.contains("panic: boom"), "{viewer}");
    assert!(!viewer.contains('\x1b'));
    assert!(frames.iter().any(|f| f.contains("saved to")), "the result names the file");
}

#[tokio::test(start_paused = true)]
async fn a_panicking_source_is_shown_stopped_restarted_and_the_console_keeps_going() {
    use std::sync::atomic::{AtomicU32, Ordering};
    use warroom::sources::supervisor::supervise;
    use warroom::state::{FeedId, FeedSignal, FeedStatus};

    let mut app = warroom::fixtures::empty_app((100, 30), "default");
    let clock = ManualClock::new(app.now);
    let clock_arc: Arc<dyn warroom::sources::clock::Clock> = Arc::new(clock.clone());
    let (mut terminal, _frames) = counting_terminal(100, 30);
    let seen = Arc::new(Mutex::new(Vec::new()));
    terminal.backend_mut().seen = Some(seen.clone());
    let (src_tx, src_rx) = mpsc::channel(runtime::SOURCE_CHANNEL);
    // First run: announces its feed, then panics. Second run: delivers.
    let runs = Arc::new(AtomicU32::new(0));
    let counter = runs.clone();
    let at = app.now;
    supervise(&[FeedId::Alarms], src_tx, clock_arc.clone(), move |tx| {
        let run = counter.fetch_add(1, Ordering::SeqCst);
        Box::pin(async move {
            let live = FeedSignal::Live { expected: Some(Duration::from_secs(30)) };
            let _ = tx.send(SourceUpdate::signal(FeedId::Alarms, at, live)).await;
            tokio::time::sleep(Duration::from_millis(100)).await;
            assert!(run > 0, "alarm source bug");
            let _ = tx.send(SourceUpdate::data(at, FeedData::Alarms(Delta::Reset(Vec::new())))).await;
            std::future::pending::<()>().await;
        })
    });
    let (key_tx, events) = scripted_input();
    let channels = channels(src_rx, Witness::default(), unused_dir());
    let driver = {
        let seen = seen.clone();
        async move {
            key_tx.send(key(KeyCode::Char('3'))).unwrap();
            // The panic lands 100 ms in; the restart comes a second later.
            tokio::time::sleep(Duration::from_millis(500)).await;
            let stopped = seen.lock().unwrap().iter().any(|f| f.contains("source stopped: panicked: alarm source bug"));
            assert!(stopped, "the panel says the source stopped and why");
            // The console still answers keys while the source is down.
            key_tx.send(key(KeyCode::Char('?'))).unwrap();
            tokio::time::sleep(Duration::from_millis(10)).await;
            assert!(seen.lock().unwrap().last().unwrap().contains("Help"));
            key_tx.send(key(KeyCode::Esc)).unwrap();
            tokio::time::sleep(Duration::from_secs(2)).await;
            key_tx.send(key(KeyCode::Char('q'))).unwrap();
        }
    };
    let shutdown = Box::pin(std::future::pending::<i32>());
    let (exit, ()) = tokio::join!(runtime::run(&mut terminal, &mut app, clock_arc, channels, events, shutdown), driver);
    assert_eq!(exit.unwrap(), Exit::Quit);
    assert_eq!(runs.load(Ordering::SeqCst), 2, "restarted once");
    assert_eq!(app.live.feeds.get(FeedId::Alarms).unwrap().status(app.now), FeedStatus::Live);
    let last = seen.lock().unwrap().last().unwrap().clone();
    assert!(!last.contains("source stopped"), "the restarted source is live again");
}

/// Runs actions that take `for_` to finish (forever if `None`).
#[derive(Clone)]
struct Slow {
    for_: Option<Duration>,
    ran: Arc<Mutex<Vec<Action>>>,
}

impl Executor for Slow {
    fn execute(&self, action: Action) -> Execution {
        self.ran.lock().unwrap().push(action);
        let wait = self.for_;
        Box::pin(async move {
            match wait {
                Some(d) => tokio::time::sleep(d).await,
                None => std::future::pending::<()>().await,
            }
            Ok(Executed::message("finished late"))
        })
    }
}

/// Keeps nothing that confirms an action; everything else in memory.
struct RefusesConfirmations(MemoryRecorder);

impl Recorder for RefusesConfirmations {
    fn record(
        &mut self,
        at: chrono::DateTime<chrono::Utc>,
        event: IncidentEvent,
    ) -> Result<warroom::incident::Entry, RecordError> {
        if matches!(event, IncidentEvent::ActionConfirmed { .. }) {
            return Err(RecordError::Storage { where_: "the test journal".into(), error: "disk full".into() });
        }
        self.0.record(at, event)
    }
}

/// Confirms the rollout restart of the first pod's deployment, then 100 ms
/// later ends the console with `q` or, with `end_by_signal`, SIGTERM.
/// Returns the exit, what `memory` recorded, the app and how long the loop
/// took to end after being asked.
/// How a scripted session ends.
#[derive(Clone, Copy)]
enum End {
    Quit,
    Signal,
    CloseInput,
}

async fn confirm_then_end(
    executor: Slow,
    recorder: Box<dyn Recorder>,
    memory: MemoryRecorder,
    end: End,
) -> (Exit, Vec<warroom::incident::Entry>, warroom::app::App, Duration) {
    let mut app = demo_app(60, (100, 30), "default");
    let clock = ManualClock::new(app.now);
    let (mut terminal, _frames) = counting_terminal(100, 30);
    let (_src_tx, src_rx) = mpsc::channel(runtime::SOURCE_CHANNEL);
    let (key_tx, events) = scripted_input();
    let mut channels = channels(src_rx, executor, unused_dir());
    channels.recorder = recorder;
    let (sig_tx, sig_rx) = tokio::sync::oneshot::channel::<i32>();
    // A dropped sender is no signal.
    let shutdown = Box::pin(async move {
        match sig_rx.await {
            Ok(n) => n,
            Err(_) => std::future::pending().await,
        }
    });
    let asked = Arc::new(Mutex::new(None));
    let driver = {
        let asked = asked.clone();
        async move {
            for c in [KeyCode::Home, KeyCode::Char('a'), KeyCode::Down, KeyCode::Enter, KeyCode::Char('y')] {
                key_tx.send(key(c)).unwrap();
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
            *asked.lock().unwrap() = Some(tokio::time::Instant::now());
            // The keyboard stays open until the loop has ended unless closing
            // it is the way this session ends: closed input is a reason to
            // stop that would race the one under test.
            match end {
                End::Signal => sig_tx.send(15).unwrap(),
                End::Quit => key_tx.send(key(KeyCode::Char('q'))).unwrap(),
                End::CloseInput => return None,
            }
            Some(key_tx)
        }
    };
    let clock_arc: Arc<dyn warroom::sources::clock::Clock> = Arc::new(clock);
    let (exit, _keyboard) =
        tokio::join!(runtime::run(&mut terminal, &mut app, clock_arc, channels, events, shutdown), driver);
    let took = asked.lock().unwrap().unwrap().elapsed();
    (exit.unwrap(), memory.entries(), app, took)
}

#[tokio::test(start_paused = true)]
async fn quitting_records_an_action_still_running_as_abandoned_after_the_grace_period() {
    let ran = Arc::new(Mutex::new(Vec::new()));
    let memory = MemoryRecorder::default();
    let stuck = Slow { for_: None, ran: ran.clone() };
    let (exit, entries, app, took) = confirm_then_end(stuck, Box::new(memory.clone()), memory, End::Quit).await;
    assert_eq!(exit, Exit::Quit);
    assert_eq!(ran.lock().unwrap().len(), 1, "the action was executed");
    assert_eq!(took, runtime::QUIT_GRACE, "the loop waits out the grace period, no longer");
    let kinds: Vec<&str> = entries
        .iter()
        .map(|e| match e.event {
            IncidentEvent::ActionRequested { .. } => "requested",
            IncidentEvent::ActionConfirmed { .. } => "confirmed",
            IncidentEvent::ActionAbandoned { .. } => "abandoned",
            _ => "other",
        })
        .collect();
    assert_eq!(kinds, ["requested", "confirmed", "abandoned"]);
    assert_eq!(IncidentState::fold(&entries).unwrap(), app.record, "the record rebuilds the console's state");
}

#[tokio::test(start_paused = true)]
async fn a_terminal_that_goes_away_still_leaves_a_running_action_recorded() {
    let ran = Arc::new(Mutex::new(Vec::new()));
    let memory = MemoryRecorder::default();
    let stuck = Slow { for_: None, ran };
    let (exit, entries, app, took) = confirm_then_end(stuck, Box::new(memory.clone()), memory, End::CloseInput).await;
    assert_eq!(exit, Exit::InputClosed);
    assert_eq!(took, runtime::QUIT_GRACE);
    assert!(matches!(entries.last().unwrap().event, IncidentEvent::ActionAbandoned { .. }));
    assert!(app.record.in_flight().next().is_none());
}

#[tokio::test(start_paused = true)]
async fn a_signal_waits_for_an_action_that_finishes_within_the_grace_period() {
    let ran = Arc::new(Mutex::new(Vec::new()));
    let memory = MemoryRecorder::default();
    let slow = Slow { for_: Some(Duration::from_secs(1)), ran };
    let (exit, entries, app, took) = confirm_then_end(slow, Box::new(memory.clone()), memory, End::Signal).await;
    assert_eq!(exit, Exit::Signal(15));
    assert!(took < runtime::QUIT_GRACE, "ends as soon as the action is done: {took:?}");
    let last = &entries.last().unwrap().event;
    assert!(
        matches!(last, IncidentEvent::ActionSucceeded { output, .. } if output.message == "finished late"),
        "{last:?}"
    );
    assert_eq!(IncidentState::fold(&entries).unwrap(), app.record);
}

#[tokio::test(start_paused = true)]
async fn an_action_whose_confirmation_cannot_be_recorded_does_not_run() {
    let ran = Arc::new(Mutex::new(Vec::new()));
    let memory = MemoryRecorder::default();
    let recorder = Box::new(RefusesConfirmations(memory.clone()));
    let executor = Slow { for_: Some(Duration::ZERO), ran: ran.clone() };
    let (_, entries, app, _) = confirm_then_end(executor, recorder, memory, End::Quit).await;
    assert!(ran.lock().unwrap().is_empty(), "not executed");
    assert_eq!(entries.len(), 1, "only the request was kept");
    assert_eq!(app.record.actions[0].status, ActionStatus::Requested);
    assert!(app.results().next().is_none(), "no result claims it ran");
}
