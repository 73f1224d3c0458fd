//! Protocol violations and rejected peers: each test asserts the error and the alert on the wire.

mod common;

use std::sync::{Arc, Mutex};

use common::*;
use https_handshake::codec::*;
use https_handshake::{
    AlertDescription, CertifiedKey, ClientConnection, Error, KeyLog, NamedGroup, Negotiable,
    PeerMisbehaved, ServerConfig, ServerConnection, SigningKey, SniResolver, Tls13Suite,
};
use https_pki::{time, CaOptions, CertificateAuthority, Profile, Validity};
use https_record::{ContentType, RecordOpener, RecordSealer};
use rustls::crypto::ring::{cipher_suite, kx_group};

fn our_server() -> ServerConnection {
    let p = pki();
    let cfg = serving(&p.ecdsa)
        .with_groups(&[NamedGroup::X25519, NamedGroup::Secp256r1])
        .with_cipher_suites(&[Tls13Suite::Aes128GcmSha256])
        .build()
        .unwrap();
    ServerConnection::new(Arc::new(cfg)).unwrap()
}

fn our_client(anchors_of: &CertificateAuthority, name: &str) -> ClientConnection {
    let cfg = trusting(anchors_of).build().unwrap();
    ClientConnection::new(Arc::new(cfg), name).unwrap()
}

fn default_rustls_server(leaf: &Leaf) -> rustls::ServerConnection {
    let server = rustls_server(
        rustls_provider(cipher_suite::TLS13_AES_128_GCM_SHA256, kx_group::X25519),
        leaf,
        &[],
    );
    rustls::ServerConnection::new(server).unwrap()
}

/// A plaintext fatal alert record.
fn alert_record(d: AlertDescription) -> [u8; 7] {
    [21, 3, 3, 0, 2, 2, d.to_u8()]
}

/// Feeds raw bytes to a fresh server; returns its error and what it wrote back.
fn server_rejects(bytes: &[u8]) -> (Error, Vec<u8>) {
    let mut s = our_server();
    let mut rd = bytes;
    let mut err = None;
    while !rd.is_empty() && err.is_none() {
        s.read_tls(&mut rd).unwrap();
        err = s.process_new_packets().err();
    }
    let mut out = Vec::new();
    while s.wants_write() {
        s.write_tls(&mut out).unwrap();
    }
    (err.expect("server must reject"), out)
}

/// The first flight of a rustls TLS 1.3 client, as (record header removed) ClientHello message bytes.
fn rustls_client_hello() -> Vec<u8> {
    let p = pki();
    let cfg = rustls_client(
        rustls_provider(cipher_suite::TLS13_AES_128_GCM_SHA256, kx_group::X25519),
        &p.ca,
        &[],
    );
    let mut c = rustls_client_conn(cfg, "localhost");
    let mut out = Vec::new();
    c.write_tls(&mut out).unwrap();
    assert_eq!(out[0], 22);
    out[5..].to_vec()
}

fn record(typ: u8, body: &[u8]) -> Vec<u8> {
    let mut r = vec![typ, 3, 3];
    r.extend_from_slice(&(body.len() as u16).to_be_bytes());
    r.extend_from_slice(body);
    r
}

fn mutate_hello(f: impl FnOnce(&mut ClientHello)) -> Vec<u8> {
    let msg = HandshakeMessage::read_bytes(&rustls_client_hello()).unwrap();
    let HandshakePayload::ClientHello(mut ch) = msg.0 else {
        panic!()
    };
    f(&mut ch);
    record(
        22,
        &HandshakeMessage(HandshakePayload::ClientHello(ch)).get_encoding(),
    )
}

fn client_fails_with(
    mut c: ClientConnection,
    s: &mut dyn Side,
    alert: AlertDescription,
    peer_sees: rustls::AlertDescription,
) {
    let mut ours = Ours::new(&mut *c);
    let (_, s_err) = handshake(&mut ours, s).expect_err("must fail");
    assert_eq!(
        c.error().and_then(Error::alert),
        Some(alert),
        "{:?}",
        c.error()
    );
    let s_err = s_err.expect("server saw the alert");
    assert_eq!(s_err.rustls_got_alert(), Some(peer_sees), "{s_err}");
}

#[test]
fn wrong_name_is_bad_certificate() {
    let p = pki();
    let mut s = Theirs::new(default_rustls_server(&p.ecdsa));
    client_fails_with(
        our_client(&p.ca, "other.example"),
        &mut s,
        AlertDescription::BadCertificate,
        rustls::AlertDescription::BadCertificate,
    );
}

#[test]
fn untrusted_ca_is_unknown_ca() {
    let p = pki();
    let other = CertificateAuthority::new_root(&CaOptions::root("someone else")).unwrap();
    let mut s = Theirs::new(default_rustls_server(&p.ecdsa));
    client_fails_with(
        our_client(&other, "localhost"),
        &mut s,
        AlertDescription::UnknownCa,
        rustls::AlertDescription::UnknownCA,
    );
}

#[test]
fn expired_certificate_is_certificate_expired() {
    let p = pki();
    let now = time::OffsetDateTime::now_utc();
    let validity = Validity::between(
        now - time::Duration::days(30),
        now - time::Duration::days(1),
    );
    let expired = leaf(
        &p.ca,
        &["localhost"],
        &Profile::server().validity(validity).without_policy(),
    );
    let mut s = Theirs::new(default_rustls_server(&expired));
    client_fails_with(
        our_client(&p.ca, "localhost"),
        &mut s,
        AlertDescription::CertificateExpired,
        rustls::AlertDescription::CertificateExpired,
    );
}

#[derive(Debug, Default)]
struct Secrets(Mutex<Vec<(String, Vec<u8>)>>);
impl Secrets {
    fn get(&self, label: &str) -> Vec<u8> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .find(|(l, _)| l == label)
            .map(|(_, s)| s.clone())
            .expect(label)
    }
}
impl rustls::KeyLog for Secrets {
    fn log(&self, label: &str, _: &[u8], secret: &[u8]) {
        self.0
            .lock()
            .unwrap()
            .push((label.to_string(), secret.to_vec()));
    }
    fn will_log(&self, _: &str) -> bool {
        true
    }
}
impl KeyLog for Secrets {
    fn log(&self, label: &str, _: &[u8], secret: &[u8]) {
        self.0
            .lock()
            .unwrap()
            .push((label.to_string(), secret.to_vec()));
    }
}

/// Decrypts the protected handshake records in `flight` with `secret`, flips the last byte of the
/// Finished message, and re-encrypts; plaintext records (ServerHello, CCS) pass through.
fn tamper_finished(flight: &[u8], secret: &[u8]) -> Vec<u8> {
    let suite = Tls13Suite::Aes128GcmSha256;
    let mut opener = RecordOpener::from_secret(suite, secret);
    let mut out = Vec::new();
    let mut hs = Vec::new();
    let mut rest = flight;
    while rest.len() >= 5 {
        let len = u16::from_be_bytes([rest[3], rest[4]]) as usize;
        let (rec, tail) = rest.split_at(5 + len);
        rest = tail;
        if rec[0] == 23 {
            let mut r = rec.to_vec();
            let (typ, plain) = opener.open_in_place(&mut r).unwrap();
            assert_eq!(typ, ContentType::Handshake);
            hs.extend_from_slice(plain);
        } else {
            out.extend_from_slice(rec);
        }
    }
    // Find the Finished message and flip its last byte.
    let mut at = 0;
    let mut found = false;
    while at + 4 <= hs.len() {
        let len = u32::from_be_bytes([0, hs[at + 1], hs[at + 2], hs[at + 3]]) as usize;
        if hs[at] == 20 {
            hs[at + 3 + len] ^= 1;
            found = true;
        }
        at += 4 + len;
    }
    assert!(found, "no Finished in the flight");
    let mut sealer = RecordSealer::from_secret(suite, secret);
    let mut sealed = bytes::BytesMut::new();
    sealer
        .seal_fragmented(ContentType::Handshake, &hs, 16384, &mut sealed)
        .unwrap();
    out.extend_from_slice(&sealed);
    out
}

#[test]
fn tampered_server_finished_is_decrypt_error() {
    let p = pki();
    let log = Arc::new(Secrets::default());
    let server = rustls_server(
        rustls_provider(cipher_suite::TLS13_AES_128_GCM_SHA256, kx_group::X25519),
        &p.ecdsa,
        &[],
    );
    let mut server = Arc::try_unwrap(server).unwrap();
    server.key_log = log.clone();
    let mut s = Theirs::new(rustls::ServerConnection::new(Arc::new(server)).unwrap());
    let mut c = Ours::new(our_client(&p.ca, "localhost"));
    let ch = c.out();
    s.feed(&ch).unwrap();
    let flight = tamper_finished(&s.out(), &log.get("SERVER_HANDSHAKE_TRAFFIC_SECRET"));
    c.feed(&flight).expect_err("tampered Finished");
    assert!(
        matches!(
            c.conn.error(),
            Some(Error::Protocol {
                alert: AlertDescription::DecryptError,
                reason: PeerMisbehaved::BadFinished(_),
            })
        ),
        "{:?}",
        c.conn.error()
    );
    // The alert (under the client handshake key) reaches rustls.
    let alert = c.out();
    let s_err = s.feed(&alert).expect_err("server sees the alert");
    assert_eq!(
        s_err.rustls_got_alert(),
        Some(rustls::AlertDescription::DecryptError),
        "{s_err}"
    );
}

#[test]
fn tampered_client_finished_is_decrypt_error() {
    let p = pki();
    let log = Arc::new(Secrets::default());
    let server = serving(&p.ecdsa).with_key_log(log.clone()).build().unwrap();
    let mut s = Ours::new(ServerConnection::new(Arc::new(server)).unwrap());
    let cfg = rustls_client(
        rustls_provider(cipher_suite::TLS13_AES_128_GCM_SHA256, kx_group::X25519),
        &p.ca,
        &[],
    );
    let mut c = Theirs::new(rustls_client_conn(cfg, "localhost"));
    let ch = c.out();
    s.feed(&ch).unwrap();
    let flight = s.out();
    c.feed(&flight).unwrap();
    let fin = tamper_finished(&c.out(), &log.get("CLIENT_HANDSHAKE_TRAFFIC_SECRET"));
    s.feed(&fin).expect_err("tampered Finished");
    assert!(
        matches!(
            s.conn.error(),
            Some(Error::Protocol {
                alert: AlertDescription::DecryptError,
                reason: PeerMisbehaved::BadFinished(_),
            })
        ),
        "{:?}",
        s.conn.error()
    );
    let alert = s.out();
    let c_err = c.feed(&alert).expect_err("client sees the alert");
    assert_eq!(
        c_err.rustls_got_alert(),
        Some(rustls::AlertDescription::DecryptError),
        "{c_err}"
    );
}

#[test]
fn truncated_client_hello_is_decode_error() {
    let ch = rustls_client_hello();
    for cut in [10, 40, 80, ch.len() - 3] {
        // A complete record and handshake header whose body stops early: every inner length is checked.
        let mut m = ch[..cut].to_vec();
        let body = (cut - 4) as u32;
        m[1..4].copy_from_slice(&body.to_be_bytes()[1..]);
        let (err, out) = server_rejects(&record(22, &m));
        assert_eq!(
            err.alert(),
            Some(AlertDescription::DecodeError),
            "cut {cut}: {err}"
        );
        assert_eq!(out, alert_record(AlertDescription::DecodeError));
    }
}

#[test]
fn duplicate_extension_is_illegal_parameter() {
    let bytes = mutate_hello(|ch| {
        let dup = ch
            .extensions
            .iter()
            .find(|e| e.ext_type() == ExtensionType::SupportedGroups)
            .unwrap()
            .clone();
        ch.extensions.insert(0, dup);
    });
    let (err, out) = server_rejects(&bytes);
    assert_eq!(
        err.alert(),
        Some(AlertDescription::IllegalParameter),
        "{err}"
    );
    assert_eq!(out, alert_record(AlertDescription::IllegalParameter));
}

#[test]
fn missing_key_share_is_missing_extension() {
    let bytes = mutate_hello(|ch| {
        ch.extensions
            .retain(|e| e.ext_type() != ExtensionType::KeyShare)
    });
    let (err, out) = server_rejects(&bytes);
    assert_eq!(
        err.alert(),
        Some(AlertDescription::MissingExtension),
        "{err}"
    );
    assert_eq!(out, alert_record(AlertDescription::MissingExtension));
}

#[test]
fn grease_and_unknown_extensions_are_ignored() {
    let bytes = mutate_hello(|ch| {
        ch.cipher_suites.insert(0, CipherSuite::Unknown(0x0a0a));
        ch.extensions.insert(
            0,
            ClientExtension::Unknown(ExtensionType::from_u16(0x1a1a), vec![]),
        );
        ch.extensions.insert(
            1,
            ClientExtension::Unknown(ExtensionType::from_u16(0xfe0d), vec![1, 2, 3]),
        );
        for e in &mut ch.extensions {
            if let ClientExtension::SupportedGroups(g) = e {
                g.insert(0, 0x2a2a);
            }
            if let ClientExtension::SupportedVersions(v) = e {
                v.insert(0, ProtocolVersion::Unknown(0x3a3a));
            }
        }
    });
    let mut s = our_server();
    let mut rd = &bytes[..];
    s.read_tls(&mut rd).unwrap();
    s.process_new_packets().expect("GREASE is tolerated");
    assert_eq!(s.negotiated_group(), Some(NamedGroup::X25519));
}

#[test]
fn wrong_first_message_is_unexpected_message() {
    let fin = HandshakeMessage(HandshakePayload::Finished(vec![0; 32])).get_encoding();
    let (err, out) = server_rejects(&record(22, &fin));
    assert_eq!(
        err.alert(),
        Some(AlertDescription::UnexpectedMessage),
        "{err}"
    );
    assert_eq!(out, alert_record(AlertDescription::UnexpectedMessage));
    // Application data before any key: unexpected_message from the record layer.
    let (err, _) = server_rejects(&record(23, &[0; 40]));
    assert_eq!(
        err.alert(),
        Some(AlertDescription::UnexpectedMessage),
        "{err}"
    );
}

#[test]
fn no_common_group_or_suite_is_handshake_failure() {
    let p = pki();
    for (suite, group) in [
        (cipher_suite::TLS13_AES_128_GCM_SHA256, kx_group::SECP384R1),
        (cipher_suite::TLS13_AES_256_GCM_SHA384, kx_group::X25519),
    ] {
        let cfg = rustls_client(rustls_provider(suite, group), &p.ca, &[]);
        let mut c = Theirs::new(rustls_client_conn(cfg, "localhost"));
        let mut s = Ours::new(our_server());
        let (c_err, _) = handshake(&mut c, &mut s).expect_err("no overlap");
        assert!(
            matches!(
                s.conn.error(),
                Some(Error::Protocol {
                    alert: AlertDescription::HandshakeFailure,
                    reason: PeerMisbehaved::NothingInCommon(
                        Negotiable::Group | Negotiable::CipherSuite
                    ),
                })
            ),
            "{:?}",
            s.conn.error()
        );
        assert_eq!(
            c_err.and_then(|e| e.rustls_got_alert()),
            Some(rustls::AlertDescription::HandshakeFailure)
        );
    }
}

#[test]
fn tls12_only_client_gets_protocol_version() {
    let p = pki();
    // Name the provider: with aws-lc-rs also built (the post-quantum peer) there is no default.
    let ring = Arc::new(rustls::crypto::ring::default_provider());
    let cfg = rustls::ClientConfig::builder_with_provider(ring)
        .with_protocol_versions(&[&rustls::version::TLS12])
        .unwrap()
        .with_root_certificates(rustls_roots(&p.ca))
        .with_no_client_auth();
    let mut c = Theirs::new(rustls_client_conn(Arc::new(cfg), "localhost"));
    let mut s = Ours::new(our_server());
    let (c_err, _) = handshake(&mut c, &mut s).expect_err("TLS 1.2 only");
    assert!(
        matches!(
            s.conn.error(),
            Some(Error::Protocol {
                alert: AlertDescription::ProtocolVersion,
                reason: PeerMisbehaved::NoTls13Offered,
            })
        ),
        "{:?}",
        s.conn.error()
    );
    assert_eq!(
        c_err.and_then(|e| e.rustls_got_alert()),
        Some(rustls::AlertDescription::ProtocolVersion)
    );
}

#[test]
fn alpn_mismatch_is_no_application_protocol() {
    let p = pki();
    let cfg = rustls_client(
        rustls_provider(cipher_suite::TLS13_AES_128_GCM_SHA256, kx_group::X25519),
        &p.ca,
        &[b"spdy/1"],
    );
    let mut c = Theirs::new(rustls_client_conn(cfg, "localhost"));
    let server = serving(&p.ecdsa)
        .with_alpn(&[b"h2", b"http/1.1"])
        .build()
        .unwrap();
    let mut s = Ours::new(ServerConnection::new(Arc::new(server)).unwrap());
    let (c_err, _) = handshake(&mut c, &mut s).expect_err("no ALPN overlap");
    assert_eq!(
        c_err.and_then(|e| e.rustls_got_alert()),
        Some(rustls::AlertDescription::NoApplicationProtocol)
    );
    assert_eq!(
        s.conn.error().and_then(Error::peer_misbehaved),
        Some(&PeerMisbehaved::NothingInCommon(Negotiable::AlpnProtocol))
    );
}

#[test]
fn sni_selects_the_certificate() {
    let p = pki();
    let a = https_pki::CertificateAuthority::new_root(&CaOptions::root("CA A")).unwrap();
    let leaf_a = leaf(&a, &["a.test"], &Profile::server());
    let leaf_b = leaf(&p.ca, &["b.test"], &Profile::server());
    let mut r = SniResolver::new();
    r.add(
        "a.test",
        CertifiedKey::new(
            leaf_a.chain.clone(),
            SigningKey::from_der(&leaf_a.key_pkcs8).unwrap(),
        )
        .unwrap(),
    );
    r.add(
        "b.test",
        CertifiedKey::new(
            leaf_b.chain.clone(),
            SigningKey::from_der(&leaf_b.key_pkcs8).unwrap(),
        )
        .unwrap(),
    );
    let server = Arc::new(
        ServerConfig::builder()
            .with_cert_resolver(Arc::new(r))
            .build()
            .unwrap(),
    );
    for (name, ca) in [("a.test", &a), ("b.test", &p.ca)] {
        let mut c = Ours::new(our_client(ca, name));
        let mut s = Ours::new(ServerConnection::new(server.clone()).unwrap());
        handshake(&mut c, &mut s).unwrap();
        assert_eq!(s.conn.server_name(), Some(name));
    }
    // Unknown name and no default: unrecognized_name.
    let mut c = Ours::new(our_client(&p.ca, "c.test"));
    let mut s = Ours::new(ServerConnection::new(server).unwrap());
    handshake(&mut c, &mut s).expect_err("unknown name");
    assert!(
        matches!(
            s.conn.error(),
            Some(Error::Protocol {
                alert: AlertDescription::UnrecognizedName,
                reason: PeerMisbehaved::NoCertificateForName,
            })
        ),
        "{:?}",
        s.conn.error()
    );
    assert_eq!(
        c.conn.error(),
        Some(&Error::AlertReceived(AlertDescription::UnrecognizedName))
    );
}

#[test]
fn errors_are_sticky_and_nothing_panics_on_garbage() {
    // Random-ish garbage after a valid header never panics and always yields an alert.
    for seed in 0u32..200 {
        let body: Vec<u8> = (0..(seed % 97 + 4))
            .map(|i| (i.wrapping_mul(seed).wrapping_add(seed * 31) % 251) as u8)
            .collect();
        let mut s = our_server();
        let rec = record(22, &body);
        let mut rd = &rec[..];
        s.read_tls(&mut rd).unwrap();
        if let Err(e) = s.process_new_packets() {
            assert!(e.alert().is_some(), "{e}");
            assert_eq!(s.process_new_packets().unwrap_err(), e, "sticky");
        }
    }
}

#[test]
fn record_size_limit_is_honoured() {
    // A ClientHello with record_size_limit = 64: every protected record from the server is small.
    let bytes = mutate_hello(|ch| {
        ch.extensions
            .insert(0, ClientExtension::RecordSizeLimit(64))
    });
    let mut s = our_server();
    let mut rd = &bytes[..];
    s.read_tls(&mut rd).unwrap();
    s.process_new_packets().unwrap();
    let mut out = Vec::new();
    while s.wants_write() {
        s.write_tls(&mut out).unwrap();
    }
    let mut rest = &out[..];
    let mut protected = 0;
    while rest.len() >= 5 {
        let len = u16::from_be_bytes([rest[3], rest[4]]) as usize;
        if rest[0] == 23 {
            assert!(
                len <= 64 + 16,
                "protected record of {len} bytes exceeds the limit"
            );
            protected += 1;
        }
        rest = &rest[5 + len..];
    }
    assert!(
        protected > 5,
        "the server flight was split into many small records"
    );
    // Below 64 is illegal_parameter.
    let bytes = mutate_hello(|ch| {
        ch.extensions
            .insert(0, ClientExtension::RecordSizeLimit(63))
    });
    let (err, _) = server_rejects(&bytes);
    assert_eq!(err.alert(), Some(AlertDescription::IllegalParameter));
}

#[test]
fn client_hello_reassembled_across_tiny_records() {
    let ch = rustls_client_hello();
    let mut wire = Vec::new();
    for chunk in ch.chunks(7) {
        wire.extend_from_slice(&record(22, chunk));
    }
    let mut s = our_server();
    let mut rd = &wire[..];
    while !rd.is_empty() {
        s.read_tls(&mut rd).unwrap();
        s.process_new_packets().expect("fragments are reassembled");
    }
    assert_eq!(s.negotiated_group(), Some(NamedGroup::X25519));
    assert!(s.wants_write());
}

#[test]
fn data_after_client_hello_in_the_same_record_is_unexpected() {
    // The server's read key changes after the ClientHello; a message may not span that change.
    let mut ch = rustls_client_hello();
    ch.extend_from_slice(&HandshakeMessage(HandshakePayload::Finished(vec![0; 32])).get_encoding());
    let (err, out) = server_rejects(&record(22, &ch));
    assert_eq!(
        err.alert(),
        Some(AlertDescription::UnexpectedMessage),
        "{err}"
    );
    // The alert goes out under the server's handshake key by then: a protected record.
    assert!(!out.is_empty());
}
