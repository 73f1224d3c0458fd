//! Names a certificate can be for (DNS names, wildcards, IP addresses) and the checks on them.
use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use https_pkix::dns::{self, Within};
use https_pkix::ip;
use x509_parser::extensions::GeneralName;

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

/// Syntax of a DNS name in a certificate (https-pkix's rule, the one the validator applies).
pub(crate) fn check_dns_syntax(name: &str) -> std::result::Result<(), String> {
    dns::check_syntax(name).map_err(|e| e.to_string())
}

/// A DNS name-constraint base the validator will accept: a plain DNS name (no wildcard, no
/// leading period: RFC 5280 §4.2.1.10).
pub(crate) fn check_dns_constraint(base: &str) -> std::result::Result<(), String> {
    dns::check_syntax(base).map_err(|e| e.to_string())?;
    if dns::is_valid_constraint(base) {
        Ok(())
    } else {
        Err("a DNS name constraint is a plain DNS name, without a wildcard".into())
    }
}

/// Policy on wildcards: `*.tld` (one label after the star) would cover a whole top-level domain.
pub(crate) fn check_wildcard_policy(name: &str) -> std::result::Result<(), String> {
    dns::check_wildcard(name).map_err(|e| e.to_string())
}

/// How `san` relates to one name-constraint subtree `base` — by the validator's rule
/// (https-pkix), so a CA refuses exactly what verification would reject. None when the
/// constraint is about another name form; Err when the name or the constraint is malformed.
pub(crate) fn relation(
    san: &SubjectAltName,
    base: &GeneralName<'_>,
) -> Option<std::result::Result<Within, &'static str>> {
    match (san, base) {
        (SubjectAltName::Dns(d), GeneralName::DNSName(b)) => {
            Some(dns::subtree_relation(d, b).map_err(|m| match m {
                dns::Malformed::Name => "the name is malformed",
                dns::Malformed::Constraint => {
                    "the DNS constraint is malformed (RFC 5280 §4.2.1.10: no leading period, no wildcard)"
                }
            }))
        }
        (SubjectAltName::Ip(ip), GeneralName::IPAddress(net)) => Some(
            ip::in_subtree(&ip::octets(ip), net)
                .map(|inside| Within {
                    all: inside,
                    some: inside,
                })
                .ok_or("the iPAddress constraint is malformed"),
        ),
        _ => None,
    }
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
        let dns = |n: &str| SubjectAltName::Dns(n.into());
        let base = |b| GeneralName::DNSName(b);
        let all = |san: &SubjectAltName, b| relation(san, &base(b)).map(|r| r.map(|w| w.all));
        assert_eq!(all(&dns("a.example.com"), "example.com"), Some(Ok(true)));
        assert_eq!(all(&dns("example.com"), "example.com"), Some(Ok(true)));
        assert_eq!(all(&dns("*.example.com"), "example.com"), Some(Ok(true)));
        assert_eq!(all(&dns("badexample.com"), "example.com"), Some(Ok(false)));
        assert!(matches!(
            all(&dns("a.example.com"), ".example.com"),
            Some(Err(_))
        ));
        let ip = |s: &str| SubjectAltName::Ip(s.parse().unwrap());
        let net = GeneralName::IPAddress(&[10, 0, 0, 0, 255, 0, 0, 0]);
        assert_eq!(
            relation(&ip("10.1.2.3"), &net).map(|r| r.map(|w| w.all)),
            Some(Ok(true))
        );
        assert_eq!(
            relation(&ip("11.1.2.3"), &net).map(|r| r.map(|w| w.all)),
            Some(Ok(false))
        );
        assert_eq!(
            relation(&ip("::1"), &net).map(|r| r.map(|w| w.all)),
            Some(Ok(false))
        );
        assert_eq!(relation(&dns("a.com"), &net), None);
    }
}
