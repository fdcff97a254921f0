//! `kehoach status`: the branch being worked on (a change branch or the protected one), its
//! review request, and uncommitted files.

use std::path::Path;

use super::output::{CliError, print_json};
use crate::model::text::sanitize;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[arg(long)]
    pub json: bool,
}

pub fn run(cwd: &Path, args: Args) -> Result<(), CliError> {
    let store = super::open(cwd)?;
    let cfg = store.config()?;
    let protected = cfg.review.protected_branch.clone();
    let branch = store.current_branch();
    let request = branch.as_deref().and_then(|b| {
        crate::store::branches::review_ids(store.repo())
            .ok()?
            .into_iter()
            .rev()
            .filter_map(|id| crate::review::load(&store, id).ok())
            .map(|(_, r)| r)
            .find(|r| r.branch == b)
    });
    let dirty = store.dirty_paths()?;
    if args.json {
        return print_json(&serde_json::json!({
            "branch": branch,
            "protected_branch": protected,
            "on_change_branch": branch.as_deref().is_some_and(|b| b != protected),
            "review": request,
            "uncommitted": dirty,
        }));
    }
    match branch.as_deref() {
        None => println!("HEAD is detached"),
        Some(b) if b == protected => println!(
            "on {b}, the protected branch: an edit will start a change branch review/<you>/<record>"
        ),
        Some(b) => println!("on change branch {b} (into {protected} through review)"),
    }
    match &request {
        Some(r) => println!("review {}: {} ({})", r.id, sanitize(&r.title), r.state),
        None if branch.as_deref().is_some_and(|b| b != protected) => {
            println!("not submitted yet: `kehoach review submit --title …`")
        }
        None => {}
    }
    if !dirty.is_empty() {
        println!("uncommitted:");
        for d in dirty {
            println!("  {d}");
        }
    }
    Ok(())
}
