//! The document model: what of each record is searched and filtered on.
//!
//! One document per record file. A record that does not parse is still indexed from its raw text
//! (kind and id from its path), so that a search finds it and the user can fix it.

use crate::model::text::to_nfc;
use crate::model::{Agency, Assignment, Due, Period, Plan, Report};
use crate::store::layout::{Kind, classify, id_of};

/// A record as the index sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordDoc {
    pub kind: Kind,
    /// The id the record is known by (`PERIOD/AGENCY` for a report).
    pub id: String,
    /// Path relative to the data root.
    pub path: String,
    /// The plan it belongs to (the plan's own id for a plan).
    pub plan: Option<String>,
    /// Agencies involved: lead and coordinating (assignment), the reporting agency (report), the
    /// agency itself (agency), the agencies the plan's duties address (plan).
    pub agencies: Vec<String>,
    /// The lead agency of an assignment.
    pub lead: Option<String>,
    /// The record's own status (`in_progress`, `accepted`, `issued`, `active`/`ended` …).
    pub status: String,
    /// The period of a report.
    pub period: Option<Period>,
    /// When an assignment is due.
    pub due: Option<Due>,
    /// The day a plan assigns its work: its assignments' recurring deadlines count from it.
    pub assigns_work_on: Option<jiff::civil::Date>,
    pub title: String,
    /// Every other text of the record, paragraphs separated by blank lines.
    pub text: String,
}

fn enum_str<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(String::from))
        .unwrap_or_default()
}

struct Text(String);

impl Text {
    fn push(&mut self, s: &str) {
        let s = s.trim();
        if s.is_empty() {
            return;
        }
        if !self.0.is_empty() {
            self.0.push_str("\n\n");
        }
        self.0.push_str(s);
    }
}

impl RecordDoc {
    /// Builds the document of the record file at `rel` (relative to the data root) from its
    /// content. None for a file that is not a record (such as kehoach.toml).
    pub fn from_file(rel: &str, content: &[u8]) -> Option<RecordDoc> {
        let kind = classify(rel).filter(|k| *k != Kind::Config)?;
        let raw = match crate::model::text::utf8(content) {
            Ok(s) => std::borrow::Cow::Borrowed(s),
            Err(_) => String::from_utf8_lossy(content),
        };
        let text = to_nfc(&raw);
        let parsed = match kind {
            Kind::Agency => toml::from_str::<Agency>(&text)
                .ok()
                .map(|a| of_agency(rel, a)),
            Kind::Plan => toml::from_str::<Plan>(&text).ok().map(|p| of_plan(rel, p)),
            Kind::Assignment => toml::from_str::<Assignment>(&text)
                .ok()
                .map(|a| of_assignment(rel, a)),
            Kind::Report => toml::from_str::<Report>(&text)
                .ok()
                .map(|r| of_report(rel, r)),
            Kind::Config => None,
        };
        Some(parsed.unwrap_or_else(|| unparsed(kind, rel, &text)))
    }
}

fn base(kind: Kind, rel: &str) -> RecordDoc {
    let plan = match rel.split('/').collect::<Vec<_>>().as_slice() {
        ["plans", p, ..] => Some(p.to_string()),
        _ => None,
    };
    RecordDoc {
        kind,
        id: id_of(kind, rel),
        path: rel.to_string(),
        plan,
        agencies: vec![],
        lead: None,
        status: String::new(),
        period: None,
        due: None,
        assigns_work_on: None,
        title: String::new(),
        text: String::new(),
    }
}

fn unparsed(kind: Kind, rel: &str, text: &str) -> RecordDoc {
    let mut d = base(kind, rel);
    d.title = d.id.clone();
    d.text = text
        .lines()
        .filter(|l| !l.starts_with("#:schema"))
        .collect::<Vec<_>>()
        .join("\n")
        .trim()
        .to_string();
    if kind == Kind::Report
        && let [_, _, _, period, _] = rel.split('/').collect::<Vec<_>>().as_slice()
    {
        d.period = period.parse().ok();
    }
    d
}

fn of_agency(rel: &str, a: Agency) -> RecordDoc {
    let mut d = base(Kind::Agency, rel);
    let mut t = Text(String::new());
    if !a.short_name.is_empty() {
        t.push(&a.short_name);
    }
    t.push(&a.notes);
    d.status = if a.valid_until.is_empty() {
        "active"
    } else {
        "ended"
    }
    .into();
    d.agencies = vec![a.id.clone()];
    if !a.parent.is_empty() {
        d.agencies.push(a.parent.clone());
    }
    d.title = a.name;
    d.text = t.0;
    d
}

fn of_plan(rel: &str, p: Plan) -> RecordDoc {
    let mut d = base(Kind::Plan, rel);
    let mut t = Text(String::new());
    let number = [p.number.as_str(), p.symbol.as_str()]
        .iter()
        .filter(|s| !s.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join("/");
    t.push(&number);
    t.push(&p.issuer);
    for l in &p.legal_basis {
        t.push(&format!("{} {} {}", l.number, l.issuer, l.title));
    }
    t.push(&p.preamble);
    for x in &p.purposes {
        t.push(x);
    }
    for task in &p.tasks {
        t.push(&format!("{}. {}", task.number, task.text));
    }
    t.push(&p.funding);
    let mut agencies = Vec::new();
    for duty in &p.duties {
        t.push(&format!("{}. {}", duty.number, duty.addressee));
        t.push(&duty.text);
        for item in &duty.items {
            t.push(&format!("{}) {}", item.label, item.text));
        }
        agencies.extend(duty.agencies.iter().cloned());
    }
    t.push(&p.closing);
    for r in &p.recipients {
        t.push(&r.text);
    }
    t.push(&format!(
        "{} {} {}",
        p.signer.on_behalf_of, p.signer.title, p.signer.name
    ));
    t.push(&p.notes);
    agencies.sort();
    agencies.dedup();
    d.agencies = agencies;
    d.plan = Some(p.id.clone());
    d.assigns_work_on = Some(p.assigns_work_on());
    d.status = enum_str(&p.status);
    d.title = p.title;
    d.text = t.0;
    d
}

fn of_assignment(rel: &str, a: Assignment) -> RecordDoc {
    let mut d = base(Kind::Assignment, rel);
    let mut t = Text(String::new());
    t.push(&a.description);
    t.push(&a.output);
    t.push(&a.notes);
    let mut agencies = vec![a.lead.clone()];
    agencies.extend(a.coordinating.iter().cloned());
    d.agencies = agencies;
    d.lead = Some(a.lead);
    d.plan = Some(a.plan);
    d.status = enum_str(&a.status);
    d.due = Some(a.due);
    d.title = a.title;
    d.text = t.0;
    d
}

fn of_report(rel: &str, r: Report) -> RecordDoc {
    let mut d = base(Kind::Report, rel);
    let mut t = Text(String::new());
    t.push(&r.summary);
    for e in &r.entries {
        t.push(&e.results);
        t.push(&e.difficulties);
        t.push(&e.proposals);
    }
    t.push(&r.notes);
    d.title = format!("Báo cáo {} – {}", r.period, r.agency);
    d.agencies = vec![r.agency];
    d.plan = Some(r.plan);
    d.status = enum_str(&r.status);
    d.period = Some(r.period);
    d.text = t.0;
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assignment_document() {
        let text = std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("plan-data/plans/kh-27-qd-ttg-binh-thuan/assignments/a-3a-bac-binh.toml"),
        )
        .unwrap();
        let d = RecordDoc::from_file(
            "plans/kh-27-qd-ttg-binh-thuan/assignments/a-3a-bac-binh.toml",
            &text,
        )
        .unwrap();
        assert_eq!(d.kind, Kind::Assignment);
        assert_eq!(d.id, "a-3a-bac-binh");
        assert_eq!(d.lead.as_deref(), Some("ubnd-huyen-bac-binh"));
        assert_eq!(d.status, "in_progress");
        assert!(d.title.contains("Bắc Bình"));
        assert!(d.text.contains("dự toán"));
    }

    #[test]
    fn broken_record_is_kept_as_text() {
        let d = RecordDoc::from_file(
            "plans/p/assignments/x.toml",
            b"#:schema x\ntitle = \"Tr\xe1\xba\xbb em\"\nbroken",
        )
        .unwrap();
        assert_eq!(d.id, "x");
        assert_eq!(d.plan.as_deref(), Some("p"));
        assert!(d.text.contains("Trẻ em"));
        assert!(RecordDoc::from_file("kehoach.toml", b"").is_none());
    }
}
