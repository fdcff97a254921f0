//! `kehoach list [KIND] [--plan] [--agency] [--status] [--json]`.

use std::io::IsTerminal;
use std::path::Path;

use super::output::{CliError, fit, last_column, print_json, terminal_width, text_width};
use crate::store::{Kind, Loaded};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// plans, assignments, reports or agencies (default: assignments).
    #[arg(value_name = "KIND")]
    pub kind: Option<String>,
    /// Only records of this plan.
    #[arg(long)]
    pub plan: Option<String>,
    /// Only records of this agency (lead or coordinating, for assignments).
    #[arg(long)]
    pub agency: Option<String>,
    /// Only records with this status.
    #[arg(long)]
    pub status: Option<String>,
    /// The records as they were at a commit, or on a date (the last commit of the branch that day).
    #[arg(long, value_name = "DATE|REV")]
    pub at: Option<String>,
    /// Print as JSON.
    #[arg(long)]
    pub json: bool,
}

/// The fewest columns a title is shown in beside the other columns on a terminal.
const MIN_TITLE: usize = 24;

/// One line of a listing.
#[derive(Debug, serde::Serialize)]
pub struct Row {
    pub kind: &'static str,
    pub id: String,
    pub title: String,
    pub status: String,
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plan: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lead: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub due: Option<String>,
}

fn enum_str<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(String::from))
        .unwrap_or_default()
}

pub fn rows(loaded: &Loaded, kind: Kind, args: &Args) -> Vec<Row> {
    let plan_ok = |p: &str| args.plan.as_deref().is_none_or(|x| x == p);
    let status_ok = |s: &str| args.status.as_deref().is_none_or(|x| x == s);
    let r = &loaded.records;
    let mut out: Vec<Row> = match kind {
        Kind::Agency => r
            .agencies
            .iter()
            .filter(|a| args.agency.as_deref().is_none_or(|x| x == a.record.id))
            .filter(|a| {
                let st = if a.record.valid_until.is_empty() {
                    "active"
                } else {
                    "ended"
                };
                status_ok(st)
            })
            .map(|a| Row {
                kind: "agency",
                id: a.record.id.clone(),
                title: a.record.name.clone(),
                status: if a.record.valid_until.is_empty() {
                    "active".into()
                } else {
                    format!("until {}", a.record.valid_until)
                },
                path: a.path.clone(),
                plan: None,
                lead: None,
                due: None,
            })
            .collect(),
        Kind::Plan => r
            .plans
            .iter()
            .filter(|p| plan_ok(&p.record.id) && status_ok(&enum_str(&p.record.status)))
            .map(|p| Row {
                kind: "plan",
                id: p.record.id.clone(),
                title: p.record.title.clone(),
                status: enum_str(&p.record.status),
                path: p.path.clone(),
                plan: None,
                lead: Some(p.record.issuer.clone()),
                due: None,
            })
            .collect(),
        Kind::Assignment => r
            .assignments
            .iter()
            .filter(|a| plan_ok(&a.record.plan) && status_ok(&enum_str(&a.record.status)))
            .filter(|a| args.agency.as_deref().is_none_or(|x| a.record.involves(x)))
            .map(|a| Row {
                kind: "assignment",
                id: a.record.id.clone(),
                title: a.record.title.clone(),
                status: enum_str(&a.record.status),
                path: a.path.clone(),
                plan: Some(a.record.plan.clone()),
                lead: Some(a.record.lead.clone()),
                due: Some(a.record.due.to_string()),
            })
            .collect(),
        Kind::Report | Kind::Config => r
            .reports
            .iter()
            .filter(|x| plan_ok(&x.record.plan) && status_ok(&enum_str(&x.record.status)))
            .filter(|x| args.agency.as_deref().is_none_or(|a| a == x.record.agency))
            .map(|x| Row {
                kind: "report",
                id: format!("{}/{}", x.record.period, x.record.agency),
                title: x.record.summary.lines().next().unwrap_or("").to_string(),
                status: enum_str(&x.record.status),
                path: x.path.clone(),
                plan: Some(x.record.plan.clone()),
                lead: Some(x.record.agency.clone()),
                due: Some(x.record.submitted_on.clone()),
            })
            .collect(),
    };
    out.sort_by(|a, b| (&a.plan, &a.id).cmp(&(&b.plan, &b.id)));
    out
}

pub fn run(cwd: &Path, args: Args) -> Result<(), CliError> {
    let kind = match args.kind.as_deref() {
        None => Kind::Assignment,
        Some(k) => Kind::parse(k).ok_or_else(|| {
            CliError::new(format!("unknown kind {k:?}"))
                .with_hint("choose one of: plans, assignments, reports, agencies")
        })?,
    };
    let store = super::open(cwd)?;
    let loaded = match &args.at {
        Some(rev) => {
            let (loaded, c) = store.load_rev(rev)?;
            if !args.json {
                eprintln!("as of commit {}  {}", c.short_id(), c.short_date());
            }
            loaded
        }
        None => store.load()?,
    };
    let rows = rows(&loaded, kind, &args);
    if args.json {
        return print_json(&rows);
    }
    if rows.is_empty() {
        eprintln!("no {} match", kind.as_str());
    }
    // Columns as wide as their widest value (up to a cap), so that on an 80-column terminal
    // the title still starts on the row; there it is cut to the row, piped it is whole.
    let column = |get: &dyn Fn(&Row) -> &str, cap: usize| {
        rows.iter()
            .map(|r| text_width(get(r)))
            .max()
            .unwrap_or(0)
            .min(cap)
    };
    let id_w = column(&|r| &r.id, 32);
    let status_w = column(&|r| &r.status, 12);
    let (lead_w, due_w, plan_w) = (
        column(&|r| r.lead.as_deref().unwrap_or(""), 26),
        column(&|r| r.due.as_deref().unwrap_or(""), 17),
        column(&|r| r.plan.as_deref().unwrap_or(""), 24),
    );
    let terminal = std::io::stdout().is_terminal();
    let width = terminal_width();
    for r in &rows {
        let extra = match kind {
            Kind::Assignment => format!(
                "{}  {}  ",
                fit(r.lead.as_deref().unwrap_or(""), lead_w),
                fit(r.due.as_deref().unwrap_or(""), due_w)
            ),
            Kind::Report => fit(r.plan.as_deref().unwrap_or(""), plan_w) + "  ",
            _ => String::new(),
        };
        let head = format!(
            "{}  {}  {extra}",
            fit(&r.id, id_w),
            fit(&r.status, status_w)
        );
        let room = width.saturating_sub(text_width(&head));
        if !terminal || room >= MIN_TITLE {
            outln!("{head}{}", last_column(&r.title, room, terminal));
        } else {
            // Too narrow for the title beside the columns: on a row of its own below them.
            outln!(
                "{}\n    {}",
                head.trim_end(),
                last_column(&r.title, width.saturating_sub(4), terminal)
            );
        }
    }
    if !loaded.diagnostics.is_empty() {
        eprintln!(
            "warning: {} problem(s) in the data; run `kehoach validate` to see them",
            loaded.diagnostics.len()
        );
    }
    Ok(())
}
