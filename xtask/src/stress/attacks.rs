//! The hostile phases of `cargo xtask stress`. Each phase runs a bounded number of connections
//! (bounded concurrency, every wait bounded) and records how each one ended in its [`Tally`].

use std::future::Future;
use std::io::{self, Read, Write};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::BytesMut;
use https_kit::handshake::{
    ClientConfig, ClientConnection, Connection, Error, KeyLog, TlsConnector,
};
use https_kit::record::{ContentType, RecordSealer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::task::JoinSet;

use super::{End, Tally, Target};

type Phase = fn(Arc<Target>, Arc<Tally>) -> Pin<Box<dyn Future<Output = ()> + Send>>;

/// The phases in the order they run.
pub const PHASES: [(&str, Phase); 6] = [
    ("slowloris", |t, s| Box::pin(slowloris(t, s))),
    ("random bytes", |t, s| Box::pin(random_bytes(t, s))),
    ("bad ClientHellos", |t, s| Box::pin(bad_hellos(t, s))),
    ("abort mid-transfer", |t, s| Box::pin(aborts(t, s))),
    ("KeyUpdate flood", |t, s| {
        let n = t.plan.keyupdate_conns;
        Box::pin(blocking(t, s, n, keyupdate_flood))
    }),
    ("empty-record flood", |t, s| {
        let n = t.plan.empty_conns;
        Box::pin(blocking(t, s, n, empty_record_flood))
    }),
];

/// A small deterministic generator (xorshift64*): the same run every time.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

/// Runs `n` connections, at most `concurrency` at once.
async fn many<F, Fut>(n: usize, concurrency: usize, tally: Arc<Tally>, f: F)
where
    F: Fn(usize) -> Fut,
    Fut: Future<Output = End> + Send + 'static,
{
    let mut set = JoinSet::new();
    for i in 0..n {
        while set.len() >= concurrency {
            if let Some(Ok(end)) = set.join_next().await {
                tally.add(end);
            }
        }
        set.spawn(f(i));
    }
    while let Some(r) = set.join_next().await {
        if let Ok(end) = r {
            tally.add(end);
        }
    }
}

/// Reads until the server closes, resets or `wait` passes; classifies by the first byte it sent.
async fn wait_end(stream: &mut TcpStream, wait: Duration) -> End {
    let deadline = tokio::time::Instant::now() + wait;
    let mut first: Option<u8> = None;
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Ok(Ok(0)) => {
                return match first {
                    Some(0x15) => End::Alert,
                    _ => End::Closed,
                }
            }
            Ok(Ok(_)) => {
                first.get_or_insert(buf[0]);
            }
            Ok(Err(e)) if e.kind() == io::ErrorKind::ConnectionReset => {
                return if first == Some(0x15) {
                    End::Alert
                } else {
                    End::Reset
                }
            }
            Ok(Err(_)) => return End::Closed,
            Err(_) => {
                return match first {
                    Some(0x16) => End::Answered,
                    Some(0x15) => End::Alert,
                    _ => End::Open,
                }
            }
        }
    }
}

/// How an error from our TLS stream ended the connection.
fn end_of(e: &io::Error) -> End {
    if let Some(Error::AlertReceived(_)) = e.get_ref().and_then(|x| x.downcast_ref::<Error>()) {
        return End::Alert;
    }
    match e.kind() {
        io::ErrorKind::ConnectionReset => End::Reset,
        _ => End::Closed,
    }
}

/// Our client's first flight (a real ClientHello record).
fn client_hello(target: &Target) -> Vec<u8> {
    let mut conn = ClientConnection::new(target.client.clone(), "localhost")
        .expect("client connection")
        .into_inner();
    let mut out = Vec::new();
    while conn.wants_write() {
        if conn.write_tls(&mut out).unwrap_or(0) == 0 {
            break;
        }
    }
    out
}

/// Silent connections, half a ClientHello, half the HTTP headers: all held at once until the
/// server closes them (its timeouts) or we stop waiting.
async fn slowloris(target: Arc<Target>, tally: Arc<Tally>) {
    let hold = match target.server_timeout {
        // Past --max-connections accepting pauses: the last ones wait for earlier ones to go.
        Some(t) => t * 3 + Duration::from_secs(3),
        None => target.plan.wait + Duration::from_secs(2),
    };
    let hello = Arc::new(client_hello(&target));
    let n = target.plan.slowloris;
    many(n, n, tally, move |i| {
        let (target, hello) = (target.clone(), hello.clone());
        async move {
            let Ok(mut tcp) = TcpStream::connect(target.addr).await else {
                return End::Reset;
            };
            let t0 = Instant::now();
            let local = tcp.local_addr().ok();
            let end = match i % 3 {
                0 => wait_end(&mut tcp, hold).await,
                1 => {
                    let _ = tcp.write_all(&hello[..hello.len() / 2]).await;
                    wait_end(&mut tcp, hold).await
                }
                _ => half_headers(&target, tcp, hold).await,
            };
            if end == End::Open {
                let kind = ["silent", "half a ClientHello", "half the headers"][i % 3];
                let held = t0.elapsed();
                println!(
                    "stress: slowloris #{i} ({kind}, from {local:?}) still open after {held:?}"
                );
            }
            end
        }
    })
    .await;
}

async fn half_headers(target: &Target, tcp: TcpStream, hold: Duration) -> End {
    let deadline = tokio::time::Instant::now() + hold;
    let connector = TlsConnector::from(target.client.clone());
    let mut tls = match tokio::time::timeout_at(deadline, connector.connect("localhost", tcp)).await
    {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => return end_of(&e),
        Err(_) => return End::Open,
    };
    if tls
        .write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\nX-Slow: ")
        .await
        .is_err()
    {
        return End::Closed;
    }
    let mut buf = [0u8; 1024];
    loop {
        match tokio::time::timeout_at(deadline, tls.read(&mut buf)).await {
            Ok(Ok(0)) => return End::Closed,
            Ok(Ok(_)) => {} // e.g. a 408 before the close
            Ok(Err(e)) => return end_of(&e),
            Err(_) => return End::Open,
        }
    }
}

/// Connections that send random bytes (half of them then half-close).
async fn random_bytes(target: Arc<Target>, tally: Arc<Tally>) {
    let plan = target.plan;
    many(plan.random, plan.concurrency, tally, move |i| {
        let target = target.clone();
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ (i as u64 + 1));
        let len = 1 + rng.below(2048);
        let bytes = rng.bytes(len);
        async move {
            let Ok(mut tcp) = TcpStream::connect(target.addr).await else {
                return End::Reset;
            };
            let _ = tcp.write_all(&bytes).await;
            if i % 2 == 0 {
                let _ = tcp.shutdown().await;
            }
            wait_end(&mut tcp, target.plan.wait).await
        }
    })
    .await;
}

/// A real ClientHello cut short (then half-closed or left hanging) or with 1–4 bits flipped.
async fn bad_hellos(target: Arc<Target>, tally: Arc<Tally>) {
    let hello = Arc::new(client_hello(&target));
    let plan = target.plan;
    many(plan.hellos, plan.concurrency, tally, move |i| {
        let (target, hello) = (target.clone(), hello.clone());
        let mut rng = Rng(0x51_7cc1_b727_220a ^ (i as u64 + 1));
        let mut bytes = hello.to_vec();
        if i % 2 == 0 {
            bytes.truncate(1 + rng.below(bytes.len() - 1));
        } else {
            for _ in 0..1 + rng.below(4) {
                let at = rng.below(bytes.len());
                bytes[at] ^= 1 << rng.below(8);
            }
        }
        async move {
            let Ok(mut tcp) = TcpStream::connect(target.addr).await else {
                return End::Reset;
            };
            let _ = tcp.write_all(&bytes).await;
            if i % 4 == 0 {
                let _ = tcp.shutdown().await;
            }
            wait_end(&mut tcp, target.plan.wait).await
        }
    })
    .await;
}

/// Clients that start downloading a 4 MiB file and reset the connection after 64 KiB.
async fn aborts(target: Arc<Target>, tally: Arc<Tally>) {
    let plan = target.plan;
    many(plan.aborts, plan.concurrency.min(50), tally, move |_| {
        let target = target.clone();
        async move {
            let work = async {
                let tcp = TcpStream::connect(target.addr).await?;
                let mut tls = TlsConnector::from(target.client.clone())
                    .connect("localhost", tcp)
                    .await?;
                tls.write_all(b"GET /big.bin HTTP/1.1\r\nHost: localhost\r\n\r\n")
                    .await?;
                let mut got = 0;
                let mut buf = vec![0u8; 16_384];
                while got < 64 * 1024 {
                    match tls.read(&mut buf).await? {
                        0 => return Ok(End::Closed),
                        n => got += n,
                    }
                }
                // RST instead of FIN: the harshest way to go away mid-response.
                tls.get_ref().0.set_zero_linger()?;
                Ok::<_, io::Error>(End::Answered)
            };
            match tokio::time::timeout(Duration::from_secs(10), work).await {
                Ok(Ok(end)) => end,
                Ok(Err(e)) => end_of(&e),
                Err(_) => End::Open,
            }
        }
    })
    .await;
}

/// Runs a blocking (sans-IO driven) flood on the blocking pool, one thread per connection.
async fn blocking(
    target: Arc<Target>,
    tally: Arc<Tally>,
    conns: usize,
    f: fn(&Target, usize) -> End,
) {
    let mut set = JoinSet::new();
    for i in 0..conns {
        let target = target.clone();
        set.spawn_blocking(move || f(&target, i));
    }
    while let Some(r) = set.join_next().await {
        tally.add(r.unwrap_or(End::Closed));
    }
}

fn io_end(e: &io::Error) -> End {
    match e.kind() {
        io::ErrorKind::ConnectionReset | io::ErrorKind::BrokenPipe => End::Reset,
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => End::Open,
        _ => end_of(e),
    }
}

/// Connects and completes a handshake with a blocking socket (5 s read, 2 s write timeouts).
fn connect_blocking(
    target: &Target,
    config: Arc<ClientConfig>,
) -> io::Result<(std::net::TcpStream, Connection)> {
    let mut sock = std::net::TcpStream::connect(target.addr)?;
    sock.set_read_timeout(Some(Duration::from_secs(5)))?;
    sock.set_write_timeout(Some(Duration::from_secs(2)))?;
    let mut conn = ClientConnection::new(config, "localhost")?.into_inner();
    for _ in 0..100 {
        while conn.wants_write() {
            conn.write_tls(&mut sock)?;
        }
        if !conn.is_handshaking() {
            return Ok((sock, conn));
        }
        if conn.read_tls(&mut sock)? == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        conn.process_new_packets()?;
    }
    Err(io::Error::other("handshake did not finish"))
}

/// A client that asks for a KeyUpdate over and over and never reads: the server owes at most one
/// reply at a time and stops reading while its unsent output is over its cap. Answered = the
/// server took every KeyUpdate or pushed back (our writes blocked); its memory is the RSS check.
fn keyupdate_flood(target: &Target, _: usize) -> End {
    let (mut sock, mut conn) = match connect_blocking(target, target.client.clone()) {
        Ok(x) => x,
        Err(e) => return io_end(&e),
    };
    let started = Instant::now();
    let mut out = Vec::new();
    for k in 0..target.plan.keyupdates {
        if conn.send_key_update(true).is_err() {
            return End::Closed;
        }
        while conn.wants_write() {
            if conn.write_tls(&mut out).unwrap_or(0) == 0 {
                break;
            }
        }
        if k % 256 == 255 || k + 1 == target.plan.keyupdates {
            if let Err(e) = sock.write_all(&out) {
                return match io_end(&e) {
                    End::Open => End::Answered, // the server stopped reading: back-pressure
                    end => end,
                };
            }
            out.clear();
        }
        if started.elapsed() > Duration::from_secs(30) {
            break;
        }
    }
    End::Answered
}

#[derive(Debug, Default)]
struct Secrets(Mutex<Vec<(String, Vec<u8>)>>);

impl KeyLog for Secrets {
    fn log(&self, label: &str, _: &[u8], secret: &[u8]) {
        self.0.lock().unwrap().push((label.into(), secret.to_vec()));
    }
}

/// After the handshake, a run of empty application-data records (sealed with the client's
/// traffic key from the key log): the server must stop them with unexpected_message.
fn empty_record_flood(target: &Target, _: usize) -> End {
    let secrets = Arc::new(Secrets::default());
    let config = ClientConfig::builder()
        .with_root_certificates(target.anchors.clone())
        .with_alpn(&[b"http/1.1"])
        .with_key_log(secrets.clone())
        .build()
        .expect("client config");
    let (mut sock, mut conn) = match connect_blocking(target, Arc::new(config)) {
        Ok(x) => x,
        Err(e) => return io_end(&e),
    };
    let secret = secrets
        .0
        .lock()
        .unwrap()
        .iter()
        .find(|(l, _)| l == "CLIENT_TRAFFIC_SECRET_0")
        .map(|(_, s)| s.clone());
    let (Some(suite), Some(secret)) = (conn.negotiated_cipher_suite(), secret) else {
        return End::Closed;
    };
    let mut sealer = RecordSealer::from_secret(suite, &secret);
    let mut out = BytesMut::new();
    for _ in 0..target.plan.empties {
        if sealer
            .seal_into(ContentType::ApplicationData, &[], &mut out)
            .is_err()
        {
            break;
        }
    }
    if let Err(e) = sock.write_all(&out) {
        return io_end(&e);
    }
    // The server's answer: an alert (through our connection, which holds its keys) or a close.
    let mut buf = [0u8; 16_384];
    for _ in 0..1000 {
        let n = match sock.read(&mut buf) {
            Ok(0) => return End::Closed,
            Ok(n) => n,
            Err(e) => return io_end(&e),
        };
        let mut rd = &buf[..n];
        while !rd.is_empty() {
            if conn.read_tls(&mut rd).is_err() {
                break;
            }
            match conn.process_new_packets() {
                Err(Error::AlertReceived(_)) => return End::Alert,
                Err(_) => return End::Closed,
                Ok(_) => {}
            }
        }
    }
    End::Open
}
