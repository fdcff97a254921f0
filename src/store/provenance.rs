//! When a record first reached the protected branch: one walk down the branch's first-parent
//! history (the merges of approved changes), diffing each commit with its first parent only
//! under one folder, and only when that folder's tree changed.

use std::collections::HashMap;

use git2::{DiffOptions, Oid};
use jiff::civil::Date;

use super::Store;
use super::error::Result;

/// The commit on the branch's first-parent history that first brought a file, and its date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arrival {
    pub commit: String,
    /// The committer's date, in the committer's own time zone.
    pub date: Date,
}

fn commit_date(c: &git2::Commit<'_>) -> Date {
    let t = c.committer().when();
    let offset =
        jiff::tz::Offset::from_seconds(t.offset_minutes() * 60).unwrap_or(jiff::tz::Offset::UTC);
    jiff::Timestamp::from_second(t.seconds())
        .map(|ts| offset.to_datetime(ts).date())
        .unwrap_or(Date::ZERO)
}

impl Store {
    /// For every file under `folder` (relative to the data root, such as
    /// `plans/P/reports`) that is on `branch`, the first-parent commit where it first appeared.
    /// Paths in the result are relative to the data root. An unknown branch gives an empty map.
    pub fn first_arrivals(&self, branch: &str, folder: &str) -> Result<HashMap<String, Arrival>> {
        let repo = self.repo();
        let mut out: HashMap<String, Arrival> = HashMap::new();
        let Ok(reference) = repo.find_reference(&format!("refs/heads/{branch}")) else {
            return Ok(out);
        };
        let tip = reference.peel_to_commit()?;
        let folder = folder.trim_end_matches('/');
        let repo_folder = self.repo_path(folder);
        let folder_tree = |c: &git2::Commit<'_>| -> Option<Oid> {
            c.tree()
                .ok()?
                .get_path(std::path::Path::new(&repo_folder))
                .ok()
                .map(|e| e.id())
        };
        let mut here = folder_tree(&tip);
        let mut commit = Some(tip);
        while let Some(c) = commit {
            let parent = c.parent(0).ok();
            // Each commit's folder tree is looked up once, as the parent of the one before.
            let before = parent.as_ref().and_then(folder_tree);
            if here.is_some() && here != before {
                let new_tree = c.tree()?;
                let old_tree = match &parent {
                    Some(p) => Some(p.tree()?),
                    None => None,
                };
                let mut opts = DiffOptions::new();
                opts.pathspec(format!("{repo_folder}/"));
                let diff =
                    repo.diff_tree_to_tree(old_tree.as_ref(), Some(&new_tree), Some(&mut opts))?;
                let date = commit_date(&c);
                for d in diff.deltas() {
                    if d.status() != git2::Delta::Added {
                        continue;
                    }
                    let Some(p) = d.new_file().path().and_then(|p| p.to_str()) else {
                        continue;
                    };
                    let rel = p.strip_prefix(self.prefix()).unwrap_or(p).to_string();
                    // Walking back in time: an older arrival replaces a newer one.
                    out.insert(
                        rel,
                        Arrival {
                            commit: c.id().to_string(),
                            date,
                        },
                    );
                }
            }
            commit = parent;
            here = before;
        }
        Ok(out)
    }
}
