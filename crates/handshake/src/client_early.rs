//! 0-RTT on the client (RFC 8446 §4.2.10): early data goes out right after the ClientHello when
//! the caller gave some and the stored ticket allows that much (same ALPN as the ticket's
//! session); EndOfEarlyData ends it once the server accepted, else the bytes are resent as
//! ordinary application data after the handshake. The early records are sealed with their own
//! sealer, so the connection's write key stays as the handshake needs it (plaintext for a second
//! ClientHello after a HelloRetryRequest, the handshake key after ServerHello).

use bytes::BytesMut;
use https_record::{ContentType, RecordSealer};

use crate::codec::{Codec, HandshakeMessage, HandshakePayload};
use crate::config::ClientConfig;
use crate::context::Context;
use crate::error::Error;
use crate::keyschedule::{label, EarlySecret, Transcript};
use crate::resumption::StoredTicket;

/// Early data sent, awaiting the server's verdict.
pub(crate) struct EarlySent {
    sealer: RecordSealer,
    data: Vec<u8>,
    pub(crate) accepted: bool,
}

/// Whether `data` may go as early data with `ticket`: some data, within the ticket's
/// max_early_data_size, and the ALPN we offer first is the ticket's (or neither has one).
pub(crate) fn wanted(config: &ClientConfig, ticket: Option<&StoredTicket>, data: &[u8]) -> bool {
    let Some(t) = ticket else {
        return false;
    };
    !data.is_empty()
        && data.len() <= t.max_early_data as usize
        && t.alpn.as_deref() == config.alpn.first().map(Vec::as_slice)
}

/// Derives client_early_traffic_secret from the ticket's PSK and `hello` (the ClientHello
/// message), then queues the compatibility CCS and the early data records.
pub(crate) fn send(
    cx: &mut Context<'_>,
    config: &ClientConfig,
    ticket: &StoredTicket,
    hello: &[u8],
    data: &[u8],
) -> Result<EarlySent, Error> {
    let hash = ticket.suite.hash();
    let mut th = Transcript::new_hash(hash);
    th.add(hello);
    let secret = EarlySecret::new(hash, Some(ticket.psk.as_bytes()))
        .derive(label::C_E_TRAFFIC, th.current_hash().as_ref());
    cx.log_secret(
        "CLIENT_EARLY_TRAFFIC_SECRET",
        "client_early_traffic_secret",
        &secret,
    );
    if config.middlebox_compat {
        cx.send_ccs()?;
    }
    let mut sealer = RecordSealer::from_secret(ticket.suite, secret.as_bytes());
    let mut out = BytesMut::new();
    for chunk in data.chunks(sealer.max_fragment().max(1)) {
        sealer.seal_into(ContentType::ApplicationData, chunk, &mut out)?;
    }
    cx.push_sealed(&out);
    cx.info_mut().early_offered = true;
    cx.check("early data", || {
        format!("{} bytes sent as 0-RTT with the ticket", data.len())
    });
    Ok(EarlySent {
        sealer,
        data: data.to_vec(),
        accepted: false,
    })
}

/// Before our Finished: EndOfEarlyData under the early key when the server accepted (added to
/// the transcript), else the early bytes queued again as application data.
pub(crate) fn finish(
    cx: &mut Context<'_>,
    mut early: EarlySent,
    transcript: &mut Transcript,
) -> Result<(), Error> {
    if !early.accepted {
        cx.requeue_plain(&early.data);
        cx.check("early data", || {
            "not accepted by the server: resent after the handshake".into()
        });
        return Ok(());
    }
    let eoed = HandshakeMessage(HandshakePayload::EndOfEarlyData).get_encoding();
    transcript.add(&eoed);
    let mut out = BytesMut::new();
    early
        .sealer
        .seal_into(ContentType::Handshake, &eoed, &mut out)?;
    cx.flush_hs()?;
    cx.push_sealed(&out);
    cx.trace(|| crate::TraceEvent::Sent {
        message: "EndOfEarlyData",
        bytes: eoed.len(),
    });
    Ok(())
}
