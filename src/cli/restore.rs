//! `kehoach restore ID --to REV`: a new commit that puts a record back as it was.

use std::path::Path;

use super::output::{CliError, print_json};

#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  kehoach restore a03 --to HEAD~2\n  kehoach restore a03 --to 2025-06-30"
)]
pub struct Args {
    /// The record (id, PLAN/ID, PERIOD/AGENCY or path).
    pub id: String,
    /// The commit or date (the last commit of that day) to take the record from.
    #[arg(long = "to", value_name = "DATE|REV")]
    pub to: String,
    /// Print as JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn run(cwd: &Path, args: Args) -> Result<(), CliError> {
    let store = super::open(cwd)?;
    let saved = store.restore(&args.id, &args.to)?;
    if args.json {
        return print_json(&saved);
    }
    let who = format!("{} {}", saved.record.kind.as_str(), saved.record.id);
    match &saved.commit {
        None => outln!("{who}: already as it was at {}", args.to),
        Some(c) => {
            for ch in &saved.changes {
                outln!("{who}  {ch}");
            }
            outln!("committed {} on {}", &c.commit[..10], c.branch);
            if let Some(w) = &c.warning {
                super::output::warn(w);
            }
        }
    }
    Ok(())
}
