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
        let warning = self.sync_index(&updates).err().map(|e| {
            format!("the commit is saved, but the git index was not updated ({e}); `git status` may show the files as changed until `git reset` is run")
        });
        crash_point("index");
        drop(lock);
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
