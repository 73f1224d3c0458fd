//! `serve`'s limits, reached on purpose: a silent connection and half a ClientHello are closed by
//! the handshake timeout, half a header block by the header timeout, an idle keep-alive
//! connection by the idle timeout; 200 stalled connections against `--max-connections 50` do not
//! keep a real client out, and at the limit a new client takes the longest-stalled one's place;
//! an oversized header block gets 431. Short flag values keep each fast.

mod common;

use common::*;
use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::Duration;

/// Reads until the server closes the connection (EOF or reset); false if it is still open after
/// `limit`. Data the server sends first (an alert, a response) is skipped.
fn closed_by_server(stream: &mut impl Read, limit: Duration) -> bool {
    let deadline = std::time::Instant::now() + limit;
    let mut buf = [0u8; 4096];
    while std::time::Instant::now() < deadline {
        match stream.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => {}
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => return true, // reset, or the TLS layer saw the transport end
        }
    }
    false
}

fn connect(port: u16) -> TcpStream {
    let s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    s
}

#[test]
fn silent_tcp_and_half_a_client_hello_are_closed_by_the_handshake_timeout() {
    let f = Fixture::new();
    let server = f.serve(&["--handshake-timeout", "1"]);
    let mut silent = connect(server.port);
    let mut half = connect(server.port);
    // A handshake record announcing 512 bytes of ClientHello, of which 11 arrive.
    half.write_all(&[
        0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03,
    ])
    .unwrap();
    assert!(closed_by_server(&mut silent, Duration::from_secs(10)));
    assert!(closed_by_server(&mut half, Duration::from_secs(10)));
    assert!(
        eventually(Duration::from_secs(5), || server
            .log_text()
            .contains("TLS handshake timed out")),
        "{}",
        server.log_text()
    );
}

/// A rustls client (an independent TLS stack) trusting the fixture CA, over plain std sockets.
/// A rustls TLS 1.3 client config trusting the fixture's CA and offering `alpn`.
fn rustls_config(f: &Fixture, alpn: &[u8]) -> Arc<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    for block in pem::parse_many(std::fs::read(f.path("ca/ca.crt")).unwrap()).unwrap() {
        roots
            .add(rustls_pki_types::CertificateDer::from(
                block.contents().to_vec(),
            ))
            .unwrap();
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![alpn.to_vec()];
    Arc::new(config)
}

/// Reads `tls` (handing each chunk to `got`) until the peer closes it or `limit` passes; true
/// when it was closed (EOF or an error other than a read timeout).
fn read_until_closed(tls: &mut impl Read, limit: Duration, mut got: impl FnMut(&[u8])) -> bool {
    let mut buf = vec![0u8; 1 << 16];
    eventually(limit, || match tls.read(&mut buf) {
        Ok(0) => true,
        Ok(n) => {
            got(&buf[..n]);
            false
        }
        Err(e) => !matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut),
    })
}

fn rustls_client(
    f: &Fixture,
    port: u16,
) -> rustls::StreamOwned<rustls::ClientConnection, TcpStream> {
    rustls_client_alpn(f, port, b"http/1.1")
}

fn rustls_client_alpn(
    f: &Fixture,
    port: u16,
    alpn: &[u8],
) -> rustls::StreamOwned<rustls::ClientConnection, TcpStream> {
    let name = rustls_pki_types::ServerName::try_from("site.test").unwrap();
    let conn = rustls::ClientConnection::new(rustls_config(f, alpn), name).unwrap();
    let sock = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    sock.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut stream = rustls::StreamOwned::new(conn, sock);
    // Finish the handshake before the test starts its clock.
    while stream.conn.is_handshaking() {
        stream
            .conn
            .complete_io(&mut stream.sock)
            .expect("TLS handshake with serve");
    }
    stream
        .sock
        .set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    stream
}

#[test]
fn half_sent_headers_are_closed_by_the_header_timeout() {
    let f = Fixture::new();
    let server = f.serve(&["--header-timeout", "1", "--idle-timeout", "120"]);
    let mut tls = rustls_client(&f, server.port);
    tls.write_all(b"GET / HTTP/1.1\r\nHost: site.test\r\nX-Slow: ")
        .unwrap();
    tls.flush().unwrap();
    assert!(closed_by_server(&mut tls, Duration::from_secs(10)));
    assert!(
        eventually(Duration::from_secs(5), || server
            .log_text()
            .contains("request headers timed out")),
        "{}",
        server.log_text()
    );
}

#[test]
fn an_idle_keep_alive_connection_is_closed_by_the_idle_timeout() {
    let f = Fixture::new();
    let server = f.serve(&["--idle-timeout", "1", "--header-timeout", "120"]);
    let mut tls = rustls_client(&f, server.port);
    tls.write_all(b"GET / HTTP/1.1\r\nHost: site.test\r\n\r\n")
        .unwrap();
    tls.flush().unwrap();
    // The response arrives, and the connection then stays open only until the idle timeout.
    let mut got = Vec::new();
    let closed = read_until_closed(&mut tls, Duration::from_secs(10), |b| {
        got.extend_from_slice(b)
    });
    let response = String::from_utf8_lossy(&got);
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.contains("<h1>index</h1>"), "{response}");
    assert!(closed, "idle connection still open");
}

#[test]
fn two_hundred_stalled_connections_do_not_keep_a_client_out_at_max_connections_50() {
    if !need(&["curl"]) {
        return;
    }
    let f = Fixture::new();
    let server = f.serve(&["--max-connections", "50", "--handshake-timeout", "1"]);
    let stalled: Vec<TcpStream> = (0..200).map(|_| connect(server.port)).collect();
    // Each round of 50 times out after 1 s; the client, queued behind them, is then served.
    let out = f.curl(
        server.port,
        &["--fail", &format!("https://site.test:{}/", server.port)],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "<h1>index</h1>\n");
    drop(stalled);
    // The server is still healthy.
    let out = f.curl(
        server.port,
        &["--fail", &format!("https://site.test:{}/", server.port)],
    );
    assert!(out.status.success(), "{}", text(&out));
}

#[test]
fn at_max_connections_a_new_client_takes_the_place_of_the_longest_stalled_one() {
    if !need(&["curl"]) {
        return;
    }
    let f = Fixture::new();
    // Handshake timeout far beyond curl's --max-time: only shedding can let curl in.
    let server = f.serve(&["--max-connections", "20", "--handshake-timeout", "300"]);
    // Accepted in connect order (the kernel's queue is FIFO): the first has been quiet longest,
    // and curl (60 s --max-time) comes after all of them.
    let mut stalled: Vec<TcpStream> = (0..20).map(|_| connect(server.port)).collect();
    let out = f.curl(
        server.port,
        &["--fail", &format!("https://site.test:{}/", server.port)],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "<h1>index</h1>\n");
    // The connection that made room is the oldest stalled one, closed by the server.
    assert!(closed_by_server(&mut stalled[0], Duration::from_secs(10)));
    assert!(
        eventually(Duration::from_secs(5), || server
            .log_text()
            .contains("closed during its handshake to make room")),
        "{}",
        server.log_text()
    );
}

#[test]
fn a_header_block_over_the_limit_gets_431() {
    if !need(&["curl"]) {
        return;
    }
    let f = Fixture::new();
    let server = f.serve(&["--max-header-bytes", "8192"]);
    let big = format!("X-Big: {}", "a".repeat(20_000));
    let url = format!("https://site.test:{}/", server.port);
    for http in ["--http1.1", "--http2"] {
        let out = f.curl(
            server.port,
            &[
                http,
                "-o",
                "/dev/null",
                "-w",
                "%{http_code}",
                "-H",
                &big,
                &url,
            ],
        );
        let code = String::from_utf8_lossy(&out.stdout).to_string();
        // HTTP/2 refuses the header list with a stream reset (curl reports no status, 000).
        assert!(
            code == "431" || (http == "--http2" && code == "000"),
            "{http}: {code} {}",
            text(&out)
        );
    }
    // A normal request on the same server still works.
    let out = f.curl(server.port, &["--fail", &url]);
    assert!(out.status.success(), "{}", text(&out));
}

#[test]
fn a_client_that_stops_reading_a_download_is_cut_off_after_the_idle_timeout() {
    let f = Fixture::new();
    let big = std::fs::File::create(f.path("www/big.bin")).unwrap();
    big.set_len(200 << 20).unwrap();
    let server = f.serve(&["--idle-timeout", "1"]);
    let mut tls = rustls_client(&f, server.port);
    tls.write_all(b"GET /big.bin HTTP/1.1\r\nHost: site.test\r\n\r\n")
        .unwrap();
    tls.flush().unwrap();
    // Read nothing while the socket buffers fill and the response stops moving.
    let log_says = eventually(Duration::from_secs(15), || {
        server.log_text().contains("response stalled")
    });
    assert!(log_says, "{}", server.log_text());
    // What was already buffered arrives, then the connection ends, well short of 200 MiB.
    let mut got = 0usize;
    let ended = read_until_closed(&mut tls, Duration::from_secs(20), |b| got += b.len());
    assert!(ended, "connection still open after {got} bytes");
    assert!(got < 200 << 20, "the whole file arrived: {got}");
}

/// `--h2-max-streams` reaches the client as SETTINGS_MAX_CONCURRENT_STREAMS (seen by the `h2`
/// crate's client over tokio-rustls).
#[test]
fn h2_max_streams_is_announced_to_the_client() {
    let f = Fixture::new();
    let server = f.serve(&["--h2-max-streams", "7"]);
    let config = rustls_config(&f, b"h2");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let limit = rt.block_on(async {
        let tcp = tokio::net::TcpStream::connect(("127.0.0.1", server.port))
            .await
            .unwrap();
        let name = rustls_pki_types::ServerName::try_from("site.test").unwrap();
        let tls = tokio_rustls::TlsConnector::from(config)
            .connect(name, tcp)
            .await
            .unwrap();
        let (mut client, conn) = h2::client::handshake(tls).await.unwrap();
        let mut conn = std::pin::pin!(conn);
        let req = hyper::Request::get(format!("https://site.test:{}/", server.port))
            .body(())
            .unwrap();
        let (mut response, _) = client.send_request(req, true).unwrap();
        // Drive the connection until the answer (by then the server's SETTINGS are in).
        let status = tokio::time::timeout(Duration::from_secs(10), async {
            tokio::select! {
                r = &mut response => r.unwrap().status(),
                r = conn.as_mut() => panic!("connection ended: {r:?}"),
            }
        })
        .await
        .expect("an answer within 10 s");
        assert_eq!(status, 200);
        conn.max_concurrent_send_streams()
    });
    assert_eq!(limit, 7);
}

/// `--h2-keepalive`: the server PINGs a quiet HTTP/2 connection, and closes it when the PING is
/// not answered (this client reads frames but never acknowledges).
#[test]
fn h2_keepalive_pings_and_closes_a_connection_that_does_not_answer() {
    let f = Fixture::new();
    let server = f.serve(&["--h2-keepalive", "0.5", "--idle-timeout", "600"]);
    let mut tls = rustls_client_alpn(&f, server.port, b"h2");
    // The connection preface and an empty SETTINGS frame; nothing else, ever.
    tls.write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00")
        .unwrap();
    tls.flush().unwrap();
    let mut bytes = Vec::new();
    let closed = read_until_closed(&mut tls, Duration::from_secs(15), |b| {
        bytes.extend_from_slice(b)
    });
    // Walk the frames: 9-byte headers (length, type, flags, stream id).
    let mut types = Vec::new();
    let mut rest = bytes.as_slice();
    while rest.len() >= 9 {
        let len = (usize::from(rest[0]) << 16) | (usize::from(rest[1]) << 8) | usize::from(rest[2]);
        types.push(rest[3]);
        rest = rest.get(9 + len..).unwrap_or(&[]);
    }
    const PING: u8 = 0x6;
    let pings = types.iter().filter(|t| **t == PING).count();
    assert!(pings >= 1, "no PING from the server: frame types {types:?}");
    assert!(closed, "connection still open; frame types {types:?}");
}
