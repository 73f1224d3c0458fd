//! `SSLKEYLOGFILE` honoured by `serve` and `get` as curl does (the library itself logs nothing unless
//! given a key log): both ends write the same secrets, each file created 0600; unset, nothing.
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_https-kit")
}

/// A child process killed on drop, so a failing test never leaves a server behind.
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn kit(args: &[&str]) {
    let out = Command::new(bin()).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn serve(dir: &Path, key_log: &Path) -> (Guard, u16) {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port();
    let child = Command::new(bin())
        .arg("serve")
        .arg(dir.join("www"))
        .arg("--cert")
        .arg(dir.join("site.fullchain.crt"))
        .arg("--key")
        .arg(dir.join("site.key"))
        .args(["--addr", &format!("127.0.0.1:{port}")])
        .env("SSLKEYLOGFILE", key_log)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut guard = Guard(child);
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "serve did not listen");
        assert!(guard.0.try_wait().unwrap().is_none(), "serve exited");
        std::thread::sleep(Duration::from_millis(50));
    }
    (guard, port)
}

fn get(dir: &Path, port: u16, key_log: Option<&Path>) {
    let mut cmd = Command::new(bin());
    cmd.args(["get", &format!("https://localhost:{port}/"), "--ca"])
        .arg(dir.join("ca/ca.crt"))
        .env_remove("SSLKEYLOGFILE");
    if let Some(p) = key_log {
        cmd.env("SSLKEYLOGFILE", p);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn serve_and_get_write_the_same_secrets_to_0600_key_logs() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let ca = d.join("ca");
    kit(&["ca", "init", "--dir", ca.to_str().unwrap()]);
    let site = d.join("site");
    kit(&[
        "cert",
        "issue",
        "localhost",
        "--dir",
        ca.to_str().unwrap(),
        "--out",
        site.to_str().unwrap(),
    ]);
    std::fs::create_dir(d.join("www")).unwrap();
    std::fs::write(d.join("www/index.html"), "hi\n").unwrap();
    let (server_log, client_log) = (d.join("server.keys"), d.join("client.keys"));
    let (_server, port) = serve(d, &server_log);
    get(d, port, Some(&client_log));
    let read = |p: &Path| {
        let mode = std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{}", p.display());
        let mut lines: Vec<String> = std::fs::read_to_string(p)
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect();
        lines.sort();
        lines
    };
    let client = read(&client_log);
    assert_eq!(client.len(), 5, "{client:?}");
    for label in [
        "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
        "CLIENT_TRAFFIC_SECRET_0",
        "EXPORTER_SECRET",
    ] {
        assert!(client.iter().any(|l| l.starts_with(label)), "{label}");
    }
    assert_eq!(
        read(&server_log),
        client,
        "both ends logged the same secrets"
    );

    // Without the variable, `get` logs nothing anywhere.
    let before = std::fs::read_dir(d).unwrap().count();
    get(d, port, None);
    assert_eq!(std::fs::read_dir(d).unwrap().count(), before);
    assert_eq!(read(&client_log).len(), 5, "the old log is untouched");
}
