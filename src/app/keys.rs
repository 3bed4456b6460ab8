//! Keys to actions, in one place: the footer and the help overlay are drawn from [`KEYS`] and
//! from each view's own keys in [`VIEWS`].

use crossterm::event::{
    KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};

use super::keymap::KeyMap;
use super::views::{VIEWS, View};
use super::{Action, FilterKey, Scroll};

/// A key that works in every view.
pub struct Key {
    /// As the help shows them.
    pub keys: &'static str,
    pub help: &'static str,
    /// (keys, word) in the footer; None when the help alone shows it.
    pub footer: Option<(&'static str, &'static str)>,
    /// It changes what the engine measures, so a recorded run has no use for it.
    pub steers: bool,
    /// Shown at the footer's right end, where a narrow terminal does not cut it off.
    pub pinned: bool,
    /// What it does, where one action: the footer shows the key a config file gives it.
    pub action: Option<Action>,
}

const fn key(keys: &'static str, help: &'static str) -> Key {
    Key {
        keys,
        help,
        footer: None,
        steers: false,
        pinned: false,
        action: None,
    }
}

pub const KEYS: &[Key] = &[
    Key {
        footer: Some(("b", "backend")),
        steers: true,
        action: Some(Action::NextBackend),
        ..key("b / B", "next / previous backend")
    },
    Key {
        footer: Some(("←→", "focus")),
        action: Some(Action::FocusNext),
        ..key("← → / h l", "focus variant")
    },
    Key {
        footer: Some(("space", "pause")),
        steers: true,
        action: Some(Action::TogglePause),
        ..key("space", "pause / resume")
    },
    Key {
        footer: Some(("+/-", "batch")),
        steers: true,
        action: Some(Action::DoubleBatch),
        ..key("+ / -", "double / halve the batch")
    },
    Key {
        footer: Some(("r", "reset")),
        steers: true,
        action: Some(Action::ResetStats),
        ..key("r", "reset statistics")
    },
    Key {
        footer: Some(("s", "snapshot")),
        action: Some(Action::Snapshot),
        ..key("s", "export a snapshot")
    },
    Key {
        footer: Some(("Tab", "view")),
        action: Some(Action::NextView),
        ..key("Tab", "next view")
    },
    Key {
        footer: Some(("/", "filter")),
        action: Some(Action::Filter(FilterKey::Open)),
        ..key(
            "/",
            "filter the variants by name, family:moe (Enter keeps, Esc clears)",
        )
    },
    Key {
        footer: Some(("</>", "sort")),
        action: Some(Action::SortNext),
        ..key(
            "< / >",
            "sort the variants by the previous / next indicator",
        )
    },
    Key {
        action: Some(Action::SortInvert),
        ..key("I", "invert the sort (the most expensive first)")
    },
    Key {
        footer: Some(("?", "help")),
        pinned: true,
        action: Some(Action::ToggleHelp),
        ..key("?", "help")
    },
    key("↑ ↓ / j k", "scroll a view taller than the screen"),
    key("PgUp / PgDn", "scroll by a page"),
    key("Home / End", "scroll to the first / last row"),
    Key {
        action: Some(Action::Dismiss),
        ..key("Esc", "close help or message")
    },
    Key {
        footer: Some(("q", "quit")),
        pinned: true,
        action: Some(Action::Quit),
        ..key("q / Ctrl-c", "quit")
    },
];

/// The help overlay's rows: the keys of every view, the digits that show each view, then each
/// view's own keys under its title.
pub fn help_rows(keymap: &KeyMap) -> Vec<(String, String)> {
    let mut rows: Vec<(String, String)> = KEYS
        .iter()
        .map(|k| match k.action.and_then(|a| keymap.key_of(a)) {
            Some(moved) => (
                moved.to_owned(),
                format!("{} (config; was {})", k.help, k.keys),
            ),
            None => (k.keys.to_owned(), k.help.to_owned()),
        })
        .collect();
    for chunk in VIEWS.chunks(4) {
        let digits: Vec<String> = chunk.iter().map(|e| e.view.number().to_string()).collect();
        let titles: Vec<&str> = chunk.iter().map(|e| e.title).collect();
        rows.push((digits.join(" "), titles.join(", ")));
    }
    for e in VIEWS {
        for k in e.keys {
            rows.push((k.shown_keys(keymap), format!("{}: {}", e.title, k.help)));
        }
    }
    for (name, key) in keymap.bindings() {
        rows.push((
            key.to_owned(),
            format!("{name} (config.toml; its own key is free)"),
        ));
    }
    rows
}

/// The footer under `view`: its own keys first, then those that work everywhere (less the
/// ones that steer the engine when a recorded run is watched); and, apart, the pinned keys
/// for its right end.
pub fn footer_hints(view: View, watching: bool, keymap: &KeyMap) -> (String, String) {
    let own = view.entry().keys.iter().filter(|_| !watching);
    let mut hints: Vec<String> = own
        .map(|k| format!("{} {}", k.shown_keys(keymap), k.short))
        .collect();
    let shown = KEYS.iter().filter(|k| !(watching && k.steers));
    let hint = |k: &Key| {
        let (keys, word) = k.footer?;
        let keys = k.action.and_then(|a| keymap.key_of(a)).unwrap_or(keys);
        Some(format!("{keys} {word}"))
    };
    hints.extend(shown.clone().filter(|k| !k.pinned).filter_map(hint));
    if watching {
        hints.push("(a recorded run: nothing to steer)".into());
    }
    let pinned: Vec<String> = shown.filter(|k| k.pinned).filter_map(hint).collect();
    (hints.join("  "), pinned.join("  "))
}

/// The wheel scrolls by three rows; a click does what the screen `app` last drew there asks
/// (a tab shows its view, a variant takes the focus).
pub fn action_for_mouse(event: MouseEvent, app: &super::App) -> Option<Action> {
    match event.kind {
        MouseEventKind::ScrollDown => Some(Action::Scroll(Scroll::Lines(3))),
        MouseEventKind::ScrollUp => Some(Action::Scroll(Scroll::Lines(-3))),
        MouseEventKind::Down(MouseButton::Left) => app.action_at(event.column, event.row),
        _ => None,
    }
}

pub fn action_for_key(key: KeyEvent) -> Option<Action> {
    if key.kind == KeyEventKind::Release {
        return None;
    }
    if key.modifiers.contains(KeyModifiers::CONTROL) {
        return matches!(key.code, KeyCode::Char('c')).then_some(Action::Quit);
    }
    Some(match key.code {
        KeyCode::Char('q') => Action::Quit,
        KeyCode::Char('b') => Action::NextBackend,
        KeyCode::Char('B') => Action::PrevBackend,
        KeyCode::Right | KeyCode::Char('l') => Action::FocusNext,
        KeyCode::Left | KeyCode::Char('h') => Action::FocusPrev,
        KeyCode::Char(' ') => Action::TogglePause,
        KeyCode::Char('+') | KeyCode::Char('=') => Action::DoubleBatch,
        KeyCode::Char('-') => Action::HalveBatch,
        KeyCode::Char('r') => Action::ResetStats,
        KeyCode::Char('s') => Action::Snapshot,
        KeyCode::Char('?') => Action::ToggleHelp,
        KeyCode::Tab => Action::NextView,
        KeyCode::Char(c @ '1'..='9') => {
            Action::ShowView(View::numbered(c as usize - '0' as usize)?)
        }
        KeyCode::Char('o') => Action::ToggleOps,
        KeyCode::Char('d') => Action::ToggleModules,
        KeyCode::Down | KeyCode::Char('j') => Action::Scroll(Scroll::Lines(1)),
        KeyCode::Up | KeyCode::Char('k') => Action::Scroll(Scroll::Lines(-1)),
        KeyCode::PageDown => Action::Scroll(Scroll::Pages(1)),
        KeyCode::PageUp => Action::Scroll(Scroll::Pages(-1)),
        KeyCode::Home => Action::Scroll(Scroll::Home),
        KeyCode::End => Action::Scroll(Scroll::End),
        KeyCode::Char('t') => Action::StartTraining,
        KeyCode::Char('g') => Action::StartGeneration,
        KeyCode::Char('w') => Action::StartSweep,
        KeyCode::Char('p') => Action::MoreStages,
        KeyCode::Char('P') => Action::FewerStages,
        KeyCode::Char('m') => Action::MoreMicroBatches,
        KeyCode::Char('M') => Action::FewerMicroBatches,
        KeyCode::Esc => Action::Dismiss,
        KeyCode::Char('/') => Action::Filter(FilterKey::Open),
        KeyCode::Char('>') => Action::SortNext,
        KeyCode::Char('<') => Action::SortPrev,
        KeyCode::Char('I') => Action::SortInvert,
        _ => return None,
    })
}

/// What a key does while the filter is typed: characters go into it, Enter keeps it, Esc
/// clears it; Ctrl-c still quits.
pub fn action_for_filter_key(key: KeyEvent) -> Option<Action> {
    if key.kind == KeyEventKind::Release {
        return None;
    }
    if key.modifiers.contains(KeyModifiers::CONTROL) {
        return matches!(key.code, KeyCode::Char('c')).then_some(Action::Quit);
    }
    Some(Action::Filter(match key.code {
        KeyCode::Char(c) => FilterKey::Char(c),
        KeyCode::Backspace => FilterKey::Backspace,
        KeyCode::Enter => FilterKey::Apply,
        KeyCode::Esc => FilterKey::Clear,
        _ => return None,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn every_documented_key_maps_to_its_action() {
        let cases = [
            (key(KeyCode::Char('b')), Action::NextBackend),
            (
                KeyEvent::new(KeyCode::Char('B'), KeyModifiers::SHIFT),
                Action::PrevBackend,
            ),
            (key(KeyCode::Right), Action::FocusNext),
            (key(KeyCode::Char('l')), Action::FocusNext),
            (key(KeyCode::Left), Action::FocusPrev),
            (key(KeyCode::Char('h')), Action::FocusPrev),
            (key(KeyCode::Char(' ')), Action::TogglePause),
            (key(KeyCode::Char('+')), Action::DoubleBatch),
            (key(KeyCode::Char('-')), Action::HalveBatch),
            (key(KeyCode::Char('r')), Action::ResetStats),
            (key(KeyCode::Char('s')), Action::Snapshot),
            (key(KeyCode::Char('?')), Action::ToggleHelp),
            (key(KeyCode::Tab), Action::NextView),
            (key(KeyCode::Char('2')), Action::ShowView(View::Compare)),
            (key(KeyCode::Char('3')), Action::ShowView(View::Ranks)),
            (key(KeyCode::Char('4')), Action::ShowView(View::Routing)),
            (key(KeyCode::Char('5')), Action::ShowView(View::Pipeline)),
            (key(KeyCode::Char('6')), Action::ShowView(View::Sweep)),
            (key(KeyCode::Char('7')), Action::ShowView(View::Roofline)),
            (key(KeyCode::Char('8')), Action::ShowView(View::Train)),
            (key(KeyCode::Char('9')), Action::ShowView(View::Generate)),
            (key(KeyCode::Char('t')), Action::StartTraining),
            (key(KeyCode::Char('g')), Action::StartGeneration),
            (key(KeyCode::Char('w')), Action::StartSweep),
            (key(KeyCode::Char('p')), Action::MoreStages),
            (
                KeyEvent::new(KeyCode::Char('P'), KeyModifiers::SHIFT),
                Action::FewerStages,
            ),
            (key(KeyCode::Char('m')), Action::MoreMicroBatches),
            (
                KeyEvent::new(KeyCode::Char('M'), KeyModifiers::SHIFT),
                Action::FewerMicroBatches,
            ),
            (key(KeyCode::Char('o')), Action::ToggleOps),
            (key(KeyCode::Char('d')), Action::ToggleModules),
            (key(KeyCode::Down), Action::Scroll(Scroll::Lines(1))),
            (key(KeyCode::Char('j')), Action::Scroll(Scroll::Lines(1))),
            (key(KeyCode::Up), Action::Scroll(Scroll::Lines(-1))),
            (key(KeyCode::Char('k')), Action::Scroll(Scroll::Lines(-1))),
            (key(KeyCode::PageDown), Action::Scroll(Scroll::Pages(1))),
            (key(KeyCode::PageUp), Action::Scroll(Scroll::Pages(-1))),
            (key(KeyCode::Home), Action::Scroll(Scroll::Home)),
            (key(KeyCode::End), Action::Scroll(Scroll::End)),
            (key(KeyCode::Esc), Action::Dismiss),
            (key(KeyCode::Char('/')), Action::Filter(FilterKey::Open)),
            (key(KeyCode::Char('>')), Action::SortNext),
            (key(KeyCode::Char('<')), Action::SortPrev),
            (
                KeyEvent::new(KeyCode::Char('I'), KeyModifiers::SHIFT),
                Action::SortInvert,
            ),
            (key(KeyCode::Char('q')), Action::Quit),
            (
                KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL),
                Action::Quit,
            ),
        ];
        for (k, action) in cases {
            assert_eq!(action_for_key(k), Some(action), "{k:?}");
        }
    }

    #[test]
    fn every_view_has_its_digit_and_its_keys_in_the_help() {
        let rows = help_rows(&KeyMap::default());
        for e in VIEWS {
            let digit = char::from_digit(e.view.number() as u32, 10).unwrap();
            assert_eq!(
                action_for_key(key(KeyCode::Char(digit))),
                Some(Action::ShowView(e.view))
            );
            assert!(
                rows.iter()
                    .any(|(keys, what)| keys.contains(digit) && what.contains(e.title)),
                "{} has no digit row in the help",
                e.title
            );
            let (footer, _) = footer_hints(e.view, false, &KeyMap::default());
            let everywhere = footer.find("b backend").unwrap();
            for k in e.keys {
                assert!(rows.iter().any(|(keys, _)| keys == k.keys), "{}", k.keys);
                let at = footer.find(&format!("{} {}", k.keys, k.short));
                assert!(at.is_some_and(|at| at < everywhere), "{footer}");
            }
        }
        assert_eq!(View::numbered(VIEWS.len() + 1), None);
        assert_eq!(action_for_key(key(KeyCode::Char('0'))), None);
    }

    #[test]
    fn a_watched_run_shows_no_key_that_steers_the_engine() {
        let (steering, _) = footer_hints(View::Live, false, &KeyMap::default());
        let (watching, pinned) = footer_hints(View::Pipeline, true, &KeyMap::default());
        for k in KEYS.iter().filter(|k| k.steers) {
            let (keys, word) = k.footer.unwrap();
            assert!(steering.contains(&format!("{keys} {word}")));
            assert!(!watching.contains(&format!("{keys} {word}")), "{watching}");
        }
        assert!(!watching.contains("p/P"), "{watching}");
        assert_eq!(pinned, "? help  q quit");
    }

    #[test]
    fn while_the_filter_is_typed_keys_are_text_but_ctrl_c_still_quits() {
        let typed = [
            (
                key(KeyCode::Char('q')),
                Action::Filter(FilterKey::Char('q')),
            ),
            (
                key(KeyCode::Char('/')),
                Action::Filter(FilterKey::Char('/')),
            ),
            (
                key(KeyCode::Backspace),
                Action::Filter(FilterKey::Backspace),
            ),
            (key(KeyCode::Enter), Action::Filter(FilterKey::Apply)),
            (key(KeyCode::Esc), Action::Filter(FilterKey::Clear)),
            (
                KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL),
                Action::Quit,
            ),
        ];
        for (k, action) in typed {
            assert_eq!(action_for_filter_key(k), Some(action), "{k:?}");
        }
        assert_eq!(action_for_filter_key(key(KeyCode::Tab)), None);
    }

    #[test]
    fn other_keys_and_releases_do_nothing() {
        assert_eq!(action_for_key(key(KeyCode::Char('x'))), None);
        assert_eq!(
            action_for_key(KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL)),
            None
        );
        let mut release = key(KeyCode::Char('q'));
        release.kind = KeyEventKind::Release;
        assert_eq!(action_for_key(release), None);
    }
}
