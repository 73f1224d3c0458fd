//! Errors, each naming the alert that went on the wire (RFC 8446 §6).

use std::borrow::Cow;
use std::io;
use std::path::{Path, PathBuf};

use https_record::{AlertDescription, RecordError};
use https_verify::VerifyError;

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
    /// https-verify rejected the peer's certificate chain; we sent [`certificate_alert`] of it.
    #[error("certificate rejected: {0} (sent {alert})", alert = certificate_alert(.0))]
    Certificate(VerifyError),
    /// The peer's CertificateVerify signature does not verify with its certificate's key (or
    /// that key cannot be read); we sent decrypt_error.
    #[error("CertificateVerify rejected: {0} (sent decrypt_error)")]
    CertificateSignature(VerifyError),
    /// A custom [`crate::ServerCertVerifier`] / [`crate::ClientCertVerifier`] refused the
    /// certificate by its own policy; we sent `alert`.
    #[error("certificate rejected: {reason} (sent {alert})")]
    CertificateRejected {
        /// The alert we sent.
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
    TicketKeys(#[from] TicketKeyError),
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
            Self::Protocol { alert, .. } | Self::CertificateRejected { alert, .. } => Some(*alert),
            Self::Certificate(e) => Some(certificate_alert(e)),
            Self::CertificateSignature(_) => Some(AlertDescription::DecryptError),
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

/// Largest ticket-key file we read (here because [`TicketKeyError::TooLarge`] names it).
pub const MAX_KEY_FILE_BYTES: u64 = 4096;

/// Why a ticket-key file was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TicketKeyError {
    /// The file could not be opened, read, written or renamed.
    #[error("{path}: {message}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        kind: io::ErrorKind,
        /// Its message.
        message: String,
    },
    /// Group or others may access the file: its keys would let them forge and open tickets.
    #[error(
        "{path} has mode {mode:o}: ticket keys must not be readable by group or others (chmod 600)"
    )]
    Permissions {
        /// The file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// Not a regular file.
    #[error("{path} is not a regular file")]
    NotAFile {
        /// The path.
        path: PathBuf,
    },
    /// Over [`MAX_KEY_FILE_BYTES`].
    #[error("{path} is larger than {MAX_KEY_FILE_BYTES} bytes: not a ticket-key file")]
    TooLarge {
        /// The file.
        path: PathBuf,
    },
    /// A line that is not what the format says.
    #[error("{path} line {line}: {reason}")]
    Format {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        reason: &'static str,
    },
    /// The header is there but no key follows.
    #[error("{path} holds no key")]
    NoKeys {
        /// The file.
        path: PathBuf,
    },
    /// `create` found a file already there.
    #[error("{path} already exists (use rotate)")]
    Exists {
        /// The file.
        path: PathBuf,
    },
}

impl TicketKeyError {
    pub(crate) fn io(path: &Path, e: &io::Error) -> Self {
        Self::Io {
            path: path.to_path_buf(),
            kind: e.kind(),
            message: e.to_string(),
        }
    }
}

/// The alert (RFC 8446 §6.2) a handshake sends when path validation rejects the peer's
/// certificate. The mapping lives here: https-verify knows nothing of TLS.
pub fn certificate_alert(e: &VerifyError) -> AlertDescription {
    match e {
        VerifyError::Expired { .. } | VerifyError::NotYetValid { .. } => {
            AlertDescription::CertificateExpired
        }
        VerifyError::UnknownIssuer { .. } | VerifyError::PathTooLong { .. } => {
            AlertDescription::UnknownCa
        }
        VerifyError::Revoked { .. } => AlertDescription::CertificateRevoked,
        VerifyError::UnsupportedAlgorithm { .. } | VerifyError::ExtendedKeyUsage { .. } => {
            AlertDescription::UnsupportedCertificate
        }
        VerifyError::InvalidInput { .. } => AlertDescription::IllegalParameter,
        _ => AlertDescription::BadCertificate,
    }
}
