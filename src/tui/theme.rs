//! Colour themes from themes/*.toml (compiled in, so any folder works). Shipped themes use the
//! 16 named ANSI colours, so they look right on 16-colour terminals; NO_COLOR turns colour off
//! and leaves bold and reverse video.

use std::collections::BTreeMap;
use std::path::Path;
use std::str::FromStr;

use anyhow::Result;
use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;

use crate::bail_input;

/// The shipped themes: name and file contents.
pub const THEMES: &[(&str, &str)] = &[
    ("default", include_str!("../../themes/default.toml")),
    ("light", include_str!("../../themes/light.toml")),
    (
        "high-contrast",
        include_str!("../../themes/high-contrast.toml"),
    ),
    ("monochrome", include_str!("../../themes/monochrome.toml")),
];

#[derive(Deserialize)]
struct ThemeFile {
    name: String,
    colors: BTreeMap<String, String>,
}

/// The styles panes draw with.
#[derive(Clone, Debug, PartialEq)]
pub struct Theme {
    pub name: String,
    pub text: Style,
    pub muted: Style,
    pub accent: Style,
    pub title: Style,
    pub selected: Style,
    pub border: Style,
    pub good: Style,
    pub warn: Style,
    pub bad: Style,
    /// Bars and sparklines.
    pub chart: Style,
}

const KEYS: &[&str] = &[
    "text",
    "muted",
    "accent",
    "highlight_bg",
    "highlight_fg",
    "good",
    "warn",
    "bad",
    "border",
    "background",
];

/// The line of a byte offset, for "file:line" messages.
pub fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

impl Theme {
    /// Parses a theme file's text; `source` names it in errors.
    pub fn parse(source: &str, text: &str, no_color: bool) -> Result<Theme> {
        let file: ThemeFile = match toml::from_str(text) {
            Ok(f) => f,
            Err(e) => {
                let line = e.span().map_or(1, |s| line_of(text, s.start));
                bail_input!("{source}:{line}: {}", e.message());
            }
        };
        let mut colors = BTreeMap::new();
        for (key, value) in &file.colors {
            if !KEYS.contains(&key.as_str()) {
                let line = text
                    .find(&format!("{key} "))
                    .or_else(|| text.find(key.as_str()))
                    .map_or(1, |o| line_of(text, o));
                bail_input!(
                    "{source}:{line}: unknown colour {key:?}; colours are {}",
                    KEYS.join(", ")
                );
            }
            match Color::from_str(value) {
                Ok(c) => colors.insert(key.clone(), c),
                Err(_) => {
                    let line = text.find(value.as_str()).map_or(1, |o| line_of(text, o));
                    bail_input!(
                        "{source}:{line}: {key} = {value:?} is not a colour (use a name like \"cyan\" or \"#rrggbb\")"
                    );
                }
            };
        }
        let c = |k: &str, d: Color| {
            if no_color {
                Color::Reset
            } else {
                colors.get(k).copied().unwrap_or(d)
            }
        };
        let fg = |k: &str, d: Color| Style::default().fg(c(k, d));
        let selected = if no_color || c("highlight_bg", Color::Blue) == Color::Reset {
            Style::default().add_modifier(Modifier::REVERSED)
        } else {
            Style::default()
                .bg(c("highlight_bg", Color::Blue))
                .fg(c("highlight_fg", Color::White))
                .add_modifier(Modifier::BOLD)
        };
        Ok(Theme {
            name: file.name,
            text: fg("text", Color::Reset),
            muted: fg("muted", Color::DarkGray),
            accent: fg("accent", Color::Cyan).add_modifier(Modifier::BOLD),
            title: fg("accent", Color::Cyan).add_modifier(Modifier::BOLD),
            selected,
            border: fg("border", Color::Gray),
            good: fg("good", Color::Green),
            warn: fg("warn", Color::Yellow),
            bad: fg("bad", Color::Red).add_modifier(Modifier::BOLD),
            chart: fg("accent", Color::Cyan),
        })
    }

    /// The style of the `i`th series (a segment in the scatter): the 16-colour palette's
    /// distinct hues, or plain text where the theme has no colour (shapes then tell them apart).
    pub fn series(&self, i: usize) -> Style {
        const HUES: [Color; 6] = [
            Color::Cyan,
            Color::Yellow,
            Color::Magenta,
            Color::Green,
            Color::Red,
            Color::LightBlue,
        ];
        match self.chart.fg {
            None | Some(Color::Reset) => self.text,
            Some(_) => Style::default().fg(HUES[i % HUES.len()]),
        }
    }

    /// A shipped theme by name, or a theme file by path.
    pub fn load(name: &str, no_color: bool) -> Result<Theme> {
        if let Some((_, text)) = THEMES.iter().find(|(n, _)| *n == name) {
            return Theme::parse(&format!("themes/{name}.toml"), text, no_color);
        }
        let path = Path::new(name);
        if name.ends_with(".toml") && path.exists() {
            let text = crate::error::read_small_file(
                path,
                &format!("--theme {name}"),
                super::config::CONFIG_MAX_BYTES,
            )?;
            return Theme::parse(name, &text, no_color);
        }
        let names: Vec<&str> = THEMES.iter().map(|t| t.0).collect();
        bail_input!(
            "--theme {name:?}: unknown theme; themes are {} (or a path to a .toml theme file)",
            names.join(", ")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_theme_parses_with_16_colour_names_only() {
        for (name, text) in THEMES {
            let t = Theme::parse(name, text, false).unwrap();
            assert_eq!(&t.name, name);
            let values = text.lines().filter(|l| !l.trim_start().starts_with('#'));
            assert!(
                values.clone().all(|l| !l.contains("\"#")),
                "{name} uses only named ANSI colours"
            );
        }
    }

    #[test]
    fn no_color_drops_colour_but_keeps_selection_visible() {
        let t = Theme::load("default", true).unwrap();
        assert_eq!(t.accent.fg, Some(Color::Reset));
        assert!(t.selected.add_modifier.contains(Modifier::REVERSED));
        let m = Theme::load("monochrome", false).unwrap();
        assert!(m.selected.add_modifier.contains(Modifier::REVERSED));
    }

    #[test]
    fn bad_theme_names_the_file_and_line() {
        let e = Theme::parse(
            "my.toml",
            "name = \"x\"\n[colors]\naccent = \"blurple\"\n",
            false,
        )
        .unwrap_err()
        .to_string();
        assert!(e.starts_with("my.toml:3:"), "{e}");
        let e = Theme::parse("my.toml", "name = \"x\"\n[colors\n", false)
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("my.toml:2:"), "{e}");
        assert!(
            Theme::load("nope", false)
                .unwrap_err()
                .to_string()
                .contains("default, light")
        );
    }
}
