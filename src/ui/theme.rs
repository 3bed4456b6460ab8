//! Every colour the TUI uses, in one place, and how much it draws: a dark and a light
//! palette, none at all where `NO_COLOR` asks, and the basic mode (`--basic`) that draws
//! neither borders nor charts.

use ratatui::style::{Color, Modifier, Style};
use ratatui::widgets::{Block, Borders};

use crate::config::ThemeName;

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
    /// Basic mode: no borders, no charts (a small or dumb terminal, a screen reader).
    pub basic: bool,
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
            basic: false,
        }
    }

    /// For a light terminal background: no yellow or light colours, which fade into it.
    pub fn light() -> Self {
        let orange = Color::Indexed(130);
        Self {
            title: Style::default()
                .fg(Color::White)
                .bg(Color::Blue)
                .add_modifier(Modifier::BOLD),
            accent: Style::default()
                .fg(Color::Blue)
                .add_modifier(Modifier::BOLD),
            dim: Style::default().fg(Color::DarkGray),
            good: Style::default().fg(Color::Indexed(28)),
            warn: Style::default().fg(orange),
            bad: Style::default().fg(Color::Red),
            best: Style::default()
                .fg(Color::Indexed(28))
                .add_modifier(Modifier::BOLD),
            series: vec![
                Color::Blue,
                Color::Red,
                Color::Magenta,
                Color::Indexed(28),
                orange,
                Color::Indexed(24),
                Color::Indexed(90),
                Color::Indexed(22),
                Color::Indexed(124),
                Color::Black,
            ],
            basic: false,
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
            basic: false,
        }
    }

    /// The theme named (dark where none is), plain whatever the name where `NO_COLOR` is set
    /// to anything non-empty; basic drawing where asked.
    pub fn chosen(name: Option<ThemeName>, basic: bool) -> Self {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let mut theme = match (no_color, name.unwrap_or_default()) {
            (true, _) | (_, ThemeName::Plain) => Self::plain(),
            (false, ThemeName::Dark) => Self::colored(),
            (false, ThemeName::Light) => Self::light(),
        };
        theme.basic = basic;
        theme
    }

    /// A panel's frame: borders all round, or none in basic mode (its title stays).
    pub fn block(&self) -> Block<'static> {
        Block::default().borders(if self.basic {
            Borders::NONE
        } else {
            Borders::ALL
        })
    }

    /// Cells a panel's border takes on each side: where its content starts.
    pub fn inset(&self) -> u16 {
        u16::from(!self.basic)
    }

    pub fn series(&self, i: usize) -> Style {
        Style::default().fg(self.series[i % self.series.len()])
    }
}
