//! Reading only the records a task needs — one plan with its assignments and reports, or the
//! assignments of every plan — in parallel, without the whole-repository checks of
//! [`super::load_dir`]. Files that do not parse are skipped and named in `problems`, so that a
//! report can still be made and the user told to run `kehoach validate`.

use std::path::Path;

use rayon::prelude::*;

use super::error::{Result, StoreError};
use super::layout::{self, CONFIG_FILE, Kind, classify};
use super::load::collect;
use super::parse::Record;
use crate::model::rules::RecordSet;
use crate::model::{Agency, Assignment, Config, Period, Plan, Report};

/// Records read for one task.
#[derive(Debug, Default, Clone)]
pub struct Partial {
    pub config: Option<Config>,
    pub records: RecordSet,
    /// `path: message` for each file that could not be read or parsed.
    pub problems: Vec<String>,
    /// How many files were read.
    pub files: usize,
}

/// The `.toml` files directly in `dir` (names only, sorted); empty when the folder is missing.
fn toml_files(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = match std::fs::read_dir(dir) {
        Ok(rd) => rd
            .filter_map(|e| e.ok())
            .filter_map(|e| e.file_name().to_str().map(String::from))
            .filter(|n| n.ends_with(".toml") && !n.starts_with('.'))
            .collect(),
        Err(_) => vec![],
    };
    v.sort();
    v
}

/// The sub-folders of `dir` (names only, sorted).
fn sub_dirs(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = match std::fs::read_dir(dir) {
        Ok(rd) => rd
            .filter_map(|e| e.ok())
            .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
            .filter_map(|e| e.file_name().to_str().map(String::from))
            .filter(|n| !n.starts_with('.'))
            .collect(),
        Err(_) => vec![],
    };
    v.sort();
    v
}

/// The ids of the plans under `root` (folders of plans/ that hold a plan.toml).
pub fn plan_ids(root: &Path) -> Vec<String> {
    sub_dirs(&root.join("plans"))
        .into_iter()
        .filter(|p| root.join(layout::plan_path(p)).is_file())
        .collect()
}

/// The ids of the agencies under `root` (record files of agencies/), sorted.
pub fn agency_ids(root: &Path) -> Vec<String> {
    let mut v: Vec<String> = match std::fs::read_dir(root.join("agencies")) {
        Ok(rd) => rd
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                let name = e.file_name().to_str()?.to_string();
                let id = name.strip_suffix(".toml")?;
                (classify(&format!("agencies/{name}")) == Some(Kind::Agency))
                    .then(|| id.to_string())
            })
            .collect(),
        Err(_) => vec![],
    };
    v.sort();
    v
}

/// Parses one record with serde only (no schema pass): fast, for reading many files.
pub fn parse_fast(rel: &str, text: &str) -> std::result::Result<Record, String> {
    let kind = classify(rel).ok_or_else(|| "not a record path".to_string())?;
    let err = |e: toml::de::Error| e.message().to_string();
    Ok(match kind {
        Kind::Config => Record::Config(toml::from_str::<Config>(text).map_err(err)?),
        Kind::Agency => Record::Agency(toml::from_str::<Agency>(text).map_err(err)?),
        Kind::Plan => Record::Plan(Box::new(toml::from_str::<Plan>(text).map_err(err)?)),
        Kind::Assignment => Record::Assignment(toml::from_str::<Assignment>(text).map_err(err)?),
        Kind::Report => Record::Report(toml::from_str::<Report>(text).map_err(err)?),
    })
}

/// Reads and parses the given data-root paths in parallel; missing files are skipped silently
/// when `skip_missing`.
pub fn read_paths(root: &Path, rels: Vec<String>, skip_missing: bool) -> Partial {
    read_paths_where(root, rels, skip_missing, None)
}

/// [`read_paths`], parsing only the files whose text contains `needle` (the others are read and
/// dropped): for questions that only records holding some value can answer.
pub fn read_paths_where(
    root: &Path,
    rels: Vec<String>,
    skip_missing: bool,
    needle: Option<&str>,
) -> Partial {
    let files = rels.len();
    let results: Vec<(String, std::result::Result<Record, String>)> = rels
        .into_par_iter()
        .filter_map(|rel| {
            let r = match std::fs::read_to_string(root.join(&rel)) {
                Ok(t) if needle.is_some_and(|n| !t.contains(n)) => return None,
                Ok(t) => parse_fast(&rel, &t),
                Err(e) if skip_missing && e.kind() == std::io::ErrorKind::NotFound => {
                    return None;
                }
                Err(e) => Err(format!("cannot read: {e}")),
            };
            Some((rel, r))
        })
        .collect();
    let mut parsed = Vec::with_capacity(results.len());
    let mut problems = Vec::new();
    for (rel, r) in results {
        match r {
            Ok(rec) => parsed.push((rel, rec)),
            Err(m) => problems.push(format!("{rel}: {m}")),
        }
    }
    let (config, records) = collect(parsed);
    Partial {
        config,
        records,
        problems,
        files,
    }
}

/// The paths of the agencies and the settings file.
fn base_paths(root: &Path) -> Vec<String> {
    let mut v = vec![CONFIG_FILE.to_string()];
    v.extend(
        toml_files(&root.join("agencies"))
            .into_iter()
            .map(|n| format!("agencies/{n}")),
    );
    v
}

fn assignment_paths(root: &Path, plan: &str) -> Vec<String> {
    toml_files(&root.join("plans").join(plan).join("assignments"))
        .into_iter()
        .map(|n| format!("plans/{plan}/assignments/{n}"))
        .collect()
}

/// The report paths of a plan, only for the periods given (all periods when None).
pub fn report_paths(root: &Path, plan: &str, periods: Option<&[Period]>) -> Vec<String> {
    let dir = root.join("plans").join(plan).join("reports");
    let wanted: Vec<String> = match periods {
        Some(ps) => ps.iter().map(|p| p.to_string()).collect(),
        None => sub_dirs(&dir),
    };
    wanted
        .into_iter()
        .flat_map(|period| {
            toml_files(&dir.join(&period))
                .into_iter()
                .map(move |n| format!("plans/{plan}/reports/{period}/{n}"))
        })
        .collect()
}

/// Settings, agencies, one plan, its assignments and its reports (of the periods given, or all).
pub fn load_plan(root: &Path, plan: &str, periods: Option<&[Period]>) -> Result<Partial> {
    if crate::model::check_id(plan).is_err() || !root.join(layout::plan_path(plan)).is_file() {
        return Err(StoreError::NotFound(plan.to_string()));
    }
    let mut paths = base_paths(root);
    paths.push(layout::plan_path(plan));
    paths.extend(assignment_paths(root, plan));
    paths.extend(report_paths(root, plan, periods));
    Ok(read_paths(root, paths, true))
}

/// Settings, agencies, and the plans (all, or those named) with their assignments; no reports.
pub fn load_assignments(root: &Path, plans: Option<&[String]>) -> Result<Partial> {
    let ids: Vec<String> = match plans {
        Some(p) => p.to_vec(),
        None => plan_ids(root),
    };
    let mut paths = base_paths(root);
    for p in &ids {
        if crate::model::check_id(p).is_err() || !root.join(layout::plan_path(p)).is_file() {
            return Err(StoreError::NotFound(p.clone()));
        }
        paths.push(layout::plan_path(p));
        paths.extend(assignment_paths(root, p));
    }
    Ok(read_paths(root, paths, true))
}

/// A basic string on one line with no escapes (`"so-y-te"`), followed by nothing or a comment.
fn simple_str(v: &str) -> Option<&str> {
    let rest = v.strip_prefix('"')?;
    let end = rest.find('"')?;
    let (s, after) = (&rest[..end], rest[end + 1..].trim_start());
    (!s.contains('\\') && (after.is_empty() || after.starts_with('#'))).then_some(s)
}

/// A one-line array of simple strings (`["a", "b"]`).
fn simple_arr(v: &str) -> Option<Vec<String>> {
    let inner = v.strip_prefix('[')?;
    let end = inner.find(']')?;
    let after = inner[end + 1..].trim_start();
    if !(after.is_empty() || after.starts_with('#')) {
        return None;
    }
    inner[..end]
        .split(',')
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(|x| simple_str(x).map(String::from))
        .collect()
}

/// Reads the fields of an assignment that deadlines and progress need (id, plan, tasks, lead,
/// coordinating, title, due, status) from its top-level lines, without a full TOML parse. Other
/// fields are left empty. None when the text uses a form this does not handle (tables, escapes,
/// multi-line values for those fields …): then parse it fully.
pub fn scan_assignment(text: &str) -> Option<Assignment> {
    let (mut id, mut plan, mut lead, mut title, mut due, mut status) =
        (None, None, None, None, None, None);
    let (mut tasks, mut coordinating) = (None, None);
    let mut in_multiline: Option<&str> = None;
    for line in text.lines() {
        if let Some(d) = in_multiline {
            if let Some(i) = line.find(d) {
                if line[..i].ends_with('\\') {
                    return None;
                }
                in_multiline = None;
            }
            continue;
        }
        let t = line.trim_start();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        if t.starts_with('[') {
            return None;
        }
        let (k, v) = t.split_once('=')?;
        let (k, v) = (k.trim(), v.trim());
        if v.starts_with("\"\"\"") || v.starts_with("'''") {
            let d = &v[..3];
            if matches!(k, "id" | "plan" | "lead" | "title" | "due" | "status") {
                return None;
            }
            if !v[3..].contains(d) {
                in_multiline = Some(d);
            }
            continue;
        }
        match k {
            "id" => id = Some(simple_str(v)?),
            "plan" => plan = Some(simple_str(v)?),
            "lead" => lead = Some(simple_str(v)?),
            "title" => title = Some(simple_str(v)?),
            "due" => due = Some(simple_str(v)?.parse().ok()?),
            "status" => {
                status = Some(match simple_str(v)? {
                    "not_started" => crate::model::WorkStatus::NotStarted,
                    "in_progress" => crate::model::WorkStatus::InProgress,
                    "done" => crate::model::WorkStatus::Done,
                    "cancelled" => crate::model::WorkStatus::Cancelled,
                    _ => return None,
                })
            }
            "tasks" => tasks = Some(simple_arr(v)?),
            "coordinating" => coordinating = Some(simple_arr(v)?),
            _ => {
                // A value that goes on over several lines cannot be skipped line by line.
                let bare = v.split(" #").next().unwrap_or(v).trim_end();
                if (v.starts_with('[') && !bare.ends_with(']'))
                    || (v.starts_with('{') && !bare.ends_with('}'))
                {
                    return None;
                }
            }
        }
    }
    if in_multiline.is_some() {
        return None;
    }
    Some(Assignment {
        id: id?.to_string(),
        plan: plan?.to_string(),
        tasks: tasks?,
        lead: lead?.to_string(),
        coordinating: coordinating.unwrap_or_default(),
        title: title?.to_string(),
        description: String::new(),
        output: String::new(),
        due: due?,
        status: status?,
        source: String::new(),
        notes: String::new(),
    })
}

/// The files the assignment loaders read for `plans` (every plan when None): the agencies and
/// plans (`base`), and the plans' assignments.
fn assignment_sources(root: &Path, plans: Option<&[String]>) -> Result<(Vec<String>, Vec<String>)> {
    let ids: Vec<String> = match plans {
        Some(p) => p.to_vec(),
        None => plan_ids(root),
    };
    let mut base = base_paths(root);
    let mut asg = Vec::new();
    for p in &ids {
        if crate::model::check_id(p).is_err() || !root.join(layout::plan_path(p)).is_file() {
            return Err(StoreError::NotFound(p.clone()));
        }
        base.push(layout::plan_path(p));
        asg.extend(assignment_paths(root, p));
    }
    Ok((base, asg))
}

/// An assignment read with [`scan_assignment`], or fully parsed when the scanner declines.
fn brief_assignment(rel: &str, text: &str) -> std::result::Result<Assignment, String> {
    match scan_assignment(text) {
        Some(a) => Ok(a),
        None => match parse_fast(rel, text) {
            Ok(Record::Assignment(a)) => Ok(a),
            Ok(_) => Err("not an assignment".into()),
            Err(m) => Err(m),
        },
    }
}

/// Like [`load_assignments`], reading assignments with [`scan_assignment`] (a full parse only
/// when it declines): their description, output, source and notes are left empty.
pub fn load_assignments_brief(root: &Path, plans: Option<&[String]>) -> Result<Partial> {
    let (base, asg) = assignment_sources(root, plans)?;
    let mut out = read_paths(root, base, true);
    let scanned: Vec<(String, std::result::Result<Assignment, String>)> = asg
        .into_par_iter()
        .map(|rel| {
            let r = match std::fs::read_to_string(root.join(&rel)) {
                Ok(t) => brief_assignment(&rel, &t),
                Err(e) => Err(format!("cannot read: {e}")),
            };
            (rel, r)
        })
        .collect();
    out.files += scanned.len();
    for (path, r) in scanned {
        match r {
            Ok(record) => out
                .records
                .assignments
                .push(crate::model::rules::Located { path, record }),
            Err(m) => out.problems.push(format!("{path}: {m}")),
        }
    }
    Ok(out)
}

/// [`load_assignments_brief`] through the repository's cache: unchanged assignment files are
/// not read again.
pub fn load_assignments_cached(store: &super::Store, plans: Option<&[String]>) -> Result<Partial> {
    let root = store.root();
    let (base, asg) = assignment_sources(root, plans)?;
    let mut out = read_paths(root, base, true);
    let mut cache: super::cache::FileCache<std::result::Result<Assignment, String>> =
        super::cache::FileCache::open(store, "assignments");
    let all: Option<std::collections::HashSet<String>> =
        plans.is_none().then(|| asg.iter().cloned().collect());
    let vals = cache.values(root, asg, brief_assignment);
    let keep: Option<std::collections::HashSet<&str>> =
        all.as_ref().map(|a| a.iter().map(String::as_str).collect());
    cache.save(keep.as_ref());
    out.files += vals.len();
    for (path, v) in vals {
        match v.and_then(|x| x) {
            Ok(record) => out
                .records
                .assignments
                .push(crate::model::rules::Located { path, record }),
            Err(m) => out.problems.push(format!("{path}: {m}")),
        }
    }
    Ok(out)
}

/// What one report marks done.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DoneMarks {
    pub plan: String,
    pub agency: String,
    pub period: Period,
    /// Ids of the assignments whose entry has status `done`.
    pub done: Vec<String>,
}

/// The `done` marks of the report files given (missing files are skipped), through the
/// repository's cache; with `path: message` for files that do not parse.
pub fn report_done_marks(
    store: &super::Store,
    rels: Vec<String>,
) -> (Vec<DoneMarks>, Vec<String>, usize) {
    let mut cache: super::cache::FileCache<std::result::Result<Option<DoneMarks>, String>> =
        super::cache::FileCache::open(store, "report-done");
    let vals = cache.values(store.root(), rels, |rel, text| {
        if !text.contains("done") {
            return Ok(None);
        }
        match parse_fast(rel, text) {
            Ok(Record::Report(r)) => Ok(Some(DoneMarks {
                plan: r.plan,
                agency: r.agency,
                period: r.period,
                done: r
                    .entries
                    .into_iter()
                    .filter(|e| e.status == crate::model::WorkStatus::Done)
                    .map(|e| e.assignment)
                    .collect(),
            })),
            Ok(_) => Err("not a report".into()),
            Err(m) => Err(m),
        }
    });
    cache.save(None);
    let n = vals.len();
    let mut marks = Vec::new();
    let mut problems = Vec::new();
    for (path, v) in vals {
        match v.and_then(|x| x) {
            Ok(Some(m)) => marks.push(m),
            Ok(None) => {}
            Err(m) => problems.push(format!("{path}: {m}")),
        }
    }
    (marks, problems, n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scanning_agrees_with_parsing_on_the_sample() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("plan-data");
        let dir = root.join("plans/kh-27-qd-ttg-binh-thuan/assignments");
        let mut n = 0;
        for name in toml_files(&dir) {
            let text = std::fs::read_to_string(dir.join(&name)).unwrap();
            let full: Assignment = toml::from_str(&text).unwrap();
            let brief = scan_assignment(&text).expect("the sample is in the simple form");
            assert_eq!(
                (
                    &brief.id,
                    &brief.plan,
                    &brief.tasks,
                    &brief.lead,
                    &brief.coordinating
                ),
                (
                    &full.id,
                    &full.plan,
                    &full.tasks,
                    &full.lead,
                    &full.coordinating
                )
            );
            assert_eq!(
                (&brief.title, brief.due, brief.status),
                (&full.title, full.due, full.status)
            );
            n += 1;
        }
        assert_eq!(n, 36);
    }

    #[test]
    fn scanning_declines_what_it_does_not_handle() {
        let base = "id = \"a1\"\nplan = \"p\"\ntasks = [\"t1\"]\nlead = \"x\"\ntitle = \"T\"\ndue = \"continuous\"\nstatus = \"done\"\n";
        assert!(scan_assignment(base).is_some());
        // Escapes, literal strings, multi-line values of needed fields, tables.
        assert!(scan_assignment(&base.replace("\"T\"", "\"a \\\" b\"")).is_none());
        assert!(scan_assignment(&base.replace("\"T\"", "'T'")).is_none());
        assert!(scan_assignment(&base.replace("\"T\"", "\"\"\"\nT\"\"\"")).is_none());
        assert!(scan_assignment(&format!("{base}[x]\ny = 1\n")).is_none());
        // A line inside a multi-line string is not a key.
        let tricky = format!("{base}notes = \"\"\"\nstatus = \"cancelled\"\n\"\"\"\n");
        assert_eq!(
            scan_assignment(&tricky).unwrap().status,
            crate::model::WorkStatus::Done
        );
        // A multi-line array of another field.
        assert!(scan_assignment(&format!("{base}extra = [\n 1,\n]\n")).is_none());
    }

    #[test]
    fn reads_one_plan_of_the_sample() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("plan-data");
        let p = load_plan(&root, "kh-27-qd-ttg-binh-thuan", None).unwrap();
        assert!(p.problems.is_empty(), "{:?}", p.problems);
        assert_eq!(p.records.plans.len(), 1);
        assert_eq!(p.records.assignments.len(), 36);
        assert_eq!(p.records.reports.len(), 7);
        assert!(p.config.is_some());
        let h2: Period = "2025-h2".parse().unwrap();
        let only = load_plan(&root, "kh-27-qd-ttg-binh-thuan", Some(&[h2])).unwrap();
        assert_eq!(only.records.reports.len(), 2);
        assert!(matches!(
            load_plan(&root, "no-such-plan", None),
            Err(StoreError::NotFound(_))
        ));
    }
}
