//! PEM splitting. `pem::parse_many` silently skips a block whose END line is missing; here a
//! truncated or corrupt block is an error, so a cut-off bundle is never half-read.

pub use ::pem::Pem;

/// Why PEM text could not be split into blocks.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PemError {
    /// The bytes are not UTF-8 text.
    #[error("the file is binary, not PEM text")]
    NotText,
    /// A block's base64 does not decode.
    #[error("corrupt base64 inside a block")]
    Corrupt,
    /// A BEGIN line without its END line.
    #[error("a block is truncated (BEGIN without a matching END line)")]
    Truncated,
    /// `-----BEGIN A-----` closed by `-----END B-----`.
    #[error("BEGIN {0} does not match END {1}")]
    MismatchedLabels(String, String),
    /// Any other malformation the `pem` crate reports.
    #[error("{0}")]
    Other(String),
}

/// Every PEM block in `text`, in order; empty if there is none. Fails on binary input and on
/// a corrupt, truncated or mismatched block.
pub fn parse_all(text: &[u8]) -> Result<Vec<Pem>, PemError> {
    let s = std::str::from_utf8(text).map_err(|_| PemError::NotText)?;
    let begins = s.matches("-----BEGIN ").count();
    let blocks = ::pem::parse_many(s).map_err(|e| match e {
        ::pem::PemError::InvalidData(_) => PemError::Corrupt,
        ::pem::PemError::MissingEndTag => PemError::Truncated,
        ::pem::PemError::MismatchedTags(a, b) => PemError::MismatchedLabels(a, b),
        other => PemError::Other(other.to_string()),
    })?;
    if blocks.len() != begins {
        return Err(PemError::Truncated);
    }
    Ok(blocks)
}

/// The DER contents of every block labelled `label` (e.g. `"CERTIFICATE"`), in order; blocks
/// with other labels are skipped.
pub fn contents_with_label(text: &[u8], label: &str) -> Result<Vec<Vec<u8>>, PemError> {
    Ok(parse_all(text)?
        .into_iter()
        .filter(|b| b.tag() == label)
        .map(Pem::into_contents)
        .collect())
}

/// PEM-encodes `der` under `label`, LF line endings.
pub fn encode(label: &str, der: &[u8]) -> String {
    ::pem::encode_config(
        &Pem::new(label, der.to_vec()),
        ::pem::EncodeConfig::new().set_line_ending(::pem::LineEnding::LF),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncated_block_is_an_error_not_a_skip() {
        let one = encode("CERTIFICATE", b"abc");
        let cut = format!("{one}-----BEGIN CERTIFICATE-----\nYWJj\n");
        assert_eq!(parse_all(cut.as_bytes()), Err(PemError::Truncated));
        assert_eq!(
            contents_with_label(one.as_bytes(), "CERTIFICATE"),
            Ok(vec![b"abc".to_vec()])
        );
    }

    #[test]
    fn binary_and_empty_inputs() {
        assert_eq!(parse_all(&[0xff, 0xfe]), Err(PemError::NotText));
        assert_eq!(parse_all(b"no pem here"), Ok(vec![]));
        let corrupt = "-----BEGIN X-----\n!!!!\n-----END X-----\n";
        assert_eq!(parse_all(corrupt.as_bytes()), Err(PemError::Corrupt));
    }
}
