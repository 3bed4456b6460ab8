//! The synthetic task every variant learns: tokens from a fixed random Markov chain. Each
//! position's target is a fresh draw from the chain's transition out of that position's token,
//! so no input ever contains its target (the encoders here attend both ways) and the best
//! achievable loss is known exactly: the chain's entropy rate.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// A chain over `vocab` tokens where each token can be followed by `branching` others.
#[derive(Clone, Debug)]
pub struct MarkovChain {
    /// Per token: (next token, probability), probabilities summing to 1.
    pub successors: Vec<Vec<(usize, f64)>>,
}

impl MarkovChain {
    /// A chain drawn from `seed`: successors uniform over the vocabulary, their probabilities
    /// from normalised uniform weights.
    pub fn random(vocab: usize, branching: usize, seed: u64) -> Self {
        assert!(
            vocab >= 2 && branching >= 1,
            "a chain needs tokens to move between"
        );
        let mut rng = StdRng::seed_from_u64(seed);
        let successors = (0..vocab)
            .map(|_| {
                let mut next: Vec<usize> = Vec::new();
                while next.len() < branching.min(vocab) {
                    let t = rng.random_range(0..vocab);
                    if !next.contains(&t) {
                        next.push(t);
                    }
                }
                let weights: Vec<f64> = next.iter().map(|_| rng.random_range(0.05..1.0)).collect();
                let sum: f64 = weights.iter().sum();
                next.into_iter()
                    .zip(weights)
                    .map(|(t, w)| (t, w / sum))
                    .collect()
            })
            .collect();
        Self { successors }
    }

    pub fn vocab(&self) -> usize {
        self.successors.len()
    }

    /// The stationary distribution, by power iteration from uniform (mixed with a 1e-3 chance
    /// of a uniform jump, as sampling does, so it exists and is unique).
    pub fn stationary(&self) -> Vec<f64> {
        let v = self.vocab();
        let mut pi = vec![1.0 / v as f64; v];
        for _ in 0..10_000 {
            let mut next = vec![JUMP / v as f64; v];
            for (from, succ) in self.successors.iter().enumerate() {
                for (to, p) in succ {
                    next[*to] += (1.0 - JUMP) * pi[from] * p;
                }
            }
            let delta: f64 = next.iter().zip(&pi).map(|(a, b)| (a - b).abs()).sum();
            pi = next;
            if delta < 1e-13 {
                break;
            }
        }
        pi
    }

    /// The entropy (nats) of the next token given the current one, averaged over the
    /// stationary distribution: the loss floor of the task.
    pub fn entropy_rate(&self) -> f64 {
        let pi = self.stationary();
        self.successors
            .iter()
            .zip(&pi)
            .map(|(succ, w)| w * -succ.iter().map(|(_, p)| p * p.ln()).sum::<f64>())
            .sum()
    }

    fn step(&self, from: usize, rng: &mut StdRng) -> usize {
        let mut u: f64 = rng.random();
        for (to, p) in &self.successors[from] {
            if u < *p {
                return *to;
            }
            u -= p;
        }
        self.successors[from]
            .last()
            .expect("every token has a successor")
            .0
    }

    /// `batch` sequences of `seq_len` tokens walking the chain from stationary starts, and per
    /// position a target drawn from the transition out of that position's token; row-major.
    pub fn sample(&self, batch: usize, seq_len: usize, rng: &mut StdRng) -> (Vec<i64>, Vec<i64>) {
        let pi = self.stationary_cdf();
        let (mut inputs, mut targets) = (Vec::new(), Vec::new());
        for _ in 0..batch {
            let u: f64 = rng.random();
            let mut t = pi.iter().position(|c| u < *c).unwrap_or(self.vocab() - 1);
            for _ in 0..seq_len {
                inputs.push(t as i64);
                targets.push(self.step(t, rng) as i64);
                // The walk itself jumps uniformly now and then, as the stationary law assumes.
                t = if rng.random::<f64>() < JUMP {
                    rng.random_range(0..self.vocab())
                } else {
                    self.step(t, rng)
                };
            }
        }
        (inputs, targets)
    }

    fn stationary_cdf(&self) -> Vec<f64> {
        let mut acc = 0.0;
        self.stationary()
            .into_iter()
            .map(|p| {
                acc += p;
                acc
            })
            .collect()
    }
}

/// Chance of a uniform jump per step of the walk: keeps every chain ergodic.
const JUMP: f64 = 1e-3;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_deterministic_chain_has_no_entropy_and_a_fair_one_ln_k() {
        // 0 -> 1 -> 0: no uncertainty.
        let det = MarkovChain {
            successors: vec![vec![(1, 1.0)], vec![(0, 1.0)]],
        };
        assert!(det.entropy_rate().abs() < 1e-12);
        // Every token to either of two with equal odds: ln 2 whatever the stationary law.
        let fair = MarkovChain {
            successors: vec![
                vec![(1, 0.5), (2, 0.5)],
                vec![(0, 0.5), (2, 0.5)],
                vec![(0, 0.5), (1, 0.5)],
            ],
        };
        assert!((fair.entropy_rate() - 2f64.ln()).abs() < 1e-12);
    }

    #[test]
    fn the_entropy_rate_weights_each_token_by_how_often_it_occurs() {
        // 0 -> 0 (0.9) or 1 (0.1); 1 -> 0 always. Stationary (10/11, 1/11) without jumps; the
        // rate is pi_0 * H(0.9, 0.1).
        let chain = MarkovChain {
            successors: vec![vec![(0, 0.9), (1, 0.1)], vec![(0, 1.0)]],
        };
        let pi = chain.stationary();
        assert!((pi[0] - 10.0 / 11.0).abs() < 1e-3, "{pi:?}");
        let h = -(0.9f64 * 0.9f64.ln() + 0.1 * 0.1f64.ln());
        assert!((chain.entropy_rate() - pi[0] * h).abs() < 1e-12);
        assert!((chain.entropy_rate() - 10.0 / 11.0 * h).abs() < 1e-3);
    }

    #[test]
    fn samples_follow_the_chain() {
        let chain = MarkovChain::random(16, 3, 7);
        let mut rng = StdRng::seed_from_u64(1);
        let (inputs, targets) = chain.sample(4, 50, &mut rng);
        assert_eq!((inputs.len(), targets.len()), (200, 200));
        for (x, y) in inputs.iter().zip(&targets) {
            assert!(
                chain.successors[*x as usize]
                    .iter()
                    .any(|(t, _)| *t == *y as usize),
                "{y} cannot follow {x}"
            );
        }
        // Empirical conditional entropy of a long sample approaches the rate.
        let (inputs, targets) = chain.sample(1, 200_000, &mut rng);
        let mut counts = vec![vec![0f64; 16]; 16];
        for (x, y) in inputs.iter().zip(&targets) {
            counts[*x as usize][*y as usize] += 1.0;
        }
        let n = inputs.len() as f64;
        let h: f64 = counts
            .iter()
            .map(|row| {
                let total: f64 = row.iter().sum();
                row.iter()
                    .filter(|c| **c > 0.0)
                    .map(|c| -c / n * (c / total).ln())
                    .sum::<f64>()
            })
            .sum();
        assert!(
            (h - chain.entropy_rate()).abs() < 0.02,
            "{h} vs {}",
            chain.entropy_rate()
        );
    }
}
