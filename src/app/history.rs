//! What the charts draw: each variant's throughput and latency over the last minute.

use std::collections::{HashMap, VecDeque};

use crate::backend::Backend;
use crate::measured::Summary;

/// Seconds of history the charts show.
pub const WINDOW_S: f64 = 60.0;

#[derive(Clone, Debug, Default)]
pub struct Series {
    /// (elapsed seconds, throughput in the workload's unit).
    pub throughput: VecDeque<(f64, f64)>,
    /// (elapsed seconds, p50 latency in ms).
    pub latency_ms: VecDeque<(f64, f64)>,
}

/// Per variant, for the backend being measured; a backend switch starts afresh.
#[derive(Clone, Debug, Default)]
pub struct History {
    backend: Option<Backend>,
    pub series: HashMap<String, Series>,
    /// Highest throughput seen per variant, for the gauge's scale.
    pub best_throughput: HashMap<String, f64>,
    pub latest_s: f64,
}

impl History {
    pub fn record(&mut self, summary: &Summary) {
        if self.backend != Some(summary.run.backend) {
            *self = History {
                backend: Some(summary.run.backend),
                ..Default::default()
            };
        }
        let t = summary.run.elapsed_s;
        self.latest_s = t;
        for v in &summary.variants {
            let (Some(tps), Some(latency)) = (v.throughput(), v.latency) else {
                continue;
            };
            let s = self.series.entry(v.name.clone()).or_default();
            s.throughput.push_back((t, tps));
            s.latency_ms.push_back((t, latency.p50_s * 1e3));
            for q in [&mut s.throughput, &mut s.latency_ms] {
                while q.front().is_some_and(|(at, _)| *at < t - WINDOW_S) {
                    q.pop_front();
                }
            }
            let best = self.best_throughput.entry(v.name.clone()).or_insert(0.0);
            *best = best.max(tps);
        }
    }
}
