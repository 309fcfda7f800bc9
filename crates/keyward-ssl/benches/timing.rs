//! A dudect-style timing test of the two places where keyward handles secret-dependent
//! failures (issue 19), run in-process on the Rust API by `scripts/timing`:
//!
//! - `SslImportMasterKey` (RSA key exchange) with RSA-2048, 3072 and 4096 and the Marvin
//!   classes of ciphertext (one fixed ciphertext per class): every class against the valid one;
//! - `SslDecryptPacket` (the record layer's `open`) on TLS 1.2 CBC records of one length, for
//!   every CBC suite keyward offers, MAC-then-encrypt and encrypt-then-MAC (RFC 7366): every
//!   rejected class against every other rejected class (valid against rejected is printed, not
//!   judged: whether a record is accepted is public);
//! - `SslGenerateMasterKey` with DHE (Raccoon): a fixed server key and two peers whose shared
//!   secrets start with a zero byte or do not (TLS ≤ 1.2 strips it before the PRF). Printed,
//!   not judged: the stripping is harmless with a fresh key per handshake (see
//!   `EphemeralKey::agree_tls12`), which this measures without.
//!
//! The classes are measured interleaved in a random order. Each comparison prints Welch's t
//! (the largest |t| over dudect's crops: all data and data below the pooled 99th, 90th, 75th and
//! 50th percentile), the Mann-Whitney rank statistic as a z score, the difference of the medians
//! in ns with a 95% confidence interval, and a verdict: "no leak" when |t| < 4.5 and |z| < 4.5.
//!
//! Usage: `timing [--count N] [--rsa-count N] [--dhe-count N] [--only rsa|cbc|dhe]
//! [--rsa-bits 2048,3072,4096]` (measurements per class; defaults 1,000,000 for CBC, 100,000
//! for RSA and 20,000 for DHE). Exit status 1 when
//! any judged comparison is not "no leak", 2 on a usage error.

use std::hint::black_box;
use std::time::Instant;

use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der};
use aws_lc_rs::{hmac, rsa};
use keyward_ssl::record::RecordKey;
use keyward_ssl::suites::CIPHER_SUITES;
use keyward_ssl::{CbcMode, Parameters, PrivateKey, Protocol, Provider, PublicKey, Side};
use num_bigint::BigUint;

const TLS1_2: Protocol = Protocol::Tls12;
const T_LIMIT: f64 = 4.5;

struct Options {
    count: usize,
    rsa_count: usize,
    dhe_count: usize,
    only: Option<String>,
    rsa_bits: Vec<usize>,
}

fn parse_options() -> Result<Options, String> {
    let mut options = Options {
        count: 1_000_000,
        rsa_count: 100_000,
        dhe_count: 20_000,
        only: None,
        rsa_bits: vec![2048, 3072, 4096],
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--count" => options.count = number(&value("--count")?)?,
            "--rsa-count" => options.rsa_count = number(&value("--rsa-count")?)?,
            "--dhe-count" => options.dhe_count = number(&value("--dhe-count")?)?,
            "--only" => options.only = Some(value("--only")?),
            "--rsa-bits" => {
                options.rsa_bits = value("--rsa-bits")?
                    .split(',')
                    .map(number)
                    .collect::<Result<_, _>>()?
            }
            // cargo bench passes --bench to harness-less benchmarks.
            "--bench" => {}
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if options.count < 100 || options.rsa_count < 100 || options.dhe_count < 100 {
        return Err("counts must be at least 100".into());
    }
    if let Some(only) = &options.only {
        if !["rsa", "cbc", "dhe"].contains(&only.as_str()) {
            return Err(format!("--only {only}: not rsa, cbc or dhe"));
        }
    }
    Ok(options)
}

fn number(text: &str) -> Result<usize, String> {
    text.replace('_', "")
        .parse()
        .map_err(|_| format!("not a number: {text}"))
}

fn main() {
    let options = match parse_options() {
        Ok(options) => options,
        Err(message) => {
            eprintln!("timing: {message}");
            std::process::exit(2);
        }
    };
    let mut rng = Rng::new();
    let mut leaks = 0;
    let runs = |section: &str| options.only.as_deref().is_none_or(|only| only == section);
    if runs("rsa") {
        for &bits in &options.rsa_bits {
            leaks += rsa_import(bits, options.rsa_count, &mut rng);
        }
    }
    if runs("cbc") {
        for mode in [CbcMode::MacThenEncrypt, CbcMode::EncryptThenMac] {
            leaks += cbc_records(mode, options.count, &mut rng);
        }
    }
    if runs("dhe") {
        leaks += dhe_leading_zero(options.dhe_count, &mut rng);
    }
    if leaks > 0 {
        println!("{leaks} comparison(s) not \"no leak\"");
        std::process::exit(1);
    }
    println!("every judged comparison: no leak");
}

// ---------------------------------------------------------------------------------------------
// SslImportMasterKey: the Marvin classes
// ---------------------------------------------------------------------------------------------

fn rsa_import(bits: usize, count: usize, rng: &mut Rng) -> usize {
    let size = match bits {
        2048 => rsa::KeySize::Rsa2048,
        3072 => rsa::KeySize::Rsa3072,
        4096 => rsa::KeySize::Rsa4096,
        _ => {
            eprintln!("timing: RSA size {bits} is not 2048, 3072 or 4096");
            return 1;
        }
    };
    let pair = rsa::KeyPair::generate(size).expect("RSA key generation");
    let pkcs8: Pkcs8V1Der = pair.as_der().expect("PKCS#8");
    let key = PrivateKey::from_pkcs8(pkcs8.as_ref(), b"").expect("keyward private key");
    let public = keyward_core::backend::RsaPrivateKey::from_pkcs8(pkcs8.as_ref())
        .expect("RSA key")
        .public_key();
    let n = BigUint::from_bytes_be(public.modulus());
    let e = BigUint::from_bytes_be(public.exponent());
    let k = public.modulus_len();
    let encrypt = |em: Vec<u8>| -> Vec<u8> {
        assert_eq!(em.len(), k);
        let c = BigUint::from_bytes_be(&em).modpow(&e, &n).to_bytes_be();
        let mut out = vec![0u8; k - c.len()];
        out.extend_from_slice(&c);
        out
    };
    // 00 02 PS 00 M with a nonzero PS of `k − 3 − |M|` bytes.
    let em = |rng: &mut Rng, block_type: u8, message: &[u8]| -> Vec<u8> {
        let mut em = vec![0x00, block_type];
        em.extend(rng.nonzero_bytes(k - 3 - message.len()));
        em.push(0x00);
        em.extend_from_slice(message);
        em
    };
    let premaster = |rng: &mut Rng, len: usize, version: [u8; 2]| -> Vec<u8> {
        let mut m = version.to_vec();
        m.extend(rng.bytes(len - 2));
        m
    };
    let mut short_padding = vec![0x00, 0x02];
    short_padding.extend(rng.nonzero_bytes(7));
    short_padding.push(0x00);
    short_padding.extend(rng.bytes(k - 10));
    let mut no_separator = vec![0x00, 0x02];
    no_separator.extend(rng.nonzero_bytes(k - 2));
    let mut random = vec![0x00];
    random.extend(rng.bytes(k - 1));
    let valid = premaster(rng, 48, [3, 3]);
    let wrong_version = premaster(rng, 48, [3, 1]);
    let other = premaster(rng, 48, [3, 3]);
    let short = premaster(rng, 47, [3, 3]);
    let long = premaster(rng, 49, [3, 3]);
    let classes: Vec<(&str, Vec<u8>)> = vec![
        ("valid", encrypt(em(rng, 2, &valid))),
        ("wrong version", encrypt(em(rng, 2, &wrong_version))),
        ("wrong block type", encrypt(em(rng, 1, &other))),
        ("no separator", encrypt(no_separator)),
        ("padding < 8", encrypt(short_padding)),
        ("premaster 47", encrypt(em(rng, 2, &short))),
        ("premaster 49", encrypt(em(rng, 2, &long))),
        ("empty message", encrypt(em(rng, 2, &[]))),
        ("random ciphertext", random),
    ];

    let dir = std::env::temp_dir().join(format!("keyward-timing-{}", std::process::id()));
    let provider = Provider::with_key_store(keyward_core::store::KeyStore::open(&dir).unwrap());
    let (cr, sr) = ([1u8; 32], [2u8; 32]);
    let params = Parameters::with_randoms(&cr, &sr).highest_version(TLS1_2.wire_version());
    let suite = keyward_ssl::CipherSuite::from_id(0x009C).expect("suite"); // TLS_RSA_WITH_AES_128_GCM_SHA256
    let import = |ciphertext: &[u8]| {
        provider.import_master_key(&key, TLS1_2, suite, &params, black_box(ciphertext))
    };
    let mut leaks = 0;
    for (name, ciphertext) in &classes {
        // Implicit rejection: every class must yield a master key, never an error.
        if let Err(error) = import(ciphertext) {
            println!("RSA-{bits} {name}: SslImportMasterKey failed ({error:?}): an oracle");
            leaks += 1;
        }
    }
    let inputs: Vec<Vec<Vec<u8>>> = classes
        .iter()
        .map(|(_, input)| vec![input.clone()])
        .collect();
    let samples = measure(&inputs, count, rng, |ciphertext| {
        drop(black_box(import(ciphertext)));
    });
    std::fs::remove_dir_all(&dir).ok();
    let target = format!("SslImportMasterKey RSA-{bits}");
    for other in 1..classes.len() {
        leaks += report(
            &target,
            (classes[other].0, &samples[other]),
            (classes[0].0, &samples[0]),
            Judged::Yes,
        );
    }
    leaks
}

// ---------------------------------------------------------------------------------------------
// SslDecryptPacket: CBC records
// ---------------------------------------------------------------------------------------------

/// Decrypted length of every CBC record measured (64 blocks), after the explicit IV.
const CBC_BODY_LEN: usize = 1024;
const HEADER_LEN: usize = 5;
const IV_LEN: usize = 16;

/// The classes, all records of one length (header, IV, 64 blocks [, MAC]):
///
/// MAC-then-encrypt (the MAC is inside the ciphertext, checked after the padding):
/// - "valid record": data, MAC and 16 bytes of padding 15;
/// - "pad 0/255/15, bad MAC": the 64 blocks decrypt to data ‖ a wrong MAC ‖ that padding;
/// - "bad padding": they end in 16 bytes of padding that disagree.
///
/// Encrypt-then-MAC (RFC 7366; the MAC follows the ciphertext and is checked first, over IV
/// and ciphertext, so nothing is decrypted for a wrong one):
/// - "valid record": as above, then its MAC;
/// - "pad 0/255/15, bad MAC" and "bad pad, bad MAC": the same 64 decrypted shapes, with a
///   random MAC after them. These are what an attacker can send; they must not differ, i.e. the
///   padding must not matter before the MAC is checked;
/// - "bad pad, good MAC": bad padding under a MAC that is right. Only a holder of the MAC key
///   can make it (the harness computes the MAC by hand), so it is printed against the others
///   but not judged: it decrypts and they do not.
/// Records in each CBC class's pool.
const CBC_POOL: usize = 64;

/// A pool of [`CBC_POOL`] inputs of one class: each made by `make`, with its own random bytes.
fn pool(rng: &mut Rng, mut make: impl FnMut(&mut Rng) -> Vec<u8>) -> Vec<Vec<u8>> {
    (0..CBC_POOL).map(|_| make(rng)).collect()
}

fn cbc_records(mode: CbcMode, count: usize, rng: &mut Rng) -> usize {
    let etm = mode == CbcMode::EncryptThenMac;
    let mut leaks = 0;
    for suite in CIPHER_SUITES.iter().filter(|s| !s.cipher.is_aead()) {
        let mac_key = rng.bytes(suite.mac.key_len());
        let key = RecordKey::with_cbc_mode(
            Protocol::Tls12,
            suite.cipher,
            suite.mac,
            mode,
            &mac_key,
            &rng.bytes(suite.cipher.key_len()),
            &[],
        )
        .expect("CBC record key");
        let mac_len = suite.mac.mac_len();
        let hmac_key = hmac::Key::new(
            match mac_len {
                20 => hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY,
                32 => hmac::HMAC_SHA256,
                _ => hmac::HMAC_SHA384,
            },
            &mac_key,
        );
        let seq: u64 = 7;
        let record_len = HEADER_LEN + IV_LEN + CBC_BODY_LEN + if etm { mac_len } else { 0 };
        // A record whose first CBC_BODY_LEN decrypted bytes are `content`: seal it (the
        // provider adds MAC and padding after it) and cut the ciphertext after those blocks;
        // with encrypt-then-MAC, a MAC follows: `mac(iv ‖ ciphertext)`.
        let truncated = |content: &[u8], mac: &dyn Fn(&[u8]) -> Vec<u8>| -> Vec<u8> {
            assert_eq!(content.len(), CBC_BODY_LEN);
            let mut record = vec![0u8; key.max_sealed_len(content.len())];
            let len = key.seal(seq, 23, content, &mut record).expect("seal");
            record.truncate(HEADER_LEN + IV_LEN + CBC_BODY_LEN);
            assert!(len > record.len());
            if etm {
                let tag = mac(&record[HEADER_LEN..]);
                record.extend_from_slice(&tag);
            }
            let body_len = u16::try_from(record.len() - HEADER_LEN).unwrap();
            record[3..5].copy_from_slice(&body_len.to_be_bytes());
            assert_eq!(record.len(), record_len);
            record
        };
        let random_mac = |_: &[u8]| -> Vec<u8> {
            let mut tag = vec![0u8; mac_len];
            aws_lc_rs::rand::fill(&mut tag).expect("random MAC");
            tag
        };
        // RFC 7366 §3: HMAC(seq ‖ type ‖ version ‖ length ‖ IV ‖ ciphertext).
        let good_mac = |iv_and_ciphertext: &[u8]| -> Vec<u8> {
            let length = u16::try_from(iv_and_ciphertext.len()).unwrap();
            let mut context = hmac::Context::with_key(&hmac_key);
            context.update(&seq.to_be_bytes());
            context.update(&[23, 3, 3]);
            context.update(&length.to_be_bytes());
            context.update(iv_and_ciphertext);
            context.sign().as_ref().to_vec()
        };
        // MAC-then-encrypt: data ‖ a wrong MAC ‖ `padding`; encrypt-then-MAC: data ‖ `padding`.
        let content = |rng: &mut Rng, padding: &[u8]| -> Vec<u8> {
            let mut content = rng.bytes(CBC_BODY_LEN - mac_len - padding.len());
            content.extend(rng.bytes(mac_len));
            content.extend_from_slice(padding);
            content
        };
        let mut bad_padding = vec![15u8; 16];
        bad_padding[0] = 14;
        let valid = |rng: &mut Rng| -> Vec<u8> {
            // Data that fills the 64 blocks with (MtE: MAC and) a full block of padding.
            let mac_inside = if etm { 0 } else { mac_len };
            let data = rng.bytes(CBC_BODY_LEN - mac_inside - 16);
            let mut record = vec![0u8; key.max_sealed_len(data.len())];
            let len = key.seal(seq, 23, &data, &mut record).expect("seal");
            assert_eq!(len, record_len);
            record
        };
        // Each class is a pool of records of its shape with their other bytes random: the
        // measurements cycle through the pool, so what differs between two classes is their
        // shape, not the accidents of one set of random bytes.
        let bad_mac = |rng: &mut Rng, padding: &[u8]| {
            pool(rng, |rng| truncated(&content(rng, padding), &random_mac))
        };
        let mut classes: Vec<(&str, Vec<Vec<u8>>, Judged)> = vec![
            ("valid record", pool(rng, &valid), Judged::Public),
            ("pad 0, bad MAC", bad_mac(rng, &[0]), Judged::Yes),
            ("pad 255, bad MAC", bad_mac(rng, &[255; 256]), Judged::Yes),
            ("pad 15, bad MAC", bad_mac(rng, &[15; 16]), Judged::Yes),
        ];
        let twin_name = if etm {
            classes.push(("bad pad, bad MAC", bad_mac(rng, &bad_padding), Judged::Yes));
            classes.push((
                "bad pad, good MAC",
                pool(rng, |rng| truncated(&content(rng, &bad_padding), &good_mac)),
                Judged::NeedsKey,
            ));
            "bad pad, bad MAC"
        } else {
            classes.push(("bad padding", bad_mac(rng, &bad_padding), Judged::Yes));
            "bad padding"
        };
        // The control: a second pool of one rejected class. It tells how often the harness
        // tells apart two inputs the code treats alike.
        let twin = classes
            .iter()
            .position(|(name, _, _)| *name == twin_name)
            .expect("the control's twin");
        classes.push(("control", bad_mac(rng, &bad_padding), Judged::Control));
        let mut out = vec![0u8; record_len];
        for (index, (name, pool, _)) in classes.iter().enumerate() {
            for record in pool {
                let result = key.open(seq, record, &mut out);
                let expected_ok = index == 0;
                if result.is_ok() != expected_ok {
                    println!("{}: class {name} opened as {result:?}", suite.name);
                    leaks += 1;
                }
            }
        }
        let inputs: Vec<Vec<Vec<u8>>> = classes.iter().map(|(_, pool, _)| pool.clone()).collect();
        let samples = measure(&inputs, count, rng, |record| {
            let _ = black_box(key.open(seq, record, &mut out));
        });
        let target = format!(
            "SslDecryptPacket {} {}",
            suite.name,
            if etm { "EtM" } else { "MtE" }
        );
        for a in 1..classes.len() {
            for b in a + 1..classes.len() {
                let judged = match (classes[a].2, classes[b].2) {
                    (Judged::Yes, Judged::Yes) => Judged::Yes,
                    (_, Judged::Control) if a == twin => Judged::Control,
                    (_, Judged::Control) => continue,
                    _ => Judged::NeedsKey,
                };
                leaks += report(
                    &target,
                    (classes[a].0, &samples[a]),
                    (classes[b].0, &samples[b]),
                    judged,
                );
            }
        }
        for a in (1..classes.len()).filter(|&a| classes[a].2 != Judged::Control) {
            report(
                &target,
                (classes[0].0, &samples[0]),
                (classes[a].0, &samples[a]),
                Judged::Public,
            );
        }
    }
    leaks
}

// ---------------------------------------------------------------------------------------------
// SslGenerateMasterKey with DHE: the leading zero byte (Raccoon)
// ---------------------------------------------------------------------------------------------

/// A fixed server key (as Raccoon needs: one private key in many handshakes) and client
/// public keys whose shared secret with it starts with a zero byte, or does not. The timed
/// operation is the provider's whole DHE master-key path: the agreement, the stripping of
/// leading zero bytes (RFC 5246 §8.1.2) and the PRF.
fn dhe_leading_zero(count: usize, rng: &mut Rng) -> usize {
    let dhe_rsa_aes128_gcm_sha256 = keyward_ssl::CipherSuite::from_id(0x009E).expect("suite");
    let dir = std::env::temp_dir().join(format!("keyward-timing-dhe-{}", std::process::id()));
    let provider = Provider::with_key_store(keyward_core::store::KeyStore::open(&dir).unwrap());
    let (cr, sr) = ([1u8; 32], [2u8; 32]);
    let params = Parameters::with_randoms(&cr, &sr);
    for group in [256u16, 257, 258] {
        let group = keyward_ssl::Group::from_tls_id(group).expect("group");
        let new_key = || {
            provider
                .create_ephemeral_key(TLS1_2, dhe_rsa_aes128_gcm_sha256, group)
                .expect("DHE key")
        };
        let server = new_key();
        // Peers until one of each kind: a secret starting with 0x00 (1 in 256), and two that
        // do not (two, to show the noise between classes that do the same work).
        let (mut zero, mut nonzero): (Vec<PublicKey>, Vec<PublicKey>) = (Vec::new(), Vec::new());
        let mut tries = 0;
        while zero.is_empty() || nonzero.len() < 2 {
            tries += 1;
            let peer = new_key().public_key();
            let secret = server.agree(&peer).expect("agreement");
            match secret.expose().first() {
                Some(0) if zero.is_empty() => zero.push(peer),
                Some(0) => {}
                _ if nonzero.len() < 2 => nonzero.push(peer),
                _ => {}
            }
        }
        let peers = [&nonzero[0], &nonzero[1], &zero[0]];
        let names = ["no zero byte", "no zero byte (2)", "leading zero byte"];
        let bits = server.group().bits();
        let inputs: Vec<Vec<Vec<u8>>> = (0..peers.len()).map(|i| vec![vec![i as u8]]).collect();
        let samples = measure(&inputs, count, rng, |which| {
            let peer = peers[usize::from(which[0])];
            let _ = black_box(provider.generate_master_key(
                &server,
                peer,
                TLS1_2,
                dhe_rsa_aes128_gcm_sha256,
                &params,
                Side::Server,
            ));
        });
        let target = format!("SslGenerateMasterKey DHE ffdhe{bits} ({tries} peers tried)");
        for (a, b) in [(0, 1), (0, 2), (1, 2)] {
            report(
                &target,
                (names[a], &samples[a]),
                (names[b], &samples[b]),
                Judged::FreshKeys,
            );
        }
    }
    std::fs::remove_dir_all(&dir).ok();
    0
}

// ---------------------------------------------------------------------------------------------
// Measurement and statistics
// ---------------------------------------------------------------------------------------------

/// Runs `op` `count` times on each class of `inputs` (every input of one length) in one
/// random interleaved order, taking a class's inputs in turn from its pool; returns the
/// durations in ns per class. Before each run the input is copied, outside the timed region,
/// into one fixed buffer, so every class is read from the same address and no difference in
/// memory layout between the classes shows up as a timing difference.
fn measure(
    inputs: &[Vec<Vec<u8>>],
    count: usize,
    rng: &mut Rng,
    mut op: impl FnMut(&[u8]),
) -> Vec<Vec<f64>> {
    let len = inputs
        .first()
        .and_then(|pool| pool.first())
        .map_or(0, Vec::len);
    assert!(
        inputs.iter().flatten().all(|input| input.len() == len),
        "inputs of one length"
    );
    let mut order: Vec<usize> = (0..inputs.len())
        .flat_map(|class| std::iter::repeat_n(class, count))
        .collect();
    rng.shuffle(&mut order);
    let mut buffer = vec![0u8; len];
    let mut turn = vec![0usize; inputs.len()];
    let mut next_input = |class: usize| {
        let pool = &inputs[class];
        turn[class] += 1;
        &pool[turn[class] % pool.len()]
    };
    // Warm caches and branch predictors before measuring.
    for &class in order.iter().take(1000) {
        buffer.copy_from_slice(next_input(class));
        op(&buffer);
    }
    let mut samples = vec![Vec::with_capacity(count); inputs.len()];
    for &class in &order {
        buffer.copy_from_slice(next_input(class));
        let start = Instant::now();
        op(black_box(&buffer));
        let elapsed = start.elapsed();
        samples[class].push(elapsed.as_nanos() as f64);
    }
    samples
}

/// Whether a comparison is judged, and if not, why.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Judged {
    /// An attacker can send both classes: a difference is a leak.
    Yes,
    /// Whether a record is accepted is public.
    Public,
    /// One class needs the MAC key to make (encrypt-then-MAC: bad padding under a good MAC).
    NeedsKey,
    /// DHE: harmless with a fresh key per handshake (Raccoon needs a reused one).
    FreshKeys,
    /// Two records of one class with different random bytes: the harness's own rate of
    /// differences between inputs the code treats alike.
    Control,
}

/// Prints one comparison; returns 1 when it is judged and not "no leak".
fn report(
    target: &str,
    (name_a, a): (&str, &[f64]),
    (name_b, b): (&str, &[f64]),
    judged: Judged,
) -> usize {
    let t = max_welch_t(a, b);
    let z = mann_whitney_z(a, b);
    let (difference, low, high) = median_difference(a, b);
    let no_leak = t.abs() < T_LIMIT && z.abs() < T_LIMIT;
    let verdict = match (judged, no_leak) {
        (Judged::Public, _) => "not judged (acceptance is public)",
        (Judged::NeedsKey, _) => "not judged (needs the MAC key)",
        (Judged::FreshKeys, true) => "no difference (not judged: fresh keys)",
        (Judged::FreshKeys, false) => "DIFFERS (not judged: fresh keys)",
        (Judged::Yes, true) => "no leak",
        (Judged::Yes, false) => "LEAK?",
        (Judged::Control, true) => "control: no difference",
        (Judged::Control, false) => "CONTROL DIFFERS (same class, other bytes)",
    };
    println!(
        "{target:<52} {name_a:>18} vs {name_b:<18} t={t:+8.2} z={z:+8.2} \
         median diff {difference:+9.1} ns [{low:+9.1}, {high:+9.1}]  {verdict}"
    );
    usize::from(judged == Judged::Yes && !no_leak)
}

/// Welch's t of `a` against `b` on all data and on data cropped below the pooled 99th, 90th,
/// 75th and 50th percentiles (dudect); the value of largest magnitude.
fn max_welch_t(a: &[f64], b: &[f64]) -> f64 {
    let mut pooled: Vec<f64> = a.iter().chain(b).copied().collect();
    pooled.sort_by(f64::total_cmp);
    let mut best = welch_t(a, b);
    for p in [0.99, 0.90, 0.75, 0.50] {
        let limit = percentile(&pooled, p);
        let crop = |x: &[f64]| {
            x.iter()
                .copied()
                .filter(|v| *v <= limit)
                .collect::<Vec<_>>()
        };
        let t = welch_t(&crop(a), &crop(b));
        if t.abs() > best.abs() {
            best = t;
        }
    }
    best
}

fn welch_t(a: &[f64], b: &[f64]) -> f64 {
    let (ma, va) = mean_variance(a);
    let (mb, vb) = mean_variance(b);
    let se = (va / a.len() as f64 + vb / b.len() as f64).sqrt();
    if a.len() < 2 || b.len() < 2 || se == 0.0 {
        return 0.0;
    }
    (ma - mb) / se
}

fn mean_variance(x: &[f64]) -> (f64, f64) {
    let n = x.len() as f64;
    let mean = x.iter().sum::<f64>() / n;
    let variance = x.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (n - 1.0).max(1.0);
    (mean, variance)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let index = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

/// The Mann-Whitney U statistic of `a` against `b` as a z score (normal approximation, average
/// ranks for ties).
fn mann_whitney_z(a: &[f64], b: &[f64]) -> f64 {
    let mut all: Vec<(f64, bool)> = a
        .iter()
        .map(|v| (*v, true))
        .chain(b.iter().map(|v| (*v, false)))
        .collect();
    all.sort_by(|x, y| x.0.total_cmp(&y.0));
    let mut rank_sum_a = 0.0;
    let mut i = 0;
    while i < all.len() {
        let mut j = i;
        while j + 1 < all.len() && all[j + 1].0 == all[i].0 {
            j += 1;
        }
        let rank = (i + j) as f64 / 2.0 + 1.0;
        rank_sum_a += rank * all[i..=j].iter().filter(|x| x.1).count() as f64;
        i = j + 1;
    }
    let (na, nb) = (a.len() as f64, b.len() as f64);
    let u = rank_sum_a - na * (na + 1.0) / 2.0;
    let sigma = (na * nb * (na + nb + 1.0) / 12.0).sqrt();
    (u - na * nb / 2.0) / sigma
}

/// median(a) − median(b) with a 95% confidence interval from each median's order-statistic
/// interval (n/2 ± 1.96·√n/2), combined as independent normal errors.
fn median_difference(a: &[f64], b: &[f64]) -> (f64, f64, f64) {
    let interval = |x: &[f64]| {
        let mut sorted = x.to_vec();
        sorted.sort_by(f64::total_cmp);
        let n = sorted.len() as f64;
        let half = 1.96 * n.sqrt() / 2.0;
        let at = |r: f64| sorted[(r.round().max(0.0) as usize).min(sorted.len() - 1)];
        let median = percentile(&sorted, 0.5);
        let standard_error = (at(n / 2.0 + half) - at(n / 2.0 - half)) / (2.0 * 1.96);
        (median, standard_error)
    };
    let (ma, sa) = interval(a);
    let (mb, sb) = interval(b);
    let difference = ma - mb;
    let margin = 1.96 * (sa * sa + sb * sb).sqrt();
    (difference, difference - margin, difference + margin)
}

/// Random bytes from AWS-LC; a xorshift generator for the measurement order.
struct Rng(u64);

impl Rng {
    fn new() -> Self {
        let mut seed = [0u8; 8];
        aws_lc_rs::rand::fill(&mut seed).expect("random seed");
        Rng(u64::from_le_bytes(seed) | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn bytes(&mut self, len: usize) -> Vec<u8> {
        let mut out = vec![0u8; len];
        aws_lc_rs::rand::fill(&mut out).expect("random bytes");
        out
    }

    fn nonzero_bytes(&mut self, len: usize) -> Vec<u8> {
        self.bytes(len).into_iter().map(|b| b.max(1)).collect()
    }

    fn shuffle(&mut self, items: &mut [usize]) {
        for i in (1..items.len()).rev() {
            let j = (self.next() % (i as u64 + 1)) as usize;
            items.swap(i, j);
        }
    }
}
