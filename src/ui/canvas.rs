//! The frame being drawn, and what drawing it learns that the app needs back (what a click
//! does where, what a scrolled view showed): drawing reads the app and writes only here.

use std::ops::{Deref, DerefMut};

use ratatui::Frame;

use crate::app::{Action, App, Area, Drawn};

pub struct Canvas<'f, 'b> {
    frame: &'f mut Frame<'b>,
    drawn: Drawn,
}

impl<'f, 'b> Canvas<'f, 'b> {
    pub fn new(frame: &'f mut Frame<'b>) -> Self {
        Self {
            frame,
            drawn: Drawn::default(),
        }
    }

    /// What was learned while drawing.
    pub fn finish(self) -> Drawn {
        self.drawn
    }

    /// A click in `area` asks for `action`, until the next frame.
    pub fn clickable(&mut self, area: Area, action: Action) {
        self.drawn.clickable(area, action);
    }

    /// The help's first row to show of `total` when `shown` fit, as the user scrolled it.
    pub fn help_scrolled(&mut self, app: &App, shown: usize, total: usize) -> usize {
        self.drawn.help = crate::app::Viewport { shown, total };
        self.drawn.help.clamp(app.help_scroll())
    }

    /// The first row to show of `total` when `shown` fit, as the user last scrolled `app`.
    pub fn scrolled(&mut self, app: &App, shown: usize, total: usize) -> usize {
        self.drawn.scrolled(app.scroll(), shown, total)
    }
}

impl<'b> Deref for Canvas<'_, 'b> {
    type Target = Frame<'b>;

    fn deref(&self) -> &Frame<'b> {
        self.frame
    }
}

impl DerefMut for Canvas<'_, '_> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        self.frame
    }
}
