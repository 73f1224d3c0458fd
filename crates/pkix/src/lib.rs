//! # https-pkix: the PKI vocabulary both the CA (`https-pki`) and the validator (`https-verify`) use
//!
//! One definition of each concept the issuing side and the checking side must agree on, so a CA
//! cannot issue what the validator then judges differently:
//!
//! - [`Purpose`]: what a certificate is for, and its extendedKeyUsage OID;
//! - [`pem`]: PEM splitting that detects truncation and corrupt blocks;
//! - [`dns`]: DNS name syntax (presented names, wildcards, reference names) and DNS subtree
//!   relations for name constraints (RFC 5280 §4.2.1.10), [`ip`]: iPAddress subtrees;
//! - [`keywrap`]: SEC1 and PKCS#1 private keys wrapped in PKCS#8 (what ring reads).
//!
//! It sits at the bottom of the workspace and depends on no other https-kit crate.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod dns;
pub mod ip;
pub mod keywrap;
pub mod pem;
mod purpose;

pub use purpose::Purpose;
