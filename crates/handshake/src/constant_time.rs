//! Constant-time comparison for secrets the peer can probe byte by byte: PSK binders and the
//! HelloRetryRequest cookie (Finished is checked by ring's `hmac::verify`, constant time too).

/// `a == b`, in time that depends only on the lengths (which are public).
pub(crate) fn eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::eq;

    #[test]
    fn equal_unequal_and_length() {
        assert!(eq(b"", b""));
        assert!(eq(b"abc", b"abc"));
        assert!(!eq(b"abc", b"abd"));
        assert!(!eq(b"\x01bc", b"abc"));
        assert!(!eq(b"abc", b"ab"));
    }
}
