//! Where the ACME state lives, behind a small trait so another database can serve a fleet.
//!
//! Every method is one transaction: a caller never sees (and a crash never leaves) half a state
//! change, e.g. an order marked valid without its certificate. Nonces are not here (memory only).

mod sqlite;

pub use sqlite::SqliteStore;

use crate::model::{Account, Authorization, CertRecord, Order};
use crate::problem::Result;

/// Persistent ACME state. Implementations must make each call atomic and durable on return.
pub trait Store: Send + Sync + std::fmt::Debug {
    /// Insert a new account; fails if its key thumbprint is already registered.
    fn create_account(&self, account: &Account) -> Result<()>;
    /// The account with this id.
    fn account(&self, id: &str) -> Result<Option<Account>>;
    /// The account whose key has this thumbprint.
    fn account_by_thumbprint(&self, thumbprint: &str) -> Result<Option<Account>>;
    /// Replace an account (contact, status, key); fails if the new key is another account's.
    fn update_account(&self, account: &Account) -> Result<()>;
    /// Insert an order and its authorizations together.
    fn create_order(&self, order: &Order, authzs: &[Authorization]) -> Result<()>;
    /// The order with this id.
    fn order(&self, id: &str) -> Result<Option<Order>>;
    /// Ids of an account's orders, oldest first.
    fn orders_of(&self, account_id: &str) -> Result<Vec<String>>;
    /// How many orders the account created at or after `since` (Unix time).
    fn count_orders_since(&self, account_id: &str, since: i64) -> Result<u64>;
    /// Replace an order.
    fn update_order(&self, order: &Order) -> Result<()>;
    /// The authorization with this id.
    fn authz(&self, id: &str) -> Result<Option<Authorization>>;
    /// Replace an authorization and (when its change moves the order) the order, together.
    fn update_authz(&self, authz: &Authorization, order: Option<&Order>) -> Result<()>;
    /// Store a new certificate and the order that now points at it, together.
    fn finalize(&self, order: &Order, cert: &CertRecord) -> Result<()>;
    /// The certificate with this id.
    fn certificate(&self, id: &str) -> Result<Option<CertRecord>>;
    /// The certificate with this serial (lowercase hex).
    fn certificate_by_serial(&self, serial_hex: &str) -> Result<Option<CertRecord>>;
    /// Replace a certificate record (revocation).
    fn update_certificate(&self, cert: &CertRecord) -> Result<()>;
    /// Every revoked certificate (for the CRL).
    fn revoked(&self) -> Result<Vec<CertRecord>>;
}
