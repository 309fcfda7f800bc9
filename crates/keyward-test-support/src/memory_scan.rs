//! Searching a live process's memory for secrets: the proof that keys stay out of a process
//! that uses the keyiso daemon (issue 18, item 7).
//!
//! A test takes the values it must not find (private key parts pulled from a PKCS#8 file with
//! [`rsa_secrets`] and [`ec_scalar`], secrets from an NSS key-log file with [`key_log`] or
//! computed by the test itself), makes a [`Needle`] of each, and [`scan_memory`] reads every
//! readable mapping of the process (`/proc/PID/maps`, through `/proc/PID/mem`; Linux only, and
//! the process must be the test's own child or the test's user's, as ptrace access requires).
//!
//! Each value is searched as [`WINDOW`]-byte windows (its start, middle and end) in big-endian
//! order and byte-reversed, since BIGNUM-style little-endian limbs hold a number reversed.

use std::collections::BTreeMap;
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::Path;

use crate::unhex;

/// The length of the windows searched for.
pub const WINDOW: usize = 16;

/// One DER element at the start of `input`: its tag, its contents and what follows it.
/// Handles the definite lengths a key of a few kilobytes needs (short form, and long form of
/// up to four bytes).
fn der_element(input: &[u8]) -> (u8, &[u8], &[u8]) {
    let tag = input[0];
    let first = input[1];
    let (length, header) = if first < 0x80 {
        (usize::from(first), 2)
    } else {
        let count = usize::from(first & 0x7f);
        assert!((1..=4).contains(&count), "unsupported DER length");
        let length = input[2..2 + count]
            .iter()
            .fold(0usize, |length, byte| (length << 8) | usize::from(*byte));
        (length, 2 + count)
    };
    (
        tag,
        &input[header..header + length],
        &input[header + length..],
    )
}

/// The elements of the DER SEQUENCE `contents`, in order.
fn der_elements(mut contents: &[u8]) -> Vec<(u8, &[u8])> {
    let mut elements = Vec::new();
    while !contents.is_empty() {
        let (tag, value, rest) = der_element(contents);
        elements.push((tag, value));
        contents = rest;
    }
    elements
}

/// The private key (the OCTET STRING's contents) of the PKCS#8 `PrivateKeyInfo` `pkcs8`.
fn pkcs8_private_key(pkcs8: &[u8]) -> Vec<u8> {
    let (tag, info, _) = der_element(pkcs8);
    assert_eq!(tag, 0x30, "PrivateKeyInfo is a SEQUENCE");
    let fields = der_elements(info);
    // version, algorithm, privateKey, ...
    assert_eq!(fields[2].0, 0x04, "privateKey is an OCTET STRING");
    fields[2].1.to_vec()
}

/// An unsigned DER INTEGER's contents without the leading zero that keeps it positive.
fn unsigned(integer: &[u8]) -> Vec<u8> {
    let start = integer.iter().position(|byte| *byte != 0).unwrap_or(0);
    integer[start..].to_vec()
}

/// The secret values of the PKCS#1 `RSAPrivateKey` inside the PKCS#8 `pkcs8` (a key store's
/// `keys/NAME.p8`): (p, q, d), big-endian.
pub fn rsa_secrets(pkcs8: &[u8]) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    let key = pkcs8_private_key(pkcs8);
    let (tag, contents, _) = der_element(&key);
    assert_eq!(tag, 0x30, "RSAPrivateKey is a SEQUENCE");
    // version, n, e, d, p, q, dp, dq, qinv
    let fields = der_elements(contents);
    assert_eq!(fields.len(), 9, "a two-prime RSAPrivateKey");
    assert!(fields.iter().all(|(tag, _)| *tag == 0x02));
    (
        unsigned(fields[4].1),
        unsigned(fields[5].1),
        unsigned(fields[3].1),
    )
}

/// The private scalar of the SEC 1 `ECPrivateKey` inside the PKCS#8 `pkcs8`, big-endian.
pub fn ec_scalar(pkcs8: &[u8]) -> Vec<u8> {
    let key = pkcs8_private_key(pkcs8);
    let (tag, contents, _) = der_element(&key);
    assert_eq!(tag, 0x30, "ECPrivateKey is a SEQUENCE");
    // version, privateKey OCTET STRING, [0] parameters, [1] public key
    let fields = der_elements(contents);
    assert_eq!(fields[1].0, 0x04, "privateKey is an OCTET STRING");
    fields[1].1.to_vec()
}

/// The secrets of the NSS key-log file `path` (as curl and OpenSSL write it for
/// `SSLKEYLOGFILE`), each named `LABEL CLIENT_RANDOM` (the random's first 8 bytes).
pub fn key_log(path: &Path) -> Vec<(String, Vec<u8>)> {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    text.lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            assert_eq!(fields.len(), 3, "key-log line {line:?}");
            let secret = unhex(fields[2]);
            assert!(secret.len() >= 32, "key-log line {line:?}");
            (format!("{} {}", fields[0], &fields[1][..16]), secret)
        })
        .collect()
}

/// A value searched for: [`WINDOW`]-byte windows of it, each big-endian and reversed.
pub struct Needle {
    /// What the value is, e.g. `rsa p`.
    pub name: String,
    windows: Vec<[u8; WINDOW]>,
}

impl Needle {
    /// The windows at the start, middle and end of `value` (at least [`WINDOW`] bytes), in
    /// both byte orders.
    pub fn new(name: &str, value: &[u8]) -> Needle {
        assert!(value.len() >= WINDOW, "{name} is too short to search for");
        let mut windows = Vec::new();
        for at in [0, (value.len() - WINDOW) / 2, value.len() - WINDOW] {
            let mut window = [0u8; WINDOW];
            window.copy_from_slice(&value[at..at + WINDOW]);
            let mut reversed = window;
            reversed.reverse();
            windows.push(window);
            windows.push(reversed);
        }
        Needle {
            name: name.to_owned(),
            windows,
        }
    }
}

/// What a memory scan read and found.
pub struct Scan {
    /// Bytes read from readable mappings.
    pub bytes: u64,
    /// Mappings that could not be read (e.g. `[vvar]`).
    pub skipped: usize,
    /// For each needle found (by name), where: (mapping's path, address).
    pub found: BTreeMap<String, Vec<(String, u64)>>,
}

impl Scan {
    /// How many times a window of the needle named `name` was found.
    pub fn hits(&self, name: &str) -> usize {
        self.found.get(name).map_or(0, Vec::len)
    }

    /// Where the needles found are, one line each: `NAME at MAPPING@ADDRESS, ...`.
    pub fn places(&self) -> Vec<String> {
        self.found
            .iter()
            .map(|(name, places)| {
                let places: Vec<String> = places
                    .iter()
                    .map(|(path, address)| format!("{path}@{address:#x}"))
                    .collect();
                format!("{name} at {}", places.join(", "))
            })
            .collect()
    }
}

/// Reads every readable mapping of process `pid` through `/proc/PID/mem` and records where
/// any window of `needles` occurs. Reads in chunks of 4 MiB that overlap by `WINDOW - 1`
/// bytes, so a window across a chunk boundary is seen.
pub fn scan_memory(pid: u32, needles: &[Needle]) -> Scan {
    // Candidate positions are picked by the first two bytes of a window.
    let mut first_two = vec![false; 1 << 16];
    for needle in needles {
        for window in &needle.windows {
            first_two[usize::from(u16::from_be_bytes([window[0], window[1]]))] = true;
        }
    }
    let maps = std::fs::read_to_string(format!("/proc/{pid}/maps"))
        .unwrap_or_else(|e| panic!("cannot read /proc/{pid}/maps: {e}"));
    let mem = File::open(format!("/proc/{pid}/mem"))
        .unwrap_or_else(|e| panic!("cannot open /proc/{pid}/mem: {e}"));
    let mut scan = Scan {
        bytes: 0,
        skipped: 0,
        found: BTreeMap::new(),
    };
    const CHUNK: u64 = 4 << 20;
    let mut buffer = vec![0u8; CHUNK as usize + WINDOW];
    for line in maps.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let (start, end) = fields[0]
            .split_once('-')
            .unwrap_or_else(|| panic!("maps line {line:?}"));
        let parse = |address| {
            u64::from_str_radix(address, 16).unwrap_or_else(|_| panic!("maps line {line:?}"))
        };
        let (start, end) = (parse(start), parse(end));
        let readable = fields[1].starts_with('r');
        let path = fields.get(5).copied().unwrap_or("[anonymous]").to_owned();
        if !readable {
            continue;
        }
        let mut at = start;
        while at < end {
            let length = (end - at).min(CHUNK + WINDOW as u64 - 1) as usize;
            let data = &mut buffer[..length];
            if mem.read_exact_at(data, at).is_err() {
                scan.skipped += 1;
                break;
            }
            for offset in 0..length.saturating_sub(WINDOW - 1) {
                if !first_two[usize::from(u16::from_be_bytes([data[offset], data[offset + 1]]))] {
                    continue;
                }
                let candidate = &data[offset..offset + WINDOW];
                for needle in needles {
                    if needle.windows.iter().any(|window| window == candidate) {
                        scan.found
                            .entry(needle.name.clone())
                            .or_default()
                            .push((path.clone(), at + offset as u64));
                    }
                }
            }
            let advance = (length as u64).min(CHUNK);
            scan.bytes += advance;
            at += advance;
        }
    }
    scan
}
