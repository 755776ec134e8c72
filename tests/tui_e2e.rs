//! The real binary in tmux at 80x24: open, visit every pane, change K and see the profile
//! change, search a customer by name, open a lookalike, open help, quit — and the terminal has
//! left the alternate screen.

use std::process::Command;
use std::time::{Duration, Instant};

struct Tmux {
    socket: String,
}

impl Tmux {
    fn run(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("tmux runs");
        String::from_utf8_lossy(&out.stdout).to_string()
    }

    fn screen(&self) -> String {
        self.run(&["capture-pane", "-p", "-t", "e2e"])
    }

    fn keys(&self, keys: &[&str]) {
        for k in keys {
            self.run(&["send-keys", "-t", "e2e", k]);
            // A pause after each key: a bare Esc followed at once by a key reads as Alt+key.
            std::thread::sleep(Duration::from_millis(150));
        }
    }

    fn text(&self, text: &str) {
        self.run(&["send-keys", "-t", "e2e", "-l", text]);
    }

    /// Waits until the screen shows `needle` (the app computes on worker threads).
    fn wait_for(&self, needle: &str) -> String {
        let start = Instant::now();
        loop {
            let s = self.screen();
            if s.contains(needle) {
                return s;
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "timed out waiting for {needle:?}; screen:\n{s}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .arg("kill-server")
            .output();
    }
}

/// The profile table's rows (the lines between the header and the box's bottom).
fn profile_rows(screen: &str) -> Vec<String> {
    screen
        .lines()
        .skip_while(|l| !l.contains("seg persona"))
        .skip(1)
        .take_while(|l| !l.contains('└'))
        .map(str::to_string)
        .collect()
}

#[test]
fn a_new_user_session_in_tmux() {
    if Command::new("tmux").arg("-V").output().is_err() {
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED a_new_user_session_in_tmux: tmux is not installed"
        );
        return;
    }
    let t = Tmux {
        socket: format!("segscope-e2e-{}", std::process::id()),
    };
    let bin = env!("CARGO_BIN_EXE_segscope");
    let cwd = tempfile::tempdir().unwrap();
    t.run(&[
        "new-session",
        "-d",
        "-s",
        "e2e",
        "-x",
        "80",
        "-y",
        "24",
        "-c",
        cwd.path().to_str().unwrap(),
        bin,
    ]);
    t.run(&["set-option", "-t", "e2e", "remain-on-exit", "on"]);
    t.wait_for("What loading did");
    assert_eq!(
        t.run(&["display", "-p", "-t", "e2e", "#{alternate_on}"])
            .trim(),
        "1",
        "the app uses the alternate screen"
    );

    t.keys(&["2"]);
    t.wait_for("category_totals");
    t.keys(&["3"]);
    t.wait_for("Weekday share of revenue");
    t.keys(&["4"]);
    let k4 = t.wait_for("K=4 kmeans:");
    t.keys(&["+"]);
    let k5 = t.wait_for("K=5 kmeans:");
    let (a, b) = (profile_rows(&k4), profile_rows(&k5));
    assert!(a.len() >= 4 && b.len() >= 5, "K=4:\n{k4}\nK=5:\n{k5}");
    assert_ne!(a, b, "the profile table changed with K");
    t.keys(&["7"]);
    t.wait_for("K=7 kmeans:");

    t.keys(&["5", "/"]);
    t.text("Mia Silva");
    t.wait_for("/ Mia Silva");
    t.keys(&["Enter"]);
    let card = t.wait_for("path: C");
    assert!(
        card.contains("Mia Silva") && card.contains("Lookalikes"),
        "{card}"
    );
    t.keys(&["Down", "Enter"]);
    t.wait_for(" › C");
    t.keys(&["BSpace"]);
    let back = t.wait_for("path: C");
    assert!(!back.contains(" › C"), "back along the path:\n{back}");
    t.keys(&["?"]);
    t.wait_for("Help: Customer lookup");
    t.keys(&["Escape"]);
    std::thread::sleep(Duration::from_millis(300));
    assert!(!t.screen().contains("Help:"));
    t.keys(&["q"]);
    let start = Instant::now();
    while t
        .run(&["display", "-p", "-t", "e2e", "#{pane_dead}"])
        .trim()
        != "1"
    {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the app did not quit"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(
        t.run(&["display", "-p", "-t", "e2e", "#{pane_dead_status}"])
            .trim(),
        "0",
        "clean exit"
    );
    assert_eq!(
        t.run(&["display", "-p", "-t", "e2e", "#{alternate_on}"])
            .trim(),
        "0",
        "the terminal left the alternate screen"
    );
}
