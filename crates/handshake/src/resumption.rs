//! PSK resumption (RFC 8446 §2.2, §4.6.1), client side and binders: the client keeps the latest
//! few tickets per server name, uses each once, and resumes with psk_dhe_ke (a fresh ECDHE still
//! runs, so resumed sessions keep forward secrecy). The server's tickets are in `tickets`.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::Instant;

use https_record::{HashAlg, Tls13Suite};

use crate::codec::{Codec, HandshakeMessage, HandshakePayload};
use crate::keyschedule::{finished_verify_data, label, EarlySecret, Secret, Transcript};

/// Ticket lifetime a server announces by default (seconds; see `ServerConfigBuilder::with_ticket_lifetime`).
pub const TICKET_LIFETIME: u32 = 2 * 60 * 60;

/// A ticket the client may use once.
pub(crate) struct StoredTicket {
    pub(crate) suite: Tls13Suite,
    pub(crate) psk: Secret,
    pub(crate) ticket: Vec<u8>,
    pub(crate) age_add: u32,
    pub(crate) lifetime: u32,
    pub(crate) received: Instant,
    /// The ticket's early_data max_early_data_size (0: no 0-RTT with it).
    pub(crate) max_early_data: u32,
    /// The ALPN protocol of the session (0-RTT must use the same, RFC 8446 §4.2.10).
    pub(crate) alpn: Option<Vec<u8>>,
}

/// What a NewSessionTicket adds to the session it resumes.
pub(crate) struct TicketInfo {
    pub(crate) age_add: u32,
    pub(crate) lifetime: u32,
    pub(crate) max_early_data: u32,
    pub(crate) alpn: Option<Vec<u8>>,
}

impl StoredTicket {
    pub(crate) fn obfuscated_age(&self) -> u32 {
        (self.received.elapsed().as_millis() as u32).wrapping_add(self.age_add)
    }
}

/// The client's tickets: the newest few per server name (servers send two per connection, so two
/// connections can resume in parallel), each used at most once (RFC 8446 §C.4).
#[derive(Default)]
pub struct ClientSessionStore {
    pub(crate) map: Mutex<HashMap<String, VecDeque<StoredTicket>>>,
}

impl std::fmt::Debug for ClientSessionStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ClientSessionStore")
    }
}

/// Bound on remembered server names.
const MAX_SESSIONS: usize = 256;
/// Bound on tickets kept per server name (older ones are dropped).
pub const MAX_TICKETS_PER_SERVER: usize = 4;

impl ClientSessionStore {
    pub(crate) fn take(&self, name: &str) -> Option<StoredTicket> {
        let mut m = self.map.lock().ok()?;
        let q = m.get_mut(name)?;
        let mut found = None;
        while let Some(t) = q.pop_back() {
            if t.received.elapsed().as_secs() < u64::from(t.lifetime) {
                found = Some(t);
                break;
            }
        }
        if q.is_empty() {
            m.remove(name);
        }
        found
    }

    pub(crate) fn put(
        &self,
        name: &str,
        suite: Tls13Suite,
        psk: Secret,
        ticket: Vec<u8>,
        info: TicketInfo,
    ) {
        self.push(
            name,
            StoredTicket {
                suite,
                psk,
                ticket,
                age_add: info.age_add,
                lifetime: info.lifetime,
                received: Instant::now(),
                max_early_data: info.max_early_data,
                alpn: info.alpn,
            },
        );
    }

    /// Keeps `t` as the newest ticket for `name` (also `session_file.rs`).
    pub(crate) fn push(&self, name: &str, t: StoredTicket) {
        if let Ok(mut m) = self.map.lock() {
            if m.len() >= MAX_SESSIONS && !m.contains_key(name) {
                m.clear(); // crude but bounded
            }
            let q = m.entry(name.to_string()).or_default();
            if q.len() == MAX_TICKETS_PER_SERVER {
                q.pop_front();
            }
            q.push_back(t);
        }
    }

    /// True if a ticket for `name` is stored.
    pub fn has_ticket(&self, name: &str) -> bool {
        self.tickets_for(name) > 0
    }

    /// How many unused tickets are stored for `name`.
    pub fn tickets_for(&self, name: &str) -> usize {
        self.map
            .lock()
            .map(|m| m.get(name).map_or(0, VecDeque::len))
            .unwrap_or(0)
    }
}

/// The PSK binder over `prefix` ‖ truncated ClientHello (RFC 8446 §4.2.11.2).
pub(crate) fn binder(hash: HashAlg, psk: &Secret, prefix: &Transcript, truncated: &[u8]) -> Secret {
    let early = EarlySecret::new(hash, Some(psk.as_bytes()));
    let binder_key = early.derive(label::RES_BINDER, crate::keyschedule::empty_hash(hash));
    let mut t = prefix.clone();
    t.add(truncated);
    finished_verify_data(hash, binder_key.as_bytes(), t.current_hash().as_ref())
}

/// The encoded ClientHello message without its binders list (what the binder covers).
pub(crate) fn truncated_hello(msg: &HandshakeMessage, binders_len: usize) -> Vec<u8> {
    let mut v = msg.get_encoding();
    v.truncate(v.len().saturating_sub(binders_len));
    v
}

/// Recomputes the (single) binder of a ClientHello in place.
pub(crate) fn fill_binder(
    msg: &mut HandshakeMessage,
    hash: HashAlg,
    psk: &Secret,
    prefix: &Transcript,
) {
    let HandshakePayload::ClientHello(ch) = &msg.0 else {
        return;
    };
    let Some(crate::codec::ClientExtension::PreSharedKey(offer)) = ch.extensions.last() else {
        return;
    };
    let b = binder(
        hash,
        psk,
        prefix,
        &truncated_hello(msg, offer.binders_len()),
    );
    if let HandshakePayload::ClientHello(ch) = &mut msg.0 {
        if let Some(crate::codec::ClientExtension::PreSharedKey(offer)) = ch.extensions.last_mut() {
            offer.binders = vec![b.as_bytes().to_vec()];
        }
    }
}

/// What the client needs to turn NewSessionTickets into stored PSKs.
pub(crate) struct ClientResumption {
    pub(crate) store: std::sync::Arc<ClientSessionStore>,
    pub(crate) server_name: String,
    pub(crate) suite: Tls13Suite,
    pub(crate) resumption_master: Secret,
    pub(crate) alpn: Option<Vec<u8>>,
}

impl ClientResumption {
    /// Stores the PSK of a NewSessionTicket (RFC 8446 §4.6.1), with its early_data size.
    pub(crate) fn store(
        &self,
        cx: &mut crate::context::Context<'_>,
        nst: crate::codec::NewSessionTicketPayload,
    ) {
        let psk = crate::keyschedule::expand_label(
            self.suite.hash(),
            self.resumption_master.as_bytes(),
            label::RESUMPTION,
            &nst.nonce,
        );
        let lifetime = nst.lifetime.min(7 * 24 * 3600);
        // early_data in a NewSessionTicket: max_early_data_size (RFC 8446 §4.2.10).
        let max_early_data = nst
            .extensions
            .iter()
            .find(|e| e.typ == crate::codec::ExtensionType::EarlyData)
            .and_then(|e| <[u8; 4]>::try_from(e.body.as_slice()).ok())
            .map_or(0, u32::from_be_bytes);
        let info = TicketInfo {
            age_add: nst.age_add,
            lifetime,
            max_early_data,
            alpn: self.alpn.clone(),
        };
        self.store
            .put(&self.server_name, self.suite, psk, nst.ticket, info);
        cx.check("NewSessionTicket", || {
            format!("ticket stored for {} ({lifetime} s)", self.server_name)
        });
    }
}
