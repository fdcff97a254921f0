//! The only home of git2 and the file system: reading and writing records, committing.

pub mod branches;
pub mod cache;
pub mod commit;
pub mod demo;
pub mod edit;
pub mod error;
pub mod folders;
pub mod generate;
pub mod history;
pub mod init;
pub mod layout;
pub mod listing;
pub mod load;
pub mod parse;
pub mod partial;
pub mod provenance;
pub mod sync;
pub mod tree;

use std::path::{Path, PathBuf};

pub use commit::{Change, CommitInfo};
pub use error::{Result, StoreError};
pub use layout::Kind;
pub use load::{Loaded, load_dir};
pub use parse::{Diagnostic, Record, parse_record};

/// The embedded JSON Schema of a kind, so that validation works in any data repository.
pub fn schema_text(kind: Kind) -> &'static str {
    match kind {
        Kind::Config => include_str!("../../schemas/kehoach.schema.json"),
        Kind::Agency => include_str!("../../schemas/agency.schema.json"),
        Kind::Plan => include_str!("../../schemas/plan.schema.json"),
        Kind::Assignment => include_str!("../../schemas/assignment.schema.json"),
        Kind::Report => include_str!("../../schemas/report.schema.json"),
    }
}

/// Every embedded schema with its file name.
pub fn schema_files() -> Vec<(&'static str, &'static str)> {
    [
        Kind::Config,
        Kind::Agency,
        Kind::Plan,
        Kind::Assignment,
        Kind::Report,
    ]
    .into_iter()
    .map(|k| (k.schema_file(), schema_text(k)))
    .collect()
}

/// A data repository: a data root (the folder with kehoach.toml) inside a git work tree.
pub struct Store {
    repo: git2::Repository,
    /// Absolute path of the data root.
    root: PathBuf,
    /// The data root relative to the work tree, '/'-separated, empty or ending in '/'.
    prefix: String,
    /// What [`Store::read`] returned for each path: a save checks, under the writers' lock, that
    /// the file still holds it, so that an edit never silently overwrites a change made meanwhile.
    seen: std::cell::RefCell<std::collections::HashMap<String, String>>,
}

/// Where a record lives.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RecordRef {
    pub kind: Kind,
    /// Path relative to the data root.
    pub path: String,
    /// The id it is known by (`PERIOD/AGENCY` for a report).
    pub id: String,
}

impl Store {
    /// Opens the data repository that `dir` is in: the nearest folder at or above `dir` that holds
    /// kehoach.toml, inside a git work tree.
    pub fn open(dir: &Path) -> Result<Store> {
        let abs = std::fs::canonicalize(dir).map_err(|e| StoreError::io(dir, e))?;
        let repo = git2::Repository::discover(&abs)
            .map_err(|_| StoreError::NotARepository(abs.clone()))?;
        let workdir = repo
            .workdir()
            .ok_or_else(|| StoreError::Other(format!("{} is a bare repository", abs.display())))?;
        let workdir = std::fs::canonicalize(workdir).map_err(|e| StoreError::io(workdir, e))?;
        let mut root = abs.clone();
        loop {
            if root.join(layout::CONFIG_FILE).is_file() {
                break;
            }
            if root == workdir || !root.pop() || !root.starts_with(&workdir) {
                return Err(StoreError::NoDataRoot(abs));
            }
        }
        let prefix = root
            .strip_prefix(&workdir)
            .map(|p| {
                let s = p.to_string_lossy().replace('\\', "/");
                if s.is_empty() { s } else { format!("{s}/") }
            })
            .unwrap_or_default();
        Ok(Store {
            repo,
            root,
            prefix,
            seen: Default::default(),
        })
    }

    pub fn repo(&self) -> &git2::Repository {
        &self.repo
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The data root relative to the work tree ("" or "plan-data/").
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// A data-root path as a repository path.
    pub fn repo_path(&self, rel: &str) -> String {
        format!("{}{rel}", self.prefix)
    }

    pub fn load(&self) -> Result<Loaded> {
        load_dir(&self.root)
    }

    /// Reads a record file of the work tree.
    pub fn read(&self, rel: &str) -> Result<String> {
        let p = self.root.join(rel);
        let text = std::fs::read_to_string(&p).map_err(|e| StoreError::io(p, e))?;
        self.seen.borrow_mut().insert(rel.to_string(), text.clone());
        Ok(text)
    }

    /// The text [`Store::read`] last returned for `rel`, if it was read.
    pub(crate) fn seen(&self, rel: &str) -> Option<String> {
        self.seen.borrow().get(rel).cloned()
    }

    /// Forgets what was read, after a save.
    pub(crate) fn forget_seen(&self, rel: &str) {
        self.seen.borrow_mut().remove(rel);
    }

    /// Finds a record by id, `PLAN/ID`, `PERIOD/AGENCY`, `PLAN/PERIOD/AGENCY` or path, without
    /// reading every record.
    pub fn find(&self, query: &str) -> Result<RecordRef> {
        find_in(&self.root, query)
    }
}

/// [`Store::find`] for any data root on disk.
pub fn find_in(root: &Path, query: &str) -> Result<RecordRef> {
    let plans = || -> Vec<String> {
        match std::fs::read_dir(root.join("plans")) {
            Ok(rd) => {
                let mut v: Vec<String> = rd
                    .filter_map(|e| e.ok())
                    .filter(|e| e.path().is_dir())
                    .filter_map(|e| e.file_name().to_str().map(String::from))
                    .collect();
                v.sort();
                v
            }
            Err(_) => vec![],
        }
    };
    find_with(query, |rel| root.join(rel).is_file(), plans)
}

/// The lookup of [`find_in`] over any set of files: `exists` says whether a data-root path is a
/// file, `plans` lists the plan folders.
pub fn find_with(
    query: &str,
    exists: impl Fn(&str) -> bool,
    plans: impl FnOnce() -> Vec<String>,
) -> Result<RecordRef> {
    let q = query.trim().trim_start_matches("./");
    let make = |rel: String| {
        let kind = layout::classify(&rel).expect("built from the layout");
        RecordRef {
            kind,
            id: layout::id_of(kind, &rel),
            path: rel,
        }
    };
    // A path.
    if q.ends_with(".toml") {
        if let Some(kind) = layout::classify(q)
            && kind != Kind::Config
            && exists(q)
        {
            return Ok(make(q.to_string()));
        }
        return Err(StoreError::NotFound(query.to_string()));
    }
    let plans = plans();
    let parts: Vec<&str> = q.split('/').collect();
    let mut found = Vec::new();
    match parts.as_slice() {
        [id] => {
            if crate::model::check_id(id).is_err() {
                return Err(StoreError::NotFound(query.to_string()));
            }
            for rel in [layout::agency_path(id), layout::plan_path(id)] {
                if exists(&rel) {
                    found.push(rel);
                }
            }
            for p in &plans {
                let rel = layout::assignment_path(p, id);
                if exists(&rel) {
                    found.push(rel);
                }
            }
        }
        [a, b] => {
            if plans.iter().any(|p| p == a) {
                let rel = layout::assignment_path(a, b);
                if exists(&rel) {
                    found.push(rel);
                }
            }
            if let Ok(period) = a.parse::<crate::model::Period>() {
                for p in &plans {
                    let rel = layout::report_path(p, &period, b);
                    if exists(&rel) {
                        found.push(rel);
                    }
                }
            }
        }
        [plan, period, agency] => {
            if let Ok(period) = period.parse::<crate::model::Period>() {
                let rel = layout::report_path(plan, &period, agency);
                if exists(&rel) {
                    found.push(rel);
                }
            }
        }
        _ => {}
    }
    match found.len() {
        0 => Err(StoreError::NotFound(query.to_string())),
        1 => Ok(make(found.remove(0))),
        _ => Err(StoreError::Ambiguous {
            id: query.to_string(),
            candidates: found,
        }),
    }
}
