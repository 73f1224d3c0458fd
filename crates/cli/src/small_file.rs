//! The fast path for the common request: an unconditional GET or HEAD of a small regular file,
//! answered from one trip to the blocking pool (the root guard's check, then open and read),
//! where `ServeDir` takes three (open, metadata, read). The headers are the ones `ServeDir` sends
//! (Content-Type by `mime_guess`, Last-Modified, Accept-Ranges, Content-Length); anything with
//! Range or a precondition goes to `ServeDir`, which implements those.

use crate::site::Body;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::header::{self, HeaderValue};
use hyper::{Method, Request, Response};
use std::io::Read;
use std::path::Path;
use std::time::SystemTime;

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

/// A small file read in full (no body for HEAD), with what its headers need.
#[derive(Debug, PartialEq)]
pub struct SmallFile {
    body: Option<Bytes>,
    len: u64,
    modified: Option<SystemTime>,
    mime: &'static str,
}

impl SmallFile {
    /// Blocking: `None` when the file is not small (or grew past the limit while being read).
    pub fn read(path: &Path, meta: &std::fs::Metadata, head: bool) -> Option<SmallFile> {
        if meta.len() > SMALL_FILE {
            return None;
        }
        let mime = mime_guess::from_path(path)
            .first_raw()
            .unwrap_or("application/octet-stream");
        let modified = meta.modified().ok();
        if head {
            return Some(SmallFile {
                body: None,
                len: meta.len(),
                modified,
                mime,
            });
        }
        let mut bytes = Vec::with_capacity(meta.len() as usize);
        std::fs::File::open(path)
            .ok()?
            .take(SMALL_FILE + 1)
            .read_to_end(&mut bytes)
            .ok()?;
        if bytes.len() as u64 > SMALL_FILE {
            return None;
        }
        Some(SmallFile {
            len: bytes.len() as u64,
            body: Some(Bytes::from(bytes)),
            modified,
            mime,
        })
    }

    pub fn response(self) -> Response<Body> {
        let body = Full::new(self.body.unwrap_or_default())
            .map_err(|never| match never {})
            .boxed_unsync();
        let mut r = Response::new(body);
        let h = r.headers_mut();
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static(self.mime));
        h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
        if let Some(t) = self.modified {
            if let Ok(v) = HeaderValue::from_str(&httpdate::fmt_http_date(t)) {
                h.insert(header::LAST_MODIFIED, v);
            }
        }
        h.insert(header::CONTENT_LENGTH, HeaderValue::from(self.len));
        h.insert(header::SERVER, HeaderValue::from_static("https-kit"));
        r
    }
}
