//! The analyst's screen (#16): numbers for people, lookalikes in context, filters on every
//! command, partial months, copying, the Segments pane's pictures and compare, completions and
//! the man page. Oracles are the bundled sample's CSV files read here by hand, or the
//! engine's own other outputs (export's files) for the plumbing.

mod common;

use std::collections::HashMap;

use common::tui::*;
use common::*;
use crossterm::event::KeyCode;
use segscope::analysis::Value;
use segscope::tui::action::Effect;
use segscope::tui::app::{Pane, SegmentsView};

const SAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/data/sample");

/// (customer, day "YYYY-MM-DD", total value) of one transaction.
type Line = (String, String, f64);

/// The sample's lines, and each customer's region.
fn sample_lines() -> (Vec<Line>, HashMap<String, String>) {
    let customers = std::fs::read_to_string(format!("{SAMPLE}/Customers.csv")).unwrap();
    let region: HashMap<String, String> = customers
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[0].to_string(), f[2].to_string())
        })
        .collect();
    let tx = std::fs::read_to_string(format!("{SAMPLE}/Transactions.csv")).unwrap();
    let lines = tx
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (
                f[1].to_string(),
                f[3][..10].to_string(),
                f[5].parse().unwrap(),
            )
        })
        .collect();
    (lines, region)
}

#[test]
fn filters_cut_every_figure_to_the_slice_and_say_so() {
    let (lines, region) = sample_lines();
    let slice: Vec<&Line> = lines
        .iter()
        .filter(|(c, d, _)| {
            region[c] == "Europe" && d.as_str() >= "2023-03-01" && d.as_str() <= "2023-05-31"
        })
        .collect();
    let want: f64 = slice.iter().map(|l| l.2).sum();
    let want_customers = slice
        .iter()
        .map(|l| &l.0)
        .collect::<std::collections::HashSet<_>>()
        .len();
    assert!(want > 0.0 && want_customers > 10);
    let args = [
        "eda",
        "--where",
        "region=Europe",
        "--from",
        "2023-03-01",
        "--to",
        "2023-05-31",
        "--format",
        "json",
    ];
    let eda = json(&args);
    let got = metric(&eda, "revenue").as_f64().unwrap();
    assert!(approx(got, want, 0.01), "revenue {got} vs {want}");
    // The rfm features count the same customers.
    let seg = json(&[
        "segment",
        "--k",
        "2",
        "--where",
        "region=europe",
        "--from",
        "2023-03-01",
        "--to",
        "2023-05-31",
        "--format",
        "json",
    ]);
    let sizes: u64 = seg["segments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["size"].as_u64().unwrap())
        .sum();
    assert_eq!(
        sizes as usize, want_customers,
        "region values match in any case"
    );
    // The slice is said on stderr.
    let o = run(&args);
    assert!(stderr(&o).contains("filtered to region=Europe, 2023-03-01 to 2023-05-31"));
}

#[test]
fn filters_refuse_what_the_data_does_not_have() {
    refused(
        &["eda", "--where", "region=Atlantis"],
        &["--where region=Atlantis", "Asia", "Europe", "North America"],
    );
    refused(
        &["eda", "--where", "colour=red"],
        &["colour", "region", "category"],
    );
    refused(&["eda", "--from", "2023-13-01"], &["--from", "YYYY-MM-DD"]);
    refused(
        &["eda", "--from", "2024-02-01", "--to", "2024-01-01"],
        &["ends before it starts"],
    );
    refused(
        &["eda", "--from", "2030-01-01"],
        &["no purchase lines are left", "from 2030-01-01"],
    );
}

#[test]
fn lookalikes_carry_name_segment_recency_orders_and_spend() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("x");
    let o = run(&["export", "--k", "4", "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let read = |name: &str| std::fs::read_to_string(out.join(name)).unwrap();
    // Net spend, orders (one per transaction in the sample) and the last day, from the CSV.
    let (lines, _) = sample_lines();
    let mut by_id: HashMap<String, (f64, f64, String)> = HashMap::new();
    for (c, d, v) in &lines {
        let e = by_id.entry(c.clone()).or_insert((0.0, 0.0, String::new()));
        e.0 += v;
        e.1 += 1.0;
        if *d > e.2 {
            e.2 = d.clone();
        }
    }
    let day = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    let last = lines.iter().map(|l| day(&l.1)).max().unwrap();
    let segments = read("customer_segments.csv");
    // Customers who never bought have no segment there.
    let seg_of: HashMap<String, u64> = segments
        .lines()
        .skip(1)
        .filter_map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            Some((f[0].to_string(), f[1].parse().ok()?))
        })
        .collect();
    let names = std::fs::read_to_string(format!("{SAMPLE}/Customers.csv")).unwrap();
    let name_of: HashMap<&str, &str> = names
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[0], f[1])
        })
        .collect();
    let res = json(&[
        "lookalike",
        "--customer",
        "C0001",
        "--top",
        "5",
        "--format",
        "json",
    ]);
    let list = res["lookalikes"].as_array().unwrap();
    assert_eq!(list.len(), 5);
    for l in list {
        let id = l["customer"].as_str().unwrap();
        let (spend, orders, last_day) = &by_id[id];
        assert!(
            approx(l["net_spend"].as_f64().unwrap(), *spend, 0.01),
            "{l}"
        );
        assert_eq!(l["orders"].as_f64().unwrap(), *orders, "{l}");
        let days = (last - day(last_day)).num_days() as f64;
        assert!(
            approx(l["recency_days"].as_f64().unwrap(), days, 1.0),
            "{l}"
        );
        assert_eq!(l["name"].as_str().unwrap(), name_of[id]);
        assert_eq!(
            l["segment"].as_u64().unwrap(),
            seg_of[id],
            "segment at --k 4 as export"
        );
        assert!(l["persona"].is_string());
    }
    // Text shows the same columns for people.
    let text = stdout(&run(&["lookalike", "--customer", "C0001", "--top", "5"]));
    for column in [
        "name",
        "segment",
        "recency_days",
        "orders",
        "net_spend",
        "score",
    ] {
        assert!(text.contains(column), "{column} in {text}");
    }
    // The CSV has the same columns and the same customers as the JSON.
    let csv = stdout(&run(&[
        "lookalike",
        "--customer",
        "C0001",
        "--top",
        "5",
        "--format",
        "csv",
    ]));
    let mut lines = csv.lines();
    assert_eq!(
        lines.next().unwrap(),
        "rank,customer,name,segment,recency_days,orders,net_spend,score"
    );
    let csv_ids: Vec<&str> = lines.map(|l| l.split(',').nth(1).unwrap()).collect();
    let json_ids: Vec<&str> = list
        .iter()
        .map(|l| l["customer"].as_str().unwrap())
        .collect();
    assert_eq!(csv_ids, json_ids);
}

#[test]
fn segment_csv_is_the_profile_table() {
    let o = run(&["segment", "--k", "3", "--format", "csv"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    assert!(header.starts_with("segment,persona,size,share"), "{header}");
    assert!(lines.count() >= 3);
}

#[test]
fn text_tables_read_as_people_write_numbers() {
    let text = stdout(&run(&["eda"]));
    // Money with grouped thousands and cents, shares as percentages.
    assert!(
        text.lines()
            .any(|l| l.contains(',') && l.contains('.') && l.trim_start().starts_with("revenue")),
        "{text}"
    );
    assert!(text.contains('%'), "shares read as percentages");
    // JSON keeps the full values.
    let eda = json(&["eda", "--format", "json"]);
    assert!(metric(&eda, "revenue").is_number());
}

#[test]
fn completions_and_man_page_know_every_command() {
    for shell in ["bash", "zsh", "fish"] {
        let o = run(&["completions", shell]);
        assert!(o.status.success());
        let s = stdout(&o);
        for c in ["lookalike", "segment", "cohorts", "--where"] {
            assert!(s.contains(c), "{shell} completion lacks {c}");
        }
    }
    let man = stdout(&run(&["man"]));
    assert!(
        man.starts_with(".ie") || man.contains(".TH segscope"),
        "{}",
        &man[..200.min(man.len())]
    );
    assert!(man.contains("lookalike"));
}

#[test]
fn a_partial_last_month_is_named_and_left_out_of_min_and_max() {
    // Three months: January and February in full, March to the 9th only.
    let mut csv = String::from("CustomerID,InvoiceNo,InvoiceDate,Quantity,UnitPrice\n");
    let mut n = 0;
    for (month, days) in [(1, 31), (2, 28), (3, 9)] {
        for d in 1..=days {
            n += 1;
            csv.push_str(&format!(
                "C{},{n},2023-{month:02}-{d:02} 10:00,1,10\n",
                n % 7
            ));
        }
    }
    let ds = segscope::data::load_bytes("log.csv", csv.into_bytes(), &Default::default()).unwrap();
    let t = segscope::analysis::trends::trends(&ds).unwrap();
    assert_eq!(t.months, ["2023-01", "2023-02", "2023-03"]);
    assert_eq!(t.partial.len(), 1);
    assert_eq!(
        (t.partial[0].index, t.partial[0].days, t.partial[0].of),
        (2, 9, 31)
    );
    let (lo, hi) = t.full_range(&t.overall.revenue);
    assert_eq!((lo, hi), (280.0, 310.0), "March's 90 is not the minimum");
}

#[test]
fn y_copies_the_selected_row_and_shift_y_the_table_as_tsv() {
    let mut app = loaded();
    press(
        &mut app,
        &[key('2'), code(KeyCode::Enter), code(KeyCode::Down)],
    );
    assert_eq!(app.pane, Pane::Eda);
    let (table, rows) = app.eda_rows().unwrap();
    let (table, second) = (table.clone(), rows[1]);
    let fx = app.update(key('y'));
    let [Effect::Copy { text, what }] = fx.as_slice() else {
        panic!("{fx:?}")
    };
    let mut lines = text.lines();
    assert_eq!(lines.next().unwrap(), table.columns.join("\t"));
    let cells: Vec<&str> = lines.next().unwrap().split('\t').collect();
    assert_eq!(cells.len(), table.columns.len());
    for (cell, v) in cells.iter().zip(&table.rows[second]) {
        match v {
            Value::Text(s) => assert_eq!(cell, s),
            other => assert_eq!(cell.parse::<f64>().unwrap(), other.as_f64().unwrap()),
        }
    }
    assert!(what.contains("1 row"));
    let fx = app.update(key('Y'));
    let [Effect::Copy { text, .. }] = fx.as_slice() else {
        panic!("{fx:?}")
    };
    assert_eq!(text.lines().count(), table.rows.len() + 1);
    // The status line says what was copied.
    app.update(segscope::tui::action::Action::Copied(Ok(
        "3 rows of x".into()
    )));
    assert!(render(&app, 80, 24).contains("copied 3 rows of x"));
}

#[test]
fn segments_scatter_silhouette_and_compare_come_from_the_worker() {
    let mut app = loaded();
    press(&mut app, &[key('4')]);
    let fx = app.update(key('v'));
    assert_eq!(app.seg.view, SegmentsView::Scatter);
    assert!(matches!(fx.as_slice(), [Effect::SegmentViews { .. }]));
    assert!(render(&app, 80, 24).contains("Computing the segment pictures"));
    settle(&mut app, fx);
    let views = app.segment_views().unwrap().ready().unwrap().clone();
    let p = views.projection.as_ref().unwrap();
    // A linear projection keeps means: each K-means centre lands on its segment's mean point
    // when every customer is drawn.
    assert_eq!(
        views.sampled, views.customers,
        "the sample has fewer than 4,000 customers"
    );
    for (s, c) in p.centres.iter().enumerate() {
        let pts: Vec<&(f64, f64)> = p
            .points
            .iter()
            .zip(&p.labels)
            .filter(|(_, l)| **l == s)
            .map(|(q, _)| q)
            .collect();
        let mx = pts.iter().map(|q| q.0).sum::<f64>() / pts.len() as f64;
        let my = pts.iter().map(|q| q.1).sum::<f64>() / pts.len() as f64;
        assert!(
            approx(mx, c.0, 1e-6) && approx(my, c.1, 1e-6),
            "segment {s}: {c:?} vs ({mx}, {my})"
        );
    }
    assert!(p.explained.0 >= p.explained.1 && p.explained.0 <= 1.0);
    let screen = render(&app, 80, 24);
    assert!(
        screen.contains("PC1") && screen.contains('1') && screen.contains('4'),
        "{screen}"
    );
    // Silhouette: the segments' means weigh up to the header's silhouette.
    app.update(key('v'));
    assert_eq!(app.seg.view, SegmentsView::Silhouette);
    let total: usize = views.silhouettes.iter().map(|s| s.values.len()).sum();
    let mean: f64 = views
        .silhouettes
        .iter()
        .map(|s| s.values.iter().sum::<f64>())
        .sum::<f64>()
        / total as f64;
    let header = app.seg.result.as_ref().unwrap().seg.metrics.silhouette;
    assert!(approx(mean, header, 1e-9), "{mean} vs {header}");
    assert!(render(&app, 80, 24).contains("mean"));
    // Compare: segment 1 against segment 2, then against everyone.
    app.update(key('v'));
    assert_eq!(app.seg.view, SegmentsView::Profiles);
    press(&mut app, &[key('x'), code(KeyCode::Down)]);
    let screen = render(&app, 160, 48);
    assert!(
        screen.contains("Compare 1") && screen.contains("ratio"),
        "{screen}"
    );
    press(&mut app, &[code(KeyCode::Up)]);
    assert!(render(&app, 160, 48).contains("with everyone"));
}

#[test]
fn the_status_line_follows_the_keymap() {
    let mut keys = std::collections::BTreeMap::new();
    keys.insert("sort".to_string(), vec!["o".to_string()]);
    let keymap = segscope::tui::keymap::Keymap::with_overrides(&keys).unwrap();
    let mut app = loaded_with(keymap);
    press(&mut app, &[key('2')]);
    let screen = render(&app, 160, 48);
    assert!(
        screen.contains("o sort") && !screen.contains("s sort"),
        "{screen}"
    );
}

/// The EDA table `name` of the pane as shown, and its row whose first cell reads `key`.
fn shown_row(app: &segscope::tui::app::App, name: &str, key: &str) -> Vec<Value> {
    let eda = app.eda_shown().ready().expect("tables ready");
    let t = eda.tables.iter().find(|t| t.name == name).unwrap();
    t.rows
        .iter()
        .find(|r| matches!(&r[0], Value::Text(s) if s == key))
        .unwrap_or_else(|| panic!("{name} has no {key}"))
        .clone()
}

fn overview_revenue(app: &segscope::tui::app::App) -> f64 {
    shown_row(app, "overview", "revenue")[1].as_f64().unwrap()
}

#[test]
fn enter_drills_into_a_region_then_a_month_and_backspace_climbs_back() {
    let mut app = loaded();
    press(
        &mut app,
        &[key('2'), code(KeyCode::Down), code(KeyCode::Enter)],
    );
    let (t, rows) = app.eda_rows().unwrap();
    assert_eq!(t.name, "by_region");
    let first = t.rows[rows[0]].clone();
    let Value::Text(region) = &first[0] else {
        panic!()
    };
    let region = region.clone();
    let fx = app.update(code(KeyCode::Enter));
    assert!(matches!(fx.as_slice(), [Effect::Drill { .. }]), "{fx:?}");
    assert!(render(&app, 80, 24).contains(&format!("the tables of {region}")));
    settle(&mut app, fx);
    // The slice's overview is the region's row of the whole data.
    assert!(approx(
        overview_revenue(&app),
        first[1].as_f64().unwrap(),
        0.01
    ));
    let (t, rows) = app.eda_rows().unwrap();
    assert_eq!(
        (t.name.as_str(), rows.len()),
        ("by_region", 1),
        "the same table, one region"
    );
    assert!(render(&app, 160, 48).contains(&format!("{region} · ")));
    // Then one month of that region: its monthly row is the month's whole revenue.
    press(&mut app, &[code(KeyCode::Left)]);
    app.eda_view.in_list = true;
    let monthly = app
        .eda_shown()
        .ready()
        .unwrap()
        .tables
        .iter()
        .position(|t| t.name == "monthly")
        .unwrap();
    app.eda_view.table = monthly;
    press(&mut app, &[code(KeyCode::Enter), code(KeyCode::Down)]);
    let month_row = {
        let (t, rows) = app.eda_rows().unwrap();
        t.rows[rows[1]].clone()
    };
    let fx = app.update(code(KeyCode::Enter));
    settle(&mut app, fx);
    assert!(approx(
        overview_revenue(&app),
        month_row[1].as_f64().unwrap(),
        0.01
    ));
    assert_eq!(app.eda_view.drill.len(), 2);
    // Back up twice: the whole data again.
    press(
        &mut app,
        &[code(KeyCode::Backspace), code(KeyCode::Backspace)],
    );
    assert!(app.eda_view.drill.is_empty());
    let whole = app.eda.ready().unwrap().tables[0].clone();
    let revenue = whole
        .rows
        .iter()
        .find(|r| r[0] == Value::text("revenue"))
        .unwrap()[1]
        .as_f64()
        .unwrap();
    assert_eq!(overview_revenue(&app), revenue);
}

#[test]
fn product_filter_and_drill_find_its_buyers() {
    let eda = json(&["eda", "--format", "json"]);
    let top = table(&eda, "top_products_by_revenue");
    let product = top["rows"][0][1].as_str().unwrap().to_string();
    let sliced = json(&[
        "eda",
        "--where",
        &format!("product={product}"),
        "--format",
        "json",
    ]);
    let by_product = table(&sliced, "top_products_by_revenue");
    assert_eq!(by_product["rows"].as_array().unwrap().len(), 1);
    assert_eq!(by_product["rows"][0][1].as_str().unwrap(), product);
}

#[test]
fn the_scatter_is_scikit_learns_pca_of_the_clustered_matrix() {
    let expected: serde_json::Value =
        serde_json::from_str(include_str!("golden/projection/expected.json")).unwrap();
    let app = loaded();
    let seg = &app.seg.result.as_ref().unwrap().seg;
    assert_eq!((seg.k, app.seg.features_spec()), (4, "rfm+"));
    let views = segscope::analysis::projection::views(seg).unwrap();
    assert_eq!(
        views.customers as u64,
        expected["customers"].as_u64().unwrap()
    );
    let p = views.projection.unwrap();
    let ratio = expected["explained_variance_ratio"].as_array().unwrap();
    assert!(
        approx(p.explained.0, ratio[0].as_f64().unwrap(), 1e-9),
        "{:?}",
        p.explained
    );
    assert!(
        approx(p.explained.1, ratio[1].as_f64().unwrap(), 1e-9),
        "{:?}",
        p.explained
    );
    for (got, want) in p
        .points
        .iter()
        .zip(expected["first_abs"].as_array().unwrap())
    {
        assert!(
            approx(got.0.abs(), want[0].as_f64().unwrap(), 1e-6),
            "{got:?} {want}"
        );
        assert!(
            approx(got.1.abs(), want[1].as_f64().unwrap(), 1e-6),
            "{got:?} {want}"
        );
    }
}

#[test]
fn the_slice_bar_asks_for_filters_and_refuses_what_it_cannot_read() {
    let mut app = loaded();
    press(&mut app, &[key('F')]);
    assert!(app.slice_bar.is_some());
    assert!(render(&app, 160, 48).contains("slice: _"));
    typed(&mut app, "region=Europe, from=2023-03-01");
    let fx = app.update(code(KeyCode::Enter));
    let [Effect::Slice(f)] = fx.as_slice() else {
        panic!("{fx:?}")
    };
    assert_eq!(f.describe(), "region=Europe, from 2023-03-01");
    assert!(app.slice_bar.is_none());
    // A fresh app for the slice keeps the pane and names the slice.
    press(&mut app, &[key('3')]);
    let next = app.sliced(Some(f.describe()));
    assert_eq!(next.pane, Pane::Trends);
    assert_eq!(
        next.slice.as_deref(),
        Some("region=Europe, from 2023-03-01")
    );
    assert!(next.eda.ready().is_none(), "every pane recomputes");
    assert_eq!(
        next.slice_text, "region=Europe, from=2023-03-01",
        "F edits the slice in effect"
    );
    // Text it cannot read is said, and nothing is asked.
    press(&mut app, &[key('F')]);
    typed(&mut app, "from=yesterday");
    assert!(app.update(code(KeyCode::Enter)).is_empty());
    assert!(app.status.as_deref().unwrap().contains("YYYY-MM-DD"));
    // X with no slice says so.
    assert!(app.update(key('X')).is_empty());
    assert!(app.status.as_deref().unwrap().contains("no slice"));
}

#[test]
fn the_mouse_wheel_scrolls_and_a_click_picks_a_pane_or_a_table() {
    use crossterm::event::{KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
    use segscope::tui::action::Action;
    let at = |kind, column, row| {
        Action::Mouse(MouseEvent {
            kind,
            column,
            row,
            modifiers: KeyModifiers::NONE,
        })
    };
    let mut app = loaded();
    // " 1 Overview  2 EDA  3 Trends …": column 15 is on "2 EDA".
    app.update(at(MouseEventKind::Down(MouseButton::Left), 15, 0));
    assert_eq!(app.pane, Pane::Eda);
    app.update(at(MouseEventKind::Down(MouseButton::Left), 5, 4));
    assert_eq!(app.eda_view.table, 2, "the third table in the list");
    app.update(at(MouseEventKind::ScrollDown, 40, 10));
    assert_eq!(app.eda_view.table, 3, "the wheel moves like Down");
    assert_eq!(segscope::tui::app::pane_at(200), None);
}

#[test]
fn everyone_is_the_mean_over_all_customers() {
    let app = loaded();
    let seg = &app.seg.result.as_ref().unwrap().seg;
    let all = segscope::analysis::segment::everyone(&seg.profiles);
    let f = &app.features.ready().unwrap().features;
    let j = f.column("monetary").unwrap();
    let mean = f.raw.column(j).sum() / f.raw.nrows() as f64;
    let got = all.mean.iter().find(|(n, _)| n == "monetary").unwrap().1;
    assert!(approx(got, mean, 1e-6), "{got} vs {mean}");
    assert_eq!(all.size, f.raw.nrows());
}

#[test]
fn scrolling_right_keeps_the_key_column_and_ranked_tables_hold_every_row() {
    let mut app = loaded();
    press(&mut app, &[key('2')]);
    let at = app
        .eda
        .ready()
        .unwrap()
        .tables
        .iter()
        .position(|t| t.name == "top_products_by_revenue")
        .unwrap();
    app.eda_view.table = at;
    press(&mut app, &[code(KeyCode::Enter)]);
    let (t, rows) = app.eda_rows().unwrap();
    assert_eq!(rows.len(), 200, "every product of the sample, not a top 10");
    let Value::Text(first) = &t.rows[rows[0]][1] else {
        panic!()
    };
    let (first, columns) = (first.clone(), t.columns.clone());
    for _ in 0..columns.len() {
        press(&mut app, &[code(KeyCode::Right)]);
    }
    let screen = render(&app, 80, 24);
    let last = columns.last().unwrap();
    assert!(
        screen.contains(&first[..12.min(first.len())]),
        "the product stays:\n{screen}"
    );
    assert!(
        screen.contains(&last[..8.min(last.len())]),
        "the last column shows:\n{screen}"
    );
    // Text output shows ten and says how many more.
    let text = stdout(&run(&[
        "eda",
        "--table",
        "top_products_by_revenue",
        "--top",
        "3",
    ]));
    assert!(text.contains("… 197 more rows"), "{text}");
}

#[test]
fn a_slice_of_one_segment_keeps_exactly_its_customers() {
    let mut app = loaded();
    press(&mut app, &[key('F')]);
    typed(&mut app, "segment=2");
    let fx = app.update(code(KeyCode::Enter));
    let [Effect::Slice(f)] = fx.as_slice() else {
        panic!("{fx:?}")
    };
    let seg = &app.seg.result.as_ref().unwrap().seg;
    let size = seg.profiles[1].size;
    assert!(
        f.describe()
            .starts_with(&format!("segment 2 {}", seg.profiles[1].persona))
    );
    let slice = sample().clone().filtered(f).unwrap();
    let features = segscope::analysis::features::customer_features(&slice).unwrap();
    assert_eq!(features.len(), size, "the segment's customers, no one else");
    // A segment that does not exist is said.
    press(&mut app, &[key('F')]);
    typed(&mut app, "segment=9");
    assert!(app.update(code(KeyCode::Enter)).is_empty());
    assert!(app.status.as_deref().unwrap().contains("numbered 1 to"));
    // Headless, a segment filter names where to do it.
    refused(
        &["eda", "--where", "segment=2"],
        &["segment=2", "slice by segment in the app"],
    );
}
