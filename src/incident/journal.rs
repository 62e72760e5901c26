//! The incident journal: one append-only JSON Lines file per incident,
//! `incidents/<id>.jsonl` under the data directory, each entry written,
//! flushed and fsynced before the recorder answers (and the directory
//! fsynced when a file is created), so the console never shows as done
//! what is not on disk.
//!
//! A file is locked (an advisory lock) while a console appends to it: a
//! second console is refused and may read it instead. Opening repairs what
//! a crash can leave, a torn last line, and refuses anything else that is
//! wrong, naming the line, without touching the file.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use super::{Actor, Entry, FORMAT_VERSION, IncidentEvent, RecordError, Recorder};

/// Why a journal cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JournalError {
    #[error("{}: {error}", path.display())]
    Io { path: PathBuf, error: String },
    /// A line other than the last is not an entry, or is out of order.
    #[error("{}:{line}: {why}; the file is left as it is", path.display())]
    Corrupt { path: PathBuf, line: usize, why: String },
    /// Another console holds the file.
    #[error("{} is open in another warroom; it can be read (`warroom export`) but not written", path.display())]
    Locked { path: PathBuf },
    #[error("{} already exists", path.display())]
    Exists { path: PathBuf },
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> JournalError + '_ {
    move |e| JournalError::Io { path: path.to_path_buf(), error: e.to_string() }
}

/// What opening a journal repaired: a last line a crash cut short (it was
/// never acknowledged), removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repair {
    /// The line it was on.
    pub line: usize,
    /// How many bytes were dropped.
    pub bytes: u64,
}

impl std::fmt::Display for Repair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {} was cut short by a crash ({} bytes, never confirmed): removed", self.line, self.bytes)
    }
}

/// A journal's entries as read, and where the good part ends.
#[derive(Debug, Clone, PartialEq)]
pub struct Contents {
    pub entries: Vec<Entry>,
    /// A torn last line, if there is one (not removed by [`read`]).
    pub torn: Option<Repair>,
    /// The length of the entries that read well.
    good_len: u64,
}

/// Parses a journal's bytes: every complete line an entry numbered from 1
/// in order; the last line may be torn (unterminated or unreadable).
pub fn parse(path: &Path, bytes: &[u8]) -> Result<Contents, JournalError> {
    let mut entries = Vec::new();
    let mut pos = 0usize;
    let mut line = 0usize;
    while pos < bytes.len() {
        line += 1;
        let end = bytes[pos..].iter().position(|b| *b == b'\n').map(|i| pos + i);
        let text = &bytes[pos..end.unwrap_or(bytes.len())];
        let next = end.map_or(bytes.len(), |e| e + 1);
        let last = next >= bytes.len();
        let torn = || Repair { line, bytes: (bytes.len() - pos) as u64 };
        if end.is_none() {
            // Unterminated: the write never completed.
            return Ok(Contents { entries, torn: Some(torn()), good_len: pos as u64 });
        }
        match serde_json::from_slice::<Entry>(text) {
            Ok(entry) => {
                let expected = entries.len() as u64 + 1;
                if entry.seq != expected {
                    let why = format!("entry {} where entry {expected} was expected", entry.seq);
                    return Err(JournalError::Corrupt { path: path.to_path_buf(), line, why });
                }
                if entry.v > FORMAT_VERSION {
                    let why = format!("format version {} is newer than this console's ({FORMAT_VERSION})", entry.v);
                    return Err(JournalError::Corrupt { path: path.to_path_buf(), line, why });
                }
                entries.push(entry);
            }
            // A crash on a file system that extends the file before its
            // data lands leaves a last line of zeros or garbage.
            Err(_) if last => return Ok(Contents { entries, torn: Some(torn()), good_len: pos as u64 }),
            Err(e) => {
                let why = format!("not a journal entry ({e})");
                return Err(JournalError::Corrupt { path: path.to_path_buf(), line, why });
            }
        }
        pos = next;
    }
    Ok(Contents { entries, torn: None, good_len: pos as u64 })
}

/// Reads a journal without locking or changing it.
pub fn read(path: &Path) -> Result<Contents, JournalError> {
    let bytes = std::fs::read(path).map_err(io(path))?;
    parse(path, &bytes)
}

/// An incident's journal file, locked for appending.
#[derive(Debug)]
pub struct Journal {
    path: PathBuf,
    file: File,
    /// Entries in the file.
    len: u64,
    /// Bytes in the file: where the next entry starts.
    size: u64,
}

impl Journal {
    /// Creates the journal at `path` (its directory too), locks it, and
    /// makes its creation durable.
    pub fn create(path: &Path) -> Result<Journal, JournalError> {
        let dir = path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        let file = OpenOptions::new().append(true).create_new(true).open(path).map_err(|e| match e.kind() {
            std::io::ErrorKind::AlreadyExists => JournalError::Exists { path: path.to_path_buf() },
            _ => io(path)(e),
        })?;
        lock(&file, path)?;
        File::open(dir).and_then(|d| d.sync_all()).map_err(io(dir))?;
        Ok(Journal { path: path.to_path_buf(), file, len: 0, size: 0 })
    }

    /// Opens the journal at `path` to append to it: locks it, reads its
    /// entries, and removes a torn last line (making that durable).
    pub fn open(path: &Path) -> Result<(Journal, Contents), JournalError> {
        let mut file = OpenOptions::new().read(true).write(true).open(path).map_err(io(path))?;
        lock(&file, path)?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).map_err(io(path))?;
        let contents = parse(path, &bytes)?;
        if contents.torn.is_some() {
            file.set_len(contents.good_len).map_err(io(path))?;
            file.sync_all().map_err(io(path))?;
        }
        file.seek(SeekFrom::End(0)).map_err(io(path))?;
        let len = contents.entries.len() as u64;
        let size = contents.good_len;
        Ok((Journal { path: path.to_path_buf(), file, len, size }, contents))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Entries in the file.
    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Appends `event` as the next entry; returns it once it is on disk.
    pub fn append(&mut self, at: DateTime<Utc>, actor: &Actor, event: IncidentEvent) -> Result<Entry, JournalError> {
        let entry = Entry { v: FORMAT_VERSION, seq: self.len + 1, at, actor: Some(actor.clone()), event };
        let mut line = serde_json::to_vec(&entry).map_err(|e| JournalError::Io {
            path: self.path.clone(),
            error: format!("cannot encode the entry: {e}"),
        })?;
        line.push(b'\n');
        // One write of the whole line: a crash leaves it whole or torn,
        // and a torn last line is what opening repairs.
        let written = self.file.write_all(&line).and_then(|()| self.file.sync_data());
        if let Err(e) = written {
            // A write that failed part-way (a full disk) must not leave a
            // torn line for the next entry to follow: cut back to the
            // last whole entry.
            let _ = self.file.set_len(self.size);
            let _ = self.file.seek(SeekFrom::Start(self.size));
            return Err(io(&self.path)(e));
        }
        self.size += line.len() as u64;
        self.len += 1;
        Ok(entry)
    }
}

fn lock(file: &File, path: &Path) -> Result<(), JournalError> {
    file.try_lock().map_err(|e| match e {
        std::fs::TryLockError::WouldBlock => JournalError::Locked { path: path.to_path_buf() },
        std::fs::TryLockError::Error(e) => io(path)(e),
    })
}

/// Where an entry goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sink {
    Incident,
    Session,
}

/// The console's recorder: each incident's events in its own journal,
/// everything recorded outside an incident (actions taken without one) in
/// the session's journal, `sessions/<start>.jsonl`.
///
/// The console numbers every entry of the session in one sequence; each
/// file numbers its own from 1, so an incident's file folds on its own
/// (`--resume`). Later events of an action go where its request went.
pub struct JournalRecorder {
    data_dir: PathBuf,
    actor: Actor,
    /// The console's sequence: the last number answered.
    seq: u64,
    incident: Option<Journal>,
    session: Option<Journal>,
    session_name: String,
    actions: HashMap<u64, Sink>,
}

impl JournalRecorder {
    /// Journals under `data_dir`; the session's file (created at its first
    /// entry) is named after `started`.
    pub fn new(data_dir: &Path, actor: Actor, started: DateTime<Utc>) -> JournalRecorder {
        JournalRecorder {
            data_dir: data_dir.to_path_buf(),
            actor,
            seq: 0,
            incident: None,
            session: None,
            session_name: format!("session-{}-{}", started.format("%Y%m%dT%H%M%SZ"), std::process::id()),
            actions: HashMap::new(),
        }
    }

    /// Continues the incident whose journal is open in `journal` (read into
    /// the console's state already): its entries are the console's first.
    pub fn resuming(mut self, journal: Journal) -> JournalRecorder {
        self.seq = journal.len();
        self.incident = Some(journal);
        self
    }

    /// Where incident `id`'s journal is.
    pub fn incident_path(data_dir: &Path, id: &str) -> PathBuf {
        data_dir.join("incidents").join(format!("{id}.jsonl"))
    }

    /// The incident journal being written, if an incident runs.
    pub fn incident_file(&self) -> Option<&Path> {
        self.incident.as_ref().map(Journal::path)
    }

    fn sink_for(&mut self, event: &IncidentEvent) -> Sink {
        let here = if self.incident.is_some() { Sink::Incident } else { Sink::Session };
        match event {
            IncidentEvent::ActionRequested { action_id, .. } => {
                self.actions.insert(*action_id, here);
                here
            }
            e => match e.action_id().and_then(|id| self.actions.get(&id)) {
                // An action requested during an incident that has ended
                // since: its outcome goes to the session's journal.
                Some(Sink::Incident) if self.incident.is_none() => Sink::Session,
                Some(s) => *s,
                None => here,
            },
        }
    }

    fn write(&mut self, at: DateTime<Utc>, event: IncidentEvent) -> Result<(), JournalError> {
        if let IncidentEvent::Started { id, .. } = &event {
            // The incident runs once its start is on disk, not before.
            let mut journal = Journal::create(&Self::incident_path(&self.data_dir, id))?;
            journal.append(at, &self.actor, event)?;
            self.incident = Some(journal);
            return Ok(());
        }
        let resolved = matches!(event, IncidentEvent::Resolved);
        let journal = match self.sink_for(&event) {
            Sink::Incident => self.incident.as_mut(),
            Sink::Session => {
                if self.session.is_none() {
                    let path = self.data_dir.join("sessions").join(format!("{}.jsonl", self.session_name));
                    self.session = Some(Journal::create(&path)?);
                }
                self.session.as_mut()
            }
        };
        let Some(journal) = journal else {
            return Err(JournalError::Io { path: self.data_dir.clone(), error: "no journal open".into() });
        };
        journal.append(at, &self.actor, event)?;
        if resolved {
            // Closing the file releases its lock.
            self.incident = None;
        }
        Ok(())
    }
}

impl Recorder for JournalRecorder {
    fn record(&mut self, at: DateTime<Utc>, event: IncidentEvent) -> Result<Entry, RecordError> {
        self.write(at, event.clone())
            .map_err(|e| RecordError::Storage { where_: "the journal".into(), error: e.to_string() })?;
        self.seq += 1;
        Ok(Entry { v: FORMAT_VERSION, seq: self.seq, at, actor: Some(self.actor.clone()), event })
    }

    fn identify(&mut self, aws: Option<String>, kube: Option<String>) {
        self.actor.aws = aws;
        self.actor.kube = kube;
    }
}

/// The recorder of a console that views an incident another console
/// holds (`--resume ID --read-only`): it keeps nothing, and says why.
pub struct Viewing {
    pub id: String,
}

impl Recorder for Viewing {
    fn record(&mut self, _at: DateTime<Utc>, _event: IncidentEvent) -> Result<Entry, RecordError> {
        Err(RecordError::Storage {
            where_: format!("{}'s journal", self.id),
            error: "another warroom holds it; this console only views it".into(),
        })
    }
}

/// An incident as its journal tells it, for `warroom incidents`.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub id: String,
    pub path: PathBuf,
    pub incident: Option<super::Incident>,
    /// Why the file could not be read or folded, if it could not.
    pub problem: Option<String>,
    /// When the file was last written (newest first ordering).
    pub modified: Option<std::time::SystemTime>,
}

/// Every incident journal under `data_dir`, newest first.
pub fn list(data_dir: &Path) -> Result<Vec<Summary>, JournalError> {
    let dir = data_dir.join("incidents");
    let read_dir = match std::fs::read_dir(&dir) {
        Ok(r) => r,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io(&dir)(e)),
    };
    let mut out = Vec::new();
    for item in read_dir {
        let item = item.map_err(io(&dir))?;
        let path = item.path();
        let Some(id) = path.file_name().and_then(|n| n.to_str()).and_then(|n| n.strip_suffix(".jsonl")) else {
            continue;
        };
        let modified = item.metadata().and_then(|m| m.modified()).ok();
        let (incident, problem) = match read(&path) {
            Ok(c) => match super::IncidentState::fold(&c.entries) {
                Ok(state) => (state.current().cloned().or_else(|| state.resolved.last().cloned()), None),
                Err(e) => (None, Some(e.to_string())),
            },
            Err(e) => (None, Some(e.to_string())),
        };
        out.push(Summary { id: id.to_string(), path, incident, problem, modified });
    }
    out.sort_by(|a, b| {
        let started = |s: &Summary| s.incident.as_ref().map(|i| i.started);
        started(b).cmp(&started(a)).then_with(|| b.modified.cmp(&a.modified)).then_with(|| b.id.cmp(&a.id))
    });
    Ok(out)
}

/// An unresolved incident reopened from its journal (`--resume`): the
/// file, locked for appending (`None` when another console holds it and
/// this one only views it), the state it folds to, and what opening it
/// repaired.
pub struct Resumed {
    pub journal: Option<Journal>,
    pub state: super::IncidentState,
    /// Its entries, in order.
    pub entries: Vec<Entry>,
    pub repaired: Option<Repair>,
    /// When its last entry was recorded.
    pub last_at: Option<DateTime<Utc>>,
}

/// Opens incident `id`'s journal under `data_dir` to continue it, or with
/// an empty `id` the most recent unresolved one; with `view`, one another
/// console holds is read to be viewed instead. The error says what to do
/// instead.
pub fn resume(data_dir: &Path, id: &str, view: bool) -> Result<Resumed, String> {
    let id = if id.is_empty() {
        let all = list(data_dir).map_err(|e| e.to_string())?;
        match all.iter().find(|s| s.incident.as_ref().is_some_and(|i| i.resolved.is_none())) {
            Some(s) => s.id.clone(),
            None => {
                return Err(format!(
                    "no unresolved incident in {}; `warroom incidents` lists them all",
                    data_dir.join("incidents").display()
                ));
            }
        }
    } else {
        is_incident_id(id)?;
        id.to_string()
    };
    let path = JournalRecorder::incident_path(data_dir, &id);
    if !path.exists() {
        return Err(format!(
            "no incident {id} in {}; `warroom incidents` lists them",
            data_dir.join("incidents").display()
        ));
    }
    let (journal, contents) = match Journal::open(&path) {
        Ok((j, c)) => (Some(j), c),
        Err(JournalError::Locked { .. }) if view => (None, read(&path).map_err(|e| e.to_string())?),
        Err(JournalError::Locked { .. }) => {
            return Err(format!(
                "{id} is open in another warroom: `warroom --resume {id} --read-only` shows it without writing, \
                 `warroom export {id}` drafts its postmortem"
            ));
        }
        Err(e) => return Err(e.to_string()),
    };
    let state = super::IncidentState::fold(&contents.entries).map_err(|e| format!("{}: {e}", path.display()))?;
    match state.current() {
        Some(_) => {
            let last_at = contents.entries.last().map(|e| e.at);
            Ok(Resumed { journal, state, entries: contents.entries, repaired: contents.torn, last_at })
        }
        None => Err(format!("{id} is resolved; `warroom export {id}` writes its postmortem")),
    }
}

/// Checks that `id` names an incident file and nothing else: letters,
/// digits, `-`, `_` and `.`, not starting with `.` (no path can hide in
/// it).
pub fn is_incident_id(id: &str) -> Result<(), String> {
    let ok = !id.is_empty()
        && !id.starts_with('.')
        && id.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(format!("`{}` is not an incident id (like inc-20261124T211849Z)", crate::sanitize::sanitize(id)))
    }
}

/// The incidents as `warroom incidents` prints them: one line each, in
/// columns, durations up to `now` for those still running.
pub fn table(all: &[Summary], now: DateTime<Utc>) -> String {
    use std::fmt::Write as _;
    let id_width = all.iter().map(|s| s.id.chars().count()).max().unwrap_or(2).max(2);
    let mut out = format!(
        "{:<id_width$}  {:<10}  {:<3}  {:<19}  {:>9}  TITLE\n",
        "ID", "STATUS", "SEV", "STARTED (UTC)", "DURATION"
    );
    for s in all {
        let id = crate::sanitize::sanitize(&s.id);
        let _ = match (&s.incident, &s.problem) {
            (Some(i), _) => {
                let (status, end) = match i.resolved {
                    Some(r) => ("resolved", r),
                    None => ("running", now),
                };
                writeln!(
                    out,
                    "{id:<id_width$}  {status:<10}  {:<3}  {:<19}  {:>9}  {}",
                    i.severity.label(),
                    i.started.format("%Y-%m-%d %H:%M:%S"),
                    crate::format::fmt_clock(end - i.started),
                    crate::sanitize::sanitize(i.title.as_deref().unwrap_or("")),
                )
            }
            (None, problem) => writeln!(
                out,
                "{id:<id_width$}  {:<10}  {:<3}  {:<19}  {:>9}  {}",
                "unreadable",
                "-",
                "-",
                "-",
                crate::sanitize::sanitize(problem.as_deref().unwrap_or("no incident in it")),
            ),
        };
    }
    out
}

#[cfg(test)]
mod tests;
