//! The demo world as a supervised task, and the executor that hands it
//! actions.

use super::*;

/// Commands to the running demo task.
pub(super) struct Execute {
    action: Action,
    reply: oneshot::Sender<Result<Executed, ActionError>>,
}

/// Executes actions by sending them to the demo task that owns the world.
#[derive(Clone)]
pub struct DemoExecutor {
    tx: mpsc::Sender<Execute>,
    /// The world, for what reads it without changing it (logs, YAML).
    pub(super) shared: Arc<Shared>,
}

impl Executor for DemoExecutor {
    fn execute(&self, action: Action) -> Execution {
        let tx = self.tx.clone();
        let stopped = || ActionError::Unavailable { message: "demo environment stopped".into() };
        Box::pin(async move {
            let (reply, rx) = oneshot::channel();
            tx.send(Execute { action, reply }).await.map_err(|_| stopped())?;
            rx.await.map_err(|_| stopped())?
        })
    }
}

/// What survives a restart of the demo's task: the world and the queue of
/// actions to execute, so a panic never resets the scenario or strands the
/// executor.
pub(super) struct Shared {
    world: std::sync::Mutex<DemoWorld>,
    commands: tokio::sync::Mutex<mpsc::Receiver<Execute>>,
}

impl Shared {
    pub(super) fn world(&self) -> std::sync::MutexGuard<'_, DemoWorld> {
        // A panic inside the world leaves it as it was at that moment.
        self.world.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Starts the demo world as a supervised task sending updates on
/// `updates`; returns the executor that acts on it.
pub fn spawn(seed: u64, clock: Arc<dyn Clock>, updates: mpsc::Sender<SourceUpdate>) -> DemoExecutor {
    spawn_at(seed, 0, clock, updates)
}

/// [`spawn`], the scenario already `ahead` seconds in.
pub fn spawn_at(seed: u64, ahead: u32, clock: Arc<dyn Clock>, updates: mpsc::Sender<SourceUpdate>) -> DemoExecutor {
    let (tx, rx) = mpsc::channel::<Execute>(16);
    let now = clock.now();
    let mut world = DemoWorld::new(seed, now - chrono::TimeDelta::seconds(i64::from(ahead)));
    world.advance(now);
    let shared = Arc::new(Shared { world: std::sync::Mutex::new(world), commands: tokio::sync::Mutex::new(rx) });
    let run_clock = clock.clone();
    let world = shared.clone();
    crate::sources::supervisor::supervise(&FEEDS, updates, clock, move |updates| {
        Box::pin(run(world.clone(), run_clock.clone(), updates))
    });
    DemoExecutor { tx, shared }
}

/// The demo's task: everything as it is now, then changes every 200 ms
/// and after each action.
async fn run(shared: Arc<Shared>, clock: Arc<dyn Clock>, updates: mpsc::Sender<SourceUpdate>) {
    let snapshot = shared.world().snapshot();
    for u in snapshot {
        if updates.send(u).await.is_err() {
            return;
        }
    }
    let mut commands = shared.commands.lock().await;
    let mut tick = tokio::time::interval(Duration::from_millis(200));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        let out = tokio::select! {
            _ = tick.tick() => shared.world().advance(clock.now()),
            cmd = commands.recv() => {
                let Some(cmd) = cmd else { return };
                let mut world = shared.world();
                let mut out = world.advance(clock.now());
                let _ = cmd.reply.send(world.execute(&cmd.action).map_err(ActionError::rejected));
                out.extend(world.drain_changes());
                out
            }
        };
        for u in out {
            if updates.send(u).await.is_err() {
                return;
            }
        }
    }
}
