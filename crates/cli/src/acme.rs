//! `https-kit acme serve`: the local CA as an RFC 8555 ACME server (crate https-acme).

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;

use clap::{Args, Subcommand};
use https_acme::{AcmeServer, Config, SqliteStore};

use crate::ca::{load_ca, CaDir};
use crate::files::{FileSet, KEY_MODE, PUBLIC_MODE};
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
    /// Host name clients use to reach this server (URL and listener certificate) [default: the --addr IP]
    #[arg(long, value_name = "NAME")]
    pub hostname: Option<String>,
    /// Validate NAME at ADDR instead of its DNS address (repeatable)
    #[arg(long, value_name = "NAME:ADDR")]
    pub resolve: Vec<String>,
    /// New orders allowed per account per hour
    #[arg(long, default_value_t = 300, value_parser = clap::value_parser!(u64).range(1..))]
    pub orders_per_hour: u64,
    /// Validity of issued certificates, in days
    #[arg(long, default_value_t = 90, value_parser = clap::value_parser!(u32).range(1..=3650))]
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
        names.extend(a.hostname.iter().cloned());
        if !names.contains(&host.ip().to_string()) {
            names.push(host.ip().to_string());
        }
        names.dedup();
        let tls = https_acme::listener_tls_config(&ca, &names)
            .map_err(|e| Failure::usage(format!("a certificate for the ACME listener: {e}")))?;
        let base = match &a.hostname {
            Some(name) => format!("https://{name}:{}", host.port()),
            None => format!("https://{host}"),
        };
        let mut cfg = Config::new(&base);
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

const REQUEST_HELP: &str = "\
Asks an ACME server (our `acme serve`, Pebble, any RFC 8555 CA) for a certificate for NAMEs. A
built-in responder answers the challenge on --listen: http-01 serves
/.well-known/acme-challenge/TOKEN over HTTP, tls-alpn-01 answers TLS with ALPN acme-tls/1 and the
RFC 8737 certificate. Writes PREFIX.crt (leaf), PREFIX.fullchain.crt (as the server sent it) and
PREFIX.key (0600).

Example (acme serve validating http-01 on port 5002):
  https-kit cert request --acme https://127.0.0.1:14000/directory --ca ./ca/ca.crt \\
      --listen 127.0.0.1:5002 site.test";

/// Challenge types the built-in responder answers.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChallengeArg {
    /// HTTP on port 80 (or --listen)
    #[value(name = "http-01")]
    Http01,
    /// TLS with ALPN acme-tls/1 on port 443 (or --listen)
    #[value(name = "tls-alpn-01")]
    TlsAlpn01,
}

/// `cert request` options.
#[derive(Args, Debug)]
#[command(after_long_help = REQUEST_HELP)]
pub struct RequestArgs {
    /// Names (DNS names or IP addresses); the first is the CN and the default file prefix
    #[arg(required = true, value_name = "NAME")]
    pub names: Vec<String>,
    /// The ACME directory URL
    #[arg(long, value_name = "URL")]
    pub acme: String,
    /// Root certificate(s) to trust for the ACME server's HTTPS (PEM)
    #[arg(long, value_name = "FILE")]
    pub ca: PathBuf,
    /// How to prove control of the names
    #[arg(long, value_enum, default_value_t = ChallengeArg::Http01)]
    pub challenge: ChallengeArg,
    /// Where the responder listens [default: 0.0.0.0:80 for http-01, 0.0.0.0:443 for tls-alpn-01]
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<SocketAddr>,
    /// Contact address for the account
    #[arg(long)]
    pub email: Option<String>,
    /// Output prefix [default: the first name]
    #[arg(long, value_name = "PREFIX")]
    pub out: Option<PathBuf>,
    /// Replace existing files
    #[arg(long)]
    pub force: bool,
}

/// What `request` obtained, for callers (e.g. automatic renewal) that write it themselves.
pub async fn obtain(a: &RequestArgs) -> Result<https_acme::client::Obtained, Failure> {
    obtain_via(a, None).await
}

/// Like [`obtain`]; with `in_band`, tls-alpn-01 is answered by the caller's own TLS server.
async fn obtain_via(
    a: &RequestArgs,
    in_band: Option<&https_acme::client::ChallengeCertificates>,
) -> Result<https_acme::client::Obtained, Failure> {
    use https_acme::client::{
        AccountKey, AcmeClient, ChallengeKind, Http01Responder, TlsAlpnResponder,
    };
    let refused = |e: https_acme::client::ClientError| Failure::refused(format!("ACME: {e}"));
    let roots =
        std::fs::read(&a.ca).map_err(|e| Failure::usage(format!("{}: {e}", a.ca.display())))?;
    let key = AccountKey::generate(https_pki::KeyType::EcdsaP256).map_err(refused)?;
    let mut client = AcmeClient::connect(&a.acme, &roots, key)
        .await
        .map_err(refused)?;
    let contact: Vec<String> = a.email.iter().map(|e| format!("mailto:{e}")).collect();
    client.register(&contact).await.map_err(refused)?;
    let port = if a.challenge == ChallengeArg::Http01 {
        80
    } else {
        443
    };
    let listen = a
        .listen
        .unwrap_or(SocketAddr::new(IpAddr::from([0, 0, 0, 0]), port));
    let bind = |e| Failure::usage(format!("responder on {listen}: {e}"));
    let got = match (a.challenge, in_band) {
        (ChallengeArg::TlsAlpn01, Some(certs)) => {
            client
                .obtain(&a.names, ChallengeKind::TlsAlpn01InBand(certs))
                .await
        }
        (ChallengeArg::Http01, _) => {
            let r = Http01Responder::start(listen).await.map_err(bind)?;
            client.obtain(&a.names, ChallengeKind::Http01(&r)).await
        }
        (ChallengeArg::TlsAlpn01, None) => {
            let r = TlsAlpnResponder::start(listen).await.map_err(bind)?;
            client.obtain(&a.names, ChallengeKind::TlsAlpn01(&r)).await
        }
    };
    got.map_err(refused)
}

/// `cert request --acme URL NAME...`
pub fn request(a: RequestArgs) -> Result<(), Failure> {
    let got = runtime()?.block_on(obtain(&a))?;
    let prefix = a
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from(a.names[0].replace(['*', '/', ':'], "_")));
    let with = |ext: &str| PathBuf::from(format!("{}.{ext}", prefix.display()));
    let leaf = https_pki::certificates_from_pem(&got.chain_pem)
        .ok()
        .and_then(|c| c.into_iter().next())
        .map(|d| https_pki::certificates_to_pem(&[d]))
        .ok_or_else(|| Failure::refused("ACME: the server sent no certificate"))?;
    let mut files = FileSet::new(a.force);
    files
        .add(&with("crt"), leaf, PUBLIC_MODE)
        .add(&with("fullchain.crt"), got.chain_pem.clone(), PUBLIC_MODE)
        .add(
            &with("key"),
            got.key.to_pkcs8_pem().as_bytes().to_vec(),
            KEY_MODE,
        );
    files.commit()?;
    for line in &got.evidence {
        eprintln!("https-kit: validated {line}");
    }
    println!(
        "{} ({}), {} and {}",
        with("crt").display(),
        a.names.join(", "),
        with("fullchain.crt").display(),
        with("key").display()
    );
    Ok(())
}

/// `serve --acme URL --domain NAME`: where the site's certificate comes from when it is not a file.
#[derive(Args, Debug, Clone)]
pub struct SiteAcmeArgs {
    /// Get the certificate from this ACME directory (and renew it before expiry) instead of --cert/--key
    #[arg(long, value_name = "URL", requires_all = ["domain", "acme_ca"], conflicts_with_all = ["cert", "key"])]
    pub acme: Option<String>,
    /// Name for the ACME certificate (repeatable; the first is the CN)
    #[arg(long, value_name = "NAME")]
    pub domain: Vec<String>,
    /// Root certificate(s) to trust for the ACME server's HTTPS (PEM)
    #[arg(long = "acme-ca", value_name = "FILE")]
    pub acme_ca: Option<PathBuf>,
    /// How to prove control of the domains
    #[arg(long = "acme-challenge", value_enum, default_value_t = ChallengeArg::Http01)]
    pub acme_challenge: ChallengeArg,
    /// Where the challenge responder listens while a certificate is requested
    #[arg(long = "acme-listen", value_name = "ADDR")]
    pub acme_listen: Option<SocketAddr>,
    /// Renew this many seconds after each issuance [default: when 2/3 of the lifetime has passed]
    #[arg(long = "acme-renew-after", value_name = "SECONDS")]
    pub acme_renew_after: Option<u64>,
}

impl SiteAcmeArgs {
    fn request_args(&self) -> Option<RequestArgs> {
        Some(RequestArgs {
            names: self.domain.clone(),
            acme: self.acme.clone()?,
            ca: self.acme_ca.clone()?,
            challenge: self.acme_challenge,
            listen: self.acme_listen,
            email: None,
            out: None,
            force: false,
        })
    }
}

/// The site's current certificate (none until the first issuance); the renewal task swaps it and
/// new handshakes pick it up. In-band tls-alpn-01: hellos offering `acme-tls/1` get the challenge
/// certificate instead.
#[derive(Debug, Default)]
struct RenewingCert {
    current: std::sync::RwLock<Option<Arc<https_handshake::CertifiedKey>>>,
    challenges: Option<https_acme::client::ChallengeCertificates>,
}

impl https_handshake::ResolvesServerCert for RenewingCert {
    fn resolve(
        &self,
        hello: &https_handshake::ClientHelloInfo<'_>,
    ) -> Option<Arc<https_handshake::CertifiedKey>> {
        let acme = hello
            .alpn_protocols
            .iter()
            .any(|p| p == https_acme::challenge::ACME_TLS_ALPN);
        match &self.challenges {
            Some(c) if acme => c.for_hello(hello),
            _ => self.current.read().ok()?.clone(),
        }
    }
}

impl SiteAcmeArgs {
    /// tls-alpn-01 without --acme-listen: answered on the site's own port (offer `acme-tls/1`).
    pub fn in_band(&self) -> bool {
        self.acme.is_some()
            && self.acme_challenge == ChallengeArg::TlsAlpn01
            && self.acme_listen.is_none()
    }
}

/// Bounds on the wait between renewal attempts.
const RETRY_FIRST: u64 = 5;
const RETRY_MAX: u64 = 3600;

fn certified(
    got: &https_acme::client::Obtained,
) -> Result<(Arc<https_handshake::CertifiedKey>, u64), Failure> {
    let bad = |e: &dyn std::fmt::Display| Failure::refused(format!("ACME certificate: {e}"));
    let ck = https_handshake::CertifiedKey::from_pem(
        got.chain_pem.as_bytes(),
        got.key.to_pkcs8_pem().as_bytes(),
    )
    .map_err(|e| bad(&e))?;
    let der = ck.chain.first().ok_or_else(|| bad(&"empty chain"))?;
    let (not_before, not_after) =
        https_acme::client::validity(der).ok_or_else(|| bad(&"unparsable leaf"))?;
    let life = (not_after - not_before).max(0) as u64;
    Ok((ck, life))
}

/// Seconds from now until the certificate should be renewed: 2/3 of its lifetime after issuance
/// (so a 90-day certificate renews with 30 days left), or `--acme-renew-after`.
fn renew_in(life: u64, fixed: Option<u64>) -> u64 {
    fixed.unwrap_or(life * 2 / 3).max(1)
}

/// Obtain the first certificate, then keep it fresh in the background. With an out-of-band
/// responder serving waits for the first certificate; in-band (tls-alpn-01 on the site's port)
/// the site must be listening first, so the first request runs in the background too.
pub async fn auto_certificate(
    a: &SiteAcmeArgs,
) -> Result<Arc<dyn https_handshake::ResolvesServerCert>, Failure> {
    let req = a
        .request_args()
        .ok_or_else(|| Failure::usage("--acme needs --domain and --acme-ca"))?;
    let resolver = Arc::new(RenewingCert {
        current: Default::default(),
        challenges: a.in_band().then(Default::default),
    });
    let first_wait = if a.in_band() {
        0
    } else {
        let (ck, life) = obtain(&req).await.and_then(|g| certified(&g))?;
        if let Ok(mut c) = resolver.current.write() {
            *c = Some(ck);
        }
        eprintln!(
            "https-kit: ACME certificate for {} from {}",
            req.names.join(", "),
            req.acme
        );
        renew_in(life, a.acme_renew_after)
    };
    tokio::spawn(renew_forever(
        resolver.clone(),
        req,
        first_wait,
        a.acme_renew_after,
    ));
    Ok(resolver)
}

async fn renew_forever(
    slot: Arc<RenewingCert>,
    req: RequestArgs,
    first_wait: u64,
    fixed: Option<u64>,
) {
    let (mut wait, mut retry) = (first_wait, RETRY_FIRST);
    loop {
        tokio::time::sleep(std::time::Duration::from_secs(wait)).await;
        let got = obtain_via(&req, slot.challenges.as_ref()).await;
        match got.and_then(|g| certified(&g)) {
            Ok((ck, life)) => {
                if let Ok(mut c) = slot.current.write() {
                    *c = Some(ck);
                }
                eprintln!(
                    "https-kit: ACME certificate for {} (renewed when due)",
                    req.names.join(", ")
                );
                wait = renew_in(life, fixed);
                retry = RETRY_FIRST;
            }
            Err(e) => {
                eprintln!(
                    "https-kit: ACME request failed (retrying in {retry} s): {}",
                    e.message
                );
                wait = retry;
                retry = (retry * 2).min(RETRY_MAX);
            }
        }
    }
}
