//! Keys to actions, in one place: the footer and the help overlay are drawn from [`KEYS`].

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::{Action, View};

/// (keys, what they do), as the help shows them.
pub const KEYS: &[(&str, &str)] = &[
    ("b / B", "next / previous backend"),
    ("← → / h l", "focus variant"),
    ("space", "pause / resume"),
    ("+ / -", "double / halve the batch"),
    ("r", "reset statistics"),
    ("s", "export a snapshot"),
    ("Tab", "next view"),
    ("1 2 3 4", "Live, Compare, Ranks, Routing"),
    ("5 6 7 8", "Pipeline, Sweep, Roofline, Train"),
    ("p / P", "pipeline: one more / fewer stage"),
    ("m / M", "pipeline: twice / half the micro-batches"),
    ("w", "sweep batch sizes 1-16"),
    ("t", "train every variant to the target loss"),
    ("?", "help"),
    ("Esc", "close help or message"),
    ("q / Ctrl-c", "quit"),
];

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
        KeyCode::Char('1') => Action::ShowView(View::Live),
        KeyCode::Char('2') => Action::ShowView(View::Compare),
        KeyCode::Char('3') => Action::ShowView(View::Ranks),
        KeyCode::Char('4') => Action::ShowView(View::Routing),
        KeyCode::Char('5') => Action::ShowView(View::Pipeline),
        KeyCode::Char('6') => Action::ShowView(View::Sweep),
        KeyCode::Char('7') => Action::ShowView(View::Roofline),
        KeyCode::Char('8') => Action::ShowView(View::Train),
        KeyCode::Char('t') => Action::StartTraining,
        KeyCode::Char('w') => Action::StartSweep,
        KeyCode::Char('p') => Action::MoreStages,
        KeyCode::Char('P') => Action::FewerStages,
        KeyCode::Char('m') => Action::MoreMicroBatches,
        KeyCode::Char('M') => Action::FewerMicroBatches,
        KeyCode::Esc => Action::Dismiss,
        _ => return None,
    })
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
            (key(KeyCode::Char('t')), Action::StartTraining),
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
            (key(KeyCode::Esc), Action::Dismiss),
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
