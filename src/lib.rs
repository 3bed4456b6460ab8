//! effprof: the cost of deep-learning models from every side at once.
//!
//! The modules form layers. Each imports only from its own layer or those below, with no
//! cycle between modules, and only the front ends know about the terminal:
//!
//! 1. Plain data and helpers: [`arch`] (what a variant is), [`vision`] (the vision zoo's layer
//!    programs), [`measured`] (what a run found),
//!    [`backend`] (the backends and opening their devices), [`document`] (tables and CSV),
//!    [`units`], [`memory`], [`signals`].
//! 2. Counting and models: [`cost`] (analytic counts), [`spec`] (suite files), [`zoo`] (burn
//!    models, yours among them), [`traced`] (counts from the recorded graph), [`error`],
//!    [`timing`].
//! 3. [`engine`]: the measuring thread. It runs the features' measurements as tasks without
//!    knowing them.
//! 4. Features: [`report`] (indicator tables), [`sweep`], [`pipeline`], [`roofline`],
//!    [`train`], [`generate`], [`snapshot`] (a run's figures: exported, compared, plotted), and [`tasks`]
//!    (the features the engine runs on request).
//! 5. Front ends: [`cli`], [`headless`], [`tui`] with [`app`] (state) and [`ui`] (drawing),
//!    [`stream`] (recorded runs to replay), and [`custom`] (your own models as a suite, with
//!    the TUI and `bench` on them).

pub mod app;
pub mod arch;
pub mod backend;
pub mod cli;
pub mod cost;
pub mod custom;
pub mod document;
pub mod engine;
pub mod error;
pub mod generate;
pub mod headless;
pub mod measured;
pub mod memory;
pub mod pipeline;
pub mod report;
pub mod roofline;
pub mod signals;
pub mod snapshot;
pub mod spec;
pub mod stream;
pub mod sweep;
pub mod tasks;
pub mod timing;
pub mod traced;
pub mod train;
pub mod tui;
pub mod ui;
pub mod units;
pub mod vision;
pub mod zoo;
