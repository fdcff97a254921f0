//! `kehoach check --base REV`: for CI on forges — validates the branch merged onto the base and
//! says who may approve it under the policy; exit 1 on invalid records or conflicts.

use std::path::Path;

use super::output::{CliError, print_json};
use crate::model::text::sanitize;

#[derive(Debug, clap::Args)]
#[command(
    after_help = "Example (CI on a pull request):\n  git fetch origin main\n  kehoach check --base origin/main"
)]
pub struct Args {
    /// The branch the change is to be merged into (origin/main).
    #[arg(long, value_name = "REV")]
    pub base: String,
    /// The change (default HEAD).
    #[arg(long, value_name = "REV", default_value = "HEAD")]
    pub head: String,
    #[arg(long)]
    pub json: bool,
}

pub fn run(cwd: &Path, args: Args) -> Result<(), CliError> {
    let store = super::open(cwd)?;
    let c = crate::review::check_branch(&store, &args.base, &args.head)
        .map_err(super::review::review_err)?;
    let ok = c.problems.is_empty() && c.conflicts.is_empty();
    if args.json {
        print_json(&c)?;
    } else {
        outln!("records changed: {}", c.records.len());
        for r in &c.records {
            outln!("  {}", sanitize(r));
        }
        for p in &c.problems {
            outln!("{}", sanitize(&p.to_string()));
        }
        let short = |v: &Option<String>| {
            v.as_deref()
                .map(crate::model::fields::short)
                .unwrap_or("(absent)".into())
        };
        for k in &c.conflicts {
            outln!(
                "conflict: {}: ours {} / theirs {}",
                sanitize(&k.name()),
                short(&k.ours),
                short(&k.theirs)
            );
        }
        outln!(
            "approvals needed: {}; may approve: {}",
            c.approvals_needed.max(1),
            if c.may_approve.is_empty() {
                "nobody in the policy".to_string()
            } else {
                c.may_approve
                    .iter()
                    .map(|(n, e)| format!("{} <{e}>", sanitize(n)))
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        );
        outln!(
            "{}",
            if ok {
                "check passed: the merged result is valid"
            } else {
                "check failed"
            }
        );
    }
    if ok { Ok(()) } else { Err(CliError::silent(1)) }
}
