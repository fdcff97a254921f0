//! `kehoach status [PLAN]`: without a plan, the branch and what is not committed; with a plan, its
//! reporting rates.

use std::path::Path;

use super::output::{CliError, print_json};

#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  kehoach status\n  kehoach status kh-27-qd-ttg-binh-thuan --period 2025-h1"
)]
pub struct Args {
    /// A plan: show its reporting matrix and rates instead.
    pub plan: Option<String>,
    /// The reporting period (with PLAN).
    #[arg(long)]
    pub period: Option<String>,
    /// The day to count from, YYYY-MM-DD (with PLAN; default: today).
    #[arg(long)]
    pub today: Option<String>,
    /// Print as JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn run(cwd: &Path, args: Args) -> Result<(), CliError> {
    if let Some(plan) = &args.plan {
        return super::rates::run(
            cwd,
            plan,
            args.period.as_deref(),
            args.today.as_deref(),
            args.json,
        );
    }
    if args.period.is_some() || args.today.is_some() {
        return Err(CliError::new("--period and --today need a PLAN")
            .with_hint("kehoach status PLAN --period 2025-h1"));
    }
    let store = super::open(cwd)?;
    let s = store.branch_status()?;
    if args.json {
        return print_json(&s);
    }
    match &s.upstream {
        Some(u) => {
            let rel = match (s.ahead, s.behind) {
                (0, 0) => "up to date with".to_string(),
                (a, 0) => format!("{a} commit{} ahead of", if a == 1 { "" } else { "s" }),
                (0, b) => format!("{b} commit{} behind", if b == 1 { "" } else { "s" }),
                (a, b) => format!("{a} ahead of and {b} behind"),
            };
            outln!(
                "branch {}, {rel} {u} (as of the last `kehoach sync`)",
                s.branch
            );
        }
        None => outln!(
            "branch {} (no remote: `git remote add origin URL`)",
            s.branch
        ),
    }
    // Where edits go under the review policy, and this branch's request.
    let reviewed = store.config().is_ok_and(|c| !c.review.reviewers.is_empty());
    if reviewed && let Ok(b) = crate::review::branch_state(&store) {
        outln!("{}", crate::model::text::sanitize_line(&b.line_en()));
        if let Some(r) = &b.request {
            outln!(
                "review request {}: {} ({})",
                r.id,
                r.state.as_str(),
                crate::model::text::sanitize_line(&r.title)
            );
        } else if b.on_change_branch {
            outln!("no review request yet: `kehoach review submit` asks for one");
        }
    }
    if let Some(h) = &s.head {
        outln!(
            "last commit {}  {}  {}",
            h.short_id(),
            h.short_date(),
            crate::model::text::sanitize_line(&h.author)
        );
    }
    if s.uncommitted.is_empty() {
        outln!("no uncommitted record");
    } else {
        outln!(
            "{} uncommitted record{}:",
            s.uncommitted.len(),
            if s.uncommitted.len() == 1 { "" } else { "s" }
        );
        for d in &s.uncommitted {
            for l in super::log::record_lines(d) {
                outln!("  {l}");
            }
        }
    }
    Ok(())
}
