//! warroom: a terminal incident console.
//!
//! The architecture is one loop with a pure update and a pure view:
//! [`app::App::update`] turns messages into state changes and effects,
//! [`ui::draw`] renders state, and [`runtime`] owns the terminal, the
//! sources and the executors.

pub mod actions;
pub mod app;
pub mod cli;
pub mod config;
pub mod evidence;
#[cfg(any(test, feature = "fixtures"))]
#[doc(hidden)]
pub mod fixtures;
pub mod format;
pub mod headless;
pub mod incident;
pub mod layout;
pub mod model;
pub mod playbook;
pub mod runtime;
pub mod sanitize;
pub mod sources;
pub mod startup;
pub mod state;
pub mod terminal;
pub mod ui;
