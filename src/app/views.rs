//! The views, one entry each in [`VIEWS`]: the order is the Tab order and the digit keys, and
//! the header's tabs, the footer and the help are drawn from the entries. A new view is a
//! variant and an entry here, a render function in `ui/`, and its arm in `ui::render`.

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
}

#[derive(Clone, Copy, Debug)]
pub struct ViewEntry {
    pub view: View,
    pub title: &'static str,
    pub keys: &'static [ViewKey],
    pub needs: Needs,
}

const fn entry(view: View, title: &'static str, needs: Needs) -> ViewEntry {
    ViewEntry {
        view,
        title,
        keys: &[],
        needs,
    }
}

pub const VIEWS: &[ViewEntry] = &[
    entry(View::Live, "Live", Needs::Summaries),
    ViewEntry {
        keys: &[ViewKey {
            keys: "o",
            short: "ops",
            help: "the focused variant's ops / the table",
        }],
        ..entry(View::Compare, "Compare", Needs::Table)
    },
    entry(View::Ranks, "Ranks", Needs::Table),
    entry(View::Routing, "Routing", Needs::Summaries),
    ViewEntry {
        keys: &[
            ViewKey {
                keys: "p/P",
                short: "stages",
                help: "one more / fewer stage",
            },
            ViewKey {
                keys: "m/M",
                short: "micro-batches",
                help: "twice / half the micro-batches",
            },
        ],
        ..entry(View::Pipeline, "Pipeline", Needs::Stages)
    },
    ViewEntry {
        keys: &[ViewKey {
            keys: "w",
            short: "sweep",
            help: "sweep batch sizes 1-16",
        }],
        ..entry(View::Sweep, "Sweep", Needs::Summaries)
    },
    entry(View::Roofline, "Roofline", Needs::Parts),
    ViewEntry {
        keys: &[ViewKey {
            keys: "t",
            short: "train",
            help: "train every variant to the target loss",
        }],
        ..entry(View::Train, "Train", Needs::Summaries)
    },
    ViewEntry {
        keys: &[ViewKey {
            keys: "g",
            short: "generate",
            help: "generate tokens with every decoder",
        }],
        ..entry(View::Generate, "Generate", Needs::Summaries)
    },
];

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

    /// The view whose tab covers `column` of the tab bar, as it is drawn: each label with a
    /// space either side, one divider between tabs.
    pub fn at_tab_column(column: u16) -> Option<View> {
        let mut start = 0usize;
        for view in View::all() {
            let width = view.tab_label().chars().count() + 2;
            if (start..start + width).contains(&(column as usize)) {
                return Some(view);
            }
            start += width + 1;
        }
        None
    }
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
    fn a_column_of_the_tab_bar_names_its_view() {
        // " 1 Live │ 2 Compare │ 3 Ranks │ ..."
        assert_eq!(View::at_tab_column(0), Some(View::Live));
        assert_eq!(View::at_tab_column(7), Some(View::Live));
        assert_eq!(View::at_tab_column(8), None, "the divider");
        assert_eq!(View::at_tab_column(9), Some(View::Compare));
        assert_eq!(View::at_tab_column(19), Some(View::Compare));
        assert_eq!(View::at_tab_column(21), Some(View::Ranks));
        assert_eq!(View::at_tab_column(500), None);
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
}
