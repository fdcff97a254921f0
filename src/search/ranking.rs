//! Collecting the best records of a query fast, at any size of repository.
//!
//! The words of a query are asked as an intersection of plain terms, which tantivy can prune
//! (block-max: whole blocks of postings whose best score cannot enter the top are skipped), so
//! that a word found in most records costs about as much as a rare one. Filters and excluded
//! words would stop that pruning if they were clauses of the same query: they are instead turned
//! into sets of documents, one per segment, that the collector checks as candidates arrive;
//! the words of a phrase are asked as words, and the collector checks that they stand next to
//! each other (positions) for the candidates that would enter the top.
//!
//! Words typed one after the other count for more where the record holds them side by side,
//! in that order: [`raise_together`] raises the scores of a pass's best records by up to
//! [`TOGETHER`], after the longest run of the words found one after the other, and orders them
//! again. Only the records already in the top are read for that (their positions), so it costs
//! the same whether the words are common or rare; a record outside a pass's top is not raised
//! into it.

use std::cmp::{Ordering, Reverse};
use std::collections::{BinaryHeap, HashSet};

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::postings::{Postings, SegmentPostings};
use tantivy::query::Weight;
use tantivy::schema::IndexRecordOption;
use tantivy::{DocAddress, DocId, DocSet, Score, SegmentReader, Term};

use super::analyzer::{STRIDE, STRIDE_BITS};

/// The documents of one segment that a query matches, as bits.
pub(super) struct DocBits(Vec<u64>);

/// The documents a query matches, segment by segment (by segment ordinal): worked out once
/// for every pass of a search.
pub(super) type DocSets = std::sync::Arc<Vec<DocBits>>;

/// The documents `query` matches in each segment of `searcher`.
pub(super) fn doc_sets(
    searcher: &tantivy::Searcher,
    query: &dyn tantivy::query::Query,
) -> tantivy::Result<DocSets> {
    let weight = query.weight(tantivy::query::EnableScoring::disabled_from_searcher(
        searcher,
    ))?;
    let sets = searcher
        .segment_readers()
        .iter()
        .map(|r| DocBits::of(weight.as_ref(), r))
        .collect::<tantivy::Result<Vec<_>>>()?;
    Ok(std::sync::Arc::new(sets))
}

impl DocBits {
    fn of(weight: &dyn Weight, reader: &SegmentReader) -> tantivy::Result<DocBits> {
        let mut bits = vec![0u64; (reader.max_doc() as usize).div_ceil(64)];
        weight.for_each_no_score(reader, &mut |docs| {
            for &d in docs {
                bits[d as usize / 64] |= 1 << (d % 64);
            }
        })?;
        Ok(DocBits(bits))
    }

    fn has(&self, doc: DocId) -> bool {
        self.0
            .get(doc as usize / 64)
            .is_some_and(|w| w & (1 << (doc % 64)) != 0)
    }

    fn is_empty(&self) -> bool {
        self.0.iter().all(|w| *w == 0)
    }
}

/// The postings of `terms` in one segment, with positions, in order; None for a term that is
/// nowhere in the segment.
fn postings_with_positions(
    terms: &[Term],
    reader: &SegmentReader,
) -> tantivy::Result<Vec<Option<SegmentPostings>>> {
    terms
        .iter()
        .map(|t| {
            reader
                .inverted_index(t.field())?
                .read_postings(t, IndexRecordOption::WithFreqsAndPositions)
                .map_err(Into::into)
        })
        .collect()
}

/// Moves `p` on to `doc`; true when `doc` holds its term. Documents must be asked about in
/// increasing order.
fn moved_to(p: &mut SegmentPostings, doc: DocId) -> bool {
    if p.doc() < doc {
        p.seek(doc);
    }
    p.doc() == doc
}

/// The places of the words a posting list holds in its current document (see
/// `analyzer::STRIDE`), each plus `shift`, in order, into `out`.
fn places(p: &mut SegmentPostings, shift: u32, out: &mut Vec<u32>) {
    p.positions(out);
    for x in out.iter_mut() {
        *x = (*x >> STRIDE_BITS) + shift;
    }
}

/// A word to be found in the form typed, in one segment: the postings of its folded term, and
/// the code of the form (see `analyzer::form_code`).
struct Form {
    postings: SegmentPostings,
    code: u32,
    positions: Vec<u32>,
}

impl Form {
    /// None when the word is nowhere in the segment.
    fn of(term: &Term, code: u32, reader: &SegmentReader) -> tantivy::Result<Option<Form>> {
        Ok(postings_with_positions(std::slice::from_ref(term), reader)?
            .pop()
            .flatten()
            .map(|postings| Form {
                postings,
                code,
                positions: Vec::new(),
            }))
    }

    /// True when `doc` holds the word in that form. Documents must be asked about in
    /// increasing order.
    fn is_in(&mut self, doc: DocId) -> bool {
        if !moved_to(&mut self.postings, doc) {
            return false;
        }
        self.postings.positions(&mut self.positions);
        self.positions.iter().any(|x| x & (STRIDE - 1) == self.code)
    }
}

/// One phrase in one segment: the postings of its words, in order.
struct Phrase {
    words: Vec<SegmentPostings>,
    positions: Vec<u32>,
    buffer: Vec<u32>,
}

impl Phrase {
    /// None when a word of the phrase is nowhere in the segment.
    fn of(terms: &[Term], reader: &SegmentReader) -> tantivy::Result<Option<Phrase>> {
        let words = postings_with_positions(terms, reader)?;
        Ok(words
            .into_iter()
            .collect::<Option<Vec<_>>>()
            .map(|words| Phrase {
                words,
                positions: Vec::new(),
                buffer: Vec::new(),
            }))
    }

    /// True when the words stand next to each other, in order, in `doc`. Documents must be
    /// asked about in increasing order.
    fn is_in(&mut self, doc: DocId) -> bool {
        let n = self.words.len() as u32;
        for (i, p) in self.words.iter_mut().enumerate() {
            if !moved_to(p, doc) {
                return false;
            }
            // Word i at place s + i: every list, shifted, holds s + n - 1.
            let shift = n - 1 - i as u32;
            if i == 0 {
                places(p, shift, &mut self.positions);
            } else {
                places(p, shift, &mut self.buffer);
                let other = &self.buffer;
                let mut j = 0;
                self.positions.retain(|x| {
                    while j < other.len() && other[j] < *x {
                        j += 1;
                    }
                    j < other.len() && other[j] == *x
                });
            }
            if self.positions.is_empty() {
                return false;
            }
        }
        true
    }
}

/// The records that hold the words of a phrase next to each other, in order: the records that
/// hold every word, kept when their places say so (tantivy's own phrase query would read the
/// positions of the folded field as places, which they are not: see `analyzer::STRIDE`). Used
/// where a query is counted or excluded; ranking checks phrases in its collector.
#[derive(Debug, Clone)]
pub(super) struct PhraseQuery {
    terms: Vec<Term>,
}

impl PhraseQuery {
    /// A phrase of two words or more, as folded terms in order.
    pub fn new(terms: Vec<Term>) -> PhraseQuery {
        debug_assert!(terms.len() > 1, "a phrase has two words or more");
        PhraseQuery { terms }
    }
}

impl tantivy::query::Query for PhraseQuery {
    fn weight(
        &self,
        scoring: tantivy::query::EnableScoring<'_>,
    ) -> tantivy::Result<Box<dyn Weight>> {
        use tantivy::query::{BooleanQuery, Occur, TermQuery};
        let words = BooleanQuery::new(
            self.terms
                .iter()
                .map(|t| {
                    let q: Box<dyn tantivy::query::Query> =
                        Box::new(TermQuery::new(t.clone(), IndexRecordOption::WithFreqs));
                    (Occur::Must, q)
                })
                .collect(),
        );
        Ok(Box::new(PhraseWeight {
            words: words.weight(scoring)?,
            terms: self.terms.clone(),
        }))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        for t in &self.terms {
            visitor(t, true);
        }
    }
}

struct PhraseWeight {
    words: Box<dyn Weight>,
    terms: Vec<Term>,
}

impl Weight for PhraseWeight {
    fn scorer(
        &self,
        reader: &SegmentReader,
        boost: Score,
    ) -> tantivy::Result<Box<dyn tantivy::query::Scorer>> {
        Ok(match Phrase::of(&self.terms, reader)? {
            Some(phrase) => {
                let mut scorer = PhraseScorer {
                    words: self.words.scorer(reader, boost)?,
                    phrase,
                };
                scorer.settle();
                Box::new(scorer)
            }
            None => Box::new(tantivy::query::EmptyScorer),
        })
    }

    fn explain(
        &self,
        reader: &SegmentReader,
        doc: DocId,
    ) -> tantivy::Result<tantivy::query::Explanation> {
        let mut scorer = self.scorer(reader, 1.0)?;
        if scorer.seek(doc) != doc {
            return Err(tantivy::TantivyError::InvalidArgument(format!(
                "document {doc} does not hold the phrase"
            )));
        }
        Ok(tantivy::query::Explanation::new("phrase", scorer.score()))
    }
}

struct PhraseScorer {
    words: Box<dyn tantivy::query::Scorer>,
    phrase: Phrase,
}

impl PhraseScorer {
    /// Moves on from the current document to the first that holds the phrase.
    fn settle(&mut self) -> DocId {
        let mut doc = self.words.doc();
        while doc != tantivy::TERMINATED && !self.phrase.is_in(doc) {
            doc = self.words.advance();
        }
        doc
    }
}

impl DocSet for PhraseScorer {
    fn advance(&mut self) -> DocId {
        self.words.advance();
        self.settle()
    }

    fn seek(&mut self, target: DocId) -> DocId {
        if self.words.doc() < target {
            self.words.seek(target);
        }
        self.settle()
    }

    fn doc(&self) -> DocId {
        self.words.doc()
    }

    fn size_hint(&self) -> u32 {
        self.words.size_hint()
    }
}

impl tantivy::query::Scorer for PhraseScorer {
    fn score(&mut self) -> Score {
        self.words.score()
    }
}

/// How much words found together raise a score: by this fraction when the record holds all of
/// them one after the other, in the order typed. Less for fewer: by the square of the share
/// of them in the longest run, so that the whole query together counts for most.
pub(super) const TOGETHER: Score = 1.0;

/// The words of a query in one segment, in the order typed: how many of them a document holds
/// one after the other.
struct Together {
    /// None for a word that is nowhere in the segment.
    words: Vec<Option<SegmentPostings>>,
    positions: Vec<u32>,
    /// Positions of the last word looked at, each with the length of the run of the query's
    /// words that ends there; then those of the next word.
    runs: Vec<(u32, u32)>,
    next: Vec<(u32, u32)>,
}

impl Together {
    fn of(terms: &[Term], reader: &SegmentReader) -> tantivy::Result<Together> {
        Ok(Together {
            words: postings_with_positions(terms, reader)?,
            positions: Vec::new(),
            runs: Vec::new(),
            next: Vec::new(),
        })
    }

    /// The longest run of the query's words, in the order typed, that `doc` holds one after
    /// the other, as a share from 0 (no two of them together) to 1 (all of them). Documents
    /// must be asked about in increasing order.
    fn share(&mut self, doc: DocId) -> Score {
        let n = self.words.len();
        if n < 2 {
            return 0.0;
        }
        let mut longest = 1;
        self.runs.clear();
        for p in &mut self.words {
            self.positions.clear();
            if let Some(p) = p
                && moved_to(p, doc)
            {
                places(p, 0, &mut self.positions);
            }
            // A run grows where this word is right after the end of one.
            self.next.clear();
            let mut j = 0;
            for &x in &self.positions {
                while j < self.runs.len() && self.runs[j].0 + 1 < x {
                    j += 1;
                }
                let run = match self.runs.get(j) {
                    Some(&(y, len)) if y + 1 == x => len + 1,
                    _ => 1,
                };
                longest = longest.max(run);
                self.next.push((x, run));
            }
            std::mem::swap(&mut self.runs, &mut self.next);
        }
        (longest - 1) as Score / (n - 1) as Score
    }
}

/// Raises the score of each of `hits` by [`TOGETHER`] times the square of the share of `words`
/// (terms with positions, in the order typed) it holds one after the other (see
/// [`Together::share`]), then orders them best first (ties by address). Nothing changes for
/// fewer than two words.
pub(super) fn raise_together(
    searcher: &tantivy::Searcher,
    words: &[Term],
    hits: &mut [(Score, DocAddress)],
) -> tantivy::Result<()> {
    if words.len() < 2 || hits.is_empty() {
        return Ok(());
    }
    // Segment by segment, documents in increasing order.
    hits.sort_by_key(|h| h.1);
    let mut current: Option<(u32, Together)> = None;
    for (score, addr) in hits.iter_mut() {
        if current.as_ref().is_none_or(|(s, _)| *s != addr.segment_ord) {
            let reader = searcher.segment_reader(addr.segment_ord);
            current = Some((addr.segment_ord, Together::of(words, reader)?));
        }
        let (_, together) = current.as_mut().expect("set above");
        let share = together.share(addr.doc_id);
        *score *= 1.0 + TOGETHER * share * share;
    }
    hits.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    Ok(())
}

/// The phrases and words in the form typed of a query, in one segment; None when one of them
/// cannot be in it.
fn checks(
    phrases: &[Vec<Term>],
    forms: &[(Term, u32)],
    reader: &SegmentReader,
) -> tantivy::Result<Option<(Vec<Phrase>, Vec<Form>)>> {
    let mut ps = Vec::with_capacity(phrases.len());
    for terms in phrases {
        match Phrase::of(terms, reader)? {
            Some(p) => ps.push(p),
            None => return Ok(None),
        }
    }
    let mut fs = Vec::with_capacity(forms.len());
    for (term, code) in forms {
        match Form::of(term, *code, reader)? {
            Some(f) => fs.push(f),
            None => return Ok(None),
        }
    }
    Ok(Some((ps, fs)))
}

/// A score ordered as a number (scores are never NaN), then documents in index order.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Ranked(Score, DocId);

impl Eq for Ranked {}

impl PartialOrd for Ranked {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Ranked {
    fn cmp(&self, other: &Self) -> Ordering {
        // A higher score is better; of equal scores, the earlier document.
        self.0
            .total_cmp(&other.0)
            .then_with(|| other.1.cmp(&self.1))
    }
}

/// The best `limit` documents of a scoring query among those `allow` matches (all when None)
/// that hold every phrase, leaving out those `deny` matches and those in `skip`.
pub(super) struct TopRanked {
    pub limit: usize,
    pub allow: Option<DocSets>,
    pub deny: Option<DocSets>,
    pub skip: HashSet<DocAddress>,
    /// Phrases, as terms (with positions) in order.
    pub phrases: Vec<Vec<Term>>,
    /// Words that must be there in the form typed: folded terms (with positions) and the
    /// codes of the forms (see [`Form`]).
    pub forms: Vec<(Term, u32)>,
    /// The score a document of a later segment must beat: the lowest of the best `limit` of
    /// a segment searched before, with that segment (see [`Bar`]). A document of a later
    /// segment with that very score would come after them anyway (ties go by segment, then
    /// document).
    pub bar: Bar,
}

/// The bar a segment sets for the segments after it: the bits of an f32 score, and the
/// segment that set it. Segments may be searched at once (see `helper`): a segment uses a bar
/// only when an earlier segment set it.
pub(super) struct Bar(std::sync::atomic::AtomicU64);

impl Bar {
    /// The bar before any segment was searched.
    pub fn none() -> Bar {
        Bar(std::sync::atomic::AtomicU64::new(Self::pack(
            Score::MIN,
            u32::MAX,
        )))
    }

    fn pack(score: Score, segment: u32) -> u64 {
        u64::from(score.to_bits()) << 32 | u64::from(segment)
    }

    fn unpack(bits: u64) -> (Score, u32) {
        (f32::from_bits((bits >> 32) as u32), bits as u32)
    }

    /// The bar for `segment`: the highest an earlier segment set.
    fn for_segment(&self, segment: u32) -> Score {
        match Self::unpack(self.0.load(std::sync::atomic::Ordering::Acquire)) {
            (score, from) if from < segment => score,
            _ => Score::MIN,
        }
    }

    /// Records what `segment` reached, when it is higher than the bar.
    fn raise(&self, reached: Score, segment: u32) {
        use std::sync::atomic::Ordering;
        let _ = self
            .0
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |bits| {
                (reached > Self::unpack(bits).0).then(|| Self::pack(reached, segment))
            });
    }
}

pub(super) struct SegmentTop {
    segment: u32,
    limit: usize,
    allow: Option<DocSets>,
    deny: Option<DocSets>,
    skip: HashSet<DocId>,
    deleted: Option<tantivy::fastfield::AliveBitSet>,
    /// The phrases and the words in the form typed; None when one cannot be in the segment.
    checks: Option<(Vec<Phrase>, Vec<Form>)>,
    /// The best so far, worst on top.
    heap: BinaryHeap<Reverse<Ranked>>,
}

impl SegmentTop {
    fn wanted(&mut self, doc: DocId) -> bool {
        let seg = self.segment as usize;
        self.allow.as_ref().is_none_or(|a| a[seg].has(doc))
            && !self.deny.as_ref().is_some_and(|d| d[seg].has(doc))
            && !self.skip.contains(&doc)
            && self.deleted.as_ref().is_none_or(|a| a.is_alive(doc))
            && self.checks.as_mut().is_some_and(|(phrases, forms)| {
                forms.iter_mut().all(|f| f.is_in(doc)) && phrases.iter_mut().all(|p| p.is_in(doc))
            })
    }

    /// Takes a candidate; returns the score a document must now beat.
    fn offer(&mut self, doc: DocId, score: Score) -> Score {
        if self.wanted(doc) {
            let r = Ranked(score, doc);
            if self.heap.len() < self.limit {
                self.heap.push(Reverse(r));
            } else if let Some(mut worst) = self.heap.peek_mut()
                && r > worst.0
            {
                *worst = Reverse(r);
            }
        }
        self.threshold()
    }

    fn threshold(&self) -> Score {
        match self.heap.peek() {
            Some(Reverse(r)) if self.heap.len() >= self.limit => r.0,
            _ => Score::MIN,
        }
    }
}

impl SegmentCollector for SegmentTop {
    type Fruit = Vec<(Score, DocAddress)>;

    fn collect(&mut self, doc: DocId, score: Score) {
        self.offer(doc, score);
    }

    fn harvest(self) -> Self::Fruit {
        let segment = self.segment;
        self.heap
            .into_iter()
            .map(|Reverse(Ranked(s, d))| (s, DocAddress::new(segment, d)))
            .collect()
    }
}

impl Collector for TopRanked {
    type Fruit = Vec<(Score, DocAddress)>;
    type Child = SegmentTop;

    fn for_segment(&self, segment: u32, reader: &SegmentReader) -> tantivy::Result<SegmentTop> {
        Ok(SegmentTop {
            segment,
            checks: checks(&self.phrases, &self.forms, reader)?,
            limit: self.limit,
            allow: self.allow.clone(),
            deny: self.deny.clone(),
            skip: self
                .skip
                .iter()
                .filter(|a| a.segment_ord == segment)
                .map(|a| a.doc_id)
                .collect(),
            deleted: reader.alive_bitset().cloned(),
            heap: BinaryHeap::with_capacity(self.limit + 1),
        })
    }

    fn requires_scoring(&self) -> bool {
        true
    }

    fn merge_fruits(&self, fruits: Vec<Self::Fruit>) -> tantivy::Result<Self::Fruit> {
        let mut all: Vec<(Score, DocAddress)> = fruits.into_iter().flatten().collect();
        all.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
        all.truncate(self.limit);
        Ok(all)
    }

    fn collect_segment(
        &self,
        weight: &dyn Weight,
        segment: u32,
        reader: &SegmentReader,
    ) -> tantivy::Result<Self::Fruit> {
        let mut top = self.for_segment(segment, reader)?;
        if self.limit == 0
            || top.checks.is_none()
            || top
                .allow
                .as_ref()
                .is_some_and(|a| a[segment as usize].is_empty())
        {
            return Ok(vec![]);
        }
        let bar = self.bar.for_segment(segment);
        weight.for_each_pruning(bar, reader, &mut |doc, score| {
            top.offer(doc, score).max(bar)
        })?;
        // The segments after this one start from this bar.
        let reached = top.threshold();
        if reached > bar {
            self.bar.raise(reached, segment);
        }
        Ok(top.harvest())
    }
}

/// The first `limit` documents of a query in the order of a string fast field (the path):
/// each segment keeps its first `limit` by term ordinal (ordinals follow the text within a
/// segment), then the segments' lists are merged by text, reading only the texts the merge
/// looks at. Those are read from the documents' stored field of the same text (`stored`), not
/// from the fast field's dictionary: a dictionary lookup uncompresses a block of it with a new
/// decompressor each time (about 10 µs), where the stored fields of a record found are read
/// from blocks kept uncompressed (and read again to show it).
pub(super) struct FirstByText {
    pub field: &'static str,
    pub stored: tantivy::schema::Field,
    pub searcher: tantivy::Searcher,
    pub limit: usize,
}

pub(super) struct SegmentFirst {
    column: Option<tantivy::columnar::StrColumn>,
    limit: usize,
    /// The first so far, last on top.
    heap: BinaryHeap<(u64, DocId)>,
}

impl SegmentCollector for SegmentFirst {
    /// The segment's first, in order, when it has the field.
    type Fruit = Option<Vec<(u64, DocId)>>;

    fn collect(&mut self, doc: DocId, _: Score) {
        let Some(ord) = self.column.as_ref().and_then(|c| c.term_ords(doc).next()) else {
            return;
        };
        if self.heap.len() < self.limit {
            self.heap.push((ord, doc));
        } else if let Some(mut last) = self.heap.peek_mut()
            && (ord, doc) < *last
        {
            *last = (ord, doc);
        }
    }

    fn harvest(self) -> Self::Fruit {
        self.column.map(|_| self.heap.into_sorted_vec())
    }
}

impl Collector for FirstByText {
    type Fruit = Vec<DocAddress>;
    type Child = SegmentFirst;

    fn for_segment(&self, _: u32, reader: &SegmentReader) -> tantivy::Result<SegmentFirst> {
        Ok(SegmentFirst {
            column: reader.fast_fields().str(self.field)?,
            limit: self.limit,
            heap: BinaryHeap::with_capacity(self.limit + 1),
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(
        &self,
        fruits: Vec<<SegmentFirst as SegmentCollector>::Fruit>,
    ) -> tantivy::Result<Vec<DocAddress>> {
        let text = |segment: usize, doc: DocId| -> tantivy::Result<String> {
            let d: tantivy::TantivyDocument =
                self.searcher.doc(DocAddress::new(segment as u32, doc))?;
            Ok(d.get_first(self.stored)
                .and_then(|v| tantivy::schema::Value::as_str(&v))
                .unwrap_or("")
                .to_string())
        };
        // The head of each segment's list, smallest text on top.
        let mut heads = BinaryHeap::new();
        for (segment, list) in fruits.iter().enumerate() {
            if let Some(&(_, doc)) = list.as_ref().and_then(|l| l.first()) {
                heads.push(Reverse((text(segment, doc)?, segment, 0usize)));
            }
        }
        let mut out = Vec::with_capacity(self.limit);
        while out.len() < self.limit
            && let Some(Reverse((_, segment, i))) = heads.pop()
        {
            let list = fruits[segment].as_deref().unwrap_or_default();
            out.push(DocAddress::new(segment as u32, list[i].1));
            if let Some(&(_, doc)) = list.get(i + 1) {
                heads.push(Reverse((text(segment, doc)?, segment, i + 1)));
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An index of `n` short texts over a small vocabulary, in segments of `per` documents.
    fn segmented(n: usize, per: usize) -> (tantivy::Index, tantivy::schema::Field) {
        use tantivy::schema::{Schema, TEXT};
        let mut b = Schema::builder();
        let f = b.add_text_field("t", TEXT);
        let index = tantivy::Index::create_in_ram(b.build());
        let mut w: tantivy::IndexWriter = index.writer_with_num_threads(1, 15_000_000).unwrap();
        w.set_merge_policy(Box::new(tantivy::indexer::NoMergePolicy));
        let words = [
            "tre", "em", "toa", "an", "gia", "dinh", "quyen", "bao", "ve",
        ];
        let mut seed = 7u64;
        for i in 0..n {
            let mut text = String::new();
            // Lengths and word counts vary, so that scores differ; some tie.
            for _ in 0..(3 + i % 11) {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                text.push_str(words[(seed >> 33) as usize % words.len()]);
                text.push(' ');
            }
            w.add_document(tantivy::doc!(f => text)).unwrap();
            if (i + 1) % per == 0 {
                w.commit().unwrap();
            }
        }
        w.commit().unwrap();
        (index, f)
    }

    #[test]
    fn the_best_documents_are_those_tantivy_finds_whatever_the_segments() {
        use tantivy::collector::TopDocs;
        use tantivy::query::{BooleanQuery, Occur, TermQuery};
        let (index, f) = segmented(3000, 400);
        let searcher = index.reader().unwrap().searcher();
        assert!(searcher.segment_readers().len() >= 7);
        for words in [&["tre"][..], &["tre", "em"], &["toa", "an", "gia"], &["ve"]] {
            let q = BooleanQuery::new(
                words
                    .iter()
                    .map(|w| {
                        let t = Term::from_field_text(f, w);
                        let q: Box<dyn tantivy::query::Query> =
                            Box::new(TermQuery::new(t, IndexRecordOption::WithFreqs));
                        (Occur::Must, q)
                    })
                    .collect(),
            );
            for limit in [1, 5, 20, 100] {
                let ours = searcher
                    .search(
                        &q,
                        &TopRanked {
                            limit,
                            allow: None,
                            deny: None,
                            skip: HashSet::new(),
                            phrases: vec![],
                            forms: vec![],
                            bar: Bar::none(),
                        },
                    )
                    .unwrap();
                // Every match scored, best first, ties by address.
                let mut all = searcher
                    .search(&q, &TopDocs::with_limit(100_000).order_by_score())
                    .unwrap();
                all.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
                all.truncate(limit);
                assert_eq!(ours, all, "{words:?} limit {limit}");
            }
        }
    }

    #[test]
    fn the_longest_run_of_the_words_in_order_raises_a_score() {
        use super::super::analyzer::{FOLDED, VietTokenizer};
        use tantivy::schema::{Schema, TextFieldIndexing, TextOptions};
        let mut b = Schema::builder();
        // Words placed as the folded field places them (see `analyzer::STRIDE`).
        let f = b.add_text_field(
            "t",
            TextOptions::default().set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer(FOLDED)
                    .set_index_option(IndexRecordOption::WithFreqsAndPositions),
            ),
        );
        let index = tantivy::Index::create_in_ram(b.build());
        index.tokenizers().register(FOLDED, VietTokenizer::folded());
        let mut w: tantivy::IndexWriter = index.writer_with_num_threads(1, 15_000_000).unwrap();
        let texts = [
            "a b c d",       // all four in order
            "a b x c d",     // two runs of two
            "d c b a",       // all four, none in order
            "x a b c y",     // three in order
            "b c d z a b c", // three in order, and a second run
            "a z b z c z d", // apart
            "c d",           // the last two only
        ];
        for t in texts {
            w.add_document(tantivy::doc!(f => t)).unwrap();
        }
        w.commit().unwrap();
        let searcher = index.reader().unwrap().searcher();
        let words: Vec<Term> = ["a", "b", "c", "d"]
            .iter()
            .map(|x| Term::from_field_text(f, x))
            .collect();
        let mut together = Together::of(&words, searcher.segment_reader(0)).unwrap();
        let shares: Vec<Score> = (0..texts.len() as DocId)
            .map(|d| together.share(d))
            .collect();
        assert_eq!(
            shares,
            [1.0, 1.0 / 3.0, 0.0, 2.0 / 3.0, 2.0 / 3.0, 0.0, 1.0 / 3.0]
        );

        // Equal scores: the records holding more of the words in a row come first, the rest
        // in index order.
        let mut hits: Vec<(Score, DocAddress)> = (0..texts.len() as DocId)
            .rev()
            .map(|d| (2.0, DocAddress::new(0, d)))
            .collect();
        raise_together(&searcher, &words, &mut hits).unwrap();
        let order: Vec<DocId> = hits.iter().map(|h| h.1.doc_id).collect();
        assert_eq!(order, [0, 3, 4, 1, 6, 2, 5]);
        // All four together: raised by TOGETHER; three of four: by the square of 2/3 of it.
        assert_eq!(hits[0].0, 2.0 * (1.0 + TOGETHER));
        assert_eq!(hits[1].0, 2.0 * (1.0 + TOGETHER * 4.0 / 9.0));
        assert_eq!(hits[6].0, 2.0);
        // A better score with the words apart can still come first, and one word changes
        // nothing.
        let mut hits = vec![(1.0, DocAddress::new(0, 0)), (5.0, DocAddress::new(0, 5))];
        raise_together(&searcher, &words, &mut hits).unwrap();
        assert_eq!(hits[0].1.doc_id, 5);
        let mut one = vec![(1.0, DocAddress::new(0, 2)), (3.0, DocAddress::new(0, 0))];
        raise_together(&searcher, &words[..1], &mut one).unwrap();
        assert_eq!(
            one,
            [(1.0, DocAddress::new(0, 2)), (3.0, DocAddress::new(0, 0))]
        );
    }

    #[test]
    fn ranks_by_score_then_earlier_document() {
        let mut v = vec![Ranked(1.0, 3), Ranked(2.0, 5), Ranked(1.0, 1)];
        v.sort_by(|a, b| b.cmp(a));
        assert_eq!(v, [Ranked(2.0, 5), Ranked(1.0, 1), Ranked(1.0, 3)]);
    }
}
