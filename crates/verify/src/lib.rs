//! https-verify: certificate path validation that explains itself (seed handshake steps 2–4).
//!
//! Given an end-entity certificate, candidate intermediates, trust anchors, a time, an optional
//! expected name and a purpose, [`verify_chain`] finds a path to a trust anchor and checks every
//! certificate on it: dates, issuer name, the issuer's signature over the TBS bytes (RSA PKCS#1
//! v1.5, RSA-PSS, ECDSA P-256/P-384, Ed25519, verified with ring), basicConstraints and
//! pathLen, keyUsage, extendedKeyUsage, name constraints, critical extensions and profile rules.
//! [`verify_with_report`] also returns a [`Report`]: each step with its outcome and values, as
//! text (✓/✗) or JSON.
//!
//! Certificates are walked by this crate's own strict DER reader (no allocation on the common
//! path); x509-parser's parsers decide the unusual encodings and parse CRLs. The validation logic
//! is this crate's own.
//!
//! ```
//! use https_verify::{verify_with_report, Purpose, Request, ServerName, TrustAnchors};
//!
//! // A CA and a server certificate made with rcgen for the example.
//! let ca_key = rcgen::KeyPair::generate().unwrap();
//! let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
//! ca_params.distinguished_name.push(rcgen::DnType::CommonName, "Example CA");
//! ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
//! ca_params.key_usages = vec![rcgen::KeyUsagePurpose::KeyCertSign];
//! let ca = ca_params.self_signed(&ca_key).unwrap();
//! let issuer = rcgen::Issuer::new(ca_params, ca_key);
//! let key = rcgen::KeyPair::generate().unwrap();
//! let mut params = rcgen::CertificateParams::new(vec!["example.com".to_string()]).unwrap();
//! params.use_authority_key_identifier_extension = true;
//! let leaf = params.signed_by(&key, &issuer).unwrap();
//!
//! let anchors = TrustAnchors::from_der_list([ca.der()]).unwrap();
//! let name = ServerName::parse("example.com").unwrap();
//! let request = Request::new(leaf.der(), &anchors, https_verify::unix_now())
//!     .name(&name)
//!     .purpose(Purpose::Server);
//! let (report, result) = verify_with_report(&request);
//! assert!(result.is_ok(), "{report}");
//! assert!(report.to_string().contains("✓ signature"));
//! ```
//!
//! # Internals
//!
//! (The map of the whole workspace is ARCHITECTURE.md; this is the detail for this crate.)
//!
//! Our own RFC 5280 path validator: ring only verifies signatures; the decisions are here.
//! Certificates are walked by a small strict DER reader of our own (`tbs.rs`, `ext.rs`): no
//! allocation on the common path; where an element is not in the form real certificates use (an odd
//! time, AlgorithmIdentifier or extension value), x509-parser's parser for that element decides, so
//! the accepted set stays x509-parser's (x509-limbo output byte-identical before and after). `verify_chain(&Request)` is the fast path; `verify_with_report` returns the
//! same verdict plus a `Report` (ordered steps: check, certificate, outcome, detail; the signature
//! steps carry algorithm, hash and the hex digest of the TBS bytes — the seed's "hash the data and
//! compare"), printable with ✓/✗ or as stable JSON.
//!
//! | module | what |
//! |---|---|
//! | `request.rs` | `Request` (builder), `VerifiedPath`, `unix_now`, `MAX_PATH_LEN` |
//! | `path.rs` | the search: depth-first from the leaf, anchors first then intermediates by subject; AKI/SKI filter, loop detection (by certificate and by name+key), pathLen / max depth (self-issued not counted), memoised signature and issuer checks |
//! | `store.rs` | the request's certificates parsed once (`Store`, `Node`), `Ctx` (what checks read), `Budget` (100 signatures, 5,000 candidates, 250,000 name-constraint comparisons) |
//! | `checks.rs` | per-certificate checks: any role (structure, algorithms, critical extensions, dates, AKI), end entity (CA-as-leaf, CABF server profile and CN sanity, keyUsage, EKU, SAN name match — no CN fallback), issuer (CA, critical basicConstraints, keyCertSign, SKI, root profile) |
//! | `constraints.rs` | name constraints: DNS and IP by https-pkix's rule (wildcard SANs per CVE-2025-61727), directoryName prefix, rfc822Name; other forms under a constraint fail closed |
//! | `revocation.rs` | caller-supplied CRLs: issuer name + signature, cRLSign, version, CRL number, critical extensions, thisUpdate |
//! | `cert.rs` | one parsed certificate; role-independent structure and profile facts (v3, serial, signatureAlgorithm = TBS signature, duplicate/malformed extensions, AKI/SKI criticality, empty names) |
//! | `tbs.rs`, `der.rs` | the DER walk: one TLV reader (definite, minimal lengths, every length checked), the TBSCertificate fields as slices, Names checked structurally, UTCTime/GeneralizedTime to Unix seconds |
//! | `ext.rs` | extension values: basicConstraints, keyUsage, EKU, key identifiers and DNS/IP/e-mail/URI SANs read directly; any other form or extension through x509-parser's parser for it (same `ParsedExtension`; agreement test) |
//! | `frozen.rs` | a parsed certificate as offsets into its DER: trust anchors are parsed once when the set is built |
//! | `sig.rs` | AlgorithmIdentifier → ring (PKCS#1 v1.5, PSS with exact params, ECDSA P-256/P-384, Ed25519) and the protocol-neutral `SignatureAlgorithm` for CertificateVerify-style checks, through one ring table; SPKI checks (named curves only, RSA 2048–8192 multiple of 8) |
//! | `name.rs` | `ServerName`, RFC 6125 wildcard matching, how names are shown |
//! | `anchors.rs` | `TrustAnchors` (PEM/DER/system bundle), indexed by subject, each parsed once (`frozen.rs`; one with SAN or name constraints is parsed again when used); anchors are checked as certificates at use (dates, CA, critical extensions), not their self-signature, AKI or pathLen |
//! | `recorder.rs`, `report.rs`, `error.rs` | `Recorder` (`Silent` for the fast path, `Vec<Step>` for a report), `Report`/`Step`, `VerifyError` (`kind()` → stable id) |
//!
//! Invariants: module edges point down — `path` → `checks` / `constraints` / `revocation` (which
//! never use each other) → `store` → `request` → `anchors` / `name` → `frozen` → `cert` → `ext` /
//! `sig` → `tbs` → `der` / `oid` / `error` (no cycles: `python3 ../shared/hooks/modcycles.py crates/*/src`);
//! every step is built inside `Recorder::record(|| …)`, so with `Silent` no report string is
//! formatted (error values still carry their text); verify knows nothing of TLS — the alert for a
//! `VerifyError` is `https_handshake::certificate_alert`, the SignatureScheme code points are
//! `https_handshake::SignatureScheme` (which maps each onto a `SignatureAlgorithm`).
//!
//! Policy choices where the x509-limbo suite offers two answers: EE without EKU is valid (RFC 5280);
//! non-critical nameConstraints are enforced (CABF/webpki); a CA certificate may end a path if it may
//! sign certificates (RFC 5280). Evidence: `cargo xtask limbo` (ours and rustls-webpki side by side, zero
//! false accepts), `tests/oracle.rs` (proptest: same verdict as rustls-webpki on random https-pki chains),
//! `tests/mutation.rs` (8,000 damaged certificates → rejected with a failed step, no panic),
//! `tests/agreement.rs` (https-pki's policy and the validator agree under name constraints),
//! `cargo xtask bench verify`. Cost (callgrind, `examples/callgrind.rs`, per validation of the bench
//! chain): the two ECDSA verifications ~1.51M instructions on both sides; everything else ~17.6k
//! for us (was ~72k with x509-parser's eager parse and anchors re-parsed each time) against
//! ~14.1k for rustls-webpki; wall clock ~0.99× (parity within the host's noise).
#![forbid(unsafe_code)]

mod anchors;
mod cert;
mod checks;
mod constraints;
mod der;
mod error;
mod ext;
mod frozen;
mod name;
mod oid;
mod path;
mod recorder;
mod report;
mod request;
mod revocation;
mod sig;
mod store;
mod tbs;

pub use anchors::{TrustAnchors, SYSTEM_BUNDLE};
pub use error::VerifyError;
/// What the end entity is for (defined once in https-pkix, shared with the CA).
pub use https_pkix::Purpose;
pub use name::ServerName;
pub use path::{verify_chain, verify_with_report};
pub use report::{Check, ErrorInfo, Outcome, PathEntry, Report, SignatureDetail, Step};
pub use request::{unix_now, Request, VerifiedPath, MAX_PATH_LEN};
pub use sig::{verify_signature, KeyKind, SignatureAlgorithm};

use x509_parser::prelude::FromDer;

/// The DER SubjectPublicKeyInfo of a certificate (e.g. the end entity's, for CertificateVerify).
pub fn end_entity_spki(cert_der: &[u8]) -> Result<Vec<u8>, VerifyError> {
    // The validator's own parser: the TLS client calls this once per handshake.
    let tbs = tbs::parse(cert_der).map_err(|what| VerifyError::Malformed { what })?;
    Ok(tbs.spki_raw.to_vec())
}

/// The kind of key in a DER SubjectPublicKeyInfo (to pick a signature scheme).
pub fn spki_key_kind(spki_der: &[u8]) -> Result<KeyKind, VerifyError> {
    let (_, spki) = x509_parser::x509::SubjectPublicKeyInfo::from_der(spki_der).map_err(|e| {
        VerifyError::Malformed {
            what: format!("SubjectPublicKeyInfo: {e}"),
        }
    })?;
    Ok(sig::parse_spki(&spki)?.kind)
}

/// Splits PEM text into DER certificates (in order); non-certificate blocks are ignored, a
/// truncated or corrupt block is an error.
pub fn certs_from_pem(pem_text: &[u8]) -> Result<Vec<Vec<u8>>, VerifyError> {
    blocks_from_pem(pem_text, "CERTIFICATE")
}

/// Splits PEM text into DER CRLs (`X509 CRL` blocks, in order).
pub fn crls_from_pem(pem_text: &[u8]) -> Result<Vec<Vec<u8>>, VerifyError> {
    blocks_from_pem(pem_text, "X509 CRL")
}

fn blocks_from_pem(pem_text: &[u8], label: &str) -> Result<Vec<Vec<u8>>, VerifyError> {
    https_pkix::pem::contents_with_label(pem_text, label).map_err(|e| VerifyError::InvalidInput {
        what: format!("PEM: {e}"),
    })
}
