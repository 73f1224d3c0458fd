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
//!
//! # Internals
//!
//! (The map of the whole workspace is ARCHITECTURE.md; this is the detail for this crate.)
//!
//! A layer on `pki` (issuance), `verify` + `handshake` (its HTTPS listener and the tls-alpn-01
//! client) and hyper. `https-kit acme serve --dir CA` runs it; `https-kit cert request --acme URL`
//! is its client. The CSR of a finalize goes through `CertificateAuthority::sign_csr` (the policy of
//! `ca sign`) after its names were checked to equal the order's; new orders are checked against the
//! same policy at once (a dry-run `issue`), so a refused name is `rejectedIdentifier` up front.
//!
//! | module | what |
//! |---|---|
//! | `problem.rs` | `AcmeError` (thiserror; one variant per `urn:ietf:params:acme:error:*` type, with its HTTP status) → `Problem` (`application/problem+json`) |
//! | `jws.rs` | flattened JWS; ES256/ES384/RS256/EdDSA verified with ring (`none`/MAC refused); `Jwk` (validated members, RFC 7638 thumbprint); key authorization |
//! | `nonce.rs` | single-use nonces, 128 random bits, bounded store (oldest forgotten); memory only |
//! | `model.rs` | `Account`, `Order`, `Authorization`, `Challenge`, `CertRecord`, `Identifier` (dns/ip normalization) |
//! | `config.rs` | `Config` (base URL, validation ports, `--resolve`, limits), read by `server` and `challenge` |
//! | `store/` | the `Store` trait (one transaction per method) and `SqliteStore` (rusqlite, bundled; WAL, synchronous=FULL; JSON rows + lookup columns) |
//! | `challenge/` | `http01.rs` (hyper GET, 8 KiB cap, no redirects), `tlsalpn01.rs` (our TLS client, ALPN `acme-tls/1`, a `ServerCertVerifier` that checks the critical acmeIdentifier = SHA-256(key authorization) and the single SAN; reverse-DNS SNI for IPs, RFC 8738), `--resolve` / DNS |
//! | `server/` | `paths.rs` (resource paths), `routes.rs` (method+path → handler; body ≤ 64 KiB; `application/jose+json`; Replay-Nonce, Link, Retry-After), `auth.rs` (url → key → signature → nonce, so a forged request does not burn a nonce), `account.rs` (newAccount, onlyReturnExisting, update, deactivation, orders list, key rollover), `order.rs` (newOrder with the per-account hourly limit, authorizations, challenges, validation tasks), `finalize.rs` (badCSR rules, certificate download as `application/pem-certificate-chain`), `revoke.rs` (revokeCert by the ordering account, an account holding valid authorizations for every name, or the certificate key, the CRL at `/crl` built by rcgen and signed by the CA, ARI renewal info), `views.rs` (JSON), `listen.rs` (TCP → `TlsAcceptor` → hyper, 256 connections, 10 s timeouts) |
//! | `client/` | `AcmeClient` (directory, nonces with one badNonce retry, order → authorize → finalize → download), `AccountKey` (ES256/EdDSA/RS256 signing), `Https` (our TLS client under hyper), `Http01Responder`, `TlsAlpnResponder` (RFC 8737 certificate by rcgen, chosen by SNI) |
//!
//! Choices:
//! - Each order gets its own authorizations (no reuse across orders): simpler state, one transaction
//!   moves challenge + authorization + order together. An order's pending → ready/invalid and its
//!   expiry are derived from its authorizations when it is read, so validations finishing at the same
//!   moment cannot leave it stuck; `finalize` in the store refuses an order that already has a
//!   certificate, inside the same transaction (a racing second finalize gets orderNotReady).
//! - The certificate URL returns leaf + intermediates + the root when the CA is a root (certbot
//!   refuses a one-certificate chain). Issued certificates carry no CRL distribution point (pki's
//!   profile is unchanged); the CRL is at `BASE/crl` and `https-kit verify --crl` reads it.
//! - Leniency for Debian's lego 4.9: an IP sent as identifier type `dns` becomes type `ip`, and a
//!   tls-alpn-01 certificate naming an IP as dNSName is accepted (the acmeIdentifier digest is the
//!   proof). A CSR with an IP in a dNSName is refused (badCSR): that certificate would match nothing.
//! - The CSR's key must not be the account key (§11.1, badCSR). A renewal order's `replaces`
//!   (RFC 9773 §5) must name a certificate of the same account.
//! - In-band tls-alpn-01 (`serve --acme ... --acme-challenge tls-alpn-01`, as Caddy does): with
//!   https-handshake's `ClientHelloInfo::alpn_protocols` the site's certificate resolver can give hellos offering `acme-tls/1` the challenge certificate (`ChallengeCertificates`,
//!   RFC 8737 §3: only to those) on the site's own port; `serve` closes such connections after the
//!   handshake. The first request then runs in the background (the site must already listen) and
//!   retries with backoff.
//! - The listener's own certificate (issued by the CA at start for localhost and the loopback
//!   addresses, 30 days) is reissued on the first handshake after it is 10 days old.
//! - Validations run as tasks (≤ 256, deduplicated per authorization); one cut by a restart stays
//!   `processing` in the store and is started again by the client's next poll.
//! - A PostgreSQL store would implement the same `Store` trait (e.g. with `postgres` or `sqlx` behind
//!   a blocking pool): the same four tables with `jsonb` bodies, each method one transaction
//!   (`SERIALIZABLE`, or `SELECT ... FOR UPDATE` on the order row for finalize and validation
//!   results), the unique thumbprint constraint for account races, and the rate-limit count as an
//!   indexed query. Nonces would have to move into the database (or a shared cache) once several
//!   servers sit behind one name, since a nonce issued by one must be accepted by another; the
//!   validation task set would need a lease column so one server resumes what another dropped.
//! - Not done (RFC 8555): external account binding (§7.3.4), pre-authorization (newAuthz, §7.4.1),
//!   dns-01 (and so wildcards), notBefore/notAfter in orders (refused as malformed), `Link:
//!   rel="alternate"` chains, authorization reuse across orders, redirect following in http-01,
//!   multi-perspective validation, CAA checks, subproblems (§6.7.1), a visible `processing` order
//!   state (finalize signs synchronously); tls-alpn-01 validation speaks TLS 1.3 only (our client),
//!   so a responder limited to TLS 1.2 fails; nonces are not shared between server processes.
//! - Tests: `crates/acme/tests/flows.rs` (in-process server over our TLS: http-01 and tls-alpn-01 for a
//!   name, IPv4 and IPv6; every account key type; revocation by account and by certificate key → CRL;
//!   ARI; key rollover; deactivation; a restart between new-order and finalize; a restart during a
//!   validation), `tests/negative.rs` (29 cases, "input → problem type + status"),
//!   `crates/cli/tests/cli_acme.rs` (certbot certonly for a name and for name + IP, renew
//!   --force-renewal, revoke → the serial on the CRL and `verify --crl` refusing it; lego --http /
//!   --tls; kill -9 between new-order and finalize), `cli_acme_client.rs` (`cert request` against
//!   `acme serve` and Pebble, both challenges, names and IPs; `serve --acme` renewing while it
//!   serves, and answering tls-alpn-01 on its own port); openssl judges, helpers in `tests/acme_support/`.
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
