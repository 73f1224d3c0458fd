//! JWS (RFC 7515, flattened JSON serialization) as RFC 8555 §6.2 uses it, verified with ring.
//!
//! Accepted: ES256, ES384, RS256, EdDSA (Ed25519). `none` and MAC algorithms are refused
//! (§6.2 MUST NOT). The key comes from the `jwk` header (new accounts, revocation by certificate
//! key) or from the account named by `kid`; exactly one of the two must be present.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ring::signature::{self, UnparsedPublicKey};
use serde::{Deserialize, Serialize};

use crate::problem::{AcmeError, Result};

/// base64url without padding (RFC 8555 §6.1: padding MUST NOT be used).
pub fn b64(data: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(data)
}

/// Decode base64url without padding; `what` names the field in the error.
pub fn unb64(text: &str, what: &str) -> Result<Vec<u8>> {
    URL_SAFE_NO_PAD
        .decode(text)
        .map_err(|_| AcmeError::Malformed(format!("{what} is not base64url (no padding)")))
}

/// A public key in JWK form (RFC 7517), reduced to the members RFC 7638 thumbprints use.
/// Values are the base64url strings as received, checked to decode and to have the right size.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jwk {
    /// `EC`, `RSA` or `OKP`.
    pub kty: String,
    /// Curve (`P-256`, `P-384`, `Ed25519`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub crv: Option<String>,
    /// EC x / OKP public key.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub x: Option<String>,
    /// EC y.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub y: Option<String>,
    /// RSA modulus.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub n: Option<String>,
    /// RSA public exponent.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub e: Option<String>,
}

fn member<'a>(v: &'a Option<String>, name: &str) -> Result<&'a str> {
    v.as_deref()
        .ok_or_else(|| AcmeError::Malformed(format!("jwk has no \"{name}\"")))
}

impl Jwk {
    /// Check the members decode and fit the key type; returns the key with unused members dropped.
    pub fn validated(self) -> Result<Jwk> {
        let sized = |v: &Option<String>, name: &str, len: usize| -> Result<String> {
            let s = member(v, name)?;
            if unb64(s, name)?.len() != len {
                return Err(AcmeError::Malformed(format!(
                    "jwk \"{name}\" is not {len} bytes"
                )));
            }
            Ok(s.to_string())
        };
        match (self.kty.as_str(), self.crv.as_deref()) {
            ("EC", Some(crv @ ("P-256" | "P-384"))) => {
                let len = if crv == "P-256" { 32 } else { 48 };
                Ok(Jwk {
                    kty: "EC".into(),
                    crv: Some(crv.into()),
                    x: Some(sized(&self.x, "x", len)?),
                    y: Some(sized(&self.y, "y", len)?),
                    n: None,
                    e: None,
                })
            }
            ("OKP", Some("Ed25519")) => Ok(Jwk {
                kty: "OKP".into(),
                crv: Some("Ed25519".into()),
                x: Some(sized(&self.x, "x", 32)?),
                y: None,
                n: None,
                e: None,
            }),
            ("RSA", _) => {
                let n = unb64(member(&self.n, "n")?, "n")?;
                let e = unb64(member(&self.e, "e")?, "e")?;
                let bits = n.iter().skip_while(|b| **b == 0).count() * 8;
                if !(2048..=8192).contains(&bits) || e.is_empty() || e.len() > 8 {
                    return Err(AcmeError::Malformed(format!(
                        "RSA account keys must be 2048-8192 bits (got about {bits})"
                    )));
                }
                Ok(Jwk {
                    kty: "RSA".into(),
                    crv: None,
                    x: None,
                    y: None,
                    n: self.n,
                    e: self.e,
                })
            }
            (kty, crv) => Err(AcmeError::BadSignatureAlgorithm(format!(
                "unsupported key type {kty} {}",
                crv.unwrap_or("")
            ))),
        }
    }

    /// RFC 7638 thumbprint: SHA-256 over the required members in lexicographic order, no spaces.
    pub fn thumbprint(&self) -> Vec<u8> {
        let q = |v: &Option<String>| v.clone().unwrap_or_default();
        let canonical = match self.kty.as_str() {
            "RSA" => format!(
                r#"{{"e":"{}","kty":"RSA","n":"{}"}}"#,
                q(&self.e),
                q(&self.n)
            ),
            "OKP" => format!(
                r#"{{"crv":"{}","kty":"OKP","x":"{}"}}"#,
                q(&self.crv),
                q(&self.x)
            ),
            _ => format!(
                r#"{{"crv":"{}","kty":"EC","x":"{}","y":"{}"}}"#,
                q(&self.crv),
                q(&self.x),
                q(&self.y)
            ),
        };
        ring::digest::digest(&ring::digest::SHA256, canonical.as_bytes())
            .as_ref()
            .to_vec()
    }

    /// base64url of the thumbprint (the second half of a key authorization).
    pub fn thumbprint_b64(&self) -> String {
        b64(&self.thumbprint())
    }

    /// The raw public key as an X.509 SubjectPublicKeyInfo's BIT STRING holds it
    /// (EC: uncompressed point; Ed25519: 32 bytes); `None` for RSA (compared by n and e).
    pub fn raw_public_key(&self) -> Option<Vec<u8>> {
        let x = unb64(self.x.as_deref()?, "x").ok()?;
        match self.kty.as_str() {
            "EC" => {
                let y = unb64(self.y.as_deref()?, "y").ok()?;
                Some([&[4u8][..], &x, &y].concat())
            }
            "OKP" => Some(x),
            _ => None,
        }
    }

    /// Whether `spki_der` (an X.509 SubjectPublicKeyInfo) holds this same public key.
    pub fn matches_spki(&self, spki_der: &[u8]) -> bool {
        use x509_parser::prelude::FromDer;
        use x509_parser::public_key::PublicKey;
        let Ok((_, spki)) = x509_parser::x509::SubjectPublicKeyInfo::from_der(spki_der) else {
            return false;
        };
        if let Some(raw) = self.raw_public_key() {
            return raw == spki.subject_public_key.data.as_ref();
        }
        let strip = |b: &[u8]| {
            b.iter()
                .skip_while(|x| **x == 0)
                .copied()
                .collect::<Vec<u8>>()
        };
        let dec = |v: &Option<String>| v.as_deref().and_then(|s| URL_SAFE_NO_PAD.decode(s).ok());
        match (spki.parsed(), dec(&self.n), dec(&self.e)) {
            (Ok(PublicKey::RSA(rsa)), Some(n), Some(e)) => {
                strip(rsa.modulus) == strip(&n) && strip(rsa.exponent) == strip(&e)
            }
            _ => false,
        }
    }

    /// Verify `sig` over `msg` with this key under JWS algorithm `alg`.
    pub fn verify(&self, alg: &str, msg: &[u8], sig: &[u8]) -> Result<()> {
        // A supported alg that does not fit the key: the JWS cannot be this key's signature.
        let wrong = || {
            AcmeError::Unauthorized(format!(
                "alg {alg} does not go with a {} {} key",
                self.kty,
                self.crv.as_deref().unwrap_or("")
            ))
        };
        let bad = |_| AcmeError::Unauthorized("JWS signature does not verify".into());
        match (alg, self.kty.as_str(), self.crv.as_deref()) {
            ("ES256", "EC", Some("P-256")) => {
                ec(&signature::ECDSA_P256_SHA256_FIXED, self, msg, sig)
            }
            ("ES384", "EC", Some("P-384")) => {
                ec(&signature::ECDSA_P384_SHA384_FIXED, self, msg, sig)
            }
            ("EdDSA", "OKP", Some("Ed25519")) => {
                let x = unb64(member(&self.x, "x")?, "x")?;
                UnparsedPublicKey::new(&signature::ED25519, x)
                    .verify(msg, sig)
                    .map_err(bad)
            }
            ("RS256", "RSA", _) => {
                let n = unb64(member(&self.n, "n")?, "n")?;
                let e = unb64(member(&self.e, "e")?, "e")?;
                signature::RsaPublicKeyComponents { n, e }
                    .verify(&signature::RSA_PKCS1_2048_8192_SHA256, msg, sig)
                    .map_err(bad)
            }
            ("ES256" | "ES384" | "EdDSA" | "RS256", _, _) => Err(wrong()),
            _ => Err(AcmeError::BadSignatureAlgorithm(format!(
                "JWS alg {alg:?} is not accepted (ES256, ES384, RS256, EdDSA)"
            ))),
        }
    }
}

fn ec(
    alg: &'static signature::EcdsaVerificationAlgorithm,
    key: &Jwk,
    msg: &[u8],
    sig: &[u8],
) -> Result<()> {
    let point = key
        .raw_public_key()
        .ok_or_else(|| AcmeError::Malformed("bad EC jwk".into()))?;
    UnparsedPublicKey::new(alg, point)
        .verify(msg, sig)
        .map_err(|_| AcmeError::Unauthorized("JWS signature does not verify".into()))
}

/// The protected header members RFC 8555 §6.2 requires.
#[derive(Debug, Clone, Deserialize)]
pub struct Protected {
    /// Signature algorithm.
    pub alg: String,
    /// Anti-replay nonce (absent only in the inner JWS of a key change).
    #[serde(default)]
    pub nonce: Option<String>,
    /// The URL the request was sent to.
    pub url: String,
    /// The public key (new account, revocation by certificate key, inner key-change JWS).
    #[serde(default)]
    pub jwk: Option<Jwk>,
    /// The account URL.
    #[serde(default)]
    pub kid: Option<String>,
}

#[derive(Deserialize)]
struct Flattened {
    protected: String,
    payload: String,
    signature: String,
    /// RFC 8555 §6.2: the unprotected header MUST NOT be used.
    #[serde(default)]
    header: Option<serde_json::Value>,
}

/// A parsed (not yet verified) JWS.
#[derive(Debug, Clone)]
pub struct Jws {
    /// The decoded protected header.
    pub protected: Protected,
    /// The decoded payload (empty for POST-as-GET).
    pub payload: Vec<u8>,
    signing_input: Vec<u8>,
    signature: Vec<u8>,
}

impl Jws {
    /// Parse a flattened JWS; checks form only (one of `jwk` / `kid`, known fields decode).
    pub fn parse(body: &[u8]) -> Result<Jws> {
        let f: Flattened = serde_json::from_slice(body)
            .map_err(|e| AcmeError::Malformed(format!("body is not a flattened JWS: {e}")))?;
        if f.header.is_some() {
            return Err(AcmeError::Malformed(
                "a JWS unprotected \"header\" is not allowed (RFC 8555 §6.2)".into(),
            ));
        }
        let header = unb64(&f.protected, "protected")?;
        let protected: Protected = serde_json::from_slice(&header)
            .map_err(|e| AcmeError::Malformed(format!("protected header: {e}")))?;
        if protected.jwk.is_some() == protected.kid.is_some() {
            return Err(AcmeError::Malformed(
                "the protected header must hold exactly one of \"jwk\" and \"kid\"".into(),
            ));
        }
        let payload = unb64(&f.payload, "payload")?;
        let signature = unb64(&f.signature, "signature")?;
        let signing_input = format!("{}.{}", f.protected, f.payload).into_bytes();
        Ok(Jws {
            protected,
            payload,
            signing_input,
            signature,
        })
    }

    /// Verify the signature with `key`.
    pub fn verify(&self, key: &Jwk) -> Result<()> {
        key.verify(&self.protected.alg, &self.signing_input, &self.signature)
    }

    /// The payload as JSON, or `None` for POST-as-GET (empty payload).
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> Result<Option<T>> {
        if self.payload.is_empty() {
            return Ok(None);
        }
        serde_json::from_slice(&self.payload)
            .map(Some)
            .map_err(|e| AcmeError::Malformed(format!("payload: {e}")))
    }
}

/// The key authorization of RFC 8555 §8.1: `token || '.' || base64url(thumbprint)`.
pub fn key_authorization(token: &str, key: &Jwk) -> String {
    format!("{token}.{}", key.thumbprint_b64())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7638_example_thumbprint() {
        // RFC 7638 §3.1.
        let jwk = Jwk {
            kty: "RSA".into(),
            crv: None,
            x: None,
            y: None,
            n: Some("0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw".into()),
            e: Some("AQAB".into()),
        };
        assert_eq!(
            jwk.thumbprint_b64(),
            "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
        );
    }

    #[test]
    fn rfc8037_okp_thumbprint() {
        // RFC 8037 Appendix A.3.
        let jwk = Jwk {
            kty: "OKP".into(),
            crv: Some("Ed25519".into()),
            x: Some("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo".into()),
            y: None,
            n: None,
            e: None,
        };
        assert_eq!(
            jwk.thumbprint_b64(),
            "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
        );
    }

    #[test]
    fn es384_signatures_verify_and_a_flipped_bit_is_unauthorized() {
        use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P384_SHA384_FIXED_SIGNING};
        let rng = ring::rand::SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P384_SHA384_FIXED_SIGNING, &rng).unwrap();
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P384_SHA384_FIXED_SIGNING, pkcs8.as_ref(), &rng)
            .unwrap();
        let p = pair.public_key().as_ref();
        let jwk = Jwk {
            kty: "EC".into(),
            crv: Some("P-384".into()),
            x: Some(b64(&p[1..49])),
            y: Some(b64(&p[49..97])),
            n: None,
            e: None,
        }
        .validated()
        .unwrap();
        let mut sig = pair.sign(&rng, b"msg").unwrap().as_ref().to_vec();
        jwk.verify("ES384", b"msg", &sig).unwrap();
        sig[0] ^= 1;
        assert!(matches!(
            jwk.verify("ES384", b"msg", &sig),
            Err(AcmeError::Unauthorized(_))
        ));
        // The right key with the wrong alg is not its signature either.
        assert!(matches!(
            jwk.verify("ES256", b"msg", &sig),
            Err(AcmeError::Unauthorized(_))
        ));
    }

    #[test]
    fn short_rsa_and_wrong_sized_ec_keys_are_malformed() {
        let rsa = Jwk {
            kty: "RSA".into(),
            crv: None,
            x: None,
            y: None,
            n: Some(b64(&[0xc5; 128])), // 1024 bits
            e: Some("AQAB".into()),
        };
        assert!(matches!(rsa.validated(), Err(AcmeError::Malformed(_))));
        let ec = Jwk {
            kty: "EC".into(),
            crv: Some("P-256".into()),
            x: Some(b64(&[1; 31])),
            y: Some(b64(&[1; 32])),
            n: None,
            e: None,
        };
        assert!(matches!(ec.validated(), Err(AcmeError::Malformed(_))));
    }

    #[test]
    fn jws_needs_exactly_one_of_jwk_and_kid() {
        let p = b64(br#"{"alg":"ES256","nonce":"n","url":"u"}"#);
        let body = format!(r#"{{"protected":"{p}","payload":"","signature":""}}"#);
        assert!(matches!(
            Jws::parse(body.as_bytes()),
            Err(AcmeError::Malformed(_))
        ));
    }

    #[test]
    fn none_and_hmac_are_refused() {
        let jwk = Jwk {
            kty: "OKP".into(),
            crv: Some("Ed25519".into()),
            x: Some(b64(&[0; 32])),
            y: None,
            n: None,
            e: None,
        };
        for alg in ["none", "HS256"] {
            let e = jwk.verify(alg, b"m", b"").unwrap_err();
            assert!(matches!(e, AcmeError::BadSignatureAlgorithm(_)), "{alg}");
        }
    }
}
