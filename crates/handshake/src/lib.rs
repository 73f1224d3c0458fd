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
//! 0-RTT (off by default, [`ServerConfigBuilder::with_max_early_data_size`]): the client gives its
//! first bytes to [`ClientConnection::new_with_early_data`] and they go as early data when the
//! stored ticket allows it, else after the handshake (always once); a server that accepted them
//! may answer at once, before the client's Finished (0.5-RTT data). Tickets can be kept between
//! processes with [`ClientSessionStore::save`] / [`ClientSessionStore::restore`] and the
//! versioned [`SavedSession`] text format.
//!
//! Key logging is opt-in: nothing is logged unless a [`KeyLog`] is given, e.g.
//! `.with_key_log(Arc::new(KeyLogFile::from_env()?))` to honour `SSLKEYLOGFILE` as curl does.
//!
//! # Internals
//!
//! (The map of the whole workspace is ARCHITECTURE.md; this is the detail for this crate.)
//!
//! RFC 8446 client and server, sans IO (bytes in, bytes out), rustls-style API; `tokio` feature adds
//! `TlsConnector` / `TlsAcceptor` / `TlsStream`. The API is documented in the crate docs (`cargo doc -p
//! https-handshake --features tokio`).
//!
//! | seed step | TLS 1.3 message (who) | code |
//! |---|---|---|
//! | 1. client hello | ClientHello: versions, suites, groups, an ephemeral (EC)DHE key share, SNI, ALPN (client) | `client.rs` `ClientState::start` |
//! | 2. server hello + (replaces "encrypt the symmetric key with the site's public key") | ServerHello with the server's key share; both sides compute the (EC)DHE or X25519MLKEM768 hybrid secret → forward secrecy. HelloRetryRequest (+cookie) when the client's share is not acceptable | `negotiate.rs` `negotiate` (pure: version, suite, group or HRR, PSK, SNI → certificate, ALPN), then `server.rs` `ExpectClientHello` emits one message per step (`server_flight.rs` `emit_*`, `HelloOut::send`), `kx/` (`kx::respond`) |
//! | 3. server sends its certificate | Certificate (chain chosen by SNI via `ResolvesServerCert`) | `negotiate.rs` `choose_cert`, `auth.rs` `send_certificate`, `config.rs` `SniResolver` |
//! | 4. client checks the certificate | `ServerCertVerifier` (default `WebPkiVerifier` = https-verify path validation + name; the CertificateVerify check of both roles is their supertrait `SignatureVerifier`, default `verify_tls13_signature`); a rejection is `Error::Certificate(VerifyError)`, its alert `certificate_alert` | `verifier.rs`, `error.rs` |
//! | 5. proof of key possession | CertificateVerify: the server signs the transcript hash (ECDSA P-256/P-384, RSA-PSS, Ed25519) | `auth.rs` (sending and checking, both roles), `sign.rs` (`SignatureScheme`, signing keys) |
//! | 6. shared symmetric keys | HKDF key schedule: `EarlySecret` → `into_handshake` → `HandshakeSecret` → `into_master` → `MasterSecret` (types, so the order is checked by the compiler); labels in `keyschedule::label` | `keyschedule.rs`, `context.rs` `derive_*_secrets` |
//! | 7. both confirm | Finished (HMAC over the transcript, checked with ring's constant-time HMAC verify) | `client.rs`/`server.rs` `ExpectFinished` |
//!
//! Map and invariants (checkable):
//! - Module edges point down, no cycles (`python3 ../shared/hooks/modcycles.py crates/*/src`):
//!   states (`client.rs`, `server.rs`, `traffic.rs`) → steps (`negotiate.rs` → `client_hello.rs`;
//!   `server_flight.rs`, `server_psk.rs`, `auth.rs`, `resumption.rs`, `client_early.rs`) → `context.rs`
//!   → `common.rs` → `keyschedule.rs` / `kx/` / `sign.rs` / `codec/` → `error.rs` → https-record / https-verify.
//!   `error.rs` owns every error type (also `TicketKeyError`); a peer's misbehaviour is a typed
//!   `PeerMisbehaved` variant (no free text), so callers and tests match the variant.
//! - States talk to the connection only through `context::Context` (send a message, install keys,
//!   derive and log secrets, record a negotiated value, trace); `conn.rs` lends one per message. The
//!   record layer (https-record `RecordLayer`) alone owns close_notify, EOF / truncation and the
//!   idle read buffer.
//! - Every code point is an enum with `Unknown(..)` from https-record's one `code_points!` macro:
//!   `AlertDescription`, `CipherSuite` (record), `ProtocolVersion`, `HandshakeType`, `ExtensionType`,
//!   `SignatureScheme` (`codec/types.rs`); `NamedGroup` (`kx/mod.rs`; `from_u16` is `Some` only for implemented
//!   groups). Codec fields carry these types, never a raw `u16` (key-share groups excepted: the
//!   codec fields are not converted to `NamedGroup` yet). `Tls13Suite` is the
//!   implemented subset of `CipherSuite` (what record protection and a negotiated connection use). Secrets are compared only through `constant_time::eq` or ring's HMAC verify.
//! - Where to add: a group → `kx/mod.rs` `NamedGroup` (+ `ALL`, `DEFAULT`); a suite → https-record `suite.rs`
//!   `CipherSuite` (code point) and `Tls13Suite` (AEAD, hash); an extension → a variant in `codec/types.rs` `ExtensionType`, then its typed form
//!   in `codec/ext.rs` (`ClientExtension` / `ServerExtension` / `EncryptedExtension`) its field in
//!   `ClientHelloExtensions` (the hello's extensions decoded once), the choice in `negotiate.rs`, and
//!   the rule for which messages may carry it (`client.rs` `check_server_hello_extensions`,
//!   `not_for_encrypted_extensions`).
//!
//! Modules: `codec/` (a `Codec` trait + bounds-checked `Reader`; every message and extension typed, unknown
//! extensions kept verbatim so every RFC 8448 message re-encodes byte for byte; duplicates →
//! illegal_parameter, bad lengths → decode_error), `keyschedule.rs` (HKDF-Extract via HMAC so the RFC 8448
//! intermediate secrets are comparable; Expand-Label reused from https-record; `Transcript` buffers until
//! the hash is known and does the HRR `message_hash` rollover), `client.rs` / `server.rs` (one
//! enum variant per RFC 8446 Appendix A state: client `ExpectServerHello`, `ExpectEncryptedExtensions`,
//! `ExpectCertificate`, `ExpectCertificateVerify`, `ExpectFinished` (the last three one `ServerFlight`
//! value), `Connected`; server `ExpectClientHello` (HRR loops back), `ExpectCertificate` /
//! `ExpectCertificateVerify` (one `ClientCert` value), `ExpectEndOfEarlyData`, `ExpectFinished`,
//! `Connected`; each role's `handle` matches (state, message) and answers anything else with
//! unexpected_message, so a state's step receives only its typed payload), `auth.rs` (Certificate and CertificateVerify sent and checked, the peer's Finished checked — the steps both roles share), `constant_time.rs` (the cookie and binder compare), `client_hello.rs` (the server's stateless ClientHello checks:
//! versions, key shares, second hello vs first), `negotiate.rs` (the server's choices — suite, share or
//! HRR, PSK, certificate, ALPN, record_size_limit — as a pure function, unit-tested), `server_flight.rs`
//! (one `emit_*` per message of the server's flight), `context.rs` (the narrow interface above, and the `HandshakeState` trait the connection drives both roles through), `traffic.rs` (the traffic phase: application keys, KeyUpdate), `common.rs` (state both roles share: buffers and their
//! limits, the record layer, key log and trace), `conn.rs` (record layer glue: handshake
//! reassembly across records, the no-spanning-a-key-change and no-interleaving rules, flight
//! coalescing, alert-on-error, sticky errors, reader/writer), `trace.rs` (`TraceEvent` with
//! `seed_step()`, NSS key log), `session_file.rs` (a client ticket saved as versioned text, its
//! own `SessionFileError`), `tokio_io.rs` (also the early-data entry points and a cap of
//! `MAX_TLS_READ_PER_POLL` transport bytes per `poll_read` without plaintext, so a record flood yields the thread).
//!
//! Decisions and why:
//! - Every error is an `Error` value carrying the alert (RFC 8446 §6.2) that was queued before closing;
//!   nothing from the peer can panic (a 200-input garbage test and every truncation of an RFC 8448
//!   ClientHello are in the tests). The alert is queued once (`Connection::fail`); after it nothing
//!   else is sealed and `read_tls` refuses.
//! - Limits on what a peer can make us hold (`common.rs`, `tests/conformance_traffic.rs`): a
//!   ClientHello up to `MAX_CLIENT_HELLO` = 128 KiB, a ServerHello up to its syntax maximum (65,607
//!   bytes), Finished 64 bytes, KeyUpdate 1, any other message `MAX_HANDSHAKE_MESSAGE` = 64 KiB (over
//!   it: decode_error), `MAX_HANDSHAKE_FLIGHT` = 256 KiB of handshake before completion; received
//!   plaintext 256 KiB (then `read_tls` refuses; small records are coalesced, so the queue has at most
//!   one chunk per KiB); sealed output `MAX_UNSENT_TLS` = 64 KiB, above which `read_tls` returns
//!   `WouldBlock` until `write_tls` drains it; at most one KeyUpdate answer owed (a flag, answered before
//!   our next record: 100,000 requests from a peer that never reads leave one 27-byte record queued);
//!   `MAX_EMPTY_RECORDS` = 32 consecutive empty records or user_canceled alerts and
//!   `MAX_EARLY_DATA_SKIP` = 20 KiB of rejected 0-RTT (record layer). The tokio adapter also pushes back in `poll_write` at 1 MiB, and after a
//!   fatal error it flushes the alert, closes its write side and drops up to 256 KiB the peer had
//!   already sent, so the socket closes with FIN, not a reset that can destroy the alert unread
//!   (`tests/conformance_tcp.rs`).
//! - Half-close (RFC 8446 §6.1): the peer's close_notify ends only its direction — `reader()` returns
//!   EOF, `writer()`, `write_tls`, `poll_write` and `poll_shutdown` keep working until we send our own
//!   close_notify; after ours nothing is sent (no KeyUpdate answer, `send_key_update` is
//!   `Error::Closed`), while the peer's data is still read. A close_notify asked for during the
//!   handshake while written plaintext waits for it is deferred: the plaintext, then the
//!   close_notify, go out once the handshake completes (`tests/early_half_rtt.rs`; the fuzzer found
//!   the plaintext used to be dropped).
//! - Hostile-peer rules, each a raw-bytes test asserting the alert on the wire
//!   (`tests/conformance*.rs`): legacy_version < 0x0303 → protocol_version; empty or malformed key
//!   shares (wrong length, compressed or non-point P-256, off-curve) → illegal_parameter for every share
//!   of a known group, not only the one used; a second ClientHello may change only key_share, cookie,
//!   early_data (removed), pre_shared_key (updated, no new identity) and padding, else
//!   illegal_parameter; handshake fragments interleaved with another record type → unexpected_message;
//!   a recognised extension not allowed in a ServerHello, HelloRetryRequest or EncryptedExtensions →
//!   illegal_parameter (unknown or unrequested ones: unsupported_extension). 0-RTT it does not accept (the default; see
//!   `with_max_early_data_size` for when it does) the server omits early_data from
//!   EncryptedExtensions and skips the client's early records (trial decryption under the handshake
//!   key; before the second ClientHello after an HRR, every protected record). After an HRR our client
//!   recomputes obfuscated_ticket_age and the binder, keeps psk_key_exchange_modes, and refuses with
//!   illegal_parameter a cookie that would not fit a ClientHello; encodings with peer-chosen content
//!   are checked with `codec::encodes_faithfully`, and `put_prefixed` never writes a wrong length.
//! - Writes are buffered and sealed at `write_tls` / `poll_flush`, so headers + small body leave in one
//!   record; idle connections keep no buffers (deframer, output and handshake buffers are dropped when
//!   empty): ~1.8 KB heap per idle server connection vs rustls' ~7.4 KB (`examples/perf.rs`).
//! - Session tickets, on by default (`tickets/`: `state.rs` the versioned ticket — `version ‖ key id ‖
//!   nonce ‖ AES-256-GCM(suite, PSK, issued, lifetime, SNI, ALPN, client chain ≤ 16 KiB)`, anything
//!   else "not ours"; `mod.rs` the `Ticketer`: a key seals for one rotation period (6 h) and opens for
//!   one more, in memory or from a shared 0600 key file re-read when its stamp changes (≤ 1/s; a bad
//!   re-read keeps the keys in use; keys older than the period keep working, `is_stale()` says so, so a
//!   fleet never splits); `keyfile.rs` the file format and atomic `create`/`rotate`, also `https-kit
//!   ticket-key new|rotate`). `server_psk.rs` accepts a ticket only for the same suite, SNI, ALPN and a
//!   client identity that still verifies (else a full handshake; a bad binder → decrypt_error), restores
//!   `peer_certificates()` from it, and sends 2 NewSessionTickets right after the client's Finished,
//!   before any application data (none without psk_dhe_ke). `resumption.rs`: the client keeps the newest
//!   4 tickets per name, each used once, psk_dhe_ke only; binders checked in constant time, also after
//!   an HRR. Key logging is opt-in: a config logs only to a `KeyLog` it is given
//!   (`KeyLogFile::from_env()` for `SSLKEYLOGFILE`, file created 0600). Also done: client certificates (`ClientCertVerifier` on
//!   https-verify's clientAuth purpose; certificate_required when required and absent), KeyUpdate (both
//!   directions, and automatic when a write key reaches its record limit), record_size_limit (server
//!   honours the client's; RFC 8449), the keying-material exporter (§7.5).
//! - The server keeps HRR state in memory and also sends (and checks, constant time) a random cookie;
//!   a stateless cookie (transcript hash under a MAC) would be the next step for DoS resistance.
//! - Middlebox compatibility: the client sends a 32-byte legacy_session_id and one CCS; the server echoes
//!   the id and sends CCS after its first hello when the client did; the record layer drops one CCS inside
//!   the window.
//! - Tests: `tests/rfc8448.rs` (vectors in `tests/data/rfc8448`, also read by the record tests; a
//!   missing file fails; all 5 traces re-encode; §3 every secret/key/IV and both Finished; §4 PSK
//!   binder; §5 HRR transcript), `tests/interop_rustls.rs` (3 suites × 2 groups × 3 keys, both directions,
//!   1 MiB each way, ALPN, HRR both ways, KeyUpdate), `tests/negative.rs` (alerts on the wire),
//!   `tests/openssl.rs` (s_client per suite/group + forced HRR; our client vs s_server -www),
//!   `tests/tokio_adapter.rs`, `tests/keylog_trace.rs`, `tests/tickets.rs` (defaults, NST order, SNI/ALPN
//!   binding, shared key file across rotations, client auth), `tests/echo_server.rs` (the tokio example
//!   against rustls, `openssl s_client -sess_out/-sess_in`, gnutls-cli).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod auth;
mod client;
mod client_early;
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
mod session_file;
mod sign;
mod tickets;
#[cfg(feature = "tokio")]
mod tokio_io;
mod trace;
mod traffic;
mod verifier;

#[cfg(feature = "tokio")]
pub use tokio_io::{TlsAcceptor, TlsConnector, TlsStream, MAX_TLS_READ_PER_POLL};

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
#[doc(hidden)]
pub use kx::mlkem_kat;
pub use kx::NamedGroup;
pub use resumption::{ClientSessionStore, MAX_TICKETS_PER_SERVER, TICKET_LIFETIME};
pub use session_file::{
    SavedSession, SessionFileError, MAX_SESSION_FILE, SESSION_FILE_HEADER, SESSION_FILE_VERSION,
};
pub use sign::{CertifiedKey, SignatureScheme, SigningKey, CERT_SCHEMES, VERIFY_SCHEMES};
pub use tickets::{
    TicketKeyError, TicketKeyFile, Ticketer, DEFAULT_RELOAD_INTERVAL, DEFAULT_ROTATION_PERIOD,
    DEFAULT_TICKET_LIFETIME, KEYS_KEPT, KEY_FILE_HEADER, MAX_KEY_FILE_BYTES, MAX_KEY_FILE_KEYS,
    MAX_TICKET_CERT_BYTES, MAX_TICKET_LIFETIME,
};
pub use trace::{render_trace, KeyLog, KeyLogFile, TraceEvent};
pub use verifier::{
    verify_tls13_signature, ClientCertVerifier, ServerCertVerifier, SignatureVerifier,
    WebPkiClientVerifier, WebPkiVerifier,
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
