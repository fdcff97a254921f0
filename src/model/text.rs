//! Text rules: NFC normalisation and safe display of data on a terminal.

use std::borrow::Cow;
use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfc_quick};

/// True when `s` is already in Unicode NFC.
pub fn is_nfc(s: &str) -> bool {
    // Fast path for the common case: ASCII, and precomposed Latin letters (Latin-1 to Latin
    // Extended-B, Latin Extended Additional: every Vietnamese letter), which are starters that
    // are NFC on their own. Anything else is checked with the Unicode tables from the character
    // before it (a base it may combine with) up to the next ASCII byte.
    let b = s.as_bytes();
    let mut i = 0;
    let mut prev = 0;
    while i < b.len() {
        // Sixteen bytes at a time while they hold only such characters.
        if let Some(window) = b.get(i..i + 17).and_then(|w| w.try_into().ok())
            && window_is_plain(window)
        {
            let mut j = i + 16;
            while j < b.len() && b[j] & 0xC0 == 0x80 {
                j += 1;
            }
            prev = j - 1;
            while b[prev] & 0xC0 == 0x80 {
                prev -= 1;
            }
            i = j;
            continue;
        }
        let len = plain_len(b, i);
        if len > 0 {
            prev = i;
            i += len;
            continue;
        }
        let mut end = i;
        while end < b.len() && b[end] >= 0x80 {
            end += 1;
        }
        let run = &s[prev..end];
        let ok = match is_nfc_quick(run.chars()) {
            IsNormalized::Yes => true,
            IsNormalized::No => false,
            IsNormalized::Maybe => run.nfc().eq(run.chars()),
        };
        if !ok {
            return false;
        }
        prev = end;
        i = end;
    }
    true
}

/// The length of the character at `b[i]` when it is ASCII or [`is_plain_latin`], read from the
/// UTF-8 bytes directly (a lead byte C2–CB is U+0080–U+02FF; E1 B8–BB is U+1E00–U+1EFF); 0 for
/// any other character.
fn plain_len(b: &[u8], i: usize) -> usize {
    match b[i] {
        0x00..=0x7F => 1,
        0xC2..=0xCB => 2,
        0xE1 if matches!(b.get(i + 1), Some(0xB8..=0xBB)) => 3,
        _ => 0,
    }
}

/// True when the characters that start in the first 16 bytes of `w` (17 bytes, from a
/// character boundary) are all ASCII or plain Latin, as [`plain_len`] reads them: no byte
/// from CC up but E1, and every E1 followed by B8–BB. Written without an early exit, so that
/// it compiles to a few vector instructions.
fn window_is_plain(w: &[u8; 17]) -> bool {
    let mut bad = false;
    for k in 0..16 {
        let (x, next) = (w[k], w[k + 1]);
        bad |= (x >= 0xCC) & (x != 0xE1) | (x == 0xE1) & (next & 0xFC != 0xB8);
    }
    !bad
}

/// Characters that are NFC starters on their own: C1 controls, Latin-1 to Latin Extended-B,
/// IPA and spacing modifiers, Latin Extended Additional (checked exhaustively in tests).
#[cfg(test)]
fn is_plain_latin(c: char) -> bool {
    matches!(c as u32, 0x80..=0x2FF | 0x1E00..=0x1EFF)
}

/// `bytes` as text when they are UTF-8. Record files are read whole, hundreds of megabytes at
/// 100 000 records: checked with SIMD first, and again byte by byte only to say where a bad
/// byte is.
pub fn utf8(bytes: &[u8]) -> Result<&str, std::str::Utf8Error> {
    match simdutf8::basic::from_utf8(bytes) {
        Ok(s) => Ok(s),
        Err(_) => std::str::from_utf8(bytes),
    }
}

/// `s` in NFC, borrowing when it already is.
pub fn to_nfc(s: &str) -> Cow<'_, str> {
    if is_nfc(s) {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(s.nfc().collect())
    }
}

/// Characters that reorder text (bidi embeddings, overrides and isolates) or hide it.
fn is_bidi_control(c: char) -> bool {
    matches!(
        c,
        '\u{200E}' | '\u{200F}' | '\u{061C}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
    )
}

/// True when a character must not reach a terminal as it is.
pub fn is_unsafe_char(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t') || is_bidi_control(c) || c == '\u{FEFF}'
}

/// Makes text from data safe to print: control characters become `\xNN` (C0, DEL) or
/// `<U+NNNN>` (C1, bidi controls, BOM); newlines and tabs are kept.
pub fn sanitize(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_unsafe_char) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if !is_unsafe_char(c) {
            out.push(c);
        } else if (c as u32) < 0x80 {
            out.push_str(&format!("\\x{:02x}", c as u32));
        } else {
            out.push_str(&format!("<U+{:04X}>", c as u32));
        }
    }
    Cow::Owned(out)
}

/// Like [`sanitize`], and newlines and tabs are escaped too: for one-line displays.
pub fn sanitize_line(s: &str) -> String {
    sanitize(s).replace('\n', "\\n").replace('\t', "\\t")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nfc_detection() {
        let nfc = "Trẻ em";
        let nfd: String = nfc.nfd().collect();
        assert!(is_nfc(nfc));
        assert!(!is_nfc(&nfd));
        assert_eq!(to_nfc(&nfd), nfc);
    }

    #[test]
    fn plain_latin_fast_path_matches_the_tables() {
        use unicode_normalization::char::canonical_combining_class;
        for cp in (0x80..=0x2FF).chain(0x1E00..=0x1EFF) {
            let Some(c) = char::from_u32(cp) else {
                continue;
            };
            assert!(is_plain_latin(c));
            assert_eq!(
                plain_len(c.to_string().as_bytes(), 0),
                c.len_utf8(),
                "{cp:X}"
            );
            assert_eq!(canonical_combining_class(c), 0, "{cp:X} is a starter");
            let one = c.to_string();
            assert!(
                matches!(is_nfc_quick(one.chars()), IsNormalized::Yes),
                "{cp:X}"
            );
        }
    }

    #[test]
    fn byte_classification_covers_exactly_the_plain_characters() {
        for cp in 0x80..0x3_0000u32 {
            let Some(c) = char::from_u32(cp) else {
                continue;
            };
            let fast = plain_len(c.to_string().as_bytes(), 0) > 0;
            assert_eq!(fast, is_plain_latin(c), "{cp:X}");
        }
    }

    #[test]
    fn nfc_of_mixed_text_agrees_with_the_tables() {
        let samples = [
            "Đẩy mạnh công tác truyền thông",
            "e\u{309}",
            "ê\u{301}m",
            "Tòa án \u{1EC3}",
            "a\u{300}\u{323}",
            "\u{212B}",
            "Ω and \u{2126}",
            "x\u{0301}",
        ];
        for s in samples {
            let reference = s.nfc().eq(s.chars());
            assert_eq!(is_nfc(s), reference, "{s:?}");
            let nfd: String = s.nfd().collect();
            assert_eq!(is_nfc(&nfd), nfd.nfc().eq(nfd.chars()), "{nfd:?}");
        }
    }

    /// Text mostly of Vietnamese letters and ASCII, now and then a combining mark or another
    /// character: long runs that the check reads sixteen bytes at a time, and what breaks them.
    fn mostly_vietnamese() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let ch = prop_oneof![
            30 => proptest::char::ranges(
                vec!['a'..='z', ' '..=' ', '\u{C0}'..='\u{1B0}'].into()
            ),
            20 => proptest::char::ranges(vec!['\u{1EA0}'..='\u{1EF9}'].into()),
            2 => proptest::char::range('\u{0300}', '\u{036F}'),
            1 => proptest::char::ranges(
                vec![
                    '\u{1DC0}'..='\u{1DCF}',
                    '\u{1F70}'..='\u{1F7D}',
                    '\u{2000}'..='\u{2030}',
                    '\u{212B}'..='\u{212B}',
                    '\u{4E00}'..='\u{4E08}'
                ]
                .into()
            ),
        ];
        proptest::collection::vec(ch, 0..120).prop_map(|v| v.into_iter().collect())
    }

    proptest::proptest! {
        #[test]
        fn nfc_check_agrees_with_the_tables_on_long_text(s in mostly_vietnamese()) {
            proptest::prop_assert_eq!(is_nfc(&s), s.nfc().eq(s.chars()), "{:?}", s);
            let nfc: String = s.nfc().collect();
            proptest::prop_assert!(is_nfc(&nfc), "{:?}", nfc);
        }
    }

    #[test]
    fn escapes_controls_and_bidi() {
        assert_eq!(sanitize("a\x1b[2Jb"), "a\\x1b[2Jb");
        assert_eq!(sanitize("x\u{202E}y"), "x<U+202E>y");
        assert_eq!(sanitize("\u{9b}"), "<U+009B>");
        assert_eq!(sanitize("dòng 1\ndòng 2"), "dòng 1\ndòng 2");
        assert_eq!(sanitize_line("a\nb"), "a\\nb");
        assert!(matches!(sanitize("Sở Y tế"), Cow::Borrowed(_)));
    }
}
