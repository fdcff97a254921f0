//! The edit form of a record: one input per field, typed (text, multi-line text, choice, agency,
//! date, due, period, percent), checked as the user types.

use ratatui_textarea::{Input, Key, TextArea, WrapMode};

use super::keys::{Code, KeyPress};
use super::strings::S;
use crate::model::fields::value_text;
use crate::model::text::to_nfc;
use crate::store::RecordRef;
use crate::store::layout::Kind;

const WORK_STATUS: &[&str] = &["not_started", "in_progress", "done", "cancelled"];
const REPORT_STATUS: &[&str] = &["draft", "submitted", "accepted", "returned"];
const PLAN_STATUS: &[&str] = &["draft", "in_review", "issued", "closed"];
const AGENCY_KINDS: &[&str] = &[
    "department",
    "peoples_committee",
    "peoples_council",
    "court",
    "procuracy",
    "front",
    "police",
    "statistics_office",
    "ministry",
    "unit",
    "office",
    "other",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    Line,
    Multi,
    Choice(&'static [&'static str]),
    Agency,
    AgencyList,
    List,
    Date,
    Due,
    Percent,
}

impl FieldKind {
    pub fn pickable(self) -> bool {
        matches!(
            self,
            FieldKind::Choice(_) | FieldKind::Agency | FieldKind::AgencyList
        )
    }
}

pub struct Field {
    /// The field path in the record (`due`, `entries[a01].percent`).
    pub path: String,
    pub kind: FieldKind,
    pub required: bool,
    pub input: TextArea<'static>,
    pub original: String,
    /// A problem found as the user typed, or reported by the store on save.
    pub error: Option<String>,
}

impl Field {
    pub fn value(&self) -> String {
        let v = self.input.lines().join("\n");
        let v = match self.kind {
            FieldKind::Multi => v,
            // Dates may be typed the Vietnamese way: 15/12/2025 is saved as 2025-12-15.
            FieldKind::Date | FieldKind::Due => {
                let t = v.trim();
                day_month_year(t).unwrap_or_else(|| t.to_string())
            }
            _ => v.trim().to_string(),
        };
        to_nfc(&v).into_owned()
    }

    pub fn changed(&self) -> bool {
        self.value() != self.original
    }
}

/// `15/12/2025` (or `15-12-2025`, `1/7/2025`) as `2025-12-15`.
pub fn day_month_year(s: &str) -> Option<String> {
    let parts: Vec<&str> = s.split(['/', '-', '.']).collect();
    let [d, m, y] = parts.as_slice() else {
        return None;
    };
    if y.len() != 4 || d.len() > 2 || m.len() > 2 || d.is_empty() || m.is_empty() {
        return None;
    }
    let (d, m, y): (u8, u8, u16) = (d.parse().ok()?, m.parse().ok()?, y.parse().ok()?);
    let date = format!("{y:04}-{m:02}-{d:02}");
    crate::model::parse_date(&date).map(|_| date)
}

/// A list to pick a value from.
#[derive(Debug, Clone)]
pub struct Picker {
    /// (value, label) pairs.
    pub options: Vec<(String, String)>,
    pub filter: String,
    pub selected: usize,
}

impl Picker {
    pub fn visible(&self) -> Vec<&(String, String)> {
        let f = super::app::fold(&self.filter);
        self.options
            .iter()
            .filter(|(v, l)| f.is_empty() || super::app::fold(&format!("{v} {l}")).contains(&f))
            .collect()
    }
}

pub struct Form {
    pub rr: RecordRef,
    /// The file's text when the form was opened.
    pub text: String,
    pub fields: Vec<Field>,
    pub focus: usize,
    pub picker: Option<Picker>,
    /// Problems the store reported that belong to no field of the form.
    pub general: Vec<String>,
}

/// Looks up `a.b[key].c` in a table; items of arrays of tables are found by their key field.
pub fn lookup<'a>(t: &'a toml::Table, path: &str) -> Option<&'a toml::Value> {
    use crate::model::fields::{Seg, parse_path};
    let segs = parse_path(path);
    let mut cur: Option<&toml::Value> = None;
    for seg in segs {
        let next = match (cur, &seg) {
            (None, Seg::Key(k)) => t.get(k),
            (Some(toml::Value::Table(tt)), Seg::Key(k)) => tt.get(k),
            (Some(toml::Value::Array(a)), Seg::Index(i)) => a.get(*i),
            (Some(toml::Value::Array(a)), Seg::Key(k)) => a.iter().find(|v| {
                v.as_table().is_some_and(|tt| {
                    ["id", "assignment", "number", "label"]
                        .iter()
                        .any(|f| tt.get(*f).and_then(|x| x.as_str()) == Some(k.as_str()))
                })
            }),
            _ => None,
        };
        cur = Some(next?);
    }
    cur
}

fn text_of(v: Option<&toml::Value>) -> String {
    match v {
        None => String::new(),
        Some(toml::Value::Array(a)) => a.iter().map(value_text).collect::<Vec<_>>().join(", "),
        Some(v) => value_text(v),
    }
}

fn make_input(kind: FieldKind, value: &str) -> TextArea<'static> {
    let lines: Vec<String> = if kind == FieldKind::Multi {
        value.split('\n').map(String::from).collect()
    } else {
        vec![value.replace('\n', " ")]
    };
    let mut ta = TextArea::new(lines);
    if kind == FieldKind::Multi {
        ta.set_wrap_mode(WrapMode::WordOrGlyph);
    }
    ta.set_cursor_line_style(ratatui::style::Style::default());
    ta.move_cursor(ratatui_textarea::CursorMove::Bottom);
    ta.move_cursor(ratatui_textarea::CursorMove::End);
    ta
}

impl Form {
    /// The form of a record, from its file text.
    pub fn new(rr: RecordRef, text: String) -> Result<Form, String> {
        let table: toml::Table = toml::from_str(&text).map_err(|e| e.message().to_string())?;
        use FieldKind::*;
        let mut spec: Vec<(String, FieldKind, bool)> = Vec::new();
        let mut add = |p: &str, k: FieldKind, req: bool| spec.push((p.to_string(), k, req));
        match rr.kind {
            Kind::Assignment => {
                add("title", Line, true);
                add("status", Choice(WORK_STATUS), true);
                add("due", Due, true);
                add("lead", Agency, true);
                add("coordinating", AgencyList, false);
                add("tasks", List, true);
                add("description", Multi, true);
                add("output", Multi, false);
                add("source", Line, false);
                add("notes", Multi, false);
            }
            Kind::Report => {
                add("status", Choice(REPORT_STATUS), true);
                add("submitted_on", Date, false);
                add("summary", Multi, false);
                if let Some(toml::Value::Array(entries)) = table.get("entries") {
                    for e in entries {
                        if let Some(a) = e.get("assignment").and_then(|v| v.as_str()) {
                            let p = |f: &str| format!("entries[{a}].{f}");
                            add(&p("status"), Choice(WORK_STATUS), true);
                            add(&p("percent"), Percent, false);
                            add(&p("results"), Multi, false);
                            add(&p("difficulties"), Multi, false);
                            add(&p("proposals"), Multi, false);
                        }
                    }
                }
                add("notes", Multi, false);
            }
            Kind::Agency => {
                add("name", Line, true);
                add("short_name", Line, false);
                add("kind", Choice(AGENCY_KINDS), true);
                add("parent", Agency, false);
                add("valid_from", Date, false);
                add("valid_until", Date, false);
                add("successor", Agency, false);
                add("notes", Multi, false);
            }
            Kind::Plan => {
                add("title", Line, true);
                add("status", Choice(PLAN_STATUS), true);
                add("number", Line, false);
                add("symbol", Line, false);
                add("date", Line, false);
                add("place", Line, true);
                add("issuer", Agency, true);
                add("preamble", Multi, false);
                if let Some(toml::Value::Array(tasks)) = table.get("tasks") {
                    for t in tasks {
                        if let Some(id) = t.get("id").and_then(|v| v.as_str()) {
                            add(&format!("tasks[{id}].text"), Multi, true);
                        }
                    }
                }
                add("funding", Multi, false);
                add("closing", Multi, false);
                add("signer.on_behalf_of", Line, false);
                add("signer.title", Line, true);
                add("signer.name", Line, true);
                add("notes", Multi, false);
            }
            Kind::Config => return Err("settings are edited in $EDITOR (E)".into()),
        }
        let fields = spec
            .into_iter()
            .map(|(path, kind, required)| {
                let original = text_of(lookup(&table, &path));
                Field {
                    input: make_input(kind, &original),
                    path,
                    kind,
                    required,
                    original,
                    error: None,
                }
            })
            .collect();
        Ok(Form {
            rr,
            text,
            fields,
            focus: 0,
            picker: None,
            general: vec![],
        })
    }

    pub fn dirty(&self) -> bool {
        self.fields.iter().any(|f| f.changed())
    }

    pub fn focused(&mut self) -> &mut Field {
        &mut self.fields[self.focus]
    }

    /// Checks one field's value as typed.
    pub fn check(&mut self, i: usize, has_agency: &dyn Fn(&str) -> bool, lang: super::Lang) {
        let f = &mut self.fields[i];
        let v = f.value();
        let err: Option<S> = if v.is_empty() {
            if f.required || (f.kind == FieldKind::Percent && !f.original.is_empty()) {
                Some(S::Required)
            } else {
                None
            }
        } else {
            match f.kind {
                FieldKind::Date => crate::model::parse_date(&v).is_none().then_some(S::BadDate),
                FieldKind::Due => v.parse::<crate::model::Due>().is_err().then_some(S::BadDue),
                FieldKind::Percent => {
                    (!v.parse::<u8>().is_ok_and(|n| n <= 100)).then_some(S::BadPercent)
                }
                FieldKind::Choice(opts) => (!opts.contains(&v.as_str())).then_some(S::BadChoice),
                FieldKind::Agency => (!has_agency(&v)).then_some(S::UnknownAgency),
                FieldKind::AgencyList => v
                    .split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .any(|a| !has_agency(a))
                    .then_some(S::UnknownAgency),
                _ => None,
            }
        };
        f.error = err.map(|s| s.get(lang).to_string());
    }

    /// The record's new text: each changed field set in the original document.
    pub fn build(&self) -> Result<String, (usize, String)> {
        let mut text = self.text.clone();
        for (i, f) in self.fields.iter().enumerate() {
            if !f.changed() {
                continue;
            }
            text = crate::store::edit::set_in_document(&text, self.rr.kind, &f.path, &f.value())
                .map_err(|e| (i, e.to_string()))?;
        }
        Ok(text)
    }

    /// Puts the store's problems on the fields they name.
    pub fn place_problems(&mut self, problems: &[(String, String)]) {
        self.general.clear();
        for (field, msg) in problems {
            let hit = self.fields.iter_mut().find(|f| {
                !field.is_empty()
                    && (f.path == *field
                        || field.starts_with(&format!("{}.", f.path))
                        || field.starts_with(&format!("{}[", f.path)))
            });
            match hit {
                Some(f) => f.error = Some(msg.clone()),
                None => self.general.push(if field.is_empty() {
                    msg.clone()
                } else {
                    format!("{field}: {msg}")
                }),
            }
        }
    }
}

/// The ratatui-textarea input for a key.
pub fn to_input(k: KeyPress) -> Input {
    let (key, shift) = match k.code {
        Code::Char(c) => (Key::Char(c), false),
        Code::Enter => (Key::Enter, false),
        Code::Esc => (Key::Esc, false),
        Code::Tab => (Key::Tab, false),
        Code::BackTab => (Key::Tab, true),
        Code::Backspace => (Key::Backspace, false),
        Code::Delete => (Key::Delete, false),
        Code::Up => (Key::Up, false),
        Code::Down => (Key::Down, false),
        Code::Left => (Key::Left, false),
        Code::Right => (Key::Right, false),
        Code::Home => (Key::Home, false),
        Code::End => (Key::End, false),
        Code::PageUp => (Key::PageUp, false),
        Code::PageDown => (Key::PageDown, false),
        Code::F(n) => (Key::F(n), false),
    };
    Input {
        key,
        ctrl: k.ctrl,
        alt: k.alt,
        shift,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vietnamese_dates_are_read() {
        assert_eq!(day_month_year("15/12/2025").as_deref(), Some("2025-12-15"));
        assert_eq!(day_month_year("1/7/2025").as_deref(), Some("2025-07-01"));
        assert_eq!(day_month_year("31/02/2025"), None);
        assert_eq!(day_month_year("2025-12-15"), None);
        assert_eq!(day_month_year("yearly:12-15"), None);
    }
}
