//! The narrow interface a handshake state talks to its connection through: send a message,
//! install keys (and derive the secrets they come from, which logs and traces them), record a
//! negotiated value, trace. The state machines (`client.rs`, `server.rs`, `traffic.rs` and their
//! steps) never see the connection's buffers or record layer, only this.
//! The other way, the connection drives both roles through one trait, `HandshakeState`: a
//! state takes the message it waits for; anything else is unexpected_message, built in one place.

use https_record::Tls13Suite;

use crate::codec::{HandshakeMessage, HandshakePayload};
use crate::common::{Common, Negotiated, TrafficSecrets};
use crate::error::Error;
use crate::keyschedule::{label, EarlySecret, HandshakeSecret, MasterSecret, Secret, Transcript};
use crate::kx::NamedGroup;
use crate::trace::TraceEvent;

/// What a state may do to its connection.
pub(crate) struct Context<'a> {
    c: &'a mut Common,
}

impl<'a> Context<'a> {
    /// The handle the connection lends its state for one message.
    pub(crate) fn new(c: &'a mut Common) -> Self {
        Self { c }
    }

    // ---- send

    /// Queues a handshake message in the current flight, adding it to `transcript`.
    pub(crate) fn send_hs(&mut self, msg: &HandshakeMessage, transcript: Option<&mut Transcript>) {
        self.c.send_hs(msg, transcript)
    }

    /// Seals the queued flight under the current write key.
    pub(crate) fn flush_hs(&mut self) -> Result<(), Error> {
        self.c.flush_hs()
    }

    /// The middlebox-compatibility change_cipher_spec, once.
    pub(crate) fn send_ccs(&mut self) -> Result<(), Error> {
        self.c.send_ccs()
    }

    /// Whether our close_notify went out (then nothing more is sent).
    pub(crate) fn close_sent(&self) -> bool {
        self.c.record.close_sent()
    }

    // ---- keys

    /// Flushes the flight, then protects what follows with `secret`.
    pub(crate) fn set_write_key(
        &mut self,
        suite: Tls13Suite,
        secret: &Secret,
    ) -> Result<(), Error> {
        self.c.set_write_key(suite, secret)
    }

    /// Logs (key log) and traces a secret derived outside the schedule helpers.
    pub(crate) fn log_secret(&mut self, label: &'static str, name: &'static str, secret: &Secret) {
        self.c.log_secret(label, name, secret)
    }

    /// Application data records read from now on are 0-RTT early data, up to `budget` bytes;
    /// `None` ends the early data (EndOfEarlyData).
    pub(crate) fn set_early_budget(&mut self, budget: Option<usize>) {
        if budget.is_some() {
            self.c.info.early_accepted = true;
        }
        self.c.early_budget = budget;
    }

    /// Appends records sealed outside the record layer (0-RTT) to the output, after the flight.
    pub(crate) fn push_sealed(&mut self, records: &[u8]) {
        self.c.sendable.extend_from_slice(records);
    }

    /// Puts `data` back in front of the application's unsent plaintext (rejected 0-RTT).
    pub(crate) fn requeue_plain(&mut self, data: &[u8]) {
        let rest = std::mem::take(&mut self.c.pending_plain);
        self.c.pending_plain = [data, &rest].concat();
    }

    /// Opens what arrives next with `secret`.
    pub(crate) fn set_read_key(&mut self, suite: Tls13Suite, secret: &Secret) {
        self.c.set_read_key(suite, secret)
    }

    /// handshake_secret from the (EC)DHE output, then both handshake traffic secrets, each logged
    /// and traced (RFC 8446 §7.1). Both roles derive the same values; only their use differs.
    pub(crate) fn derive_handshake_secrets(
        &mut self,
        early: EarlySecret,
        shared: &[u8],
        transcript_hash: &[u8],
    ) -> (HandshakeSecret, TrafficSecrets) {
        let ks = early.into_handshake(shared);
        self.c.trace(|| TraceEvent::Secret {
            name: "handshake_secret",
        });
        let client = ks.derive(label::C_HS_TRAFFIC, transcript_hash);
        let server = ks.derive(label::S_HS_TRAFFIC, transcript_hash);
        self.c.log_secret(
            "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
            "client_handshake_traffic_secret",
            &client,
        );
        self.c.log_secret(
            "SERVER_HANDSHAKE_TRAFFIC_SECRET",
            "server_handshake_traffic_secret",
            &server,
        );
        (ks, TrafficSecrets { client, server })
    }

    /// master_secret, then both application traffic secrets and the exporter secret, each logged
    /// and traced.
    pub(crate) fn derive_application_secrets(
        &mut self,
        hs: HandshakeSecret,
        transcript_hash: &[u8],
    ) -> (MasterSecret, TrafficSecrets, Secret) {
        let ks = hs.into_master();
        self.c.trace(|| TraceEvent::Secret {
            name: "master_secret",
        });
        let client = ks.derive(label::C_AP_TRAFFIC, transcript_hash);
        let server = ks.derive(label::S_AP_TRAFFIC, transcript_hash);
        self.c.log_secret(
            "CLIENT_TRAFFIC_SECRET_0",
            "client_application_traffic_secret_0",
            &client,
        );
        self.c.log_secret(
            "SERVER_TRAFFIC_SECRET_0",
            "server_application_traffic_secret_0",
            &server,
        );
        let exporter = ks.derive(label::EXP_MASTER, transcript_hash);
        self.c
            .log_secret("EXPORTER_SECRET", "exporter_master_secret", &exporter);
        (ks, TrafficSecrets { client, server }, exporter)
    }

    /// The random the key log names this connection by.
    pub(crate) fn set_client_random(&mut self, random: [u8; 32]) {
        self.c.client_random = random;
    }

    /// The peer's record_size_limit, applied to every write key from now on.
    pub(crate) fn set_peer_record_limit(&mut self, limit: Option<u16>) {
        self.c.peer_record_limit = limit;
    }

    // ---- record-layer windows

    /// Opens or closes the window in which one compatibility CCS is dropped.
    pub(crate) fn allow_compat_ccs(&mut self, allowed: bool) {
        self.c.record.allow_compat_ccs(allowed)
    }

    /// Starts or stops skipping rejected 0-RTT records.
    pub(crate) fn skip_early_data(&mut self, on: bool) {
        self.c.record.skip_early_data(on)
    }

    /// A KeyUpdate answer is (or is no longer) owed to the peer.
    pub(crate) fn set_key_update_owed(&mut self, owed: bool) {
        self.c.key_update_owed = owed;
    }

    // ---- negotiated values

    /// What is negotiated so far.
    pub(crate) fn info(&self) -> &Negotiated {
        &self.c.info
    }

    /// Records a negotiated value.
    pub(crate) fn info_mut(&mut self) -> &mut Negotiated {
        &mut self.c.info
    }

    /// Records the suite and group chosen (info and trace).
    pub(crate) fn note_suite_and_group(&mut self, suite: Tls13Suite, group: NamedGroup) {
        self.c.note_suite_and_group(suite, group)
    }

    /// The handshake is over: application data may flow.
    pub(crate) fn set_handshake_complete(&mut self) {
        self.c.handshake_complete = true;
    }

    // ---- trace

    /// Records a trace event (built only when tracing is on).
    pub(crate) fn trace(&mut self, ev: impl FnOnce() -> TraceEvent) {
        self.c.trace(ev)
    }

    /// A check passed (trace).
    pub(crate) fn check(&mut self, what: &'static str, detail: impl FnOnce() -> String) {
        self.c.check(what, detail)
    }

    /// A value negotiated (trace).
    pub(crate) fn negotiated(&mut self, what: &'static str, value: impl FnOnce() -> String) {
        self.c.negotiated(what, value)
    }
}

/// One role's state machine (`client.rs`, `server.rs`) as the connection drives it.
pub(crate) trait HandshakeState: Sized {
    /// The next state after `m` (`raw`: its bytes, for the transcript) when it is the message
    /// this state waits for; anything else is [`HandshakeState::unexpected`].
    fn handle(self, cx: &mut Context<'_>, m: HandshakePayload, raw: &[u8]) -> Result<Self, Error>;

    /// The message this state waits for, as unexpected_message names it.
    fn waits_for(&self) -> &'static str;

    /// unexpected_message for `got`, naming the message this state waits for.
    fn unexpected(&self, got: &HandshakePayload) -> Error {
        Error::unexpected_message(got.name(), self.waits_for())
    }
}
