//! Proving from the history alone that the review rules held.
//!
//! # What the audit trusts
//!
//! The audit walks the protected branch's first-parent history after the policy start and checks
//! each commit against the policy **as it was in the commit's first parent** (a change cannot
//! loosen the rules that judge it):
//!
//! 1. It must be a merge (two parents). A commit with one parent is a *direct commit*. The one
//!    exception is the *adoption commit* written by `kehoach init`: the first child of the commit
//!    named by `review.since`, whose only change is setting `review.since` (from empty) to its
//!    parent's id.
//! 2. It must carry at least one `Approved-by: Name <email>` trailer and a `Review:` trailer.
//! 3. Every approver must be a reviewer of that policy (matched by email).
//! 4. The merge commit's **committer** must be one of the approvers: the committer identity is
//!    what binds an approval to a person. An `Approved-by:` naming a reviewer while someone else
//!    committed the merge is reported as a forged approval. The committer field itself is only
//!    as trustworthy as the push path: the pre-receive hook on the shared bare repository, told
//!    who pushes (`KEHOACH_PUSHER_EMAIL`, see [`super::hook`]), is what stops a forged committer; where merges are signed
//!    (`commit.gpgsign`, which `kehoach review approve` honours), `git verify-commit` proves
//!    the committer. The audit does not verify signatures itself.
//! 5. No approver may have authored a commit the merge brings in (second parent side, not on
//!    the first parent), unless `allow_self_approval`.
//! 6. Each approver must be a reviewer of at least one path the merge changes (first parent →
//!    merge), and every such path must be covered by at least one approver, as with CODEOWNERS
//!    (a path no reviewer's pattern matches may be approved by any reviewer).
//! 7. There must be at least `approvals` distinct approvers. Approvers besides the committer are
//!    taken from the trailers; `kehoach review` records each of them in the review request
//!    (`refs/kehoach/reviews/<id>`), which the audit cross-checks when that ref is present.

use git2::{Oid, Repository};

use super::policy::{refusal, same_email};
use super::request::Request;
use crate::model::ReviewPolicy;
use crate::store::branches::{self, CommitMeta};
use crate::store::{Result, StoreError};

/// A commit that breaks the policy.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Violation {
    pub commit: String,
    pub summary: String,
    pub author: String,
    pub committer: String,
    /// direct_commit, no_approval, unknown_approver, forged_approval, self_approval,
    /// not_allowed, too_few_approvals, no_review
    pub rule: &'static str,
    pub reason: String,
}

/// The audit's findings.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AuditReport {
    pub branch: String,
    pub since: String,
    pub checked: usize,
    pub violations: Vec<Violation>,
}

/// Trailers of a commit message: `Key: value` lines of the last paragraph.
pub fn trailers(message: &str) -> Vec<(String, String)> {
    let trimmed = message.trim_end();
    let last = trimmed.rsplit("\n\n").next().unwrap_or("");
    let mut out = Vec::new();
    for line in last.lines() {
        let Some((k, v)) = line.split_once(": ") else {
            continue;
        };
        if !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            out.push((k.to_string(), v.trim().to_string()));
        }
    }
    out
}

/// Splits `Name <email>`.
pub fn parse_person(s: &str) -> (String, String) {
    match (s.find('<'), s.rfind('>')) {
        (Some(a), Some(b)) if a < b => (s[..a].trim().to_string(), s[a + 1..b].trim().to_string()),
        _ => (String::new(), s.trim().to_string()),
    }
}

fn violation(m: &CommitMeta, rule: &'static str, reason: String) -> Violation {
    Violation {
        commit: m.id.clone(),
        summary: m.summary.clone(),
        author: format!("{} <{}>", m.author_name, m.author_email),
        committer: format!("{} <{}>", m.committer_name, m.committer_email),
        rule,
        reason,
    }
}

/// The data-root-relative form of repository paths (paths outside the data root keep their
/// repository path).
fn relative(paths: Vec<String>, prefix: &str) -> Vec<String> {
    paths
        .into_iter()
        .map(|p| p.strip_prefix(prefix).map(String::from).unwrap_or(p))
        .collect()
}

/// Is `c` the adoption commit that sets `review.since` to its parent?
fn is_adoption(repo: &Repository, m: &CommitMeta, prefix: &str) -> Result<bool> {
    let [parent] = m.parents.as_slice() else {
        return Ok(false);
    };
    let p = Oid::from_str(parent)?;
    let c = Oid::from_str(&m.id)?;
    let (Some(before), Some(after)) = (
        branches::config_at(repo, p, prefix)?,
        branches::config_at(repo, c, prefix)?,
    ) else {
        return Ok(false);
    };
    if !before.review.since.is_empty() || after.review.since != *parent {
        return Ok(false);
    }
    let mut same = after.clone();
    same.review.since.clear();
    let changed = branches::changed_paths(repo, Some(p), c)?;
    Ok(same == before && changed == [branches::config_path(prefix)])
}

/// Checks one commit of the protected branch's first-parent history.
pub fn check_commit(repo: &Repository, oid: Oid) -> Result<Vec<Violation>> {
    let m = branches::commit_meta(repo, oid)?;
    let Some(first) = m.parents.first() else {
        return Ok(vec![violation(
            &m,
            "direct_commit",
            "a root commit after the policy start".into(),
        )]);
    };
    let first = Oid::from_str(first)?;
    let prefix = branches::data_prefix(repo, first)?.unwrap_or_default();
    let policy: ReviewPolicy = branches::config_at(repo, first, &prefix)?
        .map(|c| c.review)
        .unwrap_or_default();
    if m.parents.len() == 1 {
        if is_adoption(repo, &m, &prefix)? {
            return Ok(vec![]);
        }
        return Ok(vec![violation(
            &m,
            "direct_commit",
            format!(
                "committed straight to {} without a reviewed merge",
                policy.protected_branch
            ),
        )]);
    }
    let mut out = Vec::new();
    let tr = trailers(&m.message);
    let approvers: Vec<(String, String)> = tr
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case("Approved-by"))
        .map(|(_, v)| parse_person(v))
        .collect();
    let review = tr
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("Review"))
        .map(|(_, v)| v.clone());
    if approvers.is_empty() {
        out.push(violation(
            &m,
            "no_approval",
            "a merge without an Approved-by: trailer".into(),
        ));
        return Ok(out);
    }
    if review.is_none() {
        out.push(violation(
            &m,
            "no_review",
            "a merge without a Review: trailer naming its review request".into(),
        ));
    }
    if !approvers
        .iter()
        .any(|(_, e)| same_email(e, &m.committer_email))
    {
        out.push(violation(
            &m,
            "forged_approval",
            format!(
                "Approved-by: names {}, but the merge was committed by {} <{}>, who is not among the approvers",
                approvers
                    .iter()
                    .map(|(n, e)| format!("{n} <{e}>"))
                    .collect::<Vec<_>>()
                    .join(", "),
                m.committer_name,
                m.committer_email
            ),
        ));
    }
    let second = Oid::from_str(&m.parents[1])?;
    let authors: Vec<String> = branches::commits_between(repo, second, Some(first))?
        .into_iter()
        .map(|c| c.author_email)
        .collect();
    let touched = relative(branches::changed_paths(repo, Some(first), oid)?, &prefix);
    let mut valid = Vec::new();
    for (name, email) in &approvers {
        match refusal(&policy, email, &touched, &authors) {
            None => {
                if !valid.iter().any(|v: &String| same_email(v, email)) {
                    valid.push(email.clone());
                }
            }
            Some(r) => {
                let rule = match r {
                    super::policy::Refusal::NotAReviewer { .. } => "unknown_approver",
                    super::policy::Refusal::SelfApproval { .. } => "self_approval",
                    super::policy::Refusal::NotForPaths { .. } => "not_allowed",
                };
                out.push(violation(
                    &m,
                    rule,
                    format!("approval by {name} <{email}>: {r}"),
                ));
            }
        }
    }
    // Approvers other than the committer must be on record in the review request, when it is
    // present in this repository.
    if let Some(id) = review.as_deref().and_then(|r| r.parse::<u64>().ok())
        && let Some((_, text)) = branches::read_review(repo, id)?
        && let Ok(req) = Request::from_toml(&text)
    {
        for (name, email) in &approvers {
            let on_record = req
                .events
                .iter()
                .any(|e| e.kind == "approved" && same_email(&e.email, email));
            if !on_record && !same_email(email, &m.committer_email) {
                out.push(violation(
                    &m,
                    "forged_approval",
                    format!("{name} <{email}> did not approve review {id}"),
                ));
            }
        }
    }
    let uncovered = super::policy::uncovered(&policy, &touched, &valid);
    if !uncovered.is_empty() && out.is_empty() {
        out.push(violation(
            &m,
            "not_allowed",
            format!("no approver is a reviewer for {}", uncovered.join(", ")),
        ));
    }
    if (valid.len() as u32) < policy.approvals && out.is_empty() {
        out.push(violation(
            &m,
            "too_few_approvals",
            format!(
                "{} valid approval{} where the policy needs {}",
                valid.len(),
                if valid.len() == 1 { "" } else { "s" },
                policy.approvals
            ),
        ));
    }
    Ok(out)
}

/// Audits `branch` (a branch name or revision) from `since` (a revision; None: the
/// `review.since` of kehoach.toml at the tip).
pub fn audit(repo: &Repository, branch: &str, since: Option<&str>) -> Result<AuditReport> {
    let tip = branches::resolve(repo, branch)?;
    let since_rev = match since {
        Some(s) => s.to_string(),
        None => {
            let prefix = branches::data_prefix(repo, tip)?.unwrap_or_default();
            let cfg = branches::config_at(repo, tip, &prefix)?;
            match cfg.as_ref().and_then(branches::policy_since) {
                Some(s) => s.to_string(),
                None => {
                    return Err(StoreError::Other(
                        "kehoach.toml does not say when the review policy started (review.since); pass --since REV".into(),
                    ));
                }
            }
        }
    };
    let since_oid = branches::resolve(repo, &since_rev)?;
    let (chain, reached) = branches::first_parent_chain(repo, tip, Some(since_oid))?;
    if !reached {
        return Err(StoreError::Other(format!(
            "{since_rev} is not on the first-parent history of {branch}"
        )));
    }
    let mut violations = Vec::new();
    for oid in chain.iter().rev() {
        violations.extend(check_commit(repo, *oid)?);
    }
    Ok(AuditReport {
        branch: branch.to_string(),
        since: since_oid.to_string(),
        checked: chain.len(),
        violations,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_trailers() {
        let msg = "merge review 3: x\n\nBody: not a trailer? yes it is in body\n\nReview: 3\nApproved-by: Trần Thị Lan <lan.tt@soyte.example.vn>\n";
        let t = trailers(msg);
        assert_eq!(t.len(), 2);
        assert_eq!(
            parse_person(&t[1].1),
            ("Trần Thị Lan".into(), "lan.tt@soyte.example.vn".into())
        );
    }
}
