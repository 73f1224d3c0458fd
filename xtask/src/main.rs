//! `cargo xtask`: project automation in Rust (no shell scripts).
//!
//! - `cargo xtask demo`: walk through the seed's three stages on real bytes, in a temp dir.
//! - `cargo xtask bench [GROUP...] [--json] [--quick]`: side-by-side benchmarks (see `../shared/BENCH.md`).
//! - `cargo xtask limbo --input limbo.json --out results.json [--engine ours|webpki]`: x509-limbo runner.
//! - `cargo xtask fuzz [--seconds N] [TARGET...]`: the cargo-fuzz targets in `fuzz/` (see `fuzz.rs`).
//! - `cargo xtask stress [--quick]`: hostile load against a real `https-kit serve` (see `stress.rs`).
//!
//! # Internals
//!
//! (The map of the whole workspace is ARCHITECTURE.md; this is the detail for this crate.)
//!
//! `cargo xtask demo` runs the stages as functions in sequence: `demo.rs` has
//! `application_stage(dir) -> AppArtifacts` (paths, DER of the CA and site certificates, the site key);
//! `demo_acme.rs` (`--acme`) has `identity_stage(&app)`: the demo CA runs https-acme in-process and
//! the site's key gets its certificate through http-01, each token, key authorization and fetch shown;
//! `demo_tls.rs` has `handshake_stage(&app) -> Session` (our client and server in memory: each flight's
//! records, the client's trace with the seed step each message realises, the https-verify report on the
//! chain received, and both sides' traffic secrets shown equal and absent from the wire, captured through
//! the `KeyLog` hook) and `communication_stage(session)` (an encrypted request and response, and a
//! tampered record refused with bad_record_mac).
//!
//! `cargo xtask bench` (`xtask/src/bench/`): `mod.rs` is the harness (re-runs itself in release; each side
//! timed in interleaved rounds on the thread CPU clock; median ratio and range; table or `--json`);
//! `fixtures.rs` makes the certificates; `peers.rs` the rustls in-memory pairs; one module per group
//! (`record`, `handshake` with the ring-only `floor`, `memory` with a counting global allocator, `verify`,
//! `http` driving `wrk` against `https-kit serve` and a tokio-rustls+hyper server). `limbo.rs` runs the
//! x509-limbo suite with our validator or rustls-webpki.
//!
//! `cargo xtask fuzz` (`xtask/src/fuzz.rs`) builds and runs the cargo-fuzz targets of `fuzz/` (a separate
//! workspace; the shared harness is `fuzz/src/`: `peer.rs` a scripted TLS peer that follows the
//! connection under test through its key log — no fuzzing hook in the library — with an independent
//! record sealer in `records.rs` and the invariants each input must keep; `script.rs` the input format;
//! `fixtures.rs` committed certificates). `cargo xtask stress` (`xtask/src/stress.rs`, phases in
//! `stress/attacks.rs`) runs bounded hostile phases against a real `serve` process and checks its
//! latency, memory and descriptors from `/proc`.

mod bench;
mod demo;
mod demo_acme;
mod demo_tls;
mod fuzz;
mod limbo;
mod stress;

use anyhow::{bail, Result};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Err(err) = run(&args) {
        eprintln!("xtask: {err:#}");
        std::process::exit(2);
    }
}

fn run(args: &[String]) -> Result<()> {
    let (cmd, rest) = match args.split_first() {
        Some((cmd, rest)) => (cmd.as_str(), rest),
        None => ("help", &[][..]),
    };
    match cmd {
        "demo" => demo::run(rest),
        "bench" => bench::run(rest),
        "limbo" => limbo::run(rest),
        "fuzz" => fuzz::run(rest),
        "stress" => stress::run(rest),
        "help" | "--help" | "-h" => {
            println!("usage: cargo xtask <demo|bench|limbo|fuzz|stress> [ARGS]\n");
            println!(
                "  demo                     narrate the seed's stages on real bytes (temp dir)"
            );
            println!("  bench [GROUP..] [--json] [--quick]   groups: record handshake memory verify http");
            println!("  limbo --input F --out F [--engine ours|webpki]   run the x509-limbo suite");
            println!(
                "  fuzz [--seconds N] [--jobs J] [TARGET..] [--make-seeds]   cargo-fuzz targets"
            );
            println!(
                "  stress [--quick]         hostile load against https-kit serve on 127.0.0.1"
            );
            Ok(())
        }
        other => bail!("unknown command {other:?}; try `cargo xtask help`"),
    }
}
