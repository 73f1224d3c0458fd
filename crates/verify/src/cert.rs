//! One parsed certificate with the fields path validation uses, and the checks that do not
//! depend on the certificate's place in a path (structure, profile, extensions).

use crate::error::VerifyError;
use crate::oid;
use crate::sig::{self, PublicKey, SigAlg};
use https_pkix::Purpose;
use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::{
    AuthorityKeyIdentifier, ExtendedKeyUsage, GeneralName, NameConstraints, ParsedExtension,
    X509Extension,
};
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

/// extendedKeyUsage, reduced to what path validation asks of it.
#[derive(Clone, Copy, Debug, Default)]
pub struct Eku {
    pub server_auth: bool,
    pub client_auth: bool,
    pub any: bool,
    pub critical: bool,
}

impl Eku {
    pub fn allows(&self, purpose: Purpose) -> bool {
        match purpose {
            Purpose::Server => self.server_auth,
            Purpose::Client => self.client_auth,
        }
    }
}

/// A parsed certificate. Everything borrows from the DER bytes; the SAN and name constraints
/// are read in place from x509-parser's extension list (no copies).
pub struct Cert<'a> {
    pub x509: X509Certificate<'a>,
    pub basic: Basic,
    /// keyUsage flags (bit 0 = digitalSignature ... bit 5 = keyCertSign), if present.
    pub key_usage: Option<u16>,
    /// extendedKeyUsage, if present.
    pub eku: Option<Eku>,
    /// Index of the subjectAltName extension.
    san_ext: Option<usize>,
    /// Index of the nameConstraints extension.
    nc_ext: Option<usize>,
    pub ski: Option<&'a [u8]>,
    pub aki_key_id: Option<&'a [u8]>,
    /// Problems found while parsing that make the certificate unusable in any role.
    pub defect: Option<VerifyError>,
    /// serialNumber problem (not applied to trust anchors: real roots have serial 0).
    pub serial_defect: Option<VerifyError>,
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
        let mut f = Facts::default();
        let defect = f.scan(&x509).err();
        Ok(Cert {
            x509,
            basic: f.basic,
            key_usage: f.key_usage,
            eku: f.eku,
            san_ext: f.san_ext,
            nc_ext: f.nc_ext,
            ski: f.ski,
            aki_key_id: f.aki_key_id,
            defect,
            serial_defect: f.serial_defect,
            unknown_critical: f.unknown_critical,
            sig_alg,
        })
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

    fn parsed(&self, index: Option<usize>) -> Option<&ParsedExtension<'a>> {
        index
            .and_then(|i| self.x509.tbs_certificate.extensions().get(i))
            .map(|e| e.parsed_extension())
    }

    /// The subjectAltName entries (empty without the extension).
    pub fn san(&self) -> &[GeneralName<'a>] {
        match self.parsed(self.san_ext) {
            Some(ParsedExtension::SubjectAlternativeName(san)) => &san.general_names,
            _ => &[],
        }
    }

    pub fn name_constraints(&self) -> Option<&NameConstraints<'a>> {
        match self.parsed(self.nc_ext) {
            Some(ParsedExtension::NameConstraints(nc)) => Some(nc),
            _ => None,
        }
    }
}

/// What [`Facts::scan`] learns from the extensions, before it goes into a [`Cert`].
#[derive(Default)]
struct Facts<'a> {
    basic: Basic,
    key_usage: Option<u16>,
    eku: Option<Eku>,
    san_ext: Option<usize>,
    san_critical: bool,
    nc_ext: Option<usize>,
    ski: Option<&'a [u8]>,
    aki_key_id: Option<&'a [u8]>,
    serial_defect: Option<VerifyError>,
    unknown_critical: Option<String>,
}

impl<'a> Facts<'a> {
    /// Structural and profile checks (RFC 5280 §4.1 and §4.2) valid for any role.
    fn scan(&mut self, x509: &X509Certificate<'a>) -> Result<(), VerifyError> {
        self.check_tbs_fields(x509)?;
        let mut aki_critical = false;
        let self_issued =
            x509.tbs_certificate.subject.as_raw() == x509.tbs_certificate.issuer.as_raw();
        let extensions = x509.tbs_certificate.extensions();
        for (i, ext) in extensions.iter().enumerate() {
            let id = ext.oid.as_bytes();
            if extensions[..i].iter().any(|e| e.oid == ext.oid) {
                return Err(VerifyError::malformed(format!(
                    "duplicate extension {}",
                    oid::display(id)
                )));
            }
            aki_critical |= self.take_extension(i, ext, self_issued)?;
            if ext.critical && self.unknown_critical.is_none() && !is_processed(id) {
                self.unknown_critical = Some(oid::display(id));
            }
        }
        if aki_critical {
            return Err(VerifyError::profile(
                "authorityKeyIdentifier must not be critical (RFC 5280 §4.2.1.1)",
            ));
        }
        self.check_consistency(x509)
    }

    /// The TBSCertificate fields outside the extensions.
    fn check_tbs_fields(&mut self, x509: &X509Certificate<'a>) -> Result<(), VerifyError> {
        let tbs = &x509.tbs_certificate;
        if tbs.version.0 != 2 {
            return Err(VerifyError::malformed(format!(
                "version v{} (only v3 certificates are accepted)",
                tbs.version.0 + 1
            )));
        }
        self.serial_defect = check_serial(tbs.raw_serial()).err();
        if tbs.signature != x509.signature_algorithm {
            return Err(VerifyError::malformed(
                "signatureAlgorithm differs from the TBSCertificate signature field (RFC 5280 §4.1.1.2)",
            ));
        }
        if x509.signature_value.unused_bits != 0 {
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
        Ok(())
    }

    /// Records extension `index`; returns whether it is a critical authorityKeyIdentifier.
    fn take_extension(
        &mut self,
        index: usize,
        ext: &X509Extension<'a>,
        self_issued: bool,
    ) -> Result<bool, VerifyError> {
        let id = ext.oid.as_bytes();
        match ext.parsed_extension() {
            ParsedExtension::ParseError { error } => {
                return Err(VerifyError::malformed(format!(
                    "extension {}: {error}",
                    oid::display(id)
                )));
            }
            ParsedExtension::BasicConstraints(bc) => {
                self.basic = Basic {
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
            ParsedExtension::ExtendedKeyUsage(eku) => self.eku = Some(read_eku(eku, ext)?),
            ParsedExtension::SubjectAlternativeName(san) => {
                check_san(&san.general_names)?;
                self.san_ext = Some(index);
                self.san_critical = ext.critical;
            }
            ParsedExtension::NameConstraints(nc) => {
                if nc.permitted_subtrees.is_none() && nc.excluded_subtrees.is_none() {
                    return Err(VerifyError::malformed(
                        "nameConstraints with neither permitted nor excluded subtrees",
                    ));
                }
                self.nc_ext = Some(index);
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
                self.aki_key_id = aki.key_identifier.as_ref().map(|k| k.0);
                check_aki(aki, self_issued)?;
                return Ok(ext.critical);
            }
            other => check_criticality(other, ext.critical)?,
        }
        Ok(false)
    }

    /// Rules between extensions and the subject (RFC 5280 §4.1.2.6, §4.2.1.3, §4.2.1.6, §4.2.1.9).
    fn check_consistency(&self, x509: &X509Certificate<'_>) -> Result<(), VerifyError> {
        let basic = self.basic;
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
        let empty_subject = x509.tbs_certificate.subject.iter().next().is_none();
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
        Ok(())
    }
}

fn read_eku(eku: &ExtendedKeyUsage<'_>, ext: &X509Extension<'_>) -> Result<Eku, VerifyError> {
    let known = eku.code_signing || eku.email_protection || eku.time_stamping || eku.ocsp_signing;
    if !eku.server_auth && !eku.client_auth && !known && !eku.any && eku.other.is_empty() {
        return Err(VerifyError::malformed("empty extendedKeyUsage"));
    }
    Ok(Eku {
        server_auth: eku.server_auth,
        client_auth: eku.client_auth,
        any: eku.any,
        critical: ext.critical,
    })
}

fn check_san(names: &[GeneralName<'_>]) -> Result<(), VerifyError> {
    if names.is_empty() {
        return Err(VerifyError::malformed("empty subjectAltName"));
    }
    for gn in names {
        if let GeneralName::Invalid(tag, _) = gn {
            return Err(VerifyError::malformed(format!(
                "subjectAltName entry [{}] is not valid",
                tag.0
            )));
        }
    }
    Ok(())
}

fn check_aki(aki: &AuthorityKeyIdentifier<'_>, self_issued: bool) -> Result<(), VerifyError> {
    if aki.key_identifier.is_none() {
        return Err(VerifyError::profile(
            "authorityKeyIdentifier without keyIdentifier (RFC 5280 §4.2.1.1)",
        ));
    }
    // Matching issuer by name+serial is not something we do; a key id is enough.
    if (aki.authority_cert_issuer.is_some() || aki.authority_cert_serial.is_some()) && self_issued {
        return Err(VerifyError::profile(
            "self-issued certificate with authorityCertIssuer/SerialNumber in its AKI",
        ));
    }
    Ok(())
}

/// Extensions we do not act on but whose criticality RFC 5280 fixes.
fn check_criticality(ext: &ParsedExtension<'_>, critical: bool) -> Result<(), VerifyError> {
    match ext {
        ParsedExtension::AuthorityInfoAccess(_) if critical => Err(VerifyError::profile(
            "authorityInfoAccess must not be critical (RFC 5280 §4.2.2.1)",
        )),
        ParsedExtension::PolicyConstraints(_) if !critical => Err(VerifyError::profile(
            "policyConstraints must be critical (RFC 5280 §4.2.1.11)",
        )),
        _ => Ok(()),
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
