//! A scripted TLS 1.3 peer around one connection under test (our server or our client).
//!
//! The peer learns the connection's traffic secrets through its key log (the library's own,
//! opt-in hook; nothing in the library changes for fuzzing), so it can protect what the script
//! sends, compute a correct Finished, follow KeyUpdates and read everything the connection writes.
//! That lets the fuzzer reach the encrypted handshake and the traffic phase, not only the
//! ClientHello/ServerHello parsers.
//!
//! Invariants checked on every input (each panics with the rule's name):
//! - an error with an alert puts exactly that fatal alert on the wire, once, and then nothing more;
//!   an error without one is a peer alert, a truncation or `Closed`, never a configuration error;
//! - errors are sticky: processing again, or after more input, returns the same error;
//! - no fatal alert is written without an error being returned;
//! - nothing is written after close_notify;
//! - unsent output stays under `MAX_UNSENT_TLS` plus one round of replies, received plaintext
//!   under its limit (a peer that never reads cannot grow our memory);
//! - application data round-trips both ways while no error occurred.

use std::io::{Read, Write};
use std::sync::Arc;

use https_handshake::codec::{
    ClientExtension, Codec, ExtensionType, HandshakeMessage, HandshakePayload, ServerExtension,
};
use https_handshake::keyschedule::{finished_verify_data, Transcript};
use https_handshake::{ClientConnection, Connection, Error, ServerConnection, MAX_UNSENT_TLS};
use https_record::{RecordError, Tls13Suite};

use crate::fixtures::{client_config, server_config, Secrets};
use crate::records::{plaintext, split_records, Sealer};
use crate::script::{Op, Script};
use crate::Chunker;

/// Slack over `MAX_UNSENT_TLS`: what processing one deframer's worth of records (two records) can
/// queue before reading stops, plus our first flight.
pub const UNSENT_SLACK: usize = 64 * 1024;
/// Plaintext buffered for the application: the library's 256 KiB limit plus one record.
pub const RECEIVED_LIMIT: usize = 256 * 1024 + 16 * 1024 + 256;

fn tracing() -> bool {
    static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ON.get_or_init(|| std::env::var_os("HTTPS_KIT_FUZZ_TRACE").is_some())
}

/// `eprintln!` when `HTTPS_KIT_FUZZ_TRACE` is set (the `replay` example sets it).
macro_rules! trace {
    ($($t:tt)*) => {
        if tracing() {
            eprintln!($($t)*);
        }
    };
}

/// Which side the connection under test plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Our `ServerConnection`; the script plays the client.
    Server,
    /// Our `ClientConnection`; the script plays the server.
    Client,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd)]
enum Stage {
    Plain,
    Handshake,
    App,
}

/// The peer and the connection it drives.
pub struct Harness {
    role: Role,
    conn: Connection,
    secrets: Arc<Secrets>,
    chunker: Chunker,
    to_conn: Vec<u8>,
    /// Peer → connection keys.
    w: Option<Sealer>,
    w_stage: Stage,
    finished_sent: bool,
    /// Connection → peer keys and reassembly.
    r: Option<Sealer>,
    r_stage: Stage,
    out_buf: Vec<u8>,
    hs_rd: Vec<u8>,
    suite: Option<Tls13Suite>,
    transcript: Transcript,
    /// The peer stopped being able to follow the connection's output.
    lost: bool,
    reading: bool,
    ever_stopped_reading: bool,
    blocked: bool,
    error: Option<Error>,
    alerts_seen: Vec<u8>,
    close_seen: bool,
    error_drained: bool,
    sent_app: Vec<u8>,
    got_app: Vec<u8>,
    conn_wrote: Vec<u8>,
    peer_got: Vec<u8>,
    /// The peer sent an alert (close_notify: later data is ignored, RFC 8446 §6.1).
    peer_alerted: bool,
    /// Raw or typed records went out: what the connection delivers is not predictable.
    app_uncertain: bool,
    /// close_notify was asked for while handshaking: plaintext written before it is not sent
    /// (reported as a finding; not an invariant here).
    closed_early: bool,
    /// Patch recorded hellos to this connection (session id echo, HRR cookie); a Control op can
    /// turn it off so the fuzzer also sends them unpatched.
    fixups: bool,
    /// Our client's legacy_session_id (echoed by a ServerHello).
    session_id: Option<Vec<u8>>,
    /// The cookie of our server's HelloRetryRequest (echoed by the second ClientHello).
    hrr_cookie: Option<Vec<u8>>,
}

fn labels(role: Role) -> ([&'static str; 2], [&'static str; 2]) {
    let client = ["CLIENT_HANDSHAKE_TRAFFIC_SECRET", "CLIENT_TRAFFIC_SECRET_0"];
    let server = ["SERVER_HANDSHAKE_TRAFFIC_SECRET", "SERVER_TRAFFIC_SECRET_0"];
    // (peer writes with, peer reads with)
    match role {
        Role::Server => (client, server),
        Role::Client => (server, client),
    }
}

impl Harness {
    /// A fresh connection configured by the script's settings byte.
    pub fn new(role: Role, settings: u8) -> Self {
        let secrets = Arc::new(Secrets::default());
        let conn = match role {
            Role::Server => {
                ServerConnection::new(Arc::new(server_config(settings, secrets.clone())))
                    .expect("server connection")
                    .into_inner()
            }
            Role::Client => ClientConnection::new(
                Arc::new(client_config(settings, secrets.clone())),
                "fuzz.test",
            )
            .expect("client connection")
            .into_inner(),
        };
        let mut h = Self {
            role,
            conn,
            secrets,
            chunker: Chunker::new(settings),
            to_conn: Vec::new(),
            w: None,
            w_stage: Stage::Plain,
            finished_sent: false,
            r: None,
            r_stage: Stage::Plain,
            out_buf: Vec::new(),
            hs_rd: Vec::new(),
            suite: None,
            transcript: Transcript::default(),
            lost: false,
            reading: true,
            ever_stopped_reading: false,
            blocked: false,
            error: None,
            alerts_seen: Vec::new(),
            close_seen: false,
            error_drained: false,
            sent_app: Vec::new(),
            got_app: Vec::new(),
            conn_wrote: Vec::new(),
            peer_got: Vec::new(),
            peer_alerted: false,
            app_uncertain: false,
            closed_early: false,
            fixups: true,
            session_id: None,
            hrr_cookie: None,
        };
        h.drain(); // a client's ClientHello
        h
    }

    /// Runs a whole script, then the end-of-input checks.
    pub fn run(data: &[u8], role: Role) {
        let script = Script::parse(data);
        let mut h = Self::new(role, script.settings);
        for (op, body) in script.ops {
            trace!(
                "peer: {op:?} {} bytes {:02x?}",
                body.len(),
                &body[..body.len().min(24)]
            );
            h.apply(op, body);
            h.pump(false);
        }
        h.finish();
    }

    fn send(&mut self, typ: u8, content: &[u8]) {
        // Fragment like a real peer; an empty content still makes one (empty) record.
        let mut chunks: Vec<&[u8]> = content.chunks(16_384).collect();
        if chunks.is_empty() {
            chunks.push(&[]);
        }
        for c in chunks {
            match (&mut self.w, typ) {
                (Some(w), t) if t != 20 => w.seal(t, c, 0, &mut self.to_conn),
                _ => plaintext(typ, c, &mut self.to_conn),
            }
        }
    }

    fn apply(&mut self, op: Op, data: &[u8]) {
        match op {
            Op::Raw => {
                self.app_uncertain = true;
                self.to_conn.extend_from_slice(data);
            }
            Op::Handshake => {
                let data = self.fix_up(data);
                self.note_sent_handshake(&data);
                self.send(22, &data);
            }
            Op::AppData => {
                if self.w_stage == Stage::App && !self.conn.is_handshaking() && !self.peer_alerted {
                    self.sent_app.extend_from_slice(data);
                }
                self.send(23, data);
            }
            Op::Alert => {
                // user_canceled is only a warning; the level byte is ignored (RFC 8446 §6).
                if data.len() != 2 || data[1] != 90 {
                    self.peer_alerted = true;
                }
                self.send(21, data);
            }
            Op::Finished => self.send_finished(),
            Op::Typed => {
                let (typ, pad) = (data.first().copied().unwrap_or(22), data.get(1).copied());
                // A compatibility CCS changes nothing; any other record may deliver anything.
                self.app_uncertain |= typ != 20;
                let content = data.get(2..).unwrap_or(&[]);
                match &mut self.w {
                    Some(w) if typ != 20 => w.seal(
                        typ,
                        content,
                        usize::from(pad.unwrap_or(0)) * 8,
                        &mut self.to_conn,
                    ),
                    _ => plaintext(typ, content, &mut self.to_conn),
                }
            }
            Op::KeyUpdate => {
                let req = data.first().map_or(0, |b| b & 1);
                self.send(22, &[24, 0, 0, 1, req]);
                if self.w_stage == Stage::App {
                    self.w = self.w.as_ref().map(Sealer::next);
                }
            }
            Op::Control => self.control(data),
        }
    }

    fn control(&mut self, data: &[u8]) {
        let flags = data.first().copied().unwrap_or(0);
        if flags & 1 != 0 {
            let payload = data.get(1..).unwrap_or(&[]);
            if self.conn.writer().write_all(payload).is_ok() {
                self.conn_wrote.extend_from_slice(payload);
            }
        }
        if flags & 2 != 0 {
            self.closed_early |= self.conn.is_handshaking();
            self.conn.send_close_notify();
        }
        if flags & 4 != 0 {
            self.reading = false;
            self.ever_stopped_reading = true;
        }
        if flags & 16 != 0 {
            let _ = self.conn.send_key_update(true);
        }
        if flags & 32 != 0 {
            self.fixups = false;
        }
        if flags & 8 != 0 {
            self.pump(false);
            self.pump(true);
        }
    }

    /// Recorded hellos carry another connection's session id and no cookie of ours: patch them so
    /// seeds from real exchanges get past the hello (the fuzzer can turn this off).
    fn fix_up(&self, data: &[u8]) -> Vec<u8> {
        if !self.fixups {
            return data.to_vec();
        }
        match HandshakeMessage::read_bytes(data) {
            Ok(HandshakeMessage(HandshakePayload::ServerHello(mut sh)))
                if self.role == Role::Client =>
            {
                if let Some(id) = &self.session_id {
                    sh.session_id = id.clone();
                }
                HandshakeMessage(HandshakePayload::ServerHello(sh)).get_encoding()
            }
            Ok(HandshakeMessage(HandshakePayload::ClientHello(mut ch)))
                if self.role == Role::Server =>
            {
                if let Some(cookie) = &self.hrr_cookie {
                    let ext = ClientExtension::Cookie(cookie.clone());
                    match ch
                        .extensions
                        .iter()
                        .position(|e| e.ext_type() == ExtensionType::Cookie)
                    {
                        Some(i) => ch.extensions[i] = ext,
                        None => {
                            let at = ch
                                .extensions
                                .iter()
                                .position(|e| e.ext_type() == ExtensionType::PreSharedKey)
                                .unwrap_or(ch.extensions.len());
                            ch.extensions.insert(at, ext);
                        }
                    }
                }
                HandshakeMessage(HandshakePayload::ClientHello(ch)).get_encoding()
            }
            _ => data.to_vec(),
        }
    }

    /// A handshake message the peer sends: the transcript (and HRR rollover) follow it.
    fn note_sent_handshake(&mut self, data: &[u8]) {
        if self.role == Role::Client && self.w_stage == Stage::Plain {
            if let Ok(HandshakeMessage(HandshakePayload::ServerHello(sh))) =
                HandshakeMessage::read_bytes(data)
            {
                if let Some(suite) = sh.cipher_suite.supported() {
                    if sh.is_hrr() {
                        self.transcript.rollover_for_hrr(suite.hash());
                    } else {
                        self.transcript.start_hash(suite.hash());
                    }
                    self.suite = Some(suite);
                }
            }
        }
        self.transcript.add(data);
    }

    fn send_finished(&mut self) {
        let msg = match (&self.w, self.w_stage, self.suite) {
            (Some(w), Stage::Handshake, Some(suite)) => {
                let th = self.transcript.current_hash();
                let vd = finished_verify_data(suite.hash(), &w.secret, th.as_ref());
                let vd = vd.as_bytes();
                let mut m = vec![20, 0, 0, vd.len() as u8];
                m.extend_from_slice(vd);
                m
            }
            _ => vec![20, 0, 0, 32].into_iter().chain([0; 32]).collect(),
        };
        self.transcript.add(&msg);
        self.send(22, &msg);
        self.finished_sent = true;
    }

    /// Feeds what the peer queued (in the chunker's pieces), processes, reads the output.
    fn pump(&mut self, eof: bool) {
        let pending = std::mem::take(&mut self.to_conn);
        let mut rest = &pending[..];
        let mut refused = 0;
        while !rest.is_empty() && refused < 3 {
            let n = self.chunker.next_len(rest.len());
            let mut piece = &rest[..n];
            match self.conn.read_tls(&mut piece) {
                Ok(_) => rest = &rest[n - piece.len()..],
                Err(_) => {
                    refused += 1;
                    if !self.reading || self.error.is_some() {
                        self.blocked = true;
                        break;
                    }
                }
            }
            self.process();
        }
        if !rest.is_empty() {
            self.blocked = true;
        }
        if eof {
            let _ = self.conn.read_tls(&mut &[][..]);
        }
        self.process();
        self.update_write_keys();
    }

    fn process(&mut self) {
        let res = self.conn.process_new_packets();
        match (&res, &self.error) {
            (Err(e), None) => {
                trace!("conn: error {e:?}");
                self.error = Some(e.clone());
            }
            (Err(e), Some(first)) => assert_eq!(e, first, "errors are sticky"),
            (Ok(_), Some(first)) => panic!("errors are sticky: Ok after {first:?}"),
            (Ok(_), None) => {}
        }
        assert!(
            self.conn.sendable_len() <= MAX_UNSENT_TLS + UNSENT_SLACK,
            "unsent output bounded: {} bytes queued",
            self.conn.sendable_len()
        );
        if self.reading {
            self.drain();
        }
        self.read_plain();
    }

    fn read_plain(&mut self) {
        let mut buf = [0u8; 4096];
        let mut total = 0;
        for _ in 0..200 {
            match self.conn.reader().read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    total += n;
                    self.got_app.extend_from_slice(&buf[..n]);
                }
            }
        }
        assert!(total <= RECEIVED_LIMIT, "received plaintext bounded");
    }

    fn update_write_keys(&mut self) {
        let (w_labels, _) = labels(self.role);
        let Some(suite) = self.conn.negotiated_cipher_suite() else {
            return;
        };
        self.suite.get_or_insert(suite);
        if self.w_stage == Stage::Plain {
            if let Some(s) = self.secrets.get(w_labels[0]) {
                self.w = Some(Sealer::new(suite, &s));
                self.w_stage = Stage::Handshake;
            }
        }
        if self.w_stage == Stage::Handshake && self.finished_sent {
            if let Some(s) = self.secrets.get(w_labels[1]) {
                self.w = Some(Sealer::new(suite, &s));
                self.w_stage = Stage::App;
            }
        }
    }

    /// Takes everything the connection wants to write and reads it as the peer.
    fn drain(&mut self) {
        let mut out = Vec::new();
        for _ in 0..1000 {
            if !self.conn.wants_write() {
                break;
            }
            match self.conn.write_tls(&mut out) {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
        if out.is_empty() {
            return;
        }
        assert!(
            !self.error_drained,
            "nothing is written after the fatal alert"
        );
        if self.error.is_some() {
            self.error_drained = true;
        }
        self.out_buf.extend_from_slice(&out);
        self.read_output();
    }

    fn read_output(&mut self) {
        let (_, r_labels) = labels(self.role);
        for (header, body) in split_records(&mut self.out_buf) {
            trace!("conn wrote: record type {} len {}", header[0], body.len());
            assert!(!self.close_seen, "nothing is written after close_notify");
            assert!(
                self.alerts_seen.is_empty(),
                "nothing is written after a fatal alert"
            );
            if self.lost {
                continue;
            }
            let (typ, content) = if header[0] == 23 {
                if self.r_stage == Stage::Plain {
                    if let (Some(suite), Some(s)) = (
                        self.conn.negotiated_cipher_suite(),
                        self.secrets.get(r_labels[0]),
                    ) {
                        self.r = Some(Sealer::new(suite, &s));
                        self.r_stage = Stage::Handshake;
                    }
                }
                match self.r.as_mut().and_then(|r| r.open(&header, &body)) {
                    Some(x) => x,
                    None => {
                        self.lost = true;
                        continue;
                    }
                }
            } else {
                (header[0], body)
            };
            trace!(
                "  inner type {typ}: {:02x?}",
                &content[..content.len().min(8)]
            );
            match typ {
                21 => {
                    assert_eq!(content.len(), 2, "alerts we send are two bytes");
                    if content[1] == 0 {
                        self.close_seen = true;
                    } else {
                        assert_eq!(content[0], 2, "error alerts we send are fatal");
                        self.alerts_seen.push(content[1]);
                    }
                }
                22 => {
                    self.hs_rd.extend_from_slice(&content);
                    self.read_handshake_messages();
                }
                23 => self.peer_got.extend_from_slice(&content),
                _ => {}
            }
        }
    }

    fn read_handshake_messages(&mut self) {
        let (_, r_labels) = labels(self.role);
        while self.hs_rd.len() >= 4 {
            let len = u32::from_be_bytes([0, self.hs_rd[1], self.hs_rd[2], self.hs_rd[3]]) as usize;
            if self.hs_rd.len() < 4 + len {
                return;
            }
            let msg: Vec<u8> = self.hs_rd.drain(..4 + len).collect();
            let decoded = HandshakeMessage::read_bytes(&msg);
            let decoded = match decoded {
                Ok(m) => m.0,
                Err(e) => panic!("we send only messages our codec decodes: {e}"),
            };
            match decoded {
                HandshakePayload::ServerHello(sh) => {
                    let suite = sh
                        .cipher_suite
                        .supported()
                        .expect("our server picks a suite it knows");
                    self.suite = Some(suite);
                    if sh.is_hrr() {
                        self.hrr_cookie = sh.extensions.iter().find_map(|e| match e {
                            ServerExtension::Cookie(c) => Some(c.clone()),
                            _ => None,
                        });
                        self.transcript.rollover_for_hrr(suite.hash());
                    } else {
                        self.transcript.start_hash(suite.hash());
                    }
                    self.transcript.add(&msg);
                }
                HandshakePayload::KeyUpdate(_) => {
                    assert_eq!(
                        self.r_stage,
                        Stage::App,
                        "KeyUpdate only after the handshake"
                    );
                    self.r = self.r.as_ref().map(Sealer::next);
                }
                HandshakePayload::NewSessionTicket(_) => {}
                HandshakePayload::ClientHello(ch) => {
                    self.session_id = Some(ch.session_id.clone());
                    self.transcript.add(&msg);
                }
                HandshakePayload::Finished(_) => {
                    self.transcript.add(&msg);
                    let suite = self.suite.expect("a Finished follows the ServerHello");
                    match self.secrets.get(r_labels[1]) {
                        Some(s) => {
                            self.r = Some(Sealer::new(suite, &s));
                            self.r_stage = Stage::App;
                        }
                        None => self.lost = true,
                    }
                }
                _ => self.transcript.add(&msg),
            }
        }
    }

    /// End of input: drain everything, then the sticky-error, alert and round-trip checks.
    fn finish(&mut self) {
        self.reading = true;
        self.pump(false);
        let Some(err) = self.error.clone() else {
            assert!(
                self.alerts_seen.is_empty(),
                "no fatal alert without an error: {:?}",
                self.alerts_seen
            );
            if !self.blocked && !self.app_uncertain {
                assert_eq!(
                    self.got_app, self.sent_app,
                    "application data round-trips to us"
                );
            }
            if !self.lost
                && !self.closed_early
                && !self.ever_stopped_reading
                && !self.conn.is_handshaking()
                && !self.conn.wants_write()
            {
                assert_eq!(
                    self.peer_got, self.conn_wrote,
                    "application data round-trips to the peer"
                );
            }
            return;
        };
        // Sticky: more input changes nothing, and nothing more is written.
        let _ = self.conn.read_tls(&mut &[23u8, 3, 3, 0, 1, 0][..]);
        self.process();
        assert_eq!(
            self.conn.error(),
            Some(&err),
            "error() reports the sticky error"
        );
        match err.alert() {
            Some(alert) => {
                // After our close_notify nothing more is sent, an alert included.
                if !self.lost && !self.close_seen {
                    assert_eq!(
                        self.alerts_seen,
                        [alert.to_u8()],
                        "the error's alert is on the wire, once: {err:?}"
                    );
                }
            }
            None => assert!(
                matches!(
                    err,
                    Error::AlertReceived(_)
                        | Error::Closed
                        | Error::Record(RecordError::PeerAlert(_))
                        | Error::Record(RecordError::Truncated { .. })
                ),
                "no error without an alert: {err:?}"
            ),
        }
    }
}
