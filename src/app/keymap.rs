//! Keys the config file moves: each action a key of the TUI does has a name (`snapshot`,
//! `sort_next`), and a binding gives it another key in place of its own. Ctrl-c always quits.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::views::View;
use super::{Action, FilterKey, Scroll, action_for_key};

/// Every action a key can be bound to, by the name a config file gives it.
pub const BINDABLE: &[(&str, Action)] = &[
    ("quit", Action::Quit),
    ("help", Action::ToggleHelp),
    ("dismiss", Action::Dismiss),
    ("next_view", Action::NextView),
    ("view_live", Action::ShowView(View::Live)),
    ("view_compare", Action::ShowView(View::Compare)),
    ("view_ranks", Action::ShowView(View::Ranks)),
    ("view_routing", Action::ShowView(View::Routing)),
    ("view_pipeline", Action::ShowView(View::Pipeline)),
    ("view_sweep", Action::ShowView(View::Sweep)),
    ("view_roofline", Action::ShowView(View::Roofline)),
    ("view_train", Action::ShowView(View::Train)),
    ("view_generate", Action::ShowView(View::Generate)),
    ("backend_next", Action::NextBackend),
    ("backend_prev", Action::PrevBackend),
    ("focus_next", Action::FocusNext),
    ("focus_prev", Action::FocusPrev),
    ("pause", Action::TogglePause),
    ("batch_double", Action::DoubleBatch),
    ("batch_halve", Action::HalveBatch),
    ("reset", Action::ResetStats),
    ("snapshot", Action::Snapshot),
    ("scroll_down", Action::Scroll(Scroll::Lines(1))),
    ("scroll_up", Action::Scroll(Scroll::Lines(-1))),
    ("page_down", Action::Scroll(Scroll::Pages(1))),
    ("page_up", Action::Scroll(Scroll::Pages(-1))),
    ("top", Action::Scroll(Scroll::Home)),
    ("bottom", Action::Scroll(Scroll::End)),
    ("ops", Action::ToggleOps),
    ("modules", Action::ToggleModules),
    ("stages_more", Action::MoreStages),
    ("stages_fewer", Action::FewerStages),
    ("micro_batches_more", Action::MoreMicroBatches),
    ("micro_batches_fewer", Action::FewerMicroBatches),
    ("sweep", Action::StartSweep),
    ("train", Action::StartTraining),
    ("generate", Action::StartGeneration),
    ("filter", Action::Filter(FilterKey::Open)),
    ("sort_next", Action::SortNext),
    ("sort_prev", Action::SortPrev),
    ("sort_invert", Action::SortInvert),
];

/// The keys a binding may name besides a single character.
const NAMED: &[(&str, KeyCode)] = &[
    ("tab", KeyCode::Tab),
    ("space", KeyCode::Char(' ')),
    ("enter", KeyCode::Enter),
    ("esc", KeyCode::Esc),
    ("backspace", KeyCode::Backspace),
    ("left", KeyCode::Left),
    ("right", KeyCode::Right),
    ("up", KeyCode::Up),
    ("down", KeyCode::Down),
    ("pageup", KeyCode::PageUp),
    ("pagedown", KeyCode::PageDown),
    ("home", KeyCode::Home),
    ("end", KeyCode::End),
];

/// What the keys do: effprof's own, less those whose action was given another key, plus the
/// keys given.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct KeyMap {
    bound: Vec<(KeyCode, Action, String)>,
}

/// A key as a binding names it: one character, a name of [`NAMED`], or `f1` to `f12`.
fn parse_key(text: &str) -> Option<KeyCode> {
    let mut chars = text.chars();
    if let (Some(c), None) = (chars.next(), chars.next()) {
        return Some(KeyCode::Char(c));
    }
    let lower = text.to_lowercase();
    if let Some((_, code)) = NAMED.iter().find(|(name, _)| *name == lower) {
        return Some(*code);
    }
    let n: u8 = lower.strip_prefix('f')?.parse().ok()?;
    (1..=12).contains(&n).then_some(KeyCode::F(n))
}

impl KeyMap {
    /// Gives the action called `name` the key `key` instead of its own; an error says which
    /// names or keys are allowed.
    pub fn bind(&mut self, name: &str, key: &str) -> Result<(), String> {
        let Some((_, action)) = BINDABLE.iter().find(|(n, _)| *n == name) else {
            let names: Vec<&str> = BINDABLE.iter().map(|(n, _)| *n).collect();
            return Err(format!(
                "`{name}` is no action; allowed: {}",
                names.join(", ")
            ));
        };
        let Some(code) = parse_key(key) else {
            let names: Vec<&str> = NAMED.iter().map(|(n, _)| *n).collect();
            return Err(format!(
                "`{key}` is no key; allowed: one character, {}, f1 to f12",
                names.join(", ")
            ));
        };
        if let Some((_, other, _)) = self
            .bound
            .iter()
            .find(|(c, a, _)| *c == code && a != action)
        {
            let other = BINDABLE
                .iter()
                .find(|(_, a)| a == other)
                .map_or("", |(n, _)| n);
            return Err(format!("`{key}` is given to `{other}` already"));
        }
        self.bound.retain(|(_, a, _)| a != action);
        self.bound.push((code, *action, key.to_owned()));
        Ok(())
    }

    /// What `key` does: a key bound here does its action, and an action bound here no longer
    /// answers its own key. Ctrl-c quits whatever is bound.
    pub fn action(&self, key: KeyEvent) -> Option<Action> {
        if key.kind == KeyEventKind::Release {
            return None;
        }
        // Ctrl-c quits whatever is bound; no other control key does anything.
        if key.modifiers.contains(KeyModifiers::CONTROL) {
            return action_for_key(key);
        }
        if let Some((_, action, _)) = self.bound.iter().find(|(c, _, _)| *c == key.code) {
            return Some(*action);
        }
        let own = action_for_key(key)?;
        (!self.bound.iter().any(|(_, a, _)| *a == own)).then_some(own)
    }

    /// The key the config gives `action`, as it was written; None where it keeps its own.
    pub fn key_of(&self, action: Action) -> Option<&str> {
        self.bound
            .iter()
            .find(|(_, a, _)| *a == action)
            .map(|(_, _, text)| text.as_str())
    }

    pub fn is_empty(&self) -> bool {
        self.bound.is_empty()
    }

    /// The bindings, as (action name, key) in the order given, for the help.
    pub fn bindings(&self) -> Vec<(&'static str, &str)> {
        self.bound
            .iter()
            .filter_map(|(_, action, key)| {
                let name = BINDABLE.iter().find(|(_, a)| a == action)?.0;
                Some((name, key.as_str()))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn a_bound_key_does_its_action_and_the_old_key_nothing() {
        let mut map = KeyMap::default();
        assert_eq!(map.action(key(KeyCode::Char('s'))), Some(Action::Snapshot));
        map.bind("snapshot", "S").unwrap();
        map.bind("quit", "x").unwrap();
        map.bind("sort_next", "f2").unwrap();
        map.bind("pause", "Space").unwrap();
        assert_eq!(map.action(key(KeyCode::Char('S'))), Some(Action::Snapshot));
        assert_eq!(map.action(key(KeyCode::Char('s'))), None);
        assert_eq!(map.action(key(KeyCode::Char('x'))), Some(Action::Quit));
        assert_eq!(map.action(key(KeyCode::Char('q'))), None);
        assert_eq!(map.action(key(KeyCode::F(2))), Some(Action::SortNext));
        assert_eq!(
            map.action(key(KeyCode::Char(' '))),
            Some(Action::TogglePause)
        );
        // Ctrl-c quits whatever quit is bound to; other keys keep their own.
        let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(map.action(ctrl_c), Some(Action::Quit));
        assert_eq!(
            map.action(key(KeyCode::Char('b'))),
            Some(Action::NextBackend)
        );
        assert_eq!(map.key_of(Action::Snapshot), Some("S"));
        assert_eq!(map.key_of(Action::NextBackend), None);
        // Binding a key that had an action of its own takes it over.
        map.bind("reset", "b").unwrap();
        assert_eq!(
            map.action(key(KeyCode::Char('b'))),
            Some(Action::ResetStats)
        );
        assert_eq!(map.action(key(KeyCode::Char('r'))), None);
    }

    #[test]
    fn the_footer_and_the_help_show_the_keys_as_moved() {
        use super::super::{footer_hints, help_rows};
        let mut map = KeyMap::default();
        map.bind("stages_fewer", "x").unwrap();
        map.bind("snapshot", "S").unwrap();
        let (footer, _) = footer_hints(View::Pipeline, false, &map);
        assert!(
            footer.starts_with("p/x stages  m/M micro-batches"),
            "{footer}"
        );
        assert!(
            footer.contains("S snapshot") && !footer.contains("s snapshot"),
            "{footer}"
        );
        let help = help_rows(&map);
        assert!(
            help.iter()
                .any(|(k, what)| k == "p/x" && what.contains("Pipeline"))
        );
        assert!(
            help.iter()
                .any(|(k, what)| k == "S" && what.contains("was s"))
        );
    }

    #[test]
    fn bad_names_and_keys_say_what_is_allowed() {
        let mut map = KeyMap::default();
        let e = map.bind("snapshoot", "s").unwrap_err();
        assert!(e.contains("`snapshoot`") && e.contains("snapshot,"), "{e}");
        let e = map.bind("snapshot", "ctrl-s").unwrap_err();
        assert!(e.contains("`ctrl-s`") && e.contains("f1 to f12"), "{e}");
        assert!(map.bind("snapshot", "f13").is_err());
        assert!(map.bind("snapshot", "").is_err());
        map.bind("snapshot", "x").unwrap();
        let e = map.bind("quit", "x").unwrap_err();
        assert!(e.contains("`snapshot`"), "{e}");
    }

    #[test]
    fn every_action_a_key_does_can_be_bound() {
        // Every key of the help maps to an action with a name here.
        for c in "qbBhl +-rs?1234567890odtgwpPmM/<>Ijk".chars() {
            if let Some(action) = action_for_key(key(KeyCode::Char(c))) {
                assert!(
                    BINDABLE.iter().any(|(_, a)| *a == action),
                    "`{c}`: {action:?} has no name"
                );
            }
        }
    }
}
