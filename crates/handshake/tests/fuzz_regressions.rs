//! Inputs found by the coverage-guided fuzz targets (`cargo xtask fuzz`), kept as tests; the
//! original inputs are also seeds of their target (`fuzz/corpus/TARGET/seed-regression-*`).

use std::sync::Arc;

use https_handshake::codec::{
    Codec, HandshakeMessage, HandshakePayload, ServerExtension, ServerHello, HRR_RANDOM,
};
use https_handshake::{CipherSuite, ClientConfig, ClientConnection, Error, ProtocolVersion};

fn drain(conn: &mut https_handshake::Connection) -> Vec<u8> {
    let mut out = Vec::new();
    while conn.wants_write() {
        if conn.write_tls(&mut out).unwrap_or(0) == 0 {
            break;
        }
    }
    out
}

/// `client` target: the application sends close_notify while the handshake is under way, then a
/// HelloRetryRequest arrives. The client refused to send its second ClientHello (Closed) but still
/// wrote the middlebox-compatibility change_cipher_spec after its own close_notify.
#[test]
fn close_notify_then_hello_retry_request_sends_nothing_more() {
    let anchors = https_verify::TrustAnchors::new();
    let config = ClientConfig::builder()
        .with_root_certificates(anchors)
        .build()
        .unwrap();
    let mut conn = ClientConnection::new(Arc::new(config), "fuzz.test")
        .unwrap()
        .into_inner();
    let hello = drain(&mut conn);
    let session_id = match HandshakeMessage::read_bytes(&hello[5..]) {
        Ok(HandshakeMessage(HandshakePayload::ClientHello(ch))) => ch.session_id,
        other => panic!("not a ClientHello: {other:?}"),
    };
    conn.send_close_notify();
    let close = drain(&mut conn);
    assert_eq!(close, [21, 3, 3, 0, 2, 1, 0], "a plaintext close_notify");

    let hrr = HandshakeMessage(HandshakePayload::ServerHello(ServerHello {
        legacy_version: ProtocolVersion::Tls12,
        random: HRR_RANDOM,
        session_id,
        cipher_suite: CipherSuite::Aes128GcmSha256,
        compression_method: 0,
        extensions: vec![
            ServerExtension::SupportedVersions(ProtocolVersion::Tls13),
            ServerExtension::HrrKeyShare(0x0017), // secp256r1: supported, no share sent
        ],
        extensions_omitted: false,
    }))
    .get_encoding();
    let mut record = vec![22, 3, 3, (hrr.len() >> 8) as u8, hrr.len() as u8];
    record.extend_from_slice(&hrr);
    conn.read_tls(&mut &record[..]).unwrap();
    assert_eq!(conn.process_new_packets(), Err(Error::Closed));
    assert_eq!(
        drain(&mut conn),
        Vec::<u8>::new(),
        "nothing after our close_notify"
    );
}
