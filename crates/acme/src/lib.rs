//! # https-acme: the CA verifies identity, by ACME (RFC 8555)
//!
//! An ACME server for the https-kit local CA: certbot, lego or any RFC 8555 client proves it
//! controls a name (http-01, RFC 8555 §8.3; tls-alpn-01, RFC 8737; DNS names and IP addresses,
//! RFC 8738) and the CA then signs its CSR through the same policy as `https-kit ca sign`.
//!
//! ```
//! use std::sync::Arc;
//! use https_acme::{AcmeServer, Config, SqliteStore};
//! use https_pki::{CaOptions, CertificateAuthority};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let ca = CertificateAuthority::new_root(&CaOptions::root("Example Local CA"))?;
//! let mut cfg = Config::new("https://127.0.0.1:14000");
//! cfg.http01_port = 5002; // where http-01 validation connects (80 in the RFC)
//! let server = AcmeServer::new(cfg, ca, Arc::new(SqliteStore::in_memory()?));
//! assert_eq!(server.directory_url(), "https://127.0.0.1:14000/directory");
//! // The CRL lists revoked serials (none yet), signed by the CA.
//! assert!(!server.crl_der()?.is_empty());
//! // To serve: https_acme::serve(server, tokio_listener, tls_config).await
//! # Ok(()) }
//! ```
//!
//! Pieces: [`jws`] (JWS verification with ring: ES256, ES384, RS256, EdDSA; RFC 7638
//! thumbprints), [`nonce`] (single-use, bounded), [`store`] (the [`Store`] trait and its SQLite
//! implementation), [`model`] (accounts, orders, authorizations, challenges), [`challenge`]
//! (http-01 and tls-alpn-01 validation), [`AcmeServer`] (routes, problem documents
//! ([`AcmeError`]), revocation, CRL, renewal info (RFC 9773)).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod challenge;
pub mod client;
mod config;
mod ids;
pub mod jws;
pub mod model;
pub mod nonce;
mod problem;
mod server;
pub mod store;

pub use problem::{AcmeError, Problem, Result};
pub use server::{
    ari_cert_id, listener_tls_config, serve, AcmeServer, Config, MAX_BODY, MAX_IDENTIFIERS,
};
pub use store::{SqliteStore, Store};
