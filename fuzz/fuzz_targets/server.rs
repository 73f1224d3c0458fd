//! Our `ServerConnection` against a scripted client (plaintext hellos and, through the key log,
//! encrypted flights, Finished, KeyUpdate, application data, alerts). See `src/peer.rs`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    https_kit_fuzz::peer::Harness::run(data, https_kit_fuzz::peer::Role::Server);
});
