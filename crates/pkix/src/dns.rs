//! DNS names in certificates: syntax (RFC 1123 host names, RFC 5280 §4.2.1.6 dNSName, the
//! RFC 6125 wildcard form) and name-constraint subtrees (RFC 5280 §4.2.1.10).
//!
//! A DNS constraint is a DNS name; "any DNS name that can be constructed by simply adding zero
//! or more labels to the left-hand side" is inside it. A leading period (`.example.com`) is the
//! URI and rfc822Name form, not a DNS one: such a constraint is malformed (x509-limbo
//! `rfc5280::nc::invalid-dnsname-leading-period`), so the CA refuses to sign under it and the
//! validator rejects every path through it.

/// Why a name is not a valid dNSName. The messages are shown to users as they are.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DnsNameError {
    /// The empty string.
    #[error("empty name")]
    Empty,
    /// More than 253 characters.
    #[error("longer than 253 characters")]
    TooLong,
    /// `example.com.`
    #[error("trailing dot (write the name without it)")]
    TrailingDot,
    /// `a..b` or `.example.com`.
    #[error("empty label (\"..\" or leading dot)")]
    EmptyLabel,
    /// A label over 63 characters.
    #[error("label {0:?} is longer than 63 characters")]
    LabelTooLong(String),
    /// `f*.example.com`, `a.*.com`.
    #[error("a wildcard is only allowed as the whole leftmost label (*.example.com)")]
    MisplacedWildcard,
    /// Not letters, digits and '-'.
    #[error(
        "label {0:?} has characters other than letters, digits and '-' (use punycode for IDNs)"
    )]
    BadCharacters(String),
    /// `-a.com`.
    #[error("label {0:?} starts or ends with '-'")]
    EdgeHyphen(String),
    /// `*.com`: one label after the star covers a whole top-level domain.
    #[error("wildcard {0:?} would cover every name under a top-level domain; a wildcard needs at least two labels after '*'")]
    WildcardTooBroad(String),
}

fn check_label(label: &str) -> Result<(), DnsNameError> {
    if label.is_empty() {
        return Err(DnsNameError::EmptyLabel);
    }
    if label.len() > 63 {
        return Err(DnsNameError::LabelTooLong(label.into()));
    }
    if label.contains('*') {
        return Err(DnsNameError::MisplacedWildcard);
    }
    if !label
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-')
    {
        return Err(DnsNameError::BadCharacters(label.into()));
    }
    if label.starts_with('-') || label.ends_with('-') {
        return Err(DnsNameError::EdgeHyphen(label.into()));
    }
    Ok(())
}

/// Syntax of a dNSName: LDH labels of 1–63 characters, at most 253 in all, no trailing dot; the
/// leftmost label may be a whole `*`. Says nothing about how broad a wildcard is
/// ([`check_wildcard`]).
pub fn check_syntax(name: &str) -> Result<(), DnsNameError> {
    // One pass accepts the common case (this runs on every SAN a validation matches); anything
    // it does not accept goes through the label-by-label checks below, which say what is wrong.
    if is_plain_ldh(name.strip_prefix("*.").unwrap_or(name)) && name.len() <= 253 {
        return Ok(());
    }
    check_syntax_by_label(name)
}

fn check_syntax_by_label(name: &str) -> Result<(), DnsNameError> {
    if name.is_empty() {
        return Err(DnsNameError::Empty);
    }
    if name.len() > 253 {
        return Err(DnsNameError::TooLong);
    }
    if name.ends_with('.') {
        return Err(DnsNameError::TrailingDot);
    }
    name.strip_prefix("*.")
        .unwrap_or(name)
        .split('.')
        .try_for_each(check_label)
}

/// Non-empty LDH labels of at most 63 characters, no edge hyphen, no empty label (so no
/// leading or trailing dot): the labels [`check_label`] accepts, in one pass.
fn is_plain_ldh(name: &str) -> bool {
    let mut label_len = 0usize;
    let mut prev = b'.';
    for b in name.bytes() {
        if b == b'.' {
            if label_len == 0 || prev == b'-' {
                return false;
            }
            label_len = 0;
        } else if b.is_ascii_alphanumeric() || b == b'-' {
            if label_len == 0 && b == b'-' {
                return false;
            }
            label_len += 1;
            if label_len > 63 {
                return false;
            }
        } else {
            return false;
        }
        prev = b;
    }
    label_len > 0 && prev != b'-'
}

/// A wildcard needs at least two labels after the star: `*.com` would cover a whole TLD.
pub fn check_wildcard(name: &str) -> Result<(), DnsNameError> {
    match name.strip_prefix("*.") {
        Some(rest) if !rest.contains('.') => Err(DnsNameError::WildcardTooBroad(name.into())),
        _ => Ok(()),
    }
}

/// A valid dNSName without a wildcard.
pub fn is_valid_plain(name: &str) -> bool {
    !name.starts_with("*.") && check_syntax(name).is_ok()
}

/// A presented dNSName as `(is_wildcard, base)`: a plain name is its own base, `*.base` has
/// at least two labels in its base. None if the name is malformed or its wildcard too broad.
pub fn split_wildcard(name: &str) -> Option<(bool, &str)> {
    check_syntax(name).ok()?;
    check_wildcard(name).ok()?;
    Some(match name.strip_prefix("*.") {
        Some(base) => (true, base),
        None => (false, name),
    })
}

/// A reference identifier (the name a client looks for): LDH labels, at least one, no
/// wildcard. Underscores are tolerated (some internal hosts use them).
pub fn is_valid_reference(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

/// A DNS name-constraint base (RFC 5280): the empty string (every name) or a plain DNS name.
/// No leading period, no wildcard.
pub fn is_valid_constraint(base: &str) -> bool {
    base.is_empty() || is_valid_plain(base)
}

/// `name` (a plain DNS name) is `base` or below it, compared by whole labels, ignoring case.
fn in_subtree(name: &str, base: &str) -> bool {
    if base.is_empty() {
        return true;
    }
    match name.len().checked_sub(base.len()) {
        Some(0) => name.eq_ignore_ascii_case(base),
        Some(cut) => name.as_bytes()[cut - 1] == b'.' && name[cut..].eq_ignore_ascii_case(base),
        None => false,
    }
}

/// How the names a presented dNSName stands for relate to a subtree.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Within {
    /// Every name it can stand for is inside (what a permitted subtree needs).
    pub all: bool,
    /// At least one is inside (what an excluded subtree forbids).
    pub some: bool,
}

/// What was malformed in a subtree comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Malformed {
    /// The presented name (bad syntax, or a wildcard over a TLD).
    Name,
    /// The constraint base (e.g. a leading period).
    Constraint,
}

/// How presented dNSName `presented` (possibly a wildcard) relates to the DNS constraint
/// `base`. The one rule both issuing and validation apply.
pub fn subtree_relation(presented: &str, base: &str) -> Result<Within, Malformed> {
    if !is_valid_constraint(base) {
        return Err(Malformed::Constraint);
    }
    let (wildcard, name) = split_wildcard(presented).ok_or(Malformed::Name)?;
    let all = in_subtree(name, base);
    if !wildcard {
        return Ok(Within { all, some: all });
    }
    // `*.name` stands for every `x.name`: some of them lie in the subtree if the subtree is
    // `name` plus one label (excluded `bar.example.com` vs `*.example.com`: CVE-2025-61727).
    let some = all
        || base
            .split_once('.')
            .is_some_and(|(first, rest)| !first.is_empty() && rest.eq_ignore_ascii_case(name));
    Ok(Within { all, some })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_pass_syntax_agrees_with_the_label_checks() {
        let long_label = "a".repeat(64);
        let long_name = format!("{}.com", "a.".repeat(126));
        for name in [
            "example.com",
            "*.example.com",
            "a-b.c0m",
            "-a.com",
            "a-.com",
            "a..b",
            ".a",
            "a.",
            "",
            "*.",
            "*",
            "f*.com",
            "a_b.com",
            "xn--bcher-kva.example",
            &long_label,
            &long_name,
            "1.2.3.4",
            "a.-b",
            "a.b-",
            "*.*.com",
            "é.com",
            "A.B",
        ] {
            assert_eq!(
                check_syntax(name).is_ok(),
                check_syntax_by_label(name).is_ok(),
                "{name:?}"
            );
        }
    }

    fn rel(all: bool, some: bool) -> Result<Within, Malformed> {
        Ok(Within { all, some })
    }

    #[test]
    fn syntax() {
        for good in ["example.com", "*.example.com", "a-b.c", "localhost", "x1"] {
            assert_eq!(check_syntax(good), Ok(()), "{good}");
        }
        assert_eq!(check_syntax(""), Err(DnsNameError::Empty));
        assert_eq!(check_syntax("a.com."), Err(DnsNameError::TrailingDot));
        assert_eq!(check_syntax(".a.com"), Err(DnsNameError::EmptyLabel));
        assert_eq!(
            check_syntax("a.*.com"),
            Err(DnsNameError::MisplacedWildcard)
        );
        assert_eq!(
            check_syntax("f*.a.com"),
            Err(DnsNameError::MisplacedWildcard)
        );
        assert!(matches!(
            check_syntax("-a.com"),
            Err(DnsNameError::EdgeHyphen(_))
        ));
        assert!(matches!(
            check_syntax("a_b.com"),
            Err(DnsNameError::BadCharacters(_))
        ));
        assert!(check_syntax(&"a".repeat(64)).is_err());
        assert!(check_syntax(&["a"; 128].join(".")).is_err());
        assert!(check_wildcard("*.com").is_err() && check_wildcard("*.a.com").is_ok());
        assert!(
            is_valid_reference("under_score.example") && !is_valid_plain("under_score.example")
        );
    }

    #[test]
    fn subtrees_by_whole_labels() {
        assert_eq!(
            subtree_relation("foo.example.com", "example.com"),
            rel(true, true)
        );
        assert_eq!(
            subtree_relation("EXAMPLE.com", "example.COM"),
            rel(true, true)
        );
        assert_eq!(
            subtree_relation("fooexample.com", "example.com"),
            rel(false, false)
        );
        assert_eq!(
            subtree_relation("*.example.com", "example.com"),
            rel(true, true)
        );
        assert_eq!(
            subtree_relation("*.example.com", "bar.example.com"),
            rel(false, true)
        );
        assert_eq!(
            subtree_relation("*.example.com", "a.bar.example.com"),
            rel(false, false)
        );
        assert_eq!(subtree_relation("anything.org", ""), rel(true, true));
        assert_eq!(subtree_relation("com", "example.com"), rel(false, false));
    }

    #[test]
    fn leading_period_constraint_is_malformed() {
        for name in ["example.com", "a.example.com", "*.example.com"] {
            assert_eq!(
                subtree_relation(name, ".example.com"),
                Err(Malformed::Constraint)
            );
        }
        assert_eq!(
            subtree_relation("a.com", "*.a.com"),
            Err(Malformed::Constraint)
        );
        assert_eq!(subtree_relation("*.com", "com"), Err(Malformed::Name));
        assert_eq!(subtree_relation("a..com", "com"), Err(Malformed::Name));
    }
}
