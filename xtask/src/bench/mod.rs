//! `cargo xtask bench [GROUP...] [--json] [--quick]`: the contract is `../shared/BENCH.md`.
//!
//! Each comparison runs both sides in interleaved rounds, times each batch on the thread's CPU clock
//! (the host is shared and noisy), computes the ratio per round, and reports the median with its range.
//! Progress goes to stderr; the table or the JSON array goes to stdout.

use anyhow::{bail, Context, Result};
use serde::Serialize;
use std::time::Duration;

mod fixtures;
mod handshake;
mod http;
mod memory;
mod peers;
mod record;
mod verify;

/// Options shared by every group.
#[derive(Clone, Copy, Debug)]
pub struct Opts {
    /// Shorter batches and fewer rounds (CI).
    pub quick: bool,
}

impl Opts {
    /// Rounds per comparison: each round times every side once.
    pub fn rounds(&self) -> usize {
        if self.quick {
            5
        } else {
            15
        }
    }

    /// CPU time one side gets per round.
    pub fn batch(&self) -> Duration {
        if self.quick {
            Duration::from_millis(40)
        } else {
            Duration::from_millis(200)
        }
    }
}

/// One comparison row (one object in the JSON array).
#[derive(Clone, Debug, Serialize)]
pub struct Row {
    pub id: String,
    pub metric: String,
    pub ours: f64,
    pub baseline: String,
    pub baseline_value: f64,
    /// Oriented so that higher is better for us (median over rounds).
    pub ratio: f64,
    pub ratio_min: f64,
    pub ratio_max: f64,
    pub rounds: usize,
    /// Which version of the baseline ran (e.g. "rustls 0.23.46").
    pub baseline_version: String,
}

/// A side of a comparison: each call does one unit of work and returns how many metric units it did
/// (bytes for GB/s, 1 for a handshake).
pub type Work<'a> = Box<dyn FnMut() -> f64 + 'a>;

/// A named side: `("rustls", version, closure)`.
pub struct Side<'a> {
    pub name: &'static str,
    pub version: String,
    pub work: Work<'a>,
}

/// Thread CPU time in seconds.
fn cpu_now() -> Duration {
    cpu_time::ThreadTime::now().as_duration()
}

/// Runs `work` until `budget` CPU time has passed; returns units per second.
fn time_batch(work: &mut Work<'_>, budget: Duration) -> f64 {
    let start = cpu_now();
    let mut units = 0.0;
    let mut elapsed;
    loop {
        units += work();
        elapsed = cpu_now().saturating_sub(start);
        if elapsed >= budget {
            break;
        }
    }
    units / elapsed.as_secs_f64().max(1e-9)
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(|a, b| a.total_cmp(b));
    match values.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => values[n / 2],
        n => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

/// Compares `ours` with each baseline, round by round, interleaved; one row per baseline.
/// `scale` converts units/s into the reported metric (e.g. 1e-9 for bytes/s -> GB/s).
pub fn compare_rates(
    opts: &Opts,
    id: &str,
    metric: &str,
    scale: f64,
    mut ours: Work<'_>,
    mut baselines: Vec<Side<'_>>,
) -> Vec<Row> {
    eprintln!("bench: {id} ...");
    let rounds = opts.rounds();
    let budget = opts.batch();
    // Warm-up: caches, lazy tables, allocator.
    time_batch(&mut ours, budget / 4);
    for b in baselines.iter_mut() {
        time_batch(&mut b.work, budget / 4);
    }
    let mut ours_rates = Vec::with_capacity(rounds);
    let mut base_rates = vec![Vec::with_capacity(rounds); baselines.len()];
    let mut ratios = vec![Vec::with_capacity(rounds); baselines.len()];
    for round in 0..rounds {
        // Alternate who goes first so drift in machine speed does not favour one side.
        let (ours_rate, base): (f64, Vec<f64>) = if round % 2 == 0 {
            let o = time_batch(&mut ours, budget);
            let b = baselines
                .iter_mut()
                .map(|b| time_batch(&mut b.work, budget))
                .collect();
            (o, b)
        } else {
            let b = baselines
                .iter_mut()
                .map(|b| time_batch(&mut b.work, budget))
                .collect();
            (time_batch(&mut ours, budget), b)
        };
        ours_rates.push(ours_rate);
        for (i, rate) in base.into_iter().enumerate() {
            base_rates[i].push(rate);
            ratios[i].push(ours_rate / rate);
        }
    }
    let ours_median = median(&mut ours_rates) * scale;
    baselines
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let r = &mut ratios[i];
            let ratio = median(r);
            Row {
                id: id.to_string(),
                metric: metric.to_string(),
                ours: ours_median,
                baseline: b.name.to_string(),
                baseline_value: median(&mut base_rates[i]) * scale,
                ratio,
                ratio_min: r.first().copied().unwrap_or(f64::NAN),
                ratio_max: r.last().copied().unwrap_or(f64::NAN),
                rounds,
                baseline_version: b.version.clone(),
            }
        })
        .collect()
}

/// A row for a deterministic cost (e.g. heap bytes): ratio = baseline / ours.
pub fn cost_row(
    id: &str,
    metric: &str,
    ours: f64,
    baseline: &str,
    version: String,
    baseline_value: f64,
) -> Row {
    let ratio = baseline_value / ours;
    Row {
        id: id.to_string(),
        metric: metric.to_string(),
        ours,
        baseline: baseline.to_string(),
        baseline_value,
        ratio,
        ratio_min: ratio,
        ratio_max: ratio,
        rounds: 1,
        baseline_version: version,
    }
}

/// The version of a dependency as locked in the workspace's Cargo.lock (for the report).
pub fn locked_version(package: &str) -> String {
    let lock = concat!(env!("CARGO_MANIFEST_DIR"), "/../Cargo.lock");
    let text = std::fs::read_to_string(lock).unwrap_or_default();
    let needle = format!("name = \"{package}\"\nversion = \"");
    match text.find(&needle) {
        Some(at) => {
            let rest = &text[at + needle.len()..];
            let version = rest.split('"').next().unwrap_or("?");
            format!("{package} {version}")
        }
        None => format!("{package} ?"),
    }
}

const GROUPS: [&str; 5] = ["record", "handshake", "memory", "verify", "http"];

pub fn run(args: &[String]) -> Result<()> {
    let mut json = false;
    let mut quick = false;
    let mut groups = Vec::new();
    for arg in args {
        match arg.as_str() {
            "--json" => json = true,
            "--quick" => quick = true,
            g if GROUPS.contains(&g) || g == handshake::HYBRID_ROW => groups.push(g.to_string()),
            other => bail!(
                "unknown bench argument {other:?}; groups: {}",
                GROUPS.join(" ")
            ),
        }
    }
    // Numbers from a debug build mean nothing: re-run ourselves in release.
    if cfg!(debug_assertions) {
        eprintln!("bench: building xtask in release mode ...");
        let status = std::process::Command::new(env!("CARGO"))
            .args([
                "run",
                "--quiet",
                "--release",
                "--package",
                "xtask",
                "--",
                "bench",
            ])
            .args(args)
            .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
            .status()
            .context("running the release build of xtask")?;
        std::process::exit(status.code().unwrap_or(2));
    }
    if groups.is_empty() {
        groups = GROUPS.iter().map(|g| g.to_string()).collect();
    }
    let opts = Opts { quick };
    let mut rows = Vec::new();
    for group in &groups {
        let found = run_group(group, &opts).with_context(|| format!("bench group {group}"))?;
        rows.extend(found);
    }
    if json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
    } else {
        print_table(&rows);
    }
    Ok(())
}

// Each group lives in its own module (`mod record;` ...) with
// `pub fn run(opts: &Opts) -> Result<Vec<Row>>`, and registers with one arm here.
fn run_group(group: &str, opts: &Opts) -> Result<Vec<Row>> {
    match group {
        "record" => record::run(opts),
        "handshake" => handshake::run(opts),
        handshake::HYBRID_ROW => handshake::hybrid(opts),
        "memory" => memory::run(opts),
        "http" => http::run(opts),
        "verify" => verify::run(opts),
        other => {
            eprintln!("bench: group {other} is not available yet; skipped");
            let _ = opts;
            Ok(Vec::new())
        }
    }
}

fn print_table(rows: &[Row]) {
    println!(
        "{:<36} {:>10} {:>12} {:<18} {:>12} {:>8}  range (rounds)",
        "id", "metric", "ours", "baseline", "baseline", "ratio"
    );
    for r in rows {
        println!(
            "{:<36} {:>10} {:>12.3} {:<18} {:>12.3} {:>8.3}  {:.2}..{:.2} ({})",
            r.id,
            r.metric,
            r.ours,
            r.baseline,
            r.baseline_value,
            r.ratio,
            r.ratio_min,
            r.ratio_max,
            r.rounds
        );
    }
    let mut versions: Vec<&str> = rows.iter().map(|r| r.baseline_version.as_str()).collect();
    versions.sort_unstable();
    versions.dedup();
    println!("baselines: {}", versions.join(", "));
}
