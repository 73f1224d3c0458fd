//! `cargo xtask limbo`: the x509-limbo path-validation suite.
use anyhow::Result;

pub fn run(_args: &[String]) -> Result<()> {
    anyhow::bail!("limbo: not built yet (issue 3)")
}
