//! The handshake's code points (RFC 8446 §4 and the IANA registries), each an enum with an
//! `Unknown(raw)` case from https-record's one `code_points!` macro. Alerts and content types are
//! https-record's; cipher suites are https-record's `CipherSuite`.

https_record::code_points! {
    /// A protocol version (RFC 8446 §4.2.1; legacy_version fields).
    pub enum ProtocolVersion(u16, from_u16, to_u16) {
        Tls12 = 0x0303 => "TLSv1.2",
        Tls13 = 0x0304 => "TLSv1.3",
    }
}

https_record::code_points! {
    /// A handshake message type (RFC 8446 §4); names as the trace shows them.
    pub enum HandshakeType(u8, from_u8, to_u8) {
        ClientHello = 1 => "ClientHello",
        ServerHello = 2 => "ServerHello",
        NewSessionTicket = 4 => "NewSessionTicket",
        EndOfEarlyData = 5 => "EndOfEarlyData",
        EncryptedExtensions = 8 => "EncryptedExtensions",
        Certificate = 11 => "Certificate",
        CertificateRequest = 13 => "CertificateRequest",
        CertificateVerify = 15 => "CertificateVerify",
        Finished = 20 => "Finished",
        KeyUpdate = 24 => "KeyUpdate",
        MessageHash = 254 => "message_hash",
    }
}

https_record::code_points! {
    /// An extension type (RFC 8446 §4.2 and the RFCs it lists). Every named type is "known": where
    /// one appears in a message RFC 8446 does not allow it in, the answer is illegal_parameter
    /// rather than unsupported_extension.
    pub enum ExtensionType(u16, from_u16, to_u16) {
        ServerName = 0 => "server_name",
        StatusRequest = 5 => "status_request",
        SupportedGroups = 10 => "supported_groups",
        SignatureAlgorithms = 13 => "signature_algorithms",
        Alpn = 16 => "application_layer_protocol_negotiation",
        SignedCertificateTimestamp = 18 => "signed_certificate_timestamp",
        Padding = 21 => "padding",
        RecordSizeLimit = 28 => "record_size_limit",
        PreSharedKey = 41 => "pre_shared_key",
        EarlyData = 42 => "early_data",
        SupportedVersions = 43 => "supported_versions",
        Cookie = 44 => "cookie",
        PskKeyExchangeModes = 45 => "psk_key_exchange_modes",
        CertificateAuthorities = 47 => "certificate_authorities",
        OidFilters = 48 => "oid_filters",
        PostHandshakeAuth = 49 => "post_handshake_auth",
        SignatureAlgorithmsCert = 50 => "signature_algorithms_cert",
        KeyShare = 51 => "key_share",
    }
}

impl std::fmt::Display for ProtocolVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Unknown(v) => write!(f, "unknown version 0x{v:04x}"),
            v => f.write_str(v.name()),
        }
    }
}

impl std::fmt::Display for ExtensionType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Unknown(v) => write!(f, "extension {v}"),
            t => write!(f, "{} ({})", t.name(), t.to_u16()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_round_trips_and_names_are_canonical() {
        for v in 0..=u16::MAX {
            assert_eq!(ExtensionType::from_u16(v).to_u16(), v);
            assert_eq!(ProtocolVersion::from_u16(v).to_u16(), v);
        }
        for v in 0..=u8::MAX {
            assert_eq!(HandshakeType::from_u8(v).to_u8(), v);
        }
        assert_eq!(ExtensionType::from_u16(51), ExtensionType::KeyShare);
        assert_eq!(ProtocolVersion::Tls13.to_string(), "TLSv1.3");
        assert_eq!(ExtensionType::Unknown(0xfafa).name(), "unknown");
    }
}
