//! Server settings (shared by the routes and the challenge validators).

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::Duration;

/// Server settings.
#[derive(Clone, Debug)]
pub struct Config {
    /// The URL prefix clients reach us at, e.g. `https://127.0.0.1:14000` (no trailing slash).
    /// JWS `url` headers must start with it.
    pub base_url: String,
    /// Port http-01 validation connects to (80 in the RFC).
    pub http01_port: u16,
    /// Port tls-alpn-01 validation connects to (443 in the RFC).
    pub tls_alpn01_port: u16,
    /// Names validated at a fixed address instead of through DNS (`--resolve NAME:ADDR`).
    pub resolve: HashMap<String, IpAddr>,
    /// New orders per account per rolling hour.
    pub orders_per_hour: u64,
    /// Validity of issued certificates, days.
    pub cert_days: u32,
    /// Outstanding nonces kept (the oldest are forgotten).
    pub nonce_capacity: usize,
    /// Time allowed for one challenge validation (connect + answer).
    pub validation_timeout: Duration,
    /// Lifetime of orders and authorizations.
    pub order_lifetime: Duration,
    /// Print one line per validation (what was fetched or why it failed) on stderr.
    pub log: bool,
}

impl Config {
    /// Defaults for a server reached at `base_url`.
    pub fn new(base_url: &str) -> Self {
        Config {
            base_url: base_url.trim_end_matches('/').to_string(),
            http01_port: 80,
            tls_alpn01_port: 443,
            resolve: HashMap::new(),
            orders_per_hour: 300,
            cert_days: 90,
            nonce_capacity: 10_000,
            validation_timeout: Duration::from_secs(10),
            order_lifetime: Duration::from_secs(7 * 24 * 3600),
            log: true,
        }
    }
}
