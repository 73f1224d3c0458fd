//! Ephemeral ECDH with ring: X25519 (RFC 7748), P-256 and P-384 (uncompressed points).

use ring::agreement;
use ring::rand::SecureRandom;
use zeroize::Zeroizing;

use crate::error::{Error, PeerMisbehaved};

/// An elliptic curve for ephemeral Diffie-Hellman.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Curve {
    X25519,
    P256,
    P384,
}

impl Curve {
    fn alg(self) -> &'static agreement::Algorithm {
        match self {
            Self::X25519 => &agreement::X25519,
            Self::P256 => &agreement::ECDH_P256,
            Self::P384 => &agreement::ECDH_P384,
        }
    }
    /// Length of a valid public value (X25519 32; uncompressed points 65/97).
    pub(super) fn public_len(self) -> usize {
        match self {
            Self::X25519 => 32,
            Self::P256 => 65,
            Self::P384 => 97,
        }
    }
}

/// An ephemeral private key (ring's, which never leaves ring) and its public value.
pub(super) struct KeyPair {
    curve: Curve,
    private: agreement::EphemeralPrivateKey,
    pub(super) public: Vec<u8>,
}

impl KeyPair {
    pub(super) fn generate(curve: Curve, rng: &dyn SecureRandom) -> Result<Self, Error> {
        let private = agreement::EphemeralPrivateKey::generate(curve.alg(), rng)
            .map_err(|_| Error::internal("key generation failed"))?;
        let public = private
            .compute_public_key()
            .map_err(|_| Error::internal("public key computation failed"))?
            .as_ref()
            .to_vec();
        Ok(Self {
            curve,
            private,
            public,
        })
    }

    /// The shared secret with `peer` (length already checked); a point off the curve or of low
    /// order is illegal_parameter (RFC 8446 §4.2.8.2).
    pub(super) fn agree(self, peer: &[u8]) -> Result<Zeroizing<Vec<u8>>, Error> {
        agreement::agree_ephemeral(
            self.private,
            &agreement::UnparsedPublicKey::new(self.curve.alg(), peer),
            |s| {
                // X25519 with a small-order point gives all zeros (RFC 7748 §6.1): reject.
                if s.iter().all(|b| *b == 0) {
                    None
                } else {
                    Some(Zeroizing::new(s.to_vec()))
                }
            },
        )
        .ok()
        .flatten()
        .ok_or_else(|| Error::illegal(PeerMisbehaved::KeyShareBadPoint))
    }
}
