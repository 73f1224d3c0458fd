//! A record layer for one connection: deframing, the current keys, the content-type rules of RFC 8446
//! §5 (compatibility change_cipher_spec, alerts, close_notify) and truncation detection.

use crate::frame::{write_plaintext, Deframer, MAX_PLAINTEXT_LEN};
use crate::{Alert, AlertDescription, ContentType, RecordError, RecordOpener, RecordSealer};
use bytes::BytesMut;

/// Consecutive records that carry nothing (empty application data, padding or not, and
/// user_canceled warnings) accepted before the peer is cut off with unexpected_message: a peer
/// must not keep us busy without progress.
pub const MAX_EMPTY_RECORDS: usize = 32;

/// Bytes of early data (protected record fragments, header excluded) a server that rejected 0-RTT
/// skips by trial decryption before it gives up with unexpected_message: 16 KiB of data plus the
/// per-record overhead (type byte, tag, some padding) of up to 16 records. RFC 8446 §4.2.10 bounds
/// the skip by max_early_data_size; we advertise none, so this is our local limit.
pub const MAX_EARLY_DATA_SKIP: usize = 16 * 1024 + 16 * 256;

/// What [`RecordLayer::next_incoming`] hands up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Incoming {
    /// Handshake bytes (may hold several messages or part of one; the handshake layer reassembles).
    Handshake(BytesMut),
    /// Application data.
    ApplicationData(BytesMut),
    /// The peer sent close_notify: it will send nothing more. Later records are ignored.
    CloseNotify,
    /// The peer sent user_canceled (a warning; a close_notify should follow).
    UserCanceled,
}

/// One connection's record layer, sans IO. Starts without keys (plaintext records); the handshake
/// installs an opener/sealer when each traffic secret is ready.
#[derive(Debug, Default)]
pub struct RecordLayer {
    deframer: Deframer,
    opener: Option<RecordOpener>,
    sealer: Option<RecordSealer>,
    ccs_allowed: bool,
    ccs_seen: bool,
    peer_closed: bool,
    close_sent: bool,
    /// The transport reported EOF (`read_from` returned 0, or [`RecordLayer::transport_ended`]).
    transport_eof: bool,
    /// Some record has been opened with a key (after that, plaintext alerts are refused).
    decrypted_any: bool,
    /// Consecutive empty records received (see [`MAX_EMPTY_RECORDS`]).
    empty_run: usize,
    /// While `Some`, rejected early data is being skipped; the budget left (bytes).
    early_skip: Option<usize>,
    failed: Option<RecordError>,
}

impl RecordLayer {
    pub fn new() -> Self {
        Self::default()
    }

    /// Bytes from the transport; returns how many were taken (the buffer is bounded: drain with
    /// [`RecordLayer::next_incoming`] and feed the rest).
    #[must_use = "feed may take only part of the data"]
    pub fn feed(&mut self, data: &[u8]) -> usize {
        self.deframer.feed(data)
    }

    /// Reads once from a blocking transport. `Ok(0)` is EOF, remembered
    /// ([`RecordLayer::transport_ended`]); then [`RecordLayer::eof`] says whether it was clean.
    pub fn read_from(&mut self, rd: &mut dyn std::io::Read) -> std::io::Result<usize> {
        let n = self.deframer.read_from(rd)?;
        if n == 0 {
            self.transport_eof = true;
        }
        Ok(n)
    }

    /// Whether the transport has reported EOF.
    pub fn transport_ended(&self) -> bool {
        self.transport_eof
    }

    /// Whether our close_notify has been written (after it nothing more is).
    pub fn close_sent(&self) -> bool {
        self.close_sent
    }

    pub fn deframer_mut(&mut self) -> &mut Deframer {
        &mut self.deframer
    }

    /// Installs the key for reading (sequence number restarts at 0).
    pub fn set_opener(&mut self, opener: RecordOpener) {
        self.opener = Some(opener);
    }

    /// Installs the key for writing (sequence number restarts at 0).
    pub fn set_sealer(&mut self, sealer: RecordSealer) {
        self.sealer = Some(sealer);
    }

    pub fn opener_mut(&mut self) -> Option<&mut RecordOpener> {
        self.opener.as_mut()
    }

    pub fn sealer_mut(&mut self) -> Option<&mut RecordSealer> {
        self.sealer.as_mut()
    }

    /// Opens or closes the window in which one unprotected change_cipher_spec (0x01) is silently dropped
    /// (RFC 8446 §5: after the first ClientHello, before the peer's Finished). Outside it, or for a second
    /// one, a CCS is unexpected_message.
    pub fn allow_compat_ccs(&mut self, allowed: bool) {
        self.ccs_allowed = allowed;
    }

    /// Starts skipping early data the server did not accept (RFC 8446 §4.2.10): protected records
    /// that arrive before a read key is installed, or that fail to open with the installed
    /// (handshake) key, are discarded, up to [`MAX_EARLY_DATA_SKIP`] bytes in all. The first record
    /// that opens ends the skipping. `false` stops it (e.g. when a second ClientHello arrived).
    pub fn skip_early_data(&mut self, on: bool) {
        self.early_skip = on.then_some(MAX_EARLY_DATA_SKIP);
    }

    /// Whether a record the opener refused (or could not try) is rejected early data to discard.
    /// Charges its size to the skip budget; past the budget it is unexpected_message.
    fn skip_as_early_data(&mut self, outer: ContentType, len: usize) -> Result<bool, RecordError> {
        let Some(left) = self.early_skip else {
            return Ok(false);
        };
        if outer != ContentType::ApplicationData {
            return Ok(false);
        }
        match left.checked_sub(len) {
            Some(rest) => {
                self.early_skip = Some(rest);
                Ok(true)
            }
            None => Err(RecordError::UnexpectedMessage {
                reason: "more rejected early data than the skip limit",
            }),
        }
    }

    /// Counts an empty record; the one after [`MAX_EMPTY_RECORDS`] in a row is refused.
    fn note_empty(&mut self, empty: bool) -> Result<(), RecordError> {
        if !empty {
            self.empty_run = 0;
            return Ok(());
        }
        self.empty_run += 1;
        if self.empty_run > MAX_EMPTY_RECORDS {
            return Err(RecordError::UnexpectedMessage {
                reason: "too many consecutive empty records or user_canceled alerts",
            });
        }
        Ok(())
    }

    /// True once the peer's close_notify arrived.
    pub fn peer_closed(&self) -> bool {
        self.peer_closed
    }

    /// True if the sealer's key has reached its usage limit (a KeyUpdate is due).
    pub fn key_update_due(&self) -> bool {
        self.sealer
            .as_ref()
            .is_some_and(RecordSealer::key_update_due)
    }

    fn fail(&mut self, err: RecordError) -> RecordError {
        self.failed = Some(err.clone());
        err
    }

    /// The next piece of content, or `None` when more bytes are needed. Errors are final: send
    /// `err.alert()` (unless it is `PeerAlert`) and close.
    pub fn next_incoming(&mut self) -> Result<Option<Incoming>, RecordError> {
        if let Some(err) = &self.failed {
            return Err(err.clone());
        }
        loop {
            if self.peer_closed {
                // RFC 8446 §6.1: data after a closure alert is ignored.
                return Ok(None);
            }
            let (typ, content) = match self.open_next() {
                Ok(Some(x)) => x,
                Ok(None) => {
                    self.deframer.release_idle_buffer();
                    return Ok(None);
                }
                Err(e) => return Err(self.fail(e)),
            };
            match self.classify(typ, content) {
                Ok(Some(i)) => return Ok(Some(i)),
                Ok(None) => continue,
                Err(e) => return Err(self.fail(e)),
            }
        }
    }

    /// The next record's real type and content: the compatibility CCS dropped, keys applied,
    /// rejected early data skipped. `Ok(None)` means more bytes are needed.
    fn open_next(&mut self) -> Result<Option<(ContentType, BytesMut)>, RecordError> {
        loop {
            let Some(record) = self.deframer.next_record()? else {
                return Ok(None);
            };
            match record.typ {
                ContentType::ChangeCipherSpec => {
                    if record.payload() != [1] {
                        return Err(RecordError::UnexpectedMessage {
                            reason: "change_cipher_spec must be the single byte 0x01",
                        });
                    }
                    if !self.ccs_allowed || self.ccs_seen {
                        return Err(RecordError::UnexpectedMessage {
                            reason:
                                "change_cipher_spec outside the handshake's compatibility window",
                        });
                    }
                    self.ccs_seen = true;
                }
                // A peer that failed before deriving keys can only send a plaintext alert; accept
                // one while nothing has been decrypted yet (as rustls does), so the caller sees the
                // peer's reason instead of unexpected_message.
                ContentType::Alert
                    if self.opener.is_some()
                        && !self.decrypted_any
                        && record.payload().len() <= 2 =>
                {
                    return Ok(Some((ContentType::Alert, record.into_payload())));
                }
                outer => {
                    let len = record.payload().len();
                    let Some(opener) = self.opener.as_mut() else {
                        if self.skip_as_early_data(outer, len)? {
                            continue;
                        }
                        if outer == ContentType::ApplicationData {
                            return Err(RecordError::UnexpectedMessage {
                                reason: "a protected record arrived before any key was installed",
                            });
                        }
                        return Ok(Some((outer, record.into_payload())));
                    };
                    match opener.open(record) {
                        Ok(x) => {
                            self.decrypted_any = true;
                            self.early_skip = None;
                            return Ok(Some(x));
                        }
                        // A record the handshake key cannot open may be rejected 0-RTT data.
                        Err(RecordError::BadRecordMac) => {
                            if !self.skip_as_early_data(outer, len)? {
                                return Err(RecordError::BadRecordMac);
                            }
                        }
                        Err(e) => return Err(e),
                    }
                }
            }
        }
    }

    /// What a record's content means: handshake bytes, application data, an alert.
    /// `Ok(None)`: nothing to hand up (an empty application data record).
    fn classify(
        &mut self,
        typ: ContentType,
        content: BytesMut,
    ) -> Result<Option<Incoming>, RecordError> {
        let user_canceled = typ == ContentType::Alert && content.get(1) == Some(&90);
        self.note_empty(content.is_empty() || user_canceled)?;
        match typ {
            ContentType::Handshake if content.is_empty() => Err(RecordError::DecodeError {
                reason: "empty handshake fragment",
            }),
            ContentType::Handshake => Ok(Some(Incoming::Handshake(content))),
            ContentType::ApplicationData if self.opener.is_none() => {
                Err(RecordError::UnexpectedMessage {
                    reason: "application data must be protected",
                })
            }
            ContentType::ApplicationData => Ok(Some(Incoming::ApplicationData(content))),
            // RFC 8446 §5.1: an alert record carries exactly one alert; an empty one is no message
            // at all, like an empty handshake fragment, and is refused as unexpected.
            ContentType::Alert if content.is_empty() => Err(RecordError::UnexpectedMessage {
                reason: "empty alert record",
            }),
            ContentType::Alert => {
                let alert = Alert::decode(&content)?;
                match alert.description {
                    AlertDescription::CloseNotify => {
                        self.peer_closed = true;
                        Ok(Some(Incoming::CloseNotify))
                    }
                    AlertDescription::UserCanceled => Ok(Some(Incoming::UserCanceled)),
                    _ => Err(RecordError::PeerAlert(alert)),
                }
            }
            // open() never returns a protected CCS; unreachable in practice, rejected anyway.
            ContentType::ChangeCipherSpec => Err(RecordError::UnexpectedMessage {
                reason: "change_cipher_spec must not be protected",
            }),
        }
    }

    /// The transport reached EOF. `Ok` if the peer closed with close_notify; otherwise
    /// `Truncated` (a truncation attack or a crash), saying whether a record was cut in half.
    pub fn eof(&mut self) -> Result<(), RecordError> {
        // Errors are sticky: EOF after a failure reports that failure, not a truncation.
        if let Some(err) = &self.failed {
            return Err(err.clone());
        }
        if self.peer_closed {
            return Ok(());
        }
        Err(self.fail(RecordError::Truncated {
            mid_record: self.deframer.has_pending_bytes(),
        }))
    }

    /// Appends `payload` as records of type `typ`: protected if a sealer is installed, plaintext
    /// otherwise (application data is refused without keys). Fragments to 2^14 or record_size_limit.
    pub fn write(
        &mut self,
        typ: ContentType,
        payload: &[u8],
        out: &mut BytesMut,
    ) -> Result<(), RecordError> {
        if self.close_sent {
            return Err(RecordError::Internal {
                reason: "write after close_notify was sent",
            });
        }
        match self.sealer.as_mut() {
            Some(sealer) => sealer.seal_fragmented(typ, payload, MAX_PLAINTEXT_LEN, out),
            None if typ == ContentType::ApplicationData => Err(RecordError::Internal {
                reason: "application data needs keys",
            }),
            None => {
                write_plaintext(typ, payload, out);
                Ok(())
            }
        }
    }

    /// Appends the middlebox-compatibility change_cipher_spec (RFC 8446 D.4): always unprotected.
    pub fn write_change_cipher_spec(&mut self, out: &mut BytesMut) -> Result<(), RecordError> {
        if self.close_sent {
            return Err(RecordError::Internal {
                reason: "write after close_notify was sent",
            });
        }
        write_plaintext(ContentType::ChangeCipherSpec, &[1], out);
        Ok(())
    }

    /// Appends an alert record (protected once keys are installed).
    pub fn write_alert(&mut self, alert: Alert, out: &mut BytesMut) -> Result<(), RecordError> {
        self.write(ContentType::Alert, &alert.encode(), out)
    }

    /// Appends close_notify; nothing may be written after it.
    pub fn write_close_notify(&mut self, out: &mut BytesMut) -> Result<(), RecordError> {
        self.write_alert(Alert::close_notify(), out)?;
        self.close_sent = true;
        Ok(())
    }
}
