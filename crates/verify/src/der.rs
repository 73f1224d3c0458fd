//! One strict DER TLV reader (definite, minimal lengths; every length checked against the
//! input), used by `tbs` and `ext` to walk certificates without allocating.

/// One TLV: tag byte, the whole element and its contents.
pub struct Tlv<'a> {
    pub tag: u8,
    pub whole: &'a [u8],
    pub contents: &'a [u8],
}

/// Reads one TLV from the front of `input` with DER length rules (definite, minimal).
#[inline]
pub fn read(input: &[u8]) -> Option<(Tlv<'_>, &[u8])> {
    let (&tag, rest) = input.split_first()?;
    if tag & 0x1f == 0x1f {
        return None; // high tag numbers never occur at these positions
    }
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (first as usize, rest)
    } else {
        let n = (first & 0x7f) as usize;
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let (bytes, rest) = rest.split_at(n);
        if bytes[0] == 0 {
            return None;
        }
        let len = bytes.iter().fold(0usize, |acc, &b| (acc << 8) | b as usize);
        if len < 0x80 {
            return None;
        }
        (len, rest)
    };
    if rest.len() < len {
        return None;
    }
    let header = input.len() - rest.len();
    let (contents, after) = rest.split_at(len);
    Some((
        Tlv {
            tag,
            whole: &input[..header + len],
            contents,
        },
        after,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_must_be_minimal() {
        assert!(read(&[0x04, 0x01, 0xaa]).is_some());
        assert!(
            read(&[0x04, 0x81, 0x01, 0xaa]).is_none(),
            "long form for a short length"
        );
        assert!(read(&[0x04, 0x80]).is_none(), "indefinite length");
        assert!(read(&[0x04, 0x02, 0xaa]).is_none(), "truncated");
    }
}
