//! RDS panel: instances (unhealthy first) and sparklines of the selected
//! instance's CPU, connections and free storage.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Sparkline};

use super::{Col, col, draw_rows, fill, panel_block};
use crate::app::{App, PanelId};
use crate::config::theme::Slot;
use crate::model::DbInstance;
use crate::sanitize::sanitize;

pub fn draw(app: &App, frame: &mut Frame, area: Rect) {
    let block = panel_block(app, PanelId::Rds, format!("{} instances", app.dbs().total()));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let [list, charts] =
        Layout::vertical([Constraint::Fill(1), Constraint::Length(crate::layout::charts_height(inner.height))])
            .areas(inner);
    draw_list(app, frame, list);
    if let Some(db) = app.dbs().selected() {
        draw_charts(app, frame, charts, db);
    }
}

const COLS: [Col; 10] = [
    col("", 1, 0),
    fill("INSTANCE", 18),
    col("ROLE", 7, 1),
    col("STATUS", 10, 0),
    col("CLASS", 13, 4),
    col("ENGINE", 13, 3),
    col("AZ", 13, 2),
    col("FREE", 4, 0),
    col("LAG", 6, 0),
    col("CPU", 4, 0),
];

fn draw_list(app: &App, frame: &mut Frame, area: Rect) {
    draw_rows(app, frame, area, (PanelId::Rds, "DB instances"), &COLS, app.dbs(), |d, style| {
        let free_pct = d.free_gib / f64::from(d.allocated_gib.max(1)) * 100.0;
        let az = if d.multi_az { format!("{} +M", d.az) } else { d.az.clone() };
        vec![
            Span::raw(sanitize(&d.id).into_owned()),
            Span::raw(d.role()),
            Span::styled(sanitize(&d.status).into_owned(), style),
            Span::styled(sanitize(&d.class).into_owned(), app.theme.style(Slot::TextDim)),
            Span::raw(format!("{} {}", sanitize(&d.engine), sanitize(&d.engine_version))),
            Span::styled(sanitize(&az).into_owned(), app.theme.style(Slot::TextDim)),
            Span::raw(format!("{free_pct:.0}%")),
            Span::raw(d.replica_lag_s.map(|l| format!("{l:.1}s")).unwrap_or_else(|| "-".into())),
            Span::raw(d.cpu.last().map(|c| format!("{c:.0}%")).unwrap_or_else(|| "-".into())),
        ]
    });
}

fn draw_charts(app: &App, frame: &mut Frame, area: Rect, db: &DbInstance) {
    if area.height == 0 {
        return;
    }
    let series: [(&str, &[f64], String); 3] = [
        ("CPU", &db.cpu, db.cpu.last().map(|v| format!("{v:.0}%")).unwrap_or_default()),
        ("Conns", &db.connections, db.connections.last().map(|v| format!("{v:.0}")).unwrap_or_default()),
        ("Free GiB", &db.free_storage, db.free_storage.last().map(|v| format!("{v:.0}")).unwrap_or_default()),
    ];
    let rows = Layout::vertical([Constraint::Length(1); 3]).split(area);
    for ((label, data, last), row) in series.iter().zip(rows.iter()) {
        let [l, chart, v] =
            Layout::horizontal([Constraint::Length(9), Constraint::Fill(1), Constraint::Length(6)]).areas(*row);
        frame.render_widget(Paragraph::new(Span::styled(*label, app.theme.style(Slot::TextDim))), l);
        // Show the newest points that fit, scaled to the visible window.
        let width = usize::from(chart.width);
        let tail = &data[data.len().saturating_sub(width)..];
        let points: Vec<u64> = tail.iter().map(|v| (v * 10.0).max(0.0) as u64).collect();
        frame.render_widget(Sparkline::default().data(&points).style(app.theme.style(Slot::Chart)), chart);
        frame.render_widget(Paragraph::new(Line::from(format!(" {last}"))), v);
    }
}
