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
//! use std::io::{Read, Write};
//! use std::sync::Arc;
//! use https_handshake::{transfer, ClientConfig, ClientConnection, ServerConfig, ServerConnection};
//! use https_pki::{CaOptions, CertificateAuthority, Profile};
//!
//! // A local CA and a server certificate for "example.test" (https-pki).
//! let ca = CertificateAuthority::new_root(&CaOptions::root("Example CA")).unwrap();
//! let site = ca.issue(&["example.test"], &Profile::server()).unwrap();
//!
//! let server = ServerConfig::builder()
//!     .with_single_cert(vec![site.cert_der.clone()], site.key.pkcs8_der()).unwrap()
//!     .with_alpn(&[b"http/1.1"])
//!     .build().unwrap();
//! let roots = https_verify::TrustAnchors::from_der_list([ca.cert_der()]).unwrap();
//! let client = ClientConfig::builder()
//!     .with_root_certificates(roots)
//!     .with_alpn(&[b"h2", b"http/1.1"])
//!     .build().unwrap();
//!
//! let mut c = ClientConnection::new(Arc::new(client), "example.test").unwrap();
//! let mut s = ServerConnection::new(Arc::new(server)).unwrap();
//! while c.is_handshaking() || s.is_handshaking() {
//!     transfer(&mut c, &mut s).unwrap(); // ClientHello, then Finished
//!     transfer(&mut s, &mut c).unwrap(); // ServerHello .. Finished
//! }
//! assert_eq!(c.alpn_protocol(), Some(&b"http/1.1"[..]));
//! assert_eq!(c.protocol_version(), Some(0x0304));
//!
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
mod resumption;
mod server;
mod sign;
#[cfg(feature = "tokio")]
mod tokio_io;
mod trace;
mod verifier;

#[cfg(feature = "tokio")]
pub use tokio_io::{TlsAcceptor, TlsConnector, TlsStream};

pub use config::{
    ClientConfig, ClientConfigBuilder, ClientHelloInfo, ResolvesServerCert, ServerConfig,
    ServerConfigBuilder, SingleCert, SniResolver,
};
pub use conn::{
    ClientConnection, Connection, IoState, Reader, ServerConnection, Writer, MAX_HANDSHAKE_FLIGHT,
    MAX_HANDSHAKE_MESSAGE,
};
pub use error::Error;
pub use https_record::{AlertDescription, CipherSuite};
pub use kx::NamedGroup;
pub use resumption::{ClientSessionStore, Ticketer, TICKET_LIFETIME};
pub use sign::{
    scheme, scheme_name, CertifiedKey, SignatureScheme, SigningKey, CERT_SCHEMES, VERIFY_SCHEMES,
};
pub use trace::{render_trace, KeyLog, KeyLogFile, TraceEvent};
pub use verifier::{
    certificate_alert, ClientCertVerifier, ServerCertVerifier, WebPkiClientVerifier, WebPkiVerifier,
};

/// Moves all pending TLS bytes from `from` to `to` and processes them (in-memory pairs, tests, benches).
pub fn transfer(from: &mut Connection, to: &mut Connection) -> Result<usize, Error> {
    let mut buf = Vec::new();
    while from.wants_write() {
        if from
            .write_tls(&mut buf)
            .map_err(|e| Error::Config(e.to_string()))?
            == 0
        {
            break;
        }
    }
    let mut rd = &buf[..];
    let total = buf.len();
    while !rd.is_empty() {
        to.read_tls(&mut rd)
            .map_err(|e| Error::Config(e.to_string()))?;
        to.process_new_packets()?;
    }
    Ok(total)
}
