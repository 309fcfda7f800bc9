//! Checks that `include/cardmod.h` cannot drift from the Rust side (`src/card/`): every
//! exported function with its parameter types, names and return type, every `PFN_*` typedef
//! (and that each `CARD_DATA` slot of an implemented function has that function's signature),
//! every structure field by field, every numeric and UTF-16 constant, and the x86_64 sizes and
//! offsets the header asserts.

use std::collections::BTreeMap;

mod common;

use common::{c_params, read, rust_functions, rust_type_as_c, wide_string_constants, Signature};

use keyward::card::types::*;

const HEADER: &str = "include/cardmod.h";
const TYPES: &str = "src/card/types.rs";
const EXPORTING: [&str; 2] = ["src/card/minidriver.rs", "src/card/extensions.rs"];

fn header() -> String {
    read(HEADER)
}

/// Declarations `DWORD WINAPI Name(...);` of the header.
fn c_functions(header: &str) -> BTreeMap<String, Signature> {
    let mut functions = BTreeMap::new();
    for chunk in header.split("\nDWORD WINAPI ").skip(1) {
        let (name, rest) = chunk.split_once('(').unwrap();
        let (params, _) = rest.split_once(");").unwrap();
        let previous = functions.insert(name.to_owned(), ("DWORD".to_owned(), c_params(params)));
        assert!(previous.is_none(), "{name} declared twice");
    }
    functions
}

fn exported() -> BTreeMap<String, Signature> {
    let mut functions = BTreeMap::new();
    for source in EXPORTING {
        functions.extend(rust_functions(source));
    }
    functions
}

#[test]
fn every_function_is_declared_with_the_rust_signature() {
    let rust = exported();
    let c = c_functions(&header());
    assert_eq!(
        rust.keys().collect::<Vec<_>>(),
        c.keys().collect::<Vec<_>>(),
        "the same functions in {HEADER} and {EXPORTING:?}"
    );
    for (name, signature) in &rust {
        assert_eq!(Some(signature), c.get(name), "signature of {name}");
    }
    let keyward = c.keys().filter(|name| name.starts_with("Keyward")).count();
    assert_eq!(keyward, 8, "the Keyward extensions");
    assert_eq!(c.len() - keyward, 15, "the cardmod.h functions");
    for name in [
        "CardAcquireContext",
        "CardDeleteContext",
        "CardGetSharedKeyHandle",
        "CardGetProperty",
        "CardGetAlgorithmProperty",
        "CardGetKeyProperty",
        "CardSetKeyProperty",
        "MDImportSessionKey",
        "MDEncryptData",
        "CardProcessEncryptedData",
        "CardImportSessionKey",
        "CardDestroyKey",
        "CardAuthenticateEx",
        "CardDeauthenticateEx",
        "CardGetContainerInfo",
    ] {
        assert_eq!(
            c[name].1[0].0, "PCARD_DATA",
            "{name} takes the CARD_DATA first"
        );
    }
}

#[test]
fn the_other_card_modules_export_nothing() {
    for source in [
        "src/card/mod.rs",
        "src/card/types.rs",
        "src/card/objects.rs",
        "src/card/card_data.rs",
    ] {
        assert!(rust_functions(source).is_empty(), "{source}");
        assert!(!read(source).contains("no_mangle"), "{source}");
    }
    // The unsupported slots are private: reachable only through CARD_DATA.
    let minidriver = read("src/card/minidriver.rs");
    assert_eq!(
        minidriver.matches("#[no_mangle]").count(),
        rust_functions("src/card/minidriver.rs").len()
    );
}

/// `typedef RET (WINAPI *NAME)(PARAMS);` of the header: name → (return type, parameters).
fn c_typedefs(header: &str) -> BTreeMap<String, Signature> {
    let mut typedefs = BTreeMap::new();
    for chunk in header.split("typedef ").skip(1) {
        let statement = chunk.split_once(';').unwrap().0;
        let Some((ret, rest)) = statement.split_once(" (WINAPI *") else {
            continue;
        };
        let (name, params) = rest.split_once(")(").unwrap();
        let params = params.strip_suffix(')').unwrap();
        typedefs.insert(name.to_owned(), (ret.trim().to_owned(), c_params(params)));
    }
    typedefs
}

/// `pub type NAME = Option<unsafe extern "system" fn(PARAMS) -> RET>;` of the Rust types.
fn rust_typedefs(source: &str) -> BTreeMap<String, Signature> {
    let mut typedefs = BTreeMap::new();
    for chunk in source.split("pub type ").skip(1) {
        let statement = chunk.split_once(';').unwrap().0;
        let (name, value) = statement.split_once(" =").unwrap();
        let value = value.split_whitespace().collect::<Vec<_>>().join(" ");
        let Some(function) = value
            .strip_prefix("Option< unsafe extern \"system\" fn(")
            .or_else(|| value.strip_prefix("Option<unsafe extern \"system\" fn("))
        else {
            continue;
        };
        let (params, rest) = function.split_once(')').unwrap();
        let ret = match rest.trim().strip_prefix("->") {
            Some(ret) => ret.split([',', '>']).next().unwrap().trim().to_owned(),
            None => "void".to_owned(),
        };
        let params = params
            .split(',')
            .filter(|param| !param.trim().is_empty())
            .map(|param| {
                let (name, ty) = param.split_once(':').unwrap();
                (rust_type_as_c(ty), name.trim().to_owned())
            })
            .collect();
        typedefs.insert(name.trim().to_owned(), (ret, params));
    }
    typedefs
}

#[test]
fn function_typedefs_match() {
    let c = c_typedefs(&header());
    let rust = rust_typedefs(&read(TYPES));
    assert_eq!(
        c.keys().collect::<Vec<_>>(),
        rust.keys().collect::<Vec<_>>(),
        "the same PFN_* typedefs"
    );
    for (name, signature) in &rust {
        assert_eq!(Some(signature), c.get(name), "typedef {name}");
    }
    assert_eq!(c["PFN_CSP_FREE"].0, "void");
    assert_eq!(c["PFN_CSP_ALLOC"].0, "LPVOID");
}

#[test]
fn each_slot_of_an_exported_function_has_its_signature() {
    let typedefs = c_typedefs(&header());
    let functions = c_functions(&header());
    let fields = c_fields(&header(), "CARD_DATA");
    let mut checked = 0;
    for field in &fields {
        let Some((ty, slot)) = field.split_once("pfn") else {
            continue;
        };
        let typedef = &typedefs[ty];
        if let Some(function) = functions.get(slot) {
            assert_eq!(typedef, function, "slot pfn{slot}");
            checked += 1;
        }
    }
    assert_eq!(
        checked, 14,
        "every implemented function but CardAcquireContext has a slot"
    );
    assert_eq!(
        typedefs["PFN_CARD_ACQUIRE_CONTEXT"],
        functions["CardAcquireContext"]
    );
}

/// The body of `opening` in `text`, up to its closing brace.
fn braced_body<'a>(text: &'a str, opening: &str) -> Option<&'a str> {
    let start = text.find(opening)? + opening.len();
    let end = text[start..].find('}')?;
    Some(&text[start..start + end])
}

/// The structure names of the header (`typedef struct _NAME {` or `struct _NAME {`).
fn c_struct_names(header: &str) -> Vec<String> {
    header
        .lines()
        .filter_map(|line| {
            line.strip_prefix("typedef struct _")
                .or_else(|| line.strip_prefix("struct _"))
        })
        .filter_map(|rest| rest.strip_suffix(" {"))
        .map(str::to_owned)
        .collect()
}

/// Fields `typename` of a C structure (`T name[N]`, `T name[]`).
fn c_fields(header: &str, name: &str) -> Vec<String> {
    let body = braced_body(header, &format!("typedef struct _{name} {{"))
        .or_else(|| braced_body(header, &format!("\nstruct _{name} {{")))
        .unwrap_or_else(|| panic!("struct {name} in the header"));
    body.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(|line| line.trim_end_matches(';').replace(' ', ""))
        .collect()
}

/// The structure names of the Rust types.
fn rust_struct_names(source: &str) -> Vec<String> {
    source
        .lines()
        .filter_map(|line| line.strip_prefix("pub struct "))
        .filter_map(|rest| rest.strip_suffix(" {"))
        .map(str::to_owned)
        .collect()
}

/// Fields of a Rust structure written as C: `[T; 0]` is a flexible array `T name[]`.
fn rust_fields(source: &str, name: &str) -> Vec<String> {
    let body = source
        .split(&format!("pub struct {name} {{"))
        .nth(1)
        .and_then(|rest| rest.split_once("\n}"))
        .unwrap_or_else(|| panic!("struct {name} in Rust"))
        .0;
    body.lines()
        .map(str::trim)
        .filter_map(|line| line.strip_prefix("pub "))
        .map(|field| {
            let (field_name, ty) = field.trim_end_matches(',').split_once(": ").unwrap();
            let ty = rust_type_as_c(ty);
            match ty.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
                Some(array) => {
                    let (element, len) = array.split_once("; ").unwrap();
                    let len = if len == "0" { "" } else { len };
                    format!("{element}{field_name}[{len}]")
                }
                None => format!("{ty}{field_name}"),
            }
        })
        .collect()
}

#[test]
fn structures_match_field_by_field() {
    let header = header();
    let rust = read(TYPES);
    let mut c_names = c_struct_names(&header);
    let mut rust_names = rust_struct_names(&rust);
    c_names.sort();
    rust_names.sort();
    assert_eq!(c_names, rust_names, "the same structures");
    assert_eq!(c_names.len(), 24, "{c_names:?}");
    for name in &c_names {
        assert_eq!(
            c_fields(&header, name),
            rust_fields(&rust, name),
            "fields of {name}"
        );
    }
}

#[test]
fn card_data_has_every_slot_of_cardmod_v7_in_order() {
    // The C fields equal the Rust ones (structures_match_field_by_field); these are their names.
    let rust = read(TYPES);
    let body = rust
        .split("pub struct CARD_DATA {")
        .nth(1)
        .and_then(|rest| rest.split_once("\n}"))
        .unwrap()
        .0;
    let names: Vec<&str> = body
        .lines()
        .filter_map(|line| line.trim().strip_prefix("pub "))
        .map(|field| field.split_once(':').unwrap().0)
        .collect();
    let expected = [
        "dwVersion",
        "pbAtr",
        "cbAtr",
        "pwszCardName",
        "pfnCspAlloc",
        "pfnCspReAlloc",
        "pfnCspFree",
        "pfnCspCacheAddFile",
        "pfnCspCacheLookupFile",
        "pfnCspCacheDeleteFile",
        "pvCacheContext",
        "pfnCspPadData",
        "hSCardCtx",
        "hScard",
        "pvVendorSpecific",
        "pfnCardDeleteContext",
        "pfnCardQueryCapabilities",
        "pfnCardDeleteContainer",
        "pfnCardCreateContainer",
        "pfnCardGetContainerInfo",
        "pfnCardAuthenticatePin",
        "pfnCardGetChallenge",
        "pfnCardAuthenticateChallenge",
        "pfnCardUnblockPin",
        "pfnCardChangeAuthenticator",
        "pfnCardDeauthenticate",
        "pfnCardCreateDirectory",
        "pfnCardDeleteDirectory",
        "pvUnused3",
        "pvUnused4",
        "pfnCardCreateFile",
        "pfnCardReadFile",
        "pfnCardWriteFile",
        "pfnCardDeleteFile",
        "pfnCardEnumFiles",
        "pfnCardGetFileInfo",
        "pfnCardQueryFreeSpace",
        "pfnCardQueryKeySizes",
        "pfnCardSignData",
        "pfnCardRSADecrypt",
        "pfnCardConstructDHAgreement",
        "pfnCardDeriveKey",
        "pfnCardDestroyDHAgreement",
        "pfnCspGetDHAgreement",
        "pfnCardGetChallengeEx",
        "pfnCardAuthenticateEx",
        "pfnCardChangeAuthenticatorEx",
        "pfnCardDeauthenticateEx",
        "pfnCardGetContainerProperty",
        "pfnCardSetContainerProperty",
        "pfnCardGetProperty",
        "pfnCardSetProperty",
        "pfnCspUnpadData",
        "pfnMDImportSessionKey",
        "pfnMDEncryptData",
        "pfnCardImportSessionKey",
        "pfnCardGetSharedKeyHandle",
        "pfnCardGetAlgorithmProperty",
        "pfnCardGetKeyProperty",
        "pfnCardSetKeyProperty",
        "pfnCardDestroyKey",
        "pfnCardProcessEncryptedData",
        "pfnCardCreateContainerEx",
    ];
    assert_eq!(names, expected, "CARD_DATA order");
}

/// A C integer literal as `u32`.
fn parse_c_number(value: &str) -> Option<u32> {
    let value = value.trim().trim_end_matches(['L', 'l', 'u', 'U']);
    let parsed = match value.strip_prefix("0x") {
        Some(hex) => i64::from_str_radix(hex, 16).ok(),
        None => value.parse().ok(),
    };
    parsed.map(|v| v as u32)
}

/// Numeric `#define NAME value` lines and `NAME = value` enum members of the header.
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
            if name.contains('(') {
                continue;
            }
            if let Some(value) = parse_c_number(value) {
                let previous = constants.insert(name.trim().to_owned(), value);
                assert!(previous.is_none(), "{name} defined twice");
            }
        }
    }
    constants
}

#[test]
fn numeric_constants_match() {
    let rust: BTreeMap<String, u32> = CARD_NUMERIC_CONSTANTS
        .iter()
        .map(|(name, value)| (name.to_string(), *value as u32))
        .collect();
    assert_eq!(rust, c_numeric_constants(&header()));
    // The Windows values (docs/cryptosession-and-card.md, "SCARD status values"), not pcsc-lite's.
    assert_eq!(SCARD_E_UNSUPPORTED_FEATURE, 0x8010_0022);
    assert_eq!(SCARD_E_NO_KEY_CONTAINER, 0x8010_0030);
    assert_eq!(ERROR_REVISION_MISMATCH, 1306);
}

#[test]
fn string_constants_match() {
    let c = wide_string_constants(&header());
    let rust: BTreeMap<String, String> = CARD_STRING_CONSTANTS
        .iter()
        .map(|(name, value)| (name.to_string(), value.to_string()))
        .collect();
    assert_eq!(rust, c);
}

/// The size of a structure of the header, on the Rust side.
fn rust_size(name: &str) -> usize {
    use core::mem::size_of;
    match name {
        "CARD_DATA" => size_of::<CARD_DATA>(),
        "CARD_ENCRYPTED_DATA" => size_of::<CARD_ENCRYPTED_DATA>(),
        "CONTAINER_INFO" => size_of::<CONTAINER_INFO>(),
        "CARD_IMPORT_KEYPAIR" => size_of::<CARD_IMPORT_KEYPAIR>(),
        "CARD_CHANGE_AUTHENTICATOR" => size_of::<CARD_CHANGE_AUTHENTICATOR>(),
        "CARD_CHANGE_AUTHENTICATOR_RESPONSE" => size_of::<CARD_CHANGE_AUTHENTICATOR_RESPONSE>(),
        "CARD_AUTHENTICATE" => size_of::<CARD_AUTHENTICATE>(),
        "CARD_AUTHENTICATE_RESPONSE" => size_of::<CARD_AUTHENTICATE_RESPONSE>(),
        "CARD_SIGNING_INFO" => size_of::<CARD_SIGNING_INFO>(),
        "CARD_RSA_DECRYPT_INFO" => size_of::<CARD_RSA_DECRYPT_INFO>(),
        "CARD_DH_AGREEMENT_INFO" => size_of::<CARD_DH_AGREEMENT_INFO>(),
        "CARD_DERIVE_KEY" => size_of::<CARD_DERIVE_KEY>(),
        "BCRYPT_OAEP_PADDING_INFO" => size_of::<BCRYPT_OAEP_PADDING_INFO>(),
        "BCRYPT_KEY_LENGTHS_STRUCT" => size_of::<BCRYPT_KEY_LENGTHS_STRUCT>(),
        "BCRYPT_KEY_DATA_BLOB_HEADER" => size_of::<BCRYPT_KEY_DATA_BLOB_HEADER>(),
        "BCRYPT_ECCKEY_BLOB" => size_of::<BCRYPT_ECCKEY_BLOB>(),
        "BLOBHEADER" => size_of::<BLOBHEADER>(),
        "RSAPUBKEY" => size_of::<RSAPUBKEY>(),
        "KEYWARD_CARD_KEYSET" => size_of::<KEYWARD_CARD_KEYSET>(),
        "KEYWARD_CARD_VENDOR_INFO" => size_of::<KEYWARD_CARD_VENDOR_INFO>(),
        other => panic!("add {other} to rust_size"),
    }
}

/// The offset of a field the header asserts, on the Rust side.
fn rust_offset(structure: &str, field: &str) -> usize {
    use core::mem::offset_of;
    match (structure, field) {
        ("CARD_DATA", "hScard") => offset_of!(CARD_DATA, hScard),
        ("CARD_DATA", "pvVendorSpecific") => offset_of!(CARD_DATA, pvVendorSpecific),
        ("CARD_DATA", "pfnCardDeleteContext") => offset_of!(CARD_DATA, pfnCardDeleteContext),
        ("CARD_DATA", "pfnCardDeriveKey") => offset_of!(CARD_DATA, pfnCardDeriveKey),
        ("CARD_DATA", "pfnCardGetChallengeEx") => offset_of!(CARD_DATA, pfnCardGetChallengeEx),
        ("CARD_DATA", "pfnCardSetProperty") => offset_of!(CARD_DATA, pfnCardSetProperty),
        ("CARD_DATA", "pfnCspUnpadData") => offset_of!(CARD_DATA, pfnCspUnpadData),
        ("CARD_DATA", "pfnMDImportSessionKey") => offset_of!(CARD_DATA, pfnMDImportSessionKey),
        ("CARD_DATA", "pfnCardGetSharedKeyHandle") => {
            offset_of!(CARD_DATA, pfnCardGetSharedKeyHandle)
        }
        ("CARD_DATA", "pfnCardGetKeyProperty") => offset_of!(CARD_DATA, pfnCardGetKeyProperty),
        ("CARD_DATA", "pfnCardProcessEncryptedData") => {
            offset_of!(CARD_DATA, pfnCardProcessEncryptedData)
        }
        ("CARD_DATA", "pfnCardCreateContainerEx") => {
            offset_of!(CARD_DATA, pfnCardCreateContainerEx)
        }
        ("CONTAINER_INFO", "pbKeyExPublicKey") => offset_of!(CONTAINER_INFO, pbKeyExPublicKey),
        ("KEYWARD_CARD_VENDOR_INFO", "pbAid") => offset_of!(KEYWARD_CARD_VENDOR_INFO, pbAid),
        other => panic!("add {other:?} to rust_offset"),
    }
}

/// Layout assertions: `sizeof(T)` or `offsetof(T, f)`, and the asserted value.
type Asserts = Vec<(String, usize)>;

/// `KEYWARD_STATIC_ASSERT(name, sizeof(T) == N)` and `... offsetof(T, f) == N)` of the header,
/// split into those of every platform and those of x86_64 only.
fn c_layout_asserts(header: &str) -> (Asserts, Asserts) {
    let (mut everywhere, mut x86_64) = (Vec::new(), Vec::new());
    let mut in_x86_64 = false;
    for line in header.lines() {
        if line.starts_with("#if defined(__x86_64__)") {
            in_x86_64 = true;
        } else if line.starts_with("#endif") {
            in_x86_64 = false;
        }
        let Some(rest) = line.strip_prefix("KEYWARD_STATIC_ASSERT(") else {
            continue;
        };
        let (_, condition) = rest.split_once(", ").unwrap();
        let (item, value) = condition.trim_end_matches(");").split_once(" == ").unwrap();
        let entry = (item.to_owned(), value.parse().unwrap());
        if in_x86_64 {
            x86_64.push(entry);
        } else {
            everywhere.push(entry);
        }
    }
    (everywhere, x86_64)
}

fn rust_layout(item: &str) -> usize {
    if let Some(name) = item
        .strip_prefix("sizeof(")
        .and_then(|s| s.strip_suffix(')'))
    {
        return rust_size(name);
    }
    let inner = item
        .strip_prefix("offsetof(")
        .and_then(|s| s.strip_suffix(')'))
        .unwrap_or_else(|| panic!("{item}"));
    let (structure, field) = inner.split_once(", ").unwrap();
    rust_offset(structure, field)
}

#[test]
fn the_header_asserts_the_rust_layout() {
    let (everywhere, x86_64) = c_layout_asserts(&header());
    assert!(everywhere.len() >= 10);
    for (item, value) in &everywhere {
        assert_eq!(rust_layout(item), *value, "{item}");
    }
    assert!(x86_64.len() >= 20);
    #[cfg(target_arch = "x86_64")]
    for (item, value) in &x86_64 {
        assert_eq!(rust_layout(item), *value, "{item} on x86_64");
    }
    // The offsets in docs/cryptosession-and-card.md, "CARD_DATA and context acquisition", are among
    // them.
    for (field, offset) in [
        ("pfnMDImportSessionKey", 424),
        ("pfnCardGetSharedKeyHandle", 448),
        ("pfnCardGetKeyProperty", 464),
    ] {
        assert!(
            x86_64.contains(&(format!("offsetof(CARD_DATA, {field})"), offset)),
            "{field} at {offset}"
        );
    }
}

#[cfg(target_arch = "x86_64")]
#[test]
fn the_documented_version_sizes_are_those_of_the_structure() {
    let sizes: Vec<usize> = (4..=7).map(card_data_size).collect();
    let text = format!(
        "x86_64: {} bytes for 4, {} for 5, {} for 6, {} for 7",
        sizes[0], sizes[1], sizes[2], sizes[3]
    );
    let header = header().replace("\n * ", " ");
    assert!(header.contains(&text), "the header says: {text}");
}
