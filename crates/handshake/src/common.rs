//! State both roles share: the record layer, the handshake and plaintext buffers (each with its
//! limit), secrets logging and tracing, and the traffic phase (application keys, KeyUpdate).

use std::collections::VecDeque;
use std::sync::Arc;

use bytes::BytesMut;
use https_record::{
    ContentType, RecordLayer, RecordOpener, RecordSealer, Tls13Suite, MAX_PLAINTEXT_LEN,
};
use ring::rand::{SecureRandom, SystemRandom};

use crate::codec::{Codec, HandshakeMessage, HandshakeType};
use crate::error::Error;
use crate::keyschedule::{Secret, Transcript};
use crate::kx::NamedGroup;
use crate::trace::{KeyLog, TraceEvent};

/// Largest handshake message we accept other than a ClientHello (a certificate chain fits easily).
pub const MAX_HANDSHAKE_MESSAGE: usize = 64 * 1024;
/// Largest ClientHello a server accepts: 128 KiB, room for every extension a real client sends
/// (post-quantum key shares, long GREASE and signature lists) several times over.
pub const MAX_CLIENT_HELLO: usize = 128 * 1024;
/// Largest total of handshake bytes we accept from the peer before the handshake completes.
pub const MAX_HANDSHAKE_FLIGHT: usize = 256 * 1024;
/// Plaintext buffered for the application before `read_tls` refuses more.
pub(crate) const MAX_RECEIVED_PLAINTEXT: usize = 256 * 1024;
/// Sealed bytes waiting for `write_tls` past which `read_tls` refuses to read (`WouldBlock`):
/// a peer that sends but never reads cannot make us queue replies without bound.
pub const MAX_UNSENT_TLS: usize = 64 * 1024;

/// The largest ServerHello / HelloRetryRequest the syntax allows: version, random, a 32-byte
/// session id, suite, compression and a full extension block (a HelloRetryRequest cookie can be
/// that large).
const MAX_SERVER_HELLO: usize = 2 + 32 + 1 + 32 + 2 + 1 + 2 + 0xffff;

/// The largest body a handshake message of this type may have: Finished is a hash, KeyUpdate one
/// byte, EndOfEarlyData empty; ClientHello up to [`MAX_CLIENT_HELLO`], ServerHello what its
/// syntax allows (65,607 bytes); anything else [`MAX_HANDSHAKE_MESSAGE`].
pub(crate) fn max_message_len(typ: HandshakeType) -> usize {
    match typ {
        HandshakeType::ClientHello => MAX_CLIENT_HELLO,
        HandshakeType::ServerHello => MAX_SERVER_HELLO,
        HandshakeType::Finished => 64,
        HandshakeType::KeyUpdate => 1,
        HandshakeType::EndOfEarlyData => 0,
        _ => MAX_HANDSHAKE_MESSAGE,
    }
}

/// The content covered by a CertificateVerify signature (RFC 8446 §4.4.3).
pub(crate) fn cv_message(server: bool, transcript_hash: &[u8]) -> Vec<u8> {
    let ctx: &[u8] = if server {
        b"TLS 1.3, server CertificateVerify"
    } else {
        b"TLS 1.3, client CertificateVerify"
    };
    let mut m = Vec::with_capacity(64 + ctx.len() + 1 + transcript_hash.len());
    m.extend_from_slice(&[0x20; 64]);
    m.extend_from_slice(ctx);
    m.push(0);
    m.extend_from_slice(transcript_hash);
    m
}

pub(crate) fn random32(rng: &SystemRandom) -> Result<[u8; 32], Error> {
    let mut r = [0u8; 32];
    rng.fill(&mut r)
        .map_err(|_| Error::internal("no randomness"))?;
    Ok(r)
}

/// What is negotiated so far.
#[derive(Debug, Clone, Default)]
pub(crate) struct Negotiated {
    pub(crate) suite: Option<Tls13Suite>,
    pub(crate) group: Option<NamedGroup>,
    pub(crate) alpn: Option<Vec<u8>>,
    pub(crate) peer_certs: Vec<Vec<u8>>,
    pub(crate) sni: Option<String>,
    pub(crate) scheme: Option<crate::sign::SignatureScheme>,
    pub(crate) hrr: bool,
    pub(crate) resumed: bool,
    /// 0-RTT was accepted, and how many plaintext bytes (the first ones received) came as early data.
    pub(crate) early_accepted: bool,
    pub(crate) early_len: usize,
    /// Client: the ClientHello offered 0-RTT and the early data went with it.
    pub(crate) early_offered: bool,
}

/// One epoch's traffic secrets, both directions.
pub(crate) struct TrafficSecrets {
    pub(crate) client: Secret,
    pub(crate) server: Secret,
}

/// State shared by both roles: record layer, buffers, trace, key log. Buffer limits: `sendable`
/// [`MAX_UNSENT_TLS`] (reading stops above it), `hs_in` one message ([`max_message_len`]) plus a
/// record, `received` [`MAX_RECEIVED_PLAINTEXT`], `pending_plain` what the application writes
/// (sealed at once into full records), the record layer's deframer two records.
pub(crate) struct Common {
    pub(crate) record: RecordLayer,
    pub(crate) sendable: BytesMut,
    pub(crate) hs_out: Vec<u8>,
    pub(crate) hs_in: Vec<u8>,
    pub(crate) received: VecDeque<BytesMut>,
    pub(crate) received_len: usize,
    pub(crate) pending_plain: Vec<u8>,
    pub(crate) handshake_complete: bool,
    pub(crate) read_key_changed: bool,
    /// Boxed: errors are rare and every idle connection would otherwise carry 88 bytes for one.
    pub(crate) error: Option<Box<Error>>,
    pub(crate) hs_bytes_received: usize,
    pub(crate) trace: Option<Vec<TraceEvent>>,
    pub(crate) key_log: Option<Arc<dyn KeyLog>>,
    pub(crate) client_random: [u8; 32],
    pub(crate) info: Negotiated,
    pub(crate) ccs_sent: bool,
    /// The peer's record_size_limit (RFC 8449), applied to every write key.
    pub(crate) peer_record_limit: Option<u16>,
    /// A stricter record limit per write key than the suite's (tests, local policy).
    pub(crate) key_update_limit: Option<u64>,
    /// The peer asked for a KeyUpdate we have not sent yet. One flag, not a queue: any number of
    /// requests before our next write are answered by one KeyUpdate (RFC 8446 §4.6.3).
    pub(crate) key_update_owed: bool,
    /// While accepting 0-RTT: the early-data bytes still allowed.
    pub(crate) early_budget: Option<usize>,
    /// Server that accepted 0-RTT, between its Finished and the client's: application data may
    /// already be sealed under its application key (0.5-RTT data, RFC 8446 §4.4.4).
    pub(crate) half_rtt: bool,
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
            hs_bytes_received: 0,
            trace: trace.then(Vec::new),
            key_log,
            client_random: [0; 32],
            info: Negotiated::default(),
            ccs_sent: false,
            peer_record_limit: None,
            key_update_limit: None,
            key_update_owed: false,
            early_budget: None,
            half_rtt: false,
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
    pub(crate) fn write_records(&mut self, typ: ContentType, payload: &[u8]) -> Result<(), Error> {
        if self.record.close_sent() {
            return Err(Error::Closed); // after our close_notify nothing more is sent
        }
        Ok(self.record.write(typ, payload, &mut self.sendable)?)
    }

    /// The middlebox-compatibility change_cipher_spec (RFC 8446 D.4), always unprotected, once.
    pub(crate) fn send_ccs(&mut self) -> Result<(), Error> {
        if self.record.close_sent() {
            return Err(Error::Closed); // not even a CCS after our close_notify
        }
        if self.ccs_sent {
            return Ok(());
        }
        self.flush_hs()?;
        self.record.write_change_cipher_spec(&mut self.sendable)?;
        self.ccs_sent = true;
        self.trace(|| TraceEvent::Sent {
            message: "ChangeCipherSpec",
            bytes: 6,
        });
        Ok(())
    }

    pub(crate) fn set_write_key(
        &mut self,
        suite: Tls13Suite,
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

    pub(crate) fn set_read_key(&mut self, suite: Tls13Suite, secret: &Secret) {
        self.record
            .set_opener(RecordOpener::from_secret(suite, secret.as_bytes()));
        self.read_key_changed = true;
    }

    /// Key log line (NSS format) and a trace event naming the secret.
    pub(crate) fn log_secret(&mut self, label: &'static str, name: &'static str, secret: &Secret) {
        if let Some(kl) = &self.key_log {
            kl.log(label, &self.client_random, secret.as_bytes());
        }
        self.trace(|| TraceEvent::Secret { name });
    }

    /// Records the suite and group chosen (info and trace).
    pub(crate) fn note_suite_and_group(&mut self, suite: Tls13Suite, group: NamedGroup) {
        self.info.suite = Some(suite);
        self.info.group = Some(group);
        self.negotiated("cipher suite", || suite.name().to_string());
        self.negotiated("key exchange group", || group.name().to_string());
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

    /// Application data may be sealed: the handshake is complete, or a server that accepted
    /// 0-RTT has sent its Finished (0.5-RTT data).
    pub(crate) fn can_seal(&self) -> bool {
        self.handshake_complete || self.half_rtt
    }

    /// Moves buffered application data into records (full records first; the tail too if `all`).
    pub(crate) fn seal_pending(&mut self, all: bool) -> Result<(), Error> {
        if !self.can_seal()
            || self.pending_plain.is_empty()
            || self.record.close_sent()
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
