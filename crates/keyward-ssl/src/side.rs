//! Which end of the connection: `NCRYPT_SSL_CLIENT_FLAG` / `NCRYPT_SSL_SERVER_FLAG` of
//! `SslGenerateMasterKey`, `SslComputeFinishedHash` and others (keyward-ffi reads the flags).

/// The client or the server end of a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Side {
    /// The TLS client.
    Client,
    /// The TLS server.
    Server,
}

impl Side {
    /// The other end.
    pub fn peer(self) -> Side {
        match self {
            Side::Client => Side::Server,
            Side::Server => Side::Client,
        }
    }
}
