//! Structural three-way merge of TOML records: per field, not per line.
//!
//! - Different fields of the same record merge cleanly.
//! - The same field changed two ways is a [`FieldConflict`] named by record and field; the merged
//!   text keeps "ours" there, and the conflict carries base, ours and theirs, so nothing is lost.
//! - Lists of ids (agency ids, task ids) merge as sets: additions of both sides are kept, removals
//!   of either side apply.
//! - Lists of tables with a key (`[[entries]]` by `assignment`, tasks by `id` …) merge item by
//!   item, matched by that key: report entries merge by assignment.
//!
//! "Ours" is the side the merge lands on (the protected branch); "theirs" is the change.
//! Formatting and comments of "ours" are kept; a field taken from "theirs" keeps ours' comments.

use std::collections::BTreeSet;

use toml_edit::{ArrayOfTables, DocumentMut, Item, TableLike, Value};

use crate::model::fields::value_text;

/// One step of a field path inside a record.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub enum Step {
    Key(String),
    /// An item of a list of tables, found by its key field (`assignment = "a03"`).
    Item {
        field: String,
        value: String,
    },
}

/// The same field changed two ways.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct FieldConflict {
    /// The record, relative to the data root.
    pub path: String,
    /// The field, as `due` or `entries[a03].percent`; empty for the whole file.
    pub field: String,
    /// For a whole-file conflict: why the file could not be merged by field.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub note: String,
    #[serde(skip)]
    pub steps: Vec<Step>,
    /// The three versions as text (None: absent on that side).
    pub base: Option<String>,
    pub ours: Option<String>,
    pub theirs: Option<String>,
    #[serde(skip)]
    pub ours_value: Option<toml::Value>,
    #[serde(skip)]
    pub theirs_value: Option<toml::Value>,
}

impl FieldConflict {
    /// `plans/p/assignments/a01.toml: due`.
    pub fn name(&self) -> String {
        if self.field.is_empty() {
            format!("{} (whole file: {})", self.path, self.note)
        } else {
            format!("{}: {}", self.path, self.field)
        }
    }
}

/// The result of merging one file.
#[derive(Debug, Clone, PartialEq)]
pub struct FileMerge {
    /// The merged text (None: the file is deleted). Where there are conflicts, "ours" is kept.
    pub text: Option<String>,
    pub conflicts: Vec<FieldConflict>,
}

/// Why a file could not be merged by field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MergeError {
    #[error("{path}: {side} does not parse as TOML: {message}")]
    Parse {
        path: String,
        side: &'static str,
        message: String,
    },
}

/// Merges one file given its three versions (None: absent). TOML files merge by field; other
/// files changed on both sides conflict as a whole.
pub fn merge_file(
    path: &str,
    base: Option<&str>,
    ours: Option<&str>,
    theirs: Option<&str>,
) -> Result<FileMerge, MergeError> {
    let clean = |t: Option<&str>| FileMerge {
        text: t.map(String::from),
        conflicts: vec![],
    };
    if ours == theirs {
        return Ok(clean(ours));
    }
    if base == ours {
        return Ok(clean(theirs));
    }
    if base == theirs {
        return Ok(clean(ours));
    }
    let whole = |reason: &str| FileMerge {
        text: ours.map(String::from),
        conflicts: vec![FieldConflict {
            path: path.to_string(),
            field: String::new(),
            note: reason.to_string(),
            steps: vec![],
            base: base.map(String::from),
            ours: ours.map(String::from),
            theirs: theirs.map(String::from),
            ours_value: None,
            theirs_value: None,
        }],
    };
    match (ours, theirs) {
        (Some(o), Some(t)) if path.ends_with(".toml") => merge_toml(path, base, o, t),
        (Some(_), Some(_)) => Ok(whole("changed on both sides")),
        _ => Ok(whole("deleted on one side, changed on the other")),
    }
}

fn parse(path: &str, side: &'static str, text: &str) -> Result<DocumentMut, MergeError> {
    text.parse::<DocumentMut>().map_err(|e| MergeError::Parse {
        path: path.to_string(),
        side,
        message: e.message().to_string(),
    })
}

/// Merges three versions of one TOML file field by field.
pub fn merge_toml(
    path: &str,
    base: Option<&str>,
    ours: &str,
    theirs: &str,
) -> Result<FileMerge, MergeError> {
    if base == Some(ours) {
        return Ok(FileMerge {
            text: Some(theirs.to_string()),
            conflicts: vec![],
        });
    }
    if base == Some(theirs) || ours == theirs {
        return Ok(FileMerge {
            text: Some(ours.to_string()),
            conflicts: vec![],
        });
    }
    let base_doc = base.map(|b| parse(path, "the base", b)).transpose()?;
    let mut ours_doc = parse(path, "ours", ours)?;
    let theirs_doc = parse(path, "theirs", theirs)?;
    let mut m = Merger {
        path,
        conflicts: vec![],
    };
    m.table(
        base_doc.as_ref().map(|d| d.as_table() as &dyn TableLike),
        ours_doc.as_table_mut(),
        theirs_doc.as_table(),
        &[],
    );
    Ok(FileMerge {
        text: Some(ours_doc.to_string()),
        conflicts: m.conflicts,
    })
}

/// A TOML item as a plain value, for comparison (formatting and comments ignored).
pub fn item_value(item: &Item) -> Option<toml::Value> {
    match item {
        Item::None => None,
        Item::Value(v) => Some(value_of(v)),
        Item::Table(t) => Some(toml::Value::Table(
            t.iter()
                .filter_map(|(k, i)| item_value(i).map(|v| (k.to_string(), v)))
                .collect(),
        )),
        Item::ArrayOfTables(a) => Some(toml::Value::Array(
            a.iter()
                .map(|t| item_value(&Item::Table(t.clone())).expect("a table"))
                .collect(),
        )),
    }
}

fn value_of(v: &Value) -> toml::Value {
    match v {
        Value::String(s) => toml::Value::String(s.value().clone()),
        Value::Integer(i) => toml::Value::Integer(*i.value()),
        Value::Float(f) => toml::Value::Float(*f.value()),
        Value::Boolean(b) => toml::Value::Boolean(*b.value()),
        Value::Datetime(d) => d
            .value()
            .to_string()
            .parse()
            .map(toml::Value::Datetime)
            .unwrap_or_else(|_| toml::Value::String(d.value().to_string())),
        Value::Array(a) => toml::Value::Array(a.iter().map(value_of).collect()),
        Value::InlineTable(t) => toml::Value::Table(
            t.iter()
                .map(|(k, v)| (k.to_string(), value_of(v)))
                .collect(),
        ),
    }
}

/// A plain value as a TOML value to write (tables inline).
pub fn edit_value(v: &toml::Value) -> Value {
    match v {
        toml::Value::String(s) => Value::from(s.as_str()),
        toml::Value::Integer(i) => Value::from(*i),
        toml::Value::Float(f) => Value::from(*f),
        toml::Value::Boolean(b) => Value::from(*b),
        toml::Value::Datetime(d) => d
            .to_string()
            .parse::<toml_edit::Datetime>()
            .map(Value::from)
            .unwrap_or_else(|_| Value::from(d.to_string())),
        toml::Value::Array(a) => {
            let mut arr = toml_edit::Array::new();
            for x in a {
                arr.push(edit_value(x));
            }
            Value::Array(arr)
        }
        toml::Value::Table(t) => {
            let mut it = toml_edit::InlineTable::new();
            for (k, x) in t {
                it.insert(k, edit_value(x));
            }
            Value::InlineTable(it)
        }
    }
}

/// A plain table as a `[[…]]` table to write.
fn edit_table(t: &toml::Table) -> toml_edit::Table {
    let mut out = toml_edit::Table::new();
    for (k, v) in t {
        out.insert(k, Item::Value(edit_value(v)));
    }
    out
}

/// The key field of an item of a list of tables, as in [`crate::model::fields::diff`].
fn item_key_of(t: &dyn TableLike) -> Option<(String, String)> {
    for k in ["id", "assignment", "number", "label", "text"] {
        if let Some(s) = t.get(k).and_then(|i| i.as_str()) {
            return Some((k.to_string(), s.to_string()));
        }
    }
    None
}

fn keys_of(a: &ArrayOfTables) -> Option<Vec<(String, String)>> {
    let keys: Option<Vec<_>> = a.iter().map(|t| item_key_of(t)).collect();
    let keys = keys?;
    let distinct: BTreeSet<&(String, String)> = keys.iter().collect();
    (distinct.len() == keys.len()).then_some(keys)
}

fn is_id_list(v: &Value) -> bool {
    v.as_array().is_some_and(|a| {
        a.iter().all(|x| {
            x.as_str()
                .is_some_and(|s| crate::model::check_id(s).is_ok())
        })
    })
}

/// Formats steps as `entries[a03].percent`.
pub fn format_steps(steps: &[Step]) -> String {
    let mut s = String::new();
    for st in steps {
        match st {
            Step::Key(k) => {
                if !s.is_empty() {
                    s.push('.');
                }
                s.push_str(k);
            }
            Step::Item { value, .. } => s.push_str(&format!("[{value}]")),
        }
    }
    s
}

struct Merger<'a> {
    path: &'a str,
    conflicts: Vec<FieldConflict>,
}

impl Merger<'_> {
    fn conflict(
        &mut self,
        steps: &[Step],
        b: Option<toml::Value>,
        o: Option<toml::Value>,
        t: Option<toml::Value>,
    ) {
        self.conflicts.push(FieldConflict {
            path: self.path.to_string(),
            field: format_steps(steps),
            note: String::new(),
            steps: steps.to_vec(),
            base: b.as_ref().map(value_text),
            ours: o.as_ref().map(value_text),
            theirs: t.as_ref().map(value_text),
            ours_value: o,
            theirs_value: t,
        });
    }

    fn table(
        &mut self,
        base: Option<&dyn TableLike>,
        ours: &mut dyn TableLike,
        theirs: &dyn TableLike,
        prefix: &[Step],
    ) {
        let mut keys: Vec<String> = ours.iter().map(|(k, _)| k.to_string()).collect();
        for (k, _) in theirs.iter() {
            if !keys.iter().any(|x| x == k) {
                keys.push(k.to_string());
            }
        }
        for key in keys {
            let b = base.and_then(|t| t.get(&key));
            let o = ours.get(&key);
            let t = theirs.get(&key);
            let (bv, ov, tv) = (
                b.and_then(item_value),
                o.and_then(item_value),
                t.and_then(item_value),
            );
            if ov == tv || bv == tv {
                continue;
            }
            let mut steps = prefix.to_vec();
            steps.push(Step::Key(key.clone()));
            if bv == ov {
                // Only theirs changed it: take theirs.
                match t {
                    Some(ti) => take(ours, &key, ti),
                    None => {
                        ours.remove(&key);
                    }
                }
                continue;
            }
            // Both changed it, differently.
            let (Some(ti), Some(oi)) = (t, ours.get_mut(&key)) else {
                self.conflict(&steps, bv, ov, tv);
                continue;
            };
            let b_table = b.and_then(|i| i.as_table_like());
            let base_fits = |ok: bool| b.is_none() || ok;
            if oi.is_table_like()
                && ti.is_table_like()
                && base_fits(b_table.is_some())
                && !matches!(oi, Item::ArrayOfTables(_))
            {
                let ot = oi.as_table_like_mut().expect("checked");
                self.table(b_table, ot, ti.as_table_like().expect("checked"), &steps);
                continue;
            }
            if let (Item::ArrayOfTables(oa), Item::ArrayOfTables(ta)) = (&mut *oi, ti)
                && base_fits(matches!(b, Some(Item::ArrayOfTables(_))))
            {
                let ba = match b {
                    Some(Item::ArrayOfTables(a)) => Some(a),
                    _ => None,
                };
                if self.keyed(ba, oa, ta, &steps) {
                    continue;
                }
                self.conflict(&steps, bv, ov, tv);
                continue;
            }
            if let (Item::Value(ovv), Item::Value(tvv)) = (&mut *oi, ti)
                && is_id_list(ovv)
                && is_id_list(tvv)
                && base_fits(b.and_then(|i| i.as_value()).is_some_and(is_id_list))
            {
                let as_set = |v: Option<&Value>| -> Vec<String> {
                    v.and_then(|v| v.as_array())
                        .map(|a| {
                            a.iter()
                                .filter_map(|x| x.as_str().map(String::from))
                                .collect()
                        })
                        .unwrap_or_default()
                };
                let bs = as_set(b.and_then(|i| i.as_value()));
                let ts = as_set(Some(tvv));
                let os = as_set(Some(ovv));
                let arr = ovv.as_array_mut().expect("checked");
                arr.retain(|x| {
                    let s = x.as_str().unwrap_or_default().to_string();
                    !bs.contains(&s) || ts.contains(&s)
                });
                for s in ts {
                    if !os.contains(&s) && !bs.contains(&s) {
                        arr.push(s);
                    }
                }
                continue;
            }
            self.conflict(&steps, bv, ov, tv);
        }
    }

    /// Merges lists of tables item by item, matched by key; false when the items have no keys.
    fn keyed(
        &mut self,
        base: Option<&ArrayOfTables>,
        ours: &mut ArrayOfTables,
        theirs: &ArrayOfTables,
        prefix: &[Step],
    ) -> bool {
        let (Some(ok), Some(tk)) = (keys_of(ours), keys_of(theirs)) else {
            return false;
        };
        let bk = match base {
            Some(b) => match keys_of(b) {
                Some(k) => k,
                None => return false,
            },
            None => vec![],
        };
        let find =
            |keys: &[(String, String)], k: &(String, String)| keys.iter().position(|x| x == k);
        let mut remove = Vec::new();
        for (i, key) in ok.iter().enumerate() {
            let bi = find(&bk, key).and_then(|j| base.and_then(|b| b.get(j)));
            let ti = find(&tk, key).and_then(|j| theirs.get(j));
            let mut steps = prefix.to_vec();
            steps.push(Step::Item {
                field: key.0.clone(),
                value: key.1.clone(),
            });
            let oi = ours.get_mut(i).expect("in range");
            match (bi, ti) {
                (_, Some(t)) => self.table(bi.map(|b| b as &dyn TableLike), oi, t, &steps),
                (Some(b), None) => {
                    let bv = item_value(&Item::Table(b.clone()));
                    let ov = item_value(&Item::Table(oi.clone()));
                    if bv == ov {
                        remove.push(i);
                    } else {
                        self.conflict(&steps, bv, ov, None);
                    }
                }
                (None, None) => {}
            }
        }
        for i in remove.into_iter().rev() {
            ours.remove(i);
        }
        for (j, key) in tk.iter().enumerate() {
            if find(&ok, key).is_some() {
                continue;
            }
            let t = theirs.get(j).expect("in range");
            match find(&bk, key).and_then(|i| base.and_then(|b| b.get(i))) {
                None => ours.push(t.clone()),
                Some(b) => {
                    let bv = item_value(&Item::Table(b.clone()));
                    let tv = item_value(&Item::Table(t.clone()));
                    if bv != tv {
                        let mut steps = prefix.to_vec();
                        steps.push(Step::Item {
                            field: key.0.clone(),
                            value: key.1.clone(),
                        });
                        self.conflict(&steps, bv, None, tv);
                    }
                }
            }
        }
        true
    }
}

/// Puts theirs' item at `key` of ours, keeping ours' comments around a plain value.
fn take(ours: &mut dyn TableLike, key: &str, theirs: &Item) {
    match (ours.get_mut(key), theirs) {
        (Some(Item::Value(ov)), Item::Value(tv)) => {
            let decor = ov.decor().clone();
            *ov = tv.clone();
            *ov.decor_mut() = decor;
        }
        (Some(oi), ti) => *oi = ti.clone(),
        (None, ti) => {
            ours.insert(key, ti.clone());
        }
    }
}

/// How a conflict is settled.
#[derive(Debug, Clone, PartialEq)]
pub enum Choice {
    Ours,
    Theirs,
    /// A value typed by the user, read like the value it replaces (`kehoach set` rules: lists
    /// comma-separated, numbers as numbers).
    Value(String),
}

impl std::str::FromStr for Choice {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "ours" => Ok(Choice::Ours),
            "theirs" => Ok(Choice::Theirs),
            _ => match s.strip_prefix("value:") {
                Some(v) => Ok(Choice::Value(v.to_string())),
                None => Err(format!(
                    "{s:?} is not a choice: use ours, theirs or value:TEXT"
                )),
            },
        }
    }
}

/// Reads a typed value the way the value it replaces is typed.
pub fn typed_like(raw: &str, like: Option<&toml::Value>) -> Result<toml::Value, String> {
    use crate::model::text::to_nfc;
    Ok(match like {
        Some(toml::Value::Integer(_)) => toml::Value::Integer(
            raw.trim()
                .parse()
                .map_err(|_| format!("{raw:?} is not a whole number"))?,
        ),
        Some(toml::Value::Float(_)) => toml::Value::Float(
            raw.trim()
                .parse()
                .map_err(|_| format!("{raw:?} is not a number"))?,
        ),
        Some(toml::Value::Boolean(_)) => match raw.trim() {
            "true" => toml::Value::Boolean(true),
            "false" => toml::Value::Boolean(false),
            _ => return Err(format!("{raw:?} is not true or false")),
        },
        Some(toml::Value::Array(_)) => toml::Value::Array(
            raw.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| toml::Value::String(to_nfc(s).into_owned()))
                .collect(),
        ),
        Some(toml::Value::Table(_)) => {
            let t: toml::Table =
                toml::from_str(raw).map_err(|e| format!("not a TOML table: {}", e.message()))?;
            toml::Value::Table(t)
        }
        _ => toml::Value::String(to_nfc(raw).into_owned()),
    })
}

/// Applies a choice for one conflict to the merged text of its file.
pub fn resolve(text: &str, conflict: &FieldConflict, choice: &Choice) -> Result<String, String> {
    let value = match choice {
        Choice::Ours => return Ok(text.to_string()),
        Choice::Theirs => conflict.theirs_value.clone(),
        Choice::Value(raw) => Some(typed_like(
            raw,
            conflict
                .theirs_value
                .as_ref()
                .or(conflict.ours_value.as_ref()),
        )?),
    };
    if conflict.steps.is_empty() {
        // A whole-file conflict: theirs' text or the text given.
        return match choice {
            Choice::Theirs => Ok(conflict.theirs.clone().unwrap_or_default()),
            Choice::Value(raw) => Ok(raw.clone()),
            Choice::Ours => unreachable!(),
        };
    }
    let mut doc: DocumentMut = text
        .parse()
        .map_err(|e: toml_edit::TomlError| e.message().to_string())?;
    set_at(doc.as_table_mut(), &conflict.steps, value.as_ref())?;
    Ok(doc.to_string())
}

fn set_at(
    table: &mut dyn TableLike,
    steps: &[Step],
    value: Option<&toml::Value>,
) -> Result<(), String> {
    let Step::Key(key) = &steps[0] else {
        return Err("a field path starts with a name".into());
    };
    if steps.len() == 1 {
        match value {
            None => {
                table.remove(key);
            }
            Some(v) => match table.get_mut(key) {
                Some(Item::Value(old)) => {
                    let decor = old.decor().clone();
                    *old = edit_value(v);
                    *old.decor_mut() = decor;
                }
                Some(Item::Table(_)) | None if v.is_table() => {
                    let t = edit_table(v.as_table().expect("checked"));
                    table.insert(key, Item::Table(t));
                }
                Some(item) => *item = Item::Value(edit_value(v)),
                None => {
                    table.insert(key, Item::Value(edit_value(v)));
                }
            },
        }
        return Ok(());
    }
    if let Some(Step::Item { field, value: kv }) = steps.get(1) {
        if table.get(key).is_none() {
            table.insert(key, Item::ArrayOfTables(ArrayOfTables::new()));
        }
        let Some(Item::ArrayOfTables(arr)) = table.get_mut(key) else {
            return Err(format!("{key} is not a list of tables"));
        };
        let pos = arr
            .iter()
            .position(|t| t.get(field).and_then(|i| i.as_str()) == Some(kv.as_str()));
        if steps.len() == 2 {
            match (pos, value) {
                (Some(p), None) => {
                    arr.remove(p);
                }
                (Some(p), Some(v)) => {
                    *arr.get_mut(p).expect("found") =
                        edit_table(v.as_table().ok_or("an item of a list is a table")?)
                }
                (None, Some(v)) => arr.push(edit_table(
                    v.as_table().ok_or("an item of a list is a table")?,
                )),
                (None, None) => {}
            }
            return Ok(());
        }
        let p = pos.ok_or_else(|| format!("{key} has no item {kv}"))?;
        return set_at(arr.get_mut(p).expect("found"), &steps[2..], value);
    }
    let sub = table
        .get_mut(key)
        .and_then(|i| i.as_table_like_mut())
        .ok_or_else(|| format!("{key} has no fields"))?;
    set_at(sub, &steps[1..], value)
}

/// The merged text with git-style conflict markers around each conflicting field, for the merge
/// driver: `<<<<<<< ours`, the field as ours has it, `=======`, as theirs has it, `>>>>>>> theirs`.
/// Conflicts that are not one plain field (a whole list item, a whole file) are written as a
/// marked block of comments at the end, so that nothing is lost.
pub fn with_markers(text: &str, conflicts: &[FieldConflict]) -> String {
    let Ok(mut doc) = text.parse::<DocumentMut>() else {
        return text.to_string();
    };
    let mut tail = String::new();
    let mut placed = Vec::new();
    for (i, c) in conflicts.iter().enumerate() {
        let scalar = |v: &Option<toml::Value>| v.as_ref().is_none_or(|v| !v.is_table());
        let plain = matches!(c.steps.last(), Some(Step::Key(_)))
            && scalar(&c.ours_value)
            && scalar(&c.theirs_value)
            && c.ours_value.is_some();
        let sentinel = format!("@@kehoach-conflict-{i}@@");
        if plain
            && set_at(
                doc.as_table_mut(),
                &c.steps,
                Some(&toml::Value::String(sentinel.clone())),
            )
            .is_ok()
        {
            placed.push((i, format!("\"{sentinel}\"")));
            continue;
        }
        let render = |v: &Option<String>| match v {
            Some(t) => t
                .lines()
                .map(|l| format!("# {l}"))
                .collect::<Vec<_>>()
                .join("\n"),
            None => "# (absent)".to_string(),
        };
        tail.push_str(&format!(
            "\n<<<<<<< ours\n# {}\n{}\n=======\n{}\n>>>>>>> theirs\n",
            c.name(),
            render(&c.ours),
            render(&c.theirs)
        ));
    }
    let mut out = String::new();
    for line in doc.to_string().split_inclusive('\n') {
        match placed.iter().find(|(_, s)| line.contains(s.as_str())) {
            Some((i, s)) => {
                let c = &conflicts[*i];
                let side = |v: &Option<toml::Value>| match v {
                    Some(v) => line.replace(s.as_str(), &edit_value(v).to_string()),
                    None => format!("# {} (absent)\n", c.field),
                };
                out.push_str("<<<<<<< ours\n");
                out.push_str(&side(&c.ours_value));
                out.push_str("=======\n");
                out.push_str(&side(&c.theirs_value));
                out.push_str(">>>>>>> theirs\n");
            }
            None => out.push_str(line),
        }
    }
    out.push_str(&tail);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "id = \"a01\" # the id\ndue = \"2025-11-30\"\nstatus = \"in_progress\"\ncoordinating = [\"so-y-te\", \"so-tai-chinh\"]\ntitle = \"Tiêu đề\"\n";

    fn m(b: &str, o: &str, t: &str) -> FileMerge {
        merge_toml("a.toml", Some(b), o, t).unwrap()
    }

    #[test]
    fn different_fields_merge() {
        let o = BASE.replace("2025-11-30", "2025-12-15");
        let t = BASE.replace("in_progress", "done");
        let r = m(BASE, &o, &t);
        assert!(r.conflicts.is_empty());
        let text = r.text.unwrap();
        assert!(text.contains("due = \"2025-12-15\""), "{text}");
        assert!(text.contains("status = \"done\""), "{text}");
        assert!(text.contains("# the id"), "{text}");
    }

    #[test]
    fn same_field_conflicts_by_name() {
        let o = BASE.replace("2025-11-30", "2025-12-15");
        let t = BASE.replace("2025-11-30", "2026-01-10");
        let r = m(BASE, &o, &t);
        assert_eq!(r.conflicts.len(), 1);
        let c = &r.conflicts[0];
        assert_eq!(c.name(), "a.toml: due");
        assert_eq!(c.ours.as_deref(), Some("2025-12-15"));
        assert_eq!(c.theirs.as_deref(), Some("2026-01-10"));
        let text = r.text.unwrap();
        let theirs = resolve(&text, c, &Choice::Theirs).unwrap();
        assert!(theirs.contains("due = \"2026-01-10\""));
        let typed = resolve(&text, c, &Choice::Value("2026-02-01".into())).unwrap();
        assert!(typed.contains("due = \"2026-02-01\""));
        let marked = with_markers(&text, &r.conflicts);
        assert!(
            marked.contains("<<<<<<< ours\ndue = \"2025-12-15\"\n=======\ndue = \"2026-01-10\"\n>>>>>>> theirs\n"),
            "{marked}"
        );
    }

    #[test]
    fn id_lists_merge_as_sets() {
        let o = BASE.replace("\"so-y-te\", ", "\"so-y-te\", \"cong-an-tinh\", ");
        let t = BASE.replace(
            "\"so-y-te\", \"so-tai-chinh\"",
            "\"so-y-te\", \"so-tai-chinh\", \"vks-tinh\"",
        );
        let r = m(BASE, &o, &t);
        assert!(r.conflicts.is_empty());
        let v: toml::Table = toml::from_str(r.text.as_deref().unwrap()).unwrap();
        let got: Vec<&str> = v["coordinating"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_str().unwrap())
            .collect();
        assert_eq!(got, ["so-y-te", "cong-an-tinh", "so-tai-chinh", "vks-tinh"]);
        // A removal on one side applies.
        let t2 = BASE.replace("\"so-y-te\", ", "");
        let r = m(BASE, &o, &t2);
        let v: toml::Table = toml::from_str(r.text.as_deref().unwrap()).unwrap();
        assert_eq!(v["coordinating"].as_array().unwrap().len(), 2);
    }

    const REPORT: &str = "plan = \"p\"\n\n[[entries]]\nassignment = \"a01\"\npercent = 10\nresults = \"x\"\n\n[[entries]]\nassignment = \"a02\"\npercent = 20\n";

    #[test]
    fn entries_merge_by_assignment() {
        let o = REPORT.replace("percent = 10", "percent = 15");
        let t = REPORT.replace("percent = 20", "percent = 25")
            + "\n[[entries]]\nassignment = \"a03\"\npercent = 5\n";
        let r = m(REPORT, &o, &t);
        assert!(r.conflicts.is_empty(), "{:?}", r.conflicts);
        let text = r.text.unwrap();
        assert!(text.contains("percent = 15") && text.contains("percent = 25"));
        assert!(text.contains("\"a03\""));
        let o = REPORT.replace("percent = 10", "percent = 15");
        let t = REPORT.replace("percent = 10", "percent = 12");
        let r = m(REPORT, &o, &t);
        assert_eq!(r.conflicts[0].field, "entries[a01].percent");
        let fixed = resolve(r.text.as_deref().unwrap(), &r.conflicts[0], &Choice::Theirs).unwrap();
        assert!(fixed.contains("percent = 12"), "{fixed}");
    }

    #[test]
    fn removed_and_changed_entry_conflicts() {
        let o = REPORT.replace("percent = 10", "percent = 15");
        let t = "plan = \"p\"\n\n[[entries]]\nassignment = \"a02\"\npercent = 20\n";
        let r = m(REPORT, &o, t);
        assert_eq!(r.conflicts.len(), 1);
        assert_eq!(r.conflicts[0].field, "entries[a01]");
        assert!(r.conflicts[0].theirs.is_none());
    }
}
