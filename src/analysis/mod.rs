//! Pure functions over loaded data: no terminal, no printing.

pub mod customers;
pub mod eda;
pub mod explain;
pub mod features;
pub mod grouped;
pub mod kmeans;
pub mod lookalike;
pub mod matches;
pub mod metrics;
pub mod migrate;
pub mod model;
pub mod persona;
pub mod projection;
pub mod segment;
pub mod service;
pub mod simd;
pub mod table;
pub mod trends;
pub mod value;
pub mod ward;

pub use table::{Skipped, Table, Value};

pub(crate) use crate::parallel::map as par_map;
