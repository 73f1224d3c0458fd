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

/// One stage's secret and its hash; the typed stages below wrap it.
#[derive(Debug, Clone)]
struct StageSecret {
    hash: HashAlg,
    current: Secret,
}

impl StageSecret {
    fn derive(&self, label: &[u8], transcript_hash: &[u8]) -> Secret {
        expand_label(self.hash, self.current.as_bytes(), label, transcript_hash)
    }
    fn derived_salt(&self) -> Secret {
        self.derive(label::DERIVED, empty_hash(self.hash).as_ref())
    }
    /// `HKDF-Extract(Derive-Secret(current, "derived", ""), ikm)`; `None` is Hash.length zeros.
    fn next(self, ikm: Option<&[u8]>) -> Self {
        let zeros = [0u8; 48];
        let salt = self.derived_salt();
        let ikm = ikm.unwrap_or(&zeros[..self.hash.output_len()]);
        Self {
            hash: self.hash,
            current: hkdf_extract(self.hash, salt.as_bytes(), ikm),
        }
    }
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
        let zeros = [0u8; 48];
        let z = &zeros[..hash.output_len()];
        Self(StageSecret {
            hash,
            current: hkdf_extract(hash, z, psk.unwrap_or(z)),
        })
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
