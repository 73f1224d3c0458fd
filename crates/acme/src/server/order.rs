//! Orders, authorizations and challenges (RFC 8555 §7.4, §7.5).

use std::sync::Arc;

use serde::Deserialize;

use super::auth::{Authed, KeyForm};
use super::{AcmeServer, Reply, MAX_IDENTIFIERS, MAX_VALIDATIONS};
use crate::challenge::{self, HTTP_01, TLS_ALPN_01};
use crate::ids::{new_id, new_token};
use crate::jws::{key_authorization, Jwk};
use crate::model::{now, Authorization, Challenge, Identifier, Order, Status};
use crate::problem::{AcmeError, Result};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct NewOrder {
    identifiers: Vec<Identifier>,
    #[serde(default)]
    not_before: Option<String>,
    #[serde(default)]
    not_after: Option<String>,
    #[serde(default)]
    replaces: Option<String>,
}

impl AcmeServer {
    pub(crate) fn new_order(&self, url: &str, body: &[u8]) -> Result<Reply> {
        let auth = self.authenticate(url, body, KeyForm::Kid)?;
        let account = auth.account()?;
        let req: NewOrder = auth
            .jws
            .json()?
            .ok_or_else(|| AcmeError::Malformed("newOrder needs a payload".into()))?;
        if req.not_before.is_some() || req.not_after.is_some() {
            return Err(AcmeError::Malformed(
                "notBefore/notAfter are not supported: the CA sets the validity".into(),
            ));
        }
        let identifiers = self.check_identifiers(&req.identifiers)?;
        if let Some(replaces) = &req.replaces {
            // RFC 9773 §5: the replaced certificate must be known and the requester's.
            let old = self.cert_by_ari_id(replaces).map_err(|_| {
                AcmeError::Malformed(format!("\"replaces\": no certificate {replaces}"))
            })?;
            if old.account_id != account.id {
                return Err(AcmeError::Unauthorized(
                    "\"replaces\" names another account's certificate".into(),
                ));
            }
        }
        self.check_rate(&account.id)?;
        let created = now();
        let expires = created + self.cfg.order_lifetime.as_secs() as i64;
        let order_id = new_id()?;
        let mut authzs = Vec::with_capacity(identifiers.len());
        for ident in &identifiers {
            let challenge = |kind: &str| -> Result<Challenge> {
                Ok(Challenge {
                    kind: kind.into(),
                    token: new_token()?,
                    status: Status::Pending,
                    validated: None,
                    error: None,
                })
            };
            authzs.push(Authorization {
                id: new_id()?,
                order_id: order_id.clone(),
                account_id: account.id.clone(),
                identifier: ident.clone(),
                status: Status::Pending,
                expires,
                challenges: vec![challenge(HTTP_01)?, challenge(TLS_ALPN_01)?],
            });
        }
        let order = Order {
            id: order_id,
            account_id: account.id.clone(),
            status: Status::Pending,
            identifiers,
            authz_ids: authzs.iter().map(|a| a.id.clone()).collect(),
            expires,
            created,
            certificate_id: None,
            error: None,
            replaces: req.replaces,
        };
        self.store.create_order(&order, &authzs)?;
        Ok(Reply::json(201, &self.order_view(&order)).with_location(self.order_url(&order.id)))
    }

    /// Normalize, deduplicate, and ask the CA's policy now (rejectedIdentifier) rather than at
    /// finalize: a dry-run issuance with a throwaway key runs exactly `ca sign`'s checks.
    fn check_identifiers(&self, requested: &[Identifier]) -> Result<Vec<Identifier>> {
        if requested.is_empty() || requested.len() > MAX_IDENTIFIERS {
            return Err(AcmeError::Malformed(format!(
                "an order needs 1 to {MAX_IDENTIFIERS} identifiers"
            )));
        }
        let mut ids = requested
            .iter()
            .map(Identifier::normalized)
            .collect::<Result<Vec<_>>>()?;
        ids.sort();
        ids.dedup();
        let names: Vec<&str> = ids.iter().map(|i| i.value.as_str()).collect();
        let profile = https_pki::Profile::server().days(1);
        self.ca
            .issue(&names, &profile)
            .map(|_| ids)
            .map_err(|e| AcmeError::RejectedIdentifier(e.to_string()))
    }

    fn check_rate(&self, account_id: &str) -> Result<()> {
        let limit = self.cfg.orders_per_hour;
        let recent = self.store.count_orders_since(account_id, now() - 3600)?;
        if recent >= limit {
            return Err(AcmeError::RateLimited {
                detail: format!(
                    "{recent} orders in the last hour; the limit is {limit} per account"
                ),
                retry_after: 3600,
            });
        }
        Ok(())
    }

    /// The order with `id`, owned by the signer, with its status brought up to date.
    pub(crate) fn owned_order(&self, auth: &Authed, id: &str) -> Result<Order> {
        let account = auth.account()?;
        let order = self
            .store
            .order(id)?
            .filter(|o| o.account_id == account.id)
            .ok_or_else(|| AcmeError::NotFound(format!("no order {id} for this account")))?;
        self.refreshed(order)
    }

    /// An order's status follows from its authorizations when it is read, so two validations
    /// finishing at once (each seeing the other still pending) cannot leave it stuck; expiry is
    /// applied here too.
    fn refreshed(&self, mut order: Order) -> Result<Order> {
        if order.status == Status::Pending {
            let mut all_valid = true;
            for id in &order.authz_ids {
                match self.store.authz(id)?.map(|a| a.status) {
                    Some(Status::Valid) => {}
                    Some(Status::Pending) => all_valid = false,
                    _ => {
                        order.status = Status::Invalid;
                        return Ok(order);
                    }
                }
            }
            if all_valid {
                order.status = Status::Ready;
            }
        }
        if matches!(order.status, Status::Pending | Status::Ready) && order.expires < now() {
            order.status = Status::Invalid;
        }
        Ok(order)
    }

    pub(crate) fn order_get(&self, url: &str, id: &str, body: &[u8]) -> Result<Reply> {
        let auth = self.authenticate(url, body, KeyForm::Kid)?;
        let order = self.owned_order(&auth, id)?;
        Ok(Reply::json(200, &self.order_view(&order)))
    }

    fn owned_authz(&self, auth: &Authed, id: &str) -> Result<Authorization> {
        let account = auth.account()?;
        self.store
            .authz(id)?
            .filter(|a| a.account_id == account.id)
            .ok_or_else(|| AcmeError::NotFound(format!("no authorization {id} for this account")))
    }

    /// POST-as-GET, or `{"status":"deactivated"}` (§7.5.2).
    pub(crate) fn authz_post(self: &Arc<Self>, url: &str, id: &str, body: &[u8]) -> Result<Reply> {
        let auth = self.authenticate(url, body, KeyForm::Kid)?;
        let mut authz = self.owned_authz(&auth, id)?;
        if let Some(v) = auth.jws.json::<serde_json::Value>()? {
            if v.get("status").and_then(|s| s.as_str()) == Some("deactivated") {
                authz.status = Status::Deactivated;
                // A deactivated authorization sinks an order still waiting for it (§7.5.2).
                let order = self
                    .store
                    .order(&authz.order_id)?
                    .filter(|o| matches!(o.status, Status::Pending | Status::Ready))
                    .map(|mut o| {
                        o.status = Status::Invalid;
                        o
                    });
                self.store.update_authz(&authz, order.as_ref())?;
            }
        }
        self.resume_validation(&authz, &auth.key);
        let mut reply = Reply::json(200, &self.authz_view(&authz));
        if authz.status == Status::Pending {
            reply.retry_after = Some(1); // validations take about a second on loopback
        }
        Ok(reply)
    }

    /// POST `{}` starts the validation (§7.5.1); POST-as-GET shows the challenge.
    pub(crate) fn challenge_post(
        self: &Arc<Self>,
        url: &str,
        id: &str,
        body: &[u8],
    ) -> Result<Reply> {
        let auth = self.authenticate(url, body, KeyForm::Kid)?;
        let (authz_id, index) = id
            .split_once('/')
            .and_then(|(a, i)| Some((a, i.parse::<usize>().ok()?)))
            .ok_or_else(|| AcmeError::NotFound(format!("no challenge {id}")))?;
        let mut authz = self.owned_authz(&auth, authz_id)?;
        if index >= authz.challenges.len() {
            return Err(AcmeError::NotFound(format!("no challenge {id}")));
        }
        let respond = auth.jws.json::<serde_json::Value>()?.is_some();
        let startable = authz.status == Status::Pending
            && authz.expires >= now()
            && authz.challenges.iter().all(|c| c.status == Status::Pending);
        if respond && startable {
            authz.challenges[index].status = Status::Processing;
            self.store.update_authz(&authz, None)?;
        }
        if respond {
            self.resume_validation(&authz, &auth.key);
        }
        let view = self.challenge_view(&authz.id, index, &authz.challenges[index]);
        let mut reply = Reply::json(200, &view).with_link(self.authz_url(&authz.id), "up");
        if authz.challenges[index].status == Status::Processing {
            reply.retry_after = Some(1);
        }
        Ok(reply)
    }

    /// Start the validation of the authorization's processing challenge unless one is running
    /// already: after a restart, the client's next poll picks an interrupted validation up again.
    fn resume_validation(self: &Arc<Self>, authz: &Authorization, key: &Jwk) {
        let Some(index) = authz
            .challenges
            .iter()
            .position(|c| c.status == Status::Processing)
        else {
            return;
        };
        if authz.status != Status::Pending {
            return;
        }
        match self.validating.lock() {
            Ok(mut running) if running.len() < MAX_VALIDATIONS => {
                if !running.insert(authz.id.clone()) {
                    return;
                }
            }
            _ => return, // at the limit: the next poll tries again
        }
        let key_auth = key_authorization(&authz.challenges[index].token, key);
        let (server, authz) = (self.clone(), authz.clone());
        tokio::spawn(async move {
            let id = authz.id.clone();
            server.run_validation(authz, index, key_auth).await;
            if let Ok(mut running) = server.validating.lock() {
                running.remove(&id);
            }
        });
    }

    /// Validate, then record the result on the challenge, the authorization and the order in one
    /// transaction.
    async fn run_validation(&self, authz: Authorization, index: usize, key_auth: String) {
        let kind = authz.challenges[index].kind.clone();
        let outcome = challenge::validate(
            &kind,
            &authz.identifier,
            &authz.challenges[index].token,
            &key_auth,
            &self.cfg,
        )
        .await;
        if let Err(e) = self.record_validation(&authz.id, index, outcome) {
            eprintln!(
                "https-acme: could not record a validation of {}: {e}",
                authz.id
            );
        }
    }

    fn record_validation(
        &self,
        authz_id: &str,
        index: usize,
        outcome: Result<challenge::Evidence>,
    ) -> Result<()> {
        let Some(mut authz) = self.store.authz(authz_id)? else {
            return Ok(());
        };
        let Some(mut order) = self.store.order(&authz.order_id)? else {
            return Ok(());
        };
        let log = self.cfg.log;
        let c = &mut authz.challenges[index];
        match outcome {
            Ok(evidence) => {
                log.then(|| {
                    eprintln!(
                        "https-acme: {} {} valid: {}",
                        c.kind, authz.identifier.value, evidence.0
                    )
                });
                c.status = Status::Valid;
                c.validated = Some(now());
                authz.status = Status::Valid;
            }
            Err(e) => {
                log.then(|| {
                    eprintln!(
                        "https-acme: {} {} invalid: {e}",
                        c.kind, authz.identifier.value
                    )
                });
                c.status = Status::Invalid;
                c.error = Some(e.problem());
                authz.status = Status::Invalid;
                order.error = Some(e.problem());
            }
        }
        if order.status == Status::Pending {
            let mut statuses = Vec::new();
            for id in &order.authz_ids {
                let st = if *id == authz.id {
                    authz.status
                } else {
                    self.store
                        .authz(id)?
                        .map(|a| a.status)
                        .unwrap_or(Status::Invalid)
                };
                statuses.push(st);
            }
            if statuses
                .iter()
                .any(|s| *s != Status::Valid && *s != Status::Pending)
            {
                order.status = Status::Invalid;
            } else if statuses.iter().all(|s| *s == Status::Valid) {
                order.status = Status::Ready;
            }
        }
        self.store.update_authz(&authz, Some(&order))
    }
}
