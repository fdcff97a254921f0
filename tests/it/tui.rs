//! The terminal UI: screens snapshotted through the real app on ratatui's TestBackend, driven by
//! keys; and end-to-end runs of the binary in a real terminal under tmux.

use std::path::Path;
use std::process::Command as StdCommand;
use std::time::{Duration, Instant};

use kehoach::tui::app::{Labels, Msg, Screen};
use kehoach::tui::{Harness, Lang, Options, Settings};
use unicode_normalization::UnicodeNormalization;

use crate::common::{SAMPLE_PLAN, TestRepo, hermetic, sample_assignment};

const SIZES: [(u16, u16); 2] = [(80, 24), (120, 40)];

fn open(repo: &TestRepo, lang: Lang, w: u16, h: u16) -> Harness {
    Harness::open(&repo.path(), lang, w, h).expect("the demo repository opens")
}

/// Keys that select the first assignment (a-3a-bac-binh) from the start.
const FIRST_ASSIGNMENT: &str = "j j";

fn snap(name: &str, repo: &TestRepo, lang: Lang, keys: &str) {
    for (w, h) in SIZES {
        let mut ui = open(repo, lang, w, h);
        ui.keys(keys);
        let screen = ui.screen();
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), screen);
    }
}

#[test]
fn screens_at_80x24_and_120x40() {
    let repo = TestRepo::demo();
    snap("browse_start", &repo, Lang::En, "");
    snap("browse_assignment", &repo, Lang::En, FIRST_ASSIGNMENT);
    snap("browse_assignment_vi", &repo, Lang::Vi, FIRST_ASSIGNMENT);
    // Collapse assignments, open the reports of 2025-h1 and select the first.
    snap("browse_report", &repo, Lang::En, "j h j l j l j");
    snap("browse_agency", &repo, Lang::En, "G l j");
    snap("detail_focus_scrolled", &repo, Lang::En, "j j tab j j j");
    snap("help_browse", &repo, Lang::En, "?");
    snap("help_browse_vi", &repo, Lang::Vi, "?");
    snap("form_assignment", &repo, Lang::En, "j j e");
    snap("form_assignment_vi", &repo, Lang::Vi, "j j e");
    snap("form_due_error", &repo, Lang::En, "j j e tab tab \"x\"");
    snap(
        "form_picker_lead",
        &repo,
        Lang::En,
        "j j e tab tab tab f2 \"y te\"",
    );
    snap("form_help", &repo, Lang::En, "j j e f1");
    snap(
        "form_confirm",
        &repo,
        Lang::En,
        "j j e tab tab end bs bs bs bs bs bs bs bs bs bs bs bs \"2026-03-31\" ctrl-s",
    );
    snap("form_discard_question", &repo, Lang::En, "j j e \"!\" esc");
    snap("search_typed", &repo, Lang::En, "/ \"du toan\"");
    snap(
        "search_filtered",
        &repo,
        Lang::En,
        "/ \"so y te\" tab tab tab tab",
    );
    snap("history", &repo, Lang::En, "j j L");
    // The report of Sở Y tế for 2025-h1: sent, then accepted.
    let report = "j h j l j l j j";
    snap("history_report", &repo, Lang::En, &format!("{report} L"));
    snap(
        "history_diff",
        &repo,
        Lang::En,
        &format!("{report} L enter"),
    );
    snap("history_help", &repo, Lang::En, &format!("{report} L ?"));
    snap("blame", &repo, Lang::En, &format!("{report} b"));
    snap("as_of", &repo, Lang::En, &format!("{report} L j a"));
    snap("search_query_error", &repo, Lang::En, "/ \"kind:xyz\"");
    snap("search_help", &repo, Lang::En, "/ f1");
    snap("reviews", &repo, Lang::En, "R");
    snap("form_report", &repo, Lang::En, &format!("{report} e"));
    snap(
        "form_report_entry",
        &repo,
        Lang::Vi,
        &format!("{report} e tab tab tab tab"),
    );
    snap("form_agency", &repo, Lang::En, "G l j e");
    snap("form_plan", &repo, Lang::En, "e");
}

#[test]
fn dashboard_shows_progress_and_overdue_work() {
    let repo = TestRepo::demo();
    let mut ui = open(&repo, Lang::Vi, 120, 40);
    ui.keys("D");
    let screen = ui.screen();
    assert!(screen.contains("Theo dõi tiến độ"), "{screen}");
    assert!(screen.contains("kh-27-qd-ttg-binh-thuan —"), "{screen}");
    assert!(screen.contains("Nhiệm vụ quá hạn"), "{screen}");
    ui.keys("esc");
    assert!(ui.state().stack.is_empty());
}

#[test]
fn view_as_of_a_commit_and_back() {
    let repo = TestRepo::demo();
    let mut ui = open(&repo, Lang::En, 80, 24);
    ui.keys("j h j l j l j j L j a");
    let d = ui.state().detail.clone().unwrap();
    assert!(d.as_of.is_some());
    assert!(d.text.contains("status = \"submitted\""), "{}", d.text);
    // No editing a past version; Esc comes back to the present.
    ui.keys("e");
    assert!(ui.state().stack.is_empty());
    ui.keys("esc");
    let d = ui.state().detail.clone().unwrap();
    assert!(d.as_of.is_none());
    assert!(d.text.contains("status = \"accepted\""));
}

#[test]
fn search_enter_jumps_to_the_record() {
    let repo = TestRepo::demo();
    let mut ui = open(&repo, Lang::En, 80, 24);
    ui.keys("/ \"phan thiet\"");
    let Some(Screen::Search(s)) = ui.state().stack.last() else {
        panic!("search is open");
    };
    assert!(!s.hits.is_empty(), "finds records about Phan Thiết");
    let first = s.hits[0].path.clone();
    ui.keys("enter");
    assert!(ui.state().stack.is_empty());
    assert_eq!(ui.state().detail.as_ref().unwrap().rr.path, first);
}

#[test]
fn search_says_how_many_records_match_in_all() {
    let repo = TestRepo::demo();
    // Every record that matches, as the command line finds them.
    let matching = |query: &str| -> usize {
        let out = repo
            .cmd()
            .args(["search", query, "--limit", "1000", "--json"])
            .output()
            .unwrap();
        assert!(out.status.success());
        let found: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        found.as_array().unwrap().len()
    };
    let all = matching("tre em");
    assert!(all > 20, "{all}");
    let mut ui = open(&repo, Lang::En, 80, 24);
    ui.keys("/ \"tre em\"");
    let Some(Screen::Search(s)) = ui.state().stack.last() else {
        panic!("search is open");
    };
    assert_eq!((s.hits.len(), s.total), (20, all));
    let screen = ui.screen();
    assert!(screen.contains(&format!("20 / {all} results")), "{screen}");
    // Fewer than a screenful: the count alone.
    let few = matching("phan thiet");
    assert!((1..20).contains(&few), "{few}");
    ui.keys("escape / \"phan thiet\"");
    let screen = ui.screen();
    assert!(screen.contains(&format!("│{few} results ")), "{screen}");
    // Before the full-text index is ready, titles are searched, and the line says so; before
    // the titles are read, it says they are being read, and answers once they are.
    let labels = Labels {
        by_path: ui.state().labels.clone(),
        folded: ui.state().folded.clone(),
    };
    ui.app.state.full_text = false;
    ui.app.state.labels_ready = false;
    ui.app.state.folded.clear();
    ui.keys("escape / \"tre em\"");
    let screen = ui.screen();
    assert!(screen.contains("│loading… "), "{screen}");
    // The titles arrive (and the index opens after them, as at start).
    ui.send(Msg::Labels(labels));
    let screen = ui.screen();
    assert!(screen.contains(&format!("20 / {all} results")), "{screen}");
    ui.app.state.full_text = false;
    ui.keys("escape / \"tre em\"");
    let screen = ui.screen();
    assert!(
        screen.contains("│4 results · titles only while the full-text index is built…"),
        "{screen}"
    );
    // An index that cannot be opened is said so there, not awaited.
    ui.send(Msg::SearchFailed("search index: it cannot be read".into()));
    ui.keys("escape / \"tre em\"");
    let screen = ui.screen();
    assert!(
        screen.contains("│4 results · titles only: the full-text index could not be opened"),
        "{screen}"
    );
    assert!(
        screen.contains("search index: it cannot be read"),
        "{screen}"
    );
}

#[test]
fn search_names_kinds_in_the_interface_language() {
    let repo = TestRepo::demo();
    let mut ui = open(&repo, Lang::Vi, 80, 24);
    ui.keys("/ \"toa an\"");
    let screen = ui.screen();
    assert!(screen.contains(" Tìm kiếm [mọi loại] "), "{screen}");
    assert!(
        screen.contains("│cơ quan    tand-tinh  Tòa án nhân dân tỉnh"),
        "{screen}"
    );
    assert!(screen.contains("│nhiệm vụ   a04  "), "{screen}");
    ui.keys("tab");
    assert!(ui.screen().contains(" Tìm kiếm [kế hoạch] "));
}

#[test]
fn searches_go_on_while_the_index_is_brought_up_to_date() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    let repo = TestRepo::demo();
    let mut ui = open(&repo, Lang::En, 80, 24);
    // A commit the index has not seen, and the index's lock held as another process that is
    // updating the index holds it: bringing the index up to date waits for it.
    let path = sample_assignment("a04");
    let text = repo.read(&path);
    repo.write(&path, &text.replace("tại Tòa án", "tại Tòa án nhân dân"));
    repo.git(&["commit", "-qam", "Retitle a04"]);
    let store = kehoach::store::Store::open(&repo.path()).unwrap();
    let lock = Arc::new(
        std::fs::File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(store.git_dir().join("kehoach/search.lock"))
            .unwrap(),
    );
    lock.lock().unwrap();
    // Should the search wait for the lock after all, it is let go after a while, and said.
    let (done, let_go) = (
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicBool::new(false)),
    );
    let watchdog = {
        let (lock, done, let_go) = (lock.clone(), done.clone(), let_go.clone());
        std::thread::spawn(move || {
            let end = Instant::now() + Duration::from_secs(60);
            while !done.load(Ordering::SeqCst) && Instant::now() < end {
                std::thread::sleep(Duration::from_millis(20));
            }
            let_go.store(true, Ordering::SeqCst);
            lock.unlock().unwrap();
        })
    };
    static WAITING: AtomicBool = AtomicBool::new(false);
    kehoach::search::set_notices(Some(|n| {
        if matches!(n, kehoach::search::Notice::Waiting { .. }) {
            WAITING.store(true, Ordering::SeqCst);
        }
    }));
    let fx = ui
        .app
        .runtime
        .perform(kehoach::tui::Effect::RefreshSearch, &mut ui.host);
    assert!(fx.is_empty());
    ui.app.runtime.start_queued();
    wait_until("the update waits for the lock", || {
        WAITING.load(Ordering::SeqCst)
    });
    // Typed meanwhile: answered by the index in use.
    for m in kehoach::tui::parse_keys("/ \"toa an\"").unwrap() {
        ui.app.handle(m, &mut ui.host);
    }
    ui.app.poll_background(Duration::ZERO, &mut ui.host);
    assert!(
        !let_go.load(Ordering::SeqCst),
        "the search waited for the update"
    );
    let Some(Screen::Search(s)) = ui.state().stack.last() else {
        panic!("search is open");
    };
    assert!(s.hits.iter().any(|h| h.id == "a04"));
    let screen = ui.screen();
    assert!(
        screen.contains("a04  Tố tụng thân thiện với trẻ em tại Tòa án "),
        "{screen}"
    );
    assert!(!screen.contains("tại Tòa án nhân dân"), "{screen}");
    // The update goes on once the lock is free, and the search is answered again.
    done.store(true, Ordering::SeqCst);
    watchdog.join().unwrap();
    kehoach::search::set_notices(None);
    ui.settle();
    let screen = ui.screen();
    assert!(
        screen.contains("a04  Tố tụng thân thiện với trẻ em tại Tòa án nhân dân"),
        "{screen}"
    );
}

#[test]
fn a_search_index_damaged_under_the_ui_is_built_again() {
    let repo = TestRepo::demo();
    let mut ui = open(&repo, Lang::En, 80, 24);
    // The index open, no record's fields read yet (they would be kept uncompressed).
    ui.keys("/ \"chim canh cut\"");
    assert!(ui.screen().contains("No results."), "{}", ui.screen());
    // The stored fields of every segment overwritten as the UI holds the index open.
    let store = kehoach::store::Store::open(&repo.path()).unwrap();
    for e in std::fs::read_dir(kehoach::search::index_dir(&store)).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "store") {
            let len = std::fs::metadata(&p).unwrap().len() as usize;
            let mut f = std::fs::OpenOptions::new().write(true).open(&p).unwrap();
            std::io::Write::write_all(&mut f, &vec![0x5a; len / 2]).unwrap();
        }
    }
    ui.keys("escape / \"toa an\"");
    let screen = ui.screen();
    assert!(
        screen.contains("The search index is damaged; building it again"),
        "{screen}"
    );
    // Built again: the full text is searched once more.
    assert!(ui.state().full_text);
    ui.keys("escape / \"tre em\"");
    assert!(ui.screen().contains("20 / "), "{}", ui.screen());
}

#[test]
fn form_save_commits_the_field_and_keeps_vietnamese_in_nfc() {
    let repo = TestRepo::demo();
    let mut ui = open(&repo, Lang::En, 80, 24);
    // Title: append decomposed (NFD) Vietnamese, as some input methods send it.
    let nfd: String = " – thử nghiệm".nfd().collect();
    ui.keys(FIRST_ASSIGNMENT).keys("e end").type_text(&nfd);
    ui.keys("tab tab end bs bs bs bs bs bs bs bs bs bs bs bs \"2026-03-31\"");
    ui.keys("ctrl-s");
    assert!(ui.screen().contains("due: yearly:07-20 → 2026-03-31"));
    ui.keys("ctrl-s");
    let screen = ui.screen();
    assert!(screen.contains("Committed"), "{screen}");
    let text = repo.read(&sample_assignment("a-3a-bac-binh"));
    assert!(text.contains("due = \"2026-03-31\""), "{text}");
    let nfc: String = " – thử nghiệm".nfc().collect();
    assert!(text.contains(&nfc), "saved in NFC: {text}");
    let log = repo.git(&["log", "-1", "--format=%B"]);
    assert!(log.contains("due: yearly:07-20 → 2026-03-31"), "{log}");
    assert!(
        log.contains(&format!(
            "Record: plans/{SAMPLE_PLAN}/assignments/a-3a-bac-binh.toml"
        )),
        "{log}"
    );
    assert_eq!(repo.git(&["status", "--porcelain"]), "");
}

#[test]
fn form_shows_field_errors_and_refuses_to_save_them() {
    let repo = TestRepo::demo();
    let mut ui = open(&repo, Lang::En, 80, 24);
    let before = repo.git(&["rev-parse", "HEAD"]);
    ui.keys("j j e tab tab \"zz\" ctrl-s");
    let screen = ui.screen();
    assert!(screen.contains("is not a due date"), "{screen}");
    assert!(matches!(ui.state().stack.last(), Some(Screen::Form(_))));
    assert_eq!(repo.git(&["rev-parse", "HEAD"]), before);
    // Leaving asks first; "n" keeps the edits.
    ui.keys("esc n");
    assert!(matches!(ui.state().stack.last(), Some(Screen::Form(_))));
    ui.keys("esc y");
    assert!(ui.state().stack.is_empty());
}

#[test]
fn external_editor_errors_keep_the_text_and_reopen() {
    let repo = TestRepo::demo();
    let mut ui = open(&repo, Lang::En, 80, 24);
    let before = repo.git(&["rev-parse", "HEAD"]);
    // An "editor" that writes a bad due date.
    ui.app.runtime.editor = "sed -i 's/^due = .*/due = \"someday\"/'".into();
    ui.keys("j j E");
    let screen = ui.screen();
    insta::assert_snapshot!("editor_error_80x24", screen);
    assert!(screen.contains("nothing was written"), "{screen}");
    assert!(screen.contains("due"), "{screen}");
    assert_eq!(repo.git(&["rev-parse", "HEAD"]), before);
    // The same screen on a larger terminal.
    let mut wide = open(&repo, Lang::En, 120, 40);
    wide.app.runtime.editor = ui.app.runtime.editor.clone();
    wide.keys("j j E");
    insta::assert_snapshot!("editor_error_120x40", wide.screen());
    assert_eq!(repo.git(&["rev-parse", "HEAD"]), before);
    // Reopening shows the problem in the file and gets the text as it was left.
    let seen = repo.tmp.path().join("seen.toml");
    ui.app.runtime.editor = format!(
        "cp \"$1\" {} && sed -i 's/^due = .*/due = \"2026-02-01\"/'",
        seen.display()
    );
    ui.keys("r");
    let shown = std::fs::read_to_string(&seen).unwrap();
    assert!(shown.starts_with("# kehoach: "), "{shown}");
    assert!(shown.contains("due = \"someday\""), "{shown}");
    assert!(ui.screen().contains("due: yearly:07-20 → 2026-02-01"));
    ui.keys("ctrl-s");
    let text = repo.read(&sample_assignment("a-3a-bac-binh"));
    assert!(text.contains("due = \"2026-02-01\""));
    assert!(!text.contains("# kehoach:"), "notes are not saved: {text}");
}

#[test]
fn control_characters_and_bidi_overrides_are_shown_escaped() {
    let repo = TestRepo::demo();
    let rel = sample_assignment("a-3a-bac-binh");
    let text = repo.read(&rel).replace(
        "title = \"Lập dự toán",
        "title = \"X\\u001b[2JY\\u202EZ Lập dự toán",
    );
    repo.write(&rel, &text);
    let mut ui = open(&repo, Lang::En, 120, 40);
    ui.keys(FIRST_ASSIGNMENT);
    let screen = ui.screen();
    assert!(screen.contains("X\\x1b[2JY<U+202E>Z"), "{screen}");
    for cell in ui.buffer().content.iter() {
        assert!(
            !cell
                .symbol()
                .chars()
                .any(kehoach::model::text::is_unsafe_char),
            "raw control character on screen"
        );
    }
    // The status bar counts the uncommitted record.
    assert!(screen.contains("●1 uncommitted"), "{screen}");
}

#[test]
fn copy_sends_osc52_and_resize_redraws() {
    let repo = TestRepo::demo();
    let mut ui = open(&repo, Lang::En, 80, 24);
    ui.keys("j j y");
    assert_eq!(ui.host.written, ["\x1b]52;c;YS0zYS1iYWMtYmluaA==\x07"]);
    ui.resize(120, 40);
    let screen = ui.screen();
    assert_eq!(screen.lines().count(), 40);
    assert!(screen.contains("Copied: a-3a-bac-binh"));
}

#[test]
fn config_file_rebinds_keys_and_sets_the_language() {
    let repo = TestRepo::demo();
    let cfg = repo.tmp.path().join("config.toml");
    std::fs::write(
        &cfg,
        "lang = \"vi\"\n[keys.browse]\nquit = \"Q\"\nhelp = \"f1\"\n",
    )
    .unwrap();
    let settings = Settings::load(&Options {
        dir: repo.path(),
        config: Some(cfg.clone()),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(settings.lang, Lang::Vi);
    let store = kehoach::store::Store::open(&repo.path()).unwrap();
    let mut ui = Harness::with_settings(store, settings, 80, 24).unwrap();
    ui.keys("f1");
    let screen = ui.screen();
    assert!(
        screen
            .lines()
            .any(|l| l.contains(" Q ") && l.contains("thoát")),
        "{screen}"
    );
    ui.keys("esc q");
    assert!(!ui.state().quit, "q is no longer bound");
    ui.keys("Q");
    assert!(ui.state().quit);
    // A bad config is an error that names the file.
    std::fs::write(&cfg, "[keys.browse]\nfly = \"x\"\n").unwrap();
    let err = Settings::load(&Options {
        dir: repo.path(),
        config: Some(cfg.clone()),
        ..Default::default()
    })
    .unwrap_err();
    assert!(err.to_string().contains("config.toml"), "{err}");
}

#[test]
fn outside_a_data_repository_it_says_what_to_do() {
    let tmp = tempfile::tempdir().unwrap();
    let out = crate::common::kehoach_in(tmp.path(), tmp.path())
        .args(["tui", "--plain"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("error:"), "{err}");
    assert!(err.contains("hint:"), "{err}");
}

#[test]
fn plain_mode_prints_screens_for_screen_readers() {
    let repo = TestRepo::demo();
    let out = repo
        .cmd()
        .args(["tui", "--plain"])
        .write_stdin("j j\nq\n")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(!text.contains('\x1b'), "no escape sequences in plain mode");
    assert!(text.contains("assignment a-3a-bac-binh"), "{text}");
    assert!(text.contains("Lập dự toán ngân sách"), "{text}");
}

#[test]
fn an_index_in_pieces_is_pointed_out_when_search_is_ready() {
    let repo = TestRepo::sample();
    let said = |lang: Lang| open(&repo, lang, 80, 24).screen();
    // The index the UI builds for a few records is in one piece: nothing said.
    let screen = said(Lang::En);
    assert!(!screen.contains("in pieces"), "{screen}");
    repo.index_in_pieces();
    let screen = said(Lang::En);
    assert!(
        screen.contains("Search index in pieces: `kehoach index` merges them"),
        "{screen}"
    );
    let screen = said(Lang::Vi);
    assert!(
        screen.contains("Chỉ mục tìm kiếm chia nhiều phần: `kehoach index` gộp lại"),
        "{screen}"
    );
    // Merged, it is not said again.
    let out = repo.cmd().args(["index"]).output().unwrap();
    assert!(out.status.success());
    let screen = said(Lang::En);
    assert!(!screen.contains("in pieces"), "{screen}");
}

// ---------------------------------------------------------------- end to end, under tmux

struct Tmux {
    socket: String,
    home: std::path::PathBuf,
}

impl Tmux {
    /// Starts `kehoach ARGS` in a detached tmux session of the given size.
    fn start(repo: &TestRepo, name: &str, args: &[&str]) -> Tmux {
        Tmux::start_then(repo, name, args, "", 80)
    }

    /// Runs the command `kehoach ARGS` on a terminal `cols` columns wide, and keeps what it
    /// printed on the screen after it ends.
    fn command(repo: &TestRepo, name: &str, args: &[&str], cols: u16) -> Tmux {
        Tmux::start_then(repo, name, args, "; sleep 60", cols)
    }

    /// Starts `kehoach ARGS` then the shell command `then`, `cols` columns wide.
    fn start_then(repo: &TestRepo, name: &str, args: &[&str], then: &str, cols: u16) -> Tmux {
        // The socket lives in the test's temporary folder, so that nothing is left behind.
        let socket = repo
            .home()
            .join(format!("tmux-{name}.sock"))
            .display()
            .to_string();
        let t = Tmux {
            socket,
            home: repo.home(),
        };
        let bin = assert_cmd::cargo::cargo_bin!("kehoach");
        let mut cmdline = format!("'{}'", bin.display());
        for a in args {
            cmdline.push_str(&format!(" '{a}'"));
        }
        cmdline.push_str(then);
        let out = t
            .cmd()
            .args([
                "new-session",
                "-d",
                "-x",
                &cols.to_string(),
                "-y",
                "24",
                "-c",
            ])
            .arg(repo.path())
            .arg(cmdline)
            .output()
            .expect("tmux runs");
        assert!(
            out.status.success(),
            "tmux: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        t
    }

    fn cmd(&self) -> StdCommand {
        let mut c = StdCommand::new("tmux");
        hermetic(&mut c, &self.home);
        c.env("LC_ALL", "C.UTF-8")
            .env("TERM", "xterm")
            .env_remove("TMUX")
            .args(["-S", &self.socket, "-f", "/dev/null"]);
        c
    }

    fn keys(&self, keys: &[&str]) {
        let ok = self.cmd().arg("send-keys").args(keys).status().unwrap();
        assert!(ok.success());
    }

    fn literal(&self, text: &str) {
        let ok = self.cmd().args(["send-keys", "-l", text]).status().unwrap();
        assert!(ok.success());
    }

    fn capture(&self) -> String {
        let out = self.cmd().args(["capture-pane", "-p"]).output().unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Polls the screen until it shows `text`; fails after a generous timeout.
    fn wait_for(&self, text: &str) -> String {
        let end = Instant::now() + Duration::from_secs(60);
        loop {
            let s = self.capture();
            if s.contains(text) {
                return s;
            }
            assert!(
                Instant::now() < end,
                "timed out waiting for {text:?}; screen:\n{s}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.cmd().arg("kill-server").output();
    }
}

#[test]
fn search_on_a_terminal_says_how_many_records_match_in_all() {
    let repo = TestRepo::demo();
    let tm = Tmux::command(&repo, "count", &["search", "tre em", "-n", "3"], 80);
    let screen = tm.wait_for("records shown");
    // The first search of the repository builds the index, and says so.
    assert!(
        screen.starts_with("building the search index (there was no index)…\n"),
        "{screen}"
    );
    let out = repo
        .cmd()
        .args(["search", "tre em", "-n", "1000", "--json"])
        .output()
        .unwrap();
    let all: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let all = all.as_array().unwrap().len();
    assert!(all > 3);
    assert!(
        screen.contains(&format!("3 of {all} records shown; -n N shows more")),
        "{screen}"
    );
    // Piped, the records alone, and nothing said of the index.
    let out = repo
        .cmd()
        .args(["search", "tre em", "-n", "3"])
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&out.stdout).contains("records shown"));
    assert!(out.stderr.is_empty());
}

#[test]
fn search_on_a_narrow_terminal_lays_results_out_to_its_width() {
    let repo = TestRepo::demo();
    let tm = Tmux::command(&repo, "narrow", &["search", "toa an", "-n", "2"], 56);
    let screen = tm.wait_for("a04");
    // Each record's line ends with its score on the same row: nothing was laid out for 80
    // columns and wrapped.
    for id in ["tand-tinh", "a04"] {
        let line = screen.lines().find(|l| l.contains(id)).unwrap();
        let last = line.split_whitespace().last().unwrap();
        assert!(last.parse::<f32>().is_ok(), "{line:?} in\n{screen}");
    }
}

#[test]
fn listings_fit_an_80_column_terminal() {
    let repo = TestRepo::demo();
    let tm = Tmux::command(
        &repo,
        "list",
        &[
            "list",
            "assignments",
            "--agency",
            "ubnd-huyen-ham-thuan-bac",
        ],
        80,
    );
    let screen = tm.wait_for("a-3c-ham-thuan-bac");
    let lines: Vec<&str> = screen.lines().collect();
    // The columns on one row, the title on a row of its own below when they leave it too
    // little room: nothing wraps.
    let at = lines
        .iter()
        .position(|l| l.starts_with("a-3b-ham-thuan-bac  in_progress  ubnd-huyen-ham-thuan-bac"))
        .unwrap_or_else(|| panic!("{screen}"));
    assert!(
        lines[at + 1].starts_with("    Bố trí nguồn lực, lồng ghép thực hiện Khuyến nghị"),
        "{screen}"
    );
    assert!(lines.iter().all(|l| l.chars().count() < 80), "{screen}");
    // With room, one row each.
    let tm = Tmux::command(
        &repo,
        "list-wide",
        &["list", "assignments", "--agency", "so-y-te"],
        80,
    );
    let screen = tm.wait_for("a01");
    assert!(
        screen.contains("a01  in_progress  so-y-te  continuous  Chủ trì tham mưu triển khai"),
        "{screen}"
    );
    // Deadlines: the title takes what the row leaves (cut at 80 columns, whole at 120).
    let title = "Tổng hợp, tham mưu giao dự toán kinh phí hằng năm";
    let tm = Tmux::command(&repo, "due", &["due", "--agency", "so-tai-chinh"], 80);
    let screen = tm.wait_for("listed");
    assert!(
        screen.contains("Tổng hợp, tham…") && !screen.contains(title),
        "{screen}"
    );
    let tm = Tmux::command(&repo, "due-wide", &["due", "--agency", "so-tai-chinh"], 120);
    let screen = tm.wait_for("listed");
    assert!(screen.contains(title), "{screen}");
}

fn wait_until(what: &str, f: impl Fn() -> bool) {
    let end = Instant::now() + Duration::from_secs(60);
    while !f() {
        assert!(Instant::now() < end, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn head(repo: &Path, home: &Path) -> String {
    let mut c = StdCommand::new("git");
    hermetic(&mut c, home);
    let out = c
        .current_dir(repo)
        .args(["log", "-1", "--format=%B"])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn tmux_change_a_due_date_and_save() {
    let repo = TestRepo::demo();
    let tm = Tmux::start(&repo, "due", &["tui"]);
    tm.wait_for("Records (");
    tm.keys(&["j", "j"]);
    tm.wait_for("assignment a-3a-bac-binh");
    tm.keys(&["e"]);
    tm.wait_for("Edit assignment a-3a-bac-binh");
    tm.keys(&["Tab", "Tab", "End"]);
    for _ in 0..12 {
        tm.keys(&["BSpace"]);
    }
    tm.literal("2026-03-31");
    tm.wait_for("2026-03-31");
    tm.keys(&["C-s"]);
    tm.wait_for("Confirm save");
    tm.keys(&["C-s"]);
    tm.wait_for("Committed");
    let log = head(&repo.path(), &repo.home());
    assert!(log.contains("due: yearly:07-20 → 2026-03-31"), "{log}");
    assert!(log.contains("assignments/a-3a-bac-binh.toml"), "{log}");
}

#[test]
fn tmux_vietnamese_typed_is_saved_in_nfc() {
    let repo = TestRepo::demo();
    let tm = Tmux::start(&repo, "vi", &["tui", "--lang", "vi"]);
    tm.wait_for("Hồ sơ (");
    tm.keys(&["j", "j"]);
    tm.wait_for("nhiệm vụ a-3a-bac-binh");
    tm.keys(&["e"]);
    tm.wait_for("Tiêu đề (title)");
    tm.keys(&["End"]);
    // Precomposed and decomposed input both arrive as UTF-8 key events.
    tm.literal(" – Trẻ em");
    let nfd: String = " được bảo vệ".nfd().collect();
    tm.literal(&nfd);
    tm.wait_for("bảo");
    tm.keys(&["C-s"]);
    tm.wait_for("Xác nhận lưu");
    tm.keys(&["C-s"]);
    tm.wait_for("Đã commit");
    let text = repo.read(&sample_assignment("a-3a-bac-binh"));
    let want: String = "huyện Bắc Bình – Trẻ em được bảo vệ".nfc().collect();
    assert!(text.contains(&want), "{text}");
    assert!(kehoach::model::text::is_nfc(&text));
}

#[test]
fn tmux_escapes_control_characters_in_data() {
    let repo = TestRepo::demo();
    let rel = sample_assignment("a-3a-bac-binh");
    let text = repo.read(&rel).replace(
        "title = \"Lập dự toán",
        "title = \"X\\u001b[2JY\\u202EZ Lập dự toán",
    );
    repo.write(&rel, &text);
    let tm = Tmux::start(&repo, "esc", &["tui"]);
    tm.wait_for("Records (");
    tm.keys(&["j", "j"]);
    let screen = tm.wait_for("X\\x1b[2JY<U+202E>Z");
    assert!(
        screen.contains("Records ("),
        "the screen was not cleared: {screen}"
    );
    // A resized terminal is redrawn at the new size.
    let ok = tm
        .cmd()
        .args(["resize-window", "-x", "120", "-y", "40"])
        .status()
        .unwrap();
    assert!(ok.success());
    let end = Instant::now() + Duration::from_secs(60);
    loop {
        let s = tm.capture();
        if s.lines().count() >= 40 && s.lines().any(|l| l.chars().count() > 100) {
            break;
        }
        assert!(Instant::now() < end, "not redrawn at 120×40:\n{s}");
        std::thread::sleep(Duration::from_millis(50));
    }
    tm.keys(&["q"]);
    let t = &tm;
    wait_until("the app to quit", || {
        !t.cmd()
            .args(["has-session"])
            .status()
            .map(|s| s.success())
            .unwrap_or(false)
    });
}

#[test]
fn tmux_demo_opens_on_the_seed_plan() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(tmp.path().join("home")).unwrap();
    let home = tmp.path().join("home");
    let socket = home.join("tmux-demo.sock").display().to_string();
    let tm = Tmux {
        socket,
        home: home.clone(),
    };
    let bin = assert_cmd::cargo::cargo_bin!("kehoach");
    let out = tm
        .cmd()
        .args(["new-session", "-d", "-x", "80", "-y", "24", "-c"])
        .arg(tmp.path())
        .arg(format!("'{}' demo demo-repo", bin.display()))
        .output()
        .unwrap();
    assert!(out.status.success());
    tm.wait_for("kh-27-qd-ttg-binh-thuan");
    tm.wait_for("Assignments (36)");
    tm.keys(&["/"]);
    tm.literal("tre em");
    tm.wait_for("results");
    // tmux sends Escape alone; wait for it before the next keys (else it reads as Alt).
    tm.keys(&["Escape"]);
    tm.wait_for("Records (");
    tm.keys(&["j", "j", "L"]);
    tm.wait_for("History");
}

#[test]
fn report_entry_percent_is_saved_as_a_number() {
    let repo = TestRepo::demo();
    let mut ui = open(&repo, Lang::En, 80, 24);
    ui.keys("j h j l j l j j e tab tab tab tab end bs bs \"55\" ctrl-s");
    let screen = ui.screen();
    assert!(screen.contains("entries[a01].percent: 40 → 55"), "{screen}");
    ui.keys("ctrl-s");
    let text = repo.read(&format!("plans/{SAMPLE_PLAN}/reports/2025-h1/so-y-te.toml"));
    assert!(text.contains("percent = 55\n"), "{text}");
    // A percent over 100 is refused as it is typed.
    ui.keys("e tab tab tab tab end \"0\"");
    assert!(ui.screen().contains("must be a number from 0 to 100"));
}

#[test]
fn dates_typed_day_first_are_saved_as_iso() {
    let repo = TestRepo::demo();
    let mut ui = open(&repo, Lang::Vi, 80, 24);
    ui.keys("j h j l j l j j e tab end bs bs bs bs bs bs bs bs bs bs \"20/7/2025\" ctrl-s");
    let screen = ui.screen();
    assert!(
        screen.contains("submitted_on: 2025-07-10 → 2025-07-20"),
        "{screen}"
    );
}
