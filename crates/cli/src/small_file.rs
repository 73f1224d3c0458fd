//! The fast path for the common request: an unconditional GET or HEAD of a small regular file,
//! answered from one trip to the blocking pool (the root guard's check, then open and read),
//! where `ServeDir` takes three (open, metadata, read); a file read this way may then be kept in
//! the file cache. The headers are the ones `ServeDir` sends
//! (Content-Type by `mime_guess`, Last-Modified, Accept-Ranges, Content-Length); anything with
//! Range or a precondition goes to `ServeDir`, which implements those.

use crate::body::{full, Body};
use bytes::Bytes;
use hyper::header::{self, HeaderValue};
use hyper::{Method, Request, Response};
use std::fs::Metadata;
use std::io::Read;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Files up to this size are read whole (`ServeDir` reads in chunks of the same size).
pub const SMALL_FILE: u64 = 64 * 1024;

/// Headers that need `ServeDir`'s Range and precondition logic.
const NEEDS_SERVE_DIR: [header::HeaderName; 6] = [
    header::RANGE,
    header::IF_RANGE,
    header::IF_MATCH,
    header::IF_NONE_MATCH,
    header::IF_MODIFIED_SINCE,
    header::IF_UNMODIFIED_SINCE,
];

/// `Some(is_head)` when the fast path may answer `req`.
pub fn small_file_eligible<B>(req: &Request<B>) -> Option<bool> {
    let head = match *req.method() {
        Method::GET => false,
        Method::HEAD => true,
        _ => return None,
    };
    if NEEDS_SERVE_DIR
        .iter()
        .any(|h| req.headers().contains_key(h))
    {
        return None;
    }
    Some(head)
}

/// Which file, in which state: any write, truncation, rename, link or chmod changes one of these
/// (mtime on a write, ctime on every inode change, the inode when the name points elsewhere).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ident {
    dev: u64,
    ino: u64,
    size: u64,
    mtime: (i64, i64),
    ctime: (i64, i64),
}

impl Ident {
    pub fn of(meta: &Metadata) -> Ident {
        Ident {
            dev: meta.dev(),
            ino: meta.ino(),
            size: meta.size(),
            mtime: (meta.mtime(), meta.mtime_nsec()),
            ctime: (meta.ctime(), meta.ctime_nsec()),
        }
    }

    /// The later of mtime and ctime (the epoch if either is before it).
    pub fn last_change(&self) -> SystemTime {
        let at = |(s, ns): (i64, i64)| {
            let s = u64::try_from(s).unwrap_or(0);
            let ns = u32::try_from(ns).unwrap_or(0).min(999_999_999);
            UNIX_EPOCH + Duration::new(s, ns)
        };
        at(self.mtime).max(at(self.ctime))
    }
}

/// A small file read in full (no body for HEAD), with its headers ready.
#[derive(Debug, PartialEq)]
pub struct SmallFile {
    body: Option<Bytes>,
    len: u64,
    last_modified: Option<HeaderValue>,
    mime: &'static str,
    /// The opened file's identity, the same before and after the read (`None`: it changed while
    /// being read, so the bytes may be torn: serve them once, never cache them).
    pub ident: Option<Ident>,
}

impl SmallFile {
    /// Blocking: `None` when the file is not small (or grew past the limit while being read), or
    /// when the file opened is not the one the guard checked (`guarded`: replaced in between).
    pub fn read(path: &Path, guarded: &Metadata, head: bool) -> Option<SmallFile> {
        if guarded.len() > SMALL_FILE {
            return None;
        }
        let mime = mime_guess::from_path(path)
            .first_raw()
            .unwrap_or("application/octet-stream");
        let last_modified = guarded
            .modified()
            .ok()
            .and_then(|t| HeaderValue::from_str(&httpdate::fmt_http_date(t)).ok());
        if head {
            return Some(SmallFile {
                body: None,
                len: guarded.len(),
                last_modified,
                mime,
                ident: None,
            });
        }
        let mut file = std::fs::File::open(path).ok()?;
        let before = Ident::of(&file.metadata().ok()?);
        if (before.dev, before.ino) != (guarded.dev(), guarded.ino()) {
            return None;
        }
        let mut bytes = Vec::with_capacity(before.size.min(SMALL_FILE) as usize);
        (&mut file)
            .take(SMALL_FILE + 1)
            .read_to_end(&mut bytes)
            .ok()?;
        if bytes.len() as u64 > SMALL_FILE {
            return None;
        }
        let after = file.metadata().ok().map(|m| Ident::of(&m));
        let stable = after == Some(before) && before.size == bytes.len() as u64;
        Some(SmallFile {
            len: bytes.len() as u64,
            body: Some(Bytes::from(bytes)),
            last_modified,
            mime,
            ident: stable.then_some(before),
        })
    }

    /// Bytes held (for the cache's budget).
    pub fn held(&self) -> usize {
        self.body.as_ref().map_or(0, Bytes::len)
    }

    /// Whether this answer carries the body (a GET read), so it can also answer HEAD.
    pub fn has_body(&self) -> bool {
        self.body.is_some()
    }

    /// The response (no body for `head`); cheap: the body is shared, the headers are ready.
    pub fn response(&self, head: bool) -> Response<Body> {
        let body = match (&self.body, head) {
            (Some(b), false) => b.clone(),
            _ => Bytes::new(),
        };
        let mut r = Response::new(full(body));
        let h = r.headers_mut();
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static(self.mime));
        h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
        if let Some(v) = &self.last_modified {
            h.insert(header::LAST_MODIFIED, v.clone());
        }
        h.insert(header::CONTENT_LENGTH, HeaderValue::from(self.len));
        h.insert(header::SERVER, HeaderValue::from_static("https-kit"));
        r
    }
}
