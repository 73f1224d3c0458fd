//! The JSON bodies of §7.1: stored objects with their ids turned into URLs.

use serde_json::{json, Value};

use super::paths;
use super::AcmeServer;
use crate::model::{rfc3339, Account, Authorization, Challenge, Order};

impl AcmeServer {
    pub(crate) fn order_url(&self, id: &str) -> String {
        self.url(&format!("{}{id}", paths::ORDER))
    }

    pub(crate) fn authz_url(&self, id: &str) -> String {
        self.url(&format!("{}{id}", paths::AUTHZ))
    }

    pub(crate) fn challenge_url(&self, authz_id: &str, index: usize) -> String {
        self.url(&format!("{}{authz_id}/{index}", paths::CHALLENGE))
    }

    pub(crate) fn cert_url(&self, id: &str) -> String {
        self.url(&format!("{}{id}", paths::CERT))
    }

    pub(crate) fn account_view(&self, a: &Account) -> Value {
        json!({
            "status": a.status,
            "contact": a.contact,
            "orders": format!("{}/orders", self.account_url(&a.id)),
            "key": a.key,
        })
    }

    pub(crate) fn order_view(&self, o: &Order) -> Value {
        let mut v = json!({
            "status": o.status,
            "expires": rfc3339(o.expires),
            "identifiers": o.identifiers,
            "authorizations": o.authz_ids.iter().map(|a| self.authz_url(a)).collect::<Vec<_>>(),
            "finalize": format!("{}/finalize", self.order_url(&o.id)),
        });
        if let Some(c) = &o.certificate_id {
            v["certificate"] = json!(self.cert_url(c));
        }
        if let Some(e) = &o.error {
            v["error"] = json!(e);
        }
        if let Some(r) = &o.replaces {
            v["replaces"] = json!(r);
        }
        v
    }

    pub(crate) fn challenge_view(&self, authz_id: &str, index: usize, c: &Challenge) -> Value {
        let mut v = json!({
            "type": c.kind,
            "url": self.challenge_url(authz_id, index),
            "status": c.status,
            "token": c.token,
        });
        if let Some(t) = c.validated {
            v["validated"] = json!(rfc3339(t));
        }
        if let Some(e) = &c.error {
            v["error"] = json!(e);
        }
        v
    }

    pub(crate) fn authz_view(&self, a: &Authorization) -> Value {
        let challenges: Vec<Value> = a
            .challenges
            .iter()
            .enumerate()
            .map(|(i, c)| self.challenge_view(&a.id, i, c))
            .collect();
        json!({
            "identifier": a.identifier,
            "status": a.status,
            "expires": rfc3339(a.expires),
            "challenges": challenges,
        })
    }
}
