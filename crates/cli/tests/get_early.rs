//! `get --session FILE` and `get --early-data` against real servers (`serve` with and without
//! `--early-data`, a server refusing the ticket's 0-RTT, `openssl s_server -early_data`), and
//! `serve --early-data` answering a GET from 0-RTT before the client's Finished (0.5-RTT) but a
//! POST only after it, seen on a raw socket by a client that never sends its Finished.

mod common;

use common::*;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::time::Duration;

fn get(f: &Fixture, port: u16, args: &[&str]) -> Output {
    Command::new(bin())
        .arg("get")
        .arg(format!("https://site.test:{port}/"))
        .args(["--resolve", "site.test:127.0.0.1", "--ca", f.p("ca/ca.crt")])
        .args(args)
        .output()
        .expect("https-kit get")
}

/// `get --json` succeeded: its document.
fn json(out: &Output) -> serde_json::Value {
    assert!(out.status.success(), "{}", text(out));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(out)))
}

fn early(f: &Fixture, port: u16, session: &str) -> serde_json::Value {
    json(&get(
        f,
        port,
        &["--json", "--session", session, "--early-data"],
    ))
}

const INDEX: &str = "<h1>index</h1>\n";

#[test]
fn a_saved_session_resumes_the_next_get() {
    let f = Fixture::new();
    let server = f.serve(&["--quiet"]);
    let s = f.p("s.session");
    let first = json(&get(&f, server.port, &["--json", "--session", s]));
    assert_eq!(first["resumed"], false);
    assert_eq!(first["early_data"], "not_offered");
    let saved = std::fs::read_to_string(s).unwrap();
    assert!(
        saved.starts_with("https-kit-session 1\nserver_name site.test\n"),
        "{saved}"
    );
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(s).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "the file holds the session's secret");
    let second = json(&get(&f, server.port, &["--json", "--session", s]));
    assert_eq!(second["resumed"], true);
    assert_eq!(second["body"], INDEX);
    // -v says it too.
    let v = get(&f, server.port, &["-v", "--session", s]);
    assert!(v.status.success(), "{}", text(&v));
    assert!(text(&v).contains("(session resumed)"), "{}", text(&v));
}

#[test]
fn early_data_to_serve_early_data_is_accepted_and_answered() {
    let f = Fixture::new();
    let server = f.serve(&["--quiet", "--early-data", "16384"]);
    let s = f.p("s.session");
    let first = early(&f, server.port, s);
    assert_eq!(first["early_data"], "not_offered", "no ticket yet");
    assert_eq!(first["body"], INDEX);
    for _ in 0..2 {
        // Each run saves the ticket the last one got (tickets are single-use).
        let next = early(&f, server.port, s);
        assert_eq!(next["resumed"], true);
        assert_eq!(next["early_data"], "accepted");
        assert_eq!(next["status"], 200);
        assert_eq!(next["body"], INDEX);
    }
    let v = get(&f, server.port, &["-v", "--session", s, "--early-data"]);
    assert!(text(&v).contains("* early data: accepted"), "{}", text(&v));
    assert_eq!(String::from_utf8_lossy(&v.stdout), INDEX);
}

#[test]
fn a_server_without_early_data_gets_the_request_after_the_handshake() {
    let f = Fixture::new();
    let server = f.serve(&["--quiet"]);
    let s = f.p("s.session");
    early(&f, server.port, s);
    let second = early(&f, server.port, s);
    assert_eq!(second["resumed"], true);
    assert_eq!(
        second["early_data"], "not_offered",
        "the ticket does not allow 0-RTT"
    );
    assert_eq!(second["body"], INDEX);
}

#[test]
fn early_data_a_server_refuses_is_resent_and_the_fetch_succeeds() {
    let f = Fixture::new();
    f.ok(&["ticket-key", "new", f.p("tickets.key")]);
    let keys = ["--ticket-key-file", f.p("tickets.key"), "--quiet"];
    let s = f.p("s.session");
    {
        let mut args = keys.to_vec();
        args.extend(["--early-data", "16384"]);
        let on = f.serve(&args);
        early(&f, on.port, s); // a ticket allowing 0-RTT
    }
    // The same ticket keys, 0-RTT off: the ticket resumes, its early data is refused.
    let off = f.serve(&keys);
    let r = early(&f, off.port, s);
    assert_eq!(r["resumed"], true);
    assert_eq!(r["early_data"], "rejected");
    assert_eq!(r["status"], 200);
    assert_eq!(r["body"], INDEX, "resent after the handshake");
}

/// Turns a good session file into a bad one.
type Spoil = Box<dyn Fn(&str) -> String>;

#[test]
fn unusable_session_files_warn_and_the_fetch_goes_on() {
    let f = Fixture::new();
    let server = f.serve(&["--quiet"]);
    let s = f.p("s.session");
    let cases: [(&str, Spoil); 3] = [
        (
            "not an https-kit session file",
            Box::new(|_| "garbage\n".into()),
        ),
        (
            "expired",
            Box::new(|t| {
                let mut lines: Vec<String> = t.lines().map(str::to_string).collect();
                lines[3] = "received 1000".into();
                lines.join("\n") + "\n"
            }),
        ),
        (
            "is for \"other.test\"",
            Box::new(|t| t.replace("server_name site.test", "server_name other.test")),
        ),
    ];
    for (warning, spoil) in cases {
        json(&get(&f, server.port, &["--json", "--session", s]));
        let good = std::fs::read_to_string(s).unwrap();
        std::fs::write(s, spoil(&good)).unwrap();
        let out = get(&f, server.port, &["--json", "--session", s]);
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(
            err.contains("warning: --session") && err.contains(warning),
            "{err}"
        );
        assert_eq!(err.lines().count(), 1, "one line: {err}");
        let doc = json(&out);
        assert_eq!(doc["resumed"], false, "a full handshake");
        assert_eq!(doc["body"], INDEX);
        assert!(std::fs::read_to_string(s)
            .unwrap()
            .starts_with("https-kit-session 1\n"));
    }
}

#[test]
fn early_data_refuses_a_request_that_is_not_idempotent() {
    let f = Fixture::new();
    let s = f.p("s.session");
    for args in [
        &["-d", "x=1", "--session", s, "--early-data"][..],
        &["-X", "DELETE", "--session", s, "--early-data"][..],
    ] {
        // Refused before connecting: no server needed.
        let out = get(&f, 9, args);
        assert_eq!(out.status.code(), Some(2), "{}", text(&out));
        assert!(
            text(&out).contains("--early-data sends only GET or HEAD"),
            "{}",
            text(&out)
        );
    }
    let out = get(&f, 9, &["--early-data"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "--early-data requires --session"
    );
}

#[test]
fn early_data_to_openssl_s_server_is_accepted() {
    if !need(&["openssl"]) {
        return;
    }
    let f = Fixture::new();
    // s_server refuses -early_data with -www: it sends what it reads on stdin instead.
    let args = ["-early_data", "-alpn", "http/1.1", "-num_tickets", "2"];
    let runs = s_server_runs(&f, &args, &["--early-data"], &s_server_ok(), 2);
    assert_eq!(runs[0]["status"], 200);
    assert_eq!(runs[0]["body"], S_SERVER_BODY);
    assert_eq!(runs[1]["resumed"], true);
    assert_eq!(runs[1]["early_data"], "accepted", "{}", runs[1]);
    assert_eq!(runs[1]["status"], 200);
    assert_eq!(runs[1]["body"], S_SERVER_BODY);
}

// ---- serve --early-data on a raw socket: 0.5-RTT for a GET, nothing early for a POST

fn client(f: &Fixture) -> Arc<https_handshake::ClientConfig> {
    let anchors = https_verify::TrustAnchors::from_file(f.path("ca/ca.crt")).unwrap();
    Arc::new(
        https_handshake::ClientConfig::builder()
            .with_root_certificates(anchors)
            .with_alpn(&[b"http/1.1"])
            .build()
            .unwrap(),
    )
}

fn connect(port: u16) -> TcpStream {
    let tcp = TcpStream::connect(("127.0.0.1", port)).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    tcp
}

fn send_all(c: &mut https_handshake::Connection, tcp: &mut TcpStream) {
    while c.wants_write() {
        if c.write_tls(tcp).unwrap() == 0 {
            break;
        }
    }
}

/// Reads from `tcp` into `c` until `done` or EOF; the plaintext received.
fn read_until(
    c: &mut https_handshake::Connection,
    tcp: &mut TcpStream,
    mut done: impl FnMut(&https_handshake::Connection, &[u8]) -> bool,
) -> Vec<u8> {
    let mut got = Vec::new();
    for _ in 0..10_000 {
        if done(c, &got) {
            break;
        }
        match c.read_tls(tcp) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        let r = c.process_new_packets();
        let mut buf = [0u8; 4096];
        while let Ok(n) = c.reader().read(&mut buf) {
            if n == 0 {
                break;
            }
            got.extend_from_slice(&buf[..n]);
        }
        if r.is_err() {
            break;
        }
    }
    got
}

/// A full connection that leaves tickets (allowing 0-RTT) in the client's store.
fn prime(cfg: &Arc<https_handshake::ClientConfig>, port: u16) {
    let mut c = https_handshake::ClientConnection::new(cfg.clone(), "site.test").unwrap();
    let mut tcp = connect(port);
    c.writer()
        .write_all(b"GET / HTTP/1.1\r\nHost: site.test\r\nConnection: close\r\n\r\n")
        .unwrap();
    send_all(&mut c, &mut tcp);
    for _ in 0..100 {
        read_until(&mut c, &mut tcp, |c, _| !c.is_handshaking());
        send_all(&mut c, &mut tcp);
        if !c.is_handshaking() {
            break;
        }
    }
    let got = read_until(&mut c, &mut tcp, |_, _| false);
    assert!(
        got.starts_with(b"HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&got)
    );
    assert!(cfg.session_store().unwrap().has_ticket("site.test"));
}

/// Sends `request` as 0-RTT, processes the server's flight, then closes the socket's write side
/// without sending our Finished: returns what the server sent as application data.
fn early_without_finished(f: &Fixture, port: u16, request: &[u8]) -> String {
    let cfg = client(f);
    prime(&cfg, port);
    let mut c =
        https_handshake::ClientConnection::new_with_early_data(cfg, "site.test", request).unwrap();
    assert!(c.early_data_offered());
    let mut tcp = connect(port);
    send_all(&mut c, &mut tcp);
    let mut got = read_until(&mut c, &mut tcp, |c, _| !c.is_handshaking());
    assert!(c.early_data_accepted(), "serve took the early data");
    // Our EndOfEarlyData and Finished stay unsent.
    tcp.shutdown(Shutdown::Write).unwrap();
    got.extend(read_until(&mut c, &mut tcp, |_, _| false));
    String::from_utf8_lossy(&got).into_owned()
}

#[test]
fn serve_answers_an_early_get_before_the_clients_finished() {
    let f = Fixture::new();
    let server = f.serve(&["--quiet", "--early-data", "16384"]);
    let got = early_without_finished(
        &f,
        server.port,
        b"GET / HTTP/1.1\r\nHost: site.test\r\n\r\n",
    );
    assert!(got.starts_with("HTTP/1.1 200"), "{got}");
    assert!(got.ends_with(INDEX), "{got}");
}

#[test]
fn serve_answers_an_early_post_only_after_the_handshake() {
    let f = Fixture::new();
    let server = f.serve(&["--quiet", "--early-data", "16384"]);
    let post = b"POST / HTTP/1.1\r\nHost: site.test\r\nContent-Length: 0\r\n\r\n";
    let got = early_without_finished(&f, server.port, post);
    assert_eq!(got, "", "nothing answered before the client's Finished");
    // A GET followed by a POST in the same early data: only the GET is answered early.
    let both = b"GET / HTTP/1.1\r\nHost: site.test\r\n\r\nPOST / HTTP/1.1\r\nHost: site.test\r\nContent-Length: 0\r\n\r\n";
    let got = early_without_finished(&f, server.port, both);
    assert_eq!(got.matches("HTTP/1.1 ").count(), 1, "{got}");
    assert!(got.starts_with("HTTP/1.1 200"), "{got}");

    // With the client's Finished the POST is answered (by the file server: not allowed).
    let cfg = client(&f);
    prime(&cfg, server.port);
    let mut c =
        https_handshake::ClientConnection::new_with_early_data(cfg, "site.test", post).unwrap();
    let mut tcp = connect(server.port);
    send_all(&mut c, &mut tcp);
    read_until(&mut c, &mut tcp, |c, _| !c.is_handshaking());
    assert!(c.early_data_accepted());
    send_all(&mut c, &mut tcp);
    let got = read_until(&mut c, &mut tcp, |_, got| {
        got.windows(4).any(|w| w == b"\r\n\r\n")
    });
    let got = String::from_utf8_lossy(&got);
    assert!(got.starts_with("HTTP/1.1 405"), "{got}");
}

/// `openssl s_server` on a free port with the fixture's site certificate (TLS 1.3 only), in its
/// echo mode: it sends what is written to its stdin, keeping the connection open until the
/// client closes it (so it sees whether the client's close_notify came). Its stdout (what it
/// read) comes line by line on the receiver.
fn s_server(f: &Fixture, extra: &[&str]) -> (Guard, std::process::ChildStdin, Lines, u16) {
    let port = free_port();
    let child = Command::new("openssl")
        .args(["s_server", "-tls1_3", "-accept"])
        .arg(port.to_string())
        .args(["-cert", f.p("site.fullchain.crt"), "-key", f.p("site.key")])
        .args(extra)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("openssl s_server");
    let mut guard = Guard(child);
    wait_for_port(port, &mut guard.0);
    let stdin = guard.0.stdin.take().unwrap();
    let stdout = guard.0.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    (guard, stdin, rx, port)
}

type Lines = std::sync::mpsc::Receiver<String>;

/// Waits (bounded) until s_server has printed a whole request head.
fn request_read(lines: &Lines) {
    let mut in_request = false;
    for _ in 0..1000 {
        let line = lines
            .recv_timeout(Duration::from_secs(20))
            .expect("s_server printed the request");
        let line = line.trim_end();
        in_request |= line.starts_with("GET / HTTP/1.1");
        if in_request && line.is_empty() {
            return;
        }
    }
    panic!("no request head from s_server");
}

/// `get --json --session S` (plus `get_args`) `count` times against one s_server started with
/// `s_server_args`, which answers each with `response`, written once it has printed the request
/// (stdin read earlier could go to wait_for_port's probe connection instead). The documents.
fn s_server_runs(
    f: &Fixture,
    s_server_args: &[&str],
    get_args: &[&str],
    response: &str,
    count: usize,
) -> Vec<serde_json::Value> {
    let (_server, mut stdin, lines, port) = s_server(f, s_server_args);
    let s = f.p("s.session");
    let mut runs = Vec::new();
    for _ in 0..count {
        let fetch = Command::new(bin())
            .arg("get")
            .arg(format!("https://site.test:{port}/"))
            .args(["--resolve", "site.test:127.0.0.1", "--ca", f.p("ca/ca.crt")])
            .args(["--json", "--session", s])
            .args(get_args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("https-kit get");
        request_read(&lines);
        stdin.write_all(response.as_bytes()).unwrap();
        stdin.flush().unwrap();
        runs.push(json(&wait_output(fetch, Duration::from_secs(30))));
    }
    runs
}

const S_SERVER_BODY: &str = "from s_server\n";

fn s_server_ok() -> String {
    format!(
        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{S_SERVER_BODY}",
        S_SERVER_BODY.len()
    )
}

#[test]
fn a_saved_session_resumes_against_openssl_s_server() {
    if !need(&["openssl"]) {
        return;
    }
    // Stateful tickets (-no_ticket): OpenSSL drops a session from its cache when the connection
    // ends without the client's close_notify (its fatal unexpected-EOF alert). No ALPN from
    // s_server: get's default offer (h2, http/1.1) ends in HTTP/1.1.
    let cases: [(&[&str], &[&str]); 2] = [
        (&["-no_ticket"], &[]),
        (&["-no_ticket", "-alpn", "http/1.1"], &["--http1.1"]),
    ];
    for (s_server_args, get_args) in cases {
        let f = Fixture::new();
        let runs = s_server_runs(&f, s_server_args, get_args, &s_server_ok(), 3);
        assert_eq!(runs[0]["resumed"], false);
        for r in &runs {
            assert_eq!(r["status"], 200, "{r}");
            assert_eq!(r["body"], S_SERVER_BODY, "{r}");
        }
        assert_eq!(runs[1]["resumed"], true, "{}", runs[1]);
        assert_eq!(runs[2]["resumed"], true, "{}", runs[2]);
    }
}

#[test]
fn the_first_hop_of_a_redirect_resumes_against_openssl_s_server() {
    if !need(&["openssl"]) {
        return;
    }
    let f = Fixture::new();
    let serve = f.serve(&["--quiet"]);
    // Another name than the first hop's: the saved ticket is site.test's.
    let moved = format!(
        "HTTP/1.1 302 Found\r\nLocation: https://localhost:{}/\r\nContent-Length: 0\r\n\r\n",
        serve.port
    );
    let follow = ["-L", "--resolve", "localhost:127.0.0.1"];
    let runs = s_server_runs(&f, &["-no_ticket"], &follow, &moved, 3);
    for (i, r) in runs.iter().enumerate() {
        assert_eq!(r["status"], 200, "{r}");
        assert_eq!(r["body"], INDEX, "{r}");
        assert_eq!(r["redirects"][0]["status"], 302, "{r}");
        assert_eq!(r["redirects"][0]["resumed"], i > 0, "{r}");
    }
}
