//! What a session ticket carries, and its versioned wire form.
//!
//! ```text
//! ticket    = version(1) ‖ key_id(8) ‖ nonce(12) ‖ AES-256-GCM(plaintext) ‖ tag(16)
//!             (AAD = version ‖ key_id: both are authenticated, neither is secret)
//! plaintext = suite(u16) ‖ psk<u8> ‖ issued(u64, unix s) ‖ lifetime(u32) ‖ age_add(u32)
//!             ‖ sni<u8> ‖ alpn<u8> ‖ client certificates<u24 of cert<u24>>
//! ```
//!
//! A ticket with another version byte, an unknown key id, a bad tag, or any length that does not
//! add up is "not ours": the server ignores the PSK and runs a full handshake.

use https_record::Tls13Suite;

use crate::codec::{LenPrefix, Reader};
use crate::keyschedule::Secret;

/// The ticket format version we write and the only one we read.
pub(crate) const TICKET_VERSION: u8 = 1;
/// Bytes before the ciphertext: version, key id, nonce.
pub(crate) const HEADER_LEN: usize = 1 + 8 + 12;
/// AES-GCM tag length.
pub(crate) const TAG_LEN: usize = 16;
/// Most client-certificate bytes a ticket carries; a longer chain gets no ticket (the identity could
/// not be kept across resumption). With the other fields this keeps a ticket far below 2^16 bytes.
pub const MAX_TICKET_CERT_BYTES: usize = 16 * 1024;
/// Most certificates in a ticket's client chain.
pub(crate) const MAX_TICKET_CERTS: usize = 10;
/// Longest SNI name a ticket records (a DNS name is at most 253 bytes).
pub(crate) const MAX_TICKET_SNI: usize = 255;

/// The session a ticket resumes, and what it was issued for.
#[derive(Clone)]
pub(crate) struct TicketState {
    pub(crate) suite: Tls13Suite,
    pub(crate) psk: Secret,
    /// Unix seconds.
    pub(crate) issued: u64,
    /// Seconds, as announced in the NewSessionTicket.
    pub(crate) lifetime: u32,
    pub(crate) age_add: u32,
    /// The SNI the client sent, lower-cased.
    pub(crate) sni: Option<String>,
    pub(crate) alpn: Option<Vec<u8>>,
    /// The client's certificate chain (leaf first) when it authenticated.
    pub(crate) peer_certs: Vec<Vec<u8>>,
}

impl TicketState {
    /// Whether this session fits in a ticket (bounded SNI and client chain).
    pub(crate) fn fits(&self) -> bool {
        let cert_bytes: usize = self.peer_certs.iter().map(|c| 3 + c.len()).sum();
        self.sni.as_ref().map_or(0, String::len) <= MAX_TICKET_SNI
            && self.alpn.as_ref().map_or(0, Vec::len) <= 255
            && self.peer_certs.len() <= MAX_TICKET_CERTS
            && cert_bytes <= MAX_TICKET_CERT_BYTES
    }

    /// The plaintext; `None` if a field is over its bound (checked by [`Self::fits`]).
    pub(crate) fn encode(&self) -> Option<Vec<u8>> {
        if !self.fits() {
            return None;
        }
        let mut out = Vec::with_capacity(128);
        out.extend_from_slice(&self.suite.to_u16().to_be_bytes());
        put_u8_vec(&mut out, self.psk.as_bytes());
        out.extend_from_slice(&self.issued.to_be_bytes());
        out.extend_from_slice(&self.lifetime.to_be_bytes());
        out.extend_from_slice(&self.age_add.to_be_bytes());
        put_u8_vec(&mut out, self.sni.as_deref().unwrap_or("").as_bytes());
        put_u8_vec(&mut out, self.alpn.as_deref().unwrap_or(&[]));
        let total: usize = self.peer_certs.iter().map(|c| 3 + c.len()).sum();
        out.extend_from_slice(&u24(total));
        for c in &self.peer_certs {
            out.extend_from_slice(&u24(c.len()));
            out.extend_from_slice(c);
        }
        Some(out)
    }

    /// Parses a plaintext; `None` on any inconsistency (lengths, trailing bytes, unknown suite).
    pub(crate) fn decode(plain: &[u8]) -> Option<Self> {
        let mut r = Reader::new(plain);
        let suite = Tls13Suite::from_u16(r.u16("suite").ok()?)?;
        let psk = r.vec(LenPrefix::U8, "psk").ok()?;
        if psk.len() != suite.hash().output_len() {
            return None;
        }
        let psk = Secret::from_slice(psk);
        let hi = u64::from(r.u32("issued").ok()?);
        let lo = u64::from(r.u32("issued").ok()?);
        let lifetime = r.u32("lifetime").ok()?;
        let age_add = r.u32("age_add").ok()?;
        let sni = r.vec(LenPrefix::U8, "sni").ok()?;
        let sni = match sni {
            [] => None,
            s => Some(std::str::from_utf8(s).ok()?.to_string()),
        };
        let alpn = r.vec(LenPrefix::U8, "alpn").ok()?;
        let alpn = (!alpn.is_empty()).then(|| alpn.to_vec());
        let mut certs = Reader::new(r.vec(LenPrefix::U24, "certs").ok()?);
        let mut peer_certs = Vec::new();
        while !certs.is_empty() {
            if peer_certs.len() == MAX_TICKET_CERTS {
                return None;
            }
            peer_certs.push(certs.vec(LenPrefix::U24, "cert").ok()?.to_vec());
        }
        r.expect_empty("ticket").ok()?;
        Some(Self {
            suite,
            psk,
            issued: hi << 32 | lo,
            lifetime,
            age_add,
            sni,
            alpn,
            peer_certs,
        })
    }
}

fn put_u8_vec(out: &mut Vec<u8>, bytes: &[u8]) {
    // Callers bound every field to 255 bytes first (`fits`); clamp rather than mis-encode.
    let n = bytes.len().min(255);
    out.push(n as u8);
    out.extend_from_slice(&bytes[..n]);
}

fn u24(n: usize) -> [u8; 3] {
    let b = (n.min(0xff_ffff) as u32).to_be_bytes();
    [b[1], b[2], b[3]]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> TicketState {
        TicketState {
            suite: Tls13Suite::Aes256GcmSha384,
            psk: Secret::from_slice(&[7; 48]),
            issued: 0x1_0000_0002,
            lifetime: 7200,
            age_add: 99,
            sni: Some("a.test".into()),
            alpn: Some(b"h2".to_vec()),
            peer_certs: vec![vec![1, 2, 3], vec![4]],
        }
    }

    #[test]
    fn round_trips_and_refuses_every_truncation_and_trailing_byte() {
        let enc = sample().encode().unwrap();
        let dec = TicketState::decode(&enc).unwrap();
        assert_eq!(dec.issued, 0x1_0000_0002);
        assert_eq!(dec.sni.as_deref(), Some("a.test"));
        assert_eq!(dec.alpn.as_deref(), Some(&b"h2"[..]));
        assert_eq!(dec.peer_certs, vec![vec![1, 2, 3], vec![4]]);
        assert_eq!(dec.psk.as_bytes(), &[7; 48]);
        for n in 0..enc.len() {
            assert!(TicketState::decode(&enc[..n]).is_none(), "prefix {n}");
        }
        let mut long = enc.clone();
        long.push(0);
        assert!(TicketState::decode(&long).is_none());
    }

    #[test]
    fn a_client_chain_over_the_bound_gets_no_ticket() {
        let mut s = sample();
        s.peer_certs = vec![vec![0; MAX_TICKET_CERT_BYTES]];
        assert!(!s.fits() && s.encode().is_none());
        s.peer_certs = vec![vec![0; 1]; MAX_TICKET_CERTS + 1];
        assert!(s.encode().is_none());
        s.peer_certs = vec![vec![0; MAX_TICKET_CERT_BYTES - 3]];
        assert!(s.encode().is_some());
    }
}
