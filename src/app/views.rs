//! The views, one entry each in [`VIEWS`]: the order is the Tab order and the digit keys, and
//! the header's tabs, the footer and the help are drawn from the entries. A new view is a
//! variant and an entry here, a render function in `ui/`, and its arm in `ui::render`.

use super::Action;

/// A view on screen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum View {
    Live,
    Compare,
    Ranks,
    Routing,
    Pipeline,
    Sweep,
    Roofline,
    Train,
    Generate,
}

/// What a view needs beyond the engine's summaries; the app asks for it when the view is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Needs {
    /// The summaries alone.
    Summaries,
    /// The Compare table, rebuilt from each summary only while such a view is shown.
    Table,
    /// The focused variant's pipeline stages, timed apart.
    Stages,
    /// The focused variant's parts, timed alone.
    Parts,
}

/// A key that acts on one view: in its footer and, under the view's title, in the help.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ViewKey {
    pub keys: &'static str,
    /// One or two words for the footer.
    pub short: &'static str,
    /// What the help says it does.
    pub help: &'static str,
    /// What it does, one action for each key of `keys` (`p/P`: two); a config file may move
    /// them.
    pub actions: &'static [Action],
}

#[derive(Clone, Copy, Debug)]
pub struct ViewEntry {
    pub view: View,
    pub title: &'static str,
    /// The title where the tab bar is short of room.
    pub short: &'static str,
    pub keys: &'static [ViewKey],
    pub needs: Needs,
}

const fn entry(view: View, title: &'static str, short: &'static str, needs: Needs) -> ViewEntry {
    ViewEntry {
        view,
        title,
        short,
        keys: &[],
        needs,
    }
}

pub const VIEWS: &[ViewEntry] = &[
    entry(View::Live, "Live", "Live", Needs::Summaries),
    ViewEntry {
        keys: &[
            ViewKey {
                keys: "o",
                short: "ops",
                help: "the focused variant's ops / the table",
                actions: &[Action::ToggleOps],
            },
            ViewKey {
                keys: "d",
                short: "modules",
                help: "the focused variant by module / the table",
                actions: &[Action::ToggleModules],
            },
        ],
        ..entry(View::Compare, "Compare", "Cmp", Needs::Table)
    },
    entry(View::Ranks, "Ranks", "Rank", Needs::Table),
    entry(View::Routing, "Routing", "Rte", Needs::Summaries),
    ViewEntry {
        keys: &[
            ViewKey {
                keys: "p/P",
                short: "stages",
                help: "one more / fewer stage",
                actions: &[Action::MoreStages, Action::FewerStages],
            },
            ViewKey {
                keys: "m/M",
                short: "micro-batches",
                help: "twice / half the micro-batches",
                actions: &[Action::MoreMicroBatches, Action::FewerMicroBatches],
            },
        ],
        ..entry(View::Pipeline, "Pipeline", "Pipe", Needs::Stages)
    },
    ViewEntry {
        keys: &[ViewKey {
            keys: "w",
            short: "sweep",
            help: "sweep batch sizes 1-16",
            actions: &[Action::StartSweep],
        }],
        ..entry(View::Sweep, "Sweep", "Swp", Needs::Summaries)
    },
    entry(View::Roofline, "Roofline", "Roof", Needs::Parts),
    ViewEntry {
        keys: &[ViewKey {
            keys: "t",
            short: "train",
            help: "train every variant to the target loss",
            actions: &[Action::StartTraining],
        }],
        ..entry(View::Train, "Train", "Train", Needs::Summaries)
    },
    ViewEntry {
        keys: &[ViewKey {
            keys: "g",
            short: "generate",
            help: "generate tokens with every decoder",
            actions: &[Action::StartGeneration],
        }],
        ..entry(View::Generate, "Generate", "Gen", Needs::Summaries)
    },
];

impl ViewKey {
    /// Its keys as `keymap` has them: each action's key moved by the config, or its own.
    pub fn shown_keys(&self, keymap: &super::KeyMap) -> String {
        let own: Vec<&str> = self.keys.split('/').collect();
        if own.len() != self.actions.len() {
            return self.keys.to_owned();
        }
        own.iter()
            .zip(self.actions)
            .map(|(key, action)| keymap.key_of(*action).unwrap_or(key))
            .collect::<Vec<_>>()
            .join("/")
    }
}

impl View {
    /// Its place in [`VIEWS`], from 0.
    fn index(self) -> usize {
        VIEWS.iter().position(|e| e.view == self).unwrap_or(0)
    }

    pub fn entry(self) -> &'static ViewEntry {
        &VIEWS[self.index()]
    }

    pub fn title(self) -> &'static str {
        self.entry().title
    }

    /// The digit key that shows it: its place in the Tab order, from 1.
    pub fn number(self) -> usize {
        self.index() + 1
    }

    /// The view shown by digit key `number`.
    pub fn numbered(number: usize) -> Option<View> {
        VIEWS.get(number.checked_sub(1)?).map(|e| e.view)
    }

    /// The next one in Tab order, back to the first after the last.
    pub fn next(self) -> View {
        VIEWS[(self.index() + 1) % VIEWS.len()].view
    }

    /// Every view, in Tab order.
    pub fn all() -> impl Iterator<Item = View> {
        VIEWS.iter().map(|e| e.view)
    }

    pub fn needs(self) -> Needs {
        self.entry().needs
    }

    /// Its label in the tab bar: the digit that shows it and its title.
    pub fn tab_label(self) -> String {
        format!("{} {}", self.number(), self.title())
    }
}

/// One tab of the tab bar as drawn: its label and the columns it covers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tab {
    pub view: View,
    pub label: String,
    pub start: u16,
    pub width: u16,
}

/// The tab bar in `width` columns with `selected` shown: the longest form that fits, from
/// every title padded to only the digits beside the selected title. None fits below about 40
/// columns; the last form is then given, for the renderer to cut.
pub fn tab_bar(width: u16, selected: View) -> Vec<Tab> {
    let full = |v: View| v.tab_label();
    let short = |v: View| format!("{} {}", v.number(), v.entry().short);
    let digit = |v: View| v.number().to_string();
    type Label<'a> = &'a dyn Fn(View) -> String;
    let forms: [(u16, Label); 4] = [(1, &full), (0, &full), (0, &short), (0, &digit)];
    let lay = |(pad, label): (u16, Label)| {
        let mut start = 0u16;
        let mut tabs = Vec::new();
        for view in View::all() {
            let text = if view == selected {
                full(view)
            } else {
                label(view)
            };
            let w = text.chars().count() as u16 + 2 * pad;
            let padding = " ".repeat(pad as usize);
            tabs.push(Tab {
                view,
                label: format!("{padding}{text}{padding}"),
                start,
                width: w,
            });
            // One divider between tabs.
            start += w + 1;
        }
        tabs
    };
    let fits = |tabs: &Vec<Tab>| tabs.last().is_none_or(|t| t.start + t.width <= width);
    let mut laid = forms.into_iter().map(lay);
    let mut last = Vec::new();
    for tabs in &mut laid {
        if fits(&tabs) {
            return tabs;
        }
        last = tabs;
    }
    last
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_view_has_one_entry_and_a_digit_key() {
        for (i, e) in VIEWS.iter().enumerate() {
            assert_eq!(VIEWS.iter().filter(|o| o.view == e.view).count(), 1);
            assert_eq!(e.view.number(), i + 1);
            assert_eq!(View::numbered(i + 1), Some(e.view));
        }
        assert!(VIEWS.len() <= 9, "digit keys 1-9 show the views");
        assert_eq!(View::numbered(0), None);
        assert_eq!(View::numbered(VIEWS.len() + 1), None);
    }

    #[test]
    fn tab_visits_every_view_and_comes_back() {
        let mut seen = vec![View::Live];
        let mut v = View::Live.next();
        while v != View::Live {
            assert!(!seen.contains(&v), "{v:?} twice before coming back");
            seen.push(v);
            v = v.next();
        }
        assert_eq!(seen.len(), VIEWS.len());
    }

    #[test]
    fn the_tab_bar_shortens_to_fit_and_keeps_the_selected_title_whole() {
        for width in [60u16, 80, 100, 160] {
            for selected in View::all() {
                let tabs = tab_bar(width, selected);
                assert_eq!(tabs.len(), VIEWS.len());
                let end = tabs.last().map(|t| t.start + t.width).unwrap();
                assert!(end <= width, "{width}: {tabs:?}");
                for (tab, view) in tabs.iter().zip(View::all()) {
                    assert_eq!(tab.view, view);
                    assert_eq!(tab.label.chars().count() as u16, tab.width);
                    assert!(tab.label.trim().starts_with(&view.number().to_string()));
                }
                for pair in tabs.windows(2) {
                    assert!(pair[0].start + pair[0].width < pair[1].start, "{pair:?}");
                }
                let shown = &tabs[selected.number() - 1];
                assert!(shown.label.contains(selected.title()), "{shown:?}");
            }
        }
        // Room for every title: all of them, padded.
        let wide = tab_bar(160, View::Live);
        assert!(
            wide.iter()
                .all(|t| t.label == format!(" {} ", t.view.tab_label()))
        );
    }
}
