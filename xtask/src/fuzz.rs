//! `cargo xtask fuzz [--seconds N] [--jobs J] [TARGET...]`: builds the cargo-fuzz targets in `fuzz/`
//! (installing cargo-fuzz when it is absent), runs each for N seconds (default 60) with
//! `--sanitizer none`, and prints per target: executions, exec/s, coverage (libFuzzer's `cov` and
//! `ft` features), crashes; then `N passed, M failed`. The corpus of each target is
//! `fuzz/corpus/TARGET/` (committed seeds are `seed-*`; what libFuzzer adds is git-ignored); a crash
//! leaves its input under `fuzz/artifacts/TARGET/` and a one-line reproduction command.
//!
//! `cargo xtask fuzz --make-seeds` rewrites the committed seeds from real handshakes (RFC 8448,
//! rustls, openssl on loopback; see `fuzz/examples/make_seeds.rs`).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{bail, Context, Result};

/// Every target, its `-max_len` and its dictionary (if any).
const TARGETS: [(&str, usize, Option<&str>); 7] = [
    ("record", 20_000, Some("tls.dict")),
    ("handshake_codec", 16_384, Some("tls.dict")),
    ("server", 32_768, Some("tls.dict")),
    ("client", 32_768, Some("tls.dict")),
    ("x509", 16_384, Some("x509.dict")),
    ("pem_csr_key", 16_384, Some("x509.dict")),
    ("http_request", 4_096, Some("http.dict")),
];

struct Options {
    seconds: u64,
    jobs: usize,
    targets: Vec<&'static str>,
    make_seeds: bool,
}

fn parse(args: &[String]) -> Result<Options> {
    let mut o = Options {
        seconds: 60,
        jobs: 1,
        targets: Vec::new(),
        make_seeds: false,
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--seconds" => {
                o.seconds = it.next().context("--seconds needs a value")?.parse()?;
            }
            "--jobs" => o.jobs = it.next().context("--jobs needs a value")?.parse()?,
            "--make-seeds" => o.make_seeds = true,
            t => match TARGETS.iter().find(|(name, ..)| *name == t) {
                Some((name, ..)) => o.targets.push(name),
                None => bail!(
                    "unknown fuzz target {t:?}; targets: {}",
                    TARGETS.map(|t| t.0).join(" ")
                ),
            },
        }
    }
    if o.targets.is_empty() {
        o.targets = TARGETS.iter().map(|t| t.0).collect();
    }
    o.jobs = o.jobs.max(1);
    Ok(o)
}

pub fn run(args: &[String]) -> Result<()> {
    let o = parse(args)?;
    let root = workspace_root();
    let fuzz = root.join("fuzz");
    if o.make_seeds {
        return make_seeds(&fuzz);
    }
    ensure_cargo_fuzz()?;
    let started = Instant::now();
    let status = Command::new("cargo")
        // One build of every target (cargo fuzz builds one target or all of them).
        .args(["fuzz", "build", "--sanitizer", "none", "--debug-assertions"])
        .current_dir(&root)
        .status()
        .context("cargo fuzz build")?;
    if !status.success() {
        bail!("cargo fuzz build failed");
    }
    println!("fuzz: built in {:.0} s", started.elapsed().as_secs_f64());

    let mut results = Vec::new();
    for batch in o.targets.chunks(o.jobs) {
        let running: Vec<_> = batch
            .iter()
            .map(|t| start_target(&root, t, o.seconds))
            .collect::<Result<_>>()?;
        for r in running {
            results.push(r.wait()?);
        }
    }
    println!(
        "\n{:<16} {:>12} {:>9} {:>8} {:>8} {:>7}  result",
        "target", "executions", "exec/s", "cov", "ft", "corpus"
    );
    for r in &results {
        println!(
            "{:<16} {:>12} {:>9} {:>8} {:>8} {:>7}  {}",
            r.target,
            r.execs,
            r.exec_per_sec,
            r.cov,
            r.ft,
            r.corpus,
            if r.failure.is_none() { "ok" } else { "FAILED" }
        );
    }
    for r in &results {
        if let Some(f) = &r.failure {
            println!("\n{}: {f}", r.target);
            if let Some(a) = &r.artifact {
                println!(
                    "  reproduce: cargo fuzz run --sanitizer none --debug-assertions {} {}",
                    r.target,
                    a.display()
                );
            }
        }
    }
    let failed = results.iter().filter(|r| r.failure.is_some()).count();
    println!("\n{} passed, {} failed", results.len() - failed, failed);
    if failed > 0 {
        bail!("{failed} fuzz target(s) failed");
    }
    Ok(())
}

fn ensure_cargo_fuzz() -> Result<()> {
    let present = Command::new("cargo")
        .args(["fuzz", "--version"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if present {
        return Ok(());
    }
    println!("fuzz: installing cargo-fuzz (cargo install --locked cargo-fuzz)");
    let status = Command::new("cargo")
        .args(["install", "--locked", "cargo-fuzz"])
        .status()
        .context("cargo install cargo-fuzz")?;
    if !status.success() {
        bail!("cargo install --locked cargo-fuzz failed");
    }
    Ok(())
}

fn make_seeds(fuzz: &Path) -> Result<()> {
    let status = Command::new("cargo")
        .args([
            "run",
            "--release",
            "--example",
            "make_seeds",
            "--",
            "corpus",
        ])
        .arg(fuzz.join("../../shared/data/rfc8448/transcripts.vec"))
        .arg(fuzz.join("../../shared/data/x509-limbo/limbo.json"))
        .current_dir(fuzz)
        .status()
        .context("running fuzz/examples/make_seeds.rs")?;
    if !status.success() {
        bail!("make_seeds failed");
    }
    Ok(())
}

struct Running {
    target: &'static str,
    child: std::process::Child,
    log: PathBuf,
}

struct Outcome {
    target: &'static str,
    execs: u64,
    exec_per_sec: u64,
    cov: u64,
    ft: u64,
    corpus: u64,
    failure: Option<String>,
    artifact: Option<PathBuf>,
}

fn start_target(root: &Path, target: &'static str, seconds: u64) -> Result<Running> {
    let (_, max_len, dict) = TARGETS
        .iter()
        .find(|t| t.0 == target)
        .expect("known target");
    let fuzz = root.join("fuzz");
    let bin = fuzz
        .join("target")
        .join(host_triple())
        .join("release")
        .join(target);
    let corpus = fuzz.join("corpus").join(target);
    let artifacts = fuzz.join("artifacts").join(target);
    std::fs::create_dir_all(&corpus)?;
    std::fs::create_dir_all(&artifacts)?;
    let log = fuzz.join("target").join(format!("fuzz-{target}.log"));
    let mut cmd = Command::new(&bin);
    cmd.arg(&corpus)
        .arg(format!("-max_total_time={seconds}"))
        .arg(format!("-max_len={max_len}"))
        .arg("-rss_limit_mb=2048")
        .arg("-timeout=10")
        .arg("-print_final_stats=1")
        .arg(format!("-artifact_prefix={}/", artifacts.display()));
    if let Some(d) = dict {
        cmd.arg(format!("-dict={}", fuzz.join("dict").join(d).display()));
    }
    let file = std::fs::File::create(&log)?;
    cmd.stdout(Stdio::null()).stderr(file);
    println!("fuzz: {target} for {seconds} s (log {})", log.display());
    let child = cmd
        .spawn()
        .with_context(|| format!("starting {}", bin.display()))?;
    Ok(Running { target, child, log })
}

impl Running {
    fn wait(mut self) -> Result<Outcome> {
        let status = self.child.wait()?;
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        let stat = |name: &str| -> u64 {
            log.lines()
                .filter_map(|l| l.strip_prefix(&format!("stat::{name}:")))
                .filter_map(|v| v.trim().parse().ok())
                .next_back()
                .unwrap_or(0)
        };
        // The last status line, e.g. "#123456 DONE cov: 2345 ft: 6789 corp: 120/30Kb ...".
        let status_line = log
            .lines()
            .rfind(|l| l.starts_with('#') && l.contains("cov:"))
            .unwrap_or("");
        let field = |name: &str| -> u64 {
            let mut words = status_line.split_whitespace();
            while let Some(w) = words.next() {
                if w == name {
                    return words
                        .next()
                        .and_then(|v| v.split('/').next())
                        .and_then(|v| v.parse().ok())
                        .unwrap_or(0);
                }
            }
            0
        };
        let artifact = log
            .lines()
            .filter_map(|l| l.split("Test unit written to ").nth(1))
            .map(|p| PathBuf::from(p.trim()))
            .next_back();
        let failure = if !status.success() || artifact.is_some() {
            let why = log
                .lines()
                .find(|l| l.contains("panicked at") || l.contains("==ERROR") || l.contains("ALARM"))
                .unwrap_or("libFuzzer exited with an error")
                .trim()
                .to_string();
            let detail = log
                .lines()
                .skip_while(|l| !l.contains("panicked at"))
                .nth(1)
                .map(|l| format!(" — {}", l.trim()))
                .unwrap_or_default();
            Some(format!("{why}{detail} (log {})", self.log.display()))
        } else {
            None
        };
        Ok(Outcome {
            target: self.target,
            execs: stat("number_of_executed_units"),
            exec_per_sec: stat("average_exec_per_sec"),
            cov: field("cov:"),
            ft: field("ft:"),
            corpus: field("corp:"),
            failure,
            artifact,
        })
    }
}

/// The repository root (xtask lives one level below it).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask is inside the workspace")
        .to_path_buf()
}

fn host_triple() -> String {
    let out = Command::new("rustc").arg("-vV").output();
    out.ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("host: ").map(str::to_string))
        })
        .unwrap_or_else(|| "x86_64-unknown-linux-gnu".into())
}
