//! How an MoE layer's router spread one forward pass's tokens over its experts.

use serde::{Deserialize, Serialize};

/// Routing statistics of one MoE layer in one forward pass.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoutingStats {
    /// Token choices each expert received (a top-2 token counts at two experts).
    pub assigned: Vec<u64>,
    pub capacity: u64,
    /// Choices over capacity, which pass through the residual only.
    pub dropped: u64,
    /// Choices the experts processed: sum of min(assigned, capacity).
    pub processed: u64,
    /// max / mean of `assigned`; 1.0 is perfect balance.
    pub imbalance: f64,
}

impl RoutingStats {
    pub fn from_assigned(assigned: Vec<u64>, capacity: u64) -> Self {
        let processed = assigned.iter().map(|&a| a.min(capacity)).sum();
        let dropped = assigned.iter().map(|&a| a.saturating_sub(capacity)).sum();
        let total: u64 = assigned.iter().sum();
        let max = assigned.iter().copied().max().unwrap_or(0);
        let imbalance = if total == 0 {
            1.0
        } else {
            max as f64 / (total as f64 / assigned.len() as f64)
        };
        Self {
            assigned,
            capacity,
            dropped,
            processed,
            imbalance,
        }
    }
}
