//! Fuzz-style bounded property run on deframe + open: hostile bytes, cut anywhere, must never panic, and
//! every failure must name one of the record-layer alerts.
//!
//! Longer run: `HTTPS_RECORD_FUZZ_CASES=200000 cargo test -p https-record --release --test fuzz`.

use bytes::BytesMut;
use https_record::{
    Alert, AlertDescription, ContentType, RecordError, RecordLayer, RecordOpener, RecordSealer,
    Tls13Suite, TrafficKeys,
};
use proptest::prelude::*;

fn cases() -> u32 {
    std::env::var("HTTPS_RECORD_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(4000)
}

fn keys(suite: Tls13Suite) -> TrafficKeys {
    TrafficKeys::derive(suite, &[0x5a; 48][..suite.hash().output_len()])
}

/// Runs bytes through a record layer in the given chunk sizes; returns the first error, if any.
fn drive(layer: &mut RecordLayer, input: &[u8], chunks: &[usize]) -> Result<(), RecordError> {
    let mut rest = input;
    let mut i = 0;
    while !rest.is_empty() {
        let want = chunks[i % chunks.len()].clamp(1, rest.len());
        i += 1;
        let mut piece = &rest[..want];
        rest = &rest[want..];
        while !piece.is_empty() {
            let n = layer.feed(piece);
            piece = &piece[n..];
            while let Some(item) = layer.next_incoming()? {
                drop(item);
            }
        }
    }
    layer.eof()
}

fn check_alert(err: &RecordError) {
    let ok = match err {
        RecordError::PeerAlert(_) => true,
        RecordError::Truncated { .. } => err.alert() == AlertDescription::DecodeError,
        _ => matches!(
            err.alert(),
            AlertDescription::BadRecordMac
                | AlertDescription::RecordOverflow
                | AlertDescription::DecodeError
                | AlertDescription::UnexpectedMessage
        ),
    };
    assert!(ok, "unexpected error class: {err:?}");
}

/// A valid stream (plaintext handshake, then protected records), used as the seed for mutations.
fn valid_stream(suite: Tls13Suite, sizes: &[usize]) -> (Vec<u8>, usize) {
    let mut out = BytesMut::new();
    https_record::write_plaintext(ContentType::Handshake, &[2, 0, 0, 4, 1, 2, 3, 4], &mut out);
    out.extend_from_slice(&[20, 3, 3, 0, 1, 1]);
    let switch = out.len();
    let mut sealer = RecordSealer::new(suite, &keys(suite));
    for (i, &n) in sizes.iter().enumerate() {
        let typ = if i % 2 == 0 {
            ContentType::Handshake
        } else {
            ContentType::ApplicationData
        };
        sealer
            .seal_fragmented(typ, &vec![0x41; n.max(1)], usize::MAX, &mut out)
            .unwrap();
    }
    sealer
        .seal_into(
            ContentType::Alert,
            &Alert::close_notify().encode(),
            &mut out,
        )
        .unwrap();
    (out.to_vec(), switch)
}

#[derive(Debug, Clone)]
enum Mutation {
    Flip(usize, u8),
    Set(usize, u8),
    Insert(usize, Vec<u8>),
    Delete(usize, usize),
    Truncate(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 1u8..=255).prop_map(|(i, x)| Mutation::Flip(i, x)),
        (any::<usize>(), any::<u8>()).prop_map(|(i, x)| Mutation::Set(i, x)),
        (any::<usize>(), prop::collection::vec(any::<u8>(), 1..40))
            .prop_map(|(i, v)| Mutation::Insert(i, v)),
        (any::<usize>(), 1usize..40).prop_map(|(i, n)| Mutation::Delete(i, n)),
        any::<usize>().prop_map(Mutation::Truncate),
    ]
}

fn apply(mut v: Vec<u8>, muts: &[Mutation]) -> Vec<u8> {
    for m in muts {
        if v.is_empty() {
            break;
        }
        let len = v.len();
        match m {
            Mutation::Flip(i, x) => v[i % len] ^= x,
            Mutation::Set(i, x) => v[i % len] = *x,
            Mutation::Insert(i, bytes) => {
                let at = i % (len + 1);
                v.splice(at..at, bytes.iter().copied());
            }
            Mutation::Delete(i, n) => {
                let at = i % len;
                let end = (at + n).min(len);
                v.drain(at..end);
            }
            Mutation::Truncate(i) => v.truncate(i % len),
        }
    }
    v
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    /// Pure noise, with and without keys installed.
    #[test]
    fn random_bytes_never_panic(
        input in prop::collection::vec(any::<u8>(), 0..2000),
        chunks in prop::collection::vec(1usize..600, 1..5),
        with_keys in any::<bool>(),
        suite in prop::sample::select(Tls13Suite::ALL.to_vec()),
    ) {
        let mut layer = RecordLayer::new();
        layer.allow_compat_ccs(true);
        if with_keys {
            layer.set_opener(RecordOpener::new(suite, &keys(suite)));
        }
        if let Err(e) = drive(&mut layer, &input, &chunks) {
            check_alert(&e);
        }
    }

    /// Noise shaped as records (consistent headers) so it reaches the AEAD and inner-plaintext checks,
    /// including open_in_place on a record the caller framed.
    #[test]
    fn record_shaped_noise_never_panics(
        records in prop::collection::vec(
            (prop_oneof![20u8..=23, any::<u8>()], prop_oneof![Just(0x0303u16), any::<u16>()],
             prop::collection::vec(any::<u8>(), 0..300), prop_oneof![Just(None), any::<u16>().prop_map(Some)]),
            1..6),
        chunk in 1usize..700,
        suite in prop::sample::select(Tls13Suite::ALL.to_vec()),
    ) {
        let mut input = Vec::new();
        for (typ, version, body, len_override) in &records {
            let len = len_override.unwrap_or(body.len() as u16);
            input.push(*typ);
            input.extend(version.to_be_bytes());
            input.extend(len.to_be_bytes());
            input.extend(body);
            let mut alone = input[input.len() - 5 - body.len()..].to_vec();
            if let Err(e) = RecordOpener::new(suite, &keys(suite)).open_in_place(&mut alone) {
                check_alert(&e);
            }
        }
        let mut layer = RecordLayer::new();
        layer.set_opener(RecordOpener::new(suite, &keys(suite)));
        if let Err(e) = drive(&mut layer, &input, &[chunk]) {
            check_alert(&e);
        }
    }

    /// Valid streams with a few mutations: anything may fail, nothing may panic, and an unmutated
    /// stream must pass.
    #[test]
    fn mutated_valid_streams_never_panic(
        suite in prop::sample::select(Tls13Suite::ALL.to_vec()),
        sizes in prop::collection::vec(prop_oneof![1usize..100, 1usize..17_000], 1..4),
        muts in prop::collection::vec(mutation(), 0..4),
        chunks in prop::collection::vec(prop_oneof![1usize..10, 1usize..20_000], 1..4),
    ) {
        let (stream, switch) = valid_stream(suite, &sizes);
        let clean = muts.is_empty();
        let input = apply(stream, &muts);
        let mut layer = RecordLayer::new();
        layer.allow_compat_ccs(true);
        // Plaintext part first (as a handshake would), then install the key.
        let cut = switch.min(input.len());
        let res = drive_prefix_then_keys(&mut layer, &input, cut, suite, &chunks);
        match res {
            Ok(()) => {}
            Err(e) => {
                prop_assert!(!clean, "a valid stream failed: {e}");
                check_alert(&e);
            }
        }
    }
}

fn drive_prefix_then_keys(
    layer: &mut RecordLayer,
    input: &[u8],
    cut: usize,
    suite: Tls13Suite,
    chunks: &[usize],
) -> Result<(), RecordError> {
    let (head, tail) = input.split_at(cut);
    let n = layer.feed(head);
    debug_assert_eq!(n, head.len());
    while layer.next_incoming()?.is_some() {}
    layer.set_opener(RecordOpener::new(suite, &keys(suite)));
    drive(layer, tail, chunks)
}
