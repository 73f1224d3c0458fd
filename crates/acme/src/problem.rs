//! Errors as RFC 8555 §6.7 problem documents (`application/problem+json`).

use serde::{Deserialize, Serialize};

/// Everything a request can fail with. Each variant is one `urn:ietf:params:acme:error:*` type
/// with its HTTP status, so callers (and tests) match on the variant, not on text.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AcmeError {
    /// The JWS nonce is missing, unknown or already used (client should retry with a fresh one).
    #[error("bad nonce: {0}")]
    BadNonce(String),
    /// The request is syntactically wrong (JWS, JSON, URL, field types).
    #[error("malformed request: {0}")]
    Malformed(String),
    /// The JWS signature does not verify, or the account may not act on this resource.
    #[error("unauthorized: {0}")]
    Unauthorized(String),
    /// The JWS uses an algorithm we do not verify.
    #[error("bad signature algorithm: {0}")]
    BadSignatureAlgorithm(String),
    /// A `kid` names no account (or `onlyReturnExisting` found none).
    #[error("account does not exist: {0}")]
    AccountDoesNotExist(String),
    /// The CSR is unparsable, does not match the order, or the CA's policy refuses it.
    #[error("bad CSR: {0}")]
    BadCsr(String),
    /// A contact URL we do not accept (only `mailto:`).
    #[error("unsupported contact: {0}")]
    UnsupportedContact(String),
    /// The server will not issue for this identifier.
    #[error("rejected identifier: {0}")]
    RejectedIdentifier(String),
    /// An identifier type we do not support.
    #[error("unsupported identifier: {0}")]
    UnsupportedIdentifier(String),
    /// Finalize before every authorization is valid.
    #[error("order not ready: {0}")]
    OrderNotReady(String),
    /// Too many requests from this account.
    #[error("rate limited: {detail}")]
    RateLimited {
        /// What limit was hit.
        detail: String,
        /// Seconds until the client may try again (`Retry-After`).
        retry_after: u64,
    },
    /// The certificate is already revoked.
    #[error("already revoked: {0}")]
    AlreadyRevoked(String),
    /// A revocation reason code we do not accept.
    #[error("bad revocation reason: {0}")]
    BadRevocationReason(String),
    /// The validation of a challenge failed (connection refused, wrong answer, ...).
    #[error("incorrect response: {0}")]
    IncorrectResponse(String),
    /// The validation could not connect to the name.
    #[error("connection failed: {0}")]
    Connection(String),
    /// The tls-alpn-01 handshake or certificate was wrong.
    #[error("tls problem: {0}")]
    Tls(String),
    /// An unknown resource (HTTP 404, type malformed).
    #[error("not found: {0}")]
    NotFound(String),
    /// The request body is over the size limit (HTTP 413, type malformed).
    #[error("request too large: {0}")]
    TooLarge(String),
    /// Wrong HTTP method (405, type malformed).
    #[error("method not allowed: {0}")]
    MethodNotAllowed(String),
    /// Wrong `Content-Type` for a JWS (415, type malformed).
    #[error("unsupported media type: {0}")]
    UnsupportedMediaType(String),
    /// Our own failure (storage, signing); detail is for the log.
    #[error("server internal error: {0}")]
    ServerInternal(String),
}

/// The problem document body.
#[derive(Debug, Serialize, Deserialize, Clone, PartialEq, Eq)]
pub struct Problem {
    /// `urn:ietf:params:acme:error:...`
    #[serde(rename = "type")]
    pub kind: String,
    /// Human-readable explanation.
    pub detail: String,
    /// HTTP status, repeated in the body as RFC 7807 allows.
    pub status: u16,
}

impl AcmeError {
    /// The short error type after `urn:ietf:params:acme:error:`.
    pub fn kind(&self) -> &'static str {
        use AcmeError::*;
        match self {
            BadNonce(_) => "badNonce",
            Malformed(_)
            | NotFound(_)
            | TooLarge(_)
            | MethodNotAllowed(_)
            | UnsupportedMediaType(_) => "malformed",
            Unauthorized(_) => "unauthorized",
            BadSignatureAlgorithm(_) => "badSignatureAlgorithm",
            AccountDoesNotExist(_) => "accountDoesNotExist",
            BadCsr(_) => "badCSR",
            RejectedIdentifier(_) => "rejectedIdentifier",
            UnsupportedContact(_) => "unsupportedContact",
            UnsupportedIdentifier(_) => "unsupportedIdentifier",
            OrderNotReady(_) => "orderNotReady",
            RateLimited { .. } => "rateLimited",
            AlreadyRevoked(_) => "alreadyRevoked",
            BadRevocationReason(_) => "badRevocationReason",
            IncorrectResponse(_) => "incorrectResponse",
            Connection(_) => "connection",
            Tls(_) => "tls",
            ServerInternal(_) => "serverInternal",
        }
    }

    /// The HTTP status that goes with it (RFC 8555 §6.7 and the examples in §7).
    pub fn status(&self) -> u16 {
        use AcmeError::*;
        match self {
            Unauthorized(_) | OrderNotReady(_) => 403,
            AccountDoesNotExist(_) => 400,
            NotFound(_) => 404,
            MethodNotAllowed(_) => 405,
            TooLarge(_) => 413,
            UnsupportedMediaType(_) => 415,
            RateLimited { .. } => 429,
            ServerInternal(_) => 500,
            _ => 400,
        }
    }

    /// The full type URN.
    pub fn urn(&self) -> String {
        format!("urn:ietf:params:acme:error:{}", self.kind())
    }

    /// The problem document.
    pub fn problem(&self) -> Problem {
        let detail = match self {
            AcmeError::RateLimited { detail, .. } => detail.clone(),
            other => {
                let text = other.to_string();
                // Drop our own prefix ("bad nonce: ") so the detail reads on its own.
                text.split_once(": ")
                    .map(|(_, d)| d.to_string())
                    .unwrap_or(text)
            }
        };
        Problem {
            kind: self.urn(),
            detail,
            status: self.status(),
        }
    }
}

/// Result alias for this crate.
pub type Result<T, E = AcmeError> = std::result::Result<T, E>;

pub(crate) fn internal<E: std::fmt::Display>(e: E) -> AcmeError {
    AcmeError::ServerInternal(e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problem_types_and_statuses() {
        let p = AcmeError::BadNonce("used".into()).problem();
        assert_eq!(p.kind, "urn:ietf:params:acme:error:badNonce");
        assert_eq!((p.status, p.detail.as_str()), (400, "used"));
        assert_eq!(
            AcmeError::BadCsr("x".into()).urn(),
            "urn:ietf:params:acme:error:badCSR"
        );
        assert_eq!(AcmeError::Unauthorized("x".into()).status(), 403);
        let r = AcmeError::RateLimited {
            detail: "5 orders per hour".into(),
            retry_after: 60,
        };
        assert_eq!((r.kind(), r.status()), ("rateLimited", 429));
        assert_eq!(AcmeError::NotFound("x".into()).kind(), "malformed");
    }
}
