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
        content: Some("*.toml text eol=lf\n".into()),
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
    store.commit_as(&changes, msg, &author, &author)?;
    Ok(store)
}
