//! What surrounds the commands, from the real binary: completions, the man page,
//! `--version`, and the TUI's config file.

use std::process::Command;

use crate::bin::effprof;

fn stdout(args: &[&str]) -> String {
    let out = effprof(args);
    assert!(
        out.status.success(),
        "effprof {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The commands `effprof --help` lists, read from its output.
fn commands() -> Vec<String> {
    let help = stdout(&["--help"]);
    let list = &help[help.find("Commands:").expect("--help lists commands")..];
    list.lines()
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .map(|l| l.split_whitespace().next().unwrap().to_owned())
        .filter(|c| c != "help")
        .collect()
}

#[test]
fn completions_for_every_shell_name_every_command() {
    let commands = commands();
    assert!(commands.len() >= 12, "{commands:?}");
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let script = stdout(&["completions", shell]);
        for command in &commands {
            assert!(script.contains(command.as_str()), "{shell}: no `{command}`");
        }
        assert!(script.contains("--backend"), "{shell}: no --backend");
    }
    let bad = effprof(&["completions", "tcsh"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("possible values"));
}

#[test]
fn bash_loads_the_completions_and_completes_commands_and_options() {
    if Command::new("bash").arg("--version").output().is_err() {
        eprintln!("skipped: no bash");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("effprof.bash");
    let written = effprof(&["completions", "bash", "--out", file.to_str().unwrap()]);
    assert!(written.status.success());
    // Load the script, then ask its function what `effprof be<TAB>` and
    // `effprof bench --ba<TAB>` complete to, as bash's programmable completion would.
    let script = format!(
        r#"set -e
source '{}'
complete -p effprof
complete_line() {{ COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 )); COMP_LINE="$*"; COMP_POINT=${{#COMP_LINE}}; COMPREPLY=(); _effprof effprof "${{COMP_WORDS[-1]}}" "${{COMP_WORDS[-2]}}"; echo "${{COMPREPLY[*]}}"; }}
complete_line effprof be
complete_line effprof bench --ba
"#,
        file.display()
    );
    let out = Command::new("bash")
        .args(["--norc", "--noprofile", "-c", &script])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "bash: {}{text}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].contains("-F _effprof") && lines[0].ends_with("effprof"),
        "{text}"
    );
    assert_eq!(lines[1].trim(), "bench", "{text}");
    assert!(
        lines[2].split_whitespace().any(|w| w == "--backend")
            && lines[2].split_whitespace().any(|w| w == "--batch"),
        "{text}"
    );
}

#[test]
fn the_man_page_documents_every_command_and_writes_one_page_each() {
    let page = stdout(&["man"]);
    assert!(page.contains(".TH effprof 1"));
    for command in commands() {
        assert!(
            page.contains(&format!("effprof\\-{command}")),
            "no `{command}`"
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let out = effprof(&["man", "--dir", dir.path().to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for command in commands() {
        let path = dir.path().join(format!("effprof-{command}.1"));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|_| panic!("{path:?}"));
        let title = text
            .lines()
            .find(|l| l.starts_with(".TH "))
            .unwrap_or_default();
        assert!(
            title.starts_with(".TH effprof") && title.contains(command.as_str()),
            "{path:?}: {title}"
        );
    }
    assert!(dir.path().join("effprof.1").exists());
    // A folder that cannot be made is a usage error naming it.
    let file = dir.path().join("effprof.1");
    let bad = effprof(&["man", "--dir", file.join("sub").to_str().unwrap()]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--dir"));
}

#[test]
fn version_names_effprof_burn_and_the_backends_built_in() {
    let lock = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.lock")).unwrap();
    let at = lock
        .find("\nname = \"burn\"\n")
        .expect("burn in Cargo.lock");
    let burn = lock[at..].lines().nth(2).unwrap();
    let burn = burn.trim_start_matches("version = ").trim_matches('"');
    let long = stdout(&["--version"]);
    assert!(
        long.starts_with(&format!("effprof {}\n", env!("CARGO_PKG_VERSION"))),
        "{long}"
    );
    assert!(
        long.contains(&format!("\nburn {burn}\n")),
        "{long} (Cargo.lock: {burn})"
    );
    assert!(long.contains("backends: flex, ndarray, wgpu"), "{long}");
    assert!(long.contains("remote"), "{long}");
    // The snapshot records the same burn release.
    assert_eq!(effprof::snapshot::BURN_VERSION, burn);
    let short = stdout(&["-V"]);
    assert_eq!(
        short.trim(),
        format!("effprof {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn a_bad_config_file_exits_2_naming_the_file_the_line_and_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    for (text, line, says) in [
        ("theme = \"light\"\nthemee = \"dark\"\n", 2, "themee"),
        (
            "[keys]\nquit = \"x\"\nsnapshoot = \"s\"\n",
            3,
            "keys.snapshoot: `snapshoot` is no action",
        ),
        (
            "\n\ntheme = \"solarized\"\n",
            3,
            "allowed: dark, light, plain",
        ),
    ] {
        std::fs::write(&config, text).unwrap();
        // Not a terminal: effprof would run `bench`, but reads its config file first.
        let out = effprof(&["--config", config.to_str().unwrap(), "--suite", "tiny"]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(
            err.contains(&format!("{}:{line}:", config.display())),
            "{err}"
        );
        assert!(err.contains(says), "{err}");
        assert!(out.stdout.is_empty(), "nothing measured");
    }
    let missing = effprof(&["--config", dir.path().join("none.toml").to_str().unwrap()]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("none.toml: cannot read"));
    // `view` reads it too.
    let view = effprof(&["view", "-", "--config", config.to_str().unwrap()]);
    assert_eq!(view.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&view.stderr).contains("solarized"));
}
