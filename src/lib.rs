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
#![forbid(unsafe_code)]

pub use https_handshake as handshake;
pub use https_pki as pki;
pub use https_record as record;
pub use https_verify as verify;
