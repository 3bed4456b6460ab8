//! The TUI's optional config file: `--config FILE`, else `$XDG_CONFIG_HOME/effprof/config.toml`
//! (`~/.config/effprof/config.toml` without the variable). Its theme, default suite and
//! backend, `basic` drawing and keys apply to `effprof` and `effprof view`; the headless
//! commands never read it, so a script gives the same figures on every machine. Every error
//! names the file, the line and the key, and what is allowed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use crate::app::KeyMap;
use crate::backend::Backend;
use crate::spec::line_of;

/// The colours the TUI draws in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ThemeName {
    /// Light text on a dark terminal.
    #[default]
    Dark,
    /// Dark text on a light terminal.
    Light,
    /// No colours: emphasis by weight only (as `NO_COLOR` asks).
    Plain,
}

impl ThemeName {
    pub const ALL: [(&'static str, ThemeName); 3] = [
        ("dark", ThemeName::Dark),
        ("light", ThemeName::Light),
        ("plain", ThemeName::Plain),
    ];
}

/// What the config file says; every field is optional.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Config {
    /// The file read, if any.
    pub path: Option<PathBuf>,
    pub theme: Option<ThemeName>,
    pub suite: Option<String>,
    pub backend: Option<Backend>,
    pub basic: bool,
    pub keys: KeyMap,
}

/// A config file that cannot be used: its path, line and key are in the text.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(String);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    theme: Option<Spanned<String>>,
    suite: Option<Spanned<String>>,
    backend: Option<Spanned<String>>,
    basic: Option<bool>,
    #[serde(default)]
    keys: BTreeMap<String, Spanned<String>>,
}

/// The keys a config file may hold, as its parser reads them (for the docs' check).
pub const TOP_KEYS: &[&str] = &["theme", "suite", "backend", "basic", "keys"];

/// Where the config file is looked for when `--config` is not given.
pub fn default_path() -> Option<PathBuf> {
    let base = match std::env::var_os("XDG_CONFIG_HOME") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => PathBuf::from(std::env::var_os("HOME")?).join(".config"),
    };
    Some(base.join("effprof").join("config.toml"))
}

/// The config of `explicit` (which must exist), else of the default path where a file is
/// there, else none.
pub fn load(explicit: Option<&Path>) -> Result<Config, ConfigError> {
    let path = match explicit {
        Some(path) => path.to_owned(),
        None => match default_path() {
            Some(path) if path.is_file() => path,
            _ => return Ok(Config::default()),
        },
    };
    let text = std::fs::read_to_string(&path).map_err(|e| {
        ConfigError(format!(
            "{}: cannot read the config file: {e}",
            path.display()
        ))
    })?;
    parse(&text, &path)
}

pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
    let file = path.display();
    let at = |span: std::ops::Range<usize>, key: &str, message: String| {
        ConfigError(format!(
            "{file}:{}: {key}: {message}",
            line_of(text, span.start)
        ))
    };
    let raw: RawConfig = toml::from_str(text).map_err(|e| {
        let line = e
            .span()
            .map(|s| format!("{}:", line_of(text, s.start)))
            .unwrap_or_default();
        ConfigError(format!(
            "{file}:{line} {}; allowed keys: {}, and a [keys] table",
            e.message().trim(),
            TOP_KEYS[..4].join(", ")
        ))
    })?;
    let mut config = Config {
        path: Some(path.to_owned()),
        basic: raw.basic.unwrap_or(false),
        ..Config::default()
    };
    if let Some(theme) = raw.theme {
        let name = theme.get_ref().as_str();
        config.theme = Some(
            ThemeName::ALL
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, t)| *t)
                .ok_or_else(|| {
                    at(
                        theme.span(),
                        "theme",
                        format!("unknown theme `{name}`; allowed: dark, light, plain"),
                    )
                })?,
        );
    }
    if let Some(suite) = raw.suite {
        config.suite = Some(suite.into_inner());
    }
    if let Some(backend) = raw.backend {
        let parsed: Result<Backend, _> = backend.get_ref().parse();
        config.backend = Some(parsed.map_err(|e| at(backend.span(), "backend", e.to_string()))?);
    }
    // Bound in the file's order, so that an error names the later of two bindings.
    let mut keys: Vec<(String, Spanned<String>)> = raw.keys.into_iter().collect();
    keys.sort_by_key(|(_, key)| key.span().start);
    for (action, key) in keys {
        config
            .keys
            .bind(&action, key.get_ref())
            .map_err(|e| at(key.span(), &format!("keys.{action}"), e))?;
    }
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(text: &str) -> Result<Config, String> {
        parse(text, Path::new("/home/u/.config/effprof/config.toml")).map_err(|e| e.to_string())
    }

    #[test]
    fn a_full_config_is_read() {
        let c = parsed(
            "theme = \"light\"\nsuite = \"tiny\"\nbackend = \"ndarray\"\nbasic = true\n\n[keys]\nsnapshot = \"S\"\nsort_next = \"f2\"\n",
        )
        .unwrap();
        assert_eq!(c.theme, Some(ThemeName::Light));
        assert_eq!(c.suite.as_deref(), Some("tiny"));
        assert_eq!(c.backend, Some(Backend::Ndarray));
        assert!(c.basic);
        assert_eq!(c.keys.key_of(crate::app::Action::Snapshot), Some("S"));
        assert_eq!(parsed("").unwrap().theme, None);
    }

    #[test]
    fn every_bad_key_names_the_file_the_line_and_what_is_allowed() {
        let e = parsed("theme = \"dark\"\nthemes = \"light\"\n").unwrap_err();
        assert!(
            e.starts_with("/home/u/.config/effprof/config.toml:2:"),
            "{e}"
        );
        assert!(
            e.contains("themes") && e.contains("allowed keys: theme"),
            "{e}"
        );
        let e = parsed("\n\ntheme = \"solarized\"\n").unwrap_err();
        assert!(
            e.contains("config.toml:3: theme: unknown theme `solarized`"),
            "{e}"
        );
        assert!(e.contains("dark, light, plain"), "{e}");
        let e = parsed("[keys]\nquit = \"x\"\nsnapshoot = \"s\"\n").unwrap_err();
        assert!(
            e.contains("config.toml:3: keys.snapshoot: `snapshoot` is no action"),
            "{e}"
        );
        let e = parsed("[keys]\nquit = \"ctrl-x\"\n").unwrap_err();
        assert!(e.contains(":2: keys.quit: `ctrl-x` is no key"), "{e}");
        let e = parsed("backend = \"tpu\"\n").unwrap_err();
        assert!(e.contains(":1: backend:"), "{e}");
        let e = parsed("basic = \"yes\"\n").unwrap_err();
        assert!(e.contains("config.toml:1:"), "{e}");
        let e = parsed("theme = \n").unwrap_err();
        assert!(e.contains("config.toml:1:"), "{e}");
        let e = parsed("[keys]\nquit = \"x\"\nsnapshot = \"x\"\n").unwrap_err();
        assert!(
            e.contains(":3: keys.snapshot: `x` is given to `quit` already"),
            "{e}"
        );
    }

    #[test]
    fn the_guide_documents_every_key_and_action_and_no_other() {
        let guide = include_str!("../docs/guide.md");
        let section = &guide[guide
            .find("<!-- config-keys -->")
            .expect("a marked config section")..];
        let block = &section[section.find("```toml").unwrap()..];
        let block = &block[..block[3..].find("```").unwrap()];
        let keys: Vec<&str> = block
            .lines()
            .filter_map(|l| l.split_once(" = ").map(|(k, _)| k.trim()))
            .filter(|k| !k.starts_with('#'))
            .collect();
        // Every top-level key has its line, besides the [keys] table.
        for key in &TOP_KEYS[..4] {
            assert!(keys.contains(key), "`{key}` is not in the guide's example");
        }
        assert!(block.contains("[keys]"));
        let actions = &section[section.find("The actions a key can be given:").unwrap()..];
        let actions = &actions[..actions.find("A key given").unwrap()];
        let listed: Vec<&str> = actions.split('`').skip(1).step_by(2).collect();
        let bindable: Vec<&str> = crate::app::BINDABLE.iter().map(|(n, _)| *n).collect();
        assert_eq!(
            listed, bindable,
            "the guide's actions, in the parser's order"
        );
        // The example's key bindings and themes parse.
        let example = parse(block.trim_start_matches("```toml"), Path::new("guide.md"));
        assert!(example.is_ok(), "{:?}", example.err());
        for (name, _) in ThemeName::ALL {
            assert!(block.contains(name), "theme `{name}`");
        }
    }

    #[test]
    fn an_explicit_file_must_exist_and_the_default_one_need_not() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("none.toml");
        let e = load(Some(&missing)).unwrap_err().to_string();
        assert!(e.contains("none.toml: cannot read the config file"), "{e}");
        let file = dir.path().join("c.toml");
        std::fs::write(&file, "theme = \"plain\"\n").unwrap();
        assert_eq!(load(Some(&file)).unwrap().theme, Some(ThemeName::Plain));
    }
}
