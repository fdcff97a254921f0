//! The lead department's consolidated report for one period: every assignment with each
//! agency's status, results, difficulties and proposals, and who has not reported.

use std::collections::BTreeSet;

use super::doc::{Block, to_html, to_markdown};
use super::export::{PlanDoc, enum_str};
use super::rates::{CellState, Matrix};
use super::vi;
use crate::model::{Period, ReportEntry, WorkStatus};

fn status_vi(s: WorkStatus) -> &'static str {
    match s {
        WorkStatus::NotStarted => "Chưa triển khai",
        WorkStatus::InProgress => "Đang thực hiện",
        WorkStatus::Done => "Hoàn thành",
        WorkStatus::Cancelled => "Đã hủy",
    }
}

fn pct(r: Option<f64>) -> String {
    r.map(|v| format!("{v:.0}%")).unwrap_or_else(|| "–".into())
}

/// The report as blocks. `matrix` is the plan's matrix for exactly this period.
pub fn blocks(doc: &PlanDoc<'_>, period: Period, matrix: &Matrix) -> Vec<Block> {
    let p = doc.plan;
    let mut b = Vec::new();
    let to = doc.agency_label(&p.reporting.to);
    b.push(Block::Masthead {
        left: vec![String::new(), to.to_uppercase()],
        right: vec![
            String::new(),
            "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM".into(),
            "Độc lập - Tự do - Hạnh phúc".into(),
        ],
    });
    b.push(Block::heading(1, "BÁO CÁO TỔNG HỢP"));
    b.push(Block::Para {
        text: format!(
            "Kết quả thực hiện Kế hoạch {}\n{}",
            p.title.trim(),
            vi::period_words(period)
        ),
        bold: true,
        class: "title",
    });
    let col = matrix.columns.iter().find(|c| c.period == period);
    let deadline = col.map(|c| vi::short_date(c.deadline)).unwrap_or_default();
    b.push(Block::Labeled {
        label: "Kỳ báo cáo:".into(),
        text: format!(
            "{} ({period}), hạn gửi báo cáo {deadline}.",
            vi::period_words(period)
        ),
    });
    b.push(Block::Labeled {
        label: "Cơ quan tổng hợp:".into(),
        text: doc.agency_label(&p.reporting.to),
    });

    // I. Reporting.
    b.push(Block::heading(2, "I. TÌNH HÌNH BÁO CÁO"));
    let t = col.map(|c| c.totals.clone()).unwrap_or_default();
    b.push(Block::para(format!(
        "Số cơ quan phải báo cáo: {}; đã báo cáo: {} ({}); đúng hạn: {} ({}).",
        t.expected,
        t.actual,
        pct(t.reporting_rate),
        t.on_time,
        pct(t.on_time_rate)
    )));
    let mut rows = Vec::new();
    for r in &matrix.rows {
        let Some(c) = r.cells.iter().find(|c| c.period == period) else {
            continue;
        };
        if !c.state.is_expected() {
            continue;
        }
        rows.push(vec![
            (rows.len() + 1).to_string(),
            r.name.clone(),
            format!("{} {}", c.state.symbol(), c.state.label(true)),
            c.submitted_on.map(vi::short_date).unwrap_or_default(),
        ]);
    }
    b.push(Block::Table {
        head: ["TT", "Cơ quan", "Tình trạng", "Ngày gửi"]
            .map(String::from)
            .to_vec(),
        rows,
    });

    // II. Results by assignment.
    b.push(Block::heading(2, "II. KẾT QUẢ THỰC HIỆN THEO NHIỆM VỤ"));
    let reports: Vec<_> = doc
        .reports
        .iter()
        .filter(|r| r.record.period == period)
        .collect();
    for (i, la) in doc.assignments.iter().enumerate() {
        let a = &la.record;
        let src = if a.source.is_empty() {
            String::new()
        } else {
            format!(", mục {}", a.source)
        };
        b.push(Block::heading(
            3,
            format!("{}. {} ({}{src})", i + 1, a.title.trim(), a.id),
        ));
        b.push(Block::para(format!(
            "Chủ trì: {}{}. Thời hạn: {}. Tình trạng: {}.",
            doc.agency_label(&a.lead),
            if a.coordinating.is_empty() {
                String::new()
            } else {
                format!(
                    "; phối hợp: {}",
                    a.coordinating
                        .iter()
                        .map(|c| doc.agency_label(c))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            },
            vi::due_text(&a.due),
            status_vi(a.status).to_lowercase()
        )));
        // Each agency involved, and any other agency that reported on it.
        let mut agencies: Vec<String> = std::iter::once(a.lead.clone())
            .chain(a.coordinating.iter().cloned())
            .collect();
        let mut seen: BTreeSet<String> = agencies.iter().cloned().collect();
        for r in &reports {
            if r.record.entries.iter().any(|e| e.assignment == a.id)
                && seen.insert(r.record.agency.clone())
            {
                agencies.push(r.record.agency.clone());
            }
        }
        for ag in agencies {
            let cell = matrix.cell(&ag, period);
            if cell.is_none_or(|c| !c.state.is_expected())
                && !reports.iter().any(|r| r.record.agency == ag)
            {
                continue;
            }
            let report = reports.iter().find(|r| r.record.agency == ag);
            let entry: Option<&ReportEntry> =
                report.and_then(|r| r.record.entries.iter().find(|e| e.assignment == a.id));
            let name = doc.agency_label(&ag);
            match entry {
                Some(e) => {
                    let pc = e.percent.map(|p| format!(", {p}%")).unwrap_or_default();
                    let draft = report
                        .map(|r| enum_str(&r.record.status))
                        .filter(|s| s == "draft" || s == "returned");
                    let note = match draft.as_deref() {
                        Some("draft") => " (báo cáo đang soạn)",
                        Some("returned") => " (báo cáo bị trả lại)",
                        _ => "",
                    };
                    b.push(Block::heading(
                        4,
                        format!("{name}: {}{pc}{note}", status_vi(e.status)),
                    ));
                    for (label, text) in [
                        ("Kết quả:", &e.results),
                        ("Khó khăn, vướng mắc:", &e.difficulties),
                        ("Đề xuất, kiến nghị:", &e.proposals),
                    ] {
                        if !text.trim().is_empty() {
                            b.push(Block::Labeled {
                                label: label.into(),
                                text: text.trim().into(),
                            });
                        }
                    }
                }
                None => {
                    let why = if report.is_some() {
                        "báo cáo không có nội dung về nhiệm vụ này"
                    } else {
                        "chưa báo cáo"
                    };
                    b.push(Block::heading(4, format!("{name}: {why}")));
                }
            }
        }
    }

    // III. Who has not reported.
    b.push(Block::heading(2, "III. CƠ QUAN CHƯA BÁO CÁO"));
    let missing: Vec<String> = matrix
        .rows
        .iter()
        .filter_map(|r| {
            let c = r.cells.iter().find(|c| c.period == period)?;
            match c.state {
                CellState::Missing
                | CellState::Pending
                | CellState::Draft
                | CellState::Returned => Some(format!("{} ({})", r.name, c.state.label(true))),
                _ => None,
            }
        })
        .collect();
    if missing.is_empty() {
        b.push(Block::para("Tất cả cơ quan phải báo cáo đã gửi báo cáo."));
    } else {
        b.push(Block::Bullets { items: missing });
    }
    b
}

pub fn markdown(doc: &PlanDoc<'_>, period: Period, matrix: &Matrix) -> String {
    to_markdown(&blocks(doc, period, matrix))
}

pub fn html(doc: &PlanDoc<'_>, period: Period, matrix: &Matrix) -> String {
    to_html(
        &format!("Báo cáo tổng hợp {period} – {}", doc.plan.id),
        &blocks(doc, period, matrix),
    )
}
