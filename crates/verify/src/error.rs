//! Why a certificate or a path was rejected.

/// Everything that can make a certificate path invalid.
///
/// Each variant names what failed and carries the values involved; [`VerifyError::kind`] is a
/// stable identifier. Which TLS alert a failure becomes is the handshake's business
/// (`https_handshake::certificate_alert`): this crate knows nothing of TLS.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// The certificate could not be parsed, or a field is not well-formed DER/X.509.
    #[error("malformed certificate: {what}")]
    Malformed { what: String },
    /// `notAfter` is before the validation time.
    #[error(
        "certificate {subject:?} expired at {not_after} (unix {not_after_unix}); validation time is {now}"
    )]
    Expired {
        subject: String,
        not_after: String,
        not_after_unix: i64,
        now: String,
    },
    /// `notBefore` is after the validation time.
    #[error("certificate {subject:?} is not valid before {not_before}; validation time is {now}")]
    NotYetValid {
        subject: String,
        not_before: String,
        now: String,
    },
    /// No certificate among the intermediates and trust anchors has the issuer's name and key.
    #[error(
        "unknown issuer {issuer:?}: no trusted anchor or intermediate issued this certificate"
    )]
    UnknownIssuer { issuer: String },
    /// The issuer's public key does not verify the certificate's signature.
    #[error("bad signature ({algorithm}): the issuer's key does not verify the signed data")]
    BadSignature { algorithm: String },
    /// The signature or key algorithm is not one we accept.
    #[error("unsupported algorithm: {what}")]
    UnsupportedAlgorithm { what: String },
    /// The expected DNS name or IP address is not among the certificate's subjectAltNames.
    #[error("name mismatch: expected {expected}, certificate is valid for {presented:?}")]
    NameMismatch {
        expected: String,
        presented: Vec<String>,
    },
    /// A certificate used as an issuer is not a CA (basicConstraints cA absent or false).
    #[error("{subject:?} is not a CA but is used as an issuer")]
    NotACa { subject: String },
    /// A CA certificate was presented as the end entity.
    #[error("{subject:?} is a CA certificate used as an end entity")]
    CaUsedAsEndEntity { subject: String },
    /// pathLenConstraint of an issuer is smaller than the number of CAs below it.
    #[error("path length exceeded: {subject:?} allows {allowed} intermediate CA(s) below it, found {found}")]
    PathLenExceeded {
        subject: String,
        allowed: u32,
        found: u32,
    },
    /// The path is longer than the caller's limit, or no path exists within it.
    #[error("path too long: more than {max} intermediate certificate(s)")]
    PathTooLong { max: usize },
    /// A name in a subordinate certificate is outside the name constraints of a CA above it.
    #[error("name constraint violation: {name} is not allowed by {ca:?}")]
    NameConstraintViolation { name: String, ca: String },
    /// A critical extension we do not process.
    #[error("unsupported critical extension {oid} in {subject:?}")]
    UnsupportedCriticalExtension { oid: String, subject: String },
    /// The certificate's serial number is on a CRL of its issuer.
    #[error("certificate {subject:?} (serial {serial}) is revoked")]
    Revoked { subject: String, serial: String },
    /// keyUsage forbids the use (e.g. keyCertSign missing on an issuer).
    #[error("key usage: {what}")]
    KeyUsage { what: String },
    /// extendedKeyUsage does not allow the purpose (serverAuth or clientAuth).
    #[error("extended key usage of {subject:?} does not allow {purpose}")]
    ExtendedKeyUsage { subject: String, purpose: String },
    /// A certificate breaks an RFC 5280 profile rule (e.g. missing key identifiers).
    #[error("profile violation: {what}")]
    Profile { what: String },
    /// Path building gave up: too many signature checks or candidate paths.
    #[error("path building budget exhausted ({what})")]
    BudgetExceeded { what: String },
    /// The caller's input is not usable (bad name, empty anchor set).
    #[error("invalid input: {what}")]
    InvalidInput { what: String },
}

impl VerifyError {
    /// A short stable identifier for JSON output, e.g. `"expired"`.
    pub fn kind(&self) -> &'static str {
        match self {
            VerifyError::Malformed { .. } => "malformed",
            VerifyError::Expired { .. } => "expired",
            VerifyError::NotYetValid { .. } => "not_yet_valid",
            VerifyError::UnknownIssuer { .. } => "unknown_issuer",
            VerifyError::BadSignature { .. } => "bad_signature",
            VerifyError::UnsupportedAlgorithm { .. } => "unsupported_algorithm",
            VerifyError::NameMismatch { .. } => "name_mismatch",
            VerifyError::NotACa { .. } => "not_a_ca",
            VerifyError::CaUsedAsEndEntity { .. } => "ca_used_as_end_entity",
            VerifyError::PathLenExceeded { .. } => "path_len_exceeded",
            VerifyError::PathTooLong { .. } => "path_too_long",
            VerifyError::NameConstraintViolation { .. } => "name_constraint_violation",
            VerifyError::UnsupportedCriticalExtension { .. } => "unsupported_critical_extension",
            VerifyError::Revoked { .. } => "revoked",
            VerifyError::KeyUsage { .. } => "key_usage",
            VerifyError::ExtendedKeyUsage { .. } => "extended_key_usage",
            VerifyError::Profile { .. } => "profile",
            VerifyError::BudgetExceeded { .. } => "budget_exceeded",
            VerifyError::InvalidInput { .. } => "invalid_input",
        }
    }

    pub(crate) fn malformed(what: impl Into<String>) -> Self {
        VerifyError::Malformed { what: what.into() }
    }

    pub(crate) fn profile(what: impl Into<String>) -> Self {
        VerifyError::Profile { what: what.into() }
    }

    /// How specific the error is, for choosing which one to report when every path failed:
    /// "no issuer found" is the least informative.
    pub(crate) fn rank(&self) -> u8 {
        match self {
            VerifyError::UnknownIssuer { .. } => 0,
            VerifyError::BudgetExceeded { .. } => 1,
            VerifyError::PathTooLong { .. } => 2,
            _ => 3,
        }
    }
}
