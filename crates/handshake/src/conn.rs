//! The sans-IO connection: bytes in (`read_tls`), bytes out (`write_tls`), plaintext via
//! `reader()`/`writer()`. Shared by client and server; the role-specific state machine lives in
//! `client.rs` / `server.rs`.

use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use bytes::{Buf, BytesMut};
use https_record::{
    next_traffic_secret, Alert, AlertDescription, CipherSuite, ContentType, Incoming, RecordError,
    RecordLayer, RecordOpener, RecordSealer, MAX_PLAINTEXT_LEN,
};

use crate::client::ClientState;
use crate::codec::{Codec, HandshakeMessage, HandshakePayload, HandshakeType};
use crate::config::{ClientConfig, ServerConfig};
use crate::error::Error;
use crate::keyschedule::{KeySchedule, Secret, Transcript};
use crate::kx::NamedGroup;
use crate::server::ServerState;
use crate::trace::{KeyLog, TraceEvent};

/// Largest handshake message we accept (a certificate chain fits easily).
pub const MAX_HANDSHAKE_MESSAGE: usize = 64 * 1024;
/// Largest total of handshake bytes we accept from the peer before the handshake completes.
pub const MAX_HANDSHAKE_FLIGHT: usize = 256 * 1024;
/// Plaintext buffered for the application before `read_tls` refuses more.
const MAX_RECEIVED_PLAINTEXT: usize = 256 * 1024;

/// What is negotiated so far.
#[derive(Debug, Clone, Default)]
pub(crate) struct Negotiated {
    pub(crate) suite: Option<CipherSuite>,
    pub(crate) group: Option<NamedGroup>,
    pub(crate) alpn: Option<Vec<u8>>,
    pub(crate) peer_certs: Vec<Vec<u8>>,
    pub(crate) sni: Option<String>,
    pub(crate) scheme: Option<u16>,
    pub(crate) hrr: bool,
    pub(crate) resumed: bool,
}

/// State shared by both roles: record layer, buffers, trace, key log.
/// One epoch's traffic secrets, both directions.
pub(crate) struct TrafficSecrets {
    pub(crate) client: Secret,
    pub(crate) server: Secret,
}

pub(crate) struct Common {
    pub(crate) record: RecordLayer,
    sendable: BytesMut,
    hs_out: Vec<u8>,
    hs_in: Vec<u8>,
    received: VecDeque<BytesMut>,
    received_len: usize,
    pending_plain: Vec<u8>,
    pub(crate) handshake_complete: bool,
    read_key_changed: bool,
    error: Option<Error>,
    close_sent: bool,
    eof: bool,
    hs_bytes_received: usize,
    pub(crate) trace: Option<Vec<TraceEvent>>,
    pub(crate) key_log: Option<Arc<dyn KeyLog>>,
    pub(crate) client_random: [u8; 32],
    pub(crate) info: Negotiated,
    pub(crate) ccs_sent: bool,
    /// The peer's record_size_limit (RFC 8449), applied to every write key.
    pub(crate) peer_record_limit: Option<u16>,
    /// A stricter record limit per write key than the suite's (tests, local policy).
    key_update_limit: Option<u64>,
}

impl Common {
    pub(crate) fn new(trace: bool, key_log: Option<Arc<dyn KeyLog>>) -> Self {
        Self {
            record: RecordLayer::new(),
            sendable: BytesMut::new(),
            hs_out: Vec::new(),
            hs_in: Vec::new(),
            received: VecDeque::new(),
            received_len: 0,
            pending_plain: Vec::new(),
            handshake_complete: false,
            read_key_changed: false,
            error: None,
            close_sent: false,
            eof: false,
            hs_bytes_received: 0,
            trace: trace.then(Vec::new),
            key_log,
            client_random: [0; 32],
            info: Negotiated::default(),
            ccs_sent: false,
            peer_record_limit: None,
            key_update_limit: None,
        }
    }

    /// Records a trace event (built only when tracing is on).
    pub(crate) fn trace(&mut self, ev: impl FnOnce() -> TraceEvent) {
        if let Some(t) = &mut self.trace {
            t.push(ev());
        }
    }

    /// Queues a handshake message in the current flight (coalesced into as few records as possible).
    pub(crate) fn send_hs(&mut self, msg: &HandshakeMessage, transcript: Option<&mut Transcript>) {
        let start = self.hs_out.len();
        msg.encode(&mut self.hs_out);
        let raw = &self.hs_out[start..];
        if let Some(t) = transcript {
            t.add(raw);
        }
        let (name, bytes) = (msg.0.name(), raw.len());
        self.trace(|| TraceEvent::Sent {
            message: name,
            bytes,
        });
    }

    /// Seals the queued flight under the current write key.
    pub(crate) fn flush_hs(&mut self) -> Result<(), Error> {
        if !self.hs_out.is_empty() {
            let flight = std::mem::take(&mut self.hs_out);
            let res = self.write_records(ContentType::Handshake, &flight);
            self.hs_out = flight;
            self.hs_out.clear();
            res?;
        }
        Ok(())
    }

    /// Appends `payload` as records: protected when a write key is installed, plaintext otherwise.
    /// Reserves exactly what the records need (one allocation, no 16 KiB over-reservation for a
    /// small flight or response).
    fn write_records(&mut self, typ: ContentType, payload: &[u8]) -> Result<(), Error> {
        let Some(sealer) = self.record.sealer_mut() else {
            self.record.write(typ, payload, &mut self.sendable)?;
            return Ok(());
        };
        let frag = sealer.max_fragment().clamp(1, MAX_PLAINTEXT_LEN);
        let need: usize = payload
            .chunks(frag)
            .map(|c| sealer.sealed_len(c.len()))
            .sum();
        self.sendable.reserve(need);
        for chunk in payload.chunks(frag) {
            sealer.seal_into(typ, chunk, &mut self.sendable)?;
        }
        Ok(())
    }

    /// The middlebox-compatibility change_cipher_spec (RFC 8446 D.4), always unprotected, once.
    pub(crate) fn send_ccs(&mut self) -> Result<(), Error> {
        if self.ccs_sent {
            return Ok(());
        }
        self.flush_hs()?;
        https_record::write_plaintext(ContentType::ChangeCipherSpec, &[1], &mut self.sendable);
        self.ccs_sent = true;
        self.trace(|| TraceEvent::Sent {
            message: "ChangeCipherSpec",
            bytes: 6,
        });
        Ok(())
    }

    pub(crate) fn set_write_key(
        &mut self,
        suite: CipherSuite,
        secret: &Secret,
    ) -> Result<(), Error> {
        self.flush_hs()?;
        let mut sealer = RecordSealer::from_secret(suite, secret.as_bytes());
        if let Some(limit) = self.peer_record_limit {
            sealer.set_record_size_limit(usize::from(limit));
        }
        if let Some(records) = self.key_update_limit {
            sealer.set_key_update_limit(records);
        }
        self.record.set_sealer(sealer);
        Ok(())
    }

    pub(crate) fn set_read_key(&mut self, suite: CipherSuite, secret: &Secret) {
        self.record
            .set_opener(RecordOpener::from_secret(suite, secret.as_bytes()));
        self.read_key_changed = true;
    }

    /// handshake_secret from the (EC)DHE output, then both handshake traffic secrets, each logged
    /// and traced (RFC 8446 §7.1). Both roles derive the same values; only their use differs.
    pub(crate) fn derive_handshake_secrets(
        &mut self,
        ks: &mut KeySchedule,
        shared: &[u8],
        transcript_hash: &[u8],
    ) -> TrafficSecrets {
        ks.advance(Some(shared));
        self.trace(|| TraceEvent::Secret {
            name: "handshake_secret",
        });
        let client = ks.derive(b"c hs traffic", transcript_hash);
        let server = ks.derive(b"s hs traffic", transcript_hash);
        self.log_secret(
            "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
            "client_handshake_traffic_secret",
            &client,
        );
        self.log_secret(
            "SERVER_HANDSHAKE_TRAFFIC_SECRET",
            "server_handshake_traffic_secret",
            &server,
        );
        TrafficSecrets { client, server }
    }

    /// master_secret, then both application traffic secrets and the exporter secret, each logged
    /// and traced.
    pub(crate) fn derive_application_secrets(
        &mut self,
        ks: &mut KeySchedule,
        transcript_hash: &[u8],
    ) -> (TrafficSecrets, Secret) {
        ks.advance(None);
        self.trace(|| TraceEvent::Secret {
            name: "master_secret",
        });
        let client = ks.derive(b"c ap traffic", transcript_hash);
        let server = ks.derive(b"s ap traffic", transcript_hash);
        self.log_secret(
            "CLIENT_TRAFFIC_SECRET_0",
            "client_application_traffic_secret_0",
            &client,
        );
        self.log_secret(
            "SERVER_TRAFFIC_SECRET_0",
            "server_application_traffic_secret_0",
            &server,
        );
        let exporter = ks.derive(b"exp master", transcript_hash);
        self.log_secret("EXPORTER_SECRET", "exporter_master_secret", &exporter);
        (TrafficSecrets { client, server }, exporter)
    }

    /// Key log line (NSS format) and a trace event naming the secret.
    pub(crate) fn log_secret(&mut self, label: &'static str, name: &'static str, secret: &Secret) {
        if let Some(kl) = &self.key_log {
            kl.log(label, &self.client_random, secret.as_bytes());
        }
        self.trace(|| TraceEvent::Secret { name });
    }

    pub(crate) fn check(&mut self, what: &'static str, detail: impl FnOnce() -> String) {
        self.trace(|| TraceEvent::Check {
            what,
            detail: detail(),
        });
    }

    pub(crate) fn negotiated(&mut self, what: &'static str, value: impl FnOnce() -> String) {
        self.trace(|| TraceEvent::Negotiated {
            what,
            value: value(),
        });
    }

    /// Moves buffered application data into records (full records first; the tail too if `all`).
    fn seal_pending(&mut self, all: bool) -> Result<(), Error> {
        if !self.handshake_complete
            || self.pending_plain.is_empty()
            || self.close_sent
            || self.error.is_some()
        {
            return Ok(());
        }
        let n = if all {
            self.pending_plain.len()
        } else {
            self.pending_plain.len() / MAX_PLAINTEXT_LEN * MAX_PLAINTEXT_LEN
        };
        if n == 0 {
            return Ok(());
        }
        let plain = std::mem::take(&mut self.pending_plain);
        let res = self.write_records(ContentType::ApplicationData, &plain[..n]);
        self.pending_plain = plain;
        res?;
        self.pending_plain.drain(..n);
        if self.pending_plain.is_empty() {
            self.pending_plain = Vec::new(); // idle connections hold no buffer
        }
        Ok(())
    }
}

/// The traffic phase, shared by both roles: application keys and KeyUpdate (RFC 8446 §4.6.3).
pub(crate) struct Traffic {
    pub(crate) suite: CipherSuite,
    pub(crate) write_secret: Secret,
    pub(crate) read_secret: Secret,
    pub(crate) exporter: Secret,
}

impl Traffic {
    pub(crate) fn handle(
        mut self,
        cx: &mut Common,
        msg: HandshakeMessage,
        is_client: bool,
    ) -> Result<Self, Error> {
        match msg.0 {
            HandshakePayload::KeyUpdate(requested) => {
                let h = self.suite.hash();
                self.read_secret =
                    Secret::from_slice(&next_traffic_secret(h, self.read_secret.as_bytes()));
                cx.set_read_key(self.suite, &self.read_secret);
                if requested {
                    cx.send_hs(&HandshakeMessage(HandshakePayload::KeyUpdate(false)), None);
                    self.write_secret =
                        Secret::from_slice(&next_traffic_secret(h, self.write_secret.as_bytes()));
                    cx.set_write_key(self.suite, &self.write_secret)?;
                }
                Ok(self)
            }
            // Tickets without a session store (resumption off) are ignored.
            HandshakePayload::NewSessionTicket(_) if is_client => Ok(self),
            other => Err(Error::unexpected(format!(
                "{} after the handshake",
                other.name()
            ))),
        }
    }

    /// Sends a KeyUpdate and switches our write key.
    pub(crate) fn update_write(
        &mut self,
        cx: &mut Common,
        request_peer: bool,
    ) -> Result<(), Error> {
        cx.send_hs(
            &HandshakeMessage(HandshakePayload::KeyUpdate(request_peer)),
            None,
        );
        self.write_secret = Secret::from_slice(&next_traffic_secret(
            self.suite.hash(),
            self.write_secret.as_bytes(),
        ));
        cx.set_write_key(self.suite, &self.write_secret)
    }
}

pub(crate) enum HsState {
    Client(ClientState),
    Server(ServerState),
}

/// Buffer states after [`Connection::process_new_packets`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IoState {
    /// TLS bytes waiting for `write_tls`.
    pub tls_bytes_to_write: usize,
    /// Plaintext waiting in `reader()`.
    pub plaintext_bytes_to_read: usize,
    /// The peer sent close_notify.
    pub peer_has_closed: bool,
}

/// A TLS 1.3 connection, either role. [`ClientConnection`] and [`ServerConnection`] deref to it.
pub struct Connection {
    pub(crate) common: Common,
    pub(crate) state: Option<HsState>,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("handshaking", &!self.common.handshake_complete)
            .field("suite", &self.common.info.suite)
            .finish_non_exhaustive()
    }
}

impl Connection {
    /// Reads TLS bytes from the transport (once). `Ok(0)` means EOF.
    pub fn read_tls(&mut self, rd: &mut dyn Read) -> io::Result<usize> {
        if self.common.received_len >= MAX_RECEIVED_PLAINTEXT {
            return Err(io::Error::other(
                "received plaintext buffer full: read from reader() first",
            ));
        }
        let n = self.common.record.read_from(rd)?;
        if n == 0 {
            self.common.eof = true;
        }
        Ok(n)
    }

    /// Writes pending TLS bytes to the transport (one `write` call).
    pub fn write_tls(&mut self, wr: &mut dyn Write) -> io::Result<usize> {
        self.rekey_if_due().map_err(io::Error::from)?;
        self.common.seal_pending(true).map_err(io::Error::from)?;
        if self.common.sendable.is_empty() {
            return Ok(0);
        }
        let n = wr.write(&self.common.sendable)?;
        self.common.sendable.advance(n);
        if self.common.sendable.is_empty() {
            // Idle connections hold no output buffer (bench: heap per idle connection).
            self.common.sendable = BytesMut::new();
        }
        Ok(n)
    }

    /// Processes everything received: handshake messages, application data, alerts. On a protocol
    /// violation it queues the alert (send it with `write_tls`) and returns the error; the error is
    /// sticky.
    pub fn process_new_packets(&mut self) -> Result<IoState, Error> {
        if let Some(e) = &self.common.error {
            return Err(e.clone());
        }
        if let Err(e) = self.process_inner() {
            self.fail(e.clone());
            return Err(e);
        }
        Ok(IoState {
            tls_bytes_to_write: self.common.sendable.len(),
            plaintext_bytes_to_read: self.common.received_len,
            peer_has_closed: self.common.record.peer_closed(),
        })
    }

    fn fail(&mut self, e: Error) {
        self.common.hs_out.clear();
        if let Some(alert) = e.alert() {
            let _ = self
                .common
                .record
                .write_alert(Alert::fatal(alert), &mut self.common.sendable);
        }
        self.common.error = Some(e);
        self.state = None;
    }

    fn process_inner(&mut self) -> Result<(), Error> {
        loop {
            let incoming = match self.common.record.next_incoming() {
                Ok(Some(i)) => i,
                Ok(None) => break,
                Err(e) => return Err(e.into()),
            };
            match incoming {
                Incoming::Handshake(bytes) => {
                    if !self.common.handshake_complete {
                        self.common.hs_bytes_received += bytes.len();
                        if self.common.hs_bytes_received > MAX_HANDSHAKE_FLIGHT {
                            return Err(Error::proto(
                                AlertDescription::UnexpectedMessage,
                                "handshake too large",
                            ));
                        }
                    }
                    self.common.hs_in.extend_from_slice(&bytes);
                    self.process_handshake()?;
                }
                Incoming::ApplicationData(bytes) => {
                    if !self.common.handshake_complete {
                        return Err(Error::unexpected(
                            "application data before the handshake completed",
                        ));
                    }
                    if !bytes.is_empty() {
                        self.common.received_len += bytes.len();
                        self.common.received.push_back(bytes);
                    }
                }
                Incoming::CloseNotify => {
                    if !self.common.handshake_complete {
                        return Err(Error::AlertReceived(AlertDescription::CloseNotify));
                    }
                }
                Incoming::UserCanceled => {}
            }
        }
        self.common.flush_hs()?;
        if self.common.handshake_complete && self.common.hs_out.capacity() > 0 {
            self.common.hs_out = Vec::new();
        }
        // Drop the deframer's read buffer when it holds nothing: an idle connection keeps no 16 KiB
        // buffer (the next read allocates again, cheap next to the AEAD work on a full record).
        let deframer = self.common.record.deframer_mut();
        if deframer.buffered_len() == 0 {
            *deframer = https_record::Deframer::new();
        }
        if self.common.eof && !self.common.record.peer_closed() && !self.common.handshake_complete {
            return Err(Error::Record(RecordError::Truncated {
                mid_record: self.common.record.deframer_mut().has_pending_bytes(),
            }));
        }
        Ok(())
    }

    fn process_handshake(&mut self) -> Result<(), Error> {
        let buf = std::mem::take(&mut self.common.hs_in);
        let mut at = 0;
        let res = (|| {
            while buf.len() - at >= 4 {
                let typ = buf[at];
                let len = u32::from_be_bytes([0, buf[at + 1], buf[at + 2], buf[at + 3]]) as usize;
                if len > MAX_HANDSHAKE_MESSAGE {
                    return Err(Error::decode("handshake message too large"));
                }
                if buf.len() - at < 4 + len {
                    break;
                }
                if matches!(
                    HandshakeType::from_u8(typ),
                    None | Some(HandshakeType::MessageHash)
                ) {
                    return Err(Error::unexpected(format!(
                        "unknown handshake message type {typ}"
                    )));
                }
                let raw = &buf[at..at + 4 + len];
                let msg = HandshakeMessage::read_bytes(raw)?;
                let (name, bytes) = (msg.0.name(), raw.len());
                self.common.trace(|| TraceEvent::Received {
                    message: name,
                    bytes,
                });
                self.common.read_key_changed = false;
                let state = self.state.take().ok_or(Error::Closed)?;
                self.state = Some(match state {
                    HsState::Client(s) => HsState::Client(s.handle(&mut self.common, msg, raw)?),
                    HsState::Server(s) => HsState::Server(s.handle(&mut self.common, msg, raw)?),
                });
                at += 4 + len;
                if self.common.read_key_changed && at < buf.len() {
                    return Err(Error::unexpected("handshake message spans a key change"));
                }
            }
            Ok(())
        })();
        let mut buf = buf;
        buf.drain(..at);
        if buf.is_empty() && self.common.handshake_complete {
            buf = Vec::new(); // idle connections keep no buffer
        }
        self.common.hs_in = buf;
        res
    }

    /// Plaintext received from the peer.
    pub fn reader(&mut self) -> Reader<'_> {
        Reader {
            common: &mut self.common,
        }
    }

    /// Plaintext to send; buffered until the handshake completes, then sealed on `write_tls`
    /// (small writes coalesce into one record).
    pub fn writer(&mut self) -> Writer<'_> {
        Writer {
            common: &mut self.common,
        }
    }

    /// Queues a close_notify alert; nothing can be written after it.
    pub fn send_close_notify(&mut self) {
        if self.common.close_sent || self.common.error.is_some() {
            return;
        }
        let _ = self.common.seal_pending(true);
        let _ = self.common.flush_hs();
        let _ = self
            .common
            .record
            .write_close_notify(&mut self.common.sendable);
        self.common.close_sent = true;
    }

    /// RFC 8446 §5.5: once the write key has protected its suite's record limit, send KeyUpdate and
    /// switch keys before sealing more application data.
    fn rekey_if_due(&mut self) -> Result<(), Error> {
        if !self.common.record.key_update_due()
            || self.common.close_sent
            || self.common.error.is_some()
        {
            return Ok(());
        }
        let (Some(HsState::Client(ClientState::Connected(t, _)))
        | Some(HsState::Server(ServerState::Connected(t)))) = &mut self.state
        else {
            return Ok(());
        };
        t.update_write(&mut self.common, false)?;
        self.common.flush_hs()
    }

    /// Limits every write key to `records` records before an automatic KeyUpdate (the suite's
    /// limit otherwise, e.g. 2^24.5 for AES-GCM). For tests and stricter local policy.
    pub fn set_key_update_limit(&mut self, records: u64) {
        self.common.key_update_limit = Some(records);
        if let Some(s) = self.common.record.sealer_mut() {
            s.set_key_update_limit(records);
        }
    }

    /// Sends a KeyUpdate (new write key); with `request_peer` the peer updates too.
    pub fn send_key_update(&mut self, request_peer: bool) -> Result<(), Error> {
        let (Some(HsState::Client(ClientState::Connected(t, _)))
        | Some(HsState::Server(ServerState::Connected(t)))) = &mut self.state
        else {
            return Err(Error::Config(
                "KeyUpdate before the handshake completed".into(),
            ));
        };
        self.common.seal_pending(true)?;
        t.update_write(&mut self.common, request_peer)?;
        self.common.flush_hs()
    }

    /// RFC 8446 §7.5 keying material exporter (RFC 5705 interface): fills `out` with
    /// `HKDF-Expand-Label(Derive-Secret(exporter_master_secret, label, ""), "exporter", Hash(context), len)`.
    pub fn export_keying_material(
        &self,
        out: &mut [u8],
        label: &[u8],
        context: &[u8],
    ) -> Result<(), Error> {
        let (Some(HsState::Client(ClientState::Connected(t, _)))
        | Some(HsState::Server(ServerState::Connected(t)))) = &self.state
        else {
            return Err(Error::Config(
                "keying material is available once the handshake completed".into(),
            ));
        };
        let hash = t.suite.hash();
        if out.len() > 255 * hash.output_len() || label.len() > 249 {
            return Err(Error::Config("exporter output or label too long".into()));
        }
        let empty = ring::digest::digest(hash.digest_algorithm(), &[]);
        let secret =
            crate::keyschedule::expand_label(hash, t.exporter.as_bytes(), label, empty.as_ref());
        let ctx = ring::digest::digest(hash.digest_algorithm(), context);
        https_record::hkdf_expand_label(hash, secret.as_bytes(), b"exporter", ctx.as_ref(), out);
        Ok(())
    }

    /// True while the connection wants more TLS bytes from the peer.
    pub fn wants_read(&self) -> bool {
        self.common.error.is_none()
            && !self.common.record.peer_closed()
            && self.common.received.is_empty()
    }

    /// Sealed TLS bytes waiting for `write_tls` (plaintext not yet sealed is not counted).
    pub fn sendable_len(&self) -> usize {
        self.common.sendable.len()
    }

    /// True if `write_tls` has something to send.
    pub fn wants_write(&self) -> bool {
        !self.common.sendable.is_empty()
            || (self.common.handshake_complete
                && !self.common.close_sent
                && !self.common.pending_plain.is_empty())
    }

    /// True until both Finished messages are exchanged.
    pub fn is_handshaking(&self) -> bool {
        !self.common.handshake_complete
    }

    /// The negotiated cipher suite.
    pub fn negotiated_cipher_suite(&self) -> Option<CipherSuite> {
        self.common.info.suite
    }
    /// The key exchange group.
    pub fn negotiated_group(&self) -> Option<NamedGroup> {
        self.common.info.group
    }
    /// The ALPN protocol agreed, if any.
    pub fn alpn_protocol(&self) -> Option<&[u8]> {
        self.common.info.alpn.as_deref()
    }
    /// The protocol version (always 0x0304, TLS 1.3, once the ServerHello is processed).
    pub fn protocol_version(&self) -> Option<u16> {
        self.common.info.suite.map(|_| 0x0304)
    }
    /// The peer's certificate chain as sent (leaf first), client side.
    pub fn peer_certificates(&self) -> Option<&[Vec<u8>]> {
        (!self.common.info.peer_certs.is_empty()).then_some(self.common.info.peer_certs.as_slice())
    }
    /// The SNI name the client sent (server side).
    pub fn server_name(&self) -> Option<&str> {
        self.common.info.sni.as_deref()
    }
    /// The CertificateVerify signature scheme.
    pub fn signature_scheme(&self) -> Option<u16> {
        self.common.info.scheme
    }
    /// True if the handshake resumed a session (PSK with ECDHE).
    pub fn is_resumed(&self) -> bool {
        self.common.info.resumed
    }
    /// True if a HelloRetryRequest happened.
    pub fn had_hello_retry(&self) -> bool {
        self.common.info.hrr
    }
    /// The trace so far (empty unless the config enabled it).
    pub fn trace(&self) -> &[TraceEvent] {
        self.common.trace.as_deref().unwrap_or(&[])
    }
    /// The error that closed the connection, if any.
    pub fn error(&self) -> Option<&Error> {
        self.common.error.as_ref()
    }
}

/// Reads received plaintext. `Ok(0)` only after close_notify; `WouldBlock` when nothing is buffered;
/// `UnexpectedEof` if the transport ended without close_notify; `InvalidData` after a fatal error.
pub struct Reader<'a> {
    common: &'a mut Common,
}

impl Read for Reader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut n = 0;
        while n < buf.len() {
            let Some(front) = self.common.received.front_mut() else {
                break;
            };
            let take = front.len().min(buf.len() - n);
            buf[n..n + take].copy_from_slice(&front[..take]);
            front.advance(take);
            n += take;
            if front.is_empty() {
                self.common.received.pop_front();
            }
        }
        self.common.received_len -= n;
        if n > 0 || buf.is_empty() || self.common.record.peer_closed() {
            return Ok(n);
        }
        if let Some(e) = &self.common.error {
            return Err(io::Error::new(io::ErrorKind::InvalidData, e.clone()));
        }
        if self.common.eof {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "peer closed without close_notify",
            ));
        }
        Err(io::ErrorKind::WouldBlock.into())
    }
}

/// Buffers plaintext to send.
pub struct Writer<'a> {
    common: &'a mut Common,
}

impl Write for Writer<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.common.close_sent {
            return Err(io::Error::new(io::ErrorKind::BrokenPipe, Error::Closed));
        }
        if let Some(e) = &self.common.error {
            return Err(io::Error::new(io::ErrorKind::InvalidData, e.clone()));
        }
        self.common.pending_plain.extend_from_slice(buf);
        self.common.seal_pending(false).map_err(io::Error::from)?;
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        self.common.seal_pending(true).map_err(io::Error::from)
    }
}

/// A client connection.
pub struct ClientConnection {
    inner: Connection,
}

impl ClientConnection {
    /// Starts a handshake with `server_name` (a DNS name, or an IP address: then no SNI is sent);
    /// the ClientHello is ready for `write_tls` at once.
    pub fn new(config: Arc<ClientConfig>, server_name: &str) -> Result<Self, Error> {
        let mut common = Common::new(config.trace, config.key_log.clone());
        let state = ClientState::start(config, server_name, &mut common)?;
        Ok(Self {
            inner: Connection {
                common,
                state: Some(HsState::Client(state)),
            },
        })
    }
    /// The plain connection (e.g. for a generic adapter).
    pub fn into_inner(self) -> Connection {
        self.inner
    }
}

/// A server connection.
pub struct ServerConnection {
    inner: Connection,
}

impl ServerConnection {
    /// Waits for a ClientHello.
    pub fn new(config: Arc<ServerConfig>) -> Result<Self, Error> {
        let common = Common::new(config.trace, config.key_log.clone());
        Ok(Self {
            inner: Connection {
                common,
                state: Some(HsState::Server(ServerState::new(config))),
            },
        })
    }
    /// The plain connection.
    pub fn into_inner(self) -> Connection {
        self.inner
    }
}

macro_rules! deref_conn {
    ($t:ty) => {
        impl Deref for $t {
            type Target = Connection;
            fn deref(&self) -> &Connection {
                &self.inner
            }
        }
        impl DerefMut for $t {
            fn deref_mut(&mut self) -> &mut Connection {
                &mut self.inner
            }
        }
        impl std::fmt::Debug for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.inner.fmt(f)
            }
        }
    };
}
deref_conn!(ClientConnection);
deref_conn!(ServerConnection);
