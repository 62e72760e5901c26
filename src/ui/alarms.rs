//! Alarms panel: firing first, then insufficient data, then OK.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Span;

use super::{Col, col, draw_rows, fill, fmt_age, panel_block};
use crate::app::{App, PanelId};
use crate::config::theme::Slot;
use crate::model::AlarmState;
use crate::sanitize::sanitize;

pub fn draw(app: &App, frame: &mut Frame, area: Rect) {
    let block =
        panel_block(app, PanelId::Alarms, format!("{} firing / {}", app.stats.alarms_firing, app.alarms.total()));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    draw_rows(app, frame, inner, (PanelId::Alarms, "alarms"), &COLS, &app.alarms, |a, style| {
        let state = match a.state {
            AlarmState::InsufficientData => "NO DATA",
            s => s.label(),
        };
        // The marker leads, so a long name never pushes it out of sight.
        let name =
            if a.actions_enabled { sanitize(&a.name).into_owned() } else { format!("⊘ {}", sanitize(&a.name)) };
        vec![
            Span::styled(state, style),
            Span::raw(name),
            Span::styled(fmt_age(app.now - a.since), app.theme.style(Slot::TextDim)),
            Span::styled(sanitize(&a.reason).into_owned(), app.theme.style(Slot::TextDim)),
        ]
    });
}

const COLS: [Col; 5] = [col("", 1, 0), col("STATE", 7, 0), col("NAME", 26, 0), col("SINCE", 6, 1), fill("REASON", 10)];
