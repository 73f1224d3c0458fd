//! `serve`'s files, fetched by curl: streamed (a 1 GiB sparse file and 8 concurrent clients keep
//! the server's peak RSS small), Range, conditional GET, HEAD, redirects that stay on the site,
//! no way out of the root, an escaped directory listing, the JSON access log, and a graceful stop
//! on SIGTERM that lets a download finish byte for byte.

mod common;

use common::*;
use std::io::Read;
use std::process::{Command, Stdio};
use std::time::Duration;

fn vm_hwm_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM")
}

#[test]
fn a_sparse_gigabyte_to_eight_clients_keeps_peak_rss_under_64_mib() {
    if !need(&["curl"]) {
        return;
    }
    let f = Fixture::new();
    const GIB: u64 = 1 << 30;
    let file = std::fs::File::create(f.path("www/big.bin")).unwrap();
    file.set_len(GIB).unwrap();
    let server = f.serve(&["--quiet"]);
    let url = format!("https://site.test:{}/big.bin", server.port);
    // Each client takes one eighth, so together they read the whole file once (through a debug
    // build of the TLS layer, a full 8 GiB would take minutes); the old server read the file whole
    // per request whatever the range, so any one of these would have cost 1 GiB.
    let part = GIB / 8;
    let clients: Vec<_> = (0..8u64)
        .map(|i| {
            let range = format!("{}-{}", i * part, (i + 1) * part - 1);
            Command::new("curl")
                .args([
                    "-sS",
                    "--fail",
                    "--max-time",
                    "120",
                    "--cacert",
                    f.p("ca/ca.crt"),
                ])
                .arg("--resolve")
                .arg(format!("site.test:{}:127.0.0.1", server.port))
                .args([
                    "-r",
                    &range,
                    "-o",
                    "/dev/null",
                    "-w",
                    "%{http_code} %{size_download}",
                ])
                .arg(&url)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("curl")
        })
        .collect();
    for child in clients {
        let out = wait_output(child, Duration::from_secs(150));
        assert!(out.status.success(), "{}", text(&out));
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            format!("206 {part}"),
            "{}",
            text(&out)
        );
    }
    let hwm = vm_hwm_kib(server.pid());
    eprintln!("serve peak RSS after 8 x 128 MiB of a 1 GiB file: {hwm} KiB");
    assert!(hwm < 64 * 1024, "peak RSS {hwm} KiB");

    // HEAD names the size and sends nothing.
    let out = f.curl(server.port, &["-sS", "-I", &url]);
    let head = String::from_utf8_lossy(&out.stdout).to_ascii_lowercase();
    assert!(head.contains(&format!("content-length: {GIB}")), "{head}");
}

#[test]
fn range_conditional_get_redirects_and_the_root_guard() {
    if !need(&["curl"]) {
        return;
    }
    let f = Fixture::new();
    let blob: Vec<u8> = (0..1000u32).map(|i| (i * 7 % 251) as u8).collect();
    std::fs::write(f.path("www/blob.bin"), &blob).unwrap();
    std::fs::create_dir(f.path("www/sub")).unwrap();
    std::fs::write(f.path("www/sub/index.html"), "sub index\n").unwrap();
    std::os::unix::fs::symlink("/etc/hostname", f.path("www/link_out")).unwrap();
    std::os::unix::fs::symlink("blob.bin", f.path("www/link_in")).unwrap();
    let fifo_made = Command::new("mkfifo")
        .arg(f.path("www/fifo"))
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    let server = f.serve(&[]);
    let base = format!("https://site.test:{}", server.port);
    let code = |extra: &[&str], path: &str| {
        let mut args = vec!["-o", "/dev/null", "-w", "%{http_code} %{redirect_url}"];
        args.extend_from_slice(extra);
        let url = format!("{base}{path}");
        args.push(&url);
        let out = f.curl(server.port, &args);
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };

    // Range: 206 and exactly bytes 100..=199.
    let out = f.curl(
        server.port,
        &[
            "-r",
            "100-199",
            "-w",
            "\n%{http_code}",
            &format!("{base}/blob.bin"),
        ],
    );
    let (body, status) = out.stdout.split_at(out.stdout.len() - 4);
    assert_eq!(status, b"\n206");
    assert_eq!(body, &blob[100..200]);

    // If-Modified-Since with the file's own Last-Modified: 304.
    let out = f.curl(server.port, &["-I", &format!("{base}/blob.bin")]);
    let headers = String::from_utf8_lossy(&out.stdout).to_string();
    let last_modified = headers
        .lines()
        .find_map(|l| l.strip_prefix("last-modified: "))
        .expect("Last-Modified")
        .trim()
        .to_string();
    assert!(headers
        .to_ascii_lowercase()
        .contains("content-type: application/octet-stream"));
    assert_eq!(
        code(
            &["-H", &format!("If-Modified-Since: {last_modified}")],
            "/blob.bin"
        ),
        "304"
    );

    // Directory redirects stay on this site, also from `//sub`.
    assert_eq!(code(&[], "/sub"), format!("301 {base}/sub/"));
    assert_eq!(code(&["--path-as-is"], "//sub"), format!("301 {base}/sub/"));
    // No way out of the root; no FIFO read (it would block).
    assert_eq!(code(&[], "/link_out"), "404");
    assert_eq!(code(&[], "/link_in"), "200");
    assert_eq!(code(&["--path-as-is"], "/../etc/hostname"), "404");
    assert_eq!(code(&[], "/%2e%2e/etc/hostname"), "404");
    if fifo_made {
        assert_eq!(code(&["--max-time", "5"], "/fifo"), "404");
    }
    // The small-file fast path (plain GET) and ServeDir (a precondition that passes) send the
    // same headers and body.
    let headers_of = |extra: &[&str]| {
        let mut args = vec!["-D", "-", "-o", "/dev/null"];
        args.extend_from_slice(extra);
        let url = format!("{base}/blob.bin");
        args.push(&url);
        let out = f.curl(server.port, &args);
        let mut h: Vec<String> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| l.trim().to_ascii_lowercase())
            .filter(|l| !l.is_empty() && !l.starts_with("date:"))
            .collect();
        h.sort();
        h
    };
    let old = "If-Modified-Since: Mon, 01 Jan 2001 00:00:00 GMT";
    assert_eq!(headers_of(&[]), headers_of(&["-H", old]));
    let out = f.curl(server.port, &["-H", old, &format!("{base}/blob.bin")]);
    assert_eq!(out.stdout, blob);
    let out = f.curl(server.port, &[&format!("{base}/blob.bin")]);
    assert_eq!(out.stdout, blob);

    // Only GET and HEAD.
    assert_eq!(code(&["-X", "DELETE"], "/blob.bin"), "405");
    // The Content-Type follows the extension.
    let out = f.curl(server.port, &["-I", &format!("{base}/index.html")]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("content-type: text/html"));
}

#[test]
fn list_shows_a_directory_with_escaped_names_and_json_log_lines() {
    if !need(&["curl"]) {
        return;
    }
    let f = Fixture::new();
    std::fs::create_dir(f.path("www/files")).unwrap();
    std::fs::write(f.path("www/files/<b>&x.txt"), "x").unwrap();
    std::fs::create_dir(f.path("www/files/dir one")).unwrap();
    let server = f.serve(&["--list", "--log-json"]);
    let out = f.curl(
        server.port,
        &[
            "--fail",
            &format!("https://site.test:{}/files/", server.port),
        ],
    );
    let page = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(page.contains("&lt;b&gt;&amp;x.txt"), "{page}");
    assert!(!page.contains("<b>"), "{page}");
    assert!(
        page.contains("href=\"%3Cb%3E&x.txt\"") || page.contains("href=\"%3Cb%3E%26x.txt\""),
        "{page}"
    );
    assert!(page.contains("href=\"dir%20one/\""), "{page}");
    // The listed file is served.
    let out = f.curl(
        server.port,
        &[
            "--fail",
            &format!("https://site.test:{}/files/%3Cb%3E%26x.txt", server.port),
        ],
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "x");
    // A listing stops at 10,000 entries and says how many it left out.
    std::fs::create_dir(f.path("www/many")).unwrap();
    for i in 0..10_002 {
        std::fs::File::create(f.path(&format!("www/many/f{i:05}"))).unwrap();
    }
    let out = f.curl(
        server.port,
        &[
            "--fail",
            &format!("https://site.test:{}/many/", server.port),
        ],
    );
    let page = String::from_utf8_lossy(&out.stdout).to_string();
    assert_eq!(page.matches("<li>").count(), 10_000 + 1, "entries plus ../");
    assert!(
        page.contains("<p>2 more entries not shown.</p>"),
        "{}",
        &page[page.len().saturating_sub(200)..]
    );
    // Without --list, the same directory is a 404.
    let plain = f.serve(&[]);
    let out = f.curl(
        plain.port,
        &[
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            &format!("https://site.test:{}/files/", plain.port),
        ],
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "404");

    assert!(eventually(Duration::from_secs(5), || server
        .log_text()
        .lines()
        .any(|l| l.starts_with('{'))));
    let line = server
        .log_text()
        .lines()
        .find(|l| l.contains("\"/files/\""))
        .map(str::to_string)
        .expect("a JSON line for /files/");
    let v: serde_json::Value = serde_json::from_str(&line).expect("JSON log line");
    assert_eq!(v["status"], 200);
    assert_eq!(v["method"], "GET");
    assert_eq!(v["server_name"], "site.test");
}

#[test]
fn sigterm_during_a_download_lets_it_finish_byte_for_byte_then_exits_0() {
    if !need(&["curl"]) {
        return;
    }
    let f = Fixture::new();
    const SIZE: usize = 100_000_000;
    let data: Vec<u8> = (0..SIZE as u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 11) as u8)
        .collect();
    std::fs::write(f.path("www/hundred.bin"), &data).unwrap();
    let mut server = f.serve(&["--shutdown-timeout", "60"]);
    let got = f.path("got.bin");
    // Slow enough (40 MB/s) that the download is in flight when the signal arrives.
    let curl = Command::new("curl")
        .args([
            "-sS",
            "--fail",
            "--http1.1",
            "--limit-rate",
            "40M",
            "--cacert",
            f.p("ca/ca.crt"),
        ])
        .arg("--resolve")
        .arg(format!("site.test:{}:127.0.0.1", server.port))
        .arg("-o")
        .arg(&got)
        .arg(format!("https://site.test:{}/hundred.bin", server.port))
        .stderr(Stdio::piped())
        .spawn()
        .expect("curl");
    assert!(eventually(Duration::from_secs(20), || std::fs::metadata(
        &got
    )
    .map(|m| m.len() > 1_000_000)
    .unwrap_or(false)));
    let st = Command::new("kill")
        .args(["-TERM", &server.pid().to_string()])
        .status()
        .unwrap();
    assert!(st.success());
    let out = wait_output(curl, Duration::from_secs(60));
    assert!(out.status.success(), "curl: {}", text(&out));
    let mut received = Vec::with_capacity(SIZE);
    std::fs::File::open(&got)
        .unwrap()
        .read_to_end(&mut received)
        .unwrap();
    assert_eq!(received.len(), SIZE);
    assert!(received == data, "the download differs");
    let status = {
        let mut status = None;
        eventually(Duration::from_secs(30), || {
            status = server.guard.0.try_wait().ok().flatten();
            status.is_some()
        });
        status.expect("serve exited after SIGTERM")
    };
    assert_eq!(status.code(), Some(0), "{}", server.log_text());
    // New connections are refused once it stopped.
    assert!(std::net::TcpStream::connect(("127.0.0.1", server.port)).is_err());
    let _ = &mut server;
}

/// The wait for responses in flight is bounded: a download whose client stopped reading does
/// not hold the stop past --shutdown-timeout.
#[test]
fn sigterm_with_a_stuck_download_exits_0_after_the_shutdown_timeout() {
    if !need(&["curl"]) {
        return;
    }
    let f = Fixture::new();
    let big = std::fs::File::create(f.path("www/big.bin")).unwrap();
    big.set_len(200 << 20).unwrap();
    let mut server = f.serve(&["--shutdown-timeout", "1", "--idle-timeout", "600"]);
    // curl at 1 byte/s: the response is in flight and cannot finish.
    let curl = Command::new("curl")
        .args([
            "-sS",
            "--limit-rate",
            "1",
            "--max-time",
            "60",
            "--cacert",
            f.p("ca/ca.crt"),
        ])
        .arg("--resolve")
        .arg(format!("site.test:{}:127.0.0.1", server.port))
        .arg("-o")
        .arg("/dev/null")
        .arg(format!("https://site.test:{}/big.bin", server.port))
        .stderr(Stdio::piped())
        .spawn()
        .expect("curl");
    let _curl = Guard(curl);
    // The access line is written once the response head is ready: the body is then in flight.
    assert!(
        eventually(Duration::from_secs(10), || server
            .log_text()
            .contains("GET /big.bin")),
        "{}",
        server.log_text()
    );
    let st = Command::new("kill")
        .args(["-TERM", &server.pid().to_string()])
        .status()
        .unwrap();
    assert!(st.success());
    let mut status = None;
    let exited = eventually(Duration::from_secs(15), || {
        status = server.guard.0.try_wait().ok().flatten();
        status.is_some()
    });
    assert!(exited, "serve did not exit after its shutdown timeout");
    assert_eq!(
        status.and_then(|s| s.code()),
        Some(0),
        "{}",
        server.log_text()
    );
    assert!(
        server.log_text().contains("still open"),
        "{}",
        server.log_text()
    );
}
