//! `kehoach review …`: the review queue — submit, list, show, approve, request changes, reject,
//! bundle and import.

use std::path::{Path, PathBuf};

use super::output::{CliError, fit, print_json};
use crate::model::text::sanitize;
use crate::review::{self, Details, Resolution, ReviewError};

#[derive(Debug, clap::Subcommand)]
pub enum ReviewCommand {
    /// Ask for review of the current change branch (pushes it when there is a remote).
    Submit {
        /// A title (default: the last commit's subject).
        #[arg(long, short = 't')]
        title: Option<String>,
        /// A description of the change.
        #[arg(long, short = 'm')]
        message: Option<String>,
        /// Record the request as a draft, not yet ready for review.
        #[arg(long)]
        draft: bool,
        #[arg(long)]
        json: bool,
    },
    /// The review queue: open requests with author, records touched, age, state, and whether
    /// they still merge cleanly.
    List {
        /// Closed requests too (merged, rejected).
        #[arg(long)]
        all: bool,
        #[arg(long)]
        json: bool,
    },
    /// One request: field-level diff, validation of the merged result, conflicts, who may approve.
    Show {
        id: u64,
        #[arg(long)]
        json: bool,
    },
    /// Approve a request; merges it into the protected branch when it has enough approvals.
    #[command(
        after_help = "Conflicts are settled per field:\n  kehoach review approve 3 --resolve 'plans/p/assignments/a01.toml:due=theirs'\n  kehoach review approve 3 --resolve 'plans/p/assignments/a01.toml:due=value:2026-01-31'"
    )]
    Approve {
        id: u64,
        /// A note kept in the merge commit and the request's history.
        #[arg(long, short = 'm')]
        message: Option<String>,
        /// Settle a conflict: PATH:FIELD=ours|theirs|value:TEXT (repeatable).
        #[arg(long, value_name = "PATH:FIELD=CHOICE")]
        resolve: Vec<String>,
        #[arg(long)]
        json: bool,
    },
    /// Send a request back to its author; the reason stays in its history.
    RequestChanges {
        id: u64,
        #[arg(long, short = 'r')]
        reason: String,
    },
    /// Reject a request; the reason stays in its history.
    Reject {
        id: u64,
        #[arg(long, short = 'r')]
        reason: String,
    },
    /// Write a request and its branch to a git bundle (plus FILE.txt, a readable summary), to
    /// carry without a network.
    Bundle { id: u64, file: PathBuf },
    /// Take in a bundle written by `kehoach review bundle`.
    Import { file: PathBuf },
    /// Which branch you are on (a change branch or the protected one) and its review request.
    Status {
        #[arg(long)]
        json: bool,
    },
}

/// A review error as the user sees it.
pub(crate) fn review_err(e: ReviewError) -> CliError {
    if let ReviewError::Store(s) = e {
        return s.into();
    }
    let hint = e.hint();
    let mut err = CliError::new(e.to_string());
    match &e {
        ReviewError::Conflicts { conflicts, .. } => {
            err = err.with_details(
                conflicts
                    .iter()
                    .map(|c| {
                        format!(
                            "{}: ours {} / theirs {}",
                            c.name(),
                            c.ours.as_deref().map(short).unwrap_or("(absent)".into()),
                            c.theirs.as_deref().map(short).unwrap_or("(absent)".into())
                        )
                    })
                    .collect(),
            )
        }
        ReviewError::Invalid { diagnostics, .. } => {
            err = err.with_details(diagnostics.iter().map(|d| d.to_string()).collect())
        }
        _ => {}
    }
    if let Some(h) = hint {
        err = err.with_hint(h);
    }
    err
}

fn short(s: &str) -> String {
    crate::model::fields::short(s)
}

fn age(secs: i64) -> String {
    let s = secs.max(0);
    if s < 3600 {
        format!("{}m", s / 60)
    } else if s < 86400 {
        format!("{}h", s / 3600)
    } else {
        format!("{}d", s / 86400)
    }
}

fn warn(ws: &[String]) {
    for w in ws {
        eprintln!("warning: {}", sanitize(w));
    }
}

pub fn run(cwd: &Path, cmd: ReviewCommand) -> Result<(), CliError> {
    let store = super::open(cwd)?;
    match cmd {
        ReviewCommand::Submit {
            title,
            message,
            draft,
            json,
        } => {
            let s = review::submit(&store, title.as_deref(), message.as_deref(), draft)
                .map_err(review_err)?;
            if json {
                return print_json(&s);
            }
            warn(&s.warnings);
            let r = &s.request;
            outln!(
                "{} review {}: {} ({})",
                if s.new { "submitted" } else { "resubmitted" },
                r.id,
                sanitize(&r.title),
                r.state
            );
            outln!("branch {} at {}", r.branch, &r.head[..10]);
            match &s.pushed_to {
                Some(remote) => outln!("pushed to {remote}"),
                // The push failed (said above): submitting again pushes it.
                None if s.has_remote => outln!(
                    "not pushed yet: `kehoach review submit` again when the remote can be reached, or take `kehoach review bundle {} FILE`",
                    r.id
                ),
                None => outln!(
                    "no remote: reviewers see it in this repository, or take `kehoach review bundle {} FILE`",
                    r.id
                ),
            }
            Ok(())
        }
        ReviewCommand::List { all, json } => {
            let ws = review::sync(&store);
            let list = review::list(&store, all).map_err(review_err)?;
            if json {
                return print_json(&list);
            }
            warn(&ws);
            if list.is_empty() {
                outln!("no {}review requests", if all { "" } else { "open " });
                return Ok(());
            }
            outln!(
                "{} {} {} {} {} TITLE / RECORDS",
                fit("ID", 4),
                fit("STATE", 17),
                fit("AGE", 4),
                fit("AUTHOR", 16),
                fit("MERGES", 8),
            );
            for s in list {
                let clean = match s.merges_cleanly {
                    Some(true) => "clean",
                    Some(false) => "CONFLICT",
                    None => "-",
                };
                outln!(
                    "{} {} {} {} {} {}",
                    fit(&s.id.to_string(), 4),
                    fit(s.state.as_str(), 17),
                    fit(&age(s.age_seconds), 4),
                    fit(&s.author, 16),
                    fit(clean, 8),
                    fit(&s.title, 25)
                );
                let recs = s.records.join(", ");
                outln!("{}{}", " ".repeat(5), fit(&recs, 74));
            }
            Ok(())
        }
        ReviewCommand::Show { id, json } => {
            let ws = review::sync(&store);
            let d = review::show(&store, id).map_err(review_err)?;
            if json {
                return print_json(&d);
            }
            warn(&ws);
            print_details(&d);
            Ok(())
        }
        ReviewCommand::Approve {
            id,
            message,
            resolve,
            json,
        } => {
            let resolutions: Vec<Resolution> = resolve
                .iter()
                .map(|r| {
                    r.parse()
                        .map_err(|e: String| CliError::new(format!("--resolve {r:?}: {e}")))
                })
                .collect::<Result<_, _>>()?;
            let a = review::approve(&store, id, message.as_deref(), &resolutions)
                .map_err(review_err)?;
            if json {
                return print_json(&a);
            }
            warn(&a.warnings);
            match &a.merge_commit {
                Some(c) => {
                    outln!(
                        "approved review {id}: merged into {} as {}",
                        a.request.target,
                        &c[..10]
                    );
                    if a.warnings.is_empty()
                        && crate::store::branches::default_remote(store.repo()).is_some()
                    {
                        outln!("pushed");
                    }
                }
                None => outln!(
                    "approved review {id}: {} of {} approvals; it merges when enough reviewers approve",
                    a.approvals,
                    a.needed
                ),
            }
            Ok(())
        }
        ReviewCommand::RequestChanges { id, reason } => {
            let r = review::request_changes(&store, id, &reason).map_err(review_err)?;
            outln!("review {}: changes requested", r.id);
            outln!("the reason is in `git log refs/kehoach/reviews/{}`", r.id);
            Ok(())
        }
        ReviewCommand::Reject { id, reason } => {
            let r = review::reject(&store, id, &reason).map_err(review_err)?;
            outln!("review {}: rejected", r.id);
            outln!("the reason is in `git log refs/kehoach/reviews/{}`", r.id);
            Ok(())
        }
        ReviewCommand::Bundle { id, file } => {
            let summary = review::bundle(&store, id, &file).map_err(review_err)?;
            print!("{}", sanitize(&summary));
            outln!("wrote {} and {}.txt", file.display(), file.display());
            Ok(())
        }
        ReviewCommand::Status { json } => {
            let st = review::branch_state(&store).map_err(review_err)?;
            if json {
                return print_json(&st);
            }
            outln!("{}", st.line_en());
            if let Some(r) = &st.request {
                outln!("review {}: {} ({})", r.id, sanitize(&r.title), r.state);
            } else if st.on_change_branch {
                outln!("not submitted yet: `kehoach review submit --title …`");
            }
            Ok(())
        }
        ReviewCommand::Import { file } => {
            let r = review::import(&store, &file).map_err(review_err)?;
            outln!(
                "imported review {}: {} ({}), branch {}",
                r.id,
                sanitize(&r.title),
                r.state,
                r.branch
            );
            Ok(())
        }
    }
}

fn print_details(d: &Details) {
    let r = &d.request;
    outln!("Review {}: {}", r.id, sanitize(&r.title));
    outln!(
        "State: {}   Author: {} <{}>",
        r.state,
        sanitize(&r.author_name),
        r.author_email
    );
    outln!(
        "Branch: {} at {}   Into: {}",
        r.branch,
        &r.head[..10],
        r.target
    );
    if !r.description.is_empty() {
        outln!();
        for l in r.description.lines() {
            outln!("  {}", sanitize(l));
        }
    }
    outln!();
    outln!("Changes against the merge base {}:", &d.base[..10]);
    for f in &d.diff {
        outln!("  {} ({})", sanitize(&f.path), f.status);
        for c in &f.changes {
            outln!("    {}", sanitize(&c.to_string()));
        }
    }
    outln!();
    if r.state.is_open() {
        if d.conflicts.is_empty() {
            outln!("Merges cleanly into {}.", r.target);
        } else {
            outln!("Conflicts with {}:", r.target);
            for c in &d.conflicts {
                outln!("  {}", sanitize(&c.name()));
                outln!(
                    "    base:   {}",
                    c.base.as_deref().map(short).unwrap_or("(absent)".into())
                );
                outln!(
                    "    ours:   {}",
                    c.ours.as_deref().map(short).unwrap_or("(absent)".into())
                );
                outln!(
                    "    theirs: {}",
                    c.theirs.as_deref().map(short).unwrap_or("(absent)".into())
                );
            }
        }
        if d.problems.is_empty() {
            outln!("The merged result is valid.");
        } else {
            outln!("The merged result has {} problem(s):", d.problems.len());
            for p in &d.problems {
                outln!("  {}", sanitize(&p.to_string()));
            }
        }
    }
    outln!(
        "Approvals: {} of {}{}",
        d.approved_by.len(),
        d.approvals_needed.max(1),
        if d.approved_by.is_empty() {
            String::new()
        } else {
            format!(
                " ({})",
                d.approved_by
                    .iter()
                    .map(|(n, _)| n.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
    );
    if d.may_approve.is_empty() {
        outln!("Nobody in the policy may approve it (kehoach.toml [review.reviewers]).");
    } else {
        outln!("May approve:");
        for (n, e) in &d.may_approve {
            outln!("  {} <{e}>", sanitize(n));
        }
    }
    let events: Vec<_> = r.events.iter().filter(|e| !e.message.is_empty()).collect();
    if !events.is_empty() {
        outln!("History:");
        for e in events {
            outln!(
                "  {} by {}: {}",
                e.kind,
                sanitize(&e.name),
                short(&e.message)
            );
        }
    }
}
