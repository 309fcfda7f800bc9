//! Session resumption state: the client's store of sessions and tickets (by server name),
//! and the server's TLS 1.2 session cache and ticket protection.
//!
//! Secrets never appear here as bytes: a TLS 1.2 master key or a TLS 1.3 resumption PSK is
//! kept as the provider's opaque blob (sealed under the key store's sealing key, with its
//! protocol and suite bound). A server's ticket is that blob plus the session's parameters,
//! sealed once more by a ticket key that the provider makes from its RNG and never hands out
//! ([`Provider::create_ticket_key`]) — so the parameters (EMS, lifetime, ALPN, server name)
//! cannot be altered by the client. The ticket key lives as long as the
//! [`ServerConfig`](crate::ServerConfig).

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, OnceLock};
use std::time::{SystemTime, UNIX_EPOCH};

use keyward_ssl::flight::{Ticket12ToSeal, Ticket13ToSeal};
use keyward_ssl::{Provider, TicketKey};

use crate::codec::{put_u16, put_u32, put_u8, put_vec_exact, LengthPrefix, Reader};

/// How long sessions and tickets are good for, in seconds.
pub const SESSION_LIFETIME: u32 = 7200;
/// Most server names the client remembers.
const MAX_CLIENT_NAMES: usize = 256;
/// Most TLS 1.3 tickets kept per server name.
const MAX_TICKETS_PER_NAME: usize = 4;
/// Most entries of the server's session-ID cache.
const MAX_CACHED_SESSIONS: usize = 1024;

/// Seconds since the Unix epoch.
pub fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Milliseconds since the Unix epoch.
pub fn now_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// A TLS 1.2 session the client can resume.
#[derive(Clone, Debug)]
pub struct ClientSession12 {
    /// The session ID the server gave (may be empty with a ticket).
    pub session_id: Vec<u8>,
    /// The server's ticket, if it sent one.
    pub ticket: Option<Vec<u8>>,
    /// The master key as the provider's opaque blob.
    pub master: Vec<u8>,
    /// The suite.
    pub suite: u16,
    /// Whether the session used the extended master secret.
    pub extended_master_secret: bool,
    /// Whether the session's CBC records were encrypt-then-MAC (RFC 7366).
    pub encrypt_then_mac: bool,
    /// The negotiated protocol.
    pub alpn: Option<Vec<u8>>,
    /// The server's chain, reported again on resumption.
    pub peer_certificates: Vec<Vec<u8>>,
    /// When the session was made (seconds since the epoch).
    pub created: u64,
    /// How long it may be resumed, in seconds.
    pub lifetime: u32,
}

/// A TLS 1.3 ticket the client can offer.
#[derive(Clone, Debug)]
pub struct ClientTicket13 {
    /// The ticket (the PSK identity).
    pub ticket: Vec<u8>,
    /// The resumption PSK as the provider's opaque blob.
    pub psk: Vec<u8>,
    /// The suite of the session (its hash goes with the PSK).
    pub suite: u16,
    /// `ticket_age_add`.
    pub age_add: u32,
    /// `ticket_lifetime` in seconds.
    pub lifetime: u32,
    /// When the ticket arrived (milliseconds since the epoch).
    pub received_ms: u64,
    /// The server's chain, reported again on resumption.
    pub peer_certificates: Vec<Vec<u8>>,
}

#[derive(Default)]
struct ClientEntry {
    tls12: Option<ClientSession12>,
    tls13: VecDeque<ClientTicket13>,
}

#[derive(Default)]
struct ClientStore {
    entries: HashMap<String, ClientEntry>,
    order: VecDeque<String>,
}

impl ClientStore {
    fn entry(&mut self, name: &str) -> &mut ClientEntry {
        if !self.entries.contains_key(name) {
            if self.order.len() >= MAX_CLIENT_NAMES {
                if let Some(oldest) = self.order.pop_front() {
                    self.entries.remove(&oldest);
                }
            }
            self.order.push_back(name.to_owned());
        }
        self.entries.entry(name.to_owned()).or_default()
    }
}

/// The client's in-memory session store, keyed by server name.
#[derive(Default)]
pub struct ClientSessions {
    store: Mutex<ClientStore>,
}

impl ClientSessions {
    fn with<T>(&self, f: impl FnOnce(&mut ClientStore) -> T) -> T {
        let mut store = match self.store.lock() {
            Ok(store) => store,
            Err(poisoned) => poisoned.into_inner(),
        };
        f(&mut store)
    }

    /// Remembers a TLS 1.2 session for `server_name`.
    pub fn store_tls12(&self, server_name: &str, session: ClientSession12) {
        self.with(|s| s.entry(server_name).tls12 = Some(session));
    }

    /// The TLS 1.2 session for `server_name`, if still valid.
    pub fn tls12(&self, server_name: &str) -> Option<ClientSession12> {
        let now = now_secs();
        self.with(|s| {
            let entry = s.entries.get_mut(server_name)?;
            let session = entry.tls12.as_ref()?;
            if now.saturating_sub(session.created) > u64::from(session.lifetime) {
                entry.tls12 = None;
                return None;
            }
            Some(session.clone())
        })
    }

    /// Remembers a TLS 1.3 ticket for `server_name`.
    pub fn store_tls13(&self, server_name: &str, ticket: ClientTicket13) {
        self.with(|s| {
            let tickets = &mut s.entry(server_name).tls13;
            if tickets.len() >= MAX_TICKETS_PER_NAME {
                tickets.pop_front();
            }
            tickets.push_back(ticket);
        });
    }

    /// Takes the newest valid TLS 1.3 ticket for `server_name` (each is used once,
    /// RFC 8446 §C.4).
    pub fn take_tls13(&self, server_name: &str) -> Option<ClientTicket13> {
        let now = now_millis();
        self.with(|s| {
            let tickets = &mut s.entries.get_mut(server_name)?.tls13;
            while let Some(ticket) = tickets.pop_back() {
                if now.saturating_sub(ticket.received_ms) < u64::from(ticket.lifetime) * 1000 {
                    return Some(ticket);
                }
            }
            None
        })
    }
}

/// A TLS 1.2 session as the server keeps it (cache entry or ticket contents).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerSession12 {
    /// The master key as the provider's opaque blob.
    pub master: Vec<u8>,
    /// The suite.
    pub suite: u16,
    /// Whether the session used the extended master secret.
    pub extended_master_secret: bool,
    /// Whether the session's CBC records were encrypt-then-MAC (RFC 7366).
    pub encrypt_then_mac: bool,
    /// The negotiated protocol.
    pub alpn: Option<Vec<u8>>,
    /// The client's server name.
    pub server_name: Option<String>,
    /// When the session was made (seconds since the epoch).
    pub created: u64,
}

/// A TLS 1.3 ticket's contents as the server reads them back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerTicket13 {
    /// The resumption PSK as the provider's opaque blob.
    pub psk: Vec<u8>,
    /// The suite of the session.
    pub suite: u16,
    /// `ticket_age_add`.
    pub age_add: u32,
    /// When the ticket was issued (milliseconds since the epoch).
    pub issued_ms: u64,
    /// The negotiated protocol of the session.
    pub alpn: Option<Vec<u8>>,
    /// The client's server name.
    pub server_name: Option<String>,
}

#[derive(Default)]
struct SessionCache {
    entries: HashMap<Vec<u8>, ServerSession12>,
    order: VecDeque<Vec<u8>>,
}

/// Shards of the TLS 1.2 session cache, picked by the session ID's first byte (random for
/// the IDs the server makes): handshakes on different cores seldom wait for one another.
const CACHE_SHARDS: usize = 16;

/// The cache shard of a session ID.
fn shard_of(session_id: &[u8]) -> usize {
    usize::from(session_id.first().copied().unwrap_or(0)) % CACHE_SHARDS
}

/// A ticket's fields up to its last, the opaque blob of a secret the handshake makes, and
/// the key that seals them: for a server's flight to seal ([`keyward_ssl::flight`]).
pub struct TicketFields<'a> {
    key: &'a TicketKey,
    fields: Vec<u8>,
}

impl TicketFields<'_> {
    /// The TLS 1.3 ticket as a flight seals it, with its PSK derived with `nonce`.
    pub fn tls13<'b>(&'b self, nonce: &'b [u8]) -> Ticket13ToSeal<'b> {
        Ticket13ToSeal {
            key: self.key,
            aad: TICKET_AAD,
            fields: &self.fields,
            nonce,
        }
    }

    /// The TLS 1.2 ticket as a flight seals it, sent with `lifetime_hint`.
    pub fn tls12(&self, lifetime_hint: u32) -> Ticket12ToSeal<'_> {
        Ticket12ToSeal {
            key: self.key,
            aad: TICKET_AAD,
            fields: &self.fields,
            lifetime_hint,
        }
    }
}

/// The server's resumption state: the session cache, and the ticket key (made once, then
/// read without a lock).
#[derive(Default)]
pub struct ServerSessions {
    cache: [Mutex<SessionCache>; CACHE_SHARDS],
    ticket_key: OnceLock<Option<TicketKey>>,
}

const TICKET_KIND_TLS12: u8 = 1;
/// Flags byte of a TLS 1.2 ticket: the extended master secret (RFC 7627).
const FLAG_EMS: u8 = 1;
/// Flags byte of a TLS 1.2 ticket: encrypt-then-MAC (RFC 7366 §3.1 keeps it on resumption).
const FLAG_ETM: u8 = 2;

fn session_flags(session: &ServerSession12) -> u8 {
    let mut flags = 0;
    if session.extended_master_secret {
        flags |= FLAG_EMS;
    }
    if session.encrypt_then_mac {
        flags |= FLAG_ETM;
    }
    flags
}
const TICKET_KIND_TLS13: u8 = 2;

impl ServerSessions {
    /// Runs `f` on the cache shard of `session_id`.
    fn with_cache<T>(&self, session_id: &[u8], f: impl FnOnce(&mut SessionCache) -> T) -> T {
        self.with_shard(shard_of(session_id), f)
    }

    fn with_shard<T>(&self, shard: usize, f: impl FnOnce(&mut SessionCache) -> T) -> T {
        let mut cache = match self.cache[shard].lock() {
            Ok(cache) => cache,
            Err(poisoned) => poisoned.into_inner(),
        };
        f(&mut cache)
    }

    /// Caches a TLS 1.2 session under its ID; the oldest entry of its shard goes when the
    /// shard is full.
    pub fn cache_put(&self, session_id: Vec<u8>, session: ServerSession12) {
        self.with_shard(shard_of(&session_id), |c| {
            if let Some(cached) = c.entries.get_mut(&session_id) {
                // The same ID again: a new session under it, in its old place in the order.
                *cached = session;
                return;
            }
            if c.entries.len() >= MAX_CACHED_SESSIONS / CACHE_SHARDS {
                if let Some(oldest) = c.order.pop_front() {
                    c.entries.remove(&oldest);
                }
            }
            c.order.push_back(session_id.clone());
            c.entries.insert(session_id, session);
        });
    }

    /// The cached session for an ID, if still valid.
    pub fn cache_get(&self, session_id: &[u8]) -> Option<ServerSession12> {
        let now = now_secs();
        self.with_cache(session_id, |c| {
            let session = c.entries.get(session_id)?;
            (now.saturating_sub(session.created) <= u64::from(SESSION_LIFETIME))
                .then(|| session.clone())
        })
    }

    fn ticket_key(&self, provider: &Provider) -> Option<&TicketKey> {
        self.ticket_key
            .get_or_init(|| match provider.create_ticket_key() {
                Ok(key) => Some(key),
                Err(error) => {
                    tracing::warn!(%error, "session tickets disabled: no ticket key");
                    None
                }
            })
            .as_ref()
    }

    /// A TLS 1.2 ticket for `session` (RFC 5077), or `None` when tickets cannot be made.
    /// The server's flight seals its tickets ([`ServerSessions::tls12_ticket_fields`]); this
    /// is for tests and fuzzing.
    #[cfg(any(test, feature = "fuzzing"))]
    pub fn seal_tls12(&self, provider: &Provider, session: &ServerSession12) -> Option<Vec<u8>> {
        let mut plain = tls12_fields(session)?;
        put_vec_exact(&mut plain, LengthPrefix::U16, &session.master).ok()?;
        seal(self.ticket_key(provider)?, &plain)
    }

    /// The fields of a TLS 1.2 ticket for `session` and the key that seals them, for a
    /// server's flight to seal with the handshake's master key (`session.master` is not
    /// used); `None` when tickets cannot be made. The sealed ticket is the one
    /// [`ServerSessions::seal_tls12`] makes with the master key's blob.
    pub fn tls12_ticket_fields(
        &self,
        provider: &Provider,
        session: &ServerSession12,
    ) -> Option<TicketFields<'_>> {
        Some(TicketFields {
            fields: tls12_fields(session)?,
            key: self.ticket_key(provider)?,
        })
    }

    /// True when this server can make tickets (its provider gave it a ticket key).
    pub fn can_seal(&self, provider: &Provider) -> bool {
        self.ticket_key(provider).is_some()
    }

    /// Reads back a TLS 1.2 ticket; `None` for anything not made here, tampered with or
    /// expired.
    pub fn open_tls12(&self, provider: &Provider, ticket: &[u8]) -> Option<ServerSession12> {
        let plain = open(self.ticket_key(provider)?, ticket)?;
        let mut reader = Reader::new(&plain);
        if reader.u8().ok()? != TICKET_KIND_TLS12 {
            return None;
        }
        let suite = reader.u16().ok()?;
        let flags = reader.u8().ok()?;
        if flags & !(FLAG_EMS | FLAG_ETM) != 0 {
            return None;
        }
        let extended_master_secret = flags & FLAG_EMS != 0;
        let encrypt_then_mac = flags & FLAG_ETM != 0;
        let created = u64::from_be_bytes(reader.array().ok()?);
        let alpn = read_optional(&mut reader)?;
        let server_name = read_optional(&mut reader)?.and_then(|n| String::from_utf8(n).ok());
        let master = reader.vec_u16().ok()?.to_vec();
        reader.finish().ok()?;
        if now_secs().saturating_sub(created) > u64::from(SESSION_LIFETIME) {
            return None;
        }
        Some(ServerSession12 {
            master,
            suite,
            extended_master_secret,
            encrypt_then_mac,
            alpn,
            server_name,
            created,
        })
    }

    /// A TLS 1.3 ticket (RFC 8446 §4.6.1) holding the PSK blob `ticket.psk`, or `None`
    /// when tickets cannot be made. The server's flight seals its tickets
    /// ([`ServerSessions::tls13_ticket_fields`]); this is for tests and fuzzing.
    #[cfg(any(test, feature = "fuzzing"))]
    pub fn seal_tls13(&self, provider: &Provider, ticket: &ServerTicket13) -> Option<Vec<u8>> {
        let mut plain = tls13_fields(ticket)?;
        put_vec_exact(&mut plain, LengthPrefix::U16, &ticket.psk).ok()?;
        seal(self.ticket_key(provider)?, &plain)
    }

    /// The fields of a TLS 1.3 ticket for `ticket` and the key that seals it, for a server's
    /// flight to seal with the handshake's PSK (`ticket.psk` is not used); `None` when
    /// tickets cannot be made. The sealed ticket is the one [`ServerSessions::seal_tls13`]
    /// makes with the PSK's blob.
    pub fn tls13_ticket_fields(
        &self,
        provider: &Provider,
        ticket: &ServerTicket13,
    ) -> Option<TicketFields<'_>> {
        Some(TicketFields {
            fields: tls13_fields(ticket)?,
            key: self.ticket_key(provider)?,
        })
    }

    /// Reads back a TLS 1.3 ticket; `None` for anything not made here, tampered with or
    /// expired.
    pub fn open_tls13(&self, provider: &Provider, ticket: &[u8]) -> Option<ServerTicket13> {
        let plain = open(self.ticket_key(provider)?, ticket)?;
        let mut reader = Reader::new(&plain);
        if reader.u8().ok()? != TICKET_KIND_TLS13 {
            return None;
        }
        let suite = reader.u16().ok()?;
        let age_add = reader.u32().ok()?;
        let issued_ms = u64::from_be_bytes(reader.array().ok()?);
        let alpn = read_optional(&mut reader)?;
        let server_name = read_optional(&mut reader)?.and_then(|n| String::from_utf8(n).ok());
        let psk = reader.vec_u16().ok()?.to_vec();
        reader.finish().ok()?;
        if now_millis().saturating_sub(issued_ms) > u64::from(SESSION_LIFETIME) * 1000 {
            return None;
        }
        Some(ServerTicket13 {
            psk,
            suite,
            age_add,
            issued_ms,
            alpn,
            server_name,
        })
    }
}

#[cfg(feature = "fuzzing")]
impl ServerSessions {
    /// Seals `plain` as a ticket, so a fuzzer reaches the ticket decoder behind the AEAD.
    pub(crate) fn seal_plain(&self, provider: &Provider, plain: &[u8]) -> Option<Vec<u8>> {
        seal(self.ticket_key(provider)?, plain)
    }
}

/// A TLS 1.2 ticket's plaintext up to its last field, the master key's blob; `None` when a
/// value is too long for the ticket.
fn tls12_fields(session: &ServerSession12) -> Option<Vec<u8>> {
    let mut plain = Vec::new();
    put_u8(&mut plain, TICKET_KIND_TLS12);
    put_u16(&mut plain, session.suite);
    put_u8(&mut plain, session_flags(session));
    plain.extend_from_slice(&session.created.to_be_bytes());
    put_optional(&mut plain, session.alpn.as_deref())?;
    put_optional(
        &mut plain,
        session.server_name.as_ref().map(String::as_bytes),
    )?;
    Some(plain)
}

/// A TLS 1.3 ticket's plaintext up to its last field, the PSK's blob; `None` when a value is
/// too long for the ticket.
fn tls13_fields(ticket: &ServerTicket13) -> Option<Vec<u8>> {
    let mut plain = Vec::new();
    put_u8(&mut plain, TICKET_KIND_TLS13);
    put_u16(&mut plain, ticket.suite);
    put_u32(&mut plain, ticket.age_add);
    plain.extend_from_slice(&ticket.issued_ms.to_be_bytes());
    put_optional(&mut plain, ticket.alpn.as_deref())?;
    put_optional(
        &mut plain,
        ticket.server_name.as_ref().map(String::as_bytes),
    )?;
    Some(plain)
}

/// Appends an optional value with its whole length (a two-byte prefix); `None` when it is
/// too long for one, and the ticket is then not made rather than made with a cut value.
fn put_optional(out: &mut Vec<u8>, value: Option<&[u8]>) -> Option<()> {
    match value {
        Some(value) => {
            put_u8(out, 1);
            put_vec_exact(out, LengthPrefix::U16, value).ok()
        }
        None => {
            put_u8(out, 0);
            Some(())
        }
    }
}

fn read_optional(reader: &mut Reader<'_>) -> Option<Option<Vec<u8>>> {
    match reader.u8().ok()? {
        0 => Some(None),
        1 => Some(Some(reader.vec_u16().ok()?.to_vec())),
        _ => None,
    }
}

/// What every ticket is bound to: its purpose and format version.
const TICKET_AAD: &[u8] = b"keyward session ticket 1";

/// Seals a ticket's plaintext; `None` when the provider cannot.
#[cfg(any(test, feature = "fuzzing"))]
fn seal(key: &TicketKey, plain: &[u8]) -> Option<Vec<u8>> {
    key.seal(TICKET_AAD, plain).ok()
}

/// Opens a ticket; `None` for anything the ticket key did not seal.
fn open(key: &TicketKey, ticket: &[u8]) -> Option<Vec<u8>> {
    key.open(TICKET_AAD, ticket).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use keyward_core::store::KeyStore;
    use keyward_ssl::Tls13Secret;

    /// A provider over a key store in a directory removed on drop.
    struct TestProvider(Provider, std::path::PathBuf);

    impl Drop for TestProvider {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.1);
        }
    }

    fn provider(tag: &str) -> TestProvider {
        let dir =
            std::env::temp_dir().join(format!("keyward-resumption-{tag}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        TestProvider(Provider::with_key_store(KeyStore::open(&dir).unwrap()), dir)
    }

    /// A 300-byte name: longer than a one-byte length prefix holds.
    fn long_name() -> String {
        ["a".repeat(63).as_str(); 5]
            .join(".")
            .chars()
            .take(300)
            .collect()
    }

    /// The session cache is sharded by the ID's first byte; each shard keeps its newest
    /// entries, and together they hold at most MAX_CACHED_SESSIONS.
    #[test]
    fn the_session_cache_keeps_the_newest_sessions_of_each_shard() {
        let sessions = ServerSessions::default();
        let session = |created| ServerSession12 {
            master: vec![9; 48],
            suite: 0xc02f,
            extended_master_secret: true,
            encrypt_then_mac: false,
            alpn: None,
            server_name: None,
            created,
        };
        let id = |n: usize| {
            let mut id = vec![(n % 256) as u8; 32];
            id[1..9].copy_from_slice(&(n as u64).to_be_bytes());
            id
        };
        let now = now_secs();
        let total = 3 * MAX_CACHED_SESSIONS;
        for n in 0..total {
            sessions.cache_put(id(n), session(now));
        }
        let kept = (0..total)
            .filter(|&n| sessions.cache_get(&id(n)).is_some())
            .count();
        assert_eq!(kept, MAX_CACHED_SESSIONS);
        for n in total - MAX_CACHED_SESSIONS..total {
            assert!(sessions.cache_get(&id(n)).is_some(), "session {n}");
        }
        assert!(sessions.cache_get(&id(0)).is_none());
        // Expired sessions are not returned.
        sessions.cache_put(id(total), session(now - u64::from(SESSION_LIFETIME) - 1));
        assert!(sessions.cache_get(&id(total)).is_none());

        // One ID put again replaces its session and evicts nobody from a full shard.
        let sessions = ServerSessions::default();
        let per_shard = MAX_CACHED_SESSIONS / CACHE_SHARDS;
        let shard_ids: Vec<usize> = (0..per_shard).map(|k| k * 256).collect();
        for &n in &shard_ids {
            sessions.cache_put(id(n), session(now));
        }
        for _ in 0..3 {
            sessions.cache_put(id(0), session(now + 1));
        }
        for &n in &shard_ids {
            assert!(sessions.cache_get(&id(n)).is_some(), "session {n} evicted");
        }
        assert_eq!(sessions.cache_get(&id(0)).map(|s| s.created), Some(now + 1));
    }

    /// A ticket sealed with a PSK secret holds that secret's blob as its PSK, and opens as
    /// a ticket sealed with the blob does.
    #[test]
    fn a_ticket_sealed_with_a_psk_holds_its_blob() {
        let provider = provider("with-psk");
        let sessions = ServerSessions::default();
        let suite = keyward_ssl::CipherSuite::from_id(0x1301).unwrap();
        let early = provider
            .0
            .extract_early_key(None, keyward_ssl::Protocol::Tls13, suite)
            .unwrap();
        let binder = |secret: &Tls13Secret| {
            let key = provider.0.expand_binder_key(secret, true).unwrap();
            key.compute_finished_for_digest(&[5; 32]).unwrap()
        };
        let template = ServerTicket13 {
            psk: Vec::new(),
            suite: 0x1301,
            age_add: 7,
            issued_ms: now_millis(),
            alpn: Some(b"h2".to_vec()),
            server_name: Some("example.test".into()),
        };
        let fields = sessions
            .tls13_ticket_fields(&provider.0, &template)
            .unwrap();
        let to_seal = fields.tls13(&[]);
        let sealed = to_seal
            .key
            .seal_with_secret(&provider.0, to_seal.aad, to_seal.fields, &early)
            .unwrap();
        let opened = sessions.open_tls13(&provider.0, &sealed).unwrap();
        assert_eq!(
            ServerTicket13 {
                psk: Vec::new(),
                ..opened.clone()
            },
            template
        );
        let Ok(keyward_ssl::OpaqueKey::Tls13(psk)) = provider.0.import_opaque_key(&opened.psk)
        else {
            panic!("the ticket's PSK is not a TLS 1.3 secret's blob");
        };
        assert_eq!(binder(&psk), binder(&early));
    }

    #[test]
    fn tickets_keep_the_whole_server_name() {
        let provider = provider("name");
        let sessions = ServerSessions::default();
        let ticket = ServerTicket13 {
            psk: vec![7; 48],
            suite: 0x1302,
            age_add: 1,
            issued_ms: now_millis(),
            alpn: Some(b"h2".to_vec()),
            server_name: Some(long_name()),
        };
        let sealed = sessions.seal_tls13(&provider.0, &ticket).unwrap();
        assert_eq!(sessions.open_tls13(&provider.0, &sealed), Some(ticket));

        let session = ServerSession12 {
            master: vec![9; 48],
            suite: 0xc013,
            extended_master_secret: true,
            encrypt_then_mac: true,
            alpn: None,
            server_name: Some(long_name()),
            created: now_secs(),
        };
        let sealed = sessions.seal_tls12(&provider.0, &session).unwrap();
        assert_eq!(sessions.open_tls12(&provider.0, &sealed), Some(session));
    }

    #[test]
    fn a_name_too_long_for_a_ticket_gets_no_ticket() {
        let provider = provider("too-long");
        let sessions = ServerSessions::default();
        let ticket = ServerTicket13 {
            psk: vec![7; 48],
            suite: 0x1302,
            age_add: 1,
            issued_ms: now_millis(),
            alpn: None,
            server_name: Some("a".repeat(70_000)),
        };
        assert_eq!(sessions.seal_tls13(&provider.0, &ticket), None);
    }
}
