//! Integration tests: one binary, a module per area (each file directly in tests/ would be its
//! own binary linking git2 and tantivy).

mod common;
mod history;
mod review;
mod search;
mod store;
mod track;
mod tui;
