//! What a server answers a ClientHello with, decided without touching the connection:
//! `negotiate(&ClientHello, &ServerConfig, ..) -> Negotiation` picks the version (TLS 1.3 or
//! nothing), the cipher suite, the key-exchange group (a client share, or a HelloRetryRequest),
//! the PSK, the certificate for the SNI and its signature scheme, ALPN and the record size limit.
//! The state machine (`server.rs`) then emits one message per step (`server_flight.rs`).

use std::sync::Arc;

use https_record::{AlertDescription, Tls13Suite};

use crate::client_hello::{check_key_shares, check_second_hello, check_versions};
use crate::codec::{
    ClientHello, ClientHelloExtensions, ExtensionType, KeyShareEntry, SignatureScheme,
};
use crate::config::{ClientHelloInfo, ServerConfig};
use crate::error::{Error, Negotiable, PeerMisbehaved};
use crate::kx::NamedGroup;
use crate::sign::CertifiedKey;
use crate::tickets::TicketState;

/// What our HelloRetryRequest committed us to; the second ClientHello must answer it.
pub(crate) struct RetrySent<'a> {
    pub(crate) suite: Tls13Suite,
    pub(crate) group: NamedGroup,
    pub(crate) cookie: &'a [u8; 32],
    /// The first ClientHello, which the second must repeat but for the changes §4.1.2 allows.
    pub(crate) first: &'a ClientHello,
}

/// The server's answer to a ClientHello.
pub(crate) enum Negotiation<'a> {
    /// No share for a group we take: ask for one (HelloRetryRequest).
    Retry {
        suite: Tls13Suite,
        group: NamedGroup,
        /// The hello offered early_data (its 0-RTT records are skipped).
        early_data: bool,
    },
    /// A full ServerHello flight.
    Accept(Box<Accepted<'a>>),
}

impl Negotiation<'_> {
    /// The ClientHello offered early_data.
    pub(crate) fn early_data_offered(&self) -> bool {
        match self {
            Self::Retry { early_data, .. } => *early_data,
            Self::Accept(a) => a.exts.early_data,
        }
    }
}

/// Everything a ServerHello flight says.
pub(crate) struct Accepted<'a> {
    pub(crate) suite: Tls13Suite,
    pub(crate) group: NamedGroup,
    /// The client's key share for `group`.
    pub(crate) peer_share: &'a [u8],
    /// The ticket being resumed (then no certificate is sent).
    pub(crate) resumed: Option<TicketState>,
    pub(crate) sni: Option<&'a str>,
    /// The certificate and the scheme its CertificateVerify uses (full handshakes).
    pub(crate) cert: Option<(Arc<CertifiedKey>, SignatureScheme)>,
    pub(crate) alpn: Option<Vec<u8>>,
    /// The client's record_size_limit (RFC 8449), when it sent one.
    pub(crate) record_limit: Option<u16>,
    /// The hello's extensions, decoded once (resumption and 0-RTT read them too).
    pub(crate) exts: ClientHelloExtensions<'a>,
}

/// The extensions a TLS 1.3 hello must carry (RFC 8446 §9.2), or missing_extension.
struct Required<'a> {
    sigalgs: &'a [SignatureScheme],
    groups: &'a [u16],
    shares: &'a [KeyShareEntry],
}

/// Decides the answer to `ch`. `retry` is our HelloRetryRequest when `ch` is the second hello;
/// `psk` checks an offered ticket for the chosen suite (it needs the raw hello and transcript, so
/// the caller supplies it; `|_, _| Ok(None)` disables resumption).
pub(crate) fn negotiate<'a>(
    ch: &'a ClientHello,
    config: &ServerConfig,
    retry: Option<&RetrySent<'_>>,
    psk: impl FnOnce(&ClientHelloExtensions<'a>, Tls13Suite) -> Result<Option<TicketState>, Error>,
) -> Result<Negotiation<'a>, Error> {
    let exts = ch.typed_extensions();
    check_versions(ch, &exts)?;
    if let Some(r) = retry {
        check_second_hello(r.first, ch)?;
    }
    let suite = config
        .suites
        .iter()
        .copied()
        .find(|s| ch.cipher_suites.contains(&s.code_point()))
        .ok_or_else(|| {
            Error::handshake_failure(PeerMisbehaved::NothingInCommon(Negotiable::CipherSuite))
        })?;
    let req = required(&exts)?;
    check_key_shares(req.shares, req.groups)?;
    if let Some(r) = retry {
        check_echo(r, &exts, suite, req.shares)?;
    }
    let Some((group, share)) = choose_share(&config.groups, req.shares) else {
        if retry.is_some() {
            return Err(Error::illegal(PeerMisbehaved::NoShareAfterRetry));
        }
        let group = config
            .groups
            .iter()
            .copied()
            .find(|g| req.groups.contains(&g.to_u16()))
            .ok_or_else(|| {
                Error::handshake_failure(PeerMisbehaved::NothingInCommon(Negotiable::Group))
            })?;
        return Ok(Negotiation::Retry {
            suite,
            group,
            early_data: exts.early_data,
        });
    };
    let resumed = psk(&exts, suite)?;
    let record_limit = record_size_limit(&exts)?;
    let sni = requested_sni(&exts)?;
    let cert = match resumed {
        Some(_) => None,
        None => Some(choose_cert(config, sni, req.sigalgs, &exts)?),
    };
    let alpn = choose_alpn(config, &exts)?;
    Ok(Negotiation::Accept(Box::new(Accepted {
        suite,
        group,
        peer_share: &share.payload,
        resumed,
        sni,
        cert,
        alpn,
        record_limit,
        exts,
    })))
}

fn missing(extension: ExtensionType) -> Error {
    Error::proto(
        AlertDescription::MissingExtension,
        PeerMisbehaved::MissingExtension {
            message: "ClientHello",
            extension,
        },
    )
}

fn required<'a>(exts: &ClientHelloExtensions<'a>) -> Result<Required<'a>, Error> {
    Ok(Required {
        sigalgs: exts
            .signature_algorithms
            .ok_or_else(|| missing(ExtensionType::SignatureAlgorithms))?,
        groups: exts
            .supported_groups
            .ok_or_else(|| missing(ExtensionType::SupportedGroups))?,
        shares: exts
            .key_shares
            .ok_or_else(|| missing(ExtensionType::KeyShare))?,
    })
}

/// The second ClientHello answers our HelloRetryRequest: same suite, our cookie, exactly one
/// share for the group we asked for.
fn check_echo(
    r: &RetrySent<'_>,
    exts: &ClientHelloExtensions<'_>,
    suite: Tls13Suite,
    shares: &[KeyShareEntry],
) -> Result<(), Error> {
    if r.suite != suite {
        return Err(Error::illegal(PeerMisbehaved::SecondHelloChanged(
            "the cipher suite",
        )));
    }
    if !exts
        .cookie
        .is_some_and(|c| crate::constant_time::eq(c, r.cookie))
    {
        return Err(Error::illegal(PeerMisbehaved::CookieNotEchoed));
    }
    if shares.len() != 1 || shares[0].group != r.group.to_u16() {
        return Err(Error::illegal(PeerMisbehaved::WrongRetryKeyShare));
    }
    Ok(())
}

/// Our most preferred group the client sent a share for.
fn choose_share<'a>(
    ours: &[NamedGroup],
    shares: &'a [KeyShareEntry],
) -> Option<(NamedGroup, &'a KeyShareEntry)> {
    ours.iter().find_map(|g| {
        shares
            .iter()
            .find(|s| s.group == g.to_u16())
            .map(|s| (*g, s))
    })
}

/// record_size_limit (RFC 8449): the client's, honoured; below 64 is illegal_parameter.
fn record_size_limit(exts: &ClientHelloExtensions<'_>) -> Result<Option<u16>, Error> {
    match exts.record_size_limit {
        Some(l) if l < 64 => Err(Error::illegal(PeerMisbehaved::RecordSizeLimitTooSmall(l))),
        l => Ok(l),
    }
}

/// The host_name in server_name (RFC 6066 §3). Any printable ASCII name goes to the resolver
/// (which may not know it); only garbage is refused.
fn requested_sni<'a>(exts: &ClientHelloExtensions<'a>) -> Result<Option<&'a str>, Error> {
    let Some(name) = exts.host_name() else {
        return Ok(None);
    };
    std::str::from_utf8(name)
        .ok()
        .filter(|n| n.bytes().all(|b| b.is_ascii_graphic()))
        .map(Some)
        .ok_or_else(|| Error::illegal(PeerMisbehaved::BadServerName))
}

/// SNI -> certificate, and the signature scheme its key will use.
fn choose_cert(
    config: &ServerConfig,
    sni: Option<&str>,
    sigalgs: &[SignatureScheme],
    exts: &ClientHelloExtensions<'_>,
) -> Result<(Arc<CertifiedKey>, SignatureScheme), Error> {
    let cert = config
        .resolver
        .resolve(&ClientHelloInfo {
            server_name: sni,
            signature_schemes: sigalgs,
            alpn_protocols: exts.alpn.unwrap_or(&[]),
        })
        .ok_or_else(|| match sni {
            Some(_) => Error::proto(
                AlertDescription::UnrecognizedName,
                PeerMisbehaved::NoCertificateForName,
            ),
            None => Error::handshake_failure(PeerMisbehaved::NoCertificate),
        })?;
    let scheme = cert.key.choose_scheme(sigalgs).ok_or_else(|| {
        Error::handshake_failure(PeerMisbehaved::NothingInCommon(Negotiable::SignatureScheme))
    })?;
    Ok((cert, scheme))
}

/// Our first ALPN protocol the client offers; none in common is no_application_protocol.
fn choose_alpn(
    config: &ServerConfig,
    exts: &ClientHelloExtensions<'_>,
) -> Result<Option<Vec<u8>>, Error> {
    match exts.alpn {
        Some(offered) if !config.alpn.is_empty() => config
            .alpn
            .iter()
            .find(|p| offered.contains(p))
            .cloned()
            .map(Some)
            .ok_or_else(|| {
                Error::proto(
                    AlertDescription::NoApplicationProtocol,
                    PeerMisbehaved::NothingInCommon(Negotiable::AlpnProtocol),
                )
            }),
        _ => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::{CipherSuite, ClientExtension, ProtocolVersion, ServerNameEntry};
    use https_pki::{CaOptions, CertificateAuthority, Profile};

    fn config(alpn: &[&[u8]]) -> ServerConfig {
        let ca = CertificateAuthority::new_root(&CaOptions::root("Negotiate CA")).unwrap();
        let site = ca.issue(&["example.test"], &Profile::server()).unwrap();
        ServerConfig::builder()
            .with_single_cert(vec![site.cert_der.clone()], site.key.pkcs8_der())
            .unwrap()
            .with_alpn(alpn)
            .build()
            .unwrap()
    }

    /// A minimal TLS 1.3 hello: AES-128-GCM, x25519 (with a share) and P-256 (without one).
    fn hello() -> ClientHello {
        ClientHello {
            legacy_version: ProtocolVersion::Tls12,
            random: [7; 32],
            session_id: Vec::new(),
            cipher_suites: vec![CipherSuite::Unknown(0x0a0a), CipherSuite::Aes128GcmSha256],
            compression_methods: vec![0],
            extensions: vec![
                ClientExtension::SupportedVersions(vec![ProtocolVersion::Tls13]),
                ClientExtension::SupportedGroups(vec![0x001d, 0x0017]),
                ClientExtension::SignatureAlgorithms(vec![SignatureScheme::EcdsaSecp256r1Sha256]),
                ClientExtension::KeyShare(vec![KeyShareEntry {
                    group: 0x001d,
                    payload: vec![9; 32],
                }]),
            ],
            extensions_omitted: false,
        }
    }

    fn ext(ch: &mut ClientHello, e: ClientExtension) {
        ch.extensions.retain(|x| x.ext_type() != e.ext_type());
        ch.extensions.push(e);
    }

    fn alert(r: Result<Negotiation<'_>, Error>) -> AlertDescription {
        match r {
            Err(e) => e.alert().expect("a refused hello sends an alert"),
            Ok(_) => panic!("negotiation succeeded"),
        }
    }

    fn accepted(n: Negotiation<'_>) -> Accepted<'_> {
        match n {
            Negotiation::Accept(a) => *a,
            Negotiation::Retry { .. } => panic!("HelloRetryRequest instead of a ServerHello"),
        }
    }

    #[test]
    fn a_plain_hello_gets_suite_group_share_and_certificate() {
        let (config, ch) = (config(&[]), hello());
        let a = accepted(negotiate(&ch, &config, None, |_, _| Ok(None)).unwrap());
        assert_eq!(a.suite, Tls13Suite::Aes128GcmSha256);
        assert_eq!(a.group, NamedGroup::X25519);
        assert_eq!(a.peer_share, &[9; 32]);
        let (_, scheme) = a.cert.expect("a full handshake sends a certificate");
        assert_eq!(scheme, SignatureScheme::EcdsaSecp256r1Sha256);
        assert_eq!((a.sni, a.alpn, a.record_limit), (None, None, None));
        assert!(a.resumed.is_none());
    }

    #[test]
    fn no_share_for_our_group_asks_for_one_and_the_second_hello_must_answer_it() {
        let config = config(&[]);
        let mut first = hello();
        ext(&mut first, ClientExtension::KeyShare(Vec::new()));
        let (suite, group) = match negotiate(&first, &config, None, |_, _| Ok(None)).unwrap() {
            Negotiation::Retry { suite, group, .. } => (suite, group),
            Negotiation::Accept(_) => panic!("accepted without a share"),
        };
        assert_eq!(suite, Tls13Suite::Aes128GcmSha256);
        assert_eq!(group, NamedGroup::X25519);
        let cookie = [1; 32];
        let retry = RetrySent {
            suite,
            group,
            cookie: &cookie,
            first: &first,
        };
        let second = |cookie: &[u8], share_group: u16| {
            let mut ch = first.clone();
            ext(&mut ch, ClientExtension::Cookie(cookie.to_vec()));
            ext(
                &mut ch,
                ClientExtension::KeyShare(vec![KeyShareEntry {
                    group: share_group,
                    payload: vec![4; 65],
                }]),
            );
            ch
        };
        let reason = |ch: &ClientHello| match negotiate(ch, &config, Some(&retry), |_, _| Ok(None))
        {
            Err(e) => e.peer_misbehaved().cloned(),
            Ok(_) => None,
        };
        assert_eq!(
            reason(&second(&[2; 32], 0x0017)),
            Some(PeerMisbehaved::CookieNotEchoed)
        );
        assert_eq!(
            reason(&second(&cookie, 0x0017)),
            Some(PeerMisbehaved::WrongRetryKeyShare),
            "a P-256 share when x25519 was asked for"
        );
        let mut ok = second(&cookie, 0x001d);
        ext(
            &mut ok,
            ClientExtension::KeyShare(vec![KeyShareEntry {
                group: 0x001d,
                payload: vec![9; 32],
            }]),
        );
        let a = accepted(negotiate(&ok, &config, Some(&retry), |_, _| Ok(None)).unwrap());
        assert_eq!(a.group, NamedGroup::X25519);
    }

    #[test]
    fn what_a_hello_lacks_names_its_alert() {
        let config = config(&[b"h2"]);
        let mut ch = hello();
        ch.cipher_suites = vec![CipherSuite::Unknown(0x1306)];
        let r = negotiate(&ch, &config, None, |_, _| Ok(None));
        assert_eq!(alert(r), AlertDescription::HandshakeFailure);

        let mut ch = hello();
        ch.extensions
            .retain(|e| !matches!(e, ClientExtension::SignatureAlgorithms(_)));
        let r = negotiate(&ch, &config, None, |_, _| Ok(None));
        assert_eq!(alert(r), AlertDescription::MissingExtension);

        let mut ch = hello();
        ext(
            &mut ch,
            ClientExtension::SupportedVersions(vec![ProtocolVersion::Tls12]),
        );
        let r = negotiate(&ch, &config, None, |_, _| Ok(None));
        assert_eq!(alert(r), AlertDescription::ProtocolVersion);

        let mut ch = hello();
        ext(&mut ch, ClientExtension::Alpn(vec![b"http/1.1".to_vec()]));
        let r = negotiate(&ch, &config, None, |_, _| Ok(None));
        assert_eq!(alert(r), AlertDescription::NoApplicationProtocol);

        let mut ch = hello();
        ext(&mut ch, ClientExtension::RecordSizeLimit(63));
        let r = negotiate(&ch, &config, None, |_, _| Ok(None));
        assert_eq!(alert(r), AlertDescription::IllegalParameter);

        let mut ch = hello();
        ext(
            &mut ch,
            ClientExtension::SignatureAlgorithms(vec![SignatureScheme::Ed25519]),
        );
        let r = negotiate(&ch, &config, None, |_, _| Ok(None));
        assert_eq!(alert(r), AlertDescription::HandshakeFailure);
    }

    #[test]
    fn sni_alpn_and_record_limit_are_taken_from_the_hello() {
        let config = config(&[b"h2", b"http/1.1"]);
        let mut ch = hello();
        ext(
            &mut ch,
            ClientExtension::ServerName(vec![ServerNameEntry {
                name_type: 0,
                name: b"example.test".to_vec(),
            }]),
        );
        ext(
            &mut ch,
            ClientExtension::Alpn(vec![b"http/1.1".to_vec(), b"h2".to_vec()]),
        );
        ext(&mut ch, ClientExtension::RecordSizeLimit(1024));
        let a = accepted(negotiate(&ch, &config, None, |_, _| Ok(None)).unwrap());
        assert_eq!(a.sni, Some("example.test"));
        assert_eq!(a.alpn.as_deref(), Some(&b"h2"[..]), "our preference wins");
        assert_eq!(a.record_limit, Some(1024));
    }

    #[test]
    fn the_psk_step_sees_the_chosen_suite_and_its_error_stops_the_hello() {
        let config = config(&[]);
        let ch = hello();
        let mut seen = None;
        let a = accepted(
            negotiate(&ch, &config, None, |_, s| {
                seen = Some(s);
                Ok(None)
            })
            .unwrap(),
        );
        assert_eq!(seen, Some(a.suite));
        let r = negotiate(&ch, &config, None, |_, _| {
            Err(Error::proto(
                AlertDescription::DecryptError,
                PeerMisbehaved::BadBinder,
            ))
        });
        assert_eq!(alert(r), AlertDescription::DecryptError);
    }
}
