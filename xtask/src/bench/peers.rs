//! The rustls side of the comparisons: in-memory connection pairs with the ring provider.

use super::fixtures::Chain;
use anyhow::{anyhow, Result};
use rustls::crypto::{ring as provider, CryptoProvider, SupportedKxGroup};
use rustls::{
    ClientConfig, ClientConnection, RootCertStore, ServerConfig, ServerConnection,
    SupportedCipherSuite,
};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use std::sync::Arc;

/// A provider restricted to one suite and one group, so both sides negotiate the same thing.
pub fn provider_for(
    suite: SupportedCipherSuite,
    group: &'static dyn SupportedKxGroup,
) -> CryptoProvider {
    CryptoProvider {
        cipher_suites: vec![suite],
        kx_groups: vec![group],
        ..provider::default_provider()
    }
}

pub fn client_config(
    chain: &Chain,
    provider: CryptoProvider,
    resumption: bool,
) -> Result<Arc<ClientConfig>> {
    let mut roots = RootCertStore::empty();
    roots.add(CertificateDer::from(chain.root_der.clone()))?;
    let mut config = ClientConfig::builder_with_provider(Arc::new(provider))
        .with_protocol_versions(&[&rustls::version::TLS13])?
        .with_root_certificates(roots)
        .with_no_client_auth();
    if !resumption {
        config.resumption = rustls::client::Resumption::disabled();
    }
    Ok(Arc::new(config))
}

pub fn server_config(
    chain: &Chain,
    provider: CryptoProvider,
    tickets: usize,
) -> Result<Arc<ServerConfig>> {
    let key = PrivateKeyDer::Pkcs8(chain.leaf_key_pkcs8.clone().into());
    let mut config = ServerConfig::builder_with_provider(Arc::new(provider))
        .with_protocol_versions(&[&rustls::version::TLS13])?
        .with_no_client_auth()
        .with_single_cert(vec![CertificateDer::from(chain.leaf_der.clone())], key)?;
    config.send_tls13_tickets = tickets;
    if tickets > 0 {
        config.ticketer = provider::Ticketer::new()?;
    }
    Ok(Arc::new(config))
}

/// One full handshake between a fresh client and server; returns both connections, established.
pub fn handshake(
    client: &Arc<ClientConfig>,
    server: &Arc<ServerConfig>,
    buf: &mut Vec<u8>,
) -> Result<(ClientConnection, ServerConnection)> {
    let name = ServerName::try_from("localhost").map_err(|e| anyhow!("{e}"))?;
    let mut c = ClientConnection::new(client.clone(), name)?;
    let mut s = ServerConnection::new(server.clone())?;
    for _ in 0..10 {
        pump_client_to_server(&mut c, &mut s, buf)?;
        pump_server_to_client(&mut s, &mut c, buf)?;
        if !c.is_handshaking() && !s.is_handshaking() && !c.wants_write() && !s.wants_write() {
            return Ok((c, s));
        }
    }
    Err(anyhow!("rustls handshake did not finish in 10 flights"))
}

pub fn pump_client_to_server(
    c: &mut ClientConnection,
    s: &mut ServerConnection,
    buf: &mut Vec<u8>,
) -> Result<()> {
    buf.clear();
    while c.wants_write() {
        c.write_tls(buf)?;
    }
    let mut rd = &buf[..];
    while !rd.is_empty() {
        s.read_tls(&mut rd)?;
        s.process_new_packets()?;
    }
    Ok(())
}

pub fn pump_server_to_client(
    s: &mut ServerConnection,
    c: &mut ClientConnection,
    buf: &mut Vec<u8>,
) -> Result<()> {
    buf.clear();
    while s.wants_write() {
        s.write_tls(buf)?;
    }
    let mut rd = &buf[..];
    while !rd.is_empty() {
        c.read_tls(&mut rd)?;
        c.process_new_packets()?;
    }
    Ok(())
}
