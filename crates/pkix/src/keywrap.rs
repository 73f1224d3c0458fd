//! Private keys in the encodings openssl writes, wrapped in PKCS#8 (the only one ring reads).
//! The buffers holding key material are zeroized on drop.

use zeroize::Zeroizing;

/// The named curves an `EC PRIVATE KEY` (SEC1) may be for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EcCurve {
    /// secp256r1 (1.2.840.10045.3.1.7).
    P256,
    /// secp384r1 (1.3.132.0.34).
    P384,
}

impl EcCurve {
    /// Both curves, in the order to try them (SEC1 says the curve in a place ring does not read).
    pub const ALL: [EcCurve; 2] = [EcCurve::P256, EcCurve::P384];

    fn oid_tlv(self) -> &'static [u8] {
        match self {
            EcCurve::P256 => &[0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07],
            EcCurve::P384 => &[0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22],
        }
    }
}

/// id-ecPublicKey, as a DER OID element.
const EC_PUBLIC_KEY: &[u8] = &[0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
/// rsaEncryption, as a DER OID element.
const RSA_ENCRYPTION: &[u8] = &[
    0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01,
];

/// A DER TLV with a definite (short or long form) length.
pub fn der_tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(content.len() + 6);
    out.push(tag);
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(content);
    out
}

/// `PrivateKeyInfo ::= SEQUENCE { version 0, AlgorithmIdentifier, OCTET STRING privateKey }`.
fn wrap(alg_id_content: &[u8], private_key: &[u8]) -> Zeroizing<Vec<u8>> {
    let mut body = Zeroizing::new(vec![0x02, 0x01, 0x00]);
    body.extend_from_slice(&der_tlv(0x30, alg_id_content));
    body.extend_from_slice(&Zeroizing::new(der_tlv(0x04, private_key)));
    Zeroizing::new(der_tlv(0x30, &body))
}

/// A SEC1 `ECPrivateKey` (`EC PRIVATE KEY`) for `curve`, as PKCS#8. ring also needs the public
/// key inside the SEC1 structure, which OpenSSL includes.
pub fn sec1_to_pkcs8(sec1: &[u8], curve: EcCurve) -> Zeroizing<Vec<u8>> {
    let mut alg = EC_PUBLIC_KEY.to_vec();
    alg.extend_from_slice(curve.oid_tlv());
    wrap(&alg, sec1)
}

/// A PKCS#1 `RSAPrivateKey` (`RSA PRIVATE KEY`), as PKCS#8.
pub fn pkcs1_to_pkcs8(pkcs1: &[u8]) -> Zeroizing<Vec<u8>> {
    let mut alg = RSA_ENCRYPTION.to_vec();
    alg.extend_from_slice(&[0x05, 0x00]);
    wrap(&alg, pkcs1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_use_the_long_form_from_128() {
        assert_eq!(der_tlv(0x04, &[7; 3])[..2], [0x04, 3]);
        assert_eq!(der_tlv(0x04, &[7; 200])[..3], [0x04, 0x81, 200]);
        assert_eq!(der_tlv(0x04, &[7; 300])[..4], [0x04, 0x82, 0x01, 0x2c]);
    }

    #[test]
    fn sec1_wrapping_names_the_curve() {
        let p8 = sec1_to_pkcs8(&[0xaa], EcCurve::P384);
        assert_eq!(p8[0], 0x30);
        assert!(p8.windows(7).any(|w| w == EcCurve::P384.oid_tlv()));
        assert!(p8.ends_with(&[0x04, 0x01, 0xaa]));
    }
}
