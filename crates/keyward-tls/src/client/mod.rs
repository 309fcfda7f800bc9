//! The client side: building the ClientHello (both versions at once), reading the
//! ServerHello or a HelloRetryRequest, and handing over to the TLS 1.3 or TLS 1.2 handshake.

mod connection;
mod tls12;
mod tls13;

pub use connection::ClientConnection;

use std::net::IpAddr;
use std::sync::Arc;

use keyward_core::backend::fill_random;
use keyward_ssl::{
    CipherSuite, EphemeralKey, Group, HandshakeHash, KeyExchange, OpaqueKey, SecretKind,
    Tls13Secret,
};

use crate::alert::AlertDescription;
use crate::codec::enums::{
    psk_mode, version, ExtensionType, HandshakeType, DOWNGRADE_TLS11, DOWNGRADE_TLS12,
    EC_POINT_UNCOMPRESSED,
};
use crate::codec::extensions::{ClientExtensions, KeyShareEntry, OfferedPsks, PskIdentity};
use crate::codec::hello::{ClientHello, ServerHello};
use crate::common_state::{CommonState, Message, State};
use crate::config::{ClientConfig, ExtendedMasterSecret, Version};
use crate::error::Error;
use crate::record::RecordLayer;
use crate::resumption::{now_millis, ClientSession12, ClientTicket13};
use crate::sign::SignatureScheme;
use crate::tls13::key_share::{group_from_wire, public_value};
use crate::tls13::{
    new_transcript, psk_binder, retry_transcript, same_hash, PROTOCOL as TLS13_PROTOCOL,
};

/// A TLS 1.3 ticket offered in the ClientHello, with its PSK opened.
pub(crate) struct OfferedTicket {
    ticket: ClientTicket13,
    psk: Tls13Secret,
    suite: &'static CipherSuite,
}

/// Everything the ClientHello offered, kept until the ServerHello answers it.
pub(crate) struct Offer {
    config: Arc<ClientConfig>,
    /// The name the caller connects to (certificate check, session store key).
    server_name: String,
    /// The name sent as SNI (none for an IP address).
    sni: Option<String>,
    hello: ClientHello,
    /// The last ClientHello sent, encoded.
    encoded: Vec<u8>,
    offered_tls13: bool,
    offered_tls12: bool,
    /// The TLS 1.3 key share.
    key_share: Option<EphemeralKey>,
    ticket13: Option<OfferedTicket>,
    session12: Option<ClientSession12>,
    /// After a HelloRetryRequest: its suite and the transcript through ClientHello2.
    retry: Option<(&'static CipherSuite, HandshakeHash)>,
    sent_compat_ccs: bool,
}

/// A client connection's first state, with the ClientHello queued.
pub(crate) fn start(
    config: Arc<ClientConfig>,
    server_name: &str,
) -> Result<(CommonState, Box<dyn State>), Error> {
    let mut cx = CommonState::new(RecordLayer::new(version::TLS10, config.max_fragment_len));
    let offer = Offer::new(config, server_name)?;
    cx.send_handshake(&offer.encoded);
    cx.record.flush_handshake()?;
    cx.record.set_plaintext_version(version::TLS12);
    cx.tls13_compat_ccs = offer.offered_tls13;
    Ok((cx, Box::new(ExpectServerHello { offer })))
}

fn offers(suite: &CipherSuite, tls13: bool, tls12: bool) -> bool {
    if suite.key_exchange == KeyExchange::Tls13 {
        tls13
    } else {
        tls12
    }
}

/// The TLS 1.3 key share to send: our first group, for our first TLS 1.3 suite.
fn choose_key_share(config: &ClientConfig) -> Result<Option<EphemeralKey>, Error> {
    let first_tls13_suite = config
        .cipher_suites
        .iter()
        .find(|s| s.key_exchange == KeyExchange::Tls13);
    Ok(match (first_tls13_suite, config.groups.first()) {
        (Some(suite), Some(group)) => Some(config.provider.create_ephemeral_key(
            TLS13_PROTOCOL,
            suite,
            *group,
        )?),
        _ => None,
    })
}

/// The stored TLS 1.2 session for `server_name`, if this configuration may resume it: its
/// suite is enabled and its extended master secret and encrypt-then-MAC fit.
fn choose_session12(config: &ClientConfig, server_name: &str) -> Option<ClientSession12> {
    config.sessions.tls12(server_name).filter(|s| {
        let suite_ok = config.cipher_suites.iter().any(|c| c.id == s.suite);
        let ems_ok = match config.extended_master_secret {
            ExtendedMasterSecret::Require => s.extended_master_secret,
            ExtendedMasterSecret::Offer => true,
            ExtendedMasterSecret::Off => !s.extended_master_secret,
        };
        // RFC 7366 §3.1: an encrypt-then-MAC session is resumed only with it.
        let etm_ok = config.encrypt_then_mac || !s.encrypt_then_mac;
        suite_ok && ems_ok && etm_ok
    })
}

/// The legacy session id: a cached TLS 1.2 session's own, else 32 random bytes when resuming
/// with a ticket (RFC 5077 §3.4) or offering TLS 1.3 (middlebox compatibility, RFC 8446
/// §D.4), else empty.
fn choose_session_id(
    session12: Option<&ClientSession12>,
    offered_tls13: bool,
) -> Result<Vec<u8>, Error> {
    Ok(match session12 {
        Some(session) if session.ticket.is_none() => session.session_id.clone(),
        _ if session12.is_some() || offered_tls13 => {
            let mut id = vec![0u8; 32];
            fill_random(&mut id)?;
            id
        }
        _ => Vec::new(),
    })
}

/// The ClientHello's extensions for the versions offered (`(tls13, tls12)`).
fn offered_extensions(
    config: &ClientConfig,
    sni: Option<String>,
    (offered_tls13, offered_tls12): (bool, bool),
    session12: Option<&ClientSession12>,
    key_share: Option<&EphemeralKey>,
) -> ClientExtensions {
    ClientExtensions {
        server_name: sni,
        supported_groups: Some(config.groups.iter().map(|g| g.tls_id()).collect()),
        ec_point_formats: offered_tls12.then(|| vec![EC_POINT_UNCOMPRESSED]),
        signature_algorithms: Some(SignatureScheme::ALL.iter().map(|s| s.to_u16()).collect()),
        alpn: (!config.alpn_protocols.is_empty()).then(|| config.alpn_protocols.clone()),
        extended_master_secret: offered_tls12
            && config.extended_master_secret != ExtendedMasterSecret::Off,
        // RFC 7366: worth offering only with a CBC suite.
        encrypt_then_mac: offered_tls12
            && config.encrypt_then_mac
            && config
                .cipher_suites
                .iter()
                .any(|s| s.key_exchange != KeyExchange::Tls13 && !s.cipher.is_aead()),
        renegotiation_info: offered_tls12.then(Vec::new),
        session_ticket: (offered_tls12 && config.resumption)
            .then(|| session12.and_then(|s| s.ticket.clone()).unwrap_or_default()),
        supported_versions: Some(
            [
                (offered_tls13, version::TLS13),
                (offered_tls12, version::TLS12),
            ]
            .into_iter()
            .filter_map(|(on, v)| on.then_some(v))
            .collect(),
        )
        .filter(|_| offered_tls13),
        key_shares: key_share.map(|key| {
            vec![KeyShareEntry {
                group: key.group().tls_id(),
                key_exchange: public_value(key),
            }]
        }),
        psk_modes: (offered_tls13 && config.resumption).then(|| vec![psk_mode::PSK_DHE_KE]),
        early_data: false,
        cookie: None,
        pre_shared_key: None,
    }
}

impl Offer {
    fn new(config: Arc<ClientConfig>, server_name: &str) -> Result<Offer, Error> {
        let has = |tls13: bool| {
            config
                .cipher_suites
                .iter()
                .any(|s| (s.key_exchange == KeyExchange::Tls13) == tls13)
        };
        let offered_tls13 = config.versions.contains(&Version::Tls13) && has(true);
        let offered_tls12 = config.versions.contains(&Version::Tls12) && has(false);
        let sni = (server_name.parse::<IpAddr>().is_err() && !server_name.is_empty())
            .then(|| server_name.trim_end_matches('.').to_ascii_lowercase());
        let key_share = match offered_tls13 {
            true => choose_key_share(&config)?,
            false => None,
        };
        let ticket13 = if offered_tls13 && config.resumption {
            config
                .sessions
                .take_tls13(server_name)
                .and_then(|ticket| open_ticket(&config, ticket))
        } else {
            None
        };
        let session12 = if offered_tls12 && config.resumption {
            choose_session12(&config, server_name)
        } else {
            None
        };

        let mut random = [0u8; 32];
        fill_random(&mut random)?;
        let session_id = choose_session_id(session12.as_ref(), offered_tls13)?;
        let cipher_suites = config
            .cipher_suites
            .iter()
            .filter(|s| offers(s, offered_tls13, offered_tls12))
            .map(|s| s.id)
            .collect();
        let versions = (offered_tls13, offered_tls12);
        let extensions = offered_extensions(
            &config,
            sni.clone(),
            versions,
            session12.as_ref(),
            key_share.as_ref(),
        );
        let hello = ClientHello {
            legacy_version: version::TLS12,
            random,
            session_id,
            cipher_suites,
            compression_methods: vec![0],
            extensions,
        };
        let mut offer = Offer {
            config,
            server_name: server_name.to_owned(),
            sni,
            hello,
            encoded: Vec::new(),
            offered_tls13,
            offered_tls12,
            key_share,
            ticket13,
            session12,
            retry: None,
            sent_compat_ccs: false,
        };
        offer.encode(None)?;
        Ok(offer)
    }

    /// Encodes the ClientHello, computing the PSK binder over `prefix` (the transcript
    /// before this ClientHello; none for the first one).
    fn encode(&mut self, prefix: Option<&HandshakeHash>) -> Result<(), Error> {
        let Some(offered) = &self.ticket13 else {
            self.hello.extensions.pre_shared_key = None;
            self.encoded = self.hello.encode();
            return Ok(());
        };
        let provider = &self.config.provider;
        let age = now_millis().saturating_sub(offered.ticket.received_ms);
        let binder_len = if offered.suite.sha384_prf { 48 } else { 32 };
        self.hello.extensions.pre_shared_key = Some(OfferedPsks {
            identities: vec![PskIdentity {
                identity: offered.ticket.ticket.clone(),
                obfuscated_ticket_age: (age as u32).wrapping_add(offered.ticket.age_add),
            }],
            binders: vec![vec![0u8; binder_len]],
        });
        let mut encoded = self.hello.encode();
        let truncated_len = encoded.len() - self.hello.binders_len();
        let mut transcript = match prefix {
            Some(prefix) => prefix.duplicate(),
            None => new_transcript(provider, offered.suite)?,
        };
        transcript.update(encoded.get(..truncated_len).unwrap_or(&[]));
        let binder = psk_binder(provider, &offered.psk, &transcript)?;
        let start = encoded.len() - binder.len();
        encoded
            .get_mut(start..)
            .ok_or(Error::General("binder outside the ClientHello"))?
            .copy_from_slice(&binder);
        if let Some(psks) = &mut self.hello.extensions.pre_shared_key {
            psks.binders = vec![binder];
        }
        self.encoded = encoded;
        Ok(())
    }

    /// True when our ClientHello carried an extension of `kind`.
    fn sent_extension(&self, kind: ExtensionType) -> bool {
        let ext = &self.hello.extensions;
        match kind {
            ExtensionType::ServerName => ext.server_name.is_some(),
            ExtensionType::SupportedGroups => ext.supported_groups.is_some(),
            ExtensionType::EcPointFormats => ext.ec_point_formats.is_some(),
            ExtensionType::SignatureAlgorithms => ext.signature_algorithms.is_some(),
            ExtensionType::ApplicationLayerProtocolNegotiation => ext.alpn.is_some(),
            ExtensionType::ExtendedMasterSecret => ext.extended_master_secret,
            ExtensionType::EncryptThenMac => ext.encrypt_then_mac,
            ExtensionType::RenegotiationInfo => ext.renegotiation_info.is_some(),
            ExtensionType::SessionTicket => ext.session_ticket.is_some(),
            ExtensionType::SupportedVersions => ext.supported_versions.is_some(),
            ExtensionType::KeyShare => ext.key_shares.is_some(),
            ExtensionType::PskKeyExchangeModes => ext.psk_modes.is_some(),
            ExtensionType::EarlyData => ext.early_data,
            ExtensionType::Cookie => ext.cookie.is_some(),
            ExtensionType::PreSharedKey => ext.pre_shared_key.is_some(),
            _ => false,
        }
    }

    /// RFC 8446 §4.2: each extension of a server's `message` must be `allowed` there (or
    /// `illegal_parameter`) and answer one we sent (or `unsupported_extension`, which
    /// comes first: an extension we never sent is unsolicited wherever it appears).
    /// `unsolicited_ok` lists the ones the server may send unasked (a HelloRetryRequest's
    /// cookie).
    fn check_server_extensions(
        &self,
        present: &[u16],
        allowed: &[ExtensionType],
        unsolicited_ok: &[ExtensionType],
        message: &'static str,
    ) -> Result<(), Error> {
        for kind in present.iter().map(|k| ExtensionType::from_wire(*k)) {
            if !self.sent_extension(kind) && !unsolicited_ok.contains(&kind) {
                return Err(Error::Negotiation(
                    message,
                    AlertDescription::UnsupportedExtension,
                ));
            }
            if !allowed.contains(&kind) {
                return Err(Error::IllegalParameter(message));
            }
        }
        Ok(())
    }

    /// The offered suite with this id.
    fn suite(&self, id: u16) -> Option<&'static CipherSuite> {
        self.config
            .cipher_suites
            .iter()
            .copied()
            .find(|s| s.id == id && offers(s, self.offered_tls13, self.offered_tls12))
    }
}

/// Opens a stored ticket's PSK; `None` when it no longer fits the configuration.
fn open_ticket(config: &ClientConfig, ticket: ClientTicket13) -> Option<OfferedTicket> {
    let suite = config
        .cipher_suites
        .iter()
        .copied()
        .find(|s| s.id == ticket.suite && s.key_exchange == KeyExchange::Tls13)?;
    match config.provider.import_opaque_key(&ticket.psk) {
        Ok(OpaqueKey::Tls13(psk)) if psk.kind() == SecretKind::PreSharedKey => {
            Some(OfferedTicket { ticket, psk, suite })
        }
        _ => None,
    }
}

/// Waiting for the ServerHello (or a HelloRetryRequest).
struct ExpectServerHello {
    offer: Offer,
}

impl State for ExpectServerHello {
    fn handle(
        mut self: Box<Self>,
        cx: &mut CommonState,
        message: Message,
    ) -> Result<Box<dyn State>, Error> {
        let message = message.expect(HandshakeType::ServerHello, "expected ServerHello")?;
        let server_hello = ServerHello::parse(message.body())?;
        crate::tls13::check_legacy_version(server_hello.legacy_version)?;
        let offer = &self.offer;
        if server_hello.is_retry_request() {
            if !offer.offered_tls13 || offer.retry.is_some() {
                return Err(Error::UnexpectedMessage("unexpected HelloRetryRequest"));
            }
            self.offer
                .retry_request(cx, &server_hello, &message.encoded)?;
            return Ok(self);
        }
        let version = match server_hello.extensions.supported_versions {
            Some(version::TLS13) if offer.offered_tls13 => Version::Tls13,
            Some(_) => {
                return Err(Error::IllegalParameter(
                    "server selected a version that was not offered",
                ))
            }
            None if server_hello.legacy_version == version::TLS12 && offer.offered_tls12 => {
                Version::Tls12
            }
            None => {
                return Err(Error::Negotiation(
                    "server selected a version that was not offered",
                    AlertDescription::ProtocolVersion,
                ))
            }
        };
        if server_hello.compression_method != 0 {
            return Err(Error::IllegalParameter("server selected compression"));
        }
        tracing::debug!(%version, "ServerHello");
        match version {
            Version::Tls13 => tls13::server_hello(self.offer, cx, server_hello, &message.encoded),
            Version::Tls12 => {
                let downgrade = &server_hello.random[24..];
                if offer.retry.is_some() {
                    return Err(Error::IllegalParameter("TLS 1.2 after HelloRetryRequest"));
                }
                if offer.offered_tls13
                    && (downgrade == DOWNGRADE_TLS12 || downgrade == DOWNGRADE_TLS11)
                {
                    return Err(Error::IllegalParameter("downgrade from TLS 1.3 detected"));
                }
                cx.tls13_compat_ccs = false;
                tls12::server_hello(self.offer, cx, server_hello, &message.encoded)
            }
        }
    }
}

impl Offer {
    /// Answers a HelloRetryRequest with ClientHello2 (RFC 8446 §4.1.4).
    fn retry_request(
        &mut self,
        cx: &mut CommonState,
        retry: &ServerHello,
        encoded: &[u8],
    ) -> Result<(), Error> {
        let (suite, new_group) = self.check_retry_request(retry)?;
        let ext = &retry.extensions;
        let provider = self.config.provider.clone();
        let transcript = retry_transcript(&provider, suite, &self.encoded, encoded)?;
        if let Some(group) = new_group {
            let key = provider.create_ephemeral_key(TLS13_PROTOCOL, suite, group)?;
            self.hello.extensions.key_shares = Some(vec![KeyShareEntry {
                group: group.tls_id(),
                key_exchange: public_value(&key),
            }]);
            self.key_share = Some(key);
        }
        self.hello.extensions.cookie = ext.cookie.clone();
        self.hello.extensions.early_data = false;
        if self
            .ticket13
            .as_ref()
            .is_some_and(|t| !same_hash(t.suite, suite))
        {
            self.ticket13 = None;
        }
        self.encode(Some(&transcript))?;
        if !self.hello.session_id.is_empty() && !self.sent_compat_ccs {
            cx.record.send_change_cipher_spec(true)?;
            self.sent_compat_ccs = true;
        }
        cx.send_handshake(&self.encoded);
        let mut transcript = transcript;
        transcript.update(&self.encoded);
        self.retry = Some((suite, transcript));
        tracing::debug!(group = ?new_group, "answered a HelloRetryRequest");
        Ok(())
    }

    /// The HelloRetryRequest's choices (RFC 8446 §4.1.4): TLS 1.3, an offered suite, our
    /// session id echoed, only the extensions it may carry, and a change: a new offered
    /// group or a cookie. Returns the suite and the group to send a share of.
    fn check_retry_request(
        &self,
        retry: &ServerHello,
    ) -> Result<(&'static CipherSuite, Option<Group>), Error> {
        let ext = &retry.extensions;
        if ext.supported_versions != Some(version::TLS13) {
            return Err(Error::IllegalParameter("HelloRetryRequest without TLS 1.3"));
        }
        let suite = self
            .suite(retry.cipher_suite)
            .filter(|s| s.key_exchange == KeyExchange::Tls13)
            .ok_or(Error::IllegalParameter(
                "HelloRetryRequest suite was not offered",
            ))?;
        if retry.session_id != self.hello.session_id || retry.compression_method != 0 {
            return Err(Error::IllegalParameter(
                "HelloRetryRequest does not echo the hello",
            ));
        }
        self.check_server_extensions(
            &ext.present,
            &[
                ExtensionType::SupportedVersions,
                ExtensionType::KeyShare,
                ExtensionType::Cookie,
            ],
            &[ExtensionType::Cookie],
            "HelloRetryRequest extension not offered or not allowed there",
        )?;
        let current_group = self.key_share.as_ref().map(|k| k.group());
        let new_group = match ext.selected_group {
            Some(id) => {
                let group = group_from_wire(id)
                    .filter(|g| self.config.groups.contains(g))
                    .ok_or(Error::IllegalParameter(
                        "HelloRetryRequest group was not offered",
                    ))?;
                if Some(group) == current_group {
                    return Err(Error::IllegalParameter(
                        "HelloRetryRequest asks for the share already sent",
                    ));
                }
                Some(group)
            }
            None => None,
        };
        if new_group.is_none() && ext.cookie.is_none() {
            return Err(Error::IllegalParameter("HelloRetryRequest changes nothing"));
        }
        Ok((suite, new_group))
    }
}
