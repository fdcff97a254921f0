//! kehoach: plans, assignments and progress reports kept as TOML records in a Git repository.
//!
//! Dependencies point one way: `model` ← `store` ← {`search`, `review`, `track`} ← {`cli`, `tui`};
//! `spare` (a second thread started with the process) stands apart, for any of them.

pub mod cli;
pub mod model;
pub mod review;
pub mod search;
pub mod spare;
pub mod store;
pub mod track;
pub mod tui;
