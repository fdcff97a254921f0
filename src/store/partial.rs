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

#[cfg(test)]
mod tests {
    use super::*;

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
