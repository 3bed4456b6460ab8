//! Pipeline figures of measured stages: for each number of micro-batches and schedule, the step
//! time, bubble (simulated beside the textbook figure), throughput and activations in flight.

use comfy_table::CellAlignment;
use serde::{Deserialize, Serialize};

use super::{Schedule, StageLatencies, Timeline, simulate, textbook_bubble};
use crate::units;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Forward passes only.
    Inference,
    /// Forward and backward passes of a training step.
    Training,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PipelinePoint {
    pub mode: Mode,
    pub schedule: Schedule,
    pub micro_batches: usize,
    pub step_s: f64,
    pub bubble_fraction: f64,
    /// (p - 1) / (m + p - 1), what equal stages would give.
    pub textbook_bubble: f64,
    /// Sequences per second: micro-batches x micro-batch size / step time.
    pub samples_per_s: f64,
    /// The most micro-batches any stage holds activations for.
    pub peak_in_flight: usize,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PipelineReport {
    pub stages: StageLatencies,
    pub points: Vec<PipelinePoint>,
    /// The micro-batches per step the timelines are drawn for (the TUI's setting).
    pub drawn_micro_batches: usize,
}

impl PipelineReport {
    pub fn new(stages: StageLatencies, micro_batches: &[usize]) -> Self {
        let mut points = Vec::new();
        for &m in micro_batches {
            points.push(point(&stages, Mode::Inference, Schedule::GPipe, m));
            if stages.backward_s.is_some() {
                for schedule in Schedule::ALL {
                    points.push(point(&stages, Mode::Training, schedule, m));
                }
            }
        }
        Self {
            stages,
            points,
            drawn_micro_batches: micro_batches.first().copied().unwrap_or(1),
        }
    }

    /// The timeline a point was computed from.
    pub fn timeline(
        &self,
        mode: Mode,
        schedule: Schedule,
        micro_batches: usize,
    ) -> Option<Timeline> {
        timeline(&self.stages, mode, schedule, micro_batches)
    }
}

fn timeline(s: &StageLatencies, mode: Mode, schedule: Schedule, m: usize) -> Option<Timeline> {
    match mode {
        Mode::Inference => Some(simulate(&s.forward_s, None, m, schedule)),
        Mode::Training => Some(simulate(
            s.train_forward_s.as_deref()?,
            Some(s.backward_s.as_deref()?),
            m,
            schedule,
        )),
    }
}

fn point(s: &StageLatencies, mode: Mode, schedule: Schedule, m: usize) -> PipelinePoint {
    let t = timeline(s, mode, schedule, m).expect("asked only for measured modes");
    PipelinePoint {
        mode,
        schedule,
        micro_batches: m,
        step_s: t.step_s,
        bubble_fraction: t.bubble_fraction,
        textbook_bubble: textbook_bubble(t.stages, m),
        samples_per_s: (m * s.micro_batch) as f64 / t.step_s,
        peak_in_flight: t.peak_in_flight.iter().copied().max().unwrap_or(0),
    }
}

/// Stage latencies in one line: `f 1.2/1.3 ms, b 2.5/2.4 ms`.
pub fn stage_line(s: &StageLatencies) -> String {
    let list = |v: &[f64]| {
        v.iter()
            .map(|x| units::seconds(*x))
            .collect::<Vec<_>>()
            .join(" / ")
    };
    let layers = s
        .layers
        .iter()
        .map(|r| format!("{}-{}", r.start, r.end - 1))
        .collect::<Vec<_>>()
        .join(", ");
    let mut line = format!(
        "{} on {}: {} stages (layers {layers}), micro-batch {}; forward {}",
        s.variant,
        s.backend,
        s.layers.len(),
        s.micro_batch,
        list(&s.forward_s)
    );
    match (&s.train_forward_s, &s.backward_s, &s.backward_na) {
        (Some(f), Some(b), _) => line.push_str(&format!(
            "; training forward {}, backward {}",
            list(f),
            list(b)
        )),
        (_, _, Some(why)) => line.push_str(&format!("; training n/a: {why}")),
        _ => {}
    }
    line
}

fn header() -> Vec<&'static str> {
    vec![
        "variant",
        "stages",
        "mode",
        "schedule",
        "micro-batches",
        "step",
        "bubble",
        "textbook",
        "samples/s",
        "in flight",
    ]
}

fn cells(r: &PipelineReport, p: &PipelinePoint) -> Vec<String> {
    vec![
        r.stages.variant.clone(),
        r.stages.layers.len().to_string(),
        format!("{:?}", p.mode).to_lowercase(),
        p.schedule.name().to_owned(),
        p.micro_batches.to_string(),
        units::seconds(p.step_s),
        format!("{:.1}%", 100.0 * p.bubble_fraction),
        format!("{:.1}%", 100.0 * p.textbook_bubble),
        units::si(p.samples_per_s),
        p.peak_in_flight.to_string(),
    ]
}

pub fn to_text(reports: &[PipelineReport], width: Option<u16>) -> String {
    let mut table = crate::document::text_table(false, header());
    if let Some(w) = width {
        table.set_width(w);
    }
    for r in reports {
        for p in &r.points {
            table.add_row(cells(r, p));
        }
    }
    for column in table.column_iter_mut().skip(4) {
        column.set_cell_alignment(CellAlignment::Right);
    }
    let legend = "bubble: idle share of stage-time, simulated from the measured stages; textbook: (p - 1) / (m + p - 1) for equal stages\nin flight: micro-batches whose activations one stage holds at once";
    let stages: Vec<String> = reports.iter().map(|r| stage_line(&r.stages)).collect();
    crate::document::table_with_notes(&table, Some(legend), &stages, false)
}

pub fn to_markdown(reports: &[PipelineReport]) -> String {
    let mut table = crate::document::text_table(true, header());
    for r in reports {
        for p in &r.points {
            table.add_row(cells(r, p));
        }
    }
    let stages: Vec<String> = reports.iter().map(|r| stage_line(&r.stages)).collect();
    crate::document::table_with_notes(&table, None, &stages, true)
}

pub fn to_csv(reports: &[PipelineReport]) -> Result<String, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "variant",
        "stages",
        "mode",
        "schedule",
        "micro_batches",
        "step_s",
        "bubble_fraction",
        "textbook_bubble",
        "samples_per_s",
        "peak_in_flight",
    ])?;
    for r in reports {
        for p in &r.points {
            w.write_record([
                r.stages.variant.clone(),
                r.stages.layers.len().to_string(),
                format!("{:?}", p.mode).to_lowercase(),
                p.schedule.name().to_owned(),
                p.micro_batches.to_string(),
                crate::document::format_number(p.step_s),
                crate::document::format_number(p.bubble_fraction),
                crate::document::format_number(p.textbook_bubble),
                crate::document::format_number(p.samples_per_s),
                p.peak_in_flight.to_string(),
            ])?;
        }
    }
    crate::document::csv_text(w)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::Backend;

    fn stages() -> StageLatencies {
        StageLatencies {
            variant: "v".into(),
            backend: Backend::Ndarray,
            micro_batch: 2,
            layers: vec![0..2, 2..4],
            forward_s: vec![0.001, 0.001],
            train_forward_s: Some(vec![0.001, 0.001]),
            backward_s: Some(vec![0.002, 0.002]),
            backward_na: None,
        }
    }

    #[test]
    fn points_follow_the_simulation() {
        let r = PipelineReport::new(stages(), &[1, 4]);
        assert_eq!(r.points.len(), 6);
        let p = &r.points[3]; // m = 4, inference
        assert_eq!((p.mode, p.micro_batches), (Mode::Inference, 4));
        // Equal stages: step (m + p - 1) x 1 ms, bubble 1/5, 8 sequences per step.
        assert!((p.step_s - 0.005).abs() < 1e-12);
        assert!((p.bubble_fraction - 0.2).abs() < 1e-12);
        assert!((p.samples_per_s - 8.0 / 0.005).abs() < 1e-6);
        let ofob = &r.points[5];
        assert_eq!(
            (ofob.schedule, ofob.peak_in_flight),
            (Schedule::OneFOneB, 2)
        );
        assert_eq!(r.points[4].peak_in_flight, 4);
    }
}

/// What `effprof pipeline` writes: every variant's stages on one backend, and the variants or
/// stage counts it skipped, with why.
#[derive(Clone, Debug)]
pub struct PipelineRun {
    pub backend: crate::backend::Backend,
    pub reports: Vec<PipelineReport>,
    pub skipped: Vec<String>,
}

impl crate::document::Document for PipelineRun {
    fn text(&self) -> String {
        crate::document::with_lines(to_text(&self.reports, None), &self.skipped)
    }
    fn markdown(&self) -> String {
        crate::document::with_lines(to_markdown(&self.reports), &self.skipped)
    }
    fn csv(&self) -> Result<String, csv::Error> {
        to_csv(&self.reports)
    }
    fn json(&self, suite: &str) -> Result<String, serde_json::Error> {
        crate::document::envelope(
            "effprof.pipeline/1",
            suite,
            [
                ("backend", serde_json::to_value(self.backend)?),
                ("reports", serde_json::to_value(&self.reports)?),
                ("skipped", serde_json::to_value(&self.skipped)?),
            ],
        )
    }
}
