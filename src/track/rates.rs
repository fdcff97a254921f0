//! Reporting rates: who was expected to report, who did, and who did on time.
//!
//! - **Expected** in a period: every agency that leads or coordinates an assignment of the plan,
//!   or that filed a report for the plan (an agency whose work passed to a successor keeps its
//!   earlier periods), and that is active on at least one day of the period. An agency not
//!   active in a period leaves its denominator, so no rate exceeds 100%. A report whose deadline
//!   has not passed yet and that has not arrived ([`CellState::Pending`]) is not counted until
//!   it arrives or the deadline passes.
//! - **Actual**: an expected agency's report for the period with status `submitted` or
//!   `accepted` (drafts and returned reports are not counted).
//! - **On time**: actual, `submitted_on` on or before the period's deadline (its last day plus
//!   the plan's `reporting.due_days`), and — when the repository's history shows when the report
//!   file first reached the protected branch — reaching it by the deadline too. A report that
//!   claims to be on time but reached the branch later is [`CellState::MergedLate`]: actual, not
//!   on time.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use jiff::civil::Date;

use super::due::ser_opt_date;
use crate::model::rules::{Lifetime, RecordSet};
use crate::model::{Period, Plan, ReportStatus, parse_date};
use crate::store::provenance::Arrival;

/// The state of one agency in one period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CellState {
    /// The agency was not active in the period: not expected.
    NotExpected,
    /// No report yet, and the deadline has not passed.
    Pending,
    /// No report, and the deadline has passed.
    Missing,
    /// A report is being written (status draft).
    Draft,
    /// The report was sent back for changes.
    Returned,
    /// Submitted by the deadline.
    OnTime,
    /// Submitted after the deadline.
    Late,
    /// `submitted_on` is by the deadline, but the report reached the protected branch after it.
    MergedLate,
}

impl CellState {
    pub const ALL: [CellState; 8] = [
        CellState::OnTime,
        CellState::Late,
        CellState::MergedLate,
        CellState::Draft,
        CellState::Returned,
        CellState::Pending,
        CellState::Missing,
        CellState::NotExpected,
    ];

    /// One symbol per state, so that the matrix reads without colour.
    pub fn symbol(self) -> &'static str {
        match self {
            CellState::NotExpected => "·",
            CellState::Pending => "…",
            CellState::Missing => "✗",
            CellState::Draft => "○",
            CellState::Returned => "↩",
            CellState::OnTime => "✓",
            CellState::Late => "!",
            CellState::MergedLate => "?",
        }
    }

    /// A plain ASCII symbol, for terminals without Unicode.
    pub fn ascii(self) -> &'static str {
        match self {
            CellState::NotExpected => ".",
            CellState::Pending => "~",
            CellState::Missing => "x",
            CellState::Draft => "o",
            CellState::Returned => "r",
            CellState::OnTime => "+",
            CellState::Late => "!",
            CellState::MergedLate => "?",
        }
    }

    pub fn label(self, vi: bool) -> &'static str {
        match (self, vi) {
            (CellState::NotExpected, false) => "not expected (agency not active)",
            (CellState::NotExpected, true) => "không yêu cầu (cơ quan không hoạt động)",
            (CellState::Pending, false) => "not yet due",
            (CellState::Pending, true) => "chưa đến hạn",
            (CellState::Missing, false) => "missing",
            (CellState::Missing, true) => "chưa báo cáo",
            (CellState::Draft, false) => "draft",
            (CellState::Draft, true) => "đang soạn",
            (CellState::Returned, false) => "returned",
            (CellState::Returned, true) => "trả lại",
            (CellState::OnTime, false) => "on time",
            (CellState::OnTime, true) => "đúng hạn",
            (CellState::Late, false) => "late",
            (CellState::Late, true) => "trễ hạn",
            (CellState::MergedLate, false) => "claimed on time, merged late",
            (CellState::MergedLate, true) => "ghi đúng hạn nhưng vào nhánh chính trễ",
        }
    }

    pub fn is_expected(self) -> bool {
        self != CellState::NotExpected
    }
    pub fn is_actual(self) -> bool {
        matches!(
            self,
            CellState::OnTime | CellState::Late | CellState::MergedLate
        )
    }
    pub fn is_on_time(self) -> bool {
        self == CellState::OnTime
    }
}

/// One agency in one period.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Cell {
    pub period: Period,
    pub state: CellState,
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "ser_opt_date"
    )]
    pub submitted_on: Option<Date>,
    /// When the report file first reached the protected branch, if known.
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "ser_opt_date"
    )]
    pub merged_on: Option<Date>,
    /// The report file, relative to the data root.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

/// Counts and rates over some cells.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Totals {
    pub expected: usize,
    pub actual: usize,
    pub on_time: usize,
    /// actual / expected, in percent; None when nothing was expected.
    pub reporting_rate: Option<f64>,
    /// on_time / expected, in percent.
    pub on_time_rate: Option<f64>,
}

impl Totals {
    fn add(&mut self, s: CellState) {
        // A report not yet due is not missing: it joins the count when it arrives or when its
        // deadline passes.
        self.expected += usize::from(s.is_expected() && s != CellState::Pending);
        self.actual += usize::from(s.is_actual());
        self.on_time += usize::from(s.is_on_time());
    }
    fn finish(mut self) -> Self {
        let pct = |n: usize| (self.expected > 0).then(|| 100.0 * n as f64 / self.expected as f64);
        self.reporting_rate = pct(self.actual);
        self.on_time_rate = pct(self.on_time);
        self
    }
}

/// One agency's row.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Row {
    pub agency: String,
    /// Short name, else name (the id when the agency record is missing).
    pub name: String,
    pub cells: Vec<Cell>,
    pub totals: Totals,
}

/// One period's column totals.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Column {
    pub period: Period,
    #[serde(serialize_with = "ser_date")]
    pub deadline: Date,
    pub totals: Totals,
}

fn ser_date<S: serde::Serializer>(d: &Date, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(d)
}

/// The agency × period matrix of a plan.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Matrix {
    pub plan: String,
    pub title: String,
    #[serde(serialize_with = "ser_date")]
    pub today: Date,
    pub columns: Vec<Column>,
    pub rows: Vec<Row>,
    pub totals: Totals,
    /// Reports of agencies not expected in their period (kept out of the rates).
    pub unexpected: Vec<String>,
    /// True when merge dates from the protected branch were checked.
    pub merge_checked: bool,
}

impl Matrix {
    /// The cell of an agency in a period.
    pub fn cell(&self, agency: &str, period: Period) -> Option<&Cell> {
        let r = self.rows.iter().find(|r| r.agency == agency)?;
        r.cells.iter().find(|c| c.period == period)
    }

    /// (agency, period) of every expected report still missing after its deadline.
    pub fn missing(&self) -> Vec<(&str, Period)> {
        self.rows
            .iter()
            .flat_map(|r| {
                r.cells
                    .iter()
                    .filter(|c| c.state == CellState::Missing)
                    .map(move |c| (r.agency.as_str(), c.period))
            })
            .collect()
    }
}

/// The deadline of a period: its last day plus `due_days`.
pub fn deadline(plan: &Plan, period: Period) -> Date {
    period
        .end()
        .checked_add(jiff::Span::new().days(plan.reporting.due_days as i64))
        .unwrap_or(period.end())
}

/// The plan's reporting periods to show: those within `filter` (a period of any length, such as
/// `2025` for both halves), else from the first period to the one containing `today`; always
/// within the plan's first and last periods.
pub fn plan_periods(plan: &Plan, filter: Option<Period>, today: Date) -> Vec<Period> {
    let rep = &plan.reporting;
    let in_plan = |p: &Period| *p >= rep.first_period && rep.last_period.is_none_or(|l| *p <= l);
    match filter {
        Some(f) => f.split(rep.period).into_iter().filter(in_plan).collect(),
        None => {
            let mut out = Vec::new();
            let mut p = rep.first_period;
            let stop = Period::containing(rep.period, today).max(rep.first_period);
            while p <= stop && in_plan(&p) {
                out.push(p);
                p = p.next();
            }
            out
        }
    }
}

/// Builds the matrix of `plan` from the records read (agencies, its assignments, its reports
/// for `periods`). `arrivals` maps report paths to when they first reached the protected branch.
pub fn matrix(
    plan: &Plan,
    set: &RecordSet,
    periods: &[Period],
    arrivals: Option<&HashMap<String, Arrival>>,
    today: Date,
) -> Matrix {
    let agencies: HashMap<&str, &crate::model::Agency> = set
        .agencies
        .iter()
        .map(|a| (a.record.id.as_str(), &a.record))
        .collect();
    let mut candidates: BTreeSet<&str> = BTreeSet::new();
    for a in set.assignments.iter().filter(|a| a.record.plan == plan.id) {
        candidates.insert(&a.record.lead);
        for c in &a.record.coordinating {
            candidates.insert(c);
        }
    }
    let mut reports: HashMap<(&str, Period), &crate::model::rules::Located<crate::model::Report>> =
        HashMap::new();
    for r in set.reports.iter().filter(|r| r.record.plan == plan.id) {
        candidates.insert(&r.record.agency);
        reports.insert((r.record.agency.as_str(), r.record.period), r);
    }
    let mut unexpected = Vec::new();
    let mut rows = Vec::new();
    let mut columns: BTreeMap<Period, Totals> =
        periods.iter().map(|p| (*p, Totals::default())).collect();
    let mut all = Totals::default();
    for id in candidates {
        let life = agencies
            .get(id)
            .map(|a| Lifetime::of(a))
            .unwrap_or_default();
        let name = agencies
            .get(id)
            .map(|a| a.label().to_string())
            .unwrap_or_else(|| id.to_string());
        let mut row_totals = Totals::default();
        let mut cells = Vec::new();
        for &p in periods {
            let dl = deadline(plan, p);
            let report = reports.get(&(id, p));
            let expected = life.overlaps(p.start(), p.end());
            let submitted_on = report.and_then(|r| parse_date(&r.record.submitted_on));
            let merged_on = report
                .and_then(|r| arrivals.and_then(|m| m.get(&r.path)))
                .map(|a| a.date);
            let state = if !expected {
                if let Some(r) = report {
                    unexpected.push(r.path.clone());
                }
                CellState::NotExpected
            } else {
                match report.map(|r| r.record.status) {
                    None => {
                        if today > dl {
                            CellState::Missing
                        } else {
                            CellState::Pending
                        }
                    }
                    Some(ReportStatus::Draft) => CellState::Draft,
                    Some(ReportStatus::Returned) => CellState::Returned,
                    Some(ReportStatus::Submitted | ReportStatus::Accepted) => match submitted_on {
                        Some(s) if s <= dl => {
                            if merged_on.is_some_and(|m| m > dl) {
                                CellState::MergedLate
                            } else {
                                CellState::OnTime
                            }
                        }
                        _ => CellState::Late,
                    },
                }
            };
            row_totals.add(state);
            all.add(state);
            columns
                .get_mut(&p)
                .expect("every period has a column")
                .add(state);
            cells.push(Cell {
                period: p,
                state,
                submitted_on,
                merged_on,
                path: report.map(|r| r.path.clone()),
            });
        }
        rows.push(Row {
            agency: id.to_string(),
            name,
            cells,
            totals: row_totals.finish(),
        });
    }
    // Agencies expected nowhere in these periods are left out of the rows.
    rows.retain(|r| r.cells.iter().any(|c| c.state.is_expected()));
    Matrix {
        plan: plan.id.clone(),
        title: plan.title.clone(),
        today,
        columns: columns
            .into_iter()
            .map(|(period, t)| Column {
                period,
                deadline: deadline(plan, period),
                totals: t.finish(),
            })
            .collect(),
        rows,
        totals: all.finish(),
        unexpected,
        merge_checked: arrivals.is_some(),
    }
}
