//! The generic SP 800-108 counter-mode KDF under the SCP03 KDF (`scp03::kdf::counter_mode_cmac`)
//! against NIST's CAVP response file `KDFCTR_gen.rsp` (CAVS 14.4), copied in
//! `testdata/nist-cavp-sp800-108/` (provenance: `testdata/SOURCES.md`).
//!
//! Every CMAC-AES section is run: PRF CMAC_AES128/192/256 × counter location BEFORE_FIXED,
//! AFTER_FIXED and MIDDLE_FIXED × counter width 8, 16, 24 and 32 bits (36 sections of 40
//! vectors, output lengths 128 to 320 bits). GlobalPlatform's layout is MIDDLE_FIXED with an
//! 8-bit counter. The TDES and HMAC sections are skipped (not AES-CMAC).

use keyward_card::scp03::kdf::counter_mode_cmac;
use keyward_core::backend::cmac::CmacKey;

#[derive(Default)]
struct Case {
    key: Vec<u8>,
    bits: usize,
    fixed: Vec<u8>,
    before: Vec<u8>,
    after: Vec<u8>,
    expected: Vec<u8>,
}

fn run(prf: &str, location: &str, counter_len: usize, case: &Case) {
    let key = CmacKey::new(&case.key).unwrap();
    let (before, after): (&[u8], &[u8]) = match location {
        "BEFORE_FIXED" => (&[], &case.fixed),
        "AFTER_FIXED" => (&case.fixed, &[]),
        "MIDDLE_FIXED" => (&case.before, &case.after),
        other => panic!("unknown counter location {other}"),
    };
    assert_eq!(case.bits % 8, 0, "output length is whole bytes");
    let mut out = vec![0u8; case.bits / 8];
    counter_mode_cmac(&key, counter_len, before, after, &mut out).unwrap();
    assert_eq!(
        hex::encode(&out),
        hex::encode(&case.expected),
        "{prf} {location} r={}",
        counter_len * 8
    );
}

#[test]
fn nist_cavp_counter_mode_cmac_aes() {
    let path = format!(
        "{}/../../testdata/nist-cavp-sp800-108/KDFCTR_gen.rsp",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap();
    let mut prf = String::new();
    let mut location = String::new();
    let mut counter_len = 0usize;
    let mut case: Option<Case> = None;
    let mut sections = std::collections::BTreeMap::<String, usize>::new();

    let mut finish = |prf: &str, location: &str, counter_len: usize, case: Option<Case>| {
        if let Some(case) = case {
            run(prf, location, counter_len, &case);
            *sections
                .entry(format!("{prf} {location} {}", counter_len * 8))
                .or_default() += 1;
        }
    };

    for line in text.lines().map(str::trim) {
        if let Some(header) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            finish(&prf, &location, counter_len, case.take());
            let (name, value) = header.split_once('=').unwrap();
            match name {
                "PRF" => prf = value.to_string(),
                "CTRLOCATION" => location = value.to_string(),
                "RLEN" => {
                    counter_len = match value {
                        "8_BITS" => 1,
                        "16_BITS" => 2,
                        "24_BITS" => 3,
                        "32_BITS" => 4,
                        other => panic!("unknown RLEN {other}"),
                    }
                }
                other => panic!("unknown section header {other}"),
            }
            continue;
        }
        if !prf.starts_with("CMAC_AES") {
            continue;
        }
        let Some((name, value)) = line.split_once(" = ").or_else(|| line.split_once('=')) else {
            continue;
        };
        let value = value.trim();
        match name.trim() {
            "COUNT" => {
                finish(&prf, &location, counter_len, case.take());
                case = Some(Case::default());
            }
            "L" => case.as_mut().unwrap().bits = value.parse().unwrap(),
            "KI" => case.as_mut().unwrap().key = hex::decode(value).unwrap(),
            "FixedInputData" => case.as_mut().unwrap().fixed = hex::decode(value).unwrap(),
            "DataBeforeCtrData" => case.as_mut().unwrap().before = hex::decode(value).unwrap(),
            "DataAfterCtrData" => case.as_mut().unwrap().after = hex::decode(value).unwrap(),
            "KO" => case.as_mut().unwrap().expected = hex::decode(value).unwrap(),
            "FixedInputDataByteLen" | "DataBeforeCtrLen" | "DataAfterCtrLen" => {}
            other => panic!("unknown field {other}"),
        }
    }
    finish(&prf, &location, counter_len, case.take());

    assert_eq!(sections.len(), 36, "{sections:?}");
    for (section, count) in &sections {
        assert_eq!(*count, 40, "{section}");
    }
}
