//! `kehoach report consolidate PLAN PERIOD [--format md|html]`: the lead department's report.

use std::path::{Path, PathBuf};

use super::output::CliError;
use super::rates::{parse_period, parse_today};

#[derive(Debug, clap::Subcommand)]
pub enum ReportCommand {
    /// The consolidated report of a period: every assignment with each agency's status,
    /// results, difficulties and proposals, and who has not reported.
    Consolidate(ConsolidateArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DocFormat {
    Md,
    Html,
}

#[derive(Debug, clap::Args)]
pub struct ConsolidateArgs {
    /// The plan id.
    pub plan: String,
    /// One of the plan's reporting periods (2025-h1).
    pub period: String,
    /// Markdown or a self-contained HTML file to print.
    #[arg(long, value_enum, default_value = "md")]
    pub format: DocFormat,
    /// Write to FILE instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Judge deadlines as of this date (YYYY-MM-DD) instead of today.
    #[arg(long, value_name = "DATE")]
    pub today: Option<String>,
}

pub fn run(cwd: &Path, cmd: ReportCommand) -> Result<(), CliError> {
    match cmd {
        ReportCommand::Consolidate(a) => {
            let period = parse_period(&a.period)?;
            let today = parse_today(a.today.as_deref())?;
            let store = super::open(cwd)?;
            let text = crate::track::consolidated_report(
                &store,
                &a.plan,
                period,
                today,
                a.format == DocFormat::Html,
            )?;
            super::export::emit(cwd, a.output.as_deref(), &text)
        }
    }
}
