//! Small glue between the TLS adapter's errors and traces and the command's output.

use https_handshake::{Connection, TraceEvent};

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

/// `SSLKEYLOGFILE`, honoured like curl: the TLS secrets are appended there (file created 0600);
/// a key log that writes nothing when the variable is unset.
pub fn key_log_from_env() -> Result<https_handshake::KeyLogFile, crate::output::Failure> {
    https_handshake::KeyLogFile::from_env()
        .map_err(|e| crate::output::Failure::usage(format!("SSLKEYLOGFILE: {e}")))
}
