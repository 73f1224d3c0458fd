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
//!
//! # Internals
//!
//! (The map of the whole workspace is ARCHITECTURE.md; this is the detail for this crate.)
//!
//! RFC 8446 §5, sans IO, on ring and `bytes`. The handshake installs keys; this crate moves bytes.
//!
//! | module | what |
//! |---|---|
//! | `types.rs` | `ContentType`, `AlertLevel`, `AlertDescription` (all RFC 8446 alerts + `Unknown(u8)`), `Alert` (2-byte codec) |
//! | `codepoint.rs` | `code_points!`: the one macro behind every code-point enum (named values + `Unknown`, total `from_*`, `to_*`, `name()`), used here and by https-handshake |
//! | `suite.rs` | `CipherSuite` (the code points, `Unknown(u16)`), `Tls13Suite` (the implemented 0x1301–0x1303: ring AEAD, hash, key length, per-suite record limit), `HashAlg`, `hkdf_expand_label` (the lowest layer owns it; the handshake key schedule reuses it), `next_traffic_secret` (KeyUpdate), `TrafficKeys` (key + IV from a traffic secret, zeroized on drop) |
//! | `protect.rs` | `RecordSealer` / `RecordOpener`: one direction, one key; `Padding` policy |
//! | `frame.rs` | `Deframer` (stream cut anywhere → whole `OpaqueRecord`s), `write_plaintext[_with]`, the size constants |
//! | `layer.rs` | `RecordLayer`: one connection's read/write state — compatibility CCS window, alerts, close_notify (`close_sent`: nothing is written after it), transport EOF (`transport_ended`) and truncation (`eof`), the idle read buffer released after each drain, the empty-record run limit, and `skip_early_data` (a server that rejected 0-RTT discards records its handshake key cannot open, or every protected record before it has a key, up to `MAX_EARLY_DATA_SKIP` = 16 KiB + 4 KiB of record overhead, RFC 8446 §4.2.10) |
//! | `error.rs` | `RecordError`; `alert()` names what the peer must be sent |
//!
//! Receive path: bytes → `Deframer` (checks each header as soon as it arrives: known type, `0x03xx`
//! version, length ≤ 2^14 plaintext / 2^14+256 protected → `record_overflow`; never buffers more than two
//! maximum records, so `feed` returns how much it took) → `OpaqueRecord { bytes: BytesMut }` (the whole
//! record; split off the buffer, or the whole allocation when the record is all that is buffered — so
//! an idle connection holds no receive buffer, and a caller's buffer adopted by `feed_owned` comes back
//! whole) → `RecordOpener::open`/`open_in_place` decrypts in place with nonce = IV xor seq and
//! AAD = the 5-byte header, strips zero padding, takes the real type from the last non-zero byte, and
//! returns the content as a slice / the same allocation (no copy). Send path: `seal_into` copies the
//! content once into the output and encrypts it there; `seal_in_place` encrypts content the caller
//! already placed after 5 spare bytes (zero copies — a receiver can open a record and seal its reply in
//! the same buffer). `seal_fragmented` splits to 2^14 or the peer's record_size_limit (RFC 8449; it
//! counts type byte and padding).
//!
//! Decisions and why:
//! - ring's `LessSafeKey` (the AES/ChaCha key schedule) is built once per key in `new`, never per record;
//!   the nonce is 12 bytes on the stack. That is how seal+open stays within a few percent of raw ring.
//! - Sequence numbers never wrap: at 2^64−1 both sides return `SequenceExhausted`. `key_update_due()`
//!   turns true at the suite's limit (AES-GCM 2^24.5 records, RFC 8446 §5.5); the caller sends KeyUpdate.
//! - Error → alert: tag/sequence/key failure and ciphertexts shorter than the tag → `bad_record_mac`;
//!   oversize record, ciphertext or decrypted inner plaintext (or over our record_size_limit) →
//!   `record_overflow`; bad version byte, length mismatch, malformed alert, empty handshake fragment →
//!   `decode_error`; unknown content type, all-zero inner plaintext, protected or repeated or out-of-window
//!   CCS, plaintext where protection is required, an empty alert record (with or without padding),
//!   more than `MAX_EMPTY_RECORDS` = 32 consecutive empty records or user_canceled warnings, rejected
//!   early data beyond `MAX_EARLY_DATA_SKIP` → `unexpected_message` (except a ≤2-byte plaintext
//!   alert before anything was decrypted: a peer that failed before it had keys, reported as
//!   `PeerAlert`, as rustls does). `Truncated { mid_record }` is
//!   EOF without close_notify. After an error the deframer and `RecordLayer` stay failed.
//! - Secrets: `TrafficKeys` and the sealer/opener IVs are zeroized on drop; ring's expanded key schedule
//!   is opaque and ring does not wipe it (a known limitation of building on ring).
//! - Tests: RFC 8448 §3 byte for byte (keys/IVs from the traffic secrets, every protected record, the
//!   client's receive side fed one byte at a time), rustls as a real peer (with its exported keys our
//!   records are byte-identical to its records, and each side reads the other's), one test per malformed
//!   class with the exact error and alert, round-trip proptests (suites, sizes, chunkings, paddings,
//!   limits), and a bounded fuzz run on deframe+open (README, "Fuzzing").
//! - Bench `record/*` (`xtask/src/bench/record.rs`): ours = sealer → deframer → opener in place, the
//!   receiver echoing in the same buffer; `ring-raw` = the same AEAD calls on one buffer; `rustls` = an
//!   in-memory connection pair moving the same 16 KiB; `*/16k-copy` rows run ours with the same copies
//!   rustls makes (application in, transport, application out).
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
    hkdf_expand_label, hkdf_expand_label_prk, next_traffic_secret, CipherSuite, HashAlg,
    Tls13Suite, TrafficKeys,
};
pub use types::{Alert, AlertDescription, AlertLevel, ContentType};
