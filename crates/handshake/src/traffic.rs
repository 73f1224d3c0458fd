//! The traffic phase, shared by both roles once the handshake is over: application keys and
//! KeyUpdate (RFC 8446 §4.6.3), through the connection's [`Context`].

use https_record::{next_traffic_secret, Tls13Suite};

use crate::codec::{HandshakeMessage, HandshakePayload};
use crate::context::Context;
use crate::error::{Error, PeerMisbehaved};
use crate::keyschedule::Secret;

/// The traffic phase, shared by both roles: application keys and KeyUpdate (RFC 8446 §4.6.3).
pub(crate) struct Traffic {
    pub(crate) suite: Tls13Suite,
    pub(crate) write_secret: Secret,
    pub(crate) read_secret: Secret,
    pub(crate) exporter: Secret,
}

impl Traffic {
    pub(crate) fn handle(
        mut self,
        cx: &mut Context<'_>,
        msg: HandshakeMessage,
        is_client: bool,
    ) -> Result<Self, Error> {
        match msg.0 {
            HandshakePayload::KeyUpdate(requested) => {
                let h = self.suite.hash();
                self.read_secret =
                    Secret::from_slice(&next_traffic_secret(h, self.read_secret.as_bytes()));
                cx.set_read_key(self.suite, &self.read_secret);
                // Answered lazily, before our next record (see `Common::key_update_owed`);
                // after our close_notify nothing more is sent, KeyUpdate included.
                if requested && !cx.close_sent() {
                    cx.set_key_update_owed(true);
                }
                Ok(self)
            }
            // Tickets without a session store (resumption off) are ignored.
            HandshakePayload::NewSessionTicket(_) if is_client => Ok(self),
            other => Err(Error::unexpected(PeerMisbehaved::UnexpectedAfterHandshake(
                other.name(),
            ))),
        }
    }

    /// Sends a KeyUpdate and switches our write key; it also answers a peer's pending request.
    pub(crate) fn update_write(
        &mut self,
        cx: &mut Context<'_>,
        request_peer: bool,
    ) -> Result<(), Error> {
        if cx.close_sent() {
            return Err(Error::Closed);
        }
        cx.set_key_update_owed(false);
        cx.send_hs(
            &HandshakeMessage(HandshakePayload::KeyUpdate(request_peer)),
            None,
        );
        self.write_secret = Secret::from_slice(&next_traffic_secret(
            self.suite.hash(),
            self.write_secret.as_bytes(),
        ));
        cx.set_write_key(self.suite, &self.write_secret)
    }
}
