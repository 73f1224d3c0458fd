//! Interop with a real peer: rustls (in memory) negotiates each suite; with the traffic keys it exports,
//! our sealer produces byte-for-byte the records rustls produces, our opener reads rustls' records, and
//! rustls reads ours (including our close_notify).

use bytes::BytesMut;
use https_record::{
    ContentType, Incoming, RecordLayer, RecordOpener, RecordSealer, Tls13Suite, TrafficKeys,
};
use rustls::crypto::ring as provider;
use rustls::{
    ClientConfig, ClientConnection, ConnectionTrafficSecrets, RootCertStore, ServerConfig,
    ServerConnection,
};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use std::io::{Read, Write};
use std::sync::Arc;

fn rustls_suite(suite: Tls13Suite) -> rustls::SupportedCipherSuite {
    match suite {
        Tls13Suite::Aes128GcmSha256 => provider::cipher_suite::TLS13_AES_128_GCM_SHA256,
        Tls13Suite::Aes256GcmSha384 => provider::cipher_suite::TLS13_AES_256_GCM_SHA384,
        Tls13Suite::Chacha20Poly1305Sha256 => {
            provider::cipher_suite::TLS13_CHACHA20_POLY1305_SHA256
        }
    }
}

fn pair(suite: Tls13Suite) -> (ClientConnection, ServerConnection) {
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let cert_der = CertificateDer::from(cert.cert.der().to_vec());
    let provider = Arc::new(rustls::crypto::CryptoProvider {
        cipher_suites: vec![rustls_suite(suite)],
        ..provider::default_provider()
    });
    let mut roots = RootCertStore::empty();
    roots.add(cert_der.clone()).unwrap();
    let mut cc = ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&[&rustls::version::TLS13])
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    cc.enable_secret_extraction = true;
    let mut sc = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![cert_der],
            PrivateKeyDer::Pkcs8(cert.signing_key.serialize_der().into()),
        )
        .unwrap();
    sc.send_tls13_tickets = 0;
    let mut c =
        ClientConnection::new(Arc::new(cc), ServerName::try_from("localhost").unwrap()).unwrap();
    let mut s = ServerConnection::new(Arc::new(sc)).unwrap();
    for _ in 0..10 {
        let mut wire = Vec::new();
        while c.wants_write() {
            c.write_tls(&mut wire).unwrap();
        }
        s.read_tls(&mut &wire[..]).unwrap();
        s.process_new_packets().unwrap();
        wire.clear();
        while s.wants_write() {
            s.write_tls(&mut wire).unwrap();
        }
        c.read_tls(&mut &wire[..]).unwrap();
        c.process_new_packets().unwrap();
        if !c.is_handshaking() && !s.is_handshaking() && !c.wants_write() && !s.wants_write() {
            break;
        }
    }
    assert!(
        !c.is_handshaking() && !s.is_handshaking(),
        "rustls handshake finished"
    );
    (c, s)
}

fn keys_of(suite: Tls13Suite, secrets: ConnectionTrafficSecrets) -> TrafficKeys {
    let (key, iv) = match secrets {
        ConnectionTrafficSecrets::Aes128Gcm { key, iv }
        | ConnectionTrafficSecrets::Aes256Gcm { key, iv }
        | ConnectionTrafficSecrets::Chacha20Poly1305 { key, iv } => (key, iv),
        _ => panic!("unexpected kind of secrets"),
    };
    let iv: [u8; 12] = iv.as_ref().try_into().unwrap();
    TrafficKeys::from_parts(suite, key.as_ref(), iv).unwrap()
}

fn data(len: usize, seed: u8) -> Vec<u8> {
    (0..len).map(|i| (i as u8).wrapping_mul(7) ^ seed).collect()
}

#[test]
fn records_interoperate_with_rustls_in_both_directions() {
    for suite in Tls13Suite::ALL {
        let (mut client, mut server) = pair(suite);
        // 40,000 bytes: three records (2^14, 2^14, rest), like our own fragmentation.
        let c_data = data(40_000, 1);
        let s_data = data(5_000, 2);
        client.writer().write_all(&c_data).unwrap();
        let mut c_wire = Vec::new();
        while client.wants_write() {
            client.write_tls(&mut c_wire).unwrap();
        }
        server.writer().write_all(&s_data).unwrap();
        let mut s_wire = Vec::new();
        while server.wants_write() {
            server.write_tls(&mut s_wire).unwrap();
        }
        let secrets = client.dangerous_extract_secrets().unwrap();
        assert_eq!(
            secrets.tx.0, 3,
            "{suite}: rustls sent three application records"
        );
        assert_eq!(secrets.rx.0, 0);
        let c_keys = keys_of(suite, secrets.tx.1);
        let s_keys = keys_of(suite, secrets.rx.1);

        // 1. Our sealer, same keys and sequence numbers: the very same bytes as rustls.
        let mut ours = BytesMut::new();
        RecordSealer::new(suite, &c_keys)
            .seal_fragmented(ContentType::ApplicationData, &c_data, usize::MAX, &mut ours)
            .unwrap();
        assert_eq!(
            ours.as_ref(),
            c_wire.as_slice(),
            "{suite}: byte-for-byte equal to rustls' records"
        );

        // 2. Our record layer reads the server's rustls records.
        let mut layer = RecordLayer::new();
        layer.set_opener(RecordOpener::new(suite, &s_keys));
        assert_eq!(layer.feed(&s_wire), s_wire.len());
        let mut got = Vec::new();
        while let Some(item) = layer.next_incoming().unwrap() {
            match item {
                Incoming::ApplicationData(b) => got.extend_from_slice(&b),
                other => panic!("{suite}: unexpected {other:?}"),
            }
        }
        assert_eq!(got, s_data, "{suite}: we read what rustls sent");

        // 3. rustls reads what our layer writes with the client's keys, padding included, then our
        //    close_notify ends the stream cleanly.
        let mut tx = RecordLayer::new();
        let mut sealer = RecordSealer::new(suite, &c_keys);
        sealer.set_padding(https_record::Padding::Block(64));
        tx.set_sealer(sealer);
        let mut wire = BytesMut::new();
        tx.write(ContentType::ApplicationData, &c_data, &mut wire)
            .unwrap();
        tx.write_close_notify(&mut wire).unwrap();
        let mut rd = &wire[..];
        let mut received = Vec::new();
        let mut closed = false;
        let mut chunk = vec![0u8; 8192];
        while !rd.is_empty() {
            server.read_tls(&mut rd).unwrap();
            server.process_new_packets().unwrap();
            // Drain as we go: rustls bounds its plaintext buffer.
            loop {
                match server.reader().read(&mut chunk) {
                    Ok(0) => {
                        closed = true;
                        break;
                    }
                    Ok(n) => received.extend_from_slice(&chunk[..n]),
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                    Err(e) => panic!("{suite}: rustls read failed: {e}"),
                }
            }
        }
        assert!(closed, "{suite}: rustls saw our close_notify (clean EOF)");
        assert_eq!(received, c_data, "{suite}: rustls read what we sealed");
    }
}
