//! Request authentication (RFC 8555 §6.2–6.5): JWS form, `url`, signature, then the nonce.

use super::paths;
use super::AcmeServer;
use crate::jws::{Jwk, Jws};
use crate::model::{Account, Status};
use crate::problem::{AcmeError, Result};

/// Which key form a resource takes (§6.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum KeyForm {
    /// `jwk` only (newAccount).
    Jwk,
    /// `kid` only (everything an account does).
    Kid,
    /// Either (revokeCert: account key or certificate key).
    Either,
}

/// A verified request.
#[derive(Debug)]
pub(crate) struct Authed {
    pub jws: Jws,
    /// The key that signed.
    pub key: Jwk,
    /// The account, for `kid` requests.
    pub account: Option<Account>,
}

impl Authed {
    /// The account of a `kid` request.
    pub fn account(&self) -> Result<&Account> {
        self.account
            .as_ref()
            .ok_or_else(|| AcmeError::Malformed("this resource needs a \"kid\" JWS".into()))
    }
}

impl AcmeServer {
    /// Parse and verify the JWS in `body` sent to `url`.
    ///
    /// Order of checks: form, `url` (§6.4 → unauthorized), key (`kid` must name a valid account →
    /// accountDoesNotExist / unauthorized), signature (→ unauthorized), and last the nonce
    /// (→ badNonce), so a forged request cannot burn a client's nonce.
    pub(crate) fn authenticate(&self, url: &str, body: &[u8], form: KeyForm) -> Result<Authed> {
        let jws = Jws::parse(body)?;
        if jws.protected.url != url {
            return Err(AcmeError::Unauthorized(format!(
                "JWS url {:?} is not the request URL {url:?}",
                jws.protected.url
            )));
        }
        let (key, account) = match (&jws.protected.jwk, &jws.protected.kid, form) {
            (Some(jwk), None, KeyForm::Jwk | KeyForm::Either) => (jwk.clone().validated()?, None),
            (None, Some(kid), KeyForm::Kid | KeyForm::Either) => {
                let account = self.account_for_kid(kid)?;
                (account.key.clone(), Some(account))
            }
            (Some(_), _, KeyForm::Kid) => {
                return Err(AcmeError::Malformed(
                    "this resource needs a \"kid\" (account URL), not a \"jwk\"".into(),
                ))
            }
            _ => {
                return Err(AcmeError::Malformed(
                    "newAccount needs a \"jwk\", not a \"kid\"".into(),
                ))
            }
        };
        jws.verify(&key)?;
        let nonce = jws
            .protected
            .nonce
            .as_deref()
            .ok_or_else(|| AcmeError::BadNonce("the protected header has no nonce".into()))?;
        self.nonces.consume(nonce)?;
        Ok(Authed { jws, key, account })
    }

    fn account_for_kid(&self, kid: &str) -> Result<Account> {
        let id = kid
            .strip_prefix(&self.url(paths::ACCOUNT))
            .filter(|id| !id.is_empty() && !id.contains('/'))
            .ok_or_else(|| {
                AcmeError::AccountDoesNotExist(format!("{kid:?} is not an account URL"))
            })?;
        let account = self
            .store
            .account(id)?
            .ok_or_else(|| AcmeError::AccountDoesNotExist(format!("no account {id}")))?;
        if account.status != Status::Valid {
            return Err(AcmeError::Unauthorized(format!(
                "account {id} is deactivated"
            )));
        }
        Ok(account)
    }

    /// The URL of an account.
    pub(crate) fn account_url(&self, id: &str) -> String {
        self.url(&format!("{}{id}", paths::ACCOUNT))
    }
}
