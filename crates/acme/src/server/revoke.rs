//! Revocation (RFC 8555 §7.6), the CRL it feeds, and renewal information (ARI, RFC 9773).

use serde::Deserialize;
use serde_json::json;

use super::auth::{Authed, KeyForm};
use super::finalize::cert_facts;
use super::{AcmeServer, Reply};
use crate::jws::{b64, unb64};
use crate::model::{now, rfc3339, CertRecord};
use crate::problem::{internal, AcmeError, Result};

/// How long a client should wait before asking for renewal info again (RFC 9773 §4.2).
const ARI_RETRY_AFTER: u64 = 6 * 3600;
/// A CRL is valid for this long; clients fetch a fresh one from the URL.
const CRL_LIFETIME: i64 = 24 * 3600;

#[derive(Deserialize)]
struct Revoke {
    certificate: String,
    #[serde(default)]
    reason: Option<u8>,
}

/// Whether the JWS key is the certificate's own key (revocation by certificate key).
fn signed_by_cert_key(auth: &Authed, der: &[u8]) -> Result<bool> {
    let (_, cert) = x509_parser::parse_x509_certificate(der)
        .map_err(|e| AcmeError::Malformed(format!("not a certificate: {e}")))?;
    Ok(auth.key.matches_spki(cert.public_key().raw))
}

fn reason_code(r: u8) -> Result<rcgen::RevocationReason> {
    use rcgen::RevocationReason::*;
    // RFC 8555 §7.6 / CABF: the reasons a subscriber may give.
    Ok(match r {
        0 => Unspecified,
        1 => KeyCompromise,
        3 => AffiliationChanged,
        4 => Superseded,
        5 => CessationOfOperation,
        9 => PrivilegeWithdrawn,
        _ => {
            return Err(AcmeError::BadRevocationReason(format!(
                "reason {r} is not one of 0, 1, 3, 4, 5, 9"
            )))
        }
    })
}

impl AcmeServer {
    /// Authorized by the account that ordered the certificate (`kid`) or by the certificate's
    /// own key (`jwk`).
    pub(crate) fn revoke(&self, url: &str, body: &[u8]) -> Result<Reply> {
        let auth = self.authenticate(url, body, KeyForm::Either)?;
        let req: Revoke = auth
            .jws
            .json()?
            .ok_or_else(|| AcmeError::Malformed("revokeCert needs a payload".into()))?;
        let der = unb64(&req.certificate, "certificate")?;
        let reason = req.reason.unwrap_or(0);
        reason_code(reason)?;
        let (serial, _, _) = cert_facts(&der)?;
        let mut cert = self
            .store
            .certificate_by_serial(&serial)?
            .filter(|c| c.der_hex == hex::encode(&der))
            .ok_or_else(|| AcmeError::NotFound("this CA did not issue that certificate".into()))?;
        let allowed = match &auth.account {
            Some(a) => a.id == cert.account_id || self.account_controls(&a.id, &der)?,
            None => signed_by_cert_key(&auth, &der)?,
        };
        if !allowed {
            return Err(AcmeError::Unauthorized(
                "only the ordering account, an account authorized for all its names, or the certificate's key may revoke it".into(),
            ));
        }
        if cert.revoked.is_some() {
            return Err(AcmeError::AlreadyRevoked(format!("serial {serial}")));
        }
        cert.revoked = Some((now(), reason));
        self.store.update_certificate(&cert)?;
        Ok(Reply::empty(200))
    }

    /// §7.6: whether the account holds valid authorizations for every name in the certificate.
    fn account_controls(&self, account_id: &str, der: &[u8]) -> Result<bool> {
        use x509_parser::extensions::{GeneralName, ParsedExtension};
        let (_, cert) = x509_parser::parse_x509_certificate(der)
            .map_err(|e| AcmeError::Malformed(format!("not a certificate: {e}")))?;
        let mut names = Vec::new();
        for ext in cert.extensions() {
            if let ParsedExtension::SubjectAlternativeName(san) = ext.parsed_extension() {
                for n in &san.general_names {
                    names.push(match n {
                        GeneralName::DNSName(d) => d.to_ascii_lowercase(),
                        GeneralName::IPAddress(b) if b.len() == 4 || b.len() == 16 => {
                            let ip: std::net::IpAddr = match <[u8; 4]>::try_from(*b) {
                                Ok(v4) => v4.into(),
                                Err(_) => <[u8; 16]>::try_from(*b).map_err(internal)?.into(),
                            };
                            ip.to_string()
                        }
                        _ => return Ok(false),
                    });
                }
            }
        }
        let mut held = std::collections::HashSet::new();
        for order_id in self.store.orders_of(account_id)? {
            let Some(order) = self.store.order(&order_id)? else {
                continue;
            };
            for authz_id in &order.authz_ids {
                if let Some(a) = self.store.authz(authz_id)? {
                    if a.status == crate::model::Status::Valid && a.expires >= now() {
                        held.insert(a.identifier.value);
                    }
                }
            }
        }
        Ok(!names.is_empty() && names.iter().all(|n| held.contains(n)))
    }

    /// The CA's CRL (DER, `application/pkix-crl`), built from the store on each request and
    /// signed with the CA key. The CRL number is the signing time, so it only grows.
    pub fn crl_der(&self) -> Result<Vec<u8>> {
        let key = rcgen::KeyPair::try_from(self.ca.key().pkcs8_der()).map_err(internal)?;
        let issuer = rcgen::Issuer::from_ca_cert_pem(&self.ca.cert_pem(), key).map_err(internal)?;
        let at = |t: i64| time::OffsetDateTime::from_unix_timestamp(t).map_err(internal);
        let revoked = self
            .store
            .revoked()?
            .iter()
            .filter_map(|c| {
                let (when, reason) = c.revoked?;
                Some((hex::decode(&c.serial_hex).ok()?, when, reason))
            })
            .map(|(serial, when, reason)| {
                Ok(rcgen::RevokedCertParams {
                    serial_number: rcgen::SerialNumber::from_slice(&serial),
                    revocation_time: at(when)?,
                    reason_code: reason_code(reason).ok(),
                    invalidity_date: None,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let t = now();
        let params = rcgen::CertificateRevocationListParams {
            this_update: at(t - 60)?,
            next_update: at(t + CRL_LIFETIME)?,
            crl_number: rcgen::SerialNumber::from(t as u64),
            issuing_distribution_point: None,
            revoked_certs: revoked,
            key_identifier_method: rcgen::KeyIdMethod::Sha256,
        };
        let crl = params.signed_by(&issuer).map_err(internal)?;
        Ok(crl.der().to_vec())
    }

    pub(crate) fn crl(&self) -> Result<Reply> {
        Ok(Reply::bytes("application/pkix-crl", self.crl_der()?))
    }

    /// RFC 9773 §4.1: `GET renewalInfo/base64url(AKI keyIdentifier).base64url(serial)`.
    pub(crate) fn renewal_info(&self, cert_id: &str) -> Result<Reply> {
        let cert = self.cert_by_ari_id(cert_id)?;
        let life = (cert.not_after - cert.not_before).max(0);
        let (start, end) = match cert.revoked {
            // Revoked: a window in the past means "renew now".
            Some(_) => (now() - 2 * 3600, now() - 3600),
            None => (
                cert.not_before + life * 2 / 3,
                cert.not_before + life * 5 / 6,
            ),
        };
        let mut r = Reply::json(
            200,
            &json!({ "suggestedWindow": { "start": rfc3339(start), "end": rfc3339(end) } }),
        );
        r.retry_after = Some(ARI_RETRY_AFTER);
        Ok(r)
    }

    pub(crate) fn cert_by_ari_id(&self, cert_id: &str) -> Result<CertRecord> {
        let (aki, serial) = cert_id
            .split_once('.')
            .ok_or_else(|| AcmeError::Malformed("certID is AKI.serial (base64url)".into()))?;
        let serial = unb64(serial, "certID serial")?;
        let cert = self
            .store
            .certificate_by_serial(&hex::encode(&serial))?
            .ok_or_else(|| AcmeError::NotFound("no certificate with that serial".into()))?;
        let der = hex::decode(&cert.der_hex).map_err(internal)?;
        if ari_cert_id(&der)? != format!("{aki}.{}", b64(&serial)) {
            return Err(AcmeError::NotFound(
                "the certID's AKI is not this CA's".into(),
            ));
        }
        Ok(cert)
    }
}

/// The RFC 9773 certID of a certificate: `base64url(AKI keyIdentifier) "." base64url(serial)`.
pub fn ari_cert_id(der: &[u8]) -> Result<String> {
    use x509_parser::extensions::ParsedExtension;
    let (_, cert) = x509_parser::parse_x509_certificate(der)
        .map_err(|e| AcmeError::Malformed(format!("not a certificate: {e}")))?;
    let aki = cert
        .extensions()
        .iter()
        .find_map(|e| match e.parsed_extension() {
            ParsedExtension::AuthorityKeyIdentifier(a) => a.key_identifier.as_ref().map(|k| k.0),
            _ => None,
        })
        .ok_or_else(|| AcmeError::Malformed("the certificate has no AKI keyIdentifier".into()))?;
    Ok(format!("{}.{}", b64(aki), b64(cert.raw_serial())))
}
