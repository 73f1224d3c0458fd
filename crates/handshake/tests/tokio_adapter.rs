//! The tokio adapter over real loopback TCP: our client and server, and tokio-free rustls checks
//! of close_notify.
#![cfg(feature = "tokio")]

mod common;

use std::sync::Arc;

use common::*;
use https_handshake::TlsAcceptor;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::test]
async fn connector_and_acceptor_over_tcp() {
    let p = pki();
    let server = serving(&p.ecdsa).with_alpn(&[b"http/1.1"]).build().unwrap();
    let client = trusting(&p.ca)
        .with_alpn(&[b"h2", b"http/1.1"])
        .build()
        .unwrap();
    let (listener, addr, acceptor) = tcp_server(server).await;
    let srv = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let mut tls = acceptor.accept(tcp).await.unwrap();
        assert_eq!(tls.connection().alpn_protocol(), Some(&b"http/1.1"[..]));
        let mut req = vec![0u8; 4];
        tls.read_exact(&mut req).await.unwrap();
        assert_eq!(&req, b"ping");
        let big = vec![7u8; 300_000];
        tls.write_all(b"pong").await.unwrap();
        tls.write_all(&big).await.unwrap();
        tls.flush().await.unwrap();
        tls.shutdown().await.unwrap();
        // The client closes too: EOF after its close_notify.
        let mut rest = Vec::new();
        tls.read_to_end(&mut rest).await.unwrap();
        assert!(rest.is_empty());
    });
    let mut tls = connect_tcp(client, addr).await;
    assert_eq!(tls.connection().alpn_protocol(), Some(&b"http/1.1"[..]));
    assert!(tls.connection().peer_certificates().is_some());
    tls.write_all(b"ping").await.unwrap();
    tls.flush().await.unwrap();
    let mut got = Vec::new();
    tls.read_to_end(&mut got).await.unwrap(); // ends cleanly at the server's close_notify
    assert_eq!(&got[..4], b"pong");
    assert_eq!(got.len(), 4 + 300_000);
    tls.shutdown().await.unwrap();
    srv.await.unwrap();
}

#[tokio::test]
async fn small_writes_coalesce_into_one_record() {
    let p = pki();
    let server = serving(&p.ed25519)
        .with_session_tickets(false) // the raw read below expects the response record first
        .build()
        .unwrap();
    let client = trusting(&p.ca).build().unwrap();
    let (a, b) = tokio::io::duplex(1 << 20);
    let acceptor = TlsAcceptor::from(Arc::new(server));
    let srv = tokio::spawn(async move {
        let mut tls = acceptor.accept(b).await.unwrap();
        // Headers and body written separately, then one flush: one record on the wire.
        tls.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\n")
            .await
            .unwrap();
        tls.write_all(b"hello").await.unwrap();
        tls.flush().await.unwrap();
        tls
    });
    let mut tls = connect(client, a).await;
    let _server_stream = srv.await.unwrap();
    // Read raw bytes under the TLS stream: exactly one application_data record.
    let (io, _) = tls.get_mut();
    let mut raw = vec![0u8; 4096];
    let n = io.read(&mut raw).await.unwrap();
    assert_eq!(raw[0], 23, "application_data record");
    let len = u16::from_be_bytes([raw[3], raw[4]]) as usize;
    assert_eq!(5 + len, n, "one record holds the whole response");
}

#[tokio::test]
async fn vectored_writes_coalesce_too() {
    let p = pki();
    let server = serving(&p.ecdsa).build().unwrap();
    let client = trusting(&p.ca).build().unwrap();
    let (a, b) = tokio::io::duplex(1 << 20);
    let acceptor = TlsAcceptor::from(Arc::new(server));
    let srv = tokio::spawn(async move {
        let mut tls = acceptor.accept(b).await.unwrap();
        let bufs = [
            std::io::IoSlice::new(b"head "),
            std::io::IoSlice::new(b"body"),
        ];
        let n = tls.write_vectored(&bufs).await.unwrap();
        assert_eq!(n, 9);
        tls.flush().await.unwrap();
        tls.shutdown().await.unwrap();
        tls
    });
    let mut tls = connect(client, a).await;
    let mut got = Vec::new();
    tls.read_to_end(&mut got).await.unwrap();
    assert_eq!(got, b"head body");
    drop(srv.await.unwrap());
}
