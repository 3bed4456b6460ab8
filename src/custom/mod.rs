//! Your own burn model, profiled as the built-in zoo is: any `Module` with a forward function
//! and an input for it, one per variant. A [`Profile`] becomes a suite like any other: the
//! engine builds and times its variants, each is counted from its recorded forward pass (FLOPs
//! by torch's rule, memory traffic, ops) and by burn (parameters), and `bench`, snapshots,
//! `diff` and the TUI take it. The analytic rows, which need effprof's own formulas, say so.
//!
//! ```no_run
//! use burn::prelude::*;
//! use effprof::custom::Profile;
//!
//! # #[derive(Module, Debug)] struct Mlp { up: burn::nn::Linear }
//! # impl Mlp { fn forward(&self, x: Tensor<2>) -> Tensor<2> { self.up.forward(x) } }
//! fn main() -> std::process::ExitCode {
//!     let mut profile = Profile::new("mlp", 32);
//!     profile.variant(
//!         "dense",
//!         |device| Mlp { up: burn::nn::LinearConfig::new(256, 1024).init(device) },
//!         |device, batch| Tensor::<2>::ones([batch, 256], device),
//!         |model, x| model.forward(x),
//!     );
//!     // The TUI; `bench --iters 5` prints the table `effprof bench` prints.
//!     profile.main()
//! }
//! ```

mod cli;

pub use crate::zoo::Input;
use crate::zoo::{CustomVariant, Registered, register};

use std::marker::PhantomData;
use std::sync::Arc;

use burn::module::Module;
use burn::prelude::*;

use crate::arch::{CustomInput, Input as SuiteInput, MAX_BATCH, Variant, Workload};
use crate::backend::Backend;
use crate::engine::{EngineConfig, Summary};
use crate::family::Family;
use crate::headless::{self, HeadlessError, Stop};
use crate::snapshot::{Host, Snapshot};
use crate::spec::Suite;

/// Variants of your own models, to be profiled side by side (the first is the baseline).
pub struct Profile {
    name: String,
    batch: usize,
    variants: Vec<Arc<dyn Registered>>,
}

/// A profile that cannot be measured as it stands.
#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    #[error("profile `{0}` has no variants; add one with `Profile::variant`")]
    NoVariants(String),
    #[error("profile `{profile}`: two variants are named `{name}`; each needs a name of its own")]
    DuplicateName { profile: String, name: String },
    #[error("profile `{profile}`: a variant has an empty name")]
    EmptyName { profile: String },
    #[error("profile `{profile}`: the batch must be between 1 and {MAX_BATCH}; got {batch}")]
    Batch { profile: String, batch: usize },
    #[error(transparent)]
    Measuring(#[from] HeadlessError),
    #[error("{0}")]
    Snapshot(String),
}

impl Profile {
    /// A profile whose forward passes take `batch` samples (the TUI's `+` and `-` change it).
    pub fn new(name: &str, batch: usize) -> Self {
        Self {
            name: name.to_owned(),
            batch,
            variants: Vec::new(),
        }
    }

    /// A variant: `build` makes the model on a device, `input` a batch of that many samples
    /// on a device, and `forward` runs one pass (its output is held until the device has
    /// finished it).
    pub fn variant<M, I, O, B, G, F>(
        &mut self,
        name: &str,
        build: B,
        input: G,
        forward: F,
    ) -> &mut Self
    where
        M: Module + 'static,
        I: Input,
        O: 'static,
        B: Fn(&Device) -> M + Send + Sync + 'static,
        G: Fn(&Device, usize) -> I + Send + Sync + 'static,
        F: Fn(&M, I) -> O + Send + Sync + 'static,
    {
        self.variants.push(Arc::new(CustomVariant {
            name: name.to_owned(),
            build,
            input,
            forward: Arc::new(forward),
            types: PhantomData,
        }));
        self
    }

    /// The profile as a suite, which every measurement of a suite takes: the engine, `bench`,
    /// snapshots and the TUI. Its variants are kept for the rest of the process.
    pub fn suite(&self) -> Result<Suite, ProfileError> {
        let profile = || self.name.clone();
        let first = self
            .variants
            .first()
            .ok_or_else(|| ProfileError::NoVariants(profile()))?;
        if self.batch == 0 || self.batch > MAX_BATCH {
            return Err(ProfileError::Batch {
                profile: profile(),
                batch: self.batch,
            });
        }
        for (i, v) in self.variants.iter().enumerate() {
            if v.name().trim().is_empty() {
                return Err(ProfileError::EmptyName { profile: profile() });
            }
            if self.variants[..i].iter().any(|w| w.name() == v.name()) {
                return Err(ProfileError::DuplicateName {
                    profile: profile(),
                    name: v.name().to_owned(),
                });
            }
        }
        let id = register(self.variants.clone());
        Ok(Suite {
            name: self.name.clone(),
            description: format!("{} models of your own", self.variants.len()),
            source: "custom".to_owned(),
            workload: Workload {
                batch: self.batch,
                input: SuiteInput::Custom(CustomInput { custom_profile: id }),
                seed: 0,
                baseline: first.name().to_owned(),
            },
            variants: self
                .variants
                .iter()
                .map(|v| Variant {
                    name: v.name().to_owned(),
                    dims: None,
                    family: Family::Custom,
                    matched: None,
                    numerics: Default::default(),
                    precision: Default::default(),
                    weights: None,
                })
                .collect(),
        })
    }

    /// Measures every variant on `backend` until `stop`, as `effprof bench` does, and counts
    /// each from its recorded forward pass: the snapshot `bench` writes, and the last summary.
    pub fn bench(&self, backend: Backend, stop: Stop) -> Result<(Snapshot, Summary), ProfileError> {
        let suite = self.suite()?;
        let limit = crate::memory::default_limit();
        let last = headless::run(
            EngineConfig::new(suite.clone(), backend, limit),
            stop,
            |_| {},
        )?;
        let mut snapshot =
            Snapshot::new(&suite, &last, Host::detect(), std::time::SystemTime::now())
                .map_err(|e| ProfileError::Snapshot(e.to_string()))?;
        snapshot.add_traced(limit);
        Ok((snapshot, last))
    }

    /// effprof's command line on this profile: the TUI without a command, `bench` with one
    /// (`--help` lists the options). For a program's `main`: it returns the exit code.
    pub fn main(&self) -> std::process::ExitCode {
        cli::main(self)
    }
}
