//! https-record: sans-IO TLS 1.3 record protection (the seed's communication stage).
#![forbid(unsafe_code)]
