//! `effprof bench`: the engine run headless, with a progress bar on a terminal and the same
//! numbers the TUI shows, as a table, JSON, CSV, Markdown or a live JSON-lines stream.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::engine::{EngineConfig, EngineEvent, EngineHandle, Phase, Received, Summary};

/// When a headless run ends.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Stop {
    /// Measure for this long once every variant is warm.
    Duration(Duration),
    /// Measure this many iterations of every variant.
    Iterations(u64),
}

#[derive(Debug, thiserror::Error)]
pub enum HeadlessError {
    #[error("{0}")]
    Unavailable(String),
    #[error("the engine stopped without a result")]
    NoResult,
    #[error("the engine's worker ended without finishing (it may have panicked; see above)")]
    WorkerGone,
    /// Stopped by Ctrl-C, SIGTERM or SIGHUP; the figures so far, if any.
    #[error("interrupted")]
    Interrupted { last: Option<Box<Summary>> },
    #[error("cannot start the engine: {0}")]
    Spawn(#[from] std::io::Error),
    /// A remote device failed (its server went away); the figures so far, if any.
    #[error("{why}")]
    DeviceLost {
        why: String,
        last: Option<Box<Summary>>,
    },
}

/// Runs the engine until `stop`; each summary is handed to `on_summary` as it arrives (for
/// `--format jsonl`). Returns the last summary.
pub fn run(
    mut config: EngineConfig,
    stop: Stop,
    on_summary: impl FnMut(&Summary),
) -> Result<Summary, HeadlessError> {
    if let Stop::Iterations(n) = stop {
        config.iterations = Some(n);
    }
    let engine = EngineHandle::spawn(config)?;
    run_engine(engine, stop, on_summary)
}

/// [`run`] on an engine already started.
pub fn run_engine(
    engine: EngineHandle,
    stop: Stop,
    mut on_summary: impl FnMut(&Summary),
) -> Result<Summary, HeadlessError> {
    crate::signals::watch();
    let progress = progress_bar();
    let mut last: Option<Summary> = None;
    let mut measuring_since: Option<Instant> = None;
    let mut stop_sent = false;
    let mut interrupted: Option<Instant> = None;
    let mut lost: Option<String> = None;
    loop {
        if interrupted.is_none() && crate::signals::requested() {
            interrupted = Some(Instant::now());
            engine.send(crate::engine::EngineCmd::Stop);
        }
        // A worker inside a kernel compile sees `Stop` only when the call returns: give it a
        // moment to send its last figures, then leave it.
        if interrupted.is_some_and(|t| t.elapsed() >= INTERRUPT_GRACE) {
            break;
        }
        // The duration counts from the moment every variant is warm.
        if let (Some(since), Stop::Duration(d)) = (measuring_since, stop)
            && since.elapsed() >= d
            && !stop_sent
        {
            stop_sent = engine.send(crate::engine::EngineCmd::Stop);
        }
        let event = match engine.recv_timeout(Duration::from_millis(200)) {
            Received::Event(event) => event,
            Received::Nothing => continue,
            Received::Gone => {
                progress.finish_and_clear();
                return Err(HeadlessError::WorkerGone);
            }
        };
        match event {
            EngineEvent::Summary(summary) => {
                on_summary(&summary);
                let settled = summary
                    .variants
                    .iter()
                    .all(|v| matches!(v.phase, Phase::Measuring | Phase::Failed { .. }));
                if settled && measuring_since.is_none() {
                    measuring_since = Some(Instant::now());
                }
                progress.set_message(progress_message(&summary, measuring_since, stop));
                progress.tick();
                last = Some(*summary);
            }
            EngineEvent::Error(error) => {
                progress.println(format!("effprof: {error}"));
                // A remote device that failed has lost its server: nothing more will measure.
                if error.lost_remote() {
                    lost = Some(format!(
                        "the remote device failed, its connection lost ({error})"
                    ));
                    engine.send(crate::engine::EngineCmd::Stop);
                    break;
                }
            }
            EngineEvent::SweepPoint(_) => {}
            EngineEvent::Report(never) => match never {},
            EngineEvent::Unavailable {
                backend,
                reason,
                staying_on: None,
            } => {
                progress.finish_and_clear();
                return Err(HeadlessError::Unavailable(format!(
                    "{backend} is unavailable: {reason}"
                )));
            }
            EngineEvent::Unavailable {
                backend, reason, ..
            } => progress.println(format!("effprof: {backend} is unavailable: {reason}")),
            EngineEvent::Finished => break,
        }
    }
    progress.finish_and_clear();
    engine.stop();
    if let Some(why) = lost {
        return Err(HeadlessError::DeviceLost {
            why,
            last: last.map(Box::new),
        });
    }
    if interrupted.is_some() {
        return Err(HeadlessError::Interrupted {
            last: last.map(Box::new),
        });
    }
    last.ok_or(HeadlessError::NoResult)
}

/// How long an interrupted run waits for the worker's last figures.
const INTERRUPT_GRACE: Duration = Duration::from_millis(400);

/// A spinner on stderr when it is a terminal, hidden otherwise.
pub fn spinner() -> ProgressBar {
    let bar = progress_bar();
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

fn progress_bar() -> ProgressBar {
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    if !std::io::stderr().is_terminal() {
        bar.set_draw_target(ProgressDrawTarget::hidden());
    }
    bar.set_style(
        ProgressStyle::with_template("{spinner} [{elapsed_precise}] {wide_msg}")
            .expect("static template"),
    );
    bar
}

fn progress_message(summary: &Summary, measuring_since: Option<Instant>, stop: Stop) -> String {
    if let Some(work) = summary.long_work() {
        return format!("{}: {work}", summary.run.backend);
    }
    match (stop, measuring_since) {
        (Stop::Duration(d), Some(since)) => format!(
            "measuring {} variants on {}: {:.1} / {:.0} s",
            summary.variants.len(),
            summary.run.backend,
            since.elapsed().as_secs_f64().min(d.as_secs_f64()),
            d.as_secs_f64()
        ),
        (Stop::Iterations(n), _) => {
            let least = summary
                .variants
                .iter()
                .filter_map(|v| v.latency.map(|l| l.iterations))
                .min()
                .unwrap_or(0);
            format!(
                "measuring on {}: {least} / {n} iterations",
                summary.run.backend
            )
        }
        _ => format!("measuring on {}", summary.run.backend),
    }
}

/// Writes one JSON line and flushes, so a reader on the other end of a pipe sees it now.
pub fn write_json_line(out: &mut dyn Write, item: &impl serde::Serialize) -> std::io::Result<()> {
    serde_json::to_writer(&mut *out, item)?;
    out.write_all(b"\n")?;
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A worker that dies without a `Finished` used to leave the loop waiting forever.
    #[test]
    fn a_worker_that_dies_ends_the_run_with_an_error() {
        let engine = EngineHandle::spawn_worker(|_commands, _events| {
            std::thread::sleep(Duration::from_millis(50));
        })
        .unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(run_engine(engine, Stop::Iterations(1), |_| {}));
        });
        let outcome = rx
            .recv_timeout(Duration::from_secs(10))
            .expect("the run ends instead of waiting on a dead worker");
        assert!(
            matches!(outcome, Err(HeadlessError::WorkerGone)),
            "{outcome:?}"
        );
    }
}
