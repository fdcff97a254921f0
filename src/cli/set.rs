//! `kehoach set ID FIELD VALUE`: one field, validated, one commit.

use std::path::Path;

use super::output::{CliError, print_json};

#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  kehoach set a01 due 2025-12-15\n  kehoach set a01 status done\n  kehoach set a01 coordinating so-tai-chinh,so-y-te\n  kehoach set 2025-h1/so-y-te entries[a01].percent 60"
)]
pub struct Args {
    /// The record (id, PLAN/ID, PERIOD/AGENCY or path).
    pub id: String,
    /// The field: due, status, title, signer.name, entries[a01].percent …
    pub field: String,
    /// The new value; lists are written comma-separated.
    pub value: String,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn run(cwd: &Path, args: Args) -> Result<(), CliError> {
    let store = super::open(cwd)?;
    let saved = store.set_field(&args.id, &args.field, &args.value)?;
    if args.json {
        return print_json(&saved);
    }
    match &saved.commit {
        None => outln!(
            "{} {}: nothing changed",
            saved.record.kind.as_str(),
            saved.record.id
        ),
        Some(c) => {
            for ch in &saved.changes {
                outln!("{} {}  {}", saved.record.kind.as_str(), saved.record.id, ch);
            }
            outln!("committed {} on {}", &c.commit[..10], c.branch);
            if let Some(w) = &c.warning {
                super::output::warn(w);
            }
        }
    }
    Ok(())
}
