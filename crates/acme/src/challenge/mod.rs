//! Challenge validation: http-01 (RFC 8555 §8.3) and tls-alpn-01 (RFC 8737), for identifiers
//! of type dns and ip (RFC 8738).

mod http01;
mod tlsalpn01;

use std::net::{IpAddr, SocketAddr};

use crate::config::Config;
use crate::model::Identifier;
use crate::problem::{AcmeError, Result};

pub use tlsalpn01::{reverse_name, ACME_IDENTIFIER_OID, ACME_TLS_ALPN};

/// The http-01 challenge type.
pub const HTTP_01: &str = "http-01";
/// The tls-alpn-01 challenge type.
pub const TLS_ALPN_01: &str = "tls-alpn-01";

/// What a successful validation saw (for the log and the demo).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evidence(pub String);

/// Run the challenge of `kind` for `ident`, expecting `key_auth`; bounded by the config's timeout.
pub async fn validate(
    kind: &str,
    ident: &Identifier,
    token: &str,
    key_auth: &str,
    cfg: &Config,
) -> Result<Evidence> {
    let work = async {
        match kind {
            HTTP_01 => {
                let addr = resolve(ident, cfg.http01_port, cfg).await?;
                http01::validate(ident, addr, token, key_auth).await
            }
            TLS_ALPN_01 => {
                let addr = resolve(ident, cfg.tls_alpn01_port, cfg).await?;
                tlsalpn01::validate(ident, addr, key_auth).await
            }
            other => Err(AcmeError::Malformed(format!(
                "unknown challenge type {other}"
            ))),
        }
    };
    tokio::time::timeout(cfg.validation_timeout, work)
        .await
        .unwrap_or_else(|_| {
            Err(AcmeError::Connection(format!(
                "{kind} for {} timed out after {:?}",
                ident.value, cfg.validation_timeout
            )))
        })
}

/// Where to connect: an ip identifier is its address; a name goes through `--resolve`, then DNS.
async fn resolve(ident: &Identifier, port: u16, cfg: &Config) -> Result<SocketAddr> {
    if ident.kind == "ip" {
        let ip: IpAddr = ident
            .value
            .parse()
            .map_err(|_| AcmeError::Malformed(format!("bad ip identifier {}", ident.value)))?;
        return Ok(SocketAddr::new(ip, port));
    }
    if let Some(ip) = cfg.resolve.get(&ident.value) {
        return Ok(SocketAddr::new(*ip, port));
    }
    tokio::net::lookup_host((ident.value.as_str(), port))
        .await
        .map_err(|e| AcmeError::Connection(format!("cannot resolve {}: {e}", ident.value)))?
        .next()
        .ok_or_else(|| AcmeError::Connection(format!("{} has no address", ident.value)))
}
