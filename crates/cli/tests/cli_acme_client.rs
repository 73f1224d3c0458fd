//! Our ACME client from the CLI: `cert request --acme` against `acme serve` and against Pebble
//! (Let's Encrypt's test server, Debian package `pebble`), and `serve --acme` renewing its
//! certificate while it serves.

mod acme_support;

use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use acme_support::*;

fn cert_request(
    fx: &Fixture,
    directory: &str,
    challenge: &str,
    listen: &str,
    names: &[&str],
    out: &str,
) -> Output {
    bounded(bin())
        .args(["cert", "request", "--acme", directory, "--ca"])
        .arg(fx.root())
        .args(["--challenge", challenge, "--listen", listen, "--out"])
        .arg(fx.path(out))
        .args(names)
        .output()
        .unwrap()
}

#[test]
fn cert_request_http01_against_acme_serve_for_a_name_and_an_ip() {
    let fx = Fixture::new();
    let port = free_port();
    let server = fx.serve(port, 1);
    let o = cert_request(
        &fx,
        &server.directory,
        "http-01",
        &format!("127.0.0.1:{port}"),
        &["site.test", "127.0.0.1"],
        "site",
    );
    let o = check(o, "cert request http-01", &server);
    assert!(String::from_utf8_lossy(&o.stderr).contains("key authorization"));
    openssl_verify(&fx.root(), &fx.path("site.crt"));
    let san = Command::new("openssl")
        .args(["x509", "-noout", "-ext", "subjectAltName", "-in"])
        .arg(fx.path("site.crt"))
        .output()
        .unwrap();
    let san = String::from_utf8_lossy(&san.stdout);
    assert!(
        san.contains("DNS:site.test") && san.contains("IP Address:127.0.0.1"),
        "{san}"
    );
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(fx.path("site.key"))
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600);
}

#[test]
fn cert_request_tls_alpn01_against_acme_serve() {
    let fx = Fixture::new();
    let port = free_port();
    let server = fx.serve(1, port);
    let o = cert_request(
        &fx,
        &server.directory,
        "tls-alpn-01",
        &format!("127.0.0.1:{port}"),
        &["site.test"],
        "site",
    );
    check(o, "cert request tls-alpn-01", &server);
    openssl_verify(&fx.root(), &fx.path("site.crt"));
    assert!(
        server.log().contains("tls-alpn-01 site.test valid"),
        "{}",
        server.log()
    );
}

#[test]
fn cert_request_against_a_server_that_refuses_exits_1_and_writes_nothing() {
    let fx = Fixture::new();
    let port = free_port();
    let server = fx.serve(port, 1);
    // A wildcard needs dns-01, which acme serve does not offer: rejectedIdentifier.
    let o = cert_request(
        &fx,
        &server.directory,
        "http-01",
        &format!("127.0.0.1:{port}"),
        &["*.site.test"],
        "wild",
    );
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(String::from_utf8_lossy(&o.stderr).contains("rejectedIdentifier"));
    assert!(!fx.path("wild.crt").exists() && !fx.path("wild.key").exists());
}

#[test]
fn acme_serve_hostname_sets_the_url_and_the_listener_certificate() {
    let fx = Fixture::new();
    let port = free_port();
    let server = AcmeServe::start_with(
        &fx.path("ca"),
        &fx.path("acme.db"),
        "127.0.0.1:0",
        port,
        1,
        &["--hostname", "localhost"],
    );
    assert!(
        server.directory.starts_with("https://localhost:"),
        "{}",
        server.directory
    );
    let listen = format!("127.0.0.1:{port}");
    let o = cert_request(
        &fx,
        &server.directory,
        "http-01",
        &listen,
        &["site.test"],
        "site",
    );
    check(o, "cert request via https://localhost", &server);
    openssl_verify(&fx.root(), &fx.path("site.crt"));
}

/// Pebble (Let's Encrypt's test ACME server) with a TLS certificate from our CA.
struct Pebble {
    child: Child,
    directory: String,
    management: String,
}

impl Drop for Pebble {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn pebble(fx: &Fixture, http01: u16, tls_alpn01: u16) -> Option<Pebble> {
    // pebble has no version flag; `-h` only shows that the binary is there.
    let found = Command::new("pebble")
        .arg("-h")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    if found.is_err() {
        return None;
    }
    let o = Command::new(bin())
        .args(["cert", "issue", "localhost", "127.0.0.1", "--dir"])
        .arg(fx.path("ca"))
        .arg("--out")
        .arg(fx.path("pebble"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let (acme, mgmt) = (free_port(), free_port());
    let config = serde_json::json!({"pebble": {
        "listenAddress": format!("127.0.0.1:{acme}"), "managementListenAddress": format!("127.0.0.1:{mgmt}"),
        "certificate": fx.path("pebble.fullchain.crt"), "privateKey": fx.path("pebble.key"),
        "httpPort": http01, "tlsPort": tls_alpn01, "ocspResponderURL": "", "externalAccountBindingRequired": false,
    }});
    std::fs::write(fx.path("pebble.json"), config.to_string()).unwrap();
    let child = Command::new("pebble")
        .arg("-config")
        .arg(fx.path("pebble.json"))
        .env("PEBBLE_VA_NOSLEEP", "1")
        .env("PEBBLE_WFE_NONCEREJECT", "0")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", acme)).is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "pebble did not listen"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    Some(Pebble {
        child,
        directory: format!("https://127.0.0.1:{acme}/dir"),
        management: format!("https://127.0.0.1:{mgmt}"),
    })
}

fn pebble_case(challenge: &str) {
    let fx = Fixture::new();
    let port = free_port();
    let (h, t) = if challenge == "http-01" {
        (port, 1)
    } else {
        (1, port)
    };
    let Some(p) = pebble(&fx, h, t) else {
        eprintln!("skipped: pebble not installed (apt-get install pebble)");
        return;
    };
    let o = cert_request(
        &fx,
        &p.directory,
        challenge,
        &format!("127.0.0.1:{port}"),
        &["localhost", "127.0.0.1"],
        "site",
    );
    assert!(
        o.status.success(),
        "cert request vs pebble: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    // Pebble's root comes from its management interface; openssl checks the chain to it.
    let root = fx.path("pebble-root.pem");
    let o = Command::new(bin())
        .args(["get", &format!("{}/roots/0", p.management), "--ca"])
        .arg(fx.root())
        .arg("-o")
        .arg(&root)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = Command::new("openssl")
        .arg("verify")
        .arg("-CAfile")
        .arg(&root)
        .arg("-untrusted")
        .arg(fx.path("site.fullchain.crt"))
        .arg(fx.path("site.crt"))
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn cert_request_http01_against_pebble() {
    pebble_case("http-01");
}

#[test]
fn cert_request_tls_alpn01_against_pebble() {
    pebble_case("tls-alpn-01");
}

fn served_serial(port: u16) -> Option<String> {
    let o = Command::new("openssl")
        .args([
            "s_client",
            "-connect",
            &format!("127.0.0.1:{port}"),
            "-servername",
            "site.test",
        ])
        .stdin(Stdio::null())
        .output()
        .ok()?;
    let mut x = Command::new("openssl")
        .args(["x509", "-noout", "-serial"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .ok()?;
    use std::io::Write;
    x.stdin.take()?.write_all(&o.stdout).ok()?;
    let out = x.wait_with_output().ok()?;
    let s = String::from_utf8_lossy(&out.stdout).trim().to_string();
    s.starts_with("serial=").then_some(s)
}

/// A `serve` child killed when the test ends, however it ends.
struct Kill(Child);

impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `get https://site.test:PORT/` trusting the fixture's root must succeed.
fn get_site(fx: &Fixture, port: u16) {
    let o = Command::new(bin())
        .args(["get", &format!("https://site.test:{port}/")])
        .args(["--resolve", "site.test:127.0.0.1", "--ca"])
        .arg(fx.root())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "get: {err}");
}

#[test]
fn serve_acme_gets_its_certificate_and_renews_it_while_serving() {
    let fx = Fixture::new();
    let challenge_port = free_port();
    let server = fx.serve(challenge_port, 1);
    let port = free_port();
    let child = Command::new(bin())
        .args([
            "serve",
            "--addr",
            &format!("127.0.0.1:{port}"),
            "--acme",
            &server.directory,
            "--domain",
            "site.test",
        ])
        .arg("--acme-ca")
        .arg(fx.root())
        .args([
            "--acme-listen",
            &format!("127.0.0.1:{challenge_port}"),
            "--acme-renew-after",
            "1",
            "-q",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let _serve = Kill(child);
    // Bounded waits: the first certificate, then a different one from a renewal.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let first = loop {
        if let Some(s) = served_serial(port) {
            break s;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no certificate served; acme log:\n{}",
            server.log()
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    get_site(&fx, port);
    loop {
        match served_serial(port) {
            Some(s) if s != first => break,
            _ => {
                assert!(
                    std::time::Instant::now() < deadline,
                    "never renewed; acme log:\n{}",
                    server.log()
                );
                std::thread::sleep(Duration::from_millis(200));
            }
        }
    }
}

#[test]
fn serve_acme_answers_tls_alpn01_on_its_own_port() {
    let fx = Fixture::new();
    let port = free_port();
    // The CA validates tls-alpn-01 on the very port the site serves HTTPS on.
    let server = fx.serve(1, port);
    let child = Command::new(bin())
        .args([
            "serve",
            "--addr",
            &format!("127.0.0.1:{port}"),
            "--acme",
            &server.directory,
        ])
        .args([
            "--domain",
            "site.test",
            "--acme-challenge",
            "tls-alpn-01",
            "-q",
            "--acme-ca",
        ])
        .arg(fx.root())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let _serve = Kill(child);
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while served_serial(port).is_none() {
        assert!(
            std::time::Instant::now() < deadline,
            "no certificate; acme log:\n{}",
            server.log()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(
        server.log().contains("tls-alpn-01 site.test valid"),
        "{}",
        server.log()
    );
    get_site(&fx, port);
}
