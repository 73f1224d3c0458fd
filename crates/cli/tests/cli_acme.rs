//! `https-kit acme serve` against ACME clients nobody here wrote: certbot (PyPI, in a venv) and
//! lego (Debian), on loopback; openssl judges what they got. Each test skips with a printed
//! reason only when its client is not installed (`.ci/run` installs both).

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_https-kit")
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// certbot: $CERTBOT, else the venv `.ci/run` makes in target/acme-venv, else PATH.
fn certbot() -> Option<PathBuf> {
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/acme-venv/bin/certbot");
    let candidates = [
        std::env::var_os("CERTBOT").map(PathBuf::from),
        Some(venv),
        Some("certbot".into()),
    ];
    candidates.into_iter().flatten().find(|c| {
        Command::new(c)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    })
}

fn lego() -> Option<PathBuf> {
    let ok = Command::new("lego")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    ok.is_ok_and(|s| s.success()).then(|| "lego".into())
}

/// `acme serve` as a child process, killed on drop; its stderr is collected for diagnostics.
struct AcmeServe {
    child: Child,
    directory: String,
    log: Arc<Mutex<String>>,
}

impl Drop for AcmeServe {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl AcmeServe {
    fn start(ca: &Path, db: &Path, addr: &str, http01: u16, tls_alpn01: u16) -> AcmeServe {
        let mut child = Command::new(bin())
            .args(["acme", "serve", "--dir"])
            .arg(ca)
            .arg("--db")
            .arg(db)
            .args(["--addr", addr, "--resolve", "site.test:127.0.0.1"])
            .args([
                "--http-01-port",
                &http01.to_string(),
                "--tls-alpn-01-port",
                &tls_alpn01.to_string(),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn acme serve");
        let stderr = child.stderr.take().expect("stderr");
        let log = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(url) = line.split_whitespace().find(|w| w.ends_with("/directory")) {
                    let _ = tx.send(url.to_string());
                }
                sink.lock().unwrap().push_str(&(line + "\n"));
            }
        });
        let directory = rx
            .recv_timeout(Duration::from_secs(20))
            .unwrap_or_else(|_| {
                panic!(
                    "acme serve printed no directory URL: {}",
                    log.lock().unwrap()
                )
            });
        AcmeServe {
            child,
            directory,
            log,
        }
    }

    fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }
}

struct Fixture {
    dir: tempfile::TempDir,
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let o = Command::new(bin())
            .args(["ca", "init", "--dir"])
            .arg(dir.path().join("ca"))
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "ca init: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        Fixture { dir }
    }
    fn path(&self, p: &str) -> PathBuf {
        self.dir.path().join(p)
    }
    fn root(&self) -> PathBuf {
        self.path("ca/ca.crt")
    }
    fn serve(&self, http01: u16, tls_alpn01: u16) -> AcmeServe {
        AcmeServe::start(
            &self.path("ca"),
            &self.path("acme.db"),
            "127.0.0.1:0",
            http01,
            tls_alpn01,
        )
    }
}

fn check(o: Output, what: &str, server: &AcmeServe) -> Output {
    assert!(
        o.status.success(),
        "{what} failed ({}):\nstdout: {}\nstderr: {}\nserver log:\n{}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr),
        server.log()
    );
    o
}

fn openssl_verify(root: &Path, cert: &Path) {
    let o = Command::new("openssl")
        .arg("verify")
        .arg("-CAfile")
        .arg(root)
        .arg(cert)
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success() && out.contains(": OK"),
        "openssl verify: {out} {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

fn serial_of(cert: &Path) -> String {
    let o = Command::new("openssl")
        .args(["x509", "-noout", "-serial", "-in"])
        .arg(cert)
        .output()
        .unwrap();
    String::from_utf8_lossy(&o.stdout)
        .trim()
        .trim_start_matches("serial=")
        .to_ascii_uppercase()
}

/// certbot with everything in the fixture dir, our root trusted, no prompts.
fn certbot_cmd(cb: &Path, fx: &Fixture, args: &[&str]) -> Command {
    let mut c = Command::new(cb);
    c.args(args)
        .args(["--non-interactive", "--config-dir"])
        .arg(fx.path("cb/config"))
        .arg("--work-dir")
        .arg(fx.path("cb/work"))
        .arg("--logs-dir")
        .arg(fx.path("cb/logs"))
        .env("REQUESTS_CA_BUNDLE", fx.root());
    c
}

fn certbot_certonly(cb: &Path, fx: &Fixture, server: &AcmeServe, port: u16) {
    let o = certbot_cmd(
        cb,
        fx,
        &[
            "certonly",
            "--standalone",
            "--agree-tos",
            "--register-unsafely-without-email",
        ],
    )
    .args([
        "--server",
        &server.directory,
        "--http-01-port",
        &port.to_string(),
        "--http-01-address",
        "127.0.0.1",
    ])
    .args(["-d", "site.test"])
    .output()
    .unwrap();
    check(o, "certbot certonly", server);
}

#[test]
fn certbot_certonly_http01_gets_a_certificate_openssl_verifies_and_renew_replaces_it() {
    let Some(cb) = certbot() else {
        eprintln!("skipped: certbot not installed (.ci/run makes target/acme-venv)");
        return;
    };
    let fx = Fixture::new();
    let port = free_port();
    let server = fx.serve(port, 1);
    certbot_certonly(&cb, &fx, &server, port);
    let cert = fx.path("cb/config/live/site.test/cert.pem");
    openssl_verify(&fx.root(), &cert);
    openssl_verify(
        &fx.root(),
        &fx.path("cb/config/live/site.test/fullchain.pem"),
    );
    let first = serial_of(&cert);
    let o = certbot_cmd(
        &cb,
        &fx,
        &["renew", "--force-renewal", "--no-random-sleep-on-renew"],
    )
    .output()
    .unwrap();
    check(o, "certbot renew --force-renewal", &server);
    openssl_verify(&fx.root(), &cert);
    assert_ne!(
        serial_of(&cert),
        first,
        "renewal must bring a new certificate"
    );
}

#[test]
fn certbot_revoke_puts_the_serial_on_the_crl() {
    let Some(cb) = certbot() else {
        eprintln!("skipped: certbot not installed (.ci/run makes target/acme-venv)");
        return;
    };
    let fx = Fixture::new();
    let port = free_port();
    let server = fx.serve(port, 1);
    certbot_certonly(&cb, &fx, &server, port);
    let cert = fx.path("cb/config/live/site.test/cert.pem");
    let o = certbot_cmd(
        &cb,
        &fx,
        &[
            "revoke",
            "--no-delete-after-revoke",
            "--reason",
            "superseded",
        ],
    )
    .args(["--server", &server.directory, "--cert-path"])
    .arg(&cert)
    .output()
    .unwrap();
    check(o, "certbot revoke", &server);
    let crl_url = server.directory.replace("/directory", "/crl");
    let crl = fx.path("ca.crl");
    let o = Command::new(bin())
        .args(["get", &crl_url, "--ca"])
        .arg(fx.root())
        .arg("-o")
        .arg(&crl)
        .output()
        .unwrap();
    check(o, "https-kit get the CRL", &server);
    let o = Command::new("openssl")
        .args(["crl", "-inform", "DER", "-noout", "-text", "-CAfile"])
        .arg(fx.root())
        .arg("-in")
        .arg(&crl)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&o.stdout).to_ascii_uppercase();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("verify OK"), "openssl crl: {err}");
    let serial = serial_of(&cert);
    assert!(
        text.contains(&serial),
        "serial {serial} not on the CRL:\n{text}"
    );
    assert!(text.contains("SUPERSEDED"), "{text}");
    // Our own verifier, given the CRL, now refuses the certificate.
    let o = Command::new(bin())
        .arg("verify")
        .arg(fx.path("cb/config/live/site.test/fullchain.pem"))
        .arg("--roots")
        .arg(fx.root())
        .arg("--crl")
        .arg(&crl)
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&o.stdout).to_ascii_lowercase();
    assert_eq!(o.status.code(), Some(1), "{report}");
    assert!(report.contains("revoked"), "{report}");
}

#[test]
fn certbot_certonly_for_a_name_and_an_ip_address() {
    let Some(cb) = certbot() else {
        eprintln!("skipped: certbot not installed (.ci/run makes target/acme-venv)");
        return;
    };
    let fx = Fixture::new();
    let port = free_port();
    let server = fx.serve(port, 1);
    let o = certbot_cmd(
        &cb,
        &fx,
        &[
            "certonly",
            "--standalone",
            "--agree-tos",
            "--register-unsafely-without-email",
        ],
    )
    .args([
        "--server",
        &server.directory,
        "--http-01-port",
        &port.to_string(),
        "--http-01-address",
        "127.0.0.1",
    ])
    .args([
        "-d",
        "site.test",
        "--ip-address",
        "127.0.0.1",
        "--cert-name",
        "both",
    ])
    .output()
    .unwrap();
    check(o, "certbot certonly --ip-address", &server);
    let cert = fx.path("cb/config/live/both/cert.pem");
    openssl_verify(&fx.root(), &cert);
    let o = Command::new("openssl")
        .args(["verify", "-CAfile"])
        .arg(fx.root())
        .args(["-verify_ip", "127.0.0.1"])
        .arg(&cert)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        server.log().contains("http-01 127.0.0.1 valid"),
        "{}",
        server.log()
    );
}

fn lego_run(fx: &Fixture, server: &AcmeServe, solver: &[&str], domains: &[&str]) -> Output {
    let mut c = Command::new("lego");
    c.args([
        "--server",
        &server.directory,
        "--accept-tos",
        "--email",
        "admin@site.test",
        "--path",
    ])
    .arg(fx.path("lego"))
    .args(solver)
    .env("LEGO_CA_CERTIFICATES", fx.root());
    for d in domains {
        c.args(["--domains", d]);
    }
    c.arg("run").output().unwrap()
}

#[test]
fn lego_http01_gets_a_certificate_openssl_verifies() {
    if lego().is_none() {
        eprintln!("skipped: lego not installed (apt-get install lego)");
        return;
    }
    let fx = Fixture::new();
    let port = free_port();
    let server = fx.serve(port, 1);
    let o = lego_run(
        &fx,
        &server,
        &["--http", "--http.port", &format!("127.0.0.1:{port}")],
        &["site.test"],
    );
    check(o, "lego --http", &server);
    openssl_verify(&fx.root(), &fx.path("lego/certificates/site.test.crt"));
    assert!(
        server.log().contains("http-01 site.test valid"),
        "{}",
        server.log()
    );
}

#[test]
fn lego_tls_alpn01_gets_a_certificate_openssl_verifies() {
    if lego().is_none() {
        eprintln!("skipped: lego not installed (apt-get install lego)");
        return;
    }
    let fx = Fixture::new();
    let port = free_port();
    let server = fx.serve(1, port);
    let o = lego_run(
        &fx,
        &server,
        &["--tls", "--tls.port", &format!("127.0.0.1:{port}")],
        &["site.test"],
    );
    check(o, "lego --tls", &server);
    openssl_verify(&fx.root(), &fx.path("lego/certificates/site.test.crt"));
    assert!(
        server.log().contains("tls-alpn-01 site.test valid"),
        "{}",
        server.log()
    );
}

#[test]
fn killing_acme_serve_between_new_order_and_finalize_loses_nothing() {
    use https_acme::client::{AccountKey, AcmeClient, ChallengeKind, Http01Responder};
    let fx = Fixture::new();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let root = std::fs::read(fx.root()).unwrap();
    rt.block_on(async {
        let responder = Http01Responder::start("127.0.0.1:0".parse().unwrap())
            .await
            .unwrap();
        let port = responder.addr().port();
        let addr = format!("127.0.0.1:{}", free_port());
        let mut server = AcmeServe::start(&fx.path("ca"), &fx.path("acme.db"), &addr, port, 1);
        let key = AccountKey::generate(https_pki::KeyType::EcdsaP256).unwrap();
        let mut c = AcmeClient::connect(&server.directory, &root, key)
            .await
            .unwrap();
        c.register(&[]).await.unwrap();
        let (order_url, order) = c.new_order(&["site.test".into()]).await.unwrap();
        c.authorize(&order, ChallengeKind::Http01(&responder))
            .await
            .unwrap();
        // SIGKILL: no chance to flush anything that was not committed.
        server.child.kill().unwrap();
        server.child.wait().unwrap();
        let server = AcmeServe::start(&fx.path("ca"), &fx.path("acme.db"), &addr, port, 1);
        // Same URLs after the restart; the old nonce is gone, and the client retries on badNonce.
        let order = c.get_json(&order_url).await.unwrap();
        assert_eq!(order["status"], "ready", "{}", server.log());
        let key = https_pki::PrivateKey::generate(https_pki::KeyType::EcdsaP256).unwrap();
        let san = https_pki::SubjectAltName::from_name("site.test").unwrap();
        let csr = https_pki::Csr::new(&key, "site.test", &[san]).unwrap();
        let pem = c.finalize(&order_url, &order, csr.der()).await.unwrap();
        let cert = fx.path("site.crt");
        std::fs::write(&cert, pem).unwrap();
        openssl_verify(&fx.root(), &cert);
    });
}

#[test]
fn acme_serve_refuses_a_missing_ca_dir_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let o = Command::new(bin())
        .args(["acme", "serve", "--dir"])
        .arg(dir.path().join("nope"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("CA directory not found"));
}

fn cert_request(
    fx: &Fixture,
    directory: &str,
    challenge: &str,
    listen: &str,
    names: &[&str],
    out: &str,
) -> Output {
    Command::new(bin())
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
    struct Kill(Child);
    impl Drop for Kill {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
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
    let o = Command::new(bin())
        .args([
            "get",
            &format!("https://site.test:{port}/"),
            "--resolve",
            "site.test:127.0.0.1",
            "--ca",
        ])
        .arg(fx.root())
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "get: {}",
        String::from_utf8_lossy(&o.stderr)
    );
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
