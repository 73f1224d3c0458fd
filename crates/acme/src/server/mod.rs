//! The ACME server: configuration, shared state and the reply type.
//!
//! `routes.rs` maps (method, path) to a handler; `auth.rs` checks the JWS of every POST;
//! `account.rs`, `order.rs`, `revoke.rs` hold the handlers; `views.rs` the JSON bodies;
//! `listen.rs` the HTTPS listener (our own TLS 1.3 under hyper).

mod account;
mod auth;
mod finalize;
mod listen;
mod order;
mod paths;
mod revoke;
mod routes;
mod views;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use https_pki::CertificateAuthority;

pub use crate::config::Config;
use crate::nonce::NonceStore;
use crate::problem::AcmeError;
use crate::store::Store;

pub use listen::{listener_tls_config, serve};
pub use revoke::ari_cert_id;

/// Largest request body accepted (a CSR or a JWS is a few KB).
pub const MAX_BODY: usize = 64 * 1024;
/// Most identifiers in one order.
pub const MAX_IDENTIFIERS: usize = 100;
/// Validations running at once (each holds a connection to the name being checked).
pub const MAX_VALIDATIONS: usize = 256;

/// One ACME server: the CA that signs, the store, the nonces. Share it in an `Arc`.
#[derive(Debug)]
pub struct AcmeServer {
    pub(crate) cfg: Config,
    pub(crate) ca: CertificateAuthority,
    pub(crate) store: Arc<dyn Store>,
    pub(crate) nonces: NonceStore,
    /// Authorizations whose validation task is running (at most [`MAX_VALIDATIONS`]).
    pub(crate) validating: Mutex<HashSet<String>>,
}

impl AcmeServer {
    /// A server issuing from `ca` with state in `store`.
    pub fn new(cfg: Config, ca: CertificateAuthority, store: Arc<dyn Store>) -> Arc<Self> {
        let nonces = NonceStore::new(cfg.nonce_capacity);
        Arc::new(AcmeServer {
            cfg,
            ca,
            store,
            nonces,
            validating: Mutex::new(HashSet::new()),
        })
    }

    /// The directory URL (what clients are given).
    pub fn directory_url(&self) -> String {
        self.url("/directory")
    }

    /// The settings.
    pub fn config(&self) -> &Config {
        &self.cfg
    }

    /// The CA that signs.
    pub fn ca(&self) -> &CertificateAuthority {
        &self.ca
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.cfg.base_url)
    }
}

/// What a handler answers, before headers common to every reply are added.
#[derive(Debug)]
pub(crate) struct Reply {
    pub status: u16,
    pub content_type: &'static str,
    pub body: Bytes,
    pub location: Option<String>,
    pub links: Vec<String>,
    pub retry_after: Option<u64>,
}

impl Reply {
    pub fn json(status: u16, value: &serde_json::Value) -> Reply {
        Reply {
            status,
            content_type: "application/json",
            body: Bytes::from(value.to_string()),
            location: None,
            links: Vec::new(),
            retry_after: None,
        }
    }

    pub fn empty(status: u16) -> Reply {
        Reply {
            content_type: "",
            body: Bytes::new(),
            ..Reply::json(status, &serde_json::Value::Null)
        }
    }

    pub fn bytes(content_type: &'static str, body: Vec<u8>) -> Reply {
        Reply {
            content_type,
            body: Bytes::from(body),
            ..Reply::empty(200)
        }
    }

    pub fn problem(e: &AcmeError) -> Reply {
        let p = e.problem();
        let retry_after = match e {
            AcmeError::RateLimited { retry_after, .. } => Some(*retry_after),
            _ => None,
        };
        Reply {
            status: p.status,
            content_type: "application/problem+json",
            body: Bytes::from(serde_json::to_vec(&p).unwrap_or_default()),
            location: None,
            links: Vec::new(),
            retry_after,
        }
    }

    pub fn with_location(mut self, url: String) -> Reply {
        self.location = Some(url);
        self
    }

    pub fn with_link(mut self, url: String, rel: &str) -> Reply {
        self.links.push(format!("<{url}>;rel=\"{rel}\""));
        self
    }
}
