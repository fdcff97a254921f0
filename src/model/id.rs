//! Record ids: lowercase ASCII slugs that are safe as file names everywhere.

use std::fmt;

/// Longest id accepted (characters, all ASCII).
pub const MAX_ID_LEN: usize = 64;

/// Names that some systems refuse as file names, whatever the extension.
const RESERVED: &[&str] = &[
    "con", "prn", "aux", "nul", "com1", "com2", "com3", "com4", "com5", "com6", "com7", "com8",
    "com9", "lpt1", "lpt2", "lpt3", "lpt4", "lpt5", "lpt6", "lpt7", "lpt8", "lpt9",
];

/// Why a string is not a valid id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("id is empty")]
    Empty,
    #[error("id {0:?} is longer than {MAX_ID_LEN} characters")]
    TooLong(String),
    #[error(
        "id {0:?} may use only lowercase ASCII letters, digits and '-', starting with a letter or digit"
    )]
    BadChars(String),
    #[error("id {0:?} is a reserved file name on some systems")]
    Reserved(String),
}

/// Checks that `s` matches `^[a-z0-9][a-z0-9-]{0,63}$` and is not a reserved device name.
pub fn check_id(s: &str) -> Result<(), IdError> {
    let first = s.bytes().next().ok_or(IdError::Empty)?;
    if s.len() > MAX_ID_LEN {
        return Err(IdError::TooLong(s.to_string()));
    }
    let ok_first = first.is_ascii_lowercase() || first.is_ascii_digit();
    let ok_rest = s
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !ok_first || !ok_rest {
        return Err(IdError::BadChars(s.to_string()));
    }
    if RESERVED.contains(&s) {
        return Err(IdError::Reserved(s.to_string()));
    }
    Ok(())
}

/// A validated id.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Id(String);

impl Id {
    pub fn parse(s: &str) -> Result<Self, IdError> {
        check_id(s)?;
        Ok(Id(s.to_string()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Turns Vietnamese (or any) text into an id-shaped slug: diacritics dropped, đ → d,
/// everything else that is not a letter or digit becomes '-'.
pub fn slugify(text: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    let mut out = String::new();
    for c in text.nfd() {
        let c = match c {
            'đ' | 'Đ' => 'd',
            _ => c,
        };
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if unicode_normalization::char::is_combining_mark(c) {
            continue;
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let trimmed = out.trim_end_matches('-');
    trimmed
        .chars()
        .take(MAX_ID_LEN)
        .collect::<String>()
        .trim_end_matches('-')
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_slugs() {
        for ok in ["a", "so-y-te", "a03", "2025", "ubnd-huyen-phu-quy"] {
            assert_eq!(check_id(ok), Ok(()), "{ok}");
        }
    }

    #[test]
    fn rejects_bad_ids() {
        assert_eq!(check_id(""), Err(IdError::Empty));
        for bad in ["..", "a/b", "A", "Sở", "-a", "a.b", "a b", "a_b"] {
            assert!(matches!(check_id(bad), Err(IdError::BadChars(_))), "{bad}");
        }
        assert!(matches!(check_id("con"), Err(IdError::Reserved(_))));
        assert!(matches!(
            check_id(&"a".repeat(65)),
            Err(IdError::TooLong(_))
        ));
        assert_eq!(check_id(&"a".repeat(64)), Ok(()));
    }

    #[test]
    fn slugify_folds_vietnamese() {
        assert_eq!(slugify("Sở Y tế"), "so-y-te");
        assert_eq!(slugify("Đức Linh"), "duc-linh");
        assert_eq!(slugify("  Tòa án nhân dân tỉnh! "), "toa-an-nhan-dan-tinh");
    }
}
