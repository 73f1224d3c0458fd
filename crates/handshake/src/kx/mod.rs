//! Key exchange (RFC 8446 §4.2.8): ephemeral ECDHE with ring (X25519, P-256, P-384) and the
//! post-quantum hybrids of draft-ietf-tls-ecdhe-mlkem (X25519MLKEM768, SecP256r1MLKEM768), whose
//! ML-KEM-768 half is libcrux-ml-kem.
//!
//! The client starts a [`KeyExchange`] per share it offers and completes one with the server's
//! share; the server answers a client share with [`respond`] (a Diffie-Hellman key pair for the
//! classical groups, an encapsulation for the hybrids).

mod ecdh;
mod mlkem;

#[doc(hidden)]
pub use mlkem::kat as mlkem_kat;

use ring::rand::SecureRandom;
use zeroize::Zeroizing;

use crate::error::{Error, PeerMisbehaved};

https_record::code_points! {
    /// A key-exchange group (RFC 8446 §4.2.7), or `Unknown(raw)` for one this crate does not name.
    pub enum NamedGroup(u16, from_wire, to_u16) {
        Secp256r1 = 0x0017 => "secp256r1",
        Secp384r1 = 0x0018 => "secp384r1",
        X25519 = 0x001d => "x25519",
        Secp256r1MlKem768 = 0x11eb => "SecP256r1MLKEM768",
        X25519MlKem768 = 0x11ec => "X25519MLKEM768",
    }
}

impl NamedGroup {
    /// Every group this crate implements, in default server preference order.
    pub const ALL: [NamedGroup; 5] = [
        Self::X25519MlKem768,
        Self::X25519,
        Self::Secp256r1,
        Self::Secp384r1,
        Self::Secp256r1MlKem768,
    ];
    /// The default list of both roles: the X25519MLKEM768 hybrid first, then the classical groups.
    pub const DEFAULT: [NamedGroup; 4] = [
        Self::X25519MlKem768,
        Self::X25519,
        Self::Secp256r1,
        Self::Secp384r1,
    ];

    /// From a code point: `Some` only for a group this crate can do key exchange with.
    pub fn from_u16(v: u16) -> Option<Self> {
        Some(Self::from_wire(v)).filter(|g| g.is_supported())
    }

    /// Whether this crate implements the group (every named one does).
    pub fn is_supported(self) -> bool {
        !matches!(self, Self::Unknown(_))
    }

    /// Whether the group is a post-quantum hybrid (ML-KEM-768 with an elliptic curve).
    pub fn is_hybrid(self) -> bool {
        self.hybrid().is_some()
    }

    /// The classical curve and whether ML-KEM comes first in shares and secrets, for a hybrid.
    fn hybrid(self) -> Option<(ecdh::Curve, bool)> {
        match self {
            Self::X25519MlKem768 => Some((ecdh::Curve::X25519, true)),
            Self::Secp256r1MlKem768 => Some((ecdh::Curve::P256, false)),
            _ => None,
        }
    }

    fn curve(self) -> Option<ecdh::Curve> {
        match self {
            Self::X25519 => Some(ecdh::Curve::X25519),
            Self::Secp256r1 => Some(ecdh::Curve::P256),
            Self::Secp384r1 => Some(ecdh::Curve::P384),
            _ => None,
        }
    }

    /// Exact lengths of the client's and the server's key_exchange for this group.
    fn share_lens(self) -> Option<(usize, usize)> {
        if let Some(c) = self.curve() {
            return Some((c.public_len(), c.public_len()));
        }
        let (c, _) = self.hybrid()?;
        Some((
            mlkem::EK_LEN + c.public_len(),
            mlkem::CT_LEN + c.public_len(),
        ))
    }

    /// The checks a client's share passes before any arithmetic (RFC 8446 §4.2.8.1-2,
    /// draft-ietf-tls-ecdhe-mlkem §4): the exact length for the group and, for the NIST curves,
    /// the uncompressed point form. The point itself and the ML-KEM key are checked when used.
    pub(crate) fn check_public(self, public: &[u8]) -> Result<(), Error> {
        let (len, _) = self
            .share_lens()
            .ok_or_else(|| Error::internal("key share check for an unsupported group"))?;
        self.check_share(public, len)
    }

    fn check_share(self, share: &[u8], len: usize) -> Result<(), Error> {
        if share.len() != len {
            return Err(Error::illegal(PeerMisbehaved::KeyShareLength {
                group: self.name(),
                len: share.len(),
                expected: len,
            }));
        }
        let (curve, point) = match (self.curve(), self.hybrid()) {
            (Some(c), _) => (c, share),
            (None, Some((c, kem_first))) => (c, split(share, c, kem_first).1),
            (None, None) => return Err(Error::internal("share check for an unsupported group")),
        };
        if curve != ecdh::Curve::X25519 && point.first() != Some(&0x04) {
            return Err(Error::illegal(PeerMisbehaved::KeyShareNotUncompressed(
                self.name(),
            )));
        }
        Ok(())
    }
}

impl std::fmt::Display for NamedGroup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Unknown(v) => write!(f, "unknown group 0x{v:04x}"),
            g => f.write_str(g.name()),
        }
    }
}

/// A key-exchange shared secret (up to 64 bytes for the hybrids), zeroized on drop.
pub(crate) struct SharedSecret(Zeroizing<Vec<u8>>);

impl SharedSecret {
    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

/// ML-KEM secret ‖ ECDH secret (X25519MLKEM768), or ECDH ‖ ML-KEM (SecP256r1MLKEM768).
fn combine(kem_first: bool, kem: &[u8], dh: &[u8]) -> SharedSecret {
    let mut v = Zeroizing::new(Vec::with_capacity(kem.len() + dh.len()));
    let (a, b) = if kem_first { (kem, dh) } else { (dh, kem) };
    v.extend_from_slice(a);
    v.extend_from_slice(b);
    SharedSecret(v)
}

/// Splits a hybrid share into its ML-KEM and ECDH parts (lengths already checked).
fn split(share: &[u8], curve: ecdh::Curve, kem_first: bool) -> (&[u8], &[u8]) {
    if kem_first {
        let (k, d) = share.split_at(share.len() - curve.public_len());
        (k, d)
    } else {
        let (d, k) = share.split_at(curve.public_len());
        (k, d)
    }
}

enum Private {
    Ecdh(ecdh::KeyPair),
    Hybrid {
        kem: Box<mlkem::DecapsulationKey>,
        ecdh: ecdh::KeyPair,
    },
    /// The classical share that reuses the hybrid share's ECDH key pair (as Chromium and rustls
    /// do): one key generation less per ClientHello. Only one share is ever completed, so the
    /// one-use ring key is still used once.
    HybridComponent,
}

/// One key share a client offered, consumed by [`KeyExchange::complete`].
pub(crate) struct KeyExchange {
    pub(crate) group: NamedGroup,
    private: Private,
    pub(crate) public: Vec<u8>,
}

impl std::fmt::Debug for KeyExchange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "KeyExchange({})", self.group)
    }
}

impl KeyExchange {
    pub(crate) fn start(group: NamedGroup, rng: &dyn SecureRandom) -> Result<Self, Error> {
        if let Some(curve) = group.curve() {
            let kp = ecdh::KeyPair::generate(curve, rng)?;
            let public = kp.public.clone();
            return Ok(Self {
                group,
                private: Private::Ecdh(kp),
                public,
            });
        }
        let (curve, kem_first) = group
            .hybrid()
            .ok_or_else(|| Error::Config(format!("{group} is not supported")))?;
        let (kem, ek) = mlkem::generate(rng)?;
        let ecdh = ecdh::KeyPair::generate(curve, rng)?;
        let public = if kem_first {
            [ek.as_slice(), &ecdh.public].concat()
        } else {
            [ecdh.public.as_slice(), &ek].concat()
        };
        Ok(Self {
            group,
            private: Private::Hybrid {
                kem: Box::new(kem),
                ecdh,
            },
            public,
        })
    }

    /// The shared secret with the server's share; a bad length or point is illegal_parameter
    /// (RFC 8446 §4.2.8.2, draft-ietf-tls-ecdhe-mlkem §4).
    pub(crate) fn complete(self, peer: &[u8]) -> Result<SharedSecret, Error> {
        let (_, len) = self
            .group
            .share_lens()
            .ok_or_else(|| Error::internal("no lengths for an offered group"))?;
        self.group.check_share(peer, len)?;
        match self.private {
            Private::Ecdh(kp) => Ok(SharedSecret(kp.agree(peer)?)),
            Private::HybridComponent => Err(Error::internal("hybrid component completed alone")),
            Private::Hybrid { kem, ecdh } => {
                let (curve, kem_first) = self
                    .group
                    .hybrid()
                    .ok_or_else(|| Error::internal("hybrid key for a classical group"))?;
                let (ct, point) = split(peer, curve, kem_first);
                let kem_ss = mlkem::decapsulate(&kem, ct)?;
                let dh = ecdh.agree(point)?;
                Ok(combine(kem_first, &kem_ss[..], &dh))
            }
        }
    }
}

/// The server's answer to a client's share in `group`: (our share, shared secret). For the
/// classical groups a fresh key pair and ECDH; for the hybrids an ML-KEM encapsulation to the
/// client's key plus ECDH (draft-ietf-tls-ecdhe-mlkem §3). The client share is checked first.
pub(crate) fn respond(
    group: NamedGroup,
    client_share: &[u8],
    rng: &dyn SecureRandom,
) -> Result<(Vec<u8>, SharedSecret), Error> {
    group.check_public(client_share)?;
    if let Some(curve) = group.curve() {
        let kp = ecdh::KeyPair::generate(curve, rng)?;
        let public = kp.public.clone();
        return Ok((public, SharedSecret(kp.agree(client_share)?)));
    }
    let (curve, kem_first) = group
        .hybrid()
        .ok_or_else(|| Error::internal("respond for an unsupported group"))?;
    let (ek, point) = split(client_share, curve, kem_first);
    let (ct, kem_ss) = mlkem::encapsulate(ek, rng)?;
    let kp = ecdh::KeyPair::generate(curve, rng)?;
    let share = if kem_first {
        [ct.as_slice(), &kp.public].concat()
    } else {
        [kp.public.as_slice(), &ct].concat()
    };
    let dh = kp.agree(point)?;
    Ok((share, combine(kem_first, &kem_ss[..], &dh)))
}

/// The shares a ClientHello offers: one for the first configured group and, when that is a
/// hybrid whose curve's classical group is also configured, one for that group too (as Chromium
/// does: a classical-only server then needs no HelloRetryRequest). The classical share is the
/// hybrid's own ECDH public value (Chromium and rustls reuse it too), so the pair costs one ECDH
/// key generation, not two.
#[derive(Debug)]
pub(crate) struct ClientShares(Vec<KeyExchange>);

impl ClientShares {
    pub(crate) fn start(groups: &[NamedGroup], rng: &dyn SecureRandom) -> Result<Self, Error> {
        let first = *groups
            .first()
            .ok_or_else(|| Error::Config("no key exchange groups".into()))?;
        let hybrid = KeyExchange::start(first, rng)?;
        let fallback = match first {
            NamedGroup::X25519MlKem768 => Some(NamedGroup::X25519),
            NamedGroup::Secp256r1MlKem768 => Some(NamedGroup::Secp256r1),
            _ => None,
        };
        let component = match (&hybrid.private, fallback.filter(|g| groups.contains(g))) {
            (Private::Hybrid { ecdh, .. }, Some(group)) => Some(KeyExchange {
                group,
                private: Private::HybridComponent,
                public: ecdh.public.clone(),
            }),
            _ => None,
        };
        Ok(Self(std::iter::once(hybrid).chain(component).collect()))
    }

    /// A single share for `group` (the answer to a HelloRetryRequest).
    pub(crate) fn single(group: NamedGroup, rng: &dyn SecureRandom) -> Result<Self, Error> {
        Ok(Self(vec![KeyExchange::start(group, rng)?]))
    }

    /// (group code point, key_exchange) of each share, in offer order.
    pub(crate) fn entries(&self) -> impl Iterator<Item = (u16, &[u8])> {
        self.0
            .iter()
            .map(|k| (k.group.to_u16(), k.public.as_slice()))
    }

    /// Whether we sent a share for this code point.
    pub(crate) fn offered(&self, group: u16) -> bool {
        self.0.iter().any(|k| k.group.to_u16() == group)
    }

    /// The shared secret with the server's share for `group` (one we offered: else
    /// illegal_parameter, RFC 8446 §4.2.8).
    pub(crate) fn complete(
        self,
        group: u16,
        peer: &[u8],
    ) -> Result<(NamedGroup, SharedSecret), Error> {
        let mut shares = self.0;
        let at = shares
            .iter()
            .position(|k| k.group.to_u16() == group)
            .ok_or_else(|| Error::illegal(PeerMisbehaved::ServerShareGroupMismatch))?;
        let mut kx = shares.swap_remove(at);
        if let Private::HybridComponent = kx.private {
            // The classical group was chosen: its key pair is the hybrid's ECDH half (the
            // ML-KEM decapsulation key is dropped, and zeroized, with the rest).
            let ecdh = shares.into_iter().find_map(|k| match k.private {
                Private::Hybrid { ecdh, .. } => Some(ecdh),
                _ => None,
            });
            kx.private = Private::Ecdh(
                ecdh.ok_or_else(|| Error::internal("hybrid component without its hybrid"))?,
            );
        }
        let g = kx.group;
        Ok((g, kx.complete(peer)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::rand::SystemRandom;

    /// The classical share is the hybrid's ECDH half, and either answer completes to the
    /// secret the responder computed.
    #[test]
    fn classical_share_reuses_the_hybrid_key_pair_and_either_completes() {
        let rng = SystemRandom::new();
        for (hybrid, classical) in [
            (NamedGroup::X25519MlKem768, NamedGroup::X25519),
            (NamedGroup::Secp256r1MlKem768, NamedGroup::Secp256r1),
        ] {
            for chosen in [hybrid, classical] {
                let shares = ClientShares::start(&[hybrid, classical], &rng).unwrap();
                let entries: Vec<(u16, Vec<u8>)> =
                    shares.entries().map(|(g, p)| (g, p.to_vec())).collect();
                assert_eq!(entries.len(), 2);
                let (curve, kem_first) = hybrid.hybrid().unwrap();
                let (_, point) = split(&entries[0].1, curve, kem_first);
                assert_eq!(entries[1], (classical.to_u16(), point.to_vec()));
                let offered = &entries[usize::from(chosen == classical)].1;
                let (answer, server_secret) = respond(chosen, offered, &rng).unwrap();
                let (g, secret) = shares.complete(chosen.to_u16(), &answer).unwrap();
                assert_eq!(g, chosen);
                assert_eq!(secret.as_bytes(), server_secret.as_bytes(), "{chosen}");
            }
        }
    }

    #[test]
    fn no_component_share_unless_its_group_is_configured() {
        let rng = SystemRandom::new();
        let shares = ClientShares::start(&[NamedGroup::X25519MlKem768], &rng).unwrap();
        assert_eq!(shares.entries().count(), 1);
        let shares = ClientShares::start(&[NamedGroup::X25519], &rng).unwrap();
        assert_eq!(shares.entries().count(), 1);
    }
}
