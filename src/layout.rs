//! Where everything goes, as a pure function of the terminal size and a
//! few view flags. `update()` uses it too, so paging moves by what is
//! actually visible.

use ratatui::layout::{Constraint, Layout, Rect};

use crate::app::{App, PanelId};

/// At this width and above every panel is on screen; below, tabs.
pub const WIDE_COLS: u16 = 200;
/// Below this the console shows only a "terminal too small" message.
pub const MIN_COLS: u16 = 60;
pub const MIN_ROWS: u16 = 16;
/// Width of the checklist column in the wide layout.
const CHECKLIST_COLS: u16 = 36;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Screen {
    pub status: Rect,
    pub tabs: Option<Rect>,
    pub panels: Vec<(PanelId, Rect)>,
    pub results: Rect,
    pub footer: Rect,
    pub too_small: bool,
}

impl Screen {
    pub fn compute(area: Rect, app: &App) -> Screen {
        if area.width < MIN_COLS || area.height < MIN_ROWS {
            return Screen { too_small: true, ..Screen::default() };
        }
        let wide = area.width >= WIDE_COLS;
        let results_h = app.results().count().min(if wide { 3 } else { 1 }) as u16;
        let [status, tabs, main, results, footer] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Length(if wide { 0 } else { 1 }),
            Constraint::Fill(1),
            Constraint::Length(results_h),
            Constraint::Length(1),
        ])
        .areas(area);
        let panels = if wide {
            let (grid, checklist) = if app.show_checklist {
                let [g, c] = Layout::horizontal([Constraint::Fill(1), Constraint::Length(CHECKLIST_COLS)]).areas(main);
                (g, Some(c))
            } else {
                (main, None)
            };
            let [top, bottom] = Layout::vertical([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(grid);
            let [pods, rds] = Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(top);
            let [alarms, trail] =
                Layout::horizontal([Constraint::Percentage(45), Constraint::Percentage(55)]).areas(bottom);
            let mut p =
                vec![(PanelId::Pods, pods), (PanelId::Rds, rds), (PanelId::Alarms, alarms), (PanelId::Trail, trail)];
            if let Some(c) = checklist {
                p.push((PanelId::Checklist, c));
            }
            p
        } else {
            vec![(app.focus, main)]
        };
        Screen { status, tabs: (!wide).then_some(tabs), panels, results, footer, too_small: false }
    }

    pub fn panel(&self, id: PanelId) -> Option<Rect> {
        self.panels.iter().find(|(p, _)| *p == id).map(|(_, r)| *r)
    }
}

/// Inner rows (inside the border) a panel gives to its list.
pub fn list_rows(app: &App, panel: PanelId) -> usize {
    let area = Rect::new(0, 0, app.size.0, app.size.1);
    let screen = Screen::compute(area, app);
    // In the tab layout only the focused panel is on screen; size the others
    // as if they were, so their scroll positions stay sensible.
    let rect = screen.panel(panel).or_else(|| screen.panels.first().map(|(_, r)| *r)).unwrap_or_default();
    let inner = rect.height.saturating_sub(2);
    let chrome = match panel {
        PanelId::Pods => 2 + events_height(inner),
        PanelId::Rds => 1 + charts_height(inner),
        PanelId::Alarms | PanelId::Trail => 1,
        PanelId::Checklist => 0,
    };
    usize::from(inner.saturating_sub(chrome)).max(1)
}

/// Rows given to Warning events below the pod list.
pub fn events_height(inner: u16) -> u16 {
    match inner {
        0..14 => 0,
        14..24 => 4,
        _ => 6,
    }
}

/// Rows given to the sparklines below the instance list.
pub fn charts_height(inner: u16) -> u16 {
    if inner >= 9 { 3 } else { 0 }
}
