//! Helpers shared by the integration tests: run the real binary, write fixtures.
#![allow(dead_code)]

pub mod tui;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_segscope")
}

/// Runs segscope with `args` from `cwd` (the crate root when None).
pub fn run_in(cwd: Option<&Path>, args: &[&str]) -> Output {
    let mut cmd = Command::new(bin());
    cmd.args(args).env("NO_COLOR", "1");
    cmd.current_dir(cwd.unwrap_or(Path::new(env!("CARGO_MANIFEST_DIR"))));
    cmd.output().expect("segscope runs")
}

pub fn run(args: &[&str]) -> Output {
    run_in(None, args)
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).to_string()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

/// Runs and parses stdout as JSON, failing loudly with stderr when the command failed.
pub fn json(args: &[&str]) -> serde_json::Value {
    let o = run(args);
    assert!(
        o.status.success(),
        "segscope {args:?} failed: {}",
        stderr(&o)
    );
    serde_json::from_slice(&o.stdout).expect("valid JSON on stdout")
}

/// The table named `name` from an `eda --format json` result.
pub fn table<'a>(eda: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    eda["tables"]
        .as_array()
        .expect("tables array")
        .iter()
        .find(|t| t["name"] == name)
        .unwrap_or_else(|| panic!("no table {name}"))
}

/// The `value` of a metric row in the overview table.
pub fn metric<'a>(eda: &'a serde_json::Value, metric: &str) -> &'a serde_json::Value {
    table(eda, "overview")["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r[0] == metric)
        .map(|r| &r[1])
        .unwrap_or_else(|| panic!("no overview metric {metric:?}"))
}

pub fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

/// The real Zeotap dataset beside the checkout; when this machine lacks it, says that `test`
/// skipped and returns None (under CI=true it fails instead).
pub fn zeotap_or_skip(test: &str) -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/zeotap");
    if p.join("Transactions.csv").exists() {
        Some(p)
    } else {
        // CI always has ../shared: there a missing dataset is a failure, not a skip.
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI=true but ../shared/data/zeotap is absent ({test})"
        );
        // Straight to the stderr handle: the test harness captures eprintln! and would hide it.
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED {test}: ../shared/data/zeotap is absent"
        );
        None
    }
}

/// ../shared/data/cdnow/CDNOW_master.txt: required under CI=true, skipped (said on stderr)
/// elsewhere.
pub fn cdnow_or_skip(test: &str) -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/cdnow/CDNOW_master.txt");
    if p.exists() {
        return Some(p);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "CI=true but {} is absent ({test})",
        p.display()
    );
    use std::io::Write;
    let _ = writeln!(
        std::io::stderr(),
        "SKIPPED {test}: {} is absent",
        p.display()
    );
    None
}

pub fn approx(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol
}

/// Runs and checks the common contract of a bad-input failure; returns the message.
pub fn refused(args: &[&str], must_contain: &[&str]) -> String {
    let o = run(args);
    let err = stderr(&o);
    assert_eq!(
        o.status.code(),
        Some(2),
        "segscope {args:?}: expected exit 2, stderr: {err}"
    );
    assert!(o.stdout.is_empty(), "nothing on stdout for {args:?}");
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    assert!(err.starts_with("segscope: "), "{err}");
    for needle in must_contain {
        assert!(
            err.contains(needle),
            "{args:?}: {err:?} should mention {needle:?}"
        );
    }
    err
}
