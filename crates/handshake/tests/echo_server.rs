//! The `echo_server` example against real peers on loopback: rustls (each chunk comes back in one
//! record, and our close_notify is answered with close_notify) and `openssl s_client` (echo, then
//! resumption with `-sess_out` / `-sess_in` against the library's default ticket settings).
#![cfg(feature = "tokio")]

mod common;

#[allow(dead_code)]
#[path = "../examples/echo_server.rs"]
mod echo_server;

use std::io::{BufRead, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use https_pki::{KeyType, Profile};
use rustls::crypto::ring::{cipher_suite, kx_group};

struct Files {
    dir: tempfile::TempDir,
    fullchain: String,
    key: String,
}

fn files() -> Files {
    let issued = pki()
        .ca
        .issue(
            &["localhost"],
            &Profile::server().key_type(KeyType::EcdsaP256),
        )
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("ca.crt"), pki().ca.cert_pem()).unwrap();
    Files {
        dir,
        fullchain: issued.fullchain_pem(),
        key: issued.key.to_pkcs8_pem().to_string(),
    }
}

/// Starts the example's server on an ephemeral loopback port (in this test's runtime).
async fn start(f: &Files) -> SocketAddr {
    let config = echo_server::config(f.fullchain.as_bytes(), f.key.as_bytes()).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(echo_server::serve(listener, config));
    addr
}

/// Reads one whole TLS record from `tcp` (header + body).
fn read_record(tcp: &mut TcpStream) -> Option<Vec<u8>> {
    let mut rec = vec![0u8; 5];
    tcp.read_exact(&mut rec).ok()?;
    let len = u16::from_be_bytes([rec[3], rec[4]]) as usize;
    rec.resize(5 + len, 0);
    tcp.read_exact(&mut rec[5..]).ok()?;
    Some(rec)
}

/// Feeds one record to rustls; returns the plaintext it yielded.
fn feed(c: &mut rustls::ClientConnection, rec: &[u8]) -> Vec<u8> {
    let mut rd = rec;
    while !rd.is_empty() {
        c.read_tls(&mut rd).unwrap();
    }
    c.process_new_packets().unwrap();
    let mut out = Vec::new();
    let mut buf = [0u8; 16384];
    while let Ok(n) = c.reader().read(&mut buf) {
        if n == 0 {
            break;
        }
        out.extend_from_slice(&buf[..n]);
    }
    out
}

fn rustls_session(addr: SocketAddr) {
    let cfg = rustls_client(
        rustls_provider(cipher_suite::TLS13_AES_128_GCM_SHA256, kx_group::X25519),
        &pki().ca,
        &[],
    );
    let mut c = rustls_client_conn(cfg, "localhost");
    let mut tcp = TcpStream::connect(addr).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    while c.is_handshaking() {
        c.complete_io(&mut tcp).unwrap();
    }
    for size in [1, 5000, 16384] {
        let chunk: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
        c.writer().write_all(&chunk).unwrap();
        while c.wants_write() {
            c.write_tls(&mut tcp).unwrap();
        }
        // Records without plaintext (tickets) may come first; the echo is one whole record.
        let echoed = loop {
            let got = feed(&mut c, &read_record(&mut tcp).expect("echo record"));
            if !got.is_empty() {
                break got;
            }
        };
        assert_eq!(echoed, chunk, "{size}-byte chunk back in one record");
    }
    c.send_close_notify();
    while c.wants_write() {
        c.write_tls(&mut tcp).unwrap();
    }
    // The server answers with close_notify (rustls reads Ok(0) only after one) and closes.
    let rec = read_record(&mut tcp).expect("close_notify record");
    assert!(feed(&mut c, &rec).is_empty());
    let mut buf = [0u8; 1];
    assert_eq!(c.reader().read(&mut buf).unwrap(), 0, "clean close");
    assert_eq!(tcp.read(&mut buf).unwrap(), 0, "then TCP EOF");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn echo_server_echoes_each_chunk_in_one_record_and_answers_close_notify() {
    let f = files();
    let addr = start(&f).await;
    tokio::task::spawn_blocking(move || rustls_session(addr))
        .await
        .unwrap();
}

fn have_openssl() -> bool {
    match Command::new("openssl").arg("version").output() {
        Ok(o) if o.status.success() => true,
        _ => {
            eprintln!("skipping: openssl is not installed");
            false
        }
    }
}

/// One `openssl s_client` run: sends a line, waits for its echo, closes stdin (s_client then sends
/// close_notify) and returns everything it printed. Bounded: 20 s, then killed.
fn s_client(addr: SocketAddr, dir: &std::path::Path, sess_flag: &str) -> String {
    let mut child = Command::new("openssl")
        .args(["s_client", "-tls1_3", "-connect", &addr.to_string()])
        .args(["-servername", "localhost", "-verify_return_error"])
        .arg("-CAfile")
        .arg(dir.join("ca.crt"))
        .arg(sess_flag)
        .arg(dir.join("session.pem"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    if let Some(w) = stdin.as_mut() {
        w.write_all(b"ping from openssl\n").unwrap();
        w.flush().unwrap();
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut out = String::new();
    while let Ok(line) = rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
        out.push_str(&line);
        out.push('\n');
        if line == "ping from openssl" {
            stdin = None; // EOF on stdin: s_client sends close_notify
        }
    }
    drop(stdin);
    let _ = child.kill();
    let _ = child.wait();
    let _ = reader.join();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openssl_s_client_gets_the_echo_and_resumes_with_default_tickets() {
    if !have_openssl() {
        return;
    }
    let f = files();
    let addr = start(&f).await;
    let dir = f.dir.path().to_path_buf();
    let (first, second) = tokio::task::spawn_blocking(move || {
        (
            s_client(addr, &dir, "-sess_out"),
            s_client(addr, &dir, "-sess_in"),
        )
    })
    .await
    .unwrap();
    for out in [&first, &second] {
        assert!(
            out.lines().any(|l| l == "ping from openssl"),
            "no echo:\n{out}"
        );
    }
    assert!(first.contains("New, TLSv1.3"), "{first}");
    assert!(second.contains("Reused, TLSv1.3"), "{second}");
}

/// Runs `gnutls-cli -d 4` (debug log on stderr names each NewSessionTicket) with `line` on stdin,
/// stdin then closed; killed after 20 s. Returns stdout + stderr.
fn gnutls_cli(addr: SocketAddr, dir: &std::path::Path, extra: &[&str], line: &str) -> String {
    let mut child = Command::new("gnutls-cli")
        .args(["-d", "4", "--x509cafile"])
        .arg(dir.join("ca.crt"))
        .args(["-p", &addr.port().to_string()])
        .args(extra)
        .arg("localhost")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(line.as_bytes())
        .unwrap();
    let drain = |r: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut v = Vec::new();
            if let Some(mut r) = r {
                let _ = r.read_to_end(&mut v);
            }
            String::from_utf8_lossy(&v).into_owned()
        })
    };
    let out = drain(child.stdout.take().map(|r| Box::new(r) as _));
    let err = drain(child.stderr.take().map(|r| Box::new(r) as _));
    let deadline = Instant::now() + Duration::from_secs(20);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.wait();
    format!("{}{}", out.join().unwrap(), err.join().unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gnutls_gets_two_tickets_and_none_when_it_offers_only_psk_ke() {
    if Command::new("gnutls-cli")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("skipping: gnutls-cli is not installed");
        return;
    }
    let f = files();
    let addr = start(&f).await;
    let dir = f.dir.path().to_path_buf();
    let (default, psk_ke) = tokio::task::spawn_blocking(move || {
        let default = gnutls_cli(addr, &dir, &[], "hello gnutls\n");
        // External-PSK-only priorities make gnutls list psk_ke alone (no psk_dhe_ke); its PSK is
        // not ours, so the server ignores it and authenticates with its certificate.
        let psk_ke = gnutls_cli(
            addr,
            &dir,
            &[
                "--priority",
                "NORMAL:-ECDHE-PSK:-DHE-PSK:+PSK",
                "--pskusername",
                "someone",
                "--pskkey",
                "00112233445566778899aabbccddeeff",
            ],
            "hello psk_ke\n",
        );
        (default, psk_ke)
    })
    .await
    .unwrap();
    let tickets = |out: &str| out.matches("NEW SESSION TICKET (4) was received").count();
    for (out, line) in [(&default, "hello gnutls"), (&psk_ke, "hello psk_ke")] {
        assert!(out.lines().any(|l| l == line), "no echo:\n{out}");
        assert!(
            out.contains("Peer has closed the GnuTLS connection"),
            "{out}"
        );
    }
    assert_eq!(tickets(&default), 2, "{default}");
    assert!(
        psk_ke.contains("PSK Key Exchange Modes/45 (2 bytes)"),
        "{psk_ke}"
    );
    assert_eq!(tickets(&psk_ke), 0, "psk_ke only: no tickets");
}
