//! `kehoach new plan|assignment|report|agency …`: required fields as flags; in a terminal, missing
//! ones are asked for.

use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;

use super::output::{CliError, print_json};
use crate::model::text::to_nfc;
use crate::model::*;
use crate::store::layout::{self, Kind};

#[derive(Debug, clap::Subcommand)]
pub enum NewCommand {
    /// A new agency.
    Agency(AgencyArgs),
    /// A new plan (a draft).
    Plan(PlanArgs),
    /// A new assignment of a plan.
    Assignment(AssignmentArgs),
    /// A new progress report of an agency for a period.
    Report(ReportArgs),
}

#[derive(Debug, clap::Args)]
pub struct AgencyArgs {
    #[arg(long)]
    pub id: Option<String>,
    #[arg(long)]
    pub name: Option<String>,
    #[arg(long)]
    pub short_name: Option<String>,
    /// department, peoples_committee, peoples_council, court, procuracy, front, police, statistics_office, ministry, unit, office, other
    #[arg(long)]
    pub kind: Option<String>,
    #[arg(long)]
    pub parent: Option<String>,
    #[arg(long)]
    pub valid_from: Option<String>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Args)]
pub struct PlanArgs {
    #[arg(long)]
    pub id: Option<String>,
    #[arg(long)]
    pub title: Option<String>,
    /// The issuing agency's id.
    #[arg(long)]
    pub issuer: Option<String>,
    #[arg(long)]
    pub place: Option<String>,
    /// YYYY-MM-DD, or YYYY-MM while a draft has only its month.
    #[arg(long, default_value = "")]
    pub date: String,
    /// Who reports are sent to (agency id).
    #[arg(long)]
    pub report_to: Option<String>,
    /// year, half_year, quarter or month.
    #[arg(long, default_value = "half_year")]
    pub report_every: String,
    /// The first reporting period (2025-h1).
    #[arg(long)]
    pub first_period: Option<String>,
    #[arg(long, default_value_t = 15)]
    pub due_days: u32,
    #[arg(long)]
    pub signer: Option<String>,
    #[arg(long, default_value = "CHỦ TỊCH")]
    pub signer_title: String,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Args)]
pub struct AssignmentArgs {
    #[arg(long)]
    pub plan: Option<String>,
    #[arg(long)]
    pub id: Option<String>,
    /// Task ids it serves, comma-separated.
    #[arg(long)]
    pub tasks: Option<String>,
    #[arg(long)]
    pub lead: Option<String>,
    /// Coordinating agency ids, comma-separated.
    #[arg(long, default_value = "")]
    pub coordinating: String,
    #[arg(long)]
    pub title: Option<String>,
    #[arg(long)]
    pub description: Option<String>,
    #[arg(long, default_value = "")]
    pub output: String,
    /// A date, continuous, yearly:MM-DD, half-yearly:MM-DD, quarterly:MM-DD or monthly:DD.
    #[arg(long)]
    pub due: Option<String>,
    #[arg(long, default_value = "not_started")]
    pub status: String,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    #[arg(long)]
    pub plan: Option<String>,
    #[arg(long)]
    pub agency: Option<String>,
    /// 2025, 2025-h1, 2025-q3 or 2025-06.
    #[arg(long)]
    pub period: Option<String>,
    #[arg(long, default_value = "")]
    pub summary: String,
    #[arg(long)]
    pub json: bool,
}

/// Takes a flag's value, or asks for it when stdin is a terminal.
fn need(value: Option<String>, flag: &str, label: &str, missing: &mut Vec<String>) -> String {
    if let Some(v) = value {
        return to_nfc(v.trim()).into_owned();
    }
    if std::io::stdin().is_terminal() {
        eprint!("{label}: ");
        let _ = std::io::stderr().flush();
        let mut line = String::new();
        if std::io::stdin().lock().read_line(&mut line).is_ok() && !line.trim().is_empty() {
            return to_nfc(line.trim()).into_owned();
        }
    }
    missing.push(format!("--{flag}"));
    String::new()
}

fn list(s: &str) -> Vec<String> {
    s.split(',')
        .map(|x| to_nfc(x.trim()).into_owned())
        .filter(|x| !x.is_empty())
        .collect()
}

fn parse_enum<T: serde::de::DeserializeOwned>(
    s: &str,
    flag: &str,
    choices: &str,
) -> Result<T, CliError> {
    serde_json::from_value(serde_json::Value::String(s.to_string())).map_err(|_| {
        CliError::new(format!("--{flag}: {s:?} is not a valid value"))
            .with_hint(format!("choose one of: {choices}"))
    })
}

fn check_missing(missing: Vec<String>) -> Result<(), CliError> {
    if missing.is_empty() {
        return Ok(());
    }
    Err(CliError::new(format!("missing {}", missing.join(", ")))
        .with_hint("give them as flags, or run the command in a terminal to be asked"))
}

fn check_ids(ids: &[(&str, &str)]) -> Result<(), CliError> {
    for (flag, id) in ids {
        check_id(id).map_err(|e| {
            CliError::new(format!("--{flag}: {e}"))
                .with_hint(format!("for example: {}", slugify(id)))
        })?;
    }
    Ok(())
}

fn to_text<T: serde::Serialize>(kind: Kind, rel: &str, record: &T) -> Result<String, CliError> {
    let body = toml::to_string(record).map_err(|e| CliError::new(e.to_string()))?;
    Ok(format!("{}\n\n{body}", layout::schema_line(kind, rel)))
}

pub fn run(cwd: &Path, cmd: NewCommand) -> Result<(), CliError> {
    let store = super::open(cwd)?;
    let mut missing = Vec::new();
    let (kind, rel, text, json) = match cmd {
        NewCommand::Agency(a) => {
            let id = need(a.id, "id", "id (so-y-te)", &mut missing);
            let name = need(a.name, "name", "name", &mut missing);
            let kind = need(
                a.kind,
                "kind",
                "kind (department, peoples_committee, …)",
                &mut missing,
            );
            check_missing(missing)?;
            check_ids(&[("id", &id)])?;
            let kinds: Vec<&str> = AgencyKind::ALL.iter().map(|k| k.as_str()).collect();
            let rec = Agency {
                id: id.clone(),
                name,
                short_name: a
                    .short_name
                    .map(|s| to_nfc(&s).into_owned())
                    .unwrap_or_default(),
                kind: parse_enum(&kind, "kind", &kinds.join(", "))?,
                parent: a.parent.unwrap_or_default(),
                valid_from: a.valid_from.unwrap_or_default(),
                valid_until: String::new(),
                successor: String::new(),
                notes: String::new(),
            };
            let rel = layout::agency_path(&id);
            (
                Kind::Agency,
                rel.clone(),
                to_text(Kind::Agency, &rel, &rec)?,
                a.json,
            )
        }
        NewCommand::Plan(a) => {
            let id = need(a.id, "id", "id (kh-2026-tre-em)", &mut missing);
            let title = need(a.title, "title", "title", &mut missing);
            let issuer = need(a.issuer, "issuer", "issuer (agency id)", &mut missing);
            let place = need(a.place, "place", "place", &mut missing);
            let to = need(
                a.report_to,
                "report-to",
                "reports go to (agency id)",
                &mut missing,
            );
            let first = need(
                a.first_period,
                "first-period",
                "first reporting period (2026-h1)",
                &mut missing,
            );
            let signer = need(a.signer, "signer", "signer's name", &mut missing);
            check_missing(missing)?;
            check_ids(&[("id", &id)])?;
            let every: PeriodKind = parse_enum(
                &a.report_every,
                "report-every",
                "year, half_year, quarter, month",
            )?;
            let first: Period = first
                .parse()
                .map_err(|e: crate::model::period::PeriodError| {
                    CliError::new(format!("--first-period: {e}"))
                })?;
            let rec = Plan {
                id: id.clone(),
                number: String::new(),
                symbol: "KH-UBND".into(),
                issuer,
                place,
                date: a.date,
                title,
                status: PlanStatus::Draft,
                legal_basis: vec![],
                preamble: String::new(),
                headings: Headings::default(),
                purposes: vec![],
                tasks: vec![],
                funding: String::new(),
                duties: vec![],
                closing: String::new(),
                recipients: vec![],
                signer: Signer {
                    on_behalf_of: String::new(),
                    title: to_nfc(&a.signer_title).into_owned(),
                    name: signer,
                },
                reporting: Reporting {
                    period: every,
                    due_days: a.due_days,
                    to,
                    first_period: first,
                    last_period: None,
                },
                notes: String::new(),
            };
            let rel = layout::plan_path(&id);
            (
                Kind::Plan,
                rel.clone(),
                to_text(Kind::Plan, &rel, &rec)?,
                a.json,
            )
        }
        NewCommand::Assignment(a) => {
            let plan = need(a.plan, "plan", "plan id", &mut missing);
            let id = need(a.id, "id", "id (a07)", &mut missing);
            let tasks = need(a.tasks, "tasks", "tasks (t1,t2)", &mut missing);
            let lead = need(a.lead, "lead", "lead agency id", &mut missing);
            let title = need(a.title, "title", "title", &mut missing);
            let description = need(a.description, "description", "description", &mut missing);
            let due = need(
                a.due,
                "due",
                "due (2025-12-31, continuous, yearly:12-15 …)",
                &mut missing,
            );
            check_missing(missing)?;
            check_ids(&[("plan", &plan), ("id", &id)])?;
            let due: Due = due
                .parse()
                .map_err(|e: crate::model::due::DueError| CliError::new(format!("--due: {e}")))?;
            let rec = Assignment {
                id: id.clone(),
                plan: plan.clone(),
                tasks: list(&tasks),
                lead,
                coordinating: list(&a.coordinating),
                title,
                description,
                output: to_nfc(&a.output).into_owned(),
                due,
                status: parse_enum(
                    &a.status,
                    "status",
                    "not_started, in_progress, done, cancelled",
                )?,
                source: String::new(),
                notes: String::new(),
            };
            let rel = layout::assignment_path(&plan, &id);
            (
                Kind::Assignment,
                rel.clone(),
                to_text(Kind::Assignment, &rel, &rec)?,
                a.json,
            )
        }
        NewCommand::Report(a) => {
            let plan = need(a.plan, "plan", "plan id", &mut missing);
            let agency = need(a.agency, "agency", "agency id", &mut missing);
            let period = need(a.period, "period", "period (2025-h1)", &mut missing);
            check_missing(missing)?;
            check_ids(&[("plan", &plan), ("agency", &agency)])?;
            let period: Period =
                period
                    .parse()
                    .map_err(|e: crate::model::period::PeriodError| {
                        CliError::new(format!("--period: {e}"))
                    })?;
            let rec = Report {
                plan: plan.clone(),
                agency: agency.clone(),
                period,
                submitted_on: String::new(),
                status: ReportStatus::Draft,
                summary: to_nfc(&a.summary).into_owned(),
                entries: vec![],
                notes: String::new(),
            };
            let rel = layout::report_path(&plan, &period, &agency);
            (
                Kind::Report,
                rel.clone(),
                to_text(Kind::Report, &rel, &rec)?,
                a.json,
            )
        }
    };
    let saved = store.create(kind, &rel, text)?;
    if json {
        return print_json(&saved);
    }
    let c = saved
        .commit
        .as_ref()
        .map(|c| c.commit[..10].to_string())
        .unwrap_or_default();
    outln!(
        "created {} {} ({}), committed {c}",
        kind.as_str(),
        saved.record.id,
        store.repo_path(&rel)
    );
    Ok(())
}
