//! ML-KEM-768 (FIPS 203) through libcrux-ml-kem: key generation, encapsulation against a peer's
//! encapsulation key (checked as FIPS 203 §7.2 requires), decapsulation. Randomness comes from
//! ring's `SecureRandom`; seeds, the decapsulation key and the shared secrets are zeroized.

use libcrux_ml_kem::mlkem768::{self, MlKem768Ciphertext, MlKem768PrivateKey, MlKem768PublicKey};
use ring::rand::SecureRandom;
use zeroize::{Zeroize, Zeroizing};

use crate::error::{Error, PeerMisbehaved};

/// Encapsulation key length.
pub(crate) const EK_LEN: usize = 1184;
/// Ciphertext length.
pub(crate) const CT_LEN: usize = 1088;
/// Shared secret length.
pub(crate) const SS_LEN: usize = 32;

/// A decapsulation key, zeroized on drop.
pub(crate) struct DecapsulationKey(MlKem768PrivateKey);

impl Drop for DecapsulationKey {
    fn drop(&mut self) {
        self.0[0..].zeroize();
    }
}

fn random<const N: usize>(rng: &dyn SecureRandom) -> Result<Zeroizing<[u8; N]>, Error> {
    let mut buf = Zeroizing::new([0u8; N]);
    rng.fill(&mut buf[..])
        .map_err(|_| Error::internal("random generation failed"))?;
    Ok(buf)
}

/// A fresh key pair: the decapsulation key and the encoded encapsulation key.
pub(crate) fn generate(rng: &dyn SecureRandom) -> Result<(DecapsulationKey, Vec<u8>), Error> {
    Ok(generate_from_seed(&*random::<64>(rng)?))
}

/// ML-KEM.KeyGen_internal(d, z) with `seed` = d ‖ z (FIPS 203 §6.1).
pub(crate) fn generate_from_seed(seed: &[u8; 64]) -> (DecapsulationKey, Vec<u8>) {
    let (sk, pk) = mlkem768::generate_key_pair(*seed).into_parts();
    (DecapsulationKey(sk), pk.as_slice().to_vec())
}

/// Encapsulates to `ek`: (ciphertext, shared secret). An encapsulation key of the wrong length
/// or failing the modulus check is illegal_parameter (draft-ietf-tls-ecdhe-mlkem §4).
pub(crate) fn encapsulate(
    ek: &[u8],
    rng: &dyn SecureRandom,
) -> Result<(Vec<u8>, Zeroizing<[u8; SS_LEN]>), Error> {
    encapsulate_with(ek, &*random::<32>(rng)?)
}

/// ML-KEM.Encaps_internal(ek, m) after the FIPS 203 §7.2 input checks.
pub(crate) fn encapsulate_with(
    ek: &[u8],
    m: &[u8; 32],
) -> Result<(Vec<u8>, Zeroizing<[u8; SS_LEN]>), Error> {
    let len = ek.len();
    let ek = MlKem768PublicKey::try_from(ek).map_err(|_| {
        Error::illegal(PeerMisbehaved::KeyShareLength {
            group: "ML-KEM-768",
            len,
            expected: EK_LEN,
        })
    })?;
    if !mlkem768::validate_public_key(&ek) {
        return Err(Error::illegal(PeerMisbehaved::MlKemKeyInvalid));
    }
    let (ct, mut ss) = mlkem768::encapsulate(&ek, *m);
    let out = Zeroizing::new(ss);
    ss.zeroize();
    Ok((ct.as_slice().to_vec(), out))
}

/// Decapsulates `ct` (its length checked; a wrong ciphertext of the right length yields the
/// implicit-rejection secret, and the handshake then fails at Finished).
pub(crate) fn decapsulate(
    dk: &DecapsulationKey,
    ct: &[u8],
) -> Result<Zeroizing<[u8; SS_LEN]>, Error> {
    let len = ct.len();
    let ct = MlKem768Ciphertext::try_from(ct).map_err(|_| {
        Error::illegal(PeerMisbehaved::KeyShareLength {
            group: "ML-KEM-768",
            len,
            expected: CT_LEN,
        })
    })?;
    let mut ss = mlkem768::decapsulate(&dk.0, &ct);
    let out = Zeroizing::new(ss);
    ss.zeroize();
    Ok(out)
}

/// The deterministic ML-KEM-768 entry points behind the handshake, for known-answer tests only.
#[doc(hidden)]
pub mod kat {
    use crate::error::Error;

    /// KeyGen_internal: `seed` = d ‖ z; returns (encapsulation key, decapsulation key).
    pub fn keygen(seed: &[u8; 64]) -> (Vec<u8>, Vec<u8>) {
        let (dk, ek) = super::generate_from_seed(seed);
        (ek, dk.0.as_slice().to_vec())
    }

    /// Encaps_internal with the input checks: (ciphertext, shared secret).
    pub fn encapsulate(ek: &[u8], m: &[u8; 32]) -> Result<(Vec<u8>, [u8; 32]), Error> {
        super::encapsulate_with(ek, m).map(|(c, k)| (c, *k))
    }

    /// Decaps with the key generated from `seed`.
    pub fn decapsulate(seed: &[u8; 64], ct: &[u8]) -> Result<[u8; 32], Error> {
        let (dk, _) = super::generate_from_seed(seed);
        super::decapsulate(&dk, ct).map(|k| *k)
    }
}
