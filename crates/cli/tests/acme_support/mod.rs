//! Shared by the ACME CLI tests: the binary, free ports, `acme serve` as a child, a CA fixture,
//! and openssl as the judge.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_https-kit")
}

/// `program` under coreutils `timeout`: an external client that hangs fails the test in 2 minutes
/// instead of stalling the run.
pub fn bounded(program: impl AsRef<std::ffi::OsStr>) -> Command {
    let mut c = Command::new("timeout");
    c.arg("120").arg(program);
    c
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// certbot: $CERTBOT, else the venv `.ci/run` makes in target/acme-venv, else PATH.
pub fn certbot() -> Option<PathBuf> {
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

pub fn lego() -> Option<PathBuf> {
    let ok = Command::new("lego")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    ok.is_ok_and(|s| s.success()).then(|| "lego".into())
}

/// `acme serve` as a child process, killed on drop; its stderr is collected for diagnostics.
pub struct AcmeServe {
    pub child: Child,
    pub directory: String,
    log: Arc<Mutex<String>>,
}

impl Drop for AcmeServe {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl AcmeServe {
    pub fn start(ca: &Path, db: &Path, addr: &str, http01: u16, tls_alpn01: u16) -> AcmeServe {
        Self::start_with(ca, db, addr, http01, tls_alpn01, &[])
    }

    pub fn start_with(
        ca: &Path,
        db: &Path,
        addr: &str,
        http01: u16,
        tls_alpn01: u16,
        extra: &[&str],
    ) -> AcmeServe {
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
            .args(extra)
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

    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }
}

pub struct Fixture {
    pub dir: tempfile::TempDir,
}

impl Fixture {
    pub fn new() -> Fixture {
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
    pub fn path(&self, p: &str) -> PathBuf {
        self.dir.path().join(p)
    }
    pub fn root(&self) -> PathBuf {
        self.path("ca/ca.crt")
    }
    pub fn serve(&self, http01: u16, tls_alpn01: u16) -> AcmeServe {
        AcmeServe::start(
            &self.path("ca"),
            &self.path("acme.db"),
            "127.0.0.1:0",
            http01,
            tls_alpn01,
        )
    }
}

pub fn check(o: Output, what: &str, server: &AcmeServe) -> Output {
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

pub fn openssl_verify(root: &Path, cert: &Path) {
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

pub fn serial_of(cert: &Path) -> String {
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
