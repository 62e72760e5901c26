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

/// A table column: header, width (0 = fill the rest, at least `min`), and
/// how early it is dropped when the panel is narrow (0 = never).
pub(crate) struct Col {
    pub header: &'static str,
    pub width: u16,
    pub min: u16,
    pub drop: u8,
}

pub(crate) const fn col(header: &'static str, width: u16, drop: u8) -> Col {
    Col { header, width, min: width, drop }
}

pub(crate) const fn fill(header: &'static str, min: u16) -> Col {
    Col { header, width: 0, min, drop: 0 }
}

/// Which columns fit in `width` (with one space between columns),
/// dropping the highest `drop` rank first.
pub(crate) fn fit_columns(cols: &[Col], width: u16) -> Vec<bool> {
    let mut shown = vec![true; cols.len()];
    loop {
        let n = shown.iter().filter(|s| **s).count() as u16;
        let need: u16 =
            cols.iter().zip(&shown).filter(|(_, s)| **s).map(|(c, _)| c.min).sum::<u16>() + n.saturating_sub(1);
        if need <= width {
            return shown;
        }
        let victim = cols
            .iter()
            .enumerate()
            .filter(|(i, c)| shown[*i] && c.drop > 0)
            .max_by_key(|(i, c)| (c.drop, *i))
            .map(|(i, _)| i);
        match victim {
            Some(i) => shown[i] = false,
            None => return shown,
        }
    }
}

/// Builds a table from the columns that fit; `cells` has one entry per
/// column in `cols` order.
pub(crate) fn fitted_table<'a>(
    app: &App,
    cols: &[Col],
    width: u16,
    rows: Vec<(Vec<Span<'a>>, Style)>,
) -> ratatui::widgets::Table<'a> {
    use ratatui::layout::{Constraint, Flex, Layout};
    use ratatui::widgets::{Row, Table};
    let shown = fit_columns(cols, width);
    let pick = |v: Vec<Span<'a>>| -> Vec<Span<'a>> {
        v.into_iter().zip(&shown).filter(|(_, s)| **s).map(|(c, _)| c).collect()
    };
    let header: Vec<&str> = cols.iter().zip(&shown).filter(|(_, s)| **s).map(|(c, _)| c.header).collect();
    let widths: Vec<Constraint> = cols
        .iter()
        .zip(&shown)
        .filter(|(_, s)| **s)
        .map(|(c, _)| if c.width == 0 { Constraint::Min(c.min) } else { Constraint::Length(c.width) })
        .collect();
    // The widths the table will give each column, so a cut cell can end
    // in `…` instead of stopping mid-word without a sign.
    let spans = Layout::horizontal(widths.clone()).flex(Flex::Start).spacing(1).split(Rect::new(0, 0, width, 1));
    let rows: Vec<Row> = rows
        .into_iter()
        .map(|(cells, style)| {
            let cells = pick(cells)
                .into_iter()
                .zip(spans.iter())
                .map(|(mut cell, r)| {
                    if let std::borrow::Cow::Owned(cut) = ellipsize(&cell.content, usize::from(r.width)) {
                        cell.content = cut.into();
                    }
                    cell
                })
                .collect::<Vec<_>>();
            Row::new(cells).style(style)
        })
        .collect();
    Table::new(rows, widths)
        .header(Row::new(header).style(app.theme.style(Slot::TableHeader)))
        .column_spacing(1)
        .flex(Flex::Start)
}

/// `text` cut to `width` columns, ending in `…` when anything was cut.
pub(crate) fn ellipsize(text: &str, width: usize) -> std::borrow::Cow<'_, str> {
    use unicode_width::UnicodeWidthChar;
    if unicode_width::UnicodeWidthStr::width(text) <= width {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w + 1 > width {
            break;
        }
        used += w;
        out.push(c);
    }
    if width > 0 {
        out.push('…');
    }
    std::borrow::Cow::Owned(out)
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
    cells: impl Fn(&T, Style) -> Vec<Span<'static>>,
) {
    let height = usize::from(area.height.saturating_sub(1));
    let selected = list.selected_index();
    let rows: Vec<_> = list
        .visible(height)
        .map(|(i, item)| {
            let health = item.health();
            let style = health_style(app, health);
            let mut row = vec![Span::styled(health_glyph(health), style)];
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

    #[test]
    fn narrow_panels_drop_highest_rank_first_and_never_rank_zero() {
        let cols = [col("", 1, 0), fill("NAME", 10), col("A", 5, 1), col("B", 5, 2), col("C", 5, 0)];
        // Everything: 1+10+5+5+5 + 4 spaces = 30.
        assert_eq!(fit_columns(&cols, 30), [true; 5]);
        assert_eq!(fit_columns(&cols, 29), [true, true, true, false, true]);
        assert_eq!(fit_columns(&cols, 20), [true, true, false, false, true]);
        // Even when it cannot fit, rank-0 columns stay.
        assert_eq!(fit_columns(&cols, 5), [true, true, false, false, true]);
    }
}
