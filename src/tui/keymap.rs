//! Key bindings: defaults plus user overrides from the config file's [keys] table.

use std::collections::{BTreeMap, HashMap};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::action::Command;

/// A key as written in the config: "q", "ctrl-c", "tab", "shift-tab", "pgdn", "f2", "+".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Key {
    pub code: KeyCode,
    pub ctrl: bool,
}

impl Key {
    pub fn from_event(e: &KeyEvent) -> Key {
        // Terminals send shift-letters as upper-case chars, so the code says it all.
        Key {
            code: e.code,
            ctrl: e.modifiers.contains(KeyModifiers::CONTROL),
        }
    }

    pub fn parse(text: &str) -> Option<Key> {
        let t = text.trim();
        let (ctrl, rest) = match t.to_lowercase().strip_prefix("ctrl-") {
            Some(_) => (true, &t[5..]),
            None => (false, t),
        };
        let lower = rest.to_lowercase();
        let code = match lower.as_str() {
            "tab" => KeyCode::Tab,
            "shift-tab" | "backtab" => KeyCode::BackTab,
            "enter" | "return" => KeyCode::Enter,
            "esc" | "escape" => KeyCode::Esc,
            "backspace" => KeyCode::Backspace,
            "up" => KeyCode::Up,
            "down" => KeyCode::Down,
            "left" => KeyCode::Left,
            "right" => KeyCode::Right,
            "pgup" | "pageup" => KeyCode::PageUp,
            "pgdn" | "pagedown" => KeyCode::PageDown,
            "home" => KeyCode::Home,
            "end" => KeyCode::End,
            "space" => KeyCode::Char(' '),
            f if f.len() >= 2 && f.starts_with('f') && f[1..].parse::<u8>().is_ok() => {
                KeyCode::F(f[1..].parse().ok()?)
            }
            _ => {
                let mut chars = rest.chars();
                let c = chars.next()?;
                if chars.next().is_some() {
                    return None;
                }
                KeyCode::Char(if ctrl { c.to_ascii_lowercase() } else { c })
            }
        };
        Some(Key { code, ctrl })
    }

    pub fn label(&self) -> String {
        let base = match self.code {
            KeyCode::Tab => "Tab".to_string(),
            KeyCode::BackTab => "Shift-Tab".to_string(),
            KeyCode::Enter => "Enter".to_string(),
            KeyCode::Esc => "Esc".to_string(),
            KeyCode::Backspace => "Backspace".to_string(),
            KeyCode::Up => "Up".to_string(),
            KeyCode::Down => "Down".to_string(),
            KeyCode::Left => "Left".to_string(),
            KeyCode::Right => "Right".to_string(),
            KeyCode::PageUp => "PgUp".to_string(),
            KeyCode::PageDown => "PgDn".to_string(),
            KeyCode::Home => "Home".to_string(),
            KeyCode::End => "End".to_string(),
            KeyCode::F(n) => format!("F{n}"),
            KeyCode::Char(' ') => "Space".to_string(),
            KeyCode::Char(c) => c.to_string(),
            _ => "?".to_string(),
        };
        if self.ctrl {
            format!("Ctrl-{base}")
        } else {
            base
        }
    }
}

/// Command names in the config file, with what each does (the help overlay shows these).
pub const COMMANDS: &[(Command, &str, &str)] = &[
    (Command::Quit, "quit", "quit"),
    (Command::NextPane, "next_pane", "next pane"),
    (Command::PrevPane, "prev_pane", "previous pane"),
    (Command::Pane(1), "pane_1", "Overview"),
    (Command::Pane(2), "pane_2", "EDA"),
    (Command::Pane(3), "pane_3", "Trends"),
    (Command::Pane(4), "pane_4", "Segments"),
    (Command::Pane(5), "pane_5", "Customer lookup"),
    (Command::Pane(6), "pane_6", "Value"),
    (Command::Up, "up", "up"),
    (Command::Down, "down", "down"),
    (Command::Left, "left", "left"),
    (Command::Right, "right", "right"),
    (Command::Top, "top", "first row"),
    (Command::Bottom, "bottom", "last row"),
    (Command::PageUp, "page_up", "page up"),
    (Command::PageDown, "page_down", "page down"),
    (Command::Search, "search", "search / filter"),
    (Command::Help, "help", "this help"),
    (Command::Export, "export", "write the visible table to CSV"),
    (Command::Enter, "enter", "open / select"),
    (Command::Back, "back", "back"),
    (Command::KUp, "k_up", "K + 1"),
    (Command::KDown, "k_down", "K - 1"),
    (Command::SetK(2), "k_2", "K = 2 (Segments)"),
    (Command::SetK(3), "k_3", "K = 3 (Segments)"),
    (Command::SetK(4), "k_4", "K = 4 (Segments)"),
    (Command::SetK(5), "k_5", "K = 5 (Segments)"),
    (Command::SetK(6), "k_6", "K = 6 (Segments)"),
    (Command::SetK(7), "k_7", "K = 7 (Segments)"),
    (Command::SetK(8), "k_8", "K = 8 (Segments)"),
    (Command::SetK(9), "k_9", "K = 9 (Segments)"),
    (
        Command::ToggleAlgo,
        "toggle_algo",
        "K-means → Gaussian mixture → Ward",
    ),
    (Command::CycleFeatures, "cycle_features", "next feature set"),
    (
        Command::CycleScaler,
        "cycle_scaler",
        "scaler: robust → standard → none",
    ),
    (Command::Sort, "sort", "sort by the column under the cursor"),
    (Command::Migration, "migration", "segment migration view"),
    (
        Command::Slice,
        "slice",
        "slice every pane: region=…, category=…, product=…, from=…, to=…",
    ),
    (Command::ClearSlice, "clear_slice", "back to the whole data"),
    (
        Command::CycleView,
        "cycle_view",
        "segments view: profiles → scatter → silhouette",
    ),
    (
        Command::Compare,
        "compare",
        "compare the selected segment with another",
    ),
    (
        Command::MonthPrev,
        "month_prev",
        "trends cursor: previous month",
    ),
    (
        Command::MonthNext,
        "month_next",
        "trends cursor: next month",
    ),
    (
        Command::Copy,
        "copy",
        "copy the selected row or customer id (OSC 52)",
    ),
    (
        Command::CopyTable,
        "copy_table",
        "copy the visible table as TSV (OSC 52)",
    ),
];

fn defaults() -> Vec<(Command, &'static [&'static str])> {
    vec![
        (Command::Quit, &["q", "ctrl-c"]),
        (Command::NextPane, &["tab"]),
        (Command::PrevPane, &["shift-tab"]),
        (Command::Pane(1), &["1", "f1"]),
        (Command::Pane(2), &["2", "f2"]),
        (Command::Pane(3), &["3", "f3"]),
        (Command::Pane(4), &["4", "f4"]),
        (Command::Pane(5), &["5", "f5"]),
        (Command::Pane(6), &["6", "f6"]),
        (Command::Up, &["up", "k"]),
        (Command::Down, &["down", "j"]),
        (Command::Left, &["left", "h"]),
        (Command::Right, &["right", "l"]),
        (Command::Top, &["g", "home"]),
        (Command::Bottom, &["G", "end"]),
        (Command::PageUp, &["pgup"]),
        (Command::PageDown, &["pgdn"]),
        (Command::Search, &["/"]),
        (Command::Help, &["?"]),
        (Command::Export, &["e"]),
        (Command::Enter, &["enter"]),
        (Command::Back, &["esc", "backspace"]),
        (Command::KUp, &["+", "="]),
        (Command::KDown, &["-", "_"]),
        (Command::SetK(2), &["2"]),
        (Command::SetK(3), &["3"]),
        (Command::SetK(4), &["4"]),
        (Command::SetK(5), &["5"]),
        (Command::SetK(6), &["6"]),
        (Command::SetK(7), &["7"]),
        (Command::SetK(8), &["8"]),
        (Command::SetK(9), &["9"]),
        (Command::ToggleAlgo, &["a"]),
        (Command::CycleFeatures, &["f"]),
        (Command::CycleScaler, &["c"]),
        (Command::Sort, &["s"]),
        (Command::Migration, &["m"]),
        (Command::Slice, &["F"]),
        (Command::ClearSlice, &["X"]),
        (Command::CycleView, &["v"]),
        (Command::Compare, &["x"]),
        (Command::MonthPrev, &["<", ","]),
        (Command::MonthNext, &[">", "."]),
        (Command::Copy, &["y"]),
        (Command::CopyTable, &["Y"]),
    ]
}

/// Commands bound only in the Segments pane: their keys stay free for the global commands
/// elsewhere (by default the digits set K there and switch panes everywhere else).
fn segments_only(cmd: Command) -> bool {
    matches!(cmd, Command::SetK(_))
}

/// Key -> command, and the keys of each command (for help).
#[derive(Clone, Debug)]
pub struct Keymap {
    by_key: HashMap<Key, Command>,
    /// Keys of the Segments-only commands, checked first in that pane.
    segments_by_key: HashMap<Key, Command>,
    by_command: BTreeMap<Command, Vec<Key>>,
}

impl Default for Keymap {
    fn default() -> Self {
        Keymap::with_overrides(&BTreeMap::new()).unwrap_or_else(|_| Keymap {
            by_key: HashMap::new(),
            segments_by_key: HashMap::new(),
            by_command: BTreeMap::new(),
        })
    }
}

impl Keymap {
    /// Defaults with `overrides` (command name -> keys) replacing a command's keys.
    pub fn with_overrides(overrides: &BTreeMap<String, Vec<String>>) -> Result<Keymap, String> {
        let mut by_command: BTreeMap<Command, Vec<Key>> = BTreeMap::new();
        for (cmd, keys) in defaults() {
            by_command.insert(cmd, keys.iter().filter_map(|k| Key::parse(k)).collect());
        }
        for (name, keys) in overrides {
            let Some((cmd, _, _)) = COMMANDS.iter().find(|(_, n, _)| n == name) else {
                let names: Vec<&str> = COMMANDS.iter().map(|c| c.1).collect();
                return Err(format!(
                    "unknown command {name:?} in [keys]; commands are {}",
                    names.join(", ")
                ));
            };
            let mut parsed = Vec::new();
            for k in keys {
                match Key::parse(k) {
                    Some(key) => parsed.push(key),
                    None => {
                        return Err(format!(
                            "[keys] {name}: cannot read key {k:?} (write e.g. \"q\", \"ctrl-c\", \"tab\", \"pgdn\", \"f2\")"
                        ));
                    }
                }
            }
            // A key given to this command is taken from any other of its kind (Segments-only
            // or global).
            for (other, keys) in by_command.iter_mut() {
                if segments_only(*other) == segments_only(*cmd) {
                    keys.retain(|k| !parsed.contains(k));
                }
            }
            by_command.insert(*cmd, parsed);
        }
        let (mut by_key, mut segments_by_key) = (HashMap::new(), HashMap::new());
        for (cmd, keys) in &by_command {
            let map = if segments_only(*cmd) {
                &mut segments_by_key
            } else {
                &mut by_key
            };
            for k in keys {
                map.insert(*k, *cmd);
            }
        }
        Ok(Keymap {
            by_key,
            segments_by_key,
            by_command,
        })
    }

    /// The command of `key` outside the Segments pane.
    pub fn command(&self, key: &Key) -> Option<Command> {
        self.by_key.get(key).copied()
    }

    /// The command of `key` in the Segments pane: its own commands first, then the global ones.
    pub fn segments_command(&self, key: &Key) -> Option<Command> {
        self.segments_by_key
            .get(key)
            .or_else(|| self.by_key.get(key))
            .copied()
    }

    /// The first key of a command ("Esc" for back), for the status line's hints.
    pub fn first_key(&self, cmd: Command) -> Option<String> {
        self.by_command.get(&cmd)?.first().map(Key::label)
    }

    /// "q, Ctrl-c" for the help overlay.
    pub fn keys_of(&self, cmd: Command) -> String {
        self.by_command
            .get(&cmd)
            .map(|ks| ks.iter().map(Key::label).collect::<Vec<_>>().join(", "))
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_parse_and_print() {
        assert_eq!(
            Key::parse("ctrl-c"),
            Some(Key {
                code: KeyCode::Char('c'),
                ctrl: true
            })
        );
        assert_eq!(
            Key::parse("G"),
            Some(Key {
                code: KeyCode::Char('G'),
                ctrl: false
            })
        );
        assert_eq!(
            Key::parse("shift-tab").map(|k| k.code),
            Some(KeyCode::BackTab)
        );
        assert_eq!(Key::parse("f5").map(|k| k.code), Some(KeyCode::F(5)));
        assert_eq!(Key::parse("nonsense"), None);
        assert_eq!(Key::parse("ctrl-c").unwrap().label(), "Ctrl-c");
    }

    #[test]
    fn k_keys_belong_to_the_segments_pane_and_can_be_rebound() {
        let km = Keymap::default();
        let two = Key::parse("2").unwrap();
        assert_eq!(km.command(&two), Some(Command::Pane(2)));
        assert_eq!(km.segments_command(&two), Some(Command::SetK(2)));
        assert_eq!(
            km.segments_command(&Key::parse("1").unwrap()),
            Some(Command::Pane(1)),
            "1 is no K: it still goes to the Overview"
        );
        let mut o = BTreeMap::new();
        o.insert(
            "k_2".to_string(),
            vec!["ctrl-2".to_string(), "x".to_string()],
        );
        o.insert("k_3".to_string(), vec!["x".to_string()]);
        let km = Keymap::with_overrides(&o).unwrap();
        assert_eq!(km.segments_command(&two), Some(Command::Pane(2)));
        assert_eq!(
            km.segments_command(&Key::parse("ctrl-2").unwrap()),
            Some(Command::SetK(2))
        );
        // "x" went to k_3, taken from k_2; the global commands keep their keys.
        assert_eq!(
            km.segments_command(&Key::parse("x").unwrap()),
            Some(Command::SetK(3))
        );
        assert_eq!(km.keys_of(Command::SetK(2)), "Ctrl-2");
        assert_eq!(km.command(&two), Some(Command::Pane(2)));
    }

    #[test]
    fn overrides_replace_and_steal_keys() {
        let mut o = BTreeMap::new();
        o.insert("quit".to_string(), vec!["x".to_string()]);
        o.insert("help".to_string(), vec!["q".to_string()]);
        let km = Keymap::with_overrides(&o).unwrap();
        assert_eq!(km.command(&Key::parse("x").unwrap()), Some(Command::Quit));
        assert_eq!(km.command(&Key::parse("q").unwrap()), Some(Command::Help));
        assert_eq!(km.keys_of(Command::Quit), "x");
        let mut bad = BTreeMap::new();
        bad.insert("fly".to_string(), vec!["x".to_string()]);
        assert!(
            Keymap::with_overrides(&bad)
                .unwrap_err()
                .contains("unknown command \"fly\"")
        );
    }
}
