//! Describe a certificate, CSR or key: what `https-kit inspect` prints (human or JSON).
use std::fmt;

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use x509_parser::certification_request::X509CertificationRequest;
use x509_parser::cri_attributes::ParsedCriAttribute;
use x509_parser::extensions::{GeneralName, ParsedExtension, X509Extension};
use x509_parser::prelude::FromDer;

use crate::ca::parse_cert;
use crate::csr::general_name;
use crate::key::{spki_algorithm, KeyAlgorithm, PrivateKey};
use crate::pemutil::{self, sha256_fingerprint};
use crate::{Error, Result};

/// What kind of object was described.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// An X.509 certificate.
    Certificate,
    /// A PKCS#10 certificate signing request.
    CertificateRequest,
    /// A private key (only its public half is described).
    PrivateKey,
    /// A SubjectPublicKeyInfo public key.
    PublicKey,
}

/// One extension, decoded to a short human string.
#[derive(Clone, Debug, serde::Serialize)]
pub struct ExtensionInfo {
    /// Short name ("basicConstraints", "subjectAltName", ...) or the dotted OID.
    pub name: String,
    /// The dotted OID.
    pub oid: String,
    /// Whether the extension is marked critical.
    pub critical: bool,
    /// Decoded value, e.g. "CA:TRUE, pathlen:0".
    pub value: String,
}

/// The facts `inspect` reports. Fields that do not apply to a kind are `None`/empty.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Description {
    /// What this is.
    pub kind: Kind,
    /// Subject distinguished name (certificates, CSRs).
    pub subject: Option<String>,
    /// Issuer distinguished name (certificates).
    pub issuer: Option<String>,
    /// Serial number, colon hex (certificates).
    pub serial: Option<String>,
    /// notBefore, RFC 3339.
    pub not_before: Option<String>,
    /// notAfter, RFC 3339.
    pub not_after: Option<String>,
    /// Whole days until notAfter (negative once expired).
    pub expires_in_days: Option<i64>,
    /// subjectAltNames, "DNS:..." / "IP:...".
    pub subject_alt_names: Vec<String>,
    /// Public key algorithm and size.
    pub key: KeyAlgorithm,
    /// Signature algorithm (certificates, CSRs).
    pub signature_algorithm: Option<String>,
    /// Whether the self-signature verifies (CSRs; certificates that are self-signed).
    pub self_signature_valid: Option<bool>,
    /// basicConstraints says CA:TRUE.
    pub is_ca: Option<bool>,
    /// Extensions in order of appearance (certificates, CSR extension requests).
    pub extensions: Vec<ExtensionInfo>,
    /// SHA-256 of the DER object (certificate/CSR), or of the public key for keys.
    pub sha256_fingerprint: String,
    /// SHA-256 of the SubjectPublicKeyInfo (same value for a key, its CSR and its certificate).
    pub public_key_sha256: String,
}

/// Describe the first object in `input` (PEM text or DER bytes).
pub fn describe(input: &[u8]) -> Result<Description> {
    let mut all = describe_all(input)?;
    if all.is_empty() {
        return Err(Error::BadPem("nothing to describe".into()));
    }
    Ok(all.remove(0))
}

/// Describe every object in `input`: each PEM block of a bundle (e.g. a fullchain), or a single
/// DER certificate or CSR.
pub fn describe_all(input: &[u8]) -> Result<Vec<Description>> {
    let looks_pem = std::str::from_utf8(input)
        .map(|s| s.contains("-----BEGIN "))
        .unwrap_or(false);
    if !looks_pem {
        // DER: a certificate or a CSR.
        if let Ok(d) = describe_cert(input) {
            return Ok(vec![d]);
        }
        if let Ok(d) = describe_csr(input) {
            return Ok(vec![d]);
        }
        return Err(Error::BadPem(
            "neither PEM text nor a DER certificate or CSR".into(),
        ));
    }
    let blocks = pemutil::parse_all(input)?;
    blocks
        .iter()
        .map(|b| match b.tag() {
            "CERTIFICATE" | "TRUSTED CERTIFICATE" => describe_cert(b.contents()),
            "CERTIFICATE REQUEST" | "NEW CERTIFICATE REQUEST" => describe_csr(b.contents()),
            "PRIVATE KEY" | "EC PRIVATE KEY" | "RSA PRIVATE KEY" | "ENCRYPTED PRIVATE KEY" => {
                let key = PrivateKey::from_pem(&pemutil::encode(b.tag(), b.contents()))?;
                let spki = key.public_key_der();
                Ok(key_description(Kind::PrivateKey, key.algorithm(), &spki))
            }
            "PUBLIC KEY" => {
                let (_, spki) = x509_parser::x509::SubjectPublicKeyInfo::from_der(b.contents())
                    .map_err(|e| Error::Malformed {
                        what: "public key",
                        reason: e.to_string(),
                    })?;
                Ok(key_description(
                    Kind::PublicKey,
                    spki_algorithm(&spki),
                    b.contents(),
                ))
            }
            other => Err(Error::WrongLabel {
                expected: "CERTIFICATE, CERTIFICATE REQUEST, PRIVATE KEY or PUBLIC KEY".into(),
                found: other.into(),
            }),
        })
        .collect()
}

fn key_description(kind: Kind, key: KeyAlgorithm, spki: &[u8]) -> Description {
    let fp = sha256_fingerprint(spki);
    Description {
        kind,
        subject: None,
        issuer: None,
        serial: None,
        not_before: None,
        not_after: None,
        expires_in_days: None,
        subject_alt_names: Vec::new(),
        key,
        signature_algorithm: None,
        self_signature_valid: None,
        is_ca: None,
        extensions: Vec::new(),
        sha256_fingerprint: fp.clone(),
        public_key_sha256: fp,
    }
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_else(|_| t.to_string())
}

fn sig_alg_name(oid: &x509_parser::oid_registry::Oid<'_>) -> String {
    let reg = x509_parser::oid_registry::OidRegistry::default().with_crypto();
    reg.get(oid)
        .map(|e| e.sn().to_string())
        .unwrap_or_else(|| oid.to_id_string())
}

fn describe_cert(der: &[u8]) -> Result<Description> {
    let cert = parse_cert(der)?;
    let not_after = cert.validity().not_after.to_datetime();
    let now = OffsetDateTime::now_utc();
    let self_issued = cert.subject().as_raw() == cert.issuer().as_raw();
    let serial = cert
        .raw_serial()
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":");
    let sans = cert
        .subject_alternative_name()
        .ok()
        .flatten()
        .map(|s| s.value.general_names.iter().map(name_text).collect())
        .unwrap_or_default();
    Ok(Description {
        kind: Kind::Certificate,
        subject: Some(cert.subject().to_string()),
        issuer: Some(cert.issuer().to_string()),
        serial: Some(serial),
        not_before: Some(rfc3339(cert.validity().not_before.to_datetime())),
        not_after: Some(rfc3339(not_after)),
        // Rounded to the nearest day: a 397-day certificate says 397 right after issuance.
        expires_in_days: Some(((not_after - now).whole_seconds() + 43_200).div_euclid(86_400)),
        subject_alt_names: sans,
        key: spki_algorithm(cert.public_key()),
        signature_algorithm: Some(sig_alg_name(&cert.signature_algorithm.algorithm)),
        self_signature_valid: self_issued.then(|| cert.verify_signature(None).is_ok()),
        is_ca: Some(cert.is_ca()),
        extensions: cert.extensions().iter().map(extension_info).collect(),
        sha256_fingerprint: sha256_fingerprint(der),
        public_key_sha256: sha256_fingerprint(cert.public_key().raw),
    })
}

fn describe_csr(der: &[u8]) -> Result<Description> {
    let (_, req) = X509CertificationRequest::from_der(der).map_err(|e| Error::Malformed {
        what: "CSR",
        reason: e.to_string(),
    })?;
    let info = &req.certification_request_info;
    let mut sans = Vec::new();
    let mut extensions = Vec::new();
    for attr in info.iter_attributes() {
        if let ParsedCriAttribute::ExtensionRequest(req_exts) = attr.parsed_attribute() {
            for ext in &req_exts.extensions {
                if let ParsedExtension::SubjectAlternativeName(san) = ext.parsed_extension() {
                    sans.extend(san.general_names.iter().map(name_text));
                }
                extensions.push(extension_info(ext));
            }
        }
    }
    Ok(Description {
        kind: Kind::CertificateRequest,
        subject: Some(info.subject.to_string()),
        issuer: None,
        serial: None,
        not_before: None,
        not_after: None,
        expires_in_days: None,
        subject_alt_names: sans,
        key: spki_algorithm(&info.subject_pki),
        signature_algorithm: Some(sig_alg_name(&req.signature_algorithm.algorithm)),
        self_signature_valid: Some(req.verify_signature().is_ok()),
        is_ca: None,
        extensions,
        sha256_fingerprint: sha256_fingerprint(der),
        public_key_sha256: sha256_fingerprint(info.subject_pki.raw),
    })
}

fn name_text(gn: &GeneralName<'_>) -> String {
    match general_name(gn) {
        Ok(n) => n.to_string(),
        Err(text) => text,
    }
}

fn hex_colon(b: &[u8]) -> String {
    b.iter()
        .map(|x| format!("{x:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

fn parsed_text(p: &ParsedExtension<'_>) -> String {
    match p {
        ParsedExtension::BasicConstraints(bc) => match (bc.ca, bc.path_len_constraint) {
            (true, Some(n)) => format!("CA:TRUE, pathlen:{n}"),
            (true, None) => "CA:TRUE".into(),
            (false, _) => "CA:FALSE".into(),
        },
        ParsedExtension::KeyUsage(ku) => {
            let mut v = Vec::new();
            let flags = [
                (ku.digital_signature(), "digitalSignature"),
                (ku.non_repudiation(), "nonRepudiation"),
                (ku.key_encipherment(), "keyEncipherment"),
                (ku.data_encipherment(), "dataEncipherment"),
                (ku.key_agreement(), "keyAgreement"),
                (ku.key_cert_sign(), "keyCertSign"),
                (ku.crl_sign(), "cRLSign"),
            ];
            for (on, name) in flags {
                if on {
                    v.push(name);
                }
            }
            v.join(", ")
        }
        ParsedExtension::ExtendedKeyUsage(eku) => {
            let mut v: Vec<String> = Vec::new();
            if eku.server_auth {
                v.push("serverAuth".into());
            }
            if eku.client_auth {
                v.push("clientAuth".into());
            }
            if eku.code_signing {
                v.push("codeSigning".into());
            }
            if eku.email_protection {
                v.push("emailProtection".into());
            }
            if eku.any {
                v.push("any".into());
            }
            v.extend(eku.other.iter().map(|o| o.to_id_string()));
            v.join(", ")
        }
        ParsedExtension::SubjectAlternativeName(san) => san
            .general_names
            .iter()
            .map(name_text)
            .collect::<Vec<_>>()
            .join(", "),
        ParsedExtension::SubjectKeyIdentifier(k) => hex_colon(k.0),
        ParsedExtension::AuthorityKeyIdentifier(aki) => aki
            .key_identifier
            .as_ref()
            .map(|k| format!("keyid:{}", hex_colon(k.0)))
            .unwrap_or_default(),
        ParsedExtension::NameConstraints(nc) => {
            let list = |v: &Option<Vec<x509_parser::extensions::GeneralSubtree<'_>>>| {
                v.as_ref()
                    .map(|s| {
                        s.iter()
                            .map(|t| match &t.base {
                                GeneralName::DNSName(d) => format!("DNS:{d}"),
                                GeneralName::IPAddress(b) => format!("IP:{}", ip_net(b)),
                                other => format!("{other:?}"),
                            })
                            .collect::<Vec<_>>()
                            .join(", ")
                    })
                    .unwrap_or_default()
            };
            let mut parts = Vec::new();
            let p = list(&nc.permitted_subtrees);
            if !p.is_empty() {
                parts.push(format!("permitted: {p}"));
            }
            let e = list(&nc.excluded_subtrees);
            if !e.is_empty() {
                parts.push(format!("excluded: {e}"));
            }
            parts.join("; ")
        }
        ParsedExtension::UnsupportedExtension { .. } => "(not decoded)".into(),
        ParsedExtension::ParseError { error } => format!("(unparseable: {error})"),
        other => format!("{other:?}"),
    }
}

fn ip_net(b: &[u8]) -> String {
    let half = b.len() / 2;
    let (addr, mask) = b.split_at(half);
    let prefix: u32 = mask.iter().map(|m| m.count_ones()).sum();
    let ip = match addr.len() {
        4 => {
            let mut a = [0u8; 4];
            a.copy_from_slice(addr);
            std::net::IpAddr::from(a).to_string()
        }
        16 => {
            let mut a = [0u8; 16];
            a.copy_from_slice(addr);
            std::net::IpAddr::from(a).to_string()
        }
        _ => hex_colon(b),
    };
    format!("{ip}/{prefix}")
}

fn extension_info(ext: &X509Extension<'_>) -> ExtensionInfo {
    let reg = x509_parser::oid_registry::OidRegistry::default().with_x509();
    ExtensionInfo {
        name: reg
            .get(&ext.oid)
            .map(|e| e.sn().to_string())
            .unwrap_or_else(|| ext.oid.to_id_string()),
        oid: ext.oid.to_id_string(),
        critical: ext.critical,
        value: parsed_text(ext.parsed_extension()),
    }
}

impl fmt::Display for Description {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.kind {
            Kind::Certificate => "certificate",
            Kind::CertificateRequest => "certificate signing request",
            Kind::PrivateKey => "private key",
            Kind::PublicKey => "public key",
        };
        writeln!(f, "{kind}")?;
        if let Some(s) = &self.subject {
            writeln!(f, "  subject:     {s}")?;
        }
        if let Some(s) = &self.issuer {
            writeln!(f, "  issuer:      {s}")?;
        }
        if let Some(s) = &self.serial {
            writeln!(f, "  serial:      {s}")?;
        }
        if let (Some(nb), Some(na), Some(days)) =
            (&self.not_before, &self.not_after, self.expires_in_days)
        {
            writeln!(f, "  not before:  {nb}")?;
            let when = if days >= 0 {
                format!("expires in {days} days")
            } else {
                format!("EXPIRED {} days ago", -days)
            };
            writeln!(f, "  not after:   {na} ({when})")?;
        }
        if !self.subject_alt_names.is_empty() {
            writeln!(f, "  names:       {}", self.subject_alt_names.join(", "))?;
        }
        writeln!(f, "  key:         {}", self.key)?;
        if let Some(s) = &self.signature_algorithm {
            writeln!(f, "  signature:   {s}")?;
        }
        if let Some(ok) = self.self_signature_valid {
            let v = if ok { "valid" } else { "INVALID" };
            writeln!(f, "  self-signature: {v}")?;
        }
        if !self.extensions.is_empty() {
            writeln!(f, "  extensions:")?;
            for e in &self.extensions {
                let crit = if e.critical { " (critical)" } else { "" };
                writeln!(f, "    {}{crit}: {}", e.name, e.value)?;
            }
        }
        match self.kind {
            Kind::Certificate | Kind::CertificateRequest => {
                writeln!(f, "  sha256:      {}", self.sha256_fingerprint)?;
                write!(f, "  public key sha256: {}", self.public_key_sha256)
            }
            _ => write!(f, "  public key sha256: {}", self.public_key_sha256),
        }
    }
}
