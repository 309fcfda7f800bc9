//! The TLS 1.3 traffic phase: application data flows in the connection; here are the
//! post-handshake messages — KeyUpdate (RFC 8446 §4.6.3) both ways, at most
//! [`crate::common_state::MAX_UNSOLICITED`] in a row without application data, and NewSessionTicket
//! (§4.6.1) on the client.

use std::sync::Arc;

use keyward_ssl::{Provider, Side, Tls13Secret};

use crate::codec::enums::HandshakeType;
use crate::codec::handshake::{encode_key_update, parse_key_update, NewSessionTicket13};
use crate::common_state::{CommonState, Message, State};
use crate::config::ClientConfig;
use crate::error::Error;
use crate::resumption::{now_millis, ClientTicket13};

/// What a client needs to turn tickets into resumable PSKs.
pub struct TicketReceiver {
    /// The configuration whose store keeps the tickets.
    pub config: Arc<ClientConfig>,
    /// The name the tickets are stored under.
    pub server_name: String,
    /// `resumption_master_secret`.
    pub resumption_master: Tls13Secret,
    /// The server's chain, kept with each ticket.
    pub peer_certificates: Vec<Vec<u8>>,
}

/// Most tickets one connection stores (a flood costs the store nothing more).
const MAX_TICKETS_PER_CONNECTION: usize = 8;

/// The state after a TLS 1.3 handshake.
pub struct Traffic {
    provider: Arc<Provider>,
    side: Side,
    own_secret: Tls13Secret,
    peer_secret: Tls13Secret,
    exporter: Tls13Secret,
    tickets: Option<TicketReceiver>,
    tickets_stored: usize,
    /// Our KeyUpdates that asked the peer to update and that it has not answered yet: its
    /// answers are not unsolicited.
    answers_awaited: usize,
}

impl Traffic {
    /// The traffic state with our and the peer's application traffic secrets.
    pub fn new(
        provider: Arc<Provider>,
        side: Side,
        own_secret: Tls13Secret,
        peer_secret: Tls13Secret,
        exporter: Tls13Secret,
        tickets: Option<TicketReceiver>,
    ) -> Self {
        Traffic {
            provider,
            side,
            own_secret,
            peer_secret,
            exporter,
            tickets,
            tickets_stored: 0,
            answers_awaited: 0,
        }
    }

    fn update_write_key(
        &mut self,
        cx: &mut CommonState,
        update_requested: bool,
    ) -> Result<(), Error> {
        cx.send_handshake(&encode_key_update(update_requested));
        let next = self.own_secret.update_traffic_secret()?;
        cx.record
            .set_write_key(self.provider.expand_write_key(&next)?, true)?;
        self.own_secret = next;
        Ok(())
    }

    fn new_session_ticket(&mut self, body: &[u8]) -> Result<(), Error> {
        let ticket = NewSessionTicket13::parse(body)?;
        let Some(receiver) = &self.tickets else {
            return Ok(());
        };
        if ticket.lifetime == 0 || self.tickets_stored >= MAX_TICKETS_PER_CONNECTION {
            return Ok(());
        }
        let stored = self
            .provider
            .expand_pre_shared_key(&receiver.resumption_master, &ticket.nonce)
            .and_then(|psk| self.provider.export_tls13_secret(&psk));
        match stored {
            Ok(psk) => {
                receiver.config.sessions.store_tls13(
                    &receiver.server_name,
                    ClientTicket13 {
                        ticket: ticket.ticket,
                        psk,
                        suite: receiver.resumption_master.suite().id,
                        age_add: ticket.age_add,
                        lifetime: ticket.lifetime,
                        received_ms: now_millis(),
                        peer_certificates: receiver.peer_certificates.clone(),
                    },
                );
                self.tickets_stored += 1;
            }
            Err(error) => tracing::warn!(%error, "ticket not stored"),
        }
        Ok(())
    }
}

impl State for Traffic {
    fn handle(
        mut self: Box<Self>,
        cx: &mut CommonState,
        message: Message,
    ) -> Result<Box<dyn State>, Error> {
        let message = message.expect_handshake("change_cipher_spec after the handshake")?;
        match message.kind {
            HandshakeType::KeyUpdate => {
                let update_requested = parse_key_update(message.body())?;
                if !update_requested && self.answers_awaited > 0 {
                    self.answers_awaited -= 1;
                } else {
                    cx.count_unsolicited()?;
                }
                let next = self.peer_secret.update_traffic_secret()?;
                cx.record
                    .set_read_key(self.provider.expand_write_key(&next)?, true)?;
                self.peer_secret = next;
                if update_requested {
                    self.update_write_key(cx, false)?;
                }
            }
            HandshakeType::NewSessionTicket if self.side == Side::Client => {
                self.new_session_ticket(message.body())?;
            }
            _ => {
                return Err(Error::UnexpectedMessage(
                    "handshake message after a TLS 1.3 handshake",
                ))
            }
        }
        Ok(self)
    }

    fn export_keying_material(
        &self,
        out: &mut [u8],
        label: &[u8],
        context: Option<&[u8]>,
    ) -> Result<(), Error> {
        Ok(self.exporter.export_keying_material(label, context, out)?)
    }

    fn refresh_traffic_keys(&mut self, cx: &mut CommonState) -> Result<(), Error> {
        self.update_write_key(cx, true)?;
        self.answers_awaited = self.answers_awaited.saturating_add(1);
        Ok(())
    }
}
