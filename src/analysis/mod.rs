//! Pure functions over loaded data: no terminal, no printing.

pub mod customers;
pub mod eda;
pub mod features;
pub mod kmeans;
pub mod lookalike;
pub mod metrics;
pub mod migrate;
pub mod model;
pub mod segment;
pub mod simd;
pub mod table;
pub mod trends;

pub use table::{Skipped, Table, Value};
