//! The handshake's code points (RFC 8446 §4 and the IANA registries), each an enum with an
//! `Unknown(raw)` case from https-record's one `code_points!` macro. Alerts and content types are
//! https-record's; cipher suites are https-record's `CipherSuite`, signature
//! schemes are here (with the https-verify algorithm each names).

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

https_record::code_points! {
    /// A TLS SignatureScheme (RFC 8446 §4.2.3): the code point on the wire, and (for the ones
    /// we implement) the protocol-neutral algorithm https-verify checks it with. The one
    /// definition of the code points.
    pub enum SignatureScheme(u16, from_u16, to_u16) {
        RsaPkcs1Sha256 = 0x0401 => "rsa_pkcs1_sha256",
        RsaPkcs1Sha384 = 0x0501 => "rsa_pkcs1_sha384",
        RsaPkcs1Sha512 = 0x0601 => "rsa_pkcs1_sha512",
        EcdsaSecp256r1Sha256 = 0x0403 => "ecdsa_secp256r1_sha256",
        EcdsaSecp384r1Sha384 = 0x0503 => "ecdsa_secp384r1_sha384",
        EcdsaSecp521r1Sha512 = 0x0603 => "ecdsa_secp521r1_sha512",
        RsaPssRsaeSha256 = 0x0804 => "rsa_pss_rsae_sha256",
        RsaPssRsaeSha384 = 0x0805 => "rsa_pss_rsae_sha384",
        RsaPssRsaeSha512 = 0x0806 => "rsa_pss_rsae_sha512",
        Ed25519 = 0x0807 => "ed25519",
        Ed448 = 0x0808 => "ed448",
        RsaPssPssSha256 = 0x0809 => "rsa_pss_pss_sha256",
        RsaPssPssSha384 = 0x080a => "rsa_pss_pss_sha384",
        RsaPssPssSha512 = 0x080b => "rsa_pss_pss_sha512",
    }
}

impl SignatureScheme {
    /// Every scheme we can verify, in our preference order (PKCS#1 v1.5, last, for certificates
    /// only).
    pub const ALL: [SignatureScheme; 9] = [
        SignatureScheme::EcdsaSecp256r1Sha256,
        SignatureScheme::Ed25519,
        SignatureScheme::EcdsaSecp384r1Sha384,
        SignatureScheme::RsaPssRsaeSha256,
        SignatureScheme::RsaPssRsaeSha384,
        SignatureScheme::RsaPssRsaeSha512,
        SignatureScheme::RsaPkcs1Sha256,
        SignatureScheme::RsaPkcs1Sha384,
        SignatureScheme::RsaPkcs1Sha512,
    ];

    /// Whether TLS 1.3 allows this scheme in CertificateVerify (RFC 8446 §4.4.3: no PKCS#1 v1.5).
    pub fn allowed_in_tls13_certificate_verify(self) -> bool {
        !matches!(
            self,
            Self::RsaPkcs1Sha256 | Self::RsaPkcs1Sha384 | Self::RsaPkcs1Sha512
        )
    }

    /// The algorithm https-verify checks a signature of this scheme with; `None` for a scheme we
    /// do not implement.
    pub fn algorithm(self) -> Option<https_verify::SignatureAlgorithm> {
        Some(match self {
            Self::RsaPkcs1Sha256 => https_verify::SignatureAlgorithm::RsaPkcs1Sha256,
            Self::RsaPkcs1Sha384 => https_verify::SignatureAlgorithm::RsaPkcs1Sha384,
            Self::RsaPkcs1Sha512 => https_verify::SignatureAlgorithm::RsaPkcs1Sha512,
            Self::EcdsaSecp256r1Sha256 => https_verify::SignatureAlgorithm::EcdsaP256Sha256,
            Self::EcdsaSecp384r1Sha384 => https_verify::SignatureAlgorithm::EcdsaP384Sha384,
            Self::RsaPssRsaeSha256 => https_verify::SignatureAlgorithm::RsaPssSha256,
            Self::RsaPssRsaeSha384 => https_verify::SignatureAlgorithm::RsaPssSha384,
            Self::RsaPssRsaeSha512 => https_verify::SignatureAlgorithm::RsaPssSha512,
            Self::Ed25519 => https_verify::SignatureAlgorithm::Ed25519,
            _ => return None,
        })
    }
}

impl std::fmt::Display for SignatureScheme {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Unknown(v) => write!(f, "unknown signature scheme 0x{v:04x}"),
            s => f.write_str(s.name()),
        }
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
