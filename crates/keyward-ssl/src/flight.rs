//! A TLS server's handshake secrets in one step, from the messages it sends (no Windows
//! equivalent; Schannel runs the whole handshake inside LSASS).
//!
//! A server knows every message of its side of the handshake before it sends them, and the
//! client's Finished that must come back is fixed by them. So once it has its key-exchange
//! secret, the rest of the schedule is one computation over the transcript:
//!
//! - **TLS 1.3** ([`Provider::tls13_server_flight`], from the handshake secret, RFC 8446
//!   §7.1): the handshake traffic keys over the transcript through the ServerHello; the
//!   CertificateVerify signature over the transcript through the Certificate; the server's
//!   Finished, then the master secret, the application traffic secrets, the exporter master
//!   secret and the client's expected Finished, over the transcript through the server's
//!   Finished; the resumption secret over the transcript through the client's Finished, the
//!   ticket's PSK from it, and the sealed ticket.
//! - **TLS ≤ 1.2** ([`Provider::tls12_server_flight`], from the master key, RFC 5246
//!   §7.4.9): the session keys and the client's expected Finished over the transcript
//!   through the ClientKeyExchange; the sealed ticket and its NewSessionTicket; our
//!   Finished over the transcript through the NewSessionTicket.
//!
//! In process each is the sequence of the `Ssl*` steps. For an isolated provider each is one
//! request to the service, which continues the transcript past the signature, Finished
//! values and ticket it makes itself: a server's handshake then waits for its service once
//! (twice with a ServerKeyExchange to sign), where the steps would wait four or five times.
//! The TLS 1.3 flight also never gives the handshake, master or resumption secrets a handle.

use crate::hash::HandshakeHash;
use crate::isolation::{
    FlightSigner, FlightTicket12, FlightTicket13, KeyIsolation, RemoteFlight12, RemoteFlight13,
    RemoteFlightKeys13, RemoteHandle, RemoteObject,
};
use crate::keys::{PrivateKey, SignaturePadding};
use crate::master::{MasterKey, FINISHED_LEN};
use crate::params::Parameters;
use crate::protocol::Protocol;
use crate::provider::Provider;
use crate::record::CbcMode;
use crate::session::{Direction, SessionKey, SessionKeys};
use crate::side::Side;
use crate::signature::{certificate_verify_content, ecdsa_fixed_to_der};
use crate::suites::CipherSuite;
use crate::ticket::TicketKey;
use crate::tls13::{SecretKind, Tls13Secret};
use keyward_core::backend::{hash, HashAlgorithm};
use keyward_core::{Error, Result, SecretVec};
use std::sync::Arc;

/// The most transcript bytes (with a ticket's fields) that an isolated provider sends in one
/// request; a longer flight goes in steps.
pub const MAX_FLIGHT_MESSAGES_LEN: usize = 48 * 1024;

/// The TLS handshake message types a flight writes (RFC 8446 §4, RFC 5077 §3.3).
const NEW_SESSION_TICKET: u8 = 4;
const CERTIFICATE_VERIFY: u8 = 15;
const FINISHED: u8 = 20;

/// How a server signs its CertificateVerify (RFC 8446 §4.4.3).
#[derive(Clone, Copy)]
pub struct VerifySigner<'a> {
    /// The certificate's private key.
    pub key: &'a PrivateKey,
    /// The `SignatureScheme` code point written in front of the signature.
    pub scheme: u16,
    /// The hash of the signed content.
    pub hash: HashAlgorithm,
    /// The padding, as `SslSignHash` takes it: PSS or PKCS#1 with `hash` for RSA, `Raw` for
    /// ECDSA (whose signature is then written as DER).
    pub padding: SignaturePadding,
}

/// A ticket to seal for the client once the resumption secret is known (RFC 8446 §4.6.1),
/// as [`TicketKey::seal_with_secret`] seals it: `fields ‖ opaque psk_blob<0..2^16-1>`.
#[derive(Clone, Copy)]
pub struct Ticket13ToSeal<'a> {
    /// The key that seals it.
    pub key: &'a TicketKey,
    /// What the ticket is bound to.
    pub aad: &'a [u8],
    /// The ticket's plaintext before its PSK.
    pub fields: &'a [u8],
    /// The `ticket_nonce` the PSK is derived with.
    pub nonce: &'a [u8],
}

/// What a TLS 1.3 server's flight starts from ([`Provider::tls13_server_flight`]).
pub struct ServerFlight13<'a> {
    /// The handshake secret ([`Provider::extract_handshake_key`]); the flight uses it up.
    pub handshake: Tls13Secret,
    /// The handshake messages through the ServerHello, as the transcript hashes them (after a
    /// HelloRetryRequest, starting with the `message_hash` that stands for ClientHello1).
    pub through_server_hello: &'a [u8],
    /// The messages between the ServerHello and the CertificateVerify: EncryptedExtensions
    /// and, when a certificate authenticates the server, its Certificate.
    pub before_verify: &'a [u8],
    /// How to sign the CertificateVerify; `None` when a PSK authenticates the server.
    pub signer: Option<VerifySigner<'a>>,
    /// The ticket to seal; `None` for none.
    pub ticket: Option<Ticket13ToSeal<'a>>,
}

/// What a TLS 1.3 server's flight gives ([`Provider::tls13_server_flight`]).
pub struct ServerFlightKeys13 {
    /// The record key of the client's handshake traffic (to read its Finished).
    pub client_handshake_key: SessionKey,
    /// The record key of the server's handshake traffic.
    pub server_handshake_key: SessionKey,
    /// The CertificateVerify message, whole (`None` without a signer).
    pub certificate_verify: Option<Vec<u8>>,
    /// The server's Finished message, whole.
    pub finished: Vec<u8>,
    /// The `verify_data` the client's Finished must carry.
    pub client_finished: Vec<u8>,
    /// `client_application_traffic_secret_0`.
    pub client_application: Tls13Secret,
    /// `server_application_traffic_secret_0`.
    pub server_application: Tls13Secret,
    /// `exporter_master_secret`.
    pub exporter: Tls13Secret,
    /// The sealed ticket, when one was asked for and could be made.
    pub ticket: Option<Vec<u8>>,
}

/// A TLS ≤ 1.2 ticket to seal (RFC 5077 §4) as [`TicketKey::seal_with_blob`] seals it:
/// `fields ‖ opaque master_key_blob<0..2^16-1>`.
#[derive(Clone, Copy)]
pub struct Ticket12ToSeal<'a> {
    /// The key that seals it.
    pub key: &'a TicketKey,
    /// What the ticket is bound to.
    pub aad: &'a [u8],
    /// The ticket's plaintext before the master key's blob.
    pub fields: &'a [u8],
    /// The NewSessionTicket's `ticket_lifetime_hint`, in seconds.
    pub lifetime_hint: u32,
}

/// What a TLS ≤ 1.2 server's flight after the ClientKeyExchange starts from
/// ([`Provider::tls12_server_flight`]).
pub struct ServerFlight12<'a> {
    /// The session keys' parameters, as [`MasterKey::generate_session_keys`] takes them.
    pub params: &'a Parameters<'a>,
    /// The handshake messages through the ClientKeyExchange.
    pub transcript: &'a [u8],
    /// The ticket to send before our Finished; `None` for none.
    pub ticket: Option<Ticket12ToSeal<'a>>,
    /// True to get the master key's opaque blob too (for a session cache).
    pub export: bool,
}

/// What a TLS ≤ 1.2 server's flight gives ([`Provider::tls12_server_flight`]).
pub struct ServerFlightKeys12 {
    /// The session keys.
    pub keys: SessionKeys,
    /// The `verify_data` the client's Finished must carry.
    pub client_finished: [u8; FINISHED_LEN],
    /// The NewSessionTicket message, whole, when a ticket was asked for (its ticket empty
    /// when none could be made).
    pub new_session_ticket: Option<Vec<u8>>,
    /// Our Finished message, whole.
    pub finished: Vec<u8>,
    /// The master key's opaque blob, when asked for and it could be made.
    pub blob: Option<Vec<u8>>,
}

impl Provider {
    /// A TLS 1.3 server's secrets from its handshake secret to its ticket, in one step (a
    /// keyward extension; see the [module documentation](crate::flight)). The result is what
    /// the schedule's steps give one by one: [`Provider::expand_traffic_keys`],
    /// [`Provider::expand_write_key`], `SslSignHash`, [`Tls13Secret::compute_finished_hash`],
    /// [`Provider::extract_master_key`], [`Provider::expand_exporter_master_key`],
    /// [`Provider::expand_resumption_master_key`], [`Provider::expand_pre_shared_key`] and
    /// [`TicketKey::seal_with_secret`].
    ///
    /// On an isolated provider this is one request when the signer's key and the ticket key
    /// are of the same service, and the messages and ticket fields come to at most
    /// [`MAX_FLIGHT_MESSAGES_LEN`] bytes; otherwise the steps go one by one.
    ///
    /// A ticket that cannot be made (a provider without a key store cannot export the PSK) is
    /// left out: a TLS 1.3 server need not send one.
    ///
    /// Errors: a secret that is not a handshake secret is `NTE_INVALID_HANDLE`; a signer
    /// whose padding does not fit its key or hash is `NTE_INVALID_PARAMETER`; otherwise the
    /// error of the step that failed. The handshake secret is used up either way.
    pub fn tls13_server_flight(&self, flight: ServerFlight13<'_>) -> Result<ServerFlightKeys13> {
        flight.handshake.require(&[SecretKind::Handshake])?;
        if let Some(signer) = &flight.signer {
            check_signer(signer)?;
        }
        let Some((service, handshake, remote)) = remote_flight(&flight) else {
            return self.server_flight_in_steps(flight);
        };
        let suite = flight.handshake.suite();
        flight.handshake.used_up();
        let keys = service.tls13_server_flight(handshake, remote)?;
        flight_keys(&service, suite, keys)
    }

    /// [`Provider::tls13_server_flight`] as the schedule's steps, each through the provider
    /// that keeps its inputs.
    fn server_flight_in_steps(&self, flight: ServerFlight13<'_>) -> Result<ServerFlightKeys13> {
        let handshake = flight.handshake;
        let mut transcript = HandshakeHash::new(Protocol::Tls13, handshake.suite());
        transcript.update(flight.through_server_hello);
        let (client_hs, server_hs) = match self.expand_traffic_keys(&handshake, &transcript)? {
            (Some(client), Some(server)) => (client, server),
            _ => return Err(Error::Internal("handshake traffic secrets")),
        };
        let client_handshake_key = self.expand_write_key(&client_hs)?;
        let server_handshake_key = self.expand_write_key(&server_hs)?;

        transcript.update(flight.before_verify);
        let certificate_verify = match &flight.signer {
            Some(signer) => {
                let content = certificate_verify_content(&transcript.current_digest(), true);
                let message = certificate_verify(signer, &content)?;
                transcript.update(&message);
                Some(message)
            }
            None => None,
        };
        let finished = handshake_message(FINISHED, &server_hs.compute_finished_hash(&transcript)?)?;
        transcript.update(&finished);

        let master = self.extract_master_key(&handshake)?;
        let (application, client_finished) =
            self.expand_traffic_keys_with_finished(&master, &transcript, &client_hs)?;
        let (client_application, server_application) = match application {
            (Some(client), Some(server)) => (client, server),
            _ => return Err(Error::Internal("application traffic secrets")),
        };
        let exporter = self.expand_exporter_master_key(&master, &transcript)?;

        // A ticket that cannot be made (a provider without a key store cannot export its
        // PSK) is left out, not a failed handshake: TLS 1.3 promises no ticket.
        let ticket = match &flight.ticket {
            Some(ticket) => {
                transcript.update(&handshake_message(FINISHED, &client_finished)?);
                self.expand_resumption_master_key(&master, &transcript)
                    .and_then(|resumption| self.expand_pre_shared_key(&resumption, ticket.nonce))
                    .and_then(|psk| {
                        ticket
                            .key
                            .seal_with_secret(self, ticket.aad, ticket.fields, &psk)
                    })
                    .ok()
            }
            None => None,
        };
        Ok(ServerFlightKeys13 {
            client_handshake_key,
            server_handshake_key,
            certificate_verify,
            finished,
            client_finished,
            client_application,
            server_application,
            exporter,
            ticket,
        })
    }
}

impl Provider {
    /// A TLS ≤ 1.2 server's keys, ticket and Finished once the ClientKeyExchange is in, in
    /// one step (a keyward extension; see the [module documentation](crate::flight)). The
    /// result is what the steps give one by one:
    /// [`MasterKey::generate_session_keys_with_finished`] of the client's Finished,
    /// [`Provider::export_master_key`], [`TicketKey::seal_with_blob`], and
    /// [`MasterKey::compute_finished_hash`] of ours over the transcript with the client's
    /// Finished and the NewSessionTicket.
    ///
    /// On an isolated provider this is one request when the ticket key is of the master key's
    /// service and the transcript and ticket fields come to at most
    /// [`MAX_FLIGHT_MESSAGES_LEN`] bytes; otherwise the steps go one by one.
    ///
    /// A master key that cannot be exported (a provider without a key store) gives no blob
    /// and an empty ticket (RFC 5077 §3.3), as does a ticket that cannot be sealed.
    ///
    /// Errors: a master key of a client, or of DTLS (whose handshake messages have other
    /// headers), is `NTE_INVALID_PARAMETER`; otherwise the error of the step that failed.
    pub fn tls12_server_flight(
        &self,
        master: &MasterKey,
        flight: ServerFlight12<'_>,
    ) -> Result<ServerFlightKeys12> {
        if master.side() != Side::Server || master.protocol().is_dtls() {
            return Err(Error::InvalidParameter(
                "a TLS server's flight needs a TLS server's master key",
            ));
        }
        let Some(object) = master.remote_object() else {
            return self.tls12_flight_in_steps(master, flight);
        };
        let fields_len = flight.ticket.map_or(0, |ticket| ticket.fields.len());
        let ticket_ours = flight.ticket.is_none_or(|ticket| {
            ticket
                .key
                .service()
                .is_some_and(|service| same(service, &object.service))
        });
        if !ticket_ours || flight.transcript.len() + fields_len > MAX_FLIGHT_MESSAGES_LEN {
            return self.tls12_flight_in_steps(master, flight);
        }
        let cbc_mode = master.cbc_mode(flight.params)?;
        flight.params.require_randoms()?;
        let keys = object.service.tls12_server_flight(
            object.handle,
            RemoteFlight12 {
                params: flight.params,
                transcript: flight.transcript,
                ticket: flight.ticket.map(|ticket| FlightTicket12 {
                    aad: ticket.aad,
                    fields: ticket.fields,
                    lifetime_hint: ticket.lifetime_hint,
                }),
                export: flight.export,
            },
        )?;
        Ok(ServerFlightKeys12 {
            keys: master.session_keys_from(cbc_mode, &keys.material)?,
            client_finished: keys.client_finished,
            new_session_ticket: keys.new_session_ticket,
            finished: keys.finished,
            blob: keys.blob,
        })
    }

    /// [`Provider::tls12_server_flight`] as its steps, each through the provider that keeps
    /// its inputs.
    fn tls12_flight_in_steps(
        &self,
        master: &MasterKey,
        flight: ServerFlight12<'_>,
    ) -> Result<ServerFlightKeys12> {
        let mut transcript = HandshakeHash::new(master.protocol(), master.suite());
        transcript.update(flight.transcript);
        let (keys, client_finished) =
            master.generate_session_keys_with_finished(flight.params, &transcript, Side::Client)?;
        transcript.update(&handshake_message(FINISHED, &client_finished)?);
        // A key that cannot be exported (no key store) means no ticket and no blob, not a
        // failed handshake: an empty ticket keeps the ServerHello's promise (RFC 5077 §3.3).
        let blob = match flight.export || flight.ticket.is_some() {
            true => self.export_master_key(master).ok(),
            false => None,
        };
        let new_session_ticket = match &flight.ticket {
            Some(ticket) => {
                let sealed = blob
                    .as_ref()
                    .and_then(|blob| {
                        ticket
                            .key
                            .seal_with_blob(ticket.aad, ticket.fields, blob)
                            .ok()
                    })
                    .unwrap_or_default();
                let sealed_len = u16::try_from(sealed.len())
                    .map_err(|_| Error::InvalidParameter("ticket too long"))?;
                let mut body = Vec::with_capacity(6 + sealed.len());
                body.extend_from_slice(&ticket.lifetime_hint.to_be_bytes());
                body.extend_from_slice(&sealed_len.to_be_bytes());
                body.extend_from_slice(&sealed);
                let message = handshake_message(NEW_SESSION_TICKET, &body)?;
                transcript.update(&message);
                Some(message)
            }
            None => None,
        };
        let finished = handshake_message(
            FINISHED,
            &master.compute_finished_hash(&transcript, Side::Server)?,
        )?;
        Ok(ServerFlightKeys12 {
            keys,
            client_finished,
            new_session_ticket,
            finished,
            blob: blob.filter(|_| flight.export),
        })
    }
}

/// True when two services are the same.
fn same(a: &Arc<dyn KeyIsolation>, b: &Arc<dyn KeyIsolation>) -> bool {
    std::ptr::addr_eq(Arc::as_ptr(a), Arc::as_ptr(b))
}

/// `NTE_INVALID_PARAMETER` unless the signer's padding fits its key and hash: PSS or PKCS#1
/// with the same hash for RSA, `Raw` for ECDSA.
fn check_signer(signer: &VerifySigner<'_>) -> Result<()> {
    let fits = match signer.padding {
        SignaturePadding::Pss(hash) | SignaturePadding::Pkcs1(hash) => {
            signer.key.is_rsa() && hash == signer.hash
        }
        SignaturePadding::Raw => !signer.key.is_rsa(),
    };
    if !fits || signer.hash == HashAlgorithm::Md5 {
        return Err(Error::InvalidParameter(
            "signature padding does not fit the key",
        ));
    }
    Ok(())
}

/// The CertificateVerify message signing `content`: the scheme and the signature (DER for
/// ECDSA).
fn certificate_verify(signer: &VerifySigner<'_>, content: &[u8]) -> Result<Vec<u8>> {
    let digest = hash(signer.hash, content);
    let mut signature = signer.key.sign_hash(digest.as_bytes(), signer.padding)?;
    if signer.padding == SignaturePadding::Raw {
        signature = ecdsa_fixed_to_der(&signature)
            .ok_or(Error::Internal("ECDSA signature of odd length"))?;
    }
    let signature_len =
        u16::try_from(signature.len()).map_err(|_| Error::Internal("signature too long"))?;
    let mut body = Vec::with_capacity(4 + signature.len());
    body.extend_from_slice(&signer.scheme.to_be_bytes());
    body.extend_from_slice(&signature_len.to_be_bytes());
    body.extend_from_slice(&signature);
    handshake_message(CERTIFICATE_VERIFY, &body)
}

/// A handshake message: its type, a three-byte length and the body (RFC 8446 §4).
fn handshake_message(kind: u8, body: &[u8]) -> Result<Vec<u8>> {
    let len = u32::try_from(body.len())
        .ok()
        .filter(|len| *len < 1 << 24)
        .ok_or(Error::Internal("handshake message too long"))?;
    let mut message = Vec::with_capacity(4 + body.len());
    message.push(kind);
    message.extend_from_slice(&len.to_be_bytes()[1..]);
    message.extend_from_slice(body);
    Ok(message)
}

/// The flight as one request to the service that keeps its handshake secret: when the
/// signer's key and the ticket key are that service's too (on its current connection), and
/// the messages fit one request. `None` means the flight goes in steps.
fn remote_flight<'a>(
    flight: &ServerFlight13<'a>,
) -> Option<(Arc<dyn KeyIsolation>, RemoteHandle, RemoteFlight13<'a>)> {
    let object = flight.handshake.remote_object()?;
    let ours = |service: &Arc<dyn KeyIsolation>| same(service, &object.service);
    let fields_len = flight.ticket.map_or(0, |ticket| ticket.fields.len());
    if flight.through_server_hello.len() + flight.before_verify.len() + fields_len
        > MAX_FLIGHT_MESSAGES_LEN
    {
        return None;
    }
    let signer = match &flight.signer {
        Some(signer) => {
            // A key of an earlier connection is opened again by a signature in steps.
            let (service, key) = signer.key.remote_parts()?;
            if !ours(service) || key.generation() != object.handle.generation() {
                return None;
            }
            Some(FlightSigner {
                key,
                scheme: signer.scheme,
                hash: signer.hash,
                padding: signer.padding,
            })
        }
        None => None,
    };
    let ticket = match &flight.ticket {
        Some(ticket) => {
            if !ticket.key.service().is_some_and(ours) {
                return None;
            }
            Some(FlightTicket13 {
                aad: ticket.aad,
                fields: ticket.fields,
                nonce: ticket.nonce,
            })
        }
        None => None,
    };
    let remote = RemoteFlight13 {
        through_server_hello: flight.through_server_hello,
        before_verify: flight.before_verify,
        signer,
        ticket,
    };
    Some((object.service.clone(), object.handle, remote))
}

/// The flight's keys from a service's answer: record keys from their material, secrets as
/// objects of the service.
fn flight_keys(
    service: &Arc<dyn KeyIsolation>,
    suite: &'static CipherSuite,
    keys: RemoteFlightKeys13,
) -> Result<ServerFlightKeys13> {
    let record_key = |material: &SecretVec| {
        SessionKey::from_key_material(
            Protocol::Tls13,
            suite,
            Direction::Write,
            CbcMode::MacThenEncrypt,
            material.expose(),
        )
    };
    let object = |handle| RemoteObject::new(service.clone(), handle);
    // Wrapped first, so that every handle is freed if anything below fails.
    let exporter = Tls13Secret::remote(suite, SecretKind::ExporterMaster, object(keys.exporter));
    let client_application = Tls13Secret::remote_traffic(
        suite,
        SecretKind::ClientApplicationTraffic,
        object(keys.client_application.handle),
        keys.client_application.write_key,
    );
    let server_application = Tls13Secret::remote_traffic(
        suite,
        SecretKind::ServerApplicationTraffic,
        object(keys.server_application.handle),
        keys.server_application.write_key,
    );
    Ok(ServerFlightKeys13 {
        client_handshake_key: record_key(&keys.client_handshake_key)?,
        server_handshake_key: record_key(&keys.server_handshake_key)?,
        certificate_verify: keys.certificate_verify,
        finished: keys.finished,
        client_finished: keys.client_finished,
        client_application: client_application?,
        server_application: server_application?,
        exporter: exporter?,
        ticket: keys.ticket,
    })
}
