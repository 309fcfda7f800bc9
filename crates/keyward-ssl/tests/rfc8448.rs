//! The TLS 1.3 key schedule of keyward-ssl against the RFC 8448 traces (§3 simple 1-RTT,
//! §4 resumed 0-RTT, §5 HelloRetryRequest, §6 client authentication).
//!
//! Each section is replayed from its inputs only: the ephemeral private keys, the handshake
//! messages (the transcript) and, for §4, the PSK that §3's resumption master secret and
//! ticket nonce give. The client and the server each run their own copy of the schedule
//! through the public API. Every output the trace shows (secrets, write keys and IVs,
//! Finished values, the PSK binder, the resumption PSK) is compared byte for byte with what
//! the API computed, read back through the explicit raw exports (`export_key_data`,
//! `export_write_key_data`); entries marked "(same as ...)" are computed by their own side
//! and compared with the entry they name. Every record of the section is then produced
//! again: plaintext records are checked for framing, protected ones are encrypted by the
//! sender's write key to the trace's exact bytes and decrypted by the receiver's own key to
//! the payload. Added checks: key update, exporters, tampered records and wrong sequence
//! numbers.

mod common;

#[allow(unused_imports)]
use common::{group, suite};
#[allow(unused_imports)]
use keyward_ssl::Protocol;
mod trace;

use aws_lc_rs::{digest, hmac};
use common::status;
use keyward_core::blob::{EccCurve, EccPrivateBlob, EccPublicBlob, EccUsage};
use keyward_core::{SecretVec, Status};
use keyward_ssl::keys::{PrivateBlobType, PublicBlobType};
use keyward_ssl::tls13::{SecretKind, Tls13Secret};
use keyward_ssl::{EphemeralKey, HandshakeHash, Provider, PublicKey, SessionKey};
use std::collections::HashMap;
use trace::{Entry, Section, Side, Trace};

/// `SSL_PROTOCOL_TLS1_3`-style protocol number of the provider API.
const TLS1_3: Protocol = Protocol::Tls13;

/// `ServerHello.random` of a HelloRetryRequest (RFC 8446 §4.1.3).
const HRR_RANDOM: [u8; 32] = [
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
];

/// Which traffic secret protects a record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Phase {
    /// `client_early_traffic_secret`.
    Early,
    /// `{client,server}_handshake_traffic_secret`.
    Handshake,
    /// `{client,server}_application_traffic_secret_0`.
    Application,
}

impl Phase {
    /// The phase named in "derive ... traffic keys for <phase> data".
    fn from_words(words: &str) -> Phase {
        match words {
            "early application" => Phase::Early,
            "handshake" => Phase::Handshake,
            "application" => Phase::Application,
            other => panic!("unknown traffic key phase {other:?}"),
        }
    }
}

/// One side's own run of the key schedule.
#[derive(Default)]
struct Schedule {
    /// The latest ephemeral key this side created.
    key: Option<EphemeralKey>,
    /// The PSK this side starts from (§4).
    psk: Option<Tls13Secret>,
    early: Option<Tls13Secret>,
    handshake: Option<Tls13Secret>,
    master: Option<Tls13Secret>,
    /// This side's view of both sides' traffic secrets.
    traffic: HashMap<(Side, Phase), Tls13Secret>,
    early_exporter: Option<Tls13Secret>,
    exporter: Option<Tls13Secret>,
    resumption_master: Option<Tls13Secret>,
    binder_key: Option<Tls13Secret>,
    /// The PSK of the section's NewSessionTicket.
    ticket_psk: Option<Tls13Secret>,
}

/// How many trace values one section compared.
#[derive(Debug, Default, PartialEq, Eq)]
struct Counts {
    /// Secrets (early, handshake, master, traffic, exporter, resumption, PSK, binder key).
    secrets: usize,
    /// Write key + IV pairs.
    write_keys: usize,
    /// Finished values and PSK binders.
    finished: usize,
    /// Transcript hashes shown in the trace ("hash" / "binder hash" fields).
    transcript_hashes: usize,
    /// Entries marked "(same as ...)" that were recomputed by their side.
    references: usize,
    /// Protected records re-encrypted and decrypted.
    protected_records: usize,
    /// Plaintext records whose framing was checked.
    plaintext_records: usize,
}

/// A protected record of the trace with the keys of both ends.
struct RecordCase {
    /// Where the record is in the RFC text.
    line: usize,
    /// The sender's write key.
    sender: SessionKey,
    /// The receiver's key for the same traffic secret (computed by the receiver's schedule).
    receiver: SessionKey,
    /// The record sequence number.
    seq: u64,
    /// TLSInnerPlaintext: payload ‖ content type.
    inner: Vec<u8>,
    /// The complete record of the trace.
    record: Vec<u8>,
}

/// The outcome of replaying one section.
struct Run {
    counts: Counts,
    client: Schedule,
    server: Schedule,
    records: Vec<RecordCase>,
}

impl Run {
    fn schedule(&self, side: Side) -> &Schedule {
        match side {
            Side::Client => &self.client,
            Side::Server => &self.server,
        }
    }
}

/// The parsed RFC, once per test binary.
fn rfc() -> &'static Trace {
    static TRACE: std::sync::OnceLock<Trace> = std::sync::OnceLock::new();
    TRACE.get_or_init(trace::load)
}

fn provider() -> Provider {
    Provider::open(None).unwrap()
}

/// The secret bytes through the explicit raw export, checking the `BCRYPT_KEY_DATA_BLOB`
/// header (magic "KDBM", version 1, cbKeyData).
fn raw(provider: &Provider, secret: &Tls13Secret) -> Vec<u8> {
    unwrap_key_data(provider.export_key_data(secret).unwrap())
}

/// `key ‖ iv` of a write key through the explicit raw export.
fn raw_write_key(provider: &Provider, key: &SessionKey) -> Vec<u8> {
    unwrap_key_data(provider.export_write_key_data(key).unwrap())
}

fn unwrap_key_data(blob: Vec<u8>) -> Vec<u8> {
    assert!(blob.len() >= 12);
    assert_eq!(&blob[..4], b"KDBM");
    assert_eq!(blob[..4], 0x4D42_444Bu32.to_le_bytes());
    assert_eq!(blob[4..8], 1u32.to_le_bytes());
    let len = u32::from_le_bytes(blob[8..12].try_into().unwrap()) as usize;
    assert_eq!(len, blob.len() - 12);
    blob[12..].to_vec()
}

/// The digest algorithm of a TLS 1.3 suite (independent of the provider).
fn suite_digest(suite: u32) -> &'static digest::Algorithm {
    match suite {
        0x1301 | 0x1303 => &digest::SHA256,
        0x1302 => &digest::SHA384,
        other => panic!("not a TLS 1.3 suite {other:#x}"),
    }
}

/// Independent `HKDF-Expand-Label` (RFC 8446 §7.1) over aws-lc-rs HMAC, for values the trace
/// does not show (key update, exporters, external binder).
fn expand_label(suite: u32, secret: &[u8], label: &[u8], context: &[u8], len: usize) -> Vec<u8> {
    let algorithm = match suite {
        0x1302 => hmac::HMAC_SHA384,
        _ => hmac::HMAC_SHA256,
    };
    let mut info = (len as u16).to_be_bytes().to_vec();
    info.push((6 + label.len()) as u8);
    info.extend_from_slice(b"tls13 ");
    info.extend_from_slice(label);
    info.push(context.len() as u8);
    info.extend_from_slice(context);
    let key = hmac::Key::new(algorithm, secret);
    let mut out = Vec::new();
    let mut previous = Vec::new();
    let mut counter = 1u8;
    while out.len() < len {
        let mut context = hmac::Context::with_key(&key);
        context.update(&previous);
        context.update(&info);
        context.update(&[counter]);
        previous = context.sign().as_ref().to_vec();
        out.extend_from_slice(&previous);
        counter += 1;
    }
    out.truncate(len);
    out
}

/// Imports an ephemeral key pair of the trace as a CNG ECC private blob and checks that its
/// public half is the trace's public key.
fn import_key(entry: &Entry) -> EphemeralKey {
    let private = entry.bytes("private key");
    let public = entry.bytes("public key");
    let public_blob = if entry.label.contains("x25519") {
        EccPublicBlob::new(EccCurve::Curve25519, EccUsage::Ecdh, public, &[0u8; 32]).unwrap()
    } else if entry.label.contains("P-256") {
        EccPublicBlob::from_uncompressed_point(EccCurve::P256, EccUsage::Ecdh, public).unwrap()
    } else {
        panic!("line {}: unknown key type {}", entry.line, entry.label)
    };
    let blob = EccPrivateBlob::new(public_blob, SecretVec::from_slice(private))
        .unwrap()
        .to_bytes();
    let key = EphemeralKey::import_private(PrivateBlobType::Ecc, blob.expose()).unwrap();
    match key.public_key() {
        PublicKey::Ecdh { point, .. } => assert_eq!(point, public, "line {}", entry.line),
        _ => panic!("line {}: not an ECDH key", entry.line),
    }
    key
}

/// Imports the trace's public key of `entry` (a "create an ephemeral ... key pair" entry) as
/// the peer's share (`BCRYPT_ECCPUBLIC_BLOB`).
fn import_peer(provider: &Provider, entry: &Entry) -> PublicKey {
    let public = entry.bytes("public key");
    let blob = if entry.label.contains("x25519") {
        EccPublicBlob::new(EccCurve::Curve25519, EccUsage::Ecdh, public, &[0u8; 32]).unwrap()
    } else {
        EccPublicBlob::from_uncompressed_point(EccCurve::P256, EccUsage::Ecdh, public).unwrap()
    };
    provider
        .import_public_key(PublicBlobType::Ecc, &blob.to_bytes())
        .unwrap()
}

/// The first field of a "construct a X handshake message" entry: the message.
fn message(entry: &Entry) -> &[u8] {
    &entry.fields[0].bytes
}

/// True for a ServerHello that is a HelloRetryRequest.
fn is_hello_retry_request(msg: &[u8]) -> bool {
    msg.first() == Some(&2) && msg.len() >= 38 && msg[6..38] == HRR_RANDOM
}

/// The cipher suite chosen by the section's (last) ServerHello.
fn negotiated_suite(section: &Section) -> u32 {
    let hello = section
        .entries
        .iter()
        .rev()
        .find(|e| e.label == "construct a ServerHello handshake message")
        .expect("no ServerHello");
    let msg = message(hello);
    let session_id_len = usize::from(msg[38]);
    let at = 39 + session_id_len;
    u32::from(u16::from_be_bytes([msg[at], msg[at + 1]]))
}

/// The transcript as it stands before each entry of the section: the handshake messages of
/// the "construct" entries in order. A HelloRetryRequest replaces ClientHello1 by the
/// synthetic `message_hash` message (RFC 8446 §4.4.1); a message shown truncated (the
/// ClientHello before its binders) is completed from the record that sends it.
fn transcripts(
    provider: &Provider,
    section: &Section,
    suite: u32,
) -> Vec<(HandshakeHash, Vec<u8>)> {
    let mut running = provider
        .create_handshake_hash(TLS1_3, common::suite(suite as u16))
        .unwrap();
    let mut bytes: Vec<u8> = Vec::new();
    let mut pending: Option<(Side, Vec<u8>)> = None;
    let mut snapshots = Vec::with_capacity(section.entries.len());
    for entry in &section.entries {
        snapshots.push((running.clone(), bytes.clone()));
        if entry.label.starts_with("construct a") && !entry.is_reference() {
            let msg = message(entry);
            let declared =
                usize::from(msg[1]) << 16 | usize::from(msg[2]) << 8 | usize::from(msg[3]);
            if is_hello_retry_request(msg) {
                let hash = digest::digest(suite_digest(suite), &bytes);
                assert_eq!(bytes[0], 1, "message_hash replaces a ClientHello");
                let hash_len = hash.as_ref().len();
                let mut synthetic = vec![0xfe, 0, 0, hash_len as u8];
                synthetic.extend_from_slice(hash.as_ref());
                running = provider
                    .create_handshake_hash(TLS1_3, common::suite(suite as u16))
                    .unwrap();
                running.update(&synthetic);
                bytes = synthetic;
            }
            running.update(msg);
            bytes.extend_from_slice(msg);
            if msg.len() < 4 + declared {
                pending = Some((entry.side, msg.to_vec()));
            } else {
                assert_eq!(msg.len(), 4 + declared, "line {}", entry.line);
            }
        } else if entry.label == "send handshake record" {
            if let Some((_, prefix)) = pending.take_if(|(side, _)| *side == entry.side) {
                let payload = entry.bytes("payload");
                assert!(payload.starts_with(&prefix), "line {}", entry.line);
                running.update(&payload[prefix.len()..]);
                bytes.extend_from_slice(&payload[prefix.len()..]);
            }
        }
    }
    assert!(pending.is_none(), "a truncated message was never sent");
    snapshots
}

/// The index of the entry `index` stands for: itself when it shows values, else the entry
/// its "(same as <side> ...)" remark names.
fn resolve(section: &Section, index: usize) -> usize {
    let entry = &section.entries[index];
    if !entry.is_reference() {
        return index;
    }
    let remark = entry
        .remark
        .as_deref()
        .unwrap_or_else(|| panic!("line {}: no values and no remark", entry.line));
    let rest = remark
        .strip_prefix("same as ")
        .unwrap_or_else(|| panic!("line {}: remark {remark:?}", entry.line));
    let (side_word, rest) = rest.split_once(' ').unwrap_or((rest, ""));
    let side = match side_word {
        "client" => Side::Client,
        "server" => Side::Server,
        other => panic!("line {}: side {other:?}", entry.line),
    };
    let label = if entry.label.contains(" traffic keys for ") {
        // "same as server handshake data write traffic keys"
        let (phase, tail) = rest.split_once(" data ").unwrap();
        let direction = tail.strip_suffix(" traffic keys").unwrap();
        format!("derive {direction} traffic keys for {phase} data")
    } else {
        entry.label.clone()
    };
    let found: Vec<usize> = section
        .entries
        .iter()
        .enumerate()
        .filter(|(_, e)| e.side == side && e.label == label && !e.is_reference())
        .map(|(i, _)| i)
        .collect();
    assert_eq!(found.len(), 1, "line {}: {side} {label:?}", entry.line);
    found[0]
}

/// The ticket nonce of the first NewSessionTicket after entry `from`.
fn ticket_nonce(section: &Section, from: usize) -> Vec<u8> {
    let ticket = section.entries[from..]
        .iter()
        .find(|e| e.label == "construct a NewSessionTicket handshake message")
        .expect("no NewSessionTicket");
    let msg = message(ticket);
    assert_eq!(msg[0], 4);
    // type(1) length(3) ticket_lifetime(4) ticket_age_add(4) ticket_nonce<0..255>
    let len = usize::from(msg[12]);
    msg[13..13 + len].to_vec()
}

/// Content type of a "send X record" entry.
fn content_type(label: &str) -> u8 {
    match label {
        "send handshake record" => 22,
        "send application_data record" => 23,
        "send alert record" => 21,
        other => panic!("unknown record label {other:?}"),
    }
}

/// Replays section `number` from its inputs; `psks` are the (client, server) PSKs to start
/// from (§4).
fn run_section(number: u32, psks: (Option<Tls13Secret>, Option<Tls13Secret>)) -> Run {
    let provider = provider();
    let section = rfc().section(number);
    let suite = negotiated_suite(section);
    let snapshots = transcripts(&provider, section, suite);
    let mut counts = Counts::default();
    let mut client = Schedule {
        psk: psks.0,
        ..Schedule::default()
    };
    let mut server = Schedule {
        psk: psks.1,
        ..Schedule::default()
    };
    // The latest "create an ephemeral key pair" entry of each side.
    let mut created: HashMap<Side, usize> = HashMap::new();

    for (index, entry) in section.entries.iter().enumerate() {
        let side = entry.side;
        let m = resolve(section, index);
        let shown = &section.entries[m];
        if m != index {
            counts.references += 1;
        }
        let (transcript, transcript_bytes) = &snapshots[m];
        let at = format!("§{number} line {} ({side} {})", entry.line, entry.label);
        let me = match side {
            Side::Client => &mut client,
            Side::Server => &mut server,
        };
        let label = entry.label.as_str();
        // Checks one derived secret against the shown "expanded" value, its base against
        // "PRK" and the transcript against "hash".
        let check_derived = |secret: &Tls13Secret, base: &Tls13Secret, counts: &mut Counts| {
            assert_eq!(raw(&provider, secret), shown.bytes("expanded"), "{at}");
            assert_eq!(raw(&provider, base), shown.bytes("PRK"), "{at}: PRK");
            assert_eq!(
                transcript.current_digest(),
                shown.bytes("hash"),
                "{at}: transcript hash"
            );
            counts.secrets += 1;
            counts.transcript_hashes += 1;
        };

        if label.starts_with("create an ephemeral ") {
            me.key = Some(import_key(entry));
            created.insert(side, index);
        } else if label.starts_with("construct a") || label.starts_with("send ") {
            // The transcript and the record pass.
        } else if label == "extract secret \"early\"" {
            let early = provider
                .extract_early_key(me.psk.as_ref(), TLS1_3, common::suite(suite as u16))
                .unwrap();
            assert_eq!(early.kind(), SecretKind::Early);
            assert_eq!(raw(&provider, &early), shown.bytes("secret"), "{at}");
            match &me.psk {
                Some(psk) => assert_eq!(raw(&provider, psk), shown.bytes("IKM"), "{at}: PSK"),
                None => {
                    assert_eq!(shown.get("salt").unwrap().text, "0 (all zero octets)");
                    assert!(shown.bytes("IKM").iter().all(|&b| b == 0), "{at}");
                }
            }
            counts.secrets += 1;
            me.early = Some(early);
        } else if label == "extract secret \"handshake\"" {
            let peer_entry = &section.entries[created[&side.peer()]];
            let peer = import_peer(&provider, peer_entry);
            let own = me.key.as_ref().expect("no own key");
            let handshake = provider
                .extract_handshake_key(own, &peer, me.early.as_ref().unwrap())
                .unwrap();
            assert_eq!(handshake.kind(), SecretKind::Handshake);
            assert_eq!(raw(&provider, &handshake), shown.bytes("secret"), "{at}");
            assert_eq!(
                own.agree(&peer).unwrap().expose(),
                shown.bytes("IKM"),
                "{at}"
            );
            counts.secrets += 1;
            me.handshake = Some(handshake);
        } else if label == "extract secret \"master\"" {
            let master = provider
                .extract_master_key(me.handshake.as_ref().unwrap())
                .unwrap();
            assert_eq!(master.kind(), SecretKind::Master);
            assert_eq!(raw(&provider, &master), shown.bytes("secret"), "{at}");
            counts.secrets += 1;
            me.master = Some(master);
        } else if label.starts_with("derive secret for ") && label.ends_with("\"tls13 derived\"") {
            // Derive-Secret(., "derived", "") is internal to the extract steps; its output
            // is the salt shown in the next extract, checked through that extract's result.
        } else if let Some(name) = label
            .strip_prefix("derive secret \"tls13 ")
            .and_then(|l| l.strip_suffix('"'))
        {
            match name {
                "c e traffic" | "c hs traffic" | "s hs traffic" | "c ap traffic"
                | "s ap traffic" => {
                    let (base, phase) = match name {
                        "c e traffic" => (me.early.as_ref(), Phase::Early),
                        "c hs traffic" | "s hs traffic" => {
                            (me.handshake.as_ref(), Phase::Handshake)
                        }
                        _ => (me.master.as_ref(), Phase::Application),
                    };
                    let base = base.unwrap();
                    let (c, s) = provider.expand_traffic_keys(base, transcript).unwrap();
                    let (owner, secret, other) = if name.starts_with("c ") {
                        (Side::Client, c.unwrap(), s)
                    } else {
                        (Side::Server, s.unwrap(), c)
                    };
                    let expected_kind = match (owner, phase) {
                        (Side::Client, Phase::Early) => SecretKind::ClientEarlyTraffic,
                        (Side::Client, Phase::Handshake) => SecretKind::ClientHandshakeTraffic,
                        (Side::Server, Phase::Handshake) => SecretKind::ServerHandshakeTraffic,
                        (Side::Client, Phase::Application) => SecretKind::ClientApplicationTraffic,
                        (Side::Server, Phase::Application) => SecretKind::ServerApplicationTraffic,
                        (Side::Server, Phase::Early) => unreachable!(),
                    };
                    assert_eq!(secret.kind(), expected_kind, "{at}");
                    if phase == Phase::Early {
                        assert!(other.is_none(), "{at}: early secret gives no server secret");
                    } else {
                        assert!(other.is_some(), "{at}");
                    }
                    check_derived(&secret, base, &mut counts);
                    me.traffic.insert((owner, phase), secret);
                }
                "exp master" | "e exp master" => {
                    let base = if name == "exp master" {
                        me.master.as_ref()
                    } else {
                        me.early.as_ref()
                    }
                    .unwrap();
                    let exporter = provider
                        .expand_exporter_master_key(base, transcript)
                        .unwrap();
                    check_derived(&exporter, base, &mut counts);
                    if name == "exp master" {
                        assert_eq!(exporter.kind(), SecretKind::ExporterMaster);
                        me.exporter = Some(exporter);
                    } else {
                        assert_eq!(exporter.kind(), SecretKind::EarlyExporterMaster);
                        me.early_exporter = Some(exporter);
                    }
                }
                "res master" => {
                    let master = me.master.as_ref().unwrap();
                    let resumption = provider
                        .expand_resumption_master_key(master, transcript)
                        .unwrap();
                    assert_eq!(resumption.kind(), SecretKind::ResumptionMaster);
                    check_derived(&resumption, master, &mut counts);
                    me.resumption_master = Some(resumption);
                }
                other => panic!("{at}: unknown secret {other:?}"),
            }
        } else if let Some(rest) = label.strip_prefix("derive ") {
            // "derive write traffic keys for handshake data" / "derive read ..."
            let (direction, phase) = rest.split_once(" traffic keys for ").unwrap();
            let phase = Phase::from_words(phase.strip_suffix(" data").unwrap());
            let sender = match direction {
                "write" => side,
                "read" => side.peer(),
                other => panic!("{at}: direction {other:?}"),
            };
            let secret = me
                .traffic
                .get(&(sender, phase))
                .unwrap_or_else(|| panic!("{at}: traffic secret not derived yet"));
            let key = provider.expand_write_key(secret).unwrap();
            let mut expected = shown.bytes("key expanded").to_vec();
            expected.extend_from_slice(shown.bytes("iv expanded"));
            assert_eq!(raw_write_key(&provider, &key), expected, "{at}");
            assert_eq!(raw(&provider, secret), shown.bytes("PRK"), "{at}: PRK");
            counts.write_keys += 1;
        } else if label == "calculate finished \"tls13 finished\"" {
            // Whose Finished: the shown entry's side (a "(same as)" entry verifies the peer's).
            let owner = shown.side;
            let secret = &me.traffic[&(owner, Phase::Handshake)];
            let finished = secret.compute_finished_hash(transcript).unwrap();
            assert_eq!(finished, shown.bytes("finished"), "{at}");
            assert_eq!(raw(&provider, secret), shown.bytes("PRK"), "{at}: PRK");
            assert!(shown.bytes("hash").is_empty());
            // The Finished message the owner then constructs carries the value.
            let message_entry = section.entries[m..]
                .iter()
                .find(|e| e.side == owner && e.label == "construct a Finished handshake message")
                .unwrap();
            let mut expected = vec![20, 0, 0, finished.len() as u8];
            expected.extend_from_slice(&finished);
            assert_eq!(message(message_entry), expected, "{at}: Finished message");
            counts.finished += 1;
        } else if label == "calculate PSK binder" {
            let early = me.early.as_ref().unwrap();
            let binder_key = provider.expand_binder_key(early, true).unwrap();
            assert_eq!(binder_key.kind(), SecretKind::ResumptionBinder);
            assert_eq!(
                raw(&provider, &binder_key),
                shown.bytes("PRK"),
                "{at}: binder key"
            );
            assert_eq!(transcript_bytes, shown.bytes("ClientHello prefix"), "{at}");
            assert_eq!(
                transcript.current_digest(),
                shown.bytes("binder hash"),
                "{at}"
            );
            let binder = binder_key.compute_finished_hash(transcript).unwrap();
            assert_eq!(binder, shown.bytes("finished"), "{at}");
            // The ClientHello that is sent ends with the binder list carrying this binder.
            let sent = section.entries[m..]
                .iter()
                .find(|e| e.side == Side::Client && e.label == "send handshake record")
                .unwrap();
            let mut tail = vec![0, binder.len() as u8 + 1, binder.len() as u8];
            tail.extend_from_slice(&binder);
            assert!(
                sent.bytes("payload").ends_with(&tail),
                "{at}: binder in ClientHello"
            );
            counts.secrets += 1;
            counts.finished += 1;
            counts.transcript_hashes += 1;
            me.binder_key = Some(binder_key);
        } else if label == "generate resumption secret \"tls13 resumption\"" {
            let nonce = ticket_nonce(section, m);
            assert_eq!(nonce, shown.bytes("hash"), "{at}: ticket nonce");
            let resumption = me.resumption_master.as_ref().unwrap();
            let psk = provider.expand_pre_shared_key(resumption, &nonce).unwrap();
            assert_eq!(psk.kind(), SecretKind::PreSharedKey);
            assert_eq!(raw(&provider, &psk), shown.bytes("expanded"), "{at}");
            assert_eq!(raw(&provider, resumption), shown.bytes("PRK"), "{at}: PRK");
            counts.secrets += 1;
            me.ticket_psk = Some(psk);
        } else {
            panic!("{at}: entry not understood");
        }
    }

    let records = record_pass(&provider, section, &client, &server, &mut counts);
    Run {
        counts,
        client,
        server,
        records,
    }
}

/// Produces every record of the section again: the write phase of each side follows its
/// "derive write traffic keys" entries (sequence numbers restart at 0 there).
fn record_pass(
    provider: &Provider,
    section: &Section,
    client: &Schedule,
    server: &Schedule,
    counts: &mut Counts,
) -> Vec<RecordCase> {
    let schedule = |side: Side| match side {
        Side::Client => client,
        Side::Server => server,
    };
    let mut phase: HashMap<Side, (Phase, u64)> = HashMap::new();
    let mut cases = Vec::new();
    for entry in &section.entries {
        let side = entry.side;
        if let Some(rest) = entry.label.strip_prefix("derive write traffic keys for ") {
            let p = Phase::from_words(rest.strip_suffix(" data").unwrap());
            phase.insert(side, (p, 0));
            continue;
        }
        if !(entry.label.starts_with("send ") && entry.label.ends_with(" record")) {
            continue;
        }
        let at = format!(
            "§{} line {} ({side} {})",
            section.number, entry.line, entry.label
        );
        let payload = entry.bytes("payload");
        let record = entry.bytes("complete record");
        let kind = content_type(&entry.label);
        let length = usize::from(u16::from_be_bytes([record[3], record[4]]));
        assert_eq!(length, record.len() - 5, "{at}: record length");
        if record[0] != 23 {
            // A plaintext record: header ‖ payload.
            assert_eq!(record[0], kind, "{at}: content type");
            assert_eq!(record[1], 3, "{at}");
            assert_eq!(&record[5..], payload, "{at}");
            counts.plaintext_records += 1;
            continue;
        }
        let (p, seq) = phase
            .get_mut(&side)
            .unwrap_or_else(|| panic!("{at}: protected record before any write key"));
        let sender = provider
            .expand_write_key(&schedule(side).traffic[&(side, *p)])
            .unwrap();
        let receiver = provider
            .expand_write_key(&schedule(side.peer()).traffic[&(side, *p)])
            .unwrap();
        let mut inner = payload.to_vec();
        inner.push(kind);

        let mut out = vec![0u8; sender.max_encrypted_len(inner.len())];
        let n = sender.encrypt_packet(&inner, &mut out, *seq, 23).unwrap();
        assert_eq!(&out[..n], record, "{at}: encrypted with seq {seq}");
        let mut plain = vec![0u8; record.len()];
        let n = receiver.decrypt_packet(record, &mut plain, *seq).unwrap();
        assert_eq!(&plain[..n], inner, "{at}: decrypted with seq {seq}");
        counts.protected_records += 1;
        cases.push(RecordCase {
            line: entry.line,
            sender,
            receiver,
            seq: *seq,
            inner,
            record: record.to_vec(),
        });
        *seq += 1;
    }
    cases
}

/// The (client, server) PSKs from the §3 ticket, for §4.
fn section3_psks() -> (Option<Tls13Secret>, Option<Tls13Secret>) {
    let run = run_section(3, (None, None));
    (run.client.ticket_psk, run.server.ticket_psk)
}

/// §3: every secret, key, Finished value and record of the simple 1-RTT handshake.
#[test]
fn section3_simple_1rtt() {
    let run = run_section(3, (None, None));
    assert_eq!(
        run.counts,
        Counts {
            // Per side: early, handshake, c/s hs, master, c/s ap, exp, res master, ticket PSK.
            secrets: 20,
            // Per side: own handshake and application write keys, the peer's two read keys.
            write_keys: 8,
            // Per side: its own Finished and the peer's it verifies.
            finished: 4,
            // The six Derive-Secret transcripts, per side.
            transcript_hashes: 12,
            references: 17,
            // Server EE..Finished, client Finished, NewSessionTicket, 2 application, 2 alerts.
            protected_records: 7,
            // ClientHello, ServerHello.
            plaintext_records: 2,
        }
    );
    for side in [Side::Client, Side::Server] {
        let schedule = run.schedule(side);
        assert!(schedule.ticket_psk.is_some());
        assert!(schedule.exporter.is_some());
        assert!(schedule.early_exporter.is_none());
    }
}

/// §4: the PSK from §3's resumption master and ticket nonce, early secret, "res binder"
/// key and binder, client early traffic, early exporter, 0-RTT data, then the full schedule.
#[test]
fn section4_resumed_0rtt() {
    let run = run_section(4, section3_psks());
    assert_eq!(
        run.counts,
        Counts {
            // Per side: early, binder key, handshake, master, c e, e exp, c/s hs, c/s ap, exp,
            // res master.
            secrets: 24,
            // Per side: early, handshake and application keys of both directions, except the
            // server, which only reads early data.
            write_keys: 10,
            // Per side: two Finished values and the binder.
            finished: 6,
            // Eight Derive-Secret transcripts and the binder transcript, per side.
            transcript_hashes: 18,
            references: 20,
            // 0-RTT data, EndOfEarlyData, server EE/Finished, client Finished, 2 application,
            // 2 alerts.
            protected_records: 8,
            plaintext_records: 2,
        }
    );
    // The 0-RTT record went out under the client early traffic key with sequence 0, the
    // EndOfEarlyData under the same key with sequence 1.
    let early: Vec<&RecordCase> = run
        .records
        .iter()
        .filter(|r| r.inner == b"ABCDEF\x17")
        .collect();
    assert_eq!(early.len(), 1);
    assert_eq!(early[0].seq, 0);
    assert_eq!(early[0].inner, b"ABCDEF\x17");
    for side in [Side::Client, Side::Server] {
        assert!(run.schedule(side).early_exporter.is_some());
        assert!(run.schedule(side).binder_key.is_some());
    }
}

/// §5: HelloRetryRequest; the transcript starts with the synthetic message_hash message.
#[test]
fn section5_hello_retry_request() {
    let run = run_section(5, (None, None));
    assert_eq!(
        run.counts,
        Counts {
            // Per side: early, handshake, c/s hs, master, c/s ap, exp, res master.
            secrets: 18,
            write_keys: 8,
            finished: 4,
            transcript_hashes: 12,
            references: 16,
            // Server EE..Finished, client Finished, 2 alerts.
            protected_records: 4,
            // ClientHello1, HelloRetryRequest, ClientHello2, ServerHello.
            plaintext_records: 4,
        }
    );
    // Without the message_hash replacement the handshake secrets would not match; check
    // explicitly that the plain ClientHello1 ‖ HRR ‖ ... transcript gives another c hs traffic.
    let provider = provider();
    let section = rfc().section(5);
    let mut plain = provider
        .create_handshake_hash(TLS1_3, suite(0x1301))
        .unwrap();
    let shown = section.one(Side::Server, "derive secret \"tls13 c hs traffic\"");
    for entry in section.entries.iter().filter(|e| e.line < shown.line) {
        if entry.label.starts_with("construct a") {
            plain.update(message(entry));
        }
    }
    assert_ne!(plain.current_digest(), shown.bytes("hash"));
}

/// §6: client authentication; the client Finished follows its Certificate and
/// CertificateVerify.
#[test]
fn section6_client_authentication() {
    let run = run_section(6, (None, None));
    assert_eq!(
        run.counts,
        Counts {
            secrets: 18,
            write_keys: 8,
            finished: 4,
            transcript_hashes: 12,
            references: 16,
            // Server EE..Finished, client Certificate/CertificateVerify/Finished, 2 alerts.
            protected_records: 4,
            plaintext_records: 2,
        }
    );
}

/// Every protected record of §3–§6: each flipped body byte, each wrong sequence number
/// and the other direction's key are refused with `STATUS_AUTH_TAG_MISMATCH`.
#[test]
fn tampered_records_and_wrong_sequence_numbers() {
    let mut runs = vec![
        run_section(3, (None, None)),
        run_section(4, section3_psks()),
    ];
    runs.push(run_section(5, (None, None)));
    runs.push(run_section(6, (None, None)));
    let mut refused = 0;
    let provider = provider();
    for run in &runs {
        for case in &run.records {
            let mut out = vec![0u8; case.record.len()];
            for at in 5..case.record.len() {
                let mut bad = case.record.clone();
                bad[at] ^= 0x01;
                let result = case.receiver.decrypt_packet(&bad, &mut out, case.seq);
                assert_eq!(
                    status(result),
                    Status::STATUS_AUTH_TAG_MISMATCH,
                    "line {} byte {at}",
                    case.line
                );
                refused += 1;
            }
            for seq in [case.seq + 1, case.seq + 2, case.seq ^ (1 << 63)] {
                let result = case.receiver.decrypt_packet(&case.record, &mut out, seq);
                assert_eq!(
                    status(result),
                    Status::STATUS_AUTH_TAG_MISMATCH,
                    "line {}",
                    case.line
                );
                refused += 1;
            }
            if case.seq > 0 {
                let result = case
                    .receiver
                    .decrypt_packet(&case.record, &mut out, case.seq - 1);
                assert_eq!(
                    status(result),
                    Status::STATUS_AUTH_TAG_MISMATCH,
                    "line {}",
                    case.line
                );
                refused += 1;
            }
            // The sender's key under another sequence number gives other bytes.
            let mut again = vec![0u8; case.sender.max_encrypted_len(case.inner.len())];
            let n = case
                .sender
                .encrypt_packet(&case.inner, &mut again, case.seq + 1, 23)
                .unwrap();
            assert_eq!(n, case.record.len());
            assert_eq!(again[..5], case.record[..5]);
            assert_ne!(again[5..n], case.record[5..], "line {}", case.line);
            // The untouched record still opens.
            let n = case
                .receiver
                .decrypt_packet(&case.record, &mut out, case.seq)
                .unwrap();
            assert_eq!(&out[..n], case.inner);
        }
        // A record under another key of the section (next record's sender) is refused.
        for pair in run.records.windows(2) {
            if raw_write_key(&provider, &pair[0].receiver)
                != raw_write_key(&provider, &pair[1].receiver)
            {
                let mut out = vec![0u8; pair[0].record.len()];
                let result =
                    pair[1]
                        .receiver
                        .decrypt_packet(&pair[0].record, &mut out, pair[0].seq);
                assert_eq!(
                    status(result),
                    Status::STATUS_AUTH_TAG_MISMATCH,
                    "line {}",
                    pair[0].line
                );
                refused += 1;
            }
        }
    }
    let records: usize = runs.iter().map(|r| r.records.len()).sum();
    assert_eq!(records, 23);
    assert!(refused > 2000, "{refused}");
}

/// Key update (RFC 8446 §7.2) in both directions, twice: "traffic upd" matches an independent
/// HKDF-Expand-Label, both ends' chains agree, records round-trip between the updated keys,
/// and old and new keys differ and do not open each other's records.
#[test]
fn key_update_both_directions() {
    let run = run_section(3, (None, None));
    let provider = provider();
    for sender in [Side::Client, Side::Server] {
        let own = &run.schedule(sender).traffic[&(sender, Phase::Application)];
        let peer = &run.schedule(sender.peer()).traffic[&(sender, Phase::Application)];
        let old_key = provider.expand_write_key(own).unwrap();
        let own1 = own.update_traffic_secret().unwrap();
        let own2 = own1.update_traffic_secret().unwrap();
        let peer1 = peer.update_traffic_secret().unwrap();
        let peer2 = peer1.update_traffic_secret().unwrap();
        assert_eq!(own2.kind(), own.kind());
        let mut expected = raw(&provider, own);
        for (own_n, peer_n) in [(&own1, &peer1), (&own2, &peer2)] {
            expected = expand_label(0x1301, &expected, b"traffic upd", b"", 32);
            assert_eq!(raw(&provider, own_n), expected, "{sender}");
            assert_eq!(raw(&provider, peer_n), expected, "{sender}");
        }
        assert_ne!(raw(&provider, &own1), raw(&provider, own));
        assert_ne!(raw(&provider, &own2), raw(&provider, &own1));

        let keys = [
            old_key,
            provider.expand_write_key(&own1).unwrap(),
            provider.expand_write_key(&own2).unwrap(),
        ];
        let readers = [
            provider.expand_write_key(peer).unwrap(),
            provider.expand_write_key(&peer1).unwrap(),
            provider.expand_write_key(&peer2).unwrap(),
        ];
        let raws: Vec<Vec<u8>> = keys.iter().map(|k| raw_write_key(&provider, k)).collect();
        assert_ne!(raws[0], raws[1]);
        assert_ne!(raws[1], raws[2]);
        assert_ne!(raws[0], raws[2]);
        for (i, key) in keys.iter().enumerate() {
            assert_eq!(raws[i], raw_write_key(&provider, &readers[i]));
            let expected_secret = match i {
                0 => raw(&provider, own),
                1 => raw(&provider, &own1),
                _ => raw(&provider, &own2),
            };
            let mut key_iv = expand_label(0x1301, &expected_secret, b"key", b"", 16);
            key_iv.extend(expand_label(0x1301, &expected_secret, b"iv", b"", 12));
            assert_eq!(raws[i], key_iv);
            let inner = b"after key update\x17";
            let mut record = vec![0u8; key.max_encrypted_len(inner.len())];
            let n = key.encrypt_packet(inner, &mut record, 0, 23).unwrap();
            record.truncate(n);
            let mut out = vec![0u8; n];
            for (j, reader) in readers.iter().enumerate() {
                let result = reader.decrypt_packet(&record, &mut out, 0);
                if i == j {
                    let len = result.unwrap();
                    assert_eq!(&out[..len], inner);
                } else {
                    assert_eq!(status(result), Status::STATUS_AUTH_TAG_MISMATCH);
                }
            }
        }
    }
    // Only application traffic secrets update.
    let handshake = &run.client.traffic[&(Side::Client, Phase::Handshake)];
    assert_eq!(
        status(handshake.update_traffic_secret()),
        Status::NTE_INVALID_HANDLE
    );
    let master = run.client.master.as_ref().unwrap();
    assert_eq!(
        status(master.update_traffic_secret()),
        Status::NTE_INVALID_HANDLE
    );
}

/// Exporters (RFC 8446 §7.5) from the §3 exporter master and the §4 early exporter master:
/// equal on both ends, equal to an independent computation, no context = empty context.
#[test]
fn exporters_match_independent_computation() {
    let provider = provider();
    let section3 = run_section(3, (None, None));
    let section4 = run_section(4, section3_psks());
    let cases = [
        (&section3.client.exporter, &section3.server.exporter),
        (
            &section4.client.early_exporter,
            &section4.server.early_exporter,
        ),
        (&section4.client.exporter, &section4.server.exporter),
    ];
    for (client, server) in cases {
        let (client, server) = (client.as_ref().unwrap(), server.as_ref().unwrap());
        let secret = raw(&provider, client);
        assert_eq!(secret, raw(&provider, server));
        for (label, context, len) in [
            (&b"EXPORTER-test"[..], Some(&b"context"[..]), 42usize),
            (b"EXPORTER-Channel-Binding", None, 32),
            (b"x", Some(&b""[..]), 100),
        ] {
            let mut out = vec![0u8; len];
            client
                .export_keying_material(label, context, &mut out)
                .unwrap();
            let mut other = vec![0u8; len];
            server
                .export_keying_material(label, context, &mut other)
                .unwrap();
            assert_eq!(out, other);
            let empty_hash = digest::digest(&digest::SHA256, b"");
            let derived = expand_label(0x1301, &secret, label, empty_hash.as_ref(), 32);
            let context_hash = digest::digest(&digest::SHA256, context.unwrap_or(b""));
            let expected = expand_label(0x1301, &derived, b"exporter", context_hash.as_ref(), len);
            assert_eq!(out, expected);
            if context.is_none() {
                let mut empty = vec![0u8; len];
                client
                    .export_keying_material(label, Some(b""), &mut empty)
                    .unwrap();
                assert_eq!(empty, out);
            }
        }
    }
    let mut out = [0u8; 16];
    let traffic = &section3.client.traffic[&(Side::Client, Phase::Application)];
    assert_eq!(
        status(traffic.export_keying_material(b"EXPORTER-test", None, &mut out)),
        Status::NTE_INVALID_HANDLE
    );
}

/// An external PSK (no RFC 8448 trace): "ext binder" differs from "res binder" and both
/// match an independent computation from the early secret.
#[test]
fn external_psk_binder_key() {
    let provider = provider();
    let psk = provider
        .import_pre_shared_key(TLS1_3, suite(0x1301), b"external psk")
        .unwrap();
    assert_eq!(psk.kind(), SecretKind::PreSharedKey);
    let early = provider
        .extract_early_key(Some(&psk), TLS1_3, suite(0x1301))
        .unwrap();
    let early_raw = raw(&provider, &early);
    let expected_early = hmac::sign(
        &hmac::Key::new(hmac::HMAC_SHA256, &[0u8; 32]),
        b"external psk",
    );
    assert_eq!(early_raw, expected_early.as_ref());
    let empty_hash = digest::digest(&digest::SHA256, b"");
    let external = provider.expand_binder_key(&early, false).unwrap();
    let resumption = provider.expand_binder_key(&early, true).unwrap();
    assert_eq!(external.kind(), SecretKind::ExternalBinder);
    assert_eq!(resumption.kind(), SecretKind::ResumptionBinder);
    assert_eq!(
        raw(&provider, &external),
        expand_label(0x1301, &early_raw, b"ext binder", empty_hash.as_ref(), 32)
    );
    assert_eq!(
        raw(&provider, &resumption),
        expand_label(0x1301, &early_raw, b"res binder", empty_hash.as_ref(), 32)
    );
    assert_ne!(raw(&provider, &external), raw(&provider, &resumption));
}
