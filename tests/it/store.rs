//! The record store: validation of plan-data and of broken copies, the CLI's reads and writes.

use std::path::{Path, PathBuf};

use unicode_normalization::UnicodeNormalization;

use crate::common::{SAMPLE_PLAN, TestRepo, kehoach_in, plan_data, sample_assignment};
use kehoach::store::Store;

fn stdout(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}
fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Copies the record files of plan-data (not the schemas link) into `to`.
fn copy_plan_data(to: &Path) {
    fn copy(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for e in std::fs::read_dir(from).unwrap() {
            let e = e.unwrap();
            let name = e.file_name();
            if name == "schemas" {
                continue;
            }
            let p = e.path();
            if p.is_dir() {
                copy(&p, &to.join(&name));
            } else {
                std::fs::copy(&p, to.join(&name)).unwrap();
            }
        }
    }
    copy(&plan_data(), to);
}

/// 1-based number of the first line of `text` that starts with `prefix`.
fn line_of(text: &str, prefix: &str) -> usize {
    text.lines()
        .position(|l| l.starts_with(prefix))
        .expect(prefix)
        + 1
}

#[test]
fn plan_data_validates_clean() {
    let tmp = tempfile::tempdir().unwrap();
    let out = kehoach_in(Path::new(env!("CARGO_MANIFEST_DIR")), tmp.path())
        .args(["validate", "plan-data"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains("no problems"), "{}", stdout(&out));
}

#[test]
fn plan_data_is_nfc_and_carries_every_section_of_the_seed() {
    let plan = std::fs::read_to_string(plan_data().join(format!("plans/{SAMPLE_PLAN}/plan.toml")))
        .unwrap();
    assert!(kehoach::model::text::is_nfc(&plan));
    let p: kehoach::model::Plan = toml::from_str(&plan).unwrap();
    assert_eq!(p.tasks.len(), 7);
    assert_eq!(p.purposes.len(), 3);
    assert_eq!(p.duties.len(), 6);
    assert_eq!(p.signer.name, "Nguyễn Minh");
    let seed = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/seed/000_a14cb56ae114c9a0.txt"
    ));
    if let Ok(seed) = seed {
        for t in &p.tasks {
            assert!(seed.contains(&t.text), "task {} is not verbatim", t.id);
        }
        assert!(seed.contains(&p.funding));
        assert!(seed.contains(&p.preamble));
        assert!(seed.contains(&p.closing));
    }
}

#[test]
fn a_broken_copy_gets_one_error_per_problem_with_file_and_line() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("data");
    copy_plan_data(&root);
    let plan = format!("plans/{SAMPLE_PLAN}");

    // 1. A syntax error: an unterminated string.
    let f = root.join("agencies/so-y-te.toml");
    let text = std::fs::read_to_string(&f).unwrap();
    let broken = text.replacen("short_name = \"Sở Y tế\"", "short_name = \"Sở Y tế", 1);
    assert_ne!(text, broken);
    std::fs::write(&f, &broken).unwrap();
    let syntax_line = line_of(&broken, "short_name");

    // 2. An unknown agency.
    let f = root.join(format!("{plan}/assignments/a05.toml"));
    let text = std::fs::read_to_string(&f).unwrap();
    let lead = text
        .lines()
        .find(|l| l.starts_with("lead = "))
        .unwrap()
        .to_string();
    let text = text.replacen(&lead, "lead = \"so-khong-co\"", 1);
    std::fs::write(&f, &text).unwrap();
    let unknown_line = line_of(&text, "lead = ");

    // 3. A bad id.
    let text = std::fs::read_to_string(root.join("agencies/tand-tinh.toml")).unwrap();
    let text = text.replacen("id = \"tand-tinh\"", "id = \"../TAND\"", 1);
    std::fs::write(root.join("agencies/tand-tinh.toml"), &text).unwrap();
    let bad_id_line = line_of(&text, "id = ");

    // 4. NFD text.
    let f = root.join(format!("{plan}/reports/2025-h1/so-y-te.toml"));
    let text = std::fs::read_to_string(&f).unwrap();
    let summary = text
        .lines()
        .find(|l| l.starts_with("notes = "))
        .unwrap()
        .to_string();
    let nfd: String = summary.nfd().collect();
    assert_ne!(summary, nfd);
    let text = text.replacen(&summary, &nfd, 1);
    std::fs::write(&f, &text).unwrap();
    let nfd_line = line_of(&text, "notes = ");

    // 5. A duplicated id: a second file that says it is so-tai-chinh.
    std::fs::copy(
        root.join("agencies/so-tai-chinh.toml"),
        root.join("agencies/so-tai-chinh-2.toml"),
    )
    .unwrap();
    let dup_line = line_of(
        &std::fs::read_to_string(root.join("agencies/so-tai-chinh-2.toml")).unwrap(),
        "id = ",
    );

    let out = kehoach_in(tmp.path(), tmp.path())
        .args(["validate", "data"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().filter(|l| l.starts_with("data/")).collect();
    let expect = [
        (
            format!("data/agencies/so-tai-chinh-2.toml:{dup_line}:"),
            "duplicate id",
        ),
        (
            format!("data/agencies/so-y-te.toml:{syntax_line}:"),
            "TOML syntax",
        ),
        (
            format!("data/agencies/tand-tinh.toml:{bad_id_line}:"),
            "id:",
        ),
        (
            format!("data/{plan}/assignments/a05.toml:{unknown_line}:"),
            "unknown agency \"so-khong-co\"",
        ),
        (
            format!("data/{plan}/reports/2025-h1/so-y-te.toml:{nfd_line}:"),
            "NFC",
        ),
    ];
    assert_eq!(lines.len(), expect.len(), "one error per problem:\n{text}");
    for (prefix, needle) in &expect {
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with(prefix.as_str()) && l.contains(needle)),
            "no line starting {prefix} containing {needle:?} in:\n{text}"
        );
    }
    assert!(text.contains("5 errors"), "{text}");

    // The same as JSON.
    let out = kehoach_in(tmp.path(), tmp.path())
        .args(["validate", "data", "--json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["errors"], 5);
    assert_eq!(v["problems"][0]["line"], dup_line);
}

/// `kehoach validate data` run in `dir`, which must find errors (exit code 1): what it printed.
fn validate_failing(dir: &Path) -> String {
    let out = kehoach_in(dir, dir)
        .args(["validate", "data"])
        .output()
        .unwrap();
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}{}", stderr(&out));
    text
}

#[test]
fn oversized_and_deeply_nested_files_are_errors_not_crashes() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("data");
    copy_plan_data(&root);
    std::fs::write(
        root.join("agencies/sau.toml"),
        format!(
            "id = \"sau\"\nnotes = {}1{}\n",
            "[".repeat(200_000),
            "]".repeat(200_000)
        ),
    )
    .unwrap();
    std::fs::write(
        root.join("agencies/lon.toml"),
        format!("id = \"lon\"\nnotes = \"{}\"\n", "x".repeat(2 << 20)),
    )
    .unwrap();
    let text = validate_failing(tmp.path());
    assert!(
        text.contains("data/agencies/sau.toml:2:") && text.contains("nested deeper"),
        "{text}"
    );
    assert!(
        text.contains("data/agencies/lon.toml:1:1: file is"),
        "{text}"
    );
}

#[test]
fn a_file_that_is_not_utf8_is_named_with_the_line_of_the_bad_byte() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("data");
    copy_plan_data(&root);
    // Text saved in a legacy Vietnamese code page: "Sở" as 0x53 0xFE.
    let mut bytes = b"id = \"cu\"\nname = \"Ph\xc3\xb2ng\"\nnotes = \"S".to_vec();
    bytes.extend_from_slice(b"\xfe y t\xea\"\n");
    std::fs::write(root.join("agencies/cu.toml"), &bytes).unwrap();
    let text = validate_failing(tmp.path());
    assert!(
        text.contains("data/agencies/cu.toml:3:11: not UTF-8 text"),
        "{text}"
    );
}

#[test]
fn set_changes_one_line_and_makes_one_commit_naming_the_record() {
    let repo = TestRepo::sample();
    let before = repo.git(&["rev-list", "--count", "HEAD"]);
    let out = repo
        .cmd()
        .args(["set", "a04", "due", "2025-12-15"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let after = repo.git(&["rev-list", "--count", "HEAD"]);
    assert_eq!(
        after.trim().parse::<u32>().unwrap(),
        before.trim().parse::<u32>().unwrap() + 1
    );
    let numstat = repo.git(&["diff", "--numstat", "HEAD~1", "HEAD"]);
    assert_eq!(
        numstat.trim(),
        format!("1\t1\t{}", sample_assignment("a04"))
    );
    let msg = repo.git(&["log", "-1", "--format=%an%n%s%n%b"]);
    assert!(
        msg.starts_with("Nguyễn Văn Thử\nupdate assignment a04: due: continuous → 2025-12-15"),
        "{msg}"
    );
    assert!(
        msg.contains(&format!("Record: {}", sample_assignment("a04"))),
        "{msg}"
    );
    assert_eq!(
        repo.git(&["status", "--porcelain"]),
        "",
        "the index is kept in step"
    );
    // The same value again: nothing to commit.
    let out = repo
        .cmd()
        .args(["set", "a04", "due", "2025-12-15"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(stdout(&out).contains("nothing changed"));
    assert_eq!(repo.git(&["rev-list", "--count", "HEAD"]), after);
}

#[test]
fn set_refuses_bad_values_and_writes_nothing() {
    let repo = TestRepo::sample();
    let head = repo.git(&["rev-parse", "HEAD"]);
    let file = sample_assignment("a04");
    let original = repo.read(&file);
    let cases: &[(&[&str], &str)] = &[
        (&["set", "a04", "due", "2025-13-01"], "due"),
        (&["set", "a04", "status", "finished"], "status"),
        (&["set", "a04", "lead", "so-khong-co"], "unknown agency"),
        (&["set", "a04", "colour", "blue"], "no field \"colour\""),
        (&["set", "a04", "tasks", "t99"], "no task \"t99\""),
        (&["set", "../etc", "due", "2025-12-01"], "no record"),
        (&["set", "a04", "coordinating", "Sở Y tế"], "coordinating"),
    ];
    for (args, needle) in cases {
        let out = repo.cmd().args(*args).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{args:?} should fail");
        let err = stderr(&out);
        assert!(err.starts_with("error: "), "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: {err}");
        assert_eq!(repo.read(&file), original, "{args:?} wrote the file");
        assert_eq!(repo.git(&["rev-parse", "HEAD"]), head, "{args:?} committed");
    }
    // A validation error names the file, line and field.
    let out = repo
        .cmd()
        .args(["set", "a04", "due", "2025-13-01"])
        .output()
        .unwrap();
    let err = stderr(&out);
    let line = line_of(&original, "due = ");
    assert!(
        err.contains(&format!("{file}:{line}:")) && err.contains("due:"),
        "{err}"
    );
    assert_eq!(repo.git(&["status", "--porcelain"]), "");
}

#[test]
fn set_normalises_decomposed_text_to_nfc() {
    let repo = TestRepo::sample();
    let nfd: String = "Tăng cường phối hợp liên ngành".nfd().collect();
    let out = repo
        .cmd()
        .args(["set", "a04", "title", &nfd])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let text = repo.read(&sample_assignment("a04"));
    assert!(
        text.contains("title = \"Tăng cường phối hợp liên ngành\""),
        "{text}"
    );
    assert!(kehoach::model::text::is_nfc(&text));
}

#[test]
fn a_missing_identity_is_an_error_not_a_made_up_name() {
    let repo = TestRepo::sample();
    repo.git(&["config", "--unset", "user.name"]);
    repo.git(&["config", "--unset", "user.email"]);
    let head = repo.git(&["rev-parse", "HEAD"]);
    let out = repo
        .cmd()
        .env_remove("GIT_AUTHOR_NAME")
        .env_remove("GIT_AUTHOR_EMAIL")
        .env_remove("GIT_COMMITTER_NAME")
        .env_remove("GIT_COMMITTER_EMAIL")
        .args(["set", "a04", "due", "2025-12-15"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("no git identity") && err.contains("git config --global user.name"),
        "{err}"
    );
    assert_eq!(repo.git(&["rev-parse", "HEAD"]), head);
    assert_eq!(repo.git(&["status", "--porcelain"]), "");
}

#[test]
fn new_records_are_validated_and_committed() {
    let repo = TestRepo::sample();
    let out = repo
        .cmd()
        .args([
            "new",
            "assignment",
            "--plan",
            SAMPLE_PLAN,
            "--id",
            "a90",
            "--tasks",
            "t2,t3",
            "--lead",
            "so-y-te",
            "--coordinating",
            "so-tai-chinh",
            "--title",
            "Tập huấn kỹ năng",
            "--description",
            "Tổ chức tập huấn kỹ năng bảo vệ trẻ em cho cán bộ cấp xã.",
            "--due",
            "yearly:11-30",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let path = sample_assignment("a90");
    let text = repo.read(&path);
    assert!(
        text.starts_with("#:schema ../../../schemas/assignment.schema.json\n"),
        "{text}"
    );
    let msg = repo.git(&["log", "-1", "--format=%s%n%b"]);
    assert!(msg.starts_with("create assignment a90"), "{msg}");
    assert!(msg.contains(&format!("Record: {path}")));
    // Again: it exists.
    let out = repo
        .cmd()
        .args([
            "new",
            "agency",
            "--id",
            "so-y-te",
            "--name",
            "Sở Y tế",
            "--kind",
            "department",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("already exists"), "{}", stderr(&out));
    // A bad id gets a hint with a usable one.
    let out = repo
        .cmd()
        .args([
            "new",
            "agency",
            "--id",
            "Sở Xây dựng",
            "--name",
            "Sở Xây dựng",
            "--kind",
            "department",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("hint: for example: so-xay-dung"),
        "{}",
        stderr(&out)
    );
    // Missing flags, not in a terminal: named.
    let out = repo
        .cmd()
        .args(["new", "report", "--plan", SAMPLE_PLAN])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("missing --agency, --period"),
        "{}",
        stderr(&out)
    );
    // An unknown agency in a new record: nothing written.
    let out = repo
        .cmd()
        .args([
            "new",
            "report",
            "--plan",
            SAMPLE_PLAN,
            "--agency",
            "so-khong-co",
            "--period",
            "2025-h2",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        !repo
            .path()
            .join(format!(
                "plans/{SAMPLE_PLAN}/reports/2025-h2/so-khong-co.toml"
            ))
            .exists()
    );
}

#[test]
fn list_and_show_read_records_as_text_and_json() {
    let repo = TestRepo::sample();
    let out = repo
        .cmd()
        .args(["list", "assignments", "--agency", "tand-tinh", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let rows: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let ids: Vec<&str> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["a04"]);
    let out = repo.cmd().args(["list", "agencies"]).output().unwrap();
    assert!(stdout(&out).contains("so-y-te"));
    let out = repo.cmd().args(["list", "widgets"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("hint: choose one of"));
    let out = repo
        .cmd()
        .args(["show", "2025-h1/so-y-te", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["kind"], "report");
    assert_eq!(v["record"]["agency"], "so-y-te");
    let out = repo.cmd().args(["show", "a01"]).output().unwrap();
    assert!(
        stdout(&out).starts_with("assignment a01"),
        "{}",
        stdout(&out)
    );
    let out = repo.cmd().args(["show", "khong-co"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("hint: `kehoach list`"));
}

#[test]
fn show_escapes_control_and_bidi_characters() {
    let repo = TestRepo::sample();
    let out = repo
        .cmd()
        .args(["set", "a04", "notes", "xóa \u{1b}[2J màn hình \u{202E}đảo"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let out = repo.cmd().args(["show", "a04"]).output().unwrap();
    let text = stdout(&out);
    assert!(!text.contains('\u{1b}') && !text.contains('\u{202E}'));
    assert!(
        text.contains("\\x1b[2J") || text.contains("\\\\u001b") || text.contains("\\u001B"),
        "{text}"
    );
}

#[test]
fn file_names_and_list_items_with_control_characters_are_shown_escaped() {
    let repo = TestRepo::sample();
    // A record file whose name carries an escape sequence, and a list item that does.
    repo.write(
        "agencies/e\u{1b}[31mvil.toml",
        "id = \"evil\"\nname = \"Chim\"\n",
    );
    let rel = "plans/kh-27-qd-ttg-binh-thuan/assignments/a04.toml";
    let text = repo.read(rel);
    repo.write(
        rel,
        &text.replace(
            "tasks = [\"t3\", \"t4\"]",
            "tasks = [\"t3\", \"t4\", \"x\\u001b[2Jy\\u202Ez\"]",
        ),
    );
    for args in [
        &["validate"][..],
        &["status"],
        &["diff"],
        &["index"],
        &["search", "chim"],
    ] {
        let out = repo.cmd().args(args).output().unwrap();
        let text = format!("{}{}", stdout(&out), stderr(&out));
        assert!(
            !text.contains('\u{1b}') && !text.contains('\u{202E}'),
            "{args:?}: {text:?}"
        );
        assert!(text.contains("e\\x1b[31mvil"), "{args:?}: {text}");
    }
    let out = repo.cmd().args(["diff"]).output().unwrap();
    assert!(
        stdout(&out).contains("+x\\x1b[2Jy<U+202E>z"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn init_and_demo_make_valid_repositories() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let out = kehoach_in(tmp.path(), &home)
        .args(["init", "empty"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let out = kehoach_in(&tmp.path().join("empty"), &home)
        .args(["validate"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stdout(&out));
    // init refuses a folder that has files in it.
    let out = kehoach_in(tmp.path(), &home)
        .args(["init", "empty"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));

    let demo = TestRepo::demo();
    let n: u32 = demo
        .git(&["rev-list", "--count", "HEAD"])
        .trim()
        .parse()
        .unwrap();
    assert!(n >= 10, "the demo has a history ({n} commits)");
    let out = demo.cmd().args(["validate"]).output().unwrap();
    assert!(out.status.success(), "{}", stdout(&out));
    assert_eq!(demo.git(&["status", "--porcelain"]), "");
    // Its final state is the sample data.
    let a03: PathBuf = plan_data().join(sample_assignment("a03"));
    assert_eq!(
        demo.read(&sample_assignment("a03")),
        std::fs::read_to_string(a03).unwrap()
    );
}

/// Waits until a file written now gets a later time than every record file of `r` (so that
/// git's index, written next, is not "racy" for them).
fn wait_past_record_files(r: &TestRepo, s: &Store) {
    use std::os::unix::fs::MetadataExt;
    let newest = s
        .stat_record_files()
        .unwrap()
        .iter()
        .map(|f| f.mtime_ns)
        .max()
        .unwrap();
    while s.fs_now_ns().unwrap() <= newest {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    // The index written after that instant.
    r.git(&["update-index", "--really-refresh", "-q"]);
    let index = std::fs::metadata(r.path().join(".git/index")).unwrap();
    assert!(index.mtime() * 1_000_000_000 + index.mtime_nsec() > newest);
}

#[test]
fn record_reader_reads_the_work_tree_only_where_git_vouches_for_the_file() {
    let r = TestRepo::sample();
    let s = Store::open(&r.path()).unwrap();
    wait_past_record_files(&r, &s);
    let head = s.head_commit_id().unwrap().unwrap();
    let entries = s.record_entries(&head).unwrap();
    let files: Vec<(&str, &str)> = entries
        .iter()
        .map(|e| (e.path.as_str(), e.blob.as_str()))
        .collect();
    let blobs = |files: &[(&str, &str)]| -> Vec<Vec<u8>> {
        files.iter().map(|(_, b)| s.read_blob(b).unwrap()).collect()
    };

    // A clean work tree: every file from the work tree, each the commit's content.
    let (contents, counts) = s.record_reader().read(&files).unwrap();
    assert_eq!(contents, blobs(&files));
    assert_eq!(counts.from_work_tree, files.len());
    assert_eq!(counts.from_objects, 0);

    // Edited in place, the same size; deleted; edited and staged: each from the commit.
    let a03 = sample_assignment("a03");
    let a04 = sample_assignment("a04");
    let a05 = sample_assignment("a05");
    let text = r.read(&a03);
    let same_size = text.replacen("a03", "x03", 1);
    assert_eq!(same_size.len(), text.len());
    r.write(&a03, &same_size);
    std::fs::remove_file(r.path().join(&a04)).unwrap();
    r.write(&a05, &r.read(&a05).replace("Sở", "Phòng"));
    r.git(&["add", &a05]);
    let (contents, counts) = s.record_reader().read(&files).unwrap();
    assert_eq!(contents, blobs(&files));
    assert_eq!(counts.from_objects, 3, "{counts:?}");
    assert_eq!(counts.from_work_tree, files.len() - 3);

    // An index written before the files' times ("racy": git would look at them again):
    // nothing from the work tree.
    let mut touch = std::process::Command::new("touch");
    touch.args(["-m", "-d", "2001-01-01 00:00:00"]);
    assert!(
        touch
            .arg(r.path().join(".git/index"))
            .status()
            .unwrap()
            .success()
    );
    let (contents, counts) = s.record_reader().read(&files).unwrap();
    assert_eq!(contents, blobs(&files));
    assert_eq!(counts.from_work_tree, 0);
}

#[test]
fn indexed_files_are_read_as_they_were_or_not_at_all() {
    use kehoach::store::tree::FileContent;
    let r = TestRepo::sample();
    let s = Store::open(&r.path()).unwrap();
    let oid = |hex: &str| git2::Oid::from_str(hex).unwrap();
    let a01 = sample_assignment("a01");
    let committed = r.git(&["rev-parse", &format!("HEAD:{a01}")]);
    let committed = oid(committed.trim());
    let files = s.indexed_files();
    let content = |bytes: &[u8], indexed: bool| {
        Some(FileContent {
            bytes: bytes.to_vec(),
            indexed,
        })
    };
    let original = r.read(&a01).into_bytes();
    assert_eq!(files.read(&a01, committed), content(&original, true));
    // Changed since: the blob read then, from git's objects.
    let changed = "title = \"khác\"\n".as_bytes();
    r.write(&a01, "title = \"khác\"\n");
    assert_eq!(files.read(&a01, committed), content(&original, true));
    // Content git never held, changed since: the file as it is now; gone too: nothing.
    let never = oid(&Store::blob_id("title = \"trước\"\n".as_bytes()));
    assert_eq!(files.read(&a01, never), content(changed, false));
    std::fs::remove_file(r.path().join(&a01)).unwrap();
    assert_eq!(files.read(&a01, never), None);
    assert_eq!(files.read(&a01, committed), content(&original, true));
    // Outside the records: never read, even when the blob matches.
    let outside = b"secret = 1\n";
    std::fs::write(r.path().join("plan.toml"), outside).unwrap();
    std::fs::write(r.path().join("x.toml"), outside).unwrap();
    let id = oid(&Store::blob_id(outside));
    for path in ["plans/../plan.toml", "/x.toml", "x.toml", "kehoach.toml"] {
        assert_eq!(files.read(path, id), None, "{path}");
    }
    // git's ids: the same as git hash-object's.
    assert_eq!(
        Store::blob_id(outside),
        r.git(&["hash-object", "x.toml"]).trim()
    );
}

#[test]
fn blobs_at_a_commit_are_found_folder_by_folder_as_git_names_them() {
    let r = TestRepo::sample();
    let s = Store::open(&r.path()).unwrap();
    let head = s.head_commit_id().unwrap().unwrap();
    let entries = s.record_entries(&head).unwrap();
    assert!(entries.len() > 10);
    // Every record file, asked in any order: the blob git's tree names.
    let mut blobs = s.blobs_at(&head).unwrap();
    for e in entries.iter().rev() {
        assert_eq!(
            blobs.get(&e.path).unwrap().as_deref(),
            Some(e.blob.as_str())
        );
        let spec = format!("{head}:{}", s.repo_path(&e.path));
        assert_eq!(r.git(&["rev-parse", &spec]).trim(), e.blob);
    }
    // What the commit does not hold as a file: nothing.
    let a01 = sample_assignment("a01");
    let folder = a01.rsplit_once('/').unwrap().0;
    for missing in [
        "plans/nowhere/plan.toml".to_string(),
        format!("{folder}/a99.toml"),
        folder.to_string(),
        format!("{a01}/x.toml"),
        "agencies".to_string(),
    ] {
        assert_eq!(blobs.get(&missing).unwrap(), None, "{missing}");
    }
    // An older commit: the blob of then.
    r.write(
        &a01,
        &r.read(&a01).replacen("title = \"", "title = \"Mới: ", 1),
    );
    r.git(&["commit", "-qam", "Edit a01"]);
    let new = s.head_commit_id().unwrap().unwrap();
    let old_blob = s.blobs_at(&head).unwrap().get(&a01).unwrap();
    let new_blob = s.blobs_at(&new).unwrap().get(&a01).unwrap();
    assert_ne!(old_blob, new_blob);
    let spec = format!("{new}:{}", s.repo_path(&a01));
    assert_eq!(new_blob.unwrap(), r.git(&["rev-parse", &spec]).trim());
}
