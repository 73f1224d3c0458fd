//! Client and server configuration, built once and shared (`Arc`) by many connections.

use std::collections::HashMap;
use std::fmt::Debug;
use std::sync::Arc;
use std::time::Duration;

use https_record::Tls13Suite;
use https_verify::TrustAnchors;

use crate::error::Error;
use crate::kx::NamedGroup;
use crate::resumption::ClientSessionStore;
use crate::sign::CertifiedKey;
use crate::tickets::{Ticketer, DEFAULT_TICKET_LIFETIME, MAX_TICKET_LIFETIME};
use crate::trace::KeyLog;
use crate::verifier::{
    ClientCertVerifier, ServerCertVerifier, WebPkiClientVerifier, WebPkiVerifier,
};

/// What the server knows when it picks a certificate.
#[derive(Debug)]
pub struct ClientHelloInfo<'a> {
    /// The SNI host name, if sent.
    pub server_name: Option<&'a str>,
    /// The client's signature_algorithms.
    pub signature_schemes: &'a [crate::sign::SignatureScheme],
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
    pub(crate) suites: Vec<Tls13Suite>,
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
    /// Starts a builder: all suites, groups X25519/P-256/P-384, no ALPN, SNI on, resumption on, no
    /// key log (give one with `with_key_log`, e.g. [`crate::KeyLogFile::from_env`]). A verifier
    /// (roots) is required.
    pub fn builder() -> ClientConfigBuilder {
        ClientConfigBuilder {
            suites: Tls13Suite::ALL.to_vec(),
            groups: NamedGroup::ALL.to_vec(),
            verifier: None,
            alpn: Vec::new(),
            key_log: None,
            enable_sni: true,
            middlebox_compat: true,
            trace: false,
            resumption: true,
            store: None,
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

/// The setters both builders share: same fields, same meaning, role-specific docs.
macro_rules! shared_setters {
    ($builder:ident, suites = $suites:literal, groups = $groups:literal, alpn = $alpn:literal) => {
        impl $builder {
            #[doc = $suites]
            pub fn with_cipher_suites(mut self, suites: &[Tls13Suite]) -> Self {
                self.suites = suites.to_vec();
                self
            }
            #[doc = $groups]
            pub fn with_groups(mut self, groups: &[NamedGroup]) -> Self {
                self.groups = groups.to_vec();
                self
            }
            #[doc = $alpn]
            pub fn with_alpn(mut self, protocols: &[&[u8]]) -> Self {
                self.alpn = protocols.iter().map(|p| p.to_vec()).collect();
                self
            }
            /// Send secrets to this key log (off by default; `Arc::new(KeyLogFile::from_env()?)`
            /// honours `SSLKEYLOGFILE` as curl does).
            pub fn with_key_log(mut self, key_log: Arc<dyn KeyLog>) -> Self {
                self.key_log = Some(key_log);
                self
            }
            /// Record a [`crate::TraceEvent`] list on each connection (default off: it allocates).
            pub fn with_trace(mut self, on: bool) -> Self {
                self.trace = on;
                self
            }
        }
    };
}

shared_setters!(
    ClientConfigBuilder,
    suites = "Offer only these suites, in this order.",
    groups = "Offer these groups; a key share is sent for the first.",
    alpn = "Offer these ALPN protocols (e.g. `b\"h2\"`, `b\"http/1.1\"`)."
);
shared_setters!(
    ServerConfigBuilder,
    suites = "Accept only these suites; the first one the client also offers wins.",
    groups = "Accept these groups, in preference order (a HelloRetryRequest asks for the first supported one).",
    alpn = "ALPN protocols, in server preference order."
);

/// Builds a [`ClientConfig`].
#[derive(Debug)]
pub struct ClientConfigBuilder {
    suites: Vec<Tls13Suite>,
    groups: Vec<NamedGroup>,
    verifier: Option<Arc<dyn ServerCertVerifier>>,
    alpn: Vec<Vec<u8>>,
    key_log: Option<Arc<dyn KeyLog>>,
    enable_sni: bool,
    middlebox_compat: bool,
    trace: bool,
    resumption: bool,
    store: Option<Arc<ClientSessionStore>>,
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
    /// Keep tickets in `store` (shared between configs, e.g. with different ALPN lists).
    pub fn with_session_store(mut self, store: Arc<ClientSessionStore>) -> Self {
        self.store = Some(store);
        self.resumption = true;
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
            key_log: self.key_log,
            enable_sni: self.enable_sni,
            middlebox_compat: self.middlebox_compat,
            trace: self.trace,
            sessions: self.resumption.then(|| self.store.unwrap_or_default()),
            client_cert: self.client_cert,
        })
    }
}

fn check_lists(
    suites: &[Tls13Suite],
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
    pub(crate) suites: Vec<Tls13Suite>,
    pub(crate) groups: Vec<NamedGroup>,
    pub(crate) resolver: Arc<dyn ResolvesServerCert>,
    pub(crate) alpn: Vec<Vec<u8>>,
    pub(crate) key_log: Option<Arc<dyn KeyLog>>,
    pub(crate) trace: bool,
    pub(crate) ticketer: Option<Arc<Ticketer>>,
    /// NewSessionTickets sent after each handshake (when `ticketer` is set).
    pub(crate) ticket_count: u8,
    /// Announced ticket lifetime, seconds (≤ 7 days).
    pub(crate) ticket_lifetime: u32,
    pub(crate) client_auth: Option<ClientAuth>,
}

/// Client certificate policy of a server.
#[derive(Debug, Clone)]
pub(crate) struct ClientAuth {
    pub(crate) verifier: Arc<dyn ClientCertVerifier>,
    pub(crate) required: bool,
}

impl ServerConfig {
    /// Starts a builder: all suites and groups (server preference order), no ALPN, session tickets
    /// on (2 per handshake, 2 h lifetime, in-memory keys rotated every 6 h), no key log. A
    /// certificate (or resolver) is required.
    pub fn builder() -> ServerConfigBuilder {
        ServerConfigBuilder {
            suites: Tls13Suite::ALL.to_vec(),
            groups: NamedGroup::ALL.to_vec(),
            resolver: None,
            alpn: Vec::new(),
            key_log: None,
            trace: false,
            tickets: true,
            ticket_count: 2,
            ticket_lifetime: DEFAULT_TICKET_LIFETIME,
            ticketer: None,
            client_auth: None,
        }
    }
    /// The ticketer sealing this config's tickets (`None` when tickets are off).
    pub fn ticketer(&self) -> Option<&Arc<Ticketer>> {
        self.ticketer.as_ref()
    }
}

/// Builds a [`ServerConfig`].
#[derive(Debug)]
pub struct ServerConfigBuilder {
    suites: Vec<Tls13Suite>,
    groups: Vec<NamedGroup>,
    resolver: Option<Arc<dyn ResolvesServerCert>>,
    alpn: Vec<Vec<u8>>,
    key_log: Option<Arc<dyn KeyLog>>,
    trace: bool,
    tickets: bool,
    ticket_count: u8,
    ticket_lifetime: Duration,
    ticketer: Option<Arc<Ticketer>>,
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
    /// Issue session tickets after each handshake and accept them (psk_dhe_ke); default on.
    pub fn with_session_tickets(mut self, on: bool) -> Self {
        self.tickets = on;
        self
    }
    /// NewSessionTickets sent right after the client's Finished (default 2; 0 sends none but still
    /// accepts tickets from the ticketer).
    pub fn with_ticket_count(mut self, count: u8) -> Self {
        self.ticket_count = count;
        self
    }
    /// Lifetime announced in each ticket (default 2 h; at most 7 days, RFC 8446 §4.6.1). Keep it
    /// within the ticketer's rotation period (6 h) for every ticket to be honoured to the end.
    pub fn with_ticket_lifetime(mut self, lifetime: Duration) -> Self {
        self.ticket_lifetime = lifetime;
        self
    }
    /// Seal and open tickets with this ticketer (share one, or one key file, between servers so
    /// they resume each other's sessions). Default: a fresh in-memory [`Ticketer::new`] per config.
    pub fn with_ticketer(mut self, ticketer: Arc<Ticketer>) -> Self {
        self.ticketer = Some(ticketer);
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
    /// Checks and builds.
    pub fn build(self) -> Result<ServerConfig, Error> {
        let resolver = self.resolver.ok_or_else(|| {
            Error::Config("no certificate: call with_single_cert or with_cert_resolver".into())
        })?;
        check_lists(&self.suites, &self.groups, &self.alpn)?;
        if self.ticket_lifetime > MAX_TICKET_LIFETIME || self.ticket_lifetime.is_zero() {
            return Err(Error::Config(
                "ticket lifetime must be between 1 s and 7 days (RFC 8446 §4.6.1)".into(),
            ));
        }
        let ticketer = match (self.tickets, self.ticketer) {
            (false, _) => None,
            (true, Some(t)) => Some(t),
            (true, None) => Some(Arc::new(Ticketer::new()?)),
        };
        Ok(ServerConfig {
            suites: self.suites,
            groups: self.groups,
            resolver,
            alpn: self.alpn,
            key_log: self.key_log,
            trace: self.trace,
            ticketer,
            ticket_count: self.ticket_count,
            ticket_lifetime: self.ticket_lifetime.as_secs() as u32,
            client_auth: self.client_auth,
        })
    }
}
