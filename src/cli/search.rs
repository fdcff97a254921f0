//! `kehoach search QUERY… [--limit N] [--json]`: records that match, best first.

use std::io::{IsTerminal, Write};
use std::path::Path;

use super::output::{CliError, fit, print_json, terminal_width};
use crate::model::text::sanitize_line;
use crate::search::{Freshness, Hit, Notice, Query, QueryError, SearchError, SearchIndex};

#[derive(Debug, clap::Args)]
#[command(after_help = "\
Query language:
  trẻ em              every word must match; diacritics are optional (tre em)
  \"tòa án nhân dân\"   words next to each other (in a shell: '\"tòa án nhân dân\"')
  -huyện              records without the word
  -kind:agency        records a filter does not match
  kind:assignment     plan, assignment, report, agency
  plan:ID  agency:ID  (lead or coordinating)  lead:ID
  status:in_progress  several values: status:not_started,in_progress
  period:2025-h1      a year takes in its halves, quarters and months
  due:<2025-12-31     also <=, >, >=, 2025-01..2025-06, 2025-q3, continuous, yearly…")]
pub struct Args {
    /// Words, "phrases", -excluded words and filters such as status:in_progress.
    #[arg(required = true, allow_hyphen_values = true, num_args = 1..)]
    pub query: Vec<String>,
    /// How many records to show at most.
    #[arg(long, short = 'n', default_value_t = 20)]
    pub limit: usize,
    /// Print as JSON.
    #[arg(long)]
    pub json: bool,
    /// Look at every record file for edits made in place (slower on large repositories). By
    /// default commits and files created, deleted or saved by rename are seen at once; edits
    /// written in place are seen after `kehoach index`.
    #[arg(long)]
    pub exact: bool,
}

impl From<QueryError> for CliError {
    fn from(e: QueryError) -> Self {
        let hint = e.hint();
        let err = CliError::new(format!("cannot read the query: {e}")).with_code(2);
        match hint {
            Some(h) => err.with_hint(h),
            None => err,
        }
    }
}

impl From<SearchError> for CliError {
    fn from(e: SearchError) -> Self {
        let hint = e.hint();
        let err = match e {
            SearchError::Store(s) => return CliError::from(s),
            other => CliError::new(other.to_string()),
        };
        match hint {
            Some(h) => err.with_hint(h),
            None => err,
        }
    }
}

/// Wraps snippet pieces into lines of `width` columns (at most `max_lines`), marking highlights
/// with ANSI bold when `color`, else with brackets.
fn wrap_snippet(
    snippet: &[(String, bool)],
    width: usize,
    max_lines: usize,
    color: bool,
) -> Vec<String> {
    use unicode_width::UnicodeWidthStr;
    // Words with their highlight flag; a highlighted piece stays one unit.
    let mut units: Vec<(String, bool, bool)> = Vec::new(); // (text, highlighted, glued to previous)
    let mut after_space = true;
    for (text, hl) in snippet {
        let text = sanitize_line(text);
        for (i, w) in text.split(' ').enumerate() {
            if w.is_empty() {
                after_space = true;
                continue;
            }
            units.push((w.to_string(), *hl, i == 0 && !after_space));
            after_space = false;
        }
        after_space = text.ends_with(' ');
    }
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut cols = 0;
    for (w, hl, glued) in units {
        let shown_w = w.width() + if hl && !color { 2 } else { 0 };
        let sep = if cols == 0 || glued { 0 } else { 1 };
        if cols > 0 && cols + sep + shown_w > width {
            lines.push(std::mem::take(&mut line));
            cols = 0;
            if lines.len() == max_lines {
                break;
            }
        }
        if cols > 0 && !glued {
            line.push(' ');
            cols += 1;
        }
        match (hl, color) {
            (true, true) => line.push_str(&format!("\x1b[1;33m{w}\x1b[0m")),
            (true, false) => line.push_str(&format!("[{w}]")),
            _ => line.push_str(&w),
        }
        cols += shown_w;
    }
    if !line.is_empty() && lines.len() < max_lines {
        lines.push(line);
    }
    lines
}

fn print_hit(out: &mut impl Write, h: &Hit, width: usize, color: bool) -> std::io::Result<()> {
    let head = format!("{} {}", h.kind.as_str(), h.id);
    // A query of filters only has no score to show.
    let score = if h.score > 0.0 {
        format!("{:.2}", h.score)
    } else {
        String::new()
    };
    let title_w = width
        .saturating_sub(head.chars().count() + score.len() + 4)
        .max(10);
    writeln!(
        out,
        "{}  {} {}",
        sanitize_line(&head),
        fit(&h.title, title_w),
        score
    )?;
    writeln!(out, "  {}", sanitize_line(&h.path))?;
    for l in wrap_snippet(&h.snippet, width.saturating_sub(2), 2, color) {
        writeln!(out, "  {l}")?;
    }
    Ok(())
}

/// Options given after the first word of the query reach it as words (so that `-word` needs no
/// `--`): take them back out.
fn take_flags(mut args: Args) -> Result<Args, CliError> {
    let mut query = Vec::new();
    let mut it = std::mem::take(&mut args.query).into_iter();
    let bad_limit =
        |v: &str| CliError::new(format!("--limit takes a number, not {v:?}")).with_code(2);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--json" => args.json = true,
            "--exact" => args.exact = true,
            "--limit" | "-n" => {
                let v = it.next().unwrap_or_default();
                args.limit = v.parse().map_err(|_| bad_limit(&v))?;
            }
            _ if a.starts_with("--limit=") => {
                let v = &a["--limit=".len()..];
                args.limit = v.parse().map_err(|_| bad_limit(v))?;
            }
            _ => query.push(a),
        }
    }
    args.query = query;
    if args.limit == 0 {
        return Err(CliError::new("--limit takes a number of records, at least 1").with_code(2));
    }
    Ok(args)
}

/// When nothing matched: a plan or agency the filters name that does not exist, said as an
/// error with the id most likely meant.
fn unknown_id<'q>(
    store: &crate::store::Store,
    filters: impl IntoIterator<Item = &'q crate::search::Filter>,
) -> Option<CliError> {
    use crate::search::Filter;
    use crate::search::query::closest;
    use crate::store::partial::{agency_ids, plan_ids};
    // Listed only when a filter names one (a search that finds nothing is otherwise slowed by
    // reading every agency).
    let (plans, agencies) = (std::cell::OnceCell::new(), std::cell::OnceCell::new());
    for f in filters {
        let (what, list, name, values) = match f {
            Filter::Plan(v) => ("plan", "plans", "plan", v),
            Filter::Agency(v) => ("agency", "agencies", "agency", v),
            Filter::Lead(v) => ("agency", "agencies", "lead", v),
            _ => continue,
        };
        let known = if what == "plan" {
            plans.get_or_init(|| plan_ids(store.root()))
        } else {
            agencies.get_or_init(|| agency_ids(store.root()))
        };
        if let Some(v) = values.iter().find(|v| !known.contains(v)) {
            let shown = sanitize_line(v);
            let err = CliError::new(format!("{name}:{shown} — there is no {what} {shown}"));
            return Some(match closest(v, known.iter().map(String::as_str)) {
                Some(c) => err.with_hint(format!("did you mean {name}:{c}?")),
                None => err.with_hint(format!("`kehoach list {list}` shows them")),
            });
        }
    }
    None
}

/// Has the search index say on standard error what it is waiting for or building, when that
/// is a terminal: a first search of a large repository takes seconds.
pub(super) fn say_notices() {
    fn say(n: Notice<'_>) {
        let what = match n {
            Notice::Waiting { lock } => format!(
                "waiting for another kehoach process to finish updating the search index ({})…",
                sanitize_line(&lock.display().to_string())
            ),
            Notice::Building { reason: None } => "building the search index…".to_string(),
            Notice::Building {
                reason: Some(reason),
            } => format!("building the search index ({})…", sanitize_line(reason)),
            Notice::CatchingUp { records } => {
                format!("bringing the search index up to date: {records} records changed…")
            }
        };
        eprintln!("{what}");
    }
    if std::io::stderr().is_terminal() {
        crate::search::set_notices(Some(say));
    }
}

pub fn run(cwd: &Path, args: Args) -> Result<(), CliError> {
    let args = take_flags(args)?;
    say_notices();
    let text = args.query.join(" ");
    let query = Query::parse(&text)?;
    let store = super::open(cwd)?;
    let freshness = if args.exact {
        Freshness::Exact
    } else {
        Freshness::Quick
    };
    let (index, found) =
        SearchIndex::open_and(&store, freshness, |si| si.search(&query, args.limit))?;
    let hits = match found {
        Ok(h) => h,
        // A damaged index file shows when it is read: build the index again, once.
        Err(SearchError::Index(_)) => SearchIndex::rebuild(&store)?.search(&query, args.limit)?,
        Err(e) => return Err(e.into()),
    };
    // A record left out by a name that names nothing leaves nothing out: said, whatever was
    // found (a name looked for is checked only when nothing is found, and is then the reason).
    if let Some(e) = unknown_id(&store, &query.excluded_filters) {
        return Err(e);
    }
    if args.json {
        let out: Vec<serde_json::Value> = hits
            .iter()
            .map(|h| {
                serde_json::json!({
                    "kind": h.kind,
                    "id": h.id,
                    "title": h.title,
                    "path": store.repo_path(&h.path),
                    "plan": h.plan,
                    "status": h.status,
                    "score": h.score,
                    "snippet": h.snippet.iter().map(|(t, hl)| serde_json::json!({"text": t, "highlight": hl})).collect::<Vec<_>>(),
                })
            })
            .collect();
        return print_json(&out);
    }
    if hits.is_empty() {
        if let Some(e) = unknown_id(&store, &query.filters) {
            return Err(e);
        }
        eprintln!("no record matches {}", sanitize_line(&text));
        return Err(CliError::silent(1));
    }
    let terminal = std::io::stdout().is_terminal();
    let color = terminal && std::env::var_os("NO_COLOR").is_none();
    let w = terminal_width();
    // Someone reading a full page is told how many records match in all (a count of the same
    // query: under a millisecond at 100 000 records); a script has `--json` and `--limit`.
    let total = match terminal && hits.len() == args.limit {
        true => index.count(&query).unwrap_or(0),
        false => 0,
    };
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let printed = hits
        .iter()
        .enumerate()
        .try_for_each(|(i, h)| {
            if i > 0 {
                writeln!(out)?;
            }
            print_hit(&mut out, h, w, color)
        })
        .and_then(|()| match total > hits.len() {
            true => writeln!(
                out,
                "\n{} of {total} records shown; -n N shows more",
                hits.len()
            ),
            false => Ok(()),
        })
        .and_then(|()| out.flush());
    if let Some(pieces) = index.in_pieces() {
        eprintln!(
            "hint: the search index is in {pieces} pieces; `kehoach index` merges them (about a second at 100 000 records) and each search is then a little faster"
        );
    }
    // The process ends here: the index's memory maps go with it, without being unmapped one by
    // one (which costs a good part of a search).
    std::mem::forget(index);
    match printed {
        // The reader went away (`| head`): nothing more to say.
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(()),
    }
}
