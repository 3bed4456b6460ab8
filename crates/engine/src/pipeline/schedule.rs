//! Pipeline schedules simulated from per-stage latencies: GPipe (all forwards, then all
//! backwards) and 1F1B (PipeDream-Flush: after a warm-up, one forward then one backward). The
//! simulation is event-exact: every pass starts when its stage is free and its input is ready.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Schedule {
    GPipe,
    #[serde(rename = "1f1b")]
    OneFOneB,
}

impl Schedule {
    pub const ALL: [Schedule; 2] = [Schedule::GPipe, Schedule::OneFOneB];

    pub fn name(&self) -> &'static str {
        match self {
            Schedule::GPipe => "GPipe",
            Schedule::OneFOneB => "1F1B",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Pass {
    Forward,
    Backward,
}

/// One pass of one micro-batch on one stage.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Slot {
    pub stage: usize,
    pub micro: usize,
    pub pass: Pass,
    pub start_s: f64,
    pub end_s: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Timeline {
    pub schedule: Schedule,
    pub stages: usize,
    pub micro_batches: usize,
    /// In the order each stage runs them.
    pub slots: Vec<Slot>,
    /// From the first pass's start to the last pass's end.
    pub step_s: f64,
    /// Seconds each stage computes.
    pub busy_s: Vec<f64>,
    /// Share of stage-time idle: 1 - sum(busy) / (stages * step).
    pub bubble_fraction: f64,
    /// Most micro-batches whose activations a stage holds at once (forward done, backward not):
    /// the activation memory a schedule costs.
    pub peak_in_flight: Vec<usize>,
}

/// The textbook bubble of equal stages: (p - 1) / (m + p - 1).
pub fn textbook_bubble(stages: usize, micro_batches: usize) -> f64 {
    (stages as f64 - 1.0) / (micro_batches + stages - 1) as f64
}

/// The order a stage runs its passes in.
fn order(
    schedule: Schedule,
    stage: usize,
    stages: usize,
    m: usize,
    training: bool,
) -> Vec<(usize, Pass)> {
    let forwards = (0..m).map(|i| (i, Pass::Forward));
    if !training {
        return forwards.collect();
    }
    match schedule {
        Schedule::GPipe => forwards
            .chain((0..m).rev().map(|i| (i, Pass::Backward)))
            .collect(),
        Schedule::OneFOneB => {
            let warmup = (stages - stage - 1).min(m);
            let mut passes: Vec<(usize, Pass)> = (0..warmup).map(|i| (i, Pass::Forward)).collect();
            for i in 0..m - warmup {
                passes.push((warmup + i, Pass::Forward));
                passes.push((i, Pass::Backward));
            }
            passes.extend((m - warmup..m).map(|i| (i, Pass::Backward)));
            passes
        }
    }
}

/// Simulates one training (or, without `backward`, inference) step of `m` micro-batches over
/// stages whose forward (and backward) take the given seconds per micro-batch.
///
/// Panics when the latencies are empty, of different lengths, or `m` is 0.
pub fn simulate(
    forward_s: &[f64],
    backward_s: Option<&[f64]>,
    micro_batches: usize,
    schedule: Schedule,
) -> Timeline {
    let p = forward_s.len();
    assert!(
        p > 0 && micro_batches > 0,
        "a pipeline needs stages and micro-batches"
    );
    if let Some(b) = backward_s {
        assert_eq!(b.len(), p, "one backward latency per stage");
    }
    let m = micro_batches;
    let training = backward_s.is_some();
    let orders: Vec<Vec<(usize, Pass)>> =
        (0..p).map(|s| order(schedule, s, p, m, training)).collect();
    // end[pass][stage][micro]
    let mut fwd_end = vec![vec![None::<f64>; m]; p];
    let mut bwd_end = vec![vec![None::<f64>; m]; p];
    let mut next = vec![0usize; p];
    let mut free = vec![0.0f64; p];
    let mut slots = Vec::new();
    let total: usize = orders.iter().map(Vec::len).sum();
    while slots.len() < total {
        let mut progressed = false;
        for s in 0..p {
            while let Some(&(i, pass)) = orders[s].get(next[s]) {
                let ready = match pass {
                    Pass::Forward if s == 0 => Some(0.0),
                    Pass::Forward => fwd_end[s - 1][i],
                    Pass::Backward if s == p - 1 => fwd_end[s][i],
                    Pass::Backward => bwd_end[s + 1][i],
                };
                let Some(ready) = ready else { break };
                let start = ready.max(free[s]);
                let (end, ends) = match pass {
                    Pass::Forward => (start + forward_s[s], &mut fwd_end),
                    Pass::Backward => (start + backward_s.expect("training")[s], &mut bwd_end),
                };
                ends[s][i] = Some(end);
                free[s] = end;
                slots.push(Slot {
                    stage: s,
                    micro: i,
                    pass,
                    start_s: start,
                    end_s: end,
                });
                next[s] += 1;
                progressed = true;
            }
        }
        assert!(
            progressed,
            "the schedule deadlocked: a bug in its pass order"
        );
    }
    let step_s = slots.iter().map(|s| s.end_s).fold(0.0, f64::max);
    let busy_s: Vec<f64> = (0..p)
        .map(|s| {
            slots
                .iter()
                .filter(|x| x.stage == s)
                .map(|x| x.end_s - x.start_s)
                .sum()
        })
        .collect();
    let bubble_fraction = if step_s > 0.0 {
        1.0 - busy_s.iter().sum::<f64>() / (p as f64 * step_s)
    } else {
        0.0
    };
    let peak_in_flight = (0..p)
        .map(|s| {
            let (mut now, mut peak) = (0usize, 0usize);
            for (_, pass) in &orders[s] {
                match pass {
                    Pass::Forward => {
                        now += 1;
                        peak = peak.max(now);
                    }
                    Pass::Backward => now -= 1,
                }
            }
            if training { peak } else { 1 }
        })
        .collect();
    slots.sort_by(|a, b| {
        (a.stage, a.start_s)
            .partial_cmp(&(b.stage, b.start_s))
            .expect("finite times")
    });
    Timeline {
        schedule,
        stages: p,
        micro_batches: m,
        slots,
        step_s,
        busy_s,
        bubble_fraction,
        peak_in_flight,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn equal_stages_match_the_textbook_bubble() {
        for p in 1..=6 {
            for m in 1..=12 {
                let f = vec![1.0; p];
                let b = vec![2.0; p];
                let want = textbook_bubble(p, m);
                let inference = simulate(&f, None, m, Schedule::GPipe);
                assert!(close(inference.bubble_fraction, want), "p{p} m{m}");
                assert!(close(inference.step_s, (m + p - 1) as f64));
                for schedule in Schedule::ALL {
                    let t = simulate(&f, Some(&b), m, schedule);
                    assert!(
                        close(t.bubble_fraction, want),
                        "{schedule:?} p{p} m{m}: {}",
                        t.bubble_fraction
                    );
                    assert!(
                        close(t.step_s, 3.0 * (m + p - 1) as f64),
                        "{schedule:?} p{p} m{m}"
                    );
                }
            }
        }
    }

    #[test]
    fn one_f_one_b_holds_fewer_activations_than_gpipe() {
        let (f, b) = (vec![1.0; 4], vec![2.0; 4]);
        let gpipe = simulate(&f, Some(&b), 8, Schedule::GPipe);
        let ofob = simulate(&f, Some(&b), 8, Schedule::OneFOneB);
        assert_eq!(gpipe.peak_in_flight, [8, 8, 8, 8]);
        assert_eq!(ofob.peak_in_flight, [4, 3, 2, 1]);
    }

    #[test]
    fn unequal_stages_by_hand() {
        // Inference, stages of 1 s and 3 s, 3 micro-batches. Stage 0 runs at 0, 1, 2; stage 1
        // waits for each and for itself: 1-4, 4-7, 7-10. Busy 3 + 9 of 2 x 10: bubble 0.4.
        let t = simulate(&[1.0, 3.0], None, 3, Schedule::GPipe);
        let stage1: Vec<(f64, f64)> = t
            .slots
            .iter()
            .filter(|s| s.stage == 1)
            .map(|s| (s.start_s, s.end_s))
            .collect();
        assert_eq!(stage1, [(1.0, 4.0), (4.0, 7.0), (7.0, 10.0)]);
        assert!(close(t.step_s, 10.0));
        assert!(close(t.bubble_fraction, 1.0 - 12.0 / 20.0));

        // Training, GPipe, forward 1 / 2, backward 2 / 4, 2 micro-batches.
        // s0 F0 0-1, F1 1-2; s1 F0 1-3, F1 3-5; s1 B1 5-9, B0 9-13; s0 B1 9-11, B0 13-15.
        let t = simulate(&[1.0, 2.0], Some(&[2.0, 4.0]), 2, Schedule::GPipe);
        let all: Vec<(usize, usize, Pass, f64, f64)> = t
            .slots
            .iter()
            .map(|s| (s.stage, s.micro, s.pass, s.start_s, s.end_s))
            .collect();
        use Pass::*;
        assert_eq!(
            all,
            [
                (0, 0, Forward, 0.0, 1.0),
                (0, 1, Forward, 1.0, 2.0),
                (0, 1, Backward, 9.0, 11.0),
                (0, 0, Backward, 13.0, 15.0),
                (1, 0, Forward, 1.0, 3.0),
                (1, 1, Forward, 3.0, 5.0),
                (1, 1, Backward, 5.0, 9.0),
                (1, 0, Backward, 9.0, 13.0),
            ]
        );
        assert!(close(t.step_s, 15.0));
        assert_eq!(t.busy_s, [6.0, 12.0]);
        assert!(close(t.bubble_fraction, 1.0 - 18.0 / 30.0));

        // The same with 1F1B: s1 has no warm-up (F0, B0, F1, B1), s0 one forward first.
        // s0 F0 0-1, F1 1-2; s1 F0 1-3, B0 3-7, F1 7-9, B1 9-13; s0 B0 7-9, B1 13-15.
        let t = simulate(&[1.0, 2.0], Some(&[2.0, 4.0]), 2, Schedule::OneFOneB);
        let s1: Vec<(usize, Pass, f64)> = t
            .slots
            .iter()
            .filter(|s| s.stage == 1)
            .map(|s| (s.micro, s.pass, s.start_s))
            .collect();
        assert_eq!(
            s1,
            [
                (0, Forward, 1.0),
                (0, Backward, 3.0),
                (1, Forward, 7.0),
                (1, Backward, 9.0)
            ]
        );
        assert!(close(t.step_s, 15.0));
    }
}
