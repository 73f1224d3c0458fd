//! Ephemeral (EC)DHE key exchange (RFC 8446 §4.2.8) with ring: X25519, P-256, P-384.

use ring::agreement;
use ring::rand::SecureRandom;

use crate::error::Error;
use crate::keyschedule::Secret;

/// A key-exchange group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NamedGroup {
    /// x25519 (0x001d)
    X25519,
    /// secp256r1 (0x0017)
    Secp256r1,
    /// secp384r1 (0x0018)
    Secp384r1,
}

impl NamedGroup {
    /// All groups in default preference order.
    pub const ALL: [NamedGroup; 3] = [Self::X25519, Self::Secp256r1, Self::Secp384r1];

    /// The code point.
    pub fn to_u16(self) -> u16 {
        match self {
            Self::X25519 => 0x001d,
            Self::Secp256r1 => 0x0017,
            Self::Secp384r1 => 0x0018,
        }
    }
    /// From a code point.
    pub fn from_u16(v: u16) -> Option<Self> {
        Some(match v {
            0x001d => Self::X25519,
            0x0017 => Self::Secp256r1,
            0x0018 => Self::Secp384r1,
            _ => return None,
        })
    }
    /// The IANA name, e.g. `"x25519"`.
    pub fn name(self) -> &'static str {
        match self {
            Self::X25519 => "x25519",
            Self::Secp256r1 => "secp256r1",
            Self::Secp384r1 => "secp384r1",
        }
    }
    fn alg(self) -> &'static agreement::Algorithm {
        match self {
            Self::X25519 => &agreement::X25519,
            Self::Secp256r1 => &agreement::ECDH_P256,
            Self::Secp384r1 => &agreement::ECDH_P384,
        }
    }
    /// Length of a valid public value (X25519 32; uncompressed points 65/97).
    fn public_len(self) -> usize {
        match self {
            Self::X25519 => 32,
            Self::Secp256r1 => 65,
            Self::Secp384r1 => 97,
        }
    }
}

impl NamedGroup {
    /// The checks a public value passes before any arithmetic (RFC 8446 §4.2.8.1-2): the exact
    /// length for the group and, for the NIST curves, the uncompressed point form (0x04). Whether
    /// the point is on the curve is checked by ring when the share is used.
    pub(crate) fn check_public(self, public: &[u8]) -> Result<(), Error> {
        if public.len() != self.public_len() {
            return Err(Error::illegal(format!(
                "{self} key share of {} bytes (must be {})",
                public.len(),
                self.public_len()
            )));
        }
        if self != Self::X25519 && public.first() != Some(&0x04) {
            return Err(Error::illegal(format!(
                "{self} key share is not an uncompressed point"
            )));
        }
        Ok(())
    }
}

impl std::fmt::Display for NamedGroup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// One side's ephemeral key pair, consumed by [`KeyExchange::complete`].
pub(crate) struct KeyExchange {
    pub(crate) group: NamedGroup,
    private: agreement::EphemeralPrivateKey,
    pub(crate) public: Vec<u8>,
}

impl std::fmt::Debug for KeyExchange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "KeyExchange({})", self.group)
    }
}

impl KeyExchange {
    pub(crate) fn start(group: NamedGroup, rng: &dyn SecureRandom) -> Result<Self, Error> {
        let private = agreement::EphemeralPrivateKey::generate(group.alg(), rng)
            .map_err(|_| Error::internal("key generation failed"))?;
        let public = private
            .compute_public_key()
            .map_err(|_| Error::internal("public key computation failed"))?
            .as_ref()
            .to_vec();
        Ok(Self {
            group,
            private,
            public,
        })
    }

    /// The shared secret with the peer's public value; a bad point is illegal_parameter (RFC 8446 §4.2.8.2).
    pub(crate) fn complete(self, peer: &[u8]) -> Result<Secret, Error> {
        self.group.check_public(peer)?;
        agreement::agree_ephemeral(
            self.private,
            &agreement::UnparsedPublicKey::new(self.group.alg(), peer),
            |s| {
                // X25519 with a small-order point gives all zeros (RFC 7748 §6.1): reject.
                if s.iter().all(|b| *b == 0) {
                    None
                } else {
                    Some(Secret::from_slice(s))
                }
            },
        )
        .ok()
        .flatten()
        .ok_or_else(|| Error::illegal("invalid key share (point not on the curve or low order)"))
    }
}
