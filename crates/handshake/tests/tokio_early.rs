//! The tokio adapter's 0-RTT entry points (`connect_with_early_data`, `accept_with_early_data`,
//! `complete_handshake`, a shutdown during the handshake) and its fairness cap: a peer flooding
//! KeyUpdates cannot keep one `poll_read` busy.
#![cfg(feature = "tokio")]

mod common;

use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use common::*;
use https_handshake::{ClientConfig, ServerConfig, TlsAcceptor, TlsConnector};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};

const REQUEST: &[u8] = b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n";
const RESPONSE: &[u8] = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok";

fn configs(max_early: u32) -> (Arc<ServerConfig>, Arc<ClientConfig>) {
    let p = pki();
    let server = ServerConfig::builder()
        .with_single_cert(p.ecdsa.chain.clone(), &p.ecdsa.key_pkcs8)
        .unwrap()
        .with_max_early_data_size(max_early)
        .build()
        .unwrap();
    let client = ClientConfig::builder()
        .with_root_certificates(anchors(&p.ca))
        .build()
        .unwrap();
    (Arc::new(server), Arc::new(client))
}

/// One exchange: the client sends REQUEST (as 0-RTT when it can), the server answers with
/// RESPONSE as soon as it has read it and shuts down; returns (server saw the request while
/// still handshaking, client's early_data_accepted, what the client read to EOF).
async fn exchange(s: &Arc<ServerConfig>, c: &Arc<ClientConfig>) -> (bool, bool, Vec<u8>) {
    let (a, b) = tokio::io::duplex(1 << 20);
    let acceptor = TlsAcceptor::from(s.clone());
    let server = tokio::spawn(async move {
        let mut tls = acceptor.accept_with_early_data(a).await.unwrap();
        let mut req = vec![0u8; REQUEST.len()];
        tls.read_exact(&mut req).await.unwrap();
        assert_eq!(req, REQUEST);
        let early = tls.is_handshaking();
        tls.write_all(RESPONSE).await.unwrap();
        tls.flush().await.unwrap();
        // Completes the handshake (tickets go out) before close_notify.
        tls.shutdown().await.unwrap();
        assert!(!tls.is_handshaking());
        early
    });
    let connector = TlsConnector::from(c.clone());
    let mut tls = connector
        .connect_with_early_data("localhost", b, REQUEST)
        .await
        .unwrap();
    let accepted = tls.connection().early_data_accepted();
    let mut got = Vec::new();
    tls.read_to_end(&mut got).await.unwrap();
    (server.await.unwrap(), accepted, got)
}

#[tokio::test]
async fn early_data_through_the_adapter_is_answered_before_the_handshake_ends() {
    let (s, c) = configs(16384);
    let (early, accepted, got) = exchange(&s, &c).await;
    assert!(!early && !accepted, "no ticket yet: a full handshake");
    assert_eq!(got, RESPONSE);
    assert!(
        c.session_store().unwrap().has_ticket("localhost"),
        "tickets came before the close_notify"
    );
    let (early, accepted, got) = exchange(&s, &c).await;
    assert!(accepted, "0-RTT accepted");
    assert!(
        early,
        "the server read the request and answered before the client's Finished"
    );
    assert_eq!(got, RESPONSE);
    assert!(c.session_store().unwrap().has_ticket("localhost"));
}

#[tokio::test]
async fn without_early_data_accept_with_early_data_returns_a_finished_handshake() {
    let (s, c) = configs(0);
    for _ in 0..2 {
        let (early, accepted, got) = exchange(&s, &c).await;
        assert!(!early && !accepted);
        assert_eq!(got, RESPONSE, "the request went after the handshake, once");
    }
}

/// The server side's transport, counting what is read from it.
struct Counting<IO> {
    inner: IO,
    read: Arc<AtomicUsize>,
}

impl<IO: AsyncRead + Unpin> AsyncRead for Counting<IO> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        self.read
            .fetch_add(buf.filled().len() - before, Ordering::Relaxed);
        r
    }
}

impl<IO: AsyncWrite + Unpin> AsyncWrite for Counting<IO> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

struct Woken(AtomicUsize);
impl Wake for Woken {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

#[tokio::test]
async fn a_keyupdate_flood_does_not_hold_one_poll_read() {
    let (s, c) = configs(0);
    let (a, b) = tokio::io::duplex(4 << 20);
    let read = Arc::new(AtomicUsize::new(0));
    let counting = Counting {
        inner: a,
        read: read.clone(),
    };
    let (acceptor, connector) = (TlsAcceptor::from(s), TlsConnector::from(c));
    let (server, client) =
        tokio::join!(acceptor.accept(counting), connector.connect("localhost", b));
    let (mut server, mut client) = (server.unwrap(), client.unwrap());
    // Tickets first, so that only the flood is left to read.
    server.flush().await.unwrap();
    for _ in 0..10_000 {
        client.get_mut().1.send_key_update(false).unwrap();
    }
    client.flush().await.unwrap();
    let before = read.load(Ordering::Relaxed);
    let woken = Arc::new(Woken(AtomicUsize::new(0)));
    let waker = Waker::from(woken.clone());
    let mut cx = Context::from_waker(&waker);
    let mut buf = [0u8; 64];
    let mut rb = ReadBuf::new(&mut buf);
    let r = Pin::new(&mut server).poll_read(&mut cx, &mut rb);
    assert!(r.is_pending(), "no plaintext in a KeyUpdate flood");
    let consumed = read.load(Ordering::Relaxed) - before;
    assert!(consumed > 0);
    assert!(
        consumed <= https_handshake::MAX_TLS_READ_PER_POLL + 17 * 1024,
        "one poll_read processed {consumed} bytes of a ~270 KB flood"
    );
    assert!(
        woken.0.load(Ordering::Relaxed) >= 1,
        "it asked to run again"
    );
    // And the data after the flood still arrives.
    client.write_all(b"after").await.unwrap();
    client.flush().await.unwrap();
    let mut got = [0u8; 5];
    server.read_exact(&mut got).await.unwrap();
    assert_eq!(&got, b"after");
}
