//! The tokio adapter (feature `tokio`): [`TlsConnector`], [`TlsAcceptor`] and [`TlsStream`].
//!
//! Writes are buffered until `poll_flush` (or 16 KiB), so a small response written in pieces leaves
//! in one record; `poll_shutdown` completes a handshake still in progress, then sends close_notify.
//!
//! 0-RTT: [`TlsConnector::connect_with_early_data`] sends the caller's first bytes as early data
//! when the stored ticket allows it (else, or if the server refuses them, right after the
//! handshake); [`TlsAcceptor::accept_with_early_data`] hands the stream over as soon as the
//! server's flight is out when it accepted early data, so the application can read the early
//! bytes and answer them as 0.5-RTT data before the client's Finished arrives.
//!
//! Fairness: one `poll_read` that finds no plaintext processes at most [`MAX_TLS_READ_PER_POLL`]
//! bytes from the transport (plus one read), then yields, so a peer flooding records that carry no
//! data (KeyUpdate, empty records) cannot hold a runtime thread.

use std::future::poll_fn;
use std::io::{self, Read, Write};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::config::{ClientConfig, ServerConfig};
use crate::conn::{ClientConnection, Connection, ServerConnection};

/// Past this many sealed bytes waiting for the socket, `poll_write` pushes back.
const MAX_BUFFERED_TLS: usize = 1 << 20;
/// After a failed handshake, how much of what the peer already sent is read and dropped so that
/// closing the socket sends FIN, not RST (a reset can destroy our alert before the peer reads it).
const DRAIN_AFTER_ERROR: usize = 256 * 1024;
/// Transport bytes one `poll_read` processes without finding plaintext before it yields to the
/// runtime (it is woken again at once).
pub const MAX_TLS_READ_PER_POLL: usize = 32 * 1024;

/// Connects TLS clients over any `AsyncRead + AsyncWrite` transport.
#[derive(Clone, Debug)]
pub struct TlsConnector {
    config: Arc<ClientConfig>,
}

impl From<Arc<ClientConfig>> for TlsConnector {
    fn from(config: Arc<ClientConfig>) -> Self {
        Self { config }
    }
}

impl TlsConnector {
    /// Runs the client handshake with `server_name` over `io`.
    pub async fn connect<IO>(&self, server_name: &str, io: IO) -> io::Result<TlsStream<IO>>
    where
        IO: AsyncRead + AsyncWrite + Unpin,
    {
        self.connect_with_early_data(server_name, io, &[]).await
    }

    /// As [`TlsConnector::connect`], with `early` as the first bytes to send: 0-RTT early data
    /// when the stored ticket for `server_name` allows it, else (or if the server refuses them)
    /// ordinary data right after the handshake; either way they are sent once. The returned
    /// stream's [`Connection::early_data_offered`] and [`Connection::early_data_accepted`] say
    /// which happened. Early data can be replayed by an attacker: idempotent requests only.
    pub async fn connect_with_early_data<IO>(
        &self,
        server_name: &str,
        io: IO,
        early: &[u8],
    ) -> io::Result<TlsStream<IO>>
    where
        IO: AsyncRead + AsyncWrite + Unpin,
    {
        let conn = ClientConnection::new_with_early_data(self.config.clone(), server_name, early)?
            .into_inner();
        let mut s = TlsStream {
            io,
            conn,
            shutdown_sent: false,
        };
        s.complete_handshake().await?;
        Ok(s)
    }
}

/// Accepts TLS connections over any `AsyncRead + AsyncWrite` transport.
#[derive(Clone, Debug)]
pub struct TlsAcceptor {
    config: Arc<ServerConfig>,
}

impl From<Arc<ServerConfig>> for TlsAcceptor {
    fn from(config: Arc<ServerConfig>) -> Self {
        Self { config }
    }
}

impl TlsAcceptor {
    /// Runs the server handshake over `io`.
    pub async fn accept<IO>(&self, io: IO) -> io::Result<TlsStream<IO>>
    where
        IO: AsyncRead + AsyncWrite + Unpin,
    {
        let mut s = self.start(io)?;
        s.complete_handshake().await?;
        Ok(s)
    }

    /// As [`TlsAcceptor::accept`], but when the server accepts 0-RTT early data the stream comes
    /// back as soon as its flight (through its Finished) is out, with the handshake still in
    /// progress ([`TlsStream::is_handshaking`]). Reading gives the early bytes first
    /// ([`Connection::early_data_len`] counts them) and then drives the rest of the handshake;
    /// what is written goes out at once as 0.5-RTT data (RFC 8446 §4.4.4), before the client is
    /// known to hold the keys: the early bytes may be a replay and the client is not yet
    /// authenticated, so answer only idempotent requests before [`TlsStream::complete_handshake`].
    pub async fn accept_with_early_data<IO>(&self, io: IO) -> io::Result<TlsStream<IO>>
    where
        IO: AsyncRead + AsyncWrite + Unpin,
    {
        let mut s = self.start(io)?;
        poll_fn(|cx| s.poll_handshake_until(cx, true)).await?;
        Ok(s)
    }

    fn start<IO>(&self, io: IO) -> io::Result<TlsStream<IO>> {
        Ok(TlsStream {
            io,
            conn: ServerConnection::new(self.config.clone())?.into_inner(),
            shutdown_sent: false,
        })
    }
}

/// An established TLS connection over `IO`: AsyncRead + AsyncWrite of plaintext.
#[derive(Debug)]
pub struct TlsStream<IO> {
    io: IO,
    conn: Connection,
    shutdown_sent: bool,
}

struct SyncIo<'a, 'b, IO> {
    io: &'a mut IO,
    cx: &'a mut Context<'b>,
}

impl<IO: AsyncRead + Unpin> Read for SyncIo<'_, '_, IO> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut rb = ReadBuf::new(buf);
        match Pin::new(&mut *self.io).poll_read(self.cx, &mut rb) {
            Poll::Ready(Ok(())) => Ok(rb.filled().len()),
            Poll::Ready(Err(e)) => Err(e),
            Poll::Pending => Err(io::ErrorKind::WouldBlock.into()),
        }
    }
}

impl<IO: AsyncWrite + Unpin> Write for SyncIo<'_, '_, IO> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match Pin::new(&mut *self.io).poll_write(self.cx, buf) {
            Poll::Ready(r) => r,
            Poll::Pending => Err(io::ErrorKind::WouldBlock.into()),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn ready<T>(r: io::Result<T>) -> Poll<io::Result<T>> {
    match r {
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => Poll::Pending,
        r => Poll::Ready(r),
    }
}

impl<IO: AsyncRead + AsyncWrite + Unpin> TlsStream<IO> {
    /// The transport and the TLS connection (negotiated suite, group, ALPN, peer certificates, trace).
    pub fn get_ref(&self) -> (&IO, &Connection) {
        (&self.io, &self.conn)
    }
    /// Mutable access to both.
    pub fn get_mut(&mut self) -> (&mut IO, &mut Connection) {
        (&mut self.io, &mut self.conn)
    }
    /// The TLS connection.
    pub fn connection(&self) -> &Connection {
        &self.conn
    }
    /// Gives back the transport and connection.
    pub fn into_inner(self) -> (IO, Connection) {
        (self.io, self.conn)
    }
    /// True until both Finished messages are exchanged (only a stream from
    /// [`TlsAcceptor::accept_with_early_data`] is handed over before that).
    pub fn is_handshaking(&self) -> bool {
        self.conn.is_handshaking()
    }

    /// Drives the handshake to its end without reading plaintext (early data stays readable).
    pub async fn complete_handshake(&mut self) -> io::Result<()> {
        poll_fn(|cx| self.poll_complete_handshake(cx)).await
    }

    /// Poll form of [`TlsStream::complete_handshake`].
    pub fn poll_complete_handshake(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.poll_handshake_until(cx, false)
    }

    fn poll_write_tls(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        ready(self.conn.write_tls(&mut SyncIo {
            io: &mut self.io,
            cx,
        }))
    }

    /// Pushes out records already sealed, as far as the transport takes them without waiting
    /// (full records are sealed at once; the tail waits for poll_flush so small pieces coalesce).
    fn push_sealed(&mut self, cx: &mut Context<'_>) -> io::Result<()> {
        while self.conn.sendable_len() > 0 {
            match self.poll_write_tls(cx) {
                Poll::Ready(Ok(0)) | Poll::Pending => break,
                Poll::Ready(Ok(_)) => {}
                Poll::Ready(Err(e)) => return Err(e),
            }
        }
        Ok(())
    }

    /// Writes every pending TLS byte.
    fn poll_flush_tls(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.conn.wants_write() {
            match self.poll_write_tls(cx) {
                Poll::Ready(Ok(0)) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                Poll::Ready(Ok(_)) => {}
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            }
        }
        Poll::Ready(Ok(()))
    }

    /// Reads once from the transport and processes; on a TLS error the alert goes out and the
    /// connection closes in order.
    fn poll_read_tls(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let n = match ready(self.conn.read_tls(&mut SyncIo {
            io: &mut self.io,
            cx,
        })) {
            Poll::Ready(Ok(n)) => n,
            other => return other,
        };
        if let Err(e) = self.conn.process_new_packets() {
            let _ = self.poll_close_after_error(cx);
            return Poll::Ready(Err(io::Error::new(io::ErrorKind::InvalidData, e)));
        }
        Poll::Ready(Ok(n))
    }

    /// After a fatal TLS error (during the handshake or after): the alert goes out, our write side closes (FIN), and what the peer
    /// already sent is read and dropped (up to [`DRAIN_AFTER_ERROR`]), so that dropping the socket
    /// does not reset the connection. Never waits: each step is tried once.
    fn poll_close_after_error(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let _ = self.poll_flush_tls(cx);
        let _ = Pin::new(&mut self.io).poll_shutdown(cx);
        let mut scratch = [0u8; 4096];
        let mut drained = 0;
        while drained < DRAIN_AFTER_ERROR {
            let mut rb = ReadBuf::new(&mut scratch);
            match Pin::new(&mut self.io).poll_read(cx, &mut rb) {
                Poll::Ready(Ok(())) if !rb.filled().is_empty() => drained += rb.filled().len(),
                _ => break,
            }
        }
        Poll::Ready(())
    }

    /// Runs the handshake (a TLS error closes in order, see
    /// [`TlsStream::poll_close_after_error`]) until it completes, or with `early_ok` until our
    /// flight is out after accepting 0-RTT.
    fn poll_handshake_until(
        &mut self,
        cx: &mut Context<'_>,
        early_ok: bool,
    ) -> Poll<io::Result<()>> {
        loop {
            if self.poll_flush_tls(cx)?.is_pending() {
                return Poll::Pending;
            }
            if !self.conn.is_handshaking() || (early_ok && self.conn.early_data_accepted()) {
                return Pin::new(&mut self.io).poll_flush(cx);
            }
            match self.poll_read_tls(cx)? {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(0) if self.conn.is_handshaking() => {
                    return Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "transport closed during the TLS handshake",
                    )))
                }
                Poll::Ready(_) => {}
            }
        }
    }
}

impl<IO: AsyncRead + AsyncWrite + Unpin> AsyncRead for TlsStream<IO> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        let mut tls_read = 0;
        while tls_read < MAX_TLS_READ_PER_POLL {
            match this.conn.reader().read(buf.initialize_unfilled()) {
                Ok(n) => {
                    buf.advance(n);
                    return Poll::Ready(Ok(()));
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => return Poll::Ready(Err(e)),
            }
            // Answer anything the peer asked for (KeyUpdate) without blocking the read.
            if this.conn.wants_write() {
                let _ = this.poll_flush_tls(cx)?;
            }
            match this.poll_read_tls(cx)? {
                Poll::Pending => return Poll::Pending,
                // EOF: the reader says how the stream ended.
                Poll::Ready(n) => tls_read += n.max(1),
            }
        }
        // Records kept coming without plaintext: let other tasks run, then carry on.
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

impl<IO: AsyncRead + AsyncWrite + Unpin> AsyncWrite for TlsStream<IO> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        if this.conn.sendable_len() >= MAX_BUFFERED_TLS && this.poll_flush_tls(cx)?.is_pending() {
            return Poll::Pending;
        }
        let n = this.conn.writer().write(buf)?;
        this.push_sealed(cx)?;
        Poll::Ready(Ok(n))
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        // All slices go into the same plaintext buffer, so headers and body share a record.
        let this = &mut *self;
        if this.conn.sendable_len() >= MAX_BUFFERED_TLS && this.poll_flush_tls(cx)?.is_pending() {
            return Poll::Pending;
        }
        let mut n = 0;
        for b in bufs {
            n += this.conn.writer().write(b)?;
        }
        this.push_sealed(cx)?;
        Poll::Ready(Ok(n))
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if this.poll_flush_tls(cx)?.is_pending() {
            return Poll::Pending;
        }
        Pin::new(&mut this.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        // Our Finished-side work first (the peer's Finished, tickets), then close_notify.
        if this.conn.is_handshaking()
            && this.conn.error().is_none()
            && this.poll_complete_handshake(cx)?.is_pending()
        {
            return Poll::Pending;
        }
        if !this.shutdown_sent {
            this.conn.send_close_notify();
            this.shutdown_sent = true;
        }
        if this.poll_flush_tls(cx)?.is_pending() {
            return Poll::Pending;
        }
        Pin::new(&mut this.io).poll_shutdown(cx)
    }
}
