//! A second thread that searches segments beside the one that asked, when it is awake in time.
//!
//! A heavy search (the caller decides: a ranking pass whose every word is in 10 000 records or
//! more) is cut by segment: the asking thread offers the search to the helper and starts on the
//! first segment; each thread takes the next segment nobody has taken. On a virtual machine whose idle processors halt,
//! the helper may wake only after the asking thread has taken every segment: then it finds
//! nothing left and the search has cost what it costs on one thread (and one wake-up call).
//! The asking thread waits only for segments the helper is working on.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock};

use tantivy::collector::Collector;
use tantivy::query::{EnableScoring, Query as TantivyQuery, Weight};

/// Work that any number of threads can help with, each taking parts nobody has taken.
trait Shared: Send + Sync {
    fn help(&self);
}

/// The helper thread's mailbox: the latest work offered, not yet picked up.
struct Helper {
    offered: Mutex<Option<Arc<dyn Shared>>>,
    wake: Condvar,
}

impl Helper {
    fn serve(&self) {
        loop {
            let work = {
                let mut offered = self.offered.lock().unwrap_or_else(|e| e.into_inner());
                loop {
                    if let Some(w) = offered.take() {
                        break w;
                    }
                    offered = self.wake.wait(offered).unwrap_or_else(|e| e.into_inner());
                }
            };
            work.help();
        }
    }
}

/// The helper, started on first use; None when the process may run on one processor only,
/// or when no thread could be started.
fn helper() -> Option<&'static Helper> {
    static HELPER: OnceLock<Option<&'static Helper>> = OnceLock::new();
    *HELPER.get_or_init(|| {
        let processors = std::thread::available_parallelism().map_or(1, |n| n.get());
        if processors < 2 {
            return None;
        }
        let h: &'static Helper = Box::leak(Box::new(Helper {
            offered: Mutex::new(None),
            wake: Condvar::new(),
        }));
        std::thread::Builder::new()
            .name("kehoach-search".into())
            .spawn(move || h.serve())
            .ok()
            .map(|_| h)
    })
}

/// What a collector makes of one segment.
type SegmentFruit<C> =
    tantivy::Result<<<C as Collector>::Child as tantivy::collector::SegmentCollector>::Fruit>;

/// One search, cut by segment.
struct BySegment<C: Collector> {
    searcher: tantivy::Searcher,
    weight: Box<dyn Weight>,
    collector: C,
    /// The next segment nobody has taken.
    next: AtomicUsize,
    /// What each segment gave, by segment.
    fruits: Mutex<Vec<Option<SegmentFruit<C>>>>,
    /// Segments finished.
    done: AtomicUsize,
}

impl<C: Collector> BySegment<C> {
    fn new(searcher: &tantivy::Searcher, weight: Box<dyn Weight>, collector: C) -> Self {
        let segments = searcher.segment_readers().len();
        BySegment {
            searcher: searcher.clone(),
            weight,
            collector,
            next: AtomicUsize::new(0),
            fruits: Mutex::new((0..segments).map(|_| None).collect()),
            done: AtomicUsize::new(0),
        }
    }
}

impl<C: Collector> Shared for BySegment<C> {
    fn help(&self) {
        let readers = self.searcher.segment_readers();
        loop {
            let i = self.next.fetch_add(1, Ordering::AcqRel);
            if i >= readers.len() {
                return;
            }
            let fruit = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                self.collector
                    .collect_segment(self.weight.as_ref(), i as u32, &readers[i])
            }))
            .unwrap_or_else(|_| {
                Err(tantivy::TantivyError::InternalError(
                    "a search thread stopped unexpectedly".into(),
                ))
            });
            self.fruits.lock().unwrap_or_else(|e| e.into_inner())[i] = Some(fruit);
            self.done.fetch_add(1, Ordering::AcqRel);
        }
    }
}

/// `searcher.search(query, collector)`, with the helper taking segments when it is awake in
/// time (see the module's documentation). `heavy`: whether the search is worth offering.
pub(super) fn search<C>(
    searcher: &tantivy::Searcher,
    query: &dyn TantivyQuery,
    collector: C,
    heavy: bool,
) -> tantivy::Result<C::Fruit>
where
    C: Collector + 'static,
{
    let segments = searcher.segment_readers().len();
    let helper = helper().filter(|_| heavy && segments > 1);
    let Some(helper) = helper else {
        return searcher.search(query, &collector);
    };
    let weight = query.weight(EnableScoring::enabled_from_searcher(searcher))?;
    let work = Arc::new(BySegment::new(searcher, weight, collector));
    {
        let mut offered = helper.offered.lock().unwrap_or_else(|e| e.into_inner());
        *offered = Some(Arc::clone(&work) as Arc<dyn Shared>);
    }
    helper.wake.notify_one();
    work.help();
    // Every segment is taken. Not picked up yet: taken back, so that the helper finds nothing
    // when it wakes.
    {
        let mut offered = helper.offered.lock().unwrap_or_else(|e| e.into_inner());
        if offered
            .as_ref()
            .is_some_and(|o| std::ptr::addr_eq(Arc::as_ptr(o), Arc::as_ptr(&work)))
        {
            *offered = None;
        }
    }
    // What is left is being searched by the helper: a segment's time at most, unless the
    // helper loses its processor.
    let mut spins = 0u32;
    while work.done.load(Ordering::Acquire) < segments {
        spins += 1;
        if spins < 1 << 16 {
            std::hint::spin_loop();
        } else {
            std::thread::yield_now();
        }
    }
    let fruits = std::mem::take(&mut *work.fruits.lock().unwrap_or_else(|e| e.into_inner()));
    let fruits = fruits
        .into_iter()
        .map(|f| {
            f.unwrap_or_else(|| {
                Err(tantivy::TantivyError::InternalError(
                    "a segment was not searched".into(),
                ))
            })
        })
        .collect::<tantivy::Result<Vec<_>>>()?;
    work.collector.merge_fruits(fruits)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tantivy::collector::{Count, TopDocs};
    use tantivy::query::TermQuery;
    use tantivy::schema::{IndexRecordOption, STORED, Schema, TEXT};
    use tantivy::{Index, IndexWriter, Term, doc};

    /// An index of `segments` segments, each of `per` documents holding "a" a varying number
    /// of times, and "b" in one in three.
    fn index(segments: usize, per: usize) -> (Index, tantivy::schema::Field) {
        let mut b = Schema::builder();
        let text = b.add_text_field("text", TEXT | STORED);
        let index = Index::create_in_ram(b.build());
        let mut writer: IndexWriter = index.writer_with_num_threads(1, 15_000_000).unwrap();
        writer.set_merge_policy(Box::new(tantivy::indexer::NoMergePolicy));
        for s in 0..segments {
            for i in 0..per {
                let n = (s * per + i) * 7 % 13 + 1;
                let mut words = vec!["a"; n].join(" ");
                if i % 3 == 0 {
                    words.push_str(" b");
                }
                words.push_str(&" c".repeat(i % 5));
                writer.add_document(doc!(text => words)).unwrap();
            }
            writer.commit().unwrap();
        }
        (index, text)
    }

    fn query(field: tantivy::schema::Field, word: &str) -> TermQuery {
        TermQuery::new(
            Term::from_field_text(field, word),
            IndexRecordOption::WithFreqs,
        )
    }

    #[test]
    fn two_threads_helping_find_what_one_thread_finds() {
        let (index, text) = index(5, 40);
        let searcher = index.reader().unwrap().searcher();
        assert_eq!(searcher.segment_readers().len(), 5);
        for word in ["a", "b", "c", "none"] {
            let q = query(text, word);
            let top = || TopDocs::with_limit(12).order_by_score();
            let alone = searcher.search(&q, &top()).unwrap();
            for _ in 0..20 {
                // Two threads take the segments between them, whoever comes first.
                let weight = q.weight(EnableScoring::enabled_from_searcher(&searcher));
                let work = BySegment::new(&searcher, weight.unwrap(), top());
                std::thread::scope(|s| {
                    s.spawn(|| work.help());
                    work.help();
                });
                assert_eq!(work.done.load(Ordering::Acquire), 5);
                let fruits = std::mem::take(&mut *work.fruits.lock().unwrap())
                    .into_iter()
                    .map(|f| f.unwrap().unwrap())
                    .collect();
                assert_eq!(
                    work.collector.merge_fruits(fruits).unwrap(),
                    alone,
                    "{word}"
                );
                // The same through the helper thread, when it comes in time.
                assert_eq!(search(&searcher, &q, top(), true).unwrap(), alone);
                assert_eq!(
                    search(&searcher, &q, Count, true).unwrap(),
                    searcher.search(&q, &Count).unwrap()
                );
            }
        }
    }
}
