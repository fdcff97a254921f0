//! The review policy of kehoach.toml: who may approve which paths, how many approvals, no
//! self-approval; and the CODEOWNERS file equivalent for forges.

use crate::model::{ReviewPolicy, Reviewer};

/// Matches a path (relative to the data root, '/'-separated) against a pattern: `*` matches
/// within one segment, `**` as a whole segment matches any number of segments (none included),
/// `?` one character. A pattern without '/' and without `**` matches by file name at any depth
/// only if it says so with `**/`; patterns are anchored at the data root.
pub fn glob_match(pattern: &str, path: &str) -> bool {
    let p: Vec<&str> = pattern.trim_matches('/').split('/').collect();
    let s: Vec<&str> = path.trim_matches('/').split('/').collect();
    match_segs(&p, &s)
}

fn match_segs(p: &[&str], s: &[&str]) -> bool {
    match p.split_first() {
        None => s.is_empty(),
        Some((&"**", rest)) => (0..=s.len()).any(|i| match_segs(rest, &s[i..])),
        Some((first, rest)) => match s.split_first() {
            Some((seg, srest)) => {
                match_one(first.as_bytes(), seg.as_bytes()) && match_segs(rest, srest)
            }
            None => false,
        },
    }
}

fn match_one(p: &[u8], s: &[u8]) -> bool {
    // Iterative wildcard matching with backtracking on the last '*'.
    let (mut pi, mut si) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while si < s.len() {
        if pi < p.len() && (p[pi] == b'?' || p[pi] == s[si]) {
            pi += 1;
            si += 1;
        } else if pi < p.len() && p[pi] == b'*' {
            star = Some(pi);
            mark = si;
            pi += 1;
        } else if let Some(st) = star {
            pi = st + 1;
            mark += 1;
            si = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == b'*' {
        pi += 1;
    }
    pi == p.len()
}

/// True when `email` names the same person as `other` (case-insensitive).
pub fn same_email(a: &str, b: &str) -> bool {
    a.trim().eq_ignore_ascii_case(b.trim())
}

/// The reviewer with this email, if any.
pub fn reviewer<'a>(policy: &'a ReviewPolicy, email: &str) -> Option<&'a Reviewer> {
    policy
        .reviewers
        .iter()
        .find(|r| same_email(&r.email, email))
}

/// True when some reviewer's patterns match `path`.
pub fn owned(policy: &ReviewPolicy, path: &str) -> bool {
    policy
        .reviewers
        .iter()
        .any(|r| r.paths.iter().any(|p| glob_match(p, path)))
}

/// True when `r` may approve `path`: one of their patterns matches it, or no reviewer's does (a
/// path nobody owns may be approved by any reviewer).
pub fn may_approve(policy: &ReviewPolicy, r: &Reviewer, path: &str) -> bool {
    r.paths.iter().any(|p| glob_match(p, path)) || !owned(policy, path)
}

/// Who may approve a change touching `paths`: reviewers allowed for at least one of its paths,
/// minus the authors of the change (unless self-approval is allowed). As with CODEOWNERS, a change
/// that spans the paths of several reviewers needs an approval from a reviewer of each
/// ([`uncovered`]).
pub fn eligible<'a>(
    policy: &'a ReviewPolicy,
    paths: &[String],
    authors: &[String],
) -> Vec<&'a Reviewer> {
    policy
        .reviewers
        .iter()
        .filter(|r| paths.is_empty() || paths.iter().any(|p| may_approve(policy, r, p)))
        .filter(|r| policy.allow_self_approval || !authors.iter().any(|a| same_email(a, &r.email)))
        .collect()
}

/// Why an approval by `email` of a change touching `paths` does not count; None when it does.
pub fn refusal(
    policy: &ReviewPolicy,
    email: &str,
    paths: &[String],
    authors: &[String],
) -> Option<Refusal> {
    let Some(r) = reviewer(policy, email) else {
        return Some(Refusal::NotAReviewer {
            email: email.to_string(),
        });
    };
    if !policy.allow_self_approval && authors.iter().any(|a| same_email(a, email)) {
        return Some(Refusal::SelfApproval {
            email: email.to_string(),
        });
    }
    let outside: Vec<String> = paths
        .iter()
        .filter(|p| !may_approve(policy, r, p))
        .cloned()
        .collect();
    // A reviewer of some of the paths may approve: their approval covers those paths.
    if !outside.is_empty() && outside.len() == paths.len() {
        return Some(Refusal::NotForPaths {
            email: email.to_string(),
            paths: outside,
        });
    }
    None
}

/// The paths that none of `approvers` (emails of approvals that count) may approve: a change
/// merges only when this is empty and there are enough approvals.
pub fn uncovered(policy: &ReviewPolicy, paths: &[String], approvers: &[String]) -> Vec<String> {
    paths
        .iter()
        .filter(|p| {
            !approvers
                .iter()
                .any(|e| reviewer(policy, e).is_some_and(|r| may_approve(policy, r, p)))
        })
        .cloned()
        .collect()
}

/// Why an approval does not count.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, thiserror::Error)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Refusal {
    #[error("{email} is not a reviewer in kehoach.toml [review.reviewers]")]
    NotAReviewer { email: String },
    #[error("{email} authored a commit of this change and may not approve it (no self-approval)")]
    SelfApproval { email: String },
    #[error("{email} is not a reviewer for {}", paths.join(", "))]
    NotForPaths { email: String, paths: Vec<String> },
}

/// The CODEOWNERS file equivalent to the policy, for forges. `prefix` is the data root inside the
/// repository ("" or "plan-data/").
pub fn codeowners(policy: &ReviewPolicy, prefix: &str) -> String {
    let mut out = String::from(
        "# Written by `kehoach policy codeowners` from kehoach.toml [review]; edit the policy there.\n\
         # Forge accounts are matched by email; map them to user names where the forge needs it.\n",
    );
    out.push_str(&format!(
        "# Approvals required: {}; self-approval {}.\n\n",
        policy.approvals,
        if policy.allow_self_approval {
            "allowed"
        } else {
            "not allowed"
        }
    ));
    // Gather patterns in order of first appearance, with every reviewer that owns each.
    // A line lists everyone who may approve what it matches: in CODEOWNERS only the last
    // matching line counts, while in kehoach every reviewer whose pattern matches may approve.
    let mut rows: Vec<(String, Vec<String>)> = Vec::new();
    for r in &policy.reviewers {
        for p in &r.paths {
            if rows.iter().any(|(q, _)| q == p) {
                continue;
            }
            let sample = sample_path(p);
            let owners: Vec<String> = policy
                .reviewers
                .iter()
                .filter(|o| o.paths.iter().any(|q| q == p || glob_match(q, &sample)))
                .map(|o| o.email.clone())
                .collect();
            rows.push((p.clone(), owners));
        }
    }
    // CODEOWNERS: the last matching line wins, so broader patterns go first.
    rows.sort_by_key(|(p, _)| std::cmp::Reverse(specificity_rank(p)));
    rows.reverse();
    for (p, owners) in rows {
        out.push_str(&format!(
            "/{prefix}{} {}\n",
            p.trim_start_matches('/'),
            owners.join(" ")
        ));
    }
    out
}

/// A path the pattern matches, wildcards replaced by a letter.
fn sample_path(p: &str) -> String {
    p.split('/')
        .map(|s| {
            if s == "**" {
                "x".to_string()
            } else {
                s.replace(['*', '?'], "x")
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Larger for more specific patterns (more literal segments, fewer wildcards).
fn specificity_rank(p: &str) -> (usize, usize) {
    let segs: Vec<&str> = p.split('/').collect();
    let literal = segs.iter().filter(|s| !s.contains('*')).count();
    (literal, segs.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob_match("plans/**", "plans/p/assignments/a01.toml"));
        assert!(glob_match(
            "plans/*/reports/**",
            "plans/p/reports/2025-h1/x.toml"
        ));
        assert!(!glob_match(
            "plans/*/reports/**",
            "plans/p/assignments/a01.toml"
        ));
        assert!(glob_match("kehoach.toml", "kehoach.toml"));
        assert!(!glob_match("*", "agencies/x.toml"));
        assert!(glob_match("agencies/*.toml", "agencies/so-y-te.toml"));
        assert!(glob_match("**/*.toml", "kehoach.toml"));
        assert!(glob_match(
            "plans/*/assignments/a-3?-*.toml",
            "plans/p/assignments/a-3a-x.toml"
        ));
    }

    fn policy() -> ReviewPolicy {
        let cfg: crate::model::Config =
            toml::from_str(include_str!("../../plan-data/kehoach.toml")).unwrap();
        cfg.review
    }

    #[test]
    fn refusals_say_why() {
        let p = policy();
        let paths = vec!["plans/p/assignments/a01.toml".to_string()];
        assert_eq!(refusal(&p, "lan.tt@soyte.example.vn", &paths, &[]), None);
        assert!(matches!(
            refusal(
                &p,
                "lan.tt@soyte.example.vn",
                &paths,
                &["LAN.TT@soyte.example.vn".into()]
            ),
            Some(Refusal::SelfApproval { .. })
        ));
        assert!(matches!(
            refusal(&p, "hung.nv@sotaichinh.example.vn", &paths, &[]),
            Some(Refusal::NotForPaths { .. })
        ));
        assert!(matches!(
            refusal(&p, "x@example.vn", &paths, &[]),
            Some(Refusal::NotAReviewer { .. })
        ));
        // Nobody owns schemas/: any reviewer may approve it.
        assert_eq!(
            refusal(
                &p,
                "hung.nv@sotaichinh.example.vn",
                &["schemas/x.json".into()],
                &[]
            ),
            None
        );
    }

    #[test]
    fn codeowners_lists_every_pattern() {
        let text = codeowners(&policy(), "plan-data/");
        assert!(
            text.contains("/plan-data/plans/** lan.tt@soyte.example.vn\n"),
            "{text}"
        );
        assert!(text.contains(
            "/plan-data/plans/*/reports/** lan.tt@soyte.example.vn hung.nv@sotaichinh.example.vn"
        ));
        let broad = text.find("/plan-data/plans/** ").unwrap();
        let narrow = text.find("/plan-data/plans/*/reports/**").unwrap();
        assert!(broad < narrow, "{text}");
    }
}
