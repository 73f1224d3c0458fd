//! Wire codec for TLS 1.3 handshake messages (RFC 8446 §4).
//!
//! Every type implements [`Codec`]: `encode` appends the canonical bytes, `read` parses from a
//! [`Reader`] and checks every length. Decoding never panics; failures are [`InvalidMessage`],
//! which says which alert (RFC 8446 §6.2) the caller must send.

mod ext;
mod msgs;
mod types;

pub use ext::*;
pub use https_record::CipherSuite;
pub use msgs::*;
pub use types::{ExtensionType, HandshakeType, ProtocolVersion, SignatureScheme};

use std::fmt;

/// Why a message failed to decode; maps to the alert RFC 8446 §6.2 prescribes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvalidMessage {
    /// A length field points past the end of its container (decode_error).
    Truncated(&'static str),
    /// Bytes left over after a structure ended (decode_error).
    TrailingData(&'static str),
    /// A length that the syntax forbids, e.g. an empty list that must be non-empty (decode_error).
    BadLength(&'static str),
    /// The same extension twice in one block (illegal_parameter).
    DuplicateExtension(ExtensionType),
    /// Well-formed but forbidden value (illegal_parameter).
    IllegalValue(&'static str),
}

impl InvalidMessage {
    /// `true` when the alert is illegal_parameter rather than decode_error.
    pub fn is_illegal_parameter(&self) -> bool {
        matches!(self, Self::DuplicateExtension(_) | Self::IllegalValue(_))
    }
}

impl fmt::Display for InvalidMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Truncated(w) => write!(f, "{w} is truncated"),
            Self::TrailingData(w) => write!(f, "trailing bytes after {w}"),
            Self::BadLength(w) => write!(f, "{w} has an invalid length"),
            Self::DuplicateExtension(t) => write!(f, "extension {} appears twice", t.to_u16()),
            Self::IllegalValue(w) => write!(f, "illegal value in {w}"),
        }
    }
}

impl std::error::Error for InvalidMessage {}

/// A cursor over peer bytes. All reads are bounds-checked.
#[derive(Debug)]
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    /// Reads from `buf`, starting at its first byte.
    pub fn new(buf: &'a [u8]) -> Self {
        Self { buf, pos: 0 }
    }
    /// Bytes not yet consumed.
    pub fn left(&self) -> usize {
        self.buf.len() - self.pos
    }
    /// `true` once everything is consumed.
    pub fn is_empty(&self) -> bool {
        self.left() == 0
    }
    /// Takes exactly `n` bytes.
    pub fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], InvalidMessage> {
        if self.left() < n {
            return Err(InvalidMessage::Truncated(what));
        }
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }
    /// Everything that is left.
    pub fn rest(&mut self) -> &'a [u8] {
        let s = &self.buf[self.pos..];
        self.pos = self.buf.len();
        s
    }
    /// Fails with TrailingData unless everything was consumed.
    pub fn expect_empty(&self, what: &'static str) -> Result<(), InvalidMessage> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(InvalidMessage::TrailingData(what))
        }
    }
    /// One byte.
    pub fn u8(&mut self, what: &'static str) -> Result<u8, InvalidMessage> {
        Ok(self.take(1, what)?[0])
    }
    /// Big-endian u16.
    pub fn u16(&mut self, what: &'static str) -> Result<u16, InvalidMessage> {
        let b = self.take(2, what)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }
    /// Big-endian u24.
    pub fn u24(&mut self, what: &'static str) -> Result<u32, InvalidMessage> {
        let b = self.take(3, what)?;
        Ok(u32::from_be_bytes([0, b[0], b[1], b[2]]))
    }
    /// Big-endian u32.
    pub fn u32(&mut self, what: &'static str) -> Result<u32, InvalidMessage> {
        let b = self.take(4, what)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
    /// A vector with a length prefix of `len` bytes (1, 2 or 3), returned as a sub-reader.
    pub fn sub(
        &mut self,
        len: LenPrefix,
        what: &'static str,
    ) -> Result<Reader<'a>, InvalidMessage> {
        Ok(Reader::new(self.vec(len, what)?))
    }
    /// The body of a length-prefixed vector.
    pub fn vec(&mut self, len: LenPrefix, what: &'static str) -> Result<&'a [u8], InvalidMessage> {
        let n = match len {
            LenPrefix::U8 => usize::from(self.u8(what)?),
            LenPrefix::U16 => usize::from(self.u16(what)?),
            LenPrefix::U24 => {
                usize::try_from(self.u24(what)?).map_err(|_| InvalidMessage::Truncated(what))?
            }
        };
        self.take(n, what)
    }
    /// Like [`Reader::vec`] but also enforces `min..=max` on the body length.
    pub fn vec_bounded(
        &mut self,
        len: LenPrefix,
        min: usize,
        max: usize,
        what: &'static str,
    ) -> Result<&'a [u8], InvalidMessage> {
        let v = self.vec(len, what)?;
        if v.len() < min || v.len() > max {
            return Err(InvalidMessage::BadLength(what));
        }
        Ok(v)
    }
}

/// Size of a vector's length prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LenPrefix {
    /// `<0..2^8-1>`
    U8,
    /// `<0..2^16-1>`
    U16,
    /// `<0..2^24-1>`
    U24,
}

impl LenPrefix {
    fn size(self) -> usize {
        match self {
            Self::U8 => 1,
            Self::U16 => 2,
            Self::U24 => 3,
        }
    }
}

/// Writes a length prefix, runs `f` to append the body, then patches the length in.
///
/// A body too long for its prefix cannot be encoded: the prefix is then set to its maximum, so the
/// bytes are invalid and never parse back to the same message. Our own messages are bounded by
/// construction; a message carrying peer-chosen bytes (a second ClientHello echoing a cookie) is
/// checked with [`encodes_faithfully`] before it is sent.
pub fn put_prefixed(out: &mut Vec<u8>, len: LenPrefix, f: impl FnOnce(&mut Vec<u8>)) {
    let at = out.len();
    out.extend_from_slice(&[0, 0, 0][..len.size()]);
    f(out);
    let n = out.len() - at - len.size();
    match len {
        LenPrefix::U8 => out[at] = u8::try_from(n).unwrap_or(u8::MAX),
        LenPrefix::U16 => {
            out[at..at + 2].copy_from_slice(&u16::try_from(n).unwrap_or(u16::MAX).to_be_bytes())
        }
        LenPrefix::U24 => {
            let n = u32::try_from(n).unwrap_or(u32::MAX).min(0xff_ffff);
            out[at..at + 3].copy_from_slice(&n.to_be_bytes()[1..]);
        }
    }
}

/// True if `value` encodes to bytes that decode back to exactly `value`: every length fitted its
/// prefix. Use it before sending a message whose contents the peer influenced.
pub fn encodes_faithfully<T: Codec + PartialEq>(value: &T) -> bool {
    T::read_bytes(&value.get_encoding()).is_ok_and(|v| v == *value)
}

/// Appends `bytes` with a length prefix.
pub fn put_vec(out: &mut Vec<u8>, len: LenPrefix, bytes: &[u8]) {
    put_prefixed(out, len, |o| o.extend_from_slice(bytes));
}

/// A wire type: encodes to and decodes from its canonical bytes.
pub trait Codec: Sized {
    /// Appends the encoding to `out`.
    fn encode(&self, out: &mut Vec<u8>);
    /// Parses one value; checks every length.
    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage>;

    /// Encodes into a fresh vector.
    fn get_encoding(&self) -> Vec<u8> {
        let mut v = Vec::new();
        self.encode(&mut v);
        v
    }
    /// Decodes a value that must fill `bytes` exactly.
    fn read_bytes(bytes: &[u8]) -> Result<Self, InvalidMessage> {
        let mut r = Reader::new(bytes);
        let v = Self::read(&mut r)?;
        r.expect_empty("message")?;
        Ok(v)
    }
}

/// Reads a list of big-endian u16 (groups) with a length prefix; `min_bytes` bounds it below.
pub fn read_u16_list(
    r: &mut Reader<'_>,
    len: LenPrefix,
    min_bytes: usize,
    what: &'static str,
) -> Result<Vec<u16>, InvalidMessage> {
    let body = r.vec(len, what)?;
    if body.len() < min_bytes || body.len() % 2 != 0 {
        return Err(InvalidMessage::BadLength(what));
    }
    Ok(body
        .chunks_exact(2)
        .map(|c| u16::from_be_bytes([c[0], c[1]]))
        .collect())
}

/// Reads a list of 16-bit code points (cipher suites, signature schemes, versions) into their
/// typed form; an unnamed value stays as the type's `Unknown`.
pub fn read_code_points<T: From<u16>>(
    r: &mut Reader<'_>,
    len: LenPrefix,
    min_bytes: usize,
    what: &'static str,
) -> Result<Vec<T>, InvalidMessage> {
    Ok(read_u16_list(r, len, min_bytes, what)?
        .into_iter()
        .map(T::from)
        .collect())
}

/// Writes a list of 16-bit code points with a length prefix.
pub fn put_code_points<T: Copy + Into<u16>>(out: &mut Vec<u8>, len: LenPrefix, items: &[T]) {
    put_prefixed(out, len, |o| {
        for &i in items {
            o.extend_from_slice(&i.into().to_be_bytes());
        }
    });
}

/// Writes a u16 list with a length prefix.
pub fn put_u16_list(out: &mut Vec<u8>, len: LenPrefix, items: &[u16]) {
    put_prefixed(out, len, |o| {
        for i in items {
            o.extend_from_slice(&i.to_be_bytes());
        }
    });
}
