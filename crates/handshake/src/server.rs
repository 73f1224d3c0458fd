//! The server state machine (RFC 8446 §A.2), one type per state:
//! START/RECVD_CH (-> HelloRetryRequest -> RECVD_CH) -> NEGOTIATED -> WAIT_FLIGHT2/WAIT_FINISHED -> CONNECTED.

use std::sync::Arc;

use https_record::{AlertDescription, Tls13Suite};
use ring::rand::SystemRandom;

use crate::codec::*;
use crate::common::random32;
use crate::config::{ClientAuth, ServerConfig};
use crate::context::{Context, HandshakeState};
use crate::error::{Error, PeerMisbehaved};
use crate::keyschedule::{Secret, Transcript};
use crate::kx::NamedGroup;
use crate::negotiate::{negotiate, Accepted, Negotiation, RetrySent};
use crate::server_flight::{
    emit_certificate, emit_certificate_request, emit_encrypted_extensions, emit_finished,
    emit_hello_retry_request, HelloOut,
};
use crate::traffic::Traffic;

pub(crate) enum ServerState {
    ExpectClientHello(Box<ExpectClientHello>),
    // The client's certificate and CertificateVerify: one state type, two states.
    ExpectCertificate(Box<ClientCert>),
    ExpectCertificateVerify(Box<ClientCert>),
    ExpectEndOfEarlyData(Box<ExpectFinished>),
    ExpectFinished(Box<ExpectFinished>),
    Connected(Traffic),
}

impl ServerState {
    pub(crate) fn new(config: Arc<ServerConfig>) -> Self {
        Self::ExpectClientHello(Box::new(ExpectClientHello { config, hrr: None }))
    }
}

impl HandshakeState for ServerState {
    fn handle(self, cx: &mut Context<'_>, m: HandshakePayload, raw: &[u8]) -> Result<Self, Error> {
        use HandshakePayload as P;
        // Each state takes the one message it waits for; anything else is unexpected_message.
        match (self, m) {
            (Self::ExpectClientHello(s), P::ClientHello(ch)) => s.client_hello(cx, ch, raw),
            (Self::ExpectCertificate(s), P::Certificate(c)) => s.certificate(cx, c, raw),
            (Self::ExpectCertificateVerify(s), P::CertificateVerify(cv)) => {
                s.certificate_verify(cx, &cv, raw)
            }
            (Self::ExpectEndOfEarlyData(s), P::EndOfEarlyData) => s.end_of_early_data(cx, raw),
            (Self::ExpectFinished(s), P::Finished(vd)) => s.finished(cx, &vd, raw),
            (Self::Connected(t), m) => {
                Ok(Self::Connected(t.handle(cx, HandshakeMessage(m), false)?))
            }
            (state, got) => Err(state.unexpected(&got)),
        }
    }

    fn waits_for(&self) -> &'static str {
        match self {
            Self::ExpectClientHello(_) => "ClientHello",
            Self::ExpectCertificate(_) => "the client Certificate",
            Self::ExpectCertificateVerify(_) => "CertificateVerify",
            Self::ExpectEndOfEarlyData(_) => "EndOfEarlyData",
            Self::ExpectFinished(_) => "Finished",
            Self::Connected(_) => "a post-handshake message",
        }
    }
}

/// What a HelloRetryRequest committed us to.
struct HrrSent {
    suite: Tls13Suite,
    group: NamedGroup,
    cookie: [u8; 32],
    transcript: Transcript,
    /// The first ClientHello, which the second must repeat but for the changes §4.1.2 allows.
    first: Box<ClientHello>,
}

pub(crate) struct ExpectClientHello {
    config: Arc<ServerConfig>,
    hrr: Option<HrrSent>,
}

impl ExpectClientHello {
    fn client_hello(
        self: Box<Self>,
        cx: &mut Context<'_>,
        ch: ClientHello,
        raw: &[u8],
    ) -> Result<ServerState, Error> {
        let config = &self.config;
        let retry = self.hrr.as_ref().map(|h| RetrySent {
            suite: h.suite,
            group: h.group,
            cookie: &h.cookie,
            first: &h.first,
        });
        let prefix = self.hrr.as_ref().map(|h| &h.transcript);
        let n = negotiate(&ch, config, retry.as_ref(), |exts, suite| {
            crate::server_psk::accept(cx, config, exts, raw, prefix, suite)
        })?;
        self.note_hello(cx, &ch, n.early_data_offered());
        match n {
            Negotiation::Retry { suite, group, .. } => self.send_hrr(cx, ch, raw, suite, group),
            Negotiation::Accept(a) => self.accept(cx, &ch, raw, *a),
        }
    }

    /// The full flight for an accepted hello: ServerHello, EncryptedExtensions, then (full
    /// handshakes) CertificateRequest, Certificate, CertificateVerify, and Finished.
    fn accept(
        self: Box<Self>,
        cx: &mut Context<'_>,
        ch: &ClientHello,
        raw: &[u8],
        a: Accepted<'_>,
    ) -> Result<ServerState, Error> {
        let config = &self.config;
        let suite = a.suite;
        cx.info_mut().resumed = a.resumed.is_some();
        if let Some(state) = &a.resumed {
            // The client identity travels in the ticket: peer_certificates() stays the same.
            cx.info_mut().peer_certs = state.peer_certs.clone();
        }
        cx.info_mut().scheme = a.cert.as_ref().map(|(_, s)| *s);
        cx.info_mut().alpn = a.alpn.clone();
        cx.info_mut().sni = a.sni.map(str::to_string);
        cx.note_suite_and_group(suite, a.group);

        let after_hrr = self.hrr.is_some();
        let mut t = self
            .hrr
            .map_or_else(|| Transcript::new_hash(suite.hash()), |h| h.transcript);
        t.add(raw);
        let early = crate::server_psk::accept_early(cx, config, &a, after_hrr, &t);
        let hello = HelloOut {
            suite,
            group: a.group,
            peer_share: a.peer_share,
            psk: a.resumed.as_ref().map(|s| &s.psk),
            session_id: &ch.session_id,
            record_limit: a.record_limit,
        };
        let (ks, client_hs, server_hs) = hello.send(cx, &mut t)?;
        if let Some((budget, client_early)) = &early {
            // Until EndOfEarlyData the client's records are under its early traffic key.
            cx.skip_early_data(false);
            cx.set_read_key(suite, client_early);
            cx.set_early_budget(Some(*budget));
        }
        let sni = a.sni.is_some();
        emit_encrypted_extensions(cx, &mut t, a.record_limit, sni, a.alpn, early.is_some());
        let client_auth = match &a.cert {
            Some((cert, scheme)) => {
                if let Some(auth) = &config.client_auth {
                    emit_certificate_request(cx, &mut t, auth);
                }
                emit_certificate(cx, &mut t, cert, *scheme)?;
                config.client_auth.clone()
            }
            None => None,
        };
        let (ks, ap, exporter) = emit_finished(cx, &mut t, ks, suite, &server_hs)?;
        let tickets = crate::server_psk::pending(config, &a.exts, ks);
        let fin = ExpectFinished {
            suite,
            client_hs,
            transcript: t,
            client_ap: ap.client,
            server_ap: ap.server,
            exporter,
            tickets,
        };
        Ok(match (client_auth, early) {
            (Some(auth), _) => ServerState::ExpectCertificate(Box::new(ClientCert { auth, fin })),
            (None, Some(_)) => ServerState::ExpectEndOfEarlyData(Box::new(fin)),
            (None, None) => ServerState::ExpectFinished(Box::new(fin)),
        })
    }

    fn send_hrr(
        mut self: Box<Self>,
        cx: &mut Context<'_>,
        ch: ClientHello,
        raw: &[u8],
        suite: Tls13Suite,
        group: NamedGroup,
    ) -> Result<ServerState, Error> {
        let cookie = random32(&SystemRandom::new())?;
        let mut t = Transcript::new_hash(suite.hash());
        t.add(raw);
        t.rollover_for_hrr(suite.hash());
        cx.info_mut().hrr = true;
        cx.check("key share", || {
            format!("no acceptable key share; HelloRetryRequest for {group}")
        });
        emit_hello_retry_request(cx, &mut t, &ch.session_id, suite, group, &cookie)?;
        self.hrr = Some(HrrSent {
            suite,
            group,
            cookie,
            transcript: t,
            first: Box::new(ch),
        });
        Ok(ServerState::ExpectClientHello(self))
    }

    /// The early-data skip for a client offering 0-RTT (which we never accept; RFC 8446
    /// §4.2.10), and the client random for the key log.
    fn note_hello(&self, cx: &mut Context<'_>, ch: &ClientHello, early_data: bool) {
        if self.hrr.is_some() {
            // The client's rejected 0-RTT records all came before this hello.
            cx.skip_early_data(false);
            return;
        }
        cx.set_client_random(ch.random);
        if early_data {
            cx.skip_early_data(true);
            cx.check("early data", || "offered; rejected, will be skipped".into());
        }
    }
}

/// A client authenticating: its Certificate, then (unless empty) CertificateVerify.
pub(crate) struct ClientCert {
    auth: ClientAuth,
    fin: ExpectFinished,
}

impl ClientCert {
    fn certificate(
        mut self: Box<Self>,
        cx: &mut Context<'_>,
        c: CertificatePayload,
        raw: &[u8],
    ) -> Result<ServerState, Error> {
        if !c.context.is_empty() {
            return Err(Error::illegal(
                PeerMisbehaved::UnexpectedCertificateContext("client"),
            ));
        }
        self.fin.transcript.add(raw);
        let Some((leaf, rest)) = c.entries.split_first() else {
            if self.auth.required {
                return Err(Error::proto(
                    AlertDescription::CertificateRequired,
                    PeerMisbehaved::NoClientCertificate,
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
        cx.info_mut().peer_certs = c.entries.into_iter().map(|e| e.cert).collect();
        Ok(ServerState::ExpectCertificateVerify(self))
    }

    fn certificate_verify(
        mut self: Box<Self>,
        cx: &mut Context<'_>,
        cv: &CertificateVerifyPayload,
        raw: &[u8],
    ) -> Result<ServerState, Error> {
        let verifier = &self.auth.verifier;
        crate::auth::check_certificate_verify(
            cx,
            &self.fin.transcript,
            cv,
            verifier.supported_schemes(),
            false,
            |m, leaf, scheme, sig| verifier.verify_signature(m, leaf, scheme, sig),
        )?;
        cx.check("client CertificateVerify", || {
            "signature verified with the client certificate's key".into()
        });
        self.fin.transcript.add(raw);
        Ok(ServerState::ExpectFinished(Box::new(self.fin)))
    }
}

pub(crate) struct ExpectFinished {
    suite: Tls13Suite,
    client_hs: Secret,
    transcript: Transcript,
    client_ap: Secret,
    server_ap: Secret,
    exporter: Secret,
    tickets: Option<crate::server_psk::PendingTickets>,
}

impl ExpectFinished {
    /// EndOfEarlyData (under the early key) ends the 0-RTT data; the client's handshake key
    /// follows (RFC 8446 §4.5).
    fn end_of_early_data(
        mut self: Box<Self>,
        cx: &mut Context<'_>,
        raw: &[u8],
    ) -> Result<ServerState, Error> {
        self.transcript.add(raw);
        cx.set_early_budget(None);
        cx.set_read_key(self.suite, &self.client_hs);
        cx.check("early data", || {
            "EndOfEarlyData: the client's handshake key from here".into()
        });
        Ok(ServerState::ExpectFinished(self))
    }

    fn finished(
        self: Box<Self>,
        cx: &mut Context<'_>,
        vd: &[u8],
        raw: &[u8],
    ) -> Result<ServerState, Error> {
        let hash = self.suite.hash();
        crate::auth::check_finished(
            cx,
            hash,
            &self.client_hs,
            &self.transcript,
            vd,
            "client Finished",
        )?;
        cx.set_read_key(self.suite, &self.client_ap);
        cx.allow_compat_ccs(false);
        cx.set_handshake_complete();
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
