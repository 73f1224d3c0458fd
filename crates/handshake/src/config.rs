//! Client and server configuration, built once and shared (`Arc`) by many connections.

use std::collections::HashMap;
use std::fmt::Debug;
use std::sync::Arc;

use https_record::CipherSuite;
use https_verify::TrustAnchors;

use crate::error::Error;
use crate::kx::NamedGroup;
use crate::resumption::{ClientSessionStore, Ticketer};
use crate::sign::CertifiedKey;
use crate::trace::{KeyLog, KeyLogFile};
use crate::verifier::{
    ClientCertVerifier, ServerCertVerifier, WebPkiClientVerifier, WebPkiVerifier,
};

/// What the server knows when it picks a certificate.
#[derive(Debug)]
pub struct ClientHelloInfo<'a> {
    /// The SNI host name, if sent.
    pub server_name: Option<&'a str>,
    /// The client's signature_algorithms.
    pub signature_schemes: &'a [u16],
    /// The client's ALPN protocols, in its order (empty without the extension). A tls-alpn-01
    /// responder (RFC 8737) answers `acme-tls/1` with its challenge certificate.
    pub alpn_protocols: &'a [Vec<u8>],
}

/// Picks the server's certificate for a ClientHello (e.g. by SNI).
pub trait ResolvesServerCert: Send + Sync + Debug {
    /// The certificate and key to use, or `None` to abort (unrecognized_name if SNI was sent,
    /// handshake_failure otherwise).
    fn resolve(&self, hello: &ClientHelloInfo<'_>) -> Option<Arc<CertifiedKey>>;
}

/// One certificate for every name.
#[derive(Debug)]
pub struct SingleCert(pub Arc<CertifiedKey>);

impl ResolvesServerCert for SingleCert {
    fn resolve(&self, _: &ClientHelloInfo<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.0.clone())
    }
}

/// Certificates by SNI name (exact, case-insensitive), with an optional default.
#[derive(Debug, Default)]
pub struct SniResolver {
    by_name: HashMap<String, Arc<CertifiedKey>>,
    default: Option<Arc<CertifiedKey>>,
}

impl SniResolver {
    /// An empty resolver.
    pub fn new() -> Self {
        Self::default()
    }
    /// Serves `ck` for `name`.
    pub fn add(&mut self, name: &str, ck: Arc<CertifiedKey>) {
        self.by_name.insert(name.to_ascii_lowercase(), ck);
    }
    /// Serves `ck` when SNI is absent or unknown.
    pub fn set_default(&mut self, ck: Arc<CertifiedKey>) {
        self.default = Some(ck);
    }
}

impl ResolvesServerCert for SniResolver {
    fn resolve(&self, hello: &ClientHelloInfo<'_>) -> Option<Arc<CertifiedKey>> {
        hello
            .server_name
            .and_then(|n| self.by_name.get(&n.to_ascii_lowercase()))
            .or(self.default.as_ref())
            .cloned()
    }
}

/// Client settings.
#[derive(Debug)]
pub struct ClientConfig {
    pub(crate) suites: Vec<CipherSuite>,
    pub(crate) groups: Vec<NamedGroup>,
    pub(crate) verifier: Arc<dyn ServerCertVerifier>,
    pub(crate) alpn: Vec<Vec<u8>>,
    pub(crate) key_log: Option<Arc<dyn KeyLog>>,
    pub(crate) enable_sni: bool,
    pub(crate) middlebox_compat: bool,
    pub(crate) trace: bool,
    pub(crate) sessions: Option<Arc<ClientSessionStore>>,
    pub(crate) client_cert: Option<Arc<CertifiedKey>>,
}

impl ClientConfig {
    /// Starts a builder: all suites, groups X25519/P-256/P-384, no ALPN, SNI on, key log from
    /// `SSLKEYLOGFILE` if set. A verifier (roots) is required.
    pub fn builder() -> ClientConfigBuilder {
        ClientConfigBuilder {
            suites: CipherSuite::ALL.to_vec(),
            groups: NamedGroup::ALL.to_vec(),
            verifier: None,
            alpn: Vec::new(),
            key_log: None,
            enable_sni: true,
            middlebox_compat: true,
            trace: false,
            resumption: true,
            client_cert: None,
        }
    }
    /// The ALPN protocols offered.
    pub fn alpn_protocols(&self) -> &[Vec<u8>] {
        &self.alpn
    }
    /// The ticket store (when resumption is on).
    pub fn session_store(&self) -> Option<&ClientSessionStore> {
        self.sessions.as_deref()
    }
}

/// Builds a [`ClientConfig`].
#[derive(Debug)]
pub struct ClientConfigBuilder {
    suites: Vec<CipherSuite>,
    groups: Vec<NamedGroup>,
    verifier: Option<Arc<dyn ServerCertVerifier>>,
    alpn: Vec<Vec<u8>>,
    key_log: Option<Arc<dyn KeyLog>>,
    enable_sni: bool,
    middlebox_compat: bool,
    trace: bool,
    resumption: bool,
    client_cert: Option<Arc<CertifiedKey>>,
}

impl ClientConfigBuilder {
    /// Present this certificate when a server asks (CertificateRequest).
    pub fn with_client_cert(mut self, ck: Arc<CertifiedKey>) -> Self {
        self.client_cert = Some(ck);
        self
    }
    /// Keep session tickets and resume with them (psk_dhe_ke; default on).
    pub fn with_resumption(mut self, on: bool) -> Self {
        self.resumption = on;
        self
    }
    /// Trust these anchors (https-verify path validation, name check, current time).
    pub fn with_root_certificates(mut self, anchors: TrustAnchors) -> Self {
        self.verifier = Some(Arc::new(WebPkiVerifier::new(anchors)));
        self
    }
    /// Use a custom verifier.
    pub fn with_verifier(mut self, verifier: Arc<dyn ServerCertVerifier>) -> Self {
        self.verifier = Some(verifier);
        self
    }
    /// Offer only these suites, in this order.
    pub fn with_cipher_suites(mut self, suites: &[CipherSuite]) -> Self {
        self.suites = suites.to_vec();
        self
    }
    /// Offer these groups; a key share is sent for the first.
    pub fn with_groups(mut self, groups: &[NamedGroup]) -> Self {
        self.groups = groups.to_vec();
        self
    }
    /// Offer these ALPN protocols (e.g. `b"h2"`, `b"http/1.1"`).
    pub fn with_alpn(mut self, protocols: &[&[u8]]) -> Self {
        self.alpn = protocols.iter().map(|p| p.to_vec()).collect();
        self
    }
    /// Send secrets to this key log (overrides `SSLKEYLOGFILE`).
    pub fn with_key_log(mut self, key_log: Arc<dyn KeyLog>) -> Self {
        self.key_log = Some(key_log);
        self
    }
    /// Send server_name (default on).
    pub fn with_sni(mut self, on: bool) -> Self {
        self.enable_sni = on;
        self
    }
    /// Send a legacy session id and a change_cipher_spec (RFC 8446 D.4; default on).
    pub fn with_middlebox_compat(mut self, on: bool) -> Self {
        self.middlebox_compat = on;
        self
    }
    /// Record a [`crate::TraceEvent`] list on each connection (default off: it allocates).
    pub fn with_trace(mut self, on: bool) -> Self {
        self.trace = on;
        self
    }
    /// Checks and builds.
    pub fn build(self) -> Result<ClientConfig, Error> {
        let verifier = self.verifier.ok_or_else(|| {
            Error::Config("no verifier: call with_root_certificates or with_verifier".into())
        })?;
        check_lists(&self.suites, &self.groups, &self.alpn)?;
        Ok(ClientConfig {
            suites: self.suites,
            groups: self.groups,
            verifier,
            alpn: self.alpn,
            key_log: self.key_log.or_else(env_key_log),
            enable_sni: self.enable_sni,
            middlebox_compat: self.middlebox_compat,
            trace: self.trace,
            sessions: self
                .resumption
                .then(|| Arc::new(ClientSessionStore::default())),
            client_cert: self.client_cert,
        })
    }
}

fn env_key_log() -> Option<Arc<dyn KeyLog>> {
    KeyLogFile::from_env().map(|k| Arc::new(k) as Arc<dyn KeyLog>)
}

fn check_lists(
    suites: &[CipherSuite],
    groups: &[NamedGroup],
    alpn: &[Vec<u8>],
) -> Result<(), Error> {
    if suites.is_empty() {
        return Err(Error::Config("no cipher suites".into()));
    }
    if groups.is_empty() {
        return Err(Error::Config("no key exchange groups".into()));
    }
    if alpn.iter().any(|p| p.is_empty() || p.len() > 255) {
        return Err(Error::Config(
            "ALPN protocol names must be 1..=255 bytes".into(),
        ));
    }
    Ok(())
}

/// Server settings.
#[derive(Debug)]
pub struct ServerConfig {
    pub(crate) suites: Vec<CipherSuite>,
    pub(crate) groups: Vec<NamedGroup>,
    pub(crate) resolver: Arc<dyn ResolvesServerCert>,
    pub(crate) alpn: Vec<Vec<u8>>,
    pub(crate) key_log: Option<Arc<dyn KeyLog>>,
    pub(crate) trace: bool,
    pub(crate) ticketer: Option<Arc<Ticketer>>,
    pub(crate) client_auth: Option<ClientAuth>,
}

/// Client certificate policy of a server.
#[derive(Debug, Clone)]
pub(crate) struct ClientAuth {
    pub(crate) verifier: Arc<dyn ClientCertVerifier>,
    pub(crate) required: bool,
}

impl ServerConfig {
    /// Starts a builder: all suites and groups (server preference order), no ALPN, key log from
    /// `SSLKEYLOGFILE` if set. A certificate (or resolver) is required.
    pub fn builder() -> ServerConfigBuilder {
        ServerConfigBuilder {
            suites: CipherSuite::ALL.to_vec(),
            groups: NamedGroup::ALL.to_vec(),
            resolver: None,
            alpn: Vec::new(),
            key_log: None,
            trace: false,
            tickets: false,
            client_auth: None,
        }
    }
}

/// Builds a [`ServerConfig`].
#[derive(Debug)]
pub struct ServerConfigBuilder {
    suites: Vec<CipherSuite>,
    groups: Vec<NamedGroup>,
    resolver: Option<Arc<dyn ResolvesServerCert>>,
    alpn: Vec<Vec<u8>>,
    key_log: Option<Arc<dyn KeyLog>>,
    trace: bool,
    tickets: bool,
    client_auth: Option<ClientAuth>,
}

impl ServerConfigBuilder {
    /// Ask clients for a certificate issued under `anchors` (clientAuth); with `required`, a client
    /// without one is refused with certificate_required.
    pub fn with_client_ca(self, anchors: TrustAnchors, required: bool) -> Self {
        self.with_client_verifier(Arc::new(WebPkiClientVerifier::new(anchors)), required)
    }
    /// Ask clients for a certificate checked by `verifier`.
    pub fn with_client_verifier(
        mut self,
        verifier: Arc<dyn ClientCertVerifier>,
        required: bool,
    ) -> Self {
        self.client_auth = Some(ClientAuth { verifier, required });
        self
    }
    /// Issue one session ticket after each full handshake and accept them (psk_dhe_ke); default off.
    pub fn with_session_tickets(mut self, on: bool) -> Self {
        self.tickets = on;
        self
    }
    /// One certificate chain (leaf first, DER) and its private key (PKCS#8 or PKCS#1 DER).
    pub fn with_single_cert(mut self, chain: Vec<Vec<u8>>, key_der: &[u8]) -> Result<Self, Error> {
        let ck = CertifiedKey::new(chain, crate::sign::SigningKey::from_der(key_der)?)?;
        self.resolver = Some(Arc::new(SingleCert(ck)));
        Ok(self)
    }
    /// One certificate for every name.
    pub fn with_certified_key(mut self, ck: Arc<CertifiedKey>) -> Self {
        self.resolver = Some(Arc::new(SingleCert(ck)));
        self
    }
    /// Pick certificates per ClientHello (e.g. [`SniResolver`]).
    pub fn with_cert_resolver(mut self, resolver: Arc<dyn ResolvesServerCert>) -> Self {
        self.resolver = Some(resolver);
        self
    }
    /// Accept only these suites; the first one the client also offers wins.
    pub fn with_cipher_suites(mut self, suites: &[CipherSuite]) -> Self {
        self.suites = suites.to_vec();
        self
    }
    /// Accept these groups, in preference order (a HelloRetryRequest asks for the first supported one).
    pub fn with_groups(mut self, groups: &[NamedGroup]) -> Self {
        self.groups = groups.to_vec();
        self
    }
    /// ALPN protocols, in server preference order.
    pub fn with_alpn(mut self, protocols: &[&[u8]]) -> Self {
        self.alpn = protocols.iter().map(|p| p.to_vec()).collect();
        self
    }
    /// Send secrets to this key log (overrides `SSLKEYLOGFILE`).
    pub fn with_key_log(mut self, key_log: Arc<dyn KeyLog>) -> Self {
        self.key_log = Some(key_log);
        self
    }
    /// Record a trace on each connection (default off).
    pub fn with_trace(mut self, on: bool) -> Self {
        self.trace = on;
        self
    }
    /// Checks and builds.
    pub fn build(self) -> Result<ServerConfig, Error> {
        let resolver = self.resolver.ok_or_else(|| {
            Error::Config("no certificate: call with_single_cert or with_cert_resolver".into())
        })?;
        check_lists(&self.suites, &self.groups, &self.alpn)?;
        Ok(ServerConfig {
            suites: self.suites,
            groups: self.groups,
            resolver,
            alpn: self.alpn,
            key_log: self.key_log.or_else(env_key_log),
            trace: self.trace,
            ticketer: if self.tickets {
                Some(Arc::new(Ticketer::new()?))
            } else {
                None
            },
            client_auth: self.client_auth,
        })
    }
}
