//! Record store benchmark: `kehoach validate` on generated repositories next to the time to
//! merely read the files.
//!
//! `cargo bench --bench store` (sizes: KEHOACH_BENCH_SIZES, default "10000,100000").
//! Prints figures and ratios; asserts nothing about time.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use rayon::prelude::*;

fn median(mut xs: Vec<Duration>) -> Duration {
    xs.sort();
    xs[xs.len() / 2]
}

fn time<F: FnMut()>(runs: usize, mut f: F) -> Duration {
    median(
        (0..runs)
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed()
            })
            .collect(),
    )
}

fn ms(d: Duration) -> String {
    format!("{:>9.1} ms", d.as_secs_f64() * 1000.0)
}

fn main() {
    let sizes: Vec<usize> = std::env::var("KEHOACH_BENCH_SIZES")
        .unwrap_or_else(|_| "10000,100000".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let cache = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-data");
    let bin = env!("CARGO_BIN_EXE_kehoach");
    println!(
        "kehoach validate vs reading the files ({} threads)",
        rayon::current_num_threads()
    );
    for n in sizes {
        let t = Instant::now();
        let dir = kehoach::store::generate::cached(&cache, n).expect("generate");
        let made = t.elapsed();
        let paths = kehoach::store::load::scan(&dir).expect("scan");
        println!(
            "\n{n} records ({} files; repository ready in {:.1} s)",
            paths.len(),
            made.as_secs_f64()
        );
        let read_seq = time(3, || {
            let bytes: usize = paths
                .iter()
                .map(|p| std::fs::read(dir.join(p)).map(|b| b.len()).unwrap_or(0))
                .sum();
            assert!(bytes > 0);
        });
        let read_par = time(3, || {
            let bytes: usize = kehoach::store::load::scan(&dir)
                .expect("scan")
                .par_iter()
                .map(|p| std::fs::read(dir.join(p)).map(|b| b.len()).unwrap_or(0))
                .sum();
            assert!(bytes > 0);
        });
        let in_process = time(3, || {
            let loaded = kehoach::store::load_dir(&dir).expect("load");
            assert!(
                loaded.diagnostics.is_empty(),
                "{:?}",
                &loaded.diagnostics[..1]
            );
        });
        let whole = time(3, || {
            let out = Command::new(bin)
                .arg("validate")
                .arg(&dir)
                .output()
                .expect("run");
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stdout)
            );
        });
        println!("  read all files, one thread       {}", ms(read_seq));
        println!("  scan + read all files, parallel  {}", ms(read_par));
        println!(
            "  validate, in process             {}   ({:.1}× parallel read)",
            ms(in_process),
            in_process.as_secs_f64() / read_par.as_secs_f64()
        );
        println!(
            "  `kehoach validate DIR`, process  {}   ({:.1}× parallel read; target ≤ 1500 ms at 100k)",
            ms(whole),
            whole.as_secs_f64() / read_par.as_secs_f64()
        );
    }
}
