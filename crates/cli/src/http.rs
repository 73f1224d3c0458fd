//! HTTP on top of any TLS stream: a static file service for `serve` and one request for `get`.
//!
//! Nothing here knows about TLS: both halves take a stream that is already secured, so the same
//! code runs over our `TlsStream` (and, in the benchmark baseline, over tokio-rustls).

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::{HeaderValue, CONTENT_TYPE, HOST, LOCATION, SERVER};
use hyper::{Method, Request, Response, StatusCode, Uri};
use hyper_util::rt::{TokioExecutor, TokioIo};
use std::net::SocketAddr;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;
use tokio::io::{AsyncRead, AsyncWrite};

/// What `serve` serves: a directory, or a built-in page when no directory is given.
#[derive(Clone, Debug)]
pub enum Site {
    Dir(PathBuf),
    Builtin,
}

/// Shared per-server state.
#[derive(Debug)]
pub struct FileService {
    pub site: Site,
    /// Log one line per request on stderr.
    pub log: bool,
}

const BUILTIN_PAGE: &str =
    "<!doctype html>\n<title>https-kit</title>\n<h1>Hello over TLS 1.3</h1>\n\
<p>Served by <code>https-kit serve</code>: the certificate was issued by a local CA, the keys were \
agreed with ECDHE, and this page travelled in AEAD-protected records.</p>\n";

/// Serves HTTP/1.1 or HTTP/2 (by ALPN) on one secured connection until the peer closes it.
pub async fn serve_connection<S>(
    stream: S,
    peer: SocketAddr,
    h2: bool,
    service: Arc<FileService>,
) -> Result<(), hyper::Error>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let io = TokioIo::new(stream);
    let svc = hyper::service::service_fn(move |req| {
        let service = service.clone();
        async move { Ok::<_, std::convert::Infallible>(service.handle(req, peer, h2).await) }
    });
    if h2 {
        hyper::server::conn::http2::Builder::new(TokioExecutor::new())
            .serve_connection(io, svc)
            .await
    } else {
        hyper::server::conn::http1::Builder::new()
            .keep_alive(true)
            .serve_connection(io, svc)
            .await
    }
}

impl FileService {
    async fn handle(
        &self,
        req: Request<Incoming>,
        peer: SocketAddr,
        h2: bool,
    ) -> Response<Full<Bytes>> {
        let started = Instant::now();
        let method = req.method().clone();
        let path = req.uri().path().to_string();
        let response = match method {
            Method::GET | Method::HEAD => self.respond(&path).await,
            _ => text(
                StatusCode::METHOD_NOT_ALLOWED,
                "only GET and HEAD are served\n",
            ),
        };
        let response = if method == Method::HEAD {
            let (parts, _) = response.into_parts();
            Response::from_parts(parts, Full::new(Bytes::new()))
        } else {
            response
        };
        if self.log {
            let proto = if h2 { "HTTP/2" } else { "HTTP/1.1" };
            eprintln!(
                "{peer} \"{method} {path} {proto}\" {} {} {:.1}ms",
                response.status().as_u16(),
                hyper::body::Body::size_hint(response.body())
                    .exact()
                    .unwrap_or(0),
                started.elapsed().as_secs_f64() * 1e3
            );
        }
        response
    }

    async fn respond(&self, url_path: &str) -> Response<Full<Bytes>> {
        let root = match &self.site {
            Site::Builtin => {
                return if url_path == "/" || url_path == "/index.html" {
                    file_response(Bytes::from_static(BUILTIN_PAGE.as_bytes()), "index.html")
                } else {
                    text(StatusCode::NOT_FOUND, "404 not found\n")
                };
            }
            Site::Dir(root) => root,
        };
        let Some(relative) = safe_relative_path(url_path) else {
            return text(StatusCode::BAD_REQUEST, "400 bad path\n");
        };
        let full = root.join(&relative);
        let wants_dir_slash = !url_path.ends_with('/');
        // One trip to the blocking pool per request (stat and read together), not one per call.
        let found = tokio::task::spawn_blocking(move || lookup(full, wants_dir_slash)).await;
        match found {
            Ok(Found::File(bytes, name)) => file_response(Bytes::from(bytes), &name),
            Ok(Found::DirWithoutSlash) => {
                // Relative links in an index page need the trailing slash.
                let mut r = text(StatusCode::MOVED_PERMANENTLY, "moved\n");
                if let Ok(v) = HeaderValue::from_str(&format!("{url_path}/")) {
                    r.headers_mut().insert(LOCATION, v);
                }
                r
            }
            Ok(Found::Nothing) | Err(_) => text(StatusCode::NOT_FOUND, "404 not found\n"),
        }
    }
}

/// What a URL path names on disk.
enum Found {
    File(Vec<u8>, String),
    DirWithoutSlash,
    Nothing,
}

/// Blocking: a directory answers with its index.html; anything unreadable is not found. The read
/// comes first because files are the common case: only a failed read pays for a stat.
fn lookup(mut full: PathBuf, wants_dir_slash: bool) -> Found {
    if let Ok(bytes) = std::fs::read(&full) {
        return Found::File(bytes, full.to_string_lossy().into_owned());
    }
    match std::fs::metadata(&full) {
        Ok(meta) if meta.is_dir() => {
            if wants_dir_slash {
                return Found::DirWithoutSlash;
            }
            full.push("index.html");
            match std::fs::read(&full) {
                Ok(bytes) => Found::File(bytes, full.to_string_lossy().into_owned()),
                Err(_) => Found::Nothing,
            }
        }
        _ => Found::Nothing,
    }
}

/// Maps a URL path to a path under the served directory, refusing `..`, absolute parts and
/// percent-encoded separators (no escape from the root).
pub fn safe_relative_path(url_path: &str) -> Option<PathBuf> {
    let decoded = percent_decode(url_path)?;
    let mut out = PathBuf::new();
    for part in decoded.split('/') {
        if part.is_empty() || part == "." {
            continue;
        }
        if part == ".." || part.contains('\\') || part.contains('\0') {
            return None;
        }
        out.push(part);
    }
    // Belt and braces: every component must be a plain name.
    if out.components().all(|c| matches!(c, Component::Normal(_))) {
        Some(out)
    } else {
        None
    }
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The Content-Type for a file name, by extension.
pub fn content_type(name: &str) -> &'static str {
    let ext = Path::new(name)
        .extension()
        .and_then(|e| e.to_str())
        .map(|e| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "json" => "application/json",
        "txt" | "md" => "text/plain; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "ico" => "image/x-icon",
        "wasm" => "application/wasm",
        "pdf" => "application/pdf",
        "pem" | "crt" => "application/x-pem-file",
        _ => "application/octet-stream",
    }
}

fn file_response(body: Bytes, name: &str) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(body));
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type(name)));
    r.headers_mut()
        .insert(SERVER, HeaderValue::from_static("https-kit"));
    r
}

fn text(status: StatusCode, body: &'static str) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    *r.status_mut() = status;
    r.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r.headers_mut()
        .insert(SERVER, HeaderValue::from_static("https-kit"));
    r
}

/// The answer to one GET.
#[derive(Debug)]
pub struct Fetched {
    pub status: StatusCode,
    pub version: hyper::Version,
    pub headers: hyper::HeaderMap,
    pub body: Bytes,
}

/// Sends one GET for `uri` over a secured stream (HTTP/2 when ALPN chose h2) and reads the whole body.
pub async fn fetch<S>(stream: S, uri: &Uri, h2: bool) -> anyhow::Result<Fetched>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    use anyhow::Context;
    let io = TokioIo::new(stream);
    let authority = uri
        .authority()
        .map(|a| a.as_str().to_string())
        .context("the URL has no host")?;
    let path = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    let response = if h2 {
        let (mut sender, conn) = hyper::client::conn::http2::handshake(TokioExecutor::new(), io)
            .await
            .context("HTTP/2 handshake")?;
        tokio::spawn(conn);
        let req = Request::get(uri.clone())
            .header(
                "user-agent",
                concat!("https-kit/", env!("CARGO_PKG_VERSION")),
            )
            .body(Full::new(Bytes::new()))?;
        sender
            .send_request(req)
            .await
            .context("sending the request")?
    } else {
        let (mut sender, conn) = hyper::client::conn::http1::handshake(io)
            .await
            .context("HTTP/1.1 handshake")?;
        tokio::spawn(conn);
        let req = Request::get(path)
            .header(HOST, authority)
            .header(
                "user-agent",
                concat!("https-kit/", env!("CARGO_PKG_VERSION")),
            )
            .header("connection", "close")
            .body(Full::new(Bytes::new()))?;
        sender
            .send_request(req)
            .await
            .context("sending the request")?
    };
    let status = response.status();
    let version = response.version();
    let headers = response.headers().clone();
    let body = response
        .into_body()
        .collect()
        .await
        .context("reading the response body")?
        .to_bytes();
    Ok(Fetched {
        status,
        version,
        headers,
        body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_cannot_escape_the_root() {
        assert_eq!(
            safe_relative_path("/a/b.txt"),
            Some(PathBuf::from("a/b.txt"))
        );
        assert_eq!(safe_relative_path("/"), Some(PathBuf::new()));
        assert_eq!(safe_relative_path("/../etc/passwd"), None);
        assert_eq!(safe_relative_path("/a/%2e%2e/%2e%2e/etc"), None);
        assert_eq!(safe_relative_path("/a%5c..%5cb"), None);
        assert_eq!(safe_relative_path("/bad%zz"), None);
        assert_eq!(
            safe_relative_path("/with%20space.txt"),
            Some(PathBuf::from("with space.txt"))
        );
    }

    #[test]
    fn content_types_follow_the_extension() {
        assert_eq!(content_type("x/index.HTML"), "text/html; charset=utf-8");
        assert_eq!(content_type("a.png"), "image/png");
        assert_eq!(content_type("noext"), "application/octet-stream");
    }
}
