//! Models of your own (`effprof::custom::Profile`) made into a suite, kept for the process:
//! the engine, the tracer and the TUI find a custom variant's model by its profile's number and
//! its name, as they find a built-in one by its family. Their types are erased here.

use std::any::Any;
use std::marker::PhantomData;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex};

use burn::module::Module;
use burn::prelude::*;

use burn_ir::OperationIr;

/// A built model of your own, its types erased.
pub trait Runnable: Send {
    fn num_params(&self) -> usize;
    fn to_device(self: Box<Self>, device: &Device) -> Box<dyn Runnable>;
    /// One forward pass of `input`; its output, to be held until the device has finished it
    /// (a lazy backend may skip work whose result is already dropped).
    fn forward(&self, input: &CustomBatch) -> Result<Box<dyn Any>, super::ForwardError>;
}

impl std::fmt::Debug for dyn Runnable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "a model of your own ({} parameters)", self.num_params())
    }
}

/// A forward pass's input of your own, its type erased.
pub struct CustomBatch(Box<dyn ErasedInput>);

trait ErasedInput: Send {
    fn clone_box(&self) -> Box<dyn ErasedInput>;
    fn as_any(&self) -> &dyn Any;
}

impl<I: Input> ErasedInput for I {
    fn clone_box(&self) -> Box<dyn ErasedInput> {
        Box::new(self.clone())
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

impl Clone for CustomBatch {
    fn clone(&self) -> Self {
        Self(self.0.clone_box())
    }
}

/// A forward pass's input, moved between devices as a whole. Tensors are inputs; a tuple or a
/// struct of your own is one once it says how it moves.
pub trait Input: Clone + Send + 'static {
    fn to_device(self, device: &Device) -> Self;
}

impl<const D: usize> Input for Tensor<D> {
    fn to_device(self, device: &Device) -> Self {
        Tensor::to_device(self, device)
    }
}

impl<const D: usize> Input for Tensor<D, Int> {
    fn to_device(self, device: &Device) -> Self {
        Tensor::to_device(self, device)
    }
}

impl<A: Input, B: Input> Input for (A, B) {
    fn to_device(self, device: &Device) -> Self {
        (self.0.to_device(device), self.1.to_device(device))
    }
}

/// One forward pass as burn's capture device recorded it, and the parameters of its module.
pub struct Recorded {
    pub operations: Vec<OperationIr>,
    pub params: u64,
}

/// Why a forward pass could not be recorded.
#[derive(Debug)]
pub enum NotRecorded {
    /// burn's capture failed.
    Capture(String),
    /// The pass read a value back to the host: what it panicked with.
    ReadsBack(String),
}

/// One variant of a profile, its closures shared by every thread that builds or traces it.
pub trait Registered: Send + Sync {
    fn name(&self) -> &str;
    fn build(&self, device: &Device) -> Box<dyn Runnable>;
    fn input(&self, device: &Device, batch: usize) -> CustomBatch;
    /// One forward pass at `batch`, recorded on burn's capture device.
    fn record(&self, batch: usize) -> Result<Recorded, NotRecorded>;
}

/// The model, input and output types a variant's closures share.
type Signature<M, I, O> = fn() -> (M, I, O);

/// A variant's closures and the types they share.
pub struct Variant<M, I, O, B, G, F> {
    pub name: String,
    pub build: B,
    pub input: G,
    pub forward: Arc<F>,
    pub types: PhantomData<Signature<M, I, O>>,
}

struct Built<M, I, O, F> {
    model: M,
    forward: Arc<F>,
    types: PhantomData<Signature<M, I, O>>,
}

impl<M, I, O, F> Runnable for Built<M, I, O, F>
where
    M: Module + 'static,
    I: Input,
    O: 'static,
    F: Fn(&M, I) -> O + Send + Sync + 'static,
{
    fn num_params(&self) -> usize {
        self.model.num_params()
    }

    fn to_device(self: Box<Self>, device: &Device) -> Box<dyn Runnable> {
        Box::new(Built {
            model: self.model.to_device(device),
            forward: self.forward,
            types: PhantomData,
        })
    }

    fn forward(&self, input: &CustomBatch) -> Result<Box<dyn Any>, super::ForwardError> {
        let input = input
            .0
            .as_any()
            .downcast_ref::<I>()
            .ok_or(super::ForwardError::OtherVariantsInput)?
            .clone();
        Ok(Box::new((self.forward)(&self.model, input)))
    }
}

impl<M, I, O, B, G, F> Registered for Variant<M, I, O, B, G, F>
where
    M: Module + 'static,
    I: Input,
    O: 'static,
    B: Fn(&Device) -> M + Send + Sync + 'static,
    G: Fn(&Device, usize) -> I + Send + Sync + 'static,
    F: Fn(&M, I) -> O + Send + Sync + 'static,
{
    fn name(&self) -> &str {
        &self.name
    }

    fn build(&self, device: &Device) -> Box<dyn Runnable> {
        Box::new(Built {
            model: (self.build)(device),
            forward: self.forward.clone(),
            types: PhantomData,
        })
    }

    fn input(&self, device: &Device, batch: usize) -> CustomBatch {
        CustomBatch(Box::new((self.input)(device, batch)))
    }

    /// Built and its input drawn on the host, then moved onto the capture device inside the
    /// scope: their initialisation is not part of the recorded pass, only the forward is.
    fn record(&self, batch: usize) -> Result<Recorded, NotRecorded> {
        let host = Device::flex();
        let (model, input) = ((self.build)(&host), (self.input)(&host, batch));
        let params = model.num_params() as u64;
        // burn draws a parameter's initial values when it is first read: read them all here,
        // or the capture would record their drawing as part of the forward pass.
        super::materialize(&model);
        let capture = Device::capture();
        let recorded = catch_unwind(AssertUnwindSafe(|| {
            capture.capture_scope(|scope| {
                let model = model.to_device(&capture);
                drop((self.forward)(&model, input.to_device(&capture)));
                scope.complete([], [])
            })
        }));
        match recorded {
            Ok(Ok(graph)) => Ok(Recorded {
                operations: graph.graph.operations,
                params,
            }),
            Ok(Err(e)) => Err(NotRecorded::Capture(e.to_string())),
            Err(panic) => Err(NotRecorded::ReadsBack(crate::backend::panic_message(
                &panic,
            ))),
        }
    }
}

/// One profile's variants, as made into a suite.
type Variants = Arc<[Arc<dyn Registered>]>;

/// Every profile made into a suite in this process; a profile's number is its index + 1.
static PROFILES: Mutex<Vec<Variants>> = Mutex::new(Vec::new());

/// Keeps `variants` for the process; their profile's number.
pub fn register(variants: Vec<Arc<dyn Registered>>) -> u32 {
    let mut profiles = PROFILES.lock().unwrap_or_else(|p| p.into_inner());
    profiles.push(variants.into());
    profiles.len() as u32
}

/// Variant `name` of profile number `profile`.
pub fn lookup(profile: u32, name: &str) -> Result<Arc<dyn Registered>, super::Unregistered> {
    let profiles = PROFILES.lock().unwrap_or_else(|p| p.into_inner());
    let variants = profile
        .checked_sub(1)
        .and_then(|i| profiles.get(i as usize))
        .ok_or_else(|| super::Unregistered::OtherProgram(name.to_owned()))?;
    variants
        .iter()
        .find(|v| v.name() == name)
        .cloned()
        .ok_or_else(|| super::Unregistered::NotInProfile(name.to_owned()))
}
