//! The machine a snapshot was taken on, from sysinfo.

use serde::{Deserialize, Serialize};
use sysinfo::{CpuRefreshKind, MemoryRefreshKind, RefreshKind, System};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Host {
    /// Operating system and version, e.g. "Linux (Debian GNU/Linux 12)".
    pub os: String,
    pub kernel: String,
    pub arch: String,
    /// The CPU's brand string.
    pub cpu: String,
    /// None where the OS does not say.
    pub physical_cores: Option<usize>,
    pub logical_cores: usize,
    pub memory_bytes: u64,
    /// The CPU kernel set the CPU backends' matmuls run, e.g. "AVX-512 (x86-64: avx512f, avx2,
    /// fma)"; absent in snapshots from before effprof reported it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_kernels: Option<String>,
}

impl Host {
    pub fn detect() -> Self {
        let system = System::new_with_specifics(
            RefreshKind::nothing()
                .with_cpu(CpuRefreshKind::nothing())
                .with_memory(MemoryRefreshKind::nothing().with_ram()),
        );
        let unknown = || "unknown".to_owned();
        Self {
            os: System::long_os_version().unwrap_or_else(unknown),
            kernel: System::kernel_version().unwrap_or_else(unknown),
            arch: System::cpu_arch(),
            cpu: system
                .cpus()
                .first()
                .map(|c| c.brand().trim().to_owned())
                .filter(|b| !b.is_empty())
                .unwrap_or_else(unknown),
            physical_cores: System::physical_core_count(),
            logical_cores: system.cpus().len(),
            memory_bytes: system.total_memory(),
            cpu_kernels: Some(crate::backend::cpu_kernels()),
        }
    }

    /// The machine `backend` runs on: this one, or for a remote device the server's, as its
    /// host channel says (a host that says "n/a: remote device" and why where it does not).
    pub fn of_backend(backend: crate::backend::Backend) -> Self {
        match backend {
            crate::backend::Backend::Remote(remote) => match remote.served() {
                Ok(served) => served.host,
                Err(why) => Self {
                    cpu: format!("n/a: remote device ({why})"),
                    ..Self::unknown()
                },
            },
            _ => Self::detect(),
        }
    }

    /// A host nothing is known about (until [`Host::detect`] or a stream says).
    pub fn unknown() -> Self {
        Self {
            os: "unknown".into(),
            kernel: "unknown".into(),
            arch: "unknown".into(),
            cpu: "unknown CPU".into(),
            physical_cores: None,
            logical_cores: 0,
            memory_bytes: 0,
            cpu_kernels: None,
        }
    }

    /// One line: "Intel Xeon ..., 2 cores (2 threads), 24 GiB, Linux 6.1".
    pub fn describe(&self) -> String {
        let cores = match self.physical_cores {
            Some(p) if p != self.logical_cores => {
                format!("{p} cores ({} threads)", self.logical_cores)
            }
            _ => format!("{} cores", self.logical_cores),
        };
        let kernels = match &self.cpu_kernels {
            Some(k) => format!(", CPU kernels {k}"),
            None => String::new(),
        };
        format!(
            "{}, {cores}, {} RAM, {} {}{kernels}",
            self.cpu,
            crate::units::bytes(self.memory_bytes),
            self.os,
            self.kernel
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_machine_is_described() {
        let host = Host::detect();
        assert!(host.logical_cores >= 1);
        assert!(host.memory_bytes > 0);
        assert!(!host.arch.is_empty());
        assert!(host.describe().contains(&host.cpu));
        let kernels = host.cpu_kernels.clone().unwrap();
        assert!(host.describe().contains(&kernels));
    }
}
