//! `kehoach status PLAN`: the agency × period reporting matrix and rates.

use std::path::Path;

use super::output::{CliError, fit, print_json};
use crate::model::text::sanitize_line;
use crate::model::{Period, parse_date};
use crate::track::{TrackError, rates::CellState};

impl From<TrackError> for CliError {
    fn from(e: TrackError) -> Self {
        match e {
            TrackError::Store(s) => CliError::from(s),
            other => {
                let hint = other.hint();
                let mut err = CliError::new(other.to_string());
                if let Some(h) = hint {
                    err = err.with_hint(h);
                }
                err
            }
        }
    }
}

/// Reads `--today YYYY-MM-DD`, or the clock's date.
pub(crate) fn parse_today(today: Option<&str>) -> Result<jiff::civil::Date, CliError> {
    match today {
        None => Ok(crate::track::today()),
        Some(s) => parse_date(s).ok_or_else(|| {
            CliError::new(format!("--today {s:?} is not a date"))
                .with_hint("write it as YYYY-MM-DD, such as 2025-12-31")
        }),
    }
}

/// Reads a period argument.
pub(crate) fn parse_period(s: &str) -> Result<Period, CliError> {
    s.parse::<Period>().map_err(|e| {
        CliError::new(e.to_string()).with_hint("a year covers all of its periods: --period 2025")
    })
}

fn rate(r: Option<f64>) -> String {
    r.map(|v| format!("{v:.0}%")).unwrap_or_else(|| "–".into())
}

pub fn run(
    cwd: &Path,
    plan: &str,
    period: Option<&str>,
    today: Option<&str>,
    json: bool,
) -> Result<(), CliError> {
    let today = parse_today(today)?;
    let period = period.map(parse_period).transpose()?;
    let store = super::open(cwd)?;
    let status = crate::track::plan_status(&store, plan, period, today)?;
    for p in &status.problems {
        eprintln!("warning: skipped {}", sanitize_line(p));
    }
    if !status.problems.is_empty() {
        eprintln!("hint: run `kehoach validate` to see every problem");
    }
    if json {
        return print_json(&status.matrix);
    }
    let m = &status.matrix;
    outln!(
        "{}  {}",
        sanitize_line(&m.plan),
        fit(&m.title, 60).trim_end()
    );
    outln!("as of {}", m.today);
    outln!();
    const NAME: usize = 28;
    const COL: usize = 9;
    let mut head = fit("Agency", NAME);
    for c in &m.columns {
        head.push_str(&format!(" {:>COL$}", c.period.to_string()));
    }
    head.push_str("  reported");
    outln!("{head}");
    for r in &m.rows {
        let mut line = fit(&r.name, NAME);
        for c in &r.cells {
            line.push_str(&format!(" {:>COL$}", c.state.symbol()));
        }
        line.push_str(&format!("  {}/{}", r.totals.actual, r.totals.expected));
        outln!("{line}");
    }
    outln!();
    let row = |label: &str, f: &dyn Fn(&crate::track::rates::Totals) -> String| {
        let mut line = fit(label, NAME);
        for c in &m.columns {
            line.push_str(&format!(" {:>COL$}", f(&c.totals)));
        }
        outln!("{line}");
    };
    let mut dl = fit("Deadline", NAME);
    for c in &m.columns {
        dl.push_str(&format!(
            " {:>COL$}",
            c.deadline.strftime("%d/%m/%y").to_string()
        ));
    }
    outln!("{dl}");
    row("Expected", &|t| t.expected.to_string());
    row("Reported", &|t| t.actual.to_string());
    row("On time", &|t| t.on_time.to_string());
    row("Reporting rate", &|t| rate(t.reporting_rate));
    row("On-time rate", &|t| rate(t.on_time_rate));
    outln!();
    outln!(
        "Overall: {} of {} expected reports ({}), {} on time ({}).",
        m.totals.actual,
        m.totals.expected,
        rate(m.totals.reporting_rate),
        m.totals.on_time,
        rate(m.totals.on_time_rate)
    );
    let used: Vec<CellState> = CellState::ALL
        .into_iter()
        .filter(|s| m.rows.iter().any(|r| r.cells.iter().any(|c| c.state == *s)))
        .collect();
    let legend: Vec<String> = used
        .iter()
        .map(|s| format!("{} {}", s.symbol(), s.label(false)))
        .collect();
    if !legend.is_empty() {
        outln!("Legend: {}", legend.join("; "));
    }
    if !m.unexpected.is_empty() {
        eprintln!(
            "note: {} report(s) from agencies not active in their period are left out: {}",
            m.unexpected.len(),
            m.unexpected.join(", ")
        );
    }
    Ok(())
}
