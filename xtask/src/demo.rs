//! `cargo xtask demo`: the seed's steps, narrated against the real bytes.
use anyhow::Result;

pub fn run(_args: &[String]) -> Result<()> {
    anyhow::bail!("demo: not built yet (issue 2)")
}
