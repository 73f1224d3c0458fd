//! One side of a bench row in a loop, for `perf record` / `perf stat` (the ratios come from
//! `cargo xtask bench`). Configurations as in xtask/src/bench/handshake.rs: one suite, one group,
//! a leaf under a root the client verifies, no tickets on the full rows.
//!
//! `cargo run --release -p https-handshake --example hs_profile -- SIDE [N]` with SIDE one of
//! `ours`, `ours-pq`, `rustls`, `rustls-pq` (aws-lc-rs), `resume`, `rustls-resume`.

use std::sync::Arc;

use https_handshake::{
    transfer, ClientConfig, ClientConnection, NamedGroup, ServerConfig, ServerConnection,
    Tls13Suite,
};
use https_pki::{CaOptions, CertificateAuthority, Profile};

type Rustls = (Arc<rustls::ClientConfig>, Arc<rustls::ServerConfig>);

fn rustls_configs(root: &[u8], leaf: &[u8], key: &[u8], pq: bool, tickets: usize) -> Rustls {
    let prov = if pq {
        use rustls::crypto::aws_lc_rs as p;
        rustls::crypto::CryptoProvider {
            cipher_suites: vec![p::cipher_suite::TLS13_AES_128_GCM_SHA256],
            kx_groups: vec![p::kx_group::X25519MLKEM768],
            ..p::default_provider()
        }
    } else {
        use rustls::crypto::ring as p;
        rustls::crypto::CryptoProvider {
            cipher_suites: vec![p::cipher_suite::TLS13_AES_128_GCM_SHA256],
            kx_groups: vec![p::kx_group::X25519],
            ..p::default_provider()
        }
    };
    let prov = Arc::new(prov);
    let mut roots = rustls::RootCertStore::empty();
    roots.add(root.to_vec().into()).unwrap();
    let mut c = rustls::ClientConfig::builder_with_provider(prov.clone())
        .with_protocol_versions(&[&rustls::version::TLS13])
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    if tickets == 0 {
        c.resumption = rustls::client::Resumption::disabled();
    }
    let mut s = rustls::ServerConfig::builder_with_provider(prov)
        .with_protocol_versions(&[&rustls::version::TLS13])
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![leaf.to_vec().into()],
            rustls::pki_types::PrivateKeyDer::Pkcs8(key.to_vec().into()),
        )
        .unwrap();
    s.send_tls13_tickets = tickets;
    if tickets > 0 {
        s.ticketer = rustls::crypto::ring::Ticketer::new().unwrap();
    }
    (Arc::new(c), Arc::new(s))
}

#[path = "support/rustls_pair.rs"]
mod support;

fn rustls_pair((c, s): &Rustls) -> rustls::ClientConnection {
    support::rustls_pair(c, s).0
}

fn ours_pair(c: &Arc<ClientConfig>, s: &Arc<ServerConfig>) -> ClientConnection {
    let mut cc = ClientConnection::new(c.clone(), "localhost").unwrap();
    let mut sc = ServerConnection::new(s.clone()).unwrap();
    for _ in 0..10 {
        transfer(&mut cc, &mut sc).unwrap();
        transfer(&mut sc, &mut cc).unwrap();
        if !cc.is_handshaking() && !sc.is_handshaking() && !cc.wants_write() && !sc.wants_write() {
            break;
        }
    }
    assert!(!cc.is_handshaking());
    cc
}

fn ours_configs(
    root: &[u8],
    leaf: &[u8],
    key: &[u8],
    group: NamedGroup,
    tickets: usize,
) -> (Arc<ClientConfig>, Arc<ServerConfig>) {
    let anchors = https_verify::TrustAnchors::from_der_list([root]).unwrap();
    let c = ClientConfig::builder()
        .with_root_certificates(anchors)
        .with_cipher_suites(&[Tls13Suite::Aes128GcmSha256])
        .with_groups(&[group])
        .with_resumption(tickets > 0)
        .build()
        .unwrap();
    let s = ServerConfig::builder()
        .with_single_cert(vec![leaf.to_vec()], key)
        .unwrap()
        .with_cipher_suites(&[Tls13Suite::Aes128GcmSha256])
        .with_groups(&[group]);
    let s = if tickets == 0 {
        s.with_session_tickets(false)
    } else {
        s.with_ticket_count(tickets as u8)
    };
    (Arc::new(c), Arc::new(s.build().unwrap()))
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let side = args.get(1).map(String::as_str).unwrap_or("ours");
    let n: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(5000);
    let ca = CertificateAuthority::new_root(&CaOptions::root("bench root")).unwrap();
    let leaf = ca.issue(&["localhost"], &Profile::server()).unwrap();
    let (root, cert, key) = (ca.cert_der(), &leaf.cert_der[..], leaf.key.pkcs8_der());
    match side {
        "ours" | "ours-pq" | "resume" => {
            let group = if side == "ours-pq" {
                NamedGroup::X25519MlKem768
            } else {
                NamedGroup::X25519
            };
            let tickets = usize::from(side == "resume");
            let (c, s) = ours_configs(root, cert, key, group, tickets);
            for i in 0..n {
                let cc = ours_pair(&c, &s);
                assert_eq!(cc.is_resumed(), tickets > 0 && i > 0);
            }
        }
        "rustls" | "rustls-pq" | "rustls-resume" => {
            let tickets = usize::from(side == "rustls-resume");
            let cfg = rustls_configs(root, cert, key, side == "rustls-pq", tickets);
            for _ in 0..n {
                std::hint::black_box(rustls_pair(&cfg));
            }
        }
        other => panic!("unknown side {other}"),
    }
}
