//! Notes and the timeline: `n` writes a note into the incident's journal
//! (a multi-line editor; `Ctrl-s` records it, `Esc` keeps it as a draft),
//! `T` shows every journal entry in words, newest last, filtered by `/`.

use super::*;
use crate::incident::timeline::{self, Moment};
use viewer::{Viewer, ViewerKind, ViewerState};

/// The longest note kept, in characters (a pasted log belongs in an
/// evidence file).
pub const NOTE_MAX: usize = 20_000;

impl App {
    /// `n`: the note editor, with the draft left unsaved if there is one.
    pub(super) fn open_note(&mut self) {
        if self.incident().is_none() {
            self.notice = Some("Notes belong to an incident: start one first (P)".into());
            return;
        }
        let input = self.note_draft.take().unwrap_or_else(|| {
            let mut t = TextArea::default();
            t.set_placeholder_text("What you see, did or decided. Ctrl-s records it; Esc keeps it as a draft.");
            t
        });
        self.overlay = Some(Overlay::Note(input));
    }

    /// `Esc` in the editor: closes it; what was typed stays as the draft.
    pub(super) fn close_note(&mut self) {
        if let Some(Overlay::Note(input)) = self.overlay.take()
            && input.lines().iter().any(|l| !l.trim().is_empty())
        {
            self.note_draft = Some(input);
            self.notice = Some("Note kept as a draft: n reopens it".into());
        }
    }

    /// `Ctrl-s`: records the note (once recorded, the draft is gone).
    pub(super) fn save_note(&mut self) -> Vec<Effect> {
        let Some(Overlay::Note(input)) = &self.overlay else { return Vec::new() };
        let text = input.lines().join("\n");
        let text = text.trim_end();
        if text.trim().is_empty() {
            self.notice = Some("The note is empty: nothing recorded".into());
            return Vec::new();
        }
        if self.incident().is_none() {
            self.notice = Some("The incident has ended: the note is kept as a draft".into());
            self.close_note();
            return Vec::new();
        }
        let text: String = text.chars().take(NOTE_MAX).collect();
        self.overlay = None;
        vec![Effect::Record(IncidentEvent::Note { text })]
    }

    /// Whether a note is being written or kept as a draft.
    pub fn has_note_draft(&self) -> bool {
        self.note_draft.is_some()
    }

    /// `T`: the timeline of everything recorded.
    pub(super) fn open_timeline(&mut self) {
        let mut v = Viewer::new(ViewerKind::Timeline);
        v.state = ViewerState::Streaming;
        self.overlay = Some(Overlay::Viewer(Box::new(v)));
        self.refill_timeline();
    }

    /// Fills the open timeline from the journal, filtered by its query.
    pub(super) fn refill_timeline(&mut self) {
        let moments = timeline::moments(&self.journal);
        let Some(Overlay::Viewer(v)) = &mut self.overlay else { return };
        if v.kind != ViewerKind::Timeline {
            return;
        }
        let query = v.query.clone();
        let shown: Vec<&Moment> = moments.iter().filter(|m| matches_query(m, &query)).collect();
        let count = shown.len();
        v.replace(shown.into_iter().flat_map(timeline::pane_lines));
        if !query.is_empty() {
            self.notice = Some(format!("Timeline: {count} of {} entries match {query}", moments.len()));
        }
    }

    /// A new entry: kept for the timeline, and shown at once if it is open.
    pub(super) fn note_entry(&mut self, entry: &Entry) {
        self.journal.push(entry.clone());
        if let Some(Overlay::Viewer(v)) = &mut self.overlay
            && v.kind == ViewerKind::Timeline
        {
            let moment = timeline::moment(entry, &self.record);
            if matches_query(&moment, &v.query) {
                v.push(timeline::pane_lines(&moment));
            }
        }
    }
}

/// Whether every word of `query` is in the moment's kind or text, in any
/// case.
fn matches_query(m: &Moment, query: &str) -> bool {
    let hay = format!("{} {}", m.kind, m.text).to_lowercase();
    query.to_lowercase().split_whitespace().all(|w| hay.contains(w))
}
