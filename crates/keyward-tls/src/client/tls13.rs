//! The TLS 1.3 client handshake after the ServerHello (RFC 8446 §2): EncryptedExtensions,
//! the server's Certificate and CertificateVerify (or a resumed PSK), Finished.

use std::sync::Arc;

use keyward_ssl::{CipherSuite, Group, HandshakeHash, KeyExchange, Side, Tls13Secret};

use super::{Offer, OfferedTicket};
use crate::alert::AlertDescription;
use crate::codec::enums::{version, ExtensionType, HandshakeType};
use crate::codec::extensions::ServerExtensions;
use crate::codec::handshake::{
    encode_finished, parse_certificate_verify, parse_encrypted_extensions, CertificateMessage,
    CertificateRequest,
};
use crate::codec::hello::ServerHello;
use crate::common_state::{CommonState, ConnectionInfo, Message, State};
use crate::config::{ClientConfig, Version};
use crate::error::Error;
use crate::sign::{self, SignatureScheme};
use crate::tls13::key_share::{agreement_error, import_peer};
use crate::tls13::traffic::{TicketReceiver, Traffic};
use crate::tls13::{
    certificate_verify_content, check_peer_finished, new_transcript, same_hash, traffic_pair,
    PROTOCOL,
};

/// The handshake state shared by the states after the ServerHello.
struct Handshake {
    config: Arc<ClientConfig>,
    server_name: String,
    sni_sent: bool,
    suite: &'static CipherSuite,
    group: Group,
    transcript: HandshakeHash,
    handshake_secret: Tls13Secret,
    client_hs: Tls13Secret,
    server_hs: Tls13Secret,
    resumed: bool,
    send_compat_ccs: bool,
    alpn: Option<Vec<u8>>,
    /// The context of a CertificateRequest, answered with an empty Certificate.
    certificate_request: Option<Vec<u8>>,
    peer_chain: Vec<Vec<u8>>,
    signature_scheme: Option<SignatureScheme>,
}

/// Handles a ServerHello that selected TLS 1.3.
pub(super) fn server_hello(
    offer: Offer,
    cx: &mut CommonState,
    server_hello: ServerHello,
    encoded: &[u8],
) -> Result<Box<dyn State>, Error> {
    let suite = check_server_hello(&offer, &server_hello)?;
    let ext = &server_hello.extensions;
    let own = offer
        .key_share
        .as_ref()
        .ok_or(Error::General("no key share was offered"))?;
    let share = ext
        .key_share
        .as_ref()
        .ok_or(Error::MissingExtension("key_share"))?;
    if share.group != own.group().tls_id() {
        return Err(Error::IllegalParameter(
            "server key share is not of our group",
        ));
    }
    let psk = accepted_psk(offer.ticket13.as_ref(), ext.pre_shared_key, suite)?;
    let provider = offer.config.provider.clone();
    let mut transcript = match offer.retry {
        Some((_, transcript)) => transcript,
        None => {
            let mut transcript = new_transcript(&provider, suite)?;
            transcript.update(&offer.encoded);
            transcript
        }
    };
    transcript.update(encoded);
    let peer = import_peer(own.group(), &share.key_exchange, true)?;
    let early = provider.extract_early_key(psk.map(|t| &t.psk), PROTOCOL, suite)?;
    let handshake_secret = provider
        .extract_handshake_key(own, &peer, &early)
        .map_err(agreement_error)?;
    let (client_hs, server_hs) =
        traffic_pair(provider.expand_traffic_keys(&handshake_secret, &transcript)?)?;
    cx.tls13 = true;
    cx.record
        .set_read_key(provider.expand_write_key(&server_hs)?, true)?;
    cx.record
        .set_write_key(provider.expand_write_key(&client_hs)?, true)?;
    if let Some(ticket) = psk {
        cx.peer_certificates = Some(ticket.ticket.peer_certificates.clone());
    }
    let handshake = Handshake {
        server_name: offer.server_name.clone(),
        sni_sent: offer.sni.is_some(),
        suite,
        group: own.group(),
        transcript,
        handshake_secret,
        client_hs,
        server_hs,
        resumed: psk.is_some(),
        send_compat_ccs: !offer.hello.session_id.is_empty() && !offer.sent_compat_ccs,
        alpn: None,
        certificate_request: None,
        peer_chain: psk
            .map(|t| t.ticket.peer_certificates.clone())
            .unwrap_or_default(),
        signature_scheme: None,
        config: offer.config,
    };
    Ok(Box::new(ExpectEncryptedExtensions(handshake)))
}

/// The ServerHello's choices that need no key (RFC 8446 §4.1.3, §4.1.4): an offered TLS 1.3
/// suite (the HelloRetryRequest's, if there was one), our session id echoed, legacy_version
/// 1.2, and only the extensions a ServerHello may carry. Returns the suite.
fn check_server_hello(
    offer: &Offer,
    server_hello: &ServerHello,
) -> Result<&'static CipherSuite, Error> {
    let suite = offer
        .suite(server_hello.cipher_suite)
        .filter(|s| s.key_exchange == KeyExchange::Tls13)
        .ok_or(Error::IllegalParameter(
            "server selected a suite that was not offered",
        ))?;
    if offer.retry.as_ref().is_some_and(|(s, _)| s.id != suite.id) {
        return Err(Error::IllegalParameter(
            "suite differs from the HelloRetryRequest",
        ));
    }
    if server_hello.session_id != offer.hello.session_id {
        return Err(Error::IllegalParameter(
            "server did not echo the session id",
        ));
    }
    if server_hello.legacy_version != version::TLS12 {
        return Err(Error::IllegalParameter(
            "TLS 1.3 ServerHello legacy_version",
        ));
    }
    let ext = &server_hello.extensions;
    offer.check_server_extensions(
        &ext.present,
        &[
            ExtensionType::SupportedVersions,
            ExtensionType::KeyShare,
            ExtensionType::PreSharedKey,
        ],
        &[],
        "ServerHello extension not offered or not allowed there",
    )?;
    Ok(suite)
}

/// The offered ticket the server selected with pre_shared_key (RFC 8446 §4.2.11): only our
/// one identity, and of the suite's hash.
fn accepted_psk<'a>(
    offered: Option<&'a OfferedTicket>,
    selected: Option<u16>,
    suite: &CipherSuite,
) -> Result<Option<&'a OfferedTicket>, Error> {
    Ok(match selected {
        None => None,
        Some(0) => match offered {
            Some(ticket) if same_hash(ticket.suite, suite) => Some(ticket),
            _ => {
                return Err(Error::IllegalParameter(
                    "server selected a PSK that was not offered",
                ))
            }
        },
        Some(_) => {
            return Err(Error::IllegalParameter(
                "server selected a PSK that was not offered",
            ))
        }
    })
}

struct ExpectEncryptedExtensions(Handshake);

impl ExpectEncryptedExtensions {
    /// RFC 8446 §4.2: extensions not meant for EncryptedExtensions are `illegal_parameter`,
    /// ones we did not offer `unsupported_extension`.
    fn check(&self, ext: &ServerExtensions) -> Result<Option<Vec<u8>>, Error> {
        let hs = &self.0;
        for kind in &ext.present {
            match ExtensionType::from_wire(*kind) {
                ExtensionType::ServerName if hs.sni_sent => {}
                ExtensionType::SupportedGroups => {}
                ExtensionType::ApplicationLayerProtocolNegotiation
                    if !hs.config.alpn_protocols.is_empty() => {}
                ExtensionType::SupportedVersions
                | ExtensionType::KeyShare
                | ExtensionType::PreSharedKey
                | ExtensionType::Cookie
                | ExtensionType::PskKeyExchangeModes
                | ExtensionType::SignatureAlgorithms
                | ExtensionType::ExtendedMasterSecret
                | ExtensionType::EncryptThenMac
                | ExtensionType::RenegotiationInfo
                | ExtensionType::SessionTicket
                | ExtensionType::EcPointFormats => {
                    return Err(Error::IllegalParameter(
                        "extension not allowed in EncryptedExtensions",
                    ))
                }
                _ => {
                    return Err(Error::Negotiation(
                        "EncryptedExtensions has an extension that was not offered",
                        AlertDescription::UnsupportedExtension,
                    ))
                }
            }
        }
        if let Some(protocol) = &ext.alpn {
            if !hs.config.alpn_protocols.contains(protocol) {
                return Err(Error::IllegalParameter(
                    "server selected an unoffered protocol",
                ));
            }
        }
        Ok(ext.alpn.clone())
    }
}

impl State for ExpectEncryptedExtensions {
    fn handle(
        self: Box<Self>,
        _cx: &mut CommonState,
        message: Message,
    ) -> Result<Box<dyn State>, Error> {
        let message = message.expect(
            HandshakeType::EncryptedExtensions,
            "expected EncryptedExtensions",
        )?;
        let ext = parse_encrypted_extensions(message.body())?;
        let alpn = self.check(&ext)?;
        let mut hs = self.0;
        hs.alpn = alpn;
        hs.transcript.update(&message.encoded);
        if hs.resumed {
            Ok(Box::new(ExpectFinished(hs)))
        } else {
            Ok(Box::new(ExpectCertificate(hs)))
        }
    }
}

/// Waiting for the server's Certificate (or a CertificateRequest before it).
struct ExpectCertificate(Handshake);

impl State for ExpectCertificate {
    fn handle(
        self: Box<Self>,
        cx: &mut CommonState,
        message: Message,
    ) -> Result<Box<dyn State>, Error> {
        let message = message.expect_handshake("change_cipher_spec in TLS 1.3")?;
        let mut hs = self.0;
        match message.kind {
            HandshakeType::CertificateRequest if hs.certificate_request.is_none() => {
                let request = CertificateRequest::parse(message.body(), true)?;
                hs.transcript.update(&message.encoded);
                hs.certificate_request = Some(request.context);
                Ok(Box::new(ExpectCertificate(hs)))
            }
            HandshakeType::Certificate => {
                let certificate = CertificateMessage::parse(message.body(), true)?;
                if !certificate.context.is_empty() {
                    return Err(Error::IllegalParameter("server Certificate has a context"));
                }
                if certificate.chain.is_empty() {
                    return Err(Error::Decode("server sent no certificate"));
                }
                hs.config
                    .verifier
                    .verify(&certificate.chain, &hs.server_name)?;
                hs.transcript.update(&message.encoded);
                cx.peer_certificates = Some(certificate.chain.clone());
                hs.peer_chain = certificate.chain;
                Ok(Box::new(ExpectCertificateVerify(hs)))
            }
            _ => Err(Error::UnexpectedMessage("expected Certificate")),
        }
    }
}

struct ExpectCertificateVerify(Handshake);

impl State for ExpectCertificateVerify {
    fn handle(
        self: Box<Self>,
        _cx: &mut CommonState,
        message: Message,
    ) -> Result<Box<dyn State>, Error> {
        let message = message.expect(
            HandshakeType::CertificateVerify,
            "expected CertificateVerify",
        )?;
        let mut hs = self.0;
        let signed = parse_certificate_verify(message.body())?;
        let scheme = SignatureScheme::from_u16(signed.scheme)
            .ok_or(Error::IllegalParameter("signature scheme was not offered"))?;
        let content = certificate_verify_content(&hs.transcript.current_digest(), true);
        let end_entity = hs
            .peer_chain
            .first()
            .ok_or(Error::General("no server certificate"))?;
        sign::verify(end_entity, scheme, &content, &signed.signature, true)?;
        hs.transcript.update(&message.encoded);
        hs.signature_scheme = Some(scheme);
        Ok(Box::new(ExpectFinished(hs)))
    }
}

struct ExpectFinished(Handshake);

impl State for ExpectFinished {
    fn handle(
        self: Box<Self>,
        cx: &mut CommonState,
        message: Message,
    ) -> Result<Box<dyn State>, Error> {
        let message = message.expect(HandshakeType::Finished, "expected Finished")?;
        let mut hs = self.0;
        check_peer_finished(&hs.server_hs, &hs.transcript, message.body())?;
        hs.transcript.update(&message.encoded);
        let provider = hs.config.provider.clone();
        let master = provider.extract_master_key(&hs.handshake_secret)?;
        let (client_ap, server_ap) =
            traffic_pair(provider.expand_traffic_keys(&master, &hs.transcript)?)?;
        let exporter = provider.expand_exporter_master_key(&master, &hs.transcript)?;
        if hs.send_compat_ccs {
            cx.record.send_change_cipher_spec(true)?;
        }
        if let Some(context) = hs.certificate_request.take() {
            let empty = CertificateMessage {
                context,
                chain: Vec::new(),
            }
            .encode(true);
            hs.transcript.update(&empty);
            cx.send_handshake(&empty);
        }
        let finished = encode_finished(&hs.client_hs.compute_finished_hash(&hs.transcript)?);
        hs.transcript.update(&finished);
        cx.send_handshake(&finished);
        cx.record
            .set_write_key(provider.expand_write_key(&client_ap)?, true)?;
        cx.record
            .set_read_key(provider.expand_write_key(&server_ap)?, true)?;
        let tickets = if hs.config.resumption {
            match provider.expand_resumption_master_key(&master, &hs.transcript) {
                Ok(resumption_master) => Some(TicketReceiver {
                    config: hs.config.clone(),
                    server_name: hs.server_name.clone(),
                    resumption_master,
                    peer_certificates: hs.peer_chain.clone(),
                }),
                Err(error) => {
                    tracing::warn!(%error, "no resumption secret");
                    None
                }
            }
        } else {
            None
        };
        cx.complete_handshake(ConnectionInfo {
            version: Version::Tls13,
            suite: hs.suite,
            group: Some(hs.group),
            signature_scheme: hs.signature_scheme,
            extended_master_secret: true,
            encrypt_then_mac: false,
            resumed: hs.resumed,
            alpn: hs.alpn,
            server_name: Some(hs.server_name),
        })?;
        Ok(Box::new(Traffic::new(
            provider,
            Side::Client,
            client_ap,
            server_ap,
            exporter,
            tickets,
        )))
    }
}
