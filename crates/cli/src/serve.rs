//! `https-kit serve`: static files over TLS 1.3 (our handshake and record layer) and hyper, with
//! limits on every wait and every connection, and a graceful stop on SIGINT/SIGTERM.

use crate::access_log::{AccessLog, Peer};
use crate::conn::{serve_connection, Ended, Limits, Tracked};
use crate::fair::Fair;
use crate::output::{parse_secs, parse_secs_or_zero, print_json, Failure};
use crate::serve_early::Gate;
use crate::site::{FileService, Site};
use crate::slots::{SlotGuard, Slots};
use crate::tls::{alert_of, load_pair, peer_identity, trace_json, NameResolver};
use https_handshake::{ResolvesServerCert, ServerConfig, Ticketer, TlsAcceptor};
use https_verify::TrustAnchors;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio::sync::watch;

const SERVE_HELP: &str = "\
Serves a directory over HTTPS (TLS 1.3, HTTP/1.1 or HTTP/2 by ALPN). Directories answer with
their index.html (or, with --list, a listing); unknown paths, symlinks leading out of the
directory and anything but regular files get 404. Range and If-Modified-Since/If-None-Match are
honoured; bodies are streamed. One line per request goes to stderr.

Examples:
  https-kit ca init && https-kit cert issue localhost 127.0.0.1
  https-kit serve ./public --cert localhost.fullchain.crt --key localhost.key
  https-kit get https://localhost:8443/ --ca ~/.local/share/https-kit/ca.crt

  Two sites on one address (the certificate is picked by SNI; the first pair is the default):
  https-kit serve ./public --cert a.fullchain.crt --key a.key --cert b.fullchain.crt --key b.key

  Only clients with a certificate from your CA (mTLS; the log names each client):
  https-kit serve ./public --cert s.fullchain.crt --key s.key --client-ca ca.crt

  Several servers behind one name, resuming each other's sessions:
  https-kit ticket-key new tickets.key   (then rotate it every 6 h: https-kit ticket-key rotate)
  https-kit serve . --cert ... --key ... --ticket-key-file tickets.key

  Limits (each has a default; durations in seconds, fractions allowed):
  https-kit serve . --cert ... --key ... --handshake-timeout 5 --max-connections 200

SIGINT/SIGTERM stop accepting, let responses in flight finish (up to --shutdown-timeout), exit 0.
SSLKEYLOGFILE is honoured (NSS key log format), so Wireshark can decrypt a capture.";

/// `--client-auth`: whether a client certificate is needed or only checked when sent.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientAuth {
    /// Ask for a certificate; serve clients without one too (a sent one must verify)
    Optional,
    /// Refuse clients without a valid certificate (alert certificate_required)
    Required,
}

#[derive(clap::Args, Debug)]
#[command(after_long_help = SERVE_HELP)]
pub struct ServeArgs {
    /// Directory to serve; without it a built-in page is served
    pub dir: Option<PathBuf>,
    /// Certificate chain, leaf first (PREFIX.fullchain.crt from `cert issue`); repeat with --key
    /// for more names (chosen by SNI, the first is the default)
    #[arg(long, value_name = "FULLCHAIN", required_unless_present = "acme")]
    pub cert: Vec<PathBuf>,
    /// The private key of the --cert at the same position (PKCS#8, PKCS#1 or SEC1 PEM)
    #[arg(long, value_name = "KEY", required_unless_present = "acme")]
    pub key: Vec<PathBuf>,
    #[command(flatten)]
    pub acme: crate::acme::SiteAcmeArgs,
    /// Address to listen on (loopback by default: expose deliberately)
    #[arg(long, default_value = "127.0.0.1:8443")]
    pub addr: SocketAddr,
    /// List directories that have no index.html (HTML, names escaped)
    #[arg(long)]
    pub list: bool,
    /// Ask clients for a certificate issued by these CAs (PEM); see --client-auth
    #[arg(long, value_name = "FILE")]
    pub client_ca: Option<PathBuf>,
    /// With --client-ca: refuse clients without a certificate, or accept them too
    #[arg(long, value_enum, default_value = "required", requires = "client_ca")]
    pub client_auth: ClientAuth,
    /// Send no session tickets (every connection is a full handshake)
    #[arg(long, conflicts_with = "ticket_key_file")]
    pub no_tickets: bool,
    /// Seal tickets with the keys in FILE (from `https-kit ticket-key new`, mode 0600), re-read
    /// when it changes, so several `serve` processes resume each other's sessions
    #[arg(long, value_name = "FILE")]
    pub ticket_key_file: Option<PathBuf>,
    /// Seconds a client has to complete the TLS handshake
    #[arg(long, value_name = "SECS", default_value = "10", value_parser = parse_secs)]
    pub handshake_timeout: Duration,
    /// Seconds from the first byte of an HTTP/1.1 request to the end of its headers
    #[arg(long, value_name = "SECS", default_value = "10", value_parser = parse_secs)]
    pub header_timeout: Duration,
    /// Seconds a connection may stay open with no request in flight, or with a response that
    /// moves no byte (a client that stopped reading)
    #[arg(long, value_name = "SECS", default_value = "60", value_parser = parse_secs)]
    pub idle_timeout: Duration,
    /// Connections served at once (each holds a file descriptor: stay under `ulimit -n`); past
    /// it, a new connection takes the place of the one quiet for the longest (handshaking, or
    /// with no request in flight), which is closed; when all are busy, accepting pauses
    #[arg(long, value_name = "N", default_value_t = 512,
          value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub max_connections: u32,
    /// Largest request header block in bytes (8192 at least)
    #[arg(long, value_name = "BYTES", default_value_t = 16_384,
          value_parser = clap::value_parser!(u32).range(8192..=1_048_576))]
    pub max_header_bytes: u32,
    /// HTTP/2: seconds between keep-alive PINGs on a quiet connection (0: none)
    #[arg(long, value_name = "SECS", default_value = "30", value_parser = parse_secs_or_zero)]
    pub h2_keepalive: Duration,
    /// HTTP/2: concurrent streams per connection
    #[arg(long, value_name = "N", default_value_t = 100,
          value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub h2_max_streams: u32,
    /// Seconds to let responses in flight finish after SIGINT/SIGTERM
    #[arg(long, value_name = "SECS", default_value = "30", value_parser = parse_secs_or_zero)]
    pub shutdown_timeout: Duration,
    /// No per-request log lines
    #[arg(long, short)]
    pub quiet: bool,
    /// Access log lines as JSON objects (one per line, on stderr)
    #[arg(long, conflicts_with = "quiet")]
    pub log_json: bool,
    /// Accept up to BYTES (at most 65536) of TLS 1.3 0-RTT early data on resumed connections
    /// (0: off). A GET or HEAD without a body that came whole in the early data is answered at
    /// once, before the client's Finished (0.5-RTT: the round trip 0-RTT saves); anything else
    /// waits for the handshake. Early data can be replayed: each ClientHello's is accepted once
    /// per process, so a recorded GET/HEAD is answered at most once per server process sharing
    /// the ticket keys (twice by two servers)
    #[arg(long, value_name = "BYTES", default_value_t = 0,
          value_parser = clap::value_parser!(u32).range(0..=65536))]
    pub early_data: u32,
    /// Print each connection's handshake, message by message, mapped to the seed's steps
    #[arg(long)]
    pub trace: bool,
    /// With --trace: one JSON object per connection on stdout
    #[arg(long, requires = "trace")]
    pub json: bool,
}

pub fn run(args: ServeArgs) -> Result<(), Failure> {
    let site = match &args.dir {
        Some(dir) if dir.is_dir() => Site::dir(dir, args.list)
            .map_err(|e| Failure::usage(format!("{}: {e}", dir.display())))?,
        Some(dir) => {
            return Err(Failure::usage(format!(
                "{}: not a directory",
                dir.display()
            )))
        }
        None => Site::Builtin,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::usage(format!("starting the runtime: {e}")))?;
    // --acme: the certificate comes from an ACME server and is renewed in the background.
    let acme = match args.acme.acme {
        Some(_) => Some(runtime.block_on(crate::acme::auto_certificate(&args.acme))?),
        None => None,
    };
    let config = server_config(&args, acme)?;
    let result = runtime.block_on(serve(args, site, config));
    // A blocking file read still running must not hold the exit.
    runtime.shutdown_timeout(Duration::from_secs(1));
    result
}

/// The --cert/--key pairs, chosen by SNI.
fn files_resolver(args: &ServeArgs) -> Result<Arc<dyn ResolvesServerCert>, Failure> {
    if args.cert.len() != args.key.len() {
        return Err(Failure::usage(format!(
            "{} --cert but {} --key: give one --key after each --cert",
            args.cert.len(),
            args.key.len()
        )));
    }
    let pairs = args
        .cert
        .iter()
        .zip(&args.key)
        .map(|(c, k)| load_pair(c, k))
        .collect::<Result<Vec<_>, _>>()?;
    let resolver =
        NameResolver::new(pairs).ok_or_else(|| Failure::usage("no --cert/--key pair"))?;
    Ok(Arc::new(resolver))
}

fn server_config(
    args: &ServeArgs,
    acme: Option<Arc<dyn ResolvesServerCert>>,
) -> Result<ServerConfig, Failure> {
    let resolver = match acme {
        Some(r) => r,
        None => files_resolver(args)?,
    };
    // In-band tls-alpn-01 (serve --acme ... --acme-challenge tls-alpn-01): offer acme-tls/1 too.
    let alpn: &[&[u8]] = match args.acme.in_band() {
        true => &[b"h2", b"http/1.1", b"acme-tls/1"],
        false => &[b"h2", b"http/1.1"],
    };
    let mut builder = ServerConfig::builder()
        .with_cert_resolver(resolver)
        .with_alpn(alpn)
        .with_session_tickets(!args.no_tickets)
        .with_max_early_data_size(args.early_data)
        .with_trace(args.trace)
        .with_key_log(Arc::new(crate::tls::key_log_from_env()?));
    if let Some(path) = &args.ticket_key_file {
        let ticketer = Ticketer::from_key_file(path)
            .map_err(|e| Failure::usage(format!("{}: {e}", path.display())))?;
        if ticketer.is_stale() {
            eprintln!(
                "https-kit: {}: the newest ticket key is older than its rotation period \
                 (run `https-kit ticket-key rotate`)",
                path.display()
            );
        }
        builder = builder.with_ticketer(Arc::new(ticketer));
    }
    if let Some(ca) = &args.client_ca {
        let anchors = TrustAnchors::from_file(ca)
            .map_err(|e| Failure::usage(format!("{}: {e}", ca.display())))?;
        builder = builder.with_client_ca(anchors, args.client_auth == ClientAuth::Required);
    }
    builder
        .build()
        .map_err(|e| Failure::usage(format!("server configuration: {e}")))
}

/// What every connection task shares.
struct Shared {
    acceptor: TlsAcceptor,
    service: FileService,
    limits: Limits,
    handshake_timeout: Duration,
    trace: bool,
    json: bool,
    quiet: bool,
    /// 0-RTT on: connections are handed over before the handshake ends when early data came.
    early_data: bool,
}

async fn serve(args: ServeArgs, site: Site, config: ServerConfig) -> Result<(), Failure> {
    let listener = listen(args.addr)
        .map_err(|e| Failure::usage(format!("cannot listen on {}: {e}", args.addr)))?;
    let local = listener.local_addr().unwrap_or(args.addr);
    let what = match &site {
        Site::Dir { root, .. } => root.display().to_string(),
        Site::Builtin => "the built-in page".to_string(),
    };
    let mut stop = std::pin::pin!(stop_signal()?);
    eprintln!("https-kit: serving {what} on https://{local}/ (TLS 1.3; Ctrl-C to stop)");
    let shared = Arc::new(Shared {
        acceptor: TlsAcceptor::from(Arc::new(config)),
        service: FileService {
            site,
            log: AccessLog {
                enabled: !args.quiet,
                json: args.log_json,
            },
        },
        limits: Limits {
            header_timeout: args.header_timeout,
            idle_timeout: args.idle_timeout,
            max_header_bytes: args.max_header_bytes as usize,
            h2_keepalive: (!args.h2_keepalive.is_zero()).then_some(args.h2_keepalive),
            h2_max_streams: args.h2_max_streams,
        },
        handshake_timeout: args.handshake_timeout,
        trace: args.trace,
        json: args.json,
        quiet: args.quiet,
        early_data: args.early_data > 0,
    });
    let max = args.max_connections;
    let slots = Slots::new(max as usize);
    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = &mut stop => break,
        };
        match accepted {
            Ok((tcp, peer)) => {
                // At the limit this closes the longest-quiet connection (or waits while every
                // connection is busy: back-pressure, the kernel queues the rest).
                let slot = tokio::select! {
                    s = slots.acquire() => s,
                    _ = &mut stop => break,
                };
                let _ = tcp.set_nodelay(true);
                let task = connection(tcp, peer, shared.clone(), shutdown_rx.clone(), slot);
                tokio::spawn(task);
            }
            Err(e) => {
                // Out of file descriptors and the like: keep serving the connections we have.
                eprintln!("https-kit: accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
    drop(listener);
    let _ = shutdown_tx.send(true);
    eprintln!(
        "https-kit: stopping ({} connections open, {} closed so far to make room; waiting up to {:?})",
        slots.open(),
        slots.shed_count(),
        args.shutdown_timeout
    );
    match slots.wait_closed(args.shutdown_timeout).await {
        0 => eprintln!("https-kit: stopped"),
        n => eprintln!("https-kit: stopped; {n} connections were still open"),
    }
    Ok(())
}

/// The listening socket, with a long accept queue: a burst of connects (a thousand stalled peers
/// arriving at once) must not overflow it, or the kernel drops a real client's SYN and its
/// connect waits a whole retransmission timeout (1 s). The kernel caps it at net.core.somaxconn.
fn listen(addr: SocketAddr) -> std::io::Result<tokio::net::TcpListener> {
    let socket = match addr {
        SocketAddr::V4(_) => tokio::net::TcpSocket::new_v4()?,
        SocketAddr::V6(_) => tokio::net::TcpSocket::new_v6()?,
    };
    // As tokio's TcpListener::bind: a restarted server may bind while old connections linger.
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(4096)
}

/// Resolves on the first SIGINT or SIGTERM.
fn stop_signal() -> Result<impl std::future::Future<Output = ()>, Failure> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate())
        .map_err(|e| Failure::usage(format!("installing the SIGTERM handler: {e}")))?;
    let mut int = signal(SignalKind::interrupt())
        .map_err(|e| Failure::usage(format!("installing the SIGINT handler: {e}")))?;
    Ok(async move {
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
        }
    })
}

/// The TLS handshake; with --early-data a connection whose 0-RTT data holds a GET/HEAD is handed
/// over before the client's Finished (`serve_early.rs`).
async fn handshake(
    tcp: TcpStream,
    addr: SocketAddr,
    shared: &Shared,
) -> std::io::Result<Gate<Fair<TcpStream>>> {
    if !shared.early_data {
        return shared
            .acceptor
            .accept(Fair::new(tcp))
            .await
            .map(Gate::plain);
    }
    let tls = shared
        .acceptor
        .accept_with_early_data(Fair::new(tcp))
        .await?;
    if !tls.is_handshaking() {
        return Ok(Gate::plain(tls));
    }
    let (gate, answered_early) = crate::serve_early::prepare(tls).await?;
    if answered_early && shared.trace && !shared.json {
        eprintln!("{addr} GET/HEAD in 0-RTT early data: answered before the client's Finished");
    }
    Ok(gate)
}

/// One connection: the handshake (bounded by the handshake timeout), then HTTP until it ends.
/// `slot` is the connection's place under --max-connections, freed when the task ends.
async fn connection(
    tcp: TcpStream,
    addr: SocketAddr,
    shared: Arc<Shared>,
    mut shutdown: watch::Receiver<bool>,
    slot: SlotGuard,
) {
    let handshake = tokio::time::timeout(shared.handshake_timeout, handshake(tcp, addr, &shared));
    let tls = tokio::select! {
        r = handshake => r,
        _ = shutdown.wait_for(|stop| *stop) => return,
        _ = slot.slot().shed_requested() => {
            if !shared.quiet {
                eprintln!("{addr} closed during its handshake to make room (at --max-connections)");
            }
            return;
        }
    };
    let tls = match tls {
        Ok(Ok(tls)) => tls,
        Ok(Err(e)) => {
            if !shared.quiet {
                eprintln!("{addr} TLS handshake failed: {}", alert_of(&e));
            }
            return;
        }
        Err(_) => {
            if !shared.quiet {
                eprintln!(
                    "{addr} TLS handshake timed out after {:?}",
                    shared.handshake_timeout
                );
            }
            return;
        }
    };
    let conn = tls.tls().connection();
    if shared.trace {
        print_trace(addr, conn, shared.json);
    }
    if conn.alpn_protocol() == Some(b"acme-tls/1".as_slice()) {
        return; // an ACME validator: the handshake was the answer
    }
    let h2 = conn.alpn_protocol() == Some(b"h2".as_slice());
    let peer = Arc::new(Peer {
        addr,
        proto: if h2 { "HTTP/2" } else { "HTTP/1.1" },
        server_name: conn.server_name().map(Arc::from),
        client: peer_identity(conn).map(Arc::from),
        resumed: conn.is_resumed(),
    });
    let service = |activity: Arc<crate::conn::Activity>| {
        let shared = shared.clone();
        hyper::service::service_fn(move |mut req| {
            let guard = activity.begin();
            let shared = shared.clone();
            let peer = peer.clone();
            // The verified client identity travels with the request for any handler.
            req.extensions_mut().insert(peer.clone());
            async move {
                let response = shared.service.handle(req, &peer).await;
                Ok::<_, std::convert::Infallible>(response.map(|b| Tracked::new(b, guard)))
            }
        })
    };
    let ended = serve_connection(
        tls,
        h2,
        &shared.limits,
        shutdown,
        slot.slot().clone(),
        service,
    )
    .await;
    match ended {
        Ended::Shed if !shared.quiet => {
            eprintln!("{addr} closed while quiet to make room (at --max-connections)")
        }
        Ended::HeaderTimeout if !shared.quiet => {
            eprintln!(
                "{addr} request headers timed out after {:?}",
                shared.limits.header_timeout
            )
        }
        Ended::Stalled if !shared.quiet => {
            eprintln!(
                "{addr} response stalled for {:?} (the client stopped reading): closed",
                shared.limits.idle_timeout
            )
        }
        // Browsers open spare connections and drop them: only worth a line when tracing.
        Ended::Done(Err(e)) if shared.trace && !e.is_incomplete_message() => {
            eprintln!("{addr} connection ended: {e}")
        }
        _ => {}
    }
}

fn print_trace(addr: SocketAddr, conn: &https_handshake::Connection, json: bool) {
    if json {
        print_json(&serde_json::json!({
            "peer": addr.to_string(),
            "server_name": conn.server_name(),
            "negotiated": crate::tls::negotiated_json(conn),
            "trace": trace_json(conn.trace()),
        }));
    } else {
        eprintln!("{addr} handshake:");
        for ev in conn.trace() {
            eprintln!("  {ev}");
        }
    }
}
