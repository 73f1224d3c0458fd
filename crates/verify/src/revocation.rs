//! Revocation (RFC 5280 §6.3) against the CRLs the caller supplied: a certificate's serial must
//! not be on a CRL its issuer published (same name, signed by its key, usable as a CRL).

use crate::error::VerifyError;
use crate::oid;
use crate::recorder::Recorder;
use crate::report::{Check, Outcome};
use crate::sig;
use crate::store::{Budget, Ctx, Node};
use x509_parser::revocation_list::CertificateRevocationList;

/// `child` is on no usable CRL of `issuer`; a CRL naming `issuer` that cannot be used fails.
pub(crate) fn check<R: Recorder>(
    cx: Ctx<'_, '_>,
    rec: &mut R,
    budget: &mut Budget,
    child: Node,
    issuer: Node,
) -> Result<(), VerifyError> {
    let (c, i) = (cx.cert(child), cx.cert(issuer));
    for (k, crl) in cx.store.crls.iter().enumerate() {
        if crl.issuer().as_raw() != i.subject_raw() {
            continue;
        }
        let step =
            |outcome: Outcome, detail: String| cx.step(Check::Revocation, child, outcome, detail);
        let crl_name = || format!("CRL #{k} of {}", cx.store.label(issuer));
        if let Err(e) = usable(cx, budget, crl, issuer) {
            rec.record(|| step(Outcome::Fail, format!("{}: {e}", crl_name())));
            return Err(e);
        }
        let serial = c.serial();
        if crl
            .iter_revoked_certificates()
            .any(|r| r.raw_serial() == serial)
        {
            rec.record(|| step(Outcome::Fail, format!("serial is on {}", crl_name())));
            return Err(VerifyError::Revoked {
                subject: c.subject_string(),
                serial: c.serial_string(),
            });
        }
        rec.record(|| step(Outcome::Pass, format!("not on {}", crl_name())));
    }
    Ok(())
}

/// Whether a CRL that names `issuer` may be used (RFC 5280 §5, §6.3.3).
fn usable(
    cx: Ctx<'_, '_>,
    budget: &mut Budget,
    crl: &CertificateRevocationList<'_>,
    issuer: Node,
) -> Result<(), VerifyError> {
    let i = cx.cert(issuer);
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
    check_extensions(crl)?;
    if crl.last_update().timestamp() > cx.req.time {
        return Err(VerifyError::profile("CRL thisUpdate is in the future"));
    }
    budget.spend_signature()?;
    let alg = sig::x509_sig_alg(&crl.signature_algorithm)?;
    let key = i.public_key()?;
    sig::verify_with(
        &alg,
        &key,
        crl.tbs_cert_list.as_ref(),
        crl.signature_value.data.as_ref(),
    )
}

/// A non-critical CRL number is required; no other critical extension but the AKI.
fn check_extensions(crl: &CertificateRevocationList<'_>) -> Result<(), VerifyError> {
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
    Ok(())
}
