//! Pure functions over loaded data: no terminal, no printing.

pub mod customers;
pub mod eda;
pub mod explain;
pub mod features;
pub mod grouped;
pub mod kmeans;
pub mod lookalike;
pub mod metrics;
pub mod migrate;
pub mod model;
pub mod persona;
pub mod segment;
pub mod simd;
pub mod table;
pub mod trends;
pub mod ward;

pub use table::{Skipped, Table, Value};

/// `f(0), .., f(n - 1)`, each on its own scoped thread, in order: independent pieces of one
/// result (segments' profiles, parts of a scatter) spread over the cores.
pub(crate) fn par_map<T: Send>(n: usize, f: impl Fn(usize) -> T + Sync) -> Vec<T> {
    let f = &f;
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..n).map(|i| s.spawn(move || f(i))).collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    })
}
