//! Client certificates (CertificateRequest, client Certificate + CertificateVerify) with rustls both ways.

mod common;

use std::sync::Arc;

use common::*;
use https_handshake::{
    AlertDescription, CertifiedKey, ClientConfig, ClientConnection, Error, PeerMisbehaved,
    ServerConnection, SigningKey,
};
use https_pki::{KeyType, Profile};
use https_verify::VerifyError;
use rustls::crypto::ring::{cipher_suite, kx_group};

fn client_leaf(kt: KeyType) -> Leaf {
    leaf(&pki().ca, &["client.test"], &Profile::client().key_type(kt))
}

fn our_client_with_cert(l: &Leaf) -> ClientConnection {
    let ck =
        CertifiedKey::new(l.chain.clone(), SigningKey::from_der(&l.key_pkcs8).unwrap()).unwrap();
    let cfg = ClientConfig::builder()
        .with_root_certificates(anchors(&pki().ca))
        .with_client_cert(ck)
        .build()
        .unwrap();
    ClientConnection::new(Arc::new(cfg), "localhost").unwrap()
}

fn our_server(required: bool) -> ServerConnection {
    let p = pki();
    let cfg = serving(&p.ecdsa)
        .with_client_ca(anchors(&p.ca), required)
        .build()
        .unwrap();
    ServerConnection::new(Arc::new(cfg)).unwrap()
}

#[test]
fn our_client_cert_accepted_by_rustls_server() {
    let p = pki();
    for kt in [KeyType::EcdsaP256, KeyType::Ed25519, KeyType::Rsa2048] {
        let l = client_leaf(kt);
        let prov = rustls_provider(cipher_suite::TLS13_AES_128_GCM_SHA256, kx_group::X25519);
        let roots = Arc::new(rustls_roots(&p.ca));
        let verifier =
            rustls::server::WebPkiClientVerifier::builder_with_provider(roots, prov.clone())
                .build()
                .unwrap();
        let chain = p
            .ecdsa
            .chain
            .iter()
            .map(|c| rustls_pki_types::CertificateDer::from(c.clone()))
            .collect();
        let key = rustls_pki_types::PrivateKeyDer::Pkcs8(p.ecdsa.key_pkcs8.clone().into());
        let server = rustls::ServerConfig::builder_with_provider(prov)
            .with_protocol_versions(&[&rustls::version::TLS13])
            .unwrap()
            .with_client_cert_verifier(verifier)
            .with_single_cert(chain, key)
            .unwrap();
        let mut c = Ours::new(our_client_with_cert(&l));
        let mut s = Theirs::new(rustls::ServerConnection::new(Arc::new(server)).unwrap());
        handshake(&mut c, &mut s).unwrap_or_else(|e| panic!("{kt:?}: {e:?}"));
        let peer = s
            .conn
            .peer_certificates()
            .expect("rustls saw our certificate");
        assert_eq!(peer[0].as_ref(), l.chain[0].as_slice());
        assert_eq!(send(&mut c, &mut s, b"authenticated"), b"authenticated");
    }
}

#[test]
fn rustls_client_cert_accepted_by_our_server() {
    let p = pki();
    let l = client_leaf(KeyType::EcdsaP256);
    let prov = rustls_provider(cipher_suite::TLS13_AES_256_GCM_SHA384, kx_group::SECP256R1);
    let chain = l
        .chain
        .iter()
        .map(|c| rustls_pki_types::CertificateDer::from(c.clone()))
        .collect();
    let key = rustls_pki_types::PrivateKeyDer::Pkcs8(l.key_pkcs8.clone().into());
    let cfg = rustls::ClientConfig::builder_with_provider(prov)
        .with_protocol_versions(&[&rustls::version::TLS13])
        .unwrap()
        .with_root_certificates(rustls_roots(&p.ca))
        .with_client_auth_cert(chain, key)
        .unwrap();
    let mut c = Theirs::new(rustls_client_conn(Arc::new(cfg), "localhost"));
    let mut s = Ours::new(our_server(true));
    handshake(&mut c, &mut s).unwrap();
    assert_eq!(s.conn.peer_certificates().unwrap()[0], l.chain[0]);
    assert_eq!(send(&mut c, &mut s, b"hello"), b"hello");
}

#[test]
fn missing_client_cert_required_vs_optional() {
    let p = pki();
    let cfg = rustls_client(
        rustls_provider(cipher_suite::TLS13_AES_128_GCM_SHA256, kx_group::X25519),
        &p.ca,
        &[],
    );
    // Required: certificate_required.
    let mut c = Theirs::new(rustls_client_conn(cfg.clone(), "localhost"));
    let mut s = Ours::new(our_server(true));
    let (c_err, _) = handshake(&mut c, &mut s).expect_err("certificate required");
    assert!(
        matches!(
            s.conn.error(),
            Some(Error::Protocol {
                alert: AlertDescription::CertificateRequired,
                reason: PeerMisbehaved::NoClientCertificate,
            })
        ),
        "{:?}",
        s.conn.error()
    );
    assert_eq!(
        c_err.and_then(|e| e.rustls_got_alert()),
        Some(rustls::AlertDescription::CertificateRequired)
    );
    // Optional: proceeds without a peer certificate.
    let mut c = Theirs::new(rustls_client_conn(cfg, "localhost"));
    let mut s = Ours::new(our_server(false));
    handshake(&mut c, &mut s).unwrap();
    assert!(s.conn.peer_certificates().is_none());
    // A client certificate from an untrusted CA: unknown_ca.
    let other =
        https_pki::CertificateAuthority::new_root(&https_pki::CaOptions::root("other")).unwrap();
    let l = leaf(&other, &["client.test"], &Profile::client());
    let mut c = Ours::new(our_client_with_cert(&l));
    let mut s = Ours::new(our_server(true));
    handshake(&mut c, &mut s).expect_err("untrusted client cert");
    match s.conn.error() {
        Some(e @ Error::Certificate(VerifyError::UnknownIssuer { .. })) => {
            assert_eq!(e.alert(), Some(AlertDescription::UnknownCa))
        }
        e => panic!("server error {e:?}"),
    }
    assert_eq!(
        c.conn.error(),
        Some(&Error::AlertReceived(AlertDescription::UnknownCa))
    );
}
