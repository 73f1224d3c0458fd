//! Server certificate verification behind a trait; the default uses https-verify.

use std::fmt::Debug;

use https_record::AlertDescription;
use https_verify::{Purpose, Request, ServerName, SignatureScheme, TrustAnchors, VerifyError};

use crate::error::Error;
use crate::sign::VERIFY_SCHEMES;

/// Checks the server's certificate chain and its CertificateVerify signature. Implement it to plug in
/// your own policy (pinning, a different validator...).
pub trait ServerCertVerifier: Send + Sync + Debug {
    /// Validates `end_entity` (DER) for `server_name` using `intermediates` (DER, as sent).
    /// Return [`Error::Certificate`] with the alert to send on failure.
    fn verify_server_cert(
        &self,
        end_entity: &[u8],
        intermediates: &[&[u8]],
        server_name: &str,
    ) -> Result<(), Error>;

    /// Verifies a CertificateVerify signature over `message` with the end entity's key.
    fn verify_signature(
        &self,
        message: &[u8],
        end_entity: &[u8],
        scheme: u16,
        signature: &[u8],
    ) -> Result<(), Error>;

    /// The signature schemes offered in signature_algorithms.
    fn supported_schemes(&self) -> &[u16] {
        VERIFY_SCHEMES
    }
}

fn alert_of(e: &VerifyError) -> AlertDescription {
    AlertDescription::from_u8(e.alert().code())
}

/// Runs https-verify's path validation; a rejection becomes the certificate alert it names.
fn verify_path(req: &Request<'_>) -> Result<(), Error> {
    https_verify::verify_chain(req)
        .map(|_| ())
        .map_err(|e| Error::Certificate {
            alert: alert_of(&e),
            reason: e.to_string(),
        })
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
        let name = ServerName::parse(server_name).map_err(|e| Error::Certificate {
            alert: AlertDescription::InternalError,
            reason: format!("bad server name {server_name:?}: {e}"),
        })?;
        let now = self.time.unwrap_or_else(https_verify::unix_now);
        let req = Request::new(end_entity, &self.anchors, now)
            .intermediates(intermediates)
            .name(&name)
            .purpose(Purpose::Server);
        verify_path(&req)
    }

    fn verify_signature(
        &self,
        message: &[u8],
        end_entity: &[u8],
        scheme: u16,
        signature: &[u8],
    ) -> Result<(), Error> {
        let bad = |e: VerifyError| Error::Certificate {
            alert: AlertDescription::DecryptError,
            reason: e.to_string(),
        };
        let spki = https_verify::end_entity_spki(end_entity).map_err(|e| Error::Certificate {
            alert: AlertDescription::BadCertificate,
            reason: e.to_string(),
        })?;
        let scheme = SignatureScheme::from_u16(scheme)
            .ok_or_else(|| Error::illegal("unsupported signature scheme"))?;
        https_verify::verify_signature(&spki, scheme, message, signature).map_err(bad)
    }
}

/// Checks a client's certificate chain and CertificateVerify (servers that request client certificates).
pub trait ClientCertVerifier: Send + Sync + Debug {
    /// Validates the client's `end_entity` (DER) with `intermediates` for client authentication.
    fn verify_client_cert(&self, end_entity: &[u8], intermediates: &[&[u8]]) -> Result<(), Error>;
    /// Verifies the client's CertificateVerify signature over `message`.
    fn verify_signature(
        &self,
        message: &[u8],
        end_entity: &[u8],
        scheme: u16,
        signature: &[u8],
    ) -> Result<(), Error>;
    /// The schemes offered in CertificateRequest's signature_algorithms.
    fn supported_schemes(&self) -> &[u16] {
        VERIFY_SCHEMES
    }
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
    fn verify_signature(
        &self,
        message: &[u8],
        end_entity: &[u8],
        scheme: u16,
        signature: &[u8],
    ) -> Result<(), Error> {
        ServerCertVerifier::verify_signature(&self.inner, message, end_entity, scheme, signature)
    }
}
