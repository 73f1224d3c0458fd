//! Certificates for the benchmarks: a root and a leaf for `localhost`, made once per run.

use anyhow::{Context, Result};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, SignatureAlgorithm,
};

/// The server key kinds the handshake rows use.
#[derive(Clone, Copy, Debug)]
pub enum ServerKey {
    EcdsaP256,
    Rsa2048,
}

impl ServerKey {
    pub fn name(self) -> &'static str {
        match self {
            ServerKey::EcdsaP256 => "ecdsa-p256",
            ServerKey::Rsa2048 => "rsa-2048",
        }
    }
}

/// A chain of two: the leaf (for `localhost`) signed by a self-signed root the client trusts.
pub struct Chain {
    pub root_der: Vec<u8>,
    pub leaf_der: Vec<u8>,
    /// The leaf's private key, PKCS#8 DER.
    pub leaf_key_pkcs8: Vec<u8>,
}

fn generate_key(kind: ServerKey) -> Result<KeyPair> {
    match kind {
        ServerKey::EcdsaP256 => Ok(KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?),
        ServerKey::Rsa2048 => {
            let key = https_kit::pki::PrivateKey::generate(https_kit::pki::KeyType::Rsa2048)
                .context("generating an RSA-2048 key")?;
            let alg: &'static SignatureAlgorithm = &rcgen::PKCS_RSA_SHA256;
            Ok(KeyPair::from_der_and_sign_algo(
                &rustls_pki_types::PrivateKeyDer::Pkcs8(key.pkcs8_der().to_vec().into()),
                alg,
            )?)
        }
    }
}

impl Chain {
    pub fn new(kind: ServerKey) -> Result<Chain> {
        let root_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?;
        let mut root_params = CertificateParams::new(Vec::<String>::new())?;
        root_params
            .distinguished_name
            .push(DnType::CommonName, "https-kit bench root");
        root_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        root_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let root = root_params.self_signed(&root_key)?;
        let issuer = Issuer::new(root_params, &root_key);

        let leaf_key = generate_key(kind)?;
        let mut leaf_params = CertificateParams::new(vec!["localhost".to_string()])?;
        leaf_params
            .distinguished_name
            .push(DnType::CommonName, "localhost");
        leaf_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        leaf_params.use_authority_key_identifier_extension = true;
        let leaf = leaf_params.signed_by(&leaf_key, &issuer)?;
        Ok(Chain {
            root_der: root.der().to_vec(),
            leaf_der: leaf.der().to_vec(),
            leaf_key_pkcs8: leaf_key.serialize_der(),
        })
    }
}
