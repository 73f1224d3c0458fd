//! The authentication steps both roles share (RFC 8446 §4.4.2–4.4.3): sending Certificate and
//! CertificateVerify, and checking the peer's CertificateVerify. The server calls them for its own
//! certificate and for a client's; the client for the server's and for its own. Also the peer's
//! Finished (RFC 8446 §4.4.4), checked the same way by both.

use crate::codec::*;
use crate::common::cv_message;
use crate::context::Context;
use crate::error::{Error, PeerMisbehaved};
use https_record::{AlertDescription, HashAlg};

use crate::keyschedule::{verify_finished, Secret, Transcript};
use crate::sign::{SignatureScheme, SigningKey};

/// Certificate: `chain` (leaf first, no per-entry extensions) under the request `context`
/// (empty for a server; the CertificateRequest's for a client). An empty chain is a client's
/// "no certificate".
pub(crate) fn send_certificate(
    cx: &mut Context<'_>,
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
    cx: &mut Context<'_>,
    t: &mut Transcript,
    key: &SigningKey,
    scheme: SignatureScheme,
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
    cx: &Context<'_>,
    t: &Transcript,
    cv: &CertificateVerifyPayload,
    offered: &[SignatureScheme],
    from_server: bool,
    verify: impl FnOnce(&[u8], &[u8], SignatureScheme, &[u8]) -> Result<(), Error>,
) -> Result<(), Error> {
    if !cv.scheme.allowed_in_tls13_certificate_verify() || !offered.contains(&cv.scheme) {
        return Err(Error::illegal(PeerMisbehaved::CertificateVerifyScheme(
            cv.scheme,
        )));
    }
    let m = cv_message(from_server, t.current_hash().as_ref());
    let leaf = cx
        .info()
        .peer_certs
        .first()
        .ok_or_else(|| Error::internal("CertificateVerify without a certificate"))?;
    verify(&m, leaf, cv.scheme, &cv.signature)
}

/// Checks the peer's Finished against its handshake traffic secret `base_key` and transcript `t`
/// (not yet including it): wrong length → decode_error; a MAC that does not match (compared in
/// constant time by ring) → decrypt_error. `what` names it in the trace and the error.
pub(crate) fn check_finished(
    cx: &mut Context<'_>,
    hash: HashAlg,
    base_key: &Secret,
    t: &Transcript,
    verify_data: &[u8],
    what: &'static str,
) -> Result<(), Error> {
    if verify_data.len() != hash.output_len() {
        return Err(Error::decode(PeerMisbehaved::FinishedLength));
    }
    let th = t.current_hash();
    if !verify_finished(hash, base_key.as_bytes(), th.as_ref(), verify_data) {
        return Err(Error::proto(
            AlertDescription::DecryptError,
            PeerMisbehaved::BadFinished(what),
        ));
    }
    cx.check(what, || {
        "MAC over the transcript matches (constant-time)".into()
    });
    Ok(())
}
