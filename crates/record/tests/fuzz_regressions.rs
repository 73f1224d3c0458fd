//! Inputs found by the coverage-guided fuzz targets (`cargo xtask fuzz`), kept as tests. Each
//! names the target and what broke; the original input is also a seed of that target
//! (`fuzz/corpus/TARGET/seed-regression-*`).

use bytes::BytesMut;
use https_record::{
    AlertDescription, ContentType, RecordError, RecordLayer, RecordOpener, RecordSealer,
    Tls13Suite, TrafficKeys, MAX_EMPTY_RECORDS,
};

/// `record` target: 40 empty application-data records, then EOF. The run of empty records fails
/// with unexpected_message; EOF then replaced that error with `Truncated` (no alert), so the
/// layer's sticky error changed and the caller could send no alert for it.
#[test]
fn empty_record_run_then_eof_keeps_the_first_error() {
    let suite = Tls13Suite::Aes128GcmSha256;
    let keys = TrafficKeys::derive(suite, &[0x5a; 32]);
    let mut sealer = RecordSealer::new(suite, &keys);
    let mut layer = RecordLayer::new();
    layer.set_opener(RecordOpener::new(suite, &keys));
    let mut wire = BytesMut::new();
    for _ in 0..40 {
        sealer
            .seal_into(ContentType::ApplicationData, &[], &mut wire)
            .unwrap();
    }
    let mut rest = &wire[..];
    let mut delivered = 0;
    let err = 'feed: loop {
        let n = layer.feed(rest);
        rest = &rest[n..];
        loop {
            match layer.next_incoming() {
                Ok(Some(_)) => delivered += 1,
                Ok(None) => break,
                Err(e) => break 'feed e,
            }
        }
        assert!(!rest.is_empty(), "all 40 empty records were accepted");
    };
    assert!(delivered <= MAX_EMPTY_RECORDS);
    assert_eq!(err.alert(), AlertDescription::UnexpectedMessage);
    const { assert!(MAX_EMPTY_RECORDS < 40) };
    assert_eq!(layer.eof(), Err(err.clone()), "EOF reports the first error");
    assert_eq!(layer.next_incoming(), Err(err.clone()), "and it stays");
    assert!(!matches!(err, RecordError::Truncated { .. }));
}
