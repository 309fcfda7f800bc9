//! The TLS 1.2 traffic phase: application data flows in the connection; renegotiation is
//! refused with a `no_renegotiation` warning (RFC 5246 §7.2.2, RFC 5746 §4.2 and §4.4), at
//! most [`crate::common_state::MAX_UNSOLICITED`] times in a row.

use keyward_ssl::{MasterKey, Side};

use crate::alert::{AlertDescription, AlertLevel};
use crate::codec::enums::HandshakeType;
use crate::common_state::{CommonState, Message, State};
use crate::error::Error;
use crate::tls12::Randoms;

/// The state after a TLS 1.2 handshake.
pub struct Traffic {
    side: Side,
    master: MasterKey,
    randoms: Randoms,
}

impl Traffic {
    /// The traffic state; the master key stays for the exporter.
    pub fn new(side: Side, master: MasterKey, randoms: Randoms) -> Self {
        Traffic {
            side,
            master,
            randoms,
        }
    }
}

impl State for Traffic {
    fn handle(
        self: Box<Self>,
        cx: &mut CommonState,
        message: Message,
    ) -> Result<Box<dyn State>, Error> {
        let message = message.expect_handshake("change_cipher_spec after the handshake")?;
        match (self.side, message.kind) {
            (Side::Client, HandshakeType::HelloRequest)
            | (Side::Server, HandshakeType::ClientHello) => {
                tracing::debug!("renegotiation refused");
                cx.count_unsolicited()?;
                cx.record
                    .send_alert(AlertLevel::Warning, AlertDescription::NoRenegotiation);
                Ok(self)
            }
            _ => Err(Error::UnexpectedMessage(
                "handshake message after a TLS 1.2 handshake",
            )),
        }
    }

    fn export_keying_material(
        &self,
        out: &mut [u8],
        label: &[u8],
        context: Option<&[u8]>,
    ) -> Result<(), Error> {
        Ok(self
            .master
            .export_keying_material(label, &self.randoms.joined(), context, out)?)
    }
}
