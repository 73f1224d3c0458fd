//! (method, path) → handler, and the headers every reply carries.

use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Body;
use hyper::{Method, Request, Response};
use serde_json::json;

use super::paths;
use super::{AcmeServer, Reply, MAX_BODY};
use crate::problem::{AcmeError, Result};

impl AcmeServer {
    /// Answer one HTTP request. Never panics on input; every failure is a problem document.
    /// Bodies are read up to [`MAX_BODY`] bytes (more → 413 malformed).
    pub async fn handle<B>(self: &Arc<Self>, req: Request<B>) -> Response<Full<Bytes>>
    where
        B: Body<Data = Bytes>,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let method = req.method().clone();
        let path = req.uri().path().to_string();
        let reply = match self.read_and_route(req).await {
            Ok(r) => r,
            Err(e) => Reply::problem(&e),
        };
        self.finish(reply, &method, &path)
    }

    async fn read_and_route<B>(self: &Arc<Self>, req: Request<B>) -> Result<Reply>
    where
        B: Body<Data = Bytes>,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let (parts, body) = req.into_parts();
        if parts.method == Method::POST {
            let ct = parts
                .headers
                .get(hyper::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            // RFC 8555 §6.2: POST bodies are application/jose+json.
            if !ct.eq_ignore_ascii_case("application/jose+json") {
                return Err(AcmeError::UnsupportedMediaType(format!(
                    "Content-Type must be application/jose+json, not {ct:?}"
                )));
            }
        }
        let body = Limited::new(body, MAX_BODY)
            .collect()
            .await
            .map_err(|e| {
                AcmeError::TooLarge(format!("body over {MAX_BODY} bytes or unreadable: {e}"))
            })?
            .to_bytes();
        self.route(&parts.method, parts.uri.path(), &body).await
    }

    async fn route(self: &Arc<Self>, method: &Method, path: &str, body: &[u8]) -> Result<Reply> {
        use paths::*;
        let url = self.url(path);
        let get = method == Method::GET || method == Method::HEAD;
        let post = method == Method::POST;
        let tail = |prefix: &str| path.strip_prefix(prefix).filter(|t| !t.is_empty());
        match path {
            DIRECTORY if get => Ok(self.directory()),
            NEW_NONCE if get => Ok(Reply::empty(if method == Method::HEAD { 200 } else { 204 })),
            TERMS if get => Ok(Reply::bytes(
                "text/plain; charset=utf-8",
                b"https-kit local CA: certificates for private networks, no warranty.\n".to_vec(),
            )),
            CRL if get => self.crl(),
            NEW_ACCOUNT if post => self.new_account(&url, body),
            NEW_ORDER if post => self.new_order(&url, body),
            REVOKE if post => self.revoke(&url, body),
            KEY_CHANGE if post => self.key_change(&url, body),
            _ => match (
                tail(ACCOUNT),
                tail(ORDER),
                tail(AUTHZ),
                tail(CHALLENGE),
                tail(CERT),
            ) {
                (Some(id), ..) if post => self.account_post(&url, id, body),
                (_, Some(id), ..) if post => match id.strip_suffix("/finalize") {
                    Some(id) => self.finalize(&url, id, body),
                    None => self.order_get(&url, id, body),
                },
                (_, _, Some(id), ..) if post => self.authz_post(&url, id, body),
                (.., Some(id), _) if post => self.challenge_post(&url, id, body),
                (.., Some(id)) if post => self.certificate(&url, id, body),
                _ => match path
                    .strip_prefix(RENEWAL_INFO)
                    .and_then(|t| t.strip_prefix('/'))
                {
                    Some(id) if get => self.renewal_info(id),
                    _ if self.known_path(path) => Err(AcmeError::MethodNotAllowed(format!(
                        "{method} is not allowed on {path}"
                    ))),
                    _ => Err(AcmeError::NotFound(format!("no resource at {path}"))),
                },
            },
        }
    }

    fn known_path(&self, path: &str) -> bool {
        use paths::*;
        [
            DIRECTORY,
            NEW_NONCE,
            NEW_ACCOUNT,
            NEW_ORDER,
            REVOKE,
            KEY_CHANGE,
            CRL,
            TERMS,
        ]
        .contains(&path)
            || [ACCOUNT, ORDER, AUTHZ, CHALLENGE, CERT, RENEWAL_INFO]
                .iter()
                .any(|p| path.starts_with(p))
    }

    fn directory(&self) -> Reply {
        use paths::*;
        Reply::json(
            200,
            &json!({
                "newNonce": self.url(NEW_NONCE),
                "newAccount": self.url(NEW_ACCOUNT),
                "newOrder": self.url(NEW_ORDER),
                "revokeCert": self.url(REVOKE),
                "keyChange": self.url(KEY_CHANGE),
                "renewalInfo": self.url(RENEWAL_INFO),
                "meta": {
                    "termsOfService": self.url(TERMS),
                    "externalAccountRequired": false,
                    "caaIdentities": [],
                }
            }),
        )
    }

    /// Headers every reply carries: a fresh nonce (§6.5: on every POST reply and newNonce),
    /// the index link, no caching of nonces.
    fn finish(&self, reply: Reply, method: &Method, path: &str) -> Response<Full<Bytes>> {
        let mut b = Response::builder().status(reply.status);
        if method == Method::POST || path == paths::NEW_NONCE || reply.status >= 400 {
            if let Ok(n) = self.nonces.issue() {
                b = b.header("Replay-Nonce", n);
            }
            b = b.header("Cache-Control", "no-store");
        }
        if !reply.content_type.is_empty() {
            b = b.header("Content-Type", reply.content_type);
        }
        if let Some(loc) = &reply.location {
            b = b.header("Location", loc);
        }
        b = b.header("Link", format!("<{}>;rel=\"index\"", self.directory_url()));
        for l in &reply.links {
            b = b.header("Link", l);
        }
        if let Some(s) = reply.retry_after {
            b = b.header("Retry-After", s.to_string());
        }
        let body = if method == Method::HEAD {
            Bytes::new()
        } else {
            reply.body
        };
        b.body(Full::new(body)).unwrap_or_else(|_| {
            let mut r = Response::new(Full::new(Bytes::new()));
            *r.status_mut() = hyper::StatusCode::INTERNAL_SERVER_ERROR;
            r
        })
    }
}
