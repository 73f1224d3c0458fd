//! `memory/idle-connection`: heap bytes held per established, idle server connection.
//!
//! A counting global allocator (installed in `main.rs`) gives the net bytes still allocated after
//! 1,000 handshakes whose client sides were dropped: what a server pays to keep each connection open.

use super::fixtures::{Chain, ServerKey};
use super::{cost_row, locked_version, peers, Opts, Row};
use anyhow::Result;
use stats_alloc::{Region, StatsAlloc, INSTRUMENTED_SYSTEM};
use std::alloc::System;

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Net heap bytes currently allocated since `region` began.
fn net_bytes(region: &Region<'_, System>) -> f64 {
    let change = region.change();
    // stats_alloc already folds realloc growth and shrinkage into these two counters.
    change.bytes_allocated as f64 - change.bytes_deallocated as f64
}

pub fn run(opts: &Opts) -> Result<Vec<Row>> {
    let connections = if opts.quick { 200 } else { 1000 };
    let chain = Chain::new(ServerKey::EcdsaP256)?;
    let suite = rustls::crypto::ring::cipher_suite::TLS13_AES_128_GCM_SHA256;
    let group = rustls::crypto::ring::kx_group::X25519;
    let client = peers::client_config(&chain, peers::provider_for(suite, group), false)?;
    let server = peers::server_config(&chain, peers::provider_for(suite, group), 0)?;
    let mut buf = Vec::with_capacity(8192);
    // Warm lazy statics before counting.
    drop(peers::handshake(&client, &server, &mut buf)?);

    eprintln!("bench: memory/idle-connection ({connections} connections) ...");
    let region = Region::new(GLOBAL);
    let mut held = Vec::with_capacity(connections);
    let before = net_bytes(&region);
    for _ in 0..connections {
        let (_client, server_conn) = peers::handshake(&client, &server, &mut buf)?;
        // Boxed so the connection struct itself counts, as it would in a real server.
        held.push(Box::new(server_conn));
    }
    let rustls_per_conn = (net_bytes(&region) - before) / connections as f64;
    drop(held);

    let ours_per_conn = ours_idle(&chain, connections, &region)?;
    Ok(vec![cost_row(
        "memory/idle-connection",
        "bytes",
        ours_per_conn,
        "rustls",
        locked_version("rustls"),
        rustls_per_conn,
    )])
}

fn ours_idle(chain: &Chain, connections: usize, region: &Region<'_, System>) -> Result<f64> {
    let (client, server) = super::handshake::ours_configs(chain)?;
    let mut buf = Vec::with_capacity(8192);
    drop(super::handshake::ours_handshake(
        &client, &server, &mut buf,
    )?);
    let mut held = Vec::with_capacity(connections);
    let before = net_bytes(region);
    for _ in 0..connections {
        let (_client, server_conn) = super::handshake::ours_handshake(&client, &server, &mut buf)?;
        held.push(Box::new(server_conn));
    }
    let per_conn = (net_bytes(region) - before) / connections as f64;
    drop(held);
    Ok(per_conn)
}
