//! Half-close through the tokio adapter (RFC 8446 §6.1): a read EOF caused by the peer's
//! close_notify must not stop our writes; only our own close_notify ends our direction.
#![cfg(feature = "tokio")]

mod common;

use common::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::test]
async fn response_after_the_clients_close_notify_is_delivered() {
    let p = pki();
    let server = serving(&p.ecdsa).build().unwrap();
    let client = trusting(&p.ca).build().unwrap();
    let (listener, addr, acceptor) = tcp_server(server).await;
    let srv = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let mut tls = acceptor.accept(tcp).await.unwrap();
        // Like `printf 'GET / ...' | gnutls-cli`: the request, then close_notify at once.
        let mut req = Vec::new();
        tls.read_to_end(&mut req).await.unwrap();
        assert_eq!(req, b"GET / HTTP/1.0\r\n\r\n");
        // Still writable after the EOF: the whole response, then our close_notify.
        tls.write_all(&vec![b'r'; 200_000]).await.unwrap();
        tls.flush().await.unwrap();
        tls.shutdown().await.unwrap();
    });
    let mut tls = connect_tcp(client, addr).await;
    tls.write_all(b"GET / HTTP/1.0\r\n\r\n").await.unwrap();
    tls.shutdown().await.unwrap(); // close_notify (and the TCP write side)
    let mut got = Vec::new();
    tls.read_to_end(&mut got).await.unwrap(); // ends at the server's close_notify
    assert_eq!(got.len(), 200_000);
    srv.await.unwrap();
}
