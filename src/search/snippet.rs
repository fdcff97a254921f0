//! Snippets: the part of a text where the query's words are densest, cut on character
//! boundaries, with the matched words marked.

use std::collections::HashSet;

use super::analyzer::words;

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

/// A snippet of at most about `max_chars` characters of `text` around the words whose folded
/// form is in `wanted`; the start of the text when none is there.
pub fn snippet(text: &str, wanted: &HashSet<String>, max_chars: usize) -> Vec<Segment> {
    let ws = words(text);
    let matched: Vec<(usize, usize, &str)> = ws
        .iter()
        .filter(|w| wanted.contains(&w.folded))
        .map(|w| (w.start, w.end, w.folded.as_str()))
        .collect();
    // Character index of each byte offset we need, computed once.
    let char_at = |byte: usize| text[..byte].chars().count();
    let (from, to) = if matched.is_empty() {
        (0, byte_after_chars(text, 0, max_chars))
    } else {
        // The window (starting at a match) that holds the most different words, then the most.
        let starts: Vec<usize> = matched.iter().map(|m| char_at(m.0)).collect();
        let ends: Vec<usize> = matched.iter().map(|m| char_at(m.1)).collect();
        let mut best = (0usize, 0usize, 0usize);
        for (i, &s) in starts.iter().enumerate() {
            let mut seen = HashSet::new();
            let mut n = 0;
            for (m, &e) in matched[i..].iter().zip(&ends[i..]) {
                if e - s > max_chars {
                    break;
                }
                seen.insert(m.2);
                n += 1;
            }
            if (seen.len(), n) > (best.1, best.2) {
                best = (i, seen.len(), n);
            }
        }
        let first = matched[best.0].0;
        // Start a little before the first match, at a word start.
        let lead = max_chars / 5;
        let mut start = ws
            .iter()
            .map(|w| w.start)
            .filter(|&s| s <= first && char_at(first) - char_at(s) <= lead)
            .min()
            .unwrap_or(first);
        // A text shorter than the window is shown whole.
        if text.chars().count() <= max_chars {
            start = 0;
        }
        let end = byte_after_chars(text, start, max_chars);
        (start, end)
    };
    let mut out = Vec::new();
    if from > 0 {
        push(&mut out, "…".into(), false);
    }
    let mut pos = from;
    for &(s, e, _) in &matched {
        if s < from || e > to {
            continue;
        }
        push(&mut out, squash(&text[pos..s]), false);
        push(&mut out, text[s..e].to_string(), true);
        pos = e;
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

/// The byte offset `n` characters after `from` (or the end), moved back to the end of a word so
/// that no word is cut.
fn byte_after_chars(text: &str, from: usize, n: usize) -> usize {
    let rest = &text[from..];
    match rest.char_indices().nth(n) {
        None => text.len(),
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

    fn set(words: &[&str]) -> HashSet<String> {
        words.iter().map(|s| s.to_string()).collect()
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
    fn no_match_gives_the_start() {
        let s = snippet("Dòng một\n\nDòng hai", &set(&["x"]), 100);
        assert_eq!(s, [("Dòng một Dòng hai".to_string(), false)]);
    }
}
