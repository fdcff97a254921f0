//! Field paths (`entries[2].assignment`) and field-level differences between two versions of a
//! record, as TOML values.

use std::fmt;

/// One step of a field path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seg {
    Key(String),
    Index(usize),
}

/// Parses `a.b[2].c` into segments.
pub fn parse_path(s: &str) -> Vec<Seg> {
    let mut out = Vec::new();
    for part in s.split('.').filter(|p| !p.is_empty()) {
        let (key, mut rest) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        if !key.is_empty() {
            out.push(Seg::Key(key.to_string()));
        }
        while let Some(r) = rest.strip_prefix('[') {
            let Some(end) = r.find(']') else { break };
            if let Ok(n) = r[..end].parse() {
                out.push(Seg::Index(n));
            } else {
                out.push(Seg::Key(r[..end].to_string()));
            }
            rest = &r[end + 1..];
        }
    }
    out
}

/// Writes segments back as `a.b[2].c`.
pub fn format_path(segs: &[Seg]) -> String {
    let mut s = String::new();
    for seg in segs {
        match seg {
            Seg::Key(k) => {
                if !s.is_empty() {
                    s.push('.');
                }
                s.push_str(k);
            }
            Seg::Index(i) => s.push_str(&format!("[{i}]")),
        }
    }
    s
}

/// How one field differs between two versions.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct FieldChange {
    /// `due`, `entries[a03].percent`, `coordinating`.
    pub field: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new: Option<String>,
    /// For lists of plain values: items added and removed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub added: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub removed: Vec<String>,
}

impl fmt::Display for FieldChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Keys and values come from the records: shown as text only.
        let field = super::text::sanitize_line(&self.field);
        if !self.added.is_empty() || !self.removed.is_empty() {
            write!(f, "{field}:")?;
            for a in &self.added {
                write!(f, " +{}", super::text::sanitize_line(a))?;
            }
            for r in &self.removed {
                write!(f, " -{}", super::text::sanitize_line(r))?;
            }
            return Ok(());
        }
        match (&self.old, &self.new) {
            (Some(o), Some(n)) => write!(f, "{field}: {} → {}", short(o), short(n)),
            (None, Some(n)) => write!(f, "{field}: (added) {}", short(n)),
            (Some(o), None) => write!(f, "{field}: (removed) {}", short(o)),
            (None, None) => write!(f, "{field}"),
        }
    }
}

/// A value cut to one line of reasonable length, for summaries.
pub fn short(s: &str) -> String {
    short_to(s, 60)
}

/// `s` on one line, cut to `max` characters with an ellipsis.
pub fn short_to(s: &str, max: usize) -> String {
    let one_line = super::text::sanitize_line(s);
    if one_line.chars().count() <= max {
        one_line
    } else {
        let cut: String = one_line.chars().take(max - 1).collect();
        format!("{cut}…")
    }
}

/// A scalar (or a whole table, when it has no better rendering) as text.
pub fn value_text(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => s.clone(),
        toml::Value::Integer(i) => i.to_string(),
        toml::Value::Float(x) => x.to_string(),
        toml::Value::Boolean(b) => b.to_string(),
        toml::Value::Datetime(d) => d.to_string(),
        toml::Value::Array(a) => {
            let items: Vec<String> = a.iter().map(value_text).collect();
            format!("[{}]", items.join(", "))
        }
        toml::Value::Table(t) => toml::to_string(t).unwrap_or_default().trim().to_string(),
    }
}

/// The key that identifies an item of an array of tables, when it has one.
fn item_key(t: &toml::Table) -> Option<String> {
    for k in ["id", "assignment", "number", "label", "text"] {
        if let Some(toml::Value::String(s)) = t.get(k) {
            return Some(s.clone());
        }
    }
    None
}

fn is_table_array(a: &[toml::Value]) -> bool {
    !a.is_empty() && a.iter().all(|v| v.is_table())
}

/// The field-level differences from `old` to `new` (both whole records).
pub fn diff(old: &toml::Table, new: &toml::Table) -> Vec<FieldChange> {
    let mut out = Vec::new();
    diff_tables("", old, new, &mut out);
    out
}

fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_string()
    } else {
        format!("{prefix}.{key}")
    }
}

fn diff_tables(prefix: &str, old: &toml::Table, new: &toml::Table, out: &mut Vec<FieldChange>) {
    for (k, ov) in old {
        let field = join(prefix, k);
        match new.get(k) {
            None => out.push(FieldChange {
                field,
                old: Some(value_text(ov)),
                new: None,
                added: vec![],
                removed: vec![],
            }),
            Some(nv) => diff_values(&field, ov, nv, out),
        }
    }
    for (k, nv) in new {
        if !old.contains_key(k) {
            out.push(FieldChange {
                field: join(prefix, k),
                old: None,
                new: Some(value_text(nv)),
                added: vec![],
                removed: vec![],
            });
        }
    }
}

fn diff_values(field: &str, ov: &toml::Value, nv: &toml::Value, out: &mut Vec<FieldChange>) {
    if ov == nv {
        return;
    }
    match (ov, nv) {
        (toml::Value::Table(a), toml::Value::Table(b)) => diff_tables(field, a, b, out),
        (toml::Value::Array(a), toml::Value::Array(b))
            if (is_table_array(a) || a.is_empty())
                && (is_table_array(b) || b.is_empty())
                && (!a.is_empty() || !b.is_empty()) =>
        {
            diff_table_arrays(field, a, b, out)
        }
        (toml::Value::Array(a), toml::Value::Array(b))
            if a.iter()
                .chain(b.iter())
                .all(|v| !v.is_table() && !v.is_array()) =>
        {
            let at: Vec<String> = a.iter().map(value_text).collect();
            let bt: Vec<String> = b.iter().map(value_text).collect();
            let added: Vec<String> = bt.iter().filter(|x| !at.contains(x)).cloned().collect();
            let removed: Vec<String> = at.iter().filter(|x| !bt.contains(x)).cloned().collect();
            if added.is_empty() && removed.is_empty() {
                // Same items, other order or repeats.
                out.push(FieldChange {
                    field: field.to_string(),
                    old: Some(value_text(ov)),
                    new: Some(value_text(nv)),
                    added,
                    removed,
                });
            } else {
                out.push(FieldChange {
                    field: field.to_string(),
                    old: None,
                    new: None,
                    added,
                    removed,
                });
            }
        }
        _ => out.push(FieldChange {
            field: field.to_string(),
            old: Some(value_text(ov)),
            new: Some(value_text(nv)),
            added: vec![],
            removed: vec![],
        }),
    }
}

fn diff_table_arrays(
    field: &str,
    a: &[toml::Value],
    b: &[toml::Value],
    out: &mut Vec<FieldChange>,
) {
    let keyed = |xs: &[toml::Value]| -> Option<Vec<(String, toml::Table)>> {
        let mut v = Vec::new();
        for x in xs {
            let t = x.as_table()?;
            v.push((item_key(t)?, t.clone()));
        }
        let mut keys: Vec<&String> = v.iter().map(|(k, _)| k).collect();
        keys.sort();
        keys.dedup();
        (keys.len() == v.len()).then_some(v)
    };
    match (keyed(a), keyed(b)) {
        (Some(ka), Some(kb)) => {
            for (k, ta) in &ka {
                let f = format!("{field}[{k}]");
                match kb.iter().find(|(kk, _)| kk == k) {
                    Some((_, tb)) => diff_tables(&f, ta, tb, out),
                    None => out.push(FieldChange {
                        field: f,
                        old: Some(short(&value_text(&toml::Value::Table(ta.clone())))),
                        new: None,
                        added: vec![],
                        removed: vec![],
                    }),
                }
            }
            for (k, tb) in &kb {
                if !ka.iter().any(|(kk, _)| kk == k) {
                    out.push(FieldChange {
                        field: format!("{field}[{k}]"),
                        old: None,
                        new: Some(short(&value_text(&toml::Value::Table(tb.clone())))),
                        added: vec![],
                        removed: vec![],
                    });
                }
            }
        }
        _ => {
            let n = a.len().max(b.len());
            for i in 0..n {
                let f = format!("{field}[{i}]");
                match (a.get(i), b.get(i)) {
                    (Some(x), Some(y)) => diff_values(&f, x, y, out),
                    (Some(x), None) => out.push(FieldChange {
                        field: f,
                        old: Some(short(&value_text(x))),
                        new: None,
                        added: vec![],
                        removed: vec![],
                    }),
                    (None, Some(y)) => out.push(FieldChange {
                        field: f,
                        old: None,
                        new: Some(short(&value_text(y))),
                        added: vec![],
                        removed: vec![],
                    }),
                    (None, None) => {}
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> toml::Table {
        toml::from_str(s).unwrap()
    }

    #[test]
    fn paths_round_trip() {
        let p = parse_path("entries[2].assignment");
        assert_eq!(
            p,
            vec![
                Seg::Key("entries".into()),
                Seg::Index(2),
                Seg::Key("assignment".into())
            ]
        );
        assert_eq!(format_path(&p), "entries[2].assignment");
    }

    #[test]
    fn scalar_and_list_changes() {
        let a = t("due = \"2025-11-30\"\ncoordinating = [\"a\", \"b\"]\nx = 1");
        let b = t("due = \"2025-12-15\"\ncoordinating = [\"b\", \"c\"]\ny = 2");
        let d: Vec<String> = diff(&a, &b).iter().map(|c| c.to_string()).collect();
        assert_eq!(
            d,
            [
                "due: 2025-11-30 → 2025-12-15",
                "coordinating: +c -a",
                "x: (removed) 1",
                "y: (added) 2"
            ]
        );
    }

    #[test]
    fn keyed_tables() {
        let a = t(
            "[[entries]]\nassignment = \"a01\"\npercent = 10\n[[entries]]\nassignment = \"a02\"\npercent = 5",
        );
        let b = t(
            "[[entries]]\nassignment = \"a02\"\npercent = 5\n[[entries]]\nassignment = \"a01\"\npercent = 20",
        );
        let d: Vec<String> = diff(&a, &b).iter().map(|c| c.to_string()).collect();
        assert_eq!(d, ["entries[a01].percent: 10 → 20"]);
    }
}
