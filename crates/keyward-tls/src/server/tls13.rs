//! The TLS 1.3 server handshake (RFC 8446 §2): HelloRetryRequest when the client's key
//! shares miss our group, PSK resumption with (EC)DHE, certificate authentication, and
//! NewSessionTicket after the client's Finished. Early data is always refused.

use std::sync::Arc;

use keyward_core::backend::fill_random;
use keyward_ssl::flight::ServerFlight13;
use keyward_ssl::{
    CipherSuite, EphemeralKey, Group, KeyExchange, OpaqueKey, SecretKind, Side, Tls13Secret,
};

use super::{choose_alpn, offered_schemes, server_random};
use crate::alert::AlertDescription;
use crate::certs::CertifiedKey;
use crate::codec::enums::{psk_mode, version, HandshakeType, HELLO_RETRY_REQUEST_RANDOM};
use crate::codec::extensions::{KeyShareEntry, ServerExtensions};
use crate::codec::handshake::{
    encode_encrypted_extensions, CertificateMessage, NewSessionTicket13,
};
use crate::codec::hello::{ClientHello, ServerHello};
use crate::common_state::{check_finished, CommonState, ConnectionInfo, Message, State};
use crate::config::{ServerConfig, Version};
use crate::error::Error;
use crate::resumption::{now_millis, ServerTicket13, TicketFields, SESSION_LIFETIME};
use crate::sign::{self, SignatureScheme};
use crate::tls13::key_share::{agreement_error, import_peer, public_value};
use crate::tls13::traffic::Traffic;
use crate::tls13::{
    check_expected_finished, new_transcript, psk_binder, retry_messages, same_hash, PROTOCOL,
};

/// The `ticket_nonce` of the one ticket a server sends after a handshake.
const TICKET_NONCE: [u8; 1] = [0];

/// What a HelloRetryRequest fixed for the second ClientHello.
pub(super) struct Retry {
    suite: &'static CipherSuite,
    group: Group,
    /// `message_hash(ClientHello1) ‖ HelloRetryRequest`.
    messages: Vec<u8>,
    session_id: Vec<u8>,
    sent_compat_ccs: bool,
}

/// Handles a ClientHello that negotiated TLS 1.3 (the first, or the second after a
/// HelloRetryRequest).
pub(super) fn client_hello(
    config: Arc<ServerConfig>,
    cx: &mut CommonState,
    hello: ClientHello,
    encoded: Vec<u8>,
    retry: Option<Retry>,
) -> Result<Box<dyn State>, Error> {
    cx.tls13 = true;
    cx.tls13_compat_ccs = true;
    if hello.compression_methods != [0] {
        return Err(Error::IllegalParameter(
            "TLS 1.3 needs null compression only",
        ));
    }
    let suite = match &retry {
        Some(retry) if hello.cipher_suites.contains(&retry.suite.id) => retry.suite,
        Some(_) => return Err(Error::IllegalParameter("ClientHello2 dropped the suite")),
        None => choose_suite(&config, &hello)?,
    };
    let (group, share) = choose_key_share(&config, &hello, retry.as_ref())?;
    if retry.is_some() {
        cx.record.skip_protected_without_key(false);
    }
    let Some(share) = share else {
        return retry_request(config, cx, &hello, &encoded, suite, group);
    };
    let (mut messages, sent_compat_ccs) = match retry {
        Some(retry) => (retry.messages, retry.sent_compat_ccs),
        None => (Vec::new(), false),
    };
    let server_name = hello.extensions.server_name.clone();
    let alpn = choose_alpn(&config, &hello)?;
    let psk = accept_psk(
        &config,
        &hello,
        &encoded,
        suite,
        &messages,
        server_name.as_deref(),
    )?;
    messages.extend_from_slice(&encoded);
    let certificate = match psk {
        Some(_) => None,
        None => Some(choose_certificate(&config, &hello, server_name.as_deref())?),
    };
    let chosen = Chosen {
        suite,
        group,
        share,
        messages,
        sent_compat_ccs,
        server_name,
        alpn,
        psk,
        certificate,
    };
    answer(config, cx, &hello, chosen)
}

/// What a TLS 1.3 ClientHello settled, before the server answers it.
struct Chosen<'a> {
    suite: &'static CipherSuite,
    group: Group,
    /// The client's share of `group`.
    share: &'a KeyShareEntry,
    /// The handshake messages through the ClientHello, as the transcript hashes them.
    messages: Vec<u8>,
    sent_compat_ccs: bool,
    server_name: Option<String>,
    alpn: Option<Vec<u8>>,
    /// The accepted PSK's index and secret.
    psk: Option<(u16, Tls13Secret)>,
    /// The certificate and scheme that authenticate us; `None` with a PSK.
    certificate: Option<(Arc<CertifiedKey>, SignatureScheme)>,
}

/// Agrees on the handshake keys and sends the server's flight, ServerHello to Finished
/// (RFC 8446 §2). The provider makes every secret of the handshake in one step
/// ([`Provider::tls13_server_flight`](keyward_ssl::Provider::tls13_server_flight)), from
/// the messages this server will send, before the first of them goes out: so a peer value
/// giving no secret is refused in plaintext, as the first answer. We then write with the
/// server's application key, and read the client's Finished under its handshake key.
fn answer(
    config: Arc<ServerConfig>,
    cx: &mut CommonState,
    hello: &ClientHello,
    chosen: Chosen,
) -> Result<Box<dyn State>, Error> {
    let Chosen {
        suite,
        group,
        share,
        mut messages,
        sent_compat_ccs,
        server_name,
        alpn,
        psk,
        certificate,
    } = chosen;
    let provider = &config.provider;
    let own = provider.create_ephemeral_key(PROTOCOL, suite, group)?;
    let peer = import_peer(group, &share.key_exchange, true)?;
    let early = provider.extract_early_key(psk.as_ref().map(|(_, psk)| psk), PROTOCOL, suite)?;
    let handshake = provider
        .extract_handshake_key(&own, &peer, &early)
        .map_err(agreement_error)?;
    let psk_index = psk.as_ref().map(|(index, _)| *index);
    let server_hello = encode_server_hello(&config, hello, (suite, group, &own), psk_index)?;
    // Only the handshake secret is needed from here: on an isolated provider these frees
    // go with the flight's request.
    drop((own, early, psk));
    messages.extend_from_slice(&server_hello);

    let extensions = ServerExtensions {
        alpn: alpn.clone(),
        server_name: server_name.is_some() && psk_index.is_none(),
        ..ServerExtensions::default()
    };
    let encrypted_extensions = encode_encrypted_extensions(&extensions);
    let certificate_message = certificate.as_ref().map(|(key, _)| {
        CertificateMessage {
            context: Vec::new(),
            chain: key.chain.clone(),
        }
        .encode(true)
    });
    let mut before_verify = encrypted_extensions.clone();
    if let Some(message) = &certificate_message {
        before_verify.extend_from_slice(message);
    }
    let ticket = TicketPlan::new(&config, suite, &alpn, &server_name);
    let flight = provider
        .tls13_server_flight(ServerFlight13 {
            handshake,
            through_server_hello: &messages,
            before_verify: &before_verify,
            signer: certificate
                .as_ref()
                .map(|(key, scheme)| sign::verify_signer(&key.key, *scheme)),
            ticket: ticket
                .as_ref()
                .map(|ticket| ticket.fields.tls13(&TICKET_NONCE)),
        })
        .map_err(agreement_error)?;

    cx.send_handshake(&server_hello);
    // The middlebox-compatibility change_cipher_spec, when the client sent a session id and
    // none went out yet (RFC 8446 §D.4).
    if !hello.session_id.is_empty() && !sent_compat_ccs {
        cx.record.send_change_cipher_spec(true)?;
    }
    cx.record.set_write_key(flight.server_handshake_key, true)?;
    cx.record.set_read_key(flight.client_handshake_key, true)?;
    if hello.extensions.early_data {
        cx.record.skip_early_data();
    }
    cx.send_handshake(&encrypted_extensions);
    if let Some(certificate) = &certificate_message {
        let verify = flight
            .certificate_verify
            .as_ref()
            .ok_or(Error::General("the provider made no CertificateVerify"))?;
        cx.send_handshake(certificate);
        cx.send_handshake(verify);
    }
    cx.send_handshake(&flight.finished);
    cx.record
        .set_write_key(provider.expand_write_key(&flight.server_application)?, true)?;
    let info = ConnectionInfo {
        version: Version::Tls13,
        suite,
        group: Some(group),
        signature_scheme: certificate.map(|(_, scheme)| scheme),
        extended_master_secret: true,
        encrypt_then_mac: false,
        resumed: psk_index.is_some(),
        alpn,
        server_name,
    };
    let ticket = ticket
        .zip(flight.ticket)
        .map(|(fields, sealed)| (fields.age_add, sealed));
    Ok(Box::new(ExpectFinished {
        config,
        client_finished: flight.client_finished,
        client_ap: flight.client_application,
        server_ap: flight.server_application,
        exporter: flight.exporter,
        ticket,
        info,
    }))
}

/// The ticket a handshake ends with: its key and fields, and its `ticket_age_add`.
struct TicketPlan<'a> {
    fields: TicketFields<'a>,
    age_add: u32,
}

impl<'a> TicketPlan<'a> {
    /// The ticket for a handshake with these parameters, or `None` when the server sends
    /// none (tickets off, or none can be made).
    fn new(
        config: &'a ServerConfig,
        suite: &CipherSuite,
        alpn: &Option<Vec<u8>>,
        server_name: &Option<String>,
    ) -> Option<TicketPlan<'a>> {
        if !config.session_tickets {
            return None;
        }
        let mut age_add = [0u8; 4];
        if let Err(error) = fill_random(&mut age_add) {
            tracing::warn!(%error, "no ticket sent");
            return None;
        }
        let age_add = u32::from_be_bytes(age_add);
        let contents = ServerTicket13 {
            psk: Vec::new(), // the PSK comes from the handshake
            suite: suite.id,
            age_add,
            issued_ms: now_millis(),
            alpn: alpn.clone(),
            server_name: server_name.clone(),
        };
        let fields = config
            .sessions
            .tls13_ticket_fields(&config.provider, &contents)?;
        Some(TicketPlan { fields, age_add })
    }
}

/// The key-exchange group and the client's share of it, if it sent one (none asks for a
/// HelloRetryRequest). After a HelloRetryRequest the group is fixed, and the second
/// ClientHello must hold exactly its share, no early data and the same session id
/// (RFC 8446 §4.1.2).
fn choose_key_share<'a>(
    config: &ServerConfig,
    hello: &'a ClientHello,
    retry: Option<&Retry>,
) -> Result<(Group, Option<&'a KeyShareEntry>), Error> {
    let client_groups = hello
        .extensions
        .supported_groups
        .as_ref()
        .ok_or(Error::MissingExtension("supported_groups"))?;
    let shares = hello
        .extensions
        .key_shares
        .as_ref()
        .ok_or(Error::MissingExtension("key_share"))?;
    let group = match retry {
        Some(retry) => retry.group,
        None => *config
            .groups
            .iter()
            .find(|g| client_groups.contains(&g.tls_id()))
            .ok_or(Error::Negotiation(
                "no key-exchange group in common",
                AlertDescription::HandshakeFailure,
            ))?,
    };
    let share = shares.iter().find(|s| s.group == group.tls_id());
    if let Some(retry) = retry {
        if shares.len() != 1 || share.is_none() {
            return Err(Error::IllegalParameter(
                "ClientHello2 key share is not the requested group",
            ));
        }
        if hello.extensions.early_data {
            return Err(Error::IllegalParameter(
                "early data after HelloRetryRequest",
            ));
        }
        if hello.session_id != retry.session_id {
            return Err(Error::IllegalParameter(
                "ClientHello2 changed the session id",
            ));
        }
    }
    Ok((group, share))
}

/// The ServerHello: our share, and the chosen PSK's index.
fn encode_server_hello(
    config: &ServerConfig,
    hello: &ClientHello,
    (suite, group, own): (&'static CipherSuite, Group, &EphemeralKey),
    psk_index: Option<u16>,
) -> Result<Vec<u8>, Error> {
    Ok(ServerHello {
        legacy_version: version::TLS12,
        random: server_random(config, Version::Tls13)?,
        session_id: hello.session_id.clone(),
        cipher_suite: suite.id,
        compression_method: 0,
        extensions: ServerExtensions {
            supported_versions: Some(version::TLS13),
            key_share: Some(KeyShareEntry {
                group: group.tls_id(),
                key_exchange: public_value(own),
            }),
            pre_shared_key: psk_index,
            ..ServerExtensions::default()
        },
    }
    .encode())
}

/// Our most preferred TLS 1.3 suite that the client offers.
fn choose_suite(config: &ServerConfig, hello: &ClientHello) -> Result<&'static CipherSuite, Error> {
    config
        .cipher_suites
        .iter()
        .copied()
        .find(|s| s.key_exchange == KeyExchange::Tls13 && hello.cipher_suites.contains(&s.id))
        .ok_or(Error::Negotiation(
            "no TLS 1.3 cipher suite in common",
            AlertDescription::HandshakeFailure,
        ))
}

/// The first certificate (by server name) whose key can sign with a scheme the client
/// offered.
fn choose_certificate(
    config: &ServerConfig,
    hello: &ClientHello,
    server_name: Option<&str>,
) -> Result<(Arc<CertifiedKey>, SignatureScheme), Error> {
    let offered = offered_schemes(hello).ok_or(Error::MissingExtension("signature_algorithms"))?;
    config
        .certificates
        .candidates(server_name)
        .into_iter()
        .find_map(|key| sign::choose_scheme(&key.key, &offered, true).map(|s| (key, s)))
        .ok_or(Error::Negotiation(
            "no certificate fits the client's signature schemes",
            AlertDescription::HandshakeFailure,
        ))
}

/// Sends a HelloRetryRequest asking for a share of `group`.
fn retry_request(
    config: Arc<ServerConfig>,
    cx: &mut CommonState,
    hello: &ClientHello,
    encoded: &[u8],
    suite: &'static CipherSuite,
    group: Group,
) -> Result<Box<dyn State>, Error> {
    tracing::debug!(?group, "HelloRetryRequest");
    let retry_request = ServerHello {
        legacy_version: version::TLS12,
        random: HELLO_RETRY_REQUEST_RANDOM,
        session_id: hello.session_id.clone(),
        cipher_suite: suite.id,
        compression_method: 0,
        extensions: ServerExtensions {
            supported_versions: Some(version::TLS13),
            selected_group: Some(group.tls_id()),
            ..ServerExtensions::default()
        },
    }
    .encode();
    let messages = retry_messages(&config.provider, suite, encoded, &retry_request)?;
    cx.send_handshake(&retry_request);
    let sent_compat_ccs = !hello.session_id.is_empty();
    if sent_compat_ccs {
        cx.record.send_change_cipher_spec(true)?;
    }
    if hello.extensions.early_data {
        cx.record.skip_protected_without_key(true);
    }
    Ok(Box::new(ExpectRetriedHello {
        config,
        retry: Retry {
            suite,
            group,
            messages,
            session_id: hello.session_id.clone(),
            sent_compat_ccs,
        },
    }))
}

/// Finds the first offered ticket this server made that fits, and checks its binder over
/// the `earlier` messages and the truncated ClientHello: a bad binder is `decrypt_error`
/// (RFC 8446 §4.2.11). Tickets that do not open, expired or of another hash are skipped
/// (full handshake).
fn accept_psk(
    config: &ServerConfig,
    hello: &ClientHello,
    encoded: &[u8],
    suite: &'static CipherSuite,
    earlier: &[u8],
    server_name: Option<&str>,
) -> Result<Option<(u16, Tls13Secret)>, Error> {
    let Some(offered) = &hello.extensions.pre_shared_key else {
        return Ok(None);
    };
    let modes = hello
        .extensions
        .psk_modes
        .as_ref()
        .ok_or(Error::MissingExtension("psk_key_exchange_modes"))?;
    if !config.session_tickets || !modes.contains(&psk_mode::PSK_DHE_KE) {
        return Ok(None);
    }
    let truncated_len = encoded
        .len()
        .checked_sub(hello.binders_len())
        .ok_or(Error::Decode("binders longer than the ClientHello"))?;
    let truncated = encoded.get(..truncated_len).unwrap_or(&[]);
    let provider = &config.provider;
    for (index, (identity, binder)) in offered.identities.iter().zip(&offered.binders).enumerate() {
        let Some(ticket) = config.sessions.open_tls13(provider, &identity.identity) else {
            continue;
        };
        let ticket_suite = config.cipher_suites.iter().find(|s| s.id == ticket.suite);
        if !ticket_suite.is_some_and(|s| same_hash(s, suite))
            || ticket.server_name.as_deref() != server_name
        {
            continue;
        }
        let Ok(OpaqueKey::Tls13(psk)) = provider.import_opaque_key(&ticket.psk) else {
            continue;
        };
        if psk.kind() != SecretKind::PreSharedKey {
            continue;
        }
        let mut binder_transcript = new_transcript(provider, suite)?;
        binder_transcript.update(earlier);
        binder_transcript.update(truncated);
        let expected = psk_binder(provider, &psk, &binder_transcript)?;
        check_finished(&expected, binder)
            .map_err(|_| Error::DecryptError("PSK binder does not verify"))?;
        let index = u16::try_from(index).map_err(|_| Error::Decode("too many PSKs"))?;
        tracing::debug!(index, "resuming with a ticket");
        return Ok(Some((index, psk)));
    }
    Ok(None)
}

/// After a HelloRetryRequest: the second ClientHello.
struct ExpectRetriedHello {
    config: Arc<ServerConfig>,
    retry: Retry,
}

impl State for ExpectRetriedHello {
    fn handle(
        self: Box<Self>,
        cx: &mut CommonState,
        message: Message,
    ) -> Result<Box<dyn State>, Error> {
        let message = message.expect(HandshakeType::ClientHello, "expected ClientHello2")?;
        let hello = ClientHello::parse(message.body())?;
        let still_tls13 = hello
            .extensions
            .supported_versions
            .as_ref()
            .is_some_and(|v| v.contains(&version::TLS13));
        if !still_tls13 {
            return Err(Error::IllegalParameter("ClientHello2 dropped TLS 1.3"));
        }
        client_hello(self.config, cx, hello, message.encoded, Some(self.retry))
    }
}

/// Waiting for the client's Finished.
struct ExpectFinished {
    config: Arc<ServerConfig>,
    /// The client's Finished as it must be.
    client_finished: Vec<u8>,
    client_ap: Tls13Secret,
    server_ap: Tls13Secret,
    exporter: Tls13Secret,
    /// The ticket to send once the client's Finished checks out, and its `ticket_age_add`.
    ticket: Option<(u32, Vec<u8>)>,
    info: ConnectionInfo,
}

impl State for ExpectFinished {
    fn handle(
        self: Box<Self>,
        cx: &mut CommonState,
        message: Message,
    ) -> Result<Box<dyn State>, Error> {
        let message = message.expect(HandshakeType::Finished, "expected the client's Finished")?;
        check_expected_finished(&self.client_finished, message.body())?;
        let provider = self.config.provider.clone();
        cx.record
            .set_read_key(provider.expand_write_key(&self.client_ap)?, true)?;
        if let Some((age_add, ticket)) = self.ticket {
            cx.send_handshake(
                &NewSessionTicket13 {
                    lifetime: SESSION_LIFETIME,
                    age_add,
                    nonce: TICKET_NONCE.to_vec(),
                    ticket,
                    max_early_data: None,
                }
                .encode(),
            );
        }
        cx.complete_handshake(self.info)?;
        Ok(Box::new(Traffic::new(
            provider,
            Side::Server,
            self.server_ap,
            self.client_ap,
            self.exporter,
            None,
        )))
    }
}
