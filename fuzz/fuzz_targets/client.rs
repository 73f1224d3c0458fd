//! Our `ClientConnection` against a scripted server (ServerHello/HelloRetryRequest in plaintext,
//! then EncryptedExtensions .. Finished under the handshake key from the key log). See `src/peer.rs`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    https_kit_fuzz::peer::Harness::run(data, https_kit_fuzz::peer::Role::Client);
});
