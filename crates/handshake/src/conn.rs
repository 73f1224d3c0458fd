//! The sans-IO connection: bytes in (`read_tls`), bytes out (`write_tls`), plaintext via
//! `reader()`/`writer()`. Shared by client and server; the role-specific state machine lives in
//! `client.rs` / `server.rs`.

use std::io::{self, Read, Write};
use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use bytes::{Buf, BytesMut};
use https_record::{Alert, AlertDescription, Incoming, Tls13Suite, MAX_PLAINTEXT_LEN};

use crate::client::ClientState;
use crate::codec::{Codec, HandshakeMessage, HandshakeType};
use crate::common::{
    max_message_len, Common, MAX_HANDSHAKE_FLIGHT, MAX_RECEIVED_PLAINTEXT, MAX_UNSENT_TLS,
};
use crate::config::{ClientConfig, ServerConfig};
use crate::context::{Context, HandshakeState};
use crate::error::{Error, PeerMisbehaved};
use crate::kx::NamedGroup;
use crate::server::ServerState;
use crate::trace::TraceEvent;
use crate::traffic::Traffic;

pub(crate) enum HsState {
    Client(ClientState),
    Server(ServerState),
}

/// The traffic state once connected (either role).
fn traffic_mut(state: &mut Option<HsState>) -> Option<&mut Traffic> {
    match state {
        Some(HsState::Client(ClientState::Connected(t, _)))
        | Some(HsState::Server(ServerState::Connected(t))) => Some(t),
        _ => None,
    }
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
    /// close_notify was asked for while plaintext waited for the handshake: it goes out after
    /// that plaintext, once the handshake completes (never dropping what was written).
    close_deferred: bool,
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
    /// Reads TLS bytes from the transport (once). `Ok(0)` means EOF. Refuses (`WouldBlock`) while
    /// [`MAX_UNSENT_TLS`] sealed bytes wait for `write_tls` (back-pressure: a peer that never reads
    /// cannot make us queue output), or while [`Connection::reader`] holds 256 KiB unread.
    pub fn read_tls(&mut self, rd: &mut dyn Read) -> io::Result<usize> {
        if let Some(e) = self.common.error.as_deref() {
            return Err(io::Error::new(io::ErrorKind::InvalidData, e.clone()));
        }
        if self.common.sendable.len() > MAX_UNSENT_TLS {
            return Err(io::Error::new(
                io::ErrorKind::WouldBlock,
                "unsent TLS output over its limit: call write_tls first",
            ));
        }
        if self.common.received_len >= MAX_RECEIVED_PLAINTEXT {
            return Err(io::Error::other(
                "received plaintext buffer full: read from reader() first",
            ));
        }
        self.common.record.read_from(rd)
    }

    /// Writes pending TLS bytes to the transport (one `write` call).
    pub fn write_tls(&mut self, wr: &mut dyn Write) -> io::Result<usize> {
        self.rekey_if_due().map_err(io::Error::from)?;
        self.seal_pending(true).map_err(io::Error::from)?;
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

    /// Seals buffered application data, answering a peer's KeyUpdate request first (it must
    /// precede our next application data record). With nothing else to send, the answer goes
    /// out on its own once earlier output has left, so at most one answer is ever queued.
    fn seal_pending(&mut self, all: bool) -> Result<(), Error> {
        let before_data = !self.common.pending_plain.is_empty();
        self.answer_key_update(before_data)?;
        self.common.seal_pending(all)
    }

    /// Sends the KeyUpdate a peer asked for, if one is owed and either nothing else waits to be
    /// sent or application data is about to be sealed (`before_data`).
    fn answer_key_update(&mut self, before_data: bool) -> Result<(), Error> {
        let c = &self.common;
        if !c.key_update_owed || c.error.is_some() || !(c.sendable.is_empty() || before_data) {
            return Ok(());
        }
        if let Some(t) = traffic_mut(&mut self.state) {
            t.update_write(&mut Context::new(&mut self.common), false)?;
            self.common.flush_hs()?;
        }
        Ok(())
    }

    /// Processes everything received: handshake messages, application data, alerts. On a protocol
    /// violation it queues the alert (send it with `write_tls`) and returns the error; the error is
    /// sticky.
    pub fn process_new_packets(&mut self) -> Result<IoState, Error> {
        if let Some(e) = self.common.error.as_deref() {
            return Err(e.clone());
        }
        if let Err(e) = self
            .process_inner()
            .and_then(|()| self.answer_key_update(false))
        {
            self.fail(e.clone());
            return Err(e);
        }
        self.common.half_rtt = !self.common.handshake_complete
            && self.common.info.early_accepted
            && matches!(self.state, Some(HsState::Server(_)));
        if self.close_deferred && self.common.handshake_complete {
            self.close_deferred = false;
            self.send_close_notify();
        }
        Ok(IoState {
            tls_bytes_to_write: self.common.sendable.len(),
            plaintext_bytes_to_read: self.common.received_len,
            peer_has_closed: self.common.record.peer_closed(),
        })
    }

    /// The one place a fatal alert is queued: once, and then nothing more (the error is sticky and
    /// every writer checks it). Output not sealed yet is dropped.
    fn fail(&mut self, e: Error) {
        self.common.hs_out.clear();
        self.common.pending_plain = Vec::new();
        self.common.key_update_owed = false;
        if let Some(alert) = e.alert() {
            let _ = self
                .common
                .record
                .write_alert(Alert::fatal(alert), &mut self.common.sendable);
        }
        self.common.error = Some(Box::new(e));
        self.state = None;
    }

    fn process_inner(&mut self) -> Result<(), Error> {
        while let Some(incoming) = self.common.record.next_incoming()? {
            // RFC 8446 §5.1: a handshake message split over records may not have other content
            // between its pieces.
            if !self.common.hs_in.is_empty() && !matches!(incoming, Incoming::Handshake(_)) {
                return Err(Error::unexpected(
                    PeerMisbehaved::InterleavedHandshakeFragments,
                ));
            }
            match incoming {
                Incoming::Handshake(bytes) => {
                    if !self.common.handshake_complete {
                        self.common.hs_bytes_received += bytes.len();
                        if self.common.hs_bytes_received > MAX_HANDSHAKE_FLIGHT {
                            return Err(Error::unexpected(PeerMisbehaved::HandshakeFlightTooLarge));
                        }
                    }
                    self.common.hs_in.extend_from_slice(&bytes);
                    self.process_handshake()?;
                }
                Incoming::ApplicationData(bytes) => {
                    if !self.common.handshake_complete {
                        // Only 0-RTT data we accepted, within its budget (RFC 8446 §4.2.10).
                        let Some(left) = self.common.early_budget.as_mut() else {
                            return Err(Error::unexpected(PeerMisbehaved::EarlyApplicationData));
                        };
                        *left = left
                            .checked_sub(bytes.len())
                            .ok_or_else(|| Error::unexpected(PeerMisbehaved::TooMuchEarlyData))?;
                        self.common.info.early_len += bytes.len();
                    }
                    self.common.received_len += bytes.len();
                    match self.common.received.back_mut() {
                        // Small records are copied onto the last chunk, so a peer sending one
                        // byte per record cannot make the queue long: at most one chunk per KiB.
                        Some(back) if bytes.len() < 1024 && back.len() < MAX_PLAINTEXT_LEN => {
                            back.extend_from_slice(&bytes)
                        }
                        _ if bytes.is_empty() => {}
                        _ => self.common.received.push_back(bytes),
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
        // EOF before the handshake completed: the record layer says whether it was clean.
        if self.common.record.transport_ended() && !self.common.handshake_complete {
            self.common.record.eof()?;
        }
        Ok(())
    }

    fn process_handshake(&mut self) -> Result<(), Error> {
        let buf = std::mem::take(&mut self.common.hs_in);
        let mut at = 0;
        let res = (|| {
            while let Some(header) = buf.get(at..at + 4) {
                let typ = HandshakeType::from_u8(header[0]);
                let len = usize::from(header[1]) << 16
                    | usize::from(header[2]) << 8
                    | usize::from(header[3]);
                if matches!(typ, HandshakeType::Unknown(_) | HandshakeType::MessageHash) {
                    return Err(Error::unexpected(PeerMisbehaved::UnknownHandshakeType(
                        header[0],
                    )));
                }
                if len > max_message_len(typ) {
                    return Err(Error::decode(PeerMisbehaved::MessageTooLarge {
                        message: typ,
                        len,
                        limit: max_message_len(typ),
                    }));
                }
                let Some(raw) = buf.get(at..at + 4 + len) else {
                    break;
                };
                let msg = HandshakeMessage::read_bytes(raw)?;
                let (name, bytes) = (msg.0.name(), raw.len());
                self.common.trace(|| TraceEvent::Received {
                    message: name,
                    bytes,
                });
                self.common.read_key_changed = false;
                let state = self.state.take().ok_or(Error::Closed)?;
                let cx = &mut Context::new(&mut self.common);
                self.state = Some(match state {
                    HsState::Client(s) => HsState::Client(s.handle(cx, msg.0, raw)?),
                    HsState::Server(s) => HsState::Server(s.handle(cx, msg.0, raw)?),
                });
                at += 4 + len;
                if self.common.read_key_changed && at < buf.len() {
                    return Err(Error::unexpected(PeerMisbehaved::HandshakeSpansKeyChange));
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
    /// (small writes coalesce into one record). A server that accepted 0-RTT may send as soon as
    /// its Finished is out (0.5-RTT data, RFC 8446 §4.4.4): the client is not authenticated yet
    /// and the request it answers may be a replay, so answer only idempotent requests that way.
    pub fn writer(&mut self) -> Writer<'_> {
        Writer { conn: self }
    }

    /// Queues a close_notify alert; nothing can be written after it (not even a KeyUpdate). The
    /// peer's direction stays open: TLS 1.3 allows half-close, so data may still arrive. Asked
    /// for during the handshake while written plaintext still waits for it, the close_notify
    /// follows that plaintext once the handshake completes.
    pub fn send_close_notify(&mut self) {
        if self.common.record.close_sent() || self.common.error.is_some() {
            return;
        }
        if !self.common.can_seal() && !self.common.pending_plain.is_empty() {
            self.close_deferred = true;
            return;
        }
        let _ = self.seal_pending(true);
        let _ = self.common.flush_hs();
        let _ = self
            .common
            .record
            .write_close_notify(&mut self.common.sendable);
        self.common.key_update_owed = false;
    }

    /// RFC 8446 §5.5: once the write key has protected its suite's record limit, send KeyUpdate and
    /// switch keys before sealing more application data.
    fn rekey_if_due(&mut self) -> Result<(), Error> {
        if !self.common.record.key_update_due()
            || self.common.record.close_sent()
            || self.common.error.is_some()
        {
            return Ok(());
        }
        let Some(t) = traffic_mut(&mut self.state) else {
            return Ok(());
        };
        t.update_write(&mut Context::new(&mut self.common), false)?;
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

    /// Sends a KeyUpdate (new write key); with `request_peer` the peer updates too. Refused after
    /// our close_notify ([`Error::Closed`]).
    pub fn send_key_update(&mut self, request_peer: bool) -> Result<(), Error> {
        if self.common.record.close_sent() || self.close_deferred {
            return Err(Error::Closed);
        }
        if traffic_mut(&mut self.state).is_none() {
            return Err(Error::Config(
                "KeyUpdate before the handshake completed".into(),
            ));
        }
        self.seal_pending(true)?;
        if let Some(t) = traffic_mut(&mut self.state) {
            t.update_write(&mut Context::new(&mut self.common), request_peer)?;
        }
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

    /// True while the connection wants more TLS bytes from the peer (false while unread plaintext
    /// or more than [`MAX_UNSENT_TLS`] unsent bytes are waiting).
    pub fn wants_read(&self) -> bool {
        self.common.error.is_none()
            && !self.common.record.peer_closed()
            && self.common.received.is_empty()
            && self.common.sendable.len() <= MAX_UNSENT_TLS
    }

    /// Sealed TLS bytes waiting for `write_tls` (plaintext not yet sealed is not counted).
    pub fn sendable_len(&self) -> usize {
        self.common.sendable.len()
    }

    /// True if `write_tls` has something to send.
    pub fn wants_write(&self) -> bool {
        let c = &self.common;
        !c.sendable.is_empty()
            || (c.can_seal()
                && !c.record.close_sent()
                && c.error.is_none()
                && (!c.pending_plain.is_empty() || c.key_update_owed))
    }

    /// True until both Finished messages are exchanged.
    pub fn is_handshaking(&self) -> bool {
        !self.common.handshake_complete
    }

    /// The negotiated cipher suite.
    pub fn negotiated_cipher_suite(&self) -> Option<Tls13Suite> {
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
    /// The protocol version (always TLS 1.3 once the ServerHello is processed).
    pub fn protocol_version(&self) -> Option<crate::codec::ProtocolVersion> {
        self.common
            .info
            .suite
            .map(|_| crate::codec::ProtocolVersion::Tls13)
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
    pub fn signature_scheme(&self) -> Option<crate::sign::SignatureScheme> {
        self.common.info.scheme
    }
    /// True if the handshake resumed a session (PSK with ECDHE).
    pub fn is_resumed(&self) -> bool {
        self.common.info.resumed
    }
    /// True if the server accepted 0-RTT early data on this connection.
    pub fn early_data_accepted(&self) -> bool {
        self.common.info.early_accepted
    }

    /// Client: true if the early data given to [`ClientConnection::new_with_early_data`] went
    /// out as 0-RTT (the stored ticket allowed it); false if it waits for the handshake.
    pub fn early_data_offered(&self) -> bool {
        self.common.info.early_offered
    }

    /// How many of the first plaintext bytes received came as 0-RTT early data. They may be a
    /// replay (RFC 8446 §8): act on them only idempotently, or after the handshake completes.
    pub fn early_data_len(&self) -> usize {
        self.common.info.early_len
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
        self.common.error.as_deref()
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
        if let Some(e) = self.common.error.as_deref() {
            return Err(io::Error::new(io::ErrorKind::InvalidData, e.clone()));
        }
        if self.common.record.transport_ended() {
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
    conn: &'a mut Connection,
}

impl Write for Writer<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let c = &mut self.conn.common;
        if c.record.close_sent() || self.conn.close_deferred {
            return Err(io::Error::new(io::ErrorKind::BrokenPipe, Error::Closed));
        }
        if let Some(e) = c.error.as_deref() {
            return Err(io::Error::new(io::ErrorKind::InvalidData, e.clone()));
        }
        c.pending_plain.extend_from_slice(buf);
        self.conn.seal_pending(false).map_err(io::Error::from)?;
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        self.conn.seal_pending(true).map_err(io::Error::from)
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
        Self::new_with_early_data(config, server_name, &[])
    }

    /// As [`ClientConnection::new`], sending `early` as 0-RTT early data when the stored ticket
    /// for `server_name` allows that much (RFC 8446 §4.2.10). `early` is always delivered once:
    /// as 0-RTT ([`Connection::early_data_offered`]), and if the server did not take it
    /// ([`Connection::early_data_accepted`] false once the handshake is done), or the ticket did
    /// not allow it, as ordinary application data after the handshake. Early data can be
    /// replayed by an attacker: send only idempotent requests this way.
    pub fn new_with_early_data(
        config: Arc<ClientConfig>,
        server_name: &str,
        early: &[u8],
    ) -> Result<Self, Error> {
        let mut common = Common::new(config.trace, config.key_log.clone());
        let state = ClientState::start(config, server_name, early, &mut Context::new(&mut common))?;
        if !common.info.early_offered {
            common.pending_plain = early.to_vec();
        }
        Ok(Self {
            inner: Connection {
                common,
                state: Some(HsState::Client(state)),
                close_deferred: false,
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
                close_deferred: false,
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
