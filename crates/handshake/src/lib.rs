//! https-handshake: sans-IO TLS 1.3 client and server (the seed's handshake stage).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod codec;
pub mod keyschedule;
