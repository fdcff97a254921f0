//! Sharing a branch with a remote through the `git` command line (the user's SSH keys and
//! config): fetch, bring the branch up to date — fast-forward, or a merge made record by record
//! and field by field —, push. A conflict stops everything with the record and field named;
//! nothing is lost. Also the branch's state for `kehoach status`.

use std::collections::BTreeSet;

use git2::Oid;
use serde::Serialize;

use super::commit::{build_tree, create_commit};
use super::error::{Result, StoreError};
use super::history::{CommitSummary, RecordDiff, blob_id, records_body, summarize};
use super::layout::classify;
use super::{Change, Store};

/// A change made on both sides that kehoach will not choose between.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Conflict {
    /// Path relative to the data root.
    pub path: String,
    /// The field (`due`, `entries[a01].percent`); empty for the whole file.
    pub field: String,
    /// The value in the common ancestor, ours (this side) and theirs (the other side).
    pub base: Option<String>,
    pub ours: Option<String>,
    pub theirs: Option<String>,
    /// Set for whole-file conflicts.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub message: String,
}

impl Conflict {
    pub fn whole(path: &str, message: &str) -> Conflict {
        Conflict {
            path: path.to_string(),
            field: String::new(),
            base: None,
            ours: None,
            theirs: None,
            message: message.to_string(),
        }
    }
}

impl std::fmt::Display for Conflict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use crate::model::fields::short;
        if !self.message.is_empty() {
            return match self.field.is_empty() {
                true => write!(f, "{}: {}", self.path, self.message),
                false => write!(f, "{}  {}: {}", self.path, self.field, self.message),
            };
        }
        let v = |x: &Option<String>| x.as_deref().map(short).unwrap_or_else(|| "(none)".into());
        write!(
            f,
            "{}  {}: here {}, there {} (was {})",
            self.path,
            self.field,
            v(&self.ours),
            v(&self.theirs),
            v(&self.base)
        )
    }
}

/// A three-way merge of one file (Ok(None): the file is deleted): records merge field by field
/// through [`crate::model::merge`], keeping the layout and comments of `ours`; a field changed on
/// both sides to different values is a conflict.
pub fn merge_file(
    rel: &str,
    base: Option<String>,
    ours: Option<String>,
    theirs: Option<String>,
) -> std::result::Result<Option<String>, Vec<Conflict>> {
    if ours == theirs || base == theirs {
        return Ok(ours);
    }
    if base == ours {
        return Ok(theirs);
    }
    if classify(rel).is_none() {
        return Err(vec![Conflict::whole(rel, "changed on both sides")]);
    }
    match crate::model::merge::merge_file(rel, base.as_deref(), ours.as_deref(), theirs.as_deref())
    {
        Err(e) => Err(vec![Conflict::whole(rel, &e.to_string())]),
        Ok(m) if m.conflicts.is_empty() => Ok(m.text),
        Ok(m) => Err(m
            .conflicts
            .into_iter()
            .map(|c| Conflict {
                path: rel.to_string(),
                field: c.field,
                base: c.base,
                ours: c.ours,
                theirs: c.theirs,
                message: c.note,
            })
            .collect()),
    }
}

/// How a sync went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SyncAction {
    /// Nothing came in.
    UpToDate,
    FastForward,
    Merged,
    /// Stopped on conflicts; nothing changed locally.
    Conflicts,
}

/// What `kehoach sync` did.
#[derive(Debug, Clone, Serialize)]
pub struct SyncReport {
    pub branch: String,
    pub remote: String,
    pub action: SyncAction,
    /// Commits the other side had that this one did not, and the reverse, before syncing.
    pub behind: usize,
    pub ahead: usize,
    /// The records that came in.
    pub records: Vec<RecordDiff>,
    pub pushed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub conflicts: Vec<Conflict>,
    /// Why the push was not made, when the caller's check refused it (see [`Store::sync`]).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub refused: Vec<String>,
}

/// What a sync is about to push: the branch on the remote, from the commit it has (None: the
/// remote has no such branch yet) to this one.
#[derive(Debug, Clone)]
pub struct PushPlan {
    /// `refs/heads/main` on the remote.
    pub refname: String,
    pub old: Option<Oid>,
    pub new: Oid,
}

/// The branch as `kehoach status` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct BranchStatus {
    pub branch: String,
    /// `origin/main`, when the branch has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upstream: Option<String>,
    pub ahead: usize,
    pub behind: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub head: Option<CommitSummary>,
    /// Records changed in the work tree and not committed.
    pub uncommitted: Vec<RecordDiff>,
}

struct Upstream {
    remote: String,
    /// `refs/heads/main` on the remote.
    merge: String,
    /// `refs/remotes/origin/main`.
    tracking: String,
    configured: bool,
}

impl Store {
    fn upstream(&self, branch: &str) -> Result<Option<Upstream>> {
        let cfg = self.repo().config()?;
        let remote = cfg.get_string(&format!("branch.{branch}.remote")).ok();
        let merge = cfg.get_string(&format!("branch.{branch}.merge")).ok();
        let configured = remote.is_some();
        let remote = match remote {
            Some(r) => r,
            None => {
                let remotes = self.repo().remotes()?;
                let names: Vec<&str> = remotes.iter().filter_map(|r| r.ok().flatten()).collect();
                if names.contains(&"origin") {
                    "origin".to_string()
                } else if names.len() == 1 {
                    names[0].to_string()
                } else {
                    return Ok(None);
                }
            }
        };
        let merge = merge.unwrap_or_else(|| format!("refs/heads/{branch}"));
        let short = merge.trim_start_matches("refs/heads/");
        Ok(Some(Upstream {
            tracking: format!("refs/remotes/{remote}/{short}"),
            remote,
            merge,
            configured,
        }))
    }

    fn ref_oid(&self, name: &str) -> Option<Oid> {
        self.repo()
            .find_reference(name)
            .ok()
            .and_then(|r| r.peel_to_commit().ok())
            .map(|c| c.id())
    }

    /// `kehoach status` without a plan: the branch, how far it is from its upstream (as of the
    /// last fetch), and the records changed but not committed.
    pub fn branch_status(&self) -> Result<BranchStatus> {
        let refname = self.head_ref_name()?;
        let branch = refname.trim_start_matches("refs/heads/").to_string();
        let head = self.head_commit()?;
        let up = self.upstream(&branch)?;
        let (mut ahead, mut behind) = (0, 0);
        let mut upstream = None;
        if let Some(u) = &up {
            upstream = Some(format!(
                "{}/{}",
                u.remote,
                u.merge.trim_start_matches("refs/heads/")
            ));
            if let (Some(h), Some(t)) = (&head, self.ref_oid(&u.tracking)) {
                (ahead, behind) = self.repo().graph_ahead_behind(h.id(), t)?;
            }
        }
        let tree = head.as_ref().map(|c| c.tree()).transpose()?;
        let uncommitted = self.diff_trees(tree.as_ref(), None, None)?;
        Ok(BranchStatus {
            branch,
            upstream,
            ahead,
            behind,
            head: head.as_ref().map(summarize),
            uncommitted,
        })
    }

    /// `kehoach sync`: fetch, bring the branch up to date, push (unless `push` is false),
    /// asking `vet` before pushing: when it gives reasons, nothing is pushed and the report
    /// holds them (what came in stays merged).
    pub fn sync(&self, push: bool, vet: &dyn Fn(&PushPlan) -> Vec<String>) -> Result<SyncReport> {
        let refname = self.head_ref_name()?;
        let branch = refname.trim_start_matches("refs/heads/").to_string();
        let up = self.upstream(&branch)?.ok_or_else(|| {
            StoreError::Other(
                "this repository has no remote to sync with; add one with `git remote add origin URL`"
                    .into(),
            )
        })?;
        self.git(&["fetch", "--quiet", &up.remote])?;
        let head = self.head_or_fail()?;
        let mut report = SyncReport {
            branch: branch.clone(),
            remote: up.remote.clone(),
            action: SyncAction::UpToDate,
            behind: 0,
            ahead: 0,
            records: vec![],
            pushed: false,
            commit: None,
            conflicts: vec![],
            refused: vec![],
        };
        let theirs = self.ref_oid(&up.tracking);
        if let Some(theirs) = theirs {
            let (ahead, behind) = self.repo().graph_ahead_behind(head, theirs)?;
            report.ahead = ahead;
            report.behind = behind;
            if behind > 0 {
                let _lock = self.lock_writers()?;
                let head_tree = self.repo().find_commit(head)?.tree()?;
                if ahead == 0 {
                    let their_tree = self.repo().find_commit(theirs)?.tree()?;
                    report.records = self.diff_trees(Some(&head_tree), Some(&their_tree), None)?;
                    self.refuse_dirty_records(&head_tree, &report.records)?;
                    self.git(&["merge", "--ff-only", "--quiet", &theirs.to_string()])?;
                    report.action = SyncAction::FastForward;
                    report.commit = Some(theirs.to_string());
                } else {
                    match self.merge_with(head, theirs, &up, &branch)? {
                        Err(conflicts) => {
                            report.conflicts = conflicts;
                            report.action = SyncAction::Conflicts;
                            return Ok(report);
                        }
                        Ok((merge, records)) => {
                            self.refuse_dirty_records(&head_tree, &records)?;
                            self.git(&["merge", "--ff-only", "--quiet", &merge.to_string()])?;
                            report.records = records;
                            report.action = SyncAction::Merged;
                            report.commit = Some(merge.to_string());
                        }
                    }
                }
            }
        }
        let now = self.head_or_fail()?;
        let needs_push = theirs != Some(now);
        if push && needs_push {
            report.refused = vet(&PushPlan {
                refname: up.merge.clone(),
                old: theirs,
                new: now,
            });
            if !report.refused.is_empty() {
                return Ok(report);
            }
            let dest = format!("HEAD:{}", up.merge);
            let mut args = vec!["push", "--quiet"];
            if !up.configured {
                args.push("--set-upstream");
            }
            args.push(&up.remote);
            args.push(&dest);
            self.git(&args).map_err(|e| {
                StoreError::Other(format!(
                    "{e}\nthe remote may have moved while syncing: run `kehoach sync` again"
                ))
            })?;
            report.pushed = true;
        }
        Ok(report)
    }

    fn head_or_fail(&self) -> Result<Oid> {
        self.head_commit()?
            .map(|c| c.id())
            .ok_or_else(|| StoreError::Other("the branch has no commit yet".into()))
    }

    fn refuse_dirty_records(&self, head: &git2::Tree<'_>, records: &[RecordDiff]) -> Result<()> {
        let changes: Vec<Change> = records
            .iter()
            .flat_map(|r| std::iter::once(r.path.clone()).chain(r.old_path.clone()))
            .map(|path| Change {
                path,
                content: None,
            })
            .collect();
        self.refuse_dirty(head, &changes)
    }

    /// Merges `theirs` into `ours` path by path (records field by field); Ok holds the merge
    /// commit (not yet on the branch) and the records it brings in.
    #[allow(clippy::type_complexity)]
    fn merge_with(
        &self,
        ours: Oid,
        theirs: Oid,
        up: &Upstream,
        branch: &str,
    ) -> Result<std::result::Result<(Oid, Vec<RecordDiff>), Vec<Conflict>>> {
        let repo = self.repo();
        let base = repo.merge_base(ours, theirs)?;
        let (oc, tc) = (repo.find_commit(ours)?, repo.find_commit(theirs)?);
        let (bt, ot, tt) = (repo.find_commit(base)?.tree()?, oc.tree()?, tc.tree()?);
        let d = repo.diff_tree_to_tree(Some(&bt), Some(&tt), None)?;
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
        let mut conflicts = Vec::new();
        let mut updates: Vec<(String, Option<Oid>)> = Vec::new();
        let text = |id: Option<Oid>| -> Result<Option<String>> {
            id.map(|i| {
                repo.find_blob(i)
                    .map(|b| String::from_utf8_lossy(b.content()).into_owned())
            })
            .transpose()
            .map_err(StoreError::from)
        };
        for path in &paths {
            let (b, o, t) = (blob_id(&bt, path), blob_id(&ot, path), blob_id(&tt, path));
            if o == t || b == t {
                continue;
            }
            if b == o {
                updates.push((path.clone(), t));
                continue;
            }
            let rel = path.strip_prefix(self.prefix()).unwrap_or(path);
            match merge_file(rel, text(b)?, text(o)?, text(t)?) {
                Ok(Some(merged)) => {
                    updates.push((path.clone(), Some(repo.blob(merged.as_bytes())?)))
                }
                Ok(None) => updates.push((path.clone(), None)),
                Err(mut c) => conflicts.append(&mut c),
            }
        }
        if !conflicts.is_empty() {
            return Ok(Err(conflicts));
        }
        let tree_id = build_tree(repo, Some(&ot), &updates)?;
        let tree = repo.find_tree(tree_id)?;
        let records = self.diff_trees(Some(&ot), Some(&tree), None)?;
        let short = up.merge.trim_start_matches("refs/heads/");
        let mut msg = format!("sync: merge {}/{short} into {branch}\n\n", up.remote);
        msg.push_str(&records_body(&records));
        let author = self.author()?;
        let merge = create_commit(repo, &author, &author, &msg, &tree, &[&oc, &tc])?;
        // Each side may be valid alone and not together (a task removed here, referred to
        // there): problems the merge brings are conflicts too.
        let key = |d: &super::Diagnostic| (d.path.clone(), d.field.clone(), d.message.clone());
        let before: BTreeSet<_> = self.load_at(&oc)?.diagnostics.iter().map(key).collect();
        let problems: Vec<Conflict> = self
            .load_at(&repo.find_commit(merge)?)?
            .diagnostics
            .iter()
            .filter(|d| !before.contains(&key(d)))
            .map(|d| Conflict {
                path: d.path.clone(),
                field: d.field.clone(),
                base: None,
                ours: None,
                theirs: None,
                message: format!("after merging: {}", d.message),
            })
            .collect();
        if !problems.is_empty() {
            return Ok(Err(problems));
        }
        Ok(Ok((merge, records)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const REC: &str = "plans/p/assignments/a03.toml";
    const BASE: &str = "id = \"a03\" # keep\ndue = \"2025-12-31\"\nstatus = \"open\"\n\n[signer]\nname = \"A\"\n\n[[entries]]\nassignment = \"a01\"\npercent = 10\n\n[[entries]]\nassignment = \"a02\"\npercent = 20\n";

    #[test]
    fn different_fields_merge_keeping_layout() {
        let ours = BASE.replace("2025-12-31", "2025-11-30");
        let theirs = BASE
            .replace("\"open\"", "\"done\"")
            .replace("percent = 20", "percent = 25");
        let m = merge_file(REC, Some(BASE.into()), Some(ours), Some(theirs))
            .unwrap()
            .unwrap();
        assert!(m.contains("id = \"a03\" # keep"), "{m}");
        assert!(m.contains("due = \"2025-11-30\""), "{m}");
        assert!(m.contains("status = \"done\""), "{m}");
        assert!(m.contains("percent = 25"), "{m}");
    }

    #[test]
    fn same_field_is_a_conflict_named_by_field() {
        let ours = BASE.replace("percent = 10", "percent = 11");
        let theirs = BASE.replace("percent = 10", "percent = 12");
        let c = merge_file(REC, Some(BASE.into()), Some(ours), Some(theirs)).unwrap_err();
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].field, "entries[a01].percent");
        assert_eq!(c[0].ours.as_deref(), Some("11"));
        assert_eq!(c[0].theirs.as_deref(), Some("12"));
        assert_eq!(c[0].base.as_deref(), Some("10"));
    }

    #[test]
    fn same_change_on_both_sides_is_no_conflict() {
        let ours = BASE.replace("\"A\"", "\"B\"");
        let m = merge_file(REC, Some(BASE.into()), Some(ours.clone()), Some(ours))
            .unwrap()
            .unwrap();
        assert!(m.contains("name = \"B\""));
    }
}
