//! A small parser of the RFC 8448 trace text (written for these tests).
//!
//! The RFC lists, per numbered section, entries of the form
//!
//! ```text
//!    {server}  derive secret "tls13 c hs traffic":
//!
//!       PRK (32 octets):  1d c8 26 e9 ...
//!          04 6a a6 ...
//! ```
//!
//! An entry header names the side and a label, optionally a parenthetical such as
//! `(same as server)` (which may run onto an indented second line) and ends with `:` when
//! fields follow. Each field is `name (N octets):  hex...` whose value continues on lines
//! indented nine columns; a value may be interrupted by a page break (form feed, the
//! `Thomson ... [Page N]` footer, the `RFC 8448 ... January 2019` header and blank lines).
//! A few fields carry no octet count (`salt:  0 (all zero octets)`); they are kept with their
//! text. Every counted field must hold exactly N bytes, or parsing fails.

use std::fmt;

/// Who acts in an entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Side {
    /// `{client}`.
    Client,
    /// `{server}`.
    Server,
}

impl Side {
    /// The other side.
    pub fn peer(self) -> Side {
        match self {
            Side::Client => Side::Server,
            Side::Server => Side::Client,
        }
    }
}

impl fmt::Display for Side {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Side::Client => "client",
            Side::Server => "server",
        })
    }
}

/// One `name (N octets):  hex` field.
#[derive(Clone, Debug)]
pub struct Field {
    /// The name, e.g. `key expanded`.
    pub name: String,
    /// N, when the line declares an octet count.
    pub declared: Option<usize>,
    /// The value (exactly `declared` bytes when declared).
    pub bytes: Vec<u8>,
    /// The raw text after the colon, for fields without an octet count.
    pub text: String,
}

/// One `{side}  label:` entry and its fields.
#[derive(Clone, Debug)]
pub struct Entry {
    /// Who acts.
    pub side: Side,
    /// The label without side, parenthetical and trailing colon, e.g.
    /// `derive secret "tls13 c hs traffic"`.
    pub label: String,
    /// The parenthetical remark, e.g. `same as server`, if any.
    pub remark: Option<String>,
    /// The fields in trace order.
    pub fields: Vec<Field>,
    /// 1-based line number of the header, for messages.
    pub line: usize,
}

impl Entry {
    /// The field named `name`, if present.
    pub fn get(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// The bytes of the field named `name`; panics (naming the entry) if absent.
    pub fn bytes(&self, name: &str) -> &[u8] {
        &self
            .get(name)
            .unwrap_or_else(|| panic!("line {}: {} has no field {name:?}", self.line, self.label))
            .bytes
    }

    /// True when the entry only says it equals something shown elsewhere.
    pub fn is_reference(&self) -> bool {
        self.fields.is_empty()
    }
}

/// One numbered section with its entries.
#[derive(Clone, Debug)]
pub struct Section {
    /// The section number.
    pub number: u32,
    /// The heading text.
    pub title: String,
    /// The entries in trace order.
    pub entries: Vec<Entry>,
}

impl Section {
    /// All entries of `side` with exactly `label`, in order.
    pub fn all(&self, side: Side, label: &str) -> Vec<&Entry> {
        self.entries
            .iter()
            .filter(|e| e.side == side && e.label == label)
            .collect()
    }

    /// The only entry of `side` with `label` that has fields; panics unless exactly one.
    pub fn one(&self, side: Side, label: &str) -> &Entry {
        let found: Vec<&Entry> = self
            .all(side, label)
            .into_iter()
            .filter(|e| !e.is_reference())
            .collect();
        assert_eq!(
            found.len(),
            1,
            "section {}: {side} {label:?} with fields",
            self.number
        );
        found[0]
    }

    /// The first entry of `side` with `label` that has fields, if any.
    pub fn first(&self, side: Side, label: &str) -> Option<&Entry> {
        self.all(side, label)
            .into_iter()
            .find(|e| !e.is_reference())
    }
}

/// The whole trace.
#[derive(Clone, Debug)]
pub struct Trace {
    /// Sections in order (only those that hold entries or follow the first heading).
    pub sections: Vec<Section>,
}

impl Trace {
    /// Section `number`; panics if absent.
    pub fn section(&self, number: u32) -> &Section {
        self.sections
            .iter()
            .find(|s| s.number == number)
            .unwrap_or_else(|| panic!("no section {number}"))
    }
}

/// A parse failure with its 1-based line number.
#[derive(Debug, PartialEq, Eq)]
pub struct ParseError {
    /// Where.
    pub line: usize,
    /// What.
    pub message: String,
}

fn error(line: usize, message: impl Into<String>) -> ParseError {
    ParseError {
        line,
        message: message.into(),
    }
}

/// Leading spaces of a line.
fn indent(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

/// Lines that carry nothing: blank, form feed, page footer and page header.
fn is_filler(line: &str) -> bool {
    let t = line.trim();
    t.is_empty()
        || (t.starts_with("Thomson") && t.contains("Informational") && t.ends_with(']'))
        || (t.starts_with("RFC 8448") && t.contains("TLS 1.3 Traces"))
}

/// `N.  Title` at column 0.
fn section_heading(line: &str) -> Option<(u32, String)> {
    let (number, title) = line.split_once(".  ")?;
    if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((number.parse().ok()?, title.trim().to_string()))
}

/// Hex tokens of a value; `(empty)` is zero bytes.
fn hex_tokens(text: &str, line: usize) -> Result<Vec<u8>, ParseError> {
    let text = text.trim();
    if text == "(empty)" {
        return Ok(Vec::new());
    }
    text.split_whitespace()
        .map(|token| {
            if token.len() == 2 {
                u8::from_str_radix(token, 16).map_err(|_| error(line, format!("bad hex {token:?}")))
            } else {
                Err(error(line, format!("bad hex {token:?}")))
            }
        })
        .collect()
}

/// True when every token of the line is two hex digits.
fn is_hex_line(line: &str) -> bool {
    let mut tokens = line.split_whitespace().peekable();
    tokens.peek().is_some()
        && tokens.all(|t| t.len() == 2 && t.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Parses a field line (indent 6): `name (N octets):  value` or `name:  text`.
fn field_line(line: &str, number: usize) -> Result<Field, ParseError> {
    let body = line.trim();
    if let Some(at) = body.find(" octets):") {
        let open = body[..at]
            .rfind(" (")
            .ok_or_else(|| error(number, "octet count without '('"))?;
        let name = body[..open].to_string();
        let count: usize = body[open + 2..at]
            .parse()
            .map_err(|_| error(number, format!("bad octet count in {body:?}")))?;
        let value = &body[at + " octets):".len()..];
        Ok(Field {
            name,
            declared: Some(count),
            bytes: hex_tokens(value, number)?,
            text: String::new(),
        })
    } else if let Some((name, text)) = body.split_once(':') {
        Ok(Field {
            name: name.trim().to_string(),
            declared: None,
            bytes: Vec::new(),
            text: text.trim().to_string(),
        })
    } else {
        Err(error(number, format!("not a field: {body:?}")))
    }
}

/// Splits an entry header (already joined with its continuation) into label and remark.
fn split_header(header: &str) -> (String, Option<String>) {
    let header = header.trim().trim_end_matches(':').trim_end();
    match header.find(" (") {
        Some(open) if header.ends_with(')') => (
            header[..open].to_string(),
            Some(header[open + 2..header.len() - 1].to_string()),
        ),
        _ => (header.to_string(), None),
    }
}

/// Checks a finished field's byte count.
fn check_count(field: &Field, line: usize) -> Result<(), ParseError> {
    match field.declared {
        Some(n) if n != field.bytes.len() => Err(error(
            line,
            format!(
                "{}: declared {n} octets, found {}",
                field.name,
                field.bytes.len()
            ),
        )),
        _ => Ok(()),
    }
}

/// What the previous significant line was.
enum State {
    /// Prose (introduction, notes) or before the first heading.
    Prose,
    /// An entry header whose parenthetical is still open.
    OpenHeader,
    /// Inside an entry, after its header or a field.
    InEntry,
}

/// Where the RFC text lives in the repository.
pub const RFC8448: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../testdata/rfc/rfc8448.txt"
);

/// Reads and parses the repository's copy of RFC 8448; panics on any parse error.
pub fn load() -> Trace {
    let text = std::fs::read_to_string(RFC8448).unwrap_or_else(|e| panic!("{RFC8448}: {e}"));
    parse(&text).unwrap_or_else(|e| panic!("rfc8448.txt line {}: {}", e.line, e.message))
}

/// Parses the trace text.
pub fn parse(text: &str) -> Result<Trace, ParseError> {
    let mut sections: Vec<Section> = Vec::new();
    let mut state = State::Prose;
    // The header text of the entry being read, and where its current field started.
    let mut header = String::new();
    let mut field_start = 0usize;

    for (index, raw) in text.lines().enumerate() {
        let number = index + 1;
        let line = raw.trim_end_matches(['\r', '\u{c}']);
        if is_filler(line) {
            continue;
        }
        let depth = indent(line);
        let body = line.trim();
        if let Some((section, title)) = (depth == 0).then(|| section_heading(line)).flatten() {
            close_field(&sections, field_start)?;
            sections.push(Section {
                number: section,
                title,
                entries: Vec::new(),
            });
            state = State::Prose;
            continue;
        }
        let Some(section) = sections.last_mut() else {
            continue;
        };
        if depth == 3 && (body.starts_with("{client}") || body.starts_with("{server}")) {
            close_field(std::slice::from_ref(section), field_start)?;
            let side = if body.starts_with("{client}") {
                Side::Client
            } else {
                Side::Server
            };
            header = body["{client}".len()..].trim().to_string();
            section.entries.push(Entry {
                side,
                label: String::new(),
                remark: None,
                fields: Vec::new(),
                line: number,
            });
            state = if header.matches('(').count() > header.matches(')').count() {
                State::OpenHeader
            } else {
                finish_header(section, &header);
                State::InEntry
            };
            continue;
        }
        match state {
            State::Prose => {}
            State::OpenHeader => {
                if depth < 6 {
                    return Err(error(number, "unterminated entry header"));
                }
                header.push(' ');
                header.push_str(body);
                if header.matches('(').count() <= header.matches(')').count() {
                    finish_header(section, &header);
                    state = State::InEntry;
                }
            }
            State::InEntry => {
                if depth == 3 {
                    // Prose after the entries (a note); leave the entry.
                    close_field(std::slice::from_ref(section), field_start)?;
                    state = State::Prose;
                } else if depth == 6 {
                    close_field(std::slice::from_ref(section), field_start)?;
                    let entry = section.entries.last_mut().unwrap();
                    entry.fields.push(field_line(line, number)?);
                    field_start = number;
                } else if depth >= 9 {
                    let entry = section.entries.last_mut().unwrap();
                    let field = entry
                        .fields
                        .last_mut()
                        .ok_or_else(|| error(number, "value line outside a field"))?;
                    if field.declared.is_none() || !is_hex_line(line) {
                        return Err(error(number, format!("unexpected line {body:?}")));
                    }
                    field.bytes.extend(hex_tokens(body, number)?);
                } else {
                    return Err(error(number, format!("unexpected indentation {body:?}")));
                }
            }
        }
    }
    close_field(&sections, field_start)?;
    Ok(Trace { sections })
}

/// Sets label and remark of the last entry from its complete header.
fn finish_header(section: &mut Section, header: &str) {
    let (label, remark) = split_header(header);
    let entry = section.entries.last_mut().unwrap();
    entry.label = label;
    entry.remark = remark;
}

/// Checks the octet count of the last field of the last entry, if any.
fn close_field(sections: &[Section], line: usize) -> Result<(), ParseError> {
    if let Some(field) = sections
        .last()
        .and_then(|s| s.entries.last())
        .and_then(|e| e.fields.last())
    {
        check_count(field, line)?;
    }
    Ok(())
}

/// Tests of the parser on small hand-written snippets and on the whole RFC.
mod tests {
    use super::*;

    /// A snippet in the RFC's layout, with a page break inside a value and a two-line header.
    const SNIPPET: &str = "\
3.  Simple 1-RTT Handshake

   Some prose that is not an entry.

   {server}  extract secret \"early\":

      salt:  0 (all zero octets)

      IKM (4 octets):  00 01 02
         03

      hash (0 octets):  (empty)

   {client}  derive read traffic keys for handshake data (same as server
      handshake data write traffic keys)

   {client}  send alert record:

      payload (2 octets):  01 00

      complete record (5 octets):  17 03 03



Thomson                       Informational                     [Page 9]
\u{c}
RFC 8448                     TLS 1.3 Traces                 January 2019


         00 13

4.  Next

   Note: prose of the next section
      with an indented second line.

   {server}  calculate PSK binder (same as client):

      finished (1 octets):  ff
";

    #[test]
    fn parses_entries_fields_and_page_breaks() {
        let trace = parse(SNIPPET).unwrap();
        assert_eq!(trace.sections.len(), 2);
        let s3 = trace.section(3);
        assert_eq!(s3.title, "Simple 1-RTT Handshake");
        assert_eq!(s3.entries.len(), 3);

        let early = s3.one(Side::Server, "extract secret \"early\"");
        assert_eq!(early.line, 5);
        assert_eq!(early.fields.len(), 3);
        let salt = early.get("salt").unwrap();
        assert_eq!(salt.declared, None);
        assert_eq!(salt.text, "0 (all zero octets)");
        assert_eq!(early.bytes("IKM"), [0, 1, 2, 3]);
        assert_eq!(early.get("hash").unwrap().declared, Some(0));
        assert!(early.bytes("hash").is_empty());

        let reference = &s3.entries[1];
        assert_eq!(reference.side, Side::Client);
        assert_eq!(
            reference.label,
            "derive read traffic keys for handshake data"
        );
        assert_eq!(
            reference.remark.as_deref(),
            Some("same as server handshake data write traffic keys")
        );
        assert!(reference.is_reference());

        let alert = s3.one(Side::Client, "send alert record");
        assert_eq!(alert.bytes("payload"), [1, 0]);
        assert_eq!(alert.bytes("complete record"), [0x17, 3, 3, 0, 0x13]);

        let s4 = trace.section(4);
        assert_eq!(s4.entries.len(), 1);
        let binder = &s4.entries[0];
        assert_eq!(binder.label, "calculate PSK binder");
        assert_eq!(binder.remark.as_deref(), Some("same as client"));
        assert_eq!(binder.bytes("finished"), [0xff]);
        assert!(s4.first(Side::Client, "calculate PSK binder").is_none());
    }

    #[test]
    fn rejects_wrong_octet_counts() {
        let short = SNIPPET.replace("IKM (4 octets)", "IKM (5 octets)");
        let err = parse(&short).unwrap_err();
        assert!(
            err.message.contains("declared 5 octets, found 4"),
            "{err:?}"
        );
        assert_eq!(err.line, 9);
        let long = SNIPPET.replace("complete record (5 octets)", "complete record (4 octets)");
        let err = parse(&long).unwrap_err();
        assert!(
            err.message.contains("declared 4 octets, found 5"),
            "{err:?}"
        );
        // The last field of the text is checked too.
        let last = SNIPPET.replace("finished (1 octets)", "finished (2 octets)");
        assert!(parse(&last).is_err());
    }

    #[test]
    fn rejects_garbage_in_values() {
        let bad = SNIPPET.replace("         03\n", "         0g\n");
        assert!(parse(&bad).is_err());
        let odd = SNIPPET.replace("         03\n", "         003\n");
        assert!(parse(&odd).is_err());
        let words = SNIPPET.replace("         03\n", "         some words\n");
        assert!(parse(&words).is_err());
    }

    #[test]
    fn whole_rfc_parses() {
        let text = std::fs::read_to_string(RFC8448).unwrap();
        let trace = parse(&text).unwrap();
        let numbers: Vec<u32> = trace.sections.iter().map(|s| s.number).collect();
        assert_eq!(numbers, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
        // Sections 1, 2 and 8-10 hold no entries (2 lists the RSA key at another indent).
        for number in [1, 2, 8, 9, 10] {
            assert!(trace.section(number).entries.is_empty(), "section {number}");
        }
        let mut fields = 0;
        for number in 3..=7 {
            let section = trace.section(number);
            assert!(!section.entries.is_empty());
            for entry in &section.entries {
                assert!(!entry.label.is_empty(), "line {}", entry.line);
                assert!(!entry.label.contains('('), "line {}", entry.line);
                for field in &entry.fields {
                    if let Some(n) = field.declared {
                        assert_eq!(field.bytes.len(), n);
                        fields += 1;
                    }
                }
            }
        }
        assert!(fields > 300, "{fields} counted fields");
        // Spot checks against values read by eye.
        let s3 = trace.section(3);
        let hs = s3.one(Side::Server, "extract secret \"handshake\"");
        assert_eq!(hs.bytes("secret")[..4], [0x1d, 0xc8, 0x26, 0xe9]);
        assert_eq!(hs.bytes("secret")[31], 0xac);
        let record = s3.one(Side::Server, "send alert record");
        assert_eq!(record.bytes("complete record").len(), 24);
        assert_eq!(record.bytes("complete record")[23], 0xa9);
    }
}
