//! `kehoach sync`: fetch, bring the branch up to date, push — through the `git` command line.

use std::path::Path;

use super::output::{CliError, print_json};
use crate::store::sync::SyncAction;

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
    let r = store.sync(!args.no_push)?;
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
