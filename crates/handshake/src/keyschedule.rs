//! The TLS 1.3 key schedule (RFC 8446 §7.1) and the transcript hash (§4.4.1).
//!
//! `HKDF-Extract` is computed with HMAC so the intermediate secrets (early, handshake, master) exist as
//! bytes: the RFC 8448 tests compare them, and they are zeroized on drop.

use https_record::{hkdf_expand_label, HashAlg};
use ring::{digest, hmac};
use zeroize::{Zeroize, ZeroizeOnDrop};

/// A secret of the hash's length (32 or 48 bytes), zeroized on drop.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct Secret {
    buf: [u8; 48],
    len: usize,
}

impl Secret {
    pub(crate) fn zero(hash: HashAlg) -> Self {
        Self {
            buf: [0; 48],
            len: hash.output_len(),
        }
    }
    /// Copies `bytes` (at most 48) into a secret.
    pub fn from_slice(bytes: &[u8]) -> Self {
        let mut s = Self {
            buf: [0; 48],
            len: bytes.len().min(48),
        };
        s.buf[..s.len].copy_from_slice(&bytes[..s.len]);
        s
    }
    /// The secret's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
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

/// `Hash("")` for the "derived" step.
fn empty_hash(hash: HashAlg) -> digest::Digest {
    digest::digest(hash.digest_algorithm(), &[])
}

/// The verify_data of a Finished message: `HMAC(finished_key, transcript_hash)` with
/// `finished_key = HKDF-Expand-Label(base_key, "finished", "", Hash.length)` (RFC 8446 §4.4.4).
pub fn finished_verify_data(hash: HashAlg, base_key: &[u8], transcript_hash: &[u8]) -> Secret {
    let fk = expand_label(hash, base_key, b"finished", &[]);
    let key = hmac::Key::new(hash.hmac_algorithm(), fk.as_bytes());
    Secret::from_slice(hmac::sign(&key, transcript_hash).as_ref())
}

/// Which stage's secret the schedule currently holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Early Secret (from the PSK or zeros).
    Early,
    /// Handshake Secret (after (EC)DHE).
    Handshake,
    /// Master Secret.
    Master,
}

/// The running key schedule: one of Early, Handshake or Master Secret.
#[derive(Debug, Clone)]
pub struct KeySchedule {
    hash: HashAlg,
    current: Secret,
    stage: Stage,
}

impl KeySchedule {
    /// Early Secret = `HKDF-Extract(0, PSK)`; without a PSK the IKM is Hash.length zeros.
    pub fn new(hash: HashAlg, psk: Option<&[u8]>) -> Self {
        let zeros = [0u8; 48];
        let z = &zeros[..hash.output_len()];
        Self {
            hash,
            current: hkdf_extract(hash, z, psk.unwrap_or(z)),
            stage: Stage::Early,
        }
    }

    /// The hash of this schedule.
    pub fn hash(&self) -> HashAlg {
        self.hash
    }

    /// The current stage's secret (for tests; never logged).
    pub fn current(&self) -> &Secret {
        &self.current
    }

    /// The current stage.
    pub fn stage(&self) -> Stage {
        self.stage
    }

    /// `Derive-Secret(current, label, transcript_hash)`.
    pub fn derive(&self, label: &[u8], transcript_hash: &[u8]) -> Secret {
        expand_label(self.hash, self.current.as_bytes(), label, transcript_hash)
    }

    /// `Derive-Secret(current, "derived", "")`: the salt of the next stage.
    pub fn derived_salt(&self) -> Secret {
        self.derive(b"derived", empty_hash(self.hash).as_ref())
    }

    /// Moves to the next stage: `HKDF-Extract(Derive-Secret(current, "derived", ""), ikm)`, where
    /// `ikm` is the (EC)DHE shared secret for the Handshake stage and `None` (zeros) for Master.
    pub fn advance(&mut self, ikm: Option<&[u8]>) {
        let zeros = [0u8; 48];
        let salt = self.derived_salt();
        let ikm = ikm.unwrap_or(&zeros[..self.hash.output_len()]);
        self.current = hkdf_extract(self.hash, salt.as_bytes(), ikm);
        self.stage = match self.stage {
            Stage::Early => Stage::Handshake,
            _ => Stage::Master,
        };
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
    let fk = expand_label(hash, base_key, b"finished", &[]);
    let key = hmac::Key::new(hash.hmac_algorithm(), fk.as_bytes());
    hmac::verify(&key, transcript_hash, received).is_ok()
}
