//! The daemon's side of each request: the keyward-ssl call it stands for, on the objects of
//! the connection's handle table.

// Handles what peers send: no indexing, unwrap, expect or panic that could fire on it.
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use crate::handles::{HandleTable, Object};
use crate::protocol::{
    Cipher, Handle, ImportedKey, KeyAlgorithm, RequestBody, ResponseBody, WireSessionKey,
};
use keyward_core::{Error, Result, SecretVec};
use keyward_ssl::flight::{
    ServerFlight12, ServerFlight13, ServerFlightKeys13, Ticket12ToSeal, Ticket13ToSeal,
    VerifySigner,
};
use keyward_ssl::{
    EphemeralKey, MasterKey, OpaqueKey, PreMasterKey, PrivateKey, Protocol, Provider,
    PublicBlobType, PublicKey, TicketKey, Tls13Secret,
};

fn private_key(object: &Object) -> Result<&PrivateKey> {
    match object {
        Object::PrivateKey(key) => Ok(key),
        _ => Err(Error::InvalidHandle),
    }
}

fn ephemeral(object: &Object) -> Result<&EphemeralKey> {
    match object {
        Object::Ephemeral(key) => Ok(key),
        _ => Err(Error::InvalidHandle),
    }
}

fn master(object: &Object) -> Result<&MasterKey> {
    match object {
        Object::Master(key) => Ok(key),
        _ => Err(Error::InvalidHandle),
    }
}

fn premaster(object: &Object) -> Result<&PreMasterKey> {
    match object {
        Object::PreMaster(premaster) => Ok(premaster),
        _ => Err(Error::InvalidHandle),
    }
}

fn tls13(object: &Object) -> Result<&Tls13Secret> {
    match object {
        Object::Tls13(secret) => Ok(secret),
        _ => Err(Error::InvalidHandle),
    }
}

fn handle_response(handles: &mut HandleTable, object: Object) -> Result<ResponseBody> {
    Ok(ResponseBody::Handle {
        handle: handles.insert(object)?,
    })
}

/// Performs one request (any but the hello, which the connection answers) with the daemon's
/// provider and its one ticket key, and gives its response. A failure leaves the table as it
/// was, except that a flight frees its handshake secret whatever its answer.
pub fn perform(
    provider: &Provider,
    ticket_key: &TicketKey,
    handles: &mut HandleTable,
    request: RequestBody,
) -> Result<ResponseBody> {
    match request {
        RequestBody::Hello { .. } => Err(Error::InvalidParameter("hello after the hello")),
        RequestBody::OpenPrivateKey { certificate } => {
            let key = provider.open_private_key(&certificate)?;
            let algorithm = if key.is_rsa() {
                KeyAlgorithm::Rsa
            } else {
                KeyAlgorithm::Ecdsa
            };
            let signature_len = u16::try_from(key.signature_len())
                .map_err(|_| Error::NotSupported("signatures longer than 65535 bytes"))?;
            let certificate = key.certificate().to_vec();
            let key = handles.insert(Object::PrivateKey(key))?;
            Ok(ResponseBody::PrivateKeyOpened {
                key,
                algorithm,
                signature_len,
                certificate,
            })
        }
        RequestBody::SignHash {
            key,
            padding,
            hash_value,
        } => Ok(ResponseBody::Signature {
            signature: private_key(handles.get(key)?)?.sign_hash(&hash_value, padding)?,
        }),
        RequestBody::ImportMasterKey {
            key,
            cipher,
            params,
            encrypted_premaster,
        } => {
            let master = provider.import_master_key(
                private_key(handles.get(key)?)?,
                cipher.protocol,
                cipher.suite,
                &params.as_parameters(),
                &encrypted_premaster,
            )?;
            handle_response(handles, Object::Master(master))
        }
        RequestBody::CreateEphemeralKey { cipher, group } => {
            let key = provider.create_ephemeral_key(cipher.protocol, cipher.suite, group)?;
            let public_value = key.public_key().to_tls()?;
            Ok(ResponseBody::EphemeralKeyCreated {
                key: handles.insert(Object::Ephemeral(key))?,
                public_value,
            })
        }
        RequestBody::GenerateMasterKey {
            ephemeral: own,
            peer_public,
            cipher,
            params,
            side,
        } => {
            let master = {
                let own = ephemeral(handles.get(own)?)?;
                let peer = PublicKey::from_tls(own.group(), &peer_public)?;
                provider.generate_master_key(
                    own,
                    &peer,
                    cipher.protocol,
                    cipher.suite,
                    &params.as_parameters(),
                    side,
                )?
            };
            handle_response(handles, Object::Master(master))
        }
        RequestBody::ComputeFinished {
            master: key,
            sender,
            transcript_digest,
        } => Ok(ResponseBody::VerifyData {
            verify_data: master(handles.get(key)?)?
                .compute_finished_for_digest(&transcript_digest, sender)?
                .to_vec(),
        }),
        RequestBody::GenerateSessionKeys {
            master: key,
            params,
        } => {
            let keys = master(handles.get(key)?)?.generate_session_keys(&params.as_parameters())?;
            Ok(ResponseBody::SessionKeyMaterial {
                read: keys.read.export_key_material()?,
                write: keys.write.export_key_material()?,
            })
        }
        RequestBody::Tls13ImportPreSharedKey { suite, psk } => {
            let psk = provider.import_pre_shared_key(Protocol::Tls13, suite, psk.0.expose())?;
            handle_response(handles, Object::Tls13(psk))
        }
        RequestBody::Tls13ExtractEarlyKey { suite } => {
            let early = provider.extract_early_key(None, Protocol::Tls13, suite)?;
            handle_response(handles, Object::Tls13(early))
        }
        RequestBody::Tls13ExtractHandshakeKey {
            ephemeral: own,
            peer_public,
            early,
        } => {
            let handshake = {
                let own = ephemeral(handles.get(own)?)?;
                let peer = PublicKey::from_tls(own.group(), &peer_public)?;
                provider.extract_handshake_key(own, &peer, tls13(handles.get(early)?)?)?
            };
            handle_response(handles, Object::Tls13(handshake))
        }
        RequestBody::Tls13ExtractMasterKey { handshake } => {
            let master = provider.extract_master_key(tls13(handles.get(handshake)?)?)?;
            handle_response(handles, Object::Tls13(master))
        }
        RequestBody::Tls13ExpandTrafficKeys {
            base,
            transcript_digest,
        } => {
            let (client, server) = provider
                .expand_traffic_keys_for_digest(tls13(handles.get(base)?)?, &transcript_digest)?;
            // The write keys go along: the client asks for them next.
            let write_key =
                |secret: &Tls13Secret| provider.expand_write_key(secret)?.export_key_material();
            let client_write_key = write_key(&client)?;
            let server_write_key = server.as_ref().map(write_key).transpose()?;
            let client = handles.insert(Object::Tls13(client))?;
            let server = match server {
                None => None,
                Some(server) => match handles.insert(Object::Tls13(server)) {
                    Ok(server) => Some(server),
                    Err(err) => {
                        // Leave the table as it was.
                        handles.remove(client)?;
                        return Err(err);
                    }
                },
            };
            Ok(ResponseBody::TrafficSecrets {
                client,
                client_write_key,
                server,
                server_write_key,
            })
        }
        RequestBody::Tls13ExpandWriteKey { traffic } => {
            let key = provider.expand_write_key(tls13(handles.get(traffic)?)?)?;
            Ok(ResponseBody::TrafficKeyMaterial {
                material: key.export_key_material()?,
            })
        }
        RequestBody::Tls13ComputeFinished {
            traffic,
            transcript_digest,
        } => Ok(ResponseBody::VerifyData {
            verify_data: tls13(handles.get(traffic)?)?
                .compute_finished_for_digest(&transcript_digest)?,
        }),
        RequestBody::Tls13ExpandExporterMasterKey {
            base,
            transcript_digest,
        } => {
            let exporter = provider.expand_exporter_master_key_for_digest(
                tls13(handles.get(base)?)?,
                &transcript_digest,
            )?;
            handle_response(handles, Object::Tls13(exporter))
        }
        RequestBody::ExportKeyingMaterial {
            key,
            label,
            context,
            randoms,
            length,
        } => {
            let mut material = SecretVec::zeroed(usize::from(length));
            match handles.get(key)? {
                Object::Master(master) => {
                    let randoms = randoms.ok_or(Error::InvalidParameter(
                        "TLS 1.2 exporters need the hello randoms",
                    ))?;
                    master.export_keying_material(
                        &label,
                        &randoms,
                        context.as_deref(),
                        material.expose_mut(),
                    )?
                }
                Object::Tls13(secret) => secret.export_keying_material(
                    &label,
                    context.as_deref(),
                    material.expose_mut(),
                )?,
                _ => return Err(Error::InvalidHandle),
            }
            Ok(ResponseBody::KeyingMaterial { material })
        }
        RequestBody::FreeHandle { handle } => {
            free(handles, handle)?;
            Ok(ResponseBody::Freed)
        }
        RequestBody::Tls13UpdateTrafficSecret { traffic } => {
            let next = tls13(handles.get(traffic)?)?.update_traffic_secret()?;
            handle_response(handles, Object::Tls13(next))
        }
        RequestBody::Tls13ExpandResumptionMasterKey {
            master,
            transcript_digest,
        } => {
            let resumption = provider.expand_resumption_master_key_for_digest(
                tls13(handles.get(master)?)?,
                &transcript_digest,
            )?;
            handle_response(handles, Object::Tls13(resumption))
        }
        RequestBody::Tls13ExpandPreSharedKey {
            resumption_master,
            ticket_nonce,
        } => {
            let psk = provider
                .expand_pre_shared_key(tls13(handles.get(resumption_master)?)?, &ticket_nonce)?;
            handle_response(handles, Object::Tls13(psk))
        }
        RequestBody::Tls13ExtractEarlyKeyWithPsk { psk, suite } => {
            let early = provider.extract_early_key(
                Some(tls13(handles.get(psk)?)?),
                Protocol::Tls13,
                suite,
            )?;
            handle_response(handles, Object::Tls13(early))
        }
        RequestBody::Tls13ExpandBinderKey { early, resumption } => {
            let binder = provider.expand_binder_key(tls13(handles.get(early)?)?, resumption)?;
            handle_response(handles, Object::Tls13(binder))
        }
        RequestBody::ExportOpaqueKey { key } => {
            let blob = match handles.get(key)? {
                Object::Master(master) => provider.export_master_key(master)?,
                Object::Tls13(secret) => provider.export_tls13_secret(secret)?,
                _ => return Err(Error::InvalidHandle),
            };
            Ok(ResponseBody::OpaqueKeyBlob { blob })
        }
        RequestBody::ImportOpaqueKey { blob } => import_opaque_key(provider, handles, &blob),
        RequestBody::SealTicket { aad, plaintext } => Ok(ResponseBody::SealedTicket {
            ticket: ticket_key.seal(&aad, &plaintext)?,
        }),
        RequestBody::SealTicketWithSecret {
            aad,
            plaintext,
            secret,
        } => Ok(ResponseBody::SealedTicket {
            ticket: ticket_key.seal_with_secret(
                provider,
                &aad,
                &plaintext,
                tls13(handles.get(secret)?)?,
            )?,
        }),
        RequestBody::Tls13ServerFlight {
            handshake,
            through_server_hello,
            before_verify,
            signer,
            ticket,
        } => {
            let handshake = match handles.take(handshake)? {
                Object::Tls13(secret) => secret,
                _ => return Err(Error::InvalidHandle),
            };
            let signer = match signer {
                Some(signer) => Some(VerifySigner {
                    key: private_key(handles.get(signer.key)?)?,
                    scheme: signer.scheme,
                    hash: signer.hash,
                    padding: signer.padding,
                }),
                None => None,
            };
            let keys = provider.tls13_server_flight(ServerFlight13 {
                handshake,
                through_server_hello: &through_server_hello,
                before_verify: &before_verify,
                signer,
                ticket: ticket.as_ref().map(|ticket| Ticket13ToSeal {
                    key: ticket_key,
                    aad: &ticket.aad,
                    fields: &ticket.fields,
                    nonce: &ticket.nonce,
                }),
            })?;
            flight_response(provider, handles, keys)
        }
        RequestBody::Tls12ServerFlight {
            master: key,
            params,
            transcript,
            ticket,
            export,
        } => {
            let flight = provider.tls12_server_flight(
                master(handles.get(key)?)?,
                ServerFlight12 {
                    params: &params.as_parameters(),
                    transcript: &transcript,
                    ticket: ticket.as_ref().map(|ticket| Ticket12ToSeal {
                        key: ticket_key,
                        aad: &ticket.aad,
                        fields: &ticket.fields,
                        lifetime_hint: ticket.lifetime_hint,
                    }),
                    export,
                },
            )?;
            Ok(ResponseBody::ServerFlight12 {
                read: flight.keys.read.export_key_material()?,
                write: flight.keys.write.export_key_material()?,
                client_finished: flight.client_finished.to_vec(),
                new_session_ticket: flight.new_session_ticket,
                finished: flight.finished,
                blob: flight.blob,
            })
        }
        RequestBody::OpenTicket { aad, ticket } => Ok(ResponseBody::OpenedTicket {
            plaintext: ticket_key.open(&aad, &ticket)?,
        }),
        RequestBody::GeneratePreMasterKey {
            server_key,
            cipher,
            params,
        } => {
            let server_key = PublicKey::import(PublicBlobType::Rsa, &server_key)?;
            let (premaster, encrypted_premaster) = provider.generate_premaster_key(
                &server_key,
                cipher.protocol,
                cipher.suite,
                &params.as_parameters(),
            )?;
            Ok(ResponseBody::PreMasterKeyCreated {
                premaster: handles.insert(Object::PreMaster(premaster))?,
                encrypted_premaster,
            })
        }
        RequestBody::PreMasterMasterKey {
            premaster: key,
            params,
        } => {
            let master = premaster(handles.get(key)?)?.master_key(&params.as_parameters())?;
            handle_response(handles, Object::Master(master))
        }
        RequestBody::ComputeEapKeyBlock {
            master: key,
            randoms,
            eap_id,
        } => Ok(ResponseBody::KeyingMaterial {
            material: master(handles.get(key)?)?.compute_eap_key_block(&randoms, eap_id)?,
        }),
        RequestBody::Pipelined { handle, request } => {
            if !request.answers_with_handle() {
                return Err(Error::InvalidParameter(
                    "a pipelined request must be one answered with a handle",
                ));
            }
            handles.insert_named(handle, |handles| {
                match perform(provider, ticket_key, handles, *request)? {
                    ResponseBody::Handle { handle } => {
                        Ok((handle, ResponseBody::Handle { handle }))
                    }
                    _ => Err(Error::Internal(
                        "a pipelined request answered without a handle",
                    )),
                }
            })
        }
        RequestBody::CertificateChain { name } => {
            let store = provider.key_store()?;
            let mut certificates = vec![store.certificate(&name)?];
            certificates.extend(store.chain(&name)?);
            Ok(ResponseBody::CertificateChain { certificates })
        }
        RequestBody::SealSessionKey { key } => Ok(ResponseBody::OpaqueKeyBlob {
            blob: provider.export_session_key(&key.to_key()?)?,
        }),
        RequestBody::OpenSessionKey { blob } => match provider.import_opaque_key(&blob)? {
            OpaqueKey::Session(key) => Ok(ResponseBody::SessionKeyOpened {
                key: WireSessionKey::from_key(&key)?,
            }),
            _ => Err(Error::BadData("not an opaque session-key blob")),
        },
    }
}

/// Opens an opaque blob under the daemon's store and keeps the secret. Session-key blobs are
/// `NTE_NOT_SUPPORTED`: their keys belong in the client's process, sealed there.
fn import_opaque_key(
    provider: &Provider,
    handles: &mut HandleTable,
    blob: &[u8],
) -> Result<ResponseBody> {
    let (key, object) = match provider.import_opaque_key(blob)? {
        OpaqueKey::Master(master) => (
            ImportedKey::Master {
                cipher: Cipher {
                    protocol: master.protocol(),
                    suite: master.suite(),
                },
                side: master.side(),
            },
            Object::Master(master),
        ),
        OpaqueKey::Tls13(secret) => (
            ImportedKey::Tls13 {
                suite: secret.suite(),
                kind: secret.kind(),
            },
            Object::Tls13(secret),
        ),
        OpaqueKey::Session(_) => {
            return Err(Error::NotSupported(
                "session-key blobs are imported in the client's process",
            ))
        }
    };
    Ok(ResponseBody::OpaqueKeyImported {
        handle: handles.insert(object)?,
        key,
    })
}

fn free(handles: &mut HandleTable, handle: Handle) -> Result<()> {
    handles.remove(handle)
}

/// The answer to a flight: the record keys' material, and the secrets that live on under
/// new handles (none of them if one cannot be kept).
fn flight_response(
    provider: &Provider,
    handles: &mut HandleTable,
    keys: ServerFlightKeys13,
) -> Result<ResponseBody> {
    let client_application_key = provider
        .expand_write_key(&keys.client_application)?
        .export_key_material()?;
    let server_application_key = provider
        .expand_write_key(&keys.server_application)?
        .export_key_material()?;
    let client_application = handles.insert(Object::Tls13(keys.client_application))?;
    let server_application = match handles.insert(Object::Tls13(keys.server_application)) {
        Ok(handle) => handle,
        Err(error) => {
            handles.remove(client_application)?;
            return Err(error);
        }
    };
    let exporter = match handles.insert(Object::Tls13(keys.exporter)) {
        Ok(handle) => handle,
        Err(error) => {
            handles.remove(client_application)?;
            handles.remove(server_application)?;
            return Err(error);
        }
    };
    Ok(ResponseBody::ServerFlight {
        client_handshake_key: keys.client_handshake_key.export_key_material()?,
        server_handshake_key: keys.server_handshake_key.export_key_material()?,
        certificate_verify: keys.certificate_verify,
        finished: keys.finished,
        client_finished: keys.client_finished,
        client_application,
        client_application_key,
        server_application,
        server_application_key,
        exporter,
        ticket: keys.ticket,
    })
}
