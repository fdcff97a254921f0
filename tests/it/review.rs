//! Review: change branches, the queue, approval under the policy, structural merge, audit and
//! the pre-receive hook — on real repositories, with a bare repository as the shared remote.

use std::path::{Path, PathBuf};
use std::process::{Command as StdCommand, Output};

use assert_cmd::Command;

use crate::common::{TestRepo, hermetic, kehoach_in, sample_assignment};

type Who = (&'static str, &'static str);
/// The author of changes; not a reviewer.
const THU: Who = ("Nguyễn Văn Thử", "thu.nv@soyte.example.vn");
/// Reviewer for plans/**.
const LAN: Who = ("Trần Thị Lan", "lan.tt@soyte.example.vn");
/// Reviewer for plans/*/reports/** only.
const HUNG: Who = ("Nguyễn Văn Hùng", "hung.nv@sotaichinh.example.vn");

/// Reviewer for agencies/** and kehoach.toml.
const TAM: Who = ("Lê Minh Tâm", "tam.lm@vpubnd.example.vn");

const A1: &str = "a-3a-bac-binh";

fn as_who(mut cmd: Command, who: Who) -> Command {
    cmd.env("GIT_AUTHOR_NAME", who.0)
        .env("GIT_AUTHOR_EMAIL", who.1)
        .env("GIT_COMMITTER_NAME", who.0)
        .env("GIT_COMMITTER_EMAIL", who.1);
    cmd
}

fn run_ok(mut cmd: Command) -> String {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn run_fail(mut cmd: Command) -> (String, String) {
    let out = cmd.output().unwrap();
    assert!(
        !out.status.success(),
        "unexpected success: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn git_in(dir: &Path, home: &Path, who: Who, args: &[&str]) -> Output {
    let mut c = StdCommand::new("git");
    hermetic(&mut c, home);
    c.env("GIT_AUTHOR_NAME", who.0)
        .env("GIT_AUTHOR_EMAIL", who.1)
        .env("GIT_COMMITTER_NAME", who.0)
        .env("GIT_COMMITTER_EMAIL", who.1)
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap()
}

fn git_ok(dir: &Path, home: &Path, who: Who, args: &[&str]) -> String {
    let out = git_in(dir, home, who, args);
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// A bare repository made from the sample (with the pre-receive hook), and clones of it.
struct Shared {
    tmp: tempfile::TempDir,
}

impl Shared {
    fn new() -> Shared {
        let tmp = tempfile::tempdir().unwrap();
        let home = tmp.path().join("home");
        std::fs::create_dir_all(&home).unwrap();
        run_ok(
            kehoach_in(tmp.path(), &home)
                .args(["init", "seed", "--sample"])
                .pipe(),
        );
        git_ok(
            tmp.path(),
            &home,
            THU,
            &["clone", "--quiet", "--bare", "seed", "remote.git"],
        );
        run_ok(
            kehoach_in(tmp.path(), &home)
                .args(["hook", "install", "remote.git"])
                .pipe(),
        );
        Shared { tmp }
    }
    fn home(&self) -> PathBuf {
        self.tmp.path().join("home")
    }
    fn remote(&self) -> PathBuf {
        self.tmp.path().join("remote.git")
    }
    fn clone(&self, name: &str) -> PathBuf {
        git_ok(
            self.tmp.path(),
            &self.home(),
            THU,
            &["clone", "--quiet", "remote.git", name],
        );
        self.tmp.path().join(name)
    }
    fn kh(&self, dir: &Path, who: Who) -> Command {
        as_who(kehoach_in(dir, &self.home()), who)
    }
}

/// `Command` builder calls return `&mut Command`; this takes the value back.
trait Pipe {
    fn pipe(&mut self) -> Command;
}
impl Pipe for Command {
    fn pipe(&mut self) -> Command {
        std::mem::replace(self, Command::new("true"))
    }
}

#[test]
fn author_submits_reviewer_approves_through_bare_remote_and_audit_passes() {
    let s = Shared::new();
    let a = s.clone("a");
    let b = s.clone("b");
    // A edits on main: the work goes to a change branch.
    let out = run_ok(s.kh(&a, THU).args(["set", A1, "due", "2025-12-15"]).pipe());
    assert!(out.contains("on review/thu-nv/a-3a-bac-binh"), "{out}");
    let st = run_ok(s.kh(&a, THU).args(["review", "status"]).pipe());
    assert!(
        st.contains("on change branch review/thu-nv/a-3a-bac-binh"),
        "{st}"
    );
    let out = run_ok(
        s.kh(&a, THU)
            .args([
                "review",
                "submit",
                "--title",
                "Gia hạn dự toán",
                "-m",
                "Chậm số liệu",
            ])
            .pipe(),
    );
    assert!(
        out.contains("submitted review 1") && out.contains("pushed to origin"),
        "{out}"
    );
    // The request and the branch travelled with the push.
    let refs = git_ok(
        &s.remote(),
        &s.home(),
        THU,
        &["for-each-ref", "--format=%(refname)"],
    );
    assert!(refs.contains("refs/kehoach/reviews/1"), "{refs}");
    assert!(
        refs.contains("refs/heads/review/thu-nv/a-3a-bac-binh"),
        "{refs}"
    );

    // B sees it in the queue and approves.
    let list = run_ok(s.kh(&b, LAN).args(["review", "list"]).pipe());
    assert!(
        list.contains("in_review") && list.contains("clean"),
        "{list}"
    );
    assert!(list.contains("assignments/a-3a-bac-binh.toml"), "{list}");
    let show = run_ok(s.kh(&b, LAN).args(["review", "show", "1"]).pipe());
    assert!(show.contains("due: yearly:07-20 → 2025-12-15"), "{show}");
    assert!(show.contains("The merged result is valid."), "{show}");
    assert!(
        show.contains("Trần Thị Lan <lan.tt@soyte.example.vn>"),
        "{show}"
    );
    let out = run_ok(
        s.kh(&b, LAN)
            .args(["review", "approve", "1", "-m", "Đồng ý"])
            .pipe(),
    );
    assert!(out.contains("merged into main"), "{out}");

    // The shared main has the merge commit with the trailers.
    let msg = git_ok(
        &s.remote(),
        &s.home(),
        THU,
        &["log", "-1", "--format=%B%n--%n%P%n%cn", "main"],
    );
    assert!(msg.starts_with("merge review 1: Gia hạn dự toán"), "{msg}");
    assert!(msg.contains("\nReview: 1\n"), "{msg}");
    assert!(
        msg.contains("Reviewed-by: Trần Thị Lan <lan.tt@soyte.example.vn>"),
        "{msg}"
    );
    assert!(
        msg.contains("Approved-by: Trần Thị Lan <lan.tt@soyte.example.vn>"),
        "{msg}"
    );
    let parents: Vec<&str> = msg
        .split("--\n")
        .nth(1)
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .split(' ')
        .collect();
    assert_eq!(parents.len(), 2, "{msg}");
    let merged = git_ok(
        &s.remote(),
        &s.home(),
        THU,
        &["show", &format!("main:{}", sample_assignment(A1))],
    );
    assert!(merged.contains("due = \"2025-12-15\""));
    // B's work tree follows main.
    assert!(
        std::fs::read_to_string(b.join(sample_assignment(A1)))
            .unwrap()
            .contains("2025-12-15")
    );

    // The audit passes, in a clone and in the bare repository itself.
    let out = run_ok(s.kh(&b, LAN).arg("audit").pipe());
    assert!(out.contains("the review policy held"), "{out}");
    run_ok(s.kh(&s.remote(), LAN).arg("audit").pipe());
    // The request is merged, and its history is in git.
    let list = run_ok(
        s.kh(&a, THU)
            .args(["review", "list", "--all", "--json"])
            .pipe(),
    );
    let v: serde_json::Value = serde_json::from_str(&list).unwrap();
    assert_eq!(v[0]["state"], "merged");
}

#[test]
fn self_approval_and_reviewers_of_other_paths_are_refused_with_reasons() {
    let s = Shared::new();
    let a = s.clone("a");
    // Lan (a reviewer for plans/**) authors a change to a plan's assignment.
    run_ok(s.kh(&a, LAN).args(["set", A1, "status", "done"]).pipe());
    run_ok(
        s.kh(&a, LAN)
            .args(["review", "submit", "--title", "Xong"])
            .pipe(),
    );
    let (_, err) = run_fail(s.kh(&a, LAN).args(["review", "approve", "1"]).pipe());
    assert!(
        err.contains("lan.tt@soyte.example.vn authored a commit of this change"),
        "{err}"
    );
    assert!(err.contains("no self-approval"), "{err}");
    // Hùng reviews reports only.
    let (_, err) = run_fail(s.kh(&a, HUNG).args(["review", "approve", "1"]).pipe());
    assert!(
        err.contains("hung.nv@sotaichinh.example.vn is not a reviewer for plans/kh-27-qd-ttg-binh-thuan/assignments/a-3a-bac-binh.toml"),
        "{err}"
    );
    // Someone outside the policy.
    let (_, err) = run_fail(s.kh(&a, THU).args(["review", "approve", "1"]).pipe());
    assert!(err.contains("is not a reviewer in kehoach.toml"), "{err}");
    // Nothing reached main.
    let log = git_ok(&s.remote(), &s.home(), THU, &["log", "--format=%s", "main"]);
    assert_eq!(log.lines().count(), 2, "{log}");
    // Request changes needs a reason, which stays in history.
    run_fail(
        s.kh(&a, HUNG)
            .args(["review", "request-changes", "1", "--reason", " "])
            .pipe(),
    );
    run_ok(
        s.kh(&a, HUNG)
            .args([
                "review",
                "request-changes",
                "1",
                "--reason",
                "Thiếu minh chứng",
            ])
            .pipe(),
    );
    // Nobody approves while changes are requested.
    let (_, err) = run_fail(s.kh(&a, TAM).args(["review", "approve", "1"]).pipe());
    assert!(err.contains("changes were requested on review 1"), "{err}");
    let log = git_ok(
        &s.remote(),
        &s.home(),
        THU,
        &["log", "--format=%B", "refs/kehoach/reviews/1"],
    );
    assert!(log.contains("Reason: Thiếu minh chứng"), "{log}");
    run_ok(
        s.kh(&a, HUNG)
            .args(["review", "reject", "1", "--reason", "Không phù hợp"])
            .pipe(),
    );
    let (_, err) = run_fail(s.kh(&a, LAN).args(["review", "approve", "1"]).pipe());
    assert!(err.contains("review 1 is rejected"), "{err}");
}

fn set_on_new_branch(r: &TestRepo, field: &str, value: &str) -> String {
    r.git(&["switch", "--quiet", "main"]);
    let out = run_ok(as_who(r.cmd(), THU).args(["set", A1, field, value]).pipe());
    run_ok(
        as_who(r.cmd(), THU)
            .args(["review", "submit", "--title", field])
            .pipe(),
    );
    out
}

#[test]
fn different_fields_of_one_record_merge_and_the_same_field_conflicts_by_name() {
    let r = TestRepo::sample();
    set_on_new_branch(&r, "due", "2025-12-15"); // review 1
    set_on_new_branch(&r, "status", "done"); // review 2, same record
    set_on_new_branch(&r, "output", "Bản A"); // review 3
    set_on_new_branch(&r, "output", "Bản B"); // review 4, same field
    let branches = r.git(&["branch", "--list", "review/*"]);
    assert_eq!(branches.lines().count(), 4, "{branches}");
    for id in ["1", "2", "3"] {
        run_ok(as_who(r.cmd(), LAN).args(["review", "approve", id]).pipe());
    }
    let main = r.git(&["show", &format!("main:{}", sample_assignment(A1))]);
    assert!(main.contains("due = \"2025-12-15\""), "{main}");
    assert!(main.contains("status = \"done\""), "{main}");
    assert!(main.contains("output = \"Bản A\""), "{main}");
    // The same field changed two ways: a conflict named by record and field.
    let list = run_ok(as_who(r.cmd(), LAN).args(["review", "list"]).pipe());
    assert!(list.contains("CONFLICT"), "{list}");
    let (_, err) = run_fail(as_who(r.cmd(), LAN).args(["review", "approve", "4"]).pipe());
    assert!(
        err.contains("review 4 does not merge cleanly: 1 conflict"),
        "{err}"
    );
    assert!(
        err.contains("plans/kh-27-qd-ttg-binh-thuan/assignments/a-3a-bac-binh.toml: output: ours Bản A / theirs Bản B"),
        "{err}"
    );
    // Nothing is lost: main keeps A, the branch keeps B.
    let branch = r.git(&[
        "show",
        &format!("review/thu-nv/a-3a-bac-binh-4:{}", sample_assignment(A1)),
    ]);
    assert!(branch.contains("output = \"Bản B\""));
    assert!(
        r.git(&["show", &format!("main:{}", sample_assignment(A1))])
            .contains("Bản A")
    );
    // The library API a Reviews screen uses: conflicts per record and field, settled one by one.
    let store = kehoach::store::Store::open(&r.path()).unwrap();
    let p = kehoach::review::preview(&store, 4, &[]).unwrap();
    assert_eq!(p.conflicts.len(), 1);
    assert_eq!(p.conflicts[0].field, "output");
    let choice = kehoach::review::Resolution {
        path: sample_assignment(A1),
        field: "output".into(),
        choice: kehoach::review::merge::Choice::Value("Bản C".into()),
    };
    let p = kehoach::review::preview(&store, 4, &[choice]).unwrap();
    assert!(p.conflicts.is_empty() && p.problems.is_empty());
    assert!(
        p.files[0]
            .1
            .as_deref()
            .unwrap()
            .contains("output = \"Bản C\"")
    );
    // Settled per field.
    let spec = format!("{}:output=theirs", sample_assignment(A1));
    run_ok(
        as_who(r.cmd(), LAN)
            .args(["review", "approve", "4", "--resolve", &spec])
            .pipe(),
    );
    let main = r.git(&["show", &format!("main:{}", sample_assignment(A1))]);
    assert!(
        main.contains("output = \"Bản B\"") && main.contains("status = \"done\""),
        "{main}"
    );
    let msg = r.git(&["log", "-1", "--format=%B", "main"]);
    assert!(msg.contains("Conflict settled:"), "{msg}");
    run_ok(r.cmd().arg("audit").pipe());
}

/// Adds a direct commit on the current branch with git itself.
fn direct_commit(dir: &Path, home: &Path, who: Who, value: &str) {
    let p = dir.join(sample_assignment(A1));
    let text = std::fs::read_to_string(&p).unwrap();
    let text = text.replace("status = \"in_progress\"", &format!("status = \"{value}\""));
    std::fs::write(&p, text).unwrap();
    git_ok(
        dir,
        home,
        who,
        &["commit", "--quiet", "-am", "sửa trực tiếp"],
    );
}

#[test]
fn direct_commits_and_forged_approvals_are_audited_and_refused_on_push() {
    let s = Shared::new();
    let a = s.clone("a");
    let home = s.home();
    // A direct commit on main.
    direct_commit(&a, &home, THU, "done");
    let (out, _) = run_fail(s.kh(&a, THU).arg("audit").pipe());
    assert!(
        out.contains("direct_commit: committed straight to main"),
        "{out}"
    );
    let push = git_in(&a, &home, THU, &["push", "origin", "main"]);
    assert!(!push.status.success());
    let err = String::from_utf8_lossy(&push.stderr);
    assert!(
        err.contains("push refused") && err.contains("direct_commit"),
        "{err}"
    );

    // A merge whose Approved-by: names a reviewer who did not commit it, and who is not allowed
    // for the paths touched anyway.
    git_ok(
        &a,
        &home,
        THU,
        &["reset", "--quiet", "--hard", "origin/main"],
    );
    git_ok(&a, &home, THU, &["switch", "--quiet", "-c", "side"]);
    direct_commit(&a, &home, THU, "cancelled");
    git_ok(&a, &home, THU, &["switch", "--quiet", "main"]);
    git_ok(
        &a,
        &home,
        THU,
        &[
            "merge",
            "--quiet",
            "--no-ff",
            "side",
            "-m",
            "merge review 9: x\n\nReview: 9\nApproved-by: Nguyễn Văn Hùng <hung.nv@sotaichinh.example.vn>",
        ],
    );
    let (out, _) = run_fail(s.kh(&a, THU).args(["audit", "--json"]).pipe());
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let rules: Vec<&str> = v["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["rule"].as_str().unwrap())
        .collect();
    assert!(rules.contains(&"forged_approval"), "{out}");
    assert!(rules.contains(&"not_allowed"), "{out}");
    let push = git_in(&a, &home, THU, &["push", "origin", "main"]);
    assert!(!push.status.success());
    let err = String::from_utf8_lossy(&push.stderr);
    assert!(
        err.contains("forged_approval") && err.contains("not_allowed"),
        "{err}"
    );
    // The shared main did not move.
    let log = git_ok(&s.remote(), &home, THU, &["log", "--format=%s", "main"]);
    assert_eq!(log.lines().count(), 2, "{log}");
    // Change branches and requests are accepted.
    git_ok(&a, &home, THU, &["push", "--quiet", "origin", "side"]);
}

#[test]
fn git_merge_uses_the_field_level_driver() {
    let r = TestRepo::sample();
    let bin = assert_cmd::cargo::cargo_bin!("kehoach");
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let file = sample_assignment(A1);
    let edit = |from: &str, to: &str| {
        let t = r.read(&file).replace(from, to);
        r.write(&file, &t);
    };
    let git = |args: &[&str]| {
        let mut c = StdCommand::new("git");
        hermetic(&mut c, &r.home());
        let out = c
            .env("PATH", &path)
            .current_dir(r.path())
            .args(args)
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).to_string()
                + &String::from_utf8_lossy(&out.stderr),
        )
    };
    // `due` and `status` are adjacent lines: a line merge would conflict.
    git(&["switch", "-c", "one"]);
    edit("due = \"yearly:07-20\"", "due = \"2025-12-15\"");
    git(&["commit", "-qam", "due"]);
    git(&["switch", "-c", "two", "main"]);
    edit("status = \"in_progress\"", "status = \"done\"");
    git(&["commit", "-qam", "status"]);
    let (ok, out) = git(&["merge", "--no-edit", "one"]);
    assert!(ok, "{out}");
    let t = r.read(&file);
    assert!(
        t.contains("due = \"2025-12-15\"") && t.contains("status = \"done\""),
        "{t}"
    );
    // The same field two ways: markers around the field, named on stderr.
    git(&["switch", "-c", "three", "main"]);
    edit("status = \"in_progress\"", "status = \"cancelled\"");
    git(&["commit", "-qam", "cancel"]);
    let (ok, out) = git(&["merge", "--no-edit", "two"]);
    assert!(!ok);
    assert!(
        out.contains(
            "conflict in plans/kh-27-qd-ttg-binh-thuan/assignments/a-3a-bac-binh.toml: status"
        ),
        "{out}"
    );
    let t = r.read(&file);
    assert!(
        t.contains(
            "<<<<<<< ours\nstatus = \"cancelled\"\n=======\nstatus = \"done\"\n>>>>>>> theirs\n"
        ),
        "{t}"
    );
    assert!(
        t.contains("due = \"2025-12-15\""),
        "the clean field merged too: {t}"
    );
}

#[test]
fn bundle_carries_a_request_without_a_network_and_check_serves_ci() {
    let r = TestRepo::sample();
    let other = r.tmp.path().join("other");
    r.git(&[
        "clone",
        "--quiet",
        r.path().to_str().unwrap(),
        other.to_str().unwrap(),
    ]);
    run_ok(
        as_who(r.cmd(), THU)
            .args(["set", A1, "due", "2025-12-15"])
            .pipe(),
    );
    // CI on a forge: validate the branch against main and name who may approve.
    let out = run_ok(r.cmd().args(["check", "--base", "main"]).pipe());
    assert!(
        out.contains("may approve: Trần Thị Lan <lan.tt@soyte.example.vn>"),
        "{out}"
    );
    assert!(out.contains("check passed"), "{out}");
    run_ok(
        as_who(r.cmd(), THU)
            .args(["review", "submit", "-t", "Qua USB"])
            .pipe(),
    );
    let file = r.tmp.path().join("r1.bundle");
    let out = run_ok(
        r.cmd()
            .args(["review", "bundle", "1", file.to_str().unwrap()])
            .pipe(),
    );
    assert!(
        out.contains("Review 1: Qua USB") && out.contains("due: yearly:07-20 → 2025-12-15"),
        "{out}"
    );
    assert!(
        std::fs::read_to_string(format!("{}.txt", file.display()))
            .unwrap()
            .contains("Qua USB")
    );
    let out = run_ok(
        as_who(kehoach_in(&other, &r.home()), LAN)
            .args(["review", "import", file.to_str().unwrap()])
            .pipe(),
    );
    assert!(out.contains("imported review 1"), "{out}");
    run_ok(
        as_who(kehoach_in(&other, &r.home()), LAN)
            .args(["review", "approve", "1"])
            .pipe(),
    );
    let t = std::fs::read_to_string(other.join(sample_assignment(A1))).unwrap();
    assert!(t.contains("2025-12-15"));
    // A CODEOWNERS file for forges.
    let out = run_ok(r.cmd().args(["policy", "codeowners", "-o", "-"]).pipe());
    assert!(out.contains("/plans/** lan.tt@soyte.example.vn"), "{out}");
}

mod props {
    use kehoach::review::merge::{FileMerge, merge_toml};
    use proptest::prelude::*;

    const AGENCIES: [&str; 5] = [
        "so-y-te",
        "so-tai-chinh",
        "cong-an-tinh",
        "vks-tinh",
        "tand-tinh",
    ];

    #[derive(Debug, Clone)]
    struct Rec {
        due: String,
        status: &'static str,
        coordinating: Vec<&'static str>,
        output: String,
        entries: Vec<(String, u8)>,
    }

    fn text(r: &Rec) -> String {
        let coord: Vec<String> = r.coordinating.iter().map(|a| format!("\"{a}\"")).collect();
        let mut s = format!(
            "id = \"a01\"\nplan = \"p\"\ntasks = [\"t1\"]\nlead = \"so-y-te\"\ncoordinating = [{}]\ntitle = \"Nhiệm vụ\"\ndescription = \"Mô tả\"\noutput = {:?}\ndue = {:?}\nstatus = {:?}\n",
            coord.join(", "),
            r.output,
            r.due,
            r.status
        );
        // Not part of an assignment: kept in a separate table-array for merge coverage only
        // when the validity check is not asked.
        for (a, p) in &r.entries {
            s.push_str(&format!("\n[[x]]\nassignment = {a:?}\npercent = {p}\n"));
        }
        s
    }

    fn rec() -> impl Strategy<Value = Rec> {
        (
            prop::sample::select(vec![
                "2025-12-15",
                "2026-01-10",
                "yearly:07-20",
                "2025-06-30",
            ]),
            prop::sample::select(vec!["not_started", "in_progress", "done", "cancelled"]),
            prop::sample::subsequence(AGENCIES.to_vec(), 0..=5),
            prop::sample::select(vec!["Báo cáo", "Kế hoạch", "Đề án"]),
            prop::collection::btree_map(prop::sample::select(vec!["a1", "a2", "a3"]), 0u8..3, 0..3),
        )
            .prop_map(|(due, status, coordinating, output, entries)| Rec {
                due: due.into(),
                status,
                coordinating,
                output: output.into(),
                entries: entries
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), v))
                    .collect(),
            })
    }

    /// A variant of `base`: each field kept or replaced by one of `other`'s.
    fn variant(base: &Rec, other: &Rec, mask: u8) -> Rec {
        let mut r = base.clone();
        if mask & 1 != 0 {
            r.due = other.due.clone();
        }
        if mask & 2 != 0 {
            r.status = other.status;
        }
        if mask & 4 != 0 {
            r.coordinating = other.coordinating.clone();
        }
        if mask & 8 != 0 {
            r.output = other.output.clone();
        }
        if mask & 16 != 0 {
            r.entries = other.entries.clone();
        }
        r
    }

    fn value(t: &str) -> toml::Table {
        toml::from_str(t).unwrap()
    }

    fn names(m: &FileMerge) -> Vec<String> {
        let mut v: Vec<String> = m.conflicts.iter().map(|c| c.field.clone()).collect();
        v.sort();
        v
    }

    fn without_x(t: &str) -> String {
        let mut tab = value(t);
        tab.remove("x");
        toml::to_string(&tab).unwrap()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        #[test]
        fn identity_symmetry_and_validity(
            b in rec(), o1 in rec(), o2 in rec(), m1 in 0u8..32, m2 in 0u8..32
        ) {
            let base = text(&b);
            let x = text(&variant(&b, &o1, m1));
            let y = text(&variant(&b, &o2, m2));
            // Merging with itself or with the base is the identity.
            let same = merge_toml("a.toml", Some(&base), &x, &x).unwrap();
            prop_assert_eq!(same.text.as_deref(), Some(x.as_str()));
            prop_assert!(same.conflicts.is_empty());
            let left = merge_toml("a.toml", Some(&base), &base, &y).unwrap();
            prop_assert_eq!(left.text.as_deref(), Some(y.as_str()));
            let right = merge_toml("a.toml", Some(&base), &x, &base).unwrap();
            prop_assert_eq!(right.text.as_deref(), Some(x.as_str()));
            // The conflicts of m(base, x, y) and m(base, y, x) are the same fields, sides swapped.
            let xy = merge_toml("a.toml", Some(&base), &x, &y).unwrap();
            let yx = merge_toml("a.toml", Some(&base), &y, &x).unwrap();
            prop_assert_eq!(names(&xy), names(&yx));
            for c in &xy.conflicts {
                let d = yx.conflicts.iter().find(|d| d.field == c.field).unwrap();
                prop_assert_eq!(&c.ours, &d.theirs);
                prop_assert_eq!(&c.theirs, &d.ours);
            }
            // Without conflicts both orders give the same values, and a valid record.
            if xy.conflicts.is_empty() {
                let a = value(xy.text.as_deref().unwrap());
                let b2 = value(yx.text.as_deref().unwrap());
                let mut ka: Vec<_> = a.keys().collect();
                let mut kb: Vec<_> = b2.keys().collect();
                ka.sort();
                kb.sort();
                prop_assert_eq!(ka, kb);
                for k in ["due", "status", "output"] {
                    prop_assert_eq!(&a[k], &b2[k]);
                }
                let mut ca: Vec<String> = a["coordinating"].as_array().unwrap().iter().map(|v| v.to_string()).collect();
                let mut cb: Vec<String> = b2["coordinating"].as_array().unwrap().iter().map(|v| v.to_string()).collect();
                ca.sort();
                cb.sort();
                prop_assert_eq!(ca, cb);
                let rec = without_x(xy.text.as_deref().unwrap());
                let parsed = kehoach::store::parse_record(
                    kehoach::store::Kind::Assignment,
                    "plans/p/assignments/a01.toml",
                    &rec,
                );
                prop_assert!(parsed.is_ok(), "{:?}\n{}", parsed.err(), rec);
            } else {
                // An explicit conflict: on a field both sides changed, to different values.
                let (vx, vy, vb) = (value(&x), value(&y), value(&base));
                for c in &xy.conflicts {
                    let top = c.field.split(['.', '[']).next().unwrap();
                    prop_assert!(vx.get(top) != vb.get(top) && vy.get(top) != vb.get(top), "{}", c.field);
                    prop_assert!(vx.get(top) != vy.get(top));
                }
            }
        }
    }
}

#[test]
fn two_approvals_merge_on_the_second_and_audit_checks_both() {
    let r = TestRepo::sample();
    // A policy needing two approvals, with a second reviewer for plans (committed directly,
    // before the audit's start).
    let cfg = r
        .read("kehoach.toml")
        .replace("approvals = 1", "approvals = 2")
        + "\n[[review.reviewers]]\nname = \"Phạm Văn Bình\"\nemail = \"binh.pv@soyte.example.vn\"\npaths = [\"plans/**\"]\n";
    r.write("kehoach.toml", &cfg);
    r.git(&["commit", "--quiet", "-am", "two approvals"]);
    let start = r.git(&["rev-parse", "HEAD"]).trim().to_string();
    run_ok(
        as_who(r.cmd(), THU)
            .args(["set", A1, "due", "2025-12-15"])
            .pipe(),
    );
    run_ok(as_who(r.cmd(), THU).args(["review", "submit"]).pipe());
    let out = run_ok(as_who(r.cmd(), LAN).args(["review", "approve", "1"]).pipe());
    assert!(out.contains("1 of 2 approvals"), "{out}");
    assert_eq!(
        r.git(&["rev-parse", "main"]).trim(),
        start,
        "not merged yet"
    );
    // The same approver twice does not count twice.
    let out = run_ok(as_who(r.cmd(), LAN).args(["review", "approve", "1"]).pipe());
    assert!(out.contains("1 of 2 approvals"), "{out}");
    let binh: Who = ("Phạm Văn Bình", "binh.pv@soyte.example.vn");
    let out = run_ok(
        as_who(r.cmd(), binh)
            .args(["review", "approve", "1"])
            .pipe(),
    );
    assert!(out.contains("merged into main"), "{out}");
    let msg = r.git(&["log", "-1", "--format=%B", "main"]);
    assert!(msg.contains("Approved-by: Trần Thị Lan <lan.tt@soyte.example.vn>\nApproved-by: Phạm Văn Bình <binh.pv@soyte.example.vn>"), "{msg}");
    let out = run_ok(r.cmd().args(["audit", "--since", &start]).pipe());
    assert!(out.contains("the review policy held"), "{out}");
    // Without --since, review.since names an earlier commit: the direct policy commit shows.
    let (out, _) = run_fail(r.cmd().arg("audit").pipe());
    assert!(
        out.contains("two approvals") && out.contains("direct_commit"),
        "{out}"
    );
}

#[test]
fn pre_receive_refuses_an_approved_merge_with_invalid_records() {
    let s = Shared::new();
    let a = s.clone("a");
    let home = s.home();
    git_ok(&a, &home, THU, &["switch", "--quiet", "-c", "bad"]);
    direct_commit(&a, &home, THU, "not-a-status");
    git_ok(&a, &home, LAN, &["switch", "--quiet", "main"]);
    git_ok(
        &a,
        &home,
        LAN,
        &[
            "merge",
            "--quiet",
            "--no-ff",
            "bad",
            "-m",
            "merge review 5: x\n\nReview: 5\nApproved-by: Trần Thị Lan <lan.tt@soyte.example.vn>",
        ],
    );
    // The approval itself is in order …
    run_ok(s.kh(&a, LAN).arg("audit").pipe());
    // … but the records are not.
    let push = git_in(&a, &home, LAN, &["push", "origin", "main"]);
    assert!(!push.status.success());
    let err = String::from_utf8_lossy(&push.stderr);
    assert!(
        err.contains("invalid record")
            && err.contains("a-3a-bac-binh.toml")
            && err.contains("status"),
        "{err}"
    );
}

#[test]
fn approval_merges_are_signed_when_commit_signing_is_configured() {
    let r = TestRepo::sample();
    let key = r.tmp.path().join("key");
    let made = StdCommand::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(&key)
        .status();
    let Ok(status) = made else {
        eprintln!("ssh-keygen is not installed: signing not exercised");
        return;
    };
    assert!(status.success());
    r.git(&["config", "gpg.format", "ssh"]);
    r.git(&[
        "config",
        "user.signingkey",
        &format!("{}.pub", key.display()),
    ]);
    r.git(&["config", "commit.gpgsign", "true"]);
    run_ok(
        as_who(r.cmd(), THU)
            .args(["set", A1, "due", "2025-12-15"])
            .pipe(),
    );
    run_ok(as_who(r.cmd(), THU).args(["review", "submit"]).pipe());
    run_ok(as_who(r.cmd(), LAN).args(["review", "approve", "1"]).pipe());
    let raw = r.git(&["cat-file", "-p", "main"]);
    assert!(
        raw.contains("gpgsig -----BEGIN SSH SIGNATURE-----"),
        "{raw}"
    );
    assert!(
        raw.contains("committer Trần Thị Lan <lan.tt@soyte.example.vn>"),
        "{raw}"
    );
    assert_eq!(raw.matches("\nparent ").count(), 2, "{raw}");
}

#[test]
fn hook_binds_the_committer_to_the_pusher_when_the_server_names_it() {
    let s = Shared::new();
    let a = s.clone("a");
    let home = s.home();
    // Thu forges a whole merge as Lan: committer, trailer and all. History alone cannot tell …
    git_ok(&a, &home, THU, &["switch", "--quiet", "-c", "side"]);
    direct_commit(&a, &home, THU, "done");
    git_ok(&a, &home, LAN, &["switch", "--quiet", "main"]);
    git_ok(
        &a,
        &home,
        LAN,
        &[
            "merge",
            "--quiet",
            "--no-ff",
            "side",
            "-m",
            "merge review 7: x\n\nReview: 7\nApproved-by: Trần Thị Lan <lan.tt@soyte.example.vn>",
        ],
    );
    run_ok(s.kh(&a, THU).arg("audit").pipe());
    // … but the server knows who pushes.
    let mut c = StdCommand::new("git");
    hermetic(&mut c, &home);
    let push = c
        .env("KEHOACH_PUSHER_EMAIL", THU.1)
        .current_dir(&a)
        .args(["push", "origin", "main"])
        .output()
        .unwrap();
    assert!(!push.status.success());
    let err = String::from_utf8_lossy(&push.stderr);
    assert!(
        err.contains("committed by lan.tt@soyte.example.vn but pushed by thu.nv@soyte.example.vn"),
        "{err}"
    );
    // Lan pushing her own merge is accepted.
    let mut c = StdCommand::new("git");
    hermetic(&mut c, &home);
    let push = c
        .env("KEHOACH_PUSHER_EMAIL", LAN.1)
        .current_dir(&a)
        .args(["push", "--quiet", "origin", "main"])
        .output()
        .unwrap();
    assert!(
        push.status.success(),
        "{}",
        String::from_utf8_lossy(&push.stderr)
    );
}

#[test]
fn files_changed_on_one_side_merge_byte_for_byte() {
    let r = TestRepo::sample();
    run_ok(
        as_who(r.cmd(), THU)
            .args(["set", A1, "due", "2025-12-15"])
            .pipe(),
    );
    // Not every file is text: an attachment added with git on the change branch.
    let bytes: Vec<u8> = (0..=255u8).rev().chain([0xff, 0xfe, 0x00]).collect();
    std::fs::write(r.path().join("bien-ban.pdf"), &bytes).unwrap();
    r.git(&["add", "bien-ban.pdf"]);
    r.git(&["commit", "--quiet", "-m", "attach minutes"]);
    run_ok(as_who(r.cmd(), THU).args(["review", "submit"]).pipe());
    run_ok(as_who(r.cmd(), LAN).args(["review", "approve", "1"]).pipe());
    let mut c = StdCommand::new("git");
    hermetic(&mut c, &r.home());
    let out = c
        .current_dir(r.path())
        .args(["cat-file", "blob", "main:bien-ban.pdf"])
        .output()
        .unwrap();
    assert_eq!(out.stdout, bytes);
}

#[test]
fn a_change_across_reviewers_paths_needs_a_reviewer_of_each() {
    let r = TestRepo::sample();
    let start = r.git(&["rev-parse", "HEAD"]).trim().to_string();
    // One change touching plans/** (Lan's) and agencies/** (Tâm's).
    run_ok(
        as_who(r.cmd(), THU)
            .args(["set", "a04", "output", "Báo cáo chuyên đề"])
            .pipe(),
    );
    run_ok(
        as_who(r.cmd(), THU)
            .args(["set", "tand-tinh", "notes", "Đầu mối: Tòa Gia đình"])
            .pipe(),
    );
    run_ok(as_who(r.cmd(), THU).args(["review", "submit"]).pipe());
    // Hùng reviews reports only: none of this change is his.
    let (_, err) = run_fail(
        as_who(r.cmd(), HUNG)
            .args(["review", "approve", "1"])
            .pipe(),
    );
    assert!(err.contains("not a reviewer for"), "{err}");
    // Lan covers the assignment; the agency still waits for its reviewer.
    let (out, err) = {
        let o = as_who(r.cmd(), LAN)
            .args(["review", "approve", "1"])
            .pipe()
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        (
            String::from_utf8_lossy(&o.stdout).into_owned(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    };
    assert!(
        format!("{out}{err}").contains("agencies/tand-tinh.toml"),
        "{out}{err}"
    );
    assert_eq!(
        r.git(&["rev-parse", "main"]).trim(),
        start,
        "not merged yet"
    );
    let out = run_ok(as_who(r.cmd(), TAM).args(["review", "approve", "1"]).pipe());
    assert!(out.contains("merged into main"), "{out}");
    let out = run_ok(r.cmd().args(["audit"]).pipe());
    assert!(out.contains("the review policy held"), "{out}");
}

/// The git on PATH (the real one, for a wrapper to call).
fn real_git() -> PathBuf {
    std::env::split_paths(&std::env::var_os("PATH").unwrap())
        .map(|d| d.join("git"))
        .find(|p| p.is_file())
        .expect("git on PATH")
}

impl Shared {
    /// A PATH whose `git` runs `on_push` (shell; `$GIT` is the real git, `$REMOTE` the shared
    /// repository) as a push starts, at the first push only when `once`, then the real git:
    /// another person's push landing at that very moment.
    fn path_racing_pushes(&self, on_push: &str, once: bool) -> std::ffi::OsString {
        use std::os::unix::fs::PermissionsExt;
        let bin = self.tmp.path().join("bin");
        std::fs::create_dir_all(&bin).unwrap();
        let marker = self.tmp.path().join("raced");
        let (check, mark) = if once {
            (
                format!(" && [ ! -e '{}' ]", marker.display()),
                format!("  touch '{}'\n", marker.display()),
            )
        } else {
            (String::new(), String::new())
        };
        let script = format!(
            "#!/bin/sh\nGIT='{}'\nREMOTE='{}'\nif [ \"$1\" = push ]{check}; then\n{mark}  {on_push}\nfi\nexec \"$GIT\" \"$@\"\n",
            real_git().display(),
            self.remote().display(),
        );
        std::fs::write(bin.join("git"), script).unwrap();
        std::fs::set_permissions(bin.join("git"), std::fs::Permissions::from_mode(0o755)).unwrap();
        std::env::join_paths(
            std::iter::once(bin).chain(std::env::split_paths(&std::env::var_os("PATH").unwrap())),
        )
        .unwrap()
    }

    /// A PATH whose first push finds `refname` on the shared repository moved to `commit`
    /// (someone else's push landing at that moment).
    fn path_landing_at_push(&self, refname: &str, commit: &str) -> std::ffi::OsString {
        let update = format!(
            "\"$GIT\" --git-dir=\"$REMOTE\" update-ref {refname} {}",
            commit.trim()
        );
        self.path_racing_pushes(&update, true)
    }

    /// A push raced with [`Shared::path_racing_pushes`] (`once`) has happened.
    fn raced(&self) -> bool {
        self.tmp.path().join("raced").exists()
    }

    /// `kehoach review approve 1` as `who` in `dir`, with `path` (racing pushes): whether it
    /// succeeded, its output and its errors.
    fn approve_racing(
        &self,
        dir: &Path,
        who: Who,
        path: &std::ffi::OsStr,
    ) -> (bool, String, String) {
        let out = self
            .kh(dir, who)
            .env("PATH", path)
            .args(["review", "approve", "1"])
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }
}

#[test]
fn an_approval_made_while_another_lands_is_made_again_on_top_of_it() {
    let s = Shared::new();
    let home = s.home();
    let a = s.clone("a");
    let b = s.clone("b");
    let c = s.clone("c");
    // Two requests, on two records.
    run_ok(s.kh(&a, THU).args(["set", A1, "due", "2025-12-15"]).pipe());
    run_ok(
        s.kh(&a, THU)
            .args(["review", "submit", "--title", "Một"])
            .pipe(),
    );
    git_ok(&a, &home, THU, &["switch", "--quiet", "main"]);
    run_ok(
        s.kh(&a, THU)
            .args(["set", "a-3a-duc-linh", "due", "2025-11-30"])
            .pipe(),
    );
    run_ok(
        s.kh(&a, THU)
            .args(["review", "submit", "--title", "Hai"])
            .pipe(),
    );
    // Review 2 lands first, from another clone; the remote's main is then put back, the
    // landing kept aside to happen again at the moment review 1 is pushed.
    let before = git_ok(&s.remote(), &home, THU, &["rev-parse", "main"]);
    run_ok(s.kh(&c, LAN).args(["review", "approve", "2"]).pipe());
    let landed = git_ok(&s.remote(), &home, THU, &["rev-parse", "main"]);
    assert_ne!(landed, before);
    git_ok(
        &s.remote(),
        &home,
        THU,
        &["update-ref", "refs/heads/main", before.trim()],
    );
    let path = s.path_landing_at_push("refs/heads/main", &landed);

    // Review 1 is approved while review 2 lands: made again on top of it, and pushed.
    let (ok, stdout, stderr) = s.approve_racing(&b, LAN, &path);
    assert!(ok, "{stdout}{stderr}");
    assert!(s.raced(), "the race happened");
    assert!(stdout.contains("merged into main"), "{stdout}");
    assert!(
        stderr.contains("main on origin moved while approving: approved again on top of it"),
        "{stderr}"
    );
    let first_parent = git_ok(&s.remote(), &home, THU, &["rev-parse", "main^1"]);
    assert_eq!(first_parent, landed);
    let msg = git_ok(
        &s.remote(),
        &home,
        THU,
        &["log", "-1", "--format=%B", "main"],
    );
    assert!(msg.starts_with("merge review 1: Một"), "{msg}");
    for (rel, due) in [
        (sample_assignment(A1), "2025-12-15"),
        (sample_assignment("a-3a-duc-linh"), "2025-11-30"),
    ] {
        let text = git_ok(&s.remote(), &home, THU, &["show", &format!("main:{rel}")]);
        assert!(text.contains(&format!("due = \"{due}\"")), "{rel}: {text}");
        // B's work tree follows.
        let local = std::fs::read_to_string(b.join(&rel)).unwrap();
        assert!(
            local.contains(&format!("due = \"{due}\"")),
            "{rel}: {local}"
        );
    }
    // The shared history passes the audit, and both requests read merged.
    let out = run_ok(s.kh(&b, THU).arg("audit").pipe());
    assert!(out.contains("the review policy held"), "{out}");
    let list = run_ok(s.kh(&b, THU).args(["review", "list", "--all"]).pipe());
    assert_eq!(list.matches("merged").count(), 2, "{list}");
}

#[test]
fn a_request_submitted_offline_whose_id_was_taken_meanwhile_takes_the_next() {
    let s = Shared::new();
    let home = s.home();
    let a = s.clone("a");
    let b = s.clone("b");
    // B submits while the shared repository cannot be reached: review 1, here only.
    let url = git_ok(&b, &home, THU, &["remote", "get-url", "origin"]);
    git_ok(
        &b,
        &home,
        THU,
        &["remote", "set-url", "origin", "/nonexistent/remote.git"],
    );
    run_ok(
        s.kh(&b, THU)
            .args(["set", "a-3a-duc-linh", "due", "2025-11-30"])
            .pipe(),
    );
    let out = run_ok(
        s.kh(&b, THU)
            .args(["review", "submit", "--title", "Của B"])
            .pipe(),
    );
    assert!(
        out.contains("submitted review 1") && out.contains("not pushed yet"),
        "{out}"
    );
    // Meanwhile A submits review 1 to the shared repository.
    run_ok(s.kh(&a, THU).args(["set", A1, "due", "2025-12-15"]).pipe());
    let out = run_ok(
        s.kh(&a, THU)
            .args(["review", "submit", "--title", "Của A"])
            .pipe(),
    );
    assert!(
        out.contains("submitted review 1") && out.contains("pushed to origin"),
        "{out}"
    );

    // Back online, B submits again: its request takes the next free id and goes out.
    git_ok(&b, &home, THU, &["remote", "set-url", "origin", url.trim()]);
    let out = s.kh(&b, THU).args(["review", "submit"]).output().unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(
        stdout.contains("review 2") && stdout.contains("pushed to origin"),
        "{stdout}"
    );
    assert!(
        stderr.contains("review 1 is another request on origin: this one is now review 2"),
        "{stderr}"
    );
    // Both requests, with their own branches, on the shared repository and in B.
    for dir in [s.remote(), b.clone()] {
        let show = |id: &str| {
            git_ok(
                &dir,
                &home,
                THU,
                &["show", &format!("refs/kehoach/reviews/{id}:request.toml")],
            )
        };
        let (one, two) = (show("1"), show("2"));
        assert!(
            one.contains("title = \"Của A\"") && one.contains("id = 1"),
            "{one}"
        );
        assert!(
            two.contains("title = \"Của B\"") && two.contains("id = 2"),
            "{two}"
        );
    }
    let list = run_ok(s.kh(&a, LAN).args(["review", "list"]).pipe());
    assert!(list.contains("Của A") && list.contains("Của B"), "{list}");
}

#[test]
fn an_approval_gives_up_when_main_keeps_moving_and_leaves_no_merge_behind() {
    let s = Shared::new();
    let home = s.home();
    let a = s.clone("a");
    let b = s.clone("b");
    run_ok(s.kh(&a, THU).args(["set", A1, "due", "2025-12-15"]).pipe());
    run_ok(s.kh(&a, THU).args(["review", "submit"]).pipe());
    // Every push finds main moved: a new commit lands on the shared main as it starts.
    let path = s.path_racing_pushes(
        "\"$GIT\" --git-dir=\"$REMOTE\" update-ref refs/heads/main $(\"$GIT\" --git-dir=\"$REMOTE\" commit-tree -p main -m moved 'main^{tree}')",
        false,
    );
    let (ok, _, stderr) = s.approve_racing(&b, LAN, &path);
    assert!(!ok);
    assert!(
        stderr.contains("main on origin kept moving while review 1 was being approved (3 tries): the approval was not made"),
        "{stderr}"
    );
    // No merge of review 1 here or there; the request is still open.
    for (dir, main) in [(&b, "main"), (&s.remote(), "main")] {
        let log = git_ok(dir, &home, THU, &["log", "--format=%s", main]);
        assert!(!log.contains("merge review 1"), "{log}");
    }
    let show = run_ok(s.kh(&b, THU).args(["review", "show", "1"]).pipe());
    assert!(show.contains("in_review"), "{show}");
    assert_eq!(git_ok(&b, &home, THU, &["status", "--porcelain"]), "");
}

#[test]
fn two_approvals_given_at_once_both_count_and_the_second_merges() {
    let s = Shared::new();
    let home = s.home();
    let binh: Who = ("Phạm Văn Bình", "binh.pv@soyte.example.vn");
    // A policy of two approvals with a second reviewer of plans, set on the shared main
    // before any review (the hook, which would refuse a direct commit, is set aside for it).
    let admin = s.clone("admin");
    let cfg = std::fs::read_to_string(admin.join("kehoach.toml"))
        .unwrap()
        .replace("approvals = 1", "approvals = 2")
        + "\n[[review.reviewers]]\nname = \"Phạm Văn Bình\"\nemail = \"binh.pv@soyte.example.vn\"\npaths = [\"plans/**\"]\n";
    std::fs::write(admin.join("kehoach.toml"), cfg).unwrap();
    git_ok(&admin, &home, THU, &["commit", "-qam", "two approvals"]);
    let hook = s.remote().join("hooks/pre-receive");
    std::fs::rename(&hook, hook.with_extension("off")).unwrap();
    git_ok(&admin, &home, THU, &["push", "-q", "origin", "main"]);
    std::fs::rename(hook.with_extension("off"), &hook).unwrap();
    let (a, b, c) = (s.clone("a"), s.clone("b"), s.clone("c"));
    run_ok(s.kh(&a, THU).args(["set", A1, "due", "2025-12-15"]).pipe());
    run_ok(s.kh(&a, THU).args(["review", "submit"]).pipe());
    // Bình's approval goes out first; it is kept aside and lands again at the moment Lan's
    // push starts, Lan having fetched the request without it.
    let req = "refs/kehoach/reviews/1";
    let before = git_ok(&s.remote(), &home, THU, &["rev-parse", req]);
    let out = run_ok(s.kh(&c, binh).args(["review", "approve", "1"]).pipe());
    assert!(out.contains("1 of 2 approvals"), "{out}");
    let binhs = git_ok(&s.remote(), &home, THU, &["rev-parse", req]);
    git_ok(&s.remote(), &home, THU, &["update-ref", req, before.trim()]);
    let path = s.path_landing_at_push(req, &binhs);
    let (ok, stdout, stderr) = s.approve_racing(&b, LAN, &path);
    assert!(ok, "{stdout}{stderr}");
    assert!(s.raced(), "the race happened");
    assert!(
        stderr.contains("review 1 on origin moved while approving: approved again on top of it"),
        "{stderr}"
    );
    assert!(stdout.contains("merged into main"), "{stdout}");
    let msg = git_ok(
        &s.remote(),
        &home,
        THU,
        &["log", "-1", "--format=%B", "main"],
    );
    assert!(
        msg.contains("Approved-by: Phạm Văn Bình <binh.pv@soyte.example.vn>")
            && msg.contains("Approved-by: Trần Thị Lan <lan.tt@soyte.example.vn>"),
        "{msg}"
    );
}
