//! RFC 8446 rules a conformance suite (tlsfuzzer, BoGo) checks on a server's ClientHello handling,
//! fed as raw bytes: each test asserts the exact alert our server writes on the wire.

mod common;
mod wire;

use std::sync::Arc;

use common::*;
use https_handshake::codec::*;
use https_handshake::{AlertDescription, Error, NamedGroup, PeerMisbehaved, MAX_CLIENT_HELLO};
use https_record::ContentType;
use rustls::crypto::ring::{cipher_suite, kx_group};
use wire::*;

/// A plaintext fatal alert record: what a server without keys yet must write.
fn alert_record(d: AlertDescription) -> Vec<u8> {
    vec![21, 3, 3, 0, 2, 2, d.to_u8()]
}

/// A rustls TLS 1.3 ClientHello (x25519 share, AES-128-GCM), decoded.
fn rustls_hello() -> ClientHello {
    let p = pki();
    let cfg = rustls_client(
        rustls_provider(cipher_suite::TLS13_AES_128_GCM_SHA256, kx_group::X25519),
        &p.ca,
        &[b"h2"],
    );
    let mut c = rustls_client_conn(cfg, "localhost");
    let mut out = Vec::new();
    c.write_tls(&mut out).unwrap();
    match HandshakeMessage::read_bytes(&out[5..]).unwrap().0 {
        HandshakePayload::ClientHello(ch) => ch,
        _ => unreachable!(),
    }
}

fn encode(ch: ClientHello) -> Vec<u8> {
    handshake_records(&HandshakeMessage(HandshakePayload::ClientHello(ch)).get_encoding())
}

/// Feeds `bytes` to a fresh server; returns its error and everything it wrote.
fn server_rejects(bytes: &[u8]) -> (Error, Vec<u8>) {
    let (mut s, _) = server();
    let err = feed(&mut s, bytes).expect_err("the server must refuse");
    (err, drain(&mut s))
}

fn assert_plain_alert(bytes: &[u8], alert: AlertDescription) {
    let (err, out) = server_rejects(bytes);
    assert_eq!(err.alert(), Some(alert), "{err}");
    assert_eq!(
        out,
        alert_record(alert),
        "exactly one alert, nothing else: {err}"
    );
}

fn shares_mut(ch: &mut ClientHello) -> &mut Vec<KeyShareEntry> {
    ch.extensions
        .iter_mut()
        .find_map(|e| match e {
            ClientExtension::KeyShare(v) => Some(v),
            _ => None,
        })
        .unwrap()
}

fn groups_mut(ch: &mut ClientHello) -> &mut Vec<u16> {
    ch.extensions
        .iter_mut()
        .find_map(|e| match e {
            ClientExtension::SupportedGroups(v) => Some(v),
            _ => None,
        })
        .unwrap()
}

#[test]
fn legacy_version_below_tls12_is_protocol_version() {
    for v in [0x0000, 0x0300, 0x0301, 0x0302] {
        let mut ch = rustls_hello();
        ch.legacy_version = ProtocolVersion::from_u16(v);
        assert_plain_alert(&encode(ch), AlertDescription::ProtocolVersion);
    }
    // 0x0303 is what every TLS 1.3 client sends: accepted.
    let (mut s, _) = server();
    feed(&mut s, &encode(rustls_hello())).expect("0x0303 is fine");
}

#[test]
fn empty_x25519_key_share_is_illegal_parameter() {
    let mut ch = rustls_hello();
    shares_mut(&mut ch)[0].payload.clear();
    assert_plain_alert(&encode(ch), AlertDescription::IllegalParameter);
}

#[test]
fn x25519_key_share_of_the_wrong_length_is_illegal_parameter() {
    for len in [1, 31, 33, 65] {
        let mut ch = rustls_hello();
        shares_mut(&mut ch)[0].payload = vec![9; len];
        assert_plain_alert(&encode(ch), AlertDescription::IllegalParameter);
    }
}

#[test]
fn malformed_p256_share_beside_a_good_one_is_illegal_parameter() {
    // The server picks x25519; the P-256 share it would not use is still checked.
    for bad in [
        [vec![0x02], vec![1; 32]].concat(), // compressed point
        [vec![0x05], vec![1; 64]].concat(), // not a point encoding
        vec![],                             // empty
    ] {
        let mut ch = rustls_hello();
        groups_mut(&mut ch).push(0x0017);
        shares_mut(&mut ch).push(KeyShareEntry {
            group: 0x0017,
            payload: bad,
        });
        assert_plain_alert(&encode(ch), AlertDescription::IllegalParameter);
    }
}

#[test]
fn p256_point_not_on_the_curve_is_illegal_parameter() {
    let mut ch = rustls_hello();
    *groups_mut(&mut ch) = vec![0x0017];
    *shares_mut(&mut ch) = vec![KeyShareEntry {
        group: 0x0017,
        payload: [vec![0x04], vec![1; 64]].concat(),
    }];
    let (mut s, _) = server_with(&[NamedGroup::Secp256r1]);
    let err = feed(&mut s, &encode(ch)).expect_err("off-curve point");
    assert_eq!(
        err.alert(),
        Some(AlertDescription::IllegalParameter),
        "{err}"
    );
    assert_eq!(
        drain(&mut s),
        alert_record(AlertDescription::IllegalParameter)
    );
}

/// Encoded size of a hello's extension block (without its 2-byte length).
fn ext_block_len(ch: &ClientHello) -> usize {
    let mut v = Vec::new();
    encode_client_exts(&mut v, &ch.extensions);
    v.len() - 2
}

#[test]
fn client_hello_with_a_full_signature_algorithms_list_handshakes() {
    // signature_algorithms grown until the extension block is full (65,535 bytes): about 32,700
    // schemes, a 65.6 KB ClientHello, over the old 64 KiB message limit.
    let mut ch = rustls_hello();
    let room = 0xffff - ext_block_len(&ch);
    for e in &mut ch.extensions {
        if let ClientExtension::SignatureAlgorithms(v) = e {
            let real = std::mem::take(v);
            *v = (0..room / 2)
                .map(|i| SignatureScheme::from_u16(0xfe00 | (i % 256) as u16))
                .chain(real)
                .collect();
            assert!(v.len() > 32_700, "{} schemes", v.len());
        }
    }
    assert!(ext_block_len(&ch) >= 0xfffe);
    let bytes = encode(ch);
    assert!(bytes.len() > 65_536, "{} bytes", bytes.len());
    let (mut s, _) = server();
    feed(&mut s, &bytes).expect("a large ClientHello is processed");
    assert_eq!(drain(&mut s)[0], 22, "a ServerHello comes back");
    assert_eq!(s.negotiated_group(), Some(NamedGroup::X25519));
}

/// A ClientHello whose body is exactly `len` bytes: GREASE cipher suites, then an unknown
/// extension filling the rest of the (at most 65,535-byte) extension block.
fn hello_of_len(len: usize) -> Vec<u8> {
    let mut ch = rustls_hello();
    let base = HandshakeMessage(HandshakePayload::ClientHello(ch.clone()))
        .get_encoding()
        .len()
        - 4;
    let extra = len - base;
    let ext_room = 0xffff - ext_block_len(&ch) - 4;
    let mut in_ext = extra.min(ext_room);
    if (extra - in_ext) % 2 == 1 {
        in_ext -= 1;
    }
    let suites = (extra - in_ext) / 2;
    ch.cipher_suites
        .splice(0..0, (0..suites).map(|_| CipherSuite::Unknown(0x0a0a)));
    ch.extensions.insert(
        0,
        ClientExtension::Unknown(ExtensionType::from_u16(0xfafa), vec![0; in_ext - 4]),
    );
    let msg = HandshakeMessage(HandshakePayload::ClientHello(ch)).get_encoding();
    assert_eq!(msg.len() - 4, len);
    handshake_records(&msg)
}

#[test]
fn client_hello_of_131072_bytes_handshakes() {
    assert_eq!(MAX_CLIENT_HELLO, 131_072);
    let (mut s, _) = server();
    feed(&mut s, &hello_of_len(MAX_CLIENT_HELLO)).expect("up to 128 KiB is processed");
    assert_eq!(drain(&mut s)[0], 22, "a ServerHello comes back");
}

#[test]
fn client_hello_over_131072_bytes_is_decode_error_not_a_silent_close() {
    let (err, out) = server_rejects(&hello_of_len(MAX_CLIENT_HELLO + 1));
    assert!(
        matches!(
            err.peer_misbehaved(),
            Some(PeerMisbehaved::MessageTooLarge {
                message: HandshakeType::ClientHello,
                limit: MAX_CLIENT_HELLO,
                ..
            })
        ),
        "{err}"
    );
    assert_eq!(out, alert_record(AlertDescription::DecodeError));
}

#[test]
fn client_hello_interleaved_with_an_alert_record_is_unexpected_message() {
    // A ClientHello split over two records with a (warning) user_canceled alert between them.
    let msg = HandshakeMessage(HandshakePayload::ClientHello(rustls_hello())).get_encoding();
    let mut wire = record(22, &msg[..50]);
    wire.extend(record(21, &[1, 90]));
    wire.extend(record(22, &msg[50..]));
    assert_plain_alert(&wire, AlertDescription::UnexpectedMessage);
}

// ---- HelloRetryRequest: the second ClientHello must repeat the first (RFC 8446 §4.1.2) ----

/// Our client offering x25519 then P-256 (one x25519 share), a P-256-only server: the server sends
/// a HelloRetryRequest; returns the server (HRR already drained) and our client's second hello.
fn after_hrr() -> (https_handshake::ServerConnection, ClientHello) {
    let (mut s, _) = server_with(&[NamedGroup::Secp256r1]);
    let (mut c, _) = client_with(&[NamedGroup::X25519, NamedGroup::Secp256r1], &[wire::SUITE]);
    feed(&mut s, &drain(&mut c)).unwrap();
    let hrr = drain(&mut s);
    feed(&mut c, &hrr).unwrap();
    assert!(s.had_hello_retry());
    let second = split_records(&drain(&mut c))
        .into_iter()
        .find(|(t, _)| *t == 22)
        .unwrap()
        .1;
    let HandshakePayload::ClientHello(ch) = HandshakeMessage::read_bytes(&second[5..]).unwrap().0
    else {
        unreachable!()
    };
    (s, ch)
}

fn second_hello_rejected(change: impl FnOnce(&mut ClientHello)) {
    let (mut s, mut ch) = after_hrr();
    change(&mut ch);
    let err = feed(&mut s, &encode(ch)).expect_err("changed second ClientHello");
    assert_eq!(
        err.alert(),
        Some(AlertDescription::IllegalParameter),
        "{err}"
    );
    assert_eq!(
        drain(&mut s),
        alert_record(AlertDescription::IllegalParameter)
    );
}

#[test]
fn unchanged_second_client_hello_is_accepted() {
    let (mut s, ch) = after_hrr();
    feed(&mut s, &encode(ch)).expect("our client's real second hello");
    assert_eq!(s.negotiated_group(), Some(NamedGroup::Secp256r1));
}

#[test]
fn second_client_hello_changing_sni_is_illegal_parameter() {
    second_hello_rejected(|ch| {
        for e in &mut ch.extensions {
            if let ClientExtension::ServerName(v) = e {
                v[0].name = b"other.example".to_vec();
            }
        }
    });
}

#[test]
fn second_client_hello_adding_alpn_is_illegal_parameter() {
    second_hello_rejected(|ch| {
        ch.extensions
            .insert(0, ClientExtension::Alpn(vec![b"h2".to_vec()]))
    });
}

#[test]
fn second_client_hello_changing_the_session_id_is_illegal_parameter() {
    second_hello_rejected(|ch| ch.session_id[0] ^= 1);
}

#[test]
fn second_client_hello_changing_the_random_is_illegal_parameter() {
    second_hello_rejected(|ch| ch.random[31] ^= 1);
}

#[test]
fn second_client_hello_changing_the_cipher_suites_is_illegal_parameter() {
    second_hello_rejected(|ch| ch.cipher_suites.push(CipherSuite::Aes256GcmSha384));
}

#[test]
fn second_client_hello_adding_an_unknown_extension_is_illegal_parameter() {
    second_hello_rejected(|ch| {
        ch.extensions.insert(
            0,
            ClientExtension::Unknown(ExtensionType::from_u16(0xabcd), vec![1]),
        )
    });
}

#[test]
fn second_client_hello_offering_early_data_is_illegal_parameter() {
    second_hello_rejected(|ch| ch.extensions.insert(0, ClientExtension::EarlyData));
}

#[test]
fn second_client_hello_changing_padding_is_accepted() {
    let (mut s, mut ch) = after_hrr();
    ch.extensions.insert(
        0,
        ClientExtension::Unknown(ExtensionType::Padding, vec![0; 100]),
    );
    feed(&mut s, &encode(ch)).expect("padding may change");
}

// ---- Early data the server does not accept (RFC 8446 §4.2.10) ----

/// A rustls client holding a ticket (early data allowed) from a rustls server for "localhost";
/// our server cannot open that ticket, so it runs a full handshake and must skip the 0-RTT data.
fn rustls_client_with_0rtt_ticket(
    groups: Vec<&'static dyn rustls::crypto::SupportedKxGroup>,
) -> rustls::ClientConnection {
    let p = pki();
    let mut provider = rustls::crypto::ring::default_provider();
    provider.cipher_suites = vec![cipher_suite::TLS13_AES_128_GCM_SHA256];
    provider.kx_groups = groups;
    let provider = Arc::new(provider);
    let mut server_cfg = Arc::try_unwrap(rustls_server(provider.clone(), &p.ecdsa, &[])).unwrap();
    server_cfg.max_early_data_size = 16384;
    let mut client_cfg = Arc::try_unwrap(rustls_client(provider, &p.ca, &[])).unwrap();
    client_cfg.enable_early_data = true;
    let client_cfg = Arc::new(client_cfg);
    let mut c = Theirs::new(rustls_client_conn(client_cfg.clone(), "localhost"));
    let mut s = Theirs::new(rustls::ServerConnection::new(Arc::new(server_cfg)).unwrap());
    handshake(&mut c, &mut s).unwrap();
    let tickets = s.out(); // NewSessionTickets
    c.feed(&tickets).unwrap();
    let mut c = rustls_client_conn(client_cfg, "localhost");
    let mut ed = c.early_data().expect("the ticket allows early data");
    std::io::Write::write_all(&mut ed, &[0x42; 3000]).unwrap();
    c
}

fn run_with_rustls(c: rustls::ClientConnection, s: https_handshake::ServerConnection) {
    let mut c = Theirs::new(c);
    let mut s = Ours::new(s);
    handshake(&mut c, &mut s).expect("the handshake completes without 0-RTT");
    assert!(!c.conn.is_early_data_accepted());
    let got = send(&mut c, &mut s, b"after the handshake");
    assert_eq!(got, b"after the handshake");
}

#[test]
fn rejected_early_data_is_skipped_and_the_handshake_completes() {
    let c = rustls_client_with_0rtt_ticket(vec![kx_group::X25519]);
    let (s, _) = server();
    run_with_rustls(c, s);
}

#[test]
fn rejected_early_data_is_skipped_after_a_hello_retry_request() {
    // rustls shares x25519 only; our server wants P-256: HRR, then the second hello.
    let c = rustls_client_with_0rtt_ticket(vec![kx_group::X25519, kx_group::SECP256R1]);
    let (s, _) = server_with(&[NamedGroup::Secp256r1]);
    run_with_rustls(c, s);
}

#[test]
fn early_data_over_the_skip_limit_is_unexpected_message() {
    let mut ch = rustls_hello();
    ch.extensions.insert(0, ClientExtension::EarlyData);
    let mut wire = encode(ch);
    for _ in 0..3 {
        wire.extend(record(23, &[0x55; 16384 + 17])); // undecryptable "0-RTT" records
    }
    let (mut s, log) = server();
    let err = feed(&mut s, &wire).expect_err("too much early data");
    assert_eq!(
        err.alert(),
        Some(AlertDescription::UnexpectedMessage),
        "{err}"
    );
    // The server's flight, then one alert under its application key.
    let out = drain(&mut s);
    let recs = split_records(&out);
    let (_, last) = recs.last().unwrap();
    let mut r = RecordReader::new(log.get("SERVER_TRAFFIC_SECRET_0"));
    assert_eq!(
        alerts(&r.read(last)),
        vec![AlertDescription::UnexpectedMessage]
    );
}

#[test]
fn without_an_early_data_offer_an_undecryptable_record_is_bad_record_mac() {
    let mut wire = encode(rustls_hello());
    wire.extend(record(23, &[0x55; 100]));
    let (mut s, log) = server();
    let err = feed(&mut s, &wire).expect_err("garbage");
    assert_eq!(err.alert(), Some(AlertDescription::BadRecordMac), "{err}");
    let out = drain(&mut s);
    let (_, last) = split_records(&out).pop().unwrap();
    let got = RecordReader::new(log.get("SERVER_TRAFFIC_SECRET_0")).read(&last);
    assert_eq!(got, vec![(ContentType::Alert, vec![2, 20])]);
}

#[test]
fn client_hello_with_16000_extensions_is_processed() {
    // A full extension block of empty unknown extensions: parsed (duplicates checked with a set,
    // not a quadratic scan), then the handshake goes on.
    let mut ch = rustls_hello();
    let room = (0xffff - ext_block_len(&ch)) / 4;
    for t in (0x4000u16..).take(room) {
        ch.extensions
            .insert(0, ClientExtension::Unknown(t.into(), vec![]));
    }
    assert!(room > 16_000);
    let (mut s, _) = server();
    feed(&mut s, &encode(ch.clone())).expect("processed");
    assert_eq!(drain(&mut s)[0], 22);
    // And one repeated type among them is still illegal_parameter.
    ch.extensions.insert(
        0,
        ClientExtension::Unknown(ExtensionType::from_u16(0x4000), vec![]),
    );
    ch.extensions.remove(1);
    assert_plain_alert(&encode(ch), AlertDescription::IllegalParameter);
}
