//! One parsed certificate with the fields path validation uses, and the checks that do not
//! depend on the certificate's place in a path (structure, profile, extensions).

use crate::error::VerifyError;
use crate::oid;
use crate::sig::{self, PublicKey, SigAlg};
use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::{GeneralName, NameConstraints, ParsedExtension};
use x509_parser::prelude::FromDer;
use x509_parser::x509::X509Name;

/// basicConstraints as found in the certificate.
#[derive(Clone, Copy, Debug, Default)]
pub struct Basic {
    pub present: bool,
    pub critical: bool,
    pub ca: bool,
    pub path_len: Option<u32>,
}

/// A parsed certificate. Everything borrows from the DER bytes.
pub struct Cert<'a> {
    pub x509: X509Certificate<'a>,
    pub basic: Basic,
    /// keyUsage flags (bit 0 = digitalSignature ... bit 5 = keyCertSign), if present.
    pub key_usage: Option<u16>,
    /// extendedKeyUsage OIDs (content bytes), if present.
    pub eku: Option<Vec<&'a [u8]>>,
    pub eku_any: bool,
    pub san: Option<Vec<GeneralName<'a>>>,
    pub san_critical: bool,
    pub name_constraints: Option<NameConstraints<'a>>,
    pub ski: Option<&'a [u8]>,
    pub aki_key_id: Option<&'a [u8]>,
    /// Problems found while parsing that make the certificate unusable in any role.
    pub defect: Option<VerifyError>,
    /// serialNumber problem (not applied to trust anchors: real roots have serial 0).
    pub serial_defect: Option<VerifyError>,
    /// extendedKeyUsage was marked critical.
    pub eku_critical: bool,
    /// A critical extension we do not process, as a dotted OID.
    pub unknown_critical: Option<String>,
    pub sig_alg: Result<SigAlg, VerifyError>,
}

impl<'a> Cert<'a> {
    /// Parses `der`. Fails only if the bytes are not a certificate at all; profile problems are
    /// recorded in `defect` so the report can say which check failed.
    pub fn parse(der: &'a [u8]) -> Result<Cert<'a>, VerifyError> {
        let (rest, x509) = X509Certificate::from_der(der)
            .map_err(|e| VerifyError::malformed(format!("not a DER X.509 certificate: {e}")))?;
        if !rest.is_empty() {
            return Err(VerifyError::malformed(format!(
                "{} trailing byte(s) after the certificate",
                rest.len()
            )));
        }
        crate::der::check_outer(der).map_err(VerifyError::malformed)?;
        let sig_alg = sig::cert_sig_alg(&x509.signature_algorithm);
        let mut cert = Cert {
            x509,
            basic: Basic::default(),
            key_usage: None,
            eku: None,
            eku_any: false,
            san: None,
            san_critical: false,
            name_constraints: None,
            ski: None,
            aki_key_id: None,
            defect: None,
            serial_defect: None,
            eku_critical: false,
            unknown_critical: None,
            sig_alg,
        };
        cert.defect = cert.scan().err();
        Ok(cert)
    }

    pub fn subject(&self) -> &X509Name<'a> {
        &self.x509.tbs_certificate.subject
    }

    pub fn subject_raw(&self) -> &'a [u8] {
        self.x509.tbs_certificate.subject.as_raw()
    }

    pub fn issuer_raw(&self) -> &'a [u8] {
        self.x509.tbs_certificate.issuer.as_raw()
    }

    pub fn spki_raw(&self) -> &'a [u8] {
        self.x509.tbs_certificate.subject_pki.raw
    }

    /// The TBSCertificate bytes: what the issuer signed.
    pub fn tbs_raw(&self) -> &[u8] {
        self.x509.tbs_certificate.as_ref()
    }

    pub fn subject_string(&self) -> String {
        name_to_string(self.subject())
    }

    pub fn issuer_string(&self) -> String {
        name_to_string(&self.x509.tbs_certificate.issuer)
    }

    /// Issuer and subject are the same name (RFC 5280 "self-issued").
    pub fn self_issued(&self) -> bool {
        self.subject_raw() == self.issuer_raw()
    }

    pub fn public_key(&self) -> Result<PublicKey<'_>, VerifyError> {
        sig::parse_spki(&self.x509.tbs_certificate.subject_pki)
    }

    pub fn has_key_cert_sign(&self) -> bool {
        self.key_usage.is_none_or(|ku| ku & (1 << 5) != 0)
    }

    /// Structural and profile checks (RFC 5280 §4.1 and §4.2) valid for any role.
    fn scan(&mut self) -> Result<(), VerifyError> {
        let tbs = &self.x509.tbs_certificate;
        if tbs.version.0 != 2 {
            return Err(VerifyError::malformed(format!(
                "version v{} (only v3 certificates are accepted)",
                tbs.version.0 + 1
            )));
        }
        self.serial_defect = check_serial(tbs.raw_serial()).err();
        if tbs.signature != self.x509.signature_algorithm {
            return Err(VerifyError::malformed(
                "signatureAlgorithm differs from the TBSCertificate signature field (RFC 5280 §4.1.1.2)",
            ));
        }
        if self.x509.signature_value.unused_bits != 0 {
            return Err(VerifyError::malformed(
                "signature BIT STRING has unused bits",
            ));
        }
        if tbs.issuer.as_raw().len() <= 2 || tbs.issuer.iter().next().is_none() {
            return Err(VerifyError::malformed("empty issuer name"));
        }
        if tbs.issuer_uid.is_some() || tbs.subject_uid.is_some() {
            return Err(VerifyError::malformed(
                "issuerUniqueID/subjectUniqueID are not allowed",
            ));
        }
        let mut seen: Vec<&[u8]> = Vec::with_capacity(tbs.extensions().len());
        let mut basic = Basic::default();
        let mut aki_critical = false;
        for ext in tbs.extensions() {
            let id = ext.oid.as_bytes();
            if seen.contains(&id) {
                return Err(VerifyError::malformed(format!(
                    "duplicate extension {}",
                    oid::display(id)
                )));
            }
            seen.push(id);
            match ext.parsed_extension() {
                ParsedExtension::ParseError { error } => {
                    return Err(VerifyError::malformed(format!(
                        "extension {}: {error}",
                        oid::display(id)
                    )));
                }
                ParsedExtension::BasicConstraints(bc) => {
                    basic = Basic {
                        present: true,
                        critical: ext.critical,
                        ca: bc.ca,
                        path_len: bc.path_len_constraint,
                    };
                }
                ParsedExtension::KeyUsage(ku) => {
                    if ku.flags == 0 {
                        return Err(VerifyError::malformed("keyUsage with no bit set"));
                    }
                    self.key_usage = Some(ku.flags);
                }
                ParsedExtension::ExtendedKeyUsage(eku) => {
                    let mut oids: Vec<&'a [u8]> = Vec::new();
                    if eku.server_auth {
                        oids.push(oid::EKU_SERVER_AUTH);
                    }
                    if eku.client_auth {
                        oids.push(oid::EKU_CLIENT_AUTH);
                    }
                    let known = eku.code_signing
                        || eku.email_protection
                        || eku.time_stamping
                        || eku.ocsp_signing;
                    if oids.is_empty() && !known && !eku.any && eku.other.is_empty() {
                        return Err(VerifyError::malformed("empty extendedKeyUsage"));
                    }
                    self.eku_any = eku.any;
                    self.eku_critical = ext.critical;
                    self.eku = Some(oids);
                }
                ParsedExtension::SubjectAlternativeName(san) => {
                    if san.general_names.is_empty() {
                        return Err(VerifyError::malformed("empty subjectAltName"));
                    }
                    for gn in &san.general_names {
                        if let GeneralName::Invalid(tag, _) = gn {
                            return Err(VerifyError::malformed(format!(
                                "subjectAltName entry [{}] is not valid",
                                tag.0
                            )));
                        }
                    }
                    self.san = Some(san.general_names.clone());
                    self.san_critical = ext.critical;
                }
                ParsedExtension::NameConstraints(nc) => {
                    if nc.permitted_subtrees.is_none() && nc.excluded_subtrees.is_none() {
                        return Err(VerifyError::malformed(
                            "nameConstraints with neither permitted nor excluded subtrees",
                        ));
                    }
                    self.name_constraints = Some(nc.clone());
                }
                ParsedExtension::SubjectKeyIdentifier(k) => {
                    if ext.critical {
                        return Err(VerifyError::profile(
                            "subjectKeyIdentifier must not be critical (RFC 5280 §4.2.1.2)",
                        ));
                    }
                    self.ski = Some(k.0);
                }
                ParsedExtension::AuthorityKeyIdentifier(aki) => {
                    aki_critical = ext.critical;
                    self.aki_key_id = aki.key_identifier.as_ref().map(|k| k.0);
                    if aki.key_identifier.is_none() {
                        return Err(VerifyError::profile(
                            "authorityKeyIdentifier without keyIdentifier (RFC 5280 §4.2.1.1)",
                        ));
                    }
                    if aki.authority_cert_issuer.is_some() || aki.authority_cert_serial.is_some() {
                        // Matching issuer by name+serial is not something we do; a key id is enough.
                        if self.x509.tbs_certificate.subject.as_raw()
                            == self.x509.tbs_certificate.issuer.as_raw()
                        {
                            return Err(VerifyError::profile(
                                "self-issued certificate with authorityCertIssuer/SerialNumber in its AKI",
                            ));
                        }
                    }
                }
                ParsedExtension::AuthorityInfoAccess(_) if ext.critical => {
                    return Err(VerifyError::profile(
                        "authorityInfoAccess must not be critical (RFC 5280 §4.2.2.1)",
                    ));
                }
                ParsedExtension::PolicyConstraints(_) if !ext.critical => {
                    return Err(VerifyError::profile(
                        "policyConstraints must be critical (RFC 5280 §4.2.1.11)",
                    ));
                }
                _ => {}
            }
            if ext.critical && self.unknown_critical.is_none() && !is_processed(id) {
                self.unknown_critical = Some(oid::display(id));
            }
        }
        if aki_critical {
            return Err(VerifyError::profile(
                "authorityKeyIdentifier must not be critical (RFC 5280 §4.2.1.1)",
            ));
        }
        if basic.path_len.is_some() && !basic.ca {
            return Err(VerifyError::malformed(
                "pathLenConstraint without cA (RFC 5280 §4.2.1.9)",
            ));
        }
        if self.key_usage.is_some_and(|ku| ku & (1 << 5) != 0) && !basic.ca {
            return Err(VerifyError::profile(
                "keyUsage keyCertSign without basicConstraints cA (RFC 5280 §4.2.1.3)",
            ));
        }
        let empty_subject = self.x509.tbs_certificate.subject.iter().next().is_none();
        if empty_subject {
            if basic.ca {
                return Err(VerifyError::profile(
                    "CA certificate with an empty subject (RFC 5280 §4.1.2.6)",
                ));
            }
            if !self.san_critical {
                return Err(VerifyError::profile(
                    "empty subject requires a critical subjectAltName (RFC 5280 §4.2.1.6)",
                ));
            }
        } else if self.san_critical {
            return Err(VerifyError::profile(
                "subjectAltName is critical although the subject is not empty (RFC 5280 §4.2.1.6)",
            ));
        }
        self.basic = basic;
        Ok(())
    }
}

/// Extensions whose criticality we honour because we process them.
fn is_processed(id: &[u8]) -> bool {
    [
        oid::EXT_BASIC_CONSTRAINTS,
        oid::EXT_KEY_USAGE,
        oid::EXT_EXTENDED_KEY_USAGE,
        oid::EXT_SUBJECT_ALT_NAME,
        oid::EXT_NAME_CONSTRAINTS,
    ]
    .contains(&id)
}

/// serialNumber: a positive INTEGER of at most 20 octets (RFC 5280 §4.1.2.2), in minimal DER.
fn check_serial(raw: &[u8]) -> Result<(), VerifyError> {
    let Some((&first, rest)) = raw.split_first() else {
        return Err(VerifyError::malformed("empty serial number"));
    };
    if first & 0x80 != 0 {
        return Err(VerifyError::malformed("negative serial number"));
    }
    if first == 0 && rest.first().is_some_and(|b| b & 0x80 == 0) {
        return Err(VerifyError::malformed(
            "serial number is not minimally encoded",
        ));
    }
    if raw.iter().all(|&b| b == 0) {
        return Err(VerifyError::malformed("serial number is zero"));
    }
    let significant = if first == 0 { rest.len() } else { raw.len() };
    if significant > 20 {
        return Err(VerifyError::malformed(format!(
            "serial number of {significant} octets (max 20)"
        )));
    }
    Ok(())
}

/// A readable distinguished name ("CN=example, O=Org"); falls back to hex if not printable.
pub fn name_to_string(name: &X509Name<'_>) -> String {
    match x509_parser::x509::X509Name::to_string_with_registry(
        name,
        x509_parser::objects::oid_registry(),
    ) {
        Ok(s) if !s.is_empty() => s,
        Ok(_) => "(empty name)".into(),
        Err(_) => format!("(name {})", hex::encode(name.as_raw())),
    }
}
