//! `serve`'s small-file cache, seen by curl: once files have settled (so the cache keeps them)
//! and been served, a rewrite of the same size, a rewrite of another size and a replacement by a
//! symlink out of the root are each noticed on the next request.

mod common;

use common::*;
use std::time::{Duration, Instant};

/// The cache keeps only files unchanged for this long (`file_cache::SETTLE`), plus a margin.
const SETTLE: Duration = Duration::from_millis(2_200);

#[test]
fn cached_files_changed_on_disk_are_served_fresh_and_symlink_swaps_are_refused() {
    if !need(&["curl"]) {
        return;
    }
    let f = Fixture::new();
    let written = Instant::now();
    std::fs::write(f.path("www/same.txt"), "version 1\n").unwrap();
    std::fs::write(f.path("www/grow.txt"), "short\n").unwrap();
    std::fs::write(f.path("www/swap.txt"), "inside\n").unwrap();
    std::fs::write(f.path("secret.txt"), "secret!\n").unwrap();
    let server = f.serve(&["--quiet"]);
    let base = format!("https://site.test:{}", server.port);
    let get = |path: &str| {
        let out = f.curl(
            server.port,
            &["-w", "\n%{http_code}", &format!("{base}{path}")],
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    std::thread::sleep(SETTLE.saturating_sub(written.elapsed()));
    // Served twice each: the first fills the cache, the second is answered from it.
    for _ in 0..2 {
        assert_eq!(get("/same.txt"), "version 1\n\n200");
        assert_eq!(get("/grow.txt"), "short\n\n200");
        assert_eq!(get("/swap.txt"), "inside\n\n200");
    }

    std::fs::write(f.path("www/same.txt"), "version 2\n").unwrap();
    assert_eq!(get("/same.txt"), "version 2\n\n200");
    std::fs::write(f.path("www/grow.txt"), "a longer text\n").unwrap();
    assert_eq!(get("/grow.txt"), "a longer text\n\n200");
    std::fs::remove_file(f.path("www/swap.txt")).unwrap();
    std::os::unix::fs::symlink(f.path("secret.txt"), f.path("www/swap.txt")).unwrap();
    assert_eq!(get("/swap.txt"), "404 not found\n\n404");
    // HEAD after the change names the new size.
    let out = f.curl(server.port, &["-I", &format!("{base}/grow.txt")]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("content-length: 14"));
}
