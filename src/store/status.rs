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
    /// A quick partial listing for a first screen: every plan and agency, and the records of
    /// the first plan only (data-root relative). Reading a few folders instead of the whole
    /// tree; `load::scan` lists everything.
    pub fn first_records(&self) -> Result<Vec<String>> {
        let root = self.root();
        let names = |rel: &str| -> Vec<String> {
            let mut v: Vec<String> = std::fs::read_dir(root.join(rel))
                .map(|rd| {
                    rd.filter_map(|e| e.ok())
                        .filter_map(|e| e.file_name().to_str().map(String::from))
                        .filter(|n| !n.starts_with('.'))
                        .collect()
                })
                .unwrap_or_default();
            v.sort();
            v
        };
        let mut out = Vec::new();
        for a in names("agencies") {
            out.push(format!("agencies/{a}"));
        }
        let plans = names("plans");
        for p in &plans {
            out.push(format!("plans/{p}/plan.toml"));
        }
        if let Some(p) = plans.first() {
            for a in names(&format!("plans/{p}/assignments")) {
                out.push(format!("plans/{p}/assignments/{a}"));
            }
            for period in names(&format!("plans/{p}/reports")) {
                for a in names(&format!("plans/{p}/reports/{period}")) {
                    out.push(format!("plans/{p}/reports/{period}/{a}"));
                }
            }
        }
        out.retain(|p| super::layout::classify(p).is_some() && root.join(p).is_file());
        out.sort();
        Ok(out)
    }
}
