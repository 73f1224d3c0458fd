//! Names: the expected server name, SAN matching (RFC 6125/9525 wildcards), and name-constraint
//! subtree matching (RFC 5280 §4.2.1.10) for DNS names and IP addresses.

use crate::error::VerifyError;
use serde::Serialize;
use std::fmt;
use std::net::IpAddr;

/// The name the peer is expected to have: a DNS name or an IP address.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "kind", content = "value", rename_all = "lowercase")]
pub enum ServerName {
    /// A DNS name in ASCII (A-labels), lower-cased, without a trailing dot.
    Dns(String),
    Ip(IpAddr),
}

impl ServerName {
    /// Parses a host as given by a user or a URL: an IP address literal (IPv6 may be in
    /// brackets) or a DNS name (a trailing dot is dropped; the name is lower-cased).
    pub fn parse(host: &str) -> Result<Self, VerifyError> {
        let trimmed = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host);
        if let Ok(ip) = trimmed.parse::<IpAddr>() {
            return Ok(ServerName::Ip(ip));
        }
        let name = host.strip_suffix('.').unwrap_or(host);
        if !is_valid_reference_dns(name) {
            return Err(VerifyError::InvalidInput {
                what: format!("{host:?} is not a valid DNS name or IP address"),
            });
        }
        Ok(ServerName::Dns(name.to_ascii_lowercase()))
    }
}

impl fmt::Display for ServerName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ServerName::Dns(d) => write!(f, "DNS:{d}"),
            ServerName::Ip(ip) => write!(f, "IP:{ip}"),
        }
    }
}

impl std::str::FromStr for ServerName {
    type Err = VerifyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ServerName::parse(s)
    }
}

fn is_label_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-'
}

fn is_valid_label(label: &[u8]) -> bool {
    !label.is_empty()
        && label.len() <= 63
        && label.iter().all(|&b| is_label_char(b))
        && label.first() != Some(&b'-')
        && label.last() != Some(&b'-')
}

/// A reference identifier (the name we look for): LDH labels, at least one, no wildcard.
/// Underscores are tolerated in the reference (some internal hosts use them).
fn is_valid_reference_dns(name: &str) -> bool {
    if name.is_empty() || name.len() > 253 {
        return false;
    }
    name.split('.').all(|l| {
        let l = l.as_bytes();
        !l.is_empty() && l.len() <= 63 && l.iter().all(|&b| is_label_char(b) || b == b'_')
    })
}

/// A presented dNSName without a wildcard: LDH labels, no trailing dot.
pub fn is_valid_presented_dns(name: &str) -> bool {
    !name.is_empty() && name.len() <= 253 && name.split('.').all(|l| is_valid_label(l.as_bytes()))
}

/// A presented dNSName: either a plain name, or `*.` followed by at least two labels
/// (a wildcard directly under a single label such as `*.com` is refused).
fn split_wildcard(name: &str) -> Option<(bool, &str)> {
    if let Some(rest) = name.strip_prefix("*.") {
        if is_valid_presented_dns(rest) && rest.contains('.') {
            return Some((true, rest));
        }
        return None;
    }
    if is_valid_presented_dns(name) {
        Some((false, name))
    } else {
        None
    }
}

/// Whether the presented SAN dNSName `presented` matches the reference name `reference`
/// (lower-case ASCII). Wildcards: only a whole left-most label, matching exactly one label.
pub fn dns_matches(presented: &str, reference: &str) -> bool {
    let Some((wildcard, base)) = split_wildcard(presented) else {
        return false;
    };
    if !wildcard {
        return base.eq_ignore_ascii_case(reference);
    }
    match reference.split_once('.') {
        Some((first, rest)) => !first.is_empty() && rest.eq_ignore_ascii_case(base),
        None => false,
    }
}

/// Checks a DNS name-constraint base as RFC 5280 defines it: a DNS name (no wildcard, no leading
/// period), or the empty string (which matches every name).
pub fn is_valid_dns_constraint(base: &str) -> bool {
    base.is_empty() || is_valid_presented_dns(base)
}

/// `name` (a plain DNS name) is `base` or a subdomain of it.
fn in_dns_subtree(name: &str, base: &str) -> bool {
    if base.is_empty() {
        return true;
    }
    if name.len() == base.len() {
        return name.eq_ignore_ascii_case(base);
    }
    if name.len() > base.len() {
        let cut = name.len() - base.len();
        return name.as_bytes()[cut - 1] == b'.' && name[cut..].eq_ignore_ascii_case(base);
    }
    false
}

/// How a presented dNSName (possibly a wildcard) relates to a DNS constraint subtree.
/// Returns `(all_inside, some_inside)`: whether every name it can stand for lies in the subtree,
/// and whether at least one can. None if the presented name is malformed.
pub fn dns_vs_subtree(presented: &str, base: &str) -> Option<(bool, bool)> {
    let (wildcard, name) = split_wildcard(presented)?;
    if !wildcard {
        let inside = in_dns_subtree(name, base);
        return Some((inside, inside));
    }
    // `*.name` stands for every `x.name` with one extra label.
    let all = in_dns_subtree(name, base);
    // Some `x.name` lies in the subtree if the subtree is below or at `name`+1 label
    // (e.g. excluded `bar.example.com` vs `*.example.com`: CVE-2025-61727).
    let some = all
        || base
            .split_once('.')
            .is_some_and(|(first, rest)| !first.is_empty() && rest.eq_ignore_ascii_case(name));
    Some((all, some))
}

/// Whether an IP SAN (4 or 16 octets) lies in an iPAddress constraint (address + mask, 8 or 32
/// octets). Returns None if the constraint is malformed (wrong length, non-contiguous mask).
pub fn ip_in_subtree(ip: &[u8], constraint: &[u8]) -> Option<bool> {
    if constraint.len() != 8 && constraint.len() != 32 {
        return None;
    }
    let half = constraint.len() / 2;
    let (addr, mask) = constraint.split_at(half);
    // The mask must be a prefix: ones then zeros.
    let mut seen_zero = false;
    for &m in mask {
        for bit in (0..8).rev() {
            let one = (m >> bit) & 1 == 1;
            if one && seen_zero {
                return None;
            }
            if !one {
                seen_zero = true;
            }
        }
    }
    if ip.len() != half {
        // An IPv4 address is never inside an IPv6 constraint and vice versa.
        return Some(false);
    }
    Some(
        ip.iter()
            .zip(addr)
            .zip(mask)
            .all(|((i, a), m)| i & m == a & m),
    )
}

/// Whether text would be read as an IP address by a lenient parser (inet_aton forms: 1-4 parts
/// of decimal, octal or 0x-hex numbers; or anything with a colon that parses as IPv6).
pub fn looks_like_ip(text: &str) -> bool {
    if text.contains(':') {
        return text.parse::<std::net::Ipv6Addr>().is_ok()
            || text
                .chars()
                .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.');
    }
    let parts: Vec<&str> = text.split('.').collect();
    (1..=4).contains(&parts.len())
        && parts.iter().all(|p| {
            let digits = p.strip_prefix("0x").or_else(|| p.strip_prefix("0X"));
            match digits {
                Some(h) => !h.is_empty() && h.chars().all(|c| c.is_ascii_hexdigit()),
                None => !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()),
            }
        })
}

/// Whether `text` is an IP address written exactly as Rust (RFC 3986 / RFC 5952) writes it.
pub fn is_canonical_ip(text: &str) -> bool {
    text.parse::<IpAddr>()
        .is_ok_and(|ip| ip.to_string() == text)
}

/// Renders an IP SAN for messages.
pub fn ip_to_string(octets: &[u8]) -> String {
    match octets.len() {
        4 => {
            let mut a = [0u8; 4];
            a.copy_from_slice(octets);
            IpAddr::from(a).to_string()
        }
        16 => {
            let mut a = [0u8; 16];
            a.copy_from_slice(octets);
            IpAddr::from(a).to_string()
        }
        _ => format!("invalid IP ({} octets)", octets.len()),
    }
}

/// The octets of an IP address as a SAN would carry them.
pub fn ip_octets(ip: &IpAddr) -> Vec<u8> {
    match ip {
        IpAddr::V4(v4) => v4.octets().to_vec(),
        IpAddr::V6(v6) => v6.octets().to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_match_one_leftmost_label() {
        assert!(dns_matches("*.example.com", "foo.example.com"));
        assert!(!dns_matches("*.example.com", "example.com"));
        assert!(!dns_matches("*.example.com", "a.b.example.com"));
        assert!(!dns_matches("*.com", "example.com"));
        assert!(!dns_matches("f*.example.com", "foo.example.com"));
        assert!(!dns_matches("foo.*.com", "foo.bar.com"));
        assert!(dns_matches("Example.COM", "example.com"));
        assert!(!dns_matches("exa_mple.com", "exa_mple.com"));
    }

    #[test]
    fn dns_subtrees() {
        assert_eq!(
            dns_vs_subtree("foo.example.com", "example.com"),
            Some((true, true))
        );
        assert_eq!(
            dns_vs_subtree("fooexample.com", "example.com"),
            Some((false, false))
        );
        assert_eq!(
            dns_vs_subtree("*.example.com", "bar.example.com"),
            Some((false, true))
        );
        assert_eq!(
            dns_vs_subtree("*.example.com", "a.bar.example.com"),
            Some((false, false))
        );
        assert_eq!(dns_vs_subtree("*.foo.com", "foo.com"), Some((true, true)));
        assert_eq!(dns_vs_subtree("anything.org", ""), Some((true, true)));
    }

    #[test]
    fn ip_subtrees() {
        assert_eq!(
            ip_in_subtree(&[192, 0, 2, 7], &[192, 0, 2, 0, 255, 255, 255, 0]),
            Some(true)
        );
        assert_eq!(
            ip_in_subtree(&[192, 0, 3, 7], &[192, 0, 2, 0, 255, 255, 255, 0]),
            Some(false)
        );
        assert_eq!(
            ip_in_subtree(&[192, 0, 2, 7], &[192, 0, 2, 0, 255, 0, 255, 0]),
            None
        );
    }

    #[test]
    fn canonical_ip_text() {
        assert!(looks_like_ip("0xC0A80101") && !is_canonical_ip("0xC0A80101"));
        assert!(looks_like_ip("192.168.001.001") && !is_canonical_ip("192.168.001.001"));
        assert!(looks_like_ip("2001:DB8::1") && !is_canonical_ip("2001:DB8::1"));
        assert!(is_canonical_ip("2001:db8::1:0:0:1") && !is_canonical_ip("2001:db8:0:0:1:0:0:1"));
        assert!(is_canonical_ip("127.0.0.1"));
        assert!(!looks_like_ip("example.com"));
    }

    #[test]
    fn server_names_parse() {
        assert_eq!(
            ServerName::parse("Example.com.").ok(),
            Some(ServerName::Dns("example.com".into()))
        );
        assert!(matches!(ServerName::parse("[::1]"), Ok(ServerName::Ip(_))));
        assert!(ServerName::parse("bad name").is_err());
    }
}
