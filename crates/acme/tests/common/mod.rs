//! An in-process ACME server on loopback with a fresh root CA, and helpers for its tests.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;

use https_acme::client::{AccountKey, AcmeClient, ClientError, Http01Responder};
use https_acme::{AcmeServer, Config, SqliteStore, Store};
use https_pki::{CaOptions, CertificateAuthority, KeyType};

pub struct TestServer {
    pub server: Arc<AcmeServer>,
    pub directory: String,
    pub root_pem: String,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

pub fn loopback() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

/// A CA as `ca init` would make it (PEM round trip, so each server gets the same CA).
pub fn new_ca() -> (String, String) {
    let ca = CertificateAuthority::new_root(&CaOptions::root("ACME Test CA")).unwrap();
    (ca.cert_pem(), ca.key().to_pkcs8_pem().to_string())
}

/// Start a server for the CA (cert, key) with `store`; `tune` edits the config.
pub async fn start_with(
    ca_pem: &(String, String),
    store: Arc<dyn Store>,
    tune: impl FnOnce(&mut Config),
) -> TestServer {
    let ca = CertificateAuthority::from_pem(&ca_pem.0, &ca_pem.1, None).unwrap();
    let listener = tokio::net::TcpListener::bind(loopback()).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let tls = https_acme::listener_tls_config(&ca, &["127.0.0.1".to_string()]).unwrap();
    let mut cfg = Config::new(&format!("https://{addr}"));
    cfg.resolve
        .insert("site.test".into(), "127.0.0.1".parse().unwrap());
    cfg.resolve
        .insert("www.site.test".into(), "127.0.0.1".parse().unwrap());
    cfg.validation_timeout = std::time::Duration::from_secs(5);
    tune(&mut cfg);
    let root_pem = ca.cert_pem();
    let server = AcmeServer::new(cfg, ca, store);
    let directory = server.directory_url();
    let task = tokio::spawn(https_acme::serve(server.clone(), listener, tls));
    TestServer {
        server,
        directory,
        root_pem,
        task,
    }
}

/// A server whose http-01 and tls-alpn-01 validations go to the given ports.
pub async fn start(http01: u16, tls_alpn01: u16, tune: impl FnOnce(&mut Config)) -> TestServer {
    let store = Arc::new(SqliteStore::in_memory().unwrap());
    start_with(&new_ca(), store, |c| {
        c.http01_port = http01;
        c.tls_alpn01_port = tls_alpn01;
        tune(c)
    })
    .await
}

/// A client with a new key of `kt`, registered.
pub async fn account(ts: &TestServer, kt: KeyType) -> AcmeClient {
    let mut c = AcmeClient::connect(
        &ts.directory,
        ts.root_pem.as_bytes(),
        AccountKey::generate(kt).unwrap(),
    )
    .await
    .unwrap();
    c.register(&["mailto:admin@site.test".into()])
        .await
        .unwrap();
    c
}

/// An http-01 responder and a server validating against it.
pub async fn with_http01() -> (TestServer, Http01Responder) {
    let r = Http01Responder::start(loopback()).await.unwrap();
    let ts = start(r.addr().port(), 1, |_| {}).await;
    (ts, r)
}

/// The problem type (after the URN prefix) and status of an error.
pub fn problem(e: ClientError) -> (String, u16) {
    match e {
        ClientError::Problem { status, problem } => (
            problem
                .kind
                .trim_start_matches("urn:ietf:params:acme:error:")
                .to_string(),
            status,
        ),
        other => panic!("expected a problem document, got {other}"),
    }
}

/// A P-256 key and a CSR for `names`.
pub fn csr(names: &[&str]) -> Vec<u8> {
    let key = https_pki::PrivateKey::generate(KeyType::EcdsaP256).unwrap();
    let sans: Vec<_> = names
        .iter()
        .map(|n| https_pki::SubjectAltName::from_name(n).unwrap())
        .collect();
    https_pki::Csr::new(&key, names[0], &sans)
        .unwrap()
        .der()
        .to_vec()
}

/// Verify a PEM chain (leaf first) for `name` against the PEM root.
pub fn verify(chain_pem: &str, root_pem: &str, name: &str) {
    let certs = https_pki::certificates_from_pem(chain_pem).unwrap();
    let anchors = https_verify::TrustAnchors::from_pem(root_pem.as_bytes()).unwrap();
    let server_name = https_verify::ServerName::parse(name).unwrap();
    let inter: Vec<&[u8]> = certs[1..].iter().map(|c| c.as_slice()).collect();
    let req = https_verify::Request::new(&certs[0], &anchors, https_verify::unix_now())
        .intermediates(&inter)
        .name(&server_name)
        .purpose(https_verify::Purpose::Server);
    https_verify::verify_chain(&req).unwrap();
}

/// The first certificate (DER) of a PEM chain or bundle: the leaf of a chain.
pub fn leaf_der(chain_pem: &str) -> Vec<u8> {
    https_pki::certificates_from_pem(chain_pem)
        .unwrap()
        .remove(0)
}
