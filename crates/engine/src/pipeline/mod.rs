//! Pipeline parallelism's cost: a variant's layers split into stages, each stage's latency
//! measured, and GPipe and 1F1B steps simulated from them (bubble, step time, throughput).

mod measure;
mod plot;
mod report;
mod schedule;

pub use measure::{StageLatencies, measure_stages, split_layers};
pub use plot::pipeline_svg;
pub use report::{
    Mode, PipelinePoint, PipelineReport, PipelineRun, stage_line, to_csv, to_markdown, to_text,
};
pub use schedule::{Pass, Schedule, Slot, Timeline, simulate, textbook_bubble};

/// The most micro-batches per step effprof simulates: a timeline holds a slot per stage,
/// micro-batch and pass, so an unbounded count is an unbounded allocation.
pub const MAX_MICRO_BATCHES: usize = 1024;
