//! `kehoach audit [--since REV] [--json]`: every commit of the protected branch that breaks the
//! review policy, with the reason; exit 1 on any.

use std::path::Path;

use super::output::{CliError, print_json};
use crate::model::text::sanitize;
use crate::store::branches;

#[derive(Debug, clap::Args)]
#[command(
    long_about = "Walks the protected branch's first-parent history from the policy start (review.since in \
kehoach.toml, or --since) and lists every commit that breaks the policy: direct commits, merges without \
an approval, unknown approvers, approvals the committer did not make, self-approval, approvals by someone \
not allowed for the paths touched, too few approvals. Each commit is judged by the policy in force before it \
(its first parent's kehoach.toml). Works in bare repositories too."
)]
pub struct Args {
    /// Start after this revision instead of review.since.
    #[arg(long, value_name = "REV")]
    pub since: Option<String>,
    /// The branch to audit (default: the protected branch).
    #[arg(long)]
    pub branch: Option<String>,
    #[arg(long)]
    pub json: bool,
}

pub fn run(cwd: &Path, args: Args) -> Result<(), CliError> {
    let repo = branches::open_repository(cwd)?;
    let branch = match args.branch {
        Some(b) => b,
        None => {
            let head = branches::resolve(&repo, "HEAD").ok();
            head.and_then(|h| {
                let prefix = branches::data_prefix(&repo, h).ok()??;
                branches::config_at(&repo, h, &prefix).ok()?
            })
            .map(|c| c.review.protected_branch)
            .unwrap_or_else(|| "main".into())
        }
    };
    let report = crate::review::audit::audit(&repo, &branch, args.since.as_deref())?;
    if args.json {
        print_json(&report)?;
    } else {
        for v in &report.violations {
            outln!(
                "{} {}",
                &v.commit[..10],
                sanitize(&crate::model::fields::short(&v.summary))
            );
            outln!("  {}: {}", v.rule, sanitize(&v.reason));
        }
        let n = report.violations.len();
        outln!(
            "{} commit{} of {} audited since {}: {}",
            report.checked,
            if report.checked == 1 { "" } else { "s" },
            report.branch,
            &report.since[..10],
            if n == 0 {
                "the review policy held".to_string()
            } else {
                format!("{n} violation{}", if n == 1 { "" } else { "s" })
            }
        );
    }
    if report.violations.is_empty() {
        Ok(())
    } else {
        Err(CliError::silent(1))
    }
}
