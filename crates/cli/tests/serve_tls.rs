//! `serve`'s TLS options against peers nobody here wrote: SNI certificate choice, client
//! certificates (mTLS), session resumption, and a client that half-closes (gnutls-cli).

mod common;

use common::*;
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

/// `openssl s_client` to `port` with `args`, sending `stdin` then closing it; stdout+stderr.
fn s_client(port: u16, args: &[&str], stdin: &str) -> String {
    let mut cmd = Command::new("openssl");
    cmd.args(["s_client", "-connect"])
        .arg(format!("127.0.0.1:{port}"))
        .args(args);
    text(&run_with_stdin(
        &mut cmd,
        stdin.as_bytes(),
        Duration::from_secs(30),
    ))
}

/// A TLS 1.3 GET for site.test that saves (`-sess_out`) or offers (`-sess_in`) the session in `sess`.
fn resume_client(port: u16, sess_flag: &str, sess: &str) -> String {
    s_client(
        port,
        &[
            "-tls1_3",
            "-servername",
            "site.test",
            "-ign_eof",
            sess_flag,
            sess,
        ],
        GET,
    )
}

/// The subject of the first certificate in `pem_text`, by `openssl x509 -noout -subject`.
fn subject_of(pem_text: &str) -> String {
    let out = run_with_stdin(
        Command::new("openssl").args(["x509", "-noout", "-subject"]),
        pem_text.as_bytes(),
        Duration::from_secs(10),
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

const GET: &str = "GET / HTTP/1.1\r\nHost: site.test\r\nConnection: close\r\n\r\n";

#[test]
fn sni_picks_the_certificate_naming_the_host_and_the_first_pair_by_default() {
    if !need(&["openssl"]) {
        return;
    }
    let f = Fixture::new();
    f.issue("other", &["other.test", "*.wild.test"]);
    let server = f.serve(&[
        "--cert",
        f.p("other.fullchain.crt"),
        "--key",
        f.p("other.key"),
    ]);
    let cases = [
        (Some("site.test"), "CN=site.test"),
        (Some("other.test"), "CN=other.test"),
        (Some("a.wild.test"), "CN=other.test"),
        (Some("unknown.test"), "CN=site.test"),
        (None, "CN=site.test"),
    ];
    for (name, want) in cases {
        let mut args = vec!["-tls1_3"];
        match name {
            Some(n) => args.extend(["-servername", n]),
            None => args.push("-noservername"),
        }
        let out = s_client(server.port, &args, "");
        let subject = subject_of(&out).replace(' ', "");
        assert!(
            subject.ends_with(want),
            "SNI {name:?}: got {subject:?}, want {want}"
        );
    }
    // curl --resolve for each name verifies the matching certificate end to end.
    if have("curl") {
        for host in ["site.test", "other.test"] {
            let out = f.curl(
                server.port,
                &[
                    "--fail",
                    "--resolve",
                    &format!("other.test:{}:127.0.0.1", server.port),
                    &format!("https://{host}:{}/", server.port),
                ],
            );
            assert!(out.status.success(), "curl {host}: {}", text(&out));
        }
    }
}

fn mtls_fixture() -> Fixture {
    let f = Fixture::new();
    f.ok(&[
        "cert",
        "issue",
        "alice",
        "--client",
        "--dir",
        f.p("ca"),
        "--out",
        f.p("alice"),
    ]);
    f
}

#[test]
fn mtls_required_serves_a_client_with_a_certificate_and_logs_who_it_is() {
    if !need(&["openssl"]) {
        return;
    }
    let f = mtls_fixture();
    let server = f.serve(&["--client-ca", f.p("ca/ca.crt"), "--client-auth", "required"]);
    let out = s_client(
        server.port,
        &[
            "-tls1_3",
            "-servername",
            "site.test",
            "-ign_eof",
            "-cert",
            f.p("alice.crt"),
            "-key",
            f.p("alice.key"),
        ],
        GET,
    );
    assert!(out.contains("<h1>index</h1>"), "{out}");
    assert!(
        eventually(Duration::from_secs(5), || server
            .log_text()
            .contains("client=\"CN=alice\"")),
        "access log does not name the client:\n{}",
        server.log_text()
    );

    // Our own client presents a certificate too.
    let got = Command::new(bin())
        .args(["get", &format!("https://localhost:{}/", server.port)])
        .args(["--ca", f.p("ca/ca.crt")])
        .args([
            "--cert",
            f.p("alice.fullchain.crt"),
            "--key",
            f.p("alice.key"),
        ])
        .output()
        .unwrap();
    assert!(got.status.success(), "{}", text(&got));
    assert_eq!(String::from_utf8_lossy(&got.stdout), "<h1>index</h1>\n");
}

#[test]
fn mtls_required_without_a_certificate_is_refused_with_certificate_required() {
    if !need(&["openssl"]) {
        return;
    }
    let f = mtls_fixture();
    let server = f.serve(&["--client-ca", f.p("ca/ca.crt")]);
    let out = s_client(
        server.port,
        &["-tls1_3", "-servername", "site.test", "-ign_eof"],
        GET,
    );
    assert!(!out.contains("<h1>index</h1>"), "{out}");
    assert!(
        out.contains("certificate required"),
        "no certificate_required alert:\n{out}"
    );
    // Our own client without --cert is refused the same way (exit 1: a TLS failure).
    let got = Command::new(bin())
        .args(["get", &format!("https://localhost:{}/", server.port)])
        .args(["--ca", f.p("ca/ca.crt")])
        .output()
        .unwrap();
    assert_eq!(got.status.code(), Some(1), "{}", text(&got));

    // Optional: a client without a certificate is served.
    let server = f.serve(&["--client-ca", f.p("ca/ca.crt"), "--client-auth", "optional"]);
    let out = s_client(
        server.port,
        &["-tls1_3", "-servername", "site.test", "-ign_eof"],
        GET,
    );
    assert!(out.contains("<h1>index</h1>"), "{out}");
}

#[test]
fn openssl_resumes_a_session_from_a_serve_ticket() {
    if !need(&["openssl"]) {
        return;
    }
    let f = Fixture::new();
    let server = f.serve(&[]);
    let sess = f.p("session.pem");
    let first = resume_client(server.port, "-sess_out", sess);
    assert!(first.contains("<h1>index</h1>"), "{first}");
    assert!(first.contains("New, TLSv1.3"), "{first}");
    let second = resume_client(server.port, "-sess_in", sess);
    assert!(second.contains("Reused, TLSv1.3"), "not resumed:\n{second}");
    assert!(second.contains("<h1>index</h1>"), "{second}");

    // --no-tickets: nothing to resume with.
    let server = f.serve(&["--no-tickets"]);
    let out = s_client(
        server.port,
        &[
            "-tls1_3",
            "-servername",
            "site.test",
            "-ign_eof",
            "-sess_out",
            f.p("s2.pem"),
        ],
        GET,
    );
    assert!(out.contains("<h1>index</h1>"), "{out}");
    assert!(!out.contains("TLS session ticket:"), "{out}");
}

/// gnutls-cli sends the request and, its stdin at an end, closes its side (close_notify). The
/// response is still owed (TLS 1.3 half-close; hyper's half_close on our side).
#[test]
fn gnutls_cli_gets_the_page_after_closing_its_side() {
    if !need(&["gnutls-cli"]) {
        return;
    }
    let f = Fixture::new();
    let server = f.serve(&[]);
    let mut child = Command::new("gnutls-cli")
        .args(["--x509cafile", f.p("ca/ca.crt"), "-p"])
        .arg(server.port.to_string())
        .arg("localhost")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("gnutls-cli");
    let _ = child
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"GET / HTTP/1.0\r\n\r\n");
    let out = wait_output(child, Duration::from_secs(30));
    let all = text(&out);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("<h1>index</h1>"),
        "gnutls-cli got no page:\n{all}"
    );
}

#[test]
fn two_serve_processes_sharing_a_ticket_key_file_resume_each_others_sessions() {
    if !need(&["openssl"]) {
        return;
    }
    let f = Fixture::new();
    let keys = f.p("tickets.key");
    f.ok(&["ticket-key", "new", keys]);
    let a = f.serve(&["--ticket-key-file", keys]);
    let b = f.serve(&["--ticket-key-file", keys]);
    let sess = f.p("from-a.pem");
    let first = resume_client(a.port, "-sess_out", sess);
    assert!(first.contains("<h1>index</h1>"), "{first}");
    let second = resume_client(b.port, "-sess_in", sess);
    assert!(
        second.contains("Reused, TLSv1.3"),
        "B did not resume A's ticket:\n{second}"
    );
    assert!(second.contains("<h1>index</h1>"), "{second}");

    // A server with its own (in-memory) keys cannot open A's ticket: a full handshake.
    let c = f.serve(&[]);
    let third = resume_client(c.port, "-sess_in", sess);
    assert!(third.contains("New, TLSv1.3"), "{third}");
    assert!(third.contains("<h1>index</h1>"), "{third}");

    // A key file others may read is refused at start (exit 2, one line).
    std::fs::copy(keys, f.path("open.key")).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(f.path("open.key"), std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = Command::new(bin())
        .args([
            "serve",
            f.p("www"),
            "--cert",
            f.p("site.fullchain.crt"),
            "--key",
            f.p("site.key"),
        ])
        .args([
            "--ticket-key-file",
            f.p("open.key"),
            "--addr",
            "127.0.0.1:0",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
}

/// A session resumed under client authentication keeps the client's identity (the ticket
/// carries it), so the access log still names the client.
#[test]
fn a_resumed_mtls_session_still_names_the_client() {
    if !need(&["openssl"]) {
        return;
    }
    let f = mtls_fixture();
    let server = f.serve(&["--client-ca", f.p("ca/ca.crt"), "--log-json"]);
    let sess = f.p("alice-session.pem");
    let with_cert = |extra: &[&str]| {
        let mut args = vec![
            "-tls1_3",
            "-servername",
            "site.test",
            "-ign_eof",
            "-cert",
            f.p("alice.crt"),
            "-key",
            f.p("alice.key"),
        ];
        args.extend_from_slice(extra);
        s_client(server.port, &args, GET)
    };
    let first = with_cert(&["-sess_out", sess]);
    assert!(first.contains("<h1>index</h1>"), "{first}");
    let second = with_cert(&["-sess_in", sess]);
    assert!(second.contains("Reused, TLSv1.3"), "{second}");
    assert!(second.contains("<h1>index</h1>"), "{second}");
    let resumed_line = || {
        server
            .log_text()
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .find(|v| v["resumed"] == true)
    };
    assert!(eventually(Duration::from_secs(5), || resumed_line().is_some()));
    let v = resumed_line().unwrap();
    assert_eq!(v["client"], "CN=alice", "{v}");
}
