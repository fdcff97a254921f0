//! The query language, read into a [`Query`] token by token (never handed to a query parser).
//!
//! - words: every one must match (`trẻ em`, `tre em`); a word of several parts (`covid-19`)
//!   matches as a phrase;
//! - `"a phrase"`: the words next to each other, in order;
//! - `-word`, `-"a phrase"`: records that do not contain it; `-kind:agency`: records a filter
//!   does not match;
//! - filters `name:value`, several values separated by commas match any of them:
//!   `kind:` (plan, assignment, report, agency), `plan:`, `agency:` (lead or coordinating),
//!   `lead:`, `status:`, `period:` (2025, 2025-h1, 2025-q3, 2025-06; a year takes in its halves,
//!   quarters and months), `due:` (`2025-12-31`, `<2025-12-31`, `<=2025-06`, `>=2025`,
//!   `2025-01..2025-06`, `continuous`, `yearly`, `half-yearly`, `quarterly`, `monthly`); a
//!   recurring deadline falls in a range of days from the day its plan assigns the work (the
//!   plan's date), as deadlines are tracked: under a plan of April 2025, `half-yearly:01-15` is
//!   not due in `2025-01..2025-06`.
//!
//! Anything else is text: "Lao động - Thương binh" is three words and a dash, "tỉnh: Bình Thuận"
//! is three words. Only an ASCII name glued to a colon and a value (`statu:done`) reads as a
//! filter, and an unknown one is an error that names the known filters; an address
//! (`https://…`) is words.

use jiff::civil::Date;

use super::analyzer::{exact, fold, has_diacritics, overlong_word, word_ranges};
use crate::model::{Period, check_id, parse_date};
use crate::store::layout::Kind;

/// The filters the language knows, in the order they are listed to users.
pub const FILTERS: [&str; 7] = ["kind", "plan", "agency", "lead", "status", "period", "due"];

/// Statuses records can have, of every kind.
pub const STATUSES: [&str; 13] = [
    "not_started",
    "in_progress",
    "done",
    "cancelled",
    "draft",
    "in_review",
    "issued",
    "closed",
    "submitted",
    "accepted",
    "returned",
    "active",
    "ended",
];

/// The rules a `due:` keyword names.
pub const DUE_RULES: [&str; 5] = [
    "continuous",
    "yearly",
    "half-yearly",
    "quarterly",
    "monthly",
];

/// A word of a query, in both analysed forms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryWord {
    pub folded: String,
    pub exact: String,
    /// True when typed with diacritics: then the exact form ranks higher.
    pub diacritics: bool,
}

/// Text to find: one word, or words next to each other.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextTerm {
    pub words: Vec<QueryWord>,
}

/// Dates, inclusive, as `YYYYMMDD` numbers; None is open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayRange {
    pub from: Option<i64>,
    pub to: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DueFilter {
    Dates(DayRange),
    /// Due rules by name (`continuous`, `yearly` …).
    Rules(Vec<String>),
}

/// One filter; its values are alternatives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Filter {
    Kind(Vec<Kind>),
    Plan(Vec<String>),
    Agency(Vec<String>),
    Lead(Vec<String>),
    Status(Vec<String>),
    /// Periods as written (`2025`, `2025-h1`).
    Period(Vec<String>),
    Due(Vec<DueFilter>),
}

/// A parsed query: every term and every filter must match, no excluded term may.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Query {
    pub terms: Vec<TextTerm>,
    pub excluded: Vec<TextTerm>,
    pub filters: Vec<Filter>,
    /// Filters typed with a minus (`-kind:agency`): records they match are left out.
    pub excluded_filters: Vec<Filter>,
}

/// Why a query could not be read. The message names what is wrong and what would be right.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    #[error("the query is empty")]
    Empty,
    /// The query as typed: text, but not one word in it (only signs, punctuation, emoji).
    #[error("nothing to search for in “{0}”: words are made of letters and digits")]
    NoWords(String),
    #[error("unknown filter {name:?}: the filters are {}", FILTERS.map(|f| format!("{f}:")).join(" "))]
    UnknownFilter {
        name: String,
        /// The known filter it most likely meant.
        suggestion: Option<&'static str>,
    },
    #[error("the filter {0}: needs a value (such as {0}:{ex})", ex = example(.0))]
    MissingValue(String),
    #[error("{filter}:{value} — {reason}")]
    BadValue {
        filter: String,
        value: String,
        reason: String,
    },
    #[error("a quote is not closed: {0}")]
    UnclosedQuote(String),
    /// The start of the word.
    #[error(
        "the word {0}… is too long to search for: words of more than 120 bytes are not indexed"
    )]
    TooLong(String),
}

fn example(filter: &str) -> &'static str {
    match filter {
        "kind" => "assignment",
        "plan" => "kh-27-qd-ttg-binh-thuan",
        "agency" | "lead" => "so-y-te",
        "status" => "in_progress",
        "period" => "2025-h1",
        "due" => "<2025-12-31",
        _ => "…",
    }
}

impl QueryError {
    /// What the user can do about it.
    pub fn hint(&self) -> Option<String> {
        match self {
            QueryError::Empty | QueryError::NoWords(_) => Some(
                "type words to find (tre em, \"tòa án\"), or filters such as kind:assignment status:in_progress"
                    .into(),
            ),
            QueryError::UnknownFilter { name, suggestion } => Some(match suggestion {
                Some(s) => format!(
                    "did you mean {s}:? To search for the text \"{name}:\", put it in quotes"
                ),
                None => format!("to search for the text \"{name}:\", put it in quotes"),
            }),
            QueryError::UnclosedQuote(_) => Some("add the closing \"".into()),
            _ => None,
        }
    }
}

/// Edit distance, for suggestions.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

fn suggest(name: &str) -> Option<&'static str> {
    closest(name, FILTERS)
}

/// The candidate `value` was most likely meant to be (a typo away, or its beginning), if any.
pub fn closest<'a>(value: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let value = value.to_ascii_lowercase();
    candidates
        .into_iter()
        .map(|c| (distance(&value, c), c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 3) || c.starts_with(&value) && value.len() >= 2)
        .min()
        .map(|(_, c)| c)
}

/// " (did you mean X?)" when a candidate is close to `value`.
fn did_you_mean<'a>(value: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    closest(value, candidates)
        .map(|c| format!(" (did you mean {c}?)"))
        .unwrap_or_default()
}

/// A piece of query text before it is read.
enum Piece {
    Text {
        text: String,
        negated: bool,
    },
    Phrase {
        text: String,
        negated: bool,
    },
    Filter {
        name: String,
        value: String,
        negated: bool,
    },
}

fn split(input: &str) -> Result<Vec<Piece>, QueryError> {
    let mut out = Vec::new();
    let chars: Vec<(usize, char)> = input.char_indices().collect();
    let mut i = 0;
    while i < chars.len() {
        let (pos, c) = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let negated = (c == '-') && chars.get(i + 1).is_some_and(|(_, n)| !n.is_whitespace());
        let start = if negated { i + 1 } else { i };
        if chars.get(start).is_some_and(|(_, c)| is_quote(*c)) {
            // A phrase, up to the closing quote.
            let open = chars[start].0;
            let mut j = start + 1;
            while j < chars.len() && !is_quote(chars[j].1) {
                j += 1;
            }
            if j >= chars.len() {
                return Err(QueryError::UnclosedQuote(input[pos..].to_string()));
            }
            let text = input[open + chars[start].1.len_utf8()..chars[j].0].to_string();
            out.push(Piece::Phrase { text, negated });
            i = j + 1;
            continue;
        }
        // A bare token, up to whitespace.
        let mut j = start;
        while j < chars.len() && !chars[j].1.is_whitespace() {
            j += 1;
        }
        let from = chars.get(start).map_or(input.len(), |c| c.0);
        let to = chars.get(j).map_or(input.len(), |c| c.0);
        let token = &input[from..to];
        if let Some((name, value)) = token.split_once(':') {
            let is_name = !name.is_empty()
                && name.bytes().next().is_some_and(|b| b.is_ascii_alphabetic())
                && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
            // `https://…`, `file://…`: an address, searched as its words.
            let address = value.starts_with("//");
            if is_name && !value.is_empty() && !address {
                out.push(Piece::Filter {
                    name: name.to_string(),
                    value: value.to_string(),
                    negated,
                });
                i = j;
                continue;
            }
            if is_name && value.is_empty() && FILTERS.contains(&name.to_ascii_lowercase().as_str())
            {
                return Err(QueryError::MissingValue(name.to_ascii_lowercase()));
            }
        }
        out.push(Piece::Text {
            text: token.to_string(),
            negated,
        });
        i = j;
    }
    Ok(out)
}

fn is_quote(c: char) -> bool {
    matches!(c, '"' | '“' | '”')
}

/// The words of `text` as a query reads them.
pub(super) fn analyse(text: &str) -> Vec<QueryWord> {
    let nfc = crate::model::text::to_nfc(text);
    word_ranges(&nfc)
        .map(|(s, e)| {
            let w = &nfc[s..e];
            QueryWord {
                folded: fold(w),
                exact: exact(w),
                diacritics: has_diacritics(w),
            }
        })
        .collect()
}

fn bad(filter: &str, value: &str, reason: impl Into<String>) -> QueryError {
    QueryError::BadValue {
        filter: filter.into(),
        value: value.into(),
        reason: reason.into(),
    }
}

fn day(d: Date) -> i64 {
    i64::from(d.year()) * 10000 + i64::from(d.month()) * 100 + i64::from(d.day())
}

/// The first and last day a date or a period covers.
fn span(s: &str) -> Option<(Date, Date)> {
    if let Some(d) = parse_date(s) {
        return Some((d, d));
    }
    let p: Period = s.parse().ok()?;
    Some((p.start(), p.end()))
}

fn parse_due(value: &str) -> Result<DueFilter, QueryError> {
    let v = value.trim();
    let err = || {
        bad(
            "due",
            value,
            "write a date or period (2025-12-31, 2025-06, 2025-h1, 2025), a comparison (<2025-12-31, \
             >=2025-07), a range (2025-01..2025-06), or a rule (continuous, yearly, half-yearly, \
             quarterly, monthly)",
        )
    };
    if DUE_RULES.contains(&v) {
        return Ok(DueFilter::Rules(vec![v.to_string()]));
    }
    let range = if let Some(rest) = v.strip_prefix("<=") {
        let (_, to) = span(rest).ok_or_else(err)?;
        DayRange {
            from: None,
            to: Some(day(to)),
        }
    } else if let Some(rest) = v.strip_prefix(">=") {
        let (from, _) = span(rest).ok_or_else(err)?;
        DayRange {
            from: Some(day(from)),
            to: None,
        }
    } else if let Some(rest) = v.strip_prefix('<') {
        let (from, _) = span(rest).ok_or_else(err)?;
        DayRange {
            from: None,
            to: Some(day(from.yesterday().map_err(|_| err())?)),
        }
    } else if let Some(rest) = v.strip_prefix('>') {
        let (_, to) = span(rest).ok_or_else(err)?;
        DayRange {
            from: Some(day(to.tomorrow().map_err(|_| err())?)),
            to: None,
        }
    } else if let Some((a, b)) = v.split_once("..") {
        let from = if a.is_empty() {
            None
        } else {
            Some(day(span(a).ok_or_else(err)?.0))
        };
        let to = if b.is_empty() {
            None
        } else {
            Some(day(span(b).ok_or_else(err)?.1))
        };
        if from.is_none() && to.is_none() {
            return Err(err());
        }
        if let (Some(f), Some(t)) = (from, to)
            && f > t
        {
            return Err(bad("due", value, "the range ends before it starts"));
        }
        DayRange { from, to }
    } else {
        let (from, to) = span(v).ok_or_else(err)?;
        DayRange {
            from: Some(day(from)),
            to: Some(day(to)),
        }
    };
    Ok(DueFilter::Dates(range))
}

fn parse_filter(name: &str, value: &str) -> Result<Filter, QueryError> {
    let lname = name.to_ascii_lowercase();
    let values: Vec<&str> = value.split(',').map(str::trim).collect();
    if values.iter().any(|v| v.is_empty()) && values.len() > 1 {
        return Err(bad(&lname, value, "an empty value between commas"));
    }
    let ids = |what: &str| -> Result<Vec<String>, QueryError> {
        values
            .iter()
            .map(|v| {
                let v = v.to_ascii_lowercase();
                check_id(&v).map(|_| v.clone()).map_err(|_| {
                    bad(
                        &lname,
                        value,
                        format!("{what} ids are lowercase ASCII slugs such as so-y-te"),
                    )
                })
            })
            .collect()
    };
    Ok(match lname.as_str() {
        "kind" => Filter::Kind(
            values
                .iter()
                .map(|v| {
                    Kind::parse(&v.to_ascii_lowercase()).ok_or_else(|| {
                        let kinds = ["plan", "assignment", "report", "agency"];
                        bad(
                            "kind",
                            value,
                            format!(
                                "the kinds are plan, assignment, report and agency{}",
                                did_you_mean(v, kinds)
                            ),
                        )
                    })
                })
                .collect::<Result<_, _>>()?,
        ),
        "plan" => Filter::Plan(ids("plan")?),
        "agency" => Filter::Agency(ids("agency")?),
        "lead" => Filter::Lead(ids("agency")?),
        "status" => Filter::Status(
            values
                .iter()
                .map(|v| {
                    let v = v.to_ascii_lowercase().replace('-', "_");
                    if STATUSES.contains(&v.as_str()) {
                        Ok(v)
                    } else {
                        Err(bad(
                            "status",
                            value,
                            format!(
                                "the statuses are {}{}",
                                STATUSES.join(", "),
                                did_you_mean(&v, STATUSES)
                            ),
                        ))
                    }
                })
                .collect::<Result<_, _>>()?,
        ),
        "period" => Filter::Period(
            values
                .iter()
                .map(|v| {
                    let v = v.to_ascii_lowercase();
                    v.parse::<Period>().map(|p| p.to_string()).map_err(|_| {
                        bad("period", value, "write 2025, 2025-h1, 2025-q3 or 2025-06")
                    })
                })
                .collect::<Result<_, _>>()?,
        ),
        "due" => Filter::Due(
            values
                .iter()
                .map(|v| parse_due(v))
                .collect::<Result<_, _>>()?,
        ),
        _ => {
            return Err(QueryError::UnknownFilter {
                name: name.to_string(),
                suggestion: suggest(name),
            });
        }
    })
}

impl Query {
    /// Reads a query as typed.
    pub fn parse(input: &str) -> Result<Query, QueryError> {
        let mut q = Query::default();
        for piece in split(input)? {
            match piece {
                Piece::Filter {
                    name,
                    value,
                    negated,
                } => {
                    let f = parse_filter(&name, &value)?;
                    match negated {
                        true => q.excluded_filters.push(f),
                        false => q.filters.push(f),
                    }
                }
                Piece::Text { text, negated } | Piece::Phrase { text, negated } => {
                    if let Some(w) = overlong_word(&crate::model::text::to_nfc(&text)) {
                        let start: String = w.chars().take(20).collect();
                        return Err(QueryError::TooLong(start));
                    }
                    let words = analyse(&text);
                    if words.is_empty() {
                        continue;
                    }
                    let target = if negated {
                        &mut q.excluded
                    } else {
                        &mut q.terms
                    };
                    target.push(TextTerm { words });
                }
            }
        }
        if q.is_empty() {
            return Err(match input.trim() {
                "" => QueryError::Empty,
                typed => QueryError::NoWords(typed.to_string()),
            });
        }
        Ok(q)
    }

    /// Reads a query while it is being typed (search-as-you-type): an open quote counts as
    /// closed and a last filter without its value yet is left out. Other errors stand (and an
    /// input of nothing to search is [`QueryError::Empty`]).
    pub fn parse_as_typed(input: &str) -> Result<Query, QueryError> {
        match Query::parse(input) {
            Err(QueryError::UnclosedQuote(_)) => Query::parse_as_typed(&format!("{input}\"")),
            // A sign typed before its word ("-" of "-huyện") is not a mistake yet.
            Err(QueryError::NoWords(_)) => Err(QueryError::Empty),
            Err(QueryError::MissingValue(_)) => {
                let trimmed = input.trim_end();
                match trimmed.rfind(char::is_whitespace) {
                    Some(i) if trimmed.ends_with(':') => Query::parse(&trimmed[..i]),
                    _ => Err(QueryError::Empty),
                }
            }
            other => other,
        }
    }

    /// True when nothing would restrict the search.
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
            && self.excluded.is_empty()
            && self.filters.is_empty()
            && self.excluded_filters.is_empty()
    }

    /// The terms to find as their words in order (a phrase is one term), for highlighting;
    /// longer terms first, so that a phrase is marked whole.
    pub fn highlight_terms(&self) -> Vec<Vec<QueryWord>> {
        let key = |t: &Vec<QueryWord>| {
            t.iter()
                .map(|w| (w.folded.clone(), w.diacritics.then(|| w.exact.clone())))
                .collect::<Vec<_>>()
        };
        let mut v: Vec<Vec<QueryWord>> = self.terms.iter().map(|t| t.words.clone()).collect();
        v.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| key(a).cmp(&key(b))));
        v.dedup_by(|a, b| key(a) == key(b));
        v
    }
}

/// The `YYYYMMDD` number of a date.
pub fn day_number(d: Date) -> i64 {
    day(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(t: &TextTerm) -> Vec<&str> {
        t.words.iter().map(|w| w.folded.as_str()).collect()
    }

    #[test]
    fn words_phrases_and_negations() {
        let q = Query::parse("trẻ em \"tòa án\" -huyện -\"sở y tế\" covid-19").unwrap();
        assert_eq!(q.terms.len(), 4);
        assert_eq!(words(&q.terms[0]), ["tre"]);
        assert!(q.terms[0].words[0].diacritics);
        assert_eq!(words(&q.terms[2]), ["toa", "an"]);
        assert_eq!(words(&q.terms[3]), ["covid", "19"]);
        assert_eq!(q.excluded.len(), 2);
        assert_eq!(words(&q.excluded[1]), ["so", "y", "te"]);
        assert!(q.filters.is_empty());
    }

    #[test]
    fn text_that_looks_like_syntax_is_words() {
        let q = Query::parse("Lao động - Thương binh").unwrap();
        assert_eq!(q.terms.len(), 4);
        assert!(q.excluded.is_empty());
        let q = Query::parse("tỉnh: Bình Thuận").unwrap();
        assert_eq!(q.terms.len(), 3);
        assert!(q.filters.is_empty());
        let q = Query::parse("tỉnh:Bình").unwrap();
        assert_eq!(q.terms.len(), 1);
        assert_eq!(words(&q.terms[0]), ["tinh", "binh"]);
        let q = Query::parse("\"lookup: x\"").unwrap();
        assert_eq!(words(&q.terms[0]), ["lookup", "x"]);
        // An address is its words, not a filter named `https`.
        let q = Query::parse("https://dichvucong.gov.vn/p/home").unwrap();
        assert!(q.filters.is_empty());
        assert_eq!(
            words(&q.terms[0]),
            ["https", "dichvucong", "gov", "vn", "p", "home"]
        );
    }

    #[test]
    fn nfd_query_is_read_as_nfc() {
        use unicode_normalization::UnicodeNormalization;
        let nfd: String = "Tòa án".nfd().collect();
        assert_eq!(Query::parse(&nfd).unwrap(), Query::parse("Tòa án").unwrap());
    }

    #[test]
    fn a_filter_with_a_minus_leaves_out_what_it_matches() {
        let q = Query::parse("-kind:agency tòa án -status:done,cancelled").unwrap();
        assert_eq!(q.terms.len(), 2);
        assert!(q.filters.is_empty() && q.excluded.is_empty());
        assert_eq!(
            q.excluded_filters,
            [
                Filter::Kind(vec![Kind::Agency]),
                Filter::Status(vec!["done".into(), "cancelled".into()])
            ]
        );
        // Alone, too; and read as strictly as any filter.
        assert_eq!(
            Query::parse("-kind:plan").unwrap().excluded_filters.len(),
            1
        );
        assert!(matches!(
            Query::parse("-knd:plan"),
            Err(QueryError::UnknownFilter { .. })
        ));
        // A minus before an address or a word with a colon in it is an excluded word still.
        let q = Query::parse("trẻ -https://x.vn -tỉnh:").unwrap();
        assert_eq!(q.excluded.len(), 2);
        assert!(q.excluded_filters.is_empty());
    }

    #[test]
    fn each_filter() {
        let q = Query::parse(
            "kind:assignments plan:kh-1 agency:so-y-te lead:SO-TAI-CHINH status:in-progress,done period:2025-H1 due:continuous",
        )
        .unwrap();
        assert_eq!(
            q.filters,
            [
                Filter::Kind(vec![Kind::Assignment]),
                Filter::Plan(vec!["kh-1".into()]),
                Filter::Agency(vec!["so-y-te".into()]),
                Filter::Lead(vec!["so-tai-chinh".into()]),
                Filter::Status(vec!["in_progress".into(), "done".into()]),
                Filter::Period(vec!["2025-h1".into()]),
                Filter::Due(vec![DueFilter::Rules(vec!["continuous".into()])]),
            ]
        );
    }

    fn due(v: &str) -> DayRange {
        match Query::parse(&format!("due:{v}")).unwrap().filters.remove(0) {
            Filter::Due(mut d) => match d.remove(0) {
                DueFilter::Dates(r) => r,
                other => panic!("{other:?}"),
            },
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn due_forms() {
        assert_eq!(
            due("<2025-12-31"),
            DayRange {
                from: None,
                to: Some(20251230)
            }
        );
        assert_eq!(
            due("<=2025-06"),
            DayRange {
                from: None,
                to: Some(20250630)
            }
        );
        assert_eq!(
            due(">2025"),
            DayRange {
                from: Some(20260101),
                to: None
            }
        );
        assert_eq!(
            due(">=2025-h2"),
            DayRange {
                from: Some(20250701),
                to: None
            }
        );
        assert_eq!(
            due("2025-01..2025-06"),
            DayRange {
                from: Some(20250101),
                to: Some(20250630)
            }
        );
        assert_eq!(
            due("2025-03-02"),
            DayRange {
                from: Some(20250302),
                to: Some(20250302)
            }
        );
        assert_eq!(
            due("..2025-q1"),
            DayRange {
                from: None,
                to: Some(20250331)
            }
        );
    }

    #[test]
    fn as_typed() {
        assert_eq!(
            Query::parse_as_typed("trẻ em \"tòa á").unwrap(),
            Query::parse("trẻ em \"tòa á\"").unwrap()
        );
        assert_eq!(
            Query::parse_as_typed("trẻ em status:").unwrap(),
            Query::parse("trẻ em").unwrap()
        );
        assert_eq!(Query::parse_as_typed("status:"), Err(QueryError::Empty));
        assert!(Query::parse_as_typed("stauts:x").is_err());
    }

    #[test]
    fn errors() {
        assert_eq!(Query::parse("  "), Err(QueryError::Empty));
        // A word too long to be indexed is said so, alone or beside others; one that is long
        // only in NFD is not.
        let long = "trẻ".repeat(30);
        assert_eq!(long.len(), 150);
        let start: String = long.chars().take(20).collect();
        for q in [long.clone(), format!("em {long}"), format!("-{long} em")] {
            assert_eq!(
                Query::parse(&q),
                Err(QueryError::TooLong(start.clone())),
                "{q}"
            );
        }
        // "ệ" is 5 bytes in NFD, 3 in NFC.
        let nfd: String = "e\u{0323}\u{0302}".repeat(30);
        assert_eq!(nfd.len(), 150);
        assert!(Query::parse(&nfd).is_ok(), "90 bytes once in NFC");
        assert!(Query::parse(&"a".repeat(120)).is_ok());
        assert_eq!(
            Query::parse(" - – , "),
            Err(QueryError::NoWords("- – ,".into()))
        );
        assert_eq!(
            Query::parse("🙂").unwrap_err().to_string(),
            "nothing to search for in “🙂”: words are made of letters and digits"
        );
        assert_eq!(Query::parse_as_typed("-"), Err(QueryError::Empty));
        let e = Query::parse("stauts:done").unwrap_err();
        assert_eq!(
            e,
            QueryError::UnknownFilter {
                name: "stauts".into(),
                suggestion: Some("status")
            }
        );
        assert!(
            e.to_string()
                .contains("kind: plan: agency: lead: status: period: due:")
        );
        assert!(e.hint().unwrap().contains("status:"));
        let e = Query::parse("agncy:so-y-te").unwrap_err();
        assert!(e.hint().unwrap().contains("did you mean agency:"));
        assert_eq!(
            Query::parse("status:"),
            Err(QueryError::MissingValue("status".into()))
        );
        assert!(matches!(
            Query::parse("status:doing"),
            Err(QueryError::BadValue { .. })
        ));
        assert!(matches!(
            Query::parse("kind:task"),
            Err(QueryError::BadValue { .. })
        ));
        assert!(matches!(
            Query::parse("agency:Sở"),
            Err(QueryError::BadValue { .. })
        ));
        assert!(matches!(
            Query::parse("period:2025-h3"),
            Err(QueryError::BadValue { .. })
        ));
        assert!(matches!(
            Query::parse("due:soon"),
            Err(QueryError::BadValue { .. })
        ));
        assert!(matches!(
            Query::parse("due:2025-06..2025-01"),
            Err(QueryError::BadValue { .. })
        ));
        assert!(matches!(
            Query::parse("status:done,"),
            Err(QueryError::BadValue { .. })
        ));
        assert!(matches!(
            Query::parse("\"tòa án"),
            Err(QueryError::UnclosedQuote(_))
        ));
    }
}
