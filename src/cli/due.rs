//! `kehoach due [--overdue] [--agency ID] [--within 30d] [--json]`: deadlines of assignments.

use std::io::IsTerminal;
use std::path::Path;

use super::output::{CliError, fit, last_column, print_json, terminal_width};
use super::rates::parse_today;
use crate::model::text::sanitize_line;
use crate::track::due::DueState;

#[derive(Debug, clap::Args)]
#[command(
    after_help = "An assignment is overdue when a deadline passed (the last occurrence of a recurring rule \
since the plan began), its status is not done or cancelled, and no report of its lead agency marks it done \
for a period overlapping the time up to that deadline. Continuous work has no deadline.\n\n\
Examples:\n  kehoach due --overdue\n  kehoach due --within 30d --agency so-y-te\n  kehoach due --overdue --today 2025-12-31 --json"
)]
pub struct Args {
    /// Only overdue assignments.
    #[arg(long)]
    pub overdue: bool,
    /// Only assignments this agency leads or coordinates.
    #[arg(long, value_name = "ID")]
    pub agency: Option<String>,
    /// Only assignments overdue or due within this time (30d, 2w, 3m, or a number of days).
    #[arg(long, value_name = "TIME")]
    pub within: Option<String>,
    /// Only this plan.
    #[arg(long)]
    pub plan: Option<String>,
    /// Also list continuous, done and cancelled work.
    #[arg(long)]
    pub all: bool,
    /// Compute as of this date (YYYY-MM-DD) instead of today.
    #[arg(long, value_name = "DATE")]
    pub today: Option<String>,
    /// Print as JSON.
    #[arg(long)]
    pub json: bool,
}

/// "30d", "2w", "3m" (months of 30 days) or "30" → days.
fn parse_within(s: &str) -> Result<i64, CliError> {
    let s = s.trim();
    let (num, mult) = match s.char_indices().last() {
        Some((i, 'd')) => (&s[..i], 1),
        Some((i, 'w')) => (&s[..i], 7),
        Some((i, 'm')) => (&s[..i], 30),
        _ => (s, 1),
    };
    num.parse::<i64>()
        .ok()
        .filter(|n| *n >= 0 && *n <= 36500)
        .map(|n| n * mult)
        .ok_or_else(|| {
            CliError::new(format!("--within {s:?} is not a length of time"))
                .with_hint("write days, weeks or months: 30d, 2w, 3m")
        })
}

pub fn run(cwd: &Path, args: Args) -> Result<(), CliError> {
    let today = parse_today(args.today.as_deref())?;
    let within = args.within.as_deref().map(parse_within).transpose()?;
    let store = super::open(cwd)?;
    if let Some(a) = &args.agency
        && crate::model::check_id(a).is_ok()
        && !store
            .root()
            .join(crate::store::layout::agency_path(a))
            .is_file()
    {
        return Err(CliError::new(format!("no agency {a:?}"))
            .with_hint("`kehoach list agencies` shows every agency and its id"));
    }
    let plans = args.plan.clone().map(|p| vec![p]);
    let d = crate::track::deadlines(&store, today, plans.as_deref())?;
    let limit = within.and_then(|n| today.checked_add(jiff::Span::new().days(n)).ok());
    let items: Vec<_> = d
        .items
        .into_iter()
        .filter(|i| !args.overdue || i.state == DueState::Overdue)
        .filter(|i| {
            args.all
                || args.overdue
                || matches!(
                    i.state,
                    DueState::Overdue | DueState::Upcoming | DueState::LeadEnded
                )
        })
        .filter(|i| match limit {
            None => true,
            Some(l) => i.state == DueState::Overdue || i.next_due.is_some_and(|n| n <= l),
        })
        .collect();
    let items: Vec<_> = match &args.agency {
        None => items,
        Some(ag) => items.into_iter().filter(|i| i.involves(ag)).collect(),
    };
    for p in &d.problems {
        eprintln!("warning: skipped {}", sanitize_line(p));
    }
    if args.json {
        return print_json(&items);
    }
    if items.is_empty() {
        outln!(
            "{}",
            if args.overdue {
                format!("nothing overdue as of {today}")
            } else {
                format!("nothing due as of {today}")
            }
        );
        return Ok(());
    }
    let many_plans = items.iter().any(|i| i.plan != items[0].plan);
    let mut ended = 0;
    let terminal = std::io::stdout().is_terminal();
    // What the symbol and the three columns before the title take: 2 + 17 + 21 + 25.
    let title_w = terminal_width().saturating_sub(65).max(15);
    for i in &items {
        let id = if many_plans {
            format!("{}/{}", i.plan, i.assignment)
        } else {
            i.assignment.clone()
        };
        let when = match i.state {
            DueState::Overdue => format!(
                "late {} d, {}",
                i.days_overdue.unwrap_or(0),
                i.missed.map(|m| m.to_string()).unwrap_or_default()
            ),
            DueState::Upcoming => match i.next_due {
                Some(n) => format!("due {n} ({} d)", (n - today).get_days()),
                None => "upcoming".into(),
            },
            s => s.label(false).to_string(),
        };
        ended += usize::from(i.state == DueState::LeadEnded);
        let head = format!(
            "{} {} {} {} ",
            i.state.symbol(),
            fit(&id, 16),
            fit(&i.lead, 20),
            fit(&when, 24)
        );
        outln!("{head}{}", last_column(&i.title, title_w, terminal));
    }
    let overdue = items
        .iter()
        .filter(|i| i.state == DueState::Overdue)
        .count();
    outln!();
    outln!("{overdue} overdue, {} listed, as of {today}", items.len());
    if ended > 0 {
        eprintln!(
            "hint: {ended} open assignment(s) belong to agencies that have ended; \
`kehoach agency retire ID --successor ID --on DATE` passes their work on"
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn within() {
        assert_eq!(parse_within("30d").unwrap(), 30);
        assert_eq!(parse_within("2w").unwrap(), 14);
        assert_eq!(parse_within("3m").unwrap(), 90);
        assert_eq!(parse_within("10").unwrap(), 10);
        assert!(parse_within("soon").is_err());
        assert!(parse_within("-3d").is_err());
    }
}
