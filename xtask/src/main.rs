//! `cargo xtask`: demo, bench, limbo.
fn main() {}
