//! The TLS 1.2 client handshake after the ServerHello (RFC 5246 §7.3): the server's
//! certificate and key exchange, our ClientKeyExchange, Finished both ways; or the
//! abbreviated handshake of a resumed session (by ID or RFC 5077 ticket). Encrypt-then-MAC
//! (RFC 7366) is used when the server answers our offer for a CBC suite.

use std::sync::Arc;

use keyward_ssl::{
    CipherSuite, Group, HandshakeHash, KeyExchange, MasterKey, OpaqueKey, Parameters, PublicKey,
    SessionKey, Side,
};

use super::Offer;
use crate::alert::AlertDescription;
use crate::codec::enums::{version, ExtensionType, HandshakeType, EC_POINT_UNCOMPRESSED};
use crate::codec::extensions::ServerExtensions;
use crate::codec::handshake::{
    encode_client_key_exchange, parse_empty, CertificateMessage, CertificateRequest,
    ClientKeyExchangeKind, NewSessionTicket12, ServerKeyExchange, ServerKeyExchangeParams,
};
use crate::codec::hello::ServerHello;
use crate::common_state::{CommonState, ConnectionInfo, Message, State};
use crate::config::{ClientConfig, ExtendedMasterSecret, Version};
use crate::error::Error;
use crate::resumption::{now_secs, ClientSession12, SESSION_LIFETIME};
use crate::sign::{self, SignatureScheme};
use crate::tls12::traffic::Traffic;
use crate::tls12::{
    check_first_renegotiation_info, check_peer_finished, finished, master_params, Randoms, PROTOCOL,
};
use crate::tls13::key_share::{agreement_error, group_from_wire, import_peer, public_value};
use crate::verify::public_key_of;

/// The handshake state shared by the states after the ServerHello.
struct Handshake {
    config: Arc<ClientConfig>,
    server_name: String,
    suite: &'static CipherSuite,
    randoms: Randoms,
    transcript: HandshakeHash,
    /// The session ID the server gave.
    session_id: Vec<u8>,
    extended_master_secret: bool,
    /// CBC records are encrypt-then-MAC (RFC 7366).
    encrypt_then_mac: bool,
    alpn: Option<Vec<u8>>,
    /// The server said a NewSessionTicket will come.
    expect_ticket: bool,
    ticket: Option<(Vec<u8>, u32)>,
    peer_chain: Vec<Vec<u8>>,
    server_key: Option<PublicKey>,
    /// The server's (EC)DHE group and public value.
    server_share: Option<(Group, PublicKey)>,
    signature_scheme: Option<SignatureScheme>,
    certificate_requested: bool,
    resumed: bool,
}

/// Handles a ServerHello that selected TLS 1.2.
pub(super) fn server_hello(
    offer: Offer,
    cx: &mut CommonState,
    server_hello: ServerHello,
    encoded: &[u8],
) -> Result<Box<dyn State>, Error> {
    let suite = offer
        .suite(server_hello.cipher_suite)
        .filter(|s| s.key_exchange != KeyExchange::Tls13)
        .ok_or(Error::IllegalParameter(
            "server selected a suite that was not offered",
        ))?;
    let ext = &server_hello.extensions;
    let config = offer.config.clone();
    check_extensions_offered(&offer, ext)?;
    check_extension_answers(&config, suite, ext)?;
    let extended_master_secret = ext.extended_master_secret;
    let encrypt_then_mac = ext.encrypt_then_mac;
    let mut transcript = config.provider.create_handshake_hash(PROTOCOL, suite)?;
    transcript.update(&offer.encoded);
    transcript.update(encoded);
    let randoms = Randoms {
        client: offer.hello.random,
        server: server_hello.random,
    };
    let hs = Handshake {
        config: config.clone(),
        server_name: offer.server_name.clone(),
        suite,
        randoms,
        transcript,
        session_id: server_hello.session_id.clone(),
        extended_master_secret,
        encrypt_then_mac,
        alpn: ext.alpn.clone(),
        expect_ticket: ext.session_ticket,
        ticket: None,
        peer_chain: Vec::new(),
        server_key: None,
        server_share: None,
        signature_scheme: None,
        certificate_requested: false,
        resumed: false,
    };

    let resumed = offer.session12.filter(|_| {
        !server_hello.session_id.is_empty() && server_hello.session_id == offer.hello.session_id
    });
    match resumed {
        Some(session) => resume(cx, hs, session),
        None => Ok(Box::new(ExpectCertificate(hs))),
    }
}

/// Every extension in the ServerHello answers one the ClientHello offered; anything else is
/// `unsupported_extension` (RFC 5246 §7.4.1.4).
fn check_extensions_offered(offer: &Offer, ext: &ServerExtensions) -> Result<(), Error> {
    for kind in &ext.present {
        let offered = match ExtensionType::from_wire(*kind) {
            ExtensionType::RenegotiationInfo | ExtensionType::EcPointFormats => true,
            ExtensionType::ExtendedMasterSecret => offer.hello.extensions.extended_master_secret,
            ExtensionType::EncryptThenMac => offer.hello.extensions.encrypt_then_mac,
            ExtensionType::SessionTicket => offer.hello.extensions.session_ticket.is_some(),
            ExtensionType::ApplicationLayerProtocolNegotiation => {
                !offer.config.alpn_protocols.is_empty()
            }
            ExtensionType::ServerName => offer.sni.is_some(),
            _ => false,
        };
        if !offered {
            return Err(Error::Negotiation(
                "ServerHello has an extension that was not offered",
                AlertDescription::UnsupportedExtension,
            ));
        }
    }
    Ok(())
}

/// The values of the server's answers: an empty renegotiation_info (RFC 5746 §3.4),
/// uncompressed points (RFC 8422 §5.2), the extended master secret if the configuration
/// requires it (RFC 7627), no encrypt_then_mac for an AEAD suite, and an offered ALPN
/// protocol (RFC 7301 §3.1).
fn check_extension_answers(
    config: &ClientConfig,
    suite: &CipherSuite,
    ext: &ServerExtensions,
) -> Result<(), Error> {
    check_first_renegotiation_info(ext.renegotiation_info.as_deref())?;
    if ext
        .ec_point_formats
        .as_ref()
        .is_some_and(|f| !f.contains(&EC_POINT_UNCOMPRESSED))
    {
        return Err(Error::IllegalParameter(
            "server cannot read uncompressed points",
        ));
    }
    if config.extended_master_secret == ExtendedMasterSecret::Require && !ext.extended_master_secret
    {
        return Err(Error::Negotiation(
            "the server does not use the extended master secret",
            AlertDescription::HandshakeFailure,
        ));
    }
    // RFC 7366 §3: a server that selects an AEAD suite must not answer encrypt_then_mac; an
    // answer there contradicts the suite it chose.
    if ext.encrypt_then_mac && suite.cipher.is_aead() {
        return Err(Error::IllegalParameter(
            "encrypt_then_mac answered for an AEAD suite",
        ));
    }
    if let Some(protocol) = &ext.alpn {
        if !config.alpn_protocols.contains(protocol) {
            return Err(Error::IllegalParameter(
                "server selected an unoffered protocol",
            ));
        }
    }
    Ok(())
}

/// The server resumed the offered session (RFC 5246 §7.3): it must keep the session's
/// suite, extended master secret and record format; the ChangeCipherSpec and Finished
/// come next, from the server.
fn resume(
    cx: &mut CommonState,
    mut hs: Handshake,
    session: ClientSession12,
) -> Result<Box<dyn State>, Error> {
    if session.suite != hs.suite.id {
        return Err(Error::IllegalParameter(
            "resumed session with another suite",
        ));
    }
    if session.extended_master_secret != hs.extended_master_secret {
        return Err(Error::Negotiation(
            "extended master secret differs from the resumed session",
            AlertDescription::HandshakeFailure,
        ));
    }
    // RFC 7366 §3.1: a session keeps its record format; resuming an encrypt-then-MAC
    // session without it would be a downgrade.
    if session.encrypt_then_mac != hs.encrypt_then_mac {
        return Err(Error::Negotiation(
            "encrypt-then-MAC differs from the resumed session",
            AlertDescription::HandshakeFailure,
        ));
    }
    let master = match hs.config.provider.import_opaque_key(&session.master) {
        Ok(OpaqueKey::Master(master)) if master.suite().id == hs.suite.id => master,
        _ => return Err(Error::General("the stored master key did not open")),
    };
    tracing::debug!("resuming a TLS 1.2 session");
    hs.resumed = true;
    hs.alpn = hs.alpn.or(session.alpn.clone());
    hs.peer_chain = session.peer_certificates.clone();
    cx.peer_certificates = Some(session.peer_certificates.clone());
    if session.ticket.is_some() && !hs.expect_ticket {
        // Keep offering the ticket we resumed with.
        hs.ticket = session.ticket.map(|t| (t, session.lifetime));
    }
    let keys = master.generate_session_keys(&hs.randoms.session_key_params(hs.encrypt_then_mac))?;
    Ok(Box::new(ExpectChangeCipherSpec {
        hs,
        master,
        read_key: keys.read,
        write_key: Some(keys.write),
    }))
}

struct ExpectCertificate(Handshake);

impl State for ExpectCertificate {
    fn handle(
        self: Box<Self>,
        cx: &mut CommonState,
        message: Message,
    ) -> Result<Box<dyn State>, Error> {
        let message = message.expect(HandshakeType::Certificate, "expected Certificate")?;
        let mut hs = self.0;
        let certificate = CertificateMessage::parse(message.body(), false)?;
        let end_entity = certificate
            .chain
            .first()
            .ok_or(Error::Decode("server sent no certificate"))?;
        hs.config
            .verifier
            .verify(&certificate.chain, &hs.server_name)?;
        let key = public_key_of(end_entity)?;
        let fits = matches!(
            (&key, hs.suite.key_exchange),
            (PublicKey::Ecdsa { .. }, KeyExchange::EcdheEcdsa)
                | (
                    PublicKey::Rsa(_),
                    KeyExchange::Rsa | KeyExchange::DheRsa | KeyExchange::EcdheRsa
                )
        );
        if !fits {
            return Err(Error::Certificate(
                "the certificate's key does not fit the suite".into(),
                AlertDescription::UnsupportedCertificate,
            ));
        }
        hs.transcript.update(&message.encoded);
        cx.peer_certificates = Some(certificate.chain.clone());
        hs.peer_chain = certificate.chain;
        hs.server_key = Some(key);
        if hs.suite.key_exchange == KeyExchange::Rsa {
            Ok(Box::new(ExpectServerHelloDone(hs)))
        } else {
            Ok(Box::new(ExpectServerKeyExchange(hs)))
        }
    }
}

struct ExpectServerKeyExchange(Handshake);

/// The RFC 7919 group with these parameters.
fn ffdhe_group(prime: &[u8], generator: &[u8]) -> Option<Group> {
    let strip = |v: &[u8]| -> Vec<u8> { v.iter().copied().skip_while(|b| *b == 0).collect() };
    if strip(generator) != [2] {
        return None;
    }
    let prime = strip(prime);
    Group::ALL
        .into_iter()
        .find(|g| matches!(g, Group::Ffdhe(f) if f.prime() == prime.as_slice()))
}

impl State for ExpectServerKeyExchange {
    fn handle(
        self: Box<Self>,
        _cx: &mut CommonState,
        message: Message,
    ) -> Result<Box<dyn State>, Error> {
        let message = message.expect(
            HandshakeType::ServerKeyExchange,
            "expected ServerKeyExchange",
        )?;
        let mut hs = self.0;
        let dhe = hs.suite.key_exchange == KeyExchange::DheRsa;
        let key_exchange = ServerKeyExchange::parse(message.body(), dhe)?;
        let (group, public) = match &key_exchange.params {
            ServerKeyExchangeParams::Ecdhe { group, public } => {
                let group = group_from_wire(*group)
                    .filter(|g| matches!(g, Group::Ec(_)) && hs.config.groups.contains(g))
                    .ok_or(Error::IllegalParameter(
                        "server chose a curve that was not offered",
                    ))?;
                (group, public)
            }
            ServerKeyExchangeParams::Dhe {
                prime,
                generator,
                public,
            } => {
                let group = ffdhe_group(prime, generator).ok_or(Error::Negotiation(
                    "DHE parameters are not an RFC 7919 group",
                    AlertDescription::InsufficientSecurity,
                ))?;
                (group, public)
            }
        };
        let scheme = SignatureScheme::from_u16(key_exchange.signed.scheme)
            .ok_or(Error::IllegalParameter("signature scheme was not offered"))?;
        let mut signed = hs.randoms.joined().to_vec();
        signed.extend_from_slice(&key_exchange.params.encode());
        let server_key = hs
            .server_key
            .as_ref()
            .ok_or(Error::General("no server key"))?;
        sign::verify_with_key(
            server_key,
            scheme,
            &signed,
            &key_exchange.signed.signature,
            false,
        )?;
        let peer = import_peer(group, public, false)?;
        hs.transcript.update(&message.encoded);
        hs.server_share = Some((group, peer));
        hs.signature_scheme = Some(scheme);
        Ok(Box::new(ExpectServerHelloDone(hs)))
    }
}

struct ExpectServerHelloDone(Handshake);

impl State for ExpectServerHelloDone {
    fn handle(
        self: Box<Self>,
        cx: &mut CommonState,
        message: Message,
    ) -> Result<Box<dyn State>, Error> {
        let message = message.expect_handshake("change_cipher_spec before ServerHelloDone")?;
        let mut hs = self.0;
        match message.kind {
            HandshakeType::CertificateRequest if !hs.certificate_requested => {
                CertificateRequest::parse(message.body(), false)?;
                hs.transcript.update(&message.encoded);
                hs.certificate_requested = true;
                return Ok(Box::new(ExpectServerHelloDone(hs)));
            }
            HandshakeType::ServerHelloDone => parse_empty(message.body())?,
            _ => return Err(Error::UnexpectedMessage("expected ServerHelloDone")),
        }
        hs.transcript.update(&message.encoded);
        if hs.certificate_requested {
            let empty = CertificateMessage::default().encode(false);
            hs.transcript.update(&empty);
            cx.send_handshake(&empty);
        }
        let master = emit_client_key_exchange(cx, &mut hs)?;
        let keys =
            master.generate_session_keys(&hs.randoms.session_key_params(hs.encrypt_then_mac))?;
        cx.record.send_change_cipher_spec(false)?;
        cx.record.set_write_key(keys.write, false)?;
        let client_finished = finished(&master, &hs.transcript, Side::Client)?;
        hs.transcript.update(&client_finished);
        cx.send_handshake(&client_finished);
        Ok(Box::new(ExpectChangeCipherSpec {
            hs,
            master,
            read_key: keys.read,
            write_key: None,
        }))
    }
}

/// ClientKeyExchange (RFC 5246 §7.4.7): an RSA-encrypted premaster, or our (EC)DHE public
/// value; returns the master key, bound to the transcript through it when the extended
/// master secret is in use (RFC 7627 §4).
fn emit_client_key_exchange(cx: &mut CommonState, hs: &mut Handshake) -> Result<MasterKey, Error> {
    let provider = hs.config.provider.clone();
    let suite = hs.suite;
    let master = match &hs.server_share {
        None => {
            let server_key = hs
                .server_key
                .as_ref()
                .ok_or(Error::General("no server key"))?;
            let (premaster, encrypted) = provider.generate_premaster_key(
                server_key,
                PROTOCOL,
                suite,
                &Parameters::default().highest_version(version::TLS12),
            )?;
            let key_exchange = encode_client_key_exchange(&encrypted, ClientKeyExchangeKind::Rsa);
            hs.transcript.update(&key_exchange);
            cx.send_handshake(&key_exchange);
            let session_hash = hs
                .extended_master_secret
                .then(|| hs.transcript.current_digest());
            premaster.master_key(&master_params(&hs.randoms, session_hash.as_deref()))?
        }
        Some((group, peer)) => {
            let own = provider.create_ephemeral_key(PROTOCOL, suite, *group)?;
            let kind = match group {
                Group::Ec(_) => ClientKeyExchangeKind::Ecdhe,
                Group::Ffdhe(_) => ClientKeyExchangeKind::Dhe,
            };
            let key_exchange = encode_client_key_exchange(&public_value(&own), kind);
            hs.transcript.update(&key_exchange);
            cx.send_handshake(&key_exchange);
            let session_hash = hs
                .extended_master_secret
                .then(|| hs.transcript.current_digest());
            provider
                .generate_master_key(
                    &own,
                    peer,
                    PROTOCOL,
                    suite,
                    &master_params(&hs.randoms, session_hash.as_deref()),
                    Side::Client,
                )
                .map_err(agreement_error)?
        }
    };
    Ok(master)
}

/// Waiting for the server's ChangeCipherSpec (and a NewSessionTicket before it when the
/// server announced one).
struct ExpectChangeCipherSpec {
    hs: Handshake,
    master: MasterKey,
    read_key: SessionKey,
    /// Resumed sessions switch our write key after the server's Finished.
    write_key: Option<SessionKey>,
}

impl State for ExpectChangeCipherSpec {
    fn handle(
        mut self: Box<Self>,
        cx: &mut CommonState,
        message: Message,
    ) -> Result<Box<dyn State>, Error> {
        match message {
            Message::Handshake(message)
                if message.kind == HandshakeType::NewSessionTicket && self.hs.expect_ticket =>
            {
                let ticket = NewSessionTicket12::parse(message.body())?;
                self.hs.transcript.update(&message.encoded);
                self.hs.expect_ticket = false;
                if !ticket.ticket.is_empty() {
                    let lifetime = match ticket.lifetime_hint {
                        0 => SESSION_LIFETIME,
                        hint => hint.min(SESSION_LIFETIME),
                    };
                    self.hs.ticket = Some((ticket.ticket, lifetime));
                }
                Ok(self)
            }
            Message::Handshake(_) => Err(Error::UnexpectedMessage("expected ChangeCipherSpec")),
            Message::ChangeCipherSpec if self.hs.expect_ticket => {
                Err(Error::UnexpectedMessage("expected NewSessionTicket"))
            }
            Message::ChangeCipherSpec => {
                let ExpectChangeCipherSpec {
                    hs,
                    master,
                    read_key,
                    write_key,
                } = *self;
                cx.record.set_read_key(read_key, false)?;
                Ok(Box::new(ExpectFinished {
                    hs,
                    master,
                    write_key,
                }))
            }
        }
    }
}

struct ExpectFinished {
    hs: Handshake,
    master: MasterKey,
    write_key: Option<SessionKey>,
}

impl State for ExpectFinished {
    fn handle(
        self: Box<Self>,
        cx: &mut CommonState,
        message: Message,
    ) -> Result<Box<dyn State>, Error> {
        let message = message.expect(HandshakeType::Finished, "expected the server's Finished")?;
        let ExpectFinished {
            mut hs,
            master,
            write_key,
        } = *self;
        check_peer_finished(&master, &hs.transcript, Side::Server, message.body())?;
        hs.transcript.update(&message.encoded);
        if let Some(write_key) = write_key {
            cx.record.send_change_cipher_spec(false)?;
            cx.record.set_write_key(write_key, false)?;
            let client_finished = finished(&master, &hs.transcript, Side::Client)?;
            cx.send_handshake(&client_finished);
        }
        store_session(&hs, &master);
        cx.complete_handshake(ConnectionInfo {
            version: Version::Tls12,
            suite: hs.suite,
            group: hs.server_share.as_ref().map(|(group, _)| *group),
            signature_scheme: hs.signature_scheme,
            extended_master_secret: hs.extended_master_secret,
            encrypt_then_mac: hs.encrypt_then_mac,
            resumed: hs.resumed,
            alpn: hs.alpn.clone(),
            server_name: Some(hs.server_name.clone()),
        })?;
        Ok(Box::new(Traffic::new(Side::Client, master, hs.randoms)))
    }
}

/// Keeps the session for resumption when the server gave an ID or a ticket.
fn store_session(hs: &Handshake, master: &MasterKey) {
    if !hs.config.resumption || (hs.session_id.is_empty() && hs.ticket.is_none()) {
        return;
    }
    let sealed = match hs.config.provider.export_master_key(master) {
        Ok(sealed) => sealed,
        Err(error) => {
            tracing::warn!(%error, "session not kept for resumption");
            return;
        }
    };
    let (ticket, lifetime) = match &hs.ticket {
        Some((ticket, lifetime)) => (Some(ticket.clone()), *lifetime),
        None => (None, SESSION_LIFETIME),
    };
    hs.config.sessions.store_tls12(
        &hs.server_name,
        ClientSession12 {
            session_id: hs.session_id.clone(),
            ticket,
            master: sealed,
            suite: hs.suite.id,
            extended_master_secret: hs.extended_master_secret,
            encrypt_then_mac: hs.encrypt_then_mac,
            alpn: hs.alpn.clone(),
            peer_certificates: hs.peer_chain.clone(),
            created: now_secs(),
            lifetime,
        },
    );
}
