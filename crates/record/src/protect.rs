//! AEAD record protection (RFC 8446 §5.2-§5.5): in-place seal and open on ring.

use crate::frame::{
    OpaqueRecord, HEADER_LEN, LEGACY_VERSION, MAX_CIPHERTEXT_LEN, MAX_INNER_PLAINTEXT_LEN,
    MAX_PLAINTEXT_LEN, TAG_LEN,
};
use crate::{ContentType, RecordError, Tls13Suite, TrafficKeys};
use bytes::{Buf, BytesMut};
use ring::aead;
use std::ops::Range;
use zeroize::Zeroize;

/// How much zero padding to add to each TLSInnerPlaintext (RFC 8446 §5.4). Padding hides the true length
/// of the content; it never makes a record exceed 2^14+1 inner bytes or the record_size_limit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Padding {
    /// No padding (the default, what most stacks do).
    #[default]
    None,
    /// Exactly this many zero bytes per record (capped by the limit).
    Fixed(usize),
    /// Pad content + type byte up to a multiple of this many bytes (e.g. 256); 0 or 1 means none.
    Block(usize),
    /// Pad every record to the largest allowed size, so all records look alike.
    Full,
}

impl Padding {
    /// Zero bytes to add to an inner plaintext of `unpadded` bytes (content + type) with `max_inner` allowed.
    fn amount(self, unpadded: usize, max_inner: usize) -> usize {
        let room = max_inner.saturating_sub(unpadded);
        let want = match self {
            Padding::None => 0,
            Padding::Fixed(n) => n,
            Padding::Block(b) if b > 1 => (b - unpadded % b) % b,
            Padding::Block(_) => 0,
            Padding::Full => room,
        };
        want.min(room)
    }
}

/// Clamp a record_size_limit (RFC 8449) into the legal TLS 1.3 range: 64..=2^14+1 (it counts the inner
/// plaintext: content, type byte and padding).
fn clamp_limit(limit: usize) -> usize {
    limit.clamp(64, MAX_INNER_PLAINTEXT_LEN)
}

fn make_key(suite: Tls13Suite, keys: &TrafficKeys) -> Result<aead::LessSafeKey, RecordError> {
    // ring keeps the expanded key schedule; it is built once here, never per record.
    aead::UnboundKey::new(suite.aead(), keys.key())
        .map(aead::LessSafeKey::new)
        .map_err(|_| RecordError::Internal {
            reason: "traffic key length does not match the cipher suite",
        })
}

/// nonce = IV xor the 64-bit sequence number, left-padded to the IV length (RFC 8446 §5.3).
#[inline]
fn nonce_for(iv: &[u8; 12], seq: u64) -> aead::Nonce {
    let mut n = *iv;
    for (b, s) in n[4..].iter_mut().zip(seq.to_be_bytes()) {
        *b ^= s;
    }
    aead::Nonce::assume_unique_for_key(n)
}

/// One direction's key: suite, ring key, IV and sequence number (what sealer and opener share).
struct DirectionKey {
    suite: Tls13Suite,
    key: aead::LessSafeKey,
    iv: [u8; 12],
    seq: u64,
}

impl DirectionKey {
    fn new(suite: Tls13Suite, keys: &TrafficKeys) -> Result<Self, RecordError> {
        Ok(Self {
            suite,
            key: make_key(suite, keys)?,
            iv: *keys.iv(),
            seq: 0,
        })
    }

    fn debug(&self, f: &mut std::fmt::Formatter<'_>, name: &str) -> std::fmt::Result {
        f.debug_struct(name)
            .field("suite", &self.suite)
            .field("seq", &self.seq)
            .finish_non_exhaustive()
    }
}

/// What sealer and opener share around their [`DirectionKey`] (field `k`) and their `try_new`:
/// `Debug` (no key material), `new`, `from_secret`, `suite` and `sequence`.
macro_rules! keyed_direction {
    ($ty:ident) => {
        impl std::fmt::Debug for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.k.debug(f, stringify!($ty))
            }
        }

        impl $ty {
            /// Built for `keys`. Panics if they were derived for a suite with another key length
            /// (a caller bug; `try_new` returns an error instead).
            pub fn new(suite: Tls13Suite, keys: &TrafficKeys) -> Self {
                match Self::try_new(suite, keys) {
                    Ok(s) => s,
                    Err(e) => panic!("{}::new: {e}", stringify!($ty)),
                }
            }

            /// Derives the keys from a traffic secret and builds it.
            pub fn from_secret(suite: Tls13Suite, traffic_secret: &[u8]) -> Self {
                Self::new(suite, &TrafficKeys::derive(suite, traffic_secret))
            }

            /// The suite of its key.
            pub fn suite(&self) -> Tls13Suite {
                self.k.suite
            }

            /// The sequence number the next record uses.
            pub fn sequence(&self) -> u64 {
                self.k.seq
            }
        }
    };
}

impl Drop for DirectionKey {
    fn drop(&mut self) {
        // ring's key schedule is opaque and not zeroized by ring; the IV is ours to wipe.
        self.iv.zeroize();
    }
}

/// Protects outgoing records for one direction and one key. The sequence number starts at 0.
pub struct RecordSealer {
    k: DirectionKey,
    limit: u64,
    padding: Padding,
    max_inner: usize,
}

keyed_direction!(RecordSealer);

impl RecordSealer {
    /// A sealer for `keys`; an error if they were derived for a suite with another key length.
    pub fn try_new(suite: Tls13Suite, keys: &TrafficKeys) -> Result<Self, RecordError> {
        Ok(Self {
            k: DirectionKey::new(suite, keys)?,
            limit: suite.record_limit(),
            padding: Padding::None,
            max_inner: MAX_INNER_PLAINTEXT_LEN,
        })
    }

    pub fn set_padding(&mut self, padding: Padding) {
        self.padding = padding;
    }

    /// Applies the peer's record_size_limit (RFC 8449): inner plaintext (content + type + padding) at most
    /// `limit` bytes, so content at most `limit - 1`. Clamped to 64..=2^14+1.
    pub fn set_record_size_limit(&mut self, limit: usize) {
        self.max_inner = clamp_limit(limit);
    }

    /// Largest content one record carries now (2^14, or record_size_limit - 1).
    pub fn max_fragment(&self) -> usize {
        self.max_inner - 1
    }

    /// Overrides the per-suite record limit after which [`RecordSealer::key_update_due`] turns true
    /// (a stricter local policy, or tests).
    pub fn set_key_update_limit(&mut self, records: u64) {
        self.limit = records;
    }

    /// True once this key has protected as many records as its suite allows (AES-GCM: 2^24.5): the caller
    /// must send a KeyUpdate and switch keys.
    pub fn key_update_due(&self) -> bool {
        self.k.seq >= self.limit
    }

    /// Largest number of bytes [`RecordSealer::seal_into`] appends for `payload_len` content bytes.
    pub fn sealed_len(&self, payload_len: usize) -> usize {
        HEADER_LEN
            + payload_len
            + 1
            + self.padding.amount(payload_len + 1, self.max_inner)
            + TAG_LEN
    }

    /// Seals a record whose content the caller already placed in `out`: `out[record_start..+5]` is room
    /// for the header (any bytes) and the content runs from `record_start + 5` to the end of `out`.
    /// Appends type byte, padding and tag, writes the header, and encrypts in place (no copy at all).
    pub fn seal_in_place(
        &mut self,
        typ: ContentType,
        out: &mut BytesMut,
        record_start: usize,
    ) -> Result<(), RecordError> {
        let Some(payload_len) = record_start
            .checked_add(HEADER_LEN)
            .and_then(|h| out.len().checked_sub(h))
        else {
            return Err(RecordError::Internal {
                reason: "seal_in_place: no room for the record header",
            });
        };
        let max = self.max_fragment();
        if payload_len > max {
            return Err(RecordError::RecordOverflow {
                what: "content to seal",
                len: payload_len,
                max,
            });
        }
        if self.k.seq == u64::MAX {
            // Never wrap (RFC 8446 §5.3): the caller must rekey.
            return Err(RecordError::SequenceExhausted);
        }
        let pad = self.padding.amount(payload_len + 1, self.max_inner);
        let ct_len = payload_len + 1 + pad + TAG_LEN;
        // max_inner <= 2^14 + 1 bounds it; checked anyway so no length is ever written wrong.
        let l = match u16::try_from(ct_len) {
            Ok(l) if ct_len <= MAX_CIPHERTEXT_LEN => l.to_be_bytes(),
            _ => {
                return Err(RecordError::Internal {
                    reason: "sealed record would exceed 2^14 + 256 bytes",
                })
            }
        };
        out.reserve(1 + pad + TAG_LEN);
        out.extend_from_slice(&[typ.to_u8()]);
        if pad > 0 {
            out.resize(out.len() + pad, 0);
        }
        let v = LEGACY_VERSION.to_be_bytes();
        let header = [ContentType::ApplicationData.to_u8(), v[0], v[1], l[0], l[1]];
        out[record_start..record_start + HEADER_LEN].copy_from_slice(&header);
        let nonce = nonce_for(&self.k.iv, self.k.seq);
        let tag = self
            .k
            .key
            .seal_in_place_separate_tag(
                nonce,
                aead::Aad::from(header),
                &mut out[record_start + HEADER_LEN..],
            )
            .map_err(|_| RecordError::Internal {
                reason: "AEAD seal failed",
            })?;
        out.extend_from_slice(tag.as_ref());
        self.k.seq += 1;
        Ok(())
    }

    /// Appends one protected record carrying `payload` (at most [`RecordSealer::max_fragment`] bytes) to
    /// `out`. The content is copied once, into `out`, and encrypted there.
    pub fn seal_into(
        &mut self,
        typ: ContentType,
        payload: &[u8],
        out: &mut BytesMut,
    ) -> Result<(), RecordError> {
        let max = self.max_fragment();
        if payload.len() > max {
            return Err(RecordError::RecordOverflow {
                what: "content to seal",
                len: payload.len(),
                max,
            });
        }
        let start = out.len();
        out.reserve(self.sealed_len(payload.len()));
        out.extend_from_slice(&[0; HEADER_LEN]);
        out.extend_from_slice(payload);
        let res = self.seal_in_place(typ, out, start);
        if res.is_err() {
            out.truncate(start);
        }
        res
    }

    /// Splits `payload` into records of at most `max_fragment` bytes (and never more than
    /// [`RecordSealer::max_fragment`]) and appends them all to `out`. An empty payload writes nothing.
    pub fn seal_fragmented(
        &mut self,
        typ: ContentType,
        payload: &[u8],
        max_fragment: usize,
        out: &mut BytesMut,
    ) -> Result<(), RecordError> {
        let frag = max_fragment
            .min(self.max_fragment())
            .clamp(1, MAX_PLAINTEXT_LEN);
        // Exactly what the records need: no 16 KiB over-reservation for a small flight.
        let need: usize = payload.chunks(frag).map(|c| self.sealed_len(c.len())).sum();
        out.reserve(need);
        for chunk in payload.chunks(frag) {
            self.seal_into(typ, chunk, out)?;
        }
        Ok(())
    }
}

/// Opens incoming protected records for one direction and one key, in place.
pub struct RecordOpener {
    k: DirectionKey,
    max_inner: usize,
}

keyed_direction!(RecordOpener);

impl RecordOpener {
    /// An opener for `keys`; an error if they were derived for a suite with another key length.
    pub fn try_new(suite: Tls13Suite, keys: &TrafficKeys) -> Result<Self, RecordError> {
        Ok(Self {
            k: DirectionKey::new(suite, keys)?,
            max_inner: MAX_INNER_PLAINTEXT_LEN,
        })
    }

    /// Enforces the record_size_limit we advertised (RFC 8449): a larger inner plaintext is
    /// record_overflow. Clamped to 64..=2^14+1.
    pub fn set_record_size_limit(&mut self, limit: usize) {
        self.max_inner = clamp_limit(limit);
    }

    /// Opens `record` (one whole record, 5-byte header included) in place. Returns the real content type
    /// and the content (padding and type byte stripped), a slice of `record`.
    pub fn open_in_place<'a>(
        &mut self,
        record: &'a mut [u8],
    ) -> Result<(ContentType, &'a [u8]), RecordError> {
        let (typ, range) = self.open_range(record)?;
        Ok((typ, &record[range]))
    }

    /// Opens a record from the [`crate::Deframer`] and returns the content as an owned buffer (the same
    /// allocation, header and tag cut off; no copy).
    pub fn open(&mut self, record: OpaqueRecord) -> Result<(ContentType, BytesMut), RecordError> {
        let mut bytes = record.bytes;
        let (typ, range) = self.open_range(&mut bytes)?;
        bytes.truncate(range.end);
        bytes.advance(range.start);
        Ok((typ, bytes))
    }

    fn open_range(
        &mut self,
        record: &mut [u8],
    ) -> Result<(ContentType, Range<usize>), RecordError> {
        let Some((header, body)) = record.split_first_chunk_mut::<HEADER_LEN>() else {
            return Err(RecordError::DecodeError {
                reason: "record shorter than its 5-byte header",
            });
        };
        let header = *header;
        if header[0] != ContentType::ApplicationData.to_u8() {
            return Err(RecordError::UnexpectedMessage {
                reason: "a protected record must have outer type application_data",
            });
        }
        if usize::from(u16::from_be_bytes([header[3], header[4]])) != body.len() {
            return Err(RecordError::DecodeError {
                reason: "record length field does not match the record",
            });
        }
        if body.len() > MAX_CIPHERTEXT_LEN {
            return Err(RecordError::RecordOverflow {
                what: "ciphertext fragment",
                len: body.len(),
                max: MAX_CIPHERTEXT_LEN,
            });
        }
        if self.k.seq == u64::MAX {
            return Err(RecordError::SequenceExhausted);
        }
        if body.len() < TAG_LEN {
            // Cannot even hold the tag: it cannot authenticate.
            return Err(RecordError::BadRecordMac);
        }
        let nonce = nonce_for(&self.k.iv, self.k.seq);
        let plain = self
            .k
            .key
            .open_in_place(nonce, aead::Aad::from(header), body)
            .map_err(|_| RecordError::BadRecordMac)?;
        self.k.seq += 1;
        if plain.len() > self.max_inner {
            return Err(RecordError::RecordOverflow {
                what: "decrypted inner plaintext",
                len: plain.len(),
                max: self.max_inner,
            });
        }
        // The content type is the last non-zero byte; zeros after it are padding (RFC 8446 §5.4).
        let Some(at) = plain.iter().rposition(|&b| b != 0) else {
            return Err(RecordError::UnexpectedMessage {
                reason: "inner plaintext is all zeros (no content type)",
            });
        };
        let typ = match ContentType::from_u8(plain[at]) {
            Some(ContentType::ChangeCipherSpec) => {
                return Err(RecordError::UnexpectedMessage {
                    reason: "change_cipher_spec must not be protected",
                })
            }
            Some(t) => t,
            None => {
                return Err(RecordError::UnexpectedMessage {
                    reason: "unknown inner content type",
                })
            }
        };
        Ok((typ, HEADER_LEN..HEADER_LEN + at))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(suite: Tls13Suite) -> (RecordSealer, RecordOpener) {
        let keys = TrafficKeys::derive(suite, &[7u8; 48][..suite.hash().output_len()]);
        (
            RecordSealer::new(suite, &keys),
            RecordOpener::new(suite, &keys),
        )
    }

    #[test]
    fn sequence_never_wraps() {
        let (mut s, mut o) = pair(Tls13Suite::Aes128GcmSha256);
        s.k.seq = u64::MAX - 1;
        o.k.seq = u64::MAX - 1;
        let mut out = BytesMut::new();
        s.seal_into(ContentType::ApplicationData, b"last", &mut out)
            .unwrap();
        let (_, pt) = o.open_in_place(&mut out).unwrap();
        assert_eq!(pt, b"last");
        let before = out.len();
        assert_eq!(
            s.seal_into(ContentType::ApplicationData, b"x", &mut out),
            Err(RecordError::SequenceExhausted)
        );
        assert_eq!(out.len(), before, "a failed seal leaves nothing behind");
        assert_eq!(
            RecordError::SequenceExhausted.alert(),
            crate::AlertDescription::InternalError
        );
        let mut rec = out.clone();
        assert_eq!(
            o.open_in_place(&mut rec).map(|_| ()),
            Err(RecordError::SequenceExhausted)
        );
    }

    #[test]
    fn key_update_due_at_the_suite_limit() {
        let (mut s, _) = pair(Tls13Suite::Aes256GcmSha384);
        s.k.seq = Tls13Suite::Aes256GcmSha384.record_limit() - 1;
        assert!(!s.key_update_due());
        s.seal_into(ContentType::ApplicationData, b"x", &mut BytesMut::new())
            .unwrap();
        assert!(s.key_update_due());
        let (c, _) = pair(Tls13Suite::Chacha20Poly1305Sha256);
        assert_eq!(c.limit, u64::MAX);
    }

    #[test]
    fn padding_amounts_respect_the_limit() {
        assert_eq!(Padding::Block(256).amount(1, 16385), 255);
        assert_eq!(Padding::Block(256).amount(256, 16385), 0);
        assert_eq!(Padding::Fixed(100).amount(16380, 16385), 5);
        assert_eq!(Padding::Full.amount(10, 100), 90);
        assert_eq!(Padding::None.amount(10, 100), 0);
    }
}
