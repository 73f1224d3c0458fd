//! One parsed certificate with the fields path validation uses, and the checks that do not
//! depend on the certificate's place in a path (structure, profile, extensions).

use crate::error::VerifyError;
use crate::ext;
use crate::oid;
use crate::sig::{self, PublicKey, SigAlg};
use crate::tbs::{self, Tbs};
use https_pkix::Purpose;
use std::borrow::Cow;
use x509_parser::extensions::{
    AuthorityKeyIdentifier, ExtendedKeyUsage, GeneralName, NameConstraints, ParsedExtension,
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

/// A parsed certificate. Everything borrows from the DER bytes; only the SAN list and the name
/// constraints (when present) are collected into vectors.
pub struct Cert<'a> {
    pub tbs: Tbs<'a>,
    pub basic: Basic,
    /// keyUsage flags (bit 0 = digitalSignature ... bit 5 = keyCertSign), if present.
    pub key_usage: Option<u16>,
    /// extendedKeyUsage, if present.
    pub eku: Option<Eku>,
    pub(crate) san: Vec<GeneralName<'a>>,
    // The cold parts are boxed: a `Cert` is moved a few times per validation.
    pub(crate) nc: Option<Box<NameConstraints<'a>>>,
    pub ski: Option<&'a [u8]>,
    pub aki_key_id: Option<&'a [u8]>,
    /// Problems found while parsing that make the certificate unusable in any role.
    pub defect: Option<Box<VerifyError>>,
    /// serialNumber problem (not applied to trust anchors: real roots have serial 0).
    pub serial_defect: Option<Box<VerifyError>>,
    /// A critical extension we do not process, as a dotted OID.
    pub unknown_critical: Option<String>,
    pub sig_alg: Result<SigAlg, Box<VerifyError>>,
}

impl<'a> Cert<'a> {
    /// Parses `der`. Fails only if the bytes are not a certificate at all; profile problems are
    /// recorded in `defect` so the report can say which check failed.
    pub fn parse(der: &'a [u8]) -> Result<Cert<'a>, VerifyError> {
        let tbs = tbs::parse(der).map_err(VerifyError::malformed)?;
        let sig_alg = sig::cert_sig_alg(&tbs.sig_alg).map_err(Box::new);
        let mut f = Facts::default();
        let defect = f.scan(&tbs).err();
        if let (true, Some(e)) = (f.bad_envelope, &defect) {
            return Err(e.clone());
        }
        let defect = defect.map(Box::new);
        Ok(Cert {
            tbs,
            basic: f.basic,
            key_usage: f.key_usage,
            eku: f.eku,
            san: f.san,
            nc: f.nc.map(Box::new),
            ski: f.ski,
            aki_key_id: f.aki_key_id,
            defect,
            serial_defect: f.serial_defect.map(Box::new),
            unknown_critical: f.unknown_critical,
            sig_alg,
        })
    }

    pub fn subject_raw(&self) -> &'a [u8] {
        self.tbs.subject
    }

    pub fn issuer_raw(&self) -> &'a [u8] {
        self.tbs.issuer
    }

    pub fn spki_raw(&self) -> &'a [u8] {
        self.tbs.spki_raw
    }

    /// The TBSCertificate bytes: what the issuer signed.
    pub fn tbs_raw(&self) -> &'a [u8] {
        self.tbs.raw
    }

    /// The signature bytes (the BIT STRING without its unused-bits octet).
    pub fn signature(&self) -> &'a [u8] {
        self.tbs.signature
    }

    pub fn serial(&self) -> &'a [u8] {
        self.tbs.serial
    }

    /// The serial number as x509-parser shows it (`01:ab:...`), for messages.
    pub fn serial_string(&self) -> String {
        let hex: Vec<String> = self.tbs.serial.iter().map(|b| format!("{b:02x}")).collect();
        hex.join(":")
    }

    /// The subject Name parsed (only for name constraints on directory names and messages).
    pub fn subject_name(&self) -> Option<X509Name<'a>> {
        match X509Name::from_der(self.tbs.subject) {
            Ok(([], n)) => Some(n),
            _ => None,
        }
    }

    /// The subject's commonName values as text (lossy for types that are not text), in order.
    pub fn common_names(&self) -> impl Iterator<Item = Cow<'a, str>> + 'a {
        const CN: &[u8] = &[0x55, 0x04, 0x03];
        // `tbs::parse` has checked the Name, so the walk succeeds.
        let cns = tbs::attributes(self.tbs.subject, CN).into_iter().flatten();
        cns.map(|(tag, data)| {
            // NumericString, PrintableString, UTF8String, IA5String: text, as x509-parser's as_str.
            match (tag, std::str::from_utf8(data)) {
                (0x12 | 0x13 | 0x0c | 0x16, Ok(s)) => Cow::Borrowed(s),
                _ => String::from_utf8_lossy(data),
            }
        })
    }

    pub fn subject_string(&self) -> String {
        raw_name_to_string(self.tbs.subject)
    }

    pub fn issuer_string(&self) -> String {
        raw_name_to_string(self.tbs.issuer)
    }

    /// Issuer and subject are the same name (RFC 5280 "self-issued").
    pub fn self_issued(&self) -> bool {
        self.subject_raw() == self.issuer_raw()
    }

    pub fn public_key(&self) -> Result<PublicKey<'a>, VerifyError> {
        let s = self.tbs.spki;
        sig::spki_key(s.alg, s.unused_bits, s.key)
    }

    pub fn has_key_cert_sign(&self) -> bool {
        self.key_usage.is_none_or(|ku| ku & (1 << 5) != 0)
    }

    /// The subjectAltName entries (empty without the extension).
    pub fn san(&self) -> &[GeneralName<'a>] {
        &self.san
    }

    pub fn name_constraints(&self) -> Option<&NameConstraints<'a>> {
        self.nc.as_deref()
    }
}

fn name_is_empty(raw: &[u8]) -> bool {
    crate::der::read(raw).is_none_or(|(t, _)| t.contents.is_empty())
}

/// What [`Facts::scan`] learns from the extensions, before it goes into a [`Cert`].
#[derive(Default)]
struct Facts<'a> {
    basic: Basic,
    key_usage: Option<u16>,
    eku: Option<Eku>,
    san: Vec<GeneralName<'a>>,
    san_critical: bool,
    nc: Option<NameConstraints<'a>>,
    ski: Option<&'a [u8]>,
    aki_key_id: Option<&'a [u8]>,
    serial_defect: Option<VerifyError>,
    unknown_critical: Option<String>,
    /// An Extension that is not `SEQUENCE { OID, BOOLEAN, OCTET STRING }`: not a certificate.
    bad_envelope: bool,
}

impl<'a> Facts<'a> {
    /// Structural and profile checks (RFC 5280 §4.1 and §4.2) valid for any role.
    fn scan(&mut self, tbs: &Tbs<'a>) -> Result<(), VerifyError> {
        self.check_tbs_fields(tbs)?;
        let mut aki_critical = false;
        let self_issued = tbs.subject == tbs.issuer;
        // Duplicates: the OIDs seen so far (a stack array; certificates carry about ten).
        let mut seen: [&[u8]; 16] = [&[]; 16];
        for (i, ext) in tbs::extensions(tbs.extensions).enumerate() {
            let Ok(ext) = ext else {
                self.bad_envelope = true;
                return Err(VerifyError::malformed(
                    "not a DER X.509 certificate: bad extension",
                ));
            };
            let duplicate = match seen.get(..i) {
                Some(earlier) => earlier.contains(&ext.oid),
                None => tbs::extensions(tbs.extensions)
                    .take(i)
                    .any(|e| e.is_ok_and(|e| e.oid == ext.oid)),
            };
            if duplicate {
                return Err(VerifyError::malformed(format!(
                    "duplicate extension {}",
                    oid::display(ext.oid)
                )));
            }
            if let Some(slot) = seen.get_mut(i) {
                *slot = ext.oid;
            }
            let parsed = ext::parse(&ext)?;
            aki_critical |= self.take_extension(&ext, parsed, self_issued)?;
            if ext.critical && self.unknown_critical.is_none() && !is_processed(ext.oid) {
                self.unknown_critical = Some(oid::display(ext.oid));
            }
        }
        if aki_critical {
            return Err(VerifyError::profile(
                "authorityKeyIdentifier must not be critical (RFC 5280 §4.2.1.1)",
            ));
        }
        self.check_consistency(tbs)
    }

    /// The TBSCertificate fields outside the extensions.
    fn check_tbs_fields(&mut self, tbs: &Tbs<'a>) -> Result<(), VerifyError> {
        if tbs.version != 2 {
            return Err(VerifyError::malformed(format!(
                "version v{} (only v3 certificates are accepted)",
                tbs.version + 1
            )));
        }
        self.serial_defect = check_serial(tbs.serial).err();
        if tbs.sig_unused_bits != 0 {
            return Err(VerifyError::malformed(
                "signature BIT STRING has unused bits",
            ));
        }
        if name_is_empty(tbs.issuer) {
            return Err(VerifyError::malformed("empty issuer name"));
        }
        if tbs.unique_ids {
            return Err(VerifyError::malformed(
                "issuerUniqueID/subjectUniqueID are not allowed",
            ));
        }
        Ok(())
    }

    /// Records one extension; returns whether it is a critical authorityKeyIdentifier.
    fn take_extension(
        &mut self,
        ext: &tbs::Ext<'a>,
        parsed: ParsedExtension<'a>,
        self_issued: bool,
    ) -> Result<bool, VerifyError> {
        match parsed {
            ParsedExtension::ParseError { error } => {
                return Err(VerifyError::malformed(format!(
                    "extension {}: {error}",
                    oid::display(ext.oid)
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
            ParsedExtension::ExtendedKeyUsage(eku) => {
                self.eku = Some(read_eku(&eku, ext.critical)?)
            }
            ParsedExtension::SubjectAlternativeName(san) => {
                check_san(&san.general_names)?;
                self.san = san.general_names;
                self.san_critical = ext.critical;
            }
            ParsedExtension::NameConstraints(nc) => {
                if nc.permitted_subtrees.is_none() && nc.excluded_subtrees.is_none() {
                    return Err(VerifyError::malformed(
                        "nameConstraints with neither permitted nor excluded subtrees",
                    ));
                }
                self.nc = Some(nc);
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
                check_aki(&aki, self_issued)?;
                return Ok(ext.critical);
            }
            other => check_criticality(&other, ext.critical)?,
        }
        Ok(false)
    }

    /// Rules between extensions and the subject (RFC 5280 §4.1.2.6, §4.2.1.3, §4.2.1.6, §4.2.1.9).
    fn check_consistency(&self, tbs: &Tbs<'_>) -> Result<(), VerifyError> {
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
        if name_is_empty(tbs.subject) {
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

fn read_eku(eku: &ExtendedKeyUsage<'_>, critical: bool) -> Result<Eku, VerifyError> {
    let known = eku.code_signing || eku.email_protection || eku.time_stamping || eku.ocsp_signing;
    if !eku.server_auth && !eku.client_auth && !known && !eku.any && eku.other.is_empty() {
        return Err(VerifyError::malformed("empty extendedKeyUsage"));
    }
    Ok(Eku {
        server_auth: eku.server_auth,
        client_auth: eku.client_auth,
        any: eku.any,
        critical,
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
    const PROCESSED: [&[u8]; 5] = [
        oid::EXT_BASIC_CONSTRAINTS,
        oid::EXT_KEY_USAGE,
        oid::EXT_EXTENDED_KEY_USAGE,
        oid::EXT_SUBJECT_ALT_NAME,
        oid::EXT_NAME_CONSTRAINTS,
    ];
    // All are id-ce (2.5.29.x): compare the last arc only.
    matches!(id, [0x55, 0x1d, last] if PROCESSED.iter().any(|o| o.get(2) == Some(last)))
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

/// A readable form of an encoded Name (hex if it does not parse).
pub fn raw_name_to_string(raw: &[u8]) -> String {
    match X509Name::from_der(raw) {
        Ok((_, name)) => name_to_string(&name),
        Err(_) => format!("(name {})", hex::encode(raw)),
    }
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
