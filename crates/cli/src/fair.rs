//! A TCP stream that hands out at most [`READ_CHUNK`] bytes per read and makes its task yield
//! after every [`READ_SLICE`] bytes.
//!
//! The TLS stream's read keeps pulling records off the socket until one carries application data
//! or the socket runs dry, and processes every record of a read at once. A peer streaming records
//! that carry none (a KeyUpdate flood, empty records, CCS) keeps it in that loop: tokio's own
//! budget lets a task make 128 socket reads of up to 16 KiB before it yields, i.e. tens of
//! thousands of records, and with two worker threads two such peers stall every other connection
//! for seconds. And while tasks keep waking themselves, a worker looks at the socket events only
//! every 61 task turns, so a turn must be short too. Small reads and a yield per slice bound the
//! time one connection holds a worker to the cost of a few dozen records.
//!
//! The tokio adapter now caps this itself (`https_handshake::MAX_TLS_READ_PER_POLL`: 32 KiB
//! without plaintext per `poll_read`, then it yields); `serve` keeps these finer slices (2 KiB
//! reads, a yield per 4 KiB), which is what the stress runs measured.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Largest read from the socket (~75 of the smallest records: KeyUpdate, empty). Requests fit
/// in one; a 16 KiB record of an upload takes eight reads, which only uploads pay for.
pub const READ_CHUNK: usize = 2 * 1024;
/// Bytes a connection may read before its task yields to the others.
pub const READ_SLICE: usize = 4 * 1024;

/// `inner` with a read budget per turn on the worker thread.
#[derive(Debug)]
pub struct Fair<S> {
    inner: S,
    /// Bytes read since the task last yielded.
    read: usize,
}

impl<S> Fair<S> {
    pub fn new(inner: S) -> Self {
        Fair { inner, read: 0 }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Fair<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.read >= READ_SLICE {
            // Let the other tasks run; we are polled again right after them.
            self.read = 0;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        let want = buf.remaining().min(READ_CHUNK);
        let mut chunk = ReadBuf::new(buf.initialize_unfilled_to(want));
        let r = Pin::new(&mut self.inner).poll_read(cx, &mut chunk);
        let n = chunk.filled().len();
        match &r {
            Poll::Ready(Ok(())) => {
                buf.advance(n);
                self.read += n;
            }
            // The socket ran dry: the task is about to yield anyway.
            Poll::Pending => self.read = 0,
            Poll::Ready(Err(_)) => {}
        }
        r
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Fair<S> {
    crate::forward::forward_write!(inner);
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;

    #[tokio::test]
    async fn a_long_read_yields_once_per_slice_and_loses_no_byte() {
        let data: Vec<u8> = (0..READ_SLICE * 3 + 100).map(|i| i as u8).collect();
        let mut fair = Fair::new(&data[..]);
        let mut got = Vec::new();
        let mut pendings = 0;
        let mut buf = [0u8; 16_384];
        loop {
            let mut rb = ReadBuf::new(&mut buf);
            let r =
                std::future::poll_fn(|cx| Poll::Ready(Pin::new(&mut fair).poll_read(cx, &mut rb)))
                    .await;
            match r {
                Poll::Pending => pendings += 1,
                Poll::Ready(r) => {
                    r.unwrap();
                    if rb.filled().is_empty() {
                        break;
                    }
                    assert!(rb.filled().len() <= READ_CHUNK);
                    got.extend_from_slice(rb.filled());
                }
            }
        }
        assert_eq!(got, data);
        assert_eq!(pendings, 3);
        // And through the ordinary reader API it is just a stream.
        let mut all = Vec::new();
        Fair::new(&data[..]).read_to_end(&mut all).await.unwrap();
        assert_eq!(all, data);
    }
}
