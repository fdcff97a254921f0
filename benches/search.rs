//! Search benchmark on generated repositories of 10k and 100k records.
//!
//! Prints, for each size, side by side:
//! - whole process: `kehoach search WORD` against `rg -i WORD` and `git grep -i WORD` on the same
//!   tree (medians, and how many times faster kehoach is);
//! - in-process query latency p50/p99 over 1,000 queries;
//! - full index build; catch-up after one commit; opening an up-to-date index.
//!
//! Repositories are generated once and cached under target/bench-data/search-<N>/.
//! `KEHOACH_BENCH_SIZES=10000` picks the sizes.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use kehoach::search::{Query, SearchIndex, Update};
use kehoach::store::Store;

const SAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/plan-data");

/// A small deterministic random generator (xorshift).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.below(v.len())]
    }
}

/// Sentences of the sample plan, to make text that reads like the real thing.
fn sentences() -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![PathBuf::from(SAMPLE)];
    while let Some(p) = stack.pop() {
        if p.is_dir() {
            for e in std::fs::read_dir(&p).unwrap() {
                stack.push(e.unwrap().path());
            }
        } else if p.extension().is_some_and(|e| e == "toml") {
            let text = std::fs::read_to_string(&p).unwrap();
            let v: toml::Value = toml::from_str(&text).unwrap();
            collect_strings(&v, &mut out);
        }
    }
    let mut s: Vec<String> = out
        .iter()
        .flat_map(|t| t.split(['.', ';', '\n']))
        .map(|s| s.trim().replace(['"', '\\'], ""))
        .filter(|s| s.split(' ').count() >= 5)
        .collect();
    s.sort();
    s.dedup();
    s
}

fn collect_strings(v: &toml::Value, out: &mut Vec<String>) {
    match v {
        toml::Value::String(s) => out.push(s.clone()),
        toml::Value::Array(a) => a.iter().for_each(|x| collect_strings(x, out)),
        toml::Value::Table(t) => t.values().for_each(|x| collect_strings(x, out)),
        _ => {}
    }
}

fn paragraph(rng: &mut Rng, s: &[String], n: usize) -> String {
    (0..n)
        .map(|_| rng.pick(s).clone())
        .collect::<Vec<_>>()
        .join(". ")
        + "."
}

fn title(rng: &mut Rng, s: &[String]) -> String {
    let words: Vec<&str> = rng.pick(s).split(' ').collect();
    let n = 5 + rng.below(6);
    let start = rng.below(words.len().saturating_sub(n).max(1));
    let t = words[start..(start + n).min(words.len())].join(" ");
    let mut c = t.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => t,
    }
}

fn git(dir: &Path, args: &[&str]) {
    let st = Command::new("git")
        .current_dir(dir)
        .args(args)
        .env("GIT_AUTHOR_NAME", "Bench")
        .env("GIT_AUTHOR_EMAIL", "bench@example.vn")
        .env("GIT_COMMITTER_NAME", "Bench")
        .env("GIT_COMMITTER_EMAIL", "bench@example.vn")
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(st.success(), "git {args:?}");
}

const STATUSES: [&str; 4] = ["not_started", "in_progress", "done", "cancelled"];
const DUES: [&str; 6] = [
    "2025-12-31",
    "continuous",
    "yearly:07-20",
    "half-yearly:01-15",
    "quarterly:03-20",
    "monthly:25",
];

/// Writes a repository of about `n` records into `dir` and commits it.
fn generate(dir: &Path, n: usize, seed: u64) {
    let s = sentences();
    let mut rng = Rng(seed | 1);
    let tmp = dir.with_extension("tmp");
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(tmp.join("agencies")).unwrap();
    std::fs::copy(
        Path::new(SAMPLE).join("kehoach.toml"),
        tmp.join("kehoach.toml"),
    )
    .unwrap();
    let agencies: Vec<String> = (0..200).map(|i| format!("co-quan-{i:03}")).collect();
    for (i, a) in agencies.iter().enumerate() {
        let name = format!("{} số {i}", title(&mut rng, &s));
        std::fs::write(
            tmp.join(format!("agencies/{a}.toml")),
            format!("id = \"{a}\"\nname = \"{name}\"\nkind = \"department\"\n"),
        )
        .unwrap();
    }
    let plan_text =
        std::fs::read_to_string(Path::new(SAMPLE).join("plans/kh-27-qd-ttg-binh-thuan/plan.toml"))
            .unwrap();
    let per_plan = 1000;
    let plans = n.saturating_sub(agencies.len()).div_ceil(per_plan).max(1);
    let periods: Vec<String> = (2020..=2025)
        .flat_map(|y| [format!("{y}-h1"), format!("{y}-h2")])
        .collect();
    let mut written = agencies.len();
    for p in 0..plans {
        let pid = format!("kh-{p:04}");
        let pdir = tmp.join("plans").join(&pid);
        std::fs::create_dir_all(pdir.join("assignments")).unwrap();
        std::fs::write(
            pdir.join("plan.toml"),
            plan_text.replace("kh-27-qd-ttg-binh-thuan", &pid),
        )
        .unwrap();
        written += 1;
        let budget = per_plan.min(n.saturating_sub(written));
        let n_assign = budget * 2 / 5;
        for a in 0..n_assign {
            let lead = rng.pick(&agencies).clone();
            let co = rng.pick(&agencies).clone();
            let text = format!(
                "id = \"a{a:04}\"\nplan = \"{pid}\"\ntasks = [\"t1\"]\nlead = \"{lead}\"\ncoordinating = [\"{co}\"]\ntitle = \"{}\"\ndescription = \"\"\"\n{}\"\"\"\noutput = \"{}\"\ndue = \"{}\"\nstatus = \"{}\"\n",
                title(&mut rng, &s),
                paragraph(&mut rng, &s, 2 + rng.below(3)),
                title(&mut rng, &s),
                rng.pick(&DUES),
                rng.pick(&STATUSES),
            );
            std::fs::write(pdir.join(format!("assignments/a{a:04}.toml")), text).unwrap();
        }
        written += n_assign;
        let n_reports = budget - n_assign;
        let mut k = 0;
        'outer: for period in &periods {
            std::fs::create_dir_all(pdir.join("reports").join(period)).unwrap();
            for agency in &agencies {
                if k >= n_reports {
                    break 'outer;
                }
                let mut text = format!(
                    "plan = \"{pid}\"\nagency = \"{agency}\"\nperiod = \"{period}\"\nstatus = \"submitted\"\nsummary = \"\"\"\n{}\"\"\"\n",
                    paragraph(&mut rng, &s, 2)
                );
                for _ in 0..2 {
                    text.push_str(&format!(
                        "\n[[entries]]\nassignment = \"a{:04}\"\nstatus = \"in_progress\"\nresults = \"\"\"\n{}\"\"\"\n",
                        rng.below(n_assign.max(1)),
                        paragraph(&mut rng, &s, 2)
                    ));
                }
                std::fs::write(pdir.join(format!("reports/{period}/{agency}.toml")), text).unwrap();
                k += 1;
            }
        }
        written += k;
        if written >= n {
            break;
        }
    }
    git(&tmp, &["init", "-q", "-b", "main"]);
    git(&tmp, &["add", "-A"]);
    git(&tmp, &["commit", "-q", "-m", "Generated records"]);
    git(&tmp, &["gc", "-q"]);
    std::fs::rename(&tmp, dir).unwrap();
}

fn repo(n: usize) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target/bench-data")
        .join(format!("search-{n}"));
    if !dir.join(".git").exists() {
        eprintln!(
            "generating a repository of {n} records in {} …",
            dir.display()
        );
        let t = Instant::now();
        generate(&dir, n, 42);
        eprintln!("  done in {:.1} s", t.elapsed().as_secs_f64());
    }
    dir
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn pct(v: &[Duration], p: f64) -> Duration {
    let mut v = v.to_vec();
    v.sort();
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Median wall time of a command, run `runs` times after one warm-up; None when it cannot run.
fn time_cmd(dir: &Path, prog: &str, args: &[&str], runs: usize) -> Option<Duration> {
    let run = || {
        let t = Instant::now();
        let st = Command::new(prog)
            .current_dir(dir)
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .ok()?;
        // rg and git grep exit 1 when nothing matches: still a run.
        (st.code().is_some()).then(|| t.elapsed())
    };
    run()?;
    let v: Option<Vec<Duration>> = (0..runs).map(|_| run()).collect();
    v.map(median)
}

fn has(prog: &str) -> bool {
    Command::new(prog)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

const QUERIES: [&str; 20] = [
    "trẻ em",
    "tre em",
    "tòa án",
    "toa an",
    "ngân sách",
    "\"bảo vệ trẻ em\"",
    "kế hoạch -huyện",
    "status:in_progress trẻ em",
    "kind:report period:2025 trẻ em",
    "agency:co-quan-007",
    "agency:co-quan-010 status:in_progress",
    "due:<2025-12-31 ngân sách",
    "truyền thông giáo dục",
    "day manh",
    "thẩm phán",
    "gia đình",
    "kind:assignment lead:co-quan-100",
    "quyền trẻ em liên hợp quốc",
    "bà mẹ",
    "phòng chống bạo lực",
];

fn bench_size(n: usize, rg: bool) {
    let dir = repo(n);
    let store = Store::open(&dir).unwrap();
    let files = store
        .record_entries(&store.head_commit_id().unwrap().unwrap())
        .unwrap()
        .len();
    println!(
        "\n== {n} records ({files} record files) in {} ==",
        dir.display()
    );

    // Full build.
    let runs = if n >= 50_000 { 2 } else { 3 };
    let builds: Vec<Duration> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            let idx = SearchIndex::rebuild(&store).unwrap();
            let d = t.elapsed();
            assert_eq!(idx.len() as usize, files);
            d
        })
        .collect();
    println!(
        "full index build            {:>9.0} ms   (target ≤ 3000 ms at 100k)",
        ms(median(builds))
    );

    // Opening an index that is up to date: HEAD check + work-tree status.
    let opens: Vec<Duration> = (0..10)
        .map(|_| {
            let t = Instant::now();
            let idx = SearchIndex::open(&store).unwrap();
            let d = t.elapsed();
            assert_eq!(idx.update(), &Update::UpToDate);
            d
        })
        .collect();
    let t = Instant::now();
    for _ in 0..10 {
        store.dirty_record_paths().unwrap();
    }
    let status = t.elapsed() / 10;
    println!(
        "open, up to date            {:>9.1} ms   (of which work-tree status {:.1} ms)",
        ms(median(opens)),
        ms(status)
    );

    // Catch-up after one commit.
    let target = store
        .record_entries(&store.head_commit_id().unwrap().unwrap())
        .unwrap()
        .into_iter()
        .find(|e| e.path.contains("/assignments/"))
        .unwrap()
        .path;
    let original = std::fs::read_to_string(dir.join(&target)).unwrap();
    let mut catch = Vec::new();
    for i in 0..5 {
        let text = original.replace(
            "status = ",
            &format!("notes = \"sửa lần {i} chim cánh cụt\"\nstatus = "),
        );
        std::fs::write(dir.join(&target), &text).unwrap();
        git(&dir, &["commit", "-q", "-am", "Edit one record"]);
        let t = Instant::now();
        let idx = SearchIndex::open(&store).unwrap();
        catch.push(t.elapsed());
        assert_eq!(idx.update(), &Update::CaughtUp { records: 1 });
        assert_eq!(
            idx.search(&Query::parse("chim cánh cụt").unwrap(), 5)
                .unwrap()
                .len(),
            1
        );
    }
    // Put the repository back as generated (for the next run), and the index with it.
    std::fs::write(dir.join(&target), &original).unwrap();
    git(&dir, &["commit", "-q", "-am", "Restore the record"]);
    let idx = SearchIndex::open(&store).unwrap();
    println!(
        "catch-up after one commit   {:>9.1} ms   (target ≤ 20 ms)",
        ms(median(catch))
    );

    // In-process latency.
    let parsed: Vec<Query> = QUERIES.iter().map(|q| Query::parse(q).unwrap()).collect();
    let mut lat = Vec::with_capacity(1000);
    for i in 0..1000 {
        let q = &parsed[i % parsed.len()];
        let t = Instant::now();
        let hits = idx.search(q, 20).unwrap();
        lat.push(t.elapsed());
        std::hint::black_box(hits);
    }
    println!(
        "query latency, 1000 queries p50 {:.3} ms  p99 {:.3} ms  max {:.3} ms   (target p99 ≤ 2 ms)",
        ms(pct(&lat, 0.5)),
        ms(pct(&lat, 0.99)),
        ms(pct(&lat, 1.0))
    );
    drop(idx);

    // Whole process, side by side.
    let kehoach = env!("CARGO_BIN_EXE_kehoach");
    println!("whole process, median of 10 runs (word, kehoach, rg -i, git grep -i, ratios):");
    for word in ["tòa", "ngân sách", "thẩm phán"] {
        let k = time_cmd(&dir, kehoach, &["search", word], 10).unwrap();
        let r = if rg {
            time_cmd(&dir, "rg", &["-i", word, "."], 5)
        } else {
            None
        };
        let g = time_cmd(&dir, "git", &["grep", "-i", word], 5);
        let col = |d: Option<Duration>| match d {
            Some(d) => format!(
                "{:>8.1} ms ({:>5.1}×)",
                ms(d),
                d.as_secs_f64() / k.as_secs_f64()
            ),
            None => format!("{:>20}", "skipped"),
        };
        println!(
            "  {:<12} kehoach {:>7.1} ms   rg {}   git grep {}",
            word,
            ms(k),
            col(r),
            col(g)
        );
    }
}

fn main() {
    // `cargo test --benches` runs this with --bench absent; only `cargo bench` measures.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let rg = has("rg");
    if !rg {
        println!(
            "rg (ripgrep) is not installed: the rg column is skipped (apt-get install -y ripgrep)"
        );
    }
    let sizes: Vec<usize> = std::env::var("KEHOACH_BENCH_SIZES")
        .ok()
        .map(|s| s.split(',').filter_map(|x| x.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![10_000, 100_000]);
    for n in sizes {
        bench_size(n, rg);
    }
}
