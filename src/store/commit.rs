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

    /// Refuses to start while git holds a lock: a git command still running gets two seconds to
    /// finish; a lock that stays is reported (a crashed git may have left it), never deleted.
    fn check_git_locks(&self, refname: &str) -> Result<()> {
        let gitdir = self.repo().path();
        for lock in [
            gitdir.join("index.lock"),
            gitdir.join(format!("{refname}.lock")),
        ] {
            let mut waited = 0;
            while lock.exists() {
                if waited >= 40 {
                    return Err(StoreError::Locked(lock));
                }
                std::thread::sleep(std::time::Duration::from_millis(50));
                waited += 1;
            }
        }
        Ok(())
    }

    /// Writers of this repository take turns: an OS lock on `.git/kehoach.lock`, held until the
    /// returned file is dropped. The OS releases it if the process dies, so it never goes stale.
    pub(crate) fn lock_writers(&self) -> Result<std::fs::File> {
        let lock_path = self.repo().path().join("kehoach.lock");
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| StoreError::io(&lock_path, e))?;
        lock.lock().map_err(|e| StoreError::io(&lock_path, e))?;
        Ok(lock)
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
        self.apply(
            changes,
            Target::Commit {
                message,
                author,
                committer,
                extra_parents: &[],
                expected: None,
            },
        )
    }

    /// A merge commit: `changes` on top of the current branch, with `other` as second parent.
    /// Fails with [`StoreError::Moved`] when the branch is no longer at `expected`.
    pub fn commit_merge(
        &self,
        changes: &[Change],
        message: &str,
        other: Oid,
        expected: Oid,
    ) -> Result<CommitInfo> {
        let author = self.author()?;
        let committer = self.committer()?;
        self.apply(
            changes,
            Target::Commit {
                message,
                author: &author,
                committer: &committer,
                extra_parents: &[other],
                expected: Some(expected),
            },
        )
    }

    /// Moves the current branch from `expected` forward to `to` (a descendant), writing `changes`
    /// (the files that differ between the two) to the work tree and the index.
    pub fn fast_forward(&self, changes: &[Change], expected: Oid, to: Oid) -> Result<CommitInfo> {
        self.apply(changes, Target::FastForward { expected, to })
    }

    /// The one path every write takes: lock, files, objects, commit, compare-and-swap of the
    /// branch, index entries. A failure before the branch moves puts the files back as they were.
    fn apply(&self, changes: &[Change], target: Target<'_>) -> Result<CommitInfo> {
        let refname = self.head_ref_name()?;
        // Other kehoach writers wait here; git's own locks are looked at once it is our turn.
        let lock = self.lock_writers()?;
        self.check_git_locks(&refname)?;
        // A save killed between moving the branch and updating the index left a note.
        self.repair_index();

        // What was there before, to put back if the commit cannot be made.
        let mut before: Vec<(std::path::PathBuf, Option<Vec<u8>>)> = Vec::new();
        for c in changes {
            let p = self.root().join(&c.path);
            let old = match std::fs::read(&p) {
                Ok(b) => Some(b),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                Err(e) => return Err(StoreError::io(p, e)),
            };
            // Someone else saved this file since it was read for this edit: do not overwrite.
            if let Some(seen) = self.seen(&c.path)
                && old.as_deref() != Some(seen.as_bytes())
            {
                return Err(StoreError::Moved {
                    branch: refname.trim_start_matches("refs/heads/").to_string(),
                });
            }
            before.push((p, old));
        }
        let result = self.apply_locked(changes, &target, &refname);
        if result.is_err() {
            for (p, old) in &before {
                let _ = match old {
                    Some(b) => write_atomic(p, b),
                    None => std::fs::remove_file(p).map_err(|e| StoreError::io(p, e)),
                };
            }
        }
        let (oid, updates) = result?;
        for c in changes {
            self.forget_seen(&c.path);
        }
        // 5. Index entries of the written paths.
        let synced = self.sync_index(&updates);
        if synced.is_ok() {
            let _ = std::fs::remove_file(self.pending_path());
        }
        let warning = synced.err().map(|e| {
            format!("the commit is saved, but the git index was not updated ({e}); `git status` may show the files as changed until `git reset` is run")
        });
        crash_point("index");
        drop(lock);
        self.maybe_gc();
        Ok(CommitInfo {
            commit: oid.to_string(),
            branch: refname.trim_start_matches("refs/heads/").to_string(),
            paths: updates.into_iter().map(|(p, _)| p).collect(),
            warning,
        })
    }

    /// Steps 1–4 of [`Store::apply`]; the branch has moved when this returns Ok.
    #[allow(clippy::type_complexity)]
    fn apply_locked(
        &self,
        changes: &[Change],
        target: &Target<'_>,
        refname: &str,
    ) -> Result<(Oid, Vec<(String, Option<Oid>)>)> {
        // 1. Files, atomically.
        for c in changes {
            let p = self.root().join(&c.path);
            match &c.content {
                Some(text) => write_atomic(&p, text.as_bytes())?,
                None => match std::fs::remove_file(&p) {
                    Ok(()) => remove_empty_dirs(self.root(), &p),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(StoreError::io(p, e)),
                },
            }
        }
        crash_point("files");
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
        // The paths whose index entries must follow the branch, in case we die before they do.
        let note: String = updates.iter().map(|(p, _)| format!("{p}\n")).collect();
        std::fs::write(self.pending_path(), note)
            .map_err(|e| StoreError::io(self.pending_path(), e))?;
        // 3–4. Tree, commit and a compare-and-swap move of the branch; rebuilt on top of
        // whatever moved the branch meanwhile.
        let mut locked_tries = 0;
        let mut attempt = 0;
        while attempt < RETRIES {
            attempt += 1;
            let parent = match repo.find_reference(refname) {
                Ok(r) => Some(r.peel_to_commit()?),
                Err(e) if e.code() == ErrorCode::NotFound => None,
                Err(e) => return Err(e.into()),
            };
            let (oid, log) = match target {
                Target::FastForward { expected, to } => {
                    if parent.as_ref().map(|p| p.id()) != Some(*expected) {
                        return Err(self.moved(refname));
                    }
                    (*to, "kehoach: fast-forward".to_string())
                }
                Target::Commit {
                    message,
                    author,
                    committer,
                    extra_parents,
                    expected,
                } => {
                    if let Some(exp) = expected
                        && parent.as_ref().map(|p| p.id()) != Some(*exp)
                    {
                        return Err(self.moved(refname));
                    }
                    let base_tree = parent.as_ref().map(|c| c.tree()).transpose()?;
                    let tree_id = build_tree(repo, base_tree.as_ref(), &updates)?;
                    let tree = repo.find_tree(tree_id)?;
                    crash_point("objects");
                    let others: Vec<git2::Commit> = extra_parents
                        .iter()
                        .map(|o| repo.find_commit(*o))
                        .collect::<std::result::Result<_, _>>()?;
                    let parents: Vec<&git2::Commit> = parent.iter().chain(others.iter()).collect();
                    let oid = create_commit(repo, author, committer, message, &tree, &parents)?;
                    crash_point("commit");
                    (
                        oid,
                        format!("kehoach: {}", message.lines().next().unwrap_or("")),
                    )
                }
            };
            crash_point("before-ref");
            let moved = match &parent {
                Some(p) => repo.reference_matching(refname, oid, true, p.id(), &log),
                None => repo.reference(refname, oid, false, &log),
            };
            match moved {
                Ok(_) => {
                    crash_point("after-ref");
                    return Ok((oid, updates));
                }
                Err(e) if matches!(e.code(), ErrorCode::Modified | ErrorCode::Exists) => {
                    if matches!(target, Target::FastForward { .. })
                        || matches!(
                            target,
                            Target::Commit {
                                expected: Some(_),
                                ..
                            }
                        )
                    {
                        return Err(self.moved(refname));
                    }
                    continue;
                }
                Err(e) if e.code() == ErrorCode::Locked => {
                    // A git command is updating the branch right now: wait a little for it.
                    locked_tries += 1;
                    if locked_tries > 50 {
                        return Err(StoreError::Locked(
                            repo.path().join(format!("{refname}.lock")),
                        ));
                    }
                    attempt -= 1;
                    std::thread::sleep(std::time::Duration::from_millis(20));
                    continue;
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(self.moved(refname))
    }

    fn moved(&self, refname: &str) -> StoreError {
        StoreError::Moved {
            branch: refname.trim_start_matches("refs/heads/").to_string(),
        }
    }

    /// libgit2 never packs: every save adds loose objects. When there are as many as git's own
    /// `gc.auto` heuristic allows (about 6700, counted in one of the 256 object folders, as git
    /// does), `git gc --auto` is started in the background, as git does after its commands.
    fn maybe_gc(&self) {
        let limit = self
            .repo()
            .config()
            .and_then(|c| c.get_i64("gc.auto"))
            .unwrap_or(6700);
        if limit <= 0 {
            return;
        }
        let dir = self.repo().path().join("objects/17");
        let n = std::fs::read_dir(dir).map(|d| d.count()).unwrap_or(0) as i64;
        if n <= (limit + 255) / 256 {
            return;
        }
        if let Some(workdir) = self.repo().workdir() {
            let _ = std::process::Command::new("git")
                .arg("-C")
                .arg(workdir)
                .args(["gc", "--auto", "--quiet"])
                .stdin(std::process::Stdio::null())
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .map(|mut child| std::thread::spawn(move || child.wait()));
        }
    }

    fn pending_path(&self) -> std::path::PathBuf {
        self.repo().path().join("kehoach-index-pending")
    }

    /// Brings the index entries named in the pending note in step with the branch, where the
    /// work tree file is what the branch holds (a file changed since is left alone). Best effort:
    /// the note stays when this fails.
    fn repair_index(&self) {
        let Ok(note) = std::fs::read_to_string(self.pending_path()) else {
            return;
        };
        let repo = self.repo();
        let (Some(workdir), Ok(head)) = (repo.workdir(), repo.head()) else {
            return;
        };
        let Ok(tree) = head.peel_to_tree() else {
            return;
        };
        let mut fix: Vec<(String, Option<Oid>)> = Vec::new();
        for path in note.lines().filter(|l| !l.is_empty()) {
            let committed = super::history::blob_id(&tree, path);
            let on_disk = std::fs::read(workdir.join(path))
                .ok()
                .map(|b| super::tree::blob_oid(&b));
            match (committed, on_disk) {
                (Some(c), Some(d)) if c == d => fix.push((path.to_string(), Some(c))),
                (None, None) => fix.push((path.to_string(), None)),
                _ => {}
            }
        }
        if self.sync_index(&fix).is_ok() {
            let _ = std::fs::remove_file(self.pending_path());
        }
    }

    fn sync_index(&self, updates: &[(String, Option<Oid>)]) -> Result<()> {
        let repo = self.repo();
        if let Some(workdir) = repo.workdir() {
            let mut fast = Vec::with_capacity(updates.len());
            for (path, oid) in updates {
                let entry = match oid {
                    Some(oid) => {
                        let bytes: [u8; 20] = match oid.as_bytes().try_into() {
                            Ok(b) => b,
                            Err(_) => {
                                fast.clear();
                                break;
                            }
                        };
                        let p = workdir.join(path);
                        let meta = std::fs::metadata(&p).map_err(|e| StoreError::io(p, e))?;
                        Some((bytes, meta))
                    }
                    None => None,
                };
                fast.push(index_file::Update { path, entry });
            }
            if fast.len() == updates.len() {
                match index_file::patch(&repo.path().join("index"), &fast) {
                    Some(Ok(index_file::Outcome::Done)) => return Ok(()),
                    Some(Ok(index_file::Outcome::Locked)) => {
                        return Err(StoreError::Locked(repo.path().join("index.lock")));
                    }
                    Some(Err(e)) => return Err(StoreError::io(repo.path().join("index"), e)),
                    None => {}
                }
            }
        }
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

/// What a write makes of the branch.
enum Target<'a> {
    /// A new commit on top of the branch (rebuilt on top of whatever moved it meanwhile, unless
    /// `expected` pins the parent).
    Commit {
        message: &'a str,
        author: &'a Signature<'a>,
        committer: &'a Signature<'a>,
        extra_parents: &'a [Oid],
        expected: Option<Oid>,
    },
    /// The branch moved forward to an existing commit.
    FastForward { expected: Oid, to: Oid },
}

/// Test hook: `KEHOACH_TEST_CRASH_AT=<step>` kills the process (SIGKILL) at that step of a save:
/// `files` (files written), `objects` (blobs and tree written), `commit` (commit object written),
/// `before-ref`, `after-ref` (branch moved, index not yet updated), `index`. Used by the crash
/// tests to prove that a save killed at any step leaves a repository that works.
fn crash_point(step: &str) {
    if std::env::var_os("KEHOACH_TEST_CRASH_AT").is_some_and(|s| s == step) {
        let _ = std::process::Command::new("kill")
            .args(["-9", &std::process::id().to_string()])
            .status();
        std::process::abort();
    }
}

/// Removes folders left empty by a deleted record, up to the data root.
fn remove_empty_dirs(root: &Path, file: &Path) {
    let mut dir = file.parent();
    while let Some(d) = dir {
        if d == root || !d.starts_with(root) || std::fs::remove_dir(d).is_err() {
            break;
        }
        dir = d.parent();
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

/// Makes a commit object, signed when git config asks for it (`commit.gpgsign`; `gpg.format` =
/// openpgp, ssh or x509; `user.signingkey`; `gpg.program`, `gpg.ssh.program`, `gpg.x509.program`),
/// the way `git commit` signs: the signature goes in the `gpgsig` header.
pub fn create_commit(
    repo: &Repository,
    author: &Signature<'_>,
    committer: &Signature<'_>,
    message: &str,
    tree: &git2::Tree<'_>,
    parents: &[&git2::Commit<'_>],
) -> Result<Oid> {
    let cfg = repo.config()?;
    let sign = cfg.get_bool("commit.gpgsign").unwrap_or(false);
    if !sign {
        return Ok(repo.commit(None, author, committer, message, tree, parents)?);
    }
    let buf = repo.commit_create_buffer(author, committer, message, tree, parents)?;
    let content = buf
        .as_str()
        .map_err(|_| StoreError::Other("commit buffer is not UTF-8".into()))?;
    let signature = sign_buffer(&cfg, content.as_bytes(), committer)?;
    Ok(repo.commit_signed(content, &signature, Some("gpgsig"))?)
}

fn signing_failed(what: impl std::fmt::Display) -> StoreError {
    StoreError::Other(format!(
        "commit.gpgsign is set but the commit could not be signed: {what}; nothing was committed \
         (fix the signing setup, or turn signing off with `git config commit.gpgsign false`)"
    ))
}

fn sign_buffer(cfg: &git2::Config, content: &[u8], committer: &Signature<'_>) -> Result<String> {
    use std::process::{Command, Stdio};
    let format = cfg
        .get_string("gpg.format")
        .unwrap_or_else(|_| "openpgp".into());
    let key = cfg.get_string("user.signingkey").ok();
    let run = |mut cmd: Command, input: Option<&[u8]>| -> Result<Vec<u8>> {
        cmd.stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
        let prog = format!("{:?}", cmd.get_program());
        let mut child = cmd
            .spawn()
            .map_err(|e| signing_failed(format!("cannot run {prog}: {e}")))?;
        if let Some(bytes) = input {
            let mut stdin = child.stdin.take().expect("piped");
            stdin
                .write_all(bytes)
                .map_err(|e| signing_failed(format!("{prog}: {e}")))?;
        }
        let out = child
            .wait_with_output()
            .map_err(|e| signing_failed(format!("{prog}: {e}")))?;
        if !out.status.success() {
            return Err(signing_failed(format!(
                "{prog} failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            )));
        }
        Ok(out.stdout)
    };
    match format.as_str() {
        "ssh" => {
            let program = cfg
                .get_string("gpg.ssh.program")
                .unwrap_or_else(|_| "ssh-keygen".into());
            let key = key.ok_or_else(|| signing_failed("user.signingkey is not set"))?;
            let dir = tempfile::tempdir().map_err(signing_failed)?;
            // A literal public key ("ssh-ed25519 AAAA…" or "key::…") signs through the agent.
            let literal = key.strip_prefix("key::").unwrap_or(&key);
            let (key_file, agent) = if literal.starts_with("ssh-") || literal.starts_with("ecdsa-")
            {
                let f = dir.path().join("key.pub");
                std::fs::write(&f, literal).map_err(signing_failed)?;
                (f, true)
            } else {
                (std::path::PathBuf::from(expand_home(&key)), false)
            };
            let data = dir.path().join("commit");
            std::fs::write(&data, content).map_err(signing_failed)?;
            let mut cmd = Command::new(program);
            cmd.args(["-Y", "sign", "-n", "git", "-f"]).arg(&key_file);
            if agent {
                cmd.arg("-U");
            }
            cmd.arg(&data);
            run(cmd, None)?;
            let sig = std::fs::read_to_string(dir.path().join("commit.sig"))
                .map_err(|e| signing_failed(format!("no signature written: {e}")))?;
            Ok(sig)
        }
        "openpgp" | "x509" => {
            let program = if format == "x509" {
                cfg.get_string("gpg.x509.program")
                    .unwrap_or_else(|_| "gpgsm".into())
            } else {
                cfg.get_string("gpg.openpgp.program")
                    .or_else(|_| cfg.get_string("gpg.program"))
                    .unwrap_or_else(|_| "gpg".into())
            };
            let key = key.unwrap_or_else(|| {
                format!(
                    "{} <{}>",
                    committer.name().unwrap_or(""),
                    committer.email().unwrap_or("")
                )
            });
            let mut cmd = Command::new(program);
            cmd.args(["--status-fd=2", "-bsau", &key]);
            let out = run(cmd, Some(content))?;
            String::from_utf8(out).map_err(|_| signing_failed("the signature is not text"))
        }
        other => Err(signing_failed(format!("unknown gpg.format {other:?}"))),
    }
}

fn expand_home(p: &str) -> String {
    match (p.strip_prefix("~/"), std::env::var("HOME")) {
        (Some(rest), Ok(home)) => format!("{home}/{rest}"),
        _ => p.to_string(),
    }
}

/// A fast path for keeping the git index in step on large repositories: the entries of the
/// written paths are patched in the index file directly (format versions 2 and 3), instead of
/// libgit2 reading, hashing into maps and rewriting 100k entries. Ancestor folders are
/// invalidated in the cache-tree extension; optional extensions that other entries depend on are
/// dropped (git rebuilds them). Anything unexpected returns `None` and the caller falls back to
/// libgit2. The index is replaced through `index.lock` and a rename, as git does.
mod index_file {
    use std::io::Write;
    use std::path::Path;

    /// What to put at a path: a blob id and the file's stat data, or nothing (removed).
    pub struct Update<'a> {
        pub path: &'a str,
        pub entry: Option<([u8; 20], std::fs::Metadata)>,
    }

    pub enum Outcome {
        Done,
        /// `index.lock` exists: someone else is writing the index.
        Locked,
    }

    fn be32(b: &[u8], at: usize) -> Option<u32> {
        Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
    }

    /// Patches the index at `index_path`; None when the fast path does not apply.
    pub fn patch(index_path: &Path, updates: &[Update<'_>]) -> Option<std::io::Result<Outcome>> {
        let data = std::fs::read(index_path).ok()?;
        if data.len() < 12 + 20 || &data[..4] != b"DIRC" {
            return None;
        }
        let version = be32(&data, 4)?;
        if version != 2 && version != 3 {
            return None;
        }
        let count = be32(&data, 8)? as usize;
        // Entries: (start, end, path).
        let mut entries: Vec<(usize, usize)> = Vec::with_capacity(count);
        let mut pos = 12;
        for _ in 0..count {
            let flags = u16::from_be_bytes(data.get(pos + 60..pos + 62)?.try_into().ok()?);
            let extended = flags & 0x4000 != 0;
            if extended && version < 3 {
                return None;
            }
            let name_start = pos + 62 + if extended { 2 } else { 0 };
            let nul = data.get(name_start..)?.iter().position(|b| *b == 0)?;
            let name_end = name_start + nul;
            // Entries are padded with 1–8 NULs to a multiple of 8 bytes.
            let len = name_end - pos;
            let end = pos + (len + 8) / 8 * 8;
            if end > data.len() - 20 {
                return None;
            }
            entries.push((pos, end));
            pos = end;
        }
        let ext_start = pos;
        let body_end = data.len() - 20;
        // Extensions.
        let mut exts: Vec<(&[u8], &[u8])> = Vec::new();
        let mut p = ext_start;
        while p < body_end {
            let sig = data.get(p..p + 4)?;
            let size = be32(&data, p + 4)? as usize;
            let body = data.get(p + 8..p + 8 + size)?;
            if !sig[0].is_ascii_uppercase() {
                // A required extension (split index, sparse …): leave it to libgit2.
                return None;
            }
            exts.push((sig, body));
            p += 8 + size;
        }
        if p != body_end {
            return None;
        }
        let name_of = |&(s, _): &(usize, usize)| -> &[u8] {
            let flags = u16::from_be_bytes([data[s + 60], data[s + 61]]);
            let ns = s + 62 + if flags & 0x4000 != 0 { 2 } else { 0 };
            let nul = data[ns..].iter().position(|b| *b == 0).unwrap_or(0);
            &data[ns..ns + nul]
        };
        let stage_of =
            |&(s, _): &(usize, usize)| (u16::from_be_bytes([data[s + 60], data[s + 61]]) >> 12) & 3;

        // New entries per path; a path with conflict stages is left to libgit2.
        let mut replace: Vec<(usize, Option<Vec<u8>>)> = Vec::new(); // (entry index, new bytes)
        let mut insert: Vec<(usize, Vec<u8>)> = Vec::new(); // (insert before entry index, bytes)
        for u in updates {
            let key = u.path.as_bytes();
            let at = entries.partition_point(|e| name_of(e) < key);
            let existing = entries.get(at).filter(|e| name_of(e) == key);
            // Conflict stages, and entries with extended flags (skip-worktree, intent-to-add),
            // are libgit2's to handle.
            if let Some(e) = existing
                && (stage_of(e) != 0
                    || data[e.0 + 60] & 0x40 != 0
                    || entries.get(at + 1).is_some_and(|n| name_of(n) == key))
            {
                return None;
            }
            let bytes = match &u.entry {
                Some((oid, meta)) => {
                    let mode = existing
                        .map(|&(s, _)| be32(&data, s + 24).unwrap_or(0o100644))
                        .filter(|m| *m == 0o100644 || *m == 0o100755)
                        .unwrap_or(0o100644);
                    Some(entry_bytes(key, oid, meta, mode)?)
                }
                None => None,
            };
            match (existing.is_some(), bytes) {
                (true, b) => replace.push((at, b)),
                (false, Some(b)) => insert.push((at, b)),
                (false, None) => {}
            }
        }
        if replace.is_empty() && insert.is_empty() {
            return Some(Ok(Outcome::Done));
        }
        let mut out = Vec::with_capacity(data.len() + 256);
        out.extend_from_slice(b"DIRC");
        out.extend_from_slice(&version.to_be_bytes());
        let removed = replace.iter().filter(|(_, b)| b.is_none()).count();
        let new_count = count + insert.len() - removed;
        out.extend_from_slice(&(new_count as u32).to_be_bytes());
        insert.sort_by_key(|(i, _)| *i);
        let mut ins = insert.iter().peekable();
        for (i, e) in entries.iter().enumerate() {
            while let Some((_, b)) = ins.next_if(|(at, _)| *at == i) {
                out.extend_from_slice(b);
            }
            match replace.iter().find(|(at, _)| *at == i) {
                Some((_, Some(b))) => out.extend_from_slice(b),
                Some((_, None)) => {}
                None => out.extend_from_slice(&data[e.0..e.1]),
            }
        }
        for (_, b) in ins {
            out.extend_from_slice(b);
        }
        for (sig, body) in exts {
            match sig {
                b"TREE" => {
                    let tree = invalidate_tree(body, updates)?;
                    out.extend_from_slice(b"TREE");
                    out.extend_from_slice(&(tree.len() as u32).to_be_bytes());
                    out.extend_from_slice(&tree);
                }
                b"REUC" => {
                    out.extend_from_slice(sig);
                    out.extend_from_slice(&(body.len() as u32).to_be_bytes());
                    out.extend_from_slice(body);
                }
                // Untracked cache, fsmonitor, end-of-entries and entry offsets describe the
                // old file: dropped, git rebuilds them when it wants them.
                _ => {}
            }
        }
        let skip_hash = data[body_end..].iter().all(|b| *b == 0);
        let trailer = if skip_hash {
            [0u8; 20]
        } else {
            {
                use sha1::Digest;
                sha1::Sha1::digest(&out).into()
            }
        };
        out.extend_from_slice(&trailer);
        let lock = index_path.with_extension("lock");
        let mut f = match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&lock)
        {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                return Some(Ok(Outcome::Locked));
            }
            Err(e) => return Some(Err(e)),
        };
        // Like git (core.fsync's default leaves the index out), no fsync: the index is derived
        // from the commits and can always be rebuilt with `git reset`.
        let written = f
            .write_all(&out)
            .and_then(|_| std::fs::rename(&lock, index_path));
        if let Err(e) = written {
            let _ = std::fs::remove_file(&lock);
            return Some(Err(e));
        }
        Some(Ok(Outcome::Done))
    }

    #[cfg(unix)]
    fn entry_bytes(
        path: &[u8],
        oid: &[u8; 20],
        meta: &std::fs::Metadata,
        mode: u32,
    ) -> Option<Vec<u8>> {
        use std::os::unix::fs::MetadataExt;
        if path.len() >= 0xFFF {
            return None;
        }
        let mut b = Vec::with_capacity(62 + path.len() + 8);
        for v in [
            meta.ctime() as u32,
            meta.ctime_nsec() as u32,
            meta.mtime() as u32,
            meta.mtime_nsec() as u32,
            meta.dev() as u32,
            meta.ino() as u32,
            mode,
            meta.uid(),
            meta.gid(),
            meta.size() as u32,
        ] {
            b.extend_from_slice(&v.to_be_bytes());
        }
        b.extend_from_slice(oid);
        b.extend_from_slice(&(path.len() as u16).to_be_bytes());
        b.extend_from_slice(path);
        let len = b.len();
        b.resize((len + 8) / 8 * 8, 0);
        Some(b)
    }

    #[cfg(not(unix))]
    fn entry_bytes(_: &[u8], _: &[u8; 20], _: &std::fs::Metadata, _: u32) -> Option<Vec<u8>> {
        None
    }

    struct Node {
        name: Vec<u8>,
        entries: i64,
        oid: Option<[u8; 20]>,
        children: Vec<Node>,
    }

    fn parse_node(b: &[u8], pos: &mut usize) -> Option<Node> {
        let nul = b.get(*pos..)?.iter().position(|c| *c == 0)?;
        let name = b[*pos..*pos + nul].to_vec();
        *pos += nul + 1;
        let nl = b.get(*pos..)?.iter().position(|c| *c == b'\n')?;
        let line = std::str::from_utf8(&b[*pos..*pos + nl]).ok()?;
        *pos += nl + 1;
        let (e, s) = line.split_once(' ')?;
        let entries: i64 = e.parse().ok()?;
        let subtrees: usize = s.parse().ok()?;
        let oid = if entries >= 0 {
            let o: [u8; 20] = b.get(*pos..*pos + 20)?.try_into().ok()?;
            *pos += 20;
            Some(o)
        } else {
            None
        };
        let mut children = Vec::with_capacity(subtrees);
        for _ in 0..subtrees {
            children.push(parse_node(b, pos)?);
        }
        Some(Node {
            name,
            entries,
            oid,
            children,
        })
    }

    fn write_node(n: &Node, out: &mut Vec<u8>) {
        out.extend_from_slice(&n.name);
        out.push(0);
        out.extend_from_slice(format!("{} {}\n", n.entries, n.children.len()).as_bytes());
        if let (true, Some(o)) = (n.entries >= 0, &n.oid) {
            out.extend_from_slice(o);
        }
        for c in &n.children {
            write_node(c, out);
        }
    }

    /// The cache-tree with every folder on the updated paths marked as changed.
    fn invalidate_tree(body: &[u8], updates: &[Update<'_>]) -> Option<Vec<u8>> {
        if body.is_empty() {
            return Some(vec![]);
        }
        let mut pos = 0;
        let mut root = parse_node(body, &mut pos)?;
        if pos != body.len() {
            return None;
        }
        for u in updates {
            let mut node = &mut root;
            node.entries = -1;
            node.oid = None;
            let parts: Vec<&str> = u.path.split('/').collect();
            for dir in &parts[..parts.len() - 1] {
                match node
                    .children
                    .iter_mut()
                    .position(|c| c.name == dir.as_bytes())
                {
                    Some(i) => {
                        node = &mut node.children[i];
                        node.entries = -1;
                        node.oid = None;
                    }
                    None => break,
                }
            }
        }
        let mut out = Vec::with_capacity(body.len());
        write_node(&root, &mut out);
        Some(out)
    }
}
