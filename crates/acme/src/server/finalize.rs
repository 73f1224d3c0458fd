//! Finalize (RFC 8555 §7.4): the CSR must name exactly the order's identifiers, then it goes
//! through the CA's signing policy (`CertificateAuthority::sign_csr`, the same as `ca sign`).
//! Certificate download (§7.4.2) is here too.

use serde::Deserialize;

use super::auth::KeyForm;
use super::{AcmeServer, Reply};
use crate::ids::new_id;
use crate::jws::unb64;
use crate::model::{CertRecord, Identifier, Status};
use crate::problem::{AcmeError, Result};
use https_pki::{Csr, SubjectAltName};

#[derive(Deserialize)]
struct Finalize {
    csr: String,
}

/// The identifiers a CSR asks for: its SANs and its CN, normalized, sorted, deduplicated.
pub(crate) fn csr_identifiers(csr: &Csr) -> Result<Vec<Identifier>> {
    if let Some(n) = csr.unsupported_names().first() {
        return Err(AcmeError::BadCsr(format!(
            "the CSR names {n}, which is not a DNS name or IP"
        )));
    }
    let mut ids = Vec::new();
    for san in csr.subject_alt_names() {
        ids.push(match san {
            SubjectAltName::Ip(ip) => Identifier {
                kind: "ip".into(),
                value: ip.to_string(),
            },
            // A certificate with DNS:192.0.2.1 matches no TLS client's check for that address.
            other if other.value().parse::<std::net::IpAddr>().is_ok() => {
                return Err(AcmeError::BadCsr(format!(
                    "{} is an IP address in a dNSName; RFC 8738 needs an iPAddress SAN",
                    other.value()
                )))
            }
            other => Identifier {
                kind: "dns".into(),
                value: other.value(),
            },
        });
    }
    if let Some(cn) = csr.common_name().filter(|cn| !cn.is_empty()) {
        let kind = if cn.parse::<std::net::IpAddr>().is_ok() {
            "ip"
        } else {
            "dns"
        };
        ids.push(Identifier {
            kind: kind.into(),
            value: cn.to_string(),
        });
    }
    let mut ids = ids
        .iter()
        .map(|i| i.normalized().map_err(|e| AcmeError::BadCsr(e.to_string())))
        .collect::<Result<Vec<_>>>()?;
    ids.sort();
    ids.dedup();
    Ok(ids)
}

fn names(ids: &[Identifier]) -> String {
    ids.iter()
        .map(|i| i.value.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Serial (hex) and validity of a certificate we issued.
pub(crate) fn cert_facts(der: &[u8]) -> Result<(String, i64, i64)> {
    let (_, cert) = x509_parser::parse_x509_certificate(der)
        .map_err(|e| AcmeError::Malformed(format!("not a certificate: {e}")))?;
    let serial = hex::encode(cert.raw_serial());
    let v = cert.validity();
    Ok((serial, v.not_before.timestamp(), v.not_after.timestamp()))
}

impl AcmeServer {
    pub(crate) fn finalize(&self, url: &str, id: &str, body: &[u8]) -> Result<Reply> {
        let auth = self.authenticate(url, body, KeyForm::Kid)?;
        let mut order = self.owned_order(&auth, id)?;
        if order.status != Status::Ready {
            return Err(AcmeError::OrderNotReady(format!(
                "the order is {:?}; finalize needs every authorization valid (ready)",
                order.status
            )));
        }
        let req: Finalize = auth
            .jws
            .json()?
            .ok_or_else(|| AcmeError::Malformed("finalize needs {\"csr\": ...}".into()))?;
        let der = unb64(&req.csr, "csr")?;
        let csr = Csr::from_der(&der).map_err(|e| AcmeError::BadCsr(e.to_string()))?;
        // RFC 8555 §11.1: the account key must not also be the certificate's key.
        if auth.key.matches_spki(csr.public_key_der()) {
            return Err(AcmeError::BadCsr(
                "the CSR's public key is the account key; use a separate key".into(),
            ));
        }
        let asked = csr_identifiers(&csr)?;
        if asked != order.identifiers {
            return Err(AcmeError::BadCsr(format!(
                "the CSR names [{}] but the order is for [{}]",
                names(&asked),
                names(&order.identifiers)
            )));
        }
        let profile = https_pki::Profile::server().days(self.cfg.cert_days);
        let signed = self
            .ca
            .sign_csr(&csr, &profile)
            .map_err(|e| AcmeError::BadCsr(e.to_string()))?;
        let (serial_hex, not_before, not_after) = cert_facts(&signed.cert_der)?;
        let cert = CertRecord {
            id: new_id()?,
            order_id: order.id.clone(),
            account_id: order.account_id.clone(),
            serial_hex,
            der_hex: hex::encode(&signed.cert_der),
            chain_pem: self.chain_for(&signed),
            not_before,
            not_after,
            revoked: None,
        };
        order.status = Status::Valid;
        order.certificate_id = Some(cert.id.clone());
        self.store.finalize(&order, &cert)?;
        Ok(Reply::json(200, &self.order_view(&order)).with_location(self.order_url(&order.id)))
    }

    /// Leaf + intermediates, and the root when the CA is a root: clients (certbot) expect a
    /// chain of at least two certificates, and the root is what they must trust anyway.
    fn chain_for(&self, signed: &https_pki::Signed) -> String {
        let mut chain = signed.fullchain_pem();
        if self.ca.is_root() {
            chain.push_str(&self.ca.cert_pem());
        }
        chain
    }

    /// POST-as-GET of a certificate: leaf + intermediates, `application/pem-certificate-chain`.
    pub(crate) fn certificate(&self, url: &str, id: &str, body: &[u8]) -> Result<Reply> {
        let auth = self.authenticate(url, body, KeyForm::Kid)?;
        let account = auth.account()?;
        if !auth.jws.payload.is_empty() {
            return Err(AcmeError::Malformed(
                "certificate download is POST-as-GET (empty payload)".into(),
            ));
        }
        let cert = self
            .store
            .certificate(id)?
            .filter(|c| c.account_id == account.id)
            .ok_or_else(|| AcmeError::NotFound(format!("no certificate {id} for this account")))?;
        Ok(Reply::bytes(
            "application/pem-certificate-chain",
            cert.chain_pem.into_bytes(),
        ))
    }
}
