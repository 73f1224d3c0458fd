//! Names: the expected server name, SAN matching (RFC 6125/9525 wildcards) and how names are
//! shown. DNS syntax and subtree relations are https-pkix's (shared with the CA); name
//! constraints are applied in `constraints.rs`.

use crate::error::VerifyError;
use https_pkix::dns;
use serde::Serialize;
use std::fmt;
use std::net::IpAddr;
use x509_parser::extensions::GeneralName;

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
        if !dns::is_valid_reference(name) {
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

/// Whether the presented SAN dNSName `presented` matches the reference name `reference`
/// (lower-case ASCII). Wildcards: only a whole left-most label, matching exactly one label.
pub fn dns_matches(presented: &str, reference: &str) -> bool {
    let Some((wildcard, base)) = dns::split_wildcard(presented) else {
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

/// Whether text would be read as an IP address by a lenient parser (inet_aton forms: 1-4 parts
/// of decimal, octal or 0x-hex numbers; or anything with a colon that parses as IPv6).
pub fn looks_like_ip(text: &str) -> bool {
    // Every form below is made of hex digits, dots, colons and `x`: most names fail this at once.
    if !text
        .bytes()
        .all(|b| b.is_ascii_hexdigit() || matches!(b, b'.' | b':' | b'x' | b'X'))
    {
        return false;
    }
    if text.contains(':') {
        return text.parse::<std::net::Ipv6Addr>().is_ok()
            || text
                .chars()
                .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.');
    }
    text.split('.').count() <= 4
        && text.split('.').all(|p| {
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

/// A GeneralName for messages, e.g. `DNS:example.com` (built only when a message is).
pub fn describe(gn: &GeneralName<'_>) -> String {
    match gn {
        GeneralName::DNSName(d) => format!("DNS:{d}"),
        GeneralName::IPAddress(ip) => format!("IP:{}", ip_to_string(ip)),
        GeneralName::RFC822Name(e) => format!("email:{e}"),
        GeneralName::DirectoryName(n) => format!("DirName:{}", crate::cert::name_to_string(n)),
        GeneralName::URI(u) => format!("URI:{u}"),
        other => format!("{other:?}"),
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
