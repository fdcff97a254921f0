//! Read-only views of commits for indexers: HEAD's commit, the record files of a commit's tree
//! with their blob ids, the paths changed between two commits, blob contents, and the record
//! files that differ from HEAD in the work tree. Paths are relative to the data root.

use std::path::Path;

use git2::{ObjectType, Oid, Repository, StatusOptions, TreeWalkMode, TreeWalkResult};

use super::Store;
use super::error::{Result, StoreError};
use super::layout::{Kind, classify};

/// A record file of a commit's tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeEntry {
    /// Path relative to the data root.
    pub path: String,
    /// The blob id, 40 hex digits.
    pub blob: String,
}

/// True for the files an indexer reads: records of every kind but the settings file.
pub fn is_record_path(rel: &str) -> bool {
    matches!(classify(rel), Some(k) if k != Kind::Config)
}

fn oid(s: &str) -> Result<Oid> {
    Oid::from_str(s).map_err(|_| StoreError::Other(format!("{s:?} is not an object id")))
}

impl Store {
    /// The repository's git directory (`.git`, or the worktree's folder inside it).
    pub fn git_dir(&self) -> &Path {
        self.repo().path()
    }

    /// The commit HEAD points at; None before the first commit.
    pub fn head_commit_id(&self) -> Result<Option<String>> {
        match self.repo().head() {
            Ok(r) => Ok(r.target().map(|o| o.to_string())),
            Err(e)
                if e.code() == git2::ErrorCode::UnbornBranch
                    || e.code() == git2::ErrorCode::NotFound =>
            {
                Ok(None)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// True when `commit` names a commit of this repository.
    pub fn has_commit(&self, commit: &str) -> bool {
        oid(commit).is_ok_and(|o| self.repo().find_commit(o).is_ok())
    }

    /// The record files of a commit, sorted by path.
    pub fn record_entries(&self, commit: &str) -> Result<Vec<TreeEntry>> {
        let tree = self.repo().find_commit(oid(commit)?)?.tree()?;
        let prefix = self.prefix().trim_end_matches('/');
        let tree = if prefix.is_empty() {
            tree
        } else {
            match tree.get_path(Path::new(prefix)) {
                Ok(e) => self.repo().find_tree(e.id())?,
                Err(_) => return Ok(vec![]),
            }
        };
        let mut out = Vec::new();
        tree.walk(TreeWalkMode::PreOrder, |dir, entry| {
            if entry.kind() == Some(ObjectType::Blob)
                && let Ok(name) = entry.name()
            {
                let rel = format!("{dir}{name}");
                if is_record_path(&rel) {
                    out.push(TreeEntry {
                        path: rel,
                        blob: entry.id().to_string(),
                    });
                }
            }
            TreeWalkResult::Ok
        })?;
        out.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(out)
    }

    /// The blob of a record file in a commit; None when the commit has no such file.
    pub fn record_blob_at(&self, commit: &str, rel: &str) -> Result<Option<String>> {
        let tree = self.repo().find_commit(oid(commit)?)?.tree()?;
        match tree.get_path(Path::new(&self.repo_path(rel))) {
            Ok(e) if e.kind() == Some(ObjectType::Blob) => Ok(Some(e.id().to_string())),
            _ => Ok(None),
        }
    }

    /// The record files that differ between two commits (added, changed or deleted), sorted.
    /// Subtrees with the same id on both sides are skipped without being read.
    pub fn changed_record_paths(&self, old: &str, new: &str) -> Result<Vec<String>> {
        let repo = self.repo();
        let root_of = |c: &str| -> Result<Option<git2::Tree<'_>>> {
            let tree = repo.find_commit(oid(c)?)?.tree()?;
            let prefix = self.prefix().trim_end_matches('/');
            if prefix.is_empty() {
                return Ok(Some(tree));
            }
            match tree.get_path(Path::new(prefix)) {
                Ok(e) => Ok(repo.find_tree(e.id()).ok()),
                Err(_) => Ok(None),
            }
        };
        let (a, b) = (root_of(old)?, root_of(new)?);
        let mut out = Vec::new();
        diff_trees(repo, a.as_ref(), b.as_ref(), "", &mut out)?;
        out.retain(|p| is_record_path(p));
        out.sort();
        out.dedup();
        Ok(out)
    }

    /// The content of a blob.
    pub fn read_blob(&self, blob: &str) -> Result<Vec<u8>> {
        Ok(self.repo().find_blob(oid(blob)?)?.content().to_vec())
    }

    /// A reader of blobs that can be sent to other threads.
    pub fn blob_reader(&self) -> BlobReader {
        BlobReader {
            git_dir: self.git_dir().to_path_buf(),
        }
    }

    /// The blob id git would give `content`.
    pub fn blob_id(content: &[u8]) -> String {
        Oid::hash_object(ObjectType::Blob, content)
            .map(|o| o.to_string())
            .unwrap_or_default()
    }

    /// The record files of the work tree that differ from HEAD: changed, staged, new (untracked)
    /// or deleted. Uses git's index stat cache, so unchanged files are not read.
    pub fn dirty_record_paths(&self) -> Result<Vec<String>> {
        let mut opts = StatusOptions::new();
        opts.include_untracked(true)
            .recurse_untracked_dirs(true)
            .include_ignored(false)
            .exclude_submodules(true)
            .renames_head_to_index(false)
            .renames_index_to_workdir(false)
            .include_unmodified(false);
        if !self.prefix().is_empty() {
            opts.pathspec(self.prefix());
        }
        let statuses = self.repo().statuses(Some(&mut opts))?;
        let mut out = Vec::new();
        for s in statuses.iter() {
            if s.status().is_ignored() {
                continue;
            }
            if let Ok(p) = s.path()
                && let Some(rel) = p.strip_prefix(self.prefix())
                && is_record_path(rel)
            {
                out.push(rel.to_string());
            }
        }
        out.sort();
        out.dedup();
        Ok(out)
    }

    /// Reads a work-tree record file; None when it does not exist.
    pub fn read_worktree(&self, rel: &str) -> Result<Option<Vec<u8>>> {
        let p = self.root().join(rel);
        match std::fs::read(&p) {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(StoreError::io(p, e)),
        }
    }
}

/// Reads blobs of a repository from any thread (each call opens its own handle).
#[derive(Debug, Clone)]
pub struct BlobReader {
    git_dir: std::path::PathBuf,
}

impl BlobReader {
    /// The contents of the blobs, in order.
    pub fn read(&self, blobs: &[&str]) -> Result<Vec<Vec<u8>>> {
        // Reading many blobs to build a cache: like git, do not re-hash every object read;
        // `git fsck` is the tool for checking the object database.
        git2::opts::strict_hash_verification(false);
        let repo = Repository::open(&self.git_dir)?;
        blobs
            .iter()
            .map(|b| Ok(repo.find_blob(oid(b)?)?.content().to_vec()))
            .collect()
    }
}

/// What `stat` says of a record file of the work tree: enough to notice that it changed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct FileStat {
    /// Path relative to the data root.
    pub path: String,
    pub size: u64,
    /// Modification time, nanoseconds since the epoch.
    pub mtime_ns: i64,
    /// Status change time, nanoseconds since the epoch.
    pub ctime_ns: i64,
    pub ino: u64,
}

fn stat_dir(dir: &Path, rel: &str, depth: usize, out: &mut Vec<FileStat>) -> Result<()> {
    use std::os::unix::fs::MetadataExt;
    for e in super::load::entries(dir, rel, true)? {
        if e.file_type.is_dir() {
            if depth < 4 {
                stat_dir(&e.entry.path(), &e.rel, depth + 1, out)?;
            }
        } else if e.file_type.is_file() && e.name.ends_with(".toml") && is_record_path(&e.rel) {
            let m = e
                .entry
                .metadata()
                .map_err(|err| StoreError::io(e.entry.path(), err))?;
            out.push(FileStat {
                path: e.rel,
                size: m.size(),
                mtime_ns: m.mtime() * 1_000_000_000 + m.mtime_nsec(),
                ctime_ns: m.ctime() * 1_000_000_000 + m.ctime_nsec(),
                ino: m.ino(),
            });
        }
    }
    Ok(())
}

impl Store {
    /// `stat` of every record file of the work tree (agencies and plans), unsorted. Reads
    /// folders in parallel, one plan at a time; reads no file.
    pub fn stat_record_files(&self) -> Result<Vec<FileStat>> {
        use rayon::prelude::*;
        let root = self.root();
        let mut out = Vec::new();
        stat_dir(&root.join("agencies"), "agencies", 1, &mut out)?;
        let plans: Vec<(std::path::PathBuf, String)> = match std::fs::read_dir(root.join("plans")) {
            Ok(rd) => rd
                .filter_map(|e| e.ok())
                .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
                .filter_map(|e| {
                    let name = e.file_name().to_str()?.to_string();
                    (!name.starts_with('.')).then(|| (e.path(), format!("plans/{name}")))
                })
                .collect(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => vec![],
            Err(e) => return Err(StoreError::io(root.join("plans"), e)),
        };
        let parts: Vec<Result<Vec<FileStat>>> = plans
            .par_iter()
            .map(|(p, rel)| {
                let mut v = Vec::new();
                stat_dir(p, rel, 2, &mut v)?;
                Ok(v)
            })
            .collect();
        for p in parts {
            out.extend(p?);
        }
        Ok(out)
    }

    /// The time the file system gives a file written now, nanoseconds since the epoch (for
    /// telling files written in the same clock tick as a snapshot).
    pub fn fs_now_ns(&self) -> Result<i64> {
        use std::os::unix::fs::MetadataExt;
        let dir = self.git_dir().join("kehoach");
        std::fs::create_dir_all(&dir).map_err(|e| StoreError::io(&dir, e))?;
        let p = dir.join("clock");
        std::fs::write(&p, b"").map_err(|e| StoreError::io(&p, e))?;
        let m = std::fs::metadata(&p).map_err(|e| StoreError::io(&p, e))?;
        Ok(m.mtime() * 1_000_000_000 + m.mtime_nsec())
    }
}

impl Store {
    /// Reads a file kehoach keeps for itself under `<git dir>/kehoach/`; None when missing.
    pub fn read_private(&self, name: &str) -> Result<Option<Vec<u8>>> {
        Store::read_private_at(&self.private_path(name))
    }

    /// Where the file `name` kehoach keeps for itself is (see [`Store::read_private`]).
    pub fn private_path(&self, name: &str) -> std::path::PathBuf {
        self.git_dir().join("kehoach").join(name)
    }

    /// [`Store::read_private`] of the file at `path` (from [`Store::private_path`]), from any
    /// thread.
    pub fn read_private_at(path: &Path) -> Result<Option<Vec<u8>>> {
        match std::fs::read(path) {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(StoreError::io(path, e)),
        }
    }

    /// Writes a file kehoach keeps for itself under `<git dir>/kehoach/`: whole or not at all
    /// (through a rename), without waiting for the disk (these are caches).
    pub fn write_private(&self, name: &str, content: &[u8]) -> Result<()> {
        let dir = self.git_dir().join("kehoach");
        std::fs::create_dir_all(&dir).map_err(|e| StoreError::io(&dir, e))?;
        let p = dir.join(name);
        let tmp = dir.join(format!("{name}.tmp-{}", std::process::id()));
        std::fs::write(&tmp, content).map_err(|e| StoreError::io(&tmp, e))?;
        std::fs::rename(&tmp, &p).map_err(|e| StoreError::io(&p, e))
    }

    /// The record files directly in a folder of the data root (relative paths).
    pub fn record_files_in(&self, dir_rel: &str) -> Result<Vec<String>> {
        let dir = self.root().join(dir_rel);
        let rd = match std::fs::read_dir(&dir) {
            Ok(rd) => rd,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(vec![]),
            Err(e) => return Err(StoreError::io(dir, e)),
        };
        Ok(rd
            .filter_map(|e| e.ok())
            .filter_map(|e| e.file_name().to_str().map(|n| format!("{dir_rel}/{n}")))
            .filter(|rel| is_record_path(rel))
            .collect())
    }
}

/// Entries of a tree by name: (id, is a tree).
fn entries(tree: Option<&git2::Tree<'_>>) -> std::collections::BTreeMap<String, (Oid, bool)> {
    tree.map(|t| {
        t.iter()
            .filter_map(|e| {
                let name = e.name().ok()?.to_string();
                Some((name, (e.id(), e.kind() == Some(ObjectType::Tree))))
            })
            .collect()
    })
    .unwrap_or_default()
}

/// Paths of blobs that differ between two trees, recursing only into subtrees that differ.
fn diff_trees(
    repo: &Repository,
    a: Option<&git2::Tree<'_>>,
    b: Option<&git2::Tree<'_>>,
    prefix: &str,
    out: &mut Vec<String>,
) -> Result<()> {
    let (ea, eb) = (entries(a), entries(b));
    let names: std::collections::BTreeSet<&String> = ea.keys().chain(eb.keys()).collect();
    for name in names {
        let (x, y) = (ea.get(name), eb.get(name));
        if x == y {
            continue;
        }
        let path = format!("{prefix}{name}");
        let sub = |e: Option<&(Oid, bool)>| -> Option<git2::Tree<'_>> {
            e.filter(|(_, is_tree)| *is_tree)
                .and_then(|(id, _)| repo.find_tree(*id).ok())
        };
        let (ta, tb) = (sub(x), sub(y));
        if ta.is_some() || tb.is_some() {
            diff_trees(repo, ta.as_ref(), tb.as_ref(), &format!("{path}/"), out)?;
        }
        let blob = |e: Option<&(Oid, bool)>| e.is_some_and(|(_, t)| !*t);
        if blob(x) || blob(y) {
            out.push(path);
        }
    }
    Ok(())
}
