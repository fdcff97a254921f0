//! `kehoach policy …`: the review policy of kehoach.toml.

use std::path::{Path, PathBuf};

use super::output::{CliError, print_json};
use crate::model::text::sanitize;
use crate::review::policy;

#[derive(Debug, clap::Subcommand)]
pub enum PolicyCommand {
    /// Show the review policy: protected branch, approvals, reviewers and their paths.
    Show {
        #[arg(long)]
        json: bool,
    },
    /// Write the CODEOWNERS file equivalent to the policy, for forges.
    Codeowners {
        /// Where to write it (default: CODEOWNERS at the top of the work tree; `-` for stdout).
        #[arg(long, short = 'o')]
        output: Option<PathBuf>,
    },
}

pub fn run(cwd: &Path, cmd: PolicyCommand) -> Result<(), CliError> {
    let store = super::open(cwd)?;
    let cfg = store.config()?;
    let p = &cfg.review;
    match cmd {
        PolicyCommand::Show { json } => {
            if json {
                return print_json(p);
            }
            outln!("protected branch: {}", p.protected_branch);
            outln!("approvals needed: {}", p.approvals.max(1));
            outln!(
                "self-approval: {}",
                if p.allow_self_approval {
                    "allowed"
                } else {
                    "not allowed"
                }
            );
            outln!(
                "policy start: {}",
                if p.since.is_empty() {
                    "(not set)"
                } else {
                    &p.since
                }
            );
            for r in &p.reviewers {
                outln!(
                    "reviewer {} <{}>: {}",
                    sanitize(&r.name),
                    r.email,
                    r.paths.join(", ")
                );
            }
            Ok(())
        }
        PolicyCommand::Codeowners { output } => {
            let text = policy::codeowners(p, store.prefix());
            match output.as_deref() {
                Some(o) if o == Path::new("-") => print!("{text}"),
                o => {
                    let path = match o {
                        Some(o) => cwd.join(o),
                        None => store.workdir().join("CODEOWNERS"),
                    };
                    crate::store::commit::write_atomic(&path, text.as_bytes())?;
                    outln!("wrote {}", path.display());
                    outln!("commit it on a change branch and submit it for review like any change");
                }
            }
            Ok(())
        }
    }
}
