//! Per-certificate checks: those valid in any role, those on the end entity (profile, EKU,
//! the expected name) and those on an issuer (CA flag, keyCertSign, key identifiers).

use crate::error::VerifyError;
use crate::name::{self, ServerName};
use crate::recorder::Recorder;
use crate::report::{Check, Outcome};
use crate::store::{fmt_time, Ctx, Node};
use https_pkix::Purpose;
use x509_parser::extensions::GeneralName;

/// Checks on a certificate that do not depend on its role.
pub(crate) fn common<R: Recorder>(
    cx: Ctx<'_, '_>,
    rec: &mut R,
    node: Node,
) -> Result<(), VerifyError> {
    structure(cx, rec, node)?;
    validity(cx, rec, node)?;
    // Every certificate not issued by itself must say which key signed it. Trust anchors are
    // configuration, not path members: a cross-signed root without AKI is still trusted.
    let c = cx.cert(node);
    if !c.self_issued() && c.aki_key_id.is_none() && !matches!(node, Node::Anchor(_)) {
        rec.record(|| {
            cx.step(
                Check::Profile,
                node,
                Outcome::Fail,
                "no authorityKeyIdentifier".into(),
            )
        });
        return Err(VerifyError::profile(
            "authorityKeyIdentifier missing (RFC 5280 §4.2.1.1)",
        ));
    }
    Ok(())
}

/// Parse-time defects, the algorithms, and critical extensions we do not process.
fn structure<R: Recorder>(cx: Ctx<'_, '_>, rec: &mut R, node: Node) -> Result<(), VerifyError> {
    let c = cx.cert(node);
    let fail = |rec: &mut R, e: &VerifyError, what: &str| {
        rec.record(|| cx.step(Check::Parse, node, Outcome::Fail, format!("{what}{e}")));
    };
    if let Some(e) = &c.defect {
        fail(rec, e, "");
        return Err((**e).clone());
    }
    if let (Some(e), false) = (&c.serial_defect, matches!(node, Node::Anchor(_))) {
        fail(rec, e, "");
        return Err((**e).clone());
    }
    if let Err(e) = &c.sig_alg {
        fail(rec, e, "signatureAlgorithm: ");
        return Err((**e).clone());
    }
    let key = c
        .public_key()
        .inspect_err(|e| fail(rec, e, "subject public key: "))?;
    rec.record(|| {
        let detail = format!(
            "well-formed v3 certificate, serial {}, key {}",
            c.serial_string(),
            key.kind.name()
        );
        cx.step(Check::Parse, node, Outcome::Pass, detail)
    });
    if let Some(oid) = &c.unknown_critical {
        rec.record(|| {
            let detail = format!("unsupported critical extension {oid}");
            cx.step(Check::CriticalExtensions, node, Outcome::Fail, detail)
        });
        return Err(VerifyError::UnsupportedCriticalExtension {
            oid: oid.clone(),
            subject: c.subject_string(),
        });
    }
    Ok(())
}

/// notBefore <= time <= notAfter.
fn validity<R: Recorder>(cx: Ctx<'_, '_>, rec: &mut R, node: Node) -> Result<(), VerifyError> {
    let c = cx.cert(node);
    let (nb, na) = (c.tbs.not_before, c.tbs.not_after);
    let now = cx.req.time;
    if now < nb {
        rec.record(|| {
            let detail = format!("not valid before {} (now {})", fmt_time(nb), fmt_time(now));
            cx.step(Check::Validity, node, Outcome::Fail, detail)
        });
        return Err(VerifyError::NotYetValid {
            subject: c.subject_string(),
            not_before: fmt_time(nb),
            now: fmt_time(now),
        });
    }
    if now > na {
        rec.record(|| {
            let detail = format!("expired at {} (now {})", fmt_time(na), fmt_time(now));
            cx.step(Check::Validity, node, Outcome::Fail, detail)
        });
        return Err(VerifyError::Expired {
            subject: c.subject_string(),
            not_after: fmt_time(na),
            not_after_unix: na,
            now: fmt_time(now),
        });
    }
    rec.record(|| {
        let detail = format!("{} <= {} <= {}", fmt_time(nb), fmt_time(now), fmt_time(na));
        cx.step(Check::Validity, node, Outcome::Pass, detail)
    });
    Ok(())
}

/// extendedKeyUsage, when present, lists the request's purpose.
pub(crate) fn eku_allows<R: Recorder>(
    cx: Ctx<'_, '_>,
    rec: &mut R,
    node: Node,
) -> Result<(), VerifyError> {
    let c = cx.cert(node);
    let purpose = cx.req.purpose;
    match &c.eku {
        None => Ok(()),
        Some(eku) if eku.allows(purpose) => {
            rec.record(|| {
                let detail = format!("allows {}", purpose.name());
                cx.step(Check::ExtendedKeyUsage, node, Outcome::Pass, detail)
            });
            Ok(())
        }
        Some(_) => {
            rec.record(|| {
                let detail = format!("does not list {}", purpose.name());
                cx.step(Check::ExtendedKeyUsage, node, Outcome::Fail, detail)
            });
            Err(VerifyError::ExtendedKeyUsage {
                subject: c.subject_string(),
                purpose: purpose.name().into(),
            })
        }
    }
}

/// Everything the end entity must satisfy on its own, the expected name included.
pub(crate) fn end_entity<R: Recorder>(cx: Ctx<'_, '_>, rec: &mut R) -> Result<(), VerifyError> {
    let node = Node::Ee;
    common(cx, rec, node)?;
    let c = &cx.store.ee;
    let fail = |rec: &mut R, check: Check, detail: &'static str| {
        rec.record(|| cx.step(check, node, Outcome::Fail, detail.into()));
    };
    // RFC 5280 allows a CA certificate as the last one in a path (its pathLen does not apply);
    // a "CA" that may not sign certificates is a mis-issued end entity (CABF 7.1.2.7.8).
    if c.basic.ca && !c.has_key_cert_sign() {
        fail(
            rec,
            Check::BasicConstraints,
            "cA=TRUE but keyUsage without keyCertSign",
        );
        return Err(VerifyError::CaUsedAsEndEntity {
            subject: c.subject_string(),
        });
    }
    if cx.req.purpose == Purpose::Server {
        server_profile(cx, rec)?;
    }
    if c.name_constraints().is_some() {
        fail(rec, Check::Profile, "nameConstraints on an end entity");
        return Err(VerifyError::profile(
            "nameConstraints on an end-entity certificate (RFC 5280 §4.2.1.10)",
        ));
    }
    let need = cx.req.required_key_usage;
    if need != 0 && c.key_usage.is_some_and(|ku| ku & need != need) {
        fail(rec, Check::KeyUsage, "keyUsage lacks a required bit");
        return Err(VerifyError::KeyUsage {
            what: "end entity keyUsage lacks a required bit".into(),
        });
    }
    eku_allows(cx, rec, node)?;
    match cx.req.name {
        Some(expected) => check_name(cx, rec, expected),
        None => {
            rec.record(|| {
                let detail = "no expected name given: subjectAltName not checked".into();
                cx.step(Check::Name, node, Outcome::Info, detail)
            });
            Ok(())
        }
    }
}

/// CABF rules for a server certificate: no anyExtendedKeyUsage, no critical EKU, a sane CN.
fn server_profile<R: Recorder>(cx: Ctx<'_, '_>, rec: &mut R) -> Result<(), VerifyError> {
    let c = &cx.store.ee;
    let eku = c.eku.unwrap_or_default();
    if eku.any {
        rec.record(|| {
            let detail = "anyExtendedKeyUsage in a server certificate".into();
            cx.step(Check::ExtendedKeyUsage, Node::Ee, Outcome::Fail, detail)
        });
        return Err(VerifyError::ExtendedKeyUsage {
            subject: c.subject_string(),
            purpose: "anyExtendedKeyUsage forbidden (CABF 7.1.2.7.10)".into(),
        });
    }
    if eku.critical {
        rec.record(|| {
            let detail = "critical extendedKeyUsage in a server certificate".into();
            cx.step(Check::ExtendedKeyUsage, Node::Ee, Outcome::Fail, detail)
        });
        return Err(VerifyError::profile(
            "critical extendedKeyUsage in a server certificate (CABF 7.1.2.7.6)",
        ));
    }
    check_common_names(cx, rec)
}

/// The subject commonName is never used to match names, but a CN that no SAN could carry
/// is a mis-issued certificate (CABF 7.1.4.3: the CN must be one of the SAN values): a CN
/// that is not ASCII, an IP address not in canonical form (RFC 3986 dotted decimal,
/// RFC 5952 for IPv6), or a SAN DNS name in different letter case.
fn check_common_names<R: Recorder>(cx: Ctx<'_, '_>, rec: &mut R) -> Result<(), VerifyError> {
    let c = &cx.store.ee;
    for value in c.common_names() {
        let problem = if !value.is_ascii() {
            Some("is not ASCII (a SAN dNSName is always an A-label)")
        } else if name::looks_like_ip(&value) && !name::is_canonical_ip(&value) {
            Some("is an IP address not in canonical text form")
        } else {
            let dns = || {
                c.san().iter().filter_map(|gn| match gn {
                    GeneralName::DNSName(d) => Some(*d),
                    _ => None,
                })
            };
            let case_only =
                dns().any(|d| d.eq_ignore_ascii_case(&value)) && !dns().any(|d| d == value);
            case_only.then_some("differs from the SAN dNSName only in letter case")
        };
        if let Some(problem) = problem {
            rec.record(|| {
                let detail = format!("subject CN {value:?} {problem}");
                cx.step(Check::Name, Node::Ee, Outcome::Fail, detail)
            });
            return Err(VerifyError::profile(format!(
                "subject CN {value:?} {problem} (CABF 7.1.4.3)"
            )));
        }
    }
    Ok(())
}

/// The expected name is among the subjectAltNames (never the CN).
fn check_name<R: Recorder>(
    cx: Ctx<'_, '_>,
    rec: &mut R,
    expected: &ServerName,
) -> Result<(), VerifyError> {
    let san = cx.store.ee.san();
    let matches = |gn: &GeneralName<'_>| match (gn, expected) {
        (GeneralName::DNSName(d), ServerName::Dns(want)) => name::dns_matches(d, want),
        (GeneralName::IPAddress(ip), ServerName::Ip(want)) => match want {
            std::net::IpAddr::V4(a) => *ip == a.octets(),
            std::net::IpAddr::V6(a) => *ip == a.octets(),
        },
        _ => false,
    };
    // What the certificate is valid for: only built for a report or an error.
    let presented = || -> Vec<String> {
        san.iter()
            .filter(|gn| matches!(gn, GeneralName::DNSName(_) | GeneralName::IPAddress(_)))
            .map(name::describe)
            .collect()
    };
    if san.iter().any(matches) {
        rec.record(|| {
            let detail = format!(
                "{expected} is in subjectAltName [{}]",
                presented().join(", ")
            );
            cx.step(Check::Name, Node::Ee, Outcome::Pass, detail)
        });
        return Ok(());
    }
    rec.record(|| {
        let detail = format!(
            "{expected} is not in subjectAltName [{}] (the subject CN is never used)",
            presented().join(", ")
        );
        cx.step(Check::Name, Node::Ee, Outcome::Fail, detail)
    });
    Err(VerifyError::NameMismatch {
        expected: expected.to_string(),
        presented: presented(),
    })
}

/// Checks a certificate for use as an issuer (CA).
pub(crate) fn issuer<R: Recorder>(
    cx: Ctx<'_, '_>,
    rec: &mut R,
    node: Node,
) -> Result<(), VerifyError> {
    common(cx, rec, node)?;
    let c = cx.cert(node);
    let b = c.basic;
    let fail = |rec: &mut R, check: Check, detail: &'static str| {
        rec.record(|| cx.step(check, node, Outcome::Fail, detail.into()));
    };
    if !b.present || !b.ca {
        fail(
            rec,
            Check::BasicConstraints,
            "not a CA (basicConstraints cA absent or false)",
        );
        return Err(VerifyError::NotACa {
            subject: c.subject_string(),
        });
    }
    if !b.critical {
        fail(
            rec,
            Check::BasicConstraints,
            "basicConstraints is not critical",
        );
        return Err(VerifyError::profile(
            "CA basicConstraints must be critical (RFC 5280 §4.2.1.9)",
        ));
    }
    rec.record(|| {
        let len = b
            .path_len
            .map(|n| format!(", pathLenConstraint={n}"))
            .unwrap_or_default();
        cx.step(
            Check::BasicConstraints,
            node,
            Outcome::Pass,
            format!("cA=TRUE{len}"),
        )
    });
    if !c.has_key_cert_sign() {
        fail(rec, Check::KeyUsage, "keyUsage lacks keyCertSign");
        return Err(VerifyError::KeyUsage {
            what: format!("{} lacks keyCertSign", c.subject_string()),
        });
    }
    rec.record(|| {
        let detail = match c.key_usage {
            Some(_) => "keyCertSign set",
            None => "no keyUsage (any use)",
        };
        cx.step(Check::KeyUsage, node, Outcome::Pass, detail.into())
    });
    if c.ski.is_none() {
        fail(rec, Check::Profile, "CA without subjectKeyIdentifier");
        return Err(VerifyError::profile(
            "CA certificate without subjectKeyIdentifier (RFC 5280 §4.2.1.2)",
        ));
    }
    if matches!(node, Node::Anchor(_)) && c.self_issued() {
        root_profile(cx, rec, node)?;
    }
    eku_allows(cx, rec, node)
}

/// A self-issued trust anchor: its AKI, if any, is its own key; no EKU (CABF 7.1.2.1.2).
fn root_profile<R: Recorder>(cx: Ctx<'_, '_>, rec: &mut R, node: Node) -> Result<(), VerifyError> {
    let c = cx.cert(node);
    if c.aki_key_id.is_some_and(|a| Some(a) != c.ski) {
        rec.record(|| {
            let detail = "self-issued anchor whose AKI differs from its SKI".into();
            cx.step(Check::Profile, node, Outcome::Fail, detail)
        });
        return Err(VerifyError::profile(
            "self-issued certificate whose authorityKeyIdentifier is not its own key",
        ));
    }
    if c.eku.is_some() {
        rec.record(|| {
            let detail = "root certificate with extendedKeyUsage".into();
            cx.step(Check::ExtendedKeyUsage, node, Outcome::Fail, detail)
        });
        return Err(VerifyError::profile(
            "root certificate with extendedKeyUsage (CABF 7.1.2.1.2)",
        ));
    }
    Ok(())
}
