//! What the console asks of the Kubernetes side besides its feeds: point
//! the watches elsewhere (another context or namespaces), list the
//! namespaces to choose from, show an object as YAML and stream a
//! container's logs. The live cluster and the demo world both answer.

use std::future::Future;
use std::pin::Pin;

use futures_util::Stream;

use super::kube::Target;

pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// A container's log, as chunks of lines.
pub type LineStream = Pin<Box<dyn Stream<Item = Result<Vec<String>, String>> + Send>>;

/// Longest log line kept, in bytes; the rest of a longer one is dropped
/// and the line marked with `…`.
pub const LINE_MAX: usize = 8 * 1024;

/// Which kinds of object `y` shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectKind {
    Pod,
    Deployment,
}

impl ObjectKind {
    pub fn label(self) -> &'static str {
        match self {
            ObjectKind::Pod => "pod",
            ObjectKind::Deployment => "deployment",
        }
    }
}

/// One object, by kind, namespace and name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectRef {
    pub kind: ObjectKind,
    pub namespace: String,
    pub name: String,
}

/// Which log to stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogTarget {
    pub namespace: String,
    pub pod: String,
    pub container: String,
    /// The previous (terminated) instance's log.
    pub previous: bool,
    /// Keep streaming what the container writes next.
    pub follow: bool,
    /// How many lines from the end to start with.
    pub tail: usize,
}

/// The Kubernetes side, as the runtime drives it.
pub trait Cluster: Send + Sync {
    /// Watches `target` from now on: the current watches stop, the
    /// Kubernetes feeds are emptied and start again (*connecting*), and
    /// actions go to the new target.
    fn retarget(&self, target: Target);
    /// The namespaces there are, sorted.
    fn namespaces(&self) -> BoxFuture<Result<Vec<String>, String>>;
    /// The object as YAML, managed fields stripped.
    fn manifest(&self, object: ObjectRef) -> BoxFuture<Result<String, String>>;
    /// The log's lines as they arrive; an error ends the stream.
    fn logs(&self, target: LogTarget) -> LineStream;
}

/// Cuts a byte stream into lines: invalid UTF-8 is replaced, `\r\n` is a
/// line end, and a line longer than [`LINE_MAX`] keeps its start and a
/// `…`, so one runaway line cannot take the memory.
#[derive(Debug, Default)]
pub struct LineSplitter {
    partial: Vec<u8>,
    /// The current line was cut: skip to its end.
    overflow: bool,
}

impl LineSplitter {
    /// The complete lines in `chunk` together with what came before.
    pub fn push(&mut self, chunk: &[u8]) -> Vec<String> {
        let mut lines = Vec::new();
        for part in chunk.split_inclusive(|b| *b == b'\n') {
            let (body, ends) = match part.strip_suffix(b"\n") {
                Some(body) => (body, true),
                None => (part, false),
            };
            if !self.overflow {
                let room = LINE_MAX.saturating_sub(self.partial.len());
                self.partial.extend_from_slice(&body[..body.len().min(room)]);
                self.overflow = body.len() > room;
            }
            if ends {
                lines.push(self.take());
            }
        }
        lines
    }

    /// What is left after the stream ended: a last line without `\n`.
    pub fn finish(&mut self) -> Option<String> {
        (!self.partial.is_empty() || self.overflow).then(|| self.take())
    }

    fn take(&mut self) -> String {
        let mut bytes = std::mem::take(&mut self.partial);
        if bytes.last() == Some(&b'\r') {
            bytes.pop();
        }
        let mut line = String::from_utf8_lossy(&bytes).into_owned();
        if std::mem::take(&mut self.overflow) {
            // A cut may split a character; lossy decoding made it U+FFFD.
            line.push('…');
        }
        line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_joined_across_chunks_and_split_at_newlines() {
        let mut s = LineSplitter::default();
        assert_eq!(s.push(b"first li"), Vec::<String>::new());
        assert_eq!(s.push(b"ne\r\nsecond\nthi"), vec!["first line", "second"]);
        assert_eq!(s.push(b"rd\n\n"), vec!["third", ""]);
        assert_eq!(s.finish(), None);
        assert_eq!(s.push(b"no newline at the end"), Vec::<String>::new());
        assert_eq!(s.finish().as_deref(), Some("no newline at the end"));
    }

    #[test]
    fn invalid_utf8_is_replaced_not_fatal() {
        let mut s = LineSplitter::default();
        assert_eq!(s.push(b"caf\xc3\xa9 \xff ok\n"), vec!["café \u{fffd} ok"]);
        // A character split across chunks survives.
        assert_eq!(s.push(b"caf\xc3"), Vec::<String>::new());
        assert_eq!(s.push(b"\xa9\n"), vec!["café"]);
    }

    #[test]
    fn a_runaway_line_is_cut_and_the_next_line_is_whole() {
        let mut s = LineSplitter::default();
        let huge = vec![b'x'; LINE_MAX * 3];
        assert!(s.push(&huge).is_empty());
        assert!(s.push(&huge).is_empty());
        let lines = s.push(b"tail of the huge line\nnext\n");
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].len(), LINE_MAX + '…'.len_utf8());
        assert!(lines[0].ends_with("x…"));
        assert_eq!(lines[1], "next");
    }
}
