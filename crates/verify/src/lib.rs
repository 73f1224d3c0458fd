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
    let (_, cert) = x509_parser::certificate::X509Certificate::from_der(cert_der).map_err(|e| {
        VerifyError::Malformed {
            what: format!("not a DER X.509 certificate: {e}"),
        }
    })?;
    Ok(cert.tbs_certificate.subject_pki.raw.to_vec())
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
