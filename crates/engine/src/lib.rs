//! effprof's engine: everything that builds, runs, records or measures a model with burn, and
//! the features' reports. It knows nothing of a terminal.
//!
//! The modules form layers. Each imports only from its own layer or those below, with no
//! cycle between modules:
//!
//! 1. Plain data and helpers: [`measured`] (what a run found), [`backend`] (the backends and
//!    opening their devices), [`document`] (tables and CSV), [`memory`], [`signals`]; below
//!    them the model crate ([`arch`], [`vision`], [`spec`], [`cost`], [`units`]), re-exported.
//! 2. Models: [`zoo`] (burn models, yours among them), [`traced`] (counts from the recorded
//!    graph), [`onnx`] (ONNX files, counted by the same conventions), [`error`], [`timing`].
//! 3. [`engine`]: the measuring thread. It runs the features' measurements as tasks without
//!    knowing them.
//! 4. Features: [`report`] (indicator tables), [`sweep`], [`pipeline`], [`roofline`],
//!    [`train`], [`generate`], [`snapshot`] (a run's figures: exported, compared, plotted), and
//!    [`tasks`] (the features the engine runs on request).

pub use effprof_model::{arch, checkpoint, cost, family, numerics, precision, spec, units, vision};

pub mod backend;
pub mod document;
pub mod engine;
pub mod error;
pub mod generate;
pub mod measured;
pub mod memory;
pub mod onnx;
pub mod pipeline;
pub mod report;
pub mod roofline;
pub mod signals;
pub mod snapshot;
pub mod sweep;
pub mod tasks;
pub mod timing;
pub mod traced;
pub mod train;
pub mod zoo;
