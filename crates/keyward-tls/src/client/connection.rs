//! The client's connection type: a [`ConnectionCommon`] started with a ClientHello.

use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use crate::config::ClientConfig;
use crate::conn::ConnectionCommon;
use crate::error::Error;

/// A TLS client connection.
pub struct ClientConnection {
    inner: ConnectionCommon,
}

impl ClientConnection {
    /// Starts a handshake with `server_name` (a DNS name, sent as SNI, or an IP address);
    /// the ClientHello is ready for `write_tls` at once.
    pub fn new(config: Arc<ClientConfig>, server_name: &str) -> Result<Self, Error> {
        config.check()?;
        let max_queued_output = config.max_queued_output;
        let (mut common, state) = super::start(config, server_name)?;
        common.max_queued_output = max_queued_output;
        Ok(ClientConnection {
            inner: ConnectionCommon::new(common, state),
        })
    }
}

impl Deref for ClientConnection {
    type Target = ConnectionCommon;
    fn deref(&self) -> &ConnectionCommon {
        &self.inner
    }
}

impl DerefMut for ClientConnection {
    fn deref_mut(&mut self) -> &mut ConnectionCommon {
        &mut self.inner
    }
}
