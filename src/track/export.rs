//! The plan as a document in its official layout (Markdown, printable HTML), and its data as
//! CSV and JSON.
//!
//! The layout follows the seed: number line, place and date line, "KẾ HOẠCH", the title, the
//! paragraph citing the basis, sections I–IV (purposes, tasks, funding, organisation with its
//! numbered duties and lettered points), the closing paragraph, recipients, signer; then an
//! appendix table of assignments (No., content, lead, coordinating, due, output).

use std::collections::HashMap;

use super::doc::{Block, to_html, to_markdown};
use super::vi;
use crate::model::rules::{Located, RecordSet};
use crate::model::{Agency, Assignment, Plan, Report};

/// Everything the export of one plan reads.
pub struct PlanDoc<'a> {
    pub plan: &'a Plan,
    pub agencies: HashMap<&'a str, &'a Agency>,
    /// The plan's assignments, in appendix order.
    pub assignments: Vec<&'a Located<Assignment>>,
    pub reports: Vec<&'a Located<Report>>,
}

/// Natural order of section references such as "IV.3.c" and ids such as "a10".
pub fn natural_key(s: &str) -> Vec<(u64, String)> {
    let mut out = Vec::new();
    let mut num = String::new();
    let mut txt = String::new();
    for c in s.chars() {
        if c.is_ascii_digit() {
            if !txt.is_empty() {
                out.push((0, std::mem::take(&mut txt)));
            }
            num.push(c);
        } else {
            if !num.is_empty() {
                out.push((num.parse().unwrap_or(u64::MAX), String::new()));
                num.clear();
            }
            txt.push(c);
        }
    }
    if !num.is_empty() {
        out.push((num.parse().unwrap_or(u64::MAX), String::new()));
    }
    if !txt.is_empty() {
        out.push((0, txt));
    }
    out
}

impl<'a> PlanDoc<'a> {
    /// Picks the plan `plan` and its records out of `set`.
    pub fn new(set: &'a RecordSet, plan: &str) -> Option<PlanDoc<'a>> {
        let plan = &set.plans.iter().find(|p| p.record.id == plan)?.record;
        let mut assignments: Vec<&Located<Assignment>> = set
            .assignments
            .iter()
            .filter(|a| a.record.plan == plan.id)
            .collect();
        assignments.sort_by(|a, b| {
            (roman_key(&a.record.source), natural_key(&a.record.id))
                .cmp(&(roman_key(&b.record.source), natural_key(&b.record.id)))
        });
        let mut reports: Vec<&Located<Report>> = set
            .reports
            .iter()
            .filter(|r| r.record.plan == plan.id)
            .collect();
        reports.sort_by(|a, b| a.path.cmp(&b.path));
        Some(PlanDoc {
            plan,
            agencies: set
                .agencies
                .iter()
                .map(|a| (a.record.id.as_str(), &a.record))
                .collect(),
            assignments,
            reports,
        })
    }

    /// An agency's short name (or name), or its id when unknown.
    pub fn agency_label(&self, id: &str) -> String {
        self.agencies
            .get(id)
            .map(|a| a.label().to_string())
            .unwrap_or_else(|| id.to_string())
    }

    fn agency_name(&self, id: &str) -> String {
        self.agencies
            .get(id)
            .map(|a| a.name.clone())
            .unwrap_or_else(|| id.to_string())
    }

    /// The body of the plan, as the seed lays it out, then the appendix.
    pub fn blocks(&self) -> Vec<Block> {
        let p = self.plan;
        let mut b = vec![Block::Masthead {
            left: vec![String::new(), self.agency_name(&p.issuer).to_uppercase()],
            right: vec![
                String::new(),
                "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM".into(),
                "Độc lập - Tự do - Hạnh phúc".into(),
            ],
        }];
        b.push(Block::Para {
            text: vi::number_line(&p.number, &p.symbol),
            bold: false,
            class: "center",
        });
        b.push(Block::Para {
            text: vi::place_date_line(&p.place, &p.date),
            bold: false,
            class: "right",
        });
        b.push(Block::heading(1, "KẾ HOẠCH"));
        b.push(Block::Para {
            text: p.title.trim().to_string(),
            bold: true,
            class: "title",
        });
        if !p.preamble.trim().is_empty() {
            b.push(Block::para(p.preamble.trim()));
        }
        let h = &p.headings;
        b.push(Block::heading(2, format!("I. {}", h.purposes)));
        for (i, text) in p.purposes.iter().enumerate() {
            b.push(Block::Item {
                marker: format!("{}.", i + 1),
                text: text.trim().into(),
            });
        }
        b.push(Block::heading(2, format!("II. {}", h.tasks)));
        for t in &p.tasks {
            b.push(Block::Item {
                marker: format!("{}.", t.number),
                text: t.text.trim().into(),
            });
        }
        b.push(Block::heading(2, format!("III. {}", h.funding)));
        if !p.funding.trim().is_empty() {
            b.push(Block::para(p.funding.trim()));
        }
        b.push(Block::heading(2, format!("IV. {}", h.organization)));
        for d in &p.duties {
            let text = if d.text.trim().is_empty() {
                d.addressee.clone()
            } else {
                format!("{}: {}", d.addressee, d.text.trim())
            };
            b.push(Block::Item {
                marker: format!("{}.", d.number),
                text,
            });
            for it in &d.items {
                b.push(Block::Item {
                    marker: format!("{})", it.label),
                    text: it.text.trim().into(),
                });
            }
        }
        if !p.closing.trim().is_empty() {
            b.push(Block::para(p.closing.trim()));
        }
        let mut signer = Vec::new();
        if !p.signer.on_behalf_of.is_empty() {
            signer.push(p.signer.on_behalf_of.clone());
        }
        signer.push(p.signer.title.clone());
        b.push(Block::Closing {
            recipients_title: "Nơi nhận:".into(),
            recipients: p.recipients.iter().map(|r| r.text.clone()).collect(),
            signer,
            name: p.signer.name.clone(),
        });
        b.extend(self.appendix());
        b
    }

    /// The appendix: a table of the assignments.
    pub fn appendix(&self) -> Vec<Block> {
        let p = self.plan;
        let mut b = vec![Block::PageBreak, Block::heading(2, "PHỤ LỤC")];
        b.push(Block::Para {
            text: "NHIỆM VỤ CỤ THỂ TRIỂN KHAI THỰC HIỆN KẾ HOẠCH".into(),
            bold: true,
            class: "center",
        });
        let number = vi::number_line(&p.number, &p.symbol);
        let number = number.trim_start_matches("Số: ");
        b.push(Block::Para {
            text: format!(
                "(Kèm theo Kế hoạch số {number} {} của {})",
                vi::date_words(&p.date),
                self.agency_name(&p.issuer)
            ),
            bold: false,
            class: "center",
        });
        let rows = self
            .assignments
            .iter()
            .enumerate()
            .map(|(i, a)| {
                let a = &a.record;
                let content =
                    if a.description.trim().is_empty() || a.description.trim() == a.title.trim() {
                        a.title.trim().to_string()
                    } else {
                        format!("{}\n{}", a.title.trim(), a.description.trim())
                    };
                vec![
                    (i + 1).to_string(),
                    content,
                    self.agency_label(&a.lead),
                    a.coordinating
                        .iter()
                        .map(|c| self.agency_label(c))
                        .collect::<Vec<_>>()
                        .join("; "),
                    vi::due_text(&a.due),
                    a.output.trim().to_string(),
                ]
            })
            .collect();
        b.push(Block::Table {
            head: [
                "TT",
                "Nội dung",
                "Cơ quan chủ trì",
                "Cơ quan phối hợp",
                "Thời gian hoàn thành",
                "Sản phẩm",
            ]
            .map(String::from)
            .to_vec(),
            rows,
        });
        b
    }

    pub fn markdown(&self) -> String {
        to_markdown(&self.blocks())
    }

    pub fn html(&self) -> String {
        to_html(
            &format!("Kế hoạch {}", self.plan.title.trim()),
            &self.blocks(),
        )
    }

    /// The assignments as CSV (RFC 4180, header row).
    pub fn assignments_csv(&self) -> String {
        let mut out = csv_row(&[
            "plan",
            "id",
            "source",
            "title",
            "lead",
            "lead_name",
            "coordinating",
            "due",
            "due_text",
            "status",
            "output",
            "tasks",
        ]);
        for la in &self.assignments {
            let a = &la.record;
            out.push_str(&csv_row(&[
                &a.plan,
                &a.id,
                &a.source,
                a.title.trim(),
                &a.lead,
                &self.agency_label(&a.lead),
                &a.coordinating.join(";"),
                &a.due.to_string(),
                &vi::due_text(&a.due),
                enum_str(&a.status).as_str(),
                a.output.trim(),
                &a.tasks.join(";"),
            ]));
        }
        out
    }

    /// The reports as CSV: one row per entry (a report without entries has one row).
    pub fn reports_csv(&self) -> String {
        let mut out = csv_row(&[
            "plan",
            "period",
            "agency",
            "agency_name",
            "report_status",
            "submitted_on",
            "assignment",
            "status",
            "percent",
            "results",
            "difficulties",
            "proposals",
        ]);
        for lr in &self.reports {
            let r = &lr.record;
            let period = r.period.to_string();
            let name = self.agency_label(&r.agency);
            let rs = enum_str(&r.status);
            if r.entries.is_empty() {
                out.push_str(&csv_row(&[
                    &r.plan,
                    &period,
                    &r.agency,
                    &name,
                    &rs,
                    &r.submitted_on,
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                ]));
            }
            for e in &r.entries {
                let pc = e.percent.map(|p| p.to_string()).unwrap_or_default();
                out.push_str(&csv_row(&[
                    &r.plan,
                    &period,
                    &r.agency,
                    &name,
                    &rs,
                    &r.submitted_on,
                    &e.assignment,
                    &enum_str(&e.status),
                    &pc,
                    e.results.trim(),
                    e.difficulties.trim(),
                    e.proposals.trim(),
                ]));
            }
        }
        out
    }

    /// The plan, its assignments and its reports as one JSON value.
    pub fn json(&self) -> serde_json::Value {
        serde_json::json!({
            "plan": self.plan,
            "assignments": self.assignments.iter().map(|a| &a.record).collect::<Vec<_>>(),
            "reports": self.reports.iter().map(|r| &r.record).collect::<Vec<_>>(),
        })
    }
}

/// Orders section references by their Roman numeral first ("IV.3.c" after "II.1").
fn roman_key(s: &str) -> (u32, Vec<(u64, String)>) {
    let (head, rest) = s.split_once('.').unwrap_or((s, ""));
    let val = |c: char| match c {
        'I' => 1,
        'V' => 5,
        'X' => 10,
        'L' => 50,
        _ => 0,
    };
    let mut n = 0i32;
    let chars: Vec<char> = head.chars().collect();
    if chars.is_empty() || chars.iter().any(|c| val(*c) == 0) {
        return (u32::MAX, natural_key(s));
    }
    for (i, c) in chars.iter().enumerate() {
        let v = val(*c);
        if chars.get(i + 1).is_some_and(|n| val(*n) > v) {
            n -= v;
        } else {
            n += v;
        }
    }
    (n.max(0) as u32, natural_key(rest))
}

pub(crate) fn enum_str<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(String::from))
        .unwrap_or_default()
}

/// One CSV line: fields quoted when they hold a comma, quote, line break or edge space.
pub fn csv_row(fields: &[&str]) -> String {
    let mut out = fields
        .iter()
        .map(|f| {
            if f.contains([',', '"', '\n', '\r']) || f.starts_with(' ') || f.ends_with(' ') {
                format!("\"{}\"", f.replace('"', "\"\""))
            } else {
                f.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(",");
    out.push_str("\r\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_sections() {
        let mut v = vec!["IV.3.c", "IV.10", "IV.1", "II.2", "IV.3.a", ""];
        v.sort_by_key(|s| roman_key(s));
        assert_eq!(v, ["II.2", "IV.1", "IV.3.a", "IV.3.c", "IV.10", ""]);
    }

    #[test]
    fn csv_quotes() {
        assert_eq!(
            csv_row(&["a", "b,c", "say \"hi\"", "x\ny"]),
            "a,\"b,c\",\"say \"\"hi\"\"\",\"x\ny\"\r\n"
        );
    }
}
