//! Resource paths (after the base URL).

pub(crate) const DIRECTORY: &str = "/directory";
pub(crate) const NEW_NONCE: &str = "/acme/new-nonce";
pub(crate) const NEW_ACCOUNT: &str = "/acme/new-account";
pub(crate) const NEW_ORDER: &str = "/acme/new-order";
pub(crate) const REVOKE: &str = "/acme/revoke-cert";
pub(crate) const KEY_CHANGE: &str = "/acme/key-change";
pub(crate) const ACCOUNT: &str = "/acme/acct/";
pub(crate) const ORDER: &str = "/acme/order/";
pub(crate) const AUTHZ: &str = "/acme/authz/";
pub(crate) const CHALLENGE: &str = "/acme/chall/";
pub(crate) const CERT: &str = "/acme/cert/";
pub(crate) const RENEWAL_INFO: &str = "/acme/renewal-info";
pub(crate) const CRL: &str = "/crl";
pub(crate) const TERMS: &str = "/terms";
