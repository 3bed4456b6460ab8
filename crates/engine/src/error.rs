//! What can go wrong while measuring, as the cases a user can act on. Commands choose their
//! exit code from the case (3 for an unavailable backend), never from an error's text, and the
//! errors stay typed until a front end shows them.

use crate::arch::Variant;
use crate::backend::{Backend, Unavailable};
use crate::cost::CountError;
use crate::family::Feature;
use crate::zoo::{BuildError, ForwardError};

/// A device call that failed, in the driver's words.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the device failed: {0}")]
pub struct DeviceFailure(pub String);

#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum MeasureError {
    /// The backend cannot be opened on this machine.
    #[error(transparent)]
    Unavailable(#[from] Unavailable),
    /// The device failed mid-measurement (a driver error, a panic in a kernel).
    #[error("{backend}: {failure}")]
    DeviceFailed {
        backend: Backend,
        failure: DeviceFailure,
    },
    /// The model cannot be built here: over the memory limit, a kernel this backend lacks, a
    /// model of your own this process does not know.
    #[error(transparent)]
    Build(BuildError),
    /// effprof's formulas cannot count the variant.
    #[error(transparent)]
    Count(#[from] CountError),
    /// The built model cannot run the pass asked of it.
    #[error(transparent)]
    Forward(#[from] ForwardError),
    /// This measurement does not apply to this variant or request.
    #[error(transparent)]
    NotApplicable(#[from] NotApplicable),
    /// Stopped before it finished.
    #[error("cancelled")]
    Cancelled,
}

/// A measurement asked of a variant that it cannot have.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum NotApplicable {
    /// Its family does not support the feature (see [`Family::unsupported`](crate::family::Family::unsupported)).
    #[error("`{variant}`: {why}")]
    Family { variant: String, why: &'static str },
    #[error(
        "{stages} stages of `{variant}`: a stage needs at least one of its {layers} layers (1 to {layers} stages)"
    )]
    Stages {
        variant: String,
        stages: usize,
        layers: usize,
    },
    #[error("`{variant}` uses the csr kernel, which runs on the host and has no backward pass")]
    NoBackward { variant: String },
    #[error("`{variant}` has {bits} weights, which take no gradient: effprof trains float weights")]
    QuantizedNoBackward { variant: String, bits: &'static str },
    #[error(
        "`{variant}` does not generate: the suite has no gen_len, or the variant is not a transformer"
    )]
    NoGeneration { variant: String },
    #[error(
        "`{variant}` needs an estimated {} with its KV cache, over the limit of {}; lower the batch, the prompt or gen_len, or raise --max-memory",
        crate::units::bytes(*estimate), crate::units::bytes(*limit)
    )]
    KvCacheTooLarge {
        variant: String,
        estimate: u64,
        limit: u64,
    },
}

impl NotApplicable {
    /// `variant` cannot have `feature`; `None` where its family supports it.
    pub fn feature(variant: &Variant, feature: Feature) -> Option<NotApplicable> {
        variant
            .family
            .unsupported(feature)
            .map(|why| NotApplicable::Family {
                variant: variant.name.clone(),
                why,
            })
    }
}

impl MeasureError {
    pub fn device(backend: Backend) -> impl Fn(DeviceFailure) -> MeasureError {
        move |failure| MeasureError::DeviceFailed { backend, failure }
    }

    /// A panic caught while measuring on `backend`: the device (or a kernel) failed.
    pub fn panicked(backend: Backend, payload: &Box<dyn std::any::Any + Send>) -> MeasureError {
        MeasureError::DeviceFailed {
            backend,
            failure: DeviceFailure(format!(
                "it panicked: {}",
                crate::backend::panic_message(payload)
            )),
        }
    }

    /// The error without its backend, for a message that names the backend already.
    pub fn reason(&self) -> String {
        match self {
            MeasureError::DeviceFailed { failure, .. } => failure.to_string(),
            other => other.to_string(),
        }
    }

    /// Whether the request, not the machine, is at fault: the variant cannot have this
    /// measurement or does not fit. Commands answer these with a usage exit code.
    pub fn is_request(&self) -> bool {
        matches!(
            self,
            MeasureError::Build(_)
                | MeasureError::Count(_)
                | MeasureError::Forward(_)
                | MeasureError::NotApplicable(_)
        )
    }
}

impl From<BuildError> for MeasureError {
    fn from(e: BuildError) -> Self {
        match e {
            BuildError::Unavailable(u) => MeasureError::Unavailable(u),
            e => MeasureError::Build(e),
        }
    }
}

/// What the engine reports as failed while it carries on: typed until a front end shows it.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum EngineError {
    /// A variant could not be built; its slot stays failed, the others go on. The build's
    /// errors name the variant themselves.
    #[error("{error}")]
    Build {
        variant: String,
        error: MeasureError,
    },
    /// A variant failed while being measured on `backend`.
    #[error("`{variant}` failed on {backend}: {}", error.reason())]
    Measure {
        variant: String,
        backend: Backend,
        error: MeasureError,
    },
    /// A feature's measurement of `variant` (its stages, its parts) failed.
    #[error("{what} of `{variant}` on {backend}: {error}")]
    Task {
        what: String,
        variant: String,
        backend: Backend,
        error: MeasureError,
    },
    /// A task panicked: `what` it was doing when it did.
    #[error("{what} on {backend}: it panicked: {message}")]
    TaskPanicked {
        what: String,
        backend: Backend,
        message: String,
    },
    /// A command named a variant the suite does not have.
    #[error("cannot focus `{name}`: no such variant; variants are: {}", variants.join(", "))]
    NoSuchVariant { name: String, variants: Vec<String> },
    /// A batch size out of range, for the run or for a sweep.
    #[error("{}batch must be between 1 and {max}; got {batch}", if *sweep { "sweep: " } else { "" })]
    BatchOutOfRange {
        batch: usize,
        max: usize,
        sweep: bool,
    },
    /// What a reader of a recorded run could not read, in its words: a replay has no engine.
    #[error("{0}")]
    Replay(String),
}

impl EngineError {
    /// Whether a remote device failed: its server is gone (or stopped answering), and every
    /// later operation on it would fail the same way.
    pub fn lost_remote(&self) -> bool {
        let failed = |e: &MeasureError| {
            matches!(
                e,
                MeasureError::DeviceFailed {
                    backend: Backend::Remote(_),
                    ..
                }
            )
        };
        match self {
            EngineError::Build { error, .. }
            | EngineError::Measure { error, .. }
            | EngineError::Task { error, .. } => failed(error),
            EngineError::TaskPanicked { backend, .. } => matches!(backend, Backend::Remote(_)),
            _ => false,
        }
    }
}
