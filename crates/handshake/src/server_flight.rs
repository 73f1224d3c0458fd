//! What a server answers a ClientHello with, and the choices behind it: the extensions a
//! TLS 1.3 hello must carry, the key share, certificate, ALPN and record_size_limit chosen, then
//! ServerHello, EncryptedExtensions, CertificateRequest, Certificate and CertificateVerify.
//! The state machine (`server.rs`) calls these in order.

use std::sync::Arc;

use https_record::{AlertDescription, CipherSuite};
use ring::rand::SystemRandom;

use crate::client::TLS13;
use crate::codec::*;
use crate::common::{random32, Common, TrafficSecrets};
use crate::config::{ClientAuth, ClientHelloInfo, ServerConfig};
use crate::error::Error;
use crate::keyschedule::{
    finished_verify_data, EarlySecret, HandshakeSecret, MasterSecret, Secret, Transcript,
};
use crate::kx::NamedGroup;
use crate::sign::CertifiedKey;

/// missing_extension for a hello without `what`.
pub(crate) fn missing(what: &'static str) -> Error {
    Error::proto(
        AlertDescription::MissingExtension,
        format!("ClientHello has no {what}"),
    )
}

/// Our most preferred group the client sent a share for.
pub(crate) fn choose_share<'a>(
    ours: &[NamedGroup],
    shares: &'a [KeyShareEntry],
) -> Option<(NamedGroup, &'a KeyShareEntry)> {
    ours.iter().find_map(|g| {
        shares
            .iter()
            .find(|s| s.group == g.to_u16())
            .map(|s| (*g, s))
    })
}

/// EncryptedExtensions: our record_size_limit (the maximum) when the client sent one, the
/// server_name acknowledgement, the ALPN protocol chosen. Never early_data: 0-RTT is rejected.
pub(crate) fn send_encrypted_extensions(
    cx: &mut Common,
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

/// signature_algorithms, supported_groups, key_share.
type Required<'a> = (&'a [u16], &'a [u16], &'a [KeyShareEntry]);

/// signature_algorithms, supported_groups and key_share: a TLS 1.3 hello without them is
/// missing_extension (RFC 8446 §9.2).
pub(crate) fn required_extensions(ch: &ClientHello) -> Result<Required<'_>, Error> {
    let Some(ClientExtension::SignatureAlgorithms(sigalgs)) =
        ch.ext(ExtensionType::SignatureAlgorithms)
    else {
        return Err(missing("signature_algorithms"));
    };
    let Some(ClientExtension::SupportedGroups(groups)) = ch.ext(ExtensionType::SupportedGroups)
    else {
        return Err(missing("supported_groups"));
    };
    let Some(ClientExtension::KeyShare(shares)) = ch.ext(ExtensionType::KeyShare) else {
        return Err(missing("key_share"));
    };
    Ok((sigalgs, groups, shares))
}

/// record_size_limit (RFC 8449): the client's, honoured; below 64 is illegal_parameter.
pub(crate) fn record_size_limit(ch: &ClientHello) -> Result<Option<u16>, Error> {
    match ch.ext(ExtensionType::RecordSizeLimit) {
        Some(ClientExtension::RecordSizeLimit(l)) if *l < 64 => {
            Err(Error::illegal("record_size_limit below 64"))
        }
        Some(ClientExtension::RecordSizeLimit(l)) => Ok(Some(*l)),
        _ => Ok(None),
    }
}

/// The host_name in server_name (RFC 6066 §3). Any printable ASCII name goes to the resolver
/// (which may not know it); only garbage is refused.
pub(crate) fn requested_sni(ch: &ClientHello) -> Result<Option<&str>, Error> {
    let Some(ClientExtension::ServerName(list)) = ch.ext(ExtensionType::ServerName) else {
        return Ok(None);
    };
    let Some(e) = list.iter().find(|e| e.name_type == 0) else {
        return Ok(None);
    };
    std::str::from_utf8(&e.name)
        .ok()
        .filter(|n| n.bytes().all(|b| b.is_ascii_graphic()))
        .map(Some)
        .ok_or_else(|| Error::illegal("server_name is not a printable ASCII host name"))
}

/// SNI -> certificate, and the signature scheme its key will use.
pub(crate) fn choose_cert(
    config: &ServerConfig,
    sni: Option<&str>,
    sigalgs: &[u16],
    ch: &ClientHello,
) -> Result<(Arc<CertifiedKey>, u16), Error> {
    let alpn_protocols = match ch.ext(ExtensionType::Alpn) {
        Some(ClientExtension::Alpn(offered)) => offered.as_slice(),
        _ => &[],
    };
    let cert = config
        .resolver
        .resolve(&ClientHelloInfo {
            server_name: sni,
            signature_schemes: sigalgs,
            alpn_protocols,
        })
        .ok_or_else(|| match sni {
            Some(_) => Error::proto(
                AlertDescription::UnrecognizedName,
                "no certificate for this server_name",
            ),
            None => Error::handshake_failure("no certificate"),
        })?;
    let scheme = cert
        .key
        .choose_scheme(sigalgs)
        .ok_or_else(|| Error::handshake_failure("no signature scheme in common with our key"))?;
    Ok((cert, scheme))
}

/// Our first ALPN protocol the client offers; none in common is no_application_protocol.
pub(crate) fn choose_alpn(
    config: &ServerConfig,
    ch: &ClientHello,
) -> Result<Option<Vec<u8>>, Error> {
    match ch.ext(ExtensionType::Alpn) {
        Some(ClientExtension::Alpn(offered)) if !config.alpn.is_empty() => config
            .alpn
            .iter()
            .find(|p| offered.contains(p))
            .cloned()
            .map(Some)
            .ok_or_else(|| {
                Error::proto(
                    AlertDescription::NoApplicationProtocol,
                    "no ALPN protocol in common",
                )
            }),
        _ => Ok(None),
    }
}

/// What the ServerHello says, and the client's share it answers.
pub(crate) struct HelloOut<'a> {
    pub(crate) suite: CipherSuite,
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
        cx: &mut Common,
        t: &mut Transcript,
    ) -> Result<(HandshakeSecret, Secret, Secret), Error> {
        let rng = SystemRandom::new();
        let (payload, shared) = crate::kx::respond(self.group, self.peer_share, &rng)?;
        let our_share = KeyShareEntry {
            group: self.group.to_u16(),
            payload,
        };
        let mut extensions = vec![
            ServerExtension::SupportedVersions(TLS13),
            ServerExtension::KeyShare(our_share),
        ];
        if self.psk.is_some() {
            extensions.push(ServerExtension::PreSharedKey(0));
        }
        let sh = ServerHello {
            legacy_version: crate::codec::ProtocolVersion::Tls12.to_u16(),
            random: random32(&rng)?,
            session_id: self.session_id.to_vec(),
            cipher_suite: self.suite.to_u16(),
            compression_method: 0,
            extensions,
            extensions_omitted: false,
        };
        cx.send_hs(
            &HandshakeMessage(HandshakePayload::ServerHello(sh)),
            Some(t),
        );
        cx.flush_hs()?;
        cx.record.allow_compat_ccs(true);
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
        cx.peer_record_limit = self.record_limit;
        cx.set_write_key(self.suite, &server)?;
        cx.set_read_key(self.suite, &client);
        Ok((ks, client, server))
    }
}

/// CertificateRequest: our verifier's signature schemes, no context.
pub(crate) fn certificate_request(auth: &ClientAuth) -> CertificateRequestPayload {
    let mut body = Vec::new();
    put_u16_list(&mut body, LenPrefix::U16, auth.verifier.supported_schemes());
    CertificateRequestPayload {
        context: Vec::new(),
        extensions: vec![RawExtension {
            typ: ExtensionType::SignatureAlgorithms,
            body,
        }],
    }
}

/// Certificate and CertificateVerify (the transcript signed with the certificate's key).
pub(crate) fn send_certificate(
    cx: &mut Common,
    t: &mut Transcript,
    cert: &CertifiedKey,
    scheme: u16,
) -> Result<(), Error> {
    crate::auth::send_certificate(cx, t, Vec::new(), &cert.chain);
    crate::auth::send_certificate_verify(cx, t, &cert.key, scheme, true)
}

/// Our Finished, then the application secrets (our write key switches at once; the client's
/// read key waits for its Finished). Returns the master secret, the application traffic
/// secrets and the exporter secret.
pub(crate) fn send_finished(
    cx: &mut Common,
    t: &mut Transcript,
    ks: HandshakeSecret,
    suite: CipherSuite,
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
