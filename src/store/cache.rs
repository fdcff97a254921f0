//! A cache of facts derived from record files, kept under `.git/kehoach/cache/`, so that
//! questions over every record (what is overdue?) cost one `stat` per unchanged file instead
//! of a read and a parse. An entry holds when the file's size, modification time and inode are
//! those it was made from. Like git's index, it guards against "racy" files: an entry is only
//! stored for a file last modified more than two seconds before, so a change within the same
//! clock tick cannot hide behind an equal timestamp. A missing or unreadable cache is rebuilt;
//! it is never needed for correctness.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use rayon::prelude::*;
use serde::{Deserialize, Serialize, de::DeserializeOwned};

use super::Store;

const VERSION: u32 = 1;
const RACY: Duration = Duration::from_secs(2);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Stamp {
    size: u64,
    mtime_ns: u64,
    ino: u64,
}

fn stamp(meta: &std::fs::Metadata) -> Option<(Stamp, SystemTime)> {
    let modified = meta.modified().ok()?;
    let mtime_ns = modified
        .duration_since(SystemTime::UNIX_EPOCH)
        .ok()?
        .as_nanos() as u64;
    #[cfg(unix)]
    let ino = std::os::unix::fs::MetadataExt::ino(meta);
    #[cfg(not(unix))]
    let ino = 0;
    Some((
        Stamp {
            size: meta.len(),
            mtime_ns,
            ino,
        },
        modified,
    ))
}

#[derive(Serialize, Deserialize)]
struct Disk<T> {
    version: u32,
    entries: HashMap<String, (Stamp, T)>,
}

/// Derived values of files, by path relative to the data root.
pub struct FileCache<T> {
    file: PathBuf,
    entries: HashMap<String, (Stamp, T)>,
    dirty: bool,
}

impl<T: Clone + Send + Sync + Serialize + DeserializeOwned> FileCache<T> {
    /// Opens the cache `name` of the repository (empty when missing or unreadable).
    pub fn open(store: &Store, name: &str) -> FileCache<T> {
        let file = store.private_path("cache").join(format!("{name}.json"));
        let entries = std::fs::read(&file)
            .ok()
            .and_then(|b| serde_json::from_slice::<Disk<T>>(&b).ok())
            .filter(|d| d.version == VERSION)
            .map(|d| d.entries)
            .unwrap_or_default();
        FileCache {
            file,
            entries,
            dirty: false,
        }
    }

    /// The value of each path: from the cache when the file is unchanged, else from
    /// `compute(path, text)`. Missing files are left out; unreadable ones give `Err`.
    pub fn values(
        &mut self,
        root: &Path,
        rels: Vec<String>,
        compute: impl Fn(&str, &str) -> T + Sync,
    ) -> Vec<(String, Result<T, String>)> {
        let now = SystemTime::now();
        let entries = &self.entries;
        let got: Vec<(String, Result<T, String>, Option<Stamp>)> = rels
            .into_par_iter()
            .filter_map(|rel| {
                let p = root.join(&rel);
                let meta = match std::fs::metadata(&p) {
                    Ok(m) => m,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
                    Err(e) => return Some((rel, Err(format!("cannot read: {e}")), None)),
                };
                let st = stamp(&meta);
                if let (Some((s, _)), Some((cached, v))) = (&st, entries.get(&rel))
                    && s == cached
                {
                    return Some((rel, Ok(v.clone()), None));
                }
                let text = match std::fs::read_to_string(&p) {
                    Ok(t) => t,
                    Err(e) => return Some((rel, Err(format!("cannot read: {e}")), None)),
                };
                let v = compute(&rel, &text);
                // Only files old enough to be safe from same-tick changes are remembered.
                let keep = st
                    .filter(|(_, m)| now.duration_since(*m).is_ok_and(|age| age > RACY))
                    .map(|(s, _)| s);
                Some((rel, Ok(v), keep))
            })
            .collect();
        let mut out = Vec::with_capacity(got.len());
        for (rel, v, keep) in got {
            if let (Some(s), Ok(val)) = (keep, &v) {
                self.entries.insert(rel.clone(), (s, val.clone()));
                self.dirty = true;
            }
            out.push((rel, v));
        }
        out
    }

    /// Writes the cache back when it changed, forgetting paths not asked about in `keep`
    /// (when given). Failing to write is not an error: the cache is only an optimisation.
    pub fn save(&mut self, keep: Option<&std::collections::HashSet<&str>>) {
        if let Some(k) = keep {
            let before = self.entries.len();
            self.entries.retain(|p, _| k.contains(p.as_str()));
            self.dirty |= self.entries.len() != before;
        }
        if !self.dirty {
            return;
        }
        let disk = Disk {
            version: VERSION,
            entries: std::mem::take(&mut self.entries),
        };
        if let Ok(bytes) = serde_json::to_vec(&disk) {
            let _ = super::commit::write_atomic(&self.file, &bytes);
        }
        self.entries = disk.entries;
        self.dirty = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn age(path: &Path, secs_ago: u64) {
        let f = std::fs::OpenOptions::new().write(true).open(path).unwrap();
        f.set_modified(SystemTime::now() - Duration::from_secs(secs_ago))
            .unwrap();
    }

    #[test]
    fn unchanged_files_are_not_read_again() {
        let tmp = tempfile::tempdir().unwrap();
        git2::Repository::init(tmp.path()).unwrap();
        std::fs::write(tmp.path().join("kehoach.toml"), "format_version = 1\n").unwrap();
        let store = Store::open(tmp.path()).unwrap();
        let root = store.root().to_path_buf();
        std::fs::write(root.join("a.toml"), "one").unwrap();
        std::fs::write(root.join("b.toml"), "two").unwrap();
        age(&root.join("a.toml"), 60);
        let rels = || {
            vec![
                "a.toml".to_string(),
                "b.toml".to_string(),
                "gone.toml".to_string(),
            ]
        };
        let mut c: FileCache<String> = FileCache::open(&store, "t");
        let v = c.values(&root, rels(), |_, t| t.to_uppercase());
        assert_eq!(v.len(), 2, "missing files are left out");
        c.save(None);
        // a.toml is remembered; b.toml, just written, is not (racy).
        let mut c: FileCache<String> = FileCache::open(&store, "t");
        let v = c.values(&root, rels(), |rel, t| {
            assert_ne!(rel, "a.toml", "a.toml is unchanged and cached");
            t.to_uppercase()
        });
        assert_eq!(v[0], ("a.toml".to_string(), Ok("ONE".to_string())));
        // A change, even to the same size, is seen.
        std::fs::write(root.join("a.toml"), "uno").unwrap();
        age(&root.join("a.toml"), 30);
        let mut c: FileCache<String> = FileCache::open(&store, "t");
        let v = c.values(&root, rels(), |_, t| t.to_uppercase());
        assert_eq!(v[0], ("a.toml".to_string(), Ok("UNO".to_string())));
    }
}
