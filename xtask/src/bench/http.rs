//! `http/serve/keepalive` and `http/serve/new-connections` (`Connection: close`: a TCP connection
//! and a full handshake per request): requests per second of `https-kit serve` under wrk on
//! loopback, beside a minimal tokio-rustls + hyper server (inside xtask) serving the same file.

use super::fixtures::{Chain, ServerKey};
use super::{locked_version, Opts, Row};
use anyhow::{bail, Context, Result};
use bytes::Bytes;
use http_body_util::Full;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

const FILE_NAME: &str = "index.html";

pub fn run(opts: &Opts) -> Result<Vec<Row>> {
    if Command::new("wrk").arg("--version").output().is_err() {
        eprintln!("bench: http skipped: wrk is not installed (apt-get install wrk)");
        return Ok(Vec::new());
    }
    let (rounds, secs) = if opts.quick { (2, 3) } else { (3, 10) };
    let dir = tempfile::tempdir()?;
    let chain = Chain::new(ServerKey::EcdsaP256)?;
    let site = dir.path().join("site");
    std::fs::create_dir(&site)?;
    let body = "<!doctype html><title>bench</title>".to_string() + &"x".repeat(1000);
    std::fs::write(site.join(FILE_NAME), &body)?;
    let fullchain = dir.path().join("fullchain.crt");
    let key = dir.path().join("site.key");
    std::fs::write(
        &fullchain,
        pem::encode(&pem::Pem::new("CERTIFICATE", chain.leaf_der.clone()))
            + &pem::encode(&pem::Pem::new("CERTIFICATE", chain.root_der.clone())),
    )?;
    std::fs::write(
        &key,
        pem::encode(&pem::Pem::new("PRIVATE KEY", chain.leaf_key_pkcs8.clone())),
    )?;

    let binary = build_cli()?;
    let ours_addr = free_addr()?;
    let mut ours = ServerProcess(
        Command::new(&binary)
            .arg("serve")
            .arg(&site)
            .arg("--cert")
            .arg(&fullchain)
            .arg("--key")
            .arg(&key)
            .arg("--addr")
            .arg(ours_addr.to_string())
            .arg("--quiet")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("starting https-kit serve")?,
    );
    let base_addr = free_addr()?;
    let _baseline = start_baseline(&chain, &site, base_addr)?;
    wait_listening(ours_addr, Some(&mut ours.0))?;
    wait_listening(base_addr, None)?;

    let keepalive = compare(
        "http/serve/keepalive",
        ours_addr,
        base_addr,
        rounds,
        secs,
        &[],
    )?;
    // Every request on a new TCP connection with a full TLS handshake (wrk does not resume).
    let new_connections = compare(
        "http/serve/new-connections",
        ours_addr,
        base_addr,
        rounds,
        secs,
        &["-H", "Connection: close"],
    )?;
    Ok(vec![keepalive, new_connections])
}

/// Alternating wrk rounds against our server and the baseline; the row holds the medians.
fn compare(
    id: &str,
    ours_addr: SocketAddr,
    base_addr: SocketAddr,
    rounds: usize,
    secs: u32,
    extra: &[&str],
) -> Result<Row> {
    eprintln!("bench: {id} ({rounds} rounds of wrk -t2 -c32 -d{secs}s {extra:?} per side) ...");
    let mut ours_rates = Vec::new();
    let mut base_rates = Vec::new();
    let mut ratios = Vec::new();
    for round in 0..rounds {
        let (o, b) = if round % 2 == 0 {
            let o = wrk(ours_addr, secs, extra)?;
            (o, wrk(base_addr, secs, extra)?)
        } else {
            let b = wrk(base_addr, secs, extra)?;
            (wrk(ours_addr, secs, extra)?, b)
        };
        ours_rates.push(o);
        base_rates.push(b);
        ratios.push(o / b);
    }
    let med = |v: &mut Vec<f64>| {
        v.sort_by(|a, b| a.total_cmp(b));
        v[v.len() / 2]
    };
    let ratio = med(&mut ratios);
    Ok(Row {
        id: id.into(),
        metric: "req/s".into(),
        ours: med(&mut ours_rates),
        baseline: "tokio-rustls+hyper".into(),
        baseline_value: med(&mut base_rates),
        ratio,
        ratio_min: ratios[0],
        ratio_max: ratios[ratios.len() - 1],
        rounds,
        baseline_version: format!(
            "{}, {}",
            locked_version("tokio-rustls"),
            locked_version("rustls")
        ),
    })
}

/// Kills the server when the bench ends, whatever happened.
struct ServerProcess(Child);

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn build_cli() -> Result<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let status = Command::new(env!("CARGO"))
        .args(["build", "--quiet", "--release", "--package", "https-cli"])
        .current_dir(&root)
        .status()?;
    if !status.success() {
        bail!("building https-kit in release mode failed");
    }
    Ok(root.join("target/release/https-kit"))
}

fn free_addr() -> Result<SocketAddr> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?)
}

/// Waits until `addr` accepts connections; fails early if `child` (our server) exits.
fn wait_listening(addr: SocketAddr, mut child: Option<&mut Child>) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if TcpStream::connect(addr).is_ok() {
            return Ok(());
        }
        if let Some(child) = child.as_deref_mut() {
            if let Some(status) = child.try_wait()? {
                bail!("https-kit serve exited early: {status}");
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    bail!("nothing listened on {addr} within 10 s")
}

/// Runs wrk once (with `extra` flags) and returns its Requests/sec.
fn wrk(addr: SocketAddr, secs: u32, extra: &[&str]) -> Result<f64> {
    let out = Command::new("wrk")
        .args(["-t2", "-c32", &format!("-d{secs}s")])
        .args(extra)
        .arg(format!("https://{addr}/{FILE_NAME}"))
        .output()
        .context("running wrk")?;
    let text = String::from_utf8_lossy(&out.stdout);
    if text.contains("Non-2xx") || text.contains("Socket errors") {
        bail!("wrk saw errors against {addr}:\n{text}");
    }
    text.lines()
        .find_map(|l| l.strip_prefix("Requests/sec:"))
        .and_then(|v| v.trim().parse().ok())
        .with_context(|| format!("no Requests/sec in wrk output:\n{text}"))
}

/// The baseline: tokio-rustls + hyper http1, reading the same file per request, on its own runtime.
fn start_baseline(
    chain: &Chain,
    site: &Path,
    addr: SocketAddr,
) -> Result<std::thread::JoinHandle<()>> {
    let provider = rustls::crypto::ring::default_provider();
    let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(provider))
        .with_protocol_versions(&[&rustls::version::TLS13])?
        .with_no_client_auth()
        .with_single_cert(
            vec![
                rustls_pki_types::CertificateDer::from(chain.leaf_der.clone()),
                rustls_pki_types::CertificateDer::from(chain.root_der.clone()),
            ],
            rustls_pki_types::PrivateKeyDer::Pkcs8(chain.leaf_key_pkcs8.clone().into()),
        )?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let file = Arc::new(site.join(FILE_NAME));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let listener = runtime.block_on(tokio::net::TcpListener::bind(addr))?;
    Ok(std::thread::spawn(move || {
        runtime.block_on(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    continue;
                };
                let acceptor = acceptor.clone();
                let file = file.clone();
                tokio::spawn(async move {
                    let Ok(tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let svc =
                        hyper::service::service_fn(move |_req: Request<hyper::body::Incoming>| {
                            let file = file.clone();
                            async move {
                                let body = tokio::fs::read(&*file).await.unwrap_or_default();
                                let mut r = Response::new(Full::new(Bytes::from(body)));
                                r.headers_mut().insert(
                                    "content-type",
                                    "text/html; charset=utf-8".parse().expect("static"),
                                );
                                Ok::<_, std::convert::Infallible>(r)
                            }
                        });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(tls), svc)
                        .await;
                });
            }
        })
    }))
}
