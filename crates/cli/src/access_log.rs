//! `serve`'s access log: one line per request on stderr, as text or (`--log-json`) one JSON object.

use hyper::header::CONTENT_LENGTH;
use hyper::{Method, Response};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

/// Who sent a request: the address, the protocol, and the verified client certificate if any.
#[derive(Clone, Debug)]
pub struct Peer {
    pub addr: SocketAddr,
    /// "HTTP/1.1" or "HTTP/2".
    pub proto: &'static str,
    /// The SNI name the client asked for.
    pub server_name: Option<Arc<str>>,
    /// Subject of the client's certificate, verified against `--client-ca` (mTLS).
    pub client: Option<Arc<str>>,
    /// The TLS session was resumed from a ticket.
    pub resumed: bool,
}

/// How (and whether) requests are logged.
#[derive(Clone, Copy, Debug)]
pub struct AccessLog {
    pub enabled: bool,
    pub json: bool,
}

impl AccessLog {
    /// Writes the line for one answered request.
    pub fn line<B>(
        &self,
        peer: &Peer,
        method: &Method,
        target: &str,
        response: &Response<B>,
        started: Instant,
    ) {
        if !self.enabled {
            return;
        }
        let status = response.status().as_u16();
        let bytes = response
            .headers()
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        let ms = started.elapsed().as_secs_f64() * 1e3;
        if self.json {
            let v = serde_json::json!({
                "peer": peer.addr.to_string(),
                "method": method.as_str(),
                "target": target,
                "proto": peer.proto,
                "status": status,
                "bytes": bytes,
                "ms": (ms * 10.0).round() / 10.0,
                "server_name": peer.server_name.as_deref(),
                "client": peer.client.as_deref(),
                "resumed": peer.resumed,
            });
            eprintln!("{v}");
        } else {
            let client = match &peer.client {
                Some(c) => format!(" client=\"{}\"", c.escape_debug()),
                None => String::new(),
            };
            eprintln!(
                "{} \"{method} {} {}\" {status} {} {ms:.1}ms{client}",
                peer.addr,
                target.escape_debug(),
                peer.proto,
                bytes.unwrap_or(0),
            );
        }
    }
}
