//! Every handshake message and extension decoder of `https_handshake::codec`. The first byte picks
//! the decoder; what a decoder accepts must encode back to exactly the bytes it read, and decode
//! again to the same value (the RFC 8448 messages re-encode byte for byte, so the codec is
//! canonical for everything it accepts).
#![no_main]

use https_handshake::codec::{
    encode_client_exts, read_client_exts, CertificatePayload, CertificateRequestPayload,
    CertificateVerifyPayload, ClientHello, Codec, HandshakeMessage, KeyShareEntry,
    NewSessionTicketPayload, OfferedPsks, Reader, ServerHello,
};

fn round_trip<T: Codec + PartialEq + std::fmt::Debug>(input: &[u8]) {
    let Ok(value) = T::read_bytes(input) else {
        return;
    };
    let encoded = value.get_encoding();
    assert_eq!(
        encoded, input,
        "decode → encode gives back the bytes read: {value:?}"
    );
    let again = T::read_bytes(&encoded).expect("an encoding we produced decodes");
    assert_eq!(again, value, "decode(encode(x)) == x");
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some((&which, input)) = data.split_first() else {
        return;
    };
    match which % 10 {
        0 => round_trip::<HandshakeMessage>(input),
        1 => round_trip::<ClientHello>(input),
        2 => round_trip::<ServerHello>(input),
        3 => round_trip::<CertificatePayload>(input),
        4 => round_trip::<CertificateVerifyPayload>(input),
        5 => round_trip::<CertificateRequestPayload>(input),
        6 => round_trip::<NewSessionTicketPayload>(input),
        7 => round_trip::<KeyShareEntry>(input),
        8 => round_trip::<OfferedPsks>(input),
        _ => {
            // A ClientHello extension block on its own (every client extension decoder).
            let mut r = Reader::new(input);
            if let Ok(exts) = read_client_exts(&mut r) {
                let consumed = input.len() - r.left();
                let mut out = Vec::new();
                encode_client_exts(&mut out, &exts);
                assert_eq!(
                    out,
                    &input[..consumed],
                    "extension block round-trips: {exts:?}"
                );
            }
        }
    }
});
