//! Deframe + open with a fixed key, the input cut into pieces chosen by its first byte. The rest is
//! a script (see `src/script.rs`): raw bytes, and records the target protects itself with an
//! independent sealer (any inner type, any padding), so the fuzzer reaches the code after the AEAD
//! tag check. Checked: every error names a record-layer alert, errors are sticky, the deframer never
//! buffers more than its limit, at most `MAX_EMPTY_RECORDS` empty records in a row are delivered,
//! and content sealed by the target comes out unchanged.
#![no_main]

use https_kit_fuzz::records::{plaintext, Sealer};
use https_kit_fuzz::script::{Op, Script};
use https_kit_fuzz::Chunker;
use https_record::{
    AlertDescription, Incoming, RecordError, RecordLayer, RecordOpener, Tls13Suite,
    DEFRAMER_BUFFER_LIMIT, MAX_EMPTY_RECORDS,
};

const SUITES: [Tls13Suite; 3] = [
    Tls13Suite::Aes128GcmSha256,
    Tls13Suite::Aes256GcmSha384,
    Tls13Suite::Chacha20Poly1305Sha256,
];

fn check_alert(err: &RecordError) {
    let ok = match err {
        RecordError::PeerAlert(_) | RecordError::Truncated { .. } => true,
        _ => matches!(
            err.alert(),
            AlertDescription::BadRecordMac
                | AlertDescription::RecordOverflow
                | AlertDescription::DecodeError
                | AlertDescription::UnexpectedMessage
        ),
    };
    assert!(ok, "every record error names a record-layer alert: {err:?}");
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let script = Script::parse(data);
    let suite = SUITES[usize::from(script.settings >> 3) % 3];
    let secret = [0x5a; 48];
    let secret = &secret[..suite.hash().output_len()];
    let mut sealer = Sealer::new(suite, secret);
    let mut layer = RecordLayer::new();
    layer.allow_compat_ccs(script.settings & 0x40 != 0);
    let keyed = script.settings & 0x80 == 0;
    if keyed {
        layer.set_opener(RecordOpener::from_secret(suite, secret));
    }

    // The wire, and what must come out of it if every record is one the target sealed.
    let mut wire = Vec::new();
    let mut expected: Vec<(u8, Vec<u8>)> = Vec::new();
    let mut pure = keyed;
    for (op, body) in &script.ops {
        match op {
            Op::Raw => {
                wire.extend_from_slice(body);
                pure = false;
            }
            Op::Typed => {
                let (typ, pad) = (body.first().copied().unwrap_or(23), body.get(1).copied());
                let content = body.get(2..).unwrap_or(&[]);
                if keyed {
                    sealer.seal(typ, content, usize::from(pad.unwrap_or(0)) * 8, &mut wire);
                } else {
                    plaintext(typ, content, &mut wire);
                }
                pure = false;
            }
            op => {
                let typ = match op {
                    Op::Handshake => 22,
                    Op::Alert => 21,
                    _ => 23,
                };
                if keyed {
                    sealer.seal(typ, body, 0, &mut wire);
                } else {
                    plaintext(typ, body, &mut wire);
                }
                expected.push((typ, body.to_vec()));
            }
        }
    }

    let mut chunker = Chunker::new(script.settings);
    let mut got: Vec<(u8, Vec<u8>)> = Vec::new();
    let mut first_err: Option<RecordError> = None;
    let mut empties = 0usize;
    let mut rest = &wire[..];
    'feed: while !rest.is_empty() {
        let n = chunker.next_len(rest.len());
        let mut piece = &rest[..n];
        rest = &rest[n..];
        while !piece.is_empty() {
            let took = layer.feed(piece);
            piece = &piece[took..];
            assert!(
                layer.deframer_mut().buffered_len() <= DEFRAMER_BUFFER_LIMIT,
                "the deframer never buffers more than its limit"
            );
            loop {
                match layer.next_incoming() {
                    Ok(Some(item)) => {
                        let (typ, content) = match item {
                            Incoming::Handshake(b) => (22, b.to_vec()),
                            Incoming::ApplicationData(b) => (23, b.to_vec()),
                            Incoming::CloseNotify => (21, vec![1, 0]),
                            Incoming::UserCanceled => (21, vec![1, 90]),
                        };
                        if content.is_empty() {
                            empties += 1;
                            assert!(
                                empties <= MAX_EMPTY_RECORDS,
                                "at most {MAX_EMPTY_RECORDS} empty records in a row"
                            );
                        } else {
                            empties = 0;
                        }
                        got.push((typ, content));
                    }
                    Ok(None) => break,
                    Err(e) => {
                        check_alert(&e);
                        first_err = Some(e);
                        break 'feed;
                    }
                }
            }
            if took == 0 {
                break 'feed;
            }
        }
    }
    let end = layer.eof();
    if let Some(err) = &first_err {
        // Sticky: more input and EOF report the same error.
        let _ = layer.feed(&[23, 3, 3, 0, 17]);
        assert_eq!(
            layer.next_incoming().as_ref(),
            Err(err),
            "record errors are sticky"
        );
        assert_eq!(
            end.as_ref(),
            Err(err),
            "EOF after an error reports it again"
        );
    } else if let Err(e) = &end {
        check_alert(e);
    }
    if pure && first_err.is_none() {
        // Alerts other than close_notify/user_canceled are errors; everything else comes out as sent.
        let want: Vec<(u8, Vec<u8>)> = expected.into_iter().take_while(|(t, _)| *t != 21).collect();
        let got_data: Vec<(u8, Vec<u8>)> = got.into_iter().take_while(|(t, _)| *t != 21).collect();
        assert_eq!(got_data, want, "sealed content comes out unchanged");
    }
});
