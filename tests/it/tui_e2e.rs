//! The real binary in a real terminal (tmux): first measurement, `b`, `s`, `?`, `q`; and
//! `effprof view -` on a recorded stream arriving through a pipe.

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

impl Session {
    /// `command` in a new detached 160x48 tmux session named `name`.
    fn start(name: String, command: &str) -> Self {
        Self::sized(name, command, 160, 48)
    }

    /// `command` in a new detached tmux session of `width` x `height`.
    fn sized(name: String, command: &str, width: u16, height: u16) -> Self {
        let (w, h) = (width.to_string(), height.to_string());
        let started = tmux(&[
            "new-session",
            "-d",
            "-s",
            &name,
            "-x",
            &w,
            "-y",
            &h,
            command,
        ]);
        assert!(
            started.status.success(),
            "{}",
            String::from_utf8_lossy(&started.stderr)
        );
        Session(name)
    }
}

/// Whether tmux runs here; CI must have it, elsewhere the test is skipped with a message.
fn tmux_available() -> bool {
    if Command::new("tmux").arg("-V").output().is_ok() {
        return true;
    }
    assert!(std::env::var_os("CI").is_none(), "CI must install tmux");
    eprintln!("skipping: tmux is not installed");
    false
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = tmux(&["kill-session", "-t", &self.0]);
    }
}

#[test]
fn measure_switch_snapshot_help_quit() {
    if !tmux_available() {
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
    let session = Session::start(name, &command);
    let s = &session.0;

    // The first measurement, on the default backend (flex): the focused variant's p50 in the
    // legend.
    wait_for(s, " flex ", Duration::from_secs(60));
    wait_for(s, "▶ dense             p50", Duration::from_secs(120));

    // One key back to ndarray.
    tmux(&["send-keys", "-t", s, "B"]);
    wait_for(s, " ndarray ", Duration::from_secs(60));

    // The Pipeline view measures the focused variant's stages on ndarray, the Roofline view
    // times its parts.
    tmux(&["send-keys", "-t", s, "5"]);
    wait_for(s, "training, 1F1B: step", Duration::from_secs(60));
    tmux(&["send-keys", "-t", s, "7"]);
    wait_for(s, "  · attention", Duration::from_secs(60));
    tmux(&["send-keys", "-t", s, "5"]);

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
    for name in effprof::snapshot::FILES {
        let len = std::fs::metadata(written.join(name)).map(|m| m.len());
        assert!(len.is_ok_and(|l| l > 0), "{name} written in {written:?}");
    }
    let screen_txt = std::fs::read_to_string(written.join("screen.txt")).unwrap();
    assert!(screen_txt.contains("effprof  suite tiny"), "{screen_txt}");
    assert!(
        screen_txt.contains("training, GPipe"),
        "the Pipeline view as seen:\n{screen_txt}"
    );
    assert!(
        written.join("pipeline.svg").is_file(),
        "measured stages are plotted"
    );
    assert!(!screen_txt.contains('\u{1b}'), "no escape codes");
    let doc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(written.join("snapshot.json")).unwrap()).unwrap();
    assert_eq!(doc["suite"]["name"], "tiny");
    assert_eq!(doc["backend"], "ndarray");
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

#[test]
fn view_replays_a_piped_stream_and_snapshots_it() {
    if !tmux_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run.jsonl");
    let recorded = Command::new(env!("CARGO_BIN_EXE_effprof"))
        .args([
            "bench", "--suite", "tiny", "--iters", "3", "--format", "jsonl",
        ])
        .args(["--variants", "dense,moe", "--out"])
        .arg(&run)
        .output()
        .unwrap();
    assert!(recorded.status.success(), "{recorded:?}");
    let out_dir = dir.path().join("snaps");
    let name = format!("effprof-view-{}", std::process::id());
    // stdin is the pipe; keys come from the terminal.
    let command = format!(
        "cat {} | {} view - --out-dir {}; echo EXITED $?; sleep 30",
        run.display(),
        env!("CARGO_BIN_EXE_effprof"),
        out_dir.display()
    );
    let session = Session::start(name, &command);
    let s = &session.0;

    let shown = wait_for(s, "end of standard input", Duration::from_secs(30));
    assert!(shown.contains("watching standard input"), "{shown}");
    tmux(&["send-keys", "-t", s, "Escape"]);
    wait_for(s, "▶ dense             p50", Duration::from_secs(10));

    tmux(&["send-keys", "-t", s, "b"]);
    wait_for(s, "cannot be steered", Duration::from_secs(10));
    tmux(&["send-keys", "-t", s, "Escape"]);

    tmux(&["send-keys", "-t", s, "2"]);
    wait_for(s, "latency p50", Duration::from_secs(10));
    tmux(&["send-keys", "-t", s, "s"]);
    wait_for(s, "snapshot written to", Duration::from_secs(10));
    let folders: Vec<_> = std::fs::read_dir(&out_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(folders.len(), 1, "{folders:?}");
    let doc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(folders[0].join("snapshot.json")).unwrap()).unwrap();
    let names: Vec<&str> = doc["variants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["dense", "moe"]);
    assert!(
        doc["variants"][1]["measured"]["latency"]["iterations"]
            .as_u64()
            .unwrap()
            >= 3
    );
    let screen_txt = std::fs::read_to_string(folders[0].join("screen.txt")).unwrap();
    assert!(
        screen_txt.contains("latency p50"),
        "the Compare view as seen:\n{screen_txt}"
    );

    tmux(&["send-keys", "-t", s, "q"]);
    wait_for(s, "EXITED 0", Duration::from_secs(10));
}

/// `q` while the engine is inside wgpu: opening the adapter, then its peak measurement (on
/// lavapipe a minute of kernel compiles). The worker is abandoned, not joined: the process is
/// gone within 2 s of the key.
#[test]
fn quit_is_instant_while_wgpu_warms_up() {
    if !tmux_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let stamp = dir.path().join("exited");
    let name = format!("effprof-quit-{}", std::process::id());
    let command = format!(
        "{} --suite tiny --backend wgpu --out-dir {}; r=$?; date +%s.%N > {}; echo EXITED $r; sleep 30",
        env!("CARGO_BIN_EXE_effprof"),
        dir.path().display(),
        stamp.display()
    );
    let session = Session::start(name, &command);
    let s = &session.0;
    wait_for(s, "effprof  suite tiny", Duration::from_secs(60));
    std::thread::sleep(Duration::from_secs(3));
    let sent = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    tmux(&["send-keys", "-t", s, "q"]);
    let after = wait_for(s, "EXITED", Duration::from_secs(10));
    assert!(after.contains("EXITED 0"), "{after}");
    let exited: f64 = std::fs::read_to_string(&stamp)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let took = exited - sent;
    eprintln!("q to exit during the wgpu warm-up: {took:.2} s");
    assert!(took < 2.0, "the process took {took:.2} s to end after `q`");
}

/// A snapshot folder that cannot be written (here its parent is a file, which stops root as
/// well as a user): `s` shows why, and measuring goes on.
#[test]
fn an_unwritable_snapshot_folder_is_reported_and_measuring_goes_on() {
    if !tmux_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("a-file");
    std::fs::write(&blocker, "not a folder").unwrap();
    let name = format!("effprof-unwritable-{}", std::process::id());
    let command = format!(
        "{} --suite tiny --out-dir {}; echo EXITED $?; sleep 30",
        env!("CARGO_BIN_EXE_effprof"),
        blocker.join("snaps").display()
    );
    let session = Session::start(name, &command);
    let s = &session.0;
    wait_for(s, "▶ dense             p50", Duration::from_secs(120));
    tmux(&["send-keys", "-t", s, "s"]);
    let shown = wait_for(s, "cannot write", Duration::from_secs(20));
    assert!(shown.contains("a-file"), "the path is named:\n{shown}");
    // Not frozen: the figures keep arriving and being drawn.
    std::thread::sleep(Duration::from_secs(3));
    let later = screen(s);
    assert!(
        later != shown && later.contains("p50"),
        "still measuring:\n{later}"
    );
    tmux(&["send-keys", "-t", s, "q"]);
    wait_for(s, "EXITED 0", Duration::from_secs(10));
}

/// SIGTERM (a `kill`, a closing session manager) and SIGHUP (a closed terminal window) quit
/// like `q`: the terminal is restored and the process ends.
#[test]
fn sigterm_quits_and_restores_the_terminal() {
    if !tmux_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let pid_file = dir.path().join("pid");
    let name = format!("effprof-term-{}", std::process::id());
    let command = format!(
        "sh -c 'echo $$ > {}; exec {} --suite tiny --out-dir {}'; echo EXITED $?; sleep 30",
        pid_file.display(),
        env!("CARGO_BIN_EXE_effprof"),
        dir.path().display()
    );
    let session = Session::start(name, &command);
    let s = &session.0;
    wait_for(s, "effprof  suite tiny", Duration::from_secs(60));
    let pid = std::fs::read_to_string(&pid_file).unwrap();
    let killed = Command::new("kill")
        .args(["-TERM", pid.trim()])
        .status()
        .unwrap();
    assert!(killed.success());
    let after = wait_for(s, "EXITED 0", Duration::from_secs(5));
    assert!(
        !after.contains("effprof  suite"),
        "the terminal is restored:\n{after}"
    );
}

/// The rows Compare's title says it shows: (first, last, of).
fn compare_rows(screen: &str) -> Option<(usize, usize, usize)> {
    let at = screen.find(" · rows ")? + " · rows ".len();
    let rest = &screen[at..];
    let (first, rest) = rest.split_once('-')?;
    let (last, rest) = rest.split_once(" of ")?;
    let total: String = rest.chars().take_while(char::is_ascii_digit).collect();
    Some((first.parse().ok()?, last.parse().ok()?, total.parse().ok()?))
}

/// Acts with `act` until Compare shows its last row; panics with the screen after `timeout`.
fn scroll_to_the_end(s: &str, act: impl Fn(), timeout: Duration) -> String {
    let start = Instant::now();
    loop {
        act();
        std::thread::sleep(Duration::from_millis(300));
        let shown = screen(s);
        if let Some((_, last, total)) = compare_rows(&shown)
            && last == total
        {
            return shown;
        }
        assert!(
            start.elapsed() < timeout,
            "the last row never came:\n{shown}"
        );
    }
}

#[test]
fn compare_reaches_its_last_row_at_80x24_by_keys_and_by_the_wheel() {
    if !tmux_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let name = format!("effprof-e2e-80x24-{}", std::process::id());
    let command = format!(
        "{} --suite misnomer --backend ndarray --out-dir {}; sleep 30",
        env!("CARGO_BIN_EXE_effprof"),
        dir.path().display()
    );
    let session = Session::sized(name, &command, 80, 24);
    let s = &session.0;
    wait_for(s, " ndarray ", Duration::from_secs(60));
    // A click on the second tab (" 1 Live │ 2 Compare"), in SGR mouse encoding.
    tmux(&["send-keys", "-t", s, "-l", "\x1b[<0;12;2M\x1b[<0;12;2m"]);
    let first = wait_for(s, "Compare · ", Duration::from_secs(30));
    let (from, _, total) = compare_rows(&first).expect("misnomer's rows do not fit 80x24");
    assert_eq!(from, 1, "{first}");
    // By keys: End, then Home.
    scroll_to_the_end(
        s,
        || drop(tmux(&["send-keys", "-t", s, "End"])),
        Duration::from_secs(30),
    );
    tmux(&["send-keys", "-t", s, "Home"]);
    wait_for(s, " · rows 1-", Duration::from_secs(10));
    // By the wheel, three rows a notch.
    let end = scroll_to_the_end(
        s,
        || drop(tmux(&["send-keys", "-t", s, "-l", "\x1b[<65;20;10M"])),
        Duration::from_secs(30),
    );
    assert!(compare_rows(&end).unwrap().2 >= total, "{end}");
    tmux(&["send-keys", "-t", s, "q"]);
}

#[test]
fn an_own_model_runs_in_the_tui_and_is_snapshotted() {
    if !tmux_available() {
        return;
    }
    // `cargo test` builds the examples beside the test binaries' folder.
    let example = std::env::current_exe()
        .unwrap()
        .parent()
        .and_then(Path::parent)
        .unwrap()
        .join("examples/own_model");
    if !example.is_file() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI builds the examples: {example:?}"
        );
        eprintln!("skipping: {example:?} is not built");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("snaps");
    let name = format!("effprof-own-{}", std::process::id());
    let command = format!(
        "{} --backend ndarray --out-dir {}; echo EXITED $?; sleep 30",
        example.display(),
        out_dir.display()
    );
    let session = Session::start(name, &command);
    let s = &session.0;

    wait_for(s, "suite mlp 512-2048-512", Duration::from_secs(60));
    wait_for(s, "▶ dense             p50", Duration::from_secs(120));
    // Compare: the analytic rows say why they are missing, the traced ones are counted
    // (2·64·512·2048 FLOPs per linear layer, two layers).
    tmux(&["send-keys", "-t", s, "2"]);
    let compare = wait_for(s, "268 MFLOP", Duration::from_secs(60));
    assert!(compare.contains("n/a: not a built-in family"), "{compare}");
    tmux(&["send-keys", "-t", s, "s"]);
    wait_for(s, "snapshot written to", Duration::from_secs(20));
    let files: Vec<_> = std::fs::read_dir(&out_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let doc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(files[0].join("snapshot.json")).unwrap()).unwrap();
    let dense = &doc["variants"][0];
    assert_eq!(dense["family"]["kind"], "custom");
    assert!(dense.get("totals").is_none(), "no analytic totals: {dense}");
    // Linear(512, 2048) and Linear(2048, 512), each with its bias.
    let params = 512 * 2048 + 2048 + 2048 * 512 + 512;
    assert_eq!(dense["traced"]["counted"]["params"], params);
    assert_eq!(dense["traced"]["counted"]["flops"], 2 * 2 * 64 * 512 * 2048);
    assert!(dense["measured"]["latency"]["p50_s"].as_f64().unwrap() > 0.0);

    tmux(&["send-keys", "-t", s, "Escape"]);
    tmux(&["send-keys", "-t", s, "q"]);
    wait_for(s, "EXITED 0", Duration::from_secs(10));
}

/// The Compare header line: the variants' names in the order shown.
fn header_order(screen: &str, names: &[&str]) -> Vec<String> {
    let line = screen
        .lines()
        .find(|l| l.contains("indicator") && l.contains("dense"))
        .unwrap_or_else(|| panic!("no Compare header on the screen:\n{screen}"));
    let mut found: Vec<(usize, String)> = Vec::new();
    for word in line.split(|c: char| c.is_whitespace() || c == '│') {
        if names.contains(&word) {
            found.push((found.len(), word.to_owned()));
        }
    }
    found.into_iter().map(|(_, w)| w).collect()
}

#[test]
fn sort_and_filter_from_keys_and_a_config_file_at_80x24_and_160x48() {
    if !tmux_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // The config moves `sort_next` to `n` (`>` keeps its other use off) and picks the light
    // theme; `--basic` is given on the second run.
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        "theme = \"light\"\nsuite = \"tiny\"\n\n[keys]\nsort_next = \"n\"\n",
    )
    .unwrap();
    let names = crate::tui_views::TINY;
    for (width, height, basic) in [(80u16, 24u16, false), (160, 48, true)] {
        let name = format!("effprof-sort-{}-{width}", std::process::id());
        // The suite comes from the config: none is given here.
        let command = format!(
            "{}{} --config {} --out-dir {}{}; echo EXITED $?; sleep 30",
            // The second run also asks for no colours, which wins over the light theme.
            if basic { "NO_COLOR=1 " } else { "" },
            env!("CARGO_BIN_EXE_effprof"),
            config.display(),
            dir.path().join("snaps").display(),
            if basic { " --basic" } else { "" },
        );
        let session = Session::sized(name, &command, width, height);
        let s = &session.0;
        wait_for(s, "suite tiny", Duration::from_secs(60));
        let live = screen(s);
        // The colours as the terminal got them: the light theme's title on blue (colour 4,
        // where the dark theme uses cyan), and none at all under NO_COLOR.
        let coloured =
            String::from_utf8_lossy(&tmux(&["capture-pane", "-p", "-e", "-t", s]).stdout)
                .into_owned();
        if basic {
            assert!(!coloured.contains("38;5;"), "{coloured:?}");
        } else {
            let title = coloured.lines().next().unwrap_or_default();
            assert!(title.contains("48;5;4m effprof"), "{title:?}");
        }
        if basic {
            // No borders, no charts.
            assert!(
                !live.contains('┌') && !live.contains('│') && !live.contains('─'),
                "{live}"
            );
            assert!(!live.contains("throughput, last 60 s"), "{live}");
        }
        tmux(&["send-keys", "-t", s, "2"]);
        wait_for(s, "indicator", Duration::from_secs(30));
        // `>` moved to `n` by the config: it sorts by nothing now.
        tmux(&["send-keys", "-t", s, ">"]);
        std::thread::sleep(Duration::from_millis(500));
        assert!(!screen(s).contains("sorted by"), "{}", screen(s));
        // n: sorted by the first indicator with a cheaper side, parameters, the fewest first:
        // universal (13.2 k) before the pruned ones (21.8 k), the MoEs (34.1 k, 47.2 k) last.
        tmux(&["send-keys", "-t", s, "n"]);
        let sorted = wait_for(s, "sorted by params total ↑", Duration::from_secs(10));
        let order = header_order(&sorted, &names);
        let by_params = [
            "dense",
            "universal",
            "pruned-dense",
            "pruned-csr",
            "moe-matched",
            "moe",
        ];
        assert!(order.len() >= if width >= 160 { 5 } else { 2 }, "{sorted}");
        assert_eq!(order, by_params[..order.len()], "{sorted}");
        // I: the other way round, the baseline still first.
        tmux(&["send-keys", "-t", s, "I"]);
        let inverted = wait_for(s, "sorted by params total ↓", Duration::from_secs(10));
        let order = header_order(&inverted, &names);
        assert_eq!(&order[..2], ["dense", "moe"], "{inverted}");
        // `/family:moe` Enter: the baseline and the two MoEs.
        tmux(&["send-keys", "-t", s, "/"]);
        wait_for(s, "Enter keeps", Duration::from_secs(10));
        tmux(&["send-keys", "-t", s, "-l", "family:moe"]);
        wait_for(s, "3 of 6 variants", Duration::from_secs(10));
        tmux(&["send-keys", "-t", s, "Enter"]);
        let filtered = wait_for(s, "filter family:moe (3 of 6)", Duration::from_secs(10));
        // Sorted by parameters, the most first: as many as fit of the three.
        let order = header_order(&filtered, &names);
        let fit = if width >= 160 { 3 } else { 2 };
        assert_eq!(order, ["dense", "moe", "moe-matched"][..fit], "{filtered}");
        // The Ranks view shows the same variants, in the same order.
        tmux(&["send-keys", "-t", s, "3"]);
        let ranks = wait_for(s, "rank (1 = cheapest)", Duration::from_secs(10));
        assert!(ranks.contains("filter family:moe"), "{ranks}");
        let header = ranks
            .lines()
            .find(|l| l.contains("rank (1 = cheapest)"))
            .unwrap();
        assert!(
            header.contains("moe-matched") && !header.contains("universal"),
            "{ranks}"
        );
        // An unknown term is named, and `/` Esc clears the filter.
        tmux(&["send-keys", "-t", s, "2", "/"]);
        tmux(&["send-keys", "-t", s, "-l", " fam:x"]);
        wait_for(s, "`fam:` is no filter term", Duration::from_secs(10));
        tmux(&["send-keys", "-t", s, "Escape"]);
        std::thread::sleep(Duration::from_millis(500));
        let cleared = screen(s);
        assert!(!cleared.contains("filter family"), "{cleared}");
        tmux(&["send-keys", "-t", s, "q"]);
        wait_for(s, "EXITED 0", Duration::from_secs(10));
    }
}
