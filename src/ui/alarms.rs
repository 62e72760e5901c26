//! Alarms panel: firing first, then insufficient data, then OK.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Span;

use super::{Col, col, draw_rows, fill, fit, name, panel_block};
use crate::app::{App, PanelId};
use crate::config::theme::Slot;
use crate::format::fmt_age;
use crate::model::AlarmState;
use crate::sanitize::sanitize;
use std::borrow::Cow;

pub fn draw(app: &App, frame: &mut Frame, area: Rect) {
    let block =
        panel_block(app, PanelId::Alarms, format!("{} firing / {}", app.live.alarms.notable(), app.alarms().total()));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    draw_rows(app, frame, inner, (PanelId::Alarms, "alarms"), &COLS, app.alarms(), |a, style| {
        let state = match a.state {
            AlarmState::InsufficientData => "NO DATA",
            s => s.label(),
        };
        // The marker leads, so a long name never pushes it out of sight.
        let name =
            if a.actions_enabled { sanitize(&a.name).into_owned() } else { format!("⊘ {}", sanitize(&a.name)) };
        vec![
            Span::styled(state, style).into(),
            Span::raw(name).into(),
            Span::styled(fmt_age(app.now - a.since), app.theme.style(Slot::TextDim)).into(),
            Span::styled(sanitize(&short_reason(&a.reason)).into_owned(), app.theme.style(Slot::TextDim)).into(),
        ]
    });
}

const COLS: [Col; 5] =
    [col("", 1, 0), col("STATE", 7, 0), name("NAME", 16, 80, 0), fit("SINCE", 5, 7, 1), fill("REASON", 10)];

/// A CloudWatch threshold reason cut to what fits a table cell: how many
/// datapoints breached, their values (newest first) and the comparison,
/// e.g. `3/3 [476.0 478.0 475.0] ≥ 400.0`. Other reasons lose only the
/// `Threshold Crossed: ` prefix; the detail view shows the whole text.
pub fn short_reason(reason: &str) -> Cow<'_, str> {
    let Some(rest) = reason.strip_prefix("Threshold Crossed: ") else { return Cow::Borrowed(reason) };
    parse_threshold(rest).map_or(Cow::Borrowed(rest), Cow::Owned)
}

fn parse_threshold(rest: &str) -> Option<String> {
    let (head, tail) = rest.split_once(" [")?;
    let count = match head.split_once(" out of the last ") {
        Some((n, m)) => format!("{n}/{}", m.split(' ').next()?),
        None => head.split(' ').next()?.to_string(),
    };
    let (points, tail) = tail.split_once("] ")?;
    let values: Vec<&str> = points.split(", ").map(|p| p.split(" (").next().unwrap_or(p)).collect();
    let tail = tail.strip_prefix("was ").or_else(|| tail.strip_prefix("were "))?;
    let (not, tail) = tail.strip_prefix("not ").map_or(("", tail), |t| ("not ", t));
    let (op, tail) = tail.split_once(" the threshold (")?;
    let symbol = match op {
        "greater than or equal to" => "≥",
        "greater than" => ">",
        "less than or equal to" => "≤",
        "less than" => "<",
        _ => return None,
    };
    let threshold = tail.split(')').next()?;
    Some(format!("{count} [{}] {not}{symbol} {threshold}", values.join(" ")))
}

#[cfg(test)]
mod tests {
    use super::short_reason;

    #[test]
    fn threshold_reasons_keep_values_and_comparison() {
        assert_eq!(
            short_reason(
                "Threshold Crossed: 3 out of the last 3 datapoints [476.0 (01/01/26 00:00:50), 478.0 (01/01/26 \
                 00:00:45), 475.0 (01/01/26 00:00:40)] were greater than or equal to the threshold (400.0) (minimum 3 \
                 datapoints for OK -> ALARM transition)."
            ),
            "3/3 [476.0 478.0 475.0] ≥ 400.0"
        );
        assert_eq!(
            short_reason(
                "Threshold Crossed: 1 out of the last 3 datapoints [41.5 (01/01/26 00:03:00)] was not greater than \
                 or equal to the threshold (80.0) (minimum 1 datapoint for ALARM -> OK transition)."
            ),
            "1/3 [41.5] not ≥ 80.0"
        );
        assert_eq!(
            short_reason(
                "Threshold Crossed: 1 datapoint [3.2 (24/11/26 10:00:00)] was less than the threshold (10.0)."
            ),
            "1 [3.2] < 10.0"
        );
    }

    #[test]
    fn other_reasons_pass_through() {
        assert_eq!(
            short_reason("Threshold Crossed: no datapoints were breaching the threshold (80.0)."),
            "no datapoints were breaching the threshold (80.0)."
        );
        assert_eq!(
            short_reason("Insufficient Data: 3 datapoints were unknown."),
            "Insufficient Data: 3 datapoints were unknown."
        );
        assert_eq!(short_reason("Threshold Crossed: 2 datapoints [garbled"), "2 datapoints [garbled");
    }
}
