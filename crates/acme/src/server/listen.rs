//! The HTTPS listener: TCP → our TLS 1.3 (`https_handshake::TlsAcceptor`) → hyper HTTP/1.1.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use https_handshake::{
    CertifiedKey, ClientHelloInfo, ResolvesServerCert, ServerConfig, SigningKey, TlsAcceptor,
};
use https_pki::CertificateAuthority;
use hyper_util::rt::{TokioIo, TokioTimer};

use super::AcmeServer;
use crate::model::now;
use crate::problem::{internal, Result};

/// Connections served at once; more wait in the kernel's accept queue.
pub const MAX_CONNECTIONS: usize = 256;
/// Time allowed for the TLS handshake and for each request's headers.
const IO_TIMEOUT: Duration = Duration::from_secs(10);

/// The listener's certificate lives this long; it is reissued when a third of that has passed.
const LISTENER_CERT_DAYS: u32 = 30;
const REISSUE_AFTER_SECS: i64 = 10 * 24 * 3600;

fn issue_listener_cert(ca: &CertificateAuthority, names: &[String]) -> Result<Arc<CertifiedKey>> {
    let issued = ca
        .issue(
            names,
            &https_pki::Profile::server().days(LISTENER_CERT_DAYS),
        )
        .map_err(internal)?;
    let chain = https_pki::certificates_from_pem(&issued.fullchain_pem()).map_err(internal)?;
    let key = SigningKey::from_der(issued.key.pkcs8_der()).map_err(internal)?;
    CertifiedKey::new(chain, key).map_err(internal)
}

/// The ACME listener's own certificate, issued by the CA itself and reissued as it ages, so a
/// long-running server never serves an expired one.
#[derive(Debug)]
struct ListenerCert {
    ca: CertificateAuthority,
    names: Vec<String>,
    current: RwLock<(Arc<CertifiedKey>, i64)>,
}

impl ResolvesServerCert for ListenerCert {
    fn resolve(&self, _: &ClientHelloInfo<'_>) -> Option<Arc<CertifiedKey>> {
        self.current()
    }
}

impl ListenerCert {
    fn current(&self) -> Option<Arc<CertifiedKey>> {
        let (ck, issued_at) = self.current.read().ok()?.clone();
        if now() - issued_at < REISSUE_AFTER_SECS {
            return Some(ck);
        }
        match issue_listener_cert(&self.ca, &self.names) {
            Ok(fresh) => {
                if let Ok(mut c) = self.current.write() {
                    *c = (fresh.clone(), now());
                }
                Some(fresh)
            }
            Err(_) => Some(ck), // still valid for 20 more days; the next handshake retries
        }
    }
}

/// A TLS configuration for the ACME listener: a certificate for `names` issued by the CA itself
/// (so clients trust it through the CA root), valid 30 days and reissued every 10.
pub fn listener_tls_config(ca: &CertificateAuthority, names: &[String]) -> Result<ServerConfig> {
    // The resolver keeps its own copy of the CA (it is not Clone; PEM round trip).
    let chain = (!ca.is_root()).then(|| ca.chain_pem());
    let copy =
        CertificateAuthority::from_pem(&ca.cert_pem(), &ca.key().to_pkcs8_pem(), chain.as_deref())
            .map_err(internal)?;
    let first = issue_listener_cert(ca, names)?;
    let resolver = ListenerCert {
        ca: copy,
        names: names.to_vec(),
        current: RwLock::new((first, now())),
    };
    ServerConfig::builder()
        .with_cert_resolver(Arc::new(resolver))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_aging_listener_certificate_is_reissued_by_the_ca() {
        let ca = CertificateAuthority::new_root(&https_pki::CaOptions::root("T")).unwrap();
        let names = vec!["127.0.0.1".to_string()];
        let first = issue_listener_cert(&ca, &names).unwrap();
        let r = ListenerCert {
            ca,
            names,
            current: RwLock::new((first.clone(), now() - REISSUE_AFTER_SECS - 1)),
        };
        let fresh = r.current().unwrap();
        assert_ne!(fresh.chain[0], first.chain[0]);
        // Young again: the same certificate is served.
        assert_eq!(r.current().unwrap().chain[0], fresh.chain[0]);
    }
}
