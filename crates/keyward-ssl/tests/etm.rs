//! Encrypt-then-MAC session keys (RFC 7366; keyward's `NCRYPTBUFFER_KEYWARD_ENCRYPT_THEN_MAC`
//! parameter of `SslGenerateSessionKeys`): records built by hand in this file with
//! aws-lc-rs' AES-CBC and HMAC (not keyward's code) open, and keyward's records check by
//! hand; every CBC suite × protocol round-trips; tampering and bad padding fail as they do
//! MAC-then-encrypt; AEAD suites refuse the mode; opaque blobs keep it.

mod common;

use aws_lc_rs::cipher::{
    DecryptingKey, DecryptionContext, EncryptingKey, EncryptionContext, UnboundCipherKey, AES_128,
    AES_256,
};
use aws_lc_rs::hmac;
use keyward_core::Status;
use keyward_ssl::record::{BulkCipher, MacAlgorithm, RecordKey};
use keyward_ssl::suites::{self, CipherSuiteInfo};
use keyward_ssl::{CbcMode, KeyExchange, OpaqueKey, Parameters, Protocol, SessionKeys};

const CR: [u8; 32] = [0x11; 32];
const SR: [u8; 32] = [0x22; 32];

/// The CBC cipher and MAC pairs keyward offers.
const CBC_PAIRS: [(BulkCipher, MacAlgorithm); 4] = [
    (BulkCipher::Aes128Cbc, MacAlgorithm::HmacSha1),
    (BulkCipher::Aes256Cbc, MacAlgorithm::HmacSha1),
    (BulkCipher::Aes128Cbc, MacAlgorithm::HmacSha256),
    (BulkCipher::Aes256Cbc, MacAlgorithm::HmacSha384),
];
const CBC_PROTOCOLS: [Protocol; 5] = [
    Protocol::Tls10,
    Protocol::Tls11,
    Protocol::Tls12,
    Protocol::Dtls10,
    Protocol::Dtls12,
];

fn bytes(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| seed.wrapping_mul(17).wrapping_add(i as u8))
        .collect()
}

/// Keys of one direction, and the same keys in the hands of the "by hand" code.
struct Keys {
    protocol: Protocol,
    cipher: BulkCipher,
    mac: MacAlgorithm,
    mac_key: Vec<u8>,
    enc_key: Vec<u8>,
    fixed_iv: Vec<u8>,
}

impl Keys {
    fn new(protocol: Protocol, cipher: BulkCipher, mac: MacAlgorithm) -> Keys {
        Keys {
            protocol,
            cipher,
            mac,
            mac_key: bytes(mac.key_len(), 1),
            enc_key: bytes(cipher.key_len(), 2),
            fixed_iv: bytes(cipher.fixed_iv_len(protocol), 3),
        }
    }

    fn record_key(&self, mode: CbcMode) -> RecordKey {
        RecordKey::with_cbc_mode(
            self.protocol,
            self.cipher,
            self.mac,
            mode,
            &self.mac_key,
            &self.enc_key,
            &self.fixed_iv,
        )
        .unwrap()
    }

    fn hmac(&self) -> hmac::Key {
        let algorithm = match self.mac {
            MacAlgorithm::HmacSha1 => hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY,
            MacAlgorithm::HmacSha256 => hmac::HMAC_SHA256,
            MacAlgorithm::HmacSha384 => hmac::HMAC_SHA384,
            MacAlgorithm::Aead => unreachable!(),
        };
        hmac::Key::new(algorithm, &self.mac_key)
    }

    fn aes(&self) -> UnboundCipherKey {
        let algorithm = if self.enc_key.len() == 16 {
            &AES_128
        } else {
            &AES_256
        };
        UnboundCipherKey::new(algorithm, &self.enc_key).unwrap()
    }

    fn header_len(&self) -> usize {
        if self.protocol.is_dtls() {
            13
        } else {
            5
        }
    }

    /// The record header: type ‖ version ‖ [epoch ‖ seq] ‖ length.
    fn header(&self, seq: u64, content_type: u8, body_len: usize) -> Vec<u8> {
        let mut header = vec![content_type];
        header.extend_from_slice(&self.protocol.wire_version().to_be_bytes());
        if self.protocol.is_dtls() {
            header.extend_from_slice(&seq.to_be_bytes());
        }
        header.extend_from_slice(&(body_len as u16).to_be_bytes());
        header
    }

    /// RFC 7366 §3 by hand: `[IV] ‖ AES-CBC(data ‖ padding) ‖ HMAC(seq ‖ type ‖ version ‖
    /// length ‖ [IV] ‖ ciphertext)`. `padding` is the padding as written (its last byte is
    /// the padding length); `iv` is the CBC IV (sent unless TLS 1.0 chains it).
    fn seal_by_hand(
        &self,
        seq: u64,
        content_type: u8,
        data: &[u8],
        padding: &[u8],
        iv: [u8; 16],
    ) -> Vec<u8> {
        let mut ciphertext = [data, padding].concat();
        assert_eq!(ciphertext.len() % 16, 0);
        EncryptingKey::cbc(self.aes())
            .unwrap()
            .less_safe_encrypt(&mut ciphertext, EncryptionContext::Iv128(iv.into()))
            .unwrap();
        let sent_iv: &[u8] = if self.protocol == Protocol::Tls10 {
            &[]
        } else {
            &iv
        };
        let length = (sent_iv.len() + ciphertext.len()) as u16;
        let mut context = hmac::Context::with_key(&self.hmac());
        context.update(&seq.to_be_bytes());
        context.update(&[content_type]);
        context.update(&self.protocol.wire_version().to_be_bytes());
        context.update(&length.to_be_bytes());
        context.update(sent_iv);
        context.update(&ciphertext);
        let mac = context.sign();
        let body = [sent_iv, &ciphertext, mac.as_ref()].concat();
        [self.header(seq, content_type, body.len()), body].concat()
    }

    /// Checks a keyward record by hand and returns its data: the MAC over the record as
    /// received, then CBC decryption and the padding.
    fn open_by_hand(&self, seq: u64, record: &[u8], iv: Option<[u8; 16]>) -> Vec<u8> {
        let body = &record[self.header_len()..];
        let (sent_iv, rest) = body.split_at(if iv.is_some() { 0 } else { 16 });
        let (ciphertext, mac) = rest.split_at(rest.len() - self.mac.mac_len());
        let mut context = hmac::Context::with_key(&self.hmac());
        context.update(&seq.to_be_bytes());
        context.update(&record[..1]);
        context.update(&record[1..3]);
        context.update(&((sent_iv.len() + ciphertext.len()) as u16).to_be_bytes());
        context.update(sent_iv);
        context.update(ciphertext);
        assert_eq!(
            context.sign().as_ref(),
            mac,
            "the MAC is over IV ‖ ciphertext"
        );
        let iv: [u8; 16] = iv.unwrap_or_else(|| sent_iv.try_into().unwrap());
        let mut plain = ciphertext.to_vec();
        DecryptingKey::cbc(self.aes())
            .unwrap()
            .decrypt(&mut plain, DecryptionContext::Iv128(iv.into()))
            .unwrap();
        let pad = usize::from(*plain.last().unwrap());
        let data_len = plain.len() - pad - 1;
        assert!(plain[data_len..].iter().all(|b| usize::from(*b) == pad));
        assert!(pad < 16, "keyward pads minimally");
        plain.truncate(data_len);
        plain
    }
}

fn open(key: &RecordKey, seq: u64, record: &[u8]) -> Result<Vec<u8>, Status> {
    let mut out = vec![0u8; record.len()];
    let len = key.open(seq, record, &mut out).map_err(|e| e.status())?;
    out.truncate(len);
    Ok(out)
}

fn seal(key: &RecordKey, seq: u64, data: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8; key.max_sealed_len(data.len())];
    let len = key.seal(seq, 23, data, &mut out).unwrap();
    out.truncate(len);
    out
}

/// Known answers, both ways: records built by hand open in keyward, and keyward's records
/// check by hand (for TLS 1.0, whose IV is the key's, byte for byte).
#[test]
fn records_agree_with_rfc7366_built_by_hand() {
    for protocol in CBC_PROTOCOLS {
        for (cipher, mac) in CBC_PAIRS {
            let keys = Keys::new(protocol, cipher, mac);
            let what = format!("{protocol:?} {cipher:?} {mac:?}");
            let reader = keys.record_key(CbcMode::EncryptThenMac);
            let writer = keys.record_key(CbcMode::EncryptThenMac);
            let chained = protocol == Protocol::Tls10;
            let mut chain: [u8; 16] = if chained {
                keys.fixed_iv.clone().try_into().unwrap()
            } else {
                [0; 16]
            };
            for (seq, len) in [0usize, 1, 15, 16, 100, 16384].into_iter().enumerate() {
                let seq = seq as u64 + (1 << 48) * u64::from(protocol.is_dtls());
                let data = bytes(len, seq as u8);
                let pad = 15 - len % 16;
                let padding = vec![pad as u8; pad + 1];
                let iv = if chained {
                    chain
                } else {
                    [seq as u8 ^ 0x5A; 16]
                };
                let by_hand = keys.seal_by_hand(seq, 23, &data, &padding, iv);
                assert_eq!(open(&reader, seq, &by_hand), Ok(data.clone()), "{what}");
                let ours = seal(&writer, seq, &data);
                assert_eq!(ours.len(), by_hand.len(), "{what}: length");
                if chained {
                    assert_eq!(ours, by_hand, "{what}: TLS 1.0 record {seq}");
                }
                let opened = keys.open_by_hand(seq, &ours, chained.then_some(chain));
                assert_eq!(opened, data, "{what}");
                if chained {
                    // The next IV is the last ciphertext block, before the MAC.
                    let end = ours.len() - mac.mac_len();
                    chain = ours[end - 16..end].try_into().unwrap();
                }
            }
            // MAC-then-encrypt keys do not read encrypt-then-MAC records, nor the reverse.
            let mte = keys.record_key(CbcMode::MacThenEncrypt);
            let etm_record = seal(&keys.record_key(CbcMode::EncryptThenMac), 0, b"mode");
            let mte_record = seal(&keys.record_key(CbcMode::MacThenEncrypt), 0, b"mode");
            for (key, record) in [(&mte, &etm_record), (&reader, &mte_record)] {
                let status = open(key, 0, record).unwrap_err();
                assert!(
                    [Status::NTE_DECRYPTION_FAILURE, Status::NTE_BAD_DATA].contains(&status),
                    "{what}: {status:?}"
                );
            }
        }
    }
}

/// A tampered MAC, a tampered IV or ciphertext, the wrong sequence number or content type,
/// and bad padding under a good MAC are all `NTE_DECRYPTION_FAILURE`, the status of the same
/// faults MAC-then-encrypt; a failed record leaves the TLS 1.0 chain where it was.
#[test]
fn tampering_and_bad_padding_fail_as_mac_then_encrypt() {
    for protocol in CBC_PROTOCOLS {
        for (cipher, mac) in CBC_PAIRS {
            let keys = Keys::new(protocol, cipher, mac);
            let what = format!("{protocol:?} {cipher:?} {mac:?}");
            let iv = if protocol == Protocol::Tls10 {
                keys.fixed_iv.clone().try_into().unwrap()
            } else {
                [9; 16]
            };
            let data = bytes(40, 7);
            let good = keys.seal_by_hand(0, 23, &data, &[7; 8], iv);
            let header = keys.header_len();
            let mut faults: Vec<(&str, Vec<u8>)> = Vec::new();
            let mut last = good.clone();
            *last.last_mut().unwrap() ^= 1;
            faults.push(("MAC", last));
            let mut first_body = good.clone();
            first_body[header] ^= 0x80;
            faults.push(("IV or first ciphertext byte", first_body));
            let mut ciphertext = good.clone();
            let at = good.len() - mac.mac_len() - 1;
            ciphertext[at] ^= 1;
            faults.push(("last ciphertext byte", ciphertext));
            let mut content_type = good.clone();
            content_type[0] = 22;
            faults.push(("content type", content_type));
            // Padding bytes that disagree, and a padding length longer than the record,
            // both under a MAC that is right.
            faults.push((
                "padding bytes",
                keys.seal_by_hand(0, 23, &data, &[7, 7, 7, 6, 7, 7, 7, 7], iv),
            ));
            faults.push((
                "padding length",
                keys.seal_by_hand(0, 23, &data[..32], &[200; 16], iv),
            ));
            // The same ciphertext with a 255-byte padding that is well formed opens.
            let long_padding = keys.seal_by_hand(0, 23, &data[..16], &[255; 256], iv);
            let reader = keys.record_key(CbcMode::EncryptThenMac);
            for (fault, record) in &faults {
                assert_eq!(
                    open(&reader, 0, record),
                    Err(Status::NTE_DECRYPTION_FAILURE),
                    "{what}: {fault}"
                );
                let mut in_place = record.clone();
                assert_eq!(
                    reader
                        .open_in_place(0, &mut in_place)
                        .map(<[u8]>::to_vec)
                        .map_err(|e| e.status()),
                    Err(Status::NTE_DECRYPTION_FAILURE),
                    "{what}: {fault} in place"
                );
            }
            if !protocol.is_dtls() {
                assert_eq!(
                    open(&reader, 1, &good),
                    Err(Status::NTE_DECRYPTION_FAILURE),
                    "{what}: sequence number"
                );
            }
            // After all the failures the key still opens the good record: a TLS 1.0 chain
            // did not move.
            assert_eq!(open(&reader, 0, &good), Ok(data.clone()), "{what}");
            let fresh = keys.record_key(CbcMode::EncryptThenMac);
            assert_eq!(open(&fresh, 0, &long_padding), Ok(data[..16].to_vec()));
            // Lengths that are not whole blocks and a MAC are malformed, as MAC-then-encrypt.
            let mut short = good[..good.len() - 1].to_vec();
            let body_len = (short.len() - header) as u16;
            short[header - 2..header].copy_from_slice(&body_len.to_be_bytes());
            assert_eq!(open(&fresh, 0, &short), Err(Status::NTE_BAD_DATA), "{what}");
        }
    }
}

fn tls12_suites() -> impl Iterator<Item = CipherSuiteInfo> {
    suites::supported().filter(|info| info.protocol != Protocol::Tls13)
}

fn suite_info(protocol: Protocol, id: u16) -> CipherSuiteInfo {
    suites::supported()
        .find(|i| i.protocol == protocol && i.suite.id == id)
        .unwrap()
}

fn session_keys(
    info: &CipherSuiteInfo,
    params: &Parameters<'_>,
) -> Result<(SessionKeys, SessionKeys), Status> {
    let provider = common::provider();
    let (client, server) = common::masters(
        &provider,
        info.protocol,
        info.suite,
        common::group(match info.suite.key_exchange {
            KeyExchange::DheRsa => 256,
            _ => 23,
        }),
        &CR,
        &SR,
    );
    let client = client
        .generate_session_keys(params)
        .map_err(|e| e.status())?;
    let server = server
        .generate_session_keys(params)
        .map_err(|e| e.status())?;
    Ok((client, server))
}

/// `SslGenerateSessionKeys` with the encrypt-then-MAC parameter, every CBC suite keyward
/// offers in every protocol: both directions round-trip and the keys say their mode (that
/// the two modes do not read each other's records is checked above). AEAD suites refuse it (`NTE_INVALID_PARAMETER`).
#[test]
fn every_cbc_suite_and_protocol_round_trips_encrypt_then_mac() {
    let etm = Parameters::with_randoms(&CR, &SR).encrypt_then_mac();
    let mte = Parameters::with_randoms(&CR, &SR);
    let mut cbc = 0;
    let mut aead = 0;
    for info in tls12_suites().filter(|i| i.suite.key_exchange != KeyExchange::Rsa) {
        let what = format!("{:?} {}", info.protocol, info.suite.name);
        if info.suite.cipher.is_aead() {
            assert_eq!(
                session_keys(&info, &etm).err(),
                Some(Status::NTE_INVALID_PARAMETER),
                "{what}"
            );
            aead += 1;
            continue;
        }
        let (client, server) = session_keys(&info, &etm).unwrap();
        let (_, plain_server) = session_keys(&info, &mte).unwrap();
        for key in [&client.read, &client.write, &server.read, &server.write] {
            assert_eq!(key.cbc_mode(), CbcMode::EncryptThenMac, "{what}");
        }
        assert_eq!(plain_server.read.cbc_mode(), CbcMode::MacThenEncrypt);
        for (seq, data) in [&b""[..], b"x", &[0x42; 100], &[7; 16384]]
            .into_iter()
            .enumerate()
        {
            let seq = seq as u64;
            for (from, to) in [(&client, &server), (&server, &client)] {
                let mut wire = vec![0u8; from.write.max_encrypted_len(data.len())];
                let len = from.write.encrypt_packet(data, &mut wire, seq, 23).unwrap();
                let mut plain = vec![0u8; len];
                let n = to
                    .read
                    .decrypt_packet(&wire[..len], &mut plain, seq)
                    .unwrap_or_else(|e| panic!("{what} {seq}: {e:?}"));
                assert_eq!(&plain[..n], data, "{what}");
            }
        }
        cbc += 1;
    }
    // 4 CBC pairs × ECDHE-RSA, ECDHE-ECDSA (AES only with SHA-1/SHA-256/SHA-384 as
    // offered) and DHE; at least one of each kind in every protocol.
    assert!(cbc >= 5 * 4, "only {cbc} CBC suites");
    assert!(aead >= 2 * 4, "only {aead} AEAD suites");
}

/// An opaque blob carries the mode: the imported key writes and reads encrypt-then-MAC (a
/// TLS 1.0 key also continues its chain), and a MAC-then-encrypt key still imports as one.
#[test]
fn opaque_export_and_import_keep_encrypt_then_mac() {
    let provider = common::provider();
    let importer = common::provider();
    for (protocol, suite) in [(Protocol::Tls10, 0xC009u16), (Protocol::Tls12, 0xC027)] {
        let info = suite_info(protocol, suite);
        let etm = Parameters::with_randoms(&CR, &SR).encrypt_then_mac();
        let (client, server) = session_keys(&info, &etm).unwrap();
        // One record first, so a TLS 1.0 chain has moved.
        let mut wire = [0u8; 256];
        let len = client
            .write
            .encrypt_packet(b"one", &mut wire, 0, 23)
            .unwrap();
        let mut plain = [0u8; 256];
        server
            .read
            .decrypt_packet(&wire[..len], &mut plain, 0)
            .unwrap();
        let import = |key: &keyward_ssl::SessionKey| {
            let blob = provider.export_session_key(key).unwrap();
            assert_eq!(blob.len(), provider.opaque_session_key_len(key));
            let OpaqueKey::Session(key) = importer.import_opaque_key(&blob).unwrap() else {
                panic!("not a session key")
            };
            key
        };
        let write = import(&client.write);
        let read = import(&server.read);
        assert_eq!(write.cbc_mode(), CbcMode::EncryptThenMac);
        assert_eq!(read.cbc_mode(), CbcMode::EncryptThenMac);
        let len = write.encrypt_packet(b"two", &mut wire, 1, 23).unwrap();
        let n = server
            .read
            .decrypt_packet(&wire[..len], &mut plain, 1)
            .unwrap();
        assert_eq!(
            &plain[..n],
            b"two",
            "{protocol:?}: the original reads the copy"
        );
        let n = read.decrypt_packet(&wire[..len], &mut plain, 1).unwrap();
        assert_eq!(&plain[..n], b"two", "{protocol:?}: the copy reads too");

        let mte = Parameters::with_randoms(&CR, &SR);
        let (client, _) = session_keys(&info, &mte).unwrap();
        assert_eq!(import(&client.write).cbc_mode(), CbcMode::MacThenEncrypt);
    }
}
