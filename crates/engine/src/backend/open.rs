//! The one way effprof opens a backend. The CPU backends always open. wgpu is opened on the
//! native APIs burn's kernels are built for (Vulkan, Metal, DX12), never on wgpu's OpenGL
//! fallback, which hangs or deadlocks on compute work; the probe runs on a thread of its own
//! with a time limit and its panics caught, so a broken driver costs a clear error, not a
//! frozen program. Each backend is opened once per process and the outcome kept.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Mutex, mpsc};
use std::time::Duration;

use burn::prelude::{Device, DeviceKind, Tensor};
use burn::tensor::wgpu::{WgpuBackend, wgpu};

use super::{Backend, WgpuAdapter};

/// A backend that cannot be used on this machine, with what was found instead.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{backend} is unavailable: {reason}")]
pub struct Unavailable {
    pub backend: Backend,
    pub reason: String,
}

/// An opened backend: its device and the adapter it runs on.
#[derive(Clone, Debug)]
pub struct Opened {
    pub device: Device,
    /// The adapter's name (the CPU's for the CPU backends).
    pub adapter: String,
    /// What tells two adapters of one name apart (`host` for the CPU backends).
    pub fingerprint: String,
}

/// How long opening a wgpu adapter may take, its first (tiny) kernel compile included.
const OPEN_LIMIT: Duration = Duration::from_secs(60);

/// Every backend opened so far and how it went.
static OPENED: Mutex<Vec<(Backend, Result<Opened, Unavailable>)>> = Mutex::new(Vec::new());

/// The APIs burn's kernels run on, by platform, best first.
fn native_apis() -> &'static [WgpuBackend] {
    if cfg!(target_os = "macos") {
        &[WgpuBackend::Metal]
    } else if cfg!(windows) {
        &[WgpuBackend::Vulkan, WgpuBackend::Dx12]
    } else {
        &[WgpuBackend::Vulkan]
    }
}

impl Backend {
    /// Opens the backend, or says why it cannot be used here. The outcome is kept: a second
    /// call returns the same device (or the same error) at once.
    pub fn open(&self) -> Result<Opened, Unavailable> {
        let mut opened = OPENED.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((_, outcome)) = opened.iter().find(|(b, _)| b == self) {
            return outcome.clone();
        }
        let on_host = |device| {
            Ok(Opened {
                device,
                adapter: cpu_name(),
                fingerprint: "host".into(),
            })
        };
        let outcome = match self {
            Backend::Ndarray => on_host(super::ndarray_device()),
            Backend::Flex => on_host(Device::flex()),
            Backend::Wgpu(adapter) => {
                let adapter = *adapter;
                probe(*self, "effprof-wgpu", OPEN_LIMIT, move || {
                    open_wgpu_now(adapter)
                })
            }
            Backend::Remote(host) => {
                let host = *host;
                probe(*self, "effprof-remote", OPEN_LIMIT, move || {
                    open_remote(host)
                })
            }
            Backend::Cuda(_) | Backend::Rocm(_) => match self.compiled_in() {
                Err(reason) => Err(Unavailable {
                    backend: *self,
                    reason,
                }),
                Ok(()) => {
                    let backend = *self;
                    probe(backend, "effprof-gpu", OPEN_LIMIT, move || {
                        native_device(backend).and_then(test_computation)
                    })
                }
            },
        };
        opened.push((*self, outcome.clone()));
        outcome
    }

    /// The device, opened as [`Backend::open`] does.
    pub fn device(&self) -> Result<Device, Unavailable> {
        self.open().map(|o| o.device)
    }
}

/// Runs `open` on a thread of its own named `name`, within `limit`, its panics caught: a
/// driver that hangs or panics costs a clear error, not a frozen program.
fn probe(
    backend: Backend,
    name: &str,
    limit: Duration,
    open: impl FnOnce() -> Result<Opened, String> + Send + 'static,
) -> Result<Opened, Unavailable> {
    let unavailable = |reason: String| Unavailable { backend, reason };
    let (tx, rx) = mpsc::channel();
    let run = move || {
        let outcome = catch_unwind(AssertUnwindSafe(open))
            .unwrap_or_else(|p| Err(format!("the driver panicked: {}", panic_message(&p))));
        let _ = tx.send(outcome);
    };
    std::thread::Builder::new()
        // Threads the driver and the runtime start from here inherit this name (Linux), so it
        // names what they do for the rest of the session, not just the opening.
        .name(name.into())
        .spawn(run)
        .map_err(|e| unavailable(format!("cannot start the probe: {e}")))?;
    match rx.recv_timeout(limit) {
        Ok(outcome) => outcome.map_err(unavailable),
        // The probe thread is left to finish (or hang) on its own.
        Err(mpsc::RecvTimeoutError::Timeout) => Err(unavailable(format!(
            "the driver did not answer within {} s",
            limit.as_secs()
        ))),
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            Err(unavailable("the probe ended without an answer".into()))
        }
    }
}

/// Connects to the server at `host` (its token from [`super::TOKEN_VAR`]) and runs the test
/// computation there.
fn open_remote(host: super::RemoteHost) -> Result<Opened, String> {
    let url = host.url();
    let mut remote = burn::remote::RemoteHost::websocket(&url);
    if let Ok(token) = std::env::var(super::TOKEN_VAR) {
        remote = remote.with_credential(token);
    }
    let device = Device::remote_options(&remote)
        .init()
        .map_err(|e| match e {
            burn::remote::ConnectError::Unauthorized => format!(
                "{url} refused the connection: set {} to the token `effprof serve` printed",
                super::TOKEN_VAR
            ),
            e => format!("cannot connect to {url}: {e}"),
        })?;
    let mut opened = test_computation(device)?;
    // burn-remote names no adapter: the server's host channel does, where it answers.
    opened.adapter = match host.served() {
        Ok(served) => format!("{} ({}, remote)", served.adapter, served.backend),
        Err(_) => "remote device".to_owned(),
    };
    opened.fingerprint = url;
    Ok(opened)
}

/// The CUDA or ROCm device of `backend`, in a build that has it.
fn native_device(backend: Backend) -> Result<Device, String> {
    match backend {
        #[cfg(feature = "cuda")]
        Backend::Cuda(i) => Ok(Device::cuda(i)),
        #[cfg(feature = "rocm")]
        Backend::Rocm(i) => Ok(Device::rocm(i)),
        other => Err(other
            .compiled_in()
            .err()
            .unwrap_or_else(|| format!("{other} is not a CUDA or ROCm device"))),
    }
}

/// Opens `adapter` on the first native API that has it, and runs a test computation.
fn open_wgpu_now(adapter: WgpuAdapter) -> Result<Opened, String> {
    let native = native_apis()
        .iter()
        .fold(wgpu::Backends::empty(), |all, api| {
            all | wgpu::Backends::from(wgpu_api(*api))
        });
    let found = adapters(native);
    let kind = match adapter {
        WgpuAdapter::Default => DeviceKind::DefaultDevice,
        WgpuAdapter::Cpu => DeviceKind::Cpu,
        WgpuAdapter::Discrete(i) => DeviceKind::DiscreteGpu(i),
        WgpuAdapter::Integrated(i) => DeviceKind::IntegratedGpu(i),
    };
    let mut failures = Vec::new();
    for &api in native_apis() {
        if !found.iter().any(|a| a.backend == wgpu_api(api)) {
            continue;
        }
        match Device::wgpu_options()
            .device_kind(kind.clone())
            .graphics_api(api)
            .init()
        {
            Ok(device) => return test_computation(device),
            Err(e) => failures.push(format!("{}: {e}", api_name(api))),
        }
    }
    if found.is_empty() {
        // Only now is OpenGL asked (its drivers can be noisy), to say what the machine has.
        return Err(explain(&adapters(wgpu::Backends::GL), &failures));
    }
    Err(explain(&found, &failures))
}

/// Why no native adapter could be used: what wgpu found, and what to do.
fn explain(found: &[wgpu::AdapterInfo], failures: &[String]) -> String {
    let wanted = native_apis()
        .iter()
        .map(|a| api_name(*a))
        .collect::<Vec<_>>()
        .join(" or ");
    let listed = found
        .iter()
        .map(|a| format!("{} on {:?} ({:?})", a.name, a.backend, a.device_type))
        .collect::<Vec<_>>()
        .join(", ");
    if !failures.is_empty() {
        return format!(
            "no usable adapter: {}; adapters found: {listed}",
            failures.join("; ")
        );
    }
    let fix = "install a Vulkan driver (on Linux, mesa-vulkan-drivers gives lavapipe, a CPU one) or measure on ndarray or flex";
    if found.is_empty() {
        format!("no {wanted} adapter found, and no other graphics adapter either; {fix}")
    } else {
        format!(
            "no {wanted} adapter found, only {listed}, which effprof does not use (burn's kernels need {wanted}); {fix}"
        )
    }
}

/// The adapters of `backends` on this machine.
fn adapters(backends: wgpu::Backends) -> Vec<wgpu::AdapterInfo> {
    let instance = wgpu::Instance::new(wgpu::InstanceDescriptor {
        backends,
        ..wgpu::InstanceDescriptor::new_without_display_handle()
    });
    block_on(instance.enumerate_adapters(backends))
        .iter()
        .map(wgpu::Adapter::get_info)
        .collect()
}

/// A sum of four ones, read back: the adapter compiles, runs and returns a kernel.
fn test_computation(device: Device) -> Result<Opened, String> {
    let t: Tensor<1> = Tensor::ones([4], &device);
    let sum: f32 = t.sum().into_scalar();
    if sum != 4.0 {
        return Err(format!("a test computation returned {sum} instead of 4"));
    }
    device.sync().map_err(|e| format!("{e:?}"))?;
    let (adapter, fingerprint) = match device.identity() {
        Some(id) => (id.name, id.fingerprint),
        None => ("unknown adapter".into(), String::new()),
    };
    Ok(Opened {
        device,
        adapter,
        fingerprint,
    })
}

fn wgpu_api(api: WgpuBackend) -> wgpu::Backend {
    match api {
        WgpuBackend::Metal => wgpu::Backend::Metal,
        WgpuBackend::Dx12 => wgpu::Backend::Dx12,
        WgpuBackend::Gl => wgpu::Backend::Gl,
        WgpuBackend::WebGpu => wgpu::Backend::BrowserWebGpu,
        WgpuBackend::Vulkan | WgpuBackend::Auto => wgpu::Backend::Vulkan,
    }
}

fn api_name(api: WgpuBackend) -> &'static str {
    match api {
        WgpuBackend::Metal => "Metal",
        WgpuBackend::Dx12 => "DX12",
        WgpuBackend::Gl => "OpenGL",
        WgpuBackend::WebGpu => "WebGPU",
        WgpuBackend::Vulkan | WgpuBackend::Auto => "Vulkan",
    }
}

/// Drives a future that native wgpu completes without waiting on anything.
fn block_on<F: std::future::Future>(future: F) -> F::Output {
    use std::task::{Context, Poll, Waker};
    let mut future = std::pin::pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

fn cpu_name() -> String {
    let system = sysinfo::System::new_with_specifics(
        sysinfo::RefreshKind::nothing().with_cpu(sysinfo::CpuRefreshKind::nothing()),
    );
    let brand = system
        .cpus()
        .first()
        .map(|c| c.brand().trim().to_owned())
        .filter(|b| !b.is_empty())
        .unwrap_or_else(|| "CPU".into());
    format!("{brand} ({} threads)", rayon::current_num_threads())
}

pub(crate) fn panic_message(payload: &Box<dyn std::any::Any + Send>) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_else(|| "the backend panicked".into())
}
