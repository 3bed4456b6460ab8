//! What can go wrong while measuring, as the cases a user can act on. Commands choose their
//! exit code from the case (3 for an unavailable backend), never from an error's text.

use crate::backend::{Backend, Unavailable};
use crate::zoo::BuildError;

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
    /// The model would not fit under the memory limit.
    #[error("{0}")]
    OverMemoryLimit(String),
    /// This measurement does not apply to this variant, backend or request.
    #[error("{0}")]
    NotMeasurable(String),
    /// Stopped before it finished.
    #[error("cancelled")]
    Cancelled,
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
}

impl From<BuildError> for MeasureError {
    fn from(e: BuildError) -> Self {
        match e {
            BuildError::Unavailable(u) => MeasureError::Unavailable(u),
            e @ BuildError::TooLarge { .. } => MeasureError::OverMemoryLimit(e.to_string()),
            e @ (BuildError::Uncountable(_)
            | BuildError::Unsupported { .. }
            | BuildError::TooFewPositions { .. }
            | BuildError::NotTransformer { .. }
            | BuildError::Custom(_)) => MeasureError::NotMeasurable(e.to_string()),
        }
    }
}

impl From<crate::cost::CountError> for MeasureError {
    fn from(e: crate::cost::CountError) -> Self {
        MeasureError::NotMeasurable(e.to_string())
    }
}
