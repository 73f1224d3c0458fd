//! The default store: one SQLite file (rusqlite, bundled SQLite), objects as JSON rows.
//!
//! Each object is one row holding its JSON; the columns beside it are only the keys the
//! server looks things up by. One connection behind a mutex: the server's writes are small and
//! rare next to the signatures around them.

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::Store;
use crate::model::{Account, Authorization, CertRecord, Order};
use crate::problem::{internal, AcmeError, Result};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS accounts (id TEXT PRIMARY KEY, thumbprint TEXT NOT NULL UNIQUE, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS orders (id TEXT PRIMARY KEY, account_id TEXT NOT NULL, created INTEGER NOT NULL, body TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS orders_by_account ON orders (account_id, created);
CREATE TABLE IF NOT EXISTS authzs (id TEXT PRIMARY KEY, order_id TEXT NOT NULL, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS certs (id TEXT PRIMARY KEY, serial TEXT NOT NULL UNIQUE, revoked INTEGER NOT NULL, body TEXT NOT NULL);
";

/// SQLite-backed [`Store`].
#[derive(Debug)]
pub struct SqliteStore {
    conn: Mutex<Connection>,
}

fn db<E: std::fmt::Display>(e: E) -> AcmeError {
    internal(format!("database: {e}"))
}

fn to_json<T: Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(db)
}

fn from_json<T: DeserializeOwned>(s: Option<String>) -> Result<Option<T>> {
    s.map(|s| serde_json::from_str(&s).map_err(db)).transpose()
}

impl SqliteStore {
    /// Open (or create) the database file.
    pub fn open(path: &Path) -> Result<Self> {
        Self::init(Connection::open(path).map_err(db)?)
    }

    /// A database in memory (tests; state is lost at exit).
    pub fn in_memory() -> Result<Self> {
        Self::init(Connection::open_in_memory().map_err(db)?)
    }

    fn init(conn: Connection) -> Result<Self> {
        // WAL + synchronous=FULL: a committed change survives a crash of the process or machine.
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(db)?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(db)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(db)?;
        conn.execute_batch(SCHEMA).map_err(db)?;
        Ok(SqliteStore {
            conn: Mutex::new(conn),
        })
    }

    fn lock(&self) -> Result<MutexGuard<'_, Connection>> {
        self.conn
            .lock()
            .map_err(|_| internal("database lock poisoned"))
    }

    fn get<T: DeserializeOwned>(&self, sql: &str, key: &str) -> Result<Option<T>> {
        let c = self.lock()?;
        let body: Option<String> = c
            .query_row(sql, [key], |r| r.get(0))
            .optional()
            .map_err(db)?;
        from_json(body)
    }

    /// Run `f` in one IMMEDIATE transaction (write lock taken up front).
    fn tx<F>(&self, f: F) -> Result<()>
    where
        F: FnOnce(&rusqlite::Transaction<'_>) -> rusqlite::Result<()>,
    {
        let mut c = self.lock()?;
        let tx = c
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db)?;
        f(&tx).map_err(|e| match e {
            rusqlite::Error::SqliteFailure(err, _)
                if err.code == rusqlite::ErrorCode::ConstraintViolation =>
            {
                AcmeError::Malformed("that key is already registered to an account".into())
            }
            e => db(e),
        })?;
        tx.commit().map_err(db)
    }
}

fn put_authz(
    tx: &rusqlite::Transaction<'_>,
    a: &Authorization,
    body: &str,
) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT OR REPLACE INTO authzs (id, order_id, body) VALUES (?1, ?2, ?3)",
        params![a.id, a.order_id, body],
    )
    .map(|_| ())
}

fn put_order(tx: &rusqlite::Transaction<'_>, o: &Order, body: &str) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT OR REPLACE INTO orders (id, account_id, created, body) VALUES (?1, ?2, ?3, ?4)",
        params![o.id, o.account_id, o.created, body],
    )
    .map(|_| ())
}

fn put_cert(tx: &rusqlite::Transaction<'_>, c: &CertRecord, body: &str) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT OR REPLACE INTO certs (id, serial, revoked, body) VALUES (?1, ?2, ?3, ?4)",
        params![c.id, c.serial_hex, c.revoked.is_some(), body],
    )
    .map(|_| ())
}

impl Store for SqliteStore {
    fn create_account(&self, a: &Account) -> Result<()> {
        let body = to_json(a)?;
        self.tx(|tx| {
            tx.execute(
                "INSERT INTO accounts (id, thumbprint, body) VALUES (?1, ?2, ?3)",
                params![a.id, a.thumbprint, body],
            )
            .map(|_| ())
        })
    }

    fn account(&self, id: &str) -> Result<Option<Account>> {
        self.get("SELECT body FROM accounts WHERE id = ?1", id)
    }

    fn account_by_thumbprint(&self, tp: &str) -> Result<Option<Account>> {
        self.get("SELECT body FROM accounts WHERE thumbprint = ?1", tp)
    }

    fn update_account(&self, a: &Account) -> Result<()> {
        let body = to_json(a)?;
        self.tx(|tx| {
            tx.execute(
                "UPDATE accounts SET thumbprint = ?2, body = ?3 WHERE id = ?1",
                params![a.id, a.thumbprint, body],
            )
            .map(|_| ())
        })
    }

    fn create_order(&self, o: &Order, authzs: &[Authorization]) -> Result<()> {
        let body = to_json(o)?;
        let bodies = authzs.iter().map(to_json).collect::<Result<Vec<_>>>()?;
        self.tx(|tx| {
            put_order(tx, o, &body)?;
            authzs
                .iter()
                .zip(&bodies)
                .try_for_each(|(a, b)| put_authz(tx, a, b))
        })
    }

    fn order(&self, id: &str) -> Result<Option<Order>> {
        self.get("SELECT body FROM orders WHERE id = ?1", id)
    }

    fn orders_of(&self, account_id: &str) -> Result<Vec<String>> {
        let c = self.lock()?;
        let mut st = c
            .prepare("SELECT id FROM orders WHERE account_id = ?1 ORDER BY created, id")
            .map_err(db)?;
        let ids = st
            .query_map([account_id], |r| r.get(0))
            .map_err(db)?
            .collect::<rusqlite::Result<Vec<String>>>()
            .map_err(db)?;
        Ok(ids)
    }

    fn count_orders_since(&self, account_id: &str, since: i64) -> Result<u64> {
        let c = self.lock()?;
        let n: i64 = c
            .query_row(
                "SELECT COUNT(*) FROM orders WHERE account_id = ?1 AND created >= ?2",
                params![account_id, since],
                |r| r.get(0),
            )
            .map_err(db)?;
        Ok(n.max(0) as u64)
    }

    fn update_order(&self, o: &Order) -> Result<()> {
        let body = to_json(o)?;
        self.tx(|tx| put_order(tx, o, &body))
    }

    fn authz(&self, id: &str) -> Result<Option<Authorization>> {
        self.get("SELECT body FROM authzs WHERE id = ?1", id)
    }

    fn update_authz(&self, a: &Authorization, order: Option<&Order>) -> Result<()> {
        let body = to_json(a)?;
        let order_body = order.map(to_json).transpose()?;
        self.tx(|tx| {
            put_authz(tx, a, &body)?;
            match (order, &order_body) {
                (Some(o), Some(b)) => put_order(tx, o, b),
                _ => Ok(()),
            }
        })
    }

    fn finalize(&self, o: &Order, cert: &CertRecord) -> Result<()> {
        let (ob, cb) = (to_json(o)?, to_json(cert)?);
        let mut c = self.lock()?;
        let tx = c
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db)?;
        // Two finalize requests racing: the first to commit wins; the second's certificate is
        // dropped unseen and its client is told the order is already finalized.
        let stored: Option<String> = tx
            .query_row("SELECT body FROM orders WHERE id = ?1", [&o.id], |r| {
                r.get(0)
            })
            .optional()
            .map_err(db)?;
        let stored: Option<Order> = from_json(stored)?;
        if stored.is_some_and(|s| s.certificate_id.is_some()) {
            return Err(AcmeError::OrderNotReady(
                "the order is already finalized".into(),
            ));
        }
        put_cert(&tx, cert, &cb).map_err(db)?;
        put_order(&tx, o, &ob).map_err(db)?;
        tx.commit().map_err(db)
    }

    fn certificate(&self, id: &str) -> Result<Option<CertRecord>> {
        self.get("SELECT body FROM certs WHERE id = ?1", id)
    }

    fn certificate_by_serial(&self, serial_hex: &str) -> Result<Option<CertRecord>> {
        self.get("SELECT body FROM certs WHERE serial = ?1", serial_hex)
    }

    fn update_certificate(&self, cert: &CertRecord) -> Result<()> {
        let body = to_json(cert)?;
        self.tx(|tx| put_cert(tx, cert, &body))
    }

    fn revoked(&self) -> Result<Vec<CertRecord>> {
        let c = self.lock()?;
        let mut st = c
            .prepare("SELECT body FROM certs WHERE revoked = 1 ORDER BY serial")
            .map_err(db)?;
        let rows = st
            .query_map([], |r| r.get::<_, String>(0))
            .map_err(db)?
            .collect::<rusqlite::Result<Vec<String>>>()
            .map_err(db)?;
        rows.into_iter()
            .map(|s| serde_json::from_str(&s).map_err(db))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Status;

    fn order() -> Order {
        Order {
            id: "o1".into(),
            account_id: "a1".into(),
            status: Status::Ready,
            identifiers: vec![],
            authz_ids: vec![],
            expires: i64::MAX,
            created: 0,
            certificate_id: None,
            error: None,
            replaces: None,
        }
    }

    fn cert(id: &str) -> CertRecord {
        CertRecord {
            id: id.into(),
            order_id: "o1".into(),
            account_id: "a1".into(),
            serial_hex: id.into(),
            der_hex: String::new(),
            chain_pem: String::new(),
            not_before: 0,
            not_after: 0,
            revoked: None,
        }
    }

    #[test]
    fn an_order_is_finalized_once() {
        let store = SqliteStore::in_memory().unwrap();
        store.create_order(&order(), &[]).unwrap();
        let mut done = order();
        done.status = Status::Valid;
        done.certificate_id = Some("c1".into());
        store.finalize(&done, &cert("c1")).unwrap();
        done.certificate_id = Some("c2".into());
        let again = store.finalize(&done, &cert("c2"));
        assert!(
            matches!(again, Err(AcmeError::OrderNotReady(_))),
            "{again:?}"
        );
        assert!(store.certificate("c2").unwrap().is_none());
        assert_eq!(
            store
                .order("o1")
                .unwrap()
                .unwrap()
                .certificate_id
                .as_deref(),
            Some("c1")
        );
    }
}
