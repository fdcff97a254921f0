//! Search: the demo repository's queries through the real binary, the library API the TUI uses,
//! incremental catch-up (commits and uncommitted edits), and recovery of a lost or damaged index.

use std::path::Path;

use kehoach::search::{Freshness, Query, SearchIndex, Update, index_dir};
use kehoach::store::{Kind, Store};

use crate::common::{SAMPLE_PLAN, TestRepo, sample_assignment};

fn store(r: &TestRepo) -> Store {
    Store::open(&r.path()).unwrap()
}

fn ids(index: &SearchIndex, q: &str) -> Vec<String> {
    index
        .search(&Query::parse(q).unwrap(), 1000)
        .unwrap()
        .into_iter()
        .map(|h| h.id)
        .collect()
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

/// Runs `kehoach search ARGS --json` and returns the ids found.
fn cli_ids(r: &TestRepo, args: &[&str]) -> Vec<String> {
    let out = r
        .cmd()
        .arg("search")
        .args(args)
        .arg("--json")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "search {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v.as_array()
        .unwrap()
        .iter()
        .map(|h| h["id"].as_str().unwrap().to_string())
        .collect()
}

/// The assignments of the demo whose text holds a word, by reading the files (the oracle).
fn assignments_where(
    r: &TestRepo,
    pred: impl Fn(&kehoach::model::Assignment) -> bool,
) -> Vec<String> {
    let loaded = store(r).load().unwrap();
    sorted(
        loaded
            .records
            .assignments
            .iter()
            .filter(|a| pred(&a.record))
            .map(|a| a.record.id.clone())
            .collect(),
    )
}

#[test]
fn demo_queries_find_what_staff_look_for() {
    let r = TestRepo::demo();
    // Without diacritics, with them, old-style accent: the same records.
    let tre_em = cli_ids(&r, &["tre", "em", "--limit", "100"]);
    assert_eq!(
        sorted(tre_em.clone()),
        sorted(cli_ids(&r, &["trẻ", "em", "--limit", "100"]))
    );
    assert!(tre_em.contains(&"a05".to_string()), "{tre_em:?}");
    let toa_an = cli_ids(&r, &["toa", "an", "--limit", "100"]);
    assert_eq!(
        sorted(toa_an.clone()),
        sorted(cli_ids(&r, &["toà án", "--limit", "100"]))
    );
    assert!(toa_an.contains(&"tand-tinh".to_string()));
    assert!(toa_an.contains(&"a04".to_string()));
    // The assignment about the family court comes first.
    assert_eq!(cli_ids(&r, &["\"tòa gia đình\""])[0], "a04");
    // A record by its id, first: an assignment, an agency, a district's assignment.
    assert_eq!(cli_ids(&r, &["a04"])[0], "a04");
    assert_eq!(cli_ids(&r, &["so-y-te"])[0], "so-y-te");
    assert_eq!(cli_ids(&r, &["a-3a-bac-binh"])[0], "a-3a-bac-binh");
    // "day manh" finds "Đẩy mạnh" (in the plan's tasks).
    assert!(cli_ids(&r, &["day", "manh"]).contains(&SAMPLE_PLAN.to_string()));
    // What the districts reported on child protection in 2025.
    let reports = cli_ids(&r, &["kind:report", "period:2025", "trẻ", "em"]);
    assert!(!reports.is_empty());
    assert!(
        reports.iter().all(|id| id.starts_with("2025-h")),
        "{reports:?}"
    );
}

#[test]
fn agency_and_status_filters_return_exactly_those_assignments() {
    let r = TestRepo::demo();
    let expected = assignments_where(&r, |a| {
        a.involves("so-y-te") && a.status == kehoach::model::WorkStatus::InProgress
    });
    assert!(!expected.is_empty());
    let got = cli_ids(
        &r,
        &["agency:so-y-te", "status:in_progress", "--limit", "1000"],
    );
    assert_eq!(sorted(got), expected);

    // lead: and agency: differ: a coordinating agency is not a lead.
    let s = store(&r);
    let index = SearchIndex::open(&s).unwrap();
    let coordinated = assignments_where(&r, |a| a.coordinating.iter().any(|c| c == "so-tai-chinh"));
    let led = assignments_where(&r, |a| a.lead == "so-tai-chinh");
    let involved = assignments_where(&r, |a| a.involves("so-tai-chinh"));
    assert!(!coordinated.is_empty() || !led.is_empty());
    assert_eq!(
        sorted(ids(&index, "kind:assignment agency:so-tai-chinh")),
        involved
    );
    assert_eq!(
        sorted(ids(&index, "kind:assignment lead:so-tai-chinh")),
        led
    );
    let bac_binh = assignments_where(&r, |a| a.lead == "ubnd-huyen-bac-binh");
    assert_eq!(sorted(ids(&index, "lead:ubnd-huyen-bac-binh")), bac_binh);

    // kind: and plan:
    let all = assignments_where(&r, |_| true);
    assert_eq!(
        sorted(ids(&index, &format!("kind:assignment plan:{SAMPLE_PLAN}"))),
        all
    );
    assert!(ids(&index, "plan:another-plan").is_empty());
    assert_eq!(ids(&index, "kind:plan"), [SAMPLE_PLAN]);

    // period: a half, and the year that holds it.
    let h2: Vec<String> = std::fs::read_dir(
        r.path()
            .join(format!("plans/{SAMPLE_PLAN}/reports/2025-h2")),
    )
    .unwrap()
    .map(|e| {
        format!(
            "2025-h2/{}",
            e.unwrap()
                .file_name()
                .to_str()
                .unwrap()
                .trim_end_matches(".toml")
        )
    })
    .collect();
    assert_eq!(sorted(ids(&index, "period:2025-h2")), sorted(h2.clone()));
    let year = ids(&index, "period:2025");
    assert!(h2.iter().all(|id| year.contains(id)));
    assert!(year.len() > h2.len());
    assert!(ids(&index, "period:2024").is_empty());

    // due: a date, a range that catches recurring dues, a rule.
    let on_date = assignments_where(&r, |a| a.due.to_string() == "2025-12-31");
    assert_eq!(sorted(ids(&index, "due:2025-12-31")), on_date);
    let continuous = assignments_where(&r, |a| a.due == kehoach::model::Due::Continuous);
    assert_eq!(sorted(ids(&index, "due:continuous")), continuous);
    let in_july = assignments_where(&r, |a| {
        !a.due
            .occurrences_in_year(2025)
            .into_iter()
            .all(|d| d.month() != 7)
    });
    assert_eq!(sorted(ids(&index, "due:2025-07..2025-07")), in_july);
    let before = ids(&index, "due:<2025-12-31");
    assert!(!before.contains(&on_date[0]));
    assert!(ids(&index, "due:<=2025-12-31").contains(&on_date[0]));
    assert!(
        ids(&index, "due:continuous")
            .iter()
            .all(|id| !before.contains(id))
    );

    // Several values are alternatives; -word excludes.
    let open = assignments_where(&r, |a| a.status.is_open());
    assert_eq!(
        sorted(ids(
            &index,
            "kind:assignment status:not_started,in_progress"
        )),
        open
    );
    let with_huyen = ids(&index, "kind:assignment huyện");
    let without = ids(&index, "kind:assignment -huyen");
    assert_eq!(with_huyen.len() + without.len(), all.len());
}

/// Whether `due` falls on a day from `from` to `to` (inclusive; None is open): a date
/// anywhere, a recurring rule in the years recurring dues are searched for (2020–2040) and on
/// or after `since`, the day its plan assigns the work.
fn due_within(
    due: &kehoach::model::Due,
    from: Option<jiff::civil::Date>,
    to: Option<jiff::civil::Date>,
    since: jiff::civil::Date,
) -> bool {
    let inside = |d: &jiff::civil::Date| from.is_none_or(|f| f <= *d) && to.is_none_or(|t| *d <= t);
    match due {
        kehoach::model::Due::On(d) => inside(d),
        rule => (2020..=2040).any(|y| {
            rule.occurrences_in_year(y)
                .iter()
                .any(|d| inside(d) && *d >= since)
        }),
    }
}

#[test]
fn due_filters_agree_with_every_kind_of_due() {
    use kehoach::model::Due;
    let r = TestRepo::sample();
    // Every kind of due, dates in and out of the years rules are searched for; some
    // committed, the last few left as uncommitted edits.
    let dues = [
        "monthly:31",
        "monthly:05",
        "quarterly:03-25",
        "half-yearly:06-20",
        "yearly:02-29",
        "yearly:12-15",
        "2025-12-31",
        "2019-01-01",
        "2041-06-30",
        "continuous",
        "2025-07-01",
    ];
    let loaded = store(&r).load().unwrap();
    let assignments: Vec<String> = loaded
        .records
        .assignments
        .iter()
        .map(|a| a.record.id.clone())
        .collect();
    assert!(assignments.len() > dues.len(), "{}", assignments.len());
    for (i, id) in assignments.iter().enumerate() {
        set_field(&r, id, "due", dues[i % dues.len()]);
        if i == assignments.len() - 4 {
            r.git(&["commit", "-qam", "Set every kind of due"]);
        }
    }
    let index = SearchIndex::open(&store(&r)).unwrap();
    let plans = &loaded.records.plans;
    assert_eq!(plans.len(), 1);
    let since = plans[0].record.assigns_work_on();
    assert_eq!(since.to_string(), "2025-04-01");
    // The filter's value, and the first and last day it means ("" is open).
    let ranges = [
        ("<2025-12-31", "", "2025-12-30"),
        // Before the plan assigns its work: its dates only, no recurring rule.
        ("2025-01..2025-03", "2025-01-01", "2025-03-31"),
        ("2025-03-25..2025-04-05", "2025-03-25", "2025-04-05"),
        ("<=2025-12-31", "", "2025-12-31"),
        (">2025-12-31", "2026-01-01", ""),
        ("2025-07..2025-07", "2025-07-01", "2025-07-31"),
        ("2028-02-29", "2028-02-29", "2028-02-29"),
        ("2026-02-28", "2026-02-28", "2026-02-28"),
        ("2026-q1", "2026-01-01", "2026-03-31"),
        ("2019", "2019-01-01", "2019-12-31"),
        (">=2040-12", "2040-12-01", ""),
        ("2041", "2041-01-01", "2041-12-31"),
    ];
    let date = |s: &str| (!s.is_empty()).then(|| s.parse::<jiff::civil::Date>().unwrap());
    for (value, from, to) in ranges {
        let (from, to) = (date(from), date(to));
        let want = assignments_where(&r, |a| due_within(&a.due, from, to, since));
        let q = format!("kind:assignment due:{value}");
        assert_eq!(sorted(ids(&index, &q)), want, "{q}");
        if value == "2025-01..2025-03" {
            // Rules fall there, but before the plan assigns the work: none count.
            let before = jiff::civil::Date::constant(2020, 1, 1);
            assert!(!assignments_where(&r, |a| due_within(&a.due, from, to, before)).is_empty());
            assert!(want.is_empty(), "{want:?}");
            continue;
        }
        assert!(
            !want.is_empty() || value == "2019",
            "{q} finds none: a weak check"
        );
    }
    drop(index);

    // The plan's date moved earlier, and caught up with: the rules count from the new day (the
    // plan's old record, deleted but still in its segment, is not read for it).
    let plan_path = format!("plans/{SAMPLE_PLAN}/plan.toml");
    let text = r.read(&plan_path);
    assert!(text.contains("\ndate = \"2025-04\"\n"));
    r.write(
        &plan_path,
        &text.replace("\ndate = \"2025-04\"\n", "\ndate = \"2024-01\"\n"),
    );
    r.git(&["commit", "-qam", "The plan was issued earlier"]);
    let index = SearchIndex::open(&store(&r)).unwrap();
    assert!(matches!(index.update(), Update::CaughtUp { .. }));
    assert!(index.segments() > 1, "{}", index.segments());
    let earlier = jiff::civil::Date::constant(2024, 1, 1);
    for (value, from, to) in [
        ("2025-01..2025-03", "2025-01-01", "2025-03-31"),
        ("2024-q3", "2024-07-01", "2024-09-30"),
    ] {
        let (from, to) = (date(from), date(to));
        let want = assignments_where(&r, |a| due_within(&a.due, from, to, earlier));
        assert!(!want.is_empty(), "{value}");
        let q = format!("kind:assignment due:{value}");
        assert_eq!(sorted(ids(&index, &q)), want, "{q}");
    }

    // A rule's name is how its dues are written: `monthly:31`, `continuous`.
    let is = |due: &Due, rule: &str| {
        let written = due.to_string();
        written == rule || written.starts_with(&format!("{rule}:"))
    };
    for rule in [
        "continuous",
        "yearly",
        "half-yearly",
        "quarterly",
        "monthly",
    ] {
        let want = assignments_where(&r, |a| is(&a.due, rule));
        assert!(!want.is_empty(), "{rule}");
        assert_eq!(sorted(ids(&index, &format!("due:{rule}"))), want, "{rule}");
    }
    assert_eq!(
        sorted(ids(&index, "due:monthly,quarterly")),
        assignments_where(&r, |a| matches!(
            a.due,
            Due::Monthly { .. } | Due::Quarterly { .. }
        ))
    );
}

#[test]
fn a_filter_with_a_minus_leaves_out_the_records_it_matches() {
    let r = TestRepo::demo();
    let all = sorted(cli_ids(&r, &["tòa án", "--limit", "1000"]));
    let agencies = sorted(cli_ids(&r, &["tòa án", "kind:agency", "--limit", "1000"]));
    assert!(!agencies.is_empty() && agencies.len() < all.len());
    let without = sorted(cli_ids(&r, &["tòa án", "-kind:agency", "--limit", "1000"]));
    let mut both = [without.clone(), agencies].concat();
    both.sort();
    assert_eq!(both, all);
    assert_eq!(
        without,
        sorted(cli_ids(
            &r,
            &["tòa án", "kind:plan,assignment,report", "--limit", "1000"]
        ))
    );
    // Alone: every record but those.
    let not_done = cli_ids(&r, &["kind:assignment", "-status:done", "--limit", "1000"]);
    let done = cli_ids(&r, &["kind:assignment", "status:done", "--limit", "1000"]);
    assert!(!done.is_empty() && !not_done.is_empty());
    assert!(not_done.iter().all(|id| !done.contains(id)));
    assert_eq!(
        not_done.len() + done.len(),
        cli_ids(&r, &["kind:assignment", "--limit", "1000"]).len()
    );
    // An excluded agency that does not exist is said so.
    let out = r
        .cmd()
        .args(["search", "tòa án", "-agency:so-y-tee"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("there is no agency so-y-tee"));
}

#[test]
fn query_errors_are_explained() {
    let r = TestRepo::demo();
    let out = r
        .cmd()
        .args(["search", "trẻ", "em", "stauts:in_progress"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unknown filter \"stauts\""), "{err}");
    assert!(
        err.contains("kind: plan: agency: lead: status: period: due:"),
        "{err}"
    );
    assert!(err.contains("did you mean status:?"), "{err}");

    let out = r.cmd().args(["search", "status:doing"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("in_progress"), "{err}");

    let out = r.cmd().args(["search", "due:soon"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("2025-01..2025-06"));

    // A value a typo away is named.
    let err = |args: &[&str]| {
        let out = r.cmd().arg("search").args(args).output().unwrap();
        assert!(!out.status.success(), "{args:?}");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    assert!(err(&["kind:assigment"]).contains("did you mean assignment?"));
    assert!(err(&["status:in_progres"]).contains("did you mean in_progress?"));
    // An agency or plan that does not exist is said so, not just "nothing found".
    let e = err(&["agency:so-y-tee", "status:in_progress"]);
    assert!(e.contains("there is no agency so-y-tee"), "{e}");
    assert!(e.contains("did you mean agency:so-y-te?"), "{e}");
    let e = err(&["lead:so-tai-chin"]);
    assert!(e.contains("did you mean lead:so-tai-chinh?"), "{e}");
    let e = err(&["plan:kh-27", "trẻ", "em"]);
    assert!(e.contains("there is no plan kh-27"), "{e}");
    assert!(
        e.contains("did you mean plan:kh-27-qd-ttg-binh-thuan?"),
        "{e}"
    );

    // A limit of no records, and a word too long to have been indexed.
    assert!(err(&["trẻ", "em", "--limit", "0"]).contains("at least 1"));
    let long = "a".repeat(200);
    assert!(err(&["trẻ", &long]).contains("is too long to search for"));
    // Signs alone are named, escaped like all data shown on the terminal.
    let e = err(&["🙂 \u{1b}[ !"]);
    assert!(e.contains("nothing to search for in “🙂 \\x1b[ !”"), "{e}");

    // Text that looks like syntax is searched as words.
    assert!(!cli_ids(&r, &["Lao động - Thương binh"]).is_empty());
    assert!(!cli_ids(&r, &["tỉnh: Bình Thuận"]).is_empty());
}

#[test]
fn output_marks_matches_on_multibyte_text() {
    let r = TestRepo::demo();
    let out = r
        .cmd()
        .args(["search", "tòa", "án", "--limit", "3"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("[Tòa] [án]"), "{text}");
    assert!(text.contains("agency tand-tinh"), "{text}");
    assert!(text.contains("agencies/tand-tinh.toml"), "{text}");

    let out = r
        .cmd()
        .args(["search", "toa", "an", "--json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for hit in v.as_array().unwrap() {
        for field in ["kind", "id", "title", "path", "score", "snippet"] {
            assert!(!hit[field].is_null(), "{field} missing in {hit}");
        }
        let pieces = hit["snippet"].as_array().unwrap();
        for p in pieces.iter().filter(|p| p["highlight"] == true) {
            let t = p["text"].as_str().unwrap();
            let folded = kehoach::search::analyzer::fold(t);
            assert!(folded == "toa" || folded == "an", "{t}");
        }
    }

    // Nothing found: exit 1 and a message.
    let out = r.cmd().args(["search", "zzzkhongco"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no record matches"));
}

fn agency(id: &str, name: &str) -> String {
    format!(
        "#:schema ../schemas/agency.schema.json\n\nid = \"{id}\"\nname = \"{name}\"\nkind = \"other\"\n"
    )
}

fn agency_with_notes(id: &str, name: &str, notes: &str) -> String {
    format!("{}notes = \"{notes}\"\n", agency(id, name))
}

#[test]
fn words_typed_with_diacritics_rank_first_in_the_text_too() {
    let r = TestRepo::sample();
    // The word only in the notes (the text), never in the name (the title).
    let notes = [
        ("x-n1", "Ghi chú: ba lô, ba lô, ba lô cho học sinh"),
        ("x-n2", "Ghi chú: bá chủ một vùng"),
        ("x-n3", "Ghi chú: bà con ở xóm trên"),
        // Both forms: the form typed is there once, among others.
        ("x-n4", "Ghi chú: ba ba ba bá bá, bà"),
        ("x-n5", "Ghi chú: đường làng và dương liễu"),
        ("x-n6", "Ghi chú: dường như, đương nhiên"),
    ];
    for (id, text) in notes {
        r.write(
            &format!("agencies/{id}.toml"),
            &agency_with_notes(id, &format!("Hội {id}"), text),
        );
    }
    r.git(&["add", "-A"]);
    r.git(&["commit", "-qm", "Add agencies"]);
    let s = store(&r);
    let index = SearchIndex::open(&s).unwrap();
    let first_two = |q: &str| -> Vec<String> {
        let mut got = ids(&index, q);
        assert!(got.len() >= 2, "{q}: {got:?}");
        got.truncate(2);
        got.sort();
        got
    };
    // Every note says "ghi chú", which no other record does.
    assert_eq!(first_two("bà ghi chú"), ["x-n3", "x-n4"]);
    assert_eq!(first_two("bá ghi chú"), ["x-n2", "x-n4"]);
    // Typed without diacritics: every form, by BM25 (those that say it most first).
    assert_eq!(first_two("ba ghi chú"), ["x-n1", "x-n4"]);
    assert_eq!(ids(&index, "ba ghi chú").len(), 4);
    // đ and the vowels' shapes count as the tone does.
    assert_eq!(ids(&index, "đường ghi chú")[0], "x-n5");
    assert_eq!(ids(&index, "dương ghi chú")[0], "x-n5");
    assert_eq!(ids(&index, "đương ghi chú")[0], "x-n6");
    assert_eq!(ids(&index, "dường ghi chú")[0], "x-n6");
    // Phrases: next to each other in the text, in any form; counted and left out as such.
    assert_eq!(ids(&index, "\"bá bà\""), ["x-n4"]);
    assert_eq!(ids(&index, "\"bà xóm\""), Vec::<String>::new());
    assert_eq!(ids(&index, "\"bà con\"")[0], "x-n3");
    let count = |q: &str| index.count(&Query::parse(q).unwrap()).unwrap();
    assert_eq!(count("\"ba lo\" ghi chú"), 1);
    assert_eq!(count("ba ghi chú -\"bá chủ\""), 3);
    // The name and the notes are parts of their own: a phrase does not run from one into
    // the next.
    assert_eq!(count("\"x n1 ghi chu\""), 0);
    assert_eq!(count("\"hoi x n1\""), 1);
}

#[test]
fn exact_diacritics_rank_first_and_accent_styles_meet() {
    let r = TestRepo::sample();
    r.write("agencies/x-ba.toml", &agency("x-ba", "Hội ba lô"));
    r.write("agencies/x-ba2.toml", &agency("x-ba2", "Hội bá chủ"));
    r.write("agencies/x-ba3.toml", &agency("x-ba3", "Hội bà con"));
    // Old-style accent and decomposed (NFD) text, as some input methods send it.
    r.write(
        "agencies/x-hoa.toml",
        &agency("x-hoa", "Hội hoà giải thuỷ lợi"),
    );
    r.write(
        "agencies/x-hoa2.toml",
        &agency("x-hoa2", "Hội hóa giải thủy lực"),
    );
    r.git(&["add", "-A"]);
    r.git(&["commit", "-qm", "Add agencies"]);
    let s = store(&r);
    let index = SearchIndex::open(&s).unwrap();
    let bà = ids(&index, "bà kind:agency");
    assert_eq!(bà[0], "x-ba3", "{bà:?}");
    assert!(bà.contains(&"x-ba".to_string()) && bà.contains(&"x-ba2".to_string()));
    assert_eq!(ids(&index, "bá kind:agency")[0], "x-ba2");
    let ba = ids(&index, "ba kind:agency");
    assert!(
        ["x-ba", "x-ba2", "x-ba3"]
            .iter()
            .all(|x| ba.contains(&x.to_string()))
    );
    // hòa/hoà, thủy/thuỷ, in NFC or NFD: the exact form matches both ways.
    use unicode_normalization::UnicodeNormalization;
    for q in [
        "hòa giải thủy lợi",
        "hoà giải thuỷ lợi",
        "thủy lợi",
        "thuỷ lợi",
    ] {
        assert_eq!(ids(&index, &format!("\"{q}\"")), ["x-hoa"], "{q}");
        assert_eq!(ids(&index, q)[0], "x-hoa", "{q}");
        let nfd: String = q.nfd().collect();
        assert_eq!(ids(&index, &format!("\"{nfd}\"")), ["x-hoa"], "{q} in NFD");
    }
    // The tone typed decides the order, whichever placement either side uses.
    assert_eq!(ids(&index, "hòa kind:agency"), ["x-hoa", "x-hoa2"]);
    assert_eq!(ids(&index, "hoá kind:agency"), ["x-hoa2", "x-hoa"]);
    let hit = &index.search(&Query::parse("hòa").unwrap(), 1).unwrap()[0];
    assert_eq!(hit.kind, Kind::Agency);
    assert!(hit.score > 0.0);
}

#[test]
fn text_and_queries_pasted_with_invisible_characters_are_found_by_what_they_show() {
    let r = TestRepo::sample();
    // A soft hyphen and a zero-width joiner inside words, a direction mark after one.
    r.write(
        "agencies/x-inv.toml",
        &agency(
            "x-inv",
            "Hội bảo v\u{00AD}ệ tr\u{200D}ẻ em\u{200F} miền núi",
        ),
    );
    r.git(&["add", "-A"]);
    r.git(&["commit", "-qm", "Add an agency"]);
    let index = SearchIndex::open(&store(&r)).unwrap();
    for q in [
        "bảo vệ trẻ em miền núi",
        "bao ve tre em mien nui",
        "\"vệ trẻ em miền\"",
        // The query pasted with them too: a direction override and a byte order mark.
        "\u{FEFF}bảo v\u{202E}ệ trẻ\u{00AD} em miền núi",
    ] {
        assert_eq!(ids(&index, &format!("{q} kind:agency")), ["x-inv"], "{q:?}");
    }
    // Shown as written, the direction mark escaped (the title is checked for what it holds).
    let out = r
        .cmd()
        .args(["search", "miền núi", "kind:agency"])
        .output()
        .unwrap();
    let out = String::from_utf8(out.stdout).unwrap();
    assert!(out.contains("<U+200F>"), "{out}");
    assert!(!out.contains('\u{200F}'), "{out}");
}

/// Writes a string field of an assignment of the sample plan (not committed).
fn set_field(r: &TestRepo, id: &str, field: &str, value: &str) {
    let rel = sample_assignment(id);
    let text = r.read(&rel);
    let line = text
        .lines()
        .find(|l| l.starts_with(&format!("{field} = ")))
        .unwrap()
        .to_string();
    r.write(
        &rel,
        &text.replace(&line, &format!("{field} = \"{value}\"")),
    );
}

fn index_quick(s: &Store) -> SearchIndex {
    SearchIndex::open_with(s, Freshness::Quick).unwrap()
}

fn set_title(r: &TestRepo, id: &str, title: &str) {
    set_field(r, id, "title", title);
}

#[test]
fn index_catches_up_with_commits_and_uncommitted_edits() {
    let r = TestRepo::sample();
    let s = store(&r);
    let index = SearchIndex::open(&s).unwrap();
    assert!(matches!(index.update(), Update::Rebuilt { .. }));
    let n = index.len();
    assert!(n > 50);
    assert_eq!(index.commit(), Some(r.git(&["rev-parse", "HEAD"]).trim()));
    drop(index);
    assert_eq!(SearchIndex::open(&s).unwrap().update(), &Update::UpToDate);

    // A commit: only the changed record is re-read.
    set_title(&r, "a02", "Chăm sóc sức khỏe chim cánh cụt");
    r.git(&["commit", "-qam", "Rename a02"]);
    let index = SearchIndex::open(&s).unwrap();
    assert_eq!(index.update(), &Update::CaughtUp { records: 1 });
    assert_eq!(ids(&index, "chim canh cut"), ["a02"]);
    assert_eq!(index.len(), n);
    drop(index);

    // An edit not yet committed is found; the index says so.
    set_title(&r, "a03", "Nuôi dưỡng cá voi xanh");
    let index = SearchIndex::open(&s).unwrap();
    assert_eq!(index.update(), &Update::CaughtUp { records: 1 });
    assert_eq!(ids(&index, "ca voi xanh"), ["a03"]);
    assert_eq!(index.uncommitted(), [sample_assignment("a03").as_str()]);
    drop(index);
    assert_eq!(SearchIndex::open(&s).unwrap().update(), &Update::UpToDate);

    // Same size, written right after the index looked (the same clock tick): still seen.
    let rel = sample_assignment("a03");
    r.write(&rel, &r.read(&rel).replace("cá voi xanh", "cá voi xanb"));
    let index = SearchIndex::open(&s).unwrap();
    assert_eq!(ids(&index, "ca voi xanb"), ["a03"]);
    drop(index);
    r.write(&rel, &r.read(&rel).replace("cá voi xanb", "cá voi xanh"));
    let index = SearchIndex::open(&s).unwrap();
    assert_eq!(ids(&index, "ca voi xanh"), ["a03"]);
    drop(index);

    // A quick open sees files created (or saved by rename) at once; an edit written in place
    // waits for an exact open.
    let index = SearchIndex::open_with(&s, Freshness::Quick).unwrap();
    assert_eq!(index.update(), &Update::UpToDate);
    drop(index);
    r.write(
        "agencies/x-moi.toml",
        &agency("x-moi", "Hội chim cánh cụt mới"),
    );
    let index = SearchIndex::open_with(&s, Freshness::Quick).unwrap();
    assert_eq!(ids(&index, "moi kind:agency"), ["x-moi"]);
    drop(index);
    std::fs::remove_file(r.path().join("agencies/x-moi.toml")).unwrap();
    let index = SearchIndex::open_with(&s, Freshness::Quick).unwrap();
    assert!(ids(&index, "moi kind:agency").is_empty());
    drop(index);
    // A committed record deleted from the work tree, then put back as committed.
    let a05 = r.read(&sample_assignment("a05"));
    let uncommitted = |index: &SearchIndex| -> Vec<String> {
        let u = index.uncommitted().into_iter();
        u.filter(|p| p.ends_with("/a05.toml"))
            .map(String::from)
            .collect()
    };
    assert_eq!(ids(&index_quick(&s), "truy to kind:assignment"), ["a05"]);
    std::fs::remove_file(r.path().join(sample_assignment("a05"))).unwrap();
    let index = index_quick(&s);
    assert!(ids(&index, "truy to kind:assignment").is_empty());
    assert_eq!(uncommitted(&index), [sample_assignment("a05")]);
    drop(index);
    r.write(&sample_assignment("a05"), &a05);
    let index = index_quick(&s);
    assert_eq!(ids(&index, "truy to kind:assignment"), ["a05"]);
    assert!(uncommitted(&index).is_empty());
    drop(index);

    // A new file, not yet added, and a deleted one.
    let mut text = r.read(&sample_assignment("a03"));
    text = text.replace("id = \"a03\"", "id = \"a99\"");
    r.write(&sample_assignment("a99"), &text);
    std::fs::remove_file(r.path().join(sample_assignment("a02"))).unwrap();
    let index = SearchIndex::open(&s).unwrap();
    assert_eq!(sorted(ids(&index, "ca voi xanh")), ["a03", "a99"]);
    assert!(ids(&index, "chim canh cut").is_empty());
    assert_eq!(index.len(), n);
    drop(index);

    // Edits dropped: back to the commit's records.
    r.git(&["checkout", "--", "."]);
    std::fs::remove_file(r.path().join(sample_assignment("a99"))).unwrap();
    let index = SearchIndex::open(&s).unwrap();
    assert!(ids(&index, "ca voi xanh").is_empty());
    assert_eq!(ids(&index, "chim canh cut"), ["a02"]);
    assert!(index.uncommitted().is_empty());
    drop(index);

    // A commit made by kehoach itself, through the CLI.
    let out = r
        .cmd()
        .args(["set", "a01", "title", "Điều phối chung kế hoạch hải đăng"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(cli_ids(&r, &["hai dang"]), ["a01"]);

    // History rewritten under the index (the indexed commit is gone): rebuilt, still right.
    r.git(&["reset", "-q", "--hard", "HEAD~2"]);
    r.git(&["reflog", "expire", "--expire=now", "--all"]);
    r.git(&["gc", "-q", "--prune=now"]);
    let index = SearchIndex::open(&s).unwrap();
    assert!(ids(&index, "chim canh cut").is_empty());
    assert!(ids(&index, "hai dang").is_empty());
    assert_eq!(index.len(), n);
}

/// The files of the index folder that no segment of its meta.json names, nor tantivy keeps.
fn stray_index_files(dir: &Path) -> Vec<String> {
    let meta: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("meta.json")).unwrap()).unwrap();
    let mut living = vec!["meta.json".to_string()];
    for seg in meta["segments"].as_array().unwrap() {
        let id = seg["segment_id"].as_str().unwrap().replace('-', "");
        for ext in ["fast", "fieldnorm", "idx", "pos", "store", "term"] {
            living.push(format!("{id}.{ext}"));
        }
        if let Some(opstamp) = seg["deletes"]["opstamp"].as_u64() {
            living.push(format!("{id}.{opstamp}.del"));
        }
    }
    let mut stray: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|f| !f.starts_with('.') && !living.contains(f))
        .collect();
    stray.sort();
    stray
}

#[test]
fn catch_ups_leave_what_a_build_would_make_and_no_file_behind() {
    let r = TestRepo::sample();
    let s = store(&r);
    SearchIndex::open(&s).unwrap();
    let queries = [
        "chim canh cut",
        "ca voi",
        "trẻ em",
        "kind:agency",
        "kind:assignment tòa án",
        "status:in_progress",
    ];
    let assignments: Vec<String> = (1..=6).map(|i| format!("a0{i}")).collect();
    for round in 0..24usize {
        // Renamed, removed, added back, some committed, some left in the work tree.
        let id = &assignments[round % assignments.len()];
        match round % 4 {
            0 => set_title(&r, id, &format!("Chăm sóc chim cánh cụt, lần {round}")),
            1 => set_title(&r, id, &format!("Nuôi cá voi, lần {round}")),
            2 => r.write(
                &format!("agencies/x-{round}.toml"),
                &agency(&format!("x-{round}"), "Hội chim cánh cụt"),
            ),
            _ => {
                let _ =
                    std::fs::remove_file(r.path().join(format!("agencies/x-{}.toml", round - 1)));
            }
        }
        if round % 3 != 2 {
            r.git(&["add", "-A"]);
            r.git(&[
                "commit",
                "-q",
                "--allow-empty",
                "-m",
                &format!("Round {round}"),
            ]);
        }
        let index = SearchIndex::open(&s).unwrap();
        assert!(
            matches!(index.update(), Update::CaughtUp { .. }),
            "round {round}: {:?}",
            index.update()
        );
        let fresh = SearchIndex::in_memory(&s).unwrap();
        assert_eq!(index.len(), fresh.len(), "round {round}");
        for q in queries {
            assert_eq!(
                sorted(ids(&index, q)),
                sorted(ids(&fresh, q)),
                "round {round}: {q}"
            );
        }
        // The small segments catching up leaves are merged as they pile up.
        assert!(
            index.segments() <= 10,
            "round {round}: {}",
            index.segments()
        );
        assert!(index.verify().unwrap().is_empty());
        drop(index);
        assert_eq!(
            stray_index_files(&index_dir(&s)),
            Vec::<String>::new(),
            "round {round}"
        );
    }
}

#[test]
fn after_edits_undone_scores_are_those_of_a_fresh_build() {
    let r = TestRepo::sample();
    let s = store(&r);
    SearchIndex::open(&s).unwrap();
    let path = sample_assignment("a05");
    let original = r.read(&path);
    // Edited and committed again and again, then put back as it was.
    for round in 0..5 {
        set_title(&r, "a05", &format!("Truy tố thân thiện, lần {round}"));
        r.git(&["commit", "-qam", "Retitle a05"]);
        SearchIndex::open(&s).unwrap();
    }
    r.write(&path, &original);
    r.git(&["commit", "-qam", "Put a05 back"]);
    let index = SearchIndex::open(&s).unwrap();
    assert!(matches!(index.update(), Update::CaughtUp { .. }));
    let fresh = SearchIndex::in_memory(&s).unwrap();
    let scored = |ix: &SearchIndex, q: &str| -> Vec<(String, f32)> {
        ix.search(&Query::parse(q).unwrap(), 10)
            .unwrap()
            .into_iter()
            .map(|h| (h.id, h.score))
            .collect()
    };
    // The same records in the same order, scored alike: within 5 % (tantivy estimates the
    // number of words of a segment written again from its records' lengths, which it stores
    // rounded: 2.6 % off for the plan, the longest record), where the deleted versions left in
    // the statistics made 11 % (a05: 18.8 against 21.1), more with every edit.
    for q in ["truy tố", "trẻ em", "thân thiện", "tòa án nhân dân"] {
        let (got, want) = (scored(&index, q), scored(&fresh, q));
        let ids = |v: &[(String, f32)]| v.iter().map(|h| h.0.clone()).collect::<Vec<_>>();
        assert_eq!(ids(&got), ids(&want), "{q}");
        for ((id, a), (_, b)) in got.iter().zip(&want) {
            assert!((a - b).abs() <= 0.05 * b, "{q}: {id} {a} against {b}");
        }
    }
}

#[test]
fn a_catch_up_interrupted_half_way_is_cleaned_up_by_the_next() {
    let r = TestRepo::sample();
    let s = store(&r);
    SearchIndex::open(&s).unwrap();
    // What a catch-up stopped before meta.json leaves: a deletion file of the next number,
    // already in tantivy's list of its files.
    let dir = index_dir(&s);
    let meta: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("meta.json")).unwrap()).unwrap();
    let id = meta["segments"][0]["segment_id"]
        .as_str()
        .unwrap()
        .replace('-', "");
    let next = meta["opstamp"].as_u64().unwrap() + 1;
    let left = format!("{id}.{next}.del");
    std::fs::write(dir.join(&left), b"half").unwrap();
    let managed = dir.join(".managed.json");
    let mut files: Vec<String> =
        serde_json::from_str(&std::fs::read_to_string(&managed).unwrap()).unwrap();
    files.push(left.clone());
    std::fs::write(&managed, serde_json::to_string(&files).unwrap()).unwrap();

    set_title(&r, "a02", "Chăm sóc sức khỏe chim cánh cụt");
    r.git(&["commit", "-qam", "Rename a02"]);
    let index = SearchIndex::open(&s).unwrap();
    assert_eq!(index.update(), &Update::CaughtUp { records: 1 });
    assert_eq!(ids(&index, "chim canh cut"), ["a02"]);
    assert!(index.verify().unwrap().is_empty());
    drop(index);
    assert_eq!(stray_index_files(&dir), Vec::<String>::new());
}

fn corrupt_every_file(dir: &Path) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_file() && !p.to_string_lossy().ends_with(".lock") {
            let len = std::fs::metadata(&p).unwrap().len() as usize;
            std::fs::write(&p, vec![0x5a; len.max(1)]).unwrap();
        }
    }
}

/// Where the record option of the postings of the title's exact-form field is written in the
/// index's meta.json, and what it says.
fn exact_field_record(meta: &str) -> (usize, &str) {
    let field = meta
        .find("\"title_x\"")
        .expect("the title's exact-form field");
    let key = "\"record\": \"";
    let at = field + meta[field..].find(key).expect("its record option") + key.len();
    let len = meta[at..].find('"').expect("a closing quote");
    (at, &meta[at..at + len])
}

#[test]
fn deleted_or_corrupt_index_is_rebuilt() {
    let r = TestRepo::sample();
    let s = store(&r);
    let n = SearchIndex::open(&s).unwrap().len();
    let dir = index_dir(&s);
    assert!(dir.join("meta.json").is_file());

    // Deleted.
    std::fs::remove_dir_all(&dir).unwrap();
    let index = SearchIndex::open(&s).unwrap();
    assert!(matches!(index.update(), Update::Rebuilt { reason } if reason.contains("no index")));
    assert_eq!(index.len(), n);
    drop(index);

    // Every file overwritten.
    corrupt_every_file(&dir);
    let index = SearchIndex::open(&s).unwrap();
    assert!(
        matches!(index.update(), Update::Rebuilt { .. }),
        "{:?}",
        index.update()
    );
    assert_eq!(index.len(), n);
    assert!(!ids(&index, "tre em").is_empty());
    drop(index);

    // One segment file cut short, found by a search (which opens quickly): rebuilt, and the
    // search answered.
    let idx = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "idx"))
        .unwrap();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&idx)
        .unwrap()
        .set_len(100)
        .unwrap();
    assert!(!cli_ids(&r, &["tre em"]).is_empty());
    let index = SearchIndex::open(&s).unwrap();
    assert_eq!(index.update(), &Update::UpToDate);
    assert!(index.verify().unwrap().is_empty());
    drop(index);

    // Made with other field options under the same format number: not trusted, rebuilt.
    let meta = std::fs::read_to_string(dir.join("meta.json")).unwrap();
    let (at, record) = exact_field_record(&meta);
    assert_eq!(record, "freq");
    let changed = format!("{}basic{}", &meta[..at], &meta[at + record.len()..]);
    std::fs::write(dir.join("meta.json"), changed).unwrap();
    let index = SearchIndex::open(&s).unwrap();
    assert!(
        matches!(index.update(), Update::Rebuilt { reason }
            if reason == "the index was made by another version (its fields differ)"),
        "{:?}",
        index.update()
    );
    assert_eq!(index.len(), n);
    drop(index);
    let meta = std::fs::read_to_string(dir.join("meta.json")).unwrap();
    assert_eq!(exact_field_record(&meta).1, "freq");

    // meta.json cut short.
    std::fs::write(dir.join("meta.json"), "{\"segments\": [").unwrap();
    let index = SearchIndex::open(&s).unwrap();
    assert!(matches!(index.update(), Update::Rebuilt { .. }));
    assert_eq!(index.len(), n);
    drop(index);

    // One byte flipped inside a segment file: `kehoach index --check` finds it and rebuilds.
    let biggest = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "store" || e == "idx"))
        .max_by_key(|p| std::fs::metadata(p).unwrap().len())
        .unwrap();
    let mut bytes = std::fs::read(&biggest).unwrap();
    let mid = bytes.len() / 3;
    bytes[mid] ^= 0xff;
    std::fs::write(&biggest, bytes).unwrap();
    let out = r.cmd().args(["index", "--check"]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("damaged"), "{text}");
    let index = SearchIndex::open(&s).unwrap();
    assert!(index.verify().unwrap().is_empty());
    assert_eq!(index.len(), n);

    // Stale lock files left by a process that died do not block anyone.
    std::fs::write(dir.join(".tantivy-writer.lock"), "").unwrap();
    std::fs::write(s.git_dir().join("kehoach/search.lock"), "").unwrap();
    set_title(&r, "a02", "Chăm sóc sức khỏe chim cánh cụt");
    r.git(&["commit", "-qam", "Rename a02"]);
    assert_eq!(cli_ids(&r, &["chim canh cut"]), ["a02"]);

    // What a build stopped half way (or a swap) left beside the index goes with the next build.
    let kehoach_dir = s.git_dir().join("kehoach");
    std::fs::create_dir_all(kehoach_dir.join("search.new-999999")).unwrap();
    std::fs::write(kehoach_dir.join("search.new-999999/meta.json"), "{").unwrap();
    std::fs::write(kehoach_dir.join("search.old-999998"), "x").unwrap();
    let out = r.cmd().args(["index", "--rebuild"]).output().unwrap();
    assert!(out.status.success());
    let mut left: Vec<String> = std::fs::read_dir(&kehoach_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("search."))
        .collect();
    left.sort();
    assert_eq!(
        left,
        ["search.dirs", "search.lock", "search.snap", "search.stats"]
    );

    // `kehoach index --rebuild` forces it.
    let out = r.cmd().args(["index", "--rebuild"]).output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("rebuilt (asked for)"), "{text}");
    assert!(text.contains(&format!("{n} records")), "{text}");
}

#[test]
fn index_lives_under_git_dir_and_leaves_the_work_tree_clean() {
    let r = TestRepo::sample();
    let out = r.cmd().args(["search", "trẻ", "em"]).output().unwrap();
    assert!(out.status.success());
    assert!(r.path().join(".git/kehoach/search/meta.json").is_file());
    assert_eq!(r.git(&["status", "--porcelain"]), "");
}

#[test]
fn a_file_where_the_index_folder_goes_is_named_with_what_to_do() {
    let r = TestRepo::sample();
    std::fs::write(r.path().join(".git/kehoach"), "").unwrap();
    for args in [&["search", "trẻ em"][..], &["index"][..]] {
        let out = r.cmd().args(args).output().unwrap();
        assert!(!out.status.success(), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(".git/kehoach is not a folder (kehoach keeps its search index"),
            "{args:?}: {err}"
        );
        assert!(err.contains("hint: move "), "{args:?}: {err}");
        assert!(
            err.contains("out of the way; kehoach makes the folder again"),
            "{err}"
        );
    }
    // Moved away: search works again.
    std::fs::remove_file(r.path().join(".git/kehoach")).unwrap();
    let out = r.cmd().args(["search", "trẻ em"]).output().unwrap();
    assert!(out.status.success());
}

/// Every record of the work tree whose words (folded) hold `phrase` in a row: the oracle for
/// phrase queries, read from the files with the same analysis.
fn records_with_phrase(r: &TestRepo, phrase: &[&str]) -> Vec<String> {
    use kehoach::search::RecordDoc;
    use kehoach::search::analyzer::words;
    let s = store(r);
    let head = s.head_commit_id().unwrap().unwrap();
    let mut out = Vec::new();
    for e in s.record_entries(&head).unwrap() {
        let bytes = std::fs::read(r.path().join(&e.path)).unwrap();
        let Some(doc) = RecordDoc::from_file(&e.path, &bytes) else {
            continue;
        };
        let holds = |text: &str| {
            let folded: Vec<String> = words(text).into_iter().map(|w| w.folded).collect();
            folded
                .windows(phrase.len())
                .any(|w| w.iter().zip(phrase).all(|(a, b)| a == b))
        };
        if holds(&doc.title) || holds(&doc.text) {
            out.push(doc.path);
        }
    }
    sorted(out)
}

fn paths(index: &SearchIndex, q: &str, limit: usize) -> Vec<String> {
    index
        .search(&Query::parse(q).unwrap(), limit)
        .unwrap()
        .into_iter()
        .map(|h| h.path)
        .collect()
}

#[test]
fn phrases_tiers_exclusions_and_path_order_agree_with_the_files() {
    let r = TestRepo::demo();
    let s = store(&r);
    // Several segments: one built, and one more per commit caught up.
    SearchIndex::open(&s).unwrap();
    for (i, id) in ["a01", "a02", "a03"].iter().enumerate() {
        set_title(&r, id, &format!("Tòa án nhân dân và gia đình, lần {i}"));
        r.git(&["commit", "-qam", "Retitle"]);
        SearchIndex::open(&s).unwrap();
    }
    let index = SearchIndex::open(&s).unwrap();

    // Phrases: exactly the records that hold the words in a row, whether typed with
    // diacritics or not; the words apart are not enough.
    for phrase in [
        &["toa", "an"][..],
        &["gia", "dinh"],
        &["tre", "em"],
        &["bao", "ve", "tre", "em"],
        &["nhan", "dan", "tinh"],
        &["an", "toa"],
    ] {
        let want = records_with_phrase(&r, phrase);
        let got = sorted(paths(&index, &format!("\"{}\"", phrase.join(" ")), 10_000));
        assert_eq!(got, want, "\"{}\"", phrase.join(" "));
        assert_eq!(
            index
                .count(&Query::parse(&format!("\"{}\"", phrase.join(" "))).unwrap())
                .unwrap(),
            want.len()
        );
    }
    let accented = sorted(paths(&index, "\"bảo vệ trẻ em\"", 10_000));
    assert_eq!(
        accented,
        records_with_phrase(&r, &["bao", "ve", "tre", "em"])
    );

    // An excluded phrase takes out exactly the records that hold it.
    let all = sorted(paths(&index, "tre em", 10_000));
    let without = sorted(paths(&index, "tre em -\"gia dinh\"", 10_000));
    let with_phrase = records_with_phrase(&r, &["gia", "dinh"]);
    let want: Vec<String> = all
        .iter()
        .filter(|p| !with_phrase.contains(p))
        .cloned()
        .collect();
    assert_eq!(without, want);

    // Records named by the words come before those that only mention them.
    let hits = index
        .search(&Query::parse("tòa án gia đình").unwrap(), 50)
        .unwrap();
    let titled = |h: &kehoach::search::Hit| {
        let t = kehoach::search::analyzer::fold(&h.title);
        ["toa", "an", "gia", "dinh"].iter().all(|w| t.contains(w))
    };
    let first_untitled = hits.iter().position(|h| !titled(h)).unwrap_or(hits.len());
    assert!(first_untitled >= 3, "{hits:?}");
    assert!(hits[first_untitled..].iter().all(|h| !titled(h)));
    // Scores read in order.
    assert!(hits.windows(2).all(|w| w[0].score >= w[1].score));

    // Filters only: path order, the same whether all are asked for or only the first few,
    // across segments.
    let every = paths(&index, "kind:assignment", 10_000);
    let mut want = every.clone();
    want.sort();
    assert_eq!(every, want);
    assert_eq!(every.len(), 36);
    assert_eq!(paths(&index, "kind:assignment", 5), every[..5]);
}

#[test]
fn words_typed_together_rank_the_records_holding_them_together_first() {
    let r = TestRepo::demo();
    let index = SearchIndex::open(&store(&r)).unwrap();
    // One record holds "bảo vệ trẻ em" as typed; a report scores higher on the words alone
    // (both "bảo vệ" and "trẻ em", and more often for its length).
    let plan = format!("plans/{SAMPLE_PLAN}/plan.toml");
    assert_eq!(
        records_with_phrase(&r, &["bao", "ve", "tre", "em"]),
        std::slice::from_ref(&plan)
    );
    let hits = paths(&index, "bảo vệ trẻ em", 20);
    assert_eq!(hits[0], plan, "{hits:?}");
    assert!(hits.len() > 5);
    // The first records are the same whatever the limit, and scores read in order.
    for q in [
        "bảo vệ trẻ em",
        "tòa án gia đình",
        "quyền trẻ em",
        "tre em",
        "kế hoạch thực hiện",
    ] {
        let twenty = paths(&index, q, 20);
        for limit in [1, 3, 10] {
            let n = limit.min(twenty.len());
            assert_eq!(paths(&index, q, limit), twenty[..n], "{q} limit {limit}");
        }
        let scores: Vec<f32> = index
            .search(&Query::parse(q).unwrap(), 20)
            .unwrap()
            .iter()
            .map(|h| h.score)
            .collect();
        assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{q}: {scores:?}");
    }
}

#[test]
fn quick_open_after_a_commit_also_sees_files_created_meanwhile() {
    let r = TestRepo::sample();
    let s = store(&r);
    SearchIndex::open(&s).unwrap();
    let quick = || SearchIndex::open_with(&s, Freshness::Quick).unwrap();

    // A commit alone: only its record is re-read.
    set_title(&r, "a02", "Chăm sóc sức khỏe chim cánh cụt");
    r.git(&["commit", "-qam", "Rename a02"]);
    let index = quick();
    assert_eq!(index.update(), &Update::CaughtUp { records: 1 });
    assert_eq!(ids(&index, "chim canh cut"), ["a02"]);
    drop(index);

    // A commit, and a file created beside it without being committed: both are seen.
    set_title(&r, "a03", "Nuôi dưỡng cá voi xanh");
    r.git(&["commit", "-qam", "Rename a03"]);
    r.write(
        "agencies/x-moi.toml",
        &agency("x-moi", "Hội cá voi xanh mới"),
    );
    let index = quick();
    assert_eq!(index.update(), &Update::CaughtUp { records: 2 });
    assert_eq!(sorted(ids(&index, "ca voi xanh")), ["a03", "x-moi"]);
    assert_eq!(index.uncommitted(), ["agencies/x-moi.toml"]);
    drop(index);
    assert_eq!(quick().update(), &Update::UpToDate);

    // Many uncommitted files: `kehoach index` names a few, its JSON every one.
    for i in 0..12 {
        r.write(
            &format!("agencies/x-them-{i:02}.toml"),
            &agency(&format!("x-them-{i:02}"), "Hội mới"),
        );
    }
    let out = r.cmd().arg("index").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("13 uncommitted file(s) included: "), "{text}");
    assert!(
        text.contains("x-them-08.toml and 3 more (`kehoach index --json` lists them all)"),
        "{text}"
    );
    let out = r.cmd().args(["index", "--json"]).output().unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["uncommitted"].as_array().unwrap().len(), 13);
    for i in 0..12 {
        std::fs::remove_file(r.path().join(format!("agencies/x-them-{i:02}.toml"))).unwrap();
    }

    // The file goes away again, with another commit.
    std::fs::remove_file(r.path().join("agencies/x-moi.toml")).unwrap();
    set_title(&r, "a02", "Chăm sóc sức khỏe hải cẩu");
    r.git(&["commit", "-qam", "Rename a02 again"]);
    let index = quick();
    assert_eq!(ids(&index, "ca voi xanh"), ["a03"]);
    assert_eq!(ids(&index, "hai cau"), ["a02"]);
    assert!(index.uncommitted().is_empty());
}

#[test]
fn an_index_in_memory_finds_the_same_and_leaves_nothing_on_disk() {
    let r = TestRepo::sample();
    let s = store(&r);
    set_title(&r, "a02", "Chăm sóc chim cánh cụt");
    let index = SearchIndex::in_memory(&s).unwrap();
    assert!(index.dir().is_none());
    assert!(!index_dir(&s).exists());
    assert_eq!(index.len(), 66);
    assert_eq!(ids(&index, "chim canh cut"), ["a02"]);
    assert_eq!(index.uncommitted(), [sample_assignment("a02").as_str()]);
    let on_disk = SearchIndex::open(&s).unwrap();
    for q in [
        "trẻ em",
        "kind:assignment tòa án",
        "agency:so-y-te status:in_progress",
    ] {
        assert_eq!(ids(&index, q), ids(&on_disk, q), "{q}");
    }
}

#[test]
fn a_rebuild_indexes_the_work_tree_as_it_is() {
    let r = TestRepo::sample();
    let s = store(&r);
    // Edited, created, deleted, and staged-then-edited again, none of it committed.
    set_title(&r, "a02", "Chăm sóc chim cánh cụt");
    r.write(
        "agencies/x-moi.toml",
        &agency("x-moi", "Hội chim cánh cụt mới"),
    );
    let a01 = r.read(&sample_assignment("a01"));
    std::fs::remove_file(r.path().join(sample_assignment("a01"))).unwrap();
    set_title(&r, "a03", "Nuôi dưỡng cá voi xanh");
    r.git(&["add", &sample_assignment("a03")]);
    set_title(&r, "a03", "Nuôi dưỡng hải cẩu");
    let index = SearchIndex::rebuild(&s).unwrap();
    assert_eq!(sorted(ids(&index, "chim canh cut")), ["a02", "x-moi"]);
    assert_eq!(ids(&index, "hai cau"), ["a03"]);
    assert!(ids(&index, "ca voi xanh").is_empty());
    let title_a01 = a01
        .lines()
        .find_map(|l| l.strip_prefix("title = \""))
        .unwrap()
        .trim_end_matches('"')
        .to_string();
    assert!(
        !ids(&index, &format!("\"{title_a01}\"")).contains(&"a01".to_string()),
        "a01 is deleted in the work tree"
    );
    assert_eq!(
        index.uncommitted(),
        [
            "agencies/x-moi.toml",
            sample_assignment("a01").as_str(),
            sample_assignment("a02").as_str(),
            sample_assignment("a03").as_str()
        ]
    );
    // Every record once: those of HEAD, less the deleted one, and the new one.
    assert_eq!(index.len(), 66);
    drop(index);
    assert_eq!(SearchIndex::open(&s).unwrap().update(), &Update::UpToDate);
}

#[test]
fn a_search_run_while_the_folders_are_checked_is_run_again_when_they_changed() {
    let r = TestRepo::sample();
    let s = store(&r);
    SearchIndex::open(&s).unwrap();
    let calls = std::cell::Cell::new(0);
    let search = |index: &SearchIndex| {
        calls.set(calls.get() + 1);
        ids(index, "moi kind:agency")
    };

    // Nothing changed: one search, on the index as it is.
    let (index, found) = SearchIndex::open_and(&s, Freshness::Quick, search).unwrap();
    assert_eq!(index.update(), &Update::UpToDate);
    assert!(found.is_empty());
    assert_eq!(calls.replace(0), 1);
    drop(index);

    // A file created in the work tree: the first answer (from the index as it was) is
    // dropped, and the search runs again on the index brought up to date.
    r.write(
        "agencies/x-moi.toml",
        &agency("x-moi", "Hội chim cánh cụt mới"),
    );
    let (index, found) = SearchIndex::open_and(&s, Freshness::Quick, search).unwrap();
    assert_eq!(index.update(), &Update::CaughtUp { records: 1 });
    assert_eq!(found, ["x-moi"]);
    assert_eq!(calls.replace(0), 2);
    drop(index);

    // A commit is seen before the index is opened: one search, after the catch-up.
    std::fs::remove_file(r.path().join("agencies/x-moi.toml")).unwrap();
    set_title(&r, "a02", "Chăm sóc sức khỏe chim cánh cụt mới");
    r.git(&["commit", "-qam", "Rename a02"]);
    let (_, found) = SearchIndex::open_and(&s, Freshness::Quick, |index: &SearchIndex| {
        calls.set(calls.get() + 1);
        ids(index, "chim moi")
    })
    .unwrap();
    assert_eq!(found, ["a02"]);
    assert_eq!(calls.get(), 1);

    // Through the command line, a file created after the last search is found too.
    r.write(
        "agencies/x-moi.toml",
        &agency("x-moi", "Hội chim cánh cụt mới"),
    );
    assert_eq!(sorted(cli_ids(&r, &["chim", "moi"])), ["a02", "x-moi"]);
}

#[test]
fn kehoach_index_merges_an_index_in_pieces_and_finds_the_same() {
    let r = TestRepo::sample();
    let s = store(&r);
    // A build of a few records makes one segment.
    let built = SearchIndex::open(&s).unwrap().segments();
    assert_eq!(built, 1);
    // A catch-up after one commit leaves a small segment beside it: not in pieces.
    set_title(&r, "a01", "Chăm sóc chim cánh cụt");
    r.git(&["commit", "-qam", "Rename a01"]);
    let index = SearchIndex::open(&s).unwrap();
    assert_eq!((index.segments(), index.in_pieces()), (built + 1, None));
    drop(index);
    r.index_in_pieces();
    let index = SearchIndex::open(&s).unwrap();
    let pieces = index.segments();
    assert_eq!(index.in_pieces(), Some(pieces));
    assert!(pieces > 4, "{pieces} segments");
    let queries = ["chim canh cut", "trẻ em", "kind:assignment tòa án", "so"];
    let before: Vec<Vec<String>> = queries.iter().map(|q| ids(&index, q)).collect();
    drop(index);
    // A search says so.
    let hint = |r: &TestRepo| {
        let out = r.cmd().args(["search", "chim"]).output().unwrap();
        assert!(out.status.success());
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    assert!(
        hint(&r).contains(&format!(
            "the search index is in {pieces} pieces; `kehoach index` merges them"
        )),
        "{}",
        hint(&r)
    );

    let out = r.cmd().args(["index"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains(&format!("merged {pieces} segments into one")),
        "{text}"
    );
    let index = SearchIndex::open(&s).unwrap();
    assert_eq!(index.segments(), 1);
    assert_eq!(index.update(), &Update::UpToDate);
    let after: Vec<Vec<String>> = queries.iter().map(|q| ids(&index, q)).collect();
    assert_eq!(after, before);
    assert_eq!(ids(&index, "chim canh cut").len(), 58);
    // One segment: nothing to merge, nothing to say.
    let out = r.cmd().args(["index"]).output().unwrap();
    assert!(!String::from_utf8_lossy(&out.stdout).contains("merged"));
    assert_eq!(hint(&r), "");
}

/// The hit of a search for `q` whose id is `id`.
fn hit(index: &SearchIndex, q: &str, id: &str) -> kehoach::search::Hit {
    let hits = index.search(&Query::parse(q).unwrap(), 1000).unwrap();
    hits.into_iter()
        .find(|h| h.id == id)
        .unwrap_or_else(|| panic!("{q:?} does not find {id}"))
}

fn snippet_text(h: &kehoach::search::Hit) -> String {
    h.snippet.iter().map(|(t, _)| t.as_str()).collect()
}

#[test]
fn a_hit_shows_the_text_that_was_indexed_even_after_the_file_changed() {
    let r = TestRepo::sample();
    let s = store(&r);
    set_field(&r, "a02", "title", "Chăm sóc chim cánh cụt");
    set_field(&r, "a02", "notes", "Nuôi chim cánh cụt ở vườn thú");
    r.git(&["commit", "-qam", "Penguins"]);
    let index = SearchIndex::open(&s).unwrap();
    // Edited after the index was opened, before any search: the open index shows the
    // committed text it found, read from git's objects, not the new one.
    set_field(&r, "a02", "title", "Chăm sóc hải cẩu");
    set_field(&r, "a02", "notes", "Nuôi hải cẩu");
    let shown = hit(&index, "chim canh cut", "a02");
    assert_eq!(shown.title, "Chăm sóc chim cánh cụt");
    assert!(snippet_text(&shown).contains("vườn thú"), "{shown:?}");
    assert!(
        shown.snippet.iter().any(|(t, hl)| *hl && t == "chim"),
        "{shown:?}"
    );
    // Deleted: the same.
    std::fs::remove_file(r.path().join(sample_assignment("a02"))).unwrap();
    assert_eq!(hit(&index, "chim canh cut", "a02"), shown);
    drop(index);
    // An index opened on the file as it was committed reads it from the work tree.
    r.git(&["checkout", "-q", "--", "."]);
    let index = SearchIndex::open(&s).unwrap();
    assert_eq!(hit(&index, "chim canh cut", "a02"), shown);
    drop(index);

    // An uncommitted edit, changed again before the index caught up (git never held what was
    // indexed): the hit shows what the file holds now.
    set_field(&r, "a03", "title", "Nuôi dưỡng cá voi xanh");
    let index = SearchIndex::open(&s).unwrap();
    assert_eq!(index.uncommitted(), [sample_assignment("a03").as_str()]);
    set_field(&r, "a03", "title", "Nuôi dưỡng cá voi trắng");
    assert_eq!(
        hit(&index, "ca voi", "a03").title,
        "Nuôi dưỡng cá voi trắng"
    );
    set_field(&r, "a03", "title", "Nuôi dưỡng cá voi đen");
    assert_eq!(hit(&index, "ca voi", "a03").title, "Nuôi dưỡng cá voi đen");
    // Gone as well: the record is shown by its id, without text.
    std::fs::remove_file(r.path().join(sample_assignment("a03"))).unwrap();
    let gone = hit(&index, "ca voi", "a03");
    assert_eq!((gone.title.as_str(), gone.snippet.len()), ("a03", 0));
    assert_eq!(gone.path, sample_assignment("a03"));
    drop(index);

    // Brought up to date after an edit: the record as it is now.
    let mut index = SearchIndex::open(&s).unwrap();
    assert!(ids(&index, "ca voi").is_empty());
    assert_eq!(
        hit(&index, "chim canh cut", "a02").title,
        "Chăm sóc chim cánh cụt"
    );
    set_field(&r, "a02", "title", "Chăm sóc chim cánh cụt nhỏ");
    index.refresh(&s).unwrap();
    assert_eq!(
        hit(&index, "chim canh cut", "a02").title,
        "Chăm sóc chim cánh cụt nhỏ"
    );

    // The index no longer holds the text: it stays small.
    let store_bytes: u64 = std::fs::read_dir(index_dir(&s))
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.path().extension().is_some_and(|x| x == "store"))
        .map(|e| e.metadata().unwrap().len())
        .sum();
    let text_bytes: u64 = s.stat_record_files().unwrap().iter().map(|f| f.size).sum();
    assert!(
        store_bytes * 10 < text_bytes,
        "stored {store_bytes} bytes for {text_bytes} bytes of records"
    );
}
