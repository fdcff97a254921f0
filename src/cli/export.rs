//! `kehoach export PLAN --format md|html|csv|json`: the plan as a document, or its data.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::output::CliError;
use crate::track::ExportFormat;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// The plan in its official layout, with the appendix of assignments, as Markdown.
    Md,
    /// The same as one self-contained HTML file, fit to print.
    Html,
    /// Assignments (or reports, with --table reports) as CSV.
    Csv,
    /// The plan, its assignments and its reports.
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Table {
    Assignments,
    Reports,
}

#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  kehoach export kh-27-qd-ttg-binh-thuan --format html -o ke-hoach.html\n  kehoach export kh-27-qd-ttg-binh-thuan --format csv --table reports"
)]
pub struct Args {
    /// The plan id.
    pub plan: String,
    #[arg(long, value_enum, default_value = "md")]
    pub format: Format,
    /// For CSV: which table.
    #[arg(long, value_enum, default_value = "assignments")]
    pub table: Table,
    /// Write to FILE instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// For CSV written to a file: leave out the byte-order mark that tells spreadsheet
    /// programs the file is UTF-8 (without it, some show Vietnamese letters garbled).
    #[arg(long)]
    pub no_bom: bool,
}

/// The UTF-8 byte-order mark.
const BOM: &str = "\u{feff}";

/// Writes `text` to `output` (relative to `cwd`), atomically, or to standard output.
pub(crate) fn emit(cwd: &Path, output: Option<&Path>, text: &str) -> Result<(), CliError> {
    match output {
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())?;
            out.flush()?;
            Ok(())
        }
        Some(p) => {
            let path = if p.is_absolute() {
                p.to_path_buf()
            } else {
                cwd.join(p)
            };
            crate::store::commit::write_atomic(&path, text.as_bytes())?;
            eprintln!("wrote {}", path.display());
            Ok(())
        }
    }
}

pub fn run(cwd: &Path, a: Args) -> Result<(), CliError> {
    let store = super::open(cwd)?;
    let format = match (a.format, a.table) {
        (Format::Md, _) => ExportFormat::Markdown,
        (Format::Html, _) => ExportFormat::Html,
        (Format::Csv, Table::Assignments) => ExportFormat::CsvAssignments,
        (Format::Csv, Table::Reports) => ExportFormat::CsvReports,
        (Format::Json, _) => ExportFormat::Json,
    };
    let text = crate::track::export_plan(&store, &a.plan, format)?;
    // A CSV file is opened in a spreadsheet program: marked as UTF-8. Standard output goes to
    // other programs, which want the bare text.
    if a.format == Format::Csv && a.output.is_some() && !a.no_bom {
        return emit(cwd, a.output.as_deref(), &format!("{BOM}{text}"));
    }
    emit(cwd, a.output.as_deref(), &text)
}
