//! `serve --early-data`: which requests are answered from 0-RTT data before the handshake ends.
//!
//! A connection whose early data the library accepted comes back from
//! `TlsAcceptor::accept_with_early_data` with the handshake still running. [`prepare`] reads the
//! early bytes: if they hold one complete GET or HEAD head without a body, it is handed to hyper
//! at once and its response leaves as 0.5-RTT data, right after our Finished (RFC 8446 §4.4.4),
//! so 0-RTT saves the client a round trip. Anything else (another method, a body, an incomplete
//! head, HTTP/2) waits for the client's Finished. Whatever followed that first head is released
//! only after the handshake ([`Gate`]), so a pipelined POST in the early data is never answered
//! early. Early data can be a replay: at most a GET/HEAD answered twice (ARCHITECTURE.md).

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use https_handshake::TlsStream;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, ReadBuf};

/// The TLS stream under hyper, with bytes already read in front: `now` is given at once, `held`
/// only once the handshake is complete.
pub struct Gate<IO> {
    tls: TlsStream<IO>,
    now: Vec<u8>,
    held: Vec<u8>,
    at: usize,
}

impl<IO> Gate<IO> {
    /// A stream whose handshake is over, with nothing read yet.
    pub fn plain(tls: TlsStream<IO>) -> Self {
        Self {
            tls,
            now: Vec::new(),
            held: Vec::new(),
            at: 0,
        }
    }
    /// The TLS connection.
    pub fn tls(&self) -> &TlsStream<IO> {
        &self.tls
    }
}

/// Where a request head ends ("\r\n\r\n"), if it is all there.
fn head_end(buf: &[u8]) -> Option<usize> {
    buf.windows(4).position(|w| w == b"\r\n\r\n").map(|i| i + 4)
}

/// True for a GET or HEAD head that announces no body.
fn idempotent_without_body(head: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(head) else {
        return false;
    };
    let mut lines = text.split("\r\n");
    let first = lines.next().unwrap_or("");
    if !(first.starts_with("GET ") || first.starts_with("HEAD ")) {
        return false;
    }
    !lines.any(|l| {
        let name = l.split(':').next().unwrap_or("").trim();
        name.eq_ignore_ascii_case("content-length")
            || name.eq_ignore_ascii_case("transfer-encoding")
    })
}

/// Reads the early data of a connection still handshaking and decides (see the module docs);
/// true in the second value if the first request is answered before the handshake completes.
/// The early bytes are bounded by the server's max_early_data_size.
pub async fn prepare<IO>(mut tls: TlsStream<IO>) -> io::Result<(Gate<IO>, bool)>
where
    IO: AsyncRead + AsyncWrite + Unpin,
{
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    // While handshaking, every byte read is early data; the loop ends with the handshake.
    while tls.is_handshaking() && head_end(&buf).is_none() {
        let n = tls.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    if tls.is_handshaking() {
        if let Some(end) = head_end(&buf).filter(|&e| idempotent_without_body(&buf[..e])) {
            let held = buf.split_off(end);
            let gate = Gate {
                tls,
                now: buf,
                held,
                at: 0,
            };
            return Ok((gate, true));
        }
        tls.complete_handshake().await?;
    }
    let gate = Gate {
        tls,
        now: buf,
        held: Vec::new(),
        at: 0,
    };
    Ok((gate, false))
}

impl<IO: AsyncRead + AsyncWrite + Unpin> AsyncRead for Gate<IO> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if this.at == this.now.len() && this.tls.is_handshaking() {
            if let Poll::Ready(r) = this.tls.poll_complete_handshake(cx) {
                r?;
            } else {
                return Poll::Pending;
            }
        }
        if this.at == this.now.len() && !this.held.is_empty() {
            this.now = std::mem::take(&mut this.held);
            this.at = 0;
        }
        if this.at < this.now.len() {
            let n = buf.remaining().min(this.now.len() - this.at);
            buf.put_slice(&this.now[this.at..this.at + n]);
            this.at += n;
            if this.at == this.now.len() {
                this.now = Vec::new();
                this.at = 0;
            }
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut this.tls).poll_read(cx, buf)
    }
}

impl<IO: AsyncRead + AsyncWrite + Unpin> AsyncWrite for Gate<IO> {
    crate::forward::forward_write!(tls);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_get_or_head_without_a_body_goes_early() {
        assert!(idempotent_without_body(
            b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"
        ));
        assert!(idempotent_without_body(b"HEAD /x HTTP/1.1\r\n\r\n"));
        assert!(!idempotent_without_body(b"POST / HTTP/1.1\r\n\r\n"));
        assert!(!idempotent_without_body(
            b"GET / HTTP/1.1\r\nContent-Length: 3\r\n\r\n"
        ));
        assert!(!idempotent_without_body(
            b"GET / HTTP/1.1\r\ntransfer-encoding: chunked\r\n\r\n"
        ));
        assert!(!idempotent_without_body(b"PRI * HTTP/2.0\r\n\r\n"));
        assert_eq!(head_end(b"GET / HTTP/1.1\r\n\r\nPOST"), Some(18));
        assert_eq!(head_end(b"GET / HTTP/1.1\r\n"), None);
    }
}
