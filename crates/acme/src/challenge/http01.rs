//! http-01 (RFC 8555 §8.3): GET `http://NAME/.well-known/acme-challenge/TOKEN` and compare the
//! body with the key authorization. Redirects are not followed (a documented limitation).

use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Limited};
use hyper_util::rt::TokioIo;

use super::Evidence;
use crate::model::Identifier;
use crate::problem::{AcmeError, Result};

/// More than this from the responder is not a key authorization.
const MAX_RESPONSE: usize = 8 * 1024;

fn host_header(ident: &Identifier, addr: SocketAddr) -> String {
    let host = match ident.value.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V6(v6)) => format!("[{v6}]"),
        _ => ident.value.clone(),
    };
    if addr.port() == 80 {
        host
    } else {
        format!("{host}:{}", addr.port())
    }
}

pub(super) async fn validate(
    ident: &Identifier,
    addr: SocketAddr,
    token: &str,
    key_auth: &str,
) -> Result<Evidence> {
    let path = format!("/.well-known/acme-challenge/{token}");
    let host = host_header(ident, addr);
    let url = format!("http://{host}{path}");
    let conn_err =
        |e: &dyn std::fmt::Display| AcmeError::Connection(format!("{url} ({addr}): {e}"));
    let tcp = tokio::net::TcpStream::connect(addr)
        .await
        .map_err(|e| conn_err(&e))?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tcp))
        .await
        .map_err(|e| conn_err(&e))?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    let req = hyper::Request::get(&path)
        .header(hyper::header::HOST, &host)
        .header(hyper::header::USER_AGENT, "https-kit-acme/0.1")
        .body(Empty::<Bytes>::new())
        .map_err(|e| AcmeError::ServerInternal(e.to_string()))?;
    let resp = sender.send_request(req).await.map_err(|e| conn_err(&e))?;
    let status = resp.status();
    if status != hyper::StatusCode::OK {
        return Err(AcmeError::IncorrectResponse(format!(
            "{url} answered HTTP {} (redirects are not followed)",
            status.as_u16()
        )));
    }
    let body = Limited::new(resp.into_body(), MAX_RESPONSE)
        .collect()
        .await
        .map_err(|e| {
            AcmeError::IncorrectResponse(format!(
                "{url}: body unreadable or over {MAX_RESPONSE} bytes: {e}"
            ))
        })?
        .to_bytes();
    // §8.3: the client may add whitespace around the key authorization.
    let got = String::from_utf8_lossy(&body);
    let got = got.trim_matches(|c: char| c.is_ascii_whitespace());
    if got != key_auth {
        let shown: String = got.chars().take(100).collect();
        return Err(AcmeError::IncorrectResponse(format!(
            "{url} returned {shown:?}, expected the key authorization {key_auth:?}"
        )));
    }
    Ok(Evidence(format!(
        "GET {url} ({addr}) returned the key authorization {key_auth}"
    )))
}
