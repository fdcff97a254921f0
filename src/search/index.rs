//! The index on disk: schema, build, catch-up and search.
//!
//! The index lives in `<git dir>/kehoach/search/`. Each tantivy commit carries a payload with
//! the git commit the index reflects and the work-tree files indexed over it (the overlay), so
//! that the two change together, atomically. Opening compares that state with HEAD and the work
//! tree, and re-reads only what differs; a missing, unreadable, corrupt or foreign index is
//! rebuilt in a fresh folder and swapped in.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::path::{Path, PathBuf};

use tantivy::Directory;
use tantivy::query::{
    AllQuery, BooleanQuery, ConstScoreQuery, Occur, Query as TantivyQuery, RangeQuery, TermQuery,
};
use tantivy::schema::{
    FAST, Field, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions, Value,
};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term, doc};

use super::analyzer::{self, VietTokenizer};
use super::document::RecordDoc;
use super::query::{DayRange, DueFilter, Filter, Query, QueryWord, TextTerm, day_number};
use super::ranking::{Bar, FirstByText, PhraseQuery, TopRanked, doc_sets, raise_together};
use super::shown::{ShownCache, shown};
use super::snippet::snippet;
use super::{Hit, SearchError};
use crate::model::{Due, Period, PeriodKind};
use crate::store::folders::{DirCheck, DirStat, DirsNow, KnownDirs, check_record_dirs, dirs_now};
use crate::store::layout::Kind;
use crate::store::tree::{FileStat, IndexedFiles, RecordReader, TreeEntry};
use crate::store::{Store, StoreError};

/// Changes when the analysis changes: an index of another version is rebuilt. (An index whose
/// schema differs from this version's is rebuilt whatever its number: see `open_dir`.)
const FORMAT: u32 = 11;
/// A recurring due date is found by the dates it falls on in these years.
const DUE_YEARS: std::ops::RangeInclusive<i16> = 2020..=2040;

#[derive(Clone, Copy)]
struct Fields {
    path: Field,
    /// Shown with a hit, not searched.
    kind: Field,
    id: Field,
    plan: Field,
    status: Field,
    /// What the filters ask for, as `name:value` terms ([`key`]): `kind:assignment`,
    /// `plan:…`, `agency:…` (lead or coordinating), `lead:…`, `status:…`, `period:…` (the
    /// period and those holding it) and `due:…`. One field for all of them: tantivy writes
    /// the terms of each indexed field on its own, which a catch-up of one record pays for.
    ///
    /// A due is as written (`due:2025-12-31`, `due:monthly:31`, `due:continuous`): dates
    /// sort as days do, and the few distinct rules are read from the index when a query asks
    /// for dates (see `due_dates_query`).
    keys: Field,
    /// The title's words, folded and exact (ranking: records named by the words come first).
    title_f: Field,
    title_x: Field,
    /// Title, body and id as one text (parts kept apart: `analyzer::PART`), folded, with
    /// positions: each word's place and the code of the form it was written in (see
    /// `analyzer::STRIDE`), for words, phrases and the words as typed with diacritics.
    text_f: Field,
    /// The id of the blob the record was read from (20 bytes): what a hit shows is read again
    /// from it (see `SearchIndex::search`).
    blob: Field,
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text = |tokenizer: &str| {
        // Positions only where phrases are checked.
        let option = if tokenizer == analyzer::FOLDED {
            IndexRecordOption::WithFreqsAndPositions
        } else {
            IndexRecordOption::WithFreqs
        };
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(tokenizer)
                .set_index_option(option),
        )
    };
    let f = Fields {
        path: b.add_text_field("path", STRING | STORED | FAST),
        kind: b.add_text_field("kind", STORED),
        id: b.add_text_field("id", STORED),
        plan: b.add_text_field("plan", STORED),
        status: b.add_text_field("status", STORED),
        keys: b.add_text_field("keys", STRING),
        title_f: b.add_text_field("title_f", text(analyzer::TITLE)),
        title_x: b.add_text_field("title_x", text(analyzer::EXACT)),
        text_f: b.add_text_field("text_f", text(analyzer::FOLDED)),
        blob: b.add_bytes_field("blob", STORED),
    };
    (b.build(), f)
}

fn register_tokenizers(index: &Index) {
    index
        .tokenizers()
        .register(analyzer::FOLDED, VietTokenizer::folded());
    index
        .tokenizers()
        .register(analyzer::EXACT, VietTokenizer::exact());
    index
        .tokenizers()
        .register(analyzer::TITLE, VietTokenizer::folded());
}

/// What the index reflects; stored as the payload of each tantivy commit.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct State {
    format: u32,
    /// The data root inside the work tree, as the store names it.
    prefix: String,
    /// The git commit indexed; None for a repository without commits.
    commit: Option<String>,
    /// Work-tree files indexed over the commit: path → blob id of the content, or "" when the
    /// file is deleted in the work tree.
    overlay: BTreeMap<String, String>,
}

impl State {
    /// The state of an index that reflects `head` and the work-tree files in `overlay`.
    fn of(store: &Store, head: &Option<String>, overlay: &Overlay) -> State {
        State {
            format: FORMAT,
            prefix: store.prefix().to_string(),
            commit: head.clone(),
            overlay: overlay
                .iter()
                .map(|(p, (b, _))| (p.clone(), b.clone()))
                .collect(),
        }
    }
}

/// What opening the index did to bring it up to date.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Update {
    /// Nothing to do: the index matched HEAD and the work tree.
    UpToDate,
    /// Re-read the records that changed.
    CaughtUp { records: usize },
    /// Built from the repository.
    Rebuilt { reason: String },
}

/// The search index of one data repository. See the module documentation of `search`.
pub struct SearchIndex {
    index: Index,
    reader: IndexReader,
    fields: Fields,
    state: State,
    dir: Option<PathBuf>,
    update: Update,
    /// A ranking pass whose every word is in at least this many records is searched on two
    /// threads when it can ([`HEAVY`]; other values in tests).
    heavy: u64,
    /// Each plan's id and the day it assigns its work, read once (see [`plan_starts`]).
    plan_starts: std::sync::OnceLock<Vec<(String, i64)>>,
    /// Where the records found are read from, to show them, and those read last.
    files: IndexedFiles,
    shown: ShownCache,
}

/// How long the folder-checking thread waits for the snapshot spinning, before it sleeps.
const SNAPSHOT_SPIN: std::time::Duration = std::time::Duration::from_millis(5);

/// The index as it is, when HEAD, the snapshot and the folders show that nothing changed since
/// it was last brought up to date; None when something may have.
///
/// The folders are checked by this thread and one more, the process's spare thread when it has
/// one waiting, else one started first (a core takes a while to wake): it waits for the
/// snapshot this thread reads and starts checking; this one opens the index, runs `meanwhile`
/// on it, then checks folders too. Nothing waits for the other thread when it comes too late
/// to help. `meanwhile`'s answer is returned only with the index it ran on.
fn open_if_fresh<R>(
    store: &Store,
    freshness: Freshness,
    meanwhile: impl FnOnce(&SearchIndex) -> R,
) -> Result<Option<(SearchIndex, R)>, SearchError> {
    struct Shared {
        bytes: std::sync::OnceLock<Option<SnapshotBytes>>,
        check: DirCheck,
    }
    let shared = std::sync::Arc::new(Shared {
        bytes: std::sync::OnceLock::new(),
        check: DirCheck::new(store.root(), true),
    });
    let helper = std::sync::Arc::clone(&shared);
    // Without a second thread, this one does it all.
    let _ = crate::spare::run_or_spawn(
        "kehoach-stat",
        Box::new(move || {
            // The snapshot is being read: wait for it awake for a while (a thread that sleeps
            // may leave its processor to halt, and take long to wake).
            let begun = std::time::Instant::now();
            while helper.bytes.get().is_none() && begun.elapsed() < SNAPSHOT_SPIN {
                std::hint::spin_loop();
            }
            if let Some(snap) = helper.bytes.wait().as_ref().and_then(parse_snapshot) {
                helper.check.work(&snap.dir_stats);
            }
        }),
    );
    // Set at once, whatever follows: the other thread waits for it.
    let bytes = shared.bytes.get_or_init(|| read_snapshot(store));
    let dir = index_dir(store);
    let opened = (|| {
        let head = store.head_commit_id()?;
        let Some(snap) = bytes.as_ref().and_then(parse_snapshot) else {
            return Ok(None);
        };
        if snap.commit != head || !snap.racy_dirs.is_empty() {
            return Ok(None);
        }
        let Ok((index, state)) = open_dir(&dir) else {
            return Ok(None);
        };
        if state.format != FORMAT
            || state.prefix != store.prefix()
            || state.commit != head
            || !racy_ok(store, &snap.racy, &state, &mut HeadBlobs::new(store, &head))?
        {
            return Ok(None);
        }
        let Ok(si) = as_it_is(store, index, state, &dir) else {
            return Ok(None);
        };
        Ok::<_, SearchError>(Some((si, snap)))
    })();
    let Ok(Some((si, snap))) = opened else {
        shared.check.stop();
        return opened.map(|_| None);
    };
    let r = meanwhile(&si);
    shared.check.work(&snap.dir_stats);
    let fresh = shared.check.finish(snap.dir_stats.len()).unchanged
        && (freshness == Freshness::Quick
            || snap.files.as_deref() == Some(&fingerprint(&store.stat_record_files()?)));
    Ok(fresh.then_some((si, r)))
}

/// Something slow the index is about to do, for a command line to say while it happens (see
/// [`set_notices`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice<'a> {
    /// Another process holds the index's lock (it is updating the index): waiting for it.
    Waiting { lock: &'a Path },
    /// Building the whole index (seconds at 100 000 records); why, unless it was asked for.
    Building { reason: Option<&'a str> },
    /// Catching up with this many changed records, at least 10 000 (after a pull,
    /// say).
    CatchingUp { records: usize },
}

/// A catch-up of this many records or more is announced (about a second at this size).
pub const MANY_CHANGES: usize = 10_000;

static NOTICES: std::sync::Mutex<Option<fn(Notice<'_>)>> = std::sync::Mutex::new(None);

/// Calls `tell` (or no one, with None) before each wait for another process and each full
/// build of this process, from the thread that does it.
pub fn set_notices(tell: Option<fn(Notice<'_>)>) {
    *NOTICES.lock().unwrap_or_else(|e| e.into_inner()) = tell;
}

fn notify(n: Notice<'_>) {
    let tell = *NOTICES.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(tell) = tell {
        tell(n);
    }
}

/// The folder the index of a store lives in.
pub fn index_dir(store: &Store) -> PathBuf {
    store.private_path("search")
}

fn lock(store: &Store) -> Result<std::fs::File, SearchError> {
    let p = store.private_dir()?.join("search.lock");
    let f = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&p)
        .map_err(|e| SearchError::io(&p, e))?;
    // Another kehoach process may be updating the index: wait for it (the OS frees the lock of a
    // process that died), saying so.
    match f.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            notify(Notice::Waiting { lock: &p });
            f.lock().map_err(|e| SearchError::io(&p, e))?;
        }
        Err(std::fs::TryLockError::Error(e)) => return Err(SearchError::io(&p, e)),
    }
    Ok(f)
}

/// Work-tree files by path: blob id of the content ("" when deleted) and the content.
type Overlay = BTreeMap<String, OverlayEntry>;
type OverlayEntry = (String, Option<Vec<u8>>);

/// The overlay the work tree asks for: every record file that differs from HEAD.
fn wanted_overlay(store: &Store) -> Result<Overlay, SearchError> {
    let mut out = BTreeMap::new();
    for rel in store.dirty_record_paths()? {
        let content = store.read_worktree(&rel)?;
        let blob = content.as_deref().map(Store::blob_id).unwrap_or_default();
        out.insert(rel, (blob, content));
    }
    Ok(out)
}

fn open_dir(dir: &Path) -> Result<(Index, State), SearchError> {
    let index = Index::open(super::dir::CacheDirectory::open(dir)?)?;
    // Fields of another kind or with other options than this version's (a change of schema
    // that did not raise FORMAT): the index cannot answer as this version asks; rebuilt.
    if index.schema() != schema().0 {
        return Err(SearchError::OtherFields);
    }
    let meta = index.load_metas()?;
    let state: State = meta
        .payload
        .as_deref()
        .and_then(|p| serde_json::from_str(p).ok())
        .ok_or_else(|| SearchError::Corrupt("the index has no state".into()))?;
    Ok((index, state))
}

fn reader_of(index: &Index) -> Result<IndexReader, SearchError> {
    Ok(index
        .reader_builder()
        .reload_policy(ReloadPolicy::Manual)
        .try_into()?)
}

impl SearchIndex {
    /// Opens the index of a store, bringing it up to date with HEAD and every edit of the work
    /// tree ([`Freshness::Exact`]): catches up incrementally when it can, rebuilds when the
    /// index is missing, stale beyond repair, locked by a dead writer or corrupt.
    pub fn open(store: &Store) -> Result<SearchIndex, SearchError> {
        SearchIndex::open_with(store, Freshness::Exact)
    }

    /// [`SearchIndex::open`], checking the work tree as closely as asked. When HEAD is the
    /// indexed commit and nothing checked changed since the last update, no record is read and
    /// git's status is not asked: that is the common case.
    pub fn open_with(store: &Store, freshness: Freshness) -> Result<SearchIndex, SearchError> {
        Ok(SearchIndex::open_and(store, freshness, |_| ())?.0)
    }

    /// [`SearchIndex::open_with`], then `f` on the index. When the index on disk is up to
    /// date, `f` runs on it while the folders are being checked, so that a search costs little
    /// more than the check; when the check finds a change, `f`'s answer is dropped and `f` runs
    /// again on the index brought up to date.
    pub fn open_and<R>(
        store: &Store,
        freshness: Freshness,
        f: impl Fn(&SearchIndex) -> R,
    ) -> Result<(SearchIndex, R), SearchError> {
        if let Some(done) = open_if_fresh(store, freshness, &f)? {
            return Ok(done);
        }
        let si = SearchIndex::open_stale(store, freshness)?;
        let r = f(&si);
        Ok((si, r))
    }

    /// The index brought up to date, when it could not be used as it is.
    fn open_stale(store: &Store, freshness: Freshness) -> Result<SearchIndex, SearchError> {
        let cannot_write = |e: &std::io::Error| {
            e.kind() == std::io::ErrorKind::PermissionDenied
                || e.kind() == std::io::ErrorKind::ReadOnlyFilesystem
        };
        match sync(store, false, freshness) {
            // The git folder cannot be written (a read-only checkout): an index in memory.
            Err(SearchError::Io { source, .. })
            | Err(SearchError::Store(StoreError::Io { source, .. }))
                if cannot_write(&source) =>
            {
                SearchIndex::in_memory(store)
            }
            other => other,
        }
    }

    /// Rebuilds the index from the repository, whatever state it is in.
    pub fn rebuild(store: &Store) -> Result<SearchIndex, SearchError> {
        sync(store, true, Freshness::Exact)
    }

    /// Builds an index in memory, leaving nothing on disk (for read-only repositories).
    pub fn in_memory(store: &Store) -> Result<SearchIndex, SearchError> {
        let head = store.head_commit_id()?;
        let overlay = wanted_overlay(store)?;
        let (index, fields) = in_ram()?;
        let state = fill(store, &index, fields, &head, &overlay, None)?;
        Ok(SearchIndex {
            reader: reader_of(&index)?,
            index,
            fields,
            state,
            dir: None,
            update: Update::Rebuilt {
                reason: "in memory".into(),
            },
            heavy: HEAVY,
            plan_starts: Default::default(),
            files: store.indexed_files(),
            shown: Default::default(),
        })
    }

    /// Brings an open index up to date again (after the user saved or committed).
    pub fn refresh(&mut self, store: &Store) -> Result<&Update, SearchError> {
        // The records read last are kept: by blob id, they cannot be stale.
        let shown = std::mem::take(&mut self.shown);
        if self.dir.is_none() {
            *self = SearchIndex::in_memory(store)?;
        } else {
            *self = SearchIndex::open(store)?;
        }
        self.shown = shown;
        Ok(&self.update)
    }

    /// What opening did.
    pub fn update(&self) -> &Update {
        &self.update
    }

    /// The git commit the index reflects.
    pub fn commit(&self) -> Option<&str> {
        self.state.commit.as_deref()
    }

    /// Work-tree files indexed over the commit (uncommitted edits).
    pub fn uncommitted(&self) -> Vec<&str> {
        self.state.overlay.keys().map(String::as_str).collect()
    }

    /// Those of the [`uncommitted`](Self::uncommitted) files that are deleted in the work tree
    /// (the index leaves their commit's version out).
    pub fn deleted(&self) -> Vec<&str> {
        let overlay = self.state.overlay.iter();
        overlay
            .filter(|(_, blob)| blob.is_empty())
            .map(|(p, _)| p.as_str())
            .collect()
    }

    /// How many records are indexed.
    pub fn len(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The folder of the index; None for an index in memory.
    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    /// How many segments (parts searched one after the other) the index has.
    pub fn segments(&self) -> usize {
        self.reader.searcher().segment_readers().len()
    }

    /// The number of segments when the index is in pieces: more than four segments
    /// and none holding a quarter of the records (an index first built with little memory:
    /// about 6 at 100 000 records, 24 before this version). A full build leaves at most
    /// four; an index of those and the small segments catching up leaves is not in
    /// pieces.
    pub fn in_pieces(&self) -> Option<usize> {
        let searcher = self.reader.searcher();
        let docs: Vec<u64> = searcher
            .segment_readers()
            .iter()
            .map(|s| u64::from(s.num_docs()))
            .collect();
        in_pieces(&docs)
    }

    /// Merges an index in pieces (see [`SearchIndex::in_pieces`]) into one segment: each
    /// search then does a little less (about a second at 100 000 records). Returns how many
    /// segments were merged, if any.
    pub fn compact(&mut self, store: &Store) -> Result<Option<usize>, SearchError> {
        let Some(before) = self.in_pieces().filter(|_| self.dir.is_some()) else {
            return Ok(None);
        };
        let _lock = lock(store)?;
        let mut writer = merge_writer(&self.index)?;
        let ids = self.index.searchable_segment_ids()?;
        if ids.len() > 1 {
            writer.merge(&ids).wait()?;
        }
        writer.wait_merging_threads()?;
        self.reader.reload()?;
        Ok(Some(before))
    }

    /// Checks every file of the index against its checksum; the paths of the damaged ones.
    pub fn verify(&self) -> Result<Vec<PathBuf>, SearchError> {
        let mut v: Vec<PathBuf> = self.index.validate_checksum()?.into_iter().collect();
        v.sort();
        Ok(v)
    }

    /// The best `limit` records for a query, best first.
    ///
    /// Records whose title holds every word come before those whose text does, and records
    /// that hold the words as typed (with their diacritics) before those that hold them only
    /// once folded; see `ranked`.
    pub fn search(&self, query: &Query, limit: usize) -> Result<Vec<Hit>, SearchError> {
        if limit == 0 {
            return Ok(vec![]);
        }
        let searcher = self.reader.searcher();
        let addrs: Vec<(f32, tantivy::DocAddress)> = if query.terms.is_empty() {
            // Nothing to rank by: the records in path order.
            searcher
                .search(
                    &self.matching(&searcher, query),
                    &FirstByText {
                        field: "path",
                        stored: self.fields.path,
                        searcher: searcher.clone(),
                        limit,
                    },
                )?
                .into_iter()
                .map(|a| (0.0, a))
                .collect()
        } else {
            self.ranked(&searcher, query, limit)?
        };
        let terms = query.highlight_terms();
        let f = self.fields;
        let docs = addrs
            .iter()
            .map(|(_, a)| searcher.doc::<TantivyDocument>(*a))
            .collect::<Result<Vec<_>, _>>()?;
        let get = |d: &TantivyDocument, field: Field| {
            d.get_first(field)
                .and_then(|v| v.as_str())
                .unwrap_or("")
                .to_string()
        };
        let mut hits = Vec::with_capacity(addrs.len());
        for ((score, _), d) in addrs.iter().zip(&docs) {
            let (id, path) = (get(d, f.id), get(d, f.path));
            let blob = d
                .get_first(f.blob)
                .and_then(|v| v.as_bytes())
                .and_then(|b| git2::Oid::from_bytes(b).ok())
                .unwrap_or(git2::Oid::ZERO_SHA1);
            // Title and text are read again from the file the record was indexed from (stored
            // in the index, they took a tenth of every build), or found among those read last.
            // (Shared with the search helper, this took longer: the helper may lose its
            // processor to the thread checking the folders while it holds a record.)
            let (title, snippet) = match shown(&self.files, &self.shown, &path, blob) {
                Some(r) => (r.title.clone(), snippet(&r.text, &terms, 160)),
                // The file is gone since the index was brought up to date.
                None => (id.clone(), vec![]),
            };
            let plan = get(d, f.plan);
            hits.push(Hit {
                kind: Kind::parse(&get(d, f.kind)).unwrap_or(Kind::Config),
                id,
                path,
                title,
                plan: (!plan.is_empty()).then_some(plan),
                status: get(d, f.status),
                score: *score,
                snippet,
            });
        }
        // Equal scores in path order, so that results are stable.
        hits.sort_by(|a, b| {
            b.score
                .partial_cmp(&a.score)
                .unwrap_or(std::cmp::Ordering::Equal)
                .then_with(|| a.path.cmp(&b.path))
        });
        Ok(hits)
    }

    /// The best `limit` records of a query with words, in tiers: records whose title holds
    /// every word as typed (with its diacritics), then those whose text does, then the same
    /// with the words folded; by BM25 within a tier, raised where the words stand together
    /// (see `ranking::raise_together`). Each tier is one pruned pass, and the passes stop once
    /// `limit` records (at least [`WINDOW`]) are found. The scores of a tier are then raised by
    /// the best score of the tiers after it, so that scores read in order.
    fn ranked(
        &self,
        searcher: &tantivy::Searcher,
        query: &Query,
        limit: usize,
    ) -> Result<Vec<(f32, tantivy::DocAddress)>, SearchError> {
        let sets = |q: Option<Box<dyn TantivyQuery>>| -> Result<_, SearchError> {
            Ok(match q {
                Some(q) => Some(doc_sets(searcher, q.as_ref())?),
                None => None,
            })
        };
        let (allow, deny) = (
            sets(self.filters_query(searcher, query))?,
            sets(self.excluded_query(searcher, query))?,
        );
        let typed_with_diacritics = query
            .terms
            .iter()
            .any(|t| t.words.iter().any(|w| w.diacritics));
        // The same records come first whatever the limit (up to the window): each pass takes
        // its best by BM25 for the window, then words found together reorder them.
        let window = limit.max(WINDOW);
        let together = self.together(query);
        let mut tiers: Vec<Vec<(f32, tantivy::DocAddress)>> = Vec::new();
        let mut found = 0;
        for (exact, title) in [(true, true), (true, false), (false, true), (false, false)] {
            if found == window {
                break;
            }
            if exact && !typed_with_diacritics {
                continue;
            }
            let top = TopRanked {
                limit: window - found,
                allow: allow.clone(),
                deny: deny.clone(),
                skip: tiers.iter().flatten().map(|(_, a)| *a).collect(),
                phrases: self.phrases(query),
                forms: match (exact, title) {
                    (true, false) => self.forms(query),
                    _ => vec![],
                },
                bar: Bar::none(),
            };
            let heavy = self.heavy(searcher, query, exact, title);
            let words = self.words_query(query, exact, title);
            let mut hits = super::helper::search(searcher, &*words, top, heavy)?;
            raise_together(searcher, &together, &mut hits)?;
            found += hits.len();
            tiers.push(hits);
        }
        let mut floor = 0.0f32;
        for tier in tiers.iter_mut().rev() {
            let best = tier.iter().map(|(s, _)| *s + floor).fold(floor, f32::max);
            for (s, _) in tier.iter_mut() {
                *s += floor;
            }
            floor = best;
        }
        Ok(tiers.into_iter().flatten().take(limit).collect())
    }

    /// How many records match a query.
    pub fn count(&self, query: &Query) -> Result<usize, SearchError> {
        let searcher = self.reader.searcher();
        Ok(searcher.search(&self.matching(&searcher, query), &tantivy::collector::Count)?)
    }

    /// The words of a query typed with diacritics, for a ranking pass in the text to find in
    /// that form: folded terms and the codes of the forms.
    fn forms(&self, query: &Query) -> Vec<(Term, u32)> {
        query
            .terms
            .iter()
            .flat_map(|t| &t.words)
            .filter(|w| w.diacritics)
            .map(|w| {
                (
                    Term::from_field_text(self.fields.text_f, &w.folded),
                    analyzer::form_code(&w.exact),
                )
            })
            .collect()
    }

    /// The phrases of a query, as folded terms in order, for the ranking passes to check.
    fn phrases(&self, query: &Query) -> Vec<Vec<Term>> {
        query
            .terms
            .iter()
            .filter(|t| t.words.len() > 1)
            .map(|t| {
                t.words
                    .iter()
                    .map(|w| Term::from_field_text(self.fields.text_f, &w.folded))
                    .collect()
            })
            .collect()
    }

    /// Every word of the query in the order typed, as folded terms with positions.
    fn together(&self, query: &Query) -> Vec<Term> {
        query
            .terms
            .iter()
            .flat_map(|t| &t.words)
            .map(|w| Term::from_field_text(self.fields.text_f, &w.folded))
            .collect()
    }

    /// The term a word of the query is looked up by in a ranking pass: with `exact`, a word
    /// typed with diacritics in that form; in the title's fields with `title`.
    fn word_term(&self, w: &QueryWord, exact: bool, title: bool) -> Term {
        let f = self.fields;
        match (exact && w.diacritics, title) {
            (true, true) => Term::from_field_text(f.title_x, &w.exact),
            (false, true) => Term::from_field_text(f.title_f, &w.folded),
            // In the text, a word as typed is its folded word in that form (see `forms`).
            (_, false) => Term::from_field_text(f.text_f, &w.folded),
        }
    }

    /// Whether a ranking pass is worth searching on two threads (see `helper`): every word
    /// of it is in at least [`HEAVY`] records (a few lookups in the term dictionaries, made
    /// only in an index of two segments or more).
    fn heavy(&self, searcher: &tantivy::Searcher, query: &Query, exact: bool, title: bool) -> bool {
        if searcher.segment_readers().len() < 2 || searcher.num_docs() < self.heavy {
            return false;
        }
        let mut words = query.terms.iter().flat_map(|t| &t.words).peekable();
        words.peek().is_some()
            && words.all(|w| {
                searcher
                    .doc_freq(&self.word_term(w, exact, title))
                    .is_ok_and(|n| n >= self.heavy)
            })
    }

    /// What one term asks of a record: a word, or the words of a phrase (next to each other
    /// when `phrase`; else the caller checks that). With `exact` and `title`, the words typed
    /// with diacritics must be in the title in that form (in the text, the caller checks the
    /// forms: see `forms`); with `title`, every word must be in the title.
    fn term_clauses(
        &self,
        t: &TextTerm,
        exact: bool,
        title: bool,
        phrase: bool,
        out: &mut Vec<Box<dyn TantivyQuery>>,
    ) {
        let f = self.fields;
        let term = |w: &QueryWord| -> Box<dyn TantivyQuery> {
            Box::new(TermQuery::new(
                self.word_term(w, exact, title),
                IndexRecordOption::WithFreqs,
            ))
        };
        match t.words.as_slice() {
            [] => {}
            [w] => out.push(term(w)),
            // The phrase query asks for its words itself.
            words if phrase => out.push(Box::new(PhraseQuery::new(
                words
                    .iter()
                    .map(|w| Term::from_field_text(f.text_f, &w.folded))
                    .collect(),
            ))),
            words => out.extend(words.iter().map(term)),
        }
    }

    /// Every word of the query, all required, as an intersection of plain terms that tantivy
    /// can prune (phrases are checked by the collector).
    fn words_query(&self, query: &Query, exact: bool, title: bool) -> Box<dyn TantivyQuery> {
        let mut must = Vec::new();
        for t in &query.terms {
            self.term_clauses(t, exact, title, false, &mut must);
        }
        if must.len() == 1 {
            return must.pop().expect("one clause");
        }
        Box::new(BooleanQuery::new(
            must.into_iter().map(|q| (Occur::Must, q)).collect(),
        ))
    }

    /// One excluded term, folded.
    fn term_query(&self, t: &TextTerm) -> Box<dyn TantivyQuery> {
        let mut must = Vec::new();
        self.term_clauses(t, false, false, true, &mut must);
        Box::new(BooleanQuery::new(
            must.into_iter().map(|q| (Occur::Must, q)).collect(),
        ))
    }

    /// Records any excluded term or excluded filter matches.
    fn excluded_query(
        &self,
        searcher: &tantivy::Searcher,
        query: &Query,
    ) -> Option<Box<dyn TantivyQuery>> {
        let terms = query.excluded.iter().map(|t| self.term_query(t));
        let filters = (query.excluded_filters.iter()).map(|f| self.filter_query(searcher, f));
        all_of(Occur::Should, terms.chain(filters).collect())
    }

    /// Records every filter matches.
    fn filters_query(
        &self,
        searcher: &tantivy::Searcher,
        query: &Query,
    ) -> Option<Box<dyn TantivyQuery>> {
        let filters = query.filters.iter().map(|f| self.filter_query(searcher, f));
        all_of(Occur::Must, filters.collect())
    }

    /// Records with any of `values` for the filter `name`.
    fn keyword_query(&self, name: &str, values: &[String]) -> Box<dyn TantivyQuery> {
        let qs: Vec<(Occur, Box<dyn TantivyQuery>)> = values
            .iter()
            .map(|v| {
                let q: Box<dyn TantivyQuery> = Box::new(TermQuery::new(
                    Term::from_field_text(self.fields.keys, &key(name, v)),
                    IndexRecordOption::Basic,
                ));
                (Occur::Should, q)
            })
            .collect();
        Box::new(BooleanQuery::new(qs))
    }

    fn filter_query(&self, searcher: &tantivy::Searcher, filter: &Filter) -> Box<dyn TantivyQuery> {
        let q = match filter {
            Filter::Kind(kinds) => self.keyword_query(
                "kind",
                &kinds
                    .iter()
                    .map(|k| k.as_str().to_string())
                    .collect::<Vec<_>>(),
            ),
            Filter::Plan(v) => self.keyword_query("plan", v),
            Filter::Agency(v) => self.keyword_query("agency", v),
            Filter::Lead(v) => self.keyword_query("lead", v),
            Filter::Status(v) => self.keyword_query("status", v),
            Filter::Period(v) => self.keyword_query("period", v),
            Filter::Due(dues) => {
                let qs: Vec<(Occur, Box<dyn TantivyQuery>)> = dues
                    .iter()
                    .map(|d| {
                        let q: Box<dyn TantivyQuery> = match d {
                            DueFilter::Rules(r) => self.due_rules_query(r),
                            DueFilter::Dates(r) => self.due_dates_query(searcher, r),
                        };
                        (Occur::Should, q)
                    })
                    .collect();
                Box::new(BooleanQuery::new(qs))
            }
        };
        Box::new(ConstScoreQuery::new(q, 0.0))
    }

    /// Records due by one of the rules named (`continuous`, `monthly` …; see `DUE_RULES`).
    fn due_rules_query(&self, rules: &[String]) -> Box<dyn TantivyQuery> {
        let qs = rules
            .iter()
            .map(|r| {
                if r == "continuous" {
                    return (
                        Occur::Should,
                        self.keyword_query("due", std::slice::from_ref(r)),
                    );
                }
                // `due:monthly:31` …: every term from `due:monthly:` to `due:monthly;`.
                let term = |end: char| {
                    Term::from_field_text(self.fields.keys, &key("due", &format!("{r}{end}")))
                };
                let q: Box<dyn TantivyQuery> = Box::new(RangeQuery::new(
                    Bound::Included(term(':')),
                    Bound::Excluded(term(';')),
                ));
                (Occur::Should, q)
            })
            .collect();
        Box::new(BooleanQuery::new(qs))
    }

    /// Records due on a day of `range`: those due on a date in it, and those whose recurring
    /// rule falls in it. The rules are the few distinct terms after the dates in each
    /// segment; each is asked for as a term when it falls in the range.
    fn due_dates_query(
        &self,
        searcher: &tantivy::Searcher,
        range: &DayRange,
    ) -> Box<dyn TantivyQuery> {
        let field = self.fields.keys;
        let (from, to) = (range.from.map(due_day_text), range.to.map(due_day_text));
        let mut qs: Vec<(Occur, Box<dyn TantivyQuery>)> = vec![(
            Occur::Should,
            due_terms_between(field, from.as_deref(), to.as_deref()),
        )];
        let mut rules = std::collections::BTreeSet::new();
        for reader in searcher.segment_readers() {
            // A segment that cannot be read gives no rule here; the search itself reports it.
            let Ok(index) = reader.inverted_index(field) else {
                continue;
            };
            let Ok(mut stream) = index.terms().range().ge(b"due:a").lt(b"due;").into_stream()
            else {
                continue;
            };
            while stream.advance() {
                if let Some(rule) = std::str::from_utf8(stream.key())
                    .ok()
                    .and_then(|k| k.strip_prefix("due:"))
                {
                    rules.insert(rule.to_string());
                }
            }
        }
        // A recurring deadline counts from the day its plan assigns the work (as deadlines
        // are tracked): an assignment matches when its rule falls in the range on or after
        // that day, that is when the rule's last day in the range is not before it.
        let starts = self
            .plan_starts
            .get_or_init(|| plan_starts(searcher, field));
        let mut falling = Vec::new();
        for rule in rules {
            let Some(last) = rule
                .parse::<Due>()
                .ok()
                .and_then(|d| last_within(&d, range.from, range.to))
            else {
                continue;
            };
            let later: Vec<String> = starts
                .iter()
                .filter(|(_, start)| *start > last)
                .map(|(plan, _)| plan.clone())
                .collect();
            if later.is_empty() {
                falling.push(rule);
                continue;
            }
            let q: Box<dyn TantivyQuery> = Box::new(BooleanQuery::new(vec![
                (
                    Occur::Must,
                    self.keyword_query("due", std::slice::from_ref(&rule)),
                ),
                (Occur::MustNot, self.keyword_query("plan", &later)),
            ]));
            qs.push((Occur::Should, q));
        }
        if !falling.is_empty() {
            qs.push((Occur::Should, self.keyword_query("due", &falling)));
        }
        Box::new(BooleanQuery::new(qs))
    }

    /// Every record the query matches (words folded), unscored.
    fn matching(&self, searcher: &tantivy::Searcher, query: &Query) -> Box<dyn TantivyQuery> {
        let mut clauses: Vec<(Occur, Box<dyn TantivyQuery>)> = Vec::new();
        for t in &query.terms {
            let mut must = Vec::new();
            self.term_clauses(t, false, false, true, &mut must);
            clauses.extend(must.into_iter().map(|q| (Occur::Must, q)));
        }
        if let Some(f) = self.filters_query(searcher, query) {
            clauses.push((Occur::Must, f));
        }
        if clauses.is_empty() {
            clauses.push((Occur::Must, Box::new(AllQuery)));
        }
        if let Some(x) = self.excluded_query(searcher, query) {
            clauses.push((Occur::MustNot, x));
        }
        Box::new(BooleanQuery::new(clauses))
    }
}

/// The queries as clauses of one boolean query, each with `occur`; None when there are none.
fn all_of(occur: Occur, queries: Vec<Box<dyn TantivyQuery>>) -> Option<Box<dyn TantivyQuery>> {
    (!queries.is_empty()).then(|| {
        Box::new(BooleanQuery::new(
            queries.into_iter().map(|q| (occur, q)).collect(),
        )) as Box<dyn TantivyQuery>
    })
}

/// The index terms of a period: itself and every longer period that contains it.
fn period_terms(p: &Period) -> Vec<String> {
    let mut out = vec![p.to_string()];
    for k in [PeriodKind::Year, PeriodKind::HalfYear, PeriodKind::Quarter] {
        let c = Period::containing(k, p.start());
        if c.start() <= p.start() && p.end() <= c.end() && c != *p {
            out.push(c.to_string());
        }
    }
    out
}

/// The term of a filter's value: `kind:assignment`.
fn key(name: &str, value: &str) -> String {
    format!("{name}:{value}")
}

/// The dates due from `from` to `to` (inclusive; None is open) as a range of terms. Dates are
/// written `YYYY-MM-DD` and rules start with a letter: the dates are the terms from `due:0`
/// to `due::`.
fn due_terms_between(field: Field, from: Option<&str>, to: Option<&str>) -> Box<dyn TantivyQuery> {
    let term = |s: &str| Term::from_field_text(field, &key("due", s));
    Box::new(RangeQuery::new(
        Bound::Included(term(from.unwrap_or("0"))),
        match to {
            Some(t) => Bound::Included(term(t)),
            None => Bound::Excluded(term(":")),
        },
    ))
}

/// A day number (`YYYYMMDD`, see [`day_number`]) as the date a `due` term holds.
fn due_day_text(day: i64) -> String {
    format!("{:04}-{:02}-{:02}", day / 10000, day / 100 % 100, day % 100)
}

/// The last day in `from..=to` (day numbers; None is open) on which `due` falls, within
/// [`DUE_YEARS`].
fn last_within(due: &Due, from: Option<i64>, to: Option<i64>) -> Option<i64> {
    let (lo, hi) = (from.unwrap_or(i64::MIN), to.unwrap_or(i64::MAX));
    let first = (*DUE_YEARS.start()).max(lo.div_euclid(10000).clamp(0, 9999) as i16);
    let last = (*DUE_YEARS.end()).min(hi.div_euclid(10000).clamp(0, 9999) as i16);
    (first..=last)
        .rev()
        .flat_map(|y| due.occurrences_in_year(y).into_iter().rev())
        .map(day_number)
        .find(|d| lo <= *d && *d <= hi)
}

/// The key of a plan's `PLAN:DAY`: the day it assigns its work.
const SINCE: &str = "since";

/// Each plan's id and the day (as a day number) it assigns its work, read from the terms of
/// the plan records still in the index (a changed plan leaves its old term behind in its
/// segment until the segment is merged: only terms of a live record count).
fn plan_starts(searcher: &tantivy::Searcher, field: Field) -> Vec<(String, i64)> {
    let (from, to) = (format!("{SINCE}:"), format!("{SINCE};"));
    let mut out = Vec::new();
    for reader in searcher.segment_readers() {
        let Ok(index) = reader.inverted_index(field) else {
            continue;
        };
        let Ok(mut stream) = index
            .terms()
            .range()
            .ge(from.as_bytes())
            .lt(to.as_bytes())
            .into_stream()
        else {
            continue;
        };
        let alive = reader.alive_bitset();
        while stream.advance() {
            let live = match alive {
                None => true,
                Some(alive) => index
                    .read_postings_from_terminfo(stream.value(), IndexRecordOption::Basic)
                    .is_ok_and(|mut docs| {
                        use tantivy::DocSet;
                        let mut doc = docs.doc();
                        while doc != tantivy::TERMINATED && !alive.is_alive(doc) {
                            doc = docs.advance();
                        }
                        doc != tantivy::TERMINATED
                    }),
            };
            let parsed = std::str::from_utf8(stream.key())
                .ok()
                .and_then(|k| k.strip_prefix(from.as_str()))
                .and_then(|k| k.rsplit_once(':'))
                .and_then(|(plan, day)| Some((plan.to_string(), day_number(day.parse().ok()?))));
            if let (true, Some(p)) = (live, parsed) {
                out.push(p);
            }
        }
    }
    out
}

/// The document of a record read from the blob `blob` (40 hex digits).
fn to_tantivy(f: &Fields, r: &RecordDoc, blob: &str) -> TantivyDocument {
    let mut d = doc!(
        f.path => r.path.as_str(),
        f.kind => r.kind.as_str(),
        f.id => r.id.as_str(),
        f.status => r.status.as_str(),
        f.title_f => r.title.as_str(),
        // The id names the record as its title does: `a04`, `so-y-te` find it.
        f.title_f => r.id.as_str(),
        f.title_x => r.title.as_str(),
        f.text_f => [r.title.as_str(), &r.text, &r.id].join(analyzer::PART),
    );
    if let Ok(b) = git2::Oid::from_str(blob) {
        d.add_bytes(f.blob, b.as_bytes());
    }
    let mut keys = vec![key("kind", r.kind.as_str()), key("status", &r.status)];
    if let Some(p) = &r.plan {
        d.add_text(f.plan, p);
        keys.push(key("plan", p));
    }
    keys.extend(r.agencies.iter().map(|a| key("agency", a)));
    if let Some(l) = &r.lead {
        keys.push(key("lead", l));
    }
    if let Some(p) = &r.period {
        keys.extend(period_terms(p).iter().map(|t| key("period", t)));
    }
    if let Some(due) = &r.due {
        keys.push(key("due", &due.to_string()));
    }
    if let (Some(day), Some(plan)) = (r.assigns_work_on, &r.plan) {
        keys.push(key(SINCE, &format!("{plan}:{day}")));
    }
    for k in keys {
        d.add_text(f.keys, k);
    }
    d
}

/// Indexing memory per thread for a full build; see [`set_low_memory`].
static LOW_MEMORY: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Builds the index with little memory from now on: 40 MB per indexing thread instead of
/// 150 (tantivy's tables take 14 of them from the start), which keeps a first build at 100k
/// records, inside the terminal UI with its records loaded, at about 265 MB resident (budget
/// 300; 60 MB a thread reached 295). The index then has about 6 segments at 100k records
/// (query p99 1.81 ms against 1.76 on two; 20 MB made 24, and 2.21 ms), and is left so
/// (merging them would take about 100 MB more) until `kehoach index` merges them.
pub fn set_low_memory(low: bool) {
    LOW_MEMORY.store(low, std::sync::atomic::Ordering::Relaxed);
}

/// Indexing memory per thread for a full build. Each thread writes a segment when its memory
/// is full: with 150 MB, two threads make two segments of 100 000 records, with a peak of
/// about 230 MB. Searching two segments instead of one costs little (query p99 1.72 ms
/// against 1.63, a catch-up 17.5 ms against 16.7, at 100k records); merging them into one
/// cost most of a second of every build, on one processor, and 100 MB more.
fn build_memory() -> usize {
    if LOW_MEMORY.load(std::sync::atomic::Ordering::Relaxed) {
        40_000_000
    } else {
        150_000_000
    }
}

/// What a full build reads from git before it starts: the record files of HEAD, and a reader
/// of their content (from the work tree where git's index vouches for it). Read on threads of
/// their own (about 0.09 s each at 100 000 records) while the caller checks the work tree.
struct Inputs {
    entries: std::thread::JoinHandle<Result<Vec<TreeEntry>, StoreError>>,
    reader: std::thread::JoinHandle<Result<RecordReader, StoreError>>,
}

impl Inputs {
    /// Starts reading: HEAD's tree and git's index, each on a thread of its own (with the
    /// repository opened again).
    fn start(store: &Store, head: &Option<String>) -> Inputs {
        let (root, head) = (store.root().to_path_buf(), head.clone());
        let root2 = root.clone();
        Inputs {
            entries: std::thread::spawn(move || Inputs::entries(&Store::open(&root)?, &head)),
            reader: std::thread::spawn(move || Ok(Store::open(&root2)?.record_reader())),
        }
    }

    fn entries(store: &Store, head: &Option<String>) -> Result<Vec<TreeEntry>, StoreError> {
        match head {
            Some(c) => store.record_entries(c),
            None => Ok(vec![]),
        }
    }

    fn read(
        store: &Store,
        head: &Option<String>,
    ) -> Result<(Vec<TreeEntry>, RecordReader), StoreError> {
        Ok((Inputs::entries(store, head)?, store.record_reader()))
    }

    fn take(self) -> Result<(Vec<TreeEntry>, RecordReader), SearchError> {
        fn join<T>(h: std::thread::JoinHandle<Result<T, StoreError>>) -> Result<T, StoreError> {
            h.join().map_err(|_| {
                StoreError::Other("reading the records of HEAD stopped unexpectedly".into())
            })?
        }
        let entries = join(self.entries);
        let reader = join(self.reader);
        Ok((entries?, reader?))
    }
}

/// Writes every record of `head` (with the work-tree overlay) into an empty index.
///
/// Each thread takes runs of records, reads, parses and indexes them into segments of its own,
/// one after the other, and the segments are then recorded, with the state, as a commit does.
/// No document passes from thread to thread: there is no queue of them in flight (tantivy's
/// holds up to 10 000), and a record's text is indexed while it is still in the cache.
fn fill(
    store: &Store,
    index: &Index,
    fields: Fields,
    head: &Option<String>,
    overlay: &Overlay,
    inputs: Option<Inputs>,
) -> Result<State, SearchError> {
    let (entries, reader) = match inputs {
        Some(inputs) => inputs.take()?,
        None => Inputs::read(store, head)?,
    };
    let entries: Vec<_> = entries
        .into_iter()
        .filter(|e| !overlay.contains_key(&e.path))
        .collect();
    // A thread per processor (up to four), and no more than one per 5 000 records: a small
    // repository gets one segment.
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .clamp(1, 4)
        .min(1 + entries.len() / 5_000);
    let next = std::sync::atomic::AtomicUsize::new(0);
    let written = std::sync::Mutex::new(Vec::new());
    let work = |first: bool| -> Result<(), SearchError> {
        let mut out = Segments::new(index, build_memory(), &written);
        if first {
            for (path, (blob, content)) in overlay {
                if let Some(bytes) = content
                    && let Some(r) = RecordDoc::from_file(path, bytes)
                {
                    out.add(to_tantivy(&fields, &r, blob))?;
                }
            }
        }
        loop {
            let at = next.fetch_add(RUN, std::sync::atomic::Ordering::Relaxed);
            if at >= entries.len() {
                break;
            }
            let run = &entries[at..(at + RUN).min(entries.len())];
            let files: Vec<(&str, &str)> = run
                .iter()
                .map(|e| (e.path.as_str(), e.blob.as_str()))
                .collect();
            let (contents, _) = reader.read(&files)?;
            for (e, bytes) in run.iter().zip(contents) {
                if let Some(r) = RecordDoc::from_file(&e.path, &bytes) {
                    out.add(to_tantivy(&fields, &r, &e.blob))?;
                }
            }
        }
        out.flush()
    };
    std::thread::scope(|scope| -> Result<(), SearchError> {
        let others: Vec<_> = (1..threads).map(|_| scope.spawn(|| work(false))).collect();
        let mine = work(true);
        for h in others {
            h.join().map_err(|_| {
                SearchError::Corrupt("an indexing thread stopped unexpectedly".into())
            })??;
        }
        mine
    })?;
    let segments = written.into_inner().unwrap_or_else(|e| e.into_inner());
    let state = State::of(store, head, overlay);
    let docs: Vec<u64> = segments.iter().map(|m| u64::from(m.max_doc())).collect();
    commit_segments(index, segments, docs.iter().sum(), &state)?;
    // A large repository makes more segments than searches should go through: merged into
    // one (seconds, once). Not with little memory: merging takes about 100 MB more at 100k
    // records.
    if !LOW_MEMORY.load(std::sync::atomic::Ordering::Relaxed) && in_pieces(&docs).is_some() {
        let mut writer = merge_writer(index)?;
        writer.merge(&index.searchable_segment_ids()?).wait()?;
        writer.wait_merging_threads()?;
    }
    Ok(state)
}

/// Records read at a time by a building thread.
const RUN: usize = 256;

/// The segments one building thread writes: a new one each time the last fills its memory.
struct Segments<'a> {
    index: &'a Index,
    memory: usize,
    /// The memory tantivy sizes a segment's tables from (they are zeroed before the first
    /// record): at most `memory`.
    tables: usize,
    current: Option<(tantivy::Segment, tantivy::indexer::SegmentWriter)>,
    docs: u64,
    written: &'a std::sync::Mutex<Vec<tantivy::SegmentMeta>>,
}

impl<'a> Segments<'a> {
    fn new(
        index: &'a Index,
        memory: usize,
        written: &'a std::sync::Mutex<Vec<tantivy::SegmentMeta>>,
    ) -> Self {
        // Tantivy's tables take 13.6 MB of a segment's memory of 15 MB from the start.
        debug_assert!(memory >= 15_000_000, "{memory} bytes");
        Segments {
            index,
            memory,
            tables: memory,
            current: None,
            docs: 0,
            written,
        }
    }

    fn add(&mut self, document: TantivyDocument) -> Result<(), SearchError> {
        let (_, writer) = match &mut self.current {
            Some(c) => c,
            None => {
                let segment = self.index.new_segment();
                let writer =
                    tantivy::indexer::SegmentWriter::for_segment(self.tables, segment.clone())?;
                self.current.insert((segment, writer))
            }
        };
        writer.add_document(tantivy::indexer::AddOperation {
            opstamp: self.docs,
            document,
        })?;
        self.docs += 1;
        // What tantivy's own writer leaves free for the next document.
        if writer.mem_usage() + 1_000_000 >= self.memory {
            self.flush()?;
        }
        Ok(())
    }

    /// Writes the segment in progress, if any.
    fn flush(&mut self) -> Result<(), SearchError> {
        if let Some((segment, writer)) = self.current.take() {
            let docs = writer.max_doc();
            writer.finalize()?;
            let segment = segment.with_max_doc(docs);
            segment.meta().untrack_temp_docstore();
            self.written
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(segment.meta().clone());
        }
        Ok(())
    }
}

/// Makes `segments` the index's content, with `state` as the commit's payload and `opstamp`
/// as its number: what a commit of tantivy's writer records.
fn commit_segments(
    index: &Index,
    segments: Vec<tantivy::SegmentMeta>,
    opstamp: u64,
    state: &State,
) -> Result<(), SearchError> {
    let payload = serde_json::to_string(state).map_err(|e| SearchError::Corrupt(e.to_string()))?;
    let meta = tantivy::IndexMeta {
        index_settings: index.settings().clone(),
        persisted_custom_extensions: vec![],
        segments,
        schema: index.schema(),
        opstamp,
        payload: Some(payload),
    };
    let mut bytes =
        serde_json::to_vec_pretty(&meta).map_err(|e| SearchError::Corrupt(e.to_string()))?;
    bytes.push(b'\n');
    let dir = index.directory();
    dir.sync_directory()
        .map_err(|e| SearchError::io("meta.json", e))?;
    dir.atomic_write(Path::new("meta.json"), &bytes)
        .map_err(|e| SearchError::io("meta.json", e))?;
    dir.sync_directory()
        .map_err(|e| SearchError::io("meta.json", e))?;
    Ok(())
}

/// A new, empty index in memory, ready for records.
fn in_ram() -> Result<(Index, Fields), SearchError> {
    let (schema, fields) = schema();
    let index = Index::builder()
        .schema(schema)
        .settings(settings())
        .create_in_ram()?;
    register_tokenizers(&index);
    Ok((index, fields))
}

/// How a new index keeps its stored fields (not the records' text: see `Fields::blob`).
fn settings() -> tantivy::IndexSettings {
    tantivy::IndexSettings {
        // Each block of stored fields compressed by the thread that wrote it: a thread of its own
        // for that woke some 35 000 times in a build of 100 000 records.
        docstore_compress_dedicated_thread: false,
        // A hit's stored fields are read by uncompressing the block that holds them: blocks of
        // 4 kB rather than 16 (when the text was stored as well, that took a query's median
        // from 0.39–0.45 ms to 0.32–0.33 at 100 000 records).
        docstore_blocksize: 4096,
        ..Default::default()
    }
}

/// Builds a new index beside the old one and swaps it in. The caller holds the lock.
fn rebuild_locked(
    store: &Store,
    head: &Option<String>,
    overlay: &Overlay,
    dir: &Path,
    inputs: Option<Inputs>,
) -> Result<SearchIndex, SearchError> {
    let parent = dir.parent().expect("the index folder has a parent");
    std::fs::create_dir_all(parent).map_err(|e| SearchError::io(parent, e))?;
    let fresh = parent.join(format!("search.new-{}", std::process::id()));
    std::fs::create_dir_all(&fresh).map_err(|e| SearchError::io(&fresh, e))?;
    let (schema, fields) = schema();
    let index = Index::create(
        super::dir::CacheDirectory::open(&fresh)?,
        schema,
        settings(),
    )?;
    register_tokenizers(&index);
    let state = match fill(store, &index, fields, head, overlay, inputs) {
        Ok(s) => s,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&fresh);
            return Err(e);
        }
    };
    drop(index);
    // Swap: readers of the old files keep them open until they are done.
    let old = parent.join(format!("search.old-{}", std::process::id()));
    if dir.symlink_metadata().is_ok() {
        std::fs::rename(dir, &old).map_err(|e| SearchError::io(dir, e))?;
    }
    std::fs::rename(&fresh, dir).map_err(|e| SearchError::io(&fresh, e))?;
    remove_leftovers(parent);
    let (index, reread) = open_dir(dir)?;
    debug_assert_eq!(reread, state);
    register_tokenizers(&index);
    Ok(SearchIndex {
        reader: reader_of(&index)?,
        index,
        fields,
        state,
        dir: Some(dir.to_path_buf()),
        update: Update::Rebuilt {
            reason: String::new(),
        },
        heavy: HEAVY,
        plan_starts: Default::default(),
        files: store.indexed_files(),
        shown: Default::default(),
    })
}

/// A ranking pass whose every word is in at least this many records is searched on two
/// threads when it can (see [`SearchIndex::heavy`]): "quyền trẻ em liên hợp quốc" at 100 000
/// records (34 575 candidates, 1.4 ms on one thread) takes 0.6 ms less. A pass with a rarer
/// word has fewer candidates than that; handing one of its segments to a thread still waking
/// up could make it wait longer than it takes ("thẩm phán": 0.013 ms on one thread, 0.03
/// when always handed out).
const HEAVY: u64 = 10_000;

/// Removes what builds left beside the index: the old index each swapped out, and the whole
/// of a build that was stopped (a process interrupted while building leaves one as large as
/// the index). The caller holds the lock, so no other build is under way; a reader of an old
/// index keeps its open files until it is done.
fn remove_leftovers(parent: &Path) {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name();
        let name = name.to_string_lossy();
        if name.starts_with("search.new-") || name.starts_with("search.old-") {
            let p = e.path();
            let _ = match e.file_type() {
                Ok(t) if t.is_dir() => std::fs::remove_dir_all(&p),
                _ => std::fs::remove_file(&p),
            };
        }
    }
}

/// How many of the best records of each ranking pass words found together may reorder: the
/// first records of a search are the same for any limit up to this.
const WINDOW: usize = 20;

/// A catch-up of at most this many records is written with small tables (see
/// [`CATCH_UP_TABLES`]).
const FEW_RECORDS: usize = 64;

/// An index of more segments than this, none holding a quarter of the records, is in pieces.
pub const MANY_PIECES: usize = 4;

/// See [`SearchIndex::in_pieces`]; `docs`: the records of each segment.
fn in_pieces(docs: &[u64]) -> Option<usize> {
    let total: u64 = docs.iter().sum();
    let largest = docs.iter().max()?;
    (docs.len() > MANY_PIECES && largest * (MANY_PIECES as u64) < total).then_some(docs.len())
}

/// A writer of one thread and little memory that merges only the segments it is told to.
fn merge_writer(index: &Index) -> Result<IndexWriter, SearchError> {
    let writer: IndexWriter = index.writer_with_options(
        tantivy::indexer::IndexWriterOptions::builder()
            .num_worker_threads(1)
            .num_merge_threads(1)
            .memory_budget_per_thread(15_000_000)
            .build(),
    )?;
    writer.set_merge_policy(Box::new(tantivy::indexer::NoMergePolicy));
    Ok(writer)
}

/// Segments of at most this many documents are merged as they pile up.
const SMALL_SEGMENT: usize = 2_000;

/// The memory tantivy sizes its tables from in a catch-up of a few records: a table of 256 kB
/// (it grows if need be), where a writer's smallest memory (15 MB) makes about 13 MB of tables
/// and queues, all zeroed before the first record.
const CATCH_UP_TABLES: usize = 1_000_000;

/// Marks the records at `paths` deleted in every segment that holds them, with a new deletion
/// file (named by `opstamp`) for each segment that changes, as tantivy's writer does. Returns
/// the index's segments as they are then: a segment left without a record is dropped.
fn delete_paths(
    index: &Index,
    fields: Fields,
    paths: &[String],
    opstamp: u64,
) -> Result<Vec<tantivy::SegmentMeta>, SearchError> {
    use tantivy::directory::TerminatingWrite;
    use tantivy::index::SegmentComponent;
    use tantivy::{DocSet, TERMINATED};
    let mut segments = Vec::new();
    for meta in index.searchable_segment_metas()? {
        let reader = tantivy::SegmentReader::open(&index.segment(meta.clone()))?;
        let alive = reader.alive_bitset();
        let postings = reader.inverted_index(fields.path)?;
        let mut gone = Vec::new();
        for rel in paths {
            let term = Term::from_field_text(fields.path, rel);
            let found = postings
                .read_postings(&term, IndexRecordOption::Basic)
                .map_err(|e| SearchError::io("search index", e))?;
            if let Some(mut docs) = found {
                let mut doc = docs.doc();
                while doc != TERMINATED {
                    if alive.is_none_or(|a| a.is_alive(doc)) {
                        gone.push(doc);
                    }
                    doc = docs.advance();
                }
            }
        }
        if gone.is_empty() {
            segments.push(meta);
            continue;
        }
        let mut bits = tantivy::BitSet::with_max_value_and_full(meta.max_doc());
        for doc in gone {
            bits.remove(doc);
        }
        if let Some(a) = alive {
            bits.intersect_update(a.bitset());
        }
        if bits.len() == 0 {
            continue;
        }
        let deleted = meta.max_doc() - bits.len() as u32;
        let meta = meta.with_delete_meta(deleted, opstamp);
        let path = meta.relative_path(SegmentComponent::Delete);
        let mut file = index
            .segment(meta.clone())
            .open_write(SegmentComponent::Delete)
            .map_err(|e| SearchError::Index(e.into()))?;
        tantivy::fastfield::write_alive_bitset(&bits, &mut file)
            .and_then(|()| file.terminate())
            .map_err(|e| SearchError::io(&path, e))?;
        segments.push(meta);
    }
    Ok(segments)
}

/// Deletes the files of the index that meta.json no longer names (deletion files replaced,
/// segments left without a record, what an interrupted catch-up wrote), as tantivy's writer
/// does after a commit: under its lock, which a reader holds while it opens its files. A reader
/// open before keeps what it opened.
fn collect_garbage(index: &mut Index) -> Result<(), SearchError> {
    let mut living = index.load_metas()?.list_segment_files();
    living.insert(PathBuf::from("meta.json"));
    index.directory_mut().garbage_collect(|| living)?;
    Ok(())
}

/// Merges the small segments catching up leaves as they pile up, as tantivy's log merge
/// policy picks them; never the large ones of a build (that would take seconds while the user
/// waits). A writer is started only when there is something to merge.
fn merge_small_segments(index: &Index) -> Result<(), SearchError> {
    use tantivy::indexer::MergePolicy;
    let mut policy = tantivy::indexer::LogMergePolicy::default();
    policy.set_max_docs_before_merge(SMALL_SEGMENT);
    let metas = index.searchable_segment_metas()?;
    let mut merges = policy.compute_merge_candidates(&metas);
    // A small segment holding records deleted (an edited record's old version) is written
    // again without them: tantivy counts them in the statistics it scores by until then, so
    // that in a small repository each edit would move every score (a record scored 15.3
    // before it was deleted and restored, 13.6 after). A large segment is left: there one
    // record more or less moves scores by a few hundred-thousandths.
    let taken: std::collections::HashSet<_> = merges.iter().flat_map(|m| m.0.clone()).collect();
    let stale: Vec<_> = metas
        .iter()
        .filter(|m| m.has_deletes() && m.max_doc() as usize <= SMALL_SEGMENT)
        .map(|m| m.id())
        .filter(|id| !taken.contains(id))
        .collect();
    if !stale.is_empty() {
        merges.push(tantivy::indexer::MergeCandidate(stale));
    }
    // Held, a segment's description keeps its files from being collected once it is merged.
    drop(metas);
    if merges.is_empty() {
        return Ok(());
    }
    let mut writer = merge_writer(index)?;
    for m in merges {
        writer.merge(&m.0).wait()?;
    }
    writer.wait_merging_threads()?;
    Ok(())
}

/// Re-reads the records that changed since the indexed state. The caller holds the lock.
fn catch_up(
    store: &Store,
    mut index: Index,
    state: State,
    head: &Option<String>,
    blobs: &mut HeadBlobs<'_>,
    overlay: &Overlay,
    dir: &Path,
) -> Result<SearchIndex, SearchError> {
    register_tokenizers(&index);
    let fields = schema().1;
    let mut paths: Vec<String> = match (&state.commit, head) {
        (Some(old), Some(new)) if old == new => vec![],
        (Some(old), Some(new)) => {
            if !store.has_commit(old) {
                return Err(SearchError::Corrupt(format!(
                    "the indexed commit {old} is no longer in the repository"
                )));
            }
            blobs.changed(old, new)?
        }
        (None, None) => vec![],
        (None, Some(new)) => store
            .record_entries(new)?
            .into_iter()
            .map(|e| e.path)
            .collect(),
        (Some(_), None) => {
            return Err(SearchError::Corrupt("HEAD has no commit any more".into()));
        }
    };
    paths.extend(state.overlay.keys().cloned());
    paths.extend(overlay.keys().cloned());
    paths.sort();
    paths.dedup();
    if paths.len() >= MANY_CHANGES {
        notify(Notice::CatchingUp {
            records: paths.len(),
        });
    }
    // Written here as tantivy's writer would commit them, without starting one: a writer
    // zeroes some 13 MB of tables and queues before its first record, most of the time of a
    // catch-up of a few.
    // What a catch-up stopped half way left (a deletion file of the number this one takes):
    // away first.
    collect_garbage(&mut index)?;
    let opstamp = index.load_metas()?.opstamp + 1;
    let mut segments = delete_paths(&index, fields, &paths, opstamp)?;
    let written = std::sync::Mutex::new(Vec::new());
    let mut out = Segments::new(&index, build_memory(), &written);
    if paths.len() <= FEW_RECORDS {
        // Tables for a few records (tantivy makes them larger if need be).
        out.tables = CATCH_UP_TABLES;
    }
    for rel in &paths {
        let (blob, content) = match overlay.get(rel) {
            Some((b, c)) => (b.clone(), c.clone()),
            None => match blobs.get(rel)? {
                Some(b) => {
                    let content = store.read_blob(&b)?;
                    (b, Some(content))
                }
                None => (String::new(), None),
            },
        };
        if let Some(bytes) = content
            && let Some(r) = RecordDoc::from_file(rel, &bytes)
        {
            out.add(to_tantivy(&fields, &r, &blob))?;
        }
    }
    out.flush()?;
    segments.extend(written.into_inner().unwrap_or_else(|e| e.into_inner()));
    let new_state = State::of(store, head, overlay);
    commit_segments(&index, segments, opstamp, &new_state)?;
    collect_garbage(&mut index)?;
    merge_small_segments(&index)?;
    let reader = reader_of(&index)?;
    Ok(SearchIndex {
        index,
        reader,
        fields,
        state: new_state,
        dir: Some(dir.to_path_buf()),
        update: Update::CaughtUp {
            records: paths.len(),
        },
        heavy: HEAVY,
        plan_starts: Default::default(),
        files: store.indexed_files(),
        shown: Default::default(),
    })
}

/// How closely opening the index checks the work tree for uncommitted edits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    /// The `stat` of every record file: every edit is seen. Costs a `stat` per record file.
    Exact,
    /// The `stat` of folders only: sees every commit and every file created, deleted or saved
    /// by rename (how kehoach, git and most editors write). An edit written in place into an
    /// existing file is seen by the next exact open (`kehoach index`, the TUI at start).
    Quick,
}

/// The work tree when the index was last brought up to date.
///
/// Kept in two files: `search.snap`, JSON with everything but the folders, and `search.dirs`,
/// the folders (thousands in a large repository) in a compact binary form read in place, then
/// their count again, so that a short or damaged file is never taken for a whole one. The
/// folders change far less often than the rest: their file is rewritten only when they do.
/// Both carry the same id, so that a folders file is never read with another snapshot's.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
struct Snapshot<'b> {
    /// The commit the index reflected then.
    commit: Option<String>,
    /// The id of the folders file written with this snapshot.
    dirs_id: String,
    /// The folders' stat, to tell which changed (read in place from the file).
    #[serde(skip)]
    dir_stats: SnapDirs<'b>,
    /// Fingerprint of every record file's stat, at the last exact check.
    files: Option<String>,
    /// Files written in the same clock tick as the snapshot: their stat may not show a change
    /// made right after, so their content is checked each time.
    racy: Vec<String>,
    /// Folders changed in the same clock tick: the next open looks into them again.
    racy_dirs: Vec<String>,
}

const SNAPSHOT: &str = "search.snap";
const SNAPSHOT_DIRS: &str = "search.dirs";
const STATS: &str = "search.stats";

fn fingerprint(stats: &[FileStat]) -> String {
    fingerprint_of(stats.iter().map(stat_hash))
}

/// [`fingerprint`] from the files' stat hashes.
fn fingerprint_of(hashes: impl ExactSizeIterator<Item = u64>) -> String {
    let (mut a, mut b) = (0u64, 0u64);
    let n = hashes.len();
    for x in hashes {
        a = a.wrapping_add(x);
        b ^= x.rotate_left(17).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
    format!("{n:x}-{a:016x}{b:016x}")
}

/// Every record file of the work tree with its stat hash ([`stat_hash`]), hashed once for
/// all that compares and records them.
struct Walked {
    files: Vec<FileStat>,
    hashes: Vec<u64>,
}

impl Walked {
    fn of(store: &Store) -> Result<Walked, SearchError> {
        let files = store.stat_record_files()?;
        let hashes = files.iter().map(stat_hash).collect();
        Ok(Walked { files, hashes })
    }
}

fn stat_hash(st: &FileStat) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::hash::DefaultHasher::new();
    st.hash(&mut h);
    h.finish()
}

/// The bytes of the snapshot's two files, to read with [`parse_snapshot`]; None when there
/// is none.
type SnapshotBytes = (Vec<u8>, Vec<u8>);

fn read_snapshot(store: &Store) -> Option<SnapshotBytes> {
    read_snapshot_at(
        &store.private_path(SNAPSHOT),
        &store.private_path(SNAPSHOT_DIRS),
    )
}

/// [`read_snapshot`] from the two files' paths, from any thread.
fn read_snapshot_at(head: &Path, dirs: &Path) -> Option<SnapshotBytes> {
    let head = Store::read_private_at(head).ok()??;
    let dirs = Store::read_private_at(dirs).ok()??;
    Some((head, dirs))
}

const SNAPSHOT_MAGIC: &[u8] = b"kehoach search snapshot 3\n";
const DIRS_MAGIC: &[u8] = b"kehoach search folders 1\n";

/// Bytes of one folder in the snapshot: modification and change times, inode, and where its
/// path ends in the paths that follow the folders.
const DIR_RECORD: usize = 28;

/// The folders of a snapshot, read in place: fixed-size records, then their paths.
#[derive(Debug, Clone, Copy, Default)]
struct SnapDirs<'b> {
    records: &'b [u8],
    paths: &'b str,
}

impl SnapDirs<'_> {
    fn end(&self, i: usize) -> usize {
        let r = &self.records[i * DIR_RECORD..(i + 1) * DIR_RECORD];
        u32::from_le_bytes(r[24..28].try_into().expect("four bytes")) as usize
    }
}

impl KnownDirs for SnapDirs<'_> {
    fn len(&self) -> usize {
        self.records.len() / DIR_RECORD
    }
    fn get(&self, i: usize) -> DirStat<'_> {
        let r = &self.records[i * DIR_RECORD..(i + 1) * DIR_RECORD];
        let start = if i == 0 { 0 } else { self.end(i - 1) };
        let u64_at = |b: &[u8]| u64::from_le_bytes(b.try_into().expect("eight bytes"));
        DirStat {
            // Checked when the snapshot was read.
            path: std::borrow::Cow::Borrowed(&self.paths[start..self.end(i)]),
            mtime_ns: u64_at(&r[0..8]) as i64,
            ctime_ns: u64_at(&r[8..16]) as i64,
            ino: u64_at(&r[16..24]),
        }
    }
}

/// Reads a snapshot from its two files' bytes; the folders are read in place as they are
/// wanted.
fn parse_snapshot((head, dirs): &SnapshotBytes) -> Option<Snapshot<'_>> {
    let u64_at = |b: &[u8]| u64::from_le_bytes(b.try_into().expect("eight bytes"));
    let mut snap: Snapshot = serde_json::from_slice(head.strip_prefix(SNAPSHOT_MAGIC)?).ok()?;
    let mut rest = dirs.strip_prefix(DIRS_MAGIC)?;
    let mut take = |n: usize| -> Option<&[u8]> {
        let (a, b) = (rest.get(..n)?, rest.get(n..)?);
        rest = b;
        Some(a)
    };
    let id_len = u64_at(take(8)?) as usize;
    if take(id_len)? != snap.dirs_id.as_bytes() {
        return None;
    }
    let count = u64_at(take(8)?) as usize;
    let records = take(count.checked_mul(DIR_RECORD)?)?;
    let paths_len = u64_at(take(8)?) as usize;
    let paths = std::str::from_utf8(take(paths_len)?).ok()?;
    (u64_at(take(8)?) as usize == count && rest.is_empty()).then_some(())?;
    let dirs = SnapDirs { records, paths };
    // Each path must end after the one before, on a character boundary, the last at the end.
    let mut start = 0;
    for i in 0..count {
        let end = dirs.end(i);
        if end < start || !paths.is_char_boundary(end) || (i + 1 == count && end != paths.len()) {
            return None;
        }
        start = end;
    }
    if count == 0 && !paths.is_empty() {
        return None;
    }
    snap.dir_stats = dirs;
    Some(snap)
}

/// The snapshot's files: `head` (its folders left out) and, when given, the folders `dirs`
/// (with `head.dirs_id`).
fn snapshot_bytes(
    head: &Snapshot<'_>,
    dirs: Option<&[DirStat<'_>]>,
) -> Result<(Vec<u8>, Option<Vec<u8>>), SearchError> {
    let mut out = SNAPSHOT_MAGIC.to_vec();
    serde_json::to_writer(&mut out, head).map_err(|e| SearchError::Corrupt(e.to_string()))?;
    let Some(dirs) = dirs else {
        return Ok((out, None));
    };
    let n = dirs.len();
    let paths_len: usize = dirs.iter().map(|d| d.path.len()).sum();
    u32::try_from(paths_len)
        .map_err(|_| SearchError::Corrupt("too many folders to record".into()))?;
    let id = head.dirs_id.as_bytes();
    let mut d = Vec::with_capacity(64 + id.len() + n * DIR_RECORD + paths_len);
    d.extend_from_slice(DIRS_MAGIC);
    d.extend_from_slice(&(id.len() as u64).to_le_bytes());
    d.extend_from_slice(id);
    let count = (n as u64).to_le_bytes();
    d.extend_from_slice(&count);
    let mut end = 0u32;
    for x in dirs {
        end += x.path.len() as u32;
        d.extend_from_slice(&x.mtime_ns.to_le_bytes());
        d.extend_from_slice(&x.ctime_ns.to_le_bytes());
        d.extend_from_slice(&x.ino.to_le_bytes());
        d.extend_from_slice(&end.to_le_bytes());
    }
    d.extend_from_slice(&(paths_len as u64).to_le_bytes());
    for x in dirs {
        d.extend_from_slice(x.path.as_bytes());
    }
    d.extend_from_slice(&count);
    Ok((out, Some(d)))
}

/// Each file's stat hash, from the last exact check: `HASH PATH` lines, in the order the
/// files were walked.
fn read_stats(store: &Store) -> Option<String> {
    String::from_utf8(store.read_private(STATS).ok()??).ok()
}

/// The text [`read_stats`] reads back: a line for each of `files`, whose stat hashes are
/// `hashes`.
fn stats_lines(files: &[FileStat], hashes: &[u64]) -> String {
    use std::fmt::Write;
    let mut lines = String::with_capacity(files.len() * 64);
    for (f, h) in files.iter().zip(hashes) {
        let _ = writeln!(lines, "{h:016x} {}", f.path);
    }
    lines
}

/// One line of [`read_stats`]: the stat hash and the path.
fn stat_line(line: &str) -> Option<(u64, &str)> {
    let (h, p) = line.split_once(' ')?;
    Some((u64::from_str_radix(h, 16).ok()?, p))
}

/// The files of `files` (with their stat hashes, `hashes`) whose stat differs from `old` (see
/// [`read_stats`]), and those of `old` gone since; None when `old` cannot be read.
///
/// A walk usually meets the files in the order of the last one: the two lists are compared
/// line by line for as long as they name the same files, and only what follows (after a file
/// created, deleted or met in another order) is matched by path.
fn changed_files(old: &str, files: &[FileStat], hashes: &[u64]) -> Option<Vec<String>> {
    let mut out = Vec::new();
    let mut lines = old.lines();
    let mut rest = None;
    let mut i = 0;
    while i < files.len()
        && let Some(line) = lines.next()
    {
        let (h, p) = stat_line(line)?;
        if p != files[i].path {
            rest = Some((p, h));
            break;
        }
        if h != hashes[i] {
            out.push(p.to_string());
        }
        i += 1;
    }
    let mut by_path = lines
        .map(|l| stat_line(l).map(|(h, p)| (p, h)))
        .chain(rest.map(Some))
        .collect::<Option<std::collections::HashMap<&str, u64>>>()?;
    for (f, h) in files[i..].iter().zip(&hashes[i..]) {
        if by_path.remove(f.path.as_str()) != Some(*h) {
            out.push(f.path.clone());
        }
    }
    out.extend(by_path.into_keys().map(String::from));
    Some(out)
}

/// The folders a new snapshot records.
enum Folders<'a> {
    /// Those of this snapshot, unchanged: its folders file stays as it is.
    Kept(&'a Snapshot<'a>),
    /// Others: a new folders file is written.
    New(Vec<DirStat<'a>>),
}

/// An id for a new folders file, unlike any before it.
fn new_dirs_id() -> String {
    static WRITTEN: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let n = WRITTEN.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("{now:x}-{:x}-{n:x}", std::process::id())
}

/// Writes the snapshot, taken after the file-system time `taken`; `files` when they were
/// walked (else the last exact fingerprint stays, with `old`).
fn write_snapshot(
    store: &Store,
    folders: Folders<'_>,
    files: Option<&Walked>,
    old: Option<&Snapshot<'_>>,
    taken: i64,
    commit: &Option<String>,
) -> Result<(), SearchError> {
    // Changed in the same clock tick as the snapshot: a change right after may not show.
    let is_racy = |m: i64, c: i64| m >= taken || c >= taken;
    let (files_fp, racy) = match files {
        Some(Walked { files, hashes }) => {
            store.write_private(STATS, stats_lines(files, hashes).as_bytes())?;
            (
                Some(fingerprint_of(hashes.iter().copied())),
                files
                    .iter()
                    .filter(|s| is_racy(s.mtime_ns, s.ctime_ns))
                    .map(|s| s.path.clone())
                    .collect(),
            )
        }
        None => (
            old.and_then(|o| o.files.clone()),
            old.map(|o| o.racy.clone()).unwrap_or_default(),
        ),
    };
    let (dirs_id, known, new): (_, &dyn KnownDirs, _) = match &folders {
        Folders::Kept(kept) => (kept.dirs_id.clone(), &kept.dir_stats, None),
        Folders::New(dirs) => (new_dirs_id(), dirs, Some(dirs.as_slice())),
    };
    let racy_dirs = (0..known.len())
        .map(|i| known.get(i))
        .filter(|d| is_racy(d.mtime_ns, d.ctime_ns))
        .map(|d| d.path.into_owned())
        .collect();
    let snap = Snapshot {
        commit: commit.clone(),
        dirs_id,
        racy_dirs,
        dir_stats: SnapDirs::default(),
        files: files_fp,
        racy,
    };
    let (head, dirs) = snapshot_bytes(&snap, new)?;
    // The folders first: until the snapshot naming them is in place, they are not read.
    if let Some(dirs) = dirs {
        store.write_private(SNAPSHOT_DIRS, &dirs)?;
    }
    store.write_private(SNAPSHOT, &head)?;
    Ok(())
}

/// What the index should hold for `rel`: None when it is the commit's version, else the
/// work-tree blob and content ("" and None for a file deleted in the work tree).
fn overlay_entry(
    store: &Store,
    head: &mut HeadBlobs<'_>,
    rel: &str,
) -> Result<Option<OverlayEntry>, SearchError> {
    let wt = store.read_worktree(rel)?;
    let head_blob = head.get(rel)?;
    Ok(match (wt, head_blob) {
        (None, None) => None,
        (None, Some(_)) => Some((String::new(), None)),
        (Some(c), hb) => {
            let b = Store::blob_id(&c);
            if hb.as_deref() == Some(b.as_str()) {
                None
            } else {
                Some((b, Some(c)))
            }
        }
    })
}

/// The blobs of HEAD's record files, looked up folder by folder when first asked for (see
/// `Store::blobs_at`); and the record files two commits differ in, worked out once.
struct HeadBlobs<'s> {
    store: &'s Store,
    head: Option<String>,
    blobs: Option<crate::store::tree::BlobsAt<'s>>,
    /// The last two commits compared, and the record files they differ in.
    changed: Option<(String, String, Vec<String>)>,
}

impl<'s> HeadBlobs<'s> {
    fn new(store: &'s Store, head: &Option<String>) -> Self {
        HeadBlobs {
            store,
            head: head.clone(),
            blobs: None,
            changed: None,
        }
    }

    /// The record files that differ between commits `old` and `new` (see
    /// `Store::changed_record_paths`): the overlay and the catch-up after it both ask.
    fn changed(&mut self, old: &str, new: &str) -> Result<Vec<String>, SearchError> {
        if let Some((o, n, paths)) = &self.changed
            && o == old
            && n == new
        {
            return Ok(paths.clone());
        }
        let paths = self.store.changed_record_paths(old, new)?;
        self.changed = Some((old.to_string(), new.to_string(), paths.clone()));
        Ok(paths)
    }

    /// HEAD's tree, read when first asked for; None when there is no commit.
    fn at_head(&mut self) -> Result<Option<&mut crate::store::tree::BlobsAt<'s>>, SearchError> {
        let Some(head) = &self.head else {
            return Ok(None);
        };
        if self.blobs.is_none() {
            self.blobs = Some(self.store.blobs_at(head)?);
        }
        Ok(self.blobs.as_mut())
    }

    /// The blob of the record file at `rel` in HEAD; None when HEAD has none (or no commit).
    fn get(&mut self, rel: &str) -> Result<Option<String>, SearchError> {
        Ok(match self.at_head()? {
            Some(blobs) => blobs.get(rel)?,
            None => None,
        })
    }

    /// The record files HEAD has in the folder at `dir` (relative to the data root).
    fn files_in(&mut self, dir: &str) -> Result<Vec<String>, SearchError> {
        Ok(match self.at_head()? {
            Some(blobs) => blobs.record_files_in(dir)?,
            None => vec![],
        })
    }
}

/// True when every racy file still holds what the index has for it.
fn racy_ok(
    store: &Store,
    racy: &[String],
    state: &State,
    blobs: &mut HeadBlobs<'_>,
) -> Result<bool, SearchError> {
    for rel in racy {
        let want = overlay_entry(store, blobs, rel)?.map(|(b, _)| b);
        if want.as_ref() != state.overlay.get(rel) {
            return Ok(false);
        }
    }
    Ok(true)
}

/// The record files of the folders that changed since the snapshot (and of those it could not
/// be sure of). None when a folder went away: then git must tell what it held.
fn files_in_changed_dirs(
    store: &Store,
    snap: &Snapshot<'_>,
    now: Option<&DirsNow<'_>>,
    blobs: &mut HeadBlobs<'_>,
) -> Result<Option<Vec<String>>, SearchError> {
    let mut dirs: Vec<&str> = snap.racy_dirs.iter().map(String::as_str).collect();
    if let Some(now) = now {
        if now.gone {
            return Ok(None);
        }
        dirs.extend(now.changed.iter().map(String::as_str));
    }
    let mut out = Vec::new();
    for d in dirs {
        out.extend(store.record_files_in(d)?);
        // And those HEAD has there: a file deleted from the folder is no longer in it.
        out.extend(blobs.files_in(d)?);
    }
    out.sort();
    out.dedup();
    Ok(Some(out))
}

/// The overlay, found from what changed since the last snapshot: files in changed folders,
/// files whose stat changed (when `files` were walked), racy files, files of the old overlay,
/// and files the commits differ in. None when it cannot tell (then git's status is asked).
/// `now` None: as if no folder changed.
fn overlay_since(
    store: &Store,
    state: &State,
    snap: &Snapshot<'_>,
    now: Option<&DirsNow<'_>>,
    files: Option<&Walked>,
    head: &Option<String>,
    blobs: &mut HeadBlobs<'_>,
) -> Result<Option<Overlay>, SearchError> {
    use std::collections::BTreeSet;
    let mut cands: BTreeSet<String> = BTreeSet::new();
    let Some(in_dirs) = files_in_changed_dirs(store, snap, now, blobs)? else {
        return Ok(None); // a folder went away: let git tell what it held
    };
    cands.extend(in_dirs);
    // Files.
    if let Some(files) = files {
        let changed =
            read_stats(store).and_then(|old| changed_files(&old, &files.files, &files.hashes));
        let Some(changed) = changed else {
            return Ok(None);
        };
        cands.extend(changed);
    }
    cands.extend(snap.racy.iter().cloned());
    cands.extend(state.overlay.keys().cloned());
    match (&state.commit, head) {
        (Some(a), Some(b)) if a != b => {
            if !store.has_commit(a) {
                return Ok(None);
            }
            cands.extend(blobs.changed(a, b)?);
        }
        (a, b) if a != b => return Ok(None),
        _ => {}
    }
    let mut out = Overlay::new();
    for rel in cands {
        if let Some(e) = overlay_entry(store, blobs, &rel)? {
            out.insert(rel, e);
        }
    }
    Ok(Some(out))
}

/// The common catch-up, after a commit: the changes of HEAD are indexed while another thread
/// checks the folders (this one helps when done); a second, small catch-up follows only when
/// the folders show files created, deleted or renamed since. None when this way does not apply
/// (no usable index, a folder gone: then git is asked). The caller holds the lock.
fn catch_up_overlapped(
    store: &Store,
    snap: &Snapshot<'_>,
    head: &Option<String>,
    dir: &Path,
    taken: i64,
) -> Result<Option<SearchIndex>, SearchError> {
    if snap.dir_stats.is_empty() {
        return Ok(None);
    }
    // HEAD's trees, read once for all that follows.
    let mut blobs = HeadBlobs::new(store, head);
    let (first, changes) = check_record_dirs(store.root(), &snap.dir_stats, false, || {
        let Ok((index, state)) = open_dir(dir) else {
            return Ok(None);
        };
        if state.format != FORMAT || state.prefix != store.prefix() || snap.commit != state.commit {
            return Ok(None);
        }
        // First as if no folder changed.
        let Some(first) = overlay_since(store, &state, snap, None, None, head, &mut blobs)? else {
            return Ok(None);
        };
        // An index that cannot be caught up with (a damaged file) is left to the slower
        // path, which says why and rebuilds it.
        let Ok(si) = catch_up_if_needed(store, index, state, head, &mut blobs, &first, dir) else {
            return Ok(None);
        };
        Ok::<_, SearchError>(Some((si, first)))
    });
    let Some((si, first)) = first? else {
        return Ok(None);
    };
    let now = dirs_now(store.root(), &snap.dir_stats, &changes);
    // The files of the folders that changed, over the first overlay (which already looked at
    // everything else).
    let Some(in_dirs) = files_in_changed_dirs(store, snap, Some(&now), &mut blobs)? else {
        return Ok(None);
    };
    let mut overlay = first.clone();
    for rel in in_dirs {
        match overlay_entry(store, &mut blobs, &rel)? {
            Some(e) => overlay.insert(rel, e),
            None => overlay.remove(&rel),
        };
    }
    let si = if overlay == first {
        si
    } else {
        let before = match si.update {
            Update::CaughtUp { records } => records,
            _ => 0,
        };
        let Ok(mut again) =
            catch_up_if_needed(store, si.index, si.state, head, &mut blobs, &overlay, dir)
        else {
            return Ok(None);
        };
        if let Update::CaughtUp { records } = &mut again.update {
            *records += before;
        }
        again
    };
    let folders = match now.dirs {
        None => Folders::Kept(snap),
        Some(dirs) => Folders::New(dirs),
    };
    write_snapshot(store, folders, None, Some(snap), taken, head)?;
    Ok(Some(si))
}

/// Catches up with `head` and `overlay`, or opens the index as it is when it already matches.
fn catch_up_if_needed(
    store: &Store,
    index: Index,
    state: State,
    head: &Option<String>,
    blobs: &mut HeadBlobs<'_>,
    overlay: &Overlay,
    dir: &Path,
) -> Result<SearchIndex, SearchError> {
    let same = state.commit == *head
        && overlay.len() == state.overlay.len()
        && overlay
            .iter()
            .all(|(p, (b, _))| state.overlay.get(p) == Some(b));
    if !same {
        return catch_up(store, index, state, head, blobs, overlay, dir);
    }
    as_it_is(store, index, state, dir)
}

/// The index in `dir` opened as it is, reflecting `state`.
fn as_it_is(
    store: &Store,
    index: Index,
    state: State,
    dir: &Path,
) -> Result<SearchIndex, SearchError> {
    register_tokenizers(&index);
    Ok(SearchIndex {
        reader: reader_of(&index)?,
        index,
        fields: schema().1,
        state,
        dir: Some(dir.to_path_buf()),
        update: Update::UpToDate,
        heavy: HEAVY,
        plan_starts: Default::default(),
        files: store.indexed_files(),
        shown: Default::default(),
    })
}

/// Brings the index up to date under the writers' lock: catches up, or rebuilds when it must
/// (or when `force`), then records the work tree's snapshot.
fn sync(store: &Store, force: bool, freshness: Freshness) -> Result<SearchIndex, SearchError> {
    let dir = index_dir(store);
    let _lock = lock(store)?;
    if let Some(parent) = dir.parent() {
        remove_leftovers(parent);
    }
    let head = store.head_commit_id()?;
    // A rebuild, asked for or of a missing index: git is read for it meanwhile.
    let mut inputs =
        (force || !dir.join("meta.json").exists()).then(|| Inputs::start(store, &head));
    let taken = store.fs_now_ns()?;
    let old_bytes = read_snapshot(store);
    let old_snap = old_bytes.as_ref().and_then(parse_snapshot);
    if !force
        && freshness == Freshness::Quick
        && let Some(snap) = &old_snap
        && let Some(si) = catch_up_overlapped(store, snap, &head, &dir, taken)?
    {
        return Ok(si);
    }
    let now = match &old_snap {
        Some(snap) if !snap.dir_stats.is_empty() => {
            let ((), changes) = check_record_dirs(store.root(), &snap.dir_stats, false, || ());
            Some(dirs_now(store.root(), &snap.dir_stats, &changes))
        }
        _ => None,
    };
    let files = match freshness {
        Freshness::Exact => Some(Walked::of(store)?),
        Freshness::Quick => None,
    };
    let existing = open_dir(&dir);
    let mut reason = match &existing {
        _ if force => Some("asked for".to_string()),
        Err(SearchError::OtherFields) => {
            Some("the index was made by another version (its fields differ)".to_string())
        }
        Err(e) => Some(if dir.exists() {
            format!("the index could not be read ({e})")
        } else {
            "there was no index".to_string()
        }),
        Ok((_, state)) if state.format != FORMAT => {
            Some("the index was made by another version".to_string())
        }
        Ok((_, state)) if state.prefix != store.prefix() => Some("the data root moved".to_string()),
        Ok(_) => None,
    };
    // What the work tree holds over HEAD: from the snapshot when there is one, else from git.
    let mut blobs = HeadBlobs::new(store, &head);
    let since = match (&existing, &old_snap, &now) {
        (Ok((_, state)), Some(snap), Some(now))
            if state.format == FORMAT
                && state.prefix == store.prefix()
                && snap.commit == state.commit =>
        {
            overlay_since(
                store,
                state,
                snap,
                Some(now),
                files.as_ref(),
                &head,
                &mut blobs,
            )?
        }
        _ => None,
    };
    let dirs = match (now.and_then(|now| now.dirs), &old_snap) {
        (Some(dirs), _) => Folders::New(dirs),
        // The folders were checked and are those of the snapshot.
        (None, Some(snap)) if !snap.dir_stats.is_empty() => Folders::Kept(snap),
        (None, _) => Folders::New(store.stat_record_dirs()),
    };
    let overlay = match since {
        Some(o) => o,
        None => wanted_overlay(store)?,
    };
    if reason.is_none()
        && let Ok((index, state)) = existing
    {
        match catch_up_if_needed(store, index, state, &head, &mut blobs, &overlay, &dir) {
            Ok(si) => {
                write_snapshot(store, dirs, files.as_ref(), old_snap.as_ref(), taken, &head)?;
                return Ok(si);
            }
            Err(e) => reason = Some(format!("catching up failed ({e})")),
        }
    }
    let reason = reason.unwrap_or_default();
    notify(Notice::Building {
        reason: (!force).then_some(reason.as_str()),
    });
    let mut si = rebuild_locked(store, &head, &overlay, &dir, inputs.take())?;
    // After a rebuild the file fingerprint must come from a walk, whatever was asked.
    let files = match files {
        Some(f) => f,
        None => Walked::of(store)?,
    };
    write_snapshot(store, dirs, Some(&files), None, taken, &head)?;
    si.update = Update::Rebuilt { reason };
    Ok(si)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wait_for_another_process_and_a_full_build_are_announced() {
        static SAID: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
        fn tell(n: Notice<'_>) {
            SAID.lock().unwrap().push(format!("{n:?}"));
        }
        let said = |what: &str| SAID.lock().unwrap().iter().any(|s| s.contains(what));
        let t = tempfile::tempdir().unwrap();
        let store = crate::store::demo::make_demo(&t.path().join("repo")).unwrap();
        set_notices(Some(tell));
        // Held as another process updating the index holds it.
        let held = lock(&store).unwrap();
        let root = store.root().to_path_buf();
        let waiting = std::thread::spawn(move || {
            SearchIndex::open(&Store::open(&root)?).map_err(|e| StoreError::Other(e.to_string()))
        });
        let lock_path = format!("{:?}", store.private_path("search.lock"));
        let begun = std::time::Instant::now();
        while !said(&format!("Waiting {{ lock: {lock_path} }}")) {
            assert!(
                begun.elapsed() < std::time::Duration::from_secs(60),
                "the wait was not announced: {:?}",
                SAID.lock().unwrap()
            );
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        assert!(!waiting.is_finished(), "it waits for the lock");
        drop(held);
        let index = waiting.join().unwrap().unwrap();
        assert!(index.len() > 60);
        assert!(said("Building { reason: Some(\"there was no index\") }"));
        set_notices(None);
    }

    #[test]
    fn a_building_thread_starts_a_new_segment_when_one_fills_its_memory() {
        let (schema, fields) = schema();
        let index = Index::create_in_ram(schema);
        register_tokenizers(&index);
        let written = std::sync::Mutex::new(Vec::new());
        // Tantivy's smallest budget is 15 MB, of which its tables take 13.6 from the start.
        let mut out = Segments::new(&index, 16_000_000, &written);
        for i in 0..2_000 {
            let doc = assignment_doc(
                &format!("a{i}"),
                "in_progress",
                format!("Nhiệm vụ số {i}"),
                // Words of their own: the terms fill the memory.
                (0..60).map(|k| format!("từ{} ", i * 60 + k)).collect(),
            );
            out.add(to_tantivy(&fields, &doc, "")).unwrap();
        }
        out.flush().unwrap();
        let segments = written.into_inner().unwrap();
        assert!(
            (2..20).contains(&segments.len()),
            "{} segments",
            segments.len()
        );
        let state = State {
            format: FORMAT,
            prefix: String::new(),
            commit: Some("c".into()),
            overlay: BTreeMap::new(),
        };
        commit_segments(&index, segments.clone(), 2_000, &state).unwrap();
        let meta = index.load_metas().unwrap();
        assert_eq!(meta.segments.len(), segments.len());
        assert_eq!(
            serde_json::from_str::<State>(meta.payload.as_deref().unwrap()).unwrap(),
            state
        );
        let searcher = reader_of(&index).unwrap().searcher();
        assert_eq!(searcher.num_docs(), 2_000);
        let one = TermQuery::new(
            Term::from_field_text(fields.title_f, "1999"),
            IndexRecordOption::Basic,
        );
        assert_eq!(
            searcher.search(&one, &tantivy::collector::Count).unwrap(),
            1
        );
    }

    #[test]
    fn word_fields_keep_frequencies_so_that_intersections_are_pruned() {
        // tantivy prunes an intersection of words (block-max) only when every term reads
        // frequencies: without them on the exact-form fields, a search of six common words
        // took 4.2 ms instead of 1.7 at 100 000 records.
        let (schema, f) = schema();
        for field in [f.title_f, f.title_x, f.text_f] {
            let entry = schema.get_field_entry(field);
            let option = match entry.field_type() {
                tantivy::schema::FieldType::Str(o) => {
                    o.get_indexing_options().map(|i| i.index_option())
                }
                _ => None,
            };
            assert!(
                option.is_some_and(|o| o.has_freq()),
                "{}: {option:?}",
                entry.name()
            );
        }
    }

    #[test]
    fn periods_are_found_by_the_periods_that_hold_them() {
        let p: Period = "2025-06".parse().unwrap();
        assert_eq!(period_terms(&p), ["2025-06", "2025", "2025-h1", "2025-q2"]);
        let p: Period = "2025-h2".parse().unwrap();
        assert_eq!(period_terms(&p), ["2025-h2", "2025"]);
        let p: Period = "2025".parse().unwrap();
        assert_eq!(period_terms(&p), ["2025"]);
    }

    /// An assignment of plan `p`, as the index sees it.
    fn assignment_doc(id: &str, status: &str, title: String, text: String) -> RecordDoc {
        RecordDoc {
            kind: Kind::Assignment,
            id: id.to_string(),
            path: format!("plans/p/assignments/{id}.toml"),
            plan: Some("p".into()),
            agencies: vec![],
            lead: None,
            status: status.into(),
            period: None,
            due: None,
            assigns_work_on: None,
            title,
            text,
        }
    }

    /// An index in RAM of `segments` segments of `per` assignments each, whose texts hold a
    /// few common words a varying number of times (so that scores differ, and some tie).
    fn index_in_segments(segments: usize, per: usize) -> SearchIndex {
        let words = [
            "quyền", "trẻ", "em", "liên", "hợp", "quốc", "bà", "ba", "bá",
        ];
        let docs = (0..segments * per).map(|i| {
            let text: Vec<&str> = (0..2 + i % 11)
                .map(|k| words[(i + k * (1 + i % 4)) % words.len()])
                .collect();
            assignment_doc(
                &format!("a{i:04}"),
                if i % 3 == 0 { "in_progress" } else { "done" },
                format!("Nhiệm vụ {}", words[i % words.len()]),
                text.join(" "),
            )
        });
        index_of(docs, per)
    }

    /// An index in RAM of `docs`, in segments of `per`.
    fn index_of(docs: impl Iterator<Item = RecordDoc>, per: usize) -> SearchIndex {
        let (index, fields) = in_ram().unwrap();
        let written = std::sync::Mutex::new(Vec::new());
        let mut out = Segments::new(&index, 16_000_000, &written);
        let mut n = 0;
        for doc in docs {
            out.add(to_tantivy(&fields, &doc, "")).unwrap();
            n += 1;
            if n % per == 0 {
                out.flush().unwrap();
            }
        }
        out.flush().unwrap();
        let state = State {
            format: FORMAT,
            prefix: String::new(),
            commit: Some("c".into()),
            overlay: BTreeMap::new(),
        };
        let written = written.into_inner().unwrap();
        commit_segments(&index, written, n as u64, &state).unwrap();
        SearchIndex {
            reader: reader_of(&index).unwrap(),
            index,
            fields,
            state,
            dir: None,
            update: Update::UpToDate,
            heavy: u64::MAX,
            plan_starts: Default::default(),
            files: IndexedFiles::new(Path::new("/nonexistent"), Path::new("/nonexistent")),
            shown: Default::default(),
        }
    }

    #[test]
    fn records_found_by_filters_alone_come_in_path_order_across_segments() {
        // Three segments, each holding every third record: the first records by path are in
        // every segment.
        let docs = (0..3).flat_map(|segment| {
            (0..90).filter(move |i| i % 3 == segment).map(|i| {
                let status = if i % 2 == 0 { "done" } else { "in_progress" };
                assignment_doc(&format!("a{i:03}"), status, "Nhiệm vụ".into(), "".into())
            })
        });
        let idx = index_of(docs, 30);
        assert_eq!(idx.reader.searcher().segment_readers().len(), 3);
        let path = |i: usize| format!("plans/p/assignments/a{i:03}.toml");
        let every: Vec<String> = (0..90).map(path).collect();
        let done: Vec<String> = (0..90).step_by(2).map(path).collect();
        for (q, want) in [("kind:assignment", &every), ("status:done", &done)] {
            for limit in [1, 2, 4, 7, 29, 45, 100] {
                let got: Vec<String> = idx
                    .search(&Query::parse(q).unwrap(), limit)
                    .unwrap()
                    .into_iter()
                    .map(|h| h.path)
                    .collect();
                assert_eq!(got, want[..limit.min(want.len())], "{q} {limit}");
            }
        }
    }

    #[test]
    fn segments_searched_in_any_order_give_the_same_best() {
        use tantivy::collector::Collector;
        let idx = index_in_segments(4, 120);
        let searcher = idx.reader.searcher();
        assert_eq!(searcher.segment_readers().len(), 4);
        for text in ["quyền trẻ em", "em", "ba", "bà liên hợp quốc"] {
            let q = Query::parse(text).unwrap();
            for (exact, limit) in [(false, 1), (false, 7), (true, 7), (false, 40)] {
                let words = idx.words_query(&q, exact, false);
                let weight = words
                    .weight(tantivy::query::EnableScoring::enabled_from_searcher(
                        &searcher,
                    ))
                    .unwrap();
                let best = |order: &[u32]| {
                    let top = TopRanked {
                        limit,
                        allow: None,
                        deny: None,
                        skip: Default::default(),
                        phrases: vec![],
                        forms: if exact { idx.forms(&q) } else { vec![] },
                        bar: Bar::none(),
                    };
                    let mut fruits: Vec<_> = order
                        .iter()
                        .map(|&s| {
                            let reader = &searcher.segment_readers()[s as usize];
                            (s, top.collect_segment(weight.as_ref(), s, reader).unwrap())
                        })
                        .collect();
                    fruits.sort_by_key(|(s, _)| *s);
                    top.merge_fruits(fruits.into_iter().map(|(_, f)| f).collect())
                        .unwrap()
                };
                let in_order = best(&[0, 1, 2, 3]);
                assert_eq!(in_order.len(), limit, "{text}");
                for order in [[3, 2, 1, 0], [2, 0, 3, 1], [1, 3, 0, 2]] {
                    assert_eq!(best(&order), in_order, "{text} {exact} {limit} {order:?}");
                }
            }
        }
    }

    #[test]
    fn a_search_on_two_threads_finds_what_one_finds() {
        let mut idx = index_in_segments(4, 120);
        let found = |idx: &SearchIndex, q: &Query, limit| {
            idx.search(q, limit)
                .unwrap()
                .into_iter()
                .map(|h| (h.id, h.score))
                .collect::<Vec<_>>()
        };
        for text in [
            "quyền trẻ em",
            "quyen tre em",
            "bà",
            "\"trẻ em\" -bá",
            "status:in_progress em",
            "liên hợp quốc",
        ] {
            let q = Query::parse(text).unwrap();
            for limit in [1, 5, 20, 60] {
                idx.heavy = u64::MAX;
                let alone = found(&idx, &q, limit);
                assert!(!alone.is_empty(), "{text}");
                idx.heavy = 1;
                for _ in 0..5 {
                    assert_eq!(found(&idx, &q, limit), alone, "{text} {limit}");
                }
            }
        }
    }

    #[test]
    fn snapshot_reads_back_and_a_damaged_one_is_refused() {
        let st = |p: &'static str, m: i64| DirStat {
            path: p.into(),
            mtime_ns: m,
            ctime_ns: -m,
            ino: u64::MAX - 1,
        };
        let dirs = vec![
            st("plans", 1),
            st("plans/kh 1/reports/2025-h1", 2),
            st("phố", 3),
        ];
        let snap = Snapshot {
            commit: Some("abc".into()),
            dirs_id: new_dirs_id(),
            dir_stats: SnapDirs::default(),
            files: Some("fp".into()),
            racy: vec!["agencies/x.toml".into()],
            racy_dirs: vec![],
        };
        let (head, folders) = snapshot_bytes(&snap, Some(&dirs)).unwrap();
        let folders = folders.unwrap();
        let both = (head.clone(), folders.clone());
        let back = parse_snapshot(&both).unwrap();
        let read: Vec<DirStat> = (0..back.dir_stats.len())
            .map(|i| back.dir_stats.get(i))
            .collect();
        assert_eq!(read, dirs);
        assert_eq!(
            (&back.commit, &back.files, &back.racy),
            (&snap.commit, &snap.files, &snap.racy)
        );
        // The snapshot alone, written again with the same folders, still reads them.
        let (again, none) = snapshot_bytes(&snap, None).unwrap();
        assert!(none.is_none());
        assert!(parse_snapshot(&(again, folders.clone())).is_some());
        // Folders written for another snapshot: refused.
        let other = Snapshot {
            dirs_id: new_dirs_id(),
            ..snap.clone()
        };
        let (_, other_folders) = snapshot_bytes(&other, Some(&dirs)).unwrap();
        assert!(parse_snapshot(&(head.clone(), other_folders.unwrap())).is_none());
        // Either file cut anywhere, or the count changed: not a snapshot.
        for n in 0..folders.len() {
            assert!(
                parse_snapshot(&(head.clone(), folders[..n].to_vec())).is_none(),
                "cut at {n}"
            );
        }
        for n in 0..head.len() {
            assert!(parse_snapshot(&(head[..n].to_vec(), folders.clone())).is_none());
        }
        let mut longer = folders.clone();
        longer.push(0);
        assert!(parse_snapshot(&(head.clone(), longer)).is_none());
        let mut wrong = folders.clone();
        let at = wrong.len() - 8;
        wrong[at] ^= 1;
        assert!(parse_snapshot(&(head.clone(), wrong)).is_none());
        // A path made to end inside a letter (of "phố"): refused, not read as a shorter one.
        let paths_len: usize = dirs.iter().map(|d| d.path.len()).sum();
        let records = folders.len() - 8 - paths_len - 8 - 3 * DIR_RECORD;
        let mut split = folders.clone();
        let end_of_second = records + DIR_RECORD + 24;
        let inside = (paths_len - "ố".len() + 1) as u32;
        split[end_of_second..end_of_second + 4].copy_from_slice(&inside.to_le_bytes());
        assert!(parse_snapshot(&(head, split)).is_none());
    }

    /// A file's stat, changed as `m` changes.
    fn st(p: &str, m: i64) -> FileStat {
        FileStat {
            path: p.into(),
            size: 10,
            mtime_ns: m,
            ctime_ns: m,
            ino: 1,
        }
    }

    #[test]
    fn fingerprint_ignores_order_and_sees_any_change() {
        let a = vec![st("a", 1), st("b", 2)];
        let b = vec![st("b", 2), st("a", 1)];
        assert_eq!(fingerprint(&a), fingerprint(&b));
        assert_ne!(fingerprint(&a), fingerprint(&[st("a", 1), st("b", 3)]));
        assert_ne!(fingerprint(&a), fingerprint(&[st("a", 1)]));
    }

    #[test]
    fn changed_files_are_found_in_the_order_walked_or_any_other() {
        let before = [st("a", 1), st("b", 1), st("c", 1), st("d", 1)];
        let hashes: Vec<u64> = before.iter().map(stat_hash).collect();
        let old = stats_lines(&before, &hashes);
        let changed = |files: &[FileStat]| {
            let hashes: Vec<u64> = files.iter().map(stat_hash).collect();
            let mut v = changed_files(&old, files, &hashes).unwrap();
            v.sort();
            v
        };
        assert!(changed(&before).is_empty());
        // One file changed, in the same order.
        assert_eq!(
            changed(&[st("a", 1), st("b", 2), st("c", 1), st("d", 1)]),
            ["b"]
        );
        // Created, deleted, and the rest met in another order.
        assert_eq!(
            changed(&[st("d", 1), st("a", 1), st("e", 1), st("c", 3)]),
            ["b", "c", "e"]
        );
        // The last files gone, or new ones after the last.
        assert_eq!(changed(&before[..2]), ["c", "d"]);
        let more = [&before[..], &[st("f", 1)]].concat();
        assert_eq!(changed(&more), ["f"]);
        assert_eq!(changed(&[]), ["a", "b", "c", "d"]);
        // A damaged line: the stats cannot be trusted.
        assert_eq!(changed_files("zz a\n", &before, &hashes), None);
    }
}
