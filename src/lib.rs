//! segscope: customer analytics for the terminal. One engine (`data` -> `analysis`), two faces
//! (`report` for scripts, the TUI for people). See DESIGN.md for the house rules.

pub mod analysis;
pub mod cli;
pub mod commands;
pub mod data;
pub mod error;
pub mod guard;
pub mod humanize;
pub mod output;
pub mod parallel;
pub mod progress;
pub mod report;
pub mod sample;
pub mod timing;
pub mod tui;
