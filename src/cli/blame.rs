//! `kehoach blame ID [--json]`: who last changed each field of a record, and when.

use std::path::Path;

use super::output::{CliError, fit, print_json};

#[derive(Debug, clap::Args)]
#[command(
    after_help = "Blames the committed version (HEAD); `kehoach diff ID` shows changes not yet committed.\n\nExample:\n  kehoach blame a03"
)]
pub struct Args {
    /// The record (id, PLAN/ID, PERIOD/AGENCY or path).
    pub id: String,
    /// Print as JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn run(cwd: &Path, args: Args) -> Result<(), CliError> {
    let store = super::open(cwd)?;
    let rr = store.find_anywhere(&args.id)?;
    let fields = store.blame(&rr.path)?;
    if args.json {
        return print_json(&serde_json::json!({
            "kind": rr.kind,
            "id": rr.id,
            "path": store.repo_path(&rr.path),
            "fields": fields,
        }));
    }
    outln!(
        "{} {}  ({})",
        rr.kind.as_str(),
        rr.id,
        store.repo_path(&rr.path)
    );
    for f in &fields {
        outln!(
            "{} {} {}  {}  {}",
            fit(&f.field, 20),
            fit(&f.value, 20),
            f.commit.short_id(),
            f.commit.date.get(..10).unwrap_or(""),
            fit(&f.commit.author, 14).trim_end()
        );
    }
    Ok(())
}
