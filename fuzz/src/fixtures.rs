//! Fixed certificates and keys (made once with `https-kit ca init / ca intermediate / cert issue`,
//! committed under `fuzz/fixtures/`), and the configurations the targets use.

use std::sync::{Arc, Mutex, OnceLock};

use https_handshake::{
    CertifiedKey, ClientConfig, Error, KeyLog, ServerCertVerifier, ServerConfig, SigningKey,
};

/// Root CA (anchor).
pub const ROOT_PEM: &str = include_str!("../fixtures/ca/ca.crt");
/// Intermediate CA (pathLen 0) under the root.
pub const INTERMEDIATE_PEM: &str = include_str!("../fixtures/int/ca.crt");
/// Server leaf for `fuzz.test` and 127.0.0.1, issued by the intermediate.
pub const SERVER_PEM: &str = include_str!("../fixtures/server.crt");
/// The server's P-256 key (PKCS#8 PEM).
pub const SERVER_KEY_PEM: &str = include_str!("../fixtures/server.key");
/// A client certificate (clientAuth) issued by the root.
pub const CLIENT_PEM: &str = include_str!("../fixtures/client.crt");
/// The RFC 8448 server certificate (RSA-1024, self-signed; expired since 2026-07-30), re-encoded
/// without the two stray bytes after the DER in the shared copy.
pub const RFC8448_SERVER_PEM: &str = include_str!("../fixtures/rfc8448_server.crt");

/// Trust anchors of the x509-limbo cases that seed the `x509` target (written by `make_seeds`).
pub const LIMBO_ANCHORS_PEM: &str = include_str!("../fixtures/limbo_anchors.pem");

/// A fixed time inside every fixture's validity (2027-01-01T00:00:00Z).
pub const NOW: i64 = 1_798_761_600;

/// DER of the first certificate in a PEM text.
pub fn der(pem_text: &str) -> Vec<u8> {
    https_verify::certs_from_pem(pem_text.as_bytes())
        .expect("fixture PEM")
        .remove(0)
}

fn server_key() -> Arc<CertifiedKey> {
    static KEY: OnceLock<Arc<CertifiedKey>> = OnceLock::new();
    KEY.get_or_init(|| {
        let key = https_pki::PrivateKey::from_pem(SERVER_KEY_PEM).expect("fixture key");
        let signing = SigningKey::from_der(key.pkcs8_der()).expect("fixture key");
        CertifiedKey::new(vec![der(SERVER_PEM), der(INTERMEDIATE_PEM)], signing)
            .expect("fixture chain")
    })
    .clone()
}

/// Collects the secrets a connection logs, so the scripted peer can use the same keys.
#[derive(Debug, Default)]
pub struct Secrets(Mutex<Vec<(String, Vec<u8>)>>);

impl Secrets {
    /// The latest secret logged under `label`.
    pub fn get(&self, label: &str) -> Option<Vec<u8>> {
        let v = self.0.lock().unwrap_or_else(|e| e.into_inner());
        v.iter()
            .rev()
            .find(|(l, _)| l == label)
            .map(|(_, s)| s.clone())
    }
}

impl KeyLog for Secrets {
    fn log(&self, label: &str, _client_random: &[u8], secret: &[u8]) {
        let mut v = self.0.lock().unwrap_or_else(|e| e.into_inner());
        v.push((label.to_string(), secret.to_vec()));
    }
}

/// One ticketer for every input (a fresh one per connection would cost a key generation each).
fn ticketer() -> Arc<https_handshake::Ticketer> {
    static T: OnceLock<Arc<https_handshake::Ticketer>> = OnceLock::new();
    T.get_or_init(|| Arc::new(https_handshake::Ticketer::new().expect("ticketer")))
        .clone()
}

/// The server under test; `settings` bits pick ALPN, client authentication, no tickets and groups.
pub fn server_config(settings: u8, secrets: Arc<Secrets>) -> ServerConfig {
    let mut b = ServerConfig::builder()
        .with_certified_key(server_key())
        .with_key_log(secrets);
    if settings & 0x08 != 0 {
        b = b.with_alpn(&[b"h2", b"http/1.1"]);
    }
    if settings & 0x10 != 0 {
        let anchors =
            https_verify::TrustAnchors::from_pem(ROOT_PEM.as_bytes()).expect("fixture root");
        b = b.with_client_ca(anchors, settings & 0x20 != 0);
    }
    if settings & 0x40 != 0 {
        b = b.with_session_tickets(false);
    } else {
        b = b.with_ticketer(ticketer());
    }
    if settings & 0x80 != 0 {
        // A client whose first share is x25519 gets a HelloRetryRequest.
        b = b.with_groups(&[https_handshake::NamedGroup::Secp256r1]);
    }
    b.build().expect("fixture server config")
}

/// Accepts any certificate and signature: the client target explores the handshake past the
/// certificate checks (the `x509` target fuzzes those).
#[derive(Debug)]
pub struct AcceptAll;

impl ServerCertVerifier for AcceptAll {
    fn verify_server_cert(&self, _: &[u8], _: &[&[u8]], _: &str) -> Result<(), Error> {
        Ok(())
    }
}

impl https_handshake::SignatureVerifier for AcceptAll {
    fn verify_signature(
        &self,
        _: &[u8],
        _: &[u8],
        _: https_handshake::SignatureScheme,
        _: &[u8],
    ) -> Result<(), Error> {
        Ok(())
    }
}

/// The client under test; `settings` bits pick ALPN and middlebox compatibility.
pub fn client_config(settings: u8, secrets: Arc<Secrets>) -> ClientConfig {
    let mut b = ClientConfig::builder()
        .with_verifier(Arc::new(AcceptAll))
        .with_key_log(secrets)
        .with_resumption(settings & 0x40 != 0);
    if settings & 0x08 != 0 {
        b = b.with_alpn(&[b"h2", b"http/1.1"]);
    }
    if settings & 0x10 != 0 {
        b = b.with_middlebox_compat(false);
    }
    b.build().expect("fixture client config")
}
