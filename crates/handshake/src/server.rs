//! The server state machine (RFC 8446 §A.2), one type per state:
//! START/RECVD_CH (-> HelloRetryRequest -> RECVD_CH) -> NEGOTIATED -> WAIT_FLIGHT2/WAIT_FINISHED -> CONNECTED.

use std::sync::Arc;

use https_record::{AlertDescription, CipherSuite};
use ring::rand::SystemRandom;

use crate::client::{cv_message, random32, TLS13};
use crate::codec::*;
use crate::config::{ClientAuth, ClientHelloInfo, ServerConfig};
use crate::conn::{Common, Traffic, TrafficSecrets};
use crate::error::Error;
use crate::keyschedule::{finished_verify_data, verify_finished, KeySchedule, Secret, Transcript};
use crate::kx::{KeyExchange, NamedGroup};

pub(crate) enum ServerState {
    ExpectClientHello(Box<ExpectClientHello>),
    ExpectCertificate(Box<ExpectCertificate>),
    ExpectCertificateVerify(Box<ExpectCertificateVerify>),
    ExpectFinished(Box<ExpectFinished>),
    Connected(Traffic),
}

impl ServerState {
    pub(crate) fn new(config: Arc<ServerConfig>) -> Self {
        Self::ExpectClientHello(Box::new(ExpectClientHello { config, hrr: None }))
    }

    pub(crate) fn handle(
        self,
        cx: &mut Common,
        msg: HandshakeMessage,
        raw: &[u8],
    ) -> Result<Self, Error> {
        match self {
            Self::ExpectClientHello(s) => s.handle(cx, msg, raw),
            Self::ExpectCertificate(s) => s.handle(cx, msg, raw),
            Self::ExpectCertificateVerify(s) => s.handle(cx, msg, raw),
            Self::ExpectFinished(s) => s.handle(cx, msg, raw),
            Self::Connected(t) => Ok(Self::Connected(t.handle(cx, msg, false)?)),
        }
    }
}

/// What a HelloRetryRequest committed us to.
struct HrrSent {
    suite: CipherSuite,
    group: NamedGroup,
    cookie: [u8; 32],
    transcript: Transcript,
}

pub(crate) struct ExpectClientHello {
    config: Arc<ServerConfig>,
    hrr: Option<HrrSent>,
}

fn missing(what: &'static str) -> Error {
    Error::proto(
        AlertDescription::MissingExtension,
        format!("ClientHello has no {what}"),
    )
}

impl ExpectClientHello {
    fn handle(
        self: Box<Self>,
        cx: &mut Common,
        msg: HandshakeMessage,
        raw: &[u8],
    ) -> Result<ServerState, Error> {
        let HandshakePayload::ClientHello(ch) = msg.0 else {
            return Err(Error::unexpected(format!(
                "got {} while waiting for ClientHello",
                msg.0.name()
            )));
        };
        if self.hrr.is_none() {
            cx.client_random = ch.random;
        }
        match ch.ext(ext_type::SUPPORTED_VERSIONS) {
            Some(ClientExtension::SupportedVersions(v)) if v.contains(&TLS13) => {}
            _ => {
                return Err(Error::proto(
                    AlertDescription::ProtocolVersion,
                    "client does not offer TLS 1.3 (supported_versions)",
                ))
            }
        }
        if ch.compression_methods != [0] {
            return Err(Error::illegal(
                "legacy_compression_methods must be exactly [null]",
            ));
        }
        let config = &self.config;
        let suite = config
            .suites
            .iter()
            .copied()
            .find(|s| ch.cipher_suites.contains(&s.to_u16()))
            .ok_or_else(|| Error::handshake_failure("no cipher suite in common"))?;
        let Some(ClientExtension::SignatureAlgorithms(sigalgs)) =
            ch.ext(ext_type::SIGNATURE_ALGORITHMS)
        else {
            return Err(missing("signature_algorithms"));
        };
        let Some(ClientExtension::SupportedGroups(groups)) = ch.ext(ext_type::SUPPORTED_GROUPS)
        else {
            return Err(missing("supported_groups"));
        };
        let Some(ClientExtension::KeyShare(shares)) = ch.ext(ext_type::KEY_SHARE) else {
            return Err(missing("key_share"));
        };
        for (i, s) in shares.iter().enumerate() {
            if !groups.contains(&s.group) || shares[..i].iter().any(|o| o.group == s.group) {
                return Err(Error::illegal(
                    "key share for an unlisted or repeated group",
                ));
            }
        }
        if let Some(h) = &self.hrr {
            if h.suite != suite {
                return Err(Error::illegal(
                    "second ClientHello changed the cipher suite",
                ));
            }
            match ch.ext(ext_type::COOKIE) {
                Some(ClientExtension::Cookie(c)) if ring_eq(c, &h.cookie) => {}
                _ => {
                    return Err(Error::illegal(
                        "second ClientHello does not echo our cookie",
                    ))
                }
            }
            if shares.len() != 1 || shares[0].group != h.group.to_u16() {
                return Err(Error::illegal(
                    "second ClientHello must carry exactly the requested key share",
                ));
            }
        }
        let chosen = config.groups.iter().find_map(|g| {
            shares
                .iter()
                .find(|s| s.group == g.to_u16())
                .map(|s| (*g, s))
        });
        let Some((group, share)) = chosen else {
            if self.hrr.is_some() {
                return Err(Error::illegal(
                    "no usable key share after HelloRetryRequest",
                ));
            }
            let group = config
                .groups
                .iter()
                .copied()
                .find(|g| groups.contains(&g.to_u16()))
                .ok_or_else(|| Error::handshake_failure("no key exchange group in common"))?;
            return self.send_hrr(cx, &ch, raw, suite, group);
        };

        let hash = suite.hash();
        // PSK resumption (psk_dhe_ke only): our own ticket, bound to this SNI, ALPN and identity.
        let resumed = crate::server_psk::accept(
            cx,
            config,
            &ch,
            raw,
            self.hrr.as_ref().map(|h| &h.transcript),
            suite,
        )?;
        cx.info.resumed = resumed.is_some();
        if let Some(state) = &resumed {
            // The client identity travels in the ticket: peer_certificates() stays the same.
            cx.info.peer_certs = state.peer_certs.clone();
        }

        // record_size_limit (RFC 8449): honour the client's, announce ours (the maximum).
        let record_limit = match ch.ext(ext_type::RECORD_SIZE_LIMIT) {
            Some(ClientExtension::RecordSizeLimit(l)) if *l < 64 => {
                return Err(Error::illegal("record_size_limit below 64"))
            }
            Some(ClientExtension::RecordSizeLimit(l)) => Some(*l),
            _ => None,
        };

        // SNI -> certificate.
        let sni = match ch.ext(ext_type::SERVER_NAME) {
            Some(ClientExtension::ServerName(list)) => match list.iter().find(|e| e.name_type == 0)
            {
                // Any printable ASCII name goes to the resolver (which may not know it); only
                // garbage is refused.
                Some(e) => Some(
                    std::str::from_utf8(&e.name)
                        .ok()
                        .filter(|n| n.bytes().all(|b| b.is_ascii_graphic()))
                        .ok_or_else(|| {
                            Error::illegal("server_name is not a printable ASCII host name")
                        })?,
                ),
                None => None,
            },
            _ => None,
        };
        let cert = match resumed {
            Some(_) => None,
            None => Some(
                config
                    .resolver
                    .resolve(&ClientHelloInfo {
                        server_name: sni,
                        signature_schemes: sigalgs,
                    })
                    .ok_or_else(|| match sni {
                        Some(_) => Error::proto(
                            AlertDescription::UnrecognizedName,
                            "no certificate for this server_name",
                        ),
                        None => Error::handshake_failure("no certificate"),
                    })?,
            ),
        };
        let scheme = match &cert {
            Some(c) => Some(c.key.choose_scheme(sigalgs).ok_or_else(|| {
                Error::handshake_failure("no signature scheme in common with our key")
            })?),
            None => None,
        };
        let alpn = match ch.ext(ext_type::ALPN) {
            Some(ClientExtension::Alpn(offered)) if !config.alpn.is_empty() => Some(
                config
                    .alpn
                    .iter()
                    .find(|p| offered.contains(p))
                    .cloned()
                    .ok_or_else(|| {
                        Error::proto(
                            AlertDescription::NoApplicationProtocol,
                            "no ALPN protocol in common",
                        )
                    })?,
            ),
            _ => None,
        };

        let rng = SystemRandom::new();
        let kx = KeyExchange::start(group, &rng)?;
        let our_share = KeyShareEntry {
            group: group.to_u16(),
            payload: kx.public.clone(),
        };
        let shared = kx.complete(&share.payload)?;
        cx.info.suite = Some(suite);
        cx.info.group = Some(group);
        cx.info.scheme = scheme;
        cx.info.alpn = alpn.clone();
        cx.info.sni = sni.map(str::to_string);
        cx.negotiated("cipher suite", || suite.name().to_string());
        cx.negotiated("key exchange group", || group.name().to_string());

        let mut t = match self.hrr {
            Some(h) => h.transcript,
            None => Transcript::new_hash(hash),
        };
        t.add(raw);
        let mut extensions = vec![
            ServerExtension::SupportedVersions(TLS13),
            ServerExtension::KeyShare(our_share),
        ];
        if resumed.is_some() {
            extensions.push(ServerExtension::PreSharedKey(0));
        }
        let sh = ServerHello {
            legacy_version: 0x0303,
            random: random32(&rng)?,
            session_id: ch.session_id.clone(),
            cipher_suite: suite.to_u16(),
            compression_method: 0,
            extensions,
            extensions_omitted: false,
        };
        cx.send_hs(
            &HandshakeMessage(HandshakePayload::ServerHello(sh)),
            Some(&mut t),
        );
        cx.flush_hs()?;
        cx.record.allow_compat_ccs(true);
        if !ch.session_id.is_empty() {
            cx.send_ccs()?;
        }

        let mut ks = KeySchedule::new(hash, resumed.as_ref().map(|s| s.psk.as_bytes()));
        cx.trace(|| crate::TraceEvent::Secret {
            name: "early_secret",
        });
        let th = t.current_hash();
        let TrafficSecrets {
            client: client_hs,
            server: server_hs,
        } = cx.derive_handshake_secrets(&mut ks, shared.as_bytes(), th.as_ref());
        cx.peer_record_limit = record_limit;
        cx.set_write_key(suite, &server_hs)?;
        cx.set_read_key(suite, &client_hs);

        let mut ee = Vec::new();
        if record_limit.is_some() {
            ee.push(EncryptedExtension::RecordSizeLimit(
                https_record::MAX_PLAINTEXT_LEN as u16 + 1,
            ));
        }
        if sni.is_some() {
            ee.push(EncryptedExtension::ServerNameAck);
        }
        if let Some(p) = alpn {
            cx.negotiated("ALPN", || String::from_utf8_lossy(&p).into_owned());
            ee.push(EncryptedExtension::Alpn(p));
        }
        cx.send_hs(
            &HandshakeMessage(HandshakePayload::EncryptedExtensions(ee)),
            Some(&mut t),
        );
        let client_auth = if cert.is_some() {
            config.client_auth.clone()
        } else {
            None
        };
        if let Some(auth) = &client_auth {
            let mut body = Vec::new();
            put_u16_list(&mut body, LenPrefix::U16, auth.verifier.supported_schemes());
            let cr = CertificateRequestPayload {
                context: Vec::new(),
                extensions: vec![RawExtension {
                    typ: ext_type::SIGNATURE_ALGORITHMS,
                    body,
                }],
            };
            cx.send_hs(
                &HandshakeMessage(HandshakePayload::CertificateRequest(cr)),
                Some(&mut t),
            );
        }
        if let (Some(cert), Some(scheme)) = (cert, scheme) {
            let certs = CertificatePayload {
                context: Vec::new(),
                entries: cert
                    .chain
                    .iter()
                    .map(|c| CertificateEntry {
                        cert: c.clone(),
                        extensions: Vec::new(),
                    })
                    .collect(),
            };
            cx.send_hs(
                &HandshakeMessage(HandshakePayload::Certificate(certs)),
                Some(&mut t),
            );
            let signature = cert
                .key
                .sign(scheme, &cv_message(true, t.current_hash().as_ref()))?;
            cx.send_hs(
                &HandshakeMessage(HandshakePayload::CertificateVerify(
                    CertificateVerifyPayload { scheme, signature },
                )),
                Some(&mut t),
            );
        }
        let sf = finished_verify_data(hash, server_hs.as_bytes(), t.current_hash().as_ref());
        cx.send_hs(
            &HandshakeMessage(HandshakePayload::Finished(sf.as_bytes().to_vec())),
            Some(&mut t),
        );

        let th = t.current_hash();
        let (
            TrafficSecrets {
                client: client_ap,
                server: server_ap,
            },
            exporter,
        ) = cx.derive_application_secrets(&mut ks, th.as_ref());
        cx.set_write_key(suite, &server_ap)?;
        let tickets = crate::server_psk::pending(config, &ch, ks);
        let fin = ExpectFinished {
            suite,
            client_hs,
            transcript: t,
            client_ap,
            server_ap,
            exporter,
            tickets,
        };
        Ok(match client_auth {
            Some(auth) => ServerState::ExpectCertificate(Box::new(ExpectCertificate { auth, fin })),
            None => ServerState::ExpectFinished(Box::new(fin)),
        })
    }

    fn send_hrr(
        mut self: Box<Self>,
        cx: &mut Common,
        ch: &ClientHello,
        raw: &[u8],
        suite: CipherSuite,
        group: NamedGroup,
    ) -> Result<ServerState, Error> {
        let cookie = random32(&SystemRandom::new())?;
        let mut t = Transcript::new_hash(suite.hash());
        t.add(raw);
        t.rollover_for_hrr(suite.hash());
        let hrr = ServerHello {
            legacy_version: 0x0303,
            random: HRR_RANDOM,
            session_id: ch.session_id.clone(),
            cipher_suite: suite.to_u16(),
            compression_method: 0,
            extensions: vec![
                ServerExtension::SupportedVersions(TLS13),
                ServerExtension::HrrKeyShare(group.to_u16()),
                ServerExtension::Cookie(cookie.to_vec()),
            ],
            extensions_omitted: false,
        };
        cx.info.hrr = true;
        cx.check("key share", || {
            format!("no acceptable key share; HelloRetryRequest for {group}")
        });
        cx.send_hs(
            &HandshakeMessage(HandshakePayload::ServerHello(hrr)),
            Some(&mut t),
        );
        cx.flush_hs()?;
        cx.record.allow_compat_ccs(true);
        if !ch.session_id.is_empty() {
            cx.send_ccs()?;
        }
        self.hrr = Some(HrrSent {
            suite,
            group,
            cookie,
            transcript: t,
        });
        Ok(ServerState::ExpectClientHello(self))
    }
}

/// Constant-time equality for the cookie.
fn ring_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

pub(crate) struct ExpectCertificate {
    auth: ClientAuth,
    fin: ExpectFinished,
}

impl ExpectCertificate {
    fn handle(
        mut self: Box<Self>,
        cx: &mut Common,
        msg: HandshakeMessage,
        raw: &[u8],
    ) -> Result<ServerState, Error> {
        let HandshakePayload::Certificate(c) = msg.0 else {
            return Err(Error::unexpected(format!(
                "got {} while waiting for the client Certificate",
                msg.0.name()
            )));
        };
        if !c.context.is_empty() {
            return Err(Error::illegal(
                "client Certificate has a request context we did not send",
            ));
        }
        self.fin.transcript.add(raw);
        let Some((leaf, rest)) = c.entries.split_first() else {
            if self.auth.required {
                return Err(Error::proto(
                    AlertDescription::CertificateRequired,
                    "the client sent no certificate",
                ));
            }
            cx.check("client certificate", || "none sent (optional)".into());
            return Ok(ServerState::ExpectFinished(Box::new(self.fin)));
        };
        let intermediates: Vec<&[u8]> = rest.iter().map(|e| e.cert.as_slice()).collect();
        self.auth
            .verifier
            .verify_client_cert(&leaf.cert, &intermediates)?;
        cx.check("client certificate", || {
            format!(
                "{} certificate(s), chain valid for clientAuth",
                c.entries.len()
            )
        });
        cx.info.peer_certs = c.entries.into_iter().map(|e| e.cert).collect();
        Ok(ServerState::ExpectCertificateVerify(Box::new(
            ExpectCertificateVerify {
                auth: self.auth,
                fin: self.fin,
            },
        )))
    }
}

pub(crate) struct ExpectCertificateVerify {
    auth: ClientAuth,
    fin: ExpectFinished,
}

impl ExpectCertificateVerify {
    fn handle(
        mut self: Box<Self>,
        cx: &mut Common,
        msg: HandshakeMessage,
        raw: &[u8],
    ) -> Result<ServerState, Error> {
        let HandshakePayload::CertificateVerify(cv) = msg.0 else {
            return Err(Error::unexpected(format!(
                "got {} while waiting for CertificateVerify",
                msg.0.name()
            )));
        };
        if !self.auth.verifier.supported_schemes().contains(&cv.scheme) {
            return Err(Error::illegal(
                "client CertificateVerify uses a scheme we did not offer",
            ));
        }
        let m = cv_message(false, self.fin.transcript.current_hash().as_ref());
        let leaf = cx
            .info
            .peer_certs
            .first()
            .ok_or_else(|| Error::internal("no client certificate"))?;
        self.auth
            .verifier
            .verify_signature(&m, leaf, cv.scheme, &cv.signature)?;
        cx.check("client CertificateVerify", || {
            "signature verified with the client certificate's key".into()
        });
        self.fin.transcript.add(raw);
        Ok(ServerState::ExpectFinished(Box::new(self.fin)))
    }
}

pub(crate) struct ExpectFinished {
    suite: CipherSuite,
    client_hs: Secret,
    transcript: Transcript,
    client_ap: Secret,
    server_ap: Secret,
    exporter: Secret,
    tickets: Option<crate::server_psk::PendingTickets>,
}

impl ExpectFinished {
    fn handle(
        self: Box<Self>,
        cx: &mut Common,
        msg: HandshakeMessage,
        raw: &[u8],
    ) -> Result<ServerState, Error> {
        let HandshakePayload::Finished(vd) = msg.0 else {
            return Err(Error::unexpected(format!(
                "got {} while waiting for Finished",
                msg.0.name()
            )));
        };
        let hash = self.suite.hash();
        if vd.len() != hash.output_len() {
            return Err(Error::decode("Finished has the wrong length"));
        }
        if !verify_finished(
            hash,
            self.client_hs.as_bytes(),
            self.transcript.current_hash().as_ref(),
            &vd,
        ) {
            return Err(Error::proto(
                AlertDescription::DecryptError,
                "client Finished does not verify",
            ));
        }
        cx.check("client Finished", || {
            "MAC over the transcript matches (constant-time)".into()
        });
        cx.set_read_key(self.suite, &self.client_ap);
        cx.record.allow_compat_ccs(false);
        cx.handshake_complete = true;
        let ExpectFinished {
            suite,
            client_ap,
            server_ap,
            exporter,
            tickets,
            mut transcript,
            ..
        } = *self;
        if let Some(pending) = tickets {
            transcript.add(raw);
            crate::server_psk::issue(cx, pending, suite, transcript.current_hash().as_ref())?;
        }
        Ok(ServerState::Connected(Traffic {
            suite,
            write_secret: server_ap,
            read_secret: client_ap,
            exporter,
        }))
    }
}
