//! Record-layer errors, each naming the alert the peer must be sent.

use crate::types::{Alert, AlertDescription};

/// What went wrong in the record layer. [`RecordError::alert`] names the alert to send before closing.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    /// AEAD authentication failed: wrong key, tampered bytes, a replayed/reordered record (wrong sequence
    /// number) or a ciphertext shorter than the tag.
    #[error("bad_record_mac: the record did not authenticate (tampered, reordered, or wrong key)")]
    BadRecordMac,
    /// A record or fragment is longer than the protocol (or a negotiated record_size_limit) allows.
    #[error("record_overflow: {what} is {len} bytes, the limit is {max}")]
    RecordOverflow {
        what: &'static str,
        len: usize,
        max: usize,
    },
    /// Bytes that do not parse as a record.
    #[error("decode_error: {reason}")]
    DecodeError { reason: &'static str },
    /// A well-formed record that is not allowed here (unknown content type, all-zero inner plaintext,
    /// protected change_cipher_spec, plaintext where protection is required...).
    #[error("unexpected_message: {reason}")]
    UnexpectedMessage { reason: &'static str },
    /// The 64-bit sequence number is used up; a KeyUpdate (new keys) is required before sending more.
    #[error("the record sequence number is exhausted; new keys are required")]
    SequenceExhausted,
    /// The transport ended without a close_notify (a truncation attack or a crashed peer).
    #[error("the connection ended without close_notify (truncated{})", if *.mid_record { ", inside a record" } else { "" })]
    Truncated { mid_record: bool },
    /// The peer sent a fatal alert.
    #[error("the peer sent {0}")]
    PeerAlert(Alert),
    /// A caller bug (e.g. keys derived for another suite); never caused by the peer.
    #[error("internal error: {reason}")]
    Internal { reason: &'static str },
}

impl RecordError {
    /// The alert the peer must receive (RFC 8446 §5.2, §6.2). For `PeerAlert` nothing should be sent back;
    /// this returns the alert received. For `Truncated` the peer is gone; `decode_error` is returned
    /// (the stream ended in the middle of the protocol).
    pub fn alert(&self) -> AlertDescription {
        match self {
            Self::BadRecordMac => AlertDescription::BadRecordMac,
            Self::RecordOverflow { .. } => AlertDescription::RecordOverflow,
            Self::DecodeError { .. } | Self::Truncated { .. } => AlertDescription::DecodeError,
            Self::UnexpectedMessage { .. } => AlertDescription::UnexpectedMessage,
            Self::SequenceExhausted | Self::Internal { .. } => AlertDescription::InternalError,
            Self::PeerAlert(a) => a.description,
        }
    }
}
