//! effprof: the cost of deep-learning models from every side at once.
//!
//! Data flows one way: [`spec`] (suites) -> [`cost`] (analytic counts) and [`zoo`] (burn
//! models) -> [`report`] (tables and documents). Only the binary's front end knows about the
//! terminal.

pub mod app;
pub mod backend;
pub mod cli;
pub mod cost;
pub mod engine;
pub mod error;
pub mod headless;
pub mod memory;
pub mod pipeline;
pub mod report;
pub mod roofline;
pub mod signals;
pub mod snapshot;
pub mod spec;
pub mod stream;
pub mod sweep;
pub mod timing;
pub mod train;
pub mod tui;
pub mod ui;
pub mod units;
pub mod zoo;
