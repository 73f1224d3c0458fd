//! `record/*` rows: seal+open of 16 KiB application records, client to server then back, in memory.
//!
//! Ours: https-record's sealer/deframer/opener, in place on one reusable buffer (the receiver opens the
//! record where it landed and seals its reply in the same buffer). Baselines, on the same suite and sizes:
//! `ring-raw` (LessSafeKey seal_in_place_separate_tag + open_in_place on one buffer, no framing, no
//! deframing; the floor), and `rustls` (a ClientConnection/ServerConnection pair after a handshake, the
//! application writing and reading the same 16 KiB through it).

use super::{compare_rates, locked_version, Opts, Row, Side, Work};
use anyhow::{anyhow, Context, Result};
use bytes::BytesMut;
use https_kit::record::{
    record_buffer, ContentType, Deframer, RecordOpener, RecordSealer, Tls13Suite, TrafficKeys,
    HEADER_LEN, MAX_RECORD_LEN,
};
use ring::aead;
use rustls::crypto::ring as provider;
use rustls::{ClientConfig, ClientConnection, RootCertStore, ServerConfig, ServerConnection};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use std::io::{Read, Write};
use std::sync::Arc;

const SIZE: usize = 16 * 1024;

pub fn run(opts: &Opts) -> Result<Vec<Row>> {
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()])?;
    let cert_der = cert.cert.der().to_vec();
    let key_der = cert.signing_key.serialize_der();
    let mut rows = Vec::new();
    for suite in Tls13Suite::ALL {
        let id = format!("record/{}/16k", suite.short_name());
        let ours = ours(suite)?;
        let raw = ring_raw(suite)?;
        let tls = rustls_pair(suite, &cert_der, &key_der)?;
        let baselines = vec![
            Side {
                name: "ring-raw",
                version: locked_version("ring"),
                work: raw,
            },
            Side {
                name: "rustls",
                version: locked_version("rustls"),
                work: tls,
            },
        ];
        rows.extend(compare_rates(opts, &id, "GB/s", 1e-9, ours, baselines));
    }
    // The same with the application's bytes copied in and out and the transport copied into the
    // receiver's buffer, as with rustls' writer()/read_tls()/reader(): what a caller that does not use
    // the in-place API gets.
    for suite in Tls13Suite::ALL {
        let id = format!("record/{}/16k-copy", suite.short_name());
        let ours = ours_copying(suite)?;
        let tls = rustls_pair(suite, &cert_der, &key_der)?;
        let baselines = vec![Side {
            name: "rustls",
            version: locked_version("rustls"),
            work: tls,
        }];
        rows.extend(compare_rates(opts, &id, "GB/s", 1e-9, ours, baselines));
    }
    Ok(rows)
}

/// One direction with copies: the sender seals from the application's slice into its output buffer,
/// the transport copies that into the receiver's deframer, the receiver copies the content out.
struct CopyingDirection {
    sealer: RecordSealer,
    deframer: Deframer,
    opener: RecordOpener,
    wire: BytesMut,
}

impl CopyingDirection {
    fn new(suite: Tls13Suite, secret: &[u8]) -> Self {
        let keys = TrafficKeys::derive(suite, secret);
        Self {
            sealer: RecordSealer::new(suite, &keys),
            deframer: Deframer::new(),
            opener: RecordOpener::new(suite, &keys),
            wire: BytesMut::with_capacity(MAX_RECORD_LEN),
        }
    }

    fn carry(&mut self, data: &[u8], out: &mut [u8]) -> Result<()> {
        self.wire.clear();
        self.sealer
            .seal_into(ContentType::ApplicationData, data, &mut self.wire)?;
        let mut rest = &self.wire[..];
        let mut got = 0;
        while !rest.is_empty() {
            let n = self.deframer.feed(rest);
            rest = &rest[n..];
            while let Some(mut record) = self.deframer.next_record()? {
                let (_, content) = self.opener.open_in_place(&mut record.bytes)?;
                let dst = out
                    .get_mut(got..got + content.len())
                    .ok_or_else(|| anyhow!("too much data"))?;
                dst.copy_from_slice(content);
                got += content.len();
            }
        }
        if got != data.len() {
            return Err(anyhow!("received {got} of {} bytes", data.len()));
        }
        Ok(())
    }
}

fn ours_copying(suite: Tls13Suite) -> Result<Work<'static>> {
    let len = suite.hash().output_len();
    let mut c2s = CopyingDirection::new(suite, &[0x0c; 48][..len]);
    let mut s2c = CopyingDirection::new(suite, &[0x05; 48][..len]);
    let data = vec![0x61u8; SIZE];
    let mut got = vec![0u8; SIZE];
    let mut echo = vec![0u8; SIZE];
    let mut work = move || -> Result<()> {
        c2s.carry(&data, &mut got)?;
        s2c.carry(&got, &mut echo)?;
        Ok(())
    };
    work().context("our copying round trip")?;
    Ok(Box::new(move || {
        work().expect("our copying round trip");
        (2 * SIZE) as f64
    }))
}

/// One direction of our record layer: the sender's sealer and the receiver's deframer and opener.
struct Direction {
    sealer: RecordSealer,
    deframer: Deframer,
    opener: RecordOpener,
}

impl Direction {
    fn new(suite: Tls13Suite, secret: &[u8]) -> Self {
        let keys = TrafficKeys::derive(suite, secret);
        Self {
            sealer: RecordSealer::new(suite, &keys),
            deframer: Deframer::new(),
            opener: RecordOpener::new(suite, &keys),
        }
    }

    /// `buf` holds 5 spare bytes then the content. Seals it, moves the record to the receiver, which
    /// deframes and opens it in place; returns the buffer laid out the same way (5 bytes, then content).
    fn carry(&mut self, mut buf: BytesMut) -> Result<BytesMut> {
        self.sealer
            .seal_in_place(ContentType::ApplicationData, &mut buf, 0)?;
        let rest = self.deframer.feed_owned(buf);
        debug_assert!(rest.is_empty());
        let mut record = self
            .deframer
            .next_record()?
            .ok_or_else(|| anyhow!("no whole record"))?;
        let (typ, content) = self.opener.open_in_place(&mut record.bytes)?;
        let n = content.len();
        if typ != ContentType::ApplicationData || n != SIZE {
            return Err(anyhow!("opened {typ:?} of {n} bytes"));
        }
        record.bytes.truncate(HEADER_LEN + n);
        Ok(record.bytes)
    }
}

fn ours(suite: Tls13Suite) -> Result<Work<'static>> {
    let len = suite.hash().output_len();
    let mut c2s = Direction::new(suite, &[0x0c; 48][..len]);
    let mut s2c = Direction::new(suite, &[0x05; 48][..len]);
    // Content 64-byte aligned, as ring-raw's buffer is at least 16-byte aligned.
    let mut buf = record_buffer();
    buf.resize(HEADER_LEN + SIZE, 0x61);
    let mut slot = Some(buf);
    // Check once, outside the timing, that the bytes really arrive.
    let mut work = move || -> Result<()> {
        let buf = slot.take().ok_or_else(|| anyhow!("buffer lost"))?;
        let buf = c2s.carry(buf)?;
        slot = Some(s2c.carry(buf)?);
        Ok(())
    };
    work().context("our record layer round trip")?;
    Ok(Box::new(move || {
        work().expect("our record layer round trip");
        (2 * SIZE) as f64
    }))
}

/// Raw ring: the same AEAD, the same buffer, 16 KiB + tag, nonce from a counter, a 5-byte AAD.
fn ring_raw(suite: Tls13Suite) -> Result<Work<'static>> {
    let key = |b: u8| -> Result<aead::LessSafeKey> {
        let k = vec![b; suite.key_len()];
        Ok(aead::LessSafeKey::new(
            aead::UnboundKey::new(suite.aead(), &k).map_err(|_| anyhow!("ring key"))?,
        ))
    };
    let keys = [key(0x0c)?, key(0x05)?];
    let mut buf = vec![0x61u8; SIZE + 16];
    let mut seq = 0u64;
    Ok(Box::new(move || {
        for k in &keys {
            let mut n = [0u8; 12];
            n[4..].copy_from_slice(&seq.to_be_bytes());
            let aad = [23, 3, 3, 0x40, 0x11];
            let tag = k
                .seal_in_place_separate_tag(
                    aead::Nonce::assume_unique_for_key(n),
                    aead::Aad::from(aad),
                    &mut buf[..SIZE],
                )
                .expect("ring seal");
            buf[SIZE..].copy_from_slice(tag.as_ref());
            let plain = k
                .open_in_place(
                    aead::Nonce::assume_unique_for_key(n),
                    aead::Aad::from(aad),
                    &mut buf,
                )
                .expect("ring open");
            debug_assert_eq!(plain.len(), SIZE);
        }
        seq += 1;
        (2 * SIZE) as f64
    }))
}

fn rustls_suite(suite: Tls13Suite) -> rustls::SupportedCipherSuite {
    match suite {
        Tls13Suite::Aes128GcmSha256 => provider::cipher_suite::TLS13_AES_128_GCM_SHA256,
        Tls13Suite::Aes256GcmSha384 => provider::cipher_suite::TLS13_AES_256_GCM_SHA384,
        Tls13Suite::Chacha20Poly1305Sha256 => {
            provider::cipher_suite::TLS13_CHACHA20_POLY1305_SHA256
        }
    }
}

/// A rustls client/server pair, handshaken in memory on exactly this suite.
fn rustls_pair(suite: Tls13Suite, cert_der: &[u8], key_der: &[u8]) -> Result<Work<'static>> {
    let provider = Arc::new(rustls::crypto::CryptoProvider {
        cipher_suites: vec![rustls_suite(suite)],
        kx_groups: vec![provider::kx_group::X25519],
        ..provider::default_provider()
    });
    let mut roots = RootCertStore::empty();
    roots.add(CertificateDer::from(cert_der.to_vec()))?;
    let client_config = ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&[&rustls::version::TLS13])?
        .with_root_certificates(roots)
        .with_no_client_auth();
    let mut server_config = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])?
        .with_no_client_auth()
        .with_single_cert(
            vec![CertificateDer::from(cert_der.to_vec())],
            PrivateKeyDer::Pkcs8(key_der.to_vec().into()),
        )?;
    server_config.send_tls13_tickets = 0;
    let name = ServerName::try_from("localhost").map_err(|e| anyhow!("{e}"))?;
    let mut client = ClientConnection::new(Arc::new(client_config), name)?;
    let mut server = ServerConnection::new(Arc::new(server_config))?;
    let mut wire = Vec::with_capacity(2 * MAX_RECORD_LEN);
    for _ in 0..10 {
        if !client.is_handshaking()
            && !server.is_handshaking()
            && !client.wants_write()
            && !server.wants_write()
        {
            break;
        }
        pump(&mut client, &mut server, &mut wire)?;
        pump(&mut server, &mut client, &mut wire)?;
    }
    if client.is_handshaking() || server.is_handshaking() {
        return Err(anyhow!("rustls handshake did not finish"));
    }
    let negotiated = client.negotiated_cipher_suite().map(|s| s.suite());
    if negotiated != Some(rustls_suite(suite).suite()) {
        return Err(anyhow!("rustls negotiated {negotiated:?}"));
    }
    let data = vec![0x61u8; SIZE];
    let mut got = vec![0u8; SIZE];
    let mut work = move || -> Result<()> {
        client.writer().write_all(&data)?;
        pump(&mut client, &mut server, &mut wire)?;
        server.reader().read_exact(&mut got)?;
        server.writer().write_all(&got)?;
        pump(&mut server, &mut client, &mut wire)?;
        client.reader().read_exact(&mut got)?;
        Ok(())
    };
    work().context("rustls round trip")?;
    Ok(Box::new(move || {
        work().expect("rustls round trip");
        (2 * SIZE) as f64
    }))
}

/// Moves everything `from` has to send into `to` and lets `to` process it.
fn pump<A, B, DA, DB>(from: &mut A, to: &mut B, wire: &mut Vec<u8>) -> Result<()>
where
    A: std::ops::DerefMut<Target = rustls::ConnectionCommon<DA>>,
    B: std::ops::DerefMut<Target = rustls::ConnectionCommon<DB>>,
    DA: rustls::SideData,
    DB: rustls::SideData,
{
    wire.clear();
    while from.wants_write() {
        from.write_tls(wire)?;
    }
    // Hand rustls all bytes first (read_tls takes at most 4 KiB per call), then process once: the
    // cheapest way to drive it.
    let mut rd = &wire[..];
    while !rd.is_empty() {
        to.read_tls(&mut rd)?;
    }
    to.process_new_packets()?;
    Ok(())
}
