//! The server state machine (RFC 8446 §A.2), one type per state:
//! START/RECVD_CH (-> HelloRetryRequest -> RECVD_CH) -> NEGOTIATED -> WAIT_FLIGHT2/WAIT_FINISHED -> CONNECTED.

use std::sync::Arc;

use https_record::{AlertDescription, CipherSuite};
use ring::rand::SystemRandom;

use crate::client::TLS13;
use crate::client_hello::{check_key_shares, check_second_hello, check_versions};
use crate::codec::*;
use crate::common::{cv_message, random32, Common, Traffic};
use crate::config::{ClientAuth, ServerConfig};
use crate::error::Error;
use crate::keyschedule::{verify_finished, Secret, Transcript};
use crate::kx::NamedGroup;
use crate::server_flight::{
    certificate_request, choose_alpn, choose_cert, choose_share, record_size_limit, requested_sni,
    required_extensions, send_certificate, send_encrypted_extensions, send_finished, HelloOut,
};

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
    /// The first ClientHello, which the second must repeat but for the changes §4.1.2 allows.
    first: Box<ClientHello>,
}

impl HrrSent {
    /// The second ClientHello answers our HelloRetryRequest: same suite, our cookie, exactly one
    /// share for the group we asked for.
    fn check_echo(
        &self,
        ch: &ClientHello,
        suite: CipherSuite,
        shares: &[KeyShareEntry],
    ) -> Result<(), Error> {
        if self.suite != suite {
            return Err(Error::illegal(
                "second ClientHello changed the cipher suite",
            ));
        }
        match ch.ext(ext_type::COOKIE) {
            Some(ClientExtension::Cookie(c)) if ring_eq(c, &self.cookie) => {}
            _ => {
                return Err(Error::illegal(
                    "second ClientHello does not echo our cookie",
                ))
            }
        }
        if shares.len() != 1 || shares[0].group != self.group.to_u16() {
            return Err(Error::illegal(
                "second ClientHello must carry exactly the requested key share",
            ));
        }
        Ok(())
    }
}

pub(crate) struct ExpectClientHello {
    config: Arc<ServerConfig>,
    hrr: Option<HrrSent>,
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
        self.note_hello(cx, &ch)?;
        let config = &self.config;
        let suite = config
            .suites
            .iter()
            .copied()
            .find(|s| ch.cipher_suites.contains(&s.to_u16()))
            .ok_or_else(|| Error::handshake_failure("no cipher suite in common"))?;
        let (sigalgs, groups, shares) = required_extensions(&ch)?;
        check_key_shares(shares, groups)?;
        if let Some(h) = &self.hrr {
            h.check_echo(&ch, suite, shares)?;
        }
        let Some((group, share)) = choose_share(&config.groups, shares) else {
            let group = self.retry_group(groups)?;
            return self.send_hrr(cx, ch, raw, suite, group);
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

        let record_limit = record_size_limit(&ch)?;
        let sni = requested_sni(&ch)?;
        let (cert, scheme) = match resumed {
            Some(_) => (None, None),
            None => {
                let offered = match ch.ext(ext_type::ALPN) {
                    Some(ClientExtension::Alpn(offered)) => offered.as_slice(),
                    _ => &[],
                };
                let (c, s) = choose_cert(config, sni, sigalgs, offered)?;
                (Some(c), Some(s))
            }
        };
        let alpn = choose_alpn(config, &ch)?;
        cx.info.scheme = scheme;
        cx.info.alpn = alpn.clone();
        cx.info.sni = sni.map(str::to_string);
        cx.note_suite_and_group(suite, group);

        let mut t = self
            .hrr
            .map_or_else(|| Transcript::new_hash(hash), |h| h.transcript);
        t.add(raw);
        let hello = HelloOut {
            suite,
            group,
            peer_share: &share.payload,
            psk: resumed.as_ref().map(|s| &s.psk),
            session_id: &ch.session_id,
            record_limit,
        };
        let (mut ks, client_hs, server_hs) = hello.send(cx, &mut t)?;
        send_encrypted_extensions(cx, &mut t, record_limit, sni.is_some(), alpn);
        let client_auth = cert.as_ref().and(config.client_auth.clone());
        if let Some(auth) = &client_auth {
            let cr = HandshakePayload::CertificateRequest(certificate_request(auth));
            cx.send_hs(&HandshakeMessage(cr), Some(&mut t));
        }
        if let (Some(cert), Some(scheme)) = (cert, scheme) {
            send_certificate(cx, &mut t, &cert, scheme)?;
        }
        let (client_ap, server_ap, exporter) =
            send_finished(cx, &mut t, &mut ks, suite, &server_hs)?;
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
        ch: ClientHello,
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
            first: Box::new(ch),
        });
        Ok(ServerState::ExpectClientHello(self))
    }
}

impl ExpectClientHello {
    /// Version checks, the second-hello comparison after our HelloRetryRequest, and the early-data
    /// skip for a client offering 0-RTT (which we never accept; RFC 8446 §4.2.10).
    fn note_hello(&self, cx: &mut Common, ch: &ClientHello) -> Result<(), Error> {
        check_versions(ch)?;
        match &self.hrr {
            Some(h) => {
                check_second_hello(&h.first, ch)?;
                // The client's rejected 0-RTT records all came before this hello.
                cx.record.skip_early_data(false);
            }
            None => {
                cx.client_random = ch.random;
                if ch.ext(ext_type::EARLY_DATA).is_some() {
                    cx.record.skip_early_data(true);
                    cx.check("early data", || "offered; rejected, will be skipped".into());
                }
            }
        }
        Ok(())
    }

    /// The group a HelloRetryRequest asks for (only once: a second hello without a usable share
    /// is illegal_parameter).
    fn retry_group(&self, groups: &[u16]) -> Result<NamedGroup, Error> {
        if self.hrr.is_some() {
            return Err(Error::illegal(
                "no usable key share after HelloRetryRequest",
            ));
        }
        self.config
            .groups
            .iter()
            .copied()
            .find(|g| groups.contains(&g.to_u16()))
            .ok_or_else(|| Error::handshake_failure("no key exchange group in common"))
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
