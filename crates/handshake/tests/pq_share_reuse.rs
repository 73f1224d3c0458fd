//! The client's classical key share reuses the hybrid share's ECDH key pair (as Chromium and
//! rustls do): the two shares on the wire carry the same public value, and the handshake completes
//! whichever of the two the server picks, with our server and with rustls.

mod common;
mod wire;

use std::sync::Arc;

use common::*;
use https_handshake::codec::*;
use https_handshake::{ClientConnection, NamedGroup};
use wire::*;

/// (group, key_exchange) of each key share in the client's first flight.
fn offered_shares(c: &mut ClientConnection) -> Vec<(u16, Vec<u8>)> {
    let rec = drain(c);
    let HandshakePayload::ClientHello(ch) = HandshakeMessage::read_bytes(&rec[5..]).unwrap().0
    else {
        panic!("not a ClientHello")
    };
    let Some(ClientExtension::KeyShare(k)) = ch.ext(ExtensionType::KeyShare) else {
        panic!("no key_share")
    };
    k.iter().map(|k| (k.group, k.payload.clone())).collect()
}

#[test]
fn the_x25519_share_is_the_hybrid_shares_x25519_half() {
    let shares = offered_shares(&mut client_with_groups(&NamedGroup::DEFAULT));
    assert_eq!(shares.len(), 2);
    let (hybrid, x25519) = (&shares[0], &shares[1]);
    assert_eq!((hybrid.0, hybrid.1.len()), (0x11ec, 1184 + 32));
    assert_eq!((x25519.0, x25519.1.len()), (0x001d, 32));
    // X25519MLKEM768: ML-KEM encapsulation key first, then the X25519 share.
    assert_eq!(hybrid.1[1184..], x25519.1[..]);
    // A fresh key pair per ClientHello, all the same.
    let again = offered_shares(&mut client_with_groups(&NamedGroup::DEFAULT));
    assert_ne!(again[1].1, x25519.1);
}

#[test]
fn the_p256_share_is_the_p256_hybrid_shares_point() {
    let groups = [NamedGroup::Secp256r1MlKem768, NamedGroup::Secp256r1];
    let shares = offered_shares(&mut client_with_groups(&groups));
    assert_eq!(shares.len(), 2);
    let (hybrid, p256) = (&shares[0], &shares[1]);
    assert_eq!((hybrid.0, hybrid.1.len()), (0x11eb, 65 + 1184));
    assert_eq!((p256.0, p256.1.len()), (0x0017, 65));
    // SecP256r1MLKEM768: the P-256 point first, then the encapsulation key.
    assert_eq!(hybrid.1[..65], p256.1[..]);
}

/// Our client offering `client_groups` completes with our server preferring `server_groups`,
/// in `want`, without a HelloRetryRequest, and application data flows.
fn completes_with_ours(
    client_groups: &[NamedGroup],
    server_groups: &[NamedGroup],
    want: NamedGroup,
) {
    let mut c = Ours {
        conn: client_with_groups(client_groups),
        got: vec![],
    };
    let mut s = Ours {
        conn: server_with_groups(server_groups),
        got: vec![],
    };
    handshake(&mut c, &mut s).unwrap();
    assert_eq!(c.conn.negotiated_group(), Some(want));
    assert_eq!(s.conn.negotiated_group(), Some(want));
    assert!(!c.conn.had_hello_retry(), "{want}");
    assert_eq!(send(&mut c, &mut s, b"ping"), b"ping");
    assert_eq!(send(&mut s, &mut c, b"pong"), b"pong");
}

#[test]
fn classical_and_hybrid_servers_both_complete_with_our_servers() {
    let d = &NamedGroup::DEFAULT;
    completes_with_ours(d, d, NamedGroup::X25519MlKem768);
    completes_with_ours(d, &[NamedGroup::X25519], NamedGroup::X25519);
    let p = [NamedGroup::Secp256r1MlKem768, NamedGroup::Secp256r1];
    completes_with_ours(&p, &p, NamedGroup::Secp256r1MlKem768);
    completes_with_ours(&p, &[NamedGroup::Secp256r1], NamedGroup::Secp256r1);
}

#[test]
fn classical_and_hybrid_rustls_servers_both_complete() {
    use rustls::crypto::aws_lc_rs::kx_group as aws;
    let cases: [(&'static dyn rustls::crypto::SupportedKxGroup, NamedGroup); 2] = [
        (aws::X25519, NamedGroup::X25519),
        (aws::X25519MLKEM768, NamedGroup::X25519MlKem768),
    ];
    for (group, want) in cases {
        let mut p = rustls::crypto::aws_lc_rs::default_provider();
        p.kx_groups = vec![group];
        let cfg = rustls_server(Arc::new(p), &pki().ecdsa, &[]);
        let mut s = Theirs {
            conn: rustls::ServerConnection::new(cfg).unwrap(),
            got: vec![],
        };
        let mut c = Ours {
            conn: client_with_groups(&NamedGroup::DEFAULT),
            got: vec![],
        };
        handshake(&mut c, &mut s).unwrap();
        assert_eq!(c.conn.negotiated_group(), Some(want));
        assert!(!c.conn.had_hello_retry(), "{want}");
        assert_eq!(
            s.conn.negotiated_key_exchange_group().map(|g| g.name()),
            Some(rustls::NamedGroup::from(want.to_u16()))
        );
        assert_eq!(send(&mut c, &mut s, b"ping"), b"ping");
        assert_eq!(send(&mut s, &mut c, b"pong"), b"pong");
    }
}
