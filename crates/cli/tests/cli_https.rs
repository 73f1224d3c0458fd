//! `https-kit serve` and `get` against peers nobody here wrote: openssl s_client/s_server, curl,
//! and headless Chromium trusting our CA through an NSS database. Loopback only; every wait is bounded.

mod common;

use common::{
    bin, free_port, have, need, run_ok, run_with_stdin, wait_for_port, wait_output, Guard,
};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

/// A CA, a certificate for `site.test`, `localhost` and 127.0.0.1, and a directory to serve.
struct Fixture {
    dir: tempfile::TempDir,
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::tempdir().expect("tempdir");
        let f = Fixture { dir };
        f.ok(&["ca", "init", "--dir", f.path("ca").to_str().unwrap()]);
        f.ok(&[
            "cert",
            "issue",
            "site.test",
            "localhost",
            "127.0.0.1",
            "--dir",
            f.path("ca").to_str().unwrap(),
            "--out",
            f.path("site").to_str().unwrap(),
        ]);
        std::fs::create_dir(f.path("www")).unwrap();
        std::fs::write(f.path("www/index.html"), "<h1>index</h1>\n").unwrap();
        // A binary file bigger than one record, so it crosses many records and both HTTP framings.
        let blob: Vec<u8> = (0..300_000u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        std::fs::write(f.path("www/blob.bin"), blob).unwrap();
        f
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn ok(&self, args: &[&str]) -> Output {
        run_ok(args)
    }

    fn serve(&self) -> (Guard, u16) {
        self.serve_with(&[])
    }

    /// `https-kit serve` of www with the site certificate on `port`, and `extra`.
    fn serve_command(&self, port: u16, extra: &[&str]) -> Command {
        let mut c = Command::new(bin());
        c.arg("serve")
            .arg(self.path("www"))
            .arg("--cert")
            .arg(self.path("site.fullchain.crt"))
            .arg("--key")
            .arg(self.path("site.key"))
            .arg("--addr")
            .arg(format!("127.0.0.1:{port}"))
            .args(extra);
        c
    }

    fn serve_with(&self, extra: &[&str]) -> (Guard, u16) {
        let port = free_port();
        let child = self
            .serve_command(port, extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start https-kit serve");
        let mut guard = Guard(child);
        wait_for_port(port, &mut guard.0);
        (guard, port)
    }
}

/// Runs `openssl s_client -tls1_3` with extra args, sends one HTTP request, returns its stdout.
fn s_client(port: u16, ca: &Path, extra: &[&str], request_path: &str) -> String {
    let mut cmd = Command::new("openssl");
    cmd.args(["s_client", "-tls1_3", "-connect"])
        .arg(format!("127.0.0.1:{port}"))
        .args([
            "-servername",
            "site.test",
            "-verify_return_error",
            "-ign_eof",
            "-CAfile",
        ])
        .arg(ca)
        .args(extra);
    let request =
        format!("GET {request_path} HTTP/1.1\r\nHost: site.test\r\nConnection: close\r\n\r\n");
    let out = run_with_stdin(&mut cmd, request.as_bytes(), Duration::from_secs(30));
    String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr)
}

#[test]
fn openssl_s_client_against_serve_every_suite_and_group_and_hello_retry() {
    if !need(&["openssl"]) {
        return;
    }
    let f = Fixture::new();
    let (_server, port) = f.serve();
    let ca = f.path("ca/ca.crt");
    let cases: &[(&[&str], &str, &str)] = &[
        (
            &["-ciphersuites", "TLS_AES_128_GCM_SHA256"],
            "TLS_AES_128_GCM_SHA256",
            "X25519",
        ),
        (
            &["-ciphersuites", "TLS_AES_256_GCM_SHA384"],
            "TLS_AES_256_GCM_SHA384",
            "X25519",
        ),
        (
            &["-ciphersuites", "TLS_CHACHA20_POLY1305_SHA256"],
            "TLS_CHACHA20_POLY1305_SHA256",
            "X25519",
        ),
        (&["-groups", "P-256"], "TLS_AES", "prime256v1"),
        (&["-groups", "P-384"], "TLS_AES", "secp384r1"),
        // X448 is not ours: the server must answer with a HelloRetryRequest for X25519.
        (&["-groups", "X448:X25519"], "TLS_AES", "X25519"),
    ];
    let mut passed = 0;
    for (extra, suite, group) in cases {
        let out = s_client(port, &ca, extra, "/index.html");
        assert!(
            out.contains("Verify return code: 0 (ok)"),
            "{extra:?}: chain not verified:\n{out}"
        );
        assert!(out.contains("TLSv1.3"), "{extra:?}: not TLS 1.3:\n{out}");
        assert!(
            out.contains(suite),
            "{extra:?}: suite {suite} not negotiated:\n{out}"
        );
        let temp_key = out
            .lines()
            .find(|l| l.starts_with("Server Temp Key:"))
            .unwrap_or("");
        assert!(temp_key.contains(group), "{extra:?}: group {group}:\n{out}");
        assert!(
            out.contains("<h1>index</h1>"),
            "{extra:?}: page not received:\n{out}"
        );
        passed += 1;
    }
    eprintln!(
        "openssl s_client -> https-kit serve: {passed}/{} passed",
        cases.len()
    );
}

#[test]
fn curl_fetches_files_exactly_over_http1_and_http2() {
    if !need(&["curl"]) {
        return;
    }
    let f = Fixture::new();
    let (_server, port) = f.serve();
    let expected = std::fs::read(f.path("www/blob.bin")).unwrap();
    for http in ["--http1.1", "--http2"] {
        let out = Command::new("curl")
            .args(["-sS", "--fail", http, "--cacert"])
            .arg(f.path("ca/ca.crt"))
            .arg("--resolve")
            .arg(format!("site.test:{port}:127.0.0.1"))
            .arg(format!("https://site.test:{port}/blob.bin"))
            .output()
            .expect("curl");
        assert!(
            out.status.success(),
            "curl {http}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            out.stdout == expected,
            "curl {http}: body differs ({} bytes)",
            out.stdout.len()
        );
    }
    // A directory without its trailing slash is redirected; with it, its index.html is served.
    std::fs::create_dir(f.path("www/sub")).unwrap();
    std::fs::write(f.path("www/sub/index.html"), "sub index\n").unwrap();
    let out = Command::new("curl")
        .args([
            "-sS",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code} %{redirect_url}",
            "--cacert",
        ])
        .arg(f.path("ca/ca.crt"))
        .arg(format!("https://localhost:{port}/sub"))
        .output()
        .expect("curl");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("301 https://localhost:{port}/sub/")
    );
    let out = Command::new("curl")
        .args(["-sS", "--fail", "--cacert"])
        .arg(f.path("ca/ca.crt"))
        .arg(format!("https://localhost:{port}/sub/"))
        .output()
        .expect("curl");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "sub index\n");
    // A missing file is a 404, which curl --fail reports as exit 22.
    let out = Command::new("curl")
        .args(["-sS", "--fail", "--cacert"])
        .arg(f.path("ca/ca.crt"))
        .arg(format!("https://localhost:{port}/nope.txt"))
        .output()
        .expect("curl");
    assert_eq!(out.status.code(), Some(22), "404 expected");
}

#[test]
fn get_against_our_server_writes_the_file_and_reports_the_connection() {
    let f = Fixture::new();
    let (_server, port) = f.serve();
    let url = format!("https://site.test:{port}/blob.bin");
    let out_file = f.path("got.bin");
    let out = Command::new(bin())
        .args(["get", &url, "--resolve", "site.test:127.0.0.1", "-v", "-o"])
        .arg(&out_file)
        .arg("--ca")
        .arg(f.path("ca/ca.crt"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert_eq!(
        std::fs::read(&out_file).unwrap(),
        std::fs::read(f.path("www/blob.bin")).unwrap()
    );
    assert!(stderr.contains("TLSv1.3"), "{stderr}");
    // Our client and server both default to the post-quantum hybrid, and -v names it.
    assert!(stderr.contains("group X25519MLKEM768"), "{stderr}");
    assert!(stderr.contains("subject: CN=site.test"), "{stderr}");

    // --json names the suite and the chain; --http2 negotiates h2 by ALPN.
    let out = Command::new(bin())
        .args([
            "get",
            &format!("https://localhost:{port}/"),
            "--json",
            "--http2",
            "--ca",
        ])
        .arg(f.path("ca/ca.crt"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["status"], 200);
    assert_eq!(v["tls"]["alpn"], "h2");
    assert_eq!(v["body"], "<h1>index</h1>\n");
    assert!(v["trace"]
        .as_array()
        .map(|t| !t.is_empty())
        .unwrap_or(false));
}

#[test]
fn get_refuses_a_wrong_name_and_an_untrusted_ca_with_exit_1() {
    let f = Fixture::new();
    let (_server, port) = f.serve();
    // The certificate does not name other.test.
    let out = Command::new(bin())
        .args([
            "get",
            &format!("https://other.test:{port}/"),
            "--resolve",
            "other.test:127.0.0.1",
            "--ca",
        ])
        .arg(f.path("ca/ca.crt"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("TLS handshake"), "{stderr}");
    assert!(stderr.contains("other.test"), "{stderr}");
    assert!(out.stdout.is_empty());

    // Another CA is not trusted.
    f.ok(&["ca", "init", "--dir", f.path("other-ca").to_str().unwrap()]);
    let out = Command::new(bin())
        .args(["get", &format!("https://localhost:{port}/"), "--ca"])
        .arg(f.path("other-ca/ca.crt"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("UnknownCa") || stderr.contains("unknown"),
        "{stderr}"
    );

    // Bad usage: not https.
    let out = Command::new(bin())
        .args(["get", "http://localhost/"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn get_against_openssl_s_server() {
    if !need(&["openssl"]) {
        return;
    }
    let f = Fixture::new();
    let port = free_port();
    let child = Command::new("openssl")
        .args(["s_server", "-tls1_3", "-www", "-accept"])
        .arg(port.to_string())
        .arg("-cert")
        .arg(f.path("site.crt"))
        .arg("-key")
        .arg(f.path("site.key"))
        .arg("-cert_chain")
        .arg(f.path("site.fullchain.crt"))
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("openssl s_server");
    let mut server = Guard(child);
    wait_for_port(port, &mut server.0);
    let out = Command::new(bin())
        .args(["get", &format!("https://localhost:{port}/"), "-v", "--ca"])
        .arg(f.path("ca/ca.crt"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    // s_server -www answers with a page describing the session it negotiated with us.
    assert!(stdout.contains("TLSv1.3"), "{stdout}");
    assert!(stdout.contains("Cipher"), "{stdout}");
}

/// Chromium, trusting our CA through an NSS database (what `mkcert -install` does), loads a page
/// from `https-kit serve`. Skipped where Chromium or certutil is not installed.
#[test]
fn headless_chromium_loads_a_page_from_serve() {
    let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .into_iter()
        .find(|p| Path::new(p).exists());
    let Some(chromium) = chromium else {
        eprintln!("skipped: chromium is not installed (apt-get install chromium libnss3-tools)");
        return;
    };
    if !have("certutil") && !Path::new("/usr/bin/certutil").exists() {
        eprintln!("skipped: certutil is not installed (apt-get install libnss3-tools)");
        return;
    }
    let f = Fixture::new();
    // `serve --trace --json`: one JSON line per connection, naming the group negotiated.
    let port = free_port();
    let child = f
        .serve_command(port, &["--trace", "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start https-kit serve");
    let mut server = Guard(child);
    wait_for_port(port, &mut server.0);
    let home = f.path("home");
    let nssdb = home.join(".pki/nssdb");
    std::fs::create_dir_all(&nssdb).unwrap();
    let db = format!("sql:{}", nssdb.display());
    let st = Command::new("certutil")
        .args(["-d", &db, "-N", "--empty-password"])
        .status()
        .unwrap();
    assert!(st.success());
    let st = Command::new("certutil")
        .args([
            "-d",
            &db,
            "-A",
            "-t",
            "C,,",
            "-n",
            "https-kit test CA",
            "-i",
        ])
        .arg(f.path("ca/ca.crt"))
        .status()
        .unwrap();
    assert!(st.success());
    let child = Command::new(chromium)
        .env("HOME", &home)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", f.path("profile").display()))
        .arg(format!("https://localhost:{port}/index.html"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("chromium");
    let out = wait_output(child, Duration::from_secs(90));
    let dom = String::from_utf8_lossy(&out.stdout);
    assert!(
        dom.contains("<h1>index</h1>"),
        "Chromium did not render the page: {dom}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let _ = server.0.kill();
    let mut traced = String::new();
    let mut stdout = server.0.stdout.take().expect("serve stdout");
    std::io::Read::read_to_string(&mut stdout, &mut traced).unwrap();
    let groups: Vec<String> = serde_json::Deserializer::from_str(&traced)
        .into_iter::<serde_json::Value>()
        .map_while(Result::ok)
        .filter_map(|v| v["negotiated"]["group"].as_str().map(str::to_string))
        .collect();
    assert!(
        !groups.is_empty() && groups.iter().all(|g| g == "X25519MLKEM768"),
        "Chromium's connections should use the hybrid group: {groups:?}\n{traced}"
    );
}

/// `serve --early-data 16384`: OpenSSL resumes with the ticket it saved and sends the request as
/// 0-RTT early data; the server accepts it and answers.
#[test]
fn openssl_s_client_early_data_against_serve() {
    if !need(&["openssl"]) {
        return;
    }
    let f = Fixture::new();
    let (_server, port) = f.serve_with(&["--early-data", "16384"]);
    let sess = f.path("sess.pem");
    let first = s_client(
        port,
        &f.path("ca/ca.crt"),
        &["-sess_out", sess.to_str().unwrap()],
        "/index.html",
    );
    assert!(first.contains("<h1>index</h1>"), "{first}");
    assert!(
        first.contains("Max Early Data: 16384"),
        "the ticket allows 0-RTT: {first}"
    );
    let early = f.path("early.txt");
    std::fs::write(
        &early,
        "GET /index.html HTTP/1.1\r\nHost: site.test\r\nConnection: close\r\n\r\n",
    )
    .unwrap();
    let child = Command::new("openssl")
        .args(["s_client", "-tls1_3", "-connect"])
        .arg(format!("127.0.0.1:{port}"))
        .args(["-servername", "site.test", "-ign_eof", "-CAfile"])
        .arg(f.path("ca/ca.crt"))
        .arg("-sess_in")
        .arg(&sess)
        .arg("-early_data")
        .arg(&early)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("openssl s_client");
    let out = wait_output(child, Duration::from_secs(30));
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(text.contains("Reused, TLSv1.3"), "{text}");
    assert!(text.contains("Early data was accepted"), "{text}");
    assert!(
        text.contains("<h1>index</h1>"),
        "the early request was answered: {text}"
    );
}

/// `trust install` puts the CA into a (fresh) NSS database, once; `uninstall` takes it out.
#[test]
fn trust_install_and_uninstall_in_an_nss_database() {
    if Command::new("certutil").arg("-H").output().is_err() {
        eprintln!("skipped: certutil is not installed (apt-get install libnss3-tools)");
        return;
    }
    let f = Fixture::new();
    let home = f.path("home");
    std::fs::create_dir(&home).unwrap();
    let db = format!("sql:{}", home.join(".pki/nssdb").display());
    let trust = |verb: &str| {
        Command::new(bin())
            .env("HOME", &home)
            .args(["trust", verb, "--no-system", "--json", "--dir"])
            .arg(f.path("ca"))
            .output()
            .unwrap()
    };
    let listed = || {
        let out = Command::new("certutil")
            .args(["-d", &db, "-L"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter(|l| l.starts_with("https-kit "))
            .map(|l| l.to_string())
            .collect::<Vec<_>>()
    };
    let out = trust("install");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["stores"][0]["store"], "nss");
    assert_eq!(v["stores"][0]["done"], true);
    let entries = listed();
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert!(
        entries[0].contains("C,,"),
        "trusted as a server CA: {entries:?}"
    );
    // Twice is harmless.
    let out = trust("install");
    assert!(out.status.success());
    assert_eq!(listed().len(), 1);
    let out = trust("uninstall");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(listed().is_empty());
}

/// `inspect https://…` shows the chain a server sends and whether it is trusted for that name,
/// also when it is not (that is when one needs to look).
#[test]
fn inspect_a_server_shows_its_chain_and_the_trust_verdict() {
    let f = Fixture::new();
    let (_server, port) = f.serve();
    f.ok(&["ca", "init", "--dir", f.path("other-ca").to_str().unwrap()]);
    let url = format!("https://site.test:{port}");
    for (ca, trusted) in [("ca/ca.crt", true), ("other-ca/ca.crt", false)] {
        let out = Command::new(bin())
            .args([
                "inspect",
                &url,
                "--json",
                "--resolve",
                "site.test:127.0.0.1",
                "--ca",
            ])
            .arg(f.path(ca))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
        assert_eq!(v["trusted"], trusted, "{v}");
        assert_eq!(v["chain"][0]["subject"], "CN=site.test");
        assert_eq!(v["tls"]["protocol"], "TLSv1.3");
        if !trusted {
            assert!(
                v["trust_error"]
                    .as_str()
                    .unwrap_or("")
                    .contains("unknown issuer"),
                "{v}"
            );
        }
    }
}
