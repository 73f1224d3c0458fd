//! A small bounded cache of recently served small files, so the common request (an unconditional
//! GET/HEAD of the same small page) costs one `stat` and no trip to the blocking pool.
//!
//! An entry is the answer the root guard and [`SmallFile::read`] produced for one URL path, plus
//! the file's [`Ident`] (device, inode, size, mtime, ctime) taken from the opened file before and
//! after the read. A hit `stat`s the same path again (following symlinks, as the guard does) and
//! is used only if the identity is unchanged; otherwise the entry is dropped and the request takes
//! the full path (guard, open, read). So:
//! - a file changed on disk is served fresh (a write moves mtime, any inode change moves ctime);
//! - a name re-pointed elsewhere (a symlink out of the root, a new file) has another inode, so the
//!   guard runs again and refuses what it refused before;
//! - only bytes read from a file that passed the guard are ever served from here.
//!
//! Races, documented: a change that lands between a hit's `stat` and its response is served on
//! the next request (as with any read that finished just before a write). Timestamps are coarse
//! (a clock tick, or a second on some filesystems), so a file changed less than
//! [`SETTLE`] ago is not cached: a second write in the same tick could otherwise leave the same
//! identity with other bytes (git's "racy clean" problem). If a directory above a cached file is
//! moved out of the root and replaced by a symlink to it, the file's own inode does not change:
//! the cache keeps serving the bytes it read while the file was inside, until the file changes.
//!
//! The `stat` runs on the runtime thread: it is one syscall on a path that was just resolved
//! (its dentries are in the kernel's cache), cheaper than waking a blocking-pool thread.

use crate::body::Body;
use crate::small_file::{Ident, SmallFile};
use hyper::Response;
use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

/// Files changed less than this long ago are served but not cached (see the module notes).
pub const SETTLE: Duration = Duration::from_secs(2);
/// At most this many entries ...
pub const MAX_ENTRIES: usize = 512;
/// ... holding at most this many bytes (bodies, keys and paths).
pub const MAX_BYTES: usize = 8 * 1024 * 1024;

/// One cached answer.
#[derive(Debug)]
pub struct Cached {
    /// What the URL path names under the root (before symlinks are resolved): stat'ed per hit.
    path: PathBuf,
    file: SmallFile,
    ident: Ident,
}

#[derive(Debug)]
struct Entry {
    generation: u64,
    cost: usize,
    cached: Arc<Cached>,
}

#[derive(Debug, Default)]
struct Inner {
    map: HashMap<String, Entry>,
    /// Insertion order for eviction (oldest first); a key whose generation no longer matches
    /// the map's entry is stale and skipped.
    order: VecDeque<(String, u64)>,
    bytes: usize,
    next_generation: u64,
}

/// The cache itself: shared by all connections of one `serve`.
#[derive(Debug)]
pub struct FileCache {
    inner: Mutex<Inner>,
    max_entries: usize,
    max_bytes: usize,
    settle: Duration,
}

impl Default for FileCache {
    fn default() -> Self {
        FileCache::new(MAX_ENTRIES, MAX_BYTES, SETTLE)
    }
}

impl FileCache {
    pub fn new(max_entries: usize, max_bytes: usize, settle: Duration) -> Self {
        FileCache {
            inner: Mutex::new(Inner::default()),
            max_entries,
            max_bytes,
            settle,
        }
    }

    /// The cached answer for `key` if the file it came from is unchanged; a changed or vanished
    /// file drops the entry and returns `None`.
    pub fn get(&self, key: &str) -> Option<Arc<Cached>> {
        let (cached, generation) = {
            let inner = self.inner.lock().ok()?;
            let e = inner.map.get(key)?;
            (e.cached.clone(), e.generation)
        };
        let now = std::fs::metadata(&cached.path).ok().map(|m| Ident::of(&m));
        if now == Some(cached.ident) {
            return Some(cached);
        }
        if let Ok(mut inner) = self.inner.lock() {
            inner.remove_if(key, generation);
        }
        None
    }

    /// Keeps `file` (read for `key`, from `path` under the root) if it is cacheable: a GET read
    /// whose file did not change while read and has been still for [`SETTLE`]. Evicts the oldest
    /// entries to stay within both bounds.
    pub fn insert(&self, key: &str, path: PathBuf, file: SmallFile) {
        let Some(ident) = file.ident.filter(|_| file.has_body()) else {
            return;
        };
        let settled = SystemTime::now()
            .duration_since(ident.last_change())
            .is_ok_and(|age| age >= self.settle);
        let cost = file.held() + key.len() + path.as_os_str().len();
        if !settled || cost > self.max_bytes || self.max_entries == 0 {
            return;
        }
        let Ok(mut inner) = self.inner.lock() else {
            return;
        };
        if let Some(old) = inner.map.remove(key) {
            inner.bytes -= old.cost;
        }
        while inner.map.len() >= self.max_entries || inner.bytes + cost > self.max_bytes {
            let Some((old, generation)) = inner.order.pop_front() else {
                break;
            };
            inner.remove_if(&old, generation);
        }
        let generation = inner.next_generation;
        inner.next_generation += 1;
        inner.bytes += cost;
        inner.order.push_back((key.to_string(), generation));
        let cached = Arc::new(Cached { path, file, ident });
        inner.map.insert(
            key.to_string(),
            Entry {
                generation,
                cost,
                cached,
            },
        );
        // Stale order keys (replaced or dropped entries) must not pile up.
        if inner.order.len() > 2 * self.max_entries.max(16) {
            let Inner { map, order, .. } = &mut *inner;
            order.retain(|(k, g)| map.get(k).is_some_and(|e| e.generation == *g));
        }
    }

    /// (entries, bytes) held now.
    #[cfg(test)]
    pub fn usage(&self) -> (usize, usize) {
        let inner = self.inner.lock().expect("not poisoned");
        (inner.map.len(), inner.bytes)
    }
}

impl Inner {
    fn remove_if(&mut self, key: &str, generation: u64) {
        if self
            .map
            .get(key)
            .is_some_and(|e| e.generation == generation)
        {
            if let Some(e) = self.map.remove(key) {
                self.bytes -= e.cost;
            }
        }
    }
}

impl Cached {
    /// The cached file's response (no body for `head`).
    pub fn response(&self, head: bool) -> Response<Body> {
        self.file.response(head)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    /// What the guard and `SmallFile::read` would produce for `name` under `root`.
    fn read(root: &Path, name: &str) -> SmallFile {
        let path = root.join(name);
        let meta = std::fs::metadata(&path).unwrap();
        SmallFile::read(&path, &meta, false).expect("small")
    }

    fn cache_of(root: &Path, cache: &FileCache, name: &str) {
        cache.insert(&format!("/{name}"), root.join(name), read(root, name));
    }

    #[test]
    fn a_file_changed_on_disk_drops_its_entry() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.txt"), "one").unwrap();
        let cache = FileCache::new(8, 1 << 20, Duration::ZERO);
        cache_of(dir.path(), &cache, "a.txt");
        assert!(cache.get("/a.txt").is_some());
        std::fs::write(dir.path().join("a.txt"), "three").unwrap();
        assert!(cache.get("/a.txt").is_none());
        assert_eq!(cache.usage(), (0, 0));
        // Deleted: no answer either.
        cache_of(dir.path(), &cache, "a.txt");
        std::fs::remove_file(dir.path().join("a.txt")).unwrap();
        assert!(cache.get("/a.txt").is_none());
    }

    #[test]
    fn a_file_replaced_by_a_symlink_out_of_the_root_is_not_answered() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("www");
        std::fs::create_dir(&root).unwrap();
        std::fs::write(root.join("a.txt"), "same").unwrap();
        std::fs::write(dir.path().join("secret"), "same").unwrap();
        let cache = FileCache::new(8, 1 << 20, Duration::ZERO);
        cache_of(&root, &cache, "a.txt");
        std::fs::remove_file(root.join("a.txt")).unwrap();
        std::os::unix::fs::symlink(dir.path().join("secret"), root.join("a.txt")).unwrap();
        assert!(cache.get("/a.txt").is_none());
    }

    #[test]
    fn a_file_changed_within_the_settle_time_is_not_cached() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.txt"), "new").unwrap();
        let cache = FileCache::new(8, 1 << 20, Duration::from_secs(3600));
        cache_of(dir.path(), &cache, "a.txt");
        assert!(cache.get("/a.txt").is_none());
        assert_eq!(cache.usage(), (0, 0));
    }

    #[test]
    fn the_entry_bound_is_reached_and_holds_evicting_the_oldest() {
        let dir = tempfile::tempdir().unwrap();
        let cache = FileCache::new(4, 1 << 20, Duration::ZERO);
        for i in 0..10 {
            let name = format!("{i}.txt");
            std::fs::write(dir.path().join(&name), "x").unwrap();
            cache_of(dir.path(), &cache, &name);
            assert!(cache.usage().0 <= 4);
        }
        assert_eq!(cache.usage().0, 4);
        assert!(cache.get("/0.txt").is_none());
        assert!(cache.get("/9.txt").is_some());
        // Re-inserting the same key many times neither grows the map nor the order queue.
        for _ in 0..100 {
            cache_of(dir.path(), &cache, "9.txt");
        }
        assert_eq!(cache.usage().0, 4);
        assert!(cache.inner.lock().unwrap().order.len() <= 2 * 16);
    }

    #[test]
    fn the_byte_bound_is_reached_and_holds() {
        let dir = tempfile::tempdir().unwrap();
        let body = vec![b'x'; 1000];
        let cache = FileCache::new(100, 3500, Duration::ZERO);
        for i in 0..10 {
            let name = format!("{i}.bin");
            std::fs::write(dir.path().join(&name), &body).unwrap();
            cache_of(dir.path(), &cache, &name);
            assert!(cache.usage().1 <= 3500);
        }
        let (entries, bytes) = cache.usage();
        assert_eq!(entries, 3);
        assert!(bytes > 3000, "{bytes}");
        // A file bigger than the whole budget is served but never cached.
        std::fs::write(dir.path().join("big.bin"), vec![b'x'; 4000]).unwrap();
        cache_of(dir.path(), &cache, "big.bin");
        assert!(cache.get("/big.bin").is_none());
        assert_eq!(cache.usage().0, 3);
    }

    #[test]
    fn head_answers_are_not_cached() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.txt");
        std::fs::write(&path, "abc").unwrap();
        let meta = std::fs::metadata(&path).unwrap();
        let cache = FileCache::new(8, 1 << 20, Duration::ZERO);
        let head = SmallFile::read(&path, &meta, true).unwrap();
        cache.insert("/a.txt", path, head);
        assert_eq!(cache.usage(), (0, 0));
    }
}
