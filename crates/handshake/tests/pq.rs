//! The post-quantum hybrid groups (draft-ietf-tls-ecdhe-mlkem): ML-KEM-768 known answers
//! (Wycheproof vectors in tests/data/mlkem768), a hybrid handshake whose shared secret this test
//! recomputes with an independent ML-KEM (RustCrypto `ml-kem`) and ring, the exact length and
//! key checks as alerts on the wire, the defaults, and interop with rustls on aws-lc-rs.

mod common;
mod wire;

use std::sync::Arc;

use common::*;
use https_handshake::codec::*;
use https_handshake::{
    mlkem_kat, AlertDescription, ClientConnection, NamedGroup, ServerConnection,
};
use ring::agreement;
use ring::hkdf;
use rustls::crypto::ring::{cipher_suite, kx_group};
use wire::*;

const KEM: u16 = 0x11ec;

fn data(name: &str) -> Vec<serde_json::Value> {
    let path = format!("{}/tests/data/mlkem768/{name}", env!("CARGO_MANIFEST_DIR"));
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    v["tests"].as_array().unwrap().clone()
}

fn hex_of(t: &serde_json::Value, k: &str) -> Vec<u8> {
    hex::decode(t[k].as_str().unwrap()).unwrap()
}

fn valid(t: &serde_json::Value) -> bool {
    t["result"].as_str() == Some("valid")
}

#[test]
fn mlkem768_keygen_known_answers() {
    let tests = data("keygen.json");
    assert!(tests.len() >= 3);
    for t in &tests {
        let seed: [u8; 64] = hex_of(t, "seed").try_into().unwrap();
        let (ek, dk) = mlkem_kat::keygen(&seed);
        assert_eq!(ek, hex_of(t, "ek"), "tcId {}", t["tcId"]);
        assert_eq!(dk, hex_of(t, "dk"), "tcId {}", t["tcId"]);
    }
}

#[test]
fn mlkem768_encapsulation_known_answers_and_key_checks() {
    let tests = data("encaps.json");
    let (mut good, mut bad) = (0, 0);
    for t in &tests {
        let m: [u8; 32] = hex_of(t, "m").try_into().unwrap();
        let r = mlkem_kat::encapsulate(&hex_of(t, "ek"), &m);
        if valid(t) {
            let (c, k) = r.unwrap();
            assert_eq!(c, hex_of(t, "c"), "tcId {}", t["tcId"]);
            assert_eq!(k.to_vec(), hex_of(t, "K"), "tcId {}", t["tcId"]);
            good += 1;
        } else {
            let e = r.expect_err("an invalid encapsulation key is refused");
            assert_eq!(e.alert(), Some(AlertDescription::IllegalParameter));
            bad += 1;
        }
    }
    assert!(good >= 4 && bad >= 6, "{good} valid, {bad} invalid");
}

#[test]
fn mlkem768_decapsulation_known_answers_with_implicit_rejection() {
    let tests = data("decaps.json");
    let (mut good, mut bad) = (0, 0);
    for t in &tests {
        let seed: [u8; 64] = hex_of(t, "seed").try_into().unwrap();
        let r = mlkem_kat::decapsulate(&seed, &hex_of(t, "c"));
        if valid(t) {
            assert_eq!(r.unwrap().to_vec(), hex_of(t, "K"), "tcId {}", t["tcId"]);
            good += 1;
        } else {
            assert!(r.is_err(), "tcId {}", t["tcId"]);
            bad += 1;
        }
    }
    assert!(good >= 6 && bad >= 1, "{good} valid, {bad} invalid");
}

/// A rustls ClientHello (x25519, AES-128-GCM) with its groups and shares replaced.
fn hello_with(groups: Vec<u16>, shares: Vec<KeyShareEntry>) -> ClientHello {
    let p = pki();
    let cfg = rustls_client(
        rustls_provider(cipher_suite::TLS13_AES_128_GCM_SHA256, kx_group::X25519),
        &p.ca,
        &[],
    );
    let mut c = rustls_client_conn(cfg, "localhost");
    let mut out = Vec::new();
    c.write_tls(&mut out).unwrap();
    let HandshakePayload::ClientHello(mut ch) = HandshakeMessage::read_bytes(&out[5..]).unwrap().0
    else {
        unreachable!()
    };
    for e in &mut ch.extensions {
        match e {
            ClientExtension::SupportedGroups(v) => *v = groups.clone(),
            ClientExtension::KeyShare(v) => *v = shares.clone(),
            _ => {}
        }
    }
    ch
}

fn hello_bytes(ch: ClientHello) -> Vec<u8> {
    HandshakeMessage(HandshakePayload::ClientHello(ch)).get_encoding()
}

/// HKDF-Expand-Label (RFC 8446 §7.1) over SHA-256, with ring only.
fn expand_label(prk: &hkdf::Prk, label: &str, context: &[u8]) -> [u8; 32] {
    let full = [b"tls13 ".as_slice(), label.as_bytes()].concat();
    let len = 32u16.to_be_bytes();
    let (ll, cl) = ([full.len() as u8], [context.len() as u8]);
    let info = [&len[..], &ll, &full, &cl, context];
    let mut out = [0u8; 32];
    prk.expand(&info, hkdf::HKDF_SHA256)
        .unwrap()
        .fill(&mut out)
        .unwrap();
    out
}

/// client_handshake_traffic_secret from a shared secret and the transcript CH ‖ SH.
fn client_hs_secret(shared: &[u8], transcript: &[u8]) -> Vec<u8> {
    let sha = |d: &[u8]| ring::digest::digest(&ring::digest::SHA256, d);
    let early = hkdf::Salt::new(hkdf::HKDF_SHA256, &[0; 32]).extract(&[0; 32]);
    let derived = expand_label(&early, "derived", sha(b"").as_ref());
    let hs = hkdf::Salt::new(hkdf::HKDF_SHA256, &derived).extract(shared);
    expand_label(&hs, "c hs traffic", sha(transcript).as_ref()).to_vec()
}

#[test]
fn hybrid_shared_secret_is_mlkem_then_x25519_recomputed_independently() {
    use ml_kem::kem::{Decapsulate, KeyExport};
    let dk = ml_kem::ml_kem_768::DecapsulationKey::from_seed([7u8; 64].into());
    let ek = dk.encapsulation_key().to_bytes().to_vec();
    let rng = ring::rand::SystemRandom::new();
    let x = agreement::EphemeralPrivateKey::generate(&agreement::X25519, &rng).unwrap();
    let x_pub = x.compute_public_key().unwrap().as_ref().to_vec();
    let share = KeyShareEntry {
        group: KEM,
        payload: [ek.clone(), x_pub].concat(),
    };
    assert_eq!(share.payload.len(), 1184 + 32);
    let ch = hello_bytes(hello_with(vec![KEM], vec![share]));
    let (mut s, log) = server_with(&[NamedGroup::X25519MlKem768]);
    feed(&mut s, &handshake_records(&ch)).unwrap();
    let out = drain(&mut s);
    let (typ, sh_rec) = split_records(&out).remove(0);
    assert_eq!(typ, 22);
    let sh_msg = &sh_rec[5..];
    let HandshakePayload::ServerHello(sh) = HandshakeMessage::read_bytes(sh_msg).unwrap().0 else {
        panic!("not a ServerHello")
    };
    let Some(ServerExtension::KeyShare(theirs)) = sh.ext(ExtensionType::KeyShare) else {
        panic!("no key share")
    };
    assert_eq!(theirs.group, KEM);
    assert_eq!(theirs.payload.len(), 1088 + 32, "ciphertext ‖ X25519");
    let (ct, their_x) = theirs.payload.split_at(1088);
    let kem_ss = dk.decapsulate_slice(ct).unwrap().to_vec();
    let dh = agreement::agree_ephemeral(
        x,
        &agreement::UnparsedPublicKey::new(&agreement::X25519, their_x),
        |s| s.to_vec(),
    )
    .unwrap();
    let transcript = [ch.as_slice(), sh_msg].concat();
    let logged = log.get("CLIENT_HANDSHAKE_TRAFFIC_SECRET");
    let ours = client_hs_secret(&[kem_ss.as_slice(), &dh].concat(), &transcript);
    assert_eq!(
        logged, ours,
        "secret = ML-KEM shared secret ‖ X25519 secret"
    );
    let swapped = client_hs_secret(&[dh.as_slice(), &kem_ss].concat(), &transcript);
    assert_ne!(logged, swapped, "the order matters");
    assert_eq!(s.negotiated_group(), Some(NamedGroup::X25519MlKem768));
}

fn alert_record(d: AlertDescription) -> Vec<u8> {
    vec![21, 3, 3, 0, 2, 2, d.to_u8()]
}

/// Our default server refuses this hybrid share with a plaintext illegal_parameter alert.
fn server_refuses_share(group: u16, payload: Vec<u8>, why: &str) {
    let ch = hello_bytes(hello_with(
        vec![group, 0x001d],
        vec![KeyShareEntry { group, payload }],
    ));
    let cfg = https_handshake::ServerConfig::builder()
        .with_single_cert(pki().ecdsa.chain.clone(), &pki().ecdsa.key_pkcs8)
        .unwrap()
        .with_groups(&NamedGroup::ALL)
        .build()
        .unwrap();
    let mut s = ServerConnection::new(Arc::new(cfg)).unwrap();
    let err = feed(&mut s, &handshake_records(&ch)).expect_err(why);
    assert_eq!(
        err.alert(),
        Some(AlertDescription::IllegalParameter),
        "{why}: {err}"
    );
    assert_eq!(
        drain(&mut s),
        alert_record(AlertDescription::IllegalParameter),
        "{why}"
    );
}

fn good_ek() -> Vec<u8> {
    mlkem_kat::keygen(&[1; 64]).0
}

fn x25519_pub() -> Vec<u8> {
    let rng = ring::rand::SystemRandom::new();
    let x = agreement::EphemeralPrivateKey::generate(&agreement::X25519, &rng).unwrap();
    x.compute_public_key().unwrap().as_ref().to_vec()
}

#[test]
fn hybrid_client_share_of_a_wrong_length_is_illegal_parameter() {
    let full = [good_ek(), x25519_pub()].concat();
    for len in [1, 32, 1184, 1215, 1217, 1088 + 32] {
        let mut p = full.clone();
        p.resize(len, 7);
        server_refuses_share(KEM, p, &format!("{len} bytes"));
    }
    // SecP256r1MLKEM768 is 65 + 1184 bytes, point first.
    server_refuses_share(0x11eb, full.clone(), "X25519MLKEM768-sized P-256 hybrid");
}

#[test]
fn hybrid_share_with_a_bad_mlkem_key_or_point_is_illegal_parameter() {
    let overflow = data("encaps.json")
        .into_iter()
        .find(|t| t["flags"].to_string().contains("ModulusOverflow"))
        .unwrap();
    let bad_ek = hex_of(&overflow, "ek");
    assert!(mlkem_kat::encapsulate(&bad_ek, &[0; 32]).is_err());
    server_refuses_share(KEM, [bad_ek, x25519_pub()].concat(), "modulus overflow");
    // A low-order X25519 point (all zeros) gives an all-zero secret: refused.
    server_refuses_share(KEM, [good_ek(), vec![0; 32]].concat(), "zero X25519 point");
    // SecP256r1MLKEM768: a compressed-looking point, then one off the curve.
    let p = [vec![0x02], vec![1; 64], good_ek()].concat();
    server_refuses_share(0x11eb, p, "not an uncompressed point");
    let p = [vec![0x04], vec![1; 64], good_ek()].concat();
    server_refuses_share(0x11eb, p, "P-256 point off the curve");
}

/// Our default client against our server whose ServerHello key share `f` rewrites: the client
/// answers with a plaintext illegal_parameter alert.
fn client_refuses_server_share(f: impl Fn(&mut KeyShareEntry), why: &str) {
    let mut c = client_with_groups(&NamedGroup::DEFAULT);
    let mut s = server_with_groups(&NamedGroup::DEFAULT);
    feed(&mut s, &drain(&mut c)).unwrap();
    let recs = split_records(&drain(&mut s));
    let HandshakePayload::ServerHello(mut sh) =
        HandshakeMessage::read_bytes(&recs[0].1[5..]).unwrap().0
    else {
        panic!("not a ServerHello")
    };
    for e in &mut sh.extensions {
        if let ServerExtension::KeyShare(k) = e {
            f(k);
        }
    }
    let sh = HandshakeMessage(HandshakePayload::ServerHello(sh)).get_encoding();
    let err = feed(&mut c, &handshake_records(&sh)).expect_err(why);
    assert_eq!(
        err.alert(),
        Some(AlertDescription::IllegalParameter),
        "{why}: {err}"
    );
    assert_eq!(
        drain(&mut c),
        alert_record(AlertDescription::IllegalParameter),
        "{why}"
    );
}

#[test]
fn hybrid_server_share_of_a_wrong_length_or_group_is_illegal_parameter() {
    client_refuses_server_share(|k| k.payload.truncate(1119), "one byte short");
    client_refuses_server_share(|k| k.payload.push(0), "one byte long");
    client_refuses_server_share(|k| k.payload.truncate(1088), "no X25519 half");
    client_refuses_server_share(|k| k.group = 0x0017, "a group we sent no share for");
    client_refuses_server_share(|k| k.group = 0x001d, "the hybrid's answer labelled x25519");
    // The right length with a zero (low-order) X25519 half.
    client_refuses_server_share(|k| k.payload[1088..].fill(0), "zero X25519 half");
}

#[test]
fn defaults_offer_the_hybrid_and_x25519_shares_and_negotiate_the_hybrid() {
    let mut c = client_with_groups(&NamedGroup::DEFAULT);
    let ch_rec = drain(&mut c);
    let HandshakePayload::ClientHello(ch) = HandshakeMessage::read_bytes(&ch_rec[5..]).unwrap().0
    else {
        panic!()
    };
    let Some(ClientExtension::SupportedGroups(g)) = ch.ext(ExtensionType::SupportedGroups) else {
        panic!()
    };
    assert_eq!(g, &vec![0x11ec, 0x001d, 0x0017, 0x0018]);
    let Some(ClientExtension::KeyShare(k)) = ch.ext(ExtensionType::KeyShare) else {
        panic!()
    };
    let shares: Vec<_> = k.iter().map(|k| (k.group, k.payload.len())).collect();
    assert_eq!(shares, vec![(0x11ec, 1216), (0x001d, 32)]);
    // The builders' defaults are these lists.
    let built = https_handshake::ClientConfig::builder()
        .with_root_certificates(anchors(&pki().ca))
        .build()
        .unwrap();
    let mut c2 = ClientConnection::new(Arc::new(built), "localhost").unwrap();
    let ch2 = drain(&mut c2);
    assert_eq!(
        ch2.len(),
        ch_rec.len(),
        "same hello shape as the explicit defaults"
    );

    for (server_groups, want, hrr) in [
        (&NamedGroup::DEFAULT[..], NamedGroup::X25519MlKem768, false),
        (&[NamedGroup::X25519][..], NamedGroup::X25519, false),
        (&[NamedGroup::Secp256r1][..], NamedGroup::Secp256r1, true),
        (
            &[NamedGroup::Secp256r1MlKem768][..],
            NamedGroup::Secp256r1MlKem768,
            true,
        ),
    ] {
        let mut c = Ours::new(client_with_groups(&NamedGroup::ALL));
        let mut s = Ours::new(server_with_groups(server_groups));
        handshake(&mut c, &mut s).unwrap();
        assert_eq!(c.conn.negotiated_group(), Some(want));
        assert_eq!(s.conn.negotiated_group(), Some(want));
        assert_eq!(c.conn.had_hello_retry(), hrr, "{want}");
        assert_eq!(send(&mut c, &mut s, b"ping"), b"ping");
    }
}

fn aws_provider(
    groups: Option<Vec<&'static dyn rustls::crypto::SupportedKxGroup>>,
) -> Arc<rustls::crypto::CryptoProvider> {
    let mut p = rustls::crypto::aws_lc_rs::default_provider();
    if let Some(g) = groups {
        p.kx_groups = g;
    }
    Arc::new(p)
}

#[test]
fn rustls_aws_lc_rs_negotiates_the_hybrids_with_us_both_ways() {
    use rustls::crypto::aws_lc_rs::kx_group as aws;
    let p = pki();
    // rustls' default (prefer-post-quantum) lists X25519MLKEM768 first.
    let default_first = rustls::crypto::aws_lc_rs::default_provider().kx_groups[0].name();
    assert_eq!(default_first, rustls::NamedGroup::X25519MLKEM768);
    let cases: [(
        Option<Vec<&'static dyn rustls::crypto::SupportedKxGroup>>,
        NamedGroup,
    ); 3] = [
        (None, NamedGroup::X25519MlKem768),
        (
            Some(vec![aws::SECP256R1MLKEM768]),
            NamedGroup::Secp256r1MlKem768,
        ),
        (Some(vec![aws::X25519]), NamedGroup::X25519),
    ];
    for (groups, want) in cases {
        // rustls client -> our server (defaults, plus the P-256 hybrid).
        let mut c = Theirs::new(rustls_client_conn(
            rustls_client(aws_provider(groups.clone()), &p.ca, &[]),
            "localhost",
        ));
        let mut s = Ours::new(server_with_groups(&NamedGroup::ALL));
        handshake(&mut c, &mut s).unwrap();
        assert_eq!(s.conn.negotiated_group(), Some(want), "rustls -> us");
        assert!(!s.conn.had_hello_retry(), "rustls -> us {want}");
        assert_eq!(
            c.conn
                .negotiated_key_exchange_group()
                .map(|g| u16::from(g.name())),
            Some(want.to_u16())
        );
        assert_eq!(
            send(&mut c, &mut s, b"GET / HTTP/1.1\r\n\r\n"),
            b"GET / HTTP/1.1\r\n\r\n"
        );
        // our client -> rustls server.
        let client_groups = if want == NamedGroup::Secp256r1MlKem768 {
            vec![NamedGroup::Secp256r1MlKem768, NamedGroup::X25519]
        } else {
            NamedGroup::DEFAULT.to_vec()
        };
        let mut c = Ours::new(client_with_groups(&client_groups));
        let mut s = Theirs::new(
            rustls::ServerConnection::new(rustls_server(aws_provider(groups), &p.ecdsa, &[]))
                .unwrap(),
        );
        handshake(&mut c, &mut s).unwrap();
        assert_eq!(c.conn.negotiated_group(), Some(want), "us -> rustls");
        assert!(!c.conn.had_hello_retry(), "us -> rustls {want}");
        assert_eq!(
            send(&mut c, &mut s, b"HTTP/1.1 200 OK\r\n\r\n"),
            b"HTTP/1.1 200 OK\r\n\r\n"
        );
    }
}
