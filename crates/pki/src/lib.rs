//! https-pki: the seed's application stage (keys, CSR, CA, issuance).
#![forbid(unsafe_code)]
