//! Quick side-by-side numbers against rustls (the real bench is `cargo xtask bench`):
//! full handshakes per second (x25519, ECDSA P-256 leaf under a root, client verifies) and heap bytes
//! per idle established server connection.
//!
//! `cargo run --release -p https-handshake --example perf`

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use https_handshake::{
    transfer, ClientConfig, ClientConnection, NamedGroup, ServerConfig, ServerConnection,
    Tls13Suite,
};
use https_pki::{CaOptions, CertificateAuthority, KeyType, Profile};
use ring::signature::KeyPair as _;

struct Counting;
static LIVE: AtomicIsize = AtomicIsize::new(0);
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        LIVE.fetch_add(l.size() as isize, Ordering::Relaxed);
        System.alloc(l)
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        LIVE.fetch_sub(l.size() as isize, Ordering::Relaxed);
        System.dealloc(p, l)
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        LIVE.fetch_add(n as isize - l.size() as isize, Ordering::Relaxed);
        System.realloc(p, l, n)
    }
}
#[global_allocator]
static A: Counting = Counting;

#[path = "support/rustls_pair.rs"]
mod support;
use support::rustls_pair;

/// Delivers the server's NewSessionTicket to the client.
fn drain_ticket_ours((mut c, mut s): (ClientConnection, ServerConnection)) {
    transfer(&mut s, &mut c).unwrap();
}

fn drain_ticket_rustls((mut c, mut s): (rustls::ClientConnection, rustls::ServerConnection)) {
    let mut buf = Vec::new();
    while s.wants_write() {
        s.write_tls(&mut buf).unwrap();
    }
    let mut rd = &buf[..];
    while !rd.is_empty() {
        c.read_tls(&mut rd).unwrap();
        c.process_new_packets().unwrap();
    }
}

fn ours_pair(c: &Arc<ClientConfig>, s: &Arc<ServerConfig>) -> (ClientConnection, ServerConnection) {
    let mut cc = ClientConnection::new(c.clone(), "localhost").unwrap();
    let mut sc = ServerConnection::new(s.clone()).unwrap();
    while cc.is_handshaking() || sc.is_handshaking() || cc.wants_write() {
        transfer(&mut cc, &mut sc).unwrap();
        transfer(&mut sc, &mut cc).unwrap();
    }
    (cc, sc)
}

fn main() {
    let ca = CertificateAuthority::new_root(&CaOptions::root("bench CA")).unwrap();
    let kt = if std::env::args().any(|a| a == "rsa") {
        KeyType::Rsa2048
    } else {
        KeyType::EcdsaP256
    };
    let leaf = ca
        .issue(&["localhost"], &Profile::server().key_type(kt))
        .unwrap();
    let anchors = https_verify::TrustAnchors::from_der_list([ca.cert_der()]).unwrap();
    let ours_c = Arc::new(
        ClientConfig::builder()
            .with_root_certificates(anchors)
            .with_cipher_suites(&[Tls13Suite::Aes128GcmSha256])
            .with_groups(&[NamedGroup::X25519])
            .build()
            .unwrap(),
    );
    let ours_s = Arc::new(
        ServerConfig::builder()
            .with_single_cert(vec![leaf.cert_der.clone()], leaf.key.pkcs8_der())
            .unwrap()
            .build()
            .unwrap(),
    );
    let mut prov = rustls::crypto::ring::default_provider();
    prov.cipher_suites = vec![rustls::crypto::ring::cipher_suite::TLS13_AES_128_GCM_SHA256];
    prov.kx_groups = vec![rustls::crypto::ring::kx_group::X25519];
    let prov = Arc::new(prov);
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca.cert_der().to_vec().into()).unwrap();
    let rc = Arc::new(
        rustls::ClientConfig::builder_with_provider(prov.clone())
            .with_protocol_versions(&[&rustls::version::TLS13])
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth(),
    );
    let mut rs = rustls::ServerConfig::builder_with_provider(prov)
        .with_protocol_versions(&[&rustls::version::TLS13])
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![leaf.cert_der.clone().into()],
            rustls::pki_types::PrivateKeyDer::Pkcs8(leaf.key.pkcs8_der().to_vec().into()),
        )
        .unwrap();
    rs.send_tls13_tickets = 0;
    let rs = Arc::new(rs);

    if std::env::args().any(|a| a == "verify") {
        let anchors = https_verify::TrustAnchors::from_der_list([ca.cert_der()]).unwrap();
        let name = https_verify::ServerName::parse("localhost").unwrap();
        let v = https_handshake::WebPkiVerifier::new(anchors.clone());
        let spki = https_verify::end_entity_spki(&leaf.cert_der).unwrap();
        let n = 2000;
        let t = Instant::now();
        for _ in 0..n {
            let req =
                https_verify::Request::new(&leaf.cert_der, &anchors, https_verify::unix_now())
                    .name(&name)
                    .purpose(https_verify::Purpose::Server);
            https_verify::verify_chain(&req).unwrap();
        }
        println!(
            "verify_chain: {:.1} us",
            t.elapsed().as_secs_f64() * 1e6 / n as f64
        );
        let t = Instant::now();
        for _ in 0..n {
            https_verify::end_entity_spki(&leaf.cert_der).unwrap();
        }
        println!(
            "end_entity_spki: {:.1} us",
            t.elapsed().as_secs_f64() * 1e6 / n as f64
        );
        let msg = [7u8; 130];
        let kp = ring::signature::EcdsaKeyPair::from_pkcs8(
            &ring::signature::ECDSA_P256_SHA256_ASN1_SIGNING,
            leaf.key.pkcs8_der(),
            &ring::rand::SystemRandom::new(),
        )
        .unwrap();
        let sig = kp.sign(&ring::rand::SystemRandom::new(), &msg).unwrap();
        let t = Instant::now();
        for _ in 0..n {
            https_handshake::SignatureVerifier::verify_signature(
                &v,
                &msg,
                &leaf.cert_der,
                https_handshake::SignatureScheme::EcdsaSecp256r1Sha256,
                sig.as_ref(),
            )
            .unwrap();
        }
        println!(
            "verify_signature (CV): {:.1} us",
            t.elapsed().as_secs_f64() * 1e6 / n as f64
        );
        let t = Instant::now();
        for _ in 0..n {
            ring::signature::UnparsedPublicKey::new(
                &ring::signature::ECDSA_P256_SHA256_ASN1,
                kp.public_key().as_ref(),
            )
            .verify(&msg, sig.as_ref())
            .unwrap();
        }
        println!(
            "raw ring ECDSA verify: {:.1} us",
            t.elapsed().as_secs_f64() * 1e6 / n as f64
        );
        let _ = spki;
        return;
    }
    if std::env::args().any(|a| a == "resume") {
        let ours_s = Arc::new(
            ServerConfig::builder()
                .with_single_cert(vec![leaf.cert_der.clone()], leaf.key.pkcs8_der())
                .unwrap()
                .with_session_tickets(true)
                .build()
                .unwrap(),
        );
        let mut rs2 = (*rs).clone();
        rs2.send_tls13_tickets = 1;
        let rs2 = Arc::new(rs2);
        // Prime both clients with a ticket.
        drain_ticket_ours(ours_pair(&ours_c, &ours_s));
        drain_ticket_rustls(rustls_pair(&rc, &rs2));
        let n = 500;
        let mut ratios = Vec::new();
        for _ in 0..5 {
            let t = Instant::now();
            for _ in 0..n {
                let pair = ours_pair(&ours_c, &ours_s);
                assert!(pair.0.is_resumed());
                drain_ticket_ours(pair);
            }
            let ours = n as f64 / t.elapsed().as_secs_f64();
            let t = Instant::now();
            for _ in 0..n {
                let pair = rustls_pair(&rc, &rs2);
                assert_eq!(
                    pair.0.handshake_kind(),
                    Some(rustls::HandshakeKind::Resumed)
                );
                drain_ticket_rustls(pair);
            }
            let theirs = n as f64 / t.elapsed().as_secs_f64();
            println!(
                "resumed handshakes/s: ours {ours:.0}  rustls {theirs:.0}  ratio {:.2}",
                ours / theirs
            );
            ratios.push(ours / theirs);
        }
        ratios.sort_by(|a, b| a.partial_cmp(b).unwrap());
        println!("median ratio {:.2}", ratios[ratios.len() / 2]);
        return;
    }
    if std::env::args().any(|a| a == "ours-only") {
        for _ in 0..3000 {
            drop(ours_pair(&ours_c, &ours_s));
        }
        return;
    }
    let n = 300;
    let mut ratios = Vec::new();
    for _round in 0..5 {
        let t = Instant::now();
        for _ in 0..n {
            drop(ours_pair(&ours_c, &ours_s));
        }
        let ours = n as f64 / t.elapsed().as_secs_f64();
        let t = Instant::now();
        for _ in 0..n {
            drop(rustls_pair(&rc, &rs));
        }
        let theirs = n as f64 / t.elapsed().as_secs_f64();
        println!(
            "handshakes/s ({kt:?}): ours {ours:.0}  rustls {theirs:.0}  ratio {:.2}",
            ours / theirs
        );
        ratios.push(ours / theirs);
    }
    ratios.sort_by(|a, b| a.partial_cmp(b).unwrap());
    println!("median ratio {:.2}", ratios[ratios.len() / 2]);

    for who in ["ours", "rustls"] {
        let before = LIVE.load(Ordering::Relaxed);
        let mut keep_ours = Vec::new();
        let mut keep_theirs = Vec::new();
        for _ in 0..1000 {
            if who == "ours" {
                keep_ours.push(ours_pair(&ours_c, &ours_s).1);
            } else {
                keep_theirs.push(rustls_pair(&rc, &rs).1);
            }
        }
        let after = LIVE.load(Ordering::Relaxed);
        println!(
            "{who}: {} bytes of heap per idle server connection",
            (after - before) / 1000
        );
        drop(keep_ours);
        drop(keep_theirs);
    }
}
