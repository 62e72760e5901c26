//! RDS panel: instances (unhealthy first) and sparklines of the selected
//! instance's CPU, connections and free storage.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Sparkline};

use super::{Col, col, draw_rows, fit, name, panel_block};
use crate::app::{App, PanelId};
use crate::config::theme::Slot;
use crate::model::Db;
use crate::sanitize::sanitize;
use crate::state::FeedId;

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
    name("INSTANCE", 12, 63, 0),
    col("ROLE", 7, 1),
    fit("STATUS", 8, 24, 0),
    fit("CLASS", 8, 16, 4),
    fit("ENGINE", 8, 24, 3),
    fit("AZ", 8, 16, 2),
    col("FREE", 4, 0),
    fit("LAG", 4, 8, 0),
    col("CPU", 4, 0),
];

fn draw_list(app: &App, frame: &mut Frame, area: Rect) {
    draw_rows(app, frame, area, (PanelId::Rds, "DB instances"), &COLS, app.dbs(), |db, style| {
        let d = &db.instance;
        let az = if d.multi_az { format!("{} +M", d.az) } else { d.az.clone() };
        // A metric past the runbook's threshold stands out even when the
        // row's own health is set by something else.
        let metric = |value: Option<String>, high: bool| match value {
            Some(v) if high => Span::styled(v, app.theme.style(Slot::StatusWarn)),
            Some(v) => Span::raw(v),
            None => Span::styled("-", app.theme.style(Slot::TextDim)),
        };
        [
            Span::raw(sanitize(&d.id).into_owned()),
            Span::raw(d.role()),
            Span::styled(sanitize(&d.status).into_owned(), style),
            Span::styled(sanitize(&d.class).into_owned(), app.theme.style(Slot::TextDim)),
            Span::raw(format!("{} {}", sanitize(&d.engine), sanitize(&d.engine_version))),
            Span::styled(sanitize(&az).into_owned(), app.theme.style(Slot::TextDim)),
            metric(db.free_ratio().map(|r| format!("{:.0}%", r * 100.0)), db.storage_low()),
            metric(db.replica_lag_s().map(|l| format!("{l:.1}s")), db.lag_high()),
            metric(db.cpu().map(|c| format!("{c:.0}%")), db.cpu_high()),
        ]
        .into_iter()
        .map(Line::from)
        .collect()
    });
}

fn draw_charts(app: &App, frame: &mut Frame, area: Rect, db: &Db) {
    if area.height == 0 {
        return;
    }
    let Some(m) = &db.metrics else {
        let waiting =
            super::feed_waiting(app, FeedId::DbMetrics).unwrap_or_else(|| "none for this instance yet".into());
        let text = format!("metrics: {waiting}");
        frame.render_widget(Paragraph::new(Span::styled(text, app.theme.style(Slot::TextDim))), area);
        return;
    };
    let series: [(&str, &[f64], String); 3] = [
        ("CPU", &m.cpu, db.cpu().map(|v| format!("{v:.0}%")).unwrap_or_default()),
        ("Conns", &m.connections, db.connections().map(|v| format!("{v:.0}")).unwrap_or_default()),
        ("Free GiB", &m.free_storage_gib, db.free_gib().map(|v| format!("{v:.0}")).unwrap_or_default()),
    ];
    let rows = Layout::vertical([Constraint::Length(1); 3]).split(area);
    for ((label, data, last), row) in series.iter().zip(rows.iter()) {
        let [l, chart, v] =
            Layout::horizontal([Constraint::Length(9), Constraint::Fill(1), Constraint::Length(6)]).areas(*row);
        frame.render_widget(Paragraph::new(Span::styled(*label, app.theme.style(Slot::TextDim))), l);
        // The newest points that fit, ending at the right edge beside the
        // latest value; CPU on a fixed 0-100 % scale, the others scaled to
        // the visible window.
        let width = usize::from(chart.width);
        let tail = &data[data.len().saturating_sub(width)..];
        let points: Vec<Option<u64>> = std::iter::repeat_n(None, width - tail.len())
            .chain(tail.iter().map(|v| Some((v * 10.0).max(0.0) as u64)))
            .collect();
        let mut spark = Sparkline::default().data(&points).style(app.theme.style(Slot::Chart));
        if *label == "CPU" {
            spark = spark.max(1000);
        }
        frame.render_widget(spark, chart);
        frame.render_widget(Paragraph::new(Line::from(format!(" {last}"))), v);
    }
}
