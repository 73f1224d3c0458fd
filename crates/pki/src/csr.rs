//! Certificate signing requests (PKCS#10): seed application step 2.
use std::net::IpAddr;

use x509_parser::certification_request::X509CertificationRequest;
use x509_parser::extensions::{GeneralName, ParsedExtension};
use x509_parser::prelude::FromDer;

use crate::key::{spki_algorithm, KeyAlgorithm, PrivateKey};
use crate::names::SubjectAltName;
use crate::pemutil;
use crate::{Error, Result};

/// A parsed PKCS#10 request whose self-signature has been checked.
///
/// A `Csr` value only exists for requests that parse and whose signature verifies with the public
/// key they carry: that proves the requester holds the private key (not that it owns the names;
/// that is the CA's job).
#[derive(Clone, Debug)]
pub struct Csr {
    der: Vec<u8>,
    common_name: Option<String>,
    names: Vec<SubjectAltName>,
    unsupported_names: Vec<String>,
    public_key_der: Vec<u8>,
    algorithm: KeyAlgorithm,
}

impl Csr {
    /// Create a request for `names`, subject CN `common_name`, signed by `key`.
    pub fn new(key: &PrivateKey, common_name: &str, names: &[SubjectAltName]) -> Result<Self> {
        let mut params = rcgen::CertificateParams::default();
        params.distinguished_name = rcgen::DistinguishedName::new();
        if !common_name.is_empty() {
            params
                .distinguished_name
                .push(rcgen::DnType::CommonName, common_name);
        }
        params.subject_alt_names = names
            .iter()
            .map(SubjectAltName::to_rcgen)
            .collect::<Result<_>>()?;
        let req = params.serialize_request(&key.pair)?;
        Self::from_der(req.der())
    }

    /// Parse a PEM request (`CERTIFICATE REQUEST`, or the older `NEW CERTIFICATE REQUEST`) and
    /// verify its self-signature.
    pub fn from_pem(pem_text: &str) -> Result<Self> {
        let block = pemutil::parse_one(
            pem_text.as_bytes(),
            &["CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST"],
        )?;
        Self::from_der(block.contents())
    }

    /// Parse a DER request and verify its self-signature.
    pub fn from_der(der: &[u8]) -> Result<Self> {
        let malformed = |reason: String| Error::Malformed {
            what: "CSR",
            reason,
        };
        let (rest, req) =
            X509CertificationRequest::from_der(der).map_err(|e| malformed(e.to_string()))?;
        if !rest.is_empty() {
            return Err(malformed(format!("{} trailing bytes", rest.len())));
        }
        let info = &req.certification_request_info;
        let algorithm = spki_algorithm(&info.subject_pki);
        // ring refuses to verify RSA signatures below 2048 bits; say why instead of reporting a
        // bad signature.
        if let KeyAlgorithm::Rsa { bits } = algorithm {
            if bits < 2048 {
                return Err(Error::Policy(format!(
                    "the request's key is RSA-{bits}; at least 2048 bits are required"
                )));
            }
        }
        if let KeyAlgorithm::Other { .. } = algorithm {
            return Err(Error::UnsupportedKey(format!(
                "the request's key ({}) is not ECDSA P-256/P-384, Ed25519 or RSA",
                key_oid_name(&info.subject_pki)
            )));
        }
        req.verify_signature().map_err(|_| Error::CsrSignature)?;
        let common_name = info
            .subject
            .iter_common_name()
            .next()
            .and_then(|cn| cn.as_str().ok())
            .map(str::to_string);
        let mut names = Vec::new();
        let mut unsupported_names = Vec::new();
        if let Some(exts) = req.requested_extensions() {
            for ext in exts {
                if let ParsedExtension::SubjectAlternativeName(san) = ext {
                    for gn in &san.general_names {
                        match general_name(gn) {
                            Ok(n) => names.push(n),
                            Err(text) => unsupported_names.push(text),
                        }
                    }
                }
            }
        }
        Ok(Csr {
            der: der.to_vec(),
            common_name,
            names,
            unsupported_names,
            public_key_der: info.subject_pki.raw.to_vec(),
            algorithm,
        })
    }

    /// DER bytes of the request.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// PEM (`-----BEGIN CERTIFICATE REQUEST-----`).
    pub fn to_pem(&self) -> String {
        pemutil::encode("CERTIFICATE REQUEST", &self.der)
    }

    /// The subject's common name, if any.
    pub fn common_name(&self) -> Option<&str> {
        self.common_name.as_deref()
    }

    /// The DNS and IP subjectAltNames requested.
    pub fn subject_alt_names(&self) -> &[SubjectAltName] {
        &self.names
    }

    /// Requested names that are neither DNS nor IP, or are malformed (the CA refuses these).
    pub fn unsupported_names(&self) -> &[String] {
        &self.unsupported_names
    }

    /// SubjectPublicKeyInfo DER of the requester's key.
    pub fn public_key_der(&self) -> &[u8] {
        &self.public_key_der
    }

    /// The requester's key algorithm and size.
    pub fn algorithm(&self) -> KeyAlgorithm {
        self.algorithm
    }

    /// SHA-256 fingerprint of the request's DER.
    pub fn fingerprint(&self) -> String {
        pemutil::sha256_fingerprint(&self.der)
    }
}

/// A readable name for a key algorithm we do not support (curve name for EC keys).
fn key_oid_name(spki: &x509_parser::x509::SubjectPublicKeyInfo<'_>) -> String {
    let reg = x509_parser::oid_registry::OidRegistry::default().with_crypto();
    let name = |oid: &x509_parser::oid_registry::Oid<'_>| {
        reg.get(oid)
            .map(|e| e.sn().to_string())
            .unwrap_or_else(|| oid.to_id_string())
    };
    let alg = name(&spki.algorithm.algorithm);
    match spki
        .algorithm
        .parameters
        .as_ref()
        .and_then(|p| p.as_oid().ok())
    {
        Some(curve) => format!("{alg} {}", name(&curve)),
        None => alg,
    }
}

/// DNS or IP general name, or a printable description of anything else.
pub(crate) fn general_name(gn: &GeneralName<'_>) -> std::result::Result<SubjectAltName, String> {
    match gn {
        GeneralName::DNSName(d) => {
            crate::names::check_dns_syntax(d).map_err(|why| format!("DNS:{d} ({why})"))?;
            Ok(SubjectAltName::Dns(d.to_ascii_lowercase()))
        }
        GeneralName::IPAddress(bytes) => match bytes.len() {
            4 => {
                let mut a = [0u8; 4];
                a.copy_from_slice(bytes);
                Ok(SubjectAltName::Ip(IpAddr::from(a)))
            }
            16 => {
                let mut a = [0u8; 16];
                a.copy_from_slice(bytes);
                Ok(SubjectAltName::Ip(IpAddr::from(a)))
            }
            n => Err(format!("IP address of {n} bytes")),
        },
        GeneralName::RFC822Name(e) => Err(format!("email:{e}")),
        GeneralName::URI(u) => Err(format!("URI:{u}")),
        other => Err(format!("{other:?}")),
    }
}
