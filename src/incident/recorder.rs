//! Where incident events are kept. The console asks a [`Recorder`] to keep
//! each event and acts on it only once the recorder has answered with its
//! entry; [`MemoryRecorder`] keeps them for the session.

use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, Utc};

use super::{Entry, FORMAT_VERSION, IncidentEvent};

/// Why an event could not be kept.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    /// The storage behind the recorder failed (`where_` names it).
    #[error("cannot write {where_}: {error}")]
    Storage { where_: String, error: String },
}

/// Keeps incident events, numbering them in order.
pub trait Recorder: Send {
    /// Keeps `event`, recorded at `at`; returns its entry once it is kept.
    fn record(&mut self, at: DateTime<Utc>, event: IncidentEvent) -> Result<Entry, RecordError>;

    /// Who the console acts as, once known: the AWS caller and the
    /// Kubernetes user, named in the entries that follow.
    fn identify(&mut self, _aws: Option<String>, _kube: Option<String>) {}
}

/// Keeps entries in memory. Clones share the same entries, so a test can
/// hand one to the runtime and read what it recorded.
#[derive(Debug, Clone, Default)]
pub struct MemoryRecorder {
    entries: Arc<Mutex<Vec<Entry>>>,
    /// Sequence numbers continue after this one.
    base: u64,
}

impl MemoryRecorder {
    /// A recorder whose first entry follows entry `seq`.
    pub fn after(seq: u64) -> Self {
        MemoryRecorder { base: seq, ..MemoryRecorder::default() }
    }

    /// Everything recorded so far, in order.
    pub fn entries(&self) -> Vec<Entry> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }
}

impl Recorder for MemoryRecorder {
    fn record(&mut self, at: DateTime<Utc>, event: IncidentEvent) -> Result<Entry, RecordError> {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        let entry = Entry { v: FORMAT_VERSION, seq: self.base + entries.len() as u64 + 1, at, actor: None, event };
        entries.push(entry.clone());
        Ok(entry)
    }
}
