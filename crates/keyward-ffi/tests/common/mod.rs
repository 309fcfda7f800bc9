//! Parsing shared by the header checks: C declarations of the headers and the
//! `extern "system"` functions of the Rust sources, both as `(type, name)` lists.

use std::collections::BTreeMap;
use std::path::Path;

/// The contents of a file of this crate.
pub fn read(relative: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

pub type Signature = (String, Vec<(String, String)>);

/// `(type, name)` pairs of a C parameter list; `T name[N]` is `T *name`.
pub fn c_params(list: &str) -> Vec<(String, String)> {
    list.split(',')
        .map(|param| {
            let param = param.split_whitespace().collect::<Vec<_>>().join(" ");
            let (param, array) = match param.split_once('[') {
                Some((before, _)) => (before.trim().to_owned(), true),
                None => (param, false),
            };
            let split = param
                .rfind(|c: char| !(c.is_alphanumeric() || c == '_'))
                .expect("a parameter has a type");
            let (ty, name) = param.split_at(split + 1);
            let mut ty = ty.replace(' ', "");
            if array {
                ty.push('*');
            }
            (ty, name.to_owned())
        })
        .collect()
}

/// A Rust type written as C: `*mut T` → `T*`, `*const T` → `constT*`.
pub fn rust_type_as_c(ty: &str) -> String {
    let ty = ty.trim();
    if let Some(rest) = ty.strip_prefix("*mut ") {
        format!("{}*", rust_type_as_c(rest))
    } else if let Some(rest) = ty.strip_prefix("*const ") {
        format!("const{}*", rust_type_as_c(rest))
    } else {
        ty.to_owned()
    }
}

/// Every `extern "system"` function of a Rust source: name → (return type, parameters); no
/// return type is `VOID`.
pub fn rust_functions(relative: &str) -> BTreeMap<String, Signature> {
    let text = read(relative);
    let mut functions = BTreeMap::new();
    for chunk in text.split("pub unsafe extern \"system\" fn ").skip(1) {
        let (name, rest) = chunk.split_once('(').unwrap();
        let (params, rest) = rest.split_once(')').unwrap();
        let rest = rest.trim_start();
        let ret = match rest.strip_prefix("->") {
            Some(ret) => ret.split('{').next().unwrap().trim().to_owned(),
            None => {
                assert!(rest.starts_with('{'), "{name}: body after the parameters");
                "VOID".to_owned()
            }
        };
        let params = params
            .split(',')
            .filter(|p| !p.trim().is_empty())
            .map(|p| {
                let (name, ty) = p.split_once(':').unwrap();
                (rust_type_as_c(ty), name.trim().to_owned())
            })
            .collect();
        functions.insert(name.to_owned(), (ret, params));
    }
    functions
}

/// The `static const WCHAR NAME[] = {'a', 'b', 0};` constants of a header (the `L"..."` macros
/// of Windows), as name → text. (Not every header has them.)
#[allow(dead_code)]
pub fn wide_string_constants(header: &str) -> BTreeMap<String, String> {
    let mut constants = BTreeMap::new();
    for line in header.lines() {
        let Some(rest) = line.strip_prefix("static const WCHAR ") else {
            continue;
        };
        let (name, rest) = rest.split_once("[] = {").unwrap();
        let (units, _) = rest.split_once("};").unwrap();
        let mut text = String::new();
        let mut terminated = false;
        for unit in units.split(", ") {
            assert!(!terminated, "{name}: NUL before the end");
            match unit.strip_prefix('\'').and_then(|u| u.strip_suffix('\'')) {
                Some(ch) => text.push_str(ch),
                None => {
                    assert_eq!(unit, "0", "{name}");
                    terminated = true;
                }
            }
        }
        assert!(terminated, "{name} is NUL-terminated");
        constants.insert(name.to_owned(), text);
    }
    constants
}
