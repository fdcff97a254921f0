//! The scripting CLI: one file per command. Commands print; library modules never do.

/// `println!` for command output: a reader that stopped reading (`| head`) ends the command
/// quietly instead of a panic.
macro_rules! outln {
    () => {
        $crate::cli::output::write_out(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::cli::output::write_out(format_args!("{}\n", format_args!($($arg)*)))
    };
}

mod agency;
mod audit;
mod blame;
mod check;
mod demo;
mod diff;
mod due;
mod export;
mod hook;
mod index;
mod init;
mod list;
mod log;
mod merge_driver;
mod new;
mod output;
mod policy;
mod rates;
mod report;
mod restore;
mod revert;
mod review;
mod search;
mod set;
mod show;
mod status;
mod sync;
mod tui;
mod validate;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::store::{Store, StoreError};
pub use output::CliError;

#[derive(Debug, Parser)]
#[command(
    name = "kehoach",
    version,
    about = "Plans, assignments and progress reports kept as TOML records in a Git repository",
    long_about = "kehoach keeps a public body's plans, the assignments that split them among agencies, \
and the agencies' progress reports as TOML files in a Git repository. Every change is a commit.\n\n\
Start with `kehoach demo` to try it on the sample plan.",
    after_help = "Run `kehoach COMMAND --help` for the options of a command."
)]
pub struct Cli {
    /// Work in DIR instead of the current folder.
    #[arg(short = 'C', global = true, value_name = "DIR")]
    pub chdir: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check every record: TOML syntax, schema, references, dates, periods, NFC.
    Validate(validate::Args),
    /// List records of one kind, with filters.
    List(list::Args),
    /// Show one record.
    Show(show::Args),
    /// Create a record (required fields as flags; asks for missing ones in a terminal).
    #[command(subcommand)]
    New(new::NewCommand),
    /// Change one field of a record and commit.
    Set(set::Args),
    /// A record's history (who changed which fields, when), or the repository's.
    Log(log::Args),
    /// Field-level differences: uncommitted changes, or between commits or dates.
    Diff(diff::Args),
    /// For each field of a record: the commit, author and date that last changed it.
    Blame(blame::Args),
    /// Undo a commit with a new commit (history is never rewritten).
    Revert(revert::Args),
    /// Put a record back as it was at a commit or date, with a new commit.
    Restore(restore::Args),
    /// Fetch, bring the branch up to date, and push, through git.
    Sync(sync::Args),
    /// The branch, ahead/behind its remote and uncommitted records; or a plan's reporting rates.
    Status(status::Args),
    /// Find records: Vietnamese words with or without diacritics, "phrases", -words, filters.
    Search(search::Args),
    /// Bring the search index up to date (or rebuild it) and show what it holds.
    Index(index::Args),
    /// Make a new data repository.
    Init(init::Args),
    /// Make a demo repository from the sample plan and open it.
    Demo(demo::Args),
    /// Open the terminal UI (the default when no command is given).
    Tui(tui::Args),
    /// The review queue: submit, list, show, approve, request changes, reject, bundle, import.
    #[command(subcommand)]
    Review(review::ReviewCommand),
    /// The review policy: show it, or write the equivalent CODEOWNERS file.
    #[command(subcommand)]
    Policy(policy::PolicyCommand),
    /// List every commit of the protected branch that breaks the review policy.
    Audit(audit::Args),
    /// Server-side hooks (pre-receive) for the shared bare repository.
    #[command(subcommand)]
    Hook(hook::HookCommand),
    /// For CI: validate a branch merged onto a base and say who may approve it.
    Check(check::Args),
    /// Git merge driver: field-level merge of TOML records (%O %A %B %P).
    MergeDriver(merge_driver::Args),
    /// Deadlines of assignments: what is overdue, what is due soon.
    Due(due::Args),
    /// Agency changes: retire an agency in favour of a successor.
    #[command(subcommand)]
    Agency(agency::AgencyCommand),
    /// Reports: the consolidated report of a period.
    #[command(subcommand)]
    Report(report::ReportCommand),
    /// Export a plan: its official document (md, html) or its data (csv, json).
    Export(export::Args),
}

/// Runs a parsed command line; the caller maps the error to an exit code.
pub fn run(cli: Cli) -> Result<(), CliError> {
    let dir = cli.chdir.clone().unwrap_or_else(|| PathBuf::from("."));
    // Only a search hands work to the spare thread (the folder check).
    if !matches!(cli.command, Some(Command::Search(_))) {
        crate::spare::release();
    }
    match cli.command {
        Some(Command::Validate(a)) => validate::run(&dir, a),
        Some(Command::List(a)) => list::run(&dir, a),
        Some(Command::Show(a)) => show::run(&dir, a),
        Some(Command::New(a)) => new::run(&dir, a),
        Some(Command::Set(a)) => set::run(&dir, a),
        Some(Command::Log(a)) => log::run(&dir, a),
        Some(Command::Diff(a)) => diff::run(&dir, a),
        Some(Command::Blame(a)) => blame::run(&dir, a),
        Some(Command::Revert(a)) => revert::run(&dir, a),
        Some(Command::Restore(a)) => restore::run(&dir, a),
        Some(Command::Sync(a)) => sync::run(&dir, a),
        Some(Command::Status(a)) => status::run(&dir, a),
        Some(Command::Search(a)) => search::run(&dir, a),
        Some(Command::Index(a)) => index::run(&dir, a),
        Some(Command::Init(a)) => init::run(a),
        Some(Command::Demo(a)) => demo::run(a),
        Some(Command::Tui(a)) => tui::run(&dir, a),
        Some(Command::Review(a)) => review::run(&dir, a),
        Some(Command::Policy(a)) => policy::run(&dir, a),
        Some(Command::Audit(a)) => audit::run(&dir, a),
        Some(Command::Hook(a)) => hook::run(&dir, a),
        Some(Command::Check(a)) => check::run(&dir, a),
        Some(Command::MergeDriver(a)) => merge_driver::run(&dir, a),
        Some(Command::Due(a)) => due::run(&dir, a),
        Some(Command::Agency(a)) => agency::run(&dir, a),
        Some(Command::Report(a)) => report::run(&dir, a),
        Some(Command::Export(a)) => export::run(&dir, a),
        None => tui::run(&dir, tui::Args::default()),
    }
}

/// Opens the data repository that `dir` is in.
pub(crate) fn open(dir: &std::path::Path) -> Result<Store, CliError> {
    Store::open(dir).map_err(CliError::from)
}

impl From<StoreError> for CliError {
    fn from(e: StoreError) -> Self {
        let hint = e.hint();
        let mut err = match e {
            StoreError::Invalid(diags) => {
                let n = diags.len();
                CliError::new(format!(
                    "nothing was written: {n} problem{}",
                    if n == 1 { "" } else { "s" }
                ))
                .with_details(diags.iter().map(|d| d.to_string()).collect())
            }
            other => CliError::new(other.to_string()),
        };
        if let Some(h) = hint {
            err = err.with_hint(h);
        }
        err
    }
}
