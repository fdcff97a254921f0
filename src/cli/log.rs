//! `kehoach log [ID] [-n N] [--json]`: a record's history, or the repository's in record terms.

use std::path::Path;

use super::output::{CliError, print_json};
use crate::model::text::sanitize_line;
use crate::store::history::{RecordDiff, Status};

#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  kehoach log a03          every version of assignment a03, newest first\n  kehoach log              the last commits, with the records and fields each changed\n  kehoach log -n 5 --json"
)]
pub struct Args {
    /// A record (id, PLAN/ID, PERIOD/AGENCY or path); without it, the whole repository.
    pub id: Option<String>,
    /// At most this many commits (the whole repository's log only).
    #[arg(short = 'n', long = "max-count", default_value_t = 20)]
    pub max_count: usize,
    /// Print as JSON.
    #[arg(long)]
    pub json: bool,
}

/// One record's difference on one line: `assignment a03  due: 2025-12-31 → 2025-11-30`.
pub fn record_lines(r: &RecordDiff) -> Vec<String> {
    let who = format!("{} {}", r.kind.as_str(), r.id);
    let lines = match r.status {
        Status::Changed if !r.changes.is_empty() => {
            r.changes.iter().map(|c| format!("{who}  {c}")).collect()
        }
        Status::Changed => vec![format!("{who}  (layout or comments only)")],
        Status::Renamed => {
            let mut v = vec![format!(
                "{who}  renamed from {}",
                r.old_path.as_deref().unwrap_or("?")
            )];
            v.extend(r.changes.iter().map(|c| format!("{who}  {c}")));
            v
        }
        s => vec![format!("{who}  {}", s.as_str())],
    };
    // Ids and paths come from file names, values from the records: shown as text only.
    lines.iter().map(|l| sanitize_line(l)).collect()
}

pub fn run(cwd: &Path, args: Args) -> Result<(), CliError> {
    let store = super::open(cwd)?;
    match &args.id {
        Some(id) => {
            let rr = store.find_anywhere(id)?;
            let versions = store.record_log(&rr.path)?;
            if versions.is_empty() {
                return Err(CliError::new(format!(
                    "{} {} has no committed history",
                    rr.kind.as_str(),
                    rr.id
                ))
                .with_hint(
                    "records are committed by `kehoach set`, `kehoach new` and git commit",
                ));
            }
            if args.json {
                return print_json(&serde_json::json!({
                    "kind": rr.kind,
                    "id": rr.id,
                    "path": store.repo_path(&rr.path),
                    "versions": versions,
                }));
            }
            outln!(
                "{} {}  ({}): {} version{}",
                rr.kind.as_str(),
                rr.id,
                store.repo_path(&rr.path),
                versions.len(),
                if versions.len() == 1 { "" } else { "s" }
            );
            for v in &versions {
                outln!();
                outln!(
                    "{}  {}  {}",
                    v.commit.short_id(),
                    v.commit.short_date(),
                    sanitize_line(&v.commit.author)
                );
                outln!("    {}", sanitize_line(&v.commit.summary));
                match v.status {
                    Status::Created => outln!("    created"),
                    Status::Deleted => outln!("    deleted"),
                    Status::Renamed => {
                        let old = v.old_path.as_deref().unwrap_or("?");
                        outln!("    renamed from {}", sanitize_line(old))
                    }
                    Status::Changed => {}
                }
                for c in &v.changes {
                    outln!("    {c}");
                }
            }
        }
        None => {
            let entries = store.log(args.max_count)?;
            if args.json {
                return print_json(&entries);
            }
            for (i, e) in entries.iter().enumerate() {
                if i > 0 {
                    outln!();
                }
                outln!(
                    "{}  {}  {}",
                    e.commit.short_id(),
                    e.commit.short_date(),
                    sanitize_line(&e.commit.author)
                );
                outln!("    {}", sanitize_line(&e.commit.summary));
                const MAX: usize = 12;
                let lines: Vec<String> = e.records.iter().flat_map(record_lines).collect();
                for l in lines.iter().take(MAX) {
                    outln!("    {l}");
                }
                if lines.len() > MAX {
                    outln!(
                        "    … and {} more (kehoach diff {}~1..{})",
                        lines.len() - MAX,
                        e.commit.short_id(),
                        e.commit.short_id()
                    );
                }
            }
        }
    }
    Ok(())
}
