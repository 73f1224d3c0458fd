//! `https-kit get`: one HTTPS request with our TLS 1.3 client, like a small curl.

use crate::http::fetch;
use crate::output::{print_json, Failure};
use crate::tls::{alert_of, negotiated_json, trace_json};
use https_handshake::{ClientConfig, ServerCertVerifier, TlsConnector, WebPkiVerifier};
use https_verify::TrustAnchors;
use hyper::Uri;
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const GET_HELP: &str = "\
Fetches a URL over TLS 1.3 and prints the body. The server's chain is checked against --ca (or
the system store) and its name against the URL's host, exactly as a browser would.

Examples:
  https-kit get https://localhost:8443/ --ca ca.crt
  https-kit get https://site.test:8443/a.txt --ca ca.crt --resolve site.test:127.0.0.1 -o a.txt
  https-kit get https://localhost:8443/ --ca ca.crt -v --trace

Exit codes: 0 the response arrived (whatever its HTTP status), 1 TLS or certificate failure,
2 bad usage or unreadable input. SSLKEYLOGFILE is honoured.";

#[derive(clap::Args, Debug)]
#[command(after_long_help = GET_HELP)]
pub struct GetArgs {
    /// https:// URL to fetch
    pub url: String,
    /// Trust these CA certificates (PEM) instead of the system store
    #[arg(long, value_name = "FILE")]
    pub ca: Option<PathBuf>,
    /// Connect to ADDR for HOST, without DNS (HOST:ADDR or curl's HOST:PORT:ADDR)
    #[arg(long, value_name = "HOST:ADDR")]
    pub resolve: Vec<String>,
    /// Write the body to FILE instead of stdout
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Show the protocol, suite, group, ALPN, the verified chain and the response headers (stderr)
    #[arg(short, long)]
    pub verbose: bool,
    /// Offer HTTP/2 first in ALPN
    #[arg(long)]
    pub http2: bool,
    /// Print the handshake, message by message, mapped to the seed's steps (stderr)
    #[arg(long)]
    pub trace: bool,
    /// Print one JSON document (status, headers, TLS details, trace, body) on stdout
    #[arg(long)]
    pub json: bool,
    /// Give up connecting after this many seconds
    #[arg(long, default_value_t = 10)]
    pub connect_timeout: u64,
}

struct Target {
    uri: Uri,
    host: String,
    port: u16,
}

fn parse_url(url: &str) -> Result<Target, Failure> {
    let uri: Uri = url
        .parse()
        .map_err(|e| Failure::usage(format!("{url}: not a URL: {e}")))?;
    match uri.scheme_str() {
        Some("https") => {}
        Some(other) => {
            return Err(Failure::usage(format!(
                "{url}: scheme {other} is not supported (https:// only)"
            )))
        }
        None => {
            return Err(Failure::usage(format!(
                "{url}: expected https://HOST[:PORT]/PATH"
            )))
        }
    }
    let host = uri
        .host()
        .ok_or_else(|| Failure::usage(format!("{url}: no host")))?
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    let port = uri.port_u16().unwrap_or(443);
    Ok(Target { uri, host, port })
}

/// Finds `host` in the --resolve list; accepts `HOST:ADDR` and curl's `HOST:PORT:ADDR`.
fn resolve_override(
    rules: &[String],
    host: &str,
    port: u16,
) -> Result<Option<SocketAddr>, Failure> {
    for rule in rules {
        let (name, rest) = rule
            .split_once(':')
            .ok_or_else(|| Failure::usage(format!("--resolve {rule}: expected HOST:ADDR")))?;
        if !name.eq_ignore_ascii_case(host) {
            continue;
        }
        // HOST:PORT:ADDR (curl) when the middle is a port and something follows.
        let addr_text = match rest.split_once(':') {
            Some((p, a)) if p.parse::<u16>().is_ok() && !a.is_empty() && !rest.starts_with('[') => {
                if p.parse::<u16>().ok() != Some(port) {
                    continue;
                }
                a
            }
            _ => rest,
        };
        let addr_text = addr_text.trim_start_matches('[').trim_end_matches(']');
        let ip: std::net::IpAddr = addr_text.parse().map_err(|_| {
            Failure::usage(format!(
                "--resolve {rule}: {addr_text} is not an IP address"
            ))
        })?;
        return Ok(Some(SocketAddr::new(ip, port)));
    }
    Ok(None)
}

pub fn run(args: GetArgs) -> Result<(), Failure> {
    let target = parse_url(&args.url)?;
    let anchors = match &args.ca {
        Some(path) => TrustAnchors::from_file(path)
            .map_err(|e| Failure::usage(format!("{}: {e}", path.display())))?,
        None => TrustAnchors::system()
            .map_err(|e| Failure::usage(format!("system trust store: {e}")))?,
    };
    let alpn: &[&[u8]] = if args.http2 {
        &[b"h2", b"http/1.1"]
    } else {
        &[b"http/1.1"]
    };
    let config = ClientConfig::builder()
        .with_root_certificates(anchors)
        .with_alpn(alpn)
        .with_trace(args.trace || args.json)
        .with_key_log(Arc::new(crate::tls::key_log_from_env()?))
        .build()
        .map_err(|e| Failure::usage(format!("client configuration: {e}")))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::usage(format!("starting the runtime: {e}")))?;
    runtime.block_on(get(args, target, config))
}

/// Resolves (honouring --resolve) and connects TCP, bounded by `timeout`.
async fn connect_tcp(
    target: &Target,
    resolve: &[String],
    timeout: Duration,
) -> Result<(tokio::net::TcpStream, SocketAddr), Failure> {
    let addr = match resolve_override(resolve, &target.host, target.port)? {
        Some(addr) => addr,
        None => tokio::net::lookup_host((target.host.as_str(), target.port))
            .await
            .ok()
            .and_then(|mut addrs| addrs.next())
            .ok_or_else(|| Failure::refused(format!("cannot resolve {}", target.host)))?,
    };
    let tcp = tokio::time::timeout(timeout, tokio::net::TcpStream::connect(addr))
        .await
        .map_err(|_| Failure::refused(format!("connecting to {addr}: timed out")))?
        .map_err(|e| Failure::refused(format!("connecting to {addr}: {e}")))?;
    let _ = tcp.set_nodelay(true);
    Ok((tcp, addr))
}

async fn get(args: GetArgs, target: Target, config: ClientConfig) -> Result<(), Failure> {
    let (tcp, addr) = connect_tcp(
        &target,
        &args.resolve,
        Duration::from_secs(args.connect_timeout),
    )
    .await?;
    if args.verbose {
        eprintln!("* connected to {} ({addr})", target.host);
    }
    let connector = TlsConnector::from(Arc::new(config));
    let tls = connector.connect(&target.host, tcp).await.map_err(|e| {
        Failure::refused(format!(
            "TLS handshake with {addr} failed: {}",
            alert_of(&e)
        ))
    })?;
    let conn = tls.connection();
    let negotiated = negotiated_json(conn);
    let chain = chain_json(conn.peer_certificates().unwrap_or(&[]));
    let trace = trace_json(conn.trace());
    if args.verbose {
        eprintln!(
            "* {} {} group {} ALPN {}",
            negotiated["protocol"].as_str().unwrap_or("?"),
            negotiated["cipher_suite"].as_str().unwrap_or("?"),
            negotiated["group"].as_str().unwrap_or("?"),
            negotiated["alpn"].as_str().unwrap_or("(none)"),
        );
        eprintln!(
            "* server certificate chain (verified, name {} matched):",
            target.host
        );
        for (i, c) in chain.iter().enumerate() {
            eprintln!(
                "*  {i} subject: {}\n*    issuer: {}\n*    expires: {}  sha256: {}",
                c["subject"].as_str().unwrap_or("?"),
                c["issuer"].as_str().unwrap_or("?"),
                c["not_after"].as_str().unwrap_or("?"),
                c["sha256"].as_str().unwrap_or("?"),
            );
        }
    }
    if args.trace && !args.json {
        eprintln!("* handshake:");
        for ev in conn.trace() {
            eprintln!("*   {ev}");
        }
    }
    let h2 = conn.alpn_protocol() == Some(b"h2".as_slice());
    let fetched = fetch(tls, &target.uri, h2)
        .await
        .map_err(|e| Failure::refused(format!("{}: {e:#}", args.url)))?;
    if args.verbose {
        eprintln!("< {:?} {}", fetched.version, fetched.status);
        for (name, value) in &fetched.headers {
            eprintln!("< {name}: {}", value.to_str().unwrap_or("(binary)"));
        }
    }
    if let Some(path) = &args.output {
        // Like curl -o: the download replaces the file, atomically.
        let mut files = crate::files::FileSet::new(true);
        files.add(path, fetched.body.to_vec(), 0o644);
        files.commit()?;
        if args.verbose {
            eprintln!("* wrote {} bytes to {}", fetched.body.len(), path.display());
        }
    }
    if args.json {
        let headers: serde_json::Map<String, serde_json::Value> = fetched
            .headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").into()))
            .collect();
        let body = if args.output.is_none() {
            String::from_utf8(fetched.body.to_vec()).ok()
        } else {
            None
        };
        print_json(&serde_json::json!({
            "url": args.url,
            "address": addr.to_string(),
            "status": fetched.status.as_u16(),
            "http_version": format!("{:?}", fetched.version),
            "headers": headers,
            "tls": negotiated,
            "chain": chain,
            "trace": trace,
            "body_bytes": fetched.body.len(),
            "body": body,
        }));
    } else if args.output.is_none() {
        let mut out = std::io::stdout().lock();
        out.write_all(&fetched.body)
            .and_then(|_| out.flush())
            .map_err(|e| Failure::usage(format!("writing to stdout: {e}")))?;
    }
    if !fetched.status.is_success() && !args.json {
        eprintln!("https-kit: {} answered HTTP {}", args.url, fetched.status);
    }
    Ok(())
}

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

    fn verify_signature(
        &self,
        message: &[u8],
        end_entity: &[u8],
        scheme: u16,
        signature: &[u8],
    ) -> Result<(), https_handshake::Error> {
        self.inner
            .verify_signature(message, end_entity, scheme, signature)
    }
}

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
        let (tcp, addr) = connect_tcp(&target, resolve, Duration::from_secs(10)).await?;
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

/// Subject, issuer, expiry and fingerprint of each certificate the server sent.
fn chain_json(certs: &[Vec<u8>]) -> Vec<serde_json::Value> {
    certs
        .iter()
        .map(|der| match https_pki::inspect::describe(der) {
            Ok(d) => serde_json::json!({
                "subject": d.subject,
                "issuer": d.issuer,
                "not_after": d.not_after,
                "sha256": d.sha256_fingerprint,
            }),
            Err(e) => serde_json::json!({ "error": e.to_string() }),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolve_accepts_both_forms_and_matches_host_and_port() {
        let rules = vec![
            "site.test:127.0.0.1".to_string(),
            "other:8443:[::1]".to_string(),
        ];
        assert_eq!(
            resolve_override(&rules, "site.test", 9).ok().flatten(),
            Some("127.0.0.1:9".parse().unwrap())
        );
        assert_eq!(
            resolve_override(&rules, "other", 8443).ok().flatten(),
            Some("[::1]:8443".parse().unwrap())
        );
        assert_eq!(resolve_override(&rules, "other", 1).ok().flatten(), None);
        assert!(resolve_override(&["x:notanip".into()], "x", 1).is_err());
    }

    #[test]
    fn only_https_urls_are_accepted() {
        assert!(parse_url("http://localhost/").is_err());
        assert!(parse_url("localhost").is_err());
        let t = parse_url("https://[::1]:8443/a?b").ok().unwrap();
        assert_eq!((t.host.as_str(), t.port), ("::1", 8443));
    }
}
