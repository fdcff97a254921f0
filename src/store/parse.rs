//! Reading one record file: size and depth limits, TOML syntax, NFC, the JSON Schema, the typed
//! record. Every problem is located at a line and column and named by its field.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::OnceLock;

use serde::Serialize;

use super::layout::Kind;
use crate::model::fields::{Seg, format_path, parse_path};
use crate::model::text::is_nfc;
use crate::model::{Agency, Assignment, Config, Plan, Report};

/// Files larger than this are refused before parsing.
pub const MAX_FILE_BYTES: usize = 1 << 20;
/// Arrays, inline tables and dotted keys nested deeper than this are refused before parsing.
pub const MAX_DEPTH: usize = 32;

/// One problem, located.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// Path relative to the data root.
    pub path: String,
    pub line: usize,
    pub column: usize,
    /// Field path inside the record; empty for the file as a whole.
    pub field: String,
    pub message: String,
}

impl std::fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use crate::model::text::sanitize_line;
        // The path and the field come from the repository too (file names, keys).
        let path = sanitize_line(&self.path);
        write!(f, "{path}:{}:{}: ", self.line, self.column)?;
        if !self.field.is_empty() {
            write!(f, "{}: ", sanitize_line(&self.field))?;
        }
        f.write_str(&sanitize_line(&self.message))
    }
}

/// A parsed record of any kind.
#[derive(Debug, Clone)]
pub enum Record {
    Config(Config),
    Agency(Agency),
    Plan(Box<Plan>),
    Assignment(Assignment),
    Report(Report),
}

impl Record {
    pub fn kind(&self) -> Kind {
        match self {
            Record::Config(_) => Kind::Config,
            Record::Agency(_) => Kind::Agency,
            Record::Plan(_) => Kind::Plan,
            Record::Assignment(_) => Kind::Assignment,
            Record::Report(_) => Kind::Report,
        }
    }
}

/// Line and column (1-based, column in characters) of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..floor_char_boundary(text, offset)];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn schemas() -> &'static HashMap<Kind, jsonschema::Validator> {
    static CELL: OnceLock<HashMap<Kind, jsonschema::Validator>> = OnceLock::new();
    CELL.get_or_init(|| {
        [
            Kind::Config,
            Kind::Agency,
            Kind::Plan,
            Kind::Assignment,
            Kind::Report,
        ]
        .into_iter()
        .map(|k| {
            let json: serde_json::Value =
                serde_json::from_str(super::schema_text(k)).expect("embedded schema is JSON");
            let v = jsonschema::validator_for(&json).expect("embedded schema compiles");
            (k, v)
        })
        .collect()
    })
}

/// Finds where nesting first goes deeper than [`MAX_DEPTH`], skipping strings and comments.
fn too_deep(text: &str) -> Option<usize> {
    let b = text.as_bytes();
    let mut depth = 0usize;
    let mut dots = 0usize;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'#' => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'\n' => dots = 0,
            q @ (b'"' | b'\'') => {
                let triple = b.len() >= i + 3 && b[i + 1] == q && b[i + 2] == q;
                if triple {
                    i += 3;
                    while i < b.len()
                        && !(b[i] == q && b.get(i + 1) == Some(&q) && b.get(i + 2) == Some(&q))
                    {
                        if q == b'"' && b[i] == b'\\' {
                            i += 1;
                        }
                        i += 1;
                    }
                    i += 3;
                } else {
                    i += 1;
                    while i < b.len() && b[i] != q && b[i] != b'\n' {
                        if q == b'"' && b[i] == b'\\' {
                            i += 1;
                        }
                        i += 1;
                    }
                    i += 1;
                }
                continue;
            }
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Some(i);
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            b'.' => {
                dots += 1;
                if dots > MAX_DEPTH {
                    return Some(i);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// Finds the text span of a field, for error locations: the key when there is one.
pub fn locate(doc: &toml_edit::Document<&str>, segs: &[Seg]) -> Option<Range<usize>> {
    use toml_edit::Item;
    let mut item: &Item = doc.as_item();
    let mut best = None;
    for seg in segs {
        match seg {
            Seg::Key(k) => {
                let (key, next) = match item {
                    Item::Table(t) => t.get_key_value(k)?,
                    Item::Value(toml_edit::Value::InlineTable(t)) => t.get_key_value(k)?,
                    _ => return best,
                };
                best = key.span().or_else(|| next.span()).or(best);
                item = next;
            }
            Seg::Index(i) => match item {
                Item::ArrayOfTables(a) => {
                    let t = a.get(*i)?;
                    best = t.span().or(best);
                    // Continue inside the table.
                    return match locate_in_table(t, &segs_after(segs, seg)) {
                        Some(r) => Some(r),
                        None => best,
                    };
                }
                Item::Value(toml_edit::Value::Array(a)) => {
                    let v = a.get(*i)?;
                    best = v.span().or(best);
                    if let toml_edit::Value::InlineTable(t) = v {
                        let rest = segs_after(segs, seg);
                        if let Some(Seg::Key(k)) = rest.first()
                            && let Some((key, _)) = t.get_key_value(k)
                        {
                            return key.span().or(best);
                        }
                    }
                    return best;
                }
                _ => return best,
            },
        }
    }
    best
}

fn segs_after(segs: &[Seg], seg: &Seg) -> Vec<Seg> {
    let pos = segs
        .iter()
        .position(|s| std::ptr::eq(s, seg))
        .unwrap_or(segs.len());
    segs[pos + 1..].to_vec()
}

fn locate_in_table(t: &toml_edit::Table, segs: &[Seg]) -> Option<Range<usize>> {
    let Some(Seg::Key(k)) = segs.first() else {
        return None;
    };
    let (key, item) = t.get_key_value(k)?;
    if segs.len() == 1 {
        return key.span().or_else(|| item.span());
    }
    match item {
        toml_edit::Item::ArrayOfTables(a) => {
            let Some(Seg::Index(i)) = segs.get(1) else {
                return key.span();
            };
            let inner = a.get(*i)?;
            locate_in_table(inner, &segs[2..]).or_else(|| inner.span())
        }
        toml_edit::Item::Table(inner) => locate_in_table(inner, &segs[1..]).or_else(|| key.span()),
        _ => key.span(),
    }
}

/// Resolves field paths to locations in one file's text, parsing it only when first needed.
pub struct Locator<'a> {
    text: &'a str,
    doc: Option<Option<toml_edit::Document<&'a str>>>,
}

impl<'a> Locator<'a> {
    pub fn new(text: &'a str) -> Self {
        Locator { text, doc: None }
    }

    /// Line and column of a field (1:1 when it cannot be found).
    pub fn at(&mut self, field: &str) -> (usize, usize) {
        let text = self.text;
        let doc = self
            .doc
            .get_or_insert_with(|| toml_edit::Document::parse(text).ok());
        let span = doc.as_ref().and_then(|d| locate(d, &parse_path(field)));
        match span {
            Some(r) => line_col(text, r.start),
            None => (1, 1),
        }
    }

    pub fn diag(&mut self, path: &str, field: &str, message: impl Into<String>) -> Diagnostic {
        let (line, column) = self.at(field);
        Diagnostic {
            path: path.to_string(),
            line,
            column,
            field: field.to_string(),
            message: message.into(),
        }
    }
}

/// Every string in a TOML value that is not NFC (keys too), with its field path.
fn non_nfc_fields(prefix: &mut Vec<Seg>, v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::String(s) if !is_nfc(s) => out.push(format_path(prefix)),
        serde_json::Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                prefix.push(Seg::Index(i));
                non_nfc_fields(prefix, x, out);
                prefix.pop();
            }
        }
        serde_json::Value::Object(t) => {
            for (k, x) in t {
                prefix.push(Seg::Key(k.clone()));
                if !is_nfc(k) {
                    out.push(format_path(prefix));
                }
                non_nfc_fields(prefix, x, out);
                prefix.pop();
            }
        }
        _ => {}
    }
}

/// Turns a JSON pointer (`/entries/0/assignment`) into segments.
fn pointer_segs(ptr: &str) -> Vec<Seg> {
    ptr.split('/')
        .skip(1)
        .map(|p| {
            let p = p.replace("~1", "/").replace("~0", "~");
            match p.parse::<usize>() {
                Ok(i) => Seg::Index(i),
                Err(_) => Seg::Key(p),
            }
        })
        .collect()
}

/// What a value of a field should look like, said the way a person would, for fields whose
/// form the schema checks with a pattern.
fn pattern_message(field: &[Seg], value: &serde_json::Value) -> Option<String> {
    let serde_json::Value::String(v) = value else {
        return None;
    };
    let name = field.iter().rev().find_map(|s| match s {
        Seg::Key(k) => Some(k.as_str()),
        Seg::Index(_) => None,
    })?;
    Some(match name {
        "due" => v.parse::<crate::model::Due>().err()?.to_string(),
        "period" | "first_period" | "last_period" => {
            v.parse::<crate::model::Period>().err()?.to_string()
        }
        "date" if field.len() == 1 => {
            format!("{v:?} is not a date: write YYYY-MM-DD, or YYYY-MM in a draft")
        }
        "date" | "submitted_on" | "valid_from" | "valid_until" => {
            format!("{v:?} is not a date: write YYYY-MM-DD, such as 2025-12-15")
        }
        "id" | "plan" | "lead" | "agency" | "parent" | "successor" | "issuer" | "to"
        | "assignment" | "coordinating" | "tasks" | "agencies" => {
            crate::model::check_id(v).err()?.to_string()
        }
        _ => return None,
    })
}

fn schema_message(err: &jsonschema::ValidationError<'_>, field: &[Seg]) -> String {
    let inst = err.instance();
    if let serde_json::Value::Object(m) = &**inst
        && m.contains_key("$__toml_private_datetime")
    {
        return "dates are written as text in quotes, e.g. \"2025-12-15\"".into();
    }
    use jsonschema::error::ValidationErrorKind as K;
    match err.kind() {
        K::Required { property } => format!("missing required field {property}"),
        K::Enum { options } => format!("{inst} is not one of {options}"),
        K::Pattern { pattern } => pattern_message(field, inst)
            .unwrap_or_else(|| format!("{inst} does not have the expected form ({pattern})")),
        K::MinLength { .. } => "must not be empty".into(),
        _ => err.to_string(),
    }
}

/// Parses and checks one file. `path` is relative to the data root and is used in diagnostics.
pub fn parse_record(kind: Kind, path: &str, text: &str) -> Result<Record, Vec<Diagnostic>> {
    let whole = |line, column, message: String| {
        vec![Diagnostic {
            path: path.to_string(),
            line,
            column,
            field: String::new(),
            message,
        }]
    };
    if text.len() > MAX_FILE_BYTES {
        return Err(whole(
            1,
            1,
            format!(
                "file is {} bytes, over the limit of {MAX_FILE_BYTES}",
                text.len()
            ),
        ));
    }
    if let Some(at) = too_deep(text) {
        let (l, c) = line_col(text, at);
        return Err(whole(
            l,
            c,
            format!("nested deeper than {MAX_DEPTH} levels"),
        ));
    }
    // Straight from the text to JSON values: the schema validates those, and the typed record is
    // read from them without another copy.
    let json: serde_json::Value = match toml::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            let e: toml::de::Error = e;
            let (l, c) = e.span().map_or((1, 1), |s| line_col(text, s.start));
            let msg = e.message().trim().to_string();
            return Err(whole(l, c, format!("TOML syntax: {msg}")));
        }
    };
    let mut loc = Locator::new(text);
    let mut diags = Vec::new();
    if !is_nfc(text) {
        let mut fields = Vec::new();
        non_nfc_fields(&mut Vec::new(), &json, &mut fields);
        for f in fields {
            diags.push(loc.diag(
                path,
                &f,
                "text is not in Unicode NFC (composed form); `kehoach set` and the editor save it composed",
            ));
        }
    }
    let validator = &schemas()[&kind];
    if !validator.is_valid(&json) {
        for err in validator.iter_errors(&json) {
            let mut segs = pointer_segs(err.instance_path().as_str());
            use jsonschema::error::ValidationErrorKind as K;
            match err.kind() {
                K::AdditionalProperties { unexpected } => {
                    for u in unexpected {
                        let mut s = segs.clone();
                        s.push(Seg::Key(u.clone()));
                        let f = format_path(&s);
                        diags.push(loc.diag(path, &f, format!("unknown field {u:?}")));
                    }
                    continue;
                }
                K::Required {
                    property: serde_json::Value::String(p),
                } => {
                    segs.push(Seg::Key(p.clone()));
                    let f = format_path(&segs);
                    let mut d = loc.diag(path, &f, "missing required field");
                    // Point at the table that lacks it.
                    segs.pop();
                    (d.line, d.column) = loc.at(&format_path(&segs));
                    diags.push(d);
                    continue;
                }
                _ => {}
            }
            let f = format_path(&segs);
            diags.push(loc.diag(path, &f, schema_message(&err, &segs)));
        }
    }
    if !diags.is_empty() {
        return Err(diags);
    }
    use serde::Deserialize;
    let typed = match kind {
        Kind::Config => Config::deserialize(&json).map(Record::Config),
        Kind::Agency => Agency::deserialize(&json).map(Record::Agency),
        Kind::Plan => Plan::deserialize(&json).map(|p| Record::Plan(Box::new(p))),
        Kind::Assignment => Assignment::deserialize(&json).map(Record::Assignment),
        Kind::Report => Report::deserialize(&json).map(Record::Report),
    };
    typed.map_err(|e| {
        let fields = typed_field_errors(kind, &json);
        if fields.is_empty() {
            return whole(1, 1, e.to_string());
        }
        fields
            .into_iter()
            .map(|(f, m)| loc.diag(path, &f, m))
            .collect()
    })
}

/// The fields whose values are parsed beyond what the schema says (due rules, periods), with
/// what is wrong with each: so that such an error names its field.
fn typed_field_errors(kind: Kind, json: &serde_json::Value) -> Vec<(String, String)> {
    use crate::model::{Due, Period};
    let mut out = Vec::new();
    let mut check = |field: &str, v: Option<&serde_json::Value>, is_due: bool| {
        if let Some(serde_json::Value::String(s)) = v {
            let err = if is_due {
                s.parse::<Due>().err().map(|e| e.to_string())
            } else {
                s.parse::<Period>().err().map(|e| e.to_string())
            };
            if let Some(e) = err {
                out.push((field.to_string(), e));
            }
        }
    };
    match kind {
        Kind::Assignment => check("due", json.get("due"), true),
        Kind::Report => check("period", json.get("period"), false),
        Kind::Plan => {
            let r = json.get("reporting");
            check(
                "reporting.first_period",
                r.and_then(|r| r.get("first_period")),
                false,
            );
            check(
                "reporting.last_period",
                r.and_then(|r| r.get("last_period")),
                false,
            );
        }
        _ => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_characters() {
        let t = "a = 1\nb = \"Sở\" x";
        let off = t.find('x').unwrap();
        assert_eq!(line_col(t, off), (2, 10));
    }

    #[test]
    fn depth_limit_is_an_error_not_a_crash() {
        let deep = format!("a = {}1{}", "[".repeat(100_000), "]".repeat(100_000));
        let err = parse_record(Kind::Agency, "agencies/x.toml", &deep).unwrap_err();
        assert!(err[0].message.contains("nested deeper"), "{err:?}");
        let dotted = format!("{} = 1", vec!["a"; 10_000].join("."));
        let err = parse_record(Kind::Agency, "agencies/x.toml", &dotted).unwrap_err();
        assert!(err[0].message.contains("nested deeper"), "{err:?}");
        // Brackets inside strings do not count.
        assert_eq!(too_deep(&format!("a = \"{}\"", "[".repeat(100))), None);
    }

    #[test]
    fn size_limit() {
        let big = format!("notes = \"{}\"", "x".repeat(MAX_FILE_BYTES));
        let err = parse_record(Kind::Agency, "agencies/x.toml", &big).unwrap_err();
        assert!(err[0].message.contains("over the limit"));
    }

    #[test]
    fn locates_fields() {
        let text =
            "id = \"a\"\n\n[[entries]]\nassignment = \"x\"\n\n[[entries]]\nassignment = \"y\"\n";
        let mut loc = Locator::new(text);
        assert_eq!(loc.at("id"), (1, 1));
        assert_eq!(loc.at("entries[1].assignment"), (7, 1));
        assert_eq!(loc.at("entries[1]"), (6, 1));
    }
}
