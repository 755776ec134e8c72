//! `segscope sample`: a deterministic synthetic dataset in the eCommerce Transactions layout,
//! with structure an analyst can find (regional tastes, price tiers, seasonality, a weekday
//! rhythm, one-time buyers, a few frequent big spenders, lapsed customers).

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Result;
use chrono::{Datelike, NaiveDate};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

use crate::bail_input;

/// What to generate.
#[derive(Clone, Copy, Debug)]
pub struct SampleSpec {
    pub customers: usize,
    pub transactions: usize,
    pub seed: u64,
}

/// What was written.
#[derive(Clone, Debug)]
pub struct SampleSummary {
    pub files: Vec<PathBuf>,
    pub customers: usize,
    pub products: usize,
    pub transactions: usize,
}

const REGIONS: [(&str, f64); 4] = [
    ("North America", 0.38),
    ("Europe", 0.30),
    ("Asia", 0.20),
    ("South America", 0.12),
];
const CATEGORIES: [&str; 5] = ["Electronics", "Clothing", "Home Decor", "Books", "Sports"];
/// Regional taste: how much each region favours each category (rows follow REGIONS).
const TASTE: [[f64; 5]; 4] = [
    [1.4, 1.0, 1.0, 0.7, 1.1],
    [0.9, 1.3, 1.2, 1.0, 0.8],
    [1.6, 0.9, 0.7, 0.8, 0.9],
    [0.8, 1.0, 0.9, 0.9, 1.6],
];
/// Chance of each price tier (<100, 100-250, >250) for a product of each category.
const TIER_MIX: [[f64; 3]; 5] = [
    [0.25, 0.35, 0.40],
    [0.50, 0.35, 0.15],
    [0.40, 0.40, 0.20],
    [0.80, 0.18, 0.02],
    [0.45, 0.35, 0.20],
];
/// Price range in cents of each tier.
const TIER_CENTS: [(u64, u64); 3] = [(500, 9_999), (10_000, 25_000), (25_001, 60_000)];
/// How regular customers and big spenders weigh the three tiers.
const TIER_TASTE: [[f64; 3]; 2] = [[1.0, 0.8, 0.45], [0.3, 0.9, 1.6]];
/// Month (Jan..Dec) seasonality: autumn build-up, December peak, summer dip.
const MONTH_WEIGHT: [f64; 12] = [
    0.80, 0.75, 0.85, 0.85, 0.90, 0.82, 0.78, 0.85, 0.92, 1.00, 1.30, 1.45,
];
/// Weekday rhythm (Mon..Sun): busiest Wednesday and Friday, quiet weekend.
const WEEKDAY_WEIGHT: [f64; 7] = [1.00, 1.05, 1.20, 1.05, 1.12, 0.82, 0.70];
/// Hour of day: lunch and evening peaks.
const HOUR_WEIGHT: [f64; 24] = [
    0.2, 0.1, 0.05, 0.05, 0.05, 0.1, 0.3, 0.6, 0.9, 1.0, 1.1, 1.3, 1.6, 1.5, 1.1, 1.0, 1.0, 1.2,
    1.5, 1.9, 2.0, 1.7, 1.1, 0.5,
];
const QTY_WEIGHT: [[f64; 4]; 2] = [[0.55, 0.25, 0.12, 0.08], [0.30, 0.30, 0.20, 0.20]];
const FIRST_NAMES: [&str; 32] = [
    "Ava", "Liam", "Mia", "Noah", "Zoe", "Omar", "Priya", "Kenji", "Lucia", "Mateo", "Amara",
    "Ivan", "Sofia", "Chen", "Fatima", "Lars", "Elena", "Diego", "Hana", "Kwame", "Nora", "Ravi",
    "Ines", "Tomas", "Yuki", "Aisha", "Felix", "Leila", "Marco", "Sara", "Jonas", "Maya",
];
const LAST_NAMES: [&str; 32] = [
    "Silva", "Smith", "Kim", "Garcia", "Novak", "Okafor", "Tanaka", "Muller", "Rossi", "Patel",
    "Haddad", "Larsen", "Moreau", "Santos", "Ivanova", "Nguyen", "Cohen", "Lopez", "Berg",
    "Mensah", "Dubois", "Sato", "Costa", "Walsh", "Khan", "Fischer", "Reyes", "Olsen", "Ahmed",
    "Bianchi", "Kowalski", "Young",
];
const ADJECTIVES: [&str; 24] = [
    "Nimbus", "Aurora", "Summit", "Velvet", "Harbor", "Cobalt", "Ember", "Juniper", "Atlas",
    "Willow", "Pioneer", "Lumen", "Sierra", "Canyon", "Meadow", "Orbit", "Falcon", "Coral",
    "Granite", "Breeze", "Marble", "Cedar", "Zenith", "Tidal",
];
const NOUNS: [[&str; 10]; 5] = [
    [
        "Headphones",
        "Smartwatch",
        "Speaker",
        "Tablet",
        "Camera",
        "Charger",
        "Keyboard",
        "Monitor",
        "Earbuds",
        "Drone",
    ],
    [
        "Jacket", "Sneakers", "Hoodie", "Jeans", "Scarf", "Dress", "T-Shirt", "Boots", "Cap",
        "Sweater",
    ],
    [
        "Lamp", "Vase", "Rug", "Cushion", "Clock", "Mirror", "Candle", "Throw", "Planter", "Frame",
    ],
    [
        "Novel",
        "Cookbook",
        "Biography",
        "Atlas",
        "Guide",
        "Anthology",
        "Journal",
        "Textbook",
        "Memoir",
        "Comic",
    ],
    [
        "Yoga Mat",
        "Dumbbells",
        "Racket",
        "Bicycle Helmet",
        "Running Shorts",
        "Tent",
        "Water Bottle",
        "Ball",
        "Skates",
        "Backpack",
    ],
];

/// The kinds of customer the generator plants, so segmentation has something real to find.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Never,
    OneTime,
    Lapsed,
    BigSpender,
    Regular,
}

struct Product {
    category: usize,
    tier: usize,
    cents: u64,
    name: String,
}

struct Customer {
    region: usize,
    kind: Kind,
    signup: i64,
    name: String,
}

/// Index into a cumulative weight table.
fn pick(cum: &[f64], rng: &mut Xoshiro256PlusPlus) -> usize {
    let total = cum.last().copied().unwrap_or(0.0);
    let x = rng.r#gen::<f64>() * total;
    cum.partition_point(|&c| c <= x)
        .min(cum.len().saturating_sub(1))
}

fn cumulative(weights: impl IntoIterator<Item = f64>) -> Vec<f64> {
    let mut acc = 0.0;
    weights
        .into_iter()
        .map(|w| {
            acc += w;
            acc
        })
        .collect()
}

fn day_number(d: NaiveDate) -> i64 {
    d.num_days_from_ce() as i64
}

fn digits(n: usize) -> usize {
    n.max(1).to_string().len()
}

/// Splits `total` over `weights` in whole numbers (largest remainder, ties by index).
fn apportion(total: usize, weights: &[f64]) -> Vec<usize> {
    let sum: f64 = weights.iter().sum();
    if sum <= 0.0 || total == 0 {
        return vec![0; weights.len()];
    }
    let exact: Vec<f64> = weights.iter().map(|w| total as f64 * w / sum).collect();
    let mut out: Vec<usize> = exact.iter().map(|x| x.floor() as usize).collect();
    let given: usize = out.iter().sum();
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by(|&a, &b| {
        (exact[b] - exact[b].floor())
            .total_cmp(&(exact[a] - exact[a].floor()))
            .then(a.cmp(&b))
    });
    for &i in order.iter().take(total.saturating_sub(given)) {
        out[i] += 1;
    }
    out
}

/// The largest sample: the files are built in memory before they are written.
pub const MAX_CUSTOMERS: usize = 10_000_000;
pub const MAX_TRANSACTIONS: usize = 100_000_000;

/// Writes the three files into `out` (created if needed). Refuses to replace existing files
/// unless `force`; each file is written to a temporary name and renamed into place.
pub fn generate(spec: SampleSpec, out: &Path, force: bool) -> Result<SampleSummary> {
    if spec.customers == 0 {
        bail_input!("--customers must be at least 1");
    }
    if spec.customers > MAX_CUSTOMERS {
        bail_input!(
            "--customers {}: at most {MAX_CUSTOMERS} (the files are built in memory)",
            spec.customers
        );
    }
    if spec.transactions > MAX_TRANSACTIONS {
        bail_input!(
            "--transactions {}: at most {MAX_TRANSACTIONS} (about 6 GB of text built in memory)",
            spec.transactions
        );
    }
    let names = ["Customers.csv", "Products.csv", "Transactions.csv"];
    let paths: Vec<PathBuf> = names.iter().map(|n| out.join(n)).collect();
    let targets: Vec<&Path> = paths.iter().map(PathBuf::as_path).collect();
    crate::output::check_targets(&targets, force)?;
    if let Err(e) = std::fs::create_dir_all(out) {
        bail_input!("{}: cannot create the output folder ({e})", out.display());
    }
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(spec.seed);
    let files = build(spec, &mut rng);
    crate::output::write_files_atomically(
        &[
            (&paths[0], files.customers.as_slice()),
            (&paths[1], files.products.as_slice()),
            (&paths[2], files.transactions.as_slice()),
        ],
        force,
    )?;
    Ok(SampleSummary {
        files: paths,
        customers: spec.customers,
        products: files.n_products,
        transactions: spec.transactions,
    })
}

/// Builds the three files' bytes in memory. Each stage draws from `rng` in turn, in this
/// order, so one seed always gives the same bytes: reorder nothing that draws.
fn build(spec: SampleSpec, rng: &mut Xoshiro256PlusPlus) -> SampleFiles {
    let calendar = Calendar::new();
    // Products: about one per ten customers, at least 40, at most 500.
    let n_products = (spec.customers / 10).clamp(40, 500);
    let products = draw_products(n_products, rng);
    let popularity = Popularity::of(&products);
    let customers = draw_customers(spec.customers, &calendar, rng);
    let count = draw_purchase_counts(&customers, spec.transactions, rng);
    let mut lines = draw_transactions(
        &customers,
        &count,
        spec.transactions,
        &calendar,
        &popularity,
        rng,
    );
    lines.sort_unstable();
    SampleFiles {
        customers: customers_csv(&customers, &calendar),
        products: products_csv(&products),
        transactions: transactions_csv(&lines, &products, customers.len(), &calendar),
        n_products,
    }
}

/// The generated files' bytes, and how many products they hold.
struct SampleFiles {
    customers: Vec<u8>,
    products: Vec<u8>,
    transactions: Vec<u8>,
    n_products: usize,
}

/// A calendar date; the dates used here all exist.
fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
}

/// Every day from the epoch (the first signups) to the end of the purchase period, as text
/// and as a weight for how likely a purchase falls on it. Day `d` (a day number) is
/// `day_text[d - first_day]`.
struct Calendar {
    day_text: Vec<String>,
    /// Month seasonality times the weekday rhythm.
    day_weight: Vec<f64>,
    max_weight: f64,
    /// Day numbers of the epoch, and of the purchase period's first and last days.
    first_day: i64,
    period_start: i64,
    period_end: i64,
}

impl Calendar {
    fn new() -> Calendar {
        let epoch = ymd(2019, 1, 1);
        let (first_day, period_start, period_end) = (
            day_number(epoch),
            day_number(ymd(2023, 1, 1)),
            day_number(ymd(2024, 12, 31)),
        );
        let days: Vec<NaiveDate> = (0..=(period_end - first_day))
            .filter_map(|i| epoch.checked_add_days(chrono::Days::new(i as u64)))
            .collect();
        let day_text: Vec<String> = days
            .iter()
            .map(|d| d.format("%Y-%m-%d").to_string())
            .collect();
        let day_weight: Vec<f64> = days
            .iter()
            .map(|d| {
                MONTH_WEIGHT[d.month0() as usize]
                    * WEEKDAY_WEIGHT[d.weekday().num_days_from_monday() as usize]
            })
            .collect();
        let max_weight = day_weight.iter().copied().fold(0.0, f64::max);
        Calendar {
            day_text,
            day_weight,
            max_weight,
            first_day,
            period_start,
            period_end,
        }
    }

    /// The last day a lapsed customer buys on, nine months into the period.
    fn lapse_end(&self) -> i64 {
        self.period_start + 270
    }
}

/// `n` products: each a category, a price tier and a price in it, and a name unique in its
/// category (an adjective and a noun, in a shuffled order; "Mk 2" and on once they run out).
fn draw_products(n: usize, rng: &mut Xoshiro256PlusPlus) -> Vec<Product> {
    let mut combos: Vec<Vec<String>> = NOUNS
        .iter()
        .map(|nouns| {
            ADJECTIVES
                .iter()
                .flat_map(|a| nouns.iter().map(move |n| format!("{a} {n}")))
                .collect()
        })
        .collect();
    for list in &mut combos {
        for i in (1..list.len()).rev() {
            list.swap(i, rng.gen_range(0..=i));
        }
    }
    let category_cum = cumulative([1.2, 1.0, 0.9, 0.8, 0.8]);
    let mut used = [0usize; 5];
    (0..n)
        .map(|_| {
            let category = pick(&category_cum, rng);
            let tier = pick(&cumulative(TIER_MIX[category]), rng);
            let (lo, hi) = TIER_CENTS[tier];
            let cents = rng.gen_range(lo..=hi);
            let list = &combos[category];
            let base = &list[used[category] % list.len()];
            let round = used[category] / list.len();
            used[category] += 1;
            let name = if round == 0 {
                base.clone()
            } else {
                format!("{base} Mk {}", round + 1)
            };
            Product {
                category,
                tier,
                cents,
                name,
            }
        })
        .collect()
}

/// How a purchase picks its product: a category by the region's taste (weighted by how many
/// products the category has), then a product whose popularity falls with its rank in the
/// category (a Pareto shape), big spenders leaning premium.
struct Popularity {
    /// Each category's products, in id order.
    by_category: Vec<Vec<usize>>,
    /// Per category, cumulative product weights for regular customers and for big spenders.
    product_cum: Vec<[Vec<f64>; 2]>,
    /// Per region (rows follow REGIONS), cumulative category weights.
    taste_cum: Vec<Vec<f64>>,
}

impl Popularity {
    fn of(products: &[Product]) -> Popularity {
        let by_category: Vec<Vec<usize>> = (0..5)
            .map(|c| {
                (0..products.len())
                    .filter(|&p| products[p].category == c)
                    .collect()
            })
            .collect();
        let product_cum: Vec<[Vec<f64>; 2]> = by_category
            .iter()
            .map(|ids| {
                let table = |taste: usize| {
                    cumulative(ids.iter().enumerate().map(|(rank, &p)| {
                        TIER_TASTE[taste][products[p].tier] / ((rank + 1) as f64).powf(0.8)
                    }))
                };
                [table(0), table(1)]
            })
            .collect();
        let category_weight: Vec<f64> = by_category.iter().map(|ids| ids.len() as f64).collect();
        let taste_cum: Vec<Vec<f64>> = TASTE
            .iter()
            .map(|t| cumulative((0..5).map(|c| t[c] * category_weight[c])))
            .collect();
        Popularity {
            by_category,
            product_cum,
            taste_cum,
        }
    }
}

/// `n` customers: kind, region, signup (more signups in recent years; a lapsed customer's
/// before the lapse) and name.
fn draw_customers(n: usize, calendar: &Calendar, rng: &mut Xoshiro256PlusPlus) -> Vec<Customer> {
    let (d0, p1) = (calendar.first_day, calendar.period_end);
    let region_cum = cumulative(REGIONS.iter().map(|r| r.1));
    let year_cum = cumulative([0.08, 0.12, 0.16, 0.20, 0.22, 0.22]);
    let kind_cum = cumulative([0.03, 0.30, 0.15, 0.05, 0.47]);
    let kinds = [
        Kind::Never,
        Kind::OneTime,
        Kind::Lapsed,
        Kind::BigSpender,
        Kind::Regular,
    ];
    let lapse_end = calendar.lapse_end();
    (0..n)
        .map(|_| {
            let kind = kinds[pick(&kind_cum, rng)];
            let region = pick(&region_cum, rng);
            let signup = if kind == Kind::Lapsed {
                rng.gen_range(d0..=lapse_end - 30)
            } else {
                let year = 2019 + pick(&year_cum, rng) as i32;
                let start = day_number(ymd(year, 1, 1));
                let end = day_number(ymd(year, 12, 31)).min(p1 - 30);
                rng.gen_range(start.min(end)..=end)
            };
            let name = format!(
                "{} {}",
                FIRST_NAMES[rng.gen_range(0..FIRST_NAMES.len())],
                LAST_NAMES[rng.gen_range(0..LAST_NAMES.len())]
            );
            Customer {
                region,
                kind,
                signup,
                name,
            }
        })
        .collect()
}

/// How many transactions each customer makes: one per one-time buyer (while `transactions`
/// lasts), the rest shared among repeat buyers by a random spread times their kind's weight,
/// at least two each where there are enough.
fn draw_purchase_counts(
    customers: &[Customer],
    transactions: usize,
    rng: &mut Xoshiro256PlusPlus,
) -> Vec<usize> {
    let mut count = vec![0usize; customers.len()];
    let one_time: Vec<usize> = (0..customers.len())
        .filter(|&i| customers[i].kind == Kind::OneTime)
        .collect();
    let repeat: Vec<usize> = (0..customers.len())
        .filter(|&i| !matches!(customers[i].kind, Kind::OneTime | Kind::Never))
        .collect();
    for &i in one_time.iter().take(transactions) {
        count[i] = 1;
    }
    let rest = transactions.saturating_sub(one_time.len());
    let weights: Vec<f64> = repeat
        .iter()
        .map(|&i| {
            let spread = (rng.r#gen::<f64>() * 1.6 - 0.8).exp();
            spread
                * match customers[i].kind {
                    Kind::BigSpender => 8.0,
                    Kind::Lapsed => 0.7,
                    _ => 1.0,
                }
        })
        .collect();
    let floor = if rest >= 2 * repeat.len() { 2 } else { 0 };
    for (k, extra) in apportion(rest - floor * repeat.len(), &weights)
        .into_iter()
        .enumerate()
    {
        count[repeat[k]] = floor + extra;
    }
    count
}

/// A transaction before it is written: (seconds since the epoch day, customer, product,
/// quantity), so sorting puts them in time order.
type Line = (i64, u32, u32, u8);

/// Each customer's `count` transactions, in customer order: a day in the customer's active
/// span kept with its calendar weight (rejection sampling), an hour by the hour weights and
/// a second, a category by the region's taste, a product by popularity, and a quantity.
fn draw_transactions(
    customers: &[Customer],
    count: &[usize],
    capacity: usize,
    calendar: &Calendar,
    popularity: &Popularity,
    rng: &mut Xoshiro256PlusPlus,
) -> Vec<Line> {
    let (d0, p0, p1) = (
        calendar.first_day,
        calendar.period_start,
        calendar.period_end,
    );
    let (day_weight, max_weight) = (&calendar.day_weight, calendar.max_weight);
    let lapse_end = calendar.lapse_end();
    let hour_cum = cumulative(HOUR_WEIGHT);
    let Popularity {
        by_category,
        product_cum,
        taste_cum,
    } = popularity;
    let mut lines: Vec<Line> = Vec::with_capacity(capacity);
    for (i, c) in customers.iter().enumerate() {
        let start = c.signup.max(p0).min(p1);
        let end = if c.kind == Kind::Lapsed {
            lapse_end.max(start)
        } else {
            p1
        };
        let taste = usize::from(c.kind == Kind::BigSpender);
        for _ in 0..count[i] {
            let day = loop {
                let d = rng.gen_range(start..=end);
                if rng.r#gen::<f64>() * max_weight < day_weight[(d - d0) as usize] {
                    break d;
                }
            };
            let secs =
                (day - d0) * 86_400 + pick(&hour_cum, rng) as i64 * 3600 + rng.gen_range(0..3600);
            let category = pick(&taste_cum[c.region], rng);
            let product = by_category[category][pick(&product_cum[category][taste], rng)];
            let qty = 1 + pick(&cumulative(QTY_WEIGHT[taste]), rng) as u8;
            lines.push((secs, i as u32, product as u32, qty));
        }
    }
    lines
}

/// Customers.csv: id, name, region, signup date.
fn customers_csv(customers: &[Customer], calendar: &Calendar) -> Vec<u8> {
    let cw = digits(customers.len()).max(4);
    let mut cbuf = Vec::with_capacity(customers.len() * 48);
    let _ = writeln!(cbuf, "CustomerID,CustomerName,Region,SignupDate");
    for (i, c) in customers.iter().enumerate() {
        let _ = writeln!(
            cbuf,
            "C{:0cw$},{},{},{}",
            i + 1,
            c.name,
            REGIONS[c.region].0,
            calendar.day_text[(c.signup - calendar.first_day) as usize]
        );
    }
    cbuf
}

/// Products.csv: id, name, category, price.
fn products_csv(products: &[Product]) -> Vec<u8> {
    let pw = digits(products.len()).max(3);
    let mut pbuf = Vec::with_capacity(products.len() * 48);
    let _ = writeln!(pbuf, "ProductID,ProductName,Category,Price");
    for (i, p) in products.iter().enumerate() {
        let _ = writeln!(
            pbuf,
            "P{:0pw$},{},{},{}.{:02}",
            i + 1,
            p.name,
            CATEGORIES[p.category],
            p.cents / 100,
            p.cents % 100
        );
    }
    pbuf
}

/// Transactions.csv from the sorted lines (seconds since the epoch day, customer, product,
/// quantity): ids numbered in time order.
fn transactions_csv(
    lines: &[Line],
    products: &[Product],
    n_customers: usize,
    calendar: &Calendar,
) -> Vec<u8> {
    let cw = digits(n_customers).max(4);
    let pw = digits(products.len()).max(3);
    let tw = digits(lines.len()).max(5);
    let mut tbuf = Vec::with_capacity(lines.len() * 72 + 100);
    let _ = writeln!(
        tbuf,
        "TransactionID,CustomerID,ProductID,TransactionDate,Quantity,TotalValue,Price"
    );
    for (n, &(secs, c, p, q)) in lines.iter().enumerate() {
        let cents = products[p as usize].cents;
        let total = cents * q as u64;
        let day = (secs / 86_400) as usize;
        let s = secs % 86_400;
        let _ = writeln!(
            tbuf,
            "T{:0tw$},C{:0cw$},P{:0pw$},{} {:02}:{:02}:{:02},{q},{}.{:02},{}.{:02}",
            n + 1,
            c + 1,
            p + 1,
            calendar.day_text[day],
            s / 3600,
            s / 60 % 60,
            s % 60,
            total / 100,
            total % 100,
            cents / 100,
            cents % 100
        );
    }
    tbuf
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apportion_hands_out_exactly_the_total() {
        let parts = apportion(10, &[1.0, 1.0, 1.0]);
        assert_eq!(parts.iter().sum::<usize>(), 10);
        assert_eq!(parts, vec![4, 3, 3]);
        assert_eq!(apportion(5, &[0.0, 0.0]), vec![0, 0]);
    }

    #[test]
    fn same_seed_same_bytes_other_seed_other_bytes() {
        let spec = SampleSpec {
            customers: 50,
            transactions: 400,
            seed: 7,
        };
        let a = build(spec, &mut Xoshiro256PlusPlus::seed_from_u64(7));
        let b = build(spec, &mut Xoshiro256PlusPlus::seed_from_u64(7));
        let c = build(spec, &mut Xoshiro256PlusPlus::seed_from_u64(8));
        assert_eq!(a.transactions, b.transactions);
        assert_ne!(a.transactions, c.transactions);
        let text = String::from_utf8(a.transactions).unwrap();
        assert_eq!(
            text.lines().count(),
            401,
            "header + one line per transaction"
        );
    }
}
