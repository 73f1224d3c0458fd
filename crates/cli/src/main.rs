//! The `https-kit` command.
#![forbid(unsafe_code)]

fn main() {}
