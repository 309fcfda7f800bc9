//! Which end of the connection: `NCRYPT_SSL_CLIENT_FLAG` / `NCRYPT_SSL_SERVER_FLAG`.

use keyward_core::{Error, Result};

/// `NCRYPT_SSL_CLIENT_FLAG`.
pub const NCRYPT_SSL_CLIENT_FLAG: u32 = 0x1;
/// `NCRYPT_SSL_SERVER_FLAG`.
pub const NCRYPT_SSL_SERVER_FLAG: u32 = 0x2;

/// The client or the server end of a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Side {
    /// The TLS client.
    Client,
    /// The TLS server.
    Server,
}

impl Side {
    /// Reads the side from `dwFlags`: other bits or neither flag are `NTE_BAD_FLAGS`; the
    /// client flag wins when both are set (docs/ssl-provider.md, "Client and server flags").
    pub fn from_flags(flags: u32) -> Result<Side> {
        if flags & !(NCRYPT_SSL_CLIENT_FLAG | NCRYPT_SSL_SERVER_FLAG) != 0 {
            Err(Error::BadFlags)
        } else if flags & NCRYPT_SSL_CLIENT_FLAG != 0 {
            Ok(Side::Client)
        } else if flags & NCRYPT_SSL_SERVER_FLAG != 0 {
            Ok(Side::Server)
        } else {
            Err(Error::BadFlags)
        }
    }

    /// The flag value for this side.
    pub fn flag(self) -> u32 {
        match self {
            Side::Client => NCRYPT_SSL_CLIENT_FLAG,
            Side::Server => NCRYPT_SSL_SERVER_FLAG,
        }
    }

    /// The other end.
    pub fn peer(self) -> Side {
        match self {
            Side::Client => Side::Server,
            Side::Server => Side::Client,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags() {
        assert_eq!(Side::from_flags(1), Ok(Side::Client));
        assert_eq!(Side::from_flags(2), Ok(Side::Server));
        assert_eq!(Side::from_flags(3), Ok(Side::Client));
        assert_eq!(Side::from_flags(0), Err(Error::BadFlags));
        assert_eq!(Side::from_flags(5), Err(Error::BadFlags));
    }
}
