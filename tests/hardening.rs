//! Hostile inputs and environments (issue: hardening II): each ends in one clear line and
//! exit 2, or in correct output; nothing destroyed, nothing half-written, no panic.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::*;

fn zeotap() -> Option<PathBuf> {
    zeotap_or_skip("hardening")
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// Makes a character device node like /dev/null in `dir`; None (said on stderr) where mknod
/// is not allowed.
fn device_node(dir: &Path) -> Option<PathBuf> {
    let node = dir.join("null");
    let ok = Command::new("mknod")
        .arg(&node)
        .args(["c", "1", "3"])
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED device-node case: mknod is not allowed here"
        );
        return None;
    }
    Some(node)
}

fn is_char_device(path: &Path) -> bool {
    use std::os::unix::fs::FileTypeExt;
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_char_device())
}

#[test]
fn a_file_cut_short_while_mapped_is_one_line_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let mut csv = b"customer_id,date,amount\n".to_vec();
    for i in 0..120_000 {
        csv.extend(format!("c{},2024-01-{:02},{}.5\n", i % 900, i % 28 + 1, i % 50).as_bytes());
    }
    let f = write(dir.path(), "big.csv", &csv);
    // Test-only hook: the file is cut to nothing right after it is mapped, as another process
    // truncating it mid-read would.
    let o = Command::new(bin())
        .args(["eda", p(&f)])
        .env("SEGSCOPE_TEST_TRUNCATE_AFTER_MAP", "1")
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(2),
        "not a SIGBUS death: {:?}",
        o.status
    );
    let err = stderr(&o);
    assert!(
        err.contains("big.csv") && err.contains("cut short"),
        "{err}"
    );
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
}

#[test]
fn sums_that_would_overflow_are_dropped_and_said_never_inf_metrics() {
    let dir = tempfile::tempdir().unwrap();
    let mut csv = String::from("customer_id,order_id,date,amount\n");
    for i in 0..60 {
        csv.push_str(&format!(
            "c{},o{i},2024-01-{:02},{}\n",
            i % 12,
            i % 28 + 1,
            10 + i
        ));
    }
    csv.push_str("c1,x1,2024-02-01,1.5e308\nc1,x2,2024-02-02,1.5e308\n");
    let f = write(dir.path(), "huge.csv", csv.as_bytes());
    for algo in ["kmeans", "gmm"] {
        let o = run(&[
            "segment",
            p(&f),
            "--k",
            "3",
            "--algo",
            algo,
            "--format",
            "json",
        ]);
        assert!(o.status.success(), "{algo}: {}", stderr(&o));
        let err = stderr(&o);
        assert!(
            err.contains("beyond ±1e15") && err.contains("2 of the rows"),
            "{err}"
        );
        let got: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(got["k"], 3, "{algo}: the K asked for");
        for m in [
            "silhouette",
            "davies_bouldin",
            "calinski_harabasz",
            "inertia",
        ] {
            assert!(
                got["metrics"][m].as_f64().is_some_and(f64::is_finite),
                "{algo} {m}: {got}"
            );
        }
    }
}

#[test]
fn a_customer_table_with_values_near_the_float_limit_is_refused_naming_the_cell() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        dir.path(),
        "table.csv",
        b"customer_id,spend,visits\na,1e308,3\nb,2,4\nc,3,5\nd,4,6\n",
    );
    for scaler in ["none", "standard", "robust"] {
        for algo in ["kmeans", "gmm"] {
            refused(
                &[
                    "segment",
                    p(&f),
                    "--k",
                    "2",
                    "--scaler",
                    scaler,
                    "--algo",
                    algo,
                ],
                &["customer \"a\"", "spend"],
            );
        }
    }
    let out = dir.path().join("out");
    refused(
        &["export", p(&f), "--k", "2", "--out", p(&out)],
        &["customer \"a\""],
    );
    assert!(!out.join("model.json").exists(), "nothing written");
}

#[test]
fn parquet_decimal_and_float16_columns_are_read() {
    use polars::prelude::*;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("spark.parquet");
    let mut df = df!(
        "customer_id" => ["a", "b", "c", "a"],
        "order_id" => ["1", "2", "3", "4"],
        "date" => ["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04"],
        "amount" => [10.25, 20.5, 30.0, 5.0],
        "unused" => [1.0, 2.0, 3.0, 4.0],
    )
    .unwrap();
    let money = df
        .column("amount")
        .unwrap()
        .cast(&DataType::Decimal(10, 2))
        .unwrap();
    let half = df
        .column("unused")
        .unwrap()
        .cast(&DataType::Float16)
        .unwrap();
    df.with_column(money).unwrap();
    df.with_column(half).unwrap();
    ParquetWriter::new(std::fs::File::create(&path).unwrap())
        .finish(&mut df)
        .unwrap();
    let eda = json(&["eda", p(&path), "--format", "json"]);
    assert!(approx(
        metric(&eda, "revenue").as_f64().unwrap(),
        65.75,
        1e-9
    ));
    assert_eq!(metric(&eda, "customers who bought"), 3);
}

/// The two ways a command writes a file the user names: `--out` and `--dump-matrix`.
fn writers<'a>(data: &'a Path, target: &'a Path) -> [Vec<&'a str>; 2] {
    [
        vec!["lookalike", p(data), "--all", "--out", p(target), "--force"],
        vec![
            "segment",
            p(data),
            "--k",
            "3",
            "--dump-matrix",
            p(target),
            "--force",
        ],
    ]
}

#[test]
fn output_paths_never_replace_links_devices_or_files_without_force() {
    let Some(z) = zeotap() else { return };
    let dir = tempfile::tempdir().unwrap();
    let existing = write(dir.path(), "m.csv", b"keep me");
    refused(
        &["segment", p(&z), "--k", "3", "--dump-matrix", p(&existing)],
        &["m.csv", "already exists", "--force"],
    );
    assert_eq!(std::fs::read(&existing).unwrap(), b"keep me");
    let ok = run(&[
        "segment",
        p(&z),
        "--k",
        "3",
        "--dump-matrix",
        p(&existing),
        "--force",
    ]);
    assert!(ok.status.success(), "{}", stderr(&ok));
    assert!(
        std::fs::read_to_string(&existing)
            .unwrap()
            .starts_with("CustomerID,")
    );
    // A link is never written through nor replaced.
    let target = write(dir.path(), "target.csv", b"target");
    let link = dir.path().join("link.csv");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    for args in writers(&z, &link) {
        refused(&args, &["link.csv", "symbolic link"]);
    }
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(std::fs::read(&target).unwrap(), b"target");
    if let Some(node) = device_node(dir.path()) {
        for args in writers(&z, &node) {
            refused(&args, &["null", "not a regular file"]);
            assert!(is_char_device(&node), "the device node is still a device");
        }
    }
}

#[test]
fn sizes_asked_for_are_bounded_by_the_data() {
    let Some(z) = zeotap() else { return };
    for top in ["10000000000", "18446744073709551615"] {
        let got = json(&[
            "lookalike",
            p(&z),
            "--customer",
            "C0001",
            "--top",
            top,
            "--format",
            "json",
        ]);
        assert_eq!(
            got["lookalikes"].as_array().unwrap().len(),
            198,
            "every other customer, and no more"
        );
    }
    let o = run(&[
        "lookalike",
        p(&z),
        "--all",
        "--top",
        "10000000",
        "--format",
        "csv",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let header = stdout(&o).lines().next().unwrap().to_string();
    assert!(
        header.ends_with("Lookalike198,Score198"),
        "{}",
        &header[header.len() - 40..]
    );
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("s");
    refused(
        &[
            "sample",
            "--customers",
            "10",
            "--transactions",
            "18446744073709551615",
            "--out",
            p(&out),
        ],
        &["--transactions", "at most"],
    );
    refused(
        &["sample", "--customers", "4000000000", "--out", p(&out)],
        &["--customers", "at most"],
    );
    assert!(!out.exists(), "nothing created");
}

#[test]
fn a_full_disk_on_stdout_or_stderr_is_exit_2_not_a_bug_or_a_panic() {
    let Some(z) = zeotap() else { return };
    let full = std::fs::OpenOptions::new().write(true).open("/dev/full");
    let Ok(full) = full else {
        let _ = writeln!(std::io::stderr(), "SKIPPED full-disk case: no /dev/full");
        return;
    };
    for args in [
        vec!["eda", p(&z)],
        vec!["segment", p(&z), "--k", "3"],
        vec!["lookalike", p(&z), "--customer", "C0001"],
    ] {
        let o = Command::new(bin())
            .args(&args)
            .stdout(full.try_clone().unwrap())
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains("No space left"), "{}", stderr(&o));
    }
    // The error itself cannot be printed: still exit 2, never a panic.
    let o = Command::new(bin())
        .args(["segment", p(&z), "--k", "1"])
        .stderr(full)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn a_signal_during_export_leaves_no_temporary_file() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let made = run(&[
        "sample",
        "--customers",
        "20000",
        "--transactions",
        "400000",
        "--out",
        p(&data),
    ]);
    assert!(made.status.success());
    for delay_ms in [300u64, 700, 1200] {
        let out = dir.path().join(format!("out{delay_ms}"));
        let mut child = Command::new(bin())
            .args(["export", p(&data), "--k", "4", "--out", p(&out)])
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        let status = child.wait().unwrap();
        let left: Vec<String> = std::fs::read_dir(&out)
            .map(|d| {
                d.filter_map(|e| e.ok())
                    .map(|e| e.file_name().to_string_lossy().to_string())
                    .collect()
            })
            .unwrap_or_default();
        assert!(
            left.iter().all(|n| !n.ends_with(".tmp")),
            "after SIGTERM at {delay_ms} ms ({status:?}): {left:?}"
        );
    }
}

#[test]
fn a_huge_name_is_cut_in_text_output() {
    let dir = tempfile::tempdir().unwrap();
    let name = "N".repeat(5_000_000);
    let csv = format!(
        "customer_id,date,amount,product_name\na,2024-01-01,5,{name}\nb,2024-01-02,6,short\n"
    );
    let f = write(dir.path(), "long.csv", csv.as_bytes());
    let o = run(&["eda", p(&f)]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(o.stdout.len() < 200_000, "{} bytes of text", o.stdout.len());
    assert!(stdout(&o).contains('…'), "the cut is shown");
    // JSON keeps the whole value.
    let j = run(&[
        "eda",
        p(&f),
        "--format",
        "json",
        "--table",
        "top_products_by_revenue",
    ]);
    assert!(j.stdout.len() > 5_000_000);
}

#[test]
fn ids_that_differ_by_an_invisible_character_stay_apart_in_csv() {
    let dir = tempfile::tempdir().unwrap();
    let mut csv = String::from("customer_id,order_id,date,amount\n");
    let ids = [
        "ab\u{200b}c",
        "ab\u{200c}c",
        "ab\u{200d}c",
        "ab\u{2060}c",
        "plain",
    ];
    for (i, id) in ids.iter().enumerate() {
        for j in 0..3 {
            csv.push_str(&format!(
                "{id},o{i}{j},2024-0{}-1{j},{}\n",
                i + 1,
                10 * (i + 1) + j
            ));
        }
    }
    let f = write(dir.path(), "zw.csv", csv.as_bytes());
    let out = dir.path().join("out");
    let o = run(&["segment", p(&f), "--k", "2", "--out", p(&out)]);
    assert!(o.status.success(), "{}", stderr(&o));
    let rows = std::fs::read_to_string(out.join("customer_segments.csv")).unwrap();
    let first: Vec<&str> = rows
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap())
        .collect();
    let distinct: std::collections::HashSet<&&str> = first.iter().collect();
    assert_eq!(distinct.len(), 5, "{first:?}");
    assert!(
        first.contains(&"ab<U+200B>c") && first.contains(&"ab<U+2060>c"),
        "{first:?}"
    );
    assert!(!rows.contains('\u{200b}') && !rows.contains('\u{2060}'));
}

#[test]
fn a_k_the_data_cannot_support_is_refused_naming_the_distinct_points() {
    let dir = tempfile::tempdir().unwrap();
    let mut csv = String::from("customer_id,order_id,date,amount\n");
    for i in 0..10 {
        let amount = if i % 2 == 0 { 5 } else { 50 };
        csv.push_str(&format!("c{i},o{i},2024-01-0{},{amount}\n", 1 + i % 2));
    }
    let f = write(dir.path(), "two.csv", csv.as_bytes());
    refused(
        &["segment", p(&f), "--k", "5", "--features", "rfm"],
        &["--k 5", "only 2 distinct", "--k 2"],
    );
    let out = dir.path().join("out");
    refused(
        &[
            "export",
            p(&f),
            "--k",
            "5",
            "--features",
            "rfm",
            "--out",
            p(&out),
        ],
        &["only 2 distinct"],
    );
    assert!(!out.join("model.json").exists());
}

#[test]
fn fifos_devices_and_oversized_flag_files_are_refused_not_read_forever() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("folder");
    std::fs::create_dir(&folder).unwrap();
    write(&folder, "Customers.csv", b"CustomerID\nC1\n");
    write(&folder, "Products.csv", b"ProductID\nP1\n");
    let fifo = folder.join("Transactions.csv");
    let made = Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .is_ok_and(|s| s.success());
    if made {
        refused(
            &["eda", p(&folder)],
            &["Transactions.csv", "not a regular file"],
        );
        refused(
            &["eda", p(&fifo)],
            &["Transactions.csv", "not a regular file or a folder"],
        );
    }
    refused(
        &["assign", "--model", "/dev/zero"],
        &["--model /dev/zero", "not a regular file"],
    );
    // The app refuses a bad config before it needs a terminal.
    refused(
        &["--config", "/dev/zero"],
        &["--config /dev/zero", "not a regular file"],
    );
    let big = write(dir.path(), "big.toml", &vec![b'#'; 2 << 20]);
    refused(&["--config", p(&big)], &["big.toml", "bytes"]);
    // A folder where the default config file should be is named as that, not as --config.
    let home = dir.path().join("home");
    std::fs::create_dir_all(home.join(".config/segscope/config.toml")).unwrap();
    let o = Command::new(bin())
        .env("HOME", &home)
        .env_remove("XDG_CONFIG_HOME")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("default config file") && !err.contains("--config"),
        "{err}"
    );
}

#[test]
fn a_gzip_bomb_is_refused_within_a_memory_bound() {
    use flate2::{Compression, write::GzEncoder};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bomb.csv.gz");
    let mut gz = GzEncoder::new(
        std::fs::File::create(&path).unwrap(),
        Compression::default(),
    );
    gz.write_all(b"customer_id,date,amount\n").unwrap();
    let line = b"c1,2024-01-01,5\n".repeat(1 << 16);
    for _ in 0..300 {
        gz.write_all(&line).unwrap();
    }
    gz.finish().unwrap();
    // 314 MB of text in well under 1% of that: beyond the reader's bound either way.
    assert!(std::fs::metadata(&path).unwrap().len() < 3 << 20);
    let o = Command::new("/usr/bin/time")
        .args(["-f", "%M", bin(), "eda", p(&path)])
        .output();
    let Ok(o) = o else {
        refused(&["eda", p(&path)], &["bomb.csv.gz", "gunzip"]);
        return;
    };
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("bomb.csv.gz") && err.contains("gunzip -k"),
        "{err}"
    );
    let peak_kb: u64 = err.lines().last().unwrap().trim().parse().unwrap();
    assert!(
        peak_kb < 700_000,
        "peak {peak_kb} KB: the read stopped at its bound"
    );
}

#[test]
fn unhelpful_messages_now_name_the_cause_and_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // A symlink loop.
    std::os::unix::fs::symlink(d.join("b"), d.join("a")).unwrap();
    std::os::unix::fs::symlink(d.join("a"), d.join("b")).unwrap();
    refused(&["eda", p(&d.join("a"))], &["symbolic link loop"]);
    // --map takes the column another role needs.
    let log = write(
        d,
        "log.csv",
        b"CustomerID,date,amount\nc1,2024-01-01,5\nc2,2024-01-02,6\n",
    );
    refused(
        &["eda", p(&log), "--map", "amount=CustomerID"],
        &[
            "\"CustomerID\"",
            "would be the customer_id",
            "--map makes it the amount",
        ],
    );
    refused(
        &[
            "eda",
            p(&log),
            "--map",
            "amount=amount",
            "--map",
            "amount=date",
        ],
        &["one column per role"],
    );
    // One ragged row: its line is named.
    let ragged = write(
        d,
        "ragged.csv",
        b"customer_id,date,amount\nc1,2024-01-01,5\nc2,2024-01-02,6,extra\n",
    );
    refused(
        &["eda", p(&ragged)],
        &["line 3", "4 fields", "header has 3"],
    );
    // Two columns of one name.
    let dup = write(
        d,
        "dup.csv",
        b"customer_id,date,amount,amount\nc1,2024-01-01,5,6\n",
    );
    refused(
        &["eda", p(&dup)],
        &["two columns are named \"amount\"", "--columns"],
    );
    // Transactions.csv beside transactions.csv.gz.
    let f = d.join("folder");
    std::fs::create_dir(&f).unwrap();
    write(&f, "Customers.csv", b"CustomerID\nC1\n");
    write(&f, "Products.csv", b"ProductID\nP1\n");
    write(&f, "Transactions.csv", b"x\n");
    write(&f, "transactions.csv.gz", b"x\n");
    refused(
        &["eda", p(&f)],
        &["Transactions.csv and transactions.csv.gz", "keep one"],
    );
    // CR-only line endings and UTF-16 read like the plain file.
    let plain = b"customer_id,date,amount\r c1,2024-01-01,5\rc2,2024-01-02,6\r".to_vec();
    let cr = write(d, "cr.csv", &plain);
    let got = json(&["eda", p(&cr), "--format", "json"]);
    assert_eq!(metric(&got, "transactions"), 2);
    let text = "customer_id,date,amount\nc1,2024-01-01,5\nc2,2024-01-02,6\n";
    let mut utf16 = vec![0xff, 0xfe];
    utf16.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    let u = write(d, "u16.csv", &utf16);
    let got = json(&["eda", p(&u), "--format", "json"]);
    assert!(approx(
        metric(&got, "revenue").as_f64().unwrap(),
        11.0,
        1e-9
    ));
    // migrate --split too early names --split.
    let Some(z) = zeotap() else { return };
    refused(
        &["migrate", p(&z), "--k", "4", "--split", "2023-12-31"],
        &["--split", "later"],
    );
}

#[test]
fn assign_takes_a_month_without_one_category() {
    let dir = tempfile::tempdir().unwrap();
    let full = write(
        dir.path(),
        "full.csv",
        b"customer_id,order_id,date,amount,category\n\
a,1,2024-01-01,5,x\na,2,2024-02-01,9,y\nb,3,2024-01-05,50,x\nc,4,2024-01-09,7,y\nd,5,2024-02-11,70,x\ne,6,2024-02-12,3,y\n",
    );
    let out = dir.path().join("out");
    let o = run(&[
        "export",
        p(&full),
        "--k",
        "2",
        "--features",
        "all",
        "--out",
        p(&out),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let month = write(
        dir.path(),
        "month.csv",
        b"customer_id,order_id,date,amount,category\na,7,2024-03-01,5,x\nb,8,2024-03-02,40,x\nf,9,2024-03-03,8,x\n",
    );
    let model = out.join("model.json");
    let o = run(&["assign", "--model", p(&model), p(&month)]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        stdout(&o).lines().count(),
        4,
        "a header and three customers"
    );
}
