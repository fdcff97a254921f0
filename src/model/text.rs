//! Text rules: NFC normalisation and safe display of data on a terminal.

use std::borrow::Cow;
use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfc_quick};

/// True when `s` is already in Unicode NFC.
pub fn is_nfc(s: &str) -> bool {
    match is_nfc_quick(s.chars()) {
        IsNormalized::Yes => true,
        IsNormalized::No => false,
        IsNormalized::Maybe => s.nfc().eq(s.chars()),
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
    fn escapes_controls_and_bidi() {
        assert_eq!(sanitize("a\x1b[2Jb"), "a\\x1b[2Jb");
        assert_eq!(sanitize("x\u{202E}y"), "x<U+202E>y");
        assert_eq!(sanitize("\u{9b}"), "<U+009B>");
        assert_eq!(sanitize("dòng 1\ndòng 2"), "dòng 1\ndòng 2");
        assert_eq!(sanitize_line("a\nb"), "a\\nb");
        assert!(matches!(sanitize("Sở Y tế"), Cow::Borrowed(_)));
    }
}
