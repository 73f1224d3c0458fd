//! Keys: generation (seed application step 1), PEM/DER I/O, and loading keys made by openssl.
//!
//! ring signs with every key type here but cannot generate RSA keys, so RSA generation goes
//! through the `rsa` crate (generation only; the result is handed to ring as PKCS#8).
use std::fmt;
use std::str::FromStr;

use https_pkix::keywrap::{self, sec1_to_pkcs8, EcCurve};
use zeroize::Zeroizing;

use crate::pemutil;
use crate::{Error, Result};

/// The key types this crate can generate. ECDSA P-256 is the default: small, fast, universal.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum KeyType {
    /// ECDSA on NIST P-256 with SHA-256.
    #[default]
    EcdsaP256,
    /// ECDSA on NIST P-384 with SHA-384.
    EcdsaP384,
    /// Ed25519 (RFC 8032).
    Ed25519,
    /// RSA, 2048-bit modulus, PKCS#1 v1.5 SHA-256 signatures.
    Rsa2048,
    /// RSA, 3072-bit modulus.
    Rsa3072,
    /// RSA, 4096-bit modulus.
    Rsa4096,
}

impl KeyType {
    /// Every generatable type, in the order the CLI lists them.
    pub const ALL: [KeyType; 6] = [
        KeyType::EcdsaP256,
        KeyType::EcdsaP384,
        KeyType::Ed25519,
        KeyType::Rsa2048,
        KeyType::Rsa3072,
        KeyType::Rsa4096,
    ];

    /// The CLI spelling: `ecdsa-p256`, `rsa-2048`, ...
    pub fn as_str(self) -> &'static str {
        match self {
            KeyType::EcdsaP256 => "ecdsa-p256",
            KeyType::EcdsaP384 => "ecdsa-p384",
            KeyType::Ed25519 => "ed25519",
            KeyType::Rsa2048 => "rsa-2048",
            KeyType::Rsa3072 => "rsa-3072",
            KeyType::Rsa4096 => "rsa-4096",
        }
    }

    /// Generation takes seconds (RSA-3072/4096): worth a progress indicator.
    pub fn is_slow(self) -> bool {
        matches!(self, KeyType::Rsa3072 | KeyType::Rsa4096)
    }

    /// The algorithm a key of this type has.
    pub fn algorithm(self) -> KeyAlgorithm {
        match self {
            KeyType::EcdsaP256 => KeyAlgorithm::EcdsaP256,
            KeyType::EcdsaP384 => KeyAlgorithm::EcdsaP384,
            KeyType::Ed25519 => KeyAlgorithm::Ed25519,
            KeyType::Rsa2048 => KeyAlgorithm::Rsa { bits: 2048 },
            KeyType::Rsa3072 => KeyAlgorithm::Rsa { bits: 3072 },
            KeyType::Rsa4096 => KeyAlgorithm::Rsa { bits: 4096 },
        }
    }
}

impl fmt::Display for KeyType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for KeyType {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let norm = s.to_ascii_lowercase().replace('_', "-");
        KeyType::ALL
            .into_iter()
            .find(|t| t.as_str() == norm)
            .ok_or_else(|| {
                Error::UnsupportedKey(format!(
                    "unknown key type {s:?} (choose one of: {})",
                    KeyType::ALL.map(|t| t.as_str()).join(", ")
                ))
            })
    }
}

/// The algorithm and size of a public key, as read from its SubjectPublicKeyInfo.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum KeyAlgorithm {
    /// ECDSA P-256.
    EcdsaP256,
    /// ECDSA P-384.
    EcdsaP384,
    /// Ed25519.
    Ed25519,
    /// RSA with a modulus of `bits` bits.
    Rsa {
        /// Modulus size.
        bits: usize,
    },
    /// Something else (another curve, DSA, ...): readable by `inspect`, not usable for signing.
    Other {
        /// Security-relevant size in bits when known, else 0.
        bits: usize,
    },
}

impl KeyAlgorithm {
    /// Key size in bits (curve size for EC keys, 256 for Ed25519).
    pub fn bits(self) -> usize {
        match self {
            KeyAlgorithm::EcdsaP256 | KeyAlgorithm::Ed25519 => 256,
            KeyAlgorithm::EcdsaP384 => 384,
            KeyAlgorithm::Rsa { bits } | KeyAlgorithm::Other { bits } => bits,
        }
    }

    /// Whether this is an RSA key (RSA leaves also get keyUsage keyEncipherment).
    pub fn is_rsa(self) -> bool {
        matches!(self, KeyAlgorithm::Rsa { .. })
    }
}

impl fmt::Display for KeyAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyAlgorithm::EcdsaP256 => f.write_str("ECDSA P-256"),
            KeyAlgorithm::EcdsaP384 => f.write_str("ECDSA P-384"),
            KeyAlgorithm::Ed25519 => f.write_str("Ed25519"),
            KeyAlgorithm::Rsa { bits } => write!(f, "RSA-{bits}"),
            KeyAlgorithm::Other { bits: 0 } => f.write_str("other"),
            KeyAlgorithm::Other { bits } => write!(f, "other ({bits} bits)"),
        }
    }
}

/// Identify a SubjectPublicKeyInfo (DER).
pub(crate) fn spki_algorithm(spki: &x509_parser::x509::SubjectPublicKeyInfo<'_>) -> KeyAlgorithm {
    use x509_parser::oid_registry as oids;
    use x509_parser::public_key::PublicKey;
    let alg = &spki.algorithm.algorithm;
    if *alg == oids::OID_SIG_ED25519 {
        return KeyAlgorithm::Ed25519;
    }
    if *alg == oids::OID_KEY_TYPE_EC_PUBLIC_KEY {
        let curve = spki
            .algorithm
            .parameters
            .as_ref()
            .and_then(|p| p.as_oid().ok());
        return match curve {
            Some(c) if c == oids::OID_EC_P256 => KeyAlgorithm::EcdsaP256,
            Some(c) if c == oids::OID_NIST_EC_P384 => KeyAlgorithm::EcdsaP384,
            _ => KeyAlgorithm::Other {
                bits: spki.parsed().map(|k| k.key_size()).unwrap_or(0),
            },
        };
    }
    if *alg == oids::OID_PKCS1_RSAENCRYPTION {
        if let Ok(PublicKey::RSA(rsa)) = spki.parsed() {
            return KeyAlgorithm::Rsa {
                bits: modulus_bits(rsa.modulus),
            };
        }
    }
    KeyAlgorithm::Other {
        bits: spki.parsed().map(|k| k.key_size()).unwrap_or(0),
    }
}

/// Bit length of a big-endian unsigned integer (leading zero bytes ignored).
fn modulus_bits(m: &[u8]) -> usize {
    let trimmed: &[u8] = match m.iter().position(|&b| b != 0) {
        Some(i) => m.get(i..).unwrap_or(&[]),
        None => &[],
    };
    match trimmed.first() {
        Some(first) => trimmed.len() * 8 - first.leading_zeros() as usize,
        None => 0,
    }
}

/// A private key usable for signing CSRs and certificates.
///
/// Internally the key is PKCS#8 DER (kept in a zeroizing buffer) plus a ring signing key.
pub struct PrivateKey {
    pub(crate) pair: rcgen::KeyPair,
    pkcs8: Zeroizing<Vec<u8>>,
    algorithm: KeyAlgorithm,
}

impl Drop for PrivateKey {
    fn drop(&mut self) {
        // rcgen keeps its own copy of the PKCS#8 bytes; wipe it too.
        zeroize::Zeroize::zeroize(&mut self.pair);
    }
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PrivateKey")
            .field("algorithm", &self.algorithm)
            .field("key", &"[secret]")
            .finish()
    }
}

impl PrivateKey {
    /// Generate a fresh key of `key_type` from the OS random source.
    ///
    /// RSA-3072/4096 take seconds (see [`KeyType::is_slow`]).
    pub fn generate(key_type: KeyType) -> Result<Self> {
        let pkcs8: Zeroizing<Vec<u8>> = match key_type {
            KeyType::EcdsaP256 => Zeroizing::new(
                rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?.serialize_der(),
            ),
            KeyType::EcdsaP384 => Zeroizing::new(
                rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P384_SHA384)?.serialize_der(),
            ),
            KeyType::Ed25519 => {
                let v2 = Zeroizing::new(
                    rcgen::KeyPair::generate_for(&rcgen::PKCS_ED25519)?.serialize_der(),
                );
                ed25519_pkcs8_v1(&v2).ok_or_else(|| {
                    Error::Build("unexpected Ed25519 PKCS#8 layout from ring".into())
                })?
            }
            KeyType::Rsa2048 => generate_rsa_pkcs8(2048)?,
            KeyType::Rsa3072 => generate_rsa_pkcs8(3072)?,
            KeyType::Rsa4096 => generate_rsa_pkcs8(4096)?,
        };
        Self::from_pkcs8_der(&pkcs8)
    }

    /// Load a PKCS#8 DER private key.
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self> {
        let pair = rcgen::KeyPair::try_from(der).map_err(|_| {
            Error::UnsupportedKey(
                "not a PKCS#8 ECDSA P-256/P-384, Ed25519 or RSA (2048-8192 bit) private key".into(),
            )
        })?;
        let spki_der = rcgen::PublicKeyData::subject_public_key_info(&pair);
        let algorithm = match x509_parser::prelude::FromDer::from_der(&spki_der[..]) {
            Ok((_, spki)) => spki_algorithm(&spki),
            Err(_) => return Err(Error::UnsupportedKey("unreadable public key".into())),
        };
        Ok(PrivateKey {
            pair,
            pkcs8: Zeroizing::new(der.to_vec()),
            algorithm,
        })
    }

    /// Load a PEM private key: PKCS#8 (`PRIVATE KEY`), SEC1 (`EC PRIVATE KEY`) or PKCS#1
    /// (`RSA PRIVATE KEY`), as written by openssl. Encrypted keys are refused.
    pub fn from_pem(pem_text: &str) -> Result<Self> {
        let block = pemutil::parse_one(
            pem_text.as_bytes(),
            &[
                "PRIVATE KEY",
                "EC PRIVATE KEY",
                "RSA PRIVATE KEY",
                "ENCRYPTED PRIVATE KEY",
            ],
        )?;
        let der = Zeroizing::new(block.contents().to_vec());
        match block.tag() {
            "PRIVATE KEY" => Self::from_pkcs8_der(&der),
            "RSA PRIVATE KEY" => Self::from_pkcs8_der(&keywrap::pkcs1_to_pkcs8(&der)),
            "EC PRIVATE KEY" => {
                // SEC1 does not say the curve in a place ring reads; try both curves we support.
                EcCurve::ALL
                    .into_iter()
                    .find_map(|curve| Self::from_pkcs8_der(&sec1_to_pkcs8(&der, curve)).ok())
                    .ok_or_else(|| {
                        Error::UnsupportedKey("EC key is not a valid P-256 or P-384 key".into())
                    })
            }
            _ => Err(Error::UnsupportedKey(
                "the key is encrypted; decrypt it first (openssl pkey -in KEY -out plain.key)"
                    .into(),
            )),
        }
    }

    /// The key's algorithm and size.
    pub fn algorithm(&self) -> KeyAlgorithm {
        self.algorithm
    }

    /// PKCS#8 DER of the private key.
    pub fn pkcs8_der(&self) -> &[u8] {
        &self.pkcs8
    }

    /// PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`); zeroized when dropped.
    pub fn to_pkcs8_pem(&self) -> Zeroizing<String> {
        Zeroizing::new(pemutil::encode("PRIVATE KEY", &self.pkcs8))
    }

    /// SubjectPublicKeyInfo DER of the public half.
    pub fn public_key_der(&self) -> Vec<u8> {
        rcgen::PublicKeyData::subject_public_key_info(&self.pair)
    }

    /// SubjectPublicKeyInfo PEM (`-----BEGIN PUBLIC KEY-----`), what the seed calls `site.pub`.
    pub fn public_key_pem(&self) -> String {
        pemutil::encode("PUBLIC KEY", &self.public_key_der())
    }

    /// SHA-256 of the SubjectPublicKeyInfo, colon hex (same as
    /// `openssl pkey -pubout -outform DER | openssl dgst -sha256`).
    pub fn public_key_fingerprint(&self) -> String {
        pemutil::sha256_fingerprint(&self.public_key_der())
    }
}

const ED25519_V2_PREFIX: [u8; 16] = [
    0x30, 0x51, 0x02, 0x01, 0x01, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];
const ED25519_V1_PREFIX: [u8; 16] = [
    0x30, 0x2E, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];

/// ring writes Ed25519 keys as PKCS#8 v2 (RFC 5958, with the public key), which OpenSSL 3.0
/// cannot read; re-encode as v1 (seed only), which every tool reads and ring derives from.
fn ed25519_pkcs8_v1(v2: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    let seed = v2.strip_prefix(&ED25519_V2_PREFIX[..])?.get(..32)?;
    let mut v1 = Zeroizing::new(Vec::with_capacity(48));
    v1.extend_from_slice(&ED25519_V1_PREFIX);
    v1.extend_from_slice(seed);
    Some(v1)
}

/// OS randomness from ring, shaped as the `rand_core` RNG the `rsa` crate asks for.
struct RingRng(ring::rand::SystemRandom);

impl rsa::rand_core::RngCore for RingRng {
    fn next_u32(&mut self) -> u32 {
        let mut b = [0u8; 4];
        self.fill_bytes(&mut b);
        u32::from_le_bytes(b)
    }
    fn next_u64(&mut self) -> u64 {
        let mut b = [0u8; 8];
        self.fill_bytes(&mut b);
        u64::from_le_bytes(b)
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        // The OS RNG failing is not recoverable (there is no safe fallback for key material).
        #[allow(clippy::expect_used)]
        ring::rand::SecureRandom::fill(&self.0, dest).expect("OS random source failed");
    }
    fn try_fill_bytes(
        &mut self,
        dest: &mut [u8],
    ) -> std::result::Result<(), rsa::rand_core::Error> {
        ring::rand::SecureRandom::fill(&self.0, dest).map_err(|_| {
            rsa::rand_core::Error::from(
                std::num::NonZeroU32::new(rsa::rand_core::Error::CUSTOM_START)
                    .unwrap_or(std::num::NonZeroU32::MIN),
            )
        })
    }
}

impl rsa::rand_core::CryptoRng for RingRng {}

fn generate_rsa_pkcs8(bits: usize) -> Result<Zeroizing<Vec<u8>>> {
    use rsa::pkcs8::EncodePrivateKey;
    let mut rng = RingRng(ring::rand::SystemRandom::new());
    // RsaPrivateKey zeroizes itself on drop; the PKCS#8 document is a zeroizing SecretDocument.
    let key = rsa::RsaPrivateKey::new(&mut rng, bits)
        .map_err(|e| Error::Build(format!("RSA-{bits} key generation failed: {e}")))?;
    let doc = key
        .to_pkcs8_der()
        .map_err(|e| Error::Build(format!("RSA key encoding failed: {e}")))?;
    Ok(Zeroizing::new(doc.as_bytes().to_vec()))
}

// DER of the AlgorithmIdentifier parameters for the two curves (namedCurve OIDs).
/// Read a public key PEM (`PUBLIC KEY`, SPKI) and describe it.
pub fn public_key_algorithm_from_pem(pem_text: &str) -> Result<KeyAlgorithm> {
    let block = pemutil::parse_one(pem_text.as_bytes(), &["PUBLIC KEY"])?;
    let (_, spki) = <x509_parser::x509::SubjectPublicKeyInfo as x509_parser::prelude::FromDer<
        x509_parser::error::X509Error,
    >>::from_der(block.contents())
    .map_err(|e| Error::Malformed {
        what: "public key",
        reason: e.to_string(),
    })?;
    Ok(spki_algorithm(&spki))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_types_round_trip_through_their_names() {
        for t in KeyType::ALL {
            assert_eq!(t.as_str().parse::<KeyType>().ok(), Some(t));
        }
        assert!("dsa-1024".parse::<KeyType>().is_err());
    }

    #[test]
    fn generated_keys_reload_from_their_own_pem() {
        for t in [
            KeyType::EcdsaP256,
            KeyType::EcdsaP384,
            KeyType::Ed25519,
            KeyType::Rsa2048,
        ] {
            let k = PrivateKey::generate(t).unwrap();
            assert_eq!(k.algorithm(), t.algorithm());
            let again = PrivateKey::from_pem(&k.to_pkcs8_pem()).unwrap();
            assert_eq!(again.public_key_der(), k.public_key_der());
            assert_eq!(
                public_key_algorithm_from_pem(&k.public_key_pem()).unwrap(),
                t.algorithm()
            );
        }
    }

    #[test]
    fn certificate_pem_is_not_a_key() {
        let err =
            PrivateKey::from_pem("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
                .unwrap_err();
        assert!(matches!(err, Error::WrongLabel { .. }), "{err}");
    }

    #[test]
    fn modulus_bits_ignores_leading_zero() {
        assert_eq!(modulus_bits(&[0x00, 0x80, 0x00]), 16);
        assert_eq!(modulus_bits(&[0x01, 0x00]), 9);
    }
}
