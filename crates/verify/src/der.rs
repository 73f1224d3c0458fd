//! A strict DER walk over the outer layers of a certificate. x509-parser is lenient about some
//! tags and encodings outside the signed bytes (e.g. it reads a `[3]` primitive as the signature
//! BIT STRING); those bytes are not covered by the signature, so they are checked here.

/// One TLV: tag byte, the whole element and its contents.
pub struct Tlv<'a> {
    pub tag: u8,
    pub whole: &'a [u8],
    pub contents: &'a [u8],
}

/// Reads one TLV from the front of `input` with DER length rules (definite, minimal).
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

/// Checks `Certificate ::= SEQUENCE { tbsCertificate SEQUENCE, signatureAlgorithm SEQUENCE,
/// signatureValue BIT STRING }` with nothing after it, and that the TBS `signature` field is
/// byte-for-byte the outer `signatureAlgorithm`. Returns what is wrong.
pub fn check_outer(der: &[u8]) -> Result<(), &'static str> {
    let (cert, rest) = read(der).ok_or("certificate is not a DER element")?;
    if cert.tag != 0x30 || !rest.is_empty() {
        return Err("certificate is not a single DER SEQUENCE");
    }
    let (tbs, rest) = read(cert.contents).ok_or("tbsCertificate is not a DER element")?;
    let (alg, rest) = read(rest).ok_or("signatureAlgorithm is not a DER element")?;
    let (sig, rest) = read(rest).ok_or("signatureValue is not a DER element")?;
    if tbs.tag != 0x30 || alg.tag != 0x30 || !rest.is_empty() {
        return Err("certificate fields are not SEQUENCE, SEQUENCE, BIT STRING");
    }
    if sig.tag != 0x03 {
        return Err("signatureValue is not a BIT STRING");
    }
    // TBSCertificate: [0] version (optional), serialNumber INTEGER, signature AlgorithmIdentifier.
    let (mut field, mut rest) = read(tbs.contents).ok_or("tbsCertificate is empty")?;
    if field.tag == 0xa0 {
        (field, rest) = read(rest).ok_or("tbsCertificate ends after the version")?;
    }
    if field.tag != 0x02 {
        return Err("tbsCertificate serialNumber is not an INTEGER");
    }
    let (inner_alg, _) = read(rest).ok_or("tbsCertificate ends after the serial number")?;
    if inner_alg.whole != alg.whole {
        return Err("signatureAlgorithm differs from the TBSCertificate signature field (RFC 5280 §4.1.1.2)");
    }
    Ok(())
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
