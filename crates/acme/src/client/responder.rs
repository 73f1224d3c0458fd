//! Challenge responders: a tiny HTTP server for http-01 and a TLS server with the RFC 8737
//! certificate for tls-alpn-01 (our own handshake, ALPN `acme-tls/1`).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::Full;
use https_handshake::{
    CertifiedKey, ClientHelloInfo, ResolvesServerCert, ServerConfig, SigningKey, TlsAcceptor,
};
use hyper_util::rt::TokioIo;

use super::ClientError;
use crate::challenge::{reverse_name, ACME_TLS_ALPN};
use crate::model::Identifier;

/// Most challenges held at once by a responder.
const MAX_ENTRIES: usize = 1000;

fn io_err(e: impl std::fmt::Display) -> ClientError {
    ClientError::Transport(e.to_string())
}

/// Serves `/.well-known/acme-challenge/TOKEN` → key authorization, until dropped.
#[derive(Debug)]
pub struct Http01Responder {
    tokens: Arc<Mutex<HashMap<String, String>>>,
    served: Arc<Mutex<Vec<String>>>,
    addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

type Shared<T> = Arc<Mutex<T>>;

/// One request: the key authorization for a known token, 404 otherwise; logged (bounded).
fn answer(
    req: &hyper::Request<hyper::body::Incoming>,
    peer: SocketAddr,
    tokens: &Shared<HashMap<String, String>>,
    served: &Shared<Vec<String>>,
) -> hyper::Response<Full<Bytes>> {
    let path = req.uri().path();
    let found = path
        .strip_prefix("/.well-known/acme-challenge/")
        .and_then(|t| tokens.lock().ok()?.get(t).cloned());
    if let Ok(mut log) = served.lock() {
        if log.len() < MAX_ENTRIES {
            let what = found.as_deref().unwrap_or("404 not found");
            log.push(format!("{peer} GET {path} -> {what}"));
        }
    }
    let mut resp = hyper::Response::new(Full::new(Bytes::from(found.clone().unwrap_or_default())));
    if found.is_none() {
        *resp.status_mut() = hyper::StatusCode::NOT_FOUND;
    }
    resp
}

impl Http01Responder {
    /// Listen on `addr` (port 0 picks one; see [`Http01Responder::addr`]).
    pub async fn start(addr: SocketAddr) -> Result<Self, ClientError> {
        let listener = tokio::net::TcpListener::bind(addr).await.map_err(io_err)?;
        let addr = listener.local_addr().map_err(io_err)?;
        let tokens: Shared<HashMap<String, String>> = Arc::default();
        let served: Shared<Vec<String>> = Arc::default();
        let (t, s) = (tokens.clone(), served.clone());
        let task = tokio::spawn(async move {
            while let Ok((tcp, peer)) = listener.accept().await {
                let (t, s) = (t.clone(), s.clone());
                tokio::spawn(async move {
                    let svc = hyper::service::service_fn(move |req| {
                        let resp = answer(&req, peer, &t, &s);
                        async move { Ok::<_, std::convert::Infallible>(resp) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(tcp), svc)
                        .await;
                });
            }
        });
        Ok(Http01Responder {
            tokens,
            served,
            addr,
            task,
        })
    }

    /// The requests answered so far: `PEER GET PATH -> BODY` (at most 1000).
    pub fn served(&self) -> Vec<String> {
        self.served.lock().map(|l| l.clone()).unwrap_or_default()
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Answer `token` with `key_auth`.
    pub fn add(&self, token: &str, key_auth: &str) {
        if let Ok(mut m) = self.tokens.lock() {
            if m.len() < MAX_ENTRIES {
                m.insert(token.to_string(), key_auth.to_string());
            }
        }
    }
}

impl Drop for Http01Responder {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The RFC 8737 §3 certificate: self-signed, one SAN (the identifier), critical acmeIdentifier
/// = SHA-256(key authorization). Returns (certificate DER, PKCS#8 key DER).
pub fn challenge_certificate(
    ident: &Identifier,
    key_auth: &str,
) -> Result<(Vec<u8>, Vec<u8>), ClientError> {
    let digest = ring::digest::digest(&ring::digest::SHA256, key_auth.as_bytes());
    let key = rcgen::KeyPair::generate().map_err(io_err)?;
    let mut params = rcgen::CertificateParams::new(vec![ident.value.clone()]).map_err(io_err)?;
    params.custom_extensions = vec![rcgen::CustomExtension::new_acme_identifier(digest.as_ref())];
    let cert = params.self_signed(&key).map_err(io_err)?;
    Ok((cert.der().to_vec(), key.serialize_der()))
}

/// tls-alpn-01 challenge certificates by SNI, for a TLS server of one's own (in-band, as Caddy
/// does on port 443): return [`ChallengeCertificates::for_hello`] from a `ResolvesServerCert`.
#[derive(Debug, Default)]
pub struct ChallengeCertificates(Mutex<HashMap<String, Arc<CertifiedKey>>>);

impl ChallengeCertificates {
    /// Hold the challenge certificate for `ident` (SNI: the name, or an IP's reverse name).
    pub fn add(&self, ident: &Identifier, key_auth: &str) -> Result<(), ClientError> {
        let (cert, key) = challenge_certificate(ident, key_auth)?;
        let key = SigningKey::from_der(&key).map_err(io_err)?;
        let ck = CertifiedKey::new(vec![cert], key).map_err(io_err)?;
        let mut m = self.0.lock().map_err(io_err)?;
        if m.len() < MAX_ENTRIES {
            m.insert(reverse_name(ident).to_ascii_lowercase(), ck);
        }
        Ok(())
    }

    /// The challenge certificate for this ClientHello, if it offers `acme-tls/1` (RFC 8737 §3:
    /// only then) and names a pending challenge.
    pub fn for_hello(&self, hello: &ClientHelloInfo<'_>) -> Option<Arc<CertifiedKey>> {
        if !hello.alpn_protocols.iter().any(|p| p == ACME_TLS_ALPN) {
            return None;
        }
        let name = hello.server_name?.to_ascii_lowercase();
        self.0.lock().ok()?.get(&name).cloned()
    }
}

#[derive(Debug, Default)]
struct ByName(ChallengeCertificates);

impl ResolvesServerCert for ByName {
    fn resolve(&self, hello: &ClientHelloInfo<'_>) -> Option<Arc<CertifiedKey>> {
        self.0.for_hello(hello)
    }
}

/// Answers tls-alpn-01 handshakes: the challenge certificate chosen by SNI, ALPN acme-tls/1.
#[derive(Debug)]
pub struct TlsAlpnResponder {
    certs: Arc<ByName>,
    addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl TlsAlpnResponder {
    /// Listen on `addr`.
    pub async fn start(addr: SocketAddr) -> Result<Self, ClientError> {
        let listener = tokio::net::TcpListener::bind(addr).await.map_err(io_err)?;
        let addr = listener.local_addr().map_err(io_err)?;
        let certs = Arc::new(ByName::default());
        let config = ServerConfig::builder()
            .with_cert_resolver(certs.clone())
            .with_alpn(&[ACME_TLS_ALPN])
            .build()
            .map_err(io_err)?;
        let acceptor = TlsAcceptor::from(Arc::new(config));
        let task = tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    // The validator only needs the handshake; then the connection is closed.
                    let _ = tokio::time::timeout(
                        std::time::Duration::from_secs(10),
                        acceptor.accept(tcp),
                    )
                    .await;
                });
            }
        });
        Ok(TlsAlpnResponder { certs, addr, task })
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Serve the challenge certificate for `ident` (SNI: the name, or the reverse name of an IP).
    pub fn add(&self, ident: &Identifier, key_auth: &str) -> Result<(), ClientError> {
        self.certs.0.add(ident, key_auth)
    }
}

impl Drop for TlsAlpnResponder {
    fn drop(&mut self) {
        self.task.abort();
    }
}
