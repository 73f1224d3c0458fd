//! `cargo xtask bench`: see `../shared/BENCH.md`.
use anyhow::Result;

pub fn run(_args: &[String]) -> Result<()> {
    anyhow::bail!("bench: not built yet")
}
