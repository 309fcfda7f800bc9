//! The TLS 1.2 server handshake (RFC 5246 §7.3): RSA, ECDHE_RSA, ECDHE_ECDSA and DHE_RSA key
//! exchange, the extended master secret (RFC 7627), secure renegotiation signalling
//! (RFC 5746), encrypt-then-MAC for CBC suites (RFC 7366), and resumption by session ID or
//! ticket (RFC 5077).

use std::sync::Arc;

use keyward_core::backend::{fill_random, Curve, FfdheGroup};
use keyward_ssl::flight::ServerFlight12;
use keyward_ssl::master::FINISHED_LEN;
use keyward_ssl::{
    CipherSuite, EphemeralKey, Group, HandshakeHash, KeyExchange, MasterKey, OpaqueKey, Protocol,
    SessionKey, Side,
};

use super::{choose_alpn, offered_schemes, server_random};
use crate::alert::AlertDescription;
use crate::certs::CertifiedKey;
use crate::codec::enums::{signal, HandshakeType, EC_POINT_UNCOMPRESSED};
use crate::codec::extensions::ServerExtensions;
use crate::codec::handshake::{
    encode_server_hello_done, parse_client_key_exchange, CertificateMessage, ClientKeyExchangeKind,
    DigitallySigned, ServerKeyExchange, ServerKeyExchangeParams,
};
use crate::codec::hello::{ClientHello, ServerHello};
use crate::common_state::{CommonState, ConnectionInfo, Message, State};
use crate::config::{ExtendedMasterSecret, ServerConfig, Version};
use crate::error::{Error, Incompatibility};
use crate::resumption::{now_secs, ServerSession12, SESSION_LIFETIME};
use crate::sign::{self, SignatureScheme};
use crate::tls12::traffic::Traffic;
use crate::tls12::{
    check_expected_finished, check_first_renegotiation_info, check_peer_finished, finished,
    master_params, Randoms, PROTOCOL,
};
use crate::tls13::key_share::{agreement_error, import_peer, public_value};

/// The TLS 1.2 choices that hold for the whole handshake.
struct Session {
    config: Arc<ServerConfig>,
    suite: &'static CipherSuite,
    randoms: Randoms,
    session_id: Vec<u8>,
    extended_master_secret: bool,
    /// CBC records are encrypt-then-MAC (RFC 7366).
    encrypt_then_mac: bool,
    /// The client's `client_version`, bound into an RSA premaster.
    client_version: u16,
    alpn: Option<Vec<u8>>,
    server_name: Option<String>,
}

impl Session {
    fn info(
        &self,
        group: Option<Group>,
        scheme: Option<SignatureScheme>,
        resumed: bool,
    ) -> ConnectionInfo {
        ConnectionInfo {
            version: Version::Tls12,
            suite: self.suite,
            group,
            signature_scheme: scheme,
            extended_master_secret: self.extended_master_secret,
            encrypt_then_mac: self.encrypt_then_mac,
            resumed,
            alpn: self.alpn.clone(),
            server_name: self.server_name.clone(),
        }
    }
}

/// Handles a ClientHello that negotiated TLS 1.2.
pub(super) fn client_hello(
    config: Arc<ServerConfig>,
    cx: &mut CommonState,
    hello: ClientHello,
    encoded: Vec<u8>,
) -> Result<Box<dyn State>, Error> {
    let secure_renegotiation = check_first_hello(&config, &hello)?;
    let ext = &hello.extensions;
    let client_ems = ext.extended_master_secret;
    let alpn = choose_alpn(&config, &hello)?;
    let server_name = ext.server_name.clone();
    let random = server_random(&config, Version::Tls12)?;

    if let Some(resumed) = find_session(&config, &hello)? {
        return resume(
            config,
            cx,
            &hello,
            &encoded,
            resumed,
            random,
            secure_renegotiation,
        );
    }

    let choice = choose_suite(&config, &hello)?;
    let extended_master_secret =
        client_ems && config.extended_master_secret != ExtendedMasterSecret::Off;
    // RFC 7366 §3: only with a CBC suite; never echoed for an AEAD one.
    let encrypt_then_mac = wants_encrypt_then_mac(&config, &hello, choice.suite);
    let issue_ticket = config.session_tickets
        && ext.session_ticket.is_some()
        && config.sessions.can_seal(&config.provider);
    let mut session_id = Vec::new();
    if config.session_cache || issue_ticket {
        session_id = vec![0u8; 32];
        fill_random(&mut session_id)?;
    }
    let session = Session {
        config: config.clone(),
        suite: choice.suite,
        randoms: Randoms {
            client: hello.random,
            server: random,
        },
        session_id,
        extended_master_secret,
        encrypt_then_mac,
        client_version: hello.legacy_version,
        alpn,
        server_name,
    };
    let answers = (secure_renegotiation, issue_ticket);
    emit_server_flight(cx, &hello, &encoded, session, choice, answers)
}

/// The checks of a first ClientHello (RFC 5246 §7.4.1.2): null compression offered, an
/// empty renegotiation_info (RFC 5746 §3.6), points we can read, and the extended master
/// secret if the configuration requires it. Returns whether the client asked for secure
/// renegotiation (the extension or the SCSV).
fn check_first_hello(config: &ServerConfig, hello: &ClientHello) -> Result<bool, Error> {
    let ext = &hello.extensions;
    if !hello.compression_methods.contains(&0) {
        return Err(Error::IllegalParameter("null compression not offered"));
    }
    check_first_renegotiation_info(ext.renegotiation_info.as_deref())?;
    let secure_renegotiation = ext.renegotiation_info.is_some()
        || hello
            .cipher_suites
            .contains(&signal::EMPTY_RENEGOTIATION_INFO_SCSV);
    check_point_formats(hello)?;
    if config.extended_master_secret == ExtendedMasterSecret::Require && !ext.extended_master_secret
    {
        return Err(Error::PeerIncompatible(
            Incompatibility::NoExtendedMasterSecret,
        ));
    }
    Ok(secure_renegotiation)
}

/// The full handshake's flight (RFC 5246 §7.3): ServerHello, Certificate,
/// ServerKeyExchange for (EC)DHE, and ServerHelloDone. `answers` says whether the ServerHello
/// answers secure renegotiation and promises a ticket.
fn emit_server_flight(
    cx: &mut CommonState,
    hello: &ClientHello,
    encoded: &[u8],
    session: Session,
    choice: SuiteChoice,
    (secure_renegotiation, issue_ticket): (bool, bool),
) -> Result<Box<dyn State>, Error> {
    let ext = &hello.extensions;
    let ecdhe = matches!(choice.group, Some(Group::Ec(_)));
    let server_hello = ServerHello {
        legacy_version: crate::codec::enums::version::TLS12,
        random: session.randoms.server,
        session_id: session.session_id.clone(),
        cipher_suite: choice.suite.id,
        compression_method: 0,
        extensions: ServerExtensions {
            renegotiation_info: secure_renegotiation.then(Vec::new),
            extended_master_secret: session.extended_master_secret,
            encrypt_then_mac: session.encrypt_then_mac,
            ec_point_formats: (ecdhe && ext.ec_point_formats.is_some())
                .then(|| vec![EC_POINT_UNCOMPRESSED]),
            session_ticket: issue_ticket,
            alpn: session.alpn.clone(),
            server_name: session.server_name.is_some(),
            ..ServerExtensions::default()
        },
    }
    .encode();
    let mut messages = encoded.to_vec();
    messages.extend_from_slice(&server_hello);
    cx.send_handshake(&server_hello);

    let certificate = CertificateMessage {
        context: Vec::new(),
        chain: choice.key.chain.clone(),
    }
    .encode(false);
    messages.extend_from_slice(&certificate);
    cx.send_handshake(&certificate);

    let ephemeral = emit_server_key_exchange(cx, &session, &choice, &mut messages)?;
    let done = encode_server_hello_done();
    messages.extend_from_slice(&done);
    cx.send_handshake(&done);
    Ok(Box::new(ExpectClientKeyExchange {
        session,
        messages,
        key: choice.key,
        ephemeral,
        scheme: choice.scheme,
        issue_ticket,
    }))
}

/// ServerKeyExchange for an (EC)DHE suite (RFC 5246 §7.4.3, RFC 8422 §5.4): our ephemeral
/// public value, signed over both randoms; returns the group and key, none for RSA key
/// exchange.
fn emit_server_key_exchange(
    cx: &mut CommonState,
    session: &Session,
    choice: &SuiteChoice,
    messages: &mut Vec<u8>,
) -> Result<Option<(Group, EphemeralKey)>, Error> {
    let config = &session.config;
    if let (Some(group), Some(scheme)) = (choice.group, choice.scheme) {
        let own = config
            .provider
            .create_ephemeral_key(PROTOCOL, choice.suite, group)?;
        let params = match group {
            Group::Ec(_) => ServerKeyExchangeParams::Ecdhe {
                group: group.tls_id(),
                public: public_value(&own),
            },
            Group::Ffdhe(ffdhe) => ServerKeyExchangeParams::Dhe {
                prime: ffdhe.prime().to_vec(),
                generator: vec![2],
                public: public_value(&own),
            },
        };
        let mut signed = session.randoms.joined().to_vec();
        signed.extend_from_slice(&params.encode());
        let key_exchange = ServerKeyExchange {
            params,
            signed: DigitallySigned {
                scheme: scheme.to_u16(),
                signature: sign::sign(&choice.key.key, scheme, &signed)?,
            },
        }
        .encode();
        messages.extend_from_slice(&key_exchange);
        cx.send_handshake(&key_exchange);
        return Ok(Some((group, own)));
    }
    Ok(None)
}

/// Encrypt-then-MAC for this handshake: the client offered it, the configuration allows it
/// and `suite` is a CBC suite (RFC 7366 §3: an AEAD suite gets no response).
fn wants_encrypt_then_mac(config: &ServerConfig, hello: &ClientHello, suite: &CipherSuite) -> bool {
    config.encrypt_then_mac && hello.extensions.encrypt_then_mac && !suite.cipher.is_aead()
}

/// RFC 8422 §5.1.2: a client that names a curve of RFC 8422 in `supported_groups` and sends
/// `ec_point_formats` without `uncompressed` is `illegal_parameter`.
fn check_point_formats(hello: &ClientHello) -> Result<(), Error> {
    const RFC8422_CURVES: [u16; 5] = [23, 24, 25, 29, 30];
    let ext = &hello.extensions;
    let names_a_curve = ext
        .supported_groups
        .as_ref()
        .is_some_and(|groups| groups.iter().any(|g| RFC8422_CURVES.contains(g)));
    let without_uncompressed = ext
        .ec_point_formats
        .as_ref()
        .is_some_and(|formats| !formats.contains(&EC_POINT_UNCOMPRESSED));
    if names_a_curve && without_uncompressed {
        return Err(Error::IllegalParameter(
            "ec_point_formats without the uncompressed format",
        ));
    }
    Ok(())
}

/// A suite with what it needs: the certificate, the group and the signature scheme.
struct SuiteChoice {
    suite: &'static CipherSuite,
    key: Arc<CertifiedKey>,
    group: Option<Group>,
    scheme: Option<SignatureScheme>,
}

/// Our most preferred TLS 1.2 suite that the client offers and that we can serve. A client
/// that the strict policy refuses and [`ServerConfig::legacy_clients`] would accept gets
/// [`Error::PeerIncompatible`] saying why.
fn choose_suite(config: &ServerConfig, hello: &ClientHello) -> Result<SuiteChoice, Error> {
    let refused = match choose_suite_with(config, hello, config.legacy_clients) {
        Ok(choice) => return Ok(choice),
        Err(refused) => refused,
    };
    if config.legacy_clients {
        return Err(refused);
    }
    match choose_suite_with(config, hello, true) {
        Ok(choice) if choice.scheme.is_some_and(is_sha1) => Err(Error::PeerIncompatible(
            Incompatibility::NoSignatureAlgorithms,
        )),
        Ok(_) => Err(Error::PeerIncompatible(Incompatibility::NoSupportedGroups)),
        Err(_) => Err(refused),
    }
}

fn is_sha1(scheme: SignatureScheme) -> bool {
    matches!(
        scheme,
        SignatureScheme::RsaPkcs1Sha1 | SignatureScheme::EcdsaSha1
    )
}

/// The curve for a client that offers ECDHE without `supported_groups` (RFC 8422 §4 lets
/// the server choose): P-256, else P-384, else our first curve; such clients predate X25519.
fn server_chosen_curve(config: &ServerConfig) -> Option<Group> {
    let configured = |curve: Curve| {
        config
            .groups
            .iter()
            .copied()
            .find(|g| *g == Group::Ec(curve))
    };
    configured(Curve::P256)
        .or_else(|| configured(Curve::P384))
        .or_else(|| {
            config
                .groups
                .iter()
                .copied()
                .find(|g| matches!(g, Group::Ec(_)))
        })
}

/// [`choose_suite`] under one policy: a certificate of the right kind, a group for (EC)DHE
/// (RFC 8422 §5.1, RFC 7919 §4) and a signature scheme the client accepts. `legacy` allows
/// a SHA-1 signature to a client without `signature_algorithms` (RFC 5246 §7.4.1.4.1: it
/// can check nothing else) and a server-chosen curve to one without `supported_groups`.
fn choose_suite_with(
    config: &ServerConfig,
    hello: &ClientHello,
    legacy: bool,
) -> Result<SuiteChoice, Error> {
    let ext = &hello.extensions;
    let schemes = offered_schemes(hello);
    let (ec_group, dh_group) = choose_dhe_groups(config, hello, legacy);
    // Certificates that name the server come first, whatever the suite preference; the
    // others are defaults.
    let candidates = config.certificates.candidates(ext.server_name.as_deref());
    let (named, defaults): (Vec<_>, Vec<_>) = candidates.into_iter().partition(|key| {
        ext.server_name
            .as_deref()
            .is_some_and(|name| key.matches(name))
    });
    for tier in [named, defaults] {
        for suite in config.cipher_suites.iter().copied() {
            if !hello.cipher_suites.contains(&suite.id) || !suite.allows(Protocol::Tls12) {
                continue;
            }
            let group = match suite.key_exchange {
                KeyExchange::Tls13 => continue,
                KeyExchange::Rsa => None,
                KeyExchange::EcdheRsa | KeyExchange::EcdheEcdsa => match ec_group {
                    Some(group) => Some(group),
                    None => continue,
                },
                KeyExchange::DheRsa => match dh_group {
                    Some(group) => Some(group),
                    None => continue,
                },
            };
            for key in &tier {
                if !key.key.serves(suite) {
                    continue;
                }
                let Some(scheme) = choose_signature(key, suite, schemes.as_deref(), legacy) else {
                    continue;
                };
                return Ok(SuiteChoice {
                    suite,
                    key: key.clone(),
                    group,
                    scheme,
                });
            }
        }
    }
    Err(Error::Negotiation(
        "no TLS 1.2 cipher suite in common",
        AlertDescription::HandshakeFailure,
    ))
}

/// The groups for (EC)DHE suites: our first curve the client lists (a server-chosen one for
/// a legacy client without `supported_groups`), none unless the client reads uncompressed
/// points; and our first FFDHE group the client lists, ffdhe2048 when it lists none
/// (RFC 7919 §4).
fn choose_dhe_groups(
    config: &ServerConfig,
    hello: &ClientHello,
    legacy: bool,
) -> (Option<Group>, Option<Group>) {
    let ext = &hello.extensions;
    let client_groups = ext.supported_groups.as_deref();
    let ec_group = match client_groups {
        Some(groups) => config
            .groups
            .iter()
            .copied()
            .find(|g| matches!(g, Group::Ec(_)) && groups.contains(&g.tls_id())),
        None if legacy => server_chosen_curve(config),
        None => None,
    };
    let uncompressed_ok = ext
        .ec_point_formats
        .as_ref()
        .is_none_or(|f| f.contains(&EC_POINT_UNCOMPRESSED));
    let client_ffdhe: Vec<u16> = client_groups
        .unwrap_or(&[])
        .iter()
        .copied()
        .filter(|id| (256..=511).contains(id))
        .collect();
    let dh_group = if client_ffdhe.is_empty() {
        Some(Group::Ffdhe(FfdheGroup::Ffdhe2048))
    } else {
        config
            .groups
            .iter()
            .copied()
            .find(|g| matches!(g, Group::Ffdhe(_)) && client_ffdhe.contains(&g.tls_id()))
    };
    (ec_group.filter(|_| uncompressed_ok), dh_group)
}

/// How `key` signs for `suite`: `Some(None)` for RSA key exchange, which signs nothing;
/// `None` when the client accepts none of the key's schemes.
fn choose_signature(
    key: &CertifiedKey,
    suite: &CipherSuite,
    schemes: Option<&[SignatureScheme]>,
    legacy: bool,
) -> Option<Option<SignatureScheme>> {
    if suite.key_exchange == KeyExchange::Rsa {
        return Some(None);
    }
    let scheme = match schemes {
        Some(offered) => sign::choose_scheme(&key.key, offered, false),
        None if legacy => Some(if key.key.is_rsa() {
            SignatureScheme::RsaPkcs1Sha1
        } else {
            SignatureScheme::EcdsaSha1
        }),
        None => None,
    };
    scheme.map(Some)
}

/// A session the client asked to resume (ticket first, then session ID) that may be
/// resumed. RFC 7627 §5.3: a session with the extended master secret resumed by a client
/// not offering it aborts; one without it is not resumed by a client offering it.
fn find_session(
    config: &ServerConfig,
    hello: &ClientHello,
) -> Result<Option<ServerSession12>, Error> {
    let ext = &hello.extensions;
    let mut found = None;
    if config.session_tickets {
        if let Some(ticket) = ext.session_ticket.as_ref().filter(|t| !t.is_empty()) {
            found = config.sessions.open_tls12(&config.provider, ticket);
        }
    }
    if found.is_none() && config.session_cache && !hello.session_id.is_empty() {
        found = config.sessions.cache_get(&hello.session_id);
    }
    let Some(session) = found else {
        return Ok(None);
    };
    let suite_ok = hello.cipher_suites.contains(&session.suite)
        && config.cipher_suites.iter().any(|s| s.id == session.suite);
    if !suite_ok || session.server_name != ext.server_name {
        return Ok(None);
    }
    if session.extended_master_secret && !ext.extended_master_secret {
        return Err(Error::Negotiation(
            "resumption of an extended-master-secret session without it",
            AlertDescription::HandshakeFailure,
        ));
    }
    let ems_policy_ok = match config.extended_master_secret {
        ExtendedMasterSecret::Require => session.extended_master_secret,
        ExtendedMasterSecret::Offer => session.extended_master_secret == ext.extended_master_secret,
        ExtendedMasterSecret::Off => !session.extended_master_secret && !ext.extended_master_secret,
    };
    if !ems_policy_ok {
        return Ok(None);
    }
    if let (Some(offered), Some(alpn)) = (&ext.alpn, &session.alpn) {
        if !offered.contains(alpn) {
            return Ok(None);
        }
    }
    // RFC 7366 §3.1: no downgrade from encrypt-then-MAC to MAC-then-encrypt. A session made
    // with it and a ClientHello without it (or a configuration that has turned it off) get
    // a full handshake, which negotiates afresh; so does the reverse, which keeps the
    // resumed session's record format the one it was made with.
    let etm_now = config
        .cipher_suites
        .iter()
        .any(|s| s.id == session.suite && wants_encrypt_then_mac(config, hello, s));
    if session.encrypt_then_mac != etm_now {
        tracing::debug!(
            session = session.encrypt_then_mac,
            offered = etm_now,
            "encrypt-then-MAC differs from the session's: full handshake"
        );
        return Ok(None);
    }
    Ok(Some(session))
}

/// The abbreviated handshake (RFC 5246 §7.3, figure 2).
fn resume(
    config: Arc<ServerConfig>,
    cx: &mut CommonState,
    hello: &ClientHello,
    encoded: &[u8],
    resumed: ServerSession12,
    random: [u8; 32],
    secure_renegotiation: bool,
) -> Result<Box<dyn State>, Error> {
    let master = match config.provider.import_opaque_key(&resumed.master) {
        Ok(OpaqueKey::Master(master)) if master.suite().id == resumed.suite => master,
        _ => {
            return Err(Error::General(
                "a resumed session's master key did not open",
            ))
        }
    };
    tracing::debug!("resuming a TLS 1.2 session");
    let session = Session {
        config: config.clone(),
        suite: master.suite(),
        randoms: Randoms {
            client: hello.random,
            server: random,
        },
        session_id: hello.session_id.clone(),
        extended_master_secret: resumed.extended_master_secret,
        encrypt_then_mac: resumed.encrypt_then_mac,
        client_version: hello.legacy_version,
        alpn: resumed.alpn.clone(),
        server_name: resumed.server_name.clone(),
    };
    let mut transcript =
        emit_resumed_server_hello(cx, hello, encoded, &session, secure_renegotiation)?;
    let keys = master
        .generate_session_keys(&session.randoms.session_key_params(session.encrypt_then_mac))?;
    cx.record.send_change_cipher_spec(false)?;
    cx.record.set_write_key(keys.write, false)?;
    let server_finished = finished(&master, &transcript, Side::Server)?;
    transcript.update(&server_finished);
    cx.send_handshake(&server_finished);
    Ok(Box::new(ExpectChangeCipherSpec {
        session,
        master,
        read_key: keys.read,
        ending: Ending::Resumed { transcript },
        info_group: None,
        scheme: None,
    }))
}

/// The resumed session's ServerHello (its id and suite echoed); returns the transcript
/// through it.
fn emit_resumed_server_hello(
    cx: &mut CommonState,
    hello: &ClientHello,
    encoded: &[u8],
    session: &Session,
    secure_renegotiation: bool,
) -> Result<HandshakeHash, Error> {
    let server_hello = ServerHello {
        legacy_version: crate::codec::enums::version::TLS12,
        random: session.randoms.server,
        session_id: session.session_id.clone(),
        cipher_suite: session.suite.id,
        compression_method: 0,
        extensions: ServerExtensions {
            renegotiation_info: secure_renegotiation.then(Vec::new),
            extended_master_secret: session.extended_master_secret,
            encrypt_then_mac: session.encrypt_then_mac,
            alpn: session
                .alpn
                .clone()
                .filter(|_| hello.extensions.alpn.is_some()),
            ..ServerExtensions::default()
        },
    }
    .encode();
    let mut transcript = session
        .config
        .provider
        .create_handshake_hash(PROTOCOL, session.suite)?;
    transcript.update(encoded);
    transcript.update(&server_hello);
    cx.send_handshake(&server_hello);
    Ok(transcript)
}

/// Waiting for the ClientKeyExchange.
struct ExpectClientKeyExchange {
    session: Session,
    /// The handshake messages so far, as the transcript hashes them.
    messages: Vec<u8>,
    key: Arc<CertifiedKey>,
    ephemeral: Option<(Group, EphemeralKey)>,
    scheme: Option<SignatureScheme>,
    issue_ticket: bool,
}

impl State for ExpectClientKeyExchange {
    /// Makes the master key, then everything else of the handshake in one step
    /// ([`Provider::tls12_server_flight`](keyward_ssl::Provider::tls12_server_flight)): the
    /// session keys, the client's Finished as it must be, the ticket and our Finished, which
    /// the messages fix from here.
    fn handle(
        mut self: Box<Self>,
        _cx: &mut CommonState,
        message: Message,
    ) -> Result<Box<dyn State>, Error> {
        let message = message.expect(
            HandshakeType::ClientKeyExchange,
            "expected ClientKeyExchange",
        )?;
        let session = &self.session;
        let config = &session.config;
        let provider = &config.provider;
        let suite = session.suite;
        let kind = match &self.ephemeral {
            None => ClientKeyExchangeKind::Rsa,
            Some((Group::Ec(_), _)) => ClientKeyExchangeKind::Ecdhe,
            Some((Group::Ffdhe(_), _)) => ClientKeyExchangeKind::Dhe,
        };
        let value = parse_client_key_exchange(message.body(), kind)?;
        self.messages.extend_from_slice(&message.encoded);
        let session_hash = match session.extended_master_secret {
            true => {
                let mut transcript = provider.create_handshake_hash(PROTOCOL, suite)?;
                transcript.update(&self.messages);
                Some(transcript.current_digest())
            }
            false => None,
        };
        let params = master_params(&session.randoms, session_hash.as_deref());
        let master = match &self.ephemeral {
            // Bleichenbacher: the provider substitutes a random premaster for a bad one
            // without telling; the handshake then fails at Finished.
            None => provider.import_master_key(
                &self.key.key,
                PROTOCOL,
                suite,
                &params.highest_version(session.client_version),
                &value,
            )?,
            Some((group, own)) => {
                let peer = import_peer(*group, &value, false)?;
                provider
                    .generate_master_key(own, &peer, PROTOCOL, suite, &params, Side::Server)
                    .map_err(agreement_error)?
            }
        };
        // Used up: on an isolated provider its free goes with the flight's request.
        let info_group = self.ephemeral.take().map(|(group, _)| group);
        let stored = ServerSession12 {
            master: Vec::new(), // the master key's blob, from the flight
            suite: suite.id,
            extended_master_secret: session.extended_master_secret,
            encrypt_then_mac: session.encrypt_then_mac,
            alpn: session.alpn.clone(),
            server_name: session.server_name.clone(),
            created: now_secs(),
        };
        let ticket = match self.issue_ticket {
            true => Some(
                config
                    .sessions
                    .tls12_ticket_fields(provider, &stored)
                    .ok_or(Error::General("no ticket can be made"))?,
            ),
            false => None,
        };
        let flight = provider
            .tls12_server_flight(
                &master,
                ServerFlight12 {
                    params: &session.randoms.session_key_params(session.encrypt_then_mac),
                    transcript: &self.messages,
                    ticket: ticket.as_ref().map(|ticket| ticket.tls12(SESSION_LIFETIME)),
                    export: config.session_cache && !session.session_id.is_empty(),
                },
            )
            .map_err(agreement_error)?;
        let cached = flight
            .blob
            .map(|master| ServerSession12 { master, ..stored });
        Ok(Box::new(ExpectChangeCipherSpec {
            session: self.session,
            master,
            read_key: flight.keys.read,
            ending: Ending::Full {
                client_finished: flight.client_finished,
                write_key: flight.keys.write,
                new_session_ticket: flight.new_session_ticket,
                finished: flight.finished,
                cached,
            },
            info_group,
            scheme: self.scheme,
        }))
    }
}

/// How a handshake ends after the client's ChangeCipherSpec: what its Finished is checked
/// against, and what we send then.
enum Ending {
    /// A full handshake, whose end was made with the master key.
    Full {
        /// The client's Finished as it must be.
        client_finished: [u8; FINISHED_LEN],
        /// Our write key, to switch to after the client's Finished.
        write_key: SessionKey,
        /// The NewSessionTicket, when the ServerHello promised one.
        new_session_ticket: Option<Vec<u8>>,
        /// Our Finished.
        finished: Vec<u8>,
        /// The session for the session cache.
        cached: Option<ServerSession12>,
    },
    /// A resumed handshake: our Finished is sent, and the client's covers it.
    Resumed {
        /// Through our Finished.
        transcript: HandshakeHash,
    },
}

/// Waiting for the client's ChangeCipherSpec.
struct ExpectChangeCipherSpec {
    session: Session,
    master: MasterKey,
    read_key: SessionKey,
    ending: Ending,
    info_group: Option<Group>,
    scheme: Option<SignatureScheme>,
}

impl State for ExpectChangeCipherSpec {
    fn handle(
        self: Box<Self>,
        cx: &mut CommonState,
        message: Message,
    ) -> Result<Box<dyn State>, Error> {
        match message {
            Message::ChangeCipherSpec => {}
            Message::Handshake(_) => {
                return Err(Error::UnexpectedMessage("expected ChangeCipherSpec"))
            }
        }
        let ExpectChangeCipherSpec {
            session,
            master,
            read_key,
            ending,
            info_group,
            scheme,
        } = *self;
        cx.record.set_read_key(read_key, false)?;
        Ok(Box::new(ExpectFinished {
            session,
            master,
            ending,
            info_group,
            scheme,
        }))
    }
}

/// Waiting for the client's Finished.
struct ExpectFinished {
    session: Session,
    master: MasterKey,
    ending: Ending,
    info_group: Option<Group>,
    scheme: Option<SignatureScheme>,
}

impl State for ExpectFinished {
    fn handle(
        self: Box<Self>,
        cx: &mut CommonState,
        message: Message,
    ) -> Result<Box<dyn State>, Error> {
        let message = message.expect(HandshakeType::Finished, "expected the client's Finished")?;
        let resumed = matches!(self.ending, Ending::Resumed { .. });
        match self.ending {
            Ending::Full {
                client_finished,
                write_key,
                new_session_ticket,
                finished,
                cached,
            } => {
                check_expected_finished(&client_finished, message.body())?;
                if let Some(ticket) = new_session_ticket {
                    cx.send_handshake(&ticket);
                }
                if let Some(cached) = cached {
                    self.session
                        .config
                        .sessions
                        .cache_put(self.session.session_id.clone(), cached);
                }
                cx.record.send_change_cipher_spec(false)?;
                cx.record.set_write_key(write_key, false)?;
                cx.send_handshake(&finished);
            }
            Ending::Resumed { transcript } => {
                check_peer_finished(&self.master, &transcript, Side::Client, message.body())?
            }
        }
        let info = self.session.info(self.info_group, self.scheme, resumed);
        cx.complete_handshake(info)?;
        Ok(Box::new(Traffic::new(
            Side::Server,
            self.master,
            self.session.randoms,
        )))
    }
}
