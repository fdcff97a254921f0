//! Review benchmark. Prints, in one run:
//! - the structural three-way merge of one record (in process) against `git merge-file` of the
//!   same three versions (a process, as git runs a merge driver), as a ratio;
//! - `kehoach review approve` (the real binary: policy, field-level merge, validation of the
//!   changed records, merge commit) on a repository of ~N records, against `git merge --no-ff`
//!   of the same branch;
//! - `kehoach audit` over the approvals made.
//!
//! `cargo bench --bench review [-- RECORDS]` (default 10000). The repository is cached under
//! target/bench-data/review-<N>/ so reruns are quick.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const PLAN: &str = "kh-27-qd-ttg-binh-thuan";
const APPROVALS: usize = 20;

fn env<'a>(cmd: &'a mut Command, who: (&str, &str)) -> &'a mut Command {
    cmd.env("GIT_AUTHOR_NAME", who.0)
        .env("GIT_AUTHOR_EMAIL", who.1)
        .env("GIT_COMMITTER_NAME", who.0)
        .env("GIT_COMMITTER_EMAIL", who.1)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
}

const THU: (&str, &str) = ("Nguyễn Văn Thử", "thu.nv@soyte.example.vn");
const LAN: (&str, &str) = ("Trần Thị Lan", "lan.tt@soyte.example.vn");

fn run(dir: &Path, who: (&str, &str), prog: &str, args: &[&str]) -> String {
    let out = env(&mut Command::new(prog), who)
        .current_dir(dir)
        .args(args)
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{prog} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn kehoach() -> &'static str {
    env!("CARGO_BIN_EXE_kehoach")
}

/// `kehoach init --sample`, then copies of the sample plan until ~`records` records.
fn generate(parent: &Path, records: usize) -> PathBuf {
    let dir = parent.join("repo");
    if dir.join(".git").is_dir() {
        return dir;
    }
    let _ = std::fs::remove_dir_all(parent);
    std::fs::create_dir_all(parent).unwrap();
    run(parent, THU, kehoach(), &["init", "repo", "--sample"]);
    let src = dir.join("plans").join(PLAN);
    let files: Vec<(String, String)> = walk(&src)
        .into_iter()
        .map(|p| {
            (
                p.strip_prefix(&src).unwrap().to_string_lossy().to_string(),
                std::fs::read_to_string(&p).unwrap(),
            )
        })
        .collect();
    let copies = records / files.len();
    for i in 1..copies {
        let id = format!("p{i:05}");
        for (rel, text) in &files {
            let p = dir.join("plans").join(&id).join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text.replace(PLAN, &id)).unwrap();
        }
    }
    run(&dir, THU, "git", &["add", "-A"]);
    run(&dir, THU, "git", &["commit", "-q", "-m", "generated plans"]);
    dir
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = vec![];
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

fn per(d: Duration, n: usize) -> Duration {
    d / n as u32
}

fn main() {
    let records: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(10_000);
    let cache = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target/bench-data")
        .join(format!("review-{records}"));
    let t = Instant::now();
    let repo = generate(&cache, records);
    println!(
        "repository: ~{records} records in {} ({:.1}s to make or find)",
        repo.display(),
        t.elapsed().as_secs_f64()
    );

    // 1. One record, three versions.
    let rel = format!("plans/{PLAN}/assignments/a-3a-bac-binh.toml");
    let base = std::fs::read_to_string(repo.join(&rel)).unwrap();
    let ours = base.replace("status = \"in_progress\"", "status = \"done\"");
    let theirs = base.replace("due = \"yearly:07-20\"", "due = \"2025-12-15\"");
    let n = 2000;
    let t = Instant::now();
    for _ in 0..n {
        let m = kehoach::review::merge::merge_toml(&rel, Some(&base), &ours, &theirs).unwrap();
        assert!(m.conflicts.is_empty());
    }
    let ours_merge = per(t.elapsed(), n);
    let tmp = tempfile::tempdir().unwrap();
    for (name, text) in [("o", &base), ("a", &ours), ("b", &theirs)] {
        std::fs::write(tmp.path().join(name), text).unwrap();
    }
    let m = 50;
    let t = Instant::now();
    for _ in 0..m {
        // Adjacent lines: git's line merge conflicts where the field merge does not.
        let _ = Command::new("git")
            .current_dir(tmp.path())
            .args(["merge-file", "-p", "a", "o", "b"])
            .output()
            .unwrap();
    }
    let git_merge = per(t.elapsed(), m);
    println!(
        "merge one record: kehoach {:?} (in process) vs git merge-file {:?} (process): ratio {:.3}",
        ours_merge,
        git_merge,
        ours_merge.as_secs_f64() / git_merge.as_secs_f64()
    );

    // 2. Approvals on the big repository: submit + approve APPROVALS changes; and as a baseline
    // `git merge --no-ff` of a branch of the same size.
    run(&repo, THU, "git", &["switch", "-q", "main"]);
    let mut approve = Duration::ZERO;
    for i in 0..APPROVALS {
        run(&repo, THU, "git", &["switch", "-q", "main"]);
        let id = "a-3a-bac-binh";
        let plan = format!("p{:05}", 1 + (i % 5));
        run(
            &repo,
            THU,
            kehoach(),
            &[
                "set",
                &format!("{plan}/{id}"),
                "output",
                &format!("Bản {i}"),
            ],
        );
        run(&repo, THU, kehoach(), &["review", "submit"]);
        let out = run(&repo, THU, kehoach(), &["review", "list", "--json"]);
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        let rid = v.as_array().unwrap().last().unwrap()["id"].to_string();
        let t = Instant::now();
        run(&repo, LAN, kehoach(), &["review", "approve", &rid]);
        approve += t.elapsed();
    }
    run(&repo, THU, "git", &["switch", "-q", "main"]);
    let mut git_total = Duration::ZERO;
    for i in 0..APPROVALS {
        run(
            &repo,
            THU,
            "git",
            &[
                "switch",
                "-q",
                "-c",
                &format!("bench-{}-{i}", std::process::id()),
            ],
        );
        let p = repo.join("plans/p00009/assignments/a-3a-bac-binh.toml");
        let t0 = std::fs::read_to_string(&p).unwrap();
        let new = t0
            .lines()
            .map(|l| {
                if l.starts_with("output = ") {
                    format!("output = \"Git {i}\"")
                } else {
                    l.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join("\n")
            + "\n";
        std::fs::write(&p, new).unwrap();
        run(&repo, THU, "git", &["commit", "-q", "-am", "git change"]);
        run(&repo, THU, "git", &["switch", "-q", "main"]);
        let t = Instant::now();
        run(
            &repo,
            LAN,
            "git",
            &[
                "merge",
                "-q",
                "--no-ff",
                "-m",
                "merge",
                &format!("bench-{}-{i}", std::process::id()),
            ],
        );
        git_total += t.elapsed();
    }
    println!(
        "approve (policy + field merge + validation + merge commit), per approval: {:?} vs git merge --no-ff {:?}: ratio {:.1}",
        per(approve, APPROVALS),
        per(git_total, APPROVALS),
        approve.as_secs_f64() / git_total.as_secs_f64()
    );

    // 3. The audit of the approvals (since the commit before them).
    let first = run(
        &repo,
        THU,
        "git",
        &["rev-list", "--first-parent", "--count", "main"],
    );
    let t = Instant::now();
    let out = Command::new(kehoach())
        .current_dir(&repo)
        .args([
            "audit",
            "--json",
            "--since",
            &format!("main~{}", first.trim().parse::<usize>().unwrap() - 1),
        ])
        .output()
        .unwrap();
    let d = t.elapsed();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    println!(
        "audit of {} first-parent commits: {:?} ({} violations: the git merges and setup commits)",
        v["checked"],
        d,
        v["violations"].as_array().map_or(0, |a| a.len())
    );
}
