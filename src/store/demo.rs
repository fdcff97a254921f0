//! The demo repository: the sample plan committed step by step by sample staff, so that a new
//! user has a history to look at. The final state is exactly plan-data/.

use std::path::Path;

use git2::{Signature, Time};

use super::commit::Change;
use super::edit::{commit_message, set_in_document};
use super::error::Result;
use super::init::{SAMPLE_DATA, init_repository, support_files, write_files};
use super::layout::{Kind, classify, id_of};
use super::{RecordRef, Store};
use crate::model::fields::diff;

/// A sample person of the demo: name, email.
const LAN: (&str, &str) = ("Trần Thị Lan", "lan.tt@soyte.example.vn");
const TAM: (&str, &str) = ("Lê Minh Tâm", "tam.lm@vpubnd.example.vn");

fn officer(agency: &str) -> (String, String) {
    (format!("Cán bộ {agency}"), format!("{agency}@example.vn"))
}

fn sig(who: (&str, &str), date: &str) -> Signature<'static> {
    let d = crate::model::parse_date(date).expect("demo dates are valid");
    let secs = d
        .at(9, 30, 0, 0)
        .to_zoned_datetime(jiff::tz::TimeZone::fixed(jiff::tz::offset(7)))
        .expect("in range")
        .timestamp()
        .as_second();
    Signature::new(who.0, who.1, &Time::new(secs, 7 * 60)).expect("valid signature")
}

fn sample(path: &str) -> String {
    SAMPLE_DATA
        .iter()
        .find(|(p, _)| *p == path)
        .map(|(_, t)| t.to_string())
        .unwrap_or_default()
}

fn field_value(text: &str, field: &str) -> Option<String> {
    let t: toml::Table = toml::from_str(text).ok()?;
    t.get(field).and_then(|v| v.as_str()).map(String::from)
}

/// Makes the demo repository in `dir` (missing or empty).
pub fn make_demo(dir: &Path) -> Result<Store> {
    init_repository(dir)?;
    let all: Vec<Change> = support_files()
        .into_iter()
        .chain(SAMPLE_DATA.iter().map(|(p, t)| Change {
            path: p.to_string(),
            content: Some(t.to_string()),
        }))
        .collect();
    write_files(dir, &all)?;
    let store = Store::open(dir)?;
    let commit = |changes: &[Change], msg: &str, who: (&str, &str), date: &str| {
        let s = sig(who, date);
        store.commit_as(changes, msg, &s, &s).map(|_| ())
    };
    let of_kind = |k: Kind| -> Vec<Change> {
        SAMPLE_DATA
            .iter()
            .filter(|(p, _)| classify(p) == Some(k))
            .map(|(p, t)| Change {
                path: p.to_string(),
                content: Some(t.to_string()),
            })
            .collect()
    };

    // 1. Settings, schemas and agencies.
    let mut first = support_files();
    first.extend(of_kind(Kind::Config));
    first.extend(of_kind(Kind::Agency));
    let n_agencies = of_kind(Kind::Agency).len();
    commit(
        &first,
        &format!(
            "create repository: settings and {n_agencies} agencies\n\nThe agencies named by the plan, with the district-level committees that ended on 2025-06-30.\n"
        ),
        TAM,
        "2025-04-02",
    )?;

    // 2. The plan, as a draft.
    let plans = of_kind(Kind::Plan);
    for p in &plans {
        let id = id_of(Kind::Plan, &p.path);
        commit(
            std::slice::from_ref(p),
            &format!(
                "create plan {id}: draft\n\nRecord: {}\n",
                store.repo_path(&p.path)
            ),
            LAN,
            "2025-04-08",
        )?;
    }

    // 3. Assignments: those done by now start in progress, and are closed later.
    let assignments = of_kind(Kind::Assignment);
    let mut closed_later = Vec::new();
    let first_version: Vec<Change> = assignments
        .iter()
        .map(|c| {
            let text = c.content.clone().unwrap_or_default();
            if field_value(&text, "status").as_deref() == Some("done") {
                closed_later.push(c.path.clone());
                let t = set_in_document(&text, Kind::Assignment, "status", "in_progress")
                    .expect("sample assignment edits");
                Change {
                    path: c.path.clone(),
                    content: Some(t),
                }
            } else {
                c.clone()
            }
        })
        .collect();
    let mut msg = format!(
        "create assignments: {} duties of section IV\n\nEach duty of the plan's section IV given to its lead agency.\n\n",
        first_version.len()
    );
    for c in &first_version {
        msg.push_str(&format!("Record: {}\n", store.repo_path(&c.path)));
    }
    commit(&first_version, &msg, LAN, "2025-04-15")?;

    // 4. Reports, each sent by its agency; accepted ones are sent as submitted and accepted later.
    let mut reports = of_kind(Kind::Report);
    reports.sort_by_key(|c| {
        let t = c.content.clone().unwrap_or_default();
        field_value(&t, "submitted_on").unwrap_or_else(|| "2025-06-30".into())
    });
    let mut accept_later = Vec::new();
    for c in &reports {
        let text = c.content.clone().unwrap_or_default();
        let agency = field_value(&text, "agency").unwrap_or_default();
        let date = field_value(&text, "submitted_on").unwrap_or_else(|| "2025-06-28".into());
        let status = field_value(&text, "status").unwrap_or_default();
        let first_text = if status == "accepted" {
            accept_later.push((c.path.clone(), date.clone()));
            set_in_document(&text, Kind::Report, "status", "submitted")
                .expect("sample report edits")
        } else {
            text.clone()
        };
        let rr = RecordRef {
            kind: Kind::Report,
            id: id_of(Kind::Report, &c.path),
            path: c.path.clone(),
        };
        let who = officer(&agency);
        let msg = commit_message("create", &rr, &[], &store.repo_path(&c.path));
        commit(
            &[Change {
                path: c.path.clone(),
                content: Some(first_text),
            }],
            &msg,
            (&who.0, &who.1),
            &date,
        )?;
    }

    // 5. Field edits, each its own commit, bringing every record to its sample state.
    let edit = |path: &str, kind: Kind, from: &str, to: &str, date: &str| -> Result<()> {
        let rr = RecordRef {
            kind,
            id: id_of(kind, path),
            path: path.to_string(),
        };
        let old: toml::Table = toml::from_str(from).unwrap_or_default();
        let new: toml::Table = toml::from_str(to).unwrap_or_default();
        let changes = diff(&old, &new);
        let msg = commit_message("update", &rr, &changes, &store.repo_path(path));
        commit(
            &[Change {
                path: path.to_string(),
                content: Some(to.to_string()),
            }],
            &msg,
            LAN,
            date,
        )
    };
    accept_later.sort_by(|a, b| a.1.cmp(&b.1));
    for (path, date) in &accept_later {
        let target = sample(path);
        let before = set_in_document(&target, Kind::Report, "status", "submitted")
            .expect("sample report edits");
        let next = crate::model::parse_date(date)
            .and_then(|d| d.checked_add(jiff::Span::new().days(5)).ok())
            .map(|d| d.to_string())
            .unwrap_or_else(|| date.clone());
        edit(path, Kind::Report, &before, &target, &next)?;
    }
    for path in &closed_later {
        let target = sample(path);
        let before = set_in_document(&target, Kind::Assignment, "status", "in_progress")
            .expect("sample assignment edits");
        edit(path, Kind::Assignment, &before, &target, "2025-12-22")?;
    }
    Ok(store)
}
