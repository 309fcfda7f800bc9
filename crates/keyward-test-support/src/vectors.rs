//! The one reader of the text vector files under `testdata/`, in the manner of ring's
//! `test::run`: the file is a list of test cases, each a block of `name = value` (or
//! `name: value`) lines ended by a blank line; `# comment` lines are skipped; `[header]` lines
//! set the section the following cases belong to.
//!
//! That covers the three text formats the tests read: NIST CAVP response files (`[PRF=…]`
//! section headers, `COUNT = n` cases), pyca's text vectors (`[ENCRYPT]` headers) and
//! BoringSSL/AWS-LC cipher tests (`KEY: …` cases, no headers).
//!
//! Every attribute of a case must be used by the test (read, or skipped by name): a field the
//! test forgot to check fails the run instead of passing silently. A failing case is reported
//! with its file and line.

use crate::{read_testdata, unhex};
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};

/// The `[header]` lines above a test case. NIST writes one header per parameter
/// (`[PRF=CMAC_AES128]`, `[RLEN=8_BITS]`); pyca writes bare names (`[ENCRYPT]`). A header
/// replaces the earlier header of the same name; the others stay.
#[derive(Debug, Default, Clone)]
pub struct Section {
    name: String,
    parameters: Vec<(String, String)>,
}

impl Section {
    /// The last bare `[NAME]` header, or "" if there was none.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The value of the `[name=value]` header, if the file set one.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.parameters
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// The value of the `[name=value]` header; panics if the file did not set it.
    pub fn parameter(&self, name: &str) -> &str {
        self.get(name)
            .unwrap_or_else(|| panic!("no [{name}=…] header above this case"))
    }

    fn set(&mut self, header: &str) {
        match header.split_once('=') {
            Some((name, value)) => {
                let (name, value) = (name.trim(), value.trim().to_owned());
                match self.parameters.iter_mut().find(|(key, _)| key == name) {
                    Some(slot) => slot.1 = value,
                    None => self.parameters.push((name.to_owned(), value)),
                }
            }
            None => self.name = header.trim().to_owned(),
        }
    }
}

/// One test case: its attributes in file order. Names are matched without regard to case.
#[derive(Debug)]
pub struct TestCase {
    line: usize,
    attributes: Vec<Attribute>,
}

#[derive(Debug)]
struct Attribute {
    name: String,
    value: String,
    used: bool,
}

impl TestCase {
    /// The line of the file the case starts on.
    pub fn line(&self) -> usize {
        self.line
    }

    /// Whether the case has the attribute `name` (e.g. BoringSSL's `NO_SEAL`, `FAILS`); marks
    /// it used.
    pub fn flag(&mut self, name: &str) -> bool {
        self.take(name).is_some()
    }

    /// The attribute `name` as text; panics if the case lacks it.
    pub fn text(&mut self, name: &str) -> String {
        self.optional_text(name)
            .unwrap_or_else(|| panic!("case at line {} has no {name}", self.line))
    }

    /// The attribute `name` as text, if the case has it.
    pub fn optional_text(&mut self, name: &str) -> Option<String> {
        self.take(name)
    }

    /// The attribute `name` as hex bytes; panics if the case lacks it.
    pub fn bytes(&mut self, name: &str) -> Vec<u8> {
        unhex(&self.text(name))
    }

    /// The attribute `name` as hex bytes, if the case has it.
    pub fn optional_bytes(&mut self, name: &str) -> Option<Vec<u8>> {
        self.take(name).map(|value| unhex(&value))
    }

    /// The attribute `name` as a decimal number; panics if the case lacks it.
    pub fn number(&mut self, name: &str) -> usize {
        let text = self.text(name);
        text.parse()
            .unwrap_or_else(|e| panic!("{name} = {text:?} is not a number: {e}"))
    }

    /// Marks the attributes `names` used without reading them (fields the test has no use
    /// for, such as a `COUNT` or a length the value already implies).
    pub fn skip(&mut self, names: &[&str]) {
        for name in names {
            let _ = self.take(name);
        }
    }

    /// Marks every attribute used: the test deliberately does not run this case.
    pub fn skip_all(&mut self) {
        for attribute in &mut self.attributes {
            attribute.used = true;
        }
    }

    fn take(&mut self, name: &str) -> Option<String> {
        let attribute = self
            .attributes
            .iter_mut()
            .find(|attribute| attribute.name.eq_ignore_ascii_case(name))?;
        attribute.used = true;
        Some(attribute.value.clone())
    }

    fn unused(&self) -> Vec<&str> {
        self.attributes
            .iter()
            .filter(|attribute| !attribute.used)
            .map(|attribute| attribute.name.as_str())
            .collect()
    }
}

/// Runs `test` on every case of the vector file `path` (relative to `testdata/`) and returns
/// the number of cases. A case whose test panics, or leaves an attribute unused, fails the run
/// with the file and line of the case.
pub fn run(path: &str, mut test: impl FnMut(&Section, &mut TestCase)) -> usize {
    let text = read_testdata(path);
    let mut section = Section::default();
    let mut count = 0;
    for mut case in parse(&text, &mut section) {
        let (current, case_ref) = (&case.0, &mut case.1);
        let outcome = catch_unwind(AssertUnwindSafe(|| test(current, case_ref)));
        if let Err(panic) = outcome {
            eprintln!("testdata/{path}:{}: this case failed", case.1.line);
            resume_unwind(panic);
        }
        let unused = case.1.unused();
        assert!(
            unused.is_empty(),
            "testdata/{path}:{}: the test did not use {unused:?}",
            case.1.line
        );
        count += 1;
    }
    count
}

/// The cases of `text`, each with the section it sits in.
fn parse(text: &str, section: &mut Section) -> Vec<(Section, TestCase)> {
    let mut cases = Vec::new();
    let mut current: Option<TestCase> = None;
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.starts_with('#') {
            continue;
        }
        if line.is_empty() {
            if let Some(case) = current.take() {
                cases.push((section.clone(), case));
            }
            continue;
        }
        if let Some(header) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            if let Some(case) = current.take() {
                cases.push((section.clone(), case));
            }
            section.set(header);
            continue;
        }
        let split = line
            .find(['=', ':'])
            .unwrap_or_else(|| panic!("line {}: expected `name = value`: {line:?}", index + 1));
        let (name, value) = (line[..split].trim(), line[split + 1..].trim());
        let case = current.get_or_insert_with(|| TestCase {
            line: index + 1,
            attributes: Vec::new(),
        });
        assert!(
            !case
                .attributes
                .iter()
                .any(|a| a.name.eq_ignore_ascii_case(name)),
            "line {}: {name} twice in one case",
            index + 1
        );
        case.attributes.push(Attribute {
            name: name.to_owned(),
            value: value.to_owned(),
            used: false,
        });
    }
    cases.extend(current.map(|case| (section.clone(), case)));
    cases
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "# comment\n\
        [PRF=CMAC_AES128]\n[RLEN=8_BITS]\n\n\
        COUNT = 0\nKI = 00ff\nKO =\n\n\
        [RLEN=16_BITS]\n\
        COUNT=1\nKI = 0102\n\n\
        [ENCRYPT]\nKEY: aabb\nFAILS:\n";

    #[test]
    fn sections_cases_and_separators() {
        let mut section = Section::default();
        let mut cases = parse(SAMPLE, &mut section);
        assert_eq!(cases.len(), 3);

        let (first, case) = &mut cases[0];
        assert_eq!(first.parameter("PRF"), "CMAC_AES128");
        assert_eq!(first.parameter("RLEN"), "8_BITS");
        assert_eq!(case.line(), 5);
        assert_eq!(case.number("COUNT"), 0);
        assert_eq!(case.bytes("ki"), [0x00, 0xff]);
        assert_eq!(case.bytes("KO"), Vec::<u8>::new());
        assert!(case.unused().is_empty());

        let (second, case) = &mut cases[1];
        assert_eq!(second.parameter("PRF"), "CMAC_AES128");
        assert_eq!(second.parameter("RLEN"), "16_BITS");
        assert_eq!(case.unused(), ["COUNT", "KI"]);
        case.skip(&["COUNT"]);
        assert_eq!(case.unused(), ["KI"]);

        let (third, case) = &mut cases[2];
        assert_eq!(third.name(), "ENCRYPT");
        assert_eq!(case.bytes("KEY"), [0xaa, 0xbb]);
        assert!(case.flag("FAILS"));
        assert!(!case.flag("NO_SEAL"));
        assert_eq!(case.optional_bytes("AD"), None);
    }

    #[test]
    #[should_panic(expected = "KI twice in one case")]
    fn a_repeated_attribute_is_refused() {
        parse("KI = 00\nKI = 01\n", &mut Section::default());
    }

    #[test]
    fn the_runner_counts_and_reports_unused_attributes() {
        let count = run(
            "pyca-cryptography-vectors/CMAC/nist-800-38b-aes128.txt",
            |_, case| {
                case.skip(&["COUNT", "KEY", "MESSAGE", "OUTPUT"]);
            },
        );
        assert_eq!(count, 4);
        let unused = catch_unwind(|| {
            run(
                "pyca-cryptography-vectors/CMAC/nist-800-38b-aes128.txt",
                |_, case| {
                    case.skip(&["COUNT", "KEY", "MESSAGE"]);
                },
            )
        });
        let message = unused.unwrap_err();
        let message = message.downcast_ref::<String>().unwrap();
        assert!(message.contains("did not use [\"OUTPUT\"]"), "{message}");
    }
}
