//! `kehoach agency retire ID --successor ID --on DATE`: close an agency and pass its open work on.

use std::path::Path;

use super::output::{CliError, print_json};
use crate::model::parse_date;
use crate::model::text::sanitize_line;

#[derive(Debug, clap::Subcommand)]
pub enum AgencyCommand {
    /// Close an agency: it ends the day before DATE, and its open assignments (as lead or
    /// coordinating agency) pass to the successor, in one commit. Its reports stay its own.
    #[command(
        after_help = "Example (district committees ended on 30 June 2025; the communes took over on 1 July):\n  kehoach agency retire ubnd-huyen-phu-quy --successor ubnd-dac-khu-phu-quy --on 2025-07-01"
    )]
    Retire(RetireArgs),
}

#[derive(Debug, clap::Args)]
pub struct RetireArgs {
    /// The agency that ends.
    pub id: String,
    /// The agency that takes over its open work (active on DATE).
    #[arg(long, value_name = "ID")]
    pub successor: String,
    /// The first day the successor holds the work; the agency's last day is the day before.
    #[arg(long, value_name = "DATE")]
    pub on: String,
    /// Show what would change, write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn run(cwd: &Path, cmd: AgencyCommand) -> Result<(), CliError> {
    match cmd {
        AgencyCommand::Retire(a) => retire(cwd, a),
    }
}

fn retire(cwd: &Path, a: RetireArgs) -> Result<(), CliError> {
    let on = parse_date(&a.on).ok_or_else(|| {
        CliError::new(format!("--on {:?} is not a date", a.on)).with_hint("write it as YYYY-MM-DD")
    })?;
    let store = super::open(cwd)?;
    let r = crate::track::retire::retire(&store, &a.id, &a.successor, on, a.dry_run)?;
    if a.json {
        return print_json(&r);
    }
    outln!(
        "{} ends on {}; {} takes over from {}",
        r.agency,
        r.valid_until,
        r.successor,
        r.on
    );
    for e in &r.edits {
        for c in &e.changes {
            outln!(
                "  {} {}  {}",
                e.kind.as_str(),
                e.id,
                sanitize_line(&c.to_string())
            );
        }
    }
    let moved = r.edits.len().saturating_sub(1);
    match &r.commit {
        None => outln!("dry run: {moved} assignment(s) would move; nothing written"),
        Some(c) => {
            outln!(
                "{moved} assignment(s) moved; committed {} on {}",
                &c.commit[..10],
                c.branch
            );
            if let Some(w) = &c.warning {
                super::output::warn(w);
            }
        }
    }
    Ok(())
}
