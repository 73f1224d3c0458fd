//! `inspect https://HOST[:PORT]`: the chain a server presents, each certificate described, and
//! whether it is trusted for that name (also when it is not: that is when one needs to look).

use crate::output::{print_json, Failure};
use crate::target::{connect_tcp, parse_url};
use crate::tls::{alert_of, negotiated_json};
use https_handshake::{ClientConfig, ServerCertVerifier, TlsConnector, WebPkiVerifier};
use https_verify::TrustAnchors;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Lets the handshake finish whatever the chain, so `inspect` can show an untrusted chain too, but
/// remembers what the real validator said. The CertificateVerify signature is still checked: the
/// server must hold the key of the certificate we show. Nothing but the handshake is sent.
#[derive(Debug)]
struct RecordingVerifier {
    inner: WebPkiVerifier,
    verdict: Mutex<Option<Result<(), String>>>,
}

impl ServerCertVerifier for RecordingVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &[u8],
        intermediates: &[&[u8]],
        server_name: &str,
    ) -> Result<(), https_handshake::Error> {
        let verdict = self
            .inner
            .verify_server_cert(end_entity, intermediates, server_name)
            .map_err(|e| e.to_string());
        if let Ok(mut slot) = self.verdict.lock() {
            *slot = Some(verdict);
        }
        Ok(())
    }
}

// The CertificateVerify check is the default one, as `inner`'s.
impl https_handshake::SignatureVerifier for RecordingVerifier {}

/// `inspect https://HOST[:PORT]`: the chain a server presents, each certificate described, and
/// whether it is trusted for that name.
pub fn inspect_server(
    url: &str,
    ca: Option<&std::path::Path>,
    resolve: &[String],
    json: bool,
) -> Result<(), Failure> {
    let target = parse_url(url)?;
    let anchors = match ca {
        Some(path) => TrustAnchors::from_file(path)
            .map_err(|e| Failure::usage(format!("{}: {e}", path.display())))?,
        None => TrustAnchors::system()
            .map_err(|e| Failure::usage(format!("system trust store: {e}")))?,
    };
    let verifier = Arc::new(RecordingVerifier {
        inner: WebPkiVerifier::new(anchors),
        verdict: Mutex::new(None),
    });
    let config = ClientConfig::builder()
        .with_verifier(verifier.clone())
        .with_key_log(Arc::new(crate::tls::key_log_from_env()?))
        .build()
        .map_err(|e| Failure::usage(format!("client configuration: {e}")))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::usage(format!("starting the runtime: {e}")))?;
    let (chain, negotiated, addr) = runtime.block_on(async {
        let (tcp, connected) = connect_tcp(&target, resolve, Duration::from_secs(10)).await?;
        let addr = connected.addr;
        let tls = TlsConnector::from(Arc::new(config))
            .connect(&target.host, tcp)
            .await
            .map_err(|e| {
                Failure::refused(format!(
                    "TLS handshake with {addr} failed: {}",
                    alert_of(&e)
                ))
            })?;
        let conn = tls.connection();
        let chain = conn.peer_certificates().unwrap_or(&[]).to_vec();
        Ok::<_, Failure>((chain, negotiated_json(conn), addr))
    })?;
    let verdict = verifier
        .verdict
        .lock()
        .ok()
        .and_then(|v| v.clone())
        .unwrap_or_else(|| Err("no certificate was checked".into()));
    let described: Vec<_> = chain
        .iter()
        .map(|der| https_pki::inspect::describe(der))
        .collect::<Result<_, _>>()
        .map_err(|e| {
            Failure::refused(format!(
                "{url}: the server sent a certificate we cannot read: {e}"
            ))
        })?;
    if json {
        print_json(&serde_json::json!({
            "url": url,
            "address": addr.to_string(),
            "tls": negotiated,
            "trusted": verdict.is_ok(),
            "trust_error": verdict.as_ref().err(),
            "chain": described,
        }));
    } else {
        println!(
            "{url} ({addr}): {} {} {}",
            negotiated["protocol"].as_str().unwrap_or("?"),
            negotiated["cipher_suite"].as_str().unwrap_or("?"),
            negotiated["group"].as_str().unwrap_or("?"),
        );
        match &verdict {
            Ok(()) => println!("trusted for {}: yes", target.host),
            Err(e) => println!("trusted for {}: NO ({e})", target.host),
        }
        for (i, d) in described.iter().enumerate() {
            println!("\n[{}/{}] sent by the server", i + 1, described.len());
            println!("{d}");
        }
    }
    Ok(())
}
