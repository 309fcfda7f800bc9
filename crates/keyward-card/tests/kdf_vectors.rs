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
use keyward_test_support::{hex, vectors};

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
        hex(&out),
        hex(&case.expected),
        "{prf} {location} r={}",
        counter_len * 8
    );
}

#[test]
fn nist_cavp_counter_mode_cmac_aes() {
    let mut sections = std::collections::BTreeMap::<String, usize>::new();
    vectors::run("nist-cavp-sp800-108/KDFCTR_gen.rsp", |section, case| {
        let prf = section.parameter("PRF");
        if !prf.starts_with("CMAC_AES") {
            case.skip_all();
            return;
        }
        let location = section.parameter("CTRLOCATION");
        let counter_len = match section.parameter("RLEN") {
            "8_BITS" => 1,
            "16_BITS" => 2,
            "24_BITS" => 3,
            "32_BITS" => 4,
            other => panic!("unknown RLEN {other}"),
        };
        case.skip(&[
            "COUNT",
            "FixedInputDataByteLen",
            "DataBeforeCtrLen",
            "DataAfterCtrLen",
        ]);
        let fixed = case.optional_bytes("FixedInputData").unwrap_or_default();
        let before = case.optional_bytes("DataBeforeCtrData").unwrap_or_default();
        let after = case.optional_bytes("DataAfterCtrData").unwrap_or_default();
        let case = Case {
            key: case.bytes("KI"),
            bits: case.number("L"),
            fixed,
            before,
            after,
            expected: case.bytes("KO"),
        };
        run(prf, location, counter_len, &case);
        *sections
            .entry(format!("{prf} {location} {}", counter_len * 8))
            .or_default() += 1;
    });

    assert_eq!(sections.len(), 36, "{sections:?}");
    for (section, count) in &sections {
        assert_eq!(*count, 40, "{section}");
    }
}
