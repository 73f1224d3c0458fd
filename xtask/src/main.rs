//! `cargo xtask`: project automation in Rust (no shell scripts).
//!
//! - `cargo xtask demo`: walk through the seed's three stages on real bytes, in a temp dir.
//! - `cargo xtask bench [GROUP...] [--json] [--quick]`: side-by-side benchmarks (see `../shared/BENCH.md`).
//! - `cargo xtask limbo --input limbo.json --out results.json [--engine ours|webpki]`: x509-limbo runner.
//! - `cargo xtask fuzz [--seconds N] [TARGET...]`: the cargo-fuzz targets in `fuzz/` (see `fuzz.rs`).
//! - `cargo xtask stress [--quick]`: hostile load against a real `https-kit serve` (see `stress.rs`).

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
