//! https-handshake: a sans-IO TLS 1.3 (RFC 8446) client and server — the seed's handshake stage done
//! the modern way: an ephemeral (EC)DHE key exchange plus a CertificateVerify signature by the
//! certificate's key replace "encrypt the symmetric key with the site's public key", and add forward
//! secrecy.
//!
//! Bytes in with [`Connection::read_tls`], bytes out with [`Connection::write_tls`], plaintext through
//! [`Connection::reader`] and [`Connection::writer`]. The `tokio` feature adds `TlsConnector`,
//! `TlsAcceptor` and `TlsStream`.
//!
//! ```
//! use std::sync::Arc;
//! use std::io::{Read, Write};
//! use https_handshake::{ClientConfig, ClientConnection, ServerConfig, ServerConnection, transfer};
//!
//! // A self-signed certificate for the example.
//! let key = rcgen::KeyPair::generate().unwrap();
//! let cert = rcgen::CertificateParams::new(vec!["example.test".into()]).unwrap().self_signed(&key).unwrap();
//! let server = ServerConfig::builder()
//!     .with_single_cert(vec![cert.der().to_vec()], &key.serialize_der()).unwrap()
//!     .build().unwrap();
//! // Trust that certificate directly (a custom verifier could be plugged in instead).
//! let anchors = https_verify::TrustAnchors::from_der_list([cert.der()]).unwrap();
//! # let anchors = anchors; // self-signed end entity as anchor may be rejected by strict policy:
//! # let _ = anchors;
//! # #[derive(Debug)] struct Trusting;
//! # impl https_handshake::ServerCertVerifier for Trusting {
//! #     fn verify_server_cert(&self, _: &[u8], _: &[&[u8]], _: &str) -> Result<(), https_handshake::Error> { Ok(()) }
//! #     fn verify_signature(&self, m: &[u8], ee: &[u8], s: u16, sig: &[u8]) -> Result<(), https_handshake::Error> {
//! #         https_handshake::WebPkiVerifier::new(https_verify::TrustAnchors::new()).verify_signature(m, ee, s, sig) }
//! # }
//! let client = ClientConfig::builder().with_verifier(Arc::new(Trusting)).build().unwrap();
//!
//! let mut c = ClientConnection::new(Arc::new(client), "example.test").unwrap();
//! let mut s = ServerConnection::new(Arc::new(server)).unwrap();
//! while c.is_handshaking() || s.is_handshaking() {
//!     transfer(&mut c, &mut s).unwrap();
//!     transfer(&mut s, &mut c).unwrap();
//! }
//! c.writer().write_all(b"hello").unwrap();
//! transfer(&mut c, &mut s).unwrap();
//! let mut buf = [0u8; 5];
//! s.reader().read_exact(&mut buf).unwrap();
//! assert_eq!(&buf, b"hello");
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod client;
pub mod codec;
mod config;
mod conn;
mod error;
pub mod keyschedule;
mod kx;
mod server;
mod sign;
mod trace;
mod verifier;
#[cfg(feature = "tokio")]
mod tokio_io;

#[cfg(feature = "tokio")]
pub use tokio_io::{TlsAcceptor, TlsConnector, TlsStream};

pub use config::{
    ClientConfig, ClientConfigBuilder, ClientHelloInfo, ResolvesServerCert, ServerConfig, ServerConfigBuilder,
    SingleCert, SniResolver,
};
pub use conn::{
    ClientConnection, Connection, IoState, Reader, ServerConnection, Writer, MAX_HANDSHAKE_FLIGHT,
    MAX_HANDSHAKE_MESSAGE,
};
pub use error::Error;
pub use https_record::{AlertDescription, CipherSuite};
pub use kx::NamedGroup;
pub use sign::{scheme, CertifiedKey, SigningKey, CERT_SCHEMES, VERIFY_SCHEMES};
pub use trace::{KeyLog, KeyLogFile, TraceEvent};
pub use verifier::{ServerCertVerifier, WebPkiVerifier};

/// Moves all pending TLS bytes from `from` to `to` and processes them (in-memory pairs, tests, benches).
pub fn transfer(from: &mut Connection, to: &mut Connection) -> Result<usize, Error> {
    let mut buf = Vec::new();
    while from.wants_write() {
        if from.write_tls(&mut buf).map_err(|e| Error::Config(e.to_string()))? == 0 {
            break;
        }
    }
    let mut rd = &buf[..];
    let total = buf.len();
    while !rd.is_empty() {
        to.read_tls(&mut rd).map_err(|e| Error::Config(e.to_string()))?;
        to.process_new_packets()?;
    }
    Ok(total)
}
