//! # https-kit
//!
//! HTTPS built from its parts. This facade re-exports the layer crates so a project can depend on
//! one crate and reach every layer; each layer is also usable on its own.
//!
//! | module | crate | seed stage |
//! |---|---|---|
//! | [`pki`] | `https-pki` | application stage: keys, CSR, CA, certificates |
//! | [`verify`] | `https-verify` | handshake steps 2–4: certificate checks |
//! | [`handshake`] | `https-handshake` | handshake steps 1–7: TLS 1.3 key exchange |
//! | [`record`] | `https-record` | communication stage: AEAD records |
//!
//! The application stage and the certificate checks, end to end:
//!
//! ```
//! use https_kit::pki::{CaOptions, CertificateAuthority, Profile};
//! use https_kit::verify::{verify_chain, Purpose, Request, ServerName, TrustAnchors};
//!
//! // Seed steps 1-4: a CA issues a certificate for the site.
//! let ca = CertificateAuthority::new_root(&CaOptions::root("Example Local CA"))?;
//! let site = ca.issue(&["www.example.test"], &Profile::server())?;
//!
//! // Handshake steps 2-4: the browser checks it against the CA it trusts.
//! let anchors = TrustAnchors::from_der_list([ca.cert_der().to_vec()])?;
//! let name = ServerName::parse("www.example.test")?;
//! let now = std::time::SystemTime::now()
//!     .duration_since(std::time::UNIX_EPOCH)?
//!     .as_secs() as i64;
//! let request = Request::new(&site.cert_der, &anchors, now)
//!     .name(&name)
//!     .purpose(Purpose::Server);
//! assert!(verify_chain(&request).is_ok());
//!
//! // Another name is refused.
//! let other = ServerName::parse("evil.example.test")?;
//! assert!(verify_chain(&Request::new(&site.cert_der, &anchors, now).name(&other)).is_err());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]

pub use https_handshake as handshake;
pub use https_pki as pki;
pub use https_record as record;
pub use https_verify as verify;
