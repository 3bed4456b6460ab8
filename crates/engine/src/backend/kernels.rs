//! Which kernels the backends run here, and where wgpu keeps the kernels it compiles.

use std::path::{Path, PathBuf};

/// The CPU kernel set the matmuls of ndarray (matrixmultiply) and flex (gemm) pick on this
/// machine. Both are built with AVX-512 kernels and choose at run time, so one binary runs
/// everywhere and uses what the CPU has.
pub fn cpu_kernels() -> String {
    #[cfg(target_arch = "x86_64")]
    {
        let has = |feature: bool, name: &'static str| feature.then_some(name);
        let found: Vec<&str> = [
            has(std::arch::is_x86_feature_detected!("avx512f"), "avx512f"),
            has(std::arch::is_x86_feature_detected!("avx2"), "avx2"),
            has(std::arch::is_x86_feature_detected!("fma"), "fma"),
        ]
        .into_iter()
        .flatten()
        .collect();
        let set = if found.contains(&"avx512f") {
            "AVX-512"
        } else if found.contains(&"avx2") && found.contains(&"fma") {
            "AVX2+FMA"
        } else {
            "SSE2"
        };
        format!("{set} (x86-64: {})", found.join(", "))
    }
    #[cfg(target_arch = "aarch64")]
    {
        "NEON (aarch64)".to_owned()
    }
    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
    {
        format!("portable ({})", std::env::consts::ARCH)
    }
}

/// Where wgpu's compiled kernels and autotune results are kept between runs: cubecl's user
/// cache folder (`~/.cache/cubecl` on Linux), unless a `cubecl.toml` or `burn.toml` in the
/// working folder or above says otherwise. cubecl's own default is the `target/` folder of the
/// outermost Cargo project around the working folder, which would put effprof's caches into
/// whatever project it is run from, and start cold everywhere else. Call before any wgpu
/// device opens; later calls do nothing.
pub fn keep_wgpu_caches_per_user() {
    use cubecl::config::RuntimeConfig;
    use cubecl::config::cache::CacheConfig;
    if let Ok(cwd) = std::env::current_dir()
        && config_file_above(&cwd).is_some()
    {
        return;
    }
    let mut config = cubecl::config::CubeClRuntimeConfig::default();
    config.environment.path = CacheConfig::Global;
    // cubecl's environment variables (its logging, the environment's name) still apply.
    let config = config.override_from_env();
    // False when a device already read the configuration: it then keeps what it read.
    let _ = cubecl::config::CubeClRuntimeConfig::try_set(config);
}

/// The first cubecl configuration file in `dir` or a folder above it.
fn config_file_above(dir: &Path) -> Option<PathBuf> {
    const NAMES: [&str; 4] = ["cubecl.toml", "CubeCL.toml", "burn.toml", "Burn.toml"];
    dir.ancestors()
        .flat_map(|d| NAMES.iter().map(move |n| d.join(n)))
        .find(|p| p.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kernel_set_names_what_this_cpu_has() {
        let kernels = cpu_kernels();
        #[cfg(target_arch = "x86_64")]
        assert_eq!(
            kernels.starts_with("AVX-512"),
            std::arch::is_x86_feature_detected!("avx512f"),
            "{kernels}"
        );
        assert!(!kernels.is_empty());
    }

    #[test]
    fn a_configuration_file_above_the_working_folder_is_found() {
        let dir = tempfile::tempdir().unwrap();
        let inner = dir.path().join("a/b");
        std::fs::create_dir_all(&inner).unwrap();
        assert_eq!(config_file_above(&inner), None);
        std::fs::write(dir.path().join("a/burn.toml"), "").unwrap();
        assert_eq!(
            config_file_above(&inner),
            Some(dir.path().join("a/burn.toml"))
        );
    }
}
