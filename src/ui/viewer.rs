//! The log and YAML viewer: only the visible lines are laid out, however
//! long the buffer, so a 10,000-line log costs what a screenful costs.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};
use unicode_width::UnicodeWidthChar;

use super::dialogs::dialog_block;
use crate::app::{App, Viewer, ViewerKind, ViewerState};
use crate::config::keymap::{Command, Layer};
use crate::config::theme::Slot;
use crate::sanitize::sanitize;

pub fn draw(app: &App, frame: &mut Frame, area: Rect, v: &Viewer) {
    // Everything between the status bar (where actions go) and the footer.
    let r = Rect { y: area.y + 1, height: area.height.saturating_sub(2), ..area };
    frame.render_widget(Clear, r);
    let block = dialog_block(app, title(v)).title_bottom(status_line(app, v));
    let inner = block.inner(r);
    frame.render_widget(block, r);
    let rows_room = usize::from(inner.height);
    v.set_height(rows_room);
    let cols = usize::from(inner.width).max(1);
    let lines = v.lines();
    let rows: Vec<Line> = if lines.is_empty() {
        vec![Line::styled(empty_text(v), app.theme.style(Slot::TextDim))]
    } else if v.wrap {
        wrapped_rows(app, v, cols, rows_room)
    } else {
        lines.iter().skip(v.first_line()).take(rows_room).map(|l| marked(app, v, clip(l, cols), v.matches(l))).collect()
    };
    frame.render_widget(Paragraph::new(rows), inner);
}

fn title(v: &Viewer) -> String {
    match &v.kind {
        ViewerKind::Logs { target, containers, .. } => {
            let which = if target.previous { " (previous)" } else { "" };
            let of = if containers.len() > 1 {
                let i = containers.iter().position(|c| *c == target.container).unwrap_or(0);
                format!(" {}/{}", i + 1, containers.len())
            } else {
                String::new()
            };
            format!(
                " Logs {}/{} · {}{which}{of} ",
                sanitize(&target.namespace),
                sanitize(&target.pod),
                sanitize(&target.container)
            )
        }
        ViewerKind::Yaml(o) => format!(" YAML {} {}/{} ", o.kind.label(), sanitize(&o.namespace), sanitize(&o.name)),
        ViewerKind::Timeline if v.query.is_empty() => " Timeline: every journal entry, newest last ".into(),
        ViewerKind::Timeline => format!(" Timeline · {} ", sanitize(&v.query)),
    }
}

fn empty_text(v: &Viewer) -> String {
    match &v.state {
        ViewerState::Loading => "loading…".into(),
        ViewerState::Streaming => "no lines yet; waiting for the container to write".into(),
        ViewerState::Complete => "empty".into(),
        ViewerState::Failed(e) => format!("cannot show it: {}", sanitize(e)),
    }
}

/// The bottom border: the search being typed, or where the content
/// stands (state, position, lines dropped, wrap, search).
fn status_line<'a>(app: &App, v: &Viewer) -> Line<'a> {
    let dim = app.theme.style(Slot::TextDim);
    if let Some(input) = &v.input {
        let typed = input.lines().join(" ");
        return Line::from(vec![
            Span::styled(" /", app.theme.style(Slot::FooterKey)),
            Span::styled(format!("{}█ ", sanitize(&typed)), app.theme.style(Slot::Input)),
        ]);
    }
    let (state, slot) = match &v.state {
        ViewerState::Loading => ("loading".to_string(), Slot::StatusUnknown),
        ViewerState::Streaming => ("following".to_string(), Slot::StatusOk),
        ViewerState::Complete => ("complete".to_string(), Slot::TextDim),
        ViewerState::Failed(e) => (format!("failed: {}", sanitize(e)), Slot::StatusCrit),
    };
    let total = v.lines().len();
    let mut spans = vec![Span::styled(format!(" {state} "), app.theme.style(slot))];
    if total > 0 {
        let first = v.first_line() + 1;
        spans.push(Span::styled(format!("· {first}/{total} "), dim));
    }
    if v.dropped > 0 {
        spans.push(Span::styled(format!("· {} older dropped ", v.dropped), app.theme.style(Slot::StatusWarn)));
    }
    if v.wrap {
        spans.push(Span::styled("· wrap ", dim));
    }
    if !v.query.is_empty() {
        spans.push(Span::styled(format!("· /{} ", sanitize(&v.query)), dim));
    }
    let key = |cmd| app.keymap.hint(Layer::Viewer, cmd);
    let mut hints = Vec::new();
    let search = if v.kind == ViewerKind::Timeline { "filter" } else { "search" };
    for (cmd, label) in [(Command::Search, search), (Command::ToggleWrap, "wrap")] {
        hints.extend(key(cmd).map(|k| format!("{k} {label}")));
    }
    if v.log().is_some() {
        for (cmd, label) in [
            (Command::ToggleFollow, "follow"),
            (Command::TogglePrevious, "previous"),
            (Command::NextContainer, "container"),
        ] {
            hints.extend(key(cmd).map(|k| format!("{k} {label}")));
        }
    }
    spans.push(Span::styled(format!("· {} ", hints.join(" ")), dim));
    Line::from(spans)
}

/// The rows a line takes wrapped at `cols` display columns.
pub fn wrap(line: &str, cols: usize) -> Vec<String> {
    let mut rows = vec![String::new()];
    let mut width = 0;
    for c in line.chars() {
        let w = c.width().unwrap_or(0);
        if width + w > cols && width > 0 {
            rows.push(String::new());
            width = 0;
        }
        if let Some(row) = rows.last_mut() {
            row.push(c);
        }
        width += w;
    }
    rows
}

/// The start of a line that fits in `cols` columns (the first row
/// [`wrap`] would make, without wrapping the rest).
fn clip(line: &str, cols: usize) -> String {
    let mut width = 0;
    line.chars()
        .take_while(|c| {
            width += c.width().unwrap_or(0);
            width <= cols || width == c.width().unwrap_or(0)
        })
        .collect()
}

/// Wrapped rows from the first line shown; pinned to the end, the rows
/// that end with the last line.
fn wrapped_rows<'a>(app: &App, v: &Viewer, cols: usize, room: usize) -> Vec<Line<'a>> {
    let lines = v.lines();
    let mut rows: Vec<Line> = Vec::new();
    if v.pinned {
        for l in lines.iter().rev() {
            let hit = v.matches(l);
            let mut these: Vec<Line> = wrap(l, cols).into_iter().map(|r| marked(app, v, r, hit)).collect();
            these.append(&mut rows);
            rows = these;
            if rows.len() >= room {
                break;
            }
        }
        let extra = rows.len().saturating_sub(room);
        rows.drain(..extra);
    } else {
        for l in lines.iter().skip(v.first_line()) {
            let hit = v.matches(l);
            rows.extend(wrap(l, cols).into_iter().map(|r| marked(app, v, r, hit)));
            if rows.len() >= room {
                break;
            }
        }
        rows.truncate(room);
    }
    rows
}

/// A row with the search's matches marked; a row of a matching line
/// whose match is cut across rows is marked whole.
fn marked<'a>(app: &App, v: &Viewer, row: String, line_matches: bool) -> Line<'a> {
    if !line_matches {
        return Line::raw(row);
    }
    let mark = app.theme.style(Slot::Selection).add_modifier(Modifier::BOLD);
    let lower = row.to_lowercase();
    let q = v.query.to_lowercase();
    // Lowercasing can change byte lengths outside ASCII; then mark the row.
    if lower.len() != row.len() || !lower.contains(&q) {
        return Line::styled(row, Style::default().add_modifier(Modifier::BOLD));
    }
    let mut spans = Vec::new();
    let mut at = 0;
    for (i, _) in lower.match_indices(&q) {
        if i < at {
            continue;
        }
        spans.push(Span::raw(row[at..i].to_string()));
        spans.push(Span::styled(row[i..i + q.len()].to_string(), mark));
        at = i + q.len();
    }
    spans.push(Span::raw(row[at..].to_string()));
    Line::from(spans)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping_counts_display_columns() {
        assert_eq!(wrap("abcdef", 4), vec!["abcd", "ef"]);
        assert_eq!(wrap("", 4), vec![""]);
        // Wide characters take two columns and are never split.
        assert_eq!(wrap("日本語です", 4), vec!["日本", "語で", "す"]);
        assert_eq!(clip("abcdef", 3), "abc");
        for (line, cols) in [("日本語です", 3), ("日本語", 1), ("", 2), ("ab", 5)] {
            assert_eq!(clip(line, cols), wrap(line, cols)[0], "{line} in {cols}");
        }
    }
}
