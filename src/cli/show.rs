//! `kehoach show ID [--json]`.

use std::path::Path;

use super::output::{CliError, print_json};
use crate::model::text::sanitize;
use crate::store::parse_record;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A record id (so-y-te, a01), PLAN/ID, PERIOD/AGENCY for a report, or a path.
    pub id: String,
    /// Print as JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn run(cwd: &Path, args: Args) -> Result<(), CliError> {
    let store = super::open(cwd)?;
    let rr = store.find(&args.id)?;
    let text = store.read(&rr.path)?;
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
        }));
    }
    println!(
        "{} {}  ({})",
        rr.kind.as_str(),
        rr.id,
        store.repo_path(&rr.path)
    );
    println!();
    let body: Vec<&str> = text
        .lines()
        .skip_while(|l| l.starts_with("#:schema") || l.trim().is_empty())
        .collect();
    println!("{}", sanitize(&body.join("\n")));
    Ok(())
}
