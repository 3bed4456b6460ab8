//! The measurements the engine runs on request, one per feature: the focused variant's
//! pipeline stages, its parts for the roofline, and training runs. A feature that measures on
//! the engine's device joins by adding its request and its reports here.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, Instant};

use crate::arch::{Variant, Workload};
use crate::backend::Backend;
use crate::engine::{EngineCmd, EngineEvent, EngineHandle, Task, TaskContext};
use crate::error::{EngineError, MeasureError};
use crate::generate::{GenerateOptions, GenerationRun};
use crate::pipeline::StageLatencies;
use crate::roofline::PartsReport;
use crate::train::{TrainConfig, TrainRun};

#[derive(Clone, Debug, PartialEq)]
pub enum Request {
    /// Split the focused variant into this many pipeline stages and measure each.
    Stages(usize),
    /// Time each part of the focused variant alone (for the roofline).
    Parts,
    /// Train every variant in turn on the suite's task to its default target.
    Train,
    /// Generate with every variant of a generation suite in turn: prefill, then decode.
    Generate,
}

#[derive(Clone, Debug)]
pub enum Report {
    /// The focused variant's pipeline stages, measured.
    Stages(Box<StageLatencies>),
    /// The focused variant's parts, timed alone.
    Parts(Box<PartsReport>),
    /// Training steps since the last report: (step, smoothed loss) of `variant`.
    TrainProgress {
        variant: String,
        points: Vec<(usize, f64)>,
    },
    /// A variant's training run ended (reached, out of budget, or could not run).
    Trained(Box<Result<TrainRun, VariantFailure>>),
    /// A variant's generation was measured, or could not be.
    Generated(Box<Result<GenerationRun, VariantFailure>>),
}

/// A variant that a task running every variant in turn could not measure, and why.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("{variant}: {error}")]
pub struct VariantFailure {
    pub variant: String,
    pub error: MeasureError,
}

/// The engine as the terminal UI runs it, with these tasks.
pub type Engine = EngineHandle<Request>;
pub type Command = EngineCmd<Request>;
pub type Event = EngineEvent<Report>;

/// Timing per pipeline stage and pass, and per part.
const STAGE_BUDGET: Duration = Duration::from_millis(250);

impl Task for Request {
    type Report = Report;

    fn run(&self, ctx: &mut TaskContext<'_, Report>) {
        match *self {
            Request::Stages(stages) => on_focused(
                ctx,
                |name| format!("measuring {name} in {stages} pipeline stages"),
                "pipeline stages",
                |variant, workload, backend, limit| {
                    crate::pipeline::measure_stages(
                        variant,
                        workload,
                        backend,
                        stages,
                        limit,
                        STAGE_BUDGET,
                    )
                },
                |latencies| Report::Stages(Box::new(latencies)),
            ),
            Request::Parts => on_focused(
                ctx,
                |name| format!("timing the parts of {name}"),
                "parts",
                |variant, workload, backend, limit| {
                    crate::roofline::measure_parts(variant, workload, backend, limit, STAGE_BUDGET)
                },
                |parts| Report::Parts(Box::new(parts)),
            ),
            Request::Train => train_all(ctx),
            Request::Generate => generate_all(ctx),
        }
    }
}

/// Runs `work` on the focused variant with `label` shown as the work under way; reports its
/// result, or its failure (a panic included) as an error about `what`.
fn on_focused<T>(
    ctx: &mut TaskContext<'_, Report>,
    label: impl Fn(&str) -> String,
    what: &str,
    work: impl FnOnce(&Variant, &Workload, Backend, u64) -> Result<T, MeasureError>,
    report: impl FnOnce(T) -> Report,
) {
    let Some(variant) = ctx.focused.clone() else {
        return;
    };
    ctx.busy(label(&variant.name));
    let (workload, backend, limit) = (ctx.workload.clone(), ctx.backend, ctx.memory_limit);
    let result = catch_unwind(AssertUnwindSafe(|| {
        work(&variant, &workload, backend, limit)
    }))
    .unwrap_or_else(|p| Err(MeasureError::panicked(backend, &p)));
    match result {
        Ok(value) => ctx.report(report(value)),
        Err(error) => ctx.error(EngineError::Task {
            what: what.to_owned(),
            variant: variant.name.clone(),
            backend,
            error,
        }),
    }
}

/// Trains every variant in turn, reporting progress at most every summary interval and
/// reading commands between reports (a stop ends the run at once).
fn train_all(ctx: &mut TaskContext<'_, Report>) {
    let (workload, backend, limit) = (ctx.workload.clone(), ctx.backend, ctx.memory_limit);
    let every = ctx.report_every;
    let config = TrainConfig::default();
    for variant in ctx.variants.clone() {
        if !ctx.carry_on() {
            break;
        }
        ctx.busy(format!("training {}", variant.name));
        let mut pending: Vec<(usize, f64)> = Vec::new();
        let mut last = Instant::now();
        let name = variant.name.clone();
        let result = catch_unwind(AssertUnwindSafe(|| {
            crate::train::train_until(
                &variant,
                &workload,
                backend,
                limit,
                &config,
                |step, _, smoothed| {
                    pending.push((step, smoothed));
                    if last.elapsed() < every {
                        return true;
                    }
                    last = Instant::now();
                    ctx.busy(format!("training {name}: step {step}, loss {smoothed:.3}"));
                    ctx.report(Report::TrainProgress {
                        variant: name.clone(),
                        points: std::mem::take(&mut pending),
                    });
                    ctx.carry_on()
                },
            )
        }))
        .unwrap_or_else(|p| Err(MeasureError::panicked(backend, &p)));
        if !pending.is_empty() {
            ctx.report(Report::TrainProgress {
                variant: variant.name.clone(),
                points: pending,
            });
        }
        ctx.report(Report::Trained(Box::new(result.map_err(|error| {
            VariantFailure {
                variant: variant.name.clone(),
                error,
            }
        }))));
    }
}

/// Timed generation requests per variant from the TUI, after the warm-up one.
const GENERATE_REQUESTS: usize = 3;

/// Measures every variant's generation in turn, reading commands between requests (a stop ends
/// the run at once).
fn generate_all(ctx: &mut TaskContext<'_, Report>) {
    let (workload, backend) = (ctx.workload.clone(), ctx.backend);
    let options = GenerateOptions {
        requests: GENERATE_REQUESTS,
        memory_limit: ctx.memory_limit,
    };
    for variant in ctx.variants.clone() {
        if !ctx.carry_on() {
            break;
        }
        let name = variant.name.clone();
        ctx.busy(format!("generating with {name}"));
        let mut stopped = false;
        let result = catch_unwind(AssertUnwindSafe(|| {
            crate::generate::measure_generation(
                &variant,
                &workload,
                backend,
                options,
                |done, of| {
                    let what = if done == 0 { "warming up" } else { "request" };
                    ctx.busy(format!(
                        "generating with {name}: {what} {}/{of}",
                        (done + 1).min(of)
                    ));
                    stopped = !ctx.carry_on();
                    !stopped
                },
            )
        }))
        .unwrap_or_else(|p| Err(MeasureError::panicked(backend, &p)));
        if stopped {
            break;
        }
        ctx.report(Report::Generated(Box::new(result.map_err(|error| {
            VariantFailure {
                variant: name,
                error,
            }
        }))));
    }
}
