//! Vietnamese-aware full-text search over every record (the only home of tantivy).
//!
//! # API
//!
//! ```no_run
//! use kehoach::search::{Query, SearchIndex};
//! use kehoach::store::Store;
//!
//! let store = Store::open(std::path::Path::new("."))?;
//! // Opens the index under .git/kehoach/search, bringing it up to date with HEAD and with
//! // uncommitted edits (only changed records are re-read); rebuilds it when it is missing,
//! // corrupt or from another version.
//! let index = SearchIndex::open(&store)?;
//! // On every keystroke: parse, then search. A parse error carries a message and a hint
//! // (`err.to_string()`, `err.hint()`), made to be shown as the user types.
//! let query = Query::parse("tòa án status:in_progress")?;
//! for hit in index.search(&query, 20)? {
//!     // hit.kind, hit.id, hit.path (relative to the data root), hit.title, hit.score,
//!     // hit.plan, hit.status, and hit.snippet: Vec<(String, bool /* highlighted */)>.
//!     println!("{} {} {}", hit.kind.as_str(), hit.id, hit.title);
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! - [`SearchIndex::open`] is the one call to make at start; after the user saves or commits,
//!   [`SearchIndex::refresh`] catches up again. A search itself reads only the files of the
//!   records it returns, for their title and snippet: from the work tree when a file still
//!   holds what was indexed, else from git's objects.
//! - [`SearchIndex::open_with`] with [`Freshness::Quick`] checks HEAD and the `stat` of folders
//!   only (a few ms at 100k records): every commit, and every file created, deleted or saved by
//!   rename, is seen; an edit written in place into an existing file waits for the next exact
//!   open. [`Freshness::Exact`] (what `open` does) also compares every record file's `stat`
//!   with the last snapshot. Neither asks git's status unless the snapshot is missing.
//! - [`Query::parse_as_typed`] is the lenient reading for search-as-you-type: an open quote
//!   counts as closed, a trailing `status:` without its value yet is left out.
//! - [`SearchIndex::rebuild`] forces a full rebuild (`kehoach index --rebuild`).
//! - [`Query::parse`] reads the query language (see [`query`]): words (all must match),
//!   `"phrases"`, `-word`, and the filters `kind:` `plan:` `agency:` `lead:` `status:`
//!   `period:` `due:`. Text and highlights come back as the data holds them: pass them through
//!   `model::text::sanitize` before they reach a terminal.
//!
//! # Analysis and ranking
//!
//! Each word is indexed folded (lowercase, no diacritics, đ → d; see [`analyzer`]) so that
//! "tre em" finds "trẻ em". Title, body and id are indexed together, with positions: each
//! word's place (for phrases) and, in the same number, the code of the form it was written in
//! (its tone, đ, the shapes of its vowels: see `analyzer::form_code`), so that the words typed
//! with diacritics are found in that form without a second term for every word. The title is
//! indexed once more on its own, folded and in the exact form (old and new tone placement made
//! one).
//!
//! Results come in tiers, best first: records whose title holds every word as typed, then
//! those whose text does, then the same with the words folded; so "bà" ranks "bà" above "ba"
//! and "bá", and a record named by the words comes before one that only mentions them. Within
//! a tier, BM25, raised for the records that hold the words one after the other in the order
//! typed (the best 20 of a tier are read for that, so the first results do not depend on the
//! limit up to 20). Each tier is one intersection of plain terms, which tantivy prunes block by
//! block: a word found in most records costs about as much as a rare one. A tier whose every
//! word is in 10 000 records or more is searched segment by segment on two threads when a
//! second processor is awake to help (see `helper`). Filters and excluded
//! words are sets of documents checked as candidates arrive, and the words of a phrase are
//! checked for being next to each other only for the candidates that would enter the top (see
//! `ranking`).

pub mod analyzer;
mod dir;
pub mod document;
mod helper;
mod index;
pub mod query;
mod ranking;
mod shown;
pub mod snippet;

use std::path::PathBuf;

pub use document::RecordDoc;
pub use index::{Freshness, Notice, SearchIndex, Update, index_dir, set_low_memory, set_notices};
pub use query::{Filter, Query, QueryError};

use crate::store::{Kind, StoreError};

/// One record found.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Hit {
    pub kind: Kind,
    pub id: String,
    /// Path relative to the data root.
    pub path: String,
    pub title: String,
    /// The plan the record belongs to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plan: Option<String>,
    /// The record's status (empty when the record does not parse).
    pub status: String,
    /// Higher is better; 0 when the query has only filters.
    pub score: f32,
    /// Text around the matched words: pieces of text, each marked highlighted or not.
    pub snippet: Vec<(String, bool)>,
}

/// What can go wrong with the index.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("search index: {0}")]
    Index(#[from] tantivy::TantivyError),
    #[error("search index: {0}")]
    Corrupt(String),
    /// The index's fields are not those this version asks (made by another version).
    #[error("search index: its fields are not those of this version")]
    OtherFields,
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl SearchError {
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        SearchError::Io {
            path: path.into(),
            source,
        }
    }

    /// What the user can do about it.
    pub fn hint(&self) -> Option<String> {
        match self {
            SearchError::Store(e) => e.hint(),
            SearchError::Index(_) | SearchError::Corrupt(_) | SearchError::OtherFields => {
                Some("run `kehoach index --rebuild` to build the index again".into())
            }
            SearchError::Io { .. } => None,
        }
    }
}
