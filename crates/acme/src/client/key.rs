//! Account keys and JWS signing (the client side of `jws.rs`).

use ring::rand::SystemRandom;
use ring::signature::{self, EcdsaKeyPair, Ed25519KeyPair, KeyPair, RsaKeyPair};
use serde_json::json;

use super::ClientError;
use crate::jws::{b64, Jwk};
use https_pki::{KeyType, PrivateKey};

/// An account key that signs JWS: ES256 (default), EdDSA or RS256.
#[derive(Debug)]
pub enum AccountKey {
    /// ECDSA P-256, `ES256`.
    Es256(EcdsaKeyPair),
    /// Ed25519, `EdDSA`.
    EdDsa(Ed25519KeyPair),
    /// RSA, `RS256`.
    Rs256(RsaKeyPair),
}

fn bad<E: std::fmt::Display>(e: E) -> ClientError {
    ClientError::Key(e.to_string())
}

impl AccountKey {
    /// A fresh key of `key_type` (ECDSA P-256, Ed25519 or RSA).
    pub fn generate(key_type: KeyType) -> Result<Self, ClientError> {
        let key = PrivateKey::generate(key_type).map_err(bad)?;
        Self::from_pkcs8(key.pkcs8_der(), key_type)
    }

    /// Load a PKCS#8 key (as https-pki writes it).
    pub fn from_pkcs8(der: &[u8], key_type: KeyType) -> Result<Self, ClientError> {
        Ok(match key_type {
            KeyType::EcdsaP256 => AccountKey::Es256(
                EcdsaKeyPair::from_pkcs8(
                    &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
                    der,
                    &SystemRandom::new(),
                )
                .map_err(bad)?,
            ),
            KeyType::Ed25519 => {
                AccountKey::EdDsa(Ed25519KeyPair::from_pkcs8_maybe_unchecked(der).map_err(bad)?)
            }
            KeyType::Rsa2048 | KeyType::Rsa3072 | KeyType::Rsa4096 => {
                AccountKey::Rs256(RsaKeyPair::from_pkcs8(der).map_err(bad)?)
            }
            other => {
                return Err(ClientError::Key(format!(
                    "{other} account keys are not supported"
                )))
            }
        })
    }

    /// The JWS `alg`.
    pub fn alg(&self) -> &'static str {
        match self {
            AccountKey::Es256(_) => "ES256",
            AccountKey::EdDsa(_) => "EdDSA",
            AccountKey::Rs256(_) => "RS256",
        }
    }

    /// The public key as a JWK.
    pub fn jwk(&self) -> Jwk {
        let mut jwk = Jwk {
            kty: String::new(),
            crv: None,
            x: None,
            y: None,
            n: None,
            e: None,
        };
        match self {
            AccountKey::Es256(k) => {
                let p = k.public_key().as_ref();
                jwk.kty = "EC".into();
                jwk.crv = Some("P-256".into());
                jwk.x = Some(b64(&p[1..33]));
                jwk.y = Some(b64(&p[33..65]));
            }
            AccountKey::EdDsa(k) => {
                jwk.kty = "OKP".into();
                jwk.crv = Some("Ed25519".into());
                jwk.x = Some(b64(k.public_key().as_ref()));
            }
            AccountKey::Rs256(k) => {
                let c: signature::RsaPublicKeyComponents<Vec<u8>> = k.public().into();
                jwk.kty = "RSA".into();
                jwk.n = Some(b64(c.n.strip_prefix(&[0]).unwrap_or(&c.n)));
                jwk.e = Some(b64(c.e.strip_prefix(&[0]).unwrap_or(&c.e)));
            }
        }
        jwk
    }

    /// Sign `data` with this key's JWS algorithm.
    pub fn sign(&self, data: &[u8]) -> Result<Vec<u8>, ClientError> {
        let rng = SystemRandom::new();
        match self {
            AccountKey::Es256(k) => Ok(k.sign(&rng, data).map_err(bad)?.as_ref().to_vec()),
            AccountKey::EdDsa(k) => Ok(k.sign(data).as_ref().to_vec()),
            AccountKey::Rs256(k) => {
                let mut sig = vec![0; k.public().modulus_len()];
                k.sign(&signature::RSA_PKCS1_SHA256, &rng, data, &mut sig)
                    .map_err(bad)?;
                Ok(sig)
            }
        }
    }

    /// A flattened JWS: `kid` when given, else `jwk`; `nonce` omitted when `None` (inner
    /// key-change JWS); `payload` `None` is POST-as-GET (empty payload).
    pub fn jws(
        &self,
        url: &str,
        nonce: Option<&str>,
        kid: Option<&str>,
        payload: Option<&serde_json::Value>,
    ) -> Result<Vec<u8>, ClientError> {
        let mut protected = json!({ "alg": self.alg(), "url": url });
        if let Some(n) = nonce {
            protected["nonce"] = json!(n);
        }
        match kid {
            Some(k) => protected["kid"] = json!(k),
            None => protected["jwk"] = json!(self.jwk()),
        }
        let p = b64(protected.to_string().as_bytes());
        let body = payload
            .map(|v| b64(v.to_string().as_bytes()))
            .unwrap_or_default();
        let sig = self.sign(format!("{p}.{body}").as_bytes())?;
        Ok(
            json!({ "protected": p, "payload": body, "signature": b64(&sig) })
                .to_string()
                .into_bytes(),
        )
    }
}
