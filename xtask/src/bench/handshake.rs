//! `handshake/*` rows: full and resumed TLS 1.3 handshakes per second, client and server in one thread.

use super::fixtures::{Chain, ServerKey};
use super::{compare_rates, locked_version, peers, Opts, Row, Side, Work};
use anyhow::Result;
use https_handshake::{
    ClientConfig, ClientConnection, Connection, NamedGroup, ServerConfig, ServerConnection,
    Tls13Suite,
};
use https_kit::verify::TrustAnchors;
use ring::rand::SystemRandom;
use ring::signature::{self, EcdsaKeyPair, KeyPair as _};
use ring::{agreement, digest, hkdf, hmac};
use std::sync::Arc;

pub fn run(opts: &Opts) -> Result<Vec<Row>> {
    let mut rows = Vec::new();
    let suite = rustls::crypto::ring::cipher_suite::TLS13_AES_128_GCM_SHA256;
    let group = rustls::crypto::ring::kx_group::X25519;
    for kind in [ServerKey::EcdsaP256, ServerKey::Rsa2048] {
        let chain = Chain::new(kind)?;
        let client = peers::client_config(&chain, peers::provider_for(suite, group), false)?;
        let server = peers::server_config(&chain, peers::provider_for(suite, group), 0)?;
        let mut buf = Vec::with_capacity(8192);
        let rustls_side: Work = Box::new(move || {
            peers::handshake(&client, &server, &mut buf).expect("rustls handshake");
            1.0
        });
        let mut baselines = vec![Side {
            name: "rustls",
            version: locked_version("rustls"),
            work: rustls_side,
        }];
        if let ServerKey::EcdsaP256 = kind {
            let floor = Floor::new(&chain, false)?;
            baselines.push(Side {
                name: "floor",
                version: locked_version("ring"),
                work: Box::new(move || {
                    floor.run();
                    1.0
                }),
            });
        }
        let id = format!("handshake/full/x25519/{}", kind.name());
        let ours = ours_full(&chain, NamedGroup::X25519)?;
        rows.extend(compare_rates(
            opts,
            &id,
            "handshakes/s",
            1.0,
            ours,
            baselines,
        ));
    }
    rows.extend(hybrid(opts)?);
    rows.extend(resumed(opts, suite, group)?);
    Ok(rows)
}

/// The id of the post-quantum row, runnable alone (`cargo xtask bench ID --quick`).
pub const HYBRID_ROW: &str = "handshake/full/x25519mlkem768/ecdsa-p256";

/// `handshake/full/x25519mlkem768/ecdsa-p256`: full handshakes with the X25519MLKEM768 hybrid,
/// against rustls on aws-lc-rs (its ML-KEM), the ring + ML-KEM floor, and our own X25519 row.
pub fn hybrid(opts: &Opts) -> Result<Vec<Row>> {
    use rustls::crypto::aws_lc_rs;
    let chain = Chain::new(ServerKey::EcdsaP256)?;
    let aws = || rustls::crypto::CryptoProvider {
        cipher_suites: vec![aws_lc_rs::cipher_suite::TLS13_AES_128_GCM_SHA256],
        kx_groups: vec![aws_lc_rs::kx_group::X25519MLKEM768],
        ..aws_lc_rs::default_provider()
    };
    let client = peers::client_config(&chain, aws(), false)?;
    let server = peers::server_config(&chain, aws(), 0)?;
    let mut buf = Vec::with_capacity(16384);
    let (c, _) = peers::handshake(&client, &server, &mut buf)?;
    let got = c.negotiated_key_exchange_group().map(|g| g.name());
    anyhow::ensure!(
        got == Some(rustls::NamedGroup::X25519MLKEM768),
        "rustls negotiated {got:?}"
    );
    let rustls_side: Work = Box::new(move || {
        peers::handshake(&client, &server, &mut buf).expect("rustls handshake");
        1.0
    });
    let floor = Floor::new(&chain, true)?;
    let baselines = vec![
        Side {
            name: "rustls",
            version: format!(
                "{} {}",
                locked_version("rustls"),
                locked_version("aws-lc-rs")
            ),
            work: rustls_side,
        },
        Side {
            name: "floor",
            version: format!(
                "{} {}",
                locked_version("ring"),
                locked_version("libcrux-ml-kem")
            ),
            work: Box::new(move || {
                floor.run();
                1.0
            }),
        },
        Side {
            name: "x25519",
            version: "https-kit (handshake/full/x25519/ecdsa-p256)".into(),
            work: ours_full(&chain, NamedGroup::X25519)?,
        },
    ];
    let ours = ours_full(&chain, NamedGroup::X25519MlKem768)?;
    Ok(compare_rates(
        opts,
        HYBRID_ROW,
        "handshakes/s",
        1.0,
        ours,
        baselines,
    ))
}

/// `handshake/resume/x25519`: PSK (psk_dhe_ke) resumptions; each one also delivers the next ticket.
fn resumed(
    opts: &Opts,
    suite: rustls::SupportedCipherSuite,
    group: &'static dyn rustls::crypto::SupportedKxGroup,
) -> Result<Vec<Row>> {
    let chain = Chain::new(ServerKey::EcdsaP256)?;
    let (client, _) = ours_configs(&chain)?;
    let server = Arc::new(
        ServerConfig::builder()
            .with_single_cert(vec![chain.leaf_der.clone()], &chain.leaf_key_pkcs8)?
            .with_cipher_suites(&[Tls13Suite::Aes128GcmSha256])
            .with_groups(&[NamedGroup::X25519])
            .with_ticket_count(1) // as the rustls side (send_tls13_tickets = 1)
            .build()?,
    );
    let mut buf = Vec::with_capacity(8192);
    // Prime the client's ticket store with one full handshake.
    ours_handshake(&client, &server, &mut buf)?;
    let ours: Work = Box::new(move || {
        let (c, _) = ours_handshake(&client, &server, &mut buf).expect("our resumption");
        assert!(c.is_resumed(), "our client did not resume");
        1.0
    });
    let rc = peers::client_config(&chain, peers::provider_for(suite, group), true)?;
    let rs = peers::server_config(&chain, peers::provider_for(suite, group), 1)?;
    let mut rbuf = Vec::with_capacity(8192);
    peers::handshake(&rc, &rs, &mut rbuf)?;
    let theirs: Work = Box::new(move || {
        let (c, _) = peers::handshake(&rc, &rs, &mut rbuf).expect("rustls resumption");
        assert_eq!(c.handshake_kind(), Some(rustls::HandshakeKind::Resumed));
        1.0
    });
    Ok(compare_rates(
        opts,
        "handshake/resume/x25519",
        "handshakes/s",
        1.0,
        ours,
        vec![Side {
            name: "rustls",
            version: locked_version("rustls"),
            work: theirs,
        }],
    ))
}

/// Our side: one full handshake between our client and our server, in `group`.
fn ours_full(chain: &Chain, group: NamedGroup) -> Result<Work<'static>> {
    let (client, server) = ours_configs_in(chain, group, false)?;
    let mut buf = Vec::with_capacity(8192);
    let (c, _) = ours_handshake(&client, &server, &mut buf)?;
    anyhow::ensure!(
        c.negotiated_group() == Some(group),
        "we negotiated {:?}",
        c.negotiated_group()
    );
    Ok(Box::new(move || {
        ours_handshake(&client, &server, &mut buf).expect("our handshake");
        1.0
    }))
}

/// Our configs with the same suite and group as the rustls rows; the client verifies the chain.
pub fn ours_configs(chain: &Chain) -> Result<(Arc<ClientConfig>, Arc<ServerConfig>)> {
    ours_configs_in(chain, NamedGroup::X25519, true)
}

fn ours_configs_in(
    chain: &Chain,
    group: NamedGroup,
    resumption: bool,
) -> Result<(Arc<ClientConfig>, Arc<ServerConfig>)> {
    let anchors = TrustAnchors::from_der_list([chain.root_der.clone()])?;
    let client = ClientConfig::builder()
        .with_root_certificates(anchors)
        .with_cipher_suites(&[Tls13Suite::Aes128GcmSha256])
        .with_groups(&[group])
        .with_resumption(resumption) // as the rustls client (Resumption::disabled() on full rows)
        .build()?;
    let server = ServerConfig::builder()
        .with_single_cert(vec![chain.leaf_der.clone()], &chain.leaf_key_pkcs8)?
        .with_cipher_suites(&[Tls13Suite::Aes128GcmSha256])
        .with_groups(&[group])
        .with_session_tickets(false) // as the rustls side of the full rows (no tickets)
        .build()?;
    Ok((Arc::new(client), Arc::new(server)))
}

/// One full handshake, in memory, through one reused buffer; returns both ends established.
pub fn ours_handshake(
    client: &Arc<ClientConfig>,
    server: &Arc<ServerConfig>,
    buf: &mut Vec<u8>,
) -> Result<(ClientConnection, ServerConnection)> {
    let mut c = ClientConnection::new(client.clone(), "localhost")?;
    let mut s = ServerConnection::new(server.clone())?;
    for _ in 0..10 {
        pump(&mut c, &mut s, buf)?;
        pump(&mut s, &mut c, buf)?;
        if !c.is_handshaking() && !s.is_handshaking() && !c.wants_write() && !s.wants_write() {
            return Ok((c, s));
        }
    }
    anyhow::bail!("our handshake did not finish in 10 flights")
}

fn pump(from: &mut Connection, to: &mut Connection, buf: &mut Vec<u8>) -> Result<()> {
    buf.clear();
    while from.wants_write() {
        if from.write_tls(buf)? == 0 {
            break;
        }
    }
    let mut rd = &buf[..];
    while !rd.is_empty() {
        to.read_tls(&mut rd)?;
        to.process_new_packets()?;
    }
    Ok(())
}

/// The ring operations a full ECDSA P-256 / X25519 handshake cannot avoid, and nothing else
/// (with `kem`, also the ML-KEM-768 key generation, checked encapsulation and decapsulation).
struct Floor {
    kem: bool,
    rng: SystemRandom,
    signer: EcdsaKeyPair,
    leaf_spki: Vec<u8>,
    root_spki: Vec<u8>,
    leaf_tbs: Vec<u8>,
    leaf_sig: Vec<u8>,
    transcript: Vec<u8>,
}

impl Floor {
    fn new(chain: &Chain, kem: bool) -> Result<Floor> {
        let rng = SystemRandom::new();
        let signer = EcdsaKeyPair::from_pkcs8(
            &signature::ECDSA_P256_SHA256_ASN1_SIGNING,
            &chain.leaf_key_pkcs8,
            &rng,
        )
        .map_err(|e| anyhow::anyhow!("leaf key: {e}"))?;
        let leaf_spki = signer.public_key().as_ref().to_vec();
        // The chain check is one ECDSA verify of the leaf's TBS by the root key.
        let (leaf_tbs, leaf_sig, root_spki) = split_signed(&chain.leaf_der, &chain.root_der)?;
        Ok(Floor {
            kem,
            rng,
            signer,
            leaf_spki,
            root_spki,
            leaf_tbs,
            leaf_sig,
            transcript: vec![0x16; 3000],
        })
    }

    fn run(&self) {
        if self.kem {
            self.mlkem();
        }
        // Two ephemeral X25519 key pairs and two agreements.
        let a = agreement::EphemeralPrivateKey::generate(&agreement::X25519, &self.rng)
            .expect("x25519");
        let b = agreement::EphemeralPrivateKey::generate(&agreement::X25519, &self.rng)
            .expect("x25519");
        let a_pub = a.compute_public_key().expect("pub");
        let b_pub = b.compute_public_key().expect("pub");
        let mut shared = [0u8; 32];
        agreement::agree_ephemeral(
            a,
            &agreement::UnparsedPublicKey::new(&agreement::X25519, b_pub.as_ref()),
            |s| shared.copy_from_slice(s),
        )
        .expect("agree");
        agreement::agree_ephemeral(
            b,
            &agreement::UnparsedPublicKey::new(&agreement::X25519, a_pub.as_ref()),
            |s| shared.copy_from_slice(s),
        )
        .expect("agree");
        // CertificateVerify: one sign, one verify; the chain: one verify.
        let th = digest::digest(&digest::SHA256, &self.transcript);
        let sig = self.signer.sign(&self.rng, th.as_ref()).expect("sign");
        signature::UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_ASN1, &self.leaf_spki)
            .verify(th.as_ref(), sig.as_ref())
            .expect("verify cv");
        signature::UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_ASN1, &self.root_spki)
            .verify(&self.leaf_tbs, &self.leaf_sig)
            .expect("verify chain");
        // The key schedule, on both sides: 3 extracts, 7 secrets, 2 finished keys + MACs, 8 key/IV expands.
        for _ in 0..2 {
            let mut prk = hkdf::Salt::new(hkdf::HKDF_SHA256, &[0; 32]).extract(&[0; 32]);
            for _ in 0..3 {
                let mut okm = [0u8; 32];
                for _ in 0..6 {
                    prk.expand(&[b"tls13 derived".as_slice()], hkdf::HKDF_SHA256)
                        .and_then(|o| o.fill(&mut okm))
                        .expect("expand");
                }
                prk = hkdf::Salt::new(hkdf::HKDF_SHA256, &okm).extract(&shared);
            }
            let key = hmac::Key::new(hmac::HMAC_SHA256, &shared);
            for _ in 0..2 {
                std::hint::black_box(hmac::sign(&key, th.as_ref()));
            }
            std::hint::black_box(digest::digest(&digest::SHA256, &self.transcript));
        }
    }
}

impl Floor {
    fn mlkem(&self) {
        use libcrux_ml_kem::mlkem768;
        use ring::rand::SecureRandom;
        let (mut seed, mut m) = ([0u8; 64], [0u8; 32]);
        self.rng.fill(&mut seed).expect("rng");
        self.rng.fill(&mut m).expect("rng");
        let kp = mlkem768::generate_key_pair(seed);
        let ek = mlkem768::MlKem768PublicKey::try_from(kp.pk().as_slice()).expect("ek");
        assert!(mlkem768::validate_public_key(&ek));
        let (ct, ss) = mlkem768::encapsulate(&ek, m);
        let ss2 = mlkem768::decapsulate(kp.private_key(), &ct);
        assert_eq!(ss, ss2);
    }
}

/// The TBS bytes and signature of `leaf`, and the raw public key of `root` (ring wants the point).
fn split_signed(leaf: &[u8], root: &[u8]) -> Result<(Vec<u8>, Vec<u8>, Vec<u8>)> {
    use x509_parser::prelude::*;
    let (_, leaf_cert) = X509Certificate::from_der(leaf)?;
    let (_, root_cert) = X509Certificate::from_der(root)?;
    Ok((
        leaf_cert.tbs_certificate.as_ref().to_vec(),
        leaf_cert.signature_value.data.to_vec(),
        root_cert.public_key().subject_public_key.data.to_vec(),
    ))
}
