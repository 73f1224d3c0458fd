//! HTTPS requests for the client: our TLS 1.3 client under hyper, one connection per request.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use https_handshake::{ClientConfig, TlsConnector};
use hyper_util::rt::TokioIo;

use super::ClientError;

/// Largest response body read (certificate chains are a few KB).
const MAX_RESPONSE: usize = 1 << 20;
const TIMEOUT: Duration = Duration::from_secs(30);

/// A response: status, headers, body.
#[derive(Debug, Clone)]
pub struct HttpResponse {
    /// HTTP status.
    pub status: u16,
    /// Headers.
    pub headers: hyper::HeaderMap,
    /// Body.
    pub body: Bytes,
}

impl HttpResponse {
    /// A header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// HTTPS transport trusting given roots.
#[derive(Clone, Debug)]
pub struct Https {
    connector: TlsConnector,
}

impl Https {
    /// Trust the PEM roots in `roots_pem`.
    pub fn new(roots_pem: &[u8]) -> Result<Self, ClientError> {
        let anchors = https_verify::TrustAnchors::from_pem(roots_pem)
            .map_err(|e| ClientError::Transport(format!("trust roots: {e}")))?;
        let config = ClientConfig::builder()
            .with_root_certificates(anchors)
            .with_alpn(&[b"http/1.1"])
            .build()
            .map_err(|e| ClientError::Transport(e.to_string()))?;
        Ok(Https {
            connector: TlsConnector::from(Arc::new(config)),
        })
    }

    /// GET (`body` None) or POST a JWS to `url`.
    pub async fn request(
        &self,
        url: &str,
        body: Option<Vec<u8>>,
    ) -> Result<HttpResponse, ClientError> {
        tokio::time::timeout(TIMEOUT, self.request_inner(url, body))
            .await
            .unwrap_or_else(|_| Err(ClientError::Transport(format!("{url}: timed out"))))
    }

    async fn request_inner(
        &self,
        url: &str,
        body: Option<Vec<u8>>,
    ) -> Result<HttpResponse, ClientError> {
        let t = |e: &dyn std::fmt::Display| ClientError::Transport(format!("{url}: {e}"));
        let uri: hyper::Uri = url.parse().map_err(|e| t(&e))?;
        if uri.scheme_str() != Some("https") {
            return Err(t(&"only https:// URLs"));
        }
        let host = uri.host().ok_or_else(|| t(&"no host"))?;
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        let port = uri.port_u16().unwrap_or(443);
        let tcp = tokio::net::TcpStream::connect((host.as_str(), port))
            .await
            .map_err(|e| t(&e))?;
        let tls = self
            .connector
            .connect(&host, tcp)
            .await
            .map_err(|e| t(&e))?;
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tls))
            .await
            .map_err(|e| t(&e))?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        let authority = uri
            .authority()
            .map(|a| a.as_str().to_string())
            .unwrap_or_default();
        let path = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
        let builder = hyper::Request::builder()
            .uri(path)
            .header(hyper::header::HOST, authority)
            .header(hyper::header::USER_AGENT, "https-kit-acme/0.1");
        let req = match body {
            Some(b) => builder
                .method("POST")
                .header(hyper::header::CONTENT_TYPE, "application/jose+json")
                .body(Full::new(Bytes::from(b))),
            None => builder.method("GET").body(Full::new(Bytes::new())),
        }
        .map_err(|e| t(&e))?;
        let resp = sender.send_request(req).await.map_err(|e| t(&e))?;
        let (parts, body) = resp.into_parts();
        let body = Limited::new(body, MAX_RESPONSE)
            .collect()
            .await
            .map_err(|e| t(&e))?
            .to_bytes();
        Ok(HttpResponse {
            status: parts.status.as_u16(),
            headers: parts.headers,
            body,
        })
    }
}
