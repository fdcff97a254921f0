//! A small document model rendered to Markdown and to one self-contained, printable HTML file,
//! so that the plan export and the consolidated report share one layout per format.

/// A piece of a document.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    /// The two-column heading of an official document (issuer left, national title right);
    /// HTML only: Markdown leaves it out.
    Masthead {
        left: Vec<String>,
        right: Vec<String>,
    },
    Heading {
        level: u8,
        text: String,
    },
    /// A paragraph; '\n' breaks a line. `class` is an HTML class (`center`, `right`, `title`).
    Para {
        text: String,
        bold: bool,
        class: &'static str,
    },
    /// A numbered or lettered paragraph ("1.", "a)").
    Item {
        marker: String,
        text: String,
    },
    /// A bold label and its text on one paragraph.
    Labeled {
        label: String,
        text: String,
    },
    Bullets {
        items: Vec<String>,
    },
    Table {
        head: Vec<String>,
        rows: Vec<Vec<String>>,
    },
    /// The recipients (left) and the signer (right) of an official document.
    Closing {
        recipients_title: String,
        recipients: Vec<String>,
        signer: Vec<String>,
        name: String,
    },
    PageBreak,
}

impl Block {
    pub fn para(text: impl Into<String>) -> Block {
        Block::Para {
            text: text.into(),
            bold: false,
            class: "",
        }
    }
    pub fn heading(level: u8, text: impl Into<String>) -> Block {
        Block::Heading {
            level,
            text: text.into(),
        }
    }
}

/// Escapes Markdown markup in text from the data.
pub fn md_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '\\' | '*' | '_' | '`' | '<' | '[' | ']' | '|') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn md_cell(s: &str) -> String {
    md_escape(s.trim())
        .replace("\r\n", "<br>")
        .replace('\n', "<br>")
}

/// Renders to Markdown: one block per paragraph, blank lines between.
pub fn to_markdown(blocks: &[Block]) -> String {
    let mut out: Vec<String> = Vec::new();
    for b in blocks {
        match b {
            Block::Masthead { .. } => {}
            Block::Heading { level, text } => out.push(format!(
                "{} {}",
                "#".repeat((*level).clamp(1, 6) as usize),
                md_escape(text)
            )),
            Block::Para { text, bold, .. } => out.push(
                text.lines()
                    .map(|l| {
                        let l = md_escape(l.trim());
                        if *bold && !l.is_empty() {
                            format!("**{l}**")
                        } else {
                            l
                        }
                    })
                    .collect::<Vec<_>>()
                    .join("  \n"),
            ),
            Block::Item { marker, text } => out.push(format!("{marker} {}", md_escape(text))),
            Block::Labeled { label, text } => {
                out.push(format!("**{}** {}", md_escape(label), md_escape(text)))
            }
            Block::Bullets { items } => out.push(
                items
                    .iter()
                    .map(|i| format!("- {}", md_escape(i)))
                    .collect::<Vec<_>>()
                    .join("\n"),
            ),
            Block::Table { head, rows } => {
                let mut t = format!(
                    "| {} |\n",
                    head.iter()
                        .map(|h| md_cell(h))
                        .collect::<Vec<_>>()
                        .join(" | ")
                );
                t.push_str(&format!("|{}\n", "---|".repeat(head.len())));
                for r in rows {
                    t.push_str(&format!(
                        "| {} |\n",
                        r.iter().map(|c| md_cell(c)).collect::<Vec<_>>().join(" | ")
                    ));
                }
                out.push(t.trim_end().to_string());
            }
            Block::Closing {
                recipients_title,
                recipients,
                signer,
                name,
            } => {
                out.push(format!("**{}**", md_escape(recipients_title)));
                out.push(
                    recipients
                        .iter()
                        .map(|i| format!("- {}", md_escape(i)))
                        .collect::<Vec<_>>()
                        .join("\n"),
                );
                out.push(
                    signer
                        .iter()
                        .map(|l| format!("**{}**", md_escape(l)))
                        .collect::<Vec<_>>()
                        .join("  \n"),
                );
                out.push(md_escape(name));
            }
            Block::PageBreak => {}
        }
    }
    let mut s = out
        .into_iter()
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("\n\n");
    s.push('\n');
    s
}

/// Escapes text for HTML.
pub fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

fn html_lines(s: &str) -> String {
    s.lines().map(html_escape).collect::<Vec<_>>().join("<br>")
}

const STYLE: &str = "@page{size:A4;margin:20mm 15mm 20mm 30mm}\
body{font-family:'Times New Roman',Times,serif;font-size:14pt;line-height:1.35;max-width:170mm;margin:1em auto;color:#000;background:#fff}\
p{margin:0 0 6pt;text-align:justify;text-indent:1cm}\
p.center,p.title,p.right,p.plain{text-indent:0}\
p.center,p.title{text-align:center}p.right{text-align:right;font-style:italic}p.title{font-weight:bold}\
h1{font-size:14pt;text-align:center;margin:12pt 0 0}h2{font-size:14pt;margin:10pt 0 6pt}\
h3,h4{font-size:14pt;margin:8pt 0 4pt}\
table.mast,table.closing{width:100%;border-collapse:collapse}table.mast td,table.closing td{vertical-align:top;text-align:center;border:0;padding:0}\
table.mast td{font-size:13pt}table.mast td.l{width:40%}.b{font-weight:bold}.u{text-decoration:underline}\
table.closing td.l{text-align:left;font-size:12pt;width:50%}table.closing td.l p{text-indent:0;margin:0}\
table.closing td.l ul{margin:0;padding-left:0;list-style:none}table.closing td.r{font-weight:bold}\
table.grid{width:100%;border-collapse:collapse;font-size:12pt}table.grid th,table.grid td{border:1px solid #000;padding:3pt;vertical-align:top}\
table.grid th{text-align:center}\
.pb{page-break-before:always;break-before:page}\
@media print{body{margin:0;max-width:none}}";

/// Renders to one self-contained HTML file (styles inline, nothing fetched), fit to print on A4.
pub fn to_html(title: &str, blocks: &[Block]) -> String {
    let mut b = String::new();
    b.push_str("<!DOCTYPE html>\n<html lang=\"vi\">\n<head>\n<meta charset=\"utf-8\">\n");
    b.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    b.push_str(&format!(
        "<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        html_escape(title)
    ));
    for blk in blocks {
        match blk {
            Block::Masthead { left, right } => {
                let side = |lines: &[String]| {
                    lines
                        .iter()
                        .enumerate()
                        .map(|(i, l)| {
                            let cls = if i == 0 { "" } else { "b" };
                            format!("<div class=\"{cls}\">{}</div>", html_escape(l))
                        })
                        .collect::<String>()
                };
                b.push_str(&format!(
                    "<table class=\"mast\"><tr><td class=\"l\">{}</td><td>{}</td></tr></table>\n",
                    side(left),
                    side(right)
                ));
            }
            Block::Heading { level, text } => {
                let l = (*level).clamp(1, 6);
                b.push_str(&format!("<h{l}>{}</h{l}>\n", html_escape(text)));
            }
            Block::Para { text, bold, class } => {
                let inner = html_lines(text);
                let inner = if *bold {
                    format!("<b>{inner}</b>")
                } else {
                    inner
                };
                if class.is_empty() {
                    b.push_str(&format!("<p>{inner}</p>\n"));
                } else {
                    b.push_str(&format!("<p class=\"{class}\">{inner}</p>\n"));
                }
            }
            Block::Item { marker, text } => b.push_str(&format!(
                "<p>{} {}</p>\n",
                html_escape(marker),
                html_lines(text)
            )),
            Block::Labeled { label, text } => b.push_str(&format!(
                "<p><b>{}</b> {}</p>\n",
                html_escape(label),
                html_lines(text)
            )),
            Block::Bullets { items } => {
                b.push_str("<ul>\n");
                for i in items {
                    b.push_str(&format!("<li>{}</li>\n", html_lines(i)));
                }
                b.push_str("</ul>\n");
            }
            Block::Table { head, rows } => {
                b.push_str("<table class=\"grid\">\n<thead><tr>");
                for h in head {
                    b.push_str(&format!("<th>{}</th>", html_escape(h)));
                }
                b.push_str("</tr></thead>\n<tbody>\n");
                for r in rows {
                    b.push_str("<tr>");
                    for c in r {
                        b.push_str(&format!("<td>{}</td>", html_lines(c)));
                    }
                    b.push_str("</tr>\n");
                }
                b.push_str("</tbody>\n</table>\n");
            }
            Block::Closing {
                recipients_title,
                recipients,
                signer,
                name,
            } => {
                b.push_str("<table class=\"closing\"><tr><td class=\"l\">");
                b.push_str(&format!(
                    "<p><b><i>{}</i></b></p><ul>",
                    html_escape(recipients_title)
                ));
                for r in recipients {
                    b.push_str(&format!("<li>- {}</li>", html_escape(r)));
                }
                b.push_str("</ul></td><td class=\"r\">");
                b.push_str(
                    &signer
                        .iter()
                        .map(|l| html_escape(l))
                        .collect::<Vec<_>>()
                        .join("<br>"),
                );
                b.push_str(&format!(
                    "<br><br><br><br>{}</td></tr></table>\n",
                    html_escape(name)
                ));
            }
            Block::PageBreak => b.push_str("<div class=\"pb\"></div>\n"),
        }
    }
    b.push_str("</body>\n</html>\n");
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes() {
        let blocks = vec![Block::para("a <b> & *c*")];
        assert_eq!(to_markdown(&blocks), "a \\<b> & \\*c\\*\n");
        let h = to_html("t", &blocks);
        assert!(h.contains("<p>a &lt;b&gt; &amp; *c*</p>"), "{h}");
        assert!(!h.contains("http"), "self-contained");
    }
}
