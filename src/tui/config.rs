//! The config file (~/.config/segscope/config.toml or --config): theme and key overrides.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Result;
use serde::Deserialize;

use super::keymap::Keymap;
use super::theme::line_of;
use crate::bail_input;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    theme: Option<String>,
    /// Mouse support (wheel scrolls, clicks pick a pane or a table); off by default so the
    /// terminal's own text selection keeps working.
    #[serde(default)]
    mouse: bool,
    #[serde(default)]
    keys: BTreeMap<String, Vec<String>>,
}

/// What the config file says.
#[derive(Debug, Default)]
pub struct Config {
    pub theme: Option<String>,
    pub mouse: bool,
    pub keymap: Keymap,
    /// The file read, if any.
    pub path: Option<PathBuf>,
}

fn default_path() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
    Some(base.join("segscope/config.toml"))
}

/// Parses config text; `source` names it in errors ("file:line: what").
pub fn parse(source: &str, text: &str) -> Result<Config> {
    let file: ConfigFile = match toml::from_str(text) {
        Ok(f) => f,
        Err(e) => {
            let line = e.span().map_or(1, |s| line_of(text, s.start));
            bail_input!("{source}:{line}: {}", e.message().trim());
        }
    };
    let keymap = match Keymap::with_overrides(&file.keys) {
        Ok(k) => k,
        Err(msg) => {
            let name = msg.split('"').nth(1).unwrap_or("");
            let line = text
                .find(name)
                .filter(|_| !name.is_empty())
                .map_or(1, |o| line_of(text, o));
            bail_input!("{source}:{line}: {msg}");
        }
    };
    Ok(Config {
        theme: file.theme,
        mouse: file.mouse,
        keymap,
        path: None,
    })
}

/// Reads `--config FILE` (which must exist), else the default file if there is one.
/// The largest config or theme file read.
pub const CONFIG_MAX_BYTES: u64 = 1 << 20;

pub fn load(explicit: Option<&Path>) -> Result<Config> {
    let (path, what) = match explicit {
        Some(p) => (p.to_path_buf(), format!("--config {}", p.display())),
        None => match default_path() {
            Some(p) if p.exists() => {
                let what = format!("{} (the default config file)", p.display());
                (p, what)
            }
            _ => return Ok(Config::default()),
        },
    };
    let text = crate::error::read_small_file(&path, &what, CONFIG_MAX_BYTES)?;
    let mut config = parse(&path.display().to_string(), &text)?;
    config.path = Some(path);
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_sets_theme_and_keys_and_names_bad_lines() {
        let c = parse("c.toml", "theme = \"light\"\n[keys]\nquit = [\"x\"]\n").unwrap();
        assert_eq!(c.theme.as_deref(), Some("light"));
        assert_eq!(c.keymap.keys_of(super::super::action::Command::Quit), "x");
        let e = parse("c.toml", "theme = \"light\"\n[keys]\nfly = [\"x\"]\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("c.toml:3:") && e.contains("unknown command"),
            "{e}"
        );
        let e = parse("c.toml", "theme = \"light\"\ncolour = 3\n")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("c.toml:2:"), "{e}");
        let e = parse("c.toml", "[keys]\nquit = [\"ctrl-\"]\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("c.toml:2:") && e.contains("cannot read key"),
            "{e}"
        );
    }
}
