//! The HTTPS listener: TCP → our TLS 1.3 (`https_handshake::TlsAcceptor`) → hyper HTTP/1.1.

use std::sync::Arc;
use std::time::Duration;

use https_handshake::{CertifiedKey, ServerConfig, SigningKey, TlsAcceptor};
use hyper_util::rt::{TokioIo, TokioTimer};

use super::AcmeServer;
use crate::problem::{internal, Result};

/// Connections served at once; more wait in the kernel's accept queue.
pub const MAX_CONNECTIONS: usize = 256;
/// Time allowed for the TLS handshake and for each request's headers.
const IO_TIMEOUT: Duration = Duration::from_secs(10);

/// A TLS configuration for the ACME listener: a certificate for `names` issued by the CA itself
/// (so clients trust it through the CA root), valid 30 days, made fresh at each start.
pub fn listener_tls_config(
    ca: &https_pki::CertificateAuthority,
    names: &[String],
) -> Result<ServerConfig> {
    let issued = ca
        .issue(names, &https_pki::Profile::server().days(30))
        .map_err(internal)?;
    let chain = https_pki::certificates_from_pem(&issued.fullchain_pem()).map_err(internal)?;
    let key = SigningKey::from_der(issued.key.pkcs8_der()).map_err(internal)?;
    let ck = CertifiedKey::new(chain, key).map_err(internal)?;
    ServerConfig::builder()
        .with_certified_key(ck)
        .with_alpn(&[b"http/1.1"])
        .build()
        .map_err(internal)
}

/// Serve ACME on `listener` until the task is dropped.
pub async fn serve(server: Arc<AcmeServer>, listener: tokio::net::TcpListener, tls: ServerConfig) {
    let acceptor = TlsAcceptor::from(Arc::new(tls));
    let slots = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
    loop {
        let Ok(permit) = slots.clone().acquire_owned().await else {
            return;
        };
        let (tcp, _) = match listener.accept().await {
            Ok(x) => x,
            Err(e) => {
                eprintln!("https-acme: accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = tcp.set_nodelay(true);
        let (acceptor, server) = (acceptor.clone(), server.clone());
        tokio::spawn(async move {
            let _permit = permit;
            let Ok(Ok(tls)) = tokio::time::timeout(IO_TIMEOUT, acceptor.accept(tcp)).await else {
                return;
            };
            let svc = hyper::service::service_fn(move |req| {
                let server = server.clone();
                async move { Ok::<_, std::convert::Infallible>(server.handle(req).await) }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(IO_TIMEOUT)
                .serve_connection(TokioIo::new(tls), svc)
                .await;
        });
    }
}
