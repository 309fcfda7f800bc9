//! Hello extensions: what a ClientHello offers and what a ServerHello, HelloRetryRequest or
//! EncryptedExtensions answers (RFC 5246 §7.4.1.4, RFC 8446 §4.2, and the RFCs of each one).

// Reads untrusted bytes: no indexing, unwrap, expect or panic that could fire on them
// (tests may: clippy.toml).
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use super::enums::{ExtensionType, SERVER_NAME_HOST};
use super::{
    put_prefixed, put_u16, put_u32, put_u8, put_vec_u16, put_vec_u8, Codec, LengthPrefix, Reader,
};
use crate::error::Error;

/// One `KeyShareEntry` (RFC 8446 §4.2.8).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyShareEntry {
    /// The `NamedGroup`.
    pub group: u16,
    /// The public value in the group's wire form.
    pub key_exchange: Vec<u8>,
}

impl Codec for KeyShareEntry {
    type Error = Error;

    fn read(reader: &mut Reader<'_>) -> Result<Self, Error> {
        let group = reader.u16()?;
        let key_exchange = reader.vec_u16()?;
        if key_exchange.is_empty() {
            // No group has an empty public value (RFC 8446 §4.2.8): illegal_parameter.
            return Err(Error::IllegalParameter("empty key share"));
        }
        Ok(KeyShareEntry {
            group,
            key_exchange: key_exchange.to_vec(),
        })
    }

    fn encode(&self, out: &mut Vec<u8>) {
        put_u16(out, self.group);
        put_vec_u16(out, &self.key_exchange);
    }
}

/// One `PskIdentity` (RFC 8446 §4.2.11).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PskIdentity {
    /// The ticket (or external identity).
    pub identity: Vec<u8>,
    /// The ticket age in milliseconds plus `ticket_age_add`, modulo 2^32.
    pub obfuscated_ticket_age: u32,
}

/// The `pre_shared_key` extension of a ClientHello.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OfferedPsks {
    /// The identities, in the client's order.
    pub identities: Vec<PskIdentity>,
    /// One binder per identity.
    pub binders: Vec<Vec<u8>>,
}

impl OfferedPsks {
    /// The encoded length of the `binders` vector, its 2-byte length included: what follows
    /// the part of the ClientHello the binders are computed over (RFC 8446 §4.2.11.2).
    pub fn binders_len(&self) -> usize {
        2 + self.binders.iter().map(|b| 1 + b.len()).sum::<usize>()
    }
}

impl Codec for OfferedPsks {
    type Error = Error;

    fn read(reader: &mut Reader<'_>) -> Result<Self, Error> {
        let mut list = reader.sub_u16()?;
        let mut identities = Vec::new();
        while !list.is_empty() {
            let identity = list.vec_u16()?;
            if identity.is_empty() {
                return Err(Error::Decode("empty PSK identity"));
            }
            identities.push(PskIdentity {
                identity: identity.to_vec(),
                obfuscated_ticket_age: list.u32()?,
            });
        }
        let mut list = reader.sub_u16()?;
        let mut binders = Vec::new();
        while !list.is_empty() {
            let binder = list.vec_u8()?;
            if binder.len() < 32 {
                return Err(Error::Decode("PSK binder shorter than 32 bytes"));
            }
            binders.push(binder.to_vec());
        }
        if identities.is_empty() || binders.is_empty() {
            // identities<7..2^16-1>, binders<33..2^16-1> (RFC 8446 §4.2.11).
            return Err(Error::Decode(
                "pre_shared_key without identities or binders",
            ));
        }
        if identities.len() != binders.len() {
            return Err(Error::IllegalParameter(
                "PSK identities and binders differ in number",
            ));
        }
        Ok(OfferedPsks {
            identities,
            binders,
        })
    }

    fn encode(&self, out: &mut Vec<u8>) {
        put_prefixed(out, LengthPrefix::U16, |out| {
            for identity in &self.identities {
                put_vec_u16(out, &identity.identity);
                put_u32(out, identity.obfuscated_ticket_age);
            }
        });
        put_prefixed(out, LengthPrefix::U16, |out| {
            for binder in &self.binders {
                put_vec_u8(out, binder);
            }
        });
    }
}

/// The extensions of a ClientHello that the engine understands; others are skipped.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClientExtensions {
    /// `server_name`: the host name (RFC 6066 §3).
    pub server_name: Option<String>,
    /// `supported_groups`.
    pub supported_groups: Option<Vec<u16>>,
    /// `ec_point_formats`.
    pub ec_point_formats: Option<Vec<u8>>,
    /// `signature_algorithms`.
    pub signature_algorithms: Option<Vec<u16>>,
    /// `application_layer_protocol_negotiation`: the offered protocols.
    pub alpn: Option<Vec<Vec<u8>>>,
    /// `extended_master_secret` present.
    pub extended_master_secret: bool,
    /// `encrypt_then_mac` present (RFC 7366).
    pub encrypt_then_mac: bool,
    /// `renegotiation_info`: `renegotiated_connection` (empty on a first handshake).
    pub renegotiation_info: Option<Vec<u8>>,
    /// `session_ticket`: the ticket (empty to ask for one).
    pub session_ticket: Option<Vec<u8>>,
    /// `supported_versions`.
    pub supported_versions: Option<Vec<u16>>,
    /// `key_share`: the client's shares.
    pub key_shares: Option<Vec<KeyShareEntry>>,
    /// `psk_key_exchange_modes`.
    pub psk_modes: Option<Vec<u8>>,
    /// `early_data` present.
    pub early_data: bool,
    /// `cookie` echoed from a HelloRetryRequest.
    pub cookie: Option<Vec<u8>>,
    /// `pre_shared_key`: always the last extension.
    pub pre_shared_key: Option<OfferedPsks>,
}

/// Reads a `uint8` list filling `reader` with at least `min` entries.
fn u8_list(mut reader: Reader<'_>, min: usize) -> Result<Vec<u8>, Error> {
    let list = reader.vec_u8()?;
    reader.finish()?;
    if list.len() < min {
        return Err(Error::Decode("list too short"));
    }
    Ok(list.to_vec())
}

/// Reads a `uint16`-prefixed list of `uint16` values filling `reader`.
fn prefixed_u16_list(mut reader: Reader<'_>) -> Result<Vec<u16>, Error> {
    let list = reader.sub_u16()?;
    reader.finish()?;
    Ok(list.u16_list(2)?)
}

fn read_server_name(mut reader: Reader<'_>) -> Result<Option<String>, Error> {
    let mut list = reader.sub_u16()?;
    reader.finish()?;
    if list.is_empty() {
        return Err(Error::Decode("empty server name list"));
    }
    let mut host = None;
    while !list.is_empty() {
        let name_type = list.u8()?;
        let name = list.vec_u16()?;
        if name_type != SERVER_NAME_HOST {
            continue;
        }
        if host.is_some() {
            return Err(Error::IllegalParameter("two host names in server_name"));
        }
        if name.is_empty() {
            return Err(Error::Decode("empty host name"));
        }
        if !is_dns_host_name(name) {
            return Err(Error::IllegalParameter(
                "server name is not a DNS host name",
            ));
        }
        host = Some(
            name.iter()
                .map(|&b| char::from(b.to_ascii_lowercase()))
                .collect(),
        );
    }
    Ok(host)
}

/// Longest host name (RFC 1035 §2.3.4, RFC 6066 §3).
const MAX_HOST_NAME_LEN: usize = 255;
/// Longest label of a host name.
const MAX_LABEL_LEN: usize = 63;

/// True for a DNS host name as RFC 6066 §3 wants it in `server_name`: labels of letters,
/// digits and hyphens, of 1 to 63 bytes, joined by dots, at most 255 bytes in all, without a
/// trailing dot, and not a literal IPv4 address ("Literal IPv4 and IPv6 addresses are not
/// permitted"): a name whose last label is all digits is refused, as no top-level domain is
/// numeric (RFC 3696 §2). IPv6 literals already fail on their colons.
fn is_dns_host_name(name: &[u8]) -> bool {
    let labels_ok = name.split(|&b| b == b'.').all(|label| {
        (1..=MAX_LABEL_LEN).contains(&label.len())
            && label
                .iter()
                .all(|&b| b.is_ascii_alphanumeric() || b == b'-')
    });
    let numeric_top = name
        .rsplit(|&b| b == b'.')
        .next()
        .is_some_and(|top| top.iter().all(u8::is_ascii_digit));
    name.len() <= MAX_HOST_NAME_LEN && labels_ok && !numeric_top
}

/// A set of `uint16` code points (extension types, groups), for duplicate detection in
/// linear time. Real lists hold a few dozen at most and stay in a small array; a longer one
/// (only a hostile peer sends it) moves to a 65,536-bit map, so that a list of thousands is
/// still checked in one pass.
struct SeenU16 {
    few: [u16; SEEN_FEW],
    len: usize,
    many: Option<Box<[u64; 1024]>>,
}

/// How many values [`SeenU16`] keeps in its array.
const SEEN_FEW: usize = 32;

impl SeenU16 {
    fn new() -> Self {
        SeenU16 {
            few: [0; SEEN_FEW],
            len: 0,
            many: None,
        }
    }

    /// Adds `value`; false when it was there already.
    fn insert(&mut self, value: u16) -> bool {
        if let Some(map) = &mut self.many {
            return set_bit(map, value);
        }
        let few = self.few.get(..self.len).unwrap_or_default();
        if few.contains(&value) {
            return false;
        }
        if let Some(slot) = self.few.get_mut(self.len) {
            *slot = value;
            self.len += 1;
            return true;
        }
        let mut map = Box::new([0u64; 1024]);
        for old in self.few {
            set_bit(&mut map, old);
        }
        set_bit(&mut map, value);
        self.many = Some(map);
        true
    }
}

/// Sets the bit of `value` in a 65,536-bit map; false when it was set already.
fn set_bit(map: &mut [u64; 1024], value: u16) -> bool {
    let (word, bit) = (usize::from(value >> 6), 1u64 << (value & 63));
    let Some(slot) = map.get_mut(word) else {
        return false;
    };
    let fresh = *slot & bit == 0;
    *slot |= bit;
    fresh
}

fn read_alpn(mut reader: Reader<'_>) -> Result<Vec<Vec<u8>>, Error> {
    let mut list = reader.sub_u16()?;
    reader.finish()?;
    let mut protocols = Vec::new();
    while !list.is_empty() {
        let name = list.vec_u8()?;
        if name.is_empty() {
            return Err(Error::Decode("empty ALPN protocol name"));
        }
        protocols.push(name.to_vec());
    }
    if protocols.is_empty() {
        return Err(Error::Decode("empty ALPN list"));
    }
    Ok(protocols)
}

fn empty(reader: Reader<'_>) -> Result<bool, Error> {
    reader.finish()?;
    Ok(true)
}

/// Splits an extensions block into `(type, body)` pairs, refusing duplicates
/// (RFC 8446 §4.2: "There MUST NOT be more than one extension of the same type").
fn split_extensions<'a>(block: &mut Reader<'a>) -> Result<Vec<(u16, Reader<'a>)>, Error> {
    let mut out: Vec<(u16, Reader<'a>)> = Vec::new();
    let mut seen = SeenU16::new();
    while !block.is_empty() {
        let kind = block.u16()?;
        let body = block.sub_u16()?;
        if !seen.insert(kind) {
            return Err(Error::IllegalParameter("duplicate extension"));
        }
        out.push((kind, body));
    }
    Ok(out)
}

/// A ClientHello's key_share list (RFC 8446 §4.2.8); two shares for one group are
/// `illegal_parameter`.
fn read_key_shares(mut body: Reader<'_>) -> Result<Vec<KeyShareEntry>, Error> {
    let mut list = body.sub_u16()?;
    body.finish()?;
    let mut shares: Vec<KeyShareEntry> = Vec::new();
    let mut groups = SeenU16::new();
    while !list.is_empty() {
        let share = KeyShareEntry::read(&mut list)?;
        if !groups.insert(share.group) {
            return Err(Error::IllegalParameter("two key shares for one group"));
        }
        shares.push(share);
    }
    Ok(shares)
}

/// A cookie (RFC 8446 §4.2.2), which may not be empty.
fn read_cookie(mut body: Reader<'_>) -> Result<Vec<u8>, Error> {
    let cookie = body.vec_u16()?;
    body.finish()?;
    if cookie.is_empty() {
        return Err(Error::Decode("empty cookie"));
    }
    Ok(cookie.to_vec())
}

/// One extension: its type, then its body behind a two-byte length.
fn put_extension(out: &mut Vec<u8>, kind: ExtensionType, body: &dyn Fn(&mut Vec<u8>)) {
    put_u16(out, kind.to_wire());
    put_prefixed(out, LengthPrefix::U16, |o| body(o));
}

impl ClientExtensions {
    /// Reads the extensions block (without its length) of a ClientHello.
    pub fn read(block: &mut Reader<'_>) -> Result<Self, Error> {
        let list = split_extensions(block)?;
        let mut ext = ClientExtensions::default();
        let count = list.len();
        for (index, (kind, body)) in list.into_iter().enumerate() {
            match ExtensionType::from_wire(kind) {
                ExtensionType::ServerName => ext.server_name = read_server_name(body)?,
                ExtensionType::SupportedGroups => {
                    ext.supported_groups = Some(prefixed_u16_list(body)?)
                }
                ExtensionType::EcPointFormats => ext.ec_point_formats = Some(u8_list(body, 1)?),
                ExtensionType::SignatureAlgorithms => {
                    ext.signature_algorithms = Some(prefixed_u16_list(body)?)
                }
                ExtensionType::ApplicationLayerProtocolNegotiation => {
                    ext.alpn = Some(read_alpn(body)?)
                }
                ExtensionType::ExtendedMasterSecret => ext.extended_master_secret = empty(body)?,
                ExtensionType::EncryptThenMac => ext.encrypt_then_mac = empty(body)?,
                ExtensionType::RenegotiationInfo => {
                    ext.renegotiation_info = Some(u8_list(body, 0)?)
                }
                ExtensionType::SessionTicket => {
                    let mut body = body;
                    ext.session_ticket = Some(body.rest().to_vec());
                }
                ExtensionType::SupportedVersions => {
                    let mut body = body;
                    let list = body.sub_u8()?;
                    body.finish()?;
                    ext.supported_versions = Some(list.u16_list(2)?);
                }
                ExtensionType::KeyShare => ext.key_shares = Some(read_key_shares(body)?),
                ExtensionType::PskKeyExchangeModes => ext.psk_modes = Some(u8_list(body, 1)?),
                ExtensionType::EarlyData => ext.early_data = empty(body)?,
                ExtensionType::Cookie => ext.cookie = Some(read_cookie(body)?),
                ExtensionType::PreSharedKey => {
                    if index + 1 != count {
                        return Err(Error::IllegalParameter(
                            "pre_shared_key is not the last extension",
                        ));
                    }
                    let mut body = body;
                    ext.pre_shared_key = Some(OfferedPsks::read(&mut body)?);
                    body.finish()?;
                }
                _ => {}
            }
        }
        Ok(ext)
    }

    /// Writes the extensions block (without its length), `pre_shared_key` last.
    pub fn write(&self, out: &mut Vec<u8>) {
        self.write_offers(out);
        self.write_session_and_keys(out);
    }

    /// The first part of the block: server name, versions, groups, point formats, signature
    /// schemes and ALPN.
    fn write_offers(&self, out: &mut Vec<u8>) {
        let mut ext = |kind, body: &dyn Fn(&mut Vec<u8>)| put_extension(out, kind, body);
        if let Some(name) = &self.server_name {
            ext(ExtensionType::ServerName, &|o| {
                put_prefixed(o, LengthPrefix::U16, |o| {
                    put_u8(o, SERVER_NAME_HOST);
                    put_vec_u16(o, name.as_bytes());
                })
            });
        }
        if let Some(versions) = &self.supported_versions {
            ext(ExtensionType::SupportedVersions, &|o| {
                put_prefixed(o, LengthPrefix::U8, |o| {
                    versions.iter().for_each(|v| put_u16(o, *v))
                })
            });
        }
        if let Some(groups) = &self.supported_groups {
            ext(ExtensionType::SupportedGroups, &|o| {
                put_prefixed(o, LengthPrefix::U16, |o| {
                    groups.iter().for_each(|g| put_u16(o, *g))
                })
            });
        }
        if let Some(formats) = &self.ec_point_formats {
            ext(ExtensionType::EcPointFormats, &|o| put_vec_u8(o, formats));
        }
        if let Some(schemes) = &self.signature_algorithms {
            ext(ExtensionType::SignatureAlgorithms, &|o| {
                put_prefixed(o, LengthPrefix::U16, |o| {
                    schemes.iter().for_each(|s| put_u16(o, *s))
                })
            });
        }
        if let Some(protocols) = &self.alpn {
            ext(ExtensionType::ApplicationLayerProtocolNegotiation, &|o| {
                put_prefixed(o, LengthPrefix::U16, |o| {
                    protocols.iter().for_each(|p| put_vec_u8(o, p))
                })
            });
        }
    }

    /// The rest of the block: the TLS 1.2 session extensions, then key shares, PSK modes,
    /// early data, the cookie and `pre_shared_key`, last (RFC 8446 §4.2.11).
    fn write_session_and_keys(&self, out: &mut Vec<u8>) {
        let mut ext = |kind, body: &dyn Fn(&mut Vec<u8>)| put_extension(out, kind, body);
        if self.encrypt_then_mac {
            ext(ExtensionType::EncryptThenMac, &|_| {});
        }
        if self.extended_master_secret {
            ext(ExtensionType::ExtendedMasterSecret, &|_| {});
        }
        if let Some(info) = &self.renegotiation_info {
            ext(ExtensionType::RenegotiationInfo, &|o| put_vec_u8(o, info));
        }
        if let Some(ticket) = &self.session_ticket {
            ext(ExtensionType::SessionTicket, &|o| {
                o.extend_from_slice(ticket)
            });
        }
        if let Some(shares) = &self.key_shares {
            ext(ExtensionType::KeyShare, &|o| {
                put_prefixed(o, LengthPrefix::U16, |o| {
                    shares.iter().for_each(|s| s.encode(o))
                })
            });
        }
        if let Some(modes) = &self.psk_modes {
            ext(ExtensionType::PskKeyExchangeModes, &|o| {
                put_vec_u8(o, modes)
            });
        }
        if self.early_data {
            ext(ExtensionType::EarlyData, &|_| {});
        }
        if let Some(cookie) = &self.cookie {
            ext(ExtensionType::Cookie, &|o| put_vec_u16(o, cookie));
        }
        if let Some(psks) = &self.pre_shared_key {
            ext(ExtensionType::PreSharedKey, &|o| psks.encode(o));
        }
    }
}

/// The extensions of a ServerHello (either version), a HelloRetryRequest or an
/// EncryptedExtensions message.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ServerExtensions {
    /// `supported_versions`: the selected version.
    pub supported_versions: Option<u16>,
    /// `key_share` of a ServerHello: the server's share.
    pub key_share: Option<KeyShareEntry>,
    /// `key_share` of a HelloRetryRequest: the group the client must use.
    pub selected_group: Option<u16>,
    /// `pre_shared_key`: the index of the accepted identity.
    pub pre_shared_key: Option<u16>,
    /// `cookie` of a HelloRetryRequest.
    pub cookie: Option<Vec<u8>>,
    /// `renegotiation_info` (TLS 1.2): `renegotiated_connection`.
    pub renegotiation_info: Option<Vec<u8>>,
    /// `extended_master_secret` present (TLS 1.2).
    pub extended_master_secret: bool,
    /// `encrypt_then_mac` present (TLS 1.2 with a CBC suite; RFC 7366).
    pub encrypt_then_mac: bool,
    /// `ec_point_formats` (TLS 1.2).
    pub ec_point_formats: Option<Vec<u8>>,
    /// `session_ticket` present: a NewSessionTicket will follow (TLS 1.2).
    pub session_ticket: bool,
    /// `application_layer_protocol_negotiation`: the selected protocol.
    pub alpn: Option<Vec<u8>>,
    /// `server_name` acknowledged (empty extension).
    pub server_name: bool,
    /// `early_data` accepted (EncryptedExtensions).
    pub early_data: bool,
    /// `supported_groups` (EncryptedExtensions; informational).
    pub supported_groups: Option<Vec<u16>>,
    /// Every extension type present, in order, for checking what was allowed.
    pub present: Vec<u16>,
}

impl ServerExtensions {
    /// Reads an extensions block (without its length); `retry` selects the
    /// HelloRetryRequest form of `key_share`.
    pub fn read(block: &mut Reader<'_>, retry: bool) -> Result<Self, Error> {
        let list = split_extensions(block)?;
        let mut ext = ServerExtensions::default();
        for (kind, mut body) in list {
            ext.present.push(kind);
            match ExtensionType::from_wire(kind) {
                ExtensionType::SupportedVersions => {
                    ext.supported_versions = Some(body.u16()?);
                    body.finish()?;
                }
                ExtensionType::KeyShare if retry => {
                    ext.selected_group = Some(body.u16()?);
                    body.finish()?;
                }
                ExtensionType::KeyShare => {
                    ext.key_share = Some(KeyShareEntry::read(&mut body)?);
                    body.finish()?;
                }
                ExtensionType::PreSharedKey => {
                    ext.pre_shared_key = Some(body.u16()?);
                    body.finish()?;
                }
                ExtensionType::Cookie => {
                    let cookie = body.vec_u16()?;
                    body.finish()?;
                    if cookie.is_empty() {
                        return Err(Error::Decode("empty cookie"));
                    }
                    ext.cookie = Some(cookie.to_vec());
                }
                ExtensionType::RenegotiationInfo => {
                    ext.renegotiation_info = Some(u8_list(body, 0)?)
                }
                ExtensionType::ExtendedMasterSecret => ext.extended_master_secret = empty(body)?,
                ExtensionType::EncryptThenMac => ext.encrypt_then_mac = empty(body)?,
                ExtensionType::EcPointFormats => ext.ec_point_formats = Some(u8_list(body, 1)?),
                ExtensionType::SessionTicket => ext.session_ticket = empty(body)?,
                ExtensionType::ApplicationLayerProtocolNegotiation => {
                    let mut protocols = read_alpn(body)?;
                    if protocols.len() != 1 {
                        return Err(Error::Decode("server selected more than one protocol"));
                    }
                    ext.alpn = protocols.pop();
                }
                ExtensionType::ServerName => ext.server_name = empty(body)?,
                ExtensionType::EarlyData => ext.early_data = empty(body)?,
                ExtensionType::SupportedGroups => {
                    ext.supported_groups = Some(prefixed_u16_list(body)?)
                }
                _ => {}
            }
        }
        Ok(ext)
    }

    /// Writes the extensions block (without its length).
    pub fn write(&self, out: &mut Vec<u8>) {
        let mut ext = |kind: ExtensionType, body: &dyn Fn(&mut Vec<u8>)| {
            put_u16(out, kind.to_wire());
            put_prefixed(out, LengthPrefix::U16, |o| body(o));
        };
        if let Some(version) = self.supported_versions {
            ext(ExtensionType::SupportedVersions, &|o| put_u16(o, version));
        }
        if let Some(share) = &self.key_share {
            ext(ExtensionType::KeyShare, &|o| share.encode(o));
        }
        if let Some(group) = self.selected_group {
            ext(ExtensionType::KeyShare, &|o| put_u16(o, group));
        }
        if let Some(index) = self.pre_shared_key {
            ext(ExtensionType::PreSharedKey, &|o| put_u16(o, index));
        }
        if let Some(cookie) = &self.cookie {
            ext(ExtensionType::Cookie, &|o| put_vec_u16(o, cookie));
        }
        if let Some(info) = &self.renegotiation_info {
            ext(ExtensionType::RenegotiationInfo, &|o| put_vec_u8(o, info));
        }
        if self.extended_master_secret {
            ext(ExtensionType::ExtendedMasterSecret, &|_| {});
        }
        if self.encrypt_then_mac {
            ext(ExtensionType::EncryptThenMac, &|_| {});
        }
        if let Some(formats) = &self.ec_point_formats {
            ext(ExtensionType::EcPointFormats, &|o| put_vec_u8(o, formats));
        }
        if self.session_ticket {
            ext(ExtensionType::SessionTicket, &|_| {});
        }
        if let Some(protocol) = &self.alpn {
            ext(ExtensionType::ApplicationLayerProtocolNegotiation, &|o| {
                put_prefixed(o, LengthPrefix::U16, |o| put_vec_u8(o, protocol))
            });
        }
        if self.server_name {
            ext(ExtensionType::ServerName, &|_| {});
        }
        if self.early_data {
            ext(ExtensionType::EarlyData, &|_| {});
        }
        if let Some(groups) = &self.supported_groups {
            ext(ExtensionType::SupportedGroups, &|o| {
                put_prefixed(o, LengthPrefix::U16, |o| {
                    groups.iter().for_each(|g| put_u16(o, *g))
                })
            });
        }
    }

    /// True when an extension of `kind` was present.
    pub fn has(&self, kind: ExtensionType) -> bool {
        self.present.contains(&kind.to_wire())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Duplicates are found among the first few values, past the switch to the bit map, and
    /// across it; every code point, 0 and 0xFFFF included, can be held.
    #[test]
    fn seen_sets_find_every_duplicate() {
        for count in [1usize, SEEN_FEW - 1, SEEN_FEW, SEEN_FEW + 1, 5000] {
            let mut seen = SeenU16::new();
            let values: Vec<u16> = (0..count).map(|i| (i as u16).wrapping_mul(7919)).collect();
            assert!(values.iter().all(|value| seen.insert(*value)), "{count}");
            assert!(values.iter().all(|value| !seen.insert(*value)), "{count}");
        }
        let mut seen = SeenU16::new();
        assert!(seen.insert(0) && seen.insert(0xFFFF));
        assert!(!seen.insert(0) && !seen.insert(0xFFFF));
    }

    /// A `server_name` extension block naming `name`.
    fn server_name_block(name: &[u8]) -> Vec<u8> {
        let mut block = Vec::new();
        put_u16(&mut block, ExtensionType::ServerName.to_wire());
        put_prefixed(&mut block, LengthPrefix::U16, |o| {
            put_prefixed(o, LengthPrefix::U16, |o| {
                put_u8(o, SERVER_NAME_HOST);
                put_vec_u16(o, name);
            })
        });
        block
    }

    fn read_name(name: &[u8]) -> Result<Option<String>, Error> {
        let block = server_name_block(name);
        ClientExtensions::read(&mut Reader::new(&block)).map(|ext| ext.server_name)
    }

    #[test]
    fn server_names_that_are_dns_names_are_accepted() {
        let label63 = "a".repeat(63);
        let longest = [label63.as_str(); 4].join(".") + "a"; // 4 * 63 + 3 dots + 1 = 256
        let longest = &longest[..255];
        for name in [
            "example.com",
            "a",
            "xn--bcher-kva.example",
            "1-2.3com",
            "10.0.0.example",
            longest,
        ] {
            assert_eq!(
                read_name(name.as_bytes()),
                Ok(Some(name.to_owned())),
                "{name}"
            );
        }
        assert_eq!(
            read_name(b"Example.COM"),
            Ok(Some("example.com".to_owned()))
        );
    }

    #[test]
    fn server_names_that_are_not_dns_names_are_illegal_parameters() {
        let label64 = "a".repeat(64);
        let too_long = ["a".repeat(63).as_str(); 4].join(".") + ".a"; // 257 bytes
        let bad: [&[u8]; 15] = [
            b"evil\x1b[2J.example",
            b"127.0.0.1",
            b"192.0.2.300",
            b"::1",
            b"line\nbreak.example",
            b"nul\0.example",
            b"space name.example",
            b"under_score.example",
            b"example.com.",
            b".example.com",
            b"a..b",
            b"caf\xc3\xa9.example",
            b"*.example.com",
            label64.as_bytes(),
            too_long.as_bytes(),
        ];
        for name in bad {
            assert_eq!(
                read_name(name),
                Err(Error::IllegalParameter(
                    "server name is not a DNS host name"
                )),
                "{}",
                name.escape_ascii()
            );
        }
    }

    /// The ClientHello extension block of `count` distinct empty extensions of types the
    /// engine does not know.
    fn many_unknown_extensions(count: u16) -> Vec<u8> {
        let mut block = Vec::new();
        for kind in 1000..1000 + count {
            put_u16(&mut block, kind);
            put_u16(&mut block, 0);
        }
        block
    }

    #[test]
    fn sixteen_thousand_distinct_extensions_parse_and_a_late_duplicate_is_found() {
        let mut block = many_unknown_extensions(16_000);
        assert!(ClientExtensions::read(&mut Reader::new(&block)).is_ok());
        block.extend_from_slice(&[0x3e, 0x7f, 0, 0]); // 15999 + 1000 again
        assert_eq!(
            ClientExtensions::read(&mut Reader::new(&block)),
            Err(Error::IllegalParameter("duplicate extension"))
        );
    }

    #[test]
    fn many_key_shares_parse_and_a_late_duplicate_group_is_found() {
        let mut shares = Vec::new();
        for group in 0..10_000u16 {
            put_u16(&mut shares, group);
            put_vec_u16(&mut shares, &[1]);
        }
        let block = |shares: &[u8]| {
            let mut block = Vec::new();
            put_u16(&mut block, ExtensionType::KeyShare.to_wire());
            put_prefixed(&mut block, LengthPrefix::U16, |o| put_vec_u16(o, shares));
            block
        };
        let ext = ClientExtensions::read(&mut Reader::new(&block(&shares))).unwrap();
        assert_eq!(ext.key_shares.map(|s| s.len()), Some(10_000));
        put_u16(&mut shares, 9_999);
        put_vec_u16(&mut shares, &[1]);
        assert_eq!(
            ClientExtensions::read(&mut Reader::new(&block(&shares))),
            Err(Error::IllegalParameter("two key shares for one group"))
        );
    }
}
