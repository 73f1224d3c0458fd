//! Shared by the `serve`/`get` test files: a CA and certificates, a served directory, a `serve`
//! process killed on drop (its stderr, the access log, kept in a file), bounded waits.
#![allow(dead_code)]

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_https-kit")
}

pub fn have(tool: &str) -> bool {
    Command::new(tool)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

/// Prints why a test did not run and says whether it may.
pub fn need(tools: &[&str]) -> bool {
    for t in tools {
        if !have(t) {
            eprintln!("skipped: {t} is not installed");
            return false;
        }
    }
    true
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// A child process killed on drop, so a failing test never leaves a server behind.
pub struct Guard(pub Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn wait_for_port(port: u16, child: &mut Child) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("server exited early: {status}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("nothing listened on 127.0.0.1:{port} within 20 s");
}

/// Runs `https-kit args`, failing the test (with its stderr) unless it succeeds.
pub fn run_ok(args: &[&str]) -> Output {
    let out = Command::new(bin())
        .args(args)
        .output()
        .expect("run https-kit");
    assert!(
        out.status.success(),
        "https-kit {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Runs `cmd` with `stdin` written to it then closed, waiting at most `limit`.
pub fn run_with_stdin(cmd: &mut Command, stdin: &[u8], limit: Duration) -> Output {
    use std::io::Write;
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    // The peer may exit before reading everything: that is its answer, not a test failure.
    let _ = child.stdin.take().expect("stdin").write_all(stdin);
    wait_output(child, limit)
}

/// Waits for `child` at most `limit`, killing it (and failing) past that.
pub fn wait_output(mut child: Child, limit: Duration) -> Output {
    let deadline = Instant::now() + limit;
    loop {
        match child.try_wait() {
            Ok(Some(_)) => return child.wait_with_output().expect("output"),
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            _ => {
                let _ = child.kill();
                let out = child.wait_with_output().expect("output");
                panic!(
                    "peer did not finish within {limit:?}: {}{}",
                    String::from_utf8_lossy(&out.stdout),
                    String::from_utf8_lossy(&out.stderr)
                );
            }
        }
    }
}

/// Polls `cond` every 20 ms for at most `limit`.
pub fn eventually(limit: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    loop {
        if cond() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A running `serve`: its port, and its stderr (the access log) in a file.
pub struct Server {
    pub guard: Guard,
    pub port: u16,
    pub log: PathBuf,
}

impl Server {
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
    pub fn pid(&self) -> u32 {
        self.guard.0.id()
    }
}

/// A CA, a certificate for `site.test`, `localhost` and 127.0.0.1, and a directory to serve.
pub struct Fixture {
    pub dir: tempfile::TempDir,
}

impl Fixture {
    pub fn new() -> Fixture {
        let dir = tempfile::tempdir().expect("tempdir");
        let f = Fixture { dir };
        f.ok(&["ca", "init", "--dir", f.p("ca")]);
        f.issue("site", &["site.test", "localhost", "127.0.0.1"]);
        std::fs::create_dir(f.path("www")).unwrap();
        std::fs::write(f.path("www/index.html"), "<h1>index</h1>\n").unwrap();
        f
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The path as a `&str` (temp paths are UTF-8).
    pub fn p(&self, name: &str) -> &'static str {
        Box::leak(
            self.path(name)
                .to_string_lossy()
                .into_owned()
                .into_boxed_str(),
        )
    }

    /// `cert issue NAMES --out PREFIX` under the fixture CA.
    pub fn issue(&self, prefix: &str, names: &[&str]) {
        let mut args = vec!["cert", "issue"];
        args.extend_from_slice(names);
        args.extend_from_slice(&["--dir", self.p("ca"), "--out", self.p(prefix)]);
        self.ok(&args);
    }

    pub fn ok(&self, args: &[&str]) -> Output {
        run_ok(args)
    }

    /// `serve www --cert site --key site` plus `extra` flags.
    pub fn serve(&self, extra: &[&str]) -> Server {
        let mut args = vec![
            "--cert",
            self.p("site.fullchain.crt"),
            "--key",
            self.p("site.key"),
        ];
        args.extend_from_slice(extra);
        self.serve_raw(&args)
    }

    /// `serve www` with exactly these flags (plus --addr).
    pub fn serve_raw(&self, args: &[&str]) -> Server {
        let port = free_port();
        let log = self.path(&format!("serve-{port}.log"));
        let child = Command::new(bin())
            .arg("serve")
            .arg(self.path("www"))
            .args(args)
            .arg("--addr")
            .arg(format!("127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).expect("log file"))
            .spawn()
            .expect("start https-kit serve");
        let mut guard = Guard(child);
        wait_for_port(port, &mut guard.0);
        Server { guard, port, log }
    }

    /// curl trusting the fixture CA, `site.test` resolved to loopback.
    pub fn curl(&self, port: u16, args: &[&str]) -> Output {
        Command::new("curl")
            .args(["-sS", "--max-time", "60", "--cacert", self.p("ca/ca.crt")])
            .arg("--resolve")
            .arg(format!("site.test:{port}:127.0.0.1"))
            .args(args)
            .output()
            .expect("curl")
    }
}

pub fn text(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr)
}

pub fn is_file(p: &Path) -> bool {
    p.is_file()
}
