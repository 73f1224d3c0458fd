//! `https-kit serve`: static files over TLS 1.3 (our handshake and record layer) and hyper.

use crate::http::{serve_connection, FileService, Site};
use crate::output::{print_json, Failure};
use crate::tls::{alert_of, trace_json};
use https_handshake::{CertifiedKey, ServerConfig, TlsAcceptor};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

const SERVE_HELP: &str = "\
Serves a directory over HTTPS (TLS 1.3, HTTP/1.1 or HTTP/2 by ALPN). Directories answer with
their index.html; unknown paths get 404. One line per request goes to stderr.

Example (a local CA and a certificate for localhost first):
  https-kit ca init
  https-kit cert issue localhost 127.0.0.1
  https-kit serve ./public --cert localhost.fullchain.crt --key localhost.key
  https-kit get https://localhost:8443/ --ca ~/.local/share/https-kit/ca.crt

SSLKEYLOGFILE is honoured (NSS key log format), so Wireshark can decrypt a capture.";

#[derive(clap::Args, Debug)]
#[command(after_long_help = SERVE_HELP)]
pub struct ServeArgs {
    /// Directory to serve; without it a built-in page is served
    pub dir: Option<PathBuf>,
    /// Certificate chain, leaf first (PREFIX.fullchain.crt from `cert issue`)
    #[arg(long, value_name = "FULLCHAIN")]
    pub cert: PathBuf,
    /// The leaf's private key (PKCS#8 or PKCS#1 PEM)
    #[arg(long, value_name = "KEY")]
    pub key: PathBuf,
    /// Address to listen on (loopback by default: expose deliberately)
    #[arg(long, default_value = "127.0.0.1:8443")]
    pub addr: SocketAddr,
    /// No per-request log lines
    #[arg(long, short)]
    pub quiet: bool,
    /// Print each connection's handshake, message by message, mapped to the seed's steps
    #[arg(long)]
    pub trace: bool,
    /// With --trace: one JSON object per connection on stdout
    #[arg(long, requires = "trace")]
    pub json: bool,
}

pub fn run(args: ServeArgs) -> Result<(), Failure> {
    let site = match &args.dir {
        Some(dir) if dir.is_dir() => Site::Dir(dir.clone()),
        Some(dir) => {
            return Err(Failure::usage(format!(
                "{}: not a directory",
                dir.display()
            )))
        }
        None => Site::Builtin,
    };
    let chain_pem = std::fs::read(&args.cert)
        .map_err(|e| Failure::usage(format!("{}: {e}", args.cert.display())))?;
    let key_pem = std::fs::read(&args.key)
        .map_err(|e| Failure::usage(format!("{}: {e}", args.key.display())))?;
    let certified = CertifiedKey::from_pem(&chain_pem, &key_pem).map_err(|e| {
        Failure::usage(format!(
            "{} / {}: {e}",
            args.cert.display(),
            args.key.display()
        ))
    })?;
    let config = ServerConfig::builder()
        .with_certified_key(certified)
        .with_alpn(&[b"h2", b"http/1.1"])
        .with_trace(args.trace)
        .with_key_log(Arc::new(crate::tls::key_log_from_env()?))
        .build()
        .map_err(|e| Failure::usage(format!("server configuration: {e}")))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::usage(format!("starting the runtime: {e}")))?;
    runtime.block_on(serve(args, site, config))
}

async fn serve(args: ServeArgs, site: Site, config: ServerConfig) -> Result<(), Failure> {
    let listener = tokio::net::TcpListener::bind(args.addr)
        .await
        .map_err(|e| Failure::usage(format!("cannot listen on {}: {e}", args.addr)))?;
    let local = listener.local_addr().unwrap_or(args.addr);
    let what = match &site {
        Site::Dir(d) => d.display().to_string(),
        Site::Builtin => "the built-in page".to_string(),
    };
    eprintln!("https-kit: serving {what} on https://{local}/ (TLS 1.3; Ctrl-C to stop)");
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let service = Arc::new(FileService {
        site,
        log: !args.quiet,
    });
    let (trace, json, quiet) = (args.trace, args.json, args.quiet);
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = tokio::signal::ctrl_c() => {
                eprintln!("https-kit: stopping");
                return Ok(());
            }
        };
        let (tcp, peer) = match accepted {
            Ok(x) => x,
            Err(e) => {
                // Out of file descriptors and the like: keep serving the connections we have.
                eprintln!("https-kit: accept failed: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = tcp.set_nodelay(true);
        let acceptor = acceptor.clone();
        let service = service.clone();
        tokio::spawn(async move {
            let tls = match acceptor.accept(tcp).await {
                Ok(tls) => tls,
                Err(e) => {
                    if !quiet {
                        eprintln!("{peer} TLS handshake failed: {}", alert_of(&e));
                    }
                    return;
                }
            };
            let conn = tls.connection();
            if trace {
                if json {
                    print_json(&serde_json::json!({
                        "peer": peer.to_string(),
                        "server_name": conn.server_name(),
                        "trace": trace_json(conn.trace()),
                    }));
                } else {
                    eprintln!("{peer} handshake:");
                    for ev in conn.trace() {
                        eprintln!("  {ev}");
                    }
                }
            }
            let h2 = conn.alpn_protocol() == Some(b"h2".as_slice());
            if let Err(e) = serve_connection(tls, peer, h2, service).await {
                // Browsers open spare connections and drop them: only worth a line when tracing.
                if trace && !e.is_incomplete_message() {
                    eprintln!("{peer} connection ended: {e}");
                }
            }
        });
    }
}
