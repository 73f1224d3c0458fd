//! Shared test fixtures: a CA with ECDSA P-256 / RSA-2048 / Ed25519 leaves for "localhost", and a
//! byte pump between any two sans-IO TLS connections (ours or rustls').
#![allow(dead_code)]

use std::io::{Read, Write};
use std::sync::{Arc, OnceLock};

use https_pki::{CaOptions, CertificateAuthority, KeyType, Profile};

pub struct Leaf {
    pub chain: Vec<Vec<u8>>,
    pub key_pkcs8: Vec<u8>,
}

pub struct Pki {
    pub ca: CertificateAuthority,
    pub ecdsa: Leaf,
    pub rsa: Leaf,
    pub ed25519: Leaf,
}

pub fn leaf(ca: &CertificateAuthority, names: &[&str], profile: &Profile) -> Leaf {
    let issued = ca.issue(names, profile).expect("issue");
    Leaf {
        chain: vec![issued.cert_der.clone()],
        key_pkcs8: issued.key.pkcs8_der().to_vec(),
    }
}

pub fn pki() -> &'static Pki {
    static PKI: OnceLock<Pki> = OnceLock::new();
    PKI.get_or_init(|| {
        let ca = CertificateAuthority::new_root(&CaOptions::root("https-kit test CA")).expect("CA");
        let ecdsa = leaf(
            &ca,
            &["localhost"],
            &Profile::server().key_type(KeyType::EcdsaP256),
        );
        let rsa = leaf(
            &ca,
            &["localhost"],
            &Profile::server().key_type(KeyType::Rsa2048),
        );
        let ed25519 = leaf(
            &ca,
            &["localhost"],
            &Profile::server().key_type(KeyType::Ed25519),
        );
        Pki {
            ca,
            ecdsa,
            rsa,
            ed25519,
        }
    })
}

pub fn anchors(ca: &CertificateAuthority) -> https_verify::TrustAnchors {
    https_verify::TrustAnchors::from_der_list([ca.cert_der()]).expect("anchors")
}

/// Our client config builder, trusting `ca`.
pub fn trusting(ca: &CertificateAuthority) -> https_handshake::ClientConfigBuilder {
    https_handshake::ClientConfig::builder().with_root_certificates(anchors(ca))
}

/// Our server config builder serving `leaf`.
pub fn serving(leaf: &Leaf) -> https_handshake::ServerConfigBuilder {
    https_handshake::ServerConfig::builder()
        .with_single_cert(leaf.chain.clone(), &leaf.key_pkcs8)
        .expect("the leaf's key")
}

/// Our client for "localhost" trusting the shared CA, offering `groups` (first ones get shares).
pub fn client_with_groups(
    groups: &[https_handshake::NamedGroup],
) -> https_handshake::ClientConnection {
    let cfg = trusting(&pki().ca).with_groups(groups).build().unwrap();
    https_handshake::ClientConnection::new(Arc::new(cfg), "localhost").unwrap()
}

/// Our server with the shared ECDSA leaf, accepting `groups` in that preference.
pub fn server_with_groups(
    groups: &[https_handshake::NamedGroup],
) -> https_handshake::ServerConnection {
    let cfg = serving(&pki().ecdsa).with_groups(groups).build().unwrap();
    https_handshake::ServerConnection::new(Arc::new(cfg)).unwrap()
}

/// Why one side of the pump failed, typed: tests match the variant, never the text.
#[derive(Debug)]
pub enum Failure {
    /// Our connection's error.
    Ours(https_handshake::Error),
    /// rustls's.
    Theirs(rustls::Error),
    /// read_tls refused the bytes.
    Read(std::io::ErrorKind),
    /// 20 rounds and the handshake is not done.
    Stalled,
}

impl Failure {
    /// The alert rustls received from us, when that is why it failed.
    pub fn rustls_got_alert(&self) -> Option<rustls::AlertDescription> {
        match self {
            Self::Theirs(rustls::Error::AlertReceived(a)) => Some(*a),
            _ => None,
        }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Ours(e) => write!(f, "ours: {e} (sent {:?})", e.alert()),
            Self::Theirs(e) => write!(f, "rustls: {e}"),
            Self::Read(k) => write!(f, "read_tls: {k}"),
            Self::Stalled => f.write_str("handshake did not finish"),
        }
    }
}

/// Appends all readable plaintext of `reader` to `got`.
fn drain(mut reader: impl Read, got: &mut Vec<u8>) {
    let mut buf = [0u8; 16384];
    while let Ok(n) = reader.read(&mut buf) {
        if n == 0 {
            break;
        }
        got.extend_from_slice(&buf[..n]);
    }
}

/// The [`Side`] methods of a pump side whose `conn` is ours or rustls's: the two APIs have the
/// same method names but no common trait, so one body serves both; `$failure` types the
/// connection's error.
macro_rules! side_methods {
    ($failure:path) => {
        fn out(&mut self) -> Vec<u8> {
            let mut v = Vec::new();
            while self.conn.wants_write() {
                if self.conn.write_tls(&mut v).unwrap() == 0 {
                    break;
                }
            }
            v
        }
        fn feed(&mut self, data: &[u8]) -> Result<(), Failure> {
            let mut rd = data;
            while !rd.is_empty() {
                self.conn
                    .read_tls(&mut rd)
                    .map_err(|e| Failure::Read(e.kind()))?;
                let r = self.conn.process_new_packets();
                drain(self.conn.reader(), &mut self.got);
                r.map(drop).map_err($failure)?;
            }
            Ok(())
        }
        fn handshaking(&self) -> bool {
            self.conn.is_handshaking()
        }
        fn write_plain(&mut self, d: &[u8]) -> usize {
            self.conn.writer().write(d).unwrap()
        }
        fn take_plain(&mut self) -> Vec<u8> {
            std::mem::take(&mut self.got)
        }
        fn alpn(&self) -> Option<Vec<u8>> {
            self.conn.alpn_protocol().map(|p| p.to_vec())
        }
    };
}

/// One side of an in-memory connection.
pub trait Side {
    fn out(&mut self) -> Vec<u8>;
    fn feed(&mut self, data: &[u8]) -> Result<(), Failure>;
    fn handshaking(&self) -> bool;
    fn write_plain(&mut self, d: &[u8]) -> usize;
    fn take_plain(&mut self) -> Vec<u8>;
    fn alpn(&self) -> Option<Vec<u8>>;
}

pub struct Ours<C> {
    pub conn: C,
    pub got: Vec<u8>,
}

impl<C> Ours<C> {
    pub fn new(conn: C) -> Self {
        Self { conn, got: vec![] }
    }
}

/// Our client for `name`, as a pump side.
pub fn our_client_side(
    cfg: &Arc<https_handshake::ClientConfig>,
    name: &str,
) -> Ours<https_handshake::ClientConnection> {
    Ours::new(https_handshake::ClientConnection::new(cfg.clone(), name).unwrap())
}

/// Our server, as a pump side.
pub fn our_server_side(
    cfg: &Arc<https_handshake::ServerConfig>,
) -> Ours<https_handshake::ServerConnection> {
    Ours::new(https_handshake::ServerConnection::new(cfg.clone()).unwrap())
}

impl<C: std::ops::DerefMut<Target = https_handshake::Connection>> Side for Ours<C> {
    side_methods!(Failure::Ours);
}

pub struct Theirs<C> {
    pub conn: C,
    pub got: Vec<u8>,
}

impl<C> Theirs<C> {
    pub fn new(conn: C) -> Self {
        Self { conn, got: vec![] }
    }
}

impl<C, D> Side for Theirs<C>
where
    C: std::ops::DerefMut<Target = rustls::ConnectionCommon<D>>,
    D: rustls::SideData,
{
    side_methods!(Failure::Theirs);
}

/// Runs the handshake; on failure returns (client error, server error).
#[allow(clippy::result_large_err)] // a test's verdict, inspected once, never propagated
pub fn handshake(
    c: &mut dyn Side,
    s: &mut dyn Side,
) -> Result<(), (Option<Failure>, Option<Failure>)> {
    for _ in 0..20 {
        let b = c.out();
        let s_err = s.feed(&b).err();
        let b = s.out();
        let c_err = c.feed(&b).err();
        if c_err.is_some() || s_err.is_some() {
            // Deliver the last alert too.
            let b = c.out();
            let s_err2 = s.feed(&b).err();
            return Err((c_err, s_err.or(s_err2)));
        }
        if !c.handshaking() && !s.handshaking() {
            let b = c.out();
            s.feed(&b).map_err(|e| (None, Some(e)))?;
            return Ok(());
        }
    }
    Err((Some(Failure::Stalled), None))
}

/// Sends `data` from `a` to `b` through the pump and returns what `b` received.
pub fn send(a: &mut dyn Side, b: &mut dyn Side, data: &[u8]) -> Vec<u8> {
    let mut sent = 0;
    let mut got = Vec::with_capacity(data.len());
    let mut rounds = 0;
    while got.len() < data.len() {
        if sent < data.len() {
            let end = (sent + 64 * 1024).min(data.len());
            sent += a.write_plain(&data[sent..end]);
        }
        let bytes = a.out();
        b.feed(&bytes).expect("receiver");
        got.extend(b.take_plain());
        let back = b.out();
        a.feed(&back).expect("sender");
        rounds += 1;
        assert!(rounds < 10_000, "no progress");
    }
    got
}

pub fn rustls_provider(
    suite: rustls::SupportedCipherSuite,
    group: &'static dyn rustls::crypto::SupportedKxGroup,
) -> Arc<rustls::crypto::CryptoProvider> {
    let mut p = rustls::crypto::ring::default_provider();
    p.cipher_suites = vec![suite];
    p.kx_groups = vec![group];
    Arc::new(p)
}

pub fn rustls_roots(ca: &CertificateAuthority) -> rustls::RootCertStore {
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(rustls_pki_types::CertificateDer::from(
            ca.cert_der().to_vec(),
        ))
        .unwrap();
    roots
}

pub fn rustls_server(
    provider: Arc<rustls::crypto::CryptoProvider>,
    leaf: &Leaf,
    alpn: &[&[u8]],
) -> Arc<rustls::ServerConfig> {
    let chain = leaf
        .chain
        .iter()
        .map(|c| rustls_pki_types::CertificateDer::from(c.clone()))
        .collect();
    let key = rustls_pki_types::PrivateKeyDer::Pkcs8(leaf.key_pkcs8.clone().into());
    let mut cfg = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .unwrap();
    cfg.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    Arc::new(cfg)
}

pub fn rustls_client(
    provider: Arc<rustls::crypto::CryptoProvider>,
    ca: &CertificateAuthority,
    alpn: &[&[u8]],
) -> Arc<rustls::ClientConfig> {
    let mut cfg = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])
        .unwrap()
        .with_root_certificates(rustls_roots(ca))
        .with_no_client_auth();
    cfg.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    Arc::new(cfg)
}

pub fn rustls_client_conn(cfg: Arc<rustls::ClientConfig>, name: &str) -> rustls::ClientConnection {
    rustls::ClientConnection::new(
        cfg,
        rustls_pki_types::ServerName::try_from(name.to_string()).unwrap(),
    )
    .unwrap()
}

/// A loopback TCP listener and an acceptor for `server` (tokio adapter tests).
#[cfg(feature = "tokio")]
pub async fn tcp_server(
    server: https_handshake::ServerConfig,
) -> (
    tokio::net::TcpListener,
    std::net::SocketAddr,
    https_handshake::TlsAcceptor,
) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    (
        listener,
        addr,
        https_handshake::TlsAcceptor::from(Arc::new(server)),
    )
}

/// Our client for "localhost" over `io`, the handshake done.
#[cfg(feature = "tokio")]
pub async fn connect<IO>(
    client: https_handshake::ClientConfig,
    io: IO,
) -> https_handshake::TlsStream<IO>
where
    IO: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    https_handshake::TlsConnector::from(Arc::new(client))
        .connect("localhost", io)
        .await
        .unwrap()
}

/// Our client for "localhost" over TCP to `addr`, the handshake done.
#[cfg(feature = "tokio")]
pub async fn connect_tcp(
    client: https_handshake::ClientConfig,
    addr: std::net::SocketAddr,
) -> https_handshake::TlsStream<tokio::net::TcpStream> {
    connect(client, tokio::net::TcpStream::connect(addr).await.unwrap()).await
}
