//! Our client against a hostile server, fed raw bytes: HelloRetryRequests it must refuse or answer
//! exactly (RFC 8446 §4.1.2, §4.1.4) and EncryptedExtensions it must refuse (§4.2). Each test
//! asserts the alert our client writes.

mod common;
mod wire;

use std::sync::Arc;

use common::*;
use https_handshake::codec::*;
use https_handshake::{
    AlertDescription, ClientConnection, NamedGroup, ServerConnection, Tls13Suite,
};
use https_record::ContentType;
use wire::*;

fn hello_of(bytes: &[u8]) -> ClientHello {
    let msg: Vec<u8> = split_records(bytes)
        .into_iter()
        .filter(|(t, _)| *t == 22)
        .flat_map(|(_, rec)| rec[5..].to_vec())
        .collect();
    match HandshakeMessage::read_bytes(&msg).unwrap().0 {
        HandshakePayload::ClientHello(ch) => ch,
        _ => unreachable!(),
    }
}

/// A HelloRetryRequest for `ch` asking for `group` (and `suite`), with an optional cookie.
fn hrr(ch: &ClientHello, suite: u16, group: u16, cookie: Option<Vec<u8>>) -> Vec<u8> {
    let mut extensions = vec![
        ServerExtension::SupportedVersions(ProtocolVersion::Tls13),
        ServerExtension::HrrKeyShare(group),
    ];
    if let Some(c) = cookie {
        extensions.push(ServerExtension::Cookie(c));
    }
    let sh = ServerHello {
        legacy_version: ProtocolVersion::Tls12,
        random: HRR_RANDOM,
        session_id: ch.session_id.clone(),
        cipher_suite: CipherSuite::from_u16(suite),
        compression_method: 0,
        extensions,
        extensions_omitted: false,
    };
    handshake_records(&HandshakeMessage(HandshakePayload::ServerHello(sh)).get_encoding())
}

fn fresh_client() -> (ClientConnection, ClientHello) {
    let (mut c, _) = client_with(&[NamedGroup::X25519, NamedGroup::Secp256r1], &[SUITE]);
    let first = hello_of(&drain(&mut c));
    (c, first)
}

#[test]
fn hello_retry_request_with_a_cookie_too_big_to_echo_is_illegal_parameter() {
    // The largest cookie a HelloRetryRequest can carry beside its two other extensions (65,517 bytes) fits its own extension, but
    // echoing it overflows the ClientHello's 65,535-byte extension block: we refuse instead of
    // sending a wrong length (or tripping an assertion).
    let (mut c, first) = fresh_client();
    let err = feed(
        &mut c,
        &hrr(&first, 0x1301, 0x0017, Some(vec![0xc0; 65_517])),
    )
    .expect_err("an unechoable cookie");
    assert_eq!(
        err.alert(),
        Some(AlertDescription::IllegalParameter),
        "{err}"
    );
    assert_eq!(drain(&mut c), vec![21, 3, 3, 0, 2, 2, 47]);
}

#[test]
fn hello_retry_request_with_a_60000_byte_cookie_is_echoed_exactly() {
    let (mut c, first) = fresh_client();
    let cookie: Vec<u8> = (0..60_000u32).map(|i| i as u8).collect();
    feed(&mut c, &hrr(&first, 0x1301, 0x0017, Some(cookie.clone()))).unwrap();
    let second = hello_of(&drain(&mut c));
    assert_eq!(
        second.ext(ExtensionType::Cookie),
        Some(&ClientExtension::Cookie(cookie))
    );
    assert!(encodes_faithfully(&second));
}

/// A client that holds a ticket from our server (AES-128-GCM-SHA256), and its first hello on a
/// new connection.
fn client_with_ticket(suites: &[Tls13Suite]) -> (ClientConnection, ClientHello) {
    let p = pki();
    let server = Arc::new(
        serving(&p.ecdsa)
            .with_cipher_suites(&[Tls13Suite::Aes128GcmSha256])
            .with_session_tickets(true)
            .build()
            .unwrap(),
    );
    let cfg = Arc::new(
        trusting(&p.ca)
            .with_groups(&[NamedGroup::X25519, NamedGroup::Secp256r1])
            .with_cipher_suites(suites)
            .with_resumption(true)
            .build()
            .unwrap(),
    );
    let mut c = ClientConnection::new(cfg.clone(), "localhost").unwrap();
    let mut s = ServerConnection::new(server).unwrap();
    while c.is_handshaking() || s.is_handshaking() || s.wants_write() {
        feed(&mut s, &drain(&mut c)).unwrap();
        feed(&mut c, &drain(&mut s)).unwrap();
    }
    assert!(cfg.session_store().unwrap().has_ticket("localhost"));
    let mut c = ClientConnection::new(cfg, "localhost").unwrap();
    let first = hello_of(&drain(&mut c));
    assert!(first.ext(ExtensionType::PreSharedKey).is_some());
    (c, first)
}

fn psk_offer(ch: &ClientHello) -> &OfferedPsks {
    match ch.ext(ExtensionType::PreSharedKey) {
        Some(ClientExtension::PreSharedKey(o)) => o,
        _ => panic!("no pre_shared_key"),
    }
}

#[test]
fn after_hello_retry_request_the_psk_offer_is_updated_not_stale() {
    let (mut c, first) = client_with_ticket(&[Tls13Suite::Aes128GcmSha256]);
    std::thread::sleep(std::time::Duration::from_millis(20));
    feed(&mut c, &hrr(&first, 0x1301, 0x0017, None)).unwrap();
    let second = hello_of(&drain(&mut c));
    assert!(second.ext(ExtensionType::PskKeyExchangeModes).is_some());
    let (a, b) = (psk_offer(&first), psk_offer(&second));
    assert_eq!(a.identities[0].identity, b.identities[0].identity);
    let aged = b.identities[0]
        .obfuscated_ticket_age
        .wrapping_sub(a.identities[0].obfuscated_ticket_age);
    assert!(
        (20..10_000).contains(&aged),
        "obfuscated_ticket_age must be recomputed (moved by {aged} ms)"
    );
    assert_ne!(a.binders, b.binders, "the binder covers the new transcript");
}

#[test]
fn after_hello_retry_request_for_another_hash_psk_modes_stay() {
    // The ticket is for SHA-256; the server's HRR picks AES-256-GCM-SHA384: the PSK goes, the
    // psk_key_exchange_modes (needed for new tickets) stays.
    let (mut c, first) =
        client_with_ticket(&[Tls13Suite::Aes128GcmSha256, Tls13Suite::Aes256GcmSha384]);
    feed(&mut c, &hrr(&first, 0x1302, 0x0017, None)).unwrap();
    let second = hello_of(&drain(&mut c));
    assert!(second.ext(ExtensionType::PreSharedKey).is_none());
    assert_eq!(
        second.ext(ExtensionType::PskKeyExchangeModes),
        first.ext(ExtensionType::PskKeyExchangeModes)
    );
}

/// Our client against our server whose EncryptedExtensions gets `ext` added (the flight is
/// decrypted and re-encrypted with the server's logged handshake key); returns the client's
/// error alert and the alert it wrote (decrypted with its own logged key).
fn client_sees_encrypted_extension(ext: RawExtension) -> (Option<AlertDescription>, Vec<u8>) {
    let (mut s, s_log) = server();
    let (mut c, c_log) = client_with(&[NamedGroup::X25519], &[SUITE]);
    feed(&mut s, &drain(&mut c)).unwrap();
    let flight = drain(&mut s);
    let mut rx = RecordReader::new(s_log.get("SERVER_HANDSHAKE_TRAFFIC_SECRET"));
    let mut tx = RecordWriter::new(s_log.get("SERVER_HANDSHAKE_TRAFFIC_SECRET"));
    let mut out = Vec::new();
    let mut hs = Vec::new();
    for (typ, rec) in split_records(&flight) {
        if typ == 23 {
            for (t, content) in rx.read(&rec) {
                assert_eq!(t, ContentType::Handshake);
                hs.extend(content);
            }
        } else {
            out.extend(rec);
        }
    }
    // EncryptedExtensions is the first message: rewrite it with the extra extension.
    assert_eq!(hs[0], 8);
    let len = usize::from(hs[2]) << 8 | usize::from(hs[3]);
    let mut exts = Reader::new(&hs[4..4 + len]);
    let mut list = read_raw_exts(&mut exts, "ee").unwrap();
    list.push(ext);
    let mut body = Vec::new();
    encode_raw_exts(&mut body, &list);
    let mut ee = vec![8, 0, 0, 0];
    ee[2..4].copy_from_slice(&u16::try_from(body.len()).unwrap().to_be_bytes());
    ee.extend(body);
    out.extend(tx.seal(ContentType::Handshake, &ee));
    out.extend(tx.seal(ContentType::Handshake, &hs[4 + len..]));
    let err = feed(&mut c, &out).expect_err("refused");
    let mut crx = RecordReader::new(c_log.get("CLIENT_HANDSHAKE_TRAFFIC_SECRET"));
    let wrote = crx.read(&drain(&mut c));
    let alert = alerts(&wrote);
    assert_eq!(alert.len(), 1, "{wrote:?}");
    (err.alert(), vec![alert[0].to_u8()])
}

#[test]
fn key_share_in_encrypted_extensions_is_illegal_parameter() {
    let (err, wire) = client_sees_encrypted_extension(RawExtension {
        typ: ExtensionType::KeyShare,
        body: vec![0, 0x1d, 0, 1, 9],
    });
    assert_eq!(err, Some(AlertDescription::IllegalParameter));
    assert_eq!(wire, vec![47]);
}

#[test]
fn supported_versions_and_pre_shared_key_in_encrypted_extensions_are_illegal_parameter() {
    for typ in [
        ExtensionType::SupportedVersions,
        ExtensionType::PreSharedKey,
        ExtensionType::SignatureAlgorithms,
        ExtensionType::Cookie,
    ] {
        let (err, wire) = client_sees_encrypted_extension(RawExtension { typ, body: vec![] });
        assert_eq!(
            err,
            Some(AlertDescription::IllegalParameter),
            "extension {typ}"
        );
        assert_eq!(wire, vec![47]);
    }
}

#[test]
fn unrequested_allowed_extension_in_encrypted_extensions_is_unsupported_extension() {
    // early_data is allowed in EncryptedExtensions, but we did not offer it.
    let (err, wire) = client_sees_encrypted_extension(RawExtension {
        typ: ExtensionType::EarlyData,
        body: vec![],
    });
    assert_eq!(err, Some(AlertDescription::UnsupportedExtension));
    assert_eq!(wire, vec![110]);
}

/// A ServerHello for `ch` (x25519 share, AES-128-GCM) with `extra` extensions appended.
fn server_hello(ch: &ClientHello, extra: Vec<ServerExtension>) -> Vec<u8> {
    let mut extensions = vec![
        ServerExtension::SupportedVersions(ProtocolVersion::Tls13),
        ServerExtension::KeyShare(KeyShareEntry {
            group: 0x001d,
            payload: vec![9; 32],
        }),
    ];
    extensions.extend(extra);
    let sh = ServerHello {
        legacy_version: ProtocolVersion::Tls12,
        random: [7; 32],
        session_id: ch.session_id.clone(),
        cipher_suite: CipherSuite::Aes128GcmSha256,
        compression_method: 0,
        extensions,
        extensions_omitted: false,
    };
    handshake_records(&HandshakeMessage(HandshakePayload::ServerHello(sh)).get_encoding())
}

#[test]
fn alpn_or_cookie_in_server_hello_is_illegal_parameter() {
    for ext in [
        ServerExtension::Unknown(ExtensionType::Alpn, vec![0, 3, 2, b'h', b'2']),
        ServerExtension::Unknown(ExtensionType::Cookie, vec![0, 1, 1]),
        ServerExtension::Unknown(ExtensionType::ServerName, vec![]),
    ] {
        let (mut c, first) = fresh_client();
        let err = feed(&mut c, &server_hello(&first, vec![ext])).expect_err("refused");
        assert_eq!(
            err.alert(),
            Some(AlertDescription::IllegalParameter),
            "{err}"
        );
        assert_eq!(drain(&mut c), vec![21, 3, 3, 0, 2, 2, 47]);
    }
}

#[test]
fn unknown_or_unoffered_extension_in_server_hello_is_unsupported_extension() {
    for ext in [
        ServerExtension::Unknown(ExtensionType::from_u16(0x1234), vec![]),
        ServerExtension::PreSharedKey(0), // we offered no PSK
    ] {
        let (mut c, first) = fresh_client();
        let err = feed(&mut c, &server_hello(&first, vec![ext])).expect_err("refused");
        assert_eq!(
            err.alert(),
            Some(AlertDescription::UnsupportedExtension),
            "{err}"
        );
        assert_eq!(drain(&mut c), vec![21, 3, 3, 0, 2, 2, 110]);
    }
}
