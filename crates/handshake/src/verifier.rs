//! Certificate verification behind traits, the defaults using https-verify: the peer's
//! CertificateVerify signature ([`SignatureVerifier`], shared by both roles) and its chain
//! ([`ServerCertVerifier`] for clients, [`ClientCertVerifier`] for servers).

use std::fmt::Debug;

use https_verify::{Purpose, Request, ServerName, TrustAnchors};

use crate::error::{Error, PeerMisbehaved};
use crate::sign::{SignatureScheme, VERIFY_SCHEMES};

/// Checks a peer's CertificateVerify signature; the defaults are what TLS 1.3 asks (the end
/// entity's key, the schemes https-verify implements), so most verifiers implement nothing here.
pub trait SignatureVerifier: Send + Sync + Debug {
    /// Verifies a CertificateVerify signature over `message` with the end entity's key.
    fn verify_signature(
        &self,
        message: &[u8],
        end_entity: &[u8],
        scheme: SignatureScheme,
        signature: &[u8],
    ) -> Result<(), Error> {
        verify_tls13_signature(message, end_entity, scheme, signature)
    }

    /// The signature schemes offered in signature_algorithms (a client) or CertificateRequest
    /// (a server).
    fn supported_schemes(&self) -> &[SignatureScheme] {
        VERIFY_SCHEMES
    }
}

/// The default [`SignatureVerifier::verify_signature`]: `signature` by the key of `end_entity`
/// (DER) under `scheme`. An unreadable key is [`Error::Certificate`]; a bad signature
/// [`Error::CertificateSignature`].
pub fn verify_tls13_signature(
    message: &[u8],
    end_entity: &[u8],
    scheme: SignatureScheme,
    signature: &[u8],
) -> Result<(), Error> {
    let spki = https_verify::end_entity_spki(end_entity).map_err(Error::Certificate)?;
    let algorithm = scheme
        .algorithm()
        .ok_or_else(|| Error::illegal(PeerMisbehaved::UnsupportedSignatureScheme(scheme)))?;
    https_verify::verify_signature(&spki, algorithm, message, signature)
        .map_err(Error::CertificateSignature)
}

/// Checks the server's certificate chain (its CertificateVerify through [`SignatureVerifier`]).
/// Implement it to plug in your own policy (pinning, a different validator...).
pub trait ServerCertVerifier: SignatureVerifier {
    /// Validates `end_entity` (DER) for `server_name` using `intermediates` (DER, as sent).
    /// On failure return [`Error::Certificate`] (an https-verify verdict) or
    /// [`Error::CertificateRejected`] with the alert to send.
    fn verify_server_cert(
        &self,
        end_entity: &[u8],
        intermediates: &[&[u8]],
        server_name: &str,
    ) -> Result<(), Error>;
}

/// Runs https-verify's path validation; a rejection becomes the certificate alert it names.
fn verify_path(req: &Request<'_>) -> Result<(), Error> {
    https_verify::verify_chain(req)
        .map(|_| ())
        .map_err(Error::Certificate)
}

/// The default verifier: https-verify path validation against trust anchors, with the name check.
#[derive(Debug)]
pub struct WebPkiVerifier {
    pub(crate) anchors: TrustAnchors,
    pub(crate) time: Option<i64>,
}

impl WebPkiVerifier {
    /// Verifies against `anchors` at the current time.
    pub fn new(anchors: TrustAnchors) -> Self {
        Self {
            anchors,
            time: None,
        }
    }
    /// Verifies at a fixed Unix time (tests, reproducible traces).
    pub fn at_time(mut self, unix: i64) -> Self {
        self.time = Some(unix);
        self
    }
}

impl ServerCertVerifier for WebPkiVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &[u8],
        intermediates: &[&[u8]],
        server_name: &str,
    ) -> Result<(), Error> {
        // ClientConnection::new checked the name: a failure here is a custom caller's bug.
        let name = ServerName::parse(server_name)
            .map_err(|e| Error::internal(format!("bad server name {server_name:?}: {e}")))?;
        let now = self.time.unwrap_or_else(https_verify::unix_now);
        let req = Request::new(end_entity, &self.anchors, now)
            .intermediates(intermediates)
            .name(&name)
            .purpose(Purpose::Server);
        verify_path(&req)
    }
}

impl SignatureVerifier for WebPkiVerifier {}

/// Checks a client's certificate chain (servers that request client certificates; its
/// CertificateVerify through [`SignatureVerifier`]).
pub trait ClientCertVerifier: SignatureVerifier {
    /// Validates the client's `end_entity` (DER) with `intermediates` for client authentication.
    fn verify_client_cert(&self, end_entity: &[u8], intermediates: &[&[u8]]) -> Result<(), Error>;
}

/// The default client verifier: https-verify path validation for the clientAuth purpose.
#[derive(Debug)]
pub struct WebPkiClientVerifier {
    inner: WebPkiVerifier,
}

impl WebPkiClientVerifier {
    /// Accepts client certificates issued under `anchors`.
    pub fn new(anchors: TrustAnchors) -> Self {
        Self {
            inner: WebPkiVerifier::new(anchors),
        }
    }
}

impl ClientCertVerifier for WebPkiClientVerifier {
    fn verify_client_cert(&self, end_entity: &[u8], intermediates: &[&[u8]]) -> Result<(), Error> {
        let now = self.inner.time.unwrap_or_else(https_verify::unix_now);
        let req = Request::new(end_entity, &self.inner.anchors, now)
            .intermediates(intermediates)
            .purpose(Purpose::Client);
        verify_path(&req)
    }
}

impl SignatureVerifier for WebPkiClientVerifier {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::certificate_alert;
    use https_record::AlertDescription;
    use https_verify::VerifyError;

    fn err(kind: &str) -> VerifyError {
        let s = String::new();
        match kind {
            "expired" => VerifyError::Expired {
                subject: s.clone(),
                not_after: s.clone(),
                not_after_unix: 0,
                now: s,
            },
            "not_yet_valid" => VerifyError::NotYetValid {
                subject: s.clone(),
                not_before: s.clone(),
                now: s,
            },
            "unknown_issuer" => VerifyError::UnknownIssuer { issuer: s },
            "path_too_long" => VerifyError::PathTooLong { max: 1 },
            "revoked" => VerifyError::Revoked {
                subject: s.clone(),
                serial: s,
            },
            "unsupported_algorithm" => VerifyError::UnsupportedAlgorithm { what: s },
            "extended_key_usage" => VerifyError::ExtendedKeyUsage {
                subject: s.clone(),
                purpose: s,
            },
            "invalid_input" => VerifyError::InvalidInput { what: s },
            "bad_signature" => VerifyError::BadSignature { algorithm: s },
            "name_mismatch" => VerifyError::NameMismatch {
                expected: s,
                presented: vec![],
            },
            _ => VerifyError::Malformed { what: s },
        }
    }

    #[test]
    fn each_validation_failure_names_its_rfc_8446_alert() {
        use AlertDescription as A;
        for (kind, alert) in [
            ("expired", A::CertificateExpired),
            ("not_yet_valid", A::CertificateExpired),
            ("unknown_issuer", A::UnknownCa),
            ("path_too_long", A::UnknownCa),
            ("revoked", A::CertificateRevoked),
            ("unsupported_algorithm", A::UnsupportedCertificate),
            ("extended_key_usage", A::UnsupportedCertificate),
            ("invalid_input", A::IllegalParameter),
            ("bad_signature", A::BadCertificate),
            ("name_mismatch", A::BadCertificate),
            ("malformed", A::BadCertificate),
        ] {
            let e = err(kind);
            assert_eq!(e.kind(), kind);
            assert_eq!(certificate_alert(&e), alert, "{kind}");
        }
    }

    #[test]
    fn scheme_code_points_round_trip_and_map_to_algorithms() {
        for v in 0..=u16::MAX {
            assert_eq!(SignatureScheme::from_u16(v).to_u16(), v);
        }
        for s in SignatureScheme::ALL {
            assert!(s.algorithm().is_some(), "{s}");
        }
        assert_eq!(
            SignatureScheme::from_u16(0x0403),
            SignatureScheme::EcdsaSecp256r1Sha256
        );
        assert_eq!(
            SignatureScheme::EcdsaSecp384r1Sha384.algorithm(),
            Some(https_verify::SignatureAlgorithm::EcdsaP384Sha384)
        );
        assert!(!SignatureScheme::RsaPkcs1Sha256.allowed_in_tls13_certificate_verify());
        assert!(SignatureScheme::RsaPssRsaeSha256.allowed_in_tls13_certificate_verify());
        assert_eq!(
            SignatureScheme::from_u16(0x0203),
            SignatureScheme::Unknown(0x0203)
        );
        assert_eq!(SignatureScheme::Unknown(0x0203).algorithm(), None);
        assert_eq!(SignatureScheme::from_u16(0x0807).name(), "ed25519");
        assert!(crate::sign::VERIFY_SCHEMES
            .iter()
            .all(|s| s.algorithm().is_some() && s.allowed_in_tls13_certificate_verify()));
        assert_eq!(crate::sign::VERIFY_SCHEMES.len(), 6);
    }
}
