//! The server side: `kehoach hook pre-receive` in a bare repository refuses pushes to the
//! protected branch that break the policy (the same rules as [`super::audit`]) or leave invalid
//! records. Other refs (change branches, review requests) are accepted.

use git2::{Oid, Repository};

use super::audit::check_commit;
use crate::store::Result;
use crate::store::branches;

/// One ref update as git gives it to the hook: old, new, ref name.
#[derive(Debug, Clone)]
pub struct Update {
    pub old: Oid,
    pub new: Oid,
    pub refname: String,
}

/// Parses the hook's standard input.
pub fn parse_updates(input: &str) -> Vec<Update> {
    input
        .lines()
        .filter_map(|l| {
            let mut it = l.split_whitespace();
            Some(Update {
                old: Oid::from_str(it.next()?).ok()?,
                new: Oid::from_str(it.next()?).ok()?,
                refname: it.next()?.to_string(),
            })
        })
        .collect()
}

/// The environment variable that names who is pushing, when the server knows it (set per SSH
/// key with `environment="KEHOACH_PUSHER_EMAIL=…"` in authorized_keys, or by a forced command).
pub const PUSHER_VAR: &str = "KEHOACH_PUSHER_EMAIL";

/// Why the push is refused (empty: accepted). `pusher` is the email of the person pushing when
/// the server knows it: then every commit the push adds to the protected branch must have been
/// committed by them, which binds the committer (and so the approval) to the SSH account.
pub fn pre_receive(repo: &Repository, updates: &[Update]) -> Result<Vec<String>> {
    let pusher = std::env::var(PUSHER_VAR)
        .ok()
        .filter(|s| !s.trim().is_empty());
    pre_receive_as(repo, updates, pusher.as_deref())
}

/// What the hook would say of a push of the branch `refname` from `old` (None: new on the
/// remote) to `new`, made from this repository: for a client to check before it pushes.
pub fn refusals_for_push(
    repo: &Repository,
    refname: &str,
    old: Option<Oid>,
    new: Oid,
) -> Result<Vec<String>> {
    let update = Update {
        old: old.unwrap_or(Oid::ZERO_SHA1),
        new,
        refname: refname.to_string(),
    };
    pre_receive_as(repo, &[update], None)
}

/// [`pre_receive`] with the pusher given.
pub fn pre_receive_as(
    repo: &Repository,
    updates: &[Update],
    pusher: Option<&str>,
) -> Result<Vec<String>> {
    let mut refusals = Vec::new();
    for u in updates {
        // The protected branch as the repository's current policy names it.
        let probe = if u.old.is_zero() { u.new } else { u.old };
        let protected = if probe.is_zero() {
            "main".to_string()
        } else {
            let prefix = branches::data_prefix(repo, probe)?.unwrap_or_default();
            branches::config_at(repo, probe, &prefix)?
                .map(|c| c.review.protected_branch)
                .unwrap_or_else(|| "main".into())
        };
        if u.refname != format!("refs/heads/{protected}") {
            continue;
        }
        if u.new.is_zero() {
            refusals.push(format!(
                "{}: the protected branch may not be deleted",
                u.refname
            ));
            continue;
        }
        if u.old.is_zero() {
            // The first push makes the repository; there is nothing to protect yet.
            continue;
        }
        let (chain, reached) = branches::first_parent_chain(repo, u.new, Some(u.old))?;
        if !reached {
            refusals.push(format!(
                "{}: the push rewrites history ({} is not on the new first-parent history)",
                u.refname, u.old
            ));
            continue;
        }
        for oid in chain.iter().rev() {
            if let Some(p) = pusher {
                let m = branches::commit_meta(repo, *oid)?;
                if !super::policy::same_email(&m.committer_email, p) {
                    refusals.push(format!(
                        "{} {}: committed by {} but pushed by {p}; approvers push their own merges (pusher)",
                        &m.id[..10],
                        m.summary,
                        m.committer_email
                    ));
                }
            }
            for v in check_commit(repo, *oid)? {
                refusals.push(format!(
                    "{} {}: {} ({})",
                    &v.commit[..10],
                    v.summary,
                    v.reason,
                    v.rule
                ));
            }
        }
        let prefix = branches::data_prefix(repo, u.new)?.unwrap_or_default();
        let mut updates = Vec::new();
        for path in branches::changed_paths(repo, Some(u.old), u.new)? {
            let content = branches::blob_id(repo, u.new, &path)?
                .map(|b| branches::blob_bytes(repo, b))
                .transpose()?;
            updates.push((path, content));
        }
        for d in branches::validate_update(repo, u.old, &prefix, &updates)? {
            refusals.push(format!("invalid record: {d}"));
        }
    }
    Ok(refusals)
}
