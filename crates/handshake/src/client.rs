//! The client state machine (RFC 8446 §A.1), one type per state:
//! START -> WAIT_SH -> WAIT_EE -> WAIT_CERT_CR -> WAIT_CV -> WAIT_FINISHED -> CONNECTED.

use std::sync::Arc;

use https_record::{AlertDescription, Tls13Suite};
use ring::rand::SystemRandom;

use crate::codec::*;
use crate::common::{random32, TrafficSecrets};
use crate::config::ClientConfig;
use crate::context::{Context, HandshakeState};
use crate::error::{Error, Negotiable, PeerMisbehaved};
use crate::keyschedule::{
    finished_verify_data, label, EarlySecret, HandshakeSecret, Secret, Transcript,
};
use crate::kx::{ClientShares, NamedGroup};
use crate::resumption::{fill_binder, ClientResumption, StoredTicket};
use crate::traffic::Traffic;

/// Handshake secrets carried from ServerHello to Finished.
struct HsKeys {
    suite: Tls13Suite,
    ks: HandshakeSecret,
    transcript: Transcript,
    client_hs: Secret,
    server_hs: Secret,
    early: Option<crate::client_early::EarlySent>,
}

pub(crate) enum ClientState {
    ExpectServerHello(Box<ExpectServerHello>),
    ExpectEncryptedExtensions(Box<ExpectEncryptedExtensions>),
    // The server's authentication and Finished: one state type, three states.
    ExpectCertificate(Box<ServerFlight>),
    ExpectCertificateVerify(Box<ServerFlight>),
    ExpectFinished(Box<ServerFlight>),
    Connected(Traffic, Option<Box<ClientResumption>>),
}

/// A server's CertificateRequest.
pub(crate) struct CertReq {
    context: Vec<u8>,
    schemes: Vec<SignatureScheme>,
}

impl ClientState {
    pub(crate) fn start(
        config: Arc<ClientConfig>,
        server_name: &str,
        early: &[u8],
        cx: &mut Context<'_>,
    ) -> Result<Self, Error> {
        let is_ip = server_name.parse::<std::net::IpAddr>().is_ok();
        if !is_ip {
            https_verify::ServerName::parse(server_name)
                .map_err(|e| Error::Config(format!("invalid server name {server_name:?}: {e}")))?;
        }
        let rng = SystemRandom::new();
        let random = random32(&rng)?;
        cx.set_client_random(random);
        let session_id = if config.middlebox_compat {
            random32(&rng)?.to_vec()
        } else {
            Vec::new()
        };
        let kx = ClientShares::start(&config.groups, &rng)?;
        let sni = config.enable_sni && !is_ip;
        let mut extensions = hello_extensions(&config, server_name, sni, &kx);
        // A stored ticket for this name, if its suite is still allowed: offer it (psk_dhe_ke only).
        let resume = config
            .sessions
            .as_ref()
            .and_then(|s| s.take(server_name))
            .filter(|t| config.suites.contains(&t.suite));
        if config.sessions.is_some() {
            // Servers send tickets only to clients that list a PSK mode (RFC 8446 §4.2.9).
            extensions.push(ClientExtension::PskKeyExchangeModes(vec![1]));
        }
        let send_early = crate::client_early::wanted(&config, resume.as_ref(), early);
        if send_early {
            extensions.push(ClientExtension::EarlyData);
        }
        if let Some(t) = &resume {
            extensions.push(ClientExtension::PreSharedKey(OfferedPsks {
                identities: vec![PskIdentity {
                    identity: t.ticket.clone(),
                    obfuscated_ticket_age: t.obfuscated_age(),
                }],
                binders: vec![vec![0; t.suite.hash().output_len()]],
            }));
        }
        let ch = ClientHello {
            legacy_version: ProtocolVersion::Tls12,
            random,
            session_id,
            cipher_suites: config.suites.iter().map(|s| s.code_point()).collect(),
            compression_methods: vec![0],
            extensions,
            extensions_omitted: false,
        };
        let mut transcript = Transcript::default();
        let mut msg = HandshakeMessage(HandshakePayload::ClientHello(ch));
        if let Some(t) = &resume {
            fill_binder(
                &mut msg,
                t.suite.hash(),
                &t.psk,
                &Transcript::new_hash(t.suite.hash()),
            );
            cx.check("resumption", || {
                "offering a session ticket (psk_dhe_ke)".into()
            });
        }
        cx.send_hs(&msg, Some(&mut transcript));
        cx.flush_hs()?;
        let early = match (&resume, send_early) {
            (Some(t), true) => {
                let hello = msg.get_encoding();
                Some(crate::client_early::send(cx, &config, t, &hello, early)?)
            }
            _ => None,
        };
        // A CCS may arrive any time after our ClientHello until the server's Finished.
        cx.allow_compat_ccs(true);
        let HandshakeMessage(HandshakePayload::ClientHello(ch)) = msg else {
            return Err(Error::internal("ClientHello changed type"));
        };
        Ok(Self::ExpectServerHello(Box::new(ExpectServerHello {
            config,
            server_name: server_name.to_string(),
            sent_sni: sni,
            ch,
            kx,
            transcript,
            hrr_suite: None,
            resume,
            early,
        })))
    }
}

impl HandshakeState for ClientState {
    fn handle(self, cx: &mut Context<'_>, m: HandshakePayload, raw: &[u8]) -> Result<Self, Error> {
        use HandshakePayload as P;
        // Each state takes the one message it waits for; anything else is unexpected_message.
        match (self, m) {
            (Self::ExpectServerHello(s), P::ServerHello(sh)) => s.server_hello(cx, sh, raw),
            (Self::ExpectEncryptedExtensions(s), P::EncryptedExtensions(e)) => {
                s.encrypted_extensions(cx, e, raw)
            }
            (Self::ExpectCertificate(s), P::CertificateRequest(cr)) if s.cert_request.is_none() => {
                s.certificate_request(cx, cr, raw)
            }
            (Self::ExpectCertificate(s), P::Certificate(c)) => s.certificate(cx, c, raw),
            (Self::ExpectCertificateVerify(s), P::CertificateVerify(cv)) => {
                s.certificate_verify(cx, cv, raw)
            }
            (Self::ExpectFinished(s), P::Finished(vd)) => s.finished(cx, &vd, raw),
            (Self::Connected(t, Some(r)), P::NewSessionTicket(nst)) => {
                r.store(cx, nst);
                Ok(Self::Connected(t, Some(r)))
            }
            (Self::Connected(t, r), m) => {
                Ok(Self::Connected(t.handle(cx, HandshakeMessage(m), true)?, r))
            }
            (state, got) => Err(state.unexpected(&got)),
        }
    }

    fn waits_for(&self) -> &'static str {
        match self {
            Self::ExpectServerHello(_) => "ServerHello",
            Self::ExpectEncryptedExtensions(_) => "EncryptedExtensions",
            Self::ExpectCertificate(_) => "Certificate",
            Self::ExpectCertificateVerify(_) => "CertificateVerify",
            Self::ExpectFinished(_) => "Finished",
            Self::Connected(..) => "a post-handshake message",
        }
    }
}

pub(crate) struct ExpectServerHello {
    config: Arc<ClientConfig>,
    server_name: String,
    sent_sni: bool,
    ch: ClientHello,
    kx: ClientShares,
    transcript: Transcript,
    hrr_suite: Option<Tls13Suite>,
    resume: Option<StoredTicket>,
    early: Option<crate::client_early::EarlySent>,
}

impl ExpectServerHello {
    fn server_hello(
        self: Box<Self>,
        cx: &mut Context<'_>,
        sh: ServerHello,
        raw: &[u8],
    ) -> Result<ClientState, Error> {
        let suite = self.check_header(&sh)?;
        let hrr = sh.is_hrr();
        check_server_hello_extensions(&sh, self.resume.is_some())?;
        if hrr {
            return self.handle_hrr(cx, sh, suite, raw);
        }
        let Some(ServerExtension::KeyShare(share)) = sh.ext(ExtensionType::KeyShare) else {
            return Err(Error::proto(
                AlertDescription::MissingExtension,
                PeerMisbehaved::MissingExtension {
                    message: "ServerHello",
                    extension: ExtensionType::KeyShare,
                },
            ));
        };
        let psk = match (sh.ext(ExtensionType::PreSharedKey), self.resume) {
            (Some(ServerExtension::PreSharedKey(0)), Some(t)) if t.suite.hash() == suite.hash() => {
                Some(t.psk)
            }
            (Some(_), _) => {
                return Err(Error::illegal(PeerMisbehaved::NotOffered(Negotiable::Psk)))
            }
            (None, _) => None,
        };
        cx.info_mut().resumed = psk.is_some();
        let (group, shared) = self.kx.complete(share.group, &share.payload)?;
        cx.info_mut().suite = Some(suite);
        cx.info_mut().group = Some(group);
        cx.negotiated("cipher suite", || suite.name().to_string());
        cx.negotiated("key exchange group", || group.name().to_string());
        let kx = if group.is_hybrid() {
            "ML-KEM + ECDHE"
        } else {
            "ECDHE"
        };
        cx.check(kx, || {
            format!("shared secret computed with the server's {group} key share")
        });

        let hash = suite.hash();
        let mut t = self.transcript;
        t.start_hash(hash);
        t.add(raw);
        let early = EarlySecret::new(hash, psk.as_ref().map(Secret::as_bytes));
        cx.trace(|| crate::TraceEvent::Secret {
            name: "early_secret",
        });
        if psk.is_some() {
            cx.check("resumption", || {
                "server accepted our ticket: no Certificate/CertificateVerify".into()
            });
        }
        let th = t.current_hash();
        let (
            ks,
            TrafficSecrets {
                client: client_hs,
                server: server_hs,
            },
        ) = cx.derive_handshake_secrets(early, shared.as_bytes(), th.as_ref());
        cx.set_read_key(suite, &server_hs);
        cx.set_write_key(suite, &client_hs)?;
        Ok(ClientState::ExpectEncryptedExtensions(Box::new(
            ExpectEncryptedExtensions {
                config: self.config,
                server_name: self.server_name,
                sent_sni: self.sent_sni,
                resumed: psk.is_some(),
                keys: HsKeys {
                    suite,
                    ks,
                    transcript: t,
                    client_hs,
                    server_hs,
                    early: self.early,
                },
            },
        )))
    }

    /// The ServerHello (or HelloRetryRequest) fields before its extensions: version, legacy
    /// fields, and a suite we offered (the HelloRetryRequest's, after one).
    fn check_header(&self, sh: &ServerHello) -> Result<Tls13Suite, Error> {
        match sh.ext(ExtensionType::SupportedVersions) {
            Some(ServerExtension::SupportedVersions(ProtocolVersion::Tls13)) => {}
            Some(_) => {
                return Err(Error::illegal(PeerMisbehaved::NotOffered(
                    Negotiable::Version,
                )))
            }
            None => {
                return Err(Error::proto(
                    AlertDescription::ProtocolVersion,
                    PeerMisbehaved::ServerChoseOldVersion,
                ))
            }
        }
        if sh.legacy_version != ProtocolVersion::Tls12 {
            return Err(Error::illegal(PeerMisbehaved::ServerLegacyVersion));
        }
        if sh.session_id != self.ch.session_id {
            return Err(Error::illegal(PeerMisbehaved::SessionIdEchoMismatch));
        }
        if sh.compression_method != 0 {
            return Err(Error::illegal(PeerMisbehaved::ServerCompression));
        }
        let suite = sh
            .cipher_suite
            .supported()
            .filter(|s| self.config.suites.contains(s))
            .ok_or_else(|| Error::illegal(PeerMisbehaved::NotOffered(Negotiable::CipherSuite)))?;
        if self.hrr_suite.is_some_and(|s| s != suite) {
            return Err(Error::illegal(PeerMisbehaved::RetrySuiteChanged));
        }
        Ok(suite)
    }

    fn handle_hrr(
        mut self: Box<Self>,
        cx: &mut Context<'_>,
        hrr: ServerHello,
        suite: Tls13Suite,
        raw: &[u8],
    ) -> Result<ClientState, Error> {
        if self.hrr_suite.is_some() {
            return Err(Error::unexpected(PeerMisbehaved::SecondHelloRetryRequest));
        }
        // After a HelloRetryRequest 0-RTT is over (RFC 8446 §4.1.2): no early_data in the
        // second hello; the bytes already sent are resent after the handshake.
        self.ch
            .extensions
            .retain(|e| !matches!(e, ClientExtension::EarlyData));
        let group = match hrr.ext(ExtensionType::KeyShare) {
            Some(ServerExtension::HrrKeyShare(g)) => {
                let g = NamedGroup::from_u16(*g)
                    .filter(|g| self.config.groups.contains(g) && !self.kx.offered(g.to_u16()))
                    .ok_or_else(|| Error::illegal(PeerMisbehaved::RetryBadGroup))?;
                Some(g)
            }
            _ => None,
        };
        let cookie = match hrr.ext(ExtensionType::Cookie) {
            Some(ServerExtension::Cookie(c)) => Some(c.clone()),
            _ => None,
        };
        if group.is_none() && cookie.is_none() {
            return Err(Error::illegal(PeerMisbehaved::RetryNoChange));
        }
        cx.info_mut().hrr = true;
        cx.check("HelloRetryRequest", || {
            format!(
                "server asks for {}",
                group.map_or("a cookie".to_string(), |g| g.name().to_string())
            )
        });
        self.transcript.rollover_for_hrr(suite.hash());
        self.transcript.add(raw);
        if let Some(g) = group {
            self.kx = ClientShares::single(g, &SystemRandom::new())?;
        }
        for e in &mut self.ch.extensions {
            if let ClientExtension::KeyShare(v) = e {
                *v = key_share_entries(&self.kx);
            }
        }
        if let Some(c) = cookie {
            // Before pre_shared_key, which must stay last.
            let at = self.ch.extensions.len() - usize::from(self.resume.is_some());
            self.ch.extensions.insert(at, ClientExtension::Cookie(c));
        }
        self.update_psk_after_hrr(suite);
        // The cookie is the server's: a ClientHello that cannot carry it is refused, never sent
        // with a wrong length.
        if !encodes_faithfully(&self.ch) {
            return Err(Error::illegal(PeerMisbehaved::RetryCookieTooLarge));
        }
        if self.config.middlebox_compat {
            cx.send_ccs()?;
        }
        let mut msg = HandshakeMessage(HandshakePayload::ClientHello(self.ch));
        if let Some(t) = &self.resume {
            fill_binder(&mut msg, suite.hash(), &t.psk, &self.transcript);
        }
        cx.send_hs(&msg, Some(&mut self.transcript));
        let HandshakeMessage(HandshakePayload::ClientHello(ch)) = msg else {
            return Err(Error::internal("ClientHello changed type"));
        };
        self.ch = ch;
        self.hrr_suite = Some(suite);
        Ok(ClientState::ExpectServerHello(self))
    }
}

impl ExpectServerHello {
    /// RFC 8446 §4.1.2: after a HelloRetryRequest the PSK offer is updated (a fresh
    /// obfuscated_ticket_age; the binder is recomputed when the hello is sent) or, if the ticket's
    /// hash does not match the server's suite, removed. psk_key_exchange_modes stays: the server
    /// may still send tickets.
    fn update_psk_after_hrr(&mut self, suite: Tls13Suite) {
        let Some(t) = &self.resume else {
            return;
        };
        if t.suite.hash() != suite.hash() {
            self.resume = None;
            self.ch
                .extensions
                .retain(|e| e.ext_type() != ExtensionType::PreSharedKey);
            return;
        }
        let age = t.obfuscated_age();
        if let Some(ClientExtension::PreSharedKey(offer)) = self.ch.extensions.last_mut() {
            for id in &mut offer.identities {
                id.obfuscated_ticket_age = age;
            }
        }
    }
}

/// A ServerHello carries supported_versions and key_share, plus pre_shared_key when we offered
/// one; a HelloRetryRequest may add a cookie. An extension we recognise that this message may not
/// carry is illegal_parameter (RFC 8446 §4.2); one we never offered is unsupported_extension.
fn check_server_hello_extensions(sh: &ServerHello, offered_psk: bool) -> Result<(), Error> {
    let hrr = sh.is_hrr();
    for e in &sh.extensions {
        let t = e.ext_type();
        let allowed = matches!(
            t,
            ExtensionType::SupportedVersions | ExtensionType::KeyShare
        ) || (hrr && t == ExtensionType::Cookie)
            || (!hrr && t == ExtensionType::PreSharedKey);
        if allowed && (t != ExtensionType::PreSharedKey || offered_psk) {
            continue;
        }
        if !allowed && is_known_extension(t) {
            let msg = if hrr {
                "HelloRetryRequest"
            } else {
                "ServerHello"
            };
            return Err(Error::illegal(PeerMisbehaved::ForbiddenExtension {
                message: msg,
                extension: t,
            }));
        }
        return Err(Error::proto(
            AlertDescription::UnsupportedExtension,
            PeerMisbehaved::UnsolicitedExtension {
                message: if hrr {
                    "HelloRetryRequest"
                } else {
                    "ServerHello"
                },
                extension: t,
            },
        ));
    }
    Ok(())
}

pub(crate) struct ExpectEncryptedExtensions {
    config: Arc<ClientConfig>,
    server_name: String,
    sent_sni: bool,
    resumed: bool,
    keys: HsKeys,
}

impl ExpectEncryptedExtensions {
    fn encrypted_extensions(
        mut self: Box<Self>,
        cx: &mut Context<'_>,
        exts: Vec<EncryptedExtension>,
        raw: &[u8],
    ) -> Result<ClientState, Error> {
        let unsupported = |t: ExtensionType| {
            if not_for_encrypted_extensions(t) {
                // RFC 8446 §4.2: recognised, but not an EncryptedExtensions extension.
                Error::illegal(PeerMisbehaved::ForbiddenExtension {
                    message: "EncryptedExtensions",
                    extension: t,
                })
            } else {
                Error::proto(
                    AlertDescription::UnsupportedExtension,
                    PeerMisbehaved::UnsolicitedExtension {
                        message: "EncryptedExtensions",
                        extension: t,
                    },
                )
            }
        };
        for e in exts {
            match e {
                EncryptedExtension::ServerNameAck if self.sent_sni => {}
                EncryptedExtension::SupportedGroups(_) => {}
                // Only for early data we sent, and only on the resumption it was sent with.
                EncryptedExtension::EarlyData if self.keys.early.is_some() && self.resumed => {
                    if let Some(e) = &mut self.keys.early {
                        e.accepted = true;
                    }
                    cx.info_mut().early_accepted = true;
                    cx.check("early data", || "accepted by the server".into());
                }
                EncryptedExtension::Alpn(p) if !self.config.alpn.is_empty() => {
                    if !self.config.alpn.contains(&p) {
                        return Err(Error::illegal(PeerMisbehaved::NotOffered(
                            Negotiable::AlpnProtocol,
                        )));
                    }
                    cx.negotiated("ALPN", || String::from_utf8_lossy(&p).into_owned());
                    cx.info_mut().alpn = Some(p);
                }
                other => return Err(unsupported(other.ext_type())),
            }
        }
        self.keys.transcript.add(raw);
        let next = Box::new(ServerFlight {
            config: self.config,
            server_name: self.server_name,
            keys: self.keys,
            cert_request: None,
        });
        Ok(if self.resumed {
            ClientState::ExpectFinished(next)
        } else {
            ClientState::ExpectCertificate(next)
        })
    }
}

/// The rest of the server's flight: (CertificateRequest,) Certificate, CertificateVerify (full
/// handshakes) and Finished.
pub(crate) struct ServerFlight {
    config: Arc<ClientConfig>,
    server_name: String,
    keys: HsKeys,
    cert_request: Option<CertReq>,
}

impl ServerFlight {
    /// No client certificates yet: we will answer with an empty Certificate if we have none.
    fn certificate_request(
        mut self: Box<Self>,
        cx: &mut Context<'_>,
        cr: CertificateRequestPayload,
        raw: &[u8],
    ) -> Result<ClientState, Error> {
        self.keys.transcript.add(raw);
        let Some(schemes) = cr.signature_algorithms()? else {
            return Err(Error::proto(
                AlertDescription::MissingExtension,
                PeerMisbehaved::MissingExtension {
                    message: "CertificateRequest",
                    extension: ExtensionType::SignatureAlgorithms,
                },
            ));
        };
        cx.check("CertificateRequest", || {
            "the server asks for a client certificate".into()
        });
        self.cert_request = Some(CertReq {
            context: cr.context,
            schemes,
        });
        Ok(ClientState::ExpectCertificate(self))
    }

    fn certificate(
        mut self: Box<Self>,
        cx: &mut Context<'_>,
        c: CertificatePayload,
        raw: &[u8],
    ) -> Result<ClientState, Error> {
        if !c.context.is_empty() {
            return Err(Error::illegal(
                PeerMisbehaved::UnexpectedCertificateContext("server"),
            ));
        }
        let Some((leaf, rest)) = c.entries.split_first() else {
            return Err(Error::decode(PeerMisbehaved::EmptyCertificateList));
        };
        // We request no per-certificate extensions (OCSP, SCT): any is unsolicited.
        if let Some(x) = c.entries.iter().find_map(|e| e.extensions.first()) {
            return Err(Error::proto(
                AlertDescription::UnsupportedExtension,
                PeerMisbehaved::UnsolicitedExtension {
                    message: "CertificateEntry",
                    extension: x.typ,
                },
            ));
        }
        let intermediates: Vec<&[u8]> = rest.iter().map(|e| e.cert.as_slice()).collect();
        self.config
            .verifier
            .verify_server_cert(&leaf.cert, &intermediates, &self.server_name)?;
        let n = c.entries.len();
        cx.check("certificate chain", || {
            format!("{n} certificate(s) valid for {}", self.server_name)
        });
        self.keys.transcript.add(raw);
        cx.info_mut().peer_certs = c.entries.into_iter().map(|e| e.cert).collect();
        Ok(ClientState::ExpectCertificateVerify(self))
    }

    fn certificate_verify(
        mut self: Box<Self>,
        cx: &mut Context<'_>,
        cv: CertificateVerifyPayload,
        raw: &[u8],
    ) -> Result<ClientState, Error> {
        let verifier = &self.config.verifier;
        crate::auth::check_certificate_verify(
            cx,
            &self.keys.transcript,
            &cv,
            verifier.supported_schemes(),
            true,
            |m, leaf, scheme, sig| verifier.verify_signature(m, leaf, scheme, sig),
        )?;
        cx.info_mut().scheme = Some(cv.scheme);
        cx.check("CertificateVerify", || {
            format!(
                "transcript signature ({}) verified with the leaf's key",
                cv.scheme.name()
            )
        });
        self.keys.transcript.add(raw);
        Ok(ClientState::ExpectFinished(self))
    }

    fn finished(
        self: Box<Self>,
        cx: &mut Context<'_>,
        vd: &[u8],
        raw: &[u8],
    ) -> Result<ClientState, Error> {
        let HsKeys {
            suite,
            ks,
            mut transcript,
            client_hs,
            server_hs,
            early,
        } = self.keys;
        let hash = suite.hash();
        crate::auth::check_finished(cx, hash, &server_hs, &transcript, vd, "server Finished")?;
        transcript.add(raw);
        let th = transcript.current_hash();
        let (
            ks,
            TrafficSecrets {
                client: client_ap,
                server: server_ap,
            },
            exporter,
        ) = cx.derive_application_secrets(ks, th.as_ref());
        cx.set_read_key(suite, &server_ap);
        cx.allow_compat_ccs(false);
        if self.config.middlebox_compat {
            cx.send_ccs()?;
        }
        if let Some(e) = early {
            crate::client_early::finish(cx, e, &mut transcript)?;
        }
        if let Some(req) = self.cert_request {
            send_client_auth(cx, &self.config, req, &mut transcript)?;
        }
        let cf = finished_verify_data(
            hash,
            client_hs.as_bytes(),
            transcript.current_hash().as_ref(),
        );
        cx.send_hs(
            &HandshakeMessage(HandshakePayload::Finished(cf.as_bytes().to_vec())),
            Some(&mut transcript),
        );
        cx.set_write_key(suite, &client_ap)?;
        cx.set_handshake_complete();
        let server_name = self.server_name;
        let resumption = self.config.sessions.clone().map(|store| {
            let resumption_master =
                ks.derive(label::RES_MASTER, transcript.current_hash().as_ref());
            Box::new(ClientResumption {
                store,
                server_name,
                suite,
                resumption_master,
                alpn: cx.info().alpn.clone(),
            })
        });
        Ok(ClientState::Connected(
            Traffic {
                suite,
                write_secret: client_ap,
                read_secret: server_ap,
                exporter,
            },
            resumption,
        ))
    }
}

/// ClientHello extensions up to ALPN (the PSK ones are added by the caller; pre_shared_key last).
fn hello_extensions(
    config: &ClientConfig,
    server_name: &str,
    sni: bool,
    kx: &ClientShares,
) -> Vec<ClientExtension> {
    let mut extensions = Vec::with_capacity(8);
    if sni {
        extensions.push(ClientExtension::ServerName(vec![ServerNameEntry {
            name_type: 0,
            name: server_name.trim_end_matches('.').as_bytes().to_vec(),
        }]));
    }
    extensions.push(ClientExtension::SupportedVersions(vec![
        ProtocolVersion::Tls13,
    ]));
    extensions.push(ClientExtension::SupportedGroups(
        config.groups.iter().map(|g| g.to_u16()).collect(),
    ));
    extensions.push(ClientExtension::KeyShare(key_share_entries(kx)));
    // Without signature_algorithms_cert this list also governs the chain's signatures
    // (RFC 8446 §4.2.3): add PKCS#1 v1.5, which is fine in certificates (never in CertificateVerify).
    let mut schemes = config.verifier.supported_schemes().to_vec();
    for s in crate::sign::CERT_SCHEMES {
        if !schemes.contains(s) {
            schemes.push(*s);
        }
    }
    extensions.push(ClientExtension::SignatureAlgorithms(schemes));
    if !config.alpn.is_empty() {
        extensions.push(ClientExtension::Alpn(config.alpn.clone()));
    }
    extensions
}

/// Our answer to a CertificateRequest: our certificate and CertificateVerify if we have one the
/// server can accept, otherwise an empty Certificate.
fn send_client_auth(
    cx: &mut Context<'_>,
    config: &ClientConfig,
    req: CertReq,
    transcript: &mut Transcript,
) -> Result<(), Error> {
    let chosen = config
        .client_cert
        .as_ref()
        .and_then(|ck| ck.key.choose_scheme(&req.schemes).map(|s| (ck, s)));
    let chain = chosen.map_or(&[][..], |(ck, _)| &ck.chain[..]);
    crate::auth::send_certificate(cx, transcript, req.context, chain);
    if let Some((ck, scheme)) = chosen {
        crate::auth::send_certificate_verify(cx, transcript, &ck.key, scheme, false)?;
    }
    Ok(())
}

fn key_share_entries(kx: &ClientShares) -> Vec<KeyShareEntry> {
    kx.entries()
        .map(|(group, p)| KeyShareEntry {
            group,
            payload: p.to_vec(),
        })
        .collect()
}
