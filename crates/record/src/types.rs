//! Wire enums: content types, alert levels and descriptions (RFC 8446 §5.1, §6).

/// The record content type (RFC 8446 §5.1). In TLS 1.3 the outer type of every protected record is
/// `ApplicationData`; the real type travels inside the encrypted TLSInnerPlaintext.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum ContentType {
    ChangeCipherSpec = 20,
    Alert = 21,
    Handshake = 22,
    ApplicationData = 23,
}

impl ContentType {
    /// The content type for a wire byte, or `None` for a value TLS 1.3 does not define.
    pub fn from_u8(v: u8) -> Option<Self> {
        match v {
            20 => Some(Self::ChangeCipherSpec),
            21 => Some(Self::Alert),
            22 => Some(Self::Handshake),
            23 => Some(Self::ApplicationData),
            _ => None,
        }
    }

    /// The wire byte.
    pub fn to_u8(self) -> u8 {
        self as u8
    }
}

/// Alert level. TLS 1.3 treats every alert except close_notify and user_canceled as fatal whatever its
/// level says (RFC 8446 §6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AlertLevel {
    Warning,
    Fatal,
    /// A level byte other than 1 or 2 (kept so decoding never loses information).
    Unknown(u8),
}

impl AlertLevel {
    pub fn from_u8(v: u8) -> Self {
        match v {
            1 => Self::Warning,
            2 => Self::Fatal,
            x => Self::Unknown(x),
        }
    }

    pub fn to_u8(self) -> u8 {
        match self {
            Self::Warning => 1,
            Self::Fatal => 2,
            Self::Unknown(x) => x,
        }
    }
}

crate::code_points! {
    /// Alert description (RFC 8446 §6 and the registry).
    pub enum AlertDescription(u8, from_u8, to_u8) {
        CloseNotify = 0 => "close_notify",
        UnexpectedMessage = 10 => "unexpected_message",
        BadRecordMac = 20 => "bad_record_mac",
        RecordOverflow = 22 => "record_overflow",
        HandshakeFailure = 40 => "handshake_failure",
        BadCertificate = 42 => "bad_certificate",
        UnsupportedCertificate = 43 => "unsupported_certificate",
        CertificateRevoked = 44 => "certificate_revoked",
        CertificateExpired = 45 => "certificate_expired",
        CertificateUnknown = 46 => "certificate_unknown",
        IllegalParameter = 47 => "illegal_parameter",
        UnknownCa = 48 => "unknown_ca",
        AccessDenied = 49 => "access_denied",
        DecodeError = 50 => "decode_error",
        DecryptError = 51 => "decrypt_error",
        ProtocolVersion = 70 => "protocol_version",
        InsufficientSecurity = 71 => "insufficient_security",
        InternalError = 80 => "internal_error",
        InappropriateFallback = 86 => "inappropriate_fallback",
        UserCanceled = 90 => "user_canceled",
        MissingExtension = 109 => "missing_extension",
        UnsupportedExtension = 110 => "unsupported_extension",
        UnrecognizedName = 112 => "unrecognized_name",
        BadCertificateStatusResponse = 113 => "bad_certificate_status_response",
        UnknownPskIdentity = 115 => "unknown_psk_identity",
        CertificateRequired = 116 => "certificate_required",
        NoApplicationProtocol = 120 => "no_application_protocol",
    }
}

impl std::fmt::Display for AlertDescription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Unknown(x) => write!(f, "unknown alert ({x})"),
            d => write!(f, "{} ({})", d.name(), d.to_u8()),
        }
    }
}

/// An alert message: two bytes on the wire, level then description.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Alert {
    pub level: AlertLevel,
    pub description: AlertDescription,
}

impl Alert {
    /// A fatal alert with this description.
    pub fn fatal(description: AlertDescription) -> Self {
        Self {
            level: AlertLevel::Fatal,
            description,
        }
    }

    /// The close_notify alert (level warning, as RFC 8446 §6.1 and every peer send it).
    pub fn close_notify() -> Self {
        Self {
            level: AlertLevel::Warning,
            description: AlertDescription::CloseNotify,
        }
    }

    /// The two wire bytes.
    pub fn encode(&self) -> [u8; 2] {
        [self.level.to_u8(), self.description.to_u8()]
    }

    /// Decodes an alert message; anything but exactly two bytes is a decode_error.
    pub fn decode(bytes: &[u8]) -> Result<Self, crate::RecordError> {
        match bytes {
            [level, desc] => Ok(Self {
                level: AlertLevel::from_u8(*level),
                description: AlertDescription::from_u8(*desc),
            }),
            _ => Err(crate::RecordError::DecodeError {
                reason: "an alert message must be exactly 2 bytes",
            }),
        }
    }

    /// True for the alerts that close a connection gracefully (close_notify, user_canceled); every other
    /// alert is fatal in TLS 1.3 regardless of its level.
    pub fn is_closure(&self) -> bool {
        matches!(
            self.description,
            AlertDescription::CloseNotify | AlertDescription::UserCanceled
        )
    }
}

impl std::fmt::Display for Alert {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let level = match self.level {
            AlertLevel::Warning => "warning",
            AlertLevel::Fatal => "fatal",
            AlertLevel::Unknown(_) => "unknown-level",
        };
        write!(f, "{level} alert {}", self.description)
    }
}
