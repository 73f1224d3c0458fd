//! Over real loopback TCP through the tokio adapter: a refused handshake ends with our alert on
//! the wire and an orderly close, never a reset that could destroy the alert unread.
#![cfg(feature = "tokio")]

mod common;

use std::io::{Read, Write};
use std::sync::Arc;

use common::*;
use https_handshake::{ServerConfig, TlsAcceptor, MAX_CLIENT_HELLO};

/// A ClientHello over our size limit, in 16 KiB records (sent by a plain TCP client).
fn oversize_hello() -> Vec<u8> {
    let mut msg = vec![1];
    let len = MAX_CLIENT_HELLO + 1000;
    msg.extend_from_slice(&u32::try_from(len).unwrap().to_be_bytes()[1..]);
    msg.extend(vec![0; len]);
    msg.chunks(16384)
        .flat_map(|c| {
            let mut r = vec![22, 3, 1];
            r.extend_from_slice(&u16::try_from(c.len()).unwrap().to_be_bytes());
            r.extend_from_slice(c);
            r
        })
        .collect()
}

#[test]
fn oversize_client_hello_gets_decode_error_then_an_orderly_close() {
    let p = pki();
    let server = ServerConfig::builder()
        .with_single_cert(p.ecdsa.chain.clone(), &p.ecdsa.key_pkcs8)
        .unwrap()
        .build()
        .unwrap();
    let acceptor = TlsAcceptor::from(Arc::new(server));
    let rt = tokio::runtime::Runtime::new().unwrap();
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let srv = rt.spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        acceptor.accept(tcp).await.expect_err("refused")
    });
    let mut tcp = std::net::TcpStream::connect(addr).unwrap();
    tcp.write_all(&oversize_hello()).unwrap();
    let err = rt.block_on(srv).unwrap();
    assert!(err.to_string().contains("over our limit"), "{err}");
    let mut got = Vec::new();
    tcp.read_to_end(&mut got)
        .expect("an orderly close (FIN), not a reset");
    assert_eq!(got, vec![21, 3, 3, 0, 2, 2, 50], "one decode_error alert");
}
