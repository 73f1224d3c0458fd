//! Path building and validation (RFC 5280 §6, with webpki-style profile choices).
//!
//! The search goes from the end entity upward: for the current certificate it looks for issuers
//! (trust anchors first, then the given intermediates) whose subject equals its issuer, checks
//! each candidate (dates, CA flag, key usage, EKU, key identifiers, signature, path length, name
//! constraints) and recurses; when a candidate fails it tries the next one. Signature results are
//! memoised and the work is bounded, so hostile pools (cycles, 100 look-alike CAs) end quickly.

use crate::anchors::TrustAnchors;
use crate::cert::Cert;
use crate::error::VerifyError;
use crate::name::{self, ServerName};
use crate::oid;
use crate::report::{Check, ErrorInfo, Outcome, PathEntry, Report, SignatureDetail, Step};
use crate::sig;
use std::collections::HashMap;
use x509_parser::extensions::{GeneralName, GeneralSubtree, NameConstraints};
use x509_parser::prelude::FromDer;
use x509_parser::revocation_list::CertificateRevocationList;

/// What the end-entity certificate will be used for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Purpose {
    /// A TLS server certificate (checked by a client): EKU serverAuth.
    #[default]
    Server,
    /// A TLS client certificate (checked by a server): EKU clientAuth.
    Client,
}

impl Purpose {
    pub fn name(self) -> &'static str {
        match self {
            Purpose::Server => "serverAuth",
            Purpose::Client => "clientAuth",
        }
    }

    fn eku(self) -> &'static [u8] {
        match self {
            Purpose::Server => oid::EKU_SERVER_AUTH,
            Purpose::Client => oid::EKU_CLIENT_AUTH,
        }
    }
}

/// Hard limit on certificates in a path (end entity and anchor included), whatever the caller asks.
pub const MAX_PATH_LEN: usize = 10;
/// Signature verifications per validation (as rustls-webpki).
const SIGNATURE_BUDGET: usize = 100;
/// Candidate issuers examined per validation.
const CANDIDATE_BUDGET: usize = 5_000;
/// Name-constraint comparisons per validation (as rustls-webpki).
const NC_BUDGET: usize = 250_000;

/// What to verify.
#[derive(Clone, Copy, Debug)]
pub struct Request<'a> {
    /// The end-entity certificate, DER.
    pub end_entity: &'a [u8],
    /// Candidate intermediates, DER, in any order (e.g. the rest of a TLS Certificate message).
    pub intermediates: &'a [&'a [u8]],
    pub anchors: &'a TrustAnchors,
    /// Validation time, seconds since the Unix epoch.
    pub time: i64,
    /// The expected peer name; `None` skips the name check.
    pub name: Option<&'a ServerName>,
    pub purpose: Purpose,
    /// Maximum number of intermediate CAs (self-issued ones not counted); `None` = no extra limit
    /// beyond [`MAX_PATH_LEN`].
    pub max_depth: Option<usize>,
    /// keyUsage bits the end entity must have if it has a keyUsage extension
    /// (bit 0 = digitalSignature); 0 = no requirement.
    pub required_key_usage: u16,
    /// Certificate revocation lists (DER). A certificate on the path whose issuer published one
    /// of them is checked against it; a CRL that names the issuer but cannot be trusted (bad
    /// signature, issuer without cRLSign, no CRL number, unknown critical extension, issued in
    /// the future) fails the path. Empty: no revocation checking.
    pub crls: &'a [&'a [u8]],
}

impl<'a> Request<'a> {
    /// A request for a server certificate at `time` with no intermediates and no name check.
    pub fn new(end_entity: &'a [u8], anchors: &'a TrustAnchors, time: i64) -> Self {
        Request {
            end_entity,
            intermediates: &[],
            anchors,
            time,
            name: None,
            purpose: Purpose::Server,
            max_depth: None,
            required_key_usage: 0,
            crls: &[],
        }
    }

    pub fn intermediates(mut self, intermediates: &'a [&'a [u8]]) -> Self {
        self.intermediates = intermediates;
        self
    }

    pub fn name(mut self, name: &'a ServerName) -> Self {
        self.name = Some(name);
        self
    }

    pub fn purpose(mut self, purpose: Purpose) -> Self {
        self.purpose = purpose;
        self
    }

    pub fn crls(mut self, crls: &'a [&'a [u8]]) -> Self {
        self.crls = crls;
        self
    }

    pub fn max_depth(mut self, max: usize) -> Self {
        self.max_depth = Some(max);
        self
    }
}

/// The current time as Unix seconds (for [`Request::time`]).
pub fn unix_now() -> i64 {
    match std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(_) => 0,
    }
}

/// A validated path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedPath {
    /// Indices into [`Request::intermediates`], from the end entity's issuer upward.
    pub intermediates: Vec<usize>,
    /// Index of the trust anchor in the [`TrustAnchors`] set.
    pub anchor: usize,
}

/// Verifies the request; fast path without an explanation.
pub fn verify_chain(req: &Request<'_>) -> Result<VerifiedPath, VerifyError> {
    run(req, false).1
}

/// Verifies the request and explains every step.
pub fn verify_with_report(req: &Request<'_>) -> (Report, Result<VerifiedPath, VerifyError>) {
    run(req, true)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Node {
    Ee,
    Inter(usize),
    /// Index into `Store::anchors` (not the anchor set).
    Anchor(usize),
}

struct Store<'r> {
    ee: Cert<'r>,
    inters: Vec<Option<Cert<'r>>>,
    /// (index in the anchor set, parsed certificate) for anchors that may issue something here.
    anchors: Vec<(usize, Cert<'r>)>,
    crls: Vec<CertificateRevocationList<'r>>,
}

impl<'r> Store<'r> {
    fn cert(&self, n: Node) -> &Cert<'r> {
        match n {
            Node::Ee => &self.ee,
            Node::Inter(i) => self.inters[i].as_ref().unwrap_or(&self.ee),
            Node::Anchor(k) => &self.anchors[k].1,
        }
    }

    fn label(&self, n: Node) -> String {
        match n {
            Node::Ee => "end-entity".into(),
            Node::Inter(i) => format!("intermediate[{i}]"),
            Node::Anchor(k) => format!("anchor[{}]", self.anchors[k].0),
        }
    }
}

struct Search<'s, 'r> {
    req: &'s Request<'r>,
    store: &'s Store<'r>,
    recording: bool,
    steps: Vec<Step>,
    sig_memo: HashMap<(Node, Node), Result<(), VerifyError>>,
    ca_memo: HashMap<Node, Result<(), VerifyError>>,
    signatures: usize,
    candidates: usize,
    nc_comparisons: usize,
}

macro_rules! rec {
    ($s:expr, $check:expr, $node:expr, $outcome:expr, $($fmt:tt)+) => {
        if $s.recording {
            let step = $s.make_step($check, $node, $outcome, format!($($fmt)+), None);
            $s.steps.push(step);
        }
    };
}

fn fmt_time(t: i64) -> String {
    match time::OffsetDateTime::from_unix_timestamp(t) {
        Ok(dt) => dt
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_else(|_| t.to_string()),
        Err(_) => format!("unix {t}"),
    }
}

fn run(req: &Request<'_>, recording: bool) -> (Report, Result<VerifiedPath, VerifyError>) {
    let mut report = Report {
        valid: false,
        time: fmt_time(req.time),
        name: req.name.map(|n| n.to_string()),
        purpose: req.purpose.name().into(),
        ..Report::default()
    };
    let result = run_inner(req, recording, &mut report);
    if let Err(e) = &result {
        report.error = Some(ErrorInfo {
            kind: e.kind().into(),
            message: e.to_string(),
            alert: e.alert().name().into(),
        });
    }
    report.valid = result.is_ok();
    (report, result)
}

fn run_inner(
    req: &Request<'_>,
    recording: bool,
    report: &mut Report,
) -> Result<VerifiedPath, VerifyError> {
    let ee = match Cert::parse(req.end_entity) {
        Ok(c) => c,
        Err(e) => {
            report.steps.push(Step {
                check: Check::Parse,
                cert: "end-entity".into(),
                subject: String::new(),
                outcome: Outcome::Fail,
                detail: e.to_string(),
                signature: None,
            });
            return Err(e);
        }
    };
    let mut parse_notes = Vec::new();
    let inters: Vec<Option<Cert<'_>>> = req
        .intermediates
        .iter()
        .enumerate()
        .map(|(i, der)| match Cert::parse(der) {
            Ok(c) => Some(c),
            Err(e) => {
                // A broken extra certificate only matters if nothing else works.
                parse_notes.push((i, e));
                None
            }
        })
        .collect();
    // Anchors that could issue the end entity or one of the intermediates.
    let mut anchor_ids: Vec<usize> = Vec::new();
    for issuer in
        std::iter::once(ee.issuer_raw()).chain(inters.iter().flatten().map(|c| c.issuer_raw()))
    {
        for &a in req.anchors.with_subject(issuer) {
            if !anchor_ids.contains(&a) {
                anchor_ids.push(a);
            }
        }
    }
    let anchors = anchor_ids
        .into_iter()
        .filter_map(|a| {
            req.anchors
                .der(a)
                .and_then(|der| Cert::parse(der).ok())
                .map(|c| (a, c))
        })
        .collect();
    let mut crls = Vec::with_capacity(req.crls.len());
    for (i, der) in req.crls.iter().enumerate() {
        match CertificateRevocationList::from_der(der) {
            Ok(([], crl)) => crls.push(crl),
            _ => {
                let e = VerifyError::malformed(format!(
                    "CRL #{i} is not a DER CertificateRevocationList"
                ));
                report.steps.push(Step {
                    check: Check::Revocation,
                    cert: format!("crl[{i}]"),
                    subject: String::new(),
                    outcome: Outcome::Fail,
                    detail: e.to_string(),
                    signature: None,
                });
                return Err(e);
            }
        }
    }
    let store = Store {
        ee,
        inters,
        anchors,
        crls,
    };
    let mut s = Search {
        req,
        store: &store,
        recording,
        steps: Vec::new(),
        sig_memo: HashMap::new(),
        ca_memo: HashMap::new(),
        signatures: 0,
        candidates: 0,
        nc_comparisons: 0,
    };
    if recording {
        for (i, e) in &parse_notes {
            s.steps.push(Step {
                check: Check::Parse,
                cert: format!("intermediate[{i}]"),
                subject: String::new(),
                outcome: Outcome::Fail,
                detail: format!("{e}; ignored for path building"),
                signature: None,
            });
        }
    }
    let result = s.end_entity_checks().and_then(|()| {
        let mut path = Vec::new();
        s.search(&mut path)
    });
    match &result {
        Ok(vp) => {
            if recording {
                let mut entries = vec![PathEntry {
                    cert: "end-entity".into(),
                    subject: store.ee.subject_string(),
                }];
                for &i in &vp.intermediates {
                    entries.push(PathEntry {
                        cert: store.label(Node::Inter(i)),
                        subject: store.cert(Node::Inter(i)).subject_string(),
                    });
                }
                entries.push(PathEntry {
                    cert: format!("anchor[{}]", vp.anchor),
                    subject: req
                        .anchors
                        .subject(vp.anchor)
                        .unwrap_or_default()
                        .to_string(),
                });
                let chain: Vec<String> = entries.iter().map(|e| e.cert.clone()).collect();
                let step = s.make_step(
                    Check::Path,
                    Node::Ee,
                    Outcome::Pass,
                    format!("path found: {}", chain.join(" -> ")),
                    None,
                );
                s.steps.push(step);
                report.path = entries;
            }
        }
        Err(e) => {
            rec!(
                s,
                Check::Path,
                Node::Ee,
                Outcome::Fail,
                "no valid path: {e}"
            );
        }
    }
    report.steps.append(&mut s.steps);
    result
}

impl<'s, 'r> Search<'s, 'r> {
    fn make_step(
        &self,
        check: Check,
        node: Node,
        outcome: Outcome,
        detail: String,
        signature: Option<SignatureDetail>,
    ) -> Step {
        Step {
            check,
            cert: self.store.label(node),
            subject: self.store.cert(node).subject_string(),
            outcome,
            detail,
            signature,
        }
    }

    /// Checks on a certificate that do not depend on its role.
    fn common_checks(&mut self, node: Node) -> Result<(), VerifyError> {
        let store = self.store;
        let c = store.cert(node);
        if let Some(e) = &c.defect {
            rec!(self, Check::Parse, node, Outcome::Fail, "{e}");
            return Err(e.clone());
        }
        if let (Some(e), false) = (&c.serial_defect, matches!(node, Node::Anchor(_))) {
            rec!(self, Check::Parse, node, Outcome::Fail, "{e}");
            return Err(e.clone());
        }
        if let Err(e) = &c.sig_alg {
            rec!(
                self,
                Check::Parse,
                node,
                Outcome::Fail,
                "signatureAlgorithm: {e}"
            );
            return Err(e.clone());
        }
        if let Err(e) = c.public_key() {
            rec!(
                self,
                Check::Parse,
                node,
                Outcome::Fail,
                "subject public key: {e}"
            );
            return Err(e);
        }
        rec!(
            self,
            Check::Parse,
            node,
            Outcome::Pass,
            "well-formed v3 certificate, serial {}, key {}",
            c.x509.tbs_certificate.raw_serial_as_string(),
            c.public_key().map(|k| k.kind.name()).unwrap_or_default()
        );
        if let Some(oid) = &c.unknown_critical {
            rec!(
                self,
                Check::CriticalExtensions,
                node,
                Outcome::Fail,
                "unsupported critical extension {oid}"
            );
            return Err(VerifyError::UnsupportedCriticalExtension {
                oid: oid.clone(),
                subject: c.subject_string(),
            });
        }
        let validity = &c.x509.tbs_certificate.validity;
        let (nb, na) = (
            validity.not_before.timestamp(),
            validity.not_after.timestamp(),
        );
        let now = self.req.time;
        if now < nb {
            rec!(
                self,
                Check::Validity,
                node,
                Outcome::Fail,
                "not valid before {} (now {})",
                fmt_time(nb),
                fmt_time(now)
            );
            return Err(VerifyError::NotYetValid {
                subject: c.subject_string(),
                not_before: fmt_time(nb),
                now: fmt_time(now),
            });
        }
        if now > na {
            rec!(
                self,
                Check::Validity,
                node,
                Outcome::Fail,
                "expired at {} (now {})",
                fmt_time(na),
                fmt_time(now)
            );
            return Err(VerifyError::Expired {
                subject: c.subject_string(),
                not_after: fmt_time(na),
                not_after_unix: na,
                now: fmt_time(now),
            });
        }
        rec!(
            self,
            Check::Validity,
            node,
            Outcome::Pass,
            "{} <= {} <= {}",
            fmt_time(nb),
            fmt_time(now),
            fmt_time(na)
        );
        // Every certificate not issued by itself must say which key signed it. Trust anchors are
        // configuration, not path members: a cross-signed root without AKI is still trusted.
        if !c.self_issued() && c.aki_key_id.is_none() && !matches!(node, Node::Anchor(_)) {
            rec!(
                self,
                Check::Profile,
                node,
                Outcome::Fail,
                "no authorityKeyIdentifier"
            );
            return Err(VerifyError::profile(
                "authorityKeyIdentifier missing (RFC 5280 §4.2.1.1)",
            ));
        }
        Ok(())
    }

    fn eku_allows(&mut self, node: Node) -> Result<(), VerifyError> {
        let c = self.store.cert(node);
        match &c.eku {
            None => Ok(()),
            Some(list) if list.contains(&self.req.purpose.eku()) => {
                rec!(
                    self,
                    Check::ExtendedKeyUsage,
                    node,
                    Outcome::Pass,
                    "allows {}",
                    self.req.purpose.name()
                );
                Ok(())
            }
            Some(_) => {
                rec!(
                    self,
                    Check::ExtendedKeyUsage,
                    node,
                    Outcome::Fail,
                    "does not list {}",
                    self.req.purpose.name()
                );
                Err(VerifyError::ExtendedKeyUsage {
                    subject: c.subject_string(),
                    purpose: self.req.purpose.name().into(),
                })
            }
        }
    }

    fn end_entity_checks(&mut self) -> Result<(), VerifyError> {
        let node = Node::Ee;
        self.common_checks(node)?;
        let c = &self.store.ee;
        // RFC 5280 allows a CA certificate as the last one in a path (its pathLen does not apply);
        // a "CA" that may not sign certificates is a mis-issued end entity (CABF 7.1.2.7.8).
        if c.basic.ca && !c.has_key_cert_sign() {
            rec!(
                self,
                Check::BasicConstraints,
                node,
                Outcome::Fail,
                "cA=TRUE but keyUsage without keyCertSign"
            );
            return Err(VerifyError::CaUsedAsEndEntity {
                subject: c.subject_string(),
            });
        }
        if self.req.purpose == Purpose::Server {
            if c.eku_any {
                rec!(
                    self,
                    Check::ExtendedKeyUsage,
                    node,
                    Outcome::Fail,
                    "anyExtendedKeyUsage in a server certificate"
                );
                return Err(VerifyError::ExtendedKeyUsage {
                    subject: c.subject_string(),
                    purpose: "anyExtendedKeyUsage forbidden (CABF 7.1.2.7.10)".into(),
                });
            }
            if c.eku_critical {
                rec!(
                    self,
                    Check::ExtendedKeyUsage,
                    node,
                    Outcome::Fail,
                    "critical extendedKeyUsage in a server certificate"
                );
                return Err(VerifyError::profile(
                    "critical extendedKeyUsage in a server certificate (CABF 7.1.2.7.6)",
                ));
            }
            self.check_common_names()?;
        }
        if c.name_constraints.is_some() {
            rec!(
                self,
                Check::Profile,
                node,
                Outcome::Fail,
                "nameConstraints on an end entity"
            );
            return Err(VerifyError::profile(
                "nameConstraints on an end-entity certificate (RFC 5280 §4.2.1.10)",
            ));
        }
        let need = self.req.required_key_usage;
        if need != 0 && c.key_usage.is_some_and(|ku| ku & need != need) {
            rec!(
                self,
                Check::KeyUsage,
                node,
                Outcome::Fail,
                "keyUsage lacks a required bit"
            );
            return Err(VerifyError::KeyUsage {
                what: "end entity keyUsage lacks a required bit".into(),
            });
        }
        self.eku_allows(node)?;
        match self.req.name {
            Some(expected) => self.check_name(expected)?,
            None => rec!(
                self,
                Check::Name,
                node,
                Outcome::Info,
                "no expected name given: subjectAltName not checked"
            ),
        }
        Ok(())
    }

    /// The subject commonName is never used to match names, but a CN that no SAN could carry
    /// is a mis-issued certificate (CABF 7.1.4.3: the CN must be one of the SAN values): a CN
    /// that is not ASCII, an IP address not in canonical form (RFC 3986 dotted decimal,
    /// RFC 5952 for IPv6), or a SAN DNS name in different letter case.
    fn check_common_names(&mut self) -> Result<(), VerifyError> {
        let c = &self.store.ee;
        for cn in c.subject().iter_common_name() {
            let value = match cn.as_str() {
                Ok(v) => v.to_string(),
                Err(_) => String::from_utf8_lossy(cn.as_slice()).into_owned(),
            };
            let problem = if !value.is_ascii() {
                Some("is not ASCII (a SAN dNSName is always an A-label)")
            } else if name::looks_like_ip(&value) && !name::is_canonical_ip(&value) {
                Some("is an IP address not in canonical text form")
            } else {
                let dns = || {
                    c.san.iter().flatten().filter_map(|gn| match gn {
                        GeneralName::DNSName(d) => Some(*d),
                        _ => None,
                    })
                };
                let case_only =
                    dns().any(|d| d.eq_ignore_ascii_case(&value)) && !dns().any(|d| d == value);
                case_only.then_some("differs from the SAN dNSName only in letter case")
            };
            if let Some(problem) = problem {
                rec!(
                    self,
                    Check::Name,
                    Node::Ee,
                    Outcome::Fail,
                    "subject CN {value:?} {problem}"
                );
                return Err(VerifyError::profile(format!(
                    "subject CN {value:?} {problem} (CABF 7.1.4.3)"
                )));
            }
        }
        Ok(())
    }

    fn check_name(&mut self, expected: &ServerName) -> Result<(), VerifyError> {
        let c = &self.store.ee;
        let mut presented = Vec::new();
        let mut matched = false;
        for gn in c.san.iter().flatten() {
            match (gn, expected) {
                (GeneralName::DNSName(d), ServerName::Dns(want)) => {
                    presented.push(format!("DNS:{d}"));
                    matched |= name::dns_matches(d, want);
                }
                (GeneralName::IPAddress(ip), ServerName::Ip(want)) => {
                    presented.push(format!("IP:{}", name::ip_to_string(ip)));
                    matched |= *ip == name::ip_octets(want).as_slice();
                }
                (GeneralName::DNSName(d), _) => presented.push(format!("DNS:{d}")),
                (GeneralName::IPAddress(ip), _) => {
                    presented.push(format!("IP:{}", name::ip_to_string(ip)))
                }
                _ => {}
            }
        }
        if matched {
            rec!(
                self,
                Check::Name,
                Node::Ee,
                Outcome::Pass,
                "{expected} is in subjectAltName [{}]",
                presented.join(", ")
            );
            Ok(())
        } else {
            rec!(
                self,
                Check::Name,
                Node::Ee,
                Outcome::Fail,
                "{expected} is not in subjectAltName [{}] (the subject CN is never used)",
                presented.join(", ")
            );
            Err(VerifyError::NameMismatch {
                expected: expected.to_string(),
                presented,
            })
        }
    }

    /// Checks a certificate for use as an issuer (CA), memoised per certificate.
    fn ca_checks(&mut self, node: Node) -> Result<(), VerifyError> {
        if let Some(r) = self.ca_memo.get(&node) {
            return r.clone();
        }
        let r = self.ca_checks_uncached(node);
        self.ca_memo.insert(node, r.clone());
        r
    }

    fn ca_checks_uncached(&mut self, node: Node) -> Result<(), VerifyError> {
        self.common_checks(node)?;
        let c = self.store.cert(node);
        let b = c.basic;
        if !b.present || !b.ca {
            rec!(
                self,
                Check::BasicConstraints,
                node,
                Outcome::Fail,
                "not a CA (basicConstraints cA absent or false)"
            );
            return Err(VerifyError::NotACa {
                subject: c.subject_string(),
            });
        }
        if !b.critical {
            rec!(
                self,
                Check::BasicConstraints,
                node,
                Outcome::Fail,
                "basicConstraints is not critical"
            );
            return Err(VerifyError::profile(
                "CA basicConstraints must be critical (RFC 5280 §4.2.1.9)",
            ));
        }
        rec!(
            self,
            Check::BasicConstraints,
            node,
            Outcome::Pass,
            "cA=TRUE{}",
            b.path_len
                .map(|n| format!(", pathLenConstraint={n}"))
                .unwrap_or_default()
        );
        if !c.has_key_cert_sign() {
            rec!(
                self,
                Check::KeyUsage,
                node,
                Outcome::Fail,
                "keyUsage lacks keyCertSign"
            );
            return Err(VerifyError::KeyUsage {
                what: format!("{} lacks keyCertSign", c.subject_string()),
            });
        }
        rec!(
            self,
            Check::KeyUsage,
            node,
            Outcome::Pass,
            "{}",
            if c.key_usage.is_some() {
                "keyCertSign set"
            } else {
                "no keyUsage (any use)"
            }
        );
        if c.ski.is_none() {
            rec!(
                self,
                Check::Profile,
                node,
                Outcome::Fail,
                "CA without subjectKeyIdentifier"
            );
            return Err(VerifyError::profile(
                "CA certificate without subjectKeyIdentifier (RFC 5280 §4.2.1.2)",
            ));
        }
        if matches!(node, Node::Anchor(_))
            && c.self_issued()
            && c.aki_key_id.is_some_and(|a| Some(a) != c.ski)
        {
            rec!(
                self,
                Check::Profile,
                node,
                Outcome::Fail,
                "self-issued anchor whose AKI differs from its SKI"
            );
            return Err(VerifyError::profile(
                "self-issued certificate whose authorityKeyIdentifier is not its own key",
            ));
        }
        if matches!(node, Node::Anchor(_)) && c.self_issued() && c.eku.is_some() {
            rec!(
                self,
                Check::ExtendedKeyUsage,
                node,
                Outcome::Fail,
                "root certificate with extendedKeyUsage"
            );
            return Err(VerifyError::profile(
                "root certificate with extendedKeyUsage (CABF 7.1.2.1.2)",
            ));
        }
        self.eku_allows(node)
    }

    fn verify_signature(&mut self, child: Node, issuer: Node) -> Result<(), VerifyError> {
        if let Some(r) = self.sig_memo.get(&(child, issuer)) {
            return r.clone();
        }
        if self.signatures >= SIGNATURE_BUDGET {
            return Err(VerifyError::BudgetExceeded {
                what: format!("more than {SIGNATURE_BUDGET} signature checks"),
            });
        }
        self.signatures += 1;
        let store = self.store;
        let (c, i) = (store.cert(child), store.cert(issuer));
        let r = match (&c.sig_alg, i.public_key()) {
            (Ok(alg), Ok(key)) => {
                sig::verify_with(alg, &key, c.tbs_raw(), c.x509.signature_value.data.as_ref())
            }
            (Err(e), _) => Err(e.clone()),
            (_, Err(e)) => Err(e),
        };
        if self.recording {
            let detail = match &r {
                Ok(()) => format!(
                    "signed by {}: the signature verifies over the hash of the TBS bytes",
                    store.label(issuer)
                ),
                Err(e) => format!("not signed by {}: {e}", store.label(issuer)),
            };
            let sd = c.sig_alg.as_ref().ok().map(|alg| SignatureDetail {
                algorithm: alg.name.into(),
                hash: alg.hash.name().into(),
                tbs_digest: alg.hash.hex_digest(c.tbs_raw()),
                issuer_key: i
                    .public_key()
                    .map(|k| k.kind.name())
                    .unwrap_or_else(|e| e.to_string()),
                issuer: i.subject_string(),
            });
            let outcome = if r.is_ok() {
                Outcome::Pass
            } else {
                Outcome::Fail
            };
            let step = self.make_step(Check::Signature, child, outcome, detail, sd);
            self.steps.push(step);
        }
        self.sig_memo.insert((child, issuer), r.clone());
        r
    }

    /// RFC 5280 §6.3, for the CRLs the caller supplied: `child`'s serial must not be on a CRL
    /// published by `issuer` (same name, signed by its key).
    fn check_revocation(&mut self, child: Node, issuer: Node) -> Result<(), VerifyError> {
        let store = self.store;
        let (c, i) = (store.cert(child), store.cert(issuer));
        for (k, crl) in store.crls.iter().enumerate() {
            if crl.issuer().as_raw() != i.subject_raw() {
                continue;
            }
            if let Err(e) = self.check_crl(crl, issuer) {
                rec!(
                    self,
                    Check::Revocation,
                    child,
                    Outcome::Fail,
                    "CRL #{k} of {}: {e}",
                    store.label(issuer)
                );
                return Err(e);
            }
            let serial = c.x509.tbs_certificate.raw_serial();
            if crl
                .iter_revoked_certificates()
                .any(|r| r.raw_serial() == serial)
            {
                rec!(
                    self,
                    Check::Revocation,
                    child,
                    Outcome::Fail,
                    "serial is on CRL #{k} of {}",
                    store.label(issuer)
                );
                return Err(VerifyError::Revoked {
                    subject: c.subject_string(),
                    serial: c.x509.tbs_certificate.raw_serial_as_string(),
                });
            }
            rec!(
                self,
                Check::Revocation,
                child,
                Outcome::Pass,
                "not on CRL #{k} of {}",
                store.label(issuer)
            );
        }
        Ok(())
    }

    /// Whether a CRL that names `issuer` may be used (RFC 5280 §5, §6.3.3).
    fn check_crl(
        &mut self,
        crl: &CertificateRevocationList<'r>,
        issuer: Node,
    ) -> Result<(), VerifyError> {
        let i = self.store.cert(issuer);
        if i.key_usage.is_some_and(|ku| ku & (1 << 6) == 0) {
            return Err(VerifyError::KeyUsage {
                what: format!("CRL issuer {} lacks cRLSign", i.subject_string()),
            });
        }
        if crl.version().map(|v| v.0) != Some(1) {
            return Err(VerifyError::malformed("CRL is not version 2"));
        }
        if crl.tbs_cert_list.signature != crl.signature_algorithm {
            return Err(VerifyError::malformed(
                "CRL signatureAlgorithm differs from its TBS signature field",
            ));
        }
        let mut has_number = false;
        for ext in crl.extensions() {
            let id = ext.oid.as_bytes();
            if id == oid::EXT_CRL_NUMBER {
                if ext.critical {
                    return Err(VerifyError::profile(
                        "CRL number extension is critical (RFC 5280 §5.2.3)",
                    ));
                }
                has_number = true;
            } else if ext.critical && id != oid::EXT_AUTHORITY_KEY_ID_CRL {
                return Err(VerifyError::UnsupportedCriticalExtension {
                    oid: oid::display(id),
                    subject: "CRL".into(),
                });
            }
        }
        if !has_number {
            return Err(VerifyError::profile(
                "CRL without a CRL number (RFC 5280 §5.2.3)",
            ));
        }
        if crl.last_update().timestamp() > self.req.time {
            return Err(VerifyError::profile("CRL thisUpdate is in the future"));
        }
        if self.signatures >= SIGNATURE_BUDGET {
            return Err(VerifyError::BudgetExceeded {
                what: format!("more than {SIGNATURE_BUDGET} signature checks"),
            });
        }
        self.signatures += 1;
        let alg = sig::cert_sig_alg(&crl.signature_algorithm)?;
        let key = i.public_key()?;
        sig::verify_with(
            &alg,
            &key,
            crl.tbs_cert_list.as_ref(),
            crl.signature_value.data.as_ref(),
        )
    }

    /// Number of CA certificates in `path` that count for pathLen/max depth (not self-issued).
    fn counted(&self, path: &[usize]) -> usize {
        path.iter()
            .filter(|&&i| !self.store.cert(Node::Inter(i)).self_issued())
            .count()
    }

    /// Depth-first search from the top of `path` (or the end entity) to a trust anchor.
    fn search(&mut self, path: &mut Vec<usize>) -> Result<VerifiedPath, VerifyError> {
        let store = self.store;
        let child = path.last().map(|&i| Node::Inter(i)).unwrap_or(Node::Ee);
        let child_cert = store.cert(child);
        let issuer_name = child_cert.issuer_raw();
        let mut best: Option<VerifyError> = None;
        let keep = |e: VerifyError, best: &mut Option<VerifyError>| {
            if best.as_ref().is_none_or(|b| e.rank() > b.rank()) {
                *best = Some(e);
            }
        };
        let anchor_candidates: Vec<Node> = (0..store.anchors.len())
            .filter(|&k| store.anchors[k].1.subject_raw() == issuer_name)
            .map(Node::Anchor)
            .collect();
        let inter_candidates: Vec<Node> = (0..store.inters.len())
            .filter(|&i| {
                store.inters[i]
                    .as_ref()
                    .is_some_and(|c| c.subject_raw() == issuer_name)
            })
            .map(Node::Inter)
            .collect();
        if anchor_candidates.is_empty() && inter_candidates.is_empty() {
            rec!(
                self,
                Check::IssuerLookup,
                child,
                Outcome::Fail,
                "no anchor or intermediate has subject {}",
                child_cert.issuer_string()
            );
            return Err(VerifyError::UnknownIssuer {
                issuer: child_cert.issuer_string(),
            });
        }
        rec!(
            self,
            Check::IssuerLookup,
            child,
            Outcome::Info,
            "issuer {}: {} anchor(s), {} intermediate(s) with that subject",
            child_cert.issuer_string(),
            anchor_candidates.len(),
            inter_candidates.len()
        );
        for cand in anchor_candidates.into_iter().chain(inter_candidates) {
            self.candidates += 1;
            if self.candidates > CANDIDATE_BUDGET {
                return Err(VerifyError::BudgetExceeded {
                    what: format!("more than {CANDIDATE_BUDGET} candidate issuers"),
                });
            }
            let r = self.try_candidate(path, child, cand);
            match r {
                Ok(vp) => return Ok(vp),
                Err(e @ VerifyError::BudgetExceeded { .. }) => return Err(e),
                Err(e) => {
                    rec!(
                        self,
                        Check::Path,
                        cand,
                        Outcome::Info,
                        "candidate issuer rejected: {e}"
                    );
                    keep(e, &mut best);
                }
            }
        }
        Err(best.unwrap_or_else(|| VerifyError::UnknownIssuer {
            issuer: child_cert.issuer_string(),
        }))
    }

    fn try_candidate(
        &mut self,
        path: &mut Vec<usize>,
        child: Node,
        cand: Node,
    ) -> Result<VerifiedPath, VerifyError> {
        let store = self.store;
        let child_cert = store.cert(child);
        let cand_cert = store.cert(cand);
        if let Node::Inter(i) = cand {
            // Loops: the same certificate, or the same name and key, already below us.
            let looped = path.contains(&i)
                || std::iter::once(Node::Ee)
                    .chain(path.iter().map(|&p| Node::Inter(p)))
                    .any(|n| {
                        let c = store.cert(n);
                        c.subject_raw() == cand_cert.subject_raw()
                            && c.spki_raw() == cand_cert.spki_raw()
                    });
            if looped {
                return Err(VerifyError::UnknownIssuer {
                    issuer: format!("{} (only through a loop)", cand_cert.subject_string()),
                });
            }
            if path.len() + 2 >= MAX_PATH_LEN {
                return Err(VerifyError::PathTooLong {
                    max: MAX_PATH_LEN - 2,
                });
            }
        }
        if let (Some(aki), Some(ski)) = (child_cert.aki_key_id, cand_cert.ski) {
            if aki != ski {
                rec!(
                    self,
                    Check::IssuerLookup,
                    cand,
                    Outcome::Info,
                    "key identifier {} does not match the AKI {}",
                    hex::encode(ski),
                    hex::encode(aki)
                );
                return Err(VerifyError::UnknownIssuer {
                    issuer: format!("{} (key identifier mismatch)", cand_cert.subject_string()),
                });
            }
        }
        self.ca_checks(cand)?;
        self.verify_signature(child, cand)?;
        self.check_revocation(child, cand)?;
        // pathLenConstraint of the candidate bounds the CAs below it. A trust anchor's own
        // basicConstraints are not part of the path (RFC 5280 §6.1; rustls-webpki agrees).
        let below = self.counted(path);
        let path_len = match cand {
            Node::Anchor(_) => None,
            _ => cand_cert.basic.path_len,
        };
        if let Some(max) = path_len {
            if below > max as usize {
                rec!(
                    self,
                    Check::PathLength,
                    cand,
                    Outcome::Fail,
                    "pathLenConstraint {max} but {below} CA(s) below"
                );
                return Err(VerifyError::PathLenExceeded {
                    subject: cand_cert.subject_string(),
                    allowed: max,
                    found: below as u32,
                });
            }
        }
        let is_anchor = matches!(cand, Node::Anchor(_));
        if let Some(max) = self.req.max_depth {
            let with_cand = below + usize::from(!is_anchor && !cand_cert.self_issued());
            if with_cand > max {
                rec!(
                    self,
                    Check::PathLength,
                    cand,
                    Outcome::Fail,
                    "more than {max} intermediate(s)"
                );
                return Err(VerifyError::PathTooLong { max });
            }
        }
        if let Some(nc) = &cand_cert.name_constraints {
            self.check_name_constraints(cand, nc, path)?;
        }
        match cand {
            Node::Anchor(k) => Ok(VerifiedPath {
                intermediates: path.clone(),
                anchor: store.anchors[k].0,
            }),
            Node::Inter(i) => {
                path.push(i);
                let r = self.search(path);
                path.pop();
                r
            }
            Node::Ee => Err(VerifyError::UnknownIssuer {
                issuer: "end entity".into(),
            }),
        }
    }

    /// The candidate's nameConstraints against every certificate below it: the end entity always,
    /// intermediates unless self-issued (RFC 5280 §6.1.3 (b)).
    fn check_name_constraints(
        &mut self,
        ca: Node,
        nc: &NameConstraints<'r>,
        path: &[usize],
    ) -> Result<(), VerifyError> {
        let store = self.store;
        let subjects = std::iter::once(Node::Ee).chain(path.iter().map(|&i| Node::Inter(i)));
        for n in subjects {
            let c = store.cert(n);
            if n != Node::Ee && c.self_issued() {
                continue;
            }
            if let Err(bad) = self.names_within(nc, c) {
                rec!(
                    self,
                    Check::NameConstraints,
                    ca,
                    Outcome::Fail,
                    "{} of {} violates this CA's name constraints",
                    bad,
                    store.label(n)
                );
                return Err(VerifyError::NameConstraintViolation {
                    name: bad,
                    ca: store.cert(ca).subject_string(),
                });
            }
        }
        rec!(
            self,
            Check::NameConstraints,
            ca,
            Outcome::Pass,
            "all names below satisfy the name constraints"
        );
        Ok(())
    }

    /// Ok if every name of `c` satisfies `nc`; Err(the offending name) otherwise.
    fn names_within(&mut self, nc: &NameConstraints<'r>, c: &Cert<'r>) -> Result<(), String> {
        let subject = c.subject();
        if subject.iter().next().is_some() {
            let as_general = GeneralName::DirectoryName(subject.clone());
            self.name_within(nc, &as_general)?;
        }
        for gn in c.san.iter().flatten() {
            self.name_within(nc, gn)?;
        }
        Ok(())
    }

    fn name_within(
        &mut self,
        nc: &NameConstraints<'r>,
        gn: &GeneralName<'r>,
    ) -> Result<(), String> {
        let shown = describe(gn);
        for (permitted, subtrees) in [
            (true, &nc.permitted_subtrees),
            (false, &nc.excluded_subtrees),
        ] {
            let Some(subtrees) = subtrees else { continue };
            let mut same_form = false;
            let mut inside_any = false;
            for GeneralSubtree { base } in subtrees {
                self.nc_comparisons += 1;
                if self.nc_comparisons > NC_BUDGET {
                    return Err(format!("{shown} (name-constraint budget exhausted)"));
                }
                let rel = match relation(gn, base) {
                    Relation::OtherForm => continue,
                    Relation::Malformed => {
                        return Err(format!("{shown} (malformed name or constraint)"))
                    }
                    Relation::Unsupported => {
                        return Err(format!(
                            "{shown} (unsupported name form under a constraint)"
                        ))
                    }
                    Relation::Related { all, some } => (all, some),
                };
                same_form = true;
                // Permitted: the whole name must be inside; excluded: no part of it may be.
                let hit = if permitted { rel.0 } else { rel.1 };
                inside_any |= hit;
            }
            if permitted && same_form && !inside_any {
                return Err(format!("{shown} (outside the permitted subtrees)"));
            }
            if !permitted && inside_any {
                return Err(format!("{shown} (inside an excluded subtree)"));
            }
        }
        Ok(())
    }
}

enum Relation {
    /// The constraint is about another name form: ignore it.
    OtherForm,
    Malformed,
    /// Same form but one we do not evaluate: fail closed.
    Unsupported,
    Related {
        all: bool,
        some: bool,
    },
}

fn relation(name: &GeneralName<'_>, base: &GeneralName<'_>) -> Relation {
    match (name, base) {
        (GeneralName::DNSName(n), GeneralName::DNSName(b)) => {
            if !name::is_valid_dns_constraint(b) {
                return Relation::Malformed;
            }
            match name::dns_vs_subtree(n, b) {
                Some((all, some)) => Relation::Related { all, some },
                None => Relation::Malformed,
            }
        }
        (GeneralName::IPAddress(n), GeneralName::IPAddress(b)) => {
            if n.len() != 4 && n.len() != 16 {
                return Relation::Malformed;
            }
            match name::ip_in_subtree(n, b) {
                Some(inside) => Relation::Related {
                    all: inside,
                    some: inside,
                },
                None => Relation::Malformed,
            }
        }
        (GeneralName::DirectoryName(n), GeneralName::DirectoryName(b)) => {
            let mut subject = n.iter();
            let inside = b.iter().all(|rdn| subject.next() == Some(rdn));
            Relation::Related {
                all: inside,
                some: inside,
            }
        }
        (GeneralName::RFC822Name(n), GeneralName::RFC822Name(b)) => match email_in_subtree(n, b) {
            Some(inside) => Relation::Related {
                all: inside,
                some: inside,
            },
            None => Relation::Malformed,
        },
        (a, b) if form(a) == form(b) => Relation::Unsupported,
        _ => Relation::OtherForm,
    }
}

fn form(gn: &GeneralName<'_>) -> u8 {
    match gn {
        GeneralName::OtherName(..) => 0,
        GeneralName::RFC822Name(_) => 1,
        GeneralName::DNSName(_) => 2,
        GeneralName::X400Address(_) => 3,
        GeneralName::DirectoryName(_) => 4,
        GeneralName::EDIPartyName(_) => 5,
        GeneralName::URI(_) => 6,
        GeneralName::IPAddress(_) => 7,
        GeneralName::RegisteredID(_) => 8,
        GeneralName::Invalid(t, _) => 100u8.saturating_add(t.0.min(100) as u8),
    }
}

/// RFC 5280 §4.2.1.10 rfc822Name constraints: a full mailbox matches exactly; a host matches
/// mailboxes on that host; ".host" matches mailboxes on subdomains. Characters are literal.
fn email_in_subtree(mailbox: &str, base: &str) -> Option<bool> {
    let (local, host) = mailbox.split_once('@')?;
    if local.is_empty() || host.contains('@') || !name::is_valid_presented_dns(host) {
        return None;
    }
    if base.contains('@') {
        let (blocal, bhost) = base.rsplit_once('@')?;
        return Some(local == blocal && host.eq_ignore_ascii_case(bhost));
    }
    if let Some(domain) = base.strip_prefix('.') {
        return Some(
            host.len() > domain.len() + 1
                && host
                    .to_ascii_lowercase()
                    .ends_with(&format!(".{}", domain.to_ascii_lowercase())),
        );
    }
    Some(host.eq_ignore_ascii_case(base))
}

fn describe(gn: &GeneralName<'_>) -> String {
    match gn {
        GeneralName::DNSName(d) => format!("DNS:{d}"),
        GeneralName::IPAddress(ip) => format!("IP:{}", name::ip_to_string(ip)),
        GeneralName::RFC822Name(e) => format!("email:{e}"),
        GeneralName::DirectoryName(n) => format!("DirName:{}", crate::cert::name_to_string(n)),
        GeneralName::URI(u) => format!("URI:{u}"),
        other => format!("{other:?}"),
    }
}
