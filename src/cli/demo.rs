//! `kehoach demo [DIR]`: a fresh repository made from the sample plan, with some history.

use std::io::IsTerminal;
use std::path::PathBuf;

use super::output::CliError;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Where to make it (default: a new folder under the system's temporary folder).
    pub dir: Option<PathBuf>,
    /// Only make the repository and print where it is; do not open it.
    #[arg(long)]
    pub no_open: bool,
}

pub fn run(args: Args) -> Result<(), CliError> {
    let temporary = args.dir.is_none();
    let dir = match args.dir {
        Some(d) => d,
        None => {
            let t = tempfile::Builder::new()
                .prefix("kehoach-demo-")
                .tempdir()
                .map_err(|e| CliError::new(format!("cannot make a temporary folder: {e}")))?;
            t.keep()
        }
    };
    let store = crate::store::demo::make_demo(&dir).inspect_err(|_| {
        // The temporary folder was made for this demo; make_demo has emptied it.
        if temporary {
            let _ = std::fs::remove_dir(&dir);
        }
    })?;
    let root = store.root().display().to_string();
    outln!("demo repository: {root}");
    outln!(
        "it holds the sample plan (Kế hoạch triển khai Quyết định 27/QĐ-TTg, Bình Thuận) with its history."
    );
    outln!("try:");
    outln!("  cd {root}");
    outln!("  kehoach list assignments --agency so-y-te");
    outln!("  kehoach show a01");
    outln!("  kehoach search \"toa an\"");
    outln!("  kehoach set a04 status done      (lands on a change branch for review)");
    outln!("  git log --format='%an %s%n%b'");
    outln!("  kehoach                          (the terminal UI; ? lists the keys)");
    if args.no_open || !std::io::stdout().is_terminal() {
        return Ok(());
    }
    super::tui::run(store.root(), super::tui::Args::default())
}
