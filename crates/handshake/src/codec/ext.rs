//! Extensions (RFC 8446 §4.2, RFC 6066 server_name, RFC 7301 ExtensionType::Alpn, RFC 8449 record_size_limit).

use super::{
    put_code_points, put_prefixed, put_u16_list, put_vec, read_code_points, read_u16_list, Codec,
    InvalidMessage, LenPrefix, Reader,
};

use super::{ExtensionType, ProtocolVersion, SignatureScheme};

/// Rejects an extension block that repeats a type (RFC 8446 §4.2). A hash set, not a list: a
/// 64 KiB block holds up to 16,383 empty extensions, and a quadratic scan of those is a peer-driven
/// CPU cost.
fn check_unique(
    seen: &mut std::collections::HashSet<ExtensionType>,
    typ: ExtensionType,
) -> Result<(), InvalidMessage> {
    if !seen.insert(typ) {
        return Err(InvalidMessage::DuplicateExtension(typ));
    }
    Ok(())
}

/// A `KeyShareEntry`: a group and its public value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyShareEntry {
    /// NamedGroup code point.
    pub group: u16,
    /// Public key bytes (X25519: 32 bytes; P-256: 65-byte uncompressed point).
    pub payload: Vec<u8>,
}

impl Codec for KeyShareEntry {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.group.to_be_bytes());
        put_vec(out, LenPrefix::U16, &self.payload);
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        let group = r.u16("key_share group")?;
        // key_exchange<1..2^16-1>: an empty one is parsed so that the state machine can refuse it
        // with illegal_parameter, as RFC 8446 §4.2.8 asks for an invalid share.
        let payload = r.vec(LenPrefix::U16, "key_exchange")?.to_vec();
        Ok(Self { group, payload })
    }
}

/// A PSK identity offered in `pre_shared_key`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PskIdentity {
    /// The ticket (or external identity).
    pub identity: Vec<u8>,
    /// Obfuscated ticket age.
    pub obfuscated_ticket_age: u32,
}

/// The client's `pre_shared_key` payload (must be the last extension).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfferedPsks {
    /// Identities, in order.
    pub identities: Vec<PskIdentity>,
    /// One binder per identity.
    pub binders: Vec<Vec<u8>>,
}

impl OfferedPsks {
    /// Encoded size of the binders list (what the partial ClientHello hash excludes).
    pub fn binders_len(&self) -> usize {
        2 + self.binders.iter().map(|b| 1 + b.len()).sum::<usize>()
    }
}

impl Codec for OfferedPsks {
    fn encode(&self, out: &mut Vec<u8>) {
        put_prefixed(out, LenPrefix::U16, |o| {
            for id in &self.identities {
                put_vec(o, LenPrefix::U16, &id.identity);
                o.extend_from_slice(&id.obfuscated_ticket_age.to_be_bytes());
            }
        });
        put_prefixed(out, LenPrefix::U16, |o| {
            for b in &self.binders {
                put_vec(o, LenPrefix::U8, b);
            }
        });
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        let mut ids = r.sub(LenPrefix::U16, "psk identities")?;
        let mut identities = Vec::new();
        while !ids.is_empty() {
            let identity = ids
                .vec_bounded(LenPrefix::U16, 1, 0xffff, "psk identity")?
                .to_vec();
            let obfuscated_ticket_age = ids.u32("obfuscated_ticket_age")?;
            identities.push(PskIdentity {
                identity,
                obfuscated_ticket_age,
            });
        }
        let mut bs = r.sub(LenPrefix::U16, "psk binders")?;
        let mut binders = Vec::new();
        while !bs.is_empty() {
            binders.push(
                bs.vec_bounded(LenPrefix::U8, 32, 255, "psk binder")?
                    .to_vec(),
            );
        }
        if identities.is_empty() || identities.len() != binders.len() {
            return Err(InvalidMessage::BadLength("pre_shared_key"));
        }
        Ok(Self {
            identities,
            binders,
        })
    }
}

/// An entry of `server_name`'s ServerNameList.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerNameEntry {
    /// NameType (0 = host_name).
    pub name_type: u8,
    /// The name bytes.
    pub name: Vec<u8>,
}

/// Extensions a ClientHello may carry. Unknown ones (including GREASE) are kept raw and ignored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientExtension {
    /// server_name (SNI).
    ServerName(Vec<ServerNameEntry>),
    /// supported_groups.
    SupportedGroups(Vec<u16>),
    /// signature_algorithms.
    SignatureAlgorithms(Vec<SignatureScheme>),
    /// signature_algorithms_cert.
    SignatureAlgorithmsCert(Vec<SignatureScheme>),
    /// application_layer_protocol_negotiation.
    Alpn(Vec<Vec<u8>>),
    /// record_size_limit.
    RecordSizeLimit(u16),
    /// supported_versions (list form).
    SupportedVersions(Vec<ProtocolVersion>),
    /// key_share (client_shares).
    KeyShare(Vec<KeyShareEntry>),
    /// psk_key_exchange_modes.
    PskKeyExchangeModes(Vec<u8>),
    /// pre_shared_key (offered identities and binders).
    PreSharedKey(OfferedPsks),
    /// cookie (echoed from a HelloRetryRequest).
    Cookie(Vec<u8>),
    /// early_data (empty in a ClientHello).
    EarlyData,
    /// Anything else, kept verbatim.
    Unknown(ExtensionType, Vec<u8>),
}

fn read_alpn_list(r: &mut Reader<'_>) -> Result<Vec<Vec<u8>>, InvalidMessage> {
    let mut l =
        Reader::new(r.vec_bounded(LenPrefix::U16, 2, 0xffff, "ExtensionType::Alpn list")?);
    let mut v = Vec::new();
    while !l.is_empty() {
        v.push(
            l.vec_bounded(LenPrefix::U8, 1, 255, "ExtensionType::Alpn protocol")?
                .to_vec(),
        );
    }
    Ok(v)
}

fn put_alpn_list(out: &mut Vec<u8>, list: &[Vec<u8>]) {
    put_prefixed(out, LenPrefix::U16, |o| {
        for p in list {
            put_vec(o, LenPrefix::U8, p);
        }
    });
}

impl ClientExtension {
    /// The extension type code point.
    pub fn ext_type(&self) -> ExtensionType {
        match self {
            Self::ServerName(_) => ExtensionType::ServerName,
            Self::SupportedGroups(_) => ExtensionType::SupportedGroups,
            Self::SignatureAlgorithms(_) => ExtensionType::SignatureAlgorithms,
            Self::SignatureAlgorithmsCert(_) => ExtensionType::SignatureAlgorithmsCert,
            Self::Alpn(_) => ExtensionType::Alpn,
            Self::RecordSizeLimit(_) => ExtensionType::RecordSizeLimit,
            Self::SupportedVersions(_) => ExtensionType::SupportedVersions,
            Self::KeyShare(_) => ExtensionType::KeyShare,
            Self::PskKeyExchangeModes(_) => ExtensionType::PskKeyExchangeModes,
            Self::PreSharedKey(_) => ExtensionType::PreSharedKey,
            Self::Cookie(_) => ExtensionType::Cookie,
            Self::EarlyData => ExtensionType::EarlyData,
            Self::Unknown(t, _) => *t,
        }
    }

    fn encode_body(&self, o: &mut Vec<u8>) {
        match self {
            Self::ServerName(list) => put_prefixed(o, LenPrefix::U16, |o| {
                for e in list {
                    o.push(e.name_type);
                    put_vec(o, LenPrefix::U16, &e.name);
                }
            }),
            Self::SupportedGroups(v) => put_u16_list(o, LenPrefix::U16, v),
            Self::SignatureAlgorithms(v) | Self::SignatureAlgorithmsCert(v) => {
                put_code_points(o, LenPrefix::U16, v)
            }
            Self::Alpn(l) => put_alpn_list(o, l),
            Self::RecordSizeLimit(n) => o.extend_from_slice(&n.to_be_bytes()),
            Self::SupportedVersions(v) => put_code_points(o, LenPrefix::U8, v),
            Self::KeyShare(v) => {
                put_prefixed(o, LenPrefix::U16, |o| v.iter().for_each(|e| e.encode(o)))
            }
            Self::PskKeyExchangeModes(m) => put_vec(o, LenPrefix::U8, m),
            Self::PreSharedKey(p) => p.encode(o),
            Self::Cookie(c) => put_vec(o, LenPrefix::U16, c),
            Self::EarlyData => {}
            Self::Unknown(_, b) => o.extend_from_slice(b),
        }
    }

    fn read_body(typ: ExtensionType, r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        Ok(match typ {
            ExtensionType::ServerName => {
                let mut l =
                    Reader::new(r.vec_bounded(LenPrefix::U16, 1, 0xffff, "server_name list")?);
                let mut v = Vec::new();
                while !l.is_empty() {
                    let name_type = l.u8("name type")?;
                    let name = l
                        .vec_bounded(LenPrefix::U16, 1, 0xffff, "server name")?
                        .to_vec();
                    if v.iter().any(|e: &ServerNameEntry| e.name_type == name_type) {
                        return Err(InvalidMessage::IllegalValue(
                            "server_name: repeated name type",
                        ));
                    }
                    v.push(ServerNameEntry { name_type, name });
                }
                Self::ServerName(v)
            }
            ExtensionType::SupportedGroups => {
                Self::SupportedGroups(read_u16_list(r, LenPrefix::U16, 2, "supported_groups")?)
            }
            ExtensionType::SignatureAlgorithms => Self::SignatureAlgorithms(read_code_points(
                r,
                LenPrefix::U16,
                2,
                "signature_algorithms",
            )?),
            ExtensionType::SignatureAlgorithmsCert => Self::SignatureAlgorithmsCert(
                read_code_points(r, LenPrefix::U16, 2, "signature_algorithms_cert")?,
            ),
            ExtensionType::Alpn => Self::Alpn(read_alpn_list(r)?),
            ExtensionType::RecordSizeLimit => Self::RecordSizeLimit(r.u16("record_size_limit")?),
            ExtensionType::SupportedVersions => Self::SupportedVersions(read_code_points(
                r,
                LenPrefix::U8,
                2,
                "supported_versions",
            )?),
            ExtensionType::KeyShare => {
                let mut l = r.sub(LenPrefix::U16, "client_shares")?;
                let mut v = Vec::new();
                while !l.is_empty() {
                    v.push(KeyShareEntry::read(&mut l)?);
                }
                Self::KeyShare(v)
            }
            ExtensionType::PskKeyExchangeModes => Self::PskKeyExchangeModes(
                r.vec_bounded(LenPrefix::U8, 1, 255, "psk_key_exchange_modes")?
                    .to_vec(),
            ),
            ExtensionType::PreSharedKey => Self::PreSharedKey(OfferedPsks::read(r)?),
            ExtensionType::Cookie => {
                Self::Cookie(r.vec_bounded(LenPrefix::U16, 1, 0xffff, "cookie")?.to_vec())
            }
            ExtensionType::EarlyData => Self::EarlyData,
            t => Self::Unknown(t, r.rest().to_vec()),
        })
    }
}

/// A ClientHello's extensions decoded once, by type: what the server negotiates from. The
/// decoder already refused duplicates, so each field is the one occurrence; unknown extensions
/// (GREASE included) are not here.
#[derive(Debug, Clone, Copy, Default)]
pub struct ClientHelloExtensions<'a> {
    /// server_name entries.
    pub server_name: Option<&'a [ServerNameEntry]>,
    /// supported_groups (NamedGroup code points).
    pub supported_groups: Option<&'a [u16]>,
    /// signature_algorithms.
    pub signature_algorithms: Option<&'a [SignatureScheme]>,
    /// application_layer_protocol_negotiation, in the client's order.
    pub alpn: Option<&'a [Vec<u8>]>,
    /// record_size_limit.
    pub record_size_limit: Option<u16>,
    /// supported_versions.
    pub supported_versions: Option<&'a [ProtocolVersion]>,
    /// key_share (client_shares).
    pub key_shares: Option<&'a [KeyShareEntry]>,
    /// psk_key_exchange_modes.
    pub psk_modes: Option<&'a [u8]>,
    /// pre_shared_key.
    pub pre_shared_key: Option<&'a OfferedPsks>,
    /// cookie.
    pub cookie: Option<&'a [u8]>,
    /// early_data was offered.
    pub early_data: bool,
}

impl<'a> ClientHelloExtensions<'a> {
    /// One pass over `exts`.
    pub fn of(exts: &'a [ClientExtension]) -> Self {
        let mut x = Self::default();
        for e in exts {
            match e {
                ClientExtension::ServerName(v) => x.server_name = Some(v),
                ClientExtension::SupportedGroups(v) => x.supported_groups = Some(v),
                ClientExtension::SignatureAlgorithms(v) => x.signature_algorithms = Some(v),
                ClientExtension::Alpn(v) => x.alpn = Some(v),
                ClientExtension::RecordSizeLimit(n) => x.record_size_limit = Some(*n),
                ClientExtension::SupportedVersions(v) => x.supported_versions = Some(v),
                ClientExtension::KeyShare(v) => x.key_shares = Some(v),
                ClientExtension::PskKeyExchangeModes(v) => x.psk_modes = Some(v),
                ClientExtension::PreSharedKey(p) => x.pre_shared_key = Some(p),
                ClientExtension::Cookie(c) => x.cookie = Some(c),
                ClientExtension::EarlyData => x.early_data = true,
                ClientExtension::SignatureAlgorithmsCert(_) | ClientExtension::Unknown(..) => {}
            }
        }
        x
    }

    /// The host_name entry of server_name (RFC 6066 §3), as sent.
    pub fn host_name(&self) -> Option<&'a [u8]> {
        self.server_name?
            .iter()
            .find(|e| e.name_type == 0)
            .map(|e| e.name.as_slice())
    }
}

/// Encodes an extension block (u16-prefixed list of type, u16-prefixed body).
pub(crate) fn encode_exts<T>(
    out: &mut Vec<u8>,
    exts: &[T],
    typ: impl Fn(&T) -> ExtensionType,
    body: impl Fn(&T, &mut Vec<u8>),
) {
    put_prefixed(out, LenPrefix::U16, |o| {
        for e in exts {
            o.extend_from_slice(&typ(e).to_u16().to_be_bytes());
            put_prefixed(o, LenPrefix::U16, |o| body(e, o));
        }
    });
}

/// Decodes an extension block; rejects duplicates; each body must be consumed exactly.
pub(crate) fn read_exts<T>(
    r: &mut Reader<'_>,
    what: &'static str,
    mut f: impl FnMut(ExtensionType, &mut Reader<'_>) -> Result<T, InvalidMessage>,
) -> Result<Vec<T>, InvalidMessage> {
    let mut l = r.sub(LenPrefix::U16, what)?;
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    while !l.is_empty() {
        let typ = ExtensionType::from_u16(l.u16("extension type")?);
        check_unique(&mut seen, typ)?;
        let mut body = l.sub(LenPrefix::U16, "extension body")?;
        out.push(f(typ, &mut body)?);
        body.expect_empty("extension body")?;
    }
    Ok(out)
}

/// Encodes a ClientHello extension block.
pub fn encode_client_exts(out: &mut Vec<u8>, exts: &[ClientExtension]) {
    encode_exts(
        out,
        exts,
        ClientExtension::ext_type,
        ClientExtension::encode_body,
    )
}

/// Decodes a ClientHello extension block; `pre_shared_key` must come last (RFC 8446 §4.2.11).
pub fn read_client_exts(r: &mut Reader<'_>) -> Result<Vec<ClientExtension>, InvalidMessage> {
    let v = read_exts(r, "ClientHello extensions", ClientExtension::read_body)?;
    if let Some(i) = v
        .iter()
        .position(|e| e.ext_type() == ExtensionType::PreSharedKey)
    {
        if i + 1 != v.len() {
            return Err(InvalidMessage::IllegalValue(
                "pre_shared_key is not the last extension",
            ));
        }
    }
    Ok(v)
}

/// Extensions of a ServerHello or HelloRetryRequest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerExtension {
    /// supported_versions (selected_version).
    SupportedVersions(ProtocolVersion),
    /// key_share (server_share) in a ServerHello.
    KeyShare(KeyShareEntry),
    /// key_share (selected_group) in a HelloRetryRequest.
    HrrKeyShare(u16),
    /// pre_shared_key (selected_identity).
    PreSharedKey(u16),
    /// cookie (HelloRetryRequest).
    Cookie(Vec<u8>),
    /// Anything else, verbatim (a client rejects it: it was not offered).
    Unknown(ExtensionType, Vec<u8>),
}

impl ServerExtension {
    /// The extension type code point.
    pub fn ext_type(&self) -> ExtensionType {
        match self {
            Self::SupportedVersions(_) => ExtensionType::SupportedVersions,
            Self::KeyShare(_) | Self::HrrKeyShare(_) => ExtensionType::KeyShare,
            Self::PreSharedKey(_) => ExtensionType::PreSharedKey,
            Self::Cookie(_) => ExtensionType::Cookie,
            Self::Unknown(t, _) => *t,
        }
    }
    fn encode_body(&self, o: &mut Vec<u8>) {
        match self {
            Self::SupportedVersions(v) => o.extend_from_slice(&v.to_u16().to_be_bytes()),
            Self::HrrKeyShare(v) | Self::PreSharedKey(v) => o.extend_from_slice(&v.to_be_bytes()),
            Self::KeyShare(e) => e.encode(o),
            Self::Cookie(c) => put_vec(o, LenPrefix::U16, c),
            Self::Unknown(_, b) => o.extend_from_slice(b),
        }
    }
    pub(crate) fn read_body(
        hrr: bool,
        typ: ExtensionType,
        r: &mut Reader<'_>,
    ) -> Result<Self, InvalidMessage> {
        Ok(match typ {
            ExtensionType::SupportedVersions => {
                Self::SupportedVersions(ProtocolVersion::from_u16(r.u16("selected_version")?))
            }
            ExtensionType::KeyShare if hrr => Self::HrrKeyShare(r.u16("selected_group")?),
            ExtensionType::KeyShare => Self::KeyShare(KeyShareEntry::read(r)?),
            ExtensionType::PreSharedKey if !hrr => Self::PreSharedKey(r.u16("selected_identity")?),
            ExtensionType::Cookie if hrr => {
                Self::Cookie(r.vec_bounded(LenPrefix::U16, 1, 0xffff, "cookie")?.to_vec())
            }
            t => Self::Unknown(t, r.rest().to_vec()),
        })
    }
}

/// Encodes a ServerHello extension block.
pub fn encode_server_exts(out: &mut Vec<u8>, exts: &[ServerExtension]) {
    encode_exts(
        out,
        exts,
        ServerExtension::ext_type,
        ServerExtension::encode_body,
    )
}

/// True for the extension types named in [`ExtensionType`] (RFC 8446 §4.2 and the RFCs it
/// lists): where one appears in a message RFC 8446 does not allow it in, the answer is
/// illegal_parameter rather than unsupported_extension.
pub fn is_known_extension(typ: ExtensionType) -> bool {
    !matches!(typ, ExtensionType::Unknown(_))
}

/// Extensions we recognise that RFC 8446 §4.2 (table) never allows in EncryptedExtensions: they
/// belong to ClientHello, ServerHello, HelloRetryRequest, Certificate or CertificateRequest.
pub fn not_for_encrypted_extensions(typ: ExtensionType) -> bool {
    matches!(
        typ,
        ExtensionType::StatusRequest
            | ExtensionType::SignatureAlgorithms
            | ExtensionType::SignedCertificateTimestamp
            | ExtensionType::Padding
            | ExtensionType::PreSharedKey
            | ExtensionType::SupportedVersions
            | ExtensionType::Cookie
            | ExtensionType::PskKeyExchangeModes
            | ExtensionType::CertificateAuthorities
            | ExtensionType::OidFilters
            | ExtensionType::PostHandshakeAuth
            | ExtensionType::SignatureAlgorithmsCert
            | ExtensionType::KeyShare
    )
}

/// Extensions of EncryptedExtensions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EncryptedExtension {
    /// server_name acknowledgement (empty body).
    ServerNameAck,
    /// supported_groups (the server's preference, informational).
    SupportedGroups(Vec<u16>),
    /// ExtensionType::Alpn: exactly one selected protocol.
    Alpn(Vec<u8>),
    /// record_size_limit.
    RecordSizeLimit(u16),
    /// early_data accepted.
    EarlyData,
    /// Anything else, verbatim.
    Unknown(ExtensionType, Vec<u8>),
}

impl EncryptedExtension {
    /// The extension type code point.
    pub fn ext_type(&self) -> ExtensionType {
        match self {
            Self::ServerNameAck => ExtensionType::ServerName,
            Self::SupportedGroups(_) => ExtensionType::SupportedGroups,
            Self::Alpn(_) => ExtensionType::Alpn,
            Self::RecordSizeLimit(_) => ExtensionType::RecordSizeLimit,
            Self::EarlyData => ExtensionType::EarlyData,
            Self::Unknown(t, _) => *t,
        }
    }
    fn encode_body(&self, o: &mut Vec<u8>) {
        match self {
            Self::ServerNameAck | Self::EarlyData => {}
            Self::SupportedGroups(v) => put_u16_list(o, LenPrefix::U16, v),
            Self::Alpn(p) => put_alpn_list(o, std::slice::from_ref(p)),
            Self::RecordSizeLimit(n) => o.extend_from_slice(&n.to_be_bytes()),
            Self::Unknown(_, b) => o.extend_from_slice(b),
        }
    }
    pub(crate) fn read_body(
        typ: ExtensionType,
        r: &mut Reader<'_>,
    ) -> Result<Self, InvalidMessage> {
        Ok(match typ {
            ExtensionType::ServerName => Self::ServerNameAck,
            ExtensionType::SupportedGroups => {
                Self::SupportedGroups(read_u16_list(r, LenPrefix::U16, 2, "supported_groups")?)
            }
            ExtensionType::Alpn => {
                let mut l = read_alpn_list(r)?;
                if l.len() != 1 {
                    return Err(InvalidMessage::IllegalValue(
                        "ExtensionType::Alpn must select exactly one protocol",
                    ));
                }
                Self::Alpn(l.remove(0))
            }
            ExtensionType::RecordSizeLimit => Self::RecordSizeLimit(r.u16("record_size_limit")?),
            ExtensionType::EarlyData => Self::EarlyData,
            t => Self::Unknown(t, r.rest().to_vec()),
        })
    }
}

/// Encodes an EncryptedExtensions block.
pub fn encode_ee_exts(out: &mut Vec<u8>, exts: &[EncryptedExtension]) {
    encode_exts(
        out,
        exts,
        EncryptedExtension::ext_type,
        EncryptedExtension::encode_body,
    )
}

/// An extension kept as raw bytes (Certificate entries, CertificateRequest, NewSessionTicket).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawExtension {
    /// Type code point.
    pub typ: ExtensionType,
    /// Body bytes.
    pub body: Vec<u8>,
}

/// Encodes a block of raw extensions.
pub fn encode_raw_exts(out: &mut Vec<u8>, exts: &[RawExtension]) {
    encode_exts(out, exts, |e| e.typ, |e, o| o.extend_from_slice(&e.body))
}

/// Decodes a block of raw extensions (duplicates rejected).
pub fn read_raw_exts(
    r: &mut Reader<'_>,
    what: &'static str,
) -> Result<Vec<RawExtension>, InvalidMessage> {
    read_exts(r, what, |typ, b| {
        Ok(RawExtension {
            typ,
            body: b.rest().to_vec(),
        })
    })
}
