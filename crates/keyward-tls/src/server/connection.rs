//! The server's connection type: a [`ConnectionCommon`] waiting for a ClientHello.

use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use crate::config::ServerConfig;
use crate::conn::ConnectionCommon;
use crate::error::Error;

/// A TLS server connection.
pub struct ServerConnection {
    inner: ConnectionCommon,
}

impl ServerConnection {
    /// A connection waiting for a ClientHello.
    pub fn new(config: Arc<ServerConfig>) -> Result<Self, Error> {
        config.check()?;
        let max_queued_output = config.max_queued_output;
        let (mut common, state) = super::start(config);
        common.max_queued_output = max_queued_output;
        Ok(ServerConnection {
            inner: ConnectionCommon::new(common, state),
        })
    }

    /// The server name the client asked for, once the handshake is complete.
    pub fn server_name(&self) -> Option<&str> {
        self.inner.info()?.server_name.as_deref()
    }
}

impl Deref for ServerConnection {
    type Target = ConnectionCommon;
    fn deref(&self) -> &ConnectionCommon {
        &self.inner
    }
}

impl DerefMut for ServerConnection {
    fn deref_mut(&mut self) -> &mut ConnectionCommon {
        &mut self.inner
    }
}
