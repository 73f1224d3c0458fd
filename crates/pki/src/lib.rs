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
