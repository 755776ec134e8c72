//! How values are written: the date and number conventions of real exports, decided per
//! column from the column's own values.

pub mod dates;
pub mod numbers;
