//! tls-alpn-01 (RFC 8737): a TLS handshake with our own client offering only `acme-tls/1`; the
//! server must answer with a self-signed certificate whose only SAN is the identifier and whose
//! critical acmeIdentifier extension holds SHA-256(key authorization).

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};

use https_handshake::{
    AlertDescription, ClientConfig, Error as TlsError, ServerCertVerifier, SignatureVerifier,
    TlsConnector,
};
use x509_parser::extensions::{GeneralName, ParsedExtension};

use super::Evidence;
use crate::model::Identifier;
use crate::problem::{AcmeError, Result};

/// The ALPN protocol id of RFC 8737 §6.2.
pub const ACME_TLS_ALPN: &[u8] = b"acme-tls/1";
/// id-pe-acmeIdentifier, 1.3.6.1.5.5.7.1.31 (RFC 8737 §6.1), as arcs.
pub const ACME_IDENTIFIER_OID: &[u64] = &[1, 3, 6, 1, 5, 5, 7, 1, 31];

/// The SNI for an identifier: the name itself, or for an IP the reverse-DNS name (RFC 8738 §6).
pub fn reverse_name(ident: &Identifier) -> String {
    match ident.value.parse::<IpAddr>() {
        Ok(IpAddr::V4(v4)) => {
            let o = v4.octets();
            format!("{}.{}.{}.{}.in-addr.arpa", o[3], o[2], o[1], o[0])
        }
        Ok(IpAddr::V6(v6)) => {
            let mut s = String::new();
            for b in v6.octets().iter().rev() {
                s.push_str(&format!("{:x}.{:x}.", b & 0xf, b >> 4));
            }
            s + "ip6.arpa"
        }
        Err(_) => ident.value.clone(),
    }
}

/// Checks the challenge certificate instead of a path to a root; records why it refused.
#[derive(Debug)]
struct ChallengeVerifier {
    ident: Identifier,
    digest: Vec<u8>,
    failure: Mutex<Option<String>>,
}

impl ChallengeVerifier {
    fn check(&self, der: &[u8]) -> std::result::Result<(), String> {
        let (_, cert) = x509_parser::parse_x509_certificate(der)
            .map_err(|e| format!("the challenge certificate does not parse: {e}"))?;
        let oid = x509_parser::der_parser::oid::Oid::from(ACME_IDENTIFIER_OID)
            .map_err(|_| "bad OID".to_string())?;
        let ext = cert
            .extensions()
            .iter()
            .find(|e| e.oid == oid)
            .ok_or("the certificate has no acmeIdentifier extension")?;
        if !ext.critical {
            return Err("the acmeIdentifier extension is not critical".into());
        }
        // extnValue is DER: OCTET STRING (32 bytes).
        let mut want = vec![0x04, 0x20];
        want.extend_from_slice(&self.digest);
        if ext.value != want.as_slice() {
            return Err("acmeIdentifier does not hold SHA-256 of the key authorization".into());
        }
        let names = cert
            .extensions()
            .iter()
            .find_map(|e| match e.parsed_extension() {
                ParsedExtension::SubjectAlternativeName(san) => Some(&san.general_names),
                _ => None,
            })
            .ok_or("the certificate has no subjectAltName")?;
        let ok = names.len() == 1
            && match (&names[0], self.ident.kind.as_str()) {
                (GeneralName::DNSName(n), "dns") => n.eq_ignore_ascii_case(&self.ident.value),
                (GeneralName::IPAddress(b), "ip") => {
                    ip_from(b).is_some_and(|ip| ip.to_string() == self.ident.value)
                }
                // RFC 8738 §6 wants an iPAddress SAN; lego 4.9 (Debian 12/13) writes the address
                // as a dNSName. The proof is the acmeIdentifier digest, so accept both forms.
                (GeneralName::DNSName(n), "ip") => n
                    .parse::<IpAddr>()
                    .is_ok_and(|ip| ip.to_string() == self.ident.value),
                _ => false,
            };
        if !ok {
            return Err(format!(
                "the subjectAltName must be exactly {} {}",
                self.ident.kind, self.ident.value
            ));
        }
        Ok(())
    }
}

fn ip_from(b: &[u8]) -> Option<IpAddr> {
    match b.len() {
        4 => <[u8; 4]>::try_from(b).ok().map(IpAddr::from),
        16 => <[u8; 16]>::try_from(b).ok().map(IpAddr::from),
        _ => None,
    }
}

impl ServerCertVerifier for ChallengeVerifier {
    fn verify_server_cert(&self, end_entity: &[u8], _: &[&[u8]], _: &str) -> Result<(), TlsError> {
        self.check(end_entity).map_err(|reason| {
            if let Ok(mut f) = self.failure.lock() {
                *f = Some(reason.clone());
            }
            TlsError::CertificateRejected {
                alert: AlertDescription::BadCertificate,
                reason,
            }
        })
    }
}

// The responder must prove its key: the default TLS 1.3 CertificateVerify check.
impl SignatureVerifier for ChallengeVerifier {}

pub(super) async fn validate(
    ident: &Identifier,
    addr: SocketAddr,
    key_auth: &str,
) -> Result<Evidence> {
    let digest = ring::digest::digest(&ring::digest::SHA256, key_auth.as_bytes());
    let verifier = Arc::new(ChallengeVerifier {
        ident: ident.clone(),
        digest: digest.as_ref().to_vec(),
        failure: Mutex::new(None),
    });
    let config = ClientConfig::builder()
        .with_verifier(verifier.clone())
        .with_alpn(&[ACME_TLS_ALPN])
        .with_resumption(false)
        .build()
        .map_err(|e| AcmeError::ServerInternal(e.to_string()))?;
    let sni = reverse_name(ident);
    let tcp = tokio::net::TcpStream::connect(addr)
        .await
        .map_err(|e| AcmeError::Connection(format!("{addr}: {e}")))?;
    let tls = TlsConnector::from(Arc::new(config))
        .connect(&sni, tcp)
        .await
        .map_err(|e| {
            let why = verifier.failure.lock().ok().and_then(|f| f.clone());
            match why {
                Some(reason) => {
                    AcmeError::IncorrectResponse(format!("{addr} (SNI {sni}): {reason}"))
                }
                None => AcmeError::Tls(format!("handshake with {addr} (SNI {sni}) failed: {e}")),
            }
        })?;
    if tls.connection().alpn_protocol() != Some(ACME_TLS_ALPN) {
        return Err(AcmeError::Tls(format!(
            "{addr} did not select ALPN acme-tls/1"
        )));
    }
    Ok(Evidence(format!(
        "TLS to {addr} (SNI {sni}, ALPN acme-tls/1): self-signed certificate for {} with acmeIdentifier SHA-256({key_auth})",
        ident.value
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reverse_names_follow_rfc8738() {
        let ip = |v: &str| Identifier {
            kind: "ip".into(),
            value: v.into(),
        };
        assert_eq!(reverse_name(&ip("127.0.0.1")), "1.0.0.127.in-addr.arpa");
        assert_eq!(
            reverse_name(&ip("::1")),
            "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa"
        );
    }
}
