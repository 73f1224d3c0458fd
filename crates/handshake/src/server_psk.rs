//! The server's side of resumption: which offered ticket may be resumed (and with which identity),
//! and the NewSessionTickets sent after the client's Finished.

use std::sync::Arc;

use https_record::{AlertDescription, Tls13Suite};
use ring::rand::{SecureRandom, SystemRandom};

use crate::codec::RawExtension;
use crate::codec::{
    ClientHelloExtensions, ExtensionType, HandshakeMessage, HandshakePayload,
    NewSessionTicketPayload,
};
use crate::config::ServerConfig;
use crate::context::Context;
use crate::error::{Error, PeerMisbehaved};
use crate::keyschedule::{expand_label, label, MasterSecret, Transcript};
use crate::resumption::binder;
use crate::tickets::{unix_now, TicketState, Ticketer, AGE_WINDOW_MS};

/// psk_dhe_ke (RFC 8446 §4.2.9): the only mode we resume with.
const PSK_DHE_KE: u8 = 1;

/// True when the client listed psk_dhe_ke: only then are tickets sent (RFC 8446 §4.2.9).
pub(crate) fn offers_psk_dhe(exts: &ClientHelloExtensions<'_>) -> bool {
    exts.psk_modes.is_some_and(|m| m.contains(&PSK_DHE_KE))
}

/// The session to resume, if the client offered one of our tickets that is still valid for this
/// connection. A ticket that is not ours, expired, or bound to another SNI, ALPN or client identity
/// is ignored (full handshake); a ticket we accept with a wrong binder is decrypt_error.
pub(crate) fn accept(
    cx: &mut Context<'_>,
    config: &ServerConfig,
    exts: &ClientHelloExtensions<'_>,
    raw: &[u8],
    prefix: Option<&Transcript>,
    suite: Tls13Suite,
) -> Result<Option<TicketState>, Error> {
    let (Some(ticketer), Some(offer)) = (&config.ticketer, exts.pre_shared_key) else {
        return Ok(None);
    };
    if exts.psk_modes.is_none() {
        return Err(Error::proto(
            AlertDescription::MissingExtension,
            PeerMisbehaved::MissingExtension {
                message: "ClientHello",
                extension: ExtensionType::PskKeyExchangeModes,
            },
        ));
    }
    let Some(state) = offer
        .identities
        .first()
        .and_then(|id| ticketer.open(&id.identity))
    else {
        return Ok(None);
    };
    let (sni, alpn) = (requested_sni(exts), chosen_alpn(config, exts));
    if let Err(why) = bound_to(&state, config, suite, offers_psk_dhe(exts), sni, alpn) {
        cx.check("resumption", || {
            format!("ticket ignored: {why}; full handshake")
        });
        return Ok(None);
    }
    let hash = suite.hash();
    let prefix = prefix
        .cloned()
        .unwrap_or_else(|| Transcript::new_hash(hash));
    let truncated = &raw[..raw.len().saturating_sub(offer.binders_len())];
    let expected = binder(hash, &state.psk, &prefix, truncated);
    let offered = offer.binders.first().map(Vec::as_slice).unwrap_or(&[]);
    if !crate::constant_time::eq(expected.as_bytes(), offered) {
        return Err(Error::proto(
            AlertDescription::DecryptError,
            PeerMisbehaved::BadBinder,
        ));
    }
    cx.check("resumption", || {
        "session ticket accepted, binder verified".into()
    });
    Ok(Some(state))
}

/// The host name the client asked for, lower-cased (garbage is refused later by the handshake).
fn requested_sni(exts: &ClientHelloExtensions<'_>) -> Option<String> {
    Some(String::from_utf8_lossy(exts.host_name()?).to_ascii_lowercase())
}

/// The ALPN protocol this handshake will select (the same rule as the handshake: our preference
/// order, the first the client also offers); `None` when there is none to select.
fn chosen_alpn<'a>(config: &'a ServerConfig, exts: &ClientHelloExtensions<'_>) -> Option<&'a [u8]> {
    let offered = exts.alpn?;
    config
        .alpn
        .iter()
        .find(|p| offered.contains(p))
        .map(Vec::as_slice)
}

/// Whether a ticket may resume this connection; the reason when not.
fn bound_to(
    state: &TicketState,
    config: &ServerConfig,
    suite: Tls13Suite,
    psk_dhe: bool,
    sni: Option<String>,
    alpn: Option<&[u8]>,
) -> Result<(), &'static str> {
    if state.suite != suite {
        return Err("issued for another cipher suite");
    }
    if !psk_dhe {
        return Err("the client does not offer psk_dhe_ke");
    }
    if state.sni != sni {
        return Err("issued for another server_name");
    }
    if state.alpn.as_deref() != alpn {
        return Err("issued for another ALPN protocol");
    }
    if let Some(auth) = &config.client_auth {
        match state.peer_certs.split_first() {
            None if auth.required => {
                return Err("no client certificate in it, and one is required")
            }
            None => {}
            Some((leaf, rest)) => {
                let rest: Vec<&[u8]> = rest.iter().map(Vec::as_slice).collect();
                if auth.verifier.verify_client_cert(leaf, &rest).is_err() {
                    return Err("its client certificate no longer verifies");
                }
            }
        }
    }
    Ok(())
}

/// What the server needs, after the client's Finished, to send its tickets.
pub(crate) struct PendingTickets {
    ticketer: Arc<Ticketer>,
    count: u8,
    lifetime: u32,
    max_early_data: u32,
    ks: MasterSecret,
}

/// Tickets are owed when they are on, the count is not 0 and the client offered psk_dhe_ke.
pub(crate) fn pending(
    config: &ServerConfig,
    exts: &ClientHelloExtensions<'_>,
    ks: MasterSecret,
) -> Option<PendingTickets> {
    let ticketer = config.ticketer.clone()?;
    (config.ticket_count > 0 && offers_psk_dhe(exts)).then_some(PendingTickets {
        ticketer,
        count: config.ticket_count,
        lifetime: config.ticket_lifetime,
        max_early_data: config.max_early_data_size,
        ks,
    })
}

/// Sends the NewSessionTickets for the session just established; `transcript_hash` covers the
/// client's Finished. Queued before any application data: they leave with the next `write_tls`.
pub(crate) fn issue(
    cx: &mut Context<'_>,
    pending: PendingTickets,
    suite: Tls13Suite,
    transcript_hash: &[u8],
) -> Result<(), Error> {
    let resumption_master = pending.ks.derive(label::RES_MASTER, transcript_hash);
    let rng = SystemRandom::new();
    for i in 0..pending.count {
        let nonce = [i];
        let psk = expand_label(
            suite.hash(),
            resumption_master.as_bytes(),
            label::RESUMPTION,
            &nonce,
        );
        let mut age = [0u8; 4];
        rng.fill(&mut age)
            .map_err(|_| Error::internal("no randomness"))?;
        let state = TicketState {
            suite,
            psk,
            issued: unix_now(),
            lifetime: pending.lifetime,
            age_add: u32::from_be_bytes(age),
            max_early_data: pending.max_early_data,
            sni: cx.info().sni.as_deref().map(str::to_ascii_lowercase),
            alpn: cx.info().alpn.clone(),
            peer_certs: cx.info().peer_certs.clone(),
        };
        let Some(ticket) = pending.ticketer.seal(&state)? else {
            cx.check("NewSessionTicket", || {
                "none: the client's identity does not fit in a ticket".into()
            });
            return Ok(());
        };
        let nst = NewSessionTicketPayload {
            lifetime: state.lifetime,
            age_add: state.age_add,
            nonce: nonce.to_vec(),
            ticket,
            // early_data (RFC 8446 §4.2.10): the most 0-RTT bytes this ticket may carry.
            extensions: (state.max_early_data > 0)
                .then(|| RawExtension {
                    typ: ExtensionType::EarlyData,
                    body: state.max_early_data.to_be_bytes().to_vec(),
                })
                .into_iter()
                .collect(),
        };
        cx.send_hs(
            &HandshakeMessage(HandshakePayload::NewSessionTicket(nst)),
            None,
        );
    }
    Ok(())
}

/// Whether the 0-RTT data of this resumption may be accepted (RFC 8446 §4.2.10, §8); the budget
/// in bytes, or why not. Suite, ALPN and SNI already match the ticket (`bound_to`); here: 0-RTT
/// on, the ticket allowed it, the first hello (no HelloRetryRequest), the client's ticket age
/// within [`AGE_WINDOW_MS`] of ours, and the PSK binder not seen before (the strike register).
pub(crate) fn early_data_budget(
    config: &ServerConfig,
    exts: &ClientHelloExtensions<'_>,
    state: &TicketState,
    after_hrr: bool,
) -> Result<usize, &'static str> {
    if config.max_early_data_size == 0 {
        return Err("0-RTT is off");
    }
    if state.max_early_data == 0 {
        return Err("the ticket does not allow it");
    }
    if after_hrr {
        return Err("after a HelloRetryRequest");
    }
    let Some(offer) = exts.pre_shared_key else {
        return Err("no pre_shared_key");
    };
    let (Some(id), Some(binder)) = (offer.identities.first(), offer.binders.first()) else {
        return Err("no PSK identity");
    };
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    let client_age = u64::from(id.obfuscated_ticket_age.wrapping_sub(state.age_add));
    let our_age = now_ms.saturating_sub(state.issued.saturating_mul(1000));
    // `issued` has one-second resolution: allow that second on top of the window.
    if client_age.abs_diff(our_age) > AGE_WINDOW_MS + 1000 {
        return Err("the client's ticket age is outside the freshness window");
    }
    if !config.strikes.check_and_insert(binder, now_ms) {
        return Err("this ClientHello was seen before (replay) or the strike register is full");
    }
    Ok(config.max_early_data_size.min(state.max_early_data) as usize)
}

/// The 0-RTT decision for an accepted hello, traced: (byte budget, client_early_traffic_secret,
/// logged) when accepted. `t` holds the ClientHello.
pub(crate) fn accept_early(
    cx: &mut Context<'_>,
    config: &ServerConfig,
    a: &crate::negotiate::Accepted<'_>,
    after_hrr: bool,
    t: &Transcript,
) -> Option<(usize, crate::keyschedule::Secret)> {
    let state = a.resumed.as_ref()?;
    if !a.exts.early_data {
        return None;
    }
    match early_data_budget(config, &a.exts, state, after_hrr) {
        Ok(budget) => {
            let early =
                crate::keyschedule::EarlySecret::new(a.suite.hash(), Some(state.psk.as_bytes()));
            let secret = early.derive(label::C_E_TRAFFIC, t.current_hash().as_ref());
            cx.log_secret(
                "CLIENT_EARLY_TRAFFIC_SECRET",
                "client_early_traffic_secret",
                &secret,
            );
            cx.check("early data", || {
                format!("0-RTT accepted (up to {budget} bytes; replayable: the binder is recorded)")
            });
            Some((budget, secret))
        }
        Err(why) => {
            cx.check("early data", || format!("rejected: {why}; will be skipped"));
            None
        }
    }
}
