//! HTTP on top of any TLS stream: one request for `get`.
//!
//! Nothing here knows about TLS: both halves take a stream that is already secured, so the same
//! code runs over our `TlsStream` (and, in the benchmark baseline, over tokio-rustls).

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::header::HOST;
use hyper::{Request, StatusCode, Uri};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::io::{AsyncRead, AsyncWrite};

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
