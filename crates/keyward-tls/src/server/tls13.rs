//! The TLS 1.3 server handshake (RFC 8446 §2): HelloRetryRequest when the client's key
//! shares miss our group, PSK resumption with (EC)DHE, certificate authentication, and
//! NewSessionTicket after the client's Finished. Early data is always refused.

use std::sync::Arc;

use keyward_core::backend::fill_random;
use keyward_ssl::{
    CipherSuite, EphemeralKey, Group, HandshakeHash, KeyExchange, OpaqueKey, SecretKind, Side,
    Tls13Secret,
};

use super::{choose_alpn, offered_schemes, server_random};
use crate::alert::AlertDescription;
use crate::certs::CertifiedKey;
use crate::codec::enums::{psk_mode, version, HandshakeType, HELLO_RETRY_REQUEST_RANDOM};
use crate::codec::extensions::{KeyShareEntry, ServerExtensions};
use crate::codec::handshake::{
    encode_certificate_verify, encode_encrypted_extensions, encode_finished, CertificateMessage,
    DigitallySigned, NewSessionTicket13,
};
use crate::codec::hello::{ClientHello, ServerHello};
use crate::common_state::{check_finished, CommonState, ConnectionInfo, Message, State};
use crate::config::{ServerConfig, Version};
use crate::error::Error;
use crate::resumption::{now_millis, ServerTicket13, SESSION_LIFETIME};
use crate::sign::{self, SignatureScheme};
use crate::tls13::key_share::{agreement_error, import_peer, public_value};
use crate::tls13::traffic::Traffic;
use crate::tls13::{
    certificate_verify_content, check_expected_finished, new_transcript, psk_binder,
    retry_transcript, same_hash, traffic_pair, PROTOCOL,
};

/// How many tickets a server sends after a handshake.
const TICKETS_PER_HANDSHAKE: u8 = 1;

/// What a HelloRetryRequest fixed for the second ClientHello.
pub(super) struct Retry {
    suite: &'static CipherSuite,
    group: Group,
    /// `message_hash(ClientHello1) ‖ HelloRetryRequest`.
    transcript: HandshakeHash,
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
    let (mut transcript, sent_compat_ccs) = match retry {
        Some(retry) => (retry.transcript, retry.sent_compat_ccs),
        None => (new_transcript(&config.provider, suite)?, false),
    };
    let server_name = hello.extensions.server_name.clone();
    let alpn = choose_alpn(&config, &hello)?;
    let psk = accept_psk(
        &config,
        &hello,
        &encoded,
        suite,
        &transcript,
        server_name.as_deref(),
    )?;
    transcript.update(&encoded);
    let certificate = match psk {
        Some(_) => None,
        None => Some(choose_certificate(&config, &hello, server_name.as_deref())?),
    };
    let chosen = Chosen {
        suite,
        group,
        share,
        transcript,
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
    /// Through the ClientHello.
    transcript: HandshakeHash,
    sent_compat_ccs: bool,
    server_name: Option<String>,
    alpn: Option<Vec<u8>>,
    /// The accepted PSK's index and secret.
    psk: Option<(u16, Tls13Secret)>,
    /// The certificate and scheme that authenticate us; `None` with a PSK.
    certificate: Option<(Arc<CertifiedKey>, SignatureScheme)>,
}

/// Agrees on the handshake keys and sends the server's flight, ServerHello to Finished
/// (RFC 8446 §2).
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
        mut transcript,
        sent_compat_ccs,
        server_name,
        alpn,
        psk,
        certificate,
    } = chosen;
    let provider = config.provider.clone();
    let own = provider.create_ephemeral_key(PROTOCOL, suite, group)?;
    let peer = import_peer(group, &share.key_exchange, true)?;
    // The agreement comes before the ServerHello, so that a peer value giving no secret is
    // refused in plaintext, as the first answer.
    let early = provider.extract_early_key(psk.as_ref().map(|(_, psk)| psk), PROTOCOL, suite)?;
    let handshake = provider
        .extract_handshake_key(&own, &peer, &early)
        .map_err(agreement_error)?;
    emit_server_hello(
        &config,
        cx,
        hello,
        (suite, group, &own),
        psk.as_ref().map(|(index, _)| *index),
        sent_compat_ccs,
        &mut transcript,
    )?;

    let (client_hs, server_hs) =
        traffic_pair(provider.expand_traffic_keys(&handshake, &transcript)?)?;
    cx.record
        .set_write_key(provider.expand_write_key(&server_hs)?, true)?;
    cx.record
        .set_read_key(provider.expand_write_key(&client_hs)?, true)?;
    if hello.extensions.early_data {
        cx.record.skip_early_data();
    }
    let extensions = ServerExtensions {
        alpn: alpn.clone(),
        server_name: server_name.is_some() && psk.is_none(),
        ..ServerExtensions::default()
    };
    let signature_scheme = emit_server_flight(
        cx,
        &extensions,
        certificate.as_ref(),
        &server_hs,
        &mut transcript,
    )?;
    let info = ConnectionInfo {
        version: Version::Tls13,
        suite,
        group: Some(group),
        signature_scheme,
        extended_master_secret: true,
        encrypt_then_mac: false,
        resumed: psk.is_some(),
        alpn,
        server_name,
    };
    expect_finished(config, cx, (handshake, client_hs), transcript, info)
}

/// After our Finished: the application secrets, the exporter (RFC 8446 §7.1) and the
/// client's Finished we expect, all over the transcript that ends with our Finished; we write
/// with the server's application key at once, and read the client's Finished under its
/// handshake key.
fn expect_finished(
    config: Arc<ServerConfig>,
    cx: &mut CommonState,
    (handshake, client_hs): (Tls13Secret, Tls13Secret),
    transcript: HandshakeHash,
    info: ConnectionInfo,
) -> Result<Box<dyn State>, Error> {
    let provider = &config.provider;
    let master = provider.extract_master_key(&handshake)?;
    let (keys, client_finished) =
        provider.expand_traffic_keys_with_finished(&master, &transcript, &client_hs)?;
    let (client_ap, server_ap) = traffic_pair(keys)?;
    let exporter = provider.expand_exporter_master_key(&master, &transcript)?;
    cx.record
        .set_write_key(provider.expand_write_key(&server_ap)?, true)?;
    Ok(Box::new(ExpectFinished {
        config,
        transcript,
        client_finished,
        client_ap,
        server_ap,
        master,
        exporter,
        info,
    }))
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

/// Sends the ServerHello (our share, the chosen PSK's index), then the
/// middlebox-compatibility change_cipher_spec when the client sent a session id and none went
/// out yet (RFC 8446 §D.4).
fn emit_server_hello(
    config: &ServerConfig,
    cx: &mut CommonState,
    hello: &ClientHello,
    (suite, group, own): (&'static CipherSuite, Group, &EphemeralKey),
    psk_index: Option<u16>,
    sent_compat_ccs: bool,
    transcript: &mut HandshakeHash,
) -> Result<(), Error> {
    let server_hello = ServerHello {
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
    .encode();
    transcript.update(&server_hello);
    cx.send_handshake(&server_hello);
    if !hello.session_id.is_empty() && !sent_compat_ccs {
        cx.record.send_change_cipher_spec(true)?;
    }
    Ok(())
}

/// Sends EncryptedExtensions, the Certificate and CertificateVerify when a certificate
/// authenticates (not a PSK), and Finished (RFC 8446 §4.3, §4.4); returns the signature
/// scheme used.
fn emit_server_flight(
    cx: &mut CommonState,
    extensions: &ServerExtensions,
    certificate: Option<&(Arc<CertifiedKey>, SignatureScheme)>,
    server_hs: &Tls13Secret,
    transcript: &mut HandshakeHash,
) -> Result<Option<SignatureScheme>, Error> {
    let encrypted_extensions = encode_encrypted_extensions(extensions);
    transcript.update(&encrypted_extensions);
    cx.send_handshake(&encrypted_extensions);

    let mut signature_scheme = None;
    if let Some((key, scheme)) = certificate {
        let certificate = CertificateMessage {
            context: Vec::new(),
            chain: key.chain.clone(),
        }
        .encode(true);
        transcript.update(&certificate);
        cx.send_handshake(&certificate);
        let content = certificate_verify_content(&transcript.current_digest(), true);
        let verify = encode_certificate_verify(&DigitallySigned {
            scheme: scheme.to_u16(),
            signature: sign::sign(&key.key, *scheme, &content)?,
        });
        transcript.update(&verify);
        cx.send_handshake(&verify);
        signature_scheme = Some(*scheme);
    }
    let finished = encode_finished(&server_hs.compute_finished_hash(transcript)?);
    transcript.update(&finished);
    cx.send_handshake(&finished);
    Ok(signature_scheme)
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
    let transcript = retry_transcript(&config.provider, suite, encoded, &retry_request)?;
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
            transcript,
            session_id: hello.session_id.clone(),
            sent_compat_ccs,
        },
    }))
}

/// Finds the first offered ticket this server made that fits, and checks its binder: a
/// bad binder is `decrypt_error` (RFC 8446 §4.2.11). Tickets that do not open, expired or
/// of another hash are skipped (full handshake).
fn accept_psk(
    config: &ServerConfig,
    hello: &ClientHello,
    encoded: &[u8],
    suite: &'static CipherSuite,
    transcript: &HandshakeHash,
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
        let mut binder_transcript = transcript.duplicate();
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
    transcript: HandshakeHash,
    /// The client's Finished as it must be.
    client_finished: Vec<u8>,
    client_ap: Tls13Secret,
    server_ap: Tls13Secret,
    master: Tls13Secret,
    exporter: Tls13Secret,
    info: ConnectionInfo,
}

impl State for ExpectFinished {
    fn handle(
        mut self: Box<Self>,
        cx: &mut CommonState,
        message: Message,
    ) -> Result<Box<dyn State>, Error> {
        let message = message.expect(HandshakeType::Finished, "expected the client's Finished")?;
        check_expected_finished(&self.client_finished, message.body())?;
        self.transcript.update(&message.encoded);
        let provider = self.config.provider.clone();
        cx.record
            .set_read_key(provider.expand_write_key(&self.client_ap)?, true)?;
        self.send_tickets(cx);
        cx.complete_handshake(self.info.clone())?;
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

impl ExpectFinished {
    /// Sends NewSessionTickets, each a sealed resumption PSK; failures only mean no ticket.
    fn send_tickets(&self, cx: &mut CommonState) {
        if !self.config.session_tickets {
            return;
        }
        let provider = &self.config.provider;
        let resumption = match provider.expand_resumption_master_key(&self.master, &self.transcript)
        {
            Ok(secret) => secret,
            Err(error) => {
                tracing::warn!(%error, "no resumption secret");
                return;
            }
        };
        for nonce in 0..TICKETS_PER_HANDSHAKE {
            let nonce = vec![nonce];
            let mut age_add = [0u8; 4];
            let derived = provider
                .expand_pre_shared_key(&resumption, &nonce)
                .and_then(|psk| fill_random(&mut age_add).map(|()| psk));
            let psk = match derived {
                Ok(psk) => psk,
                Err(error) => {
                    tracing::warn!(%error, "no ticket sent");
                    return;
                }
            };
            let age_add = u32::from_be_bytes(age_add);
            let contents = ServerTicket13 {
                psk: Vec::new(), // the blob of `psk`, made as the ticket is sealed
                suite: self.info.suite.id,
                age_add,
                issued_ms: now_millis(),
                alpn: self.info.alpn.clone(),
                server_name: self.info.server_name.clone(),
            };
            let sealed = self
                .config
                .sessions
                .seal_tls13_with_psk(provider, &contents, &psk);
            let Some(ticket) = sealed else {
                return;
            };
            cx.send_handshake(
                &NewSessionTicket13 {
                    lifetime: SESSION_LIFETIME,
                    age_add,
                    nonce,
                    ticket,
                    max_early_data: None,
                }
                .encode(),
            );
        }
    }
}
