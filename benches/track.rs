//! Tracking benchmark: `status` (one plan's matrix) and `due --overdue` (every assignment) on a
//! generated repository of N records (default 100 000; `KEHOACH_BENCH_RECORDS` to change),
//! against the baseline of reading and checking every record (`Store::load`).
//!
//! The repository is generated once under target/bench-data/track-N/ (100 plans, 500
//! agencies, assignments and half-yearly reports with realistic Vietnamese text, committed plan
//! by plan) and reused.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use kehoach::store::Store;

const PERIODS: [&str; 4] = ["2024-h1", "2024-h2", "2025-h1", "2025-h2"];
const SUBMITTED: [&str; 4] = ["2024-07-10", "2025-01-20", "2025-07-12", "2026-01-14"];

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .current_dir(dir)
        .args(args)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", "Bench")
        .env("GIT_AUTHOR_EMAIL", "bench@example.vn")
        .env("GIT_COMMITTER_NAME", "Bench")
        .env("GIT_COMMITTER_EMAIL", "bench@example.vn")
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

const TEXT: &str = "Tiếp tục rà soát, hoàn thiện cơ chế phối hợp liên ngành trong công tác bảo vệ, chăm sóc trẻ em; tổ chức tập huấn nâng cao năng lực cho đội ngũ làm công tác trẻ em ở cơ sở";

/// Generates a repository of about `records` records in `dir`.
fn generate(dir: &Path, records: usize) {
    let plans = 100usize;
    let agencies = 500usize;
    let per_plan = (records.saturating_sub(agencies + 1) / plans).max(10);
    // Of each plan's records: 40% assignments, the rest reports over four periods.
    let n_asg = per_plan * 2 / 5;
    let reporters = (per_plan - n_asg - 1) / PERIODS.len();
    std::fs::create_dir_all(dir).unwrap();
    git(dir, &["init", "-q", "-b", "main"]);
    write(
        dir,
        "kehoach.toml",
        "format_version = 1\n[review]\nprotected_branch = \"main\"\n",
    );
    for i in 0..agencies {
        let until = if i % 10 == 9 {
            "valid_until = \"2025-06-30\"\n"
        } else {
            ""
        };
        write(
            dir,
            &format!("agencies/ag-{i:04}.toml"),
            &format!(
                "id = \"ag-{i:04}\"\nname = \"Ủy ban nhân dân xã số {i}\"\nkind = \"peoples_committee\"\n{until}"
            ),
        );
    }
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", "create agencies"]);
    let dues = [
        "continuous",
        "yearly:12-10",
        "half-yearly:01-15",
        "quarterly:03-20",
        "monthly:25",
        "2025-09-30",
    ];
    let statuses = [
        "not_started",
        "in_progress",
        "in_progress",
        "done",
        "cancelled",
    ];
    for p in 0..plans {
        let pid = format!("kh-{p:03}");
        write(
            dir,
            &format!("plans/{pid}/plan.toml"),
            &format!(
                "id = \"{pid}\"\nnumber = \"{p}\"\nsymbol = \"KH-UBND\"\nissuer = \"ag-0000\"\nplace = \"Bình Thuận\"\ndate = \"2024-01-15\"\ntitle = \"Kế hoạch số {p} về {TEXT}\"\nstatus = \"issued\"\npurposes = [\"{TEXT}\"]\n\n[[tasks]]\nid = \"t1\"\nnumber = \"1\"\ntext = \"{TEXT}\"\n\n[signer]\ntitle = \"CHỦ TỊCH\"\nname = \"Nguyễn Văn A\"\n\n[reporting]\nperiod = \"half_year\"\ndue_days = 15\nto = \"ag-0000\"\nfirst_period = \"2024-h1\"\n"
            ),
        );
        let lead_of = |a: usize| (p * 37 + a % reporters.max(1) * 7) % agencies;
        for a in 0..n_asg {
            let lead = lead_of(a);
            write(
                dir,
                &format!("plans/{pid}/assignments/a{a:04}.toml"),
                &format!(
                    "id = \"a{a:04}\"\nplan = \"{pid}\"\ntasks = [\"t1\"]\nlead = \"ag-{lead:04}\"\ncoordinating = [\"ag-{:04}\"]\ntitle = \"Nhiệm vụ {a}\"\ndescription = \"{TEXT}\"\noutput = \"Báo cáo kết quả\"\ndue = \"{}\"\nstatus = \"{}\"\n",
                    (lead + 1) % agencies,
                    dues[(a + p) % dues.len()],
                    statuses[(a * 7 + p) % statuses.len()]
                ),
            );
        }
        for (k, period) in PERIODS.iter().enumerate() {
            for r in 0..reporters {
                let agency = lead_of(r);
                if agency % 10 == 9 && k >= 3 {
                    continue;
                }
                let mut t = format!(
                    "plan = \"{pid}\"\nagency = \"ag-{agency:04}\"\nperiod = \"{period}\"\nsubmitted_on = \"{}\"\nstatus = \"accepted\"\nsummary = \"{TEXT}\"\n",
                    SUBMITTED[k]
                );
                for e in (r..n_asg).step_by(reporters.max(1)).take(3) {
                    t.push_str(&format!(
                        "\n[[entries]]\nassignment = \"a{e:04}\"\nstatus = \"{}\"\npercent = 50\nresults = \"{TEXT}\"\ndifficulties = \"{TEXT}\"\n",
                        if (e + k) % 3 == 0 { "done" } else { "in_progress" }
                    ));
                }
                write(
                    dir,
                    &format!("plans/{pid}/reports/{period}/ag-{agency:04}.toml"),
                    &t,
                );
            }
        }
        git(dir, &["add", "-A"]);
        git(dir, &["commit", "-q", "-m", &format!("create plan {pid}")]);
    }
}

fn time<T>(label: &str, runs: usize, mut f: impl FnMut() -> T) -> Duration {
    let _ = f();
    let mut best = Duration::MAX;
    for _ in 0..runs {
        let t = Instant::now();
        let _ = std::hint::black_box(f());
        best = best.min(t.elapsed());
    }
    println!("{label:<48} {:>9.1} ms", best.as_secs_f64() * 1e3);
    best
}

fn main() {
    let n: usize = std::env::var("KEHOACH_BENCH_RECORDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000);
    let dir =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("target/bench-data/track-{n}"));
    if !dir.join(".git").exists() || !dir.join("plans/kh-099").exists() {
        let _ = std::fs::remove_dir_all(&dir);
        let t = Instant::now();
        generate(&dir, n);
        println!(
            "generated {n} records in {:.1} s",
            t.elapsed().as_secs_f64()
        );
    }
    if std::env::args().any(|a| a == "--generate-only") {
        return;
    }
    let store = Store::open(&dir).unwrap();
    let today = jiff::civil::date(2025, 12, 31);
    println!(
        "track benchmark on {} ({n} records), best of 5",
        dir.display()
    );
    let full = time("baseline: Store::load (every record, checked)", 2, || {
        store.load().unwrap().files
    });
    let status = time("status: plan_status(kh-050, all periods)", 5, || {
        kehoach::track::plan_status(&store, "kh-050", None, today)
            .unwrap()
            .matrix
            .rows
            .len()
    });
    let due = time("due --overdue: deadlines(all plans)", 5, || {
        kehoach::track::deadlines(&store, today, None)
            .unwrap()
            .items
            .len()
    });
    let arrivals = time("  of which: first arrivals of kh-050's reports", 5, || {
        store
            .first_arrivals("main", "plans/kh-050/reports")
            .unwrap()
            .len()
    });
    let d = kehoach::track::deadlines(&store, today, None).unwrap();
    let overdue = d
        .items
        .iter()
        .filter(|i| i.state == kehoach::track::due::DueState::Overdue)
        .count();
    println!(
        "{} assignments assessed, {overdue} overdue, {} files read",
        d.items.len(),
        d.files
    );
    let ratio = |x: Duration| full.as_secs_f64() / x.as_secs_f64().max(1e-9);
    println!(
        "ratios to the baseline: status {:.0}x faster, due {:.0}x faster (arrivals walk {:.1} ms)",
        ratio(status),
        ratio(due),
        arrivals.as_secs_f64() * 1e3
    );
    // The binary end to end, when a release build is there.
    let bin = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/release/kehoach");
    if bin.exists() {
        for args in [
            vec!["rates", "kh-050", "--today", "2025-12-31"],
            vec!["due", "--overdue", "--today", "2025-12-31", "--json"],
        ] {
            time(
                &format!("binary: kehoach {}", args[..2].join(" ")),
                3,
                || {
                    let out = Command::new(&bin)
                        .current_dir(&dir)
                        .args(&args)
                        .output()
                        .unwrap();
                    assert!(
                        out.status.success(),
                        "{}",
                        String::from_utf8_lossy(&out.stderr)
                    );
                },
            );
        }
    } else {
        println!("(build target/release/kehoach to time the binary end to end)");
    }
}
