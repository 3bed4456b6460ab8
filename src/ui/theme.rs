//! Every colour the TUI uses, in one place; `NO_COLOR` turns them all off.

use ratatui::style::{Color, Modifier, Style};

#[derive(Clone, Debug)]
pub struct Theme {
    pub title: Style,
    pub accent: Style,
    pub dim: Style,
    pub good: Style,
    pub warn: Style,
    pub bad: Style,
    pub best: Style,
    /// One colour per variant, in display order, for charts and legends.
    pub series: Vec<Color>,
}

impl Theme {
    pub fn colored() -> Self {
        Self {
            title: Style::default()
                .fg(Color::Black)
                .bg(Color::Cyan)
                .add_modifier(Modifier::BOLD),
            accent: Style::default()
                .fg(Color::Cyan)
                .add_modifier(Modifier::BOLD),
            dim: Style::default().fg(Color::DarkGray),
            good: Style::default().fg(Color::Green),
            warn: Style::default().fg(Color::Yellow),
            bad: Style::default().fg(Color::Red),
            best: Style::default()
                .fg(Color::Green)
                .add_modifier(Modifier::BOLD),
            series: vec![
                Color::Cyan,
                Color::Yellow,
                Color::Magenta,
                Color::Green,
                Color::Red,
                Color::Blue,
                Color::LightCyan,
                Color::LightYellow,
                Color::LightMagenta,
                Color::LightGreen,
            ],
        }
    }

    /// No colours; emphasis by weight only.
    pub fn plain() -> Self {
        let bold = Style::default().add_modifier(Modifier::BOLD);
        Self {
            title: bold,
            accent: bold,
            dim: Style::default(),
            good: Style::default(),
            warn: Style::default(),
            bad: bold,
            best: bold,
            series: vec![Color::Reset],
        }
    }

    /// `NO_COLOR` set (to anything non-empty) means plain.
    pub fn from_env() -> Self {
        match std::env::var_os("NO_COLOR") {
            Some(v) if !v.is_empty() => Self::plain(),
            _ => Self::colored(),
        }
    }

    pub fn series(&self, i: usize) -> Style {
        Style::default().fg(self.series[i % self.series.len()])
    }
}
