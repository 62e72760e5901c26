//! Alarms panel: firing first, then insufficient data, then OK.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Span;

use super::{Col, col, draw_table, fill, fmt_age, health_glyph, health_style, panel_block, row_style};
use crate::app::{App, PanelId};
use crate::config::theme::Slot;
use crate::model::AlarmState;
use crate::sanitize::sanitize;

pub fn draw(app: &App, frame: &mut Frame, area: Rect) {
    let block =
        panel_block(app, PanelId::Alarms, format!("{} firing / {}", app.stats.alarms_firing, app.alarms.total()));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let rows_h = usize::from(inner.height.saturating_sub(1));
    let selected = app.alarms.selected_index();
    let rows: Vec<_> = app
        .alarms
        .visible(rows_h)
        .map(|(i, a)| {
            let h = a.state.health();
            let style = health_style(app, h);
            let state = match a.state {
                AlarmState::InsufficientData => "NO DATA",
                s => s.label(),
            };
            let name =
                if a.actions_enabled { sanitize(&a.name).into_owned() } else { format!("{} ⊘", sanitize(&a.name)) };
            let cells = vec![
                Span::styled(health_glyph(h), style),
                Span::styled(state, style),
                Span::raw(name),
                Span::styled(fmt_age(app.now - a.since), app.theme.style(Slot::TextDim)),
                Span::styled(sanitize(&a.reason).into_owned(), app.theme.style(Slot::TextDim)),
            ];
            (cells, row_style(app, PanelId::Alarms, i, selected))
        })
        .collect();
    draw_table(app, frame, inner, PanelId::Alarms, &COLS, rows, (app.alarms.total(), "alarms"));
}

const COLS: [Col; 5] = [col("", 1, 0), col("STATE", 7, 0), col("NAME", 26, 0), col("SINCE", 6, 1), fill("REASON", 10)];
