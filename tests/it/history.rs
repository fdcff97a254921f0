//! History: the commit engine under crashes and concurrent writers, log, diff, blame, time
//! travel, revert, restore, sync and status — the real binary on real repositories.

use std::path::Path;
use std::process::Command as StdCommand;

use crate::common::{TestRepo, hermetic, kehoach_in, sample_assignment};

fn ok(out: std::process::Output) -> String {
    assert!(
        out.status.success(),
        "failed: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn json(out: std::process::Output) -> serde_json::Value {
    serde_json::from_str(&ok(out)).unwrap()
}

fn set(r: &TestRepo, id: &str, field: &str, value: &str) -> String {
    ok(r.cmd().args(["set", id, field, value]).output().unwrap())
}

/// `kehoach set` as someone else, at another time.
fn set_as(r: &TestRepo, who: &str, when: i64, id: &str, field: &str, value: &str) {
    let date = format!("@{when} +0700");
    ok(r.cmd()
        .env("GIT_AUTHOR_NAME", who)
        .env("GIT_COMMITTER_NAME", who)
        .env("GIT_AUTHOR_DATE", &date)
        .env("GIT_COMMITTER_DATE", &date)
        .args(["set", id, field, value])
        .output()
        .unwrap());
}

fn head(r: &TestRepo) -> String {
    r.git(&["rev-parse", "HEAD"]).trim().to_string()
}

fn field(r: &TestRepo, id: &str, name: &str) -> String {
    let v = json(r.cmd().args(["show", id, "--json"]).output().unwrap());
    match &v["record"][name] {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// `git fsck --full` reports nothing but dangling objects.
fn fsck_clean(dir: &Path, home: &Path) {
    let mut c = StdCommand::new("git");
    hermetic(&mut c, home);
    let out = c
        .current_dir(dir)
        .args(["fsck", "--full", "--no-progress"])
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "fsck failed: {text}");
    for line in text.lines() {
        assert!(
            line.starts_with("dangling ") || line.trim().is_empty(),
            "fsck: {line}"
        );
    }
}

#[test]
fn git_log_reads_as_an_audit_trail() {
    let r = TestRepo::sample_without_review();
    set_as(&r, "Trần Thị Lan", 1750100000, "a03", "due", "2025-11-30");
    set_as(
        &r,
        "Lê Minh Tâm",
        1750200000,
        "a03",
        "coordinating",
        "so-y-te",
    );
    set(&r, "a04", "status", "done");
    let log = r.git(&["log", "--format=%an %s%n%b"]);
    for want in [
        "Nguyễn Văn Thử update assignment a04: status: in_progress → done",
        "Lê Minh Tâm update assignment a03: coordinating: +so-y-te",
        "Trần Thị Lan update assignment a03: due: 2025-12-31 → 2025-11-30",
        "- due: 2025-12-31 → 2025-11-30",
        "Record: plans/kh-27-qd-ttg-binh-thuan/assignments/a03.toml",
    ] {
        assert!(log.contains(want), "missing {want:?} in:\n{log}");
    }
    // The index is kept in step: nothing shows as changed.
    assert_eq!(r.git(&["status", "--porcelain"]), "");
}

#[test]
fn log_of_a_record_lists_versions_with_fields() {
    let r = TestRepo::sample_without_review();
    set_as(&r, "Trần Thị Lan", 1750100000, "a03", "due", "2025-11-30");
    set(&r, "a04", "status", "done");
    set_as(
        &r,
        "Lê Minh Tâm",
        1750200000,
        "a03",
        "status",
        "in_progress",
    );
    let v = json(r.cmd().args(["log", "a03", "--json"]).output().unwrap());
    assert_eq!(v["kind"], "assignment");
    assert_eq!(v["id"], "a03");
    assert_eq!(
        v["path"],
        "plans/kh-27-qd-ttg-binh-thuan/assignments/a03.toml"
    );
    let versions = v["versions"].as_array().unwrap();
    assert_eq!(versions.len(), 3, "{v:#}");
    let first = &versions[0];
    let keys: Vec<&str> = first
        .as_object()
        .unwrap()
        .keys()
        .map(|k| k.as_str())
        .collect();
    assert_eq!(
        keys,
        [
            "commit", "date", "author", "email", "summary", "path", "status", "changes"
        ]
    );
    assert_eq!(first["author"], "Lê Minh Tâm");
    assert_eq!(first["date"], "2025-06-18T05:40:00+07:00");
    assert_eq!(first["status"], "changed");
    assert_eq!(
        first["changes"],
        serde_json::json!([{"field": "status", "old": "done", "new": "in_progress"}])
    );
    assert_eq!(versions[1]["author"], "Trần Thị Lan");
    assert_eq!(versions[1]["changes"][0]["field"], "due");
    assert_eq!(versions[2]["status"], "created");
    assert_eq!(versions[2]["changes"], serde_json::json!([]));

    let text = ok(r.cmd().args(["log", "a03"]).output().unwrap());
    assert!(text.contains("3 versions"), "{text}");
    assert!(text.contains("    due: 2025-12-31 → 2025-11-30"), "{text}");

    // The repository's log in record terms.
    let all = json(r.cmd().args(["log", "-n", "2", "--json"]).output().unwrap());
    let all = all.as_array().unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[1]["records"][0]["id"], "a04");
    assert_eq!(all[1]["records"][0]["kind"], "assignment");
    assert_eq!(all[1]["records"][0]["changes"][0]["new"], "done");
}

#[test]
fn log_follows_a_rename() {
    let r = TestRepo::sample_without_review();
    set(&r, "a03", "due", "2025-11-30");
    let from = sample_assignment("a03");
    let to = sample_assignment("a03b");
    r.git(&["mv", &from, &to]);
    r.git(&["commit", "-qm", "rename a03 to a03b"]);
    let v = json(r.cmd().args(["log", &to, "--json"]).output().unwrap());
    let versions = v["versions"].as_array().unwrap();
    assert_eq!(versions[0]["status"], "renamed", "{v:#}");
    assert_eq!(versions[0]["old_path"], from.as_str());
    assert_eq!(versions[1]["changes"][0]["field"], "due");
    assert_eq!(versions.last().unwrap()["status"], "created");
}

#[test]
fn diff_is_field_level() {
    let r = TestRepo::sample_without_review();
    // Uncommitted by default.
    let p = sample_assignment("a04");
    let text = r
        .read(&p)
        .replace("status = \"in_progress\"", "status = \"done\"");
    r.write(&p, &text);
    let out = ok(r.cmd().arg("diff").output().unwrap());
    assert_eq!(
        out,
        "plans/kh-27-qd-ttg-binh-thuan/assignments/a04  status: in_progress → done\n"
    );
    r.git(&["checkout", "--", &p]);

    set(&r, "a03", "due", "2025-11-30");
    set(&r, "a03", "coordinating", "so-y-te,cong-an-tinh");
    let new = sample_assignment("a99");
    let a99 = r
        .read(&sample_assignment("a03"))
        .replace("id = \"a03\"", "id = \"a99\"");
    r.write(&new, &a99);
    r.git(&["add", &new]);
    r.git(&["commit", "-qm", "add a99"]);
    let out = ok(r.cmd().args(["diff", "HEAD~3..HEAD"]).output().unwrap());
    assert_eq!(
        out,
        "plans/kh-27-qd-ttg-binh-thuan/assignments/a03  coordinating: +so-y-te +cong-an-tinh\n\
         plans/kh-27-qd-ttg-binh-thuan/assignments/a03  due: 2025-12-31 → 2025-11-30\n\
         plans/kh-27-qd-ttg-binh-thuan/assignments/a99  created\n"
    );
    // One record only, as JSON; and a deletion.
    let v = json(
        r.cmd()
            .args(["diff", "HEAD~3..HEAD", "a03", "--json"])
            .output()
            .unwrap(),
    );
    assert_eq!(
        v,
        serde_json::json!([{
            "path": "plans/kh-27-qd-ttg-binh-thuan/assignments/a03.toml",
            "kind": "assignment",
            "id": "a03",
            "status": "changed",
            "changes": [
                {"field": "coordinating", "added": ["so-y-te", "cong-an-tinh"]},
                {"field": "due", "old": "2025-12-31", "new": "2025-11-30"}
            ]
        }])
    );
    r.git(&["rm", "-q", &new]);
    r.git(&["commit", "-qm", "drop a99"]);
    let out = ok(r.cmd().args(["diff", "HEAD~1..HEAD"]).output().unwrap());
    assert_eq!(
        out,
        "plans/kh-27-qd-ttg-binh-thuan/assignments/a99  deleted\n"
    );
}

#[test]
fn blame_names_the_last_change_of_each_field() {
    let r = TestRepo::sample_without_review();
    set_as(&r, "Trần Thị Lan", 1750100000, "a03", "due", "2025-11-30");
    set_as(
        &r,
        "Lê Minh Tâm",
        1750200000,
        "a03",
        "status",
        "in_progress",
    );
    set_as(&r, "Lê Minh Tâm", 1750300000, "a03", "due", "2025-10-31");
    // A change back to an earlier value is a change.
    set_as(&r, "Trần Thị Lan", 1750400000, "a03", "status", "done");
    let v = json(r.cmd().args(["blame", "a03", "--json"]).output().unwrap());
    let fields = v["fields"].as_array().unwrap();
    let by = |name: &str| fields.iter().find(|f| f["field"] == name).unwrap().clone();
    assert_eq!(by("due")["value"], "2025-10-31");
    assert_eq!(by("due")["author"], "Lê Minh Tâm");
    assert_eq!(by("due")["date"], "2025-06-19T09:26:40+07:00");
    assert_eq!(by("status")["author"], "Trần Thị Lan");
    assert_eq!(by("title")["author"], "Nguyễn Văn Thử");
    assert_eq!(by("title")["summary"], "create repository: sample plan");
    let due = by("due");
    let keys: Vec<&str> = due
        .as_object()
        .unwrap()
        .keys()
        .map(|k| k.as_str())
        .collect();
    assert_eq!(
        keys,
        [
            "field", "value", "commit", "date", "author", "email", "summary"
        ]
    );
    let text = ok(r.cmd().args(["blame", "a03"]).output().unwrap());
    assert!(
        text.lines()
            .any(|l| l.starts_with("due ") && l.contains("Lê Minh Tâm")),
        "{text}"
    );
}

#[test]
fn show_and_list_at_a_date_or_revision() {
    let r = TestRepo::sample_without_review();
    let first = head(&r);
    set_as(&r, "Trần Thị Lan", 1750100000, "a03", "due", "2025-11-30");
    set_as(&r, "Trần Thị Lan", 1750200000, "a04", "status", "done");
    // 1750000000 is 2025-06-15 22:06 +0700; 1750100000 is 2025-06-17 01:53.
    let at = |args: &[&str]| json(r.cmd().args(args).output().unwrap());
    let v = at(&["show", "a03", "--at", "2025-06-16", "--json"]);
    assert_eq!(v["record"]["due"], "2025-12-31");
    assert_eq!(v["at"]["commit"], first.as_str());
    let v = at(&["show", "a03", "--at", "2025-06-17", "--json"]);
    assert_eq!(v["record"]["due"], "2025-11-30");
    let v = at(&["show", "a03", "--at", "HEAD~2", "--json"]);
    assert_eq!(v["record"]["due"], "2025-12-31");
    let status_of = |rows: &serde_json::Value, id: &str| {
        rows.as_array()
            .unwrap()
            .iter()
            .find(|x| x["id"] == id)
            .unwrap()["status"]
            .clone()
    };
    let now = at(&["list", "--json"]);
    assert_eq!(status_of(&now, "a04"), "done");
    let then = at(&["list", "--at", "2025-06-17", "--json"]);
    assert_eq!(status_of(&then, "a04"), "in_progress");
    assert_eq!(
        then.as_array().unwrap().len(),
        now.as_array().unwrap().len()
    );
    // Before the first commit: a clear error.
    let out = r
        .cmd()
        .args(["show", "a03", "--at", "2020-01-01"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no commit on this branch at or before 2020-01-01"),
        "{err}"
    );
}

#[test]
fn revert_undoes_with_a_new_commit_field_by_field() {
    let r = TestRepo::sample_without_review();
    set(&r, "a03", "due", "2025-11-30");
    let target = head(&r);
    set(&r, "a03", "status", "in_progress");
    let before = r.git(&["rev-list", "--count", "HEAD"]);
    let out = ok(r.cmd().args(["revert", &target]).output().unwrap());
    assert!(
        out.contains("assignment a03  due: 2025-11-30 → 2025-12-31"),
        "{out}"
    );
    assert_eq!(field(&r, "a03", "due"), "2025-12-31");
    // What changed since is kept; history only grows.
    assert_eq!(field(&r, "a03", "status"), "in_progress");
    let after = r.git(&["rev-list", "--count", "HEAD"]);
    assert_eq!(
        after.trim().parse::<u32>().unwrap(),
        before.trim().parse::<u32>().unwrap() + 1
    );
    let msg = r.git(&["log", "-1", "--format=%B"]);
    assert!(
        msg.starts_with("revert assignment a03: due: 2025-11-30 → 2025-12-31\n"),
        "{msg}"
    );
    assert!(
        msg.contains(&format!(
            "This reverts commit {target} (update assignment a03: due: 2025-12-31 → 2025-11-30)."
        )),
        "{msg}"
    );
    assert!(
        msg.contains("- assignment a03  due: 2025-11-30 → 2025-12-31"),
        "{msg}"
    );
    assert!(msg.contains("Record: plans/kh-27-qd-ttg-binh-thuan/assignments/a03.toml"));
    assert_eq!(r.git(&["status", "--porcelain"]), "");
}

#[test]
fn revert_of_a_field_changed_since_is_a_conflict_and_writes_nothing() {
    let r = TestRepo::sample_without_review();
    set(&r, "a03", "due", "2025-11-30");
    let target = head(&r);
    set(&r, "a03", "due", "2025-10-31");
    let h = head(&r);
    let out = r.cmd().args(["revert", &target]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("nothing was written"), "{err}");
    assert!(
        err.contains(
            "plans/kh-27-qd-ttg-binh-thuan/assignments/a03.toml  due: here 2025-10-31, there 2025-12-31 (was 2025-11-30)"
        ),
        "{err}"
    );
    assert_eq!(head(&r), h);
    assert_eq!(field(&r, "a03", "due"), "2025-10-31");
}

#[test]
fn restore_puts_a_record_back_with_a_new_commit() {
    let r = TestRepo::sample_without_review();
    set(&r, "a03", "due", "2025-11-30");
    set(&r, "a03", "status", "in_progress");
    let out = ok(r
        .cmd()
        .args(["restore", "a03", "--to", "HEAD~2"])
        .output()
        .unwrap());
    assert!(out.contains("due: 2025-11-30 → 2025-12-31"), "{out}");
    assert!(out.contains("status: in_progress → done"), "{out}");
    assert_eq!(field(&r, "a03", "due"), "2025-12-31");
    let msg = r.git(&["log", "-1", "--format=%s%n%b"]);
    assert!(
        msg.starts_with("restore assignment a03: due, status"),
        "{msg}"
    );
    assert!(msg.contains("Restored to its version in commit"), "{msg}");
    // Again: nothing to do, no commit.
    let h = head(&r);
    let out = ok(r
        .cmd()
        .args(["restore", "a03", "--to", "HEAD~3"])
        .output()
        .unwrap());
    assert!(out.contains("already as it was"), "{out}");
    assert_eq!(head(&r), h);
}

#[test]
fn a_save_killed_at_any_step_leaves_a_working_repository() {
    for step in [
        "files",
        "objects",
        "commit",
        "before-ref",
        "after-ref",
        "index",
    ] {
        let r = TestRepo::sample_without_review();
        let old = head(&r);
        let out = r
            .cmd()
            .env("KEHOACH_TEST_CRASH_AT", step)
            .args(["set", "a03", "due", "2025-11-30"])
            .output()
            .unwrap();
        assert!(!out.status.success(), "{step}: the hook did not fire");
        fsck_clean(&r.path(), &r.home());
        let now = head(&r);
        let moved = now != old;
        if moved {
            assert_eq!(r.git(&["rev-parse", "HEAD~1"]).trim(), old, "{step}");
        }
        assert_eq!(
            moved,
            matches!(step, "after-ref" | "index"),
            "{step}: branch at {now}"
        );
        // Every file parses and checks.
        ok(r.cmd().arg("validate").output().unwrap());
        // The next run works without repair.
        set(&r, "a04", "status", "done");
        assert_eq!(field(&r, "a04", "status"), "done");
        if moved {
            // The crashed change is in the branch too.
            let due = r.git(&["show", &format!("HEAD:{}", sample_assignment("a03"))]);
            assert!(due.contains("due = \"2025-11-30\""), "{step}");
        }
        fsck_clean(&r.path(), &r.home());
        // The index is back in step. A save killed before the branch moved leaves its edit in
        // the work tree, uncommitted (kehoach status and diff show it): nothing is lost.
        let status = r.git(&["status", "--porcelain"]);
        if !moved {
            assert_eq!(
                status,
                format!(" M {}\n", sample_assignment("a03")),
                "{step}"
            );
        } else {
            assert_eq!(status, "", "{step}");
        }
        // No temporary files left beside the records.
        let dir = r.path().join("plans/kh-27-qd-ttg-binh-thuan/assignments");
        for e in std::fs::read_dir(dir).unwrap() {
            let name = e.unwrap().file_name().to_string_lossy().into_owned();
            assert!(!name.ends_with(".tmp"), "{step}: {name} left behind");
        }
    }
}

#[test]
fn two_writers_at_once_lose_nothing() {
    let r = TestRepo::sample_without_review();
    let start: u32 = r
        .git(&["rev-list", "--count", "HEAD"])
        .trim()
        .parse()
        .unwrap();
    let n = 100;
    let run = |id: &'static str| {
        let dir = r.path();
        let home = r.home();
        std::thread::spawn(move || {
            for i in 0..n {
                let out = kehoach_in(&dir, &home)
                    .args(["set", id, "notes", &format!("{id} edit {i}")])
                    .output()
                    .unwrap();
                assert!(
                    out.status.success(),
                    "{id} {i}: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
            }
        })
    };
    let (a, b) = (run("a03"), run("a04"));
    a.join().unwrap();
    b.join().unwrap();
    let count: u32 = r
        .git(&["rev-list", "--count", "HEAD"])
        .trim()
        .parse()
        .unwrap();
    assert_eq!(count, start + 2 * n);
    let subjects = r.git(&["log", "--format=%s", &format!("-{}", 2 * n)]);
    let mut seen = std::collections::HashSet::new();
    for s in subjects.lines() {
        assert!(seen.insert(s.to_string()), "duplicated: {s}");
    }
    for id in ["a03", "a04"] {
        for i in 0..n {
            assert!(
                subjects.contains(&format!("{id} edit {i}")),
                "lost {id} edit {i}"
            );
        }
        assert_eq!(field(&r, id, "notes"), format!("{id} edit {}", n - 1));
    }
    assert_eq!(r.git(&["status", "--porcelain"]), "");
    fsck_clean(&r.path(), &r.home());
}

#[test]
fn a_stale_git_lock_is_reported_and_kept() {
    let r = TestRepo::sample_without_review();
    let lock = r.path().join(".git/index.lock");
    std::fs::write(&lock, "").unwrap();
    let h = head(&r);
    let out = r
        .cmd()
        .args(["set", "a03", "due", "2025-11-30"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("index.lock"), "{err}");
    assert!(
        err.contains("hint: another git or kehoach process may be running; if none is, remove"),
        "{err}"
    );
    assert!(lock.exists(), "the lock was deleted");
    assert_eq!(head(&r), h);
    assert!(
        r.read(&sample_assignment("a03"))
            .contains("due = \"2025-12-31\"")
    );
    std::fs::remove_file(&lock).unwrap();
    set(&r, "a03", "due", "2025-11-30");
}

#[test]
fn commits_are_signed_when_git_config_asks() {
    let r = TestRepo::sample_without_review();
    let key = r.tmp.path().join("signing_key");
    let st = StdCommand::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "thu", "-f"])
        .arg(&key)
        .status();
    if !st.is_ok_and(|s| s.success()) {
        panic!("ssh-keygen is needed for this test");
    }
    r.git(&["config", "commit.gpgsign", "true"]);
    r.git(&["config", "gpg.format", "ssh"]);
    r.git(&["config", "user.signingkey", key.to_str().unwrap()]);
    let pubkey = std::fs::read_to_string(key.with_extension("pub")).unwrap();
    let allowed = r.tmp.path().join("allowed_signers");
    std::fs::write(&allowed, format!("thu.nv@soyte.example.vn {pubkey}")).unwrap();
    r.git(&[
        "config",
        "gpg.ssh.allowedSignersFile",
        allowed.to_str().unwrap(),
    ]);
    set(&r, "a03", "due", "2025-11-30");
    let raw = r.git(&["cat-file", "-p", "HEAD"]);
    assert!(
        raw.contains("gpgsig -----BEGIN SSH SIGNATURE-----"),
        "{raw}"
    );
    r.git(&["verify-commit", "HEAD"]);
    // A broken setup is an error, and nothing is written.
    r.git(&["config", "user.signingkey", "/nonexistent/key"]);
    let h = head(&r);
    let out = r
        .cmd()
        .args(["set", "a03", "due", "2025-10-31"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("could not be signed"), "{err}");
    assert_eq!(head(&r), h);
    assert!(
        r.read(&sample_assignment("a03"))
            .contains("due = \"2025-11-30\"")
    );
    assert_eq!(r.git(&["status", "--porcelain"]), "");
}

/// Two clones of one bare repository.
struct Pair {
    a: TestRepo,
    b_dir: std::path::PathBuf,
}

/// A bare repository beside `a`, added as its `origin`; its path.
fn bare_origin(a: &TestRepo) -> std::path::PathBuf {
    let bare = a.tmp.path().join("remote.git");
    let mut c = StdCommand::new("git");
    hermetic(&mut c, &a.home());
    assert!(
        c.args(["init", "-q", "--bare", "-b", "main"])
            .arg(&bare)
            .status()
            .unwrap()
            .success()
    );
    a.git(&["remote", "add", "origin", bare.to_str().unwrap()]);
    bare
}

impl Pair {
    fn new() -> Pair {
        let a = TestRepo::sample_without_review();
        let bare = bare_origin(&a);
        ok(a.cmd().arg("sync").output().unwrap());
        let b_dir = a.tmp.path().join("b");
        let mut c = StdCommand::new("git");
        hermetic(&mut c, &a.home());
        assert!(
            c.args(["clone", "-q"])
                .arg(&bare)
                .arg(&b_dir)
                .status()
                .unwrap()
                .success()
        );
        Pair { a, b_dir }
    }
    fn b(&self) -> assert_cmd::Command {
        kehoach_in(&self.b_dir, &self.a.home())
    }
    fn b_set(&self, id: &str, f: &str, v: &str) {
        ok(self
            .b()
            .env("GIT_AUTHOR_NAME", "Lê Minh Tâm")
            .args(["set", id, f, v])
            .output()
            .unwrap());
    }
}

#[test]
fn under_review_sync_does_not_push_a_commit_made_straight_on_main() {
    let a = TestRepo::sample();
    let bare = bare_origin(&a);
    ok(a.cmd().arg("sync").output().unwrap());
    let remote_main = || {
        let mut c = StdCommand::new("git");
        hermetic(&mut c, &a.home());
        let out = c.arg("--git-dir").arg(&bare).args(["rev-parse", "main"]);
        String::from_utf8(out.output().unwrap().stdout).unwrap()
    };
    let before = remote_main();
    assert_eq!(before.trim(), head(&a));

    // A commit made with git on main, past kehoach's change branches.
    let rel = sample_assignment("a03");
    a.write(&rel, &a.read(&rel).replace("due = ", "# sửa tay\ndue = "));
    a.git(&["commit", "-qam", "Sửa a03 trực tiếp"]);
    let out = a.cmd().arg("sync").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("sync did not push main to origin")
            && err.contains("Sửa a03 trực tiếp")
            && err.contains("committed straight to main")
            && err.contains("kehoach review submit"),
        "{err}"
    );
    assert_eq!(remote_main(), before);
    let out = a.cmd().args(["sync", "--json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["pushed"], false);
    assert!(v["refused"][0].as_str().unwrap().contains("direct_commit"));

    // As the hint says: on a change branch it goes out; main is left as the remote has it.
    a.git(&["switch", "-q", "-c", "review/thu/sua-a03"]);
    a.git(&["branch", "-f", "main", "origin/main"]);
    let v = json(a.cmd().args(["sync", "--json"]).output().unwrap());
    assert_eq!(v["pushed"], true, "{v:#}");
    assert_eq!(remote_main(), before);
}

#[test]
fn sync_round_trips_and_merges_by_record_and_field() {
    let p = Pair::new();
    let a = &p.a;
    // B changes one record, A another: both land on both sides.
    p.b_set("a03", "due", "2025-11-30");
    ok(p.b().arg("sync").output().unwrap());
    set(a, "a04", "status", "done");
    // Different fields of one record merge too.
    set(a, "a05", "due", "2025-09-30");
    p.b_set("a05", "status", "in_progress");
    ok(p.b().arg("sync").output().unwrap());
    let s = json(a.cmd().args(["status", "--json"]).output().unwrap());
    assert_eq!(s["branch"], "main");
    assert_eq!(s["upstream"], "origin/main");
    assert_eq!(s["ahead"], 2);
    let v = json(a.cmd().args(["sync", "--json"]).output().unwrap());
    assert_eq!(v["action"], "merged", "{v:#}");
    assert_eq!(v["pushed"], true);
    assert_eq!(field(a, "a03", "due"), "2025-11-30");
    assert_eq!(field(a, "a04", "status"), "done");
    assert_eq!(field(a, "a05", "due"), "2025-09-30");
    assert_eq!(field(a, "a05", "status"), "in_progress");
    assert_eq!(a.git(&["status", "--porcelain"]), "");
    let parents = a.git(&["log", "-1", "--format=%P"]);
    assert_eq!(parents.split_whitespace().count(), 2);
    // B comes up to date by fast-forward.
    let v = json(p.b().args(["sync", "--json"]).output().unwrap());
    assert_eq!(v["action"], "fast-forward");
    let b_a04 = std::fs::read_to_string(p.b_dir.join(sample_assignment("a04"))).unwrap();
    assert!(b_a04.contains("status = \"done\""));
    let v = json(p.b().args(["sync", "--json"]).output().unwrap());
    assert_eq!(v["action"], "up-to-date");
    let s = json(p.b().args(["status", "--json"]).output().unwrap());
    assert_eq!(
        (s["ahead"].as_u64(), s["behind"].as_u64()),
        (Some(0), Some(0))
    );
    fsck_clean(&a.path(), &a.home());
}

#[test]
fn sync_stops_on_the_same_field_changed_on_both_sides() {
    let p = Pair::new();
    let a = &p.a;
    p.b_set("a03", "due", "2025-11-30");
    ok(p.b().arg("sync").output().unwrap());
    set(a, "a03", "due", "2025-10-31");
    set(a, "a04", "status", "done");
    let h = head(a);
    let out = a.cmd().arg("sync").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("sync stopped: 1 conflict with origin; nothing was changed here"),
        "{err}"
    );
    assert!(
        err.contains(
            "plans/kh-27-qd-ttg-binh-thuan/assignments/a03.toml  due: here 2025-10-31, there 2025-11-30 (was 2025-12-31)"
        ),
        "{err}"
    );
    // Nothing lost on either side.
    assert_eq!(head(a), h);
    assert_eq!(field(a, "a03", "due"), "2025-10-31");
    assert_eq!(a.git(&["status", "--porcelain"]), "");
    // Agreeing on the value lets it through.
    set(a, "a03", "due", "2025-11-30");
    ok(a.cmd().arg("sync").output().unwrap());
    assert_eq!(field(a, "a03", "status"), "done");
}

#[test]
fn status_lists_uncommitted_records() {
    let r = TestRepo::sample_without_review();
    let p = sample_assignment("a04");
    let text = r
        .read(&p)
        .replace("status = \"in_progress\"", "status = \"done\"");
    r.write(&p, &text);
    let out = ok(r.cmd().arg("status").output().unwrap());
    assert!(out.starts_with("branch main (no remote"), "{out}");
    assert!(
        out.contains("1 uncommitted record:\n  assignment a04  status: in_progress → done\n"),
        "{out}"
    );
    let v = json(r.cmd().args(["status", "--json"]).output().unwrap());
    assert_eq!(v["uncommitted"][0]["id"], "a04");
    assert_eq!(v["ahead"], 0);
}

#[test]
fn two_writers_on_one_record_never_overwrite_each_other() {
    let r = TestRepo::sample_without_review();
    let n = 25;
    let run = |field: &'static str| {
        let dir = r.path();
        let home = r.home();
        std::thread::spawn(move || {
            let mut retries = 0;
            for i in 0..n {
                loop {
                    let out = kehoach_in(&dir, &home)
                        .args(["set", "a03", field, &format!("{field} {i}")])
                        .output()
                        .unwrap();
                    if out.status.success() {
                        break;
                    }
                    let err = String::from_utf8_lossy(&out.stderr);
                    assert!(err.contains("changed underneath you"), "{err}");
                    assert!(err.contains("hint: nothing was lost; run the command again"));
                    retries += 1;
                }
            }
            retries
        })
    };
    let (a, b) = (run("notes"), run("output"));
    let retries = a.join().unwrap() + b.join().unwrap();
    let v = json(r.cmd().args(["log", "a03", "--json"]).output().unwrap());
    let versions = v["versions"].as_array().unwrap();
    assert_eq!(versions.len(), 2 * n + 1, "retries: {retries}");
    // Each commit changed exactly its own field: none undid the other writer's change.
    for ver in &versions[..2 * n] {
        let changes = ver["changes"].as_array().unwrap();
        assert_eq!(changes.len(), 1, "{ver:#}");
    }
    assert_eq!(field(&r, "a03", "notes"), format!("notes {}", n - 1));
    assert_eq!(field(&r, "a03", "output"), format!("output {}", n - 1));
    assert_eq!(r.git(&["status", "--porcelain"]), "");
}

#[test]
fn sync_refuses_a_merge_that_is_valid_on_each_side_but_not_together() {
    let p = Pair::new();
    let a = &p.a;
    // B removes an agency nobody refers to; A makes it a03's coordinating agency.
    let mut c = StdCommand::new("git");
    hermetic(&mut c, &a.home());
    let st = c
        .current_dir(&p.b_dir)
        .args(["rm", "-q", "agencies/hdnd-tinh.toml"])
        .status()
        .unwrap();
    assert!(st.success());
    let mut c = StdCommand::new("git");
    hermetic(&mut c, &a.home());
    assert!(
        c.current_dir(&p.b_dir)
            .args(["commit", "-qm", "remove hdnd-tinh"])
            .status()
            .unwrap()
            .success()
    );
    ok(p.b().arg("sync").output().unwrap());
    set(a, "a03", "coordinating", "hdnd-tinh");
    let h = head(a);
    let out = a.cmd().arg("sync").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("plans/kh-27-qd-ttg-binh-thuan/assignments/a03.toml  coordinating[0]: after merging: unknown agency \"hdnd-tinh\""),
        "{err}"
    );
    assert_eq!(head(a), h);
    assert!(a.path().join("agencies/hdnd-tinh.toml").exists());
}

#[test]
fn the_index_stays_in_step_with_each_commit() {
    let r = TestRepo::sample();
    // Let git fill its cache-tree first, so that a stale folder entry would show.
    r.git(&["write-tree"]);
    set(&r, "a03", "due", "2025-11-30");
    assert_eq!(r.git(&["status", "--porcelain"]), "");
    assert_eq!(r.git(&["write-tree"]), r.git(&["rev-parse", "HEAD^{tree}"]));
    // A record created and one deleted in one commit, through the library.
    let store = kehoach::store::Store::open(&r.path()).unwrap();
    let new = sample_assignment("a99");
    let text = r
        .read(&sample_assignment("a03"))
        .replace("id = \"a03\"", "id = \"a99\"");
    store
        .commit(
            &[
                kehoach::store::Change {
                    path: new.clone(),
                    content: Some(text),
                },
                kehoach::store::Change {
                    path: sample_assignment("a04"),
                    content: None,
                },
            ],
            "create a99, delete a04\n",
        )
        .unwrap();
    assert_eq!(r.git(&["status", "--porcelain"]), "");
    assert_eq!(r.git(&["write-tree"]), r.git(&["rev-parse", "HEAD^{tree}"]));
    assert!(r.git(&["ls-files", &new]).contains("a99.toml"));
    assert_eq!(r.git(&["ls-files", &sample_assignment("a04")]), "");
    // git itself can commit on top.
    set(&r, "a05", "due", "2025-10-31");
    r.write("notes.md", "x\n");
    r.git(&["add", "notes.md"]);
    r.git(&["commit", "-qm", "notes"]);
    assert_eq!(r.git(&["status", "--porcelain"]), "");
    // The files of the commit only: its id, in a header, may hold any three hex digits.
    let files = r.git(&["show", "--name-only", "--format=", "HEAD"]);
    assert_eq!(files.trim(), "notes.md");
}

#[test]
fn sync_never_overwrites_uncommitted_edits() {
    let p = Pair::new();
    let a = &p.a;
    p.b_set("a03", "due", "2025-11-30");
    ok(p.b().arg("sync").output().unwrap());
    // A has an edit of a03 not committed: bringing B's change in would overwrite it.
    let path = sample_assignment("a03");
    let mine = a
        .read(&path)
        .replace("status = \"done\"", "status = \"in_progress\"");
    a.write(&path, &mine);
    let h = head(a);
    let out = a.cmd().arg("sync").output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("has changes that are not committed"), "{err}");
    assert_eq!(head(a), h);
    assert_eq!(a.read(&path), mine);
    // Once committed, the two changes merge field by field.
    a.git(&["commit", "-qam", "a03 in progress"]);
    let v = json(a.cmd().args(["sync", "--json"]).output().unwrap());
    assert_eq!(v["action"], "merged");
    assert_eq!(field(a, "a03", "due"), "2025-11-30");
    assert_eq!(field(a, "a03", "status"), "in_progress");
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(|k| k.as_str()).collect();
    assert_eq!(
        keys,
        [
            "branch", "remote", "action", "behind", "ahead", "records", "pushed", "commit"
        ]
    );
}
