//! PSK resumption (RFC 8446 §2.2, §4.6.1): the server issues encrypted, stateless tickets; the client
//! keeps the latest ticket per server name and resumes with psk_dhe_ke (a fresh ECDHE still runs, so
//! resumed sessions keep forward secrecy).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use https_record::{CipherSuite, HashAlg};
use ring::aead;
use ring::rand::{SecureRandom, SystemRandom};

use crate::codec::{put_vec, Codec, HandshakeMessage, HandshakePayload, LenPrefix, Reader};
use crate::error::Error;
use crate::keyschedule::{finished_verify_data, KeySchedule, Secret, Transcript};

/// Ticket lifetime we issue (seconds).
pub const TICKET_LIFETIME: u32 = 2 * 60 * 60;

fn unix_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// What a ticket carries (encrypted under the server's ticket key).
pub(crate) struct TicketState {
    pub(crate) suite: CipherSuite,
    pub(crate) psk: Secret,
    issued: u64,
}

/// Seals and opens session tickets with a random AES-256-GCM key that lives as long as the config.
pub struct Ticketer {
    key: aead::LessSafeKey,
    rng: SystemRandom,
}

impl std::fmt::Debug for Ticketer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Ticketer")
    }
}

impl Ticketer {
    /// A ticketer with a fresh random key.
    pub fn new() -> Result<Self, Error> {
        let rng = SystemRandom::new();
        let mut k = [0u8; 32];
        rng.fill(&mut k)
            .map_err(|_| Error::Config("no randomness".into()))?;
        let key = aead::UnboundKey::new(&aead::AES_256_GCM, &k)
            .map_err(|_| Error::Config("ticket key".into()))?;
        zeroize::Zeroize::zeroize(&mut k);
        Ok(Self {
            key: aead::LessSafeKey::new(key),
            rng,
        })
    }

    pub(crate) fn seal(&self, suite: CipherSuite, psk: &Secret) -> Result<Vec<u8>, Error> {
        let mut nonce = [0u8; 12];
        self.rng
            .fill(&mut nonce)
            .map_err(|_| Error::internal("no randomness"))?;
        let mut out = nonce.to_vec();
        let start = out.len();
        out.extend_from_slice(&suite.to_u16().to_be_bytes());
        put_vec(&mut out, LenPrefix::U8, psk.as_bytes());
        out.extend_from_slice(&unix_secs().to_be_bytes());
        let mut body = out.split_off(start);
        self.key
            .seal_in_place_append_tag(
                aead::Nonce::assume_unique_for_key(nonce),
                aead::Aad::empty(),
                &mut body,
            )
            .map_err(|_| Error::internal("ticket seal"))?;
        out.extend_from_slice(&body);
        Ok(out)
    }

    /// Opens a ticket; `None` if it is not ours, tampered, or expired.
    pub(crate) fn open(&self, ticket: &[u8]) -> Option<TicketState> {
        if ticket.len() < 12 + 16 {
            return None;
        }
        let (n, ct) = ticket.split_at(12);
        let nonce = aead::Nonce::try_assume_unique_for_key(n).ok()?;
        let mut buf = ct.to_vec();
        let plain = self
            .key
            .open_in_place(nonce, aead::Aad::empty(), &mut buf)
            .ok()?;
        let mut r = Reader::new(plain);
        let suite = CipherSuite::from_u16(r.u16("suite").ok()?)?;
        let psk = Secret::from_slice(r.vec(LenPrefix::U8, "psk").ok()?);
        let hi = r.u32("issued").ok()? as u64;
        let lo = r.u32("issued").ok()? as u64;
        let issued = hi << 32 | lo;
        let state = TicketState { suite, psk, issued };
        zeroize::Zeroize::zeroize(&mut buf);
        (unix_secs() <= state.issued + u64::from(TICKET_LIFETIME)).then_some(state)
    }
}

/// A ticket the client may use once.
pub(crate) struct StoredTicket {
    pub(crate) suite: CipherSuite,
    pub(crate) psk: Secret,
    pub(crate) ticket: Vec<u8>,
    pub(crate) age_add: u32,
    lifetime: u32,
    received: Instant,
}

impl StoredTicket {
    pub(crate) fn obfuscated_age(&self) -> u32 {
        (self.received.elapsed().as_millis() as u32).wrapping_add(self.age_add)
    }
}

/// The client's tickets: the latest one per server name, each used at most once.
#[derive(Default)]
pub struct ClientSessionStore {
    map: Mutex<HashMap<String, StoredTicket>>,
}

impl std::fmt::Debug for ClientSessionStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ClientSessionStore")
    }
}

/// Bound on remembered server names.
const MAX_SESSIONS: usize = 256;

impl ClientSessionStore {
    pub(crate) fn take(&self, name: &str) -> Option<StoredTicket> {
        let t = self.map.lock().ok()?.remove(name)?;
        (t.received.elapsed().as_secs() < u64::from(t.lifetime)).then_some(t)
    }

    pub(crate) fn put(
        &self,
        name: &str,
        suite: CipherSuite,
        psk: Secret,
        ticket: Vec<u8>,
        age_add: u32,
        lifetime: u32,
    ) {
        if let Ok(mut m) = self.map.lock() {
            if m.len() >= MAX_SESSIONS && !m.contains_key(name) {
                m.clear(); // crude but bounded
            }
            m.insert(
                name.to_string(),
                StoredTicket {
                    suite,
                    psk,
                    ticket,
                    age_add,
                    lifetime,
                    received: Instant::now(),
                },
            );
        }
    }

    /// True if a ticket for `name` is stored.
    pub fn has_ticket(&self, name: &str) -> bool {
        self.map
            .lock()
            .map(|m| m.contains_key(name))
            .unwrap_or(false)
    }
}

/// The PSK binder over `prefix` ‖ truncated ClientHello (RFC 8446 §4.2.11.2).
pub(crate) fn binder(hash: HashAlg, psk: &Secret, prefix: &Transcript, truncated: &[u8]) -> Secret {
    let early = KeySchedule::new(hash, Some(psk.as_bytes()));
    let empty = ring::digest::digest(hash.digest_algorithm(), &[]);
    let binder_key = early.derive(b"res binder", empty.as_ref());
    let mut t = prefix.clone();
    t.add(truncated);
    finished_verify_data(hash, binder_key.as_bytes(), t.current_hash().as_ref())
}

/// The encoded ClientHello message without its binders list (what the binder covers).
pub(crate) fn truncated_hello(msg: &HandshakeMessage, binders_len: usize) -> Vec<u8> {
    let mut v = msg.get_encoding();
    v.truncate(v.len().saturating_sub(binders_len));
    v
}

/// Recomputes the (single) binder of a ClientHello in place.
pub(crate) fn fill_binder(
    msg: &mut HandshakeMessage,
    hash: HashAlg,
    psk: &Secret,
    prefix: &Transcript,
) {
    let HandshakePayload::ClientHello(ch) = &msg.0 else {
        return;
    };
    let Some(crate::codec::ClientExtension::PreSharedKey(offer)) = ch.extensions.last() else {
        return;
    };
    let b = binder(
        hash,
        psk,
        prefix,
        &truncated_hello(msg, offer.binders_len()),
    );
    if let HandshakePayload::ClientHello(ch) = &mut msg.0 {
        if let Some(crate::codec::ClientExtension::PreSharedKey(offer)) = ch.extensions.last_mut() {
            offer.binders = vec![b.as_bytes().to_vec()];
        }
    }
}
