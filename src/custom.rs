//! Your own burn model, profiled as the built-in zoo is: any `Module` with a forward function
//! and an input for it, one per variant. Each variant is counted from its recorded forward pass
//! (FLOPs by torch's rule, memory traffic, ops), counted by burn (parameters) and timed on a
//! backend; the analytic rows, which need effprof's own formulas, say so.
//!
//! ```no_run
//! use burn::prelude::*;
//! use effprof::backend::Backend;
//! use effprof::custom::Profile;
//!
//! # #[derive(Module, Debug)] struct Mlp { up: burn::nn::Linear }
//! # impl Mlp { fn forward(&self, x: Tensor<2>) -> Tensor<2> { self.up.forward(x) } }
//! let mut profile = Profile::new("mlp");
//! profile.variant(
//!     "dense",
//!     |device| Mlp { up: burn::nn::LinearConfig::new(256, 1024).init(device) },
//!     |device| Tensor::<2>::ones([32, 256], device),
//!     |model, x| model.forward(x),
//! );
//! let report = profile.run(Backend::Flex, std::time::Duration::from_millis(500)).unwrap();
//! println!("{}", report.table().to_text(None));
//! ```

use std::marker::PhantomData;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Duration;

use burn::module::Module;
use burn::prelude::*;
use serde::Serialize;

use crate::backend::Backend;
use crate::error::DeviceFailure;
use crate::report::{Better, Cell, IndicatorTable, Row, Source};
use crate::timing::{median_of, sync};
use crate::traced::{Traced, count_operations};
use crate::units;

/// A forward pass's input: moved between devices as a whole, its first dimension the samples.
pub trait Input: Clone + Send + 'static {
    fn to_device(self, device: &Device) -> Self;
    /// Samples in the input (for samples/s).
    fn samples(&self) -> usize;
}

impl<const D: usize> Input for Tensor<D> {
    fn to_device(self, device: &Device) -> Self {
        Tensor::to_device(self, device)
    }
    fn samples(&self) -> usize {
        self.dims()[0]
    }
}

impl<const D: usize> Input for Tensor<D, Int> {
    fn to_device(self, device: &Device) -> Self {
        Tensor::to_device(self, device)
    }
    fn samples(&self) -> usize {
        self.dims()[0]
    }
}

/// One variant, its types erased.
trait Profiled {
    fn name(&self) -> &str;
    fn params(&self) -> usize;
    fn trace(&self) -> Traced;
    fn time(&self, device: &Device, budget: Duration) -> Result<(f64, usize), DeviceFailure>;
}

/// The model, input and output types a variant's closures share.
type Signature<M, I, O> = fn() -> (M, I, O);

struct Variant<M, I, O, B, G, F> {
    name: String,
    build: B,
    input: G,
    forward: F,
    _types: PhantomData<Signature<M, I, O>>,
}

impl<M, I, O, B, G, F> Profiled for Variant<M, I, O, B, G, F>
where
    M: Module,
    I: Input,
    B: Fn(&Device) -> M,
    G: Fn(&Device) -> I,
    F: Fn(&M, I) -> O,
{
    fn name(&self) -> &str {
        &self.name
    }

    fn params(&self) -> usize {
        (self.build)(&Device::flex()).num_params()
    }

    /// Built and its input drawn on the host, then moved onto the capture device inside the
    /// scope: their initialisation is not part of the recorded pass, only the forward is.
    fn trace(&self) -> Traced {
        let host = Device::flex();
        let (model, input) = ((self.build)(&host), (self.input)(&host));
        // burn draws a parameter's initial values when it is first read: read them all here,
        // or the capture would record their drawing as part of the forward pass.
        crate::traced::materialize(&model);
        let capture = Device::capture();
        let recorded = catch_unwind(AssertUnwindSafe(|| {
            capture.capture_scope(|scope| {
                let model = model.to_device(&capture);
                drop((self.forward)(&model, input.to_device(&capture)));
                scope.complete([], [])
            })
        }));
        match recorded {
            Ok(Ok(graph)) => Traced::Counted(count_operations(&graph.graph.operations)),
            Ok(Err(e)) => Traced::NotAvailable {
                why: format!("burn could not record the graph: {e}"),
            },
            Err(_) => Traced::NotAvailable {
                why: "the forward pass reads values back to the host; a recorded graph has none"
                    .into(),
            },
        }
    }

    /// The median of forward passes on `device`, each synced with its output still held (a
    /// lazy backend may skip work whose result is already dropped).
    fn time(&self, device: &Device, budget: Duration) -> Result<(f64, usize), DeviceFailure> {
        let model = (self.build)(device);
        let input = (self.input)(device);
        let samples = input.samples();
        let p50 = median_of(budget, 5, || {
            let out = (self.forward)(&model, input.clone());
            let synced = sync(device);
            drop(out);
            synced
        })?;
        Ok((p50, samples))
    }
}

/// Variants of your own models, to be profiled side by side (the first is the baseline).
#[derive(Default)]
pub struct Profile {
    name: String,
    variants: Vec<Box<dyn Profiled>>,
}

impl Profile {
    pub fn new(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            variants: Vec::new(),
        }
    }

    /// A variant: `build` makes the model on a device, `input` one batch of its input, and
    /// `forward` runs one pass (its output is held until the device has finished it).
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
        B: Fn(&Device) -> M + 'static,
        G: Fn(&Device) -> I + 'static,
        F: Fn(&M, I) -> O + 'static,
    {
        self.variants.push(Box::new(Variant {
            name: name.to_owned(),
            build,
            input,
            forward,
            _types: PhantomData,
        }));
        self
    }

    /// Counts every variant, then times it on `backend` for about `budget` after two warm-up
    /// passes.
    pub fn run(
        &self,
        backend: Backend,
        budget: Duration,
    ) -> Result<ProfileReport, crate::backend::Unavailable> {
        let device = backend.device()?;
        let variants = self
            .variants
            .iter()
            .map(|v| {
                let timed = match v.time(&device, budget) {
                    Ok((p50_s, samples)) => Timing::Timed(Timed {
                        p50_s,
                        samples_per_s: samples as f64 / p50_s,
                    }),
                    Err(e) => Timing::NotAvailable { why: e.to_string() },
                };
                ProfiledVariant {
                    name: v.name().to_owned(),
                    params: v.params() as u64,
                    traced: v.trace(),
                    timed,
                }
            })
            .collect();
        Ok(ProfileReport {
            schema: "effprof.custom/1",
            name: self.name.clone(),
            backend,
            variants,
        })
    }
}

/// One variant's figures.
#[derive(Clone, Debug, Serialize)]
pub struct ProfiledVariant {
    pub name: String,
    /// burn's count of the module's parameters.
    pub params: u64,
    pub traced: Traced,
    /// The median forward pass, or why it could not be timed.
    pub timed: Timing,
}

/// A variant's timing, or why there is none.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Timing {
    Timed(Timed),
    NotAvailable { why: String },
}

impl Timing {
    pub fn timed(&self) -> Option<&Timed> {
        match self {
            Timing::Timed(t) => Some(t),
            Timing::NotAvailable { .. } => None,
        }
    }
}

#[derive(Clone, Copy, Debug, Serialize)]
pub struct Timed {
    pub p50_s: f64,
    pub samples_per_s: f64,
}

/// What [`Profile::run`] found.
#[derive(Clone, Debug, Serialize)]
pub struct ProfileReport {
    pub schema: &'static str,
    pub name: String,
    pub backend: Backend,
    pub variants: Vec<ProfiledVariant>,
}

impl ProfileReport {
    /// The variants side by side, as `effprof bench` sets the built-in ones.
    pub fn table(&self) -> IndicatorTable {
        let vs = &self.variants;
        let row = |key, label, unit, better, source, f: &dyn Fn(&ProfiledVariant) -> Cell| Row {
            key,
            label,
            unit,
            better,
            source,
            cells: vs.iter().map(f).collect(),
        };
        let timed = |f: fn(&Timed) -> (f64, String)| {
            move |v: &ProfiledVariant| match &v.timed {
                Timing::Timed(t) => {
                    let (value, text) = f(t);
                    Cell::Value { value, text }
                }
                Timing::NotAvailable { why } => Cell::NotAvailable(why.clone()),
            }
        };
        let not_builtin = |_: &ProfiledVariant| Cell::NotAvailable("not a built-in family".into());
        let low = Better::Lower;
        let mut rows = vec![
            row(
                "params_total",
                "params (burn)",
                "params",
                low,
                Source::Traced,
                &|v| Cell::Value {
                    value: v.params as f64,
                    text: units::si(v.params as f64),
                },
            ),
            row(
                "flops_executed",
                "FLOPs executed",
                "FLOP",
                low,
                Source::Analytic,
                &not_builtin,
            ),
            row(
                "mem_access_bytes",
                "memory access",
                "B",
                low,
                Source::Analytic,
                &not_builtin,
            ),
            row(
                "latency_p50",
                "latency p50",
                "s",
                low,
                Source::Measured,
                &timed(|t| (t.p50_s, units::seconds(t.p50_s))),
            ),
            row(
                "samples_per_s",
                "throughput samples/s",
                "samples/s",
                Better::Higher,
                Source::Measured,
                &timed(|t| (t.samples_per_s, units::si(t.samples_per_s))),
            ),
        ];
        let traced: Vec<Option<&Traced>> = vs.iter().map(|v| Some(&v.traced)).collect();
        // After the analytic rows, before the measured ones, as in every other table.
        let at = rows
            .iter()
            .position(|r| r.source == Source::Measured)
            .unwrap_or(rows.len());
        rows.splice(at..at, crate::report::rows_of_traced(&traced));
        IndicatorTable {
            columns: vs.iter().map(|v| v.name.clone()).collect(),
            rows,
            notes: vec![format!("{} on {}", self.name, self.backend)],
        }
    }
}

impl crate::document::Document for ProfileReport {
    fn text(&self) -> String {
        self.table().to_text(None)
    }
    fn markdown(&self) -> String {
        self.table().to_markdown()
    }
    fn csv(&self) -> Result<String, csv::Error> {
        self.table().to_csv()
    }
    fn json(&self, _suite: &str) -> Result<String, serde_json::Error> {
        serde_json::to_string_pretty(self)
    }
}
