//! `serve`'s request path handling (URL path → file decision, then tower-http's ServeDir) on a
//! fixed tree that holds every trap: a symlink out of the root (file and directory), a symlink
//! inside, a FIFO, a directory without index.html, names needing percent-encoding. The modules
//! come from `crates/cli/src` by `#[path]` (the CLI is a binary crate). Input: byte 0 picks the
//! method, listings and a Range/conditional header; the rest is the request target.
//! Checked: nothing outside the root is ever served; the FIFO is never opened (a hang is a libFuzzer
//! timeout); statuses are ones the file service means to send (no 500 on a readable tree);
//! redirects stay on this site (`Location` starts with one `/`); HEAD of a file has no body; a decoded
//! relative path never leaves the root.
#![no_main]

#[allow(dead_code)]
#[path = "../../crates/cli/src/access_log.rs"]
mod access_log;
#[allow(dead_code)]
#[path = "../../crates/cli/src/site.rs"]
mod site;
#[allow(dead_code)]
#[path = "../../crates/cli/src/small_file.rs"]
mod small_file;
#[allow(dead_code)]
#[path = "../../crates/cli/src/body.rs"]
mod body;
#[allow(dead_code)]
#[path = "../../crates/cli/src/file_cache.rs"]
mod file_cache;

use std::path::{Component, PathBuf};
use std::sync::OnceLock;

use http_body_util::BodyExt;
use hyper::{Method, Request, StatusCode};

const SECRET: &[u8] = b"SECRET-OUTSIDE-ROOT";

struct World {
    root: PathBuf,
    plain: site::FileService,
    listing: site::FileService,
    rt: tokio::runtime::Runtime,
}

fn world() -> &'static World {
    static W: OnceLock<World> = OnceLock::new();
    W.get_or_init(|| {
        let base = std::env::temp_dir().join(format!("https-kit-fuzz-http-{}", std::process::id()));
        let root = base.join("root");
        let _ = std::fs::remove_dir_all(&base);
        std::fs::create_dir_all(root.join("dir/sub")).unwrap();
        std::fs::create_dir_all(root.join("empty")).unwrap();
        std::fs::write(base.join("secret.txt"), SECRET).unwrap();
        std::fs::write(root.join("index.html"), "INDEX").unwrap();
        std::fs::write(root.join("a.txt"), "A-FILE").unwrap();
        std::fs::write(root.join("sp ace.txt"), "SPACE").unwrap();
        std::fs::write(root.join("%41.txt"), "PERCENT").unwrap();
        std::fs::write(root.join("dir/index.html"), "DIR-INDEX").unwrap();
        std::fs::write(root.join("dir/sub/b.txt"), "B-FILE".repeat(1000)).unwrap();
        std::os::unix::fs::symlink("../secret.txt", root.join("out")).unwrap();
        std::os::unix::fs::symlink("..", root.join("outdir")).unwrap();
        std::os::unix::fs::symlink("a.txt", root.join("in")).unwrap();
        let _ = std::process::Command::new("mkfifo")
            .arg(root.join("fifo"))
            .status();
        let log = access_log::AccessLog {
            enabled: false,
            json: false,
        };
        World {
            plain: site::FileService {
                site: site::Site::dir(&root, false).unwrap(),
                log,
            },
            listing: site::FileService {
                site: site::Site::dir(&root, true).unwrap(),
                log,
            },
            root: std::fs::canonicalize(&root).unwrap(),
            rt: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap(),
        }
    })
}

const ALLOWED: [u16; 9] = [200, 206, 301, 304, 400, 404, 405, 412, 416];

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some((&sel, target)) = data.split_first() else {
        return;
    };
    let w = world();
    let text = String::from_utf8_lossy(target);
    if let Some(rel) = site::decoded_relative(&text) {
        assert!(
            rel.components().all(|c| matches!(c, Component::Normal(_))),
            "a decoded path is plain names: {rel:?}"
        );
        assert!(
            w.root.join(&rel).starts_with(&w.root),
            "a decoded path stays under the root"
        );
    }
    let method =
        [Method::GET, Method::HEAD, Method::POST, Method::OPTIONS][usize::from(sel & 3)].clone();
    let mut req = Request::builder().method(method.clone()).uri(target);
    if sel & 0x08 != 0 {
        req = req.header(
            "range",
            ["bytes=0-3", "bytes=2-", "bytes=-2", "bytes=9999-"][usize::from(sel >> 5) % 4],
        );
    }
    if sel & 0x10 != 0 {
        req = req.header("if-modified-since", "Thu, 01 Jan 2099 00:00:00 GMT");
    }
    let Ok(req) = req.body(String::new()) else {
        return;
    };
    let peer = access_log::Peer {
        addr: "127.0.0.1:1".parse().unwrap(),
        proto: "HTTP/1.1",
        server_name: None,
        client: None,
        resumed: false,
    };
    let service = if sel & 0x04 != 0 {
        &w.listing
    } else {
        &w.plain
    };
    let (status, location, body) = w.rt.block_on(async {
        let resp = service.handle(req, &peer).await;
        let status = resp.status();
        let location = resp
            .headers()
            .get(hyper::header::LOCATION)
            .map(|v| v.as_bytes().to_vec());
        let body = resp.into_body().collect().await.map(|b| b.to_bytes());
        (status, location, body)
    });
    assert!(
        ALLOWED.contains(&status.as_u16()),
        "unexpected status {status} for {text:?}"
    );
    let body = body.expect("a body on a readable tree streams without error");
    assert!(
        !body.windows(SECRET.len()).any(|w| w == SECRET),
        "served a file outside the root for {text:?}"
    );
    if let Some(loc) = location {
        assert!(
            loc.first() == Some(&b'/') && !matches!(loc.get(1), Some(b'/') | Some(b'\\')),
            "redirect leaves the site: {:?} for {text:?}",
            String::from_utf8_lossy(&loc)
        );
    }
    // (hyper drops any HEAD body on the wire; what matters is that a file is not read for it.)
    if method == Method::HEAD && status.is_success() {
        assert!(body.is_empty(), "HEAD of a file has no body");
    }
    if status == StatusCode::OK && method == Method::GET && sel & 0x18 == 0 {
        assert!(!body.is_empty(), "a 200 GET has the file's bytes");
    }
});
