//! `get`'s curl-like flags, each against a real server: `serve` for files and redirects, and a
//! small tokio-rustls + hyper echo server (an independent TLS stack) for methods, headers,
//! request bodies, redirects of every kind and a slow answer.

mod common;

use bytes::Bytes;
use common::*;
use http_body_util::{BodyExt, Full};
use hyper::{Request, Response};
use std::process::{Command, Output};
use std::sync::Arc;
use std::time::Duration;

/// Runs the echo server on its own thread and runtime; returns its port.
fn echo_server(f: &Fixture) -> u16 {
    let certs: Vec<_> = pem::parse_many(std::fs::read(f.path("site.fullchain.crt")).unwrap())
        .unwrap()
        .into_iter()
        .map(|b| rustls_pki_types::CertificateDer::from(b.contents().to_vec()))
        .collect();
    let key_pem = pem::parse(std::fs::read(f.path("site.key")).unwrap()).unwrap();
    let key = rustls_pki_types::PrivateKeyDer::Pkcs8(key_pem.contents().to_vec().into());
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    listener.set_nonblocking(true).unwrap();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    continue;
                };
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    let Ok(tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let h2 = tls.get_ref().1.alpn_protocol() == Some(b"h2");
                    let io = hyper_util::rt::TokioIo::new(tls);
                    let svc = hyper::service::service_fn(echo);
                    if h2 {
                        let _ = hyper::server::conn::http2::Builder::new(
                            hyper_util::rt::TokioExecutor::new(),
                        )
                        .serve_connection(io, svc)
                        .await;
                    } else {
                        let _ = hyper::server::conn::http1::Builder::new()
                            .serve_connection(io, svc)
                            .await;
                    }
                });
            }
        });
    });
    port
}

/// `/echo` describes the request; `/r/CODE` redirects to `/echo` with CODE; `/loop` redirects to
/// itself; `/slow` answers after 10 s.
async fn echo(
    req: Request<hyper::body::Incoming>,
) -> Result<Response<Full<Bytes>>, std::convert::Infallible> {
    let path = req.uri().path().to_string();
    // Absolute redirects: to another name on this same server, and to plain http.
    let port = req
        .headers()
        .get("host")
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.rsplit(':').next())
        .unwrap_or("443")
        .to_string();
    let absolute = match path.as_str() {
        "/to-other" => Some(format!("https://other.test:{port}/echo")),
        "/to-http" => Some(format!("http://site.test:{port}/echo")),
        _ => None,
    };
    if let Some(location) = absolute {
        let mut r = Response::new(Full::new(Bytes::new()));
        *r.status_mut() = hyper::StatusCode::FOUND;
        r.headers_mut()
            .insert("location", location.parse().unwrap());
        return Ok(r);
    }
    if let Some(code) = path.strip_prefix("/r/") {
        let mut r = Response::new(Full::new(Bytes::new()));
        *r.status_mut() = code.parse::<u16>().unwrap_or(302).try_into().unwrap();
        r.headers_mut()
            .insert("location", "/echo?from=redirect".parse().unwrap());
        return Ok(r);
    }
    if path == "/loop" {
        let mut r = Response::new(Full::new(Bytes::new()));
        *r.status_mut() = hyper::StatusCode::FOUND;
        r.headers_mut().insert("location", "/loop".parse().unwrap());
        return Ok(r);
    }
    if path == "/slow" {
        tokio::time::sleep(Duration::from_secs(10)).await;
    }
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("-")
            .to_string()
    };
    let mut text = format!(
        "method={} target={} x-test={} user-agent={} content-type={}\n",
        req.method(),
        req.uri()
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/"),
        header("x-test"),
        header("user-agent"),
        header("content-type"),
    );
    let body = req
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    text.push_str(&format!("body-len={}\n", body.len()));
    let mut out = text.into_bytes();
    out.extend_from_slice(&body);
    Ok(Response::new(Full::new(Bytes::from(out))))
}

fn get(f: &Fixture, port: u16, path: &str, args: &[&str]) -> Output {
    Command::new(bin())
        .arg("get")
        .arg(format!("https://site.test:{port}{path}"))
        .args(["--resolve", "site.test:127.0.0.1", "--ca", f.p("ca/ca.crt")])
        .args(args)
        .output()
        .expect("https-kit get")
}

fn stdout(out: &Output) -> String {
    assert!(out.status.success(), "{}", text(out));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn headers_methods_and_bodies_reach_the_server() {
    let f = Fixture::new();
    let port = echo_server(&f);
    let got = stdout(&get(
        &f,
        port,
        "/echo",
        &["-H", "X-Test: one", "-H", "User-Agent: tester/1"],
    ));
    assert!(
        got.starts_with("method=GET target=/echo x-test=one user-agent=tester/1 "),
        "{got}"
    );

    // -d: POST, form content type, the data; repeats joined with '&'; @FILE without newlines.
    std::fs::write(f.path("form.txt"), "c=3\n").unwrap();
    let got = stdout(&get(
        &f,
        port,
        "/echo",
        &[
            "-d",
            "a=1",
            "-d",
            "b=2",
            "-d",
            &format!("@{}", f.p("form.txt")),
        ],
    ));
    assert!(got.contains("method=POST"), "{got}");
    assert!(
        got.contains("content-type=application/x-www-form-urlencoded"),
        "{got}"
    );
    assert!(got.ends_with("body-len=11\na=1&b=2&c=3"), "{got}");

    // --data-binary @FILE: every byte as it is; -X PUT; our Content-Type replaced by -H.
    let blob: Vec<u8> = (0..70_000u32).map(|i| (i % 256) as u8).collect();
    std::fs::write(f.path("blob.bin"), &blob).unwrap();
    for http in ["--http1.1", "--http2"] {
        let out = get(
            &f,
            port,
            "/echo",
            &[
                http,
                "-X",
                "PUT",
                "-H",
                "Content-Type: application/octet-stream",
                "--data-binary",
                &format!("@{}", f.p("blob.bin")),
            ],
        );
        assert!(out.status.success(), "{}", text(&out));
        let head = b"method=PUT target=/echo x-test=- user-agent=https-kit/";
        assert!(out.stdout.starts_with(head), "{http}: {}", text(&out));
        assert!(out.stdout.ends_with(&blob), "{http}: body differs");
        let first_line = String::from_utf8_lossy(&out.stdout[..200]).to_string();
        assert!(
            first_line.contains("content-type=application/octet-stream"),
            "{first_line}"
        );
        assert!(first_line.contains("body-len=70000"), "{first_line}");
    }
    // Bad usage exits 2 with one line.
    let out = get(&f, port, "/echo", &["-H", "no colon"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let out = get(&f, port, "/echo", &["--data-binary", "@/nonexistent/file"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
}

#[test]
fn location_follows_every_redirect_kind_and_stops_at_max_redirs() {
    let f = Fixture::new();
    let port = echo_server(&f);
    // 303 turns a POST into a GET without a body; 307 and 308 keep both; 301/302 POST -> GET.
    for (code, method, len) in [
        ("303", "GET", 0),
        ("307", "POST", 3),
        ("308", "POST", 3),
        ("302", "GET", 0),
    ] {
        let got = stdout(&get(&f, port, &format!("/r/{code}"), &["-L", "-d", "x=1"]));
        assert!(
            got.starts_with(&format!("method={method} target=/echo?from=redirect")),
            "{code}: {got}"
        );
        assert!(got.contains(&format!("body-len={len}\n")), "{code}: {got}");
    }
    // Without -L the redirect itself is the answer (exit 0, the status on stderr).
    let out = get(&f, port, "/r/302", &["-w", "%{http_code}"]);
    assert_eq!(stdout(&out), "302");
    // Each host redirected to is verified again: the certificate does not name other.test.
    let out = get(
        &f,
        port,
        "/to-other",
        &["-L", "--http1.1", "--resolve", "other.test:127.0.0.1"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("TLS handshake") && err.contains("other.test"),
        "{err}"
    );
    // A redirect to plain http is refused (exit 1), not followed.
    let out = get(&f, port, "/to-http", &["-L", "--http1.1"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("https:// only"),
        "{}",
        text(&out)
    );
    // A loop ends after --max-redirs with exit 1.
    let out = get(&f, port, "/loop", &["-L", "--max-redirs", "3"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("more than 3 redirects"),
        "{}",
        text(&out)
    );
}

#[test]
fn max_time_gives_up_with_exit_1() {
    let f = Fixture::new();
    let port = echo_server(&f);
    let started = std::time::Instant::now();
    let out = get(&f, port, "/slow", &["--max-time", "0.5"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("timed out"),
        "{}",
        text(&out)
    );
    // Not the 10 s the server takes.
    assert!(started.elapsed() < Duration::from_secs(9));
}

#[test]
fn head_http1_write_out_and_json_timings_against_serve() {
    let f = Fixture::new();
    std::fs::create_dir(f.path("www/sub")).unwrap();
    std::fs::write(f.path("www/sub/index.html"), "sub index\n").unwrap();
    let server = f.serve(&[]);
    let port = server.port;
    // -I: the status line and headers, no body.
    let got = stdout(&get(&f, port, "/index.html", &["-I"]));
    assert!(got.starts_with("HTTP/2 200 OK\r\n"), "{got}");
    assert!(got.contains("content-length: 15\r\n"), "{got}");
    assert!(!got.contains("<h1>"), "{got}");
    // --http1.1 and -w.
    let got = stdout(&get(
        &f,
        port,
        "/",
        &[
            "--http1.1",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code} %{http_version} %{size_download} %{num_redirects}\\n",
        ],
    ));
    assert_eq!(got, "200 1.1 15 0\n");
    let got = stdout(&get(
        &f,
        port,
        "/",
        &["-o", "/dev/null", "-w", "%{time_total}"],
    ));
    use std::os::unix::fs::FileTypeExt;
    let null = std::fs::metadata("/dev/null").unwrap().file_type();
    assert!(null.is_char_device(), "get -o /dev/null replaced /dev/null");
    assert!(
        got.parse::<f64>().map(|t| t > 0.0).unwrap_or(false),
        "{got}"
    );

    // -L follows serve's directory redirect; the second hop resumes the first hop's session.
    let out = get(&f, port, "/sub", &["-L", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    assert_eq!(v["status"], 200);
    assert_eq!(v["body"], "sub index\n");
    assert_eq!(v["url_effective"], format!("https://site.test:{port}/sub/"));
    assert_eq!(v["redirects"][0]["status"], 301);
    assert_eq!(v["redirects"][0]["resumed"], false);
    assert_eq!(v["resumed"], true, "second hop not resumed: {v}");
    let t = &v["timing"];
    for phase in ["dns", "connect", "tls", "first_byte", "total"] {
        assert!(t[phase].as_f64().is_some(), "timing.{phase}: {t}");
    }
    assert!(t["dns"].as_f64() <= t["connect"].as_f64());
    assert!(t["connect"].as_f64() <= t["tls"].as_f64());
    assert!(t["tls"].as_f64() <= t["first_byte"].as_f64());
}

#[test]
fn urls_are_checked_before_connecting() {
    for (url, code) in [
        ("https://user:pw@localhost/", 2),
        ("http://localhost/", 2),
        ("localhost:8443", 2),
        ("https://[::1/", 2),
    ] {
        let out = Command::new(bin()).args(["get", url]).output().unwrap();
        assert_eq!(out.status.code(), Some(code), "{url}: {}", text(&out));
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.lines().count(), 1, "{url}: one line expected: {err}");
    }
    // An IPv6 literal with a port is understood (nothing listens there: exit 1, not 2).
    let port = free_port();
    let out = Command::new(bin())
        .args([
            "get",
            &format!("https://[::1]:{port}/"),
            "--connect-timeout",
            "2",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
}

#[test]
fn json_keeps_at_most_16_mib_of_body_and_says_so() {
    let f = Fixture::new();
    let size = (16 << 20) + 1000;
    std::fs::write(f.path("www/big.txt"), vec![b'a'; size]).unwrap();
    let server = f.serve(&["--quiet"]);
    let out = get(&f, server.port, "/big.txt", &["--json"]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    assert_eq!(v["body_bytes"], size as u64);
    assert_eq!(v["body_truncated"], true);
    assert_eq!(v["body"].as_str().map(str::len), Some(16 << 20));
}

#[test]
fn output_file_is_written_whole_without_a_progress_bar_in_a_pipe() {
    let f = Fixture::new();
    let blob: Vec<u8> = (0..500_000u32).map(|i| (i * 31 % 253) as u8).collect();
    std::fs::write(f.path("www/blob.bin"), &blob).unwrap();
    let server = f.serve(&[]);
    let dest = f.path("got.bin");
    let out = get(&f, server.port, "/blob.bin", &["-o", f.p("got.bin")]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(std::fs::read(&dest).unwrap(), blob);
    // stderr is a pipe here: no progress bar drawn.
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let left: Vec<_> = std::fs::read_dir(f.dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with(".https-kit-get-")
        })
        .collect();
    assert!(left.is_empty(), "temporary file left behind");
}

/// `-o` onto a FIFO (as onto /dev/null) writes through it: a temporary file renamed over it would
/// replace the node itself (as root: /dev/null, which then breaks every later `cmd >/dev/null`).
#[test]
fn output_to_a_fifo_writes_through_and_leaves_the_fifo_in_place() {
    use std::os::unix::fs::FileTypeExt;
    let f = Fixture::new();
    std::fs::write(f.path("www/piped.txt"), b"through the pipe\n").unwrap();
    let server = f.serve(&[]);
    let fifo = f.path("pipe");
    let made = Command::new("mkfifo").arg(&fifo).status();
    if !made.map(|s| s.success()).unwrap_or(false) {
        eprintln!("skipped: mkfifo failed");
        return;
    }
    let (tx, rx) = std::sync::mpsc::channel();
    let reader = fifo.clone();
    std::thread::spawn(move || tx.send(std::fs::read(reader).unwrap()));
    let out = get(&f, server.port, "/piped.txt", &["-o", f.p("pipe")]);
    if !out.status.success() {
        // Unblock the reader before failing.
        let _ = std::fs::OpenOptions::new().write(true).open(&fifo);
        panic!("{}", text(&out));
    }
    // A bound on the wait, not a timing assertion: a replaced FIFO would leave the reader blocked.
    let got = rx.recv_timeout(Duration::from_secs(30));
    assert_eq!(
        got.expect("nothing came through the FIFO"),
        b"through the pipe\n"
    );
    let kind = std::fs::symlink_metadata(&fifo).unwrap().file_type();
    assert!(kind.is_fifo(), "the FIFO was replaced");
}

/// On a terminal (a pty from util-linux `script`), `-o` shows a progress bar with the size.
#[test]
fn output_file_shows_a_progress_bar_on_a_terminal() {
    if !need(&["script"]) {
        return;
    }
    let f = Fixture::new();
    let file = std::fs::File::create(f.path("www/big.bin")).unwrap();
    file.set_len(64 << 20).unwrap();
    let server = f.serve(&["--quiet"]);
    let cmd = format!(
        "{} get https://localhost:{}/big.bin --ca {} -o {}",
        bin(),
        server.port,
        f.p("ca/ca.crt"),
        f.p("got.bin")
    );
    let out = Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .output()
        .expect("script");
    assert!(out.status.success(), "{}", text(&out));
    let screen = String::from_utf8_lossy(&out.stdout);
    assert!(
        screen.contains("64.00 MiB") && screen.contains(" eta "),
        "{screen}"
    );
    assert_eq!(
        std::fs::metadata(f.path("got.bin")).unwrap().len(),
        64 << 20
    );
}

/// An IPv6 literal URL end to end: `serve` on [::1], `get https://[::1]:PORT/` connects there
/// and checks the certificate for the IP address ::1.
#[test]
fn get_an_ipv6_literal_url_from_serve_on_loopback_v6() {
    if std::net::TcpListener::bind("[::1]:0").is_err() {
        eprintln!("skipped: no IPv6 loopback");
        return;
    }
    let f = Fixture::new();
    f.issue("v6", &["localhost", "::1"]);
    let port = std::net::TcpListener::bind("[::1]:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap();
    let child = Command::new(bin())
        .args([
            "serve",
            f.p("www"),
            "--cert",
            f.p("v6.fullchain.crt"),
            "--key",
            f.p("v6.key"),
        ])
        .args(["--addr", &format!("[::1]:{port}"), "--log-json"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let _server = Guard(child);
    assert!(eventually(Duration::from_secs(20), || {
        std::net::TcpStream::connect(("::1", port)).is_ok()
    }));
    let out = Command::new(bin())
        .args([
            "get",
            &format!("https://[::1]:{port}/"),
            "--ca",
            f.p("ca/ca.crt"),
            "--json",
        ])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    assert_eq!(v["status"], 200);
    assert_eq!(v["address"], format!("[::1]:{port}"));
    assert_eq!(v["body"], "<h1>index</h1>\n");
}
