//! Round-trip property tests: random suites, sizes, chunkings, paddings and record size limits.

use bytes::BytesMut;
use https_record::{
    ContentType, Deframer, Incoming, Padding, RecordLayer, RecordOpener, RecordSealer, Tls13Suite,
    TrafficKeys, HEADER_LEN, MAX_CIPHERTEXT_LEN, MAX_PLAINTEXT_LEN, TAG_LEN,
};
use proptest::prelude::*;

fn suite() -> impl Strategy<Value = Tls13Suite> {
    prop::sample::select(Tls13Suite::ALL.to_vec())
}

fn padding() -> impl Strategy<Value = Padding> {
    prop_oneof![
        Just(Padding::None),
        (0usize..600).prop_map(Padding::Fixed),
        (0usize..1025).prop_map(Padding::Block),
        Just(Padding::Full),
    ]
}

/// Feeds `wire` to a deframer in the given chunk sizes (cycled) and returns every record.
fn deframe_in_chunks(wire: &[u8], chunks: &[usize]) -> Vec<BytesMut> {
    let mut d = Deframer::new();
    let mut records = Vec::new();
    let mut rest = wire;
    let mut i = 0;
    while !rest.is_empty() {
        let want = chunks[i % chunks.len()].min(rest.len());
        i += 1;
        let mut piece = &rest[..want];
        rest = &rest[want..];
        while !piece.is_empty() {
            let took = d.feed(piece);
            piece = &piece[took..];
            while let Some(r) = d.next_record().expect("valid stream") {
                records.push(r.bytes);
            }
        }
    }
    assert!(
        !d.has_pending_bytes(),
        "every byte belongs to a whole record"
    );
    records
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn seal_deframe_open_round_trips(
        suite in suite(),
        secret in prop::collection::vec(any::<u8>(), 32..=48),
        len in prop_oneof![0usize..300, 0usize..70_000],
        seed in any::<u8>(),
        chunks in prop::collection::vec(prop_oneof![1usize..8, 1usize..20_000], 1..6),
        pad in padding(),
        limit in prop_oneof![Just(None), (64usize..=16_385).prop_map(Some)],
        max_fragment in prop_oneof![Just(usize::MAX), 1usize..20_000],
        typ in prop::sample::select(vec![ContentType::ApplicationData, ContentType::Handshake]),
    ) {
        let payload: Vec<u8> = (0..len).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)).collect();
        let keys = TrafficKeys::derive(suite, &secret);
        let mut sealer = RecordSealer::new(suite, &keys);
        sealer.set_padding(pad);
        let mut opener = RecordOpener::new(suite, &keys);
        if let Some(l) = limit {
            sealer.set_record_size_limit(l);
            opener.set_record_size_limit(l);
        }
        let frag = max_fragment.min(sealer.max_fragment());
        let mut wire = BytesMut::new();
        sealer.seal_fragmented(typ, &payload, max_fragment, &mut wire).unwrap();
        prop_assert_eq!(sealer.sequence() as usize, len.div_ceil(frag));

        let records = deframe_in_chunks(&wire, &chunks);
        prop_assert_eq!(records.len(), len.div_ceil(frag));
        let mut got = Vec::with_capacity(len);
        for mut r in records {
            // Each record stays within the wire limits and the record_size_limit (inner = body - tag).
            prop_assert!(r.len() - HEADER_LEN <= MAX_CIPHERTEXT_LEN);
            prop_assert!(r.len() - HEADER_LEN - TAG_LEN <= limit.unwrap_or(MAX_PLAINTEXT_LEN + 1));
            prop_assert_eq!(&r[..3], &[23u8, 3, 3][..]);
            let (t, content) = opener.open_in_place(&mut r).unwrap();
            prop_assert_eq!(t, typ);
            prop_assert!(content.len() <= frag);
            got.extend_from_slice(content);
        }
        prop_assert_eq!(got, payload);
    }

    #[test]
    fn record_layer_round_trips_mixed_content(
        suite in suite(),
        messages in prop::collection::vec(
            (prop::sample::select(vec![ContentType::ApplicationData, ContentType::Handshake]),
             prop::collection::vec(any::<u8>(), 1..3000)),
            1..8),
        chunk in 1usize..5000,
        pad in padding(),
    ) {
        let keys = TrafficKeys::derive(suite, &[9u8; 48][..suite.hash().output_len()]);
        let mut tx = RecordLayer::new();
        let mut sealer = RecordSealer::new(suite, &keys);
        sealer.set_padding(pad);
        tx.set_sealer(sealer);
        let mut wire = BytesMut::new();
        for (t, m) in &messages {
            tx.write(*t, m, &mut wire).unwrap();
        }
        tx.write_close_notify(&mut wire).unwrap();

        let mut rx = RecordLayer::new();
        rx.set_opener(RecordOpener::new(suite, &keys));
        let mut got = Vec::new();
        for piece in wire.chunks(chunk) {
            let mut piece = piece;
            while !piece.is_empty() {
                let n = rx.feed(piece);
                piece = &piece[n..];
                while let Some(i) = rx.next_incoming().unwrap() {
                    got.push(i);
                }
            }
        }
        prop_assert_eq!(rx.eof(), Ok(()));
        prop_assert_eq!(got.last(), Some(&Incoming::CloseNotify));
        // Messages under 2^14 bytes each fit in one record, so they come back one for one.
        let want: Vec<Incoming> = messages.iter().map(|(t, m)| match t {
            ContentType::Handshake => Incoming::Handshake(BytesMut::from(&m[..])),
            _ => Incoming::ApplicationData(BytesMut::from(&m[..])),
        }).collect();
        prop_assert_eq!(&got[..got.len() - 1], &want[..]);
    }

    #[test]
    fn zero_copy_seal_in_place_matches_seal_into(
        suite in suite(),
        payload in prop::collection::vec(any::<u8>(), 0..MAX_PLAINTEXT_LEN),
        pad in padding(),
    ) {
        let keys = TrafficKeys::derive(suite, &[3u8; 32]);
        let mut a = RecordSealer::new(suite, &keys);
        let mut b = RecordSealer::new(suite, &keys);
        a.set_padding(pad);
        b.set_padding(pad);
        let mut via_copy = BytesMut::new();
        a.seal_into(ContentType::ApplicationData, &payload, &mut via_copy).unwrap();
        let mut in_place = BytesMut::from(&[0u8; HEADER_LEN][..]);
        in_place.extend_from_slice(&payload);
        b.seal_in_place(ContentType::ApplicationData, &mut in_place, 0).unwrap();
        prop_assert_eq!(via_copy, in_place);
    }
}

#[test]
fn one_byte_at_a_time_across_many_records() {
    let keys = TrafficKeys::derive(Tls13Suite::Chacha20Poly1305Sha256, &[5u8; 32]);
    let mut sealer = RecordSealer::new(Tls13Suite::Chacha20Poly1305Sha256, &keys);
    let payload: Vec<u8> = (0..40_000u32).map(|i| i as u8).collect();
    let mut wire = BytesMut::new();
    sealer
        .seal_fragmented(
            ContentType::ApplicationData,
            &payload,
            usize::MAX,
            &mut wire,
        )
        .unwrap();
    let records = deframe_in_chunks(&wire, &[1]);
    assert_eq!(
        records.len(),
        3,
        "40,000 bytes need three 2^14-byte records"
    );
    let mut opener = RecordOpener::new(Tls13Suite::Chacha20Poly1305Sha256, &keys);
    let got: Vec<u8> = records
        .into_iter()
        .flat_map(|mut r| opener.open_in_place(&mut r).unwrap().1.to_vec())
        .collect();
    assert_eq!(got, payload);
}

#[test]
fn deframer_buffer_is_bounded() {
    let mut d = Deframer::new();
    // A peer streaming valid-looking headers faster than we drain cannot grow the buffer past the limit.
    let junk = vec![22u8; 10 * https_record::DEFRAMER_BUFFER_LIMIT];
    let mut total = 0;
    loop {
        let n = d.feed(&junk[total..]);
        if n == 0 {
            break;
        }
        total += n;
    }
    assert_eq!(d.buffered_len(), https_record::DEFRAMER_BUFFER_LIMIT);
    assert_eq!(d.room(), 0);
    // The records in it are still handed out (each 0x16 0x16... header is rejected: version byte 0x16).
    assert!(d.next_record().is_err());
}

#[test]
fn padding_hides_the_length() {
    let keys = TrafficKeys::derive(Tls13Suite::Aes128GcmSha256, &[1u8; 32]);
    let mut sealer = RecordSealer::new(Tls13Suite::Aes128GcmSha256, &keys);
    sealer.set_padding(Padding::Block(256));
    let (mut short, mut long) = (BytesMut::new(), BytesMut::new());
    sealer
        .seal_into(ContentType::ApplicationData, b"y", &mut short)
        .unwrap();
    sealer
        .seal_into(ContentType::ApplicationData, &[b'n'; 200], &mut long)
        .unwrap();
    assert_eq!(short.len(), long.len(), "both padded to one 256-byte block");
    assert_eq!(short.len(), HEADER_LEN + 256 + TAG_LEN);
}
