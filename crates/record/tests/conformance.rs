//! RFC 8446 §5 rules a hostile peer probes: empty alerts, runs of empty records, and the early data
//! a server that rejected 0-RTT must skip (§4.2.10). Each test asserts the exact error and alert.

use bytes::BytesMut;
use https_record::{
    AlertDescription, ContentType, Incoming, Padding, RecordError, RecordLayer, RecordOpener,
    RecordSealer, Tls13Suite, TrafficKeys, MAX_EARLY_DATA_SKIP, MAX_EMPTY_RECORDS,
};

const SUITE: Tls13Suite = Tls13Suite::Aes128GcmSha256;

fn keys(seed: u8) -> TrafficKeys {
    TrafficKeys::derive(SUITE, &[seed; 32])
}

/// A layer reading under `keys(1)` and the peer's matching sealer.
fn layer_with_keys() -> (RecordLayer, RecordSealer) {
    let mut layer = RecordLayer::new();
    layer.set_opener(RecordOpener::new(SUITE, &keys(1)));
    (layer, RecordSealer::new(SUITE, &keys(1)))
}

fn read_all(layer: &mut RecordLayer, bytes: &[u8]) -> Result<Vec<Incoming>, RecordError> {
    let mut rest = bytes;
    let mut got = Vec::new();
    while !rest.is_empty() {
        let n = layer.feed(rest);
        rest = &rest[n..];
        while let Some(i) = layer.next_incoming()? {
            got.push(i);
        }
    }
    Ok(got)
}

fn expect_unexpected(res: Result<Vec<Incoming>, RecordError>, reason: &'static str) {
    let err = res.expect_err("must fail");
    assert_eq!(err, RecordError::UnexpectedMessage { reason });
    assert_eq!(err.alert(), AlertDescription::UnexpectedMessage);
}

fn seal(sealer: &mut RecordSealer, typ: ContentType, content: &[u8]) -> BytesMut {
    let mut out = BytesMut::new();
    sealer.seal_into(typ, content, &mut out).unwrap();
    out
}

#[test]
fn empty_plaintext_alert_record_is_unexpected_message() {
    let mut layer = RecordLayer::new();
    expect_unexpected(
        read_all(&mut layer, &[21, 3, 3, 0, 0]),
        "empty alert record",
    );
    // Also with a read key installed but nothing decrypted yet (the plaintext-alert allowance).
    let (mut layer, _) = layer_with_keys();
    expect_unexpected(
        read_all(&mut layer, &[21, 3, 3, 0, 0]),
        "empty alert record",
    );
}

#[test]
fn empty_protected_alert_record_is_unexpected_message() {
    for padding in [Padding::None, Padding::Fixed(100)] {
        let (mut layer, mut peer) = layer_with_keys();
        peer.set_padding(padding);
        let wire = seal(&mut peer, ContentType::Alert, &[]);
        expect_unexpected(read_all(&mut layer, &wire), "empty alert record");
    }
}

#[test]
fn more_than_32_consecutive_empty_records_is_unexpected_message() {
    let (mut layer, mut peer) = layer_with_keys();
    let mut wire = BytesMut::new();
    for i in 0..MAX_EMPTY_RECORDS {
        // Padding-only records are empty too.
        peer.set_padding(if i % 2 == 0 {
            Padding::None
        } else {
            Padding::Fixed(7)
        });
        wire.extend_from_slice(&seal(&mut peer, ContentType::ApplicationData, &[]));
    }
    let got = read_all(&mut layer, &wire).expect("32 empty records are tolerated");
    assert!(got
        .iter()
        .all(|i| *i == Incoming::ApplicationData(BytesMut::new())));
    let one_more = seal(&mut peer, ContentType::ApplicationData, &[]);
    expect_unexpected(
        read_all(&mut layer, &one_more),
        "too many consecutive empty records or user_canceled alerts",
    );
}

#[test]
fn a_non_empty_record_resets_the_empty_run() {
    let (mut layer, mut peer) = layer_with_keys();
    for _ in 0..10 {
        let mut wire = BytesMut::new();
        for _ in 0..MAX_EMPTY_RECORDS {
            wire.extend_from_slice(&seal(&mut peer, ContentType::ApplicationData, &[]));
        }
        wire.extend_from_slice(&seal(&mut peer, ContentType::ApplicationData, b"x"));
        read_all(&mut layer, &wire).expect("runs of 32 separated by data");
    }
}

#[test]
fn rejected_early_data_is_skipped_until_a_record_opens() {
    // The server installed its handshake read key (keys(1)); the client's 0-RTT records are under
    // the early key (keys(9)) and must be discarded, then the client's Finished flight read.
    let (mut layer, mut client_hs) = layer_with_keys();
    layer.skip_early_data(true);
    let mut early = RecordSealer::new(SUITE, &keys(9));
    let mut wire = BytesMut::new();
    for _ in 0..4 {
        wire.extend_from_slice(&seal(&mut early, ContentType::ApplicationData, &[7; 3000]));
    }
    wire.extend_from_slice(&seal(&mut client_hs, ContentType::Handshake, b"finished"));
    let got = read_all(&mut layer, &wire).expect("early data skipped");
    assert_eq!(
        got,
        vec![Incoming::Handshake(BytesMut::from(&b"finished"[..]))]
    );
    // Once a record opened, a record that does not is an attack again: bad_record_mac.
    let bad = seal(&mut early, ContentType::ApplicationData, b"late");
    let err = read_all(&mut layer, &bad).expect_err("skipping ended");
    assert_eq!(err, RecordError::BadRecordMac);
    assert_eq!(err.alert(), AlertDescription::BadRecordMac);
}

#[test]
fn early_data_over_the_skip_limit_is_unexpected_message() {
    let (mut layer, _) = layer_with_keys();
    layer.skip_early_data(true);
    let mut early = RecordSealer::new(SUITE, &keys(9));
    let mut wire = BytesMut::new();
    let mut skipped = 0;
    while skipped <= MAX_EARLY_DATA_SKIP {
        let rec = seal(&mut early, ContentType::ApplicationData, &[1; 16384]);
        skipped += rec.len() - 5;
        wire.extend_from_slice(&rec);
    }
    expect_unexpected(
        read_all(&mut layer, &wire),
        "more rejected early data than the skip limit",
    );
}

#[test]
fn without_skipping_undecryptable_records_are_bad_record_mac() {
    let (mut layer, _) = layer_with_keys();
    let mut other = RecordSealer::new(SUITE, &keys(9));
    let wire = seal(&mut other, ContentType::ApplicationData, b"x");
    assert_eq!(read_all(&mut layer, &wire), Err(RecordError::BadRecordMac));
}

#[test]
fn before_any_key_early_data_records_are_skipped_until_told_to_stop() {
    // After a HelloRetryRequest the server has no read key; the client's 0-RTT records arrive
    // before its second ClientHello (plaintext) and are dropped.
    let mut layer = RecordLayer::new();
    layer.skip_early_data(true);
    let mut early = RecordSealer::new(SUITE, &keys(9));
    let mut wire = seal(&mut early, ContentType::ApplicationData, &[5; 1000]).to_vec();
    wire.extend_from_slice(&[22, 3, 3, 0, 4, 1, 0, 0, 0]);
    let got = read_all(&mut layer, &wire).expect("skipped");
    assert_eq!(
        got,
        vec![Incoming::Handshake(BytesMut::from(&[1, 0, 0, 0][..]))]
    );
    layer.skip_early_data(false);
    let more = seal(&mut early, ContentType::ApplicationData, b"x");
    expect_unexpected(
        read_all(&mut layer, &more),
        "a protected record arrived before any key was installed",
    );
}

#[test]
fn more_than_32_consecutive_user_canceled_alerts_is_unexpected_message() {
    let (mut layer, mut peer) = layer_with_keys();
    let mut wire = BytesMut::new();
    for _ in 0..MAX_EMPTY_RECORDS {
        wire.extend_from_slice(&seal(&mut peer, ContentType::Alert, &[1, 90]));
    }
    let got = read_all(&mut layer, &wire).expect("32 are tolerated");
    assert_eq!(got.len(), MAX_EMPTY_RECORDS);
    let one_more = seal(&mut peer, ContentType::Alert, &[1, 90]);
    expect_unexpected(
        read_all(&mut layer, &one_more),
        "too many consecutive empty records or user_canceled alerts",
    );
}
