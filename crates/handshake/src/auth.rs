//! The authentication steps both roles share (RFC 8446 §4.4.2–4.4.3): sending Certificate and
//! CertificateVerify, and checking the peer's CertificateVerify. The server calls them for its own
//! certificate and for a client's; the client for the server's and for its own.

use crate::codec::*;
use crate::common::{cv_message, Common};
use crate::error::Error;
use crate::keyschedule::Transcript;
use crate::sign::{scheme, SigningKey};

/// Certificate: `chain` (leaf first, no per-entry extensions) under the request `context`
/// (empty for a server; the CertificateRequest's for a client). An empty chain is a client's
/// "no certificate".
pub(crate) fn send_certificate(
    cx: &mut Common,
    t: &mut Transcript,
    context: Vec<u8>,
    chain: &[Vec<u8>],
) {
    let entries = chain
        .iter()
        .map(|c| CertificateEntry {
            cert: c.clone(),
            extensions: Vec::new(),
        })
        .collect();
    let cert = CertificatePayload { context, entries };
    cx.send_hs(
        &HandshakeMessage(HandshakePayload::Certificate(cert)),
        Some(t),
    );
}

/// CertificateVerify: the transcript so far, signed with `key` under `scheme`.
pub(crate) fn send_certificate_verify(
    cx: &mut Common,
    t: &mut Transcript,
    key: &SigningKey,
    scheme: u16,
    server: bool,
) -> Result<(), Error> {
    let signature = key.sign(scheme, &cv_message(server, t.current_hash().as_ref()))?;
    cx.send_hs(
        &HandshakeMessage(HandshakePayload::CertificateVerify(
            CertificateVerifyPayload { scheme, signature },
        )),
        Some(t),
    );
    Ok(())
}

/// Checks the peer's CertificateVerify over transcript `t` (not yet including it): a scheme we
/// offered (`offered`; PKCS#1 v1.5 never, RFC 8446 §4.4.3) → else illegal_parameter; then the
/// signature with the peer's leaf key through `verify` (its error carries decrypt_error).
pub(crate) fn check_certificate_verify(
    cx: &Common,
    t: &Transcript,
    cv: &CertificateVerifyPayload,
    offered: &[u16],
    from_server: bool,
    verify: impl FnOnce(&[u8], &[u8], u16, &[u8]) -> Result<(), Error>,
) -> Result<(), Error> {
    let pkcs1 = matches!(
        cv.scheme,
        scheme::RSA_PKCS1_SHA256 | scheme::RSA_PKCS1_SHA384 | scheme::RSA_PKCS1_SHA512
    );
    if pkcs1 || !offered.contains(&cv.scheme) {
        return Err(Error::illegal(
            "CertificateVerify uses a scheme we did not offer for it",
        ));
    }
    let m = cv_message(from_server, t.current_hash().as_ref());
    let leaf = cx
        .info
        .peer_certs
        .first()
        .ok_or_else(|| Error::internal("CertificateVerify without a certificate"))?;
    verify(&m, leaf, cv.scheme, &cv.signature)
}
