//! The ACME objects (RFC 8555 §7.1) as this server stores them. Their wire form (with URLs in
//! place of ids) is built by `server::views`.

use serde::{Deserialize, Serialize};

use crate::jws::Jwk;
use crate::problem::{AcmeError, Problem, Result};

/// Object status (§7.1.6); each object uses a subset.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Waiting for the client (challenges, authorizations, orders).
    Pending,
    /// Every authorization is valid; finalize may be called (orders).
    Ready,
    /// Validation or issuance under way.
    Processing,
    /// Done and good.
    Valid,
    /// Failed for good.
    Invalid,
    /// Deactivated by the client (accounts, authorizations).
    Deactivated,
    /// Revoked (authorizations).
    Revoked,
    /// Past its expiry.
    Expired,
}

/// What a certificate is for: a DNS name or an IP address (RFC 8738).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
pub struct Identifier {
    /// `dns` or `ip`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The name or the address (as text).
    pub value: String,
}

impl Identifier {
    /// Check the type and syntax; returns the canonical form (lowercase DNS name, IP as
    /// `std::net::IpAddr` prints it).
    pub fn normalized(&self) -> Result<Identifier> {
        match self.kind.as_str() {
            "dns" => {
                let v = self.value.trim_end_matches('.').to_ascii_lowercase();
                if v.starts_with("*.") {
                    return Err(AcmeError::RejectedIdentifier(format!(
                        "{v}: wildcards need dns-01, which this server does not offer"
                    )));
                }
                if let Ok(ip) = v.parse::<std::net::IpAddr>() {
                    // RFC 8738 wants type "ip"; older clients (lego 4.x) send "dns": be lenient.
                    return Ok(Identifier {
                        kind: "ip".into(),
                        value: ip.to_string(),
                    });
                }
                https_pki::SubjectAltName::from_name(&v)
                    .map_err(|e| AcmeError::RejectedIdentifier(e.to_string()))?;
                Ok(Identifier {
                    kind: "dns".into(),
                    value: v,
                })
            }
            "ip" => {
                let ip: std::net::IpAddr = self.value.parse().map_err(|_| {
                    AcmeError::Malformed(format!("{:?} is not an IP address", self.value))
                })?;
                Ok(Identifier {
                    kind: "ip".into(),
                    value: ip.to_string(),
                })
            }
            other => Err(AcmeError::UnsupportedIdentifier(format!(
                "identifier type {other:?} (dns and ip are supported)"
            ))),
        }
    }
}

/// An account (§7.1.2).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Account {
    /// Opaque id (the account URL ends with it).
    pub id: String,
    /// The account's current public key.
    pub key: Jwk,
    /// base64url RFC 7638 thumbprint of `key` (unique among accounts).
    pub thumbprint: String,
    /// valid or deactivated.
    pub status: Status,
    /// `mailto:` URLs as given.
    pub contact: Vec<String>,
    /// Unix time of creation.
    pub created: i64,
}

/// An order (§7.1.3).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Order {
    /// Opaque id.
    pub id: String,
    /// The account that placed it.
    pub account_id: String,
    /// pending, ready, processing, valid or invalid.
    pub status: Status,
    /// Requested identifiers, normalized, sorted, no duplicates.
    pub identifiers: Vec<Identifier>,
    /// One authorization per identifier, same order.
    pub authz_ids: Vec<String>,
    /// Unix time after which the order is no longer usable.
    pub expires: i64,
    /// Unix time of creation (rate limits count these).
    pub created: i64,
    /// Set when valid.
    pub certificate_id: Option<String>,
    /// Why it became invalid.
    pub error: Option<Problem>,
    /// ARI (RFC 9773 §5): the certificate this order replaces, as its certID.
    #[serde(default)]
    pub replaces: Option<String>,
}

/// A challenge inside an authorization (§7.1.5).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Challenge {
    /// `http-01` or `tls-alpn-01`.
    pub kind: String,
    /// 128 random bits, base64url.
    pub token: String,
    /// pending, processing, valid or invalid.
    pub status: Status,
    /// Unix time of a successful validation.
    pub validated: Option<i64>,
    /// Why the validation failed.
    pub error: Option<Problem>,
}

/// An authorization (§7.1.4): proof of control of one identifier, for one order.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Authorization {
    /// Opaque id.
    pub id: String,
    /// The order it belongs to.
    pub order_id: String,
    /// The account that must answer it.
    pub account_id: String,
    /// What is being proven.
    pub identifier: Identifier,
    /// pending, valid, invalid, deactivated, expired or revoked.
    pub status: Status,
    /// Unix expiry.
    pub expires: i64,
    /// The ways to prove it; the challenge URL is the authorization id and the index.
    pub challenges: Vec<Challenge>,
}

/// An issued certificate.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CertRecord {
    /// Opaque id (the certificate URL ends with it).
    pub id: String,
    /// The order it finalized.
    pub order_id: String,
    /// Who asked for it.
    pub account_id: String,
    /// Serial number, lowercase hex of the DER INTEGER content.
    pub serial_hex: String,
    /// The leaf, DER as hex.
    pub der_hex: String,
    /// Leaf + intermediates, PEM: what the certificate URL returns.
    pub chain_pem: String,
    /// Validity, Unix times.
    pub not_before: i64,
    /// Validity, Unix times.
    pub not_after: i64,
    /// Set when revoked: (Unix time, RFC 5280 reason code).
    pub revoked: Option<(i64, u8)>,
}

/// Current Unix time.
pub fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// RFC 3339 time for the JSON views.
pub fn rfc3339(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(kind: &str, value: &str) -> Identifier {
        Identifier {
            kind: kind.into(),
            value: value.into(),
        }
    }

    #[test]
    fn identifiers_are_checked_and_normalized() {
        assert_eq!(
            id("dns", "WWW.Example.Test.").normalized().unwrap().value,
            "www.example.test"
        );
        assert_eq!(id("ip", "::0001").normalized().unwrap().value, "::1");
        assert!(matches!(
            id("dns", "*.example.test").normalized(),
            Err(AcmeError::RejectedIdentifier(_))
        ));
        // lego 4.x sends IP addresses as type dns.
        assert_eq!(
            id("dns", "127.0.0.1").normalized().unwrap(),
            id("ip", "127.0.0.1")
        );
        assert!(matches!(
            id("ip", "nope").normalized(),
            Err(AcmeError::Malformed(_))
        ));
        assert!(matches!(
            id("email", "a@b").normalized(),
            Err(AcmeError::UnsupportedIdentifier(_))
        ));
        assert!(matches!(
            id("dns", "bad_name..test").normalized(),
            Err(AcmeError::RejectedIdentifier(_))
        ));
    }
}
