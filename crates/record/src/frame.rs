//! Framing: record headers, the deframer (bytes in any chunking -> whole records) and the plaintext framer.

use crate::{ContentType, RecordError};
use bytes::{Buf, BytesMut};

/// Bytes in a record header: type (1), legacy_record_version (2), length (2).
pub const HEADER_LEN: usize = 5;
/// Largest TLSPlaintext fragment, and largest content in one protected record (2^14).
pub const MAX_PLAINTEXT_LEN: usize = 1 << 14;
/// Largest TLSCiphertext fragment (2^14 + 256).
pub const MAX_CIPHERTEXT_LEN: usize = (1 << 14) + 256;
/// Largest TLSInnerPlaintext (content + type byte + padding): 2^14 + 1.
pub const MAX_INNER_PLAINTEXT_LEN: usize = (1 << 14) + 1;
/// Largest whole record on the wire.
pub const MAX_RECORD_LEN: usize = HEADER_LEN + MAX_CIPHERTEXT_LEN;
/// The AEAD tag length of every TLS 1.3 suite.
pub const TAG_LEN: usize = 16;
thread_local! {
    static READ_SCRATCH: std::cell::RefCell<Vec<u8>> = std::cell::RefCell::new(vec![0; MAX_RECORD_LEN]);
}

/// legacy_record_version of every record this crate writes (TLS 1.2, as RFC 8446 §5.1 requires).
pub const LEGACY_VERSION: u16 = 0x0303;

/// How many bytes a [`Deframer`] holds at most: two maximum-size records, so a full record can always be
/// completed behind a partial one, and a peer can never make it grow further.
pub const DEFRAMER_BUFFER_LIMIT: usize = 2 * MAX_RECORD_LEN;

/// An empty buffer with room for one maximum-size record, positioned so that the record's content
/// (after the 5-byte header) starts on a 64-byte boundary: ring's AES-GCM and ChaCha20 code run a little
/// faster on aligned data (about 1-2 % on 16 KiB records here). Use it with
/// [`crate::RecordSealer::seal_in_place`]: push 5 spare bytes, then the content. A buffer adopted by
/// [`Deframer::feed_owned`] comes back whole from [`Deframer::next_record`], alignment intact.
pub fn record_buffer() -> BytesMut {
    let mut buf = BytesMut::with_capacity(MAX_RECORD_LEN + 64);
    let off = (64 - (buf.as_ptr() as usize + HEADER_LEN) % 64) % 64;
    buf.resize(off, 0);
    buf.advance(off);
    buf
}

/// One whole record as it came off the wire (header included), not yet opened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpaqueRecord {
    /// The outer content type (for protected records always `ApplicationData`).
    pub typ: ContentType,
    /// legacy_record_version as sent (not checked beyond its first byte being 3).
    pub version: u16,
    /// The whole record: 5-byte header then the fragment.
    pub bytes: BytesMut,
}

impl OpaqueRecord {
    /// The fragment after the header.
    pub fn payload(&self) -> &[u8] {
        self.bytes.get(HEADER_LEN..).unwrap_or(&[])
    }

    /// The fragment after the header, as an owned buffer (no copy).
    pub fn into_payload(mut self) -> BytesMut {
        self.bytes.advance(HEADER_LEN.min(self.bytes.len()));
        self.bytes
    }
}

/// Splits a byte stream into whole records. Feed it any chunk sizes (one byte at a time works); it checks
/// each header as soon as it arrives and never buffers more than [`DEFRAMER_BUFFER_LIMIT`] bytes.
///
/// After an error the deframer is poisoned: every later call returns the same error (the connection must
/// close with `err.alert()`).
#[derive(Debug, Default)]
pub struct Deframer {
    buf: BytesMut,
    failed: Option<RecordError>,
}

impl Deframer {
    pub fn new() -> Self {
        Self::default()
    }

    /// How many more bytes the deframer accepts now.
    pub fn room(&self) -> usize {
        DEFRAMER_BUFFER_LIMIT.saturating_sub(self.buf.len())
    }

    /// Appends as much of `data` as fits (see [`Deframer::room`]) and returns how many bytes were taken.
    /// Call [`Deframer::next_record`] until it returns `None`, then feed the rest.
    #[must_use = "feed may take only part of the data; feed the rest after draining records"]
    pub fn feed(&mut self, data: &[u8]) -> usize {
        let n = data.len().min(self.room());
        self.buf.extend_from_slice(&data[..n]);
        n
    }

    /// Takes an owned chunk. When nothing is buffered the chunk is adopted without a copy (its size is the
    /// caller's choice, not the peer's); otherwise what fits is copied and the rest is handed back.
    pub fn feed_owned(&mut self, mut data: BytesMut) -> BytesMut {
        if self.buf.is_empty() {
            self.buf = data;
            return BytesMut::new();
        }
        let n = self.feed(&data);
        data.advance(n);
        data
    }

    /// Reads once from `rd` into the buffer (at most [`Deframer::room`] bytes). `Ok(0)` means EOF: call
    /// [`Deframer::has_pending_bytes`] to tell a clean end from a truncated record.
    pub fn read_from(&mut self, rd: &mut dyn std::io::Read) -> std::io::Result<usize> {
        let room = self.room().min(MAX_RECORD_LEN);
        if room == 0 {
            return Err(std::io::Error::other(
                "record buffer full: take records with next_record before reading more",
            ));
        }
        // Read through a per-thread scratch buffer, zeroed once per thread: without unsafe code the
        // alternative is zero-filling ~16 KiB of our own buffer before every read, which dominates
        // small requests; copying only the `n` bytes that arrived is cheaper, and an idle
        // connection still holds no receive buffer.
        READ_SCRATCH.with(|cell| match cell.try_borrow_mut() {
            Ok(mut scratch) => {
                let n = rd.read(&mut scratch[..room])?;
                self.buf.extend_from_slice(&scratch[..n]);
                Ok(n)
            }
            Err(_) => {
                let old = self.buf.len();
                self.buf.resize(old + room, 0);
                let res = rd.read(&mut self.buf[old..]);
                let n = *res.as_ref().unwrap_or(&0);
                self.buf.truncate(old + n);
                res
            }
        })
    }

    fn fail(&mut self, err: RecordError) -> RecordError {
        self.failed = Some(err.clone());
        err
    }

    /// The next whole record, or `None` if more bytes are needed. Rejects an unknown content type
    /// (unexpected_message), a legacy version whose first byte is not 3 (decode_error) and a length over
    /// 2^14 (plaintext types) or 2^14+256 (application_data, i.e. protected) with record_overflow.
    pub fn next_record(&mut self) -> Result<Option<OpaqueRecord>, RecordError> {
        if let Some(err) = &self.failed {
            return Err(err.clone());
        }
        let Some(&type_byte) = self.buf.first() else {
            return Ok(None);
        };
        let Some(typ) = ContentType::from_u8(type_byte) else {
            return Err(self.fail(RecordError::UnexpectedMessage {
                reason: "unknown record content type",
            }));
        };
        if let Some(&major) = self.buf.get(1) {
            if major != 3 {
                return Err(self.fail(RecordError::DecodeError {
                    reason: "legacy_record_version is not 0x03xx (not a TLS record)",
                }));
            }
        }
        let Some(header) = self.buf.get(..HEADER_LEN) else {
            return Ok(None);
        };
        let version = u16::from_be_bytes([header[1], header[2]]);
        let len = usize::from(u16::from_be_bytes([header[3], header[4]]));
        let max = if typ == ContentType::ApplicationData {
            MAX_CIPHERTEXT_LEN
        } else {
            MAX_PLAINTEXT_LEN
        };
        if len > max {
            return Err(self.fail(RecordError::RecordOverflow {
                what: "record fragment",
                len,
                max,
            }));
        }
        if self.buf.len() < HEADER_LEN + len {
            return Ok(None);
        }
        let bytes = if self.buf.len() == HEADER_LEN + len {
            // The record is the whole buffer: hand the allocation over (unique, full capacity). An
            // adopted caller buffer comes back whole, so a reply can be sealed in place without a
            // reallocation; and an idle connection holds no receive buffer at all.
            std::mem::take(&mut self.buf)
        } else {
            // Shares our allocation; once the caller drops the record, later feeds reuse the space.
            self.buf.split_to(HEADER_LEN + len)
        };
        Ok(Some(OpaqueRecord {
            typ,
            version,
            bytes,
        }))
    }

    /// True if bytes of an incomplete record are buffered (EOF now would truncate a record).
    pub fn has_pending_bytes(&self) -> bool {
        !self.buf.is_empty()
    }

    /// Drops the read buffer when it holds nothing: an idle connection keeps no 16 KiB buffer
    /// (the next read allocates again, cheap next to the AEAD work on a full record).
    pub fn release_idle_buffer(&mut self) {
        if self.buf.is_empty() && self.buf.capacity() > 0 {
            self.buf = BytesMut::new();
        }
    }

    /// Bytes currently buffered.
    pub fn buffered_len(&self) -> usize {
        self.buf.len()
    }

    /// Heap the deframer holds now (0 when idle between records).
    pub fn capacity(&self) -> usize {
        self.buf.capacity()
    }
}

/// Writes `payload` as plaintext records (TLSPlaintext, version 0x0303) of at most 2^14 bytes each.
/// An empty payload writes nothing (TLS forbids empty handshake and alert fragments).
pub fn write_plaintext(typ: ContentType, payload: &[u8], out: &mut BytesMut) {
    write_plaintext_with(typ, LEGACY_VERSION, payload, MAX_PLAINTEXT_LEN, out)
}

/// Like [`write_plaintext`] with an explicit legacy_record_version (a first ClientHello may use 0x0301)
/// and a smaller fragment size (e.g. from record_size_limit). `max_fragment` is clamped to 1..=2^14.
pub fn write_plaintext_with(
    typ: ContentType,
    version: u16,
    payload: &[u8],
    max_fragment: usize,
    out: &mut BytesMut,
) {
    let frag = max_fragment.clamp(1, MAX_PLAINTEXT_LEN);
    out.reserve(payload.len() + payload.len().div_ceil(frag) * HEADER_LEN);
    for chunk in payload.chunks(frag) {
        out.extend_from_slice(&[typ.to_u8()]);
        out.extend_from_slice(&version.to_be_bytes());
        // chunk.len() <= frag <= 2^14: the length always fits.
        let len = u16::try_from(chunk.len()).unwrap_or(u16::MAX);
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(chunk);
    }
}
