//! Where the work tree stands: branch, upstream, ahead/behind, records not yet committed.

use super::Store;
use super::error::Result;

/// A summary of the repository for a status line.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct RepoStatus {
    /// The branch checked out ("HEAD" when detached).
    pub branch: String,
    /// The upstream branch, when one is set (`origin/main`).
    pub upstream: Option<String>,
    pub ahead: usize,
    pub behind: usize,
    /// Record files under the data root that differ from the last commit (changed, new or
    /// deleted), data-root relative.
    pub uncommitted: Vec<String>,
}

impl Store {
    /// The branch, its distance to its upstream and the uncommitted records.
    pub fn status(&self) -> Result<RepoStatus> {
        let repo = self.repo();
        let mut st = RepoStatus::default();
        match repo.head() {
            Ok(head) => {
                st.branch = head.shorthand().unwrap_or("HEAD").to_string();
                if head.is_branch()
                    && let Ok(local) = repo.find_branch(&st.branch, git2::BranchType::Local)
                    && let Ok(up) = local.upstream()
                {
                    st.upstream = up.name().ok().flatten().map(String::from);
                    if let (Some(a), Some(b)) = (head.target(), up.get().target())
                        && let Ok((ahead, behind)) = repo.graph_ahead_behind(a, b)
                    {
                        st.ahead = ahead;
                        st.behind = behind;
                    }
                }
            }
            Err(_) => {
                // An unborn branch: name it from HEAD's symbolic target.
                st.branch = repo
                    .find_reference("HEAD")
                    .ok()
                    .and_then(|r| r.symbolic_target().ok().flatten().map(String::from))
                    .map(|t| t.trim_start_matches("refs/heads/").to_string())
                    .unwrap_or_else(|| "HEAD".into());
            }
        }
        let mut opts = git2::StatusOptions::new();
        opts.include_untracked(true)
            .recurse_untracked_dirs(true)
            .include_ignored(false)
            .exclude_submodules(true);
        if !self.prefix().is_empty() {
            opts.pathspec(self.prefix());
        }
        let statuses = repo.statuses(Some(&mut opts))?;
        for e in statuses.iter() {
            let Ok(p) = e.path() else { continue };
            let Some(rel) = p.strip_prefix(self.prefix()) else {
                continue;
            };
            if super::layout::classify(rel).is_some() {
                st.uncommitted.push(rel.to_string());
            }
        }
        st.uncommitted.sort();
        Ok(st)
    }
}

impl Store {
    /// The record files git tracks under the data root (data-root relative, sorted), read from
    /// the git index in one file: much quicker than walking a large tree. New files not yet
    /// added are missing; walk the tree (`load::scan`) for the full list.
    pub fn tracked_records(&self) -> Result<Vec<String>> {
        let index = self.repo().index()?;
        let prefix = self.prefix().as_bytes();
        let mut out: Vec<String> = index
            .iter()
            .filter_map(|e| {
                let rel = e.path.strip_prefix(prefix)?;
                let rel = std::str::from_utf8(rel).ok()?;
                super::layout::classify(rel).map(|_| rel.to_string())
            })
            .collect();
        out.sort();
        Ok(out)
    }
}
