//! https-verify: certificate path validation that explains itself (seed handshake steps 2–4).
#![forbid(unsafe_code)]
