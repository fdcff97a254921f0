//! Writes a realistic data repository of N records and commits it:
//! `cargo run --release --example generate -- --records N DIR`.

use std::path::PathBuf;

fn main() {
    let mut args = std::env::args().skip(1);
    let mut records = 10_000usize;
    let mut seed = 42u64;
    let mut dir: Option<PathBuf> = None;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--records" => {
                records = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .unwrap_or_else(|| usage())
            }
            "--seed" => {
                seed = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .unwrap_or_else(|| usage())
            }
            "-h" | "--help" => usage(),
            _ if dir.is_none() && !a.starts_with('-') => dir = Some(PathBuf::from(a)),
            _ => usage(),
        }
    }
    let dir = dir.unwrap_or_else(|| usage());
    match kehoach::store::generate::generate(&dir, records, seed) {
        Ok(g) => println!(
            "{}: {} records ({} agencies, {} plans, {} assignments, {} reports) in {} commits, {:.1} s",
            dir.display(),
            g.records,
            g.agencies,
            g.plans,
            g.assignments,
            g.reports,
            g.commits,
            g.seconds
        ),
        Err(e) => {
            eprintln!("error: {e}");
            if let Some(h) = e.hint() {
                eprintln!("hint: {h}");
            }
            std::process::exit(1);
        }
    }
}

fn usage() -> ! {
    eprintln!("usage: generate [--records N] [--seed S] DIR");
    std::process::exit(2);
}
