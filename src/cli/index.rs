//! `kehoach index [--rebuild] [--check] [--json]`: brings the search index up to date and says
//! what it holds.

use std::path::Path;
use std::time::Instant;

use super::output::{CliError, print_json};
use crate::search::{SearchIndex, Update};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Build the index again from the repository.
    #[arg(long)]
    pub rebuild: bool,
    /// Check every index file against its checksum; rebuild when one is damaged.
    #[arg(long)]
    pub check: bool,
    /// Print as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Uncommitted files named at most.
const SHOWN: usize = 10;

pub fn run(cwd: &Path, args: Args) -> Result<(), CliError> {
    let store = super::open(cwd)?;
    super::search::say_notices();
    let start = Instant::now();
    let mut index = if args.rebuild {
        SearchIndex::rebuild(&store)?
    } else {
        SearchIndex::open(&store)?
    };
    let mut damaged = vec![];
    if args.check {
        damaged = index.verify()?;
        if !damaged.is_empty() {
            index = SearchIndex::rebuild(&store)?;
        }
    }
    // An index in pieces (first built with little memory, by the terminal UI) is merged.
    let merged = index.compact(&store)?;
    let ms = start.elapsed().as_secs_f64() * 1000.0;
    let commit = index.commit().map(|c| c[..c.len().min(12)].to_string());
    if args.json {
        return print_json(&serde_json::json!({
            "update": index.update(),
            "records": index.len(),
            "commit": index.commit(),
            "uncommitted": index.uncommitted(),
            "deleted": index.deleted(),
            "damaged": damaged,
            "dir": index.dir(),
            "segments": index.segments(),
            "merged_segments": merged,
            "ms": ms,
        }));
    }
    let what = match index.update() {
        Update::UpToDate => "up to date".to_string(),
        Update::CaughtUp { records } => format!("caught up: re-read {records} record file(s)"),
        Update::Rebuilt { reason } if !damaged.is_empty() => {
            format!("rebuilt: {} damaged file(s) ({reason})", damaged.len())
        }
        Update::Rebuilt { reason } => format!("rebuilt ({reason})"),
    };
    outln!("search index {what} in {ms:.0} ms");
    outln!(
        "  {} records at commit {}",
        index.len(),
        commit.as_deref().unwrap_or("(none)")
    );
    let unc = index.uncommitted();
    if !unc.is_empty() {
        let deleted = index.deleted();
        // A few by name: a first import can leave thousands uncommitted.
        let shown: Vec<String> = unc
            .iter()
            .take(SHOWN)
            .map(|p| {
                let shown = crate::model::text::sanitize_line(p);
                match deleted.contains(p) {
                    true => format!("{shown} (deleted)"),
                    false => shown,
                }
            })
            .collect();
        let more = match unc.len().saturating_sub(SHOWN) {
            0 => String::new(),
            n => format!(" and {n} more (`kehoach index --json` lists them all)"),
        };
        outln!(
            "  {} uncommitted file(s) included: {}{more}",
            unc.len(),
            shown.join(", ")
        );
    }
    if let Some(n) = merged {
        outln!("  merged {n} segments into one (searches do a little less)");
    }
    if args.check && damaged.is_empty() {
        outln!("  every index file matches its checksum");
    }
    Ok(())
}
