//! Pure rendering: `draw(&App, &mut Frame)` reads state and never changes
//! it. Each panel and dialog has its own file; widgets ask the theme for
//! semantic slots and pass every external string through `sanitize`.

mod alarms;
mod checklist;
mod dialogs;
mod footer;

pub use status::source_status;
mod pods;
mod rds;
mod status;
mod trail;
mod viewer;

use ratatui::Frame;
use ratatui::layout::{Alignment, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Paragraph};

use crate::app::list::Row;
use crate::app::{App, Panel, PanelId};
use crate::config::theme::Slot;
use crate::format::{fmt_age, retry_countdown};
use crate::layout::{self, Screen};
use crate::model::Health;
use crate::sanitize::sanitize;
use crate::state::{FeedId, FeedStatus, SourceId};

/// Renders the whole screen.
pub fn draw(app: &App, frame: &mut Frame) {
    let area = frame.area();
    frame.render_widget(Block::default().style(app.theme.style(Slot::Base)), area);
    let screen = Screen::compute(area, app);
    if screen.too_small {
        draw_too_small(app, frame, area);
        return;
    }
    status::draw(app, frame, screen.status);
    if let Some(tabs) = screen.tabs {
        status::draw_tabs(app, frame, tabs);
    }
    for (panel, rect) in &screen.panels {
        match panel {
            PanelId::Pods => pods::draw(app, frame, *rect),
            PanelId::Rds => rds::draw(app, frame, *rect),
            PanelId::Alarms => alarms::draw(app, frame, *rect),
            PanelId::Trail => trail::draw(app, frame, *rect),
            PanelId::Checklist => checklist::draw(app, frame, *rect),
        }
    }
    footer::draw_results(app, frame, screen.results);
    footer::draw(app, frame, screen.footer);
    dialogs::draw(app, frame, area);
}

fn draw_too_small(app: &App, frame: &mut Frame, area: Rect) {
    let msg = vec![
        Line::from("terminal too small"),
        Line::from(format!("need {}×{}, have {}×{}", layout::MIN_COLS, layout::MIN_ROWS, area.width, area.height)),
        Line::from("q quits"),
    ];
    let top = area.height.saturating_sub(3) / 2;
    let rect = Rect { y: area.y + top, height: area.height.saturating_sub(top), ..area };
    frame
        .render_widget(Paragraph::new(msg).alignment(Alignment::Center).style(app.theme.style(Slot::StatusWarn)), rect);
}

pub(crate) fn health_style(app: &App, h: Health) -> Style {
    app.theme.style(match h {
        Health::Ok => Slot::StatusOk,
        Health::Warn => Slot::StatusWarn,
        Health::Crit => Slot::StatusCrit,
        Health::Unknown => Slot::StatusUnknown,
    })
}

/// A glyph that carries health without colour (mono, colour-blind).
pub(crate) fn health_glyph(h: Health) -> &'static str {
    match h {
        Health::Ok => "●",
        Health::Warn => "▲",
        Health::Crit => "✗",
        Health::Unknown => "○",
    }
}

/// The bordered block of a panel, with focus, counts, filter and source
/// error in its title.
pub(crate) fn panel_block<'a>(app: &App, panel: PanelId, counts: String) -> Block<'a> {
    let focused = app.focus == panel;
    let (border, title_style) = if focused {
        (app.theme.style(Slot::PanelBorderFocused), app.theme.style(Slot::PanelTitleFocused))
    } else {
        (app.theme.style(Slot::PanelBorder), app.theme.style(Slot::PanelTitle))
    };
    let mut title = vec![Span::styled(format!(" {} ", panel.title()), title_style)];
    if !counts.is_empty() {
        title.push(Span::styled(format!("{counts} "), app.theme.style(Slot::TextDim)));
    }
    let filter = match panel {
        PanelId::Pods => app.pods().filter(),
        PanelId::Rds => app.dbs().filter(),
        PanelId::Alarms => app.alarms().filter(),
        PanelId::Trail => app.trail().filter(),
        PanelId::Checklist => "",
    };
    if !filter.is_empty() {
        title.push(Span::styled(format!("/{} ", sanitize(filter)), app.theme.style(Slot::StatusWarn)));
    }
    let mut block = Block::default()
        .borders(Borders::ALL)
        .border_type(if focused { BorderType::Thick } else { BorderType::Plain })
        .border_style(border)
        .title(Line::from(title));
    if let Some(src) = panel.source()
        && let Some((health, msg)) = feed_line(app, src)
    {
        block = block.title_bottom(Line::styled(format!(" {msg} "), health_style(app, health)));
    }
    block
}

/// What a panel's bottom border says about its source when a feed is not
/// simply live: the failing feed, the error's kind and words, the attempt,
/// how long it has failed and the retry countdown; a stale feed's silence;
/// a stopped source. `None` while every feed is live.
pub(crate) fn feed_line(app: &App, source: SourceId) -> Option<(Health, String)> {
    let (feed, status) = app.live.feeds.worst(source, app.now)?;
    let feed_name = feed.label();
    let text = match status {
        FeedStatus::Live => return None,
        // Before any data the panel body says it; after, the border does.
        FeedStatus::Connecting | FeedStatus::Syncing if !app.live.feeds.has_data(source) => return None,
        FeedStatus::Connecting => format!("○ {feed_name}: reconnecting…"),
        FeedStatus::Syncing => format!("○ {feed_name}: syncing…"),
        FeedStatus::Stale { last_ok } => {
            let every = app.live.feeds.get(feed).and_then(|f| f.expected).map(|d| d.as_secs()).unwrap_or(0);
            format!("▲ {feed_name}: no data for {} (expected every {every}s)", fmt_age(app.now - last_ok))
        }
        FeedStatus::Failed(f) => {
            // What and when first: a narrow border cuts the end.
            let attempt = if f.attempt > 1 { format!(", attempt {}", f.attempt) } else { String::new() };
            let hint = f.error.kind.hint().map(|h| format!(" — {h}")).unwrap_or_default();
            format!(
                "✗ {feed_name} {}, {} (failing {}{attempt}): {}{hint}",
                f.error.kind.label(),
                retry_countdown(f, app.now),
                fmt_age(app.now - f.since),
                sanitize(&f.error.message),
            )
        }
        FeedStatus::Stopped(why) => format!("✗ {feed_name}: source stopped: {} (restarting)", sanitize(why)),
        FeedStatus::Off(_) if !app.live.feeds.has_data(source) => return None,
        FeedStatus::Off(why) => format!("○ {feed_name}: {}", sanitize(why)),
    };
    Some((status.health(), text))
}

/// A centred message inside an empty panel.
pub(crate) fn empty_message(app: &App, frame: &mut Frame, area: Rect, text: &str) {
    let y = area.y + area.height / 2;
    if area.height == 0 || y >= area.y + area.height {
        return;
    }
    frame.render_widget(
        Paragraph::new(text.to_string()).alignment(Alignment::Center).style(app.theme.style(Slot::TextDim)),
        Rect { y, height: 1, ..area },
    );
}

/// What a feed that has never delivered is doing, for the places that
/// would otherwise say "none": `None` once it has data.
pub(crate) fn feed_waiting(app: &App, feed: FeedId) -> Option<String> {
    let f = app.live.feeds.get(feed);
    if f.is_some_and(|f| f.has_data()) {
        return None;
    }
    Some(waiting_words(f.map(|f| f.status(app.now))))
}

/// What is in the way of the first data, in the words panels use.
fn waiting_words(status: Option<FeedStatus>) -> String {
    match status {
        Some(FeedStatus::Syncing) => "syncing…".into(),
        Some(FeedStatus::Failed(fl)) => format!("no data yet: {}", fl.error.kind.label()),
        Some(FeedStatus::Stopped(_)) => "source stopped".into(),
        Some(FeedStatus::Off(why)) => sanitize(why).into_owned(),
        _ => "connecting…".into(),
    }
}

/// What an empty list says: waiting for data, or nothing matches.
pub(crate) fn empty_text(app: &App, panel: PanelId, total: usize, noun: &str) -> String {
    let waiting = panel.source().filter(|s| !app.live.feeds.has_data(*s));
    if let Some(source) = waiting {
        waiting_words(app.live.feeds.worst(source, app.now).map(|(_, s)| s))
    } else if total > 0 {
        format!("no {noun} match the filter")
    } else {
        format!("no {noun}")
    }
}

/// A table column: its header, the width range its content is fitted
/// into, how early it is dropped when the panel is narrow (0 = never),
/// and how its content is cut when it must be.
#[derive(Debug, Clone)]
pub(crate) struct Col {
    pub header: &'static str,
    pub min: u16,
    pub max: u16,
    pub drop: u8,
    /// Takes the width left over once every column has its content.
    pub grow: bool,
    /// An identifier: cut in the middle, keeping the distinguishing tail
    /// of a generated name, and cut last.
    pub name: bool,
    /// Only a cell's first span must fit; the rest (a note beside the
    /// status) shows where there is room.
    pub soft: bool,
}

/// A column of a fixed width.
pub(crate) const fn col(header: &'static str, width: u16, drop: u8) -> Col {
    Col { header, min: width, max: width, drop, grow: false, name: false, soft: false }
}

/// A column as wide as its content, between `min` and `max`.
pub(crate) const fn fit(header: &'static str, min: u16, max: u16, drop: u8) -> Col {
    Col { header, min, max, drop, grow: false, name: false, soft: false }
}

/// A column whose cells lead with what must show and end with what may
/// (see [`Col::soft`]).
pub(crate) const fn soft(header: &'static str, min: u16, max: u16, drop: u8) -> Col {
    Col { header, min, max, drop, grow: false, name: false, soft: true }
}

/// An identifier column: as wide as its content (up to `max`), never cut
/// while the panel has room, cut in the middle when it must be.
pub(crate) const fn name(header: &'static str, min: u16, max: u16, drop: u8) -> Col {
    Col { header, min, max, drop, grow: false, name: true, soft: false }
}

/// A column of prose that takes the rest of the width (at least `min`).
pub(crate) const fn fill(header: &'static str, min: u16) -> Col {
    Col { header, min, max: u16::MAX, drop: 0, grow: true, name: false, soft: false }
}

/// How wide each column's content is: what must show (`core`) and all
/// of it (`full`), the header included.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Content {
    pub core: u16,
    pub full: u16,
}

/// How wide each column is (`None`: dropped) to show its `content` in
/// `width`, with one space between columns. Columns are dropped by rank
/// (highest first, rank 0 never) while what they must show does not fit;
/// then, if it still does not, prose is cut before other text and
/// identifiers last, each down to its minimum. Width left over goes to
/// the optional part of soft columns, then to the growing ones.
pub(crate) fn column_widths(cols: &[Col], content: &[Content], width: u16) -> Vec<Option<u16>> {
    let clamp = |c: &Col, w: u16| w.clamp(c.min, c.max.max(c.min));
    let want: Vec<u16> = cols.iter().zip(content).map(|(c, w)| if c.grow { c.min } else { clamp(c, w.core) }).collect();
    let mut shown = vec![true; cols.len()];
    let need = |shown: &[bool], widths: &[u16]| -> u32 {
        let n = shown.iter().filter(|s| **s).count() as u32;
        widths.iter().zip(shown).filter(|(_, s)| **s).map(|(w, _)| u32::from(*w)).sum::<u32>() + n.saturating_sub(1)
    };
    while need(&shown, &want) > u32::from(width) {
        let victim = cols
            .iter()
            .enumerate()
            .filter(|(i, c)| shown[*i] && c.drop > 0)
            .max_by_key(|(i, c)| (c.drop, *i))
            .map(|(i, _)| i);
        match victim {
            Some(i) => shown[i] = false,
            None => break,
        }
    }
    let mut widths = want;
    let mut over = need(&shown, &widths).saturating_sub(u32::from(width));
    // Other text first, identifiers last; the widest first.
    for names in [false, true] {
        while over > 0 {
            let widest = (0..cols.len())
                .filter(|i| shown[*i] && cols[*i].name == names && widths[*i] > cols[*i].min)
                .max_by_key(|i| (widths[*i] - cols[*i].min, std::cmp::Reverse(*i)));
            let Some(i) = widest else { break };
            widths[i] -= 1;
            over -= 1;
        }
    }
    let mut spare = u32::from(width).saturating_sub(need(&shown, &widths));
    // A soft column's optional part shows whole or not at all, the
    // smallest first, so the room serves as many as it can.
    let mut extras: Vec<(u16, usize)> = (0..cols.len())
        .filter(|i| shown[*i] && cols[*i].soft)
        .map(|i| (clamp(&cols[i], content[i].full).saturating_sub(widths[i]), i))
        .filter(|(more, _)| *more > 0)
        .collect();
    extras.sort();
    for (more, i) in extras {
        if u32::from(more) <= spare {
            widths[i] += more;
            spare -= u32::from(more);
        }
    }
    let growing: Vec<usize> = (0..cols.len()).filter(|i| shown[*i] && cols[*i].grow).collect();
    if let Some(n) = u32::try_from(growing.len()).ok().filter(|n| *n > 0) {
        for (k, i) in growing.iter().enumerate() {
            let extra = spare / n + u32::from((k as u32) < spare % n);
            widths[*i] = widths[*i].saturating_add(u16::try_from(extra).unwrap_or(u16::MAX));
        }
    }
    widths.into_iter().zip(shown).map(|(w, s)| s.then_some(w)).collect()
}

fn line_width(line: &Line<'_>) -> u16 {
    u16::try_from(line.width()).unwrap_or(u16::MAX)
}

fn span_width(span: &Span<'_>) -> u16 {
    u16::try_from(span.width()).unwrap_or(u16::MAX)
}

/// Builds a table from the columns that fit; `cells` has one entry per
/// column in `cols` order. Widths come from the rows' content.
pub(crate) fn fitted_table<'a>(
    app: &App,
    cols: &[Col],
    width: u16,
    rows: Vec<(Vec<Line<'a>>, Style)>,
) -> ratatui::widgets::Table<'a> {
    use ratatui::layout::{Constraint, Flex};
    use ratatui::widgets::{Row, Table};
    let mut content: Vec<Content> = cols
        .iter()
        .map(|c| {
            let w = u16::try_from(c.header.len()).unwrap_or(u16::MAX);
            Content { core: w, full: w }
        })
        .collect();
    for (cells, _) in &rows {
        for ((w, cell), c) in content.iter_mut().zip(cells).zip(cols) {
            let full = line_width(cell);
            let core = if c.soft { cell.spans.first().map_or(0, |s| span_width(s)) } else { full };
            w.core = w.core.max(core);
            w.full = w.full.max(full);
        }
    }
    let widths = column_widths(cols, &content, width);
    let header: Vec<&str> = cols.iter().zip(&widths).filter(|(_, w)| w.is_some()).map(|(c, _)| c.header).collect();
    let constraints: Vec<Constraint> = widths.iter().flatten().map(|w| Constraint::Length(*w)).collect();
    let rows: Vec<Row> = rows
        .into_iter()
        .map(|(cells, style)| {
            let cells = cells
                .into_iter()
                .zip(cols.iter().zip(&widths))
                .filter_map(|(cell, (c, w))| w.map(|w| cut_line(cell, usize::from(w), c)))
                .collect::<Vec<_>>();
            Row::new(cells).style(style)
        })
        .collect();
    Table::new(rows, constraints)
        .header(Row::new(header).style(app.theme.style(Slot::TableHeader)))
        .column_spacing(1)
        .flex(Flex::Start)
}

/// A cell cut to `width` columns with a `…` where it was cut: in the
/// middle for an identifier, at the end otherwise; a soft cell first
/// loses what is optional.
fn cut_line<'a>(mut line: Line<'a>, width: usize, col: &Col) -> Line<'a> {
    // A soft cell loses its optional spans, whole, before anything is cut.
    while col.soft && line.spans.len() > 1 && line.width() > width {
        line.spans.pop();
    }
    if line.width() <= width {
        return line;
    }
    if col.name && line.spans.len() == 1 {
        let span = &mut line.spans[0];
        span.content = ellipsize_name(&span.content, width).into_owned().into();
        return line;
    }
    // Something past `width` is cut: keep whole spans while one column is
    // left for the `…`, then cut the span that does not fit.
    let mut left = width;
    let mut spans = Vec::new();
    for mut span in std::mem::take(&mut line.spans) {
        let w = span.width();
        if w < left {
            left -= w;
            spans.push(span);
            continue;
        }
        let mut cut = head(&span.content, left.saturating_sub(1)).to_string();
        if left > 0 {
            cut.push('…');
        }
        span.content = cut.into();
        spans.push(span);
        break;
    }
    line.spans = spans;
    line
}

/// A generated name cut to `width` keeping what tells it apart: its last
/// `-` segment (the pod's random suffix) and as much of its head as fits,
/// `ledger-api-7d4b…-q8xvz`.
pub(crate) fn ellipsize_name(text: &str, width: usize) -> std::borrow::Cow<'_, str> {
    use unicode_width::UnicodeWidthStr;
    if text.width() <= width {
        return std::borrow::Cow::Borrowed(text);
    }
    if width < 5 || !text.contains('-') {
        return ellipsize(text, width);
    }
    let tail_from = text.rfind('-').filter(|i| text[*i..].width() <= width / 2).unwrap_or_else(|| {
        // No short last segment: keep a third of the width from the end.
        let keep = width / 3;
        let mut at = text.len();
        let mut used = 0;
        for (i, c) in text.char_indices().rev() {
            let w = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
            if used + w > keep {
                break;
            }
            used += w;
            at = i;
        }
        at
    });
    let tail = &text[tail_from..];
    let head = head(&text[..tail_from], width - tail.width() - 1);
    std::borrow::Cow::Owned(format!("{head}…{tail}"))
}

/// `text` cut to `width` columns, ending in `…` when anything was cut.
pub(crate) fn ellipsize(text: &str, width: usize) -> std::borrow::Cow<'_, str> {
    if unicode_width::UnicodeWidthStr::width(text) <= width {
        return std::borrow::Cow::Borrowed(text);
    }
    if width == 0 {
        return std::borrow::Cow::Borrowed("");
    }
    std::borrow::Cow::Owned(format!("{}…", head(text, width - 1)))
}

/// The longest start of `text` at most `width` columns wide.
fn head(text: &str, width: usize) -> &str {
    let mut used = 0;
    for (i, c) in text.char_indices() {
        used += unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if used > width {
            return &text[..i];
        }
    }
    text
}

/// Draws a panel's list as a table of the visible rows only: a health
/// glyph, then `cells` for each row; or the panel's empty-state message.
pub(crate) fn draw_rows<T: Row>(
    app: &App,
    frame: &mut Frame,
    area: Rect,
    (panel, noun): (PanelId, &str),
    cols: &[Col],
    list: Panel<'_, T>,
    cells: impl Fn(&T, Style) -> Vec<Line<'static>>,
) {
    let height = usize::from(area.height.saturating_sub(1));
    let selected = list.selected_index();
    let rows: Vec<_> = list
        .visible(height)
        .map(|(i, item)| {
            let health = item.health();
            let style = health_style(app, health);
            let mut row = vec![Line::from(Span::styled(health_glyph(health), style))];
            row.extend(cells(item, style));
            (row, row_style(app, panel, i, selected))
        })
        .collect();
    if rows.is_empty() {
        empty_message(app, frame, area, &empty_text(app, panel, list.total(), noun));
    } else {
        frame.render_widget(fitted_table(app, cols, area.width, rows), area);
    }
}

/// The row style: selection highlight on the focused panel's selected row.
pub(crate) fn row_style(app: &App, panel: PanelId, index: usize, selected: usize) -> Style {
    if index == selected && app.focus == panel { app.theme.style(Slot::Selection) } else { Style::default() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cut_text_ends_in_an_ellipsis_within_its_width() {
        assert_eq!(ellipsize("orders-db", 9), "orders-db");
        assert_eq!(ellipsize("orders-db-replica-1", 10), "orders-db…");
        assert_eq!(ellipsize("日本語テキスト", 7), "日本語…");
        assert_eq!(ellipsize("abc", 0), "");
    }
}

#[cfg(test)]
mod column_tests {
    use super::*;

    fn plain(widths: &[u16]) -> Vec<Content> {
        widths.iter().map(|w| Content { core: *w, full: *w }).collect()
    }

    #[test]
    fn narrow_panels_drop_highest_rank_first_and_never_rank_zero() {
        let cols = [col("", 1, 0), fit("NAME", 10, 10, 0), col("A", 5, 1), col("B", 5, 2), col("C", 5, 0)];
        let content = plain(&[1, 10, 5, 5, 5]);
        let shown = |w| column_widths(&cols, &content, w).iter().map(Option::is_some).collect::<Vec<_>>();
        // Everything: 1+10+5+5+5 + 4 spaces = 30.
        assert_eq!(shown(30), [true; 5]);
        assert_eq!(shown(29), [true, true, true, false, true]);
        assert_eq!(shown(20), [true, true, false, false, true]);
        // Even when it cannot fit, rank-0 columns stay.
        assert_eq!(shown(5), [true, true, false, false, true]);
    }

    #[test]
    fn widths_follow_content_and_identifiers_are_cut_last() {
        let cols = [col("", 1, 0), name("NAME", 8, 60, 0), fit("STATUS", 6, 40, 0), fill("REASON", 6)];
        let content = plain(&[1, 22, 26, 10]);
        // Room for everything: each column is as wide as its widest cell,
        // and the rest goes to the growing column.
        assert_eq!(column_widths(&cols, &content, 80), [Some(1), Some(22), Some(26), Some(28)]);
        // Short of room: prose keeps its minimum, other text gives way,
        // and the name keeps its width while anything else can shrink.
        assert_eq!(column_widths(&cols, &content, 50), [Some(1), Some(22), Some(18), Some(6)]);
        assert_eq!(column_widths(&cols, &content, 36), [Some(1), Some(20), Some(6), Some(6)]);
    }

    #[test]
    fn a_growing_column_never_costs_another_its_place() {
        // Long prose in REASON: SINCE (rank 1) still shows, REASON is cut.
        let cols = [name("NAME", 8, 60, 0), fit("SINCE", 5, 7, 1), fill("REASON", 10)];
        assert_eq!(column_widths(&cols, &plain(&[26, 5, 60]), 60), [Some(26), Some(5), Some(27)]);
    }

    #[test]
    fn a_soft_columns_note_shows_only_where_there_is_room() {
        let cols = [name("NAME", 8, 60, 0), soft("STATUS", 6, 60, 0), fit("NODE", 4, 20, 3)];
        let content = [Content { core: 20, full: 20 }, Content { core: 16, full: 36 }, Content { core: 12, full: 12 }];
        // The note's width never drops NODE: it takes what is left.
        assert_eq!(column_widths(&cols, &content, 70), [Some(20), Some(36), Some(12)]);
        // Not room for all of it: none of it, rather than half a note.
        assert_eq!(column_widths(&cols, &content, 60), [Some(20), Some(16), Some(12)]);
        assert_eq!(column_widths(&cols, &content, 40), [Some(20), Some(16), None]);
    }

    #[test]
    fn generated_names_keep_their_distinguishing_tail() {
        assert_eq!(ellipsize_name("ledger-api-7d4b9c5f6d-q8xvz", 27), "ledger-api-7d4b9c5f6d-q8xvz");
        assert_eq!(ellipsize_name("ledger-api-7d4b9c5f6d-q8xvz", 22), "ledger-api-7d4b…-q8xvz");
        assert_eq!(ellipsize_name("ledger-db-prod-replica", 16), "ledger-…-replica");
        // Without a dash it is cut at the end, like any text.
        assert_eq!(ellipsize_name("DescribeDBInstances", 10), "DescribeD…");
    }
}

/// Splits text into pieces of at most `width` characters, at spaces when
/// possible.
pub(crate) fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(8);
    let mut out = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        let mut word = word.to_string();
        while word.chars().count() > width {
            if !line.is_empty() {
                out.push(std::mem::take(&mut line));
            }
            let head: String = word.chars().take(width).collect();
            word = word.chars().skip(width).collect();
            out.push(head);
        }
        let needed = line.chars().count() + usize::from(!line.is_empty()) + word.chars().count();
        if needed > width && !line.is_empty() {
            out.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(&word);
    }
    if !line.is_empty() || out.is_empty() {
        out.push(line);
    }
    out
}
