//! One HTTP connection of `serve`, on a stream that is already secured: hyper's HTTP/1.1 or HTTP/2
//! server, bounded in time and size.
//!
//! hyper bounds the header block (HTTP/1.1 buffer, HTTP/2 header list) and the HTTP/2 streams and
//! pings. The timeouts are ours, kept by a watchdog beside the connection future, because hyper's
//! own header timer also runs while a keep-alive connection waits for its next request (so it
//! could not be told apart from the idle timeout):
//! - header timeout (HTTP/1.1): from the first byte of a request to its complete header block;
//! - idle timeout: no request in flight (from the end of the last response body) for that long,
//!   or a request in flight whose response has not moved a byte for that long (a peer that
//!   stopped reading would otherwise hold the connection, and its slot, for ever).
//!
//! Nothing here knows about TLS, so the same code could run over any secured stream.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use hyper::body::{Body, Frame, SizeHint};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::watch;

use crate::slots::Slot;

/// Per-connection limits (from `serve`'s flags).
#[derive(Clone, Debug)]
pub struct Limits {
    /// HTTP/1.1: first byte of a request to the end of its headers.
    pub header_timeout: Duration,
    /// No request in flight for this long closes the connection (HTTP/2: GOAWAY first); a
    /// response that moves no byte for this long is dropped.
    pub idle_timeout: Duration,
    /// Largest request header block (HTTP/1.1 read buffer, HTTP/2 header list), at least 8192.
    pub max_header_bytes: usize,
    /// HTTP/2: PING this often when the connection is quiet, and close it when a PING stays
    /// unanswered for as long again.
    pub h2_keepalive: Option<Duration>,
    /// HTTP/2: concurrent streams per connection.
    pub h2_max_streams: u32,
}

/// What the service, the stream wrapper and the watchdog share about one connection.
#[derive(Debug)]
pub struct Activity {
    epoch: Instant,
    /// Requests whose response body has not been dropped yet.
    in_flight: AtomicUsize,
    /// Milliseconds since `epoch` when the last request finished (or the connection started).
    idle_since: AtomicU64,
    /// 1 + milliseconds since `epoch` of the first byte of a request not yet dispatched; 0 = none.
    request_started: AtomicU64,
    /// Milliseconds since `epoch` of the last write that moved bytes (or the last dispatch).
    last_write: AtomicU64,
    /// Only HTTP/1.1 tracks partial requests: on HTTP/2 control frames arrive at any time.
    track_headers: bool,
    /// The connection's --max-connections slot: busy while a request is in flight.
    slot: Arc<Slot>,
}

impl Activity {
    fn new(track_headers: bool, slot: Arc<Slot>) -> Self {
        Activity {
            epoch: Instant::now(),
            in_flight: AtomicUsize::new(0),
            idle_since: AtomicU64::new(0),
            request_started: AtomicU64::new(0),
            last_write: AtomicU64::new(0),
            track_headers,
            slot,
        }
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// A request's headers are complete: the returned guard holds it in flight until dropped.
    pub fn begin(self: &Arc<Self>) -> InFlight {
        self.request_started.store(0, Ordering::Relaxed);
        self.last_write.store(self.now_ms(), Ordering::Relaxed);
        if self.in_flight.fetch_add(1, Ordering::Relaxed) == 0 {
            self.slot.busy();
        }
        InFlight(self.clone())
    }

    fn saw_bytes(&self) {
        if self.track_headers
            && self.in_flight.load(Ordering::Relaxed) == 0
            && self.request_started.load(Ordering::Relaxed) == 0
        {
            self.request_started
                .store(self.now_ms().saturating_add(1), Ordering::Relaxed);
        }
    }

    fn wrote(&self) {
        self.last_write.store(self.now_ms(), Ordering::Relaxed);
    }

    fn verdict(&self, limits: &Limits) -> Verdict {
        let now = self.now_ms();
        if self.in_flight.load(Ordering::Relaxed) > 0 {
            let still = now.saturating_sub(self.last_write.load(Ordering::Relaxed));
            return if still >= millis(limits.idle_timeout) {
                Verdict::Stalled
            } else {
                Verdict::Busy
            };
        }
        let started = self.request_started.load(Ordering::Relaxed);
        if started > 0 && now.saturating_sub(started - 1) >= millis(limits.header_timeout) {
            return Verdict::HeaderTimeout;
        }
        if now.saturating_sub(self.idle_since.load(Ordering::Relaxed))
            >= millis(limits.idle_timeout)
        {
            return Verdict::Idle;
        }
        Verdict::Busy
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

enum Verdict {
    Busy,
    Idle,
    HeaderTimeout,
    Stalled,
}

/// Keeps one request in flight (see [`Activity::begin`]); travels inside the response body.
#[derive(Debug)]
pub struct InFlight(Arc<Activity>);

impl Drop for InFlight {
    fn drop(&mut self) {
        let a = &self.0;
        a.idle_since.store(a.now_ms(), Ordering::Relaxed);
        if a.in_flight.fetch_sub(1, Ordering::Relaxed) == 1 {
            a.slot.quiet();
        }
    }
}

/// A response body that keeps its request in flight until hyper has sent (or dropped) it.
pub struct Tracked<B> {
    body: B,
    _guard: InFlight,
}

impl<B> Tracked<B> {
    pub fn new(body: B, guard: InFlight) -> Self {
        Tracked {
            body,
            _guard: guard,
        }
    }
}

impl<B: Body<Data = Bytes> + Unpin> Body for Tracked<B> {
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, B::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }
    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }
    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

/// The secured stream, telling [`Activity`] when request bytes arrive.
struct Watched<S> {
    inner: S,
    activity: Arc<Activity>,
}

impl<S: AsyncRead + Unpin> AsyncRead for Watched<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.activity.saw_bytes();
        }
        r
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Watched<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.wrote();
        }
        r
    }
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.wrote();
        }
        r
    }
    crate::forward::forward_write!(@rest inner);
}

/// How a connection ended, beyond hyper's own result.
#[derive(Debug)]
pub enum Ended {
    /// The connection finished (peer closed, or we closed it when idle or shutting down).
    Done(Result<(), hyper::Error>),
    /// Half a request header block sat there past the header timeout: dropped.
    HeaderTimeout,
    /// A response made no progress for the idle timeout (the peer stopped reading): dropped.
    Stalled,
    /// At --max-connections, a new connection needed the slot of this quiet one: dropped.
    Shed,
}

/// hyper's HTTP/1.1 and HTTP/2 server connections, driven the same way.
trait ServerConn: Future<Output = Result<(), hyper::Error>> {
    fn shut_down_gracefully(self: Pin<&mut Self>);
}

impl<I, S, B> ServerConn for hyper::server::conn::http1::Connection<I, S>
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin,
    S: hyper::service::HttpService<hyper::body::Incoming, ResBody = B>,
    S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    B: Body + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    fn shut_down_gracefully(self: Pin<&mut Self>) {
        self.graceful_shutdown();
    }
}

impl<I, S, B> ServerConn for hyper::server::conn::http2::Connection<I, S, TokioExecutor>
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin,
    S: hyper::service::HttpService<hyper::body::Incoming, ResBody = B>,
    S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    TokioExecutor: hyper::rt::bounds::Http2ServerConnExec<S::Future, B>,
{
    fn shut_down_gracefully(self: Pin<&mut Self>) {
        self.graceful_shutdown();
    }
}

/// Serves HTTP/1.1 or HTTP/2 (by ALPN) on one secured connection until the peer closes it, it
/// idles out, or `shutdown` turns true (then in-flight responses finish first).
///
/// `make_service` receives the connection's [`Activity`]; the service must call
/// [`Activity::begin`] per request and put the guard in the response body ([`Tracked`]).
pub async fn serve_connection<St, F, Svc, B>(
    stream: St,
    h2: bool,
    limits: &Limits,
    shutdown: watch::Receiver<bool>,
    slot: Arc<Slot>,
    make_service: F,
) -> Ended
where
    St: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    F: FnOnce(Arc<Activity>) -> Svc,
    Svc: hyper::service::Service<
            hyper::Request<hyper::body::Incoming>,
            Response = hyper::Response<B>,
            Error = std::convert::Infallible,
        > + Send
        + 'static,
    Svc::Future: Send + 'static,
    B: Body<Data = Bytes> + Send + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let activity = Arc::new(Activity::new(!h2, slot));
    let io = TokioIo::new(Watched {
        inner: stream,
        activity: activity.clone(),
    });
    let service = make_service(activity.clone());
    if h2 {
        let mut b = hyper::server::conn::http2::Builder::new(TokioExecutor::new());
        b.timer(TokioTimer::new())
            .keep_alive_interval(limits.h2_keepalive)
            // A PING unanswered for one more interval: the peer is gone.
            .keep_alive_timeout(limits.h2_keepalive.unwrap_or(Duration::from_secs(20)))
            .max_concurrent_streams(limits.h2_max_streams)
            .max_header_list_size(u32::try_from(limits.max_header_bytes).unwrap_or(u32::MAX));
        drive(b.serve_connection(io, service), &activity, limits, shutdown).await
    } else {
        let mut b = hyper::server::conn::http1::Builder::new();
        b.timer(TokioTimer::new())
            .keep_alive(true)
            // A client may send its request and close its side (TLS close_notify): still answer.
            .half_close(true)
            .header_read_timeout(None)
            .max_buf_size(limits.max_header_bytes.max(8192));
        drive(b.serve_connection(io, service), &activity, limits, shutdown).await
    }
}

/// Polls `conn` with the watchdog and the shutdown signal beside it.
async fn drive<C: ServerConn>(
    conn: C,
    activity: &Activity,
    limits: &Limits,
    mut shutdown: watch::Receiver<bool>,
) -> Ended {
    let mut conn = std::pin::pin!(conn);
    // Check a few times per shortest timeout: a deadline is kept to within a quarter of it.
    let tick = (limits.header_timeout.min(limits.idle_timeout) / 4)
        .clamp(Duration::from_millis(50), Duration::from_secs(5));
    let mut closing = false;
    let mut shutdown_open = true;
    loop {
        tokio::select! {
            r = conn.as_mut() => return Ended::Done(r),
            // Quiet (no request in flight) when picked: go now. A request that began since then
            // finishes first.
            _ = activity.slot.shed_requested() => {
                if activity.in_flight.load(Ordering::Relaxed) == 0 {
                    return Ended::Shed;
                }
                conn.as_mut().shut_down_gracefully();
                closing = true;
            }
            changed = shutdown.changed(), if shutdown_open => {
                if changed.is_err() || *shutdown.borrow() {
                    shutdown_open = false;
                    conn.as_mut().shut_down_gracefully();
                    closing = true;
                }
            }
            _ = tokio::time::sleep(tick) => match activity.verdict(limits) {
                Verdict::Busy => {}
                Verdict::HeaderTimeout => return Ended::HeaderTimeout,
                Verdict::Stalled => return Ended::Stalled,
                // Already asked to close and still idle a tick later: the peer is not listening.
                Verdict::Idle if closing => return Ended::Done(Ok(())),
                Verdict::Idle => {
                    conn.as_mut().shut_down_gracefully();
                    closing = true;
                }
            },
        }
    }
}
