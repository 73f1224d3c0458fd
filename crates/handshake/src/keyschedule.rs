//! The TLS 1.3 key schedule (RFC 8446 §7.1) and the transcript hash (§4.4.1).
//!
//! `HKDF-Extract` is computed with HMAC so the intermediate secrets (early, handshake, master) exist as
//! bytes: the RFC 8448 tests compare them, and they are zeroized on drop.
//!
//! Cost: each stage keys its secret as an HMAC key once (ring's `Prk`) and expands every label
//! from it; without a PSK the Early Secret and its "derived" salt are constants, computed once per
//! process. (ring's keyed HMAC state is opaque and not wiped on drop, as for any ring key.)

use std::sync::OnceLock;

use https_record::{hkdf_expand_label, hkdf_expand_label_prk, HashAlg};
use ring::{digest, hkdf, hmac};
use zeroize::{Zeroize, ZeroizeOnDrop};

/// A secret of the hash's length (32 or 48 bytes), zeroized on drop.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct Secret {
    buf: [u8; 48],
    // A u8 (≤ 48): every live connection holds several secrets.
    len: u8,
}

impl Secret {
    pub(crate) fn zero(hash: HashAlg) -> Self {
        Self {
            buf: [0; 48],
            len: hash.output_len().min(48) as u8,
        }
    }
    /// Copies `bytes` (at most 48) into a secret.
    pub fn from_slice(bytes: &[u8]) -> Self {
        let len = bytes.len().min(48);
        let mut s = Self {
            buf: [0; 48],
            len: len as u8,
        };
        s.buf[..len].copy_from_slice(&bytes[..len]);
        s
    }
    /// The secret's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[..usize::from(self.len)]
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Secret({} bytes)", self.len)
    }
}

/// `HKDF-Extract(salt, ikm)` = `HMAC-Hash(salt, ikm)`.
pub fn hkdf_extract(hash: HashAlg, salt: &[u8], ikm: &[u8]) -> Secret {
    let key = hmac::Key::new(hash.hmac_algorithm(), salt);
    Secret::from_slice(hmac::sign(&key, ikm).as_ref())
}

/// `HKDF-Expand-Label(secret, label, context, Hash.length)`.
pub fn expand_label(hash: HashAlg, secret: &[u8], label: &[u8], context: &[u8]) -> Secret {
    let mut s = Secret::zero(hash);
    hkdf_expand_label(
        hash,
        secret,
        label,
        context,
        &mut s.buf[..hash.output_len()],
    );
    s
}

/// `Hash("")` for the "derived" step (constants: checked against ring in the tests below).
pub(crate) fn empty_hash(hash: HashAlg) -> &'static [u8] {
    const SHA256: [u8; 32] =
        hex32(*b"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    const SHA384: [u8; 48] = hex48(
        *b"38b060a751ac96384cd9327eb1b1e36a21fdb71114be07434c0cc7bf63f6e1da274edebfe76f65fbd51ad2f14898b95b",
    );
    match hash {
        HashAlg::Sha256 => &SHA256,
        HashAlg::Sha384 => &SHA384,
    }
}

const fn nibble(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        _ => c - b'a' + 10,
    }
}

const fn hex32(s: [u8; 64]) -> [u8; 32] {
    let mut out = [0u8; 32];
    let mut i = 0;
    while i < 32 {
        out[i] = (nibble(s[2 * i]) << 4) | nibble(s[2 * i + 1]);
        i += 1;
    }
    out
}

const fn hex48(s: [u8; 96]) -> [u8; 48] {
    let mut out = [0u8; 48];
    let mut i = 0;
    while i < 48 {
        out[i] = (nibble(s[2 * i]) << 4) | nibble(s[2 * i + 1]);
        i += 1;
    }
    out
}

/// The verify_data of a Finished message: `HMAC(finished_key, transcript_hash)` with
/// `finished_key = HKDF-Expand-Label(base_key, "finished", "", Hash.length)` (RFC 8446 §4.4.4).
pub fn finished_verify_data(hash: HashAlg, base_key: &[u8], transcript_hash: &[u8]) -> Secret {
    let fk = expand_label(hash, base_key, label::FINISHED, &[]);
    let key = hmac::Key::new(hash.hmac_algorithm(), fk.as_bytes());
    Secret::from_slice(hmac::sign(&key, transcript_hash).as_ref())
}

/// The labels of RFC 8446 §7.1 (Derive-Secret) and §4.4.4, §4.6.1.
pub mod label {
    #![allow(missing_docs)]
    pub const EXT_BINDER: &[u8] = b"ext binder";
    pub const RES_BINDER: &[u8] = b"res binder";
    pub const DERIVED: &[u8] = b"derived";
    pub const C_E_TRAFFIC: &[u8] = b"c e traffic";
    pub const C_HS_TRAFFIC: &[u8] = b"c hs traffic";
    pub const S_HS_TRAFFIC: &[u8] = b"s hs traffic";
    pub const C_AP_TRAFFIC: &[u8] = b"c ap traffic";
    pub const S_AP_TRAFFIC: &[u8] = b"s ap traffic";
    pub const EXP_MASTER: &[u8] = b"exp master";
    pub const RES_MASTER: &[u8] = b"res master";
    pub const FINISHED: &[u8] = b"finished";
    pub const RESUMPTION: &[u8] = b"resumption";
}

/// One stage's secret, keyed once for expanding; the typed stages below wrap it.
#[derive(Debug, Clone)]
struct StageSecret {
    hash: HashAlg,
    current: Secret,
    prk: hkdf::Prk,
    /// The next stage's salt, already keyed (only the PSK-less Early Secret has it: a constant).
    next_salt: Option<hmac::Key>,
}

impl StageSecret {
    fn new(hash: HashAlg, current: Secret) -> Self {
        let prk = hkdf::Prk::new_less_safe(hash.hkdf_algorithm(), current.as_bytes());
        Self {
            hash,
            current,
            prk,
            next_salt: None,
        }
    }
    fn derive(&self, label: &[u8], transcript_hash: &[u8]) -> Secret {
        let mut s = Secret::zero(self.hash);
        hkdf_expand_label_prk(
            &self.prk,
            label,
            transcript_hash,
            &mut s.buf[..self.hash.output_len()],
        );
        s
    }
    fn derived_salt(&self) -> Secret {
        self.derive(label::DERIVED, empty_hash(self.hash))
    }
    /// `HKDF-Extract(Derive-Secret(current, "derived", ""), ikm)`; `None` is Hash.length zeros.
    fn next(self, ikm: Option<&[u8]>) -> Self {
        let zeros = [0u8; 48];
        let ikm = ikm.unwrap_or(&zeros[..self.hash.output_len()]);
        let salt = match &self.next_salt {
            Some(key) => key.clone(),
            None => hmac::Key::new(self.hash.hmac_algorithm(), self.derived_salt().as_bytes()),
        };
        let current = Secret::from_slice(hmac::sign(&salt, ikm).as_ref());
        Self::new(self.hash, current)
    }
}

/// The Early Secret's salt, Hash.length zeros, keyed once per process (every PSK's extract uses it).
fn zero_salt(hash: HashAlg) -> &'static hmac::Key {
    static KEYS: [OnceLock<hmac::Key>; 2] = [OnceLock::new(), OnceLock::new()];
    let slot = match hash {
        HashAlg::Sha256 => 0,
        HashAlg::Sha384 => 1,
    };
    KEYS[slot].get_or_init(|| {
        let zeros = [0u8; 48];
        hmac::Key::new(hash.hmac_algorithm(), &zeros[..hash.output_len()])
    })
}

/// The Early Secret without a PSK, `HKDF-Extract(0, 0)`, with its "derived" salt keyed: the
/// same for every full handshake, so computed once per hash.
fn no_psk_early(hash: HashAlg) -> StageSecret {
    static CACHE: [OnceLock<StageSecret>; 2] = [OnceLock::new(), OnceLock::new()];
    let slot = match hash {
        HashAlg::Sha256 => 0,
        HashAlg::Sha384 => 1,
    };
    CACHE[slot]
        .get_or_init(|| {
            let zeros = [0u8; 48];
            let z = &zeros[..hash.output_len()];
            let mut stage = StageSecret::new(hash, hkdf_extract(hash, z, z));
            let salt = stage.derived_salt();
            stage.next_salt = Some(hmac::Key::new(hash.hmac_algorithm(), salt.as_bytes()));
            stage
        })
        .clone()
}

macro_rules! stage_accessors {
    ($t:ident) => {
        impl $t {
            /// The hash of this schedule.
            pub fn hash(&self) -> HashAlg {
                self.0.hash
            }
            /// This stage's secret (for tests; never logged).
            pub fn current(&self) -> &Secret {
                &self.0.current
            }
            /// `Derive-Secret(this stage, label, transcript_hash)`; labels are in [`label`].
            pub fn derive(&self, label: &[u8], transcript_hash: &[u8]) -> Secret {
                self.0.derive(label, transcript_hash)
            }
            /// `Derive-Secret(this stage, "derived", "")`: the salt of the next stage.
            pub fn derived_salt(&self) -> Secret {
                self.0.derived_salt()
            }
        }
    };
}

/// The Early Secret (RFC 8446 §7.1): binder keys. Only [`EarlySecret::into_handshake`] leads on,
/// so the stages cannot be taken out of order.
#[derive(Debug, Clone)]
pub struct EarlySecret(StageSecret);
/// The Handshake Secret: the handshake traffic secrets; then [`HandshakeSecret::into_master`].
#[derive(Debug, Clone)]
pub struct HandshakeSecret(StageSecret);
/// The Master Secret: application traffic, exporter and resumption secrets. The last stage.
#[derive(Debug, Clone)]
pub struct MasterSecret(StageSecret);

stage_accessors!(EarlySecret);
stage_accessors!(HandshakeSecret);
stage_accessors!(MasterSecret);

impl EarlySecret {
    /// Early Secret = `HKDF-Extract(0, PSK)`; without a PSK the IKM is Hash.length zeros.
    pub fn new(hash: HashAlg, psk: Option<&[u8]>) -> Self {
        let Some(psk) = psk else {
            return Self(no_psk_early(hash));
        };
        let current = Secret::from_slice(hmac::sign(zero_salt(hash), psk).as_ref());
        Self(StageSecret::new(hash, current))
    }
    /// The Handshake Secret from the (EC)DHE shared secret.
    pub fn into_handshake(self, shared: &[u8]) -> HandshakeSecret {
        HandshakeSecret(self.0.next(Some(shared)))
    }
}

impl HandshakeSecret {
    /// The Master Secret (IKM: zeros).
    pub fn into_master(self) -> MasterSecret {
        MasterSecret(self.0.next(None))
    }
}

/// The transcript hash. Before the hash is known (client, until ServerHello) messages are buffered.
// The hashing variant is the one that lives longest; boxing it would cost an allocation per handshake.
#[allow(clippy::large_enum_variant)]
#[derive(Clone)]
pub enum Transcript {
    /// Raw messages, hash not chosen yet.
    Buffer(Vec<u8>),
    /// Running hash.
    Hash(digest::Context, HashAlg),
}

impl std::fmt::Debug for Transcript {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Buffer(b) => write!(f, "Transcript::Buffer({} bytes)", b.len()),
            Self::Hash(_, h) => write!(f, "Transcript::Hash({h:?})"),
        }
    }
}

impl Default for Transcript {
    fn default() -> Self {
        Self::Buffer(Vec::new())
    }
}

impl Transcript {
    /// A running hash from the start.
    pub fn new_hash(hash: HashAlg) -> Self {
        Self::Hash(digest::Context::new(hash.digest_algorithm()), hash)
    }

    /// Adds a whole handshake message (header included).
    pub fn add(&mut self, msg: &[u8]) {
        match self {
            Self::Buffer(b) => b.extend_from_slice(msg),
            Self::Hash(c, _) => c.update(msg),
        }
    }

    /// Switches from buffering to hashing with `hash` (no-op if already hashing).
    pub fn start_hash(&mut self, hash: HashAlg) {
        if let Self::Buffer(b) = self {
            let mut c = digest::Context::new(hash.digest_algorithm());
            c.update(b);
            *self = Self::Hash(c, hash);
        }
    }

    /// The hash of everything so far.
    pub fn current_hash(&self) -> digest::Digest {
        match self {
            Self::Hash(c, _) => c.clone().finish(),
            // Only reachable through misuse; hash with SHA-256 so nothing panics.
            Self::Buffer(b) => digest::digest(&digest::SHA256, b),
        }
    }

    /// RFC 8446 §4.4.1: after a HelloRetryRequest, ClientHello1 is replaced by
    /// `message_hash(254) ‖ 00 00 Hash.length ‖ Hash(ClientHello1)`. Call with only ClientHello1 added.
    pub fn rollover_for_hrr(&mut self, hash: HashAlg) {
        self.start_hash(hash);
        let h = self.current_hash();
        let mut c = digest::Context::new(hash.digest_algorithm());
        c.update(&[254, 0, 0, hash.output_len() as u8]);
        c.update(h.as_ref());
        *self = Self::Hash(c, hash);
    }
}

/// Checks a received Finished in constant time (ring's HMAC verification).
pub fn verify_finished(
    hash: HashAlg,
    base_key: &[u8],
    transcript_hash: &[u8],
    received: &[u8],
) -> bool {
    let fk = expand_label(hash, base_key, label::FINISHED, &[]);
    let key = hmac::Key::new(hash.hmac_algorithm(), fk.as_bytes());
    hmac::verify(&key, transcript_hash, received).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const HASHES: [HashAlg; 2] = [HashAlg::Sha256, HashAlg::Sha384];

    #[test]
    fn empty_hash_constants_are_the_hashes_of_nothing() {
        for h in HASHES {
            let d = digest::digest(h.digest_algorithm(), &[]);
            assert_eq!(empty_hash(h), d.as_ref(), "{h:?}");
        }
    }

    #[test]
    fn psk_early_secret_matches_the_uncached_extract() {
        for h in HASHES {
            let z = vec![0u8; h.output_len()];
            let psk = [9u8; 48];
            let psk = &psk[..h.output_len()];
            let early = EarlySecret::new(h, Some(psk));
            assert_eq!(
                early.current().as_bytes(),
                hkdf_extract(h, &z, psk).as_bytes()
            );
        }
    }

    /// The cached PSK-less stage gives what the schedule computed from scratch gives.
    #[test]
    fn psk_less_early_secret_matches_the_uncached_computation() {
        for h in HASHES {
            let z = vec![0u8; h.output_len()];
            let early = hkdf_extract(h, &z, &z);
            let salt = expand_label(h, early.as_bytes(), label::DERIVED, empty_hash(h));
            let shared = [7u8; 32];
            let hs = hkdf_extract(h, salt.as_bytes(), &shared);
            for _ in 0..2 {
                let cached = EarlySecret::new(h, None);
                assert_eq!(cached.current().as_bytes(), early.as_bytes());
                assert_eq!(cached.derived_salt().as_bytes(), salt.as_bytes());
                let next = cached.into_handshake(&shared);
                assert_eq!(next.current().as_bytes(), hs.as_bytes());
                let th = [1u8; 48];
                assert_eq!(
                    next.derive(label::C_HS_TRAFFIC, &th[..h.output_len()])
                        .as_bytes(),
                    expand_label(h, hs.as_bytes(), label::C_HS_TRAFFIC, &th[..h.output_len()])
                        .as_bytes()
                );
            }
        }
    }
}
