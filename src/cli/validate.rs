//! `kehoach validate [DIR]`: every problem of every record, then a count.

use std::path::{Path, PathBuf};

use super::output::{CliError, print_json};
use crate::store::load_dir;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The data root to check (default: the data repository around the current folder).
    pub dir: Option<PathBuf>,
    /// Print problems as JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn run(cwd: &Path, args: Args) -> Result<(), CliError> {
    let (root, shown) = match &args.dir {
        Some(d) => (cwd.join(d), d.clone()),
        None => {
            let store = super::open(cwd)?;
            let root = store.root().to_path_buf();
            (root.clone(), root)
        }
    };
    if !root.is_dir() {
        return Err(
            CliError::new(format!("{} is not a folder", shown.display()))
                .with_hint("give the folder that holds kehoach.toml"),
        );
    }
    let loaded = load_dir(&root)?;
    let prefix = |p: &str| shown.join(p).display().to_string();
    if args.json {
        let problems: Vec<serde_json::Value> = loaded
            .diagnostics
            .iter()
            .map(|d| {
                serde_json::json!({
                    "file": prefix(&d.path),
                    "line": d.line,
                    "column": d.column,
                    "field": d.field,
                    "message": d.message,
                })
            })
            .collect();
        print_json(&serde_json::json!({
            "files": loaded.files,
            "errors": problems.len(),
            "problems": problems,
        }))?;
    } else {
        for d in &loaded.diagnostics {
            let mut d = d.clone();
            d.path = prefix(&d.path);
            outln!("{d}");
        }
        let n = loaded.diagnostics.len();
        if n == 0 {
            outln!("{} files checked, no problems", loaded.files);
        } else {
            outln!(
                "{} files checked, {n} error{}",
                loaded.files,
                if n == 1 { "" } else { "s" }
            );
        }
    }
    let ok = loaded.diagnostics.is_empty();
    // The process ends right after: freeing a hundred thousand records one by one would only
    // delay the answer.
    std::mem::forget(loaded);
    if ok { Ok(()) } else { Err(CliError::silent(1)) }
}
