//! The burn backends effprof runs on, chosen at run time.

use std::fmt;
use std::str::FromStr;

use burn::prelude::Device;
use serde::{Deserialize, Serialize};

mod kernels;
mod open;

pub use kernels::{cpu_kernels, keep_wgpu_caches_per_user};
pub(crate) use open::panic_message;
pub use open::{Opened, Unavailable};

/// A backend and, for wgpu, which adapter. Written as on the command line (`wgpu:cpu`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub enum Backend {
    /// burn-ndarray on the CPU.
    Ndarray,
    /// burn-flex, burn's pure-Rust CPU backend.
    Flex,
    /// burn-wgpu on the adapter `WgpuAdapter` picks.
    Wgpu(WgpuAdapter),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WgpuAdapter {
    /// wgpu's own choice: a high-power GPU first.
    Default,
    /// A CPU adapter (lavapipe).
    Cpu,
    Discrete(usize),
    Integrated(usize),
}

impl Backend {
    /// The backends a user cycles through, in order.
    pub const CYCLE: [Backend; 3] = [
        Backend::Ndarray,
        Backend::Flex,
        Backend::Wgpu(WgpuAdapter::Default),
    ];

    /// Whether the backend runs on the host CPU with host memory (so host-side kernels such as
    /// CSR can run on it).
    pub fn is_host(&self) -> bool {
        matches!(self, Backend::Ndarray | Backend::Flex)
    }
}

/// burn-ndarray's device. burn-ndarray is deprecated upstream in favour of burn-flex; effprof
/// keeps it because users compare against it. This is the one place that constructs it.
#[allow(deprecated)]
fn ndarray_device() -> Device {
    Device::ndarray()
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Backend::Ndarray => write!(f, "ndarray"),
            Backend::Flex => write!(f, "flex"),
            Backend::Wgpu(WgpuAdapter::Default) => write!(f, "wgpu"),
            Backend::Wgpu(WgpuAdapter::Cpu) => write!(f, "wgpu:cpu"),
            Backend::Wgpu(WgpuAdapter::Discrete(i)) => write!(f, "wgpu:discrete:{i}"),
            Backend::Wgpu(WgpuAdapter::Integrated(i)) => write!(f, "wgpu:integrated:{i}"),
        }
    }
}

impl From<Backend> for String {
    fn from(b: Backend) -> String {
        b.to_string()
    }
}

impl TryFrom<String> for Backend {
    type Error = UnknownBackend;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

#[derive(Debug, thiserror::Error)]
#[error(
    "unknown backend `{0}`; allowed: ndarray, flex, wgpu, wgpu:cpu, wgpu:discrete:N, wgpu:integrated:N"
)]
pub struct UnknownBackend(String);

impl FromStr for Backend {
    type Err = UnknownBackend;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let unknown = || UnknownBackend(s.to_owned());
        let parts: Vec<&str> = s.split(':').collect();
        let index = |p: &str| p.parse::<usize>().map_err(|_| unknown());
        Ok(match parts.as_slice() {
            ["ndarray"] => Backend::Ndarray,
            ["flex"] => Backend::Flex,
            ["wgpu"] => Backend::Wgpu(WgpuAdapter::Default),
            ["wgpu", "cpu"] => Backend::Wgpu(WgpuAdapter::Cpu),
            ["wgpu", "discrete", i] => Backend::Wgpu(WgpuAdapter::Discrete(index(i)?)),
            ["wgpu", "integrated", i] => Backend::Wgpu(WgpuAdapter::Integrated(index(i)?)),
            _ => return Err(unknown()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_backend_name_parses_back_to_itself() {
        for backend in [
            Backend::Ndarray,
            Backend::Flex,
            Backend::Wgpu(WgpuAdapter::Default),
            Backend::Wgpu(WgpuAdapter::Cpu),
            Backend::Wgpu(WgpuAdapter::Discrete(1)),
            Backend::Wgpu(WgpuAdapter::Integrated(0)),
        ] {
            assert_eq!(backend.to_string().parse::<Backend>().unwrap(), backend);
            let json = serde_json::to_string(&backend).unwrap();
            assert_eq!(json, format!("\"{backend}\""));
            assert_eq!(serde_json::from_str::<Backend>(&json).unwrap(), backend);
        }
    }

    #[test]
    fn unknown_backend_lists_the_allowed_ones() {
        let err = "cuda".parse::<Backend>().unwrap_err().to_string();
        assert!(
            err.contains("`cuda`") && err.contains("ndarray, flex, wgpu"),
            "{err}"
        );
        assert!("wgpu:discrete:x".parse::<Backend>().is_err());
    }
}
