//! What `serve` answers: static files through tower-http's `ServeDir` (streamed bodies, Range,
//! conditional GET, HEAD without a read, Content-Type by `mime_guess`), guarded so that only
//! regular files inside the root are ever opened, plus an optional directory listing.
//!
//! The guard runs before `ServeDir` opens anything: the path is decoded the way `ServeDir` decodes
//! it, canonicalized (symlinks resolved) and must stay under the canonical root and name a regular
//! file or a directory; FIFOs, devices and sockets are "not found". The served tree is trusted not
//! to be swapped under us between the check and the open (a local race only its owner can run).

use bytes::Bytes;
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full};
use hyper::header::{HeaderValue, ALLOW, CONTENT_LENGTH, CONTENT_TYPE, LOCATION, SERVER};
use hyper::{Method, Request, Response, StatusCode, Uri};
use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, CONTROLS};
use std::io;
use std::path::{Component, Path, PathBuf};
use std::time::Instant;
use tower_http::services::ServeDir;

use crate::access_log::{AccessLog, Peer};
use crate::small_file::{small_file_eligible, SmallFile};

/// Every response body `serve` sends.
pub type Body = UnsyncBoxBody<Bytes, io::Error>;

/// A directory listing shows at most this many entries (then says how many were left out).
const MAX_LISTED: usize = 10_000;

/// What `serve` serves: a directory, or a built-in page when no directory is given.
#[derive(Debug)]
pub enum Site {
    /// Canonical root, `ServeDir`s over it (one for files, which need no directory check, one
    /// for directories: index.html or the slash redirect), and whether to list directories.
    Dir {
        root: PathBuf,
        files: ServeDir,
        dirs: ServeDir,
        list: bool,
    },
    Builtin,
}

impl Site {
    /// Serves `dir` (must exist); the root is canonicalized once, here.
    pub fn dir(dir: &Path, list: bool) -> io::Result<Site> {
        let root = std::fs::canonicalize(dir)?;
        let files = ServeDir::new(&root).append_index_html_on_directories(false);
        let dirs = ServeDir::new(&root).append_index_html_on_directories(true);
        Ok(Site::Dir {
            root,
            files,
            dirs,
            list,
        })
    }
}

/// Shared per-server state.
#[derive(Debug)]
pub struct FileService {
    pub site: Site,
    pub log: AccessLog,
}

const BUILTIN_PAGE: &str =
    "<!doctype html>\n<title>https-kit</title>\n<h1>Hello over TLS 1.3</h1>\n\
<p>Served by <code>https-kit serve</code>: the certificate was issued by a local CA, the keys were \
agreed with ECDHE, and this page travelled in AEAD-protected records.</p>\n";

impl FileService {
    /// Answers one request and writes its access-log line.
    pub async fn handle<B: Send + 'static>(&self, req: Request<B>, peer: &Peer) -> Response<Body> {
        let started = Instant::now();
        let method = req.method().clone();
        let target = req.uri().path().to_string();
        let response = match method {
            Method::GET | Method::HEAD => self.respond(req).await,
            _ => {
                let mut r = text(
                    StatusCode::METHOD_NOT_ALLOWED,
                    "only GET and HEAD are served\n",
                );
                r.headers_mut()
                    .insert(ALLOW, HeaderValue::from_static("GET, HEAD"));
                r
            }
        };
        self.log.line(peer, &method, &target, &response, started);
        response
    }

    async fn respond<B: Send + 'static>(&self, req: Request<B>) -> Response<Body> {
        let (root, files, dirs, list) = match &self.site {
            Site::Builtin => return builtin(req.uri().path(), req.method()),
            Site::Dir {
                root,
                files,
                dirs,
                list,
            } => (root, files, dirs, *list),
        };
        // `//sub` must not become `Location: //sub/` (another host, for a browser): collapse
        // repeated slashes, and hand ServeDir a path-only URI so its redirects stay on this site.
        let path = collapse_slashes(req.uri().path());
        let Some(relative) = decoded_relative(&path) else {
            return text(StatusCode::NOT_FOUND, "404 not found\n");
        };
        let uri = match req.uri().query() {
            Some(q) => format!("{path}?{q}"),
            None => path.clone(),
        };
        let Ok(uri) = uri.parse::<Uri>() else {
            return text(StatusCode::BAD_REQUEST, "400 bad path\n");
        };
        let root_owned = root.clone();
        let want = Want {
            index: path.ends_with('/'),
            list,
            small: small_file_eligible(&req),
        };
        let checked =
            tokio::task::spawn_blocking(move || check(&root_owned, &relative, &want)).await;
        let serve_dir = match checked {
            Ok(Checked::Small(small)) => return small.response(),
            Ok(Checked::File) => files,
            Ok(Checked::Dir) => dirs,
            Ok(Checked::List(dir)) => return listing(&dir, &path, req.method()).await,
            Ok(Checked::NotFound) | Err(_) => {
                return text(StatusCode::NOT_FOUND, "404 not found\n")
            }
        };
        let (mut parts, body) = req.into_parts();
        parts.uri = uri;
        match serve_dir
            .clone()
            .try_call(Request::from_parts(parts, body))
            .await
        {
            Ok(r) => {
                let mut r = r.map(BodyExt::boxed_unsync);
                // ServeDir's directory redirect is 307; the move is permanent (and was 301 before).
                if r.status() == StatusCode::TEMPORARY_REDIRECT
                    && r.headers().contains_key(LOCATION)
                {
                    *r.status_mut() = StatusCode::MOVED_PERMANENTLY;
                }
                r.headers_mut()
                    .insert(SERVER, HeaderValue::from_static("https-kit"));
                r
            }
            Err(_) => text(StatusCode::INTERNAL_SERVER_ERROR, "500 read error\n"),
        }
    }
}

/// `a//b///c` → `a/b/c`.
fn collapse_slashes(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for c in path.chars() {
        if !(c == '/' && out.ends_with('/')) {
            out.push(c);
        }
    }
    if out.is_empty() {
        out.push('/');
    }
    out
}

/// The URL path as a relative file path, decoded exactly as `ServeDir` decodes it; `None` for
/// anything that is not plain names (`..`, a root or drive prefix, invalid UTF-8, NUL).
pub fn decoded_relative(url_path: &str) -> Option<PathBuf> {
    let decoded = percent_decode_str(url_path.trim_start_matches('/'))
        .decode_utf8()
        .ok()?;
    if decoded.contains('\0') {
        return None;
    }
    let mut out = PathBuf::new();
    for component in Path::new(&*decoded).components() {
        match component {
            Component::Normal(name) => out.push(name),
            Component::CurDir => {}
            Component::ParentDir | Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    Some(out)
}

/// What the request allows the guard to do.
#[derive(Debug)]
struct Want {
    /// The path ends in `/`: a directory answers with its index.html.
    index: bool,
    /// `--list`.
    list: bool,
    /// A plain GET (Some(false)) or HEAD (Some(true)) that small_file may answer.
    small: Option<bool>,
}

/// The guard's answer for one request path.
#[derive(Debug, PartialEq)]
enum Checked {
    /// A small regular file, already read (same trip to the blocking pool as the check).
    Small(SmallFile),
    /// A regular file inside the root: ServeDir may open it.
    File,
    /// A directory inside the root (with a regular index.html when the path ends in `/`).
    Dir,
    /// A directory without index.html, and listings are on.
    List(PathBuf),
    NotFound,
}

/// Blocking: resolves symlinks and admits only regular files and directories under `root`.
fn check(root: &Path, relative: &Path, want: &Want) -> Checked {
    let inside = |p: &Path| -> Option<(PathBuf, std::fs::Metadata)> {
        let canonical = std::fs::canonicalize(p).ok()?;
        if !canonical.starts_with(root) {
            return None;
        }
        let meta = std::fs::metadata(&canonical).ok()?;
        Some((canonical, meta))
    };
    let Some((canonical, meta)) = inside(&root.join(relative)) else {
        return Checked::NotFound;
    };
    if meta.is_file() {
        return match want.small {
            Some(head) => SmallFile::read(&canonical, &meta, head)
                .map(Checked::Small)
                .unwrap_or(Checked::File),
            None => Checked::File,
        };
    }
    if !meta.is_dir() {
        return Checked::NotFound; // FIFO, device, socket: never opened
    }
    if !want.index {
        return Checked::Dir; // ServeDir redirects to the slash form
    }
    let index = canonical.join("index.html");
    match inside(&index) {
        Some((_, m)) if m.is_file() => Checked::Dir,
        Some(_) => Checked::NotFound,
        None if want.list && std::fs::symlink_metadata(&index).is_err() => Checked::List(canonical),
        None => Checked::NotFound,
    }
}

fn builtin(path: &str, method: &Method) -> Response<Body> {
    if path != "/" && path != "/index.html" {
        return text(StatusCode::NOT_FOUND, "404 not found\n");
    }
    html(Bytes::from_static(BUILTIN_PAGE.as_bytes()), method)
}

/// Characters escaped in a listing's hrefs: controls, space, and what would end or change a path
/// segment or an attribute.
const HREF: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'\'')
    .add(b'<')
    .add(b'>')
    .add(b'`')
    .add(b'#')
    .add(b'?')
    .add(b'%')
    .add(b'/')
    .add(b'\\');

/// An HTML page naming the entries of `dir` (names escaped, links percent-encoded).
async fn listing(dir: &Path, url_path: &str, method: &Method) -> Response<Body> {
    let dir = dir.to_path_buf();
    let entries = tokio::task::spawn_blocking(move || read_entries(&dir)).await;
    let Ok(Ok((entries, total))) = entries else {
        return text(StatusCode::NOT_FOUND, "404 not found\n");
    };
    let title = escape_html(url_path);
    let mut page = format!(
        "<!doctype html>\n<title>Index of {title}</title>\n<h1>Index of {title}</h1>\n<ul>\n"
    );
    if url_path != "/" {
        page.push_str("<li><a href=\"../\">../</a></li>\n");
    }
    for (name, is_dir) in &entries {
        let slash = if *is_dir { "/" } else { "" };
        page.push_str(&format!(
            "<li><a href=\"{}{slash}\">{}{slash}</a></li>\n",
            utf8_percent_encode(name, HREF),
            escape_html(name)
        ));
    }
    page.push_str("</ul>\n");
    if total > entries.len() {
        page.push_str(&format!(
            "<p>{} more entries not shown.</p>\n",
            total - entries.len()
        ));
    }
    html(Bytes::from(page), method)
}

/// Blocking: up to [`MAX_LISTED`] entry names (sorted) and the total count.
fn read_entries(dir: &Path) -> io::Result<(Vec<(String, bool)>, usize)> {
    let mut out = Vec::new();
    let mut total = 0usize;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        total += 1;
        if out.len() < MAX_LISTED {
            let is_dir = entry.file_type().map(|t| t.is_dir()).unwrap_or(false);
            out.push((entry.file_name().to_string_lossy().into_owned(), is_dir));
        }
    }
    out.sort();
    Ok((out, total))
}

/// Text safe inside HTML elements and quoted attributes.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

fn html(page: Bytes, method: &Method) -> Response<Body> {
    let len = page.len();
    let body = if method == Method::HEAD {
        Bytes::new()
    } else {
        page
    };
    let mut r = Response::new(full(body));
    let h = r.headers_mut();
    h.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(CONTENT_LENGTH, HeaderValue::from(len));
    h.insert(SERVER, HeaderValue::from_static("https-kit"));
    r
}

fn full(bytes: Bytes) -> Body {
    Full::new(bytes)
        .map_err(|never| match never {})
        .boxed_unsync()
}

fn text(status: StatusCode, body: &'static str) -> Response<Body> {
    let mut r = Response::new(full(Bytes::from_static(body.as_bytes())));
    *r.status_mut() = status;
    r.headers_mut()
        .insert(CONTENT_LENGTH, HeaderValue::from(body.len()));
    r.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r.headers_mut()
        .insert(SERVER, HeaderValue::from_static("https-kit"));
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_cannot_escape_the_root() {
        assert_eq!(decoded_relative("/a/b.txt"), Some(PathBuf::from("a/b.txt")));
        assert_eq!(decoded_relative("/"), Some(PathBuf::new()));
        assert_eq!(decoded_relative("/../etc/passwd"), None);
        assert_eq!(decoded_relative("/a/%2e%2e/%2e%2e/etc"), None);
        // An encoded slash decodes to a separator, as in ServeDir: still under the root.
        assert_eq!(decoded_relative("/a/%2f/etc"), Some(PathBuf::from("a/etc")));
        assert_eq!(decoded_relative("/a%00b"), None);
        assert_eq!(decoded_relative("/bad%ff"), None);
        assert_eq!(
            decoded_relative("/with%20space.txt"),
            Some(PathBuf::from("with space.txt"))
        );
    }

    #[test]
    fn repeated_slashes_collapse_so_redirects_stay_on_the_site() {
        assert_eq!(collapse_slashes("//sub"), "/sub");
        assert_eq!(collapse_slashes("/a///b/"), "/a/b/");
        assert_eq!(collapse_slashes(""), "/");
    }

    #[test]
    fn symlinks_out_of_the_root_and_fifos_are_not_found() {
        let dir = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        std::fs::write(root.join("a.txt"), "a").unwrap();
        std::fs::create_dir(root.join("empty")).unwrap();
        std::os::unix::fs::symlink("/etc/hostname", root.join("out")).unwrap();
        std::os::unix::fs::symlink("a.txt", root.join("in")).unwrap();
        let ok = std::process::Command::new("mkfifo")
            .arg(root.join("fifo"))
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        let c = |p: &str, index, list| {
            let want = Want {
                index,
                list,
                small: None,
            };
            check(&root, Path::new(p), &want)
        };
        assert_eq!(c("a.txt", false, false), Checked::File);
        assert_eq!(c("in", false, false), Checked::File);
        assert_eq!(c("", true, false), Checked::NotFound); // no index.html at the root here
        assert_eq!(c("out", false, false), Checked::NotFound);
        assert_eq!(c("missing", false, false), Checked::NotFound);
        assert_eq!(c("empty", true, false), Checked::NotFound);
        assert_eq!(c("empty", true, true), Checked::List(root.join("empty")));
        if ok {
            assert_eq!(c("fifo", false, false), Checked::NotFound);
        }
    }

    #[test]
    fn html_escaping_covers_markup_and_quotes() {
        assert_eq!(
            escape_html("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }
}
