//! Vietnamese text analysis.
//!
//! Text is cut into words (runs of letters, digits and combining marks), and each word gets two
//! forms:
//! - **folded**, for recall: lowercase, every diacritic removed, `đ` → `d` ("Tòa" → "toa");
//! - **exact**, for ranking: lowercase NFC with the tone mark placed by one convention, so that
//!   the old and new placements meet ("hoà"/"hòa", "thuỷ"/"thủy", "toà"/"tòa" → "hòa", "thủy",
//!   "tòa").
//!
//! The folded tokenizer also gives each word a code of its form with diacritics
//! ([`form_code`]), written into the word's position beside its place (see [`STRIDE`]): the
//! text's words are indexed once, and a word typed with diacritics is still found in the form
//! typed. The exact tokenizer writes the exact forms themselves (for titles).
//!
//! Input in NFD (as some input methods send it) gives the same words as NFC input.
//!
//! Characters that show nothing (soft hyphens, zero-width joiners, direction marks, the byte
//! order mark: see [`is_invisible`]) are left out of a word's forms and do not cut it: text
//! pasted with them is found by what it shows, and a query pasted with them finds it too.

use tantivy::tokenizer::{Token, TokenStream, Tokenizer};
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Name of the tokenizer of folded fields.
pub const FOLDED: &str = "vi_folded";
/// Name of the tokenizer of exact-diacritic fields.
pub const EXACT: &str = "vi_exact";

/// Words longer than this (in bytes) are not indexed.
const MAX_WORD_BYTES: usize = 120;

/// Whether `c` shows nothing and only joins, hyphenates or steers text: a soft hyphen,
/// a zero-width joiner or non-joiner, a direction mark, embedding, override or isolate, a word
/// joiner, the byte order mark. Between the letters of a word it is part of the word (and of
/// none of its forms). The zero-width space is not one of them: it separates words.
pub fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{061C}'
            | '\u{200C}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'
            | '\u{2066}'..='\u{2069}'
            | '\u{FEFF}'
    )
}

/// Characters below this are described by [`info`]; the rest go through the Unicode tables.
const TABLE_END: u32 = 0x2000;

/// What analysis needs to know of one character below [`TABLE_END`].
#[derive(Debug, Clone, Copy, Default)]
struct CharInfo {
    /// Its lowercase form without diacritics, when that is one character ('\0' otherwise).
    fold: char,
    /// Its lowercase form, when that is one character ('\0' otherwise).
    lower: char,
    /// The tone mark of its lowercase form ([`tone_kind`]; 0 for none), and the mark that
    /// shapes it ([`SHAPE_BREVE`] and the others; 0 for none): what it adds to a word's form
    /// code ([`FormCode`]).
    tone: u8,
    shape: u8,
    /// It belongs in a word: a letter, a digit or a combining mark.
    word: bool,
    /// It is a combining mark.
    mark: bool,
    /// It shows nothing (see [`is_invisible`]).
    invisible: bool,
}

/// Characters are described by blocks of this many, each worked out when first needed: a
/// process that reads a query touches a handful of blocks, not the whole table.
const BLOCK: u32 = 64;

fn describe(u: u32) -> CharInfo {
    let Some(c) = char::from_u32(u) else {
        return CharInfo::default();
    };
    if is_invisible(c) {
        return CharInfo {
            invisible: true,
            ..CharInfo::default()
        };
    }
    let mark = is_combining_mark(c);
    let mut info = CharInfo {
        word: c.is_alphanumeric() || mark,
        mark,
        ..CharInfo::default()
    };
    for l in c.to_lowercase() {
        if l == 'đ' {
            info.shape = SHAPE_STROKE;
        }
        for m in l.nfd().filter(|m| is_combining_mark(*m)) {
            match tone_kind(m) {
                0 => info.shape = shape_kind(m),
                t => info.tone = t,
            }
        }
    }
    let mut lower = c.to_lowercase();
    let (Some(l), None) = (lower.next(), lower.next()) else {
        return info;
    };
    info.lower = l;
    if l == 'đ' {
        info.fold = 'd';
        return info;
    }
    let mut base = l.nfd().filter(|c| !is_combining_mark(*c));
    if let (Some(b), None) = (base.next(), base.next()) {
        info.fold = b;
    }
    info
}

fn info(c: char) -> Option<&'static CharInfo> {
    use std::sync::OnceLock;
    const BLOCKS: usize = (TABLE_END / BLOCK) as usize;
    static TABLE: [OnceLock<[CharInfo; BLOCK as usize]>; BLOCKS] =
        [const { OnceLock::new() }; BLOCKS];
    let u = c as u32;
    let block = TABLE.get((u / BLOCK) as usize)?;
    let chars = block.get_or_init(|| {
        let first = u - u % BLOCK;
        std::array::from_fn(|i| describe(first + i as u32))
    });
    Some(&chars[(u % BLOCK) as usize])
}

fn is_word_char(c: char) -> bool {
    is_word(c, info(c))
}

/// Whether `c`, described by `info` (see [`info`]), belongs in a word.
#[inline]
fn is_word(c: char, info: Option<&CharInfo>) -> bool {
    match info {
        Some(i) => i.word,
        None => c.is_alphanumeric() || is_combining_mark(c),
    }
}

/// The folded form of one character when it is one character.
pub(crate) fn fold_char(c: char) -> Option<char> {
    if c.is_ascii() {
        return Some(c.to_ascii_lowercase());
    }
    match info(c) {
        Some(i) if i.fold != '\0' => Some(i.fold),
        _ => None,
    }
}

fn has_tone(c: char) -> bool {
    info(c).is_some_and(|i| i.tone != 0)
}

/// Which of the five Vietnamese tone marks (combining characters) `c` is, 1 to 5 (grave,
/// acute, tilde, hook above, dot below); 0 for any other character.
fn tone_kind(c: char) -> u8 {
    match c {
        '\u{0300}' => 1,
        '\u{0301}' => 2,
        '\u{0303}' => 3,
        '\u{0309}' => 4,
        '\u{0323}' => 5,
        _ => 0,
    }
}

/// Marks that shape a letter (other than its tone).
const SHAPE_BREVE: u8 = 1;
const SHAPE_CIRCUMFLEX: u8 = 2;
const SHAPE_HORN: u8 = 3;
/// Any other combining mark (a diaeresis, a cedilla …).
const SHAPE_OTHER: u8 = 4;
/// The stroke of `đ`.
const SHAPE_STROKE: u8 = 5;

/// The shape a combining mark gives its letter (not a tone mark).
fn shape_kind(c: char) -> u8 {
    match c {
        '\u{0306}' => SHAPE_BREVE,
        '\u{0302}' => SHAPE_CIRCUMFLEX,
        '\u{031B}' => SHAPE_HORN,
        _ => SHAPE_OTHER,
    }
}

/// Positions in the folded field: the place of a word (0, 1, 2 …) times [`STRIDE`], plus
/// the code of its form with diacritics ([`form_code`]). Words are next to each other when
/// their places are; a word was written in the form typed when the rest is the form's code.
pub const STRIDE_BITS: u32 = 8;
pub const STRIDE: u32 = 1 << STRIDE_BITS;
/// The last place a word can have: its position, with the code and the gap tantivy leaves after
/// a text, still fits in 32 bits.
const MAX_PLACE: usize = (u32::MAX >> STRIDE_BITS) as usize - 2;

/// Between two parts of a text (a title and a body), in the folded field: the words on either
/// side are not next to each other.
pub const PART: &str = "\0";

/// The diacritics of a word as they add up, letter by letter, into its form code. Nothing
/// depends on their order, which NFC and NFD may change.
#[derive(Default, Clone, Copy)]
struct FormCode {
    /// The highest tone mark ([`tone_kind`]): a Vietnamese word has one.
    tone: u8,
    /// `đ`.
    stroke: bool,
    /// How many letters have a breve, a circumflex, a horn.
    shapes: [u8; 3],
    /// A mark that is neither a tone nor a Vietnamese shape.
    other: bool,
    /// A combining mark on its own (NFD text): the code is then the exact form's.
    marks: bool,
}

impl FormCode {
    #[inline]
    fn add(&mut self, info: &CharInfo) {
        self.marks |= info.mark;
        self.tone = self.tone.max(info.tone);
        match info.shape {
            0 => {}
            SHAPE_STROKE => self.stroke = true,
            SHAPE_OTHER => self.other = true,
            s => {
                let n = &mut self.shapes[usize::from(s - 1)];
                *n = n.saturating_add(1);
            }
        }
    }

    /// A number below [`STRIDE`]: the tone (6 values), `đ` (2), and the shapes of the vowels
    /// (21 values): none, one (3), two (6: a Vietnamese word has at most two, as in "ươ"), and
    /// 11 more shared by rarer sets (more shaped vowels, or marks of other languages).
    fn code(&self) -> u32 {
        let [breve, circumflex, horn] = self.shapes.map(u32::from);
        let vowels = match (self.other, breve + circumflex + horn) {
            (false, 0) => 0,
            (false, 1) => 1 + circumflex + 2 * horn,
            (false, 2) => match (breve, circumflex, horn) {
                (2, _, _) => 4,
                (1, 1, _) => 5,
                (1, _, 1) => 6,
                (_, 2, _) => 7,
                (_, 1, 1) => 8,
                _ => 9,
            },
            _ => {
                let mixed = breve * 31 * 31 + circumflex * 31 + horn + u32::from(self.other);
                10 + mixed.wrapping_mul(0x9E37_79B9) % 11
            }
        };
        u32::from(self.tone) + 6 * (u32::from(self.stroke) + 2 * vowels)
    }
}

/// The code of a word's form with diacritics, below [`STRIDE`]: its tone, whether it has `đ`,
/// and the shapes of its vowels (breve, circumflex, horn). Two forms of one folded Vietnamese
/// word have different codes (the place of the tone does not count: "hoà" and "hòa" are one
/// form); forms with marks of other languages, or with the same shapes on other vowels, may
/// share one. Case, NFC or NFD and invisible characters do not change it.
pub fn form_code(word: &str) -> u32 {
    let code = add_up(word);
    if code.marks {
        // Marks on their own may stand in any order, one tone over another: the exact form
        // sorts that out (and is what a query's word is known by).
        return add_up(&exact(word)).code();
    }
    code.code()
}

fn add_up(word: &str) -> FormCode {
    let mut code = FormCode::default();
    for c in word.chars().filter(|c| !c.is_ascii()) {
        if let Some(i) = info(c) {
            code.add(i);
        }
    }
    code
}

/// Whether `c`, described by `info`, shows nothing (see [`is_invisible`]).
#[inline]
fn invisible(c: char, info: Option<&CharInfo>) -> bool {
    match info {
        Some(i) => i.invisible,
        None => is_invisible(c),
    }
}

/// Where the word goes on after the invisible characters that start at byte `i`: the byte of
/// the next word character when only invisible ones come before it, else None (the word ended
/// before `i`).
fn rejoins(text: &str, i: usize) -> Option<usize> {
    for (k, c) in text[i..].char_indices() {
        let info = info(c);
        if is_word(c, info) {
            return Some(i + k);
        }
        if !invisible(c, info) {
            return None;
        }
    }
    None
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

/// The byte ranges of the words of a text, in order (see [`word_ranges`]).
pub struct WordRanges<'a> {
    text: &'a str,
    pos: usize,
}

impl WordRanges<'_> {
    /// Whether the character at byte `i` belongs in a word, and its length.
    fn char_at(&self, i: usize) -> (bool, usize) {
        let b = self.text.as_bytes()[i];
        if b < 0x80 {
            return (b.is_ascii_alphanumeric(), 1);
        }
        let c = self.text[i..]
            .chars()
            .next()
            .expect("a character starts here");
        (is_word_char(c), c.len_utf8())
    }
}

/// The byte where the word that goes on at byte `i` (after its first character) stops, in
/// `text` of `len` bytes; `at` tells whether the character at a byte belongs in a word, and
/// its length.
#[inline]
fn word_end(text: &str, mut i: usize, at: impl Fn(usize) -> (bool, usize)) -> usize {
    let len = text.len();
    while i < len {
        let (word, n) = at(i);
        if word {
            i += n;
            continue;
        }
        match (text.as_bytes()[i] >= 0x80)
            .then(|| rejoins(text, i))
            .flatten()
        {
            Some(next) => i = next,
            None => break,
        }
    }
    i
}

impl WordRanges<'_> {
    /// The next run of word characters, however long.
    fn next_run(&mut self) -> Option<(usize, usize)> {
        let len = self.text.len();
        let mut i = self.pos;
        while i < len {
            let (word, n) = self.char_at(i);
            if word {
                break;
            }
            i += n;
        }
        if i >= len {
            self.pos = len;
            return None;
        }
        let start = i;
        let i = word_end(self.text, i, |k| self.char_at(k));
        self.pos = i;
        Some((start, i))
    }
}

impl Iterator for WordRanges<'_> {
    type Item = (usize, usize);
    fn next(&mut self) -> Option<(usize, usize)> {
        loop {
            let (start, end) = self.next_run()?;
            if end - start <= MAX_WORD_BYTES {
                return Some((start, end));
            }
        }
    }
}

/// The byte ranges of the words of `text`: runs of letters, digits and combining marks (with
/// any invisible characters between them), at most 120 bytes long (longer runs are left out).
pub fn word_ranges(text: &str) -> WordRanges<'_> {
    WordRanges { text, pos: 0 }
}

/// The first run of word characters in `text` too long to be a word (see [`word_ranges`]):
/// never indexed, so never found.
pub fn overlong_word(text: &str) -> Option<&str> {
    let mut runs = WordRanges { text, pos: 0 };
    std::iter::from_fn(|| runs.next_run())
        .find(|(s, e)| e - s > MAX_WORD_BYTES)
        .map(|(s, e)| &text[s..e])
}

/// The words of `text` with both forms.
pub fn words(text: &str) -> Vec<Word> {
    word_ranges(text)
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

/// Lowercase, without any diacritic, `đ` as `d`; of a word or of any text (what is not a
/// letter stays as it is).
pub fn fold(word: &str) -> String {
    let mut out = String::with_capacity(word.len());
    fold_into(word, &mut out);
    out
}

/// [`fold`], written into `out` (cleared first).
pub fn fold_into(word: &str, out: &mut String) {
    out.clear();
    for c in word.chars() {
        if c.is_ascii() {
            out.push(c.to_ascii_lowercase());
        } else {
            push_folded(c, info(c), out);
        }
    }
}

/// Appends the folded form of `c`, a character that is not ASCII, described by `info` (see
/// [`info`]): nothing for a combining mark.
#[inline]
fn push_folded(c: char, info: Option<&CharInfo>, out: &mut String) {
    match info {
        Some(i) if i.fold != '\0' => out.push(i.fold),
        Some(i) if i.mark || i.invisible => {}
        None if is_combining_mark(c) || is_invisible(c) => {}
        _ => fold_slow(c, out),
    }
}

fn fold_slow(c: char, out: &mut String) {
    for c in c.to_lowercase() {
        match c {
            'đ' => out.push('d'),
            c if c.is_ascii() => out.push(c),
            c => out.extend(c.nfd().filter(|c| !is_combining_mark(*c))),
        }
    }
}

/// True when a word carries any diacritic (or `đ`): then its exact form is worth matching.
pub fn has_diacritics(word: &str) -> bool {
    !word.is_ascii() && word.chars().any(|c| !c.is_ascii() && !is_invisible(c))
}

/// Lowercase NFC, with the tone mark of a final `oa`, `oe` or `uy` on its first vowel.
pub fn exact(word: &str) -> String {
    let mut out = String::with_capacity(word.len());
    exact_into(word, &mut out);
    out
}

/// [`exact`], written into `out` (cleared first).
pub fn exact_into(word: &str, out: &mut String) {
    out.clear();
    let mut marks = false;
    for c in word.chars() {
        marks |= push_lower(c, out);
    }
    finish_exact(out, marks);
}

/// Appends the lowercase form of `c`; true when `c` is a combining mark.
#[inline]
fn push_lower(c: char, out: &mut String) -> bool {
    match info(c) {
        Some(i) if i.lower != '\0' => {
            out.push(i.lower);
            i.mark
        }
        Some(i) if i.invisible => false,
        None if is_invisible(c) => false,
        _ => {
            out.extend(c.to_lowercase());
            is_combining_mark(c)
        }
    }
}

/// Turns the lowercase form of a word (`marks`: it holds combining marks) into its exact form.
fn finish_exact(out: &mut String, marks: bool) {
    if out.is_ascii() {
        return;
    }
    // Precomposed text whose last two letters are not oa/oe/uy with a tone on the last: as is.
    if !marks {
        let lower: &str = out;
        let mut rev = lower.chars().rev();
        let (last, prev, before) = (rev.next(), rev.next(), rev.next());
        let moves = match (prev, last) {
            (Some(p), Some(l)) => {
                matches!(
                    (fold_char(p), fold_char(l)),
                    (Some('o'), Some('a' | 'e')) | (Some('u'), Some('y'))
                ) && has_tone(l)
                    && !has_tone(p)
                    && before != Some('q')
            }
            _ => false,
        };
        if !moves {
            return;
        }
    }
    let lower = std::mem::take(out);
    // Letters with their marks: (base with its shape marks, tone mark).
    let mut slots: Vec<(String, Option<char>)> = Vec::new();
    for c in lower.nfd() {
        if tone_kind(c) != 0
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
    let mut nfd = String::with_capacity(lower.len() + 4);
    for (base, tone) in slots {
        nfd.push_str(&base);
        if let Some(t) = tone {
            nfd.push(t);
        }
    }
    out.extend(nfd.nfc());
}

/// Name of the tokenizer of titles: folded words, without positions.
pub const TITLE: &str = "vi_title";
/// What a tokenizer emits for each word.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Form {
    Folded,
    /// Only words with diacritics: the exact form of the others is their folded form.
    Exact,
}

/// The tantivy tokenizer of one of the forms.
#[derive(Clone)]
pub struct VietTokenizer {
    form: Form,
    token: Token,
}

impl VietTokenizer {
    fn new(form: Form) -> Self {
        VietTokenizer {
            form,
            token: Token::default(),
        }
    }
    pub fn folded() -> Self {
        Self::new(Form::Folded)
    }
    pub fn exact() -> Self {
        Self::new(Form::Exact)
    }
}

pub struct VietTokenStream<'a> {
    text: &'a str,
    /// Where the next word is looked for.
    pos: usize,
    /// The place of the next word (see [`STRIDE`]).
    place: usize,
    /// The code of the last word's form (folded stream).
    code: u32,
    form: Form,
    token: &'a mut Token,
}

impl Tokenizer for VietTokenizer {
    type TokenStream<'a> = VietTokenStream<'a>;
    fn token_stream<'a>(&'a mut self, text: &'a str) -> VietTokenStream<'a> {
        self.token.reset();
        VietTokenStream {
            text,
            pos: 0,
            place: 0,
            code: 0,
            form: self.form,
            token: &mut self.token,
        }
    }
}

impl VietTokenStream<'_> {
    /// Finds the next word (as [`word_ranges`] does) and writes its form into the token's
    /// text, in one pass over its characters. Returns the word's byte range and whether it is
    /// ASCII; None at the end of the text.
    fn next_word(&mut self) -> Option<(usize, usize, bool)> {
        let text = self.text;
        let bytes = text.as_bytes();
        let len = bytes.len();
        let out = &mut self.token.text;
        loop {
            let mut i = self.pos;
            // Up to the first character of a word.
            while i < len {
                let b = bytes[i];
                if b < 0x80 {
                    if b.is_ascii_alphanumeric() {
                        break;
                    }
                    if b == PART.as_bytes()[0] {
                        self.place += 1;
                    }
                    i += 1;
                    continue;
                }
                let c = text[i..].chars().next().expect("a character starts here");
                if is_word_char(c) {
                    break;
                }
                i += c.len_utf8();
            }
            if i >= len {
                self.pos = len;
                return None;
            }
            let start = i;
            out.clear();
            let mut ascii = true;
            let mut marks = false;
            let mut code = FormCode::default();
            while i < len {
                let b = bytes[i];
                if b < 0x80 {
                    if !b.is_ascii_alphanumeric() {
                        break;
                    }
                    out.push(b.to_ascii_lowercase() as char);
                    i += 1;
                    continue;
                }
                let c = text[i..].chars().next().expect("a character starts here");
                let info = info(c);
                if !is_word(c, info) {
                    match invisible(c, info).then(|| rejoins(text, i)).flatten() {
                        Some(next) => {
                            i = next;
                            continue;
                        }
                        None => break,
                    }
                }
                ascii = false;
                match self.form {
                    Form::Folded => {
                        push_folded(c, info, out);
                        if let Some(info) = info {
                            code.add(info);
                        }
                    }
                    Form::Exact => marks |= push_lower(c, out),
                }
                i += c.len_utf8();
            }
            self.pos = i;
            self.code = if code.marks {
                form_code(&text[start..i])
            } else {
                code.code()
            };
            if i - start <= MAX_WORD_BYTES {
                if self.form == Form::Exact && !ascii {
                    finish_exact(out, marks);
                }
                return Some((start, i, ascii));
            }
        }
    }
}

impl TokenStream for VietTokenStream<'_> {
    fn advance(&mut self) -> bool {
        loop {
            let Some((s, e, ascii)) = self.next_word() else {
                return false;
            };
            let place = self.place;
            if place > MAX_PLACE {
                // Positions are 32 bits: the words of a text beyond 16 million are not indexed.
                self.pos = self.text.len();
                return false;
            }
            self.place += 1;
            self.token.position = match self.form {
                // The exact form of a word without diacritics is its folded form: left out.
                Form::Exact if ascii => continue,
                Form::Exact => place,
                Form::Folded => place * STRIDE as usize + self.code as usize,
            };
            self.token.offset_from = s;
            self.token.offset_to = e;
            return true;
        }
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
    fn fast_folding_agrees_with_the_definition() {
        for u in 0..0x2100u32 {
            let Some(c) = char::from_u32(u) else { continue };
            let s = c.to_string();
            if is_invisible(c) {
                assert_eq!(fold(&s), "", "U+{u:04X}");
                continue;
            }
            let want: String = s
                .chars()
                .flat_map(char::to_lowercase)
                .flat_map(|c| {
                    let one = if c == 'đ' {
                        "d".to_string()
                    } else {
                        c.to_string()
                    };
                    one.nfd().collect::<Vec<_>>()
                })
                .filter(|c| !is_combining_mark(*c))
                .collect();
            assert_eq!(fold(&s), want, "U+{u:04X}");
        }
        // Every syllable shape: the fast exact form is the slow one.
        for w in [
            "hoà", "hòa", "Thuỷ", "quý", "khoẻ", "Đoàn", "toán", "tòa", "xoá", "uý",
        ] {
            let nfd: String = w.nfd().collect();
            assert_eq!(exact(w), exact(&nfd), "{w}");
        }
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

    /// Word boundaries, folding and exact forms as defined, without the fast paths: a word
    /// is a run of letters, digits and combining marks, invisible characters between them
    /// included, and its forms leave those out.
    fn reference_words(text: &str) -> Vec<(usize, usize, String, String)> {
        let word = |c: char| c.is_alphanumeric() || is_combining_mark(c);
        let mut out = Vec::new();
        // Where the word in progress starts, and where its last word character ends.
        let mut start: Option<(usize, usize)> = None;
        for (i, c) in text.char_indices().chain([(text.len(), ' ')]) {
            let end = i + c.len_utf8();
            match (word(c) && i < text.len(), start) {
                (true, None) => start = Some((i, end)),
                (true, Some((s, _))) => start = Some((s, end)),
                (false, Some(_)) if is_invisible(c) && i < text.len() => {}
                (false, Some((s, e))) => {
                    if e - s <= MAX_WORD_BYTES {
                        let w: String = text[s..e].chars().filter(|c| !is_invisible(*c)).collect();
                        let folded: String = w
                            .chars()
                            .flat_map(char::to_lowercase)
                            .map(|c| if c == 'đ' { 'd' } else { c })
                            .collect::<String>()
                            .nfd()
                            .filter(|c| !is_combining_mark(*c))
                            .collect();
                        out.push((s, e, folded, exact(&w)));
                    }
                    start = None;
                }
                _ => {}
            }
        }
        out
    }

    proptest::proptest! {
        #[test]
        fn fast_paths_agree_with_the_definitions(
            text in "[a-zA-Z0-9 ,.:;\\-–\"()\n\u{00C0}-\u{024F}\u{0300}-\u{036F}\u{1EA0}-\u{1EF9}\u{0400}-\u{04FF}\u{4E00}-\u{4E10}\u{1F600}-\u{1F610}\u{00AD}\u{200B}-\u{200F}\u{202A}-\u{202E}\u{FEFF}]{0,80}"
        ) {
            let got: Vec<(usize, usize, String, String)> = words(&text)
                .into_iter()
                .map(|w| (w.start, w.end, w.folded, w.exact))
                .collect();
            proptest::prop_assert_eq!(got, reference_words(&text));
        }

        #[test]
        fn token_streams_agree_with_the_words(
            text in "[a-zA-Z0-9 ,.:;\\-–\"()\n\u{00C0}-\u{024F}\u{0300}-\u{036F}\u{1EA0}-\u{1EF9}\u{0400}-\u{04FF}\u{212A}\u{4E00}-\u{4E10}\u{1F600}-\u{1F610}\u{00AD}\u{200B}-\u{200F}\u{202A}-\u{202E}\u{FEFF}]{0,80}"
        ) {
            let ws = words(&text);
            let stream = |mut t: VietTokenizer| {
                let mut s = t.token_stream(&text);
                let mut got = vec![];
                while s.advance() {
                    let k = s.token();
                    got.push((k.position, k.offset_from, k.offset_to, k.text.clone()));
                }
                got
            };
            // A word's code is its exact form's (which a query word is known by).
            for w in &ws {
                proptest::prop_assert_eq!(form_code(&text[w.start..w.end]), form_code(&w.exact));
            }
            // The folded stream places each word with the code of its form.
            let folded: Vec<_> = ws
                .iter()
                .enumerate()
                .map(|(i, w)| {
                    let code = form_code(&text[w.start..w.end]) as usize;
                    (i * STRIDE as usize + code, w.start, w.end, w.folded.clone())
                })
                .collect();
            // The exact stream leaves out the words without diacritics, keeping positions.
            let exact: Vec<_> = ws
                .iter()
                .enumerate()
                .filter(|(_, w)| has_diacritics(&text[w.start..w.end]))
                .map(|(i, w)| (i, w.start, w.end, w.exact.clone()))
                .collect();
            proptest::prop_assert_eq!(stream(VietTokenizer::folded()), folded);
            proptest::prop_assert_eq!(stream(VietTokenizer::exact()), exact);
        }
    }

    #[test]
    fn invisible_characters_inside_a_word_neither_cut_it_nor_show_in_its_forms() {
        // A direction override, a soft hyphen, a zero-width joiner, a byte order mark.
        let t = "\u{FEFF}Tr\u{202E}ẻ em, Tòa\u{00AD} \u{200D}án nh\u{200D}ân\u{200F}";
        let ws = words(t);
        let got: Vec<(&str, &str, &str)> = ws
            .iter()
            .map(|w| (&t[w.start..w.end], w.folded.as_str(), w.exact.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("Tr\u{202E}ẻ", "tre", "trẻ"),
                ("em", "em", "em"),
                ("Tòa", "toa", "tòa"),
                ("án", "an", "án"),
                ("nh\u{200D}ân", "nhan", "nhân"),
            ]
        );
        assert!(has_diacritics("Tr\u{202E}ẻ"));
        assert!(!has_diacritics("e\u{00AD}m"));
        // The zero-width space separates words.
        let ws = words("trẻ\u{200B}em");
        assert_eq!(ws.len(), 2);
        assert_eq!(
            (ws[0].folded.as_str(), ws[1].folded.as_str()),
            ("tre", "em")
        );
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
        // Words without diacritics are left to the folded field.
        let mut s = t.token_stream("ba bà");
        assert!(s.advance());
        assert_eq!((s.token().text.as_str(), s.token().position), ("bà", 1));
        assert!(!s.advance());
        let mut t = VietTokenizer::folded();
        let mut s = t.token_stream("Toà án");
        assert!(s.advance());
        assert_eq!(s.token().text, "toa");
        assert_eq!(s.token().position, form_code("tòa") as usize);
        assert!(s.advance());
        assert_eq!(
            s.token().position,
            STRIDE as usize + form_code("án") as usize
        );
        // The parts of a text are kept apart: no word of one is next to a word of the next.
        let text = ["Tòa", "án"].join(PART);
        let mut s = t.token_stream(&text);
        assert!(s.advance() && s.advance());
        assert_eq!(s.token().position >> STRIDE_BITS, 2);
    }

    #[test]
    fn words_past_the_last_place_are_left_out() {
        for mut t in [VietTokenizer::folded(), VietTokenizer::exact()] {
            let mut s = t.token_stream("ông bà cha mẹ");
            s.place = MAX_PLACE - 1;
            let mut got = vec![];
            while s.advance() {
                got.push((s.token().text.clone(), s.token().position));
            }
            assert_eq!(got.len(), 2, "{got:?}");
            assert!(
                got.iter().all(|(_, p)| u32::try_from(*p).is_ok()),
                "{got:?}"
            );
        }
    }

    #[test]
    fn forms_of_one_folded_word_have_codes_of_their_own() {
        let tones = [
            "", "\u{0300}", "\u{0301}", "\u{0303}", "\u{0309}", "\u{0323}",
        ];
        let with_tone = |word: &str, tone: &str| -> String {
            // The tone on the last vowel of the word.
            let at = word
                .rfind(|c: char| "aăâeêioôơuưy".contains(c))
                .expect("a vowel");
            let end = at + word[at..].chars().next().expect("a vowel").len_utf8();
            format!("{}{tone}{}", &word[..end], &word[end..])
                .nfc()
                .collect()
        };
        let mut forms = Vec::new();
        for d in ["d", "đ"] {
            // Every spelling of "duong" Vietnamese writes, with every tone.
            for vowels in ["uo", "uô", "ươ", "uơ"] {
                for tone in tones {
                    forms.push(with_tone(&format!("{d}{vowels}ng"), tone));
                }
            }
        }
        for a in ["ba", "bă", "bâ"] {
            for tone in tones {
                forms.push(with_tone(a, tone));
            }
        }
        let mut seen = std::collections::HashMap::new();
        for f in &forms {
            let key = (fold(f), form_code(f));
            assert!(key.1 < STRIDE, "{f}: {}", key.1);
            if let Some(other) = seen.insert(key, f.clone()) {
                panic!("{f} and {other} share a code");
            }
        }
        assert_eq!(seen.len(), 2 * 4 * 6 + 3 * 6);
        // Case, NFD input, invisible characters and the place of the tone do not count.
        for (a, b) in [
            ("hoà", "hòa"),
            ("thuỷ", "thủy"),
            ("Đường", "đường"),
            ("ĐƯỜNG", "đường"),
            ("tr\u{00AD}ẻ", "trẻ"),
        ] {
            assert_eq!(form_code(a), form_code(b), "{a} {b}");
        }
        assert_eq!(form_code(&nfd("Người được")), form_code("Người được"));
        assert_eq!(form_code("ba"), 0);
    }
}
