//! Snippets: the part of a text where the query's words are densest, cut on character
//! boundaries, with the matched words marked.

use super::analyzer::{exact_into, fold_char, fold_into, word_ranges};
use super::query::QueryWord;

/// A piece of text, highlighted or not.
pub type Segment = (String, bool);

/// Collapses runs of whitespace (newlines included) into one space.
fn squash(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut space = false;
    for c in s.chars() {
        if c.is_whitespace() {
            space = true;
        } else {
            if space {
                out.push(' ');
            }
            space = false;
            out.push(c);
        }
    }
    if space {
        out.push(' ');
    }
    out
}

fn push(out: &mut Vec<Segment>, text: String, hl: bool) {
    if text.is_empty() {
        return;
    }
    match out.last_mut() {
        Some((t, h)) if *h == hl => t.push_str(&text),
        _ => out.push((text, hl)),
    }
}

/// A snippet of at most about `max_chars` characters of `text` around the query's terms, each
/// given as its words in order (one word, or a phrase: marked only where its words stand next
/// to each other); the start of the text when none is there.
///
/// A word is found by its folded form. A term typed with diacritics that is in the text as
/// typed is marked only there: "bà" marks "bà", not "ba" or "bá" beside it; where it is not,
/// every form that folds alike is marked (that is what matched).
pub fn snippet(text: &str, terms: &[Vec<QueryWord>], max_chars: usize) -> Vec<Segment> {
    // Without words to find (a query of filters only), the start of the text.
    let (words, matched) = if terms.is_empty() {
        (vec![], vec![])
    } else {
        // About one word in five bytes of Vietnamese text.
        let mut words = Vec::with_capacity(text.len() / 5 + 1);
        words.extend(word_ranges(text));
        let matched = matches(text, &words, terms);
        (words, matched)
    };
    let (from, to) = match window(text, &words, &matched, max_chars) {
        Some(w) => w,
        None => (0, byte_after_chars(text, 0, max_chars)),
    };
    let mut out = Vec::new();
    if from > 0 {
        push(&mut out, "…".into(), false);
    }
    let mut pos = from;
    for m in &matched {
        if m.start < from || m.end > to {
            continue;
        }
        push(&mut out, squash(&text[pos..m.start]), false);
        push(&mut out, text[m.start..m.end].to_string(), true);
        pos = m.end;
    }
    push(&mut out, squash(&text[pos..to]), false);
    if to < text.len() {
        push(&mut out, "…".into(), false);
    }
    if let Some((t, false)) = out.first_mut() {
        *t = t.trim_start().to_string();
    }
    out.retain(|(t, _)| !t.is_empty());
    out
}

/// A word of the text that the query asks for.
struct Match {
    /// Which word of the text it is.
    index: usize,
    start: usize,
    end: usize,
    /// Which of the terms it belongs to.
    term: usize,
}

/// The number of characters in `s`.
fn count_chars(s: &str) -> usize {
    s.bytes().filter(|b| (*b as i8) >= -0x40).count()
}

/// The words of `text` (`words`, byte ranges in order) that the terms ask for, in order.
///
/// A term stands where its words stand in that order, folded; the first term to match a word
/// keeps it. A term typed with diacritics is kept only where it stands as typed, when it does
/// somewhere.
fn matches(text: &str, words: &[(usize, usize)], terms: &[Vec<QueryWord>]) -> Vec<Match> {
    let mut folded = String::new();
    let fold_at = |i: usize, out: &mut String| {
        let (s, e) = words[i];
        fold_into(&text[s..e], out);
    };
    // A word whose first letter folds to no first letter of a term is not where a term
    // starts: it is not folded (most words of a text, for a short query).
    let firsts: Vec<char> = terms
        .iter()
        .filter_map(|t| t.first())
        .filter_map(|w| w.folded.chars().next())
        .collect();
    // The ASCII ones as bits, looked up without decoding the word's first character.
    let ascii_firsts = firsts
        .iter()
        .filter(|c| c.is_ascii())
        .fold(0u128, |bits, &c| bits | 1 << c as u32);
    let is_first = |f: char| {
        if f.is_ascii() {
            ascii_firsts & 1 << f as u32 != 0
        } else {
            firsts.contains(&f)
        }
    };
    let fold_all = terms.iter().flatten().any(|w| w.folded.is_empty());
    let may_start = |start: usize| {
        let b = text.as_bytes()[start];
        fold_all
            || if b.is_ascii() {
                is_first(b.to_ascii_lowercase() as char)
            } else {
                text[start..]
                    .chars()
                    .next()
                    .and_then(fold_char)
                    .is_none_or(is_first)
            }
    };
    // Where each term stands (its first word), with which term it is.
    let mut found: Vec<(usize, usize)> = Vec::new();
    let mut next = String::new();
    let mut i = 0;
    while i < words.len() {
        if !may_start(words[i].0) {
            i += 1;
            continue;
        }
        fold_at(i, &mut folded);
        let hit = terms.iter().position(|t| {
            t.first().is_some_and(|w| w.folded == folded)
                && t.iter().enumerate().skip(1).all(|(k, w)| {
                    i + k < words.len() && {
                        fold_at(i + k, &mut next);
                        next == w.folded
                    }
                })
        });
        match hit {
            Some(term) => {
                found.push((term, i));
                i += terms[term].len();
            }
            None => i += 1,
        }
    }
    // Terms typed with diacritics: only where they stand as typed, when they do somewhere.
    let mut exact = String::new();
    let typed: Vec<bool> = found
        .iter()
        .map(|&(term, at)| {
            terms[term].iter().enumerate().all(|(k, w)| {
                let (s, e) = words[at + k];
                !w.diacritics || {
                    exact_into(&text[s..e], &mut exact);
                    exact == w.exact
                }
            })
        })
        .collect();
    let term_typed: Vec<bool> = (0..terms.len())
        .map(|t| found.iter().zip(&typed).any(|(f, ok)| f.0 == t && *ok))
        .collect();
    let mut matched = Vec::new();
    for (&(term, at), ok) in found.iter().zip(&typed) {
        if term_typed[term] && !ok {
            continue;
        }
        for (index, &(start, end)) in words.iter().enumerate().skip(at).take(terms[term].len()) {
            matched.push(Match {
                index,
                start,
                end,
                term,
            });
        }
    }
    matched
}

/// The bytes of `text` to show for `matched` (see [`matches`]), at most about `max_chars`
/// characters: the window (starting at a match) that holds the most different terms, then
/// the most matches; None when nothing matched.
fn window(
    text: &str,
    words: &[(usize, usize)],
    matched: &[Match],
    max_chars: usize,
) -> Option<(usize, usize)> {
    if matched.is_empty() {
        return None;
    }
    // Where each match starts and ends, in characters.
    let mut spans = Vec::with_capacity(matched.len());
    let (mut byte, mut chars) = (0, 0);
    for m in matched {
        chars += count_chars(&text[byte..m.start]);
        let start = chars;
        chars += count_chars(&text[m.start..m.end]);
        byte = m.end;
        spans.push((start, chars));
    }
    // A text no longer than the window is shown whole.
    if text.len() <= max_chars || chars + count_chars(&text[byte..]) <= max_chars {
        return Some((0, byte_after_chars(text, 0, max_chars)));
    }
    let mut best = (0usize, 0u32, 0usize, 0usize);
    for (i, &(first_start, first_end)) in spans.iter().enumerate() {
        let mut seen = 0u64;
        let mut n = 0;
        let mut end = first_end;
        for (m, &(_, m_end)) in matched[i..].iter().zip(&spans[i..]) {
            if m_end - first_start > max_chars {
                break;
            }
            seen |= 1 << (m.term % 64);
            n += 1;
            end = m_end;
        }
        if (seen.count_ones(), n) > (best.1, best.2) {
            best = (i, seen.count_ones(), n, end);
        }
    }
    let first = &matched[best.0];
    let first_chars = spans[best.0].0;
    // Start a little before the first match, at a word start, but not so far before that the
    // window's last match falls out: the earliest word start within the lead.
    let lead = (max_chars / 5).min(max_chars.saturating_sub(best.3 - first_chars));
    let mut start = first.start;
    let mut back = 0;
    for &(s, _) in words[..first.index].iter().rev() {
        back += count_chars(&text[s..start]);
        if back > lead {
            break;
        }
        start = s;
    }
    Some((start, byte_after_chars(text, start, max_chars)))
}

/// The byte offset `n` characters after `from` (or the end), moved back to the end of a word so
/// that no word is cut.
fn byte_after_chars(text: &str, from: usize, n: usize) -> usize {
    let rest = &text[from..];
    match rest.char_indices().nth(n) {
        None => text.len(),
        // Cut at a space: no word is cut.
        Some((i, c)) if c.is_whitespace() => from + i,
        Some((i, _)) => {
            let cut = from + i;
            // Back to the last whitespace, unless that drops most of the window.
            match text[from..cut].rfind(char::is_whitespace) {
                Some(ws) if ws > i / 2 => from + ws,
                _ => cut,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Single-word terms, as a query reads them.
    fn set(words: &[&str]) -> Vec<Vec<QueryWord>> {
        words.iter().map(|w| phrase(&[w])).collect()
    }

    /// One term of words next to each other, as a query reads them.
    fn phrase(words: &[&str]) -> Vec<QueryWord> {
        crate::search::query::analyse(&words.join(" "))
    }

    fn render(s: &[Segment]) -> String {
        s.iter()
            .map(|(t, h)| if *h { format!("[{t}]") } else { t.clone() })
            .collect()
    }

    #[test]
    fn highlights_multibyte_words() {
        let s = snippet(
            "Đẩy mạnh công tác bảo vệ trẻ em.",
            &set(&["tre", "em"]),
            100,
        );
        assert_eq!(render(&s), "Đẩy mạnh công tác bảo vệ [trẻ] [em].");
    }

    #[test]
    fn every_match_the_window_was_chosen_for_is_shown() {
        // The words' matches span 147 of the 160 characters: the lead before the first one
        // shrinks to fit them, and a cut that falls on a space keeps the word before it.
        let text = "Ủy ban nhân dân thành phố Phan Thiết triển khai Kế hoạch trên địa bàn, tổ \
            chức các hoạt động truyền thông nhân Tháng hành động vì trẻ em năm 2025 và chuẩn \
            bị bàn giao hồ sơ, số liệu về trẻ em cho các phường, xã sau sắp xếp.\n\nBố trí \
            kinh phí cho công tác bảo vệ, chăm sóc trẻ em năm 2025 trong dự toán được giao.";
        let q = crate::search::Query::parse("bảo vệ trẻ em").unwrap();
        let s = render(&snippet(text, &q.highlight_terms(), 160));
        assert_eq!(
            s,
            "…hành động vì [trẻ] [em] năm 2025 và chuẩn bị bàn giao hồ sơ, số liệu về [trẻ] [em] \
             cho các phường, xã sau sắp xếp. Bố trí kinh phí cho công tác [bảo] [vệ], chăm sóc \
             [trẻ] [em]…"
        );
    }

    #[test]
    fn cuts_on_char_boundaries_around_the_match() {
        let long = "Ủy ban nhân dân tỉnh ".repeat(30) + "Tòa án nhân dân " + &"đề nghị ".repeat(30);
        let s = snippet(&long, &set(&["toa", "an"]), 60);
        let r = render(&s);
        assert!(r.starts_with('…'), "{r}");
        assert!(r.ends_with('…'), "{r}");
        assert!(r.contains("[Tòa] [án]"), "{r}");
        assert!(r.chars().count() <= 70, "{r}");
    }

    #[test]
    fn a_phrase_is_marked_only_where_its_words_stand_together() {
        let s = snippet(
            "Tòa án tham gia; Tòa Gia đình hoạt động theo quy định.",
            &[phrase(&["toa", "gia", "dinh"])],
            200,
        );
        assert_eq!(
            render(&s),
            "Tòa án tham gia; [Tòa] [Gia] [đình] hoạt động theo quy định."
        );
    }

    #[test]
    fn words_are_found_whatever_their_first_letter_looks_like() {
        // Capitals, diacritics, đ, and words of other scripts (whose folded first letter is
        // not ASCII).
        let s = snippet(
            "ĐẨY MẠNH công tác; Ủy ban; ủy thác; Ưu tiên; Гражданин, Ωmega",
            &set(&["day", "manh", "uy", "uu", "гражданин", "ωmega"]),
            200,
        );
        assert_eq!(
            render(&s),
            "[ĐẨY] [MẠNH] công tác; [Ủy] ban; [ủy] thác; [Ưu] tiên; [Гражданин], [Ωmega]"
        );
    }

    #[test]
    fn no_match_gives_the_start() {
        let s = snippet("Dòng một\n\nDòng hai", &set(&["x"]), 100);
        assert_eq!(s, [("Dòng một Dòng hai".to_string(), false)]);
    }

    #[test]
    fn words_typed_with_diacritics_are_marked_where_they_stand_as_typed() {
        let text = "Ba bà mẹ và bá hộ; Bà con, ông bà, ba mẹ.";
        // As typed, where it is; the old and the new accent placement meet.
        assert_eq!(
            render(&snippet(text, &set(&["bà"]), 200)),
            "Ba [bà] mẹ và bá hộ; [Bà] con, ông [bà], ba mẹ."
        );
        assert_eq!(
            render(&snippet("Hòa giải ở cơ sở; hoa", &set(&["hoà"]), 200)),
            "[Hòa] giải ở cơ sở; hoa"
        );
        // Without diacritics, every form that folds alike.
        assert_eq!(
            render(&snippet(text, &set(&["ba"]), 200)),
            "[Ba] [bà] mẹ và [bá] hộ; [Bà] con, ông [bà], [ba] mẹ."
        );
        // Not there as typed: what matched, folded.
        assert_eq!(
            render(&snippet(text, &set(&["bả"]), 200)),
            "[Ba] [bà] mẹ và [bá] hộ; [Bà] con, ông [bà], [ba] mẹ."
        );
        // A phrase: only where its words stand as typed (a word typed without diacritics
        // takes any form).
        assert_eq!(
            render(&snippet(text, &[phrase(&["bà", "me"])], 200)),
            "Ba [bà] [mẹ] và bá hộ; Bà con, ông bà, ba mẹ."
        );
        // Each term decides for itself.
        assert_eq!(
            render(&snippet(text, &set(&["bá", "me"]), 200)),
            "Ba bà [mẹ] và [bá] hộ; Bà con, ông bà, ba [mẹ]."
        );
    }
}
