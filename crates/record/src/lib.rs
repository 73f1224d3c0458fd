//! https-record: sans-IO TLS 1.3 record protection (the seed's communication stage).
//!
//! RFC 8446 §5: framing (TLSPlaintext / TLSCiphertext), a [`Deframer`] that turns a byte stream cut
//! anywhere into whole records, AEAD protection with AES-128-GCM, AES-256-GCM and ChaCha20-Poly1305 on
//! ring (nonce = IV xor sequence number, additional data = the record header, hidden content type and
//! optional padding), sequence numbers that never wrap and per-suite key-usage limits, alerts,
//! close_notify and truncation detection ([`RecordLayer`]). Every error names the alert to send.
//!
//! No I/O happens here: bytes in, bytes out.
//!
//! ```
//! use bytes::BytesMut;
//! use https_record::{Tls13Suite, ContentType, Deframer, RecordOpener, RecordSealer, TrafficKeys};
//!
//! let suite = Tls13Suite::Aes128GcmSha256;
//! let keys = TrafficKeys::derive(suite, &[0x42; 32]); // a traffic secret from the key schedule
//! let mut sealer = RecordSealer::new(suite, &keys);
//! let mut opener = RecordOpener::new(suite, &keys);
//!
//! let mut wire = BytesMut::new();
//! sealer.seal_into(ContentType::ApplicationData, b"GET / HTTP/1.1\r\n\r\n", &mut wire)?;
//!
//! // The receiver may get the bytes in any pieces, even one at a time.
//! let mut deframer = Deframer::new();
//! let mut got = Vec::new();
//! for byte in wire.iter() {
//!     assert_eq!(deframer.feed(&[*byte]), 1);
//!     while let Some(record) = deframer.next_record()? {
//!         let (typ, content) = opener.open(record)?;
//!         assert_eq!(typ, ContentType::ApplicationData);
//!         got.extend_from_slice(&content);
//!     }
//! }
//! assert_eq!(got, b"GET / HTTP/1.1\r\n\r\n");
//! # Ok::<(), https_record::RecordError>(())
//! ```
#![forbid(unsafe_code)]

mod codepoint;
mod error;
mod frame;
mod layer;
mod protect;
mod suite;
mod types;

pub use error::RecordError;
pub use frame::{
    record_buffer, write_plaintext, write_plaintext_with, Deframer, OpaqueRecord,
    DEFRAMER_BUFFER_LIMIT, HEADER_LEN, LEGACY_VERSION, MAX_CIPHERTEXT_LEN, MAX_INNER_PLAINTEXT_LEN,
    MAX_PLAINTEXT_LEN, MAX_RECORD_LEN, TAG_LEN,
};
pub use layer::{Incoming, RecordLayer, MAX_EARLY_DATA_SKIP, MAX_EMPTY_RECORDS};
pub use protect::{Padding, RecordOpener, RecordSealer};
pub use suite::{
    hkdf_expand_label, next_traffic_secret, CipherSuite, HashAlg, Tls13Suite, TrafficKeys,
};
pub use types::{Alert, AlertDescription, AlertLevel, ContentType};
