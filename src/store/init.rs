//! Making data repositories: `kehoach init` and the sample data behind `kehoach demo`.

use std::path::Path;

use super::commit::{Change, write_atomic};
use super::error::{Result, StoreError};
use super::{Store, schema_files};

include!(concat!(env!("OUT_DIR"), "/sample_data.rs"));

/// The kehoach.toml of a new, empty data repository.
pub fn default_config(name: &str) -> String {
    format!(
        "#:schema ./schemas/kehoach.schema.json\n\n\
         format_version = 1\n\
         languages = [\"vi\", \"en\"]\n\
         name = {}\n\n\
         [review]\n\
         protected_branch = \"main\"\n\
         approvals = 1\n\
         allow_self_approval = false\n",
        toml_edit::Value::from(name)
    )
}

/// .gitattributes of a data repository: LF endings, and the field-level merge driver for
/// records (git falls back to its line merge where the driver is not registered).
pub const GITATTRIBUTES: &str = "*.toml text eol=lf\n*.toml merge=kehoach\n";

/// The git config lines that register the merge driver in a clone.
pub const MERGE_DRIVER_SETUP: &str = "git config merge.kehoach.name \"kehoach field-level merge of TOML records\"\n\
     git config merge.kehoach.driver \"kehoach merge-driver %O %A %B %P\"";

/// Registers the merge driver in a repository's own config.
pub fn register_merge_driver(repo: &git2::Repository) -> Result<()> {
    let mut cfg = repo.config()?.open_level(git2::ConfigLevel::Local)?;
    cfg.set_str(
        "merge.kehoach.name",
        "kehoach field-level merge of TOML records",
    )?;
    cfg.set_str("merge.kehoach.driver", "kehoach merge-driver %O %A %B %P")?;
    Ok(())
}

/// Files every data repository has besides its records: schemas, .gitattributes.
pub fn support_files() -> Vec<Change> {
    let mut v: Vec<Change> = schema_files()
        .into_iter()
        .map(|(name, text)| Change {
            path: format!("schemas/{name}"),
            content: Some(text.to_string()),
        })
        .collect();
    v.push(Change {
        path: ".gitattributes".into(),
        content: Some(GITATTRIBUTES.into()),
    });
    v
}

/// The sample plan (plan-data/) as changes to write.
pub fn sample_changes() -> Vec<Change> {
    SAMPLE_DATA
        .iter()
        .map(|(p, t)| Change {
            path: p.to_string(),
            content: Some(t.to_string()),
        })
        .collect()
}

/// Creates a git repository at `dir` (which must be missing or empty) on branch main.
pub fn init_repository(dir: &Path) -> Result<git2::Repository> {
    if dir.exists() {
        let mut rd = std::fs::read_dir(dir).map_err(|e| StoreError::io(dir, e))?;
        if rd.next().is_some() {
            return Err(StoreError::Exists(format!(
                "{} (and it is not empty)",
                dir.display()
            )));
        }
    }
    std::fs::create_dir_all(dir).map_err(|e| StoreError::io(dir, e))?;
    let mut opts = git2::RepositoryInitOptions::new();
    opts.initial_head("main");
    Ok(git2::Repository::init_opts(dir, &opts)?)
}

/// Writes files without committing them (the first commit is the caller's).
pub fn write_files(dir: &Path, changes: &[Change]) -> Result<()> {
    for c in changes {
        if let Some(t) = &c.content {
            write_atomic(&dir.join(&c.path), t.as_bytes())?;
        }
    }
    Ok(())
}

/// `kehoach init DIR [--sample]`: a new data repository with its first commit.
pub fn init(dir: &Path, sample: bool) -> Result<Store> {
    // Who is writing must be known before anything is created.
    let author = super::commit::global_identity()?;
    init_repository(dir)?;
    let mut changes = support_files();
    if sample {
        changes.extend(sample_changes());
    } else {
        changes.push(Change {
            path: "kehoach.toml".into(),
            content: Some(default_config("")),
        });
    }
    // kehoach.toml must exist before the store can be opened.
    write_files(dir, &changes)?;
    let store = Store::open(dir)?;
    let msg = if sample {
        "create repository: sample plan\n\nA data repository with the sample plan (plan-data).\n"
    } else {
        "create repository\n\nAn empty kehoach data repository.\n"
    };
    let first = store.commit_as(&changes, msg, &author, &author)?;
    record_policy_start(&store, &first.commit, &author)?;
    register_merge_driver(store.repo())?;
    Ok(store)
}

/// The adoption commit: sets `review.since` in kehoach.toml to the commit before it, the last
/// commit not under the review policy. It changes nothing else, which is what lets the audit
/// recognise it (see `review::audit`).
pub fn record_policy_start(
    store: &Store,
    since: &str,
    who: &git2::Signature<'_>,
) -> Result<super::CommitInfo> {
    let old = store.read(super::layout::CONFIG_FILE)?;
    let new = super::edit::set_in_document(&old, super::Kind::Config, "review.since", since)?;
    let msg = format!(
        "start review policy\n\nFrom here on, changes reach the protected branch only through\n\
         approved review (kehoach.toml [review]).\n\nReview-since: {since}\n"
    );
    store.commit_as(
        &[Change {
            path: super::layout::CONFIG_FILE.into(),
            content: Some(new),
        }],
        &msg,
        who,
        who,
    )
}
