//! Where `get` and `inspect` connect: an https:// URL parsed by the `url` crate (IPv6 literals,
//! default port, no userinfo), `--resolve` overrides, and a bounded TCP connect.

use crate::output::Failure;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use url::{Host, Position, Url};

/// A parsed https:// URL and the name the server's certificate must carry.
#[derive(Clone, Debug)]
pub struct Target {
    pub url: Url,
    /// The host without brackets: DNS name or IP literal (what the certificate is checked for).
    pub host: String,
    pub port: u16,
}

impl Target {
    /// `host[:port]` as the Host header (and HTTP/2 :authority) carries it.
    pub fn authority(&self) -> &str {
        &self.url[Position::BeforeHost..Position::AfterPort]
    }
    /// Path and query: the HTTP/1.1 request target.
    pub fn path_and_query(&self) -> &str {
        match &self.url[Position::BeforePath..Position::AfterQuery] {
            "" => "/",
            p => p,
        }
    }
}

/// Parses an https:// URL; anything else, and credentials in the URL, are usage errors.
pub fn parse_url(text: &str) -> Result<Target, Failure> {
    let url = Url::parse(text).map_err(|e| match e {
        url::ParseError::RelativeUrlWithoutBase => {
            Failure::usage(format!("{text}: expected https://HOST[:PORT]/PATH"))
        }
        e => Failure::usage(format!("{text}: not a URL: {e}")),
    })?;
    from_url(url)
}

/// Checks an already parsed URL (a redirect's Location resolved against the previous URL).
pub fn from_url(url: Url) -> Result<Target, Failure> {
    if url.scheme() != "https" {
        return Err(Failure::usage(format!(
            "{url}: scheme {} is not supported (https:// only)",
            url.scheme()
        )));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Failure::usage(format!(
            "{}: credentials in the URL are refused (send a header with -H instead)",
            url.host_str().unwrap_or("URL")
        )));
    }
    let host = match url.host() {
        Some(Host::Domain(d)) => d.to_string(),
        Some(Host::Ipv4(a)) => a.to_string(),
        Some(Host::Ipv6(a)) => a.to_string(),
        None => return Err(Failure::usage(format!("{url}: no host"))),
    };
    let port = url.port_or_known_default().unwrap_or(443);
    Ok(Target { url, host, port })
}

/// Finds `host` in the --resolve list; accepts `HOST:ADDR` and curl's `HOST:PORT:ADDR`.
pub fn resolve_override(
    rules: &[String],
    host: &str,
    port: u16,
) -> Result<Option<SocketAddr>, Failure> {
    for rule in rules {
        let (name, rest) = rule
            .split_once(':')
            .ok_or_else(|| Failure::usage(format!("--resolve {rule}: expected HOST:ADDR")))?;
        if !name.eq_ignore_ascii_case(host) {
            continue;
        }
        // HOST:PORT:ADDR (curl) when the middle is a port and something follows.
        let addr_text = match rest.split_once(':') {
            Some((p, a)) if p.parse::<u16>().is_ok() && !a.is_empty() && !rest.starts_with('[') => {
                if p.parse::<u16>().ok() != Some(port) {
                    continue;
                }
                a
            }
            _ => rest,
        };
        let addr_text = addr_text.trim_start_matches('[').trim_end_matches(']');
        let ip: std::net::IpAddr = addr_text.parse().map_err(|_| {
            Failure::usage(format!(
                "--resolve {rule}: {addr_text} is not an IP address"
            ))
        })?;
        return Ok(Some(SocketAddr::new(ip, port)));
    }
    Ok(None)
}

/// When the name lookup and the TCP connect finished.
#[derive(Clone, Copy, Debug)]
pub struct Connected {
    pub addr: SocketAddr,
    pub resolved: Instant,
    pub connected: Instant,
}

/// Resolves (honouring --resolve) and connects TCP, bounded by `timeout`.
pub async fn connect_tcp(
    target: &Target,
    resolve: &[String],
    timeout: Duration,
) -> Result<(tokio::net::TcpStream, Connected), Failure> {
    let addr = match resolve_override(resolve, &target.host, target.port)? {
        Some(addr) => addr,
        None => tokio::time::timeout(
            timeout,
            tokio::net::lookup_host((target.host.as_str(), target.port)),
        )
        .await
        .ok()
        .and_then(Result::ok)
        .and_then(|mut addrs| addrs.next())
        .ok_or_else(|| Failure::refused(format!("cannot resolve {}", target.host)))?,
    };
    let resolved = Instant::now();
    let tcp = tokio::time::timeout(timeout, tokio::net::TcpStream::connect(addr))
        .await
        .map_err(|_| Failure::refused(format!("connecting to {addr}: timed out")))?
        .map_err(|e| Failure::refused(format!("connecting to {addr}: {e}")))?;
    let _ = tcp.set_nodelay(true);
    let connected = Instant::now();
    Ok((
        tcp,
        Connected {
            addr,
            resolved,
            connected,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolve_accepts_both_forms_and_matches_host_and_port() {
        let rules = vec![
            "site.test:127.0.0.1".to_string(),
            "other:8443:[::1]".to_string(),
        ];
        assert_eq!(
            resolve_override(&rules, "site.test", 9).ok().flatten(),
            Some("127.0.0.1:9".parse().unwrap())
        );
        assert_eq!(
            resolve_override(&rules, "other", 8443).ok().flatten(),
            Some("[::1]:8443".parse().unwrap())
        );
        assert_eq!(resolve_override(&rules, "other", 1).ok().flatten(), None);
        assert!(resolve_override(&["x:notanip".into()], "x", 1).is_err());
    }

    #[test]
    fn only_https_urls_without_credentials_are_accepted() {
        assert!(parse_url("http://localhost/").is_err());
        assert!(parse_url("localhost").is_err());
        assert!(parse_url("https://user:pw@localhost/").is_err());
        assert!(parse_url("https://user@localhost/").is_err());
        let t = parse_url("https://[::1]:8443/a?b#frag").ok().unwrap();
        assert_eq!((t.host.as_str(), t.port), ("::1", 8443));
        assert_eq!(t.authority(), "[::1]:8443");
        assert_eq!(t.path_and_query(), "/a?b");
        let t = parse_url("https://Example.TEST").ok().unwrap();
        assert_eq!((t.host.as_str(), t.port), ("example.test", 443));
        assert_eq!((t.authority(), t.path_and_query()), ("example.test", "/"));
    }
}
