//! Server signing keys for CertificateVerify (RFC 8446 §4.4.3): ECDSA P-256/P-384, RSA-PSS, Ed25519.

use std::sync::Arc;

use ring::rand::SystemRandom;
use ring::signature::{self, EcdsaKeyPair, Ed25519KeyPair, KeyPair, RsaKeyPair};

use https_pkix::keywrap::{sec1_to_pkcs8, EcCurve};

pub use crate::codec::SignatureScheme;
use crate::error::Error;

/// The schemes we accept for signatures in certificates (signature_algorithms_cert is not sent
/// separately; TLS 1.3 then applies signature_algorithms to both), in preference order.
/// PKCS#1 v1.5 (the last three) is allowed in certificates only.
pub const CERT_SCHEMES: &[SignatureScheme] = &SignatureScheme::ALL;

/// The schemes we accept in CertificateVerify, in preference order: [`CERT_SCHEMES`] without
/// PKCS#1 v1.5 (RFC 8446 §4.4.3).
pub const VERIFY_SCHEMES: &[SignatureScheme] = CERT_SCHEMES.split_at(CERT_SCHEMES.len() - 3).0;

/// A private key that can sign CertificateVerify.
pub enum SigningKey {
    /// ECDSA P-256 (ecdsa_secp256r1_sha256).
    EcdsaP256(EcdsaKeyPair),
    /// ECDSA P-384 (ecdsa_secp384r1_sha384).
    EcdsaP384(EcdsaKeyPair),
    /// RSA (rsa_pss_rsae_sha256/384/512).
    Rsa(RsaKeyPair),
    /// Ed25519.
    Ed25519(Ed25519KeyPair),
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.kind())
    }
}

impl SigningKey {
    /// Loads a PKCS#8 (or, for RSA, PKCS#1) DER private key of any supported type.
    pub fn from_der(der: &[u8]) -> Result<Self, Error> {
        let rng = SystemRandom::new();
        if let Ok(k) =
            EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P256_SHA256_ASN1_SIGNING, der, &rng)
        {
            return Ok(Self::EcdsaP256(k));
        }
        if let Ok(k) =
            EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P384_SHA384_ASN1_SIGNING, der, &rng)
        {
            return Ok(Self::EcdsaP384(k));
        }
        if let Ok(k) = Ed25519KeyPair::from_pkcs8_maybe_unchecked(der) {
            return Ok(Self::Ed25519(k));
        }
        if let Ok(k) = RsaKeyPair::from_pkcs8(der).or_else(|_| RsaKeyPair::from_der(der)) {
            return Ok(Self::Rsa(k));
        }
        Err(Error::Config(
            "private key is not PKCS#8 ECDSA P-256/P-384, Ed25519 or RSA (PKCS#8 or PKCS#1)".into(),
        ))
    }

    /// Loads a SEC1 `EC PRIVATE KEY` (what `openssl ecparam -genkey` writes) by wrapping it in
    /// PKCS#8 for ring; P-256 and P-384 (ring needs the embedded public key, which OpenSSL includes).
    pub fn from_sec1_der(sec1: &[u8]) -> Result<Self, Error> {
        let rng = SystemRandom::new();
        for curve in EcCurve::ALL {
            let alg = match curve {
                EcCurve::P256 => &signature::ECDSA_P256_SHA256_ASN1_SIGNING,
                EcCurve::P384 => &signature::ECDSA_P384_SHA384_ASN1_SIGNING,
            };
            if let Ok(k) = EcdsaKeyPair::from_pkcs8(alg, &sec1_to_pkcs8(sec1, curve), &rng) {
                return Ok(match curve {
                    EcCurve::P256 => Self::EcdsaP256(k),
                    EcCurve::P384 => Self::EcdsaP384(k),
                });
            }
        }
        Err(Error::Config(
            "EC PRIVATE KEY is not a P-256/P-384 key that includes its public key".into(),
        ))
    }

    /// Loads the first private key block of a PEM file (`PRIVATE KEY`, `RSA PRIVATE KEY` or
    /// `EC PRIVATE KEY`).
    pub fn from_pem(pem_text: &[u8]) -> Result<Self, Error> {
        let blocks = https_pkix::pem::parse_all(pem_text)
            .map_err(|e| Error::Config(format!("key PEM: {e}")))?;
        if let Some(b) = blocks.iter().find(|b| b.tag() == "EC PRIVATE KEY") {
            return Self::from_sec1_der(b.contents());
        }
        let block = blocks
            .iter()
            .find(|b| b.tag() == "PRIVATE KEY" || b.tag() == "RSA PRIVATE KEY")
            .ok_or_else(|| {
                Error::Config(
                    "no PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY block in the key file"
                        .into(),
                )
            })?;
        Self::from_der(block.contents())
    }

    /// A name for the key type.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::EcdsaP256(_) => "ECDSA P-256",
            Self::EcdsaP384(_) => "ECDSA P-384",
            Self::Rsa(_) => "RSA",
            Self::Ed25519(_) => "Ed25519",
        }
    }

    /// The first scheme this key can use among the peer's `offered` ones.
    pub fn choose_scheme(&self, offered: &[SignatureScheme]) -> Option<SignatureScheme> {
        use SignatureScheme as S;
        let mine: &[SignatureScheme] = match self {
            Self::EcdsaP256(_) => &[S::EcdsaSecp256r1Sha256],
            Self::EcdsaP384(_) => &[S::EcdsaSecp384r1Sha384],
            Self::Ed25519(_) => &[S::Ed25519],
            Self::Rsa(_) => &[
                S::RsaPssRsaeSha256,
                S::RsaPssRsaeSha384,
                S::RsaPssRsaeSha512,
            ],
        };
        mine.iter().copied().find(|s| offered.contains(s))
    }

    /// Signs `msg` with `scheme` (one returned by [`SigningKey::choose_scheme`]).
    pub fn sign(&self, scheme: SignatureScheme, msg: &[u8]) -> Result<Vec<u8>, Error> {
        let rng = SystemRandom::new();
        let fail = |_| Error::internal("signing failed");
        match self {
            Self::EcdsaP256(k) | Self::EcdsaP384(k) => {
                Ok(k.sign(&rng, msg).map_err(fail)?.as_ref().to_vec())
            }
            Self::Ed25519(k) => Ok(k.sign(msg).as_ref().to_vec()),
            Self::Rsa(k) => {
                let pad: &'static dyn signature::RsaEncoding = match scheme {
                    SignatureScheme::RsaPssRsaeSha384 => &signature::RSA_PSS_SHA384,
                    SignatureScheme::RsaPssRsaeSha512 => &signature::RSA_PSS_SHA512,
                    _ => &signature::RSA_PSS_SHA256,
                };
                let mut sig = vec![0; k.public().modulus_len()];
                k.sign(pad, &rng, msg, &mut sig).map_err(fail)?;
                Ok(sig)
            }
        }
    }

    /// The raw public key bytes (for matching against a certificate).
    pub fn public_key(&self) -> &[u8] {
        match self {
            Self::EcdsaP256(k) | Self::EcdsaP384(k) => k.public_key().as_ref(),
            Self::Ed25519(k) => k.public_key().as_ref(),
            Self::Rsa(k) => k.public_key().as_ref(),
        }
    }
}

/// A certificate chain (leaf first, DER) and its private key.
#[derive(Debug)]
pub struct CertifiedKey {
    /// The chain sent in Certificate, leaf first.
    pub chain: Vec<Vec<u8>>,
    /// The leaf's private key.
    pub key: SigningKey,
}

impl CertifiedKey {
    /// Pairs a chain with its key; fails if the chain is empty.
    pub fn new(chain: Vec<Vec<u8>>, key: SigningKey) -> Result<Arc<Self>, Error> {
        if chain.is_empty() {
            return Err(Error::Config("empty certificate chain".into()));
        }
        Ok(Arc::new(Self { chain, key }))
    }

    /// From PEM text: a full chain (leaf first) and a private key.
    pub fn from_pem(chain_pem: &[u8], key_pem: &[u8]) -> Result<Arc<Self>, Error> {
        let chain = https_verify::certs_from_pem(chain_pem)
            .map_err(|e| Error::Config(format!("certificate PEM: {e}")))?;
        Self::new(chain, SigningKey::from_pem(key_pem)?)
    }
}
