//! Server signing keys for CertificateVerify (RFC 8446 §4.4.3): ECDSA P-256/P-384, RSA-PSS, Ed25519.

use std::sync::Arc;

use ring::rand::SystemRandom;
use ring::signature::{self, EcdsaKeyPair, Ed25519KeyPair, KeyPair, RsaKeyPair};

use crate::error::Error;

/// SignatureScheme code points used here.
pub mod scheme {
    #![allow(missing_docs)]
    pub const ECDSA_SECP256R1_SHA256: u16 = 0x0403;
    pub const ECDSA_SECP384R1_SHA384: u16 = 0x0503;
    pub const RSA_PSS_RSAE_SHA256: u16 = 0x0804;
    pub const RSA_PSS_RSAE_SHA384: u16 = 0x0805;
    pub const RSA_PSS_RSAE_SHA512: u16 = 0x0806;
    pub const ED25519: u16 = 0x0807;
    pub const RSA_PKCS1_SHA256: u16 = 0x0401;
    pub const RSA_PKCS1_SHA384: u16 = 0x0501;
    pub const RSA_PKCS1_SHA512: u16 = 0x0601;
}

/// The IANA name of a signature scheme, e.g. `"ecdsa_secp256r1_sha256"`.
pub fn scheme_name(s: u16) -> &'static str {
    match s {
        scheme::ECDSA_SECP256R1_SHA256 => "ecdsa_secp256r1_sha256",
        scheme::ECDSA_SECP384R1_SHA384 => "ecdsa_secp384r1_sha384",
        scheme::RSA_PSS_RSAE_SHA256 => "rsa_pss_rsae_sha256",
        scheme::RSA_PSS_RSAE_SHA384 => "rsa_pss_rsae_sha384",
        scheme::RSA_PSS_RSAE_SHA512 => "rsa_pss_rsae_sha512",
        scheme::ED25519 => "ed25519",
        scheme::RSA_PKCS1_SHA256 => "rsa_pkcs1_sha256",
        scheme::RSA_PKCS1_SHA384 => "rsa_pkcs1_sha384",
        scheme::RSA_PKCS1_SHA512 => "rsa_pkcs1_sha512",
        _ => "unknown",
    }
}

/// The schemes we accept in CertificateVerify, in preference order.
pub const VERIFY_SCHEMES: &[u16] = &[
    scheme::ECDSA_SECP256R1_SHA256,
    scheme::ED25519,
    scheme::ECDSA_SECP384R1_SHA384,
    scheme::RSA_PSS_RSAE_SHA256,
    scheme::RSA_PSS_RSAE_SHA384,
    scheme::RSA_PSS_RSAE_SHA512,
];

/// The schemes we accept for signatures in certificates (signature_algorithms_cert is not sent
/// separately; TLS 1.3 then applies signature_algorithms to both). PKCS#1 v1.5 is allowed in
/// certificates only.
pub const CERT_SCHEMES: &[u16] = &[
    scheme::ECDSA_SECP256R1_SHA256,
    scheme::ED25519,
    scheme::ECDSA_SECP384R1_SHA384,
    scheme::RSA_PSS_RSAE_SHA256,
    scheme::RSA_PSS_RSAE_SHA384,
    scheme::RSA_PSS_RSAE_SHA512,
    scheme::RSA_PKCS1_SHA256,
    scheme::RSA_PKCS1_SHA384,
    scheme::RSA_PKCS1_SHA512,
];

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
        const EC_PUBLIC_KEY: &[u8] = &[0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
        const P256: &[u8] = &[0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
        const P384: &[u8] = &[0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22];
        let rng = SystemRandom::new();
        for (curve, alg, p256) in [
            (P256, &signature::ECDSA_P256_SHA256_ASN1_SIGNING, true),
            (P384, &signature::ECDSA_P384_SHA384_ASN1_SIGNING, false),
        ] {
            let mut alg_id = EC_PUBLIC_KEY.to_vec();
            alg_id.extend_from_slice(curve);
            let mut body = vec![0x02, 0x01, 0x00];
            der_tlv(&mut body, 0x30, &alg_id);
            der_tlv(&mut body, 0x04, sec1);
            let mut pkcs8 = Vec::new();
            der_tlv(&mut pkcs8, 0x30, &body);
            let key = EcdsaKeyPair::from_pkcs8(alg, &pkcs8, &rng);
            zeroize::Zeroize::zeroize(&mut pkcs8);
            zeroize::Zeroize::zeroize(&mut body);
            if let Ok(k) = key {
                return Ok(if p256 {
                    Self::EcdsaP256(k)
                } else {
                    Self::EcdsaP384(k)
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
        let blocks =
            pem::parse_many(pem_text).map_err(|e| Error::Config(format!("key PEM: {e}")))?;
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
    pub fn choose_scheme(&self, offered: &[u16]) -> Option<u16> {
        let mine: &[u16] = match self {
            Self::EcdsaP256(_) => &[scheme::ECDSA_SECP256R1_SHA256],
            Self::EcdsaP384(_) => &[scheme::ECDSA_SECP384R1_SHA384],
            Self::Ed25519(_) => &[scheme::ED25519],
            Self::Rsa(_) => &[
                scheme::RSA_PSS_RSAE_SHA256,
                scheme::RSA_PSS_RSAE_SHA384,
                scheme::RSA_PSS_RSAE_SHA512,
            ],
        };
        mine.iter().copied().find(|s| offered.contains(s))
    }

    /// Signs `msg` with `scheme` (one returned by [`SigningKey::choose_scheme`]).
    pub fn sign(&self, scheme: u16, msg: &[u8]) -> Result<Vec<u8>, Error> {
        let rng = SystemRandom::new();
        let fail = |_| Error::internal("signing failed");
        match self {
            Self::EcdsaP256(k) | Self::EcdsaP384(k) => {
                Ok(k.sign(&rng, msg).map_err(fail)?.as_ref().to_vec())
            }
            Self::Ed25519(k) => Ok(k.sign(msg).as_ref().to_vec()),
            Self::Rsa(k) => {
                let pad: &'static dyn signature::RsaEncoding = match scheme {
                    scheme::RSA_PSS_RSAE_SHA384 => &signature::RSA_PSS_SHA384,
                    scheme::RSA_PSS_RSAE_SHA512 => &signature::RSA_PSS_SHA512,
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

/// Appends a DER TLV (definite length, short or long form).
fn der_tlv(out: &mut Vec<u8>, tag: u8, value: &[u8]) {
    out.push(tag);
    let n = value.len();
    if n < 0x80 {
        out.push(n as u8);
    } else {
        let bytes = n.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(value);
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
