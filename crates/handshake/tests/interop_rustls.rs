//! In-process interop with rustls 0.23, both directions, for every suite x group x server key:
//! the handshake completes, 1 MiB round-trips both ways, ALPN agrees.

mod common;

use std::sync::Arc;

use common::*;
use https_handshake::{ClientConnection, NamedGroup, ServerConnection, Tls13Suite, TraceEvent};
use rustls::crypto::ring::{cipher_suite, kx_group};

fn suites() -> [(Tls13Suite, rustls::SupportedCipherSuite); 3] {
    [
        (
            Tls13Suite::Aes128GcmSha256,
            cipher_suite::TLS13_AES_128_GCM_SHA256,
        ),
        (
            Tls13Suite::Aes256GcmSha384,
            cipher_suite::TLS13_AES_256_GCM_SHA384,
        ),
        (
            Tls13Suite::Chacha20Poly1305Sha256,
            cipher_suite::TLS13_CHACHA20_POLY1305_SHA256,
        ),
    ]
}

fn groups() -> [(NamedGroup, &'static dyn rustls::crypto::SupportedKxGroup); 2] {
    [
        (NamedGroup::X25519, kx_group::X25519),
        (NamedGroup::Secp256r1, kx_group::SECP256R1),
    ]
}

fn keys() -> [(&'static str, &'static Leaf); 3] {
    let p = pki();
    [
        ("ecdsa-p256", &p.ecdsa),
        ("rsa-2048", &p.rsa),
        ("ed25519", &p.ed25519),
    ]
}

/// One matrix case: a message context, our and rustls's suite, our and rustls's group, the leaf.
type Case<'a> = (
    &'a str,
    (Tls13Suite, rustls::SupportedCipherSuite),
    (NamedGroup, &'static dyn rustls::crypto::SupportedKxGroup),
    &'static Leaf,
);

/// Runs `case` for every suite x group x server key (18 cases); how many ran.
fn for_each_case(mut case: impl FnMut(Case<'_>)) -> usize {
    let mut passed = 0;
    for suite in suites() {
        for group in groups() {
            for (kname, leaf) in keys() {
                let ctx = format!("{} {} {kname}", suite.0.name(), group.0.name());
                case((&ctx, suite, group, leaf));
                passed += 1;
            }
        }
    }
    passed
}

fn payload() -> Vec<u8> {
    (0..1024 * 1024)
        .map(|i: u32| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect()
}

fn roundtrip(c: &mut dyn Side, s: &mut dyn Side) {
    let data = payload();
    assert!(send(c, s, &data) == data, "client -> server 1 MiB differs");
    assert!(send(s, c, &data) == data, "server -> client 1 MiB differs");
}

#[test]
fn our_client_with_rustls_server_matrix() {
    let p = pki();
    let passed = for_each_case(
        |(ctx, (ours_suite, their_suite), (ours_group, their_group), leaf)| {
            let server = rustls_server(
                rustls_provider(their_suite, their_group),
                leaf,
                &[b"h2", b"http/1.1"],
            );
            let client = trusting(&p.ca)
                .with_cipher_suites(&[ours_suite])
                .with_groups(&[ours_group])
                .with_alpn(&[b"http/1.1", b"h2"])
                .build()
                .unwrap();
            let mut c = Ours::new(ClientConnection::new(Arc::new(client), "localhost").unwrap());
            let mut s = Theirs::new(rustls::ServerConnection::new(server).unwrap());
            handshake(&mut c, &mut s).unwrap_or_else(|e| panic!("{ctx}: {e:?}"));
            assert_eq!(c.conn.negotiated_cipher_suite(), Some(ours_suite), "{ctx}");
            assert_eq!(c.conn.negotiated_group(), Some(ours_group), "{ctx}");
            assert_eq!(
                c.alpn().as_deref(),
                Some(&b"h2"[..]),
                "{ctx}: rustls picks its first"
            );
            assert_eq!(c.alpn(), s.alpn(), "{ctx}");
            roundtrip(&mut c, &mut s);
        },
    );
    eprintln!("our client -> rustls server: {passed}/18 passed");
    assert_eq!(passed, 18);
}

#[test]
fn rustls_client_with_our_server_matrix() {
    let p = pki();
    let passed = for_each_case(
        |(ctx, (ours_suite, their_suite), (ours_group, their_group), leaf)| {
            let client = rustls_client(
                rustls_provider(their_suite, their_group),
                &p.ca,
                &[b"http/1.1", b"h2"],
            );
            let server = serving(leaf)
                .with_alpn(&[b"h2", b"http/1.1"])
                .build()
                .unwrap();
            let mut c = Theirs::new(rustls_client_conn(client, "localhost"));
            let mut s = Ours::new(ServerConnection::new(Arc::new(server)).unwrap());
            handshake(&mut c, &mut s).unwrap_or_else(|e| panic!("{ctx}: {e:?}"));
            assert_eq!(s.conn.negotiated_cipher_suite(), Some(ours_suite), "{ctx}");
            assert_eq!(s.conn.negotiated_group(), Some(ours_group), "{ctx}");
            assert_eq!(
                s.alpn().as_deref(),
                Some(&b"h2"[..]),
                "{ctx}: server preference"
            );
            assert_eq!(c.alpn(), s.alpn(), "{ctx}");
            assert_eq!(s.conn.server_name(), Some("localhost"));
            roundtrip(&mut c, &mut s);
        },
    );
    eprintln!("rustls client -> our server: {passed}/18 passed");
    assert_eq!(passed, 18);
}

#[test]
fn our_client_with_our_server_all_suites_and_p384() {
    let p = pki();
    for suite in Tls13Suite::ALL {
        for group in NamedGroup::ALL {
            let server = serving(&p.ecdsa)
                .with_groups(&NamedGroup::ALL)
                .build()
                .unwrap();
            let client = trusting(&p.ca)
                .with_cipher_suites(&[suite])
                .with_groups(&[group])
                .with_trace(true)
                .build()
                .unwrap();
            let mut c = Ours::new(ClientConnection::new(Arc::new(client), "localhost").unwrap());
            let mut s = Ours::new(ServerConnection::new(Arc::new(server)).unwrap());
            handshake(&mut c, &mut s).unwrap();
            assert_eq!(c.conn.negotiated_group(), Some(group));
            assert_eq!(c.alpn(), None);
            let data = b"GET / HTTP/1.1\r\n\r\n".repeat(100);
            assert_eq!(send(&mut c, &mut s, &data), data);
            assert!(c.conn.trace().iter().any(|e| matches!(
                e,
                TraceEvent::Check {
                    what: "server Finished",
                    ..
                }
            )));
        }
    }
}

#[test]
fn hello_retry_request_both_directions() {
    let p = pki();
    // rustls client offers a P-384 share first; our server only takes X25519 -> HRR.
    let mut prov = rustls::crypto::ring::default_provider();
    prov.kx_groups = vec![kx_group::SECP384R1, kx_group::X25519];
    let client = rustls_client(Arc::new(prov), &p.ca, &[]);
    let server = serving(&p.ecdsa)
        .with_groups(&[NamedGroup::X25519])
        .build()
        .unwrap();
    let mut c = Theirs::new(rustls_client_conn(client, "localhost"));
    let mut s = Ours::new(ServerConnection::new(Arc::new(server)).unwrap());
    handshake(&mut c, &mut s).unwrap();
    assert!(s.conn.had_hello_retry());
    assert_eq!(s.conn.negotiated_group(), Some(NamedGroup::X25519));
    assert_eq!(send(&mut c, &mut s, b"after HRR"), b"after HRR");

    // Our client sends a P-384 share first; the rustls server only does X25519 -> HRR (with cookie-less
    // retry from rustls), our client answers with an X25519 share.
    let server = rustls_server(
        rustls_provider(cipher_suite::TLS13_AES_128_GCM_SHA256, kx_group::X25519),
        &p.ecdsa,
        &[],
    );
    let client = trusting(&p.ca)
        .with_groups(&[NamedGroup::Secp384r1, NamedGroup::X25519])
        .build()
        .unwrap();
    let mut c = Ours::new(ClientConnection::new(Arc::new(client), "localhost").unwrap());
    let mut s = Theirs::new(rustls::ServerConnection::new(server).unwrap());
    handshake(&mut c, &mut s).unwrap();
    assert!(c.conn.had_hello_retry());
    assert_eq!(send(&mut s, &mut c, b"after HRR"), b"after HRR");
}

#[test]
fn key_update_both_directions_with_rustls() {
    let p = pki();
    let prov = || rustls_provider(cipher_suite::TLS13_AES_256_GCM_SHA384, kx_group::X25519);
    // Our client updates (and asks rustls to), then rustls updates on its own.
    let client = trusting(&p.ca).build().unwrap();
    let mut c = Ours::new(ClientConnection::new(Arc::new(client), "localhost").unwrap());
    let mut s =
        Theirs::new(rustls::ServerConnection::new(rustls_server(prov(), &p.ecdsa, &[])).unwrap());
    handshake(&mut c, &mut s).unwrap();
    for i in 0..3 {
        c.conn.send_key_update(true).unwrap();
        let msg = format!("after our update {i}").into_bytes();
        assert_eq!(send(&mut c, &mut s, &msg), msg);
        assert_eq!(send(&mut s, &mut c, &msg), msg);
        s.conn.refresh_traffic_keys().unwrap();
        assert_eq!(send(&mut s, &mut c, b"after theirs"), b"after theirs");
        assert_eq!(send(&mut c, &mut s, b"and back"), b"and back");
    }
    // Same with our server.
    let server = serving(&p.ecdsa).build().unwrap();
    let mut c = Theirs::new(rustls_client_conn(
        rustls_client(prov(), &p.ca, &[]),
        "localhost",
    ));
    let mut s = Ours::new(ServerConnection::new(Arc::new(server)).unwrap());
    handshake(&mut c, &mut s).unwrap();
    s.conn.send_key_update(true).unwrap();
    assert_eq!(send(&mut s, &mut c, b"x"), b"x");
    assert_eq!(send(&mut c, &mut s, b"y"), b"y");
    c.conn.refresh_traffic_keys().unwrap();
    assert_eq!(send(&mut c, &mut s, b"z"), b"z");
    assert_eq!(send(&mut s, &mut c, b"w"), b"w");
}

#[test]
fn resumption_with_tickets_both_directions() {
    let p = pki();
    // Our client and our server: the second connection resumes (no Certificate), and again.
    let server = Arc::new(
        serving(&p.ecdsa)
            .with_session_tickets(true)
            .build()
            .unwrap(),
    );
    let client = Arc::new(trusting(&p.ca).with_trace(true).build().unwrap());
    for i in 0..3 {
        let mut c = Ours::new(ClientConnection::new(client.clone(), "localhost").unwrap());
        let mut s = Ours::new(ServerConnection::new(server.clone()).unwrap());
        handshake(&mut c, &mut s).unwrap();
        assert_eq!(c.conn.is_resumed(), i > 0, "connection {i}");
        assert_eq!(s.conn.is_resumed(), i > 0, "connection {i}");
        assert_eq!(send(&mut c, &mut s, b"hi"), b"hi");
        assert_eq!(send(&mut s, &mut c, b"ho"), b"ho"); // delivers the ticket too
        assert!(client.session_store().unwrap().has_ticket("localhost"));
    }

    // Our client resumes with a rustls server (it sends 2 tickets by default).
    let rserver = rustls_server(
        rustls_provider(cipher_suite::TLS13_AES_128_GCM_SHA256, kx_group::X25519),
        &p.ecdsa,
        &[],
    );
    let client = Arc::new(trusting(&p.ca).with_trace(true).build().unwrap());
    for i in 0..3 {
        let mut c = Ours::new(ClientConnection::new(client.clone(), "localhost").unwrap());
        let mut s = Theirs::new(rustls::ServerConnection::new(rserver.clone()).unwrap());
        handshake(&mut c, &mut s).unwrap();
        assert_eq!(c.conn.is_resumed(), i > 0, "ours->rustls connection {i}");
        assert_eq!(
            s.conn.handshake_kind() == Some(rustls::HandshakeKind::Resumed),
            i > 0
        );
        assert_eq!(send(&mut s, &mut c, b"ticket please"), b"ticket please");
    }

    // A rustls client resumes with our server.
    let rclient = rustls_client(
        rustls_provider(
            cipher_suite::TLS13_CHACHA20_POLY1305_SHA256,
            kx_group::SECP256R1,
        ),
        &p.ca,
        &[],
    );
    for i in 0..3 {
        let mut c = Theirs::new(rustls_client_conn(rclient.clone(), "localhost"));
        let mut s = Ours::new(ServerConnection::new(server.clone()).unwrap());
        handshake(&mut c, &mut s).unwrap();
        assert_eq!(s.conn.is_resumed(), i > 0, "rustls->ours connection {i}");
        assert_eq!(
            c.conn.handshake_kind() == Some(rustls::HandshakeKind::Resumed),
            i > 0
        );
        assert_eq!(send(&mut s, &mut c, b"ticket please"), b"ticket please");
    }
}

#[test]
fn resumption_after_hello_retry_and_bad_binder() {
    let p = pki();
    let server = Arc::new(
        serving(&p.rsa)
            .with_groups(&[NamedGroup::X25519])
            .with_session_tickets(true)
            .build()
            .unwrap(),
    );
    let client = Arc::new(
        trusting(&p.ca)
            .with_groups(&[NamedGroup::Secp384r1, NamedGroup::X25519])
            .build()
            .unwrap(),
    );
    for i in 0..2 {
        let mut c = Ours::new(ClientConnection::new(client.clone(), "localhost").unwrap());
        let mut s = Ours::new(ServerConnection::new(server.clone()).unwrap());
        handshake(&mut c, &mut s).unwrap();
        assert!(s.conn.had_hello_retry());
        assert_eq!(s.conn.is_resumed(), i > 0);
        assert_eq!(send(&mut s, &mut c, b"t"), b"t");
    }
    // A tampered binder: decrypt_error.
    let client = Arc::new(trusting(&p.ca).build().unwrap());
    let server = Arc::new(
        serving(&p.ecdsa)
            .with_session_tickets(true)
            .build()
            .unwrap(),
    );
    let mut c = Ours::new(ClientConnection::new(client.clone(), "localhost").unwrap());
    let mut s = Ours::new(ServerConnection::new(server.clone()).unwrap());
    handshake(&mut c, &mut s).unwrap();
    assert_eq!(send(&mut s, &mut c, b"t"), b"t");
    let mut c = Ours::new(ClientConnection::new(client, "localhost").unwrap());
    let mut ch = c.out();
    let last = ch.len() - 1; // the binder is the last thing in the ClientHello
    ch[last] ^= 1;
    let mut s = Ours::new(ServerConnection::new(server).unwrap());
    s.feed(&ch).expect_err("bad binder");
    let err = s.conn.error().expect("the server failed");
    assert_eq!(
        err.alert(),
        Some(https_handshake::AlertDescription::DecryptError),
        "{err}"
    );
    assert_eq!(
        err.peer_misbehaved(),
        Some(&https_handshake::PeerMisbehaved::BadBinder),
        "{err}"
    );
}

#[test]
fn ip_address_names_skip_sni_and_match_ip_sans() {
    let p = pki();
    let l = leaf(&p.ca, &["127.0.0.1"], &https_pki::Profile::server());
    let server = serving(&l).build().unwrap();
    let client = trusting(&p.ca).build().unwrap();
    let mut c = Ours::new(ClientConnection::new(Arc::new(client), "127.0.0.1").unwrap());
    let mut s = Ours::new(ServerConnection::new(Arc::new(server)).unwrap());
    handshake(&mut c, &mut s).unwrap();
    assert_eq!(s.conn.server_name(), None, "no SNI for an IP address");
    // And a name that is not the IP fails.
    let client = trusting(&p.ca).build().unwrap();
    let mut c = Ours::new(ClientConnection::new(Arc::new(client), "127.0.0.2").unwrap());
    let server = serving(&l).build().unwrap();
    let mut s = Ours::new(ServerConnection::new(Arc::new(server)).unwrap());
    assert!(handshake(&mut c, &mut s).is_err());
    // Invalid names are refused before anything is sent.
    let client = Arc::new(trusting(&p.ca).build().unwrap());
    assert!(ClientConnection::new(client, "bad name!").is_err());
}

#[test]
fn exported_keying_material_matches_rustls() {
    let p = pki();
    let client = trusting(&p.ca).build().unwrap();
    let prov = rustls_provider(cipher_suite::TLS13_AES_256_GCM_SHA384, kx_group::X25519);
    let mut c = Ours::new(ClientConnection::new(Arc::new(client), "localhost").unwrap());
    let mut s =
        Theirs::new(rustls::ServerConnection::new(rustls_server(prov, &p.ecdsa, &[])).unwrap());
    handshake(&mut c, &mut s).unwrap();
    for (label, ctx) in [
        (&b"EXPORTER-test"[..], &b"context"[..]),
        (b"EXPORTER-empty", b""),
    ] {
        let mut ours = [0u8; 80];
        c.conn
            .export_keying_material(&mut ours, label, ctx)
            .unwrap();
        let theirs = s
            .conn
            .export_keying_material([0u8; 80], label, Some(ctx))
            .unwrap();
        assert_eq!(ours, theirs);
    }
}

#[test]
fn automatic_key_update_at_the_record_limit() {
    let p = pki();
    let client = trusting(&p.ca).with_trace(true).build().unwrap();
    let mut c = Ours::new(ClientConnection::new(Arc::new(client), "localhost").unwrap());
    let prov = rustls_provider(cipher_suite::TLS13_AES_128_GCM_SHA256, kx_group::X25519);
    let mut s =
        Theirs::new(rustls::ServerConnection::new(rustls_server(prov, &p.ecdsa, &[])).unwrap());
    handshake(&mut c, &mut s).unwrap();
    c.conn.set_key_update_limit(3);
    // 40 separate small messages: our client must rekey about every 3 records; rustls follows.
    for i in 0..40u32 {
        let msg = format!("message {i}").into_bytes();
        assert_eq!(send(&mut c, &mut s, &msg), msg);
    }
    assert_eq!(send(&mut s, &mut c, b"still in sync"), b"still in sync");
    let updates = c
        .conn
        .trace()
        .iter()
        .filter(|e| e.to_string().starts_with("-> KeyUpdate"))
        .count();
    assert!(updates >= 10, "{updates} KeyUpdates sent");
}
