//! `get --early-data`: the request goes as TLS 1.3 0-RTT early data, written by us (HTTP/1.1,
//! GET or HEAD only: early data can be replayed, so only idempotent requests go that way), and
//! hyper reads the response. hyper still "sends" its own copy of the request head; [`Sent`]
//! swallows it, since ours already went (as 0-RTT, or after the handshake when the ticket did
//! not allow it or the server refused it: the library delivers the bytes exactly once).
//!
//! A server that answers 0-RTT at once (0.5-RTT) sends its session tickets after the response,
//! so after the body [`Tail`] reads on to the server's close_notify (bounded) to store them.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use crate::http::Outgoing;
use crate::target::Target;
use anyhow::Context as _;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{CONNECTION, HOST, USER_AGENT};
use hyper::{Method, Request, Response};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};

/// How long the tail of the connection is read for tickets after the body.
const TAIL_LIMIT: Duration = Duration::from_secs(2);
/// Most bytes read after the body while waiting for tickets.
const TAIL_BYTES: usize = 64 * 1024;

/// Refuses what must not go as early data: anything but GET and HEAD, or a request body.
pub fn check_idempotent(out: &Outgoing) -> Result<(), String> {
    if !(out.method == Method::GET || out.method == Method::HEAD) || !out.body.is_empty() {
        return Err(format!(
            "--early-data sends only GET or HEAD without a body (early data can be replayed), \
             not {}{}",
            out.method,
            if out.body.is_empty() {
                ""
            } else {
                " with a body"
            }
        ));
    }
    Ok(())
}

/// The HTTP/1.1 request head `get` sends: our User-Agent and Host unless given, and
/// `Connection: close`, as `http::send` does.
pub fn request_bytes(out: &Outgoing, target: &Target) -> Vec<u8> {
    let mut head = format!("{} {} HTTP/1.1\r\n", out.method, target.path_and_query()).into_bytes();
    let mut line = |name: &str, value: &[u8]| {
        head.extend_from_slice(name.as_bytes());
        head.extend_from_slice(b": ");
        head.extend_from_slice(value);
        head.extend_from_slice(b"\r\n");
    };
    if !out.headers.contains_key(HOST) {
        line("host", target.authority().as_bytes());
    }
    if !out.headers.contains_key(USER_AGENT) {
        line(
            "user-agent",
            concat!("https-kit/", env!("CARGO_PKG_VERSION")).as_bytes(),
        );
    }
    for (name, value) in &out.headers {
        if name != CONNECTION {
            line(name.as_str(), value.as_bytes());
        }
    }
    line("connection", b"close");
    head.extend_from_slice(b"\r\n");
    head
}

/// The stream under hyper: writes are dropped until hyper's request head (up to its blank line)
/// is through, then pass through. Reads wait for that too: a response already here (0.5-RTT)
/// must not reach hyper before it thinks it sent the request, or it is "unexpected".
pub struct Sent<S> {
    inner: S,
    /// The last bytes of hyper's head seen so far, to spot "\r\n\r\n" across writes.
    tail: [u8; 4],
    swallowing: bool,
    reader: Option<std::task::Waker>,
}

impl<S> Sent<S> {
    fn new(inner: S) -> Self {
        Self {
            inner,
            tail: [0; 4],
            swallowing: true,
            reader: None,
        }
    }
    /// Drops bytes of `buf` up to and including the end of hyper's head; how many it took.
    fn swallow(&mut self, buf: &[u8]) -> usize {
        for (i, b) in buf.iter().enumerate() {
            self.tail = [self.tail[1], self.tail[2], self.tail[3], *b];
            if &self.tail == b"\r\n\r\n" {
                self.swallowing = false;
                if let Some(w) = self.reader.take() {
                    w.wake();
                }
                return i + 1;
            }
        }
        buf.len()
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Sent<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.swallowing {
            self.reader = Some(cx.waker().clone());
            return Poll::Pending;
        }
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Sent<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.swallowing {
            return Poll::Ready(Ok(self.swallow(buf)));
        }
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// A stream hyper hands back.
pub trait Io: AsyncRead + AsyncWrite + Send + Unpin {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin> Io for T {}

/// The rest of the connection after the response, handed back by hyper.
pub type Tail = tokio::sync::oneshot::Receiver<Option<Box<dyn Io>>>;

/// After the response: reads on until `has_ticket` (a 0.5-RTT answer comes before the
/// server's tickets), the server closes, or a bound; then sends our close_notify (a server
/// may forget a session whose connection ended without one, as OpenSSL does).
pub async fn drain(tail: Tail, has_ticket: impl Fn() -> bool) {
    let Ok(Some(mut rest)) = tail.await else {
        return;
    };
    let read = async {
        let mut buf = [0u8; 4096];
        let mut total = 0;
        while total < TAIL_BYTES && !has_ticket() {
            match rest.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => total += n,
            }
        }
    };
    let _ = tokio::time::timeout(TAIL_LIMIT, read).await;
    let _ = tokio::time::timeout(TAIL_LIMIT, rest.shutdown()).await;
}

/// hyper's HTTP/1.1 client over a stream that already carries our request (see [`Sent`]).
pub async fn receive<S>(
    stream: S,
    target: &Target,
    out: &Outgoing,
) -> anyhow::Result<(Response<Incoming>, Tail)>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(Sent::new(stream)))
        .await
        .context("HTTP/1.1 handshake")?;
    let (tx, rx) = tokio::sync::oneshot::channel();
    tokio::spawn(async move {
        let rest = conn
            .without_shutdown()
            .await
            .ok()
            .map(|parts| Box::new(parts.io.into_inner().inner) as Box<dyn Io>);
        let _ = tx.send(rest);
    });
    // hyper's head is dropped by `Sent`; it only needs to know the method (HEAD has no body).
    let req = Request::builder()
        .method(out.method.clone())
        .uri(target.path_and_query())
        .header(HOST, target.authority())
        .body(Full::new(bytes::Bytes::new()))?;
    let response = sender
        .send_request(req)
        .await
        .context("reading the response")?;
    Ok((response, rx))
}
