//! Checks that `include/sslprovider.h` and `include/keyward_wintypes.h` cannot drift from the
//! Rust side: every exported function, function-pointer typedef, table slot, constant and
//! structure field of the header is compared with the crate's sources and tables.

use std::collections::BTreeMap;
use std::path::Path;

mod common;

use common::{c_params, read, rust_functions, rust_type_as_c, wide_string_constants, Signature};
use keyward::table::SLOT_NAMES;
use keyward::types::{NUMERIC_CONSTANTS, STRING_CONSTANTS};

fn header() -> String {
    read("include/sslprovider.h")
}

/// Every `extern "system"` function of the modules directly in `src/`: name → (return type,
/// parameters). The D3D11 and OPM functions of `src/d3d11/` are checked against their own
/// headers by `header_d3d11.rs`.
fn ssl_functions() -> BTreeMap<String, Signature> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut functions = BTreeMap::new();
    for entry in std::fs::read_dir(src).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            let name = path.file_name().unwrap().to_str().unwrap();
            functions.extend(rust_functions(&format!("src/{name}")));
        }
    }
    functions
}

/// Declarations `RET WINAPI Name(...);` of the header.
fn c_functions(header: &str) -> BTreeMap<String, Signature> {
    let mut functions = BTreeMap::new();
    for ret in ["SECURITY_STATUS", "NTSTATUS"] {
        for chunk in header.split(&format!("\n{ret} WINAPI ")).skip(1) {
            let (name, rest) = chunk.split_once('(').unwrap();
            let (params, _) = rest.split_once(");").unwrap();
            functions.insert(name.to_owned(), (ret.to_owned(), c_params(params)));
        }
    }
    functions
}

#[test]
fn every_function_is_declared_with_the_rust_signature() {
    let rust = ssl_functions();
    let c = c_functions(&header());
    assert_eq!(
        rust.keys().collect::<Vec<_>>(),
        c.keys().collect::<Vec<_>>(),
        "the same functions on both sides"
    );
    assert_eq!(
        c.keys().filter(|name| name.starts_with("Ssl")).count(),
        45,
        "all 45 Ssl* functions of docs/ssl-provider.md, The function table"
    );
    for (name, signature) in &rust {
        assert_eq!(Some(signature), c.get(name), "signature of {name}");
    }
}

#[test]
fn function_typedefs_and_table_slots_match() {
    let header = header();
    let functions = c_functions(&header);
    let mut typedefs = 0;
    for chunk in header.split("typedef SECURITY_STATUS (WINAPI *").skip(1) {
        let (name, rest) = chunk.split_once("Fn)(").unwrap();
        let (params, _) = rest.split_once(");").unwrap();
        assert_eq!(functions[name].1, c_params(params), "typedef {name}Fn");
        typedefs += 1;
    }
    assert_eq!(typedefs, SLOT_NAMES.len());
    let table = header
        .split("typedef struct _NCRYPT_SSL_FUNCTION_TABLE {")
        .nth(1)
        .and_then(|rest| rest.split_once('}'))
        .unwrap()
        .0;
    let fields: Vec<String> = table
        .lines()
        .map(str::trim)
        .filter(|line| line.ends_with("Fn") || line.contains("Fn "))
        .map(|line| line.trim_end_matches(';').to_owned())
        .collect();
    let expected: Vec<String> = SLOT_NAMES
        .iter()
        .map(|slot| format!("Ssl{slot}Fn {slot}"))
        .collect();
    assert_eq!(fields, expected, "slot order in docs/ssl-provider.md");
}

#[test]
fn numeric_constants_match() {
    let mut c = BTreeMap::new();
    for line in header().lines() {
        let Some(rest) = line.strip_prefix("#define ") else {
            continue;
        };
        let Some((name, value)) = rest.split_once(' ') else {
            continue;
        };
        let value = value
            .trim()
            .trim_start_matches("((SECURITY_STATUS)")
            .trim_end_matches("L)");
        let parsed = match value.strip_prefix("0x") {
            Some(hex) => i64::from_str_radix(hex, 16).ok(),
            None => value.parse().ok(),
        };
        if let Some(parsed) = parsed {
            c.insert(name.to_owned(), parsed);
        }
    }
    let rust: BTreeMap<String, i64> = NUMERIC_CONSTANTS
        .iter()
        .map(|(name, value)| (name.to_string(), *value))
        .collect();
    assert_eq!(rust, c);
}

#[test]
fn string_constants_match() {
    let c = wide_string_constants(&header());
    let rust: BTreeMap<String, String> = STRING_CONSTANTS
        .iter()
        .map(|(name, value)| (name.to_string(), value.to_string()))
        .collect();
    assert_eq!(rust, c);
}

/// Fields `(type, name)` of `struct $name` in C (arrays as `T[N]`) and in Rust
/// (`[T; N]` written the same way).
fn struct_fields(name: &str) -> (Vec<String>, Vec<String>) {
    let c_text = header() + &read("include/keyward_wintypes.h");
    let body = c_text
        .split(&format!("typedef struct _{name} {{"))
        .nth(1)
        .or_else(|| c_text.split(&format!("typedef struct {name} {{")).nth(1))
        .and_then(|rest| rest.split_once('}'))
        .unwrap_or_else(|| panic!("struct {name} in the headers"))
        .0;
    let c = body
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(|line| line.trim_end_matches(';').replace(' ', ""))
        .collect();
    let rust_text = read("src/types.rs") + &read("src/table.rs");
    let body = rust_text
        .split(&format!("pub struct {name} {{"))
        .nth(1)
        .and_then(|rest| rest.split_once("\n}"))
        .unwrap_or_else(|| panic!("struct {name} in Rust"))
        .0;
    let rust = body
        .lines()
        .map(str::trim)
        .filter_map(|line| line.strip_prefix("pub "))
        .map(|field| {
            let (name, ty) = field.trim_end_matches(',').split_once(": ").unwrap();
            let ty = rust_type_as_c(ty);
            match ty.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
                Some(array) => {
                    let (element, len) = array.split_once("; ").unwrap();
                    format!("{element}{name}[{len}]")
                }
                None => format!("{ty}{name}"),
            }
        })
        .collect();
    (c, rust)
}

#[test]
fn structures_match_field_by_field() {
    for name in [
        "NCRYPT_SSL_CIPHER_SUITE",
        "NCRYPT_SSL_CIPHER_SUITE_EX",
        "NCRYPT_SSL_CIPHER_LENGTHS",
        "NCRYPT_SSL_ECC_CURVE",
        "SSL_ECCKEY_BLOB",
        "NCryptBuffer",
        "NCryptBufferDesc",
        "CERT_CONTEXT",
        "NCryptProviderName",
        "BCRYPT_INTERFACE_VERSION",
    ] {
        let (c, rust) = struct_fields(name);
        assert_eq!(c, rust, "fields of {name}");
    }
}
