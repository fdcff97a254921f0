//! Deadlines: each assignment's next due date, and whether it is overdue.
//!
//! # When an assignment is overdue
//!
//! Let *today* be the day of the question. An assignment whose status is `done` or `cancelled`
//! is never overdue, nor is `continuous` work (it has no deadline). Otherwise:
//!
//! - **A single date** `D`: overdue when `D` < today, the lead agency was active on `D`, and no
//!   report of the lead agency (any period) has an entry for the assignment with status `done`.
//! - **A recurring rule**: let `o` be the last occurrence strictly before today and on or after
//!   the day the plan assigns the work (the plan's date, else the start of its first reporting
//!   period). The assignment is overdue when `o` exists, the lead agency was active on `o`, and
//!   no report of the lead agency marks the assignment `done` for the reporting period that
//!   contains `o` or the period just before it (a deadline shortly after a period closes is
//!   that period's: the report for 2025-h1 meets the 15 July 2025 occurrence of
//!   `half-yearly:01-15`, but not the one of 15 January 2026).
//!
//! An occurrence that falls after the lead agency ended does not count against it: that work
//! has no holder, and is shown as [`DueState::LeadEnded`] so that someone moves it to a
//! successor (`kehoach agency retire`). Days overdue are counted from `o` (or `D`) to today.

use std::collections::HashMap;

use jiff::civil::Date;

use crate::model::rules::{Lifetime, RecordSet};
use crate::model::{Assignment, Due, Period, PeriodKind, WorkStatus};

/// Where an assignment stands against its deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DueState {
    /// A deadline passed and the work is not done.
    Overdue,
    /// The next deadline is ahead.
    Upcoming,
    /// Ongoing work without a deadline.
    Continuous,
    /// A single-date assignment whose lead reported it done, though its status is still open.
    ReportedDone,
    /// The lead agency has ended and the work is still open: it needs a successor.
    LeadEnded,
    Done,
    Cancelled,
}

impl DueState {
    /// A symbol that reads without colour.
    pub fn symbol(self) -> &'static str {
        match self {
            DueState::Overdue => "!",
            DueState::Upcoming => "›",
            DueState::Continuous => "∞",
            DueState::ReportedDone => "✓",
            DueState::LeadEnded => "†",
            DueState::Done => "✓",
            DueState::Cancelled => "–",
        }
    }
    pub fn label(self, vi: bool) -> &'static str {
        match (self, vi) {
            (DueState::Overdue, false) => "overdue",
            (DueState::Overdue, true) => "quá hạn",
            (DueState::Upcoming, false) => "upcoming",
            (DueState::Upcoming, true) => "sắp đến hạn",
            (DueState::Continuous, false) => "continuous",
            (DueState::Continuous, true) => "thường xuyên",
            (DueState::ReportedDone, false) => "reported done",
            (DueState::ReportedDone, true) => "đã báo cáo hoàn thành",
            (DueState::LeadEnded, false) => "lead ended",
            (DueState::LeadEnded, true) => "cơ quan chủ trì đã kết thúc",
            (DueState::Done, false) => "done",
            (DueState::Done, true) => "hoàn thành",
            (DueState::Cancelled, false) => "cancelled",
            (DueState::Cancelled, true) => "đã hủy",
        }
    }
    /// True for work still to be done by someone.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            DueState::Overdue | DueState::Upcoming | DueState::Continuous | DueState::LeadEnded
        )
    }
}

/// One assignment against its deadline.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DueItem {
    pub plan: String,
    pub assignment: String,
    pub title: String,
    pub lead: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub coordinating: Vec<String>,
    /// The due rule as written (`yearly:12-10`).
    pub due: String,
    pub status: WorkStatus,
    pub state: DueState,
    /// The deadline that passed, when overdue.
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "ser_opt_date"
    )]
    pub missed: Option<Date>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub days_overdue: Option<i64>,
    /// The next deadline on or after today (None for continuous work).
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "ser_opt_date"
    )]
    pub next_due: Option<Date>,
    /// Path of the assignment, relative to the data root.
    pub path: String,
}

impl DueItem {
    /// True when the agency leads or coordinates the assignment.
    pub fn involves(&self, agency: &str) -> bool {
        self.lead == agency || self.coordinating.iter().any(|c| c == agency)
    }
}

pub(crate) fn ser_opt_date<S: serde::Serializer>(
    d: &Option<Date>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => s.collect_str(d),
        None => s.serialize_none(),
    }
}

/// What the deadline computation needs besides the assignment itself.
#[derive(Debug, Default)]
pub struct DueContext {
    /// Plan id → the day it assigns its work.
    pub plan_start: HashMap<String, Date>,
    pub lifetimes: HashMap<String, Lifetime>,
    /// (plan, assignment, agency) → the periods whose report by that agency marks it done.
    pub done_in: HashMap<(String, String, String), Vec<Period>>,
}

impl DueContext {
    /// Builds the context from the records read (plans, agencies and any reports).
    pub fn from_records(set: &RecordSet) -> DueContext {
        let mut ctx = DueContext::default();
        for p in &set.plans {
            ctx.plan_start
                .insert(p.record.id.clone(), p.record.assigns_work_on());
        }
        for a in &set.agencies {
            ctx.lifetimes
                .insert(a.record.id.clone(), Lifetime::of(&a.record));
        }
        ctx.add_reports(set);
        ctx
    }

    /// Adds the `done` marks of the reports in `set`.
    pub fn add_reports(&mut self, set: &RecordSet) {
        for r in &set.reports {
            let r = &r.record;
            for e in &r.entries {
                if e.status == WorkStatus::Done {
                    self.done_in
                        .entry((r.plan.clone(), e.assignment.clone(), r.agency.clone()))
                        .or_default()
                        .push(r.period);
                }
            }
        }
    }

    /// Adds the marks of one report.
    pub fn add_marks(&mut self, m: &crate::store::partial::DoneMarks) {
        for a in &m.done {
            self.done_in
                .entry((m.plan.clone(), a.clone(), m.agency.clone()))
                .or_default()
                .push(m.period);
        }
    }

    fn lead_active(&self, lead: &str, d: Date) -> bool {
        self.lifetimes.get(lead).is_none_or(|l| l.active_on(d))
    }

    fn done_marks(&self, a: &Assignment) -> &[Period] {
        self.done_in
            .get(&(a.plan.clone(), a.id.clone(), a.lead.clone()))
            .map(|v| v.as_slice())
            .unwrap_or(&[])
    }
}

/// The deadline a check as of `today` looks at: a single date once it has passed, or the last
/// occurrence of a recurring rule before today and since `since`; with `true` when recurring.
pub fn last_occurrence(due: &Due, today: Date, since: Date) -> Option<(Date, bool)> {
    match due {
        Due::Continuous => None,
        Due::On(d) => (*d < today).then_some((*d, false)),
        _ => due.last_before(today, Some(since)).map(|o| (o, true)),
    }
}

/// The reporting periods whose `done` mark meets the occurrence `o`: the one containing it and
/// the one just before.
pub fn meeting_periods(kind: PeriodKind, o: Date) -> [Period; 2] {
    let here = Period::containing(kind, o);
    let before = here
        .start()
        .yesterday()
        .map(|d| Period::containing(kind, d))
        .unwrap_or(here);
    [before, here]
}

/// Where one assignment stands as of `today`.
pub fn assess(a: &Assignment, path: &str, ctx: &DueContext, today: Date) -> DueItem {
    let since = ctx
        .plan_start
        .get(&a.plan)
        .copied()
        .unwrap_or(Date::constant(1900, 1, 1));
    let mut item = DueItem {
        plan: a.plan.clone(),
        assignment: a.id.clone(),
        title: a.title.clone(),
        lead: a.lead.clone(),
        coordinating: a.coordinating.clone(),
        due: a.due.to_string(),
        status: a.status,
        state: DueState::Upcoming,
        missed: None,
        days_overdue: None,
        next_due: None,
        path: path.to_string(),
    };
    match a.status {
        WorkStatus::Done => {
            item.state = DueState::Done;
            return item;
        }
        WorkStatus::Cancelled => {
            item.state = DueState::Cancelled;
            return item;
        }
        _ => {}
    }
    let marks = ctx.done_marks(a);
    if let Some((o, recurring)) = last_occurrence(&a.due, today, since)
        && ctx.lead_active(&a.lead, o)
    {
        let met = if recurring {
            marks
                .iter()
                .any(|per| meeting_periods(per.kind(), o).contains(per))
        } else {
            // A single date: done in any report.
            !marks.is_empty()
        };
        if !met {
            item.state = DueState::Overdue;
            item.missed = Some(o);
            item.days_overdue = Some((today - o).get_days() as i64);
            return item;
        }
        if !recurring {
            item.state = DueState::ReportedDone;
            return item;
        }
    }
    if !ctx.lead_active(&a.lead, today) {
        item.state = DueState::LeadEnded;
        return item;
    }
    match a.due {
        Due::Continuous => item.state = DueState::Continuous,
        Due::On(d) if d < today => item.state = DueState::ReportedDone,
        _ => {
            item.next_due = a.due.next_on_or_after(today.max(since));
            item.state = DueState::Upcoming;
        }
    }
    item
}

/// Every assignment of `set` assessed as of `today`: overdue first (most days first), then by
/// next deadline, then the rest; ties by plan and id.
pub fn deadlines(set: &RecordSet, ctx: &DueContext, today: Date) -> Vec<DueItem> {
    let mut items: Vec<DueItem> = set
        .assignments
        .iter()
        .map(|la| assess(&la.record, &la.path, ctx, today))
        .collect();
    sort_items(&mut items);
    items
}

fn rank(s: DueState) -> u8 {
    match s {
        DueState::Overdue => 0,
        DueState::Upcoming => 1,
        DueState::LeadEnded => 2,
        DueState::Continuous => 3,
        DueState::ReportedDone => 4,
        DueState::Done => 5,
        DueState::Cancelled => 6,
    }
}

pub fn sort_items(items: &mut [DueItem]) {
    items.sort_by(|a, b| {
        (
            rank(a.state),
            std::cmp::Reverse(a.days_overdue),
            a.next_due,
            &a.plan,
            &a.assignment,
        )
            .cmp(&(
                rank(b.state),
                std::cmp::Reverse(b.days_overdue),
                b.next_due,
                &b.plan,
                &b.assignment,
            ))
    });
}

/// The report files whose `done` marks can change the verdict on these assignments as of
/// `today`: the lead's reports for the periods overlapping the window of the last occurrence
/// (every period since the plan began, for a single date). Lets a caller read only those.
pub fn report_paths_needed(
    set: &RecordSet,
    ctx: &DueContext,
    today: Date,
    kind_of: impl Fn(&str) -> Option<(PeriodKind, Period)>,
) -> Vec<String> {
    let mut out = std::collections::BTreeSet::new();
    for la in &set.assignments {
        let a = &la.record;
        if !a.status.is_open() {
            continue;
        }
        let Some((kind, first)) = kind_of(&a.plan) else {
            continue;
        };
        let since = ctx
            .plan_start
            .get(&a.plan)
            .copied()
            .unwrap_or(first.start());
        let Some((o, recurring)) = last_occurrence(&a.due, today, since) else {
            continue;
        };
        if !ctx.lead_active(&a.lead, o) {
            continue;
        }
        if recurring {
            for per in meeting_periods(kind, o) {
                out.insert(crate::store::layout::report_path(&a.plan, &per, &a.lead));
            }
        } else {
            let mut per = first;
            while per.start() <= today {
                out.insert(crate::store::layout::report_path(&a.plan, &per, &a.lead));
                per = per.next();
            }
        }
    }
    out.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::parse_date;

    fn d(s: &str) -> Date {
        parse_date(s).unwrap()
    }

    fn asg(due: &str, status: WorkStatus) -> Assignment {
        Assignment {
            id: "a1".into(),
            plan: "p".into(),
            tasks: vec!["t1".into()],
            lead: "so".into(),
            coordinating: vec![],
            title: "t".into(),
            description: "d".into(),
            output: String::new(),
            due: due.parse().unwrap(),
            status,
            source: String::new(),
            notes: String::new(),
        }
    }

    fn ctx(start: &str) -> DueContext {
        let mut c = DueContext::default();
        c.plan_start.insert("p".into(), d(start));
        c
    }

    fn state(due: &str, today: &str, c: &DueContext) -> (DueState, Option<Date>, Option<Date>) {
        let i = assess(&asg(due, WorkStatus::InProgress), "x", c, d(today));
        (i.state, i.missed, i.next_due)
    }

    #[test]
    fn single_date() {
        let c = ctx("2025-01-01");
        assert_eq!(state("2025-12-31", "2025-12-31", &c).0, DueState::Upcoming);
        let (s, missed, _) = state("2025-12-31", "2026-01-01", &c);
        assert_eq!((s, missed), (DueState::Overdue, Some(d("2025-12-31"))));
        let done = assess(
            &asg("2025-12-31", WorkStatus::Done),
            "x",
            &c,
            d("2026-03-01"),
        );
        assert_eq!(done.state, DueState::Done);
        let mut c2 = ctx("2025-01-01");
        c2.done_in.insert(
            ("p".into(), "a1".into(), "so".into()),
            vec!["2025-h2".parse().unwrap()],
        );
        assert_eq!(
            state("2025-12-31", "2026-02-01", &c2).0,
            DueState::ReportedDone
        );
    }

    #[test]
    fn continuous_is_never_overdue() {
        let c = ctx("2025-01-01");
        assert_eq!(
            state("continuous", "2030-01-01", &c).0,
            DueState::Continuous
        );
    }

    #[test]
    fn monthly_month_ends_and_leap_years() {
        let c = ctx("2024-01-01");
        // monthly:31 falls on 29 February 2024: overdue from 1 March.
        assert_eq!(
            state("monthly:31", "2024-02-29", &c),
            (DueState::Overdue, Some(d("2024-01-31")), None)
        );
        assert_eq!(
            state("monthly:31", "2024-03-01", &c).1,
            Some(d("2024-02-29"))
        );
        assert_eq!(
            state("monthly:31", "2025-03-01", &c).1,
            Some(d("2025-02-28"))
        );
        // Before the first occurrence since the plan began: upcoming.
        let (s, _, next) = state("monthly:31", "2024-01-15", &c);
        assert_eq!((s, next), (DueState::Upcoming, Some(d("2024-01-31"))));
    }

    #[test]
    fn quarterly_half_yearly_yearly() {
        let c = ctx("2025-01-01");
        assert_eq!(
            state("quarterly:03-31", "2025-03-31", &c).0,
            DueState::Upcoming
        );
        assert_eq!(
            state("quarterly:03-31", "2025-04-01", &c).1,
            Some(d("2025-03-31"))
        );
        assert_eq!(
            state("quarterly:03-31", "2025-07-01", &c).1,
            Some(d("2025-06-30"))
        );
        assert_eq!(
            state("half-yearly:06-15", "2025-12-16", &c).1,
            Some(d("2025-12-15"))
        );
        assert_eq!(
            state("half-yearly:06-15", "2025-06-15", &c).0,
            DueState::Upcoming
        );
        let c24 = ctx("2024-01-01");
        assert_eq!(
            state("yearly:02-29", "2024-03-01", &c24).1,
            Some(d("2024-02-29"))
        );
        assert_eq!(
            state("yearly:02-29", "2025-03-01", &c24).1,
            Some(d("2025-02-28"))
        );
        assert_eq!(
            state("yearly:02-29", "2025-02-28", &c24).1,
            Some(d("2024-02-29"))
        );
        // A plan that begins after this year's occurrence: nothing due yet.
        let late = ctx("2025-04-01");
        let (s, _, next) = state("yearly:02-29", "2025-12-31", &late);
        assert_eq!((s, next), (DueState::Upcoming, Some(d("2026-02-28"))));
    }

    #[test]
    fn a_done_report_meets_the_window() {
        let mut c = ctx("2025-04-01");
        c.done_in.insert(
            ("p".into(), "a1".into(), "so".into()),
            vec!["2025-h1".parse().unwrap()],
        );
        // 15 July falls in 2025-h2, just after 2025-h1.
        let (s, _, next) = state("half-yearly:01-15", "2025-12-31", &c);
        assert_eq!((s, next), (DueState::Upcoming, Some(d("2026-01-15"))));
        // 15 January 2026 falls in 2026-h1, after 2025-h2: 2025-h1 no longer meets it.
        let (s, missed, _) = state("half-yearly:01-15", "2026-01-16", &c);
        assert_eq!((s, missed), (DueState::Overdue, Some(d("2026-01-15"))));
    }

    #[test]
    fn ended_lead() {
        let mut c = ctx("2025-04-01");
        c.lifetimes.insert(
            "so".into(),
            Lifetime {
                from: None,
                until: Some(d("2025-06-30")),
            },
        );
        assert_eq!(
            state("yearly:07-20", "2025-12-31", &c).0,
            DueState::LeadEnded
        );
        // A deadline it lived to see still counts.
        assert_eq!(state("2025-06-01", "2025-12-31", &c).0, DueState::Overdue);
    }
}
