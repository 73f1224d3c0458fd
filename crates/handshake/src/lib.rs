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
//! assert_eq!(c.protocol_version(), Some(https_handshake::ProtocolVersion::Tls13));
//!
//! c.writer().write_all(b"hello").unwrap();
//! transfer(&mut c, &mut s).unwrap();
//! let mut buf = [0u8; 5];
//! s.reader().read_exact(&mut buf).unwrap();
//! assert_eq!(&buf, b"hello");
//! ```
//!
//! Session tickets are on by default: two NewSessionTickets after each handshake (when the client
//! offers psk_dhe_ke), bound to the SNI, ALPN and client certificate they were issued for, sealed
//! under keys that rotate every 6 hours ([`Ticketer`]). Servers behind one name share keys through
//! a 0600 key file ([`Ticketer::from_key_file`], format and rotation in [`TicketKeyFile`]):
//!
//! ```no_run
//! # use std::sync::Arc;
//! # fn f(b: https_handshake::ServerConfigBuilder) -> Result<(), https_handshake::Error> {
//! use https_handshake::{TicketKeyFile, Ticketer};
//! let path = std::path::Path::new("/etc/https-kit/tickets.key");
//! // Once, then `TicketKeyFile::rotate(path)` (or `https-kit ticket-key rotate`) every 6 hours.
//! TicketKeyFile::create(path)?;
//! let config = b.with_ticketer(Arc::new(Ticketer::from_key_file(path)?)).build()?;
//! # Ok(()) }
//! ```
//!
//! Key logging is opt-in: nothing is logged unless a [`KeyLog`] is given, e.g.
//! `.with_key_log(Arc::new(KeyLogFile::from_env()?))` to honour `SSLKEYLOGFILE` as curl does.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod auth;
mod client;
mod client_hello;
#[doc(hidden)]
pub mod codec;
mod common;
mod config;
mod conn;
mod constant_time;
mod context;
mod error;
#[doc(hidden)]
pub mod keyschedule;
mod kx;
mod negotiate;
mod resumption;
mod server;
mod server_flight;
mod server_psk;
mod sign;
mod tickets;
#[cfg(feature = "tokio")]
mod tokio_io;
mod trace;
mod traffic;
mod verifier;

#[cfg(feature = "tokio")]
pub use tokio_io::{TlsAcceptor, TlsConnector, TlsStream};

pub use codec::{ExtensionType, HandshakeType, ProtocolVersion};
pub use common::{MAX_CLIENT_HELLO, MAX_HANDSHAKE_FLIGHT, MAX_HANDSHAKE_MESSAGE, MAX_UNSENT_TLS};
pub use config::{
    ClientConfig, ClientConfigBuilder, ClientHelloInfo, ResolvesServerCert, ServerConfig,
    ServerConfigBuilder, SingleCert, SniResolver,
};
pub use conn::{ClientConnection, Connection, IoState, Reader, ServerConnection, Writer};
pub use error::{certificate_alert, Error, Negotiable, PeerMisbehaved};
pub use https_record::{AlertDescription, CipherSuite, Tls13Suite};
pub use https_record::{MAX_EARLY_DATA_SKIP, MAX_EMPTY_RECORDS};
pub use kx::NamedGroup;
pub use resumption::{ClientSessionStore, MAX_TICKETS_PER_SERVER, TICKET_LIFETIME};
pub use sign::{CertifiedKey, SignatureScheme, SigningKey, CERT_SCHEMES, VERIFY_SCHEMES};
pub use tickets::{
    TicketKeyError, TicketKeyFile, Ticketer, DEFAULT_RELOAD_INTERVAL, DEFAULT_ROTATION_PERIOD,
    DEFAULT_TICKET_LIFETIME, KEYS_KEPT, KEY_FILE_HEADER, MAX_KEY_FILE_BYTES, MAX_KEY_FILE_KEYS,
    MAX_TICKET_CERT_BYTES, MAX_TICKET_LIFETIME,
};
pub use trace::{render_trace, KeyLog, KeyLogFile, TraceEvent};
pub use verifier::{ClientCertVerifier, ServerCertVerifier, WebPkiClientVerifier, WebPkiVerifier};

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
