//! `kehoach show ID [--json]`.

use std::path::Path;

use super::output::{CliError, print_json};
use crate::model::text::sanitize;
use crate::store::parse_record;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A record id (so-y-te, a01), PLAN/ID, PERIOD/AGENCY for a report, or a path.
    pub id: String,
    /// The record as it was at a commit, or on a date (the last commit of the branch that day).
    #[arg(long, value_name = "DATE|REV")]
    pub at: Option<String>,
    /// Print as JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn run(cwd: &Path, args: Args) -> Result<(), CliError> {
    let store = super::open(cwd)?;
    let (rr, text, at) = match &args.at {
        Some(rev) => {
            let (rr, text, c) = store.read_rev(&args.id, rev)?;
            (rr, text, Some(c))
        }
        None => {
            let rr = store.find(&args.id)?;
            let text = store.read(&rr.path)?;
            (rr, text, None)
        }
    };
    if args.json {
        let rec = parse_record(rr.kind, &rr.path, &text)
            .map_err(|d| CliError::from(crate::store::StoreError::Invalid(d)))?;
        let value: toml::Table = toml::from_str(&text).map_err(|e| CliError::new(e.to_string()))?;
        let _ = rec;
        return print_json(&serde_json::json!({
            "kind": rr.kind,
            "id": rr.id,
            "path": store.repo_path(&rr.path),
            "record": value,
            "at": at,
        }));
    }
    outln!(
        "{} {}  ({})",
        rr.kind.as_str(),
        rr.id,
        store.repo_path(&rr.path)
    );
    if let Some(c) = &at {
        outln!(
            "as of commit {}  {}  {}",
            c.short_id(),
            c.short_date(),
            crate::model::text::sanitize_line(&c.author)
        );
    }
    outln!();
    let body: Vec<&str> = text
        .lines()
        .skip_while(|l| l.starts_with("#:schema") || l.trim().is_empty())
        .collect();
    outln!("{}", sanitize(&body.join("\n")));
    Ok(())
}
