//! Names a certificate can be for (DNS names, wildcards, IP addresses) and the checks on them.
use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use crate::{Error, Result};

/// One subjectAltName entry: what a client compares the host it dialled against.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(tag = "type", content = "value")]
pub enum SubjectAltName {
    /// A DNS name, possibly a wildcard (`*.example.com`).
    #[serde(rename = "DNS")]
    Dns(String),
    /// An IPv4 or IPv6 address.
    #[serde(rename = "IP")]
    Ip(IpAddr),
}

impl SubjectAltName {
    /// Parse a bare name: an IP address if it parses as one, else a DNS name (checked).
    pub fn from_name(name: &str) -> Result<Self> {
        if let Ok(ip) = name.parse::<IpAddr>() {
            return Ok(SubjectAltName::Ip(ip));
        }
        // "[::1]" is how URLs write IPv6; accept it too.
        if let Some(inner) = name.strip_prefix('[').and_then(|n| n.strip_suffix(']')) {
            if let Ok(ip) = inner.parse::<IpAddr>() {
                return Ok(SubjectAltName::Ip(ip));
            }
        }
        check_dns_syntax(name).map_err(|reason| Error::InvalidName {
            name: name.to_string(),
            reason,
        })?;
        Ok(SubjectAltName::Dns(name.to_ascii_lowercase()))
    }

    /// The name without its `DNS:`/`IP:` prefix.
    pub fn value(&self) -> String {
        match self {
            SubjectAltName::Dns(d) => d.clone(),
            SubjectAltName::Ip(ip) => ip.to_string(),
        }
    }

    pub(crate) fn to_rcgen(&self) -> Result<rcgen::SanType> {
        Ok(match self {
            SubjectAltName::Dns(d) => rcgen::SanType::DnsName(d.clone().try_into()?),
            SubjectAltName::Ip(ip) => rcgen::SanType::IpAddress(*ip),
        })
    }
}

/// `DNS:name`, `IP:addr`, or a bare name (auto-detected), as the CLI's `--san` takes it.
impl FromStr for SubjectAltName {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let bad = |reason: &str| Error::InvalidName {
            name: s.to_string(),
            reason: reason.to_string(),
        };
        if let Some((kind, value)) = s.split_once(':') {
            match kind.to_ascii_uppercase().as_str() {
                "DNS" => {
                    if value.parse::<IpAddr>().is_ok() {
                        return Err(bad("an IP address must be given as IP:addr, not DNS:"));
                    }
                    return Self::from_name(value).and_then(|n| match n {
                        SubjectAltName::Dns(_) => Ok(n),
                        SubjectAltName::Ip(_) => Err(bad("not a DNS name")),
                    });
                }
                "IP" => {
                    let v = value.trim_start_matches('[').trim_end_matches(']');
                    return v
                        .parse::<IpAddr>()
                        .map(SubjectAltName::Ip)
                        .map_err(|_| bad("not an IPv4 or IPv6 address"));
                }
                // An IPv6 address without prefix contains ':' too.
                _ if s.parse::<IpAddr>().is_ok() => {}
                _ => return Err(bad("use DNS:name or IP:address")),
            }
        }
        Self::from_name(s)
    }
}

impl fmt::Display for SubjectAltName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SubjectAltName::Dns(d) => write!(f, "DNS:{d}"),
            SubjectAltName::Ip(ip) => write!(f, "IP:{ip}"),
        }
    }
}

/// Syntax of a DNS name in a certificate (RFC 1123 host names, optional leading `*.` label).
pub(crate) fn check_dns_syntax(name: &str) -> std::result::Result<(), String> {
    if name.is_empty() {
        return Err("empty name".into());
    }
    if name.len() > 253 {
        return Err("longer than 253 characters".into());
    }
    if name.ends_with('.') {
        return Err("trailing dot (write the name without it)".into());
    }
    let rest = name.strip_prefix("*.").unwrap_or(name);
    for label in rest.split('.') {
        if label.is_empty() {
            return Err("empty label (\"..\" or leading dot)".into());
        }
        if label.len() > 63 {
            return Err(format!("label {label:?} is longer than 63 characters"));
        }
        if label.contains('*') {
            return Err(
                "a wildcard is only allowed as the whole leftmost label (*.example.com)".into(),
            );
        }
        if !label
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        {
            return Err(format!(
                "label {label:?} has characters other than letters, digits and '-' (use punycode for IDNs)"
            ));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(format!("label {label:?} starts or ends with '-'"));
        }
    }
    Ok(())
}

/// Policy on wildcards: `*.tld` (one label after the star) would cover a whole top-level domain.
pub(crate) fn check_wildcard_policy(name: &str) -> std::result::Result<(), String> {
    if let Some(rest) = name.strip_prefix("*.") {
        if !rest.contains('.') {
            return Err(format!(
                "wildcard {name:?} would cover every name under .{rest}; a wildcard needs at least two labels after '*'"
            ));
        }
    }
    Ok(())
}

/// Does DNS `name` fall within the name-constraint `base` (RFC 5280 4.2.1.10)?
pub(crate) fn dns_within(name: &str, base: &str) -> bool {
    let name = name.to_ascii_lowercase();
    let base = base.to_ascii_lowercase();
    if base.is_empty() {
        return true;
    }
    if let Some(sub) = base.strip_prefix('.') {
        // ".example.com" means strictly below example.com.
        return name.ends_with(&format!(".{sub}"));
    }
    name == base || name.ends_with(&format!(".{base}"))
}

/// Does `ip` fall within the constraint `net` (address bytes followed by mask bytes)?
pub(crate) fn ip_within(ip: &IpAddr, net: &[u8]) -> bool {
    let addr: Vec<u8> = match ip {
        IpAddr::V4(a) => a.octets().to_vec(),
        IpAddr::V6(a) => a.octets().to_vec(),
    };
    if net.len() != addr.len() * 2 {
        return false;
    }
    let (base, mask) = net.split_at(addr.len());
    addr.iter()
        .zip(base.iter().zip(mask.iter()))
        .all(|(a, (b, m))| a & m == b & m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_with_and_without_prefix() {
        assert_eq!(
            "DNS:Example.com".parse::<SubjectAltName>().unwrap(),
            SubjectAltName::Dns("example.com".into())
        );
        assert_eq!(
            "IP:127.0.0.1"
                .parse::<SubjectAltName>()
                .unwrap()
                .to_string(),
            "IP:127.0.0.1"
        );
        assert_eq!(
            "::1".parse::<SubjectAltName>().unwrap().to_string(),
            "IP:::1"
        );
        assert_eq!(
            "IP:[::1]".parse::<SubjectAltName>().unwrap().to_string(),
            "IP:::1"
        );
        assert_eq!(
            "*.example.com"
                .parse::<SubjectAltName>()
                .unwrap()
                .to_string(),
            "DNS:*.example.com"
        );
        for bad in [
            "DNS:exa mple.com",
            "IP:300.1.1.1",
            "URI:http://x",
            "a..b",
            "-a.com",
            "*a.example.com",
            "a.*.com",
            "DNS:1.2.3.4",
            "",
        ] {
            assert!(bad.parse::<SubjectAltName>().is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn wildcards_need_two_labels_after_the_star() {
        assert!(check_wildcard_policy("*.example.com").is_ok());
        assert!(check_wildcard_policy("*.com").is_err());
        assert!(check_wildcard_policy("*.local").is_err());
    }

    #[test]
    fn constraints_match_whole_labels() {
        assert!(dns_within("a.example.com", "example.com"));
        assert!(dns_within("example.com", "example.com"));
        assert!(dns_within("*.example.com", "example.com"));
        assert!(!dns_within("badexample.com", "example.com"));
        assert!(!dns_within("example.com", ".example.com"));
        assert!(ip_within(
            &"10.1.2.3".parse().unwrap(),
            &[10, 0, 0, 0, 255, 0, 0, 0]
        ));
        assert!(!ip_within(
            &"11.1.2.3".parse().unwrap(),
            &[10, 0, 0, 0, 255, 0, 0, 0]
        ));
        assert!(!ip_within(
            &"::1".parse().unwrap(),
            &[0, 0, 0, 0, 0, 0, 0, 0]
        ));
    }
}
