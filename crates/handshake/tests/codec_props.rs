//! Property tests of the codec: no input panics; every decodable message re-encodes to the same bytes;
//! mutations of real messages are either rejected or canonical.

use https_handshake::codec::*;
use proptest::prelude::*;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data/rfc8448");

/// Real messages from the RFC 8448 traces (empty if the data is absent).
fn corpus() -> Vec<Vec<u8>> {
    let Ok(text) = std::fs::read_to_string(format!("{DIR}/transcripts.vec")) else {
        static WARN: std::sync::Once = std::sync::Once::new();
        WARN.call_once(|| {
            eprintln!("skipping the mutation corpus: RFC 8448 data not found in {DIR}")
        });
        return Vec::new();
    };
    let mut out = Vec::new();
    for line in text.lines() {
        let Some((k, v)) = line.split_once(" = ") else {
            continue;
        };
        let k = k.trim();
        let hexs: String = v.chars().filter(|c| !c.is_whitespace()).collect();
        let Ok(bytes) = hex::decode(hexs) else {
            continue;
        };
        if k.starts_with("Message_") {
            out.push(bytes);
        } else if k.starts_with("Record_ClientHello") || k == "Record_HelloRetryRequest" {
            out.push(bytes[5..].to_vec());
        }
    }
    out
}

fn check(bytes: &[u8]) {
    if let Ok(msg) = HandshakeMessage::read_bytes(bytes) {
        assert_eq!(
            msg.get_encoding(),
            bytes,
            "decoded message must re-encode identically"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn arbitrary_bytes_never_panic(typ in prop::sample::select(vec![1u8, 2, 4, 8, 11, 13, 15, 20, 24]),
                                   body in prop::collection::vec(any::<u8>(), 0..300)) {
        let mut m = vec![typ];
        m.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
        m.extend_from_slice(&body);
        check(&m);
    }

    #[test]
    fn mutated_real_messages_are_rejected_or_canonical(pick in any::<prop::sample::Index>(),
                                                         at in any::<prop::sample::Index>(),
                                                         val in any::<u8>(),
                                                         cut in any::<prop::sample::Index>()) {
        let c = corpus();
        if c.is_empty() {
            return Ok(());
        }
        let mut m = c[pick.index(c.len())].clone();
        let i = at.index(m.len());
        m[i] = val;
        check(&m);
        let n = cut.index(m.len());
        check(&m[..n]);
    }
}

/// Found by `arbitrary_bytes_never_panic`: hellos without an extensions block (TLS 1.2 style) are
/// decoded (so the peer gets protocol_version, not decode_error) and must re-encode unchanged.
#[test]
fn hellos_without_extensions_round_trip() {
    // ServerHello: version, random, session id of 20 bytes, suite, compression; no extensions.
    let mut sh = vec![2u8, 0, 0, 58, 3, 3];
    sh.extend_from_slice(&[7; 32]);
    sh.push(20);
    sh.extend_from_slice(&[9; 20]);
    sh.extend_from_slice(&[0x13, 0x01, 0]);
    check(&sh);
    assert!(
        HandshakeMessage::read_bytes(&sh).is_ok(),
        "a TLS 1.2 ServerHello must decode"
    );
    // The same with an empty but present extensions block is a different message.
    let mut sh_empty = sh.clone();
    sh_empty[3] = 60;
    sh_empty.extend_from_slice(&[0, 0]);
    check(&sh_empty);
    // ClientHello: version, random, empty session id, one suite, null compression; no extensions.
    let mut ch = vec![1u8, 0, 0, 41, 3, 3];
    ch.extend_from_slice(&[5; 32]);
    ch.extend_from_slice(&[0, 0, 2, 0x13, 0x01, 1, 0]);
    check(&ch);
    assert!(
        HandshakeMessage::read_bytes(&ch).is_ok(),
        "a TLS 1.2 ClientHello must decode"
    );
}
