//! Review requests, approval policy, structural merge and audit.
//!
//! No change reaches the protected branch (`main`) without approval. Edits made while on it land
//! on a change branch `review/<user>/<topic>` ([`crate::store::Store::ensure_change_branch`]);
//! the author submits a review request; a reviewer allowed by the policy approves it, which
//! merges the branch with a merge commit carrying `Review:`, `Reviewed-by:` and `Approved-by:`
//! trailers; `kehoach audit` and the pre-receive hook check the history against the policy.
//!
//! # API (for the CLI and the TUI's Reviews screen)
//!
//! Everything takes a [`Store`] (a work tree); nothing prints.
//!
//! | what | call |
//! |---|---|
//! | get the remote's requests and branches (no-op without a remote; errors are warnings) | [`sync`] |
//! | the queue | [`list`] → `Vec<`[`Summary`]`>` (author, records touched, age, state, merges cleanly) |
//! | one request: field-level diff against the merge base, validation of the merged result, conflicts, who may approve | [`show`] → [`Details`] |
//! | ask for review (new request, or resubmit the branch's open one) | [`submit`] |
//! | the branch being worked on (change branch or protected) and its request, for a status bar | [`branch_state`] → [`BranchState`] (`line_vi`/`line_en`) |
//! | approve (merges when enough approvals; conflicts settled by `resolutions`) | [`approve`] → [`Approval`] |
//! | ask for changes / reject, with a required reason | [`request_changes`], [`reject`] |
//! | the merge with some conflicts settled (remaining conflicts, validity, merged texts) | [`preview`] → [`MergePreview`] |
//! | per-field conflicts of a request, and settling them | [`Details::conflicts`] ([`merge::FieldConflict`]: record path + field + base/ours/theirs), [`Resolution`] with [`merge::Choice`] `Ours`/`Theirs`/`Value(text)` passed to [`approve`] |
//! | offline transport | [`bundle`], [`import`] |
//! | policy | [`policy::eligible`], [`policy::refusal`], [`policy::codeowners`] |
//! | audit | [`audit::audit`], [`audit::check_commit`], [`hook::pre_receive`] |
//! | CI check of a branch against a base | [`check_branch`] |
//! | the merge itself, on texts | [`merge::merge_file`], [`merge::resolve`] |
//!
//! Review requests live in git under `refs/kehoach/reviews/<id>` (see [`request`]) and are pushed
//! and fetched with the branches, so a bare repository reached over SSH is all a team needs.

pub mod audit;
pub mod hook;
pub use crate::model::merge;
pub mod policy;
pub mod request;

use std::path::Path;

use git2::Oid;

use crate::model::ReviewPolicy;
use crate::model::fields::{FieldChange, diff};
use crate::store::branches::{self, CommitMeta};
use crate::store::{Diagnostic, Store, StoreError};
use merge::{Choice, FieldConflict};
use policy::Refusal;
pub use request::{Event, Request, State};

/// Errors of review operations; each says why, and [`ReviewError::hint`] what to do.
#[derive(Debug, thiserror::Error)]
pub enum ReviewError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("no review request {0}")]
    NotFound(u64),
    #[error("review {id} is {state}; only open requests can be {what}")]
    Closed {
        id: u64,
        state: State,
        what: &'static str,
    },
    #[error("you may not approve review {id}: {refusal}")]
    Refused { id: u64, refusal: Refusal },
    #[error("review {id} does not merge cleanly: {} conflict{}", conflicts.len(), if conflicts.len() == 1 { "" } else { "s" })]
    Conflicts {
        id: u64,
        conflicts: Vec<FieldConflict>,
    },
    #[error("the merged result of review {id} is not valid: {} problem{}", diagnostics.len(), if diagnostics.len() == 1 { "" } else { "s" })]
    Invalid {
        id: u64,
        diagnostics: Vec<Diagnostic>,
    },
    #[error("{0}")]
    Usage(String),
    #[error("review request {id} is damaged: {message}")]
    Damaged { id: u64, message: String },
}

impl ReviewError {
    pub fn hint(&self) -> Option<String> {
        Some(match self {
            ReviewError::Store(e) => return e.hint(),
            ReviewError::NotFound(_) => "`kehoach review list --all` shows every request".into(),
            ReviewError::Refused { id, refusal } => match refusal {
                Refusal::SelfApproval { .. } => format!(
                    "ask another reviewer: `kehoach review show {id}` lists who may approve"
                ),
                _ => format!("`kehoach review show {id}` lists who may approve"),
            },
            ReviewError::Conflicts { id, .. } => format!(
                "settle each field with --resolve 'PATH:FIELD=ours|theirs|value:TEXT' (see `kehoach review show {id}`), or ask the author to update the branch"
            ),
            ReviewError::Invalid { .. } => {
                "ask for changes with `kehoach review request-changes ID --reason …`".into()
            }
            _ => return None,
        })
    }
}

pub type Result<T, E = ReviewError> = std::result::Result<T, E>;

/// A settled conflict: the record (path relative to the data root), the field and the choice.
#[derive(Debug, Clone)]
pub struct Resolution {
    pub path: String,
    pub field: String,
    pub choice: Choice,
}

impl std::str::FromStr for Resolution {
    type Err = String;
    /// `PATH:FIELD=ours|theirs|value:TEXT`.
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        let (path, rest) = s
            .split_once(':')
            .ok_or("write PATH:FIELD=CHOICE, e.g. plans/p/assignments/a01.toml:due=theirs")?;
        let (field, choice) = rest
            .split_once('=')
            .ok_or("write PATH:FIELD=CHOICE, with CHOICE ours, theirs or value:TEXT")?;
        Ok(Resolution {
            path: path.trim().to_string(),
            field: field.trim().to_string(),
            choice: choice.parse()?,
        })
    }
}

/// One line of the queue.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Summary {
    pub id: u64,
    pub title: String,
    pub author: String,
    pub author_email: String,
    pub branch: String,
    pub state: State,
    /// Records (paths relative to the data root) the change touches.
    pub records: Vec<String>,
    /// Seconds since the request was made.
    pub age_seconds: i64,
    /// Whether it still merges without conflicts (None for closed requests or when the branch
    /// is missing).
    pub merges_cleanly: Option<bool>,
    pub approvals: usize,
}

/// The changes of one record.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RecordDiff {
    pub path: String,
    /// added, modified, deleted.
    pub status: &'static str,
    pub changes: Vec<FieldChange>,
}

/// Everything about one request.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Details {
    pub request: Request,
    /// The merge base of the branch and the target.
    pub base: String,
    /// The target's tip the merge would land on.
    pub target_tip: String,
    /// Field-level diff of the branch against the merge base.
    pub diff: Vec<RecordDiff>,
    pub commits: Vec<CommitMeta>,
    /// Conflicts with the target as it is now.
    pub conflicts: Vec<FieldConflict>,
    /// Problems of the merged result that the target does not already have.
    pub problems: Vec<Diagnostic>,
    /// Reviewers who may approve (name, email).
    pub may_approve: Vec<(String, String)>,
    pub approvals_needed: u32,
    pub approved_by: Vec<(String, String)>,
}

/// What an approval did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Approval {
    pub request: Request,
    /// The merge commit, when the approval completed the request.
    pub merge_commit: Option<String>,
    pub approvals: usize,
    pub needed: u32,
    pub warnings: Vec<String>,
}

/// What a submission did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Submitted {
    pub request: Request,
    pub new: bool,
    pub pushed_to: Option<String>,
    /// The repository has a remote to push to (whether or not the push went through).
    pub has_remote: bool,
    pub warnings: Vec<String>,
}

fn now() -> i64 {
    jiff::Timestamp::now().as_second()
}

fn oid(s: &str) -> Result<Oid> {
    Oid::from_str(s).map_err(|e| ReviewError::Store(e.into()))
}

/// Fetches branches and review requests from the default remote. Returns warnings (an offline
/// remote is not an error).
pub fn sync(store: &Store) -> Vec<String> {
    let Some(remote) = branches::default_remote(store.repo()) else {
        return vec![];
    };
    let mut warnings = vec![];
    if let Err(e) = store.git(&[
        "fetch",
        "--quiet",
        &remote,
        &format!("+refs/heads/*:refs/remotes/{remote}/*"),
        &format!("{}*:{}*", branches::REVIEW_REFS, branches::REVIEW_REFS),
    ]) {
        warnings.push(format!("could not fetch from {remote}: {e}"));
    }
    warnings
}

/// Pushes refs to the default remote when there is one; returns the remote pushed to.
fn push(store: &Store, refspecs: &[String], warnings: &mut Vec<String>) -> Option<String> {
    let remote = branches::default_remote(store.repo())?;
    let mut args = vec!["push", "--quiet", "--atomic", remote.as_str()];
    args.extend(refspecs.iter().map(String::as_str));
    match store.git(&args) {
        Ok(_) => Some(remote),
        Err(e) => {
            warnings.push(format!("not pushed to {remote}: {e}"));
            None
        }
    }
}

/// Reads one request.
pub fn load(store: &Store, id: u64) -> Result<(Oid, Request)> {
    let (commit, text) =
        branches::read_review(store.repo(), id)?.ok_or(ReviewError::NotFound(id))?;
    let req = Request::from_toml(&text).map_err(|message| ReviewError::Damaged { id, message })?;
    Ok((commit, req))
}

fn save(store: &Store, req: &Request, prev: Option<Oid>, message: &str) -> Result<Oid> {
    let who = store.author()?;
    Ok(branches::write_review(
        store.repo(),
        req.id,
        &req.to_toml(),
        message,
        &who,
        prev,
    )?)
}

fn policy_of(store: &Store) -> Result<ReviewPolicy> {
    Ok(store.config()?.review)
}

/// The tip of the target branch: the remote's when it is ahead of the local branch (which is
/// then fast-forwarded), else the local one.
fn target_tip(store: &Store, target: &str) -> Result<Oid> {
    let repo = store.repo();
    let local_ref = format!("refs/heads/{target}");
    let local = repo
        .find_reference(&local_ref)
        .ok()
        .and_then(|r| r.target());
    let remote = branches::default_remote(repo).and_then(|r| {
        repo.find_reference(&format!("refs/remotes/{r}/{target}"))
            .ok()
            .and_then(|r| r.target())
    });
    match (local, remote) {
        (Some(l), Some(r)) if l != r => {
            if repo.graph_descendant_of(r, l).map_err(StoreError::from)? {
                // Behind the remote: fast-forward, keeping the work tree in step when checked out.
                check_clean(store, target, l, r)?;
                branches::move_ref(repo, &local_ref, r, Some(l), "kehoach: fast-forward")?;
                store.update_checkout(target, l, r)?;
                Ok(r)
            } else if repo.graph_descendant_of(l, r).map_err(StoreError::from)? {
                Ok(l)
            } else {
                Err(ReviewError::Usage(format!(
                    "{target} and the remote's {target} have diverged; run `git pull` on {target} first"
                )))
            }
        }
        (Some(l), _) => Ok(l),
        (None, Some(r)) => {
            branches::move_ref(repo, &local_ref, r, None, "kehoach: track remote")?;
            Ok(r)
        }
        (None, None) => Err(ReviewError::Usage(format!("there is no branch {target}"))),
    }
}

/// Refuses to move a checked-out branch over uncommitted changes to the files it changes.
fn check_clean(store: &Store, branch: &str, old: Oid, new: Oid) -> Result<()> {
    if store.current_branch().as_deref() != Some(branch) {
        return Ok(());
    }
    let changed = branches::changed_paths(store.repo(), Some(old), new)?;
    let dirty: Vec<String> = store
        .dirty_paths()?
        .into_iter()
        .filter(|p| changed.contains(p))
        .collect();
    if dirty.is_empty() {
        Ok(())
    } else {
        Err(ReviewError::Usage(format!(
            "uncommitted changes in {} would be overwritten; commit or discard them first",
            dirty.join(", ")
        )))
    }
}

/// The merge of a request's head into a target tip, not yet committed.
struct Planned {
    base: Oid,
    /// Repository path → merged content (None: deleted), for paths where the result differs
    /// from the target.
    updates: Vec<(String, Option<Vec<u8>>)>,
    conflicts: Vec<FieldConflict>,
}

/// Bytes as text when they are UTF-8.
fn utf8(bytes: Option<Vec<u8>>) -> std::result::Result<Option<String>, ()> {
    bytes
        .map(|b| String::from_utf8(b).map_err(|_| ()))
        .transpose()
}

fn plan_merge(
    store: &Store,
    target: Oid,
    head: Oid,
    resolutions: &[Resolution],
) -> Result<Planned> {
    let repo = store.repo();
    let base = branches::merge_base(repo, target, head)?
        .ok_or_else(|| ReviewError::Usage("the branch and the target share no history".into()))?;
    let prefix = store.prefix();
    let mut updates = Vec::new();
    let mut conflicts = Vec::new();
    let bytes = |id: Option<Oid>| -> Result<Option<Vec<u8>>> {
        Ok(id.map(|i| branches::blob_bytes(repo, i)).transpose()?)
    };
    for path in branches::changed_paths(repo, Some(base), head)? {
        let b_id = branches::blob_id(repo, base, &path)?;
        let o_id = branches::blob_id(repo, target, &path)?;
        let t_id = branches::blob_id(repo, head, &path)?;
        // One side changed the file: take it as it is (any kind of file).
        if o_id == t_id || b_id == t_id {
            continue;
        }
        if b_id == o_id {
            updates.push((path, bytes(t_id)?));
            continue;
        }
        let rel = path.strip_prefix(prefix).unwrap_or(&path).to_string();
        let whole = |note: String, o: Option<String>, t: Option<String>| FieldConflict {
            path: rel.clone(),
            field: String::new(),
            note,
            steps: vec![],
            base: None,
            ours: o,
            theirs: t,
            ours_value: None,
            theirs_value: None,
        };
        let (Ok(b), Ok(o), Ok(t)) = (utf8(bytes(b_id)?), utf8(bytes(o_id)?), utf8(bytes(t_id)?))
        else {
            conflicts.push(whole("not text, changed on both sides".into(), None, None));
            continue;
        };
        let fm = match merge::merge_file(&rel, b.as_deref(), o.as_deref(), t.as_deref()) {
            Ok(fm) => fm,
            Err(e) => merge::FileMerge {
                text: o.clone(),
                conflicts: vec![whole(e.to_string(), o.clone(), t.clone())],
            },
        };
        let mut text = fm.text;
        for c in fm.conflicts {
            match resolutions
                .iter()
                .find(|r| r.path == c.path && r.field == c.field)
            {
                Some(r) => {
                    let current = text.clone().unwrap_or_default();
                    let settled = merge::resolve(&current, &c, &r.choice)
                        .map_err(|m| ReviewError::Usage(format!("{}: {m}", c.name())))?;
                    text = if c.steps.is_empty() && r.choice == Choice::Theirs && c.theirs.is_none()
                    {
                        None
                    } else {
                        Some(settled)
                    };
                }
                None => conflicts.push(c),
            }
        }
        if text != o {
            updates.push((path, text.map(String::into_bytes)));
        }
    }
    Ok(Planned {
        base,
        updates,
        conflicts,
    })
}

/// Problems of the merged result that the target does not already have.
fn merged_problems(
    store: &Store,
    target: Oid,
    updates: &[(String, Option<Vec<u8>>)],
) -> Result<Vec<Diagnostic>> {
    Ok(branches::validate_update(
        store.repo(),
        target,
        store.prefix(),
        updates,
    )?)
}

/// The records a planned merge writes, relative to the data root.
fn touched_records(store: &Store, planned: &Planned) -> Vec<String> {
    let paths: Vec<String> = planned.updates.iter().map(|(p, _)| p.clone()).collect();
    record_paths(store, &paths)
}

fn record_paths(store: &Store, repo_paths: &[String]) -> Vec<String> {
    repo_paths
        .iter()
        .map(|p| p.strip_prefix(store.prefix()).unwrap_or(p).to_string())
        .collect()
}

/// Authors (emails) of the commits a merge of `head` into `target` brings in.
fn authors(store: &Store, head: Oid, target: Oid) -> Result<Vec<String>> {
    Ok(branches::commits_between(store.repo(), head, Some(target))?
        .into_iter()
        .map(|c| c.author_email)
        .collect())
}

/// Asks for review of the current branch (or resubmits its open request).
pub fn submit(
    store: &Store,
    title: Option<&str>,
    message: Option<&str>,
    draft: bool,
) -> Result<Submitted> {
    let mut warnings = sync(store);
    let policy = policy_of(store)?;
    let repo = store.repo();
    let branch = store.current_branch().ok_or_else(|| {
        ReviewError::Usage("HEAD is detached: switch to the change branch first".into())
    })?;
    if branch == policy.protected_branch {
        return Err(ReviewError::Usage(format!(
            "you are on {branch}, the protected branch: edit a record first (kehoach moves the work to a change branch), or `git switch` to one"
        )));
    }
    let head = branches::resolve(repo, &format!("refs/heads/{branch}"))?;
    let target = target_tip(store, &policy.protected_branch)?;
    if branches::commits_between(repo, head, Some(target))?.is_empty() {
        return Err(ReviewError::Usage(format!(
            "{branch} has no commits that {} lacks: nothing to review",
            policy.protected_branch
        )));
    }
    let me = store.author()?;
    let (name, email) = (
        me.name().unwrap_or("").to_string(),
        me.email().unwrap_or("").to_string(),
    );
    let event = |kind: &str, msg: &str| Event {
        kind: kind.into(),
        name: name.clone(),
        email: email.clone(),
        at: now(),
        message: msg.to_string(),
        commit: head.to_string(),
    };
    // The branch's open request, if any.
    let mut existing = None;
    for id in branches::review_ids(repo)? {
        if let Ok((c, r)) = load(store, id)
            && r.branch == branch
            && r.state.is_open()
        {
            existing = Some((c, r));
        }
    }
    let state = if draft { State::Draft } else { State::InReview };
    let (req, prev, new, log) = match existing {
        Some((c, mut r)) => {
            if let Some(t) = title {
                r.title = t.to_string();
            }
            if let Some(m) = message {
                r.description = m.to_string();
            }
            r.head = head.to_string();
            r.state = state;
            r.updated = now();
            r.events.push(event("resubmitted", message.unwrap_or("")));
            let log = format!(
                "resubmit review {}: {}\n\nBranch: {branch}\nHead: {head}\n",
                r.id, r.title
            );
            (r, Some(c), false, log)
        }
        None => {
            let id = branches::review_ids(repo)?.last().copied().unwrap_or(0) + 1;
            let title = match title {
                Some(t) => t.to_string(),
                None => branches::commit_meta(repo, head)?.summary,
            };
            let r = Request {
                id,
                title,
                description: message.unwrap_or("").to_string(),
                branch: branch.clone(),
                target: policy.protected_branch.clone(),
                head: head.to_string(),
                author_name: name.clone(),
                author_email: email.clone(),
                created: now(),
                updated: now(),
                state,
                merge_commit: String::new(),
                events: vec![event("submitted", message.unwrap_or(""))],
            };
            let log = format!(
                "submit review {id}: {}\n\nBranch: {branch}\nHead: {head}\n",
                r.title
            );
            (r, None, true, log)
        }
    };
    save(store, &req, prev, &log)?;
    let mut req = req;
    let refspecs = |id: u64| {
        [
            format!("refs/heads/{branch}:refs/heads/{branch}"),
            format!("{0}{id}:{0}{id}", branches::REVIEW_REFS),
        ]
    };
    let mut not_pushed = Vec::new();
    let mut pushed_to = push(store, &refspecs(req.id), &mut not_pushed);
    // The id may have been taken on the remote meanwhile by another request (made while this
    // one was offline, or at the same moment): this one takes the next free id.
    for _ in 0..RENUMBER_TRIES {
        let Some(remote) = branches::default_remote(repo) else {
            break;
        };
        if pushed_to.is_some() || !taken_on(store, &remote, req.id, &branch) {
            break;
        }
        let old = req.id;
        req.id = next_free_id(store, &remote)?;
        req.updated = now();
        save(
            store,
            &req,
            None,
            &format!(
                "renumber review {old} as {}: {old} is another request on {remote}\n\nBranch: {branch}\nHead: {head}\n",
                req.id
            ),
        )?;
        // The id goes back to the request that holds it on the remote.
        store.git(&[
            "fetch",
            "--quiet",
            &remote,
            &format!("+{0}{old}:{0}{old}", branches::REVIEW_REFS),
        ])?;
        warnings.push(format!(
            "review {old} is another request on {remote}: this one is now review {}",
            req.id
        ));
        not_pushed.clear();
        pushed_to = push(store, &refspecs(req.id), &mut not_pushed);
    }
    warnings.extend(not_pushed);
    Ok(Submitted {
        request: req,
        new,
        pushed_to,
        has_remote: branches::default_remote(repo).is_some(),
        warnings,
    })
}

/// How many times a request takes a new id when its id is taken on the remote.
const RENUMBER_TRIES: usize = 3;

/// True when the remote holds review `id` and it is a request of another branch than `branch`.
fn taken_on(store: &Store, remote: &str, id: u64, branch: &str) -> bool {
    let repo = store.repo();
    remote_request(store, remote, id)
        .and_then(|c| branches::read_blob(repo, c, branches::REQUEST_FILE).ok()?)
        .and_then(|text| Request::from_toml(&text).ok())
        .is_some_and(|r| r.branch != branch)
}

/// The first id free both here and on the remote.
fn next_free_id(store: &Store, remote: &str) -> Result<u64> {
    let listed = store.git(&["ls-remote", remote, &format!("{}*", branches::REVIEW_REFS)])?;
    let theirs = listed.lines().filter_map(|l| {
        l.split_whitespace()
            .nth(1)?
            .strip_prefix(branches::REVIEW_REFS)?
            .parse::<u64>()
            .ok()
    });
    let ours = branches::review_ids(store.repo())?;
    Ok(theirs.chain(ours).max().unwrap_or(0) + 1)
}

/// The queue: open requests (all with `all`), oldest first.
pub fn list(store: &Store, all: bool) -> Result<Vec<Summary>> {
    let repo = store.repo();
    let policy = policy_of(store)?;
    let target = repo
        .find_reference(&format!("refs/heads/{}", policy.protected_branch))
        .ok()
        .and_then(|r| r.target());
    let mut out = Vec::new();
    for id in branches::review_ids(repo)? {
        let (_, req) = load(store, id)?;
        if !all && !req.state.is_open() {
            continue;
        }
        let head = oid(&req.head)?;
        let have_head = repo.find_commit(head).is_ok();
        let (records, clean) = match (have_head, target) {
            (true, Some(t)) => {
                let base = branches::merge_base(repo, t, head)?;
                let records = record_paths(store, &branches::changed_paths(repo, base, head)?);
                let clean = if req.state.is_open() {
                    Some(plan_merge(store, t, head, &[])?.conflicts.is_empty())
                } else {
                    None
                };
                (records, clean)
            }
            _ => (vec![], None),
        };
        out.push(Summary {
            id,
            approvals: req.approvals().len(),
            title: req.title,
            author: req.author_name,
            author_email: req.author_email,
            branch: req.branch,
            state: req.state,
            records,
            age_seconds: now() - req.created,
            merges_cleanly: clean,
        });
    }
    Ok(out)
}

/// Everything about one request.
pub fn show(store: &Store, id: u64) -> Result<Details> {
    let (_, req) = load(store, id)?;
    let repo = store.repo();
    let policy = policy_of(store)?;
    let head = oid(&req.head)?;
    repo.find_commit(head).map_err(|_| {
        ReviewError::Usage(format!(
            "the commit of review {id} ({}) is not in this repository; fetch the branch {}",
            &req.head, req.branch
        ))
    })?;
    let target = if req.state == State::Merged && !req.merge_commit.is_empty() {
        repo.find_commit(oid(&req.merge_commit)?)
            .ok()
            .and_then(|c| c.parent_id(0).ok())
            .unwrap_or(head)
    } else {
        branches::resolve(repo, &format!("refs/heads/{}", policy.protected_branch))?
    };
    let base = branches::merge_base(repo, target, head)?.unwrap_or(head);
    let mut diffs = Vec::new();
    for path in branches::changed_paths(repo, Some(base), head)? {
        let b = branches::read_blob(repo, base, &path)?;
        let t = branches::read_blob(repo, head, &path)?;
        let rel = path
            .strip_prefix(store.prefix())
            .unwrap_or(&path)
            .to_string();
        let parse = |s: &Option<String>| -> toml::Table {
            s.as_deref()
                .and_then(|s| toml::from_str(s).ok())
                .unwrap_or_default()
        };
        diffs.push(RecordDiff {
            path: rel,
            status: match (&b, &t) {
                (None, _) => "added",
                (_, None) => "deleted",
                _ => "modified",
            },
            changes: diff(&parse(&b), &parse(&t)),
        });
    }
    let planned = plan_merge(store, target, head, &[])?;
    let problems = if req.state.is_open() {
        merged_problems(store, target, &planned.updates)?
    } else {
        vec![]
    };
    let touched = touched_records(store, &planned);
    let authors = authors(store, head, target)?;
    let may_approve = policy::eligible(&policy, &touched, &authors)
        .into_iter()
        .map(|r| (r.name.clone(), r.email.clone()))
        .collect();
    Ok(Details {
        approved_by: req
            .approvals()
            .iter()
            .map(|e| (e.name.clone(), e.email.clone()))
            .collect(),
        base: planned.base.to_string(),
        target_tip: target.to_string(),
        diff: diffs,
        commits: branches::commits_between(repo, head, Some(target))?,
        conflicts: if req.state.is_open() {
            planned.conflicts
        } else {
            vec![]
        },
        problems,
        may_approve,
        approvals_needed: policy.approvals,
        request: req,
    })
}

fn open_request(store: &Store, id: u64, what: &'static str) -> Result<(Oid, Request)> {
    let (c, req) = load(store, id)?;
    if !req.state.is_open() {
        return Err(ReviewError::Closed {
            id,
            state: req.state,
            what,
        });
    }
    Ok((c, req))
}

/// How many times an approval is made again when the remote's target branch moved while it
/// was being made.
const APPROVAL_TRIES: usize = 3;

/// Approves a request as the current user (the git identity). When the approvals reach the
/// policy's number, merges the branch into the target with a merge commit carrying the trailers,
/// signs it when `commit.gpgsign` is set, and pushes when there is a remote.
///
/// When the push finds that the remote's target moved meanwhile (another approval merged), the
/// merge and the request are put back as they were, and the approval is made again on the new
/// target (a few times; then it stops without the approval).
pub fn approve(
    store: &Store,
    id: u64,
    message: Option<&str>,
    resolutions: &[Resolution],
) -> Result<Approval> {
    let mut moved: Vec<String> = Vec::new();
    let mut last = String::new();
    for _ in 0..APPROVAL_TRIES {
        match approve_once(store, id, message, resolutions)? {
            Ok(mut a) => {
                a.warnings.splice(0..0, moved);
                return Ok(a);
            }
            Err(raced) => {
                raced.undo(store)?;
                last = raced.moved;
                moved.push(format!(
                    "{last} moved while approving: approved again on top of it"
                ));
            }
        }
    }
    Err(ReviewError::Usage(format!(
        "{last} kept moving while review {id} was being approved ({APPROVAL_TRIES} tries): the approval was not made; approve again"
    )))
}

/// An approval whose push found the remote moved: what to put back.
struct Raced {
    /// What moved on the remote ("main on origin").
    moved: String,
    /// The merge made: the target branch, its commit before the merge, and the merge.
    merge: Option<(String, Oid, Oid)>,
    /// The request's commit before the approval, and the one the approval wrote.
    request_before: Oid,
    request: Oid,
    id: u64,
}

impl Raced {
    fn undo(&self, store: &Store) -> Result<()> {
        let repo = store.repo();
        if let Some((target, before, merge)) = &self.merge {
            branches::move_ref(
                repo,
                &format!("refs/heads/{target}"),
                *before,
                Some(*merge),
                "kehoach: undo a merge the remote did not take",
            )?;
            store.update_checkout(target, *merge, *before)?;
        }
        branches::move_ref(
            repo,
            &format!("{}{}", branches::REVIEW_REFS, self.id),
            self.request_before,
            Some(self.request),
            "kehoach: undo an approval the remote did not take",
        )?;
        Ok(())
    }
}

/// True when the remote's `target`, fetched now, is neither `before` nor part of `merge`:
/// it moved while the merge was being made.
fn target_moved(store: &Store, remote: &str, target: &str, before: Oid, merge: Oid) -> bool {
    let tracking = format!("refs/remotes/{remote}/{target}");
    if store
        .git(&[
            "fetch",
            "--quiet",
            remote,
            &format!("+refs/heads/{target}:{tracking}"),
        ])
        .is_err()
    {
        return false;
    }
    let repo = store.repo();
    let Some(theirs) = repo.find_reference(&tracking).ok().and_then(|r| r.target()) else {
        return false;
    };
    theirs != before && theirs != merge && !repo.graph_descendant_of(merge, theirs).unwrap_or(true)
}

/// True when the remote's request `id`, fetched now, is neither `before` nor `ours`, nor
/// part of `ours`: another version of it went out meanwhile.
fn request_moved(store: &Store, remote: &str, id: u64, before: Oid, ours: Oid) -> bool {
    let repo = store.repo();
    remote_request(store, remote, id).is_some_and(|t| {
        t != before && t != ours && !repo.graph_descendant_of(ours, t).unwrap_or(true)
    })
}

/// The commit of request `id` on the remote, fetched now (None: it has none, or it cannot be
/// reached). Nothing here points at it afterwards.
fn remote_request(store: &Store, remote: &str, id: u64) -> Option<Oid> {
    let incoming = format!("refs/kehoach/incoming/{id}");
    let fetched = store
        .git(&[
            "fetch",
            "--quiet",
            remote,
            &format!("+{}{id}:{incoming}", branches::REVIEW_REFS),
        ])
        .is_ok();
    let repo = store.repo();
    let theirs = fetched
        .then(|| repo.find_reference(&incoming).ok()?.target())
        .flatten();
    if let Ok(mut r) = repo.find_reference(&incoming) {
        let _ = r.delete();
    }
    theirs
}

/// One try of [`approve`]: Err when the remote moved before the push.
fn approve_once(
    store: &Store,
    id: u64,
    message: Option<&str>,
    resolutions: &[Resolution],
) -> Result<std::result::Result<Approval, Raced>> {
    let mut warnings = sync(store);
    let (prev, mut req) = open_request(store, id, "approved")?;
    match req.state {
        State::Draft => {
            return Err(ReviewError::Usage(format!(
                "review {id} is a draft; its author submits it with `kehoach review submit`"
            )));
        }
        State::ChangesRequested => {
            return Err(ReviewError::Usage(format!(
                "changes were requested on review {id}; its author resubmits it with `kehoach review submit` when they are made"
            )));
        }
        _ => {}
    }
    let policy = policy_of(store)?;
    let repo = store.repo();
    let head = oid(&req.head)?;
    repo.find_commit(head).map_err(|_| {
        ReviewError::Usage(format!(
            "the commit of review {id} is not in this repository; fetch the branch {}",
            req.branch
        ))
    })?;
    let target = target_tip(store, &req.target)?;
    let planned = plan_merge(store, target, head, resolutions)?;
    let me = store.author()?;
    let (name, email) = (
        me.name().unwrap_or("").to_string(),
        me.email().unwrap_or("").to_string(),
    );
    let touched = touched_records(store, &planned);
    let authors = authors(store, head, target)?;
    if let Some(refusal) = policy::refusal(&policy, &email, &touched, &authors) {
        return Err(ReviewError::Refused { id, refusal });
    }
    if !planned.conflicts.is_empty() {
        return Err(ReviewError::Conflicts {
            id,
            conflicts: planned.conflicts,
        });
    }
    let problems = merged_problems(store, target, &planned.updates)?;
    if !problems.is_empty() {
        return Err(ReviewError::Invalid {
            id,
            diagnostics: problems,
        });
    }
    req.events.push(Event {
        kind: "approved".into(),
        name: name.clone(),
        email: email.clone(),
        at: now(),
        message: message.unwrap_or("").to_string(),
        commit: req.head.clone(),
    });
    req.updated = now();
    // Approvals of this head by people who may still approve it.
    let approvers: Vec<(String, String)> = req
        .approvals()
        .iter()
        .filter(|e| policy::refusal(&policy, &e.email, &touched, &authors).is_none())
        .map(|e| (e.name.clone(), e.email.clone()))
        .collect();
    let needed = policy.approvals.max(1);
    let approver_emails: Vec<String> = approvers.iter().map(|(_, e)| e.clone()).collect();
    let waiting_for = policy::uncovered(&policy, &touched, &approver_emails);
    if !waiting_for.is_empty() {
        warnings.push(format!(
            "still needs an approval from a reviewer of: {}",
            waiting_for.join(", ")
        ));
    }
    if (approvers.len() as u32) < needed || !waiting_for.is_empty() {
        req.state = State::Approved;
        let request = save(
            store,
            &req,
            Some(prev),
            &format!(
                "approve review {id}: {} of {needed} approvals\n\n{}\nApproved-by: {name} <{email}>\n",
                approvers.len(),
                message.map(|m| format!("{m}\n")).unwrap_or_default()
            ),
        )?;
        // Another approval of the same request may have gone out meanwhile: then this one is
        // made again on top of it (and may be the one that completes it).
        if push(
            store,
            &[format!("{0}{id}:{0}{id}", branches::REVIEW_REFS)],
            &mut warnings,
        )
        .is_none()
            && let Some(remote) = branches::default_remote(repo)
            && request_moved(store, &remote, id, prev, request)
        {
            return Ok(Err(Raced {
                moved: format!("review {id} on {remote}"),
                merge: None,
                request_before: prev,
                request,
                id,
            }));
        }
        return Ok(Ok(Approval {
            approvals: approvers.len(),
            request: req,
            merge_commit: None,
            needed,
            warnings,
        }));
    }
    // The merge commit.
    let mut msg = format!(
        "merge review {id}: {}\n\n",
        crate::model::fields::short(&req.title)
    );
    if !req.description.trim().is_empty() {
        msg.push_str(req.description.trim());
        msg.push_str("\n\n");
    }
    msg.push_str(&format!(
        "Merges {} (by {} <{}>) into {}.\n",
        req.branch, req.author_name, req.author_email, req.target
    ));
    let mut field_lines = Vec::new();
    for (path, text) in &planned.updates {
        let before = branches::read_blob(repo, target, path)?;
        let parse = |s: Option<&str>| -> toml::Table {
            s.and_then(|s| toml::from_str(s).ok()).unwrap_or_default()
        };
        let rel = path.strip_prefix(store.prefix()).unwrap_or(path);
        let text = text.as_deref().map(String::from_utf8_lossy);
        for c in diff(&parse(before.as_deref()), &parse(text.as_deref())) {
            field_lines.push(format!("- {rel}: {c}"));
        }
    }
    if !field_lines.is_empty() {
        msg.push_str("\nFields changed:\n");
        for l in field_lines.iter().take(50) {
            msg.push_str(l);
            msg.push('\n');
        }
        if field_lines.len() > 50 {
            msg.push_str(&format!("- … and {} more\n", field_lines.len() - 50));
        }
    }
    for r in resolutions {
        msg.push_str(&format!(
            "Conflict settled: {}: {} = {}\n",
            r.path,
            r.field,
            match &r.choice {
                Choice::Ours => "ours".to_string(),
                Choice::Theirs => "theirs".to_string(),
                Choice::Value(v) => format!("{v:?}"),
            }
        ));
    }
    if let Some(m) = message {
        msg.push_str(&format!("\nApproval note: {m}\n"));
    }
    msg.push_str(&format!("\nReview: {id}\n"));
    for (n, e) in req.reviewers() {
        msg.push_str(&format!("Reviewed-by: {n} <{e}>\n"));
    }
    for (n, e) in &approvers {
        msg.push_str(&format!("Approved-by: {n} <{e}>\n"));
    }
    let sign = branches::signing_configured(repo);
    let merge_commit = branches::write_commit(
        repo,
        target,
        &planned.updates,
        &[target, head],
        &msg,
        &me,
        &me,
        sign,
    )?;
    check_clean(store, &req.target, target, merge_commit)?;
    branches::move_ref(
        repo,
        &format!("refs/heads/{}", req.target),
        merge_commit,
        Some(target),
        &format!("kehoach: merge review {id}"),
    )?;
    store.update_checkout(&req.target, target, merge_commit)?;
    req.state = State::Merged;
    req.merge_commit = merge_commit.to_string();
    req.events.push(Event {
        kind: "merged".into(),
        name: name.clone(),
        email: email.clone(),
        at: now(),
        message: String::new(),
        commit: merge_commit.to_string(),
    });
    let request = save(
        store,
        &req,
        Some(prev),
        &format!(
            "merge review {id}: approved by {name} <{email}>\n\n{}Merge: {merge_commit}\nApproved-by: {name} <{email}>\n",
            message.map(|m| format!("{m}\n\n")).unwrap_or_default()
        ),
    )?;
    let refspecs = [
        format!("refs/heads/{0}:refs/heads/{0}", req.target),
        format!("{0}{id}:{0}{id}", branches::REVIEW_REFS),
    ];
    if push(store, &refspecs, &mut warnings).is_none()
        && let Some(remote) = branches::default_remote(repo)
        && target_moved(store, &remote, &req.target, target, merge_commit)
    {
        return Ok(Err(Raced {
            moved: format!("{} on {remote}", req.target),
            merge: Some((req.target.clone(), target, merge_commit)),
            request_before: prev,
            request,
            id,
        }));
    }
    Ok(Ok(Approval {
        approvals: approvers.len(),
        request: req,
        merge_commit: Some(merge_commit.to_string()),
        needed,
        warnings,
    }))
}

fn close_with_reason(
    store: &Store,
    id: u64,
    reason: &str,
    kind: &str,
    state: State,
) -> Result<Request> {
    if reason.trim().is_empty() {
        return Err(ReviewError::Usage(
            "a reason is required (--reason TEXT)".into(),
        ));
    }
    let mut warnings = sync(store);
    let what = if state == State::Rejected {
        "rejected"
    } else {
        "sent back"
    };
    let (prev, mut req) = open_request(store, id, what)?;
    let me = store.author()?;
    let (name, email) = (
        me.name().unwrap_or("").to_string(),
        me.email().unwrap_or("").to_string(),
    );
    let policy = policy_of(store)?;
    if policy::reviewer(&policy, &email).is_none() && !policy::same_email(&email, &req.author_email)
    {
        return Err(ReviewError::Usage(format!(
            "{email} is not a reviewer in kehoach.toml [review.reviewers]"
        )));
    }
    req.events.push(Event {
        kind: kind.into(),
        name: name.clone(),
        email: email.clone(),
        at: now(),
        message: reason.trim().to_string(),
        commit: req.head.clone(),
    });
    req.state = state;
    req.updated = now();
    let verb = if state == State::Rejected {
        "reject"
    } else {
        "request changes on"
    };
    save(
        store,
        &req,
        Some(prev),
        &format!(
            "{verb} review {id}: {}\n\nReason: {}\n\nReviewed-by: {name} <{email}>\n",
            crate::model::fields::short(&req.title),
            reason.trim()
        ),
    )?;
    push(
        store,
        &[format!("{0}{id}:{0}{id}", branches::REVIEW_REFS)],
        &mut warnings,
    );
    Ok(req)
}

/// Sends a request back to its author; the reason is required and kept in the request's history.
pub fn request_changes(store: &Store, id: u64, reason: &str) -> Result<Request> {
    close_with_reason(
        store,
        id,
        reason,
        "changes_requested",
        State::ChangesRequested,
    )
}

/// Rejects a request; the reason is required and kept in the request's history.
pub fn reject(store: &Store, id: u64, reason: &str) -> Result<Request> {
    close_with_reason(store, id, reason, "rejected", State::Rejected)
}

/// Writes a git bundle of a request (its branch and its record) to `file`, and a readable summary
/// beside it (`FILE.txt`); returns the summary.
pub fn bundle(store: &Store, id: u64, file: &Path) -> Result<String> {
    let d = show(store, id)?;
    let req = &d.request;
    let target = branches::resolve(store.repo(), &format!("refs/heads/{}", req.target))?;
    let base = branches::merge_base(store.repo(), target, oid(&req.head)?)?;
    let file_s = file.to_string_lossy().to_string();
    // The branch as submitted, under its own name, and the request.
    let tmp_ref = format!("refs/heads/{}", req.branch);
    let mut args = vec![
        "bundle".to_string(),
        "create".into(),
        file_s.clone(),
        tmp_ref,
        format!("{}{id}", branches::REVIEW_REFS),
    ];
    if let Some(b) = base {
        args.push(format!("^{b}"));
    }
    let arg_refs: Vec<&str> = args.iter().map(String::as_str).collect();
    store.git(&arg_refs)?;
    let summary = summary_text(&d);
    let side = format!("{file_s}.txt");
    crate::store::commit::write_atomic(Path::new(&side), summary.as_bytes())?;
    Ok(summary)
}

/// A readable account of a request: what it changes and where it stands.
pub fn summary_text(d: &Details) -> String {
    let r = &d.request;
    let mut s = format!(
        "Review {}: {}\nState: {}\nAuthor: {} <{}>\nBranch: {} (commit {})\nTarget: {}\n",
        r.id, r.title, r.state, r.author_name, r.author_email, r.branch, r.head, r.target
    );
    if !r.description.is_empty() {
        s.push_str(&format!("\n{}\n", r.description));
    }
    s.push_str("\nChanges:\n");
    for f in &d.diff {
        s.push_str(&format!("  {} ({})\n", f.path, f.status));
        for c in &f.changes {
            s.push_str(&format!("    {c}\n"));
        }
    }
    if !d.may_approve.is_empty() {
        s.push_str("\nMay approve:\n");
        for (n, e) in &d.may_approve {
            s.push_str(&format!("  {n} <{e}>\n"));
        }
    }
    s.push_str("\nTake it in with: kehoach review import FILE\n");
    s
}

/// Takes in a bundle written by [`bundle`]; returns the request it holds.
pub fn import(store: &Store, file: &Path) -> Result<Request> {
    let f = file.to_string_lossy().to_string();
    store
        .git(&["bundle", "verify", "--quiet", &f])
        .map_err(|e| {
            ReviewError::Usage(format!(
                "{f} cannot be taken in: {e} (the bundle needs the commits its change starts from)"
            ))
        })?;
    let heads = store.git(&["bundle", "list-heads", &f])?;
    let mut id = None;
    let mut specs = vec!["fetch".to_string(), "--quiet".into(), f.clone()];
    for line in heads.lines() {
        let Some((_, name)) = line.split_once(' ') else {
            continue;
        };
        if let Some(n) = name.strip_prefix(branches::REVIEW_REFS) {
            id = n.parse::<u64>().ok();
        }
        // Branches are taken in as they are; a request replaces an older copy of itself.
        specs.push(format!("+{name}:{name}"));
    }
    let id = id.ok_or_else(|| ReviewError::Usage(format!("{f} holds no review request")))?;
    if store.current_branch().is_some_and(|b| {
        heads
            .lines()
            .any(|l| l.ends_with(&format!("refs/heads/{b}")))
    }) {
        return Err(ReviewError::Usage(
            "the bundle's branch is checked out here; switch to another branch first".into(),
        ));
    }
    let spec_refs: Vec<&str> = specs.iter().map(String::as_str).collect();
    store.git(&spec_refs)?;
    Ok(load(store, id)?.1)
}

/// The merge an approval would make, with some conflicts settled: for a screen that resolves
/// conflicts field by field before approving.
#[derive(Debug, Clone, serde::Serialize)]
pub struct MergePreview {
    /// Records (paths relative to the data root) as they would be on the target (None:
    /// deleted); text files only.
    pub files: Vec<(String, Option<String>)>,
    /// Conflicts not settled by the resolutions given.
    pub conflicts: Vec<FieldConflict>,
    /// Problems of the result (with the unsettled conflicts left as the target has them).
    pub problems: Vec<Diagnostic>,
}

/// Previews the merge of request `id` into its target with `resolutions` applied.
pub fn preview(store: &Store, id: u64, resolutions: &[Resolution]) -> Result<MergePreview> {
    let (_, req) = load(store, id)?;
    let repo = store.repo();
    let head = oid(&req.head)?;
    let target = branches::resolve(repo, &format!("refs/heads/{}", req.target))?;
    let planned = plan_merge(store, target, head, resolutions)?;
    let problems = merged_problems(store, target, &planned.updates)?;
    Ok(MergePreview {
        files: planned
            .updates
            .iter()
            .filter_map(|(p, c)| {
                let rel = p.strip_prefix(store.prefix()).unwrap_or(p).to_string();
                match c {
                    None => Some((rel, None)),
                    Some(b) => std::str::from_utf8(b)
                        .ok()
                        .map(|t| (rel, Some(t.to_string()))),
                }
            })
            .collect(),
        conflicts: planned.conflicts,
        problems,
    })
}

/// Where the work stands: for `kehoach status`, the TUI's status bar and `kehoach review status`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct BranchState {
    /// The branch HEAD is on (None: detached).
    pub branch: Option<String>,
    pub protected_branch: String,
    /// True on a branch other than the protected one.
    pub on_change_branch: bool,
    /// The latest review request of this branch, if any.
    pub request: Option<Request>,
}

impl BranchState {
    /// One line for a status bar, English.
    pub fn line_en(&self) -> String {
        match &self.branch {
            None => "HEAD is detached".into(),
            Some(b) if !self.on_change_branch => format!(
                "on {b}, the protected branch: an edit starts a change branch review/<you>/<record>"
            ),
            Some(b) => format!(
                "on change branch {b} (into {} through review)",
                self.protected_branch
            ),
        }
    }

    /// One line for a status bar, Vietnamese.
    pub fn line_vi(&self) -> String {
        match &self.branch {
            None => "HEAD không ở nhánh nào".into(),
            Some(b) if !self.on_change_branch => format!(
                "đang ở {b}, nhánh được bảo vệ: sửa sẽ tạo nhánh thay đổi review/<bạn>/<bản ghi>"
            ),
            Some(b) => format!(
                "nhánh thay đổi {b} (vào {} qua duyệt)",
                self.protected_branch
            ),
        }
    }
}

/// The branch being worked on and its review request.
pub fn branch_state(store: &Store) -> Result<BranchState> {
    let protected = policy_of(store)?.protected_branch;
    let branch = store.current_branch();
    let mut request = None;
    if let Some(b) = &branch {
        for id in branches::review_ids(store.repo())?.into_iter().rev() {
            if let Ok((_, r)) = load(store, id)
                && &r.branch == b
            {
                request = Some(r);
                break;
            }
        }
    }
    Ok(BranchState {
        on_change_branch: branch.as_deref().is_some_and(|b| b != protected),
        branch,
        protected_branch: protected,
        request,
    })
}

/// What `kehoach check` finds about a branch against a base (for CI on forges).
#[derive(Debug, Clone, serde::Serialize)]
pub struct BranchCheck {
    pub base: String,
    pub head: String,
    pub records: Vec<String>,
    pub problems: Vec<Diagnostic>,
    pub conflicts: Vec<FieldConflict>,
    pub may_approve: Vec<(String, String)>,
    pub approvals_needed: u32,
    pub authors: Vec<String>,
}

/// Validates `head` merged onto `base` and evaluates the policy for it.
pub fn check_branch(store: &Store, base_rev: &str, head_rev: &str) -> Result<BranchCheck> {
    let repo = store.repo();
    let base = branches::resolve(repo, base_rev)?;
    let head = branches::resolve(repo, head_rev)?;
    let policy = branches::config_at(repo, base, store.prefix())?
        .map(|c| c.review)
        .unwrap_or_default();
    let planned = plan_merge(store, base, head, &[])?;
    let problems = merged_problems(store, base, &planned.updates)?;
    let touched = touched_records(store, &planned);
    let authors = authors(store, head, base)?;
    Ok(BranchCheck {
        base: base.to_string(),
        head: head.to_string(),
        may_approve: policy::eligible(&policy, &touched, &authors)
            .into_iter()
            .map(|r| (r.name.clone(), r.email.clone()))
            .collect(),
        records: touched,
        problems,
        conflicts: planned.conflicts,
        approvals_needed: policy.approvals,
        authors,
    })
}
