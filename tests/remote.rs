//! A remote device on loopback: `effprof serve` serving flex on 127.0.0.1, measured by
//! `effprof bench --backend remote:ws://...`; a wrong token refused; the server killed
//! mid-run ends the client with a clear error and what it measured, within a time limit.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const TOKEN: &str = "loopback-test-token";

fn effprof() -> Command {
    Command::new(env!("CARGO_BIN_EXE_effprof"))
}

/// `effprof serve` on a free port of 127.0.0.1; the child and its address.
fn serve() -> (Child, String) {
    let mut child = effprof()
        .args([
            "serve",
            "--backend",
            "flex",
            "--bind",
            "127.0.0.1",
            "--port",
            "0",
        ])
        .env("EFFPROF_REMOTE_TOKEN", TOKEN)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the binary runs");
    let mut lines = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    lines.read_line(&mut first).unwrap();
    // The rest is drained, so that the server never writes to a closed pipe.
    std::thread::spawn(move || std::io::copy(&mut lines, &mut std::io::sink()));
    let url = first
        .split_whitespace()
        .find(|w| w.starts_with("ws://"))
        .unwrap_or_else(|| panic!("no address in {first:?}"))
        .trim_end_matches(';')
        .to_owned();
    (child, url)
}

/// Waits for `child` at most `limit`; kills it and fails past that.
fn wait(mut child: Child, limit: Duration) -> Output {
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > limit {
            let _ = child.kill();
            panic!("no answer within {limit:?}: the client hangs");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    child.wait_with_output().unwrap()
}

fn bench(url: &str, token: &str, extra: &[&str]) -> Child {
    effprof()
        .args(["bench", "--suite", "tiny", "--variants", "dense,moe"])
        .args(["--backend", &format!("remote:{url}")])
        .args(extra)
        .env("EFFPROF_REMOTE_TOKEN", token)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

#[test]
fn a_remote_device_is_measured_refuses_a_wrong_token_and_fails_cleanly_when_lost() {
    let (mut server, url) = serve();
    assert!(url.starts_with("ws://127.0.0.1:"), "{url}");

    // Measured over the wire: the snapshot says where it ran.
    let o = wait(
        bench(&url, TOKEN, &["--iters", "5", "--format", "json"]),
        Duration::from_secs(120),
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(doc["backend"], format!("remote:{url}"));
    // The server's host channel said what it runs on (here, this very machine).
    let adapter = doc["adapter"].as_str().unwrap();
    assert!(adapter.ends_with("(flex, remote)"), "{adapter}");
    let here = effprof::snapshot::Host::detect();
    assert_eq!(doc["host"]["cpu"], here.cpu);
    assert!(
        doc["device_memory_na"]
            .as_str()
            .unwrap()
            .contains("remote device"),
        "{}",
        doc["device_memory_na"]
    );
    for v in doc["variants"].as_array().unwrap() {
        assert!(v["measured"]["latency"]["iterations"].as_u64().unwrap() >= 5);
    }
    // The table says how a remote latency is timed.
    let o = wait(
        bench(&url, TOKEN, &["--iters", "3", "--format", "table"]),
        Duration::from_secs(120),
    );
    let table = String::from_utf8_lossy(&o.stdout);
    assert!(table.contains("round trip included"), "{table}");

    // The wrong token: refused, saying which variable to set.
    let o = wait(
        bench(&url, "wrong", &["--iters", "1"]),
        Duration::from_secs(60),
    );
    assert_eq!(o.status.code(), Some(3));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("EFFPROF_REMOTE_TOKEN"), "{err}");

    // The server killed mid-run: the client ends with exit 3 and the figures it had.
    let client = bench(&url, TOKEN, &["--duration", "60", "--format", "json"]);
    std::thread::sleep(Duration::from_secs(6));
    server.kill().unwrap();
    let _ = server.wait();
    let o = wait(client, Duration::from_secs(45));
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(3), "{err}");
    assert!(err.contains("connection lost"), "{err}");
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(doc["variants"].as_array().unwrap().len(), 2);
}
