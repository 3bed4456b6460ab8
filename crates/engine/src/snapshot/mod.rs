//! A snapshot: everything needed to reproduce and judge a comparison later, on paper or on
//! another machine. The JSON document is the source of truth; CSV, Markdown, SVG and the text
//! screen are rendered from it (see [`export`]). `effprof bench --format json` prints one.

mod diff;
mod export;
mod host;
mod load;
mod plot;
pub mod time;

pub use diff::{CountChange, Diff, DiffRow, JUDGED, Judgement, Test};
pub use export::{
    ExportError, FILES, PIPELINE_FILE, ROOFLINE_FILE, SWEEP_FILE, TRAIN_FILE, render_set, write_set,
};
pub use host::Host;
pub use load::SnapshotError;
pub use plot::{relative_svg, scatter_svg};

use std::collections::BTreeMap;
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use crate::cost::CONVENTIONS;
use crate::measured::{RunHeader, Summary, VariantSummary};
use crate::report::{
    Compared, IndicatorTable, ModelsReport, Ranks, VariantCost, compare_table, pair,
};
use crate::spec::Suite;

/// The schema this effprof writes, and the newest it reads.
/// Version 2 added generation (decoders' suites, the Generate view); version 3 the latency
/// figures' confidence intervals and outlier counts; version 4 the generation latencies'
/// intervals and the ranks tied within noise. Older documents read as they are, every later
/// field being optional.
pub const SCHEMA: &str = "effprof.snapshot/4";
pub const SCHEMA_NAME: &str = "effprof.snapshot";
pub const SCHEMA_VERSION: u32 = 4;

/// The burn release effprof is built with (a test checks it against Cargo.lock).
pub const BURN_VERSION: &str = "0.22.1";

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SnapshotVariant {
    /// Family, resolved dimensions, match outcome, totals and the per-layer breakdown.
    #[serde(flatten)]
    pub analytic: VariantCost,
    pub measured: VariantSummary,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Snapshot {
    pub schema: String,
    pub effprof_version: String,
    pub burn_version: String,
    /// When the figures were taken, RFC 3339 UTC.
    pub created_utc: String,
    pub host: Host,
    pub conventions: BTreeMap<String, String>,
    /// The suite at the measured batch, every variant's dimensions resolved.
    pub suite: Suite,
    /// The run's backend, batch and machine figures, as the summary gave them.
    #[serde(flatten)]
    pub run: RunHeader,
    /// Baseline first, then the suite's order.
    pub variants: Vec<SnapshotVariant>,
    /// Each variant's rank under the usual cost indicators, and Kendall's tau between them.
    pub ranks: Ranks,
    /// The focused variant's pipeline stages and schedules, when they were measured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pipeline: Option<crate::pipeline::PipelineReport>,
    /// Every variant across batch sizes, when a sweep ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sweep: Option<crate::sweep::SweepReport>,
    /// The focused variant's parts timed alone, when the Roofline view measured them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parts: Option<crate::roofline::PartsReport>,
    /// Time to convergence of every variant trained (Train view, `t`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub training: Option<Vec<crate::train::TrainRun>>,
    /// Every decoder's generation measured (Generate view, `g`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generation: Option<Vec<crate::generate::GenerationRun>>,
}

impl Snapshot {
    /// Joins the analytic figures (at the measured batch) with the engine's last summary.
    pub fn new(
        suite: &Suite,
        summary: &Summary,
        host: Host,
        created: SystemTime,
    ) -> Result<Self, crate::cost::CountError> {
        let at_batch = suite.at_batch(summary.run.batch);
        let models = ModelsReport::new(&at_batch)?;
        let variants = pair(&models.variants, summary)
            .into_iter()
            .map(|c| SnapshotVariant {
                analytic: c.analytic.clone(),
                measured: c.measured.clone(),
            })
            .collect();
        let mut snapshot = Self {
            schema: SCHEMA.to_owned(),
            effprof_version: env!("CARGO_PKG_VERSION").to_owned(),
            burn_version: BURN_VERSION.to_owned(),
            created_utc: time::rfc3339(created),
            host,
            conventions: CONVENTIONS
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            suite: at_batch,
            run: summary.run.clone(),
            variants,
            ranks: Ranks::default(),
            pipeline: None,
            sweep: None,
            parts: None,
            training: None,
            generation: None,
        };
        snapshot.ranks = Ranks::from_table(&snapshot.table());
        Ok(snapshot)
    }

    /// Records and counts every variant's forward pass at the snapshot's batch (the traced
    /// rows), each built within `memory_limit` bytes, and ranks again with them.
    pub fn add_traced(&mut self, memory_limit: u64) {
        for v in &mut self.variants {
            if let Some(variant) = self.suite.variant(&v.analytic.name) {
                v.analytic.traced = Some(crate::traced::trace(
                    variant,
                    &self.suite.workload,
                    memory_limit,
                ));
            }
        }
        self.ranks = Ranks::from_table(&self.table());
    }

    /// The side-by-side table of its figures: analytic rows, then measured ones.
    pub fn table(&self) -> IndicatorTable {
        let mut table = compare_table(&self.suite, &self.compared(), &self.run);
        if let Some(runs) = &self.generation {
            let rows = crate::generate::measured_rows(&table.columns, runs);
            table.rows.extend(rows);
        }
        table
    }

    fn compared(&self) -> Vec<Compared<'_>> {
        self.variants
            .iter()
            .map(|v| Compared {
                analytic: &v.analytic,
                measured: &v.measured,
            })
            .collect()
    }

    /// `misnomer-wgpu-cpu-20261128T142233Z`: the folder an export goes into.
    pub fn stem(&self) -> String {
        let stamp: String = self
            .created_utc
            .chars()
            .filter(|c| !matches!(c, '-' | ':'))
            .collect();
        format!(
            "{}-{}-{stamp}",
            safe_name(&self.suite.name),
            safe_name(&self.run.backend.to_string())
        )
    }

    /// Every measured variant on the backend's roofline (analytic intensity, measured FLOP/s),
    /// and the measured parts; None before the peaks are measured.
    pub fn roofline(&self) -> Option<crate::roofline::Roofline> {
        let parts = self
            .parts
            .as_ref()
            .filter(|p| p.backend == self.run.backend);
        Some(crate::roofline::Roofline::of_models(
            self.run.backend,
            self.run.peaks?,
            &self.compared(),
            parts,
        ))
    }

    /// One line saying where and when: backend, adapter, host, versions.
    pub fn provenance(&self) -> String {
        format!(
            "{} on {} ({}); host {}; effprof {}, burn {}; {}",
            self.run.backend,
            self.run.adapter,
            self.run.driver,
            self.host.describe(),
            self.effprof_version,
            self.burn_version,
            self.created_utc
        )
    }
}

/// Letters, digits, `_` and `.` kept; anything else becomes `-`.
fn safe_name(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '.' {
                c
            } else {
                '-'
            }
        })
        .collect()
}
