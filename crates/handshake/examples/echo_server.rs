//! The classic first program of a TLS library: a TLS 1.3 echo server on tokio.
//!
//! ```text
//! cargo run --release -p https-handshake --features tokio --example echo_server -- \
//!     --cert FULLCHAIN.pem --key KEY.pem --addr 127.0.0.1:8443
//! openssl s_client -connect 127.0.0.1:8443 -CAfile ca.crt      # type a line, get it back
//! ```
//!
//! Each chunk of application data is written back as it is read, in one record; the client's
//! close_notify is answered with ours. Session tickets are on (library default), so clients resume;
//! `SSLKEYLOGFILE` is honoured. Limits: 256 connections at a time, 10 s to finish a handshake,
//! 5 minutes idle.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use https_handshake::{CertifiedKey, KeyLogFile, ServerConfig, TlsAcceptor};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// Connections served at once; more wait in the listen backlog.
pub const MAX_CONNECTIONS: usize = 256;
/// Time allowed for a handshake.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// A connection silent this long is closed.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(300);

struct Args {
    cert: PathBuf,
    key: PathBuf,
    addr: SocketAddr,
}

fn parse_args() -> Result<Args, String> {
    let usage = "usage: echo_server --cert FULLCHAIN --key KEY --addr IP:PORT";
    let (mut cert, mut key, mut addr) = (None, None, None);
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it
            .next()
            .ok_or_else(|| format!("{flag} needs a value\n{usage}"))?;
        match flag.as_str() {
            "--cert" => cert = Some(PathBuf::from(value)),
            "--key" => key = Some(PathBuf::from(value)),
            "--addr" => {
                addr = Some(
                    value
                        .parse()
                        .map_err(|e| format!("--addr {value}: {e}\n{usage}"))?,
                )
            }
            _ => return Err(format!("unknown argument {flag}\n{usage}")),
        }
    }
    match (cert, key, addr) {
        (Some(cert), Some(key), Some(addr)) => Ok(Args { cert, key, addr }),
        _ => Err(usage.to_string()),
    }
}

/// The server configuration: one certificate chain, library defaults, key log if asked for.
pub fn config(fullchain_pem: &[u8], key_pem: &[u8]) -> Result<Arc<ServerConfig>, String> {
    let ck = CertifiedKey::from_pem(fullchain_pem, key_pem).map_err(|e| e.to_string())?;
    let key_log = KeyLogFile::from_env().map_err(|e| format!("SSLKEYLOGFILE: {e}"))?;
    let config = ServerConfig::builder()
        .with_certified_key(ck)
        .with_key_log(Arc::new(key_log))
        .build()
        .map_err(|e| e.to_string())?;
    Ok(Arc::new(config))
}

/// Accepts connections forever, echoing on each (at most [`MAX_CONNECTIONS`] at a time).
pub async fn serve(listener: TcpListener, config: Arc<ServerConfig>) -> std::io::Result<()> {
    let acceptor = TlsAcceptor::from(config);
    let slots = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
    loop {
        let permit = slots
            .clone()
            .acquire_owned()
            .await
            .map_err(std::io::Error::other)?;
        let (tcp, peer) = listener.accept().await?;
        let acceptor = acceptor.clone();
        tokio::spawn(async move {
            if let Err(e) = echo(acceptor, tcp).await {
                eprintln!("echo_server: {peer}: {e}");
            }
            drop(permit);
        });
    }
}

/// One connection: handshake, then echo each chunk until the client's close_notify.
async fn echo(acceptor: TlsAcceptor, tcp: tokio::net::TcpStream) -> std::io::Result<()> {
    let timed_out = |what| std::io::Error::new(std::io::ErrorKind::TimedOut, what);
    let mut tls = tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp))
        .await
        .map_err(|_| timed_out("handshake timed out"))??;
    // One maximum record of plaintext: each read is written back as one record.
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = tokio::time::timeout(IDLE_TIMEOUT, tls.read(&mut buf))
            .await
            .map_err(|_| timed_out("idle"))??;
        if n == 0 {
            // close_notify received: answer with ours, then close.
            return tls.shutdown().await;
        }
        tls.write_all(&buf[..n]).await?;
        tls.flush().await?;
    }
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let run = async {
        let args = parse_args()?;
        let read = |p: &PathBuf| std::fs::read(p).map_err(|e| format!("{}: {e}", p.display()));
        let config = config(&read(&args.cert)?, &read(&args.key)?)?;
        let listener = TcpListener::bind(args.addr)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", args.addr))?;
        eprintln!("echo_server: listening on {}", args.addr);
        serve(listener, config).await.map_err(|e| e.to_string())
    };
    match run.await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("echo_server: {e}");
            std::process::ExitCode::from(2)
        }
    }
}
