//! The one module that performs effects: reads and writes through the store, runs the editor,
//! talks to the terminal host. Results come back as messages for `update`.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::time::Duration;

use rayon::prelude::*;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use super::app::{Detail, Effect, Hit, LogEntry, Msg, Origin, Panel, RepoStatus, label_of};
use super::strings::{Lang, S};
use super::tree::Index;
use crate::model::fields::diff;
use crate::model::text::to_nfc;
use crate::search::{Query, SearchError, SearchIndex, Update};
use crate::store::layout::{self, Kind};
use crate::store::{Change, RecordRef, Store, StoreError};

/// What the terminal (or a test) does for effects that need it.
pub trait Host {
    /// Gives the terminal to a child process (the editor) while `f` runs.
    fn release(&mut self, f: &mut dyn FnMut());
    /// Writes an escape sequence straight to the terminal (OSC 52).
    fn write_raw(&mut self, seq: &str);
    /// Stops the process (Ctrl-Z) until the shell resumes it.
    fn suspend(&mut self);
}

/// How [`Runtime::open_search`] opens the full-text index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Opening {
    /// At start: opened, caught up, or built when missing.
    First,
    /// After a save or commit: brought up to date.
    Again,
    /// Built again (the one in use was found damaged).
    Rebuild,
}

/// Performs effects against one data repository.
pub struct Runtime {
    pub store: Store,
    root: PathBuf,
    tx: Sender<Msg>,
    rx: Receiver<Msg>,
    /// Background jobs not yet answered.
    pending: usize,
    /// Background jobs not started yet: they start after the next frame is drawn, so that
    /// they do not slow it down.
    queued: Vec<Box<dyn FnOnce() -> Msg + Send>>,
    /// The editor command; `$VISUAL`, `$EDITOR`, else `vi`.
    pub editor: String,
    /// The latest search asked for, run by [`Runtime::take_search`] before the next frame.
    next_search: Option<(String, Option<Kind>)>,
    /// The full-text index, once opened in the background.
    search: Arc<Mutex<Option<SearchIndex>>>,
    /// Openings of the index started, and the latest of them put in use (see
    /// [`Runtime::open_search`]).
    openings: u64,
    installed: Arc<AtomicU64>,
    /// The interface language, for the panels built here.
    pub lang: Lang,
}

impl Runtime {
    pub fn new(store: Store) -> Runtime {
        let (tx, rx) = channel();
        let editor = std::env::var("VISUAL")
            .ok()
            .filter(|s| !s.trim().is_empty())
            .or_else(|| {
                std::env::var("EDITOR")
                    .ok()
                    .filter(|s| !s.trim().is_empty())
            })
            .unwrap_or_else(|| "vi".into());
        Runtime {
            root: store.root().to_path_buf(),
            store,
            tx,
            rx,
            pending: 0,
            queued: Vec::new(),
            search: Arc::new(Mutex::new(None)),
            openings: 0,
            installed: Arc::new(AtomicU64::new(0)),
            next_search: None,
            lang: Lang::En,
            editor,
        }
    }

    /// Background jobs running, and a search waiting to run (see [`Runtime::take_search`]).
    pub fn pending(&self) -> usize {
        self.pending + usize::from(self.next_search.is_some())
    }

    /// A finished background job, waiting at most `timeout`.
    pub fn recv(&mut self, timeout: Duration) -> Option<Msg> {
        self.start_queued();
        let m = if timeout.is_zero() {
            self.rx.try_recv().ok()
        } else {
            self.rx.recv_timeout(timeout).ok()
        };
        if m.is_some() {
            self.pending = self.pending.saturating_sub(1);
        }
        m
    }

    fn spawn(&mut self, f: impl FnOnce() -> Msg + Send + 'static) {
        self.pending += 1;
        self.queued.push(Box::new(f));
    }

    /// Starts the background jobs queued since the last call (call after drawing).
    pub fn start_queued(&mut self) {
        for f in self.queued.drain(..) {
            let tx = self.tx.clone();
            std::thread::spawn(move || {
                let _ = tx.send(f());
            });
        }
    }

    /// Performs one effect; quick results come back at once, slow ones later through `recv`.
    pub fn perform(&mut self, effect: Effect, host: &mut dyn Host) -> Vec<Msg> {
        match effect {
            Effect::Scan => {
                // First a quick partial listing (every plan and agency, the first plan's
                // records), then the whole tree in the background.
                let root = self.root.clone();
                let walk = move || match crate::store::load::scan(&root) {
                    Ok(paths) => Msg::Indexed(Index::from_paths(&paths)),
                    Err(e) => Msg::Failed(e.to_string()),
                };
                match self.store.first_records() {
                    Ok(paths) if !paths.is_empty() => {
                        self.spawn(walk);
                        let mut ix = Index::from_paths(&paths);
                        ix.partial = true;
                        vec![Msg::Indexed(ix)]
                    }
                    _ => vec![walk()],
                }
            }
            Effect::LoadLabels => {
                let root = self.root.clone();
                self.spawn(move || {
                    let by_path = load_labels(&root);
                    let ix = crate::store::load::scan(&root)
                        .map(|p| Index::from_paths(&p))
                        .unwrap_or_default();
                    let folded = super::app::fold_corpus(&ix, &by_path);
                    Msg::Labels(super::app::Labels { by_path, folded })
                });
                vec![]
            }
            Effect::LoadStatus => {
                let root = self.root.clone();
                self.spawn(
                    move || match Store::open(&root).and_then(|s| s.branch_status()) {
                        Ok(s) => Msg::Status(RepoStatus {
                            branch: s.branch,
                            upstream: s.upstream,
                            ahead: s.ahead,
                            behind: s.behind,
                            uncommitted: s.uncommitted.into_iter().map(|d| d.path).collect(),
                        }),
                        Err(e) => Msg::Failed(e.to_string()),
                    },
                );
                vec![]
            }
            Effect::LoadRecord { path } => vec![Msg::Record(self.load_record(&path))],
            Effect::PrepareSave {
                origin,
                rr,
                old,
                new,
            } => vec![self.prepare(origin, rr, old, new)],
            Effect::Commit {
                rr,
                old,
                new,
                message,
            } => vec![self.commit(rr, old, new, message)],
            Effect::OpenEditor {
                rr,
                old,
                text,
                problems,
            } => vec![self.edit(host, rr, old, text, problems)],
            Effect::Copy(text) => {
                host.write_raw(&osc52(&text));
                vec![]
            }
            Effect::Suspend => {
                host.suspend();
                vec![Msg::Resize(0, 0)]
            }
            Effect::Quit => vec![],
            Effect::OpenSearch { rebuild } => {
                self.open_search(if rebuild {
                    Opening::Rebuild
                } else {
                    Opening::First
                });
                vec![]
            }
            Effect::RefreshSearch => {
                self.open_search(Opening::Again);
                vec![]
            }
            Effect::Search { query, kind } => {
                // Run once per frame with the latest query, however fast keys come.
                self.next_search = Some((query, kind));
                vec![]
            }
            Effect::LoadHistory { path } => {
                let root = self.root.clone();
                self.spawn(move || history(&root, path));
                vec![]
            }
            Effect::LoadBlame { path } => {
                let root = self.root.clone();
                let lang = self.lang;
                self.spawn(move || blame(&root, &path, lang));
                vec![]
            }
            Effect::LoadAsOf { path, commit } => vec![self.as_of(&path, &commit)],
            Effect::LoadReviews => {
                let root = self.root.clone();
                let lang = self.lang;
                self.spawn(move || reviews(&root, lang));
                vec![]
            }
            Effect::LoadDashboard => {
                let root = self.root.clone();
                let lang = self.lang;
                self.spawn(move || dashboard(&root, lang));
                vec![]
            }
        }
    }

    /// Opens, brings up to date or rebuilds the full-text index in the background, beside the
    /// one in use: searches go on meanwhile (a catch-up at 100 000 records looks at every
    /// file, a rebuild takes seconds). An index opened is put in use only if no later opening
    /// has been put in use first.
    fn open_search(&mut self, how: Opening) {
        self.openings += 1;
        let (root, slot, installed, mine) = (
            self.root.clone(),
            self.search.clone(),
            self.installed.clone(),
            self.openings,
        );
        self.spawn(move || {
            let in_memory = match slot.lock().unwrap_or_else(|p| p.into_inner()).as_ref() {
                Some(ix) => ix.dir().is_none(),
                // Nothing to bring up to date yet: the first opening will do.
                None if how == Opening::Again => return Msg::Info(String::new()),
                None => false,
            };
            let opened = Store::open(&root)
                .map_err(SearchError::from)
                .and_then(|s| match how {
                    Opening::Rebuild => SearchIndex::rebuild(&s),
                    Opening::Again if in_memory => SearchIndex::in_memory(&s),
                    Opening::First | Opening::Again => SearchIndex::open(&s),
                });
            match opened {
                Ok(ix) => {
                    let rebuilt = matches!(ix.update(), Update::Rebuilt { .. });
                    // Said when the index is first opened or built, not after every save.
                    let in_pieces = (how != Opening::Again || rebuilt) && ix.in_pieces().is_some();
                    {
                        let mut guard = slot.lock().unwrap_or_else(|p| p.into_inner());
                        if installed.load(Ordering::Relaxed) < mine {
                            installed.store(mine, Ordering::Relaxed);
                            *guard = Some(ix);
                        }
                    }
                    if rebuilt {
                        give_back_freed_memory();
                    }
                    Msg::SearchReady { in_pieces }
                }
                // Title search goes on working without the index.
                Err(e) => Msg::SearchFailed(format!("search index: {e}")),
            }
        });
    }

    /// Runs the search asked for last, if any.
    pub fn take_search(&mut self) -> Option<Msg> {
        let (query, kind) = self.next_search.take()?;
        Some(self.search(query, kind))
    }

    fn search(&self, query: String, kind: Option<Kind>) -> Msg {
        let nothing = |query: String, error: Option<String>| Msg::SearchResults {
            query,
            hits: vec![],
            total: 0,
            error,
        };
        let mut guard = self.search.lock().unwrap_or_else(|p| p.into_inner());
        let Some(ix) = guard.as_ref() else {
            return nothing(query, None);
        };
        if query.trim().is_empty() {
            return nothing(query, None);
        }
        let text = match kind {
            Some(k) => format!("{query} kind:{}", k.as_str()),
            None => query.clone(),
        };
        let q = match Query::parse_as_typed(&text) {
            Ok(q) => q,
            Err(crate::search::QueryError::Empty) => return nothing(query, None),
            Err(e) => {
                let msg = match e.hint() {
                    Some(h) => format!("{e} ({h})"),
                    None => e.to_string(),
                };
                return nothing(query, Some(msg));
            }
        };
        let found = match ix.search(&q, SEARCH_LIMIT) {
            Ok(found) => found,
            // A damaged file shows when it is read: the index is put aside and built again.
            Err(SearchError::Index(e)) => {
                *guard = None;
                return Msg::SearchDamaged(e.to_string());
            }
            Err(e) => return nothing(query, Some(e.to_string())),
        };
        // How many records match in all, when more than are shown (under a millisecond at
        // 100 000 records).
        let total = if found.len() < SEARCH_LIMIT {
            found.len()
        } else {
            ix.count(&q).unwrap_or(found.len()).max(found.len())
        };
        let hits = found
            .into_iter()
            .map(|h| {
                let mut snippet = String::new();
                let mut highlights = Vec::new();
                for (piece, hl) in &h.snippet {
                    if *hl {
                        highlights.push((snippet.len(), snippet.len() + piece.len()));
                    }
                    snippet.push_str(piece);
                }
                Hit {
                    path: h.path,
                    kind: h.kind,
                    id: h.id,
                    title: h.title,
                    snippet,
                    highlights,
                }
            })
            .collect();
        Msg::SearchResults {
            query,
            hits,
            total,
            error: None,
        }
    }

    fn as_of(&self, path: &str, commit: &str) -> Msg {
        match self.store.read_rev(path, commit) {
            Ok((rr, text, summary)) => {
                let when = format!(
                    "{} {} {}",
                    summary.short_id(),
                    summary.short_date(),
                    summary.author
                );
                Msg::Record(Ok(Detail::parse(rr, text, Some(when))))
            }
            Err(e) => Msg::Failed(e.to_string()),
        }
    }

    fn record_ref(&self, path: &str) -> Result<RecordRef, String> {
        let kind = layout::classify(path).ok_or_else(|| format!("{path}: not a record"))?;
        Ok(RecordRef {
            kind,
            id: layout::id_of(kind, path),
            path: path.to_string(),
        })
    }

    fn load_record(&self, path: &str) -> Result<Detail, String> {
        let rr = self.record_ref(path)?;
        let text = self.store.read(path).map_err(|e| e.to_string())?;
        Ok(Detail::parse(rr, text, None))
    }

    fn prepare(&self, origin: Origin, rr: RecordRef, old: String, new: String) -> Msg {
        let new = to_nfc(&new).into_owned();
        match self.store.check_text(rr.kind, &rr.path, &new) {
            Ok(_) => {
                let old_t: toml::Table = toml::from_str(&old).unwrap_or_default();
                let new_t: toml::Table = toml::from_str(&new).unwrap_or_default();
                let changes = diff(&old_t, &new_t);
                if changes.is_empty() {
                    return Msg::NoChange;
                }
                let message = crate::store::edit::commit_message(
                    "update",
                    &rr,
                    &changes,
                    &self.store.repo_path(&rr.path),
                );
                Msg::SaveReady {
                    origin,
                    rr,
                    old,
                    new,
                    changes,
                    message,
                }
            }
            Err(StoreError::Invalid(diags)) => Msg::SaveInvalid {
                origin,
                rr,
                old,
                new,
                problems: diags
                    .into_iter()
                    .map(|d| {
                        (
                            d.field.clone(),
                            format!("{}:{}: {}", d.line, d.column, d.message),
                        )
                    })
                    .collect(),
            },
            Err(e) => Msg::Failed(e.to_string()),
        }
    }

    fn commit(&self, rr: RecordRef, old: String, new: String, message: String) -> Msg {
        // Refuse to overwrite a change made on disk since the edit began.
        match self.store.read(&rr.path) {
            Ok(now) if now != old => {
                return Msg::Failed(format!(
                    "{} changed on disk since you opened it; nothing was written (your edit is kept: Esc, then reopen)",
                    rr.path
                ));
            }
            Err(e) => return Msg::Failed(e.to_string()),
            _ => {}
        }
        match self.store.commit(
            &[Change {
                path: rr.path.clone(),
                content: Some(new),
            }],
            &message,
        ) {
            Ok(info) => Msg::Committed {
                rr,
                commit: info.commit,
                subject: message.lines().next().unwrap_or("").to_string(),
            },
            Err(e) => Msg::Failed(match e.hint() {
                Some(h) => format!("{e} ({h})"),
                None => e.to_string(),
            }),
        }
    }

    fn edit(
        &self,
        host: &mut dyn Host,
        rr: RecordRef,
        old: String,
        text: String,
        problems: Vec<String>,
    ) -> Msg {
        let dir = match tempfile::Builder::new().prefix("kehoach-edit-").tempdir() {
            Ok(d) => d,
            Err(e) => return Msg::Failed(format!("cannot make a temporary folder: {e}")),
        };
        let file = dir.path().join(format!("{}.toml", rr.id.replace('/', "-")));
        let mut content = String::new();
        for p in &problems {
            content.push_str(&format!("{EDITOR_NOTE}{}\n", p.replace('\n', " ")));
        }
        if !problems.is_empty() {
            content.push_str(&format!(
                "{EDITOR_NOTE}fix the problems above; these lines are removed when you save\n"
            ));
        }
        content.push_str(&text);
        if let Err(e) = std::fs::write(&file, &content) {
            return Msg::Failed(format!("{}: {e}", file.display()));
        }
        let mut status: Result<std::process::ExitStatus, String> = Err(String::new());
        let editor = self.editor.clone();
        host.release(&mut || {
            status = std::process::Command::new("sh")
                .arg("-c")
                .arg(format!("{editor} \"$1\""))
                .arg("sh")
                .arg(&file)
                .status()
                .map_err(|e| e.to_string());
        });
        match status {
            Ok(s) if s.success() => {}
            Ok(s) => {
                return Msg::Failed(format!("{editor} exited with {s}; nothing was written"));
            }
            Err(e) => return Msg::Failed(format!("cannot run {editor}: {e}")),
        }
        let edited = match std::fs::read_to_string(&file) {
            Ok(t) => t,
            Err(e) => return Msg::Failed(format!("{}: {e}", file.display())),
        };
        let edited = strip_notes(&edited);
        if edited == old {
            return Msg::NoChange;
        }
        Msg::EditorDone {
            rr,
            old,
            text: edited,
        }
    }
}

const EDITOR_NOTE: &str = "# kehoach: ";

/// How many hits a search shows.
pub const SEARCH_LIMIT: usize = 20;

/// A record's versions, newest first.
fn history(root: &std::path::Path, path: String) -> Msg {
    match Store::open(root).and_then(|s| s.record_log(&path)) {
        Ok(versions) => Msg::History {
            path,
            entries: versions
                .into_iter()
                .map(|v| LogEntry {
                    date: v.commit.short_date(),
                    commit: v.commit.commit,
                    author: v.commit.author,
                    subject: v.commit.summary,
                    status: v.status.as_str().to_string(),
                    changes: v.changes.iter().map(|c| c.to_string()).collect(),
                })
                .collect(),
        },
        Err(e) => Msg::Failed(e.to_string()),
    }
}

/// Who last changed each field of a record.
fn blame(root: &std::path::Path, path: &str, lang: Lang) -> Msg {
    match Store::open(root).and_then(|s| s.blame(path)) {
        Ok(fields) => {
            let mut lines = Vec::new();
            for f in fields {
                lines.push(format!(
                    "{}  {} {} {}",
                    f.field,
                    f.commit.short_id(),
                    f.commit.short_date(),
                    f.commit.author
                ));
                lines.push(format!("    {}", crate::model::fields::short(&f.value)));
            }
            Msg::Panel(Panel {
                title: format!("{}: {path}", S::BlameTitle.get(lang)),
                lines,
            })
        }
        Err(e) => Msg::Failed(e.to_string()),
    }
}

/// The review queue.
fn reviews(root: &std::path::Path, lang: Lang) -> Msg {
    let store = match Store::open(root) {
        Ok(s) => s,
        Err(e) => return Msg::Failed(e.to_string()),
    };
    let mut lines = Vec::new();
    if let Ok(b) = crate::review::branch_state(&store) {
        lines.push(match lang {
            Lang::Vi => b.line_vi(),
            Lang::En => b.line_en(),
        });
        lines.push(String::new());
    }
    match crate::review::list(&store, false) {
        Ok(list) if list.is_empty() => lines.push(S::NoReviews.get(lang).to_string()),
        Ok(list) => {
            for r in list {
                lines.push(format!(
                    "#{} [{}] {} — {} · {} {}",
                    r.id,
                    r.state,
                    r.title,
                    r.author,
                    r.approvals,
                    S::Approvals.get(lang)
                ));
                for p in r.records.iter().take(5) {
                    lines.push(format!("    {p}"));
                }
            }
        }
        Err(e) => return Msg::Failed(e.to_string()),
    }
    Msg::Panel(Panel {
        title: S::ReviewsTitle.get(lang).to_string(),
        lines,
    })
}

/// Progress, overdue work and reporting, as of today.
fn dashboard(root: &std::path::Path, lang: Lang) -> Msg {
    let store = match Store::open(root) {
        Ok(s) => s,
        Err(e) => return Msg::Failed(e.to_string()),
    };
    let today = crate::track::today();
    let d = match crate::track::dashboard(&store, today) {
        Ok(d) => d,
        Err(e) => return Msg::Failed(e.to_string()),
    };
    let mut lines = vec![format!("{}: {today}", S::Today.get(lang)), String::new()];
    for p in &d.progress {
        lines.push(format!(
            "{} — {}/{} {} ({}), {} {}, {} {}",
            p.plan,
            p.done,
            p.assignments - p.cancelled,
            S::DoneWord.get(lang),
            p.percent_done
                .map(|x| format!("{x:.0}%"))
                .unwrap_or_else(|| "–".into()),
            p.in_progress,
            S::InProgressWord.get(lang),
            p.overdue,
            S::OverdueWord.get(lang),
        ));
    }
    lines.push(String::new());
    lines.push(format!(
        "{} ({})",
        S::OverdueTitle.get(lang),
        d.overdue.len()
    ));
    for i in &d.overdue {
        lines.push(format!(
            "  {} {} — {} · {} {}",
            i.assignment,
            crate::model::fields::short(&i.title),
            i.lead,
            i.missed.map(|m| m.to_string()).unwrap_or_default(),
            i.days_overdue
                .map(|n| format!("(+{n})"))
                .unwrap_or_default()
        ));
    }
    for m in &d.problems {
        lines.push(format!("! {m}"));
    }
    Msg::Panel(Panel {
        title: S::DashboardTitle.get(lang).to_string(),
        lines,
    })
}

/// Removes the problem notes put at the top of the file for the editor.
fn strip_notes(text: &str) -> String {
    let mut rest = text;
    while rest.starts_with(EDITOR_NOTE) {
        rest = rest.split_once('\n').map(|(_, r)| r).unwrap_or("");
    }
    rest.to_string()
}

pub fn not_available() -> String {
    "not available in this build".into()
}

/// The title (or name) of every record, read in parallel.
pub fn load_labels(root: &std::path::Path) -> HashMap<String, String> {
    let paths = crate::store::load::scan(root).unwrap_or_default();
    paths
        .into_par_iter()
        .filter_map(|p| {
            let kind = layout::classify(&p)?;
            if kind == Kind::Config {
                return None;
            }
            let text = std::fs::read_to_string(root.join(&p)).ok()?;
            let t: toml::Table = toml::from_str(&text).ok()?;
            Some((p, label_of(kind, &t)))
        })
        .collect()
}

/// The OSC 52 sequence that puts `text` on the terminal's clipboard.
pub fn osc52(text: &str) -> String {
    format!("\x1b]52;c;{}\x07", base64(text.as_bytes()))
}

fn base64(data: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        out.push(T[(n >> 18) as usize & 63] as char);
        out.push(T[(n >> 12) as usize & 63] as char);
        out.push(if chunk.len() > 1 {
            T[(n >> 6) as usize & 63] as char
        } else {
            '='
        });
        out.push(if chunk.len() > 2 {
            T[n as usize & 63] as char
        } else {
            '='
        });
    }
    out
}

/// Returns the memory freed after building the search index to the system. The allocator keeps
/// what a build freed (about 180 MB at 100 000 records) for later use; the terminal UI, which
/// stays open for hours beside other users' sessions, does not need it again.
fn give_back_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free memory of the allocator's own heaps; it takes no
    // pointer and may be called from any thread at any time.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn osc52_encodes_base64() {
        assert_eq!(base64(b"a01"), "YTAx");
        assert_eq!(base64(b"ab"), "YWI=");
        assert_eq!(osc52("Sở"), "\x1b]52;c;U+G7nw==\x07");
        assert_eq!(base64("Sở".as_bytes()), "U+G7nw==");
    }

    #[test]
    fn notes_are_stripped() {
        assert_eq!(
            strip_notes("# kehoach: x\n# kehoach: y\nid = 1\n"),
            "id = 1\n"
        );
        assert_eq!(strip_notes("# other\nid = 1\n"), "# other\nid = 1\n");
    }
}
