//! An independent TLS 1.3 record sealer and opener on ring (RFC 8446 §5.2), for the scripted
//! peer. It is deliberately not https-record's own code: the peer can build records the library
//! never would (any inner content type, any padding, all-zero plaintext), and a record that the
//! library seals is checked by a second implementation.

use https_record::{Tls13Suite, TrafficKeys};
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey};

/// One direction's key: AEAD key, static IV and the record sequence number.
pub struct Sealer {
    key: LessSafeKey,
    iv: [u8; 12],
    seq: u64,
    /// The traffic secret these keys come from (for KeyUpdate).
    pub secret: Vec<u8>,
    /// The suite.
    pub suite: Tls13Suite,
}

impl Sealer {
    /// Keys for `secret` (a traffic secret of `suite`).
    pub fn new(suite: Tls13Suite, secret: &[u8]) -> Self {
        let keys = TrafficKeys::derive(suite, secret);
        let key = LessSafeKey::new(
            UnboundKey::new(suite.aead(), keys.key()).expect("key length from the suite"),
        );
        Self {
            key,
            iv: *keys.iv(),
            seq: 0,
            secret: secret.to_vec(),
            suite,
        }
    }

    /// The keys of the next generation (KeyUpdate, RFC 8446 §7.2).
    pub fn next(&self) -> Self {
        let s = https_record::next_traffic_secret(self.suite.hash(), &self.secret);
        Self::new(self.suite, &s)
    }

    fn nonce(&self) -> Nonce {
        let mut n = self.iv;
        for (b, s) in n[4..].iter_mut().zip(self.seq.to_be_bytes()) {
            *b ^= s;
        }
        Nonce::assume_unique_for_key(n)
    }

    /// One protected record: `content ‖ inner_type ‖ zeros(padding)` under the outer type 23.
    /// Nothing is checked: lengths over the limits are what a hostile peer sends.
    pub fn seal(&mut self, inner_type: u8, content: &[u8], padding: usize, out: &mut Vec<u8>) {
        let mut body = Vec::with_capacity(content.len() + 1 + padding + 16);
        body.extend_from_slice(content);
        body.push(inner_type);
        body.resize(body.len() + padding, 0);
        self.seal_inner(&body, out);
    }

    /// Seals an inner plaintext exactly as given (its last non-zero byte is the type, if any).
    pub fn seal_inner(&mut self, inner: &[u8], out: &mut Vec<u8>) {
        let len = inner.len() + 16;
        let header = [23, 3, 3, (len >> 8) as u8, len as u8];
        let mut body = inner.to_vec();
        self.key
            .seal_in_place_append_tag(self.nonce(), Aad::from(header), &mut body)
            .expect("sealing never fails for in-range lengths");
        self.seq += 1;
        out.extend_from_slice(&header);
        out.extend_from_slice(&body);
    }

    /// Opens one protected record's body (`header` is its 5-byte header); returns
    /// `(inner type, content)` or `None` when the tag does not verify or the plaintext is all zeros.
    pub fn open(&mut self, header: &[u8; 5], body: &[u8]) -> Option<(u8, Vec<u8>)> {
        let mut buf = body.to_vec();
        let plain = self
            .key
            .open_in_place(self.nonce(), Aad::from(*header), &mut buf)
            .ok()?;
        self.seq += 1;
        let end = plain.iter().rposition(|b| *b != 0)?;
        Some((plain[end], plain[..end].to_vec()))
    }
}

/// A plaintext record of any type (the length is written as given, modulo 2^16).
pub fn plaintext(typ: u8, content: &[u8], out: &mut Vec<u8>) {
    let len = content.len();
    out.extend_from_slice(&[typ, 3, 3, (len >> 8) as u8, len as u8]);
    out.extend_from_slice(content);
}

/// Splits complete records off the front of `buf`: `(header, body)` pairs; a partial record stays.
pub fn split_records(buf: &mut Vec<u8>) -> Vec<([u8; 5], Vec<u8>)> {
    let mut out = Vec::new();
    let mut at = 0;
    while buf.len() - at >= 5 {
        let len = usize::from(u16::from_be_bytes([buf[at + 3], buf[at + 4]]));
        if buf.len() - at < 5 + len {
            break;
        }
        let mut h = [0u8; 5];
        h.copy_from_slice(&buf[at..at + 5]);
        out.push((h, buf[at + 5..at + 5 + len].to_vec()));
        at += 5 + len;
    }
    buf.drain(..at);
    out
}
