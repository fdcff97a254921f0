//! Git operations for review: change branches, merge bases, commits between revisions, blobs at
//! revisions, merge commits with two parents, review requests kept under
//! `refs/kehoach/reviews/<id>` (so that they travel with `git push`), and the `git` CLI for
//! network operations (git2 here has no https/ssh) and signing.
//!
//! Free functions take a `git2::Repository` so that they work in bare repositories too (the
//! pre-receive hook runs in one); [`Store`] methods wrap them for a work tree.

use std::path::Path;
use std::process::{Command, Stdio};

use git2::{ObjectType, Oid, Repository, Signature, TreeWalkMode, TreeWalkResult};

use super::error::{Result, StoreError};
use super::layout::{self, CONFIG_FILE};
use super::load::{Loaded, collect, locate_problems, parse_path_text, sort_diagnostics};
use super::{Store, commit::build_tree};
use crate::model::Config;

/// Where review requests live.
pub const REVIEW_REFS: &str = "refs/kehoach/reviews/";
/// The file inside a review request's commit.
pub const REQUEST_FILE: &str = "request.toml";

/// What a commit says about itself.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CommitMeta {
    pub id: String,
    pub author_name: String,
    pub author_email: String,
    pub committer_name: String,
    pub committer_email: String,
    /// Seconds since the epoch (committer time).
    pub time: i64,
    pub summary: String,
    pub message: String,
    pub parents: Vec<String>,
}

/// Opens the repository around `dir`, bare or not (hooks run with GIT_DIR set).
pub fn open_repository(dir: &Path) -> Result<Repository> {
    if let Ok(r) = Repository::open_from_env() {
        return Ok(r);
    }
    Repository::discover(dir).map_err(|_| StoreError::NotARepository(dir.to_path_buf()))
}

/// Resolves a revision (`main`, `origin/main`, a commit id) to a commit.
pub fn resolve(repo: &Repository, rev: &str) -> Result<Oid> {
    let obj = repo
        .revparse_single(rev)
        .map_err(|_| StoreError::Other(format!("no revision {rev:?} in this repository")))?;
    Ok(obj.peel_to_commit()?.id())
}

/// The best common ancestor of two commits.
pub fn merge_base(repo: &Repository, a: Oid, b: Oid) -> Result<Option<Oid>> {
    match repo.merge_base(a, b) {
        Ok(o) => Ok(Some(o)),
        Err(e) if e.code() == git2::ErrorCode::NotFound => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// The data root inside a commit's tree: "" when kehoach.toml is at the top, "DIR/" when it is
/// in a top-level folder.
pub fn data_prefix(repo: &Repository, commit: Oid) -> Result<Option<String>> {
    let tree = repo.find_commit(commit)?.tree()?;
    if tree.get_name(CONFIG_FILE).is_some() {
        return Ok(Some(String::new()));
    }
    for e in tree.iter() {
        if e.kind() == Some(ObjectType::Tree)
            && let Ok(name) = e.name()
        {
            let sub = repo.find_tree(e.id())?;
            if sub.get_name(CONFIG_FILE).is_some() {
                return Ok(Some(format!("{name}/")));
            }
        }
    }
    Ok(None)
}

/// The text of a file at a commit (repository path); None when absent.
pub fn read_blob(repo: &Repository, commit: Oid, path: &str) -> Result<Option<String>> {
    let tree = repo.find_commit(commit)?.tree()?;
    let entry = match tree.get_path(Path::new(path)) {
        Ok(e) => e,
        Err(e) if e.code() == git2::ErrorCode::NotFound => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let blob = repo.find_blob(entry.id())?;
    Ok(Some(String::from_utf8_lossy(blob.content()).into_owned()))
}

/// The blob id of a file at a commit (repository path); None when absent.
pub fn blob_id(repo: &Repository, commit: Oid, path: &str) -> Result<Option<Oid>> {
    let tree = repo.find_commit(commit)?.tree()?;
    match tree.get_path(Path::new(path)) {
        Ok(e) if e.kind() == Some(ObjectType::Blob) => Ok(Some(e.id())),
        Ok(_) => Ok(None),
        Err(e) if e.code() == git2::ErrorCode::NotFound => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// The bytes of a blob.
pub fn blob_bytes(repo: &Repository, blob: Oid) -> Result<Vec<u8>> {
    Ok(repo.find_blob(blob)?.content().to_vec())
}

/// The configuration (kehoach.toml) at a commit; None when the commit has none or it does not
/// parse.
pub fn config_at(repo: &Repository, commit: Oid, prefix: &str) -> Result<Option<Config>> {
    let Some(text) = read_blob(repo, commit, &format!("{prefix}{CONFIG_FILE}"))? else {
        return Ok(None);
    };
    Ok(toml::from_str(&text).ok())
}

/// Repository paths whose content differs between two commits (`from` None: the empty tree).
pub fn changed_paths(repo: &Repository, from: Option<Oid>, to: Oid) -> Result<Vec<String>> {
    let old = from.map(|f| repo.find_commit(f)?.tree()).transpose()?;
    let new = repo.find_commit(to)?.tree()?;
    let diff = repo.diff_tree_to_tree(old.as_ref(), Some(&new), None)?;
    let mut out = Vec::new();
    for d in diff.deltas() {
        for f in [d.old_file(), d.new_file()] {
            if let Some(p) = f.path().and_then(|p| p.to_str()) {
                let p = p.replace('\\', "/");
                if !out.contains(&p) {
                    out.push(p);
                }
            }
        }
    }
    out.sort();
    Ok(out)
}

pub fn commit_meta(repo: &Repository, oid: Oid) -> Result<CommitMeta> {
    let c = repo.find_commit(oid)?;
    let a = c.author();
    let m = c.committer();
    Ok(CommitMeta {
        id: oid.to_string(),
        author_name: a.name().unwrap_or("").to_string(),
        author_email: a.email().unwrap_or("").to_string(),
        committer_name: m.name().unwrap_or("").to_string(),
        committer_email: m.email().unwrap_or("").to_string(),
        time: c.time().seconds(),
        summary: c.summary().ok().flatten().unwrap_or("").to_string(),
        message: c.message().unwrap_or("").to_string(),
        parents: c.parent_ids().map(|p| p.to_string()).collect(),
    })
}

/// Commits reachable from `tip` but not from `hide`, newest first.
pub fn commits_between(repo: &Repository, tip: Oid, hide: Option<Oid>) -> Result<Vec<CommitMeta>> {
    let mut walk = repo.revwalk()?;
    walk.push(tip)?;
    if let Some(h) = hide {
        walk.hide(h)?;
    }
    walk.set_sorting(git2::Sort::TOPOLOGICAL)?;
    walk.map(|o| commit_meta(repo, o?)).collect()
}

/// The first-parent chain from `tip` back to `stop` (exclusive), newest first, and whether
/// `stop` was reached (None: to the root).
pub fn first_parent_chain(
    repo: &Repository,
    tip: Oid,
    stop: Option<Oid>,
) -> Result<(Vec<Oid>, bool)> {
    let mut out = Vec::new();
    let mut cur = Some(tip);
    while let Some(o) = cur {
        if Some(o) == stop {
            return Ok((out, true));
        }
        out.push(o);
        let c = repo.find_commit(o)?;
        cur = c.parent_id(0).ok();
    }
    Ok((out, stop.is_none()))
}

/// The record files of a commit under the data root: (path relative to the data root, text).
pub fn tree_files(repo: &Repository, commit: Oid, prefix: &str) -> Result<Vec<(String, String)>> {
    let tree = repo.find_commit(commit)?.tree()?;
    let mut out = Vec::new();
    let mut err = None;
    tree.walk(TreeWalkMode::PreOrder, |dir, entry| {
        let Ok(name) = entry.name() else {
            return TreeWalkResult::Ok;
        };
        let full = format!("{dir}{name}");
        if entry.kind() == Some(ObjectType::Tree) {
            let inside = full.starts_with(prefix.trim_end_matches('/'))
                || prefix.starts_with(&format!("{full}/"));
            let rel = full.strip_prefix(prefix).unwrap_or("");
            if !inside || name.starts_with('.') || rel == "schemas" || rel == "target" {
                return TreeWalkResult::Skip;
            }
            return TreeWalkResult::Ok;
        }
        let Some(rel) = full.strip_prefix(prefix) else {
            return TreeWalkResult::Ok;
        };
        if !rel.ends_with(".toml") || name.starts_with('.') {
            return TreeWalkResult::Ok;
        }
        match repo.find_blob(entry.id()) {
            Ok(b) => out.push((
                rel.to_string(),
                String::from_utf8_lossy(b.content()).into_owned(),
            )),
            Err(e) => {
                err = Some(e);
                return TreeWalkResult::Abort;
            }
        }
        TreeWalkResult::Ok
    })?;
    if let Some(e) = err {
        return Err(e.into());
    }
    out.sort();
    Ok(out)
}

/// Reads and checks every record of a commit, as [`super::load_dir`] does for a work tree.
pub fn load_files(files: &[(String, String)]) -> Loaded {
    let mut diagnostics = Vec::new();
    let mut parsed = Vec::new();
    for (rel, text) in files {
        match parse_path_text(rel, text) {
            Ok(r) => parsed.push((rel.clone(), r)),
            Err(d) => diagnostics.extend(d),
        }
    }
    let (config, records) = collect(parsed);
    let problems = crate::model::rules::check(&records);
    diagnostics.extend(locate_problems(problems, |p| {
        files.iter().find(|(r, _)| r == p).map(|(_, t)| t.clone())
    }));
    sort_diagnostics(&mut diagnostics);
    Loaded {
        config,
        records,
        diagnostics,
        files: files.len(),
    }
}

/// Problems that a change brings to the records of commit `target`: `updates` are repository
/// paths with their new content (None: deleted). Records changed are checked on their own and
/// against the records they refer to (read from `target` or the updates); a change to an agency,
/// a plan or kehoach.toml, which many records refer to, or a deletion, checks every record and
/// reports only problems `target` did not already have.
pub fn validate_update(
    repo: &Repository,
    target: Oid,
    prefix: &str,
    updates: &[(String, Option<Vec<u8>>)],
) -> Result<Vec<super::Diagnostic>> {
    use std::collections::{BTreeMap, BTreeSet};
    let mut changed: BTreeMap<String, Option<String>> = BTreeMap::new();
    for (path, content) in updates {
        let Some(rel) = path.strip_prefix(prefix) else {
            continue;
        };
        let skipped = rel.starts_with('.')
            || rel.contains("/.")
            || rel.starts_with("schemas/")
            || rel.starts_with("target/")
            || !rel.ends_with(".toml");
        if !skipped {
            changed.insert(
                rel.to_string(),
                content
                    .as_ref()
                    .map(|b| String::from_utf8_lossy(b).into_owned()),
            );
        }
    }
    // Deleting a record may break those that refer to it: check everything then too.
    let broad = changed.iter().any(|(rel, text)| {
        text.is_none()
            || matches!(
                layout::classify(rel),
                Some(layout::Kind::Agency | layout::Kind::Plan | layout::Kind::Config)
            )
    });
    if broad {
        let before = tree_files(repo, target, prefix)?;
        let mut after: BTreeMap<String, String> = before.iter().cloned().collect();
        for (rel, text) in &changed {
            match text {
                Some(t) => after.insert(rel.clone(), t.clone()),
                None => after.remove(rel),
            };
        }
        let after: Vec<(String, String)> = after.into_iter().collect();
        let old: BTreeSet<(String, String, String)> = load_files(&before)
            .diagnostics
            .into_iter()
            .map(|d| (d.path, d.field, d.message))
            .collect();
        return Ok(load_files(&after)
            .diagnostics
            .into_iter()
            .filter(|d| !old.contains(&(d.path.clone(), d.field.clone(), d.message.clone())))
            .collect());
    }
    // The changed records, then the records they refer to.
    let mut texts: BTreeMap<String, String> = BTreeMap::new();
    let mut diagnostics = Vec::new();
    let mut parsed = Vec::new();
    for (rel, text) in &changed {
        let Some(t) = text else { continue };
        texts.insert(rel.clone(), t.clone());
        match parse_path_text(rel, t) {
            Ok(r) => parsed.push((rel.clone(), r)),
            Err(d) => diagnostics.extend(d),
        }
    }
    let mut refs: BTreeSet<String> = BTreeSet::new();
    for (_, r) in &parsed {
        match r {
            super::Record::Assignment(a) => {
                refs.insert(layout::plan_path(&a.plan));
                refs.insert(layout::agency_path(&a.lead));
                refs.extend(a.coordinating.iter().map(|c| layout::agency_path(c)));
            }
            super::Record::Report(r) => {
                refs.insert(layout::plan_path(&r.plan));
                refs.insert(layout::agency_path(&r.agency));
                refs.extend(
                    r.entries
                        .iter()
                        .map(|e| layout::assignment_path(&r.plan, &e.assignment)),
                );
            }
            _ => {}
        }
    }
    for rel in refs {
        if changed.contains_key(&rel) {
            continue;
        }
        if let Some(t) = read_blob(repo, target, &format!("{prefix}{rel}"))?
            && let Ok(r) = parse_path_text(&rel, &t)
        {
            texts.insert(rel.clone(), t);
            parsed.push((rel, r));
        }
    }
    let (_, set) = collect(parsed);
    let problems: Vec<_> = crate::model::rules::check(&set)
        .into_iter()
        .filter(|p| changed.contains_key(&p.path))
        .collect();
    diagnostics.extend(locate_problems(problems, |p| texts.get(p).cloned()));
    sort_diagnostics(&mut diagnostics);
    Ok(diagnostics)
}

/// Writes a commit whose tree is `base`'s with `updates` (repository paths, None: delete), with
/// the given parents. Signs it through `git commit-tree -S` when `sign` is set.
#[allow(clippy::too_many_arguments)]
pub fn write_commit(
    repo: &Repository,
    base: Oid,
    updates: &[(String, Option<Vec<u8>>)],
    parents: &[Oid],
    message: &str,
    author: &Signature<'_>,
    committer: &Signature<'_>,
    sign: bool,
) -> Result<Oid> {
    let base_tree = repo.find_commit(base)?.tree()?;
    let mut objs = Vec::new();
    for (p, t) in updates {
        objs.push((p.clone(), t.as_ref().map(|t| repo.blob(t)).transpose()?));
    }
    let tree_id = build_tree(repo, Some(&base_tree), &objs)?;
    if sign {
        let dir = repo.workdir().unwrap_or(repo.path()).to_path_buf();
        let mut args: Vec<String> = vec!["commit-tree".into(), tree_id.to_string()];
        for p in parents {
            args.push("-p".into());
            args.push(p.to_string());
        }
        args.push("-S".into());
        args.push("-F".into());
        args.push("-".into());
        let sig_env = |s: &Signature<'_>, who: &str| -> Vec<(String, String)> {
            vec![
                (
                    format!("GIT_{who}_NAME"),
                    s.name().unwrap_or("").to_string(),
                ),
                (
                    format!("GIT_{who}_EMAIL"),
                    s.email().unwrap_or("").to_string(),
                ),
            ]
        };
        let mut env = sig_env(author, "AUTHOR");
        env.extend(sig_env(committer, "COMMITTER"));
        let out = git_with_input(&dir, &args, &env, message)?;
        return Oid::from_str(out.trim()).map_err(|e| e.into());
    }
    let tree = repo.find_tree(tree_id)?;
    let parent_commits: Vec<git2::Commit> = parents
        .iter()
        .map(|p| repo.find_commit(*p))
        .collect::<std::result::Result<_, _>>()?;
    let refs: Vec<&git2::Commit> = parent_commits.iter().collect();
    Ok(repo.commit(None, author, committer, message, &tree, &refs)?)
}

/// Moves (or creates) a reference only if it is still at `expected` (None: must not exist).
pub fn move_ref(
    repo: &Repository,
    refname: &str,
    new: Oid,
    expected: Option<Oid>,
    log: &str,
) -> Result<()> {
    let r = match expected {
        Some(old) => repo.reference_matching(refname, new, true, old, log),
        None => repo.reference(refname, new, false, log),
    };
    match r {
        Ok(_) => Ok(()),
        Err(e)
            if matches!(
                e.code(),
                git2::ErrorCode::Modified | git2::ErrorCode::Exists
            ) =>
        {
            Err(StoreError::Moved {
                branch: refname.trim_start_matches("refs/heads/").to_string(),
            })
        }
        Err(e) => Err(e.into()),
    }
}

/// Whether commits are to be signed (`commit.gpgsign`).
pub fn signing_configured(repo: &Repository) -> bool {
    repo.config()
        .and_then(|c| c.get_bool("commit.gpgsign"))
        .unwrap_or(false)
}

/// Runs the git CLI in `dir`; stdout on success, stderr in the error.
pub fn git(dir: &Path, args: &[&str]) -> Result<String> {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    git_with_input(dir, &args, &[], "")
}

fn git_with_input(
    dir: &Path,
    args: &[String],
    env: &[(String, String)],
    input: &str,
) -> Result<String> {
    use std::io::Write;
    let mut cmd = Command::new("git");
    cmd.current_dir(dir)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Hooks set these for the repository they run in; a child git must find its own.
        .env_remove("GIT_QUARANTINE_PATH");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd
        .spawn()
        .map_err(|e| StoreError::Other(format!("cannot run git: {e}")))?;
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(input.as_bytes());
    }
    let out = child
        .wait_with_output()
        .map_err(|e| StoreError::Other(format!("cannot run git: {e}")))?;
    if !out.status.success() {
        return Err(StoreError::Other(format!(
            "git {} failed: {}",
            args.first().map(String::as_str).unwrap_or(""),
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The remote to push to and fetch from: `origin` when there is one, else the only remote.
pub fn default_remote(repo: &Repository) -> Option<String> {
    let remotes = repo.remotes().ok()?;
    let names: Vec<String> = remotes
        .iter()
        .flatten()
        .flatten()
        .map(String::from)
        .collect();
    if names.iter().any(|n| n == "origin") {
        return Some("origin".into());
    }
    (names.len() == 1).then(|| names[0].clone())
}

/// The ids of the review requests in the repository, ascending.
pub fn review_ids(repo: &Repository) -> Result<Vec<u64>> {
    let mut ids: Vec<u64> = repo
        .references_glob(&format!("{REVIEW_REFS}*"))?
        .flatten()
        .filter_map(|r| {
            r.name()
                .ok()
                .and_then(|n| n.strip_prefix(REVIEW_REFS))
                .and_then(|s| s.parse().ok())
        })
        .collect();
    ids.sort_unstable();
    Ok(ids)
}

/// A review request's text and the commit that holds it.
pub fn read_review(repo: &Repository, id: u64) -> Result<Option<(Oid, String)>> {
    let r = match repo.find_reference(&format!("{REVIEW_REFS}{id}")) {
        Ok(r) => r,
        Err(e) if e.code() == git2::ErrorCode::NotFound => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let c = r.peel_to_commit()?;
    Ok(read_blob(repo, c.id(), REQUEST_FILE)?.map(|t| (c.id(), t)))
}

/// Records a new version of a review request: a commit holding request.toml, on top of the
/// previous version, so that `git log refs/kehoach/reviews/ID` is its history.
pub fn write_review(
    repo: &Repository,
    id: u64,
    text: &str,
    message: &str,
    who: &Signature<'_>,
    expected: Option<Oid>,
) -> Result<Oid> {
    let blob = repo.blob(text.as_bytes())?;
    let mut tb = repo.treebuilder(None)?;
    tb.insert(REQUEST_FILE, blob, git2::FileMode::Blob.into())?;
    let tree = repo.find_tree(tb.write()?)?;
    let parent = expected.map(|o| repo.find_commit(o)).transpose()?;
    let parents: Vec<&git2::Commit> = parent.iter().collect();
    let oid = repo.commit(None, who, who, message, &tree, &parents)?;
    let refname = format!("{REVIEW_REFS}{id}");
    move_ref(
        repo,
        &refname,
        oid,
        expected,
        &format!("kehoach: review {id}"),
    )
    .map_err(|_| {
        StoreError::Other(format!(
            "review {id} changed while it was being saved; run the command again"
        ))
    })?;
    Ok(oid)
}

/// The short name of a branch (`review/thu/a01` for `refs/heads/review/thu/a01`).
pub fn short_branch(refname: &str) -> &str {
    refname.trim_start_matches("refs/heads/")
}

/// A name usable in a branch name: lowercase ASCII letters, digits and '-'.
pub fn branch_slug(s: &str) -> String {
    let s = crate::model::slugify(s);
    let s: String = s.chars().take(40).collect();
    let s = s.trim_matches('-').to_string();
    if s.is_empty() { "change".into() } else { s }
}

/// The topic of a change branch from a commit message: the record id of `<verb> <kind> <id>:
/// …` (`a01`, `2025-h1-so-y-te`), else the subject.
pub fn change_topic(message: &str) -> String {
    let subject = message.lines().next().unwrap_or("");
    match subject.split_once(':') {
        Some((head, _)) => match head.split_whitespace().collect::<Vec<_>>().as_slice() {
            [_, _, id] => branch_slug(id),
            _ => branch_slug(head),
        },
        None => branch_slug(subject),
    }
}

impl Store {
    /// The data repository's settings, read from the work tree.
    pub fn config(&self) -> Result<Config> {
        let text = self.read(CONFIG_FILE)?;
        toml::from_str(&text).map_err(|e| StoreError::Field {
            record: CONFIG_FILE.into(),
            message: format!("does not parse: {}", e.message()),
        })
    }

    /// The branch HEAD is on (`main`), None when detached.
    pub fn current_branch(&self) -> Option<String> {
        self.head_ref_name()
            .ok()
            .map(|r| short_branch(&r).to_string())
    }

    /// The work tree folder.
    pub fn workdir(&self) -> &Path {
        self.repo()
            .workdir()
            .expect("Store::open refuses bare repositories")
    }

    /// Runs the git CLI in the work tree.
    pub fn git(&self, args: &[&str]) -> Result<String> {
        git(self.workdir(), args)
    }

    /// Item 1 of review: when HEAD is on the protected branch (and the policy names reviewers),
    /// creates `review/<user>/<topic>` at HEAD and switches to it, so that the edit about to be
    /// committed lands there and not on the protected branch. Returns the branch made, if any.
    /// The work tree and index do not change (the new branch is at the same commit).
    /// [`Store::commit`] calls it, so every writer (set, new, the TUI, revert …) is covered;
    /// [`Store::commit_as`] does not (`kehoach init` and the demo build main themselves).
    pub fn ensure_change_branch(&self, topic: &str) -> Result<Option<String>> {
        let Ok(cfg) = self.config() else {
            return Ok(None);
        };
        let policy = &cfg.review;
        if policy.reviewers.is_empty() {
            return Ok(None);
        }
        let head = self.head_ref_name()?;
        if short_branch(&head) != policy.protected_branch {
            return Ok(None);
        }
        let repo = self.repo();
        let Ok(tip) = repo.find_reference(&head).and_then(|r| r.peel_to_commit()) else {
            // An unborn protected branch: the first commit makes the repository.
            return Ok(None);
        };
        let email = self.author()?.email().unwrap_or("").to_string();
        let user = branch_slug(email.split('@').next().unwrap_or("user"));
        let topic = branch_slug(topic);
        let mut name = format!("review/{user}/{topic}");
        let mut n = 2;
        while repo.find_reference(&format!("refs/heads/{name}")).is_ok() {
            name = format!("review/{user}/{topic}-{n}");
            n += 1;
        }
        let refname = format!("refs/heads/{name}");
        repo.reference(&refname, tip.id(), false, "kehoach: change branch")?;
        repo.set_head(&refname)?;
        Ok(Some(name))
    }

    /// After `branch` moved from `old` to `new`: when HEAD is on it, brings the work tree files
    /// and index entries of the paths that changed in step (the caller checked they were clean).
    pub fn update_checkout(&self, branch: &str, old: Oid, new: Oid) -> Result<()> {
        if self.current_branch().as_deref() != Some(branch) {
            return Ok(());
        }
        let repo = self.repo();
        let paths = changed_paths(repo, Some(old), new)?;
        let workdir = self.workdir().to_path_buf();
        let mut index = repo.index()?;
        for p in &paths {
            let file = workdir.join(p);
            match read_blob(repo, new, p)? {
                Some(text) => {
                    super::commit::write_atomic(&file, text.as_bytes())?;
                    index.add_path(Path::new(p))?;
                }
                None => {
                    let _ = std::fs::remove_file(&file);
                    let _ = index.remove_path(Path::new(p));
                }
            }
        }
        index.write()?;
        Ok(())
    }

    /// Paths of the work tree with uncommitted changes (repository paths).
    pub fn dirty_paths(&self) -> Result<Vec<String>> {
        let mut opts = git2::StatusOptions::new();
        opts.include_untracked(false);
        let st = self.repo().statuses(Some(&mut opts))?;
        Ok(st
            .iter()
            .filter(|s| !s.status().is_ignored())
            .filter_map(|s| s.path().ok().map(String::from))
            .collect())
    }
}

/// The policy start: the `since` commit of kehoach.toml, if set.
pub fn policy_since(cfg: &Config) -> Option<&str> {
    (!cfg.review.since.is_empty()).then_some(cfg.review.since.as_str())
}

/// A config path inside the data root, for callers that build repository paths.
pub fn config_path(prefix: &str) -> String {
    format!("{prefix}{}", layout::CONFIG_FILE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topics_come_from_the_record_id() {
        assert_eq!(
            change_topic("update assignment a01: due: x → y\n\nbody"),
            "a01"
        );
        assert_eq!(
            change_topic("update report 2025-h1/so-y-te: entries"),
            "2025-h1-so-y-te"
        );
        assert_eq!(change_topic("Sửa dữ liệu"), "sua-du-lieu");
    }
}
