//! Small glue between the TLS adapter's errors and traces and the command's output.

use crate::output::Failure;
use https_handshake::{CertifiedKey, ClientHelloInfo, Connection, ResolvesServerCert, TraceEvent};
use std::path::Path;
use std::sync::Arc;

/// A one-line reason for a failed handshake, naming the alert when there was one.
pub fn alert_of(err: &std::io::Error) -> String {
    match err
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<https_handshake::Error>())
    {
        Some(tls) => match tls.alert() {
            Some(alert) => format!("{tls} (alert {alert:?} sent)"),
            None => tls.to_string(),
        },
        None => err.to_string(),
    }
}

/// The handshake trace as JSON: one object per event, in order.
pub fn trace_json(events: &[TraceEvent]) -> serde_json::Value {
    let items: Vec<serde_json::Value> = events
        .iter()
        .map(|ev| {
            let mut v = match ev {
                TraceEvent::Sent { message, bytes } => {
                    serde_json::json!({"event": "sent", "message": message, "bytes": bytes})
                }
                TraceEvent::Received { message, bytes } => {
                    serde_json::json!({"event": "received", "message": message, "bytes": bytes})
                }
                TraceEvent::Check { what, detail } => {
                    serde_json::json!({"event": "check", "what": what, "detail": detail})
                }
                TraceEvent::Secret { name } => serde_json::json!({"event": "secret", "name": name}),
                TraceEvent::Negotiated { what, value } => {
                    serde_json::json!({"event": "negotiated", "what": what, "value": value})
                }
            };
            if let (Some(step), Some(obj)) = (ev.seed_step(), v.as_object_mut()) {
                obj.insert("seed_step".into(), serde_json::Value::from(step));
            }
            v
        })
        .collect();
    serde_json::Value::Array(items)
}

/// What was negotiated, for `get -v` and `--json`.
pub fn negotiated_json(conn: &Connection) -> serde_json::Value {
    serde_json::json!({
        "protocol": match conn.protocol_version() { Some(0x0304) => "TLSv1.3", Some(_) => "other", None => "none" },
        "cipher_suite": conn.negotiated_cipher_suite().map(|s| s.name()),
        "group": conn.negotiated_group().map(|g| g.name()),
        "alpn": conn.alpn_protocol().map(|a| String::from_utf8_lossy(a).into_owned()),
        "hello_retry": conn.had_hello_retry(),
    })
}

/// Picks the server certificate by SNI among the names (DNS subjectAltNames) in each certificate:
/// an exact name first, then a `*.` wildcard for the first label; the first pair otherwise.
#[derive(Debug)]
pub struct NameResolver {
    by_name: std::collections::HashMap<String, Arc<CertifiedKey>>,
    default: Arc<CertifiedKey>,
}

impl NameResolver {
    /// `pairs` in command-line order; the first one is the default. An earlier pair keeps a name
    /// a later pair also claims.
    pub fn new(pairs: Vec<(Arc<CertifiedKey>, Vec<String>)>) -> Option<Self> {
        let default = pairs.first()?.0.clone();
        let mut by_name = std::collections::HashMap::new();
        for (ck, names) in pairs {
            for name in names {
                by_name
                    .entry(name.to_ascii_lowercase())
                    .or_insert_with(|| ck.clone());
            }
        }
        Some(NameResolver { by_name, default })
    }
}

impl ResolvesServerCert for NameResolver {
    fn resolve(&self, hello: &ClientHelloInfo<'_>) -> Option<Arc<CertifiedKey>> {
        let Some(sni) = hello.server_name.map(|n| n.to_ascii_lowercase()) else {
            return Some(self.default.clone());
        };
        let wildcard = sni.split_once('.').map(|(_, rest)| format!("*.{rest}"));
        self.by_name
            .get(&sni)
            .or_else(|| wildcard.and_then(|w| self.by_name.get(&w)))
            .or(Some(&self.default))
            .cloned()
    }
}

/// Loads one `--cert`/`--key` pair and the DNS names its leaf certificate carries.
pub fn load_pair(cert: &Path, key: &Path) -> Result<(Arc<CertifiedKey>, Vec<String>), Failure> {
    let chain_pem =
        std::fs::read(cert).map_err(|e| Failure::usage(format!("{}: {e}", cert.display())))?;
    let key_pem =
        std::fs::read(key).map_err(|e| Failure::usage(format!("{}: {e}", key.display())))?;
    let certified = CertifiedKey::from_pem(&chain_pem, &key_pem)
        .map_err(|e| Failure::usage(format!("{} / {}: {e}", cert.display(), key.display())))?;
    let leaf = certified.chain.first().map(Vec::as_slice).unwrap_or(&[]);
    let names = https_pki::inspect::describe(leaf)
        .map_err(|e| Failure::usage(format!("{}: {e}", cert.display())))?
        .subject_alt_names
        .iter()
        .filter_map(|san| san.strip_prefix("DNS:").map(str::to_string))
        .collect();
    Ok((certified, names))
}

/// The subject of the peer's (verified) certificate, for logs and handlers.
pub fn peer_identity(conn: &Connection) -> Option<String> {
    let leaf = conn.peer_certificates()?.first()?;
    Some(
        https_pki::inspect::describe(leaf)
            .ok()
            .and_then(|d| d.subject)
            .unwrap_or_else(|| "(certificate without a readable subject)".to_string()),
    )
}

/// `SSLKEYLOGFILE`, honoured like curl: the TLS secrets are appended there (file created 0600);
/// a key log that writes nothing when the variable is unset.
pub fn key_log_from_env() -> Result<https_handshake::KeyLogFile, crate::output::Failure> {
    https_handshake::KeyLogFile::from_env()
        .map_err(|e| crate::output::Failure::usage(format!("SSLKEYLOGFILE: {e}")))
}
