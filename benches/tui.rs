//! Terminal UI benchmark on a generated repository (default 100k records).
//!
//! Prints:
//! - the time to the first frame (open the store, list record paths, draw 80×24), against
//!   the time to parse every record (`Store::load`), which the UI avoids before its first frame;
//! - the time until titles are loaded in the background;
//! - resident memory (VmRSS, and the peak VmHWM) once everything is loaded;
//! - time per keystroke in search (update + search + draw) and when moving in the tree.
//!
//! `cargo bench --bench tui [-- RECORDS]`. The repository is cached under
//! target/bench-data/tui-<N>/ so reruns are quick.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use kehoach::tui::app::Screen;
use kehoach::tui::{Harness, KeyPress, Msg};

fn git(dir: &Path, args: &[&str]) {
    let st = Command::new("git")
        .current_dir(dir)
        .args(args)
        .env("GIT_AUTHOR_NAME", "Bench")
        .env("GIT_AUTHOR_EMAIL", "bench@example.vn")
        .env("GIT_COMMITTER_NAME", "Bench")
        .env("GIT_COMMITTER_EMAIL", "bench@example.vn")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .stdout(std::process::Stdio::null())
        .status()
        .expect("git runs");
    assert!(st.success(), "git {args:?} failed");
}

/// ~`records` records: copies of the sample plan padded with assignments, 1000 per plan.
fn generate(dir: &Path, records: usize) {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("plan-data");
    let sample = "kh-27-qd-ttg-binh-thuan";
    let read = |p: &Path| std::fs::read_to_string(p).unwrap();
    let write = |rel: &str, text: &str| {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    std::fs::create_dir_all(dir).unwrap();
    git(dir, &["init", "-q", "-b", "main"]);
    write("kehoach.toml", &read(&src.join("kehoach.toml")));
    for sub in ["schemas", "agencies"] {
        for e in std::fs::read_dir(src.join(sub)).unwrap() {
            let e = e.unwrap();
            write(
                &format!("{sub}/{}", e.file_name().to_string_lossy()),
                &read(&e.path()),
            );
        }
    }
    let sp = src.join("plans").join(sample);
    let plan_text = read(&sp.join("plan.toml"));
    let a03 = read(&sp.join("assignments/a03.toml"));
    let mut reports = Vec::new();
    for period in std::fs::read_dir(sp.join("reports")).unwrap() {
        let period = period.unwrap();
        for f in std::fs::read_dir(period.path()).unwrap() {
            let f = f.unwrap();
            reports.push((
                format!(
                    "{}/{}",
                    period.file_name().to_string_lossy(),
                    f.file_name().to_string_lossy()
                ),
                read(&f.path()),
            ));
        }
    }
    let quoted = format!("\"{sample}\"");
    let per_plan = 1000;
    for p in 0..records.div_ceil(per_plan).max(1) {
        let id = format!("kh-{p:04}");
        let q = format!("\"{id}\"");
        write(
            &format!("plans/{id}/plan.toml"),
            &plan_text.replace(&quoted, &q),
        );
        for (name, text) in &reports {
            write(
                &format!("plans/{id}/reports/{name}"),
                &text.replace(&quoted, &q),
            );
        }
        for i in 0..per_plan - 1 - reports.len() {
            let aid = format!("g{i:04}");
            let text = a03
                .replace(&quoted, &q)
                .replace("id = \"a03\"", &format!("id = \"{aid}\""))
                .replace("title = \"", &format!("title = \"Nhiệm vụ {i} – "));
            write(&format!("plans/{id}/assignments/{aid}.toml"), &text);
        }
    }
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", "generated"]);
}

fn repo(records: usize) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target/bench-data")
        .join(format!("tui-{records}"));
    if !dir.join("kehoach.toml").exists() {
        let _ = std::fs::remove_dir_all(&dir);
        eprintln!("generating {records} records in {} …", dir.display());
        generate(&dir, records);
    }
    dir
}

fn proc_status(field: &str) -> String {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(field))
        .map(|l| l[field.len()..].trim().to_string())
        .unwrap_or_else(|| "?".into())
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn main() {
    let records: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(100_000);
    let dir = repo(records);

    // First frame: open, list paths, draw. Nothing is parsed yet.
    let t = Instant::now();
    let mut ui = Harness::open_unsettled(&dir, 80, 24).expect("opens");
    ui.draw();
    let first = t.elapsed();
    let total = ui.state().index.total;

    // Where the first frame's time goes.
    let t = Instant::now();
    let store = kehoach::store::Store::open(&dir).unwrap();
    let t_open = t.elapsed();
    let t = Instant::now();
    let paths = store.first_records().unwrap();
    let t_paths = t.elapsed();
    let t = Instant::now();
    let ix = kehoach::tui::tree::Index::from_paths(&paths);
    let t_index = t.elapsed();
    drop((store, paths, ix));

    // Background work: titles and status.
    let t = Instant::now();
    ui.settle();
    let labels = t.elapsed();
    let rss = proc_status("VmRSS:");
    let hwm = proc_status("VmHWM:");

    // Moving in the tree.
    let t = Instant::now();
    let moves = 500;
    for _ in 0..moves {
        ui.send(Msg::Key(KeyPress::ch('j')));
        ui.draw();
    }
    let per_move = t.elapsed() / moves;

    // Search as you type.
    ui.send(Msg::Key(KeyPress::ch('/')));
    let mut worst = Duration::ZERO;
    let t = Instant::now();
    let query = "kinh phi 123";
    for c in query.chars() {
        let k = Instant::now();
        ui.send(Msg::Key(KeyPress::ch(c)));
        ui.draw();
        worst = worst.max(k.elapsed());
    }
    let per_key = t.elapsed() / query.chars().count() as u32;
    let hits = match ui.state().stack.last() {
        Some(Screen::Search(s)) => s.hits.len(),
        _ => 0,
    };
    let full_text = ui.state().full_text;
    drop(ui);

    // Baseline: parse every record, which the first frame does not do.
    let t = Instant::now();
    let store = kehoach::store::Store::open(&dir).unwrap();
    let loaded = store.load().unwrap();
    let load_all = t.elapsed();

    println!("tui benchmark on {total} records ({})", dir.display());
    println!(
        "  first frame (80×24):          {:>10}   (budget 200 ms)",
        ms(first)
    );
    println!(
        "  parse every record (baseline): {:>10}   first frame is {:.1}× faster ({} files)",
        ms(load_all),
        load_all.as_secs_f64() / first.as_secs_f64().max(1e-9),
        loaded.files
    );
    println!(
        "    of which: open {}, quick listing {}, tree index {}",
        ms(t_open),
        ms(t_paths),
        ms(t_index)
    );
    println!("  titles loaded in background:  {:>10}", ms(labels));
    println!("  resident memory after load:   {rss:>10}   (peak {hwm}; budget 300 MB)");
    println!("  tree move + draw:             {:>10}", ms(per_move));
    println!(
        "  search keystroke + draw:      {:>10}   worst {} ({hits} hits, {} search; a frame is 16.7 ms)",
        ms(per_key),
        ms(worst),
        if full_text { "full-text" } else { "title" }
    );
}
