//! Accounts (RFC 8555 §7.3): newAccount, update, deactivation, the orders list, key rollover.

use serde::Deserialize;
use serde_json::json;

use super::auth::KeyForm;
use super::{AcmeServer, Reply};
use crate::ids::new_id;
use crate::jws::{Jwk, Jws};
use crate::model::{now, Account, Status};
use crate::problem::{AcmeError, Result};

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct NewAccount {
    #[serde(default)]
    contact: Option<Vec<String>>,
    #[serde(default)]
    only_return_existing: bool,
    #[serde(default)]
    terms_of_service_agreed: bool,
}

#[derive(Deserialize)]
struct AccountUpdate {
    #[serde(default)]
    contact: Option<Vec<String>>,
    #[serde(default)]
    status: Option<Status>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct KeyChange {
    account: String,
    old_key: Jwk,
}

/// At most this many contacts, each `mailto:` and short.
fn check_contacts(contact: &[String]) -> Result<()> {
    if contact.len() > 10 {
        return Err(AcmeError::Malformed("at most 10 contacts".into()));
    }
    for c in contact {
        if !c.starts_with("mailto:") || c.len() > 320 || c.contains(',') {
            return Err(AcmeError::UnsupportedContact(format!(
                "{c:?}: only single mailto: addresses are supported"
            )));
        }
    }
    Ok(())
}

impl AcmeServer {
    pub(crate) fn new_account(&self, url: &str, body: &[u8]) -> Result<Reply> {
        let auth = self.authenticate(url, body, KeyForm::Jwk)?;
        let req: NewAccount = auth.jws.json()?.unwrap_or_default();
        let thumbprint = auth.key.thumbprint_b64();
        if let Some(existing) = self.store.account_by_thumbprint(&thumbprint)? {
            // §7.3.6: nothing signed by a deactivated account's key is accepted.
            if existing.status != Status::Valid {
                return Err(AcmeError::Unauthorized(
                    "this key's account is deactivated".into(),
                ));
            }
            // §7.3.1: an existing key returns its account with 200.
            return Ok(Reply::json(200, &self.account_view(&existing))
                .with_location(self.account_url(&existing.id)));
        }
        if req.only_return_existing {
            return Err(AcmeError::AccountDoesNotExist(
                "no account has this key".into(),
            ));
        }
        let _ = req.terms_of_service_agreed; // no terms to enforce on a private CA
        let contact = req.contact.unwrap_or_default();
        check_contacts(&contact)?;
        let account = Account {
            id: new_id()?,
            key: auth.key,
            thumbprint,
            status: Status::Valid,
            contact,
            created: now(),
        };
        self.store.create_account(&account)?;
        Ok(Reply::json(201, &self.account_view(&account))
            .with_location(self.account_url(&account.id)))
    }

    /// POST to an account URL: POST-as-GET, contact update or deactivation (§7.3.2, §7.3.6);
    /// `ID/orders` lists the account's orders (§7.1.2.1).
    pub(crate) fn account_post(&self, url: &str, id: &str, body: &[u8]) -> Result<Reply> {
        let auth = self.authenticate(url, body, KeyForm::Kid)?;
        let mut account = auth.account()?.clone();
        let (id, orders) = match id.strip_suffix("/orders") {
            Some(id) => (id, true),
            None => (id, false),
        };
        if account.id != id {
            return Err(AcmeError::Unauthorized("that is another account".into()));
        }
        if orders {
            let urls: Vec<String> = self
                .store
                .orders_of(id)?
                .iter()
                .map(|o| self.order_url(o))
                .collect();
            return Ok(Reply::json(200, &json!({ "orders": urls })));
        }
        if let Some(update) = auth.jws.json::<AccountUpdate>()? {
            if let Some(contact) = update.contact {
                check_contacts(&contact)?;
                account.contact = contact;
            }
            match update.status {
                None | Some(Status::Valid) => {}
                Some(Status::Deactivated) => account.status = Status::Deactivated,
                Some(s) => {
                    return Err(AcmeError::Malformed(format!(
                        "an account can only be set to deactivated, not {s:?}"
                    )))
                }
            }
            self.store.update_account(&account)?;
        }
        Ok(Reply::json(200, &self.account_view(&account)).with_location(self.account_url(id)))
    }

    /// §7.3.5: the outer JWS is signed by the old key (kid), the inner by the new key (jwk).
    pub(crate) fn key_change(&self, url: &str, body: &[u8]) -> Result<Reply> {
        let auth = self.authenticate(url, body, KeyForm::Kid)?;
        let mut account = auth.account()?.clone();
        let inner = Jws::parse(&auth.jws.payload)?;
        let new_key = inner
            .protected
            .jwk
            .clone()
            .ok_or_else(|| AcmeError::Malformed("the inner JWS needs a \"jwk\"".into()))?
            .validated()?;
        if inner.protected.url != url {
            return Err(AcmeError::Malformed(
                "inner and outer JWS url differ".into(),
            ));
        }
        if inner.protected.nonce.is_some() {
            return Err(AcmeError::Malformed(
                "the inner JWS must not have a nonce".into(),
            ));
        }
        inner.verify(&new_key)?;
        let change: KeyChange = inner
            .json()?
            .ok_or_else(|| AcmeError::Malformed("empty key-change payload".into()))?;
        if change.account != self.account_url(&account.id) {
            return Err(AcmeError::Unauthorized(
                "key-change \"account\" is not the signer".into(),
            ));
        }
        if change.old_key.validated()?.thumbprint() != account.key.thumbprint() {
            return Err(AcmeError::Unauthorized(
                "\"oldKey\" is not the account's key".into(),
            ));
        }
        let thumbprint = new_key.thumbprint_b64();
        if let Some(other) = self.store.account_by_thumbprint(&thumbprint)? {
            // §7.3.5: 409 Conflict with the Location of the account that has the key.
            let mut r = Reply::problem(&AcmeError::Malformed(
                "the new key is already in use".into(),
            ));
            r.status = 409;
            return Ok(r.with_location(self.account_url(&other.id)));
        }
        account.key = new_key;
        account.thumbprint = thumbprint;
        self.store.update_account(&account)?;
        Ok(Reply::json(200, &self.account_view(&account))
            .with_location(self.account_url(&account.id)))
    }
}
