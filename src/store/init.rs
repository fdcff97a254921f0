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

/// Fails unless `dir` is missing or an empty folder.
fn ensure_missing_or_empty(dir: &Path) -> Result<()> {
    if dir.exists() {
        let mut rd = std::fs::read_dir(dir).map_err(|e| StoreError::io(dir, e))?;
        if rd.next().is_some() {
            return Err(StoreError::Exists(format!(
                "{} (and it is not empty)",
                dir.display()
            )));
        }
    }
    Ok(())
}

/// Runs `make`, which makes a new repository in `dir` (missing or empty), and removes what it
/// made if it fails: `dir` itself when it was missing, else everything in it. A failed `init`
/// or `demo` leaves no half-made repository behind to be mistaken for a real one.
pub fn all_or_nothing<T>(dir: &Path, make: impl FnOnce() -> Result<T>) -> Result<T> {
    ensure_missing_or_empty(dir)?;
    let existed = dir.exists();
    let made = make();
    if made.is_err() {
        // Best effort: the error that stopped `make` is the one to report.
        if existed {
            if let Ok(rd) = std::fs::read_dir(dir) {
                for e in rd.flatten() {
                    let p = e.path();
                    let _ = if e.file_type().is_ok_and(|t| t.is_dir()) {
                        std::fs::remove_dir_all(&p)
                    } else {
                        std::fs::remove_file(&p)
                    };
                }
            }
        } else {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
    made
}

/// Creates a git repository at `dir` (which must be missing or empty) on branch main.
pub fn init_repository(dir: &Path) -> Result<git2::Repository> {
    ensure_missing_or_empty(dir)?;
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
    all_or_nothing(dir, || fill(dir, sample, &author))
}

fn fill(dir: &Path, sample: bool, author: &git2::Signature<'_>) -> Result<Store> {
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
    let first = store.commit_as(&changes, msg, author, author)?;
    record_policy_start(&store, &first.commit, author)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Makes a repository and some files in `dir`, then fails.
    fn make_then_fail(dir: &Path) -> Result<()> {
        init_repository(dir)?;
        write_files(dir, &support_files())?;
        Err(StoreError::Other("stopped half-way".into()))
    }

    #[test]
    fn a_failed_creation_removes_the_folder_it_made() {
        let t = tempfile::tempdir().unwrap();
        let dir = t.path().join("new");
        let e = all_or_nothing(&dir, || make_then_fail(&dir)).unwrap_err();
        assert!(e.to_string().contains("stopped half-way"), "{e}");
        assert!(!dir.exists());
    }

    #[test]
    fn a_failed_creation_empties_the_empty_folder_it_was_given() {
        let t = tempfile::tempdir().unwrap();
        all_or_nothing(t.path(), || make_then_fail(t.path())).unwrap_err();
        assert!(t.path().is_dir());
        assert_eq!(std::fs::read_dir(t.path()).unwrap().count(), 0);
    }

    #[test]
    fn a_folder_with_files_is_refused_and_left_alone() {
        let t = tempfile::tempdir().unwrap();
        std::fs::write(t.path().join("notes.txt"), "mine").unwrap();
        let mut called = false;
        let e = all_or_nothing(t.path(), || {
            called = true;
            make_then_fail(t.path())
        })
        .unwrap_err();
        assert!(matches!(e, StoreError::Exists(_)), "{e}");
        assert!(!called);
        assert_eq!(
            std::fs::read_to_string(t.path().join("notes.txt")).unwrap(),
            "mine"
        );
    }

    #[test]
    fn a_successful_creation_is_kept() {
        let t = tempfile::tempdir().unwrap();
        let dir = t.path().join("demo");
        let store = all_or_nothing(&dir, || crate::store::demo::make_demo(&dir)).unwrap();
        assert!(store.root().join("kehoach.toml").is_file());
    }
}
