//! Vietnamese text analysis.
//!
//! Text is cut into words (runs of letters, digits and combining marks), and each word gets two
//! forms:
//! - **folded**, for recall: lowercase, every diacritic removed, `đ` → `d` ("Tòa" → "toa");
//! - **exact**, for ranking: lowercase NFC with the tone mark placed by one convention, so that
//!   the old and new placements meet ("hoà"/"hòa", "thuỷ"/"thủy", "toà"/"tòa" → "hòa", "thủy",
//!   "tòa").
//!
//! Input in NFD (as some input methods send it) gives the same words as NFC input.

use tantivy::tokenizer::{Token, TokenStream, Tokenizer};
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Name of the tokenizer of folded fields.
pub const FOLDED: &str = "vi_folded";
/// Name of the tokenizer of exact-diacritic fields.
pub const EXACT: &str = "vi_exact";

/// Words longer than this (in bytes) are not indexed.
const MAX_WORD_BYTES: usize = 120;

/// The five Vietnamese tone marks, as combining characters.
fn is_tone_mark(c: char) -> bool {
    matches!(
        c,
        '\u{0300}' | '\u{0301}' | '\u{0303}' | '\u{0309}' | '\u{0323}'
    )
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || is_combining_mark(c)
}

/// A word of a text: where it is, and its two forms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    /// Byte range in the text.
    pub start: usize,
    pub end: usize,
    pub folded: String,
    pub exact: String,
}

/// The byte ranges of the words of `text`.
pub fn word_ranges(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        match (is_word_char(c), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                out.push((s, i));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push((s, text.len()));
    }
    out.retain(|&(s, e)| e - s <= MAX_WORD_BYTES);
    out
}

/// The words of `text` with both forms.
pub fn words(text: &str) -> Vec<Word> {
    word_ranges(text)
        .into_iter()
        .map(|(start, end)| {
            let w = &text[start..end];
            Word {
                start,
                end,
                folded: fold(w),
                exact: exact(w),
            }
        })
        .collect()
}

/// Lowercase, without any diacritic, `đ` as `d`.
pub fn fold(word: &str) -> String {
    let mut out = String::with_capacity(word.len());
    for c in word.chars().flat_map(char::to_lowercase) {
        match c {
            'đ' => out.push('d'),
            c if c.is_ascii() => out.push(c),
            c => out.extend(c.nfd().filter(|c| !is_combining_mark(*c))),
        }
    }
    out
}

/// True when a word carries any diacritic (or `đ`): then its exact form is worth matching.
pub fn has_diacritics(word: &str) -> bool {
    !word.is_ascii()
}

/// Lowercase NFC, with the tone mark of a final `oa`, `oe` or `uy` on its first vowel.
pub fn exact(word: &str) -> String {
    let lower: String = word.chars().flat_map(char::to_lowercase).collect();
    if lower.is_ascii() {
        return lower;
    }
    // Letters with their marks: (base with its shape marks, tone mark).
    let mut slots: Vec<(String, Option<char>)> = Vec::new();
    for c in lower.nfd() {
        if is_tone_mark(c)
            && let Some(last) = slots.last_mut()
        {
            last.1 = Some(c);
            continue;
        }
        if is_combining_mark(c)
            && let Some(last) = slots.last_mut()
        {
            last.0.push(c);
            continue;
        }
        slots.push((c.to_string(), None));
    }
    let n = slots.len();
    if n >= 2 {
        let pair = (slots[n - 2].0.as_str(), slots[n - 1].0.as_str());
        let after_q = n >= 3 && slots[n - 3].0 == "q";
        if matches!(pair, ("o", "a") | ("o", "e") | ("u", "y"))
            && !after_q
            && slots[n - 2].1.is_none()
            && let Some(t) = slots[n - 1].1.take()
        {
            slots[n - 2].1 = Some(t);
        }
    }
    let mut out = String::with_capacity(lower.len());
    for (base, tone) in slots {
        out.push_str(&base);
        if let Some(t) = tone {
            out.push(t);
        }
    }
    out.nfc().collect()
}

/// The tantivy tokenizer of one of the two forms.
#[derive(Clone)]
pub struct VietTokenizer {
    exact: bool,
    token: Token,
}

impl VietTokenizer {
    pub fn folded() -> Self {
        VietTokenizer {
            exact: false,
            token: Token::default(),
        }
    }
    pub fn exact() -> Self {
        VietTokenizer {
            exact: true,
            token: Token::default(),
        }
    }
}

pub struct VietTokenStream<'a> {
    text: &'a str,
    ranges: std::vec::IntoIter<(usize, usize)>,
    exact: bool,
    token: &'a mut Token,
}

impl Tokenizer for VietTokenizer {
    type TokenStream<'a> = VietTokenStream<'a>;
    fn token_stream<'a>(&'a mut self, text: &'a str) -> VietTokenStream<'a> {
        self.token.reset();
        VietTokenStream {
            text,
            ranges: word_ranges(text).into_iter(),
            exact: self.exact,
            token: &mut self.token,
        }
    }
}

impl TokenStream for VietTokenStream<'_> {
    fn advance(&mut self) -> bool {
        let Some((s, e)) = self.ranges.next() else {
            return false;
        };
        let w = &self.text[s..e];
        self.token.position = self.token.position.wrapping_add(1);
        self.token.offset_from = s;
        self.token.offset_to = e;
        self.token.text = if self.exact { exact(w) } else { fold(w) };
        true
    }
    fn token(&self) -> &Token {
        self.token
    }
    fn token_mut(&mut self) -> &mut Token {
        self.token
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nfd(s: &str) -> String {
        s.nfd().collect()
    }

    #[test]
    fn folds_vietnamese() {
        assert_eq!(fold("Trẻ"), "tre");
        assert_eq!(fold("Đẩy"), "day");
        assert_eq!(fold("mạnh"), "manh");
        assert_eq!(fold("Tòa"), "toa");
        assert_eq!(fold("ĐỒNG"), "dong");
        assert_eq!(fold("Ưu"), "uu");
        assert_eq!(fold("abc123"), "abc123");
    }

    #[test]
    fn nfd_input_gives_the_same_words() {
        let nfc = "Đẩy mạnh bảo vệ trẻ em, Tòa án nhân dân";
        let a = words(nfc);
        let b = words(&nfd(nfc));
        assert_eq!(a.len(), 10);
        assert_eq!(
            a.iter().map(|w| (&w.folded, &w.exact)).collect::<Vec<_>>(),
            b.iter().map(|w| (&w.folded, &w.exact)).collect::<Vec<_>>()
        );
        assert_eq!(b[0].folded, "day");
        assert_eq!(b[0].exact, "đẩy");
    }

    #[test]
    fn old_and_new_tone_placement_meet() {
        assert_eq!(exact("hoà"), exact("hòa"));
        assert_eq!(exact("hòa"), "hòa");
        assert_eq!(exact("thuỷ"), "thủy");
        assert_eq!(exact("Toà"), "tòa");
        assert_eq!(exact("khoẻ"), "khỏe");
        assert_eq!(exact(&nfd("hoà")), "hòa");
        // The tone of a syllable that goes on after the pair does not move.
        assert_eq!(exact("hoàn"), "hoàn");
        assert_eq!(exact("thuyết"), "thuyết");
        // After q the u belongs to the consonant: quý stays.
        assert_eq!(exact("quý"), "quý");
        // Different tones stay different.
        assert_ne!(exact("bà"), exact("bá"));
        assert_ne!(exact("bà"), "ba");
    }

    #[test]
    fn words_split_on_punctuation_and_keep_offsets() {
        let t = "Lao động – Thương binh; tỉnh: Bình Thuận";
        let ws = words(t);
        let texts: Vec<&str> = ws.iter().map(|w| &t[w.start..w.end]).collect();
        assert_eq!(
            texts,
            ["Lao", "động", "Thương", "binh", "tỉnh", "Bình", "Thuận"]
        );
        assert_eq!(ws[1].folded, "dong");
    }

    #[test]
    fn tokenizer_streams_both_forms() {
        let mut t = VietTokenizer::exact();
        let mut s = t.token_stream("Toà án");
        let mut got = vec![];
        while s.advance() {
            got.push((s.token().text.clone(), s.token().position));
        }
        assert_eq!(got, [("tòa".to_string(), 0), ("án".to_string(), 1)]);
        let mut t = VietTokenizer::folded();
        let mut s = t.token_stream("Toà án");
        assert!(s.advance());
        assert_eq!(s.token().text, "toa");
    }
}
