//! Tables and documents made from a suite's figures, for the terminal, Markdown, CSV and JSON.

mod checkpoint;
mod compare;
mod models;
mod modules;
mod onnx;
mod ops;
mod ranks;
mod table;

pub use checkpoint::{ArchitectureCount, CheckpointDocument};
pub use compare::{Compared, compare_table, pair, with_traced_rates};
pub use models::{
    ModelsDocument, ModelsReport, NOT_BUILT_IN, VariantCost, analytic_table, rows_of_traced,
};
pub use modules::{ModuleRow, ModuleTimes, ModuleTraced, ModulesDocument, VariantModules, share};
pub use onnx::OnnxDocument;
pub use ops::{OpsDocument, kinds_table};
pub use ranks::{
    Estimate, MIN_TAU_N, RANKED, Ranks, compare_within_noise, kendall_tau_b,
    kendall_tau_b_within_noise, noise_ties, on_cost_side, rank, rank_within_noise, shared,
};
pub use table::{Better, Cell, IndicatorTable, Row, Source};
