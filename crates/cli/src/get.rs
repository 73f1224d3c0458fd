//! `https-kit get`: one HTTPS request with our TLS 1.3 client, like a small curl (headers, methods,
//! bodies, client certificates, redirects, timings, a progress bar for `-o`).

use crate::get_early::Tail;
use crate::get_out::{Sink, Timing, WriteOut};
use crate::get_session::Loaded;
use crate::http::{send, Outgoing};
use crate::output::{parse_secs, print_json, Failure};
use crate::target::{connect_tcp, from_url, parse_url, Target};
use crate::tls::{alert_of, load_pair, negotiated_json, trace_json};
use bytes::Bytes;
use http_body_util::BodyExt;
use https_handshake::{ClientConfig, ClientSessionStore, TlsConnector};
use https_verify::TrustAnchors;
use hyper::body::Incoming;
use hyper::header::{HeaderMap, HeaderName, HeaderValue, CONTENT_LENGTH, CONTENT_TYPE, LOCATION};
use hyper::{Method, Response, StatusCode};
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub use crate::inspect_server::inspect_server;

const GET_HELP: &str = "\
Fetches a URL over TLS 1.3 and prints the body. The server's chain is checked against --ca (or
the system store) and its name against the URL's host, exactly as a browser would; with -L every
host redirected to is checked again (and a session ticket from an earlier hop is used to resume).

Examples:
  https-kit get https://localhost:8443/ --ca ca.crt
  https-kit get https://site.test:8443/a.txt --ca ca.crt --resolve site.test:127.0.0.1 -o a.txt
  https-kit get https://localhost:8443/ --ca ca.crt -v --trace
  https-kit get https://localhost:8443/dir -L -w '%{http_code} %{time_total}\\n' --ca ca.crt
  https-kit get https://api.test/items -d 'name=x' -H 'Accept: application/json' --ca ca.crt
  https-kit get https://api.test/upload -X PUT --data-binary @file.bin --ca ca.crt
  https-kit get https://mtls.test/ --cert me.fullchain.crt --key me.key --ca ca.crt
  https-kit get https://localhost:8443/ -I --json --ca ca.crt   (timings: dns/connect/tls/first_byte)

-w names: http_code, http_version, url_effective, remote_ip, remote_port, size_download,
num_redirects, content_type, time_namelookup, time_connect, time_appconnect,
time_starttransfer, time_redirect, time_total (seconds from the start, as curl counts them).

Sessions and 0-RTT:
  https-kit get https://localhost:8443/ --ca ca.crt --session s.txt               (full handshake, saves a ticket)
  https-kit get https://localhost:8443/ --ca ca.crt --session s.txt --early-data  (resumes; request as 0-RTT)
--session FILE resumes with the ticket saved in FILE (when it is for this host and not expired)
and saves the newest ticket there afterwards (mode 0600, written atomically; it holds the
session's secret). The format is versioned text: a first line `https-kit-session 1`, then
`server_name`, `suite` (hex code point), `received` (Unix time), `lifetime`, `age_add`,
`max_early_data`, `alpn` (hex, `-` for none), `psk` and `ticket` (hex), one `key value` line
each, in that order. A corrupt, foreign, expired or other-host file is a one-line warning and a
full handshake, never a failed fetch. --early-data sends a GET or HEAD (no body: early data can
be replayed, anything else is refused) as TLS 1.3 early data when the ticket allows it, and
offers only http/1.1 (the ticket's ALPN must match, so save it with --early-data too); if the
server refuses the early data the request is sent again after the handshake. -v and --json say
`resumed` and `early_data`: accepted, rejected or not_offered.
With --session every connection ends with our close_notify before get exits (a server such as
OpenSSL forgets a session whose connection ended without one). The ticket saved is the one for
the first URL's host (with -L, later hosts' tickets are not kept; tickets are kept by host name,
so a redirect to the same name on another port replaces it). A server answering early data at
once (0.5-RTT) sends its tickets after the answer: get reads on for them until they arrive, the
server closes, or 2 s have passed (the most a server that sends none costs).

Exit codes: 0 the response arrived (whatever its HTTP status), 1 TLS, certificate, connection or
timeout failure, 2 bad usage or unreadable input. SSLKEYLOGFILE is honoured.";

#[derive(clap::Args, Debug)]
#[command(after_long_help = GET_HELP)]
pub struct GetArgs {
    /// https:// URL to fetch
    pub url: String,
    /// Trust these CA certificates (PEM) instead of the system store
    #[arg(long, value_name = "FILE")]
    pub ca: Option<PathBuf>,
    /// Client certificate chain (PEM), presented when the server asks (mTLS)
    #[arg(long, value_name = "FULLCHAIN", requires = "key")]
    pub cert: Option<PathBuf>,
    /// The private key of --cert
    #[arg(long, value_name = "KEY", requires = "cert")]
    pub key: Option<PathBuf>,
    /// Connect to ADDR for HOST, without DNS (HOST:ADDR or curl's HOST:PORT:ADDR)
    #[arg(long, value_name = "HOST:ADDR")]
    pub resolve: Vec<String>,
    /// Extra request header, 'Name: value' (repeatable; overrides ours, e.g. User-Agent)
    #[arg(short = 'H', long = "header", value_name = "HEADER")]
    pub headers: Vec<String>,
    /// Request method (default GET, or POST with -d)
    #[arg(short = 'X', long = "request", value_name = "METHOD")]
    pub method: Option<String>,
    /// Request body (form data; @FILE reads a file, dropping newlines; repeats join with &)
    #[arg(short = 'd', long = "data", value_name = "DATA")]
    pub data: Vec<String>,
    /// Request body sent exactly as given (@FILE reads a file byte for byte)
    #[arg(long, value_name = "DATA")]
    pub data_binary: Vec<String>,
    /// Send HEAD and print the response headers
    #[arg(short = 'I', long, conflicts_with_all = ["data", "data_binary"])]
    pub head: bool,
    /// Follow redirects (301, 302, 303, 307, 308), each host verified again
    #[arg(short = 'L', long)]
    pub location: bool,
    /// With -L: give up after this many redirects
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub max_redirs: usize,
    /// Give up the whole transfer after this many seconds (fractions allowed)
    #[arg(long, value_name = "SECS", value_parser = parse_secs)]
    pub max_time: Option<Duration>,
    /// Write the body to FILE instead of stdout (atomically; a progress bar on a terminal)
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// After the transfer, print FORMAT with %{http_code}, %{time_total}... (see below)
    #[arg(short = 'w', long, value_name = "FORMAT")]
    pub write_out: Option<String>,
    /// Show the protocol, suite, group, ALPN, the verified chain and the response headers (stderr)
    #[arg(short, long)]
    pub verbose: bool,
    /// Offer only HTTP/1.1 in ALPN (the default offers h2 first, then http/1.1)
    #[arg(long = "http1.1", conflicts_with = "http2")]
    pub http1_1: bool,
    /// Offer HTTP/2 first in ALPN (the default)
    #[arg(long)]
    pub http2: bool,
    /// Print the handshake, message by message, mapped to the seed's steps (stderr)
    #[arg(long)]
    pub trace: bool,
    /// Print one JSON document (status, headers, TLS details, timings, trace, body) on stdout
    #[arg(long)]
    pub json: bool,
    /// Give up connecting (name lookup, TCP, TLS) after this many seconds
    #[arg(long, default_value_t = 10)]
    pub connect_timeout: u64,
    /// Resume with the session ticket saved in FILE; save the newest ticket there after (0600)
    #[arg(long, value_name = "FILE")]
    pub session: Option<PathBuf>,
    /// With --session: send the GET/HEAD as TLS 1.3 0-RTT early data when the ticket allows it
    #[arg(long, requires = "session", conflicts_with = "http2")]
    pub early_data: bool,
}

pub fn run(args: GetArgs) -> Result<(), Failure> {
    let target = parse_url(&args.url)?;
    let outgoing = outgoing(&args)?;
    if args.early_data {
        crate::get_early::check_idempotent(&outgoing).map_err(Failure::usage)?;
    }
    let store = Arc::new(ClientSessionStore::default());
    if let Some(path) = &args.session {
        let loaded = crate::get_session::load(path, &target.host, &store);
        if args.verbose && loaded == Loaded::None {
            eprintln!("* no saved session in {} yet", path.display());
        }
    }
    let config = Arc::new(client_config(&args, store.clone())?);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::usage(format!("starting the runtime: {e}")))?;
    let host = target.host.clone();
    let done = runtime.block_on(async {
        let work = get(&args, target, outgoing, config);
        match args.max_time {
            Some(limit) => tokio::time::timeout(limit, work).await.unwrap_or_else(|_| {
                Err(Failure::refused(format!(
                    "{}: timed out after {:?} (--max-time)",
                    args.url, limit
                )))
            }),
            None => work.await,
        }
    });
    if let (Some(path), Ok(())) = (&args.session, &done) {
        crate::get_session::save(path, &host, &store);
    }
    done
}

fn client_config(args: &GetArgs, store: Arc<ClientSessionStore>) -> Result<ClientConfig, Failure> {
    let anchors = match &args.ca {
        Some(path) => TrustAnchors::from_file(path)
            .map_err(|e| Failure::usage(format!("{}: {e}", path.display())))?,
        None => TrustAnchors::system()
            .map_err(|e| Failure::usage(format!("system trust store: {e}")))?,
    };
    // 0-RTT needs the ticket's ALPN; our early request is HTTP/1.1.
    let alpn: &[&[u8]] = if args.http1_1 || args.early_data {
        &[b"http/1.1"]
    } else {
        &[b"h2", b"http/1.1"]
    };
    let mut builder = ClientConfig::builder()
        .with_root_certificates(anchors)
        .with_alpn(alpn)
        .with_trace(args.trace || args.json)
        .with_session_store(store)
        .with_key_log(Arc::new(crate::tls::key_log_from_env()?));
    if let (Some(cert), Some(key)) = (&args.cert, &args.key) {
        builder = builder.with_client_cert(load_pair(cert, key)?.0);
    }
    builder
        .build()
        .map_err(|e| Failure::usage(format!("client configuration: {e}")))
}

/// The request the flags describe: method, headers and body.
fn outgoing(args: &GetArgs) -> Result<Outgoing, Failure> {
    let mut headers = HeaderMap::new();
    for h in &args.headers {
        let bad = || Failure::usage(format!("-H {h}: expected 'Name: value'"));
        let (name, value) = h.split_once(':').ok_or_else(bad)?;
        let name = HeaderName::from_bytes(name.trim().as_bytes()).map_err(|_| bad())?;
        let value = HeaderValue::from_str(value.trim()).map_err(|_| bad())?;
        headers.append(name, value);
    }
    let mut parts: Vec<Vec<u8>> = Vec::new();
    for d in &args.data {
        let mut bytes = data_arg(d)?;
        bytes.retain(|b| *b != b'\n' && *b != b'\r');
        parts.push(bytes);
    }
    for d in &args.data_binary {
        parts.push(data_arg(d)?);
    }
    let has_body = !parts.is_empty();
    let body = Bytes::from(parts.join(&b'&'));
    let method = match &args.method {
        Some(m) => Method::from_bytes(m.as_bytes())
            .map_err(|_| Failure::usage(format!("-X {m}: not an HTTP method")))?,
        None if args.head => Method::HEAD,
        None if has_body => Method::POST,
        None => Method::GET,
    };
    if has_body && !headers.contains_key(CONTENT_TYPE) {
        headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        );
    }
    Ok(Outgoing {
        method,
        headers,
        body,
    })
}

/// `DATA` as given, or the contents of FILE for `@FILE`.
fn data_arg(d: &str) -> Result<Vec<u8>, Failure> {
    match d.strip_prefix('@') {
        Some(path) => std::fs::read(path).map_err(|e| Failure::usage(format!("{path}: {e}"))),
        None => Ok(d.as_bytes().to_vec()),
    }
}

/// One request on one new connection: the response head and what the connection negotiated.
struct Hop {
    response: Response<Incoming>,
    info: HopInfo,
    /// With --session: the connection after the response (with --early-data tickets may
    /// follow it), to end it with our close_notify before exiting.
    tail: Option<Tail>,
}

/// What one hop's connection negotiated, and when each phase ended.
struct HopInfo {
    timing: Timing,
    addr: std::net::SocketAddr,
    tls: serde_json::Value,
    chain: Vec<serde_json::Value>,
    trace: serde_json::Value,
    resumed: bool,
    /// accepted, rejected or not_offered.
    early_data: &'static str,
}

async fn get(
    args: &GetArgs,
    mut target: Target,
    mut out: Outgoing,
    config: Arc<ClientConfig>,
) -> Result<(), Failure> {
    let run_start = Instant::now();
    let connector = TlsConnector::from(config.clone());
    let mut hops = Vec::new();
    loop {
        // 0-RTT on the first hop only: a redirect target has its own (unsaved) session.
        let early = args.early_data && hops.is_empty();
        let mut hop = one_hop(args, &target, &out, &connector, run_start, early).await?;
        hops.push(serde_json::json!({
            "url": target.url.as_str(),
            "address": hop.info.addr.to_string(),
            "status": hop.response.status().as_u16(),
            "resumed": hop.info.resumed,
            "early_data": hop.info.early_data,
        }));
        if args.location {
            if let Some(next) = redirect(&hop.response, &target)? {
                if hops.len() > args.max_redirs {
                    return Err(Failure::refused(format!(
                        "{}: more than {} redirects (--max-redirs)",
                        args.url, args.max_redirs
                    )));
                }
                if args.verbose {
                    eprintln!("* following {} to {}", hop.response.status(), next.url);
                }
                follow(&mut out, hop.response.status(), &target, &next);
                target = next;
                // The first hop's ticket is the one saved: end its connection cleanly too.
                let Hop { response, tail, .. } = hop;
                drop(response);
                if let Some(tail) = tail {
                    crate::get_session::close(tail).await;
                }
                continue;
            }
        }
        let tail = hop.tail.take();
        deliver(args, &target, hop, hops).await?;
        match tail {
            Some(tail) if early => {
                let (store, host) = (config.session_store(), &target.host);
                crate::get_early::drain(tail, || store.is_some_and(|s| s.has_ticket(host))).await;
            }
            Some(tail) => crate::get_session::close(tail).await,
            None => {}
        }
        return Ok(());
    }
}

/// Connects, handshakes (verifying `target.host`), sends `out` and waits for the response head.
async fn one_hop(
    args: &GetArgs,
    target: &Target,
    out: &Outgoing,
    connector: &TlsConnector,
    run_start: Instant,
    early: bool,
) -> Result<Hop, Failure> {
    let start = Instant::now();
    let limit = Duration::from_secs(args.connect_timeout);
    let (tcp, connected) = connect_tcp(target, &args.resolve, limit).await?;
    let addr = connected.addr;
    if args.verbose {
        eprintln!("* connected to {} ({addr})", target.host);
    }
    let early_bytes = if early {
        crate::get_early::request_bytes(out, target)
    } else {
        Vec::new()
    };
    let handshake = connector.connect_with_early_data(&target.host, tcp, &early_bytes);
    let tls = tokio::time::timeout(limit, handshake)
        .await
        .map_err(|_| Failure::refused(format!("TLS handshake with {addr}: timed out")))?
        .map_err(|e| {
            Failure::refused(format!(
                "TLS handshake with {addr} failed: {}",
                alert_of(&e)
            ))
        })?;
    let tls_done = Instant::now();
    let conn = tls.connection();
    let (negotiated, chain, resumed) = (
        negotiated_json(conn),
        chain_json(conn.peer_certificates().unwrap_or(&[])),
        conn.is_resumed(),
    );
    let early_data = match (conn.early_data_offered(), conn.early_data_accepted()) {
        (false, _) => "not_offered",
        (true, true) => "accepted",
        (true, false) => "rejected",
    };
    if args.verbose {
        print_connection(target, &negotiated, &chain, resumed);
        if early {
            eprintln!("* early data: {early_data}");
        }
    }
    if args.trace && !args.json {
        eprintln!("* handshake:");
        for ev in conn.trace() {
            eprintln!("*   {ev}");
        }
    }
    let trace = trace_json(conn.trace());
    let h2 = conn.alpn_protocol() == Some(b"h2".as_slice());
    let refused = |e: anyhow::Error| Failure::refused(format!("{}: {e:#}", target.url));
    let (response, tail) = if early {
        let (r, tail) = crate::get_early::receive(tls, target, out)
            .await
            .map_err(refused)?;
        (r, Some(tail))
    } else if args.session.is_some() {
        // Kept, to end the connection with our close_notify before exiting (see Returned).
        let (stream, tail) = crate::get_session::Returned::new(Box::new(tls));
        let r = send(stream, target, out, h2).await.map_err(refused)?;
        (r, Some(tail))
    } else {
        (send(tls, target, out, h2).await.map_err(refused)?, None)
    };
    let timing = Timing {
        run_start,
        start,
        resolved: connected.resolved,
        connected: connected.connected,
        tls_done,
        first_byte: Instant::now(),
    };
    Ok(Hop {
        response,
        info: HopInfo {
            timing,
            addr,
            tls: negotiated,
            chain,
            trace,
            resumed,
            early_data,
        },
        tail,
    })
}

fn print_connection(
    target: &Target,
    negotiated: &serde_json::Value,
    chain: &[serde_json::Value],
    resumed: bool,
) {
    eprintln!(
        "* {} {} group {} ALPN {}{}",
        negotiated["protocol"].as_str().unwrap_or("?"),
        negotiated["cipher_suite"].as_str().unwrap_or("?"),
        negotiated["group"].as_str().unwrap_or("?"),
        negotiated["alpn"].as_str().unwrap_or("(none)"),
        if resumed { " (session resumed)" } else { "" },
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

/// The next target when `response` is a redirect with a Location; https:// only.
fn redirect(response: &Response<Incoming>, from: &Target) -> Result<Option<Target>, Failure> {
    let status = response.status();
    if !matches!(status.as_u16(), 301 | 302 | 303 | 307 | 308) {
        return Ok(None);
    }
    let Some(location) = response.headers().get(LOCATION) else {
        return Ok(None);
    };
    let location = location
        .to_str()
        .map_err(|_| Failure::refused(format!("{}: unreadable Location header", from.url)))?;
    let next = from
        .url
        .join(location)
        .map_err(|e| Failure::refused(format!("{}: bad Location {location:?}: {e}", from.url)))?;
    from_url(next)
        .map(Some)
        .map_err(|e| Failure::refused(format!("redirect refused: {}", e.message)))
}

/// Adjusts the request for the next hop the way curl and browsers do: 303 (and 301/302 after a
/// POST) become a GET without a body; credentials and Host are not sent to another host.
fn follow(out: &mut Outgoing, status: StatusCode, from: &Target, to: &Target) {
    let becomes_get = match status.as_u16() {
        303 => out.method != Method::HEAD,
        301 | 302 => out.method == Method::POST,
        _ => false,
    };
    if becomes_get {
        out.method = Method::GET;
        out.body = Bytes::new();
        out.headers.remove(CONTENT_TYPE);
        out.headers.remove(CONTENT_LENGTH);
    }
    if (from.host.as_str(), from.port) != (to.host.as_str(), to.port) {
        for name in ["authorization", "cookie", "host"] {
            out.headers.remove(name);
        }
    }
}

/// Streams the final response's body where it belongs, then prints --json / -w.
async fn deliver(
    args: &GetArgs,
    target: &Target,
    hop: Hop,
    hops: Vec<serde_json::Value>,
) -> Result<(), Failure> {
    let (parts, mut body) = hop.response.into_parts();
    let version = match parts.version {
        hyper::Version::HTTP_2 => "2",
        hyper::Version::HTTP_10 => "1.0",
        _ => "1.1",
    };
    if args.verbose {
        eprintln!("< HTTP/{version} {}", parts.status);
        for (name, value) in &parts.headers {
            eprintln!("< {name}: {}", value.to_str().unwrap_or("(binary)"));
        }
    }
    if args.head && !args.json {
        print_head(version, parts.status, &parts.headers)?;
    }
    let total = parts
        .headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    let mut sink = match &args.output {
        Some(path) => Sink::file(path, total)?,
        None if args.json => Sink::Memory(Vec::new()),
        None if args.head => Sink::Discard,
        None => Sink::Stdout(std::io::stdout()),
    };
    let mut size = 0u64;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| {
            Failure::refused(format!("{}: reading the response body: {e}", target.url))
        })?;
        if let Some(data) = frame.data_ref() {
            size += data.len() as u64;
            sink.write(data)?;
        }
    }
    let done = Instant::now();
    let kept = sink.finish()?;
    if args.verbose {
        if let Some(path) = &args.output {
            eprintln!("* wrote {size} bytes to {}", path.display());
        }
    }
    let content_type = parts
        .headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if args.json {
        let body = Received { size, kept, done };
        print_json(&result_json(args, target, &hop.info, &parts, body, &hops));
    }
    if let Some(format) = &args.write_out {
        let w = WriteOut {
            status: parts.status.as_u16(),
            http_version: version,
            url: target.url.as_str(),
            remote: hop.info.addr,
            size,
            redirects: hops.len().saturating_sub(1),
            content_type,
            timing: &hop.info.timing,
            done,
        };
        print!("{}", w.expand(format));
        let _ = std::io::stdout().flush();
    }
    if !parts.status.is_success() && !args.json && args.write_out.is_none() {
        eprintln!("https-kit: {} answered HTTP {}", target.url, parts.status);
    }
    Ok(())
}

/// What the body stream delivered.
struct Received {
    size: u64,
    /// The body kept for `--json` (None when it went to stdout or a file).
    kept: Option<Vec<u8>>,
    done: Instant,
}

/// The `--json` document for the final response.
fn result_json(
    args: &GetArgs,
    target: &Target,
    hop: &HopInfo,
    parts: &hyper::http::response::Parts,
    body: Received,
    hops: &[serde_json::Value],
) -> serde_json::Value {
    let headers: serde_json::Map<String, serde_json::Value> = parts
        .headers
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").into()))
        .collect();
    let truncated = body.kept.as_ref().map(|k| (k.len() as u64) < body.size);
    let text = body.kept.and_then(|b| String::from_utf8(b).ok());
    serde_json::json!({
        "url": args.url,
        "url_effective": target.url.as_str(),
        "address": hop.addr.to_string(),
        "status": parts.status.as_u16(),
        "http_version": format!("{:?}", parts.version),
        "headers": headers,
        "tls": hop.tls,
        "resumed": hop.resumed,
        "early_data": hop.early_data,
        "chain": hop.chain,
        "timing": hop.timing.json(body.done),
        "redirects": &hops[..hops.len().saturating_sub(1)],
        "trace": hop.trace,
        "body_bytes": body.size,
        "body": text,
        "body_truncated": truncated,
    })
}

/// `-I`: the status line and headers on stdout, as curl prints them.
fn print_head(version: &str, status: StatusCode, headers: &HeaderMap) -> Result<(), Failure> {
    let mut text = format!("HTTP/{version} {status}\r\n");
    for (name, value) in headers {
        text.push_str(&format!(
            "{name}: {}\r\n",
            value.to_str().unwrap_or("(binary)")
        ));
    }
    text.push_str("\r\n");
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|_| out.flush())
        .map_err(|e| Failure::usage(format!("writing to stdout: {e}")))
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
