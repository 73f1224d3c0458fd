//! One test per malformed-record class: each asserts the exact error and the alert the peer must get.

use bytes::BytesMut;
use https_record::{
    Alert, AlertDescription, ContentType, Deframer, Incoming, RecordError, RecordLayer,
    RecordOpener, RecordSealer, Tls13Suite, TrafficKeys, MAX_CIPHERTEXT_LEN,
};
use ring::aead;

const SUITE: Tls13Suite = Tls13Suite::Aes128GcmSha256;

fn keys() -> TrafficKeys {
    TrafficKeys::derive(SUITE, &[0x11; 32])
}

fn sealed(content: &[u8]) -> BytesMut {
    let mut out = BytesMut::new();
    RecordSealer::new(SUITE, &keys())
        .seal_into(ContentType::ApplicationData, content, &mut out)
        .unwrap();
    out
}

/// Seals an arbitrary TLSInnerPlaintext at sequence 0 with ring directly, bypassing the sealer's checks,
/// to build records a broken or hostile peer could send.
fn sealed_raw_inner(inner: &[u8]) -> Vec<u8> {
    let k = keys();
    let key = aead::LessSafeKey::new(aead::UnboundKey::new(SUITE.aead(), k.key()).unwrap());
    let len = (inner.len() + 16) as u16;
    let header = [23, 3, 3, (len >> 8) as u8, len as u8];
    let mut body = inner.to_vec();
    let nonce = aead::Nonce::assume_unique_for_key(*k.iv()); // seq 0: nonce = IV
    key.seal_in_place_append_tag(nonce, aead::Aad::from(header), &mut body)
        .unwrap();
    let mut rec = header.to_vec();
    rec.extend(body);
    rec
}

fn open(record: &mut [u8]) -> Result<(ContentType, Vec<u8>), RecordError> {
    RecordOpener::new(SUITE, &keys())
        .open_in_place(record)
        .map(|(t, c)| (t, c.to_vec()))
}

fn assert_err<T: std::fmt::Debug>(
    res: Result<T, RecordError>,
    want: RecordError,
    alert: AlertDescription,
) {
    let err = res.expect_err("must fail");
    assert_eq!(err, want);
    assert_eq!(err.alert(), alert, "{err}");
}

fn deframe_all(bytes: &[u8]) -> Result<Vec<Vec<u8>>, RecordError> {
    let mut d = Deframer::new();
    assert_eq!(d.feed(bytes), bytes.len());
    let mut out = Vec::new();
    while let Some(r) = d.next_record()? {
        out.push(r.bytes.to_vec());
    }
    Ok(out)
}

/// A record layer with keys installed both ways, and the matching peer sealer.
fn layer_with_keys() -> (RecordLayer, RecordSealer) {
    let mut layer = RecordLayer::new();
    layer.set_opener(RecordOpener::new(SUITE, &keys()));
    (layer, RecordSealer::new(SUITE, &keys()))
}

fn layer_read(layer: &mut RecordLayer, bytes: &[u8]) -> Result<Vec<Incoming>, RecordError> {
    assert_eq!(layer.feed(bytes), bytes.len());
    let mut got = Vec::new();
    while let Some(i) = layer.next_incoming()? {
        got.push(i);
    }
    Ok(got)
}

#[test]
fn tampered_tag_is_bad_record_mac() {
    let mut r = sealed(b"hello");
    let last = r.len() - 1;
    r[last] ^= 1;
    assert_err(
        open(&mut r),
        RecordError::BadRecordMac,
        AlertDescription::BadRecordMac,
    );
}

#[test]
fn tampered_ciphertext_is_bad_record_mac() {
    let mut r = sealed(b"hello");
    r[6] ^= 0x80;
    assert_err(
        open(&mut r),
        RecordError::BadRecordMac,
        AlertDescription::BadRecordMac,
    );
}

#[test]
fn tampered_header_is_bad_record_mac() {
    // The header is the additional data: changing legacy_record_version breaks authentication.
    let mut r = sealed(b"hello");
    r[2] = 0x01;
    assert_err(
        open(&mut r),
        RecordError::BadRecordMac,
        AlertDescription::BadRecordMac,
    );
}

#[test]
fn wrong_sequence_number_is_bad_record_mac() {
    let mut sealer = RecordSealer::new(SUITE, &keys());
    let (mut first, mut second) = (BytesMut::new(), BytesMut::new());
    sealer
        .seal_into(ContentType::ApplicationData, b"one", &mut first)
        .unwrap();
    sealer
        .seal_into(ContentType::ApplicationData, b"two", &mut second)
        .unwrap();
    // Reordered: record 1 arrives where record 0 is expected.
    assert_err(
        open(&mut second.clone()),
        RecordError::BadRecordMac,
        AlertDescription::BadRecordMac,
    );
    // Replayed: record 0 twice.
    let mut opener = RecordOpener::new(SUITE, &keys());
    opener.open_in_place(&mut first.clone()).unwrap();
    assert_err(
        opener.open_in_place(&mut first),
        RecordError::BadRecordMac,
        AlertDescription::BadRecordMac,
    );
}

#[test]
fn wrong_key_is_bad_record_mac() {
    let mut r = sealed(b"hello");
    let other = TrafficKeys::derive(SUITE, &[0x22; 32]);
    let res = RecordOpener::new(SUITE, &other)
        .open_in_place(&mut r)
        .map(|_| ());
    assert_err(
        res,
        RecordError::BadRecordMac,
        AlertDescription::BadRecordMac,
    );
}

#[test]
fn ciphertext_shorter_than_the_tag_is_bad_record_mac() {
    let mut r = vec![23, 3, 3, 0, 10];
    r.extend([0u8; 10]);
    assert_err(
        open(&mut r),
        RecordError::BadRecordMac,
        AlertDescription::BadRecordMac,
    );
    let mut empty = vec![23, 3, 3, 0, 0];
    assert_err(
        open(&mut empty),
        RecordError::BadRecordMac,
        AlertDescription::BadRecordMac,
    );
}

#[test]
fn oversize_protected_record_is_record_overflow() {
    let len = MAX_CIPHERTEXT_LEN + 1;
    let header = [23, 3, 3, (len >> 8) as u8, len as u8];
    // Rejected from the header alone, before the body arrives.
    assert_err(
        deframe_all(&header),
        RecordError::RecordOverflow {
            what: "record fragment",
            len,
            max: MAX_CIPHERTEXT_LEN,
        },
        AlertDescription::RecordOverflow,
    );
    // open_in_place checks it too, for callers that frame records themselves.
    let mut r = header.to_vec();
    r.resize(5 + len, 0);
    assert_err(
        open(&mut r),
        RecordError::RecordOverflow {
            what: "ciphertext fragment",
            len,
            max: MAX_CIPHERTEXT_LEN,
        },
        AlertDescription::RecordOverflow,
    );
}

#[test]
fn oversize_plaintext_record_is_record_overflow() {
    let len = (1 << 14) + 1;
    let header = [22, 3, 3, (len >> 8) as u8, len as u8];
    assert_err(
        deframe_all(&header),
        RecordError::RecordOverflow {
            what: "record fragment",
            len,
            max: 1 << 14,
        },
        AlertDescription::RecordOverflow,
    );
}

#[test]
fn oversize_inner_plaintext_is_record_overflow() {
    // 2^14 + 2 inner bytes authenticate fine but exceed TLSInnerPlaintext's 2^14 + 1.
    let mut inner = vec![0x41; (1 << 14) + 1];
    inner.push(23);
    let mut r = sealed_raw_inner(&inner);
    assert_err(
        open(&mut r),
        RecordError::RecordOverflow {
            what: "decrypted inner plaintext",
            len: (1 << 14) + 2,
            max: (1 << 14) + 1,
        },
        AlertDescription::RecordOverflow,
    );
}

#[test]
fn exceeding_our_record_size_limit_is_record_overflow() {
    let mut r = sealed(&[7u8; 200]);
    let mut opener = RecordOpener::new(SUITE, &keys());
    opener.set_record_size_limit(100);
    assert_err(
        opener.open_in_place(&mut r).map(|_| ()),
        RecordError::RecordOverflow {
            what: "decrypted inner plaintext",
            len: 201,
            max: 100,
        },
        AlertDescription::RecordOverflow,
    );
}

#[test]
fn all_zero_inner_plaintext_is_unexpected_message() {
    let mut r = sealed_raw_inner(&[0u8; 32]);
    assert_err(
        open(&mut r),
        RecordError::UnexpectedMessage {
            reason: "inner plaintext is all zeros (no content type)",
        },
        AlertDescription::UnexpectedMessage,
    );
    // An empty inner plaintext (just a tag) has no content type either.
    let mut r = sealed_raw_inner(&[]);
    assert_err(
        open(&mut r),
        RecordError::UnexpectedMessage {
            reason: "inner plaintext is all zeros (no content type)",
        },
        AlertDescription::UnexpectedMessage,
    );
}

#[test]
fn unknown_inner_content_type_is_unexpected_message() {
    let mut r = sealed_raw_inner(&[1, 2, 3, 0x63, 0, 0]);
    assert_err(
        open(&mut r),
        RecordError::UnexpectedMessage {
            reason: "unknown inner content type",
        },
        AlertDescription::UnexpectedMessage,
    );
}

#[test]
fn protected_change_cipher_spec_is_unexpected_message() {
    let mut r = sealed_raw_inner(&[1, 20]);
    assert_err(
        open(&mut r),
        RecordError::UnexpectedMessage {
            reason: "change_cipher_spec must not be protected",
        },
        AlertDescription::UnexpectedMessage,
    );
}

#[test]
fn unknown_outer_content_type_is_unexpected_message() {
    // 24 = heartbeat, not part of TLS 1.3.
    assert_err(
        deframe_all(&[24, 3, 3, 0, 1, 0]),
        RecordError::UnexpectedMessage {
            reason: "unknown record content type",
        },
        AlertDescription::UnexpectedMessage,
    );
    // Plain HTTP sent to a TLS port: 'G' is no content type, detected from the first byte.
    assert_err(
        deframe_all(b"G"),
        RecordError::UnexpectedMessage {
            reason: "unknown record content type",
        },
        AlertDescription::UnexpectedMessage,
    );
}

#[test]
fn bad_legacy_version_is_decode_error() {
    assert_err(
        deframe_all(&[22, 4]),
        RecordError::DecodeError {
            reason: "legacy_record_version is not 0x03xx (not a TLS record)",
        },
        AlertDescription::DecodeError,
    );
}

#[test]
fn length_field_mismatch_is_decode_error() {
    let mut r = sealed(b"hello").to_vec();
    r.push(0);
    assert_err(
        open(&mut r),
        RecordError::DecodeError {
            reason: "record length field does not match the record",
        },
        AlertDescription::DecodeError,
    );
    assert_err(
        open(&mut [23, 3, 3]),
        RecordError::DecodeError {
            reason: "record shorter than its 5-byte header",
        },
        AlertDescription::DecodeError,
    );
}

#[test]
fn plaintext_record_where_protection_is_required_is_unexpected_message() {
    let mut r = vec![22, 3, 3, 0, 4, 1, 0, 0, 0];
    assert_err(
        open(&mut r),
        RecordError::UnexpectedMessage {
            reason: "a protected record must have outer type application_data",
        },
        AlertDescription::UnexpectedMessage,
    );
    let (mut layer, _) = layer_with_keys();
    assert_err(
        layer_read(&mut layer, &[22, 3, 3, 0, 4, 1, 0, 0, 0]),
        RecordError::UnexpectedMessage {
            reason: "a protected record must have outer type application_data",
        },
        AlertDescription::UnexpectedMessage,
    );
}

#[test]
fn protected_record_before_keys_is_unexpected_message() {
    let mut layer = RecordLayer::new();
    assert_err(
        layer_read(&mut layer, &sealed(b"early")),
        RecordError::UnexpectedMessage {
            reason: "a protected record arrived before any key was installed",
        },
        AlertDescription::UnexpectedMessage,
    );
}

#[test]
fn malformed_alert_is_decode_error() {
    let (mut layer, mut peer) = layer_with_keys();
    let mut wire = BytesMut::new();
    peer.seal_into(ContentType::Alert, &[2, 40, 0], &mut wire)
        .unwrap();
    assert_err(
        layer_read(&mut layer, &wire),
        RecordError::DecodeError {
            reason: "an alert message must be exactly 2 bytes",
        },
        AlertDescription::DecodeError,
    );
}

#[test]
fn empty_handshake_fragment_is_decode_error() {
    let mut layer = RecordLayer::new();
    assert_err(
        layer_read(&mut layer, &[22, 3, 3, 0, 0]),
        RecordError::DecodeError {
            reason: "empty handshake fragment",
        },
        AlertDescription::DecodeError,
    );
}

#[test]
fn change_cipher_spec_rules() {
    // Allowed once inside the window: silently dropped.
    let mut layer = RecordLayer::new();
    layer.allow_compat_ccs(true);
    assert_eq!(
        layer_read(&mut layer, &[20, 3, 3, 0, 1, 1]).unwrap(),
        vec![]
    );
    // A second one is unexpected.
    assert_err(
        layer_read(&mut layer, &[20, 3, 3, 0, 1, 1]),
        RecordError::UnexpectedMessage {
            reason: "change_cipher_spec outside the handshake's compatibility window",
        },
        AlertDescription::UnexpectedMessage,
    );
    // Outside the window.
    let mut layer = RecordLayer::new();
    assert_err(
        layer_read(&mut layer, &[20, 3, 3, 0, 1, 1]),
        RecordError::UnexpectedMessage {
            reason: "change_cipher_spec outside the handshake's compatibility window",
        },
        AlertDescription::UnexpectedMessage,
    );
    // Any value but the single byte 0x01.
    let mut layer = RecordLayer::new();
    layer.allow_compat_ccs(true);
    assert_err(
        layer_read(&mut layer, &[20, 3, 3, 0, 1, 2]),
        RecordError::UnexpectedMessage {
            reason: "change_cipher_spec must be the single byte 0x01",
        },
        AlertDescription::UnexpectedMessage,
    );
}

#[test]
fn fatal_peer_alert_is_reported() {
    let (mut layer, mut peer) = layer_with_keys();
    let mut wire = BytesMut::new();
    let alert = Alert::fatal(AlertDescription::HandshakeFailure);
    peer.seal_into(ContentType::Alert, &alert.encode(), &mut wire)
        .unwrap();
    assert_err(
        layer_read(&mut layer, &wire),
        RecordError::PeerAlert(alert),
        AlertDescription::HandshakeFailure,
    );
    // The layer stays failed.
    assert_eq!(layer.next_incoming(), Err(RecordError::PeerAlert(alert)));
}

#[test]
fn eof_without_close_notify_is_truncation() {
    let (mut layer, mut peer) = layer_with_keys();
    let mut wire = BytesMut::new();
    peer.seal_into(ContentType::ApplicationData, b"data", &mut wire)
        .unwrap();
    assert_eq!(
        layer_read(&mut layer, &wire).unwrap(),
        vec![Incoming::ApplicationData(BytesMut::from(&b"data"[..]))]
    );
    assert_err(
        layer.eof(),
        RecordError::Truncated { mid_record: false },
        AlertDescription::DecodeError,
    );
}

#[test]
fn eof_inside_a_record_is_truncation() {
    let (mut layer, mut peer) = layer_with_keys();
    let mut wire = BytesMut::new();
    peer.seal_into(ContentType::ApplicationData, b"data", &mut wire)
        .unwrap();
    assert_eq!(
        layer_read(&mut layer, &wire[..wire.len() - 1]).unwrap(),
        vec![]
    );
    assert_err(
        layer.eof(),
        RecordError::Truncated { mid_record: true },
        AlertDescription::DecodeError,
    );
}

#[test]
fn close_notify_then_eof_is_clean_and_later_data_is_ignored() {
    let (mut layer, mut peer) = layer_with_keys();
    let mut wire = BytesMut::new();
    peer.seal_into(ContentType::ApplicationData, b"last words", &mut wire)
        .unwrap();
    peer.seal_into(
        ContentType::Alert,
        &Alert::close_notify().encode(),
        &mut wire,
    )
    .unwrap();
    peer.seal_into(ContentType::ApplicationData, b"ignored", &mut wire)
        .unwrap();
    let got = layer_read(&mut layer, &wire).unwrap();
    assert_eq!(
        got,
        vec![
            Incoming::ApplicationData(BytesMut::from(&b"last words"[..])),
            Incoming::CloseNotify
        ]
    );
    assert!(layer.peer_closed());
    assert_eq!(layer.eof(), Ok(()));
}

#[test]
fn sender_refuses_oversize_content() {
    let mut sealer = RecordSealer::new(SUITE, &keys());
    let mut out = BytesMut::new();
    assert_err(
        sealer.seal_into(
            ContentType::ApplicationData,
            &vec![0; (1 << 14) + 1],
            &mut out,
        ),
        RecordError::RecordOverflow {
            what: "content to seal",
            len: (1 << 14) + 1,
            max: 1 << 14,
        },
        AlertDescription::RecordOverflow,
    );
    assert!(out.is_empty());
}

#[test]
fn plaintext_alert_is_accepted_only_before_anything_was_decrypted() {
    // The peer failed before it had keys (e.g. on our ServerHello): its alert is plaintext.
    let (mut layer, _) = layer_with_keys();
    let alert = Alert::fatal(AlertDescription::IllegalParameter);
    assert_err(
        layer_read(&mut layer, &[21, 3, 3, 0, 2, 2, 47]),
        RecordError::PeerAlert(alert),
        AlertDescription::IllegalParameter,
    );
    // Once a protected record was read, a plaintext alert is an attack or a bug.
    let (mut layer, mut peer) = layer_with_keys();
    let mut wire = BytesMut::new();
    peer.seal_into(ContentType::Handshake, &[8, 0, 0, 0], &mut wire)
        .unwrap();
    wire.extend_from_slice(&[21, 3, 3, 0, 2, 2, 47]);
    assert_err(
        layer_read(&mut layer, &wire),
        RecordError::UnexpectedMessage {
            reason: "a protected record must have outer type application_data",
        },
        AlertDescription::UnexpectedMessage,
    );
}
