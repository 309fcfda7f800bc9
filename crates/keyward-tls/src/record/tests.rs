//! The record layer: framing, joining, fragmenting, protection round trips and the
//! skipping of refused early data.

use super::*;
use crate::codec::enums::HandshakeType;
use keyward_ssl::{CipherSuite, Group, Protocol, Provider};

fn wire_record(content_type: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![content_type, 3, 3];
    out.extend_from_slice(&(body.len() as u16).to_be_bytes());
    out.extend_from_slice(body);
    out
}

#[test]
fn deframer_waits_for_whole_records_and_checks_headers() {
    let mut deframer = Deframer::default();
    let wire = [wire_record(22, &[1, 2, 3]), wire_record(23, &[4])].concat();
    deframer.push(&wire[..4]);
    assert_eq!(deframer.pop(), Ok(None));
    deframer.push(&wire[4..7]);
    assert_eq!(deframer.pop(), Ok(None));
    deframer.push(&wire[7..]);
    let first = deframer.pop().unwrap().unwrap();
    assert_eq!(first.content_type(), ContentType::Handshake);
    assert_eq!(first.into_body(), vec![1, 2, 3]);
    assert_eq!(deframer.pop().unwrap().unwrap().into_body(), vec![4]);
    assert_eq!(deframer.pop(), Ok(None));
    assert!(!deframer.has_partial());

    let mut deframer = Deframer::default();
    deframer.push(&[24, 3, 3, 0, 0]);
    assert!(matches!(deframer.pop(), Err(Error::UnexpectedMessage(_))));
    let mut deframer = Deframer::default();
    deframer.push(&[22, 2, 0, 0, 0]);
    assert!(matches!(deframer.pop(), Err(Error::Decode(_))));
    let mut deframer = Deframer::default();
    deframer.push(&[23, 3, 3, 0x48, 0x01]);
    assert_eq!(deframer.pop(), Err(Error::RecordOverflow));
}

/// A transport that holds `wire` and records how much room each read offers.
struct Recording<'a> {
    wire: &'a [u8],
    asked: Vec<usize>,
}

impl std::io::Read for Recording<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.asked.push(buf.len());
        let n = buf.len().min(self.wire.len());
        buf[..n].copy_from_slice(&self.wire[..n]);
        self.wire = &self.wire[n..];
        Ok(n)
    }
}

/// A fresh deframer prepares 4 KiB, not a whole 16 KiB record: the room of a read is zeroed
/// once, and most connections only ever receive small handshake flights. A record under way
/// gets the room it still needs, and the room stays for the reads after it.
#[test]
fn deframer_reads_grow_with_the_records() {
    let big = wire_record(23, &[7; 16384]);
    let wire = [big.clone(), big].concat();
    let mut transport = Recording {
        wire: &wire,
        asked: Vec::new(),
    };
    let mut deframer = Deframer::default();
    assert_eq!(deframer.read(&mut transport).unwrap(), 4096);
    assert_eq!(deframer.pop(), Ok(None));
    assert_eq!(deframer.read(&mut transport).unwrap(), 5 + 16384 - 4096);
    assert_eq!(deframer.pop().unwrap().unwrap().body_len(), 16384);
    assert_eq!(deframer.read(&mut transport).unwrap(), 5 + 16384);
    assert_eq!(deframer.pop().unwrap().unwrap().body_len(), 16384);
    assert_eq!(transport.asked, [4096, 5 + 16384 - 4096, 5 + 16384]);
    assert!(deframer.capacity() < 2 * (5 + 16384));
}

#[test]
fn joiner_handles_split_and_coalesced_messages() {
    let mut joiner = HandshakeJoiner::default();
    let messages = [vec![2, 0, 0, 3, 9, 9, 9], vec![14, 0, 0, 0]].concat();
    joiner.push(&messages[..2]).unwrap();
    assert_eq!(joiner.pop(), Ok(None));
    joiner.push(&messages[2..]).unwrap();
    let first = joiner.pop().unwrap().unwrap();
    assert_eq!(first.kind, HandshakeType::ServerHello);
    assert_eq!(first.body(), &[9, 9, 9]);
    let second = joiner.pop().unwrap().unwrap();
    assert_eq!(second.kind, HandshakeType::ServerHelloDone);
    assert!(joiner.is_empty());
    assert!(joiner.push(&[]).is_err());
    let mut joiner = HandshakeJoiner::default();
    assert!(joiner.push(&[11, 0x10, 0, 0]).is_err());
}

fn provider() -> Provider {
    Provider::open(None).unwrap()
}

/// A pair of matching TLS 1.3 record keys from a throw-away key schedule.
fn tls13_keys(provider: &Provider) -> (SessionKey, SessionKey) {
    let suite = CipherSuite::from_id(0x1301).unwrap();
    let x25519 = Group::Ec(keyward_core::backend::Curve::X25519);
    let own = provider
        .create_ephemeral_key(Protocol::Tls13, suite, x25519)
        .unwrap();
    let other = provider
        .create_ephemeral_key(Protocol::Tls13, suite, x25519)
        .unwrap();
    let early = provider
        .extract_early_key(None, Protocol::Tls13, suite)
        .unwrap();
    let handshake = provider
        .extract_handshake_key(&own, &other.public_key(), &early)
        .unwrap();
    let transcript = provider
        .create_handshake_hash(Protocol::Tls13, suite)
        .unwrap();
    let (client, _) = provider
        .expand_traffic_keys(&handshake, &transcript)
        .unwrap();
    let client = client.unwrap();
    (
        provider.expand_write_key(&client).unwrap(),
        provider.expand_write_key(&client).unwrap(),
    )
}

/// A received record, copied out of the read buffer.
#[derive(Debug, PartialEq)]
struct Got {
    content_type: ContentType,
    payload: Vec<u8>,
}

/// Unprotects the next record `layer` holds (there must be a whole one); `Ok(None)` for a
/// skipped one.
fn next(layer: &mut RecordLayer) -> Result<Option<Got>, Error> {
    match layer.next_record()?.expect("a whole record") {
        Received::Record(plain) => Ok(Some(Got {
            content_type: plain.content_type,
            payload: plain.payload.to_vec(),
        })),
        Received::Skipped => Ok(None),
    }
}

/// Feeds what `from` sends into `to`'s deframer and unprotects every record.
fn carry(from: &mut RecordLayer, to: &mut RecordLayer) -> Vec<Result<Option<Got>, Error>> {
    let mut wire = Vec::new();
    from.sendable.write_to(&mut wire).unwrap();
    to.deframer.push(&wire);
    let mut out = Vec::new();
    while to.deframer.has_partial() {
        out.push(next(to));
    }
    out
}

/// A sender and a receiver record layer, keyed for TLS 1.3.
fn tls13_pair() -> (RecordLayer, RecordLayer) {
    let (write, read) = tls13_keys(&provider());
    let mut sender = RecordLayer::new(0x0303, 16384);
    let mut receiver = RecordLayer::new(0x0303, 16384);
    sender.set_write_key(write, true).unwrap();
    receiver.set_read_key(read, true).unwrap();
    (sender, receiver)
}

/// Steady traffic keeps the read and send buffers (no allocation per record); once the
/// transport has nothing, the empty ones are freed, so an idle connection holds no buffer
/// (issue 17: memory per idle connection), while bytes of a partial record are kept.
#[test]
fn idle_buffers_are_released_and_partial_records_kept() {
    let (mut sender, mut receiver) = tls13_pair();
    sender.send_application_data(&[7; 20_000]).unwrap();
    let mut wire = Vec::new();
    sender.sendable.write_to(&mut wire).unwrap();
    assert!(sender.sendable.is_empty() && sender.sendable.capacity() > 0);
    sender.release_idle_buffers();
    assert_eq!(sender.sendable.capacity(), 0);

    // The first read brings 4 KiB of the first record, the second the rest of it, the third
    // the whole second record.
    let mut transport = &wire[..];
    receiver.deframer.read(&mut transport).unwrap();
    assert!(receiver.next_record().unwrap().is_none());
    receiver.release_idle_buffers();
    assert!(receiver.deframer.capacity() > 0, "a partial record stays");
    receiver.deframer.read(&mut transport).unwrap();
    assert_eq!(next(&mut receiver).unwrap().unwrap().payload, [7; 16383]);
    receiver.release_idle_buffers();
    assert_eq!(receiver.deframer.capacity(), 0);
    receiver.deframer.read(&mut transport).unwrap();
    assert_eq!(
        next(&mut receiver).unwrap().unwrap().payload.len(),
        20_000 - 16383
    );
    receiver.release_idle_buffers();
    assert_eq!(receiver.deframer.capacity(), 0);
    assert!(!receiver.deframer.has_partial());
}

#[test]
fn tls13_protection_hides_the_type_and_fragments() {
    let (mut sender, mut receiver) = tls13_pair();
    let data = vec![0x5A; 40_000];
    sender.send_application_data(&data).unwrap();
    sender.send_alert(AlertLevel::Warning, AlertDescription::CloseNotify);
    let records = carry(&mut sender, &mut receiver);
    assert_eq!(records.len(), 4);
    let mut joined = Vec::new();
    for record in &records[..3] {
        let plain = record.as_ref().unwrap().as_ref().unwrap();
        assert_eq!(plain.content_type, ContentType::ApplicationData);
        assert!(plain.payload.len() <= 16383);
        joined.extend_from_slice(&plain.payload);
    }
    assert_eq!(joined, data);
    let alert = records[3].as_ref().unwrap().as_ref().unwrap();
    assert_eq!(alert.content_type, ContentType::Alert);
    assert_eq!(alert.payload, [1, 0]);
}

#[test]
fn refused_early_data_is_skipped_up_to_the_limit() {
    let provider = provider();
    let (write, read) = tls13_keys(&provider);
    let (early_write, _) = tls13_keys(&provider);
    let mut client = RecordLayer::new(0x0303, 16384);
    let mut server = RecordLayer::new(0x0303, 16384);
    server.set_read_key(read, true).unwrap();
    server.skip_early_data();
    // Early data under a key the server does not have: dropped.
    client.set_write_key(early_write, true).unwrap();
    client.send_application_data(&[1; 1000]).unwrap();
    for result in carry(&mut client, &mut server) {
        assert_eq!(result, Ok(None));
    }
    // Then the handshake key: read, and skipping ends.
    client.set_write_key(write, true).unwrap();
    client.send_application_data(b"finished").unwrap();
    let results = carry(&mut client, &mut server);
    assert_eq!(
        results[0].as_ref().unwrap().as_ref().unwrap().payload,
        b"finished"
    );
    let mut junk = wire_record(23, &[0; 100]);
    server.deframer.push(&junk);
    assert_eq!(next(&mut server), Err(Error::BadRecordMac));

    // Too much undecryptable data is an error.
    let (_, read) = tls13_keys(&provider);
    let mut server = RecordLayer::new(0x0303, 16384);
    server.set_read_key(read, true).unwrap();
    server.skip_early_data();
    junk = wire_record(23, &[0; 16000]);
    let mut failed = false;
    for _ in 0..10 {
        server.deframer.push(&junk);
        if next(&mut server).is_err() {
            failed = true;
            break;
        }
    }
    assert!(failed);
}

#[test]
fn protected_records_are_skipped_without_a_key_after_a_retry() {
    let mut server = RecordLayer::new(0x0303, 16384);
    server.skip_protected_without_key(true);
    server.deframer.push(&wire_record(23, &[0; 50]));
    assert_eq!(next(&mut server), Ok(None));
    server.skip_protected_without_key(false);
    server.deframer.push(&wire_record(23, &[0; 50]));
    assert!(next(&mut server).unwrap().is_some());
}

#[test]
fn key_changes_refuse_split_handshake_messages() {
    let provider = provider();
    let (_, read) = tls13_keys(&provider);
    let mut layer = RecordLayer::new(0x0303, 16384);
    layer.joiner.push(&[2, 0, 0, 9, 1]).unwrap();
    assert!(matches!(
        layer.set_read_key(read, true),
        Err(Error::UnexpectedMessage(_))
    ));
}

#[test]
fn handshake_messages_are_coalesced_then_fragmented() {
    let mut layer = RecordLayer::new(0x0301, 100);
    layer.queue_handshake(&[1; 150]);
    layer.queue_handshake(&[2; 30]);
    layer.flush_handshake().unwrap();
    let mut wire = Vec::new();
    layer.sendable.write_to(&mut wire).unwrap();
    assert_eq!(wire.len(), 2 * 5 + 180);
    assert_eq!(&wire[..5], &[22, 3, 1, 0, 100]);
    assert_eq!(&wire[105..110], &[22, 3, 1, 0, 80]);
}

/// Seals `inner` (a `TLSInnerPlaintext` of any length) as TLS 1.3 record `seq` under the
/// AES-128-GCM `key`, past the 2^14 bytes `SslEncryptPacket` seals: what a peer without
/// the Windows limit sends.
fn seal_inner_plaintext(provider: &Provider, key: &SessionKey, seq: u64, inner: &[u8]) -> Vec<u8> {
    use keyward_core::backend::cipher::{AeadAlgorithm, AeadKey};
    use keyward_core::blob::KeyDataBlob;
    let blob = provider.export_write_key_data(key).unwrap();
    let material = KeyDataBlob::parse(&blob).unwrap();
    let (enc_key, iv) = material.data().expose().split_at(16);
    let mut nonce: [u8; 12] = iv.try_into().unwrap();
    for (n, s) in nonce[4..].iter_mut().zip(seq.to_be_bytes()) {
        *n ^= s;
    }
    let mut header = vec![23, 3, 3];
    header.extend_from_slice(&((inner.len() + 16) as u16).to_be_bytes());
    let mut body = inner.to_vec();
    let tag = AeadKey::new(AeadAlgorithm::Aes128Gcm, enc_key)
        .unwrap()
        .seal_in_place(&nonce, &header, &mut body)
        .unwrap();
    [header, body, tag.to_vec()].concat()
}

/// RFC 8446 §5.2, §5.4: a `TLSInnerPlaintext` of up to 2^14 + 1 bytes (2^14 of content and
/// the type) is legal however the zero padding splits it; content over 2^14, or an inner
/// plaintext over 2^14 + 1, is `record_overflow`.
#[test]
fn tls13_largest_legal_records_are_accepted() {
    let provider = provider();
    let cases: [(usize, usize, Result<usize, Error>); 7] = [
        // (content, padding, what the receiver makes of it)
        (16384, 0, Ok(16384)),
        (16383, 1, Ok(16383)),
        (100, 16284, Ok(100)),
        (0, 16384, Ok(0)),
        (1, 0, Ok(1)),
        (16385, 0, Err(Error::RecordOverflow)),
        (16384, 1, Err(Error::RecordOverflow)),
    ];
    for (content, padding, expected) in cases {
        let (write, read) = tls13_keys(&provider);
        let mut receiver = RecordLayer::new(0x0303, 16384);
        receiver.set_read_key(read, true).unwrap();
        let mut inner = vec![0x42; content];
        inner.push(ContentType::ApplicationData.to_wire());
        inner.resize(inner.len() + padding, 0);
        receiver
            .deframer
            .push(&seal_inner_plaintext(&provider, &write, 0, &inner));
        let got = next(&mut receiver).map(|plain| plain.unwrap().payload.len());
        assert_eq!(
            got, expected,
            "{content} bytes of content, {padding} of padding"
        );
    }
}

/// RFC 8446 §5.4: a record whose TLSInnerPlaintext is empty (no content type, no padding:
/// a body of only the tag) is `unexpected_message`, whether or not its tag is right.
#[test]
fn tls13_empty_inner_plaintext_is_an_unexpected_message() {
    let provider = provider();
    for sealed in [true, false] {
        let (write, read) = tls13_keys(&provider);
        let record = if sealed {
            seal_inner_plaintext(&provider, &write, 0, &[])
        } else {
            wire_record(23, &[0x55; 16])
        };
        assert_eq!(record.len(), 5 + 16);
        let mut receiver = RecordLayer::new(0x0303, 16384);
        receiver.set_read_key(read, true).unwrap();
        receiver.deframer.push(&record);
        assert!(
            matches!(next(&mut receiver), Err(Error::UnexpectedMessage(_))),
            "sealed: {sealed}"
        );
    }
    // While refused early data is skipped, such a record is skipped like any other.
    let (_, read) = tls13_keys(&provider);
    let mut receiver = RecordLayer::new(0x0303, 16384);
    receiver.set_read_key(read, true).unwrap();
    receiver.skip_early_data();
    receiver.deframer.push(&wire_record(23, &[0x55; 16]));
    assert_eq!(next(&mut receiver), Ok(None));
}

/// A burst announced with `expect` is queued in the one allocation made for it: nothing waiting
/// is lost, and the buffer does not grow (and copy) as the records come.
#[test]
fn an_expected_burst_fits_one_allocation() {
    let mut queue = queue::ByteQueue::default();
    queue.push(b"waiting");
    queue.expect(64 * 1024);
    let capacity = queue.capacity();
    assert!(capacity >= 7 + 64 * 1024);
    for _ in 0..64 {
        queue.push(&[1; 1024]);
    }
    assert_eq!(queue.capacity(), capacity);
    let mut out = vec![0; 7 + 64 * 1024];
    assert_eq!(queue.read(&mut out), out.len());
    assert_eq!(&out[..7], b"waiting");
    assert!(out[7..].iter().all(|&b| b == 1));
}
