//! `kehoach sync`: fetch, bring the branch up to date, push — through the `git` command line.

use std::path::Path;

use super::output::{CliError, print_json};
use crate::review::hook::refusals_for_push;
use crate::store::sync::{PushPlan, SyncAction};

#[derive(Debug, clap::Args)]
#[command(
    after_help = "Uses git itself (your SSH keys and git config) to talk to the remote. Changes\n\
made on both sides to different records, or to different fields of one record, are merged; the\n\
same field changed on both sides stops the sync with nothing changed, and the conflicts listed."
)]
pub struct Args {
    /// Fetch and bring the branch up to date, but do not push.
    #[arg(long)]
    pub no_push: bool,
    /// Print as JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn run(cwd: &Path, args: Args) -> Result<(), CliError> {
    let store = super::open(cwd)?;
    // Under a review policy, what reaches the protected branch is checked as the shared
    // repository's hook checks it, before it leaves: a commit made straight on it (with git,
    // say) is not pushed, whether or not the remote would have stopped it.
    let reviewed = store.config().is_ok_and(|c| !c.review.reviewers.is_empty());
    let vet = |p: &PushPlan| -> Vec<String> {
        if !reviewed {
            return vec![];
        }
        refusals_for_push(store.repo(), &p.refname, p.old, p.new)
            .unwrap_or_else(|e| vec![format!("the review policy could not be checked: {e}")])
    };
    let r = store.sync(!args.no_push, &vet)?;
    if args.json {
        print_json(&r)?;
    } else {
        match r.action {
            SyncAction::UpToDate => outln!("{}: nothing new on {}", r.branch, r.remote),
            SyncAction::FastForward => outln!(
                "{}: brought up to date with {} ({} commit{})",
                r.branch,
                r.remote,
                r.behind,
                if r.behind == 1 { "" } else { "s" }
            ),
            SyncAction::Merged => outln!(
                "{}: merged {} commit{} from {} with {} of yours",
                r.branch,
                r.behind,
                if r.behind == 1 { "" } else { "s" },
                r.remote,
                r.ahead
            ),
            SyncAction::Conflicts => {}
        }
        for d in &r.records {
            for l in super::log::record_lines(d) {
                outln!("  {l}");
            }
        }
        if r.pushed {
            outln!("pushed {} to {}", r.branch, r.remote);
        }
    }
    if !r.refused.is_empty() {
        let branch = &r.branch;
        return Err(CliError::new(format!(
            "sync did not push {branch} to {}: the review policy refuses what it would add",
            r.remote
        ))
        .with_details(r.refused.clone())
        .with_hint(format!(
            "changes reach {branch} through review: move these commits to a change branch \
             (`git switch -c review/<you>/<topic>`, then `git branch -f {branch} {}/{branch}`) \
             and ask for approval with `kehoach review submit`",
            r.remote
        )));
    }
    if !r.conflicts.is_empty() {
        return Err(CliError::new(format!(
            "sync stopped: {} conflict{} with {}; nothing was changed here",
            r.conflicts.len(),
            if r.conflicts.len() == 1 { "" } else { "s" },
            r.remote
        ))
        .with_details(r.conflicts.iter().map(|c| c.to_string()).collect())
        .with_hint("agree on the value, set it with `kehoach set` on one side (both sides the same value merges), then sync again"));
    }
    Ok(())
}
