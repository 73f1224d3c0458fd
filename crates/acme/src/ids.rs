//! Random ids and tokens.

use ring::rand::{SecureRandom, SystemRandom};

use crate::jws::b64;
use crate::problem::{internal, Result};

fn random<const N: usize>() -> Result<[u8; N]> {
    let mut raw = [0u8; N];
    SystemRandom::new()
        .fill(&mut raw)
        .map_err(|_| internal("no randomness"))?;
    Ok(raw)
}

/// An object id: 96 random bits, base64url (16 characters, safe in a URL path).
pub fn new_id() -> Result<String> {
    Ok(b64(&random::<12>()?))
}

/// A challenge token: 128 random bits, base64url (RFC 8555 §8.3 asks for at least 128).
pub fn new_token() -> Result<String> {
    Ok(b64(&random::<16>()?))
}
