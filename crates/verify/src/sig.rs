//! Signature algorithms: X.509 AlgorithmIdentifiers and the protocol-neutral
//! [`SignatureAlgorithm`] (what a TLS SignatureScheme names, without its code point) mapped onto
//! ring, through one table.
//!
//! This is the seed's "decrypt the signature with the CA's public key, hash the data, compare":
//! ring does the public-key operation and the comparison in one call; the report shows the hash
//! algorithm and the digest of the signed bytes so the user sees what was compared.

use crate::error::VerifyError;
use crate::oid;
use crate::tbs;
use ring::signature::{self, UnparsedPublicKey, VerificationAlgorithm};
use x509_parser::x509::{AlgorithmIdentifier, SubjectPublicKeyInfo};

/// The hash function a signature algorithm applies to the signed data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HashAlg {
    Sha256,
    Sha384,
    Sha512,
    /// Ed25519 hashes internally (SHA-512 over R || A || M); there is no separate digest.
    Intrinsic,
}

impl HashAlg {
    pub fn name(self) -> &'static str {
        match self {
            HashAlg::Sha256 => "SHA-256",
            HashAlg::Sha384 => "SHA-384",
            HashAlg::Sha512 => "SHA-512",
            HashAlg::Intrinsic => "SHA-512 (inside Ed25519)",
        }
    }

    /// Hex digest of `data` (SHA-512 for Ed25519 so the user still sees a fingerprint of the TBS).
    pub fn hex_digest(self, data: &[u8]) -> String {
        let alg = match self {
            HashAlg::Sha256 => &ring::digest::SHA256,
            HashAlg::Sha384 => &ring::digest::SHA384,
            HashAlg::Sha512 | HashAlg::Intrinsic => &ring::digest::SHA512,
        };
        hex::encode(ring::digest::digest(alg, data).as_ref())
    }
}

/// The kind of a subject public key, with the parts ring needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyKind {
    Rsa { bits: usize },
    EcP256,
    EcP384,
    Ed25519,
}

impl KeyKind {
    pub fn name(self) -> String {
        match self {
            KeyKind::Rsa { bits } => format!("RSA-{bits}"),
            KeyKind::EcP256 => "ECDSA P-256".into(),
            KeyKind::EcP384 => "ECDSA P-384".into(),
            KeyKind::Ed25519 => "Ed25519".into(),
        }
    }
}

/// A parsed, usable subject public key: its kind and the bytes ring takes.
#[derive(Clone, Debug)]
pub struct PublicKey<'a> {
    pub kind: KeyKind,
    pub key: &'a [u8],
}

/// Parses a SubjectPublicKeyInfo into a key we can verify with, or says why not.
pub fn parse_spki<'a>(spki: &'a SubjectPublicKeyInfo<'_>) -> Result<PublicKey<'a>, VerifyError> {
    let alg = tbs::AlgId {
        oid: spki.algorithm.algorithm.as_bytes(),
        params: spki.algorithm.parameters.as_ref().map(|p| tbs::Param {
            tag: p.tag().0,
            data: p.data,
        }),
    };
    let key: &'a [u8] = spki.subject_public_key.data.as_ref();
    spki_key(alg, spki.subject_public_key.unused_bits, key)
}

/// The key of a SubjectPublicKeyInfo's parts (a certificate's, split by `tbs::parse`).
pub fn spki_key<'a>(
    alg_id: tbs::AlgId<'_>,
    unused_bits: u8,
    key: &'a [u8],
) -> Result<PublicKey<'a>, VerifyError> {
    let alg = alg_id.oid;
    let params = alg_id.params;
    if unused_bits != 0 {
        return Err(VerifyError::malformed(
            "public key BIT STRING has unused bits",
        ));
    }
    if alg == oid::RSA_ENCRYPTION {
        if !params.is_some_and(|p| p.tag == 5 && p.data.is_empty()) {
            return Err(VerifyError::malformed(
                "rsaEncryption key parameters must be NULL",
            ));
        }
        let bits = rsa_modulus_bits(key).ok_or_else(|| VerifyError::malformed("RSA public key"))?;
        // ring's floor for verification is 2048 bits; odd sizes are a sign of a broken key generator.
        if !(2048..=8192).contains(&bits) || bits % 8 != 0 {
            return Err(VerifyError::UnsupportedAlgorithm {
                what: format!("RSA key of {bits} bits (need 2048..=8192, multiple of 8)"),
            });
        }
        return Ok(PublicKey {
            kind: KeyKind::Rsa { bits },
            key,
        });
    }
    if alg == oid::EC_PUBLIC_KEY {
        let curve = match params {
            Some(p) if p.tag == 6 => p.data,
            _ => {
                return Err(VerifyError::UnsupportedAlgorithm {
                    what: "EC key without a named curve (explicit curve parameters)".into(),
                })
            }
        };
        let kind = if curve == oid::P256 {
            KeyKind::EcP256
        } else if curve == oid::P384 {
            KeyKind::EcP384
        } else {
            return Err(VerifyError::UnsupportedAlgorithm {
                what: format!("EC curve {}", oid::display(curve)),
            });
        };
        return Ok(PublicKey { kind, key });
    }
    if alg == oid::ED25519 {
        if params.is_some() {
            return Err(VerifyError::malformed(
                "Ed25519 key must have no parameters",
            ));
        }
        return Ok(PublicKey {
            kind: KeyKind::Ed25519,
            key,
        });
    }
    Err(VerifyError::UnsupportedAlgorithm {
        what: format!("public key algorithm {}", oid::display(alg)),
    })
}

/// Bit length of the modulus in a DER RSAPublicKey, or None if it is not one.
fn rsa_modulus_bits(der: &[u8]) -> Option<usize> {
    use x509_parser::der_parser::der::parse_der_integer;
    use x509_parser::der_parser::der::parse_der_sequence_defined_g;
    let (rest, n) = parse_der_sequence_defined_g(|i, _| {
        let (i, n) = parse_der_integer(i)?;
        let (i, _e) = parse_der_integer(i)?;
        Ok((i, n))
    })(der)
    .ok()?;
    if !rest.is_empty() {
        return None;
    }
    let bytes = n.as_slice().ok()?;
    // Positive INTEGER: a leading 0x00 only pads the sign bit.
    let bytes = match bytes.split_first() {
        Some((0, tail)) => tail,
        Some((b, _)) if b & 0x80 != 0 => return None,
        _ => bytes,
    };
    let first = *bytes.first()?;
    if first == 0 {
        return None;
    }
    Some(bytes.len() * 8 - first.leading_zeros() as usize)
}

/// A certificate signature algorithm we accept, with what the report shows.
#[derive(Clone, Copy, Debug)]
pub struct SigAlg {
    pub name: &'static str,
    pub hash: HashAlg,
    family: Family,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Family {
    RsaPkcs1,
    RsaPss,
    Ecdsa,
    Ed25519,
}

/// The one table from (family, hash, key) to ring's verification algorithm.
fn ring_alg(
    family: Family,
    hash: HashAlg,
    kind: KeyKind,
) -> Option<&'static dyn VerificationAlgorithm> {
    Some(match (family, hash, kind) {
        (Family::RsaPkcs1, HashAlg::Sha256, KeyKind::Rsa { .. }) => {
            &signature::RSA_PKCS1_2048_8192_SHA256
        }
        (Family::RsaPkcs1, HashAlg::Sha384, KeyKind::Rsa { .. }) => {
            &signature::RSA_PKCS1_2048_8192_SHA384
        }
        (Family::RsaPkcs1, HashAlg::Sha512, KeyKind::Rsa { .. }) => {
            &signature::RSA_PKCS1_2048_8192_SHA512
        }
        (Family::RsaPss, HashAlg::Sha256, KeyKind::Rsa { .. }) => {
            &signature::RSA_PSS_2048_8192_SHA256
        }
        (Family::RsaPss, HashAlg::Sha384, KeyKind::Rsa { .. }) => {
            &signature::RSA_PSS_2048_8192_SHA384
        }
        (Family::RsaPss, HashAlg::Sha512, KeyKind::Rsa { .. }) => {
            &signature::RSA_PSS_2048_8192_SHA512
        }
        (Family::Ecdsa, HashAlg::Sha256, KeyKind::EcP256) => &signature::ECDSA_P256_SHA256_ASN1,
        (Family::Ecdsa, HashAlg::Sha384, KeyKind::EcP256) => &signature::ECDSA_P256_SHA384_ASN1,
        (Family::Ecdsa, HashAlg::Sha256, KeyKind::EcP384) => &signature::ECDSA_P384_SHA256_ASN1,
        (Family::Ecdsa, HashAlg::Sha384, KeyKind::EcP384) => &signature::ECDSA_P384_SHA384_ASN1,
        (Family::Ed25519, _, KeyKind::Ed25519) => &signature::ED25519,
        _ => return None,
    })
}

impl SigAlg {
    /// The ring algorithm for this signature with a key of `kind`, or why they do not fit.
    fn ring_alg(&self, kind: KeyKind) -> Result<&'static dyn VerificationAlgorithm, VerifyError> {
        ring_alg(self.family, self.hash, kind).ok_or_else(|| VerifyError::UnsupportedAlgorithm {
            what: format!("signature {} with a {} key", self.name, kind.name()),
        })
    }
}

/// Maps an x509-parser AlgorithmIdentifier (a CRL's) to one we accept.
pub fn x509_sig_alg(alg: &AlgorithmIdentifier<'_>) -> Result<SigAlg, VerifyError> {
    cert_sig_alg(&tbs::AlgId {
        oid: alg.algorithm.as_bytes(),
        params: alg.parameters.as_ref().map(|p| tbs::Param {
            tag: p.tag().0,
            data: p.data,
        }),
    })
}

/// Maps a certificate's signatureAlgorithm to one we accept.
pub fn cert_sig_alg(alg: &tbs::AlgId<'_>) -> Result<SigAlg, VerifyError> {
    let oid = alg.oid;
    let params = alg.params;
    let null_params = params.is_some_and(|p| p.tag == 5 && p.data.is_empty());
    let pkcs1 = |name, hash| {
        // RFC 4055: the parameters MUST be NULL; absent is tolerated (as webpki does).
        if null_params || params.is_none() {
            Ok(SigAlg {
                name,
                hash,
                family: Family::RsaPkcs1,
            })
        } else {
            Err(VerifyError::malformed(format!(
                "{name}: parameters must be NULL"
            )))
        }
    };
    let ecdsa = |name, hash| {
        if params.is_none() {
            Ok(SigAlg {
                name,
                hash,
                family: Family::Ecdsa,
            })
        } else {
            Err(VerifyError::malformed(format!(
                "{name}: parameters must be absent"
            )))
        }
    };
    match oid {
        o if o == oid::SHA256_WITH_RSA => pkcs1("sha256WithRSAEncryption", HashAlg::Sha256),
        o if o == oid::SHA384_WITH_RSA => pkcs1("sha384WithRSAEncryption", HashAlg::Sha384),
        o if o == oid::SHA512_WITH_RSA => pkcs1("sha512WithRSAEncryption", HashAlg::Sha512),
        o if o == oid::ECDSA_SHA256 => ecdsa("ecdsa-with-SHA256", HashAlg::Sha256),
        o if o == oid::ECDSA_SHA384 => ecdsa("ecdsa-with-SHA384", HashAlg::Sha384),
        o if o == oid::ED25519 => {
            if params.is_none() {
                Ok(SigAlg {
                    name: "Ed25519",
                    hash: HashAlg::Intrinsic,
                    family: Family::Ed25519,
                })
            } else {
                Err(VerifyError::malformed("Ed25519: parameters must be absent"))
            }
        }
        o if o == oid::RSASSA_PSS => {
            let p =
                params.ok_or_else(|| VerifyError::malformed("RSASSA-PSS without parameters"))?;
            let hash = pss_hash(p.data)?;
            let name = match hash {
                HashAlg::Sha256 => "RSASSA-PSS (SHA-256, MGF1-SHA-256)",
                HashAlg::Sha384 => "RSASSA-PSS (SHA-384, MGF1-SHA-384)",
                _ => "RSASSA-PSS (SHA-512, MGF1-SHA-512)",
            };
            Ok(SigAlg {
                name,
                hash,
                family: Family::RsaPss,
            })
        }
        other => Err(VerifyError::UnsupportedAlgorithm {
            what: format!("signature algorithm {}", oid::display(other)),
        }),
    }
}

/// Accepts exactly the RSASSA-PSS parameter sets ring verifies: hash H, MGF1 with H, salt = |H|,
/// trailer 1 (RFC 4055 §3.1 / RFC 8446's rsa_pss_rsae_*). `content` is the SEQUENCE's content.
fn pss_hash(content: &[u8]) -> Result<HashAlg, VerifyError> {
    // Compare with the canonical DER encodings; anything else is not something ring can check.
    for (hash_oid, hash, salt) in [
        (oid::SHA256, HashAlg::Sha256, 32u8),
        (oid::SHA384, HashAlg::Sha384, 48),
        (oid::SHA512, HashAlg::Sha512, 64),
    ] {
        let mut hash_alg = vec![0x30, (hash_oid.len() + 4) as u8, 0x06, hash_oid.len() as u8];
        hash_alg.extend_from_slice(hash_oid);
        hash_alg.extend_from_slice(&[0x05, 0x00]);
        let mut expected = Vec::with_capacity(64);
        expected.push(0xa0);
        expected.push(hash_alg.len() as u8);
        expected.extend_from_slice(&hash_alg);
        let mut mgf = vec![0x06, oid::MGF1.len() as u8];
        mgf.extend_from_slice(oid::MGF1);
        mgf.extend_from_slice(&hash_alg);
        let mgf_seq_len = mgf.len();
        expected.push(0xa1);
        expected.push((mgf_seq_len + 2) as u8);
        expected.push(0x30);
        expected.push(mgf_seq_len as u8);
        expected.extend_from_slice(&mgf);
        expected.extend_from_slice(&[0xa2, 0x03, 0x02, 0x01, salt]);
        if content == expected.as_slice() {
            return Ok(hash);
        }
    }
    Err(VerifyError::UnsupportedAlgorithm {
        what: "RSASSA-PSS parameters other than SHA-256/384/512 with matching MGF1 and salt".into(),
    })
}

/// Verifies `signature` over `message` with `key` using the certificate signature algorithm `alg`.
pub fn verify_with(
    alg: &SigAlg,
    key: &PublicKey<'_>,
    message: &[u8],
    signature: &[u8],
) -> Result<(), VerifyError> {
    let ring_alg = alg.ring_alg(key.kind)?;
    UnparsedPublicKey::new(ring_alg, key.key)
        .verify(message, signature)
        .map_err(|_| VerifyError::BadSignature {
            algorithm: alg.name.to_string(),
        })
}

/// A signature algorithm over raw bytes, named independently of any protocol: a TLS
/// SignatureScheme maps onto one of these (the code points live in the handshake crate). ECDSA
/// variants bind the curve to the hash, as TLS 1.3 does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SignatureAlgorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    RsaPkcs1Sha256,
    /// RSASSA-PKCS1-v1_5 with SHA-384.
    RsaPkcs1Sha384,
    /// RSASSA-PKCS1-v1_5 with SHA-512.
    RsaPkcs1Sha512,
    /// RSASSA-PSS with SHA-256, MGF1-SHA-256, salt 32.
    RsaPssSha256,
    /// RSASSA-PSS with SHA-384, MGF1-SHA-384, salt 48.
    RsaPssSha384,
    /// RSASSA-PSS with SHA-512, MGF1-SHA-512, salt 64.
    RsaPssSha512,
    /// ECDSA on P-256 with SHA-256.
    EcdsaP256Sha256,
    /// ECDSA on P-384 with SHA-384.
    EcdsaP384Sha384,
    /// Ed25519.
    Ed25519,
}

impl SignatureAlgorithm {
    fn parts(self) -> (Family, HashAlg, Option<KeyKind>) {
        use SignatureAlgorithm as A;
        match self {
            A::RsaPkcs1Sha256 => (Family::RsaPkcs1, HashAlg::Sha256, None),
            A::RsaPkcs1Sha384 => (Family::RsaPkcs1, HashAlg::Sha384, None),
            A::RsaPkcs1Sha512 => (Family::RsaPkcs1, HashAlg::Sha512, None),
            A::RsaPssSha256 => (Family::RsaPss, HashAlg::Sha256, None),
            A::RsaPssSha384 => (Family::RsaPss, HashAlg::Sha384, None),
            A::RsaPssSha512 => (Family::RsaPss, HashAlg::Sha512, None),
            A::EcdsaP256Sha256 => (Family::Ecdsa, HashAlg::Sha256, Some(KeyKind::EcP256)),
            A::EcdsaP384Sha384 => (Family::Ecdsa, HashAlg::Sha384, Some(KeyKind::EcP384)),
            A::Ed25519 => (Family::Ed25519, HashAlg::Intrinsic, Some(KeyKind::Ed25519)),
        }
    }

    /// A readable name, e.g. `"ECDSA P-256 SHA-256"`.
    pub fn name(self) -> &'static str {
        use SignatureAlgorithm as A;
        match self {
            A::RsaPkcs1Sha256 => "RSA PKCS#1 v1.5 SHA-256",
            A::RsaPkcs1Sha384 => "RSA PKCS#1 v1.5 SHA-384",
            A::RsaPkcs1Sha512 => "RSA PKCS#1 v1.5 SHA-512",
            A::RsaPssSha256 => "RSA-PSS SHA-256",
            A::RsaPssSha384 => "RSA-PSS SHA-384",
            A::RsaPssSha512 => "RSA-PSS SHA-512",
            A::EcdsaP256Sha256 => "ECDSA P-256 SHA-256",
            A::EcdsaP384Sha384 => "ECDSA P-384 SHA-384",
            A::Ed25519 => "Ed25519",
        }
    }
}

/// Verifies `signature` over `message` (e.g. a TLS CertificateVerify) made with the key in
/// `spki_der` (a DER SubjectPublicKeyInfo, see [`crate::end_entity_spki`]).
///
/// Errors: `Malformed` if the SPKI does not parse, `UnsupportedAlgorithm` if the algorithm does
/// not fit the key (e.g. ECDSA P-384 SHA-384 with a P-256 key), `BadSignature` otherwise.
///
/// `algorithm` is a [`SignatureAlgorithm`] or anything that names one (the handshake's TLS
/// `SignatureScheme` converts into it).
pub fn verify_signature(
    spki_der: &[u8],
    algorithm: impl Into<SignatureAlgorithm>,
    message: &[u8],
    signature: &[u8],
) -> Result<(), VerifyError> {
    let algorithm = algorithm.into();
    // The certificate parser's own SPKI split (no x509-parser pass: this runs per handshake).
    let spki = tbs::spki_parts(spki_der)
        .ok_or_else(|| VerifyError::malformed("not a DER SubjectPublicKeyInfo"))?;
    let key = spki_key(spki.alg, spki.unused_bits, spki.key)?;
    let (family, hash, bound) = algorithm.parts();
    let ring = bound
        .is_none_or(|k| k == key.kind)
        .then(|| ring_alg(family, hash, key.kind))
        .flatten()
        .ok_or_else(|| VerifyError::UnsupportedAlgorithm {
            what: format!("{} with a {} key", algorithm.name(), key.kind.name()),
        })?;
    UnparsedPublicKey::new(ring, key.key)
        .verify(message, signature)
        .map_err(|_| VerifyError::BadSignature {
            algorithm: algorithm.name().to_string(),
        })
}
