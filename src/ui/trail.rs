//! CloudTrail panel: newest first, security-relevant events flagged.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Span;

use super::{Col, col, draw_rows, fill, panel_block};
use crate::app::{App, PanelId};
use crate::config::theme::Slot;
use crate::format::fmt_time;
use crate::sanitize::sanitize;

pub fn draw(app: &App, frame: &mut Frame, area: Rect) {
    let block = panel_block(
        app,
        PanelId::Trail,
        format!("{} events · {} flagged", app.trail().total(), app.live.trail.notable()),
    );
    let inner = block.inner(area);
    frame.render_widget(block, area);
    draw_rows(app, frame, inner, (PanelId::Trail, "events"), &COLS, app.trail(), |e, style| {
        let flag = e.security_flag().map(|f| f.label()).unwrap_or("");
        vec![
            Span::styled(fmt_time(e.time), app.theme.style(Slot::TextDim)),
            Span::raw(sanitize(&e.name).into_owned()),
            Span::raw(sanitize(&e.user).into_owned()),
            Span::raw(sanitize(&e.source_ip).into_owned()),
            Span::styled(flag, style),
            Span::styled(sanitize(&e.resource).into_owned(), app.theme.style(Slot::TextDim)),
        ]
    });
}

const COLS: [Col; 7] = [
    col("", 1, 0),
    col("TIME", 8, 0),
    col("EVENT", 18, 0),
    col("USER", 13, 0),
    col("SOURCE IP", 15, 3),
    col("FLAG", 12, 4),
    fill("RESOURCE", 4),
];
