//! `kehoach revert REV`: a new commit that undoes a commit; history is never rewritten.

use std::path::Path;

use super::output::{CliError, print_json};

#[derive(Debug, clap::Args)]
#[command(
    after_help = "The changes of REV are undone field by field, keeping what changed since. If a\n\
field it changed has been changed again since, nothing is written and the conflict is listed.\n\n\
Example:\n  kehoach log a03\n  kehoach revert 1a2b3c4d5e"
)]
pub struct Args {
    /// The commit to undo (a commit id, HEAD~N, …).
    pub rev: String,
    /// Print as JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn run(cwd: &Path, args: Args) -> Result<(), CliError> {
    let store = super::open(cwd)?;
    let r = store.revert(&args.rev)?;
    if args.json {
        print_json(&r)?;
    } else if r.conflicts.is_empty() {
        for d in &r.records {
            for l in super::log::record_lines(d) {
                outln!("{l}");
            }
        }
        match &r.commit {
            Some(c) => outln!(
                "committed {} on {} (reverts {})",
                &c.commit[..10],
                c.branch,
                &r.reverted[..10]
            ),
            None => outln!(
                "nothing to undo: what {} changed is already undone",
                &r.reverted[..10]
            ),
        }
    }
    if !r.conflicts.is_empty() {
        return Err(CliError::new(format!(
            "nothing was written: {} field{} changed again since {}",
            r.conflicts.len(),
            if r.conflicts.len() == 1 { "" } else { "s" },
            &r.reverted[..10]
        ))
        .with_details(r.conflicts.iter().map(|c| c.to_string()).collect())
        .with_hint("set those fields by hand with `kehoach set`, or restore a whole record with `kehoach restore ID --to REV`"));
    }
    Ok(())
}
