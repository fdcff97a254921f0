//! Editing records: one field at a time through toml_edit (comments and order kept, one field
//! changed is one line changed), or whole new files; validated before anything is written.

use toml_edit::{DocumentMut, Item, Value};

use super::commit::Change;
use super::error::{Result, StoreError};
use super::layout::{self, Kind};
use super::load::{collect, locate_problems, sort_diagnostics};
use super::parse::{Diagnostic, Record, parse_record};
use super::{CommitInfo, RecordRef, Store};
use crate::model::fields::{FieldChange, Seg, diff, parse_path};
use crate::model::rules::check;
use crate::model::text::to_nfc;

/// What a save did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Saved {
    pub record: RecordRef,
    pub changes: Vec<FieldChange>,
    /// None when nothing changed (no commit made).
    pub commit: Option<CommitInfo>,
}

fn schema_type(kind: Kind, segs: &[Seg]) -> Option<String> {
    let schema: serde_json::Value = serde_json::from_str(super::schema_text(kind)).ok()?;
    let defs = schema.get("$defs").cloned();
    let resolve = |mut node: serde_json::Value| -> serde_json::Value {
        for _ in 0..8 {
            let Some(r) = node.get("$ref").and_then(|r| r.as_str()).map(String::from) else {
                break;
            };
            let name = r.rsplit('/').next().unwrap_or("");
            match defs.as_ref().and_then(|d| d.get(name)) {
                Some(n) => node = n.clone(),
                None => break,
            }
        }
        node
    };
    let mut node = resolve(schema.clone());
    for seg in segs {
        node = match seg {
            Seg::Key(k) => resolve(node.get("properties")?.get(k)?.clone()),
            Seg::Index(_) => resolve(node.get("items")?.clone()),
        };
    }
    match node.get("type")? {
        serde_json::Value::String(t) => Some(t.clone()),
        serde_json::Value::Array(ts) => ts
            .iter()
            .filter_map(|t| t.as_str())
            .find(|t| *t != "null")
            .map(String::from),
        _ => None,
    }
}

/// The fields a record of this kind may have at its top level, as the schema lists them.
fn top_level_fields(kind: Kind) -> Vec<String> {
    serde_json::from_str::<serde_json::Value>(super::schema_text(kind))
        .ok()
        .and_then(|s| {
            s.get("properties")
                .and_then(|p| p.as_object())
                .map(|p| p.keys().cloned().collect())
        })
        .unwrap_or_default()
}

/// Builds the TOML value for `raw`, typed like the value it replaces (or as the schema says).
fn typed_value(
    raw: &str,
    existing: Option<&Value>,
    ty: Option<&str>,
    field: &str,
) -> Result<Value> {
    let want = match existing {
        Some(Value::String(_)) => "string",
        Some(Value::Integer(_)) => "integer",
        Some(Value::Boolean(_)) => "boolean",
        Some(Value::Array(_)) => "array",
        Some(Value::Float(_)) => "number",
        Some(Value::InlineTable(_)) | Some(Value::Datetime(_)) => "string",
        None => ty.unwrap_or("string"),
    };
    let bad = |what: &str| StoreError::Field {
        record: field.to_string(),
        message: format!("{raw:?} is not {what}"),
    };
    Ok(match want {
        "integer" => Value::from(
            raw.trim()
                .parse::<i64>()
                .map_err(|_| bad("a whole number"))?,
        ),
        "number" => Value::from(raw.trim().parse::<f64>().map_err(|_| bad("a number"))?),
        "boolean" => Value::from(match raw.trim() {
            "true" => true,
            "false" => false,
            _ => return Err(bad("true or false")),
        }),
        "array" => {
            let mut a = toml_edit::Array::new();
            for item in raw.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                a.push(to_nfc(item).into_owned());
            }
            Value::Array(a)
        }
        "object" => {
            return Err(StoreError::Field {
                record: field.to_string(),
                message: "is a table; set one of its fields (FIELD.SUBFIELD)".into(),
            });
        }
        _ => Value::from(to_nfc(raw).into_owned()),
    })
}

/// Finds the table that holds the last key of `segs`, creating nothing.
fn parent_table<'a>(
    doc: &'a mut DocumentMut,
    segs: &[Seg],
    field: &str,
) -> Result<&'a mut dyn toml_edit::TableLike> {
    let not_found = |what: String| StoreError::Field {
        record: field.to_string(),
        message: what,
    };
    let mut table: &mut dyn toml_edit::TableLike = doc.as_table_mut();
    let mut i = 0;
    while i + 1 < segs.len() {
        let Seg::Key(k) = &segs[i] else {
            return Err(not_found("a field path starts with a name".into()));
        };
        let item = table
            .get_mut(k)
            .ok_or_else(|| not_found(format!("no field {k:?} here")))?;
        // An index or key into an array of tables: `entries[a03]` or `tasks[1]`.
        let next_is_index =
            i + 1 < segs.len() - 1 || matches!(segs.get(i + 1), Some(Seg::Index(_)));
        match (item, segs.get(i + 1)) {
            (Item::ArrayOfTables(arr), Some(sel)) if next_is_index => {
                let pos = match sel {
                    Seg::Index(n) => Some(*n),
                    Seg::Key(key) => arr.iter().position(|t| {
                        ["id", "assignment", "number", "label"]
                            .iter()
                            .any(|f| t.get(f).and_then(|v| v.as_str()) == Some(key.as_str()))
                    }),
                };
                let pos = pos.filter(|p| *p < arr.len()).ok_or_else(|| {
                    not_found(format!(
                        "{k} has no item {}",
                        match sel {
                            Seg::Index(n) => n.to_string(),
                            Seg::Key(s) => s.clone(),
                        }
                    ))
                })?;
                table = arr.get_mut(pos).expect("checked");
                i += 2;
            }
            (Item::Table(t), _) => {
                table = t;
                i += 1;
            }
            (Item::Value(Value::InlineTable(t)), _) => {
                table = t;
                i += 1;
            }
            _ => return Err(not_found(format!("{k:?} has no fields"))),
        }
    }
    Ok(table)
}

/// Field paths of the schema with index selectors dropped, for type lookup.
fn schema_segs(segs: &[Seg]) -> Vec<Seg> {
    let mut out = Vec::new();
    let mut prev_was_array = false;
    for s in segs {
        match s {
            Seg::Key(k) if prev_was_array => {
                out.push(Seg::Index(0));
                let _ = k;
                prev_was_array = false;
            }
            Seg::Key(k) => {
                out.push(Seg::Key(k.clone()));
                prev_was_array = false;
            }
            Seg::Index(_) => {
                out.push(Seg::Index(0));
                prev_was_array = false;
            }
        }
        if let Some(Seg::Key(k)) = out.last()
            && [
                "entries",
                "tasks",
                "duties",
                "items",
                "legal_basis",
                "recipients",
                "reviewers",
            ]
            .contains(&k.as_str())
        {
            prev_was_array = true;
        }
    }
    out
}

/// Sets one field of a TOML document, keeping comments and layout around it.
pub fn set_in_document(text: &str, kind: Kind, field: &str, raw: &str) -> Result<String> {
    let mut doc: DocumentMut =
        text.parse()
            .map_err(|e: toml_edit::TomlError| StoreError::Field {
                record: field.to_string(),
                message: format!("the file does not parse: {}", e.message()),
            })?;
    let segs = parse_path(field);
    let Some(Seg::Key(last)) = segs.last().cloned() else {
        return Err(StoreError::Field {
            record: field.to_string(),
            message: "name a field, such as due or status".into(),
        });
    };
    let ty = schema_type(kind, &schema_segs(&segs));
    let table = parent_table(&mut doc, &segs, field)?;
    match table.get_mut(&last) {
        Some(Item::Value(v)) => {
            let mut new = typed_value(raw, Some(v), ty.as_deref(), field)?;
            *new.decor_mut() = v.decor().clone();
            *v = new;
        }
        Some(_) => {
            return Err(StoreError::Field {
                record: field.to_string(),
                message: "is a table or a list of tables; set one of its fields".into(),
            });
        }
        None => {
            if ty.is_none() {
                let known = if segs.len() == 1 {
                    format!(" (its fields: {})", top_level_fields(kind).join(", "))
                } else {
                    String::new()
                };
                return Err(StoreError::Field {
                    record: field.to_string(),
                    message: format!("{} records have no field {last:?}{known}", kind.as_str()),
                });
            }
            let new = typed_value(raw, None, ty.as_deref(), field)?;
            table.insert(&last, Item::Value(new));
        }
    }
    Ok(doc.to_string())
}

impl Store {
    /// Checks a record's new text on its own and against the records it refers to.
    pub fn check_text(&self, kind: Kind, rel: &str, text: &str) -> Result<Record> {
        let rec = parse_record(kind, rel, text).map_err(StoreError::Invalid)?;
        let mut parsed = vec![(rel.to_string(), rec.clone())];
        let mut seen = std::collections::HashSet::new();
        seen.insert(rel.to_string());
        let mut add = |p: String, parsed: &mut Vec<(String, Record)>| {
            if seen.insert(p.clone())
                && let Ok(t) = std::fs::read_to_string(self.root().join(&p))
                && let Some(k) = layout::classify(&p)
                && let Ok(r) = parse_record(k, &p, &t)
            {
                parsed.push((p, r));
            }
        };
        let needs_full = matches!(kind, Kind::Agency | Kind::Plan);
        if needs_full {
            // Agencies and plans are referred to by many records: check them all.
            let loaded = self.load()?;
            let (_, mut set) = collect(vec![(rel.to_string(), rec.clone())]);
            let mut others = loaded.records;
            others.agencies.retain(|a| a.path != rel);
            others.plans.retain(|p| p.path != rel);
            set.agencies.extend(others.agencies);
            set.plans.extend(others.plans);
            set.assignments = others.assignments;
            set.reports = others.reports;
            let before: std::collections::HashSet<(String, String, String)> = loaded
                .diagnostics
                .iter()
                .map(|d| (d.path.clone(), d.field.clone(), d.message.clone()))
                .collect();
            let problems: Vec<_> = check(&set)
                .into_iter()
                .filter(|p| !before.contains(&(p.path.clone(), p.field.clone(), p.message.clone())))
                .collect();
            return self.finish_check(rec, rel, text, problems);
        }
        match &rec {
            Record::Assignment(a) => {
                add(layout::plan_path(&a.plan), &mut parsed);
                for ag in std::iter::once(&a.lead).chain(a.coordinating.iter()) {
                    add(layout::agency_path(ag), &mut parsed);
                }
            }
            Record::Report(r) => {
                add(layout::plan_path(&r.plan), &mut parsed);
                add(layout::agency_path(&r.agency), &mut parsed);
                for e in &r.entries {
                    add(layout::assignment_path(&r.plan, &e.assignment), &mut parsed);
                }
            }
            _ => {}
        }
        let (_, set) = collect(parsed);
        let problems: Vec<_> = check(&set).into_iter().filter(|p| p.path == rel).collect();
        self.finish_check(rec, rel, text, problems)
    }

    fn finish_check(
        &self,
        rec: Record,
        rel: &str,
        text: &str,
        problems: Vec<crate::model::rules::Problem>,
    ) -> Result<Record> {
        if problems.is_empty() {
            return Ok(rec);
        }
        let root = self.root().to_path_buf();
        let mut diags: Vec<Diagnostic> = locate_problems(problems, |p| {
            if p == rel {
                Some(text.to_string())
            } else {
                std::fs::read_to_string(root.join(p)).ok()
            }
        });
        sort_diagnostics(&mut diags);
        Err(StoreError::Invalid(diags))
    }

    /// `kehoach set`: changes one field of one record and commits.
    pub fn set_field(&self, query: &str, field: &str, value: &str) -> Result<Saved> {
        let rr = self.find(query)?;
        let old = self.read(&rr.path)?;
        let new = set_in_document(&old, rr.kind, field, value)?;
        self.save_text(&rr, &old, new, "update")
    }

    /// Validates and commits a new version of an existing record (or a new record, with `old`
    /// empty), with a message that lists the fields changed.
    pub fn save_text(&self, rr: &RecordRef, old: &str, new: String, verb: &str) -> Result<Saved> {
        self.check_text(rr.kind, &rr.path, &new)?;
        let old_table: toml::Table = toml::from_str(old).unwrap_or_default();
        let new_table: toml::Table = toml::from_str(&new).unwrap_or_default();
        let changes = diff(&old_table, &new_table);
        if changes.is_empty() && !old.is_empty() {
            return Ok(Saved {
                record: rr.clone(),
                changes,
                commit: None,
            });
        }
        let message = commit_message(verb, rr, &changes, &self.repo_path(&rr.path));
        let info = self.commit(
            &[Change {
                path: rr.path.clone(),
                content: Some(new),
            }],
            &message,
        )?;
        Ok(Saved {
            record: rr.clone(),
            changes,
            commit: Some(info),
        })
    }

    /// Writes a new record file, refusing to replace one.
    pub fn create(&self, kind: Kind, rel: &str, text: String) -> Result<Saved> {
        if self.root().join(rel).exists() {
            return Err(StoreError::Exists(rel.to_string()));
        }
        let rr = RecordRef {
            kind,
            path: rel.to_string(),
            id: layout::id_of(kind, rel),
        };
        self.save_text(&rr, "", text, "create")
    }
}

/// `<verb> <kind> <id>: <summary>`, a body listing the fields changed, and a `Record:` trailer.
pub fn commit_message(
    verb: &str,
    rr: &RecordRef,
    changes: &[FieldChange],
    repo_path: &str,
) -> String {
    let summary = if verb == "create" {
        "new record".to_string()
    } else if changes.len() == 1 {
        changes[0].to_string()
    } else {
        let names: Vec<&str> = changes.iter().map(|c| c.field.as_str()).collect();
        let joined = names.join(", ");
        if joined.chars().count() > 60 {
            format!("{} fields", changes.len())
        } else {
            joined
        }
    };
    // Git's habit: a subject of at most 72 characters.
    let subject = crate::model::fields::short_to(
        &format!("{verb} {} {}: {summary}", rr.kind.as_str(), rr.id),
        72,
    );
    let mut msg = format!("{subject}\n\n");
    if verb == "create" {
        msg.push_str(&format!("Created {} {}.\n\n", rr.kind.as_str(), rr.id));
    } else {
        msg.push_str("Fields changed:\n");
        for c in changes {
            msg.push_str(&format!("- {c}\n"));
        }
        msg.push('\n');
    }
    msg.push_str(&format!("Record: {repo_path}\n"));
    msg
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "#:schema ../../../schemas/assignment.schema.json\n\nid = \"a03\" # keep me\ndue = \"2025-11-30\"  # a comment\ncoordinating = [\"x\"]\n";

    #[test]
    fn one_field_one_line() {
        let out = set_in_document(A, Kind::Assignment, "due", "2025-12-15").unwrap();
        let changed: Vec<(&str, &str)> =
            A.lines().zip(out.lines()).filter(|(a, b)| a != b).collect();
        assert_eq!(
            changed,
            [(
                "due = \"2025-11-30\"  # a comment",
                "due = \"2025-12-15\"  # a comment"
            )]
        );
        assert_eq!(A.lines().count(), out.lines().count());
    }

    #[test]
    fn lists_split_on_commas() {
        let out =
            set_in_document(A, Kind::Assignment, "coordinating", "so-y-te, so-tai-chinh").unwrap();
        assert!(
            out.contains("coordinating = [\"so-y-te\", \"so-tai-chinh\"]"),
            "{out}"
        );
    }
}
