//! An ACME client: enough for `https-kit cert request --acme`, for `serve --acme`, and for tests
//! that need to send hand-made (even wrong) JWS.
//!
//! ```no_run
//! # async fn f() -> Result<(), https_acme::client::ClientError> {
//! use https_acme::client::{AcmeClient, AccountKey, ChallengeKind, Http01Responder};
//! let roots = std::fs::read("ca/ca.crt").unwrap();
//! let key = AccountKey::generate(https_pki::KeyType::EcdsaP256)?;
//! let mut acme = AcmeClient::connect("https://127.0.0.1:14000/directory", &roots, key).await?;
//! acme.register(&[]).await?;
//! let responder = Http01Responder::start("127.0.0.1:5002".parse().unwrap()).await?;
//! let got = acme.obtain(&["site.test".into()], ChallengeKind::Http01(&responder)).await?;
//! println!("{}", got.chain_pem);
//! # Ok(()) }
//! ```

mod http;
mod key;
mod responder;

use std::time::Duration;

use serde_json::{json, Value};

pub use http::{HttpResponse, Https};
pub use key::AccountKey;
pub use responder::{
    challenge_certificate, ChallengeCertificates, Http01Responder, TlsAlpnResponder,
};

use crate::jws::{b64, key_authorization};
use crate::model::Identifier;
use crate::Problem;

/// Polls of an authorization or order before giving up (one a second).
const MAX_POLLS: usize = 60;

/// What can go wrong on the client side.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// Connecting, TLS, HTTP.
    #[error("transport: {0}")]
    Transport(String),
    /// The server answered with a problem document.
    #[error("server said {status} {}: {}", problem.kind, problem.detail)]
    Problem {
        /// HTTP status.
        status: u16,
        /// The problem document.
        problem: Problem,
    },
    /// The server's answer is not what RFC 8555 says it should be.
    #[error("protocol: {0}")]
    Protocol(String),
    /// Making or using a key.
    #[error("key: {0}")]
    Key(String),
    /// An authorization or order ended invalid (the server's error inside).
    #[error("{0}")]
    Failed(String),
}

fn proto(msg: impl Into<String>) -> ClientError {
    ClientError::Protocol(msg.into())
}

/// How to answer challenges.
#[derive(Clone, Copy, Debug)]
pub enum ChallengeKind<'a> {
    /// http-01, served by this responder.
    Http01(&'a Http01Responder),
    /// tls-alpn-01, served by this responder.
    TlsAlpn01(&'a TlsAlpnResponder),
    /// tls-alpn-01, answered by the caller's own TLS server from these certificates.
    TlsAlpn01InBand(&'a ChallengeCertificates),
}

impl ChallengeKind<'_> {
    /// The challenge type name.
    pub fn type_name(&self) -> &'static str {
        match self {
            ChallengeKind::Http01(_) => "http-01",
            ChallengeKind::TlsAlpn01(_) | ChallengeKind::TlsAlpn01InBand(_) => "tls-alpn-01",
        }
    }

    /// Make the responder answer this challenge.
    fn publish(&self, ident: &Identifier, token: &str, key_auth: &str) -> Result<(), ClientError> {
        match self {
            ChallengeKind::Http01(r) => {
                r.add(token, key_auth);
                Ok(())
            }
            ChallengeKind::TlsAlpn01(r) => r.add(ident, key_auth),
            ChallengeKind::TlsAlpn01InBand(c) => c.add(ident, key_auth),
        }
    }
}

/// A certificate obtained by [`AcmeClient::obtain`].
#[derive(Debug)]
pub struct Obtained {
    /// The certificate chain as the server sent it (PEM, leaf first).
    pub chain_pem: String,
    /// The new private key whose CSR was finalized.
    pub key: https_pki::PrivateKey,
    /// The order URL.
    pub order_url: String,
    /// One line per validated challenge: identifier, type, token, key authorization.
    pub evidence: Vec<String>,
}

/// One ACME account at one server.
#[derive(Debug)]
pub struct AcmeClient {
    http: Https,
    directory: Value,
    key: AccountKey,
    kid: Option<String>,
    nonce: Option<String>,
}

impl AcmeClient {
    /// Fetch the directory at `directory_url`, trusting `roots_pem` for the server's TLS.
    pub async fn connect(
        directory_url: &str,
        roots_pem: &[u8],
        key: AccountKey,
    ) -> Result<Self, ClientError> {
        let http = Https::new(roots_pem)?;
        let r = http.request(directory_url, None).await?;
        let directory: Value =
            serde_json::from_slice(&r.body).map_err(|e| proto(format!("directory: {e}")))?;
        Ok(AcmeClient {
            http,
            directory,
            key,
            kid: None,
            nonce: None,
        })
    }

    /// A URL from the directory (`newNonce`, `newAccount`, ...).
    pub fn endpoint(&self, name: &str) -> Result<String, ClientError> {
        self.directory[name]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| proto(format!("the directory has no {name}")))
    }

    /// The account key.
    pub fn key(&self) -> &AccountKey {
        &self.key
    }

    /// Give back the account key (e.g. to reconnect after a server restart).
    pub fn into_key(self) -> AccountKey {
        self.key
    }

    /// The account URL, once registered.
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// Use an existing account URL.
    pub fn set_kid(&mut self, kid: String) {
        self.kid = Some(kid);
    }

    /// The transport (for raw requests in tests).
    pub fn http(&self) -> &Https {
        &self.http
    }

    /// A fresh nonce: the one saved from the last reply, else from newNonce.
    pub async fn nonce(&mut self) -> Result<String, ClientError> {
        if let Some(n) = self.nonce.take() {
            return Ok(n);
        }
        let r = self.http.request(&self.endpoint("newNonce")?, None).await?;
        r.header("replay-nonce")
            .map(str::to_string)
            .ok_or_else(|| proto("newNonce sent no Replay-Nonce"))
    }

    /// POST a prepared body; keeps the reply's nonce; a problem document becomes an error.
    pub async fn post_raw(
        &mut self,
        url: &str,
        body: Vec<u8>,
    ) -> Result<HttpResponse, ClientError> {
        let r = self.http.request(url, Some(body)).await?;
        if let Some(n) = r.header("replay-nonce") {
            self.nonce = Some(n.to_string());
        }
        if r.status >= 400 {
            let problem = serde_json::from_slice(&r.body)
                .map_err(|e| proto(format!("HTTP {} without a problem document: {e}", r.status)))?;
            return Err(ClientError::Problem {
                status: r.status,
                problem,
            });
        }
        Ok(r)
    }

    /// Sign `payload` (None: POST-as-GET) for `url` with the account (kid) or, before
    /// registration, the jwk; retries once on badNonce (§6.5).
    pub async fn post(
        &mut self,
        url: &str,
        payload: Option<&Value>,
    ) -> Result<HttpResponse, ClientError> {
        let mut retried = false;
        loop {
            let nonce = self.nonce().await?;
            let body = self
                .key
                .jws(url, Some(&nonce), self.kid.as_deref(), payload)?;
            match self.post_raw(url, body).await {
                Err(ClientError::Problem { problem, .. })
                    if !retried && problem.kind.ends_with(":badNonce") =>
                {
                    retried = true;
                }
                other => return other,
            }
        }
    }

    /// newAccount (agreeing to the terms); remembers the account URL.
    pub async fn register(&mut self, contact: &[String]) -> Result<String, ClientError> {
        let url = self.endpoint("newAccount")?;
        self.kid = None;
        let payload = json!({ "termsOfServiceAgreed": true, "contact": contact });
        let r = self.post(&url, Some(&payload)).await?;
        let kid = r
            .header("location")
            .ok_or_else(|| proto("newAccount reply has no Location"))?
            .to_string();
        self.kid = Some(kid.clone());
        Ok(kid)
    }

    /// newOrder for `names` (IP addresses become `ip` identifiers); returns (URL, order).
    pub async fn new_order(&mut self, names: &[String]) -> Result<(String, Value), ClientError> {
        let identifiers: Vec<Identifier> = names
            .iter()
            .map(|n| Identifier {
                kind: if n.parse::<std::net::IpAddr>().is_ok() {
                    "ip"
                } else {
                    "dns"
                }
                .into(),
                value: n.clone(),
            })
            .collect();
        let url = self.endpoint("newOrder")?;
        let r = self
            .post(&url, Some(&json!({ "identifiers": identifiers })))
            .await?;
        let order_url = r
            .header("location")
            .ok_or_else(|| proto("newOrder reply has no Location"))?
            .to_string();
        Ok((order_url, json_of(&r)?))
    }

    /// POST-as-GET `url` as JSON.
    pub async fn get_json(&mut self, url: &str) -> Result<Value, ClientError> {
        let r = self.post(url, None).await?;
        json_of(&r)
    }

    /// The key authorization for `token` with this account key.
    pub fn key_authorization(&self, token: &str) -> String {
        key_authorization(token, &self.key.jwk())
    }

    /// Poll `url` (POST-as-GET) until its status is not `pending`/`processing`; bounded.
    pub async fn poll(&mut self, url: &str) -> Result<Value, ClientError> {
        for _ in 0..MAX_POLLS {
            let v = self.get_json(url).await?;
            match v["status"].as_str() {
                Some("pending" | "processing") => {
                    tokio::time::sleep(Duration::from_millis(250)).await
                }
                _ => return Ok(v),
            }
        }
        Err(ClientError::Failed(format!(
            "{url} still pending after {MAX_POLLS} polls"
        )))
    }

    /// Answer every authorization of an order with `kind`, then wait for each to be valid.
    pub async fn authorize(
        &mut self,
        order: &Value,
        kind: ChallengeKind<'_>,
    ) -> Result<Vec<String>, ClientError> {
        let type_name = kind.type_name();
        let mut evidence = Vec::new();
        let authzs: Vec<String> = order["authorizations"]
            .as_array()
            .ok_or_else(|| proto("order without authorizations"))?
            .iter()
            .filter_map(|a| a.as_str().map(str::to_string))
            .collect();
        for authz_url in authzs {
            let authz = self.get_json(&authz_url).await?;
            if authz["status"] == "valid" {
                continue;
            }
            let ident: Identifier = serde_json::from_value(authz["identifier"].clone())
                .map_err(|e| proto(format!("authorization identifier: {e}")))?;
            let ch = authz["challenges"]
                .as_array()
                .and_then(|cs| cs.iter().find(|c| c["type"] == type_name))
                .ok_or_else(|| proto(format!("no {type_name} challenge for {}", ident.value)))?;
            let (token, ch_url) = (str_of(ch, "token")?, str_of(ch, "url")?);
            let ka = self.key_authorization(&token);
            kind.publish(&ident, &token, &ka)?;
            self.post(&ch_url, Some(&json!({}))).await?;
            let done = self.poll(&authz_url).await?;
            if done["status"] != "valid" {
                let why = done["challenges"]
                    .as_array()
                    .and_then(|cs| cs.iter().find(|c| c["type"] == type_name))
                    .map(|c| c["error"].to_string())
                    .unwrap_or_default();
                return Err(ClientError::Failed(format!(
                    "{} {type_name}: {why}",
                    ident.value
                )));
            }
            evidence.push(format!(
                "{} {type_name}: token {token}, key authorization {ka}",
                ident.value
            ));
        }
        Ok(evidence)
    }

    /// Finalize with `csr_der`, wait for the certificate, download it.
    pub async fn finalize(
        &mut self,
        order_url: &str,
        order: &Value,
        csr_der: &[u8],
    ) -> Result<String, ClientError> {
        let finalize = str_of(order, "finalize")?;
        self.post(&finalize, Some(&json!({ "csr": b64(csr_der) })))
            .await?;
        let done = self.poll(order_url).await?;
        if done["status"] != "valid" {
            return Err(ClientError::Failed(format!(
                "order ended {}: {}",
                done["status"], done["error"]
            )));
        }
        let cert_url = str_of(&done, "certificate")?;
        let r = self.post(&cert_url, None).await?;
        String::from_utf8(r.body.to_vec()).map_err(|_| proto("certificate is not PEM text"))
    }

    /// The whole flow: order, authorize with `kind`, a new ECDSA P-256 key and CSR, finalize.
    pub async fn obtain(
        &mut self,
        names: &[String],
        kind: ChallengeKind<'_>,
    ) -> Result<Obtained, ClientError> {
        let first = names.first().ok_or_else(|| proto("no names to order"))?;
        let (order_url, order) = self.new_order(names).await?;
        let evidence = self.authorize(&order, kind).await?;
        let key = https_pki::PrivateKey::generate(https_pki::KeyType::EcdsaP256)
            .map_err(|e| ClientError::Key(e.to_string()))?;
        let sans = names
            .iter()
            .map(|n| https_pki::SubjectAltName::from_name(n))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| ClientError::Key(e.to_string()))?;
        let csr =
            https_pki::Csr::new(&key, first, &sans).map_err(|e| ClientError::Key(e.to_string()))?;
        let chain_pem = self.finalize(&order_url, &order, csr.der()).await?;
        Ok(Obtained {
            chain_pem,
            key,
            order_url,
            evidence,
        })
    }
}

/// A certificate's (notBefore, notAfter) as Unix times, for renewal planning.
pub fn validity(der: &[u8]) -> Option<(i64, i64)> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
    let v = cert.validity();
    Some((v.not_before.timestamp(), v.not_after.timestamp()))
}

fn json_of(r: &HttpResponse) -> Result<Value, ClientError> {
    serde_json::from_slice(&r.body).map_err(|e| proto(format!("reply is not JSON: {e}")))
}

fn str_of(v: &Value, field: &str) -> Result<String, ClientError> {
    v[field]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| proto(format!("no \"{field}\" in {v}")))
}
