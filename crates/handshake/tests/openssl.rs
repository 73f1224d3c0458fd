//! Interop with the `openssl` command line (skipped when it is not installed): `s_client` against our
//! TlsAcceptor for each suite and group (and an X448-first group list that forces a HelloRetryRequest),
//! and our TlsConnector against `s_server -www`.
#![cfg(feature = "tokio")]

use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::Arc;

use https_handshake::{ClientConfig, ServerConfig, ServerConfigBuilder, TlsAcceptor, TlsConnector};
use https_pki::{CaOptions, CertificateAuthority, KeyType, Profile};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// True when `tool arg` runs; otherwise prints why the test is skipped.
fn have(tool: &str, arg: &str) -> bool {
    match Command::new(tool).arg(arg).output() {
        Ok(o) if o.status.success() => true,
        _ => {
            eprintln!("skipping: {tool} is not installed");
            false
        }
    }
}

fn have_openssl() -> bool {
    have("openssl", "version")
}

struct Files {
    _dir: tempfile::TempDir,
    ca: std::path::PathBuf,
    cert: std::path::PathBuf,
    key: std::path::PathBuf,
    fullchain: String,
    key_pem: String,
    ca_der: Vec<u8>,
}

impl Files {
    /// Our server with this leaf (`tune` adds ALPN, tickets...), listening on loopback: the
    /// acceptor, the listener and its port.
    async fn listen(
        &self,
        tune: impl FnOnce(ServerConfigBuilder) -> ServerConfigBuilder,
    ) -> (TlsAcceptor, tokio::net::TcpListener, u16) {
        let ck = https_handshake::CertifiedKey::from_pem(
            self.fullchain.as_bytes(),
            self.key_pem.as_bytes(),
        )
        .unwrap();
        let server = tune(ServerConfig::builder().with_certified_key(ck))
            .build()
            .unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        (TlsAcceptor::from(Arc::new(server)), listener, port)
    }
}

fn files() -> Files {
    let ca = CertificateAuthority::new_root(&CaOptions::root("openssl interop CA")).unwrap();
    let issued = ca
        .issue(
            &["localhost"],
            &Profile::server().key_type(KeyType::EcdsaP256),
        )
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (cap, certp, keyp) = (
        dir.path().join("ca.crt"),
        dir.path().join("site.crt"),
        dir.path().join("site.key"),
    );
    std::fs::write(&cap, ca.cert_pem()).unwrap();
    std::fs::write(&certp, issued.fullchain_pem()).unwrap();
    std::fs::write(&keyp, issued.key.to_pkcs8_pem().as_bytes()).unwrap();
    Files {
        _dir: dir,
        ca: cap,
        cert: certp,
        key: keyp,
        fullchain: issued.fullchain_pem(),
        key_pem: issued.key.to_pkcs8_pem().to_string(),
        ca_der: ca.cert_der().to_vec(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openssl_s_client_against_our_server() {
    if !have_openssl() {
        return;
    }
    let f = files();
    let (acceptor, listener, port) = f.listen(|b| b.with_alpn(&[b"http/1.1"])).await;
    let cases: [(&str, &str, bool); 6] = [
        ("TLS_AES_128_GCM_SHA256", "X25519", false),
        ("TLS_AES_256_GCM_SHA384", "X25519", false),
        ("TLS_CHACHA20_POLY1305_SHA256", "X25519", false),
        ("TLS_AES_128_GCM_SHA256", "P-256", false),
        ("TLS_AES_128_GCM_SHA256", "P-384", false),
        ("TLS_AES_128_GCM_SHA256", "X448:X25519", true),
    ];
    let srv = tokio::spawn(async move {
        let mut hrrs = Vec::new();
        for _ in 0..cases.len() {
            let (tcp, _) = listener.accept().await.unwrap();
            let mut tls = acceptor.accept(tcp).await.unwrap();
            hrrs.push(tls.connection().had_hello_retry());
            let mut buf = [0u8; 5];
            tls.read_exact(&mut buf).await.unwrap();
            assert_eq!(&buf, b"ping\n");
            tls.write_all(b"pong from https-kit\n").await.unwrap();
            tls.shutdown().await.unwrap();
        }
        hrrs
    });
    let mut passed = 0;
    for (suite, groups, _) in cases {
        let ca = f.ca.clone();
        let out = tokio::task::spawn_blocking(move || {
            let mut child = Command::new("openssl")
                .args([
                    "s_client",
                    "-tls1_3",
                    "-connect",
                    &format!("127.0.0.1:{port}"),
                    "-servername",
                    "localhost",
                ])
                .args([
                    "-ciphersuites",
                    suite,
                    "-groups",
                    groups,
                    "-alpn",
                    "http/1.1",
                    "-verify_return_error",
                    "-ign_eof",
                ])
                .arg("-CAfile")
                .arg(&ca)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            child.stdin.take().unwrap().write_all(b"ping\n").unwrap();
            child.wait_with_output().unwrap()
        })
        .await
        .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            stdout.contains("pong from https-kit"),
            "{suite} {groups}: {stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            stdout.contains(&format!("Cipher is {suite}")),
            "{suite} {groups}"
        );
        assert!(
            stdout.contains("Verify return code: 0 (ok)"),
            "{suite} {groups}"
        );
        assert!(
            stdout.contains("ALPN protocol: http/1.1"),
            "{suite} {groups}"
        );
        passed += 1;
    }
    let hrrs = srv.await.unwrap();
    assert_eq!(
        hrrs,
        cases.iter().map(|c| c.2).collect::<Vec<_>>(),
        "HRR exactly for X448:X25519"
    );
    eprintln!(
        "openssl s_client -> our server: {passed}/{} passed",
        cases.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_client_against_openssl_s_server() {
    if !have_openssl() {
        return;
    }
    let f = files();
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let mut child = Command::new("openssl")
        .args(["s_server", "-tls1_3", "-www", "-accept", &port.to_string()])
        .arg("-cert")
        .arg(&f.cert)
        .arg("-key")
        .arg(&f.key)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let anchors = https_verify::TrustAnchors::from_der_list([&f.ca_der[..]]).unwrap();
    let mut passed = 0;
    for suite in https_handshake::Tls13Suite::ALL {
        for group in [
            https_handshake::NamedGroup::X25519,
            https_handshake::NamedGroup::Secp256r1,
        ] {
            let client = ClientConfig::builder()
                .with_root_certificates(anchors.clone())
                .with_cipher_suites(&[suite])
                .with_groups(&[group])
                .build()
                .unwrap();
            let mut tcp = None;
            for _ in 0..100 {
                match tokio::net::TcpStream::connect(("127.0.0.1", port)).await {
                    Ok(t) => {
                        tcp = Some(t);
                        break;
                    }
                    Err(_) => tokio::time::sleep(std::time::Duration::from_millis(50)).await,
                }
            }
            let mut tls = TlsConnector::from(Arc::new(client))
                .connect("localhost", tcp.expect("s_server up"))
                .await
                .unwrap();
            tls.write_all(b"GET / HTTP/1.0\r\n\r\n").await.unwrap();
            tls.flush().await.unwrap();
            let mut body = Vec::new();
            let _ = tls.read_to_end(&mut body).await; // s_server -www may close without close_notify
            let body = String::from_utf8_lossy(&body);
            assert!(body.contains("HTTP/1.0 200 ok"), "{suite} {group}: {body}");
            assert!(body.contains(suite.name()), "{suite} {group}: {body}");
            passed += 1;
        }
    }
    // Resumption with OpenSSL's tickets: the second connection of one config resumes.
    let client = Arc::new(
        ClientConfig::builder()
            .with_root_certificates(anchors.clone())
            .build()
            .unwrap(),
    );
    for i in 0..2 {
        let tcp = tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .unwrap();
        let mut tls = TlsConnector::from(client.clone())
            .connect("localhost", tcp)
            .await
            .unwrap();
        assert_eq!(tls.connection().is_resumed(), i > 0, "connection {i}");
        // The default X25519MLKEM768 + X25519 shares: OpenSSL 3.0 takes x25519, no HRR.
        let group = tls.connection().negotiated_group();
        assert_eq!(group, Some(https_handshake::NamedGroup::X25519));
        assert!(!tls.connection().had_hello_retry(), "connection {i}");
        tls.write_all(b"GET / HTTP/1.0\r\n\r\n").await.unwrap();
        tls.flush().await.unwrap();
        let mut body = Vec::new();
        let _ = tls.read_to_end(&mut body).await;
        assert!(String::from_utf8_lossy(&body).contains("200 ok"));
    }
    let _ = child.kill();
    let _ = child.wait();
    eprintln!("our client -> openssl s_server: {passed}/6 passed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_fetches_from_our_server() {
    if !have("curl", "--version") {
        return;
    }
    let f = files();
    let (acceptor, listener, port) = f.listen(|b| b.with_alpn(&[b"http/1.1"])).await;
    let body = "x".repeat(100_000);
    let expected = body.clone();
    let srv = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let mut tls = acceptor.accept(tcp).await.unwrap();
        let mut req = Vec::new();
        let mut buf = [0u8; 1024];
        while !req.ends_with(b"\r\n\r\n") {
            let n = tls.read(&mut buf).await.unwrap();
            assert!(n > 0);
            req.extend_from_slice(&buf[..n]);
        }
        let head = format!(
            "HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
            body.len()
        );
        tls.write_all(head.as_bytes()).await.unwrap();
        tls.write_all(body.as_bytes()).await.unwrap();
        tls.shutdown().await.unwrap();
    });
    let ca = f.ca.clone();
    let out = tokio::task::spawn_blocking(move || {
        Command::new("curl")
            .args([
                "-sS",
                "--tlsv1.3",
                "--resolve",
                &format!("localhost:{port}:127.0.0.1"),
            ])
            .arg("--cacert")
            .arg(&ca)
            .arg(format!("https://localhost:{port}/file"))
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    srv.await.unwrap();
    assert!(
        out.status.success(),
        "curl failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stdout == expected.as_bytes(),
        "curl got {} bytes",
        out.stdout.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openssl_resumes_with_our_ticket() {
    if !have_openssl() {
        return;
    }
    let f = files();
    let (acceptor, listener, port) = f.listen(|b| b.with_session_tickets(true)).await;
    let srv = tokio::spawn(async move {
        let mut resumed = Vec::new();
        for _ in 0..2 {
            let (tcp, _) = listener.accept().await.unwrap();
            let mut tls = acceptor.accept(tcp).await.unwrap();
            resumed.push(tls.connection().is_resumed());
            let mut buf = [0u8; 5];
            tls.read_exact(&mut buf).await.unwrap();
            tls.write_all(b"pong\n").await.unwrap();
            tls.shutdown().await.unwrap();
        }
        resumed
    });
    let sess = f.ca.with_file_name("session.pem");
    let mut outs = Vec::new();
    for flag in ["-sess_out", "-sess_in"] {
        let (ca, sess) = (f.ca.clone(), sess.clone());
        let out = tokio::task::spawn_blocking(move || {
            let mut child = Command::new("openssl")
                .args([
                    "s_client",
                    "-tls1_3",
                    "-connect",
                    &format!("127.0.0.1:{port}"),
                    "-servername",
                    "localhost",
                ])
                .args(["-verify_return_error", "-ign_eof", flag])
                .arg(&sess)
                .arg("-CAfile")
                .arg(&ca)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            child.stdin.take().unwrap().write_all(b"ping\n").unwrap();
            child.wait_with_output().unwrap()
        })
        .await
        .unwrap();
        outs.push(String::from_utf8_lossy(&out.stdout).into_owned());
    }
    assert!(outs[0].contains("New, TLSv1.3"), "{}", outs[0]);
    assert!(outs[1].contains("Reused, TLSv1.3"), "{}", outs[1]);
    assert_eq!(srv.await.unwrap(), [false, true]);
}

#[test]
fn sec1_keys_from_openssl_load_and_sign() {
    if !have_openssl() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for (curve, kind) in [("prime256v1", "ECDSA P-256"), ("secp384r1", "ECDSA P-384")] {
        let path = dir.path().join(format!("{curve}.key"));
        let st = Command::new("openssl")
            .args(["ecparam", "-genkey", "-name", curve, "-noout", "-out"])
            .arg(&path)
            .status()
            .unwrap();
        assert!(st.success());
        let pem_text = std::fs::read(&path).unwrap();
        assert!(String::from_utf8_lossy(&pem_text).contains("BEGIN EC PRIVATE KEY"));
        let key = https_handshake::SigningKey::from_pem(&pem_text).unwrap();
        assert_eq!(key.kind(), kind);
        let scheme = key.choose_scheme(https_handshake::VERIFY_SCHEMES).unwrap();
        let sig = key.sign(scheme, b"transcript").unwrap();
        let alg: &dyn ring::signature::VerificationAlgorithm = if kind.ends_with("256") {
            &ring::signature::ECDSA_P256_SHA256_ASN1
        } else {
            &ring::signature::ECDSA_P384_SHA384_ASN1
        };
        ring::signature::UnparsedPublicKey::new(alg, key.public_key())
            .verify(b"transcript", &sig)
            .expect("signature verifies with the key's public half");
    }
}
