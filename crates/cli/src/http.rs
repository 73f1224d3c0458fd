//! HTTP on top of any TLS stream: one request for `get` (HTTP/1.1, or HTTP/2 when ALPN chose h2).
//!
//! Nothing here knows about TLS: it takes a stream that is already secured.

use crate::target::Target;
use anyhow::Context;
use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{HeaderMap, HeaderValue, CONNECTION, HOST, USER_AGENT};
use hyper::{Method, Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::io::{AsyncRead, AsyncWrite};

/// What `get` sends.
#[derive(Clone, Debug)]
pub struct Outgoing {
    pub method: Method,
    /// The user's `-H` headers (they win over our defaults).
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// Sends `out` to `target` over a secured stream and returns the response head; the body is
/// read by the caller, as it arrives.
pub async fn send<S>(
    stream: S,
    target: &Target,
    out: &Outgoing,
    h2: bool,
) -> anyhow::Result<Response<Incoming>>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let io = TokioIo::new(stream);
    let mut headers = out.headers.clone();
    if !headers.contains_key(USER_AGENT) {
        headers.insert(
            USER_AGENT,
            HeaderValue::from_static(concat!("https-kit/", env!("CARGO_PKG_VERSION"))),
        );
    }
    let body = Full::new(out.body.clone());
    if h2 {
        // HTTP/2 carries the authority in :authority and has no connection-level headers.
        for name in [HOST, CONNECTION] {
            headers.remove(name);
        }
        let uri = format!("https://{}{}", target.authority(), target.path_and_query());
        let mut req = Request::builder()
            .method(out.method.clone())
            .uri(uri)
            .body(body)?;
        *req.headers_mut() = headers;
        let (mut sender, conn) = hyper::client::conn::http2::handshake(TokioExecutor::new(), io)
            .await
            .context("HTTP/2 handshake")?;
        tokio::spawn(conn);
        sender
            .send_request(req)
            .await
            .context("sending the request")
    } else {
        if !headers.contains_key(HOST) {
            headers.insert(HOST, HeaderValue::from_str(target.authority())?);
        }
        // One request per connection: say so, so the server closes after the response.
        headers.insert(CONNECTION, HeaderValue::from_static("close"));
        let mut req = Request::builder()
            .method(out.method.clone())
            .uri(target.path_and_query())
            .body(body)?;
        *req.headers_mut() = headers;
        let (mut sender, conn) = hyper::client::conn::http1::handshake(io)
            .await
            .context("HTTP/1.1 handshake")?;
        tokio::spawn(conn);
        sender
            .send_request(req)
            .await
            .context("sending the request")
    }
}
