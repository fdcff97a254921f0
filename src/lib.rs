//! kehoach: plans, assignments and progress reports kept as TOML records in a Git repository.

pub mod cli;
pub mod model;
pub mod store;
