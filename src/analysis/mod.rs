//! Pure functions over loaded data: no terminal, no printing.

pub mod eda;
pub mod table;

pub use table::{Skipped, Table, Value};
