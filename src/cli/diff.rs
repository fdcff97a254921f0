//! `kehoach diff [REV[..REV]] [ID] [--json]`: field-level differences.

use std::path::Path;

use super::output::{CliError, print_json};

#[derive(Debug, clap::Args)]
#[command(
    after_help = "Without REV: the changes not yet committed (work tree against HEAD).\n\
REV alone: REV against the work tree. A..B: commit A against commit B. A date (2025-06-30)\n\
stands for the last commit of the branch on that day.\n\n\
Examples:\n  kehoach diff\n  kehoach diff HEAD~3..HEAD a03\n  kehoach diff 2025-06-01..2025-06-30 --json"
)]
pub struct Args {
    /// REV, REV..REV, or a record; with two arguments, the revisions then the record.
    #[arg(value_name = "REV[..REV] | ID")]
    pub first: Option<String>,
    /// Only this record (id, PLAN/ID, PERIOD/AGENCY or path).
    #[arg(value_name = "ID")]
    pub id: Option<String>,
    /// Print as JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn run(cwd: &Path, args: Args) -> Result<(), CliError> {
    let store = super::open(cwd)?;
    let (revs, id): (Option<String>, Option<String>) = match (&args.first, &args.id) {
        (Some(a), Some(b)) => (Some(a.clone()), Some(b.clone())),
        (Some(a), None) => {
            if a.contains("..") || (store.find_anywhere(a).is_err() && store.is_rev(a)) {
                (Some(a.clone()), None)
            } else {
                (None, Some(a.clone()))
            }
        }
        _ => (None, None),
    };
    let rel = match &id {
        Some(q) => Some(store.find_anywhere(q)?.path),
        None => None,
    };
    let diffs = store.diff_revs(revs.as_deref(), rel.as_deref())?;
    if args.json {
        return print_json(&diffs);
    }
    if diffs.is_empty() {
        eprintln!("no record changed");
    }
    for d in &diffs {
        let name = store.repo_path(&d.path);
        let name = name.trim_end_matches(".toml");
        for line in super::log::record_lines(d) {
            // `plans/…/assignments/a03  due: 2025-12-15 → 2025-11-30`
            let detail = line.split_once("  ").map(|(_, r)| r).unwrap_or(&line);
            outln!("{}  {}", crate::model::text::sanitize_line(name), detail);
        }
    }
    Ok(())
}
