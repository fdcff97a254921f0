//! Terminal UI benchmark on a generated repository (default 100k records).
//!
//! Prints:
//! - the time to the first frame (open the store, list record paths, draw 80×24), against
//!   the time to parse every record (`Store::load`), which the UI avoids before its first frame;
//! - the time until titles are loaded in the background;
//! - resident memory (VmRSS, and the peak VmHWM) once everything is loaded;
//! - time per keystroke in search (update + search + draw) and when moving in the tree.
//!
//! `cargo bench --bench tui [-- RECORDS]`. The repository (`store::generate`) is cached under
//! target/bench-data/<N>/ so reruns are quick; so is its search index (under .git).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use kehoach::tui::app::Screen;
use kehoach::tui::{Harness, KeyPress, Msg};

fn repo(records: usize) -> PathBuf {
    let cache = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-data");
    eprintln!(
        "repository of {records} records under {} …",
        cache.display()
    );
    kehoach::store::generate::cached(&cache, records).expect("generated repository")
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

    // Background work: titles, status and the search index (built on the first run).
    let t = Instant::now();
    ui.settle();
    let labels = t.elapsed();
    let total = ui.state().index.total;
    let rss = proc_status("VmRSS:");
    let hwm = proc_status("VmHWM:");
    // Resident memory is the process's own (anonymous) pages plus the pages of files it maps:
    // the search index is read through mmap, and those pages are the kernel's file cache.
    let anon = proc_status("RssAnon:");
    let file = proc_status("RssFile:");

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
    let mut each = Vec::new();
    let t = Instant::now();
    let query = "tre em tinh";
    for c in query.chars() {
        let k = Instant::now();
        ui.send(Msg::Key(KeyPress::ch(c)));
        ui.draw();
        worst = worst.max(k.elapsed());
        each.push(format!("{c:?} {:.1}", k.elapsed().as_secs_f64() * 1000.0));
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
    println!(
        "  background work done:         {:>10}   (titles, status, search index)",
        ms(labels)
    );
    println!("  resident memory after load:   {rss:>10}   (peak {hwm}; budget 300 MB)");
    println!("    of which: own memory {anon}, mapped index and other files {file}");
    println!("  tree move + draw:             {:>10}", ms(per_move));
    println!(
        "  search keystroke + draw:      {:>10}   worst {} ({hits} hits, {} search; a frame is 16.7 ms)",
        ms(per_key),
        ms(worst),
        if full_text { "full-text" } else { "title" }
    );
    println!("    per key (ms): {}", each.join(", "));
}
