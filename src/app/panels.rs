//! The data panels: which store and view make each one. This is the one
//! place that matches over them; everything else asks by [`PanelId`].

use super::App;
use super::list::{List, Row};
use super::trail_rows::TrailRow;
use crate::model::{Alarm, Db, Health, Pod};
use crate::state::{Changes, FeedId, SourceId, Store};

/// The panes that can take focus.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PanelId {
    Pods,
    Rds,
    Alarms,
    Trail,
    Checklist,
}

impl PanelId {
    pub const DATA: [PanelId; 4] = [PanelId::Pods, PanelId::Rds, PanelId::Alarms, PanelId::Trail];

    pub fn title(self) -> &'static str {
        match self {
            PanelId::Pods => "Pods",
            PanelId::Rds => "RDS",
            PanelId::Alarms => "Alarms",
            PanelId::Trail => "CloudTrail",
            PanelId::Checklist => "Checklist",
        }
    }

    /// The panel whose list shows `feed`'s items, if one does.
    pub fn for_feed(feed: FeedId) -> Option<PanelId> {
        match feed {
            FeedId::Pods => Some(PanelId::Pods),
            FeedId::DbInstances | FeedId::DbMetrics => Some(PanelId::Rds),
            FeedId::Alarms => Some(PanelId::Alarms),
            FeedId::TrailEvents => Some(PanelId::Trail),
            _ => None,
        }
    }

    pub fn source(self) -> Option<SourceId> {
        match self {
            PanelId::Pods => Some(SourceId::Kube),
            PanelId::Rds => Some(SourceId::Rds),
            PanelId::Alarms => Some(SourceId::Alarms),
            PanelId::Trail => Some(SourceId::Trail),
            PanelId::Checklist => None,
        }
    }
}

/// Each data panel's view of its store.
#[derive(Debug, Clone, Default)]
pub struct Views {
    pods: List,
    dbs: List,
    alarms: List,
    trail: List,
}

/// A panel's items and its view, for drawing and for picking the selected
/// item.
pub struct Panel<'a, T> {
    pub store: &'a Store<T>,
    pub view: &'a List,
}

impl<'a, T: Row> Panel<'a, T> {
    /// The rows `offset..offset + height` in display order.
    pub fn visible(&self, height: usize) -> impl Iterator<Item = (usize, &'a T)> + use<'a, T> {
        self.view.visible(self.store, height)
    }

    pub fn selected(&self) -> Option<&'a T> {
        self.view.selected(self.store)
    }

    pub fn get(&self, key: &str) -> Option<&'a T> {
        self.store.get(key)
    }

    pub fn values(&self) -> impl Iterator<Item = &'a T> + use<'a, T> {
        self.store.values()
    }

    /// Rows shown (matching the filter).
    pub fn len(&self) -> usize {
        self.view.len()
    }

    pub fn is_empty(&self) -> bool {
        self.view.is_empty()
    }

    /// Items held, whatever the filter shows.
    pub fn total(&self) -> usize {
        self.store.len()
    }

    pub fn filter(&self) -> &'a str {
        self.view.filter()
    }

    pub fn selected_index(&self) -> usize {
        self.view.selected_index()
    }
}

impl App {
    pub fn pods(&self) -> Panel<'_, Pod> {
        Panel { store: &self.live.pods, view: &self.views.pods }
    }

    pub fn dbs(&self) -> Panel<'_, Db> {
        Panel { store: &self.live.dbs, view: &self.views.dbs }
    }

    pub fn alarms(&self) -> Panel<'_, Alarm> {
        Panel { store: &self.live.alarms, view: &self.views.alarms }
    }

    /// The CloudTrail panel's rows (see [`super::trail_rows`]).
    pub fn trail(&self) -> Panel<'_, TrailRow> {
        Panel { store: &self.trail_rows.store, view: &self.views.trail }
    }

    /// A data panel's view; `None` for the checklist.
    pub fn view(&self, panel: PanelId) -> Option<&List> {
        match panel {
            PanelId::Pods => Some(&self.views.pods),
            PanelId::Rds => Some(&self.views.dbs),
            PanelId::Alarms => Some(&self.views.alarms),
            PanelId::Trail => Some(&self.views.trail),
            PanelId::Checklist => None,
        }
    }

    pub(super) fn view_mut(&mut self, panel: PanelId) -> Option<&mut List> {
        match panel {
            PanelId::Pods => Some(&mut self.views.pods),
            PanelId::Rds => Some(&mut self.views.dbs),
            PanelId::Alarms => Some(&mut self.views.alarms),
            PanelId::Trail => Some(&mut self.views.trail),
            PanelId::Checklist => None,
        }
    }

    /// The worst health of a data panel's items; `None` for the
    /// checklist.
    pub fn worst(&self, panel: PanelId) -> Option<Health> {
        match panel {
            PanelId::Pods => Some(self.live.pods.worst()),
            PanelId::Rds => Some(self.live.dbs.worst()),
            PanelId::Alarms => Some(self.live.alarms.worst()),
            PanelId::Trail => Some(self.trail_rows.store.worst()),
            PanelId::Checklist => None,
        }
    }

    /// Brings every view up to date with its store; returns whether any
    /// changed.
    pub(super) fn rebuild_views(&mut self) -> bool {
        // CloudTrail events leave the panel as its window passes them.
        let aged = self.trail_rows.age(&self.live.trail, self.now);
        self.views.trail.note(&aged);
        // Pods starting for too long turn failing; terminations stop being
        // recent.
        let judged = self.live.pods.judge(self.now);
        self.views.pods.note(&judged);
        let v = &mut self.views;
        let l = &self.live;
        // Not short-circuiting: every view is brought up to date.
        v.pods.rebuild(&l.pods)
            | v.dbs.rebuild(&l.dbs)
            | v.alarms.rebuild(&l.alarms)
            | v.trail.rebuild(&self.trail_rows.store)
    }
}

impl Views {
    pub(super) fn note_trail(&mut self, changes: &Changes) {
        self.trail.note(changes);
    }

    pub(super) fn trail_selected(&self) -> Option<&str> {
        self.trail.selected_key()
    }

    pub(super) fn select_trail(&mut self, key: &str) {
        self.trail.select_key(key);
    }
}
