//! Checks that `include/d3d11cryptosession.h` and `include/opm.h` cannot drift from the Rust
//! side (`src/d3d11/`): every exported function with its parameter types, names and return
//! type, every numeric constant (`#define`s and enum members), every GUID, and every structure
//! field by field.

use std::collections::BTreeMap;

mod common;

use common::{c_params, read, rust_functions, rust_type_as_c, Signature};

use keyward::d3d11::types::{
    CRYPTOSESSION_GUID_CONSTANTS, CRYPTOSESSION_NUMERIC_CONSTANTS, OPM_GUID_CONSTANTS,
    OPM_NUMERIC_CONSTANTS,
};
use keyward_cryptosession::Guid;

const CRYPTOSESSION_HEADER: &str = "include/d3d11cryptosession.h";
const OPM_HEADER: &str = "include/opm.h";

/// Declarations `RET APIENTRY|WINAPI Name(...);` of a header.
fn c_functions(header: &str) -> BTreeMap<String, Signature> {
    let mut functions = BTreeMap::new();
    for ret in ["HRESULT", "VOID", "SIZE_T"] {
        for convention in ["APIENTRY", "WINAPI"] {
            for chunk in header.split(&format!("\n{ret} {convention} ")).skip(1) {
                let (name, rest) = chunk.split_once('(').unwrap();
                let (params, _) = rest.split_once(");").unwrap();
                let previous =
                    functions.insert(name.to_owned(), (ret.to_owned(), c_params(params)));
                assert!(previous.is_none(), "{name} declared twice");
            }
        }
    }
    functions
}

fn check_functions(header: &str, source: &str, expected_count: usize) {
    let rust = rust_functions(source);
    let c = c_functions(&read(header));
    assert_eq!(
        rust.keys().collect::<Vec<_>>(),
        c.keys().collect::<Vec<_>>(),
        "the same functions in {header} and {source}"
    );
    assert_eq!(c.len(), expected_count, "functions of {header}");
    for (name, signature) in &rust {
        assert_eq!(Some(signature), c.get(name), "signature of {name}");
    }
}

#[test]
fn every_crypto_session_function_is_declared_with_the_rust_signature() {
    check_functions(CRYPTOSESSION_HEADER, "src/d3d11/cryptosession.rs", 25);
    let c = c_functions(&read(CRYPTOSESSION_HEADER));
    // The DDI functions (docs/cryptosession-and-card.md, "Application and driver calls"), with the
    // DDI's return types.
    for (name, ret) in [
        ("GetContentProtectionCaps", "HRESULT"),
        ("GetCryptoKeyExchangeType", "HRESULT"),
        ("CalcPrivateCryptoSessionSize", "SIZE_T"),
        ("CreateCryptoSession", "HRESULT"),
        ("DestroyCryptoSession", "VOID"),
        ("CryptoSessionGetHandle", "HRESULT"),
        ("GetCertificateSize", "VOID"),
        ("GetCertificate", "VOID"),
        ("NegotiateCryptoSessionKeyExchange", "HRESULT"),
        ("EncryptionBlt", "VOID"),
        ("DecryptionBlt", "VOID"),
        ("StartSessionKeyRefresh", "VOID"),
        ("FinishSessionKeyRefresh", "VOID"),
        ("GetEncryptionBltKey", "VOID"),
    ] {
        assert_eq!(c[name].0, ret, "{name} returns {ret}");
        assert_eq!(
            c[name].1.first().map(|(ty, _)| ty.as_str()),
            Some("D3D10DDI_HDEVICE"),
            "{name} takes the device first"
        );
    }
    let extensions = c.keys().filter(|name| name.starts_with("Keyward")).count();
    assert_eq!(extensions, 11, "the Keyward extensions");
}

#[test]
fn every_opm_function_is_declared_with_the_rust_signature() {
    check_functions(OPM_HEADER, "src/d3d11/opm.rs", 10);
    let c = c_functions(&read(OPM_HEADER));
    for method in [
        "StartInitialization",
        "FinishInitialization",
        "GetInformation",
        "COPPCompatibleGetInformation",
        "Configure",
    ] {
        let (ret, params) = &c[&format!("OPMVideoOutput{method}")];
        assert_eq!(ret, "HRESULT");
        assert_eq!(
            params[0].0, "IOPMVideoOutput*",
            "{method} takes the output first"
        );
    }
}

#[test]
fn the_other_d3d11_modules_export_nothing() {
    for source in [
        "src/d3d11/mod.rs",
        "src/d3d11/objects.rs",
        "src/d3d11/types.rs",
    ] {
        assert!(rust_functions(source).is_empty(), "{source}");
        assert!(!read(source).contains("no_mangle"), "{source}");
    }
}

/// A C integer literal as `u32` (HRESULTs compare by bit pattern).
fn parse_c_number(value: &str) -> Option<u32> {
    let value = value
        .trim()
        .trim_start_matches("((HRESULT)")
        .trim_end_matches(')')
        .trim_end_matches(['L', 'l', 'u', 'U']);
    let parsed = match value.strip_prefix("0x") {
        Some(hex) => i64::from_str_radix(hex, 16).ok(),
        None => value.parse().ok(),
    };
    parsed.map(|v| v as u32)
}

/// Numeric `#define NAME value` lines and `NAME = value` enum members of a header.
fn c_numeric_constants(header: &str) -> BTreeMap<String, u32> {
    let mut constants = BTreeMap::new();
    let mut in_enum = false;
    for line in header.lines() {
        let line = line.trim();
        if line.starts_with("typedef enum") {
            in_enum = true;
            continue;
        }
        if in_enum && line.starts_with('}') {
            in_enum = false;
            continue;
        }
        let pair = if in_enum {
            line.trim_end_matches(',').split_once(" = ")
        } else {
            line.strip_prefix("#define ")
                .and_then(|rest| rest.split_once(' '))
        };
        if let Some((name, value)) = pair {
            if let Some(value) = parse_c_number(value) {
                assert!(
                    constants.insert(name.trim().to_owned(), value).is_none(),
                    "{name} defined twice"
                );
            }
        }
    }
    constants
}

fn rust_numeric(table: &[(&str, i64)]) -> BTreeMap<String, u32> {
    table
        .iter()
        .map(|(name, value)| (name.to_string(), *value as u32))
        .collect()
}

#[test]
fn numeric_constants_match() {
    assert_eq!(
        rust_numeric(CRYPTOSESSION_NUMERIC_CONSTANTS),
        c_numeric_constants(&read(CRYPTOSESSION_HEADER))
    );
    assert_eq!(
        rust_numeric(OPM_NUMERIC_CONSTANTS),
        c_numeric_constants(&read(OPM_HEADER))
    );
}

/// `static const GUID NAME = {0x..., 0x..., 0x..., {0x.., ...}};` lines of a header.
fn c_guids(header: &str) -> BTreeMap<String, Guid> {
    let mut guids = BTreeMap::new();
    for line in header.lines() {
        let Some(rest) = line.strip_prefix("static const GUID ") else {
            continue;
        };
        let (name, value) = rest.split_once(" = ").unwrap();
        let numbers: Vec<u32> = value
            .split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|part| part.starts_with("0x"))
            .map(|part| u32::from_str_radix(&part[2..], 16).unwrap())
            .collect();
        assert_eq!(numbers.len(), 11, "{name}: 11 numbers");
        let data4: Vec<u8> = numbers[3..]
            .iter()
            .map(|b| u8::try_from(*b).unwrap())
            .collect();
        let guid = Guid::new(
            numbers[0],
            u16::try_from(numbers[1]).unwrap(),
            u16::try_from(numbers[2]).unwrap(),
            data4.try_into().unwrap(),
        );
        guids.insert(name.to_owned(), guid);
    }
    guids
}

#[test]
fn guids_match() {
    for (header, table) in [
        (CRYPTOSESSION_HEADER, CRYPTOSESSION_GUID_CONSTANTS),
        (OPM_HEADER, OPM_GUID_CONSTANTS),
    ] {
        let rust: BTreeMap<String, Guid> = table
            .iter()
            .map(|(name, guid)| (name.to_string(), *guid))
            .collect();
        assert_eq!(rust, c_guids(&read(header)), "GUIDs of {header}");
    }
    // The registry form of the one supported crypto type and key exchange
    // (docs/cryptosession-and-card.md, "GUIDs, capabilities and error codes").
    let c = c_guids(&read(CRYPTOSESSION_HEADER));
    assert_eq!(
        c["D3D11_CRYPTO_TYPE_AES128_CTR"].to_string(),
        "{9B6BD711-4F74-41C9-9E7B-0BE2D7D93B4F}"
    );
    assert_eq!(
        c["D3D11_KEY_EXCHANGE_RSAES_OAEP"].to_string(),
        "{C1949895-D72A-4A1D-8E5D-ED857D171520}"
    );
}

/// The body of `name` in `text` after `opening`, up to its matching closing brace.
fn braced_body<'a>(text: &'a str, opening: &str) -> Option<&'a str> {
    let start = text.find(opening)? + opening.len();
    let mut depth = 1;
    for (offset, c) in text[start..].char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(&text[start..start + offset]);
                }
            }
            _ => {}
        }
    }
    None
}

/// The `typedef struct` names of a header (a leading underscore dropped).
fn c_struct_names(header: &str) -> Vec<String> {
    header
        .lines()
        .filter_map(|line| line.strip_prefix("typedef struct "))
        .filter_map(|rest| rest.strip_suffix(" {"))
        .map(|name| name.trim_start_matches('_').to_owned())
        .collect()
}

/// Fields `typename` of a C structure (arrays as `T name[N]`, anonymous unions flattened).
fn c_fields(header: &str, name: &str) -> Vec<String> {
    let body = braced_body(header, &format!("typedef struct _{name} {{"))
        .or_else(|| braced_body(header, &format!("typedef struct {name} {{")))
        .unwrap_or_else(|| panic!("struct {name} in the header"));
    body.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && *line != "union {" && *line != "};")
        .map(|line| line.trim_end_matches(';').replace(' ', ""))
        .collect()
}

/// Fields of a Rust structure in the same form; a field whose type is a `pub union` of the
/// file is replaced by the union's fields.
fn rust_fields(source: &str, name: &str, kind: &str) -> Vec<String> {
    let body = source
        .split(&format!("pub {kind} {name} {{"))
        .nth(1)
        .and_then(|rest| rest.split_once("\n}"))
        .unwrap_or_else(|| panic!("{kind} {name} in Rust"))
        .0;
    body.lines()
        .map(str::trim)
        .filter_map(|line| line.strip_prefix("pub "))
        .flat_map(|field| {
            let (field_name, ty) = field.trim_end_matches(',').split_once(": ").unwrap();
            if source.contains(&format!("pub union {ty} {{")) {
                return rust_fields(source, ty, "union");
            }
            let ty = rust_type_as_c(ty);
            vec![
                match ty.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
                    Some(array) => {
                        let (element, len) = array.split_once("; ").unwrap();
                        format!("{element}{field_name}[{len}]")
                    }
                    None => format!("{ty}{field_name}"),
                },
            ]
        })
        .collect()
}

#[test]
fn structures_match_field_by_field() {
    let rust = read("src/d3d11/types.rs");
    for (header, expected) in [
        (
            CRYPTOSESSION_HEADER,
            &[
                "GUID",
                "D3D10DDI_HDEVICE",
                "D3D10DDI_HRESOURCE",
                "D3D11_1DDI_HCRYPTOSESSION",
                "D3D11_1DDI_HRTCRYPTOSESSION",
                "D3D11_1DDIARG_CREATECRYPTOSESSION",
                "D3D11_1DDI_CERTIFICATE_INFO",
                "D3D11_1DDI_VIDEO_CONTENT_PROTECTION_CAPS",
                "D3D11_1DDI_ENCRYPTED_BLOCK_INFO",
                "D3D11_1DDI_AES_CTR_IV",
            ][..],
        ),
        (
            OPM_HEADER,
            &[
                "OPM_RANDOM_NUMBER",
                "OPM_OMAC",
                "OPM_ENCRYPTED_INITIALIZATION_PARAMETERS",
                "OPM_GET_INFO_PARAMETERS",
                "OPM_COPP_COMPATIBLE_GET_INFO_PARAMETERS",
                "OPM_CONFIGURE_PARAMETERS",
                "OPM_REQUESTED_INFORMATION",
                "OPM_STANDARD_INFORMATION",
                "OPM_SET_PROTECTION_LEVEL_PARAMETERS",
            ][..],
        ),
    ] {
        let text = read(header);
        assert_eq!(c_struct_names(&text), expected, "structures of {header}");
        for name in expected {
            assert_eq!(
                c_fields(&text, name),
                rust_fields(&rust, name, "struct"),
                "fields of {name}"
            );
        }
    }
}

#[test]
fn the_union_of_certificate_info_is_flattened() {
    let text = read(CRYPTOSESSION_HEADER);
    assert_eq!(
        c_fields(&text, "D3D11_1DDI_CERTIFICATE_INFO"),
        [
            "D3D11_1DDI_CERTIFICATE_TYPECertificateType",
            "D3D11_1DDI_AUTHENTICATED_CHANNEL_TYPEChannelType",
            "GUIDCryptoSessionType"
        ]
    );
}
