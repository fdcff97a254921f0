//! History benchmark on a repository of ~100k records made by the record store's generator
//! (`kehoach::store::generate`).
//!
//! Prints, side by side in one run:
//! - a whole `kehoach set` (validate + write + commit + index entry, the real binary) against
//!   `git add F && git commit` of the same kind of one-line change, as a ratio;
//! - `kehoach log ID` and `kehoach blame ID` on a record with 500 versions.
//!
//! `cargo bench --bench history [-- RECORDS]` (default 100000). The repository is cached under
//! target/bench-data/history-<N>/ so reruns are quick.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const VERSIONS: usize = 500;

fn git(dir: &Path, args: &[&str]) {
    let st = Command::new("git")
        .current_dir(dir)
        .args(args)
        .envs(identity())
        .stdout(std::process::Stdio::null())
        .status()
        .expect("git runs");
    assert!(st.success(), "git {args:?} failed");
}

fn identity() -> Vec<(&'static str, &'static str)> {
    vec![
        ("GIT_AUTHOR_NAME", "Bench"),
        ("GIT_AUTHOR_EMAIL", "bench@example.vn"),
        ("GIT_COMMITTER_NAME", "Bench"),
        ("GIT_COMMITTER_EMAIL", "bench@example.vn"),
        ("GIT_CONFIG_NOSYSTEM", "1"),
    ]
}

fn kehoach(dir: &Path, args: &[&str]) -> Duration {
    let t = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_kehoach"))
        .current_dir(dir)
        .envs(identity())
        .args(args)
        .output()
        .expect("kehoach runs");
    let d = t.elapsed();
    assert!(
        out.status.success(),
        "kehoach {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    d
}

/// CPU time (user + system) of the children waited for so far, from /proc (Linux), in ms
/// (ticks of 1/100 s); None elsewhere.
fn children_cpu() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let after = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = after.split_whitespace().collect();
    // cutime and cstime: fields 16 and 17 of the line, 14 and 15 after pid and comm.
    let cu: f64 = f.get(13)?.parse().ok()?;
    let cs: f64 = f.get(14)?.parse().ok()?;
    Some((cu + cs) * 10.0)
}

/// Runs `f` `n` times: the median wall time, and the mean CPU time of the processes it ran.
fn measure(n: usize, mut f: impl FnMut(usize) -> Duration) -> (Duration, Option<f64>) {
    let c0 = children_cpu();
    let walls: Vec<Duration> = (0..n).map(&mut f).collect();
    let cpu = match (c0, children_cpu()) {
        (Some(a), Some(b)) => Some((b - a) / n as f64),
        _ => None,
    };
    (median(walls), cpu)
}

fn cpu_ms(c: Option<f64>) -> String {
    c.map(|c| format!("{c:.1} ms"))
        .unwrap_or_else(|| "?".into())
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn date(i: usize) -> String {
    format!("2026-{:02}-{:02}", 1 + (i / 28) % 12, 1 + i % 28)
}

fn main() {
    let records: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(100_000);
    let base = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("target/bench-data")
        .join(format!("history-gen-{records}"));
    let repo = base.join("repo");
    if !base.join("done").exists() {
        for (k, v) in identity() {
            // SAFETY: single-threaded at this point.
            unsafe { std::env::set_var(k, v) };
        }
        let _ = std::fs::remove_dir_all(&base);
        eprintln!("generating {records} records in {} …", repo.display());
        let t = Instant::now();
        let g = kehoach::store::generate::generate(&repo, records, 42).unwrap();
        eprintln!(
            "  {} records: {} plans, {} assignments, {} reports, {} agencies",
            g.records, g.plans, g.assignments, g.reports, g.agencies
        );
        eprintln!("  generated in {:.1} s", t.elapsed().as_secs_f64());
        // A record with VERSIONS versions, made through the library.
        eprintln!("making {VERSIONS} versions of kh-00001/a01 …");
        let t = Instant::now();
        let store = kehoach::store::Store::open(&repo).unwrap();
        for i in 0..VERSIONS - 1 {
            let (field, value) = if i % 3 == 2 {
                (
                    "status",
                    if i % 2 == 0 { "in_progress" } else { "done" }.to_string(),
                )
            } else {
                ("due", date(i))
            };
            store.set_field("kh-00001/a01", field, &value).unwrap();
        }
        eprintln!("  made in {:.1} s", t.elapsed().as_secs_f64());
        std::fs::write(base.join("done"), "").unwrap();
    }
    let files = walk_count(&repo);
    git(&repo, &["status", "--porcelain"]);

    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "history benchmark: {files} record files in {}",
        repo.display()
    );
    println!(
        "load average {} on {} cores: wall times include waiting for the CPU; CPU times do not",
        load.split_whitespace().next().unwrap_or("?"),
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(0)
    );
    let rounds = 9;
    // kehoach set: one field of one record, validated, committed, index entry updated.
    let (k, kc) = measure(rounds, |i| {
        kehoach(&repo, &["set", "kh-00001/a02", "due", &date(100 + i)])
    });
    // git: the same one-line change to another record, by hand.
    let (g, gc) = measure(rounds, |i| {
        let rel = "plans/kh-00001/assignments/a03.toml";
        let p = repo.join(rel);
        let text = std::fs::read_to_string(&p).unwrap();
        let line = text
            .lines()
            .find(|l| l.starts_with("due = "))
            .unwrap()
            .to_string();
        std::fs::write(
            &p,
            text.replace(&line, &format!("due = \"{}\"", date(200 + i))),
        )
        .unwrap();
        let t = Instant::now();
        git(&repo, &["add", rel]);
        git(&repo, &["commit", "-q", "-m", "update a03 due"]);
        t.elapsed()
    });
    println!();
    println!("one-field save ({rounds} runs)        median wall    mean CPU");
    println!(
        "  kehoach set                {:>10}  {:>10}",
        ms(k),
        cpu_ms(kc)
    );
    println!(
        "  git add F && git commit    {:>10}  {:>10}",
        ms(g),
        cpu_ms(gc)
    );
    let ratio = |a: f64, b: f64| format!("{:.1}×", a / b);
    println!(
        "  ratio (git / kehoach)      {:>10}  {:>10}   (target ≥ 3×)",
        ratio(g.as_secs_f64(), k.as_secs_f64()),
        match (gc, kc) {
            (Some(g), Some(k)) if k > 0.0 => ratio(g, k),
            _ => "?".into(),
        }
    );

    println!();
    println!("record with {VERSIONS} versions (5 runs)  median wall    mean CPU");
    for (name, args) in [
        ("kehoach log ID", &["log", "kh-00001/a01"][..]),
        (
            "kehoach log ID --json",
            &["log", "kh-00001/a01", "--json"][..],
        ),
        ("kehoach blame ID", &["blame", "kh-00001/a01"][..]),
    ] {
        let (w, c) = measure(5, |_| kehoach(&repo, args));
        let target = if name.ends_with("--json") {
            ""
        } else {
            "  (target ≤ 200 ms)"
        };
        println!("  {name:<26} {:>10}  {:>10}{target}", ms(w), cpu_ms(c));
    }
    let t = Instant::now();
    let out = Command::new("git")
        .current_dir(&repo)
        .args([
            "log",
            "--format=%h",
            "--",
            "plans/kh-00001/assignments/a01.toml",
        ])
        .output()
        .unwrap();
    let d = t.elapsed();
    println!(
        "  git log -- FILE (baseline) {:>10}  ({} commits)",
        ms(d),
        String::from_utf8_lossy(&out.stdout).lines().count()
    );
}

fn walk_count(dir: &Path) -> usize {
    let mut n = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            let name = e.file_name();
            if name == ".git" || name == "schemas" {
                continue;
            }
            if e.file_type().unwrap().is_dir() {
                stack.push(e.path());
            } else if name.to_string_lossy().ends_with(".toml") {
                n += 1;
            }
        }
    }
    n
}
