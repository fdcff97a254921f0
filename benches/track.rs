//! Tracking benchmark: `status` (one plan's matrix) and `due --overdue` (every assignment) on a
//! generated repository of N records (default 100 000; `KEHOACH_BENCH_RECORDS` to change),
//! against the baseline of reading and checking every record (`Store::load`).
//!
//! The repository is made once by the shared generator (`kehoach::store::generate`: one commit
//! per plan, so that the first-parent walk has history) and reused from target/bench-data/.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use kehoach::store::Store;

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

fn bench(label: &str, dir: &Path, n: usize) {
    let store = Store::open(dir).unwrap();
    let today = jiff::civil::date(2025, 12, 31);
    // The plan with the most reports.
    let plan = kehoach::store::partial::plan_ids(dir)
        .into_iter()
        .max_by_key(|p| kehoach::store::partial::report_paths(dir, p, None).len())
        .expect("a plan");
    println!();
    println!(
        "{label}: {} ({n} records), best of 5; status of {plan}",
        dir.display()
    );
    let full = time("baseline: Store::load (every record, checked)", 2, || {
        store.load().unwrap().files
    });
    let status = time("status: plan_status(PLAN, all periods)", 5, || {
        kehoach::track::plan_status(&store, &plan, None, today)
            .unwrap()
            .matrix
            .rows
            .len()
    });
    let cache = store.repo().path().join("kehoach/cache");
    let _ = std::fs::remove_dir_all(&cache);
    let t = Instant::now();
    let cold = kehoach::track::deadlines(&store, today, None)
        .unwrap()
        .items
        .len();
    println!(
        "{:<48} {:>9.1} ms",
        "due --overdue: deadlines(all plans), cold cache",
        t.elapsed().as_secs_f64() * 1e3
    );
    let due = time("due --overdue: deadlines(all plans), warm cache", 5, || {
        kehoach::track::deadlines(&store, today, None)
            .unwrap()
            .items
            .len()
    });
    let reports = format!("plans/{plan}/reports");
    let arrivals = time("  of which: first arrivals of PLAN's reports", 5, || {
        store.first_arrivals("main", &reports).unwrap().len()
    });
    let d = kehoach::track::deadlines(&store, today, None).unwrap();
    let overdue = d
        .items
        .iter()
        .filter(|i| i.state == kehoach::track::due::DueState::Overdue)
        .count();
    println!(
        "{cold} assignments assessed, {overdue} overdue, {} files looked at",
        d.files
    );
    let ratio = |x: Duration| full.as_secs_f64() / x.as_secs_f64().max(1e-9);
    println!(
        "ratios to the baseline: status {:.0}x faster, due (warm) {:.0}x faster; arrivals walk {:.1} ms",
        ratio(status),
        ratio(due),
        arrivals.as_secs_f64() * 1e3
    );
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_kehoach"));
    {
        for args in [
            vec!["status", plan.as_str(), "--today", "2025-12-31"],
            vec!["due", "--overdue", "--today", "2025-12-31", "--json"],
        ] {
            time(&format!("binary: kehoach {}", args[0]), 3, || {
                let out = Command::new(&bin)
                    .current_dir(dir)
                    .args(&args)
                    .output()
                    .unwrap();
                assert!(
                    out.status.success(),
                    "{}",
                    String::from_utf8_lossy(&out.stderr)
                );
            });
        }
    }
}

fn main() {
    let n: usize = std::env::var("KEHOACH_BENCH_RECORDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000);
    let cache = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-data");
    let t = Instant::now();
    let dir = kehoach::store::generate::cached(&cache, n).expect("generate");
    println!(
        "repository of {n} records ready in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    if std::env::args().any(|a| a == "--generate-only") {
        return;
    }
    bench("generated", &dir, n);
}
