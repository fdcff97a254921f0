//! `kehoach init DIR [--sample]`.

use std::path::PathBuf;

use super::output::CliError;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The folder to create (missing or empty).
    pub dir: PathBuf,
    /// Start with a copy of the sample plan.
    #[arg(long)]
    pub sample: bool,
}

pub fn run(args: Args) -> Result<(), CliError> {
    let store = crate::store::init::init(&args.dir, args.sample)?;
    outln!(
        "made a kehoach data repository in {}",
        store.root().display()
    );
    outln!(
        "the review policy starts here (review.since in kehoach.toml); `kehoach audit` checks from it"
    );
    outln!(
        "the field-level merge driver is registered in this clone (.gitattributes: *.toml merge=kehoach); in other clones run:"
    );
    for line in crate::store::init::MERGE_DRIVER_SETUP.lines() {
        outln!("  {}", line.trim());
    }
    outln!("next:");
    outln!("  cd {}", args.dir.display());
    if args.sample {
        outln!("  kehoach list plans");
        outln!("  kehoach validate");
    } else {
        outln!(
            "  name reviewers under [[review.reviewers]] in kehoach.toml: until then edits stay on main"
        );
        outln!("  kehoach new agency --id so-y-te --name \"Sở Y tế\" --kind department");
    }
    Ok(())
}
