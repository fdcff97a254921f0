//! Tracking: deadlines and overdue work, reporting rates, agency changes, the consolidated
//! report and the plan as a document.
//!
//! # API for the dashboard (TUI)
//!
//! Everything below reads the store and returns plain data; nothing prints, nothing depends on
//! a terminal. Dates are `jiff::civil::Date`; pass [`today()`] or a fixed date.
//!
//! - [`dashboard`]`(&store, today) -> Dashboard`: all of the below in one call:
//!   `overdue: Vec<DueItem>` (most days overdue first), `progress: Vec<PlanProgress>` (one per
//!   plan), `matrices: Vec<Matrix>` (one per plan, its periods up to today) and `problems`
//!   (files that could not be read; suggest `kehoach validate`).
//! - [`deadlines`]`(&store, today, plans) -> Deadlines`: every assignment assessed
//!   ([`due::DueItem`] with [`due::DueState`]: overdue / upcoming / continuous / lead ended /
//!   done …, the missed or next date, days overdue). Filter with `state == DueState::Overdue`.
//! - [`plan_status`]`(&store, plan, period, today) -> PlanStatus`: the agency × period
//!   [`rates::Matrix`]: `columns` (period, deadline, totals), `rows` (agency, name, `cells`,
//!   totals), overall `totals` (expected, actual, on_time, reporting_rate, on_time_rate).
//!   Each [`rates::Cell`] has a [`rates::CellState`] with `symbol()` (✓ ! ? ○ ↩ … ✗ ·),
//!   `ascii()`, and `label(vi)`: draw the symbol as well as a colour, so the matrix reads
//!   without colour. `CellState::ALL` lists the states in legend order.
//! - [`progress`]`(&RecordSet, &[DueItem]) -> Vec<PlanProgress>`: per plan, assignments by
//!   status, how many are overdue, and the share done.
//!
//! The definitions (what "overdue", "expected", "on time" mean) are in [`due`] and [`rates`].
//! Records are read selectively ([`crate::store::partial`]): a plan's status reads its
//! agencies, assignments and the reports of the periods shown; deadlines read every
//! assignment and only the report files that can change a verdict.

pub mod consolidate;
pub mod doc;
pub mod due;
pub mod export;
pub mod rates;
pub mod retire;
pub mod vi;

use std::collections::BTreeMap;

use jiff::civil::Date;

use crate::model::rules::RecordSet;
use crate::model::{Period, PlanStatus as PlanState, WorkStatus};
use crate::store::{Store, StoreError, partial};
use due::{DueContext, DueItem, DueState};
use rates::Matrix;

/// Why a tracking task failed.
#[derive(Debug, thiserror::Error)]
pub enum TrackError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("no plan {plan:?}")]
    UnknownPlan { plan: String, known: Vec<String> },
    #[error("no agency {0:?}")]
    UnknownAgency(String),
    #[error("{0}")]
    Invalid(String),
}

impl TrackError {
    /// What the user can do about it.
    pub fn hint(&self) -> Option<String> {
        match self {
            TrackError::Store(e) => e.hint(),
            TrackError::UnknownPlan { known, .. } if !known.is_empty() => {
                Some(format!("the plans here: {}", known.join(", ")))
            }
            TrackError::UnknownPlan { .. } => Some("this repository has no plans yet".into()),
            TrackError::UnknownAgency(_) => {
                Some("`kehoach list agencies` shows every agency and its id".into())
            }
            TrackError::Invalid(_) => None,
        }
    }
}

/// Today's date on this machine's clock and time zone.
pub fn today() -> Date {
    jiff::ZonedDateTime::now().date()
}

fn unknown_plan(store: &Store, plan: &str) -> TrackError {
    TrackError::UnknownPlan {
        plan: plan.to_string(),
        known: partial::plan_ids(store.root()),
    }
}

/// A plan's reporting matrix, with the files that could not be read.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PlanStatus {
    pub matrix: Matrix,
    pub problems: Vec<String>,
}

/// The agency × period matrix of `plan` for the periods within `period` (all up to today when
/// None), with merge dates from the protected branch.
pub fn plan_status(
    store: &Store,
    plan: &str,
    period: Option<Period>,
    today: Date,
) -> Result<PlanStatus, TrackError> {
    let root = store.root();
    let head = partial::read_paths(root, vec![crate::store::layout::plan_path(plan)], true);
    if crate::model::check_id(plan).is_err() {
        return Err(unknown_plan(store, plan));
    }
    let Some(p) = head.records.plans.first() else {
        if let Some(problem) = head.problems.first() {
            return Err(TrackError::Invalid(format!(
                "{problem}\n(run `kehoach validate` for details)"
            )));
        }
        return Err(unknown_plan(store, plan));
    };
    let periods = rates::plan_periods(&p.record, period, today);
    if let Some(f) = period
        && periods.is_empty()
    {
        return Err(TrackError::Invalid(format!(
            "plan {plan} has no reporting period within {f} (it reports by {}, from {}{})",
            p.record.reporting.period.as_str(),
            p.record.reporting.first_period,
            p.record
                .reporting
                .last_period
                .map(|l| format!(" to {l}"))
                .unwrap_or_default()
        )));
    }
    let loaded = partial::load_plan(root, plan, Some(&periods))?;
    let branch = loaded
        .config
        .as_ref()
        .map(|c| c.review.protected_branch.clone())
        .unwrap_or_else(|| "main".into());
    let arrivals = store.first_arrivals(&branch, &format!("plans/{plan}/reports"))?;
    let plan_rec = loaded
        .records
        .plans
        .first()
        .map(|p| p.record.clone())
        .unwrap_or_else(|| p.record.clone());
    let matrix = rates::matrix(&plan_rec, &loaded.records, &periods, Some(&arrivals), today);
    Ok(PlanStatus {
        matrix,
        problems: loaded.problems,
    })
}

/// Every assignment assessed against its deadline.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Deadlines {
    pub items: Vec<DueItem>,
    pub problems: Vec<String>,
    /// Files read.
    pub files: usize,
}

/// Assesses the assignments of the plans given (all when None) as of `today`, reading only the
/// report files that can change a verdict.
pub fn deadlines(
    store: &Store,
    today: Date,
    plans: Option<&[String]>,
) -> Result<Deadlines, TrackError> {
    let root = store.root();
    if let Some(ps) = plans {
        for p in ps {
            if crate::model::check_id(p).is_err()
                || !root.join(crate::store::layout::plan_path(p)).is_file()
            {
                return Err(unknown_plan(store, p));
            }
        }
    }
    let loaded = partial::load_assignments_brief(root, plans)?;
    let mut ctx = DueContext::from_records(&loaded.records);
    let kinds: std::collections::HashMap<&str, (crate::model::PeriodKind, Period)> = loaded
        .records
        .plans
        .iter()
        .map(|p| {
            (
                p.record.id.as_str(),
                (p.record.reporting.period, p.record.reporting.first_period),
            )
        })
        .collect();
    let needed = due::report_paths_needed(&loaded.records, &ctx, today, |plan| {
        kinds.get(plan).copied()
    });
    // Only reports that mark some entry done can change a verdict.
    let reports = partial::read_paths_where(root, needed, true, Some("done"));
    ctx.add_reports(&reports.records);
    let items = due::deadlines(&loaded.records, &ctx, today);
    let mut problems = loaded.problems;
    problems.extend(reports.problems);
    Ok(Deadlines {
        items,
        problems,
        files: loaded.files + reports.files,
    })
}

/// How far one plan has come.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct PlanProgress {
    pub plan: String,
    pub title: String,
    pub status: String,
    pub assignments: usize,
    pub done: usize,
    pub in_progress: usize,
    pub not_started: usize,
    pub cancelled: usize,
    pub overdue: usize,
    pub lead_ended: usize,
    /// done / (assignments − cancelled), in percent.
    pub percent_done: Option<f64>,
}

/// Progress of each plan in `set`, with the overdue counts of `items`.
pub fn progress(set: &RecordSet, items: &[DueItem]) -> Vec<PlanProgress> {
    let mut by: BTreeMap<&str, PlanProgress> = set
        .plans
        .iter()
        .map(|p| {
            (
                p.record.id.as_str(),
                PlanProgress {
                    plan: p.record.id.clone(),
                    title: p.record.title.trim().to_string(),
                    status: export::enum_str::<PlanState>(&p.record.status),
                    ..Default::default()
                },
            )
        })
        .collect();
    for a in &set.assignments {
        let Some(p) = by.get_mut(a.record.plan.as_str()) else {
            continue;
        };
        p.assignments += 1;
        match a.record.status {
            WorkStatus::Done => p.done += 1,
            WorkStatus::InProgress => p.in_progress += 1,
            WorkStatus::NotStarted => p.not_started += 1,
            WorkStatus::Cancelled => p.cancelled += 1,
        }
    }
    for i in items {
        if let Some(p) = by.get_mut(i.plan.as_str()) {
            p.overdue += usize::from(i.state == DueState::Overdue);
            p.lead_ended += usize::from(i.state == DueState::LeadEnded);
        }
    }
    by.into_values()
        .map(|mut p| {
            let base = p.assignments - p.cancelled;
            p.percent_done = (base > 0).then(|| 100.0 * p.done as f64 / base as f64);
            p
        })
        .collect()
}

/// What the dashboard shows.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Dashboard {
    #[serde(serialize_with = "ser_date")]
    pub today: Date,
    pub overdue: Vec<DueItem>,
    pub progress: Vec<PlanProgress>,
    pub matrices: Vec<Matrix>,
    pub problems: Vec<String>,
}

fn ser_date<S: serde::Serializer>(d: &Date, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(d)
}

/// Overdue assignments, per-plan progress and each plan's matrix, as of `today`.
pub fn dashboard(store: &Store, today: Date) -> Result<Dashboard, TrackError> {
    let d = deadlines(store, today, None)?;
    let set = partial::load_assignments_brief(store.root(), None)?;
    let progress = progress(&set.records, &d.items);
    let mut matrices = Vec::new();
    let mut problems = d.problems;
    for p in &set.records.plans {
        let s = plan_status(store, &p.record.id, None, today)?;
        problems.extend(s.problems);
        matrices.push(s.matrix);
    }
    problems.sort();
    problems.dedup();
    Ok(Dashboard {
        today,
        overdue: d
            .items
            .into_iter()
            .filter(|i| i.state == DueState::Overdue)
            .collect(),
        progress,
        matrices,
        problems,
    })
}

/// The formats a plan can be exported in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Markdown,
    Html,
    /// The assignments as CSV.
    CsvAssignments,
    /// The reports as CSV, one row per entry.
    CsvReports,
    Json,
}

/// The plan `plan` exported: the official document (Markdown, HTML) or its data (CSV, JSON).
pub fn export_plan(store: &Store, plan: &str, format: ExportFormat) -> Result<String, TrackError> {
    let loaded = match partial::load_plan(store.root(), plan, None) {
        Err(StoreError::NotFound(_)) => return Err(unknown_plan(store, plan)),
        other => other?,
    };
    if let Some(p) = loaded.problems.first() {
        return Err(TrackError::Invalid(format!(
            "{p}\n(run `kehoach validate` for every problem; nothing was exported)"
        )));
    }
    let doc =
        export::PlanDoc::new(&loaded.records, plan).ok_or_else(|| unknown_plan(store, plan))?;
    Ok(match format {
        ExportFormat::Markdown => doc.markdown(),
        ExportFormat::Html => doc.html(),
        ExportFormat::CsvAssignments => doc.assignments_csv(),
        ExportFormat::CsvReports => doc.reports_csv(),
        ExportFormat::Json => {
            let mut s = serde_json::to_string_pretty(&doc.json())
                .map_err(|e| TrackError::Invalid(e.to_string()))?;
            s.push('\n');
            s
        }
    })
}

/// The lead department's consolidated report of `plan` for `period` (one of the plan's
/// reporting periods), as Markdown or HTML.
pub fn consolidated_report(
    store: &Store,
    plan: &str,
    period: Period,
    today: Date,
    html: bool,
) -> Result<String, TrackError> {
    let status = plan_status(store, plan, Some(period), today)?;
    if status.matrix.columns.len() != 1 || status.matrix.columns[0].period != period {
        let kinds: Vec<String> = status
            .matrix
            .columns
            .iter()
            .map(|c| c.period.to_string())
            .collect();
        return Err(TrackError::Invalid(format!(
            "{period} is not one of the plan's reporting periods (within it: {})",
            kinds.join(", ")
        )));
    }
    let loaded = partial::load_plan(store.root(), plan, Some(&[period]))?;
    if let Some(p) = loaded.problems.first() {
        return Err(TrackError::Invalid(format!(
            "{p}\n(run `kehoach validate` for every problem; nothing was written)"
        )));
    }
    let doc =
        export::PlanDoc::new(&loaded.records, plan).ok_or_else(|| unknown_plan(store, plan))?;
    Ok(if html {
        consolidate::html(&doc, period, &status.matrix)
    } else {
        consolidate::markdown(&doc, period, &status.matrix)
    })
}
