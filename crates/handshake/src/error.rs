//! Errors, each naming the alert that went on the wire (RFC 8446 §6).

use std::borrow::Cow;
use std::io;
use std::path::{Path, PathBuf};

use https_record::{AlertDescription, RecordError};
use https_verify::VerifyError;

use crate::codec::{
    ExtensionType, HandshakeType, InvalidMessage, ProtocolVersion, SignatureScheme,
};

/// Why a connection failed. Every variant except [`Error::AlertReceived`], [`Error::Config`],
/// [`Error::Closed`] and [`Error::TicketKeys`] made us send a fatal alert first; [`Error::alert`]
/// says which.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The peer broke the protocol (or nothing it offered is acceptable); we sent `alert`.
    #[error("{reason} (sent {alert})")]
    Protocol {
        /// The alert we sent.
        alert: AlertDescription,
        /// What was wrong, typed.
        reason: PeerMisbehaved,
    },
    /// A local failure (no randomness, a signature ring refused to make); we sent internal_error.
    #[error("internal error: {0} (sent internal_error)")]
    Internal(Cow<'static, str>),
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
    pub(crate) fn proto(alert: AlertDescription, reason: impl Into<PeerMisbehaved>) -> Self {
        Self::Protocol {
            alert,
            reason: reason.into(),
        }
    }
    pub(crate) fn decode(reason: impl Into<PeerMisbehaved>) -> Self {
        Self::proto(AlertDescription::DecodeError, reason)
    }
    pub(crate) fn illegal(reason: impl Into<PeerMisbehaved>) -> Self {
        Self::proto(AlertDescription::IllegalParameter, reason)
    }
    pub(crate) fn unexpected(reason: impl Into<PeerMisbehaved>) -> Self {
        Self::proto(AlertDescription::UnexpectedMessage, reason)
    }
    /// unexpected_message: `got` while the state waits for `expected`.
    pub(crate) fn unexpected_message(got: &'static str, expected: &'static str) -> Self {
        Self::unexpected(PeerMisbehaved::UnexpectedMessage { got, expected })
    }
    pub(crate) fn handshake_failure(reason: impl Into<PeerMisbehaved>) -> Self {
        Self::proto(AlertDescription::HandshakeFailure, reason)
    }
    pub(crate) fn internal(reason: impl Into<Cow<'static, str>>) -> Self {
        Self::Internal(reason.into())
    }

    /// The typed reason, when the peer broke the protocol.
    pub fn peer_misbehaved(&self) -> Option<&PeerMisbehaved> {
        match self {
            Self::Protocol { reason, .. } => Some(reason),
            _ => None,
        }
    }

    /// The alert we sent for this error, if any. For `AlertReceived` it is `None`: a peer's alert
    /// is never answered.
    pub fn alert(&self) -> Option<AlertDescription> {
        match self {
            Self::Protocol { alert, .. } | Self::CertificateRejected { alert, .. } => Some(*alert),
            Self::Certificate(e) => Some(certificate_alert(e)),
            Self::CertificateSignature(_) => Some(AlertDescription::DecryptError),
            Self::Internal(_) => Some(AlertDescription::InternalError),
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
        Self::proto(alert, PeerMisbehaved::Malformed(e))
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

/// What the peer did wrong (or what it offered that we cannot take): the typed reason of
/// [`Error::Protocol`], to match on; `Display` is the text shown to people.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PeerMisbehaved {
    /// A message the current state does not accept.
    #[error("got {got} while waiting for {expected}")]
    UnexpectedMessage {
        /// The message received.
        got: &'static str,
        /// What the state waits for.
        expected: &'static str,
    },
    /// A handshake message after the handshake that TLS 1.3 does not allow there.
    #[error("{0} after the handshake")]
    UnexpectedAfterHandshake(&'static str),
    /// A HelloRetryRequest answering our second ClientHello.
    #[error("a second HelloRetryRequest")]
    SecondHelloRetryRequest,
    /// Another record type between the fragments of one handshake message.
    #[error("a record of another type between the fragments of a handshake message")]
    InterleavedHandshakeFragments,
    /// A handshake message split across a key change (RFC 8446 §5.1).
    #[error("handshake message spans a key change")]
    HandshakeSpansKeyChange,
    /// Application data before the handshake finished.
    #[error("application data before the handshake completed")]
    EarlyApplicationData,
    /// More 0-RTT data than the max_early_data_size we allowed (RFC 8446 §4.2.10).
    #[error("more early data than max_early_data_size")]
    TooMuchEarlyData,
    /// A handshake message type we do not know.
    #[error("unknown handshake message type {0}")]
    UnknownHandshakeType(u8),
    /// More handshake bytes than `MAX_HANDSHAKE_FLIGHT` before the handshake completed.
    #[error("handshake too large")]
    HandshakeFlightTooLarge,
    /// A message over its size limit.
    #[error("{} of {len} bytes is over our limit of {limit}", message.name())]
    MessageTooLarge {
        /// Its type.
        message: HandshakeType,
        /// Its announced length.
        len: usize,
        /// Our limit for that type.
        limit: usize,
    },
    /// A message that does not decode.
    #[error("{0}")]
    Malformed(InvalidMessage),
    /// Finished of a length other than the hash's.
    #[error("Finished has the wrong length")]
    FinishedLength,
    /// A server Certificate without a certificate.
    #[error("server sent an empty certificate list")]
    EmptyCertificateList,
    /// A ClientHello legacy_version below TLS 1.2.
    #[error("ClientHello legacy_version {0} is below TLS 1.2")]
    LegacyVersionTooLow(ProtocolVersion),
    /// A ClientHello whose supported_versions lacks TLS 1.3.
    #[error("client does not offer TLS 1.3 (supported_versions)")]
    NoTls13Offered,
    /// A ServerHello without supported_versions (TLS 1.2 or older).
    #[error("server chose TLS 1.2 or older; only TLS 1.3 is supported")]
    ServerChoseOldVersion,
    /// A ServerHello legacy_version other than 0x0303.
    #[error("ServerHello legacy_version is not 0x0303")]
    ServerLegacyVersion,
    /// legacy_compression_methods other than `[null]`.
    #[error("legacy_compression_methods must be exactly [null]")]
    CompressionOffered,
    /// A ServerHello compression method other than 0.
    #[error("non-zero compression method")]
    ServerCompression,
    /// legacy_session_id_echo differs from the id we sent.
    #[error("legacy_session_id_echo does not match")]
    SessionIdEchoMismatch,
    /// A message without an extension it must carry.
    #[error("{message} has no {extension}")]
    MissingExtension {
        /// The message.
        message: &'static str,
        /// The extension.
        extension: ExtensionType,
    },
    /// A known extension in a message RFC 8446 does not allow it in.
    #[error("extension {extension} is not allowed in {message}")]
    ForbiddenExtension {
        /// The message.
        message: &'static str,
        /// The extension.
        extension: ExtensionType,
    },
    /// An extension we did not ask for.
    #[error("{message} carries extension {extension} we did not offer")]
    UnsolicitedExtension {
        /// The message.
        message: &'static str,
        /// The extension.
        extension: ExtensionType,
    },
    /// record_size_limit below 64 (RFC 8449).
    #[error("record_size_limit {0} is below 64")]
    RecordSizeLimitTooSmall(u16),
    /// server_name that is not a printable ASCII host name.
    #[error("server_name is not a printable ASCII host name")]
    BadServerName,
    /// Nothing the peer offers is acceptable.
    #[error("no {0} in common")]
    NothingInCommon(Negotiable),
    /// The server selected something we did not offer.
    #[error("server selected a {0} we did not offer")]
    NotOffered(Negotiable),
    /// The certificate resolver has no certificate for the requested name.
    #[error("no certificate for this server_name")]
    NoCertificateForName,
    /// The certificate resolver has no certificate (no SNI sent).
    #[error("no certificate")]
    NoCertificate,
    /// A client key share for a group not in supported_groups, or twice for one group.
    #[error("key share for an unlisted or repeated group")]
    KeyShareNotListed,
    /// A key share with an empty key_exchange.
    #[error("key share with an empty key_exchange")]
    EmptyKeyShare,
    /// The server's key share is for a group we sent no share for.
    #[error("server key share is for a group we sent no share for")]
    ServerShareGroupMismatch,
    /// A key_exchange whose length is not the group's (RFC 8446 §4.2.8, draft-ietf-tls-ecdhe-mlkem §4).
    #[error("{group} key share of {len} bytes (must be {expected})")]
    KeyShareLength {
        /// The group (IANA name).
        group: &'static str,
        /// The length received.
        len: usize,
        /// The group's length.
        expected: usize,
    },
    /// A NIST-curve key share that is not an uncompressed point (RFC 8446 §4.2.8.2).
    #[error("{0} key share is not an uncompressed point")]
    KeyShareNotUncompressed(&'static str),
    /// A point off the curve, or an X25519 share giving the all-zero secret (RFC 7748 §6.1).
    #[error("invalid key share (point not on the curve or low order)")]
    KeyShareBadPoint,
    /// An ML-KEM-768 encapsulation key failing the FIPS 203 §7.2 modulus check.
    #[error("ML-KEM-768 encapsulation key fails the modulus check")]
    MlKemKeyInvalid,
    /// A HelloRetryRequest for a group we did not offer or already sent a share for.
    #[error("HelloRetryRequest asks for an unoffered group or the one we sent")]
    RetryBadGroup,
    /// A HelloRetryRequest that would not change our ClientHello.
    #[error("HelloRetryRequest would not change the ClientHello")]
    RetryNoChange,
    /// A HelloRetryRequest cookie too large to echo.
    #[error("the HelloRetryRequest cookie does not fit in a ClientHello")]
    RetryCookieTooLarge,
    /// A ServerHello suite differing from the HelloRetryRequest's.
    #[error("cipher suite differs from the HelloRetryRequest's")]
    RetrySuiteChanged,
    /// A second ClientHello changing what RFC 8446 §4.1.2 does not let it change.
    #[error("second ClientHello changed {0}")]
    SecondHelloChanged(&'static str),
    /// A second ClientHello changing, adding or removing an extension it must repeat.
    #[error("second ClientHello changed extension {0}")]
    SecondHelloChangedExtension(ExtensionType),
    /// A second ClientHello still offering early_data.
    #[error("second ClientHello offers early_data after a HelloRetryRequest")]
    SecondHelloEarlyData,
    /// A second ClientHello adding pre_shared_key.
    #[error("second ClientHello adds a pre_shared_key the first did not offer")]
    SecondHelloAddsPsk,
    /// A second ClientHello offering a new PSK identity.
    #[error("second ClientHello offers a PSK identity the first did not")]
    SecondHelloNewPskIdentity,
    /// A second ClientHello without our cookie.
    #[error("second ClientHello does not echo our cookie")]
    CookieNotEchoed,
    /// A second ClientHello without exactly the one key share we asked for.
    #[error("second ClientHello must carry exactly the requested key share")]
    WrongRetryKeyShare,
    /// A second ClientHello still without a usable key share.
    #[error("no usable key share after HelloRetryRequest")]
    NoShareAfterRetry,
    /// A Certificate whose request context we did not send.
    #[error("{0} Certificate has a request context we did not send")]
    UnexpectedCertificateContext(&'static str),
    /// A client that sent no certificate when one is required.
    #[error("the client sent no certificate")]
    NoClientCertificate,
    /// CertificateVerify under a scheme we did not offer for it (or PKCS#1 v1.5).
    #[error("CertificateVerify uses {0}, which we did not offer for it")]
    CertificateVerifyScheme(SignatureScheme),
    /// A signature scheme this stack cannot verify.
    #[error("unsupported signature scheme {0}")]
    UnsupportedSignatureScheme(SignatureScheme),
    /// The peer's Finished MAC does not match.
    #[error("{0} does not verify")]
    BadFinished(&'static str),
    /// A PSK binder that does not verify.
    #[error("PSK binder does not verify")]
    BadBinder,
}

/// What two peers negotiate, as named in [`PeerMisbehaved`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Negotiable {
    /// The protocol version.
    Version,
    /// The cipher suite.
    CipherSuite,
    /// The key-exchange group.
    Group,
    /// The signature scheme.
    SignatureScheme,
    /// The ALPN protocol.
    AlpnProtocol,
    /// The PSK (ticket).
    Psk,
}

impl std::fmt::Display for Negotiable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Version => "version",
            Self::CipherSuite => "cipher suite",
            Self::Group => "key exchange group",
            Self::SignatureScheme => "signature scheme",
            Self::AlpnProtocol => "ALPN protocol",
            Self::Psk => "PSK",
        })
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
