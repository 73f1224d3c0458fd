//! Errors, each naming the alert that went on the wire (RFC 8446 §6).

use std::borrow::Cow;

use https_record::{AlertDescription, RecordError};

use crate::codec::InvalidMessage;

/// Why a connection failed. Every variant except [`Error::AlertReceived`], [`Error::Config`],
/// [`Error::Closed`] and [`Error::TicketKeys`] made us send a fatal alert first; [`Error::alert`]
/// says which.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The peer broke the protocol; we sent `alert`.
    #[error("{reason} (sent {alert})")]
    Protocol {
        /// The alert we sent.
        alert: AlertDescription,
        /// What was wrong.
        reason: Cow<'static, str>,
    },
    /// The peer's certificate (or its CertificateVerify signature) was rejected; we sent `alert`.
    #[error("certificate rejected: {reason} (sent {alert})")]
    Certificate {
        /// The alert we sent (bad_certificate, unknown_ca, certificate_expired, decrypt_error...).
        alert: AlertDescription,
        /// The verifier's explanation.
        reason: String,
    },
    /// The record layer failed (bad_record_mac, record_overflow, truncation...).
    #[error("record layer: {0}")]
    Record(RecordError),
    /// The peer sent a fatal alert.
    #[error("the peer sent a fatal alert: {0}")]
    AlertReceived(AlertDescription),
    /// Invalid local configuration (bad key, no certificate...): nothing was sent.
    #[error("configuration: {0}")]
    Config(String),
    /// Writing after close_notify was sent or received.
    #[error("the connection is closed")]
    Closed,
    /// A ticket-key file was refused (permissions, format, I/O): nothing was sent.
    #[error("ticket keys: {0}")]
    TicketKeys(#[from] crate::tickets::TicketKeyError),
}

impl Error {
    pub(crate) fn proto(alert: AlertDescription, reason: impl Into<Cow<'static, str>>) -> Self {
        Self::Protocol {
            alert,
            reason: reason.into(),
        }
    }
    pub(crate) fn decode(reason: impl Into<Cow<'static, str>>) -> Self {
        Self::proto(AlertDescription::DecodeError, reason)
    }
    pub(crate) fn illegal(reason: impl Into<Cow<'static, str>>) -> Self {
        Self::proto(AlertDescription::IllegalParameter, reason)
    }
    pub(crate) fn unexpected(reason: impl Into<Cow<'static, str>>) -> Self {
        Self::proto(AlertDescription::UnexpectedMessage, reason)
    }
    pub(crate) fn handshake_failure(reason: impl Into<Cow<'static, str>>) -> Self {
        Self::proto(AlertDescription::HandshakeFailure, reason)
    }
    pub(crate) fn internal(reason: impl Into<Cow<'static, str>>) -> Self {
        Self::proto(AlertDescription::InternalError, reason)
    }

    /// The alert we sent for this error, if any. For `AlertReceived` it is `None`: a peer's alert
    /// is never answered.
    pub fn alert(&self) -> Option<AlertDescription> {
        match self {
            Self::Protocol { alert, .. } | Self::Certificate { alert, .. } => Some(*alert),
            Self::Record(RecordError::PeerAlert(_))
            | Self::Record(RecordError::Truncated { .. }) => None,
            Self::Record(e) => Some(e.alert()),
            Self::AlertReceived(_) | Self::Config(_) | Self::Closed | Self::TicketKeys(_) => None,
        }
    }
}

impl From<InvalidMessage> for Error {
    fn from(e: InvalidMessage) -> Self {
        let alert = if e.is_illegal_parameter() {
            AlertDescription::IllegalParameter
        } else {
            AlertDescription::DecodeError
        };
        Self::proto(alert, e.to_string())
    }
}

impl From<RecordError> for Error {
    fn from(e: RecordError) -> Self {
        match e {
            RecordError::PeerAlert(a) => Self::AlertReceived(a.description),
            e => Self::Record(e),
        }
    }
}

impl From<Error> for std::io::Error {
    fn from(e: Error) -> Self {
        std::io::Error::new(std::io::ErrorKind::InvalidData, e)
    }
}
