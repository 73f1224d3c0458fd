//! The smaller pieces a caller relies on: deframer buffering and I/O, codecs, key handling, writes.

use bytes::BytesMut;
use https_record::{
    next_traffic_secret, Alert, AlertDescription, AlertLevel, ContentType, Deframer, HashAlg,
    Incoming, RecordError, RecordLayer, RecordOpener, RecordSealer, Tls13Suite, TrafficKeys,
    DEFRAMER_BUFFER_LIMIT, MAX_RECORD_LEN,
};
use std::io::Read;
use zeroize::Zeroize;

fn sealed_stream(n_records: usize, size: usize) -> (TrafficKeys, BytesMut) {
    let keys = TrafficKeys::derive(Tls13Suite::Aes256GcmSha384, &[4u8; 48]);
    let mut sealer = RecordSealer::new(Tls13Suite::Aes256GcmSha384, &keys);
    let mut out = BytesMut::new();
    for i in 0..n_records {
        sealer
            .seal_into(ContentType::ApplicationData, &vec![i as u8; size], &mut out)
            .unwrap();
    }
    (keys, out)
}

/// A reader that hands out at most `step` bytes per call.
struct Trickle<'a> {
    data: &'a [u8],
    step: usize,
}

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.step.min(buf.len()).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

#[test]
fn read_from_a_trickling_transport() {
    let (keys, wire) = sealed_stream(4, 3000);
    for step in [1, 7, 4096, 100_000] {
        let mut rd = Trickle { data: &wire, step };
        let mut d = Deframer::new();
        let mut opener = RecordOpener::new(Tls13Suite::Aes256GcmSha384, &keys);
        let mut got = Vec::new();
        loop {
            let n = d.read_from(&mut rd).unwrap();
            while let Some(r) = d.next_record().unwrap() {
                let (_, content) = opener.open(r).unwrap();
                got.push(content);
            }
            if n == 0 {
                break;
            }
        }
        assert!(!d.has_pending_bytes(), "clean EOF between records");
        assert_eq!(got.len(), 4, "step {step}");
        assert!(got
            .iter()
            .enumerate()
            .all(|(i, c)| c.len() == 3000 && c.iter().all(|&b| b == i as u8)));
    }
}

#[test]
fn read_from_refuses_when_full() {
    let mut d = Deframer::new();
    let filler = [23u8, 3, 3, 0x41, 0x00].repeat(DEFRAMER_BUFFER_LIMIT / 5 + 1);
    let mut fed = 0;
    while d.room() > 0 {
        fed += d.feed(&filler[fed..]);
    }
    let err = d
        .read_from(&mut Trickle {
            data: b"more",
            step: 4,
        })
        .unwrap_err();
    assert!(err.to_string().contains("next_record"), "{err}");
}

#[test]
fn feed_owned_adopts_and_hands_back_what_does_not_fit() {
    let (keys, wire) = sealed_stream(3, 16_000);
    let mut opener = RecordOpener::new(Tls13Suite::Aes256GcmSha384, &keys);
    let mut d = Deframer::new();
    // Empty deframer: the whole chunk (bigger than the buffer limit would allow via feed) is adopted.
    let mut big = wire.clone();
    big.extend_from_slice(&wire[..10]);
    assert!(big.len() > 3 * 16_000);
    assert!(d.feed_owned(big).is_empty());
    for _ in 0..3 {
        let r = d.next_record().unwrap().unwrap();
        opener.open(r).unwrap();
    }
    assert_eq!(d.buffered_len(), 10);
    // Not empty now: copies what fits and returns the rest.
    let rest = d.feed_owned(BytesMut::from(&vec![0u8; 2 * DEFRAMER_BUFFER_LIMIT][..]));
    assert_eq!(d.buffered_len(), DEFRAMER_BUFFER_LIMIT);
    assert_eq!(
        rest.len(),
        2 * DEFRAMER_BUFFER_LIMIT - (DEFRAMER_BUFFER_LIMIT - 10)
    );
}

#[test]
fn a_whole_adopted_record_comes_back_with_its_capacity() {
    let (keys, wire) = sealed_stream(1, 16_384);
    let mut buf = BytesMut::with_capacity(MAX_RECORD_LEN);
    buf.extend_from_slice(&wire);
    let ptr = buf.as_ptr();
    let mut d = Deframer::new();
    assert!(d.feed_owned(buf).is_empty());
    let mut r = d.next_record().unwrap().unwrap();
    assert_eq!(r.bytes.as_ptr(), ptr, "same allocation, no copy");
    assert!(
        r.bytes.capacity() >= MAX_RECORD_LEN,
        "room to seal a reply in place"
    );
    let n = RecordOpener::new(Tls13Suite::Aes256GcmSha384, &keys)
        .open_in_place(&mut r.bytes)
        .unwrap()
        .1
        .len();
    assert_eq!(n, 16_384);
}

#[test]
fn deframer_stays_failed_after_an_error() {
    let mut d = Deframer::new();
    assert_eq!(d.feed(&[99]), 1);
    let first = d.next_record().unwrap_err();
    assert_eq!(first.alert(), AlertDescription::UnexpectedMessage);
    let (_, good) = sealed_stream(1, 10);
    let _ = d.feed(&good);
    assert_eq!(d.next_record().unwrap_err(), first);
}

#[test]
fn alert_codec_round_trips_every_byte() {
    for b in 0..=255u8 {
        assert_eq!(AlertDescription::from_u8(b).to_u8(), b);
        assert_eq!(AlertLevel::from_u8(b).to_u8(), b);
        let a = Alert::decode(&[2, b]).unwrap();
        assert_eq!(a.encode(), [2, b]);
        match ContentType::from_u8(b) {
            Some(t) => assert_eq!(t.to_u8(), b),
            None => assert!(!(20..=23).contains(&b)),
        }
    }
    assert_eq!(AlertDescription::BadRecordMac.name(), "bad_record_mac");
    assert_eq!(
        AlertDescription::from_u8(20),
        AlertDescription::BadRecordMac
    );
    assert_eq!(Alert::close_notify().encode(), [1, 0]);
    assert!(Alert::close_notify().is_closure());
    assert!(!Alert::fatal(AlertDescription::DecodeError).is_closure());
    assert_eq!(
        Alert::fatal(AlertDescription::RecordOverflow).to_string(),
        "fatal alert record_overflow (22)"
    );
    assert!(Alert::decode(&[2]).is_err());
}

#[test]
fn cipher_suite_facts() {
    for s in Tls13Suite::ALL {
        assert_eq!(Tls13Suite::from_u16(s.to_u16()), Some(s));
    }
    assert_eq!(
        Tls13Suite::from_u16(0x1304),
        None,
        "CCM suites are not offered"
    );
    assert_eq!(Tls13Suite::Aes128GcmSha256.key_len(), 16);
    assert_eq!(Tls13Suite::Aes256GcmSha384.key_len(), 32);
    assert_eq!(Tls13Suite::Chacha20Poly1305Sha256.key_len(), 32);
    assert_eq!(Tls13Suite::Aes256GcmSha384.hash(), HashAlg::Sha384);
    assert_eq!(
        Tls13Suite::Aes128GcmSha256.record_limit(),
        23_726_566,
        "2^24.5 records"
    );
    assert_eq!(
        Tls13Suite::Chacha20Poly1305Sha256.name(),
        "TLS_CHACHA20_POLY1305_SHA256"
    );
}

#[test]
fn traffic_keys_zeroize_and_never_print() {
    let mut keys = TrafficKeys::derive(Tls13Suite::Aes128GcmSha256, &[9u8; 32]);
    assert!(keys.key().iter().any(|&b| b != 0));
    assert!(!format!("{keys:?}").contains(&format!("{:?}", keys.key())));
    keys.zeroize();
    assert!(keys.key().iter().all(|&b| b == 0) && keys.iv().iter().all(|&b| b == 0));
    assert!(TrafficKeys::from_parts(Tls13Suite::Aes256GcmSha384, &[0; 16], [0; 12]).is_err());
}

#[test]
fn key_update_switches_both_sides() {
    let suite = Tls13Suite::Chacha20Poly1305Sha256;
    let secret0 = vec![1u8; 32];
    let secret1 = next_traffic_secret(suite.hash(), &secret0);
    assert_ne!(secret1.as_slice(), secret0.as_slice());
    assert_eq!(secret1.len(), 32);
    let mut tx = RecordLayer::new();
    tx.set_sealer(RecordSealer::from_secret(suite, &secret0));
    let mut rx = RecordLayer::new();
    rx.set_opener(RecordOpener::from_secret(suite, &secret0));
    let mut wire = BytesMut::new();
    tx.write(ContentType::ApplicationData, b"old key", &mut wire)
        .unwrap();
    tx.set_sealer(RecordSealer::from_secret(suite, &secret1));
    tx.write(ContentType::ApplicationData, b"new key", &mut wire)
        .unwrap();
    assert_eq!(rx.feed(&wire), wire.len());
    // Records are opened lazily, so the reader can switch keys between them.
    assert_eq!(
        rx.next_incoming().unwrap(),
        Some(Incoming::ApplicationData(BytesMut::from(&b"old key"[..])))
    );
    rx.set_opener(RecordOpener::from_secret(suite, &secret1));
    assert_eq!(
        rx.next_incoming().unwrap(),
        Some(Incoming::ApplicationData(BytesMut::from(&b"new key"[..])))
    );
}

#[test]
fn writes_follow_the_key_state() {
    let mut layer = RecordLayer::new();
    let mut out = BytesMut::new();
    // Before keys: handshake and alerts go out in plaintext; application data is refused.
    layer
        .write(ContentType::Handshake, &[1, 0, 0, 0], &mut out)
        .unwrap();
    assert_eq!(out.as_ref(), &[22, 3, 3, 0, 4, 1, 0, 0, 0]);
    assert!(matches!(
        layer.write(ContentType::ApplicationData, b"x", &mut out),
        Err(RecordError::Internal { .. })
    ));
    layer
        .write_alert(Alert::fatal(AlertDescription::HandshakeFailure), &mut out)
        .unwrap();
    assert_eq!(&out[9..], &[21, 3, 3, 0, 2, 2, 40]);
    // After close_notify nothing more may be written.
    layer.set_sealer(RecordSealer::from_secret(
        Tls13Suite::Aes128GcmSha256,
        &[2u8; 32],
    ));
    layer.write_close_notify(&mut out).unwrap();
    assert!(layer
        .write(ContentType::ApplicationData, b"late", &mut out)
        .is_err());
}

#[test]
fn key_update_due_is_visible_on_the_layer() {
    let mut layer = RecordLayer::new();
    let mut sealer = RecordSealer::from_secret(Tls13Suite::Aes128GcmSha256, &[2u8; 32]);
    sealer.set_key_update_limit(2);
    layer.set_sealer(sealer);
    let mut out = BytesMut::new();
    layer
        .write(ContentType::ApplicationData, b"a", &mut out)
        .unwrap();
    assert!(!layer.key_update_due());
    layer
        .write(ContentType::ApplicationData, b"b", &mut out)
        .unwrap();
    assert!(layer.key_update_due(), "the caller must now send KeyUpdate");
}

#[test]
fn record_size_limit_shapes_outgoing_records() {
    let mut sealer = RecordSealer::from_secret(Tls13Suite::Aes128GcmSha256, &[2u8; 32]);
    sealer.set_record_size_limit(1000);
    assert_eq!(sealer.max_fragment(), 999, "the limit counts the type byte");
    let mut out = BytesMut::new();
    sealer
        .seal_fragmented(
            ContentType::ApplicationData,
            &[5u8; 2500],
            usize::MAX,
            &mut out,
        )
        .unwrap();
    let mut d = Deframer::new();
    assert_eq!(d.feed(&out), out.len());
    let mut sizes = Vec::new();
    while let Some(r) = d.next_record().unwrap() {
        sizes.push(r.payload().len() - 16);
    }
    assert_eq!(sizes, vec![1000, 1000, 503]);
    // Out-of-range limits are clamped to what RFC 8449 allows.
    sealer.set_record_size_limit(10);
    assert_eq!(sealer.max_fragment(), 63);
}

#[test]
fn record_buffer_aligns_the_content_and_survives_a_round_trip() {
    let keys = TrafficKeys::derive(Tls13Suite::Aes128GcmSha256, &[8u8; 32]);
    let mut sealer = RecordSealer::new(Tls13Suite::Aes128GcmSha256, &keys);
    let mut opener = RecordOpener::new(Tls13Suite::Aes128GcmSha256, &keys);
    let mut buf = https_record::record_buffer();
    assert!(buf.is_empty() && buf.capacity() >= MAX_RECORD_LEN);
    let content_at = buf.as_ptr() as usize + https_record::HEADER_LEN;
    assert_eq!(content_at % 64, 0);
    buf.resize(https_record::HEADER_LEN + 16_384, 0x33);
    sealer
        .seal_in_place(ContentType::ApplicationData, &mut buf, 0)
        .unwrap();
    let mut d = Deframer::new();
    assert!(d.feed_owned(buf).is_empty());
    let mut r = d.next_record().unwrap().unwrap();
    let (typ, content) = opener.open_in_place(&mut r.bytes).unwrap();
    assert_eq!((typ, content.len()), (ContentType::ApplicationData, 16_384));
    assert_eq!(
        content.as_ptr() as usize,
        content_at,
        "opened where it was sealed"
    );
}

#[test]
fn an_idle_deframer_holds_no_buffer() {
    let (keys, wire) = sealed_stream(2, 500);
    let mut d = Deframer::new();
    let mut opener = RecordOpener::new(Tls13Suite::Aes256GcmSha384, &keys);
    let mut rd = Trickle {
        data: &wire,
        step: usize::MAX,
    };
    assert_eq!(d.read_from(&mut rd).unwrap(), wire.len());
    assert!(d.capacity() > 0);
    while let Some(r) = d.next_record().unwrap() {
        opener.open(r).unwrap();
    }
    assert_eq!(
        d.capacity(),
        0,
        "the last record took the allocation with it"
    );
}
