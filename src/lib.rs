//! kehoach: plans, assignments and progress reports kept as TOML records in a Git repository.
//!
//! Dependencies point one way: `model` ← `store` ← {`search`, `review`, `track`} ← {`cli`, `tui`}.

pub mod cli;
pub mod model;
pub mod review;
pub mod search;
pub mod store;
pub mod track;
pub mod tui;
