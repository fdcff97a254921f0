//! The demo repository: the sample plan committed step by step by sample staff, so that a new
//! user has a history to look at. The final state is exactly plan-data/.

use std::path::Path;

use git2::{Signature, Time};

use super::commit::Change;
use super::edit::{commit_message, set_in_document};
use super::error::Result;
use super::init::{SAMPLE_DATA, all_or_nothing, init_repository, support_files, write_files};
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

/// Makes the demo repository in `dir` (missing or empty); nothing is left there if it fails.
pub fn make_demo(dir: &Path) -> Result<Store> {
    all_or_nothing(dir, || fill(dir))
}

fn fill(dir: &Path) -> Result<Store> {
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

    // 4. Reports sent by their agencies, accepted by the Department of Health a few days later,
    //    and work closed: every event in the order of its date, so that history reads forward.
    enum Event {
        Create {
            path: String,
            text: String,
            who: (String, String),
        },
        Edit {
            path: String,
            kind: Kind,
            before: String,
            after: String,
        },
    }
    let mut events: Vec<(String, Event)> = Vec::new();
    for c in of_kind(Kind::Report) {
        let text = c.content.clone().unwrap_or_default();
        let agency = field_value(&text, "agency").unwrap_or_default();
        let date = field_value(&text, "submitted_on").unwrap_or_else(|| "2025-06-28".into());
        let accepted = field_value(&text, "status").as_deref() == Some("accepted");
        let first = if accepted {
            let sent = set_in_document(&text, Kind::Report, "status", "submitted")
                .expect("sample report edits");
            let on = crate::model::parse_date(&date)
                .and_then(|d| d.checked_add(jiff::Span::new().days(5)).ok())
                .map(|d| d.to_string())
                .unwrap_or_else(|| date.clone());
            events.push((
                on,
                Event::Edit {
                    path: c.path.clone(),
                    kind: Kind::Report,
                    before: sent.clone(),
                    after: text.clone(),
                },
            ));
            sent
        } else {
            text
        };
        events.push((
            date,
            Event::Create {
                path: c.path.clone(),
                text: first,
                who: officer(&agency),
            },
        ));
    }
    for path in &closed_later {
        let target = sample(path);
        let before = set_in_document(&target, Kind::Assignment, "status", "in_progress")
            .expect("sample assignment edits");
        events.push((
            "2025-12-22".into(),
            Event::Edit {
                path: path.clone(),
                kind: Kind::Assignment,
                before,
                after: target,
            },
        ));
    }
    // By date; on the same day a report is sent before it is accepted.
    events.sort_by(|a, b| {
        let rank = |e: &Event| matches!(e, Event::Edit { .. }) as u8;
        (&a.0, rank(&a.1)).cmp(&(&b.0, rank(&b.1)))
    });
    let mut last_date = String::from("2025-04-15");
    for (date, event) in events {
        let change = |path: &str, text: String| Change {
            path: path.to_string(),
            content: Some(text),
        };
        match event {
            Event::Create { path, text, who } => {
                let rr = RecordRef {
                    kind: Kind::Report,
                    id: id_of(Kind::Report, &path),
                    path: path.clone(),
                };
                let msg = commit_message("create", &rr, &[], &store.repo_path(&path));
                commit(&[change(&path, text)], &msg, (&who.0, &who.1), &date)?;
            }
            Event::Edit {
                path,
                kind,
                before,
                after,
            } => {
                let rr = RecordRef {
                    kind,
                    id: id_of(kind, &path),
                    path: path.clone(),
                };
                let old: toml::Table = toml::from_str(&before).unwrap_or_default();
                let new: toml::Table = toml::from_str(&after).unwrap_or_default();
                let msg = commit_message("update", &rr, &diff(&old, &new), &store.repo_path(&path));
                commit(&[change(&path, after)], &msg, LAN, &date)?;
            }
        }
        last_date = date;
    }

    // 5. From here on the review policy holds: changes reach main only through approval.
    let head = store
        .repo()
        .head()?
        .target()
        .map(|o| o.to_string())
        .unwrap_or_default();
    super::init::record_policy_start(&store, &head, &sig(TAM, &last_date))?;
    Ok(store)
}
