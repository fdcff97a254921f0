//! `kehoach merge-driver %O %A %B %P`: git's merge driver for records — merges per field and
//! writes the result to %A; on conflicts writes markers around each conflicting field and exits 1.
//!
//! Register it once per clone (kehoach init does it for the repository it makes):
//!   git config merge.kehoach.name "kehoach field-level merge of TOML records"
//!   git config merge.kehoach.driver "kehoach merge-driver %O %A %B %P"
//! and .gitattributes holds `*.toml merge=kehoach`.

use std::path::{Path, PathBuf};

use super::output::CliError;
use crate::review::merge;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The common ancestor's version (%O).
    pub base: PathBuf,
    /// Ours (%A); the result is written here.
    pub ours: PathBuf,
    /// Theirs (%B).
    pub theirs: PathBuf,
    /// The file's path in the repository (%P), for messages.
    pub path: Option<String>,
}

fn read(p: &Path) -> Result<Option<String>, CliError> {
    match std::fs::read(p) {
        Ok(b) => Ok(Some(String::from_utf8(b).map_err(|_| {
            CliError::new(format!("{}: not UTF-8 text", p.display()))
        })?)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(CliError::new(format!("{}: {e}", p.display()))),
    }
}

pub fn run(cwd: &Path, args: Args) -> Result<(), CliError> {
    let base = read(&cwd.join(&args.base))?.filter(|t| !t.is_empty());
    let ours = read(&cwd.join(&args.ours))?;
    let theirs = read(&cwd.join(&args.theirs))?;
    let path = args
        .path
        .clone()
        .unwrap_or_else(|| args.ours.display().to_string());
    let fm = match merge::merge_file(&path, base.as_deref(), ours.as_deref(), theirs.as_deref()) {
        Ok(fm) => fm,
        Err(e) => {
            eprintln!("kehoach merge-driver: {e}");
            return Err(CliError::silent(1));
        }
    };
    let text = fm.text.clone().unwrap_or_default();
    if fm.conflicts.is_empty() {
        crate::store::commit::write_atomic(&cwd.join(&args.ours), text.as_bytes())?;
        return Ok(());
    }
    let marked = merge::with_markers(&text, &fm.conflicts);
    crate::store::commit::write_atomic(&cwd.join(&args.ours), marked.as_bytes())?;
    for c in &fm.conflicts {
        eprintln!("kehoach merge-driver: conflict in {}", c.name());
    }
    Err(CliError::silent(1))
}
