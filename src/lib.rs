//! effprof: the cost of deep-learning models from every side at once.
//!
//! The workspace is in layers, one crate each, and a crate can only import those below it:
//!
//! 1. `effprof-model` (`crates/model`): what a variant is, suite files and the analytic cost
//!    model. No burn, no terminal.
//! 2. `effprof-engine` (`crates/engine`): burn's backends, the zoo of models, tracing, the
//!    measuring thread and the features (reports, sweeps, pipeline, roofline, training,
//!    generation, snapshots). No terminal.
//! 3. This crate, the front ends: [`cli`], [`headless`], [`tui`] with [`app`] (state) and
//!    [`ui`] (drawing), [`stream`] (recorded runs to replay), and [`custom`] (your own models
//!    as a suite, with the TUI and `bench` on them). Only here is there a terminal.
//!
//! The lower crates' modules are re-exported under their own names (`effprof::spec`,
//! `effprof::engine`, ...), so a program that uses effprof as a library depends on this crate
//! alone.

pub use effprof_engine::{
    arch, backend, checkpoint, cost, document, engine, error, family, generate, measured, memory,
    onnx, pipeline, report, roofline, signals, snapshot, spec, sweep, tasks, timing, traced, train,
    units, vision, zoo,
};

pub mod app;
pub mod cli;
pub mod config;
pub mod custom;
pub mod headless;
pub mod stream;
pub mod tui;
pub mod ui;
