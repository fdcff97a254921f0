//! History in record terms: a record's versions (following renames), field-level diffs between
//! any two states, blame per field, the records as they were at a date or commit, and the
//! commands that undo (revert, restore) with new commits.
//!
//! A record's log walks the first-parent history and compares the record's blob id at each
//! commit (a tree lookup); only the versions that changed are parsed.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use git2::{Commit, ObjectType, Oid, Tree};
use rayon::prelude::*;
use serde::Serialize;

use super::commit::Change;
use super::edit::{Saved, commit_message};
use super::error::{Result, StoreError};
use super::layout::{Kind, classify, id_of};
use super::load::{Loaded, collect, locate_problems, parse_path_text, sort_diagnostics};
use super::{RecordRef, Store};
use crate::model::fields::{FieldChange, diff, value_text};

/// Who made a commit, when, and what it says.
#[derive(Debug, Clone, Serialize)]
pub struct CommitSummary {
    pub commit: String,
    /// ISO 8601 with the author's offset: `2025-06-15T09:30:00+07:00`.
    pub date: String,
    pub author: String,
    pub email: String,
    /// The first line of the message.
    pub summary: String,
}

/// How a record differs between two states.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Created,
    Changed,
    Deleted,
    Renamed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Created => "created",
            Status::Changed => "changed",
            Status::Deleted => "deleted",
            Status::Renamed => "renamed",
        }
    }
}

/// One record's difference between two states, field by field.
#[derive(Debug, Clone, Serialize)]
pub struct RecordDiff {
    /// Path relative to the data root (the new path for a rename, the old one for a deletion).
    pub path: String,
    pub kind: Kind,
    pub id: String,
    pub status: Status,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old_path: Option<String>,
    /// Fields changed (empty for a record created or deleted).
    pub changes: Vec<FieldChange>,
}

/// A commit of the repository's history with the records it changed.
#[derive(Debug, Clone, Serialize)]
pub struct LogEntry {
    #[serde(flatten)]
    pub commit: CommitSummary,
    pub records: Vec<RecordDiff>,
}

/// A version of one record: the commit that made it and what it changed.
#[derive(Debug, Clone, Serialize)]
pub struct Version {
    #[serde(flatten)]
    pub commit: CommitSummary,
    /// The record's path (relative to the data root) in this commit.
    pub path: String,
    pub status: Status,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old_path: Option<String>,
    pub changes: Vec<FieldChange>,
}

/// The last change of one field's current value.
#[derive(Debug, Clone, Serialize)]
pub struct BlameField {
    pub field: String,
    pub value: String,
    #[serde(flatten)]
    pub commit: CommitSummary,
}

/// What `revert` found: a commit made, or the conflicts that stopped it (nothing written).
#[derive(Debug, Clone, Serialize)]
pub struct Reverted {
    pub reverted: String,
    pub records: Vec<RecordDiff>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit: Option<super::CommitInfo>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub conflicts: Vec<super::sync::Conflict>,
}

fn format_time(t: git2::Time, fmt: &str) -> String {
    let offset =
        jiff::tz::Offset::from_seconds(t.offset_minutes() * 60).unwrap_or(jiff::tz::Offset::UTC);
    match jiff::Timestamp::from_second(t.seconds()) {
        Ok(ts) => ts
            .to_zoned_datetime(jiff::tz::TimeZone::fixed(offset))
            .strftime(fmt)
            .to_string(),
        Err(_) => t.seconds().to_string(),
    }
}

/// A commit's summary.
pub fn summarize(c: &Commit<'_>) -> CommitSummary {
    let author = c.author();
    CommitSummary {
        commit: c.id().to_string(),
        date: format_time(author.when(), "%Y-%m-%dT%H:%M:%S%:z"),
        author: author.name().unwrap_or("").to_string(),
        email: author.email().unwrap_or("").to_string(),
        summary: c.summary().ok().flatten().unwrap_or("").to_string(),
    }
}

impl CommitSummary {
    /// `2025-06-15 09:30` from the ISO date.
    pub fn short_date(&self) -> String {
        self.date.get(..16).unwrap_or(&self.date).replace('T', " ")
    }
    pub fn short_id(&self) -> &str {
        self.commit.get(..10).unwrap_or(&self.commit)
    }
}

fn parse_table(text: &str) -> toml::Table {
    toml::from_str(text).unwrap_or_default()
}

/// The leaf fields of a record with their values, named as [`diff`] names them:
/// `due`, `signer.name`, `entries[a01].percent`, `tasks[2].title`; lists of plain values whole.
pub fn flatten(t: &toml::Table) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    flatten_into("", t, &mut out);
    out
}

fn item_key(t: &toml::Table) -> Option<String> {
    ["id", "assignment", "number", "label", "text"]
        .iter()
        .find_map(|k| t.get(*k).and_then(|v| v.as_str()).map(String::from))
}

fn flatten_into(prefix: &str, t: &toml::Table, out: &mut BTreeMap<String, String>) {
    for (k, v) in t {
        let f = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        flatten_value(&f, v, out);
    }
}

fn flatten_value(f: &str, v: &toml::Value, out: &mut BTreeMap<String, String>) {
    match v {
        toml::Value::Table(t) => flatten_into(f, t, out),
        toml::Value::Array(a) if !a.is_empty() && a.iter().all(|x| x.is_table()) => {
            let keys: Vec<Option<String>> =
                a.iter().map(|x| x.as_table().and_then(item_key)).collect();
            let mut uniq: Vec<&String> = keys.iter().flatten().collect();
            uniq.sort();
            uniq.dedup();
            let keyed = uniq.len() == a.len();
            for (i, x) in a.iter().enumerate() {
                let name = match (&keys[i], keyed) {
                    (Some(k), true) => format!("{f}[{k}]"),
                    _ => format!("{f}[{i}]"),
                };
                flatten_value(&name, x, out);
            }
        }
        other => {
            out.insert(f.to_string(), value_text(other));
        }
    }
}

/// A date (`2025-06-30`) or date and time (`2025-06-30 14:00`, `2025-06-30T14:00:05`) as the
/// latest local time it stands for.
fn parse_when(s: &str) -> Option<jiff::civil::DateTime> {
    let s = s.trim();
    if let Some(d) = crate::model::parse_date(s) {
        return Some(d.at(23, 59, 59, 999_999_999));
    }
    let norm = s.replacen(' ', "T", 1);
    let norm = if norm.len() == 16 {
        format!("{norm}:59")
    } else {
        norm
    };
    norm.parse::<jiff::civil::DateTime>().ok()
}

fn civil(t: git2::Time) -> Option<jiff::civil::DateTime> {
    let offset = jiff::tz::Offset::from_seconds(t.offset_minutes() * 60).ok()?;
    let ts = jiff::Timestamp::from_second(t.seconds()).ok()?;
    Some(
        ts.to_zoned_datetime(jiff::tz::TimeZone::fixed(offset))
            .datetime(),
    )
}

impl Store {
    /// The commit HEAD points at, if any.
    pub fn head_commit(&self) -> Result<Option<Commit<'_>>> {
        match self.repo().head() {
            Ok(h) => Ok(Some(h.peel_to_commit()?)),
            Err(e)
                if matches!(
                    e.code(),
                    git2::ErrorCode::UnbornBranch | git2::ErrorCode::NotFound
                ) =>
            {
                Ok(None)
            }
            Err(e) => Err(e.into()),
        }
    }

    fn head_or_err(&self) -> Result<Commit<'_>> {
        self.head_commit()?
            .ok_or_else(|| StoreError::Other("the branch has no commit yet".into()))
    }

    /// A revision (`HEAD~3`, a commit id, a branch, a tag) or a date (`2025-06-30`, with an
    /// optional `HH:MM`): for a date, the last commit of the current branch made at or before it.
    pub fn resolve(&self, rev: &str) -> Result<Commit<'_>> {
        if let Some(when) = parse_when(rev) {
            return self.commit_at(when, rev);
        }
        let obj = self.repo().revparse_single(rev).map_err(|_| {
            StoreError::Other(format!(
                "no commit {rev:?}: give a commit id, a branch, HEAD~N, or a date YYYY-MM-DD"
            ))
        })?;
        obj.peel_to_commit()
            .map_err(|_| StoreError::Other(format!("{rev:?} does not name a commit")))
    }

    fn commit_at(&self, when: jiff::civil::DateTime, text: &str) -> Result<Commit<'_>> {
        let mut c = self.head_or_err()?;
        loop {
            if civil(c.committer().when()).is_some_and(|t| t <= when) {
                return Ok(c);
            }
            match c.parent(0) {
                Ok(p) => c = p,
                Err(_) => {
                    return Err(StoreError::Other(format!(
                        "no commit on this branch at or before {text}: its history starts on {}",
                        format_time(c.committer().when(), "%Y-%m-%d %H:%M")
                    )));
                }
            }
        }
    }

    /// The text of a data-root file in a commit, if it is there.
    pub fn read_at(&self, commit: &Commit<'_>, rel: &str) -> Result<Option<String>> {
        let tree = commit.tree()?;
        self.read_in_tree(&tree, rel)
    }

    fn read_in_tree(&self, tree: &Tree<'_>, rel: &str) -> Result<Option<String>> {
        match blob_id(tree, &self.repo_path(rel)) {
            Some(id) => Ok(Some(self.blob_text(id)?)),
            None => Ok(None),
        }
    }

    fn blob_text(&self, id: Oid) -> Result<String> {
        let blob = self.repo().find_blob(id)?;
        Ok(String::from_utf8_lossy(blob.content()).into_owned())
    }

    /// [`Store::find`] in a commit's tree.
    pub fn find_at(&self, commit: &Commit<'_>, query: &str) -> Result<RecordRef> {
        let tree = commit.tree()?;
        let plans = || -> Vec<String> {
            let mut v = Vec::new();
            if let Ok(e) = tree.get_path(Path::new(&self.repo_path("plans")))
                && let Ok(obj) = e.to_object(self.repo())
                && let Some(t) = obj.as_tree()
            {
                for e in t.iter() {
                    if e.kind() == Some(ObjectType::Tree)
                        && let Ok(n) = e.name()
                    {
                        v.push(n.to_string());
                    }
                }
            }
            v
        };
        super::find_with(
            query,
            |rel| blob_id(&tree, &self.repo_path(rel)).is_some(),
            plans,
        )
    }

    /// Finds a record in the work tree, or else in HEAD (a record deleted but not committed), or
    /// else by its path.
    pub fn find_anywhere(&self, query: &str) -> Result<RecordRef> {
        match self.find(query) {
            Ok(r) => Ok(r),
            Err(e @ StoreError::Ambiguous { .. }) => Err(e),
            Err(e) => {
                if let Some(head) = self.head_commit()?
                    && let Ok(r) = self.find_at(&head, query)
                {
                    return Ok(r);
                }
                let q = query.trim().trim_start_matches("./");
                if let Some(kind) = classify(q).filter(|k| *k != Kind::Config) {
                    return Ok(RecordRef {
                        kind,
                        id: id_of(kind, q),
                        path: q.to_string(),
                    });
                }
                Err(e)
            }
        }
    }

    /// Every record of a commit, checked like [`Store::load`] checks the work tree.
    pub fn load_at(&self, commit: &Commit<'_>) -> Result<Loaded> {
        let tree = commit.tree()?;
        let prefix = self.prefix().to_string();
        let start = if prefix.is_empty() {
            tree.clone()
        } else {
            match tree.get_path(Path::new(prefix.trim_end_matches('/'))) {
                Ok(e) => self.repo().find_tree(e.id())?,
                Err(_) => {
                    return Err(StoreError::Other(format!(
                        "the data folder {prefix} did not exist in commit {}",
                        commit.id()
                    )));
                }
            }
        };
        let mut blobs: Vec<(String, Oid)> = Vec::new();
        start.walk(git2::TreeWalkMode::PreOrder, |dir, e| {
            let name = e.name().unwrap_or("");
            if name.starts_with('.') || (dir.is_empty() && (name == "schemas" || name == "target"))
            {
                return git2::TreeWalkResult::Skip;
            }
            if e.kind() == Some(ObjectType::Blob) && name.ends_with(".toml") {
                blobs.push((format!("{dir}{name}"), e.id()));
            }
            git2::TreeWalkResult::Ok
        })?;
        let mut texts: Vec<(String, String)> = Vec::with_capacity(blobs.len());
        for (rel, id) in blobs {
            texts.push((rel, self.blob_text(id)?));
        }
        let files = texts.len();
        let results: Vec<_> = texts
            .par_iter()
            .map(|(rel, t)| (rel.clone(), parse_path_text(rel, t)))
            .collect();
        let mut diagnostics = Vec::new();
        let mut parsed = Vec::new();
        for (rel, r) in results {
            match r {
                Ok(rec) => parsed.push((rel, rec)),
                Err(d) => diagnostics.extend(d),
            }
        }
        let (config, records) = collect(parsed);
        let problems = crate::model::rules::check(&records);
        let by_path: HashMap<&str, &str> = texts
            .iter()
            .map(|(p, t)| (p.as_str(), t.as_str()))
            .collect();
        diagnostics.extend(locate_problems(problems, |p| {
            by_path.get(p).map(|t| t.to_string())
        }));
        sort_diagnostics(&mut diagnostics);
        Ok(Loaded {
            config,
            records,
            diagnostics,
            files,
        })
    }

    /// [`Store::load_at`] for a revision or date: the records as they were then.
    pub fn load_rev(&self, rev: &str) -> Result<(Loaded, CommitSummary)> {
        let c = self.resolve(rev)?;
        Ok((self.load_at(&c)?, summarize(&c)))
    }

    /// A record as it was at a revision or date: where it was, its text, and the commit.
    pub fn read_rev(&self, query: &str, rev: &str) -> Result<(RecordRef, String, CommitSummary)> {
        let c = self.resolve(rev)?;
        let s = summarize(&c);
        let rr = self.find_at(&c, query).map_err(|e| match e {
            StoreError::NotFound(q) => StoreError::Other(format!(
                "no record {q:?} in commit {} ({}); `kehoach log {q}` shows when it existed",
                s.short_id(),
                s.short_date()
            )),
            other => other,
        })?;
        let text = self
            .read_at(&c, &rr.path)?
            .ok_or_else(|| StoreError::NotFound(query.to_string()))?;
        Ok((rr, text, s))
    }

    /// `kehoach diff`: with no revisions, the work tree against HEAD; `REV`, REV against the work
    /// tree; `A..B` (either side may be left out for HEAD), A against B. Optionally one record.
    pub fn diff_revs(&self, revs: Option<&str>, rel: Option<&str>) -> Result<Vec<RecordDiff>> {
        let tree_of = |r: &str| -> Result<Tree<'_>> { Ok(self.resolve(r)?.tree()?) };
        match revs {
            None => {
                let head = self.head_commit()?.map(|c| c.tree()).transpose()?;
                self.diff_trees(head.as_ref(), None, rel)
            }
            Some(r) => match r.split_once("..") {
                Some((a, b)) => {
                    let a = if a.is_empty() { "HEAD" } else { a };
                    let b = if b.is_empty() { "HEAD" } else { b };
                    self.diff_trees(Some(&tree_of(a)?), Some(&tree_of(b)?), rel)
                }
                None => self.diff_trees(Some(&tree_of(r)?), None, rel),
            },
        }
    }

    /// Whether `rev` names a commit or a date.
    pub fn is_rev(&self, rev: &str) -> bool {
        self.resolve(rev).is_ok()
    }

    /// The versions of a record, newest first, from HEAD back to its creation (following
    /// renames): each with the fields it changed.
    pub fn record_log(&self, rel: &str) -> Result<Vec<Version>> {
        let Some(head) = self.head_commit()? else {
            return Ok(vec![]);
        };
        let raw = self.versions(rel, head)?;
        let mut tables: HashMap<Oid, toml::Table> = HashMap::new();
        let mut table_of = |id: Option<Oid>| -> Result<toml::Table> {
            match id {
                None => Ok(toml::Table::new()),
                Some(id) => {
                    if let Some(t) = tables.get(&id) {
                        return Ok(t.clone());
                    }
                    let t = parse_table(&self.blob_text(id)?);
                    tables.insert(id, t.clone());
                    Ok(t)
                }
            }
        };
        let mut out = Vec::with_capacity(raw.len());
        for v in raw {
            let changes = match v.status {
                Status::Created | Status::Deleted => vec![],
                _ => diff(&table_of(v.before)?, &table_of(v.after)?),
            };
            out.push(Version {
                commit: v.commit,
                path: v.path,
                status: v.status,
                old_path: v.old_path,
                changes,
            });
        }
        Ok(out)
    }

    /// For every field of the record's current (HEAD) version: the commit that last changed it.
    pub fn blame(&self, rel: &str) -> Result<Vec<BlameField>> {
        let head = self.head_or_err()?;
        let raw = self.versions(rel, head)?;
        let Some(newest) = raw.first() else {
            return Err(StoreError::NotFound(rel.to_string()));
        };
        if newest.after.is_none() {
            return Err(StoreError::Other(format!(
                "{rel} was deleted in commit {}; blame it at an earlier commit with `kehoach show {rel} --at REV`",
                newest.commit.short_id()
            )));
        }
        let mut flat: HashMap<Oid, BTreeMap<String, String>> = HashMap::new();
        for v in &raw {
            if let Some(id) = v.after
                && !flat.contains_key(&id)
            {
                flat.insert(id, flatten(&parse_table(&self.blob_text(id)?)));
            }
        }
        let current = &flat[&newest.after.expect("checked")];
        let mut out = Vec::with_capacity(current.len());
        for (field, value) in current {
            let mut i = 0;
            while i + 1 < raw.len() {
                let older = raw[i + 1].after.and_then(|id| flat.get(&id));
                if older.and_then(|m| m.get(field)) == Some(value) {
                    i += 1;
                } else {
                    break;
                }
            }
            out.push(BlameField {
                field: field.clone(),
                value: value.clone(),
                commit: raw[i].commit.clone(),
            });
        }
        Ok(out)
    }

    /// The commits that changed a record, newest first, with its blob before and after each.
    fn versions(&self, rel: &str, start: Commit<'_>) -> Result<Vec<RawVersion>> {
        // Reading history only: like git, do not re-hash every object read (about a fifth of
        // the time of a long log); `git fsck` is the tool for checking the object database.
        git2::opts::strict_hash_verification(false);
        let repo = self.repo();
        let mut path = self.repo_path(rel);
        let mut out = Vec::new();
        let mut commit = start;
        let mut tree = commit.tree()?;
        let mut cur = blob_id(&tree, &path);
        loop {
            let parent = commit.parent(0).ok();
            let ptree = parent.as_ref().map(|p| p.tree()).transpose()?;
            let mut prev = ptree.as_ref().and_then(|t| blob_id(t, &path));
            if prev != cur {
                let mut old_path = None;
                let mut status = match (prev, cur) {
                    (None, _) => Status::Created,
                    (_, None) => Status::Deleted,
                    _ => Status::Changed,
                };
                if status == Status::Created
                    && let Some(pt) = &ptree
                    && let Some(from) = renamed_from(repo, pt, &tree, &path)?
                {
                    prev = blob_id(pt, &from);
                    old_path = Some(from);
                    status = Status::Renamed;
                }
                out.push(RawVersion {
                    commit: summarize(&commit),
                    path: self.data_rel(&path),
                    status,
                    old_path: old_path.as_deref().map(|p| self.data_rel(p)),
                    before: prev,
                    after: cur,
                });
                if let Some(from) = old_path {
                    path = from;
                }
                if status == Status::Created {
                    break;
                }
            }
            match (parent, ptree) {
                (Some(p), Some(t)) => {
                    commit = p;
                    tree = t;
                    cur = prev;
                }
                _ => break,
            }
        }
        Ok(out)
    }

    /// A repository path as a data-root path.
    fn data_rel(&self, repo_path: &str) -> String {
        repo_path
            .strip_prefix(self.prefix())
            .unwrap_or(repo_path)
            .to_string()
    }

    /// The repository's history in record terms, newest first (first-parent), at most `limit`
    /// commits.
    pub fn log(&self, limit: usize) -> Result<Vec<LogEntry>> {
        let mut out = Vec::new();
        let Some(mut c) = self.head_commit()? else {
            return Ok(out);
        };
        while out.len() < limit {
            let tree = c.tree()?;
            let parent = c.parent(0).ok();
            let ptree = parent.as_ref().map(|p| p.tree()).transpose()?;
            let records = self.diff_trees(ptree.as_ref(), Some(&tree), None)?;
            out.push(LogEntry {
                commit: summarize(&c),
                records,
            });
            match parent {
                Some(p) => c = p,
                None => break,
            }
        }
        Ok(out)
    }

    /// Field-level differences between two commits' trees (None: empty), or between a tree and
    /// the work tree (`new` None), optionally only for one record (data-root path).
    pub fn diff_trees(
        &self,
        old: Option<&Tree<'_>>,
        new: Option<&Tree<'_>>,
        only: Option<&str>,
    ) -> Result<Vec<RecordDiff>> {
        let repo = self.repo();
        let mut opts = git2::DiffOptions::new();
        match only {
            Some(rel) => {
                opts.pathspec(self.repo_path(rel));
                opts.disable_pathspec_match(true);
            }
            None if !self.prefix().is_empty() => {
                opts.pathspec(self.prefix());
            }
            None => {}
        }
        let mut d = match new {
            Some(t) => repo.diff_tree_to_tree(old, Some(t), Some(&mut opts))?,
            None => {
                opts.include_untracked(true)
                    .recurse_untracked_dirs(true)
                    .ignore_submodules(true);
                repo.diff_tree_to_workdir_with_index(old, Some(&mut opts))?
            }
        };
        if only.is_none() {
            let mut find = git2::DiffFindOptions::new();
            find.renames(true);
            d.find_similar(Some(&mut find))?;
        }
        let mut out = Vec::new();
        for delta in d.deltas() {
            let old_path = delta
                .old_file()
                .path()
                .map(|p| p.to_string_lossy().replace('\\', "/"));
            let new_path = delta
                .new_file()
                .path()
                .map(|p| p.to_string_lossy().replace('\\', "/"));
            let status = match delta.status() {
                git2::Delta::Added | git2::Delta::Untracked | git2::Delta::Copied => {
                    Status::Created
                }
                git2::Delta::Deleted => Status::Deleted,
                git2::Delta::Renamed => Status::Renamed,
                git2::Delta::Modified | git2::Delta::Typechange => Status::Changed,
                _ => continue,
            };
            let path = match status {
                Status::Deleted => old_path.clone(),
                _ => new_path.clone(),
            };
            let Some(path) = path else { continue };
            if !path.starts_with(self.prefix()) {
                continue;
            }
            let rel = self.data_rel(&path);
            let Some(kind) = classify(&rel) else { continue };
            let old_text = match status {
                Status::Created => None,
                _ => Some(self.blob_text(delta.old_file().id())?),
            };
            let new_text = match status {
                Status::Deleted => None,
                _ if new.is_none() => {
                    let p = self.root().join(&rel);
                    Some(std::fs::read_to_string(&p).map_err(|e| StoreError::io(p, e))?)
                }
                _ => Some(self.blob_text(delta.new_file().id())?),
            };
            let changes = match status {
                Status::Changed | Status::Renamed => diff(
                    &parse_table(old_text.as_deref().unwrap_or("")),
                    &parse_table(new_text.as_deref().unwrap_or("")),
                ),
                _ => vec![],
            };
            if status == Status::Changed && changes.is_empty() {
                // Only comments or layout changed.
                if old_text == new_text {
                    continue;
                }
            }
            out.push(RecordDiff {
                id: id_of(kind, &rel),
                kind,
                status,
                old_path: match status {
                    Status::Renamed => old_path.map(|p| self.data_rel(&p)),
                    _ => None,
                },
                path: rel,
                changes,
            });
        }
        out.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(out)
    }

    /// `kehoach restore ID --to REV`: a new commit that puts the record back as it was in `rev`.
    pub fn restore(&self, query: &str, rev: &str) -> Result<Saved> {
        let at = self.resolve(rev)?;
        let rr = match self.find(query) {
            Ok(r) => r,
            Err(StoreError::NotFound(_)) => self.find_at(&at, query)?,
            Err(e) => return Err(e),
        };
        let Some(text) = self.read_at(&at, &rr.path)? else {
            return Err(StoreError::Other(format!(
                "{} {} did not exist in commit {} ({}); to undo its creation, revert the commit \
                 that created it (`kehoach log {}` shows it)",
                rr.kind.as_str(),
                rr.id,
                &at.id().to_string()[..10],
                summarize(&at).short_date(),
                rr.id
            )));
        };
        let old = match std::fs::read_to_string(self.root().join(&rr.path)) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(StoreError::io(self.root().join(&rr.path), e)),
        };
        self.check_text(rr.kind, &rr.path, &text)?;
        let changes = diff(&parse_table(&old), &parse_table(&text));
        if old == text {
            return Ok(Saved {
                record: rr,
                changes,
                commit: None,
            });
        }
        let s = summarize(&at);
        let base = commit_message(
            if old.is_empty() { "create" } else { "restore" },
            &rr,
            &changes,
            &self.repo_path(&rr.path),
        );
        let note = format!(
            "Restored to its version in commit {} ({}, {}).\n\n",
            s.commit,
            s.short_date(),
            s.author
        );
        let message = match base.split_once("\n\n") {
            Some((subject, body)) => format!("{subject}\n\n{note}{body}"),
            None => format!("{base}\n\n{note}"),
        };
        let info = self.commit(
            &[Change {
                path: rr.path.clone(),
                content: Some(text),
            }],
            &message,
        )?;
        Ok(Saved {
            record: rr,
            changes,
            commit: Some(info),
        })
    }

    /// `kehoach revert REV`: a new commit that undoes what `rev` changed, merged field by field
    /// with what changed since. Conflicts stop it with nothing written.
    pub fn revert(&self, rev: &str) -> Result<Reverted> {
        let target = self.resolve(rev)?;
        let head = self.head_or_err()?;
        let parent = target.parent(0).map_err(|_| {
            StoreError::Other(
                "the first commit of the repository cannot be reverted (it made the repository)"
                    .into(),
            )
        })?;
        let (t_tree, p_tree, h_tree) = (target.tree()?, parent.tree()?, head.tree()?);
        let mut opts = git2::DiffOptions::new();
        let d = self
            .repo()
            .diff_tree_to_tree(Some(&p_tree), Some(&t_tree), Some(&mut opts))?;
        let mut paths: Vec<String> = Vec::new();
        for delta in d.deltas() {
            for f in [delta.old_file(), delta.new_file()] {
                if let Some(p) = f.path() {
                    let p = p.to_string_lossy().replace('\\', "/");
                    if !paths.contains(&p) {
                        paths.push(p);
                    }
                }
            }
        }
        let short = &target.id().to_string()[..10];
        let mut conflicts = Vec::new();
        let mut changes: Vec<Change> = Vec::new();
        for path in &paths {
            let base = blob_id(&t_tree, path);
            let theirs = blob_id(&p_tree, path);
            let ours = blob_id(&h_tree, path);
            let rel = self.data_rel(path);
            if ours == theirs {
                continue;
            }
            if !path.starts_with(self.prefix()) {
                conflicts.push(super::sync::Conflict::whole(
                    &rel,
                    "outside the data folder: undo it with git",
                ));
                continue;
            }
            let content = if ours == base {
                theirs.map(|id| self.blob_text(id)).transpose()?
            } else {
                let text = |id: Option<Oid>| -> Result<Option<String>> {
                    id.map(|i| self.blob_text(i)).transpose()
                };
                match super::sync::merge_file(&rel, text(base)?, text(ours)?, text(theirs)?) {
                    Ok(c) => c,
                    Err(mut cs) => {
                        conflicts.append(&mut cs);
                        continue;
                    }
                }
            };
            changes.push(Change { path: rel, content });
        }
        if conflicts.is_empty() {
            self.refuse_dirty(&h_tree, &changes)?;
        }
        let records = self.describe_changes(&h_tree, &changes)?;
        if !conflicts.is_empty() || changes.is_empty() {
            return Ok(Reverted {
                reverted: target.id().to_string(),
                records,
                commit: None,
                conflicts,
            });
        }
        for c in &changes {
            if let (Some(text), Some(kind)) = (&c.content, classify(&c.path))
                && kind != Kind::Config
            {
                self.check_text(kind, &c.path, text)?;
            }
        }
        // Said in record terms, like every kehoach commit: what this commit changes.
        let subject = match records.as_slice() {
            [r] => {
                let what = match (r.status, r.changes.as_slice()) {
                    (Status::Changed, [c]) => c.to_string(),
                    (Status::Changed, cs) => cs
                        .iter()
                        .map(|c| c.field.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                    (s, _) => s.as_str().to_string(),
                };
                format!("revert {} {}: {what}", r.kind.as_str(), r.id)
            }
            rs => format!("revert {short}: {} records", rs.len()),
        };
        let subject = crate::model::fields::short(&subject);
        let mut msg = format!(
            "{subject}\n\nThis reverts commit {} ({}).\n\n",
            target.id(),
            target.summary().ok().flatten().unwrap_or("")
        );
        msg.push_str(&records_body(&records));
        let info = self.commit(&changes, &msg)?;
        Ok(Reverted {
            reverted: target.id().to_string(),
            records,
            commit: Some(info),
            conflicts,
        })
    }

    /// Refuses to overwrite files that have changes not committed.
    pub(crate) fn refuse_dirty(&self, head: &Tree<'_>, changes: &[Change]) -> Result<()> {
        for c in changes {
            let on_disk = std::fs::read(self.root().join(&c.path)).ok();
            let committed = blob_id(head, &self.repo_path(&c.path))
                .map(|id| self.repo().find_blob(id).map(|b| b.content().to_vec()))
                .transpose()?;
            if on_disk != committed {
                return Err(StoreError::Other(format!(
                    "{} has changes that are not committed; commit them (or undo them with \
                     `git checkout -- {}`) and retry",
                    self.repo_path(&c.path),
                    self.repo_path(&c.path)
                )));
            }
        }
        Ok(())
    }

    /// The record differences that `changes` make against `base`.
    pub(crate) fn describe_changes(
        &self,
        base: &Tree<'_>,
        changes: &[Change],
    ) -> Result<Vec<RecordDiff>> {
        let mut out = Vec::new();
        for c in changes {
            let Some(kind) = classify(&c.path) else {
                continue;
            };
            let old = self.read_in_tree(base, &c.path)?;
            let status = match (&old, &c.content) {
                (None, _) => Status::Created,
                (_, None) => Status::Deleted,
                _ => Status::Changed,
            };
            let changes = match (&old, &c.content) {
                (Some(o), Some(n)) => diff(&parse_table(o), &parse_table(n)),
                _ => vec![],
            };
            out.push(RecordDiff {
                path: c.path.clone(),
                kind,
                id: id_of(kind, &c.path),
                status,
                old_path: None,
                changes,
            });
        }
        Ok(out)
    }
}

/// The body lines of a commit that changes several records: each with its field changes, then a
/// `Record:` trailer per record.
pub fn records_body(records: &[RecordDiff]) -> String {
    let mut msg = String::new();
    for r in records {
        match r.status {
            Status::Changed | Status::Renamed => {
                for c in &r.changes {
                    msg.push_str(&format!("- {} {}  {c}\n", r.kind.as_str(), r.id));
                }
            }
            s => msg.push_str(&format!("- {} {}  {}\n", r.kind.as_str(), r.id, s.as_str())),
        }
    }
    if !records.is_empty() {
        msg.push('\n');
    }
    for r in records {
        msg.push_str(&format!("Record: {}\n", r.path));
    }
    msg
}

struct RawVersion {
    commit: CommitSummary,
    path: String,
    status: Status,
    old_path: Option<String>,
    before: Option<Oid>,
    after: Option<Oid>,
}

/// The blob id at a repository path of a tree, if a file is there.
pub fn blob_id(tree: &Tree<'_>, path: &str) -> Option<Oid> {
    let e = tree.get_path(Path::new(path)).ok()?;
    (e.kind() == Some(ObjectType::Blob)).then(|| e.id())
}

/// When `path` appears between `old` and `new`: the path it was renamed from, if any.
fn renamed_from(
    repo: &git2::Repository,
    old: &Tree<'_>,
    new: &Tree<'_>,
    path: &str,
) -> Result<Option<String>> {
    let mut d = repo.diff_tree_to_tree(Some(old), Some(new), None)?;
    let mut find = git2::DiffFindOptions::new();
    find.renames(true);
    d.find_similar(Some(&mut find))?;
    for delta in d.deltas() {
        if delta.status() == git2::Delta::Renamed
            && delta.new_file().path() == Some(Path::new(path))
        {
            return Ok(delta
                .old_file()
                .path()
                .map(|p| p.to_string_lossy().replace('\\', "/")));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flattens_like_diff_names_fields() {
        let t: toml::Table = toml::from_str(
            "due = \"2025-11-30\"\ncoordinating = [\"a\", \"b\"]\n[signer]\nname = \"X\"\n\
             [[entries]]\nassignment = \"a01\"\npercent = 10\n",
        )
        .unwrap();
        let f = flatten(&t);
        assert_eq!(f["due"], "2025-11-30");
        assert_eq!(f["coordinating"], "[a, b]");
        assert_eq!(f["signer.name"], "X");
        assert_eq!(f["entries[a01].percent"], "10");
    }

    #[test]
    fn dates_are_the_end_of_the_day() {
        let d = parse_when("2025-06-30").unwrap();
        assert_eq!(d.to_string(), "2025-06-30T23:59:59.999999999");
        assert_eq!(
            parse_when("2025-06-30 14:05").unwrap().to_string(),
            "2025-06-30T14:05:59"
        );
        assert!(parse_when("HEAD~2").is_none());
    }
}
