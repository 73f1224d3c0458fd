//! `https-kit acme serve`: the local CA as an RFC 8555 ACME server (crate https-acme).

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;

use clap::{Args, Subcommand};
use https_acme::{AcmeServer, Config, SqliteStore};

use crate::ca::{load_ca, CaDir};
use crate::output::Failure;

const SERVE_HELP: &str = "\
Runs an ACME (RFC 8555) server for the CA in --dir. Clients such as certbot and lego prove they
control a name (http-01 or tls-alpn-01) and get a certificate signed under the same policy as
`ca sign`. State (accounts, orders, certificates) is kept in SQLite (--db, default DIR/acme.db).

Example:
  https-kit ca init --dir ./ca
  https-kit acme serve --dir ./ca --http-01-port 5002 --resolve site.test:127.0.0.1
  REQUESTS_CA_BUNDLE=./ca/ca.crt certbot certonly --standalone --http-01-port 5002 \\
      --server https://127.0.0.1:14000/directory -d site.test ...

Also served: the CRL at /crl (DER) and renewal information (RFC 9773) at /acme/renewal-info.";

/// ACME commands.
#[derive(Subcommand, Debug)]
pub enum AcmeCommand {
    /// Serve ACME for a CA directory (HTTPS, TLS 1.3 by this project's handshake)
    #[command(after_long_help = SERVE_HELP)]
    Serve(ServeArgs),
}

/// `acme serve` options.
#[derive(Args, Debug)]
pub struct ServeArgs {
    #[command(flatten)]
    pub ca: CaDir,
    /// Address to listen on (port 0 picks a free one; the directory URL is printed)
    #[arg(long, default_value = "127.0.0.1:14000")]
    pub addr: SocketAddr,
    /// SQLite database for the ACME state [default: DIR/acme.db]
    #[arg(long, value_name = "FILE")]
    pub db: Option<PathBuf>,
    /// Port that http-01 validation connects to
    #[arg(long = "http-01-port", value_name = "P", default_value_t = 80)]
    pub http01_port: u16,
    /// Port that tls-alpn-01 validation connects to
    #[arg(long = "tls-alpn-01-port", value_name = "P", default_value_t = 443)]
    pub tls_alpn01_port: u16,
    /// Validate NAME at ADDR instead of its DNS address (repeatable)
    #[arg(long, value_name = "NAME:ADDR")]
    pub resolve: Vec<String>,
    /// New orders allowed per account per hour
    #[arg(long, default_value_t = 300)]
    pub orders_per_hour: u64,
    /// Validity of issued certificates, in days
    #[arg(long, default_value_t = 90)]
    pub cert_days: u32,
}

/// Run an ACME command.
pub fn run(cmd: AcmeCommand) -> Result<(), Failure> {
    match cmd {
        AcmeCommand::Serve(a) => serve(a),
    }
}

/// `NAME:ADDR` → (name, address); the address may be IPv6 (`name:::1`).
pub fn parse_resolve(items: &[String]) -> Result<HashMap<String, IpAddr>, Failure> {
    items
        .iter()
        .map(|item| {
            let (name, addr) = item
                .split_once(':')
                .ok_or_else(|| Failure::usage(format!("--resolve {item:?}: expected NAME:ADDR")))?;
            let ip = addr
                .trim_matches(|c| c == '[' || c == ']')
                .parse::<IpAddr>()
                .map_err(|_| {
                    Failure::usage(format!("--resolve {item:?}: {addr:?} is not an IP address"))
                })?;
            Ok((name.trim_end_matches('.').to_ascii_lowercase(), ip))
        })
        .collect()
}

fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::usage(format!("starting the runtime: {e}")))
}

fn serve(a: ServeArgs) -> Result<(), Failure> {
    let dir = a.ca.path();
    let ca = load_ca(&dir)?;
    let db = a.db.clone().unwrap_or_else(|| dir.join("acme.db"));
    let store =
        SqliteStore::open(&db).map_err(|e| Failure::usage(format!("{}: {e}", db.display())))?;
    let resolve = parse_resolve(&a.resolve)?;
    runtime()?.block_on(async move {
        let listener = tokio::net::TcpListener::bind(a.addr)
            .await
            .map_err(|e| Failure::usage(format!("cannot listen on {}: {e}", a.addr)))?;
        let local = listener.local_addr().unwrap_or(a.addr);
        let host = if local.ip().is_unspecified() {
            SocketAddr::new(IpAddr::from([127, 0, 0, 1]), local.port())
        } else {
            local
        };
        let mut names: Vec<String> = vec!["localhost".into(), "127.0.0.1".into(), "::1".into()];
        if !names.contains(&host.ip().to_string()) {
            names.push(host.ip().to_string());
        }
        let tls = https_acme::listener_tls_config(&ca, &names)
            .map_err(|e| Failure::usage(format!("a certificate for the ACME listener: {e}")))?;
        let mut cfg = Config::new(&format!("https://{host}"));
        cfg.http01_port = a.http01_port;
        cfg.tls_alpn01_port = a.tls_alpn01_port;
        cfg.resolve = resolve;
        cfg.orders_per_hour = a.orders_per_hour;
        cfg.cert_days = a.cert_days;
        let server = AcmeServer::new(cfg, ca, Arc::new(store));
        eprintln!(
            "https-kit: ACME directory {} (CA {:?}, db {}, http-01 port {}, tls-alpn-01 port {}; Ctrl-C to stop)",
            server.directory_url(),
            server.ca().common_name(),
            db.display(),
            a.http01_port,
            a.tls_alpn01_port
        );
        tokio::select! {
            _ = https_acme::serve(server, listener, tls) => Ok(()),
            _ = tokio::signal::ctrl_c() => {
                eprintln!("https-kit: stopping");
                Ok(())
            }
        }
    })
}
