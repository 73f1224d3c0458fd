//! Over real loopback TCP through the tokio adapter: a refused handshake ends with our alert on
//! the wire and an orderly close, never a reset that could destroy the alert unread.
#![cfg(feature = "tokio")]

mod common;

use std::io::{Read, Write};
use std::sync::Arc;

use common::*;
use https_handshake::codec::HandshakeType;
use https_handshake::{Error, PeerMisbehaved, TlsAcceptor, MAX_CLIENT_HELLO};

/// The handshake error inside the adapter's `io::Error`.
fn our_error(e: &std::io::Error) -> Option<&Error> {
    e.get_ref()?.downcast_ref()
}

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
    let server = serving(&p.ecdsa).build().unwrap();
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
    // A bound on every wait, should the server misbehave (not a timing assertion).
    tcp.set_read_timeout(Some(std::time::Duration::from_secs(20)))
        .unwrap();
    tcp.write_all(&oversize_hello()).unwrap();
    let err = rt.block_on(srv).unwrap();
    assert!(
        matches!(
            our_error(&err).and_then(Error::peer_misbehaved),
            Some(PeerMisbehaved::MessageTooLarge {
                message: HandshakeType::ClientHello,
                ..
            })
        ),
        "{err}"
    );
    let mut got = Vec::new();
    tcp.read_to_end(&mut got)
        .expect("an orderly close (FIN), not a reset");
    assert_eq!(got, vec![21, 3, 3, 0, 2, 2, 50], "one decode_error alert");
}

mod wire;

#[test]
fn finished_padded_to_128_kib_over_tcp_gets_one_alert_and_an_orderly_close() {
    use https_record::ContentType;
    use wire::*;
    let p = pki();
    let log = Arc::new(Secrets::default());
    let server = serving(&p.ecdsa)
        .with_cipher_suites(&[SUITE])
        .with_key_log(log.clone())
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
    // A bound on every wait, should the server misbehave (not a timing assertion).
    tcp.set_read_timeout(Some(std::time::Duration::from_secs(20)))
        .unwrap();
    let (mut client, _) = client_with(&[https_handshake::NamedGroup::X25519], &[SUITE]);
    tcp.write_all(&drain(&mut client)).unwrap();
    // Read the server's flight up to its Finished (ServerHello, CCS, then protected records).
    // (The server logs its secrets before it writes, so they are there once its bytes are.)
    let mut rx = None;
    let mut hs = Vec::new(); // the server's handshake messages, decrypted
    let mut got_finished = false;
    while !got_finished {
        let mut header = [0u8; 5];
        tcp.read_exact(&mut header).unwrap();
        let mut rec = header.to_vec();
        rec.resize(
            5 + usize::from(u16::from_be_bytes([header[3], header[4]])),
            0,
        );
        tcp.read_exact(&mut rec[5..]).unwrap();
        if rec[0] == 23 {
            let rx = rx.get_or_insert_with(|| {
                RecordReader::new(log.get("SERVER_HANDSHAKE_TRAFFIC_SECRET"))
            });
            for (_, content) in rx.read(&rec) {
                hs.extend(content);
            }
            // Walk the messages: EncryptedExtensions .. Finished may share a record.
            let mut at = 0;
            while at + 4 <= hs.len() {
                got_finished |= hs[at] == 20;
                at += 4 + (usize::from(hs[at + 2]) << 8 | usize::from(hs[at + 3]));
            }
        }
    }
    // A Finished whose body is 128 KiB, under the client's handshake key.
    let mut msg = vec![20, 0x02, 0x00, 0x00];
    msg.extend(vec![0; 128 * 1024]);
    let mut tx = RecordWriter::new(log.get("CLIENT_HANDSHAKE_TRAFFIC_SECRET"));
    let wire: Vec<u8> = msg
        .chunks(16384)
        .flat_map(|c| tx.seal(ContentType::Handshake, c))
        .collect();
    tcp.write_all(&wire).unwrap();
    let err = rt.block_on(srv).unwrap();
    assert!(
        matches!(
            our_error(&err).and_then(Error::peer_misbehaved),
            Some(PeerMisbehaved::MessageTooLarge {
                message: HandshakeType::Finished,
                ..
            })
        ),
        "{err}"
    );
    let mut rest = Vec::new();
    tcp.read_to_end(&mut rest)
        .expect("an orderly close (FIN), not a reset");
    let got = RecordReader::new(log.get("SERVER_TRAFFIC_SECRET_0")).read(&rest);
    assert_eq!(
        got,
        vec![(ContentType::Alert, vec![2, 50])],
        "one alert, then nothing"
    );
}
