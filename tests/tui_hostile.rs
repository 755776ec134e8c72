//! A dataset whose names carry ANSI/OSC escapes, tabs, zero-width and right-to-left characters
//! renders harmlessly in every pane.

mod common;

use common::tui::{code, key, render};
use crossterm::event::KeyCode;
use segscope::data::{DataSource, load};
use segscope::tui::action::Action;
use segscope::tui::app::App;
use segscope::tui::worker;

/// What the app itself counts as unsafe on a terminal.
fn unsafe_char(c: char) -> bool {
    segscope::report::is_unsafe(c)
}

#[test]
fn hostile_names_render_harmlessly_in_every_pane() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let evil = [
        "Ann \u{1b}[31mRED\u{1b}[0m",
        "Bo\u{1b}]0;owned\u{7}",
        "Cy\tTab",
        "Dee\u{200b}zero",
        "Eve\u{202e}lirpa",
        "Fay \u{9b}2J",
    ];
    let mut customers = String::from("CustomerID,CustomerName,Region,SignupDate\n");
    for (i, name) in evil.iter().enumerate() {
        customers.push_str(&format!(
            "C{i},\"{name}\",\"Reg\u{1b}[1m{}\",2023-0{}-01\n",
            i % 2,
            i + 1
        ));
    }
    let products = "ProductID,ProductName,Category,Price\nP1,\"Lamp\u{1b}[5m\",\"Home\u{202e}\",50\nP2,\"Phone\u{7}\",\"Tech\t\",300\n";
    let mut tx = String::from(
        "TransactionID,CustomerID,ProductID,TransactionDate,Quantity,TotalValue,Price\n",
    );
    for i in 0..60 {
        let p = if i % 3 == 0 { ("P2", 300) } else { ("P1", 50) };
        tx.push_str(&format!(
            "T{i},C{},{},2024-{:02}-{:02} 1{}:00:00,1,{},{}\n",
            i % 6,
            p.0,
            i % 12 + 1,
            i % 27 + 1,
            i % 10,
            p.1,
            p.1
        ));
    }
    common::write(d, "Customers.csv", customers.as_bytes());
    common::write(d, "Products.csv", products.as_bytes());
    common::write(d, "Transactions.csv", tx.as_bytes());
    let ds = load(
        &DataSource::Path(d.to_path_buf()),
        &segscope::data::LoadOptions::default(),
    )
    .unwrap();

    let mut app = App::new(&ds.name, Default::default());
    for a in [
        worker::eda_job(&ds),
        worker::trends_job(&ds),
        worker::index_job(&ds),
    ] {
        app.update(a);
    }
    let fx = app.update(Action::FeaturesReady(worker::features_job(&ds)));
    let f = app.features.ready().unwrap().features.clone();
    for e in fx {
        if let Some(a) = worker::run_effect(&ds, &f, &e) {
            app.update(a);
        }
    }
    let mut screens = Vec::new();
    let mut snap = |app: &App| {
        screens.push(render(app, 80, 24));
        screens.push(render(app, 160, 48));
    };
    snap(&app);
    for keys in [
        vec![
            key('2'),
            code(KeyCode::Down),
            code(KeyCode::Down),
            code(KeyCode::Down),
            code(KeyCode::Enter),
        ],
        vec![
            code(KeyCode::Esc),
            code(KeyCode::Down),
            code(KeyCode::Enter),
        ],
        vec![key('3'), code(KeyCode::Right)],
        vec![code(KeyCode::Right)],
        vec![key('4')],
        vec![code(KeyCode::Enter)],
        vec![key('5'), key('/'), key('C'), code(KeyCode::Enter)],
    ] {
        for k in keys {
            app.update(k);
        }
        snap(&app);
    }
    assert!(
        app.lookup.card.is_some(),
        "a customer with a hostile name was opened"
    );
    for s in &screens {
        // The snapshot text quotes each row; the rows themselves must be clean.
        let bad: Vec<char> = s.chars().filter(|&c| c != '\n' && unsafe_char(c)).collect();
        assert!(
            bad.is_empty(),
            "unsafe characters {bad:?} reached the screen:\n{s}"
        );
    }
    assert!(
        screens.iter().any(|s| s.contains("RED")),
        "the rest of a name still shows"
    );
}
