//! The real binary in a real terminal (tmux): first measurement, `b`, `s`, `?`, `q`.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

fn tmux(args: &[&str]) -> std::process::Output {
    Command::new("tmux").args(args).output().expect("tmux runs")
}

fn screen(session: &str) -> String {
    String::from_utf8_lossy(&tmux(&["capture-pane", "-p", "-t", session]).stdout).into_owned()
}

/// Waits until the screen shows `needle`; panics with the screen after `timeout`.
fn wait_for(session: &str, needle: &str, timeout: Duration) -> String {
    let start = Instant::now();
    loop {
        let s = screen(session);
        if s.contains(needle) {
            return s;
        }
        if start.elapsed() > timeout {
            panic!("`{needle}` did not appear within {timeout:?}; the screen:\n{s}");
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

struct Session(String);

impl Drop for Session {
    fn drop(&mut self) {
        let _ = tmux(&["kill-session", "-t", &self.0]);
    }
}

#[test]
fn measure_switch_snapshot_help_quit() {
    if Command::new("tmux").arg("-V").output().is_err() {
        assert!(std::env::var_os("CI").is_none(), "CI must install tmux");
        eprintln!("skipping: tmux is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("snaps");
    let name = format!("effprof-e2e-{}", std::process::id());
    let command = format!(
        "{} --suite tiny --out-dir {}; echo EXITED $?; sleep 30",
        env!("CARGO_BIN_EXE_effprof"),
        out_dir.display()
    );
    let started = tmux(&[
        "new-session",
        "-d",
        "-s",
        &name,
        "-x",
        "160",
        "-y",
        "48",
        &command,
    ]);
    assert!(
        started.status.success(),
        "{}",
        String::from_utf8_lossy(&started.stderr)
    );
    let session = Session(name);
    let s = &session.0;

    // The first measurement: the focused variant's p50 in the legend.
    wait_for(s, "▶ dense             p50", Duration::from_secs(120));

    tmux(&["send-keys", "-t", s, "b"]);
    wait_for(s, " flex ", Duration::from_secs(60));

    tmux(&["send-keys", "-t", s, "s"]);
    let shown = wait_for(s, "snapshot written to", Duration::from_secs(10));
    let files: Vec<_> = std::fs::read_dir(&out_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let written = &files[0];
    assert!(
        shown.contains(&file_name(written)),
        "the path is shown:\n{shown}"
    );
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(written).unwrap()).unwrap();
    assert_eq!(doc["suite"]["name"], "tiny");
    assert_eq!(doc["backend"], "flex");
    assert_eq!(doc["variants"].as_array().unwrap().len(), 6);

    tmux(&["send-keys", "-t", s, "Escape"]);
    tmux(&["send-keys", "-t", s, "?"]);
    wait_for(s, "keys (Esc closes)", Duration::from_secs(10));
    tmux(&["send-keys", "-t", s, "Escape"]);

    tmux(&["send-keys", "-t", s, "q"]);
    let after = wait_for(s, "EXITED 0", Duration::from_secs(10));
    assert!(
        !after.contains("effprof  suite"),
        "the terminal is restored:\n{after}"
    );
}

fn file_name(p: &Path) -> String {
    p.file_name().unwrap().to_string_lossy().into_owned()
}
