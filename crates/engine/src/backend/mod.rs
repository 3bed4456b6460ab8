//! The burn backends effprof runs on, chosen at run time.

use std::fmt;
use std::str::FromStr;

use burn::prelude::Device;
use serde::{Deserialize, Serialize};

mod kernels;
mod open;
mod remote;

pub use kernels::{cpu_kernels, keep_wgpu_caches_per_user};
pub(crate) use open::panic_message;
pub use open::{Opened, Unavailable};
pub use remote::{HOST_SCHEMA, RemoteHost, ServedHost, TOKEN_VAR, answer_host_channel};

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
    /// burn-cuda on NVIDIA GPU N (cargo feature `cuda`; the driver is loaded at run time).
    Cuda(usize),
    /// burn-rocm on AMD GPU N (cargo feature `rocm`; the driver is loaded at run time).
    Rocm(usize),
    /// The device an `effprof serve` on another machine serves, through burn-remote.
    Remote(RemoteHost),
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

    /// The backends `b` cycles through in this build: [`Backend::CYCLE`], then CUDA and ROCm
    /// where they are compiled in (a build without them skips them).
    pub fn cycle() -> Vec<Backend> {
        let mut all = Backend::CYCLE.to_vec();
        all.extend(
            [Backend::Cuda(0), Backend::Rocm(0)]
                .into_iter()
                .filter(|b| b.compiled_in().is_ok()),
        );
        all
    }

    /// Whether this build can run the backend at all, and if not, how to get one that can.
    pub fn compiled_in(&self) -> Result<(), String> {
        // cubecl's CUDA and HIP compilers link an LLVM that their build downloads, so a
        // default (offline-buildable) effprof leaves them out.
        let missing = |name: &str, feature: &str| {
            Err(format!(
                "this effprof was built without {name}: build it with `cargo install --path . --features {feature}` (the build downloads cubecl's LLVM, so it needs the network)"
            ))
        };
        match self {
            Backend::Cuda(_) if !cfg!(feature = "cuda") => missing("CUDA", "cuda"),
            Backend::Rocm(_) if !cfg!(feature = "rocm") => missing("ROCm", "rocm"),
            _ => Ok(()),
        }
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
            Backend::Cuda(i) => write!(f, "cuda:{i}"),
            Backend::Rocm(i) => write!(f, "rocm:{i}"),
            Backend::Remote(host) => write!(f, "remote:{}", host.url()),
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
pub enum UnknownBackend {
    #[error(
        "unknown backend `{0}`; allowed: ndarray, flex, wgpu, wgpu:cpu, wgpu:discrete:N, wgpu:integrated:N, cuda, cuda:N, rocm, rocm:N, remote:ws://HOST:PORT"
    )]
    Name(String),
    /// A `remote:` backend whose address does not read.
    #[error("backend `{0}`: {1}")]
    Remote(String, String),
}

impl FromStr for Backend {
    type Err = UnknownBackend;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if let Some(url) = s.strip_prefix("remote:") {
            return RemoteHost::parse(url)
                .map(Backend::Remote)
                .map_err(|why| UnknownBackend::Remote(s.to_owned(), why));
        }
        let unknown = || UnknownBackend::Name(s.to_owned());
        let parts: Vec<&str> = s.split(':').collect();
        let index = |p: &str| p.parse::<usize>().map_err(|_| unknown());
        Ok(match parts.as_slice() {
            ["ndarray"] => Backend::Ndarray,
            ["flex"] => Backend::Flex,
            ["wgpu"] => Backend::Wgpu(WgpuAdapter::Default),
            ["wgpu", "cpu"] => Backend::Wgpu(WgpuAdapter::Cpu),
            ["wgpu", "discrete", i] => Backend::Wgpu(WgpuAdapter::Discrete(index(i)?)),
            ["wgpu", "integrated", i] => Backend::Wgpu(WgpuAdapter::Integrated(index(i)?)),
            ["cuda"] => Backend::Cuda(0),
            ["cuda", i] => Backend::Cuda(index(i)?),
            ["rocm"] => Backend::Rocm(0),
            ["rocm", i] => Backend::Rocm(index(i)?),
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
            Backend::Cuda(0),
            Backend::Rocm(3),
            Backend::Remote(RemoteHost::parse("ws://gpu-box:3000").unwrap()),
        ] {
            assert_eq!(backend.to_string().parse::<Backend>().unwrap(), backend);
            let json = serde_json::to_string(&backend).unwrap();
            assert_eq!(json, format!("\"{backend}\""));
            assert_eq!(serde_json::from_str::<Backend>(&json).unwrap(), backend);
        }
    }

    #[test]
    fn unknown_backend_lists_the_allowed_ones() {
        let err = "metal".parse::<Backend>().unwrap_err().to_string();
        assert!(
            err.contains("`metal`")
                && err.contains("ndarray, flex, wgpu")
                && err.contains("cuda:N"),
            "{err}"
        );
        assert!("wgpu:discrete:x".parse::<Backend>().is_err());
        assert!("cuda:x".parse::<Backend>().is_err());
        assert_eq!("cuda".parse::<Backend>().unwrap(), Backend::Cuda(0));
    }

    #[test]
    fn a_backend_left_out_of_the_build_says_how_to_get_it() {
        for (backend, feature) in [(Backend::Cuda(0), "cuda"), (Backend::Rocm(1), "rocm")] {
            match backend.compiled_in() {
                Ok(()) => assert!(Backend::cycle().contains(&backend)),
                Err(why) => {
                    assert!(why.contains(&format!("--features {feature}")), "{why}");
                    assert!(!Backend::cycle().contains(&backend));
                    let err = backend.open().unwrap_err();
                    assert_eq!(err.reason, why);
                }
            }
        }
        assert!(Backend::Flex.compiled_in().is_ok());
    }
}
