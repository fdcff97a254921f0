//! Read-only views of commits for indexers: HEAD's commit, the record files of a commit's tree
//! with their blob ids, the paths changed between two commits, blob contents, and the record
//! files that differ from HEAD in the work tree. Paths are relative to the data root.

use std::path::Path;

use git2::{ObjectType, Oid, Repository, StatusOptions, TreeWalkMode, TreeWalkResult};

use super::Store;
use super::error::{Result, StoreError};
use super::layout::{Kind, classify};

/// The folder, in the git directory, of the files kehoach keeps for itself.
const PRIVATE_DIR: &str = "kehoach";

/// A record file of a commit's tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeEntry {
    /// Path relative to the data root.
    pub path: String,
    /// The blob id, 40 hex digits.
    pub blob: String,
}

/// True for the files an indexer reads: records of every kind but the settings file.
pub fn is_record_path(rel: &str) -> bool {
    matches!(classify(rel), Some(k) if k != Kind::Config)
}

fn oid(s: &str) -> Result<Oid> {
    Oid::from_str(s).map_err(|_| StoreError::Other(format!("{s:?} is not an object id")))
}

impl Store {
    /// The repository's git directory (`.git`, or the worktree's folder inside it).
    pub fn git_dir(&self) -> &Path {
        self.repo().path()
    }

    /// The commit HEAD points at; None before the first commit.
    pub fn head_commit_id(&self) -> Result<Option<String>> {
        match self.repo().head() {
            Ok(r) => Ok(r.target().map(|o| o.to_string())),
            Err(e)
                if e.code() == git2::ErrorCode::UnbornBranch
                    || e.code() == git2::ErrorCode::NotFound =>
            {
                Ok(None)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// True when `commit` names a commit of this repository.
    pub fn has_commit(&self, commit: &str) -> bool {
        oid(commit).is_ok_and(|o| self.repo().find_commit(o).is_ok())
    }

    /// The record files of a commit, sorted by path.
    pub fn record_entries(&self, commit: &str) -> Result<Vec<TreeEntry>> {
        let tree = self.repo().find_commit(oid(commit)?)?.tree()?;
        let prefix = self.prefix().trim_end_matches('/');
        let tree = if prefix.is_empty() {
            tree
        } else {
            match tree.get_path(Path::new(prefix)) {
                Ok(e) => self.repo().find_tree(e.id())?,
                Err(_) => return Ok(vec![]),
            }
        };
        let mut out = Vec::new();
        tree.walk(TreeWalkMode::PreOrder, |dir, entry| {
            if entry.kind() == Some(ObjectType::Blob)
                && let Ok(name) = entry.name()
            {
                let rel = format!("{dir}{name}");
                if is_record_path(&rel) {
                    out.push(TreeEntry {
                        path: rel,
                        blob: entry.id().to_string(),
                    });
                }
            }
            TreeWalkResult::Ok
        })?;
        out.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(out)
    }

    /// A lookup of record files' blobs in a commit that reads each folder's tree once, however
    /// many of its files are asked for (a folder of a large repository, such as `plans`, is
    /// a tree of tens of kilobytes that git would otherwise read and check again for each).
    pub fn blobs_at(&self, commit: &str) -> Result<BlobsAt<'_>> {
        Ok(BlobsAt {
            store: self,
            root: self.repo().find_commit(oid(commit)?)?.tree()?,
            folders: std::collections::HashMap::new(),
        })
    }

    /// The record files that differ between two commits (added, changed or deleted), sorted.
    /// Subtrees with the same id on both sides are skipped without being read.
    pub fn changed_record_paths(&self, old: &str, new: &str) -> Result<Vec<String>> {
        let repo = self.repo();
        let root_of = |c: &str| -> Result<Option<git2::Tree<'_>>> {
            let tree = repo.find_commit(oid(c)?)?.tree()?;
            let prefix = self.prefix().trim_end_matches('/');
            if prefix.is_empty() {
                return Ok(Some(tree));
            }
            match tree.get_path(Path::new(prefix)) {
                Ok(e) => Ok(repo.find_tree(e.id()).ok()),
                Err(_) => Ok(None),
            }
        };
        let (a, b) = (root_of(old)?, root_of(new)?);
        let mut out = Vec::new();
        diff_trees(repo, a.as_ref(), b.as_ref(), "", &mut out)?;
        out.retain(|p| is_record_path(p));
        out.sort();
        out.dedup();
        Ok(out)
    }

    /// The content of a blob.
    pub fn read_blob(&self, blob: &str) -> Result<Vec<u8>> {
        Ok(self.repo().find_blob(oid(blob)?)?.content().to_vec())
    }

    /// A reader of the record files of a commit that can be sent to other threads; see
    /// [`RecordReader`]. Reads git's index once (a missing or unreadable index vouches for
    /// nothing: every file is then read from the object database).
    pub fn record_reader(&self) -> RecordReader {
        use std::os::unix::fs::MetadataExt;
        let mut vouched = std::collections::HashMap::new();
        let index_file = self.git_dir().join("index");
        let index_mtime = std::fs::metadata(&index_file)
            .map(|m| (m.mtime(), m.mtime_nsec()))
            .ok();
        if let (Some(index_mtime), Ok(index)) = (index_mtime, self.repo().index()) {
            let prefix = self.prefix().as_bytes();
            // Entries of a merge in progress, "assume unchanged" and "skip worktree" ones, those
            // added with intent to add, and anything but a plain file are not vouched for.
            const ASSUME_VALID: u16 = 0x8000;
            const STAGE: u16 = 0x3000;
            const SKIP_OR_INTENT: u16 = 0x4000 | 0x2000;
            for e in index.iter() {
                if e.flags & (ASSUME_VALID | STAGE) != 0
                    || e.mode & 0o170000 != 0o100000
                    || e.flags_extended & SKIP_OR_INTENT != 0
                    || !e.path.starts_with(prefix)
                {
                    continue;
                }
                let Ok(rel) = std::str::from_utf8(&e.path[prefix.len()..]) else {
                    continue;
                };
                let v = Vouched::of(&e);
                if is_record_path(rel) && v.before(index_mtime) {
                    vouched.insert(rel.to_string(), v);
                }
            }
        }
        RecordReader {
            git_dir: self.git_dir().to_path_buf(),
            root: self.root().to_path_buf(),
            vouched,
        }
    }

    /// The blob id git would give `content`.
    pub fn blob_id(content: &[u8]) -> String {
        blob_oid(content).to_string()
    }

    /// The record files of the work tree that differ from HEAD: changed, staged, new (untracked)
    /// or deleted. Uses git's index stat cache, so unchanged files are not read.
    pub fn dirty_record_paths(&self) -> Result<Vec<String>> {
        let mut opts = StatusOptions::new();
        opts.include_untracked(true)
            .recurse_untracked_dirs(true)
            .include_ignored(false)
            .exclude_submodules(true)
            .renames_head_to_index(false)
            .renames_index_to_workdir(false)
            .include_unmodified(false);
        if !self.prefix().is_empty() {
            opts.pathspec(self.prefix());
        }
        let statuses = self.repo().statuses(Some(&mut opts))?;
        let mut out = Vec::new();
        for s in statuses.iter() {
            if s.status().is_ignored() {
                continue;
            }
            if let Ok(p) = s.path()
                && let Some(rel) = p.strip_prefix(self.prefix())
                && is_record_path(rel)
            {
                out.push(rel.to_string());
            }
        }
        out.sort();
        out.dedup();
        Ok(out)
    }

    /// Reads a work-tree record file; None when it does not exist.
    pub fn read_worktree(&self, rel: &str) -> Result<Option<Vec<u8>>> {
        let p = self.root().join(rel);
        match std::fs::read(&p) {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(StoreError::io(p, e)),
        }
    }
}

/// The blobs of the files of one commit, looked up folder by folder (see [`Store::blobs_at`]).
pub struct BlobsAt<'s> {
    store: &'s Store,
    root: git2::Tree<'s>,
    /// Each folder looked into (path in the repository): its tree, None when there is none.
    folders: std::collections::HashMap<String, Option<git2::Tree<'s>>>,
}

impl<'s> BlobsAt<'s> {
    /// The blob of the file at `rel` (relative to the data root); None when the commit has no
    /// such file.
    pub fn get(&mut self, rel: &str) -> Result<Option<String>> {
        let path = self.store.repo_path(rel);
        let (folder, name) = path.rsplit_once('/').unwrap_or(("", path.as_str()));
        Ok(self
            .folder(folder)?
            .and_then(|t| t.get_name(name).map(|e| (e.kind(), e.id())))
            .filter(|(kind, _)| *kind == Some(ObjectType::Blob))
            .map(|(_, id)| id.to_string()))
    }

    /// The record files the commit has in the folder at `dir_rel` (relative to the data root),
    /// as paths relative to the data root; none when it has no such folder.
    pub fn record_files_in(&mut self, dir_rel: &str) -> Result<Vec<String>> {
        let Some(tree) = self.folder(&self.store.repo_path(dir_rel))? else {
            return Ok(vec![]);
        };
        Ok(tree
            .iter()
            .filter(|e| e.kind() == Some(ObjectType::Blob))
            .filter_map(|e| e.name().ok().map(|n| format!("{dir_rel}/{n}")))
            .filter(|rel| is_record_path(rel))
            .collect())
    }

    /// The tree of a folder (path in the repository, "" for the root); None when the commit
    /// has no such folder. Each folder on the way is read once.
    fn folder(&mut self, folder: &str) -> Result<Option<git2::Tree<'s>>> {
        if folder.is_empty() {
            return Ok(Some(self.root.clone()));
        }
        if let Some(t) = self.folders.get(folder) {
            return Ok(t.clone());
        }
        let (parent, name) = folder.rsplit_once('/').unwrap_or(("", folder));
        let tree = match self.folder(parent)? {
            Some(p) => match p.get_name(name) {
                Some(e) if e.kind() == Some(ObjectType::Tree) => {
                    Some(self.store.repo().find_tree(e.id())?)
                }
                _ => None,
            },
            None => None,
        };
        self.folders.insert(folder.to_string(), tree.clone());
        Ok(tree)
    }
}

/// Reads record files of a commit for an indexer, from any thread: from the work tree where
/// git's index vouches that the file holds the commit's blob, else from the object database.
///
/// git's index vouches for a file when its entry names the same blob, the file's size,
/// modification and change times and inode are those the entry recorded, and the file was not
/// written in the same clock tick as the index (then git itself looks again: "racy" entries).
/// Reading a file costs about a third of inflating its blob from a pack.
#[derive(Debug, Clone)]
pub struct RecordReader {
    git_dir: std::path::PathBuf,
    root: std::path::PathBuf,
    /// By path relative to the data root.
    vouched: std::collections::HashMap<String, Vouched>,
}

/// What git's index recorded of a file it read.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Vouched {
    blob: Oid,
    size: u32,
    mtime: (i32, u32),
    ctime: (i32, u32),
    ino: u32,
}

/// How [`RecordReader::read`] got the contents.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReadCounts {
    pub from_work_tree: usize,
    pub from_objects: usize,
}

impl Vouched {
    fn of(e: &git2::IndexEntry) -> Vouched {
        Vouched {
            blob: e.id,
            size: e.file_size,
            mtime: (e.mtime.seconds(), e.mtime.nanoseconds()),
            ctime: (e.ctime.seconds(), e.ctime.nanoseconds()),
            ino: e.ino,
        }
    }

    /// True when `m` is the stat git recorded (sizes and inodes as git keeps them, 32 bits).
    fn matches(&self, m: &std::fs::Metadata) -> bool {
        use std::os::unix::fs::MetadataExt;
        m.is_file()
            && self.size == m.size() as u32
            && self.mtime == (m.mtime() as i32, m.mtime_nsec() as u32)
            && self.ctime == (m.ctime() as i32, m.ctime_nsec() as u32)
            && self.ino == m.ino() as u32
    }

    /// True when git wrote its index after the file was last changed (not in the same tick).
    fn before(&self, index_mtime: (i64, i64)) -> bool {
        (i64::from(self.mtime.0), i64::from(self.mtime.1)) < index_mtime
    }
}

impl RecordReader {
    /// The contents of record files of one commit (path relative to the data root, blob id),
    /// in order, and where they came from.
    pub fn read(&self, files: &[(&str, &str)]) -> Result<(Vec<Vec<u8>>, ReadCounts)> {
        let mut counts = ReadCounts::default();
        let mut repo = None;
        let mut out = Vec::with_capacity(files.len());
        for (path, blob) in files {
            let id = oid(blob)?;
            if let Some(v) = self.vouched.get(*path).filter(|v| v.blob == id)
                && let Some(content) = self.read_vouched(path, v)
            {
                counts.from_work_tree += 1;
                out.push(content);
                continue;
            }
            if repo.is_none() {
                // Reading many blobs to build an index: like git, do not re-hash every object
                // read; `git fsck` is the tool for checking the object database.
                git2::opts::strict_hash_verification(false);
                repo = Some(Repository::open(&self.git_dir)?);
            }
            let repo = repo.as_ref().expect("opened above");
            counts.from_objects += 1;
            out.push(repo.find_blob(id)?.content().to_vec());
        }
        Ok((out, counts))
    }

    /// The file's content when its stat is still the one git's index recorded.
    fn read_vouched(&self, path: &str, v: &Vouched) -> Option<Vec<u8>> {
        use std::io::Read;
        let mut f = std::fs::File::open(self.root.join(path)).ok()?;
        let m = f.metadata().ok()?;
        if !v.matches(&m) {
            return None;
        }
        // The size is known: no read past it to find the end.
        let mut content = vec![0; usize::try_from(m.len()).ok()?];
        f.read_exact(&mut content).ok()?;
        Some(content)
    }
}

/// Reads again, by path and blob id, record files an indexer read earlier: what a search shows
/// of the records it found. See [`Store::indexed_files`].
#[derive(Debug, Clone)]
pub struct IndexedFiles {
    git_dir: std::path::PathBuf,
    root: std::path::PathBuf,
}

/// The blob id git gives `content` (the SHA-1 of a header and the content). The `sha1`
/// crate's takes a third of the time of libgit2's, which also looks for collision attacks
/// (1.2 µs against 3.7 for a record of 1.7 kB): a search hashes each record it shows.
pub(crate) fn blob_oid(content: &[u8]) -> Oid {
    use sha1::Digest;
    let mut h = sha1::Sha1::new();
    h.update(format!("blob {}\0", content.len()));
    h.update(content);
    let bytes: [u8; 20] = h.finalize().into();
    Oid::from_bytes(&bytes).expect("20 bytes")
}

impl Store {
    /// A reader of the files an indexer read: see [`IndexedFiles::read`].
    pub fn indexed_files(&self) -> IndexedFiles {
        IndexedFiles::new(self.git_dir(), self.root())
    }
}

impl IndexedFiles {
    /// A reader of the files of the repository whose git directory is `git_dir`, with its data
    /// root at `root`.
    pub fn new(git_dir: &Path, root: &Path) -> IndexedFiles {
        IndexedFiles {
            git_dir: git_dir.to_path_buf(),
            root: root.to_path_buf(),
        }
    }

    /// The content of a record file (path relative to the data root), as it was when an
    /// indexer read it as the blob `blob`: from the work tree when the file still holds that
    /// blob (hashed to be sure), else from the object database. When neither has it (an
    /// uncommitted edit, changed again since it was read), the file as it is now. None when
    /// the file is gone too, or cannot be read, and for a path that names no record file (from
    /// a damaged index: nothing outside the records is read).
    pub fn read(&self, path: &str, blob: Oid) -> Option<FileContent> {
        if !is_record_path(path) || path.split('/').any(|p| p == ".." || p.is_empty()) {
            return None;
        }
        let now = std::fs::read(self.root.join(path)).ok();
        if let Some(bytes) = now.as_ref()
            && blob_oid(bytes) == blob
        {
            return now.map(|bytes| FileContent {
                bytes,
                indexed: true,
            });
        }
        let stored = Repository::open(&self.git_dir)
            .ok()
            .and_then(|r| r.find_blob(blob).ok().map(|b| b.content().to_vec()));
        match stored {
            Some(bytes) => Some(FileContent {
                bytes,
                indexed: true,
            }),
            None => now.map(|bytes| FileContent {
                bytes,
                indexed: false,
            }),
        }
    }
}

/// A record file's content, read by [`IndexedFiles::read`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileContent {
    pub bytes: Vec<u8>,
    /// True when it is the blob asked for; false when it is the file as it is now.
    pub indexed: bool,
}

/// What `stat` says of a record file of the work tree: enough to notice that it changed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct FileStat {
    /// Path relative to the data root.
    pub path: String,
    pub size: u64,
    /// Modification time, nanoseconds since the epoch.
    pub mtime_ns: i64,
    /// Status change time, nanoseconds since the epoch.
    pub ctime_ns: i64,
    pub ino: u64,
}

fn stat_dir(dir: &Path, rel: &str, depth: usize, out: &mut Vec<FileStat>) -> Result<()> {
    use std::os::unix::fs::MetadataExt;
    for e in super::load::entries(dir, rel, true)? {
        if e.file_type.is_dir() {
            if depth < 4 {
                stat_dir(&e.entry.path(), &e.rel, depth + 1, out)?;
            }
        } else if e.file_type.is_file() && e.name.ends_with(".toml") && is_record_path(&e.rel) {
            let m = e
                .entry
                .metadata()
                .map_err(|err| StoreError::io(e.entry.path(), err))?;
            out.push(FileStat {
                path: e.rel,
                size: m.size(),
                mtime_ns: m.mtime() * 1_000_000_000 + m.mtime_nsec(),
                ctime_ns: m.ctime() * 1_000_000_000 + m.ctime_nsec(),
                ino: m.ino(),
            });
        }
    }
    Ok(())
}

impl Store {
    /// `stat` of every record file of the work tree (agencies and plans), unsorted. Reads
    /// folders in parallel, one plan at a time; reads no file.
    pub fn stat_record_files(&self) -> Result<Vec<FileStat>> {
        use rayon::prelude::*;
        let root = self.root();
        let mut out = Vec::new();
        stat_dir(&root.join("agencies"), "agencies", 1, &mut out)?;
        let plans: Vec<(std::path::PathBuf, String)> = match std::fs::read_dir(root.join("plans")) {
            Ok(rd) => rd
                .filter_map(|e| e.ok())
                .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
                .filter_map(|e| {
                    let name = e.file_name().to_str()?.to_string();
                    (!name.starts_with('.')).then(|| (e.path(), format!("plans/{name}")))
                })
                .collect(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => vec![],
            Err(e) => return Err(StoreError::io(root.join("plans"), e)),
        };
        let parts: Vec<Result<Vec<FileStat>>> = plans
            .par_iter()
            .map(|(p, rel)| {
                let mut v = Vec::new();
                stat_dir(p, rel, 2, &mut v)?;
                Ok(v)
            })
            .collect();
        for p in parts {
            out.extend(p?);
        }
        Ok(out)
    }

    /// The time the file system gives a file written now, nanoseconds since the epoch (for
    /// telling files written in the same clock tick as a snapshot).
    pub fn fs_now_ns(&self) -> Result<i64> {
        use std::os::unix::fs::MetadataExt;
        let p = self.private_dir()?.join("clock");
        std::fs::write(&p, b"").map_err(|e| StoreError::io(&p, e))?;
        let m = std::fs::metadata(&p).map_err(|e| StoreError::io(&p, e))?;
        Ok(m.mtime() * 1_000_000_000 + m.mtime_nsec())
    }
}

impl Store {
    /// Reads a file kehoach keeps for itself under `<git dir>/kehoach/`; None when missing.
    pub fn read_private(&self, name: &str) -> Result<Option<Vec<u8>>> {
        Store::read_private_at(&self.private_path(name))
    }

    /// The folder of the files kehoach keeps for itself, `<git dir>/kehoach/` (the search
    /// index, its snapshot, caches), made when
    /// missing.
    pub fn private_dir(&self) -> Result<std::path::PathBuf> {
        let dir = self.git_dir().join(PRIVATE_DIR);
        match std::fs::create_dir_all(&dir) {
            Ok(()) => Ok(dir),
            // Something else by that name.
            Err(_) if dir.symlink_metadata().is_ok_and(|m| !m.is_dir()) => {
                Err(StoreError::NotAFolder(dir))
            }
            Err(e) => Err(StoreError::io(&dir, e)),
        }
    }

    /// Where the file `name` kehoach keeps for itself is (see [`Store::read_private`]).
    pub fn private_path(&self, name: &str) -> std::path::PathBuf {
        self.git_dir().join(PRIVATE_DIR).join(name)
    }

    /// [`Store::read_private`] of the file at `path` (from [`Store::private_path`]), from any
    /// thread.
    pub fn read_private_at(path: &Path) -> Result<Option<Vec<u8>>> {
        match std::fs::read(path) {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(StoreError::io(path, e)),
        }
    }

    /// Writes a file kehoach keeps for itself under `<git dir>/kehoach/`: whole or not at all
    /// (through a rename), without waiting for the disk (these are caches).
    pub fn write_private(&self, name: &str, content: &[u8]) -> Result<()> {
        let dir = self.private_dir()?;
        let p = dir.join(name);
        let tmp = dir.join(format!("{name}.tmp-{}", std::process::id()));
        std::fs::write(&tmp, content).map_err(|e| StoreError::io(&tmp, e))?;
        std::fs::rename(&tmp, &p).map_err(|e| StoreError::io(&p, e))
    }

    /// The record files directly in a folder of the data root (relative paths).
    pub fn record_files_in(&self, dir_rel: &str) -> Result<Vec<String>> {
        let dir = self.root().join(dir_rel);
        let rd = match std::fs::read_dir(&dir) {
            Ok(rd) => rd,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(vec![]),
            Err(e) => return Err(StoreError::io(dir, e)),
        };
        Ok(rd
            .filter_map(|e| e.ok())
            .filter_map(|e| e.file_name().to_str().map(|n| format!("{dir_rel}/{n}")))
            .filter(|rel| is_record_path(rel))
            .collect())
    }
}

/// Entries of a tree by name: (id, is a tree).
fn entries(tree: Option<&git2::Tree<'_>>) -> std::collections::BTreeMap<String, (Oid, bool)> {
    tree.map(|t| {
        t.iter()
            .filter_map(|e| {
                let name = e.name().ok()?.to_string();
                Some((name, (e.id(), e.kind() == Some(ObjectType::Tree))))
            })
            .collect()
    })
    .unwrap_or_default()
}

/// Paths of blobs that differ between two trees, recursing only into subtrees that differ.
fn diff_trees(
    repo: &Repository,
    a: Option<&git2::Tree<'_>>,
    b: Option<&git2::Tree<'_>>,
    prefix: &str,
    out: &mut Vec<String>,
) -> Result<()> {
    let (ea, eb) = (entries(a), entries(b));
    let names: std::collections::BTreeSet<&String> = ea.keys().chain(eb.keys()).collect();
    for name in names {
        let (x, y) = (ea.get(name), eb.get(name));
        if x == y {
            continue;
        }
        let path = format!("{prefix}{name}");
        let sub = |e: Option<&(Oid, bool)>| -> Option<git2::Tree<'_>> {
            e.filter(|(_, is_tree)| *is_tree)
                .and_then(|(id, _)| repo.find_tree(*id).ok())
        };
        let (ta, tb) = (sub(x), sub(y));
        if ta.is_some() || tb.is_some() {
            diff_trees(repo, ta.as_ref(), tb.as_ref(), &format!("{path}/"), out)?;
        }
        let blob = |e: Option<&(Oid, bool)>| e.is_some_and(|(_, t)| !*t);
        if blob(x) || blob(y) {
            out.push(path);
        }
    }
    Ok(())
}
