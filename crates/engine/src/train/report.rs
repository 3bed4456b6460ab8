//! Time to convergence written out: the runs side by side, as text, Markdown, CSV and JSON.

use super::{BRANCHING, TrainRun};
use crate::backend::Backend;
use crate::document::{Document, envelope};

/// The runs side by side: reached or not, steps, tokens, time, FLOPs to the target.
pub fn to_text(runs: &[TrainRun], markdown: bool) -> String {
    use comfy_table::CellAlignment;
    let mut table = crate::document::text_table(
        markdown,
        [
            "variant",
            "reached",
            "steps",
            "tokens",
            "wall time",
            "time / step",
            "train FLOPs",
            "best loss",
        ],
    );
    for r in runs {
        table.add_row([
            r.variant.clone(),
            if r.reached { "yes" } else { "no" }.to_owned(),
            r.steps.to_string(),
            crate::units::si(r.tokens as f64),
            crate::units::seconds(r.wall_s),
            crate::units::seconds(r.step_s),
            crate::units::flops(r.train_flops),
            format!("{:.3}", r.best_loss),
        ]);
    }
    for column in table.column_iter_mut().skip(2) {
        column.set_cell_alignment(CellAlignment::Right);
    }
    let mut out = table.to_string();
    if let Some(r) = runs.first() {
        out.push_str(&format!(
            "\ntask: next token of a random Markov chain ({BRANCHING} successors per token); loss floor {:.3} nats (its entropy rate), target {:.3} (smoothed loss); counts to the target when reached\n",
            r.floor, r.target
        ));
    }
    for r in runs {
        if let Some(note) = &r.note {
            out.push_str(&format!("{}: {note}\n", r.variant));
        }
    }
    out
}

pub fn to_csv(runs: &[TrainRun]) -> Result<String, csv::Error> {
    use crate::document::format_number;
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "variant",
        "reached",
        "steps",
        "tokens",
        "wall_s",
        "step_s",
        "train_flops",
        "best_loss",
        "floor",
        "target",
    ])?;
    for r in runs {
        w.write_record([
            r.variant.clone(),
            r.reached.to_string(),
            r.steps.to_string(),
            r.tokens.to_string(),
            format_number(r.wall_s),
            format_number(r.step_s),
            r.train_flops.to_string(),
            format_number(r.best_loss),
            format_number(r.floor),
            format_number(r.target),
        ])?;
    }
    crate::document::csv_text(w)
}

/// What `effprof train` writes: every run on one backend, the task's floor, and the variants
/// that could not train, with why.
#[derive(Clone, Debug)]
pub struct TrainDocument {
    pub backend: Backend,
    pub floor: f64,
    pub runs: Vec<TrainRun>,
    pub skipped: Vec<String>,
}

impl Document for TrainDocument {
    fn text(&self) -> String {
        crate::document::with_lines(to_text(&self.runs, false), &self.skipped)
    }
    fn markdown(&self) -> String {
        crate::document::with_lines(to_text(&self.runs, true), &self.skipped)
    }
    fn csv(&self) -> Result<String, csv::Error> {
        to_csv(&self.runs)
    }
    fn json(&self, suite: &str) -> Result<String, serde_json::Error> {
        envelope(
            "effprof.train/1",
            suite,
            [
                ("backend", serde_json::to_value(self.backend)?),
                ("floor", serde_json::to_value(self.floor)?),
                ("runs", serde_json::to_value(&self.runs)?),
                ("skipped", serde_json::to_value(&self.skipped)?),
            ],
        )
    }
}
