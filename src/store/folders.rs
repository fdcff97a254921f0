//! The record folders of the work tree and their `stat`: how an indexer tells, without reading
//! a file, that no record file was created, deleted or renamed since it last looked.
//!
//! A file created, deleted or saved by rename changes the modification time of its folder. The
//! folders followed are agencies/, plans/, each plan, its assignments/ and reports/, and each
//! period under reports/. Checking them again costs one `stat` each (13 000 at 100 000
//! records), shared between the calling thread and one more: [`check_record_dirs`].

use std::borrow::Cow;
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use rustix::fd::OwnedFd;

use super::Store;

/// A record folder's `stat` as seen once: enough to notice that a file was created, deleted
/// or renamed in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirStat<'a> {
    /// Path relative to the data root.
    pub path: Cow<'a, str>,
    /// Modification time, nanoseconds since the epoch.
    pub mtime_ns: i64,
    /// Status change time, nanoseconds since the epoch.
    pub ctime_ns: i64,
    pub ino: u64,
}

/// The times and inode of a folder now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Now {
    mtime_ns: i64,
    ctime_ns: i64,
    ino: u64,
}

impl Store {
    /// `stat` of every record folder of the data root, walking it (folders in the order the
    /// file system lists them, each before the folders in it).
    pub fn stat_record_dirs(&self) -> Vec<DirStat<'static>> {
        let mut out = Vec::new();
        for top in ["agencies", "plans"] {
            stat_dirs_under(self.root(), top, &mut out);
        }
        out
    }
}

/// Folders once seen, as a list that can be read from any thread: a slice of them, or a view
/// of a file that holds them.
pub trait KnownDirs: Sync {
    fn len(&self) -> usize;
    /// The folder at `i` (< `len()`).
    fn get(&self, i: usize) -> DirStat<'_>;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl KnownDirs for [DirStat<'_>] {
    fn len(&self) -> usize {
        <[DirStat<'_>]>::len(self)
    }
    fn get(&self, i: usize) -> DirStat<'_> {
        let d = &self[i];
        DirStat {
            path: Cow::Borrowed(&d.path),
            mtime_ns: d.mtime_ns,
            ctime_ns: d.ctime_ns,
            ino: d.ino,
        }
    }
}

impl KnownDirs for Vec<DirStat<'_>> {
    fn len(&self) -> usize {
        self.as_slice().len()
    }
    fn get(&self, i: usize) -> DirStat<'_> {
        KnownDirs::get(self.as_slice(), i)
    }
}

/// What checking the folders once seen found.
#[derive(Debug, Default)]
pub struct DirChanges {
    /// Every folder was looked at and none changed.
    pub unchanged: bool,
    /// The folders that changed, by their place in the list checked, with their stat now
    /// (None: gone, or no longer a folder). Complete unless the check stopped at the first.
    changed: Vec<(usize, Option<Now>)>,
}

/// The record folders now, from a check of those once seen.
#[derive(Debug)]
pub struct DirsNow<'a> {
    /// Every record folder: those once seen, in their order, without those gone; then the
    /// folders found new in the folders that changed. None: the same as those once seen.
    pub dirs: Option<Vec<DirStat<'a>>>,
    /// The folders whose files may have changed: those that changed, and the new ones.
    pub changed: Vec<String>,
    /// Some folder once seen is gone (its files are not listed here: ask git).
    pub gone: bool,
}

/// Folders handed out in runs of this many to the threads checking them.
const RUN: usize = 32;

/// A check of folders once seen, shared by threads: each thread calls [`DirCheck::work`] with
/// the same list and takes the next run of folders until none is left (or, when asked, until
/// one changed, or until [`DirCheck::stop`]). A thread that comes late finds nothing left to
/// do: [`DirCheck::finish`] waits only for runs taken, not for threads.
pub struct DirCheck {
    root: Option<OwnedFd>,
    /// The first folder no thread has taken yet.
    next: AtomicUsize,
    /// Folders checked.
    done: AtomicUsize,
    stop_at_change: bool,
    stopped: AtomicBool,
    any: AtomicBool,
    changed: Mutex<Vec<(usize, Option<Now>)>>,
}

impl DirCheck {
    /// A check of folders under the data root at `root`, stopping at the first folder changed
    /// when `stop_at_change` (then only [`DirChanges::unchanged`] tells anything).
    pub fn new(root: &Path, stop_at_change: bool) -> DirCheck {
        DirCheck {
            root: root_fd(root),
            next: AtomicUsize::new(0),
            done: AtomicUsize::new(0),
            stop_at_change,
            stopped: AtomicBool::new(false),
            any: AtomicBool::new(false),
            changed: Mutex::new(Vec::new()),
        }
    }

    /// Checks folders of `known` until none is left; every thread must pass the same list.
    pub fn work(&self, known: &(impl KnownDirs + ?Sized)) {
        /// A thread that fails in the middle of a run stops the check, so that no thread
        /// waits for that run in [`DirCheck::finish`].
        struct StopOnPanic<'a>(&'a AtomicBool);
        impl Drop for StopOnPanic<'_> {
            fn drop(&mut self) {
                if std::thread::panicking() {
                    self.0.store(true, Ordering::Relaxed);
                }
            }
        }
        let _guard = StopOnPanic(&self.stopped);
        let Some(root) = &self.root else {
            self.any.store(true, Ordering::Relaxed);
            return;
        };
        let mut found = Vec::new();
        loop {
            let at = self.next.fetch_add(RUN, Ordering::Relaxed);
            if at >= known.len()
                || self.stopped.load(Ordering::Relaxed)
                || (self.stop_at_change && self.any.load(Ordering::Relaxed))
            {
                break;
            }
            let end = (at + RUN).min(known.len());
            for i in at..end {
                let d = known.get(i);
                let now = stat_at(root, &d.path);
                if now
                    != Some(Now {
                        mtime_ns: d.mtime_ns,
                        ctime_ns: d.ctime_ns,
                        ino: d.ino,
                    })
                {
                    found.push((i, now));
                    self.any.store(true, Ordering::Relaxed);
                }
            }
            if !found.is_empty() {
                self.changed
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .append(&mut found);
            }
            self.done.fetch_add(end - at, Ordering::Release);
        }
    }

    /// Tells the threads still checking to stop after their run (the result is not wanted).
    pub fn stop(&self) {
        self.stopped.store(true, Ordering::Relaxed);
    }

    /// What the check of the `n` folders found, once this thread's [`DirCheck::work`] is
    /// done: waits for the runs other threads are still checking (unless the answer is known).
    pub fn finish(&self, n: usize) -> DirChanges {
        let settled = || {
            self.root.is_none()
                || self.stopped.load(Ordering::Relaxed)
                || (self.stop_at_change && self.any.load(Ordering::Relaxed))
                || self.done.load(Ordering::Acquire) >= n
        };
        while !settled() {
            std::thread::yield_now();
        }
        let any = self.any.load(Ordering::Relaxed);
        let checked =
            self.done.load(Ordering::Acquire) >= n && !self.stopped.load(Ordering::Relaxed);
        let mut changed = if self.root.is_none() {
            // The data root cannot be opened: no folder can be seen.
            (0..n).map(|i| (i, None)).collect()
        } else {
            self.changed
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .clone()
        };
        changed.sort_by_key(|(i, _)| *i);
        DirChanges {
            unchanged: !any && checked && n > 0,
            changed,
        }
    }
}

/// Checks the folders `known` under the data root at `root` against their stat then, on this
/// thread and on one more, running `meanwhile` on this thread first (the other thread starts
/// checking at once). With `stop_at_change`, the check stops at the first folder changed: then
/// only [`DirChanges::unchanged`] tells anything.
pub fn check_record_dirs<R>(
    root: &Path,
    known: &(impl KnownDirs + ?Sized),
    stop_at_change: bool,
    meanwhile: impl FnOnce() -> R,
) -> (R, DirChanges) {
    let check = DirCheck::new(root, stop_at_change);
    let r = std::thread::scope(|s| {
        // Without a second thread, this one does it all.
        let _helper = std::thread::Builder::new()
            .name("kehoach-stat".into())
            .spawn_scoped(s, || check.work(known));
        let r = meanwhile();
        check.work(known);
        r
    });
    (r, check.finish(known.len()))
}

/// The record folders now, from the folders `known` and what a full check of them found
/// ([`check_record_dirs`] without stopping): the folders that changed are listed to find the
/// record folders new in them.
pub fn dirs_now<'a, K: KnownDirs + ?Sized>(
    root: &Path,
    known: &'a K,
    changes: &DirChanges,
) -> DirsNow<'a> {
    let has_top = |top: &str| (0..known.len()).any(|i| known.get(i).path == top);
    if changes.changed.is_empty() && has_top("agencies") && has_top("plans") {
        return DirsNow {
            dirs: None,
            changed: vec![],
            gone: false,
        };
    }
    let mut dirs = Vec::with_capacity(known.len());
    let mut changed = Vec::new();
    let mut gone = false;
    let mut next = changes.changed.iter().peekable();
    for i in 0..known.len() {
        let d = known.get(i);
        match next.next_if(|(at, _)| *at == i) {
            None => dirs.push(d),
            Some((_, None)) => gone = true,
            Some((_, Some(now))) => {
                changed.push(d.path.to_string());
                dirs.push(DirStat {
                    path: d.path,
                    mtime_ns: now.mtime_ns,
                    ctime_ns: now.ctime_ns,
                    ino: now.ino,
                });
            }
        }
    }
    // The data root is not a folder of the list: its two folders are looked for each time.
    let mut listed: Vec<String> = changed.clone();
    if ["agencies", "plans"]
        .iter()
        .any(|top| !dirs.iter().any(|d| d.path == *top))
    {
        listed.push(String::new());
    }
    if !listed.is_empty() {
        let seen: std::collections::HashSet<&str> = dirs.iter().map(|d| &*d.path).collect();
        let mut new = Vec::new();
        for rel in listed {
            for name in subdirs(&root.join(&rel)) {
                let child = if rel.is_empty() {
                    name
                } else {
                    format!("{rel}/{name}")
                };
                if is_record_dir(&child) && !seen.contains(child.as_str()) {
                    stat_dirs_under(root, &child, &mut new);
                }
            }
        }
        changed.extend(new.iter().map(|d| d.path.to_string()));
        dirs.extend(new);
    }
    DirsNow {
        dirs: Some(dirs),
        changed,
        gone,
    }
}

/// `stat` of a folder of the data root at `root` and of the record folders under it, pushed
/// to `out`.
fn stat_dirs_under(root: &Path, rel: &str, out: &mut Vec<DirStat<'static>>) {
    use std::os::unix::fs::MetadataExt;
    let path = root.join(rel);
    let Ok(m) = std::fs::symlink_metadata(&path) else {
        return;
    };
    if !m.is_dir() {
        return;
    }
    out.push(DirStat {
        path: Cow::Owned(rel.to_string()),
        mtime_ns: m.mtime() * 1_000_000_000 + m.mtime_nsec(),
        ctime_ns: m.ctime() * 1_000_000_000 + m.ctime_nsec(),
        ino: m.ino(),
    });
    for name in subdirs(&path) {
        let child = format!("{rel}/{name}");
        if is_record_dir(&child) {
            stat_dirs_under(root, &child, out);
        }
    }
}

/// A folder, opened to look up paths relative to it (shorter lookups than from `/`).
fn root_fd(root: &Path) -> Option<OwnedFd> {
    use rustix::fs::{CWD, Mode, OFlags, openat};
    openat(
        CWD,
        root,
        OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .ok()
}

/// The stat of the folder at `rel` under `root`; None when it is gone or not a folder.
fn stat_at(root: &OwnedFd, rel: &str) -> Option<Now> {
    use rustix::fs::{AtFlags, FileType, statat};
    let st = statat(root, rel, AtFlags::SYMLINK_NOFOLLOW).ok()?;
    FileType::from_raw_mode(st.st_mode).is_dir().then_some(Now {
        mtime_ns: st.st_mtime * 1_000_000_000 + st.st_mtime_nsec as i64,
        ctime_ns: st.st_ctime * 1_000_000_000 + st.st_ctime_nsec as i64,
        ino: st.st_ino,
    })
}

/// True for the folders [`Store::stat_record_dirs`] follows: agencies/, plans/, each plan,
/// the folders of a plan, and the periods under its reports/.
fn is_record_dir(rel: &str) -> bool {
    match rel.split('/').collect::<Vec<_>>().as_slice() {
        ["agencies"] | ["plans"] | ["plans", _] | ["plans", _, _] | ["plans", _, "reports", _] => {
            !rel.split('/').any(|part| part.starts_with('.'))
        }
        _ => false,
    }
}

/// The names of the folders directly in `dir` (not hidden; from the listing alone, without a
/// `stat` each); none when it cannot be read.
fn subdirs(dir: &Path) -> Vec<String> {
    match std::fs::read_dir(dir) {
        Ok(rd) => rd
            .filter_map(|e| e.ok())
            .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
            .filter_map(|e| e.file_name().into_string().ok())
            .filter(|name| !name.starts_with('.'))
            .collect(),
        Err(_) => vec![],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known(root: &Path) -> Vec<DirStat<'static>> {
        let mut out = Vec::new();
        for top in ["agencies", "plans"] {
            stat_dirs_under(root, top, &mut out);
        }
        out
    }

    #[test]
    fn a_check_sees_files_added_folders_added_and_folders_gone() {
        let t = tempfile::tempdir().unwrap();
        let root = t.path();
        for d in [
            "agencies",
            "plans/p1/assignments",
            "plans/p1/reports/2025-h1",
            "plans/p2/reports/2025-h1",
            "plans/p1/.hidden",
        ] {
            std::fs::create_dir_all(root.join(d)).unwrap();
        }
        let before = known(root);
        let paths: Vec<&str> = before.iter().map(|d| &*d.path).collect();
        assert!(paths.contains(&"plans/p1/reports/2025-h1"));
        assert!(!paths.iter().any(|p| p.contains(".hidden")));
        // Nothing changed: both ways of checking agree, and nothing is listed.
        let ((), c) = check_record_dirs(root, &before, true, || ());
        assert!(c.unchanged);
        let ((), c) = check_record_dirs(root, &before, false, || ());
        assert!(c.unchanged);
        let now = dirs_now(root, &before, &c);
        assert_eq!((now.dirs, now.changed, now.gone), (None, vec![], false));

        // A file saved by rename, a new period, a folder gone.
        std::thread::sleep(std::time::Duration::from_millis(20));
        std::fs::write(root.join("plans/p1/assignments/.a01.toml.tmp"), "x").unwrap();
        std::fs::rename(
            root.join("plans/p1/assignments/.a01.toml.tmp"),
            root.join("plans/p1/assignments/a01.toml"),
        )
        .unwrap();
        std::fs::create_dir_all(root.join("plans/p1/reports/2025-h2")).unwrap();
        std::fs::remove_dir_all(root.join("plans/p2/reports/2025-h1")).unwrap();
        let ((), c) = check_record_dirs(root, &before, true, || ());
        assert!(!c.unchanged);
        let (n, c) = check_record_dirs(root, &before, false, || 7);
        assert_eq!(n, 7);
        let now = dirs_now(root, &before, &c);
        assert!(now.gone);
        let mut changed = now.changed.clone();
        changed.sort();
        assert_eq!(
            changed,
            [
                "plans/p1/assignments",
                "plans/p1/reports",
                "plans/p1/reports/2025-h2",
                "plans/p2/reports"
            ]
        );
        // The list now is what a walk finds, in the order of the list before.
        let mut walked: Vec<_> = known(root).into_iter().map(|d| d.path).collect();
        let mut listed: Vec<_> = now.dirs.unwrap().iter().map(|d| d.path.clone()).collect();
        walked.sort();
        listed.sort();
        assert_eq!(listed, walked);
        // A data root that cannot be opened is never taken as unchanged.
        let ((), c) = check_record_dirs(&root.join("missing"), &before, true, || ());
        assert!(!c.unchanged);
    }
}
