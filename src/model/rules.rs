//! Rules across records: references resolve, ids match file names, no duplicates,
//! dates and periods valid and consistent, agencies active when assigned.
//!
//! "Active when assigned": an agency named on an assignment (lead or coordinating) must be
//! active on the plan's date, or have taken the work over as the `successor` of an agency whose
//! `valid_until` is on or after that date, being active from the day after it (this is what
//! `kehoach agency retire` records). A report of an agency about an assignment that has since
//! passed to its successor (following `successor` links) stays valid.

use std::collections::{HashMap, HashSet};

use jiff::civil::Date;

use super::due::parse_date;
use super::id::check_id;
use super::records::{Agency, Assignment, Plan, Report, ReportStatus};

/// One thing wrong with one field of one file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Problem {
    /// Path relative to the data root, with '/' separators.
    pub path: String,
    /// Field path inside the record (`entries[2].assignment`); empty for the whole file.
    pub field: String,
    pub message: String,
}

impl Problem {
    pub fn new(path: &str, field: impl Into<String>, message: impl Into<String>) -> Self {
        Problem {
            path: path.to_string(),
            field: field.into(),
            message: message.into(),
        }
    }
}

/// A parsed record with the path it was read from (relative to the data root).
#[derive(Debug, Clone)]
pub struct Located<T> {
    pub path: String,
    pub record: T,
}

/// Every record of a data repository, as read.
#[derive(Debug, Default, Clone)]
pub struct RecordSet {
    pub agencies: Vec<Located<Agency>>,
    pub plans: Vec<Located<Plan>>,
    pub assignments: Vec<Located<Assignment>>,
    pub reports: Vec<Located<Report>>,
    /// Paths of record files that exist but could not be read: references to them are not
    /// reported again as unknown.
    pub unreadable: HashSet<String>,
}

impl RecordSet {
    fn unreadable_agency(&self, id: &str) -> bool {
        !self.unreadable.is_empty() && self.unreadable.contains(&format!("agencies/{id}.toml"))
    }
}

/// A plan date: blank, `YYYY-MM` (a draft that has only its month) or `YYYY-MM-DD`.
pub fn parse_plan_date(s: &str) -> Result<Option<Date>, String> {
    if s.is_empty() {
        return Ok(None);
    }
    if let Some(d) = parse_date(s) {
        return Ok(Some(d));
    }
    if s.len() == 7
        && let Some(d) = parse_date(&format!("{s}-01"))
    {
        return Ok(Some(d));
    }
    Err(format!(
        "{s:?} is not a date: write YYYY-MM-DD, or YYYY-MM in a draft"
    ))
}

/// Parses an optional `YYYY-MM-DD` field, pushing a problem when it is malformed.
fn opt_date(s: &str, path: &str, field: &str, out: &mut Vec<Problem>) -> Option<Date> {
    if s.is_empty() {
        return None;
    }
    match parse_date(s) {
        Some(d) => Some(d),
        None => {
            out.push(Problem::new(
                path,
                field,
                format!("{s:?} is not a valid date (YYYY-MM-DD)"),
            ));
            None
        }
    }
}

/// The span of days an agency exists, as far as its record says.
#[derive(Debug, Clone, Copy, Default)]
pub struct Lifetime {
    pub from: Option<Date>,
    pub until: Option<Date>,
}

impl Lifetime {
    pub fn of(a: &Agency) -> Lifetime {
        Lifetime {
            from: parse_date(&a.valid_from),
            until: parse_date(&a.valid_until),
        }
    }
    pub fn active_on(&self, d: Date) -> bool {
        self.from.is_none_or(|f| f <= d) && self.until.is_none_or(|u| d <= u)
    }
    /// True when the agency exists on at least one day of `[start, end]`.
    pub fn overlaps(&self, start: Date, end: Date) -> bool {
        self.from.is_none_or(|f| f <= end) && self.until.is_none_or(|u| start <= u)
    }
}

fn file_stem(path: &str) -> &str {
    let name = path.rsplit('/').next().unwrap_or(path);
    name.strip_suffix(".toml").unwrap_or(name)
}

/// The directory names of a path, from the root.
fn dirs(path: &str) -> Vec<&str> {
    let mut parts: Vec<&str> = path.split('/').collect();
    parts.pop();
    parts
}

fn check_id_field(id: &str, path: &str, field: &str, out: &mut Vec<Problem>) -> bool {
    match check_id(id) {
        Ok(()) => true,
        Err(e) => {
            out.push(Problem::new(path, field, e.to_string()));
            false
        }
    }
}

/// Runs every cross-record rule. Problems come in file order.
pub fn check(set: &RecordSet) -> Vec<Problem> {
    let mut out = Vec::new();

    // Agencies.
    let mut agencies: HashMap<&str, &Located<Agency>> = HashMap::new();
    for la in &set.agencies {
        let a = &la.record;
        let stem = file_stem(&la.path);
        if check_id_field(&a.id, &la.path, "id", &mut out) && a.id != stem {
            // A second file with an existing id is the usual way to get a duplicate: one error.
            let dup = set
                .agencies
                .iter()
                .find(|o| o.path != la.path && o.record.id == a.id && file_stem(&o.path) == a.id);
            out.push(Problem::new(
                &la.path,
                "id",
                match dup {
                    Some(o) => format!(
                        "duplicate id {:?}: already used by {} (ids must match file names)",
                        a.id, o.path
                    ),
                    None => format!("id {:?} does not match the file name {stem:?}", a.id),
                },
            ));
        }
        agencies.entry(&a.id).or_insert(la);
    }
    for la in &set.agencies {
        let a = &la.record;
        let p = &la.path;
        let from = opt_date(&a.valid_from, p, "valid_from", &mut out);
        let until = opt_date(&a.valid_until, p, "valid_until", &mut out);
        if let (Some(f), Some(u)) = (from, until)
            && u < f
        {
            out.push(Problem::new(
                p,
                "valid_until",
                format!("valid_until {u} is before valid_from {f}"),
            ));
        }
        for (field, target) in [("parent", &a.parent), ("successor", &a.successor)] {
            if target.is_empty() {
                continue;
            }
            if target == &a.id {
                out.push(Problem::new(
                    p,
                    field,
                    format!("{field} cannot be the agency itself"),
                ));
            } else if !agencies.contains_key(target.as_str()) {
                out.push(unknown_agency(p, field, target));
            }
        }
        if !a.successor.is_empty() && a.valid_until.is_empty() {
            out.push(Problem::new(
                p,
                "successor",
                "an agency with a successor needs valid_until (the day it ended)",
            ));
        }
    }
    let lifetime =
        |id: &str| -> Option<Lifetime> { agencies.get(id).map(|a| Lifetime::of(&a.record)) };
    // Takeovers: successor id → the days it took over a predecessor's work (the day after the
    // predecessor's valid_until).
    let mut takeovers: HashMap<&str, Vec<Date>> = HashMap::new();
    for la in &set.agencies {
        let a = &la.record;
        if let (false, Some(until)) = (a.successor.is_empty(), parse_date(&a.valid_until))
            && let Ok(day) = until.tomorrow()
        {
            takeovers.entry(a.successor.as_str()).or_default().push(day);
        }
    }
    // An agency may be named on an assignment when it is active on the day the plan assigns the
    // work, or when it took the work over from a predecessor: it is then the successor of an
    // agency that ended on or after that day, and it is active on the day after that end.
    let may_hold = |id: &str, life: &Lifetime, on: Date| -> bool {
        life.active_on(on)
            || takeovers
                .get(id)
                .is_some_and(|days| days.iter().any(|d| *d > on && life.active_on(*d)))
    };
    // True when `agency`, or an agency that succeeded it (following successors), is involved in
    // the assignment: a report of a retired agency about work since passed on stays valid.
    let involved_or_passed_on = |agency: &str, a: &Assignment| -> bool {
        let mut cur = agency;
        for _ in 0..16 {
            if a.involves(cur) {
                return true;
            }
            match agencies.get(cur) {
                Some(x) if !x.record.successor.is_empty() => cur = &x.record.successor,
                _ => return false,
            }
        }
        false
    };

    // Plans.
    let mut plans: HashMap<&str, &Located<Plan>> = HashMap::new();
    for lp in &set.plans {
        let pl = &lp.record;
        let p = &lp.path;
        let dir = dirs(p).get(1).copied().unwrap_or("");
        if check_id_field(&pl.id, p, "id", &mut out) && pl.id != dir {
            out.push(Problem::new(
                p,
                "id",
                format!("id {:?} does not match its folder plans/{dir}/", pl.id),
            ));
        }
        plans.entry(&pl.id).or_insert(lp);
        if let Err(e) = parse_plan_date(&pl.date) {
            out.push(Problem::new(p, "date", e));
        }
        let agency_ref = |field: String, id: &str, out: &mut Vec<Problem>| {
            if !agencies.contains_key(id) && !set.unreadable_agency(id) {
                out.push(unknown_agency(p, &field, id));
            }
        };
        agency_ref("issuer".into(), &pl.issuer, &mut out);
        agency_ref("reporting.to".into(), &pl.reporting.to, &mut out);
        for (i, doc) in pl.legal_basis.iter().enumerate() {
            opt_date(&doc.date, p, &format!("legal_basis[{i}].date"), &mut out);
        }
        let mut task_ids = HashSet::new();
        for (i, t) in pl.tasks.iter().enumerate() {
            let field = format!("tasks[{i}].id");
            check_id_field(&t.id, p, &field, &mut out);
            if !task_ids.insert(t.id.as_str()) {
                out.push(Problem::new(
                    p,
                    field,
                    format!("duplicate task id {:?}", t.id),
                ));
            }
        }
        for (i, d) in pl.duties.iter().enumerate() {
            for (j, a) in d.agencies.iter().enumerate() {
                agency_ref(format!("duties[{i}].agencies[{j}]"), a, &mut out);
            }
        }
        for (i, r) in pl.recipients.iter().enumerate() {
            for (j, a) in r.agencies.iter().enumerate() {
                agency_ref(format!("recipients[{i}].agencies[{j}]"), a, &mut out);
            }
        }
        if let Some(last) = pl.reporting.last_period
            && last < pl.reporting.first_period
        {
            out.push(Problem::new(
                p,
                "reporting.last_period",
                format!(
                    "last_period {last} is before first_period {}",
                    pl.reporting.first_period
                ),
            ));
        }
        for (field, per) in [
            ("reporting.first_period", Some(pl.reporting.first_period)),
            ("reporting.last_period", pl.reporting.last_period),
        ] {
            if let Some(per) = per
                && per.kind() != pl.reporting.period
            {
                out.push(Problem::new(
                    p,
                    field,
                    format!(
                        "{per} is not a {} period, as reporting.period says",
                        pl.reporting.period.as_str()
                    ),
                ));
            }
        }
    }

    // Assignments.
    let mut assignments: HashMap<(&str, &str), &Located<Assignment>> = HashMap::new();
    for la in &set.assignments {
        let a = &la.record;
        let p = &la.path;
        let d = dirs(p);
        let plan_dir = d.get(1).copied().unwrap_or("");
        if check_id_field(&a.id, p, "id", &mut out) && a.id != file_stem(p) {
            let dup = set.assignments.iter().find(|o| {
                o.path != la.path
                    && o.record.id == a.id
                    && o.record.plan == a.plan
                    && file_stem(&o.path) == a.id
            });
            out.push(Problem::new(
                p,
                "id",
                match dup {
                    Some(o) => format!(
                        "duplicate id {:?}: already used by {} (ids must match file names)",
                        a.id, o.path
                    ),
                    None => format!(
                        "id {:?} does not match the file name {:?}",
                        a.id,
                        file_stem(p)
                    ),
                },
            ));
        }
        if a.plan != plan_dir {
            out.push(Problem::new(
                p,
                "plan",
                format!(
                    "plan {:?} does not match its folder plans/{plan_dir}/",
                    a.plan
                ),
            ));
        }
        assignments.entry((&a.plan, &a.id)).or_insert(la);
        let plan = plans.get(a.plan.as_str());
        match plan {
            None => out.push(Problem::new(
                p,
                "plan",
                format!("unknown plan {:?}", a.plan),
            )),
            Some(pl) => {
                if a.tasks.is_empty() {
                    out.push(Problem::new(
                        p,
                        "tasks",
                        "an assignment serves at least one task",
                    ));
                }
                for (i, t) in a.tasks.iter().enumerate() {
                    if !pl.record.tasks.iter().any(|x| &x.id == t) {
                        let known: Vec<&str> =
                            pl.record.tasks.iter().map(|x| x.id.as_str()).collect();
                        out.push(Problem::new(
                            p,
                            format!("tasks[{i}]"),
                            format!(
                                "plan {} has no task {t:?} (its tasks: {})",
                                a.plan,
                                known.join(", ")
                            ),
                        ));
                    }
                }
            }
        }
        let assigned_on = plan
            .and_then(|pl| parse_plan_date(&pl.record.date).ok().flatten())
            .or_else(|| plan.map(|pl| pl.record.reporting.first_period.start()));
        let mut seen = HashSet::new();
        let mut agency_check = |field: String, id: &str, out: &mut Vec<Problem>| {
            if !seen.insert(id.to_string()) {
                out.push(Problem::new(
                    p,
                    &field,
                    format!("agency {id:?} is named twice in this assignment"),
                ));
            }
            match lifetime(id) {
                None if set.unreadable_agency(id) => {}
                None => out.push(unknown_agency(p, &field, id)),
                Some(life) => {
                    if let Some(on) = assigned_on
                        && !may_hold(id, &life, on)
                    {
                        out.push(Problem::new(
                            p,
                            &field,
                            format!(
                                "agency {id:?} is not active on {on}, when the plan assigns it"
                            ),
                        ));
                    }
                }
            }
        };
        agency_check("lead".into(), &a.lead, &mut out);
        for (i, c) in a.coordinating.iter().enumerate() {
            agency_check(format!("coordinating[{i}]"), c, &mut out);
        }
    }

    // Reports.
    let mut reports: HashSet<(&str, String, &str)> = HashSet::new();
    for lr in &set.reports {
        let r = &lr.record;
        let p = &lr.path;
        let d = dirs(p);
        let (plan_dir, period_dir) = (
            d.get(1).copied().unwrap_or(""),
            d.get(3).copied().unwrap_or(""),
        );
        if r.plan != plan_dir {
            out.push(Problem::new(
                p,
                "plan",
                format!(
                    "plan {:?} does not match its folder plans/{plan_dir}/",
                    r.plan
                ),
            ));
        }
        if r.period.to_string() != period_dir {
            out.push(Problem::new(
                p,
                "period",
                format!(
                    "period {} does not match its folder reports/{period_dir}/",
                    r.period
                ),
            ));
        }
        if r.agency != file_stem(p) {
            out.push(Problem::new(
                p,
                "agency",
                format!(
                    "agency {:?} does not match the file name {:?}",
                    r.agency,
                    file_stem(p)
                ),
            ));
        }
        if !reports.insert((&r.plan, r.period.to_string(), &r.agency)) {
            out.push(Problem::new(
                p,
                "agency",
                format!("duplicate report of {} for {}", r.agency, r.period),
            ));
        }
        let plan = plans.get(r.plan.as_str());
        if plan.is_none()
            && !set
                .unreadable
                .contains(&format!("plans/{}/plan.toml", r.plan))
        {
            out.push(Problem::new(
                p,
                "plan",
                format!("unknown plan {:?}", r.plan),
            ));
        }
        if let Some(pl) = plan {
            let rep = &pl.record.reporting;
            if r.period.kind() != rep.period {
                out.push(Problem::new(
                    p,
                    "period",
                    format!(
                        "plan {} reports by {}, not by {}",
                        r.plan,
                        rep.period.as_str(),
                        r.period.kind().as_str()
                    ),
                ));
            } else if r.period < rep.first_period || rep.last_period.is_some_and(|l| r.period > l) {
                out.push(Problem::new(
                    p,
                    "period",
                    format!("plan {} expects no report for {}", r.plan, r.period),
                ));
            }
        }
        match lifetime(&r.agency) {
            None if set.unreadable_agency(&r.agency) => {}
            None => out.push(unknown_agency(p, "agency", &r.agency)),
            Some(life) => {
                if !life.overlaps(r.period.start(), r.period.end()) {
                    out.push(Problem::new(
                        p,
                        "agency",
                        format!("agency {:?} did not exist during {}", r.agency, r.period),
                    ));
                }
            }
        }
        let submitted = opt_date(&r.submitted_on, p, "submitted_on", &mut out);
        if let Some(s) = submitted
            && s < r.period.start()
        {
            out.push(Problem::new(
                p,
                "submitted_on",
                format!("submitted_on {s} is before the period {} begins", r.period),
            ));
        }
        if r.submitted_on.is_empty()
            && matches!(r.status, ReportStatus::Submitted | ReportStatus::Accepted)
        {
            out.push(Problem::new(
                p,
                "submitted_on",
                "a submitted or accepted report needs submitted_on",
            ));
        }
        let mut seen = HashSet::new();
        for (i, e) in r.entries.iter().enumerate() {
            let field = format!("entries[{i}].assignment");
            if !seen.insert(e.assignment.as_str()) {
                out.push(Problem::new(
                    p,
                    &field,
                    format!("assignment {:?} is reported twice", e.assignment),
                ));
            }
            match assignments.get(&(r.plan.as_str(), e.assignment.as_str())) {
                None if set.unreadable.contains(&format!(
                    "plans/{}/assignments/{}.toml",
                    r.plan, e.assignment
                )) => {}
                None => out.push(Problem::new(
                    p,
                    &field,
                    format!("plan {} has no assignment {:?}", r.plan, e.assignment),
                )),
                Some(a) => {
                    if !involved_or_passed_on(&r.agency, &a.record) {
                        out.push(Problem::new(
                            p,
                            &field,
                            format!(
                                "agency {} neither leads nor coordinates assignment {}",
                                r.agency, e.assignment
                            ),
                        ));
                    }
                }
            }
            if let Some(pc) = e.percent
                && pc > 100
            {
                out.push(Problem::new(
                    p,
                    format!("entries[{i}].percent"),
                    format!("percent {pc} is over 100"),
                ));
            }
        }
    }

    out
}

fn unknown_agency(path: &str, field: &str, id: &str) -> Problem {
    Problem::new(
        path,
        field,
        format!("unknown agency {id:?} (no file agencies/{id}.toml)"),
    )
}
