//! The commit engine every write goes through: write files atomically, build the new tree straight
//! in the object database, commit, move the branch only if it is still where it was, and keep the
//! index entries of the written paths in step so that `git status` stays clean.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use git2::{ErrorCode, FileMode, Oid, Repository, Signature};

use super::Store;
use super::error::{Result, StoreError};

/// One file to write (or delete, when `content` is None), relative to the data root.
#[derive(Debug, Clone)]
pub struct Change {
    pub path: String,
    pub content: Option<String>,
}

/// What a commit made.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CommitInfo {
    pub commit: String,
    pub branch: String,
    /// Repository paths written.
    pub paths: Vec<String>,
    /// Set when the commit landed but the git index could not be brought in step.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
}

/// How many times a commit is rebuilt when another writer moved the branch first.
const RETRIES: usize = 20;

/// Writes `content` to `path` through a temporary file in the same folder and a rename, so that a
/// reader sees the old file or the new one, never half of one.
pub fn write_atomic(path: &Path, content: &[u8]) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| StoreError::io(dir, e))?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".kehoach-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(|e| StoreError::io(dir, e))?;
    tmp.write_all(content)
        .and_then(|_| tmp.as_file().sync_all())
        .map_err(|e| StoreError::io(tmp.path(), e))?;
    tmp.persist(path)
        .map_err(|e| StoreError::io(path, e.error))?;
    Ok(())
}

fn env_signature(name_var: &str, email_var: &str, date_var: &str) -> Option<Signature<'static>> {
    let name = std::env::var(name_var).ok()?;
    let email = std::env::var(email_var).ok()?;
    match std::env::var(date_var)
        .ok()
        .and_then(|d| parse_git_date(&d))
    {
        Some(t) => Signature::new(&name, &email, &t).ok(),
        None => Signature::now(&name, &email).ok(),
    }
}

/// Reads `@SECONDS [+-]HHMM` or `SECONDS [+-]HHMM` (git's internal date format).
fn parse_git_date(s: &str) -> Option<git2::Time> {
    let s = s.trim().trim_start_matches('@');
    let (secs, tz) = s.split_once(' ').unwrap_or((s, "+0000"));
    let secs: i64 = secs.parse().ok()?;
    let sign = if tz.starts_with('-') { -1 } else { 1 };
    let digits = tz.trim_start_matches(['+', '-']);
    let (h, m) = (
        digits.get(0..2)?.parse::<i32>().ok()?,
        digits.get(2..4)?.parse::<i32>().ok()?,
    );
    Some(git2::Time::new(secs, sign * (h * 60 + m)))
}

/// Who is writing, outside any repository: `GIT_AUTHOR_*` or the global git config.
pub fn global_identity() -> Result<Signature<'static>> {
    if let Some(s) = env_signature("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_AUTHOR_DATE") {
        return Ok(s);
    }
    let cfg = git2::Config::open_default()?;
    let name = cfg
        .get_string("user.name")
        .map_err(|_| StoreError::NoIdentity)?;
    let email = cfg
        .get_string("user.email")
        .map_err(|_| StoreError::NoIdentity)?;
    Signature::now(&name, &email).map_err(|_| StoreError::NoIdentity)
}

impl Store {
    /// Who is writing: `GIT_AUTHOR_NAME`/`GIT_AUTHOR_EMAIL` when set, else git config
    /// (user.name, user.email). A missing identity is an error, never a made-up name.
    pub fn author(&self) -> Result<Signature<'static>> {
        if let Some(s) = env_signature("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_AUTHOR_DATE") {
            return Ok(s);
        }
        let sig = self
            .repo()
            .signature()
            .map_err(|_| StoreError::NoIdentity)?;
        Ok(sig.to_owned())
    }

    fn committer(&self) -> Result<Signature<'static>> {
        if let Some(s) = env_signature(
            "GIT_COMMITTER_NAME",
            "GIT_COMMITTER_EMAIL",
            "GIT_COMMITTER_DATE",
        ) {
            return Ok(s);
        }
        self.author()
    }

    /// The branch HEAD points at (`refs/heads/main`), even before its first commit.
    pub fn head_ref_name(&self) -> Result<String> {
        let head = self.repo().find_reference("HEAD")?;
        match head.symbolic_target()? {
            Some(t) => Ok(t.to_string()),
            None => Err(StoreError::Other(
                "HEAD is detached: check out a branch before saving (git switch main)".into(),
            )),
        }
    }

    /// Refuses to start while git holds a lock that a crashed process may have left.
    fn check_git_locks(&self, refname: &str) -> Result<()> {
        let gitdir = self.repo().path();
        for lock in [
            gitdir.join("index.lock"),
            gitdir.join(format!("{refname}.lock")),
        ] {
            if lock.exists() {
                return Err(StoreError::Locked(lock));
            }
        }
        Ok(())
    }

    /// Commits `changes` on the current branch with `message`. Validation is the caller's.
    pub fn commit(&self, changes: &[Change], message: &str) -> Result<CommitInfo> {
        // On the protected branch, the work goes to a change branch (review, store/branches.rs).
        self.ensure_change_branch(&super::branches::change_topic(message))?;
        let author = self.author()?;
        let committer = self.committer()?;
        self.commit_as(changes, message, &author, &committer)
    }

    /// [`Store::commit`] with the author and committer given.
    pub fn commit_as(
        &self,
        changes: &[Change],
        message: &str,
        author: &Signature<'_>,
        committer: &Signature<'_>,
    ) -> Result<CommitInfo> {
        let refname = self.head_ref_name()?;
        self.check_git_locks(&refname)?;

        // Writers of this repository take turns; the lock is released by the OS if we die.
        let lock_path = self.repo().path().join("kehoach.lock");
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| StoreError::io(&lock_path, e))?;
        lock.lock().map_err(|e| StoreError::io(&lock_path, e))?;

        // 1. Files, atomically.
        for c in changes {
            let p = self.root().join(&c.path);
            match &c.content {
                Some(text) => write_atomic(&p, text.as_bytes())?,
                None => match std::fs::remove_file(&p) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(StoreError::io(p, e)),
                },
            }
        }
        // 2. Objects.
        let repo = self.repo();
        let mut updates: Vec<(String, Option<Oid>)> = Vec::new();
        for c in changes {
            let oid = match &c.content {
                Some(text) => Some(repo.blob(text.as_bytes())?),
                None => None,
            };
            updates.push((self.repo_path(&c.path), oid));
        }
        // 3–4. Tree, commit and a compare-and-swap move of the branch; rebuilt on top of
        // whatever moved the branch meanwhile.
        let mut last_err = None;
        let mut done = None;
        for _ in 0..RETRIES {
            let parent = match repo.find_reference(&refname) {
                Ok(r) => Some(r.peel_to_commit()?),
                Err(e) if e.code() == ErrorCode::NotFound => None,
                Err(e) => return Err(e.into()),
            };
            let base_tree = parent.as_ref().map(|c| c.tree()).transpose()?;
            let tree_id = build_tree(repo, base_tree.as_ref(), &updates)?;
            let tree = repo.find_tree(tree_id)?;
            let parents: Vec<&git2::Commit> = parent.iter().collect();
            let oid = repo.commit(None, author, committer, message, &tree, &parents)?;
            let log = format!("kehoach: {}", message.lines().next().unwrap_or(""));
            let moved = match &parent {
                Some(p) => repo.reference_matching(&refname, oid, true, p.id(), &log),
                None => repo.reference(&refname, oid, false, &log),
            };
            match moved {
                Ok(_) => {
                    done = Some(oid);
                    break;
                }
                Err(e) if matches!(e.code(), ErrorCode::Modified | ErrorCode::Exists) => {
                    last_err = Some(e);
                    continue;
                }
                Err(e) if e.code() == ErrorCode::Locked => {
                    return Err(StoreError::Locked(
                        repo.path().join(format!("{refname}.lock")),
                    ));
                }
                Err(e) => return Err(e.into()),
            }
        }
        let Some(oid) = done else {
            let _ = last_err;
            return Err(StoreError::Moved {
                branch: refname.trim_start_matches("refs/heads/").to_string(),
            });
        };
        // 5. Index entries of the written paths.
        let warning = self.sync_index(&updates).err().map(|e| {
            format!("the commit is saved, but the git index was not updated ({e}); `git status` may show the files as changed until `git reset` is run")
        });
        drop(lock);
        Ok(CommitInfo {
            commit: oid.to_string(),
            branch: refname.trim_start_matches("refs/heads/").to_string(),
            paths: updates.into_iter().map(|(p, _)| p).collect(),
            warning,
        })
    }

    fn sync_index(&self, updates: &[(String, Option<Oid>)]) -> Result<()> {
        let mut index = self.repo().index()?;
        index.read(false)?;
        for (path, oid) in updates {
            match oid {
                Some(_) => index.add_path(Path::new(path))?,
                None => {
                    let _ = index.remove_path(Path::new(path));
                }
            }
        }
        index.write()?;
        Ok(())
    }
}

enum Node {
    Blob(Option<Oid>),
    Dir(BTreeMap<String, Node>),
}

/// Builds a tree from `base` with the given paths set to blobs (or removed), touching only the
/// folders on those paths.
pub fn build_tree(
    repo: &Repository,
    base: Option<&git2::Tree>,
    updates: &[(String, Option<Oid>)],
) -> Result<Oid> {
    let mut root: BTreeMap<String, Node> = BTreeMap::new();
    for (path, oid) in updates {
        let parts: Vec<&str> = path.split('/').collect();
        let mut level = &mut root;
        for dir in &parts[..parts.len() - 1] {
            let entry = level
                .entry(dir.to_string())
                .or_insert_with(|| Node::Dir(BTreeMap::new()));
            level = match entry {
                Node::Dir(m) => m,
                Node::Blob(_) => {
                    return Err(StoreError::Other(format!(
                        "{path}: a file stands where a folder is needed"
                    )));
                }
            };
        }
        level.insert(parts[parts.len() - 1].to_string(), Node::Blob(*oid));
    }
    write_level(repo, base, &root)?
        .ok_or_else(|| StoreError::Other("empty tree".into()))
        .or_else(|_| Ok(repo.treebuilder(None)?.write()?))
}

fn write_level(
    repo: &Repository,
    base: Option<&git2::Tree>,
    level: &BTreeMap<String, Node>,
) -> Result<Option<Oid>> {
    let mut tb = repo.treebuilder(base)?;
    for (name, node) in level {
        match node {
            Node::Blob(Some(oid)) => {
                tb.insert(name, *oid, FileMode::Blob.into())?;
            }
            Node::Blob(None) => {
                if tb.get(name)?.is_some() {
                    tb.remove(name)?;
                }
            }
            Node::Dir(children) => {
                let sub = match tb.get(name)? {
                    Some(e) if e.kind() == Some(git2::ObjectType::Tree) => {
                        Some(repo.find_tree(e.id())?)
                    }
                    _ => None,
                };
                match write_level(repo, sub.as_ref(), children)? {
                    Some(oid) => {
                        tb.insert(name, oid, FileMode::Tree.into())?;
                    }
                    None => {
                        if tb.get(name)?.is_some() {
                            tb.remove(name)?;
                        }
                    }
                }
            }
        }
    }
    if tb.is_empty() {
        return Ok(None);
    }
    Ok(Some(tb.write()?))
}
