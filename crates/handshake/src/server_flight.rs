//! The server's flight, one `emit_*` step per message, from what `negotiate.rs` decided:
//! ServerHello (`HelloOut::send`, with the key exchange) or HelloRetryRequest,
//! EncryptedExtensions, CertificateRequest, Certificate + CertificateVerify, Finished.
//! The state machine (`server.rs`) calls these in order.

use https_record::Tls13Suite;
use ring::rand::SystemRandom;

use crate::codec::*;
use crate::common::{random32, TrafficSecrets};
use crate::config::ClientAuth;
use crate::context::Context;
use crate::error::Error;
use crate::keyschedule::{
    finished_verify_data, EarlySecret, HandshakeSecret, MasterSecret, Secret, Transcript,
};
use crate::kx::{KeyExchange, NamedGroup};
use crate::sign::CertifiedKey;

/// EncryptedExtensions: our record_size_limit (the maximum) when the client sent one, the
/// server_name acknowledgement, the ALPN protocol chosen. Never early_data: 0-RTT is rejected.
pub(crate) fn emit_encrypted_extensions(
    cx: &mut Context<'_>,
    t: &mut Transcript,
    record_limit: Option<u16>,
    sni: bool,
    alpn: Option<Vec<u8>>,
) {
    let mut ee = Vec::new();
    if record_limit.is_some() {
        ee.push(EncryptedExtension::RecordSizeLimit(
            https_record::MAX_PLAINTEXT_LEN as u16 + 1,
        ));
    }
    if sni {
        ee.push(EncryptedExtension::ServerNameAck);
    }
    if let Some(p) = alpn {
        cx.negotiated("ALPN", || String::from_utf8_lossy(&p).into_owned());
        ee.push(EncryptedExtension::Alpn(p));
    }
    cx.send_hs(
        &HandshakeMessage(HandshakePayload::EncryptedExtensions(ee)),
        Some(t),
    );
}

/// What the ServerHello says, and the client's share it answers.
pub(crate) struct HelloOut<'a> {
    pub(crate) suite: Tls13Suite,
    pub(crate) group: NamedGroup,
    pub(crate) peer_share: &'a [u8],
    pub(crate) psk: Option<&'a Secret>,
    pub(crate) session_id: &'a [u8],
    pub(crate) record_limit: Option<u16>,
}

impl HelloOut<'_> {
    /// Our key share, the ServerHello (+ the compatibility CCS), and the handshake secrets, now
    /// installed (with the client's record_size_limit on our write key).
    pub(crate) fn send(
        &self,
        cx: &mut Context<'_>,
        t: &mut Transcript,
    ) -> Result<(HandshakeSecret, Secret, Secret), Error> {
        let rng = SystemRandom::new();
        let kx = KeyExchange::start(self.group, &rng)?;
        let our_share = KeyShareEntry {
            group: self.group.to_u16(),
            payload: kx.public.clone(),
        };
        let shared = kx.complete(self.peer_share)?;
        let mut extensions = vec![
            ServerExtension::SupportedVersions(ProtocolVersion::Tls13),
            ServerExtension::KeyShare(our_share),
        ];
        if self.psk.is_some() {
            extensions.push(ServerExtension::PreSharedKey(0));
        }
        let sh = ServerHello {
            legacy_version: ProtocolVersion::Tls12,
            random: random32(&rng)?,
            session_id: self.session_id.to_vec(),
            cipher_suite: self.suite.code_point(),
            compression_method: 0,
            extensions,
            extensions_omitted: false,
        };
        cx.send_hs(
            &HandshakeMessage(HandshakePayload::ServerHello(sh)),
            Some(t),
        );
        cx.flush_hs()?;
        cx.allow_compat_ccs(true);
        if !self.session_id.is_empty() {
            cx.send_ccs()?;
        }
        let early = EarlySecret::new(self.suite.hash(), self.psk.map(Secret::as_bytes));
        cx.trace(|| crate::TraceEvent::Secret {
            name: "early_secret",
        });
        let th = t.current_hash();
        let (ks, TrafficSecrets { client, server }) =
            cx.derive_handshake_secrets(early, shared.as_bytes(), th.as_ref());
        cx.set_peer_record_limit(self.record_limit);
        cx.set_write_key(self.suite, &server)?;
        cx.set_read_key(self.suite, &client);
        Ok((ks, client, server))
    }
}

/// CertificateRequest: our verifier's signature schemes, no context.
pub(crate) fn emit_certificate_request(
    cx: &mut Context<'_>,
    t: &mut Transcript,
    auth: &ClientAuth,
) {
    let cr = CertificateRequestPayload::new(Vec::new(), auth.verifier.supported_schemes());
    cx.send_hs(
        &HandshakeMessage(HandshakePayload::CertificateRequest(cr)),
        Some(t),
    );
}

/// HelloRetryRequest asking for `group`, with our cookie (+ the compatibility CCS).
pub(crate) fn emit_hello_retry_request(
    cx: &mut Context<'_>,
    t: &mut Transcript,
    session_id: &[u8],
    suite: Tls13Suite,
    group: NamedGroup,
    cookie: &[u8; 32],
) -> Result<(), Error> {
    let hrr = ServerHello {
        legacy_version: ProtocolVersion::Tls12,
        random: HRR_RANDOM,
        session_id: session_id.to_vec(),
        cipher_suite: suite.code_point(),
        compression_method: 0,
        extensions: vec![
            ServerExtension::SupportedVersions(ProtocolVersion::Tls13),
            ServerExtension::HrrKeyShare(group.to_u16()),
            ServerExtension::Cookie(cookie.to_vec()),
        ],
        extensions_omitted: false,
    };
    cx.send_hs(
        &HandshakeMessage(HandshakePayload::ServerHello(hrr)),
        Some(t),
    );
    cx.flush_hs()?;
    cx.allow_compat_ccs(true);
    if !session_id.is_empty() {
        cx.send_ccs()?;
    }
    Ok(())
}

/// Certificate and CertificateVerify (the transcript signed with the certificate's key).
pub(crate) fn emit_certificate(
    cx: &mut Context<'_>,
    t: &mut Transcript,
    cert: &CertifiedKey,
    scheme: SignatureScheme,
) -> Result<(), Error> {
    crate::auth::send_certificate(cx, t, Vec::new(), &cert.chain);
    crate::auth::send_certificate_verify(cx, t, &cert.key, scheme, true)
}

/// Our Finished, then the application secrets (our write key switches at once; the client's
/// read key waits for its Finished). Returns the master secret, the application traffic
/// secrets and the exporter secret.
pub(crate) fn emit_finished(
    cx: &mut Context<'_>,
    t: &mut Transcript,
    ks: HandshakeSecret,
    suite: Tls13Suite,
    server_hs: &Secret,
) -> Result<(MasterSecret, TrafficSecrets, Secret), Error> {
    let sf = finished_verify_data(
        suite.hash(),
        server_hs.as_bytes(),
        t.current_hash().as_ref(),
    );
    cx.send_hs(
        &HandshakeMessage(HandshakePayload::Finished(sf.as_bytes().to_vec())),
        Some(t),
    );
    let th = t.current_hash();
    let (ms, secrets, exporter) = cx.derive_application_secrets(ks, th.as_ref());
    cx.set_write_key(suite, &secrets.server)?;
    Ok((ms, secrets, exporter))
}
