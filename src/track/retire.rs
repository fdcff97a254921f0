//! Retiring an agency: it ends the day before `on`, names its successor, and its open
//! assignments (lead or coordinating) pass to the successor, all in one validated commit.
//! Its reports stay its own.

use jiff::civil::Date;

use super::TrackError;
use crate::model::fields::{FieldChange, diff};
use crate::model::rules::{Lifetime, check};
use crate::store::edit::set_in_document;
use crate::store::load::{collect, locate_problems, sort_diagnostics};
use crate::store::{Change, CommitInfo, Kind, Store, StoreError, parse_record};

/// One record changed by a retirement.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Edit {
    pub kind: Kind,
    pub id: String,
    /// Path relative to the data root.
    pub path: String,
    pub changes: Vec<FieldChange>,
}

/// What a retirement did (or would do, on a dry run).
#[derive(Debug, Clone, serde::Serialize)]
pub struct Retirement {
    pub agency: String,
    pub successor: String,
    /// The first day the successor holds the work.
    pub on: String,
    /// The retired agency's last day.
    pub valid_until: String,
    pub edits: Vec<Edit>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit: Option<CommitInfo>,
}

/// Retires `agency` in favour of `successor` from `on`. With `dry_run`, validates and reports
/// what would change without writing.
pub fn retire(
    store: &Store,
    agency: &str,
    successor: &str,
    on: Date,
    dry_run: bool,
) -> Result<Retirement, TrackError> {
    if agency == successor {
        return Err(TrackError::Invalid(
            "an agency cannot succeed itself".into(),
        ));
    }
    let loaded = store.load()?;
    let set = &loaded.records;
    let find = |id: &str| {
        set.agencies
            .iter()
            .find(|a| a.record.id == id)
            .ok_or_else(|| TrackError::UnknownAgency(id.to_string()))
    };
    let old = find(agency)?;
    let succ = find(successor)?;
    let until = on
        .yesterday()
        .map_err(|e| TrackError::Invalid(format!("{on}: {e}")))?;
    // An agency that ended without a successor may be given one, from the day after its end.
    if !old.record.valid_until.is_empty() {
        if !old.record.successor.is_empty() {
            return Err(TrackError::Invalid(format!(
                "agency {agency} already ended on {} with successor {}",
                old.record.valid_until, old.record.successor
            )));
        }
        if old.record.valid_until != until.to_string() {
            let next = crate::model::parse_date(&old.record.valid_until)
                .and_then(|d| d.tomorrow().ok())
                .map(|d| d.to_string())
                .unwrap_or_default();
            return Err(TrackError::Invalid(format!(
                "agency {agency} already ended on {}: its successor takes over from {next} (use --on {next})",
                old.record.valid_until
            )));
        }
    }
    if let Some(from) = Lifetime::of(&old.record).from
        && from > until
    {
        return Err(TrackError::Invalid(format!(
            "agency {agency} begins on {from}: it cannot end on {until}"
        )));
    }
    if !Lifetime::of(&succ.record).active_on(on) {
        return Err(TrackError::Invalid(format!(
            "successor {successor} is not active on {on} (valid {}–{})",
            if succ.record.valid_from.is_empty() {
                "…"
            } else {
                &succ.record.valid_from
            },
            if succ.record.valid_until.is_empty() {
                "…"
            } else {
                &succ.record.valid_until
            },
        )));
    }
    // A successor chain that leads back to the agency would make a loop.
    let mut cur = succ.record.successor.as_str();
    for _ in 0..64 {
        if cur.is_empty() {
            break;
        }
        if cur == agency {
            return Err(TrackError::Invalid(format!(
                "{successor} already passes its work on to {agency}: that would make a loop"
            )));
        }
        cur = set
            .agencies
            .iter()
            .find(|a| a.record.id == cur)
            .map(|a| a.record.successor.as_str())
            .unwrap_or("");
    }

    // New texts.
    let mut texts: Vec<(Kind, String, String, String)> = Vec::new(); // kind, path, old, new
    let old_text = store.read(&old.path)?;
    let mut t = set_in_document(&old_text, Kind::Agency, "valid_until", &until.to_string())?;
    t = set_in_document(&t, Kind::Agency, "successor", successor)?;
    texts.push((Kind::Agency, old.path.clone(), old_text, t));
    let mut moved: Vec<&crate::model::rules::Located<crate::model::Assignment>> = set
        .assignments
        .iter()
        .filter(|a| a.record.status.is_open() && a.record.involves(agency))
        .collect();
    moved.sort_by(|a, b| a.path.cmp(&b.path));
    for la in moved {
        let a = &la.record;
        let before = store.read(&la.path)?;
        let mut t = before.clone();
        let lead = if a.lead == agency {
            successor
        } else {
            a.lead.as_str()
        };
        if lead != a.lead {
            t = set_in_document(&t, Kind::Assignment, "lead", lead)?;
        }
        let mut coord: Vec<&str> = Vec::new();
        for c in &a.coordinating {
            let c = if c == agency { successor } else { c.as_str() };
            if c != lead && !coord.contains(&c) {
                coord.push(c);
            }
        }
        if coord
            != a.coordinating
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>()
        {
            t = set_in_document(&t, Kind::Assignment, "coordinating", &coord.join(","))?;
        }
        texts.push((Kind::Assignment, la.path.clone(), before, t));
    }

    // Validate the whole repository with the new records, reporting only new problems.
    let mut parsed = Vec::new();
    let mut diags = Vec::new();
    for (kind, path, _, new) in &texts {
        match parse_record(*kind, path, new) {
            Ok(r) => parsed.push((path.clone(), r)),
            Err(d) => diags.extend(d),
        }
    }
    if !diags.is_empty() {
        return Err(StoreError::Invalid(diags).into());
    }
    let before: std::collections::HashSet<(String, String, String)> = check(set)
        .into_iter()
        .map(|p| (p.path, p.field, p.message))
        .collect();
    let (_, changed) = collect(parsed);
    let mut next = set.clone();
    for a in changed.agencies {
        if let Some(x) = next.agencies.iter_mut().find(|x| x.path == a.path) {
            *x = a;
        }
    }
    for a in changed.assignments {
        if let Some(x) = next.assignments.iter_mut().find(|x| x.path == a.path) {
            *x = a;
        }
    }
    let problems: Vec<_> = check(&next)
        .into_iter()
        .filter(|p| !before.contains(&(p.path.clone(), p.field.clone(), p.message.clone())))
        .collect();
    if !problems.is_empty() {
        let new_text = |p: &str| texts.iter().find(|t| t.1 == p).map(|t| t.3.clone());
        let root = store.root().to_path_buf();
        let mut d = locate_problems(problems, |p| {
            new_text(p).or_else(|| std::fs::read_to_string(root.join(p)).ok())
        });
        sort_diagnostics(&mut d);
        return Err(StoreError::Invalid(d).into());
    }

    let edits: Vec<Edit> = texts
        .iter()
        .map(|(kind, path, old, new)| {
            let o: toml::Table = toml::from_str(old).unwrap_or_default();
            let n: toml::Table = toml::from_str(new).unwrap_or_default();
            Edit {
                kind: *kind,
                id: crate::store::layout::id_of(*kind, path),
                path: path.clone(),
                changes: diff(&o, &n),
            }
        })
        .collect();
    let mut result = Retirement {
        agency: agency.to_string(),
        successor: successor.to_string(),
        on: on.to_string(),
        valid_until: until.to_string(),
        edits,
        commit: None,
    };
    if dry_run {
        return Ok(result);
    }
    let message = message(store, &result);
    let changes: Vec<Change> = texts
        .into_iter()
        .map(|(_, path, _, new)| Change {
            path,
            content: Some(new),
        })
        .collect();
    result.commit = Some(store.commit(&changes, &message)?);
    Ok(result)
}

/// The commit message: subject, what happened, each record with its fields changed, and a
/// `Record:` trailer per file.
pub fn message(store: &Store, r: &Retirement) -> String {
    let moved = r.edits.len().saturating_sub(1);
    let mut m = format!(
        "retire agency {}: successor {} from {}\n\n",
        r.agency, r.successor, r.on
    );
    m.push_str(&format!(
        "Agency {} ends on {}. {} open assignment{} pass{} to {} from {}; its reports stay its own.\n\n",
        r.agency,
        r.valid_until,
        moved,
        if moved == 1 { "" } else { "s" },
        if moved == 1 { "es" } else { "" },
        r.successor,
        r.on
    ));
    m.push_str("Records changed:\n");
    for e in &r.edits {
        m.push_str(&format!("- {} {}:\n", e.kind.as_str(), e.id));
        for c in &e.changes {
            m.push_str(&format!("  - {c}\n"));
        }
    }
    m.push('\n');
    for e in &r.edits {
        m.push_str(&format!("Record: {}\n", store.repo_path(&e.path)));
    }
    m
}
