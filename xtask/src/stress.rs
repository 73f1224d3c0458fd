//! `cargo xtask stress [--quick] [--release]`: hostile load against a real `https-kit serve` on
//! 127.0.0.1 while a legitimate client (our own TLS client) keeps handshaking and fetching.
//!
//! Phases, one after another, each bounded in count and time (`attacks.rs`): slowloris connections
//! (silent, half a ClientHello, half the HTTP headers, all held at once), connections of random
//! bytes, truncated and bit-flipped ClientHellos, clients that abort mid-transfer, a KeyUpdate
//! flood and an empty-record flood from peers that never read. Then it prints what happened to
//! the connections, the legitimate client's latencies, the server's peak RSS (VmHWM) and open
//! descriptors (/proc/PID/fd), and `N passed, M failed` over fixed checks.

mod attacks;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use https_kit::handshake::{ClientConfig, TlsConnector};
use https_kit::pki::{CaOptions, CertificateAuthority, Profile};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Peak RSS bound for the server (VmHWM), stated in the output.
const RSS_BOUND_MIB: u64 = 128;
/// The legitimate client's worst latency bound (connect + handshake + GET).
const LATENCY_BOUND: Duration = Duration::from_secs(1);
/// Server timeouts passed to `serve` when it has the flags (seconds).
const SERVER_TIMEOUT_SECS: u64 = 2;

/// How much of each attack; `--quick` is about a minute on two shared cores.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    pub slowloris: usize,
    pub random: usize,
    pub hellos: usize,
    pub aborts: usize,
    pub keyupdate_conns: usize,
    pub keyupdates: usize,
    pub empty_conns: usize,
    pub empties: usize,
    /// Connections in flight at once in the many-connection phases.
    pub concurrency: usize,
    /// How long a connection waits for the server to answer or close it.
    pub wait: Duration,
}

impl Plan {
    fn new(quick: bool) -> Self {
        if quick {
            Self {
                slowloris: 300,
                random: 2_000,
                hellos: 1_000,
                aborts: 200,
                keyupdate_conns: 2,
                keyupdates: 50_000,
                empty_conns: 4,
                empties: 1_000,
                concurrency: 100,
                wait: Duration::from_secs(3),
            }
        } else {
            Self {
                slowloris: 1_000,
                random: 10_000,
                hellos: 2_000,
                aborts: 1_000,
                keyupdate_conns: 4,
                keyupdates: 100_000,
                empty_conns: 8,
                empties: 10_000,
                concurrency: 200,
                wait: Duration::from_secs(3),
            }
        }
    }
}

/// How the server ended (or did not end) one hostile connection.
#[derive(Debug, Default)]
pub struct Tally {
    pub tried: AtomicU64,
    pub alert: AtomicU64,
    pub reset: AtomicU64,
    /// Closed without an alert (FIN).
    pub closed: AtomicU64,
    /// Still open when we gave up waiting (the server did not close it in time).
    pub open: AtomicU64,
    /// The server answered as to a normal client (a bit flip it could ignore, a completed
    /// request before the abort, a KeyUpdate flood it throttled by not reading).
    pub answered: AtomicU64,
}

/// One hostile connection's end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    Alert,
    Reset,
    Closed,
    Open,
    Answered,
}

impl Tally {
    pub fn add(&self, end: End) {
        self.tried.fetch_add(1, Ordering::Relaxed);
        let c = match end {
            End::Alert => &self.alert,
            End::Reset => &self.reset,
            End::Closed => &self.closed,
            End::Open => &self.open,
            End::Answered => &self.answered,
        };
        c.fetch_add(1, Ordering::Relaxed);
    }
    fn get(&self) -> [u64; 6] {
        [
            &self.tried,
            &self.alert,
            &self.reset,
            &self.closed,
            &self.open,
            &self.answered,
        ]
        .map(|c| c.load(Ordering::Relaxed))
    }
}

/// What every phase needs: the address, our client configuration, the server's timeouts.
pub struct Target {
    pub addr: std::net::SocketAddr,
    pub client: Arc<ClientConfig>,
    pub anchors: https_kit::verify::TrustAnchors,
    /// The server closes stalled connections after this (its timeout flags), if it has them.
    pub server_timeout: Option<Duration>,
    pub plan: Plan,
}

pub fn run(args: &[String]) -> Result<()> {
    let quick = args.iter().any(|a| a == "--quick");
    let release = args.iter().any(|a| a == "--release");
    if let Some(a) = args
        .iter()
        .find(|a| !matches!(a.as_str(), "--quick" | "--release"))
    {
        bail!("unknown stress option {a:?} (use --quick, --release)");
    }
    let mut plan = Plan::new(quick);
    let fd_limit = fd_soft_limit();
    // We hold every slowloris socket at once; the server holds one per connection as well.
    if let Some(limit) = fd_limit {
        let cap = (limit as usize).saturating_sub(256) / 2;
        if plan.slowloris > cap {
            println!("stress: descriptor limit {limit}: slowloris capped at {cap}");
            plan.slowloris = cap;
        }
    }
    let dir = tempfile::tempdir()?;
    let (site, cert, key, ca_der) = make_site(dir.path())?;
    let binary = build_cli(release)?;
    let help = Command::new(&binary).args(["serve", "--help"]).output()?;
    let help = String::from_utf8_lossy(&help.stdout).to_string();
    let mut server = start_server(&binary, &site, &cert, &key, &help)?;
    let server_timeout = help
        .contains("--handshake-timeout")
        .then(|| Duration::from_secs(SERVER_TIMEOUT_SECS));
    let anchors = https_kit::verify::TrustAnchors::from_der_list([ca_der.as_slice()])?;
    let client = Arc::new(
        ClientConfig::builder()
            .with_root_certificates(anchors.clone())
            .with_alpn(&[b"http/1.1"])
            .build()?,
    );
    let target = Arc::new(Target {
        addr: server.addr,
        client,
        anchors,
        server_timeout,
        plan,
    });
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let report = rt.block_on(drive(target.clone(), &mut server))?;
    rt.shutdown_timeout(Duration::from_secs(2));
    print_report(&report, &server, &target);
    let failed = report.checks.iter().filter(|c| !c.1).count();
    println!(
        "\n{} passed, {} failed",
        report.checks.len() - failed,
        failed
    );
    if failed > 0 {
        bail!("{failed} stress check(s) failed");
    }
    Ok(())
}

/// A served directory (index.html, a 4 MiB file) and a certificate for localhost / 127.0.0.1.
fn make_site(dir: &Path) -> Result<(PathBuf, PathBuf, PathBuf, Vec<u8>)> {
    let ca = CertificateAuthority::new_root(&CaOptions::root("https-kit stress CA"))?;
    let issued = ca.issue(&["localhost", "127.0.0.1"], &Profile::server())?;
    let site = dir.join("site");
    std::fs::create_dir(&site)?;
    std::fs::write(
        site.join("index.html"),
        "<!doctype html><title>stress</title>ok\n",
    )?;
    let big: Vec<u8> = (0..4 << 20).map(|i: u32| (i % 251) as u8).collect();
    std::fs::write(site.join("big.bin"), big)?;
    let cert = dir.join("site.fullchain.crt");
    let key = dir.join("site.key");
    std::fs::write(&cert, issued.fullchain_pem())?;
    std::fs::write(&key, issued.key.to_pkcs8_pem().as_bytes())?;
    Ok((site, cert, key, ca.cert_der().to_vec()))
}

fn build_cli(release: bool) -> Result<PathBuf> {
    let root = crate::fuzz::workspace_root();
    let mut cmd = Command::new(env!("CARGO"));
    cmd.args(["build", "--quiet", "--package", "https-cli"]);
    if release {
        cmd.arg("--release");
    }
    if !cmd.current_dir(&root).status()?.success() {
        bail!("building https-kit failed");
    }
    let profile = if release { "release" } else { "debug" };
    Ok(root.join("target").join(profile).join("https-kit"))
}

/// The server process; killed when dropped.
pub struct Server {
    child: Child,
    pub addr: std::net::SocketAddr,
    pub flags: Vec<String>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
    fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

fn start_server(bin: &Path, site: &Path, cert: &Path, key: &Path, help: &str) -> Result<Server> {
    let addr = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?;
    let mut flags = Vec::new();
    let t = SERVER_TIMEOUT_SECS.to_string();
    for flag in ["--handshake-timeout", "--header-timeout", "--idle-timeout"] {
        if help.contains(flag) {
            flags.extend([flag.to_string(), t.clone()]);
        }
    }
    // STRESS_SERVER_LOG=FILE: the server logs every connection there (not --quiet), to see
    // why one was slow or stayed open.
    let log = std::env::var_os("STRESS_SERVER_LOG").map(PathBuf::from);
    let (quiet, stderr) = match &log {
        Some(path) => ("", Stdio::from(std::fs::File::create(path)?)),
        None => ("--quiet", Stdio::null()),
    };
    let child = Command::new(bin)
        .arg("serve")
        .arg(site)
        .arg("--cert")
        .arg(cert)
        .arg("--key")
        .arg(key)
        .arg("--addr")
        .arg(addr.to_string())
        .args((quiet == "--quiet").then_some(quiet))
        .args(&flags)
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn()
        .context("starting https-kit serve")?;
    let mut server = Server { child, addr, flags };
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(addr).is_err() {
        if !server.alive() {
            bail!("https-kit serve exited at startup");
        }
        if Instant::now() > deadline {
            bail!("https-kit serve did not listen on {addr} within 10 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(server)
}

fn fd_soft_limit() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

/// The server's VmHWM (peak RSS) in KiB.
fn peak_rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

/// User + system CPU seconds of a process so far (/proc/PID/stat, clock ticks of 1/100 s).
fn cpu_secs(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // The fields after the command name (which may hold spaces) start after the last ')'.
    let rest = stat.rsplit_once(')').map_or("", |r| r.1);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let tick = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (tick(11) + tick(12)) / 100.0
}

fn open_fds(pid: u32) -> u64 {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|d| d.count() as u64)
        .unwrap_or(0)
}

/// The legitimate client's record.
#[derive(Debug, Default)]
pub struct Legit {
    pub latencies: Mutex<Vec<Duration>>,
    /// The phase running now (index into the phases; the settle wait after the last one).
    pub phase: AtomicUsize,
    /// The worst latency seen during each phase (where a spike comes from).
    pub worst_by_phase: Mutex<Vec<Duration>>,
    /// The slowest fetch: TCP connected, handshake done, response read (from its start).
    pub worst_split: Mutex<[Duration; 3]>,
    pub failures: Mutex<Vec<String>>,
}

/// One legitimate fetch: TCP connect, our TLS handshake, GET /, the whole response.
pub async fn fetch(target: &Target) -> Result<Duration> {
    fetch_timed(target).await.map(|t| t[2])
}

/// As [`fetch`], with the times to the TCP connection, to the end of the handshake, and in all.
pub async fn fetch_timed(target: &Target) -> Result<[Duration; 3]> {
    let start = Instant::now();
    let mut marks = [Duration::ZERO; 2];
    let work = async {
        let tcp = tokio::net::TcpStream::connect(target.addr).await?;
        marks[0] = start.elapsed();
        let mut tls = TlsConnector::from(target.client.clone())
            .connect("localhost", tcp)
            .await?;
        marks[1] = start.elapsed();
        tls.write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            .await?;
        let mut body = Vec::new();
        // A close without close_notify after the whole response is fine for HTTP/1.1 here.
        let _ = tls.read_to_end(&mut body).await;
        anyhow::ensure!(
            body.starts_with(b"HTTP/1.1 200") && body.ends_with(b"ok\n"),
            "unexpected response: {:?}",
            String::from_utf8_lossy(&body[..body.len().min(60)])
        );
        anyhow::Ok(())
    };
    tokio::time::timeout(Duration::from_secs(5), work)
        .await
        .map_err(|_| anyhow::anyhow!("no response within 5 s"))??;
    Ok([marks[0], marks[1], start.elapsed()])
}

async fn legit_loop(target: Arc<Target>, legit: Arc<Legit>, stop: Arc<AtomicBool>) {
    while !stop.load(Ordering::Relaxed) {
        match fetch_timed(&target).await {
            Ok(t) => {
                let d = t[2];
                legit.latencies.lock().unwrap().push(d);
                let mut worst = legit.worst_split.lock().unwrap();
                if d > worst[2] {
                    *worst = t;
                }
                drop(worst);
                let i = legit.phase.load(Ordering::Relaxed);
                let mut worst = legit.worst_by_phase.lock().unwrap();
                if worst.len() <= i {
                    worst.resize(i + 1, Duration::ZERO);
                }
                worst[i] = worst[i].max(d);
            }
            Err(e) => legit.failures.lock().unwrap().push(format!("{e:#}")),
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub struct Report {
    phases: Vec<(&'static str, [u64; 6], Duration)>,
    legit: Arc<Legit>,
    rss_kib: u64,
    fds_before: u64,
    fds_peak: u64,
    fds_after: u64,
    checks: Vec<(String, bool)>,
    wall: Duration,
}

async fn drive(target: Arc<Target>, server: &mut Server) -> Result<Report> {
    let started = Instant::now();
    let pid = server.pid();
    fetch(&target).await.context("the server does not serve")?;
    let fds_before = open_fds(pid);
    let fds_peak = Arc::new(AtomicU64::new(fds_before));
    let stop = Arc::new(AtomicBool::new(false));
    let sampler = {
        let (peak, stop) = (fds_peak.clone(), stop.clone());
        tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                peak.fetch_max(open_fds(pid), Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    };
    let legit = Arc::new(Legit::default());
    let legit_task = tokio::spawn(legit_loop(target.clone(), legit.clone(), stop.clone()));

    let mut phases = Vec::new();
    for (i, (name, phase)) in attacks::PHASES.into_iter().enumerate() {
        legit.phase.store(i, Ordering::Relaxed);
        let tally = Arc::new(Tally::default());
        let t0 = Instant::now();
        println!("stress: {name} ...");
        let (server0, ours0) = (cpu_secs(pid), cpu_secs(std::process::id()));
        phase(target.clone(), tally.clone()).await;
        println!(
            "stress: {name}: {:.1} s, CPU: server {:.1} s, attackers+client {:.1} s",
            t0.elapsed().as_secs_f64(),
            cpu_secs(pid) - server0,
            cpu_secs(std::process::id()) - ours0
        );
        phases.push((name, tally.get(), t0.elapsed()));
    }
    // Let the server's timeouts close whatever is still stalled, then count descriptors.
    let settle = target.server_timeout.unwrap_or(Duration::ZERO) + Duration::from_secs(1);
    legit.phase.store(attacks::PHASES.len(), Ordering::Relaxed);
    tokio::time::sleep(settle).await;
    stop.store(true, Ordering::Relaxed);
    let _ = legit_task.await;
    let _ = sampler.await;
    let fds_after = open_fds(pid);
    let rss_kib = peak_rss_kib(pid);
    let still_serving = fetch(&target).await.is_ok() && server.alive();
    let checks = checks(
        &phases,
        &legit,
        rss_kib,
        fds_before,
        fds_after,
        still_serving,
    );
    Ok(Report {
        phases,
        legit,
        rss_kib,
        fds_before,
        fds_peak: fds_peak.load(Ordering::Relaxed),
        fds_after,
        checks,
        wall: started.elapsed(),
    })
}

fn phase<'a>(phases: &'a [(&'static str, [u64; 6], Duration)], name: &str) -> Option<&'a [u64; 6]> {
    phases.iter().find(|p| p.0 == name).map(|p| &p.1)
}

fn checks(
    phases: &[(&'static str, [u64; 6], Duration)],
    legit: &Legit,
    rss_kib: u64,
    fds_before: u64,
    fds_after: u64,
    still_serving: bool,
) -> Vec<(String, bool)> {
    let lat = legit.latencies.lock().unwrap().clone();
    let failures = legit.failures.lock().unwrap().len();
    let worst = lat.iter().max().copied().unwrap_or_default();
    let mut out = vec![
        (
            format!("legitimate client: {} fetches, none failed", lat.len()),
            failures == 0 && lat.len() >= 10,
        ),
        (
            format!(
                "legitimate worst latency < {} ms",
                LATENCY_BOUND.as_millis()
            ),
            !lat.is_empty() && worst < LATENCY_BOUND,
        ),
        (
            "no descriptor left after the timeouts".to_string(),
            fds_after <= fds_before + 2,
        ),
        (
            format!("peak RSS (VmHWM) under {RSS_BOUND_MIB} MiB"),
            rss_kib < RSS_BOUND_MIB * 1024,
        ),
        ("the server still serving".to_string(), still_serving),
    ];
    if let Some(s) = phase(phases, "slowloris") {
        out.push((
            "every slowloris connection closed by the server".to_string(),
            s[4] == 0,
        ));
    }
    if let Some(e) = phase(phases, "empty-record flood") {
        out.push((
            "every empty-record flood ended with an alert".to_string(),
            e[0] > 0 && e[1] == e[0],
        ));
    }
    out
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn print_report(r: &Report, server: &Server, target: &Target) {
    println!(
        "\nstress: https-kit serve (pid {}) on {} {}; {:.0} s",
        server.pid(),
        server.addr,
        if server.flags.is_empty() {
            "without timeout flags".to_string()
        } else {
            server.flags.join(" ")
        },
        r.wall.as_secs_f64()
    );
    println!(
        "\n{:<20} {:>7} {:>7} {:>7} {:>7} {:>8} {:>9} {:>7} {:>11}",
        "phase", "tried", "alert", "reset", "closed", "timeout", "answered", "secs", "legit worst"
    );
    let mut total = [0u64; 6];
    let worst = r.legit.worst_by_phase.lock().unwrap().clone();
    let worst_ms = |i: usize| worst.get(i).map_or(0.0, |d| d.as_secs_f64() * 1e3);
    for (i, (name, c, d)) in r.phases.iter().enumerate() {
        println!(
            "{:<20} {:>7} {:>7} {:>7} {:>7} {:>8} {:>9} {:>7.1} {:>8.1} ms",
            name,
            c[0],
            c[1],
            c[2],
            c[3],
            c[4],
            c[5],
            d.as_secs_f64(),
            worst_ms(i)
        );
        for (t, v) in total.iter_mut().zip(c) {
            *t += v;
        }
    }
    println!(
        "{:<20} {:>7} {:>7} {:>7} {:>7} {:>8} {:>9}",
        "total", total[0], total[1], total[2], total[3], total[4], total[5]
    );
    println!("{:<20} {:>63.1} ms", "(settling)", worst_ms(r.phases.len()));
    println!("(timeout = still open when we stopped waiting: {:?} per connection, or the server's timeouts + 3 s for slowloris)", target.plan.wait);
    let mut lat = r.legit.latencies.lock().unwrap().clone();
    lat.sort();
    let failures = r.legit.failures.lock().unwrap();
    println!(
        "\nlegitimate: {} handshakes + GETs completed, {} failed; latency p50 {:.1} ms, p99 {:.1} ms, worst {:.1} ms",
        lat.len(),
        failures.len(),
        percentile(&lat, 0.5).as_secs_f64() * 1e3,
        percentile(&lat, 0.99).as_secs_f64() * 1e3,
        lat.last().copied().unwrap_or_default().as_secs_f64() * 1e3
    );
    let split = r
        .legit
        .worst_split
        .lock()
        .unwrap()
        .map(|d| d.as_secs_f64() * 1e3);
    println!(
        "  the slowest: TCP connected at {:.1} ms, handshake done at {:.1} ms, response at {:.1} ms",
        split[0], split[1], split[2]
    );
    for f in failures.iter().take(3) {
        println!("  failed: {f}");
    }
    println!(
        "server: peak RSS (VmHWM) {:.1} MiB (bound {RSS_BOUND_MIB} MiB); descriptors before {}, peak {}, after {}",
        r.rss_kib as f64 / 1024.0,
        r.fds_before,
        r.fds_peak,
        r.fds_after
    );
    println!("\nchecks:");
    for (name, ok) in &r.checks {
        println!("  {} {name}", if *ok { "✓" } else { "✗" });
    }
}
