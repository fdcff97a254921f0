//! Reading a whole data root: every record, checked on its own and against the others.

use std::path::Path;

use rayon::prelude::*;

use super::error::{Result, StoreError};
use super::layout::{CONFIG_FILE, Kind, classify};
use super::parse::{Diagnostic, Locator, Record, parse_record};
use crate::model::Config;
use crate::model::rules::{Located, RecordSet, check};

/// Everything read from a data root.
#[derive(Debug, Default, Clone)]
pub struct Loaded {
    pub config: Option<Config>,
    pub records: RecordSet,
    /// Problems, sorted by path, line and column.
    pub diagnostics: Vec<Diagnostic>,
    /// How many files were read.
    pub files: usize,
}

/// The record files under `root`, relative and sorted; files in unexpected places too, so that
/// they can be reported. Hidden entries and the `schemas` folder are skipped.
pub fn scan(root: &Path) -> Result<Vec<String>> {
    let mut out = Vec::new();
    walk(root, "", 0, &mut out)?;
    out.sort();
    Ok(out)
}

/// An entry of a folder of the data root.
pub(super) struct Entry {
    pub name: String,
    /// Path relative to the data root.
    pub rel: String,
    pub file_type: std::fs::FileType,
    pub entry: std::fs::DirEntry,
}

/// The entries of `dir` (at `rel` under the data root), hidden ones and names that are not
/// UTF-8 left out. A folder that does not exist has none when `missing_ok`.
pub(super) fn entries(dir: &Path, rel: &str, missing_ok: bool) -> Result<Vec<Entry>> {
    let rd = match std::fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) if missing_ok && e.kind() == std::io::ErrorKind::NotFound => return Ok(vec![]),
        Err(e) => return Err(StoreError::io(dir, e)),
    };
    let mut out = Vec::new();
    for entry in rd {
        let entry = entry.map_err(|e| StoreError::io(dir, e))?;
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        if name.starts_with('.') {
            continue;
        }
        let rel = if rel.is_empty() {
            name.clone()
        } else {
            format!("{rel}/{name}")
        };
        let file_type = entry
            .file_type()
            .map_err(|e| StoreError::io(entry.path(), e))?;
        out.push(Entry {
            name,
            rel,
            file_type,
            entry,
        });
    }
    Ok(out)
}

fn walk(dir: &Path, rel: &str, depth: usize, out: &mut Vec<String>) -> Result<()> {
    // Folders are walked after the files; the plans' folders in parallel.
    let mut dirs = Vec::new();
    for e in entries(dir, rel, false)? {
        if depth == 0 && (e.name == "schemas" || e.name == "target") {
            continue;
        }
        if e.file_type.is_dir() {
            if depth < 4 {
                dirs.push((e.entry.path(), e.rel));
            }
        } else if e.name.ends_with(".toml") {
            out.push(e.rel);
        }
    }
    if rel == "plans" {
        let found: Vec<Vec<String>> = dirs
            .into_par_iter()
            .map(|(path, child)| {
                let mut v = Vec::new();
                walk(&path, &child, depth + 1, &mut v).map(|_| v)
            })
            .collect::<Result<_>>()?;
        out.extend(found.into_iter().flatten());
    } else {
        for (path, child) in dirs {
            walk(&path, &child, depth + 1, out)?;
        }
    }
    Ok(())
}

/// Parses one file's text into a record (or its problems).
pub fn parse_path_text(rel: &str, text: &str) -> Result<Record, Vec<Diagnostic>> {
    match classify(rel) {
        Some(kind) => parse_record(kind, rel, text),
        None => Err(vec![Diagnostic {
            path: rel.to_string(),
            line: 1,
            column: 1,
            field: String::new(),
            message: "kehoach does not read a file here: records live at kehoach.toml, \
                      agencies/ID.toml, plans/ID/plan.toml, plans/ID/assignments/ID.toml and \
                      plans/ID/reports/PERIOD/AGENCY.toml"
                .into(),
        }]),
    }
}

/// Reads a record file into `buf` (reused across files: one allocation per thread, no `stat`)
/// and parses it.
fn read_and_parse(
    root: &Path,
    rel: &str,
    buf: &mut Vec<u8>,
) -> std::result::Result<Record, Vec<Diagnostic>> {
    use std::io::Read;
    let whole = |line, column, message: String| {
        vec![Diagnostic {
            path: rel.to_string(),
            line,
            column,
            field: String::new(),
            message,
        }]
    };
    buf.clear();
    let p = root.join(rel);
    // One byte past the limit is enough to know a file is too large.
    let limit = super::parse::MAX_FILE_BYTES as u64 + 1;
    std::fs::File::open(&p)
        .and_then(|f| f.take(limit).read_to_end(buf))
        .map_err(|e| whole(1, 1, format!("cannot read: {e}")))?;
    if buf.len() as u64 == limit {
        let size = std::fs::metadata(&p).map(|m| m.len()).unwrap_or(limit);
        return Err(whole(
            1,
            1,
            format!(
                "file is {size} bytes, over the limit of {}",
                super::parse::MAX_FILE_BYTES
            ),
        ));
    }
    match crate::model::text::utf8(buf) {
        Ok(text) => parse_path_text(rel, text),
        Err(e) => {
            let off = e.valid_up_to();
            let valid = std::str::from_utf8(&buf[..off]).unwrap_or("");
            let (line, column) = super::parse::line_col(valid, off);
            Err(whole(line, column, "not UTF-8 text".into()))
        }
    }
}

/// Adds parsed records to a set (in the order given).
pub fn collect(parsed: Vec<(String, Record)>) -> (Option<Config>, RecordSet) {
    let mut set = RecordSet::default();
    let mut config = None;
    for (path, rec) in parsed {
        match rec {
            Record::Config(c) => config = Some(c),
            Record::Agency(record) => set.agencies.push(Located { path, record }),
            Record::Plan(record) => set.plans.push(Located {
                path,
                record: *record,
            }),
            Record::Assignment(record) => set.assignments.push(Located { path, record }),
            Record::Report(record) => set.reports.push(Located { path, record }),
        }
    }
    (config, set)
}

/// Turns cross-record problems into located diagnostics, reading each file involved once.
pub fn locate_problems(
    problems: Vec<crate::model::rules::Problem>,
    text_of: impl Fn(&str) -> Option<String> + Sync,
) -> Vec<Diagnostic> {
    let mut by_path: std::collections::BTreeMap<String, Vec<crate::model::rules::Problem>> =
        Default::default();
    for p in problems {
        by_path.entry(p.path.clone()).or_default().push(p);
    }
    by_path
        .into_par_iter()
        .flat_map_iter(|(path, ps)| {
            let text = text_of(&path).unwrap_or_default();
            let mut loc = Locator::new(&text);
            ps.into_iter()
                .map(|p| loc.diag(&path, &p.field, p.message))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Reads and checks every record under `root`.
pub fn load_dir(root: &Path) -> Result<Loaded> {
    let paths = scan(root)?;
    let files = paths.len();
    let results: Vec<(String, std::result::Result<Record, Vec<Diagnostic>>)> = paths
        .into_par_iter()
        .map_init(Vec::new, |buf, rel| {
            let r = read_and_parse(root, &rel, buf);
            (rel, r)
        })
        .collect();
    let mut diagnostics = Vec::new();
    let mut parsed = Vec::with_capacity(results.len());
    for (rel, r) in results {
        match r {
            Ok(rec) => parsed.push((rel, rec)),
            Err(d) => diagnostics.extend(d),
        }
    }
    let has_config = parsed.iter().any(|(p, _)| p == CONFIG_FILE)
        || diagnostics.iter().any(|d| d.path == CONFIG_FILE);
    if !has_config {
        diagnostics.push(Diagnostic {
            path: CONFIG_FILE.into(),
            line: 1,
            column: 1,
            field: String::new(),
            message: "missing: a data repository has a kehoach.toml at its root (`kehoach init` writes one)".into(),
        });
    }
    let unreadable: std::collections::HashSet<String> =
        diagnostics.iter().map(|d| d.path.clone()).collect();
    let (config, mut records) = collect(parsed);
    records.unreadable = unreadable;
    if let Some(c) = &config
        && c.format_version != crate::model::FORMAT_VERSION
    {
        diagnostics.push(Diagnostic {
            path: CONFIG_FILE.into(),
            line: 1,
            column: 1,
            field: "format_version".into(),
            message: format!(
                "format version {} is not the one this kehoach reads ({})",
                c.format_version,
                crate::model::FORMAT_VERSION
            ),
        });
    }
    let problems = check(&records);
    diagnostics.extend(locate_problems(problems, |p| {
        std::fs::read_to_string(root.join(p)).ok()
    }));
    sort_diagnostics(&mut diagnostics);
    Ok(Loaded {
        config,
        records,
        diagnostics,
        files,
    })
}

pub fn sort_diagnostics(d: &mut [Diagnostic]) {
    d.sort_by(|a, b| {
        (&a.path, a.line, a.column, &a.field, &a.message)
            .cmp(&(&b.path, b.line, b.column, &b.field, &b.message))
    });
}

impl Loaded {
    /// True when a kind of record is among those read.
    pub fn count(&self, kind: Kind) -> usize {
        match kind {
            Kind::Config => usize::from(self.config.is_some()),
            Kind::Agency => self.records.agencies.len(),
            Kind::Plan => self.records.plans.len(),
            Kind::Assignment => self.records.assignments.len(),
            Kind::Report => self.records.reports.len(),
        }
    }
}
