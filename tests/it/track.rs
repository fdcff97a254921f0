//! Tracking: deadlines, reporting rates, agency retirement, the consolidated report, exports.

use std::process::Command as StdCommand;

use serde_json::Value;

use crate::common::{SAMPLE_PLAN, TestRepo, hermetic, sample_assignment};

/// The seed document: `../shared/seed/` beside the source tree (a worktree may sit one level
/// deeper).
fn seed() -> String {
    let here = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/seed/000_a14cb56ae114c9a0.txt"
    );
    let deeper = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/seed/000_a14cb56ae114c9a0.txt"
    );
    std::fs::read_to_string(here)
        .or_else(|_| std::fs::read_to_string(deeper))
        .expect("the seed at ../shared/seed/000_a14cb56ae114c9a0.txt")
}

fn stdout(out: &std::process::Output) -> String {
    assert!(
        out.status.success(),
        "failed: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn run(r: &TestRepo, args: &[&str]) -> String {
    stdout(&r.cmd().args(args).output().unwrap())
}

fn json(r: &TestRepo, args: &[&str]) -> Value {
    serde_json::from_str(&run(r, args)).unwrap()
}

/// Paragraphs with Markdown markup taken off: `#` headings, `**`, backslash escapes, trailing
/// spaces of hard breaks.
fn paragraphs(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur: Vec<String> = Vec::new();
    for line in text.lines().chain(std::iter::once("")) {
        if line.trim().is_empty() {
            if !cur.is_empty() {
                out.push(cur.join("\n"));
                cur.clear();
            }
            continue;
        }
        let l = line.trim_end().trim_start_matches('#').trim_start();
        let l = l.replace("**", "");
        let mut un = String::new();
        let mut chars = l.chars().peekable();
        while let Some(c) = chars.next() {
            if c == '\\' && chars.peek().is_some_and(|n| n.is_ascii_punctuation()) {
                un.push(chars.next().unwrap());
            } else {
                un.push(c);
            }
        }
        cur.push(un.trim().to_string());
    }
    out
}

#[test]
fn export_md_has_every_paragraph_of_the_seed_in_order() {
    let r = TestRepo::sample();
    let md = run(&r, &["export", SAMPLE_PLAN, "--format", "md"]);
    let got = paragraphs(&md);
    let want = paragraphs(&seed());
    let end = got
        .iter()
        .position(|p| p == "PHỤ LỤC")
        .expect("an appendix follows the document");
    let body = &got[..end];
    for (i, (g, w)) in body.iter().zip(&want).enumerate() {
        assert_eq!(g, w, "paragraph {i} differs");
    }
    assert_eq!(body.len(), want.len(), "paragraph counts differ");
    // The appendix: one row per assignment, with the columns of a plan's annex.
    let appendix = &md[md.find("PHỤ LỤC").unwrap()..];
    assert!(appendix.contains(
        "| TT | Nội dung | Cơ quan chủ trì | Cơ quan phối hợp | Thời gian hoàn thành | Sản phẩm |"
    ));
    let rows = appendix
        .lines()
        .filter(|l| l.starts_with("| ") && l.as_bytes()[2].is_ascii_digit())
        .count();
    assert_eq!(rows, 36);
    assert!(appendix.contains("6 tháng một lần, hạn 15/01 và 15/7"));
}

#[test]
fn export_html_csv_json() {
    let r = TestRepo::sample();
    let html = run(&r, &["export", SAMPLE_PLAN, "--format", "html"]);
    assert!(html.starts_with("<!DOCTYPE html>"));
    for needle in [
        "<h2>I. MỤC ĐÍCH YÊU CẦU</h2>",
        "<h2>IV. TỔ CHỨC THỰC HIỆN</h2>",
        "Bình Thuận, ngày tháng 4 năm 2025",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "KT. CHỦ TỊCH<br>PHÓ CHỦ TỊCH",
        "<table class=\"grid\">",
        "@page",
    ] {
        assert!(html.contains(needle), "{needle}");
    }
    // Self-contained: nothing to fetch.
    assert!(!html.contains("src=") && !html.contains("href="));

    let csv = run(&r, &["export", SAMPLE_PLAN, "--format", "csv"]);
    let lines: Vec<&str> = csv.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert!(lines[0].starts_with("plan,id,source,title,lead"));
    assert_eq!(lines.len(), 37, "a header and 36 assignments");
    let reports = run(
        &r,
        &[
            "export",
            SAMPLE_PLAN,
            "--format",
            "csv",
            "--table",
            "reports",
        ],
    );
    assert!(reports.starts_with("plan,period,agency,agency_name,report_status"));
    // A file for a spreadsheet program: marked as UTF-8, unless asked not to; standard
    // output stays bare (above).
    run(
        &r,
        &["export", SAMPLE_PLAN, "--format", "csv", "-o", "a.csv"],
    );
    let file = std::fs::read(r.path().join("a.csv")).unwrap();
    assert!(file.starts_with(b"\xef\xbb\xbfplan,id,source"));
    assert_eq!(&file[3..], csv.as_bytes());
    run(
        &r,
        &[
            "export",
            SAMPLE_PLAN,
            "--format",
            "csv",
            "-o",
            "b.csv",
            "--no-bom",
        ],
    );
    assert_eq!(
        std::fs::read(r.path().join("b.csv")).unwrap(),
        csv.as_bytes()
    );
    run(&r, &["export", SAMPLE_PLAN, "--format", "md", "-o", "a.md"]);
    assert!(
        !std::fs::read(r.path().join("a.md"))
            .unwrap()
            .starts_with(b"\xef")
    );
    assert!(reports.contains("2025-h1,so-y-te,Sở Y tế,accepted,2025-07-10,a01,in_progress,40,"));

    let j = json(&r, &["export", SAMPLE_PLAN, "--format", "json"]);
    assert_eq!(j["plan"]["id"], SAMPLE_PLAN);
    assert_eq!(j["assignments"].as_array().unwrap().len(), 36);
    assert_eq!(j["reports"].as_array().unwrap().len(), 7);

    let out = r.cmd().args(["export", "no-such-plan"]).output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no plan \"no-such-plan\"") && err.contains(SAMPLE_PLAN),
        "{err}"
    );
}

fn cell<'a>(m: &'a Value, agency: &str, period: &str) -> &'a Value {
    let row = m["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["agency"] == agency)
        .unwrap_or_else(|| panic!("no row {agency}"));
    row["cells"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["period"] == period)
        .unwrap()
}

#[test]
fn status_matrix_for_2025() {
    let r = TestRepo::sample();
    let m = json(
        &r,
        &[
            "status",
            SAMPLE_PLAN,
            "--period",
            "2025",
            "--today",
            "2025-12-31",
            "--json",
        ],
    );
    let cols = m["columns"].as_array().unwrap();
    assert_eq!(cols.len(), 2);
    assert_eq!(cols[0]["period"], "2025-h1");
    assert_eq!(cols[0]["deadline"], "2025-07-15");
    // 2025-h1: ten district committees and five provincial bodies with assignments.
    assert_eq!(cols[0]["totals"]["expected"], 15);
    // so-y-te, so-tai-chinh (late), tand-tinh, ubnd-tp-phan-thiet; the Hàm Thuận Bắc draft
    // does not count.
    assert_eq!(cols[0]["totals"]["actual"], 4);
    assert_eq!(cols[0]["totals"]["on_time"], 3);
    // 2025-h2: the districts ended on 2025-06-30 and are not expected (below); its deadline has
    // not passed, so only the two reports already in count.
    assert_eq!(cols[1]["totals"]["expected"], 2);
    assert_eq!(cols[1]["totals"]["actual"], 2);
    assert_eq!(cell(&m, "so-tai-chinh", "2025-h1")["state"], "late");
    assert_eq!(cell(&m, "so-y-te", "2025-h1")["state"], "on_time");
    assert_eq!(
        cell(&m, "ubnd-huyen-ham-thuan-bac", "2025-h1")["state"],
        "draft"
    );
    assert_eq!(
        cell(&m, "ubnd-huyen-phu-quy", "2025-h1")["state"],
        "missing"
    );
    assert_eq!(
        cell(&m, "ubnd-huyen-phu-quy", "2025-h2")["state"],
        "not_expected"
    );
    // The h2 deadline (2026-01-15) has not passed on 2025-12-31.
    assert_eq!(cell(&m, "vks-tinh", "2025-h2")["state"], "pending");
    assert_eq!(m["totals"]["expected"], 17);
    assert_eq!(m["totals"]["actual"], 6);
    for c in cols {
        let t = &c["totals"];
        assert!(t["actual"].as_u64() <= t["expected"].as_u64());
    }

    let text = run(
        &r,
        &[
            "status",
            SAMPLE_PLAN,
            "--period",
            "2025",
            "--today",
            "2025-12-31",
        ],
    );
    assert!(text.contains("UBND huyện Phú Quý"), "{text}");
    assert!(text.contains("Legend: ✓ on time"), "{text}");
    assert!(
        text.contains("Overall: 6 of 17 expected reports (35%)"),
        "{text}"
    );
}

/// Runs git with the committer's date set to `date` (YYYY-MM-DD, 10:00 +07:00).
fn git_on(r: &TestRepo, date: &str, args: &[&str]) {
    let secs = jiff::civil::Date::strptime("%Y-%m-%d", date)
        .unwrap()
        .at(10, 0, 0, 0)
        .to_zoned_datetime(jiff::tz::TimeZone::fixed(jiff::tz::offset(7)))
        .unwrap()
        .timestamp()
        .as_second();
    let mut c = StdCommand::new("git");
    hermetic(&mut c, &r.home());
    c.env("GIT_COMMITTER_DATE", format!("@{secs} +0700"))
        .env("GIT_AUTHOR_DATE", format!("@{secs} +0700"));
    let out = c.current_dir(r.path()).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_report_that_claims_on_time_but_merged_late_is_flagged() {
    let r = TestRepo::sample();
    let rel = format!("plans/{SAMPLE_PLAN}/reports/2025-h1/vks-tinh.toml");
    let report = format!(
        "#:schema ../../../../schemas/report.schema.json\n\nplan = \"{SAMPLE_PLAN}\"\nagency = \"vks-tinh\"\nperiod = \"2025-h1\"\nsubmitted_on = \"2025-07-10\"\nstatus = \"submitted\"\n\n[[entries]]\nassignment = \"a05\"\nstatus = \"in_progress\"\n"
    );
    // Reviewed on a branch, merged into main on 1 August, after the 15 July deadline.
    r.git(&["switch", "-c", "report-vks"]);
    r.write(&rel, &report);
    git_on(&r, "2025-07-10", &["add", &rel]);
    git_on(
        &r,
        "2025-07-10",
        &["commit", "-m", "create report 2025-h1/vks-tinh"],
    );
    r.git(&["switch", "main"]);
    git_on(
        &r,
        "2025-08-01",
        &[
            "merge",
            "--no-ff",
            "report-vks",
            "-m",
            "Merge report-vks\n\nReview: 1\nApproved-by: Trần Thị Lan <lan.tt@soyte.example.vn>",
        ],
    );
    run(&r, &["validate"]);
    let m = json(
        &r,
        &[
            "status",
            SAMPLE_PLAN,
            "--period",
            "2025-h1",
            "--today",
            "2025-12-31",
            "--json",
        ],
    );
    let c = cell(&m, "vks-tinh", "2025-h1");
    assert_eq!(c["state"], "merged_late");
    assert_eq!(c["submitted_on"], "2025-07-10");
    assert_eq!(c["merged_on"], "2025-08-01");
    // Counted as reported, not as on time.
    assert_eq!(m["columns"][0]["totals"]["actual"], 5);
    assert_eq!(m["columns"][0]["totals"]["on_time"], 3);
    // A report merged in time stays on time.
    assert_eq!(cell(&m, "so-y-te", "2025-h1")["state"], "on_time");
}

fn overdue_ids(r: &TestRepo, today: &str) -> Vec<String> {
    let v = json(r, &["due", "--overdue", "--today", today, "--json"]);
    v.as_array()
        .unwrap()
        .iter()
        .map(|i| {
            assert_eq!(i["state"], "overdue");
            i["assignment"].as_str().unwrap().to_string()
        })
        .collect()
}

#[test]
fn due_overdue_lists_exactly_the_overdue_assignments() {
    let r = TestRepo::sample();
    // a02 (yearly:12-10) passed on 10 December and its reports say in progress; a03 (a single
    // date) is done; the district committees ended before their deadlines; the rest is
    // continuous.
    assert_eq!(overdue_ids(&r, "2025-12-31"), ["a02"]);
    let v = json(&r, &["due", "--overdue", "--today", "2025-12-31", "--json"]);
    assert_eq!(v[0]["missed"], "2025-12-10");
    assert_eq!(v[0]["days_overdue"], 21);
    // On the deadline itself nothing is overdue yet.
    assert!(overdue_ids(&r, "2025-12-10").is_empty());
    assert_eq!(overdue_ids(&r, "2025-12-11"), ["a02"]);

    // A report of the lead marking it done for the period of the deadline meets it.
    run(
        &r,
        &["set", "2025-h2/so-tai-chinh", "entries[a02].status", "done"],
    );
    assert!(overdue_ids(&r, "2025-12-31").is_empty());
    // The next year's occurrence is a new deadline.
    assert_eq!(overdue_ids(&r, "2026-12-11"), ["a02"]);

    // A monthly rule on the 31st falls on the last day of shorter months, 29 February in a
    // leap year.
    run(&r, &["set", "a01", "due", "monthly:31"]);
    run(&r, &["set", SAMPLE_PLAN, "date", "2024-01"]);
    let v = json(&r, &["due", "--overdue", "--today", "2024-03-01", "--json"]);
    let a01 = v
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["assignment"] == "a01")
        .unwrap();
    assert_eq!(a01["missed"], "2024-02-29");
    let v = json(&r, &["due", "--overdue", "--today", "2024-02-29", "--json"]);
    let a01 = v
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["assignment"] == "a01")
        .unwrap();
    assert_eq!(a01["missed"], "2024-01-31");

    // Filters.
    let v = json(
        &r,
        &[
            "due",
            "--agency",
            "so-y-te",
            "--within",
            "30d",
            "--today",
            "2024-03-01",
            "--json",
        ],
    );
    assert!(v.as_array().unwrap().iter().all(|i| i["lead"] == "so-y-te"));
    let out = r.cmd().args(["due", "--within", "soon"]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("hint: write days, weeks or months"));
}

const SUCCESSOR: &str = "#:schema ../schemas/agency.schema.json\n\nid = \"ubnd-phuong-phan-thiet\"\nname = \"Ủy ban nhân dân phường Phan Thiết\"\nkind = \"peoples_committee\"\nparent = \"ubnd-tinh\"\nvalid_from = \"2025-07-01\"\n";

#[test]
fn agency_retire_moves_open_work_in_one_commit() {
    let r = TestRepo::sample();
    r.write("agencies/ubnd-phuong-phan-thiet.toml", SUCCESSOR);
    r.git(&["add", "."]);
    r.git(&["commit", "-m", "create agency ubnd-phuong-phan-thiet"]);
    let head = r.git(&["rev-parse", "HEAD"]);

    // Without a takeover, an agency that begins after the plan's date cannot be assigned.
    let out = r
        .cmd()
        .args(["set", "a-3a-phan-thiet", "lead", "ubnd-phuong-phan-thiet"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("is not active on 2025-04-01"), "{err}");
    assert_eq!(r.git(&["rev-parse", "HEAD"]), head);

    // A successor not yet active on the day is refused, and nothing is written.
    let out = r
        .cmd()
        .args([
            "agency",
            "retire",
            "tand-tinh",
            "--successor",
            "ubnd-phuong-phan-thiet",
            "--on",
            "2025-06-01",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("successor ubnd-phuong-phan-thiet is not active on 2025-06-01"),
        "{err}"
    );
    assert_eq!(r.git(&["rev-parse", "HEAD"]), head);
    assert_eq!(r.git(&["status", "--porcelain"]), "");

    // An agency that already ended takes its successor from the day after its end.
    let out = r
        .cmd()
        .args([
            "agency",
            "retire",
            "ubnd-tp-phan-thiet",
            "--successor",
            "ubnd-phuong-phan-thiet",
            "--on",
            "2025-06-01",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("already ended on 2025-06-30") && err.contains("--on 2025-07-01"),
        "{err}"
    );
    assert_eq!(r.git(&["rev-parse", "HEAD"]), head);

    let text = run(
        &r,
        &[
            "agency",
            "retire",
            "ubnd-tp-phan-thiet",
            "--successor",
            "ubnd-phuong-phan-thiet",
            "--on",
            "2025-07-01",
        ],
    );
    assert!(text.contains("3 assignment(s) moved"), "{text}");
    assert_eq!(r.git(&["status", "--porcelain"]), "");
    let msg = r.git(&["log", "-1", "--format=%B"]);
    assert!(msg.starts_with(
        "retire agency ubnd-tp-phan-thiet: successor ubnd-phuong-phan-thiet from 2025-07-01"
    ));
    assert!(
        msg.contains("Record: agencies/ubnd-tp-phan-thiet.toml"),
        "{msg}"
    );
    for a in ["a-3a-phan-thiet", "a-3b-phan-thiet", "a-3c-phan-thiet"] {
        assert!(
            msg.contains(&format!("Record: {}", sample_assignment(a))),
            "{msg}"
        );
        assert!(
            r.read(&sample_assignment(a))
                .contains("lead = \"ubnd-phuong-phan-thiet\"")
        );
    }
    let changed = r.git(&["show", "--name-only", "--format=", "HEAD"]);
    assert_eq!(changed.lines().count(), 4, "{changed}");
    let agency = r.read("agencies/ubnd-tp-phan-thiet.toml");
    assert!(agency.contains("successor = \"ubnd-phuong-phan-thiet\""));
    assert!(agency.contains("valid_until = \"2025-06-30\""));
    // The whole repository still validates: the successor holds work it took over, and the
    // old committee's 2025-h1 report about that work stays its own.
    run(&r, &["validate"]);
    let m = json(
        &r,
        &[
            "status",
            SAMPLE_PLAN,
            "--period",
            "2025",
            "--today",
            "2026-02-01",
            "--json",
        ],
    );
    assert_eq!(
        cell(&m, "ubnd-tp-phan-thiet", "2025-h1")["state"],
        "on_time"
    );
    assert_eq!(
        cell(&m, "ubnd-tp-phan-thiet", "2025-h2")["state"],
        "not_expected"
    );
    assert_eq!(
        cell(&m, "ubnd-phuong-phan-thiet", "2025-h1")["state"],
        "not_expected"
    );
    assert_eq!(
        cell(&m, "ubnd-phuong-phan-thiet", "2025-h2")["state"],
        "missing"
    );
    // Its deadlines are the successor's now: a-3c (half-yearly:01-15) is overdue in 2026.
    let v = json(&r, &["due", "--overdue", "--today", "2026-02-01", "--json"]);
    assert!(
        v.as_array()
            .unwrap()
            .iter()
            .any(|i| i["assignment"] == "a-3c-phan-thiet" && i["lead"] == "ubnd-phuong-phan-thiet"),
        "{v}"
    );

    // Retiring it twice is refused.
    let out = r
        .cmd()
        .args([
            "agency",
            "retire",
            "ubnd-tp-phan-thiet",
            "--successor",
            "so-y-te",
            "--on",
            "2025-07-01",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
}

#[test]
fn consolidated_report_of_a_period() {
    let r = TestRepo::sample();
    let md = run(
        &r,
        &[
            "report",
            "consolidate",
            SAMPLE_PLAN,
            "2025-h1",
            "--today",
            "2025-12-31",
        ],
    );
    assert!(md.contains("# BÁO CÁO TỔNG HỢP"));
    assert!(md.contains("6 tháng đầu năm 2025"));
    assert!(md.contains("Số cơ quan phải báo cáo: 15; đã báo cáo: 4 (27%); đúng hạn: 3 (20%)."));
    // Every assignment, with the agencies' results, difficulties and proposals.
    for id in ["a01", "a02", "a03", "a-3c-phu-quy"] {
        assert!(md.contains(&format!("({id}, mục")), "{id}");
    }
    assert!(md.contains("**Kết quả:** Tham mưu dự thảo Kế hoạch"));
    assert!(md.contains("**Khó khăn, vướng mắc:**"));
    assert!(md.contains("**Đề xuất, kiến nghị:** Đề nghị Ủy ban nhân dân tỉnh chỉ đạo"));
    // Who has not reported.
    let missing = &md[md.find("III. CƠ QUAN CHƯA BÁO CÁO").unwrap()..];
    assert!(missing.contains("- UBND huyện Phú Quý (chưa báo cáo)"));
    assert!(missing.contains("- UBND huyện Hàm Thuận Bắc (đang soạn)"));
    assert!(!missing.contains("Sở Y tế"));

    let html = run(
        &r,
        &[
            "report",
            "consolidate",
            SAMPLE_PLAN,
            "2025-h2",
            "--format",
            "html",
            "--today",
            "2026-02-01",
        ],
    );
    assert!(html.starts_with("<!DOCTYPE html>") && html.contains("6 tháng cuối năm 2025"));
    let missing = &html[html.find("III. CƠ QUAN CHƯA BÁO CÁO").unwrap()..];
    assert!(missing.contains("VKSND tỉnh (chưa báo cáo)"), "{missing}");
    assert!(
        !missing.contains("UBND huyện Phú Quý"),
        "ended before 2025-h2"
    );

    let out = r
        .cmd()
        .args(["report", "consolidate", SAMPLE_PLAN, "2025"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("not one of the plan's reporting periods")
    );
}

#[test]
fn dashboard_api_for_the_tui() {
    let r = TestRepo::sample();
    let store = kehoach::store::Store::open(&r.path()).unwrap();
    let d = kehoach::track::dashboard(&store, jiff::civil::date(2025, 12, 31)).unwrap();
    let overdue: Vec<&str> = d.overdue.iter().map(|i| i.assignment.as_str()).collect();
    assert_eq!(overdue, ["a02"]);
    assert_eq!(d.progress.len(), 1);
    let p = &d.progress[0];
    assert_eq!((p.assignments, p.done, p.overdue), (36, 1, 1));
    assert_eq!(p.lead_ended, 30);
    assert_eq!(d.matrices.len(), 1);
    let m = &d.matrices[0];
    let cell = m
        .cell("ubnd-huyen-phu-quy", "2025-h2".parse().unwrap())
        .unwrap();
    assert_eq!(cell.state.symbol(), "·");
    assert!(d.problems.is_empty(), "{:?}", d.problems);
}
