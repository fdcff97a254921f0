//! Errors as the user sees them (`error: …` then `hint: …`), and output helpers.

use std::io::Write;

/// An error for the user: what went wrong, detail lines, and what to do next.
#[derive(Debug)]
pub struct CliError {
    pub message: String,
    pub details: Vec<String>,
    pub hint: Option<String>,
    pub code: i32,
}

impl CliError {
    pub fn new(message: impl Into<String>) -> Self {
        CliError {
            message: message.into(),
            details: vec![],
            hint: None,
            code: 1,
        }
    }
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
    pub fn with_details(mut self, details: Vec<String>) -> Self {
        self.details = details;
        self
    }
    pub fn with_code(mut self, code: i32) -> Self {
        self.code = code;
        self
    }
    /// A failure already reported on stdout (such as validation problems): exit code only.
    pub fn silent(code: i32) -> Self {
        CliError {
            message: String::new(),
            details: vec![],
            hint: None,
            code,
        }
    }

    pub fn print(&self) {
        if self.message.is_empty() {
            return;
        }
        let mut err = std::io::stderr().lock();
        let _ = writeln!(
            err,
            "error: {}",
            crate::model::text::sanitize(&self.message)
        );
        for d in &self.details {
            let _ = writeln!(err, "  {}", crate::model::text::sanitize(d));
        }
        if let Some(h) = &self.hint {
            let _ = writeln!(err, "hint: {}", crate::model::text::sanitize(h));
        }
    }
}

impl From<std::io::Error> for CliError {
    fn from(e: std::io::Error) -> Self {
        CliError::new(e.to_string())
    }
}

/// Prints a warning on standard error, its text escaped like all data shown on a terminal.
pub fn warn(text: &str) {
    eprintln!("warning: {}", crate::model::text::sanitize_line(text));
}

/// Prints a value as pretty JSON on stdout.
pub fn print_json<T: serde::Serialize>(value: &T) -> Result<(), CliError> {
    let s = serde_json::to_string_pretty(value).map_err(|e| CliError::new(e.to_string()))?;
    write_out(format_args!("{s}\n"));
    Ok(())
}

/// The width to lay output out in: $COLUMNS, else the terminal's when standard output is one
/// (shells seldom pass $COLUMNS on), else 80; at least 40.
pub fn terminal_width() -> usize {
    use std::io::IsTerminal;
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .or_else(|| {
            std::io::stdout()
                .is_terminal()
                .then(crossterm::terminal::size)
                .and_then(Result::ok)
                .map(|(cols, _)| usize::from(cols))
                // A terminal that does not know its size says 0.
                .filter(|cols| *cols > 0)
        })
        .unwrap_or(80)
        .max(40)
}

/// The width of text on a terminal, in columns.
pub fn text_width(s: &str) -> usize {
    use unicode_width::UnicodeWidthStr;
    crate::model::text::sanitize_line(s).width()
}

/// The text of a row's last column: on a terminal cut to the `room` left on the row, piped
/// whole (for whoever reads it next).
pub fn last_column(text: &str, room: usize, terminal: bool) -> String {
    match terminal {
        true => fit(text, room).trim_end().to_string(),
        false => crate::model::text::sanitize_line(text),
    }
}

/// Pads or cuts text to `width` terminal columns.
pub fn fit(s: &str, width: usize) -> String {
    use unicode_width::UnicodeWidthChar;
    let s = crate::model::text::sanitize_line(s);
    let mut out = String::new();
    let mut w = 0;
    let total: usize = s.chars().map(|c| c.width().unwrap_or(0)).sum();
    for c in s.chars() {
        let cw = c.width().unwrap_or(0);
        if total > width && w + cw + 1 > width {
            out.push('…');
            w += 1;
            break;
        }
        if w + cw > width {
            break;
        }
        out.push(c);
        w += cw;
    }
    while w < width {
        out.push(' ');
        w += 1;
    }
    out
}

/// Writes command output; a closed pipe ends the process quietly, as `| head` expects.
pub fn write_out(args: std::fmt::Arguments<'_>) {
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_fmt(args) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("error: cannot write the output: {e}");
        std::process::exit(1);
    }
}
