//! `https-kit acme serve` against ACME clients nobody here wrote: certbot (PyPI, in a venv) and
//! lego (Debian), on loopback; openssl judges what they got. Each test skips with a printed
//! reason only when its client is not installed (`.ci/run` installs both).

mod acme_support;

use std::path::Path;
use std::process::{Command, Output};

use acme_support::*;

/// certbot with everything in the fixture dir, our root trusted, no prompts.
fn certbot_cmd(cb: &Path, fx: &Fixture, args: &[&str]) -> Command {
    let mut c = bounded(cb);
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
    let mut c = bounded("lego");
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

/// lego obtains a certificate for site.test with one challenge type; openssl verifies it and the
/// server's log shows that challenge validated.
fn lego_obtains_with(challenge: &str) {
    if lego().is_none() {
        eprintln!("skipped: lego not installed (apt-get install lego)");
        return;
    }
    let fx = Fixture::new();
    let port = free_port();
    let (server, flags) = match challenge {
        "http-01" => (fx.serve(port, 1), ["--http", "--http.port"]),
        _ => (fx.serve(1, port), ["--tls", "--tls.port"]),
    };
    let addr = format!("127.0.0.1:{port}");
    let o = lego_run(&fx, &server, &[flags[0], flags[1], &addr], &["site.test"]);
    check(o, &format!("lego {}", flags[0]), &server);
    openssl_verify(&fx.root(), &fx.path("lego/certificates/site.test.crt"));
    let line = format!("{challenge} site.test valid");
    assert!(server.log().contains(&line), "{}", server.log());
}

#[test]
fn lego_http01_gets_a_certificate_openssl_verifies() {
    lego_obtains_with("http-01");
}

#[test]
fn lego_tls_alpn01_gets_a_certificate_openssl_verifies() {
    lego_obtains_with("tls-alpn-01");
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

#[test]
fn lego_4_9_ip_certificates_are_refused_because_its_csr_puts_the_ip_in_a_dns_name() {
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
        &["127.0.0.1"],
    );
    let err = String::from_utf8_lossy(&o.stderr).to_string() + &String::from_utf8_lossy(&o.stdout);
    if o.status.success() {
        // A newer lego writes an iPAddress SAN: then the certificate must really name the IP.
        let cert = fx.path("lego/certificates/127.0.0.1.crt");
        let o = Command::new("openssl")
            .args(["verify", "-verify_ip", "127.0.0.1", "-CAfile"])
            .arg(fx.root())
            .arg(&cert)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        return;
    }
    // The validation itself passed; the CSR was refused, and nothing was issued.
    assert!(
        server.log().contains("http-01 127.0.0.1 valid"),
        "{}",
        server.log()
    );
    assert!(err.contains("badCSR") && err.contains("iPAddress"), "{err}");
}
