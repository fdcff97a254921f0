//! What a hit shows of its record: its title and text, read again from the file the index was
//! made from (the index stores neither: see `IndexedFiles`), and kept for the next searches.
//!
//! Successive searches, a keystroke apart as the user types, mostly find the same records: the
//! last records read are kept by path and blob id (so an entry can never be stale), about 500
//! of them, in two generations: a record is found in the newer or the older one (and moved to
//! the newer); when the newer is full, the older is dropped and the newer takes its place.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use git2::Oid;

use super::document::RecordDoc;
use crate::store::tree::IndexedFiles;

/// A record's title and text, as the index saw them.
#[derive(Debug, PartialEq)]
pub(super) struct Shown {
    pub title: String,
    pub text: String,
}

/// Records kept in a generation.
const GENERATION: usize = 256;

type Key = (String, Oid);

#[derive(Default)]
struct Generations {
    newer: HashMap<Key, Arc<Shown>>,
    older: HashMap<Key, Arc<Shown>>,
}

/// The records an open index read last, to show its hits.
#[derive(Default)]
pub(super) struct ShownCache {
    kept: Mutex<Generations>,
}

impl ShownCache {
    fn get(&self, key: &Key) -> Option<Arc<Shown>> {
        let mut g = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(s) = g.newer.get(key) {
            return Some(Arc::clone(s));
        }
        let s = g.older.remove(key)?;
        g.put(key.clone(), Arc::clone(&s));
        Some(s)
    }

    fn put(&self, key: Key, shown: Arc<Shown>) {
        self.kept
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .put(key, shown);
    }

    /// Records kept, for tests.
    #[cfg(test)]
    fn len(&self) -> usize {
        let g = self.kept.lock().unwrap();
        g.newer.len() + g.older.len()
    }
}

impl Generations {
    fn put(&mut self, key: Key, shown: Arc<Shown>) {
        if self.newer.len() >= GENERATION {
            self.older = std::mem::take(&mut self.newer);
        }
        self.newer.insert(key, shown);
    }
}

/// The title and text of the record at `path` (relative to the data root) as indexed from the
/// blob `blob`; None when its file is gone (or names no record).
pub(super) fn shown(
    files: &IndexedFiles,
    cache: &ShownCache,
    path: &str,
    blob: Oid,
) -> Option<Arc<Shown>> {
    let key = (path.to_string(), blob);
    if let Some(s) = cache.get(&key) {
        return Some(s);
    }
    let content = files.read(path, blob)?;
    let r = RecordDoc::from_file(path, &content.bytes)?;
    let s = Arc::new(Shown {
        title: r.title,
        text: r.text,
    });
    // The file as it is now, not as indexed, is not kept under the blob's id.
    if content.indexed {
        cache.put(key, Arc::clone(&s));
    }
    Some(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(n: usize) -> (Key, Arc<Shown>) {
        let path = format!("agencies/a{n}.toml");
        let shown = Arc::new(Shown {
            title: format!("Sở {n}"),
            text: String::new(),
        });
        let blob = Oid::hash_object(git2::ObjectType::Blob, path.as_bytes()).unwrap();
        ((path, blob), shown)
    }

    #[test]
    fn the_records_used_last_are_kept_and_no_more_than_two_generations() {
        let cache = ShownCache::default();
        for n in 0..GENERATION * 5 {
            let (key, shown) = record(n);
            cache.put(key, shown);
            // One record used at every step stays.
            assert_eq!(cache.get(&record(0).0).as_deref(), Some(&*record(0).1));
        }
        assert!(cache.len() <= 2 * GENERATION, "{}", cache.len());
        // The last generation's records are there; the first ones but the one used are gone.
        let last = GENERATION * 5 - 1;
        assert_eq!(
            cache.get(&record(last).0).as_deref(),
            Some(&*record(last).1)
        );
        assert!(cache.get(&record(1).0).is_none());
        // The same path with another blob is another record.
        let (path, _) = record(0).0;
        assert!(cache.get(&(path, Oid::ZERO_SHA1)).is_none());
    }
}
