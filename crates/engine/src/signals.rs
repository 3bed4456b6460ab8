//! Requests to stop from outside the keyboard's `q`: SIGINT (Ctrl-C outside the terminal UI's
//! raw mode), SIGTERM and SIGHUP. The first sets a flag the loops poll, so they can restore the
//! terminal and report what they have; a second of the same kind ends the process at once.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

static REQUESTED: OnceLock<Arc<AtomicBool>> = OnceLock::new();

#[cfg(unix)]
const SIGNALS: &[i32] = &[
    signal_hook::consts::SIGINT,
    signal_hook::consts::SIGTERM,
    signal_hook::consts::SIGHUP,
];
#[cfg(not(unix))]
const SIGNALS: &[i32] = &[signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM];

/// Starts watching for the signals (once per process; later calls do nothing).
pub fn watch() {
    REQUESTED.get_or_init(|| {
        let flag = Arc::new(AtomicBool::new(false));
        for &signal in SIGNALS {
            // Registered first, so it sees the flag as it was before this signal set it: a
            // second signal exits with the shell's code for it (128 + its number).
            let _ = signal_hook::flag::register_conditional_shutdown(
                signal,
                128 + signal,
                Arc::clone(&flag),
            );
            let _ = signal_hook::flag::register(signal, Arc::clone(&flag));
        }
        flag
    });
}

/// Whether a stop was requested since [`watch`].
pub fn requested() -> bool {
    REQUESTED.get().is_some_and(|f| f.load(Ordering::Relaxed))
}
