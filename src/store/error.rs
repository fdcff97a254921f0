//! Errors of the record store. Each names what went wrong and, where it helps, what to do next.

use std::path::PathBuf;

use super::Diagnostic;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("git: {0}")]
    Git(#[from] git2::Error),
    #[error("{0} is not inside a git repository")]
    NotARepository(PathBuf),
    #[error("no kehoach.toml in {0} or any folder above it inside the repository")]
    NoDataRoot(PathBuf),
    #[error("no git identity: user.name and user.email are not set")]
    NoIdentity,
    #[error("no record with id {0:?}")]
    NotFound(String),
    #[error("{id:?} names more than one record: {}", candidates.join(", "))]
    Ambiguous { id: String, candidates: Vec<String> },
    #[error("{} problem{} found", .0.len(), if .0.len() == 1 { "" } else { "s" })]
    Invalid(Vec<Diagnostic>),
    #[error("{record}: {message}")]
    Field { record: String, message: String },
    #[error("{0} already exists")]
    Exists(String),
    #[error("branch {branch} changed underneath you (it moved while this change was being saved)")]
    Moved { branch: String },
    #[error("the repository is locked: {0} exists")]
    Locked(PathBuf),
    #[error("{0} is not a folder (kehoach keeps its search index and caches in it)")]
    NotAFolder(PathBuf),
    #[error("{0}")]
    Other(String),
}

impl StoreError {
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        StoreError::Io {
            path: path.into(),
            source,
        }
    }

    /// What the user can do about it, when there is something to say.
    pub fn hint(&self) -> Option<String> {
        Some(match self {
            StoreError::NotARepository(_) => {
                "run `kehoach init DIR` to make a data repository, or `kehoach demo` to try one"
                    .into()
            }
            StoreError::NoDataRoot(_) => {
                "run kehoach inside a data repository (a folder with kehoach.toml), or pass -C DIR"
                    .into()
            }
            StoreError::NoIdentity => "set who you are once:\n  git config --global user.name \"Nguyễn Văn A\"\n  git config --global user.email \"a@example.vn\"".into(),
            StoreError::NotFound(_) => "`kehoach list` shows every record and its id".into(),
            StoreError::Ambiguous { .. } => {
                "name the record by its path, or as PLAN/ID for an assignment".into()
            }
            StoreError::Moved { .. } => "nothing was lost; run the command again".into(),
            StoreError::NotAFolder(p) => format!(
                "move {} out of the way; kehoach makes the folder again",
                p.display()
            ),
            StoreError::Locked(p) => format!(
                "another git or kehoach process may be running; if none is, remove {} and retry",
                p.display()
            ),
            _ => return None,
        })
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;
