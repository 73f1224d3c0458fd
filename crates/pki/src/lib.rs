//! # https-pki: the application stage of HTTPS
//!
//! Keys, certificate signing requests, a local certificate authority and certificate issuance:
//! steps 1–4 of the seed's application stage, usable from any Rust program (no CLI needed).
//!
//! ```
//! use https_pki::{CaOptions, CertificateAuthority, Profile};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let dir = tempfile::tempdir()?;
//! // A root CA (ECDSA P-256, 10 years) and a server certificate (397 days) it signs.
//! let ca = CertificateAuthority::new_root(&CaOptions::root("Example Local CA"))?;
//! let site = ca.issue(&["localhost", "127.0.0.1"], &Profile::server())?;
//! std::fs::write(dir.path().join("ca.crt"), ca.cert_pem())?;
//! std::fs::write(dir.path().join("site.crt"), site.fullchain_pem())?;
//! std::fs::write(dir.path().join("site.key"), site.key.to_pkcs8_pem().as_bytes())?;
//! let facts = https_pki::inspect::describe(site.cert_pem.as_bytes())?;
//! assert_eq!(facts.subject_alt_names, ["DNS:localhost", "IP:127.0.0.1"]);
//! # Ok(()) }
//! ```
//!
//! The seed's steps, one call each:
//!
//! 1. [`PrivateKey::generate`] makes `site.key`; [`PrivateKey::public_key_pem`] is `site.pub`.
//! 2. [`Csr::new`] makes `site.csr`, signed with the site key; [`Csr::from_pem`] reads a CSR made
//!    elsewhere (e.g. `openssl req`) and checks its self-signature.
//! 3. [`CertificateAuthority::sign_csr`] checks the request against the CA's policy and signs it:
//!    `site.crt`.
//! 4. [`Signed::fullchain_pem`] is what the administrator installs on the web server.
//!
//! Key types: ECDSA P-256 (default), P-384, Ed25519, RSA-2048/3072/4096. ring signs everything;
//! ring cannot generate RSA keys, so RSA generation uses the `rsa` crate and hands the key to ring
//! as PKCS#8.
//!
//! For tests of certificate verification, [`CaOptions`] and [`Profile`] expose the validity
//! window, the CA flag, keyCertSign, path length and policy enforcement, so expired, not yet
//! valid, or mis-issued chains are easy to build.
//!
//! # Internals
//!
//! (The map of the whole workspace is ARCHITECTURE.md; this is the detail for this crate.)
//!
//! | seed step | code | CLI |
//! |---|---|---|
//! | 1. site generates `site.key` / `site.pub` | `key.rs`: `KeyType`, `PrivateKey::generate`, `to_pkcs8_pem`, `public_key_pem`; `from_pem` also loads openssl's PKCS#8, SEC1 and PKCS#1 keys | `key new` |
//! | 2. site makes `site.csr` with its key and information | `csr.rs`: `Csr::new` (CN + DNS/wildcard/IP SANs); `Csr::from_pem` parses any PKCS#10 request and verifies its self-signature | `csr new` |
//! | 3. CA verifies and signs → `site.crt` | `ca.rs`: `CertificateAuthority::new_root`, `new_intermediate`, `sign_csr` (policy: SAN present and well formed, no `*.tld`, RSA ≥ 2048, name constraints), `issue` (key + cert in one step) | `ca init`, `ca intermediate`, `ca sign`, `cert issue` |
//! | 4. certificate handed to the administrator | `Signed` / `Issued` (`cert_pem`, `fullchain_pem`, `chain_pem`); `inspect.rs`: `describe` → `Description` (serde) | `inspect` |
//!
//! Other modules: `names.rs` (`SubjectAltName` parsing; the policy's view of https-pkix's DNS
//! syntax, wildcard and subtree rules), `pemutil.rs` (errors naming the expected label over
//! https-pkix's PEM splitting; SHA-256 fingerprints), `error.rs` (`Error`, with `is_policy()`
//! separating refusals from bad input). `Purpose` is https-pkix's, re-exported. The signing policy
//! applies name constraints exactly as the validator does (permitted: every name a wildcard stands
//! for inside; excluded: none of them inside; malformed constraint: refuse).
//!
//! Choices:
//!
//! - **rcgen builds certificates, ring signs, x509-parser reads.** The certificate body is encoded by
//!   rcgen; every signature (ECDSA P-256/P-384, Ed25519, RSA PKCS#1 v1.5 SHA-256) is made by ring.
//!   CSR self-signatures are checked with x509-parser's ring-backed verifier.
//! - **RSA key generation uses the `rsa` crate, for generation only.** ring cannot generate RSA keys.
//!   `rsa::RsaPrivateKey::new` (fed by ring's `SystemRandom` through a small `rand_core` adapter) makes
//!   the key, it is exported as PKCS#8 and handed to ring, which does all signing. The `rsa` crate's
//!   known timing issue (RUSTSEC-2023-0071, Marvin) is in its decryption/signing code, which we never
//!   call. Alternatives rejected: aws-lc-rs (a C/CMake build for one feature), shelling out to openssl.
//! - **Ed25519 keys are written as PKCS#8 v1** (seed only): ring emits v2, which OpenSSL 3.0 cannot read.
//! - **Leaf profile.** 16-byte random serial (126 bits of entropy), notBefore one hour back,
//!   397 days by default, basicConstraints CA:FALSE (critical), keyUsage digitalSignature (+
//!   keyEncipherment for RSA, critical), EKU serverAuth or clientAuth, SKI and AKI, SANs from the
//!   request; the CN is copied, other requested extensions are ignored.
//! - **CA profile.** basicConstraints CA:TRUE critical (pathLen 0 for intermediates), keyUsage
//!   keyCertSign + cRLSign critical, SKI (AKI for intermediates), 3650 days. `--permit-dns` writes
//!   permitted DNS subtrees *and* excluded IPv4/IPv6 `0/0`, because RFC 5280 leaves IP names
//!   unconstrained by a DNS-only constraint; the signing policy refuses IPs for such a CA as well.
//! - **Test fixtures are first-class.** `Validity::between`, `CaOptions { is_ca, key_cert_sign,
//!   path_len, .. }` and `Profile::without_policy()` build expired, not-yet-valid and mis-issued
//!   chains for the verifier's tests.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod ca;
mod csr;
mod error;
pub mod inspect;
mod key;
mod names;
mod pemutil;

pub use ca::{
    CaOptions, CertificateAuthority, Issued, Profile, Purpose, Signed, Validity, CA_DAYS, LEAF_DAYS,
};
pub use csr::Csr;
pub use error::{Error, Result};
pub use key::{public_key_algorithm_from_pem, KeyAlgorithm, KeyType, PrivateKey};
pub use names::SubjectAltName;
pub use pemutil::sha256_fingerprint;
/// The `time` crate, re-exported so callers can build a [`Validity`] without adding it themselves.
pub use time;

/// Parse the certificates in a PEM bundle (e.g. a fullchain) into DER, in order.
pub fn certificates_from_pem(pem_text: &str) -> Result<Vec<Vec<u8>>> {
    let blocks = pemutil::parse_all(pem_text.as_bytes())?;
    blocks
        .into_iter()
        .map(|b| {
            if b.tag() != "CERTIFICATE" {
                return Err(Error::WrongLabel {
                    expected: "CERTIFICATE".into(),
                    found: b.tag().into(),
                });
            }
            ca::parse_cert(b.contents())?;
            Ok(b.contents().to_vec())
        })
        .collect()
}

/// PEM-encode DER certificates (one block each).
pub fn certificates_to_pem(ders: &[Vec<u8>]) -> String {
    ders.iter()
        .map(|d| pemutil::encode("CERTIFICATE", d))
        .collect()
}
