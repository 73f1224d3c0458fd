//! Errors: each says what is wrong and why, so the CLI can print it on one line.

/// Everything that can go wrong in `https-pki`.
///
/// [`Error::is_policy`] separates "the input is fine but the CA refuses to sign it" (a policy
/// decision) from "the input could not be read or is malformed".
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The text is not PEM at all, or a PEM block is corrupt or truncated.
    #[error("not valid PEM: {0}")]
    BadPem(String),
    /// A PEM block was found but it holds something else than what was asked for.
    #[error("expected a PEM block labelled {expected}, found \"{found}\"")]
    WrongLabel {
        /// The label(s) that would have been accepted.
        expected: String,
        /// The label that was found.
        found: String,
    },
    /// The bytes inside a PEM block (or a DER file) do not parse as the expected structure.
    #[error("malformed {what}: {reason}")]
    Malformed {
        /// What was being parsed ("certificate", "CSR", "private key", ...).
        what: &'static str,
        /// Why it failed.
        reason: String,
    },
    /// A key of a type this crate cannot use (or an encrypted key).
    #[error("unsupported key: {0}")]
    UnsupportedKey(String),
    /// The CSR's self-signature does not verify with the public key it carries.
    #[error("CSR signature does not verify with the CSR's own public key (altered or mis-signed request)")]
    CsrSignature,
    /// The private key is not the one whose public half is in the certificate.
    #[error("the private key does not match the certificate's public key")]
    KeyMismatch,
    /// A name given for a certificate is not a DNS name or an IP address.
    #[error("invalid name {name:?}: {reason}")]
    InvalidName {
        /// The name as given.
        name: String,
        /// Why it is not acceptable.
        reason: String,
    },
    /// The request is well formed but the CA's policy refuses it.
    #[error("refused by policy: {0}")]
    Policy(String),
    /// The certificate given as a CA cannot act as one.
    #[error("not a usable CA certificate: {0}")]
    NotCa(String),
    /// Building or signing the certificate failed inside rcgen/ring.
    #[error("could not build the certificate: {0}")]
    Build(String),
    /// Reading a file failed (only [`crate::CertificateAuthority::load_dir`] reads files).
    #[error("{path}: {source}")]
    Io {
        /// The file that could not be read.
        path: std::path::PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
}

impl Error {
    /// True when the input was readable but the CA refused it (CLI exit code 1).
    pub fn is_policy(&self) -> bool {
        matches!(self, Error::Policy(_))
    }
}

impl From<rcgen::Error> for Error {
    fn from(e: rcgen::Error) -> Self {
        Error::Build(e.to_string())
    }
}

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
