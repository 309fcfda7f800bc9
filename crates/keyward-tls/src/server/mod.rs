//! The server side: reading the ClientHello, choosing the version, and handing over to the
//! TLS 1.3 or TLS 1.2 handshake.

mod connection;
mod tls12;
mod tls13;

pub use connection::ServerConnection;

use std::sync::Arc;

use keyward_core::backend::fill_random;

use crate::alert::AlertDescription;
use crate::codec::enums::{signal, version, HandshakeType, DOWNGRADE_TLS12};
use crate::codec::hello::ClientHello;
use crate::common_state::{CommonState, Message, State};
use crate::config::{ServerConfig, Version};
use crate::error::Error;
use crate::record::RecordLayer;
use crate::sign::SignatureScheme;

/// A server connection's first state.
pub(crate) fn start(config: Arc<ServerConfig>) -> (CommonState, Box<dyn State>) {
    let record = RecordLayer::new(version::TLS12, config.max_fragment_len);
    (
        CommonState::new(record),
        Box::new(ExpectClientHello { config }),
    )
}

struct ExpectClientHello {
    config: Arc<ServerConfig>,
}

impl State for ExpectClientHello {
    fn handle(
        self: Box<Self>,
        cx: &mut CommonState,
        message: Message,
    ) -> Result<Box<dyn State>, Error> {
        let message = message.expect(HandshakeType::ClientHello, "expected ClientHello")?;
        let hello = ClientHello::parse(message.body())?;
        let version = select_version(&self.config, &hello)?;
        tracing::debug!(%version, server_name = ?hello.extensions.server_name, "ClientHello");
        match version {
            Version::Tls13 => tls13::client_hello(self.config, cx, hello, message.encoded, None),
            Version::Tls12 => tls12::client_hello(self.config, cx, hello, message.encoded),
        }
    }
}

/// The version to speak (RFC 8446 §4.2.1, RFC 5246 §E.1), and the fallback check of
/// RFC 7507.
fn select_version(config: &ServerConfig, hello: &ClientHello) -> Result<Version, Error> {
    crate::tls13::check_legacy_version(hello.legacy_version)?;
    let enabled = |v: Version| config.versions.contains(&v);
    let chosen = match &hello.extensions.supported_versions {
        Some(offered) => [Version::Tls13, Version::Tls12]
            .into_iter()
            .find(|v| enabled(*v) && offered.contains(&v.to_wire())),
        None => (hello.legacy_version >= version::TLS12 && enabled(Version::Tls12))
            .then_some(Version::Tls12),
    };
    let chosen = chosen.ok_or(Error::Negotiation(
        "no protocol version in common",
        AlertDescription::ProtocolVersion,
    ))?;
    if chosen == Version::Tls12
        && enabled(Version::Tls13)
        && hello.cipher_suites.contains(&signal::FALLBACK_SCSV)
    {
        return Err(Error::Negotiation(
            "client fell back from a version the server supports",
            AlertDescription::InappropriateFallback,
        ));
    }
    Ok(chosen)
}

/// A fresh server random; a TLS 1.3-capable server negotiating TLS 1.2 marks its last
/// eight bytes (RFC 8446 §4.1.3).
fn server_random(config: &ServerConfig, version: Version) -> Result<[u8; 32], Error> {
    let mut random = [0u8; 32];
    fill_random(&mut random)?;
    if version == Version::Tls12 && config.versions.contains(&Version::Tls13) {
        random[24..].copy_from_slice(&DOWNGRADE_TLS12);
    }
    Ok(random)
}

/// The protocol to answer the client's ALPN offer with (RFC 7301 §3.2): our first that the
/// client offered; none in common is `no_application_protocol`.
fn choose_alpn(config: &ServerConfig, hello: &ClientHello) -> Result<Option<Vec<u8>>, Error> {
    let Some(offered) = &hello.extensions.alpn else {
        return Ok(None);
    };
    if config.alpn_protocols.is_empty() {
        return Ok(None);
    }
    config
        .alpn_protocols
        .iter()
        .find(|p| offered.contains(p))
        .cloned()
        .map(Some)
        .ok_or(Error::Negotiation(
            "no application protocol in common",
            AlertDescription::NoApplicationProtocol,
        ))
}

/// The signature schemes the client offered that keyward knows.
fn offered_schemes(hello: &ClientHello) -> Option<Vec<SignatureScheme>> {
    hello.extensions.signature_algorithms.as_ref().map(|list| {
        list.iter()
            .filter_map(|v| SignatureScheme::from_u16(*v))
            .collect()
    })
}
